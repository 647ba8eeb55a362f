//! UPDATE messages (RFC 4271 §4.3): a view validated once, keeping the offsets it found, with
//! RFC 7606 revised error handling; and the conversion to the owned model.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use crate::error::{msg_type, Action, Error, ErrorKind};
use crate::extcommunity::{ExtendedCommunity, Ipv6ExtendedCommunity};
use crate::model::{
    attr_code as code, attr_flag, Afi, Aggregator, AsPath, AsSegment, Family, Nlri, Origin,
    PathAttributes, RawAttribute, Safi, SegmentType, SessionContext, AS_TRANS,
};
use crate::nlri::{validate_prefixes, NlriIter, NlriLayout};

const HEADER: usize = 19;
/// The attribute codes whose offsets the view keeps (others are found by iteration). Kept
/// small so the view stays small: it is moved by value through the decode path.
const TRACKED_CODES: [u8; 19] = [
    code::ORIGIN,
    code::AS_PATH,
    code::NEXT_HOP,
    code::MED,
    code::LOCAL_PREF,
    code::ATOMIC_AGGREGATE,
    code::AGGREGATOR,
    code::COMMUNITIES,
    code::ORIGINATOR_ID,
    code::CLUSTER_LIST,
    code::MP_REACH_NLRI,
    code::MP_UNREACH_NLRI,
    code::EXTENDED_COMMUNITIES,
    code::AS4_PATH,
    code::AS4_AGGREGATOR,
    code::IPV6_EXTENDED_COMMUNITIES,
    code::AIGP,
    code::LARGE_COMMUNITIES,
    code::OTC,
];
const TRACKED: usize = TRACKED_CODES.len();

/// Attribute code → index in `UpdateView::at` (1..=TRACKED; 0: not tracked, whose entry
/// is scratch space the validation loop writes to instead of branching).
const SLOT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < TRACKED {
        t[TRACKED_CODES[i] as usize] = i as u8 + 1;
        i += 1;
    }
    t
};

#[inline]
fn slot(c: u8) -> Option<usize> {
    match SLOT[c as usize] {
        0 => None,
        s => Some(s as usize),
    }
}

/// What the validation loop checks of one attribute code, looked up once per attribute
/// (one table load instead of a match per check on the hot path).
#[derive(Clone, Copy)]
struct Rule {
    /// Expected (optional, transitive) flag bits, or [`ANY_FLAGS`] for unchecked codes.
    flags: u8,
    /// What the value needs beyond its length: a `KIND_*`.
    kind: u8,
    /// Index in `UpdateView::at` ([`SLOT`]).
    slot: u8,
    /// RFC 7606 §7.5, §7.9, §7.10: discarded when an external peer sends it.
    internal_only: bool,
    /// The lengths the fast check accepts: `len & mask == 0` and `min <= len <= max`.
    /// Anything else goes to [`check_value`] (or `check_mp`), which says what is wrong, if
    /// anything.
    mask: u8,
    min: u8,
    max: u16,
}

const ANY_FLAGS: u8 = 0xff;
/// The length check is the whole check.
const KIND_FAST: u8 = 0;
/// ORIGIN: also a value of 0, 1 or 2.
const KIND_ORIGIN: u8 = 1;
/// AS_PATH: also the segments (with the session's ASN width).
const KIND_AS_PATH: u8 = 2;
/// No fast check: [`check_value`] decides, and MP_REACH/MP_UNREACH go to `check_mp`.
const KIND_FULL: u8 = 3;

const RULES: [Rule; 256] = {
    const O: u8 = attr_flag::OPTIONAL;
    const T: u8 = attr_flag::TRANSITIVE;
    const ANY_LEN: u16 = u16::MAX;
    let any = Rule {
        flags: ANY_FLAGS,
        kind: KIND_FAST,
        slot: 0,
        internal_only: false,
        mask: 0,
        min: 0,
        max: ANY_LEN,
    };
    let mut t = [any; 256];
    // Exactly `len` octets.
    const fn len(flags: u8, len: u8) -> Rule {
        Rule {
            flags,
            kind: KIND_FAST,
            slot: 0,
            internal_only: false,
            mask: 0,
            min: len,
            max: len as u16,
        }
    }
    // A non-empty multiple of `n` octets (a power of two).
    const fn mul(flags: u8, n: u8) -> Rule {
        Rule {
            mask: n - 1,
            min: n,
            max: ANY_LEN,
            ..len(flags, 0)
        }
    }
    const fn full(flags: u8) -> Rule {
        Rule {
            kind: KIND_FULL,
            ..len(flags, 0)
        }
    }
    t[code::ORIGIN as usize] = Rule {
        kind: KIND_ORIGIN,
        ..len(T, 1)
    };
    t[code::AS_PATH as usize] = Rule {
        kind: KIND_AS_PATH,
        max: ANY_LEN,
        ..len(T, 0)
    };
    // NEXT_HOP's length is checked here; its address (external peers) in the loop.
    t[code::NEXT_HOP as usize] = len(T, 4);
    t[code::MED as usize] = len(O, 4);
    t[code::LOCAL_PREF as usize] = Rule {
        internal_only: true,
        ..len(T, 4)
    };
    t[code::ATOMIC_AGGREGATE as usize] = len(T, 0);
    t[code::AGGREGATOR as usize] = full(O | T);
    t[code::COMMUNITIES as usize] = mul(O | T, 4);
    t[code::ORIGINATOR_ID as usize] = Rule {
        internal_only: true,
        ..len(O, 4)
    };
    t[code::CLUSTER_LIST as usize] = Rule {
        internal_only: true,
        ..mul(O, 4)
    };
    t[code::MP_REACH_NLRI as usize] = full(O);
    t[code::MP_UNREACH_NLRI as usize] = full(O);
    t[code::EXTENDED_COMMUNITIES as usize] = mul(O | T, 8);
    t[code::AS4_PATH as usize] = full(O | T);
    t[code::AS4_AGGREGATOR as usize] = len(O | T, 8);
    t[code::IPV6_EXTENDED_COMMUNITIES as usize] = full(O | T);
    t[code::AIGP as usize] = full(O);
    t[code::LARGE_COMMUNITIES as usize] = full(O | T);
    t[code::OTC as usize] = len(O | T, 4);
    let mut c = 0;
    while c < 256 {
        t[c].slot = SLOT[c];
        c += 1;
    }
    t
};

/// What the fast validation loop ([`scan_fast`]) does with a code below 64, in one of the
/// three session modes ([`FAST_INTERNAL`], [`FAST_EXTERNAL`], [`FAST_EXTERNAL_NLRI`]): the
/// [`Rule`] with what depends on the session folded in, so the loop tests nothing else.
#[derive(Clone, Copy)]
struct FastRule {
    /// The flag bits checked (OPTIONAL | TRANSITIVE, or none) and their expected value.
    fmask: u8,
    flags: u8,
    /// What else the value needs (`MORE_*` bits; 0: nothing).
    more: u8,
    slot: u8,
    mask: u8,
    min: u8,
    max: u16,
}

