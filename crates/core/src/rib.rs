//! Routes and the Adj-RIB-Out of one neighbor.
//!
//! A route is an NLRI (owned, because it is stored) pointing at an interned, shared attribute
//! set ([`Attrs`] = `Arc<RouteAttrs>`): a million routes with a handful of attribute sets cost
//! little more than the prefixes. The Adj-RIB-Out keeps what the peer should have (`desired`)
//! and, while the session is Established, an ordered queue of changes still to send. Changes to
//! one NLRI that were not sent yet collapse into the last one (announce then withdraw before the
//! run sends only the withdraw), as ExaBGP's RIB does.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// An address family (AFI, SAFI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    pub afi: u16,
    pub safi: u8,
}

impl Family {
    pub const IPV4_UNICAST: Family = Family { afi: 1, safi: 1 };
    pub const IPV6_UNICAST: Family = Family { afi: 2, safi: 1 };
    pub const IPV4_MULTICAST: Family = Family { afi: 1, safi: 2 };
    pub const IPV6_MULTICAST: Family = Family { afi: 2, safi: 2 };

    pub fn new(afi: u16, safi: u8) -> Family {
        Family { afi, safi }
    }

    /// ExaBGP's names: "ipv4 unicast", "ipv6 mpls-vpn"...
    pub fn name(&self) -> String {
        let afi = match self.afi {
            1 => "ipv4",
            2 => "ipv6",
            25 => "l2vpn",
            16388 => "bgp-ls",
            _ => return format!("afi-{} safi-{}", self.afi, self.safi),
        };
        let safi = match self.safi {
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
            133 => "flow",
            134 => "flow-vpn",
            _ => return format!("{afi} safi-{}", self.safi),
        };
        format!("{afi} {safi}")
    }

    /// Parse "ipv4 unicast" style names (the two words).
    pub fn from_names(afi: &str, safi: &str) -> Option<Family> {
        let afi = match afi {
            "ipv4" => 1,
            "ipv6" => 2,
            "l2vpn" => 25,
            "bgp-ls" => 16388,
            _ => return None,
        };
        let safi = match safi {
            "unicast" => 1,
            "multicast" => 2,
            "nlri-mpls" | "labeled-unicast" => 4,
            "mcast-vpn" => 5,
            "vpls" => 65,
            "evpn" => 70,
            "bgp-ls" => 71,
            "bgp-ls-vpn" => 72,
            "sr-policy" => 73,
            "mup" => 85,
            "mpls-vpn" => 128,
            "flow" => 133,
            "flow-vpn" => 134,
            _ => return None,
        };
        Some(Family { afi, safi })
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One NLRI as stored: family, optional ADD-PATH path identifier, and the NLRI's wire encoding
/// without the path identifier (for prefixes: length octet then the significant octets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    pub family: Family,
    pub path_id: Option<u32>,
    pub nlri: Box<[u8]>,
}

impl RouteKey {
    /// A unicast/multicast prefix.
    pub fn prefix(addr: IpAddr, len: u8, path_id: Option<u32>) -> RouteKey {
        let (family, octets): (Family, Vec<u8>) = match addr {
            IpAddr::V4(a) => (Family::IPV4_UNICAST, a.octets().to_vec()),
            IpAddr::V6(a) => (Family::IPV6_UNICAST, a.octets().to_vec()),
        };
        let n = (len as usize).div_ceil(8).min(octets.len());
        let mut nlri = Vec::with_capacity(1 + n);
        nlri.push(len);
        nlri.extend_from_slice(&octets[..n]);
        // Mask the bits beyond the prefix length so that 10.0.0.1/24 and 10.0.0.0/24 are one key.
        if !len.is_multiple_of(8) && n > 0 {
            let keep = 0xffu8 << (8 - len % 8);
            nlri[n] &= keep;
        }
        RouteKey {
            family,
            path_id,
            nlri: nlri.into_boxed_slice(),
        }
    }

    /// Parse "10.0.0.0/24" (a host address without a length is a /32 or /128).
    pub fn parse_prefix(s: &str) -> Option<RouteKey> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        Some(RouteKey::prefix(addr, len, None))
    }

    /// The prefix as text, for unicast families.
    pub fn prefix_string(&self) -> String {
        let len = self.nlri.first().copied().unwrap_or(0);
        let bytes = &self.nlri[1..];
        match self.family.afi {
            1 => {
                let mut o = [0u8; 4];
                let n = bytes.len().min(4);
                o[..n].copy_from_slice(&bytes[..n]);
                format!("{}/{}", std::net::Ipv4Addr::from(o), len)
            }
            2 => {
                let mut o = [0u8; 16];
                let n = bytes.len().min(16);
                o[..n].copy_from_slice(&bytes[..n]);
                format!("{}/{}", std::net::Ipv6Addr::from(o), len)
            }
            _ => format!("{:02x?}", bytes),
        }
    }

