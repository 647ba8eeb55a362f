//! ExaBGP's encoding and API conformance cases (../shared/conformance/exabgp/{encoding,api}),
//! end to end: the case's configuration is parsed by ferrobgp_config, converted by the core, and the
//! speaker runs against a scripted peer that mirrors its OPEN (router-id + 1, as ExaBGP's test
//! peer does). The messages it sends (KEEPALIVEs aside; the OPEN only when the case lists it;
//! trailing End-of-RIBs the case does not list are ignored, as the test peer does) are compared
//! with the case's `raw:` lines in sequence order: messages with the same sequence number may
//! come in any order, all of sequence N before any of N+1.

mod harness;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use ferrobgp_core::setup::NeighborConfig;
use ferrobgp_core::{Config, ConnId, Environment, Input, Output, ProcessId, Speaker};
use harness::{hex, messages, to_hex};

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/exabgp")
}

struct Case {
    name: String,
    file: Option<String>,
    /// Further `option:file:` lines: the configurations a reload signal switches to.
    reload_files: Vec<String>,
    /// `signal:` lines, in order.
    signals: Vec<String>,
    peer_asn: Option<u32>,
    /// `option:open:send-unknown-message`: the peer follows its KEEPALIVE with a message of
    /// an unknown type.
    unknown_message: bool,
    /// (sequence, message)
    raw: Vec<(u32, Vec<u8>)>,
    /// `cmd:` lines, in order (what an api case's helper writes).
    cmds: Vec<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let mut c = Case {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        file: None,
        reload_files: Vec::new(),
        signals: Vec::new(),
        peer_asn: None,
        unknown_message: false,
        raw: Vec::new(),
        cmds: Vec::new(),
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ':');
        let (Some(a), Some(b), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        match (a, b) {
            ("option", "file") if c.file.is_none() => c.file = Some(rest.to_string()),
            ("option", "file") => c.reload_files.push(rest.to_string()),
            (_, "signal") => c.signals.push(rest.to_string()),
            ("option", "asn") => c.peer_asn = rest.parse().ok(),
            ("option", "open") if rest == "send-unknown-message" => c.unknown_message = true,
            (_, "cmd") => c.cmds.push(rest.to_string()),
            (seq, "raw") => {
                let n: u32 = seq
                    .trim_start_matches(|ch: char| ch.is_ascii_alphabetic())
                    .parse()
                    .unwrap_or(0);
                c.raw.push((n, hex(rest)));
            }
            _ => {}
        }
    }
    c
}

/// Run the speaker for one neighbor against the mirroring peer; every message it sent.
fn run(cfg: NeighborConfig, env: Environment, c: &Case) -> Vec<Vec<u8>> {
    let config = Config {
        neighbors: vec![cfg],
        ..Default::default()
    };
    run_with(config, env, c, &[])
}

