//! Fuzz the RTC NLRI parser: a parsed value re-encodes byte-exact and its JSON parses.
#![no_main]

use ferrobgp_wire::rtc::Rtc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = Rtc::parse(data) {
        assert_eq!(&r.to_bytes()[..], data);
        let mut json = Vec::new();
        r.write_json(&mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
    }
});
