//! Test code shared by both event loops: the same scenarios run under mio and under tokio
//! (reactor-tokio includes this file with `#[path]`). A difference between the loops is a bug.
//!
//! The BGP peer here is deliberately independent of ferrobgp's own codec: it frames messages by
//! the RFC 4271 §4.1 header, answers an OPEN by echoing it with the BGP Identifier's last octet
//! incremented (what ExaBGP's test peer does), and decodes IPv4 NLRI by hand. Every wait is
//! bounded.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferrobgp_core::{Config, Environment, Speaker};
use ferrobgp_reactor_mio::{shared, Handle, Options};

/// How long any single step of a test may take.
pub const STEP: Duration = Duration::from_secs(10);

/// `ferrobgp_reactor_mio::run` or `ferrobgp_reactor_tokio::run`.
pub type Runner = fn(Speaker, Options) -> io::Result<i32>;

pub const MSG_OPEN: u8 = 1;
pub const MSG_UPDATE: u8 = 2;
pub const MSG_NOTIFICATION: u8 = 3;
pub const MSG_KEEPALIVE: u8 = 4;

/// A test BGP peer listening on 127.0.0.1 on a free port.
pub struct Peer {
    listener: TcpListener,
    pub port: u16,
}

impl Peer {
    pub fn bind() -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test peer");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        Peer { listener, port }
    }

    /// Wait (bounded) for the daemon to connect.
    pub fn accept(&self) -> Session {
        let deadline = Instant::now() + STEP;
        loop {
            match self.listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_millis(200)))
                        .unwrap();
                    s.set_nodelay(true).unwrap();
                    return Session { stream: s };
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "the daemon never connected");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// One BGP session, seen from the test peer.
pub struct Session {
    pub stream: TcpStream,
}

impl Session {
    /// The next message (type, body), or `None` when the daemon closed the connection.
    pub fn read_msg(&mut self, deadline: Instant) -> Option<(u8, Vec<u8>)> {
        let mut header = [0u8; 19];
        if !self.read_exact_until(&mut header, deadline) {
            return None;
        }
        assert_eq!(&header[..16], &[0xff; 16], "BGP marker");
        let len = u16::from_be_bytes([header[16], header[17]]) as usize;
        assert!((19..=65535).contains(&len), "BGP length {len}");
        let mut body = vec![0u8; len - 19];
        if !self.read_exact_until(&mut body, deadline) {
            return None;
        }
        Some((header[18], body))
    }

    fn read_exact_until(&mut self, buf: &mut [u8], deadline: Instant) -> bool {
        let mut got = 0;
        while got < buf.len() {
            assert!(
                Instant::now() < deadline,
                "timed out reading from the daemon"
            );
            match self.stream.read(&mut buf[got..]) {
                Ok(0) => return false,
                Ok(n) => got += n,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return false,
                Err(e) => panic!("read: {e}"),
            }
        }
        true
    }

    pub fn send_msg(&mut self, kind: u8, body: &[u8]) {
        let mut m = vec![0xffu8; 16];
        m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        m.push(kind);
        m.extend_from_slice(body);
        self.stream.write_all(&m).expect("write to the daemon");
    }

    /// Read the daemon's OPEN, answer with the same OPEN (BGP Identifier + 1) and a
    /// KEEPALIVE. Returns the daemon's OPEN body.
    pub fn handshake(&mut self) -> Vec<u8> {
        let (kind, open) = self
            .read_msg(Instant::now() + STEP)
            .expect("the daemon closed before its OPEN");
        assert_eq!(kind, MSG_OPEN, "first message is an OPEN");
        let mut reply = open.clone();
        // version(1) my-as(2) hold(2) bgp-id(4)
        reply[8] = reply[8].wrapping_add(1);
        self.send_msg(MSG_OPEN, &reply);
        self.send_msg(MSG_KEEPALIVE, &[]);
        open
    }

    /// Read UPDATEs until every prefix of `want` was announced (or the time is up); answers
    /// nothing. Returns every IPv4 prefix announced, in order.
    pub fn wait_for_prefixes(&mut self, want: &[&str]) -> Vec<String> {
        let deadline = Instant::now() + STEP;
        let mut seen = Vec::new();
        while !want.iter().all(|w| seen.iter().any(|s| s == w)) {
            match self.read_msg(deadline) {
                Some((MSG_UPDATE, body)) => seen.extend(ipv4_announced(&body)),
                Some((MSG_NOTIFICATION, body)) => panic!("NOTIFICATION from the daemon: {body:?}"),
                Some(_) => {}
                None => panic!("the daemon closed the session; announced so far: {seen:?}"),
            }
        }
        seen
    }

