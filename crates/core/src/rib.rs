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

/// The NLRI of one configured route, compact: runs of consecutive IPv4 unicast prefixes of
/// one length (what `split` makes: `10.0.0.0/8 split /24` is one 12-byte run, not 65,536
/// 72-byte keys), anything else one key at a time. Iterating gives owned keys, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteKeys {
    runs: Vec<Run>,
    len: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Run {
    /// `count` prefixes of length `len` from `first`, each the next block of that size.
    V4 {
        first: u32,
        len: u8,
        count: u32,
    },
    One(RouteKey),
}

impl RouteKeys {
    pub fn new() -> RouteKeys {
        RouteKeys::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, k: RouteKey) {
        self.len += 1;
        if let Some((a, l)) = v4_of(&k) {
            if let Some(Run::V4 { first, len, count }) = self.runs.last_mut() {
                // The next block of the same size, host bits clear (so the run rebuilds the
                // same keys), without wrapping past 255.255.255.255.
                let step = if *len == 0 { 0 } else { 1u64 << (32 - *len) };
                let next = u64::from(*first) + step * u64::from(*count);
                if l == *len && step != 0 && u64::from(a) == next && u64::from(a) % step == 0 {
                    *count += 1;
                    return;
                }
            }
            self.runs.push(Run::V4 {
                first: a,
                len: l,
                count: 1,
            });
        } else {
            self.runs.push(Run::One(k));
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = RouteKey> + '_ {
        self.runs.iter().flat_map(|r| {
            let (one, v4) = match r {
                Run::One(k) => (Some(k.clone()), None),
                Run::V4 { first, len, count } => (None, Some((*first, *len, *count))),
            };
            one.into_iter()
                .chain(v4.into_iter().flat_map(|(first, len, count)| {
                    let step = if len == 0 { 0 } else { 1u32 << (32 - len) };
                    (0..count)
                        .map(move |i| Ck::V4(first.wrapping_add(step.wrapping_mul(i)), len).key())
                }))
        })
    }
}

impl FromIterator<RouteKey> for RouteKeys {
    fn from_iter<I: IntoIterator<Item = RouteKey>>(it: I) -> RouteKeys {
        let mut v = RouteKeys::new();
        for k in it {
            v.push(k);
        }
        v
    }
}

impl From<Vec<RouteKey>> for RouteKeys {
    fn from(v: Vec<RouteKey>) -> RouteKeys {
        v.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a RouteKeys {
    type Item = RouteKey;
    type IntoIter = Box<dyn Iterator<Item = RouteKey> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// A route as the configuration or a command gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    pub nlris: RouteKeys,
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

/// A stored NLRI, compact: an IPv4 unicast prefix without path identifier (the bulk of any
/// large table) is its address and length inline, 16 bytes and no allocation; any other NLRI
/// is shared behind an `Arc`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ck {
    V4(u32, u8),
    Other(Arc<RouteKey>),
}

/// The inline form of `k`, when it has one.
fn v4_of(k: &RouteKey) -> Option<(u32, u8)> {
    match &k.nlri {
        Nlri::Prefix {
            prefix: ipnet::IpNet::V4(p),
            path_id: None,
        } if k.family == Family::IPV4_UNICAST => Some((u32::from(p.addr()), p.prefix_len())),
        _ => None,
    }
}

/// A fixed, fast hash for the inline keys (they come from the configuration or the API, not
/// from the network): one folded multiply.
fn hash_v4(addr: u32, len: u8) -> u64 {
    let x = (u64::from(addr) << 8 | u64::from(len)) ^ 0x243f_6a88_85a3_08d3;
    let m = u128::from(x) * 0x9e37_79b9_7f4a_7c15;
    (m as u64) ^ ((m >> 64) as u64)
}

impl Ck {
    fn of(k: RouteKey) -> Ck {
        match v4_of(&k) {
            Some((a, l)) => Ck::V4(a, l),
            None => Ck::Other(Arc::new(k)),
        }
    }

    fn key(&self) -> RouteKey {
        match self {
            Ck::V4(a, l) => RouteKey {
                family: Family::IPV4_UNICAST,
                nlri: Nlri::Prefix {
                    prefix: ipnet::IpNet::V4(
                        ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(*a), *l)
                            .expect("a stored IPv4 length is at most 32"),
                    ),
                    path_id: None,
                },
            },
            Ck::Other(k) => (**k).clone(),
        }
    }

    fn family(&self) -> Family {
        match self {
            Ck::V4(..) => Family::IPV4_UNICAST,
            Ck::Other(k) => k.family,
        }
    }

    fn matches(&self, k: &RouteKey, v4: Option<(u32, u8)>) -> bool {
        match (self, v4) {
            (Ck::V4(a, l), Some((b, m))) => *a == b && *l == m,
            (Ck::Other(x), None) => **x == *k,
            _ => false,
        }
    }
}

/// A queue entry that stands for the next of `AdjRibOut::markers`; any other entry is a slot
/// index.
const MARKER: u32 = u32::MAX;

/// One route the peer should have (or had, for shadowed and dead slots).
#[derive(Debug)]
struct Slot {
    key: Ck,
    /// None once the slot is dead.
    attrs: Option<Attrs>,
}

/// Announced to the peer on this session (an UPDATE was built for it).
const SENT: u8 = 1;
/// An announcement of this route is queued and not sent yet.
const PENDING: u8 = 2;
/// Replaced by a later slot of the same NLRI while the session was down (see
/// [`Queued::Shadowed`]); not in the index.
const SHADOW: u8 = 4;
/// Withdrawn or moved: only waits for compaction.
const DEAD: u8 = 8;
/// The queue may hold this slot's index: a dead slot keeps its key (the entry is resolved by
/// it) until compaction finds no entry left.
const QUEUED: u8 = 16;

/// The Adj-RIB-Out of one neighbor.
///
/// Memory layout (a million routes sharing a few attribute sets is the case it is built for):
/// the routes are slots in insertion order (`slots`, 24 bytes each: compact key and the shared
/// attribute set) with a byte of flags each; `index` finds a slot from its NLRI (4 bytes a
/// bucket); a queued route is its slot's index (4 bytes), so sending the table walks the
/// slots in order with no lookup. No per-route allocation for IPv4 unicast. Slots that die
/// (withdrawn, moved to the end by a re-announcement) are compacted away once they are half
/// the vector.
///
/// A queue entry stands for the pending change of its slot's NLRI when it is taken: for a
/// desired slot, its announcement if `PENDING`; for a dead slot (a withdraw queued, or a
/// route withdrawn or dropped after it was queued), whatever is pending for that NLRI then,
/// found by its key: a withdraw in `pending_withdraw` or the announcement of the slot that
/// now holds it (an NLRI withdrawn and announced again before the withdraw was sent is sent
/// in the withdraw's place). Only that rare case pays a lookup.
#[derive(Default)]
pub struct AdjRibOut {
    slots: Vec<Slot>,
    flags: Vec<u8>,
    /// Slot index of every desired route (not shadowed, not dead), hashed by its key.
    index: hashbrown::HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
    desired: usize,
    dead: usize,
    /// Slots replaced while the session was down, in slot order.
    shadowed: Vec<u32>,
    /// Withdraws queued and not sent yet (their NLRI is not desired).
    pending_withdraw: HashSet<Ck>,
    /// Slot indices, and `MARKER` for each of `markers`, in sending order.
    queue: VecDeque<u32>,
    /// Boxed: most neighbors only ever hold an End-of-RIB here, and an empty `VecDeque` grows
    /// to four items at its first push.
    markers: VecDeque<Box<Queued>>,
    /// Dead slots the last compaction kept because the queue referred to them.
    dead_kept: usize,
    /// What `peek` showed.
    peeked: Option<Queued>,
    /// Attributes given with a withdraw (ExaBGP sends them beside MP_UNREACH_NLRI).
    withdraw_attrs: HashMap<RouteKey, Attrs>,
    /// Whether changes are queued for sending (the session is Established).
    live: bool,
    /// Above every inline key ever given a slot (address << 8 | length, + 1): a key past it
    /// cannot be in the index, so a table announced in ascending order skips the lookup (a
    /// cache miss per route at 1M).
    v4_above: u64,
    /// `adj-rib-out false`: a route is forgotten once its announcement was sent (only changes
    /// not sent yet are held).
    forget_sent: bool,
    /// Whether a sent route was forgotten since `take_forgotten` last asked.
    forgotten: bool,
}

impl std::fmt::Debug for AdjRibOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdjRibOut")
            .field("routes", &self.desired)
            .field("slots", &self.slots.len())
            .field("queued", &self.queue.len())
            .field("live", &self.live)
            .finish()
    }
}

