//! `show neighbor …` and `show adj-rib …` answers against ExaBGP 5.0.15's.
//!
//! `tests/oracle/show-cmd.txt` is what ExaBGP's `cmd` process read in the capture of
//! `tests/oracle/capture_show.py`: each command it wrote (`### COMMAND`), then ExaBGP's answer
//! up to `done`. The data of that session (addresses, capabilities, message counts) is written
//! out here by hand from the capture's configuration and peer; the format is the writers'.

use std::net::Ipv4Addr;

use ferrobgp_api::selector::NeighborIdentity;
use ferrobgp_api::show::{
    self, ApiReport, FamilyReport, NeighborConfigReport, NeighborReport, RibEntry,
    REPORT_CAPABILITIES,
};
use ferrobgp_wire::Family;

/// ExaBGP's answer to `command`, `done` excluded.
fn answer(command: &str) -> String {
    answer_in("show-cmd.txt", command)
}

/// ExaBGP's answer to `command` in a capture file.
fn answer_in(file: &str, command: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/");
    let text = std::fs::read_to_string(format!("{dir}{file}")).unwrap();
    let start = text
        .find(&format!("### {command}\n"))
        .unwrap_or_else(|| panic!("{command} not captured"));
    let rest = &text[start..];
    let rest = &rest[rest.find('\n').unwrap() + 1..];
    let end = rest.find("done\n").unwrap();
    rest[..end].to_string()
}

