//! NLRI views: validated once, then iterated without allocation.
//!
//! Prefix encoding (RFC 4271 §4.3): a length in bits, then the fewest octets holding it.
//! ADD-PATH (RFC 7911 §3) puts a 4-octet path identifier before each NLRI. Labeled unicast
//! (RFC 8277) and VPN (RFC 4364 §4.3.4) put labels and an RD inside the bit length.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use nom::bytes::complete::take;
use nom::number::complete::be_u8;
use nom::Parser;

use crate::flowspec::{FlowNlri, FlowRule};
use crate::model::{Afi, Family, Labels, Nlri, RouteDistinguisher, Safi};

/// How the NLRI of a family is laid out on the wire, which tells where one ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NlriLayout {
    Prefix {
        v6: bool,
    },
    Labeled {
        v6: bool,
    },
    Vpn {
        v6: bool,
    },
    /// RFC 8955 §4.1: 1 or 2 octet length; `vpn` when an RD leads the value.
    Flow {
        vpn: bool,
    },
    /// Route type (1 octet), length (1 octet), value: EVPN, MVPN.
    TypeLen8,
    /// BGP-MUP (draft-mpmz-bess-mup-safi §3): architecture type (1 octet), route type
    /// (2 octets), length (1 octet), value.
    ArchTypeLen8,
    /// NLRI type (2 octets), length (2 octets), value: BGP-LS (RFC 9552 §5.2).
    TypeLen16,
    /// Length (2 octets) then value: VPLS (RFC 4761 §3.2.2).
    Len16,
    /// Length in bits (1 octet) then value: RTC (RFC 4684), SR Policy (RFC 9830).
    BitLen,
    /// Unknown family: the whole field is one NLRI.
    Opaque,
}

impl NlriLayout {
    pub fn of(family: Family) -> NlriLayout {
        let v6 = family.afi == Afi::IPV6;
        let ip = matches!(family.afi, Afi::IPV4 | Afi::IPV6);
        match family.safi {
            Safi::UNICAST | Safi::MULTICAST if ip => NlriLayout::Prefix { v6 },
            Safi::MPLS_LABEL if ip => NlriLayout::Labeled { v6 },
            Safi::MPLS_VPN if ip => NlriLayout::Vpn { v6 },
            Safi::FLOW if ip => NlriLayout::Flow { vpn: false },
            Safi::FLOW_VPN if ip => NlriLayout::Flow { vpn: true },
            Safi::EVPN | Safi::MCAST_VPN => NlriLayout::TypeLen8,
            Safi::MUP => NlriLayout::ArchTypeLen8,
            Safi::BGP_LS | Safi::BGP_LS_VPN => NlriLayout::TypeLen16,
            Safi::VPLS => NlriLayout::Len16,
            Safi::RTC | Safi::SR_POLICY => NlriLayout::BitLen,
            _ => NlriLayout::Opaque,
        }
    }
}

/// One NLRI seen in a received message, borrowing the message's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NlriView<'a> {
    Prefix {
        path_id: Option<u32>,
        prefix: IpNet,
    },
    Labeled {
        path_id: Option<u32>,
        /// The label stack entries, 3 octets each.
        labels: &'a [u8],
        prefix: IpNet,
    },
    Vpn {
        path_id: Option<u32>,
        labels: &'a [u8],
        rd: RouteDistinguisher,
        prefix: IpNet,
    },
    Flow {
        path_id: Option<u32>,
        rd: Option<RouteDistinguisher>,
        /// The flowspec components (after the length and the RD), for `crate::flowspec`.
        components: &'a [u8],
        /// The whole NLRI as on the wire (path id excluded).
        wire: &'a [u8],
    },
    /// A family not modelled here: the NLRI's bytes (path id excluded).
    Other {
        path_id: Option<u32>,
        wire: &'a [u8],
    },
}

/// Label stack entries as 20-bit values.
pub fn label_values(labels: &[u8]) -> impl Iterator<Item = u32> + '_ {
    labels
        .chunks_exact(3)
        .map(|c| ((c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32) >> 4)
}

