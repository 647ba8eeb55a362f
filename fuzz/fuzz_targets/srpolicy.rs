//! Fuzz the SR Policy NLRI and Tunnel Encapsulation parsers: a parsed value re-encodes to
//! bytes that parse back the same; any JSON written parses.
#![no_main]

use ferrobgp_wire::srpolicy::{write_attribute_json, SrPolicy, TunnelEncapsulation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(n) = SrPolicy::parse(data) {
        assert_eq!(&n.to_bytes()[..], data);
    }
    if let Some(t) = TunnelEncapsulation::parse(data) {
        let mut v = Vec::new();
        t.encode(&mut v).expect("a parsed value fits");
        assert_eq!(TunnelEncapsulation::parse(&v), Some(t));
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    }
});
