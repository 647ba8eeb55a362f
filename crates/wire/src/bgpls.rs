//! BGP-LS (RFC 9552, formerly RFC 7752): the NLRI of family bgp-ls bgp-ls (AFI 16388,
//! SAFI 71) and the BGP-LS attribute (code 29), as ExaBGP decodes and shows them.
//!
//! NLRI: type (2 octets), length (2 octets), protocol-id (1), identifier (8), TLVs. Received
//! NLRI are read through [`BgpLsView`]: validated once (every TLV fits, the known ones are well
//! formed), then its TLVs and node descriptors are iterated as borrowed values and its JSON
//! is written from it, with no allocation. [`BgpLs`] is the owned form (its TLVs keep their
//! order and unknown ones their bytes, so encoding gives back the same octets), for what is
//! originated or stored.
//!
//! Attribute: TLVs (type 2, length 2); [`write_attribute_json`] renders the TLVs ExaBGP
//! knows (node, link and prefix attributes, SR and SRv6 extensions, RFC 9085 / RFC 9514),
//! the others as `"generic-lsid-CODE": ["0xHEX"]`, as ExaBGP does, straight from the bytes.

use std::io::Write as _;
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

/// One BGP-LS NLRI (owned).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BgpLs {
    pub nlri_type: u16,
    pub protocol_id: u8,
    /// The identifier of the routing universe ("l3-routing-topology" in ExaBGP's JSON).
    pub identifier: u64,
    pub tlvs: Vec<LsTlv>,
}

