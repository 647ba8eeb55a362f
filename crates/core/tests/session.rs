//! Two speakers back to back in virtual time, and one speaker against a scripted peer with
//! expected bytes taken from ExaBGP's functional test data (../shared/conformance/exabgp).

mod harness;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrobgp_core::rib::{Family, PathAttributes, RouteAttrs, RouteKey, RouteSpec};
use ferrobgp_core::setup::{
    ApiConfig, CapabilityConfig, MessageFlags, NeighborConfig, ProcessConfig,
};
use ferrobgp_core::{Config, ConnId, Environment, Input, Output, ProcessId, Speaker, State};
use harness::{hex, messages, to_hex, Net};

const A: &str = "10.0.0.1";
const B: &str = "10.0.0.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn route(prefix: &str, nh: &str, f: impl FnOnce(&mut PathAttributes)) -> RouteSpec {
    let mut attrs = RouteAttrs::default();
    attrs.path.next_hop = Some(ip(nh));
    f(&mut attrs.path);
    RouteSpec {
        nlris: vec![RouteKey::parse_prefix(prefix).unwrap()].into(),
        attrs,
        withdraw: false,
        watchdog: None,
    }
}

fn neighbor(peer: &str, local: &str, local_as: u32, peer_as: u32, rid: &str) -> NeighborConfig {
    let mut n = NeighborConfig::new(ip(peer), local_as, peer_as, rid.parse().unwrap());
    n.local_address = Some(ip(local));
    n
}

fn api_all(process: &str) -> ApiConfig {
    let all = MessageFlags {
        parsed: true,
        update: true,
        open: true,
        notification: true,
        keepalive: true,
        refresh: true,
        ..Default::default()
    };
    ApiConfig {
        processes: vec![process.into()],
        neighbor_changes: true,
        receive: all,
        ..Default::default()
    }
}

fn process(name: &str) -> ProcessConfig {
    ProcessConfig {
        name: name.into(),
        argv: vec!["/bin/true".into()],
        encoder: Default::default(),
        respawn: None,
    }
}

/// A active towards B, B passive with a process "watcher" receiving everything.
fn pair(a_routes: Vec<RouteSpec>, tweak: impl Fn(&mut NeighborConfig, &mut NeighborConfig)) -> Net {
    let mut net = pair_unsettled(a_routes, tweak);
    net.settle();
    net
}

/// [`pair`] before the network ran: no session yet.
fn pair_unsettled(
    a_routes: Vec<RouteSpec>,
    tweak: impl Fn(&mut NeighborConfig, &mut NeighborConfig),
) -> Net {
    pair_unsettled_env(a_routes, tweak, Environment::default())
}

/// [`pair_unsettled`] with B's environment given.
fn pair_unsettled_env(
    a_routes: Vec<RouteSpec>,
    tweak: impl Fn(&mut NeighborConfig, &mut NeighborConfig),
    b_env: Environment,
) -> Net {
    let mut net = Net::new(Instant::now());
    let mut na = neighbor(B, A, 65000, 65000, "1.1.1.1");
    na.routes = a_routes;
    let mut nb = neighbor(A, B, 65000, 65000, "2.2.2.2");
    nb.passive = true;
    nb.api = vec![api_all("watcher")];
    tweak(&mut na, &mut nb);
    net.add(
        A,
        Config {
            neighbors: vec![na],
            ..Default::default()
        },
        Environment::default(),
    );
    net.add(
        B,
        Config {
            neighbors: vec![nb],
            processes: vec![process("watcher")],
            ..Default::default()
        },
        b_env,
    );
    net
}

#[test]
fn session_comes_up_and_routes_arrive_as_events() {
    let net = pair(
        vec![
            route("10.1.0.0/24", "10.0.0.1", |_| {}),
            route("10.2.0.0/24", "10.0.0.1", |_| {}),
        ],
        |_, _| {},
    );
    assert_eq!(
        net.nodes[0].speaker.neighbor_state(ip(B)),
        Some(State::Established)
    );
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    let events = net.stdin_text(1, 0);
    assert!(events.contains("\"state\": \"connected\""), "{events}");
    assert!(events.contains("\"state\": \"up\""), "{events}");
    // Both routes share one attribute set: one UPDATE, then End-of-RIB.
    let updates: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"type\": \"update\""))
        .collect();
    assert_eq!(updates.len(), 2, "{events}");
    assert!(
        updates[0].contains("\"nlri\":\"10.1.0.0/24\"},{\"nlri\":\"10.2.0.0/24\""),
        "{}",
        updates[0]
    );
    assert!(updates[1].contains("\"eor\""), "{}", updates[1]);
}

#[test]
fn keepalives_every_third_of_hold_time() {
    let mut net = pair(vec![], |a, b| {
        a.hold_time = 90;
        b.hold_time = 90;
    });
    let before = net.sent_messages(0).iter().filter(|m| m[18] == 4).count();
    net.advance(Duration::from_secs(100));
    let after = net.sent_messages(0).iter().filter(|m| m[18] == 4).count();
    assert_eq!(after - before, 3, "keepalive every 30 s over 100 s");
    assert_eq!(
        net.nodes[0].speaker.neighbor_state(ip(B)),
        Some(State::Established)
    );
}

#[test]
fn each_neighbor_keeps_its_own_timers() {
    // One speaker, three neighbors with hold times 9, 30 and 90 s: the speaker looks only at
    // the neighbors an input concerns and those whose timer is due, so every keepalive must
    // still go out on time, and an input on one session must not move the others'.
    let peers = [("10.0.0.2", 9u16), ("10.0.0.3", 30), ("10.0.0.4", 90)];
    let mut net = Net::new(Instant::now());
    let neighbors = peers
        .iter()
        .map(|(p, hold)| {
            let mut n = neighbor(p, A, 65000, 65000, "1.1.1.1");
            n.hold_time = *hold;
            n
        })
        .collect();
    net.add(
        A,
        Config {
            neighbors,
            ..Default::default()
        },
        Environment::default(),
    );
    for (i, (p, hold)) in peers.iter().enumerate() {
        let mut n = neighbor(A, p, 65000, 65000, &format!("2.2.2.{}", i + 2));
        n.passive = true;
        n.hold_time = *hold;
        net.add(
            p,
            Config {
                neighbors: vec![n],
                ..Default::default()
            },
            Environment::default(),
        );
    }
    net.settle();
    // KEEPALIVEs A sent on each session (its connections are numbered in neighbor order).
    let per_conn = |net: &Net| -> Vec<usize> {
        let mut conns: Vec<_> = net.nodes[0].sent.iter().collect();
        conns.sort_by_key(|(c, _)| **c);
        conns
            .iter()
            .map(|(_, b)| messages(b).iter().filter(|m| m[18] == 4).count())
            .collect()
    };
    let before = per_conn(&net);
    assert_eq!(before.len(), 3);
    net.advance(Duration::from_secs(91));
    let after = per_conn(&net);
    let sent: Vec<usize> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    // Keepalive every hold/3: 3, 10 and 30 s over 91 s.
    assert_eq!(sent, vec![30, 9, 3]);
    for (p, _) in peers {
        assert_eq!(
            net.nodes[0].speaker.neighbor_state(ip(p)),
            Some(State::Established)
        );
    }
}

