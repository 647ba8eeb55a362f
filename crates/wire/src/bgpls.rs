//! BGP-LS (RFC 9552, formerly RFC 7752): the NLRI of family bgp-ls bgp-ls (AFI 16388,
//! SAFI 71) and the BGP-LS attribute (code 29), as ExaBGP decodes and shows them.
//!
//! NLRI: type (2 octets), length (2 octets), protocol-id (1), identifier (8), TLVs. Node (1),
//! link (2), IPv4 prefix (3) and IPv6 prefix (4) NLRI are parsed into [`BgpLs`], whose TLVs
//! keep their order and unknown ones their bytes, so encoding gives back the same octets.
//!
//! Attribute: TLVs (type 2, length 2); [`write_attribute_json`] renders the TLVs ExaBGP
//! knows (node, link and prefix attributes, SR and SRv6 extensions, RFC 9085 / RFC 9514),
//! the others as `"generic-lsid-CODE": ["0xHEX"]`, as ExaBGP does.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use crate::fields;
use crate::model::{Family, Nlri, Safi};

/// The NLRI types ExaBGP parses (RFC 9552 §5.2).
pub mod nlri_type {
    pub const NODE: u16 = 1;
    pub const LINK: u16 = 2;
    pub const PREFIX_V4: u16 = 3;
    pub const PREFIX_V6: u16 = 4;
}

/// One node descriptor sub-TLV (RFC 9552 §5.2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeDescriptor {
    /// 512.
    AutonomousSystem(u32),
    /// 513.
    BgpLsIdentifier(u32),
    /// 514 (4 octets, or 16 as ExaBGP also accepts).
    OspfAreaId(IpAddr),
    /// 515: an IS-IS system id (6 octets, 7 with the pseudonode id) or an OSPF router id
    /// (4 octets, 8 with the designated router), read according to the protocol-id.
    IgpRouterId(Bytes),
    /// Any other sub-TLV.
    Unknown { code: u16, value: Bytes },
}

/// One TLV of a BGP-LS NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LsTlv {
    /// 256.
    LocalNode(Vec<NodeDescriptor>),
    /// 257.
    RemoteNode(Vec<NodeDescriptor>),
    /// 258.
    LinkIdentifiers {
        local: u32,
        remote: u32,
    },
    /// 259 / 261.
    InterfaceAddress(IpAddr),
    /// 260 / 262.
    NeighborAddress(IpAddr),
    /// 263: multi-topology ids (2 octets each, 12 bits used).
    MultiTopology(Vec<u16>),
    /// 264.
    OspfRouteType(u8),
    /// 265: prefix length and the significant octets as on the wire.
    IpReachability {
        prefix_len: u8,
        octets: Bytes,
    },
    Unknown {
        code: u16,
        value: Bytes,
    },
}

/// One BGP-LS NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BgpLs {
    pub nlri_type: u16,
    pub protocol_id: u8,
    /// The identifier of the routing universe ("l3-routing-topology" in ExaBGP's JSON).
    pub identifier: u64,
    pub tlvs: Vec<LsTlv>,
}

