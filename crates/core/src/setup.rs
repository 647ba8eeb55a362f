//! What the speaker needs from the configuration, typed: neighbors, processes, environment.
//!
//! `ferrobgp_config` parses ExaBGP's language; [`crate::convert`] turns its result into these
//! types (on start and on reload). Routes are already wire's owned model ([`crate::rib`]), so
//! nothing is re-parsed or re-encoded here. Defaults are ExaBGP's (reference §2, §4.2),
//! because the byte-exact tests see them.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use crate::rib::{Family, RouteSpec};

/// The whole configuration the speaker runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub neighbors: Vec<NeighborConfig>,
    pub processes: Vec<ProcessConfig>,
    /// Directory of the configuration file: the working directory of helper processes.
    pub config_dir: PathBuf,
}

/// `process NAME { run CMD; encoder json|text; }`
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessConfig {
    pub name: String,
    /// Program and arguments, already resolved by the configuration (no shell).
    pub argv: Vec<String>,
    pub encoder: Encoder,
    /// `respawn` (default: the environment's `api.respawn`).
    pub respawn: Option<bool>,
}

/// The format of the events a process reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoder {
    #[default]
    Json,
    Text,
}

/// One `api { … }` block of a neighbor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiConfig {
    pub processes: Vec<String>,
    pub neighbor_changes: bool,
    pub negotiated: bool,
    pub fsm: bool,
    pub signal: bool,
    pub receive: MessageFlags,
    pub send: MessageFlags,
}

/// `receive { … }` / `send { … }` inside an `api` block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageFlags {
    pub parsed: bool,
    pub packets: bool,
    /// `consolidate`: the raw message goes inside the parsed event (`header`, `body`) instead
    /// of a separate `packets` event. ExaBGP applies it per neighbor: one api block asking
    /// for it changes the events of every process of that neighbor.
    pub consolidate: bool,
    pub open: bool,
    pub update: bool,
    pub notification: bool,
    pub keepalive: bool,
    pub refresh: bool,
    pub operational: bool,
}

impl MessageFlags {
    pub fn any(&self) -> bool {
        self.open
            || self.update
            || self.notification
            || self.keepalive
            || self.refresh
            || self.operational
    }
}

/// `capability { … }`. `None` fields mean "not written", which for some capabilities differs
/// from ExaBGP's defaults when a capability block is present at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityConfig {
    pub asn4: bool,
    pub route_refresh: bool,
    /// Graceful restart time, when enabled.
    pub graceful_restart: Option<u16>,
    /// ADD-PATH direction bits offered for the neighbor's add-path families: 1 receive, 2 send.
    pub add_path: u8,
    pub extended_message: bool,
    pub software_version: bool,
    pub link_local_nexthop: bool,
    pub multi_session: bool,
    pub operational: bool,
    /// RFC 8950 extended next hop: (afi, safi, next-hop afi) triples offered.
    pub nexthop: Vec<(Family, ferrobgp_wire::model::Afi)>,
}

impl Default for CapabilityConfig {
    /// ExaBGP with no `capability` block: multiprotocol, ASN4 and extended message.
    fn default() -> Self {
        CapabilityConfig {
            asn4: true,
            route_refresh: false,
            graceful_restart: None,
            add_path: 0,
            extended_message: true,
            software_version: false,
            link_local_nexthop: false,
            multi_session: false,
            operational: false,
            nexthop: Vec::new(),
        }
    }
}