#[test]
fn hold_timer_expiry_sends_notification_4_0() {
    let mut net = pair(vec![], |a, b| {
        a.hold_time = 9;
        b.hold_time = 9;
    });
    // B goes silent: nothing it sends reaches A any more.
    let b_conn = *net.nodes[1].sent.keys().next().unwrap();
    net.blackholed.insert((1, b_conn));
    net.advance(Duration::from_secs(10));
    let notif = net
        .sent_messages(0)
        .into_iter()
        .find(|m| m[18] == 3)
        .expect("a NOTIFICATION");
    assert_eq!(&notif[19..21], &[4, 0]);
}

#[test]
fn tcp_attempts_gives_up_and_exits() {
    let mut net = Net::new(Instant::now());
    net.refuse = true;
    let env = Environment {
        tcp_attempts: 1,
        ..Default::default()
    };
    net.add(
        A,
        Config {
            neighbors: vec![neighbor(B, A, 1, 1, "1.1.1.1")],
            ..Default::default()
        },
        env,
    );
    net.advance(Duration::from_secs(120));
    let connects = net
        .log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Connect { .. }))
        .count();
    assert_eq!(connects, 1);
    assert_eq!(net.nodes[0].exit, Some(0));
}

#[test]
fn connect_retry_backs_off() {
    let mut net = Net::new(Instant::now());
    net.refuse = true;
    net.add(
        A,
        Config {
            neighbors: vec![neighbor(B, A, 1, 1, "1.1.1.1")],
            ..Default::default()
        },
        Environment::default(),
    );
    net.advance(Duration::from_secs(16));
    let connects = net
        .log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Connect { .. }))
        .count();
    // t=0, 1, 3, 7, 15
    assert_eq!(connects, 5);
    assert_eq!(net.nodes[0].exit, None);
}

#[test]
fn collision_keeps_one_session() {
    let mut net = Net::new(Instant::now());
    let na = neighbor(B, A, 65000, 65000, "1.1.1.1");
    let nb = neighbor(A, B, 65000, 65000, "2.2.2.2");
    net.add(
        A,
        Config {
            neighbors: vec![na],
            ..Default::default()
        },
        Environment::default(),
    );
    net.add(
        B,
        Config {
            neighbors: vec![nb],
            ..Default::default()
        },
        Environment::default(),
    );
    net.settle();
    assert_eq!(
        net.nodes[0].speaker.neighbor_state(ip(B)),
        Some(State::Established)
    );
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    let cease: Vec<Vec<u8>> = (0..2)
        .flat_map(|i| net.sent_messages(i))
        .filter(|m| m[18] == 3)
        .collect();
    assert_eq!(
        cease.len(),
        1,
        "one connection closed with Cease/Connection Collision Resolution"
    );
    assert_eq!(&cease[0][19..21], &[6, 7]);
    // B has the higher identifier: the connection B initiated survives.
    let live_conns: usize = net.nodes[0].sent.len();
    assert_eq!(live_conns, 2);
}

#[test]
fn api_commands_change_the_rib_and_are_acked() {
    // B's process announces towards A.
    let mut net = pair(vec![], |_, _| {});
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "announce route 10.9.0.0/16 next-hop 10.0.0.2 med 5".into(),
        },
    );
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "announce flubber".into(),
        },
    );
    net.settle();
    let b_stdin = net.stdin_text(1, 0);
    // ExaBGP's JSON acks, as the process's encoder is JSON.
    assert!(b_stdin.contains("\"answer\": \"done\""), "{b_stdin}");
    assert!(b_stdin.contains("\"answer\": \"error\""), "{b_stdin}");
    // The UPDATE reached A.
    let b_sent = net.sent_messages(1);
    let upd = b_sent
        .iter()
        .find(|m| m[18] == 2 && m.len() > 23)
        .expect("an UPDATE from B");
    assert!(to_hex(upd).ends_with("100A09"), "{}", to_hex(upd));
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip(A)), 1);
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "withdraw route 10.9.0.0/16".into(),
        },
    );
    net.settle();
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip(A)), 0);
    let last = net
        .sent_messages(1)
        .into_iter()
        .rfind(|m| m[18] == 2)
        .unwrap();
    assert_eq!(
        to_hex(&last),
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001A02000310 0A090000".replace(' ', "")
    );
}

#[test]
fn multiprotocol_unicast_withdraw_carries_no_other_attribute() {
    // RFC 4760 section 4: an UPDATE with MP_UNREACH_NLRI need not carry any other attribute,
    // and ExaBGP sends none for the unicast families. Expected bytes: ExaBGP 5.0.15's
    // withdrawal of 2001:db8:1::/48 (captured for qa/encoding/ferro-addpath-send.ci), without
    // its ADD-PATH path identifier.
    let mut net = pair(vec![], |a, b| {
        a.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        b.families = a.families.clone();
    });
    for line in [
        "announce route 2001:db8:1::/48 next-hop 2001:db8::1",
        "withdraw route 2001:db8:1::/48 next-hop 2001:db8::1",
    ] {
        net.input(
            1,
            Input::ProcessLine {
                process: ProcessId(0),
                line: line.into(),
            },
        );
        net.settle();
    }
    let last = net
        .sent_messages(1)
        .into_iter()
        .rfind(|m| m[18] == 2)
        .unwrap();
    assert_eq!(
        to_hex(&last),
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0024:02:0000000D800F0A0002013020010DB80001"
            .replace(':', "")
    );
}

#[test]
fn slow_process_bounds_memory_and_loses_nothing() {
    // A sends 20,000 UPDATEs (group-updates off); B's process does not read.
    let routes: Vec<RouteSpec> = (0..20_000u32)
        .map(|i| {
            route(
                &format!("{}.{}.{}.0/24", 20 + (i >> 16), (i >> 8) & 255, i & 255),
                "10.0.0.1",
                |_| {},
            )
        })
        .collect();
    let mut net = Net::new(Instant::now());
    let mut na = neighbor(B, A, 65000, 65000, "1.1.1.1");
    na.routes = routes;
    na.group_updates = false;
    let mut nb = neighbor(A, B, 65000, 65000, "2.2.2.2");
    nb.passive = true;
    nb.api = vec![api_all("watcher")];
    net.add(
        A,
        Config {
            neighbors: vec![na],
            ..Default::default()
        },
        Environment::default(),
    );
    net.add(
        B,
        Config {
            neighbors: vec![nb],
            processes: vec![process("watcher")],
            ..Default::default()
        },
        Environment::default(),
    );
    net.nodes[1].stalled.insert(ProcessId(0));
    net.settle();
    let queued = net.nodes[1].speaker.process_queued_bytes(ProcessId(0));
    assert!(
        queued <= ferrobgp_core::PROCESS_QUEUE_HIGH + 128 * 1024,
        "queue bounded: {queued}"
    );
    assert!(net
        .log
        .iter()
        .any(|(n, o)| *n == 1 && matches!(o, Output::PauseReading { .. })));
    // The session survives the stall (B's hold timer is suspended while it does not read).
    net.advance(Duration::from_secs(400));
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    // The process reads again: everything arrives.
    net.nodes[1].stalled.clear();
    for _ in 0..10_000 {
        net.input(
            1,
            Input::ProcessWritable {
                process: ProcessId(0),
            },
        );
        net.settle();
        if net.nodes[1].speaker.process_queued_bytes(ProcessId(0)) == 0
            && net.nodes[1].paused.is_empty()
        {
            break;
        }
    }
    net.settle();
    let text = net.stdin_text(1, 0);
    let updates = text
        .lines()
        .filter(|l| l.contains("\"type\": \"update\"") && !l.contains("eor"))
        .count();
    assert_eq!(updates, 20_000);
}

