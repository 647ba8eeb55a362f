use super::*;

fn ok(s: &str) -> Command {
    match parse_command(s) {
        Ok(c) => c,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn err(s: &str) -> ApiError {
    match parse_command(s) {
        Ok(c) => panic!("{s:?} parsed as {c:?}"),
        Err(e) => e,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn announce_route() {
    let c = ok("announce route 10.0.0.0/24 next-hop 1.2.3.4\n");
    let Command::Announce {
        targets: Targets::Default,
        route,
    } = c
    else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Route);
    assert_eq!(route.column, 16);
    let spec = route.spec().unwrap();
    assert_eq!(spec.family, Family::IPV4_UNICAST);
    assert_eq!(spec.nlri.len(), 1);
    assert_eq!(spec.attributes.next_hop, Some(ip("1.2.3.4")));
    assert!(fast_route("10.0.0.0/24 next-hop 1.2.3.4").is_some());
    assert!(fast_route("::/0 next-hop 1.2.3.4").is_none());
    let c = ok("withdraw route 1.1.0.0/24\r\n");
    assert!(matches!(
        c,
        Command::Withdraw {
            route: RouteRequest {
                kind: RouteKind::Route,
                ..
            },
            ..
        }
    ));
}

#[test]
fn family_first_flow_vpls_attributes() {
    let c = ok("announce ipv4 mcast-vpn source-ad source 10.99.12.4 group 239.251.255.228 rd 65000:99999 next-hop 10.10.6.4");
    let Command::Announce { route, .. } = c else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Family(Family::IPV4_MCAST_VPN));
    assert!(
        matches!(&route.route, ParsedRoute::Route(r) if r.family == Family::IPV4_MCAST_VPN && r.nlri.len() == 1)
    );
    let Command::Announce { route, .. } =
        ok("announce flow route { match { source 10.0.0.1/32; } then { discard; } }")
    else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Flow);
    assert_eq!(route.spec().unwrap().family, Family::IPV4_FLOW);
    let Command::Withdraw { route, .. } = ok(
        "withdraw vpls rd 192.168.201.1:123 endpoint 5 base 10702 offset 1 size 8 next-hop 0.0.0.0",
    ) else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Vpls);
    let Command::Announce { route, .. } =
        ok("announce attributes next-hop 1.1.1.1 nlri 10.0.0.0/24 10.0.1.0/24")
    else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Attributes);
    assert_eq!(route.spec().unwrap().nlri.len(), 2);
    let Command::Announce { route, .. } = ok("attributes origin igp local-preference 100") else {
        panic!()
    };
    assert_eq!(route.kind, RouteKind::Attributes);
    let spec = route.spec().unwrap();
    assert!(spec.nlri.is_empty());
    assert_eq!(spec.attributes.local_pref, Some(100));
}

