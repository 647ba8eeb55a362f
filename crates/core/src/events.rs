//! Events written to API processes (stand-in for `ferrobgp_api`'s encoders until they land).
//! JSON follows ExaBGP's envelope and bodies (reference §3.3); text follows §3.4.

use std::fmt::Write;
use std::net::IpAddr;

use crate::msg::{Notify, Open, ReceivedUpdate};
use crate::rib::{Family, NextHop};
use crate::setup::Encoder;

/// Who an event is about.
#[derive(Debug, Clone)]
pub struct Peer {
    pub local: Option<IpAddr>,
    pub peer: IpAddr,
    pub local_as: u32,
    pub peer_as: u32,
    pub router_id: std::net::Ipv4Addr,
}

/// The body of an event.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    State {
        state: &'static str,
        reason: Option<String>,
    },
    Open(&'a Open),
    Update(&'a ReceivedUpdate),
    Notification(&'a Notify),
    Keepalive,
    Refresh {
        family: Family,
        subtype: u8,
    },
}

impl Event<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Event::State { .. } => "state",
            Event::Open(_) => "open",
            Event::Update(_) => "update",
            Event::Notification(_) => "notification",
            Event::Keepalive => "keepalive",
            Event::Refresh { .. } => "refresh",
        }
    }
}

/// Envelope fields that are not about the peer.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub version: &'a str,
    pub time: f64,
    pub host: &'a str,
    pub pid: u32,
    pub ppid: u32,
    pub counter: u64,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

fn family_json(f: Family) -> (String, String) {
    let n = f.name();
    match n.split_once(' ') {
        Some((a, s)) => (a.to_string(), s.to_string()),
        None => (n, String::new()),
    }
}

fn origin_name(o: u8) -> &'static str {
    match o {
        0 => "igp",
        1 => "egp",
        _ => "incomplete",
    }
}

fn update_json(u: &ReceivedUpdate, out: &mut String) {
    if let Some(f) = u.end_of_rib {
        let (a, s) = family_json(f);
        let _ = write!(out, "\"eor\": {{ \"afi\": \"{a}\", \"safi\": \"{s}\" }}");
        return;
    }
    out.push_str("\"update\": { ");
    let mut first = true;
    if let Some(a) = &u.attrs {
        out.push_str("\"attribute\": { ");
        let mut parts = Vec::new();
        parts.push(format!(
            "\"origin\": \"{}\"",
            origin_name(a.origin.unwrap_or(0))
        ));
        if !a.as_path.is_empty() {
            let segs: Vec<String> = a
                .as_path
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let el = match s.kind {
                        1 => "as-set",
                        2 => "as-sequence",
                        3 => "confed-sequence",
                        _ => "confed-set",
                    };
                    let v: Vec<String> = s.asns.iter().map(u32::to_string).collect();
                    format!(
                        "\"{i}\": {{ \"element\": \"{el}\", \"value\": [ {} ] }}",
                        v.join(", ")
                    )
                })
                .collect();
            parts.push(format!("\"as-path\": {{ {} }}", segs.join(", ")));
        }
        if let Some(m) = a.med {
            parts.push(format!("\"med\": {m}"));
        }
        if let Some(l) = a.local_pref {
            parts.push(format!("\"local-preference\": {l}"));
        }
        if a.atomic_aggregate {
            parts.push("\"atomic-aggregate\": null".to_string());
        }
        if !a.communities.is_empty() {
            let c: Vec<String> = a
                .communities
                .iter()
                .map(|c| format!("[ {}, {} ]", c >> 16, c & 0xffff))
                .collect();
            parts.push(format!("\"community\": [ {} ]", c.join(", ")));
        }
        out.push_str(&parts.join(", "));
        out.push_str(" }");
        first = false;
    }
    if !u.announced.is_empty() {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str("\"announce\": { ");
        let mut fams: Vec<Family> = Vec::new();
        for k in &u.announced {
            if !fams.contains(&k.family) {
                fams.push(k.family);
            }
        }
        let mut fparts = Vec::new();
        for f in fams {
            let nh = u
                .next_hops
                .iter()
                .find(|(nf, _)| *nf == f)
                .and_then(|(_, nh)| *nh)
                .or(match u.attrs.as_ref().map(|a| a.next_hop) {
                    Some(NextHop::Ip(ip)) => Some(ip),
                    _ => None,
                })
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "null".to_string());
            let list: Vec<String> = u
                .announced
                .iter()
                .filter(|k| k.family == f)
                .map(|k| match k.path_id {
                    Some(p) => format!(
                        "{{ \"nlri\": \"{}\", \"path-information\": \"{}\" }}",
                        k.prefix_string(),
                        std::net::Ipv4Addr::from(p)
                    ),
                    None => format!("{{ \"nlri\": \"{}\" }}", k.prefix_string()),
                })
                .collect();
            fparts.push(format!(
                "\"{}\": {{ \"{nh}\": [ {} ] }}",
                f.name(),
                list.join(", ")
            ));
        }
        out.push_str(&fparts.join(", "));
        out.push_str(" }");
    }
    if !u.withdrawn.is_empty() {
        if !first {
            out.push_str(", ");
        }
        out.push_str("\"withdraw\": { ");
        let mut fams: Vec<Family> = Vec::new();
        for k in &u.withdrawn {
            if !fams.contains(&k.family) {
                fams.push(k.family);
            }
        }
        let fparts: Vec<String> = fams
            .iter()
            .map(|f| {
                let list: Vec<String> = u
                    .withdrawn
                    .iter()
                    .filter(|k| k.family == *f)
                    .map(|k| format!("{{ \"nlri\": \"{}\" }}", k.prefix_string()))
                    .collect();
                format!("\"{}\": [ {} ]", f.name(), list.join(", "))
            })
            .collect();
        out.push_str(&fparts.join(", "));
        out.push_str(" }");
    }
    out.push_str(" }");
}

