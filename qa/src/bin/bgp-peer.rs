//! bgp-peer: the functional harness's test BGP peer.
//!
//! Listens on loopback, accepts the daemon's connection(s), answers its OPEN with the same
//! OPEN (router-id low byte + 1, or the AS replaced for `option:asn`), then checks every
//! message the daemon sends against a `.ci` file's `raw:` rules. Prints `successful` and
//! exits 0 when every expectation is met; prints the difference and exits 1 otherwise.
//! A global deadline means it never hangs.
//!
//! Behaviour mirrors ExaBGP's `qa/sbin/bgp` (see reference/exabgp.md section 1.2), except that
//! the daemon's PID is given to us (`--daemon-pid`, `--daemon-pid-file`) instead of being
//! found by scanning `ps`.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ferrobgp_qa::checker::{Action, Checker, Expected, Outcome};
use ferrobgp_qa::ci::Case;
use ferrobgp_qa::{decode, msg};
use ferrobgp_wire::SessionContext;

const USAGE: &str = "usage: bgp-peer [CASE.ci] [--port N] [--port-file F] [--ipv6]
       [--daemon-pid PID | --daemon-pid-file F] [--deadline S] [--timeout S] [--linger S]
       [--record FILE [--record-idle S]] [--reload-copy SRC DST]…

  CASE.ci           expectations and options (optional with --record)
  --port N          port to listen on (default 0: any free port; see --port-file)
  --port-file F     write the port we listen on to F once listening
  --ipv6            listen on ::1 (also set by option:bind:ipv6)
  --daemon-pid PID  process to signal for signal: rules
  --daemon-pid-file F  read that PID from F when it is needed
  --deadline S      give up after S seconds in all (default 60)
  --timeout S       per-message timeout (default 30; option:timeout:N overrides)
  --linger S        after the last expectation, wait S seconds for extra messages (default 0.5)
  --record FILE     sink mode: accept anything, write what is received as 1:raw: lines
  --record-idle S   in record mode, stop after S quiet seconds (default 3)
  --established-file F  create F once the session is up (the daemon's first message after
                    the OPEN exchange); the runner's API helper waits for it
  --reload-copy SRC DST  before the next signal: rule, copy SRC over DST (atomically, by a
                    rename); repeatable, one copy per signal, in order (option:reload:)";

#[derive(Debug, Default)]
struct Args {
    case: Option<PathBuf>,
    port: u16,
    port_file: Option<PathBuf>,
    ipv6: bool,
    daemon_pid: Option<i32>,
    daemon_pid_file: Option<PathBuf>,
    deadline: f64,
    timeout: Option<f64>,
    linger: f64,
    record: Option<PathBuf>,
    record_idle: f64,
    established_file: Option<PathBuf>,
    reload_copies: Vec<(PathBuf, PathBuf)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        deadline: 60.0,
        linger: 0.5,
        record_idle: 3.0,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{name}: bad number {v:?}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--port" => args.port = value("--port")?.parse().map_err(|_| "--port: bad port")?,
            "--port-file" => args.port_file = Some(value("--port-file")?.into()),
            "--ipv6" => args.ipv6 = true,
            "--daemon-pid" => {
                args.daemon_pid = Some(
                    value("--daemon-pid")?
                        .parse()
                        .map_err(|_| "--daemon-pid: bad pid")?,
                )
            }
            "--daemon-pid-file" => args.daemon_pid_file = Some(value("--daemon-pid-file")?.into()),
            "--deadline" => args.deadline = num(value("--deadline")?, "--deadline")?,
            "--timeout" => args.timeout = Some(num(value("--timeout")?, "--timeout")?),
            "--linger" => args.linger = num(value("--linger")?, "--linger")?,
            "--record" => args.record = Some(value("--record")?.into()),
            "--record-idle" => args.record_idle = num(value("--record-idle")?, "--record-idle")?,
            "--established-file" => {
                args.established_file = Some(value("--established-file")?.into())
            }
            "--reload-copy" => {
                let source = value("--reload-copy")?;
                let target = value("--reload-copy")?;
                args.reload_copies.push((source.into(), target.into()));
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => {
                if args.case.is_some() {
                    return Err("only one case file".into());
                }
                args.case = Some(s.into());
            }
        }
    }
    if args.case.is_none() && args.record.is_none() {
        return Err("a case file is needed (or --record FILE)".into());
    }
    Ok(args)
}

/// Why a session ended.
enum End {
    /// Every expectation met.
    Success,
    /// The connection closed (by the daemon, or by our NOTIFICATION) with work left.
    Closed,
    Failed(String),
}

