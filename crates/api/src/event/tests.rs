use super::*;

fn daemon() -> DaemonInfo {
    DaemonInfo {
        version: "5.0.0".into(),
        host: "vm".into(),
        pid: 25617,
        ppid: 25488,
    }
}

fn neighbor() -> NeighborInfo {
    NeighborInfo {
        local_address: "127.0.0.1".parse().unwrap(),
        peer_address: "127.0.0.1".parse().unwrap(),
        local_as: 65533,
        peer_as: 65533,
        router_id: Some("10.0.0.2".parse().unwrap()),
    }
}

fn json(ev: &Event<'_>) -> serde_json::Value {
    let d = daemon();
    let n = neighbor();
    let ctx = EventContext {
        daemon: &d,
        time: 1795422070.03,
        counter: 1,
        neighbor: &n,
        negotiated: None,
    };
    let mut out = Vec::new();
    encode_json(&ctx, ev, &mut out);
    assert_eq!(out.last(), Some(&b'\n'));
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1, "one line");
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

/// The JSON line as written.
fn line_with(ev: &Event<'_>, n: &NeighborInfo) -> String {
    let d = daemon();
    let ctx = EventContext {
        daemon: &d,
        time: 1795422070.03,
        counter: 1,
        neighbor: n,
        negotiated: None,
    };
    let mut out = Vec::new();
    encode_json(&ctx, ev, &mut out);
    String::from_utf8(out).unwrap()
}

fn line(ev: &Event<'_>) -> String {
    line_with(ev, &neighbor())
}

/// What follows `"counter": 1, ` in a line (the type, raw bytes and neighbor).
fn after_counter(l: &str) -> &str {
    &l[l.find("\"counter\": 1, ").unwrap() + "\"counter\": 1, ".len()..]
}

const ADDR: &str = r#""neighbor": { "address": { "local": "127.0.0.1", "peer": "127.0.0.1" }, "asn": { "local": 65533, "peer": 65533 }"#;

