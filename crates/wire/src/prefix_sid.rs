//! BGP Prefix-SID attribute (RFC 8669, code 40) with the SRv6 service TLVs of RFC 9252:
//! an owned form to originate it (`bgp-prefix-sid [ … ]` and `bgp-prefix-sid-srv6 ( … )` in
//! ExaBGP's text), a parser, and ExaBGP's JSON.
//!
//! TLVs: type (1), length (2), value. Label-Index (1): reserved, flags (2), index (4).
//! Originator SRGB (3): flags (2), then (base, range) pairs of 3 octets each. SRv6 L3 (5)
//! and L2 (6) services: reserved, then sub-TLVs (type 1, length 2) of SRv6 SID information:
//! reserved, SID (16), flags, endpoint behavior (2), reserved, then sub-sub-TLVs, of which
//! the SID structure (1): locator block, locator node, function, argument, transposition
//! length and offset. Unknown TLVs and sub-TLVs are kept as bytes.

use std::io::Write as _;
use std::net::Ipv6Addr;

use bytes::Bytes;

use crate::model::{attr_flag, RawAttribute};

/// BGP Prefix-SID attribute type code.
pub const PREFIX_SID: u8 = 40;

/// SRv6 SID information (RFC 9252 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Srv6SidInfo {
    pub sid: Ipv6Addr,
    pub flags: u8,
    pub behavior: u16,
    /// The SID structure sub-sub-TLV: block, node, function, argument, transposition
    /// length, transposition offset.
    pub structure: Option<[u8; 6]>,
}

/// One sub-TLV of an SRv6 service TLV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Srv6SubTlv {
    SidInformation(Srv6SidInfo),
    Unknown { code: u8, value: Bytes },
}

/// One TLV of the attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrefixSidTlv {
    LabelIndex {
        flags: u16,
        index: u32,
    },
    /// (base, range) pairs, 24 bits each.
    Srgb {
        flags: u16,
        ranges: Vec<(u32, u32)>,
    },
    Srv6L3Service(Vec<Srv6SubTlv>),
    Srv6L2Service(Vec<Srv6SubTlv>),
    Unknown {
        code: u8,
        value: Bytes,
    },
}

/// The Prefix-SID attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PrefixSid {
    pub tlvs: Vec<PrefixSidTlv>,
}

fn tlvs3(mut d: &[u8]) -> impl Iterator<Item = Option<(u8, &[u8])>> + Clone {
    std::iter::from_fn(move || {
        if d.is_empty() {
            return None;
        }
        let l = d
            .get(1..3)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize);
        let Some(v) = l.and_then(|l| d.get(3..3 + l)) else {
            d = &[];
            return Some(None);
        };
        let t = d[0];
        d = &d[3 + v.len()..];
        Some(Some((t, v)))
    })
}

fn put3(out: &mut Vec<u8>, t: u8, f: impl FnOnce(&mut Vec<u8>)) -> Option<()> {
    let start = out.len();
    out.extend_from_slice(&[t, 0, 0]);
    f(out);
    let len = u16::try_from(out.len() - start - 3).ok()?;
    out[start + 1..start + 3].copy_from_slice(&len.to_be_bytes());
    Some(())
}

fn u24(d: &[u8]) -> u32 {
    u32::from_be_bytes([0, d[0], d[1], d[2]])
}

impl PrefixSid {
    /// ExaBGP's `bgp-prefix-sid [ INDEX ]` / `[ INDEX, [ ( BASE,RANGE ) … ] ]`.
    pub fn label_index(index: u32, srgbs: &[(u32, u32)]) -> PrefixSid {
        let mut tlvs = vec![PrefixSidTlv::LabelIndex { flags: 0, index }];
        if !srgbs.is_empty() {
            tlvs.push(PrefixSidTlv::Srgb {
                flags: 0,
                ranges: srgbs.to_vec(),
            });
        }
        PrefixSid { tlvs }
    }

