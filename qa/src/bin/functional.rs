//! functional: runs ExaBGP-format functional cases against the daemon, in one or both event
//! loops, and judges them with bgp-peer.
//!
//! `functional encoding [--reactor mio|tokio|both] [--suite DIR]… [--daemon CMD] [--timeout S]
//! [-j N] [CASE…]` — see qa/README.md.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use ferrobgp_qa::ci::{Case, JsonVariant, Kind};
use ferrobgp_qa::decode;

const USAGE: &str = "usage: functional encoding [options] [CASE…]

options:
  --reactor mio|tokio|both   event loop(s) to run every case under (default both)
  --suite DIR                a folder laid out like ExaBGP's suite (encoding/, api/, etc/);
                             repeatable; default: ../shared/conformance/exabgp and qa/
  --daemon CMD               the daemon to run as `CMD CONF…` (default: the repo's built
                             target/release/ferrobgp, else target/debug/ferrobgp)
  --timeout S                per-case timeout in seconds (default 60)
  --message-timeout S        bgp-peer's per-message timeout (default 30; option:timeout wins)
  --linger S                 how long bgp-peer watches for extra messages at the end (0.5)
  -j N                       cases run in parallel (default 2)
  --keep-logs                keep qa/.logs/<loop>/<case>/ for passing cases too
  -v                         print the peer's report for every failure
  --list                     list the cases and exit
  --json-only                only check the json: rules (no daemon needed)
  --known-failures FILE|none the list of cases known not to pass (default
                             qa/known-failures.txt, relative to the root; `none` when judging
                             another daemon, e.g. ExaBGP)
  --root DIR                 the repository (default: where this was built from)";

#[derive(Debug, Clone)]
struct Args {
    reactors: Vec<String>,
    suites: Vec<PathBuf>,
    daemon: Option<String>,
    timeout: f64,
    message_timeout: f64,
    linger: f64,
    jobs: usize,
    keep_logs: bool,
    verbose: bool,
    list: bool,
    json_only: bool,
    known_failures: Option<PathBuf>,
    root: PathBuf,
    cases: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut raw = std::env::args().skip(1);
    match raw.next().as_deref() {
        Some("encoding") => {}
        Some("-h") | Some("--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown command {other:?} (only `encoding`)")),
    }
    let default_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = Args {
        reactors: vec!["mio".into(), "tokio".into()],
        suites: vec![],
        daemon: None,
        timeout: 60.0,
        message_timeout: 30.0,
        linger: 0.5,
        jobs: 2,
        keep_logs: false,
        verbose: false,
        list: false,
        json_only: false,
        known_failures: Some(PathBuf::from("qa/known-failures.txt")),
        root: default_root,
        cases: vec![],
    };
    while let Some(arg) = raw.next() {
        let mut value = |name: &str| raw.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{name}: bad number {v:?}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--reactor" => {
                args.reactors = match value("--reactor")?.as_str() {
                    "mio" => vec!["mio".into()],
                    "tokio" => vec!["tokio".into()],
                    "both" => vec!["mio".into(), "tokio".into()],
                    other => return Err(format!("--reactor: mio, tokio or both, not {other:?}")),
                }
            }
            "--suite" => args.suites.push(value("--suite")?.into()),
            "--daemon" => args.daemon = Some(value("--daemon")?),
            "--timeout" => args.timeout = num(value("--timeout")?, "--timeout")?,
            "--message-timeout" => {
                args.message_timeout = num(value("--message-timeout")?, "--message-timeout")?
            }
            "--linger" => args.linger = num(value("--linger")?, "--linger")?,
            "-j" | "--jobs" => args.jobs = value("-j")?.parse().map_err(|_| "-j: bad number")?,
            "--keep-logs" => args.keep_logs = true,
            "-v" | "--verbose" => args.verbose = true,
            "--list" => args.list = true,
            "--json-only" => args.json_only = true,
            "--known-failures" => {
                let v = value("--known-failures")?;
                args.known_failures = if v == "none" { None } else { Some(v.into()) };
            }
            "--root" => args.root = value("--root")?.into(),
            s if s.starts_with("-j") && s[2..].parse::<usize>().is_ok() => {
                args.jobs = s[2..].parse().unwrap_or(2)
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => args.cases.push(s.to_string()),
        }
    }
    args.root = args
        .root
        .canonicalize()
        .map_err(|e| format!("repository root {}: {e}", args.root.display()))?;
    if args.suites.is_empty() {
        args.suites
            .push(args.root.join("../shared/conformance/exabgp"));
        args.suites.push(args.root.join("qa"));
    }
    args.jobs = args.jobs.max(1);
    Ok(args)
}