enum ReadError {
    Eof,
    Timeout,
    Io(io::Error),
    Framing(String),
}

struct Peer {
    args: Args,
    case: Case,
    checker: Checker,
    deadline: Instant,
    message_timeout: Duration,
    /// UPDATEs received so far, replayed on ROUTE-REFRESH.
    updates: Vec<Vec<u8>>,
    record: Option<fs::File>,
    recorded: usize,
    /// What the session negotiated, for decoding messages in reports.
    ctx: SessionContext,
    /// How many `--reload-copy` copies were made.
    reloads: usize,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bgp-peer: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let case = match &args.case {
        None => Case::default(),
        Some(path) => match fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Case::parse(&t).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                println!("could not read {}: {e}", path.display());
                println!("failed");
                return ExitCode::from(1);
            }
        },
    };
    let timeout = args
        .timeout
        .or(case.options.timeout.map(|t| t as f64))
        .unwrap_or(30.0);
    let mut peer = Peer {
        checker: Checker::new(&case),
        deadline: Instant::now() + Duration::from_secs_f64(args.deadline),
        message_timeout: Duration::from_secs_f64(timeout),
        case,
        updates: Vec::new(),
        record: None,
        recorded: 0,
        ctx: decode::exabgp_context(false),
        reloads: 0,
        args,
    };
    match peer.run() {
        Ok(()) => {
            println!("successful");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("\nfailure: {reason}");
            println!("failed");
            ExitCode::from(1)
        }
    }
}

impl Peer {
    fn run(&mut self) -> Result<(), String> {
        let ipv6 = self.args.ipv6 || self.case.options.bind_ipv6;
        let addr: SocketAddr = if ipv6 {
            ([0u16, 0, 0, 0, 0, 0, 0, 1], self.args.port).into()
        } else {
            ([127, 0, 0, 1], self.args.port).into()
        };
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("could not listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on {local}");
        if let Some(path) = &self.args.port_file {
            let tmp = path.with_extension("tmp");
            fs::write(&tmp, format!("{}\n", local.port()))
                .and_then(|_| fs::rename(&tmp, path))
                .map_err(|e| format!("could not write {}: {e}", path.display()))?;
        }
        if let Some(path) = &self.args.record {
            let mut file = fs::File::create(path)
                .map_err(|e| format!("could not create {}: {e}", path.display()))?;
            let _ = writeln!(
                file,
                "# recorded by bgp-peer --record: what the daemon sent, in arrival order"
            );
            self.record = Some(file);
        }
        if self.record.is_none() && self.checker.remaining().is_empty() {
            return Err("no expectation in the case file".into());
        }
        self.print_rules();
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut connection = 0usize;
        loop {
            let Some(stream) = self.accept(&listener, connection)? else {
                println!("record: {} messages written", self.recorded);
                return Ok(());
            };
            let letter = (b'A' + (connection % 26) as u8) as char;
            connection += 1;
            match self.session(stream, letter) {
                End::Success => return Ok(()),
                End::Failed(reason) => return Err(reason),
                End::Closed => {
                    if self.checker.is_complete() {
                        return Ok(());
                    }
                    println!("session {letter} closed; waiting for the next connection");
                }
            }
        }
    }

    fn print_rules(&self) {
        println!("rules:");
        for group in self.checker.remaining() {
            for action in &group.actions {
                println!("  {:<5} {action:?}", group.label());
            }
            for e in &group.messages {
                println!(
                    "  {:<5} {} (line {})",
                    group.label(),
                    msg::ci_hex(&e.whole()),
                    e.line
                );
            }
        }
    }

    fn waiting_for(&self) -> String {
        let mut out = String::from("still expected:");
        for group in self.checker.remaining().iter().take(3) {
            for action in &group.actions {
                out.push_str(&format!("\n  {:<5} {action:?}", group.label()));
            }
            for e in &group.messages {
                out.push_str(&format!(
                    "\n  {:<5} {} (line {})",
                    group.label(),
                    msg::ci_hex(&e.whole()),
                    e.line
                ));
            }
        }
        out
    }