    /// Read UPDATEs until every prefix of `want` was withdrawn (bounded).
    pub fn wait_for_withdrawals(&mut self, want: &[&str]) -> Vec<String> {
        let deadline = Instant::now() + STEP;
        let mut seen = Vec::new();
        while !want.iter().all(|w| seen.iter().any(|s| s == w)) {
            match self.read_msg(deadline) {
                Some((MSG_UPDATE, body)) => seen.extend(ipv4_withdrawn(&body)),
                Some((MSG_NOTIFICATION, body)) => panic!("NOTIFICATION from the daemon: {body:?}"),
                Some(_) => {}
                None => panic!("the daemon closed the session; withdrawn so far: {seen:?}"),
            }
        }
        seen
    }

    /// Every IPv4 prefix announced in the UPDATEs that arrive within `wait` (bounded, without
    /// failing when nothing comes).
    pub fn prefixes_within(&mut self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match self.stream.peek(&mut [0u8; 1]) {
                Ok(0) => break,
                Ok(_) => match self.read_msg(Instant::now() + STEP) {
                    Some((MSG_UPDATE, body)) => seen.extend(ipv4_announced(&body)),
                    Some(_) => {}
                    None => break,
                },
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => panic!("peek: {e}"),
            }
        }
        seen
    }

    /// Read until the daemon closes the session; returns the messages types seen.
    pub fn wait_for_close(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + STEP;
        let mut kinds = Vec::new();
        while let Some((k, _)) = self.read_msg(deadline) {
            kinds.push(k);
        }
        kinds
    }
}

/// IPv4 prefixes in the NLRI field of an UPDATE body (RFC 4271 §4.3).
pub fn ipv4_announced(body: &[u8]) -> Vec<String> {
    let wlen = u16::from_be_bytes([body[0], body[1]]) as usize;
    let alen = u16::from_be_bytes([body[2 + wlen], body[3 + wlen]]) as usize;
    prefixes(&body[4 + wlen + alen..])
}

/// IPv4 prefixes in the Withdrawn Routes field of an UPDATE body (RFC 4271 §4.3).
pub fn ipv4_withdrawn(body: &[u8]) -> Vec<String> {
    let wlen = u16::from_be_bytes([body[0], body[1]]) as usize;
    prefixes(&body[2..2 + wlen])
}

fn prefixes(mut nlri: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = nlri.split_first() {
        let n = (len as usize).div_ceil(8);
        let mut octets = [0u8; 4];
        octets[..n].copy_from_slice(&rest[..n]);
        out.push(format!("{}/{}", Ipv4Addr::from(octets), len));
        nlri = &rest[n..];
    }
    out
}

/// A configuration with one neighbor (the test peer on 127.0.0.1:`port`, iBGP 65000) that
/// announces `routes` with next-hop 127.0.0.1, and the given helper processes (each fed by
/// the neighbor's `api`). Written in ExaBGP's configuration language and loaded the way
/// `ferrobgp run` loads it (`ferrobgp_config` then `ferrobgp_core::convert`).
pub fn config(
    port: u16,
    routes: &[&str],
    processes: &[(&str, Vec<String>)],
) -> (Config, Environment) {
    config_with(port, routes, processes, "", &[])
}

/// [`config`] with extra environment settings (`("exabgp_tcp_attempts", "1")`, …).
pub fn config_with(
    port: u16,
    routes: &[&str],
    processes: &[(&str, Vec<String>)],
    neighbor_lines: &str,
    env: &[(&str, &str)],
) -> (Config, Environment) {
    let mut text = String::new();
    for (name, argv) in processes {
        text += &format!(
            "process {name} {{\n\trun {};\n\tencoder text;\n}}\n",
            argv.join(" ")
        );
    }
    let hold = if neighbor_lines.contains("hold-time") {
        ""
    } else {
        "\thold-time 30;\n"
    };
    text += &format!(
        "neighbor 127.0.0.1 {{\n\trouter-id 127.0.0.1;\n\tlocal-address 127.0.0.1;\n\
         \tlocal-as 65000;\n\tpeer-as 65000;\n{hold}\tconnect {port};\n\
         \tfamily {{ ipv4 unicast; }}\n{neighbor_lines}"
    );
    if !processes.is_empty() {
        let names: Vec<&str> = processes.iter().map(|(n, _)| *n).collect();
        text += &format!("\tapi {{ processes [ {} ]; }}\n", names.join(" "));
    }
    if !routes.is_empty() {
        text += "\tstatic {\n";
        for r in routes {
            text += &format!("\t\troute {r} next-hop 127.0.0.1;\n");
        }
        text += "\t}\n";
    }
    text += "}\n";
    let parsed =
        ferrobgp_config::parse_str(&text, "test.conf").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let port = port.to_string();
    let mut vars = vec![
        ("exabgp_tcp_port", port.as_str()),
        ("exabgp_tcp_bind", ""),
        ("exabgp_api_respawn", "false"),
    ];
    vars.extend_from_slice(env);
    let env = ferrobgp_config::Environment::from_iter(vars).expect("environment");
    ferrobgp_core::convert::from_config(&parsed, &env).expect("convert")
}

