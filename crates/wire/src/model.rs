//! The owned model: values the speaker originates, stores and re-encodes.
//!
//! Decoding produces zero-copy views (see `crate::update`); a view becomes one of these
//! owned values only when it is stored or re-encoded. Names follow RFC vocabulary.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use bytes::Bytes;

use crate::extcommunity::{ExtendedCommunity, Ipv6ExtendedCommunity};
use crate::flowspec::FlowRule;

// ---------------------------------------------------------------------------------------------
// Address families
// ---------------------------------------------------------------------------------------------

/// Address Family Identifier (IANA registry). Unknown values are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Afi(pub u16);

impl Afi {
    pub const IPV4: Afi = Afi(1);
    pub const IPV6: Afi = Afi(2);
    pub const L2VPN: Afi = Afi(25);
    pub const BGP_LS: Afi = Afi(16388);

    /// The name ExaBGP uses in configuration and JSON, if it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ipv4",
            2 => "ipv6",
            25 => "l2vpn",
            16388 => "bgp-ls",
            _ => return None,
        })
    }

    pub fn from_name(name: &str) -> Option<Afi> {
        Some(match name {
            "ipv4" => Afi::IPV4,
            "ipv6" => Afi::IPV6,
            "l2vpn" => Afi::L2VPN,
            "bgp-ls" => Afi::BGP_LS,
            _ => return None,
        })
    }
}

impl fmt::Display for Afi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown afi {}", self.0),
        }
    }
}

/// Subsequent Address Family Identifier (IANA registry). Unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Safi(pub u8);

impl Safi {
    pub const UNICAST: Safi = Safi(1);
    pub const MULTICAST: Safi = Safi(2);
    /// RFC 8277 labeled unicast; ExaBGP calls it `nlri-mpls`.
    pub const MPLS_LABEL: Safi = Safi(4);
    pub const MCAST_VPN: Safi = Safi(5);
    pub const VPLS: Safi = Safi(65);
    pub const EVPN: Safi = Safi(70);
    pub const BGP_LS: Safi = Safi(71);
    pub const BGP_LS_VPN: Safi = Safi(72);
    pub const SR_POLICY: Safi = Safi(73);
    pub const MUP: Safi = Safi(85);
    pub const MPLS_VPN: Safi = Safi(128);
    pub const RTC: Safi = Safi(132);
    pub const FLOW: Safi = Safi(133);
    pub const FLOW_VPN: Safi = Safi(134);

    /// The name ExaBGP uses in configuration and JSON, if it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "unicast",
            2 => "multicast",
            4 => "nlri-mpls",
            5 => "mcast-vpn",
            65 => "vpls",
            70 => "evpn",
            71 => "bgp-ls",
            72 => "bgp-ls-vpn",
            73 => "sr-policy",
            85 => "mup",
            128 => "mpls-vpn",
            132 => "rtc",
            133 => "flow",
            134 => "flow-vpn",
            _ => return None,
        })
    }

    pub fn from_name(name: &str) -> Option<Safi> {
        Some(match name {
            "unicast" => Safi::UNICAST,
            "multicast" => Safi::MULTICAST,
            "nlri-mpls" | "labeled-unicast" => Safi::MPLS_LABEL,
            "mcast-vpn" => Safi::MCAST_VPN,
            "vpls" => Safi::VPLS,
            "evpn" => Safi::EVPN,
            "bgp-ls" => Safi::BGP_LS,
            "bgp-ls-vpn" => Safi::BGP_LS_VPN,
            "sr-policy" => Safi::SR_POLICY,
            "mup" => Safi::MUP,
            "mpls-vpn" => Safi::MPLS_VPN,
            "rtc" => Safi::RTC,
            "flow" => Safi::FLOW,
            "flow-vpn" => Safi::FLOW_VPN,
            _ => return None,
        })
    }
}

impl fmt::Display for Safi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown safi {}", self.0),
        }
    }
}

/// An (AFI, SAFI) pair. `Display` writes it as ExaBGP does: `ipv4 unicast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    pub afi: Afi,
    pub safi: Safi,
}

