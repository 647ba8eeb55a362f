//! Fuzz the OPERATIONAL (type 6) body parser: a parsed message re-encodes to the bytes it
//! was read from (header aside, up to its length field).
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::operational::OperationalMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);
    if let Ok(m) = OperationalMessage::decode(&body) {
        let mut out = BytesMut::new();
        m.encode(&mut out);
        let len = 4 + u16::from_be_bytes([data[2], data[3]]) as usize;
        assert_eq!(&out[19..], &data[..len]);
    }
});