impl AdjRibOut {
    pub fn len(&self) -> usize {
        self.desired
    }

    pub fn is_empty(&self) -> bool {
        self.desired == 0
    }

    /// `adj-rib-out false`: forget each route once its announcement was sent. Nothing sent is
    /// then known: `resend` and `clear` find nothing, re-announcing a route sends it again
    /// (there is no outgoing cache to compare with), and the memory held is only that of the
    /// changes not sent yet (ExaBGP's OutgoingRIB without its cache).
    pub fn forget_sent(&mut self, forget: bool) {
        self.forget_sent = forget;
    }

    /// Whether routes were forgotten after being sent since the last call (the speaker then
    /// gives a new session the configuration's routes again).
    pub fn take_forgotten(&mut self) -> bool {
        std::mem::take(&mut self.forgotten)
    }

    /// Whether changes are queued for sending (the session is Established).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Room for `additional` more routes (a configuration's table, before it is installed).
    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.flags.reserve(additional);
        let slots = &self.slots;
        let hasher = &self.hasher;
        self.index.reserve(additional, |&i| {
            Self::hash_ck(hasher, &slots[i as usize].key)
        });
    }

    fn hash_ck(hasher: &std::collections::hash_map::RandomState, k: &Ck) -> u64 {
        use std::hash::BuildHasher;
        match k {
            Ck::V4(a, l) => hash_v4(*a, *l),
            Ck::Other(k) => hasher.hash_one(&**k),
        }
    }

    fn hash_key(&self, k: &RouteKey, v4: Option<(u32, u8)>) -> u64 {
        use std::hash::BuildHasher;
        match v4 {
            Some((a, l)) => hash_v4(a, l),
            None => self.hasher.hash_one(k),
        }
    }

    /// The slot of a desired route.
    fn find(&self, k: &RouteKey) -> Option<u32> {
        let v4 = v4_of(k);
        let h = self.hash_key(k, v4);
        self.index
            .find(h, |&i| self.slots[i as usize].key.matches(k, v4))
            .copied()
    }

    fn find_ck(&self, k: &Ck) -> Option<u32> {
        let h = Self::hash_ck(&self.hasher, k);
        self.index
            .find(h, |&i| self.slots[i as usize].key == *k)
            .copied()
    }

    /// Take slot `i` out of the index (it becomes shadowed or dead).
    fn unindex(&mut self, i: u32) {
        let h = Self::hash_ck(&self.hasher, &self.slots[i as usize].key);
        if let Ok(e) = self.index.find_entry(h, |&j| j == i) {
            e.remove();
        }
    }

    /// A new desired slot at the end.
    fn push_slot(&mut self, key: Ck, attrs: Attrs) -> u32 {
        let i = self.next_slot();
        let h = Self::hash_ck(&self.hasher, &key);
        if let Ck::V4(a, l) = key {
            self.v4_above = self.v4_above.max((u64::from(a) << 8 | u64::from(l)) + 1);
        }
        self.slots.push(Slot {
            key,
            attrs: Some(attrs),
        });
        self.flags.push(0);
        let slots = &self.slots;
        let hasher = &self.hasher;
        self.index
            .insert_unique(h, i, |&j| Self::hash_ck(hasher, &slots[j as usize].key));
        self.desired += 1;
        i
    }

    fn next_slot(&self) -> u32 {
        match u32::try_from(self.slots.len()) {
            Ok(i) if i != MARKER => i,
            _ => panic!("fewer than 2^32 - 1 routes per neighbor"),
        }
    }

    /// A dead slot at the end that only carries `key` for a queue entry (a withdraw of an
    /// NLRI that has no slot).
    fn push_carrier(&mut self, key: Ck) -> u32 {
        let i = self.next_slot();
        self.slots.push(Slot { key, attrs: None });
        self.flags.push(DEAD | QUEUED);
        self.dead += 1;
        i
    }

    /// Queue slot `i`'s entry.
    fn enqueue(&mut self, i: u32) {
        self.flags[i as usize] |= QUEUED;
        self.queue.push_back(i);
    }

    fn kill(&mut self, i: u32) {
        let s = &mut self.slots[i as usize];
        s.attrs = None;
        if self.flags[i as usize] & QUEUED == 0 {
            s.key = Ck::V4(0, 0);
            self.flags[i as usize] = DEAD;
        } else {
            self.flags[i as usize] = DEAD | QUEUED;
        }
        self.dead += 1;
    }

    /// Drop dead slots once they are half the vector (keeps the order). Dead slots the queue
    /// still refers to stay until a later compaction.
    fn maybe_compact(&mut self) {
        let reclaimable = if self.queue.is_empty() {
            self.dead
        } else {
            self.dead - self.dead_kept
        };
        if reclaimable < 4096 || reclaimable * 2 < self.slots.len() {
            return;
        }
        for f in &mut self.flags {
            *f &= !QUEUED;
        }
        for &e in &self.queue {
            if e != MARKER {
                self.flags[e as usize] |= QUEUED;
            }
        }
        let mut map = vec![u32::MAX; self.slots.len()];
        let mut j = 0u32;
        let slots = std::mem::take(&mut self.slots);
        let flags = std::mem::take(&mut self.flags);
        let mut kept_dead = 0;
        self.slots.reserve(slots.len() - reclaimable);
        self.flags.reserve(slots.len() - reclaimable);
        for (i, (s, f)) in slots.into_iter().zip(flags).enumerate() {
            if f & DEAD != 0 {
                if f & QUEUED == 0 {
                    continue;
                }
                kept_dead += 1;
            }
            map[i] = j;
            j += 1;
            self.slots.push(s);
            self.flags.push(f);
        }
        self.dead = kept_dead;
        self.dead_kept = kept_dead;
        for i in &mut self.shadowed {
            *i = map[*i as usize];
        }
        for e in &mut self.queue {
            if *e != MARKER {
                *e = map[*e as usize];
            }
        }
        self.index.clear();
        let slots = &self.slots;
        let hasher = &self.hasher;
        for (i, f) in self.flags.iter().enumerate() {
            if f & (SHADOW | DEAD) == 0 {
                let h = Self::hash_ck(hasher, &slots[i].key);
                self.index.insert_unique(h, i as u32, |&j| {
                    Self::hash_ck(hasher, &slots[j as usize].key)
                });
            }
        }
    }

    /// Desired slots in insertion order.
    fn desired_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.flags
            .iter()
            .enumerate()
            .filter(|(_, f)| *f & (SHADOW | DEAD) == 0)
            .map(|(i, _)| i as u32)
    }

    pub fn get(&self, key: &RouteKey) -> Option<&Attrs> {
        self.find(key)
            .and_then(|i| self.slots[i as usize].attrs.as_ref())
    }

    /// Routes in the order they were first announced.
    pub fn routes(&self) -> Vec<(RouteKey, Attrs)> {
        self.desired_slots()
            .map(|i| {
                let s = &self.slots[i as usize];
                (
                    s.key.key(),
                    s.attrs.clone().expect("desired slots have attributes"),
                )
            })
            .collect()
    }

    /// Queue the announcement of desired slot `i` (its attributes are read when it is sent).
    fn push_announce(&mut self, i: u32) {
        if !self.live || self.flags[i as usize] & PENDING != 0 {
            return;
        }
        self.flags[i as usize] |= PENDING;
        let key = &self.slots[i as usize].key;
        // A withdraw queued for the NLRI becomes this announcement, in its place.
        if !self.pending_withdraw.is_empty() && self.pending_withdraw.remove(key) {
            return;
        }
        self.enqueue(i);
    }

    /// Queue the withdraw of `key` (not desired any more; `slot` is the slot it had, about to
    /// die); `had_pending`: an announcement of it was queued and not sent, so the withdraw
    /// takes its place.
    fn push_withdraw(&mut self, key: Ck, had_pending: bool, slot: Option<u32>) {
        if !self.live {
            return;
        }
        if had_pending {
            self.pending_withdraw.insert(key);
        } else if !self.pending_withdraw.contains(&key) {
            self.pending_withdraw.insert(key.clone());
            let carrier = match slot {
                Some(i) => i,
                None => self.push_carrier(key),
            };
            self.enqueue(carrier);
        }
    }

    pub fn announce(&mut self, key: RouteKey, attrs: Attrs) {
        let fresh =
            v4_of(&key).is_some_and(|(a, l)| (u64::from(a) << 8 | u64::from(l)) >= self.v4_above);
        let found = if fresh { None } else { self.find(&key) };
        match found {
            Some(i) => {
                let idx = i as usize;
                let same = self.slots[idx]
                    .attrs
                    .as_ref()
                    .is_some_and(|a| Arc::ptr_eq(a, &attrs));
                // Like ExaBGP's outgoing RIB cache: re-announcing exactly what the peer has (and
                // nothing else is pending for it) sends nothing.
                if self.live && same && self.flags[idx] & PENDING == 0 {
                    return;
                }
                if !self.live && !same {
                    // Replaced before the session came up: the old one is still sent with the
                    // initial table (Queued::Shadowed), the new one goes at the end.
                    self.unindex(i);
                    self.flags[idx] |= SHADOW;
                    self.shadowed.push(i);
                    self.desired -= 1;
                    let k = self.slots[idx].key.clone();
                    let j = self.push_slot(k, attrs);
                    self.push_announce(j);
                } else {
                    self.slots[idx].attrs = Some(attrs);
                    self.push_announce(i);
                }
            }
            None => {
                let j = self.push_slot(Ck::of(key), attrs);
                self.push_announce(j);
            }
        }
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
        if self.withdraw_attrs.is_empty() {
            return None;
        }
        self.withdraw_attrs.remove(key)
    }

    /// Remove desired slot `i`; whether an announcement of it was pending.
    fn remove_slot(&mut self, i: u32) -> (Ck, bool) {
        self.unindex(i);
        let had = self.flags[i as usize] & PENDING != 0;
        let key = self.slots[i as usize].key.clone();
        self.kill(i);
        self.desired -= 1;
        (key, had)
    }

    fn withdraw_inner(&mut self, key: RouteKey) {
        let ck = match self.find(&key) {
            Some(i) => {
                // Queued before the slot dies, so that it keeps its key for the entry.
                let had = self.flags[i as usize] & PENDING != 0;
                self.push_withdraw(self.slots[i as usize].key.clone(), had, Some(i));
                self.remove_slot(i).0
            }
            None => {
                let ck = Ck::of(key);
                self.push_withdraw(ck.clone(), false, None);
                ck
            }
        };
        if !self.shadowed.is_empty() {
            let mut kept = Vec::with_capacity(self.shadowed.len());
            for i in std::mem::take(&mut self.shadowed) {
                if self.slots[i as usize].key == ck {
                    self.kill(i);
                } else {
                    kept.push(i);
                }
            }
            self.shadowed = kept;
        }
    }

    /// Withdraw an NLRI. Like ExaBGP, a withdraw is sent even when the route was not announced.
    pub fn withdraw(&mut self, key: RouteKey) {
        self.withdraw_inner(key);
        self.maybe_compact();
    }

    pub fn push_marker(&mut self, q: Queued) {
        if self.live {
            match q {
                // The pending change of that NLRI, when the entry is taken.
                Queued::Route(k) => {
                    let i = self.push_carrier(Ck::of(k));
                    self.queue.push_back(i);
                }
                q => {
                    self.markers.push_back(Box::new(q));
                    self.queue.push_back(MARKER);
                }
            }
        }
    }

    fn clear_pending(&mut self) {
        self.pending_withdraw.clear();
        self.queue.clear();
        self.markers.clear();
        self.dead_kept = 0;
        self.peeked = None;
        for (s, f) in self.slots.iter_mut().zip(&mut self.flags) {
            if *f & (DEAD | QUEUED) == DEAD | QUEUED {
                s.key = Ck::V4(0, 0);
            }
            *f &= !(PENDING | QUEUED);
        }
    }

    /// The session came up: queue the whole table, then End-of-RIB per family unless manual.
    pub fn session_up(&mut self, eor_families: &[Family]) {
        self.live = true;
        self.clear_pending();
        self.queue
            .reserve(self.slots.len() - self.dead + eor_families.len());
        for (i, f) in self.flags.iter_mut().enumerate() {
            let s = &self.slots[i];
            if *f & DEAD != 0 {
                continue;
            }
            if *f & SHADOW != 0 {
                let a = s.attrs.clone().expect("shadowed slots have attributes");
                self.markers
                    .push_back(Box::new(Queued::Shadowed(s.key.key(), a)));
                self.queue.push_back(MARKER);
                continue;
            }
            *f = (*f & !SENT) | PENDING | QUEUED;
            self.queue.push_back(i as u32);
        }
        for f in eor_families {
            self.markers.push_back(Box::new(Queued::EndOfRib(*f)));
            self.queue.push_back(MARKER);
        }
    }

    pub fn session_down(&mut self) {
        self.live = false;
        self.withdraw_attrs.clear();
        for i in std::mem::take(&mut self.shadowed) {
            self.kill(i);
        }
        self.clear_pending();
        self.maybe_compact();
    }

    /// `flush adj-rib out` / ROUTE-REFRESH: resend every route (of `family`, or all).
    pub fn resend(&mut self, family: Option<Family>) {
        let list: Vec<u32> = self
            .desired_slots()
            .filter(|&i| family.is_none_or(|f| f == self.slots[i as usize].key.family()))
            .collect();
        for i in list {
            self.push_announce(i);
        }
    }

    /// `clear adj-rib out`: withdraw everything the peer was sent; routes still waiting to
    /// be sent are dropped without a withdraw (ExaBGP, api-rib.ci).
    pub fn clear(&mut self) {
        let list: Vec<u32> = self.desired_slots().collect();
        for i in list {
            if self.flags[i as usize] & SENT != 0 {
                let k = self.slots[i as usize].key.key();
                self.withdraw_inner(k);
            } else {
                let (ck, _) = self.remove_slot(i);
                if !self.withdraw_attrs.is_empty() {
                    self.withdraw_attrs.remove(&ck.key());
                }
            }
        }
        self.maybe_compact();
    }

    pub fn has_work(&self) -> bool {
        !self.queue.is_empty()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Take the next item to send. For routes, the pending change is returned with it.
    pub fn pop(&mut self) -> Option<(Queued, Option<Attrs>)> {
        self.peeked = None;
        loop {
            let e = self.pop_front()?;
            if e == MARKER {
                let q = self.markers.pop_front().expect("a marker per MARKER entry");
                return Some(match *q {
                    Queued::Shadowed(k, a) => (Queued::Route(k), Some(a)),
                    q => (q, None),
                });
            }
            match self.pending_of(e) {
                Some(Pending::Withdraw) => {
                    let k = self.slots[e as usize].key.clone();
                    self.pending_withdraw.remove(&k);
                    return Some((Queued::Route(k.key()), None));
                }
                Some(Pending::Announce(i)) => {
                    let f = &mut self.flags[i as usize];
                    *f = (*f & !PENDING) | SENT;
                    let k = self.slots[i as usize].key.key();
                    let a = self.slots[i as usize].attrs.clone();
                    if self.forget_sent {
                        self.remove_slot(i);
                        self.forgotten = true;
                        self.maybe_compact();
                    }
                    return Some((Queued::Route(k), a));
                }
                // Its change was dropped (`clear adj-rib out` before it was sent), or sent
                // at an earlier entry.
                None => continue,
            }
        }
    }

    /// What the queue entry of slot `e` stands for now.
    fn pending_of(&self, e: u32) -> Option<Pending> {
        let f = self.flags[e as usize];
        if f & (DEAD | SHADOW) == 0 {
            // A desired slot: its own announcement (a desired NLRI has no withdraw pending).
            return (f & PENDING != 0).then_some(Pending::Announce(e));
        }
        let k = &self.slots[e as usize].key;
        if !self.pending_withdraw.is_empty() && self.pending_withdraw.contains(k) {
            return Some(Pending::Withdraw);
        }
        self.find_ck(k)
            .filter(|&i| self.flags[i as usize] & PENDING != 0)
            .map(Pending::Announce)
    }

    /// Drop the entries at the front whose change was dropped, so that what `peek` shows is
    /// what `pop` returns.
    fn skip_dropped(&mut self) {
        while let Some(&e) = self.queue.front() {
            if e == MARKER || self.pending_of(e).is_some() {
                break;
            }
            self.pop_front();
        }
    }

    fn pop_front(&mut self) -> Option<u32> {
        let e = self.queue.pop_front();
        if self.queue.is_empty() {
            // No entry refers to a dead slot any more: the next compaction may take them all.
            self.dead_kept = 0;
        }
        e
    }

    /// Whether the next item is a route (`Some(false)`: a marker; `None`: nothing queued).
    pub fn next_is_route(&mut self) -> Option<bool> {
        self.skip_dropped();
        let &e = self.queue.front()?;
        Some(
            e != MARKER
                || matches!(
                    self.markers.front().map(|q| &**q),
                    Some(Queued::Shadowed(..))
                ),
        )
    }

    /// Look at the next item without taking it.
    pub fn peek(&mut self) -> Option<&Queued> {
        self.skip_dropped();
        self.peeked = self.queue.front().map(|&e| {
            if e == MARKER {
                (**self.markers.front().expect("a marker per MARKER entry")).clone()
            } else {
                Queued::Route(self.slots[e as usize].key.key())
            }
        });
        self.peeked.as_ref()
    }
}