    /// Encoded size in an UPDATE (with the path identifier when ADD-PATH send is negotiated).
    pub fn encoded_len(&self, add_path: bool) -> usize {
        self.nlri.len() + if add_path { 4 } else { 0 }
    }

    pub fn encode_into(&self, out: &mut Vec<u8>, add_path: bool) {
        if add_path {
            out.extend_from_slice(&self.path_id.unwrap_or(0).to_be_bytes());
        }
        out.extend_from_slice(&self.nlri);
    }
}

/// The next hop of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// None given (withdrawals, or families without one).
    None,
    Ip(IpAddr),
    /// `next-hop self`: the local address of the session, resolved when the UPDATE is built.
    SelfAddr,
}

/// One AS_PATH segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsSegment {
    /// 1 AS_SET, 2 AS_SEQUENCE, 3 CONFED_SEQUENCE, 4 CONFED_SET.
    pub kind: u8,
    pub asns: Vec<u32>,
}

/// A path attribute kept as its wire value (flags, type code, value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttr {
    pub flags: u8,
    pub code: u8,
    pub value: Box<[u8]>,
}

/// The attributes of a route, before the per-neighbor outbound rules (AS_PATH prepend for eBGP,
/// LOCAL_PREF for iBGP, next-hop self) are applied when the UPDATE is built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteAttrs {
    /// 0 IGP, 1 EGP, 2 INCOMPLETE; `None` = IGP.
    pub origin: Option<u8>,
    pub as_path: Vec<AsSegment>,
    pub next_hop: NextHop,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    /// Standard communities (RFC 1997), as 32-bit values.
    pub communities: Vec<u32>,
    /// Every other attribute, wire-encoded.
    pub other: Vec<RawAttr>,
}

impl Default for RouteAttrs {
    fn default() -> Self {
        RouteAttrs {
            origin: None,
            as_path: Vec::new(),
            next_hop: NextHop::None,
            med: None,
            local_pref: None,
            atomic_aggregate: false,
            communities: Vec::new(),
            other: Vec::new(),
        }
    }
}

/// A shared attribute set.
pub type Attrs = Arc<RouteAttrs>;

/// Interns attribute sets so routes that share attributes share one allocation, and so the
/// RIB can group routes by pointer.
#[derive(Debug, Default)]
pub struct Interner {
    set: HashSet<Attrs>,
    collect_at: usize,
}

impl Interner {
    pub fn intern(&mut self, attrs: RouteAttrs) -> Attrs {
        if let Some(a) = self.set.get(&attrs) {
            return a.clone();
        }
        if self.set.len() >= self.collect_at.max(1024) {
            // Forget sets nobody uses any more; amortised by doubling the threshold.
            self.set.retain(|a| Arc::strong_count(a) > 1);
            self.collect_at = self.set.len() * 2;
        }
        let a = Arc::new(attrs);
        self.set.insert(a.clone());
        a
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// A route as the configuration or a command gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    pub nlris: Vec<RouteKey>,
    pub attrs: RouteAttrs,
    /// `withdraw`: the route starts withdrawn (with a watchdog, until `announce watchdog`).
    pub withdraw: bool,
    pub watchdog: Option<String>,
}

/// One thing to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// The pending change for this NLRI (see `AdjRibOut::pending`).
    Route(RouteKey),
    /// End-of-RIB marker for the family.
    EndOfRib(Family),
    /// Enhanced route refresh: Beginning of Route Refresh (RFC 7313 subtype 1).
    RefreshBegin(Family),
    /// Enhanced route refresh: End of Route Refresh (subtype 2).
    RefreshEnd(Family),
}

/// The Adj-RIB-Out of one neighbor.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    /// What the peer should have: NLRI → (insertion order, attributes).
    desired: HashMap<RouteKey, (u64, Attrs)>,
    seq: u64,
    /// Changes not yet sent (only while the session is up): Some = announce, None = withdraw.
    pending: HashMap<RouteKey, Option<Attrs>>,
    queue: VecDeque<Queued>,
    /// Whether changes are queued for sending (the session is Established).
    live: bool,
}

impl AdjRibOut {
    pub fn len(&self) -> usize {
        self.desired.len()
    }

    pub fn is_empty(&self) -> bool {
        self.desired.is_empty()
    }

    pub fn get(&self, key: &RouteKey) -> Option<&Attrs> {
        self.desired.get(key).map(|(_, a)| a)
    }

    /// Routes in the order they were first announced.
    pub fn routes(&self) -> Vec<(RouteKey, Attrs)> {
        let mut v: Vec<_> = self
            .desired
            .iter()
            .map(|(k, (s, a))| (*s, k.clone(), a.clone()))
            .collect();
        v.sort_by_key(|(s, _, _)| *s);
        v.into_iter().map(|(_, k, a)| (k, a)).collect()
    }

