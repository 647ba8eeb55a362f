//! Fuzz the BGP-MUP NLRI parser (first byte picks IPv4 or IPv6): a parse that succeeds
//! renders JSON that parses and re-encodes to a value that parses back the same.
#![no_main]

use ferrobgp_wire::mup::Mup;
use ferrobgp_wire::Afi;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else { return };
    let afi = if flags & 1 != 0 { Afi::IPV6 } else { Afi::IPV4 };
    if let Some(m) = Mup::parse(data, afi) {
        let mut json = Vec::new();
        m.write_json(data, &mut json);
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok());
        let bytes = m.to_bytes().expect("a parsed value fits");
        assert_eq!(Mup::parse(&bytes, afi), Some(m));
    }
});