fn tlvs(mut d: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> {
    std::iter::from_fn(move || {
        if d.is_empty() {
            return None;
        }
        let Some(h) = d.get(..4) else {
            d = &[];
            return Some(None);
        };
        let t = u16::from_be_bytes([h[0], h[1]]);
        let l = u16::from_be_bytes([h[2], h[3]]) as usize;
        let Some(v) = d.get(4..4 + l) else {
            d = &[];
            return Some(None);
        };
        d = &d[4 + l..];
        Some(Some((t, v)))
    })
}

fn parse_descriptors(d: &[u8]) -> Option<Vec<NodeDescriptor>> {
    let mut v = Vec::new();
    for t in tlvs(d) {
        let (code, val) = t?;
        v.push(match code {
            512 if val.len() == 4 => NodeDescriptor::AutonomousSystem(fields::u32_at(val, 0)?),
            513 if val.len() == 4 => NodeDescriptor::BgpLsIdentifier(fields::u32_at(val, 0)?),
            514 if val.len() == 4 => NodeDescriptor::OspfAreaId(fields::ip(val, false)?),
            514 if val.len() == 16 => NodeDescriptor::OspfAreaId(fields::ip(val, true)?),
            515 => NodeDescriptor::IgpRouterId(Bytes::copy_from_slice(val)),
            _ if (512..=515).contains(&code) => return None,
            _ => NodeDescriptor::Unknown {
                code,
                value: Bytes::copy_from_slice(val),
            },
        });
    }
    Some(v)
}

fn put_tlv(out: &mut Vec<u8>, code: u16, f: impl FnOnce(&mut Vec<u8>)) -> Option<()> {
    let start = out.len();
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    f(out);
    let len = u16::try_from(out.len() - start - 4).ok()?;
    out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    Some(())
}

impl NodeDescriptor {
    fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        match self {
            NodeDescriptor::AutonomousSystem(a) => {
                put_tlv(out, 512, |o| o.extend_from_slice(&a.to_be_bytes()))
            }
            NodeDescriptor::BgpLsIdentifier(a) => {
                put_tlv(out, 513, |o| o.extend_from_slice(&a.to_be_bytes()))
            }
            NodeDescriptor::OspfAreaId(a) => put_tlv(out, 514, |o| fields::put_ip(o, a)),
            NodeDescriptor::IgpRouterId(b) => put_tlv(out, 515, |o| o.extend_from_slice(b)),
            NodeDescriptor::Unknown { code, value } => {
                put_tlv(out, *code, |o| o.extend_from_slice(value))
            }
        }
    }

    /// ExaBGP's object for this descriptor; `None` when ExaBGP would refuse it.
    fn write_json(&self, protocol_id: u8, out: &mut String) -> Option<()> {
        match self {
            NodeDescriptor::AutonomousSystem(a) => write!(out, "{{\"autonomous-system\":{a}}}"),
            NodeDescriptor::BgpLsIdentifier(a) => {
                write!(out, "{{\"bgp-ls-identifier\":\"{a}\"}}")
            }
            NodeDescriptor::OspfAreaId(a) => write!(out, "{{\"ospf-area-id\":\"{a}\"}}"),
            NodeDescriptor::IgpRouterId(b) => match (protocol_id, b.len()) {
                (1 | 2, 6 | 7) => {
                    out.push_str("{\"router-id\":\"");
                    for x in b.iter() {
                        let _ = write!(out, "{x:02x}");
                    }
                    out.push('"');
                    if b.len() == 7 && b[6] != 0 {
                        let _ = write!(out, ",\"psn\":\"{}\"", b[6]);
                    }
                    out.push('}');
                    Ok(())
                }
                (3 | 5 | 6 | 227, 4 | 8) => {
                    let _ = write!(
                        out,
                        "{{\"router-id\":\"{}\"",
                        Ipv4Addr::new(b[0], b[1], b[2], b[3])
                    );
                    if b.len() == 8 {
                        let _ = write!(
                            out,
                            ",\"designated-router-id\":\"{}\"",
                            Ipv4Addr::new(b[4], b[5], b[6], b[7])
                        );
                    }
                    out.push('}');
                    Ok(())
                }
                _ => return None,
            },
            NodeDescriptor::Unknown { .. } => return None,
        }
        .ok()
    }
}

