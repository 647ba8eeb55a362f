//! Arbitrary owned values built from the input: encode with the UpdateBuilder, decode the
//! messages, and get the same prefixes and attributes back.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use bytes::BytesMut;
use ferrobgp_wire::{
    decode_message, frame, AsPath, Family, Message, Nlri, Origin, PathAttributes, UpdateBuilder,
};
use ipnet::{IpNet, Ipv4Net};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let ctx = context(data[0] & !4);
    let word = |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    let attrs = PathAttributes {
        origin: Origin::from_u8(data[1] % 3),
        as_path: Some(AsPath::sequence(vec![word(2), word(6)])),
        next_hop: Some(IpAddr::V4(Ipv4Addr::from(word(10)))),
        med: (data[14] & 1 != 0).then(|| word(2)),
        communities: data[15..].chunks(4).take(8).map(|c| c.iter().fold(0u32, |a, &b| a << 8 | b as u32)).collect(),
        ..Default::default()
    };
    let nlri: Vec<Nlri> = data[16..]
        .chunks_exact(5)
        .map(|c| Nlri::Prefix {
            prefix: IpNet::V4(
                Ipv4Net::new(Ipv4Addr::new(c[0], c[1], c[2], c[3]), c[4] % 33).unwrap().trunc(),
            ),
            path_id: None,
        })
        .collect();
    let mut out = BytesMut::new();
    UpdateBuilder::new(&ctx).announce(Family::IPV4_UNICAST, &attrs, &nlri, &mut out);
    let mut buf = out.freeze();
    let mut got = Vec::new();
    while !buf.is_empty() {
        let len = frame(&buf, ctx.max_message_len()).unwrap().unwrap();
        let Ok(Message::Update(u)) = decode_message(buf.split_to(len), &ctx) else {
            panic!("builder output does not decode")
        };
        let back = u.to_update();
        if !ctx.asn4 {
            // 2-octet sessions carry the ASNs through AS4_PATH; compared in the proptests.
        } else {
            assert_eq!(back.attributes, attrs);
        }
        got.extend(back.announced.into_iter().map(|(_, n)| n));
    }
    assert_eq!(got, nlri);
});
