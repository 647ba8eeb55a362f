//! bgp-peer end to end: this test plays the daemon over loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrobgp_qa::ci::parse_hex;
use ferrobgp_qa::msg;

const OPEN: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0031:01:04FFFD00B40A000002140206010400010001020641040000FFFD02020600";
const U1: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418010000";
const U2: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418020000";
const U3: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418030000";
const EOR: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000";

struct Peer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

fn start(name: &str, case: &str, extra: &[&str]) -> Peer {
    let dir = std::env::temp_dir().join(format!("qa-peer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("case.ci"), case).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_bgp-peer"))
        .arg(dir.join("case.ci"))
        .arg("--port-file")
        .arg(dir.join("port"))
        .args(["--deadline", "10", "--timeout", "5", "--linger", "0.3"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    let port = loop {
        if let Some(p) = std::fs::read_to_string(dir.join("port"))
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break p;
        }
        assert!(Instant::now() < until, "peer did not listen");
        std::thread::sleep(Duration::from_millis(10));
    };
    Peer { child, port, dir }
}

fn read_message(s: &mut TcpStream) -> Vec<u8> {
    let mut header = [0u8; 19];
    s.read_exact(&mut header).unwrap();
    let len = u16::from_be_bytes([header[16], header[17]]) as usize;
    let mut m = header.to_vec();
    m.resize(len, 0);
    s.read_exact(&mut m[19..]).unwrap();
    m
}

/// Connects, sends our OPEN, checks the mirrored answer, sends `messages`.
fn converse(peer: &Peer, messages: &[&str]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", peer.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(&parse_hex(OPEN).unwrap()).unwrap();
    let answer = read_message(&mut s);
    let mut expected = parse_hex(OPEN).unwrap();
    expected[19 + 8] += 1;
    assert_eq!(answer, expected, "mirrored OPEN, router-id + 1");
    assert_eq!(read_message(&mut s), msg::keepalive());
    s.write_all(&msg::keepalive()).unwrap();
    for m in messages {
        s.write_all(&parse_hex(m).unwrap()).unwrap();
    }
    s
}

fn finish(mut peer: Peer) -> (bool, String) {
    let status = peer.child.wait().unwrap();
    let mut out = String::new();
    peer.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = std::fs::remove_dir_all(&peer.dir);
    (
        status.success() && out.lines().any(|l| l == "successful"),
        out,
    )
}

#[test]
fn any_order_in_a_group_and_trailing_eor_pass() {
    let peer = start("order", &format!("1:raw:{U1}\n1:raw:{U2}\n"), &[]);
    let _s = converse(&peer, &[U2, U1, EOR]);
    let (ok, out) = finish(peer);
    assert!(ok, "{out}");
}

#[test]
fn an_extra_message_fails() {
    let peer = start("extra", &format!("1:raw:{U1}\n"), &[]);
    let _s = converse(&peer, &[U1, U2]);
    let (ok, out) = finish(peer);
    assert!(!ok, "{out}");
    assert!(out.contains("received extra message"), "{out}");
}

#[test]
fn a_wrong_message_fails_with_a_diff() {
    let peer = start("wrong", &format!("1:raw:{U1}\n2:raw:{U2}\n"), &[]);
    let _s = converse(&peer, &[U2]);
    let (ok, out) = finish(peer);
    assert!(!ok, "{out}");
    assert!(
        out.contains("failure: unexpected message while waiting for group A1"),
        "{out}"
    );
    assert!(out.contains("first difference at byte 45"), "{out}");
}

#[test]
fn notification_then_next_connection() {
    let peer = start(
        "notify",
        &format!("A1:raw:{U1}\nA2:notification:bye\nB1:raw:{U2}\n"),
        &[],
    );
    let mut s = converse(&peer, &[U1]);
    // The peer sends a KEEPALIVE for each message, then the NOTIFICATION 6/2 "bye".
    let notification = loop {
        let m = read_message(&mut s);
        if msg::kind(&m) != msg::KEEPALIVE {
            break m;
        }
    };
    assert_eq!(notification, msg::shutdown_notification("bye"));
    drop(s);
    let _s2 = converse(&peer, &[U2]);
    let (ok, out) = finish(peer);
    assert!(ok, "{out}");
}

#[test]
fn route_refresh_replays_updates() {
    let peer = start("refresh", &format!("1:raw:{U1}\n2:raw:{U2}\n"), &[]);
    let mut s = converse(
        &peer,
        &[U1, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:05:00010001"],
    );
    let replayed = loop {
        let m = read_message(&mut s);
        if msg::kind(&m) == msg::UPDATE {
            break m;
        }
    };
    assert_eq!(replayed, parse_hex(U1).unwrap());
    s.write_all(&parse_hex(U2).unwrap()).unwrap();
    let (ok, out) = finish(peer);
    assert!(ok, "{out}");
}

#[test]
fn timeout_reports_what_was_expected() {
    let peer = start("timeout", &format!("1:raw:{U1}\n"), &["--timeout", "1"]);
    let _s = converse(&peer, &[]);
    let (ok, out) = finish(peer);
    assert!(!ok);
    assert!(
        out.contains("timed out") && out.contains("still expected"),
        "{out}"
    );
}

#[test]
fn a_session_the_daemon_resets_fails() {
    // The rules still wait for U2 on connection A when the daemon closes it: a reset (what a
    // reload must not do), not a move to the next connection.
    let peer = start("reset", &format!("A1:raw:{U1}\nA2:raw:{U2}\n"), &[]);
    let s = converse(&peer, &[U1]);
    drop(s);
    let (ok, out) = finish(peer);
    assert!(!ok, "{out}");
    assert!(
        out.contains("the daemon closed session A while the rules still expect messages on it"),
        "{out}"
    );
}

#[test]
fn send_rules_and_reload_copy_before_the_signal() {
    // A stand-in for the daemon to signal: the test must not signal itself.
    let mut target = Command::new("sleep").arg("30").spawn().unwrap();
    let dir = std::env::temp_dir().join(format!("qa-peer-reload-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (next, conf) = (dir.join("next.conf"), dir.join("x.conf"));
    std::fs::write(&next, "after\n").unwrap();
    std::fs::write(&conf, "before\n").unwrap();
    let pid = target.id().to_string();
    let (next_arg, conf_arg) = (next.display().to_string(), conf.display().to_string());
    let peer = start(
        "send",
        &format!("1:raw:{U1}\n2:send:{U3}\n2:signal:SIGTERM\n3:raw:{U2}\n"),
        &["--daemon-pid", &pid, "--reload-copy", &next_arg, &conf_arg],
    );
    let mut s = converse(&peer, &[U1]);
    let sent = loop {
        let m = read_message(&mut s);
        if msg::kind(&m) == msg::UPDATE {
            break m;
        }
    };
    assert_eq!(sent, parse_hex(U3).unwrap(), "the send: rule's message");
    let status = target.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), "after\n");
    s.write_all(&parse_hex(U2).unwrap()).unwrap();
    let (ok, out) = finish(peer);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{out}");
}