impl BgpLs {
    /// Parse one NLRI (type and length included, path id excluded). `None` when the TLVs
    /// do not fit or a known TLV is malformed.
    pub fn parse(wire: &[u8]) -> Option<BgpLs> {
        let nlri_type = fields::u16_at(wire, 0)?;
        let len = fields::u16_at(wire, 2)? as usize;
        let v = wire.get(4..)?;
        if v.len() != len || len < 9 {
            return None;
        }
        let protocol_id = v[0];
        let identifier = u64::from_be_bytes(v[1..9].try_into().ok()?);
        let mut out = Vec::new();
        for t in tlvs(&v[9..]) {
            let (code, val) = t?;
            let ip4 = |val: &[u8]| (val.len() == 4).then(|| fields::ip(val, false)).flatten();
            let ip6 = |val: &[u8]| (val.len() == 16).then(|| fields::ip(val, true)).flatten();
            out.push(match code {
                256 => LsTlv::LocalNode(parse_descriptors(val)?),
                257 => LsTlv::RemoteNode(parse_descriptors(val)?),
                258 if val.len() == 8 => LsTlv::LinkIdentifiers {
                    local: fields::u32_at(val, 0)?,
                    remote: fields::u32_at(val, 4)?,
                },
                259 => LsTlv::InterfaceAddress(ip4(val)?),
                260 => LsTlv::NeighborAddress(ip4(val)?),
                261 => LsTlv::InterfaceAddress(ip6(val)?),
                262 => LsTlv::NeighborAddress(ip6(val)?),
                263 if val.len() % 2 == 0 => LsTlv::MultiTopology(
                    val.chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect(),
                ),
                264 if val.len() == 1 => LsTlv::OspfRouteType(val[0]),
                265 => {
                    let (&bits, octets) = val.split_first()?;
                    if octets.len() != (bits as usize).div_ceil(8) || bits > 128 {
                        return None;
                    }
                    LsTlv::IpReachability {
                        prefix_len: bits,
                        octets: Bytes::copy_from_slice(octets),
                    }
                }
                _ if (256..=265).contains(&code) => return None,
                _ => LsTlv::Unknown {
                    code,
                    value: Bytes::copy_from_slice(val),
                },
            });
        }
        Some(BgpLs {
            nlri_type,
            protocol_id,
            identifier,
            tlvs: out,
        })
    }