impl Family {
    pub const IPV4_UNICAST: Family = Family::new(Afi::IPV4, Safi::UNICAST);
    pub const IPV6_UNICAST: Family = Family::new(Afi::IPV6, Safi::UNICAST);
    pub const IPV4_MULTICAST: Family = Family::new(Afi::IPV4, Safi::MULTICAST);
    pub const IPV6_MULTICAST: Family = Family::new(Afi::IPV6, Safi::MULTICAST);
    pub const IPV4_MPLS_LABEL: Family = Family::new(Afi::IPV4, Safi::MPLS_LABEL);
    pub const IPV6_MPLS_LABEL: Family = Family::new(Afi::IPV6, Safi::MPLS_LABEL);
    pub const IPV4_MPLS_VPN: Family = Family::new(Afi::IPV4, Safi::MPLS_VPN);
    pub const IPV6_MPLS_VPN: Family = Family::new(Afi::IPV6, Safi::MPLS_VPN);
    pub const IPV4_FLOW: Family = Family::new(Afi::IPV4, Safi::FLOW);
    pub const IPV6_FLOW: Family = Family::new(Afi::IPV6, Safi::FLOW);
    pub const IPV4_FLOW_VPN: Family = Family::new(Afi::IPV4, Safi::FLOW_VPN);
    pub const IPV6_FLOW_VPN: Family = Family::new(Afi::IPV6, Safi::FLOW_VPN);
    pub const IPV4_MCAST_VPN: Family = Family::new(Afi::IPV4, Safi::MCAST_VPN);
    pub const IPV6_MCAST_VPN: Family = Family::new(Afi::IPV6, Safi::MCAST_VPN);
    pub const IPV4_MUP: Family = Family::new(Afi::IPV4, Safi::MUP);
    pub const IPV6_MUP: Family = Family::new(Afi::IPV6, Safi::MUP);
    pub const IPV4_SR_POLICY: Family = Family::new(Afi::IPV4, Safi::SR_POLICY);
    pub const IPV6_SR_POLICY: Family = Family::new(Afi::IPV6, Safi::SR_POLICY);
    pub const IPV4_RTC: Family = Family::new(Afi::IPV4, Safi::RTC);
    pub const L2VPN_VPLS: Family = Family::new(Afi::L2VPN, Safi::VPLS);
    pub const L2VPN_EVPN: Family = Family::new(Afi::L2VPN, Safi::EVPN);
    pub const BGP_LS: Family = Family::new(Afi::BGP_LS, Safi::BGP_LS);
    pub const BGP_LS_VPN: Family = Family::new(Afi::BGP_LS, Safi::BGP_LS_VPN);

    pub const fn new(afi: Afi, safi: Safi) -> Family {
        Family { afi, safi }
    }

    /// `Family::from_names("ipv4", "unicast")`; names as ExaBGP writes them.
    pub fn from_names(afi: &str, safi: &str) -> Option<Family> {
        Some(Family::new(Afi::from_name(afi)?, Safi::from_name(safi)?))
    }

    /// True for the families whose NLRI is a (possibly labeled / RD-qualified) IP prefix.
    pub fn is_prefix_family(self) -> bool {
        matches!(self.afi, Afi::IPV4 | Afi::IPV6)
            && matches!(
                self.safi,
                Safi::UNICAST | Safi::MULTICAST | Safi::MPLS_LABEL | Safi::MPLS_VPN
            )
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.afi, self.safi)
    }
}

impl FromStr for Family {
    type Err = ModelParseError;
    /// Accepts `ipv4 unicast` and `ipv4/unicast`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut it = s.split([' ', '/']).filter(|p| !p.is_empty());
        match (it.next(), it.next(), it.next()) {
            (Some(a), Some(b), None) => Family::from_names(a, b).ok_or(ModelParseError::Family),
            _ => Err(ModelParseError::Family),
        }
    }
}

/// Errors parsing the textual forms of model values (RD, family, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ModelParseError {
    #[error("invalid route distinguisher")]
    RouteDistinguisher,
    #[error("invalid address family")]
    Family,
}

// ---------------------------------------------------------------------------------------------
// Route distinguisher and labels
// ---------------------------------------------------------------------------------------------

/// RFC 4364 §4.2 route distinguisher, kept as its 8 wire octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteDistinguisher(pub [u8; 8]);

impl RouteDistinguisher {
    pub fn rd_type(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }
}

