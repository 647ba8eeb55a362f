//! ferrobgp-core: the sans-IO BGP speaker (see ../../../shared/DESIGN.md).
//!
//! [`Speaker`] holds all protocol state: one RFC 4271 finite state machine per neighbor,
//! capability negotiation, hold/keepalive/connect-retry timers *as data*, the Adj-RIB-Out of
//! every neighbor, the API helper processes (their life cycle, acks and event queues). It never
//! touches a socket, a clock, a process or a signal. A driver (reactor-mio, reactor-tokio, or a
//! test harness) owns those and talks to the speaker through three calls:
//!
//! ```text
//!   let mut speaker = Speaker::new(config, env, Instant::now())?;
//!   loop {
//!       while let Some(out) = speaker.poll_output() { perform(out) }   // Listen, Connect, Send, Spawn...
//!       wait for I/O, at most until speaker.next_deadline();
//!       for each thing that happened: speaker.handle(Instant::now(), input);
//!       if the deadline passed:        speaker.handle(Instant::now(), Input::Tick);
//!   }   // until Output::Exit
//! ```
//!
//! # Contract with the driver
//!
//! * **Time** is passed in: every `handle` gets `now`. `next_deadline()` is the earliest instant
//!   at which the speaker wants `Input::Tick` (hold timer, keepalive, connect retry, respawn,
//!   shutdown grace, or *now* when a bounded batch of UPDATEs left work to do). `None` means
//!   "nothing scheduled; wait for I/O".
//! * **Connection ids.** The speaker allocates [`ConnId`]s for the connections it asks for
//!   (`Output::Connect`); they have the top bit set. The driver allocates ids for accepted
//!   connections (`Input::Accepted`) from the lower half (`ConnId::accepted(n)`).
//! * **Process ids.** The speaker allocates [`ProcessId`]s (one per `process` block). A respawn
//!   reuses the id: the driver must treat `Spawn` for an id whose child exited as a new child.
//! * **Send back-pressure (peers).** The speaker hands a connection at most
//!   [`SEND_WINDOW`] bytes of UPDATEs beyond what the driver has confirmed as drained. The
//!   driver sends `Input::SendBufferLow { conn }` whenever its queue for `conn` (bytes accepted
//!   from `Output::Send` but not yet written to the kernel) is at or below its low mark after a
//!   write, including right away when a `Send` was written entirely. KEEPALIVE and NOTIFICATION
//!   are never held back by the window, so bulk UPDATE generation cannot starve keepalives.
//! * **Write back-pressure (processes).** Same scheme: at most [`PROCESS_WINDOW`] bytes are
//!   written to a process beyond its last `Input::ProcessWritable`. Events and acks beyond that
//!   wait in a per-process queue inside the speaker; when that queue passes
//!   [`PROCESS_QUEUE_HIGH`] bytes, the speaker emits `PauseReading` for every connection whose
//!   neighbor feeds that process (and `PauseProcess` for the process's own stdout, since acks
//!   go there too); `ResumeReading`/`ResumeProcess` once it is below the low mark. Nothing is
//!   dropped; memory is bounded by the high mark plus one driver read per connection. While a
//!   connection's reading is paused its hold timer is suspended (we are not reading what the
//!   peer sends, it is not the peer's fault) and restarted on resume.
//! * **Reading.** `Input::Received` carries raw stream bytes in any chunking; the speaker frames
//!   BGP messages itself.
//! * **Exit.** After `Signal::Term`/`Hup`/`Int` (or `shutdown` from a process, or every neighbor
//!   having used up `tcp.attempts`), the speaker sends Cease NOTIFICATIONs, closes connections,
//!   closes the processes' stdin, waits at most [`SHUTDOWN_GRACE`] for them, kills the rest and
//!   emits `Output::Exit { code }`. The driver stops after performing the outputs before it.
//!
//! # Order of work inside one `handle()` (the per-iteration order)
//!
//! The byte-exact tests see this order (ExaBGP learned it the hard way, reference §6), and both
//! drivers follow it because the speaker decides it:
//!
//! 1. **Apply the input.** Bytes are framed and run through the FSM (events for processes are
//!    queued); a `ProcessLine` is parsed and applied to the Adj-RIB-Out of the selected
//!    neighbors, and its ack (`done`/`error`) is queued behind the events already queued for that
//!    process. Connection/process/signal inputs update state.
//! 2. **Run the timers** that are due at `now`: hold timer expiry (NOTIFICATION 4/0), keepalives,
//!    connect retry, respawn, shutdown grace.
//! 3. **Run the peers.** Every Established session sends a KEEPALIVE first if one is due, then at
//!    most one bounded batch ([`UPDATE_BATCH_BYTES`]) of UPDATEs from its pending Adj-RIB-Out
//!    changes, within its send window; End-of-RIB follows the initial table.
//! 4. **Flush process queues**: events and acks, in the order they were queued, within each
//!    process's write window.
//!
//! A `ProcessLine` is the exception to step 3: like ExaBGP, which applies every command a read
//! brought before its peers run (so `announce …` then `clear adj-rib out` in one read sends
//! nothing), the speaker applies and acks the command but leaves the UPDATEs for the `Tick`
//! the driver gives at the end of its iteration (`next_deadline()` is *now* while a session
//! has work). So a command is acked once it was applied to the RIB, and the UPDATEs it caused
//! follow in the same driver iteration.
//!
//! # What comes from where
//!
//! Protocol logic lives once, in the crates that own it; the core only drives it:
//!
//! * **ferrobgp-wire**: framing, OPEN encode/decode and capability negotiation
//!   (`SessionContext::negotiate`), `check_open`, UPDATE decoding into views with their RFC 7606
//!   actions, NOTIFICATION / KEEPALIVE / ROUTE-REFRESH / End-of-RIB encoding, and every UPDATE
//!   the speaker sends, through `UpdateBuilder` (MP_REACH/MP_UNREACH, packing, extended message
//!   size, ADD-PATH path ids in the send direction). Routes are stored as wire's owned model
//!   (`Nlri`, `PathAttributes`): prefixes, labeled, VPN, flow and raw NLRI such as VPLS.
//! * **ferrobgp-config**: [`convert`] turns its `Config`/`Environment` into [`setup`] (the
//!   speaker's typed view of neighbors, processes and environment).
//! * **ferrobgp-api**: `parse_command` for what processes write, `AckState` for acks in the
//!   process's encoding, and the JSON/text event encoders ([`events`] plugs wire's messages
//!   into them).
//!
//! [`outbound`] holds what is the speaker's own: the OPEN built from a neighbor's
//! configuration and the per-neighbor outbound rules (eBGP AS prepend, iBGP LOCAL_PREF 100,
//! `next-hop self`). [`rib`] holds the Adj-RIB-Out and the Adj-RIB-In.