/// The captured session: ExaBGP (127.0.0.1, AS 65000, router-id 1.2.3.4, hold 180,
/// operational and route-refresh, ipv4 and ipv6 unicast) up for `up_secs` with the test peer
/// (router-id 10.0.0.2), which announced the same capabilities.
fn report(up_secs: u64) -> NeighborReport {
    let both = |on: bool| (Some(on), Some(on));
    let caps: Vec<(&'static str, Option<bool>, Option<bool>)> = REPORT_CAPABILITIES
        .iter()
        .map(|&k| {
            let (l, p) = both(matches!(
                k,
                "asn4" | "route-refresh" | "operational" | "extended-message"
            ));
            (k, l, p)
        })
        .collect();
    NeighborReport {
        peer_address: "127.0.0.1".parse().unwrap(),
        local_address: "127.0.0.1".into(),
        local_as: 65000,
        peer_as: 65000,
        local_id: Ipv4Addr::new(1, 2, 3, 4),
        peer_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
        local_hold: 180,
        peer_hold: Some(180),
        state: "ESTABLISHED",
        up_secs,
        down_secs: 0,
        capabilities: caps,
        families: [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
            .into_iter()
            .map(|family| FamilyReport {
                family,
                remote: Some(true),
                add_path_send: Some(false),
                add_path_receive: Some(false),
            })
            .collect(),
        // OPEN, KEEPALIVE, the static route and two End-of-RIB sent; the peer's OPEN,
        // KEEPALIVE and UPDATE received.
        messages: [(1, 1), (0, 0), (1, 1), (3, 1), (0, 0)],
    }
}

#[test]
fn extensive_like_exabgp() {
    let mut out = Vec::new();
    show::write_extensive(&report(2), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer("show neighbor extensive")
    );
    let mut out = Vec::new();
    show::write_extensive(&report(3), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer("show neighbor 127.0.0.1 extensive")
    );
}

#[test]
fn extensive_before_the_peer_answered() {
    // No connection: what the peer would say is n/a; `down for` the time until the last
    // reset (ExaBGP's `Peer.cli_data`, `NeighborTemplate.formated_dict`).
    let mut r = report(0);
    r.state = "ACTIVE";
    r.down_secs = 90_061;
    r.peer_id = None;
    r.peer_hold = None;
    for c in &mut r.capabilities {
        c.2 = None;
    }
    for f in &mut r.families {
        f.remote = None;
    }
    r.messages = [(0, 0); 5];
    let mut out = Vec::new();
    show::write_extensive(&r, &mut out);
    let s = String::from_utf8(out).unwrap();
    assert!(
        s.contains("\n   down for              1 day, 1:01:01                                \n"),
        "{s}"
    );
    assert!(
        s.contains("\n   ID                           1.2.3.4             n/a                \n"),
        "{s}"
    );
    assert!(
        s.contains("\n   asn4:                        enabled             n/a                \n"),
        "{s}"
    );
    assert!(
        s.contains("\n   ipv4 unicast:                enabled             n/a disabled       \n"),
        "{s}"
    );
}

#[test]
fn json_like_exabgp() {
    let mut out = Vec::new();
    show::write_neighbors_json(&[report(8)], &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer("show neighbor json")
    );
}

#[test]
fn configuration_like_exabgp() {
    let flags = |l: &[&'static str]| l.to_vec();
    let c = NeighborConfigReport {
        peer_address: "127.0.0.1".parse().unwrap(),
        description: None,
        router_id: Ipv4Addr::new(1, 2, 3, 4),
        host_name: None,
        domain_name: None,
        local_address: Some("127.0.0.1".parse().unwrap()),
        local_as: 65000,
        peer_as: 65000,
        hold_time: 180,
        manual_eor: false,
        passive: false,
        listen: None,
        connect: Some(17933),
        group_updates: true,
        auto_flush: true,
        adj_rib_in: true,
        adj_rib_out: true,
        md5_password: None,
        outgoing_ttl: None,
        incoming_ttl: None,
        asn4: true,
        route_refresh: true,
        graceful_restart: None,
        software_version: false,
        nexthop: vec![],
        add_path: 0,
        add_path_families: vec![],
        multi_session: false,
        operational: true,
        families: vec![Family::IPV6_UNICAST, Family::IPV4_UNICAST],
        api: vec![
            ApiReport {
                process: "txt".into(),
                global: vec![],
                receive: flags(&["parsed", "operational"]),
                send: vec![],
            },
            ApiReport {
                process: "jsn".into(),
                global: vec![],
                receive: flags(&["parsed", "operational"]),
                send: vec![],
            },
            ApiReport {
                process: "cmd".into(),
                global: flags(&["neighbor-changes"]),
                receive: vec![],
                send: vec![],
            },
        ],
    };
    let mut out = Vec::new();
    show::write_configuration(&c, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer("show neighbor configuration")
    );
}

#[test]
fn usage_like_exabgp() {
    let mut out = Vec::new();
    show::write_neighbor_usage(&mut out);
    assert_eq!(String::from_utf8(out).unwrap(), answer("show neighbor"));
}

#[test]
fn summary_like_exabgp() {
    let mut out = Vec::new();
    show::write_summary(
        &[show::NeighborSummary {
            peer: "127.0.0.1".parse().unwrap(),
            peer_as: 65000,
            up_for: Some(std::time::Duration::from_secs(2)),
            state: "established",
            sent: 3,
            received: 1,
        }],
        &mut out,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer("show neighbor summary")
    );
}

#[test]
fn adj_rib_like_exabgp() {
    let n = NeighborIdentity {
        peer_address: "127.0.0.1".parse().unwrap(),
        local_address: Some("127.0.0.1".parse().unwrap()),
        local_as: 65000,
        peer_as: 65000,
        router_id: Ipv4Addr::new(1, 2, 3, 4),
        families: None,
    };
    let rin = [RibEntry {
        neighbor: &n,
        route: "ipv4 unicast 192.0.2.0/24 next-hop 10.0.0.2 origin igp local-preference 100",
        nlri: "ipv4 unicast 192.0.2.0/24 next-hop 10.0.0.2",
    }];
    let rout = [RibEntry {
        neighbor: &n,
        route: "ipv4 unicast 10.9.0.0/16 next-hop 127.0.0.1 community 65000:1",
        nlri: "ipv4 unicast 10.9.0.0/16 next-hop 127.0.0.1",
    }];
    for (entries, extensive, command) in [
        (&rin, false, "show adj-rib in"),
        (&rin, true, "show adj-rib in extensive"),
        (&rout, false, "show adj-rib out"),
        (&rout, true, "show adj-rib out extensive"),
    ] {
        let mut out = Vec::new();
        show::write_adj_rib(entries, extensive, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            answer(command),
            "{command}"
        );
    }
}

/// The neighbor of `tests/oracle/capture_show_down.py` (show-down-cmd.txt): never up (its
/// peer's port has no listener), AS 65001, graceful-restart and add-path send/receive
/// configured, ADD-PATH for ipv4 unicast, three families; down for `down_secs`.
fn down_report(down_secs: u64) -> NeighborReport {
    let mut r = report(0);
    r.peer_as = 65001;
    r.state = "IDLE";
    r.down_secs = down_secs;
    r.peer_id = None;
    r.peer_hold = None;
    for c in &mut r.capabilities {
        c.1 = Some(matches!(
            c.0,
            "asn4" | "add-path" | "extended-message" | "graceful-restart"
        ));
        c.2 = None;
    }
    r.families = [
        Family::IPV4_UNICAST,
        Family::IPV4_FLOW,
        Family::IPV6_UNICAST,
    ]
    .into_iter()
    .map(|family| {
        let ap = (family != Family::IPV4_UNICAST).then_some(false);
        FamilyReport {
            family,
            remote: None,
            add_path_send: ap,
            add_path_receive: ap,
        }
    })
    .collect();
    r.messages = [(0, 0); 5];
    r
}

#[test]
fn down_neighbor_like_exabgp() {
    let file = "show-down-cmd.txt";
    let mut out = Vec::new();
    show::write_extensive(&down_report(1), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer_in(file, "show neighbor extensive")
    );
    let mut out = Vec::new();
    show::write_neighbors_json(&[down_report(3)], &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer_in(file, "show neighbor json")
    );
    let mut out = Vec::new();
    show::write_summary(
        &[show::NeighborSummary {
            peer: "127.0.0.1".parse().unwrap(),
            peer_as: 65001,
            up_for: None,
            state: "idle",
            sent: 0,
            received: 0,
        }],
        &mut out,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer_in(file, "show neighbor summary")
    );
    let c = NeighborConfigReport {
        peer_address: "127.0.0.1".parse().unwrap(),
        description: Some("lab peer".into()),
        router_id: Ipv4Addr::new(1, 2, 3, 4),
        host_name: None,
        domain_name: None,
        local_address: Some("127.0.0.1".parse().unwrap()),
        local_as: 65000,
        peer_as: 65001,
        hold_time: 180,
        manual_eor: false,
        passive: false,
        listen: None,
        connect: Some(17998),
        group_updates: true,
        auto_flush: true,
        adj_rib_in: true,
        adj_rib_out: true,
        md5_password: None,
        outgoing_ttl: None,
        incoming_ttl: None,
        asn4: true,
        route_refresh: false,
        graceful_restart: Some(120),
        software_version: false,
        nexthop: vec![],
        add_path: 3,
        add_path_families: vec![Family::IPV4_UNICAST],
        multi_session: false,
        operational: false,
        families: vec![
            Family::IPV4_UNICAST,
            Family::IPV4_FLOW,
            Family::IPV6_UNICAST,
        ],
        api: vec![ApiReport {
            process: "cmd".into(),
            global: vec!["neighbor-changes"],
            receive: vec!["parsed", "update"],
            send: vec!["packets"],
        }],
    };
    let mut out = Vec::new();
    show::write_configuration(&c, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        answer_in(file, "show neighbor configuration")
    );
}