impl fmt::Display for RouteDistinguisher {
    /// As ExaBGP: type 0 `asn2:n32`, type 1 `a.b.c.d:n16`, type 2 `asn4:n16`, else
    /// `0xHEX` (the 8 octets, upper case).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        match self.rd_type() {
            0 => write!(
                f,
                "{}:{}",
                u16::from_be_bytes([b[2], b[3]]),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]])
            ),
            1 => write!(
                f,
                "{}:{}",
                Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                u16::from_be_bytes([b[6], b[7]])
            ),
            2 => write!(
                f,
                "{}:{}",
                u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                u16::from_be_bytes([b[6], b[7]])
            ),
            // Other types: ExaBGP's hexstring of the 8 octets.
            _ => {
                f.write_str("0x")?;
                for x in b {
                    write!(f, "{x:02X}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for RouteDistinguisher {
    type Err = ModelParseError;
    /// `65000:1` (type 0), `1.2.3.4:5` (type 1), `4200000000:5` (type 2), as ExaBGP chooses.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let e = ModelParseError::RouteDistinguisher;
        let (admin, num) = s.rsplit_once(':').ok_or(e)?;
        let mut out = [0u8; 8];
        if admin.contains('.') {
            let ip: Ipv4Addr = admin.parse().map_err(|_| e)?;
            let n: u16 = num.parse().map_err(|_| e)?;
            out[1] = 1;
            out[2..6].copy_from_slice(&ip.octets());
            out[6..8].copy_from_slice(&n.to_be_bytes());
        } else {
            let a: u32 = admin.parse().map_err(|_| e)?;
            let n: u32 = num.parse().map_err(|_| e)?;
            if a <= 0xffff {
                out[2..4].copy_from_slice(&(a as u16).to_be_bytes());
                out[4..8].copy_from_slice(&n.to_be_bytes());
            } else {
                let n = u16::try_from(n).map_err(|_| e)?;
                out[1] = 2;
                out[2..6].copy_from_slice(&a.to_be_bytes());
                out[6..8].copy_from_slice(&n.to_be_bytes());
            }
        }
        Ok(RouteDistinguisher(out))
    }
}

/// An MPLS label stack (RFC 3032 label values, 20 bits each). On the wire every entry is
/// 3 octets `label << 4 | bottom-of-stack`; the encoder sets bottom-of-stack on the last.
///
/// `raw` entries preserve the exact 24-bit words when they are not a plain stack, e.g. the
/// RFC 8277 §2.4 withdraw compatibility value 0x800000, so re-encoding is byte-exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Labels(pub Vec<u32>);

impl Labels {
    /// RFC 8277 §2.4 / RFC 3107 §3: the label field value sent in withdrawals.
    pub const WITHDRAW_COMPAT: u32 = 0x80_0000;

    pub fn new(labels: impl Into<Vec<u32>>) -> Labels {
        Labels(labels.into())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

// ---------------------------------------------------------------------------------------------
// NLRI
// ---------------------------------------------------------------------------------------------

/// One owned NLRI, as originated or stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Nlri {
    /// Unicast or multicast prefix (RFC 4271 §4.3, RFC 4760), with an RFC 7911 path id.
    Prefix {
        prefix: ipnet::IpNet,
        path_id: Option<u32>,
    },
    /// RFC 8277 labeled unicast.
    Labeled {
        prefix: ipnet::IpNet,
        labels: Labels,
        path_id: Option<u32>,
    },
    /// RFC 4364 / RFC 4659 VPN prefix.
    Vpn {
        rd: RouteDistinguisher,
        labels: Labels,
        prefix: ipnet::IpNet,
        path_id: Option<u32>,
    },
    /// RFC 8955/8956 flow specification, `rd` present for flow-vpn.
    Flow {
        rd: Option<RouteDistinguisher>,
        rule: FlowRule,
    },
    /// The NLRI of the families with their own modules (VPLS, MVPN, MUP, EVPN, RTC, BGP-LS,
    /// SR Policy: `crate::vpls`, `crate::mvpn`, … build it with their `to_nlri` and read it
    /// back with `from_nlri`), of flow rules this crate does not re-encode byte-exact, and of
    /// unknown families: the NLRI's wire bytes, without a path id.
    ///
    /// This is only the owned model's form, for what is originated or stored: received
    /// NLRI are read as views (`crate::nlri::NlriView::Other` and each module's parse, no
    /// allocation per route) and their JSON is written from the views. Keyed by its bytes,
    /// a route is withdrawn by the same NLRI, as ExaBGP keys them (`index()` is the family
    /// and the packed NLRI, no path id for these families: a received one is dropped, and
    /// not shown). ADD-PATH is offered only for the families whose variants carry a path
    /// id, as ExaBGP does; were it negotiated anyway, path id 0 is written.
    Raw { family: Family, bytes: Bytes },
}

impl Nlri {
    pub fn path_id(&self) -> Option<u32> {
        match self {
            Nlri::Prefix { path_id, .. }
            | Nlri::Labeled { path_id, .. }
            | Nlri::Vpn { path_id, .. } => *path_id,
            _ => None,
        }
    }

    pub fn prefix(&self) -> Option<ipnet::IpNet> {
        match self {
            Nlri::Prefix { prefix, .. }
            | Nlri::Labeled { prefix, .. }
            | Nlri::Vpn { prefix, .. } => Some(*prefix),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Path attributes
// ---------------------------------------------------------------------------------------------

/// Path attribute type codes (IANA "BGP Path Attributes").
pub mod attr_code {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MED: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const ORIGINATOR_ID: u8 = 9;
    pub const CLUSTER_LIST: u8 = 10;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const PMSI_TUNNEL: u8 = 22;
    pub const TUNNEL_ENCAP: u8 = 23;
    pub const IPV6_EXTENDED_COMMUNITIES: u8 = 25;
    pub const AIGP: u8 = 26;
    pub const BGP_LS: u8 = 29;
    pub const LARGE_COMMUNITIES: u8 = 32;
    pub const OTC: u8 = 35;
    pub const PREFIX_SID: u8 = 40;
}

/// Path attribute flag bits (RFC 4271 §4.3).
pub mod attr_flag {
    pub const OPTIONAL: u8 = 0x80;
    pub const TRANSITIVE: u8 = 0x40;
    pub const PARTIAL: u8 = 0x20;
    pub const EXTENDED_LENGTH: u8 = 0x10;
}

/// ORIGIN (RFC 4271 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Igp = 0,
    Egp = 1,
    Incomplete = 2,
}

impl Origin {
    pub fn from_u8(v: u8) -> Option<Origin> {
        Some(match v {
            0 => Origin::Igp,
            1 => Origin::Egp,
            2 => Origin::Incomplete,
            _ => return None,
        })
    }
    /// ExaBGP's name: `igp`, `egp`, `incomplete`.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Igp => "igp",
            Origin::Egp => "egp",
            Origin::Incomplete => "incomplete",
        }
    }
}

/// AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3 for confederations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SegmentType {
    Set = 1,
    Sequence = 2,
    ConfedSequence = 3,
    ConfedSet = 4,
}

impl SegmentType {
    pub fn from_u8(v: u8) -> Option<SegmentType> {
        Some(match v {
            1 => SegmentType::Set,
            2 => SegmentType::Sequence,
            3 => SegmentType::ConfedSequence,
            4 => SegmentType::ConfedSet,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsSegment {
    pub kind: SegmentType,
    pub asns: Vec<u32>,
}

/// An AS path as a list of segments, ASNs always held as 4 octets (after the RFC 6793 merge).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AsPath {
    pub segments: Vec<AsSegment>,
}

impl AsPath {
    /// A single AS_SEQUENCE (empty path when `asns` is empty).
    pub fn sequence(asns: impl Into<Vec<u32>>) -> AsPath {
        let asns = asns.into();
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![AsSegment {
                kind: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// Path length for best-path selection (RFC 4271 §9.1.2.2: a set counts as 1,
    /// RFC 5065: confederation segments count 0).
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len(),
                SegmentType::Set => 1,
                _ => 0,
            })
            .sum()
    }
}

/// AGGREGATOR (RFC 4271 §5.1.7), ASN held as 4 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aggregator {
    pub asn: u32,
    pub ip: Ipv4Addr,
}

/// An attribute we do not model, kept with its flags: ExaBGP's "generic attribute".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    pub flags: u8,
    pub code: u8,
    pub value: Bytes,
}

/// The owned attribute set of a route. Shared by many routes (interned behind an `Arc` by
/// the RIB), hence `Clone + Eq + Hash`. MP_REACH/MP_UNREACH are not attributes here: the
/// encoder builds them from the NLRI and `next_hop`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PathAttributes {
    pub origin: Option<Origin>,
    pub as_path: Option<AsPath>,
    /// NEXT_HOP for IPv4 unicast, or the next hop placed in MP_REACH_NLRI.
    pub next_hop: Option<IpAddr>,
    /// RFC 2545 §3: the link-local address sent after a global IPv6 next hop (32-octet form).
    pub next_hop_link_local: Option<Ipv6Addr>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<Aggregator>,
    pub communities: Vec<u32>,
    pub originator_id: Option<Ipv4Addr>,
    pub cluster_list: Vec<Ipv4Addr>,
    pub extended_communities: Vec<ExtendedCommunity>,
    pub ipv6_extended_communities: Vec<Ipv6ExtendedCommunity>,
    /// AIGP TLV type 1 (RFC 7311 §3.1).
    pub aigp: Option<u64>,
    pub large_communities: Vec<[u32; 3]>,
    /// Only To Customer (RFC 9234 §5).
    pub otc: Option<u32>,
    /// Attributes not modelled above, in the order received.
    pub unknown: Vec<RawAttribute>,
}

impl PathAttributes {
    /// These attributes on top of `base`'s: each one set here wins, each one absent here is
    /// taken from `base` (ExaBGP's `group attributes …` / `announce attributes …` shared
    /// attributes under a command's own).
    pub fn overlaid_on(&self, base: &PathAttributes) -> PathAttributes {
        fn list<T: Clone>(over: &[T], base: &[T]) -> Vec<T> {
            if over.is_empty() { base } else { over }.to_vec()
        }
        PathAttributes {
            origin: self.origin.or(base.origin),
            as_path: self.as_path.clone().or_else(|| base.as_path.clone()),
            next_hop: self.next_hop.or(base.next_hop),
            next_hop_link_local: self.next_hop_link_local.or(base.next_hop_link_local),
            med: self.med.or(base.med),
            local_pref: self.local_pref.or(base.local_pref),
            atomic_aggregate: self.atomic_aggregate || base.atomic_aggregate,
            aggregator: self.aggregator.or(base.aggregator),
            communities: list(&self.communities, &base.communities),
            originator_id: self.originator_id.or(base.originator_id),
            cluster_list: list(&self.cluster_list, &base.cluster_list),
            extended_communities: list(&self.extended_communities, &base.extended_communities),
            ipv6_extended_communities: list(
                &self.ipv6_extended_communities,
                &base.ipv6_extended_communities,
            ),
            aigp: self.aigp.or(base.aigp),
            large_communities: list(&self.large_communities, &base.large_communities),
            otc: self.otc.or(base.otc),
            unknown: list(&self.unknown, &base.unknown),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OPEN and capabilities
// ---------------------------------------------------------------------------------------------

/// Capability codes (IANA "Capability Codes").
pub mod cap_code {
    pub const MULTIPROTOCOL: u8 = 1;
    pub const ROUTE_REFRESH: u8 = 2;
    pub const EXTENDED_NEXT_HOP: u8 = 5;
    pub const EXTENDED_MESSAGE: u8 = 6;
    pub const GRACEFUL_RESTART: u8 = 64;
    pub const FOUR_OCTET_ASN: u8 = 65;
    pub const MULTISESSION: u8 = 68;
    pub const ADD_PATH: u8 = 69;
    pub const ENHANCED_ROUTE_REFRESH: u8 = 70;
    pub const FQDN: u8 = 73;
    pub const SOFTWARE_VERSION: u8 = 75;
    pub const LINK_LOCAL_NEXT_HOP: u8 = 77;
    pub const ROUTE_REFRESH_CISCO: u8 = 128;
    pub const MULTISESSION_CISCO: u8 = 131;
}

/// RFC 7911 §4 Send/Receive field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddPathMode {
    Receive = 1,
    Send = 2,
    Both = 3,
}

impl AddPathMode {
    pub fn from_u8(v: u8) -> Option<AddPathMode> {
        Some(match v {
            1 => AddPathMode::Receive,
            2 => AddPathMode::Send,
            3 => AddPathMode::Both,
            _ => return None,
        })
    }
    pub fn receives(self) -> bool {
        matches!(self, AddPathMode::Receive | AddPathMode::Both)
    }
    pub fn sends(self) -> bool {
        matches!(self, AddPathMode::Send | AddPathMode::Both)
    }
}

/// One family in a graceful restart capability (RFC 4724 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GracefulRestartFamily {
    pub family: Family,
    /// Flags for address family; bit 0x80 = forwarding state preserved.
    pub flags: u8,
}

/// One BGP capability (RFC 5492), in the order it appears in the OPEN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    Multiprotocol(Family),
    RouteRefresh,
    /// Cisco's pre-standard route refresh, code 128.
    RouteRefreshCisco,
    EnhancedRouteRefresh,
    FourOctetAsn(u32),
    AddPath(Vec<(Family, AddPathMode)>),
    GracefulRestart {
        /// The 4 flag bits (0x8 = restart state, 0x4 = notification, RFC 8538).
        flags: u8,
        /// Restart time in seconds (12 bits).
        time: u16,
        families: Vec<GracefulRestartFamily>,
    },
    ExtendedMessage,
    /// RFC 8950: (NLRI family, next-hop AFI).
    ExtendedNextHop(Vec<(Family, Afi)>),
    Fqdn {
        host: String,
        domain: String,
    },
    SoftwareVersion(String),
    /// Multisession (draft; code 68, or Cisco's 131 when `cisco`), value kept.
    MultiSession {
        cisco: bool,
        value: Bytes,
    },
    LinkLocalNextHop,
    Unknown {
        code: u8,
        value: Bytes,
    },
}

impl Capability {
    pub fn code(&self) -> u8 {
        use cap_code::*;
        match self {
            Capability::Multiprotocol(_) => MULTIPROTOCOL,
            Capability::RouteRefresh => ROUTE_REFRESH,
            Capability::RouteRefreshCisco => ROUTE_REFRESH_CISCO,
            Capability::EnhancedRouteRefresh => ENHANCED_ROUTE_REFRESH,
            Capability::FourOctetAsn(_) => FOUR_OCTET_ASN,
            Capability::AddPath(_) => ADD_PATH,
            Capability::GracefulRestart { .. } => GRACEFUL_RESTART,
            Capability::ExtendedMessage => EXTENDED_MESSAGE,
            Capability::ExtendedNextHop(_) => EXTENDED_NEXT_HOP,
            Capability::Fqdn { .. } => FQDN,
            Capability::SoftwareVersion(_) => SOFTWARE_VERSION,
            Capability::MultiSession { cisco: false, .. } => MULTISESSION,
            Capability::MultiSession { cisco: true, .. } => MULTISESSION_CISCO,
            Capability::LinkLocalNextHop => LINK_LOCAL_NEXT_HOP,
            Capability::Unknown { code, .. } => *code,
        }
    }
}

/// AS_TRANS (RFC 6793 §9), put in `my_as` when the real ASN does not fit 2 octets.
pub const AS_TRANS: u16 = 23456;

/// An OPEN message (RFC 4271 §4.2). ExaBGP sends each capability in its own optional
/// parameter; decoding flattens parameters that carry several.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Open {
    pub version: u8,
    pub my_as: u16,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// The 4-octet ASN if the capability is present, else `my_as`.
    pub fn asn(&self) -> u32 {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::FourOctetAsn(a) => Some(*a),
                _ => None,
            })
            .unwrap_or(self.my_as as u32)
    }
}

