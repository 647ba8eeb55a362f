//! Fuzz the VPLS NLRI parser: a parse that succeeds renders JSON that parses and re-encodes
//! to a value that parses back the same.
#![no_main]

use ferrobgp_wire::vpls::Vpls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = Vpls::parse(data) {
        let mut json = Vec::new();
        v.write_json(&mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        assert_eq!(Vpls::parse(&v.to_bytes()), Some(v));
    }
});
