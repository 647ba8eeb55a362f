//! Routes and the Adj-RIB-Out of one neighbor.
//!
//! A route is an NLRI (owned, because it is stored) pointing at an interned, shared attribute
//! set ([`Attrs`] = `Arc<RouteAttrs>`): a million routes with a handful of attribute sets cost
//! little more than the prefixes. The Adj-RIB-Out keeps what the peer should have (`desired`)
//! and, while the session is Established, an ordered queue of changes still to send. Changes to
//! one NLRI that were not sent yet collapse into the last one (announce then withdraw before the
//! run sends only the withdraw), as ExaBGP's RIB does.
//!
//! NLRI and attributes are `ferrobgp_wire`'s owned model (`Nlri`, `PathAttributes`), for every
//! family it has: prefixes, labeled, VPN, flow, raw (VPLS…). Other ExaBGP behaviours the
//! conformance data shows, kept here: re-announcing exactly what the peer has sends nothing
//! (its outgoing cache); a configured route replaced by a later one with the same NLRI before
//! the session came up is still sent with the initial table ([`Queued::Shadowed`]);
//! `clear adj-rib out` withdraws only what was sent.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

pub use ferrobgp_wire::model::{Family, Nlri, PathAttributes};

/// One NLRI as stored: its family and wire's owned NLRI (path identifier included).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteKey {
    pub family: Family,
    pub nlri: Nlri,
}

impl RouteKey {
    pub fn new(family: Family, nlri: Nlri) -> RouteKey {
        RouteKey { family, nlri }
    }