// ---------------------------------------------------------------------------------------------
// NOTIFICATION and ROUTE-REFRESH
// ---------------------------------------------------------------------------------------------

/// NOTIFICATION error codes and subcodes (RFC 4271 §4.5, RFC 4486, RFC 7313, RFC 8203/9003).
pub mod notif {
    pub const MESSAGE_HEADER_ERROR: u8 = 1;
    pub const OPEN_MESSAGE_ERROR: u8 = 2;
    pub const UPDATE_MESSAGE_ERROR: u8 = 3;
    pub const HOLD_TIMER_EXPIRED: u8 = 4;
    pub const FSM_ERROR: u8 = 5;
    pub const CEASE: u8 = 6;
    /// RFC 7313 §5.
    pub const ROUTE_REFRESH_ERROR: u8 = 7;

    // Message header error subcodes.
    pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
    pub const BAD_MESSAGE_LENGTH: u8 = 2;
    pub const BAD_MESSAGE_TYPE: u8 = 3;

    // OPEN message error subcodes.
    pub const UNSUPPORTED_VERSION_NUMBER: u8 = 1;
    pub const BAD_PEER_AS: u8 = 2;
    pub const BAD_BGP_IDENTIFIER: u8 = 3;
    pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    /// RFC 5492 §5.
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
    /// RFC 9234.
    pub const ROLE_MISMATCH: u8 = 11;