#[test]
fn eor_refresh_operational_watchdog() {
    assert_eq!(
        ok("announce eor"),
        Command::Eor {
            targets: Targets::Default,
            family: None
        }
    );
    assert_eq!(
        ok("announce eor l2vpn vpls"),
        Command::Eor {
            targets: Targets::Default,
            family: Some(Family::L2VPN_VPLS)
        }
    );
    assert_eq!(
        ok("announce route-refresh ipv6 unicast"),
        Command::RouteRefresh {
            targets: Targets::Default,
            family: Family::IPV6_UNICAST
        }
    );
    let Command::Operational { message, .. } = ok(
        "announce operational adm afi ipv4 safi unicast advisory \"this is dynamic message #1\"",
    ) else {
        panic!()
    };
    assert_eq!(message.kind, OperationalKind::Adm);
    assert_eq!(
        message.advisory.as_deref(),
        Some("this is dynamic message #1")
    );
    let Command::Operational { message, .. } = ok(
        "announce operational rpcp afi ipv4 safi unicast router-id 1.2.3.4 sequence 1 counter 100",
    ) else {
        panic!()
    };
    assert_eq!(message.counter, Some(100));
    assert_eq!(message.router_id, Some("1.2.3.4".parse().unwrap()));
    // each kind takes its own fields, as ExaBGP's operational parser requires
    for line in [
        "announce operational asm afi ipv4 safi unicast advisory x",
        "announce operational rpcq afi ipv4 safi unicast sequence 1",
        "announce operational apcq afi ipv6 safi unicast sequence 7",
        "announce operational lpcp afi ipv4 safi flow sequence 1 counter 4294967295",
    ] {
        assert!(matches!(ok(line), Command::Operational { .. }), "{line}");
    }
    for (line, why) in [
        ("announce operational adm afi ipv4 safi unicast", "advisory"),
        (
            "announce operational rpcq afi ipv4 safi unicast",
            "sequence",
        ),
        (
            "announce operational rpcp afi ipv4 safi unicast sequence 1",
            "counter",
        ),
        (
            "announce operational rpcq afi ipv4 safi unicast sequence 1 counter 2",
            "no counter",
        ),
        (
            "announce operational asm afi ipv4 safi unicast advisory x sequence 1",
            "no sequence",
        ),
        (
            "announce operational lpcq afi ipv4 safi unicast advisory x sequence 1",
            "no advisory",
        ),
        (
            "announce operational apcp afi ipv4 safi unicast sequence 1 counter 4294967296",
            "4 octets",
        ),
        ("announce operational xyz afi ipv4 safi unicast", "adm, asm"),
    ] {
        assert!(err(line).to_string().contains(why), "{line}: {}", err(line));
    }
    let long = format!(
        "announce operational adm afi ipv4 safi unicast advisory \"{}\"",
        "a".repeat(2049)
    );
    assert!(err(&long).to_string().contains("2048"));
    assert_eq!(
        ok("withdraw watchdog dnsr"),
        Command::Watchdog {
            targets: Targets::Default,
            action: Action::Withdraw,
            name: "dnsr".into()
        }
    );
    assert!(err("withdraw eor").to_string().contains("expected route"));
}

#[test]
fn selectors() {
    let c = ok("neighbor 127.0.0.1 local-ip 127.0.0.2 local-as 65000 peer-as 1.10 router-id 10.0.0.1 family-allowed ipv4-unicast/ipv6-nlri-mpls announce route 1.0.0.0/24 next-hop self");
    let Some(Targets::Selected(s)) = c.targets() else {
        panic!()
    };
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].peer, Some(ip("127.0.0.1")));
    assert_eq!(s[0].local_ip, Some(ip("127.0.0.2")));
    assert_eq!(s[0].local_as, Some(65000));
    assert_eq!(s[0].peer_as, Some(65546));
    assert_eq!(
        s[0].family_allowed,
        Some(FamilyAllowed::Families(vec![
            Family::IPV4_UNICAST,
            Family::IPV6_MPLS_LABEL
        ]))
    );
    let c =
        ok("neighbor 10.0.0.1 , neighbor 10.0.0.2 family-allowed in-open, neighbor ::1 teardown 4");
    let Command::Teardown {
        targets: Targets::Selected(s),
        subcode: 4,
    } = c
    else {
        panic!("{c:?}")
    };
    assert_eq!(s.len(), 3);
    assert_eq!(s[1].family_allowed, Some(FamilyAllowed::InOpen));
    assert_eq!(s[2].peer, Some(ip("::1")));
    let c = ok("neighbor * withdraw route 10.0.0.1/32 next-hop self");
    assert_eq!(c.targets(), Some(&Targets::Selected(vec![Selector::any()])));
    assert!(matches!(
        ok("neighbor 1.1.1.1 teardown"),
        Command::Teardown { subcode: 2, .. }
    ));
    let e = err("neighbor 1.1.1.1 shutdown");
    assert_eq!(e.column(), 18);
    let e = err("neighbor 1.1.1.300 announce route 1.0.0.0/8 next-hop 1.1.1.1");
    assert_eq!(
        e,
        ApiError::Syntax {
            column: 10,
            expected: "an IP address",
            found: "1.1.1.300".into()
        }
    );
}