/// ORIGIN: a value of 0, 1 or 2.
const MORE_ORIGIN: u8 = 1;
/// AS_PATH: valid segments.
const MORE_AS_PATH: u8 = 2;
/// NEXT_HOP from an external peer with NLRI: a unicast host address.
const MORE_NEXT_HOP: u8 = 4;
/// Not for the fast loop: [`scan_slow`] handles it.
const MORE_STOP: u8 = 8;

/// An internal peer.
const FAST_INTERNAL: usize = 0;
/// An external peer, and no NLRI field.
const FAST_EXTERNAL: usize = 1;
/// An external peer, and an NLRI field (NEXT_HOP's address matters, RFC 4271 §6.3).
const FAST_EXTERNAL_NLRI: usize = 2;

const FAST_RULES: [[FastRule; 64]; 3] = {
    let stop = FastRule {
        fmask: 0,
        flags: 0,
        more: MORE_STOP,
        slot: 0,
        mask: 0,
        min: 0,
        max: 0,
    };
    let mut t = [[stop; 64]; 3];
    let mut mode = 0;
    while mode < 3 {
        let mut c = 0;
        while c < 64 {
            let r = RULES[c];
            let checked = r.flags != ANY_FLAGS;
            let more = if r.kind == KIND_FULL || (mode != FAST_INTERNAL && r.internal_only) {
                MORE_STOP
            } else if mode == FAST_EXTERNAL_NLRI && c == code::NEXT_HOP as usize {
                MORE_NEXT_HOP
            } else if r.kind == KIND_ORIGIN {
                MORE_ORIGIN
            } else if r.kind == KIND_AS_PATH {
                MORE_AS_PATH
            } else {
                0
            };
            t[mode][c] = FastRule {
                fmask: if checked {
                    attr_flag::OPTIONAL | attr_flag::TRANSITIVE
                } else {
                    0
                },
                flags: if checked { r.flags } else { 0 },
                more,
                slot: r.slot,
                mask: r.mask,
                min: r.min,
                max: r.max,
            };
            c += 1;
        }
        mode += 1;
    }
    t
};

/// A validated UPDATE, borrowing nothing: it owns (a reference-counted slice of) the
/// message, and iterators borrow from it.
#[derive(Debug, Clone)]
pub struct UpdateView {
    msg: Bytes,
    /// End of the withdrawn routes field (which starts at 21) and start of the attribute
    /// field (2 octets later, after its length).
    w1: u16,
    /// End of the attribute field and start of the NLRI field (which ends the message).
    a1: u16,
    /// Offset of each tracked attribute's header in `msg` (0 = absent or discarded), by
    /// [`slot`] (entry 0 is scratch).
    at: [u16; TRACKED + 1],
    asn4: bool,
    v4_add_path: bool,
    reach_add_path: bool,
    unreach_add_path: bool,
    treat_as_withdraw: bool,
    problems: Vec<Error>,
}

/// One path attribute as it appears in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeView<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
    /// Offset of the attribute's flags octet from the start of the message.
    pub offset: usize,
}

/// Iterates the path attributes of an UPDATE (validated framing).
#[derive(Debug, Clone)]
pub struct AttributeIter<'a> {
    data: &'a [u8],
    base: usize,
    pos: usize,
}

impl<'a> AttributeIter<'a> {
    pub fn new(data: &'a [u8], base: usize) -> AttributeIter<'a> {
        AttributeIter { data, base, pos: 0 }
    }
}

/// Split one attribute off `d`; `None` if the header or the value does not fit.
#[inline(always)]
fn split_attribute(d: &[u8]) -> Option<(u8, u8, usize, usize)> {
    let flags = *d.first()?;
    let code = *d.get(1)?;
    let (hl, len) = if flags & attr_flag::EXTENDED_LENGTH != 0 {
        (4, u16::from_be_bytes([*d.get(2)?, *d.get(3)?]) as usize)
    } else {
        (3, *d.get(2)? as usize)
    };
    if d.len() < hl + len {
        return None;
    }
    Some((flags, code, hl, len))
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = AttributeView<'a>;
    fn next(&mut self) -> Option<AttributeView<'a>> {
        let d = self.data.get(self.pos..)?;
        let (flags, code, hl, len) = split_attribute(d)?;
        let a = AttributeView {
            flags,
            code,
            value: &d[hl..hl + len],
            offset: self.base + self.pos,
        };
        self.pos += hl + len;
        Some(a)
    }
}

/// MP_REACH_NLRI (RFC 4760 §3) view.
#[derive(Debug, Clone)]
pub struct MpReach<'a> {
    pub family: Family,
    /// The next hop field as on the wire (RD included for VPN families).
    pub next_hop_bytes: &'a [u8],
    pub nlri: NlriIter<'a>,
}

impl MpReach<'_> {
    /// The global next hop and the RFC 2545 link-local one.
    #[inline]
    pub fn next_hop(&self) -> (Option<IpAddr>, Option<Ipv6Addr>) {
        parse_next_hop(self.next_hop_bytes)
    }
}

/// MP_UNREACH_NLRI (RFC 4760 §4) view.
#[derive(Debug, Clone)]
pub struct MpUnreach<'a> {
    pub family: Family,
    pub nlri: NlriIter<'a>,
}

fn parse_next_hop(nh: &[u8]) -> (Option<IpAddr>, Option<Ipv6Addr>) {
    let v4 = |b: &[u8]| IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    let v6 = |b: &[u8]| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        Ipv6Addr::from(a)
    };
    match nh.len() {
        4 => (Some(v4(nh)), None),
        12 => (Some(v4(&nh[8..])), None),
        16 => (Some(IpAddr::V6(v6(nh))), None),
        24 => (Some(IpAddr::V6(v6(&nh[8..]))), None),
        32 => (Some(IpAddr::V6(v6(nh))), Some(v6(&nh[16..]))),
        48 => (Some(IpAddr::V6(v6(&nh[8..]))), Some(v6(&nh[32..]))),
        _ => (None, None),
    }
}

/// A next hop that can be a unicast host (RFC 4271 §6.3 "valid IP host address"): not
/// unspecified, loopback, multicast, 0/8 or 240/4 (broadcast included) for IPv4; not
/// unspecified, loopback or multicast for IPv6.
pub fn unicast_host(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => {
            let o = a.octets()[0];
            o != 0 && o != 127 && o < 224
        }
        IpAddr::V6(a) => !(a.is_unspecified() || a.is_loopback() || a.is_multicast()),
    }
}

/// RFC 7606 §7 (and RFC 6793 §6, RFC 8092 §6, RFC 9234 §5): what to do when this
/// attribute is malformed.
fn malformed_action(c: u8) -> Action {
    match c {
        code::ATOMIC_AGGREGATE | code::AGGREGATOR | code::AS4_PATH | code::AS4_AGGREGATOR => {
            Action::AttributeDiscard
        }
        code::MP_REACH_NLRI | code::MP_UNREACH_NLRI => Action::SessionReset,
        code::ORIGIN
        | code::AS_PATH
        | code::NEXT_HOP
        | code::MED
        | code::LOCAL_PREF
        | code::COMMUNITIES
        | code::ORIGINATOR_ID
        | code::CLUSTER_LIST
        | code::EXTENDED_COMMUNITIES
        | code::IPV6_EXTENDED_COMMUNITIES
        | code::AIGP
        | code::LARGE_COMMUNITIES
        | code::OTC => Action::TreatAsWithdraw,
        // Unknown optional attributes are passed on, not checked.
        _ => Action::AttributeDiscard,
    }
}

