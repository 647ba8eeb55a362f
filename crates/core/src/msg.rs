//! The BGP messages the session needs, and UPDATE packing.
//!
//! A stand-in for `ferrobgp-wire` while it is written (see the crate docs): framing (RFC 4271
//! §4.1), OPEN with capabilities in ExaBGP's order and shape (one optional parameter per
//! capability), KEEPALIVE, NOTIFICATION, ROUTE-REFRESH (RFC 2918/7313), and UPDATEs for the
//! prefix families with ExaBGP's attribute order (by type code, MP_REACH_NLRI at 14).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{Bytes, BytesMut};

use crate::rib::{AsSegment, Family, NextHop, RawAttr, RouteAttrs, RouteKey};

pub const HEADER_LEN: usize = 19;
pub const MAX_MESSAGE: usize = 4096;
pub const MAX_EXTENDED_MESSAGE: usize = 65535;
pub const AS_TRANS: u32 = 23456;

pub const OPEN: u8 = 1;
pub const UPDATE: u8 = 2;
pub const NOTIFICATION: u8 = 3;
pub const KEEPALIVE: u8 = 4;
pub const ROUTE_REFRESH: u8 = 5;

/// A NOTIFICATION to send (or received): code, subcode, data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub code: u8,
    pub subcode: u8,
    pub data: Vec<u8>,
}

impl Notify {
    pub fn new(code: u8, subcode: u8) -> Notify {
        Notify {
            code,
            subcode,
            data: Vec::new(),
        }
    }
    pub fn with_data(code: u8, subcode: u8, data: impl Into<Vec<u8>>) -> Notify {
        Notify {
            code,
            subcode,
            data: data.into(),
        }
    }
    pub fn encode(&self) -> Bytes {
        let mut body = vec![self.code, self.subcode];
        body.extend_from_slice(&self.data);
        message(NOTIFICATION, &body)
    }
    pub fn decode(body: &[u8]) -> Option<Notify> {
        if body.len() < 2 {
            return None;
        }
        Some(Notify {
            code: body[0],
            subcode: body[1],
            data: body[2..].to_vec(),
        })
    }
    /// RFC 4271 §4.5 / RFC 4486 names, as ExaBGP prints them.
    pub fn describe(&self) -> String {
        let code = match self.code {
            1 => "Message header error",
            2 => "OPEN message error",
            3 => "UPDATE message error",
            4 => "Hold timer expired",
            5 => "State machine error",
            6 => "Cease",
            _ => "Unknown error",
        };
        format!("{code} ({}/{})", self.code, self.subcode)
    }
}

/// Wrap a body into a message: marker, length, type.
pub fn message(kind: u8, body: &[u8]) -> Bytes {
    let mut m = BytesMut::with_capacity(HEADER_LEN + body.len());
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
    m.extend_from_slice(&[kind]);
    m.extend_from_slice(body);
    m.freeze()
}

pub fn keepalive() -> Bytes {
    message(KEEPALIVE, &[])
}

/// ROUTE-REFRESH (subtype 0 normal, 1 BoRR, 2 EoRR).
pub fn route_refresh(family: Family, subtype: u8) -> Bytes {
    let a = family.afi.to_be_bytes();
    message(ROUTE_REFRESH, &[a[0], a[1], subtype, family.safi])
}

/// Slice the next whole message off `buf`: `(type, body)`. Header errors carry the RFC 4271
/// §6.1 NOTIFICATION.
pub fn frame(buf: &mut BytesMut, max: usize) -> Result<Option<(u8, Bytes)>, Notify> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    if buf[..16] != [0xff; 16] {
        return Err(Notify::new(1, 1));
    }
    let len = u16::from_be_bytes([buf[16], buf[17]]) as usize;
    let kind = buf[18];
    if len < HEADER_LEN || len > max {
        return Err(Notify::with_data(1, 2, buf[16..18].to_vec()));
    }
    let ok = match kind {
        OPEN => len >= 29,
        UPDATE => len >= 23,
        NOTIFICATION => len >= 21,
        KEEPALIVE => len == 19,
        ROUTE_REFRESH => len == 23,
        _ => return Err(Notify::with_data(1, 3, vec![kind])),
    };
    if !ok {
        return Err(Notify::with_data(1, 2, buf[16..18].to_vec()));
    }
    if buf.len() < len {
        return Ok(None);
    }
    let mut m = buf.split_to(len).freeze();
    let body = m.split_off(HEADER_LEN);
    Ok(Some((kind, body)))
}

