//! The typed configuration: what the speaker needs to run, with ExaBGP's defaults applied.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ferrobgp_wire::model::{AddPathMode, Afi, Family};
use ipnet::IpNet;

use crate::error::Pos;
use crate::route::{RouteSpec, UnsupportedRoute};

/// A whole configuration file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file it came from, when read from one.
    pub source: Option<PathBuf>,
    pub processes: Vec<Process>,
    pub neighbors: Vec<Neighbor>,
}

impl Config {
    pub fn process(&self, name: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoder {
    Json,
    Text,
}

/// `process NAME { run PROG ARGS; encoder json|text; respawn BOOL; }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub name: String,
    /// Program and arguments, split as ExaBGP does (no shell).
    pub run: Vec<String>,
    /// None: the environment's `api.encoder` decides.
    pub encoder: Option<Encoder>,
    pub respawn: bool,
    pub pos: Pos,
}

/// A value that may be written `auto` (local-address, local-as, peer-as, router-id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auto<T> {
    Auto,
    Value(T),
}

impl<T: Copy> Auto<T> {
    pub fn value(&self) -> Option<T> {
        match self {
            Auto::Auto => None,
            Auto::Value(v) => Some(*v),
        }
    }
}

/// `graceful-restart` in the capability block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GracefulRestart {
    Disabled,
    /// Bare keyword or 0: the restart time is the hold time.
    HoldTime,
    Seconds(u16),
}

/// The capabilities a neighbor offers. `Default` is ExaBGP's effective default when there
/// is no `capability` block: ASN4 and extended message on, everything else off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub asn4: bool,
    pub extended_message: bool,
    pub route_refresh: bool,
    pub graceful_restart: GracefulRestart,
    /// `add-path disable|send|receive|send/receive`: None = disabled.
    pub add_path: Option<AddPathMode>,
    pub multi_session: bool,
    pub operational: bool,
    pub aigp: bool,
    pub software_version: bool,
    /// RFC 8950 extended next hop (pairs in `Neighbor::nexthop`).
    pub nexthop: bool,
    pub link_local_nexthop: bool,
    pub link_local_prefer: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            asn4: true,
            extended_message: true,
            route_refresh: false,
            graceful_restart: GracefulRestart::Disabled,
            add_path: None,
            multi_session: false,
            operational: false,
            aigp: false,
            software_version: false,
            nexthop: false,
            link_local_nexthop: false,
            link_local_prefer: false,
        }
    }
}

impl Capabilities {
    /// The graceful restart time to advertise, if enabled.
    pub fn graceful_restart_time(&self, hold_time: u16) -> Option<u16> {
        match self.graceful_restart {
            GracefulRestart::Disabled => None,
            GracefulRestart::HoldTime => Some(hold_time),
            GracefulRestart::Seconds(s) => Some(s),
        }
    }
}

/// Which messages an API block forwards (`receive { … }` / `send { … }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageSelection {
    pub parsed: bool,
    pub packets: bool,
    pub consolidate: bool,
    pub open: bool,
    pub update: bool,
    pub notification: bool,
    pub keepalive: bool,
    pub refresh: bool,
    pub operational: bool,
}

impl MessageSelection {
    pub fn any(&self) -> bool {
        self.open
            || self.update
            || self.notification
            || self.keepalive
            || self.refresh
            || self.operational
    }
}

/// `api [NAME] { processes [ … ]; processes-match [ … ]; neighbor-changes; receive {…}; send {…}; }`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiBlock {
    pub name: Option<String>,
    pub processes: Vec<String>,
    /// Regular expressions over process names.
    pub processes_match: Vec<String>,
    pub neighbor_changes: bool,
    pub negotiated: bool,
    pub fsm: bool,
    pub signal: bool,
    pub receive: MessageSelection,
    pub send: MessageSelection,
    pub pos: Pos,
}

/// `add-path { ipv4 unicast [limit N]; }`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddPathFamily {
    pub family: Family,
    pub limit: Option<u16>,
}