/// TLVs of 2-octet type and 2-octet length; `Some(None)` (then the end) when one does not
/// fit.
fn tlvs(mut d: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> + Clone {
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

// ---------------------------------------------------------------------------------------------
// Views of a received NLRI
// ---------------------------------------------------------------------------------------------

/// One node descriptor sub-TLV, borrowed from the NLRI (RFC 9552 §5.2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeDescriptorView<'a> {
    /// 512.
    AutonomousSystem(u32),
    /// 513.
    BgpLsIdentifier(u32),
    /// 514.
    OspfAreaId(IpAddr),
    /// 515 (see [`NodeDescriptor::IgpRouterId`]).
    IgpRouterId(&'a [u8]),
    Unknown {
        code: u16,
        value: &'a [u8],
    },
}

impl<'a> NodeDescriptorView<'a> {
    /// `None` when a known sub-TLV is malformed.
    fn read(code: u16, val: &'a [u8]) -> Option<NodeDescriptorView<'a>> {
        Some(match code {
            512 if val.len() == 4 => Self::AutonomousSystem(fields::u32_at(val, 0)?),
            513 if val.len() == 4 => Self::BgpLsIdentifier(fields::u32_at(val, 0)?),
            514 if val.len() == 4 => Self::OspfAreaId(fields::ip(val, false)?),
            514 if val.len() == 16 => Self::OspfAreaId(fields::ip(val, true)?),
            515 => Self::IgpRouterId(val),
            _ if (512..=515).contains(&code) => return None,
            _ => Self::Unknown { code, value: val },
        })
    }

    pub fn to_owned(&self) -> NodeDescriptor {
        match *self {
            Self::AutonomousSystem(a) => NodeDescriptor::AutonomousSystem(a),
            Self::BgpLsIdentifier(a) => NodeDescriptor::BgpLsIdentifier(a),
            Self::OspfAreaId(a) => NodeDescriptor::OspfAreaId(a),
            Self::IgpRouterId(b) => NodeDescriptor::IgpRouterId(Bytes::copy_from_slice(b)),
            Self::Unknown { code, value } => NodeDescriptor::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }

    /// ExaBGP's object for this descriptor; `None` (with something written: the caller
    /// truncates) when ExaBGP would refuse it.
    fn write_json(&self, protocol_id: u8, out: &mut Vec<u8>) -> Option<()> {
        match *self {
            Self::AutonomousSystem(a) => write!(out, "{{\"autonomous-system\":{a}}}").ok(),
            Self::BgpLsIdentifier(a) => write!(out, "{{\"bgp-ls-identifier\":\"{a}\"}}").ok(),
            Self::OspfAreaId(a) => write!(out, "{{\"ospf-area-id\":\"{a}\"}}").ok(),
            Self::IgpRouterId(b) => match (protocol_id, b.len()) {
                (1 | 2, 6 | 7) => {
                    out.extend_from_slice(b"{\"router-id\":\"");
                    // With the pseudonode id, if any, as ExaBGP does.
                    for x in b {
                        let _ = write!(out, "{x:02x}");
                    }
                    out.push(b'"');
                    if b.len() == 7 && b[6] != 0 {
                        let _ = write!(out, ",\"psn\":\"{}\"", b[6]);
                    }
                    out.push(b'}');
                    Some(())
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
                    out.push(b'}');
                    Some(())
                }
                _ => None,
            },
            Self::Unknown { .. } => None,
        }
    }
}

/// The node descriptors of a local (256) or remote (257) node TLV: validated with the NLRI,
/// iterated in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeDescriptors<'a>(&'a [u8]);

impl<'a> NodeDescriptors<'a> {
    pub fn iter(&self) -> impl Iterator<Item = NodeDescriptorView<'a>> + Clone + 'a {
        tlvs(self.0)
            .map_while(|t| t)
            .map_while(|(code, val)| NodeDescriptorView::read(code, val))
    }

    /// The wire bytes (sub-TLVs, without the TLV header).
    pub fn wire(&self) -> &'a [u8] {
        self.0
    }

    fn validate(d: &[u8]) -> Option<()> {
        for t in tlvs(d) {
            let (code, val) = t?;
            NodeDescriptorView::read(code, val)?;
        }
        Some(())
    }
}

/// One TLV of a BGP-LS NLRI, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LsTlvView<'a> {
    /// 256.
    LocalNode(NodeDescriptors<'a>),
    /// 257.
    RemoteNode(NodeDescriptors<'a>),
    /// 258.
    LinkIdentifiers {
        local: u32,
        remote: u32,
    },
    /// 259 / 261.
    InterfaceAddress(IpAddr),
    /// 260 / 262.
    NeighborAddress(IpAddr),
    /// 263: the ids, 2 octets each (see [`LsTlvView::multi_topology_ids`]).
    MultiTopology(&'a [u8]),
    /// 264.
    OspfRouteType(u8),
    /// 265.
    IpReachability {
        prefix_len: u8,
        octets: &'a [u8],
    },
    Unknown {
        code: u16,
        value: &'a [u8],
    },
}

impl<'a> LsTlvView<'a> {
    /// `None` when a known TLV is malformed (node descriptors are checked by the caller).
    fn read(code: u16, val: &'a [u8]) -> Option<LsTlvView<'a>> {
        let ip4 = |val: &[u8]| (val.len() == 4).then(|| fields::ip(val, false)).flatten();
        let ip6 = |val: &[u8]| (val.len() == 16).then(|| fields::ip(val, true)).flatten();
        Some(match code {
            256 => Self::LocalNode(NodeDescriptors(val)),
            257 => Self::RemoteNode(NodeDescriptors(val)),
            258 if val.len() == 8 => Self::LinkIdentifiers {
                local: fields::u32_at(val, 0)?,
                remote: fields::u32_at(val, 4)?,
            },
            259 => Self::InterfaceAddress(ip4(val)?),
            260 => Self::NeighborAddress(ip4(val)?),
            261 => Self::InterfaceAddress(ip6(val)?),
            262 => Self::NeighborAddress(ip6(val)?),
            263 if val.len() % 2 == 0 => Self::MultiTopology(val),
            264 if val.len() == 1 => Self::OspfRouteType(val[0]),
            265 => {
                let (&bits, octets) = val.split_first()?;
                if octets.len() != (bits as usize).div_ceil(8) || bits > 128 {
                    return None;
                }
                Self::IpReachability {
                    prefix_len: bits,
                    octets,
                }
            }
            _ if (256..=265).contains(&code) => return None,
            _ => Self::Unknown { code, value: val },
        })
    }

    /// The ids of a multi-topology TLV (empty for the other TLVs).
    pub fn multi_topology_ids(&self) -> impl Iterator<Item = u16> + 'a {
        let d: &'a [u8] = match *self {
            Self::MultiTopology(d) => d,
            _ => &[],
        };
        d.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
    }

    pub fn to_owned(&self) -> LsTlv {
        match *self {
            Self::LocalNode(d) => LsTlv::LocalNode(d.iter().map(|n| n.to_owned()).collect()),
            Self::RemoteNode(d) => LsTlv::RemoteNode(d.iter().map(|n| n.to_owned()).collect()),
            Self::LinkIdentifiers { local, remote } => LsTlv::LinkIdentifiers { local, remote },
            Self::InterfaceAddress(a) => LsTlv::InterfaceAddress(a),
            Self::NeighborAddress(a) => LsTlv::NeighborAddress(a),
            Self::MultiTopology(_) => LsTlv::MultiTopology(self.multi_topology_ids().collect()),
            Self::OspfRouteType(r) => LsTlv::OspfRouteType(r),
            Self::IpReachability { prefix_len, octets } => LsTlv::IpReachability {
                prefix_len,
                octets: Bytes::copy_from_slice(octets),
            },
            Self::Unknown { code, value } => LsTlv::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            },
        }
    }
}

/// A received BGP-LS NLRI: the header fields, and its TLVs as validated bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BgpLsView<'a> {
    pub nlri_type: u16,
    pub protocol_id: u8,
    /// The identifier of the routing universe ("l3-routing-topology" in ExaBGP's JSON).
    pub identifier: u64,
    tlvs: &'a [u8],
}

impl<'a> BgpLsView<'a> {
    /// Validate one NLRI (type and length included, path id excluded), once. `None` when
    /// the TLVs do not fit or a known TLV (or node descriptor) is malformed.
    pub fn parse(wire: &'a [u8]) -> Option<BgpLsView<'a>> {
        let nlri_type = fields::u16_at(wire, 0)?;
        let len = fields::u16_at(wire, 2)? as usize;
        let v = wire.get(4..)?;
        if v.len() != len || len < 9 {
            return None;
        }
        let tlv_bytes = &v[9..];
        for t in tlvs(tlv_bytes) {
            let (code, val) = t?;
            match LsTlvView::read(code, val)? {
                LsTlvView::LocalNode(d) | LsTlvView::RemoteNode(d) => {
                    NodeDescriptors::validate(d.0)?
                }
                _ => {}
            }
        }
        Some(BgpLsView {
            nlri_type,
            protocol_id: v[0],
            identifier: u64::from_be_bytes(v[1..9].try_into().ok()?),
            tlvs: tlv_bytes,
        })
    }

    /// The TLVs, in wire order.
    pub fn tlvs(&self) -> impl Iterator<Item = LsTlvView<'a>> + Clone + 'a {
        tlvs(self.tlvs)
            .map_while(|t| t)
            .map_while(|(code, val)| LsTlvView::read(code, val))
    }

    pub fn to_owned(&self) -> BgpLs {
        BgpLs {
            nlri_type: self.nlri_type,
            protocol_id: self.protocol_id,
            identifier: self.identifier,
            tlvs: self.tlvs().map(|t| t.to_owned()).collect(),
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

    /// ExaBGP's JSON object, written straight from the bytes. `next_hop` is shown in node
    /// and prefix NLRI, as ExaBGP does. `None` (nothing written) for what ExaBGP would not
    /// decode.
    pub fn write_json(&self, next_hop: Option<IpAddr>, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        let r = self.write_json_inner(next_hop, out);
        if r.is_none() {
            out.truncate(start);
        }
        r
    }

    /// `,"key":[…]` with the descriptors of every TLV of this code (256 or 257).
    fn write_descriptors(&self, out: &mut Vec<u8>, key: &str, which: u16) -> Option<()> {
        let _ = write!(out, ",\"{key}\":[");
        let mut first = true;
        for t in self.tlvs() {
            let d = match (t, which) {
                (LsTlvView::LocalNode(d), 256) | (LsTlvView::RemoteNode(d), 257) => d,
                _ => continue,
            };
            for n in d.iter() {
                if !first {
                    out.push(b',');
                }
                first = false;
                n.write_json(self.protocol_id, out)?;
            }
        }
        out.push(b']');
        Some(())
    }

    fn write_json_inner(&self, next_hop: Option<IpAddr>, out: &mut Vec<u8>) -> Option<()> {
        let name = self.name()?;
        let _ = write!(
            out,
            "{{\"ls-nlri-type\":\"{name}\",\"l3-routing-topology\":{},\"protocol-id\":{}",
            self.identifier, self.protocol_id
        );
        let nexthop = |out: &mut Vec<u8>| {
            out.extend_from_slice(b",\"nexthop\":\"");
            match next_hop {
                Some(a) => {
                    let _ = write!(out, "{a}");
                }
                None => out.extend_from_slice(b"None"),
            }
            out.push(b'"');
        };
        match self.nlri_type {
            nlri_type::LINK => {
                self.write_descriptors(out, "local-node-descriptors", 256)?;
                self.write_descriptors(out, "remote-node-descriptors", 257)?;
                let addresses = |out: &mut Vec<u8>, key: &str, neighbor: bool| {
                    let _ = write!(out, ",\"{key}\":[");
                    let mut first = true;
                    for t in self.tlvs() {
                        let a = match (t, neighbor) {
                            (LsTlvView::InterfaceAddress(a), false)
                            | (LsTlvView::NeighborAddress(a), true) => a,
                            _ => continue,
                        };
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        let _ = write!(out, "\"{a}\"");
                    }
                    out.push(b']');
                };
                addresses(out, "interface-addresses", false);
                addresses(out, "neighbor-addresses", true);
                out.extend_from_slice(b",\"multi-topology-ids\":[");
                let mut first = true;
                for id in self.tlvs().flat_map(|t| t.multi_topology_ids()) {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    let _ = write!(out, "{}", id & 0x0FFF);
                }
                out.push(b']');
                // ExaBGP keeps the last link identifiers TLV.
                out.extend_from_slice(b",\"link-identifiers\":[");
                if let Some((local, remote)) = self.tlvs().fold(None, |last, t| match t {
                    LsTlvView::LinkIdentifiers { local, remote } => Some((local, remote)),
                    _ => last,
                }) {
                    let _ = write!(
                        out,
                        "{{\"link-local-id\":{local},\"link-remote-id\":{remote}}}"
                    );
                }
                out.push(b']');
            }
            nlri_type::NODE => {
                self.write_descriptors(out, "node-descriptors", 256)?;
                nexthop(out);
            }
            _ => {
                self.write_descriptors(out, "node-descriptors", 256)?;
                let v6 = self.nlri_type == nlri_type::PREFIX_V6;
                // The last IP reachability TLV that reads as a prefix of the NLRI's family.
                let reach = self.tlvs().fold(None, |last, t| match t {
                    LsTlvView::IpReachability { prefix_len, octets } => {
                        fields::prefix(prefix_len, octets, v6)
                            .map(|(p, _)| p)
                            .or(last)
                    }
                    _ => last,
                })?;
                let _ = write!(
                    out,
                    ",\"ip-reachability-tlv\":\"{reach}\",\"ip-reach-prefix\":\"{reach}\""
                );
                nexthop(out);
                if let Some(r) = self.tlvs().find_map(|t| match t {
                    LsTlvView::OspfRouteType(r) => Some(r),
                    _ => None,
                }) {
                    let _ = write!(out, ",\"ospf-route-type\":{r}");
                }
            }
        }
        out.push(b'}');
        Some(())
    }
}

// ---------------------------------------------------------------------------------------------
// The owned NLRI (origination, storage)
// ---------------------------------------------------------------------------------------------

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
}

impl BgpLs {
    /// Parse one NLRI (type and length included, path id excluded) into the owned form.
    /// `None` when the TLVs do not fit or a known TLV is malformed. Received NLRI are better
    /// read through [`BgpLsView::parse`], which does not allocate.
    pub fn parse(wire: &[u8]) -> Option<BgpLs> {
        BgpLsView::parse(wire).map(|v| v.to_owned())
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

    /// ExaBGP's JSON object (see [`BgpLsView::write_json`]).
    pub fn write_json(&self, next_hop: Option<IpAddr>, out: &mut Vec<u8>) -> Option<()> {
        let wire = self.to_bytes()?;
        BgpLsView::parse(&wire)?.write_json(next_hop, out)
    }
}

// ---------------------------------------------------------------------------------------------
// The BGP-LS attribute (code 29)
// ---------------------------------------------------------------------------------------------

/// BGP-LS attribute type code.
pub const BGP_LS_ATTRIBUTE: u8 = 29;

/// A float as Python's `repr` writes it (`125000000.0`).
fn py_float(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        // An integer (exactly, below 2^53): written as one, faster than `{f:.1}`.
        if f == 0.0 && f.is_sign_negative() {
            out.push(b'-');
        }
        let _ = write!(out, "{}.0", f as i64);
    } else if f.is_finite() {
        let _ = write!(out, "{f}");
    } else {
        out.extend_from_slice(b"null");
    }
}

fn f32_at(d: &[u8], at: usize) -> Option<f64> {
    Some(f64::from(f32::from_bits(fields::u32_at(d, at)?)))
}

/// ExaBGP's flag object: each named bit, reserved bits under `RSV` (0 when valid).
/// `None` when a reserved bit is set (ExaBGP refuses such a mask).
fn flags(out: &mut Vec<u8>, byte: u8, names: &[&str]) -> Option<()> {
    out.push(b'{');
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
    out.extend_from_slice(b"\"RSV\":0}");
    Some(())
}

fn uint(v: &[u8]) -> u128 {
    v.iter().fold(0u128, |a, b| (a << 8) | u128::from(*b))
}

/// `["0xHEX"]`: ExaBGP's generic value.
fn generic_value(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(b"[\"0x");
    fields::hex_upper(out, v);
    out.extend_from_slice(b"\"]");
}

/// SRv6 SID Structure sub-TLV (1252) of End.X / LAN End.X TLVs, if present.
fn srv6_sub_tlvs(out: &mut Vec<u8>, d: &[u8]) -> Option<()> {
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

/// The JSON key of an attribute TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Named(&'static str),
    /// `generic-lsid-CODE`.
    Generic(u16),
}

impl Key {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Key::Named(k) => {
                let _ = write!(out, "\"{k}\":");
            }
            Key::Generic(c) => {
                let _ = write!(out, "\"generic-lsid-{c}\":");
            }
        }
    }
}

/// Writes the value of one TLV of the attribute as ExaBGP does and returns its JSON key and
/// whether ExaBGP gathers repeated TLVs of this code into one list. `None` (with something
/// written: the caller truncates) when ExaBGP would refuse the value.
fn attribute_tlv(out: &mut Vec<u8>, code: u16, v: &[u8]) -> Option<(Key, bool)> {
    let (key, merge): (&'static str, bool) = match code {
        258 if v.len() == 8 => {
            let _ = write!(
                out,
                "{{\"local-id\":{},\"remote-id\":{}}}",
                fields::u32_at(v, 0)?,
                fields::u32_at(v, 4)?
            );
            ("link-local-remote-identifiers", false)
        }
        1024 if !v.is_empty() => {
            flags(out, v[0], &["O", "T", "E", "B", "R", "V"])?;
            ("node-flags", false)
        }
        1026 => {
            let name = std::str::from_utf8(v).ok()?;
            serde_json::to_writer(&mut *out, name).ok()?;
            ("node-name", false)
        }
        1027 => {
            let _ = write!(out, "\"{}\"", uint(v.get(..16.min(v.len()))?));
            ("area-ids", true)
        }
        1028 | 1030 => {
            let _ = write!(
                out,
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
                out,
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
            flags(out, v[0], &["I", "V"])?;
            out.extend_from_slice(b",\"sids\":[");
            let mut d = &v[2..];
            let mut first = true;
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
                if !first {
                    out.push(b',');
                }
                first = false;
                let _ = write!(out, "[{range},{sid}]");
                d = &d[7 + l..];
            }
            out.push(b']');
            ("sr-capability-flags", false)
        }
        1035 => {
            out.push(b'[');
            for (i, b) in v.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{b}");
            }
            out.push(b']');
            ("sr-algorithms", false)
        }
        1088 if v.len() == 4 => {
            let _ = write!(out, "{}", uint(v));
            ("admin-group-mask", false)
        }
        1089 | 1090 if v.len() == 4 => {
            py_float(out, f32_at(v, 0)?);
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
            out.push(b'[');
            for i in 0..8 {
                if i > 0 {
                    out.push(b',');
                }
                py_float(out, f32_at(v, 4 * i)?);
            }
            out.push(b']');
            ("unreserved-bandwidth", false)
        }
        1092 if v.len() <= 4 && !v.is_empty() => {
            let _ = write!(out, "{}", uint(v));
            ("te-metric", false)
        }
        1095 if (1..=3).contains(&v.len()) => {
            let _ = write!(out, "{}", uint(v));
            ("igp-metric", false)
        }
        1099 if v.len() >= 4 => {
            // SR Adjacency SID (RFC 9085 §2.2.1): flags, weight, reserved, SID/label.
            out.extend_from_slice(b"{\"flags\":");
            flags(out, v[0], &["F", "B", "V", "L", "S", "P"])?;
            let (vf, lf) = (v[0] & 0x20 != 0, v[0] & 0x10 != 0);
            let rest = &v[4..];
            out.extend_from_slice(b",\"sids\":[");
            match (vf, lf, rest.len()) {
                (true, true, 3) | (false, false, 4) => {
                    let _ = write!(out, "{}", uint(rest));
                }
                (_, _, 0) => {}
                _ => return None,
            }
            let _ = write!(out, "],\"weight\":{},\"undecoded-sids\":[]}}", v[1]);
            ("sr-adjs", true)
        }
        1106..=1108 if v.len() >= 22 => {
            // SRv6 End.X SID (RFC 9514 §4.1) and LAN End.X SID (§4.2): behavior, flags,
            // algorithm, weight, reserved, [neighbor id], SID, sub-TLVs.
            let behavior = fields::u16_at(v, 0)?;
            out.extend_from_slice(b"{\"flags\":");
            flags(out, v[2], &["B", "S", "P"])?;
            let mut at = 6;
            if code != 1106 {
                let n = if code == 1107 { 6 } else { 4 };
                let id = v.get(at..at + n)?;
                out.extend_from_slice(b",\"neighbor-id\":\"");
                if code == 1107 {
                    for b in id {
                        let _ = write!(out, "{b:02x}");
                    }
                } else {
                    let _ = write!(out, "{}", Ipv4Addr::new(id[0], id[1], id[2], id[3]));
                }
                out.push(b'"');
                at += n;
            }
            let sid: [u8; 16] = v.get(at..at + 16)?.try_into().ok()?;
            let _ = write!(
                out,
                ",\"behavior\":{behavior},\"algorithm\":{},\"weight\":{},\"sid\":\"{}\"",
                v[3],
                v[4],
                Ipv6Addr::from(sid)
            );
            srv6_sub_tlvs(out, &v[at + 16..])?;
            out.push(b'}');
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
                out,
                "{{\"delay-us\":{},\"anomalous\":{}}}",
                uint(&v[1..]),
                v[0] & 0x80 != 0
            );
            ("unidirectional-link-delay", false)
        }
        1115 if v.len() == 8 => {
            // RFC 8571 §4.2: A flag, min delay; reserved, max delay.
            let _ = write!(
                out,
                "{{\"min-delay-us\":{},\"max-delay-us\":{},\"anomalous\":{}}}",
                uint(&v[1..4]),
                uint(&v[5..8]),
                v[0] & 0x80 != 0
            );
            ("minmax-unidirectional-link-delay", false)
        }
        1116 if v.len() == 4 => {
            let _ = write!(out, "{}", uint(&v[1..]));
            ("unidirectional-delay-variation", false)
        }
        1155 if v.len() == 4 => {
            let _ = write!(out, "{}", uint(v));
            ("prefix-metric", false)
        }
        1170 if !v.is_empty() => {
            flags(out, v[0], &["X", "R", "N"])?;
            ("sr-prefix-attribute-flags", false)
        }
        _ => {
            generic_value(out, v);
            return Some((Key::Generic(code), false));
        }
    };
    Some((Key::Named(key), merge))
}

