//! The mio loop (see the crate docs for the per-iteration order).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::unix::pipe;
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook_mio::v1_0::Signals;

use ferrobgp_core::{ConnId, Input, Output, ProcessId, Speaker};

use crate::shared::{DriverTimer, DriverTimers, Inputs, CLOSE_GRACE, KILL_GRACE};

use crate::common::{self, Handle, Line, LineSplitter, WriteQueue, READ_BUDGET, READ_CHUNK};
use crate::shared::{self, Reloader};

/// How the loop is set up by `ferrobgp run` (or a test).
pub struct Options {
    /// Where to listen for `ferrobgp cli` clients; `None` disables the control channel.
    pub control_socket: Option<PathBuf>,
    /// Re-reads the configuration on SIGUSR1/SIGUSR2 (ExaBGP's debug.rotate moves to the
    /// next file here).
    pub reload: Reloader,
    /// Signals injected from another thread.
    pub handle: Handle,
}

const WAKER: Token = Token(0);
const SIGNALS_TOKEN: Token = Token(1);
const CONTROL: Token = Token(2);
const FIRST_DYNAMIC: usize = 3;

/// How long, once the core said `Exit`, helper processes get to exit after their stdin was
/// closed before they are killed.
const EXIT_GRACE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
enum Source {
    Listener,
    Conn(ConnId),
    ProcStdout(ProcessId),
    ProcStderr(ProcessId),
    ProcStdin(ProcessId),
    ControlClient(ProcessId),
}

struct Conn {
    stream: TcpStream,
    token: Token,
    connecting: bool,
    /// The core said `Close`: flush, then close and answer `Closed`.
    closing: bool,
    rbuf: BytesMut,
    wq: WriteQueue,
    paused: bool,
}

struct Proc {
    name: String,
    child: Child,
    stdout: Option<(pipe::Receiver, Token)>,
    stderr: Option<(pipe::Receiver, Token)>,
    stdin: Option<(pipe::Sender, Token)>,
    out_lines: LineSplitter,
    err_lines: LineSplitter,
    wq: WriteQueue,
    close_stdin_when_flushed: bool,
    /// `PauseProcess`: its stdout is not read until `ResumeProcess`.
    paused: bool,
}

struct Client {
    stream: UnixStream,
    token: Token,
    lines: LineSplitter,
    wq: WriteQueue,
    read_closed: bool,
}

struct Reactor {
    poll: Poll,
    speaker: Speaker,
    next_token: usize,
    sources: HashMap<Token, Source>,
    listeners: Vec<(TcpListener, Token)>,
    conns: HashMap<ConnId, Conn>,
    procs: HashMap<ProcessId, Proc>,
    control: Option<(UnixListener, PathBuf)>,
    clients: HashMap<ProcessId, Client>,
    /// Sources whose read budget ran out with data left: read them next iteration.
    more_to_read: HashSet<Token>,
    /// Connections/pipes/clients with queued bytes to flush at the end of the iteration.
    dirty: HashSet<Token>,
    signals: Signals,
    opts: Options,
    /// Inputs of this iteration, by class (see the crate docs for the order).
    inputs: Inputs,
    exit: Option<i32>,
    timers: DriverTimers,
    accepted: u64,
    control_clients: u32,
    /// MD5 keys and minimum TTLs of the neighbors, from `Listen`.
    listen_peers: Vec<ferrobgp_core::ListenPeer>,
}