    // UPDATE message error subcodes.
    pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
    pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
    pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
    pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
    pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
    pub const INVALID_ORIGIN_ATTRIBUTE: u8 = 6;
    pub const INVALID_NEXT_HOP_ATTRIBUTE: u8 = 8;
    pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
    pub const INVALID_NETWORK_FIELD: u8 = 10;
    pub const MALFORMED_AS_PATH: u8 = 11;

    // FSM error subcodes (RFC 6608).
    pub const FSM_UNEXPECTED_IN_OPENSENT: u8 = 1;
    pub const FSM_UNEXPECTED_IN_OPENCONFIRM: u8 = 2;
    pub const FSM_UNEXPECTED_IN_ESTABLISHED: u8 = 3;

    // Cease subcodes (RFC 4486, RFC 8538).
    pub const MAX_PREFIXES_REACHED: u8 = 1;
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    pub const PEER_DECONFIGURED: u8 = 3;
    pub const ADMINISTRATIVE_RESET: u8 = 4;
    pub const CONNECTION_REJECTED: u8 = 5;
    pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
    pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
    pub const OUT_OF_RESOURCES: u8 = 8;
    pub const HARD_RESET: u8 = 9;
    pub const BFD_DOWN: u8 = 10;

    // ROUTE-REFRESH message error subcodes (RFC 7313 §5).
    pub const INVALID_MESSAGE_LENGTH: u8 = 1;
}