/// What a route's queue entry sends.
enum Pending {
    Withdraw,
    /// The announcement of this slot.
    Announce(u32),
}

/// NLRI → attribute set, compact (the configuration's routes of a neighbor, kept for reload).
/// IPv4 unicast prefixes inserted in ascending order (what `split` and sorted tables give) are
/// runs: `10.0.0.0/8 split /24` is one 24-byte run, looked up by binary search. Anything else
/// (other families, out-of-order or repeated prefixes) goes to a `HashMap`.
#[derive(Debug, Default)]
pub struct RouteMap {
    /// Ascending, non-overlapping: each run starts after the previous one's last block.
    runs: Vec<MapRun>,
    others: HashMap<RouteKey, Attrs>,
    len: usize,
}

#[derive(Debug)]
struct MapRun {
    first: u32,
    /// The address after the run's last block (u64: it may be 2^32).
    end: u64,
    len: u8,
    attrs: Attrs,
}

impl MapRun {
    fn step(&self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    fn contains(&self, a: u32, l: u8) -> bool {
        let a = u64::from(a);
        l == self.len
            && a >= u64::from(self.first)
            && a < self.end
            && (a - u64::from(self.first)) % self.step() == 0
    }
}

impl RouteMap {
    pub fn new() -> RouteMap {
        RouteMap::default()
    }

