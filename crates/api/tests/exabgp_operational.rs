//! OPERATIONAL events (`receive { operational; }`) against what ExaBGP 5.0.15 wrote for the
//! same messages, and the text encoder's empty line after each event.
//!
//! `tests/oracle/show-*.txt` were captured from real ExaBGP by `tests/oracle/capture_show.py`,
//! which played the peer on loopback: `show-sent.txt` holds the messages it sent (an UPDATE,
//! then one OPERATIONAL message of each kind ExaBGP reports), `show-text.txt` and
//! `show-json.txt` what ExaBGP's `encoder text` and `encoder json` processes read. Each
//! OPERATIONAL message is decoded here by wire and written by api's encoders.

use bytes::Bytes;
use ferrobgp_api::event::{
    encode_json, encode_shutdown_text, encode_text, Direction, Event, EventContext,
};
use ferrobgp_wire::operational::{OperationalMessage, MSG_TYPE};

mod common;
use common::{daemon, hex, neighbor, normalize, oracle};

/// The OPERATIONAL messages the capture's peer sent, decoded.
fn sent_operational() -> Vec<OperationalMessage> {
    oracle("show-sent.txt")
        .lines()
        .map(hex)
        .filter(|m| m[18] == MSG_TYPE)
        .map(|m| OperationalMessage::decode(&Bytes::from(m).slice(19..)).unwrap())
        .collect()
}

#[test]
fn operational_text_like_exabgp() {
    let want: Vec<String> = oracle("show-text.txt")
        .lines()
        .filter(|l| l.contains(" operational "))
        .map(|l| format!("{l}\n"))
        .collect();
    let msgs = sent_operational();
    assert_eq!(want.len(), msgs.len());
    let (d, n) = (daemon(), neighbor());
    let mut all = Vec::new();
    for (m, want) in msgs.iter().zip(&want) {
        let ctx = EventContext {
            daemon: &d,
            time: 0.0,
            counter: 1,
            neighbor: &n,
            negotiated: None,
        };
        let mut out = Vec::new();
        encode_text(
            &ctx,
            &Event::Operational {
                direction: Direction::Receive,
                message: m,
                raw: None,
            },
            &mut out,
        );
        assert_eq!(&String::from_utf8(out.clone()).unwrap(), want);
        all.extend(out);
    }
    // The whole stream as ExaBGP wrote it: operational lines back to back, then the
    // shutdown line followed by an empty line.
    let mut d2 = daemon();
    let text = oracle("show-text.txt");
    let last = text.lines().find(|l| l.starts_with("shutdown ")).unwrap();
    let mut it = last.split(' ').skip(1);
    d2.pid = it.next().unwrap().parse().unwrap();
    d2.ppid = it.next().unwrap().parse().unwrap();
    encode_shutdown_text(&d2, &mut all);
    assert_eq!(String::from_utf8(all).unwrap(), text);
}

/// The JSON documents compared as values, without the fields that change per run.
fn comparable(line: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["time", "host", "pid", "ppid"] {
        o.remove(k);
    }
    v
}

#[test]
fn operational_json_like_exabgp() {
    let want: Vec<String> = oracle("show-json.txt")
        .lines()
        .filter(|l| l.contains("\"type\": \"operational\""))
        .map(str::to_string)
        .collect();
    let msgs = sent_operational();
    assert_eq!(want.len(), msgs.len());
    let (d, n) = (daemon(), neighbor());
    for (i, (m, want)) in msgs.iter().zip(&want).enumerate() {
        let ctx = EventContext {
            daemon: &d,
            time: 0.0,
            counter: comparable(want)["counter"].as_u64().unwrap(),
            neighbor: &n,
            negotiated: None,
        };
        let mut out = Vec::new();
        encode_json(
            &ctx,
            &Event::Operational {
                direction: Direction::Receive,
                message: m,
                raw: None,
            },
            &mut out,
        );
        let got = String::from_utf8(out).unwrap();
        assert!(got.ends_with(" } }\n"), "{got}");
        assert_eq!(comparable(&got), comparable(want), "{got}");
        // The message part byte for byte, non-ASCII advisory text escaped as ExaBGP does.
        let part = &want[want.find("\"operational\": {").unwrap()..];
        assert!(got.trim_end().ends_with(part), "{got}\n{part}");
        // and the whole line, once the values that vary per run are replaced
        assert_eq!(normalize(got.trim_end()), normalize(want), "line {}", i + 1);
    }
}

#[test]
fn unknown_operational_types_are_not_reported() {
    // ExaBGP's `Operational.unpack_message` returns nothing for types it has no class for
    // (NS, DUP, …): no event. 0xFFFF = NS.
    let m = OperationalMessage::decode(&Bytes::from_static(&[0xff, 0xff, 0, 5, 0, 1, 1, 0, 1]))
        .unwrap();
    let (d, n) = (daemon(), neighbor());
    let ctx = EventContext {
        daemon: &d,
        time: 0.0,
        counter: 1,
        neighbor: &n,
        negotiated: None,
    };
    let ev = Event::Operational {
        direction: Direction::Receive,
        message: &m,
        raw: None,
    };
    let mut out = Vec::new();
    encode_json(&ctx, &ev, &mut out);
    encode_text(&ctx, &ev, &mut out);
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
}