/// A NOTIFICATION message (RFC 4271 §4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    pub data: Bytes,
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: impl Into<Bytes>) -> Notification {
        Notification {
            code,
            subcode,
            data: data.into(),
        }
    }

    /// Cease with an RFC 9003 shutdown communication (UTF-8, at most 255 octets; longer
    /// text is cut at a character boundary).
    pub fn shutdown(subcode: u8, message: &str) -> Notification {
        let mut end = message.len().min(255);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let text = &message.as_bytes()[..end];
        let mut data = Vec::with_capacity(1 + text.len());
        data.push(text.len() as u8);
        data.extend_from_slice(text);
        Notification::new(notif::CEASE, subcode, data)
    }

    /// RFC 8203/9003: the shutdown communication of an administrative shutdown or reset,
    /// if the data carries a well-formed one.
    pub fn shutdown_communication(&self) -> Option<&str> {
        if self.code != notif::CEASE
            || !matches!(
                self.subcode,
                notif::ADMINISTRATIVE_SHUTDOWN | notif::ADMINISTRATIVE_RESET
            )
        {
            return None;
        }
        let (&len, rest) = self.data.split_first()?;
        let text = rest.get(..len as usize)?;
        std::str::from_utf8(text).ok()
    }

    /// The name of the error code, as RFC 4271 §4.5 and later RFCs write it.
    pub fn code_name(&self) -> &'static str {
        match self.code {
            1 => "Message header error",
            2 => "OPEN message error",
            3 => "UPDATE message error",
            4 => "Hold timer expired",
            5 => "State machine error",
            6 => "Cease",
            7 => "ROUTE-REFRESH message error",
            _ => "Unknown error",
        }
    }

    /// The name of the subcode under its code.
    pub fn subcode_name(&self) -> &'static str {
        match (self.code, self.subcode) {
            (1, 1) => "Connection Not Synchronized",
            (1, 2) => "Bad Message Length",
            (1, 3) => "Bad Message Type",
            (2, 1) => "Unsupported Version Number",
            (2, 2) => "Bad Peer AS",
            (2, 3) => "Bad BGP Identifier",
            (2, 4) => "Unsupported Optional Parameter",
            (2, 6) => "Unacceptable Hold Time",
            (2, 7) => "Unsupported Capability",
            (2, 11) => "Role Mismatch",
            (3, 1) => "Malformed Attribute List",
            (3, 2) => "Unrecognized Well-known Attribute",
            (3, 3) => "Missing Well-known Attribute",
            (3, 4) => "Attribute Flags Error",
            (3, 5) => "Attribute Length Error",
            (3, 6) => "Invalid ORIGIN Attribute",
            (3, 8) => "Invalid NEXT_HOP Attribute",
            (3, 9) => "Optional Attribute Error",
            (3, 10) => "Invalid Network Field",
            (3, 11) => "Malformed AS_PATH",
            (5, 1) => "Receive Unexpected Message in OpenSent State",
            (5, 2) => "Receive Unexpected Message in OpenConfirm State",
            (5, 3) => "Receive Unexpected Message in Established State",
            (6, 1) => "Maximum Number of Prefixes Reached",
            (6, 2) => "Administrative Shutdown",
            (6, 3) => "Peer De-configured",
            (6, 4) => "Administrative Reset",
            (6, 5) => "Connection Rejected",
            (6, 6) => "Other Configuration Change",
            (6, 7) => "Connection Collision Resolution",
            (6, 8) => "Out of Resources",
            (6, 9) => "Hard Reset",
            (6, 10) => "BFD Down",
            (7, 1) => "Invalid Message Length",
            (_, 0) => "Unspecific",
            _ => "Unknown subcode",
        }
    }
}