/// A running daemon in a thread.
pub struct Daemon {
    pub handle: Handle,
    thread: Option<JoinHandle<io::Result<i32>>>,
}

impl Daemon {
    pub fn start(run: Runner, config: Config, env: Environment) -> Daemon {
        Daemon::start_with(run, config, env, shared::no_reload())
    }

    /// With a reloader (what SIGUSR1 re-reads).
    pub fn start_with(
        run: Runner,
        config: Config,
        env: Environment,
        reload: shared::Reloader,
    ) -> Daemon {
        Daemon::start_full(run, config, env, reload, None)
    }

    /// With a reloader and a control socket.
    pub fn start_full(
        run: Runner,
        config: Config,
        env: Environment,
        reload: shared::Reloader,
        control_socket: Option<PathBuf>,
    ) -> Daemon {
        let speaker = Speaker::new(config, env, Instant::now()).expect("speaker");
        let handle = Handle::new();
        let opts = Options {
            control_socket,
            reload,
            handle: handle.clone(),
        };
        let thread = std::thread::spawn(move || run(speaker, opts));
        Daemon {
            handle,
            thread: Some(thread),
        }
    }

    /// Wait (bounded) for the loop to return; its exit code.
    pub fn join(mut self) -> i32 {
        let t = self.thread.take().expect("joined once");
        let deadline = Instant::now() + STEP;
        while !t.is_finished() {
            assert!(Instant::now() < deadline, "the daemon did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        t.join().expect("loop thread panicked").expect("loop error")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.handle.shutdown();
        }
    }
}

/// A temporary directory removed at the end of the test.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "ferrobgp-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Write an executable shell script.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.0.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a process still exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Wait (bounded) for a file to contain a line; returns its content.
pub fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// --- the scenarios -----------------------------------------------------------------------

/// The session comes up and the static routes arrive; shutdown closes the session with a
/// Cease and the loop returns 0.
pub fn static_routes_arrive(run: Runner) {
    let peer = Peer::bind();
    let (config, env) = config(
        peer.port,
        &["10.0.0.0/24", "10.0.1.0/24", "192.0.2.1/32"],
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    let open = s.handshake();
    assert_eq!(open[0], 4, "BGP version 4");
    assert_eq!(u16::from_be_bytes([open[1], open[2]]), 65000);
    let seen = s.wait_for_prefixes(&["10.0.0.0/24", "10.0.1.0/24", "192.0.2.1/32"]);
    assert_eq!(seen.len(), 3, "each route once: {seen:?}");
    daemon.handle.shutdown();
    let kinds = s.wait_for_close();
    assert!(
        kinds.contains(&MSG_NOTIFICATION),
        "a Cease before closing: {kinds:?}"
    );
    assert_eq!(daemon.join(), 0);
}

/// A helper process announces a route on its stdout; it reaches the peer.
pub fn api_process_announces(run: Runner) {
    let dir = TempDir::new("api");
    let script = dir.script(
        "announce.sh",
        "echo 'announce route 198.51.100.0/24 next-hop 127.0.0.1'\n\
         # keep running (reading acks) until the daemon closes our stdin\n\
         while read line; do :; done\n",
    );
    let peer = Peer::bind();
    let (config, env) = config(
        peer.port,
        &[],
        &[("announcer", vec![script.display().to_string()])],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["198.51.100.0/24"]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// Shutdown stops the helper processes, even one that ignores its stdin closing and SIGTERM.
pub fn shutdown_stops_children(run: Runner, shutdown: impl FnOnce(&Daemon)) {
    let dir = TempDir::new("stop");
    let pidfile = dir.0.join("pid");
    let script = dir.script(
        "stubborn.sh",
        &format!(
            "trap '' TERM\necho $$ > '{}'\nwhile true; do sleep 0.05; done\n",
            pidfile.display()
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config(
        peer.port,
        &["10.9.0.0/16"],
        &[("stubborn", vec![script.display().to_string()])],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.9.0.0/16"]);
    let pid: u32 = wait_for_file(&pidfile).trim().parse().unwrap();
    assert!(alive(pid));
    shutdown(&daemon);
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
    let deadline = Instant::now() + STEP;
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "helper {pid} still running after exit"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// An address nobody listens on (for connect-failure scenarios).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Connect (bounded, retrying while the daemon sets up its listener) to the daemon.
pub fn connect_to_daemon(addr: SocketAddr) -> Session {
    let deadline = Instant::now() + STEP;
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                s.set_nodelay(true).unwrap();
                return Session { stream: s };
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "the daemon never listened: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// A passive neighbor: the peer connects to the daemon's listener, the session comes up and
/// the static route arrives (the accepting side of both loops).
pub fn passive_session_accepted(run: Runner) {
    let port = closed_port().port();
    let (config, env) = config_with(
        0,
        &["203.0.113.0/24"],
        &[],
        &format!("\tpassive;\n\tlisten {port};\n"),
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = connect_to_daemon(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    s.handshake();
    s.wait_for_prefixes(&["203.0.113.0/24"]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// SIGUSR1 re-reads the configuration: the session stays up, the removed route is withdrawn
/// and the added one announced.
pub fn reload_keeps_session_and_diffs_routes(run: Runner) {
    let peer = Peer::bind();
    let port = peer.port;
    let (config, env) = config(port, &["10.1.0.0/24", "10.2.0.0/24"], &[]);
    let reload: shared::Reloader =
        Box::new(move || Ok(self::config(port, &["10.1.0.0/24", "10.3.0.0/24"], &[]).0));
    let daemon = Daemon::start_with(run, config, env, reload);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.1.0.0/24", "10.2.0.0/24"]);
    daemon.handle.signal(libc::SIGUSR1);
    let deadline = Instant::now() + STEP;
    let (mut withdrawn, mut announced) = (Vec::new(), Vec::new());
    while !(withdrawn.iter().any(|p| p == "10.2.0.0/24")
        && announced.iter().any(|p| p == "10.3.0.0/24"))
    {
        match s.read_msg(deadline) {
            Some((MSG_UPDATE, body)) => {
                withdrawn.extend(ipv4_withdrawn(&body));
                announced.extend(ipv4_announced(&body));
            }
            Some((MSG_NOTIFICATION, b)) => panic!("session reset by the reload: {b:?}"),
            Some(_) => {}
            None => panic!("session closed by the reload"),
        }
    }
    assert!(
        !announced.iter().any(|p| p == "10.1.0.0/24"),
        "an unchanged route is not re-sent: {announced:?}"
    );
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// With `tcp.attempts = 1` and nobody listening, the connection fails and the daemon gives
/// up and exits (the harness relies on this to end a run).
pub fn connect_failure_gives_up(run: Runner) {
    let port = closed_port().port();
    let (config, env) = config_with(port, &[], &[], "", &[("exabgp_tcp_attempts", "1")]);
    let daemon = Daemon::start(run, config, env);
    assert_eq!(daemon.join(), 0);
}

/// A helper that never reads its stdin while the peer floods UPDATEs that are reported to it:
/// the daemon stops reading from the peer instead of buffering without bound, so the peer's
/// writes block after a bounded amount; the daemon stays responsive and shuts down cleanly.
pub fn slow_helper_bounds_memory(run: Runner) {
    let dir = TempDir::new("slow");
    let script = dir.script("sink.sh", "exec sleep 60\n");
    let peer = Peer::bind();
    let (config, env) = config_with(
        peer.port,
        &[],
        &[("sink", vec![script.display().to_string()])],
        "",
        &[],
    );
    // The api block above only names the process; ask for parsed UPDATEs too.
    let mut config = config;
    for n in &mut config.neighbors {
        for a in &mut n.api {
            a.receive.parsed = true;
            a.receive.update = true;
        }
    }
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.stream.set_nonblocking(true).unwrap();
    let mut written = 0usize;
    let mut n: u32 = 0;
    let mut pending: Vec<u8> = Vec::new();
    let mut stalled_since: Option<Instant> = None;
    let limit = 16 * 1024 * 1024;
    let deadline = Instant::now() + STEP * 3;
    loop {
        assert!(
            Instant::now() < deadline,
            "never stalled after {written} bytes"
        );
        if pending.is_empty() {
            pending = update_with_hosts(n, 800);
            n += 1;
        }
        match s.stream.write(&pending) {
            Ok(k) => {
                written += k;
                pending.drain(..k);
                stalled_since = None;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(1) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("the daemon dropped the session: {e}"),
        }
        assert!(written < limit, "the daemon kept reading: {written} bytes");
    }
    // Some megabytes at most: kernel socket buffers, the core's process queue, one read.
    eprintln!("peer stalled after {written} bytes");
    s.stream.set_nonblocking(false).unwrap();
    daemon.handle.shutdown();
    assert_eq!(daemon.join(), 0);
}

/// An UPDATE announcing `count` host routes 10.x.y.z/32 (block `block`), iBGP attributes.
fn update_with_hosts(block: u32, count: u32) -> Vec<u8> {
    let attrs: &[u8] = &[
        0x40, 1, 1, 0, // ORIGIN IGP
        0x40, 2, 0, // AS_PATH empty
        0x40, 3, 4, 127, 0, 0, 1, // NEXT_HOP
        0x40, 5, 4, 0, 0, 0, 100, // LOCAL_PREF
    ];
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(attrs);
    for i in 0..count {
        let h = block.wrapping_mul(count).wrapping_add(i);
        body.push(32);
        body.extend_from_slice(&[10, (h >> 16) as u8, (h >> 8) as u8, h as u8]);
    }
    let mut m = vec![0xffu8; 16];
    m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    m.push(MSG_UPDATE);
    m.extend_from_slice(&body);
    m
}

/// The control socket of `ferrobgp cli` exists while the daemon runs, takes clients (a client
/// that goes away mid-command disturbs nothing) and is removed at exit.
pub fn control_socket_lifecycle(run: Runner) {
    use std::os::unix::net::UnixStream;
    let dir = TempDir::new("ctl");
    let path = dir.0.join("ctl.sock");
    // A stale socket file from a crashed daemon is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let peer = Peer::bind();
    let (config, env) = config(peer.port, &["10.7.0.0/24"], &[]);
    let daemon = Daemon::start_full(run, config, env, shared::no_reload(), Some(path.clone()));
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.7.0.0/24"]);
    let mut c = UnixStream::connect(&path).expect("control socket");
    c.write_all(b"version\n").unwrap();
    drop(c);
    let mut c = UnixStream::connect(&path).expect("control socket, again");
    c.write_all(b"show neighbor summary").unwrap();
    drop(c);
    // The session is undisturbed: shutdown still sends a Cease.
    daemon.handle.shutdown();
    let kinds = s.wait_for_close();
    assert!(kinds.contains(&MSG_NOTIFICATION), "{kinds:?}");
    assert_eq!(daemon.join(), 0);
    assert!(!path.exists(), "control socket removed at exit");
}

/// A helper killed mid-stream is started again (the core reuses its id; the driver must take
/// the new child for it), the session is not disturbed, and the new helper's commands work.
pub fn killed_helper_is_respawned(run: Runner) {
    let dir = TempDir::new("respawn");
    let pids = dir.0.join("pids");
    let script = dir.script(
        "helper.sh",
        &format!(
            "echo $$ >> '{}'\n\
             n=$(wc -l < '{}')\n\
             echo \"announce route 10.100.$n.0/24 next-hop 127.0.0.1\"\n\
             while read line; do :; done\n",
            pids.display(),
            pids.display()
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config_with(
        peer.port,
        &[],
        &[("helper", vec![script.display().to_string()])],
        "",
        &[("exabgp_api_respawn", "true")],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.100.1.0/24"]);
    let first: u32 = wait_for_file(&pids).trim().parse().unwrap();
    // SAFETY: killing the helper this test's daemon started.
    unsafe { libc::kill(first as libc::pid_t, libc::SIGKILL) };
    s.wait_for_prefixes(&["10.100.2.0/24"]);
    let all = std::fs::read_to_string(&pids).unwrap();
    let second: u32 = all
        .lines()
        .nth(1)
        .expect("a second helper")
        .parse()
        .unwrap();
    assert_ne!(first, second);
    assert!(alive(second));
    daemon.handle.shutdown();
    let kinds = s.wait_for_close();
    assert_eq!(
        kinds.iter().filter(|k| **k == MSG_NOTIFICATION).count(),
        1,
        "one Cease, at shutdown only: {kinds:?}"
    );
    assert_eq!(daemon.join(), 0);
    let deadline = Instant::now() + STEP;
    while alive(second) {
        assert!(Instant::now() < deadline, "respawned helper left running");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Set TCP_MD5SIG for `peer` with `key` on a socket (the test peer's side of RFC 2385).
/// `false` when the kernel has no TCP MD5 support.
fn peer_md5(fd: i32, peer: Ipv4Addr, key: &[u8]) -> bool {
    #[repr(C)]
    struct TcpMd5Sig {
        addr: libc::sockaddr_storage,
        flags: u8,
        prefixlen: u8,
        keylen: u16,
        ifindex: u32,
        key: [u8; 80],
    }
    // SAFETY: plain old data, zeroed; then a sockaddr_in written into the storage.
    let mut sig: TcpMd5Sig = unsafe { std::mem::zeroed() };
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(peer).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in fits in sockaddr_storage.
    unsafe {
        std::ptr::write((&mut sig.addr as *mut libc::sockaddr_storage).cast(), sin);
    }
    sig.keylen = key.len() as u16;
    sig.key[..key.len()].copy_from_slice(key);
    // SAFETY: valid fd, pointer and size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            (&sig as *const TcpMd5Sig).cast(),
            std::mem::size_of::<TcpMd5Sig>() as libc::socklen_t,
        )
    };
    rc == 0
}

/// `md5-password`: the daemon signs its segments (RFC 2385); with the same key on the test
/// peer's listener the session comes up. Skipped where the kernel lacks TCP MD5.
pub fn md5_session(run: Runner) {
    use std::os::fd::AsRawFd;
    let peer = Peer::bind();
    if !peer_md5(peer.listener.as_raw_fd(), Ipv4Addr::LOCALHOST, b"s3cret") {
        eprintln!("skipped: no TCP MD5 signature support in this kernel");
        return;
    }
    let (config, env) = config_with(
        peer.port,
        &["10.55.0.0/16"],
        &[],
        "\tmd5-password s3cret;\n",
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.55.0.0/16"]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// The peer goes silent after the handshake: the hold timer (3 s here) expires, the daemon
/// sends NOTIFICATION Hold Timer Expired (4/0, RFC 4271 §6.5), closes, and connects again.
pub fn hold_timer_expires(run: Runner) {
    let peer = Peer::bind();
    let (config, env) = config_with(peer.port, &[], &[], "\thold-time 3;\n", &[]);
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    let started = Instant::now();
    s.handshake();
    let deadline = Instant::now() + STEP;
    let notification = loop {
        match s.read_msg(deadline) {
            Some((MSG_NOTIFICATION, body)) => break body,
            Some(_) => {}
            None => panic!("closed without a NOTIFICATION"),
        }
    };
    assert_eq!(notification[..2], [4, 0], "Hold Timer Expired");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "expired after {took:?}"
    );
    assert!(
        s.read_msg(Instant::now() + STEP).is_none(),
        "closed after it"
    );
    // The daemon is still up and tries again.
    let mut again = peer.accept();
    again.handshake();
    daemon.handle.shutdown();
    again.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// The peer sends garbage (a bad marker): the daemon answers with a NOTIFICATION (Message
/// Header Error, 1/1), closes that session, stays up and connects again.
pub fn garbage_gets_notification(run: Runner) {
    let peer = Peer::bind();
    let (config, env) = config(peer.port, &["10.66.0.0/16"], &[]);
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.66.0.0/16"]);
    s.stream.write_all(&[0u8; 19]).unwrap();
    let deadline = Instant::now() + STEP;
    let notification = loop {
        match s.read_msg(deadline) {
            Some((MSG_NOTIFICATION, body)) => break body,
            Some(_) => {}
            None => panic!("closed without a NOTIFICATION"),
        }
    };
    assert_eq!(notification[..2], [1, 1], "Connection Not Synchronized");
    let mut again = peer.accept();
    again.handshake();
    again.wait_for_prefixes(&["10.66.0.0/16"]);
    daemon.handle.shutdown();
    again.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// A helper gets its ack on stdin (`done` after a command), with no peer connected at all:
/// the start-up outputs and inputs are performed without waiting for any network event.
pub fn helper_reads_its_ack(run: Runner) {
    let dir = TempDir::new("ack");
    let answer = dir.0.join("answer");
    let script = dir.script(
        "acked.sh",
        &format!(
            "echo 'announce route 10.8.0.0/24 next-hop 127.0.0.1'\n\
             read ack\n\
             echo \"$ack\" > '{}'\n\
             while read line; do :; done\n",
            answer.display()
        ),
    );
    let port = closed_port().port();
    let (config, env) = config_with(
        0,
        &[],
        &[("acked", vec![script.display().to_string()])],
        &format!("\tpassive;\n\tlisten {port};\n"),
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    assert_eq!(wait_for_file(&answer).trim(), "done");
    daemon.handle.shutdown();
    assert_eq!(daemon.join(), 0);
}

/// api-rib: the lines a helper wrote in one go are applied together before the peers run, so
/// `announce A`, `clear adj-rib out`, `announce B` sends B only, never A.
pub fn helper_lines_of_one_read_are_one_batch(run: Runner) {
    let dir = TempDir::new("batch");
    let go = dir.0.join("go");
    let script = dir.script(
        "batch.sh",
        &format!(
            "n=0\n\
             while [ ! -f '{}' ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n+1)); done\n\
             printf 'announce route 10.60.0.0/24 next-hop 127.0.0.1\\nclear adj-rib out\\n\
             announce route 10.61.0.0/24 next-hop 127.0.0.1\\n'\n\
             while read line; do :; done\n",
            go.display()
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config(
        peer.port,
        &["10.59.0.0/24"],
        &[("batch", vec![script.display().to_string()])],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.59.0.0/24"]);
    std::fs::write(&go, "").unwrap();
    let seen = s.wait_for_prefixes(&["10.61.0.0/24"]);
    assert!(
        !seen.iter().any(|p| p == "10.60.0.0/24"),
        "10.60.0.0/24 was cleared in the same batch: {seen:?}"
    );
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// `auto-flush false`: what a helper announces is acked at once but reaches the peer only
/// when the helper writes `flush adj-rib out`; the configuration's routes are not held.
pub fn auto_flush_false_holds_until_flush(run: Runner) {
    let dir = TempDir::new("flush");
    let (go, acked, flush) = (dir.0.join("go"), dir.0.join("acked"), dir.0.join("flush"));
    let wait = |f: &Path| {
        format!(
            "n=0\nwhile [ ! -f '{}' ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n+1)); done\n",
            f.display()
        )
    };
    let script = dir.script(
        "held.sh",
        &format!(
            "{}echo 'announce route 10.62.0.0/24 next-hop 127.0.0.1'\n\
             echo 'announce route 10.63.0.0/24 next-hop 127.0.0.1'\n\
             read a; read b; echo \"$a $b\" > '{}'\n\
             {}echo 'flush adj-rib out'\n\
             while read line; do :; done\n",
            wait(&go),
            acked.display(),
            wait(&flush),
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config_with(
        peer.port,
        &["10.59.0.0/24"],
        &[("held", vec![script.display().to_string()])],
        "\tauto-flush false;\n",
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.59.0.0/24"]);
    std::fs::write(&go, "").unwrap();
    assert_eq!(wait_for_file(&acked).trim(), "done done");
    let early = s.prefixes_within(Duration::from_millis(500));
    assert!(early.is_empty(), "sent before the flush: {early:?}");
    std::fs::write(&flush, "").unwrap();
    s.wait_for_prefixes(&["10.62.0.0/24", "10.63.0.0/24"]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// `ferrobgp cli`'s side of the control socket: each connection is an unnamed text API client
/// that gets its answer (then `done`/`error`), no events, and whose commands reach every
/// neighbor.
pub fn control_client_is_answered(run: Runner) {
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixStream;
    let dir = TempDir::new("cli");
    let path = dir.0.join("ctl.sock");
    let peer = Peer::bind();
    let (config, env) = config(peer.port, &["10.70.0.0/24"], &[]);
    let daemon = Daemon::start_full(run, config, env, shared::no_reload(), Some(path.clone()));
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.70.0.0/24"]);
    let ask = |command: &str| -> Vec<String> {
        let mut c = UnixStream::connect(&path).expect("control socket");
        c.set_read_timeout(Some(STEP)).unwrap();
        c.write_all(format!("{command}\n").as_bytes()).unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(c).lines() {
            let line = line.expect("an answer before the timeout");
            let end = line == "done" || line == "error";
            lines.push(line);
            if end {
                break;
            }
        }
        lines
    };
    let summary = ask("show neighbor summary");
    assert_eq!(
        summary.last().map(String::as_str),
        Some("done"),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|l| l.starts_with("127.0.0.1") && l.contains("established")),
        "{summary:?}"
    );
    let announce = ask("announce route 10.71.0.0/24 next-hop 127.0.0.1");
    assert_eq!(announce, vec!["done".to_string()]);
    s.wait_for_prefixes(&["10.71.0.0/24"]);
    assert_eq!(ask("no such command"), vec!["error".to_string()]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// Connection collision (RFC 4271 §6.8): the daemon connects out and the peer connects in at
/// the same time. The peer's BGP Identifier (127.0.0.2) is the higher, so the connection the
/// peer opened is kept and the daemon's own is closed with Cease / Connection Collision
/// Resolution (6/7); the routes then arrive on the kept one.
pub fn collision_keeps_the_higher_identifier_s_connection(run: Runner) {
    let peer = Peer::bind();
    let listen = closed_port().port();
    let (config, env) = config_with(
        peer.port,
        &["198.51.100.0/24"],
        &[],
        &format!("\tlisten {listen};\n"),
        &[],
    );
    let daemon = Daemon::start(run, config, env);

    // The daemon's connection: read its OPEN, answer with ours, but no KEEPALIVE yet, so it
    // waits in OpenConfirm.
    let mut outgoing = peer.accept();
    let deadline = Instant::now() + STEP;
    let (kind, open) = outgoing.read_msg(deadline).expect("the daemon's OPEN");
    assert_eq!(kind, MSG_OPEN);
    let mut reply = open.clone();
    reply[8] = reply[8].wrapping_add(1);
    outgoing.send_msg(MSG_OPEN, &reply);

    // Our connection to its listener, with the same (higher) identifier.
    let mut incoming = connect_to_daemon(SocketAddr::from((Ipv4Addr::LOCALHOST, listen)));
    incoming.handshake();

    let notification = loop {
        match outgoing.read_msg(deadline) {
            Some((MSG_NOTIFICATION, body)) => break body,
            Some(_) => {}
            None => panic!("the daemon's connection closed without a NOTIFICATION"),
        }
    };
    assert_eq!(
        notification[..2],
        [6, 7],
        "Cease / Connection Collision Resolution"
    );
    incoming.wait_for_prefixes(&["198.51.100.0/24"]);
    daemon.handle.shutdown();
    incoming.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// A helper that closes its stdout, then exits a little later: what it wrote is read, its
/// exit still reaches the core (it is respawned). The tokio loop once panicked in the helper's
/// reading task once the stdout was gone, and the exit was never reported.
pub fn helper_closing_stdout_before_exit_is_respawned(run: Runner) {
    let dir = TempDir::new("closeout");
    let starts = dir.0.join("starts");
    let script = dir.script(
        "closer.sh",
        &format!(
            "echo $$ >> '{}'\n\
             n=$(wc -l < '{}')\n\
             echo \"announce route 10.101.$n.0/24 next-hop 127.0.0.1\"\n\
             exec 1>&-\n\
             if [ \"$n\" -ge 2 ]; then while read line; do :; done; fi\n\
             sleep 0.3\n",
            starts.display(),
            starts.display()
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config_with(
        peer.port,
        &[],
        &[("closer", vec![script.display().to_string()])],
        "",
        &[("exabgp_api_respawn", "true")],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    s.handshake();
    s.wait_for_prefixes(&["10.101.1.0/24", "10.101.2.0/24"]);
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}

/// ExaBGP's OPERATIONAL messages both ways, and `show neighbor extensive`:
/// * the helper's `announce operational asm …`, given before the session is up, is queued and
///   reaches the peer once it is (ExaBGP 5.0.15 does the same);
/// * an ADM the peer sends reaches the helper (`receive { operational; }`) as ExaBGP's text
///   encoder writes it (captured from ExaBGP 5.0.15: ferrobgp-api's
///   tests/oracle/show-text.txt), with no empty line after it;
/// * the helper then asks `show neighbor 127.0.0.1 extensive` and gets ExaBGP's report.
pub fn operational_both_ways_and_show_extensive(run: Runner) {
    let dir = TempDir::new("operational");
    let events = dir.0.join("events.txt");
    let script = dir.script(
        "watch.sh",
        &format!(
            "echo 'announce operational asm afi ipv4 safi unicast advisory hi'\n\
             while IFS= read -r line; do\n\
             \x20 printf '%s\\n' \"$line\" >> {out}\n\
             \x20 case \"$line\" in\n\
             \x20   *' receive operational '*) echo 'show neighbor 127.0.0.1 extensive' ;;\n\
             \x20 esac\n\
             done\n",
            out = events.display()
        ),
    );
    let peer = Peer::bind();
    let (config, env) = config_with(
        peer.port,
        &[],
        &[("watcher", vec![script.display().to_string()])],
        "\tcapability { operational; }\n\
         \tapi { processes [ watcher ]; receive { parsed; operational; } }\n",
        &[],
    );
    let daemon = Daemon::start(run, config, env);
    let mut s = peer.accept();
    // The daemon's OPEN carries the operational capability (185, empty); the echo announces
    // it back, so the session negotiates it.
    let open = s.handshake();
    assert!(
        open.windows(2).any(|w| w == [185, 0]),
        "operational capability in the OPEN: {open:?}"
    );
    // ExaBGP's ASM "hi" (wire's operational tests hold ExaBGP's bytes for it).
    let deadline = Instant::now() + STEP;
    let asm = loop {
        match s.read_msg(deadline) {
            Some((6, body)) => break body,
            Some((MSG_NOTIFICATION, body)) => panic!("NOTIFICATION from the daemon: {body:?}"),
            Some(_) => {}
            None => panic!("the daemon closed the session"),
        }
    };
    assert_eq!(asm, [0, 2, 0, 5, 0, 1, 1, b'h', b'i']);
    // ADM "this is dynamic message #1", as ExaBGP's own encoder writes it.
    let mut adm = vec![0, 1, 0, 29, 0, 1, 1];
    adm.extend_from_slice(b"this is dynamic message #1");
    s.send_msg(6, &adm);
    let deadline = Instant::now() + STEP;
    let text = loop {
        let text = std::fs::read_to_string(&events).unwrap_or_default();
        if let Some(at) = text.find("Neighbor 127.0.0.1\n") {
            if text[at..].contains("\ndone\n") {
                break text;
            }
        }
        assert!(Instant::now() < deadline, "no show answer: {text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        text.contains(
            "neighbor 127.0.0.1 receive operational ADM afi ipv4 safi unicast advisory \
             \"b'this is dynamic message #1'\"\nNeighbor 127.0.0.1\n"
        ),
        "{text}"
    );
    for line in [
        "   state                    ESTABLISHED                                \n",
        "   ID                         127.0.0.1       127.0.0.2                \n",
        "   operational:                 enabled         enabled                \n",
        "   ipv4 unicast:                enabled         enabled disabled       \n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    daemon.handle.shutdown();
    s.wait_for_close();
    assert_eq!(daemon.join(), 0);
}