/// One event as one line (with its newline).
pub fn encode(
    encoder: Encoder,
    env: &Envelope<'_>,
    peer: &Peer,
    direction: &str,
    event: &Event<'_>,
) -> String {
    match encoder {
        Encoder::Json => json(env, peer, direction, event),
        Encoder::Text => text(peer, direction, event),
    }
}

fn json(env: &Envelope<'_>, peer: &Peer, direction: &str, event: &Event<'_>) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "{{ \"exabgp\": \"{}\", \"time\": {:.6}, \"host\" : \"{}\", \"pid\": {}, \"ppid\": {}, \"counter\": {}, \"type\": \"{}\", ",
        esc(env.version),
        env.time,
        esc(env.host),
        env.pid,
        env.ppid,
        env.counter,
        event.kind()
    );
    let local = peer
        .local
        .map(|l| l.to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let _ = write!(
        s,
        "\"neighbor\": {{ \"address\": {{ \"local\": \"{}\", \"peer\": \"{}\" }}, \"asn\": {{ \"local\": {}, \"peer\": {} }} ",
        local, peer.peer, peer.local_as, peer.peer_as
    );
    match event {
        Event::State { state, reason } => {
            let _ = write!(s, ", \"state\": \"{state}\"");
            if let Some(r) = reason {
                let _ = write!(s, ", \"reason\": \"{}\"", esc(r));
            }
            s.push_str(" } }");
        }
        Event::Open(o) => {
            let caps: Vec<String> = o
                .capabilities
                .iter()
                .map(|c| format!("\"{}\": {{ \"name\": \"{}\" }}", c.code, cap_name(c.code)))
                .collect();
            let _ = write!(
                s,
                ", \"direction\": \"{direction}\", \"message\": {{ \"category\": 1, \"open\": {{ \"version\": {}, \"asn\": {}, \"hold_time\": {}, \"router_id\": \"{}\", \"capabilities\": {{ {} }} }} }} }} }}",
                o.version,
                o.asn(),
                o.hold_time,
                o.bgp_id,
                caps.join(", ")
            );
        }
        Event::Update(u) => {
            let _ = write!(
                s,
                ", \"router-id\": \"{}\", \"direction\": \"{direction}\", \"message\": {{ ",
                peer.router_id
            );
            update_json(u, &mut s);
            s.push_str(" } } }");
        }
        Event::Notification(n) => {
            let data: String = n.data.iter().map(|b| format!("{b:02X}")).collect();
            let _ = write!(
                s,
                ", \"direction\": \"{direction}\", \"notification\": {{ \"code\": {}, \"subcode\": {}, \"data\": \"{}\", \"message\": \"{}\" }} }} }}",
                n.code,
                n.subcode,
                data,
                esc(&n.describe())
            );
        }
        Event::Keepalive => {
            let _ = write!(s, ", \"direction\": \"{direction}\" }} }}");
        }
        Event::Refresh { family, subtype } => {
            let (a, f) = family_json(*family);
            let st = match subtype {
                1 => "begin",
                2 => "end",
                _ => "refresh",
            };
            let _ = write!(
                s,
                ", \"direction\": \"{direction}\", \"route-refresh\": {{ \"afi\": \"{a}\", \"safi\": \"{f}\", \"subtype\": \"{st}\" }} }} }}"
            );
        }
    }
    s.push('\n');
    s
}

