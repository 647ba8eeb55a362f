//! Fuzz the BGP-LS NLRI parser and the BGP-LS attribute JSON writer: a parsed NLRI
//! re-encodes byte-exact; any JSON written parses.
#![no_main]

use ferrobgp_wire::bgpls::{write_attribute_json, BgpLs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(n) = BgpLs::parse(data) {
        assert_eq!(n.to_bytes().as_deref(), Some(data));
        let mut json = Vec::new();
        if n.write_json(None, &mut json).is_some() {
            assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        }
    }
    let mut json = b"{".to_vec();
    if write_attribute_json(&mut json, data) {
        json.push(b'}');
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    }
});
