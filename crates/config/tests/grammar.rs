//! Configuration and route grammar: values, defaults, templates, errors with positions.

use std::net::{IpAddr, Ipv4Addr};

use ferrobgp_config::route::{
    parse_attributes_nlri, parse_family_route, parse_flow_route, parse_route_attributes, parse_vpls,
};
use ferrobgp_config::*;
use ferrobgp_wire::model::{Family, Nlri, Origin, SegmentType};

fn parse(s: &str) -> Config {
    parse_str(s, "t.conf").unwrap_or_else(|e| panic!("{e}"))
}

fn err(s: &str) -> String {
    parse_str(s, "t.conf").unwrap_err().to_string()
}

const BASE: &str = "neighbor 10.0.0.1 { router-id 1.1.1.1; local-as 1; peer-as 2; ";

#[test]
fn neighbor_defaults_are_exabgps() {
    let c = parse(&format!("{BASE} }}"));
    let n = &c.neighbors[0];
    assert_eq!(n.hold_time, 180);
    assert!(n.group_updates && n.auto_flush && n.adj_rib_in && n.adj_rib_out);
    assert!(!n.manual_eor && !n.passive);
    assert!(n.capability.asn4 && n.capability.extended_message);
    assert!(!n.capability.route_refresh);
    assert_eq!(n.capability.graceful_restart, GracefulRestart::Disabled);
    assert!(!n.families_configured);
    assert_eq!(n.families.len(), ALL_FAMILIES.len());
}

#[test]
fn neighbor_settings() {
    let c = parse(
        "process p { run /bin/cat -u; encoder json; respawn false; }
         neighbor 10.0.0.1 {
           description \"a b\"; router-id 1.1.1.1; local-address 10.0.0.2; local-as 65000;
           peer-as auto; hold-time 9; passive; listen 1179; connect 1180; md5-password s3cr3t;
           outgoing-ttl 2; incoming-ttl 254; group-updates false; auto-flush false;
           adj-rib-out false; manual-eor true; host-name h; domain-name d.example;
           family { ipv4 unicast; ipv6 flow; }
           capability { route-refresh; graceful-restart; add-path send/receive; asn4 disable; }
           add-path { ipv4 unicast; ipv6 unicast limit 4; }
           nexthop { ipv4 unicast ipv6; }
           api speaking { processes [ p ]; neighbor-changes; receive { parsed; update; } send { packets; } }
         }",
    );
    let p = &c.processes[0];
    assert_eq!(p.run, ["/bin/cat", "-u"]);
    assert_eq!(p.encoder, Some(Encoder::Json));
    assert!(!p.respawn);
    let n = &c.neighbors[0];
    assert_eq!(n.description.as_deref(), Some("a b"));
    assert_eq!(n.peer_as, Some(Auto::Auto));
    assert_eq!(n.hold_time, 9);
    assert!(n.passive && n.manual_eor && !n.group_updates && !n.auto_flush && !n.adj_rib_out);
    assert_eq!((n.listen, n.connect), (Some(1179), Some(1180)));
    assert_eq!((n.outgoing_ttl, n.incoming_ttl), (Some(2), Some(254)));
    assert_eq!(n.families, [Family::IPV4_UNICAST, Family::IPV6_FLOW]);
    assert!(n.capability.route_refresh && !n.capability.asn4);
    assert_eq!(n.capability.graceful_restart_time(n.hold_time), Some(9));
    assert_eq!(n.add_path[1].limit, Some(4));
    assert_eq!(n.nexthop.len(), 1);
    let api = &n.api[0];
    assert_eq!(api.name.as_deref(), Some("speaking"));
    assert!(api.neighbor_changes && api.receive.parsed && api.receive.update && api.send.packets);
    assert!(!api.receive.keepalive);
}

#[test]
fn templates_inherit_and_neighbor_overrides() {
    let c = parse(
        "template { neighbor t { local-as 5; peer-as 6; hold-time 30; static { route 1.0.0.0/8 next-hop 1.1.1.1; } } }
         neighbor 10.0.0.1 { inherit t; router-id 1.1.1.1; hold-time 40; static { route 2.0.0.0/8 next-hop 1.1.1.1; } }",
    );
    let n = &c.neighbors[0];
    assert_eq!(n.local_as, Some(Auto::Value(5)));
    assert_eq!(n.hold_time, 40);
    assert_eq!(n.routes.len(), 2);
    assert_eq!(n.inherit, ["t"]);
    assert!(err("neighbor 10.0.0.1 { inherit nope; }").contains("no template named 'nope'"));
    // Loops are caught.
    let e = err("template { neighbor a { inherit b; } neighbor b { inherit a; } } neighbor 1.1.1.1 { inherit a; }");
    assert!(e.contains("loop"), "{e}");
}

