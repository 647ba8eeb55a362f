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

use std::fmt::Write as _;
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
    fn json(&self, s: &mut String) {
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
fn sub_tlvs(mut d: &[u8]) -> impl Iterator<Item = Option<(u8, &[u8])>> {
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

    /// Parse the attribute value; `None` when the TLVs do not fit.
    pub fn parse(v: &[u8]) -> Option<TunnelEncapsulation> {
        let mut tunnels = Vec::new();
        let mut d = v;
        while !d.is_empty() {
            let tunnel_type = fields::u16_at(d, 0)?;
            let len = fields::u16_at(d, 2)? as usize;
            let body = d.get(4..4 + len)?;
            d = &d[4 + len..];
            let mut subs = Vec::new();
            for s in sub_tlvs(body) {
                let (t, val) = s?;
                subs.push(
                    Self::parse_sub(t, val).unwrap_or_else(|| TunnelSubTlv::Unknown {
                        code: t,
                        value: Bytes::copy_from_slice(val),
                    }),
                );
            }
            tunnels.push(Tunnel {
                tunnel_type,
                sub_tlvs: subs,
            });
        }
        Some(TunnelEncapsulation { tunnels })
    }

    fn parse_sub(t: u8, v: &[u8]) -> Option<TunnelSubTlv> {
        // Reserved octets must be zero to be parsed (so encoding gives the same bytes).
        let reserved_ok = |at: usize| v.get(at) == Some(&0);
        Some(match t {
            12 if v.len() == 6 && reserved_ok(1) => TunnelSubTlv::Preference {
                flags: v[0],
                preference: fields::u32_at(v, 2)?,
            },
            13 if reserved_ok(1) => TunnelSubTlv::BindingSid {
                flags: v[0],
                sid: match v.len() {
                    2 => BindingSid::None,
                    6 => BindingSid::Mpls(fields::u32_at(v, 2)?),
                    18 => BindingSid::Srv6(v6(&v[2..])?),
                    _ => return None,
                },
            },
            15 if v.len() == 2 && reserved_ok(1) => TunnelSubTlv::Priority { priority: v[0] },
            20 if reserved_ok(1) => TunnelSubTlv::Srv6BindingSid {
                flags: v[0],
                sid: v6(v.get(2..)?)?,
                behavior: match v.len() {
                    18 => None,
                    26 => Some(EndpointBehavior::read(&v[18..])?),
                    _ => return None,
                },
            },
            128 if reserved_ok(0) => {
                let mut l = SegmentList::default();
                for s in sub_tlvs(&v[1..]) {
                    let (st, sv) = s?;
                    match st {
                        9 if sv.len() == 6 && sv[1] == 0 && l.weight.is_none() => {
                            l.weight = Some((sv[0], fields::u32_at(sv, 2)?))
                        }
                        1 if sv.len() == 6 && sv[1] == 0 => l.segments.push(Segment::A {
                            flags: sv[0],
                            entry: fields::u32_at(sv, 2)?,
                        }),
                        13 if (sv.len() == 18 || sv.len() == 26) && sv[1] == 0 => {
                            l.segments.push(Segment::B {
                                flags: sv[0],
                                sid: v6(&sv[2..])?,
                                behavior: if sv.len() == 26 {
                                    Some(EndpointBehavior::read(&sv[18..])?)
                                } else {
                                    None
                                },
                            })
                        }
                        // A weight after segments, or a second one, would not keep its
                        // place: the whole list is then kept as bytes.
                        9 => return None,
                        _ => l.segments.push(Segment::Unknown {
                            code: st,
                            value: Bytes::copy_from_slice(sv),
                        }),
                    }
                }
                // The weight is written first: only parse lists where it came first.
                if l.weight.is_some() && v.get(1) != Some(&9) {
                    return None;
                }
                TunnelSubTlv::SegmentList(l)
            }
            129 | 130 if reserved_ok(0) => {
                let name = Bytes::copy_from_slice(&v[1..]);
                if t == 129 {
                    TunnelSubTlv::CandidatePathName(name)
                } else {
                    TunnelSubTlv::PolicyName(name)
                }
            }
            _ => return None,
        })
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

    /// ExaBGP's `"tunnel-encap":{"sr-policy":{…}}`; `None` for what it does not render
    /// (tunnel types other than SR Policy, unknown sub-TLVs).
    fn json(&self) -> Option<String> {
        let mut s = String::from("\"tunnel-encap\":{");
        for (i, t) in self.tunnels.iter().enumerate() {
            if t.tunnel_type != SR_POLICY_TUNNEL {
                return None;
            }
            if i > 0 {
                s.push(',');
            }
            s.push_str("\"sr-policy\":{");
            let mut parts: Vec<String> = Vec::new();
            let mut lists: Vec<String> = Vec::new();
            for sub in &t.sub_tlvs {
                match sub {
                    TunnelSubTlv::Preference { preference, .. } => {
                        parts.push(format!("\"preference\":{preference}"))
                    }
                    TunnelSubTlv::BindingSid { sid, .. } => match sid {
                        BindingSid::None => {}
                        BindingSid::Mpls(w) => parts.push(format!(
                            "\"binding-sid\":{{\"type\":\"mpls\",\"label\":{}}}",
                            w >> 12
                        )),
                        BindingSid::Srv6(a) => parts.push(format!(
                            "\"binding-sid\":{{\"type\":\"srv6\",\"sid\":\"{a}\"}}"
                        )),
                    },
                    TunnelSubTlv::Priority { priority } => {
                        parts.push(format!("\"priority\":{priority}"))
                    }
                    TunnelSubTlv::Srv6BindingSid { sid, .. } => {
                        parts.push(format!("\"srv6-binding-sid\":\"{sid}\""))
                    }
                    TunnelSubTlv::CandidatePathName(n) | TunnelSubTlv::PolicyName(n) => {
                        let key = if matches!(sub, TunnelSubTlv::PolicyName(_)) {
                            "policy-name"
                        } else {
                            "candidate-path-name"
                        };
                        let name = serde_json::to_string(std::str::from_utf8(n).ok()?).ok()?;
                        parts.push(format!("\"{key}\":{name}"));
                    }
                    TunnelSubTlv::SegmentList(l) => {
                        let mut o = String::from("{");
                        if let Some((_, w)) = l.weight {
                            let _ = write!(o, "\"weight\":{w},");
                        }
                        o.push_str("\"segments\":[");
                        for (j, seg) in l.segments.iter().enumerate() {
                            if j > 0 {
                                o.push(',');
                            }
                            match seg {
                                Segment::A { entry, .. } => {
                                    let _ = write!(
                                        o,
                                        "{{\"type\":\"A\",\"label\":{},\"tc\":{},\"s\":{},\"ttl\":{}}}",
                                        entry >> 12,
                                        (entry >> 9) & 7,
                                        entry & 0x100 != 0,
                                        entry & 0xFF
                                    );
                                }
                                Segment::B { sid, behavior, .. } => {
                                    let _ = write!(o, "{{\"type\":\"B\",\"sid\":\"{sid}\"");
                                    if let Some(b) = behavior {
                                        o.push_str(",\"endpoint-behavior\":");
                                        b.json(&mut o);
                                    }
                                    o.push('}');
                                }
                                Segment::Unknown { .. } => return None,
                            }
                        }
                        o.push_str("]}");
                        lists.push(o);
                    }
                    TunnelSubTlv::Unknown { .. } => return None,
                }
            }
            if !lists.is_empty() {
                parts.push(format!("\"segment-lists\":[{}]", lists.join(",")));
            }
            s.push_str(&parts.join(","));
            s.push('}');
        }
        s.push('}');
        Some(s)
    }
}

/// Writes `"tunnel-encap":{…}` for the attribute's value. Returns false (and writes
/// nothing) when ExaBGP would not render it so.
pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
    match TunnelEncapsulation::parse(v).and_then(|t| t.json()) {
        Some(s) => {
            out.extend_from_slice(s.as_bytes());
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
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

    fn sub() -> impl Strategy<Value = TunnelSubTlv> {
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

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..120)) {
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
