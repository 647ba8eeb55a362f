//! OPEN bodies: decode, and a decoded OPEN re-encodes to one that decodes the same.
#![no_main]

use bytes::BytesMut;
use ferrobgp_wire::{decode_open, encode_open, message::HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(o) = decode_open(data) {
        let mut out = BytesMut::new();
        encode_open(&o, &mut out);
        if out.len() <= 4096 {
            let again = decode_open(&out[HEADER_LEN..]).expect("re-encoded OPEN decodes");
            assert_eq!(again, o);
        }
    }
});
