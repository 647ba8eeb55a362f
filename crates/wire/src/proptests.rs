//! Round trips: encode → decode → equal, for every message, attribute and NLRI type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{Bytes, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::encode::{encode_end_of_rib, encode_update, UpdateBuilder};
use crate::extcommunity::{ExtendedCommunity, Ipv6ExtendedCommunity};
use crate::message::{
    decode_message, encode_keepalive, encode_notification, encode_open, encode_route_refresh,
    Message,
};
use crate::model::*;
use crate::update::Update;

fn v4net() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 0u8..=32)
        .prop_map(|(a, l)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc()))
}

fn v6net() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128)
        .prop_map(|(a, l)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), l).unwrap().trunc()))
}

fn labels() -> impl Strategy<Value = Labels> {
    // Reserved values 0-15 are not generated: a 0 word means "withdraw" in MP_UNREACH.
    vec(16u32..(1 << 20), 1..=2).prop_map(Labels)
}

fn rd() -> impl Strategy<Value = RouteDistinguisher> {
    any::<[u8; 8]>().prop_map(RouteDistinguisher)
}

/// A family, with NLRI of it (add-path ids when `add_path`).
fn family_and_nlri(add_path: bool) -> impl Strategy<Value = (Family, Vec<Nlri>)> {
    let id = move || {
        if add_path {
            any::<u32>().prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        }
    };
    let fams = vec![
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_MULTICAST,
        Family::IPV6_MULTICAST,
        Family::IPV4_MPLS_LABEL,
        Family::IPV6_MPLS_LABEL,
        Family::IPV4_MPLS_VPN,
        Family::IPV6_MPLS_VPN,
    ];
    proptest::sample::select(fams).prop_flat_map(move |f| {
        let net = if f.afi == Afi::IPV4 {
            v4net().boxed()
        } else {
            v6net().boxed()
        };
        let one = match f.safi {
            Safi::MPLS_LABEL => (net, labels(), id())
                .prop_map(|(prefix, labels, path_id)| Nlri::Labeled {
                    prefix,
                    labels,
                    path_id,
                })
                .boxed(),
            Safi::MPLS_VPN => (net, labels(), rd(), id())
                .prop_map(|(prefix, labels, rd, path_id)| Nlri::Vpn {
                    rd,
                    labels,
                    prefix,
                    path_id,
                })
                .boxed(),
            _ => (net, id())
                .prop_map(|(prefix, path_id)| Nlri::Prefix { prefix, path_id })
                .boxed(),
        };
        (Just(f), vec(one, 1..8))
    })
}

fn as_path(only_seq_set: bool) -> impl Strategy<Value = AsPath> {
    let kinds = if only_seq_set {
        vec![SegmentType::Sequence, SegmentType::Set]
    } else {
        vec![
            SegmentType::Sequence,
            SegmentType::Set,
            SegmentType::ConfedSequence,
            SegmentType::ConfedSet,
        ]
    };
    vec(
        (proptest::sample::select(kinds), vec(any::<u32>(), 1..6))
            .prop_map(|(kind, asns)| AsSegment { kind, asns }),
        0..4,
    )
    .prop_map(|segments| AsPath { segments })
}

fn unknown_attrs() -> impl Strategy<Value = Vec<RawAttribute>> {
    let codes: Vec<u8> = (1..=255u8)
        .filter(|c| !crate::update::is_modelled(*c))
        .collect();
    proptest::collection::btree_map(
        proptest::sample::select(codes),
        (
            proptest::sample::select(vec![0xc0u8, 0x80, 0xe0, 0xd0, 0x90]),
            vec(any::<u8>(), 0..40),
        ),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(code, (flags, v))| RawAttribute {
                flags,
                code,
                value: Bytes::from(v),
            })
            .collect()
    })
}