#[test]
fn errors_say_file_line_column_and_what_was_expected() {
    assert_eq!(
        err("neighbor 10.0.0.1 {\n  hold-time 180 3;\n}"),
        "t.conf:2:17: expected ';' after hold-time value, found '3'"
    );
    assert_eq!(
        err("neighbor 10.0.0.1 {\n  hold-time x;\n}"),
        "t.conf:2:13: expected a hold time in seconds (0 or 3 to 65535), found 'x'"
    );
    assert_eq!(
        err("neighbor 10.0.0.1 {\n\tbogus 1;\n}"),
        "t.conf:2:2: unknown keyword 'bogus' in neighbor"
    );
    assert!(
        err("neighbor 10.0.0.1 {\n  static { route 10.0.0.0/24 next-hop 1.2.3; }\n}")
            .starts_with("t.conf:2:39: expected an IP address")
    );
    assert!(err("neighbor 10.0.0.1 {").contains("t.conf:1:19"));
    // Like ExaBGP, a missing ';' before '}' is tolerated.
    assert_eq!(
        parse("neighbor 10.0.0.1 { router-id 1.1.1.1 }")
            .neighbors
            .len(),
        1
    );
    assert!(err("foo { }").starts_with("t.conf:1:1: unknown keyword 'foo'"));
    assert!(err("neighbor 10.0.0.1 { description \"x; }").contains("unterminated"));
    assert!(err("neighbor 10.0.0.1 { hold-time 2; }").contains("RFC 4271"));
}

#[test]
fn every_route_attribute() {
    let r = parse_route_attributes(
        "10.0.0.0/24 next-hop 1.2.3.4 origin egp as-path [ 1 2 ( 3 4 ) ] med 10 local-preference 20 \
         atomic-aggregate aggregator ( 65000:1.2.3.4 ) community [ 1:2 no-export blackhole nopeer ] \
         extended-community [ target:65000:1 origin:1.2.3.4:5 ] large-community [ 1:2:3 ] \
         originator-id 9.9.9.9 cluster-list [ 1.1.1.1 2.2.2.2 ] aigp 100 path-information 7 \
         name n1 watchdog w1 withdraw attribute [ 0x99 0xc0 0x0102 ]",
    )
    .unwrap();
    let a = &r.attributes;
    assert_eq!(r.family, Family::IPV4_UNICAST);
    assert_eq!(a.next_hop, Some(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))));
    assert_eq!(a.origin, Some(Origin::Egp));
    let p = a.as_path.as_ref().unwrap();
    assert_eq!(p.segments.len(), 2);
    assert_eq!(p.segments[1].kind, SegmentType::Set);
    assert_eq!((a.med, a.local_pref), (Some(10), Some(20)));
    assert!(a.atomic_aggregate);
    assert_eq!(a.aggregator.unwrap().asn, 65000);
    assert_eq!(
        a.communities,
        [0x0001_0002, 0xFFFF_FF01, 0xFFFF_029A, 0xFFFF_FF04]
    );
    assert_eq!(a.extended_communities.len(), 2);
    assert_eq!(a.large_communities, [[1, 2, 3]]);
    assert_eq!(a.cluster_list.len(), 2);
    assert_eq!(a.aigp, Some(100));
    assert_eq!(r.nlri[0].path_id(), Some(7));
    assert_eq!(
        (r.name.as_deref(), r.watchdog.as_deref(), r.withdraw),
        (Some("n1"), Some("w1"), true)
    );
    assert_eq!(a.unknown[0].code, 0x99);
    assert_eq!(&a.unknown[0].value[..], &[1, 2]);
}

#[test]
fn next_hop_self_label_rd_split() {
    let r = parse_route_attributes("10.0.0.0/24 next-hop self").unwrap();
    assert!(r.next_hop_self);
    let r = parse_route_attributes("10.0.0.0/24 rd 65000:1 label 1000 next-hop 1.1.1.1 split /26")
        .unwrap();
    assert_eq!(r.family, Family::IPV4_MPLS_VPN);
    assert_eq!(r.nlri.len(), 4);
    assert!(
        matches!(&r.nlri[3], Nlri::Vpn { prefix, .. } if prefix.to_string() == "10.0.0.192/26")
    );
    let r = parse_route_attributes("10.0.0.1 label [ 16 ] next-hop 1.1.1.1").unwrap();
    assert_eq!(r.family, Family::IPV4_MPLS_LABEL);
    assert_eq!(r.nlri[0].prefix().unwrap().to_string(), "10.0.0.1/32");
    assert!(parse_route_attributes("10.0.0.0/24 split /23").is_err());
    assert!(parse_route_attributes("10.0.0.0/8 split /32").is_err());
    assert!(parse_route_attributes("::/0 split /128").is_err());
    // More than the former 65,536-prefix limit from one line (ExaBGP has none).
    let r = parse_route_attributes("0.0.0.0/7 next-hop 1.1.1.1 split /24").unwrap();
    assert_eq!(r.nlri.len(), 1 << 17);
    assert_eq!(
        r.nlri[(1 << 17) - 1].prefix().unwrap().to_string(),
        "1.255.255.0/24"
    );
}

