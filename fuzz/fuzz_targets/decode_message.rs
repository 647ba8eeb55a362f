//! Any byte stream: frame it into messages and decode each. Nothing may panic; a framed
//! message never claims more bytes than given.
#![no_main]

use bytes::Bytes;
use ferrobgp_wire::{decode_message, frame, Message};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    let ctx = context(c);
    let mut buf = Bytes::copy_from_slice(data);
    while let Ok(Some(len)) = frame(&buf, ctx.max_message_len()) {
        assert!(len <= buf.len() && len >= 19);
        let m = buf.split_to(len);
        match decode_message(m.clone(), &ctx) {
            Ok(Message::Update(u)) => {
                let _ = u.to_update();
            }
            Ok(_) => {}
            Err(e) => {
                let _ = e.notification(&m);
            }
        }
    }
});
