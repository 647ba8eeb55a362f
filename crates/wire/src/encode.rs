//! UPDATE encoding: path attributes in ExaBGP's order, MP_REACH/MP_UNREACH, and a builder
//! that packs NLRI sharing one attribute set into as few messages as fit.
//!
//! ExaBGP's layout, checked against the `raw:` lines of its functional tests: MP_UNREACH_NLRI
//! first, then the attributes by type code, then MP_REACH_NLRI last; NEXT_HOP is written
//! whenever the next hop is IPv4, whatever the family; the extended length flag only when a
//! value exceeds 255 octets, except for End-of-RIB's MP_UNREACH which ExaBGP always writes
//! with the extended length flag.

use std::net::{IpAddr, Ipv6Addr};

use bytes::{BufMut, BytesMut};

use crate::error::msg_type;
use crate::message::{finish_message, start_message, HEADER_LEN};
use crate::model::{
    attr_code as code, attr_flag, AsPath, Family, Nlri, PathAttributes, Safi, SegmentType,
    SessionContext, AS_TRANS,
};
use crate::nlri::{nlri_len, nlri_len_for, write_nlri};
use crate::update::Update;

const O: u8 = attr_flag::OPTIONAL;
const T: u8 = attr_flag::TRANSITIVE;

/// Write one attribute; the value is produced by `f`. The extended length flag is set only
/// when needed.
pub fn put_attribute(out: &mut BytesMut, flags: u8, c: u8, f: impl FnOnce(&mut BytesMut)) {
    put_attribute_with(out, flags & !attr_flag::EXTENDED_LENGTH, c, f)
}

/// As [`put_attribute`], but an extended length flag already in `flags` is kept (ExaBGP
/// sends generic attributes with the flags it was given).
pub fn put_attribute_with(out: &mut BytesMut, flags: u8, c: u8, f: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_u8(flags);
    out.put_u8(c);
    out.put_u16(0);
    f(out);
    let len = out.len() - start - 4;
    if len > 255 || flags & attr_flag::EXTENDED_LENGTH != 0 {
        out[start] |= attr_flag::EXTENDED_LENGTH;
        out[start + 2..start + 4].copy_from_slice(&(len.min(65535) as u16).to_be_bytes());
    } else {
        out[start + 2] = len as u8;
        let end = out.len();
        out.copy_within(start + 4..end, start + 3);
        out.truncate(end - 1);
    }
}

fn put_as_path(out: &mut BytesMut, p: &AsPath, four: bool) {
    for s in &p.segments {
        // A segment holds at most 255 ASNs (RFC 4271 §4.3): split longer ones.
        for chunk in s.asns.chunks(255) {
            out.put_u8(s.kind as u8);
            out.put_u8(chunk.len() as u8);
            for &a in chunk {
                if four {
                    out.put_u32(a);
                } else {
                    out.put_u16(u16::try_from(a).unwrap_or(AS_TRANS));
                }
            }
        }
    }
}

fn needs_as4(p: &AsPath) -> bool {
    p.segments
        .iter()
        .any(|s| s.asns.iter().any(|&a| a > u16::MAX as u32))
}