impl NlriView<'_> {
    pub fn path_id(&self) -> Option<u32> {
        match *self {
            NlriView::Prefix { path_id, .. }
            | NlriView::Labeled { path_id, .. }
            | NlriView::Vpn { path_id, .. }
            | NlriView::Flow { path_id, .. }
            | NlriView::Other { path_id, .. } => path_id,
        }
    }

    /// The owned NLRI. Flow rules become `Nlri::Flow` when `crate::flowspec` round-trips
    /// them byte-exact, else (and for the other families) `Nlri::Raw` wire bytes, without
    /// the path id: ExaBGP neither shows one for these families nor keys its RIB with it.
    pub fn to_owned(&self, family: Family) -> Nlri {
        match *self {
            NlriView::Prefix { path_id, prefix } => Nlri::Prefix { prefix, path_id },
            NlriView::Labeled {
                path_id,
                labels,
                prefix,
            } => Nlri::Labeled {
                prefix,
                labels: owned_labels(labels),
                path_id,
            },
            NlriView::Vpn {
                path_id,
                labels,
                rd,
                prefix,
            } => Nlri::Vpn {
                rd,
                labels: owned_labels(labels),
                prefix,
                path_id,
            },
            NlriView::Flow {
                path_id: None,
                wire,
                ..
            } if flow_rule(family, wire).is_some() => {
                let (rd, rule) = flow_rule(family, wire).unwrap_or_default();
                Nlri::Flow { rd, rule }
            }
            NlriView::Flow { wire, .. } | NlriView::Other { wire, .. } => Nlri::Raw {
                family,
                bytes: Bytes::copy_from_slice(wire),
            },
        }
    }
}

/// The owned flow rule of a flowspec NLRI, when `crate::flowspec` parses it and encodes it
/// back to the same bytes (so the owned form loses nothing); otherwise the NLRI stays raw.
fn flow_rule(family: Family, wire: &[u8]) -> Option<(Option<RouteDistinguisher>, FlowRule)> {
    let (view, used) =
        FlowNlri::parse(wire, family.afi == Afi::IPV6, family.safi == Safi::FLOW_VPN).ok()?;
    if used != wire.len() {
        return None;
    }
    let rule = view.to_rule();
    if rule.to_bytes(view.rd).ok()? != wire {
        return None;
    }
    Some((view.rd.map(|r| RouteDistinguisher(*r)), rule))
}

fn owned_labels(labels: &[u8]) -> Labels {
    // RFC 8277 §2.4: a withdrawn route's label field (0x800000 or 0) is not a label.
    if labels.len() == 3 {
        let w = (labels[0] as u32) << 16 | (labels[1] as u32) << 8 | labels[2] as u32;
        if w == Labels::WITHDRAW_COMPAT || w == 0 {
            return Labels(vec![]);
        }
    }
    Labels(label_values(labels).collect())
}

/// Why an NLRI field could not be parsed: the byte offset inside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlriError {
    pub offset: usize,
}

/// Iterates the NLRI of one field (withdrawn routes, NLRI, or an MP attribute's NLRI).
/// Construct with [`NlriIter::new`], which validates the whole field first; iteration then
/// cannot fail.
#[derive(Debug, Clone)]
pub struct NlriIter<'a> {
    data: &'a [u8],
    layout: NlriLayout,
    add_path: bool,
    withdraw: bool,
}