/// Validate an AS_PATH / AS4_PATH value (RFC 4271 §6.3, RFC 7606 §7.2).
#[inline]
fn valid_as_path(v: &[u8], asn_len: usize) -> bool {
    let mut d = v;
    while !d.is_empty() {
        if d.len() < 2 {
            return false;
        }
        if SegmentType::from_u8(d[0]).is_none() || d[1] == 0 {
            return false;
        }
        let n = 2 + d[1] as usize * asn_len;
        if d.len() < n {
            return false;
        }
        d = &d[n..];
    }
    true
}

/// Check one attribute's value; `Some(kind)` when malformed.
fn check_value(c: u8, v: &[u8], asn4: bool) -> Option<ErrorKind> {
    use ErrorKind::*;
    let asn_len = if asn4 { 4 } else { 2 };
    let bad = match c {
        code::ORIGIN => {
            if v.len() != 1 {
                return Some(AttributeLength);
            }
            if v[0] > 2 {
                return Some(InvalidOrigin(v[0]));
            }
            false
        }
        code::AS_PATH => {
            if !valid_as_path(v, asn_len) {
                return Some(MalformedAsPath);
            }
            false
        }
        code::AS4_PATH => {
            if !valid_as_path(v, 4) {
                return Some(MalformedAsPath);
            }
            false
        }
        code::NEXT_HOP => v.len() != 4,
        code::MED | code::LOCAL_PREF | code::ORIGINATOR_ID | code::OTC => v.len() != 4,
        code::ATOMIC_AGGREGATE => !v.is_empty(),
        code::AGGREGATOR => v.len() != asn_len + 4,
        code::AS4_AGGREGATOR => v.len() != 8,
        code::COMMUNITIES | code::CLUSTER_LIST => v.is_empty() || v.len() % 4 != 0,
        code::EXTENDED_COMMUNITIES => v.is_empty() || v.len() % 8 != 0,
        code::IPV6_EXTENDED_COMMUNITIES => v.is_empty() || v.len() % 20 != 0,
        code::LARGE_COMMUNITIES => v.is_empty() || v.len() % 12 != 0,
        code::AIGP => !valid_aigp(v),
        _ => false,
    };
    bad.then_some(match c {
        code::NEXT_HOP => InvalidNextHop,
        // RFC 4271 §6.3: a recognized optional attribute with a bad value.
        code::AIGP => OptionalAttribute,
        _ => AttributeLength,
    })
}

/// RFC 7311 §3: TLVs of type, 2-octet length (including the 3-octet header), value; the
/// AIGP TLV (type 1) has an 8-octet value.
fn valid_aigp(v: &[u8]) -> bool {
    let mut d = v;
    while !d.is_empty() {
        if d.len() < 3 {
            return false;
        }
        let len = u16::from_be_bytes([d[1], d[2]]) as usize;
        if len < 3 || len > d.len() || (d[0] == 1 && len != 11) {
            return false;
        }
        d = &d[len..];
    }
    true
}

fn mp_family(v: &[u8]) -> Option<Family> {
    Some(Family::new(
        Afi(u16::from_be_bytes([*v.first()?, *v.get(1)?])),
        Safi(*v.get(2)?),
    ))
}

/// What the validation loop finds besides the offsets of the fields: kept apart from the
/// view so the loop borrows the message while it fills them.
#[derive(Default)]
struct Scan {
    at: [u16; TRACKED + 1],
    reach_add_path: bool,
    unreach_add_path: bool,
    treat_as_withdraw: bool,
    problems: Vec<Error>,
}

impl Scan {
    #[inline]
    fn at_code(&self, c: u8) -> u16 {
        slot(c).map_or(0, |i| self.at[i])
    }

    fn discarded_by_problem(&self, c: u8) -> bool {
        self.problems.iter().any(|p| p.attr == c)
    }

    fn flag(&mut self, err: Error) {
        if err.action == Action::TreatAsWithdraw {
            self.treat_as_withdraw = true;
        }
        self.problems.push(err);
    }

    /// RFC 7606 §3.g: a second MP_REACH/MP_UNREACH is a session reset, other duplicates
    /// are discarded.
    #[cold]
    #[inline(never)]
    fn duplicate(&mut self, c: u8, off: usize) -> Result<(), Error> {
        if c == code::MP_REACH_NLRI || c == code::MP_UNREACH_NLRI {
            let mut err = Error::attr(
                ErrorKind::MalformedAttributeList,
                c,
                off,
                Action::SessionReset,
            );
            err.msg_type = msg_type::UPDATE;
            return Err(err);
        }
        self.flag(Error::attr(
            ErrorKind::MalformedAttributeList,
            c,
            off,
            Action::AttributeDiscard,
        ));
        Ok(())
    }

    /// Flags that do not match the code's (RFC 4271 §6.3, RFC 7606 §3.c).
    #[cold]
    #[inline(never)]
    fn bad_flags(&mut self, c: u8, off: usize) -> Result<(), Error> {
        let action = malformed_action(c);
        let err = Error::attr(ErrorKind::AttributeFlags, c, off, action);
        if action == Action::SessionReset {
            return Err(err);
        }
        self.flag(err);
        Ok(())
    }

    /// The full value check of an attribute the fast check did not accept: `Ok(true)` when
    /// it is valid after all, `Ok(false)` when it was flagged.
    #[cold]
    #[inline(never)]
    fn check_full(
        &mut self,
        c: u8,
        off: usize,
        voff: usize,
        value: &[u8],
        ctx: &SessionContext,
    ) -> Result<bool, Error> {
        if c == code::MP_REACH_NLRI || c == code::MP_UNREACH_NLRI {
            self.check_mp(c, off, voff, value, ctx)?;
        } else if let Some(kind) = check_value(c, value, ctx.asn4) {
            let action = malformed_action(c);
            self.flag(Error::attr(kind, c, off, action));
            return Ok(false);
        }
        Ok(true)
    }

