//! The unicast UPDATEs of the codec benches (`codec.rs` times them, `allocs.rs` counts their
//! allocations): ORIGIN, 4-octet AS_PATH of 3-7 hops, NEXT_HOP, MED, 2 communities, N IPv4
//! /24s.

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::*;

pub fn ctx() -> SessionContext {
    SessionContext {
        asn4: true,
        ..Default::default()
    }
}

pub fn attrs(hops: u32) -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(
            (0..hops).map(|i| 65000 + i).collect::<Vec<_>>(),
        )),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        med: Some(100),
        communities: vec![0xfde8_0001, 0xfde8_0002],
        ..Default::default()
    }
}

pub fn prefixes(n: u32) -> Vec<Nlri> {
    (0..n)
        .map(|i| Nlri::Prefix {
            prefix: format!("10.{}.{}.0/24", (i / 256) % 256, i % 256)
                .parse()
                .unwrap(),
            path_id: None,
        })
        .collect()
}

pub fn update_bytes(n: u32) -> Bytes {
    let mut out = BytesMut::new();
    let c = ctx();
    UpdateBuilder::new(&c).announce(
        Family::IPV4_UNICAST,
        &attrs(3 + n % 5),
        &prefixes(n),
        &mut out,
    );
    out.freeze()
}
