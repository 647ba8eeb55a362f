//! Loop-independent pieces shared by the mio and the tokio drivers.
//!
//! Everything here is plain data and non-blocking system calls, so that both event loops
//! account buffers, split lines and set socket options the same way: a behaviour difference
//! between the loops is a bug, and the surest way to avoid one is to run the same code.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use bytes::{Buf, Bytes, BytesMut};

/// How many bytes one read asks the kernel for. BGP messages are at most 65535 bytes
/// (RFC 8654), so one read can always hold at least one whole message.
pub const READ_CHUNK: usize = 64 * 1024;

/// How many bytes a driver reads from one socket before it lets the other sources have a
/// turn (fairness: one busy peer must not starve the keepalives of the others).
pub const READ_BUDGET: usize = 256 * 1024;

/// At or below this many queued bytes a connection (or a process' stdin) is "low": the driver
/// reports `SendBufferLow` / `ProcessWritable` after each write that leaves it there.
pub const SEND_LOW_MARK: usize = 64 * 1024;

/// Longest line accepted from an API process (ExaBGP has no limit; a million-prefix
/// `announce attributes … nlri …` line is a few MB). Longer lines are cut and logged, never
/// buffered without bound.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// Splits a byte stream (an API process' stdout or stderr, a control-socket client) into
/// lines. `\n` ends a line; a trailing `\r` is dropped.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: BytesMut,
    /// Bytes of `buf` already known to contain no `\n`.
    scanned: usize,
    /// Set while discarding the rest of an over-long line.
    discarding: bool,
}

/// One item out of a [`LineSplitter`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its terminator. Invalid UTF-8 is replaced (lossy).
    Text(String),
    /// A line longer than [`MAX_LINE`] was dropped.
    TooLong,
}

impl LineSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The buffer to read into (reserve and append at its end).
    pub fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    pub fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes held that do not yet form a complete line.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete line, if any.
    pub fn next_line(&mut self) -> Option<Line> {
        loop {
            match memchr(b'\n', &self.buf[self.scanned..]) {
                Some(i) => {
                    let end = self.scanned + i;
                    let mut line = self.buf.split_to(end + 1);
                    self.scanned = 0;
                    line.truncate(end);
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    if line.last() == Some(&b'\r') {
                        line.truncate(line.len() - 1);
                    }
                    return Some(Line::Text(bytes_to_string(line)));
                }
                None => {
                    self.scanned = self.buf.len();
                    if self.buf.len() > MAX_LINE {
                        self.buf.clear();
                        self.scanned = 0;
                        if !self.discarding {
                            self.discarding = true;
                            return Some(Line::TooLong);
                        }
                    }
                    return None;
                }
            }
        }
    }

    /// At end of stream: what is left becomes a last line (a helper whose last command has
    /// no newline still had it read, as ExaBGP does).
    pub fn finish(&mut self) -> Option<Line> {
        if let Some(l) = self.next_line() {
            return Some(l);
        }
        if self.buf.is_empty() || self.discarding {
            self.buf.clear();
            self.discarding = false;
            return None;
        }
        let mut line = self.buf.split();
        self.scanned = 0;
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        Some(Line::Text(bytes_to_string(line)))
    }
}

fn bytes_to_string(b: BytesMut) -> String {
    match String::from_utf8(b.to_vec()) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// A queue of buffers waiting to be written to a socket or a pipe, written with `writev`.
///
/// The queue does not limit what is pushed (dropping bytes of a BGP stream is never right);
/// the core bounds it: it hands a connection (a process) at most a window of bytes beyond the
/// last time the driver reported the queue low, so memory stays bounded while a peer or a
/// process is slow.
#[derive(Debug, Default)]
pub struct WriteQueue {
    chunks: VecDeque<Bytes>,
    queued: usize,
}

/// What a flush achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    /// Bytes written by this flush.
    pub written: usize,
    /// Bytes were written and the queue is at or below the low mark: report
    /// `SendBufferLow`/`ProcessWritable` (the core's contract: after every such write,
    /// including when a `Send` was written entirely).
    pub became_low: bool,
    /// The writer would block with data still queued: wait for writability.
    pub blocked: bool,
}

