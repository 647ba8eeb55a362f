//! The text encoder's UPDATE lines against what ExaBGP 5.0.15 wrote for the same messages.
//!
//! `tests/oracle/received*.txt` were captured from real ExaBGP (`encoder text`, `receive {
//! parsed; update; … }`) by `tests/oracle/capture_text.py`, which played the peer on
//! loopback and sent the UPDATEs listed in `received*.raw` (the `raw:` lines of ExaBGP's
//! functional cases conf-vpn, conf-flow, conf-l2vpn, conf-mvpn, … under
//! ../shared/conformance/exabgp/encoding), each followed by a withdrawal of its MP_REACH
//! NLRI and its family's End-of-RIB. The bodies sent are in `received*.txt.sent`, one
//! per `update start` … `update end` block. Each body is decoded here as the core does
//! (`UpdateView::parse`, `to_update`) and written by `text::write_update_lines`.

use bytes::Bytes;
use ferrobgp_api::text::write_update_lines;
use ferrobgp_wire::{Family, SessionContext, UpdateView};

const PREFIX: &str = "neighbor 127.0.0.1 receive update";

fn blocks(text: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<&str>> = None;
    for line in text.lines() {
        if line == format!("{PREFIX} start") {
            cur = Some(Vec::new());
        } else if line == format!("{PREFIX} end") {
            out.extend(cur.take());
        } else if let Some(c) = cur.as_mut() {
            c.push(line);
        }
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Where ExaBGP 5.0.15 is wrong and ferrobgp does not follow it: (file, block, why), the
/// block left out of the comparison.
const NOT_FOLLOWED: &[(&str, usize, &str)] = &[
    // conf-flow's IPv6 rule `source-ipv6 ::1/128/120`: ExaBGP 5.0.15 writes nothing for the
    // announcement and takes the withdrawal for an End-of-RIB (it misreads the offset
    // form); its JSON in ExaBGP's own test data (main) shows the rule.
    (
        "received",
        46,
        "ipv6 flow prefix with an offset: exabgp reads nothing",
    ),
    (
        "received",
        47,
        "ipv6 flow prefix with an offset: exabgp says End-of-RIB",
    ),
];

/// ExaBGP 5.0.15 text that ferrobgp writes differently on purpose: (what 5.0.15 wrote,
/// what ferrobgp writes, why).
const REWRITTEN: &[(&str, &str, &str)] = &[(
    "origin:6789:2.3.4.5",
    "origin:2.3.4.5:6789",
    // OriginIPASN.unpack passes (ip, asn) to __init__(asn, ip): 5.0.15 swaps the two in
    // text and JSON; ExaBGP's test data (conf-flow-redirect.ci, main) and ferrobgp's JSON
    // say origin:2.3.4.5:6789, as the bytes do (RFC 4360 §5: IPv4 address, then 2 octets).
    "route origin IPv4-address-specific: 5.0.15 swaps the fields",
)];

fn check(name: &str, ctx: &SessionContext) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/");
    let text = std::fs::read_to_string(format!("{dir}{name}.txt")).unwrap();
    let sent = std::fs::read_to_string(format!("{dir}{name}.txt.sent")).unwrap();
    let expected = blocks(&text);
    let bodies: Vec<&str> = sent.lines().collect();
    assert_eq!(expected.len(), bodies.len(), "{name}: one block per UPDATE");
    let mut failures = Vec::new();
    for (n, (body, want)) in bodies.iter().zip(&expected).enumerate() {
        if NOT_FOLLOWED.iter().any(|(f, b, _)| *f == name && *b == n) {
            continue;
        }
        let want: Vec<String> = want
            .iter()
            .map(|l| {
                REWRITTEN
                    .iter()
                    .fold(l.to_string(), |l, (from, to, _)| l.replace(from, to))
            })
            .collect();
        let body = hex(body);
        let mut msg = vec![0xff; 16];
        msg.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        msg.push(2);
        msg.extend_from_slice(&body);
        let view = UpdateView::parse(Bytes::from(msg), ctx).expect("a valid UPDATE");
        let u = view.to_update();
        let mut out = Vec::new();
        write_update_lines(
            PREFIX,
            &u.attributes,
            &u.withdrawn,
            &u.announced,
            u.end_of_rib,
            &mut out,
        );
        let got = String::from_utf8(out).unwrap();
        let got: Vec<&str> = got.lines().collect();
        if got != want {
            failures.push(format!(
                "{name} #{n}:\n  exabgp:   {}\n  ferrobgp: {}",
                want.join("\n            "),
                got.join("\n            ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        bodies.len(),
        failures.join("\n")
    );
}

#[test]
fn text_updates_match_exabgp() {
    check(
        "received",
        &SessionContext {
            asn4: true,
            extended_message: true,
            ..Default::default()
        },
    );
}

#[test]
fn text_updates_with_add_path_match_exabgp() {
    check(
        "received-addpath",
        &SessionContext {
            asn4: true,
            extended_message: true,
            add_path_receive: vec![
                Family::IPV4_UNICAST,
                Family::IPV6_UNICAST,
                Family::IPV4_MPLS_LABEL,
                Family::IPV6_MPLS_LABEL,
                Family::IPV4_MPLS_VPN,
                Family::IPV6_MPLS_VPN,
            ],
            ..Default::default()
        },
    );
}