#[test]
fn bad_peer_as_gets_2_2() {
    let mut net = pair(vec![], |_, b| b.peer_as = 65111);
    net.settle();
    let n = net
        .sent_messages(1)
        .into_iter()
        .find(|m| m[18] == 3)
        .expect("NOTIFICATION");
    assert_eq!(&n[19..21], &[2, 2]);
}

#[test]
fn unacceptable_hold_time_gets_2_6() {
    let mut net = pair(vec![], |a, _| a.hold_time = 2);
    net.settle();
    let n = net
        .sent_messages(1)
        .into_iter()
        .find(|m| m[18] == 3)
        .expect("NOTIFICATION");
    assert_eq!(&n[19..21], &[2, 6]);
}

#[test]
fn shutdown_sends_cease_and_exits() {
    let mut net = pair(vec![], |_, _| {});
    net.input(0, Input::Signal(ferrobgp_core::Signal::Term));
    net.settle();
    let n = net
        .sent_messages(0)
        .into_iter()
        .find(|m| m[18] == 3)
        .expect("NOTIFICATION");
    assert_eq!(&n[19..21], &[6, 2]);
    assert_eq!(net.nodes[0].exit, Some(0));
}

// ---------------------------------------------------------------- against ExaBGP's bytes

/// Drive one speaker against a scripted peer: returns the messages it sent, after the peer
/// mirrored its OPEN (router-id + 1, optional ASN) and sent a KEEPALIVE, as qa/sbin/bgp does.
fn against_test_peer(cfg: NeighborConfig, env: Environment, peer_asn: Option<u32>) -> Vec<Vec<u8>> {
    let now = Instant::now();
    let mut sp = Speaker::new(
        Config {
            neighbors: vec![cfg.clone()],
            ..Default::default()
        },
        env,
        now,
    )
    .unwrap();
    let mut conn = None;
    let mut sent = Vec::new();
    let drain = |sp: &mut Speaker, conn: &mut Option<ConnId>, sent: &mut Vec<u8>| {
        while let Some(o) = sp.poll_output() {
            match o {
                Output::Connect { conn: c, .. } => *conn = Some(c),
                Output::Send { data, .. } => sent.extend_from_slice(&data),
                _ => {}
            }
        }
    };
    drain(&mut sp, &mut conn, &mut sent);
    let c = conn.expect("connect");
    let local = SocketAddr::new(cfg.local_address.unwrap(), 50000);
    let remote = SocketAddr::new(cfg.peer_address, 179);
    sp.handle(
        now,
        Input::Connected {
            conn: c,
            local,
            remote,
        },
    );
    drain(&mut sp, &mut conn, &mut sent);
    let ours = messages(&sent)[0].clone();
    let mut theirs = ours.clone();
    theirs[27] = theirs[27].wrapping_add(1);
    if let Some(asn) = peer_asn {
        theirs[20..22].copy_from_slice(&(asn as u16).to_be_bytes());
        let mut i = 29;
        while i + 4 < theirs.len() {
            if theirs[i] == 2 && theirs[i + 2] == 65 {
                theirs[i + 4..i + 8].copy_from_slice(&asn.to_be_bytes());
            }
            i += 2 + theirs[i + 1] as usize;
        }
    }
    let mut input = theirs;
    input.extend_from_slice(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304"));
    sp.handle(
        now,
        Input::Received {
            conn: c,
            data: Bytes::from(input),
        },
    );
    // The first UPDATE goes out a little after Established (INITIAL_UPDATE_DELAY).
    let later = now + std::time::Duration::from_millis(100);
    for _ in 0..100 {
        drain(&mut sp, &mut conn, &mut sent);
        sp.handle(later, Input::SendBufferLow { conn: c });
    }
    messages(&sent)
}

fn exabgp_env() -> Environment {
    Environment {
        software_version: "ExaBGP/5.0.0-0+test".into(),
        ..Default::default()
    }
}

fn conformance_neighbor(family: Family) -> NeighborConfig {
    // router-id 10.0.0.2; local-address 127.0.0.1; local-as 65533; peer-as 65533; hold-time 180;
    let mut n = neighbor("127.0.0.1", "127.0.0.1", 65533, 65533, "10.0.0.2");
    n.families = vec![family];
    n
}

#[test]
fn open_matches_conf_cap_software_version() {
    let mut n = conformance_neighbor(Family::IPV4_UNICAST);
    n.capability = CapabilityConfig {
        software_version: true,
        ..Default::default()
    };
    let sent = against_test_peer(n, exabgp_env(), None);
    assert_eq!(to_hex(&sent[0]), to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0049:01:04FFFD00B40A0000022C0206010400010001020641040000FFFD0202060002164B14134578614247502F352E302E302D302B74657374")));
}

#[test]
fn open_matches_conf_hostname() {
    let mut n = conformance_neighbor(Family::IPV4_UNICAST);
    n.host_name = Some("my-host-name".into());
    n.domain_name = Some("my-domain-name.com".into());
    let sent = against_test_peer(n, exabgp_env(), None);
    assert_eq!(to_hex(&sent[0]), to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0055:01:04FFFD00B40A000002380206010400010001020641040000FFFD02020600022249200C6D792D686F73742D6E616D65126D792D646F6D61696E2D6E616D652E636F6D")));
}

#[test]
fn open_matches_conf_cap_link_local_nexthop() {
    let mut n = conformance_neighbor(Family::IPV6_UNICAST);
    n.capability = CapabilityConfig {
        link_local_nexthop: true,
        ..Default::default()
    };
    let sent = against_test_peer(n, exabgp_env(), None);
    assert_eq!(to_hex(&sent[0]), to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0035:01:04FFFD00B40A000002180206010400020001020641040000FFFD0202060002024D00")));
}

fn sorted_hex(v: &[Vec<u8>]) -> Vec<String> {
    let mut h: Vec<String> = v.iter().map(|m| to_hex(m)).collect();
    h.sort();
    h
}

#[test]
fn updates_match_conf_new_v4() {
    let mut n = conformance_neighbor(Family::IPV4_UNICAST);
    let nh = "10.0.255.254";
    let c = |v: &[u32]| v.to_vec();
    n.routes = vec![
        route("10.0.1.0/24", nh, |a| a.communities = c(&[0])),
        route("10.0.2.0/24", nh, |a| a.communities = c(&[0x78147814])),
        route("10.0.3.0/24", nh, |a| {
            a.communities = c(&[0x78147814, 0x78140000])
        }),
        route("10.0.4.0/24", nh, |a| a.local_pref = Some(200)),
        route("10.0.5.0/24", nh, |a| a.local_pref = Some(200)),
        route("10.0.6.0/24", nh, |a| a.communities = c(&[0x78147814])),
        route("10.0.7.0/24", nh, |a| {
            a.local_pref = Some(200);
            a.communities = c(&[0x78147814])
        }),
        route("10.0.8.0/24", nh, |a| {
            a.communities = c(&[0x78147814]);
            a.local_pref = Some(200)
        }),
    ];
    let sent = against_test_peer(n, exabgp_env(), None);
    let updates: Vec<Vec<u8>> = sent.into_iter().filter(|m| m[18] == 2).collect();
    let expected: Vec<Vec<u8>> = [
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:0000001C400101004002004003040A00FFFE40050400000064C0080478147814180A0002180A0006",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0034:02:00000015400101004002004003040A00FFFE400504000000C8180A0004180A0005",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:0000001C400101004002004003040A00FFFE400504000000C8C0080478147814180A0007180A0008",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0037:02:0000001C400101004002004003040A00FFFE40050400000064C0080400000000180A0001",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:00000020400101004002004003040A00FFFE40050400000064C008087814000078147814180A0003",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000",
    ]
    .iter()
    .map(|s| hex(s))
    .collect();
    assert_eq!(sorted_hex(&updates), sorted_hex(&expected));
    // The End-of-RIB comes last.
    assert_eq!(to_hex(updates.last().unwrap()), to_hex(&expected[5]));
}

#[test]
fn updates_match_conf_ebgp() {
    let mut n = neighbor("127.0.0.1", "127.0.0.1", 65533, 65000, "10.0.0.2");
    n.routes = vec![route("10.0.0.0/24", "10.0.1.254", |a| {
        a.local_pref = Some(200)
    })];
    let sent = against_test_peer(n, exabgp_env(), Some(65000));
    let updates: Vec<String> = sent
        .iter()
        .filter(|m| m[18] == 2)
        .map(|m| to_hex(m))
        .collect();
    assert_eq!(
        updates,
        vec![
            to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:002F:02:000000144001010040020602010000FFFD4003040A0001FE180A0000")),
            to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000")),
        ]
    );
}

#[test]
fn updates_match_conf_ipself6() {
    let mut n = neighbor("::1", "::1", 12345, 12345, "127.0.0.2");
    n.families = vec![Family::IPV6_UNICAST];
    n.routes = vec![RouteSpec {
        nlris: vec![RouteKey::parse_prefix("2a04:6d80::1/128").unwrap()].into(),
        attrs: RouteAttrs {
            next_hop_self: true,
            ..Default::default()
        },
        withdraw: false,
        watchdog: None,
    }];
    let sent = against_test_peer(n, exabgp_env(), None);
    let updates: Vec<String> = sent
        .iter()
        .filter(|m| m[18] == 2)
        .map(|m| to_hex(m))
        .collect();
    assert_eq!(
        updates,
        vec![
            to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:004E02:000000374001010040020040050400000064800E26000201100000000000000000000000000000000100802A046D80000000000000000000000001")),
            to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:001E02:00000007900F0003000201")),
        ]
    );
}

// ---------------------------------------------------------------- from ExaBGP's own config files

fn conformance_file(name: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/exabgp/etc")
        .join(name);
    p.exists().then_some(p)
}

fn from_file(name: &str) -> Option<(Config, Environment)> {
    let path = conformance_file(name)?;
    let parsed = ferrobgp_config::parse_file(&path).expect("config parses");
    let env =
        ferrobgp_config::Environment::from_iter([("exabgp_version", "5.0.0-0+test")]).unwrap();
    let (mut c, mut e) = ferrobgp_core::convert::from_config(&parsed, &env).expect("converts");
    e.software_version = "ExaBGP/5.0.0-0+test".into();
    c.processes.clear();
    Some((c, e))
}

#[test]
fn conformance_conf_cap_software_version_from_file() {
    let Some((c, e)) = from_file("conf-cap-software-version.conf") else {
        return;
    };
    let sent = against_test_peer(c.neighbors[0].clone(), e, None);
    assert_eq!(to_hex(&sent[0]), to_hex(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0049:01:04FFFD00B40A0000022C0206010400010001020641040000FFFD0202060002164B14134578614247502F352E302E302D302B74657374")));
}

#[test]
fn conformance_conf_new_v4_from_file() {
    let Some((c, e)) = from_file("conf-new-v4.conf") else {
        return;
    };
    let sent = against_test_peer(c.neighbors[0].clone(), e, None);
    let updates: Vec<Vec<u8>> = sent.into_iter().filter(|m| m[18] == 2).collect();
    let expected: Vec<Vec<u8>> = [
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:0000001C400101004002004003040A00FFFE40050400000064C0080478147814180A0002180A0006",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0034:02:00000015400101004002004003040A00FFFE400504000000C8180A0004180A0005",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:0000001C400101004002004003040A00FFFE400504000000C8C0080478147814180A0007180A0008",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0037:02:0000001C400101004002004003040A00FFFE40050400000064C0080400000000180A0001",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:003B:02:00000020400101004002004003040A00FFFE40050400000064C008087814000078147814180A0003",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000",
    ]
    .iter()
    .map(|s| hex(s))
    .collect();
    assert_eq!(sorted_hex(&updates), sorted_hex(&expected));
}

// ---------------------------------------------------------------- events through ferrobgp_api

#[test]
fn fsm_negotiated_signal_and_send_events() {
    let mut net = pair(vec![route("10.1.0.0/24", "10.0.0.1", |_| {})], |_, b| {
        let mut api = api_all("watcher");
        api.fsm = true;
        api.negotiated = true;
        api.signal = true;
        api.send.update = true;
        b.api = vec![api];
    });
    net.input(1, Input::Signal(ferrobgp_core::Signal::Usr1));
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "announce route 10.9.0.0/16 next-hop 10.0.0.2".into(),
        },
    );
    net.settle();
    let events = net.stdin_text(1, 0);
    for want in [
        "\"type\": \"fsm\"",
        "\"state\": \"ESTABLISHED\"",
        "\"type\": \"negotiated\"",
        "\"type\": \"signal\"",
        "\"name\": \"SIGUSR1\"",
        "\"direction\": \"send\"",
        "\"nlri\":\"10.9.0.0/16\"",
        "\"direction\": \"receive\"",
        "\"nlri\":\"10.1.0.0/24\"",
    ] {
        assert!(events.contains(want), "{want} missing from:\n{events}");
    }
}

#[test]
fn show_and_version_answers_come_from_the_api_formatters() {
    let mut net = pair(vec![], |_, _| {});
    for line in [
        "announce route 10.9.0.0/16 next-hop 10.0.0.2 med 5",
        "show neighbor summary",
        "show adj-rib out",
        "version",
    ] {
        net.input(
            1,
            Input::ProcessLine {
                process: ProcessId(0),
                line: line.into(),
            },
        );
        net.settle();
    }
    let out = net.stdin_text(1, 0);
    assert!(out.contains("10.0.0.1        65000"), "{out}");
    assert!(out.contains("established"), "{out}");
    // ExaBGP 5.0.15's `show adj-rib out`: address, family, NLRI with its next hop.
    assert!(
        out.contains("\n10.0.0.1 ipv4 unicast 10.9.0.0/16 next-hop 10.0.0.2\n"),
        "{out}"
    );
    assert!(out.contains("exabgp 5.0.15 (ferrobgp "), "{out}");
    // At exit every helper is told, in its encoding.
    net.input(1, Input::Signal(ferrobgp_core::Signal::Term));
    net.settle();
    let out = net.stdin_text(1, 0);
    assert!(out.contains("\"notification\": \"shutdown\""), "{out}");
}

#[test]
fn control_client_gets_text_answers_and_no_events() {
    // A control client (`ferrobgp cli`) on A, whose neighbor has no api block: its commands
    // apply to every neighbor, its answers are text and always acked, and it gets no events.
    let mut net = pair(vec![], |_, _| {});
    let cli = ProcessId::control(0);
    assert!(cli.is_control() && !ProcessId(0).is_control());
    net.input(
        0,
        Input::ProcessStarted {
            process: cli,
            pid: 0,
        },
    );
    for line in [
        "show neighbor summary",
        "announce route 10.44.0.0/16 next-hop 10.0.0.1",
        "announce flubber",
    ] {
        net.input(
            0,
            Input::ProcessLine {
                process: cli,
                line: line.into(),
            },
        );
        net.settle();
    }
    let out =
        String::from_utf8_lossy(net.nodes[0].stdin.get(&cli).map_or(&[][..], |v| v)).into_owned();
    let lines: Vec<&str> = out.lines().collect();
    assert!(out.contains("10.0.0.2        65000"), "{out}");
    assert!(out.contains("established"), "{out}");
    assert_eq!(
        lines.iter().filter(|l| **l == "done").count(),
        2,
        "show and announce answered done: {out}"
    );
    assert_eq!(lines.last(), Some(&"error"), "{out}");
    assert!(
        !out.contains("\"type\""),
        "no events for a control client: {out}"
    );
    assert_eq!(net.nodes[0].speaker.adj_rib_out_len(ip(B)), 1);
    // B's watcher saw the route arrive.
    assert!(net.stdin_text(1, 0).contains("10.44.0.0/16"));
    // Once gone, nothing more is written for it.
    net.input(
        0,
        Input::ProcessExited {
            process: cli,
            status: None,
        },
    );
    net.input(
        0,
        Input::ProcessLine {
            process: ProcessId::control(1),
            line: "version".into(),
        },
    );
    net.settle();
    assert!(net.nodes[0].stdin.contains_key(&ProcessId::control(1)));
    let before = net.nodes[0].stdin[&cli].len();
    net.input(1, Input::Signal(ferrobgp_core::Signal::Alrm));
    net.settle();
    assert_eq!(net.nodes[0].stdin[&cli].len(), before);
}

#[test]
fn reload_command_asks_the_driver_and_is_acked() {
    let mut net = pair(vec![], |_, _| {});
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "reload".into(),
        },
    );
    net.settle();
    assert!(
        net.log
            .iter()
            .any(|(n, o)| *n == 1 && matches!(o, Output::Reload)),
        "Output::Reload"
    );
    let out = net.stdin_text(1, 0);
    assert!(out.contains("\"answer\": \"done\""), "{out}");
}

#[test]
fn commands_of_one_read_are_applied_before_the_peers_run() {
    // api-rib: `announce X` then `clear adj-rib out` delivered in one iteration send nothing
    // for X; the UPDATEs of what stays wait for the iteration's Tick.
    let mut net = pair(vec![], |_, _| {});
    let before = net.sent_messages(1).iter().filter(|m| m[18] == 2).count();
    for line in [
        "announce route 10.50.0.0/16 next-hop 10.0.0.2",
        "clear adj-rib out",
        "announce route 10.51.0.0/16 next-hop 10.0.0.2",
    ] {
        net.input(
            1,
            Input::ProcessLine {
                process: ProcessId(0),
                line: line.into(),
            },
        );
        // No UPDATE is produced by a line alone.
        assert!(!std::iter::from_fn(|| net.nodes[1].speaker.poll_output())
            .any(|o| matches!(o, Output::Send { .. })));
    }
    net.settle();
    let updates: Vec<Vec<u8>> = net
        .sent_messages(1)
        .into_iter()
        .filter(|m| m[18] == 2)
        .skip(before)
        .collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(
        to_hex(&updates[0]).ends_with("100A33"),
        "{}",
        to_hex(&updates[0])
    );
}

#[test]
fn create_and_delete_neighbor_from_the_api() {
    // B has no neighbor for C: its process creates one, which connects at once; deleting it
    // ceases the session (6/3) and forgets it.
    let mut net = pair(vec![], |_, _| {});
    let c = {
        let mut n = neighbor(B, "10.0.0.3", 65000, 65000, "3.3.3.3");
        n.passive = true;
        net.add(
            "10.0.0.3",
            Config {
                neighbors: vec![n],
                ..Default::default()
            },
            Environment::default(),
        )
    };
    net.settle();
    let line = "create neighbor 10.0.0.3 local-address 10.0.0.2 local-as 65000 peer-as 65000 \
                router-id 2.2.2.2";
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: line.into(),
        },
    );
    net.settle();
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip("10.0.0.3")),
        Some(State::Established)
    );
    // The creating process feeds it: its announce reaches C.
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "neighbor 10.0.0.3 announce route 10.77.0.0/16 next-hop 10.0.0.2".into(),
        },
    );
    net.settle();
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip("10.0.0.3")), 1);
    // A second create of the same peer is refused.
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: line.into(),
        },
    );
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: "delete neighbor 10.0.0.3".into(),
        },
    );
    net.settle();
    assert_eq!(net.nodes[1].speaker.neighbor_state(ip("10.0.0.3")), None);
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established),
        "the other neighbor is untouched"
    );
    let cease = net
        .sent_messages(1)
        .into_iter()
        .rfind(|m| m[18] == 3)
        .expect("a NOTIFICATION");
    assert_eq!(&cease[19..21], &[6, 3]);
    let acks = net.stdin_text(1, 0);
    assert_eq!(acks.matches("\"answer\": \"error\"").count(), 1, "{acks}");
    let _ = c;
}