    /// A unicast prefix; host bits beyond the length are masked so that 10.0.0.1/24 and
    /// 10.0.0.0/24 are one key.
    pub fn prefix(addr: IpAddr, len: u8, path_id: Option<u32>) -> RouteKey {
        let family = if addr.is_ipv4() {
            Family::IPV4_UNICAST
        } else {
            Family::IPV6_UNICAST
        };
        let prefix = ipnet::IpNet::new(addr, len)
            .unwrap_or_else(|_| ipnet::IpNet::from(addr))
            .trunc();
        RouteKey {
            family,
            nlri: Nlri::Prefix { prefix, path_id },
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

    /// The prefix as text, for the prefix families.
    pub fn prefix_string(&self) -> String {
        match self.nlri.prefix() {
            Some(p) => p.to_string(),
            None => format!("{:?}", self.nlri),
        }
    }

    /// Encoded size in an UPDATE (with the path identifier when ADD-PATH send is negotiated).
    pub fn encoded_len(&self, add_path: bool) -> usize {
        ferrobgp_wire::nlri::nlri_len(&self.nlri, add_path)
    }
}

/// The attributes of a route, before the per-neighbor outbound rules (AS_PATH prepend for eBGP,
/// LOCAL_PREF for iBGP, next-hop self) are applied when the UPDATE is built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RouteAttrs {
    /// wire's owned attribute set; `next_hop` is the configured next hop.
    pub path: PathAttributes,
    /// `next-hop self`: the local address of the session, resolved when the UPDATE is built.
    pub next_hop_self: bool,
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
    /// An announcement of the initial table that a later route with the same NLRI replaced
    /// before the session came up. ExaBGP sends every configured route of the initial table,
    /// duplicates included (conf-l2vpn, conf-flow-redirect), so the replaced one goes too.
    Shadowed(RouteKey, Attrs),
    /// End-of-RIB marker for the family.
    EndOfRib(Family),
    /// An UPDATE with these attributes and no NLRI: what ExaBGP sends for `attributes …`
    /// without `nlri` (api-flow.ci).
    BareAttributes(Attrs),
    /// Enhanced route refresh: Beginning of Route Refresh (RFC 7313 subtype 1).
    RefreshBegin(Family),
    /// Enhanced route refresh: End of Route Refresh (subtype 2).
    RefreshEnd(Family),
}

/// One route the peer should have.
#[derive(Debug)]
struct Entry {
    /// Insertion order.
    seq: u64,
    attrs: Attrs,
    /// Announced to the peer on this session (an UPDATE was built for it).
    sent: bool,
}

/// The Adj-RIB-Out of one neighbor.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    /// What the peer should have: NLRI → (insertion order, attributes).
    desired: HashMap<RouteKey, Entry>,
    seq: u64,
    /// Changes not yet sent (only while the session is up): Some = announce, None = withdraw.
    pending: HashMap<RouteKey, Option<Attrs>>,
    queue: VecDeque<Queued>,
    /// Attributes given with a withdraw (ExaBGP sends them beside MP_UNREACH_NLRI).
    withdraw_attrs: HashMap<RouteKey, Attrs>,
    /// Routes replaced while the session was down: (insertion order, NLRI, attributes).
    shadowed: Vec<(u64, RouteKey, Attrs)>,
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
        self.desired.get(key).map(|e| &e.attrs)
    }

    /// Routes in the order they were first announced.
    pub fn routes(&self) -> Vec<(RouteKey, Attrs)> {
        let mut v: Vec<_> = self
            .desired
            .iter()
            .map(|(k, e)| (e.seq, k.clone(), e.attrs.clone()))
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
        // Like ExaBGP's outgoing RIB cache: re-announcing exactly what the peer has (and
        // nothing else is pending for it) sends nothing.
        if self.live
            && !self.pending.contains_key(&key)
            && self
                .desired
                .get(&key)
                .is_some_and(|e| Arc::ptr_eq(&e.attrs, &attrs))
        {
            return;
        }
        match self.desired.get_mut(&key) {
            Some(e) if !self.live => {
                if !Arc::ptr_eq(&e.attrs, &attrs) {
                    self.shadowed.push((e.seq, key.clone(), e.attrs.clone()));
                    self.seq += 1;
                    e.seq = self.seq;
                }
                e.attrs = attrs.clone();
            }
            Some(e) => e.attrs = attrs.clone(),
            None => {
                self.seq += 1;
                let e = Entry {
                    seq: self.seq,
                    attrs: attrs.clone(),
                    sent: false,
                };
                self.desired.insert(key.clone(), e);
            }
        }
        self.push_change(key, Some(attrs));
    }

    /// Withdraw an NLRI with the attributes the command gave (sent beside MP_UNREACH_NLRI,
    /// as ExaBGP does for the multiprotocol families).
    pub fn withdraw_with(&mut self, key: RouteKey, attrs: Attrs) {
        if self.live {
            self.withdraw_attrs.insert(key.clone(), attrs);
        }
        self.withdraw(key);
    }

    /// The attributes given with the pending withdraw of `key`, if any.
    pub fn take_withdraw_attrs(&mut self, key: &RouteKey) -> Option<Attrs> {
        self.withdraw_attrs.remove(key)
    }

    /// Withdraw an NLRI. Like ExaBGP, a withdraw is sent even when the route was not announced.
    pub fn withdraw(&mut self, key: RouteKey) {
        self.desired.remove(&key);
        self.shadowed.retain(|(_, k, _)| *k != key);
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
        let mut table: Vec<(u64, Queued)> = self
            .shadowed
            .iter()
            .map(|(s, k, a)| (*s, Queued::Shadowed(k.clone(), a.clone())))
            .collect();
        for (k, e) in &mut self.desired {
            e.sent = false;
            self.pending.insert(k.clone(), Some(e.attrs.clone()));
            table.push((e.seq, Queued::Route(k.clone())));
        }
        table.sort_by_key(|(s, _)| *s);
        self.queue.extend(table.into_iter().map(|(_, q)| q));
        for f in eor_families {
            self.queue.push_back(Queued::EndOfRib(*f));
        }
    }

    pub fn session_down(&mut self) {
        self.live = false;
        self.withdraw_attrs.clear();
        self.shadowed.clear();
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

    /// `clear adj-rib out`: withdraw everything the peer was sent; routes still waiting to
    /// be sent are dropped without a withdraw (ExaBGP, api-rib.ci).
    pub fn clear(&mut self) {
        for (k, _) in self.routes() {
            if self.desired.get(&k).is_some_and(|e| e.sent) {
                self.withdraw(k);
            } else {
                self.desired.remove(&k);
                self.pending.remove(&k);
                self.withdraw_attrs.remove(&k);
            }
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
        loop {
            let q = self.queue.pop_front()?;
            return match q {
                Queued::Route(k) => {
                    let Some(change) = self.pending.remove(&k) else {
                        // Its change was dropped (`clear adj-rib out` before it was sent).
                        continue;
                    };
                    if change.is_some() {
                        if let Some(e) = self.desired.get_mut(&k) {
                            e.sent = true;
                        }
                    }
                    Some((Queued::Route(k), change))
                }
                Queued::Shadowed(k, a) => Some((Queued::Route(k), Some(a))),
                q => Some((q, None)),
            };
        }
    }

    /// Look at the next item without taking it.
    pub fn peek(&mut self) -> Option<&Queued> {
        // Entries whose change was dropped are skipped here too, so that what `peek` shows is
        // what `pop` returns.
        while let Some(Queued::Route(k)) = self.queue.front() {
            if self.pending.contains_key(k) {
                break;
            }
            self.queue.pop_front();
        }
        self.queue.front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(i: &mut Interner, lp: u32) -> Attrs {
        i.intern(RouteAttrs {
            path: PathAttributes {
                local_pref: Some(lp),
                ..Default::default()
            },
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
        assert_eq!(a.encoded_len(false), 4);
        assert_eq!(a.prefix_string(), "10.0.0.0/24");
        let c = RouteKey::parse_prefix("2a02:b80::1/128").unwrap();
        assert_eq!(c.family, Family::IPV6_UNICAST);
        assert_eq!(c.encoded_len(false), 17);
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
    fn clear_drops_unsent_routes_without_a_withdraw() {
        let mut i = Interner::default();
        let mut rib = AdjRibOut::default();
        rib.session_up(&[]);
        let sent = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        rib.announce(sent.clone(), attrs(&mut i, 1));
        assert_eq!(rib.pop().unwrap().0, Queued::Route(sent.clone()));
        let unsent = RouteKey::parse_prefix("10.0.2.0/24").unwrap();
        rib.announce(unsent, attrs(&mut i, 1));
        rib.push_marker(Queued::EndOfRib(Family::IPV4_UNICAST));
        rib.clear();
        // The unsent route's queue entry is skipped by peek and pop; the sent one is withdrawn.
        assert_eq!(rib.peek(), Some(&Queued::EndOfRib(Family::IPV4_UNICAST)));
        assert_eq!(rib.pop().unwrap().0, Queued::EndOfRib(Family::IPV4_UNICAST));
        assert_eq!(rib.pop(), Some((Queued::Route(sent), None)));
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
