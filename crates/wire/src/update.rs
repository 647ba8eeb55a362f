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
use crate::nlri::{NlriIter, NlriLayout};

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

/// Attribute code → slot in `UpdateView::at` plus one (0: not tracked).
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
        s => Some(s as usize - 1),
    }
}

/// What the validation loop checks of one attribute code, looked up once per attribute
/// (one table load instead of a match per check on the hot path).
#[derive(Clone, Copy)]
struct Rule {
    /// Expected (optional, transitive) flag bits, or [`ANY_FLAGS`] for unchecked codes.
    flags: u8,
    /// The value check: a `CHECK_*` kind.
    check: u8,
    /// The exact length (`CHECK_LEN`).
    len: u8,
    /// RFC 7606 §7.5, §7.9, §7.10: discarded when an external peer sends it.
    internal_only: bool,
}

const ANY_FLAGS: u8 = 0xff;
/// No value check.
const CHECK_NONE: u8 = 0;
/// The value is exactly `Rule::len` octets.
const CHECK_LEN: u8 = 1;
/// A non-empty multiple of 4 octets.
const CHECK_MUL4: u8 = 2;
/// A non-empty multiple of 8 octets.
const CHECK_MUL8: u8 = 3;
/// Anything else: [`check_value`] decides, and MP_REACH/MP_UNREACH go to `check_mp`.
const CHECK_FULL: u8 = 4;

const RULES: [Rule; 256] = {
    const O: u8 = attr_flag::OPTIONAL;
    const T: u8 = attr_flag::TRANSITIVE;
    let any = Rule {
        flags: ANY_FLAGS,
        check: CHECK_NONE,
        len: 0,
        internal_only: false,
    };
    let mut t = [any; 256];
    const fn r(flags: u8, check: u8, len: u8) -> Rule {
        Rule {
            flags,
            check,
            len,
            internal_only: false,
        }
    }
    t[code::ORIGIN as usize] = r(T, CHECK_FULL, 1);
    t[code::AS_PATH as usize] = r(T, CHECK_FULL, 0);
    // NEXT_HOP's length is checked here; its address (external peers) in the loop.
    t[code::NEXT_HOP as usize] = r(T, CHECK_LEN, 4);
    t[code::MED as usize] = r(O, CHECK_LEN, 4);
    t[code::LOCAL_PREF as usize] = Rule {
        internal_only: true,
        ..r(T, CHECK_LEN, 4)
    };
    t[code::ATOMIC_AGGREGATE as usize] = r(T, CHECK_LEN, 0);
    t[code::AGGREGATOR as usize] = r(O | T, CHECK_FULL, 0);
    t[code::COMMUNITIES as usize] = r(O | T, CHECK_MUL4, 0);
    t[code::ORIGINATOR_ID as usize] = Rule {
        internal_only: true,
        ..r(O, CHECK_LEN, 4)
    };
    t[code::CLUSTER_LIST as usize] = Rule {
        internal_only: true,
        ..r(O, CHECK_MUL4, 0)
    };
    t[code::MP_REACH_NLRI as usize] = r(O, CHECK_FULL, 0);
    t[code::MP_UNREACH_NLRI as usize] = r(O, CHECK_FULL, 0);
    t[code::EXTENDED_COMMUNITIES as usize] = r(O | T, CHECK_MUL8, 0);
    t[code::AS4_PATH as usize] = r(O | T, CHECK_FULL, 0);
    t[code::AS4_AGGREGATOR as usize] = r(O | T, CHECK_LEN, 8);
    t[code::IPV6_EXTENDED_COMMUNITIES as usize] = r(O | T, CHECK_FULL, 0);
    t[code::AIGP as usize] = r(O, CHECK_FULL, 0);
    t[code::LARGE_COMMUNITIES as usize] = r(O | T, CHECK_FULL, 0);
    t[code::OTC as usize] = r(O | T, CHECK_LEN, 4);
    t
};

