//! Our JSON against ExaBGP's, on independent bytes:
//! (a) every case of ExaBGP's `decoding/` folder, (b) every `raw:` line followed by a `json:`
//! line in the `encoding/` and `api/` `.ci` files. JSON is compared semantically, ignoring
//! `exabgp`, `time`, `host`, `pid`, `ppid` and `counter`. The data is read in place from the
//! shared conformance folder (ExaBGP's BSD-licensed test data), never copied.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use bytes::Bytes;
use ferrobgp_wire::json::{message_event, Envelope, Neighbor};
use ferrobgp_wire::*;
use serde_json::Value;

fn conformance_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/exabgp");
    d.is_dir().then_some(d)
}

/// Decoding cases of families outside the codec issue, with why they fail for now.
const EXPECTED_TO_FAIL: &[(&str, &str)] = &[];

fn strip(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in ["exabgp", "time", "host", "pid", "ppid", "counter"] {
            m.remove(k);
        }
    }
    v
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let clean: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    hex::decode(clean).ok()
}

/// The message with its header: the decoding cases sometimes give only the body.
fn with_header(mut bytes: Vec<u8>, kind: u8) -> Vec<u8> {
    if bytes.len() >= 16 && bytes[..16].iter().all(|b| *b == 0xFF) {
        return bytes;
    }
    let len = (bytes.len() + 19) as u16;
    let mut m = vec![0xFF; 16];
    m.extend_from_slice(&len.to_be_bytes());
    m.push(kind);
    m.append(&mut bytes);
    m
}

fn context(add_path: bool) -> SessionContext {
    let all = [
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_MULTICAST,
        Family::IPV6_MULTICAST,
        Family::IPV4_MPLS_LABEL,
        Family::IPV6_MPLS_LABEL,
        Family::IPV4_MPLS_VPN,
        Family::IPV6_MPLS_VPN,
        Family::IPV4_FLOW,
        Family::IPV6_FLOW,
        Family::IPV4_FLOW_VPN,
        Family::IPV6_FLOW_VPN,
    ];
    SessionContext {
        asn4: true,
        extended_message: true,
        add_path_receive: if add_path { all.to_vec() } else { Vec::new() },
        extended_next_hop: all.iter().map(|f| (*f, Afi::IPV6)).collect(),
        ..Default::default()
    }
}

fn render(bytes: &[u8], ctx: &SessionContext, neighbor: &Neighbor) -> Result<Value, String> {
    let msg =
        decode_message(Bytes::copy_from_slice(bytes), ctx).map_err(|e| format!("decode: {e}"))?;
    let env = Envelope {
        version: "6.0.0",
        time: 0.0,
        host: "h",
        pid: 0,
        ppid: 0,
        counter: 1,
        kind: "",
    };
    let mut out = Vec::new();
    message_event(&mut out, &env, neighbor, &msg);
    serde_json::from_slice(&out).map_err(|e| {
        format!(
            "our JSON does not parse: {e}: {}",
            String::from_utf8_lossy(&out)
        )
    })
}

fn neighbor_of(expected: &Value) -> Neighbor<'static> {
    let n = &expected["neighbor"];
    let ip = |v: &Value| v.as_str().and_then(|s| s.parse::<IpAddr>().ok());
    let d = Neighbor::default();
    Neighbor {
        local_address: ip(&n["address"]["local"]).unwrap_or(d.local_address),
        peer_address: ip(&n["address"]["peer"]).unwrap_or(d.peer_address),
        local_asn: n["asn"]["local"].as_u64().map_or(d.local_asn, |a| a as u32),
        peer_asn: n["asn"]["peer"].as_u64().map_or(d.peer_asn, |a| a as u32),
        router_id: n["router-id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(d.router_id),
        direction: "in",
    }
}