impl<'a> NlriIter<'a> {
    /// Validate `data` as NLRI of `layout`, `add_path` if path ids were negotiated for
    /// receiving, `withdraw` for MP_UNREACH / withdrawn routes (label handling, RFC 8277).
    pub fn new(
        data: &'a [u8],
        layout: NlriLayout,
        add_path: bool,
        withdraw: bool,
    ) -> Result<NlriIter<'a>, NlriError> {
        let it = NlriIter {
            data,
            layout,
            add_path,
            withdraw,
        };
        if let NlriLayout::Prefix { v6 } = layout {
            return match validate_prefixes(data, v6, add_path) {
                Ok(()) => Ok(it),
                Err(offset) => Err(NlriError { offset }),
            };
        }
        let mut rest = data;
        while !rest.is_empty() {
            match it.step(rest) {
                Some((_, r)) => rest = r,
                None => {
                    return Err(NlriError {
                        offset: data.len() - rest.len(),
                    })
                }
            }
        }
        Ok(it)
    }

    /// An iterator over a field already validated by [`NlriIter::new`] (the view keeps
    /// the offsets it validated, so iterating does not validate again).
    pub(crate) fn validated(
        data: &'a [u8],
        layout: NlriLayout,
        add_path: bool,
        withdraw: bool,
    ) -> NlriIter<'a> {
        NlriIter {
            data,
            layout,
            add_path,
            withdraw,
        }
    }

    /// An iterator over nothing.
    pub fn empty() -> NlriIter<'static> {
        NlriIter {
            data: &[],
            layout: NlriLayout::Opaque,
            add_path: false,
            withdraw: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The raw field.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Parse one NLRI at the head of `d`; `None` when malformed.
    #[inline]
    fn step(&self, d: &'a [u8]) -> Option<(NlriView<'a>, &'a [u8])> {
        let (path_id, d) = if self.add_path {
            let id = d.get(..4)?;
            (
                Some(u32::from_be_bytes([id[0], id[1], id[2], id[3]])),
                &d[4..],
            )
        } else {
            (None, d)
        };
        match self.layout {
            NlriLayout::Prefix { v6 } => {
                let (&bits, rest) = d.split_first()?;
                let (prefix, rest) = read_prefix(bits, rest, v6)?;
                Some((NlriView::Prefix { path_id, prefix }, rest))
            }
            NlriLayout::Labeled { v6 } | NlriLayout::Vpn { v6 } => {
                let vpn = matches!(self.layout, NlriLayout::Vpn { .. });
                let (&bits, rest) = d.split_first()?;
                let mut bits = bits as usize;
                let mut n = 0;
                // Labels until bottom of stack; RFC 8277 §2.4: a withdraw may carry one
                // label field whose value (0x800000, or 0 from older speakers) is not a
                // stack entry: only recognised in first position.
                loop {
                    let w = rest.get(n..n + 3)?;
                    bits = bits.checked_sub(24)?;
                    n += 3;
                    let word = (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32;
                    if word & 1 == 1
                        || (self.withdraw
                            && n == 3
                            && (word == Labels::WITHDRAW_COMPAT || word == 0))
                    {
                        break;
                    }
                }
                let (labels, rest) = rest.split_at(n);
                if vpn {
                    let rd = rest.get(..8)?;
                    bits = bits.checked_sub(64)?;
                    let mut r = [0u8; 8];
                    r.copy_from_slice(rd);
                    let (prefix, rest) = read_prefix(bits as u8, &rest[8..], v6)?;
                    Some((
                        NlriView::Vpn {
                            path_id,
                            labels,
                            rd: RouteDistinguisher(r),
                            prefix,
                        },
                        rest,
                    ))
                } else {
                    let (prefix, rest) = read_prefix(bits as u8, rest, v6)?;
                    Some((
                        NlriView::Labeled {
                            path_id,
                            labels,
                            prefix,
                        },
                        rest,
                    ))
                }
            }
            NlriLayout::Flow { vpn } => {
                let (&l0, _) = d.split_first()?;
                let (hl, len) = if l0 >= 0xf0 {
                    (2, ((l0 as usize & 0x0f) << 8) | *d.get(1)? as usize)
                } else {
                    (1, l0 as usize)
                };
                let wire = d.get(..hl + len)?;
                let value = &wire[hl..];
                let (rd, components) = if vpn {
                    let rd = value.get(..8)?;
                    let mut r = [0u8; 8];
                    r.copy_from_slice(rd);
                    (Some(RouteDistinguisher(r)), &value[8..])
                } else {
                    (None, value)
                };
                Some((
                    NlriView::Flow {
                        path_id,
                        rd,
                        components,
                        wire,
                    },
                    &d[hl + len..],
                ))
            }
            NlriLayout::TypeLen8 => {
                let len = *d.get(1)? as usize;
                let wire = d.get(..2 + len)?;
                Some((NlriView::Other { path_id, wire }, &d[2 + len..]))
            }
            NlriLayout::ArchTypeLen8 => {
                let len = *d.get(3)? as usize;
                let wire = d.get(..4 + len)?;
                Some((NlriView::Other { path_id, wire }, &d[4 + len..]))
            }
            NlriLayout::TypeLen16 => {
                let len = u16::from_be_bytes([*d.get(2)?, *d.get(3)?]) as usize;
                let wire = d.get(..4 + len)?;
                Some((NlriView::Other { path_id, wire }, &d[4 + len..]))
            }
            NlriLayout::Len16 => {
                let len = u16::from_be_bytes([*d.first()?, *d.get(1)?]) as usize;
                let wire = d.get(..2 + len)?;
                Some((NlriView::Other { path_id, wire }, &d[2 + len..]))
            }
            NlriLayout::BitLen => {
                let len = (*d.first()? as usize).div_ceil(8);
                let wire = d.get(..1 + len)?;
                Some((NlriView::Other { path_id, wire }, &d[1 + len..]))
            }
            NlriLayout::Opaque => {
                if d.is_empty() {
                    return None;
                }
                Some((NlriView::Other { path_id, wire: d }, &[]))
            }
        }
    }
}

impl<'a> Iterator for NlriIter<'a> {
    type Item = NlriView<'a>;

    /// Always inlined: the hot path is a few instructions, and a call to the whole of it
    /// (the other layouts included) costs more than the work (about 60 instructions a
    /// prefix instead of 15 where the compiler chose not to inline it).
    #[inline(always)]
    fn next(&mut self) -> Option<NlriView<'a>> {
        if self.data.is_empty() {
            return None;
        }
        // The hot path (unicast IPv4 without path ids), kept small enough to inline.
        if let (NlriLayout::Prefix { v6: false }, false) = (self.layout, self.add_path) {
            if let Some((prefix, rest)) = read_v4_prefix(self.data) {
                self.data = rest;
                return Some(NlriView::Prefix {
                    path_id: None,
                    prefix: IpNet::V4(prefix),
                });
            }
            self.data = &[];
            return None;
        }
        // The iterator is not handed out (it would then live in memory in the caller's
        // loop): its fields are.
        let (v, rest) = next_other(self.data, self.layout, self.add_path, self.withdraw);
        self.data = rest;
        v
    }
}