pub mod convert;
pub mod events;
pub mod outbound;
pub mod rib;
pub mod setup;
mod speaker;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub use setup::{Config, Environment};
pub use speaker::{Speaker, State};

/// Bytes of UPDATEs the speaker hands one connection beyond the last `SendBufferLow`.
pub const SEND_WINDOW: usize = 256 * 1024;
/// Bytes of UPDATEs generated for one session in one `handle()` before yielding.
pub const UPDATE_BATCH_BYTES: usize = 64 * 1024;
/// Bytes written to one process beyond its last `ProcessWritable`.
pub const PROCESS_WINDOW: usize = 64 * 1024;
/// Queued (not yet written) bytes for one process above which reading from its sources pauses.
pub const PROCESS_QUEUE_HIGH: usize = 1024 * 1024;
/// ... and below which it resumes.
pub const PROCESS_QUEUE_LOW: usize = 256 * 1024;
/// How long processes get to exit after their stdin was closed at shutdown.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// One TCP connection, as known to the speaker and the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl ConnId {
    const OUTGOING: u64 = 1 << 63;
    /// The id a driver gives the `n`th connection it accepted.
    pub fn accepted(n: u64) -> ConnId {
        ConnId(n & !Self::OUTGOING)
    }
    /// Whether the speaker allocated this id for an `Output::Connect`.
    pub fn is_outgoing(self) -> bool {
        self.0 & Self::OUTGOING != 0
    }
    pub(crate) fn outgoing(n: u64) -> ConnId {
        ConnId(n | Self::OUTGOING)
    }
}

/// One API helper process (one `process` block), or one control-channel client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(pub u32);

impl ProcessId {
    const CONTROL_SPACE: u32 = 1 << 30;

    /// The id a driver gives the `n`th client of its control channel (`ferrobgp cli`). These
    /// ids come from the top of the id space, so they never meet the speaker's own (indices of
    /// `process` blocks).
    ///
    /// A control client is an unnamed text API client: the driver reports it as
    /// `ProcessStarted { pid: 0 }` when it connects, each line it sends as `ProcessLine`, and
    /// its end as `ProcessExited`. The speaker answers its commands (`show …` output, then
    /// `done`/`error`, always in text and always acked) with `WriteProcess` for its id, and
    /// sends it no events. A command without a neighbor selector applies to every neighbor
    /// (ExaBGP's CLI). Its writes are not windowed: answers are small and the client reads
    /// them at once.
    pub fn control(n: u32) -> ProcessId {
        ProcessId(u32::MAX - (n % Self::CONTROL_SPACE))
    }

    /// Whether this is a control-channel client's id.
    pub fn is_control(self) -> bool {
        self.0 > u32::MAX - Self::CONTROL_SPACE
    }
}