    fn check_mp(
        &mut self,
        c: u8,
        off: usize,
        voff: usize,
        v: &[u8],
        ctx: &SessionContext,
    ) -> Result<(), Error> {
        let bad = |at: usize, action| Err(Error::attr(ErrorKind::MalformedMpNlri, c, at, action));
        let Some(family) = mp_family(v) else {
            return bad(off, Action::SessionReset);
        };
        let add_path = ctx.receives_path_id(family);
        let layout = NlriLayout::of(family);
        if c == code::MP_REACH_NLRI {
            // RFC 4760 §3: AFI, SAFI, next hop length, next hop, reserved, NLRI.
            let Some(&nhl) = v.get(3) else {
                return bad(off, Action::SessionReset);
            };
            let nhl = nhl as usize;
            if v.len() < 5 + nhl {
                return bad(off, Action::SessionReset);
            }
            // RFC 7606 §7.11: a next hop length that fits no known form.
            if !matches!(nhl, 0 | 4 | 12 | 16 | 24 | 32 | 48) {
                return bad(voff + 3, Action::AfiSafiDisable);
            }
            let ip_family = matches!(family.afi, Afi::IPV4 | Afi::IPV6)
                && matches!(
                    family.safi,
                    Safi::UNICAST | Safi::MULTICAST | Safi::MPLS_LABEL | Safi::MPLS_VPN
                );
            // RFC 8950 §3-4: an IPv6 next hop for IPv4 NLRI only once the extended next hop
            // capability was negotiated for the family; otherwise the length is
            // inconsistent with the AFI/SAFI (RFC 7606 §7.11).
            if ip_family
                && family.afi == Afi::IPV4
                && matches!(nhl, 16 | 24 | 32 | 48)
                && !ctx.extended_next_hop_allowed(family, Afi::IPV6)
            {
                return bad(voff + 3, Action::AfiSafiDisable);
            }
            // RFC 4271 §6.3 (RFC 4760 §7): a global next hop that is no unicast host
            // address, from an external peer: treat-as-withdraw.
            if ip_family && ctx.external {
                if let (Some(nh), _) = parse_next_hop(&v[4..4 + nhl]) {
                    if !unicast_host(nh) {
                        self.flag(Error::attr(
                            ErrorKind::InvalidNextHop,
                            c,
                            off,
                            Action::TreatAsWithdraw,
                        ));
                    }
                }
            }
            if let Err(ne) = NlriIter::new(&v[5 + nhl..], layout, add_path, false) {
                return bad(voff + 5 + nhl + ne.offset, Action::AfiSafiDisable);
            }
            self.reach_add_path = add_path;
        } else {
            if let Err(ne) = NlriIter::new(&v[3..], layout, add_path, true) {
                return bad(voff + 3 + ne.offset, Action::AfiSafiDisable);
            }
            self.unreach_add_path = add_path;
        }
        Ok(())
    }
}

/// Validate the path attributes `b[a0..a1]` (RFC 4271 §6.3, RFC 7606), recording where the
/// tracked ones are. `Err` is a session reset (or AFI/SAFI disable).
#[inline(always)]
fn scan_attributes(b: &[u8], a0: usize, a1: usize, ctx: &SessionContext) -> Result<Scan, Error> {
    let mut scan = Scan::default();
    // RFC 4271 §6.3: NEXT_HOP's address matters when an external peer announces routes.
    let check_next_hop = ctx.external && a1 < b.len();
    let mode = match (ctx.external, check_next_hop) {
        (false, _) => FAST_INTERNAL,
        (true, false) => FAST_EXTERNAL,
        (true, true) => FAST_EXTERNAL_NLRI,
    };
    let (pos, seen_lo) = scan_fast(&b[..a1], a0, ctx.asn4, mode, &mut scan.at);
    if pos < a1 {
        scan_slow(b, pos, a1, ctx, check_next_hop, &mut scan, seen_lo)?;
    }
    check_missing(&mut scan, b, a0, a1);
    Ok(scan)
}

/// RFC 7606 §3.d: a missing well-known attribute when there is NLRI to announce.
#[inline(always)]
fn check_missing(scan: &mut Scan, b: &[u8], a0: usize, a1: usize) {
    let has_nlri = a1 < b.len() || scan.at_code(code::MP_REACH_NLRI) != 0;
    if has_nlri {
        for c in [code::ORIGIN, code::AS_PATH] {
            if scan.at_code(c) == 0 && !scan.discarded_by_problem(c) {
                scan.flag(Error::attr(
                    ErrorKind::MissingWellKnownAttribute(c),
                    c,
                    a0,
                    Action::TreatAsWithdraw,
                ));
            }
        }
        if a1 < b.len()
            && scan.at_code(code::NEXT_HOP) == 0
            && !scan.discarded_by_problem(code::NEXT_HOP)
        {
            scan.flag(Error::attr(
                ErrorKind::MissingWellKnownAttribute(code::NEXT_HOP),
                code::NEXT_HOP,
                a0,
                Action::TreatAsWithdraw,
            ));
        }
    }
}

/// The common case of [`scan_attributes`], with no call and no allocation: attributes of
/// codes below 64, first seen, with the flags of their code, valid by the fast check of
/// their [`Rule`], not to be discarded. Stops at the end of `field` (the message up to the
/// end of the attribute field) or before the first attribute that needs more, with nothing
/// of it recorded, and returns where it stopped (and the codes seen): [`scan_slow`] takes
/// over there. Not inlined: alone, its loop keeps everything in registers.
#[inline(never)]
fn scan_fast(
    field: &[u8],
    mut pos: usize,
    asn4: bool,
    mode: usize,
    at: &mut [u16; TRACKED + 1],
) -> (usize, u64) {
    let asn_len = if asn4 { 4 } else { 2 };
    let rules = &FAST_RULES[mode.min(2)];
    let mut seen_lo = 0u64;
    while pos < field.len() {
        let Some((flags, c, hl, len)) = split_attribute(&field[pos..]) else {
            break;
        };
        if c >= 64 || seen_lo & (1u64 << c) != 0 {
            break;
        }
        let rule = rules[c as usize];
        let l = len as u32;
        if flags & rule.fmask != rule.flags
            || l & rule.mask as u32 != 0
            || l < rule.min as u32
            || l > rule.max as u32
        {
            break;
        }
        let value = &field[pos + hl..pos + hl + len];
        // Bit tests, not a match: one predictable branch for the plain codes.
        if rule.more != 0 {
            let ok = if rule.more & MORE_ORIGIN != 0 {
                value.first().is_some_and(|&o| o <= 2)
            } else if rule.more & MORE_AS_PATH != 0 {
                valid_as_path(value, asn_len)
            } else if rule.more & MORE_NEXT_HOP != 0 {
                // RFC 4271 §6.3, RFC 7606 §7.3: a unicast host address (the slow loop
                // flags any other).
                value
                    .first_chunk::<4>()
                    .is_some_and(|a| unicast_host(IpAddr::V4(Ipv4Addr::from(*a))))
            } else {
                false
            };
            if !ok {
                break;
            }
        }
        seen_lo |= 1u64 << c;
        // Untracked codes write the scratch entry 0.
        at[rule.slot as usize] = pos as u16;
        pos += hl + len;
    }
    (pos, seen_lo)
}