impl WriteQueue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        self.queued += data.len();
        self.chunks.push_back(data);
    }

    pub fn len(&self) -> usize {
        self.queued
    }

    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Up to 64 slices of what is queued, for a vectored write.
    pub fn slices(&self) -> Vec<IoSlice<'_>> {
        self.chunks
            .iter()
            .take(64)
            .map(|c| IoSlice::new(c))
            .collect()
    }

    /// Up to `n` queued buffers from the front, for writers that cannot hold a borrow of the
    /// queue across an `.await` (cloning a `Bytes` only counts a reference).
    pub fn front_chunks(&self, n: usize) -> Vec<Bytes> {
        self.chunks.iter().take(n).cloned().collect()
    }

    /// Drop `n` bytes from the front after a (possibly partial) write.
    pub fn consume(&mut self, mut n: usize) {
        self.queued -= n;
        while n > 0 {
            let front = self.chunks.front_mut().expect("consumed more than queued");
            if front.len() <= n {
                n -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }

    /// Whether the queue is at or below the low mark.
    pub fn is_low(&self) -> bool {
        self.queued <= SEND_LOW_MARK
    }

    /// Write as much as the writer takes without blocking.
    pub fn flush_to<W: Write>(&mut self, w: &mut W) -> io::Result<Flushed> {
        let mut out = Flushed::default();
        while !self.is_empty() {
            let res = {
                let slices = self.slices();
                w.write_vectored(&slices)
            };
            match res {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.consume(n);
                    out.written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    out.blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        out.became_low = out.written > 0 && self.is_low();
        Ok(out)
    }
}

/// Read once from a non-blocking file descriptor into the spare capacity of `buf`, without
/// zeroing it first. `Ok(0)` is end of stream.
pub fn read_fd_into(fd: RawFd, buf: &mut BytesMut, chunk: usize) -> io::Result<usize> {
    if buf.capacity() - buf.len() < chunk / 4 {
        buf.reserve(chunk);
    }
    let spare = buf.spare_capacity_mut();
    loop {
        // SAFETY: `spare` is writable memory of `spare.len()` bytes owned by `buf`; read(2)
        // writes at most that many bytes and reports how many it wrote.
        let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), spare.len()) };
        if n >= 0 {
            let n = n as usize;
            // SAFETY: the kernel initialised the first `n` bytes of the spare capacity.
            unsafe { buf.set_len(buf.len() + n) };
            return Ok(n);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sockets

/// A TCP socket for an outgoing session: non-blocking, TCP_NODELAY, optionally bound to the
/// configured local address, with the TCP MD5 signature (RFC 2385) and TTL the core asked
/// for. The caller starts the connect.
pub fn outgoing_socket(
    remote: SocketAddr,
    local: Option<SocketAddr>,
    md5: Option<&[u8]>,
    ttl: Option<u8>,
) -> io::Result<socket2::Socket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(
        Domain::for_address(remote),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    sock.set_nonblocking(true)?;
    sock.set_nodelay(true)?;
    if let Some(local) = local {
        // The local address is the session's identity, its port is the kernel's choice.
        let mut local = local;
        local.set_port(0);
        sock.bind(&local.into())?;
    }
    if let Some(key) = md5 {
        set_md5sig(&sock, remote, key)?;
    }
    if let Some(ttl) = ttl {
        set_ttl(&sock, remote, ttl)?;
    }
    Ok(sock)
}

/// Start a non-blocking connect; `EINPROGRESS` is success (completion is reported by
/// writability).
pub fn start_connect(sock: &socket2::Socket, remote: SocketAddr) -> io::Result<()> {
    match sock.connect(&remote.into()) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    }
}

/// A listening socket: non-blocking, SO_REUSEADDR, IPV6_V6ONLY off for `[::]` so that one
/// listener takes both families as ExaBGP's does.
pub fn listener_socket(addr: SocketAddr) -> io::Result<socket2::Socket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if addr.is_ipv6() {
        let _ = sock.set_only_v6(false);
    }
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(128)?;
    Ok(sock)
}

/// Put the neighbors' TCP MD5 keys and minimum TTL on a listening socket (before their SYN
/// arrives). An IPv4 peer on an IPv6 (dual-stack) listener is keyed by its mapped address.
/// The socket takes one minimum TTL for every connection: the lowest configured, so that no
/// neighbor is cut off; the driver sets each accepted connection's own with
/// [`accepted_min_ttl`].
pub fn protect_listener(
    sock: &socket2::Socket,
    addr: SocketAddr,
    peers: &[ferrobgp_core::ListenPeer],
) -> io::Result<()> {
    for p in peers {
        let peer = match (addr, p.peer) {
            (SocketAddr::V6(_), std::net::IpAddr::V4(v4)) => {
                std::net::IpAddr::V6(v4.to_ipv6_mapped())
            }
            (_, ip) => ip,
        };
        if let Some(key) = &p.md5 {
            set_md5sig(sock, SocketAddr::new(peer, 0), key.as_bytes())?;
        }
    }
    if let Some(min) = peers.iter().filter_map(|p| p.min_ttl).min() {
        set_min_ttl(sock, addr, min)?;
    }
    Ok(())
}

/// The minimum TTL configured for the neighbor at `remote`, to set on its accepted socket.
pub fn accepted_min_ttl(peers: &[ferrobgp_core::ListenPeer], remote: SocketAddr) -> Option<u8> {
    let ip = canonical(remote).ip();
    peers.iter().find(|p| p.peer == ip).and_then(|p| p.min_ttl)
}

/// `struct tcp_md5sig` of linux/tcp.h (not in the libc crate).
#[cfg(target_os = "linux")]
#[repr(C)]
struct TcpMd5Sig {
    tcpm_addr: libc::sockaddr_storage,
    tcpm_flags: u8,
    tcpm_prefixlen: u8,
    tcpm_keylen: u16,
    tcpm_ifindex: u32,
    tcpm_key: [u8; TCP_MD5SIG_MAXKEYLEN],
}

#[cfg(target_os = "linux")]
const TCP_MD5SIG_MAXKEYLEN: usize = 80;

/// Set TCP_MD5SIG (RFC 2385) for `peer` on `sock`. Linux only; elsewhere an error.
#[cfg(target_os = "linux")]
pub fn set_md5sig(sock: &socket2::Socket, peer: SocketAddr, key: &[u8]) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    if key.len() > TCP_MD5SIG_MAXKEYLEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "md5 password longer than 80 bytes",
        ));
    }
    // SAFETY: tcp_md5sig is plain old data; all-zero is a valid value.
    let mut sig: TcpMd5Sig = unsafe { std::mem::zeroed() };
    let peer_sa: socket2::SockAddr = peer.into();
    // SAFETY: copying at most sizeof(sockaddr_storage) bytes of a valid socket address.
    unsafe {
        std::ptr::copy_nonoverlapping(
            peer_sa.as_ptr().cast::<u8>(),
            (&mut sig.tcpm_addr as *mut libc::sockaddr_storage).cast::<u8>(),
            (peer_sa.len() as usize).min(std::mem::size_of::<libc::sockaddr_storage>()),
        );
    }
    sig.tcpm_keylen = key.len() as u16;
    sig.tcpm_key[..key.len()].copy_from_slice(key);
    // SAFETY: valid fd, pointer and length of a tcp_md5sig.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            (&sig as *const TcpMd5Sig).cast(),
            std::mem::size_of::<TcpMd5Sig>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set_md5sig(_sock: &socket2::Socket, _peer: SocketAddr, _key: &[u8]) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "TCP MD5 signatures are only supported on Linux",
    ))
}