#[test]
fn listen_carries_md5_keys_and_minimum_ttls() {
    let mut n = neighbor(B, A, 65000, 65000, "1.1.1.1");
    n.md5_password = Some("secret".into());
    n.incoming_ttl = Some(254);
    n.listen = Some(1790);
    let mut other = neighbor("10.0.0.9", A, 65000, 65000, "1.1.1.1");
    other.passive = true;
    let mut sp = Speaker::new(
        Config {
            neighbors: vec![n, other],
            ..Default::default()
        },
        Environment::default(),
        Instant::now(),
    )
    .unwrap();
    let listens: Vec<Output> = std::iter::from_fn(|| sp.poll_output())
        .filter(|o| matches!(o, Output::Listen { .. }))
        .collect();
    assert_eq!(listens.len(), 1, "{listens:?}");
    let Output::Listen { addr, peers } = &listens[0] else {
        unreachable!()
    };
    assert_eq!(addr.port(), 1790);
    assert_eq!(
        peers,
        &vec![ferrobgp_core::ListenPeer {
            peer: ip(B),
            md5: Some("secret".into()),
            min_ttl: Some(254),
        }]
    );
}

#[test]
fn sigusr2_restarts_helper_processes_even_without_respawn() {
    let t0 = Instant::now();
    let mut p = process("helper");
    p.respawn = Some(false);
    let mut sp = Speaker::new(
        Config {
            processes: vec![p],
            ..Default::default()
        },
        Environment::default(),
        t0,
    )
    .unwrap();
    let drain = |sp: &mut Speaker| std::iter::from_fn(|| sp.poll_output()).collect::<Vec<_>>();
    let spawns = |out: &[Output]| {
        out.iter()
            .filter(|o| matches!(o, Output::Spawn { .. }))
            .count()
    };
    assert_eq!(spawns(&drain(&mut sp)), 1, "started with the daemon");
    let pid = ProcessId(0);
    sp.handle(
        t0,
        Input::ProcessStarted {
            process: pid,
            pid: 42,
        },
    );
    drain(&mut sp);

    sp.handle(t0, Input::Signal(ferrobgp_core::Signal::Usr2));
    let out = drain(&mut sp);
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::KillProcess { process } if *process == pid)));
    assert_eq!(spawns(&out), 0, "started again only once it has exited");

    sp.handle(
        t0,
        Input::ProcessExited {
            process: pid,
            status: Some(0),
        },
    );
    assert_eq!(
        spawns(&drain(&mut sp)),
        1,
        "restarted although respawn is off"
    );

    // An exit that nobody asked for is not restarted (respawn off).
    sp.handle(
        t0,
        Input::ProcessStarted {
            process: pid,
            pid: 43,
        },
    );
    sp.handle(
        t0,
        Input::ProcessExited {
            process: pid,
            status: Some(1),
        },
    );
    assert_eq!(spawns(&drain(&mut sp)), 0);
}