    /// Append the NLRI; `None` (nothing written) when a length overflows.
    pub fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        let r = (|| {
            put_tlv(out, self.nlri_type, |o| {
                o.push(self.protocol_id);
                o.extend_from_slice(&self.identifier.to_be_bytes());
            })?;
            for t in &self.tlvs {
                match t {
                    LsTlv::LocalNode(d) | LsTlv::RemoteNode(d) => {
                        let code = if matches!(t, LsTlv::LocalNode(_)) {
                            256
                        } else {
                            257
                        };
                        let mut inner = Vec::new();
                        for n in d {
                            n.encode(&mut inner)?;
                        }
                        put_tlv(out, code, |o| o.extend_from_slice(&inner))?;
                    }
                    LsTlv::LinkIdentifiers { local, remote } => put_tlv(out, 258, |o| {
                        o.extend_from_slice(&local.to_be_bytes());
                        o.extend_from_slice(&remote.to_be_bytes());
                    })?,
                    LsTlv::InterfaceAddress(a) => {
                        put_tlv(out, if a.is_ipv6() { 261 } else { 259 }, |o| {
                            fields::put_ip(o, a)
                        })?
                    }
                    LsTlv::NeighborAddress(a) => {
                        put_tlv(out, if a.is_ipv6() { 262 } else { 260 }, |o| {
                            fields::put_ip(o, a)
                        })?
                    }
                    LsTlv::MultiTopology(ids) => put_tlv(out, 263, |o| {
                        for i in ids {
                            o.extend_from_slice(&i.to_be_bytes());
                        }
                    })?,
                    LsTlv::OspfRouteType(r) => put_tlv(out, 264, |o| o.push(*r))?,
                    LsTlv::IpReachability { prefix_len, octets } => put_tlv(out, 265, |o| {
                        o.push(*prefix_len);
                        o.extend_from_slice(octets);
                    })?,
                    LsTlv::Unknown { code, value } => {
                        put_tlv(out, *code, |o| o.extend_from_slice(value))?
                    }
                }
            }
            Some(())
        })();
        // The outer length covers everything after the 4-octet header.
        match (r, u16::try_from(out.len() - start - 4)) {
            (Some(()), Ok(len)) => {
                out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
                Some(())
            }
            _ => {
                out.truncate(start);
                None
            }
        }
    }

    pub fn to_bytes(&self) -> Option<Bytes> {
        let mut v = Vec::with_capacity(64);
        self.encode(&mut v)?;
        Some(Bytes::from(v))
    }

    pub fn to_nlri(&self) -> Option<Nlri> {
        Some(Nlri::Raw {
            family: Family::BGP_LS,
            bytes: self.to_bytes()?,
        })
    }

    pub fn from_nlri(n: &Nlri) -> Option<BgpLs> {
        match n {
            Nlri::Raw { family, bytes } if family.safi == Safi::BGP_LS => BgpLs::parse(bytes),
            _ => None,
        }
    }

    fn name(&self) -> Option<&'static str> {
        Some(match self.nlri_type {
            nlri_type::NODE => "bgpls-node",
            nlri_type::LINK => "bgpls-link",
            nlri_type::PREFIX_V4 => "bgpls-prefix-v4",
            nlri_type::PREFIX_V6 => "bgpls-prefix-v6",
            _ => return None,
        })
    }

    /// ExaBGP's JSON object. `next_hop` is shown in node and prefix NLRI, as ExaBGP does.
    /// `None` (nothing written) for what ExaBGP would not decode.
    pub fn write_json(&self, next_hop: Option<IpAddr>, out: &mut Vec<u8>) -> Option<()> {
        let mut s = String::new();
        let name = self.name()?;
        let _ = write!(
            s,
            "{{\"ls-nlri-type\":\"{name}\",\"l3-routing-topology\":{},\"protocol-id\":{}",
            self.identifier, self.protocol_id
        );
        let descriptors = |s: &mut String, key: &str, which: u16| -> Option<()> {
            let _ = write!(s, ",\"{key}\":[");
            let mut first = true;
            for t in &self.tlvs {
                let d = match (t, which) {
                    (LsTlv::LocalNode(d), 256) | (LsTlv::RemoteNode(d), 257) => d,
                    _ => continue,
                };
                for n in d {
                    if !first {
                        s.push(',');
                    }
                    first = false;
                    n.write_json(self.protocol_id, s)?;
                }
            }
            s.push(']');
            Some(())
        };
        let nh = match next_hop {
            Some(a) => a.to_string(),
            None => "None".to_string(),
        };
        match self.nlri_type {
            nlri_type::LINK => {
                descriptors(&mut s, "local-node-descriptors", 256)?;
                descriptors(&mut s, "remote-node-descriptors", 257)?;
                let list = |s: &mut String, key: &str, f: &dyn Fn(&LsTlv) -> Option<String>| {
                    let items: Vec<String> = self.tlvs.iter().filter_map(f).collect();
                    let _ = write!(s, ",\"{key}\":[{}]", items.join(","));
                };
                list(&mut s, "interface-addresses", &|t| match t {
                    LsTlv::InterfaceAddress(a) => Some(format!("\"{a}\"")),
                    _ => None,
                });
                list(&mut s, "neighbor-addresses", &|t| match t {
                    LsTlv::NeighborAddress(a) => Some(format!("\"{a}\"")),
                    _ => None,
                });
                list(&mut s, "multi-topology-ids", &|t| match t {
                    LsTlv::MultiTopology(ids) => Some(
                        ids.iter()
                            .map(|i| (i & 0x0FFF).to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    _ => None,
                });
                // ExaBGP keeps the last link identifiers TLV.
                let last = self.tlvs.iter().rev().find_map(|t| match t {
                    LsTlv::LinkIdentifiers { local, remote } => Some(format!(
                        "{{\"link-local-id\":{local},\"link-remote-id\":{remote}}}"
                    )),
                    _ => None,
                });
                let _ = write!(s, ",\"link-identifiers\":[{}]", last.unwrap_or_default());
            }
            nlri_type::NODE => {
                descriptors(&mut s, "node-descriptors", 256)?;
                let _ = write!(s, ",\"nexthop\":\"{nh}\"");
            }
            _ => {
                descriptors(&mut s, "node-descriptors", 256)?;
                let v6 = self.nlri_type == nlri_type::PREFIX_V6;
                let reach = self.tlvs.iter().rev().find_map(|t| match t {
                    LsTlv::IpReachability { prefix_len, octets } => {
                        fields::prefix(*prefix_len, octets, v6).map(|(p, _)| p)
                    }
                    _ => None,
                })?;
                let _ = write!(
                    s,
                    ",\"ip-reachability-tlv\":\"{reach}\",\"ip-reach-prefix\":\"{reach}\",\"nexthop\":\"{nh}\""
                );
                if let Some(r) = self.tlvs.iter().find_map(|t| match t {
                    LsTlv::OspfRouteType(r) => Some(*r),
                    _ => None,
                }) {
                    let _ = write!(s, ",\"ospf-route-type\":{r}");
                }
            }
        }
        s.push('}');
        out.extend_from_slice(s.as_bytes());
        Some(())
    }
}

// ---------------------------------------------------------------------------------------------
// The BGP-LS attribute (code 29)
// ---------------------------------------------------------------------------------------------

/// BGP-LS attribute type code.
pub const BGP_LS_ATTRIBUTE: u8 = 29;

/// A float as Python's `repr` writes it (`125000000.0`).
fn py_float(out: &mut String, f: f64) {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        let _ = write!(out, "{f:.1}");
    } else if f.is_finite() {
        let _ = write!(out, "{f}");
    } else {
        out.push_str("null");
    }
}