    /// A map for about `n` routes: runs need no room reserved, so this is `new`.
    pub fn with_capacity(_n: usize) -> RouteMap {
        RouteMap::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The run holding (a, l), if any.
    fn run_of(&self, a: u32, l: u8) -> Option<usize> {
        let i = self.runs.partition_point(|r| r.first <= a);
        (i > 0 && self.runs[i - 1].contains(a, l)).then(|| i - 1)
    }

    /// Insert or replace; returns the replaced attributes.
    pub fn insert(&mut self, k: RouteKey, a: Attrs) -> Option<Attrs> {
        if let Some((addr, l)) = v4_of(&k) {
            if let Some(i) = self.run_of(addr, l) {
                let r = &self.runs[i];
                if Arc::ptr_eq(&r.attrs, &a) {
                    return Some(a);
                }
                // Another attribute set for a prefix inside a run: it goes to `others`, which
                // `get` looks at first.
            } else if l > 0 {
                let step = 1u64 << (32 - u32::from(l));
                let a64 = u64::from(addr);
                let after_last = self.runs.last().is_none_or(|r| a64 >= r.end);
                if after_last && a64 % step == 0 && !self.others.contains_key(&k) {
                    self.len += 1;
                    if let Some(r) = self.runs.last_mut() {
                        if r.len == l && r.end == a64 && Arc::ptr_eq(&r.attrs, &a) {
                            r.end += step;
                            return None;
                        }
                    }
                    self.runs.push(MapRun {
                        first: addr,
                        end: a64 + step,
                        len: l,
                        attrs: a,
                    });
                    return None;
                }
            }
        }
        let old = self.others.insert(k.clone(), a);
        match old {
            Some(o) => Some(o),
            None => match self.run_get(&k) {
                Some(o) => Some(o.clone()),
                None => {
                    self.len += 1;
                    None
                }
            },
        }
    }

    fn run_get(&self, k: &RouteKey) -> Option<&Attrs> {
        let (a, l) = v4_of(k)?;
        self.run_of(a, l).map(|i| &self.runs[i].attrs)
    }

    pub fn get(&self, k: &RouteKey) -> Option<&Attrs> {
        if !self.others.is_empty() {
            if let Some(a) = self.others.get(k) {
                return Some(a);
            }
        }
        self.run_get(k)
    }

    pub fn contains_key(&self, k: &RouteKey) -> bool {
        self.get(k).is_some()
    }

    /// Every route once: the runs in address order, then the others (in no fixed order).
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, &Attrs)> + '_ {
        let runs = self.runs.iter().flat_map(move |r| {
            let step = r.step();
            let count = (r.end - u64::from(r.first)) / step;
            (0..count).filter_map(move |i| {
                let k = Ck::V4((u64::from(r.first) + i * step) as u32, r.len).key();
                // A prefix also in `others` is listed there, with its newer attributes.
                (self.others.is_empty() || !self.others.contains_key(&k)).then_some((k, &r.attrs))
            })
        });
        runs.chain(self.others.iter().map(|(k, a)| (k.clone(), a)))
    }
}