    fn remaining_time(&self) -> Result<Duration, String> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "global deadline ({}s) reached\n{}",
                self.args.deadline,
                self.waiting_for()
            ));
        }
        Ok(left)
    }

    /// The next connection; `None` ends a capture (`--record`) that has gone quiet.
    fn accept(
        &mut self,
        listener: &TcpListener,
        connection: usize,
    ) -> Result<Option<TcpStream>, String> {
        let started = Instant::now();
        loop {
            match listener.accept() {
                Ok((stream, from)) => {
                    println!(
                        "\nnew session {} from {from}",
                        (b'A' + (connection % 26) as u8) as char
                    );
                    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
                    let _ = stream.set_nodelay(true);
                    return Ok(Some(stream));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.record.is_some() && self.recorded > 0 {
                        // In record mode, a closed session with nothing after it ends the capture.
                        if started.elapsed().as_secs_f64() > self.args.record_idle {
                            return Ok(None);
                        }
                    }
                    self.remaining_time()
                        .map_err(|e| format!("no connection from the daemon: {e}"))?;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(format!("accept failed: {e}")),
            }
        }
    }

    fn read_message(
        &self,
        stream: &mut TcpStream,
        timeout: Duration,
    ) -> Result<Vec<u8>, ReadError> {
        let wait = timeout.min(self.deadline.saturating_duration_since(Instant::now()));
        if wait.is_zero() {
            return Err(ReadError::Timeout);
        }
        stream.set_read_timeout(Some(wait)).map_err(ReadError::Io)?;
        let mut header = [0u8; msg::HEADER_LEN];
        read_full(stream, &mut header, true)?;
        if header[..16] != msg::MARKER {
            return Err(ReadError::Framing(format!(
                "bad marker in header {}",
                hex::encode_upper(header)
            )));
        }
        let length = u16::from_be_bytes([header[16], header[17]]) as usize;
        if length < msg::HEADER_LEN {
            return Err(ReadError::Framing(format!(
                "bad length {length} in header {}",
                hex::encode_upper(header)
            )));
        }
        let mut message = header.to_vec();
        message.resize(length, 0);
        read_full(stream, &mut message[msg::HEADER_LEN..], false)?;
        Ok(message)
    }

    fn send(&self, stream: &mut TcpStream, what: &str, bytes: &[u8]) -> Result<(), String> {
        println!("{what:<12} {}", msg::ci_hex(bytes));
        stream
            .write_all(bytes)
            .map_err(|e| format!("could not send {what}: {e}"))
    }

    fn session(&mut self, mut stream: TcpStream, letter: char) -> End {
        match self.session_inner(&mut stream, letter) {
            Ok(end) => end,
            Err(reason) => End::Failed(reason),
        }
    }

    fn session_inner(&mut self, stream: &mut TcpStream, letter: char) -> Result<End, String> {
        let open = match self.read_message(stream, self.message_timeout) {
            Ok(m) => m,
            Err(ReadError::Eof) => return Ok(End::Closed),
            Err(e) => return Err(self.read_failure(e, "the daemon's OPEN")),
        };
        println!("open recv    {}", msg::ci_hex(&open));
        if msg::kind(&open) != msg::OPEN {
            return Err(format!(
                "expected an OPEN, received {}\n{}",
                msg::kind_name(msg::kind(&open)),
                msg::describe(&open).join("\n")
            ));
        }
        if let Some(file) = &mut self.record {
            let _ = writeln!(file, "# open: {}", msg::ci_hex(&open));
        }
        if let Some(want) = self.checker.current_conn() {
            if want != letter && self.record.is_none() {
                println!(
                    "note: connection {letter} opened while the rules wait for connection {want}"
                );
            }
        }
        if self.case.options.inspect_open && self.record.is_none() {
            if let Some(end) = self.judge(stream, &open)? {
                return Ok(end);
            }
        }
        let opts = &self.case.options;
        let answer = msg::mirror_open(&open, opts.asn, opts.send_unknown_capability);
        let (unknown, default) = (opts.send_unknown_message, opts.send_default_route);
        if let Some(ctx) = decode::negotiated(&open, &answer) {
            self.ctx = ctx;
        }
        self.send(stream, "open sent", &answer)?;
        self.send(stream, "keepalive", &msg::keepalive())?;
        if self.record.is_none() {
            if let Some(end) = self.perform_actions(stream)? {
                return Ok(end);
            }
        }
        if unknown {
            self.send(stream, "unknown msg", &msg::unknown_message())?;
        }
        if default {
            self.send(stream, "default", &msg::default_route())?;
        }
        loop {
            if self.record.is_none() && self.checker.is_complete() {
                return self.linger(stream);
            }
            let timeout = if self.record.is_some() {
                Duration::from_secs_f64(self.args.record_idle)
            } else {
                self.message_timeout
            };
            let message = match self.read_message(stream, timeout) {
                Ok(m) => m,
                Err(ReadError::Eof) => {
                    println!("session {letter}: the daemon closed the connection");
                    // A connection letter names one TCP session: if the rules still wait
                    // for messages on this one, the daemon reset it (e.g. on a reload that
                    // must keep it), and a new session's messages must not be judged
                    // against them.
                    if self.record.is_none() && self.checker.next_message_conn() == Some(letter) {
                        return Err(format!(
                            "the daemon closed session {letter} while the rules still expect messages on it\n{}",
                            self.waiting_for()
                        ));
                    }
                    return Ok(End::Closed);
                }
                Err(ReadError::Timeout) if self.record.is_some() => {
                    println!("record: {} messages written", self.recorded);
                    return Ok(End::Success);
                }
                Err(e) => return Err(self.read_failure(e, "a message")),
            };
            // ExaBGP's peer answers every message with a KEEPALIVE.
            let _ = stream.write_all(&msg::keepalive());
            if let Some(path) = &self.args.established_file {
                if !path.exists() {
                    let _ = fs::write(path, format!("{letter}\n"));
                }
            }
            if msg::kind(&message) == msg::KEEPALIVE {
                continue;
            }
            if msg::kind(&message) == msg::UPDATE {
                self.updates.push(message.clone());
            }
            if let Some(file) = &mut self.record {
                println!("recorded     {}", msg::ci_hex(&message));
                let _ = writeln!(file, "1:raw:{}", msg::ci_hex(&message));
                self.recorded += 1;
                continue;
            }
            if let Some(end) = self.judge(stream, &message)? {
                return Ok(end);
            }
        }
    }

    /// Checks one message; `Some` when the session ends here.
    fn judge(&mut self, stream: &mut TcpStream, message: &[u8]) -> Result<Option<End>, String> {
        match self.checker.receive(message) {
            Outcome::Matched { group, line } => {
                println!("received {group:<4} {} (line {line})", msg::ci_hex(message));
                self.perform_actions(stream)
            }
            Outcome::Tolerated(why) => {
                println!("skipped      {} ({why})", msg::ci_hex(message));
                Ok(None)
            }
            Outcome::Unexpected { .. } | Outcome::Extra if msg::is_refresh_request(message) => {
                println!("refresh req  {}", msg::ci_hex(message));
                self.replay(stream)?;
                Ok(None)
            }
            Outcome::Unexpected { group, candidates } => {
                Err(self.mismatch(message, &group, &candidates))
            }
            Outcome::Extra => Err(format!(
                "received extra message (every expectation was already met):\n  {}\n{}",
                msg::ci_hex(message),
                indent(&decode::pretty(message, &self.ctx))
            )),
        }
    }

    /// After the last expectation, watch briefly for extra messages (a trailing End-of-RIB
    /// and KEEPALIVEs are fine).
    fn linger(&mut self, stream: &mut TcpStream) -> Result<End, String> {
        let until = Instant::now() + Duration::from_secs_f64(self.args.linger);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(End::Success);
            }
            match self.read_message(stream, left) {
                Ok(m) if msg::kind(&m) == msg::KEEPALIVE => {}
                Ok(m) => {
                    if let Some(end) = self.judge(stream, &m)? {
                        return Ok(end);
                    }
                }
                Err(ReadError::Framing(e)) => return Err(e),
                Err(_) => return Ok(End::Success),
            }
        }
    }

    fn replay(&mut self, stream: &mut TcpStream) -> Result<(), String> {
        println!(
            "replaying {} UPDATE(s) after ROUTE-REFRESH",
            self.updates.len()
        );
        for update in self.updates.clone() {
            self.send(stream, "replay", &update)?;
        }
        Ok(())
    }

    fn perform_actions(&mut self, stream: &mut TcpStream) -> Result<Option<End>, String> {
        for action in self.checker.next_actions() {
            match action {
                Action::Signal(name) => {
                    self.reload_copy()?;
                    self.signal(&name)?
                }
                Action::Send(bytes) => {
                    self.send(stream, "send", &bytes)?;
                    if msg::kind(&bytes) == msg::UPDATE {
                        for line in decode::pretty(&bytes, &self.ctx) {
                            println!("             {line}");
                        }
                    }
                }
                Action::Notification(text) => {
                    println!("sending closing notification: {text:?}");
                    self.send(stream, "notification", &msg::shutdown_notification(&text))?;
                    let _ = stream.flush();
                    // Give the daemon a moment to read it before the FIN.
                    std::thread::sleep(Duration::from_millis(100));
                    let _ = stream.shutdown(Shutdown::Both);
                    return Ok(Some(if self.checker.is_complete() {
                        End::Success
                    } else {
                        End::Closed
                    }));
                }
            }
        }
        Ok(None)
    }

    /// `option:reload:`: the next replacement configuration goes over the one the daemon
    /// reads, written beside it and renamed, so the daemon never reads half a file.
    fn reload_copy(&mut self) -> Result<(), String> {
        let Some((source, target)) = self.args.reload_copies.get(self.reloads) else {
            return Ok(());
        };
        self.reloads += 1;
        let tmp = target.with_extension("reload-tmp");
        fs::copy(source, &tmp)
            .and_then(|_| fs::rename(&tmp, target))
            .map_err(|e| {
                format!(
                    "could not copy {} over {}: {e}",
                    source.display(),
                    target.display()
                )
            })?;
        println!(
            "configuration replaced: {} now holds {}",
            target.display(),
            source.display()
        );
        Ok(())
    }

    fn daemon_pid(&self) -> Result<i32, String> {
        if let Some(pid) = self.args.daemon_pid {
            return Ok(pid);
        }
        let path = self
            .args
            .daemon_pid_file
            .as_ref()
            .ok_or("a signal: rule needs --daemon-pid or --daemon-pid-file")?;
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(text) = fs::read_to_string(path) {
                if let Ok(pid) = text.trim().parse() {
                    return Ok(pid);
                }
            }
            if Instant::now() > until {
                return Err(format!("no PID in {}", path.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, name: &str) -> Result<(), String> {
        let number = signal_number(name).ok_or(format!("unknown signal {name:?}"))?;
        let pid = self.daemon_pid()?;
        if pid <= 1 {
            return Err(format!("refusing to signal pid {pid}"));
        }
        println!("sending signal {name} to pid {pid}");
        // SAFETY: kill(2) with a positive PID the runner gave us (never a group or -1).
        let rc = unsafe { libc::kill(pid, number) };
        if rc != 0 {
            return Err(format!(
                "kill({pid}, {name}) failed: {}",
                io::Error::last_os_error()
            ));
        }
        Ok(())
    }

    fn read_failure(&self, error: ReadError, what: &str) -> String {
        let why = match error {
            ReadError::Eof => "the connection closed".to_string(),
            ReadError::Timeout => format!(
                "timed out ({:?} per message) waiting for {what}",
                self.message_timeout
            ),
            ReadError::Io(e) => format!("read error waiting for {what}: {e}"),
            ReadError::Framing(e) => format!("framing error: {e}"),
        };
        format!("{why}\n{}", self.waiting_for())
    }

    fn mismatch(&self, received: &[u8], group: &str, candidates: &[Expected]) -> String {
        let mut out = format!(
            "unexpected message while waiting for group {group} ({} message(s) left)\n",
            candidates.len()
        );
        out.push_str(&format!("received:  {}\n", msg::ci_hex(received)));
        if let Some(best) = Checker::closest(candidates, received) {
            let whole = best.whole();
            out.push_str(&format!(
                "closest expected (line {}):\n           {}\n\n",
                best.line,
                msg::ci_hex(&whole)
            ));
            out.push_str(&msg::side_by_side(
                &format!("expected (line {})", best.line),
                &decode::pretty(&whole, &self.ctx),
                "received",
                &decode::pretty(received, &self.ctx),
            ));
            out.push('\n');
            out.push_str(&msg::hex_diff(&whole, received));
            let others: Vec<_> = candidates.iter().filter(|c| c.line != best.line).collect();
            if !others.is_empty() {
                out.push_str("other candidates in this group:\n");
                for c in others {
                    out.push_str(&format!(
                        "  line {:<4} {}\n",
                        c.line,
                        msg::ci_hex(&c.whole())
                    ));
                }
            }
        }
        out
    }
}

fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_full(stream: &mut TcpStream, buf: &mut [u8], at_boundary: bool) -> Result<(), ReadError> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(if at_boundary && filled == 0 {
                    ReadError::Eof
                } else {
                    ReadError::Framing("connection closed inside a message".into())
                });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ReadError::Timeout)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) && filled == 0
                    && at_boundary =>
            {
                return Err(ReadError::Eof)
            }
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(())
}

fn signal_number(name: &str) -> Option<i32> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match bare {
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "HUP" => libc::SIGHUP,
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "ALRM" => libc::SIGALRM,
        "QUIT" => libc::SIGQUIT,
        _ => return None,
    })
}