fn f32_at(d: &[u8], at: usize) -> Option<f64> {
    Some(f64::from(f32::from_bits(fields::u32_at(d, at)?)))
}

/// ExaBGP's flag object: each named bit, reserved bits under `RSV` (0 when valid).
/// `None` when a reserved bit is set (ExaBGP refuses such a mask).
fn flags(out: &mut String, byte: u8, names: &[&str]) -> Option<()> {
    out.push('{');
    for (i, n) in names.iter().enumerate() {
        let _ = write!(out, "\"{n}\":{},", (byte >> (7 - i)) & 1);
    }
    let rsv_mask = if names.len() >= 8 {
        0
    } else {
        0xFFu8 >> names.len()
    };
    if byte & rsv_mask != 0 {
        return None;
    }
    out.push_str("\"RSV\":0}");
    Some(())
}

fn uint(v: &[u8]) -> u128 {
    v.iter().fold(0u128, |a, b| (a << 8) | u128::from(*b))
}

/// SRv6 SID Structure sub-TLV (1252) of End.X / LAN End.X TLVs, if present.
fn srv6_sub_tlvs(out: &mut String, d: &[u8]) -> Option<()> {
    for t in tlvs(d) {
        let (code, v) = t?;
        if code == 1252 && v.len() == 4 {
            let _ = write!(
                out,
                ",\"srv6-sid-structure\":{{\"loc_block_len\":{},\"loc_node_len\":{},\"func_len\":{},\"arg_len\":{}}}",
                v[0], v[1], v[2], v[3]
            );
        }
    }
    Some(())
}

