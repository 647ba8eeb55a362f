//! The speaker: neighbors, sessions, processes. See the crate docs for the contract.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};

use ferrobgp_wire::model::{Notification, Open, SessionContext};
use ferrobgp_wire::{Family, Message, UpdateBuilder};

use crate::events::{self, Direction, Event};
use crate::outbound::{self, notification as notify, PeerRules};
use crate::rib::{
    AdjRibIn, AdjRibOut, Attrs, Change, Interner, Queued, RouteKey, RouteMap, RouteSpec,
};
use crate::setup::{Config, Encoder, Environment, NeighborConfig, ProcessConfig};
use crate::{
    ConnId, CoreError, Input, LogLevel, Output, ProcessId, Signal, PROCESS_QUEUE_HIGH,
    PROCESS_QUEUE_LOW, PROCESS_WINDOW, SEND_WINDOW, SHUTDOWN_GRACE, UPDATE_BATCH_BYTES,
};
use ferrobgp_api::{AckState, Command, Encoding, NeighborIdentity, RouteRequest, Targets};

/// RFC 4271 §8 states, as ExaBGP names them in `fsm` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

/// What both OPENs agreed on.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    families: Vec<Family>,
    peer_as: u32,
    hold_time: u16,
    enhanced_refresh: bool,
    /// Both sides sent the link-local next hop capability (code 77).
    link_local_nexthop: bool,
    /// Both sides sent ExaBGP's operational capability (code 185): OPERATIONAL messages
    /// (type 6) may be sent and are read.
    operational: bool,
    /// wire's view of the capability exchange (ASN4, extended message, ADD-PATH, RFC 8950).
    ctx: SessionContext,
}

#[derive(Debug)]
struct Session {
    conn: ConnId,
    state: State,
    local: Option<SocketAddr>,
    rx: BytesMut,
    peer_open: Option<Open>,
    neg: Option<Negotiated>,
    hold_deadline: Option<Instant>,
    keepalive_at: Option<Instant>,
    /// UPDATE bytes handed to the driver since its last `SendBufferLow`.
    in_flight: usize,
    /// Processes whose full queues hold this connection's reading paused.
    blocked_by: HashSet<ProcessId>,
    /// When the session became Established (`show neighbor`).
    up_since: Option<Instant>,
    /// Messages sent and received on this session by type (OPEN … OPERATIONAL), for
    /// `show neighbor` (ExaBGP's per-connection statistics).
    sent: [u64; 7],
    received: [u64; 7],
    /// What the `negotiated` event said, kept for the `update` and `packets` events, which
    /// repeat it when an api block asks for `negotiated` (ExaBGP 5.0.15's json.py).
    neg_info: Option<std::sync::Arc<events::NegotiatedInfo>>,
}

impl Session {
    fn new(conn: ConnId, state: State) -> Session {
        Session {
            conn,
            state,
            local: None,
            rx: BytesMut::new(),
            peer_open: None,
            neg: None,
            hold_deadline: None,
            keepalive_at: None,
            in_flight: 0,
            blocked_by: HashSet::new(),
            up_since: None,
            sent: [0; 7],
            received: [0; 7],
            neg_info: None,
        }
    }
}

struct Neighbor {
    cfg: NeighborConfig,
    sessions: Vec<Session>,
    attempts: u32,
    retry_at: Option<Instant>,
    backoff: Duration,
    rib: AdjRibOut,
    /// What the peer sent (`adj-rib-in true`), for `show adj-rib in`.
    rib_in: AdjRibIn,
    /// `auto-flush false`: API changes made while the session is Established, in order, held
    /// until `flush adj-rib out`.
    held: Vec<Change>,
    /// Routes that came from the configuration, for reload diffing.
    config_routes: RouteMap,
    /// Watchdog name → routes it controls, and whether it is announced.
    watchdogs: HashMap<String, (bool, Vec<(RouteKey, Attrs)>)>,
    counter: u64,
    /// When the neighbor was configured, and when its last session or attempt ended
    /// (ExaBGP's `creation` and `reset`: `show neighbor extensive` shows `down for` their
    /// difference).
    created: Instant,
    last_reset: Instant,
    /// `announce operational` messages (encoded) waiting for an Established session that
    /// negotiated the operational capability; ExaBGP queues them too (`neighbor.messages`).
    operational_queue: VecDeque<Bytes>,
    /// The last ASM announced per family: ExaBGP sends it again on every new session.
    last_asm: Vec<(Family, Bytes)>,
    /// The time of this neighbor's live entry in `Speaker::timers`: at or before its
    /// `deadline` (see `Speaker::settle`).
    scheduled: Option<Instant>,
    /// In `Speaker::touched`.
    touched: bool,
}

impl Neighbor {
    /// A change an API command makes to this neighbor's Adj-RIB-Out. With `auto-flush false`
    /// and the session Established it waits for `flush adj-rib out` (ExaBGP 3.4's auto-flush:
    /// the routes are taken, and sent when the process says so). While the session is down
    /// there is nothing to hold back: the change goes into the table the next session gets.
    fn api_change(&mut self, c: Change) {
        if !self.cfg.auto_flush && self.rib.is_live() {
            self.held.push(c);
        } else {
            self.rib.apply(c);
        }
    }

    /// `flush adj-rib out`, or the session went down: the held changes go to the RIB, in order.
    fn release_held(&mut self) {
        for c in std::mem::take(&mut self.held) {
            self.rib.apply(c);
        }
    }

    /// The Established session is gone: nothing is queued for it any more; held changes join
    /// the table the next session gets; what the peer sent is void.
    fn session_down(&mut self) {
        self.rib.session_down();
        self.release_held();
        self.rib_in.clear();
    }

    /// Before the initial table is queued: with `adj-rib-out false` the routes sent on an
    /// earlier session were forgotten, so the configuration's routes (those a withdrawn
    /// watchdog does not hold back) are installed again, unless an API change for the same
    /// NLRI is still waiting. API routes that were sent are not known any more, so they are not
    /// sent again (ExaBGP: "if the session goes down, the routes will not be re-sent").
    fn restore_config_routes(&mut self) {
        if !self.rib.take_forgotten() {
            return;
        }
        let held_back: HashSet<&RouteKey> = self
            .watchdogs
            .values()
            .filter(|(up, _)| !up)
            .flat_map(|(_, routes)| routes.iter().map(|(k, _)| k))
            .collect();
        for (k, a) in self.config_routes.iter() {
            if !held_back.contains(&k) && self.rib.get(&k).is_none() {
                self.rib.announce(k, a.clone());
            }
        }
    }

    /// The earliest of its connect-retry, hold and keepalive deadlines, and of the instant a
    /// session that has UPDATEs to send may start sending, when that is still to come.
    fn deadline(&self, now: Instant) -> Option<Instant> {
        let mut d = self.retry_at;
        let work = self.rib.has_work();
        for s in &self.sessions {
            let start = (work && s.state == State::Established && s.in_flight < SEND_WINDOW)
                .then(|| sending_from(s, now))
                .filter(|&t| t > now);
            for t in [s.hold_deadline, s.keepalive_at, start]
                .into_iter()
                .flatten()
            {
                d = Some(d.map_or(t, |x| x.min(t)));
            }
        }
        d
    }

    /// Whether a session can send UPDATEs now (Established, past its initial delay, room in
    /// its send window) and the Adj-RIB-Out has some: it belongs in `Speaker::sending`.
    fn ready_to_send(&self, now: Instant) -> bool {
        self.rib.has_work()
            && self.sessions.iter().any(|s| {
                s.state == State::Established
                    && s.in_flight < SEND_WINDOW
                    && now >= sending_from(s, now)
            })
    }
}

struct Process {
    cfg: ProcessConfig,
    running: bool,
    starts: VecDeque<Instant>,
    queue: VecDeque<Bytes>,
    queued: usize,
    written: usize,
    ack: AckState,
    congested: bool,
    given_up: bool,
    /// SIGUSR2 asked for a restart: when it exits, start it again whatever the respawn rules.
    restart: bool,
}

/// A control-channel client (`ferrobgp cli`): see [`ProcessId::control`].
struct Control {
    ack: AckState,
}

/// Where a command came from: a configured process (its index) or a control client.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Process(usize),
    Control(ProcessId),
}

struct Shutdown {
    code: i32,
    deadline: Instant,
    killed: bool,
}

/// All protocol state of one BGP speaker; no I/O, no clock. See the crate docs.
pub struct Speaker {
    env: Environment,
    config_dir: std::path::PathBuf,
    neighbors: Vec<Neighbor>,
    conns: HashMap<ConnId, usize>,
    processes: Vec<Process>,
    controls: HashMap<ProcessId, Control>,
    interner: Interner,
    outputs: VecDeque<Output>,
    next_conn: u64,
    now: Instant,
    started: Instant,
    wall_start: f64,
    shutdown: Option<Shutdown>,
    exited: bool,
    /// Neighbors' timer deadlines, earliest first: (when, neighbor index). An entry is live
    /// while it equals the neighbor's `scheduled`; others are stale and skipped. A neighbor's
    /// deadline that moved later keeps its earlier entry (a hold timer restarted on every
    /// message pushes nothing); when that entry comes due or reaches the top the neighbor is
    /// looked at and rescheduled, so the top is always exact (`repair_timers`).
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The neighbors that can send UPDATEs now (`Neighbor::ready_to_send`). One waiting for
    /// its session's initial delay has that instant in `timers`; one whose send window is full
    /// is touched by its `SendBufferLow`.
    sending: BTreeSet<usize>,
    /// Neighbors an input touched since the last `settle` (their timers or their work may
    /// have changed); `touch_all` stands for every neighbor.
    touched: Vec<usize>,
    touch_all: bool,
    /// The message being reported while its neighbor `consolidate`s (ExaBGP's
    /// reactor/protocol.py): parsed events then carry its header and body.
    consolidating: Option<(Direction, Bytes)>,
}

const RESPAWN_WINDOW: Duration = Duration::from_secs(64);
const RESPAWN_MAX: usize = 5;
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// ExaBGP's operational capability code.
const OPERATIONAL_CAPABILITY: u8 = 185;
/// `announce operational` messages kept per neighbor while no session can carry them; more
/// are refused (answered `error`) rather than held without bound.
const OPERATIONAL_QUEUE_MAX: usize = 1024;

/// How long after a session is Established the first UPDATE (or End-of-RIB) waits. The
/// peer's own first messages (its End-of-RIB, a ROUTE-REFRESH, or an error) usually arrive
/// right behind the KEEPALIVE that completes the handshake; reading them before answering
/// makes the order of what we send independent of how the kernel split those reads (an
/// advertisement pacing in the spirit of RFC 4271 §9.2.1.1, far below its MRAI).
const INITIAL_UPDATE_DELAY: Duration = Duration::from_millis(20);

/// When an Established session may send UPDATEs (`now` if it has no start time).
fn sending_from(s: &Session, now: Instant) -> Instant {
    s.up_since.map_or(now, |t| t + INITIAL_UPDATE_DELAY)
}

impl Speaker {
    /// Build the speaker; its first outputs (Listen, Spawn, Connect) are ready at once.
    pub fn new(config: Config, env: Environment, now: Instant) -> Result<Self, CoreError> {
        let wall_start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut s = Speaker {
            env,
            config_dir: config.config_dir.clone(),
            neighbors: Vec::new(),
            conns: HashMap::new(),
            processes: Vec::new(),
            controls: HashMap::new(),
            interner: Interner::default(),
            outputs: VecDeque::new(),
            next_conn: 0,
            now,
            started: now,
            wall_start,
            shutdown: None,
            exited: false,
            timers: BinaryHeap::new(),
            sending: BTreeSet::new(),
            touched: Vec::new(),
            touch_all: true,
            consolidating: None,
        };
        for p in &config.processes {
            if s.processes.iter().any(|q| q.cfg.name == p.name) {
                return Err(CoreError::Process {
                    name: p.name.clone(),
                    reason: "defined twice".into(),
                });
            }
            s.add_process(p.clone());
        }
        for n in &config.neighbors {
            for api in &n.api {
                for p in &api.processes {
                    if !s.processes.iter().any(|q| &q.cfg.name == p) {
                        return Err(CoreError::Neighbor {
                            neighbor: n.peer_address,
                            reason: format!("unknown process {p}"),
                        });
                    }
                }
            }
            s.add_neighbor(n.clone())?;
        }
        let mut listen: Vec<SocketAddr> = s
            .env
            .tcp_bind
            .iter()
            .map(|ip| SocketAddr::new(*ip, s.env.tcp_port))
            .collect();
        for n in &s.neighbors {
            if let Some(port) = n.cfg.listen {
                let ip = n
                    .cfg
                    .local_address
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                let a = SocketAddr::new(ip, port);
                if !listen.contains(&a) {
                    listen.push(a);
                }
            }
        }
        // Neighbors whose MD5 key or minimum TTL the listening sockets must carry (the
        // neighbors configured at start; one created or reloaded later that needs a key on a
        // listener is not covered).
        let peers: Vec<crate::ListenPeer> = s
            .neighbors
            .iter()
            .filter(|n| n.cfg.md5_password.is_some() || n.cfg.incoming_ttl.is_some())
            .map(|n| crate::ListenPeer {
                peer: n.cfg.peer_address,
                md5: n.cfg.md5_password.clone(),
                min_ttl: n.cfg.incoming_ttl,
            })
            .collect();
        for addr in listen {
            s.outputs.push_back(Output::Listen {
                addr,
                peers: peers.clone(),
            });
        }
        for i in 0..s.processes.len() {
            s.spawn(i);
        }
        s.run(now, false);
        Ok(s)
    }