/// Signals the driver forwards (ExaBGP's meanings, reference §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM / SIGINT: close sessions with a Cease NOTIFICATION and exit 0.
    Term,
    /// SIGHUP: same as Term (ExaBGP does not reload on HUP).
    Hup,
    /// SIGUSR1: the driver re-reads the configuration and sends `Input::Reload`; the signal itself
    /// only forwards a `signal` event to interested processes.
    Usr1,
    /// SIGUSR2: reload and restart the helper processes (the driver sends `Input::Reload` too).
    Usr2,
    /// SIGALRM: restart every peer.
    Alrm,
}

/// Everything that can happen to the speaker.
#[derive(Debug)]
pub enum Input {
    /// A deadline passed (or the driver just wants the speaker to make progress).
    Tick,
    /// An outgoing connection we asked for is up.
    Connected {
        conn: ConnId,
        local: SocketAddr,
        remote: SocketAddr,
    },
    /// An outgoing connection we asked for failed.
    ConnectFailed { conn: ConnId, error: String },
    /// An incoming connection; the speaker matches it to a neighbor or closes it.
    Accepted {
        conn: ConnId,
        local: SocketAddr,
        remote: SocketAddr,
    },
    /// Raw stream bytes read from a connection, in any chunking.
    Received { conn: ConnId, data: bytes::Bytes },
    /// The connection is gone (EOF, reset, or after our `Close`).
    Closed { conn: ConnId, error: Option<String> },
    /// The driver's send queue for `conn` drained to its low mark (see the crate docs).
    SendBufferLow { conn: ConnId },
    /// A process we asked to spawn runs.
    ProcessStarted { process: ProcessId, pid: u32 },
    /// A process could not be started.
    ProcessSpawnFailed { process: ProcessId, error: String },
    /// One line (without its newline) read from a process's stdout.
    ProcessLine { process: ProcessId, line: String },
    /// A process exited (status `None` when killed by a signal).
    ProcessExited {
        process: ProcessId,
        status: Option<i32>,
    },
    /// The driver's stdin queue for the process drained to its low mark.
    ProcessWritable { process: ProcessId },
    /// A signal arrived.
    Signal(Signal),
    /// The configuration was re-read (SIGUSR1/SIGUSR2, or `reload` from a process).
    Reload { config: Config },
}

/// Levels of the speaker's log lines. The speaker logs through `tracing` only (there is no
/// log output for the driver to repeat: each line is written once, by the subscriber the
/// program installed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogLevel {
    Info,
    Warning,
    Error,
}

/// Everything the speaker asks the driver to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Listen for BGP connections on this address, with the TCP MD5 keys (RFC 2385) and
    /// minimum TTLs (GTSM, RFC 5082) of the configured neighbors that may connect to it (an
    /// MD5 key must be on the listening socket before the peer's SYN arrives).
    Listen {
        addr: SocketAddr,
        peers: Vec<ListenPeer>,
    },
    /// Open a TCP connection; answer with `Connected` or `ConnectFailed` for `conn`.
    Connect {
        conn: ConnId,
        remote: SocketAddr,
        local: Option<IpAddr>,
        md5: Option<String>,
        ttl: Option<u8>,
    },
    /// Queue these bytes on the connection.
    Send { conn: ConnId, data: bytes::Bytes },
    /// Close the connection after flushing what was queued on it; answer with `Closed`.
    Close { conn: ConnId },
    /// Stop reading from the connection (a process it feeds is not keeping up).
    PauseReading { conn: ConnId },
    /// Read from the connection again.
    ResumeReading { conn: ConnId },
    /// Start a helper process (no shell). Answer with `ProcessStarted` or `ProcessSpawnFailed`.
    Spawn {
        process: ProcessId,
        name: String,
        argv: Vec<String>,
        cwd: PathBuf,
    },
    /// Queue bytes on the process's stdin.
    WriteProcess {
        process: ProcessId,
        data: bytes::Bytes,
    },
    /// Stop reading the process's stdout (its acks are not being read).
    PauseProcess { process: ProcessId },
    /// Read the process's stdout again.
    ResumeProcess { process: ProcessId },
    /// Close the process's stdin (it should exit).
    CloseProcessStdin { process: ProcessId },
    /// Kill the process (SIGTERM then SIGKILL is the driver's choice).
    KillProcess { process: ProcessId },
    /// Re-read the configuration (the `reload` API command) and answer with `Input::Reload`;
    /// when it cannot be read, keep running on the current one (ExaBGP).
    Reload,
    /// Shutdown finished; exit the program with this code.
    Exit { code: i32 },
}

/// What a listening socket must know about one neighbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenPeer {
    pub peer: IpAddr,
    /// `md5-password`.
    pub md5: Option<String>,
    /// `incoming-ttl`.
    pub min_ttl: Option<u8>,
}

/// Errors building a speaker.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("neighbor {neighbor}: {reason}")]
    Neighbor { neighbor: IpAddr, reason: String },
    #[error("process {name}: {reason}")]
    Process { name: String, reason: String },
    #[error("route {route}: {reason}")]
    Route { route: String, reason: String },
}