/// Run a whole configuration (its first neighbor talks to the mirroring peer); once the
/// session is up, `commands` are written by the first process, one at a time, as the
/// harness's API helper does.
fn run_with(
    config: Config,
    env: Environment,
    case: &Case,
    commands: &[Vec<String>],
) -> Vec<Vec<u8>> {
    let peer_asn = case.peer_asn;
    let now = Instant::now();
    let cfg = config.neighbors[0].clone();
    let mut sp = Speaker::new(config, env, now).unwrap();
    let mut conn = None;
    let mut sent = Vec::new();
    let drain = |sp: &mut Speaker, conn: &mut Option<ConnId>, sent: &mut Vec<u8>| {
        while let Some(o) = sp.poll_output() {
            match o {
                Output::Connect { conn: c, .. } => *conn = Some(c),
                Output::Send { data, .. } => sent.extend_from_slice(&data),
                Output::WriteProcess { data, .. } if std::env::var("CI_DEBUG").is_ok() => {
                    eprint!("to process: {}", String::from_utf8_lossy(&data))
                }
                _ => {}
            }
        }
    };
    drain(&mut sp, &mut conn, &mut sent);
    let Some(c) = conn else { return vec![] };
    sp.handle(
        now,
        Input::ProcessStarted {
            process: ProcessId(0),
            pid: 1,
        },
    );
    let local_ip: IpAddr = cfg.local_address.unwrap_or(cfg.peer_address);
    sp.handle(
        now,
        Input::Connected {
            conn: c,
            local: SocketAddr::new(local_ip, 50000),
            remote: SocketAddr::new(cfg.peer_address, 179),
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
    if case.unknown_message {
        input.extend_from_slice(&hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0013FF"));
    }
    sp.handle(
        now,
        Input::Received {
            conn: c,
            data: Bytes::from(input),
        },
    );
    // The speaker sends its first UPDATE a little after Established (INITIAL_UPDATE_DELAY):
    // from here on the clock reads later.
    let later = now + std::time::Duration::from_millis(100);
    for _ in 0..200 {
        drain(&mut sp, &mut conn, &mut sent);
        sp.handle(later, Input::SendBufferLow { conn: c });
    }
    // Signals from the test peer: SIGUSR1 makes the driver re-read the next configuration
    // (as `ferrobgp run` does) and hand it over with Input::Reload.
    let mut reloads = case.reload_files.iter();
    for sig in &case.signals {
        let signal = match sig.as_str() {
            "SIGUSR1" => ferrobgp_core::Signal::Usr1,
            "SIGUSR2" => ferrobgp_core::Signal::Usr2,
            "SIGHUP" => ferrobgp_core::Signal::Hup,
            "SIGALRM" => ferrobgp_core::Signal::Alrm,
            _ => ferrobgp_core::Signal::Term,
        };
        sp.handle(later, Input::Signal(signal));
        if matches!(
            signal,
            ferrobgp_core::Signal::Usr1 | ferrobgp_core::Signal::Usr2
        ) {
            if let Some((config, _)) = reloads.next().and_then(|f| load(f).ok()) {
                sp.handle(later, Input::Reload { config });
            }
        }
        for _ in 0..20 {
            drain(&mut sp, &mut conn, &mut sent);
            sp.handle(later, Input::SendBufferLow { conn: c });
        }
    }
    // One batch = the lines one driver read brings; the driver's end-of-iteration Tick
    // (here: SendBufferLow, which also runs the peers) follows the batch.
    for batch in commands {
        for line in batch {
            sp.handle(
                later,
                Input::ProcessLine {
                    process: ProcessId(0),
                    line: line.clone(),
                },
            );
        }
        for _ in 0..20 {
            drain(&mut sp, &mut conn, &mut sent);
            sp.handle(later, Input::SendBufferLow { conn: c });
        }
    }
    drain(&mut sp, &mut conn, &mut sent);
    if std::env::var("CI_DEBUG").is_ok() {
        for m in messages(&sent) {
            eprintln!("sent {}", to_hex(&m));
        }
    }
    messages(&sent)
}

fn is_eor(m: &[u8]) -> bool {
    m[18] == 2 && (m.len() == 23 || (m.len() == 30 && m[23..25] == [0x90, 0x0f]))
}

/// `Ok(())` when `got` is `want` under the sequence rules, else a description.
fn compare(want: &[(u32, Vec<u8>)], got: &[Vec<u8>]) -> Result<(), String> {
    let with_open = want.iter().any(|(_, m)| m[18] == 1);
    let mut got: Vec<&Vec<u8>> = got
        .iter()
        .filter(|m| m[18] != 4 && (with_open || m[18] != 1))
        .collect();
    let mut groups: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (n, m) in want {
        groups.entry(*n).or_default().push(to_hex(m));
    }
    let expected: usize = want.len();
    // End-of-RIBs after everything expected (one per family) are not checked by the peer.
    while got.len() > expected && got.last().is_some_and(|m| is_eor(m)) {
        got.pop();
    }
    let mut i = 0;
    for (n, mut g) in groups {
        let k = g.len();
        if i + k > got.len() {
            return Err(format!(
                "sequence {n}: expected {k} more message(s), got {} (sent {} in all)",
                got.len() - i,
                got.len()
            ));
        }
        let mut h: Vec<String> = got[i..i + k].iter().map(|m| to_hex(m)).collect();
        g.sort();
        h.sort();
        if g != h {
            let missing: Vec<_> = g.iter().filter(|x| !h.contains(x)).collect();
            let extra: Vec<_> = h.iter().filter(|x| !g.contains(x)).collect();
            return Err(format!(
                "sequence {n}: missing {missing:?}\n  unexpected {extra:?}"
            ));
        }
        i += k;
    }
    if i != got.len() {
        let extra: Vec<String> = got[i..].iter().map(|m| to_hex(m)).collect();
        return Err(format!("extra messages: {extra:?}"));
    }
    Ok(())
}

fn run_case(c: &Case) -> Result<(), String> {
    // A configuration with a process gets the harness's helper, as in the API cases.
    if c.cmds.iter().any(|_| true) && c.file.as_deref().is_some_and(has_process) {
        return run_api_case(c);
    }
    let file = c.file.as_ref().ok_or("no option:file")?;
    let path = conformance_dir().join("etc").join(file);
    let parsed = ferrobgp_config::parse_file(&path).map_err(|e| format!("config: {e}"))?;
    let env = ferrobgp_config::Environment::from_iter([("exabgp_version", "5.0.0-0+test")])
        .map_err(|e| format!("env: {e:?}"))?;
    let (mut cfg, mut e) =
        ferrobgp_core::convert::from_config(&parsed, &env).map_err(|e| format!("convert: {e}"))?;
    e.software_version = "ExaBGP/5.0.0-0+test".into();
    cfg.processes.clear();
    let mut n = cfg.neighbors.into_iter().next().ok_or("no neighbor")?;
    n.api.clear();
    let got = run(n, e, c);
    compare(&c.raw, &got)
}

/// What the qa harness's API helper writes for a case (qa/README.md): the case's `cmd:` lines
/// without the first `announce eor AFI SAFI` of each family (the daemon sends that End-of-RIB
/// itself), or qa/helpers/NAME.cmds where the `cmd:` lines do not say what the helper sends.
fn helper_commands(c: &Case) -> Vec<Vec<String>> {
    let own = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../qa/helpers")
        .join(format!("{}.cmds", c.name));
    // conf-watchdog's helper (ExaBGP's watchdog.run) toggles the watchdog; its cmd: lines
    // describe the resulting routes instead.
    if c.name == "conf-watchdog" {
        return [
            "announce", "withdraw", "announce", "withdraw", "announce", "withdraw",
        ]
        .iter()
        .map(|a| vec![format!("{a} watchdog dnsr")])
        .collect();
    }
    if let Ok(text) = std::fs::read_to_string(own) {
        // `@batch N`: the next N commands are written at once (one batch).
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut pending = 0usize;
        for l in text.lines().map(str::trim) {
            if let Some(n) = l.strip_prefix("@batch ") {
                pending = n.trim().parse().unwrap_or(1);
                out.push(Vec::new());
                continue;
            }
            if l.is_empty() || l.starts_with('#') || l.starts_with('@') {
                continue;
            }
            if pending > 0 {
                out.last_mut().unwrap().push(l.to_string());
                pending -= 1;
            } else {
                out.push(vec![l.to_string()]);
            }
        }
        return out;
    }
    let mut seen_eor: Vec<String> = Vec::new();
    c.cmds
        .iter()
        .filter(|l| {
            if let Some(f) = l.strip_prefix("announce eor ") {
                if !seen_eor.iter().any(|x| x == f) {
                    seen_eor.push(f.to_string());
                    return false;
                }
            }
            true
        })
        .map(|l| vec![l.clone()])
        .collect()
}

/// A configuration file of the conformance data, parsed and converted.
fn load(file: &str) -> Result<(Config, Environment), String> {
    let path = conformance_dir().join("etc").join(file);
    let parsed = ferrobgp_config::parse_file(&path).map_err(|e| format!("config: {e}"))?;
    let env = ferrobgp_config::Environment::from_iter([("exabgp_version", "5.0.0-0+test")])
        .map_err(|e| format!("env: {e:?}"))?;
    let (cfg, mut e) =
        ferrobgp_core::convert::from_config(&parsed, &env).map_err(|e| format!("convert: {e}"))?;
    e.software_version = "ExaBGP/5.0.0-0+test".into();
    Ok((cfg, e))
}

fn has_process(file: &str) -> bool {
    std::fs::read_to_string(conformance_dir().join("etc").join(file))
        .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with("process ")))
}

fn run_api_case(c: &Case) -> Result<(), String> {
    let file = c.file.as_ref().ok_or("no option:file")?;
    let path = conformance_dir().join("etc").join(file);
    let parsed = ferrobgp_config::parse_file(&path).map_err(|e| format!("config: {e}"))?;
    let env = ferrobgp_config::Environment::from_iter([("exabgp_version", "5.0.0-0+test")])
        .map_err(|e| format!("env: {e:?}"))?;
    let (mut cfg, mut e) =
        ferrobgp_core::convert::from_config(&parsed, &env).map_err(|e| format!("convert: {e}"))?;
    e.software_version = "ExaBGP/5.0.0-0+test".into();
    if cfg.neighbors.is_empty() {
        return Err("no neighbor".into());
    }
    cfg.neighbors.truncate(1);
    let got = run_with(cfg, e, c, &helper_commands(c));
    compare(&c.raw, &got)
}

fn run_dir(dir: &str, f: fn(&Case) -> Result<(), String>) -> (Vec<String>, usize) {
    let dir = conformance_dir().join(dir);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("no conformance data at {}", dir.display());
        return (vec![], 0);
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ci"))
        .collect();
    paths.sort();
    let mut ok = Vec::new();
    for p in &paths {
        let c = parse_case(p);
        match std::panic::catch_unwind(|| f(&c)) {
            Ok(Ok(())) => ok.push(c.name.clone()),
            Ok(Err(e)) => eprintln!("MISMATCH {}: {e}", c.name),
            Err(_) => eprintln!("MISMATCH {}: panicked", c.name),
        }
    }
    (ok, paths.len())
}

#[test]
fn exabgp_api_cases() {
    let (ok, total) = run_dir("api", run_api_case);
    eprintln!(
        "api cases matching byte for byte: {} of {total}: {ok:?}",
        ok.len()
    );
    for must in API_MUST_MATCH {
        assert!(
            ok.iter().any(|n| n == must),
            "{must} no longer matches ExaBGP's bytes"
        );
    }
}

/// API cases known to match; extend as more do.
const API_MUST_MATCH: &[&str] = &[
    "api-ack-control",
    "api-add-remove",
    "api-announce-processes-match",
    "api-announce-star",
    "api-announce",
    "api-announcement",
    "api-api",
    "api-attributes-vpn",
    "api-attributes",
    "api-broken-flow",
    "api-check",
    "api-eor",
    "api-fast",
    "api-flow",
    "api-health",
    "api-healthcheck-withdraw",
    "api-ipv4",
    "api-multiple-api",
    "api-multisession",
    "api-mvpn",
    "api-nexthop-self",
    "api-no-respawn",
    "api-notification",
    "api-open",
    "api-rib",
    "api-rr-rib",
    "api-silence-ack",
    "api-vpls",
];

#[test]
fn exabgp_encoding_cases() {
    let dir = conformance_dir().join("encoding");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("no conformance data at {}", dir.display());
        return;
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ci"))
        .collect();
    paths.sort();
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for p in &paths {
        let c = parse_case(p);
        match std::panic::catch_unwind(|| run_case(&c)) {
            Ok(Ok(())) => ok.push(c.name.clone()),
            Ok(Err(e)) => bad.push((c.name.clone(), e)),
            Err(_) => bad.push((c.name.clone(), "panicked".into())),
        }
    }
    for (name, e) in &bad {
        eprintln!("MISMATCH {name}: {e}");
    }
    eprintln!(
        "encoding cases matching byte for byte: {} of {}: {ok:?}",
        ok.len(),
        paths.len()
    );
    // Regression guard: the cases that match today must keep matching.
    for must in MUST_MATCH {
        assert!(
            ok.iter().any(|n| n == must),
            "{must} no longer matches ExaBGP's bytes"
        );
    }
}

/// Cases known to match; extend as more do.
const MUST_MATCH: &[&str] = &[
    "conf-addpath",
    "conf-attributes",
    "conf-cap-link-local-nexthop",
    "conf-cap-software-version",
    "conf-ebgp",
    "conf-extended-attributes",
    "conf-flow-redirect",
    "conf-flow",
    "conf-generic-attribute",
    "conf-group-limit",
    "conf-group",
    "conf-hostname",
    "conf-ipself4",
    "conf-ipself6",
    "conf-ipv46routes4family",
    "conf-ipv46routes6family",
    "conf-l2vpn",
    "conf-llnh-lla-only",
    "conf-llnh-update",
    "conf-mvpn",
    "conf-new-v4",
    "conf-new-v6",
    "conf-parity",
    "conf-prefix-sid",
    "conf-sr-policy",
    "conf-srv6-mup-v3",
    "conf-srv6-mup",
    "conf-unknowncap",
    "conf-vpn",
    "conf-watchdog",
    "extended-nexthop",
    "unknown-message",
];
