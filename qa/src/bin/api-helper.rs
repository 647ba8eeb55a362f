//! api-helper: stands in for the API helper script a configuration's `process` block names.
//!
//! `api-helper FILE [WAIT-FILE]` first waits (up to 30 s) for WAIT-FILE to exist — the test
//! peer creates it once the BGP session is up, so commands that need an established session
//! (`announce eor …`) are not refused — then writes FILE's lines, in order, to stdout — the commands an ExaBGP API
//! process would send. Like ExaBGP's own helpers it paces itself on the daemon's
//! acknowledgements: after each command it waits for a `done` or `error` line on stdin (up
//! to a few seconds, so a daemon with acks turned off only slows it down). Then it keeps
//! reading stdin until the daemon closes it, because a helper that exits early is treated as
//! a dead process.

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
    let reader = std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let trimmed = line.trim();
            if trimmed == "done" || trimmed == "error" || trimmed == "shutdown" {
                let _ = tx.send(trimmed.to_string());
            }
        }
    });

    if let Some(wait) = std::env::args().nth(2) {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while !std::path::Path::new(&wait).exists() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The daemon has just sent its first message after the OPEN exchange; let it finish
        // processing our KEEPALIVE and reach Established.
        std::thread::sleep(Duration::from_millis(200));
    }

    let mut out = io::stdout().lock();
    for command in commands
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if writeln!(out, "{command}")
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
        if acks {
            match rx.recv_timeout(ack_wait) {
                Ok(ack) if ack == "shutdown" => return ExitCode::SUCCESS,
                Ok(ack) if ack == "error" => {
                    eprintln!("api-helper: the daemon answered error to: {command}")
                }
                _ => {}
            }
        }
    }
    drop(out);
    let _ = reader.join();
    ExitCode::SUCCESS
}