    fn push_change(&mut self, key: RouteKey, change: Option<Attrs>) {
        if !self.live {
            return;
        }
        match self.pending.get_mut(&key) {
            Some(slot) => *slot = change,
            None => {
                self.pending.insert(key.clone(), change);
                self.queue.push_back(Queued::Route(key));
            }
        }
    }

    pub fn announce(&mut self, key: RouteKey, attrs: Attrs) {
        match self.desired.get_mut(&key) {
            Some((_, a)) => *a = attrs.clone(),
            None => {
                self.seq += 1;
                self.desired.insert(key.clone(), (self.seq, attrs.clone()));
            }
        }
        self.push_change(key, Some(attrs));
    }

    /// Withdraw an NLRI. Like ExaBGP, a withdraw is sent even when the route was not announced.
    pub fn withdraw(&mut self, key: RouteKey) {
        self.desired.remove(&key);
        self.push_change(key, None);
    }

    pub fn push_marker(&mut self, q: Queued) {
        if self.live {
            self.queue.push_back(q);
        }
    }

    /// The session came up: queue the whole table, then End-of-RIB per family unless manual.
    pub fn session_up(&mut self, eor_families: &[Family]) {
        self.live = true;
        self.pending.clear();
        self.queue.clear();
        for (k, a) in self.routes() {
            self.pending.insert(k.clone(), Some(a));
            self.queue.push_back(Queued::Route(k));
        }
        for f in eor_families {
            self.queue.push_back(Queued::EndOfRib(*f));
        }
    }

    pub fn session_down(&mut self) {
        self.live = false;
        self.pending.clear();
        self.queue.clear();
    }

    /// `flush adj-rib out` / ROUTE-REFRESH: resend every route (of `family`, or all).
    pub fn resend(&mut self, family: Option<Family>) {
        for (k, a) in self.routes() {
            if family.is_none_or(|f| f == k.family) {
                self.push_change(k, Some(a));
            }
        }
    }

    /// `clear adj-rib out`: withdraw everything.
    pub fn clear(&mut self) {
        for (k, _) in self.routes() {
            self.withdraw(k);
        }
    }

    pub fn has_work(&self) -> bool {
        !self.queue.is_empty()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Take the next item to send. For routes, the pending change is returned with it.
    pub fn pop(&mut self) -> Option<(Queued, Option<Attrs>)> {
        let q = self.queue.pop_front()?;
        let change = match &q {
            Queued::Route(k) => self.pending.remove(k).flatten(),
            _ => None,
        };
        Some((q, change))
    }

    /// Look at the next item without taking it.
    pub fn peek(&self) -> Option<&Queued> {
        self.queue.front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(i: &mut Interner, lp: u32) -> Attrs {
        i.intern(RouteAttrs {
            local_pref: Some(lp),
            ..Default::default()
        })
    }

    #[test]
    fn interning_shares_sets() {
        let mut i = Interner::default();
        let a = attrs(&mut i, 100);
        let b = attrs(&mut i, 100);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(i.len(), 1);
    }

    #[test]
    fn prefix_keys_mask_host_bits() {
        let a = RouteKey::parse_prefix("10.0.0.1/24").unwrap();
        let b = RouteKey::parse_prefix("10.0.0.0/24").unwrap();
        assert_eq!(a, b);
        assert_eq!(&*a.nlri, &[24, 10, 0, 0]);
        assert_eq!(a.prefix_string(), "10.0.0.0/24");
        let c = RouteKey::parse_prefix("2a02:b80::1/128").unwrap();
        assert_eq!(c.family, Family::IPV6_UNICAST);
        assert_eq!(c.nlri.len(), 17);
    }

    #[test]
    fn unsent_changes_collapse() {
        let mut i = Interner::default();
        let mut rib = AdjRibOut::default();
        rib.session_up(&[]);
        let k = RouteKey::parse_prefix("10.0.0.0/24").unwrap();
        rib.announce(k.clone(), attrs(&mut i, 100));
        rib.withdraw(k.clone());
        assert_eq!(rib.queued(), 1);
        assert_eq!(rib.pop(), Some((Queued::Route(k), None)));
        assert!(rib.is_empty());
    }

    #[test]
    fn session_up_queues_table_then_eor() {
        let mut i = Interner::default();
        let mut rib = AdjRibOut::default();
        let k1 = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        let k2 = RouteKey::parse_prefix("10.0.2.0/24").unwrap();
        rib.announce(k1.clone(), attrs(&mut i, 1));
        rib.announce(k2.clone(), attrs(&mut i, 2));
        assert!(
            !rib.has_work(),
            "nothing is queued while the session is down"
        );
        rib.session_up(&[Family::IPV4_UNICAST]);
        assert_eq!(rib.pop().unwrap().0, Queued::Route(k1));
        assert_eq!(rib.pop().unwrap().0, Queued::Route(k2));
        assert_eq!(rib.pop().unwrap().0, Queued::EndOfRib(Family::IPV4_UNICAST));
    }
}
