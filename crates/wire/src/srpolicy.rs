//! SR Policy (RFC 9830): the NLRI of families ipv4/ipv6 sr-policy (SAFI 73) and the
//! Tunnel Encapsulation attribute (RFC 9012, code 23) with the SR Policy sub-TLVs.
//!
//! NLRI: a length in bits (96 or 192), distinguisher (4), color (4), endpoint (4 or 16).
//! Attribute: tunnel TLVs (type 2, length 2) holding sub-TLVs (type 1, length 1 below type
//! 128, 2 from 128, RFC 9012 §2). The SR Policy tunnel (type 15) sub-TLVs parsed here:
//! preference (12), binding SID (13), SRv6 binding SID (20), priority (15), candidate path
//! name (129), policy name (130) and segment lists (128) with weight (9) and segments of type
//! A (1, MPLS label) and B (13, SRv6 SID with optional endpoint behavior and structure).
//! Anything else is kept as bytes; the attribute's JSON is then ExaBGP's generic form.
//!
//! ExaBGP's text (`announce ipv4 sr-policy distinguisher D color C endpoint E preference P
//! binding-sid mpls L | srv6-binding-sid S segment-list weight W segment type-a mpls L |
//! type-b srv6 S [endpoint-behavior B LB LN FUN ARG] policy-name "N" candidate-path-name "N"`)
//! maps onto [`SrPolicy::new`], [`TunnelSubTlv`] and [`SegmentList`].

use std::io::Write as _;
use std::net::{IpAddr, Ipv6Addr};

use bytes::Bytes;

use crate::fields;
use crate::model::{attr_flag, Afi, Family, Nlri, RawAttribute, Safi};

/// Tunnel Encapsulation attribute type code.
pub const TUNNEL_ENCAPSULATION: u8 = 23;
/// The SR Policy tunnel type (RFC 9830 §2.1).
pub const SR_POLICY_TUNNEL: u16 = 15;

/// One SR Policy NLRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SrPolicy {
    pub distinguisher: u32,
    pub color: u32,
    pub endpoint: IpAddr,
}

impl SrPolicy {
    pub fn new(distinguisher: u32, color: u32, endpoint: IpAddr) -> SrPolicy {
        SrPolicy {
            distinguisher,
            color,
            endpoint,
        }
    }

    /// Parse one NLRI (length octet included, path id excluded).
    pub fn parse(wire: &[u8]) -> Option<SrPolicy> {
        let v6 = match (*wire.first()?, wire.len()) {
            (96, 13) => false,
            (192, 25) => true,
            _ => return None,
        };
        Some(SrPolicy {
            distinguisher: fields::u32_at(wire, 1)?,
            color: fields::u32_at(wire, 5)?,
            endpoint: fields::ip(&wire[9..], v6)?,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(if self.endpoint.is_ipv6() { 192 } else { 96 });
        out.extend_from_slice(&self.distinguisher.to_be_bytes());
        out.extend_from_slice(&self.color.to_be_bytes());
        fields::put_ip(out, &self.endpoint);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(25);
        self.encode(&mut v);
        Bytes::from(v)
    }

    /// The NLRI, of ipv6 sr-policy when the endpoint is IPv6, else ipv4 sr-policy.
    pub fn to_nlri(&self) -> Nlri {
        let afi = if self.endpoint.is_ipv6() {
            Afi::IPV6
        } else {
            Afi::IPV4
        };
        Nlri::Raw {
            family: Family::new(afi, Safi::SR_POLICY),
            bytes: self.to_bytes(),
        }
    }

    pub fn from_nlri(n: &Nlri) -> Option<SrPolicy> {
        match n {
            Nlri::Raw { family, bytes } if family.safi == Safi::SR_POLICY => SrPolicy::parse(bytes),
            _ => None,
        }
    }

    /// ExaBGP's JSON object: `{"distinguisher":0,"color":100,"endpoint":"10.0.0.1"}`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let _ = std::io::Write::write_fmt(
            out,
            format_args!(
                "{{\"distinguisher\":{},\"color\":{},\"endpoint\":\"{}\"}}",
                self.distinguisher, self.color, self.endpoint
            ),
        );
    }
}