/// Write the path attributes (not MP_REACH/MP_UNREACH) sorted by type code, unknown
/// attributes merged in by code. `next_hop_attr`: write NEXT_HOP when the next hop is IPv4.
pub fn encode_attributes(
    a: &PathAttributes,
    ctx: &SessionContext,
    next_hop_attr: bool,
    out: &mut BytesMut,
) {
    let mut unknown: Vec<_> = a.unknown.iter().collect();
    unknown.sort_by_key(|u| u.code);
    let mut unk = unknown.into_iter().peekable();
    let mut flush_unknown = |out: &mut BytesMut, upto: u8| {
        while let Some(u) = unk.next_if(|u| u.code < upto) {
            put_attribute_with(out, u.flags, u.code, |o| o.extend_from_slice(&u.value));
        }
    };

    flush_unknown(out, code::ORIGIN);
    if let Some(o) = a.origin {
        put_attribute(out, T, code::ORIGIN, |o2| o2.put_u8(o as u8));
    }
    flush_unknown(out, code::AS_PATH);
    if let Some(p) = &a.as_path {
        put_attribute(out, T, code::AS_PATH, |o| put_as_path(o, p, ctx.asn4));
    }
    flush_unknown(out, code::NEXT_HOP);
    if next_hop_attr {
        if let Some(IpAddr::V4(nh)) = a.next_hop {
            put_attribute(out, T, code::NEXT_HOP, |o| {
                o.extend_from_slice(&nh.octets())
            });
        }
    }
    flush_unknown(out, code::MED);
    if let Some(m) = a.med {
        put_attribute(out, O, code::MED, |o| o.put_u32(m));
    }
    flush_unknown(out, code::LOCAL_PREF);
    if let Some(l) = a.local_pref {
        put_attribute(out, T, code::LOCAL_PREF, |o| o.put_u32(l));
    }
    flush_unknown(out, code::ATOMIC_AGGREGATE);
    if a.atomic_aggregate {
        put_attribute(out, T, code::ATOMIC_AGGREGATE, |_| {});
    }
    flush_unknown(out, code::AGGREGATOR);
    if let Some(ag) = a.aggregator {
        put_attribute(out, O | T, code::AGGREGATOR, |o| {
            if ctx.asn4 {
                o.put_u32(ag.asn);
            } else {
                o.put_u16(u16::try_from(ag.asn).unwrap_or(AS_TRANS));
            }
            o.extend_from_slice(&ag.ip.octets());
        });
    }
    flush_unknown(out, code::COMMUNITIES);
    if !a.communities.is_empty() {
        put_attribute(out, O | T, code::COMMUNITIES, |o| {
            for &c in &a.communities {
                o.put_u32(c);
            }
        });
    }
    flush_unknown(out, code::ORIGINATOR_ID);
    if let Some(id) = a.originator_id {
        put_attribute(out, O, code::ORIGINATOR_ID, |o| {
            o.extend_from_slice(&id.octets())
        });
    }
    flush_unknown(out, code::CLUSTER_LIST);
    if !a.cluster_list.is_empty() {
        put_attribute(out, O, code::CLUSTER_LIST, |o| {
            for id in &a.cluster_list {
                o.extend_from_slice(&id.octets());
            }
        });
    }
    flush_unknown(out, code::EXTENDED_COMMUNITIES);
    if !a.extended_communities.is_empty() {
        put_attribute(out, O | T, code::EXTENDED_COMMUNITIES, |o| {
            for c in &a.extended_communities {
                o.extend_from_slice(&c.0);
            }
        });
    }
    // RFC 6793 §4.2.2: a 2-octet session carries the real path in AS4_PATH.
    flush_unknown(out, code::AS4_PATH);
    if !ctx.asn4 {
        if let Some(p) = a.as_path.as_ref().filter(|p| needs_as4(p)) {
            put_attribute(out, O | T, code::AS4_PATH, |o| {
                let p4 = AsPath {
                    segments: p
                        .segments
                        .iter()
                        .filter(|s| matches!(s.kind, SegmentType::Sequence | SegmentType::Set))
                        .cloned()
                        .collect(),
                };
                put_as_path(o, &p4, true)
            });
        }
    }
    flush_unknown(out, code::AS4_AGGREGATOR);
    if !ctx.asn4 {
        if let Some(ag) = a.aggregator.filter(|ag| ag.asn > u16::MAX as u32) {
            put_attribute(out, O | T, code::AS4_AGGREGATOR, |o| {
                o.put_u32(ag.asn);
                o.extend_from_slice(&ag.ip.octets());
            });
        }
    }
    flush_unknown(out, code::IPV6_EXTENDED_COMMUNITIES);
    if !a.ipv6_extended_communities.is_empty() {
        put_attribute(out, O | T, code::IPV6_EXTENDED_COMMUNITIES, |o| {
            for c in &a.ipv6_extended_communities {
                o.extend_from_slice(&c.0);
            }
        });
    }
    flush_unknown(out, code::AIGP);
    if let Some(m) = a.aigp {
        put_attribute(out, O, code::AIGP, |o| {
            o.put_u8(1);
            o.put_u16(11);
            o.put_u64(m);
        });
    }
    flush_unknown(out, code::LARGE_COMMUNITIES);
    if !a.large_communities.is_empty() {
        put_attribute(out, O | T, code::LARGE_COMMUNITIES, |o| {
            for c in &a.large_communities {
                o.put_u32(c[0]);
                o.put_u32(c[1]);
                o.put_u32(c[2]);
            }
        });
    }
    flush_unknown(out, code::OTC);
    if let Some(v) = a.otc {
        put_attribute(out, O | T, code::OTC, |o| o.put_u32(v));
    }
    flush_unknown(out, 255);
    if let Some(u) = unk.next() {
        // code 255
        put_attribute_with(out, u.flags, u.code, |o| o.extend_from_slice(&u.value));
    }
}