/// [`Iterator::next`] of [`NlriIter`] for the layouts other than IPv4 unicast without path
/// ids: the NLRI at the head of `data` and what follows it.
#[inline(never)]
fn next_other(
    data: &[u8],
    layout: NlriLayout,
    add_path: bool,
    withdraw: bool,
) -> (Option<NlriView<'_>>, &[u8]) {
    let it = NlriIter {
        data,
        layout,
        add_path,
        withdraw,
    };
    match it.step(data) {
        Some((v, rest)) => (Some(v), rest),
        // Validated at construction; unreachable, but never panic.
        None => (None, &[]),
    }
}

/// The hot path of validation: walk (path id,) length, octets without building values.
/// `Err` is the offset of the first malformed prefix.
#[inline(always)]
pub(crate) fn validate_prefixes(data: &[u8], v6: bool, add_path: bool) -> Result<(), usize> {
    let max = if v6 { 128 } else { 32 };
    let id = if add_path { 4 } else { 0 };
    let mut i = 0;
    while i < data.len() {
        let Some(&bits) = data.get(i + id) else {
            return Err(i);
        };
        if bits > max {
            return Err(i);
        }
        let next = i + id + 1 + (bits as usize).div_ceil(8);
        if next > data.len() {
            return Err(i);
        }
        i = next;
    }
    Ok(())
}

/// One IPv4 prefix (length, significant octets) at the head of `d`, without a copy of
/// variable length: the octets are folded into a word.
#[inline(always)]
fn read_v4_prefix(d: &[u8]) -> Option<(Ipv4Net, &[u8])> {
    let (rest, bits) = be_u8::<_, ()>(d).ok()?;
    if bits > 32 {
        return None;
    }
    let n = (bits as usize).div_ceil(8);
    let v = if let Some(w) = rest.first_chunk::<4>() {
        // Four octets are there: read them whole and mask, no loop of variable length.
        u32::from_be_bytes(*w)
    } else {
        let mut v = 0u32;
        for (i, &b) in rest.iter().take(n).enumerate() {
            v |= (b as u32) << (24 - 8 * i);
        }
        v
    };
    let (rest, _) = take::<_, _, ()>(n).parse_complete(rest).ok()?;
    let net = Ipv4Net::new(Ipv4Addr::from(v & mask32(bits)), bits).ok()?;
    Some((net, rest))
}

/// A prefix of `bits` length whose significant octets start `d`. Bits past the length
/// are cleared (RFC 4271 §4.3: trailing bits are irrelevant).
#[inline]
fn read_prefix(bits: u8, d: &[u8], v6: bool) -> Option<(IpNet, &[u8])> {
    let n = (bits as usize).div_ceil(8);
    if v6 {
        if bits > 128 {
            return None;
        }
        let src = d.get(..n)?;
        let mut a = [0u8; 16];
        a[..n].copy_from_slice(src);
        let v = u128::from_be_bytes(a) & mask128(bits);
        let net = Ipv6Net::new(Ipv6Addr::from(v), bits).ok()?;
        Some((IpNet::V6(net), &d[n..]))
    } else {
        if bits > 32 {
            return None;
        }
        let src = d.get(..n)?;
        let mut v = 0u32;
        for (i, &b) in src.iter().enumerate() {
            v |= (b as u32) << (24 - 8 * i);
        }
        let net = Ipv4Net::new(Ipv4Addr::from(v & mask32(bits)), bits).ok()?;
        Some((IpNet::V4(net), &d[n..]))
    }
}