#[test]
fn exabgp_decoding_cases() {
    let Some(dir) = conformance_dir() else {
        eprintln!("conformance folder absent: skipping");
        return;
    };
    let mut names: Vec<_> = std::fs::read_dir(dir.join("decoding"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let (mut passed, mut failures) = (0, Vec::new());
    for path in &names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let (head, hexline, json) = (
            lines.next().unwrap_or(""),
            lines.next().unwrap_or(""),
            lines.next().unwrap_or(""),
        );
        let expected: Option<Value> = serde_json::from_str(json).ok();
        let kind = if head.starts_with("open") { 1 } else { 2 };
        let result = match (unhex(hexline), &expected) {
            // A bare NLRI (the BGP-LS cases): ExaBGP's JSON of that NLRI alone.
            (Some(b), Some(exp)) if head.starts_with("nlri") => {
                let mut out = Vec::new();
                match ferrobgp_wire::bgpls::BgpLs::parse(&b)
                    .and_then(|n| n.write_json(None, &mut out))
                    .and_then(|_| serde_json::from_slice::<Value>(&out).ok())
                {
                    Some(ours) if ours == *exp => Ok(()),
                    Some(ours) => Err(format!("differs\n  ours:     {ours}\n  exabgp:   {exp}")),
                    None => Err("NLRI does not parse".into()),
                }
            }
            (Some(b), Some(exp)) => {
                let bytes = with_header(b, kind);
                render(&bytes, &context(false), &Neighbor::default()).and_then(|ours| {
                    if strip(ours.clone()) == strip(exp.clone()) {
                        Ok(())
                    } else {
                        Err(format!(
                            "differs\n  ours:     {}\n  exabgp:   {}",
                            strip(ours),
                            strip(exp.clone())
                        ))
                    }
                })
            }
            _ => Err("case does not parse (not a message + JSON case)".into()),
        };
        let xfail = EXPECTED_TO_FAIL.iter().find(|(n, _)| *n == name);
        match (result, xfail) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => failures.push(format!(
                "{name}: expected to fail but passes: take it off the list"
            )),
            (Err(e), None) => failures.push(format!("{name}: {e}")),
            (Err(e), Some((_, why))) => {
                eprintln!("{name}: expected failure: {why}");
                if std::env::var_os("WIRE_SHOW_DIFFS").is_some() {
                    eprintln!("{e}");
                }
            }
        }
    }
    eprintln!(
        "decoding cases: {passed} passed, {} expected failures, of {}",
        EXPECTED_TO_FAIL.len(),
        names.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn family_of(v: &Value) -> String {
    let m = &v["neighbor"]["message"];
    if m.get("eor").is_some() {
        return "eor".into();
    }
    for part in ["announce", "withdraw"] {
        if let Some(o) = m["update"][part].as_object() {
            if let Some(k) = o.keys().next() {
                return k.clone();
            }
        }
    }
    if v["neighbor"].get("open").is_some() {
        return "open".into();
    }
    "attributes only".into()
}

#[test]
fn exabgp_ci_json_lines() {
    let Some(dir) = conformance_dir() else {
        eprintln!("conformance folder absent: skipping");
        return;
    };
    let mut files = Vec::new();
    for sub in ["encoding", "api"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "ci") {
                files.push(p);
            }
        }
    }
    files.sort();
    // family → (matched, total)
    let mut by_family: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut matched, mut total) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut last_raw: Option<(usize, Vec<u8>)> = None;
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ':');
            let (_seq, kind, content) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            match kind {
                "raw" => last_raw = unhex(content).map(|b| (no + 1, b)),
                "json" | "jsv6" => {
                    let Ok(expected) = serde_json::from_str::<Value>(content) else {
                        continue;
                    };
                    let Some((raw_line, bytes)) = &last_raw else {
                        continue;
                    };
                    let family = family_of(&expected);
                    total += 1;
                    let e = by_family.entry(family.clone()).or_default();
                    e.1 += 1;
                    let add_path = content.contains("path-information");
                    let res = render(bytes, &context(add_path), &neighbor_of(&expected));
                    let ok =
                        matches!(&res, Ok(ours) if strip(ours.clone()) == strip(expected.clone()));
                    if ok {
                        matched += 1;
                        e.0 += 1;
                    } else {
                        let why = match res {
                            Ok(ours) => format!(
                                "\n  ours:   {}\n  exabgp: {}",
                                strip(ours),
                                strip(expected.clone())
                            ),
                            Err(e) => e,
                        };
                        failures.push(format!(
                            "{}:{} (raw line {raw_line}) [{family}]: {why}",
                            f.file_name().unwrap().to_string_lossy(),
                            no + 1
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    eprintln!("json lines: {matched} matched / {total} total");
    for (fam, (m, t)) in &by_family {
        eprintln!("  {fam:<24} {m}/{t}");
    }
    for fl in &failures {
        eprintln!("MISMATCH {fl}");
    }
    assert!(
        failures.is_empty(),
        "{} in-scope JSON lines differ (see stderr)",
        failures.len()
    );
}