    fn add_process(&mut self, cfg: ProcessConfig) {
        let ack = AckState::new(
            match cfg.encoder {
                Encoder::Json => Encoding::Json,
                Encoder::Text => Encoding::Text,
            },
            self.env.api_ack,
        );
        self.processes.push(Process {
            cfg,
            running: false,
            starts: VecDeque::new(),
            queue: VecDeque::new(),
            queued: 0,
            written: 0,
            ack,
            congested: false,
            given_up: false,
            restart: false,
        });
    }

    fn add_neighbor(&mut self, cfg: NeighborConfig) -> Result<(), CoreError> {
        let passive = cfg.passive || self.env.bgp_passive;
        let mut n = Neighbor {
            cfg,
            sessions: Vec::new(),
            attempts: 0,
            retry_at: if passive { None } else { Some(self.now) },
            backoff: RETRY_MIN,
            rib: AdjRibOut::default(),
            rib_in: AdjRibIn::default(),
            held: Vec::new(),
            config_routes: RouteMap::new(),
            watchdogs: HashMap::new(),
            counter: 0,
            created: self.now,
            last_reset: self.now,
            operational_queue: VecDeque::new(),
            last_asm: Vec::new(),
            scheduled: None,
            touched: false,
        };
        // Sized once for the whole table; the routes are taken out of the config while they
        // are installed rather than cloned (1M routes: 72 MB).
        let count: usize = n.cfg.routes.iter().map(|r| r.nlris.len()).sum();
        n.rib.forget_sent(!n.cfg.adj_rib_out);
        n.rib.reserve(count);
        n.config_routes = RouteMap::with_capacity(count);
        let routes = std::mem::take(&mut n.cfg.routes);
        for r in &routes {
            self.install_config_route(&mut n, r);
        }
        n.cfg.routes = routes;
        // The configuration's `operational { … }` messages wait for the first session, as
        // the API's do (ExaBGP's configuration/neighbor: ASMs kept per family, the others
        // queued in `neighbor.messages`), for the families and capability configured.
        if n.cfg.capability.operational {
            for m in &n.cfg.operational {
                if !n.cfg.families.contains(&m.family) {
                    continue;
                }
                let Some(data) = outbound::operational(m, n.cfg.router_id) else {
                    continue;
                };
                if m.kind == ferrobgp_api::OperationalKind::Asm {
                    n.last_asm.retain(|(f, _)| *f != m.family);
                    n.last_asm.push((m.family, data));
                } else if n.operational_queue.len() < OPERATIONAL_QUEUE_MAX {
                    n.operational_queue.push_back(data);
                }
            }
        }
        self.neighbors.push(n);
        self.touch(self.neighbors.len() - 1);
        Ok(())
    }

    fn install_config_route(&mut self, n: &mut Neighbor, r: &RouteSpec) {
        let attrs = self.interner.intern(r.attrs.clone());
        for k in &r.nlris {
            if let Some(w) = &r.watchdog {
                let e = n
                    .watchdogs
                    .entry(w.clone())
                    .or_insert((!r.withdraw, Vec::new()));
                e.1.push((k.clone(), attrs.clone()));
                if !e.0 {
                    continue;
                }
            } else if r.withdraw {
                continue;
            }
            n.config_routes.insert(k.clone(), attrs.clone());
            n.rib.announce(k.clone(), attrs.clone());
        }
    }

    // ------------------------------------------------------------------ driver interface

    /// Feed one input; then drain `poll_output()`.
    pub fn handle(&mut self, now: Instant, input: Input) {
        if self.exited {
            return;
        }
        let from_process = matches!(input, Input::ProcessLine { .. });
        self.now = now;
        match input {
            Input::Tick => {}
            Input::Connected {
                conn,
                local,
                remote: _,
            } => self.on_connected(conn, local),
            Input::ConnectFailed { conn, error } => {
                self.on_conn_gone(conn, &format!("connect failed: {error}"))
            }
            Input::Accepted {
                conn,
                local,
                remote,
            } => self.on_accepted(conn, local, remote),
            Input::Received { conn, data } => self.on_received(conn, data),
            Input::Closed { conn, error } => {
                self.on_conn_gone(conn, &error.unwrap_or_else(|| "connection closed".into()))
            }
            Input::SendBufferLow { conn } => {
                if let Some((n, s)) = self.session_of(conn) {
                    self.neighbors[n].sessions[s].in_flight = 0;
                    self.touch(n);
                }
            }
            Input::ProcessStarted { process, .. } if process.is_control() => {
                self.control_started(process);
            }
            Input::ProcessStarted { process, pid } => {
                if let Some(p) = self.processes.get_mut(process.0 as usize) {
                    p.running = true;
                    tracing::info!(process = %p.cfg.name, pid, "process started");
                }
            }
            Input::ProcessSpawnFailed { process, error } => {
                self.log(
                    LogLevel::Error,
                    format!("process {}: could not start: {error}", process.0),
                );
                self.on_process_exit(process.0 as usize);
            }
            Input::ProcessLine { process, line } if process.is_control() => {
                self.control_started(process);
                self.on_line(Origin::Control(process), &line)
            }
            Input::ProcessLine { process, line } => {
                if (process.0 as usize) < self.processes.len() {
                    self.on_line(Origin::Process(process.0 as usize), &line)
                }
            }
            Input::ProcessExited { process, .. } if process.is_control() => {
                self.controls.remove(&process);
            }
            Input::ProcessExited { process, status } => {
                tracing::info!(process = process.0, ?status, "process exited");
                self.on_process_exit(process.0 as usize)
            }
            Input::ProcessWritable { process } => {
                if let Some(p) = self.processes.get_mut(process.0 as usize) {
                    p.written = 0;
                }
            }
            Input::Signal(sig) => self.on_signal(sig),
            Input::Reload { config } => self.reload(config),
        }
        // ExaBGP applies every command a read brought before its peers run, so a batch like
        // `announce …` + `clear adj-rib out` sends nothing (api-rib.ci). The UPDATEs wait for
        // the Tick the driver gives at the end of its iteration (`next_deadline()` is now while
        // there is work).
        self.run(now, from_process);
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the speaker next wants `Input::Tick`.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.exited {
            return None;
        }
        let mut d: Option<Instant> = None;
        let mut take = |t: Option<Instant>| {
            if let Some(t) = t {
                d = Some(d.map_or(t, |x| x.min(t)));
            }
        };
        // The top of the heap is the earliest deadline of all neighbors (`repair_timers`);
        // a neighbor that can send now wants a Tick now.
        take(self.timers.peek().map(|Reverse((t, _))| *t));
        if !self.sending.is_empty() {
            take(Some(self.now));
        }
        if let Some(sd) = &self.shutdown {
            take(Some(sd.deadline));
        }
        d
    }

    /// The state of the neighbor with this peer address (for tests and `show`).
    pub fn neighbor_state(&self, peer: IpAddr) -> Option<State> {
        let n = self.neighbors.iter().find(|n| n.cfg.peer_address == peer)?;
        Some(Self::state_of(n))
    }

    /// Routes in a neighbor's Adj-RIB-Out.
    pub fn adj_rib_out_len(&self, peer: IpAddr) -> usize {
        self.neighbors
            .iter()
            .find(|n| n.cfg.peer_address == peer)
            .map_or(0, |n| n.rib.len())
    }

    /// Bytes queued inside the speaker for a process (not yet handed to the driver).
    pub fn process_queued_bytes(&self, process: ProcessId) -> usize {
        self.processes
            .get(process.0 as usize)
            .map_or(0, |p| p.queued)
    }

    fn state_of(n: &Neighbor) -> State {
        let rank = |s: State| match s {
            State::Established => 5,
            State::OpenConfirm => 4,
            State::OpenSent => 3,
            State::Connect => 2,
            State::Active => 1,
            State::Idle => 0,
        };
        n.sessions
            .iter()
            .map(|s| s.state)
            .max_by_key(|s| rank(*s))
            .unwrap_or(if n.cfg.passive {
                State::Active
            } else {
                State::Idle
            })
    }

    // ------------------------------------------------------------------ helpers

    fn log(&mut self, level: LogLevel, message: String) {
        match level {
            LogLevel::Info => tracing::info!("{message}"),
            LogLevel::Warning => tracing::warn!("{message}"),
            LogLevel::Error => tracing::error!("{message}"),
        }
    }

    fn session_of(&self, conn: ConnId) -> Option<(usize, usize)> {
        let n = *self.conns.get(&conn)?;
        let s = self.neighbors[n]
            .sessions
            .iter()
            .position(|s| s.conn == conn)?;
        Some((n, s))
    }

    fn send(&mut self, conn: ConnId, data: Bytes) {
        if let Some((n, s)) = self.session_of(conn) {
            let sess = &mut self.neighbors[n].sessions[s];
            for_each_message(&data, |m| {
                if let Some(c) = sess.sent.get_mut(m[18] as usize) {
                    *c += 1;
                }
            });
            self.sent_messages(n, Some(s), &data);
        }
        self.outputs.push_back(Output::Send { conn, data });
    }

    fn neighbor_info(&self, n: usize, s: Option<usize>) -> events::NeighborInfo {
        let nb = &self.neighbors[n];
        let local = s
            .and_then(|s| nb.sessions.get(s).and_then(|x| x.local.map(|a| a.ip())))
            .or(nb.cfg.local_address)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        events::NeighborInfo {
            local_address: local,
            peer_address: nb.cfg.peer_address,
            local_as: nb.cfg.local_as,
            peer_as: nb.cfg.peer_as,
            router_id: Some(nb.cfg.router_id),
        }
    }

    /// Queue an event for every process whose api block on this neighbor asks for it,
    /// rendered by `ferrobgp_api` with each process's encoder.
    fn emit(
        &mut self,
        n: usize,
        s: Option<usize>,
        want: impl Fn(&crate::setup::ApiConfig) -> bool,
        event: Event<'_>,
    ) {
        let mut targets: Vec<usize> = Vec::new();
        for api in &self.neighbors[n].cfg.api {
            if !want(api) {
                continue;
            }
            for name in &api.processes {
                if let Some(i) = self.processes.iter().position(|p| &p.cfg.name == name) {
                    if !targets.contains(&i) {
                        targets.push(i);
                    }
                }
            }
        }
        if targets.is_empty() {
            return;
        }
        self.neighbors[n].counter += 1;
        let neighbor = self.neighbor_info(n, s);
        let time = self.wall_start + self.now.duration_since(self.started).as_secs_f64();
        let daemon = events::DaemonInfo {
            version: self.env.json_version.clone(),
            host: self.env.host.clone(),
            pid: std::process::id(),
            ppid: self.env.ppid,
        };
        let neg_info = match event {
            Event::Update { .. } | Event::Packets { .. } => s
                .and_then(|s| self.neighbors[n].sessions.get(s))
                .and_then(|x| x.neg_info.clone()),
            _ => None,
        };
        let ctx = events::EventContext {
            daemon: &daemon,
            time,
            counter: self.neighbors[n].counter,
            neighbor: &neighbor,
            negotiated: neg_info.as_deref(),
        };
        let held = self.consolidating.clone();
        let event = match &held {
            Some((d, m)) => with_raw(
                event,
                *d,
                events::RawMessage {
                    header: &m[..19],
                    body: &m[19..],
                },
            ),
            None => event,
        };
        let mut cache: [Option<Bytes>; 2] = [None, None];
        for i in targets {
            let enc = match self.processes[i].cfg.encoder {
                Encoder::Json => events::Encoding::Json,
                Encoder::Text => events::Encoding::Text,
            };
            let slot = if enc == events::Encoding::Json { 0 } else { 1 };
            let line = cache[slot]
                .get_or_insert_with(|| Bytes::from(events::encode(enc, &ctx, &event)))
                .clone();
            if !line.is_empty() {
                self.queue_process(i, line);
            }
        }
    }

    fn queue_process(&mut self, i: usize, data: Bytes) {
        let p = &mut self.processes[i];
        if !p.running && p.given_up {
            return;
        }
        p.queued += data.len();
        p.queue.push_back(data);
        if p.queued > PROCESS_QUEUE_HIGH && !p.congested {
            p.congested = true;
            let id = ProcessId(i as u32);
            self.outputs.push_back(Output::PauseProcess { process: id });
            self.log(
                LogLevel::Warning,
                format!(
                    "process {} is not reading its events: pausing its sources",
                    p_name(&self.processes[i])
                ),
            );
            let name = self.processes[i].cfg.name.clone();
            for n in 0..self.neighbors.len() {
                if !self.neighbors[n]
                    .cfg
                    .api
                    .iter()
                    .any(|a| a.processes.contains(&name))
                {
                    continue;
                }
                self.touch(n);
                for s in &mut self.neighbors[n].sessions {
                    if s.blocked_by.is_empty() {
                        self.outputs
                            .push_back(Output::PauseReading { conn: s.conn });
                        // We are not reading what the peer sends: not its fault, suspend the hold timer.
                        s.hold_deadline = None;
                    }
                    s.blocked_by.insert(id);
                }
            }
        }
    }

    fn flush_processes(&mut self) {
        for i in 0..self.processes.len() {
            let id = ProcessId(i as u32);
            let p = &mut self.processes[i];
            if !p.running {
                continue;
            }
            let mut batch = BytesMut::new();
            while p.written < PROCESS_WINDOW {
                let Some(d) = p.queue.pop_front() else { break };
                p.queued -= d.len();
                p.written += d.len();
                batch.extend_from_slice(&d);
            }
            if !batch.is_empty() {
                self.outputs.push_back(Output::WriteProcess {
                    process: id,
                    data: batch.freeze(),
                });
            }
            if self.processes[i].congested && self.processes[i].queued <= PROCESS_QUEUE_LOW {
                self.uncongest(i);
            }
        }
    }

