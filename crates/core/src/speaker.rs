//! The speaker: neighbors, sessions, processes. See the crate docs for the contract.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};

use crate::command::{self, Action, Command, Selector};
use crate::events::{self, Envelope, Event, Peer};
use crate::msg::{self, Capability, Notify, Open, UpdateContext};
use crate::rib::{AdjRibOut, Attrs, Family, Interner, Queued, RouteKey, RouteSpec};
use crate::setup::{Config, Encoder, Environment, NeighborConfig, ProcessConfig};
use crate::{
    ConnId, CoreError, Input, LogLevel, Output, ProcessId, Signal, PROCESS_QUEUE_HIGH,
    PROCESS_QUEUE_LOW, PROCESS_WINDOW, SEND_WINDOW, SHUTDOWN_GRACE, UPDATE_BATCH_BYTES,
};

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
    asn4: bool,
    peer_as: u32,
    hold_time: u16,
    extended_message: bool,
    enhanced_refresh: bool,
    add_path_send: Vec<Family>,
    add_path_recv: Vec<Family>,
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
    /// Routes that came from the configuration, for reload diffing.
    config_routes: HashMap<RouteKey, Attrs>,
    /// Watchdog name → routes it controls, and whether it is announced.
    watchdogs: HashMap<String, (bool, Vec<(RouteKey, Attrs)>)>,
    counter: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckMode {
    On,
    Off,
}

struct Process {
    cfg: ProcessConfig,
    running: bool,
    starts: VecDeque<Instant>,
    queue: VecDeque<Bytes>,
    queued: usize,
    written: usize,
    ack: AckMode,
    congested: bool,
    given_up: bool,
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
    interner: Interner,
    outputs: VecDeque<Output>,
    next_conn: u64,
    now: Instant,
    started: Instant,
    wall_start: f64,
    shutdown: Option<Shutdown>,
    exited: bool,
}