/// ROUTE-REFRESH message (RFC 2918 §3), with the RFC 7313 §3.2 message subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteRefresh {
    pub family: Family,
    pub subtype: u8,
}

impl RouteRefresh {
    pub const NORMAL: u8 = 0;
    /// Beginning of route refresh (RFC 7313).
    pub const BORR: u8 = 1;
    /// End of route refresh (RFC 7313).
    pub const EORR: u8 = 2;
}

// ---------------------------------------------------------------------------------------------
// What the session negotiated
// ---------------------------------------------------------------------------------------------

/// What decoding and encoding depend on, from the capabilities both sides sent. Nothing is
/// guessed from the bytes: the core builds this once the OPENs are exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionContext {
    /// RFC 6793: AS numbers are 4 octets in AS_PATH and AGGREGATOR.
    pub asn4: bool,
    /// RFC 8654: messages up to 65535 octets (other than OPEN and KEEPALIVE).
    pub extended_message: bool,
    /// RFC 7911: families in which we receive path identifiers.
    pub add_path_receive: Vec<Family>,
    /// RFC 7911: families in which we send path identifiers.
    pub add_path_send: Vec<Family>,
    /// RFC 8950: (NLRI family, next-hop AFI) pairs allowed.
    pub extended_next_hop: Vec<(Family, Afi)>,
    /// The peer is external (another AS, RFC 4271 §5.1.5): LOCAL_PREF, ORIGINATOR_ID and
    /// CLUSTER_LIST it sends are discarded (RFC 7606 §7.5, §7.9, §7.10) and next hops that
    /// are no unicast host address make the UPDATE treat-as-withdraw (RFC 4271 §6.3,
    /// RFC 7606 §7.3). [`SessionContext::negotiate`] sets it from the two AS numbers; a
    /// peer in the same confederation is to be left internal.
    pub external: bool,
}

/// The same thing under the name the RFCs use for the result of capability exchange.
pub type Negotiated = SessionContext;