    /// ExaBGP's `bgp-prefix-sid-srv6 ( l3-service SID BEHAVIOR [LB,LN,FUN,ARG,TL,TO] )`
    /// (`l2` for `l2-service`).
    pub fn srv6_service(
        l2: bool,
        sid: Ipv6Addr,
        behavior: u16,
        structure: Option<[u8; 6]>,
    ) -> PrefixSid {
        let sub = vec![Srv6SubTlv::SidInformation(Srv6SidInfo {
            sid,
            flags: 0,
            behavior,
            structure,
        })];
        PrefixSid {
            tlvs: vec![if l2 {
                PrefixSidTlv::Srv6L2Service(sub)
            } else {
                PrefixSidTlv::Srv6L3Service(sub)
            }],
        }
    }

    /// Parse the attribute value into the owned form; `None` when the TLVs do not fit.
    /// Received attributes are better read through [`PrefixSidView::parse`], which does not
    /// allocate.
    pub fn parse(v: &[u8]) -> Option<PrefixSid> {
        PrefixSidView::parse(v).map(|p| p.to_owned())
    }

    /// The attribute value; `None` when a length overflows.
    pub fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        for t in &self.tlvs {
            match t {
                PrefixSidTlv::LabelIndex { flags, index } => put3(out, 1, |o| {
                    o.push(0);
                    o.extend_from_slice(&flags.to_be_bytes());
                    o.extend_from_slice(&index.to_be_bytes());
                })?,
                PrefixSidTlv::Srgb { flags, ranges } => put3(out, 3, |o| {
                    o.extend_from_slice(&flags.to_be_bytes());
                    for (b, r) in ranges {
                        o.extend_from_slice(&b.to_be_bytes()[1..]);
                        o.extend_from_slice(&r.to_be_bytes()[1..]);
                    }
                })?,
                PrefixSidTlv::Srv6L3Service(subs) | PrefixSidTlv::Srv6L2Service(subs) => {
                    let code = if matches!(t, PrefixSidTlv::Srv6L3Service(_)) {
                        5
                    } else {
                        6
                    };
                    let mut inner = vec![0u8];
                    for s in subs {
                        match s {
                            Srv6SubTlv::SidInformation(i) => put3(&mut inner, 1, |o| {
                                o.push(0);
                                o.extend_from_slice(&i.sid.octets());
                                o.push(i.flags);
                                o.extend_from_slice(&i.behavior.to_be_bytes());
                                o.push(0);
                                if let Some(st) = i.structure {
                                    o.extend_from_slice(&[1, 0, 6]);
                                    o.extend_from_slice(&st);
                                }
                            })?,
                            Srv6SubTlv::Unknown { code, value } => {
                                put3(&mut inner, *code, |o| o.extend_from_slice(value))?
                            }
                        }
                    }
                    put3(out, code, |o| o.extend_from_slice(&inner))?
                }
                PrefixSidTlv::Unknown { code, value } => {
                    put3(out, *code, |o| o.extend_from_slice(value))?
                }
            }
        }
        Some(())
    }

    /// As an attribute for `PathAttributes::unknown` (optional, transitive).
    pub fn to_attribute(&self) -> Option<RawAttribute> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Some(RawAttribute {
            flags: attr_flag::OPTIONAL | attr_flag::TRANSITIVE,
            code: PREFIX_SID,
            value: Bytes::from(v),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Views of a received attribute
// ---------------------------------------------------------------------------------------------

/// One sub-TLV of a received SRv6 service TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Srv6SubTlvView<'a> {
    SidInformation(Srv6SidInfo),
    /// Any other sub-TLV, or SID information not as RFC 9252 has it.
    Unknown {
        code: u8,
        value: &'a [u8],
    },
}

impl<'a> Srv6SubTlvView<'a> {
    fn read(code: u8, sv: &'a [u8]) -> Srv6SubTlvView<'a> {
        let info = (|| {
            if code != 1 || sv.len() < 21 || sv[0] != 0 || sv[20] != 0 {
                return None;
            }
            let sid: [u8; 16] = sv[1..17].try_into().ok()?;
            let structure = match &sv[21..] {
                [] => None,
                [1, 0, 6, s @ ..] if s.len() == 6 => Some(<[u8; 6]>::try_from(s).ok()?),
                _ => return None,
            };
            Some(Srv6SidInfo {
                sid: Ipv6Addr::from(sid),
                flags: sv[17],
                behavior: u16::from_be_bytes([sv[18], sv[19]]),
                structure,
            })
        })();
        match info {
            Some(i) => Srv6SubTlvView::SidInformation(i),
            None => Srv6SubTlvView::Unknown { code, value: sv },
        }
    }

    pub fn to_owned(&self) -> Srv6SubTlv {
        match *self {
            Self::SidInformation(i) => Srv6SubTlv::SidInformation(i),
            Self::Unknown { code, value } => Srv6SubTlv::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }
}

/// The sub-TLVs of a received SRv6 service TLV (validated: each fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Srv6ServiceView<'a>(&'a [u8]);

impl<'a> Srv6ServiceView<'a> {
    /// The TLV's value: a reserved octet (zero), then sub-TLVs that fit.
    fn read(v: &'a [u8]) -> Option<Srv6ServiceView<'a>> {
        if v.first() != Some(&0) {
            return None;
        }
        for t in tlvs3(&v[1..]) {
            t?;
        }
        Some(Srv6ServiceView(&v[1..]))
    }

    pub fn sub_tlvs(&self) -> impl Iterator<Item = Srv6SubTlvView<'a>> + Clone + 'a {
        tlvs3(self.0)
            .map_while(|t| t)
            .map(|(code, v)| Srv6SubTlvView::read(code, v))
    }

    fn to_owned(self) -> Vec<Srv6SubTlv> {
        self.sub_tlvs().map(|s| s.to_owned()).collect()
    }
}

/// One TLV of a received Prefix-SID attribute, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrefixSidTlvView<'a> {
    LabelIndex {
        flags: u16,
        index: u32,
    },
    /// The (base, range) pairs, 6 octets each (see [`PrefixSidTlvView::srgb_ranges`]).
    Srgb {
        flags: u16,
        ranges: &'a [u8],
    },
    Srv6L3Service(Srv6ServiceView<'a>),
    Srv6L2Service(Srv6ServiceView<'a>),
    /// Any other TLV, or a known one not as RFC 8669 / RFC 9252 have it.
    Unknown {
        code: u8,
        value: &'a [u8],
    },
}

impl<'a> PrefixSidTlvView<'a> {
    fn read(code: u8, val: &'a [u8]) -> PrefixSidTlvView<'a> {
        let known = match code {
            1 if val.len() == 7 && val[0] == 0 => Some(Self::LabelIndex {
                flags: u16::from_be_bytes([val[1], val[2]]),
                index: u32::from_be_bytes([val[3], val[4], val[5], val[6]]),
            }),
            3 if val.len() >= 2 && (val.len() - 2) % 6 == 0 => Some(Self::Srgb {
                flags: u16::from_be_bytes([val[0], val[1]]),
                ranges: &val[2..],
            }),
            5 => Srv6ServiceView::read(val).map(Self::Srv6L3Service),
            6 => Srv6ServiceView::read(val).map(Self::Srv6L2Service),
            _ => None,
        };
        known.unwrap_or(Self::Unknown { code, value: val })
    }

    /// The (base, range) pairs of an SRGB TLV (none for the other TLVs).
    pub fn srgb_ranges(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        let d: &'a [u8] = match *self {
            Self::Srgb { ranges, .. } => ranges,
            _ => &[],
        };
        d.chunks_exact(6).map(|c| (u24(&c[..3]), u24(&c[3..])))
    }

    pub fn to_owned(&self) -> PrefixSidTlv {
        match *self {
            Self::LabelIndex { flags, index } => PrefixSidTlv::LabelIndex { flags, index },
            Self::Srgb { flags, .. } => PrefixSidTlv::Srgb {
                flags,
                ranges: self.srgb_ranges().collect(),
            },
            Self::Srv6L3Service(s) => PrefixSidTlv::Srv6L3Service(s.to_owned()),
            Self::Srv6L2Service(s) => PrefixSidTlv::Srv6L2Service(s.to_owned()),
            Self::Unknown { code, value } => PrefixSidTlv::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }
}

/// A received Prefix-SID attribute: every TLV fits (checked once, by
/// [`PrefixSidView::parse`]); its TLVs are then iterated as borrowed values and its JSON
/// written from it, with no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrefixSidView<'a>(&'a [u8]);

impl<'a> PrefixSidView<'a> {
    /// Validate the attribute value; `None` when the TLVs do not fit.
    pub fn parse(v: &'a [u8]) -> Option<PrefixSidView<'a>> {
        for t in tlvs3(v) {
            t?;
        }
        Some(PrefixSidView(v))
    }

    /// The TLVs, in wire order.
    pub fn tlvs(&self) -> impl Iterator<Item = PrefixSidTlvView<'a>> + Clone + 'a {
        tlvs3(self.0)
            .map_while(|t| t)
            .map(|(code, v)| PrefixSidTlvView::read(code, v))
    }

    pub fn to_owned(&self) -> PrefixSid {
        PrefixSid {
            tlvs: self.tlvs().map(|t| t.to_owned()).collect(),
        }
    }

    /// ExaBGP's `"bgp-prefix-sid":{…}`; `None` (nothing written) for what it does not render
    /// so (L2 service and unknown TLVs are then shown as a generic attribute).
    pub fn write_json(&self, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        let r = self.write_json_inner(out);
        if r.is_none() {
            out.truncate(start);
        }
        r
    }

    fn write_json_inner(&self, out: &mut Vec<u8>) -> Option<()> {
        out.extend_from_slice(b"\"bgp-prefix-sid\":{");
        for (k, t) in self.tlvs().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match t {
                PrefixSidTlvView::LabelIndex { index, .. } => {
                    let _ = write!(out, "\"sr-label-index\":{index}");
                }
                PrefixSidTlvView::Srgb { .. } => {
                    out.extend_from_slice(b"\"sr-srgbs\":[");
                    for (i, (b, r)) in t.srgb_ranges().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        let _ = write!(out, "[{b},{r}]");
                    }
                    out.push(b']');
                }
                PrefixSidTlvView::Srv6L3Service(s) => {
                    out.extend_from_slice(b"\"l3-service\":[");
                    for (i, sub) in s.sub_tlvs().enumerate() {
                        let Srv6SubTlvView::SidInformation(info) = sub else {
                            return None;
                        };
                        if i > 0 {
                            out.push(b',');
                        }
                        let _ = write!(
                            out,
                            "{{\"sid\":\"{}\",\"flags\":{},\"endpoint_behavior\":{}",
                            info.sid, info.flags, info.behavior
                        );
                        if let Some([lb, ln, f, a, tl, to]) = info.structure {
                            let _ = write!(
                                out,
                                ",\"structure\":{{\"locator-block-length\":{lb},\"locator-node-length\":{ln},\"function-length\":{f},\"argument-length\":{a},\"transposition-length\":{tl},\"transposition-offset\":{to}}}"
                            );
                        }
                        out.push(b'}');
                    }
                    out.push(b']');
                }
                _ => return None,
            }
        }
        out.push(b'}');
        Some(())
    }
}

/// Writes `"bgp-prefix-sid":{…}` for the attribute's value, from its view. Returns false
/// (and writes nothing) when ExaBGP would not render it so.
pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
    PrefixSidView::parse(v).is_some_and(|p| p.write_json(out).is_some())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// conf-prefix-sid.ci and conf-srv6-mup.ci values, built from ExaBGP's text fields.
    #[test]
    fn exabgp_values() {
        let enc = |p: PrefixSid| {
            let mut v = Vec::new();
            p.encode(&mut v).unwrap();
            hex::encode_upper(v)
        };
        assert_eq!(
            enc(PrefixSid::label_index(777, &[])),
            "01000700000000000309"
        );
        assert_eq!(
            enc(PrefixSid::label_index(
                300,
                &[(800000, 4096), (1000000, 5000)]
            )),
            "0100070000000000012C03000E00000C35000010000F4240001388"
        );
        let srv6 = PrefixSid::srv6_service(
            false,
            "2001:db8:1:1::".parse().unwrap(),
            0x48,
            Some([64, 24, 16, 0, 0, 0]),
        );
        // The attribute value in conf-srv6-mup.ci's first route.
        let h = "0500220001001E0020010DB800010001000000000000000000004800010006401810000000";
        assert_eq!(enc(srv6.clone()), h);
        let v = hex::decode(h).unwrap();
        assert_eq!(PrefixSid::parse(&v), Some(srv6));
    }

    pub(crate) fn tlv() -> impl Strategy<Value = PrefixSidTlv> {
        let info = (
            any::<[u8; 16]>(),
            any::<u8>(),
            any::<u16>(),
            proptest::option::of(any::<[u8; 6]>()),
        )
            .prop_map(|(s, flags, behavior, structure)| {
                Srv6SubTlv::SidInformation(Srv6SidInfo {
                    sid: Ipv6Addr::from(s),
                    flags,
                    behavior,
                    structure,
                })
            });
        prop_oneof![
            (any::<u16>(), any::<u32>())
                .prop_map(|(flags, index)| PrefixSidTlv::LabelIndex { flags, index }),
            (
                any::<u16>(),
                proptest::collection::vec((0u32..0x100_0000, 0u32..0x100_0000), 0..3)
            )
                .prop_map(|(flags, ranges)| PrefixSidTlv::Srgb { flags, ranges }),
            proptest::collection::vec(info.clone(), 0..3).prop_map(PrefixSidTlv::Srv6L3Service),
            proptest::collection::vec(info, 0..3).prop_map(PrefixSidTlv::Srv6L2Service),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(tlvs in proptest::collection::vec(tlv(), 0..4)) {
            let p = PrefixSid { tlvs };
            let a = p.to_attribute().unwrap();
            prop_assert_eq!(PrefixSid::parse(&a.value), Some(p));
        }

        /// The view of an encoded attribute reads back every TLV and sub-TLV as encoded.
        #[test]
        fn view_round_trip(tlvs in proptest::collection::vec(tlv(), 0..4)) {
            let p = PrefixSid { tlvs };
            let a = p.to_attribute().unwrap();
            let v = PrefixSidView::parse(&a.value).unwrap();
            prop_assert_eq!(v.tlvs().count(), p.tlvs.len());
            for (tv, to) in v.tlvs().zip(&p.tlvs) {
                prop_assert_eq!(&tv.to_owned(), to);
                match (tv, to) {
                    (PrefixSidTlvView::Srgb { .. }, PrefixSidTlv::Srgb { ranges, .. }) => {
                        prop_assert!(tv.srgb_ranges().eq(ranges.iter().copied()));
                    }
                    (PrefixSidTlvView::Srv6L3Service(s) | PrefixSidTlvView::Srv6L2Service(s),
                     PrefixSidTlv::Srv6L3Service(o) | PrefixSidTlv::Srv6L2Service(o)) => {
                        prop_assert_eq!(s.sub_tlvs().count(), o.len());
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(v.to_owned(), p);
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Some(v) = PrefixSidView::parse(&d) {
                for t in v.tlvs() {
                    t.srgb_ranges().for_each(drop);
                    if let PrefixSidTlvView::Srv6L3Service(s) | PrefixSidTlvView::Srv6L2Service(s) = t {
                        s.sub_tlvs().for_each(drop);
                    }
                }
                let mut j = b"x".to_vec();
                if v.write_json(&mut j).is_none() {
                    prop_assert_eq!(j, b"x".to_vec(), "nothing written on failure");
                }
            }
            if let Some(p) = PrefixSid::parse(&d) {
                let mut v = Vec::new();
                p.encode(&mut v).unwrap();
                prop_assert_eq!(PrefixSid::parse(&v), Some(p));
            }
            let mut j = b"{".to_vec();
            if write_attribute_json(&mut j, &d) {
                j.push(b'}');
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
        }
    }
}