#[inline]
fn mask32(bits: u8) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits as u32)
    }
}

#[inline]
fn mask128(bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits as u32)
    }
}

/// Write `prefix` as (length, significant octets).
pub(crate) fn write_prefix(out: &mut bytes::BytesMut, prefix: &IpNet, extra_bits: usize) {
    let bits = prefix.prefix_len() as usize;
    out.extend_from_slice(&[(bits + extra_bits) as u8]);
    write_prefix_octets(out, prefix);
}

pub(crate) fn write_prefix_octets(out: &mut bytes::BytesMut, prefix: &IpNet) {
    let n = (prefix.prefix_len() as usize).div_ceil(8);
    match prefix.addr() {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()[..n]),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()[..n]),
    }
}

/// Encoded size of one owned NLRI in an announcement (path id included when `add_path`).
pub fn nlri_len(nlri: &Nlri, add_path: bool) -> usize {
    nlri_len_for(nlri, add_path, false)
}

/// In a withdrawal, a label stack starting with label 0 would read as the RFC 8277 §2.4
/// withdraw marker 0x000000, so it is written as the marker 0x800000 alone (the receiver
/// ignores a withdrawn route's label anyway).
fn withdraw_marker_only(labels: &Labels, withdraw: bool) -> bool {
    withdraw && (labels.is_empty() || labels.0[0] == 0)
}

/// Encoded size of one owned NLRI, in a withdrawal when `withdraw`.
pub fn nlri_len_for(nlri: &Nlri, add_path: bool, withdraw: bool) -> usize {
    let id = if add_path { 4 } else { 0 };
    let plen = |p: &IpNet| 1 + (p.prefix_len() as usize).div_ceil(8);
    let lablen = |l: &Labels| {
        if withdraw_marker_only(l, withdraw) {
            3
        } else {
            3 * l.len().max(1)
        }
    };
    match nlri {
        Nlri::Prefix { prefix, .. } => id + plen(prefix),
        Nlri::Labeled { prefix, labels, .. } => id + plen(prefix) + lablen(labels),
        Nlri::Vpn { prefix, labels, .. } => id + plen(prefix) + lablen(labels) + 8,
        Nlri::Flow { rd, rule } => {
            let len = rule.body_len() + if rd.is_some() { 8 } else { 0 };
            len + if len < 0xf0 { 1 } else { 2 }
        }
        Nlri::Raw { bytes, .. } => id + bytes.len(),
    }
}

fn plen_octets(p: &IpNet) -> usize {
    (p.prefix_len() as usize).div_ceil(8)
}