    fn uncongest(&mut self, i: usize) {
        let id = ProcessId(i as u32);
        self.processes[i].congested = false;
        self.outputs
            .push_back(Output::ResumeProcess { process: id });
        let now = self.now;
        for n in 0..self.neighbors.len() {
            let neg_hold: Vec<Option<u16>> = self.neighbors[n]
                .sessions
                .iter()
                .map(|s| s.neg.as_ref().map(|g| g.hold_time))
                .collect();
            let open_wait = self.env.open_wait;
            let mut resumed = false;
            for (s, hold) in self.neighbors[n].sessions.iter_mut().zip(neg_hold) {
                if s.blocked_by.remove(&id) && s.blocked_by.is_empty() {
                    resumed = true;
                    self.outputs
                        .push_back(Output::ResumeReading { conn: s.conn });
                    let h = hold.unwrap_or(open_wait);
                    if h > 0 {
                        s.hold_deadline = Some(now + Duration::from_secs(h as u64));
                    }
                }
            }
            if resumed {
                self.touch(n);
            }
        }
    }

    // ------------------------------------------------------------------ connections

    fn connect(&mut self, n: usize) {
        self.touch(n);
        self.next_conn += 1;
        let conn = ConnId::outgoing(self.next_conn);
        let nb = &mut self.neighbors[n];
        nb.attempts += 1;
        nb.retry_at = None;
        let port = nb.cfg.connect.unwrap_or(self.env.tcp_port);
        let out = Output::Connect {
            conn,
            remote: SocketAddr::new(nb.cfg.peer_address, port),
            local: nb.cfg.local_address,
            md5: nb.cfg.md5_password.clone(),
            ttl: nb.cfg.outgoing_ttl,
        };
        nb.sessions.push(Session::new(conn, State::Connect));
        self.conns.insert(conn, n);
        self.outputs.push_back(out);
        let s = self.neighbors[n].sessions.len() - 1;
        self.fsm(n, Some(s), State::Connect);
    }

    fn on_connected(&mut self, conn: ConnId, local: SocketAddr) {
        let Some((n, s)) = self.session_of(conn) else {
            self.outputs.push_back(Output::Close { conn });
            return;
        };
        self.touch(n);
        self.neighbors[n].sessions[s].local = Some(local);
        self.emit(n, Some(s), |a| a.neighbor_changes, Event::Connected);
        self.send_open(n, s);
    }

    fn on_accepted(&mut self, conn: ConnId, local: SocketAddr, remote: SocketAddr) {
        let canon = |ip: IpAddr| match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            ip => ip,
        };
        let (lip, rip) = (canon(local.ip()), canon(remote.ip()));
        let found = self.neighbors.iter().position(|nb| {
            nb.cfg.peer_address == rip && nb.cfg.local_address.is_none_or(|l| l == lip)
        });
        let Some(n) = found else {
            self.log(
                LogLevel::Info,
                format!("closing connection from {remote}: no neighbor configured"),
            );
            self.outputs.push_back(Output::Close { conn });
            return;
        };
        self.touch(n);
        if self.shutdown.is_some()
            || self.neighbors[n]
                .sessions
                .iter()
                .any(|s| s.state == State::Established)
        {
            // §6.8: a connection colliding with an Established session is closed.
            self.send(conn, outbound::encode_notification(&notify(6, 7)));
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        let mut sess = Session::new(conn, State::Active);
        sess.local = Some(SocketAddr::new(lip, local.port()));
        self.neighbors[n].sessions.push(sess);
        self.conns.insert(conn, n);
        let s = self.neighbors[n].sessions.len() - 1;
        self.emit(n, Some(s), |a| a.neighbor_changes, Event::Connected);
        self.send_open(n, s);
    }

    fn build_open(&self, cfg: &NeighborConfig) -> Open {
        outbound::build_open(cfg, &self.env.software_version)
    }

    fn send_open(&mut self, n: usize, s: usize) {
        self.touch(n);
        let open = outbound::encode_open(&self.build_open(&self.neighbors[n].cfg));
        let wait = self.env.open_wait;
        let now = self.now;
        let sess = &mut self.neighbors[n].sessions[s];
        sess.state = State::OpenSent;
        sess.hold_deadline = (wait > 0).then(|| now + Duration::from_secs(wait as u64));
        let conn = sess.conn;
        self.send(conn, open);
        self.fsm(n, Some(s), State::OpenSent);
    }

    /// An `fsm` event for processes that asked for them.
    fn fsm(&mut self, n: usize, s: Option<usize>, state: State) {
        let state = match state {
            State::Idle => events::FsmState::Idle,
            State::Connect => events::FsmState::Connect,
            State::Active => events::FsmState::Active,
            State::OpenSent => events::FsmState::OpenSent,
            State::OpenConfirm => events::FsmState::OpenConfirm,
            State::Established => events::FsmState::Established,
        };
        self.emit(n, s, |a| a.fsm, Event::Fsm { state });
    }

    /// The `negotiated` event: what both OPENs agreed on.
    fn negotiated_event(&mut self, n: usize, s: usize) {
        if !self.neighbors[n].cfg.api.iter().any(|a| a.negotiated) {
            return;
        }
        let sess = &self.neighbors[n].sessions[s];
        let (Some(g), Some(peer)) = (&sess.neg, &sess.peer_open) else {
            return;
        };
        let ours = self.build_open(&self.neighbors[n].cfg);
        let both = |code: u8| {
            outbound::has_capability(&ours, code) && outbound::has_capability(peer, code)
        };
        let info = events::NegotiatedInfo {
            message_size: g.ctx.max_message_len() as u32,
            hold_time: g.hold_time,
            asn4: g.ctx.asn4,
            multisession: both(68),
            operational: both(185),
            refresh: if g.enhanced_refresh {
                events::RefreshMode::Enhanced
            } else if both(2) {
                events::RefreshMode::Normal
            } else {
                events::RefreshMode::Absent
            },
            families: g.families.clone(),
            nexthop: g
                .ctx
                .extended_next_hop
                .iter()
                .map(|(f, a)| (*f, a.to_string()))
                .collect(),
            add_path_send: g.ctx.add_path_send.clone(),
            add_path_receive: g.ctx.add_path_receive.clone(),
        };
        self.emit(n, Some(s), |a| a.negotiated, Event::Negotiated(&info));
        self.neighbors[n].sessions[s].neg_info = Some(std::sync::Arc::new(info));
    }

    /// Tear a session down: optional NOTIFICATION, Close, events, retry scheduling.
    fn close_session(&mut self, n: usize, s: usize, notify: Option<Notification>, reason: &str) {
        self.touch(n);
        if let Some(nt) = &notify {
            if matches!(
                self.neighbors[n].sessions[s].state,
                State::OpenSent | State::OpenConfirm | State::Established
            ) {
                let conn = self.neighbors[n].sessions[s].conn;
                self.send(conn, outbound::encode_notification(nt));
            }
        }
        let sess = self.neighbors[n].sessions.remove(s);
        self.conns.remove(&sess.conn);
        self.neighbors[n].last_reset = self.now;
        if sess.state != State::Connect {
            self.fsm(n, None, State::Idle);
        }
        if sess.state != State::Connect {
            self.outputs.push_back(Output::Close { conn: sess.conn });
        }
        if !sess.blocked_by.is_empty() {
            // Reading is moot now; the driver forgets the connection.
        }
        tracing::info!(peer = %self.neighbors[n].cfg.peer_address, reason, "session closed");
        if sess.state == State::Established {
            self.neighbors[n].session_down();
            self.emit(n, None, |a| a.neighbor_changes, Event::Down { reason });
        }
        self.schedule_retry(n);
    }

    fn schedule_retry(&mut self, n: usize) {
        self.touch(n);
        if self.shutdown.is_some() {
            return;
        }
        let limit = self.env.tcp_attempts;
        let nb = &mut self.neighbors[n];
        if !nb.sessions.is_empty() || nb.cfg.passive || self.env.bgp_passive {
            return;
        }
        if limit > 0 && nb.attempts >= limit {
            nb.retry_at = None;
            let peer = nb.cfg.peer_address;
            self.log(
                LogLevel::Info,
                format!("neighbor {peer}: giving up after {limit} connection attempt(s)"),
            );
            self.check_all_given_up();
            return;
        }
        nb.retry_at = Some(self.now + nb.backoff);
        nb.backoff = (nb.backoff * 2).min(RETRY_MAX);
    }

    /// ExaBGP exits once every active neighbor has used its `tcp.attempts`.
    fn check_all_given_up(&mut self) {
        let limit = self.env.tcp_attempts;
        if limit == 0 || self.shutdown.is_some() {
            return;
        }
        let done = self.neighbors.iter().all(|nb| {
            nb.sessions.is_empty()
                && nb.retry_at.is_none()
                && (nb.cfg.passive || nb.attempts >= limit)
        });
        if done && self.neighbors.iter().any(|nb| !nb.cfg.passive) {
            self.begin_shutdown(0);
        }
    }

    fn on_conn_gone(&mut self, conn: ConnId, reason: &str) {
        if let Some((n, s)) = self.session_of(conn) {
            self.touch(n);
            let was_connect = self.neighbors[n].sessions[s].state == State::Connect;
            let sess = self.neighbors[n].sessions.remove(s);
            self.conns.remove(&sess.conn);
            self.neighbors[n].last_reset = self.now;
            if sess.state == State::Established {
                self.neighbors[n].session_down();
                self.emit(n, None, |a| a.neighbor_changes, Event::Down { reason });
            }
            if !was_connect {
                tracing::info!(peer = %self.neighbors[n].cfg.peer_address, reason, "connection lost");
            }
            self.schedule_retry(n);
        }
    }

    // ------------------------------------------------------------------ messages

    fn on_received(&mut self, conn: ConnId, data: Bytes) {
        let Some((n, s)) = self.session_of(conn) else {
            return;
        };
        self.touch(n);
        self.neighbors[n].sessions[s].rx.extend_from_slice(&data);
        loop {
            let Some((n, s)) = self.session_of(conn) else {
                return;
            };
            let sess = &mut self.neighbors[n].sessions[s];
            let ctx = match &sess.neg {
                Some(g) if sess.state == State::Established => g.ctx.clone(),
                _ => SessionContext::default(),
            };
            match ferrobgp_wire::frame(&sess.rx, ctx.max_message_len()) {
                Ok(None) => return,
                Ok(Some(len)) => {
                    let m = sess.rx.split_to(len).freeze();
                    if m[18] == ferrobgp_wire::operational::MSG_TYPE
                        && !sess.neg.as_ref().is_some_and(|g| g.operational)
                    {
                        // OPERATIONAL is only read where its capability was negotiated;
                        // elsewhere type 6 is a type the session does not know (RFC 4271
                        // §6.1), answered as any other.
                        let nt = unknown_type_notification(m[18]);
                        self.close_session(n, s, Some(nt), "OPERATIONAL without the capability");
                        return;
                    }
                    // ExaBGP: with `consolidate` the parsed events carry the raw message.
                    self.consolidating = self
                        .consolidates(n, Direction::Receive)
                        .then(|| (Direction::Receive, m.clone()));
                    self.on_message(n, s, m, &ctx);
                    self.consolidating = None;
                }
                Err(e) => {
                    let head = sess.rx.split_to(sess.rx.len().min(19)).freeze();
                    let nt = match e.kind {
                        ferrobgp_wire::ErrorKind::BadMessageType(t) => {
                            Some(unknown_type_notification(t))
                        }
                        _ => e.notification(&head),
                    };
                    self.close_session(n, s, nt, "malformed message header");
                    return;
                }
            }
        }
    }

    fn reset_hold(&mut self, n: usize, s: usize) {
        self.touch(n);
        let now = self.now;
        let sess = &mut self.neighbors[n].sessions[s];
        if !sess.blocked_by.is_empty() {
            return;
        }
        if let Some(g) = &sess.neg {
            sess.hold_deadline =
                (g.hold_time > 0).then(|| now + Duration::from_secs(g.hold_time as u64));
        }
    }

    /// Whether an api block of neighbor `n` asked for `consolidate` in that direction.
    fn consolidates(&self, n: usize, direction: Direction) -> bool {
        self.neighbors[n].cfg.api.iter().any(|a| match direction {
            Direction::Receive => a.receive.consolidate,
            Direction::Send => a.send.consolidate,
        })
    }

    /// Tell processes that asked for `packets` about a message (either direction).
    fn emit_packets(&mut self, n: usize, s: Option<usize>, direction: Direction, m: &[u8]) {
        if m.len() < 19 || self.consolidates(n, direction) {
            return;
        }
        let want_receive = direction == Direction::Receive;
        let kind = m[18];
        self.emit(
            n,
            s,
            |a| {
                // ExaBGP (reactor/protocol.py): a packets event for the message types the
                // block asked for (`receive { packets; update; }`: UPDATEs only).
                let f = if want_receive { &a.receive } else { &a.send };
                f.packets
                    && match kind {
                        1 => f.open,
                        2 => f.update,
                        3 => f.notification,
                        4 => f.keepalive,
                        5 => f.refresh,
                        6 => f.operational,
                        _ => false,
                    }
            },
            Event::Packets {
                direction,
                category: m[18],
                raw: events::RawMessage {
                    header: &m[..19],
                    body: &m[19..],
                },
            },
        );
    }

