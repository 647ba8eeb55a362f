//! Fuzz the Prefix-SID attribute parser and JSON writer: a parsed value re-encodes to bytes
//! that parse back the same; any JSON written parses.
#![no_main]

use ferrobgp_wire::prefix_sid::{write_attribute_json, PrefixSid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(p) = PrefixSid::parse(data) {
        let mut v = Vec::new();
        p.encode(&mut v).expect("a parsed value fits");
        assert_eq!(PrefixSid::parse(&v), Some(p));
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    }
});