/// The value of one TLV of the attribute, as ExaBGP writes it. Returns the JSON key, whether
/// ExaBGP gathers repeated TLVs of this code into one list, and the rendered value.
fn attribute_tlv(code: u16, v: &[u8]) -> Option<(String, bool, String)> {
    let mut s = String::new();
    let (key, merge): (&str, bool) = match code {
        258 if v.len() == 8 => {
            let _ = write!(
                s,
                "{{\"local-id\":{},\"remote-id\":{}}}",
                fields::u32_at(v, 0)?,
                fields::u32_at(v, 4)?
            );
            ("link-local-remote-identifiers", false)
        }
        1024 if !v.is_empty() => {
            flags(&mut s, v[0], &["O", "T", "E", "B", "R", "V"])?;
            ("node-flags", false)
        }
        1026 => {
            let name = std::str::from_utf8(v).ok()?;
            s = serde_json::to_string(name).ok()?;
            ("node-name", false)
        }
        1027 => {
            let _ = write!(s, "\"{}\"", uint(v.get(..16.min(v.len()))?));
            ("area-ids", true)
        }
        1028 | 1030 => {
            let _ = write!(
                s,
                "\"{}\"",
                fields::ip((v.len() == 4).then_some(v)?, false)?
            );
            (
                if code == 1028 {
                    "local-router-ids"
                } else {
                    "remote-router-ids"
                },
                true,
            )
        }
        1029 | 1031 => {
            let _ = write!(
                s,
                "\"{}\"",
                fields::ip((v.len() == 16).then_some(v)?, true)?
            );
            (
                if code == 1029 {
                    "local-router-ids"
                } else {
                    "remote-router-ids"
                },
                true,
            )
        }
        1034 if v.len() >= 2 => {
            // SR capabilities (RFC 9085 §2.1.2): flags, reserved, then (range, SID/label
            // sub-TLV 1161) pairs.
            flags(&mut s, v[0], &["I", "V"])?;
            let mut sids = Vec::new();
            let mut d = &v[2..];
            while !d.is_empty() {
                let range = uint(d.get(..3)?);
                let t = fields::u16_at(d, 3)?;
                let l = fields::u16_at(d, 5)? as usize;
                let sv = d.get(7..7 + l)?;
                if t != 1161 {
                    return None;
                }
                let sid = match l {
                    3 => uint(sv) & 0xF_FFFF,
                    4 => uint(sv),
                    _ => return None,
                };
                sids.push(format!("[{range},{sid}]"));
                d = &d[7 + l..];
            }
            let _ = write!(s, ",\"sids\":[{}]", sids.join(","));
            ("sr-capability-flags", false)
        }
        1035 => {
            let items: Vec<String> = v.iter().map(|b| b.to_string()).collect();
            let _ = write!(s, "[{}]", items.join(","));
            ("sr-algorithms", false)
        }
        1088 if v.len() == 4 => {
            let _ = write!(s, "{}", uint(v));
            ("admin-group-mask", false)
        }
        1089 | 1090 if v.len() == 4 => {
            py_float(&mut s, f32_at(v, 0)?);
            (
                if code == 1089 {
                    "maximum-link-bandwidth"
                } else {
                    "maximum-reservable-link-bandwidth"
                },
                false,
            )
        }
        1091 if v.len() == 32 => {
            s.push('[');
            for i in 0..8 {
                if i > 0 {
                    s.push(',');
                }
                py_float(&mut s, f32_at(v, 4 * i)?);
            }
            s.push(']');
            ("unreserved-bandwidth", false)
        }
        1092 if v.len() <= 4 && !v.is_empty() => {
            let _ = write!(s, "{}", uint(v));
            ("te-metric", false)
        }
        1095 if (1..=3).contains(&v.len()) => {
            let _ = write!(s, "{}", uint(v));
            ("igp-metric", false)
        }
        1099 if v.len() >= 4 => {
            // SR Adjacency SID (RFC 9085 §2.2.1): flags, weight, reserved, SID/label.
            s.push_str("{\"flags\":");
            flags(&mut s, v[0], &["F", "B", "V", "L", "S", "P"])?;
            let (vf, lf) = (v[0] & 0x20 != 0, v[0] & 0x10 != 0);
            let rest = &v[4..];
            let (sids, undecoded) = match (vf, lf, rest.len()) {
                (true, true, 3) => (format!("[{}]", uint(rest)), "[]".to_string()),
                (false, false, 4) => (format!("[{}]", uint(rest)), "[]".to_string()),
                (_, _, 0) => ("[]".to_string(), "[]".to_string()),
                _ => return None,
            };
            let _ = write!(
                s,
                ",\"sids\":{sids},\"weight\":{},\"undecoded-sids\":{undecoded}}}",
                v[1]
            );
            ("sr-adjs", true)
        }
        1106..=1108 if v.len() >= 22 => {
            // SRv6 End.X SID (RFC 9514 §4.1) and LAN End.X SID (§4.2): behavior, flags,
            // algorithm, weight, reserved, [neighbor id], SID, sub-TLVs.
            let behavior = fields::u16_at(v, 0)?;
            s.push_str("{\"flags\":");
            flags(&mut s, v[2], &["B", "S", "P"])?;
            let mut at = 6;
            if code != 1106 {
                let n = if code == 1107 { 6 } else { 4 };
                let id = v.get(at..at + n)?;
                s.push_str(",\"neighbor-id\":\"");
                if code == 1107 {
                    for b in id {
                        let _ = write!(s, "{b:02x}");
                    }
                } else {
                    let _ = write!(s, "{}", Ipv4Addr::new(id[0], id[1], id[2], id[3]));
                }
                s.push('"');
                at += n;
            }
            let sid: [u8; 16] = v.get(at..at + 16)?.try_into().ok()?;
            let _ = write!(
                s,
                ",\"behavior\":{behavior},\"algorithm\":{},\"weight\":{},\"sid\":\"{}\"",
                v[3],
                v[4],
                Ipv6Addr::from(sid)
            );
            srv6_sub_tlvs(&mut s, &v[at + 16..])?;
            s.push('}');
            (
                match code {
                    1106 => "srv6-endx",
                    1107 => "srv6-lan-endx-isis",
                    _ => "srv6-lan-endx-ospf",
                },
                true,
            )
        }
        1114 if v.len() == 4 => {
            // RFC 8571 §4.1: A flag, then a 24-bit delay in microseconds.
            let _ = write!(
                s,
                "{{\"delay-us\":{},\"anomalous\":{}}}",
                uint(&v[1..]),
                v[0] & 0x80 != 0
            );
            ("unidirectional-link-delay", false)
        }
        1115 if v.len() == 8 => {
            // RFC 8571 §4.2: A flag, min delay; reserved, max delay.
            let _ = write!(
                s,
                "{{\"min-delay-us\":{},\"max-delay-us\":{},\"anomalous\":{}}}",
                uint(&v[1..4]),
                uint(&v[5..8]),
                v[0] & 0x80 != 0
            );
            ("minmax-unidirectional-link-delay", false)
        }
        1116 if v.len() == 4 => {
            let _ = write!(s, "{}", uint(&v[1..]));
            ("unidirectional-delay-variation", false)
        }
        1155 if v.len() == 4 => {
            let _ = write!(s, "{}", uint(v));
            ("prefix-metric", false)
        }
        1170 if !v.is_empty() => {
            flags(&mut s, v[0], &["X", "R", "N"])?;
            ("sr-prefix-attribute-flags", false)
        }
        _ => {
            s.push_str("[\"0x");
            for b in v {
                let _ = write!(s, "{b:02X}");
            }
            s.push_str("\"]");
            return Some((format!("generic-lsid-{code}"), false, s));
        }
    };
    Some((key.to_string(), merge, s))
}

