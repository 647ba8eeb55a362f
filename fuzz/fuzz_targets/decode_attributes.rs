//! A path attribute list alone (with a fixed prefix as NLRI so every RFC 7606 rule is
//! exercised): decode, re-encode the owned attributes, decode again: same attributes.
#![no_main]

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::{encode_update, Update, UpdateView};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Some((&c, attrs)) = data.split_first() else {
        return;
    };
    if attrs.len() > 4000 {
        return;
    }
    let ctx = context(c & !4);
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(attrs);
    body.extend_from_slice(&[24, 192, 0, 2]);
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    m.push(2);
    m.extend_from_slice(&body);
    let Ok(u) = UpdateView::parse(Bytes::from(m), &ctx) else {
        return;
    };
    if !u.problems().is_empty() {
        return;
    }
    let owned: Update = u.to_update();
    let mut out = BytesMut::new();
    encode_update(&owned, &ctx, &mut out);
    if out.len() > ctx.max_message_len() {
        return;
    }
    let again = UpdateView::parse(out.freeze(), &ctx).expect("re-encoded UPDATE decodes");
    assert_eq!(again.to_update().attributes, owned.attributes);
});