/// The MP_REACH next hop field for `family` (RFC 4760 §3, RFC 2545 §3, RFC 4364 §4.3.2,
/// RFC 4659 §3.2.1, RFC 8955 §4 for flow). An IPv4 next hop is written in 4 octets whatever
/// the NLRI's AFI, as ExaBGP does (extended-nexthop.ci, conf-mvpn.ci).
pub fn write_mp_next_hop(
    out: &mut BytesMut,
    family: Family,
    nh: Option<IpAddr>,
    ll: Option<Ipv6Addr>,
) {
    // bgp-ls-vpn too: ExaBGP reads its next hop as RD + address (12 or 24 octets).
    let vpn = matches!(family.safi, Safi::MPLS_VPN | Safi::BGP_LS_VPN);
    let rd = |o: &mut BytesMut| {
        if vpn {
            o.put_u64(0)
        }
    };
    match nh {
        None => {}
        Some(IpAddr::V4(a)) => {
            rd(out);
            out.extend_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            rd(out);
            out.extend_from_slice(&a.octets());
            if let Some(l) = ll {
                rd(out);
                out.extend_from_slice(&l.octets());
            }
        }
    }
}

fn next_hop_len(family: Family, nh: Option<IpAddr>, ll: Option<Ipv6Addr>) -> usize {
    let mut b = BytesMut::new();
    write_mp_next_hop(&mut b, family, nh, ll);
    b.len()
}

/// Does ExaBGP write the NEXT_HOP attribute (for an IPv4 next hop) with NLRI of `family`?
/// It does for the prefix families and MVPN, not for flow, VPLS, SR Policy, EVPN
/// (conf-flow.ci, conf-l2vpn.ci, conf-sr-policy.ci against conf-vpn.ci, conf-mvpn.ci).
pub fn next_hop_attribute_for(family: Family) -> bool {
    matches!(
        family.safi,
        Safi::UNICAST
            | Safi::MULTICAST
            | Safi::MPLS_LABEL
            | Safi::MPLS_VPN
            | Safi::MCAST_VPN
            | Safi::MUP
    )
}

/// Does `family` with this next hop go in the classic NLRI field? (IPv4 unicast over an
/// IPv4 next hop, RFC 4271; anything else uses MP_REACH, RFC 4760 / RFC 8950.)
fn classic(family: Family, a: &PathAttributes) -> bool {
    family == Family::IPV4_UNICAST && !matches!(a.next_hop, Some(IpAddr::V6(_)))
}

/// Packs NLRI sharing one attribute set into as few UPDATEs as fit (4096 octets, or 65535
/// with extended messages), appending the messages to one buffer.
#[derive(Debug, Clone)]
pub struct UpdateBuilder<'a> {
    ctx: &'a SessionContext,
    max: usize,
}

impl<'a> UpdateBuilder<'a> {
    pub fn new(ctx: &'a SessionContext) -> UpdateBuilder<'a> {
        UpdateBuilder {
            ctx,
            max: ctx.max_message_len(),
        }
    }

    /// Use a smaller message size (tests; peers that cannot take full messages).
    pub fn with_max_len(mut self, max: usize) -> Self {
        self.max = max.clamp(HEADER_LEN + 64, crate::message::MAX_EXTENDED_MESSAGE_LEN);
        self
    }

    /// Announce `nlri` of `family` with attributes `a`. Returns the number of messages
    /// written to `out`.
    pub fn announce<'n>(
        &self,
        family: Family,
        a: &PathAttributes,
        nlri: impl IntoIterator<Item = &'n Nlri>,
        out: &mut BytesMut,
    ) -> usize {
        let add_path = self.ctx.sends_path_id(family);
        let mut attrs = BytesMut::with_capacity(128);
        encode_attributes(a, self.ctx, next_hop_attribute_for(family), &mut attrs);
        let mut nlri = nlri.into_iter().peekable();
        let mut count = 0;
        if classic(family, a) {
            let budget = self.max.saturating_sub(HEADER_LEN + 4 + attrs.len());
            while let Some(first) = nlri.peek() {
                if nlri_len(first, add_path) > budget {
                    // An NLRI that cannot fit any message with these attributes: skipped
                    // rather than sent in a message of illegal size.
                    nlri.next();
                    continue;
                }
                let s = start_message(out, msg_type::UPDATE);
                out.put_u16(0);
                out.put_u16(attrs.len() as u16);
                out.extend_from_slice(&attrs);
                let mut used = 0;
                while let Some(n) = nlri.next_if(|n| used + nlri_len(n, add_path) <= budget) {
                    used += nlri_len(n, add_path);
                    write_nlri(out, n, add_path, false);
                }
                finish_message(out, s);
                count += 1;
            }
            return count;
        }
        let nhl = next_hop_len(family, a.next_hop, a.next_hop_link_local);
        // MP_REACH header (4 with extended length) + AFI/SAFI/NH len + NH + reserved.
        let fixed = HEADER_LEN + 4 + attrs.len() + 4 + 3 + 1 + nhl + 1;
        let budget = self.max.saturating_sub(fixed);
        while nlri.peek().is_some() {
            let mut chunk = Vec::new();
            let mut used = 0;
            while let Some(n) = nlri.next_if(|n| used + nlri_len(n, add_path) <= budget) {
                used += nlri_len(n, add_path);
                chunk.push(n);
            }
            if chunk.is_empty() {
                nlri.next();
                continue;
            }
            let s = start_message(out, msg_type::UPDATE);
            out.put_u16(0);
            let al = out.len();
            out.put_u16(0);
            out.extend_from_slice(&attrs);
            self.mp_reach(out, family, a, &chunk, add_path);
            let alen = (out.len() - al - 2) as u16;
            out[al..al + 2].copy_from_slice(&alen.to_be_bytes());
            finish_message(out, s);
            count += 1;
        }
        count
    }

