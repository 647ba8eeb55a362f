use super::*;

fn hex(text: &str, opts: &EncodeOptions) -> Vec<String> {
    encode_route(text, opts)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .iter()
        .map(|m| hex_upper(m))
        .collect()
}

#[test]
fn api_check_examples() {
    // api-check.ci, captured from ExaBGP
    let o = EncodeOptions::default();
    assert_eq!(
        hex("route 127.0.0.1/32 next-hop 127.0.0.2 origin igp local-preference 100", &o),
        ["FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00310200000015400101004002004003047F00000240050400000064207F000001"]
    );
    assert_eq!(
        hex("announce eor ipv4 unicast", &o),
        ["FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170200000000"]
    );
    let no_header = EncodeOptions {
        no_header: true,
        ..o.clone()
    };
    assert_eq!(hex("announce eor ipv4 unicast", &no_header), ["00000000"]);
    let nlri = EncodeOptions {
        nlri_only: true,
        ..o
    };
    assert_eq!(
        hex("route 10.0.0.0/24 next-hop 1.2.3.4", &nlri),
        ["180A0000"]
    );
}

#[test]
fn withdrawals() {
    let o = EncodeOptions::default();
    // IPv6 unicast: MP_UNREACH_NLRI alone (no default attributes, RFC 4760).
    assert_eq!(
        hex("withdraw route 2001:db8::/32 next-hop 2001:db8::1", &o),
        ["FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022020000000B800F080002012020010DB8"]
    );
    // Other families: MP_UNREACH_NLRI then the route's attributes with the session's.
    let w = hex(
        "withdraw ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 0.0.0.0",
        &o,
    );
    assert!(w[0].ends_with("4001010040020040050400000064"), "{w:?}");
    // A group: shared attributes under each command's own, one UPDATE per attribute set.
    let g = hex(
        "group attributes med 5 ; announce route 10.0.0.0/24 next-hop 1.2.3.4 ; announce route 10.0.1.0/24 next-hop 1.2.3.4",
        &o,
    );
    assert_eq!(g.len(), 1);
    assert!(
        g[0].contains("80040400000005") && g[0].ends_with("180A0000180A0001"),
        "{g:?}"
    );
}

#[test]
fn errors() {
    let o = EncodeOptions::default();
    assert!(matches!(
        encode_route("route 10.0.0.0/24 next-hop", &o),
        Err(EncodeError::Parse(_))
    ));
    assert!(matches!(
        encode_route("shutdown", &o),
        Err(EncodeError::Parse(_)) | Err(EncodeError::Unsupported(_))
    ));
}

struct Case {
    file: String,
    /// `option:file:` — the configuration the case runs with.
    conf: Option<String>,
    cmd: String,
    raw: Vec<String>,
}

/// `N:cmd:` lines and the `N:raw:` lines right after them.
fn cases(dir: &std::path::Path) -> Vec<Case> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().and_then(|x| x.to_str()) != Some("ci") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut cur: Option<Case> = None;
        let mut conf = None;
        for line in text.lines() {
            if let Some(f) = line.strip_prefix("option:file:") {
                conf = Some(f.trim().to_string());
                continue;
            }
            let mut parts = line.splitn(3, ':');
            let (_, kind, rest) = (parts.next(), parts.next(), parts.next());
            match (kind, rest) {
                (Some("cmd"), Some(c)) => {
                    if let Some(k) = cur.take() {
                        out.push(k);
                    }
                    cur = Some(Case {
                        file: p.file_name().unwrap().to_string_lossy().into_owned(),
                        conf: conf.clone(),
                        cmd: c.to_string(),
                        raw: vec![],
                    });
                }
                (Some("raw"), Some(r)) => {
                    if let Some(k) = cur.as_mut() {
                        k.raw.push(r.replace(':', "").to_ascii_uppercase());
                    }
                }
                (Some("json"), _) => {}
                _ => {
                    if let Some(k) = cur.take() {
                        out.push(k);
                    }
                }
            }
        }
        if let Some(k) = cur.take() {
            out.push(k);
        }
    }
    out
}

/// Independent check of the whole encode path: ExaBGP's captured bytes for the plain route
/// announcements of its test cases.
#[test]
fn conformance_cmd_to_raw() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/exabgp");
    if !root.exists() {
        eprintln!(
            "note: {} absent, encode conformance not checked",
            root.display()
        );
        return;
    }
    let mut tried = 0;
    let mut matched = 0;
    let mut misses = Vec::new();
    for sub in ["encoding", "api"] {
        for c in cases(&root.join(sub)) {
            let w = c.cmd.split_whitespace().collect::<Vec<_>>();
            // plain route announcements and withdrawals, and End-of-RIB
            let plain = matches!(
                w.as_slice(),
                [
                    "announce" | "withdraw" | "group",
                    "route"
                        | "eor"
                        | "ipv4"
                        | "ipv6"
                        | "vpls"
                        | "attributes"
                        | "flow"
                        | "announce"
                        | "withdraw",
                    ..
                ] | ["attributes", ..]
                    | ["neighbor", _, "announce" | "withdraw", "route", ..]
            );
            if !plain || c.raw.is_empty() {
                continue;
            }
            tried += 1;
            // The ASNs of the case's neighbor (conf-ebgp.ci runs an external session).
            let neighbor = c
                .conf
                .as_ref()
                .and_then(|f| ferrobgp_config::parse_file(root.join("etc").join(f)).ok())
                .and_then(|cfg| cfg.neighbors.into_iter().next());
            let asns = neighbor
                .as_ref()
                .and_then(|n| Some((n.local_as?.value()?, n.peer_as?.value()?)));
            // conf-llnh-update.ci: the session's link-local next hop.
            let link_local = neighbor
                .as_ref()
                .filter(|n| n.capability.link_local_nexthop)
                .and_then(|n| n.local_link_local);
            let d = EncodeOptions::default();
            let (local_as, peer_as) = asns.unwrap_or((d.local_as, d.peer_as));
            let opts = EncodeOptions {
                add_path: c.cmd.contains("path-information"),
                local_as,
                peer_as,
                ..d
            };
            let addresses = SessionAddresses {
                local: neighbor
                    .as_ref()
                    .and_then(|n| n.local_address.and_then(|a| a.value())),
                link_local,
            };
            match encode_route_on(&c.cmd, &opts, addresses) {
                Ok(msgs) => {
                    let got: Vec<String> = msgs.iter().map(|m| hex_upper(m)).collect();
                    if got == c.raw {
                        matched += 1;
                    } else {
                        misses.push(format!(
                            "{}: {}\n   got      {}\n   expected {}",
                            c.file,
                            c.cmd,
                            got.join(" "),
                            c.raw.join(" ")
                        ));
                    }
                }
                Err(e) => misses.push(format!("{}: {}\n   error {e}", c.file, c.cmd)),
            }
        }
    }
    eprintln!("encode conformance: {matched} matched / {tried} tried");
    for m in &misses {
        eprintln!("MISS {m}");
    }
    assert!(tried > 0);
    // Ratchet: never fewer than this many (raise it as families land).
    assert!(matched >= MIN_MATCHED, "{matched} < {MIN_MATCHED}");
}

const MIN_MATCHED: usize = 310;