/// One capability (RFC 5492): code and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    pub code: u8,
    pub value: Vec<u8>,
}

/// An OPEN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub version: u8,
    pub my_as: u16,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// Encode with one Capabilities optional parameter per capability, as ExaBGP 5 does.
    pub fn encode(&self) -> Bytes {
        let mut params = Vec::new();
        for c in &self.capabilities {
            params.push(2u8);
            params.push((c.value.len() + 2) as u8);
            params.push(c.code);
            params.push(c.value.len() as u8);
            params.extend_from_slice(&c.value);
        }
        let mut body = vec![self.version];
        body.extend_from_slice(&self.my_as.to_be_bytes());
        body.extend_from_slice(&self.hold_time.to_be_bytes());
        body.extend_from_slice(&self.bgp_id.octets());
        if params.len() > 255 {
            // RFC 9072 extended optional parameters.
            body.extend_from_slice(&[255, 255]);
            body.extend_from_slice(&(params.len() as u16).to_be_bytes());
            // Re-encode parameters with 2-octet lengths.
            let mut ext = Vec::new();
            for c in &self.capabilities {
                ext.push(2u8);
                ext.extend_from_slice(&((c.value.len() + 2) as u16).to_be_bytes());
                ext.push(c.code);
                ext.push(c.value.len() as u8);
                ext.extend_from_slice(&c.value);
            }
            let n = body.len();
            body[n - 2..].copy_from_slice(&(ext.len() as u16).to_be_bytes());
            body.extend_from_slice(&ext);
        } else {
            body.push(params.len() as u8);
            body.extend_from_slice(&params);
        }
        message(OPEN, &body)
    }

    /// Decode an OPEN body; errors carry the NOTIFICATION (RFC 4271 §6.2).
    pub fn decode(body: &[u8]) -> Result<Open, Notify> {
        if body.len() < 10 {
            return Err(Notify::new(1, 2));
        }
        let version = body[0];
        let my_as = u16::from_be_bytes([body[1], body[2]]);
        let hold_time = u16::from_be_bytes([body[3], body[4]]);
        let bgp_id = Ipv4Addr::new(body[5], body[6], body[7], body[8]);
        let mut opt_len = body[9] as usize;
        let mut rest = &body[10..];
        let mut extended = false;
        if opt_len == 255 && rest.first() == Some(&255) {
            if rest.len() < 3 {
                return Err(Notify::new(2, 0));
            }
            opt_len = u16::from_be_bytes([rest[1], rest[2]]) as usize;
            rest = &rest[3..];
            extended = true;
        }
        if rest.len() != opt_len {
            return Err(Notify::new(2, 0));
        }
        let mut capabilities = Vec::new();
        while !rest.is_empty() {
            let (ptype, plen, hdr) = if extended {
                if rest.len() < 3 {
                    return Err(Notify::new(2, 0));
                }
                (rest[0], u16::from_be_bytes([rest[1], rest[2]]) as usize, 3)
            } else {
                if rest.len() < 2 {
                    return Err(Notify::new(2, 0));
                }
                (rest[0], rest[1] as usize, 2)
            };
            if rest.len() < hdr + plen {
                return Err(Notify::new(2, 0));
            }
            let mut p = &rest[hdr..hdr + plen];
            rest = &rest[hdr + plen..];
            if ptype != 2 {
                // RFC 5492: only Capabilities are defined; anything else is unsupported.
                return Err(Notify::new(2, 4));
            }
            while !p.is_empty() {
                if p.len() < 2 || p.len() < 2 + p[1] as usize {
                    return Err(Notify::new(2, 0));
                }
                let (code, len) = (p[0], p[1] as usize);
                capabilities.push(Capability {
                    code,
                    value: p[2..2 + len].to_vec(),
                });
                p = &p[2 + len..];
            }
        }
        Ok(Open {
            version,
            my_as,
            hold_time,
            bgp_id,
            capabilities,
        })
    }

    pub fn capability(&self, code: u8) -> Option<&Capability> {
        self.capabilities.iter().find(|c| c.code == code)
    }

    /// The speaker's AS: the ASN4 capability when present (RFC 6793), else the 2-octet field.
    pub fn asn(&self) -> u32 {
        match self.capability(65) {
            Some(c) if c.value.len() == 4 => {
                u32::from_be_bytes([c.value[0], c.value[1], c.value[2], c.value[3]])
            }
            _ => self.my_as as u32,
        }
    }

    /// Multiprotocol families offered; none offered means IPv4 unicast (RFC 4760 §8).
    pub fn families(&self) -> Vec<Family> {
        let v: Vec<Family> = self
            .capabilities
            .iter()
            .filter(|c| c.code == 1 && c.value.len() == 4)
            .map(|c| Family::new(u16::from_be_bytes([c.value[0], c.value[1]]), c.value[3]))
            .collect();
        if self.capabilities.iter().any(|c| c.code == 1) {
            v
        } else {
            vec![Family::IPV4_UNICAST]
        }
    }

    /// ADD-PATH (RFC 7911): family → direction bits (1 receive, 2 send) as the sender states them.
    pub fn add_path(&self) -> Vec<(Family, u8)> {
        let mut v = Vec::new();
        for c in self.capabilities.iter().filter(|c| c.code == 69) {
            for e in c.value.chunks_exact(4) {
                v.push((Family::new(u16::from_be_bytes([e[0], e[1]]), e[2]), e[3]));
            }
        }
        v
    }
}