    fn mp_reach(
        &self,
        out: &mut BytesMut,
        family: Family,
        a: &PathAttributes,
        nlri: &[&Nlri],
        add_path: bool,
    ) {
        put_attribute(out, O, code::MP_REACH_NLRI, |o| {
            o.put_u16(family.afi.0);
            o.put_u8(family.safi.0);
            let p = o.len();
            o.put_u8(0);
            write_mp_next_hop(o, family, a.next_hop, a.next_hop_link_local);
            o[p] = (o.len() - p - 1) as u8;
            o.put_u8(0);
            for n in nlri {
                write_nlri(o, n, add_path, false);
            }
        });
    }

    /// Withdraw `nlri` of `family`; IPv4 unicast in the withdrawn routes field, others in
    /// MP_UNREACH_NLRI. Returns the number of messages written.
    pub fn withdraw<'n>(
        &self,
        family: Family,
        nlri: impl IntoIterator<Item = &'n Nlri>,
        out: &mut BytesMut,
    ) -> usize {
        let add_path = self.ctx.sends_path_id(family);
        let v4 = family == Family::IPV4_UNICAST;
        let budget = self
            .max
            .saturating_sub(HEADER_LEN + 4 + if v4 { 0 } else { 4 + 3 });
        let mut nlri = nlri.into_iter().peekable();
        let mut count = 0;
        while nlri.peek().is_some() {
            let mut chunk = Vec::new();
            let mut used = 0;
            while let Some(n) = nlri.next_if(|n| used + nlri_len_for(n, add_path, true) <= budget) {
                used += nlri_len_for(n, add_path, true);
                chunk.push(n);
            }
            if chunk.is_empty() {
                nlri.next();
                continue;
            }
            let s = start_message(out, msg_type::UPDATE);
            if v4 {
                out.put_u16(used as u16);
                for n in &chunk {
                    write_nlri(out, n, add_path, true);
                }
                out.put_u16(0);
            } else {
                out.put_u16(0);
                let al = out.len();
                out.put_u16(0);
                mp_unreach(out, family, &chunk, add_path);
                let alen = (out.len() - al - 2) as u16;
                out[al..al + 2].copy_from_slice(&alen.to_be_bytes());
            }
            finish_message(out, s);
            count += 1;
        }
        count
    }
}

fn mp_unreach(out: &mut BytesMut, family: Family, nlri: &[&Nlri], add_path: bool) {
    put_attribute(out, O, code::MP_UNREACH_NLRI, |o| {
        o.put_u16(family.afi.0);
        o.put_u8(family.safi.0);
        for n in nlri {
            write_nlri(o, n, add_path, true);
        }
    });
}

/// End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an empty
/// MP_UNREACH_NLRI otherwise (written with the extended length flag, as ExaBGP does).
pub fn encode_end_of_rib(family: Family, out: &mut BytesMut) {
    let s = start_message(out, msg_type::UPDATE);
    out.put_u16(0);
    if family == Family::IPV4_UNICAST {
        out.put_u16(0);
    } else {
        out.put_u16(7);
        out.put_u8(O | attr_flag::EXTENDED_LENGTH);
        out.put_u8(code::MP_UNREACH_NLRI);
        out.put_u16(3);
        out.put_u16(family.afi.0);
        out.put_u8(family.safi.0);
    }
    finish_message(out, s);
}