/// [`scan_attributes`] from `from` on, everything handled: duplicates, discards, codes of
/// 64 or more, the full value checks, the MP attributes.
#[inline(never)]
fn scan_slow(
    b: &[u8],
    from: usize,
    a1: usize,
    ctx: &SessionContext,
    check_next_hop: bool,
    scan: &mut Scan,
    mut seen_lo: u64,
) -> Result<(), Error> {
    let field = &b[..a1];
    let asn_len = if ctx.asn4 { 4 } else { 2 };
    let external = ctx.external;
    let mut seen_hi = [0u64; 3];
    let mut pos = from;
    while pos < a1 {
        let Some((flags, c, hl, len)) = split_attribute(&field[pos..]) else {
            // RFC 7606 §4: an attribute running past the attribute field. The NLRI
            // field is still located by the total length, so treat-as-withdraw works
            // unless an MP attribute may have been lost.
            let reach_seen =
                scan.at_code(code::MP_REACH_NLRI) != 0 || scan.at_code(code::MP_UNREACH_NLRI) != 0;
            if reach_seen || a1 < b.len() {
                scan.flag(Error::attr(
                    ErrorKind::MalformedAttributeList,
                    b.get(pos + 1).copied().unwrap_or(0),
                    pos,
                    Action::TreatAsWithdraw,
                ));
                break;
            }
            return Err(Error::new(
                ErrorKind::MalformedAttributeList,
                msg_type::UPDATE,
                pos,
            ));
        };
        let off = pos;
        let value = &field[pos + hl..pos + hl + len];
        pos += hl + len;

        // RFC 7606 §3.g: duplicates are discarded, except MP_REACH/MP_UNREACH.
        let dup = if c < 64 {
            let bit = 1u64 << c;
            let dup = seen_lo & bit != 0;
            seen_lo |= bit;
            dup
        } else {
            seen_high(&mut seen_hi, c)
        };
        if dup {
            scan.duplicate(c, off)?;
            continue;
        }

        let rule = RULES[c as usize];
        // RFC 7606 §7.5, §7.9, §7.10 (RFC 4271 §5.1.5, RFC 4456 §8): attributes that
        // stay inside an AS are discarded when an external peer sends them.
        if rule.internal_only && external {
            scan.flag(Error::attr(
                ErrorKind::NotFromExternalPeer,
                c,
                off,
                Action::AttributeDiscard,
            ));
            continue;
        }

        // An unknown code without the optional bit: RFC 4271 §6.3 would call it an
        // unrecognized well-known attribute, but no unknown code can be well-known, and
        // ExaBGP sends such generic attributes (conf-generic-attribute.ci) and accepts
        // them. Kept as an unknown attribute, as ExaBGP does.
        if rule.flags != ANY_FLAGS
            && flags & (attr_flag::OPTIONAL | attr_flag::TRANSITIVE) != rule.flags
        {
            scan.bad_flags(c, off)?;
            continue;
        }

        let l = len as u32;
        let fast_ok = l & rule.mask as u32 == 0
            && l >= rule.min as u32
            && l <= rule.max as u32
            && match rule.kind {
                KIND_FAST => true,
                KIND_ORIGIN => value.first().is_some_and(|&o| o <= 2),
                KIND_AS_PATH => valid_as_path(value, asn_len),
                _ => false,
            };
        if !fast_ok && !scan.check_full(c, off, off + hl, value, ctx)? {
            continue;
        }
        if c == code::NEXT_HOP
            && check_next_hop
            && value.len() == 4
            && !unicast_host(IpAddr::V4(Ipv4Addr::new(
                value[0], value[1], value[2], value[3],
            )))
        {
            // RFC 4271 §6.3, RFC 7606 §7.3: a semantically incorrect NEXT_HOP (no
            // unicast host address) from an external peer: the routes are withdrawn.
            scan.flag(Error::attr(
                ErrorKind::InvalidNextHop,
                c,
                off,
                Action::TreatAsWithdraw,
            ));
            continue;
        }
        // Untracked codes write the scratch entry 0.
        scan.at[rule.slot as usize] = off as u16;
    }
    Ok(())
}

/// RFC 7606 §3.g: has code `c` (64 or more) been seen already? Records it.
#[cold]
#[inline(never)]
fn seen_high(seen: &mut [u64; 3], c: u8) -> bool {
    let (w, bit) = ((c / 64) as usize - 1, 1u64 << (c % 64));
    let dup = seen[w] & bit != 0;
    seen[w] |= bit;
    dup
}

impl UpdateView {
    /// Validate an UPDATE. `msg` is the whole message, header included (as sliced out of the
    /// receive buffer by [`crate::frame`]). `Err` is a session reset (or AFI/SAFI disable);
    /// lesser problems are listed in [`UpdateView::problems`].
    pub fn parse(msg: Bytes, ctx: &SessionContext) -> Result<UpdateView, Error> {
        Self::parse_inline(msg, ctx)
    }

    /// [`UpdateView::parse`], inlined into [`crate::decode_message`] so the view is built
    /// where the caller's `Message` lives instead of being moved there.
    #[inline(always)]
    pub(crate) fn parse_inline(msg: Bytes, ctx: &SessionContext) -> Result<UpdateView, Error> {
        let e = |k, off| Error::new(k, msg_type::UPDATE, off);
        if msg.len() < HEADER + 4 || msg.len() > u16::MAX as usize {
            return Err(e(ErrorKind::BadMessageLength(msg.len() as u16), 16));
        }
        let b = &msg[..];
        let wl = u16::from_be_bytes([b[HEADER], b[HEADER + 1]]) as usize;
        let w0 = HEADER + 2;
        let w1 = w0 + wl;
        if w1 + 2 > b.len() {
            return Err(e(ErrorKind::MalformedAttributeList, HEADER));
        }
        let al = u16::from_be_bytes([b[w1], b[w1 + 1]]) as usize;
        let a0 = w1 + 2;
        let a1 = a0 + al;
        if a1 > b.len() {
            return Err(e(ErrorKind::MalformedAttributeList, w1));
        }
        let v4_add_path = ctx.receives_path_id(Family::IPV4_UNICAST);
        // RFC 7606 §5.3: a malformed withdrawn routes or NLRI field is a session reset.
        // (What `NlriIter::new` checks of IPv4 unicast, called directly to be inlined, with
        // the common case of no path ids known to the compiler.)
        let prefixes = |d: &[u8]| match v4_add_path {
            false => validate_prefixes(d, false, false),
            true => validate_prefixes(d, false, true),
        };
        if let Err(at) = prefixes(&b[w0..w1]) {
            return Err(e(ErrorKind::InvalidNetworkField, w0 + at));
        }
        if let Err(at) = prefixes(&b[a1..]) {
            return Err(e(ErrorKind::InvalidNetworkField, a1 + at));
        }
        let scan = scan_attributes(b, a0, a1, ctx)?;
        Ok(UpdateView {
            msg,
            w1: w1 as u16,
            a1: a1 as u16,
            at: scan.at,
            asn4: ctx.asn4,
            v4_add_path,
            reach_add_path: scan.reach_add_path,
            unreach_add_path: scan.unreach_add_path,
            treat_as_withdraw: scan.treat_as_withdraw,
            problems: scan.problems,
        })
    }

    /// The whole message, header included.
    pub fn as_bytes(&self) -> &Bytes {
        &self.msg
    }

    /// Attribute-level problems found (RFC 7606 treat-as-withdraw and attribute-discard).
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    /// RFC 7606 §2: every NLRI of this UPDATE must be handled as withdrawn.
    pub fn treat_as_withdraw(&self) -> bool {
        self.treat_as_withdraw
    }

    /// The fields, as validated.
    #[inline]
    fn range(&self, from: usize, to: usize) -> &[u8] {
        self.msg.get(from..to).unwrap_or_default()
    }

    #[inline]
    fn withdrawn_field(&self) -> &[u8] {
        self.range(HEADER + 2, self.w1 as usize)
    }

    #[inline]
    fn attribute_field(&self) -> &[u8] {
        self.range(self.w1 as usize + 2, self.a1 as usize)
    }