#[test]
fn control_and_show() {
    for (l, c) in [
        ("shutdown", Command::Shutdown),
        ("reload", Command::Reload),
        ("restart", Command::Restart),
        ("reset", Command::Reset),
        ("version", Command::Version),
        ("help", Command::Help),
        ("enable-ack", Command::EnableAck),
        ("disable-ack", Command::DisableAck),
        ("silence-ack", Command::SilenceAck),
        ("# a comment", Command::Comment),
        ("", Command::Comment),
        ("   ", Command::Comment),
        ("group start", Command::GroupStart),
        ("group end", Command::GroupEnd),
    ] {
        assert_eq!(ok(l), c, "{l}");
    }
    assert_eq!(
        ok("flush adj-rib out"),
        Command::FlushAdjRibOut {
            targets: Targets::Default
        }
    );
    assert_eq!(
        ok("neighbor 1.2.3.4 clear adj-rib in"),
        Command::ClearAdjRib {
            targets: Targets::Selected(vec![Selector {
                peer: Some(ip("1.2.3.4")),
                ..Selector::default()
            }]),
            rib: Rib::In
        }
    );
    assert_eq!(
        ok("show neighbor summary"),
        Command::ShowNeighbor {
            peers: vec![],
            view: NeighborView::Summary,
            json: false
        }
    );
    assert_eq!(
        ok("show neighbor 127.0.0.1 configuration json"),
        Command::ShowNeighbor {
            peers: vec![ip("127.0.0.1")],
            view: NeighborView::Configuration,
            json: true
        }
    );
    // Without a view ExaBGP answers how to ask; with several, summary wins, then extensive.
    assert_eq!(
        ok("show neighbor"),
        Command::ShowNeighbor {
            peers: vec![],
            view: NeighborView::Unspecified,
            json: false
        }
    );
    assert_eq!(
        ok("show neighbor configuration 10.0.0.1 extensive"),
        Command::ShowNeighbor {
            peers: vec![ip("10.0.0.1")],
            view: NeighborView::Extensive,
            json: false
        }
    );
    assert_eq!(
        ok("show adj-rib out extensive"),
        Command::ShowAdjRib {
            peers: vec![],
            rib: Rib::Out,
            extensive: true,
            json: false
        }
    );
    assert!(ok("show adj-rib in json").wants_json());
    assert_eq!(err("show adj-rib").column(), 13);
    assert_eq!(err("show adj-rib sideways").column(), 14);
}

#[test]
fn groups() {
    let c = ok("group attributes origin igp local-preference 100 extended-community [0x800600003f800000] ; withdraw ipv4 flow destination-ipv4 170.170.170.170/32 source-ipv4 170.170.170.170/32");
    let Command::Group {
        shared_attributes: Some(shared),
        commands,
        ..
    } = c
    else {
        panic!("{c:?}")
    };
    assert_eq!(
        shared.spec().unwrap().attributes.extended_communities.len(),
        1
    );
    assert_eq!(commands.len(), 1);
    assert!(
        matches!(&commands[0], Command::Withdraw { route: RouteRequest { kind: RouteKind::Family(f), .. }, .. } if *f == Family::IPV4_FLOW)
    );
    let c = ok("neighbor 1.1.1.1 group announce route 1.0.0.0/24 next-hop 2.2.2.2 ; announce route 1.0.1.0/24 next-hop 2.2.2.2");
    let Command::Group { commands, .. } = c else {
        panic!()
    };
    assert_eq!(commands.len(), 2);
    assert!(matches!(commands[1].targets(), Some(Targets::Selected(_))));
    assert!(parse_command("group ; ;").is_err());
    assert!(parse_command("group shutdown").is_err());
}

#[test]
fn errors_point_at_the_problem() {
    let e = err("announce route 10.0.0.0/24 next-hop 1.2.3.4 med x");
    assert!(matches!(e, ApiError::Route { column: 49, .. }), "{e:?}");
    let e = err("announce ipv4 unicast 10.0.0.0/24 next-hop 1.2.3.4 colour x");
    assert!(matches!(e, ApiError::Route { column: 52, .. }), "{e:?}");
    let e = err("announce flow route source 10.0.0.1/32 wibble");
    assert!(matches!(e, ApiError::Route { column: 40, .. }), "{e:?}");
    let e = err("announce rout 1.0.0.0/24");
    assert_eq!(e.column(), 10);
    assert!(e.to_string().contains("route"), "{e}");
    let e = err("annonce route 1.0.0.0/24");
    assert_eq!(e.column(), 1);
    let e = err("announce route");
    assert_eq!(e.column(), 15);
    let e = err("announce eor ipv4 sideways");
    assert_eq!(e.column(), 19);
    let e = err("teardown 300");
    assert_eq!(e.column(), 10);
    let e = err("shutdown now");
    assert_eq!(
        e,
        ApiError::Syntax {
            column: 10,
            expected: "the end of the command",
            found: "now".into()
        }
    );
}