/// One `neighbor` block after templates were applied.
#[derive(Debug, Clone, PartialEq)]
pub struct NeighborConfig {
    pub peer_address: IpAddr,
    pub local_address: Option<IpAddr>,
    /// `local-link-local`: the link-local address sent after a global IPv6 next hop when the
    /// link-local next hop capability is negotiated.
    pub local_link_local: Option<std::net::Ipv6Addr>,
    pub local_as: u32,
    pub peer_as: u32,
    pub router_id: Ipv4Addr,
    pub hold_time: u16,
    pub passive: bool,
    /// `listen PORT`: accept on this port.
    pub listen: Option<u16>,
    /// `connect PORT`: connect to this port instead of `tcp.port`.
    pub connect: Option<u16>,
    pub description: Option<String>,
    pub md5_password: Option<String>,
    pub outgoing_ttl: Option<u8>,
    /// `incoming-ttl N`: GTSM (RFC 5082), drop packets from the peer with a lower TTL.
    pub incoming_ttl: Option<u8>,
    pub group_updates: bool,
    pub manual_eor: bool,
    /// `auto-flush`: API changes are sent as soon as the peers run. When false they are held
    /// until the process sends `flush adj-rib out` (ExaBGP 3.4's `auto-flush`, whose release
    /// command became `flush adj-rib out`).
    pub auto_flush: bool,
    /// `adj-rib-in`: keep what the peer sent, for `show adj-rib in`.
    pub adj_rib_in: bool,
    /// `adj-rib-out`: keep what was sent to the peer. When false, a route is forgotten once it
    /// was sent: nothing to resend on ROUTE-REFRESH or `flush adj-rib out`, nothing to show or
    /// clear, and a new session gets only the configuration's routes.
    pub adj_rib_out: bool,
    pub host_name: Option<String>,
    pub domain_name: Option<String>,
    pub families: Vec<Family>,
    /// Families that negotiate ADD-PATH (`add-path` in family/capability).
    pub add_path_families: Vec<Family>,
    pub capability: CapabilityConfig,
    pub api: Vec<ApiConfig>,
    pub routes: Vec<RouteSpec>,
    /// The configuration's `operational { … }` messages: sent when a session that negotiated
    /// the operational capability comes up, as ExaBGP does (an ASM on every new session, the
    /// others once).
    pub operational: Vec<ferrobgp_api::command::Operational>,
}

impl NeighborConfig {
    /// A neighbor with ExaBGP's defaults.
    pub fn new(peer_address: IpAddr, local_as: u32, peer_as: u32, router_id: Ipv4Addr) -> Self {
        NeighborConfig {
            peer_address,
            local_address: None,
            local_link_local: None,
            local_as,
            peer_as,
            router_id,
            hold_time: 180,
            passive: false,
            listen: None,
            connect: None,
            description: None,
            md5_password: None,
            outgoing_ttl: None,
            incoming_ttl: None,
            group_updates: true,
            manual_eor: false,
            auto_flush: true,
            adj_rib_in: true,
            adj_rib_out: true,
            host_name: None,
            domain_name: None,
            families: vec![Family::IPV4_UNICAST],
            add_path_families: Vec::new(),
            capability: CapabilityConfig::default(),
            api: Vec::new(),
            routes: Vec::new(),
            operational: Vec::new(),
        }
    }

    /// Everything but the routes: when this changes on reload the session is restarted.
    pub(crate) fn session_settings_equal(&self, other: &NeighborConfig) -> bool {
        let mut a = self.clone();
        let mut b = other.clone();
        a.routes.clear();
        b.routes.clear();
        a.api.clear();
        b.api.clear();
        a == b
    }
}

/// ExaBGP's environment settings the core honours (reference §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `tcp.port`: the port for outgoing connections and the listener.
    pub tcp_port: u16,
    /// `tcp.bind`: addresses to listen on; empty means no listener.
    pub tcp_bind: Vec<IpAddr>,
    /// `tcp.attempts` (`tcp.connections`): outgoing attempts per neighbor, 0 = unlimited.
    pub tcp_attempts: u32,
    /// `bgp.passive`: every neighbor passive.
    pub bgp_passive: bool,
    /// `bgp.openwait`: seconds to wait for the peer's OPEN.
    pub open_wait: u16,
    /// `api.ack`
    pub api_ack: bool,
    /// `api.respawn`
    pub api_respawn: bool,
    /// `api.terminate`: exit when a helper dies.
    pub api_terminate: bool,
    /// The software version capability value (`ExaBGP/<exabgp_version>` for the harness).
    pub software_version: String,
    /// The `exabgp` version field of JSON events.
    pub json_version: String,
    /// The `host` and `ppid` fields of JSON events (ExaBGP: `socket.gethostname()`,
    /// `os.getppid()`); the driver fills them, the core does no I/O.
    pub host: String,
    pub ppid: u32,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            tcp_port: 179,
            tcp_bind: Vec::new(),
            tcp_attempts: 0,
            bgp_passive: false,
            open_wait: 60,
            api_ack: true,
            api_respawn: true,
            api_terminate: false,
            software_version: concat!("ferrobgp/", env!("CARGO_PKG_VERSION")).to_string(),
            json_version: "5.0.0".to_string(),
            host: "localhost".to_string(),
            ppid: 0,
        }
    }
}