/// How UPDATEs are built for one session.
#[derive(Debug, Clone)]
pub struct UpdateContext {
    pub ibgp: bool,
    pub local_as: u32,
    pub asn4: bool,
    pub local_addr: Option<IpAddr>,
    pub max_message: usize,
    /// Families for which we send path identifiers.
    pub add_path_send: Vec<Family>,
}

impl UpdateContext {
    pub fn add_path(&self, f: Family) -> bool {
        self.add_path_send.contains(&f)
    }
}

fn push_attr(out: &mut Vec<u8>, flags: u8, code: u8, value: &[u8]) {
    if value.len() > 255 {
        out.push(flags | 0x10);
        out.push(code);
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        out.push(flags & !0x10);
        out.push(code);
        out.push(value.len() as u8);
    }
    out.extend_from_slice(value);
}

fn resolve_next_hop(nh: NextHop, ctx: &UpdateContext) -> Option<IpAddr> {
    match nh {
        NextHop::None => None,
        NextHop::Ip(ip) => Some(ip),
        NextHop::SelfAddr => ctx.local_addr,
    }
}

/// The attributes of an UPDATE announcing `family` with `attrs`, split around MP_REACH_NLRI:
/// `(before, after)` — the attributes with a type code below 14 and above 14. For IPv4 unicast
/// everything is in `before`, NEXT_HOP included.
fn encode_attrs(attrs: &RouteAttrs, family: Family, ctx: &UpdateContext) -> (Vec<u8>, Vec<u8>) {
    let mut list: Vec<(u8, u8, Vec<u8>)> = Vec::new();
    list.push((0x40, 1, vec![attrs.origin.unwrap_or(0)]));
    // AS_PATH: prepend our AS towards eBGP peers (RFC 4271 §5.1.2).
    let mut segs = attrs.as_path.clone();
    if !ctx.ibgp {
        match segs.first_mut() {
            Some(s) if s.kind == 2 && s.asns.len() < 255 => s.asns.insert(0, ctx.local_as),
            _ => segs.insert(
                0,
                AsSegment {
                    kind: 2,
                    asns: vec![ctx.local_as],
                },
            ),
        }
    }
    let mut path = Vec::new();
    for s in &segs {
        path.push(s.kind);
        path.push(s.asns.len() as u8);
        for a in &s.asns {
            if ctx.asn4 {
                path.extend_from_slice(&a.to_be_bytes());
            } else {
                let a2 = if *a > 0xffff {
                    AS_TRANS as u16
                } else {
                    *a as u16
                };
                path.extend_from_slice(&a2.to_be_bytes());
            }
        }
    }
    list.push((0x40, 2, path));
    if family == Family::IPV4_UNICAST {
        if let Some(IpAddr::V4(nh)) = resolve_next_hop(attrs.next_hop, ctx) {
            list.push((0x40, 3, nh.octets().to_vec()));
        }
    }
    if let Some(med) = attrs.med {
        list.push((0x80, 4, med.to_be_bytes().to_vec()));
    }
    if ctx.ibgp {
        // RFC 4271 §5.1.5: LOCAL_PREF goes to internal peers only; ExaBGP defaults it to 100.
        list.push((
            0x40,
            5,
            attrs.local_pref.unwrap_or(100).to_be_bytes().to_vec(),
        ));
    }
    if attrs.atomic_aggregate {
        list.push((0x40, 6, Vec::new()));
    }
    if !attrs.communities.is_empty() {
        let mut c = attrs.communities.clone();
        c.sort_unstable();
        c.dedup();
        list.push((0xc0, 8, c.iter().flat_map(|v| v.to_be_bytes()).collect()));
    }
    for RawAttr { flags, code, value } in &attrs.other {
        list.push((*flags, *code, value.to_vec()));
    }
    list.sort_by_key(|(_, code, _)| *code);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (flags, code, value) in list {
        push_attr(
            if code < 14 { &mut before } else { &mut after },
            flags,
            code,
            &value,
        );
    }
    (before, after)
}