/// A validated UPDATE, borrowing nothing: it owns (a reference-counted slice of) the
/// message, and iterators borrow from it.
#[derive(Debug, Clone)]
pub struct UpdateView {
    msg: Bytes,
    withdrawn: (u16, u16),
    attrs: (u16, u16),
    nlri: (u16, u16),
    /// Offset of each tracked attribute's header in `msg` (0 = absent or discarded), by
    /// [`slot`].
    at: [u16; TRACKED],
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
#[inline]
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

impl UpdateView {
    /// Validate an UPDATE. `msg` is the whole message, header included (as sliced out of the
    /// receive buffer by [`crate::frame`]). `Err` is a session reset (or AFI/SAFI disable);
    /// lesser problems are listed in [`UpdateView::problems`].
    pub fn parse(msg: Bytes, ctx: &SessionContext) -> Result<UpdateView, Error> {
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
        let v4 = NlriLayout::Prefix { v6: false };
        if let Err(ne) = NlriIter::new(&b[w0..w1], v4, v4_add_path, true) {
            return Err(e(ErrorKind::InvalidNetworkField, w0 + ne.offset));
        }
        if let Err(ne) = NlriIter::new(&b[a1..], v4, v4_add_path, false) {
            return Err(e(ErrorKind::InvalidNetworkField, a1 + ne.offset));
        }

        let mut view = UpdateView {
            msg: Bytes::new(),
            withdrawn: (w0 as u16, w1 as u16),
            attrs: (a0 as u16, a1 as u16),
            nlri: (a1 as u16, b.len() as u16),
            at: [0; TRACKED],
            asn4: ctx.asn4,
            v4_add_path,
            reach_add_path: false,
            unreach_add_path: false,
            treat_as_withdraw: false,
            problems: Vec::new(),
        };
        let mut seen = [0u64; 4];
        let mut pos = a0;
        while pos < a1 {
            let Some((flags, c, hl, len)) = split_attribute(&b[pos..a1]) else {
                // RFC 7606 §4: an attribute running past the attribute field. The NLRI
                // field is still located by the total length, so treat-as-withdraw works
                // unless an MP attribute may have been lost.
                let reach_seen = view.at_code(code::MP_REACH_NLRI) != 0
                    || view.at_code(code::MP_UNREACH_NLRI) != 0;
                if reach_seen || a1 < b.len() {
                    view.flag(Error::attr(
                        ErrorKind::MalformedAttributeList,
                        b.get(pos + 1).copied().unwrap_or(0),
                        pos,
                        Action::TreatAsWithdraw,
                    ));
                    break;
                }
                return Err(e(ErrorKind::MalformedAttributeList, pos));
            };
            let value = &b[pos + hl..pos + hl + len];
            let off = pos;
            pos += hl + len;

            // RFC 7606 §3.g: duplicates are discarded, except MP_REACH/MP_UNREACH.
            let bit = 1u64 << (c % 64);
            let dup = seen[(c / 64) as usize] & bit != 0;
            seen[(c / 64) as usize] |= bit;
            if dup {
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
                view.flag(Error::attr(
                    ErrorKind::MalformedAttributeList,
                    c,
                    off,
                    Action::AttributeDiscard,
                ));
                continue;
            }

            let rule = RULES[c as usize];
            // RFC 7606 §7.5, §7.9, §7.10 (RFC 4271 §5.1.5, RFC 4456 §8): attributes that
            // stay inside an AS are discarded when an external peer sends them.
            if rule.internal_only && ctx.external {
                view.flag(Error::attr(
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
                let action = malformed_action(c);
                let err = Error::attr(ErrorKind::AttributeFlags, c, off, action);
                if action == Action::SessionReset {
                    return Err(err);
                }
                view.flag(err);
                continue;
            }

            let fast_ok = match rule.check {
                CHECK_NONE => true,
                CHECK_LEN => len == rule.len as usize,
                CHECK_MUL4 => len != 0 && len % 4 == 0,
                CHECK_MUL8 => len != 0 && len % 8 == 0,
                _ => false,
            };
            if !fast_ok {
                if c == code::MP_REACH_NLRI || c == code::MP_UNREACH_NLRI {
                    view.check_mp(b, c, off, off + hl, value, ctx)?;
                } else if let Some(kind) = check_value(c, value, ctx.asn4) {
                    let action = malformed_action(c);
                    view.flag(Error::attr(kind, c, off, action));
                    continue;
                }
            }
            if c == code::NEXT_HOP
                && ctx.external
                && a1 < b.len()
                && !unicast_host(IpAddr::V4(Ipv4Addr::new(
                    value[0], value[1], value[2], value[3],
                )))
            {
                // RFC 4271 §6.3, RFC 7606 §7.3: a semantically incorrect NEXT_HOP (no
                // unicast host address) from an external peer: the routes are withdrawn.
                view.flag(Error::attr(
                    ErrorKind::InvalidNextHop,
                    c,
                    off,
                    Action::TreatAsWithdraw,
                ));
                continue;
            }
            if let Some(i) = slot(c) {
                view.at[i] = off as u16;
            }
        }

        // RFC 7606 §3.d: a missing well-known attribute when there is NLRI to announce.
        let has_nlri = a1 < b.len() || view.at_code(code::MP_REACH_NLRI) != 0;
        if has_nlri {
            for c in [code::ORIGIN, code::AS_PATH] {
                if view.at_code(c) == 0 && !view.discarded_by_problem(c) {
                    view.flag(Error::attr(
                        ErrorKind::MissingWellKnownAttribute(c),
                        c,
                        a0,
                        Action::TreatAsWithdraw,
                    ));
                }
            }
            if a1 < b.len()
                && view.at_code(code::NEXT_HOP) == 0
                && !view.discarded_by_problem(code::NEXT_HOP)
            {
                view.flag(Error::attr(
                    ErrorKind::MissingWellKnownAttribute(code::NEXT_HOP),
                    code::NEXT_HOP,
                    a0,
                    Action::TreatAsWithdraw,
                ));
            }
        }
        view.msg = msg;
        Ok(view)
    }

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

    fn check_mp(
        &mut self,
        b: &[u8],
        c: u8,
        off: usize,
        voff: usize,
        v: &[u8],
        ctx: &SessionContext,
    ) -> Result<(), Error> {
        let bad = |at: usize, action| Err(Error::attr(ErrorKind::MalformedMpNlri, c, at, action));
        let _ = b;
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

    fn range(&self, r: (u16, u16)) -> &[u8] {
        &self.msg[r.0 as usize..r.1 as usize]
    }

    /// IPv4 unicast withdrawn routes (the classic field).
    pub fn withdrawn(&self) -> NlriIter<'_> {
        NlriIter::validated(
            self.range(self.withdrawn),
            NlriLayout::Prefix { v6: false },
            self.v4_add_path,
            true,
        )
    }

    /// IPv4 unicast announced routes (the classic NLRI field).
    pub fn nlri(&self) -> NlriIter<'_> {
        NlriIter::validated(
            self.range(self.nlri),
            NlriLayout::Prefix { v6: false },
            self.v4_add_path,
            false,
        )
    }

    /// All path attributes as they appear (including discarded and MP ones).
    pub fn attributes(&self) -> AttributeIter<'_> {
        AttributeIter::new(self.range(self.attrs), self.attrs.0 as usize)
    }