/// Set the outgoing TTL (IPv4) or hop limit (IPv6).
pub fn set_ttl(sock: &socket2::Socket, peer: SocketAddr, ttl: u8) -> io::Result<()> {
    if peer.is_ipv4() {
        sock.set_ttl(u32::from(ttl))
    } else {
        sock.set_unicast_hops_v6(u32::from(ttl))
    }
}

/// GTSM (RFC 5082): drop packets arriving with a TTL below `min`. Linux only.
#[cfg(target_os = "linux")]
pub fn set_min_ttl(sock: &socket2::Socket, peer: SocketAddr, min: u8) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let (level, name) = if peer.is_ipv4() {
        (libc::IPPROTO_IP, libc::IP_MINTTL)
    } else {
        (libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT)
    };
    let v: libc::c_int = min.into();
    // SAFETY: valid fd, pointer to a c_int and its size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set_min_ttl(_sock: &socket2::Socket, _peer: SocketAddr, _min: u8) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "minimum TTL is only supported on Linux",
    ))
}

/// Treat IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack listener reports)
/// as the IPv4 addresses they are, so the core matches them against IPv4 neighbors.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), v6.port()),
            None => addr,
        },
        v4 => v4,
    }
}

// ---------------------------------------------------------------------------------------
// Processes