    fn on_message(&mut self, n: usize, s: usize, m: Bytes, ctx: &SessionContext) {
        let state = self.neighbors[n].sessions[s].state;
        let kind = m[18];
        if let Some(c) = self.neighbors[n].sessions[s]
            .received
            .get_mut(kind as usize)
        {
            *c += 1;
        }
        self.emit_packets(n, Some(s), Direction::Receive, &m);
        if kind == ferrobgp_wire::operational::MSG_TYPE {
            return match state {
                State::Established => self.on_operational(n, s, &m),
                // RFC 4271 §8.2.2: only KEEPALIVE or NOTIFICATION is expected in OpenConfirm.
                State::OpenConfirm => self.close_session(
                    n,
                    s,
                    Some(notify(5, 2)),
                    "unexpected message in OpenConfirm",
                ),
                _ => self.close_session(n, s, Some(notify(5, 0)), "unexpected message"),
            };
        }
        let msg = match ferrobgp_wire::decode_message(m.clone(), ctx) {
            Ok(msg) => msg,
            Err(e) => {
                if kind == ferrobgp_wire::msg_type::NOTIFICATION {
                    return self.close_session(n, s, None, "malformed NOTIFICATION from peer");
                }
                let reason = format!("malformed message: {e}");
                return self.close_session(n, s, e.notification(&m), &reason);
            }
        };
        match (state, msg) {
            (_, Message::Notification(nt)) => {
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.notification,
                    Event::Notification {
                        direction: Direction::Receive,
                        notification: &nt,
                        raw: None,
                    },
                );
                let reason = format!(
                    "peer sent NOTIFICATION {} / {} ({}/{})",
                    nt.code_name(),
                    nt.subcode_name(),
                    nt.code,
                    nt.subcode
                );
                self.close_session(n, s, None, &reason);
            }
            (State::OpenSent, Message::Open(open)) => self.on_open(n, s, open),
            (State::OpenConfirm, Message::Keepalive) => {
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.keepalive,
                    Event::Keepalive {
                        direction: Direction::Receive,
                        raw: None,
                    },
                );
                self.established(n, s);
            }
            (State::Established, Message::Keepalive) => {
                self.reset_hold(n, s);
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.keepalive,
                    Event::Keepalive {
                        direction: Direction::Receive,
                        raw: None,
                    },
                );
            }
            (State::Established, Message::Update(view)) => {
                self.reset_hold(n, s);
                // RFC 7606: wire lists the problems with their action; the worst one decides.
                if let Some(e) = view
                    .problems()
                    .iter()
                    .find(|e| e.action == ferrobgp_wire::Action::SessionReset)
                {
                    let reason = format!("malformed UPDATE: {e}");
                    let nt = e.notification(&m);
                    return self.close_session(n, s, nt, &reason);
                }
                if !view.treat_as_withdraw() {
                    // The common case: written from the view, no owned copy of the routes.
                    self.emit(
                        n,
                        Some(s),
                        |a| a.receive.update,
                        Event::Update {
                            direction: Direction::Receive,
                            body: &events::UpdateViewBody(&view),
                            raw: None,
                        },
                    );
                    if self.neighbors[n].cfg.adj_rib_in {
                        self.store_received_view(n, &view);
                    }
                    return;
                }
                let mut u = view.to_update();
                tracing::warn!(peer = %self.neighbors[n].cfg.peer_address, "RFC 7606: UPDATE treated as withdraw");
                let a = std::mem::take(&mut u.announced);
                u.withdrawn.extend(a);
                u.attributes = Default::default();
                if self.neighbors[n].cfg.adj_rib_in {
                    self.store_received(n, &u);
                }
                let body = events::UpdateBody {
                    attributes: &u.attributes,
                    withdrawn: &u.withdrawn,
                    announced: &u.announced,
                    end_of_rib: u.end_of_rib,
                };
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.update,
                    Event::Update {
                        direction: Direction::Receive,
                        body: &body,
                        raw: None,
                    },
                );
            }
            (State::Established, Message::RouteRefresh(r)) => {
                self.reset_hold(n, s);
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.refresh,
                    Event::Refresh {
                        direction: Direction::Receive,
                        refresh: r,
                        raw: None,
                    },
                );
                if r.subtype == 0 {
                    self.refresh_family(n, s, r.family);
                }
            }
            (State::OpenSent, _) => {
                self.close_session(n, s, Some(notify(5, 1)), "unexpected message in OpenSent")
            }
            (State::OpenConfirm, _) => self.close_session(
                n,
                s,
                Some(notify(5, 2)),
                "unexpected message in OpenConfirm",
            ),
            (State::Established, _) => self.close_session(
                n,
                s,
                Some(notify(5, 3)),
                "unexpected message in Established",
            ),
            _ => self.close_session(n, s, Some(notify(5, 0)), "unexpected message"),
        }
    }

    /// An OPERATIONAL message on a session that negotiated it: reported to the processes
    /// that asked (`receive { operational; }`), as ExaBGP reports it. Types ExaBGP has no
    /// decoder for (NS, DUP, …) are ignored, as ExaBGP ignores them. A body too short for its
    /// type ends the session with a Bad Message Length NOTIFICATION (RFC 4271 §6.1: the
    /// length does not fit the type), the length field as data.
    fn on_operational(&mut self, n: usize, s: usize, m: &Bytes) {
        use ferrobgp_wire::operational::{OperationalData, OperationalMessage};
        self.reset_hold(n, s);
        let message = match OperationalMessage::decode(&m.slice(19..)) {
            Ok(message) => message,
            Err(e) => {
                let nt = Notification::new(1, 2, m.slice(16..18));
                return self.close_session(
                    n,
                    s,
                    Some(nt),
                    &format!("malformed OPERATIONAL: {e:?}"),
                );
            }
        };
        if let OperationalData::Other(_) = message.data {
            tracing::debug!(peer = %self.neighbors[n].cfg.peer_address, code = message.code, "OPERATIONAL of a type not reported, ignored");
            return;
        }
        self.emit(
            n,
            Some(s),
            |a| a.receive.operational,
            Event::Operational {
                direction: Direction::Receive,
                message: &message,
                raw: None,
            },
        );
    }

    /// A session came up: the last ASM of each family (ExaBGP re-announces it on every new
    /// session), then the `announce operational` messages queued while none was up, in
    /// order. Without the capability negotiated they cannot go (the peer would answer with
    /// a NOTIFICATION): they are dropped, and the log says so.
    fn flush_operational(&mut self, n: usize, s: usize) {
        let nb = &mut self.neighbors[n];
        if !nb.cfg.capability.operational {
            nb.operational_queue.clear();
            return;
        }
        let sess = &nb.sessions[s];
        let conn = sess.conn;
        if !sess.neg.as_ref().is_some_and(|g| g.operational) {
            let dropped = nb.operational_queue.len();
            nb.operational_queue.clear();
            if dropped > 0 {
                let peer = nb.cfg.peer_address;
                self.log(
                    LogLevel::Warning,
                    format!("neighbor {peer}: the peer did not announce the operational capability, {dropped} OPERATIONAL message(s) not sent"),
                );
            }
            return;
        }
        let queued = std::mem::take(&mut nb.operational_queue);
        let mut out: Vec<Bytes> = nb
            .last_asm
            .iter()
            .filter(|(_, m)| !queued.contains(m))
            .map(|(_, m)| m.clone())
            .collect();
        out.extend(queued);
        for m in out {
            self.send(conn, m);
        }
    }

    /// Keep what an UPDATE changed in the neighbor's Adj-RIB-In (`adj-rib-in true`), read from
    /// its view: an owned NLRI per route (an IPv4 unicast one is stored inline, no allocation)
    /// and one interned attribute set per UPDATE.
    fn store_received_view(&mut self, n: usize, view: &ferrobgp_wire::UpdateView) {
        let rib = &mut self.neighbors[n].rib_in;
        let v4 = Family::IPV4_UNICAST;
        for nlri in view.withdrawn() {
            rib.withdraw(RouteKey::new(v4, nlri.to_owned(v4)));
        }
        if let Some(u) = view.mp_unreach() {
            for nlri in u.nlri {
                rib.withdraw(RouteKey::new(u.family, nlri.to_owned(u.family)));
            }
        }
        let reach = view.mp_reach();
        if view.nlri().next().is_none()
            && reach
                .as_ref()
                .is_none_or(|r| r.nlri.clone().next().is_none())
        {
            return;
        }
        let attrs = self.interner.intern(crate::rib::RouteAttrs {
            path: view.path_attributes(),
            next_hop_self: false,
        });
        let rib = &mut self.neighbors[n].rib_in;
        for nlri in view.nlri() {
            rib.announce(RouteKey::new(v4, nlri.to_owned(v4)), attrs.clone());
        }
        if let Some(r) = reach {
            for nlri in r.nlri {
                rib.announce(
                    RouteKey::new(r.family, nlri.to_owned(r.family)),
                    attrs.clone(),
                );
            }
        }
    }

    /// The same for an UPDATE treated as withdraw (RFC 7606), already in its owned form.
    fn store_received(&mut self, n: usize, u: &ferrobgp_wire::Update) {
        let rib = &mut self.neighbors[n].rib_in;
        for (f, nlri) in &u.withdrawn {
            rib.withdraw(RouteKey::new(*f, nlri.clone()));
        }
    }

    /// Resend a family's routes, bracketed by BoRR/EoRR when enhanced refresh was negotiated.
    fn refresh_family(&mut self, n: usize, s: usize, family: Family) {
        self.touch(n);
        let enhanced = self.neighbors[n].sessions[s]
            .neg
            .as_ref()
            .is_some_and(|g| g.enhanced_refresh);
        let rib = &mut self.neighbors[n].rib;
        if enhanced {
            rib.push_marker(Queued::RefreshBegin(family));
        }
        rib.resend(Some(family));
        if enhanced {
            rib.push_marker(Queued::RefreshEnd(family));
        }
    }

    fn on_open(&mut self, n: usize, s: usize, open: Open) {
        self.emit(
            n,
            Some(s),
            |a| a.receive.open,
            Event::Open {
                direction: Direction::Receive,
                body: &events::OpenBody(&open),
                raw: None,
            },
        );
        let cfg = &self.neighbors[n].cfg;
        // RFC 4271 §6.2 checks, in its order.
        if open.version != 4 {
            return self.close_session(
                n,
                s,
                Some(Notification::new(2, 1, Bytes::from_static(&[0, 4]))),
                "unsupported version",
            );
        }
        let peer_as = open.asn();
        let expected = (cfg.peer_as != 0).then_some(cfg.peer_as);
        if let Err(e) = ferrobgp_wire::check_open(&open, expected, cfg.local_as, cfg.router_id) {
            let nt = e.code_subcode().map(|(c, sc)| notify(c, sc));
            return self.close_session(n, s, nt, &format!("OPEN refused: {e}"));
        }
        if open.hold_time == 1 || open.hold_time == 2 {
            return self.close_session(n, s, Some(notify(2, 6)), "unacceptable hold time");
        }
        let ours = self.build_open(cfg);
        let theirs = outbound::open_families(&open);
        let families: Vec<Family> = cfg
            .families
            .iter()
            .copied()
            .filter(|f| theirs.contains(f))
            .collect();
        let code = ferrobgp_wire::model::cap_code::ENHANCED_ROUTE_REFRESH;
        let neg = Negotiated {
            families,
            peer_as,
            hold_time: cfg.hold_time.min(open.hold_time),
            enhanced_refresh: outbound::has_capability(&ours, code)
                && outbound::has_capability(&open, code),
            link_local_nexthop: outbound::has_capability(&ours, 77)
                && outbound::has_capability(&open, 77),
            operational: outbound::has_capability(&ours, OPERATIONAL_CAPABILITY)
                && outbound::has_capability(&open, OPERATIONAL_CAPABILITY),
            ctx: SessionContext::negotiate(&ours, &open),
        };
        // §6.8 collision detection: another connection of this neighbor in OpenConfirm.
        if let Some(other) = self.neighbors[n].sessions.iter().position(|o| {
            o.conn != self.neighbors[n].sessions[s].conn
                && matches!(o.state, State::OpenConfirm | State::OpenSent)
                && o.peer_open.is_some()
        }) {
            let local_id = u32::from(self.neighbors[n].cfg.router_id);
            let remote_id = u32::from(open.bgp_id);
            // The connection initiated by the speaker with the higher BGP Identifier survives.
            let keep_outgoing = local_id > remote_id;
            let this_outgoing = self.neighbors[n].sessions[s].conn.is_outgoing();
            let (loser, winner_is_this) = if this_outgoing == keep_outgoing {
                (other, true)
            } else {
                (s, false)
            };
            self.close_session(n, loser, Some(notify(6, 7)), "connection collision");
            if !winner_is_this {
                return;
            }
            // `s` may have shifted after the removal.
            let Some(ns) = self.neighbors[n]
                .sessions
                .iter()
                .position(|x| x.peer_open.is_none() && x.state == State::OpenSent)
            else {
                return;
            };
            return self.accept_open(n, ns, open, neg);
        }
        self.accept_open(n, s, open, neg);
    }

    fn accept_open(&mut self, n: usize, s: usize, open: Open, neg: Negotiated) {
        self.touch(n);
        let now = self.now;
        let sess = &mut self.neighbors[n].sessions[s];
        let hold = neg.hold_time;
        sess.peer_open = Some(open);
        sess.neg = Some(neg);
        sess.state = State::OpenConfirm;
        if sess.blocked_by.is_empty() {
            sess.hold_deadline = (hold > 0).then(|| now + Duration::from_secs(hold as u64));
        }
        sess.keepalive_at = (hold > 0).then(|| now + Duration::from_secs((hold / 3).max(1) as u64));
        let conn = sess.conn;
        self.send(conn, outbound::keepalive());
        self.fsm(n, Some(s), State::OpenConfirm);
    }

    fn established(&mut self, n: usize, s: usize) {
        self.touch(n);
        self.reset_hold(n, s);
        let nb = &mut self.neighbors[n];
        nb.sessions[s].state = State::Established;
        nb.sessions[s].up_since = Some(self.now);
        nb.backoff = RETRY_MIN;
        let neg = nb.sessions[s].neg.clone();
        let eor: Vec<Family> = if nb.cfg.manual_eor {
            vec![]
        } else {
            neg.map(|g| g.families).unwrap_or_default()
        };
        nb.rib_in.clear();
        nb.restore_config_routes();
        nb.rib.session_up(&eor);
        tracing::info!(peer = %nb.cfg.peer_address, "session established");
        self.fsm(n, Some(s), State::Established);
        self.negotiated_event(n, s);
        self.emit(n, Some(s), |a| a.neighbor_changes, Event::Up);
        self.flush_operational(n, s);
    }

    // ------------------------------------------------------------------ the per-iteration run

    /// Steps 2–4 of the crate docs' order after an input was applied (`from_process`: without
    /// running the peers). Only the neighbors the input touched, those with a timer due and
    /// those with UPDATEs to send are looked at: an input costs the same with 1 or 1000 idle
    /// neighbors.
    fn run(&mut self, now: Instant, from_process: bool) {
        self.settle();
        self.run_timers(now);
        if !from_process {
            self.settle();
            self.run_peers();
        }
        self.flush_processes();
        self.finish_shutdown();
        self.settle();
        self.repair_timers();
        #[cfg(debug_assertions)]
        self.check_schedule();
    }

    /// Neighbor `n`'s timers or Adj-RIB-Out work may have changed: `settle` looks at it.
    fn touch(&mut self, n: usize) {
        let nb = &mut self.neighbors[n];
        if !nb.touched && !self.touch_all {
            nb.touched = true;
            self.touched.push(n);
        }
    }

    /// Bring the schedule up to date with the touched neighbors: a deadline earlier than the
    /// neighbor's live entry gets an entry; `sending` holds it if it can send now.
    fn settle(&mut self) {
        let mut list = std::mem::take(&mut self.touched);
        if std::mem::take(&mut self.touch_all) {
            for n in 0..self.neighbors.len() {
                self.settle_one(n);
            }
        } else {
            for &n in &list {
                self.settle_one(n);
            }
        }
        // Keep the allocation.
        list.clear();
        self.touched = list;
    }

    fn settle_one(&mut self, n: usize) {
        let nb = &mut self.neighbors[n];
        nb.touched = false;
        if let Some(d) = nb.deadline(self.now) {
            if nb.scheduled.is_none_or(|t| d < t) {
                nb.scheduled = Some(d);
                self.timers.push(Reverse((d, n)));
            }
        }
        if nb.ready_to_send(self.now) {
            self.sending.insert(n);
        } else {
            self.sending.remove(&n);
        }
    }

    /// Make the heap's top exact: drop stale entries, and reschedule a neighbor whose deadline
    /// moved later than its entry (so `next_deadline` is the earliest real deadline).
    fn repair_timers(&mut self) {
        while let Some(&Reverse((t, n))) = self.timers.peek() {
            let nb = &mut self.neighbors[n];
            if nb.scheduled != Some(t) {
                self.timers.pop();
                continue;
            }
            let d = nb.deadline(self.now);
            if d == Some(t) {
                break;
            }
            self.timers.pop();
            nb.scheduled = d;
            if let Some(d) = d {
                self.timers.push(Reverse((d, n)));
            }
        }
    }

    /// Debug builds: the schedule covers every neighbor (a missed `touch` shows here).
    #[cfg(debug_assertions)]
    fn check_schedule(&self) {
        if self.exited {
            return;
        }
        let mut earliest: Option<Instant> = None;
        for (n, nb) in self.neighbors.iter().enumerate() {
            if let Some(d) = nb.deadline(self.now) {
                earliest = Some(earliest.map_or(d, |e| e.min(d)));
                assert!(
                    nb.scheduled.is_some_and(|s| s <= d),
                    "neighbor {n}: deadline {d:?} not scheduled ({:?})",
                    nb.scheduled
                );
            }
            assert_eq!(
                nb.ready_to_send(self.now),
                self.sending.contains(&n),
                "neighbor {n}: can send now / is in the send set"
            );
        }
        assert_eq!(self.timers.peek().map(|Reverse((t, _))| *t), earliest);
    }

    /// Step 2: the neighbors whose timers are due, in neighbor order.
    fn run_timers(&mut self, now: Instant) {
        let mut due: Vec<usize> = Vec::new();
        while let Some(&Reverse((t, n))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            if self.neighbors[n].scheduled == Some(t) {
                self.neighbors[n].scheduled = None;
                due.push(n);
            }
        }
        due.sort_unstable();
        due.dedup();
        for n in due {
            // Rescheduled by the next `settle`, whatever happens here.
            self.touch(n);
            self.neighbor_timers(n, now);
        }
    }

    fn neighbor_timers(&mut self, n: usize, now: Instant) {
        if self.neighbors[n].retry_at.is_some_and(|t| t <= now) && self.shutdown.is_none() {
            self.connect(n);
        }
        let mut s = 0;
        while s < self.neighbors[n].sessions.len() {
            let sess = &self.neighbors[n].sessions[s];
            if sess.hold_deadline.is_some_and(|t| t <= now) {
                // RFC 4271 §6.5: Hold Timer Expired.
                self.close_session(n, s, Some(notify(4, 0)), "hold timer expired");
                continue;
            }
            if sess.keepalive_at.is_some_and(|t| t <= now) {
                let hold = sess.neg.as_ref().map_or(0, |g| g.hold_time);
                let conn = sess.conn;
                self.neighbors[n].sessions[s].keepalive_at =
                    Some(now + Duration::from_secs((hold / 3).max(1) as u64));
                self.send(conn, outbound::keepalive());
            }
            s += 1;
        }
    }

    /// Step 3: the neighbors that can send, in neighbor order (the others would send nothing).
    fn run_peers(&mut self) {
        let mut from = 0;
        while let Some(&n) = self.sending.range(from..).next() {
            from = n + 1;
            for s in 0..self.neighbors[n].sessions.len() {
                let sess = &self.neighbors[n].sessions[s];
                if sess.state == State::Established && self.now >= sending_from(sess, self.now) {
                    self.generate_updates(n, s);
                }
            }
            // Its window or its work may be used up: `settle` looks again.
            self.touch(n);
        }
    }

    /// One bounded batch of UPDATEs from the pending Adj-RIB-Out changes, built by wire's
    /// `UpdateBuilder` (packing, MP_REACH/MP_UNREACH, extended message size, ADD-PATH ids).
    fn generate_updates(&mut self, n: usize, s: usize) {
        let nb = &mut self.neighbors[n];
        let sess = &nb.sessions[s];
        if !nb.rib.has_work() || sess.in_flight >= SEND_WINDOW {
            return;
        }
        let Some(neg) = sess.neg.clone() else { return };
        let rules = PeerRules {
            ibgp: neg.peer_as == nb.cfg.local_as,
            local_as: nb.cfg.local_as,
            local_addr: sess.local.map(|a| a.ip()).or(nb.cfg.local_address),
            link_local: nb.cfg.local_link_local.filter(|_| neg.link_local_nexthop),
            ctx: neg.ctx.clone(),
        };
        let builder = UpdateBuilder::new(&rules.ctx);
        let conn = sess.conn;
        let in_flight = sess.in_flight;
        let mut budget = UPDATE_BATCH_BYTES.min(SEND_WINDOW.saturating_sub(in_flight));
        let mut out = BytesMut::new();
        let group = nb.cfg.group_updates;
        let mut outbound_cache: HashMap<(usize, Family), ferrobgp_wire::PathAttributes> =
            HashMap::new();
        while budget > 0 && nb.rib.has_work() {
            // Collect route changes up to the next marker, grouped by attribute set.
            let mut withdraws: Vec<(Family, Vec<RouteKey>)> = Vec::new();
            let mut mp_withdraws: Vec<(RouteKey, Option<Attrs>)> = Vec::new();
            let mut announces: Vec<(Family, Attrs, Vec<RouteKey>)> = Vec::new();
            let mut index: HashMap<(Family, usize), usize> = HashMap::new();
            let mut estimate = 0usize;
            while estimate < budget {
                if nb.rib.next_is_route() != Some(true) {
                    break;
                }
                let Some((Queued::Route(k), change)) = nb.rib.pop() else {
                    break;
                };
                if !neg.families.contains(&k.family) {
                    continue;
                }
                // The NLRI's real length (a path id only where ADD-PATH send was negotiated):
                // the batch must hold a full Extended Message UPDATE of /32s
                // (ferro-extended-message: 8192 routes in one 40 KB UPDATE, as ExaBGP).
                let add_path =
                    !neg.ctx.add_path_send.is_empty() && neg.ctx.add_path_send.contains(&k.family);
                estimate += k.encoded_len(add_path);
                match change {
                    // ExaBGP withdraws multiprotocol NLRI one a message, with attributes.
                    None if k.family != Family::IPV4_UNICAST => {
                        estimate += 60;
                        let a = nb.rib.take_withdraw_attrs(&k);
                        mp_withdraws.push((k, a));
                    }
                    None => match withdraws.iter_mut().find(|(f, _)| *f == k.family) {
                        Some((_, v)) if group => v.push(k),
                        _ => {
                            estimate += 30;
                            withdraws.push((k.family, vec![k]))
                        }
                    },
                    Some(a) => {
                        let key = (k.family, Arc::as_ptr(&a) as usize);
                        // ExaBGP packs several NLRI in one UPDATE in the classic IPv4 NLRI
                        // field and for MCAST-VPN (conf-mvpn); otherwise MP_REACH_NLRI
                        // carries one NLRI a message (conf-new-v6, conf-group-limit,
                        // conf-vpn, conf-parity).
                        let packs = (k.family == Family::IPV4_UNICAST
                            && !matches!(a.path.next_hop, Some(IpAddr::V6(_))))
                            || k.family.safi == ferrobgp_wire::model::Safi::MCAST_VPN;
                        match index.get(&key) {
                            Some(&i) if group && packs => announces[i].2.push(k),
                            _ => {
                                estimate += 80;
                                index.insert(key, announces.len());
                                announces.push((k.family, a, vec![k]));
                            }
                        }
                    }
                }
                if !group {
                    break;
                }
            }
            for (f, keys) in &withdraws {
                builder.withdraw(*f, keys.iter().map(|k| &k.nlri), &mut out);
            }
            for (k, a) in mp_withdraws.drain(..) {
                // RFC 4760 section 4: an UPDATE carrying MP_UNREACH_NLRI "is not required to
                // carry any other path attributes". ExaBGP sends none for the unicast and
                // multicast families (ferro-addpath-send, captured from ExaBGP 5.0.15), the
                // command's and the defaults for the others (api-flow).
                if matches!(
                    k.family.safi,
                    ferrobgp_wire::Safi::UNICAST | ferrobgp_wire::Safi::MULTICAST
                ) {
                    let u = ferrobgp_wire::Update {
                        withdrawn: vec![(k.family, k.nlri)],
                        ..Default::default()
                    };
                    ferrobgp_wire::encode_update(&u, &rules.ctx, &mut out);
                    continue;
                }
                let mut attributes = outbound::outbound_attributes(
                    &a.map(|a| (*a).clone()).unwrap_or_default(),
                    &rules,
                );
                // NEXT_HOP goes with the attributes where ExaBGP writes it for the family
                // (api-mvpn), never for flow or VPLS (api-flow, api-vpls).
                // A withdraw written without a next hop carries 0.0.0.0: none (api-ipv4).
                if !ferrobgp_wire::encode::next_hop_attribute_for(k.family)
                    || !matches!(attributes.next_hop, Some(IpAddr::V4(a)) if !a.is_unspecified())
                {
                    attributes.next_hop = None;
                }
                attributes.next_hop_link_local = None;
                let u = ferrobgp_wire::Update {
                    withdrawn: vec![(k.family, k.nlri)],
                    attributes,
                    ..Default::default()
                };
                ferrobgp_wire::encode_update(&u, &rules.ctx, &mut out);
            }
            for (f, a, keys) in &announces {
                // One attribute set serves many one-NLRI UPDATEs (multiprotocol families):
                // apply the outbound rules once per set.
                let attrs = outbound_cache
                    .entry((Arc::as_ptr(a) as usize, *f))
                    .or_insert_with(|| {
                        let mut p = outbound::outbound_attributes(a, &rules);
                        outbound::exabgp_mup_next_hop(*f, &mut p);
                        p
                    });
                builder.announce(*f, attrs, keys.iter().map(|k| &k.nlri), &mut out);
            }
            if withdraws.is_empty() && announces.is_empty() && estimate == 0 {
                match nb.rib.pop() {
                    Some((Queued::EndOfRib(f), _)) if neg.families.contains(&f) => {
                        ferrobgp_wire::encode_end_of_rib(f, &mut out);
                    }
                    Some((Queued::BareAttributes(a), _)) => {
                        let u = ferrobgp_wire::Update {
                            attributes: outbound::outbound_attributes(&a, &rules),
                            ..Default::default()
                        };
                        ferrobgp_wire::encode_update(&u, &rules.ctx, &mut out);
                    }
                    Some((Queued::RefreshBegin(f), _)) => {
                        out.extend_from_slice(&outbound::route_refresh(f, 1))
                    }
                    Some((Queued::RefreshEnd(f), _)) => {
                        out.extend_from_slice(&outbound::route_refresh(f, 2))
                    }
                    _ => {}
                }
            }
            let used = out.len();
            budget = UPDATE_BATCH_BYTES
                .min(SEND_WINDOW.saturating_sub(in_flight + used))
                .saturating_sub(used);
        }
        if out.is_empty() {
            return;
        }
        let out = out.freeze();
        let sess = &mut self.neighbors[n].sessions[s];
        sess.in_flight += out.len();
        self.send(conn, out);
    }

    /// `send` events (`packets`, and the parsed message per the api block's `send { … }`) for
    /// what is about to be sent to the peer of neighbor `n`.
    fn sent_messages(&mut self, n: usize, s: Option<usize>, data: &[u8]) {
        let wants = self.neighbors[n]
            .cfg
            .api
            .iter()
            .any(|a| a.send.any() || a.send.packets);
        if !wants {
            return;
        }
        // A message sent while a received one is being reported (a NOTIFICATION answering
        // it): put the received one back afterwards.
        let saved = self.consolidating.take();
        let ctx = s
            .and_then(|s| self.neighbors[n].sessions.get(s))
            .and_then(|x| x.neg.as_ref())
            .map(|g| g.ctx.clone())
            .unwrap_or_default();
        let mut p = 0;
        while p + 19 <= data.len() {
            let len = u16::from_be_bytes([data[p + 16], data[p + 17]]) as usize;
            if len < 19 || p + len > data.len() {
                break;
            }
            let m = Bytes::copy_from_slice(&data[p..p + len]);
            p += len;
            self.emit_packets(n, s, Direction::Send, &m);
            // ExaBGP (protocol.py `_to_api`): sent messages carry their bytes when the
            // neighbor consolidates and asked for packets.
            let packets = self.neighbors[n].cfg.api.iter().any(|a| a.send.packets);
            self.consolidating = (packets && self.consolidates(n, Direction::Send))
                .then(|| (Direction::Send, m.clone()));
            if m[18] == ferrobgp_wire::operational::MSG_TYPE {
                if let Ok(message) =
                    ferrobgp_wire::operational::OperationalMessage::decode(&m.slice(19..))
                {
                    self.emit(
                        n,
                        s,
                        |a| a.send.operational,
                        Event::Operational {
                            direction: Direction::Send,
                            message: &message,
                            raw: None,
                        },
                    );
                }
                continue;
            }
            let Ok(msg) = ferrobgp_wire::decode_message(m, &ctx) else {
                continue;
            };
            let d = Direction::Send;
            match msg {
                Message::Open(o) => self.emit(
                    n,
                    s,
                    |a| a.send.open,
                    Event::Open {
                        direction: d,
                        body: &events::OpenBody(&o),
                        raw: None,
                    },
                ),
                Message::Keepalive => self.emit(
                    n,
                    s,
                    |a| a.send.keepalive,
                    Event::Keepalive {
                        direction: d,
                        raw: None,
                    },
                ),
                Message::Notification(nt) => self.emit(
                    n,
                    s,
                    |a| a.send.notification,
                    Event::Notification {
                        direction: d,
                        notification: &nt,
                        raw: None,
                    },
                ),
                Message::RouteRefresh(r) => self.emit(
                    n,
                    s,
                    |a| a.send.refresh,
                    Event::Refresh {
                        direction: d,
                        refresh: r,
                        raw: None,
                    },
                ),
                Message::Update(view) => {
                    let u = view.to_update();
                    let body = events::UpdateBody {
                        attributes: &u.attributes,
                        withdrawn: &u.withdrawn,
                        announced: &u.announced,
                        end_of_rib: u.end_of_rib,
                    };
                    self.emit(
                        n,
                        s,
                        |a| a.send.update,
                        Event::Update {
                            direction: d,
                            body: &body,
                            raw: None,
                        },
                    );
                }
            }
        }
        self.consolidating = saved;
    }

    // ------------------------------------------------------------------ processes and commands

    fn spawn(&mut self, i: usize) {
        let now = self.now;
        let p = &mut self.processes[i];
        p.starts.push_back(now);
        p.written = 0;
        let out = Output::Spawn {
            process: ProcessId(i as u32),
            name: p.cfg.name.clone(),
            argv: p.cfg.argv.clone(),
            cwd: self.config_dir.clone(),
        };
        self.outputs.push_back(out);
    }

    fn on_process_exit(&mut self, i: usize) {
        let Some(p) = self.processes.get_mut(i) else {
            return;
        };
        p.running = false;
        let lost = p.queue.len();
        p.queue.clear();
        p.queued = 0;
        p.written = 0;
        if lost > 0 {
            let name = p.cfg.name.clone();
            self.log(
                LogLevel::Warning,
                format!("process {name} exited with {lost} event(s) unread; they are dropped"),
            );
        }
        if self.processes[i].congested {
            self.uncongest(i);
        }
        if self.shutdown.is_some() {
            return;
        }
        if std::mem::take(&mut self.processes[i].restart) {
            // A restart is not a crash: it does not count against the respawn limit.
            self.processes[i].starts.clear();
            self.spawn(i);
            return;
        }
        let respawn = self.processes[i]
            .cfg
            .respawn
            .unwrap_or(self.env.api_respawn);
        let now = self.now;
        let p = &mut self.processes[i];
        while p
            .starts
            .front()
            .is_some_and(|t| now.duration_since(*t) > RESPAWN_WINDOW)
        {
            p.starts.pop_front();
        }
        if respawn && p.starts.len() < RESPAWN_MAX {
            self.spawn(i);
        } else {
            self.processes[i].given_up = true;
            let name = self.processes[i].cfg.name.clone();
            self.log(
                LogLevel::Error,
                format!("process {name} exited and will not be restarted"),
            );
            if self.env.api_terminate {
                self.begin_shutdown(1);
            }
        }
    }

    fn control_started(&mut self, id: ProcessId) {
        self.controls.entry(id).or_insert_with(|| Control {
            // `ferrobgp cli` waits for the final answer whatever `api.ack` says.
            ack: AckState::new(Encoding::Text, true),
        });
    }

    /// Bytes for whoever sent a command: queued behind the process's events, or straight to a
    /// control client.
    fn write_to(&mut self, origin: Origin, data: Bytes) {
        match origin {
            Origin::Process(i) => self.queue_process(i, data),
            Origin::Control(id) => {
                if self.controls.contains_key(&id) {
                    self.outputs
                        .push_back(Output::WriteProcess { process: id, data });
                }
            }
        }
    }

    fn origin_name(&self, origin: Origin) -> String {
        match origin {
            Origin::Process(i) => format!("process {}", self.processes[i].cfg.name),
            Origin::Control(id) => format!("control client {}", u32::MAX - id.0),
        }
    }

    /// The ack for a command (or a line that did not parse), in the process's encoding.
    fn answer(&mut self, origin: Origin, cmd: Option<&Command>, ok: bool) {
        let mut out = Vec::new();
        match origin {
            Origin::Process(i) => self.processes[i].ack.answer_into(cmd, ok, &mut out),
            Origin::Control(id) => match self.controls.get_mut(&id) {
                Some(c) => c.ack.answer_into(cmd, ok, &mut out),
                None => return,
            },
        }
        if !out.is_empty() {
            self.write_to(origin, Bytes::from(out));
        }
    }

    fn on_line(&mut self, origin: Origin, line: &str) {
        let cmd = match ferrobgp_api::parse_command(line) {
            Ok(c) => c,
            Err(e) => {
                let name = self.origin_name(origin);
                self.log(LogLevel::Warning, format!("{name}: {e}"));
                return self.answer(origin, None, false);
            }
        };
        match &cmd {
            Command::Comment => {}
            Command::Shutdown => {
                self.answer(origin, Some(&cmd), true);
                self.begin_shutdown(0);
            }
            Command::Restart | Command::Reset => {
                self.answer(origin, Some(&cmd), true);
                self.on_signal(Signal::Alrm);
            }
            Command::Reload => {
                // Re-reading files is the driver's job; it answers with Input::Reload (or
                // logs why it could not, and the running configuration stays).
                self.outputs.push_back(Output::Reload);
                self.answer(origin, Some(&cmd), true);
            }
            _ => {
                let ok = self.apply(origin, &cmd, &Targets::Default, None);
                self.answer(origin, Some(&cmd), ok);
            }
        }
    }

    /// The neighbors a command's targets select; `Targets::Default` means the neighbors whose
    /// api blocks name this process, or every neighbor for a control client (ExaBGP's CLI).
    fn selected(&self, origin: Origin, targets: &Targets) -> Vec<usize> {
        let name = match origin {
            Origin::Process(i) => Some(&self.processes[i].cfg.name),
            Origin::Control(_) => None,
        };
        (0..self.neighbors.len())
            .filter(|&n| {
                let c = &self.neighbors[n].cfg;
                let id = identity(c);
                targets.matches(&id).unwrap_or_else(|| match name {
                    Some(name) => c.api.iter().any(|a| a.processes.contains(name)),
                    None => true,
                })
            })
            .collect()
    }

    /// The route of a command; `shared` are the attributes of an enclosing `group attributes …`,
    /// which the command's own attributes override.
    fn route_of(req: &RouteRequest, shared: Option<&RouteSpec>) -> Option<RouteSpec> {
        let mut r = req.spec().map(crate::convert::route)?;
        if let Some(g) = shared {
            r.attrs.path = r.attrs.path.overlaid_on(&g.attrs.path);
            r.attrs.next_hop_self |= g.attrs.next_hop_self;
        }
        Some(r)
    }

    /// Apply one parsed command; `outer` are the targets of an enclosing `group`, `shared` its
    /// attributes.
    fn apply(
        &mut self,
        i: Origin,
        cmd: &Command,
        outer: &Targets,
        shared: Option<&RouteSpec>,
    ) -> bool {
        let targets = match cmd.targets() {
            Some(Targets::Default) | None => outer,
            Some(t) => t,
        };
        let sel = self.selected(i, targets);
        for &n in &sel {
            self.touch(n);
        }
        match cmd {
            Command::Announce { route, .. } => {
                let Some(spec) = Self::route_of(route, shared) else {
                    return false;
                };
                if sel.is_empty() {
                    return false;
                }
                let attrs = self.interner.intern(spec.attrs.clone());
                if spec.nlris.is_empty() && route.kind == ferrobgp_api::RouteKind::Attributes {
                    for &n in &sel {
                        let q = Queued::BareAttributes(attrs.clone());
                        self.neighbors[n].api_change(Change::Marker(q));
                    }
                    return true;
                }
                for &n in &sel {
                    let nb = &mut self.neighbors[n];
                    for k in &spec.nlris {
                        if !nb.cfg.families.contains(&k.family) {
                            continue;
                        }
                        if let Some(w) = &spec.watchdog {
                            let e = nb
                                .watchdogs
                                .entry(w.clone())
                                .or_insert((!spec.withdraw, Vec::new()));
                            e.1.retain(|(x, _)| *x != k);
                            e.1.push((k.clone(), attrs.clone()));
                            if !e.0 {
                                continue;
                            }
                        }
                        nb.api_change(Change::Announce(k.clone(), attrs.clone()));
                    }
                }
            }
            Command::Withdraw { route, .. } => {
                let Some(spec) = Self::route_of(route, shared) else {
                    return false;
                };
                if sel.is_empty() {
                    return false;
                }
                let attrs = self.interner.intern(spec.attrs.clone());
                for &n in &sel {
                    for k in &spec.nlris {
                        if self.neighbors[n].cfg.families.contains(&k.family) {
                            self.neighbors[n]
                                .api_change(Change::Withdraw(k.clone(), Some(attrs.clone())));
                        }
                    }
                }
            }
            Command::Watchdog { action, name, .. } => {
                let announce = *action == ferrobgp_api::Action::Announce;
                for &n in &sel {
                    let nb = &mut self.neighbors[n];
                    let Some(e) = nb.watchdogs.get_mut(name) else {
                        continue;
                    };
                    e.0 = announce;
                    for (k, a) in e.1.clone() {
                        nb.api_change(if announce {
                            Change::Announce(k, a)
                        } else {
                            Change::Withdraw(k, None)
                        });
                    }
                }
            }
            Command::Eor { family, .. } => {
                for &n in &sel {
                    let nb = &mut self.neighbors[n];
                    let fams = match family {
                        Some(f) => vec![*f],
                        None => nb.cfg.families.clone(),
                    };
                    for f in fams {
                        nb.api_change(Change::Marker(Queued::EndOfRib(f)));
                    }
                }
            }
            Command::RouteRefresh { family, .. } => {
                for &n in &sel {
                    let conns: Vec<ConnId> = self.neighbors[n]
                        .sessions
                        .iter()
                        .filter(|s| s.state == State::Established)
                        .map(|s| s.conn)
                        .collect();
                    for c in conns {
                        self.send(c, outbound::route_refresh(*family, 0));
                    }
                }
            }
            Command::FlushAdjRibOut { .. } => {
                for &n in &sel {
                    // `auto-flush false`: what the process announced and withdrew since its
                    // last flush goes now, in order; then the Adj-RIB-Out is sent again.
                    self.neighbors[n].release_held();
                    if let Some(s) = self.neighbors[n]
                        .sessions
                        .iter()
                        .position(|s| s.state == State::Established)
                    {
                        let fams = self.neighbors[n].sessions[s]
                            .neg
                            .as_ref()
                            .map(|g| g.families.clone())
                            .unwrap_or_default();
                        for f in fams {
                            self.refresh_family(n, s, f);
                        }
                    }
                }
            }
            Command::ClearAdjRib { rib, .. } => {
                for &n in &sel {
                    let nb = &mut self.neighbors[n];
                    if *rib == ferrobgp_api::Rib::Out {
                        // Held changes were never sent: dropped, like the queued ones.
                        nb.held.clear();
                        nb.rib.clear();
                    } else {
                        nb.rib_in.clear();
                    }
                }
            }
            Command::Teardown { subcode, .. } => {
                for &n in &sel {
                    while let Some(s) = self.neighbors[n]
                        .sessions
                        .iter()
                        .position(|s| s.state != State::Connect)
                    {
                        self.close_session(n, s, Some(notify(6, *subcode)), "teardown");
                    }
                }
            }
            Command::Group {
                shared_attributes,
                commands,
                ..
            } => {
                let shared = shared_attributes
                    .as_ref()
                    .and_then(|r| Self::route_of(r, None));
                let mut ok = true;
                for c in commands {
                    ok &= self.apply(i, c, targets, shared.as_ref());
                }
                return ok;
            }
            Command::Version => {
                let mut out = Vec::new();
                ferrobgp_api::show::write_version(env!("CARGO_PKG_VERSION"), &mut out);
                self.write_to(i, Bytes::from(out));
            }
            Command::Help => {
                let mut out = Vec::new();
                ferrobgp_api::show::write_help(&mut out);
                self.write_to(i, Bytes::from(out));
            }
            Command::ShowNeighbor { peers, view, json } => {
                use ferrobgp_api::{show, NeighborView};
                let chosen: Vec<&Neighbor> = self
                    .neighbors
                    .iter()
                    .filter(|nb| peers.is_empty() || peers.contains(&nb.cfg.peer_address))
                    .collect();
                let mut out = Vec::new();
                // ExaBGP answers `json` with the `as_dict` list whatever the view.
                if *json {
                    let reports: Vec<show::NeighborReport> =
                        chosen.iter().map(|nb| self.neighbor_report(nb)).collect();
                    show::write_neighbors_json(&reports, &mut out);
                } else {
                    match view {
                        NeighborView::Summary => {
                            let rows: Vec<show::NeighborSummary> =
                                chosen.iter().map(|nb| self.summary_row(nb)).collect();
                            show::write_summary(&rows, &mut out);
                        }
                        NeighborView::Extensive => {
                            for nb in &chosen {
                                show::write_extensive(&self.neighbor_report(nb), &mut out);
                            }
                        }
                        NeighborView::Configuration => {
                            for nb in &chosen {
                                show::write_configuration(&config_report(&nb.cfg), &mut out);
                            }
                        }
                        NeighborView::Unspecified => show::write_neighbor_usage(&mut out),
                    }
                }
                self.write_to(i, Bytes::from(out));
            }
            Command::ShowAdjRib {
                peers,
                rib,
                extensive,
                json,
            } => {
                let mut ids = Vec::new();
                let mut routes = Vec::new();
                let mut nlris = Vec::new();
                for nb in &self.neighbors {
                    if !peers.is_empty() && !peers.contains(&nb.cfg.peer_address) {
                        continue;
                    }
                    let id = identity(&nb.cfg);
                    let table = match rib {
                        // `adj-rib-out false`: what was sent is not kept, nothing to show
                        // (ExaBGP lists its outgoing cache, empty then).
                        ferrobgp_api::Rib::Out if nb.cfg.adj_rib_out => nb.rib.routes(),
                        ferrobgp_api::Rib::Out => Vec::new(),
                        ferrobgp_api::Rib::In => nb.rib_in.routes(),
                    };
                    for (k, a) in table {
                        ids.push(id.clone());
                        routes.push(route_text(&k, &a));
                        nlris.push(nlri_text(&k, &a));
                    }
                }
                let entries: Vec<ferrobgp_api::show::RibEntry<'_>> = ids
                    .iter()
                    .zip(routes.iter().zip(&nlris))
                    .map(|(neighbor, (route, nlri))| ferrobgp_api::show::RibEntry {
                        neighbor,
                        route,
                        nlri,
                    })
                    .collect();
                let mut out = Vec::new();
                if *json {
                    ferrobgp_api::show::write_adj_rib_json(&entries, &mut out);
                } else {
                    ferrobgp_api::show::write_adj_rib(&entries, *extensive, &mut out);
                }
                self.write_to(i, Bytes::from(out));
            }
            Command::GroupStart
            | Command::GroupEnd
            | Command::EnableAck
            | Command::DisableAck
            | Command::SilenceAck
            | Command::EnableSync
            | Command::DisableSync => {}
            Command::CreateNeighbor(spec) => return self.create_neighbor(i, spec),
            Command::DeleteNeighbor { selector } => {
                let doomed: Vec<usize> = (0..self.neighbors.len())
                    .filter(|&n| selector.matches(&identity(&self.neighbors[n].cfg)))
                    .collect();
                if doomed.is_empty() {
                    return false;
                }
                for &n in doomed.iter().rev() {
                    self.remove_neighbor(n, "neighbor deleted");
                }
            }
            Command::Operational { message, .. } => {
                // ExaBGP (configuration.inject_operational, peer.py): the message goes to the
                // selected neighbors that have its family and `capability { operational; }`
                // configured: at once to an Established session, else queued for the next
                // one (ExaBGP's `neighbor.messages`); the last ASM of a family is sent again
                // on every new session. Answered `done` either way, unless the queue is full.
                // Unlike ExaBGP, nothing is sent to a peer that did not announce the
                // capability: it would answer with a NOTIFICATION.
                let is_asm = message.kind == ferrobgp_api::OperationalKind::Asm;
                for &n in &sel {
                    let nb = &self.neighbors[n];
                    if !nb.cfg.capability.operational || !nb.cfg.families.contains(&message.family)
                    {
                        continue;
                    }
                    let Some(data) = outbound::operational(message, nb.cfg.router_id) else {
                        return false;
                    };
                    let peer = nb.cfg.peer_address;
                    let up: Vec<(ConnId, bool)> = nb
                        .sessions
                        .iter()
                        .filter(|s| s.state == State::Established)
                        .map(|s| (s.conn, s.neg.as_ref().is_some_and(|g| g.operational)))
                        .collect();
                    let nb = &mut self.neighbors[n];
                    if is_asm {
                        nb.last_asm.retain(|(f, _)| *f != message.family);
                        nb.last_asm.push((message.family, data.clone()));
                    }
                    if up.is_empty() {
                        if nb.operational_queue.len() >= OPERATIONAL_QUEUE_MAX {
                            self.log(
                                LogLevel::Warning,
                                format!("neighbor {peer}: {OPERATIONAL_QUEUE_MAX} OPERATIONAL messages already wait for the session, refused"),
                            );
                            return false;
                        }
                        nb.operational_queue.push_back(data);
                        continue;
                    }
                    for (c, negotiated) in up {
                        if negotiated {
                            self.send(c, data.clone());
                        } else {
                            self.log(
                                LogLevel::Warning,
                                format!("neighbor {peer}: the peer did not announce the operational capability, OPERATIONAL not sent"),
                            );
                        }
                    }
                }
            }
            Command::Crash => return false,
            Command::Comment
            | Command::Shutdown
            | Command::Restart
            | Command::Reset
            | Command::Reload => {}
        }
        true
    }

    /// Cease a neighbor's sessions (RFC 4486 subcode 3, Peer De-configured) and forget it.
    fn remove_neighbor(&mut self, n: usize, reason: &str) {
        self.neighbors[n].retry_at = None;
        while !self.neighbors[n].sessions.is_empty() {
            self.close_session(n, 0, Some(notify(6, 3)), reason);
        }
        self.neighbors[n].retry_at = None;
        self.neighbors.remove(n);
        for v in self.conns.values_mut() {
            if *v > n {
                *v -= 1;
            }
        }
        // The schedule holds neighbor indices: build it again (a rare command).
        self.timers.clear();
        self.touched.clear();
        for nb in &mut self.neighbors {
            nb.scheduled = None;
            nb.touched = false;
        }
        self.touch_all = true;
        self.sending = std::mem::take(&mut self.sending)
            .into_iter()
            .filter(|&m| m != n)
            .map(|m| if m > n { m - 1 } else { m })
            .collect();
    }

    /// `create neighbor …` (ExaBGP main's API): a neighbor fed by the named processes (by
    /// default the one that created it); it connects at once unless the environment makes
    /// every neighbor passive.
    fn create_neighbor(
        &mut self,
        origin: Origin,
        spec: &ferrobgp_api::command::NeighborSpec,
    ) -> bool {
        let (Some(peer), Some(local_as)) = (spec.peer, spec.local_as) else {
            return false;
        };
        if self.neighbors.iter().any(|n| n.cfg.peer_address == peer) {
            return false;
        }
        let router_id = match (spec.router_id, spec.local_address) {
            (Some(r), _) => r,
            (None, Some(IpAddr::V4(a))) => a,
            _ => return false,
        };
        let mut cfg =
            NeighborConfig::new(peer, local_as, spec.peer_as.unwrap_or(local_as), router_id);
        cfg.local_address = spec.local_address;
        if !spec.families.is_empty() {
            cfg.families = spec.families.clone();
        }
        let mut processes = spec.processes.clone();
        if processes.is_empty() {
            if let Origin::Process(i) = origin {
                processes.push(self.processes[i].cfg.name.clone());
            }
        }
        // `api NAME` may name the process itself or be a label: keep the names of processes
        // that exist, and the creating process when none does.
        processes.retain(|p| self.processes.iter().any(|q| &q.cfg.name == p));
        if processes.is_empty() {
            if let Origin::Process(i) = origin {
                processes.push(self.processes[i].cfg.name.clone());
            }
        }
        if !processes.is_empty() {
            cfg.api = vec![crate::setup::ApiConfig {
                processes,
                ..Default::default()
            }];
        }
        self.add_neighbor(cfg).is_ok()
    }

    /// What `show neighbor extensive` and `show neighbor json` report (ExaBGP's
    /// `Peer.cli_data`), from the neighbor's most advanced session.
    fn neighbor_report(&self, nb: &Neighbor) -> ferrobgp_api::show::NeighborReport {
        use ferrobgp_api::show::{FamilyReport, NeighborReport};
        let state = Self::state_of(nb);
        let sess = nb.sessions.iter().find(|s| s.state == state);
        let open = sess.and_then(|s| s.peer_open.as_ref());
        let neg = sess.and_then(|s| s.neg.as_ref());
        let c = &nb.cfg.capability;
        let has =
            |codes: &[u8]| open.map(|o| codes.iter().any(|&k| outbound::has_capability(o, k)));
        // ExaBGP knows the negotiated multi-session and operational flags once a connection
        // exists (false until the OPENs are exchanged); the other remote values come from the
        // peer's OPEN.
        let with_conn = |v: bool| sess.map(|_| v);
        let remote_multi = if open.is_some() {
            has(&[68, 131])
        } else {
            with_conn(false)
        };
        let capabilities = vec![
            ("asn4", Some(c.asn4), open.and(neg.map(|g| g.ctx.asn4))),
            ("route-refresh", Some(c.route_refresh), has(&[2])),
            ("multi-session", Some(c.multi_session), remote_multi),
            (
                "operational",
                Some(c.operational),
                with_conn(neg.is_some_and(|g| g.operational)),
            ),
            ("add-path", Some(c.add_path != 0), has(&[69])),
            ("extended-message", Some(c.extended_message), has(&[6])),
            (
                "graceful-restart",
                Some(c.graceful_restart.is_some()),
                has(&[64]),
            ),
        ];
        // Before the peer's OPEN ExaBGP does not know the ADD-PATH of a family configured
        // for it (null), and knows it is off for the others.
        let before_open = |f: &Family| (!nb.cfg.add_path_families.contains(f)).then_some(false);
        let mut families = nb.cfg.families.clone();
        families.sort_by_key(|f| (f.afi.0, f.safi.0));
        families.dedup();
        let families = families
            .into_iter()
            .map(|f| FamilyReport {
                family: f,
                remote: open.and(neg.map(|g| g.families.contains(&f))),
                add_path_send: match (open, neg) {
                    (Some(_), Some(g)) => Some(g.ctx.add_path_send.contains(&f)),
                    _ => before_open(&f),
                },
                add_path_receive: match (open, neg) {
                    (Some(_), Some(g)) => Some(g.ctx.add_path_receive.contains(&f)),
                    _ => before_open(&f),
                },
            })
            .collect();
        let count = |t: usize| sess.map_or((0, 0), |s| (s.sent[t], s.received[t]));
        NeighborReport {
            peer_address: nb.cfg.peer_address,
            local_address: sess
                .and_then(|s| s.local.map(|a| a.ip()))
                .or(nb.cfg.local_address)
                .map_or_else(|| "None".to_string(), |a| a.to_string()),
            local_as: nb.cfg.local_as,
            peer_as: nb.cfg.peer_as,
            local_id: nb.cfg.router_id,
            peer_id: open.map(|o| o.bgp_id),
            local_hold: nb.cfg.hold_time,
            peer_hold: open.map(|o| o.hold_time),
            state: match state {
                State::Idle => "IDLE",
                State::Connect => "CONNECT",
                State::Active => "ACTIVE",
                State::OpenSent => "OPENSENT",
                State::OpenConfirm => "OPENCONFIRM",
                State::Established => "ESTABLISHED",
            },
            up_secs: sess
                .filter(|s| s.state == State::Established)
                .and_then(|s| s.up_since)
                .map_or(0, |t| self.now.duration_since(t).as_secs()),
            down_secs: nb.last_reset.duration_since(nb.created).as_secs(),
            capabilities,
            families,
            messages: [count(1), count(3), count(4), count(2), count(5)],
        }
    }

    fn summary_row(&self, nb: &Neighbor) -> ferrobgp_api::show::NeighborSummary {
        let up = nb.sessions.iter().find(|s| s.state == State::Established);
        ferrobgp_api::show::NeighborSummary {
            peer: nb.cfg.peer_address,
            peer_as: nb.cfg.peer_as,
            up_for: up
                .and_then(|s| s.up_since)
                .map(|t| self.now.duration_since(t)),
            state: match Self::state_of(nb) {
                State::Idle => "idle",
                State::Connect => "connect",
                State::Active => "active",
                State::OpenSent => "opensent",
                State::OpenConfirm => "openconfirm",
                State::Established => "established",
            },
            sent: up.map_or(0, |s| s.sent[2]),
            received: up.map_or(0, |s| s.received[2]),
        }
    }

    // ------------------------------------------------------------------ signals, reload, shutdown

    fn on_signal(&mut self, sig: Signal) {
        let (code, name) = match sig {
            Signal::Term => (15, "SIGTERM"),
            Signal::Hup => (1, "SIGHUP"),
            Signal::Usr1 => (10, "SIGUSR1"),
            Signal::Usr2 => (12, "SIGUSR2"),
            Signal::Alrm => (14, "SIGALRM"),
        };
        self.touch_all = true;
        for n in 0..self.neighbors.len() {
            self.emit(n, None, |a| a.signal, Event::Signal { code, name });
        }
        match sig {
            Signal::Term | Signal::Hup => self.begin_shutdown(0),
            Signal::Alrm => {
                for n in 0..self.neighbors.len() {
                    while let Some(s) = self.neighbors[n]
                        .sessions
                        .iter()
                        .position(|s| s.state != State::Connect)
                    {
                        self.close_session(n, s, Some(notify(6, 4)), "restart");
                    }
                }
            }
            // SIGUSR2 (ExaBGP: full reload): the driver re-reads the configuration and sends
            // Input::Reload; here the helper processes are restarted: stdin closed, stopped,
            // started again when their exit is reported (on_process_exit).
            Signal::Usr2 => {
                for i in 0..self.processes.len() {
                    let p = &mut self.processes[i];
                    if p.running {
                        p.restart = true;
                        let process = ProcessId(i as u32);
                        self.outputs
                            .push_back(Output::CloseProcessStdin { process });
                        self.outputs.push_back(Output::KillProcess { process });
                    } else if p.given_up {
                        p.given_up = false;
                        p.starts.clear();
                        self.spawn(i);
                    }
                }
            }
            Signal::Usr1 => {}
        }
    }

    /// Apply a re-read configuration: unchanged neighbors keep their sessions, their added
    /// routes are announced, removed ones withdrawn, changed ones replaced.
    fn reload(&mut self, config: Config) {
        self.touch_all = true;
        let mut keep = vec![false; self.neighbors.len()];
        for cfg in &config.neighbors {
            let existing = self.neighbors.iter().position(|nb| {
                nb.cfg.peer_address == cfg.peer_address && nb.cfg.session_settings_equal(cfg)
            });
            match existing {
                Some(n) => {
                    keep[n] = true;
                    let nb = &mut self.neighbors[n];
                    let old = std::mem::take(&mut nb.config_routes);
                    let mut new = RouteMap::new();
                    for r in &cfg.routes {
                        if r.withdraw {
                            continue;
                        }
                        let a = self.interner.intern(r.attrs.clone());
                        for k in &r.nlris {
                            new.insert(k.clone(), a.clone());
                        }
                    }
                    let nb = &mut self.neighbors[n];
                    for (k, _) in old.iter() {
                        if !new.contains_key(&k) {
                            nb.rib.withdraw(k);
                        }
                    }
                    for r in &cfg.routes {
                        for k in &r.nlris {
                            if let Some(a) = new.get(&k) {
                                if old.get(&k).is_none_or(|o| !Arc::ptr_eq(o, a)) {
                                    nb.rib.announce(k.clone(), a.clone());
                                }
                            }
                        }
                    }
                    nb.config_routes = new;
                    nb.cfg = cfg.clone();
                }
                None => {
                    keep.push(true);
                    let _ = self.add_neighbor(cfg.clone());
                }
            }
        }
        // Neighbors that disappeared or changed settings: cease and remove.
        let mut n = keep.len();
        while n > 0 {
            n -= 1;
            if !keep[n] {
                self.remove_neighbor(n, "neighbor de-configured");
            }
        }
        for p in config.processes {
            if !self.processes.iter().any(|q| q.cfg.name == p.name) {
                self.add_process(p);
                let i = self.processes.len() - 1;
                self.spawn(i);
            }
        }
    }

    fn begin_shutdown(&mut self, code: i32) {
        if self.shutdown.is_some() {
            return;
        }
        self.log(LogLevel::Info, "shutting down".into());
        self.touch_all = true;
        self.shutdown = Some(Shutdown {
            code,
            deadline: self.now + SHUTDOWN_GRACE,
            killed: false,
        });
        for n in 0..self.neighbors.len() {
            self.neighbors[n].retry_at = None;
            while let Some(s) = self.neighbors[n].sessions.iter().position(|_| true) {
                // RFC 8203 Administrative Shutdown.
                self.close_session(n, s, Some(notify(6, 2)), "shutdown");
            }
        }
        // ExaBGP tells every helper it is going away, in the helper's encoding.
        let daemon = events::DaemonInfo {
            version: self.env.json_version.clone(),
            host: self.env.host.clone(),
            pid: std::process::id(),
            ppid: self.env.ppid,
        };
        let time = self.wall_start + self.now.duration_since(self.started).as_secs_f64();
        for i in 0..self.processes.len() {
            if !self.processes[i].running {
                continue;
            }
            let mut out = Vec::new();
            match self.processes[i].cfg.encoder {
                Encoder::Json => ferrobgp_api::event::encode_shutdown_json(&daemon, time, &mut out),
                Encoder::Text => ferrobgp_api::event::encode_shutdown_text(&daemon, &mut out),
            }
            self.queue_process(i, Bytes::from(out));
        }
        self.flush_processes();
        for i in 0..self.processes.len() {
            if self.processes[i].running {
                self.outputs.push_back(Output::CloseProcessStdin {
                    process: ProcessId(i as u32),
                });
            }
        }
    }

    fn finish_shutdown(&mut self) {
        let Some(sd) = &mut self.shutdown else { return };
        let running: Vec<usize> = (0..self.processes.len())
            .filter(|&i| self.processes[i].running)
            .collect();
        if !running.is_empty() && self.now < sd.deadline {
            return;
        }
        if !running.is_empty() && !sd.killed {
            sd.killed = true;
            for i in running {
                self.outputs.push_back(Output::KillProcess {
                    process: ProcessId(i as u32),
                });
            }
        }
        let code = sd.code;
        self.outputs.push_back(Output::Exit { code });
        self.exited = true;
    }
}