    /// A tracked (valid, first-seen) attribute's value.
    pub fn attribute(&self, c: u8) -> Option<&[u8]> {
        let off = if let Some(i) = slot(c) {
            self.at[i] as usize
        } else {
            return self.attributes().find(|a| a.code == c).map(|a| a.value);
        };
        if off == 0 {
            return None;
        }
        let (_, _, hl, len) = split_attribute(&self.msg[off..])?;
        self.msg.get(off + hl..off + hl + len)
    }

    pub fn origin(&self) -> Option<Origin> {
        Origin::from_u8(*self.attribute(code::ORIGIN)?.first()?)
    }

    fn u32_attr(&self, c: u8) -> Option<u32> {
        let v = self.attribute(c)?;
        Some(u32::from_be_bytes(v.try_into().ok()?))
    }

    pub fn med(&self) -> Option<u32> {
        self.u32_attr(code::MED)
    }
    pub fn local_pref(&self) -> Option<u32> {
        self.u32_attr(code::LOCAL_PREF)
    }
    pub fn otc(&self) -> Option<u32> {
        self.u32_attr(code::OTC)
    }
    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        self.u32_attr(code::NEXT_HOP).map(Ipv4Addr::from)
    }
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
        let attrs = self.range(self.attrs);
        if self.withdrawn.0 == self.withdrawn.1 && self.nlri.0 == self.nlri.1 {
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