#[test]
fn api_entry_points() {
    let r = parse_attributes_nlri("next-hop 1.2.3.4 med 5 nlri 10.0.0.0/24 10.0.1.0/24").unwrap();
    assert_eq!(r.nlri.len(), 2);
    let ParsedRoute::Route(r) =
        parse_family_route("ipv6 unicast 2001:db8::/32 next-hop ::1").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.family, Family::IPV6_UNICAST);
    let ParsedRoute::Route(r) =
        parse_family_route("ipv4 multicast 224.0.0.0/24 next-hop 1.1.1.1").unwrap()
    else {
        panic!()
    };
    assert_eq!(r.family, Family::IPV4_MULTICAST);
    assert!(parse_family_route("ipv4 unicast 2001:db8::/32 next-hop ::1").is_err());
    let ParsedRoute::Route(m) = parse_family_route(
        "ipv4 mcast-vpn source-ad source 10.99.12.4 group 239.251.255.228 rd 65000:99999 next-hop 10.10.6.4",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(m.family, Family::IPV4_MCAST_VPN);
    let Nlri::Raw { bytes, .. } = &m.nlri[0] else {
        panic!()
    };
    // conf-mvpn.ci
    assert_eq!(
        bytes[..],
        [
            0x05, 0x12, 0x00, 0x00, 0xFD, 0xE8, 0x00, 0x01, 0x86, 0x9F, 0x20, 0x0A, 0x63, 0x0C,
            0x04, 0x20, 0xEF, 0xFB, 0xFF, 0xE4
        ]
    );
    assert!(parse_family_route("ipv4 mcast-vpn source-ad source 1.1.1.1 rd 1:1").is_err());
    assert!(parse_family_route("ipv4 mcast-vpn source-ad source ::1 group ::2 rd 1:1").is_err());
    let f = parse_flow_route("{ match { source 10.0.0.1/32; protocol tcp; } then { discard; } }")
        .unwrap();
    assert_eq!(f.family, Family::IPV4_FLOW);
    assert_eq!(f.flow.unwrap().spec.components.len(), 2);
    let f =
        parse_flow_route("source 10.0.0.1/32 destination-port =80 rd 1:1 rate-limit 100").unwrap();
    assert_eq!(f.family, Family::IPV4_FLOW_VPN);
    let ParsedRoute::Route(f) = parse_family_route(
        "ipv4 flow destination-ipv4 0.0.0.0/32 protocol =tcp extended-community [rate-limit:0]",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(f.attributes.extended_communities.len(), 1);
    let v = parse_vpls(
        "rd 192.168.201.1:123 endpoint 5 base 10702 offset 1 size 8 next-hop 192.168.201.1",
    )
    .unwrap();
    let Nlri::Raw { bytes, .. } = &v.nlri[0] else {
        panic!()
    };
    // From ExaBGP's conf-l2vpn.ci capture.
    assert_eq!(
        bytes[..],
        [
            0x00, 0x11, 0x00, 0x01, 0xC0, 0xA8, 0xC9, 0x01, 0x00, 0x7B, 0x00, 0x05, 0x00, 0x01,
            0x00, 0x08, 0x02, 0x9C, 0xE1
        ]
    );
    let e = parse_route_attributes("10.0.0.0/24 next-hop 1.1.1.1 med x").unwrap_err();
    assert_eq!(e.pos(), Pos::new(1, 34));
    let e = parse_route_attributes("10.0.0.0/24 colour blue").unwrap_err();
    assert_eq!(e.to_string(), "1:13: unknown keyword 'colour' in a route");
}

#[test]
fn prefix_sid_matches_exabgp_bytes() {
    let r = parse_route_attributes("198.51.100.101/32 next-hop 1.1.1.1 label [ 800002 ] bgp-prefix-sid [ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ]").unwrap();
    let u = &r.attributes.unknown[0];
    assert_eq!(u.code, 40);
    let hex: String = u.value.iter().map(|b| format!("{b:02X}")).collect();
    // The attribute value in ExaBGP's conf-prefix-sid.ci capture (after C0 28 1B).
    assert_eq!(
        hex,
        "0100070000000000012C03000E00000C35000010000F4240001388"
    );
}

#[test]
fn display_round_trips() {
    for text in [
        "10.0.0.0/24 next-hop 1.2.3.4 origin igp as-path [ 1 2 ( 3 4 ) ] med 10 local-preference 100 community [ 1:2 no-export ] large-community [ 1:2:3 ]",
        "10.0.0.0/24 rd 65000:1 label [ 1000 ] next-hop self extended-community [ 0x0002fde800000001 ]",
        "2001:db8::/32 next-hop ::1 atomic-aggregate aggregator ( 1:1.2.3.4 ) originator-id 1.1.1.1 cluster-list [ 2.2.2.2 ] aigp 5 attribute [ 0x99 0xc0 0x0102 ] name x watchdog y withdraw",
    ] {
        let r = parse_route_attributes(text).unwrap();
        let again = parse_route_attributes(&r.to_string()).unwrap();
        assert_eq!(again.attributes, r.attributes, "{r}");
        assert_eq!(again.nlri, r.nlri);
    }
}

#[test]
fn environment_from_iter() {
    let e = Environment::from_iter([("exabgp_tcp_port", "1790")]).unwrap();
    assert_eq!(e.tcp_port, 1790);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tokenizer_and_parser_never_panic(s in "\\PC{0,200}") {
            let _ = lexer::tokenize(&s);
            let _ = parse_str(&s, "p.conf");
            let _ = parse_route_attributes(&s);
            let _ = parse_flow_route(&s);
            let _ = parse_family_route(&s);
        }

        #[test]
        fn grammar_shaped_input_never_panics(
            words in proptest::collection::vec(prop_oneof![
                Just("neighbor"), Just("{"), Just("}"), Just(";"), Just("["), Just("]"), Just("("), Just(")"),
                Just("route"), Just("static"), Just("10.0.0.0/24"), Just("next-hop"), Just("split"), Just("/25"),
                Just("as-path"), Just("flow"), Just("match"), Just("then"), Just("source"), Just("1.1.1.1"),
                Just("\\\n"), Just("#x\n"), Just("\""), Just("template"), Just("inherit"), Just("x"),
            ], 0..60)
        ) {
            let s = words.join(" ");
            let _ = parse_str(&s, "p.conf");
            let _ = parse_route_attributes(&s);
            let _ = parse_flow_route(&s);
        }

        #[test]
        fn route_text_round_trips(
            a in any::<u8>(), b in any::<u8>(), len in 8u8..=32, med in proptest::option::of(any::<u32>()),
            lp in proptest::option::of(any::<u32>()), comms in proptest::collection::vec(any::<u32>(), 0..4),
            path in proptest::collection::vec(1u32..4_000_000_000, 0..5),
        ) {
            let mut text = format!("{a}.{b}.0.0/{len} next-hop 192.0.2.1");
            if let Some(m) = med { text += &format!(" med {m}"); }
            if let Some(l) = lp { text += &format!(" local-preference {l}"); }
            if !comms.is_empty() {
                text += " community [";
                for c in &comms { text += &format!(" {}:{}", c >> 16, c & 0xffff); }
                text += " ]";
            }
            if !path.is_empty() {
                text += " as-path [";
                for p in &path { text += &format!(" {p}"); }
                text += " ]";
            }
            let r = parse_route_attributes(&text).unwrap();
            let again = parse_route_attributes(&r.to_string()).unwrap();
            prop_assert_eq!(again, r);
        }
    }
}