impl SessionContext {
    /// Largest message in octets (RFC 4271 §4.1, RFC 8654 §4).
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            65535
        } else {
            4096
        }
    }
    pub fn receives_path_id(&self, family: Family) -> bool {
        self.add_path_receive.contains(&family)
    }
    pub fn sends_path_id(&self, family: Family) -> bool {
        self.add_path_send.contains(&family)
    }
    pub fn extended_next_hop_allowed(&self, family: Family, nh_afi: Afi) -> bool {
        self.extended_next_hop.contains(&(family, nh_afi))
    }

    /// Negotiate from the OPEN we sent and the one we received (RFC 5492 and each
    /// capability's RFC): a capability counts when both advertised it.
    pub fn negotiate(local: &Open, remote: &Open) -> SessionContext {
        let has = |o: &Open, f: &dyn Fn(&Capability) -> bool| o.capabilities.iter().any(f);
        let asn4 = has(local, &|c| matches!(c, Capability::FourOctetAsn(_)))
            && has(remote, &|c| matches!(c, Capability::FourOctetAsn(_)));
        let extended_message = has(local, &|c| matches!(c, Capability::ExtendedMessage))
            && has(remote, &|c| matches!(c, Capability::ExtendedMessage));
        let addpath = |o: &Open| -> Vec<(Family, AddPathMode)> {
            o.capabilities
                .iter()
                .filter_map(|c| match c {
                    Capability::AddPath(v) => Some(v.clone()),
                    _ => None,
                })
                .flatten()
                .collect()
        };
        let (la, ra) = (addpath(local), addpath(remote));
        let mut add_path_receive = Vec::new();
        let mut add_path_send = Vec::new();
        for (fam, lm) in &la {
            if let Some((_, rm)) = ra.iter().find(|(f, _)| f == fam) {
                // RFC 7911 §4: we receive ids when we said receive and they said send.
                if lm.receives() && rm.sends() {
                    add_path_receive.push(*fam);
                }
                if lm.sends() && rm.receives() {
                    add_path_send.push(*fam);
                }
            }
        }
        let enh = |o: &Open| -> Vec<(Family, Afi)> {
            o.capabilities
                .iter()
                .filter_map(|c| match c {
                    Capability::ExtendedNextHop(v) => Some(v.clone()),
                    _ => None,
                })
                .flatten()
                .collect()
        };
        let re = enh(remote);
        let extended_next_hop = enh(local).into_iter().filter(|x| re.contains(x)).collect();
        // RFC 6793 §4.1: the 4-octet AS number is in the capability when advertised.
        let asn = |o: &Open| {
            o.capabilities
                .iter()
                .find_map(|c| match c {
                    Capability::FourOctetAsn(a) => Some(*a),
                    _ => None,
                })
                .unwrap_or(o.my_as as u32)
        };
        SessionContext {
            asn4,
            extended_message,
            add_path_receive,
            add_path_send,
            extended_next_hop,
            external: asn(local) != asn(remote),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_as_exabgp() {
        assert_eq!(Family::IPV4_UNICAST.to_string(), "ipv4 unicast");
        assert_eq!(Family::IPV6_MPLS_VPN.to_string(), "ipv6 mpls-vpn");
        assert_eq!(Family::IPV4_MPLS_LABEL.to_string(), "ipv4 nlri-mpls");
        assert_eq!(Family::IPV4_FLOW_VPN.to_string(), "ipv4 flow-vpn");
        assert_eq!(Family::L2VPN_EVPN.to_string(), "l2vpn evpn");
        assert_eq!(Family::BGP_LS.to_string(), "bgp-ls bgp-ls");
        assert_eq!(Family::IPV4_RTC.to_string(), "ipv4 rtc");
        assert_eq!(Family::from_names("ipv6", "flow"), Some(Family::IPV6_FLOW));
        assert_eq!("ipv4/mup".parse::<Family>(), Ok(Family::IPV4_MUP));
        assert!(Family::from_names("ipv5", "unicast").is_none());
    }

    #[test]
    fn rd_parse_and_display() {
        for s in ["65000:1", "1.2.3.4:5", "4200000000:7", "0:0"] {
            let rd: RouteDistinguisher = s.parse().unwrap();
            assert_eq!(rd.to_string(), s);
        }
        let rd: RouteDistinguisher = "65000:1".parse().unwrap();
        assert_eq!(rd.0, [0, 0, 0xfd, 0xe8, 0, 0, 0, 1]);
        let rd: RouteDistinguisher = "1.2.3.4:5".parse().unwrap();
        assert_eq!(rd.0, [0, 1, 1, 2, 3, 4, 0, 5]);
        assert!("x:1".parse::<RouteDistinguisher>().is_err());
        assert!("70000:70000".parse::<RouteDistinguisher>().is_err());
    }

    #[test]
    fn negotiation_needs_both_sides() {
        let open = |caps: Vec<Capability>| Open {
            version: 4,
            my_as: 65000,
            hold_time: 90,
            bgp_id: Ipv4Addr::new(1, 1, 1, 1),
            capabilities: caps,
        };
        let local = open(vec![
            Capability::FourOctetAsn(65000),
            Capability::ExtendedMessage,
            Capability::AddPath(vec![
                (Family::IPV4_UNICAST, AddPathMode::Both),
                (Family::IPV6_UNICAST, AddPathMode::Receive),
            ]),
        ]);
        let remote = open(vec![
            Capability::FourOctetAsn(65001),
            Capability::AddPath(vec![
                (Family::IPV4_UNICAST, AddPathMode::Send),
                (Family::IPV6_UNICAST, AddPathMode::Receive),
            ]),
        ]);
        let n = SessionContext::negotiate(&local, &remote);
        assert!(n.asn4);
        // Different AS numbers (from the 4-octet capability): an external peer.
        assert!(n.external);
        assert!(!SessionContext::negotiate(&local, &local).external);
        assert!(!n.extended_message);
        assert_eq!(n.max_message_len(), 4096);
        // RFC 7911 §4: we receive ids where we said receive and they said send.
        assert!(n.receives_path_id(Family::IPV4_UNICAST));
        assert!(!n.sends_path_id(Family::IPV4_UNICAST));
        assert!(!n.receives_path_id(Family::IPV6_UNICAST));
        assert!(!n.sends_path_id(Family::IPV6_UNICAST));
    }

    #[test]
    fn shutdown_communication_round_trip() {
        let n = Notification::shutdown(notif::ADMINISTRATIVE_SHUTDOWN, "maintenance");
        assert_eq!(n.shutdown_communication(), Some("maintenance"));
        assert_eq!(n.subcode_name(), "Administrative Shutdown");
    }
}

#[cfg(test)]
mod overlay_tests {
    use super::PathAttributes;

    #[test]
    fn a_command_s_attributes_win_over_the_group_s() {
        let base = PathAttributes {
            local_pref: Some(100),
            med: Some(5),
            communities: vec![1],
            ..Default::default()
        };
        let over = PathAttributes {
            med: Some(7),
            ..Default::default()
        };
        let m = over.overlaid_on(&base);
        assert_eq!(
            (m.local_pref, m.med, m.communities),
            (Some(100), Some(7), vec![1])
        );
    }
}