/// A `Command` for an API process: no shell, stdin/stdout/stderr piped, in its own process
/// group so that a Ctrl-C at the terminal reaches the daemon, which then stops its helpers
/// in order (ExaBGP does the same with `preexec_fn=os.setpgrp`... in spirit).
pub fn api_command(argv: &[String], cwd: Option<&std::path::Path>) -> io::Result<Command> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command line"))?;
    let mut cmd = Command::new(resolve_program(prog, cwd));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    Ok(cmd)
}

/// Where a relative `run` program is, as ExaBGP looks for it: in its etc folder
/// (`/etc/exabgp`), then next to the configuration file (the helper's working directory);
/// a bare name not found there is left to the `$PATH` search of `exec`.
pub fn resolve_program(prog: &str, cwd: Option<&std::path::Path>) -> PathBuf {
    let p = std::path::Path::new(prog);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let candidates = [
        Some(std::path::Path::new("/etc/exabgp").join(p)),
        cwd.map(|d| d.join(p)),
    ];
    for c in candidates.into_iter().flatten() {
        if c.is_file() {
            // Absolute, because the child runs in `cwd`: a relative path found from here
            // would be looked up again from there.
            return c.canonicalize().unwrap_or(c);
        }
    }
    p.to_path_buf()
}

/// Spawn an API process (see [`api_command`]).
pub fn spawn_api_process(argv: &[String], cwd: Option<&std::path::Path>) -> io::Result<Child> {
    api_command(argv, cwd)?.spawn()
}