const RESPAWN_WINDOW: Duration = Duration::from_secs(64);
const RESPAWN_MAX: usize = 5;
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

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
            interner: Interner::default(),
            outputs: VecDeque::new(),
            next_conn: 0,
            now,
            started: now,
            wall_start,
            shutdown: None,
            exited: false,
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
        for addr in listen {
            s.outputs.push_back(Output::Listen { addr });
        }
        for i in 0..s.processes.len() {
            s.spawn(i);
        }
        s.run(now);
        Ok(s)
    }

    fn add_process(&mut self, cfg: ProcessConfig) {
        self.processes.push(Process {
            cfg,
            running: false,
            starts: VecDeque::new(),
            queue: VecDeque::new(),
            queued: 0,
            written: 0,
            ack: if self.env.api_ack {
                AckMode::On
            } else {
                AckMode::Off
            },
            congested: false,
            given_up: false,
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
            config_routes: HashMap::new(),
            watchdogs: HashMap::new(),
            counter: 0,
        };
        let routes = n.cfg.routes.clone();
        for r in &routes {
            self.install_config_route(&mut n, r);
        }
        self.neighbors.push(n);
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
                }
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
            Input::ProcessLine { process, line } => self.on_process_line(process.0 as usize, &line),
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
        self.run(now);
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
        for n in &self.neighbors {
            take(n.retry_at);
            for s in &n.sessions {
                take(s.hold_deadline);
                take(s.keepalive_at);
                if s.state == State::Established && n.rib.has_work() && s.in_flight < SEND_WINDOW {
                    take(Some(self.now));
                }
            }
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
            LogLevel::Debug => tracing::debug!("{message}"),
            LogLevel::Info => tracing::info!("{message}"),
            LogLevel::Warning => tracing::warn!("{message}"),
            LogLevel::Error => tracing::error!("{message}"),
        }
        self.outputs.push_back(Output::Log { level, message });
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
        self.outputs.push_back(Output::Send { conn, data });
    }

    fn peer_of(&self, n: usize, s: Option<usize>) -> Peer {
        let nb = &self.neighbors[n];
        let local = s
            .and_then(|s| nb.sessions[s].local.map(|a| a.ip()))
            .or(nb.cfg.local_address);
        Peer {
            local,
            peer: nb.cfg.peer_address,
            local_as: nb.cfg.local_as,
            peer_as: nb.cfg.peer_as,
            router_id: nb.cfg.router_id,
        }
    }

    /// Queue an event for every process whose api block on this neighbor asks for it.
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
        let peer = self.peer_of(n, s);
        let time = self.wall_start + self.now.duration_since(self.started).as_secs_f64();
        let version = self.env.json_version.clone();
        let env = Envelope {
            version: &version,
            time,
            host: "localhost",
            pid: std::process::id(),
            ppid: 0,
            counter: self.neighbors[n].counter,
        };
        let mut cache: [Option<Bytes>; 2] = [None, None];
        for i in targets {
            let enc = self.processes[i].cfg.encoder;
            let slot = if enc == Encoder::Json { 0 } else { 1 };
            let line = cache[slot]
                .get_or_insert_with(|| {
                    Bytes::from(events::encode(enc, &env, &peer, "receive", &event))
                })
                .clone();
            self.queue_process(i, line);
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
            for (s, hold) in self.neighbors[n].sessions.iter_mut().zip(neg_hold) {
                if s.blocked_by.remove(&id) && s.blocked_by.is_empty() {
                    self.outputs
                        .push_back(Output::ResumeReading { conn: s.conn });
                    let h = hold.unwrap_or(open_wait);
                    if h > 0 {
                        s.hold_deadline = Some(now + Duration::from_secs(h as u64));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ connections

    fn connect(&mut self, n: usize) {
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
    }

    fn on_connected(&mut self, conn: ConnId, local: SocketAddr) {
        let Some((n, s)) = self.session_of(conn) else {
            self.outputs.push_back(Output::Close { conn });
            return;
        };
        self.neighbors[n].sessions[s].local = Some(local);
        self.emit(
            n,
            Some(s),
            |a| a.neighbor_changes,
            Event::State {
                state: "connected",
                reason: None,
            },
        );
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
        if self.shutdown.is_some()
            || self.neighbors[n]
                .sessions
                .iter()
                .any(|s| s.state == State::Established)
        {
            // §6.8: a connection colliding with an Established session is closed.
            self.send(conn, Notify::new(6, 7).encode());
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        let mut sess = Session::new(conn, State::Active);
        sess.local = Some(SocketAddr::new(lip, local.port()));
        self.neighbors[n].sessions.push(sess);
        self.conns.insert(conn, n);
        let s = self.neighbors[n].sessions.len() - 1;
        self.emit(
            n,
            Some(s),
            |a| a.neighbor_changes,
            Event::State {
                state: "connected",
                reason: None,
            },
        );
        self.send_open(n, s);
    }

    fn build_open(&self, cfg: &NeighborConfig) -> Open {
        let c = &cfg.capability;
        let mut caps = Vec::new();
        // ExaBGP's order (Capabilities.new): MP, ASN4, nexthop, add-path, graceful restart,
        // route refresh, operational, extended message, hostname, software version, link-local.
        for f in &cfg.families {
            let a = f.afi.to_be_bytes();
            caps.push(Capability {
                code: 1,
                value: vec![a[0], a[1], 0, f.safi],
            });
        }
        if c.asn4 {
            caps.push(Capability {
                code: 65,
                value: cfg.local_as.to_be_bytes().to_vec(),
            });
        }
        if !c.nexthop.is_empty() {
            let mut v = Vec::new();
            for (afi, safi, nh) in &c.nexthop {
                v.extend_from_slice(&afi.to_be_bytes());
                v.extend_from_slice(&(*safi as u16).to_be_bytes());
                v.extend_from_slice(&nh.to_be_bytes());
            }
            caps.push(Capability { code: 5, value: v });
        }
        if c.add_path != 0 && !cfg.add_path_families.is_empty() {
            let mut v = Vec::new();
            for f in &cfg.add_path_families {
                v.extend_from_slice(&f.afi.to_be_bytes());
                v.push(f.safi);
                v.push(c.add_path);
            }
            caps.push(Capability { code: 69, value: v });
        }
        if let Some(t) = c.graceful_restart {
            let mut v = (t & 0x0fff).to_be_bytes().to_vec();
            for f in &cfg.families {
                v.extend_from_slice(&f.afi.to_be_bytes());
                v.push(f.safi);
                v.push(0x80);
            }
            caps.push(Capability { code: 64, value: v });
        }
        if c.route_refresh {
            caps.push(Capability {
                code: 2,
                value: vec![],
            });
            caps.push(Capability {
                code: 70,
                value: vec![],
            });
        }
        if c.operational {
            caps.push(Capability {
                code: 185,
                value: vec![],
            });
        }
        if c.extended_message {
            caps.push(Capability {
                code: 6,
                value: vec![],
            });
        }
        if let Some(h) = &cfg.host_name {
            let d = cfg.domain_name.clone().unwrap_or_default();
            let mut v = vec![h.len() as u8];
            v.extend_from_slice(h.as_bytes());
            v.push(d.len() as u8);
            v.extend_from_slice(d.as_bytes());
            caps.push(Capability { code: 73, value: v });
        }
        if c.software_version {
            let sv = self.env.software_version.as_bytes();
            let mut v = vec![sv.len() as u8];
            v.extend_from_slice(sv);
            caps.push(Capability { code: 75, value: v });
        }
        if c.link_local_nexthop {
            caps.push(Capability {
                code: 77,
                value: vec![],
            });
        }
        if c.multi_session {
            caps.push(Capability {
                code: 68,
                value: vec![1],
            });
        }
        Open {
            version: 4,
            my_as: if cfg.local_as > 0xffff {
                msg::AS_TRANS as u16
            } else {
                cfg.local_as as u16
            },
            hold_time: cfg.hold_time,
            bgp_id: cfg.router_id,
            capabilities: caps,
        }
    }

    fn send_open(&mut self, n: usize, s: usize) {
        let open = self.build_open(&self.neighbors[n].cfg).encode();
        let wait = self.env.open_wait;
        let now = self.now;
        let sess = &mut self.neighbors[n].sessions[s];
        sess.state = State::OpenSent;
        sess.hold_deadline = (wait > 0).then(|| now + Duration::from_secs(wait as u64));
        let conn = sess.conn;
        self.send(conn, open);
    }

    /// Tear a session down: optional NOTIFICATION, Close, events, retry scheduling.
    fn close_session(&mut self, n: usize, s: usize, notify: Option<Notify>, reason: &str) {
        let sess = self.neighbors[n].sessions.remove(s);
        self.conns.remove(&sess.conn);
        if let Some(nt) = &notify {
            if matches!(
                sess.state,
                State::OpenSent | State::OpenConfirm | State::Established
            ) {
                self.send(sess.conn, nt.encode());
            }
        }
        if sess.state != State::Connect {
            self.outputs.push_back(Output::Close { conn: sess.conn });
        }
        if !sess.blocked_by.is_empty() {
            // Reading is moot now; the driver forgets the connection.
        }
        tracing::info!(peer = %self.neighbors[n].cfg.peer_address, reason, "session closed");
        if sess.state == State::Established {
            self.neighbors[n].rib.session_down();
            self.emit(
                n,
                None,
                |a| a.neighbor_changes,
                Event::State {
                    state: "down",
                    reason: Some(reason.to_string()),
                },
            );
        }
        self.schedule_retry(n);
    }

    fn schedule_retry(&mut self, n: usize) {
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
            let mut sess_state = self.neighbors[n].sessions[s].state;
            if sess_state == State::Connect {
                // Never got a socket: nothing to close.
                sess_state = State::Idle;
            }
            let _ = sess_state;
            let was_connect = self.neighbors[n].sessions[s].state == State::Connect;
            let sess = self.neighbors[n].sessions.remove(s);
            self.conns.remove(&sess.conn);
            if sess.state == State::Established {
                self.neighbors[n].rib.session_down();
                self.emit(
                    n,
                    None,
                    |a| a.neighbor_changes,
                    Event::State {
                        state: "down",
                        reason: Some(reason.to_string()),
                    },
                );
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
        self.neighbors[n].sessions[s].rx.extend_from_slice(&data);
        loop {
            let Some((n, s)) = self.session_of(conn) else {
                return;
            };
            let sess = &mut self.neighbors[n].sessions[s];
            let max = match &sess.neg {
                Some(g) if g.extended_message && sess.state == State::Established => {
                    msg::MAX_EXTENDED_MESSAGE
                }
                _ => msg::MAX_MESSAGE,
            };
            match msg::frame(&mut sess.rx, max) {
                Ok(None) => return,
                Ok(Some((kind, body))) => self.on_message(n, s, kind, body),
                Err(nt) => {
                    self.close_session(n, s, Some(nt), "malformed message header");
                    return;
                }
            }
        }
    }

    fn reset_hold(&mut self, n: usize, s: usize) {
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

    fn on_message(&mut self, n: usize, s: usize, kind: u8, body: Bytes) {
        let state = self.neighbors[n].sessions[s].state;
        match (state, kind) {
            (_, msg::NOTIFICATION) => {
                let nt = Notify::decode(&body).unwrap_or(Notify::new(0, 0));
                self.emit(
                    n,
                    Some(s),
                    |a| a.receive.notification,
                    Event::Notification(&nt),
                );
                let reason = format!("peer sent NOTIFICATION {}", nt.describe());
                self.close_session(n, s, None, &reason);
            }
            (State::OpenSent, msg::OPEN) => self.on_open(n, s, &body),
            (State::OpenConfirm, msg::KEEPALIVE) => {
                self.emit(n, Some(s), |a| a.receive.keepalive, Event::Keepalive);
                self.established(n, s);
            }
            (State::Established, msg::KEEPALIVE) => {
                self.reset_hold(n, s);
                self.emit(n, Some(s), |a| a.receive.keepalive, Event::Keepalive);
            }
            (State::Established, msg::UPDATE) => {
                self.reset_hold(n, s);
                let neg = self.neighbors[n].sessions[s].neg.clone();
                let Some(neg) = neg else { return };
                match msg::decode_update(&body, neg.asn4, &neg.add_path_recv) {
                    Ok(u) => {
                        if u.treat_as_withdraw {
                            tracing::warn!(peer = %self.neighbors[n].cfg.peer_address, "RFC 7606: UPDATE treated as withdraw");
                        }
                        self.emit(n, Some(s), |a| a.receive.update, Event::Update(&u));
                    }
                    Err(nt) => self.close_session(n, s, Some(nt), "malformed UPDATE"),
                }
            }
            (State::Established, msg::ROUTE_REFRESH) => {
                self.reset_hold(n, s);
                if body.len() == 4 {
                    let family = Family::new(u16::from_be_bytes([body[0], body[1]]), body[3]);
                    let subtype = body[2];
                    self.emit(
                        n,
                        Some(s),
                        |a| a.receive.refresh,
                        Event::Refresh { family, subtype },
                    );
                    if subtype == 0 {
                        self.refresh_family(n, s, family);
                    }
                }
            }
            (State::OpenSent, _) => self.close_session(
                n,
                s,
                Some(Notify::new(5, 1)),
                "unexpected message in OpenSent",
            ),
            (State::OpenConfirm, _) => self.close_session(
                n,
                s,
                Some(Notify::new(5, 2)),
                "unexpected message in OpenConfirm",
            ),
            (State::Established, _) => self.close_session(
                n,
                s,
                Some(Notify::new(5, 3)),
                "unexpected message in Established",
            ),
            _ => self.close_session(n, s, Some(Notify::new(5, 0)), "unexpected message"),
        }
    }

    /// Resend a family's routes, bracketed by BoRR/EoRR when enhanced refresh was negotiated.
    fn refresh_family(&mut self, n: usize, s: usize, family: Family) {
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

    fn on_open(&mut self, n: usize, s: usize, body: &[u8]) {
        let open = match Open::decode(body) {
            Ok(o) => o,
            Err(nt) => return self.close_session(n, s, Some(nt), "malformed OPEN"),
        };
        self.emit(n, Some(s), |a| a.receive.open, Event::Open(&open));
        let cfg = &self.neighbors[n].cfg;
        // RFC 4271 §6.2 checks, in its order.
        if open.version != 4 {
            return self.close_session(
                n,
                s,
                Some(Notify::with_data(2, 1, vec![0, 4])),
                "unsupported version",
            );
        }
        let peer_as = open.asn();
        if cfg.peer_as != 0 && peer_as != cfg.peer_as {
            return self.close_session(n, s, Some(Notify::new(2, 2)), "bad peer AS");
        }
        let ibgp = peer_as == cfg.local_as;
        if open.bgp_id.is_unspecified() || (ibgp && open.bgp_id == cfg.router_id) {
            return self.close_session(n, s, Some(Notify::new(2, 3)), "bad BGP identifier");
        }
        if open.hold_time == 1 || open.hold_time == 2 {
            return self.close_session(n, s, Some(Notify::new(2, 6)), "unacceptable hold time");
        }
        let ours = self.build_open(cfg);
        let our_caps = |code: u8| ours.capability(code).is_some();
        let theirs = open.families();
        let families: Vec<Family> = cfg
            .families
            .iter()
            .copied()
            .filter(|f| theirs.contains(f))
            .collect();
        let mut add_path_send = Vec::new();
        let mut add_path_recv = Vec::new();
        if our_caps(69) {
            for (f, dir) in open.add_path() {
                if cfg.add_path_families.contains(&f) {
                    if cfg.capability.add_path & 2 != 0 && dir & 1 != 0 {
                        add_path_send.push(f);
                    }
                    if cfg.capability.add_path & 1 != 0 && dir & 2 != 0 {
                        add_path_recv.push(f);
                    }
                }
            }
        }
        let neg = Negotiated {
            families,
            asn4: our_caps(65) && open.capability(65).is_some(),
            peer_as,
            hold_time: cfg.hold_time.min(open.hold_time),
            extended_message: our_caps(6) && open.capability(6).is_some(),
            enhanced_refresh: our_caps(70) && open.capability(70).is_some(),
            add_path_send,
            add_path_recv,
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
            self.close_session(n, loser, Some(Notify::new(6, 7)), "connection collision");
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
        self.send(conn, msg::keepalive());
    }

    fn established(&mut self, n: usize, s: usize) {
        self.reset_hold(n, s);
        let nb = &mut self.neighbors[n];
        nb.sessions[s].state = State::Established;
        nb.backoff = RETRY_MIN;
        let neg = nb.sessions[s].neg.clone();
        let eor: Vec<Family> = if nb.cfg.manual_eor {
            vec![]
        } else {
            neg.map(|g| g.families).unwrap_or_default()
        };
        nb.rib.session_up(&eor);
        tracing::info!(peer = %nb.cfg.peer_address, "session established");
        self.emit(
            n,
            Some(s),
            |a| a.neighbor_changes,
            Event::State {
                state: "up",
                reason: None,
            },
        );
    }

    // ------------------------------------------------------------------ the per-iteration run

    fn run(&mut self, now: Instant) {
        self.run_timers(now);
        self.run_peers();
        self.flush_processes();
        self.finish_shutdown();
    }

    fn run_timers(&mut self, now: Instant) {
        for n in 0..self.neighbors.len() {
            if self.neighbors[n].retry_at.is_some_and(|t| t <= now) && self.shutdown.is_none() {
                self.connect(n);
            }
            let mut s = 0;
            while s < self.neighbors[n].sessions.len() {
                let sess = &self.neighbors[n].sessions[s];
                if sess.hold_deadline.is_some_and(|t| t <= now) {
                    // RFC 4271 §6.5: Hold Timer Expired.
                    self.close_session(n, s, Some(Notify::new(4, 0)), "hold timer expired");
                    continue;
                }
                if sess.keepalive_at.is_some_and(|t| t <= now) {
                    let hold = sess.neg.as_ref().map_or(0, |g| g.hold_time);
                    let conn = sess.conn;
                    self.neighbors[n].sessions[s].keepalive_at =
                        Some(now + Duration::from_secs((hold / 3).max(1) as u64));
                    self.send(conn, msg::keepalive());
                }
                s += 1;
            }
        }
    }

    fn run_peers(&mut self) {
        for n in 0..self.neighbors.len() {
            for s in 0..self.neighbors[n].sessions.len() {
                if self.neighbors[n].sessions[s].state == State::Established {
                    self.generate_updates(n, s);
                }
            }
        }
    }

    /// One bounded batch of UPDATEs from the pending Adj-RIB-Out changes.
    fn generate_updates(&mut self, n: usize, s: usize) {
        let nb = &mut self.neighbors[n];
        let sess = &nb.sessions[s];
        let Some(neg) = sess.neg.clone() else { return };
        let ctx = UpdateContext {
            ibgp: neg.peer_as == nb.cfg.local_as,
            local_as: nb.cfg.local_as,
            asn4: neg.asn4,
            local_addr: sess.local.map(|a| a.ip()).or(nb.cfg.local_address),
            max_message: if neg.extended_message {
                msg::MAX_EXTENDED_MESSAGE
            } else {
                msg::MAX_MESSAGE
            },
            add_path_send: neg.add_path_send.clone(),
        };
        let conn = sess.conn;
        let mut budget = UPDATE_BATCH_BYTES.min(SEND_WINDOW.saturating_sub(sess.in_flight));
        let mut out: Vec<Bytes> = Vec::new();
        let group = nb.cfg.group_updates;
        while budget > 0 && nb.rib.has_work() {
            // Collect route changes up to the next marker, grouped by attribute set.
            let mut withdraws: Vec<(Family, Vec<RouteKey>)> = Vec::new();
            let mut announces: Vec<(Family, Attrs, Vec<RouteKey>)> = Vec::new();
            let mut index: HashMap<(Family, usize), usize> = HashMap::new();
            let mut estimate = 0usize;
            while estimate < budget {
                match nb.rib.peek() {
                    Some(Queued::Route(_)) => {}
                    _ => break,
                }
                let Some((Queued::Route(k), change)) = nb.rib.pop() else {
                    break;
                };
                if !neg.families.contains(&k.family) {
                    continue;
                }
                estimate += k.nlri.len() + 4;
                match change {
                    None => match withdraws.iter_mut().find(|(f, _)| *f == k.family) {
                        Some((_, v)) => v.push(k),
                        None => {
                            estimate += 30;
                            withdraws.push((k.family, vec![k]))
                        }
                    },
                    Some(a) => {
                        let key = (k.family, Arc::as_ptr(&a) as usize);
                        match index.get(&key) {
                            Some(&i) if group => announces[i].2.push(k),
                            _ => {
                                estimate +=
                                    60 + a.other.iter().map(|x| x.value.len() + 4).sum::<usize>();
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
                let refs: Vec<&RouteKey> = keys.iter().collect();
                if group {
                    msg::withdraw(*f, &refs, &ctx, &mut out);
                } else {
                    for r in refs {
                        msg::withdraw(*f, &[r], &ctx, &mut out);
                    }
                }
            }
            for (f, a, keys) in &announces {
                let refs: Vec<&RouteKey> = keys.iter().collect();
                msg::announce(*f, a, &refs, &ctx, &mut out);
            }
            if withdraws.is_empty() && announces.is_empty() {
                match nb.rib.pop() {
                    Some((Queued::EndOfRib(f), _)) if neg.families.contains(&f) => {
                        out.push(msg::end_of_rib(f));
                    }
                    Some((Queued::RefreshBegin(f), _)) => out.push(msg::route_refresh(f, 1)),
                    Some((Queued::RefreshEnd(f), _)) => out.push(msg::route_refresh(f, 2)),
                    _ => {}
                }
            }
            let used: usize = out.iter().map(|b| b.len()).sum();
            budget = UPDATE_BATCH_BYTES
                .min(SEND_WINDOW.saturating_sub(sess_in_flight(nb, s) + used))
                .saturating_sub(used);
        }
        let total: usize = out.iter().map(|b| b.len()).sum();
        self.neighbors[n].sessions[s].in_flight += total;
        for b in out {
            self.send(conn, b);
        }
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

    fn ack(&mut self, i: usize, ok: bool) {
        if self.processes[i].ack == AckMode::On {
            self.queue_process(
                i,
                Bytes::from_static(if ok { b"done\n" } else { b"error\n" }),
            );
        }
    }

    fn on_process_line(&mut self, i: usize, line: &str) {
        if i >= self.processes.len() {
            return;
        }
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(e) => {
                let name = self.processes[i].cfg.name.clone();
                self.log(LogLevel::Warning, format!("process {name}: {e}"));
                return self.ack(i, false);
            }
        };
        match cmd.action {
            Action::Comment => {}
            Action::EnableAck => {
                self.processes[i].ack = AckMode::On;
                self.ack(i, true);
            }
            Action::DisableAck => {
                self.ack(i, true);
                self.processes[i].ack = AckMode::Off;
            }
            Action::SilenceAck => self.processes[i].ack = AckMode::Off,
            Action::Shutdown => {
                self.ack(i, true);
                self.begin_shutdown(0);
            }
            Action::Version => {
                let v = format!("ferrobgp {}\n", env!("CARGO_PKG_VERSION"));
                self.queue_process(i, Bytes::from(v));
                self.ack(i, true);
            }
            Action::Restart => {
                self.ack(i, true);
                self.on_signal(Signal::Alrm);
            }
            Action::Reload => {
                // Re-reading files is the driver's job; it answers with Input::Reload.
                self.ack(i, false);
            }
            _ => {
                let ok = self.apply(i, &cmd);
                self.ack(i, ok);
            }
        }
    }

    fn selected(&self, i: usize, selectors: &[Selector]) -> Vec<usize> {
        let name = &self.processes[i].cfg.name;
        (0..self.neighbors.len())
            .filter(|&n| {
                let c = &self.neighbors[n].cfg;
                if selectors.is_empty() {
                    return c.api.iter().any(|a| a.processes.contains(name));
                }
                selectors.iter().any(|s| {
                    s.peer.is_none_or(|p| p == c.peer_address)
                        && s.local_ip.is_none_or(|l| Some(l) == c.local_address)
                        && s.local_as.is_none_or(|a| a == c.local_as)
                        && s.peer_as.is_none_or(|a| a == c.peer_as)
                        && s.router_id.is_none_or(|r| r == c.router_id)
                })
            })
            .collect()
    }

    fn apply(&mut self, i: usize, cmd: &Command) -> bool {
        let targets = self.selected(i, &cmd.selectors);
        if targets.is_empty() {
            return false;
        }
        match &cmd.action {
            Action::Announce(spec) => {
                let attrs = self.interner.intern(spec.attrs.clone());
                for &n in &targets {
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
                            e.1.retain(|(x, _)| x != k);
                            e.1.push((k.clone(), attrs.clone()));
                            if !e.0 {
                                continue;
                            }
                        }
                        nb.rib.announce(k.clone(), attrs.clone());
                    }
                }
            }
            Action::Withdraw(spec) => {
                for &n in &targets {
                    for k in &spec.nlris {
                        self.neighbors[n].rib.withdraw(k.clone());
                    }
                }
            }
            Action::Watchdog { name, announce } => {
                for &n in &targets {
                    let nb = &mut self.neighbors[n];
                    let Some(e) = nb.watchdogs.get_mut(name) else {
                        continue;
                    };
                    e.0 = *announce;
                    for (k, a) in e.1.clone() {
                        if *announce {
                            nb.rib.announce(k, a);
                        } else {
                            nb.rib.withdraw(k);
                        }
                    }
                }
            }
            Action::EndOfRib(family) => {
                for &n in &targets {
                    let nb = &mut self.neighbors[n];
                    let fams = match family {
                        Some(f) => vec![*f],
                        None => nb.cfg.families.clone(),
                    };
                    for f in fams {
                        nb.rib.push_marker(Queued::EndOfRib(f));
                    }
                }
            }
            Action::RouteRefresh(family) => {
                for &n in &targets {
                    let conns: Vec<ConnId> = self.neighbors[n]
                        .sessions
                        .iter()
                        .filter(|s| s.state == State::Established)
                        .map(|s| s.conn)
                        .collect();
                    for c in conns {
                        self.send(c, msg::route_refresh(*family, 0));
                    }
                }
            }
            Action::FlushAdjRibOut => {
                for &n in &targets {
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
            Action::ClearAdjRibOut => {
                for &n in &targets {
                    self.neighbors[n].rib.clear();
                }
            }
            Action::ClearAdjRibIn => {}
            Action::Teardown(sub) => {
                for &n in &targets {
                    while let Some(s) = self.neighbors[n]
                        .sessions
                        .iter()
                        .position(|s| s.state != State::Connect)
                    {
                        self.close_session(n, s, Some(Notify::new(6, *sub)), "teardown");
                    }
                }
            }
            _ => return false,
        }
        true
    }

    // ------------------------------------------------------------------ signals, reload, shutdown

    fn on_signal(&mut self, sig: Signal) {
        match sig {
            Signal::Term | Signal::Hup => self.begin_shutdown(0),
            Signal::Alrm => {
                for n in 0..self.neighbors.len() {
                    while let Some(s) = self.neighbors[n]
                        .sessions
                        .iter()
                        .position(|s| s.state != State::Connect)
                    {
                        self.close_session(n, s, Some(Notify::new(6, 4)), "restart");
                    }
                }
            }
            Signal::Usr1 | Signal::Usr2 => {}
        }
    }

    /// Apply a re-read configuration: unchanged neighbors keep their sessions, their added
    /// routes are announced, removed ones withdrawn, changed ones replaced.
    fn reload(&mut self, config: Config) {
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
                    let mut new: HashMap<RouteKey, Attrs> = HashMap::new();
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
                        if !new.contains_key(k) {
                            nb.rib.withdraw(k.clone());
                        }
                    }
                    for r in &cfg.routes {
                        for k in &r.nlris {
                            if let Some(a) = new.get(k) {
                                if old.get(k).is_none_or(|o| !Arc::ptr_eq(o, a)) {
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
                while !self.neighbors[n].sessions.is_empty() {
                    self.close_session(n, 0, Some(Notify::new(6, 3)), "neighbor de-configured");
                }
                self.neighbors.remove(n);
                for v in self.conns.values_mut() {
                    if *v > n {
                        *v -= 1;
                    }
                }
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
        self.shutdown = Some(Shutdown {
            code,
            deadline: self.now + SHUTDOWN_GRACE,
            killed: false,
        });
        for n in 0..self.neighbors.len() {
            self.neighbors[n].retry_at = None;
            while let Some(s) = self.neighbors[n].sessions.iter().position(|_| true) {
                // RFC 8203 Administrative Shutdown.
                self.close_session(n, s, Some(Notify::new(6, 2)), "shutdown");
            }
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

fn sess_in_flight(nb: &Neighbor, s: usize) -> usize {
    nb.sessions[s].in_flight
}

fn p_name(p: &Process) -> &str {
    &p.cfg.name
}
