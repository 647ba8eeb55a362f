//! api-helper: stands in for the API helper script a configuration's `process` block names.
//!
//! `api-helper FILE [WAIT-FILE]` first waits (up to 30 s) for WAIT-FILE to exist — the test
//! peer creates it once the BGP session is up, so commands that need an established session
//! (`announce eor …`) are not refused — then writes FILE's commands, in order, to stdout, as
//! an ExaBGP API process would. Like ExaBGP's own helpers it paces itself on the daemon's
//! acknowledgements: after each command it waits for `done` or `error` on stdin (text or
//! JSON, at most a few seconds, so a daemon with acks off only slows it down). Then it keeps
//! reading stdin until the daemon closes it: a helper that exits early is a dead process.
//! Every line it reads is also written to `FILE.stdin` (kept with a failed case's logs).
//!
//! Directives in FILE (not sent): `@immediate` (do not wait for a session), `@batch N` (write
//! the next N commands at once, then wait for N acks), `@expect TEXT` (wait up to 10 s for a
//! line from the daemon containing TEXT; give up — send nothing more — if none comes),
//! `@expect-json JSON` (the same, for a line that is this JSON document, compared as the
//! `json:` rules are: volatile fields like `time` ignored), `@established` (wait, at most
//! 30 s, for the session at that point of the list).
//! `#` starts a comment line.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: api-helper FILE [WAIT-FILE]");
        return ExitCode::from(2);
    };
    let commands = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("api-helper: {path}: {e}");
            return ExitCode::from(1);
        }
    };
    let acks = std::env::var("exabgp_api_ack")
        .map(|v| !matches!(v.as_str(), "false" | "0" | "no"))
        .unwrap_or(true);
    let ack_wait = Duration::from_secs(3);

    // stdin is read on its own thread: acks come over the channel, and reading goes on until
    // EOF whatever the main thread does.
    let (tx, rx) = mpsc::channel::<String>();
    let (events_tx, events) = mpsc::channel::<String>();
    let mut transcript = std::fs::File::create(format!("{path}.stdin")).ok();
    let reader = std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if let Some(file) = &mut transcript {
                let _ = writeln!(file, "{line}");
            }
            match ack(&line) {
                Some(answer) => {
                    let _ = tx.send(answer);
                }
                None => {
                    let _ = events_tx.send(line);
                }
            }
        }
    });

    // "@immediate" in the file: the commands do not need a session (e.g. they create the
    // neighbor), so do not wait for one.
    let immediate = commands.lines().any(|l| l.trim() == "@immediate");
    let wait_established = || {
        if let Some(wait) = std::env::args().nth(2) {
            let until = std::time::Instant::now() + Duration::from_secs(30);
            while !std::path::Path::new(&wait).exists() && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            // The daemon has just sent its first message after the OPEN exchange; let it
            // finish processing our KEEPALIVE and reach Established.
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    if !immediate {
        wait_established();
    }

    let mut out = io::stdout().lock();
    let mut lines = commands
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    while let Some(line) = lines.next() {
        if line == "@immediate" {
            continue;
        }
        // "@established": wait here for the session (after `@immediate` commands that
        // create the neighbor).
        if line == "@established" {
            wait_established();
            continue;
        }
        if let Some(text) = line.strip_prefix("@expect-json ") {
            if !expect_json(&events, text.trim()) {
                break;
            }
            continue;
        }
        if let Some(text) = line.strip_prefix("@expect ") {
            let until = std::time::Instant::now() + Duration::from_secs(10);
            let seen = loop {
                let left = until.saturating_duration_since(std::time::Instant::now());
                match events.recv_timeout(left) {
                    Ok(event) if event.contains(text.trim()) => break true,
                    Ok(_) => {}
                    Err(_) => break false,
                }
            };
            if !seen {
                eprintln!("api-helper: the daemon never wrote a line containing: {text}");
                break;
            }
            continue;
        }
        // "@batch N": the next N commands go out together, then N acks are awaited.
        let batch: Vec<&str> = match line
            .strip_prefix("@batch ")
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            Some(n) => lines.by_ref().take(n).collect(),
            None => vec![line],
        };
        // One write for the whole batch (atomic on a pipe below PIPE_BUF): the daemon reads
        // it in one go, as ExaBGP's helpers' batches are, instead of racing a read between
        // two commands.
        let text: String = batch.iter().map(|c| format!("{c}\n")).collect();
        if out
            .write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
        if acks {
            for command in &batch {
                match rx.recv_timeout(ack_wait) {
                    Ok(ack) if ack == "shutdown" => return ExitCode::SUCCESS,
                    Ok(ack) if ack == "error" => {
                        eprintln!("api-helper: the daemon answered error to: {command}")
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }
    drop(out);
    let _ = reader.join();
    ExitCode::SUCCESS
}

/// `@expect-json`: waits (10 s at most) for a line from the daemon equal to `expected` as
/// JSON, skipping the others; says on stderr (the daemon's log) why when none comes.
fn expect_json(events: &mpsc::Receiver<String>, expected: &str) -> bool {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(expected) {
        eprintln!("api-helper: @expect-json: the expected JSON does not parse: {e}");
        return false;
    }
    let until = std::time::Instant::now() + Duration::from_secs(10);
    let mut differences = Vec::new();
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        let Ok(event) = events.recv_timeout(left) else {
            eprintln!("api-helper: the daemon never wrote the JSON: {expected}");
            for d in &differences {
                eprintln!("api-helper:   it wrote a line where {d}");
            }
            return false;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&event) else {
            continue;
        };
        match ferrobgp_qa::decode::json_matches(expected, &value) {
            Ok(()) => return true,
            Err(d) => differences.push(d),
        }
    }
}

/// An acknowledgement: `done`, `error` or `shutdown`, as text or as the JSON encoder's
/// `{"answer": "done", …}`.
fn ack(line: &str) -> Option<String> {
    let line = line.trim();
    if matches!(line, "done" | "error" | "shutdown") {
        return Some(line.to_string());
    }
    if line.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let answer = value.get("answer")?.as_str()?;
        if matches!(answer, "done" | "error" | "shutdown") {
            return Some(answer.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn acks_in_text_and_json() {
        assert_eq!(super::ack("done\n").as_deref(), Some("done"));
        assert_eq!(
            super::ack(r#"{"answer": "error", "message": "x"}"#).as_deref(),
            Some("error")
        );
        assert_eq!(super::ack(r#"{"exabgp": "5.0.0", "type": "update"}"#), None);
        assert_eq!(super::ack("announce route"), None);
    }
}