/// What the first pass learns of one TLV of the attribute.
#[derive(Debug, Clone, Copy)]
struct AttrTlv {
    /// Where its rendered value sits in the scratch area (from its start), and its length.
    at: usize,
    len: usize,
    code: u16,
    key: Key,
    merge: bool,
    /// The index of the TLV that opened its group (itself when it did).
    group: usize,
}

impl AttrTlv {
    const EMPTY: AttrTlv = AttrTlv {
        at: 0,
        len: 0,
        code: 0,
        key: Key::Generic(0),
        merge: false,
        group: 0,
    };
}

/// Up to this many TLVs, the attribute is rendered with no allocation (more is not seen in
/// practice; they cost one allocation).
const STACK_TLVS: usize = 64;

/// Writes `"bgp-ls":{…}` for the attribute's value. Returns false (and writes nothing) when
/// the TLVs do not fit.
///
/// ExaBGP groups TLVs by code in order of first appearance, "merge" codes (and the IPv4 and
/// IPv6 router ids, which share a key) into one list, and a value it refuses is shown
/// generically in a group of its own. Each TLV's value is rendered once, in order, into a
/// scratch area at the end of `out` while its group is assigned; the groups are then written
/// after it by copying those values, and moved down over it.
pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
    let mut n = 0;
    for t in tlvs(v) {
        if t.is_none() {
            return false;
        }
        n += 1;
    }
    let mut stack = [AttrTlv::EMPTY; STACK_TLVS];
    let mut heap = Vec::new();
    let items: &mut [AttrTlv] = if n <= STACK_TLVS {
        &mut stack[..n]
    } else {
        heap.resize(n, AttrTlv::EMPTY);
        &mut heap
    };
    let mark = out.len();
    for (j, (code, val)) in tlvs(v).map_while(|t| t).enumerate() {
        let at = out.len();
        let group_of = |key: Key, merge: bool| {
            // An accepted value joins the first group of its code (or of its key, for the
            // merged lists).
            items[..j]
                .iter()
                .enumerate()
                .find(|(i, g)| g.group == *i && (g.code == code || (merge && g.key == key)))
                .map_or(j, |(i, _)| i)
        };
        let (key, merge, group) = match attribute_tlv(out, code, val) {
            Some((key, merge)) => (key, merge, group_of(key, merge)),
            None => {
                // Refused: shown generically, in a group of its own.
                out.truncate(at);
                generic_value(out, val);
                (Key::Generic(code), false, j)
            }
        };
        items[j] = AttrTlv {
            at: at - mark,
            len: out.len() - at,
            code,
            key,
            merge,
            group,
        };
    }
    let scratch = out.len();
    out.extend_from_slice(b"\"bgp-ls\":{");
    let value = |out: &mut Vec<u8>, t: &AttrTlv| {
        out.extend_from_within(mark + t.at..mark + t.at + t.len);
    };
    let mut first = true;
    for (i, g) in items.iter().enumerate() {
        if g.group != i {
            continue;
        }
        let members = items[i..].iter().filter(|t| t.group == i);
        if g.merge {
            if !first {
                out.push(b',');
            }
            first = false;
            g.key.write(out);
            out.push(b'[');
            for (k, t) in members.enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                value(out, t);
            }
            out.push(b']');
        } else {
            for t in members {
                if !first {
                    out.push(b',');
                }
                first = false;
                g.key.write(out);
                value(out, t);
            }
        }
    }
    out.push(b'}');
    out.copy_within(scratch.., mark);
    out.truncate(out.len() - (scratch - mark));
    true
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// The attribute's grouping, as the allocating renderer before the view wrote it (the
    /// expected text is that renderer's output): IPv4 and IPv6 router ids in one list in
    /// order, repeated non-list codes as repeated keys at their first place, a refused value
    /// (reserved flag bit, short router id) in a generic group of its own which later values
    /// of its code join, and a short SR adjacency SID shown generically inside its list.
    #[test]
    fn attribute_grouping() {
        let v = hex::decode(
            "040400040A0000010402000272310405001020010DB8000000000000000000000001040000010104\
             0400030A0000040400040A0000020400000180044B0007300A0000000010044B0002300A040200027232",
        )
        .unwrap();
        let mut out = b"{".to_vec();
        assert!(write_attribute_json(&mut out, &v));
        out.push(b'}');
        let expected = concat!(
            r#"{"bgp-ls":{"local-router-ids":["10.0.0.1","2001:db8::1","10.0.0.2"],"#,
            r#""node-name":"r1","node-name":"r2","generic-lsid-1024":["0x01"],"#,
            r#""generic-lsid-1024":{"O":1,"T":0,"E":0,"B":0,"R":0,"V":0,"RSV":0},"#,
            r#""generic-lsid-1028":["0x0A0000"],"sr-adjs":[{"flags":{"F":0,"B":0,"V":1,"#,
            r#""L":1,"S":0,"P":0,"RSV":0},"sids":[16],"weight":10,"undecoded-sids":[]},"#,
            r#"["0x300A"]]}}"#
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        // Truncated: nothing written.
        let mut out = b"{".to_vec();
        assert!(!write_attribute_json(&mut out, &v[..v.len() - 1]));
        assert_eq!(out, b"{");
    }

    /// Python's repr of the bandwidth floats, integers written without `{:.1}`.
    #[test]
    fn floats_as_python() {
        for (bits, text) in [
            (0x4cee_6b28u32, "125000000.0"),
            (0x8000_0000, "-0.0"),
            (0, "0.0"),
            (0x3fc0_0000, "1.5"),
            (0xc2c8_0000, "-100.0"),
        ] {
            let mut out = Vec::new();
            py_float(&mut out, f64::from(f32::from_bits(bits)));
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }

    pub(crate) fn descriptor() -> impl Strategy<Value = NodeDescriptor> {
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

    pub(crate) fn tlv() -> impl Strategy<Value = LsTlv> {
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

        /// The view of an encoded NLRI reads back every TLV and descriptor as encoded.
        #[test]
        fn view_round_trip(t in 1u16..5, p in any::<u8>(), id in any::<u64>(),
                           tl in proptest::collection::vec(tlv(), 0..6)) {
            let n = BgpLs { nlri_type: t, protocol_id: p, identifier: id, tlvs: tl };
            let wire = n.to_bytes().unwrap();
            let v = BgpLsView::parse(&wire).unwrap();
            prop_assert_eq!((v.nlri_type, v.protocol_id, v.identifier), (t, p, id));
            prop_assert_eq!(v.tlvs().count(), n.tlvs.len());
            for (tv, to) in v.tlvs().zip(&n.tlvs) {
                prop_assert_eq!(&tv.to_owned(), to);
                if let (LsTlvView::LocalNode(d) | LsTlvView::RemoteNode(d),
                        LsTlv::LocalNode(o) | LsTlv::RemoteNode(o)) = (tv, to) {
                    prop_assert_eq!(d.iter().count(), o.len());
                }
            }
            prop_assert_eq!(v.to_owned(), n);
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Some(v) = BgpLsView::parse(&d) {
                for t in v.tlvs() {
                    if let LsTlvView::LocalNode(n) | LsTlvView::RemoteNode(n) = t {
                        n.iter().for_each(drop);
                    }
                    t.multi_topology_ids().for_each(drop);
                }
                let mut j = b"x".to_vec();
                if v.write_json(Some(IpAddr::from([192, 0, 2, 1])), &mut j).is_some() {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(&j[1..]).is_ok());
                } else {
                    prop_assert_eq!(j, b"x".to_vec(), "nothing written on failure");
                }
            }
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