fn next_hop_bytes(attrs: &RouteAttrs, ctx: &UpdateContext) -> Vec<u8> {
    match resolve_next_hop(attrs.next_hop, ctx) {
        Some(IpAddr::V4(a)) => a.octets().to_vec(),
        Some(IpAddr::V6(a)) => a.octets().to_vec(),
        None => Vec::new(),
    }
}

fn update_message(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Bytes {
    let mut body = Vec::with_capacity(4 + withdrawn.len() + attrs.len() + nlri.len());
    body.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    body.extend_from_slice(withdrawn);
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(attrs);
    body.extend_from_slice(nlri);
    message(UPDATE, &body)
}

/// UPDATEs announcing `keys` (all of `family`) with one attribute set, packed into as few
/// messages as fit.
pub fn announce(
    family: Family,
    attrs: &RouteAttrs,
    keys: &[&RouteKey],
    ctx: &UpdateContext,
    out: &mut Vec<Bytes>,
) {
    let ap = ctx.add_path(family);
    let (before, after) = encode_attrs(attrs, family, ctx);
    if family == Family::IPV4_UNICAST {
        let room = ctx.max_message - HEADER_LEN - 4 - before.len();
        for chunk in pack(keys, ap, room) {
            out.push(update_message(&[], &before, &chunk));
        }
        return;
    }
    let nh = next_hop_bytes(attrs, ctx);
    // MP_REACH_NLRI value: AFI, SAFI, next-hop length, next hop, reserved, NLRI.
    let fixed = 3 + 1 + nh.len() + 1;
    let room = ctx.max_message - HEADER_LEN - 4 - before.len() - after.len() - 4 - fixed;
    for chunk in pack(keys, ap, room) {
        let mut mp = Vec::with_capacity(fixed + chunk.len());
        mp.extend_from_slice(&family.afi.to_be_bytes());
        mp.push(family.safi);
        mp.push(nh.len() as u8);
        mp.extend_from_slice(&nh);
        mp.push(0);
        mp.extend_from_slice(&chunk);
        let mut a = before.clone();
        push_attr(&mut a, 0x80, 14, &mp);
        a.extend_from_slice(&after);
        out.push(update_message(&[], &a, &[]));
    }
}

/// UPDATEs withdrawing `keys` (all of `family`).
pub fn withdraw(family: Family, keys: &[&RouteKey], ctx: &UpdateContext, out: &mut Vec<Bytes>) {
    let ap = ctx.add_path(family);
    if family == Family::IPV4_UNICAST {
        let room = ctx.max_message - HEADER_LEN - 4;
        for chunk in pack(keys, ap, room) {
            out.push(update_message(&chunk, &[], &[]));
        }
        return;
    }
    let room = ctx.max_message - HEADER_LEN - 4 - 4 - 3;
    for chunk in pack(keys, ap, room) {
        out.push(mp_unreach(family, &chunk));
    }
}

fn mp_unreach(family: Family, nlri: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(3 + nlri.len());
    v.extend_from_slice(&family.afi.to_be_bytes());
    v.push(family.safi);
    v.extend_from_slice(nlri);
    // ExaBGP always sets the extended-length flag on MP_UNREACH_NLRI.
    let mut a = vec![0x90, 15];
    a.extend_from_slice(&(v.len() as u16).to_be_bytes());
    a.extend_from_slice(&v);
    update_message(&[], &a, &[])
}

/// End-of-RIB (RFC 4724 §2).
pub fn end_of_rib(family: Family) -> Bytes {
    if family == Family::IPV4_UNICAST {
        update_message(&[], &[], &[])
    } else {
        mp_unreach(family, &[])
    }
}

fn pack(keys: &[&RouteKey], ap: bool, room: usize) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut cur = Vec::new();
    for k in keys {
        if !cur.is_empty() && cur.len() + k.encoded_len(ap) > room {
            chunks.push(std::mem::take(&mut cur));
        }
        k.encode_into(&mut cur, ap);
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    chunks
}

/// A received UPDATE, decoded for the events (prefix families only; other NLRI are reported
/// as counted but not split).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedUpdate {
    pub withdrawn: Vec<RouteKey>,
    pub announced: Vec<RouteKey>,
    pub next_hops: Vec<(Family, Option<IpAddr>)>,
    pub attrs: Option<RouteAttrs>,
    pub end_of_rib: Option<Family>,
    /// RFC 7606 treat-as-withdraw applied: every announced NLRI moved to `withdrawn`.
    pub treat_as_withdraw: bool,
}

