//! Answers to `show neighbor`, `show adj-rib`, `version` and `help`, in ExaBGP's text shapes
//! (reference section 3.2), over plain data the core passes. The `done` that follows an
//! answer is the ack's business ([`crate::ack`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use crate::selector::{NeighborIdentity, Targets};

/// The ExaBGP release whose API ferrobgp answers like.
pub const EXABGP_COMPAT_VERSION: &str = "5.0.15";

/// One row of `show neighbor summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighborSummary {
    pub peer: std::net::IpAddr,
    pub peer_as: u32,
    /// Time since the session came up; `None` when it is not established.
    pub up_for: Option<Duration>,
    /// FSM state in lower case as ExaBGP prints it (`idle`, `active`, `connect`, `opensent`,
    /// `openconfirm`, `established`).
    pub state: &'static str,
    /// UPDATEs sent and received.
    pub sent: u64,
    pub received: u64,
}

/// `H:MM:SS`, ExaBGP's up/down column.
fn up_down(d: Option<Duration>) -> String {
    match d {
        None => "down".to_string(),
        Some(d) => {
            let s = d.as_secs();
            format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
    }
}

/// `show neighbor summary` (text):
///
/// ```text
/// Peer            AS        up/down state       |     #sent     #recvd
/// 127.0.0.1       65000     0:00:05 established           3          1
/// ```
pub fn write_summary(rows: &[NeighborSummary], out: &mut Vec<u8>) {
    let _ = writeln!(
        out,
        "{:<15} {:<9} {:>7} {:<11} {:>11}{:>11}",
        "Peer", "AS", "up/down", "state", "|     #sent", "#recvd"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<15} {:<9} {:>7} {:<11} {:>11}{:>11}",
            r.peer.to_string(),
            r.peer_as,
            up_down(r.up_for),
            r.state,
            r.sent,
            r.received
        );
    }
}

/// `show neighbor summary json`: one JSON object per neighbor, one a line.
pub fn write_summary_json(rows: &[NeighborSummary], out: &mut Vec<u8>) {
    for r in rows {
        let v = serde_json::json!({
            "peer-address": r.peer.to_string(),
            "peer-as": r.peer_as,
            "state": r.state,
            "up-down": up_down(r.up_for),
            "messages": { "sent": r.sent, "received": r.received },
        });
        let _ = serde_json::to_writer(&mut *out, &v);
        out.push(b'\n');
    }
}

/// One Adj-RIB entry: the neighbor and the route rendered in command syntax
/// (`ipv4 unicast 192.0.2.0/24 next-hop 10.0.0.1 community 65000:1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibEntry<'a> {
    pub neighbor: &'a NeighborIdentity,
    pub route: &'a str,
}