/// Encode one owned [`Update`] as a single message laid out as ExaBGP does: classic
/// withdrawn routes, MP_UNREACH first, the attributes, MP_REACH last, classic NLRI.
/// Everything must fit one message (use [`UpdateBuilder`] to pack and split).
pub fn encode_update(u: &Update, ctx: &SessionContext, out: &mut BytesMut) {
    if let Some(f) = u.end_of_rib {
        encode_end_of_rib(f, out);
        return;
    }
    let s = start_message(out, msg_type::UPDATE);
    let wl = out.len();
    out.put_u16(0);
    let v4_add = ctx.sends_path_id(Family::IPV4_UNICAST);
    for (_, n) in u
        .withdrawn
        .iter()
        .filter(|(f, _)| *f == Family::IPV4_UNICAST)
    {
        write_nlri(out, n, v4_add, true);
    }
    let w = (out.len() - wl - 2) as u16;
    out[wl..wl + 2].copy_from_slice(&w.to_be_bytes());
    let al = out.len();
    out.put_u16(0);
    // MP_UNREACH, one per family present (normally one).
    let mut fams: Vec<Family> = Vec::new();
    for (f, _) in &u.withdrawn {
        if *f != Family::IPV4_UNICAST && !fams.contains(f) {
            fams.push(*f);
        }
    }
    for f in fams {
        let chunk: Vec<&Nlri> = u
            .withdrawn
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, n)| n)
            .collect();
        mp_unreach(out, f, &chunk, ctx.sends_path_id(f));
    }
    let reach_family = u.mp_reach_family.or_else(|| {
        u.announced
            .iter()
            .map(|(f, _)| *f)
            .find(|f| !classic(*f, &u.attributes))
    });
    let nh_attr = reach_family.map_or(true, next_hop_attribute_for);
    encode_attributes(&u.attributes, ctx, nh_attr, out);
    if let Some(f) = reach_family {
        let chunk: Vec<&Nlri> = u
            .announced
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, n)| n)
            .collect();
        UpdateBuilder::new(ctx).mp_reach(out, f, &u.attributes, &chunk, ctx.sends_path_id(f));
    }
    let a = (out.len() - al - 2) as u16;
    out[al..al + 2].copy_from_slice(&a.to_be_bytes());
    for (f, n) in &u.announced {
        if Some(*f) != reach_family && *f == Family::IPV4_UNICAST {
            write_nlri(out, n, v4_add, false);
        }
    }
    finish_message(out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawAttribute;

    #[test]
    fn end_of_rib_matches_exabgp_bytes() {
        // conf-attributes.ci: "announce eor ipv4 unicast" and "announce eor ipv6 unicast".
        let mut out = BytesMut::new();
        encode_end_of_rib(Family::IPV4_UNICAST, &mut out);
        assert_eq!(
            hex::encode_upper(&out),
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170200000000"
        );
        out.clear();
        encode_end_of_rib(Family::IPV6_UNICAST, &mut out);
        assert_eq!(
            hex::encode_upper(&out),
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001E0200000007900F0003000201"
        );
    }

    #[test]
    fn nothing_is_sent_when_attributes_cannot_fit() {
        let ctx = SessionContext::default();
        let a = PathAttributes {
            next_hop: Some("10.0.0.1".parse().unwrap()),
            unknown: vec![RawAttribute {
                flags: 0xc0,
                code: 99,
                value: bytes::Bytes::from(vec![0; 5000]),
            }],
            ..Default::default()
        };
        let n = Nlri::Prefix {
            prefix: "10.0.0.0/8".parse().unwrap(),
            path_id: None,
        };
        let mut out = BytesMut::new();
        let b = UpdateBuilder::new(&ctx);
        assert_eq!(b.announce(Family::IPV4_UNICAST, &a, [&n], &mut out), 0);
        assert_eq!(b.announce(Family::IPV6_UNICAST, &a, [&n], &mut out), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn extended_length_only_when_needed() {
        let mut out = BytesMut::new();
        put_attribute(&mut out, O | T, 8, |o| o.extend_from_slice(&[0; 255]));
        assert_eq!(&out[..3], &[0xc0, 8, 255]);
        out.clear();
        put_attribute(&mut out, O | T | attr_flag::EXTENDED_LENGTH, 8, |o| {
            o.extend_from_slice(&[0; 256])
        });
        assert_eq!(&out[..4], &[0xd0, 8, 1, 0]);
        assert_eq!(out.len(), 260);
    }
}