fn attributes(family: Family, only_seq_set: bool) -> impl Strategy<Value = PathAttributes> {
    let nh = if family.afi == Afi::IPV4 {
        any::<u32>()
            .prop_map(|a| (Some(IpAddr::V4(a.into())), None))
            .boxed()
    } else {
        (any::<u128>(), proptest::option::of(any::<u128>()))
            .prop_map(|(a, l)| (Some(IpAddr::V6(a.into())), l.map(Ipv6Addr::from)))
            .boxed()
    };
    let part1 = (
        proptest::option::of(proptest::sample::select(vec![
            Origin::Igp,
            Origin::Egp,
            Origin::Incomplete,
        ])),
        proptest::option::of(as_path(only_seq_set)),
        nh,
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
        any::<bool>(),
        proptest::option::of(
            (any::<u32>(), any::<u32>()).prop_map(|(asn, ip)| Aggregator { asn, ip: ip.into() }),
        ),
        vec(any::<u32>(), 0..4),
    );
    let part2 = (
        proptest::option::of(any::<u32>().prop_map(Ipv4Addr::from)),
        vec(any::<u32>().prop_map(Ipv4Addr::from), 0..3),
        vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 0..3),
        vec(any::<[u8; 20]>().prop_map(Ipv6ExtendedCommunity), 0..2),
        proptest::option::of(any::<u64>()),
        vec(any::<[u32; 3]>(), 0..3),
        proptest::option::of(any::<u32>()),
        unknown_attrs(),
    );
    (part1, part2).prop_map(
        |(
            (
                origin,
                as_path,
                (next_hop, ll),
                med,
                local_pref,
                atomic_aggregate,
                aggregator,
                communities,
            ),
            (
                originator_id,
                cluster_list,
                extended_communities,
                ipv6_extended_communities,
                aigp,
                large_communities,
                otc,
                unknown,
            ),
        )| PathAttributes {
            origin,
            as_path,
            next_hop,
            next_hop_link_local: ll,
            med,
            local_pref,
            atomic_aggregate,
            aggregator,
            communities,
            originator_id,
            cluster_list,
            extended_communities,
            ipv6_extended_communities,
            aigp,
            large_communities,
            otc,
            unknown,
        },
    )
}

fn ctx(asn4: bool, add_path: bool) -> SessionContext {
    let fams: Vec<Family> = if add_path {
        vec![
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_MULTICAST,
            Family::IPV6_MULTICAST,
            Family::IPV4_MPLS_LABEL,
            Family::IPV6_MPLS_LABEL,
            Family::IPV4_MPLS_VPN,
            Family::IPV6_MPLS_VPN,
        ]
    } else {
        vec![]
    };
    SessionContext {
        asn4,
        extended_message: true,
        add_path_receive: fams.clone(),
        add_path_send: fams,
        ..Default::default()
    }
}

fn decode_update(b: BytesMut, ctx: &SessionContext) -> crate::update::UpdateView {
    match decode_message(b.freeze(), ctx) {
        Ok(Message::Update(u)) => u,
        other => panic!("{other:?}"),
    }
}