/// A binding SID value (RFC 9830 §2.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindingSid {
    None,
    /// The 4-octet MPLS label stack entry (label in the top 20 bits).
    Mpls(u32),
    Srv6(Ipv6Addr),
}

/// SRv6 endpoint behavior and SID structure (RFC 9830 §2.4.4.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointBehavior {
    pub behavior: u16,
    pub lb_length: u8,
    pub ln_length: u8,
    pub fun_length: u8,
    pub arg_length: u8,
}

impl EndpointBehavior {
    fn read(d: &[u8]) -> Option<EndpointBehavior> {
        let d = d.get(..8)?;
        Some(EndpointBehavior {
            behavior: u16::from_be_bytes([d[0], d[1]]),
            lb_length: d[4],
            ln_length: d[5],
            fun_length: d[6],
            arg_length: d[7],
        })
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.behavior.to_be_bytes());
        out.extend_from_slice(&[0, 0, self.lb_length, self.ln_length]);
        out.extend_from_slice(&[self.fun_length, self.arg_length]);
    }
    fn json(&self, s: &mut Vec<u8>) {
        let _ = write!(
            s,
            "{{\"behavior\":{},\"lb-length\":{},\"ln-length\":{},\"fun-length\":{},\"arg-length\":{}}}",
            self.behavior, self.lb_length, self.ln_length, self.fun_length, self.arg_length
        );
    }
}

/// One segment of a segment list (RFC 9830 §2.4.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Type A: flags and the 4-octet label stack entry (label, TC, S, TTL).
    A {
        flags: u8,
        entry: u32,
    },
    /// Type B: flags, SRv6 SID, the endpoint behavior when the B flag (0x10) is set.
    B {
        flags: u8,
        sid: Ipv6Addr,
        behavior: Option<EndpointBehavior>,
    },
    Unknown {
        code: u8,
        value: Bytes,
    },
}

impl Segment {
    /// ExaBGP's `segment type-a mpls LABEL` (bottom-of-stack set, TC and TTL 0).
    pub fn mpls(label: u32) -> Segment {
        Segment::A {
            flags: 0,
            entry: ((label & 0xF_FFFF) << 12) | 0x100,
        }
    }

    /// ExaBGP's `segment type-b srv6 SID [endpoint-behavior …]`.
    pub fn srv6(sid: Ipv6Addr, behavior: Option<EndpointBehavior>) -> Segment {
        Segment::B {
            flags: if behavior.is_some() { 0x10 } else { 0 },
            sid,
            behavior,
        }
    }
}

/// A segment list (sub-TLV 128): an optional weight and the segments, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SegmentList {
    /// (flags, weight).
    pub weight: Option<(u8, u32)>,
    pub segments: Vec<Segment>,
}

/// One sub-TLV of an SR Policy tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TunnelSubTlv {
    /// 12.
    Preference {
        flags: u8,
        preference: u32,
    },
    /// 13.
    BindingSid {
        flags: u8,
        sid: BindingSid,
    },
    /// 15.
    Priority {
        priority: u8,
    },
    /// 20.
    Srv6BindingSid {
        flags: u8,
        sid: Ipv6Addr,
        behavior: Option<EndpointBehavior>,
    },
    /// 128.
    SegmentList(SegmentList),
    /// 129.
    CandidatePathName(Bytes),
    /// 130.
    PolicyName(Bytes),
    Unknown {
        code: u8,
        value: Bytes,
    },
}

/// One tunnel TLV of the attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub tunnel_type: u16,
    pub sub_tlvs: Vec<TunnelSubTlv>,
}

/// The Tunnel Encapsulation attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TunnelEncapsulation {
    pub tunnels: Vec<Tunnel>,
}

/// Sub-TLVs: type, then a 1-octet length below 128 and 2 octets from 128 (RFC 9012 §2).
fn sub_tlvs(mut d: &[u8]) -> impl Iterator<Item = Option<(u8, &[u8])>> + Clone {
    std::iter::from_fn(move || {
        if d.is_empty() {
            return None;
        }
        let t = d[0];
        let (hl, len) = if t < 128 {
            (2, d.get(1).map(|l| *l as usize))
        } else {
            (3, fields::u16_at(d, 1).map(usize::from))
        };
        let Some(v) = len.and_then(|l| d.get(hl..hl + l)) else {
            d = &[];
            return Some(None);
        };
        d = &d[hl + v.len()..];
        Some(Some((t, v)))
    })
}