// ---------------------------------------------------------------------- auto-flush, adj-rib-in/out

/// B's process writes `line` (B is node 1, its process "watcher" is ProcessId 0).
fn b_says(net: &mut Net, line: &str) {
    net.input(
        1,
        Input::ProcessLine {
            process: ProcessId(0),
            line: line.into(),
        },
    );
    net.settle();
}

/// UPDATEs B sent after the first `skip`, as hex.
fn b_updates(net: &Net, skip: usize) -> Vec<String> {
    net.sent_messages(1)
        .into_iter()
        .filter(|m| m[18] == 2)
        .skip(skip)
        .map(|m| to_hex(&m))
        .collect()
}

#[test]
fn auto_flush_false_holds_api_changes_until_flush_adj_rib_out() {
    let mut net = pair(vec![], |_, b| b.auto_flush = false);
    let before = b_updates(&net, 0).len();
    b_says(&mut net, "announce route 10.60.0.0/16 next-hop 10.0.0.2");
    b_says(&mut net, "announce route 10.61.0.0/16 next-hop 10.0.0.2");
    b_says(&mut net, "withdraw route 10.61.0.0/16");
    b_says(&mut net, "announce route 10.62.0.0/16 next-hop 10.0.0.2");
    // Taken and acked, not sent; time passing sends nothing either.
    let acks = net.stdin_text(1, 0).matches("\"answer\": \"done\"").count();
    assert_eq!(acks, 4, "{}", net.stdin_text(1, 0));
    net.advance(Duration::from_secs(5));
    assert!(
        b_updates(&net, before).is_empty(),
        "{:?}",
        b_updates(&net, before)
    );
    // Held changes are not in the Adj-RIB-Out until flushed.
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip(A)), 0);
    b_says(&mut net, "flush adj-rib out");
    let sent = b_updates(&net, before);
    // The announce-then-withdraw of 10.61/16 collapsed into its withdraw; the two
    // announcements share one UPDATE.
    assert_eq!(
        sent,
        [
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001A020003100A3D0000",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00320200000015400101004002004003040A00000240050400000064100A3C100A3E"
        ]
    );
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip(A)), 2);
    // A later change waits for the next flush again.
    b_says(&mut net, "withdraw route 10.60.0.0/16");
    assert_eq!(b_updates(&net, before).len(), 2);
    b_says(&mut net, "flush adj-rib out");
    let sent = b_updates(&net, before);
    // The flush sends the held withdraw, then the Adj-RIB-Out again, as `flush adj-rib out`
    // always does.
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(sent[2].ends_with("0003100A3C0000"), "{}", sent[2]);
    assert!(sent[3].ends_with("100A3E"), "{}", sent[3]);
    // A's process saw the routes only after the flush.
    assert_eq!(
        net.nodes[0].speaker.neighbor_state(ip(B)),
        Some(State::Established)
    );
}