/// A change an API command makes to an Adj-RIB-Out. With `auto-flush false` the changes of an
/// Established session are held as these until `flush adj-rib out` applies them in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Announce(RouteKey, Attrs),
    /// A withdraw, with the attributes the command gave, if any (see
    /// `AdjRibOut::withdraw_with`).
    Withdraw(RouteKey, Option<Attrs>),
    /// End-of-RIB or an attribute-only UPDATE.
    Marker(Queued),
}

impl AdjRibOut {
    /// Apply one change.
    pub fn apply(&mut self, c: Change) {
        match c {
            Change::Announce(k, a) => self.announce(k, a),
            Change::Withdraw(k, Some(a)) => self.withdraw_with(k, a),
            Change::Withdraw(k, None) => self.withdraw(k),
            Change::Marker(q) => self.push_marker(q),
        }
    }
}

/// The Adj-RIB-In of one neighbor (`adj-rib-in true`, ExaBGP's default): the routes the peer
/// announced and has not withdrawn, for `show adj-rib in`. It holds every received route, so
/// it is laid out for size: an IPv4 unicast prefix without path id (the bulk of a full table)
/// is a `u64` key with two `u32`s (16 bytes a slot); attribute sets are numbered slots,
/// counted and freed when their last route goes.
#[derive(Debug, Default)]
pub struct AdjRibIn {
    /// IPv4 unicast (address << 8 | length) -> (arrival, attribute slot).
    v4: HashMap<u64, (u32, u32)>,
    /// Any other NLRI -> (arrival, attribute slot).
    other: HashMap<RouteKey, (u32, u32)>,
    /// Attribute sets by slot and the number of routes using each (`None`: a free slot).
    sets: Vec<(Option<Attrs>, u32)>,
    free: Vec<u32>,
    /// Slot of an attribute set, by the address of its shared allocation.
    slot_of: HashMap<usize, u32>,
    /// The next arrival number. The order is ExaBGP's (its dict keeps the first insertion
    /// of a key; a withdrawn and re-announced route goes last).
    next: u32,
}