/// Every shape of ExaBGP 5.0.15's `_neighbor`: with and without a router-id, a direction, a
/// content; and where `_header` puts the raw header and body (top level, after `type`, each
/// only when not empty).
#[test]
fn envelope_spacing_in_every_case() {
    let no_rid = NeighborInfo {
        router_id: None,
        ..neighbor()
    };
    // no direction, content
    assert_eq!(
        after_counter(&line(&Event::Up)),
        format!(
            "\"type\": \"state\", {ADDR}, \"router-id\": \"10.0.0.2\" , \"state\": \"up\" }} }}\n"
        )
    );
    assert_eq!(
        after_counter(&line_with(&Event::Up, &no_rid)),
        format!("\"type\": \"state\", {ADDR} , \"state\": \"up\" }} }}\n")
    );
    // direction, no content
    let ka = Event::Keepalive {
        direction: Direction::Send,
        raw: None,
    };
    assert_eq!(
        after_counter(&line(&ka)),
        format!("\"type\": \"keepalive\", {ADDR}, \"router-id\": \"10.0.0.2\" , \"direction\": \"send\"  }} }}\n")
    );
    assert_eq!(
        after_counter(&line_with(&ka, &no_rid)),
        format!("\"type\": \"keepalive\", {ADDR} , \"direction\": \"send\"  }} }}\n")
    );
    // raw bytes of a parsed event: at the top level; an empty body is left out
    let ka = Event::Keepalive {
        direction: Direction::Receive,
        raw: Some(RawMessage {
            header: &[0xff, 0x13, 0x04],
            body: &[],
        }),
    };
    assert_eq!(
        after_counter(&line_with(&ka, &no_rid)),
        format!("\"type\": \"keepalive\", \"header\": \"0xFF1304\", {ADDR} , \"direction\": \"receive\"  }} }}\n")
    );
    let rr = Event::Refresh {
        direction: Direction::Receive,
        refresh: RouteRefresh {
            family: Family::IPV4_UNICAST,
            subtype: 0,
        },
        raw: Some(RawMessage {
            header: &[0xff, 0x17, 0x05],
            body: &[0, 1, 0, 1],
        }),
    };
    assert_eq!(
        after_counter(&line_with(&rr, &no_rid)),
        format!("\"type\": \"refresh\", \"header\": \"0xFF1705\", \"body\": \"0x00010001\", {ADDR} , \"direction\": \"receive\", \"route-refresh\": {{ \"afi\": \"ipv4\", \"safi\": \"unicast\", \"subtype\": \"query\" }} }} }}\n")
    );
    // the packets view: its bytes inside the message, never at the top level, and the
    // space ExaBGP leaves after the message object
    let pk = Event::Packets {
        direction: Direction::Receive,
        category: 5,
        raw: RawMessage {
            header: &[0xff, 0x17, 0x05],
            body: &[0, 1, 0, 1],
        },
    };
    assert_eq!(
        after_counter(&line_with(&pk, &no_rid)),
        format!("\"type\": \"route-refresh\", {ADDR} , \"direction\": \"receive\", \"message\": {{ \"category\": 5, \"header\": \"0xFF1705\", \"body\": \"0x00010001\" }}  }} }}\n")
    );
    // a notification: the same space after its object
    let n = Notification {
        code: 4,
        subcode: 0,
        data: bytes::Bytes::from_static(b"\x7f"),
    };
    let ev = Event::Notification {
        direction: Direction::Send,
        notification: &n,
        raw: None,
    };
    assert_eq!(
        after_counter(&line_with(&ev, &no_rid)),
        format!("\"type\": \"notification\", {ADDR} , \"direction\": \"send\", \"notification\": {{ \"code\": 4, \"subcode\": 0, \"data\": \"0x7F\", \"message\": \"\\u007f\" }}  }} }}\n")
    );
    // the exit notice: no counter, no neighbor
    let mut out = Vec::new();
    encode_shutdown_json(&daemon(), 1795422070.03, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{ \"exabgp\": \"5.0.0\", \"time\": 1795422070.03, \"host\" : \"vm\", \"pid\" : 25617, \"ppid\" : 25488, \"type\": \"notification\", \"notification\": \"shutdown\" }\n"
    );
}

fn text(ev: &Event<'_>) -> String {
    let d = daemon();
    let n = neighbor();
    let ctx = EventContext {
        daemon: &d,
        time: 0.0,
        counter: 1,
        neighbor: &n,
        negotiated: None,
    };
    let mut out = Vec::new();
    encode_text(&ctx, ev, &mut out);
    let mut s = String::from_utf8(out).unwrap();
    // ExaBGP follows every text event with an empty line (the oracle's received.txt).
    if !s.is_empty() {
        assert!(s.ends_with("\n\n"), "{s:?}");
        s.pop();
    }
    s
}

#[test]
fn update_envelope_matches_exabgp() {
    let body = PreRendered {
        json: r#"{ "update": { "attribute": { "origin": "igp" }, "announce": { "ipv4 unicast": { "192.0.2.1": [ { "nlri": "203.0.113.0/24" } ] } } } }"#,
        text: &["announced 203.0.113.0/24 next-hop 192.0.2.1 origin igp"],
    };
    let v = json(&Event::Update {
        direction: Direction::Receive,
        body: &body,
        raw: None,
    });
    // ExaBGP 5.0.15's spacing (tests/oracle/envelope-*.json): ` : ` after host, pid and
    // ppid, a space after the router-id
    let expected = concat!(
        r#"{ "exabgp": "5.0.0", "time": 1795422070.03, "host" : "vm", "pid" : 25617, "ppid" : 25488, "#,
        r#""counter": 1, "type": "update", "#,
        r#""neighbor": { "address": { "local": "127.0.0.1", "peer": "127.0.0.1" }, "#,
        r#""asn": { "local": 65533, "peer": 65533 }, "router-id": "10.0.0.2" , "direction": "receive", "#,
        r#""message": { "update": { "attribute": { "origin": "igp" }, "#,
        r#""announce": { "ipv4 unicast": { "192.0.2.1": [ { "nlri": "203.0.113.0/24" } ] } } } } } }"#,
        "\n"
    );
    assert_eq!(
        line(&Event::Update {
            direction: Direction::Receive,
            body: &body,
            raw: None,
        }),
        expected
    );
    assert_eq!(
        v,
        serde_json::from_str::<serde_json::Value>(expected).unwrap()
    );
    assert_eq!(
        text(&Event::Update {
            direction: Direction::Receive,
            body: &body,
            raw: None
        }),
        "neighbor 127.0.0.1 receive update start\n\
         neighbor 127.0.0.1 receive update announced 203.0.113.0/24 next-hop 192.0.2.1 origin igp\n\
         neighbor 127.0.0.1 receive update end\n"
    );
}

#[test]
fn state_events() {
    let v = json(&Event::Up);
    assert_eq!(v["type"], "state");
    assert_eq!(v["neighbor"]["state"], "up");
    let v = json(&Event::Down {
        reason: "peer reset \"x\"",
    });
    assert_eq!(v["neighbor"]["state"], "down");
    assert_eq!(v["neighbor"]["reason"], "peer reset \"x\"");
    assert_eq!(text(&Event::Connected), "neighbor 127.0.0.1 connected\n");
    assert_eq!(
        text(&Event::Down { reason: "gone" }),
        "neighbor 127.0.0.1 down - gone\n"
    );
    let v = json(&Event::Fsm {
        state: FsmState::OpenConfirm,
    });
    assert_eq!(v["type"], "fsm");
    assert_eq!(v["neighbor"]["state"], "OPENCONFIRM");
    assert_eq!(
        text(&Event::Fsm {
            state: FsmState::Idle
        }),
        ""
    );
    let v = json(&Event::Signal {
        code: 15,
        name: "SIGTERM",
    });
    assert_eq!(v["neighbor"]["code"], "15");
    assert_eq!(v["neighbor"]["name"], "SIGTERM");
}

#[test]
fn keepalive_notification_refresh() {
    let v = json(&Event::Keepalive {
        direction: Direction::Send,
        raw: None,
    });
    assert_eq!(v["type"], "keepalive");
    assert_eq!(v["neighbor"]["direction"], "send");
    // RFC 9003: a length octet, then the Shutdown Communication.
    let n = Notification::new(6, 2, &b"\x03bye"[..]);
    let v = json(&Event::Notification {
        direction: Direction::Receive,
        notification: &n,
        raw: None,
    });
    assert_eq!(v["neighbor"]["notification"]["code"], 6);
    assert_eq!(v["neighbor"]["notification"]["subcode"], 2);
    assert_eq!(
        v["neighbor"]["notification"]["data"],
        "0x53687574646F776E20436F6D6D756E69636174696F6E3A202262796522"
    );
    assert_eq!(
        v["neighbor"]["notification"]["message"],
        "Shutdown Communication: \"bye\""
    );
    assert_eq!(
        text(&Event::Notification {
            direction: Direction::Receive,
            notification: &n,
            raw: None
        }),
        // ExaBGP 5.0.15's line for these bytes (tests/oracle/received.txt)
        "neighbor 127.0.0.1 receive notification code 6 subcode 2 data \
         0x53687574646F776E20436F6D6D756E69636174696F6E3A202262796522\n"
    );
    // other codes: the data as received
    let n = Notification::new(3, 1, &b"\x01\x02"[..]);
    assert_eq!(
        text(&Event::Notification {
            direction: Direction::Send,
            notification: &n,
            raw: None
        }),
        "neighbor 127.0.0.1 send notification code 3 subcode 1 data 0x0102\n"
    );
    for (data, want) in [
        (&b""[..], &b""[..]),
        (&b"\x00"[..], &b"empty Shutdown Communication."[..]),
        (
            &b"\x05ab"[..],
            &b"invalid Shutdown Communication (buffer underrun) length : 5 [0x6162]"[..],
        ),
        (
            &b"\x02\xff\xfe"[..],
            &b"invalid Shutdown Communication (invalid UTF-8) length : 2 [0xFFFE]"[..],
        ),
        (
            &b"\x01a\x09"[..],
            &b"Shutdown Communication: \"a\", trailing data: 0x09"[..],
        ),
    ] {
        let n = Notification::new(6, 4, data);
        assert_eq!(&*notification_data(&n), want);
    }
    let r = RouteRefresh {
        family: Family::IPV4_UNICAST,
        subtype: 0,
    };
    let v = json(&Event::Refresh {
        direction: Direction::Receive,
        refresh: r,
        raw: None,
    });
    assert_eq!(v["neighbor"]["route-refresh"]["afi"], "ipv4");
    assert_eq!(v["neighbor"]["route-refresh"]["safi"], "unicast");
    assert_eq!(
        text(&Event::Keepalive {
            direction: Direction::Receive,
            raw: Some(RawMessage {
                header: &[0xff, 0x13],
                body: &[]
            })
        }),
        "neighbor 127.0.0.1 receive keepalive header 0xFF13\n"
    );
}

#[test]
fn negotiated_is_valid_json() {
    let neg = NegotiatedInfo {
        message_size: 4096,
        hold_time: 180,
        asn4: true,
        refresh: RefreshMode::Normal,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        add_path_send: vec![Family::IPV4_UNICAST],
        ..NegotiatedInfo::default()
    };
    let v = json(&Event::Negotiated(&neg));
    let n = &v["neighbor"]["negotiated"];
    assert_eq!(n["message_size"], 4096);
    assert_eq!(n["refresh"], "normal");
    assert_eq!(n["families"][1], "ipv6 unicast");
    assert_eq!(n["add_path"]["send"][0], "ipv4 unicast");
}

#[test]
fn shutdown_lines() {
    let mut out = Vec::new();
    encode_shutdown_json(&daemon(), 1.5, &mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["type"], "notification");
    assert_eq!(v["notification"], "shutdown");
    assert!(v.get("counter").is_none());
    out.clear();
    encode_shutdown_text(&daemon(), &mut out);
    assert_eq!(out, b"shutdown 25617 25488\n\n");
}

#[test]
fn open_and_packets() {
    let body = PreRendered {
        json: r#"{ "version": 4, "asn": 65533, "hold_time": 180, "router_id": "10.0.0.2", "capabilities": { } }"#,
        text: &["version 4 asn 65533 hold_time 180 router_id 10.0.0.2 capabilities []"],
    };
    let v = json(&Event::Open {
        direction: Direction::Receive,
        body: &body,
        raw: None,
    });
    assert_eq!(v["neighbor"]["open"]["asn"], 65533);
    assert_eq!(
        text(&Event::Open {
            direction: Direction::Receive,
            body: &body,
            raw: None
        }),
        "neighbor 127.0.0.1 receive open version 4 asn 65533 hold_time 180 router_id 10.0.0.2 capabilities []\n"
    );
    let v = json(&Event::Packets {
        direction: Direction::Send,
        category: 4,
        raw: RawMessage {
            header: &[0xff; 3],
            body: &[],
        },
    });
    assert_eq!(v["type"], "keepalive");
    assert_eq!(v["neighbor"]["message"]["category"], 4);
    assert_eq!(v["neighbor"]["message"]["header"], "0xFFFFFF");
}

#[test]
fn advisory_bytes_as_python_repr() {
    // What Python 3 prints for these values (ExaBGP's text encoder formats the bytes).
    for (b, want) in [
        (&b"it's"[..], r#"b"it's""#),
        (b"a'b\"c", r#"b'a\'b"c'"#),
        (b"\t\n\r\x00\x7f\xff\\", r"b'\t\n\r\x00\x7f\xff\\'"),
        (b"", "b''"),
    ] {
        let mut out = Vec::new();
        python_bytes_repr(b, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}

#[test]
fn advisory_json_is_ascii_as_python_writes_it() {
    let mut out = Vec::new();
    json_str_ascii(&mut out, "café \"q\" \u{1F600}");
    assert_eq!(out, br#""caf\u00e9 \"q\" \ud83d\ude00""#);
    // Python escapes DEL too
    out.clear();
    json_str_ascii(&mut out, "a\x7fb\x01");
    assert_eq!(out, br#""a\u007fb\u0001""#);
}
