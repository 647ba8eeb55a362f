//! Speakers connected back to back in virtual time: no sockets, no clock, no processes.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrobgp_core::{Config, ConnId, Environment, Input, Output, ProcessId, Speaker};

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Split a byte stream into BGP messages.
pub fn messages(mut stream: &[u8]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    while stream.len() >= 19 {
        let len = u16::from_be_bytes([stream[16], stream[17]]) as usize;
        v.push(stream[..len].to_vec());
        stream = &stream[len..];
    }
    v
}

pub struct Node {
    pub speaker: Speaker,
    pub ip: IpAddr,
    /// Everything written to each process's stdin.
    pub stdin: HashMap<ProcessId, Vec<u8>>,
    /// Processes that do not read their stdin (no ProcessWritable).
    pub stalled: HashSet<ProcessId>,
    pub paused: HashSet<ConnId>,
    pub exit: Option<i32>,
    pub listening: Vec<SocketAddr>,
    pub next_accept: u64,
    /// Bytes each connection sent, in order.
    pub sent: HashMap<ConnId, Vec<u8>>,
}

/// The other end of a connection: (node, conn) pairs.
pub struct Net {
    pub now: Instant,
    pub nodes: Vec<Node>,
    links: HashMap<(usize, ConnId), (usize, ConnId)>,
    /// Bytes waiting to be delivered (after a pause, they stay here).
    inflight: HashMap<(usize, ConnId), VecDeque<Bytes>>,
    /// Links whose traffic is dropped (to simulate a dead peer).
    pub blackholed: HashSet<(usize, ConnId)>,
    /// When set, Connect fails.
    pub refuse: bool,
    pub log: Vec<(usize, Output)>,
}

impl Net {
    pub fn new(now: Instant) -> Net {
        Net {
            now,
            nodes: Vec::new(),
            links: HashMap::new(),
            inflight: HashMap::new(),
            blackholed: HashSet::new(),
            refuse: false,
            log: Vec::new(),
        }
    }

    pub fn add(&mut self, ip: &str, config: Config, env: Environment) -> usize {
        let speaker = Speaker::new(config, env, self.now).expect("speaker");
        self.nodes.push(Node {
            speaker,
            ip: ip.parse().unwrap(),
            stdin: HashMap::new(),
            stalled: HashSet::new(),
            paused: HashSet::new(),
            exit: None,
            listening: Vec::new(),
            next_accept: 1,
            sent: HashMap::new(),
        });
        self.nodes.len() - 1
    }

    pub fn input(&mut self, node: usize, input: Input) {
        let now = self.now;
        self.nodes[node].speaker.handle(now, input);
    }