#[test]
fn auto_flush_false_does_not_hold_the_initial_table_and_clear_drops_held_changes() {
    let mut net = pair(vec![], |_, b| {
        b.auto_flush = false;
        b.routes = vec![route("10.70.0.0/16", "10.0.0.2", |_| {})];
    });
    // The configuration's route went with the initial table, without any flush.
    let sent = b_updates(&net, 0);
    assert!(sent.iter().any(|u| u.ends_with("100A46")), "{sent:?}");
    let before = sent.len();
    b_says(&mut net, "announce route 10.71.0.0/16 next-hop 10.0.0.2");
    b_says(&mut net, "clear adj-rib out");
    // The sent configuration route is withdrawn at once; the held one is dropped unsent.
    let sent = b_updates(&net, before);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].ends_with("0003100A460000"), "{}", sent[0]);
    b_says(&mut net, "flush adj-rib out");
    assert_eq!(b_updates(&net, before).len(), 1);
}

#[test]
fn adj_rib_out_false_forgets_what_was_sent() {
    let mut net = pair(vec![], |_, b| {
        b.adj_rib_out = false;
        b.routes = vec![route("10.80.0.0/16", "10.0.0.2", |_| {})];
    });
    let sent = b_updates(&net, 0);
    assert!(sent.iter().any(|u| u.ends_with("100A50")), "{sent:?}");
    b_says(&mut net, "announce route 10.81.0.0/16 next-hop 10.0.0.2");
    let before = b_updates(&net, 0).len();
    assert!(b_updates(&net, 0)[before - 1].ends_with("100A51"));
    // Nothing is kept once sent.
    assert_eq!(net.nodes[1].speaker.adj_rib_out_len(ip(A)), 0);
    // Without an outgoing cache, announcing the same route again sends it again.
    b_says(&mut net, "announce route 10.81.0.0/16 next-hop 10.0.0.2");
    assert_eq!(b_updates(&net, before).len(), 1);
    let before = before + 1;
    // Nothing to resend, nothing to withdraw, nothing to show.
    b_says(&mut net, "flush adj-rib out");
    b_says(&mut net, "clear adj-rib out");
    assert!(
        b_updates(&net, before).is_empty(),
        "{:?}",
        b_updates(&net, before)
    );
    let out_len = net.stdin_text(1, 0).len();
    net.nodes[1].stdin.clear();
    b_says(&mut net, "show adj-rib out");
    let shown = net.stdin_text(1, 0);
    assert!(!shown.contains("10.8"), "{shown}");
    assert!(shown.contains("done"), "{shown} ({out_len})");
    // A withdraw of a forgotten route is still sent.
    b_says(&mut net, "withdraw route 10.81.0.0/16");
    let sent = b_updates(&net, before);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].ends_with("0003100A510000"), "{}", sent[0]);
    // A new session gets the configuration's route again, not the API's.
    let before = b_updates(&net, 0).len();
    net.input(1, Input::Signal(ferrobgp_core::Signal::Alrm));
    net.advance(Duration::from_secs(10));
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    let sent = b_updates(&net, before);
    assert_eq!(
        sent.len(),
        2,
        "the configuration route and End-of-RIB: {sent:?}"
    );
    assert!(sent[0].ends_with("100A50"), "{}", sent[0]);
    assert_eq!(sent[1], "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170200000000");
}

#[test]
fn adj_rib_out_true_resends_api_routes_on_a_new_session() {
    // The counterpart of the test above, with ExaBGP's default.
    let mut net = pair(vec![], |_, _| {});
    b_says(&mut net, "announce route 10.81.0.0/16 next-hop 10.0.0.2");
    let before = b_updates(&net, 0).len();
    net.input(1, Input::Signal(ferrobgp_core::Signal::Alrm));
    net.advance(Duration::from_secs(10));
    let sent = b_updates(&net, before);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].ends_with("100A51"), "{}", sent[0]);
}