    #[inline]
    fn nlri_field(&self) -> &[u8] {
        self.range(self.a1 as usize, self.msg.len())
    }

    /// IPv4 unicast withdrawn routes (the classic field).
    pub fn withdrawn(&self) -> NlriIter<'_> {
        NlriIter::validated(
            self.withdrawn_field(),
            NlriLayout::Prefix { v6: false },
            self.v4_add_path,
            true,
        )
    }

    /// IPv4 unicast announced routes (the classic NLRI field).
    pub fn nlri(&self) -> NlriIter<'_> {
        NlriIter::validated(
            self.nlri_field(),
            NlriLayout::Prefix { v6: false },
            self.v4_add_path,
            false,
        )
    }

    /// All path attributes as they appear (including discarded and MP ones).
    pub fn attributes(&self) -> AttributeIter<'_> {
        AttributeIter::new(self.attribute_field(), self.w1 as usize + 2)
    }

    /// A tracked (valid, first-seen) attribute's value.
    #[inline(always)]
    pub fn attribute(&self, c: u8) -> Option<&[u8]> {
        match slot(c) {
            Some(i) => self.tracked(i),
            None => self.untracked(c),
        }
    }

    /// The value of the tracked attribute in `at[i]`: its header was validated, so only
    /// the length is read again.
    #[inline(always)]
    fn tracked(&self, i: usize) -> Option<&[u8]> {
        let off = self.at[i] as usize;
        if off == 0 {
            return None;
        }
        let (_, _, hl, len) = split_attribute(self.msg.get(off..)?)?;
        self.msg.get(off + hl..off + hl + len)
    }

    fn untracked(&self, c: u8) -> Option<&[u8]> {
        self.attributes().find(|a| a.code == c).map(|a| a.value)
    }

    pub fn origin(&self) -> Option<Origin> {
        Origin::from_u8(*self.attribute(code::ORIGIN)?.first()?)
    }

    #[inline]
    fn u32_attr(&self, c: u8) -> Option<u32> {
        let v = self.attribute(c)?;
        Some(u32::from_be_bytes(v.try_into().ok()?))
    }

    #[inline]
    pub fn med(&self) -> Option<u32> {
        self.u32_attr(code::MED)
    }
    #[inline]
    pub fn local_pref(&self) -> Option<u32> {
        self.u32_attr(code::LOCAL_PREF)
    }
    #[inline]
    pub fn otc(&self) -> Option<u32> {
        self.u32_attr(code::OTC)
    }
    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        self.u32_attr(code::NEXT_HOP).map(Ipv4Addr::from)
    }
    #[inline]
    pub fn originator_id(&self) -> Option<Ipv4Addr> {
        self.u32_attr(code::ORIGINATOR_ID).map(Ipv4Addr::from)
    }
    pub fn atomic_aggregate(&self) -> bool {
        self.attribute(code::ATOMIC_AGGREGATE).is_some()
    }

    /// COMMUNITIES values (RFC 1997).
    pub fn communities(&self) -> impl Iterator<Item = u32> + '_ {
        self.attribute(code::COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    pub fn cluster_list(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.attribute(code::CLUSTER_LIST)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
    }

    pub fn large_communities(&self) -> impl Iterator<Item = [u32; 3]> + '_ {
        self.attribute(code::LARGE_COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(12)
            .map(|c| {
                let w = |i: usize| u32::from_be_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                [w(0), w(4), w(8)]
            })
    }

    pub fn extended_communities(&self) -> impl Iterator<Item = ExtendedCommunity> + '_ {
        self.attribute(code::EXTENDED_COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                ExtendedCommunity(a)
            })
    }

    pub fn ipv6_extended_communities(&self) -> impl Iterator<Item = Ipv6ExtendedCommunity> + '_ {
        self.attribute(code::IPV6_EXTENDED_COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(20)
            .map(|c| {
                let mut a = [0u8; 20];
                a.copy_from_slice(c);
                Ipv6ExtendedCommunity(a)
            })
    }

    /// AIGP metric (RFC 7311 TLV type 1).
    pub fn aigp(&self) -> Option<u64> {
        let v = self.attribute(code::AIGP)?;
        let mut d = v;
        while d.len() >= 3 {
            let len = u16::from_be_bytes([d[1], d[2]]) as usize;
            if d[0] == 1 && len == 11 && d.len() >= 11 {
                return Some(u64::from_be_bytes(d[3..11].try_into().ok()?));
            }
            d = d.get(len.max(3)..)?;
        }
        None
    }

    /// AS_PATH as sent (2- or 4-octet ASNs according to the session).
    pub fn as_path_raw(&self) -> Option<AsPathView<'_>> {
        Some(AsPathView {
            data: self.attribute(code::AS_PATH)?,
            four: self.asn4,
        })
    }

    pub fn as4_path_raw(&self) -> Option<AsPathView<'_>> {
        Some(AsPathView {
            data: self.attribute(code::AS4_PATH)?,
            four: true,
        })
    }

    /// The AS path with 4-octet ASNs: AS_PATH, merged with AS4_PATH on a 2-octet session
    /// (RFC 6793 §4.2.3). Allocates (an owned path).
    pub fn as_path(&self) -> Option<AsPath> {
        let base = self.as_path_raw()?.to_owned();
        if self.asn4 {
            return Some(base);
        }
        // RFC 6793 §4.2.3: AS4_PATH is ignored when AGGREGATOR holds a real 2-octet AS.
        if let Some(agg) = self.attribute(code::AGGREGATOR) {
            if agg.len() == 6 && u16::from_be_bytes([agg[0], agg[1]]) != AS_TRANS {
                return Some(base);
            }
        }
        let Some(as4) = self.as4_path_raw() else {
            return Some(base);
        };
        let as4 = as4.to_owned();
        Some(merge_as4_path(base, as4))
    }

    /// AGGREGATOR with a 4-octet ASN, AS4_AGGREGATOR applied on 2-octet sessions.
    pub fn aggregator(&self) -> Option<Aggregator> {
        let v = self.attribute(code::AGGREGATOR)?;
        let (asn, ip) = if self.asn4 {
            (u32::from_be_bytes(v[..4].try_into().ok()?), &v[4..8])
        } else {
            (u16::from_be_bytes([v[0], v[1]]) as u32, &v[2..6])
        };
        let ip = Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]);
        if !self.asn4 && asn == AS_TRANS as u32 {
            if let Some(a4) = self.attribute(code::AS4_AGGREGATOR) {
                return Some(Aggregator {
                    asn: u32::from_be_bytes(a4[..4].try_into().ok()?),
                    ip: Ipv4Addr::new(a4[4], a4[5], a4[6], a4[7]),
                });
            }
        }
        Some(Aggregator { asn, ip })
    }

    /// MP_REACH_NLRI, if present and valid.
    pub fn mp_reach(&self) -> Option<MpReach<'_>> {
        let v = self.attribute(code::MP_REACH_NLRI)?;
        let family = mp_family(v)?;
        let nhl = *v.get(3)? as usize;
        let nh = v.get(4..4 + nhl)?;
        let nlri = NlriIter::validated(
            v.get(5 + nhl..)?,
            NlriLayout::of(family),
            self.reach_add_path,
            false,
        );
        Some(MpReach {
            family,
            next_hop_bytes: nh,
            nlri,
        })
    }

    /// MP_UNREACH_NLRI, if present and valid.
    pub fn mp_unreach(&self) -> Option<MpUnreach<'_>> {
        let v = self.attribute(code::MP_UNREACH_NLRI)?;
        let family = mp_family(v)?;
        let nlri = NlriIter::validated(
            v.get(3..)?,
            NlriLayout::of(family),
            self.unreach_add_path,
            true,
        );
        Some(MpUnreach { family, nlri })
    }

    /// RFC 4724 §2: an UPDATE with nothing but an empty withdrawn list (IPv4 unicast), or
    /// only an MP_UNREACH_NLRI with no NLRI (any other family), marks End-of-RIB.
    pub fn end_of_rib(&self) -> Option<Family> {
        let attrs = self.attribute_field();
        if self.withdrawn_field().is_empty() && self.nlri_field().is_empty() {
            if attrs.is_empty() {
                return Some(Family::IPV4_UNICAST);
            }
            let mut it = self.attributes();
            let first = it.next()?;
            if it.next().is_none() && first.code == code::MP_UNREACH_NLRI && first.value.len() == 3
            {
                return mp_family(first.value);
            }
        }
        None
    }

    /// The owned attributes (once per UPDATE, not per route): the next hop is MP_REACH_NLRI's
    /// when it has one (with its RFC 2545 link-local), else NEXT_HOP's; unknown attributes
    /// kept unless discarded.
    pub fn path_attributes(&self) -> PathAttributes {
        let mut a = PathAttributes {
            origin: self.origin(),
            as_path: self.as_path(),
            next_hop: self.next_hop().map(IpAddr::V4),
            med: self.med(),
            local_pref: self.local_pref(),
            atomic_aggregate: self.atomic_aggregate(),
            aggregator: self.aggregator(),
            communities: self.communities().collect(),
            originator_id: self.originator_id(),
            cluster_list: self.cluster_list().collect(),
            extended_communities: self.extended_communities().collect(),
            ipv6_extended_communities: self.ipv6_extended_communities().collect(),
            aigp: self.aigp(),
            large_communities: self.large_communities().collect(),
            otc: self.otc(),
            ..PathAttributes::default()
        };
        let discarded = |c: u8, off: usize| {
            self.problems
                .iter()
                .any(|p| p.attr == c && p.offset as usize == off)
        };
        for at in self.attributes() {
            if !is_modelled(at.code) && !discarded(at.code, at.offset) {
                a.unknown.push(RawAttribute {
                    flags: at.flags,
                    code: at.code,
                    value: self.msg.slice_ref(at.value),
                });
            }
        }
        if let Some(r) = self.mp_reach() {
            let (nh, ll) = r.next_hop();
            if nh.is_some() {
                a.next_hop = nh;
            }
            a.next_hop_link_local = ll;
        }
        a
    }

    /// The owned form: attributes, withdrawn and announced NLRI with their families.
    pub fn to_update(&self) -> Update {
        let a = self.path_attributes();
        let mut withdrawn: Vec<(Family, Nlri)> = self
            .withdrawn()
            .map(|n| (Family::IPV4_UNICAST, n.to_owned(Family::IPV4_UNICAST)))
            .collect();
        if let Some(u) = self.mp_unreach() {
            withdrawn.extend(u.nlri.map(|n| (u.family, n.to_owned(u.family))));
        }
        let mut announced: Vec<(Family, Nlri)> = self
            .nlri()
            .map(|n| (Family::IPV4_UNICAST, n.to_owned(Family::IPV4_UNICAST)))
            .collect();
        let mut mp_family = None;
        if let Some(r) = self.mp_reach() {
            mp_family = Some(r.family);
            announced.extend(r.nlri.map(|n| (r.family, n.to_owned(r.family))));
        }
        Update {
            withdrawn,
            attributes: a,
            announced,
            end_of_rib: self.end_of_rib(),
            mp_reach_family: mp_family,
        }
    }
}