/// How api's selectors and `show` see a neighbor.
fn identity(c: &NeighborConfig) -> NeighborIdentity {
    NeighborIdentity {
        peer_address: c.peer_address,
        local_address: c.local_address,
        local_as: c.local_as,
        peer_as: c.peer_as,
        router_id: c.router_id,
        families: None,
    }
}

/// What `show neighbor configuration` prints of a neighbor.
fn config_report(c: &NeighborConfig) -> ferrobgp_api::show::NeighborConfigReport {
    use ferrobgp_api::show::ApiReport;
    // ExaBGP flattens the api blocks: per process, the flags of every block naming it.
    let mut api: Vec<ApiReport> = Vec::new();
    for block in &c.api {
        for p in &block.processes {
            let at = match api.iter().position(|a| &a.process == p) {
                Some(at) => at,
                None => {
                    api.push(ApiReport {
                        process: p.clone(),
                        ..Default::default()
                    });
                    api.len() - 1
                }
            };
            let a = &mut api[at];
            let add = |list: &mut Vec<&'static str>, name: &'static str, on: bool| {
                if on && !list.contains(&name) {
                    list.push(name);
                }
            };
            add(&mut a.global, "neighbor-changes", block.neighbor_changes);
            add(&mut a.global, "negotiated", block.negotiated);
            add(&mut a.global, "fsm", block.fsm);
            add(&mut a.global, "signal", block.signal);
            for (list, f) in [(&mut a.receive, &block.receive), (&mut a.send, &block.send)] {
                add(list, "packets", f.packets);
                add(list, "parsed", f.parsed);
                add(list, "notification", f.notification);
                add(list, "open", f.open);
                add(list, "keepalive", f.keepalive);
                add(list, "update", f.update);
                add(list, "refresh", f.refresh);
                add(list, "operational", f.operational);
            }
        }
    }
    // The order ExaBGP writes them in, whatever order the blocks gave.
    const GLOBAL: [&str; 4] = ["neighbor-changes", "negotiated", "fsm", "signal"];
    const MESSAGES: [&str; 8] = [
        "packets",
        "parsed",
        "notification",
        "open",
        "keepalive",
        "update",
        "refresh",
        "operational",
    ];
    let order = |list: &mut Vec<&'static str>, names: &[&str]| {
        list.sort_by_key(|n| names.iter().position(|m| m == n));
    };
    for a in &mut api {
        order(&mut a.global, &GLOBAL);
        order(&mut a.receive, &MESSAGES);
        order(&mut a.send, &MESSAGES);
    }
    let cap = &c.capability;
    ferrobgp_api::show::NeighborConfigReport {
        peer_address: c.peer_address,
        description: c.description.clone(),
        router_id: c.router_id,
        host_name: c.host_name.clone(),
        domain_name: c.domain_name.clone(),
        local_address: c.local_address,
        local_as: c.local_as,
        peer_as: c.peer_as,
        hold_time: c.hold_time,
        manual_eor: c.manual_eor,
        passive: c.passive,
        listen: c.listen,
        connect: c.connect,
        group_updates: c.group_updates,
        auto_flush: c.auto_flush,
        adj_rib_in: c.adj_rib_in,
        adj_rib_out: c.adj_rib_out,
        md5_password: c.md5_password.clone(),
        outgoing_ttl: c.outgoing_ttl,
        incoming_ttl: c.incoming_ttl,
        asn4: cap.asn4,
        route_refresh: cap.route_refresh,
        graceful_restart: cap.graceful_restart,
        software_version: cap.software_version,
        nexthop: cap
            .nexthop
            .iter()
            .map(|(f, afi)| (*f, afi.to_string()))
            .collect(),
        add_path: cap.add_path,
        add_path_families: c.add_path_families.clone(),
        multi_session: cap.multi_session,
        operational: cap.operational,
        families: c.families.clone(),
        api,
    }
}