/// Every `cmd:` line of ExaBGP's api test cases (what helper scripts really send) parses.
#[test]
fn conformance_api_commands_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/exabgp/api");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "note: {} absent, conformance commands not checked",
            dir.display()
        );
        return;
    };
    let mut n = 0;
    let mut failures = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("ci") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for line in text.lines() {
            let Some((_, cmd)) = line.split_once(":cmd:") else {
                continue;
            };
            n += 1;
            if let Err(e) = parse_command(cmd) {
                failures.push(format!("{}: {cmd}: {e}", p.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n > 100, "only {n} cmd lines found");
}

proptest::proptest! {
    /// The fast path for `PREFIX next-hop IP` yields what the shared grammar yields.
    #[test]
    fn fast_route_equals_grammar(
        a in proptest::prelude::any::<[u8; 4]>(),
        len in 0u8..=33,
        nh in proptest::prelude::any::<[u8; 4]>(),
        v6 in proptest::prelude::any::<bool>(),
        bare in proptest::prelude::any::<bool>(),
    ) {
        let p = if v6 {
            let x = std::net::Ipv6Addr::from(u128::from(u32::from_be_bytes(a)) << 96);
            if bare { x.to_string() } else { format!("{x}/{}", u16::from(len) * 4) }
        } else {
            let x = std::net::Ipv4Addr::from(a);
            if bare { x.to_string() } else { format!("{x}/{len}") }
        };
        let n = if v6 && nh[0] & 1 == 1 { format!("2001::{}", nh[1]) } else { std::net::Ipv4Addr::from(nh).to_string() };
        let text = format!("{p} next-hop {n}");
        let slow = ferrobgp_config::route::parse_route_attributes(&text).ok();
        if let Some(fast) = fast_route(&text) {
            proptest::prop_assert_eq!(Some(fast), slow, "{}", text);
        }
    }

    #[test]
    fn never_panics(s in "\\PC*") {
        let _ = parse_command(&s);
    }

    #[test]
    fn never_panics_on_near_commands(
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "neighbor", "*", "1.2.3.4", "::1", ",", "local-as", "65000", "announce", "withdraw",
                "route", "eor", "ipv4", "unicast", "flow", "group", ";", "attributes", "show",
                "adj-rib", "in", "out", "operational", "adm", "afi", "safi", "advisory", "\"x",
                "teardown", "family-allowed", "in-open", "é", "\t", "",
            ]),
            0..12,
        )
    ) {
        let line = words.join(" ");
        if let Err(e) = parse_command(&line) {
            proptest::prop_assert!(e.column() >= 1 && e.column() <= line.chars().count() + 1);
        }
    }
}

#[test]
fn create_and_delete_neighbor() {
    let c = ok(
        "create neighbor 127.0.0.1 local-address 127.0.0.1 local-as 1 peer-as 2 \
                router-id 1.2.3.4 family-allowed ipv4-unicast api peer-lifecycle",
    );
    let Command::CreateNeighbor(spec) = c else {
        panic!("{c:?}")
    };
    assert_eq!(spec.peer, Some(ip("127.0.0.1")));
    assert_eq!(spec.local_address, Some(ip("127.0.0.1")));
    assert_eq!((spec.local_as, spec.peer_as), (Some(1), Some(2)));
    assert_eq!(spec.router_id, Some("1.2.3.4".parse().unwrap()));
    assert_eq!(spec.families, vec![Family::IPV4_UNICAST]);
    assert_eq!(spec.processes, vec!["peer-lifecycle".to_string()]);
    let c = ok("delete neighbor 127.0.0.1 peer-as 2");
    let Command::DeleteNeighbor { selector } = c else {
        panic!("{c:?}")
    };
    assert_eq!(selector.peer, Some(ip("127.0.0.1")));
    assert_eq!(selector.peer_as, Some(2));
    err("create neighbor");
    err("create neighbor 127.0.0.1 local-as");
    err("create neighbor 127.0.0.1 colour blue");
    err("create neighbor 300.0.0.1");
    err("create nothing");
}