/// Run `speaker` until it says `Exit`; returns the exit code.
pub fn run(speaker: Speaker, opts: Options) -> io::Result<i32> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    // Signals first, before any child is spawned, so that no SIGCHLD and no early SIGTERM is
    // lost (signals during start-up are deferred, not lost).
    let mut signals = Signals::new(common::SIGNALS)?;
    poll.registry()
        .register(&mut signals, SIGNALS_TOKEN, Interest::READABLE)?;
    opts.handle.set_waker(Box::new(move || {
        let _ = waker.wake();
    }));
    common::undefer_signals()?;
    let mut r = Reactor {
        poll,
        speaker,
        next_token: FIRST_DYNAMIC,
        sources: HashMap::new(),
        listeners: Vec::new(),
        conns: HashMap::new(),
        procs: HashMap::new(),
        control: None,
        clients: HashMap::new(),
        more_to_read: HashSet::new(),
        dirty: HashSet::new(),
        signals,
        opts,
        inputs: Inputs::default(),
        exit: None,
        timers: DriverTimers::default(),
        accepted: 0,
        control_clients: 0,
        listen_peers: Vec::new(),
    };
    r.open_control_socket();
    tracing::info!(reactor = "mio", "event loop started");
    let code = r.run_loop();
    r.shutdown();
    code
}