/// Attributes that `PathAttributes` models (the rest go to `unknown`).
pub(crate) fn is_modelled(c: u8) -> bool {
    matches!(
        c,
        code::ORIGIN
            | code::AS_PATH
            | code::NEXT_HOP
            | code::MED
            | code::LOCAL_PREF
            | code::ATOMIC_AGGREGATE
            | code::AGGREGATOR
            | code::COMMUNITIES
            | code::ORIGINATOR_ID
            | code::CLUSTER_LIST
            | code::MP_REACH_NLRI
            | code::MP_UNREACH_NLRI
            | code::EXTENDED_COMMUNITIES
            | code::AS4_PATH
            | code::AS4_AGGREGATOR
            | code::IPV6_EXTENDED_COMMUNITIES
            | code::AIGP
            | code::LARGE_COMMUNITIES
            | code::OTC
    )
}

/// An owned UPDATE: what a message says, independent of how it was packed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    pub withdrawn: Vec<(Family, Nlri)>,
    pub attributes: PathAttributes,
    pub announced: Vec<(Family, Nlri)>,
    /// Set when the message is an End-of-RIB marker (RFC 4724 §2).
    pub end_of_rib: Option<Family>,
    /// The family of MP_REACH_NLRI when present (it may carry no NLRI).
    pub mp_reach_family: Option<Family>,
}

/// An AS_PATH or AS4_PATH value (validated).
#[derive(Debug, Clone, Copy)]
pub struct AsPathView<'a> {
    data: &'a [u8],
    four: bool,
}

impl<'a> AsPathView<'a> {
    /// Segments: type and the ASNs' bytes (2 or 4 octets each).
    pub fn segments(&self) -> impl Iterator<Item = (SegmentType, AsnIter<'a>)> + 'a {
        let mut d = self.data;
        let w = if self.four { 4 } else { 2 };
        std::iter::from_fn(move || {
            if d.len() < 2 {
                return None;
            }
            let kind = SegmentType::from_u8(d[0])?;
            let n = 2 + d[1] as usize * w;
            let seg = d.get(2..n)?;
            d = &d[n..];
            Some((kind, AsnIter { d: seg, w }))
        })
    }

    pub fn to_owned(&self) -> AsPath {
        AsPath {
            segments: self
                .segments()
                .map(|(kind, asns)| AsSegment {
                    kind,
                    asns: asns.collect(),
                })
                .collect(),
        }
    }
}

/// ASNs of one segment.
#[derive(Debug, Clone)]
pub struct AsnIter<'a> {
    d: &'a [u8],
    w: usize,
}

impl Iterator for AsnIter<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.d.len() < self.w {
            return None;
        }
        let v = if self.w == 4 {
            u32::from_be_bytes([self.d[0], self.d[1], self.d[2], self.d[3]])
        } else {
            u16::from_be_bytes([self.d[0], self.d[1]]) as u32
        };
        self.d = &self.d[self.w..];
        Some(v)
    }
}