#[test]
fn adj_rib_in_keeps_received_routes_for_show_and_clear() {
    let routes = || {
        vec![
            route("10.90.0.0/16", "10.0.0.1", |_| {}),
            route("10.91.0.0/16", "10.0.0.1", |p| p.med = Some(7)),
        ]
    };
    let mut net = pair(routes(), |_, _| {});
    net.nodes[1].stdin.clear();
    b_says(&mut net, "show adj-rib in extensive");
    let shown = net.stdin_text(1, 0);
    let lines: Vec<&str> = shown.lines().filter(|l| l.contains("10.9")).collect();
    assert_eq!(lines.len(), 2, "{shown}");
    assert!(lines[0].contains("10.90.0.0/16"), "{shown}");
    assert!(
        lines[1].contains("10.91.0.0/16") && lines[1].contains("med 7"),
        "{shown}"
    );
    // A withdraw from the peer removes the route (A's configuration loses it on reload).
    let mut na = neighbor(B, A, 65000, 65000, "1.1.1.1");
    na.routes = routes().split_off(1);
    net.input(
        0,
        Input::Reload {
            config: Config {
                neighbors: vec![na],
                ..Default::default()
            },
        },
    );
    net.settle();
    net.nodes[1].stdin.clear();
    b_says(&mut net, "show adj-rib in");
    let shown = net.stdin_text(1, 0);
    assert!(
        !shown.contains("10.90.0.0/16") && shown.contains("10.91.0.0/16"),
        "{shown}"
    );
    b_says(&mut net, "clear adj-rib in");
    net.nodes[1].stdin.clear();
    b_says(&mut net, "show adj-rib in");
    let shown = net.stdin_text(1, 0);
    assert!(!shown.contains("10.91"), "{shown}");

    // adj-rib-in false: nothing kept.
    let mut net = pair(routes(), |_, b| b.adj_rib_in = false);
    net.nodes[1].stdin.clear();
    b_says(&mut net, "show adj-rib in");
    let shown = net.stdin_text(1, 0);
    assert!(!shown.contains("10.9"), "{shown}");
    assert!(shown.contains("done"), "{shown}");
}

/// OPERATIONAL messages B sent, as hex.
fn b_operational(net: &Net) -> Vec<String> {
    net.sent_messages(1)
        .into_iter()
        .filter(|m| m[18] == 6)
        .map(|m| to_hex(&m))
        .collect()
}

#[test]
fn announce_operational_goes_only_with_the_operational_capability() {
    // Without `capability { operational; }`: acked `done`, nothing sent (ExaBGP's peer.py only
    // sends queued operational messages when the capability is configured).
    let mut net = pair(vec![], |_, _| {});
    b_says(
        &mut net,
        "announce operational rpcq afi ipv4 safi unicast sequence 1",
    );
    assert!(b_operational(&net).is_empty());
    assert!(
        net.stdin_text(1, 0).contains("\"answer\": \"done\""),
        "{}",
        net.stdin_text(1, 0)
    );
    // Configured on B only: the peer did not announce it, so nothing goes (it would answer
    // with a NOTIFICATION); the session stays up.
    let mut net = pair(vec![], |_, b| b.capability.operational = true);
    b_says(
        &mut net,
        "announce operational rpcq afi ipv4 safi unicast sequence 1",
    );
    assert!(b_operational(&net).is_empty());
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    // On both: ExaBGP's bytes (its encoder: `Query.RPCQ(AFI.ipv4, SAFI.unicast, RouterID(
    // '10.0.0.1'), 1).message(None)`, and `Advisory.ADM(…, 'this is dynamic message #1')`);
    // without a router-id, a query carries the local one (B's 2.2.2.2). A reads them.
    let mut net = pair(vec![], |a, b| {
        a.capability.operational = true;
        b.capability.operational = true;
    });
    for line in [
        "announce operational rpcq afi ipv4 safi unicast router-id 10.0.0.1 sequence 1",
        "announce operational adm afi ipv4 safi unicast advisory \"this is dynamic message #1\"",
        "announce operational lpcq afi ipv4 safi unicast sequence 3",
    ] {
        b_says(&mut net, line);
    }
    assert_eq!(
        b_operational(&net),
        [
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060003000B0001010A00000100000001",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0034060001001D000101746869732069732064796E616D6963206D657373616765202331",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060007000B0001010202020200000003",
        ]
    );
    assert_eq!(
        net.nodes[0].speaker.neighbor_state(ip(B)),
        Some(State::Established)
    );
}

#[test]
fn announce_operational_before_the_session_is_queued() {
    // ExaBGP 5.0.15 (captured: tests/oracle/show-peer.txt of ferrobgp-api) answers `done` to
    // `announce operational` given before the session is up and sends the messages once it
    // is Established; the last ASM of a family goes again on every new session.
    let mut net = pair_unsettled(vec![], |a, b| {
        a.capability.operational = true;
        b.capability.operational = true;
    });
    for line in [
        "announce operational asm afi ipv4 safi unicast advisory \"hi\"",
        "announce operational rpcq afi ipv4 safi unicast router-id 10.0.0.1 sequence 1",
    ] {
        net.input(
            1,
            Input::ProcessLine {
                process: ProcessId(0),
                line: line.into(),
            },
        );
    }
    assert!(b_operational(&net).is_empty());
    net.settle();
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    // ASM "hi" (ExaBGP's bytes, wire's operational tests), then the query.
    const ASM: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001C06000200050001016869";
    const RPCQ: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060003000B0001010A00000100000001";
    assert_eq!(b_operational(&net), [ASM, RPCQ]);
    let answers = net.stdin_text(1, 0);
    assert_eq!(
        answers.matches("\"answer\": \"done\"").count(),
        2,
        "{answers}"
    );
    // A new session: the ASM again, not the query.
    net.input(1, Input::Signal(ferrobgp_core::Signal::Alrm));
    net.advance(Duration::from_secs(10));
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    assert_eq!(b_operational(&net), [ASM, RPCQ, ASM]);
}

#[test]
fn configured_operational_messages_go_when_the_session_is_up() {
    // A neighbor's `operational { … }` block (ExaBGP's configuration/operational): read by
    // the API's grammar when the configuration is converted, sent once a session that
    // negotiated the capability is up; the ASM again on every new session, the others once.
    let text = r#"
neighbor 10.0.0.1 {
    router-id 2.2.2.2;
    local-address 10.0.0.2;
    local-as 65000;
    peer-as 65000;
    capability { operational; }
    family { ipv4 unicast; }
    operational {
        asm afi ipv4 safi unicast advisory "hi";
        rpcq afi ipv4 safi unicast router-id 10.0.0.1 sequence 1;
    }
}
"#;
    let cfg = ferrobgp_config::parse_str(text, "op.conf").unwrap();
    let env = ferrobgp_config::Environment::default();
    let (converted, _) = ferrobgp_core::convert::from_config(&cfg, &env).unwrap();
    let operational = converted.neighbors[0].operational.clone();
    assert_eq!(operational.len(), 2);
    let mut net = pair_unsettled(vec![], |a, b| {
        a.capability.operational = true;
        b.capability.operational = true;
        b.operational = operational.clone();
    });
    assert!(b_operational(&net).is_empty());
    net.settle();
    // The same bytes as the API's (announce_operational_before_the_session_is_queued).
    const ASM: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001C06000200050001016869";
    const RPCQ: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060003000B0001010A00000100000001";
    assert_eq!(b_operational(&net), [ASM, RPCQ]);
    net.input(1, Input::Signal(ferrobgp_core::Signal::Alrm));
    net.advance(Duration::from_secs(10));
    assert_eq!(
        net.nodes[1].speaker.neighbor_state(ip(A)),
        Some(State::Established)
    );
    assert_eq!(b_operational(&net), [ASM, RPCQ, ASM]);

    // A statement the grammar refuses: the conversion fails, naming where.
    let bad = text.replace("sequence 1", "sequence x");
    let cfg = ferrobgp_config::parse_str(&bad, "op.conf").unwrap();
    let err = ferrobgp_core::convert::from_config(&cfg, &env)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 11:64: operational: "), "{err}");
    assert!(err.contains("operational"), "{err}");
}

