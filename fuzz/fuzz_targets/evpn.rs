//! Fuzz the EVPN NLRI parser: a parse that succeeds renders JSON that parses and re-encodes
//! byte-exact.
#![no_main]

use ferrobgp_wire::evpn::Evpn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(m) = Evpn::parse(data) {
        let mut json = Vec::new();
        m.write_json(data, &mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        assert_eq!(m.to_bytes().as_deref(), Some(data));
    }
});