/// One test case found in a suite.
#[derive(Debug, Clone)]
struct TestCase {
    name: String,
    path: PathBuf,
    /// The suite's configuration folder.
    etc: PathBuf,
    case: Case,
}

fn discover(suites: &[PathBuf]) -> Result<Vec<TestCase>, String> {
    let mut found = Vec::new();
    let mut names = HashSet::new();
    for suite in suites {
        let suite = suite
            .canonicalize()
            .map_err(|e| format!("suite {}: {e}", suite.display()))?;
        for sub in ["encoding", "api"] {
            let Ok(entries) = fs::read_dir(suite.join(sub)) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "ci"))
                .collect();
            paths.sort();
            for path in paths {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text =
                    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let case = Case::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                if !names.insert(name.clone()) {
                    return Err(format!(
                        "two cases are named {name} (second: {})",
                        path.display()
                    ));
                }
                found.push(TestCase {
                    name,
                    path,
                    etc: suite.join("etc"),
                    case,
                });
            }
        }
    }
    Ok(found)
}

/// `qa/known-failures.txt`: `NAME reason…` or `LOOP:NAME reason…`, `#` comments.
fn known_failures(args: &Args) -> BTreeMap<String, String> {
    let mut known = BTreeMap::new();
    let Some(path) = &args.known_failures else {
        return known;
    };
    let Ok(text) = fs::read_to_string(args.root.join(path)) else {
        return known;
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        known.insert(key.to_string(), reason.trim().to_string());
    }
    known
}

fn is_known(known: &BTreeMap<String, String>, reactor: &str, name: &str) -> bool {
    known.contains_key(name) || known.contains_key(&format!("{reactor}:{name}"))
}

struct Job {
    case: Arc<TestCase>,
    reactor: String,
}

struct JobResult {
    name: String,
    reactor: String,
    passed: bool,
    detail: String,
    report: String,
    seconds: f64,
    logs: PathBuf,
}

struct Context {
    args: Args,
    daemon: String,
    peer: PathBuf,
    helper: PathBuf,
    logs: PathBuf,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("functional: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("functional: {e}");
            ExitCode::from(2)
        }
    }
}

/// Set by SIGINT/SIGTERM: running cases stop (their process groups are killed), no new
/// case starts, so an interrupted run leaves nothing behind.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