/// A route's NLRI as `show adj-rib` without `extensive` writes it (ExaBGP's `str(nlri)`):
/// family, prefix and next hop (`ipv4 unicast 10.0.0.0/24 next-hop 10.0.0.1`).
fn nlri_text(k: &RouteKey, a: &crate::rib::RouteAttrs) -> String {
    let only_next_hop = crate::rib::RouteAttrs {
        path: ferrobgp_wire::PathAttributes {
            next_hop: a.path.next_hop,
            ..Default::default()
        },
        next_hop_self: a.next_hop_self,
    };
    route_text(k, &only_next_hop)
}

/// A route in ExaBGP's command syntax (`ipv4 unicast 10.0.0.0/24 next-hop …`), written by
/// ferrobgp_config's route printer.
fn route_text(k: &RouteKey, a: &crate::rib::RouteAttrs) -> String {
    let spec = ferrobgp_config::route::RouteSpec {
        family: k.family,
        nlri: vec![k.nlri.clone()],
        attributes: a.path.clone(),
        next_hop_self: a.next_hop_self,
        withdraw: false,
        watchdog: None,
        name: None,
        split: None,
        flow: None,
        pos: Default::default(),
    };
    format!("{} {spec}", k.family)
}

/// What ExaBGP answers a message of a type it does not know with: 1/0 and this text
/// (unknown-message.ci), not RFC 4271 §6.1's 1/3 with the type.
fn unknown_type_notification(t: u8) -> Notification {
    Notification::new(
        1,
        0,
        Bytes::from(format!("can not decode update message of type \"{t}\"")),
    )
}