fn update_case() -> impl Strategy<Value = (bool, bool, Update)> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(asn4, add_path)| {
        (family_and_nlri(add_path), family_and_nlri(add_path)).prop_flat_map(
            move |((fa, ann), (fw, wd))| {
                (attributes(fa, !asn4), Just(ann), Just(wd)).prop_map(
                    move |(mut attrs, ann, wd)| {
                        // RFC 6793 §4.2.3: a real 2-octet AGGREGATOR makes AS4_PATH ignored, so a
                        // 2-octet session cannot carry that combination.
                        if let Some(ag) = attrs.aggregator.as_mut() {
                            if !asn4 && ag.asn <= 0xffff {
                                ag.asn += 0x10000;
                            }
                        }
                        let mp = (fa != Family::IPV4_UNICAST).then_some(fa);
                        (
                            asn4,
                            add_path,
                            Update {
                                withdrawn: wd.into_iter().map(|n| (fw, n)).collect(),
                                attributes: attrs,
                                announced: ann.into_iter().map(|n| (fa, n)).collect(),
                                end_of_rib: None,
                                mp_reach_family: mp,
                            },
                        )
                    },
                )
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every attribute and NLRI type through one UPDATE, on 2- and 4-octet sessions, with
    /// and without ADD-PATH.
    #[test]
    fn update_round_trip((asn4, add_path, u) in update_case()) {
        let ctx = ctx(asn4, add_path);
        let mut out = BytesMut::new();
        encode_update(&u, &ctx, &mut out);
        let v = decode_update(out, &ctx);
        let mut back = v.to_update();
        // NEXT_HOP is absent from the message when there is no IPv4 next hop to carry.
        if u.attributes.next_hop.is_none() { back.attributes.next_hop = None; }
        let errors: Vec<_> = v.problems().iter()
            .filter(|p| !matches!(p.kind, crate::ErrorKind::MissingWellKnownAttribute(_)))
            .collect();
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(back, u);
    }

    /// The builder packs NLRI into messages no larger than the limit, in order, each
    /// carrying the attribute set.
    #[test]
    fn builder_packs_and_splits(
        (fam, nlri) in family_and_nlri(false),
        extra in vec(v4net(), 0..600),
        max in prop_oneof![Just(4096usize), Just(512usize), Just(65535usize)],
    ) {
        let ctx = ctx(true, false);
        let attrs = PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(vec![65000, 65001])),
            next_hop: Some(if fam.afi == Afi::IPV4 {
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))
            } else {
                IpAddr::V6("2001:db8::1".parse().unwrap())
            }),
            med: Some(5),
            communities: vec![1, 2],
            ..Default::default()
        };
        let mut all = nlri;
        if fam == Family::IPV4_UNICAST || fam == Family::IPV4_MULTICAST {
            all.extend(extra.into_iter().map(|prefix| Nlri::Prefix { prefix, path_id: None }));
        }
        let b = UpdateBuilder::new(&ctx).with_max_len(max);
        let mut out = BytesMut::new();
        let n = b.announce(fam, &attrs, &all, &mut out);
        let mut buf = out.freeze();
        let mut got = Vec::new();
        let mut count = 0;
        while !buf.is_empty() {
            let len = crate::frame(&buf, 65535).unwrap().unwrap();
            prop_assert!(len <= max);
            let m = buf.split_to(len);
            let v = match decode_message(m, &ctx) { Ok(Message::Update(v)) => v, o => panic!("{o:?}") };
            let u = v.to_update();
            prop_assert_eq!(&u.attributes, &attrs);
            got.extend(u.announced.into_iter().map(|(_, n)| n));
            count += 1;
        }
        prop_assert_eq!(count, n);
        prop_assert_eq!(got, all.clone());

        // Withdrawals likewise.
        let mut out = BytesMut::new();
        b.withdraw(fam, &all, &mut out);
        let mut buf = out.freeze();
        let mut got = Vec::new();
        while !buf.is_empty() {
            let len = crate::frame(&buf, 65535).unwrap().unwrap();
            prop_assert!(len <= max);
            let v = match decode_message(buf.split_to(len), &ctx) { Ok(Message::Update(v)) => v, o => panic!("{o:?}") };
            got.extend(v.to_update().withdrawn.into_iter().map(|(_, n)| n));
        }
        prop_assert_eq!(got, all);
    }

    #[test]
    fn end_of_rib_round_trip(afi in any::<u16>(), safi in any::<u8>()) {
        let f = Family::new(Afi(afi), Safi(safi));
        let mut out = BytesMut::new();
        encode_end_of_rib(f, &mut out);
        let v = decode_update(out, &SessionContext::default());
        prop_assert_eq!(v.end_of_rib(), Some(f));
    }

    #[test]
    fn open_round_trip(open in open_strategy()) {
        let mut out = BytesMut::new();
        encode_open(&open, &mut out);
        match decode_message(out.freeze(), &SessionContext::default()) {
            Ok(Message::Open(o)) => prop_assert_eq!(o, open),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn notification_round_trip(code in any::<u8>(), subcode in any::<u8>(), data in vec(any::<u8>(), 0..200)) {
        let n = Notification::new(code, subcode, data);
        let mut out = BytesMut::new();
        encode_notification(&n, &mut out);
        match decode_message(out.freeze(), &SessionContext::default()) {
            Ok(Message::Notification(m)) => prop_assert_eq!(m, n),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn route_refresh_round_trip(afi in any::<u16>(), safi in any::<u8>(), subtype in 0u8..3) {
        let r = RouteRefresh { family: Family::new(Afi(afi), Safi(safi)), subtype };
        let mut out = BytesMut::new();
        encode_route_refresh(&r, &mut out);
        match decode_message(out.freeze(), &SessionContext::default()) {
            Ok(Message::RouteRefresh(m)) => prop_assert_eq!(m, r),
            other => panic!("{other:?}"),
        }
    }

    /// Nothing panics on arbitrary bytes behind a valid header.
    #[test]
    fn arbitrary_bodies_never_panic(t in 1u8..6, body in vec(any::<u8>(), 0..300), asn4 in any::<bool>(), ap in any::<bool>()) {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
        m.push(t);
        m.extend_from_slice(&body);
        let ctx = ctx(asn4, ap);
        if let Ok(Message::Update(u)) = decode_message(Bytes::from(m), &ctx) {
            let _ = u.to_update();
        }
    }
}

fn fam_any() -> impl Strategy<Value = Family> {
    (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family::new(Afi(a), Safi(s)))
}

fn capability() -> impl Strategy<Value = Capability> {
    let known = [1u8, 2, 5, 6, 64, 65, 68, 69, 70, 73, 75, 77, 128, 131];
    let text = || "[a-zA-Z0-9.-]{0,30}";
    prop_oneof![
        fam_any().prop_map(Capability::Multiprotocol),
        Just(Capability::RouteRefresh),
        Just(Capability::RouteRefreshCisco),
        Just(Capability::EnhancedRouteRefresh),
        Just(Capability::ExtendedMessage),
        Just(Capability::LinkLocalNextHop),
        any::<u32>().prop_map(Capability::FourOctetAsn),
        vec(
            (
                fam_any(),
                proptest::sample::select(vec![
                    AddPathMode::Receive,
                    AddPathMode::Send,
                    AddPathMode::Both
                ])
            ),
            0..4
        )
        .prop_map(Capability::AddPath),
        (
            0u8..16,
            0u16..4096,
            vec(
                (fam_any(), any::<u8>())
                    .prop_map(|(family, flags)| GracefulRestartFamily { family, flags }),
                0..4
            )
        )
            .prop_map(|(flags, time, families)| Capability::GracefulRestart {
                flags,
                time,
                families
            }),
        vec((fam_any(), any::<u16>().prop_map(Afi)), 0..4).prop_map(Capability::ExtendedNextHop),
        (text(), text()).prop_map(|(host, domain)| Capability::Fqdn { host, domain }),
        text().prop_map(Capability::SoftwareVersion),
        (any::<bool>(), vec(any::<u8>(), 0..6)).prop_map(|(cisco, v)| Capability::MultiSession {
            cisco,
            value: Bytes::from(v)
        }),
        (any::<u8>(), vec(any::<u8>(), 0..20))
            .prop_filter("unknown code", move |(c, _)| !known.contains(c))
            .prop_map(|(code, v)| Capability::Unknown {
                code,
                value: Bytes::from(v)
            }),
    ]
}

fn open_strategy() -> impl Strategy<Value = Open> {
    (
        any::<u16>(),
        any::<u16>().prop_filter("hold", |h| *h != 1 && *h != 2),
        any::<u32>(),
        vec(capability(), 0..40),
    )
        .prop_map(|(my_as, hold_time, id, capabilities)| Open {
            version: 4,
            my_as,
            hold_time,
            bgp_id: id.into(),
            capabilities,
        })
}

#[test]
fn keepalive_round_trip() {
    let mut out = BytesMut::new();
    encode_keepalive(&mut out);
    assert_eq!(out.len(), 19);
    assert!(matches!(
        decode_message(out.freeze(), &SessionContext::default()),
        Ok(Message::Keepalive)
    ));
}

/// BGP-LS NLRI with a BGP-LS attribute, or an SR Policy NLRI with its Tunnel Encapsulation
/// and Prefix-SID attributes: encoded from the owned forms into one UPDATE, decoded, and
/// read back through the views (no owned value on the way).
fn ls_or_sr_case() -> impl Strategy<Value = (bool, Vec<crate::bgpls::BgpLs>, Update)> {
    use crate::bgpls::BgpLs;
    use crate::prefix_sid::PrefixSid;
    use crate::srpolicy::{SrPolicy, TunnelEncapsulation};
    let ls = vec(
        (
            1u16..5,
            any::<u8>(),
            any::<u64>(),
            vec(crate::bgpls::tests::tlv(), 0..5),
        ),
        1..4,
    );
    // bgp-ls-vpn when the RD is there (every NLRI of the UPDATE then has one).
    let ls = (ls, proptest::option::of(any::<[u8; 8]>())).prop_map(|(v, rd)| {
        v.into_iter()
            .map(|(nlri_type, protocol_id, identifier, tlvs)| BgpLs {
                nlri_type,
                rd: rd.map(crate::model::RouteDistinguisher),
                protocol_id,
                identifier,
                tlvs,
            })
            .collect::<Vec<_>>()
    });
    let sr = (
        vec(crate::srpolicy::tests::sub(), 0..5),
        vec(crate::prefix_sid::tests::tlv(), 0..3),
        any::<(u32, u32, [u8; 4])>(),
    );
    (any::<bool>(), ls, sr, vec(any::<u8>(), 0..40)).prop_map(
        |(is_ls, ls, (subs, sids, (d, c, e)), ls_attr)| {
            let mut attributes = PathAttributes {
                origin: Some(Origin::Igp),
                as_path: Some(AsPath::sequence(vec![65000])),
                next_hop: Some(IpAddr::from([192, 0, 2, 1])),
                ..Default::default()
            };
            let (family, announced) = if is_ls {
                // Any bytes as the BGP-LS attribute: its JSON is written from them.
                attributes.unknown.push(RawAttribute {
                    flags: attr_flag::OPTIONAL,
                    code: crate::bgpls::BGP_LS_ATTRIBUTE,
                    value: Bytes::from(ls_attr),
                });
                let n = ls.iter().map(|n| n.to_nlri().unwrap()).collect::<Vec<_>>();
                let vpn = ls.first().is_some_and(|n| n.rd.is_some());
                let family = if vpn {
                    Family::BGP_LS_VPN
                } else {
                    Family::BGP_LS
                };
                (family, n)
            } else {
                attributes
                    .unknown
                    .push(TunnelEncapsulation::sr_policy(subs).to_attribute().unwrap());
                attributes
                    .unknown
                    .push(PrefixSid { tlvs: sids }.to_attribute().unwrap());
                let n = SrPolicy::new(d, c, IpAddr::from(e)).to_nlri();
                (Family::IPV4_SR_POLICY, vec![n])
            };
            let u = Update {
                withdrawn: Vec::new(),
                attributes,
                announced: announced.into_iter().map(|n| (family, n)).collect(),
                end_of_rib: None,
                mp_reach_family: Some(family),
            };
            (is_ls, ls, u)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ls_and_sr_policy_views_round_trip((is_ls, ls, u) in ls_or_sr_case()) {
        use crate::bgpls::BgpLsView;
        use crate::prefix_sid::PrefixSidView;
        use crate::srpolicy::TunnelEncapsulationView;
        let ctx = ctx(true, false);
        let mut out = BytesMut::new();
        encode_update(&u, &ctx, &mut out);
        let v = decode_update(out, &ctx);
        prop_assert!(v.problems().is_empty(), "{:?}", v.problems());
        let r = v.mp_reach().unwrap();
        let wires: Vec<&[u8]> = r.nlri.map(|n| match n {
            crate::nlri::NlriView::Other { wire, .. } => wire,
            other => panic!("{other:?}"),
        }).collect();
        let mut json = Vec::new();
        if is_ls {
            prop_assert_eq!(wires.len(), ls.len());
            for (w, n) in wires.iter().zip(&ls) {
                prop_assert_eq!(&BgpLsView::parse_in(w, n.rd.is_some()).unwrap().to_owned(), n);
            }
        } else {
            for a in v.attributes() {
                let expected = u.attributes.unknown.iter().find(|x| x.code == a.code);
                match a.code {
                    crate::srpolicy::TUNNEL_ENCAPSULATION => {
                        let t = TunnelEncapsulationView::parse(a.value).unwrap().to_owned();
                        prop_assert_eq!(Some(&t.to_attribute().unwrap()), expected);
                    }
                    crate::prefix_sid::PREFIX_SID => {
                        let p = PrefixSidView::parse(a.value).unwrap().to_owned();
                        prop_assert_eq!(Some(&p.to_attribute().unwrap()), expected);
                    }
                    _ => {}
                }
            }
        }
        // The received UPDATE's JSON, written from the views, parses.
        crate::json::write_update_view(&mut json, &v);
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok(),
            "{}", String::from_utf8_lossy(&json));
    }
}
