//! Fuzz the flowspec NLRI parser: any bytes, either family, with or without an RD. A parse
//! that succeeds must iterate, render JSON that parses, and re-encode to bytes that parse
//! back to the same rule.
#![no_main]

use ferrobgp_wire::flowspec::{FlowNlri, FlowRule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else { return };
    let (ipv6, vpn) = (flags & 1 != 0, flags & 2 != 0);
    if let Ok((view, used)) = FlowNlri::parse(data, ipv6, vpn) {
        assert!(used <= data.len());
        let rule: FlowRule = view.to_rule();
        let mut json = Vec::new();
        view.write_json(&mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        if let Ok(bytes) = rule.to_bytes(view.rd) {
            let (again, _) = FlowNlri::parse(&bytes, ipv6, vpn).expect("re-encoded rule parses");
            assert_eq!(again.to_rule(), rule);
        }
    }
});