/// Each message of a buffer of whole messages (header included).
fn for_each_message(mut b: &[u8], mut f: impl FnMut(&[u8])) {
    while b.len() >= 19 {
        let len = (u16::from_be_bytes([b[16], b[17]]) as usize).clamp(19, b.len());
        f(&b[..len]);
        b = &b[len..];
    }
}

fn p_name(p: &Process) -> &str {
    &p.cfg.name
}

/// `event` with the raw message `raw` when it is a parsed message event of direction `d`
/// without one (ExaBGP's `consolidate`); any other event unchanged.
fn with_raw<'a>(event: Event<'a>, d: Direction, raw: events::RawMessage<'a>) -> Event<'a> {
    match event {
        Event::Open {
            direction,
            body,
            raw: None,
        } if direction == d => Event::Open {
            direction,
            body,
            raw: Some(raw),
        },
        Event::Update {
            direction,
            body,
            raw: None,
        } if direction == d => Event::Update {
            direction,
            body,
            raw: Some(raw),
        },
        Event::Keepalive {
            direction,
            raw: None,
        } if direction == d => Event::Keepalive {
            direction,
            raw: Some(raw),
        },
        Event::Notification {
            direction,
            notification,
            raw: None,
        } if direction == d => Event::Notification {
            direction,
            notification,
            raw: Some(raw),
        },
        Event::Refresh {
            direction,
            refresh,
            raw: None,
        } if direction == d => Event::Refresh {
            direction,
            refresh,
            raw: Some(raw),
        },
        Event::Operational {
            direction,
            message,
            raw: None,
        } if direction == d => Event::Operational {
            direction,
            message,
            raw: Some(raw),
        },
        other => other,
    }
}