impl Reactor {
    fn token(&mut self, source: Source) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        self.sources.insert(t, source);
        t
    }

    fn open_control_socket(&mut self) {
        let Some(path) = self.opts.control_socket.clone() else {
            return;
        };
        match shared::bind_control_socket(&path) {
            Ok(std_listener) => {
                let mut l = UnixListener::from_std(std_listener);
                if let Err(e) = self
                    .poll
                    .registry()
                    .register(&mut l, CONTROL, Interest::READABLE)
                {
                    tracing::warn!(path = %path.display(), "control socket: {e}");
                    return;
                }
                tracing::info!(path = %path.display(), "control socket listening");
                self.control = Some((l, path));
            }
            Err(e) => tracing::warn!(path = %path.display(), "control socket disabled: {e}"),
        }
    }

    fn run_loop(&mut self) -> io::Result<i32> {
        let mut events = Events::with_capacity(1024);
        // The core may have work before any event (Listen, Connect, Spawn).
        self.drain_outputs();
        self.flush_dirty();
        loop {
            if let Some(code) = self.exit {
                return Ok(code);
            }
            let now = Instant::now();
            let timeout = if !self.more_to_read.is_empty()
                || !self.dirty.is_empty()
                || !self.inputs.is_empty()
            {
                Some(Duration::ZERO)
            } else {
                shared::earliest(self.speaker.next_deadline(), self.timers.next())
                    .map(|d| d.saturating_duration_since(now))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            for ev in events.iter() {
                let token = ev.token();
                match token {
                    WAKER => {
                        for s in self.opts.handle.take() {
                            self.on_signal(s);
                        }
                    }
                    SIGNALS_TOKEN => {
                        let pending: Vec<i32> = self.signals.pending().collect();
                        for s in pending {
                            self.on_signal(s);
                        }
                    }
                    CONTROL => self.accept_clients(),
                    _ => {
                        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                            self.more_to_read.insert(token);
                        }
                        if ev.is_writable() || ev.is_error() {
                            self.on_writable(token);
                        }
                    }
                }
            }
            let ready: Vec<Token> = self.more_to_read.drain().collect();
            for t in ready {
                self.on_readable(t);
            }
            let now = Instant::now();
            for t in self.timers.take_due(now) {
                self.on_driver_timer(t);
            }
            self.feed(now);
            self.flush_dirty();
        }
    }

    /// Hand this iteration's inputs to the core in the documented order, then perform what
    /// it asks.
    fn feed(&mut self, now: Instant) {
        while let Some(i) = self.inputs.pop_next() {
            self.speaker.handle(now, i);
            self.drain_outputs();
        }
        if self.speaker.next_deadline().is_some_and(|d| d <= now) {
            self.speaker.handle(now, Input::Tick);
            self.drain_outputs();
        }
    }

    fn on_driver_timer(&mut self, t: DriverTimer) {
        match t {
            DriverTimer::Kill(id) => {
                if let Some(p) = self.procs.get_mut(&id) {
                    tracing::warn!(process = %p.name, pid = p.child.id(), "killing process");
                    let _ = p.child.kill();
                }
            }
            DriverTimer::ForceClose(id) => {
                if self.conns.get(&id).is_some_and(|c| c.closing) {
                    self.lose_conn(id, Some("peer did not read the last bytes".into()));
                }
            }
        }
    }

    fn on_signal(&mut self, signum: i32) {
        if signum == libc::SIGCHLD {
            self.reap_children();
            return;
        }
        for i in shared::signal_inputs(signum, &mut self.opts.reload) {
            self.inputs.push(i);
        }
    }

    // --- reading ---------------------------------------------------------------------

    fn on_readable(&mut self, token: Token) {
        let Some(source) = self.sources.get(&token).copied() else {
            return;
        };
        match source {
            Source::Listener => self.accept_tcp(token),
            Source::Conn(id) => self.read_conn(id),
            Source::ProcStdout(p) => {
                if self.read_proc(p, false) {
                    // The helper closed its stdout: it has probably exited.
                    self.reap_children();
                }
            }
            Source::ProcStderr(p) => {
                self.read_proc(p, true);
            }
            Source::ProcStdin(_) => {}
            Source::ControlClient(p) => self.read_client(p),
        }
    }

    fn accept_tcp(&mut self, token: Token) {
        let Some(idx) = self.listeners.iter().position(|(_, t)| *t == token) else {
            return;
        };
        for _ in 0..64 {
            match self.listeners[idx].0.accept() {
                Ok((mut stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let local = match stream.local_addr() {
                        Ok(a) => common::canonical(a),
                        Err(_) => continue,
                    };
                    let remote = common::canonical(remote);
                    if let Some(min) = common::accepted_min_ttl(&self.listen_peers, remote) {
                        let sock = socket2::SockRef::from(&stream);
                        if let Err(e) = common::set_min_ttl(&sock, remote, min) {
                            tracing::warn!(%remote, "minimum TTL: {e}");
                        }
                    }
                    self.accepted += 1;
                    let conn = ConnId::accepted(self.accepted);
                    let t = self.token(Source::Conn(conn));
                    if let Err(e) = self.poll.registry().register(
                        &mut stream,
                        t,
                        Interest::READABLE | Interest::WRITABLE,
                    ) {
                        tracing::warn!("accept: {e}");
                        self.sources.remove(&t);
                        continue;
                    }
                    tracing::debug!(%remote, %local, ?conn, "accepted");
                    self.conns.insert(conn, Conn::new(stream, t, false));
                    self.inputs.push(Input::Accepted {
                        conn,
                        local,
                        remote,
                    });
                    // Data may already be waiting.
                    self.more_to_read.insert(t);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE and friends: log, and try again on the next readiness.
                    tracing::warn!("accept: {e}");
                    return;
                }
            }
        }
        self.more_to_read.insert(token);
    }

    fn read_conn(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.connecting || c.paused || c.closing {
            return;
        }
        let mut budget = READ_BUDGET;
        loop {
            match common::read_fd_into(c.stream.as_raw_fd(), &mut c.rbuf, READ_CHUNK) {
                Ok(0) => {
                    self.lose_conn(id, None);
                    return;
                }
                Ok(n) => {
                    let data = c.rbuf.split().freeze();
                    self.inputs.push(Input::Received { conn: id, data });
                    budget = budget.saturating_sub(n);
                    if budget == 0 {
                        self.more_to_read.insert(c.token);
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.lose_conn(id, Some(e.to_string()));
                    return;
                }
            }
        }
    }

    /// The connection went away (end of stream, error, or the end of a `Close`): tell the
    /// core, forget it.
    fn lose_conn(&mut self, id: ConnId, error: Option<String>) {
        if let Some(mut c) = self.conns.remove(&id) {
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.sources.remove(&c.token);
            self.dirty.remove(&c.token);
            self.more_to_read.remove(&c.token);
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
            if c.connecting && !c.closing {
                let error = error.unwrap_or_else(|| "connection refused".to_string());
                self.inputs.push(Input::ConnectFailed { conn: id, error });
            } else {
                self.inputs.push(Input::Closed { conn: id, error });
            }
        }
    }

    /// Read a helper's stdout (lines to the core) or stderr (lines to the log); `true` at end
    /// of stream.
    fn read_proc(&mut self, id: ProcessId, stderr: bool) -> bool {
        let Some(p) = self.procs.get_mut(&id) else {
            return false;
        };
        let (slot, lines) = if stderr {
            (&mut p.stderr, &mut p.err_lines)
        } else {
            (&mut p.stdout, &mut p.out_lines)
        };
        let Some((rx, token)) = slot else {
            return false;
        };
        if p.paused && !stderr {
            return false;
        }
        let token = *token;
        let mut budget = READ_BUDGET;
        let mut eof = false;
        loop {
            match common::read_fd_into(rx.as_raw_fd(), lines.buffer(), READ_CHUNK) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    if budget == 0 {
                        self.more_to_read.insert(token);
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::warn!(process = %p.name, "reading: {e}");
                    eof = true;
                    break;
                }
            }
        }
        let name = p.name.clone();
        let mut out = Vec::new();
        while let Some(l) = lines.next_line() {
            out.push(l);
        }
        if eof {
            out.extend(lines.finish());
            if let Some((mut rx, t)) = slot.take() {
                let _ = self.poll.registry().deregister(&mut rx);
                self.sources.remove(&t);
                self.more_to_read.remove(&t);
            }
        }
        for l in out {
            match l {
                Line::Text(line) if stderr => tracing::warn!(process = %name, "{line}"),
                Line::Text(line) => self.inputs.push(Input::ProcessLine { process: id, line }),
                Line::TooLong => tracing::error!(
                    process = %name,
                    "line longer than {} bytes dropped",
                    common::MAX_LINE
                ),
            }
        }
        eof
    }

    /// SIGCHLD (or end of a stdout): find helpers that exited. What they wrote before
    /// exiting is read first, so no command is lost.
    fn reap_children(&mut self) {
        let mut exited = Vec::new();
        for (id, p) in self.procs.iter_mut() {
            if let Ok(Some(status)) = p.child.try_wait() {
                exited.push((*id, status));
            }
        }
        exited.sort_by_key(|(id, _)| *id);
        for (id, status) in exited {
            self.read_proc(id, false);
            self.read_proc(id, true);
            // Reported once: the entry is gone after this.
            if let Some(mut p) = self.procs.remove(&id) {
                tracing::debug!(process = %p.name, %status, "process exited");
                self.forget_proc_fds(&mut p);
                self.inputs.push(Input::ProcessExited {
                    process: id,
                    status: shared::exit_code(status),
                });
            }
        }
    }

    fn forget_proc_fds(&mut self, p: &mut Proc) {
        if let Some((mut rx, t)) = p.stdout.take() {
            let _ = self.poll.registry().deregister(&mut rx);
            self.sources.remove(&t);
            self.more_to_read.remove(&t);
        }
        if let Some((mut rx, t)) = p.stderr.take() {
            let _ = self.poll.registry().deregister(&mut rx);
            self.sources.remove(&t);
            self.more_to_read.remove(&t);
        }
        if let Some((mut tx, t)) = p.stdin.take() {
            let _ = self.poll.registry().deregister(&mut tx);
            self.sources.remove(&t);
            self.dirty.remove(&t);
        }
    }

    fn accept_clients(&mut self) {
        loop {
            let Some((listener, _)) = &self.control else {
                return;
            };
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let id = shared::control_client_id(self.control_clients);
                    self.control_clients = self.control_clients.wrapping_add(1);
                    let t = self.token(Source::ControlClient(id));
                    if self
                        .poll
                        .registry()
                        .register(&mut stream, t, Interest::READABLE | Interest::WRITABLE)
                        .is_err()
                    {
                        self.sources.remove(&t);
                        continue;
                    }
                    self.clients.insert(
                        id,
                        Client {
                            stream,
                            token: t,
                            lines: LineSplitter::new(),
                            wq: WriteQueue::new(),
                            read_closed: false,
                        },
                    );
                    // The core learns of the client as of an API process (pid 0: not a
                    // child), and of its end by `ProcessExited` (see `drop_client`).
                    self.inputs.push(Input::ProcessStarted {
                        process: id,
                        pid: 0,
                    });
                    self.more_to_read.insert(t);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!("control socket accept: {e}");
                    return;
                }
            }
        }
    }

    fn read_client(&mut self, id: ProcessId) {
        let Some(c) = self.clients.get_mut(&id) else {
            return;
        };
        if c.read_closed {
            return;
        }
        let mut eof = false;
        let mut buf = [0u8; 4096];
        loop {
            match c.stream.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    c.lines.extend(&buf[..n]);
                    if c.lines.pending() > 1 << 20 {
                        self.more_to_read.insert(c.token);
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    eof = true;
                    break;
                }
            }
        }
        while let Some(l) = c.lines.next_line() {
            if let Line::Text(line) = l {
                self.inputs.push(Input::ProcessLine { process: id, line });
            }
        }
        if eof {
            if let Some(Line::Text(line)) = c.lines.finish() {
                self.inputs.push(Input::ProcessLine { process: id, line });
            }
            // The client closed its side: keep the socket until what is queued is written.
            c.read_closed = true;
            if c.wq.is_empty() {
                self.drop_client(id);
            }
        }
    }

    fn drop_client(&mut self, id: ProcessId) {
        if let Some(mut c) = self.clients.remove(&id) {
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.sources.remove(&c.token);
            self.dirty.remove(&c.token);
            self.more_to_read.remove(&c.token);
            self.inputs.push(Input::ProcessExited {
                process: id,
                status: None,
            });
        }
    }

    // --- writing ---------------------------------------------------------------------

    fn on_writable(&mut self, token: Token) {
        let Some(source) = self.sources.get(&token).copied() else {
            return;
        };
        match source {
            Source::Conn(id) => {
                let Some(c) = self.conns.get_mut(&id) else {
                    return;
                };
                if c.connecting {
                    self.finish_connect(id);
                } else {
                    self.dirty.insert(token);
                }
            }
            Source::ProcStdin(_) | Source::ControlClient(_) => {
                self.dirty.insert(token);
            }
            _ => {}
        }
    }

    fn finish_connect(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        match c.stream.take_error() {
            Ok(Some(e)) | Err(e) => {
                self.lose_conn(id, Some(e.to_string()));
                return;
            }
            Ok(None) => {}
        }
        match (c.stream.peer_addr(), c.stream.local_addr()) {
            (Ok(remote), Ok(local)) => {
                c.connecting = false;
                let token = c.token;
                self.inputs.push(Input::Connected {
                    conn: id,
                    local: common::canonical(local),
                    remote: common::canonical(remote),
                });
                self.more_to_read.insert(token);
                self.dirty.insert(token);
            }
            (Err(e), _) if e.kind() == io::ErrorKind::NotConnected => {
                // Spurious writability before the handshake finished: wait for more. If the
                // connect failed, the next event carries the error.
                let mut b = [0u8; 1];
                if let Err(e) = c.stream.read(&mut b) {
                    if e.kind() != io::ErrorKind::WouldBlock
                        && e.kind() != io::ErrorKind::NotConnected
                    {
                        self.lose_conn(id, Some(e.to_string()));
                    }
                }
            }
            (Err(e), _) | (_, Err(e)) => self.lose_conn(id, Some(e.to_string())),
        }
    }

    /// Flush every queue that has bytes and may take them.
    fn flush_dirty(&mut self) {
        // Flushing can produce inputs (SendBufferLow, ProcessWritable, Closed); feed them
        // and flush again until nothing changes.
        for _ in 0..8 {
            let dirty: Vec<Token> = self.dirty.drain().collect();
            for t in dirty {
                self.flush_token(t);
            }
            if self.inputs.is_empty() {
                break;
            }
            self.feed(Instant::now());
        }
    }

    fn flush_token(&mut self, token: Token) {
        let Some(source) = self.sources.get(&token).copied() else {
            return;
        };
        match source {
            Source::Conn(id) => {
                let Some(c) = self.conns.get_mut(&id) else {
                    return;
                };
                if c.connecting {
                    return;
                }
                match c.wq.flush_to(&mut c.stream) {
                    Ok(_) if c.closing && c.wq.is_empty() => self.lose_conn(id, None),
                    Ok(f) => {
                        if f.became_low && !c.closing {
                            self.inputs.push(Input::SendBufferLow { conn: id });
                        }
                    }
                    Err(e) => self.lose_conn(id, Some(e.to_string())),
                }
            }
            Source::ProcStdin(id) => {
                let Some(p) = self.procs.get_mut(&id) else {
                    return;
                };
                let Some((tx, _)) = &mut p.stdin else {
                    return;
                };
                match p.wq.flush_to(tx) {
                    Ok(f) => {
                        if f.became_low {
                            self.inputs.push(Input::ProcessWritable { process: id });
                        }
                        if p.wq.is_empty() && p.close_stdin_when_flushed {
                            self.close_stdin(id);
                        }
                    }
                    Err(e) => {
                        // EPIPE: the helper closed its stdin or died; SIGCHLD tells the core.
                        tracing::debug!(process = %p.name, "writing: {e}");
                        p.wq = WriteQueue::new();
                        self.close_stdin(id);
                    }
                }
            }
            Source::ControlClient(id) => {
                let Some(c) = self.clients.get_mut(&id) else {
                    return;
                };
                match c.wq.flush_to(&mut c.stream) {
                    Ok(_) if c.read_closed && c.wq.is_empty() => self.drop_client(id),
                    Ok(_) => {}
                    Err(_) => self.drop_client(id),
                }
            }
            _ => {}
        }
    }

    fn close_stdin(&mut self, id: ProcessId) {
        let Some(p) = self.procs.get_mut(&id) else {
            return;
        };
        if let Some((mut tx, t)) = p.stdin.take() {
            let _ = self.poll.registry().deregister(&mut tx);
            self.sources.remove(&t);
            self.dirty.remove(&t);
        }
    }

    // --- outputs ---------------------------------------------------------------------

    fn drain_outputs(&mut self) {
        while let Some(out) = self.speaker.poll_output() {
            self.perform(out);
        }
    }

    fn perform(&mut self, out: Output) {
        match out {
            Output::Listen { addr, peers } => self.listen(addr, peers),
            Output::Connect {
                conn,
                remote,
                local,
                md5,
                ttl,
            } => self.connect(conn, remote, local, md5, ttl),
            Output::Send { conn, data } => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.wq.push(data);
                    self.dirty.insert(c.token);
                }
            }
            Output::Close { conn } => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.closing = true;
                    if c.connecting || c.wq.is_empty() {
                        self.lose_conn(conn, None);
                    } else {
                        // The last bytes (a NOTIFICATION) go out first, for a bounded time.
                        c.closing = true;
                        self.dirty.insert(c.token);
                        self.timers
                            .add(Instant::now() + CLOSE_GRACE, DriverTimer::ForceClose(conn));
                    }
                }
            }
            Output::PauseReading { conn } => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.paused = true;
                }
            }
            Output::ResumeReading { conn } => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.paused = false;
                    // Readiness is edge-triggered: an edge may have passed while paused.
                    self.more_to_read.insert(c.token);
                }
            }
            Output::Spawn {
                process,
                name,
                argv,
                cwd,
            } => self.spawn(process, name, argv, cwd),
            Output::WriteProcess { process, data } => {
                if let Some(p) = self.procs.get_mut(&process) {
                    if let Some((_, t)) = &p.stdin {
                        p.wq.push(data);
                        self.dirty.insert(*t);
                    }
                } else if let Some(c) = self.clients.get_mut(&process) {
                    c.wq.push(data);
                    self.dirty.insert(c.token);
                }
            }
            Output::CloseProcessStdin { process } => {
                if let Some(p) = self.procs.get_mut(&process) {
                    if p.wq.is_empty() {
                        self.close_stdin(process);
                    } else {
                        p.close_stdin_when_flushed = true;
                    }
                } else if let Some(c) = self.clients.get_mut(&process) {
                    c.read_closed = true;
                    if c.wq.is_empty() {
                        self.drop_client(process);
                    }
                }
            }
            Output::PauseProcess { process } => {
                if let Some(p) = self.procs.get_mut(&process) {
                    p.paused = true;
                }
            }
            Output::ResumeProcess { process } => {
                if let Some(p) = self.procs.get_mut(&process) {
                    p.paused = false;
                    if let Some((_, t)) = &p.stdout {
                        self.more_to_read.insert(*t);
                    }
                }
            }
            Output::KillProcess { process } => {
                if let Some(p) = self.procs.get_mut(&process) {
                    tracing::info!(process = %p.name, pid = p.child.id(), "stopping process");
                    let _ = common::signal_pid(p.child.id(), libc::SIGTERM);
                    self.timers
                        .add(Instant::now() + KILL_GRACE, DriverTimer::Kill(process));
                }
            }
            Output::Reload => {
                for i in shared::reload_inputs(&mut self.opts.reload) {
                    self.inputs.push(i);
                }
            }
            Output::Exit { code } => {
                self.exit = Some(code);
            }
        }
    }

    fn listen(&mut self, addr: SocketAddr, peers: Vec<ferrobgp_core::ListenPeer>) {
        match common::listener_socket(addr) {
            Ok(sock) => {
                if let Err(e) = common::protect_listener(&sock, addr, &peers) {
                    tracing::error!(%addr, "listener MD5 keys / minimum TTL: {e}");
                }
                self.listen_peers.extend(peers);
                // SAFETY: the fd comes straight from a socket we own.
                let std_l = unsafe { std::net::TcpListener::from_raw_fd(sock.into_raw_fd()) };
                let mut l = TcpListener::from_std(std_l);
                let t = self.token(Source::Listener);
                if let Err(e) = self.poll.registry().register(&mut l, t, Interest::READABLE) {
                    tracing::error!(%addr, "listen: {e}");
                    return;
                }
                tracing::info!(%addr, "listening");
                self.listeners.push((l, t));
            }
            Err(e) => tracing::error!(%addr, "cannot listen: {e}"),
        }
    }

    fn connect(
        &mut self,
        conn: ConnId,
        remote: SocketAddr,
        local: Option<std::net::IpAddr>,
        md5: Option<String>,
        ttl: Option<u8>,
    ) {
        let local = local.map(|ip| SocketAddr::new(ip, 0));
        let md5 = md5.as_deref().map(str::as_bytes);
        let res = common::outgoing_socket(remote, local, md5, ttl).and_then(|s| {
            common::start_connect(&s, remote)?;
            Ok(s)
        });
        match res {
            Ok(sock) => {
                // SAFETY: the fd comes straight from a socket we own.
                let std_s = unsafe { std::net::TcpStream::from_raw_fd(sock.into_raw_fd()) };
                let mut stream = TcpStream::from_std(std_s);
                let t = self.token(Source::Conn(conn));
                if let Err(e) = self.poll.registry().register(
                    &mut stream,
                    t,
                    Interest::READABLE | Interest::WRITABLE,
                ) {
                    self.sources.remove(&t);
                    self.inputs.push(Input::ConnectFailed {
                        conn,
                        error: e.to_string(),
                    });
                    return;
                }
                tracing::debug!(%remote, ?conn, "connecting");
                self.conns.insert(conn, Conn::new(stream, t, true));
            }
            Err(error) => {
                tracing::debug!(%remote, ?conn, "connect: {error}");
                self.inputs.push(Input::ConnectFailed {
                    conn,
                    error: error.to_string(),
                });
            }
        }
    }

    fn spawn(&mut self, id: ProcessId, name: String, argv: Vec<String>, cwd: PathBuf) {
        if let Some(mut old) = self.procs.remove(&id) {
            // A respawn reuses the id; the old child is gone as far as the core knows.
            self.forget_proc_fds(&mut old);
            let _ = old.child.kill();
            let _ = old.child.wait();
        }
        let cwd = (!cwd.as_os_str().is_empty()).then_some(cwd);
        let child = match common::spawn_api_process(&argv, cwd.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(process = %name, ?argv, "cannot start: {e}");
                self.inputs.push(Input::ProcessSpawnFailed {
                    process: id,
                    error: e.to_string(),
                });
                return;
            }
        };
        let pid = child.id();
        tracing::debug!(process = %name, pid, ?argv, "process started");
        let mut p = Proc {
            name,
            child,
            stdout: None,
            stderr: None,
            stdin: None,
            out_lines: LineSplitter::new(),
            err_lines: LineSplitter::new(),
            wq: WriteQueue::new(),
            close_stdin_when_flushed: false,
            paused: false,
        };
        if let Some(out) = p.child.stdout.take() {
            let mut rx = pipe::Receiver::from(out);
            let _ = rx.set_nonblocking(true);
            let t = self.token(Source::ProcStdout(id));
            if self
                .poll
                .registry()
                .register(&mut rx, t, Interest::READABLE)
                .is_ok()
            {
                p.stdout = Some((rx, t));
                self.more_to_read.insert(t);
            }
        }
        if let Some(err) = p.child.stderr.take() {
            let mut rx = pipe::Receiver::from(err);
            let _ = rx.set_nonblocking(true);
            let t = self.token(Source::ProcStderr(id));
            if self
                .poll
                .registry()
                .register(&mut rx, t, Interest::READABLE)
                .is_ok()
            {
                p.stderr = Some((rx, t));
                self.more_to_read.insert(t);
            }
        }
        if let Some(inp) = p.child.stdin.take() {
            let mut tx = pipe::Sender::from(inp);
            let _ = tx.set_nonblocking(true);
            let t = self.token(Source::ProcStdin(id));
            if self
                .poll
                .registry()
                .register(&mut tx, t, Interest::WRITABLE)
                .is_ok()
            {
                p.stdin = Some((tx, t));
            }
        }
        self.procs.insert(id, p);
        self.inputs.push(Input::ProcessStarted { process: id, pid });
    }

    /// After `Exit`: last bytes out, helpers stopped (stdin closed, a grace period, then
    /// SIGTERM and SIGKILL), the control socket removed.
    fn shutdown(&mut self) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in conns {
            if let Some(mut c) = self.conns.remove(&id) {
                let _ = c.wq.flush_to(&mut c.stream);
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
            }
        }
        let ids: Vec<ProcessId> = self.procs.keys().copied().collect();
        for id in &ids {
            if let Some(p) = self.procs.get_mut(id) {
                if let Some((tx, _)) = &mut p.stdin {
                    let _ = p.wq.flush_to(tx);
                }
            }
            self.close_stdin(*id);
        }
        let mut procs: Vec<Proc> = self.procs.drain().map(|(_, p)| p).collect();
        shared::stop_children(
            procs
                .iter_mut()
                .map(|p| (p.name.as_str(), &mut p.child))
                .collect(),
            EXIT_GRACE,
        );
        if let Some((_, path)) = self.control.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Conn {
    fn new(stream: TcpStream, token: Token, connecting: bool) -> Self {
        Conn {
            stream,
            token,
            connecting,
            closing: false,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            wq: WriteQueue::new(),
            paused: false,
        }
    }
}