/// RFC 6793 §4.2.3: keep the leading ASes of AS_PATH that AS4_PATH does not cover, then
/// AS4_PATH. AS4_PATH is ignored if it is longer than AS_PATH. Confederation segments in
/// AS4_PATH are dropped (RFC 6793 §6).
pub fn merge_as4_path(as_path: AsPath, mut as4: AsPath) -> AsPath {
    as4.segments
        .retain(|s| matches!(s.kind, SegmentType::Sequence | SegmentType::Set));
    let count = |p: &AsPath| -> usize {
        p.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len(),
                SegmentType::Set => 1,
                _ => 0,
            })
            .sum()
    };
    let (n, n4) = (count(&as_path), count(&as4));
    if n < n4 {
        return as_path;
    }
    let mut keep = n - n4;
    let mut out = Vec::new();
    for s in as_path.segments {
        if keep == 0 {
            match s.kind {
                // Confederation segments lead the path and are not counted; keep them.
                SegmentType::ConfedSequence | SegmentType::ConfedSet => out.push(s),
                _ => break,
            }
            continue;
        }
        match s.kind {
            SegmentType::Sequence if s.asns.len() > keep => {
                out.push(AsSegment {
                    kind: s.kind,
                    asns: s.asns[..keep].to_vec(),
                });
                keep = 0;
            }
            SegmentType::Sequence => {
                keep -= s.asns.len();
                out.push(s);
            }
            SegmentType::Set => {
                keep -= 1;
                out.push(s);
            }
            _ => out.push(s),
        }
    }
    // Join a split sequence with AS4_PATH's leading sequence.
    let mut segs = as4.segments.into_iter();
    if let (Some(last), Some(first)) = (out.last_mut(), segs.clone().next()) {
        if last.kind == SegmentType::Sequence
            && first.kind == SegmentType::Sequence
            && last.asns.len() + first.asns.len() <= 255
        {
            last.asns.extend(first.asns);
            segs.next();
        }
    }
    out.extend(segs);
    AsPath { segments: out }
}

/// The fast validation loop against the slow one: whatever the attributes, `scan_fast`
/// followed by `scan_slow` finds what `scan_slow` alone finds (same offsets, same problems,
/// same session reset).
#[cfg(test)]
mod fast_slow {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    /// A value for `code`: often a valid one or a near miss, else any short bytes.
    fn value(code: u8) -> impl Strategy<Value = Vec<u8>> {
        let near: Vec<Vec<u8>> = match code {
            code::ORIGIN => vec![vec![3], vec![0, 0], vec![]],
            // 2-octet ASNs (valid only on a 2-octet session), a zero count, a bad type.
            code::AS_PATH => vec![
                vec![2, 2, 0xfd, 0xe8, 0xfd, 0xe9],
                vec![2, 0],
                vec![5, 1, 0, 0, 0xfd, 0xe8],
                vec![],
            ],
            code::NEXT_HOP => vec![vec![127, 0, 0, 1], vec![224, 0, 0, 1], vec![0, 0, 0, 0]],
            code::COMMUNITIES => vec![vec![], vec![0, 0, 0, 1, 2]],
            code::MED => vec![vec![0, 0, 1]],
            _ => vec![vec![]],
        };
        let good: Vec<u8> = match code {
            code::ORIGIN => vec![1],
            code::AS_PATH => vec![2, 2, 0, 0, 0xfd, 0xe8, 0, 0, 0xfd, 0xe9],
            code::NEXT_HOP => vec![192, 0, 2, 1],
            code::MED | code::LOCAL_PREF | code::ORIGINATOR_ID | code::OTC => vec![0, 0, 0, 100],
            code::COMMUNITIES | code::CLUSTER_LIST => vec![0xfd, 0xe8, 0, 1, 0xfd, 0xe8, 0, 2],
            code::EXTENDED_COMMUNITIES => vec![0, 2, 0xfd, 0xe8, 0, 0, 0, 1],
            code::MP_UNREACH_NLRI => vec![0, 2, 1],
            code::MP_REACH_NLRI => vec![0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 0, 0],
            _ => vec![],
        };
        prop_oneof![
            3 => Just(good),
            2 => proptest::sample::select(near),
            1 => vec(any::<u8>(), 0..10),
            2 => vec(0u8..6, 0..12),
            1 => vec(0u8..3, 0..70),
        ]
    }

    fn attribute() -> impl Strategy<Value = Vec<u8>> {
        let codes = prop_oneof![
            12 => 1u8..=8,
            4 => 9u8..=16,
            1 => Just(code::AIGP),
            1 => Just(code::LARGE_COMMUNITIES),
            1 => Just(code::OTC),
            1 => Just(63u8),
            1 => Just(64u8),
            1 => Just(200u8),
        ];
        (codes, any::<bool>(), 0u8..8, any::<bool>())
            .prop_flat_map(|(c, good_flags, fl, ext)| (Just((c, good_flags, fl, ext)), value(c)))
            .prop_map(|((c, good_flags, fl, ext), v)| {
                let mut flags = if good_flags {
                    match RULES[c as usize].flags {
                        ANY_FLAGS => attr_flag::OPTIONAL | attr_flag::TRANSITIVE,
                        f => f,
                    }
                } else {
                    (fl & 3) << 6
                };
                if ext {
                    flags |= attr_flag::EXTENDED_LENGTH;
                }
                let mut a = vec![flags, c];
                if ext {
                    a.extend_from_slice(&(v.len() as u16).to_be_bytes());
                } else {
                    a.push(v.len() as u8);
                }
                a.extend_from_slice(&v);
                a
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn fast_then_slow_is_slow(
            attrs in vec(attribute(), 0..8),
            cut in 0usize..4,
            nlri in any::<bool>(),
            external in any::<bool>(),
            asn4 in any::<bool>(),
        ) {
            let mut b = vec![0xff; 16];
            b.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0]);
            let a0 = b.len();
            for a in &attrs {
                b.extend_from_slice(a);
            }
            // Sometimes the last attribute runs past the attribute field.
            let a1 = b.len().saturating_sub(if attrs.is_empty() { 0 } else { cut }).max(a0);
            b.truncate(a1);
            if nlri {
                b.extend_from_slice(&[24, 10, 0, 0]);
            }
            let ctx = SessionContext { asn4, external, ..Default::default() };
            let check_next_hop = external && a1 < b.len();
            let fast = scan_attributes(&b, a0, a1, &ctx);
            let mut slow = Scan::default();
            let slow = scan_slow(&b, a0, a1, &ctx, check_next_hop, &mut slow, 0).map(|()| {
                check_missing(&mut slow, &b, a0, a1);
                slow
            });
            match (fast, slow) {
                (Ok(f), Ok(s)) => {
                    prop_assert_eq!(&f.at[1..], &s.at[1..]);
                    prop_assert_eq!(f.problems, s.problems);
                    prop_assert_eq!(f.treat_as_withdraw, s.treat_as_withdraw);
                    prop_assert_eq!(f.reach_add_path, s.reach_add_path);
                    prop_assert_eq!(f.unreach_add_path, s.unreach_add_path);
                }
                (Err(f), Err(s)) => prop_assert_eq!(f, s),
                (f, s) => prop_assert!(false, "fast {:?}, slow {:?}", f.err(), s.err()),
            }
        }
    }
}