impl AdjRibIn {
    pub fn len(&self) -> usize {
        self.v4.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn take_slot(&mut self, attrs: Attrs) -> u32 {
        let ptr = Arc::as_ptr(&attrs) as usize;
        if let Some(&s) = self.slot_of.get(&ptr) {
            self.sets[s as usize].1 += 1;
            return s;
        }
        let s = match self.free.pop() {
            Some(s) => {
                self.sets[s as usize] = (Some(attrs), 1);
                s
            }
            None => {
                self.sets.push((Some(attrs), 1));
                (self.sets.len() - 1) as u32
            }
        };
        self.slot_of.insert(ptr, s);
        s
    }

    fn release_slot(&mut self, s: u32) {
        let e = &mut self.sets[s as usize];
        e.1 -= 1;
        if e.1 == 0 {
            if let Some(a) = e.0.take() {
                self.slot_of.remove(&(Arc::as_ptr(&a) as usize));
            }
            self.free.push(s);
        }
    }

    fn arrival(&mut self) -> u32 {
        if self.next == u32::MAX {
            self.renumber();
        }
        self.next += 1;
        self.next - 1
    }

    /// Four billion announcements later: number the routes 0.. again, in order.
    fn renumber(&mut self) {
        let mut order: Vec<(u32, Option<u64>, Option<RouteKey>)> = self
            .v4
            .iter()
            .map(|(k, (n, _))| (*n, Some(*k), None))
            .chain(
                self.other
                    .iter()
                    .map(|(k, (n, _))| (*n, None, Some(k.clone()))),
            )
            .collect();
        order.sort_unstable_by_key(|e| e.0);
        for (i, (_, v4, other)) in order.into_iter().enumerate() {
            let slot = match (v4, other) {
                (Some(k), _) => self.v4.get_mut(&k),
                (None, Some(k)) => self.other.get_mut(&k),
                _ => None,
            };
            if let Some(e) = slot {
                e.0 = i as u32;
            }
        }
        self.next = self.len() as u32;
    }

    pub fn announce(&mut self, key: RouteKey, attrs: Attrs) {
        let slot = self.take_slot(attrs);
        let old = match v4_of(&key) {
            Some((a, l)) => {
                let k = u64::from(a) << 8 | u64::from(l);
                match self.v4.get_mut(&k) {
                    Some(e) => Some(std::mem::replace(&mut e.1, slot)),
                    None => {
                        let n = self.arrival();
                        self.v4.insert(k, (n, slot));
                        None
                    }
                }
            }
            None => match self.other.get_mut(&key) {
                Some(e) => Some(std::mem::replace(&mut e.1, slot)),
                None => {
                    let n = self.arrival();
                    self.other.insert(key, (n, slot));
                    None
                }
            },
        };
        if let Some(old) = old {
            self.release_slot(old);
        }
    }

    pub fn withdraw(&mut self, key: RouteKey) {
        if self.is_empty() {
            return;
        }
        let gone = match v4_of(&key) {
            Some((a, l)) => self.v4.remove(&(u64::from(a) << 8 | u64::from(l))),
            None => self.other.remove(&key),
        };
        if let Some((_, slot)) = gone {
            self.release_slot(slot);
        }
    }

    /// `clear adj-rib in`, and the session going down or coming up.
    pub fn clear(&mut self) {
        *self = AdjRibIn::default();
    }

    /// The routes in the order they arrived.
    pub fn routes(&self) -> Vec<(RouteKey, Attrs)> {
        let attrs = |s: u32| self.sets.get(s as usize).and_then(|e| e.0.clone());
        let mut v: Vec<(u32, RouteKey, Attrs)> = self
            .v4
            .iter()
            .filter_map(|(k, (n, s))| {
                Some((*n, Ck::V4((*k >> 8) as u32, *k as u8).key(), attrs(*s)?))
            })
            .chain(
                self.other
                    .iter()
                    .filter_map(|(k, (n, s))| Some((*n, k.clone(), attrs(*s)?))),
            )
            .collect();
        v.sort_unstable_by_key(|(n, _, _)| *n);
        v.into_iter().map(|(_, k, a)| (k, a)).collect()
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
    fn forgetting_mode_keeps_only_unsent_changes() {
        let mut i = Interner::default();
        let a = attrs(&mut i, 1);
        let mut rib = AdjRibOut::default();
        rib.forget_sent(true);
        let k = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        // Taken while down: held until sent.
        rib.announce(k.clone(), a.clone());
        assert_eq!(rib.len(), 1);
        rib.session_up(&[]);
        assert_eq!(rib.pop(), Some((Queued::Route(k.clone()), Some(a.clone()))));
        assert!(rib.is_empty() && rib.routes().is_empty());
        assert!(rib.take_forgotten() && !rib.take_forgotten());
        // No outgoing cache: the same announcement is sent again.
        rib.announce(k.clone(), a.clone());
        assert_eq!(rib.pop(), Some((Queued::Route(k.clone()), Some(a.clone()))));
        // Nothing to resend or clear; a withdraw still goes.
        rib.resend(None);
        rib.clear();
        assert!(!rib.has_work());
        rib.withdraw(k.clone());
        assert_eq!(rib.pop(), Some((Queued::Route(k), None)));
        assert_eq!(rib.pop(), None);
    }

    #[test]
    fn changes_apply_in_order() {
        let mut i = Interner::default();
        let a = attrs(&mut i, 1);
        let mut rib = AdjRibOut::default();
        rib.session_up(&[]);
        let k = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        rib.apply(Change::Announce(k.clone(), a.clone()));
        rib.apply(Change::Marker(Queued::EndOfRib(Family::IPV4_UNICAST)));
        rib.apply(Change::Withdraw(k.clone(), Some(a.clone())));
        // The unsent announcement became the withdraw, in its place, with its attributes.
        assert_eq!(rib.pop(), Some((Queued::Route(k.clone()), None)));
        assert_eq!(rib.take_withdraw_attrs(&k), Some(a));
        assert_eq!(rib.pop().unwrap().0, Queued::EndOfRib(Family::IPV4_UNICAST));
    }

    #[test]
    fn adj_rib_in_keeps_arrival_order() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let k1 = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        let k2 = RouteKey::parse_prefix("2001:db8::/32").unwrap();
        let k3 = RouteKey::parse_prefix("10.0.3.0/24").unwrap();
        let mut rib = AdjRibIn::default();
        rib.announce(k1.clone(), a.clone());
        rib.announce(k2.clone(), a.clone());
        rib.announce(k3.clone(), a.clone());
        // Replaced in place; withdrawn and announced again goes last.
        rib.announce(k1.clone(), b.clone());
        rib.withdraw(k2.clone());
        rib.announce(k2.clone(), b.clone());
        assert_eq!(
            rib.routes(),
            vec![(k1, b.clone()), (k3.clone(), a), (k2, b)]
        );
        assert_eq!(rib.len(), 3);
        rib.withdraw(k3);
        assert_eq!(rib.len(), 2);
        rib.clear();
        assert!(rib.is_empty());
    }

    #[test]
    fn adj_rib_in_frees_attribute_sets_and_renumbers() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let k1 = RouteKey::parse_prefix("10.0.1.0/24").unwrap();
        let k2 = RouteKey::parse_prefix("2001:db8::/32").unwrap();
        let mut rib = AdjRibIn::default();
        rib.announce(k1.clone(), a.clone());
        rib.announce(k2.clone(), a.clone());
        assert_eq!(rib.sets.iter().filter(|e| e.0.is_some()).count(), 1);
        rib.announce(k1.clone(), b.clone());
        rib.withdraw(k2.clone());
        // `a` has no route left: its slot is free, `b` holds one.
        assert_eq!(rib.sets.iter().filter(|e| e.0.is_some()).count(), 1);
        assert_eq!(rib.slot_of.len(), 1);
        // The arrival counter wraps by renumbering, keeping the order.
        rib.next = u32::MAX;
        rib.announce(k2.clone(), a.clone());
        let k3 = RouteKey::parse_prefix("10.0.3.0/24").unwrap();
        rib.announce(k3.clone(), a.clone());
        assert_eq!(rib.routes(), vec![(k1, b), (k2, a.clone()), (k3, a)]);
        assert!(rib.next < 10);
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

#[cfg(test)]
mod layout {
    use super::*;

    /// The per-route cost of the Adj-RIB-Out: a 24-byte slot and a flag byte, a 4-byte index
    /// bucket, and a 4-byte queue entry (the slot's index) while the table is being sent.
    #[test]
    fn compact_sizes() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
        assert_eq!(std::mem::size_of::<Ck>(), 16);
        eprintln!(
            "RouteKey {} Nlri {} Queued {} RouteSpec {}",
            std::mem::size_of::<RouteKey>(),
            std::mem::size_of::<Nlri>(),
            std::mem::size_of::<Queued>(),
            std::mem::size_of::<RouteSpec>()
        );
    }

    fn attrs(i: &mut Interner, lp: u32) -> Attrs {
        i.intern(RouteAttrs {
            path: PathAttributes {
                local_pref: Some(lp),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn v4(n: u32) -> RouteKey {
        RouteKey::prefix(
            std::net::Ipv4Addr::from(0x0a00_0000 + (n << 8)).into(),
            24,
            None,
        )
    }

    #[test]
    fn route_keys_pack_split_runs() {
        let mut keys: Vec<RouteKey> = (0..1000).map(v4).collect();
        keys.push(RouteKey::parse_prefix("2001:db8::/32").unwrap());
        keys.push(v4(5000));
        keys.push(RouteKey::parse_prefix("10.0.0.0/24").unwrap());
        // Host bits set: kept as written, its own run.
        keys.push(RouteKey::new(
            Family::IPV4_UNICAST,
            Nlri::Prefix {
                prefix: "10.0.1.1/24".parse().unwrap(),
                path_id: None,
            },
        ));
        keys.push(RouteKey::parse_prefix("255.255.255.0/24").unwrap());
        keys.push(RouteKey::parse_prefix("0.0.0.0/0").unwrap());
        keys.push(RouteKey::parse_prefix("0.0.0.0/0").unwrap());
        let packed: RouteKeys = keys.clone().into();
        assert_eq!(packed.len(), keys.len());
        assert_eq!(packed.runs.len(), 8);
        assert_eq!(packed.iter().collect::<Vec<_>>(), keys);
        assert_eq!((&packed).into_iter().count(), keys.len());
        assert!(RouteKeys::new().is_empty());
    }

    #[test]
    fn route_map() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let mut m = RouteMap::new();
        let v6 = RouteKey::parse_prefix("2001:db8::/32").unwrap();
        assert!(m.insert(v4(1), a.clone()).is_none());
        assert!(m.insert(v6.clone(), a.clone()).is_none());
        assert_eq!(m.insert(v4(1), b.clone()), Some(a.clone()));
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&v4(1)), Some(&b));
        assert_eq!(m.get(&v6), Some(&a));
        assert!(!m.contains_key(&v4(2)));
        let keys: Vec<_> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.len(), 2);
        assert!(keys.contains(&v4(1)) && keys.contains(&v6));
        // Ascending prefixes with one attribute set are one run; a prefix inside it with other
        // attributes, a repeat, or one out of order go beside it.
        let mut m = RouteMap::new();
        for n in 0..1000 {
            assert!(m.insert(v4(n), a.clone()).is_none());
        }
        assert_eq!(m.runs.len(), 1);
        assert_eq!(m.insert(v4(10), a.clone()), Some(a.clone()));
        assert_eq!(m.insert(v4(10), b.clone()), Some(a.clone()));
        assert_eq!(m.insert(v4(10), b.clone()), Some(b.clone()));
        assert!(m.insert(v4(2000), b.clone()).is_none());
        assert!(m.insert(v4(1500), a.clone()).is_none()); // before the last run: others
        assert!(m
            .insert(RouteKey::parse_prefix("10.0.0.0/16").unwrap(), a.clone())
            .is_none());
        assert!(m.insert(v6.clone(), a.clone()).is_none());
        assert_eq!(m.len(), 1004);
        assert_eq!(m.get(&v4(10)), Some(&b));
        assert_eq!(m.get(&v4(11)), Some(&a));
        assert_eq!(m.get(&v4(1500)), Some(&a));
        assert_eq!(m.get(&v4(2000)), Some(&b));
        assert_eq!(m.get(&v4(1000)), None);
        assert_eq!(m.get(&v4(1999)), None);
        let all: Vec<_> = m.iter().collect();
        assert_eq!(all.len(), 1004);
        assert!(all.contains(&(v4(10), &b)));
        let mut seen = std::collections::HashSet::new();
        assert!(all.iter().all(|(k, _)| seen.insert(k.clone())));
    }

    #[test]
    fn keys_round_trip_and_other_families_are_kept_whole() {
        for k in [
            v4(7),
            RouteKey::prefix("10.0.0.0".parse().unwrap(), 0, None),
            RouteKey::prefix("10.0.0.1".parse().unwrap(), 32, Some(3)),
            RouteKey::parse_prefix("2001:db8::/32").unwrap(),
        ] {
            assert_eq!(Ck::of(k.clone()).key(), k);
        }
        assert!(matches!(Ck::of(v4(1)), Ck::V4(..)));
        let with_id = RouteKey::prefix("10.0.0.0".parse().unwrap(), 24, Some(1));
        assert!(matches!(Ck::of(with_id), Ck::Other(_)));
    }

    #[test]
    fn shadowed_routes_and_compaction_keep_the_order() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let mut rib = AdjRibOut::default();
        for n in 0..10_000 {
            rib.announce(v4(n), a.clone());
        }
        // Replaced while down: the old one stays in its place, the new one goes last.
        rib.announce(v4(0), b.clone());
        // Withdrawn while down: enough dead slots to compact.
        for n in 1..9_000 {
            rib.withdraw(v4(n));
        }
        assert_eq!(rib.len(), 1001);
        assert!(rib.slots.len() < 10_000, "compacted");
        rib.session_up(&[Family::IPV4_UNICAST]);
        assert_eq!(rib.pop(), Some((Queued::Route(v4(0)), Some(a.clone()))));
        for n in 9_000..10_000 {
            assert_eq!(rib.pop(), Some((Queued::Route(v4(n)), Some(a.clone()))));
        }
        assert_eq!(rib.pop(), Some((Queued::Route(v4(0)), Some(b.clone()))));
        assert_eq!(rib.pop().unwrap().0, Queued::EndOfRib(Family::IPV4_UNICAST));
        assert_eq!(rib.pop(), None);
        assert_eq!(rib.get(&v4(0)), Some(&b));
        assert_eq!(rib.routes().len(), 1001);
    }