/// A command from a control client (`ferrobgp cli`) on A, which has no process.
fn a_cli_says(net: &mut Net, line: &str) {
    let cli = ProcessId::control(0);
    net.input(
        0,
        Input::ProcessStarted {
            process: cli,
            pid: 0,
        },
    );
    net.input(
        0,
        Input::ProcessLine {
            process: cli,
            line: line.into(),
        },
    );
    net.settle();
}

#[test]
fn received_operational_reaches_the_process_only_with_the_capability() {
    // A sends OPERATIONAL to B, whose watcher asked for `receive { operational; }`.
    let mut net = pair(vec![], |a, b| {
        a.capability.operational = true;
        b.capability.operational = true;
        b.api[0].receive.operational = true;
    });
    net.nodes[1].stdin.clear();
    a_cli_says(
        &mut net,
        "announce operational rpcp afi ipv4 safi unicast router-id 1.2.3.4 sequence 4 counter 100",
    );
    let events = net.stdin_text(1, 0);
    let line = events
        .lines()
        .find(|l| l.contains("\"type\": \"operational\""))
        .unwrap_or_else(|| panic!("{events}"));
    // ExaBGP 5.0.15's event for the same message (show-json.txt of ferrobgp-api).
    assert!(
        line.contains("\"direction\": \"receive\", \"operational\": { \"name\": \"RPCP\", \"afi\": \"ipv4\", \"safi\": \"unicast\", \"router-id\": \"1.2.3.4\", \"sequence\": 4, \"counter\": 100 } } }"),
        "{line}"
    );
    // Without the capability on B, type 6 is an unknown type: NOTIFICATION 1/0 as ExaBGP
    // answers unknown types, and the session goes down.
    let mut net = pair(vec![], |a, _| a.capability.operational = true);
    let conn = *net.nodes[1].sent.keys().next().expect("B has a connection");
    net.input(
        1,
        Input::Received {
            conn,
            data: Bytes::from(hex(
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060003000B0001010A00000100000001",
            )),
        },
    );
    net.settle();
    let notifications: Vec<Vec<u8>> = net
        .sent_messages(1)
        .into_iter()
        .filter(|m| m[18] == 3)
        .collect();
    assert_eq!(notifications.len(), 1);
    assert_eq!(&notifications[0][19..21], &[1, 0]);
    assert_eq!(
        &notifications[0][21..],
        b"can not decode update message of type \"6\""
    );
}

#[test]
fn show_neighbor_reports_a_neighbor_that_never_came_up() {
    // ExaBGP 5.0.15 for such a neighbor (ferrobgp-api tests/oracle/show-down-cmd.txt): IDLE,
    // `down for` the time from its creation to its last failed attempt, n/a for what the
    // peer would have said, null ADD-PATH for a family configured for it.
    let mut net = Net::new(Instant::now());
    net.refuse = true;
    let mut n = neighbor(B, A, 65000, 65001, "1.1.1.1");
    n.add_path_families = vec![Family::IPV4_UNICAST];
    n.capability.add_path = 3;
    n.api = vec![ApiConfig {
        processes: vec!["watcher".into()],
        ..Default::default()
    }];
    net.add(
        A,
        Config {
            neighbors: vec![n],
            processes: vec![process("watcher")],
            ..Default::default()
        },
        Environment::default(),
    );
    net.advance(Duration::from_secs(5));
    for line in ["show neighbor extensive", "show neighbor json"] {
        net.input(
            0,
            Input::ProcessLine {
                process: ProcessId(0),
                line: line.into(),
            },
        );
        net.settle();
    }
    let out = net.stdin_text(0, 0);
    for want in [
        "\n   state                           IDLE                                \n",
        "\n   ID                           1.1.1.1             n/a                \n",
        "\n   add-path:                    enabled             n/a                \n",
        "\n   ipv4 unicast:                enabled             n/a disabled       \n",
        "\"fsm\": \"IDLE\"",
        "\"add-path\": {\"ipv4 unicast\": null}",
        "\"families\": {\"ipv4 unicast\": null}",
    ] {
        assert!(out.contains(want), "{want:?} in {out}");
    }
    assert!(
        out.contains("   down for                     0:00:0"),
        "{out}"
    );
}

#[test]
fn events_carry_the_host_and_ppid_the_driver_gives() {
    // ExaBGP writes socket.gethostname() and os.getppid(); the core takes them from its
    // Environment (the binary fills them) instead of doing I/O.
    let mut net = pair_unsettled_env(
        vec![],
        |_, _| {},
        Environment {
            host: "box".into(),
            ppid: 42,
            ..Default::default()
        },
    );
    net.settle();
    let text = net.stdin_text(1, 0);
    let pid = std::process::id();
    assert!(
        text.contains(&format!(
            "\"host\" : \"box\", \"pid\" : {pid}, \"ppid\" : 42, "
        )),
        "{text}"
    );
}

#[test]
fn consolidate_puts_the_raw_message_in_the_parsed_event() {
    // ExaBGP 5.0.15 (reactor/protocol.py, json.py `_header`): with `consolidate` a parsed
    // event carries "header" and "body" right after "type", and no separate packets event
    // is written; without it, `packets` gives its own event and the parsed one has none.
    let routes = || vec![route("10.9.0.0/24", "10.0.0.1", |_| {})];
    let flags = |consolidate| MessageFlags {
        parsed: true,
        packets: true,
        consolidate,
        update: true,
        ..Default::default()
    };
    let mut net = pair(routes(), |_, b| {
        b.api = vec![ApiConfig {
            processes: vec!["watcher".into()],
            receive: flags(true),
            ..Default::default()
        }]
    });
    net.settle();
    let text = net.stdin_text(1, 0);
    let update = text
        .lines()
        .find(|l| l.contains("\"type\": \"update\"") && l.contains("10.9.0.0/24"))
        .unwrap_or_else(|| panic!("no update event: {text}"));
    assert!(
        update.contains("\"type\": \"update\", \"header\": \"0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
        "{update}"
    );
    assert!(update.contains(", \"body\": \"0x"), "{update}");
    assert!(!text.contains("\"category\""), "{text}");

    let mut net = pair(routes(), |_, b| {
        b.api = vec![ApiConfig {
            processes: vec!["watcher".into()],
            receive: flags(false),
            ..Default::default()
        }]
    });
    net.settle();
    let text = net.stdin_text(1, 0);
    assert!(text.contains("\"category\": 2"), "{text}");
    let update = text
        .lines()
        .find(|l| l.contains("\"type\": \"update\"") && l.contains("10.9.0.0/24"))
        .unwrap_or_else(|| panic!("no update event: {text}"));
    assert!(!update.contains("\"header\""), "{update}");
}