/// Writes `"bgp-ls":{…}` for the attribute's value. Returns false (and writes nothing) when
/// the TLVs do not parse.
pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
    // ExaBGP groups TLVs by code in order of first appearance; "merge" codes become one list.
    let mut groups: Vec<(u16, String, bool, Vec<String>)> = Vec::new();
    for t in tlvs(v) {
        let Some((code, val)) = t else {
            return false;
        };
        let Some((key, merge, s)) = attribute_tlv(code, val) else {
            // A TLV ExaBGP knows but whose value it would refuse: shown generically here.
            let mut g = String::from("[\"0x");
            for b in val {
                let _ = write!(g, "{b:02X}");
            }
            g.push_str("\"]");
            groups.push((code, format!("generic-lsid-{code}"), false, vec![g]));
            continue;
        };
        // IPv4 and IPv6 router ids (1028/1029, 1030/1031) share one list.
        match groups
            .iter_mut()
            .find(|g| g.0 == code || (merge && g.1 == key))
        {
            Some(g) => g.3.push(s),
            None => groups.push((code, key, merge, vec![s])),
        }
    }
    let mut s = String::from("\"bgp-ls\":{");
    let mut first = true;
    for (_, key, merge, vals) in &groups {
        if *merge {
            if !first {
                s.push(',');
            }
            first = false;
            let _ = write!(s, "\"{key}\":[{}]", vals.join(","));
        } else {
            for val in vals {
                if !first {
                    s.push(',');
                }
                first = false;
                let _ = write!(s, "\"{key}\":{val}");
            }
        }
    }
    s.push('}');
    out.extend_from_slice(s.as_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// decoding/bgp-ls-1: a link NLRI between two OSPF routers.
    #[test]
    fn exabgp_link() {
        let h = "0002005103000000000000000001000020020000040000000102010004C0A87A7E0202000400000000020300040A0A0A0A01010020020000040000000102010004C0A87A7E0202000400000000020300040A020202";
        let wire = hex::decode(h).unwrap();
        let n = BgpLs::parse(&wire).unwrap();
        assert_eq!(hex::encode_upper(n.to_bytes().unwrap()), h);
        let mut j = Vec::new();
        n.write_json(None, &mut j).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
        assert_eq!(v["ls-nlri-type"], "bgpls-link");
        assert_eq!(v["remote-node-descriptors"][3]["router-id"], "10.2.2.2");
    }

    fn descriptor() -> impl Strategy<Value = NodeDescriptor> {
        prop_oneof![
            any::<u32>().prop_map(NodeDescriptor::AutonomousSystem),
            any::<u32>().prop_map(NodeDescriptor::BgpLsIdentifier),
            any::<[u8; 4]>().prop_map(|a| NodeDescriptor::OspfAreaId(IpAddr::from(a))),
            proptest::collection::vec(any::<u8>(), 4..9)
                .prop_map(|v| NodeDescriptor::IgpRouterId(Bytes::from(v))),
            (600u16..700, proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(code, v)| {
                NodeDescriptor::Unknown {
                    code,
                    value: Bytes::from(v),
                }
            }),
        ]
    }

    fn tlv() -> impl Strategy<Value = LsTlv> {
        let ip = prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ];
        prop_oneof![
            proptest::collection::vec(descriptor(), 0..4).prop_map(LsTlv::LocalNode),
            proptest::collection::vec(descriptor(), 0..4).prop_map(LsTlv::RemoteNode),
            (any::<u32>(), any::<u32>())
                .prop_map(|(local, remote)| LsTlv::LinkIdentifiers { local, remote }),
            ip.clone().prop_map(LsTlv::InterfaceAddress),
            ip.prop_map(LsTlv::NeighborAddress),
            proptest::collection::vec(any::<u16>(), 0..3).prop_map(LsTlv::MultiTopology),
            any::<u8>().prop_map(LsTlv::OspfRouteType),
            (0u8..=128).prop_flat_map(|bits| {
                proptest::collection::vec(any::<u8>(), (bits as usize).div_ceil(8)).prop_map(
                    move |o| LsTlv::IpReachability {
                        prefix_len: bits,
                        octets: Bytes::from(o),
                    },
                )
            }),
            (1000u16..2000, proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(code, v)| {
                LsTlv::Unknown {
                    code,
                    value: Bytes::from(v),
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(t in 1u16..5, p in any::<u8>(), id in any::<u64>(),
                      tl in proptest::collection::vec(tlv(), 0..6)) {
            let n = BgpLs { nlri_type: t, protocol_id: p, identifier: id, tlvs: tl };
            prop_assert_eq!(BgpLs::from_nlri(&n.to_nlri().unwrap()), Some(n));
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Some(n) = BgpLs::parse(&d) {
                prop_assert_eq!(&n.to_bytes().unwrap()[..], &d[..]);
                let mut j = Vec::new();
                if n.write_json(None, &mut j).is_some() {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
                }
            }
            let mut j = b"{".to_vec();
            if write_attribute_json(&mut j, &d) {
                j.push(b'}');
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok(), "{}", String::from_utf8_lossy(&j));
            }
        }
    }
}