#[test]
fn flow_rule_bytes_match_exabgp() {
    // From ExaBGP's conf-flow.ci capture of `route set-dscp` (NLRI after MP_REACH's header).
    let r =
        parse_flow_route("{ match { packet-length [ >200&<300 >400&<500 ]; } then { mark 10; } }")
            .unwrap();
    let Nlri::Flow { rd, rule } = &r.nlri[0] else {
        panic!()
    };
    let hex: String = rule
        .to_bytes(rd.as_ref().map(|x| &x.0))
        .unwrap()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(hex, "0C0A02C854012C120190D401F4");
    let ext: String = r.attributes.extended_communities[0]
        .0
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(ext, "800900000000000A");
    // conf-flow.ci `route ipv6`: offsets and IPv6 component types.
    let r = parse_flow_route("source ::1/128/120 destination 2a02:b80:15::7aca:39ff:feae:a87a/128/0 next-header udp traffic-class 101 flow-label 2013 discard").unwrap();
    assert_eq!(r.family, Family::IPV6_FLOW);
    let Nlri::Flow { rule, .. } = &r.nlri[0] else {
        panic!()
    };
    let hex: String = rule
        .to_bytes(None)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(
        hex,
        "300180002A020B80001500007ACA39FFFEAEA87A028078000000000000000000000000000000010381110B81650D9107DD"
    );
}