/// Encode one owned NLRI. `withdraw` writes the RFC 8277 compatibility label for labeled
/// and VPN routes without labels. Flow rules are written by `crate::flowspec` (nothing is
/// written for a rule it refuses: empty or too long).
pub fn write_nlri(out: &mut bytes::BytesMut, nlri: &Nlri, add_path: bool, withdraw: bool) {
    let write_id = |out: &mut bytes::BytesMut, id: Option<u32>| {
        if add_path {
            out.extend_from_slice(&id.unwrap_or(0).to_be_bytes());
        }
    };
    let write_labels = |out: &mut bytes::BytesMut, labels: &Labels| {
        if withdraw_marker_only(labels, withdraw) {
            out.extend_from_slice(&Labels::WITHDRAW_COMPAT.to_be_bytes()[1..]);
            return;
        }
        if labels.is_empty() {
            out.extend_from_slice(&[0, 0, 0]);
        }
        for (i, l) in labels.0.iter().enumerate() {
            let bos = (i + 1 == labels.len()) as u32;
            out.extend_from_slice(&((l << 4) | bos).to_be_bytes()[1..]);
        }
    };
    match nlri {
        Nlri::Prefix { prefix, path_id } => {
            write_id(out, *path_id);
            write_prefix(out, prefix, 0);
        }
        Nlri::Labeled {
            prefix,
            labels,
            path_id,
        } => {
            write_id(out, *path_id);
            // Everything after the length octet, in bits, minus the prefix octets.
            let lbits = 8 * (nlri_len_for(nlri, false, withdraw) - 1 - plen_octets(prefix));
            out.extend_from_slice(&[(prefix.prefix_len() as usize + lbits) as u8]);
            write_labels(out, labels);
            write_prefix_octets(out, prefix);
        }
        Nlri::Vpn {
            rd,
            labels,
            prefix,
            path_id,
        } => {
            write_id(out, *path_id);
            let lbits = 8 * (nlri_len_for(nlri, false, withdraw) - 1 - plen_octets(prefix));
            out.extend_from_slice(&[(prefix.prefix_len() as usize + lbits) as u8]);
            write_labels(out, labels);
            out.extend_from_slice(&rd.0);
            write_prefix_octets(out, prefix);
        }
        Nlri::Flow { rd, rule } => {
            if let Ok(v) = rule.to_bytes(rd.as_ref().map(|r| &r.0)) {
                out.extend_from_slice(&v);
            }
        }
        Nlri::Raw { bytes, .. } => {
            write_id(out, None);
            out.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_prefixes() {
        // 10.0.0.0/8, 192.168.1.0/24, 0.0.0.0/0
        let d = [8, 10, 24, 192, 168, 1, 0];
        let it = NlriIter::new(&d, NlriLayout::Prefix { v6: false }, false, false).unwrap();
        let v: Vec<_> = it.map(|n| n.to_owned(Family::IPV4_UNICAST)).collect();
        assert_eq!(
            v,
            vec![
                Nlri::Prefix {
                    prefix: "10.0.0.0/8".parse().unwrap(),
                    path_id: None
                },
                Nlri::Prefix {
                    prefix: "192.168.1.0/24".parse().unwrap(),
                    path_id: None
                },
                Nlri::Prefix {
                    prefix: "0.0.0.0/0".parse().unwrap(),
                    path_id: None
                },
            ]
        );
    }

    #[test]
    fn bad_prefixes_rejected() {
        for d in [&[33u8, 1, 2, 3, 4, 5][..], &[24, 1, 2], &[8]] {
            assert!(NlriIter::new(d, NlriLayout::Prefix { v6: false }, false, false).is_err());
        }
        assert!(NlriIter::new(&[129], NlriLayout::Prefix { v6: true }, false, false).is_err());
        assert!(NlriIter::new(&[0, 0, 0], NlriLayout::Prefix { v6: true }, true, false).is_err());
    }

    #[test]
    fn withdraw_label_markers_rfc8277() {
        // Labeled 10.0.0.0/8 withdrawn with 0x800000, then with 0x000000: no label.
        for marker in [[0x80u8, 0, 0], [0, 0, 0]] {
            let mut d = vec![8 + 24];
            d.extend_from_slice(&marker);
            d.push(10);
            let mut it = NlriIter::new(&d, NlriLayout::Labeled { v6: false }, false, true).unwrap();
            assert_eq!(
                it.next().unwrap().to_owned(Family::IPV4_MPLS_LABEL),
                Nlri::Labeled {
                    prefix: "10.0.0.0/8".parse().unwrap(),
                    labels: Labels(vec![]),
                    path_id: None
                }
            );
            // In an announcement 0x000000 is label 0 without bottom of stack: malformed here.
            assert!(NlriIter::new(&d, NlriLayout::Labeled { v6: false }, false, false).is_err());
        }
        // A withdrawn stack starting with label 0 is written as the marker alone.
        let n = Nlri::Labeled {
            prefix: "10.0.0.0/8".parse().unwrap(),
            labels: Labels(vec![0, 100]),
            path_id: None,
        };
        let mut out = bytes::BytesMut::new();
        write_nlri(&mut out, &n, false, true);
        assert_eq!(&out[..], &[32, 0x80, 0, 0, 10]);
        assert_eq!(nlri_len_for(&n, false, true), out.len());
    }

    #[test]
    fn vpn_from_exabgp_bytes() {
        // conf-vpn.ci: label 1000, rd 65000:1, 10.0.0.0/25
        let d = hex::decode("71003E810000FDE8000000010A000000").unwrap();
        let mut it = NlriIter::new(&d, NlriLayout::Vpn { v6: false }, false, false).unwrap();
        let n = it.next().unwrap().to_owned(Family::IPV4_MPLS_VPN);
        assert_eq!(
            n,
            Nlri::Vpn {
                rd: "65000:1".parse().unwrap(),
                labels: Labels(vec![1000]),
                prefix: "10.0.0.0/25".parse().unwrap(),
                path_id: None
            }
        );
        assert!(it.next().is_none());
    }
}