/// `show adj-rib in|out [extensive]`: one `neighbor … <route>` line per entry; `extensive`
/// writes the whole peer description (`neighbor 127.0.0.1 local-ip … family-allowed in-open`)
/// as ExaBGP does, else only `neighbor IP`.
pub fn write_adj_rib(entries: &[RibEntry<'_>], extensive: bool, out: &mut Vec<u8>) {
    for e in entries {
        if extensive {
            let _ = writeln!(out, "{} {}", Targets::describe(e.neighbor), e.route);
        } else {
            let _ = writeln!(out, "neighbor {} {}", e.neighbor.peer_address, e.route);
        }
    }
}

/// `show adj-rib … json`: one JSON object per entry.
pub fn write_adj_rib_json(entries: &[RibEntry<'_>], out: &mut Vec<u8>) {
    for e in entries {
        let v = serde_json::json!({
            "neighbor": e.neighbor.peer_address.to_string(),
            "route": e.route,
        });
        let _ = serde_json::to_writer(&mut *out, &v);
        out.push(b'\n');
    }
}

/// `version`: `exabgp 5.0.15 (ferrobgp X)` — the first word and release keep scripts that
/// check for ExaBGP working.
pub fn write_version(ferrobgp_version: &str, out: &mut Vec<u8>) {
    let _ = writeln!(
        out,
        "exabgp {EXABGP_COMPAT_VERSION} (ferrobgp {ferrobgp_version})"
    );
}

/// The commands `help` lists, with their syntax.
pub const HELP: &[&str] = &[
    "announce route <prefix> <attributes>",
    "announce ipv4|ipv6 <safi> <route>",
    "announce flow route <flow>",
    "announce vpls <vpls>",
    "announce attribute(s) <attributes> nlri <prefix> ...",
    "announce eor [<afi> <safi>]",
    "announce route-refresh <afi> <safi>",
    "announce operational <asm|adm|rpcq|rpcp|apcq|apcp|lpcq|lpcp> afi <afi> safi <safi> ...",
    "announce watchdog <name>",
    "withdraw route <prefix> [<attributes>]",
    "withdraw ipv4|ipv6 <safi> <route>",
    "withdraw flow route <flow>",
    "withdraw vpls <vpls>",
    "withdraw attribute(s) <attributes> nlri <prefix> ...",
    "withdraw watchdog <name>",
    "group <command> ; <command> ...",
    "group start",
    "group end",
    "teardown <cease subcode>",
    "flush adj-rib out",
    "clear adj-rib in|out",
    "show neighbor [<ip>] [summary|extensive|configuration] [json]",
    "show adj-rib in|out [<ip>] [extensive] [json]",
    "shutdown",
    "reload",
    "restart",
    "reset",
    "version",
    "help",
    "enable-ack",
    "disable-ack",
    "silence-ack",
    "enable-sync",
    "disable-sync",
    "# <comment>",
];

/// `help`: a title line, then one command a line; commands marked (N) accept a
/// `neighbor <ip> [local-ip …] [local-as …] [peer-as …] [router-id …] [family-allowed …]`
/// prefix, several joined by `,`, `neighbor *` for all.
pub fn write_help(out: &mut Vec<u8>) {
    let mut s = String::from("available API commands are listed here:\n");
    s.push_str("=======================================\n");
    for c in HELP {
        let n = c.starts_with("announce")
            || c.starts_with("withdraw")
            || c.starts_with("group <")
            || c.starts_with("teardown")
            || c.starts_with("flush")
            || c.starts_with("clear");
        let _ = writeln!(s, "{}{c}", if n { "[neighbor <ip> [...]] " } else { "" });
    }
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident() -> NeighborIdentity {
        NeighborIdentity {
            peer_address: "127.0.0.1".parse().unwrap(),
            local_address: Some("127.0.0.1".parse().unwrap()),
            local_as: 65000,
            peer_as: 65000,
            router_id: "10.0.0.1".parse().unwrap(),
            families: None,
        }
    }

    #[test]
    fn summary_like_exabgp() {
        let mut out = Vec::new();
        write_summary(
            &[NeighborSummary {
                peer: "127.0.0.1".parse().unwrap(),
                peer_as: 65000,
                up_for: Some(Duration::from_secs(5)),
                state: "established",
                sent: 3,
                received: 1,
            }],
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Peer            AS        up/down state       |     #sent     #recvd\n\
             127.0.0.1       65000     0:00:05 established           3          1\n"
        );
    }

    #[test]
    fn adj_rib_like_exabgp() {
        let n = ident();
        let mut out = Vec::new();
        write_adj_rib(
            &[RibEntry {
                neighbor: &n,
                route: "ipv4 unicast 192.0.2.0/24 next-hop 10.0.0.1 community 65000:1",
            }],
            true,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "neighbor 127.0.0.1 local-ip 127.0.0.1 local-as 65000 peer-as 65000 router-id 10.0.0.1 family-allowed in-open ipv4 unicast 192.0.2.0/24 next-hop 10.0.0.1 community 65000:1\n"
        );
    }

    #[test]
    fn version_and_help() {
        let mut out = Vec::new();
        write_version("0.1.0", &mut out);
        assert_eq!(out, b"exabgp 5.0.15 (ferrobgp 0.1.0)\n");
        out.clear();
        write_help(&mut out);
        let s = String::from_utf8(out).unwrap();
        // every line of help that names a command parses as one (placeholders aside)
        assert!(s.contains("[neighbor <ip> [...]] teardown <cease subcode>"));
        assert!(s.lines().count() > HELP.len());
    }
}