    #[test]
    fn withdraw_then_announce_before_sending_keeps_the_queue_place() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let mut rib = AdjRibOut::default();
        rib.session_up(&[]);
        rib.announce(v4(1), a.clone());
        rib.announce(v4(2), a.clone());
        rib.withdraw(v4(1));
        rib.announce(v4(1), b.clone());
        assert_eq!(rib.queued(), 2);
        assert_eq!(rib.peek(), Some(&Queued::Route(v4(1))));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(1)), Some(b.clone()))));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(2)), Some(a.clone()))));
        // Re-announcing what was sent sends nothing; a withdraw of it does.
        rib.announce(v4(2), a.clone());
        assert!(!rib.has_work());
        rib.withdraw(v4(2));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(2)), None)));
        // Insertion order: 1 was re-announced after 2.
        let order: Vec<_> = rib.routes().into_iter().map(|(k, _)| k).collect();
        assert_eq!(order, vec![v4(1)]);
    }

    #[test]
    fn withdraws_while_the_table_is_queued_take_the_routes_places() {
        // The queue holds slot indices; routes withdrawn after the table was queued die, and
        // their entries (kept through compaction) send the withdraws in the routes' places.
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let mut rib = AdjRibOut::default();
        for n in 0..10_000 {
            rib.announce(v4(n), a.clone());
        }
        rib.session_up(&[Family::IPV4_UNICAST]);
        assert_eq!(rib.pop(), Some((Queued::Route(v4(0)), Some(a.clone()))));
        for n in 0..9_000 {
            rib.withdraw(v4(n));
        }
        // Never announced: a withdraw all the same, once, at the end.
        rib.withdraw(v4(20_000));
        rib.withdraw(v4(20_000));
        // Withdrawn, then announced again before the withdraw went: sent in its place.
        rib.announce(v4(5), b.clone());
        assert_eq!(rib.len(), 1001);
        // 0 was sent: its withdraw is queued at the end.
        for n in 1..9_000 {
            let want = if n == 5 { Some(b.clone()) } else { None };
            assert_eq!(rib.pop(), Some((Queued::Route(v4(n)), want)), "{n}");
        }
        for n in 9_000..10_000 {
            assert_eq!(rib.pop(), Some((Queued::Route(v4(n)), Some(a.clone()))));
        }
        assert_eq!(rib.pop().unwrap().0, Queued::EndOfRib(Family::IPV4_UNICAST));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(0)), None)));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(20_000)), None)));
        assert_eq!(rib.pop(), None);
        // Nothing queued refers to the dead slots any more: the next compaction takes them.
        rib.withdraw(v4(9_999));
        assert!(rib.slots.len() < 2_000, "{} slots", rib.slots.len());
        assert_eq!(rib.pop(), Some((Queued::Route(v4(9_999)), None)));
        assert_eq!(rib.routes().len(), 1000);
    }

    #[test]
    fn cleared_routes_announced_again_are_sent_once() {
        let mut i = Interner::default();
        let (a, b) = (attrs(&mut i, 1), attrs(&mut i, 2));
        let mut rib = AdjRibOut::default();
        rib.session_up(&[]);
        rib.announce(v4(1), a.clone());
        rib.announce(v4(2), a.clone());
        // Dropped without a withdraw (never sent), then announced again: sent at the first
        // entry of that NLRI, not twice.
        rib.clear();
        rib.announce(v4(2), b.clone());
        assert_eq!(rib.peek(), Some(&Queued::Route(v4(2))));
        assert_eq!(rib.pop(), Some((Queued::Route(v4(2)), Some(b.clone()))));
        assert_eq!(rib.pop(), None);
        assert_eq!(rib.routes(), vec![(v4(2), b)]);
    }
}
