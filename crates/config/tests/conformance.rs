//! Every ExaBGP configuration in the shared conformance data must parse, and where a `.ci`
//! case names the file, the number of neighbors and routes must be plausible.

use std::path::{Path, PathBuf};

const ETC: &str = "../../../shared/conformance/exabgp/etc";
const ENCODING: &str = "../../../shared/conformance/exabgp/encoding";

fn confs() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(ETC);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!(
            "note: {} is absent; skipping the conformance parse test",
            dir.display()
        );
        return None;
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    v.sort();
    Some(v)
}

#[test]
fn every_exabgp_etc_file_parses() {
    let Some(files) = confs() else { return };
    assert!(
        files.len() >= 60,
        "expected ExaBGP's conf files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = ferrobgp_config::parse_file(f) {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} files failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn route_counts_match_the_encoding_cases() {
    let Some(_) = confs() else { return };
    let enc = Path::new(env!("CARGO_MANIFEST_DIR")).join(ENCODING);
    let Ok(rd) = std::fs::read_dir(&enc) else {
        return;
    };
    for ci in rd.filter_map(|e| e.ok().map(|e| e.path())) {
        if ci.extension().is_none_or(|x| x != "ci") {
            continue;
        }
        let text = std::fs::read_to_string(&ci).unwrap();
        let Some(conf) = text.lines().find_map(|l| l.strip_prefix("option:file:")) else {
            continue;
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(ETC)
            .join(conf.trim());
        let config = ferrobgp_config::parse_file(&path).unwrap();
        assert!(
            !config.neighbors.is_empty(),
            "{}: no neighbor",
            path.display()
        );
        // Announcements in the case (not EoR): the config must have at least one route
        // per distinct `cmd:announce` when it has static routes at all.
        let announces = text
            .lines()
            .filter(|l| l.contains(":cmd:announce") && !l.contains("announce eor"))
            .count();
        let routes: usize = config
            .neighbors
            .iter()
            .map(|n| {
                n.routes.iter().map(|r| r.nlri.len().max(1)).sum::<usize>()
                    + n.unsupported_routes.len()
            })
            .sum();
        if announces > 0 {
            assert!(
                routes > 0,
                "{}: {announces} announcements expected, no route parsed",
                conf
            );
            assert!(
                announces <= routes * 2 + 2,
                "{conf}: {routes} routes parsed, {announces} announcements in the case"
            );
        }
    }
}

#[test]
fn specific_files_have_expected_content() {
    let Some(_) = confs() else { return };
    let get = |n: &str| {
        ferrobgp_config::parse_file(Path::new(env!("CARGO_MANIFEST_DIR")).join(ETC).join(n))
            .unwrap()
    };
    // split /25 expands each /24 into two.
    let vpn = get("conf-vpn.conf");
    assert_eq!(
        vpn.neighbors[0]
            .routes
            .iter()
            .map(|r| r.nlri.len())
            .sum::<usize>(),
        4
    );
    // Template routes are inherited.
    let group = get("conf-group.conf");
    assert_eq!(group.neighbors[0].routes.len(), 4);
    assert_eq!(
        group.neighbors[0].local_as,
        Some(ferrobgp_config::Auto::Value(65533))
    );
    // Flow routes.
    let flow = get("conf-flow.conf");
    assert_eq!(flow.neighbors[0].routes.len(), 14);
    // l2vpn vpls: two in l2vpn, one in announce.
    let l2 = get("conf-l2vpn.conf");
    assert_eq!(l2.neighbors[0].routes.len(), 3);
    // A neighbor with no family block offers every family.
    let notif = get("api-notification.conf");
    assert_eq!(
        notif.neighbors[0].families.len(),
        ferrobgp_config::ALL_FAMILIES.len()
    );
    let multi = get("api-multiple-api.conf");
    assert_eq!(multi.neighbors.len(), 2);
}

/// The routes of ExaBGP's family configurations, encoded with the session's defaults
/// (ORIGIN IGP, empty AS_PATH and LOCAL_PREF 100 on these internal sessions), are the
/// messages ExaBGP sent for them (the `raw:` lines of the matching encoding case).
#[test]
fn family_confs_encode_to_exabgp_bytes() {
    use bytes::BytesMut;
    use ferrobgp_wire::{AsPath, Origin, SessionContext, UpdateBuilder};
    let Some(_) = confs() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in [
        "conf-mvpn",
        "conf-srv6-mup",
        "conf-srv6-mup-v3",
        "conf-sr-policy",
        "conf-l2vpn",
        "conf-prefix-sid",
    ] {
        let config =
            ferrobgp_config::parse_file(root.join(ETC).join(format!("{name}.conf"))).unwrap();
        let ci = std::fs::read_to_string(root.join(ENCODING).join(format!("{name}.ci"))).unwrap();
        let raws: Vec<String> = ci
            .lines()
            .filter_map(|l| l.split_once(":raw:").map(|(_, r)| r.replace(':', "")))
            .collect();
        let n = &config.neighbors[0];
        assert!(
            n.unsupported_routes.is_empty(),
            "{name}: unsupported routes"
        );
        let ctx = SessionContext {
            asn4: true,
            extended_message: false,
            add_path_receive: vec![],
            add_path_send: vec![],
            extended_next_hop: vec![],
            ..Default::default()
        };
        // group-updates: consecutive routes sharing family and attributes go together.
        let mut batches: Vec<ferrobgp_config::RouteSpec> = Vec::new();
        for r in &n.routes {
            match batches.last_mut() {
                Some(l)
                    if n.group_updates && l.family == r.family && l.attributes == r.attributes =>
                {
                    l.nlri.extend(r.nlri.iter().cloned())
                }
                _ => batches.push(r.clone()),
            }
        }
        // ExaBGP groups some (conf-mvpn.ci) and not others (conf-srv6-mup.ci): a batch
        // matches as one message or route by route.
        let encode = |r: &ferrobgp_config::RouteSpec| {
            let mut a = r.attributes.clone();
            a.origin.get_or_insert(Origin::Igp);
            a.as_path.get_or_insert_with(AsPath::default);
            a.local_pref.get_or_insert(100);
            let mut out = BytesMut::new();
            UpdateBuilder::new(&ctx).announce(r.family, &a, &r.nlri, &mut out);
            out.iter().map(|b| format!("{b:02X}")).collect::<String>()
        };
        for r in &batches {
            if raws.contains(&encode(r)) {
                continue;
            }
            for n in &r.nlri {
                let one = ferrobgp_config::RouteSpec {
                    nlri: vec![n.clone()],
                    ..r.clone()
                };
                let hex = encode(&one);
                assert!(
                    raws.contains(&hex),
                    "{name}: {one}\n  got {hex}\n  not among ExaBGP's messages"
                );
            }
        }
    }
}