    /// Drain every output and deliver every byte until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            let mut moved = false;
            for i in 0..self.nodes.len() {
                while let Some(o) = self.nodes[i].speaker.poll_output() {
                    moved = true;
                    self.perform(i, o);
                }
            }
            // Deliver pending bytes to unpaused receivers.
            let keys: Vec<(usize, ConnId)> = self.inflight.keys().copied().collect();
            for (n, c) in keys {
                if self.nodes[n].paused.contains(&c) {
                    continue;
                }
                if let Some(q) = self.inflight.get_mut(&(n, c)) {
                    if let Some(data) = q.pop_front() {
                        moved = true;
                        self.input(n, Input::Received { conn: c, data });
                    }
                }
            }
            // Work the speakers want done now.
            for i in 0..self.nodes.len() {
                if self.nodes[i]
                    .speaker
                    .next_deadline()
                    .is_some_and(|d| d <= self.now)
                {
                    moved = true;
                    self.input(i, Input::Tick);
                }
            }
            if !moved {
                // Short pacing deadlines (the first UPDATE waits a few ms after
                // Established) are part of settling: jump the clock to them.
                let soon = self.now + Duration::from_millis(50);
                let next = (0..self.nodes.len())
                    .filter_map(|i| self.nodes[i].speaker.next_deadline().map(|d| (d, i)))
                    .filter(|(d, _)| *d <= soon)
                    .min();
                match next {
                    Some((d, i)) => {
                        self.now = self.now.max(d);
                        self.input(i, Input::Tick);
                    }
                    None => return,
                }
            }
        }
        panic!("network did not settle");
    }

    fn perform(&mut self, i: usize, o: Output) {
        self.log.push((i, o.clone()));
        match o {
            Output::Listen { addr, .. } => self.nodes[i].listening.push(addr),
            Output::Connect { conn, remote, .. } => {
                let target = self.nodes.iter().position(|n| n.ip == remote.ip());
                match target {
                    Some(t) if !self.refuse => {
                        let acc = ConnId::accepted(self.nodes[t].next_accept);
                        self.nodes[t].next_accept += 1;
                        let local =
                            SocketAddr::new(self.nodes[i].ip, 40000 + (conn.0 as u16 & 0xfff));
                        self.links.insert((i, conn), (t, acc));
                        self.links.insert((t, acc), (i, conn));
                        self.input(
                            i,
                            Input::Connected {
                                conn,
                                local,
                                remote,
                            },
                        );
                        self.input(
                            t,
                            Input::Accepted {
                                conn: acc,
                                local: remote,
                                remote: local,
                            },
                        );
                    }
                    _ => self.input(
                        i,
                        Input::ConnectFailed {
                            conn,
                            error: "refused".into(),
                        },
                    ),
                }
            }
            Output::Send { conn, data } => {
                self.nodes[i]
                    .sent
                    .entry(conn)
                    .or_default()
                    .extend_from_slice(&data);
                if let Some(&(t, tc)) = self.links.get(&(i, conn)) {
                    if !self.blackholed.contains(&(i, conn)) {
                        self.inflight.entry((t, tc)).or_default().push_back(data);
                    }
                }
                self.input(i, Input::SendBufferLow { conn });
            }
            Output::Close { conn } => {
                if let Some((t, tc)) = self.links.remove(&(i, conn)) {
                    self.links.remove(&(t, tc));
                    // Deliver what was queued first, then the close.
                    if let Some(q) = self.inflight.remove(&(t, tc)) {
                        for data in q {
                            self.input(t, Input::Received { conn: tc, data });
                        }
                    }
                    self.input(
                        t,
                        Input::Closed {
                            conn: tc,
                            error: None,
                        },
                    );
                }
                self.input(i, Input::Closed { conn, error: None });
            }
            Output::PauseReading { conn } => {
                self.nodes[i].paused.insert(conn);
            }
            Output::ResumeReading { conn } => {
                self.nodes[i].paused.remove(&conn);
            }
            Output::Spawn { process, .. } => self.input(
                i,
                Input::ProcessStarted {
                    process,
                    pid: 1000 + process.0,
                },
            ),
            Output::WriteProcess { process, data } => {
                self.nodes[i]
                    .stdin
                    .entry(process)
                    .or_default()
                    .extend_from_slice(&data);
                if !self.nodes[i].stalled.contains(&process) {
                    self.input(i, Input::ProcessWritable { process });
                }
            }
            Output::CloseProcessStdin { process } | Output::KillProcess { process } => self.input(
                i,
                Input::ProcessExited {
                    process,
                    status: Some(0),
                },
            ),
            Output::Exit { code } => self.nodes[i].exit = Some(code),
            Output::PauseProcess { .. } | Output::ResumeProcess { .. } | Output::Reload => {}
        }
    }

    /// Advance virtual time to `now + d`, ticking every speaker at each deadline on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.settle();
            let next = self
                .nodes
                .iter()
                .filter_map(|n| n.speaker.next_deadline())
                .filter(|t| *t > self.now)
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = t;
                    for i in 0..self.nodes.len() {
                        self.input(i, Input::Tick);
                    }
                }
                _ => break,
            }
        }
        self.now = end;
        for i in 0..self.nodes.len() {
            self.input(i, Input::Tick);
        }
        self.settle();
    }

    pub fn stdin_text(&self, node: usize, p: u32) -> String {
        String::from_utf8_lossy(
            self.nodes[node]
                .stdin
                .get(&ProcessId(p))
                .map(|v| &v[..])
                .unwrap_or(&[]),
        )
        .into_owned()
    }

    /// All messages a node sent on all its connections.
    pub fn sent_messages(&self, node: usize) -> Vec<Vec<u8>> {
        let mut conns: Vec<_> = self.nodes[node].sent.keys().copied().collect();
        conns.sort();
        conns
            .iter()
            .flat_map(|c| messages(&self.nodes[node].sent[c]))
            .collect()
    }
}