/// One `neighbor` with templates resolved and defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbor {
    pub address: IpAddr,
    /// `neighbor 10.0.0.0/24` (passive only): the range of accepted peers.
    pub range: Option<IpNet>,
    pub description: Option<String>,
    pub router_id: Option<Ipv4Addr>,
    pub local_address: Option<Auto<IpAddr>>,
    pub local_link_local: Option<Ipv6Addr>,
    pub local_as: Option<Auto<u32>>,
    pub peer_as: Option<Auto<u32>>,
    pub hold_time: u16,
    pub rate_limit: u32,
    pub passive: bool,
    pub listen: Option<u16>,
    pub connect: Option<u16>,
    pub source_interface: Option<String>,
    pub md5_password: Option<String>,
    pub md5_base64: bool,
    pub md5_ip: Option<IpAddr>,
    pub outgoing_ttl: Option<u8>,
    pub incoming_ttl: Option<u8>,
    pub group_updates: bool,
    pub auto_flush: bool,
    pub adj_rib_in: bool,
    pub adj_rib_out: bool,
    pub manual_eor: bool,
    pub host_name: Option<String>,
    pub domain_name: Option<String>,
    /// Families offered, in the order configured (all registered ones when none is listed).
    pub families: Vec<Family>,
    /// True when a `family` block listed them (false: ExaBGP's all-families default).
    pub families_configured: bool,
    pub capability: Capabilities,
    pub add_path: Vec<AddPathFamily>,
    /// RFC 8950 (NLRI family, next-hop AFI) pairs from the `nexthop` block.
    pub nexthop: Vec<(Family, Afi)>,
    pub api: Vec<ApiBlock>,
    /// Static routes (`static`, `announce`, `flow`, `l2vpn`), in file order.
    pub routes: Vec<RouteSpec>,
    /// Routes of families the wire model does not encode yet.
    pub unsupported_routes: Vec<UnsupportedRoute>,
    /// The `operational { … }` block's messages (ExaBGP's operational draft), as written: the
    /// API's `announce operational` grammar reads them (`ferrobgp validate`, the core).
    pub operational: Vec<OperationalStatement>,
    /// Templates applied, in order.
    pub inherit: Vec<String>,
    pub pos: Pos,
}

/// One statement of a neighbor's `operational { … }` block, e.g.
/// `asm afi ipv4 safi unicast advisory "text"`: the words after `announce operational` in
/// the API, kept as text with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalStatement {
    pub text: String,
    pub pos: Pos,
    /// Where each word of `text` starts: (byte offset in `text`, place in the file).
    pub words: Vec<(usize, Pos)>,
}

impl OperationalStatement {
    /// The place in the file of the byte at `offset` in `text` (for errors found by another
    /// grammar reading the text).
    pub fn pos_at(&self, offset: usize) -> Pos {
        match self.words.iter().rev().find(|(o, _)| *o <= offset) {
            Some(&(o, p)) => Pos {
                line: p.line,
                column: p.column + u32::try_from(offset - o).unwrap_or(0),
            },
            None => self.pos,
        }
    }
}

/// The families ExaBGP registers, in its registration order: offered when a neighbor has
/// no `family` block.
pub const ALL_FAMILIES: &[Family] = &[
    Family::IPV4_UNICAST,
    Family::IPV4_MULTICAST,
    Family::IPV4_MPLS_LABEL,
    Family::IPV4_MPLS_VPN,
    Family::IPV4_MCAST_VPN,
    Family::IPV4_FLOW,
    Family::IPV4_FLOW_VPN,
    Family::IPV4_MUP,
    Family::IPV4_SR_POLICY,
    Family::IPV4_RTC,
    Family::IPV6_UNICAST,
    Family::IPV6_MULTICAST,
    Family::IPV6_MPLS_LABEL,
    Family::IPV6_MPLS_VPN,
    Family::IPV6_MCAST_VPN,
    Family::IPV6_FLOW,
    Family::IPV6_FLOW_VPN,
    Family::IPV6_MUP,
    Family::IPV6_SR_POLICY,
    Family::L2VPN_VPLS,
    Family::L2VPN_EVPN,
    Family::BGP_LS,
    Family::BGP_LS_VPN,
];

impl Neighbor {
    pub(crate) fn new(address: IpAddr, range: Option<IpNet>, pos: Pos) -> Neighbor {
        Neighbor {
            address,
            range,
            description: None,
            router_id: None,
            local_address: None,
            local_link_local: None,
            local_as: None,
            peer_as: None,
            hold_time: 180,
            rate_limit: 0,
            passive: false,
            listen: None,
            connect: None,
            source_interface: None,
            md5_password: None,
            md5_base64: false,
            md5_ip: None,
            outgoing_ttl: None,
            incoming_ttl: None,
            group_updates: true,
            auto_flush: true,
            adj_rib_in: true,
            adj_rib_out: true,
            manual_eor: false,
            host_name: None,
            domain_name: None,
            families: Vec::new(),
            families_configured: false,
            capability: Capabilities::default(),
            add_path: Vec::new(),
            nexthop: Vec::new(),
            api: Vec::new(),
            routes: Vec::new(),
            unsupported_routes: Vec::new(),
            operational: Vec::new(),
            inherit: Vec::new(),
            pos,
        }
    }

    /// The router id: configured, else the local address when it is IPv4 (ExaBGP derives it so).
    pub fn effective_router_id(&self) -> Option<Ipv4Addr> {
        self.router_id.or(match self.local_address {
            Some(Auto::Value(IpAddr::V4(a))) => Some(a),
            _ => None,
        })
    }

    /// All process names this neighbor's API blocks name.
    pub fn api_processes(&self) -> impl Iterator<Item = &str> {
        self.api
            .iter()
            .flat_map(|a| a.processes.iter().map(String::as_str))
    }
}