/// Send `sig` to a process (not its group).
pub fn signal_pid(pid: u32, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: kill(2) with a pid we spawned and have not reaped.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Set O_NONBLOCK on a file descriptor.
pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a valid fd.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Control socket

/// Where the control socket of `ferrobgp cli` lives: `socketpath` (`api.socketpath`,
/// `ferrobgp_api_socketpath`) if set, else `<run dir>/<socketname>.sock` with the run dir the
/// first of `$XDG_RUNTIME_DIR`, `/run/ferrobgp`, the temporary directory that is writable.
/// `None` when the control channel is disabled (`api.cli = false`, as ExaBGP's harness sets).
/// The daemon and `ferrobgp cli` both call this, so they agree.
pub fn control_socket_path(
    cli_enabled: bool,
    socketpath: Option<&str>,
    socketname: &str,
) -> Option<PathBuf> {
    if !cli_enabled {
        return None;
    }
    if let Some(p) = socketpath.filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let name = if socketname.is_empty() {
        "ferrobgp"
    } else {
        socketname
    };
    let xdg = |k: &str| std::env::var(k).ok();
    Some(run_dir(&xdg).join(format!("{name}.sock")))
}

fn run_dir(lookup: &impl Fn(&str) -> Option<String>) -> PathBuf {
    let candidates = [
        lookup("XDG_RUNTIME_DIR").map(PathBuf::from),
        Some(PathBuf::from("/run/ferrobgp")),
    ];
    for dir in candidates.into_iter().flatten() {
        if is_writable_dir(&dir) {
            return dir;
        }
    }
    std::env::temp_dir()
}

fn is_writable_dir(dir: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access(2) on a NUL-terminated path.
    dir.is_dir() && unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0
}

/// The answer lines that end one command on the control channel (and the API): the client
/// prints lines until one of these.
pub fn is_final_answer(line: &str) -> bool {
    let l = line.trim();
    l == "done"
        || l == "error"
        || l.starts_with("{ \"answer\": \"done\"")
        || l.starts_with("{ \"answer\": \"error\"")
        || l.starts_with("{\"answer\":\"done\"")
        || l.starts_with("{\"answer\":\"error\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_takes_md5_keys_and_minimum_ttl() {
        use ferrobgp_core::ListenPeer;
        let peers = vec![
            ListenPeer {
                peer: "127.0.0.2".parse().unwrap(),
                md5: Some("secret".into()),
                min_ttl: Some(254),
            },
            ListenPeer {
                peer: "127.0.0.3".parse().unwrap(),
                md5: None,
                min_ttl: Some(250),
            },
        ];
        for addr in ["127.0.0.1:0", "[::]:0"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let Ok(sock) = listener_socket(addr) else {
                continue; // no IPv6 here
            };
            protect_listener(&sock, addr, &peers).expect("md5 and min ttl on a listener");
        }
        let remote: SocketAddr = "[::ffff:127.0.0.3]:179".parse().unwrap();
        assert_eq!(accepted_min_ttl(&peers, remote), Some(250));
        assert_eq!(
            accepted_min_ttl(&peers, "127.0.0.9:1".parse().unwrap()),
            None
        );
    }

    #[test]
    fn lines_split_across_reads() {
        let mut s = LineSplitter::new();
        s.extend(b"announce route 1.0.0.0/8 next-hop self\r\nwith");
        assert_eq!(
            s.next_line(),
            Some(Line::Text("announce route 1.0.0.0/8 next-hop self".into()))
        );
        assert_eq!(s.next_line(), None);
        s.extend(b"draw route 1.0.0.0/8\n\n");
        assert_eq!(
            s.next_line(),
            Some(Line::Text("withdraw route 1.0.0.0/8".into()))
        );
        assert_eq!(s.next_line(), Some(Line::Text(String::new())));
        assert_eq!(s.next_line(), None);
        s.extend(b"shutdown");
        assert_eq!(s.finish(), Some(Line::Text("shutdown".into())));
        assert_eq!(s.finish(), None);
    }

    #[test]
    fn overlong_lines_are_dropped_once() {
        let mut s = LineSplitter::new();
        s.extend(&vec![b'x'; MAX_LINE + 1]);
        assert_eq!(s.next_line(), Some(Line::TooLong));
        s.extend(b"xxxx");
        assert_eq!(s.next_line(), None);
        s.extend(b"x\nok\n");
        assert_eq!(s.next_line(), Some(Line::Text("ok".into())));
    }

    /// A writer that takes at most `cap` bytes per call, then would block after `calls`.
    struct Trickle {
        got: Vec<u8>,
        cap: usize,
        calls: usize,
    }
    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.calls == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.calls -= 1;
            let n = buf.len().min(self.cap);
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let flat: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            self.write(&flat)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_keep_order_and_report_low_once() {
        let mut q = WriteQueue::new();
        let mut expect = Vec::new();
        for i in 0..100u8 {
            let chunk = vec![i; 1000];
            expect.extend_from_slice(&chunk);
            q.push(Bytes::from(chunk));
        }
        assert_eq!(q.len(), 100_000);
        let mut w = Trickle {
            got: vec![],
            cap: 777,
            calls: 10,
        };
        let f = q.flush_to(&mut w).unwrap();
        assert!(f.blocked);
        assert!(!f.became_low, "still above the low mark");
        assert_eq!(f.written, 7770);
        w.calls = usize::MAX;
        let f = q.flush_to(&mut w).unwrap();
        assert!(!f.blocked);
        assert!(f.became_low);
        assert!(q.is_empty());
        assert_eq!(w.got, expect);
        q.push(Bytes::from_static(b"small"));
        let f = q.flush_to(&mut w).unwrap();
        assert!(f.became_low, "a Send written entirely is reported");
        let f = q.flush_to(&mut w).unwrap();
        assert!(!f.became_low, "nothing written, nothing reported");
    }

    #[test]
    fn socket_path_rules() {
        assert_eq!(control_socket_path(false, Some("/x.sock"), "exabgp"), None);
        assert_eq!(
            control_socket_path(true, Some("/x/y.sock"), "exabgp"),
            Some(PathBuf::from("/x/y.sock"))
        );
        let p = control_socket_path(true, None, "exabgp-test-1790").unwrap();
        assert!(p.ends_with("exabgp-test-1790.sock"));
        let p = control_socket_path(true, Some(""), "").unwrap();
        assert!(p.ends_with("ferrobgp.sock"));
    }

    #[test]
    fn relative_programs_are_found_next_to_the_configuration() {
        let dir = std::env::temp_dir();
        let name = format!("ferrobgp-resolve-{}.run", std::process::id());
        std::fs::write(dir.join(&name), "").unwrap();
        assert_eq!(resolve_program(&name, Some(&dir)), dir.join(&name));
        assert_eq!(
            resolve_program(&format!("./{name}"), Some(&dir)),
            dir.join(format!("./{name}"))
        );
        std::fs::remove_file(dir.join(&name)).unwrap();
        assert_eq!(resolve_program("sh", Some(&dir)), PathBuf::from("sh"));
        assert_eq!(resolve_program("/bin/sh", None), PathBuf::from("/bin/sh"));
    }

    #[test]
    fn mapped_addresses_are_ipv4() {
        let a: SocketAddr = "[::ffff:127.0.0.1]:179".parse().unwrap();
        assert_eq!(canonical(a), "127.0.0.1:179".parse::<SocketAddr>().unwrap());
    }
}

// ---------------------------------------------------------------------------------------
// Handle

/// Injects signals into a running loop from another thread (see the crate docs).
#[derive(Clone, Default)]
pub struct Handle {
    inner: std::sync::Arc<std::sync::Mutex<HandleInner>>,
}

#[derive(Default)]
struct HandleInner {
    pending: Vec<libc::c_int>,
    wake: Option<Box<dyn Fn() + Send>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Deliver `signum` (e.g. `libc::SIGTERM`) to the loop.
    pub fn signal(&self, signum: libc::c_int) {
        let inner = &mut *self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.pending.push(signum);
        if let Some(wake) = &inner.wake {
            wake();
        }
    }

    /// Ask the loop to shut down as on SIGTERM.
    pub fn shutdown(&self) {
        self.signal(libc::SIGTERM);
    }

    /// Driver side: install the function that wakes the loop.
    pub fn set_waker(&self, wake: Box<dyn Fn() + Send>) {
        let inner = &mut *self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.pending.is_empty() {
            wake();
        }
        inner.wake = Some(wake);
    }

    /// Driver side: the signals injected since the last call.
    pub fn take(&self) -> Vec<libc::c_int> {
        let inner = &mut *self.inner.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut inner.pending)
    }
}

fn signal_mask(how: libc::c_int) -> io::Result<()> {
    // SAFETY: a sigset_t initialised by sigemptyset, then pthread_sigmask on this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in SIGNALS {
            if s != libc::SIGCHLD {
                libc::sigaddset(&mut set, s);
            }
        }
        let rc = libc::pthread_sigmask(how, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
    }
    Ok(())
}

/// Hold the daemon's signals pending on this thread until a loop is ready for them: called
/// first thing by `ferrobgp run`, so that a SIGUSR1 or SIGTERM that arrives while the
/// configuration is read is deferred, not lost (and does not kill the process, SIGUSR1's
/// default action). Children do not inherit the mask (std resets it before exec).
pub fn defer_signals() -> io::Result<()> {
    signal_mask(libc::SIG_BLOCK)
}

/// Called by each loop once its handlers are installed: what was deferred is delivered now.
pub fn undefer_signals() -> io::Result<()> {
    signal_mask(libc::SIG_UNBLOCK)
}

/// The signals a driver listens for. SIGCHLD tells it to look for exited API processes.
pub const SIGNALS: &[libc::c_int] = &[
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGCHLD,
];