fn parse_prefixes(
    family: Family,
    mut data: &[u8],
    add_path: bool,
    out: &mut Vec<RouteKey>,
) -> Result<(), Notify> {
    let max = match family.afi {
        1 => 32,
        2 => 128,
        _ => return Ok(()),
    };
    if family.safi != 1 && family.safi != 2 {
        return Ok(());
    }
    while !data.is_empty() {
        let mut path_id = None;
        if add_path {
            if data.len() < 4 {
                return Err(Notify::new(3, 10));
            }
            path_id = Some(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
            data = &data[4..];
            if data.is_empty() {
                return Err(Notify::new(3, 10));
            }
        }
        let len = data[0];
        let n = (len as usize).div_ceil(8);
        if len > max || data.len() < 1 + n {
            return Err(Notify::new(3, 10));
        }
        out.push(RouteKey {
            family,
            path_id,
            nlri: data[..1 + n].to_vec().into_boxed_slice(),
        });
        data = &data[1 + n..];
    }
    Ok(())
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        16 | 32 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(&bytes[..16]);
            Some(IpAddr::V6(Ipv6Addr::from(o)))
        }
        _ => None,
    }
}

/// Decode an UPDATE body, applying RFC 7606: framing errors of the attribute list reset the
/// session (`Err`, 3/1 or 3/10), attribute value errors turn the UPDATE into a withdraw.
pub fn decode_update(
    body: &[u8],
    asn4: bool,
    add_path_recv: &[Family],
) -> Result<ReceivedUpdate, Notify> {
    let mut u = ReceivedUpdate::default();
    if body.len() < 4 {
        return Err(Notify::new(3, 1));
    }
    let wlen = u16::from_be_bytes([body[0], body[1]]) as usize;
    if body.len() < 2 + wlen + 2 {
        return Err(Notify::new(3, 1));
    }
    let v4ap = add_path_recv.contains(&Family::IPV4_UNICAST);
    parse_prefixes(
        Family::IPV4_UNICAST,
        &body[2..2 + wlen],
        v4ap,
        &mut u.withdrawn,
    )?;
    let alen = u16::from_be_bytes([body[2 + wlen], body[3 + wlen]]) as usize;
    let astart = 4 + wlen;
    if body.len() < astart + alen {
        return Err(Notify::new(3, 1));
    }
    let mut attrs_data = &body[astart..astart + alen];
    let nlri = &body[astart + alen..];
    parse_prefixes(Family::IPV4_UNICAST, nlri, v4ap, &mut u.announced)?;
    if !nlri.is_empty() {
        u.next_hops.push((Family::IPV4_UNICAST, None));
    }
    let mut attrs = RouteAttrs::default();
    let mut seen = [false; 256];
    let mut bad = false;
    let mut has_mp_unreach = false;
    while !attrs_data.is_empty() {
        if attrs_data.len() < 3 {
            return Err(Notify::new(3, 1));
        }
        let flags = attrs_data[0];
        let code = attrs_data[1];
        let (len, hdr) = if flags & 0x10 != 0 {
            if attrs_data.len() < 4 {
                return Err(Notify::new(3, 1));
            }
            (
                u16::from_be_bytes([attrs_data[2], attrs_data[3]]) as usize,
                4,
            )
        } else {
            (attrs_data[2] as usize, 3)
        };
        if attrs_data.len() < hdr + len {
            return Err(Notify::new(3, 1));
        }
        let v = &attrs_data[hdr..hdr + len];
        attrs_data = &attrs_data[hdr + len..];
        if seen[code as usize] {
            // RFC 7606 §3.g: repeated attributes other than MP_* are discarded.
            if code == 14 || code == 15 {
                return Err(Notify::new(3, 1));
            }
            continue;
        }
        seen[code as usize] = true;
        match code {
            1 => {
                if v.len() != 1 || v[0] > 2 {
                    bad = true;
                } else {
                    attrs.origin = Some(v[0]);
                }
            }
            2 => {
                let w = if asn4 { 4 } else { 2 };
                let mut p = v;
                while !p.is_empty() {
                    if p.len() < 2 || p.len() < 2 + p[1] as usize * w || p[0] == 0 || p[0] > 4 {
                        bad = true;
                        break;
                    }
                    let n = p[1] as usize;
                    let asns = (0..n)
                        .map(|i| {
                            let o = 2 + i * w;
                            if asn4 {
                                u32::from_be_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]])
                            } else {
                                u16::from_be_bytes([p[o], p[o + 1]]) as u32
                            }
                        })
                        .collect();
                    attrs.as_path.push(AsSegment { kind: p[0], asns });
                    p = &p[2 + n * w..];
                }
            }
            3 => match ip_from(v) {
                Some(ip) if v.len() == 4 => attrs.next_hop = NextHop::Ip(ip),
                _ => bad = true,
            },
            4 if v.len() == 4 => attrs.med = Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]])),
            5 if v.len() == 4 => {
                attrs.local_pref = Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
            }
            4 | 5 => bad = true,
            6 => attrs.atomic_aggregate = true,
            8 => {
                if !v.len().is_multiple_of(4) {
                    bad = true;
                } else {
                    attrs.communities = v
                        .chunks_exact(4)
                        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                }
            }
            14 => {
                if v.len() < 5 || v.len() < 5 + v[3] as usize {
                    return Err(Notify::new(3, 9));
                }
                let family = Family::new(u16::from_be_bytes([v[0], v[1]]), v[2]);
                let nhl = v[3] as usize;
                u.next_hops.push((family, ip_from(&v[4..4 + nhl])));
                let ap = add_path_recv.contains(&family);
                parse_prefixes(family, &v[5 + nhl..], ap, &mut u.announced)?;
            }
            15 => {
                if v.len() < 3 {
                    return Err(Notify::new(3, 9));
                }
                let family = Family::new(u16::from_be_bytes([v[0], v[1]]), v[2]);
                has_mp_unreach = true;
                if v.len() == 3 && alen == len + hdr {
                    u.end_of_rib = Some(family);
                }
                let ap = add_path_recv.contains(&family);
                parse_prefixes(family, &v[3..], ap, &mut u.withdrawn)?;
            }
            _ => attrs.other.push(RawAttr {
                flags,
                code,
                value: v.to_vec().into_boxed_slice(),
            }),
        }
    }
    let _ = has_mp_unreach;
    if wlen == 0 && alen == 0 && nlri.is_empty() {
        u.end_of_rib = Some(Family::IPV4_UNICAST);
    }
    // RFC 7606 §3.d: a missing mandatory attribute with NLRI present is treat-as-withdraw.
    if !u.announced.is_empty() && (!seen[1] || !seen[2] || (!nlri.is_empty() && !seen[3])) {
        bad = true;
    }
    if bad {
        u.treat_as_withdraw = true;
        let a = std::mem::take(&mut u.announced);
        u.withdrawn.extend(a);
        u.next_hops.clear();
    } else if alen > 0 {
        u.attrs = Some(attrs);
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn frames_across_chunks() {
        let mut b = BytesMut::new();
        let k = keepalive();
        b.extend_from_slice(&k[..10]);
        assert_eq!(frame(&mut b, 4096), Ok(None));
        b.extend_from_slice(&k[10..]);
        let (t, body) = frame(&mut b, 4096).unwrap().unwrap();
        assert_eq!((t, body.len()), (KEEPALIVE, 0));
    }

    #[test]
    fn bad_marker_and_length() {
        let mut b = BytesMut::from(&[0u8; 19][..]);
        assert_eq!(frame(&mut b, 4096), Err(Notify::new(1, 1)));
        let mut m = keepalive().to_vec();
        m[17] = 20;
        let mut b = BytesMut::from(&m[..]);
        assert_eq!(frame(&mut b, 4096).unwrap_err().subcode, 2);
    }

    #[test]
    fn decodes_exabgp_update() {
        // conf-new-v4.ci, second message.
        let raw =
            hex("0000001C400101004002004003040A00FFFE40050400000064C0080478147814180A0002180A0006");
        let u = decode_update(&raw, true, &[]).unwrap();
        assert_eq!(u.announced.len(), 2);
        assert_eq!(u.announced[1].prefix_string(), "10.0.6.0/24");
        let a = u.attrs.unwrap();
        assert_eq!(a.local_pref, Some(100));
        assert_eq!(a.communities, vec![0x78147814]);
    }

    #[test]
    fn bad_origin_is_treat_as_withdraw() {
        let raw =
            hex("0000001C400101054002004003040A00FFFE40050400000064C0080478147814180A0002180A0006");
        let u = decode_update(&raw, true, &[]).unwrap();
        assert!(u.treat_as_withdraw);
        assert_eq!(u.withdrawn.len(), 2);
    }

    #[test]
    fn attribute_overrun_resets() {
        let raw =
            hex("0000001C4001FF004002004003040A00FFFE40050400000064C0080478147814180A0002180A0006");
        assert_eq!(
            decode_update(&raw, true, &[]).unwrap_err(),
            Notify::new(3, 1)
        );
    }
}
