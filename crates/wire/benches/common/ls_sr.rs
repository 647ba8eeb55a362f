//! The BGP-LS and SR Policy UPDATEs of the codec benches (`codec.rs` times them,
//! `allocs.rs` counts their allocations).

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::*;

fn attrs() -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(vec![65001, 65002, 65003])),
        next_hop: Some("192.0.2.1".parse().unwrap()),
        ..Default::default()
    }
}

/// Extended messages: 100 BGP-LS link NLRI do not fit 4096 octets.
pub fn ctx_ext() -> SessionContext {
    SessionContext {
        extended_message: true,
        asn4: true,
        ..Default::default()
    }
}

/// A BGP-LS attribute of 12 TLVs, as a router's link would carry (router ids, metrics,
/// bandwidths, an SR adjacency SID, a name).
fn ls_attribute() -> RawAttribute {
    let mut v = Vec::new();
    let mut tlv = |code: u16, val: &[u8]| {
        v.extend_from_slice(&code.to_be_bytes());
        v.extend_from_slice(&(val.len() as u16).to_be_bytes());
        v.extend_from_slice(val);
    };
    tlv(1028, &[10, 0, 0, 1]);
    tlv(1030, &[10, 0, 0, 2]);
    tlv(1026, b"core-router-1");
    tlv(1088, &[0, 0, 0, 1]);
    tlv(1089, &0x4cee_6b28u32.to_be_bytes());
    tlv(1090, &0x4cee_6b28u32.to_be_bytes());
    tlv(1091, &[0x4c, 0xee, 0x6b, 0x28].repeat(8));
    tlv(1092, &[0, 0, 0, 10]);
    tlv(1095, &[0, 0, 10]);
    tlv(1099, &[0x30, 0, 0, 0, 0x01, 0x86, 0xA1]);
    tlv(1114, &[0, 0, 0x03, 0xE8]);
    tlv(1024, &[0x80]);
    RawAttribute {
        flags: model::attr_flag::OPTIONAL,
        code: bgpls::BGP_LS_ATTRIBUTE,
        value: v.into(),
    }
}

pub fn ls_update(n: u32) -> Bytes {
    use bgpls::{BgpLs, LsTlv, NodeDescriptor};
    let node = |k: u32| {
        vec![
            NodeDescriptor::AutonomousSystem(65000),
            NodeDescriptor::BgpLsIdentifier(0),
            NodeDescriptor::OspfAreaId([0, 0, 0, 0].into()),
            NodeDescriptor::IgpRouterId(Bytes::copy_from_slice(&k.to_be_bytes())),
        ]
    };
    let routes: Vec<Nlri> = (0..n)
        .map(|i| {
            BgpLs {
                nlri_type: bgpls::nlri_type::LINK,
                rd: None,
                protocol_id: 3,
                identifier: 0,
                tlvs: vec![
                    LsTlv::LocalNode(node(i)),
                    LsTlv::RemoteNode(node(i + 1)),
                    LsTlv::LinkIdentifiers {
                        local: i,
                        remote: i + 1,
                    },
                    LsTlv::InterfaceAddress([10, 1, (i >> 8) as u8, i as u8].into()),
                    LsTlv::NeighborAddress([10, 2, (i >> 8) as u8, i as u8].into()),
                ],
            }
            .to_nlri()
            .unwrap()
        })
        .collect();
    let mut a = attrs();
    a.unknown.push(ls_attribute());
    let mut out = BytesMut::new();
    UpdateBuilder::new(&ctx_ext()).announce(Family::BGP_LS, &a, &routes, &mut out);
    out.freeze()
}

/// One SR Policy NLRI whose tunnel has `n` segment lists of 4 segments (MPLS and SRv6).
pub fn sr_update(n: u32) -> Bytes {
    use srpolicy::{BindingSid, Segment, SegmentList, SrPolicy, TunnelEncapsulation, TunnelSubTlv};
    let mut subs = vec![
        TunnelSubTlv::Preference {
            flags: 0,
            preference: 100,
        },
        TunnelSubTlv::BindingSid {
            flags: 0,
            sid: BindingSid::Mpls((24000 << 12) | 0x100),
        },
        TunnelSubTlv::PolicyName(Bytes::from_static(b"policy")),
    ];
    for i in 0..n {
        subs.push(TunnelSubTlv::SegmentList(SegmentList {
            weight: Some((0, i + 1)),
            segments: vec![
                Segment::mpls(16001),
                Segment::mpls(16002 + i),
                Segment::srv6("2001:db8::1".parse().unwrap(), None),
                Segment::mpls(16100),
            ],
        }));
    }
    let mut a = attrs();
    a.unknown
        .push(TunnelEncapsulation::sr_policy(subs).to_attribute().unwrap());
    let routes = [SrPolicy::new(1, 100, "10.0.0.1".parse().unwrap()).to_nlri()];
    let mut out = BytesMut::new();
    UpdateBuilder::new(&ctx_ext()).announce(Family::IPV4_SR_POLICY, &a, &routes, &mut out);
    out.freeze()
}