fn run(args: Args) -> Result<ExitCode, String> {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_interrupt as *const () as libc::sighandler_t,
        );
    }
    let mut cases = discover(&args.suites)?;
    if !args.cases.is_empty() {
        for wanted in &args.cases {
            let stem = wanted
                .trim_end_matches(".ci")
                .rsplit('/')
                .next()
                .unwrap_or(wanted);
            if !cases.iter().any(|c| c.name == stem) {
                return Err(format!("no case named {wanted}"));
            }
        }
        cases.retain(|c| {
            args.cases
                .iter()
                .any(|w| w.trim_end_matches(".ci").rsplit('/').next() == Some(c.name.as_str()))
        });
    }
    if args.list {
        for c in &cases {
            println!("{:<40} {}", c.name, c.path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.json_only {
        let cases: Vec<Arc<TestCase>> = cases.into_iter().map(Arc::new).collect();
        let unexpected = json_checks(&cases, &known_failures(&args), args.verbose);
        return Ok(if unexpected > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe
        .parent()
        .ok_or("no folder for this program")?
        .to_path_buf();
    let daemon = match &args.daemon {
        Some(d) => d.clone(),
        None => {
            // CARGO_TARGET_DIR first: the build the caller just made, not a stale one left
            // in the tree's own target/.
            let mut candidates = vec![];
            if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
                let target = PathBuf::from(target);
                candidates.push(target.join("release/ferrobgp"));
                candidates.push(target.join("debug/ferrobgp"));
            }
            candidates.push(args.root.join("target/release/ferrobgp"));
            candidates.push(args.root.join("target/debug/ferrobgp"));
            match candidates.iter().find(|p| p.is_file()) {
                Some(p) => shell_quote(&p.to_string_lossy()),
                None => {
                    return Err(format!(
                        "the daemon is not built (looked for {}); build it (cargo build --release -p ferrobgp) or pass --daemon CMD",
                        candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                    ))
                }
            }
        }
    };
    let ctx = Arc::new(Context {
        daemon,
        peer: bin_dir.join("bgp-peer"),
        helper: bin_dir.join("api-helper"),
        logs: args.root.join("qa/.logs"),
        args: args.clone(),
    });
    for tool in [&ctx.peer, &ctx.helper] {
        if !tool.is_file() {
            return Err(format!(
                "{} is missing: build ferrobgp-qa first",
                tool.display()
            ));
        }
    }
    println!("daemon: {}", ctx.daemon);
    println!(
        "cases: {} × {} ({}), {} in parallel\n",
        cases.len(),
        args.reactors.len(),
        args.reactors.join(", "),
        args.jobs
    );

    let known = known_failures(&args);
    let cases: Vec<Arc<TestCase>> = cases.into_iter().map(Arc::new).collect();
    let mut queue = VecDeque::new();
    for reactor in &args.reactors {
        for case in &cases {
            queue.push_back(Job {
                case: case.clone(),
                reactor: reactor.clone(),
            });
        }
    }
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let (tx, rx) = mpsc::channel();
    let mut workers = Vec::new();
    for _ in 0..args.jobs.min(total.max(1)) {
        let (queue, tx, ctx) = (queue.clone(), tx.clone(), ctx.clone());
        workers.push(std::thread::spawn(move || loop {
            let job = match queue.lock() {
                Ok(mut q) => q.pop_front(),
                Err(_) => None,
            };
            let Some(job) = job else { break };
            if INTERRUPTED.load(Ordering::Relaxed) {
                break;
            }
            if tx.send(run_job(&ctx, &job)).is_err() {
                break;
            }
        }));
    }
    drop(tx);

    let mut results: Vec<JobResult> = Vec::new();
    let mut unexpected = 0;
    for result in rx {
        let is_known = is_known(&known, &result.reactor, &result.name);
        let verdict = match (result.passed, is_known) {
            (true, false) => "ok".to_string(),
            (true, true) => "ok — now passes: remove it from qa/known-failures.txt".to_string(),
            (false, true) => "FAILED (known)".to_string(),
            (false, false) => {
                unexpected += 1;
                "FAILED — unexpected failure".to_string()
            }
        };
        println!(
            "{:<6} {:<40} {} ({:.1}s){}",
            result.reactor,
            result.name,
            verdict,
            result.seconds,
            if result.passed {
                String::new()
            } else {
                format!(
                    "\n         {} — logs: {}",
                    result.detail,
                    result.logs.display()
                )
            }
        );
        if !result.passed && (args.verbose || (!is_known && total <= 4)) {
            println!("{}", result.report);
        }
        results.push(result);
    }
    for w in workers {
        let _ = w.join();
    }

    unexpected += json_checks(&cases, &known, args.verbose);

    println!();
    let (mut all_pass, mut all_fail) = (0, 0);
    for reactor in &args.reactors {
        let mine: Vec<&JobResult> = results.iter().filter(|r| &r.reactor == reactor).collect();
        let passed = mine.iter().filter(|r| r.passed).count();
        let mut failed: Vec<&str> = mine
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.name.as_str())
            .collect();
        failed.sort();
        all_pass += passed;
        all_fail += failed.len();
        println!("{reactor}: {passed} passed, {} failed", failed.len());
        if !failed.is_empty() {
            println!("  failed: {}", failed.join(" "));
        }
        let mut now_passing: Vec<&str> = mine
            .iter()
            .filter(|r| r.passed && is_known(&known, reactor, &r.name))
            .map(|r| r.name.as_str())
            .collect();
        now_passing.sort();
        if !now_passing.is_empty() {
            println!(
                "  now passes: remove it from qa/known-failures.txt: {}",
                now_passing.join(" ")
            );
        }
    }
    if args.reactors.len() > 1 {
        // A case that passes under one loop and fails under the other is a bug in a driver:
        // the protocol logic is shared (DESIGN.md), so the loops must agree.
        let mut differ: Vec<&str> = results
            .iter()
            .filter(|r| r.reactor == args.reactors[0])
            .filter(|r| {
                results
                    .iter()
                    .any(|o| o.reactor != r.reactor && o.name == r.name && o.passed != r.passed)
            })
            .map(|r| r.name.as_str())
            .collect();
        differ.sort();
        if !differ.is_empty() {
            println!(
                "loop parity: {} case(s) differ between mio and tokio: {}",
                differ.len(),
                differ.join(" ")
            );
        }
    }
    if INTERRUPTED.load(Ordering::Relaxed) {
        println!(
            "interrupted: {} of {total} case runs were done",
            results.len()
        );
        unexpected += 1;
    }
    if unexpected > 0 {
        println!("{unexpected} unexpected failure(s)");
    }
    if args.reactors.len() > 1 {
        println!("{all_pass} passed, {all_fail} failed");
    }
    Ok(if unexpected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The `json:` rules: decoding each `raw:` must give the JSON beside it (API v4: `json:` and
/// `jsv4:`). Returns the cases whose JSON differs and are not listed as `json:NAME`.
fn json_checks(cases: &[Arc<TestCase>], known: &BTreeMap<String, String>, verbose: bool) -> usize {
    let rules: usize = cases.iter().map(|c| c.case.json_pairs().len()).sum();
    if rules == 0 {
        return 0;
    }
    if !decode::json_available() {
        println!("\njson: {rules} json: rules NOT CHECKED — ferrobgp-wire has no JSON decoder yet (qa/src/decode.rs::to_json)");
        return 0;
    }
    let mut ok = 0;
    let mut bad: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in cases {
        let add_path = case.case.options.files.iter().any(|f| {
            fs::read_to_string(case.etc.join(f))
                .unwrap_or_default()
                .lines()
                .any(|l| {
                    let l = l.trim();
                    l.starts_with("add-path") && !l.contains("disable")
                })
        });
        let ctx = decode::exabgp_context(add_path);
        for (raw, json) in case.case.json_pairs() {
            let (Kind::Raw { bytes, full }, Kind::Json { variant, text }) = (&raw.kind, &json.kind)
            else {
                continue;
            };
            if *variant == JsonVariant::V6 {
                continue; // the daemon runs with exabgp_api_version=4
            }
            let mut whole = if *full { vec![] } else { vec![0xff; 16] };
            whole.extend_from_slice(bytes);
            let expected: Option<serde_json::Value> = serde_json::from_str(text).ok();
            let verdict = match decode::to_json(&whole, &ctx, expected.as_ref()) {
                Some(Ok(value)) => decode::json_matches(text, &value),
                Some(Err(e)) => Err(e),
                None => Err("no decoder".into()),
            };
            match verdict {
                Ok(()) => ok += 1,
                Err(e) => bad
                    .entry(case.name.clone())
                    .or_default()
                    .push(format!("line {}: {e}", json.line)),
            }
        }
    }
    let differ: usize = bad.values().map(Vec::len).sum();
    println!(
        "\njson: {ok} of {} json: rules match ferrobgp-wire's decoding, {differ} differ",
        ok + differ
    );
    let mut unexpected = 0;
    for (name, problems) in &bad {
        let listed = known.contains_key(&format!("json:{name}"));
        if !listed {
            unexpected += 1;
        }
        println!(
            "  json:{name}: {} differ{}",
            problems.len(),
            if listed {
                " (known)"
            } else {
                " — unexpected failure"
            }
        );
        for p in problems.iter().take(if verbose { usize::MAX } else { 2 }) {
            let p: String = p.chars().take(300).collect();
            println!("      {p}");
        }
    }
    for key in known.keys().filter_map(|k| k.strip_prefix("json:")) {
        if cases.iter().any(|c| c.name == key) && !bad.contains_key(key) {
            println!("  json:{key} now passes: remove it from qa/known-failures.txt");
        }
    }
    unexpected
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn run_job(ctx: &Context, job: &Job) -> JobResult {
    let started = Instant::now();
    let dir = ctx.logs.join(&job.reactor).join(&job.case.name);
    let mut result = JobResult {
        name: job.case.name.clone(),
        reactor: job.reactor.clone(),
        passed: false,
        detail: String::new(),
        report: String::new(),
        seconds: 0.0,
        logs: dir.clone(),
    };
    match run_case(ctx, job, &dir) {
        Ok((passed, detail, report)) => {
            result.passed = passed;
            result.detail = detail;
            result.report = report;
        }
        Err(e) => result.detail = e,
    }
    result.seconds = started.elapsed().as_secs_f64();
    if result.passed && !ctx.args.keep_logs {
        let _ = fs::remove_dir_all(&dir);
    }
    result
}

/// Commands the helper writes: the case's `cmd:` lines in order, except the first
/// `announce eor AFI SAFI` of each family — the daemon sends that End-of-RIB by itself once
/// the session is up; the case lists it to describe the message, not as something to send.
fn helper_script(case: &Case) -> String {
    let mut seen_eor = HashSet::new();
    let mut out = String::new();
    for rule in case.commands() {
        let Kind::Cmd(cmd) = &rule.kind else { continue };
        let cmd = cmd.trim();
        if let Some(family) = cmd.strip_prefix("announce eor") {
            if seen_eor.insert(family.trim().to_string()) {
                continue;
            }
        }
        out.push_str(cmd);
        out.push('\n');
    }
    out
}

/// Copies a configuration, pointing every `run …;` at our helper: the first one writes the
/// case's commands, the others nothing (they just read their stdin until it closes).
fn rewrite_config(
    text: &str,
    helper: &Path,
    dir: &Path,
    script: &str,
    first: &mut bool,
) -> Result<String, String> {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run ") && trimmed.trim_end().ends_with(';') {
            let file = if *first {
                *first = false;
                let path = dir.join("helper.cmds");
                fs::write(&path, script).map_err(|e| e.to_string())?;
                path
            } else {
                let path = dir.join("helper-empty.cmds");
                fs::write(&path, "").map_err(|e| e.to_string())?;
                path
            };
            let indent = &line[..line.len() - trimmed.len()];
            out.push_str(&format!("{indent}# was: {}\n", trimmed.trim()));
            out.push_str(&format!(
                "{indent}run {} {} {};\n",
                helper.display(),
                file.display(),
                dir.join("established").display()
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

fn spawn_logged(mut cmd: Command, log: &Path) -> Result<Child, String> {
    let file = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    // Each child leads its own process group, so that it and everything it starts (API
    // helpers) can be stopped together, and nothing else.
    cmd.stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .process_group(0);
    cmd.spawn()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))
}

fn stop_group(child: &mut Child) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        // The leader is gone; its helpers may not be.
        kill_group(child.id(), libc::SIGKILL);
        return Some(status);
    }
    kill_group(child.id(), libc::SIGTERM);
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            kill_group(child.id(), libc::SIGKILL);
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_group(child.id(), libc::SIGKILL);
    child.wait().ok()
}

fn kill_group(pid: u32, signal: i32) {
    let pid = pid as i32;
    if pid > 1 {
        // SAFETY: kill(2) on the process group this runner created for its own child.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn run_case(ctx: &Context, job: &Job, dir: &Path) -> Result<(bool, String, String), String> {
    let case = &job.case;
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    // Configurations, with API helpers replaced by ours.
    // qa/helpers/NAME.cmds, where a case's cmd: lines do not say everything its helper sends.
    let script = match fs::read_to_string(
        ctx.args
            .root
            .join("qa/helpers")
            .join(format!("{}.cmds", case.name)),
    ) {
        Ok(text) => text,
        Err(_) => helper_script(&case.case),
    };
    let mut first = true;
    let mut confs = Vec::new();
    for name in &case.case.options.files {
        let source = case.etc.join(name);
        let text = fs::read_to_string(&source)
            .map_err(|e| format!("configuration {}: {e}", source.display()))?;
        let rewritten = rewrite_config(&text, &ctx.helper, dir, &script, &mut first)?;
        let target = dir.join(name);
        fs::write(&target, rewritten).map_err(|e| e.to_string())?;
        confs.push(target);
    }
    // option:reload: (ours): replacement configurations, rewritten the same way; the peer
    // copies each over the first configuration just before the signal that reloads it.
    let mut reload_copies = Vec::new();
    for name in &case.case.options.reload {
        let first_conf = confs
            .first()
            .ok_or("option:reload: needs an option:file: to replace")?;
        let source = case.etc.join(name);
        let text = fs::read_to_string(&source)
            .map_err(|e| format!("configuration {}: {e}", source.display()))?;
        // The same `run` lines as the first configuration: its processes are unchanged.
        let rewritten = rewrite_config(&text, &ctx.helper, dir, &script, &mut true)?;
        let target = dir.join(format!("{name}.next"));
        fs::write(&target, rewritten).map_err(|e| e.to_string())?;
        reload_copies.push((target, first_conf.clone()));
    }

    // The peer first: it picks a free port and tells us which.
    let port_file = dir.join("port");
    let pid_file = dir.join("daemon.pid");
    let mut peer_cmd = Command::new(&ctx.peer);
    peer_cmd
        .arg(&case.path)
        .arg("--port-file")
        .arg(&port_file)
        .arg("--daemon-pid-file")
        .arg(&pid_file)
        .arg("--deadline")
        .arg(format!("{}", (ctx.args.timeout - 2.0).max(1.0)))
        .arg("--timeout")
        .arg(format!(
            "{}",
            case.case
                .options
                .timeout
                .map(|t| t as f64)
                .unwrap_or(ctx.args.message_timeout)
        ))
        .arg("--linger")
        .arg(format!("{}", ctx.args.linger))
        .arg("--established-file")
        .arg(dir.join("established"));
    for (source, target) in &reload_copies {
        peer_cmd.arg("--reload-copy").arg(source).arg(target);
    }
    let mut peer = spawn_logged(peer_cmd, &dir.join("peer.log"))?;
    let port = {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = fs::read_to_string(&port_file) {
                if let Ok(port) = text.trim().parse::<u16>() {
                    break port;
                }
            }
            if let Ok(Some(status)) = peer.try_wait() {
                let log = fs::read_to_string(dir.join("peer.log")).unwrap_or_default();
                return Ok((
                    false,
                    format!("bgp-peer exited before listening ({status})"),
                    log,
                ));
            }
            if Instant::now() > until {
                stop_group(&mut peer);
                return Ok((
                    false,
                    "bgp-peer did not start listening".into(),
                    String::new(),
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    };

    // Then the daemon, with the environment ExaBGP's harness sets.
    let connections = case.case.options.tcp_connections.unwrap_or(1);
    let mut daemon_cmd = Command::new("/bin/sh");
    daemon_cmd
        .arg("-c")
        .arg(format!("exec {} \"$@\"", ctx.daemon))
        .arg("sh")
        .args(&confs)
        .current_dir(dir)
        .env("exabgp_tcp_port", port.to_string())
        .env("exabgp_tcp_connections", connections.to_string())
        .env("exabgp_tcp_attempts", connections.to_string())
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .env("exabgp_debug_rotate", "true")
        .env("exabgp_api_version", "4")
        .env("exabgp_api_ack", "true")
        .env("exabgp_version", "5.0.0-0+test")
        .env("ferrobgp_reactor", &job.reactor);
    let mut command_line = format!("cd {} && exabgp_tcp_port={port} exabgp_tcp_connections={connections} ferrobgp_reactor={} {}", dir.display(), job.reactor, ctx.daemon);
    for c in &confs {
        command_line.push(' ');
        command_line.push_str(&shell_quote(&c.to_string_lossy()));
    }
    let _ = fs::write(dir.join("command"), format!("{command_line}\n"));
    let mut daemon = match spawn_logged(daemon_cmd, &dir.join("daemon.log")) {
        Ok(d) => d,
        Err(e) => {
            stop_group(&mut peer);
            return Err(e);
        }
    };
    let tmp = dir.join("daemon.pid.tmp");
    let _ = fs::write(&tmp, format!("{}\n", daemon.id())).and_then(|_| fs::rename(&tmp, &pid_file));

    // Wait for the peer's verdict, the deadline, or the daemon's early death.
    let deadline = Instant::now() + Duration::from_secs_f64(ctx.args.timeout);
    let mut daemon_exit: Option<(ExitStatus, Instant)> = None;
    let mut detail = String::new();
    let peer_status = loop {
        if let Ok(Some(status)) = peer.try_wait() {
            break Some(status);
        }
        if daemon_exit.is_none() {
            if let Ok(Some(status)) = daemon.try_wait() {
                daemon_exit = Some((status, Instant::now()));
            }
        }
        if let Some((status, when)) = daemon_exit {
            // The peer may still be finishing (e.g. after our NOTIFICATION); give it a moment.
            if when.elapsed() > Duration::from_secs(3) {
                let said = fs::read_to_string(dir.join("daemon.log")).unwrap_or_default();
                let last: String = said
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .chars()
                    .take(160)
                    .collect();
                detail = format!(
                    "the daemon exited ({status}) before the peer was satisfied; it said: {last}"
                );
                break None;
            }
        }
        if Instant::now() > deadline {
            detail = format!("timed out after {}s", ctx.args.timeout);
            break None;
        }
        if INTERRUPTED.load(Ordering::Relaxed) {
            detail = "interrupted".into();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if peer_status.is_none() {
        stop_group(&mut peer);
    }
    let daemon_status = stop_group(&mut daemon);
    let log = fs::read_to_string(dir.join("peer.log")).unwrap_or_default();
    let success =
        peer_status.is_some_and(|s| s.success()) && log.lines().any(|l| l.trim() == "successful");
    if !success && detail.is_empty() {
        detail = peer_reason(&log);
        if let Some((status, _)) = daemon_exit {
            detail.push_str(&format!(" (daemon {status})"));
        } else if let Some(status) = daemon_status {
            if status.code().is_some() {
                detail.push_str(&format!(" (daemon {status})"));
            }
        }
    }
    Ok((success, detail, log))
}

/// The first line of the peer's failure report (`failure: …`).
fn peer_reason(log: &str) -> String {
    log.lines()
        .rev()
        .find_map(|l| l.strip_prefix("failure: "))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "the peer did not report success".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_skips_the_first_eor_of_each_family() {
        let case = Case::parse(
            "1:cmd:announce eor ipv4 unicast\n1:cmd:announce eor ipv6 unicast\n1:cmd:announce route 1.0.0.0/24 next-hop 1.1.1.1\n3:cmd:announce eor ipv4 unicast\n",
        )
        .unwrap();
        assert_eq!(
            helper_script(&case),
            "announce route 1.0.0.0/24 next-hop 1.1.1.1\nannounce eor ipv4 unicast\n"
        );
    }

    #[test]
    fn config_rewrite_points_run_at_the_helper() {
        let dir = std::env::temp_dir().join(format!("qa-rewrite-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut first = true;
        let text = "process a {\n\trun ./run/x.run;\n}\nprocess b {\n    run ./run/y.run;\n}\n";
        let out =
            rewrite_config(text, Path::new("/bin/helper"), &dir, "cmd\n", &mut first).unwrap();
        let est = dir.join("established");
        assert!(
            out.contains(&format!(
                "\trun /bin/helper {} {};",
                dir.join("helper.cmds").display(),
                est.display()
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "    run /bin/helper {} {};",
                dir.join("helper-empty.cmds").display(),
                est.display()
            )),
            "{out}"
        );
        assert_eq!(
            fs::read_to_string(dir.join("helper.cmds")).unwrap(),
            "cmd\n"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn peer_reason_is_the_first_line_of_the_report() {
        let log = "listening\nreceived x\n\nfailure: unexpected message while waiting for group A1\n\nreceived: ..\nfailed\n";
        assert_eq!(
            peer_reason(log),
            "unexpected message while waiting for group A1"
        );
    }
}