fn put_sub(out: &mut Vec<u8>, t: u8, f: impl FnOnce(&mut Vec<u8>)) -> Option<()> {
    let start = out.len();
    out.push(t);
    let hl = if t < 128 { 1 } else { 2 };
    out.extend_from_slice(&[0; 2][..hl]);
    f(out);
    let len = out.len() - start - 1 - hl;
    if t < 128 {
        out[start + 1] = u8::try_from(len).ok()?;
    } else {
        out[start + 1..start + 3].copy_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    }
    Some(())
}

fn v6(d: &[u8]) -> Option<Ipv6Addr> {
    let a: [u8; 16] = d.get(..16)?.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}

// ---------------------------------------------------------------------------------------------
// Views of a received attribute
// ---------------------------------------------------------------------------------------------

/// One segment of a received segment list, borrowed from the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentView<'a> {
    A {
        flags: u8,
        entry: u32,
    },
    B {
        flags: u8,
        sid: Ipv6Addr,
        behavior: Option<EndpointBehavior>,
    },
    Unknown {
        code: u8,
        value: &'a [u8],
    },
}

impl<'a> SegmentView<'a> {
    fn read(t: u8, v: &'a [u8]) -> SegmentView<'a> {
        match t {
            1 if v.len() == 6 && v[1] == 0 => SegmentView::A {
                flags: v[0],
                entry: u32::from_be_bytes([v[2], v[3], v[4], v[5]]),
            },
            13 if (v.len() == 18 || v.len() == 26) && v[1] == 0 => match v6(&v[2..]) {
                Some(sid) => SegmentView::B {
                    flags: v[0],
                    sid,
                    behavior: EndpointBehavior::read(&v[18..]),
                },
                None => SegmentView::Unknown { code: t, value: v },
            },
            _ => SegmentView::Unknown { code: t, value: v },
        }
    }

    pub fn to_owned(&self) -> Segment {
        match *self {
            SegmentView::A { flags, entry } => Segment::A { flags, entry },
            SegmentView::B {
                flags,
                sid,
                behavior,
            } => Segment::B {
                flags,
                sid,
                behavior,
            },
            SegmentView::Unknown { code, value } => Segment::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }
}

/// A received segment list (sub-TLV 128): its weight, and its segments as validated bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentListView<'a> {
    /// (flags, weight).
    pub weight: Option<(u8, u32)>,
    segments: &'a [u8],
}

impl<'a> SegmentListView<'a> {
    /// The value after the reserved octet. `None` when a sub-TLV does not fit or a weight
    /// is anywhere but first (it would not keep its place in the owned form; the list is
    /// then kept as bytes).
    fn read(d: &'a [u8]) -> Option<SegmentListView<'a>> {
        let mut weight = None;
        for (k, s) in sub_tlvs(d).enumerate() {
            let (t, v) = s?;
            if t == 9 {
                if k > 0 || v.len() != 6 || v[1] != 0 {
                    return None;
                }
                weight = Some((v[0], fields::u32_at(v, 2)?));
            }
        }
        Some(SegmentListView {
            weight,
            // A weight is 8 octets: type, length, flags, reserved, weight.
            segments: if weight.is_some() { &d[8..] } else { d },
        })
    }

    /// The segments, in wire order.
    pub fn segments(&self) -> impl Iterator<Item = SegmentView<'a>> + Clone + 'a {
        sub_tlvs(self.segments)
            .map_while(|s| s)
            .map(|(t, v)| SegmentView::read(t, v))
    }

    pub fn to_owned(&self) -> SegmentList {
        SegmentList {
            weight: self.weight,
            segments: self.segments().map(|s| s.to_owned()).collect(),
        }
    }
}

/// One sub-TLV of a received tunnel, borrowed from the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelSubTlvView<'a> {
    Preference {
        flags: u8,
        preference: u32,
    },
    BindingSid {
        flags: u8,
        sid: BindingSid,
    },
    Priority {
        priority: u8,
    },
    Srv6BindingSid {
        flags: u8,
        sid: Ipv6Addr,
        behavior: Option<EndpointBehavior>,
    },
    SegmentList(SegmentListView<'a>),
    CandidatePathName(&'a [u8]),
    PolicyName(&'a [u8]),
    /// Any other sub-TLV, or a known one whose value is not as RFC 9830 has it.
    Unknown {
        code: u8,
        value: &'a [u8],
    },
}

impl<'a> TunnelSubTlvView<'a> {
    fn read(t: u8, v: &'a [u8]) -> TunnelSubTlvView<'a> {
        Self::read_known(t, v).unwrap_or(TunnelSubTlvView::Unknown { code: t, value: v })
    }

    fn read_known(t: u8, v: &'a [u8]) -> Option<TunnelSubTlvView<'a>> {
        // Reserved octets must be zero to be parsed (so encoding gives the same bytes).
        let reserved_ok = |at: usize| v.get(at) == Some(&0);
        Some(match t {
            12 if v.len() == 6 && reserved_ok(1) => TunnelSubTlvView::Preference {
                flags: v[0],
                preference: fields::u32_at(v, 2)?,
            },
            13 if reserved_ok(1) => TunnelSubTlvView::BindingSid {
                flags: v[0],
                sid: match v.len() {
                    2 => BindingSid::None,
                    6 => BindingSid::Mpls(fields::u32_at(v, 2)?),
                    18 => BindingSid::Srv6(v6(&v[2..])?),
                    _ => return None,
                },
            },
            15 if v.len() == 2 && reserved_ok(1) => TunnelSubTlvView::Priority { priority: v[0] },
            20 if reserved_ok(1) => TunnelSubTlvView::Srv6BindingSid {
                flags: v[0],
                sid: v6(v.get(2..)?)?,
                behavior: match v.len() {
                    18 => None,
                    26 => Some(EndpointBehavior::read(&v[18..])?),
                    _ => return None,
                },
            },
            128 if reserved_ok(0) => TunnelSubTlvView::SegmentList(SegmentListView::read(&v[1..])?),
            129 if reserved_ok(0) => TunnelSubTlvView::CandidatePathName(&v[1..]),
            130 if reserved_ok(0) => TunnelSubTlvView::PolicyName(&v[1..]),
            _ => return None,
        })
    }

    pub fn to_owned(&self) -> TunnelSubTlv {
        match *self {
            Self::Preference { flags, preference } => {
                TunnelSubTlv::Preference { flags, preference }
            }
            Self::BindingSid { flags, sid } => TunnelSubTlv::BindingSid { flags, sid },
            Self::Priority { priority } => TunnelSubTlv::Priority { priority },
            Self::Srv6BindingSid {
                flags,
                sid,
                behavior,
            } => TunnelSubTlv::Srv6BindingSid {
                flags,
                sid,
                behavior,
            },
            Self::SegmentList(l) => TunnelSubTlv::SegmentList(l.to_owned()),
            Self::CandidatePathName(n) => {
                TunnelSubTlv::CandidatePathName(Bytes::copy_from_slice(n))
            }
            Self::PolicyName(n) => TunnelSubTlv::PolicyName(Bytes::copy_from_slice(n)),
            Self::Unknown { code, value } => TunnelSubTlv::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }
}

/// One tunnel TLV of a received attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TunnelView<'a> {
    pub tunnel_type: u16,
    body: &'a [u8],
}

impl<'a> TunnelView<'a> {
    /// The sub-TLVs, in wire order.
    pub fn sub_tlvs(&self) -> impl Iterator<Item = TunnelSubTlvView<'a>> + Clone + 'a {
        sub_tlvs(self.body)
            .map_while(|s| s)
            .map(|(t, v)| TunnelSubTlvView::read(t, v))
    }

    pub fn to_owned(&self) -> Tunnel {
        Tunnel {
            tunnel_type: self.tunnel_type,
            sub_tlvs: self.sub_tlvs().map(|s| s.to_owned()).collect(),
        }
    }

    /// `"sr-policy":{…}`; `None` (with something written: the caller truncates) for what
    /// ExaBGP does not render so.
    fn write_json(&self, out: &mut Vec<u8>) -> Option<()> {
        if self.tunnel_type != SR_POLICY_TUNNEL {
            return None;
        }
        out.extend_from_slice(b"\"sr-policy\":{");
        let mut first = true;
        let mut sep = |out: &mut Vec<u8>| {
            if !first {
                out.push(b',');
            }
            first = false;
        };
        let mut lists = false;
        // The sub-TLVs in order, the segment lists gathered after them.
        for sub in self.sub_tlvs() {
            match sub {
                TunnelSubTlvView::Preference { preference, .. } => {
                    sep(out);
                    let _ = write!(out, "\"preference\":{preference}");
                }
                TunnelSubTlvView::BindingSid { sid, .. } => match sid {
                    BindingSid::None => {}
                    BindingSid::Mpls(w) => {
                        sep(out);
                        let _ = write!(
                            out,
                            "\"binding-sid\":{{\"type\":\"mpls\",\"label\":{}}}",
                            w >> 12
                        );
                    }
                    BindingSid::Srv6(a) => {
                        sep(out);
                        let _ =
                            write!(out, "\"binding-sid\":{{\"type\":\"srv6\",\"sid\":\"{a}\"}}");
                    }
                },
                TunnelSubTlvView::Priority { priority } => {
                    sep(out);
                    let _ = write!(out, "\"priority\":{priority}");
                }
                TunnelSubTlvView::Srv6BindingSid { sid, .. } => {
                    sep(out);
                    let _ = write!(out, "\"srv6-binding-sid\":\"{sid}\"");
                }
                TunnelSubTlvView::CandidatePathName(n) | TunnelSubTlvView::PolicyName(n) => {
                    let key = if matches!(sub, TunnelSubTlvView::PolicyName(_)) {
                        "policy-name"
                    } else {
                        "candidate-path-name"
                    };
                    let name = std::str::from_utf8(n).ok()?;
                    sep(out);
                    let _ = write!(out, "\"{key}\":");
                    serde_json::to_writer(&mut *out, name).ok()?;
                }
                TunnelSubTlvView::SegmentList(_) => lists = true,
                TunnelSubTlvView::Unknown { .. } => return None,
            }
        }
        if lists {
            sep(out);
            out.extend_from_slice(b"\"segment-lists\":[");
            let mut first_list = true;
            for sub in self.sub_tlvs() {
                let TunnelSubTlvView::SegmentList(l) = sub else {
                    continue;
                };
                if !first_list {
                    out.push(b',');
                }
                first_list = false;
                out.push(b'{');
                if let Some((_, w)) = l.weight {
                    let _ = write!(out, "\"weight\":{w},");
                }
                out.extend_from_slice(b"\"segments\":[");
                for (j, seg) in l.segments().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    match seg {
                        SegmentView::A { entry, .. } => {
                            let _ = write!(
                                out,
                                "{{\"type\":\"A\",\"label\":{},\"tc\":{},\"s\":{},\"ttl\":{}}}",
                                entry >> 12,
                                (entry >> 9) & 7,
                                entry & 0x100 != 0,
                                entry & 0xFF
                            );
                        }
                        SegmentView::B { sid, behavior, .. } => {
                            let _ = write!(out, "{{\"type\":\"B\",\"sid\":\"{sid}\"");
                            if let Some(b) = behavior {
                                out.extend_from_slice(b",\"endpoint-behavior\":");
                                b.json(out);
                            }
                            out.push(b'}');
                        }
                        SegmentView::Unknown { .. } => return None,
                    }
                }
                out.extend_from_slice(b"]}");
            }
            out.push(b']');
        }
        out.push(b'}');
        Some(())
    }
}

/// A received Tunnel Encapsulation attribute: every tunnel TLV and sub-TLV fits (checked
/// once, by [`TunnelEncapsulationView::parse`]); its tunnels and their sub-TLVs are then
/// iterated as borrowed values and its JSON written from it, with no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TunnelEncapsulationView<'a>(&'a [u8]);

/// Tunnel TLVs: type (2), length (2); `Some(None)` (then the end) when one does not fit.
fn tunnel_tlvs(mut d: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> + Clone {
    std::iter::from_fn(move || {
        if d.is_empty() {
            return None;
        }
        let body = fields::u16_at(d, 2).and_then(|l| d.get(4..4 + l as usize));
        let (Some(t), Some(body)) = (fields::u16_at(d, 0), body) else {
            d = &[];
            return Some(None);
        };
        d = &d[4 + body.len()..];
        Some(Some((t, body)))
    })
}

impl<'a> TunnelEncapsulationView<'a> {
    /// Validate the attribute value; `None` when a TLV or sub-TLV does not fit.
    pub fn parse(v: &'a [u8]) -> Option<TunnelEncapsulationView<'a>> {
        for t in tunnel_tlvs(v) {
            let (_, body) = t?;
            for s in sub_tlvs(body) {
                s?;
            }
        }
        Some(TunnelEncapsulationView(v))
    }

    /// The tunnels, in wire order.
    pub fn tunnels(&self) -> impl Iterator<Item = TunnelView<'a>> + Clone + 'a {
        tunnel_tlvs(self.0)
            .map_while(|t| t)
            .map(|(tunnel_type, body)| TunnelView { tunnel_type, body })
    }

    pub fn to_owned(&self) -> TunnelEncapsulation {
        TunnelEncapsulation {
            tunnels: self.tunnels().map(|t| t.to_owned()).collect(),
        }
    }

    /// ExaBGP's `"tunnel-encap":{"sr-policy":{…}}`; `None` (nothing written) for what it does
    /// not render so (tunnel types other than SR Policy, unknown sub-TLVs).
    pub fn write_json(&self, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        out.extend_from_slice(b"\"tunnel-encap\":{");
        for (i, t) in self.tunnels().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if t.write_json(out).is_none() {
                out.truncate(start);
                return None;
            }
        }
        out.push(b'}');
        Some(())
    }
}

impl TunnelEncapsulation {
    /// An SR Policy tunnel with these sub-TLVs.
    pub fn sr_policy(sub_tlvs: Vec<TunnelSubTlv>) -> TunnelEncapsulation {
        TunnelEncapsulation {
            tunnels: vec![Tunnel {
                tunnel_type: SR_POLICY_TUNNEL,
                sub_tlvs,
            }],
        }
    }

    /// Parse the attribute value into the owned form; `None` when the TLVs do not fit.
    /// Received attributes are better read through [`TunnelEncapsulationView::parse`],
    /// which does not allocate.
    pub fn parse(v: &[u8]) -> Option<TunnelEncapsulation> {
        TunnelEncapsulationView::parse(v).map(|t| t.to_owned())
    }

    /// The attribute value; `None` when a length overflows.
    pub fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        for t in &self.tunnels {
            let start = out.len();
            out.extend_from_slice(&t.tunnel_type.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            for s in &t.sub_tlvs {
                match s {
                    TunnelSubTlv::Preference { flags, preference } => put_sub(out, 12, |o| {
                        o.extend_from_slice(&[*flags, 0]);
                        o.extend_from_slice(&preference.to_be_bytes());
                    })?,
                    TunnelSubTlv::BindingSid { flags, sid } => put_sub(out, 13, |o| {
                        o.extend_from_slice(&[*flags, 0]);
                        match sid {
                            BindingSid::None => {}
                            BindingSid::Mpls(w) => o.extend_from_slice(&w.to_be_bytes()),
                            BindingSid::Srv6(a) => o.extend_from_slice(&a.octets()),
                        }
                    })?,
                    TunnelSubTlv::Priority { priority } => {
                        put_sub(out, 15, |o| o.extend_from_slice(&[*priority, 0]))?
                    }
                    TunnelSubTlv::Srv6BindingSid {
                        flags,
                        sid,
                        behavior,
                    } => put_sub(out, 20, |o| {
                        o.extend_from_slice(&[*flags, 0]);
                        o.extend_from_slice(&sid.octets());
                        if let Some(b) = behavior {
                            b.put(o);
                        }
                    })?,
                    TunnelSubTlv::SegmentList(l) => {
                        let mut inner = vec![0u8];
                        if let Some((f, w)) = l.weight {
                            put_sub(&mut inner, 9, |o| {
                                o.extend_from_slice(&[f, 0]);
                                o.extend_from_slice(&w.to_be_bytes());
                            })?;
                        }
                        for seg in &l.segments {
                            match seg {
                                Segment::A { flags, entry } => put_sub(&mut inner, 1, |o| {
                                    o.extend_from_slice(&[*flags, 0]);
                                    o.extend_from_slice(&entry.to_be_bytes());
                                })?,
                                Segment::B {
                                    flags,
                                    sid,
                                    behavior,
                                } => put_sub(&mut inner, 13, |o| {
                                    o.extend_from_slice(&[*flags, 0]);
                                    o.extend_from_slice(&sid.octets());
                                    if let Some(b) = behavior {
                                        b.put(o);
                                    }
                                })?,
                                Segment::Unknown { code, value } => {
                                    put_sub(&mut inner, *code, |o| o.extend_from_slice(value))?
                                }
                            }
                        }
                        put_sub(out, 128, |o| o.extend_from_slice(&inner))?
                    }
                    TunnelSubTlv::CandidatePathName(n) | TunnelSubTlv::PolicyName(n) => {
                        let t = if matches!(s, TunnelSubTlv::CandidatePathName(_)) {
                            129
                        } else {
                            130
                        };
                        put_sub(out, t, |o| {
                            o.push(0);
                            o.extend_from_slice(n);
                        })?
                    }
                    TunnelSubTlv::Unknown { code, value } => {
                        put_sub(out, *code, |o| o.extend_from_slice(value))?
                    }
                }
            }
            let len = u16::try_from(out.len() - start - 4).ok()?;
            out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        }
        Some(())
    }

    /// As an attribute for `PathAttributes::unknown` (optional, transitive, as ExaBGP sends).
    pub fn to_attribute(&self) -> Option<RawAttribute> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Some(RawAttribute {
            flags: attr_flag::OPTIONAL | attr_flag::TRANSITIVE,
            code: TUNNEL_ENCAPSULATION,
            value: Bytes::from(v),
        })
    }
}

/// Writes `"tunnel-encap":{…}` for the attribute's value, from its view. Returns false (and
/// writes nothing) when ExaBGP would not render it so.
pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
    TunnelEncapsulationView::parse(v).is_some_and(|t| t.write_json(out).is_some())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// conf-sr-policy.ci, first route: the attribute and NLRI re-encode from owned values
    /// built as ExaBGP's text describes them.
    #[test]
    fn exabgp_route() {
        let attr =
            "000F00240C060000000000640D06100005DC01008000110009060000000000010106000003E81100";
        let t = TunnelEncapsulation::sr_policy(vec![
            TunnelSubTlv::Preference {
                flags: 0,
                preference: 100,
            },
            TunnelSubTlv::BindingSid {
                flags: 0x10,
                sid: BindingSid::Mpls((24000 << 12) | 0x100),
            },
            TunnelSubTlv::SegmentList(SegmentList {
                weight: Some((0, 1)),
                segments: vec![Segment::mpls(16001)],
            }),
        ]);
        let mut v = Vec::new();
        t.encode(&mut v).unwrap();
        assert_eq!(hex::encode_upper(&v), attr);
        assert_eq!(TunnelEncapsulation::parse(&v), Some(t));
        let n = SrPolicy::new(0, 100, "10.0.0.1".parse().unwrap());
        assert_eq!(
            hex::encode_upper(n.to_bytes()),
            "6000000000000000640A000001"
        );
        assert_eq!(SrPolicy::from_nlri(&n.to_nlri()), Some(n));
    }

    #[test]
    fn exabgp_srv6_route() {
        let attr = "000F005C0C060000000000C814120000FC0000000000000000000000000000018000250009060000000000020D1A1000FC000000000000000000000000000001004100002000100082000A006D792D706F6C696379810008007072696D617279";
        let v = hex::decode(attr).unwrap();
        let t = TunnelEncapsulation::parse(&v).unwrap();
        let mut again = Vec::new();
        t.encode(&mut again).unwrap();
        assert_eq!(again, v);
        let mut j = b"{".to_vec();
        assert!(write_attribute_json(&mut j, &v));
        j.push(b'}');
        let j: serde_json::Value = serde_json::from_slice(&j).unwrap();
        assert_eq!(j["tunnel-encap"]["sr-policy"]["policy-name"], "my-policy");
    }

    pub(crate) fn sub() -> impl Strategy<Value = TunnelSubTlv> {
        let sid = any::<[u8; 16]>().prop_map(Ipv6Addr::from);
        let beh = proptest::option::of(any::<(u16, u8, u8, u8, u8)>().prop_map(
            |(behavior, lb_length, ln_length, fun_length, arg_length)| EndpointBehavior {
                behavior,
                lb_length,
                ln_length,
                fun_length,
                arg_length,
            },
        ));
        let seg = prop_oneof![
            (any::<u8>(), any::<u32>()).prop_map(|(flags, entry)| Segment::A { flags, entry }),
            (any::<u8>(), sid.clone(), beh.clone()).prop_map(|(flags, sid, behavior)| Segment::B {
                flags,
                sid,
                behavior
            }),
        ];
        prop_oneof![
            (any::<u8>(), any::<u32>())
                .prop_map(|(flags, preference)| TunnelSubTlv::Preference { flags, preference }),
            (any::<u8>(), any::<u32>()).prop_map(|(flags, w)| TunnelSubTlv::BindingSid {
                flags,
                sid: BindingSid::Mpls(w)
            }),
            any::<u8>().prop_map(|priority| TunnelSubTlv::Priority { priority }),
            (any::<u8>(), sid, beh).prop_map(|(flags, sid, behavior)| {
                TunnelSubTlv::Srv6BindingSid {
                    flags,
                    sid,
                    behavior,
                }
            }),
            (
                proptest::option::of(any::<(u8, u32)>()),
                proptest::collection::vec(seg, 0..4)
            )
                .prop_map(|(weight, segments)| TunnelSubTlv::SegmentList(
                    SegmentList { weight, segments }
                )),
            "[a-z]{0,12}".prop_map(|n| TunnelSubTlv::PolicyName(Bytes::from(n))),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(subs in proptest::collection::vec(sub(), 0..6),
                      d in any::<u32>(), c in any::<u32>(), e in any::<[u8; 16]>(), v6 in any::<bool>()) {
            let t = TunnelEncapsulation::sr_policy(subs);
            let mut v = Vec::new();
            t.encode(&mut v).unwrap();
            prop_assert_eq!(TunnelEncapsulation::parse(&v), Some(t));
            let endpoint = if v6 { IpAddr::from(e) } else { IpAddr::from([e[0], e[1], e[2], e[3]]) };
            let n = SrPolicy::new(d, c, endpoint);
            prop_assert_eq!(SrPolicy::from_nlri(&n.to_nlri()), Some(n));
        }

        /// The view of an encoded attribute reads back every sub-TLV and segment as encoded.
        #[test]
        fn view_round_trip(subs in proptest::collection::vec(sub(), 0..6)) {
            let t = TunnelEncapsulation::sr_policy(subs.clone());
            let mut v = Vec::new();
            t.encode(&mut v).unwrap();
            let view = TunnelEncapsulationView::parse(&v).unwrap();
            let tun = view.tunnels().next().unwrap();
            prop_assert_eq!(tun.tunnel_type, SR_POLICY_TUNNEL);
            prop_assert_eq!(tun.sub_tlvs().count(), subs.len());
            for (sv, so) in tun.sub_tlvs().zip(&subs) {
                prop_assert_eq!(&sv.to_owned(), so);
                if let (TunnelSubTlvView::SegmentList(l), TunnelSubTlv::SegmentList(o)) = (sv, so) {
                    prop_assert_eq!(l.weight, o.weight);
                    prop_assert_eq!(l.segments().count(), o.segments.len());
                }
            }
            prop_assert_eq!(view.to_owned(), t);
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Some(v) = TunnelEncapsulationView::parse(&d) {
                for t in v.tunnels() {
                    for s in t.sub_tlvs() {
                        if let TunnelSubTlvView::SegmentList(l) = s {
                            l.segments().for_each(drop);
                        }
                    }
                }
                let mut j = b"x".to_vec();
                if v.write_json(&mut j).is_none() {
                    prop_assert_eq!(j, b"x".to_vec(), "nothing written on failure");
                }
            }
            if let Some(t) = TunnelEncapsulation::parse(&d) {
                let mut v = Vec::new();
                t.encode(&mut v).unwrap();
                prop_assert_eq!(TunnelEncapsulation::parse(&v), Some(t));
            }
            let mut j = b"{".to_vec();
            if write_attribute_json(&mut j, &d) {
                j.push(b'}');
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
            if let Some(n) = SrPolicy::parse(&d) {
                prop_assert_eq!(&n.to_bytes()[..], &d[..]);
            }
        }
    }
}