fn cap_name(code: u8) -> &'static str {
    match code {
        1 => "multiprotocol",
        2 => "route-refresh",
        5 => "nexthop",
        6 => "extended-message",
        64 => "graceful-restart",
        65 => "asn4",
        69 => "add-path",
        70 => "enhanced-route-refresh",
        73 => "hostname",
        75 => "software-version",
        _ => "unknown",
    }
}

fn text(peer: &Peer, direction: &str, event: &Event<'_>) -> String {
    let mut s = format!("neighbor {} ", peer.peer);
    match event {
        Event::State { state, reason } => {
            s.push_str(state);
            if let Some(r) = reason {
                let _ = write!(s, " - {r}");
            }
        }
        Event::Open(o) => {
            let _ = write!(
                s,
                "{direction} open version {} asn {} hold_time {} router_id {}",
                o.version,
                o.asn(),
                o.hold_time,
                o.bgp_id
            );
        }
        Event::Update(u) => {
            if let Some(f) = u.end_of_rib {
                let _ = write!(s, "{direction} update eor {}", f.name());
            } else {
                let _ = writeln!(s, "{direction} update start");
                for k in &u.withdrawn {
                    let _ = writeln!(
                        s,
                        "neighbor {} {direction} update withdrawn {}",
                        peer.peer,
                        k.prefix_string()
                    );
                }
                for k in &u.announced {
                    let mut line = format!(
                        "neighbor {} {direction} update announced {}",
                        peer.peer,
                        k.prefix_string()
                    );
                    if let Some(a) = &u.attrs {
                        if let NextHop::Ip(ip) = a.next_hop {
                            let _ = write!(line, " next-hop {ip}");
                        }
                        let _ = write!(line, " origin {}", origin_name(a.origin.unwrap_or(0)));
                        if let Some(l) = a.local_pref {
                            let _ = write!(line, " local-preference {l}");
                        }
                    }
                    s.push_str(&line);
                    s.push('\n');
                }
                let _ = write!(s, "neighbor {} {direction} update end", peer.peer);
            }
        }
        Event::Notification(n) => {
            let _ = write!(
                s,
                "{direction} notification code {} subcode {}",
                n.code, n.subcode
            );
        }
        Event::Keepalive => {
            let _ = write!(s, "{direction} keepalive");
        }
        Event::Refresh { family, .. } => {
            let _ = write!(s, "{direction} route-refresh {}", family.name());
        }
    }
    s.push('\n');
    s
}
