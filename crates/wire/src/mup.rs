//! BGP-MUP NLRI (draft-mpmz-bess-mup-safi), families ipv4/ipv6 mup (SAFI 85).
//!
//! On the wire: architecture type (1 octet, 1 = 3GPP 5G), route type (2 octets), length
//! (1 octet), value. Route types: 1 Interwork Segment Discovery, 2 Direct Segment
//! Discovery, 3 Type 1 Session Transformed (the source address is absent in the draft's
//! early versions, present in later ones: both are read and written), 4 Type 2 Session
//! Transformed. The prefix and address of types 1, 2 and 4 take their size from the AFI.
//! Parsing allocates nothing for the known types.
//!
//! ExaBGP's text: `mup-isd PREFIX rd RD`, `mup-dsd ADDRESS rd RD`, `mup-t1st PREFIX rd RD
//! teid N qfi N endpoint ADDRESS [source ADDRESS]`, `mup-t2st ADDRESS rd RD teid N/BITS`.

use std::io::Write as _;
use std::net::IpAddr;

use bytes::Bytes;
use ipnet::IpNet;

use crate::fields;
use crate::model::{Afi, Family, Nlri, RouteDistinguisher, Safi};

/// The 3GPP 5G architecture type.
pub const ARCH_3GPP_5G: u8 = 1;

/// One MUP route: the architecture type and the route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mup {
    pub arch: u8,
    pub route: MupRoute,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MupRoute {
    /// Type 1.
    InterworkSegmentDiscovery {
        rd: RouteDistinguisher,
        prefix: IpNet,
    },
    /// Type 2.
    DirectSegmentDiscovery {
        rd: RouteDistinguisher,
        address: IpAddr,
    },
    /// Type 3.
    Type1SessionTransformed {
        rd: RouteDistinguisher,
        prefix: IpNet,
        teid: u32,
        qfi: u8,
        endpoint: IpAddr,
        source: Option<IpAddr>,
    },
    /// Type 4: the endpoint, then the TEID in `ceil(teid_bits / 8)` octets (ExaBGP's
    /// `teid N/BITS`); the length octet counts the address and TEID bits.
    Type2SessionTransformed {
        rd: RouteDistinguisher,
        endpoint: IpAddr,
        teid: u32,
        teid_bits: u8,
    },
    /// Any other route type: the value as received.
    Other { code: u16, value: Bytes },
}

impl Mup {
    pub fn new(route: MupRoute) -> Mup {
        Mup {
            arch: ARCH_3GPP_5G,
            route,
        }
    }

    /// `mup-isd PREFIX rd RD`.
    pub fn isd(rd: RouteDistinguisher, prefix: IpNet) -> Mup {
        Mup::new(MupRoute::InterworkSegmentDiscovery {
            rd,
            prefix: prefix.trunc(),
        })
    }

    /// `mup-dsd ADDRESS rd RD`.
    pub fn dsd(rd: RouteDistinguisher, address: IpAddr) -> Mup {
        Mup::new(MupRoute::DirectSegmentDiscovery { rd, address })
    }

    /// `mup-t1st PREFIX rd RD teid N qfi N endpoint ADDRESS [source ADDRESS]`.
    pub fn t1st(
        rd: RouteDistinguisher,
        prefix: IpNet,
        teid: u32,
        qfi: u8,
        endpoint: IpAddr,
        source: Option<IpAddr>,
    ) -> Mup {
        Mup::new(MupRoute::Type1SessionTransformed {
            rd,
            prefix: prefix.trunc(),
            teid,
            qfi,
            endpoint,
            source,
        })
    }

    /// `mup-t2st ADDRESS rd RD teid N/BITS`; `None` when BITS exceeds 32 or N does not
    /// fit in BITS.
    pub fn t2st(rd: RouteDistinguisher, endpoint: IpAddr, teid: u32, teid_bits: u8) -> Option<Mup> {
        if teid_bits > 32 || (teid_bits < 32 && u64::from(teid) >> teid_bits != 0) {
            return None;
        }
        Some(Mup::new(MupRoute::Type2SessionTransformed {
            rd,
            endpoint,
            teid,
            teid_bits,
        }))
    }

    pub fn code(&self) -> u16 {
        match &self.route {
            MupRoute::InterworkSegmentDiscovery { .. } => 1,
            MupRoute::DirectSegmentDiscovery { .. } => 2,
            MupRoute::Type1SessionTransformed { .. } => 3,
            MupRoute::Type2SessionTransformed { .. } => 4,
            MupRoute::Other { code, .. } => *code,
        }
    }

    /// Parse one NLRI (header included, path id excluded) of the family with `afi`.
    pub fn parse(wire: &[u8], afi: Afi) -> Option<Mup> {
        let v6 = afi == Afi::IPV6;
        let arch = *wire.first()?;
        let code = fields::u16_at(wire, 1)?;
        let len = *wire.get(3)? as usize;
        let v = wire.get(4..)?;
        if v.len() != len {
            return None;
        }
        let alen = if v6 { 16 } else { 4 };
        let route = match code {
            1 => {
                let rd = fields::rd(v)?;
                let (prefix, n) = fields::prefix(*v.get(8)?, &v[9..], v6)?;
                if 9 + n != v.len() {
                    return None;
                }
                MupRoute::InterworkSegmentDiscovery { rd, prefix }
            }
            2 => {
                let rd = fields::rd(v)?;
                if v.len() != 8 + alen {
                    return None;
                }
                MupRoute::DirectSegmentDiscovery {
                    rd,
                    address: fields::ip(&v[8..], v6)?,
                }
            }
            3 => {
                let rd = fields::rd(v)?;
                let (prefix, n) = fields::prefix(*v.get(8)?, &v[9..], v6)?;
                let mut at = 9 + n;
                let teid = fields::u32_at(v, at)?;
                let qfi = *v.get(at + 4)?;
                at += 5;
                let (endpoint, n) = fields::ip_by_bits(v.get(at..)?)?;
                at += n;
                // Absent in the draft's early versions (conf-srv6-mup.ci), present later
                // (conf-srv6-mup-v3.ci).
                let source = match v.get(at..)? {
                    [] => None,
                    rest => {
                        let (s, n) = fields::ip_by_bits(rest)?;
                        if n != rest.len() {
                            return None;
                        }
                        Some(s)
                    }
                };
                MupRoute::Type1SessionTransformed {
                    rd,
                    prefix,
                    teid,
                    qfi,
                    endpoint,
                    source,
                }
            }
            4 => {
                let rd = fields::rd(v)?;
                let bits = *v.get(8)? as usize;
                let teid_bits = bits.checked_sub(alen * 8)?;
                if teid_bits > 32 || v.len() != 9 + alen + teid_bits.div_ceil(8) {
                    return None;
                }
                let endpoint = fields::ip(&v[9..], v6)?;
                let teid = v[9 + alen..]
                    .iter()
                    .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
                Mup::t2st(rd, endpoint, teid, teid_bits as u8)?.route
            }
            _ => MupRoute::Other {
                code,
                value: Bytes::copy_from_slice(v),
            },
        };
        Some(Mup { arch, route })
    }

    /// Append the NLRI. `None` (nothing written) when the value exceeds 255 octets.
    pub fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        out.push(self.arch);
        out.extend_from_slice(&self.code().to_be_bytes());
        out.push(0);
        let put_prefix = |out: &mut Vec<u8>, p: &IpNet| {
            out.push(p.prefix_len());
            fields::put_prefix_octets(out, p);
        };
        let put_bits_ip = |out: &mut Vec<u8>, a: &IpAddr| {
            out.push(fields::ip_bits(a));
            fields::put_ip(out, a);
        };
        match &self.route {
            MupRoute::InterworkSegmentDiscovery { rd, prefix } => {
                out.extend_from_slice(&rd.0);
                put_prefix(out, prefix);
            }
            MupRoute::DirectSegmentDiscovery { rd, address } => {
                out.extend_from_slice(&rd.0);
                fields::put_ip(out, address);
            }
            MupRoute::Type1SessionTransformed {
                rd,
                prefix,
                teid,
                qfi,
                endpoint,
                source,
            } => {
                out.extend_from_slice(&rd.0);
                put_prefix(out, prefix);
                out.extend_from_slice(&teid.to_be_bytes());
                out.push(*qfi);
                put_bits_ip(out, endpoint);
                if let Some(s) = source {
                    put_bits_ip(out, s);
                }
            }
            MupRoute::Type2SessionTransformed {
                rd,
                endpoint,
                teid,
                teid_bits,
            } => {
                out.extend_from_slice(&rd.0);
                out.push(fields::ip_bits(endpoint).saturating_add(*teid_bits));
                fields::put_ip(out, endpoint);
                let n = (*teid_bits as usize).div_ceil(8).min(4);
                out.extend_from_slice(&teid.to_be_bytes()[4 - n..]);
            }
            MupRoute::Other { value, .. } => out.extend_from_slice(value),
        }
        let len = out.len() - start - 4;
        if len > 255 {
            out.truncate(start);
            return None;
        }
        out[start + 3] = len as u8;
        Some(())
    }

    pub fn to_bytes(&self) -> Option<Bytes> {
        let mut v = Vec::with_capacity(64);
        self.encode(&mut v)?;
        Some(Bytes::from(v))
    }

    /// The NLRI of `afi` mup for the UPDATE builder and the RIB.
    pub fn to_nlri(&self, afi: Afi) -> Option<Nlri> {
        Some(Nlri::Raw {
            family: Family::new(afi, Safi::MUP),
            bytes: self.to_bytes()?,
        })
    }

    pub fn from_nlri(n: &Nlri) -> Option<Mup> {
        match n {
            Nlri::Raw { family, bytes } if family.safi == Safi::MUP => {
                Mup::parse(bytes, family.afi)
            }
            _ => None,
        }
    }

    /// ExaBGP's JSON object, `raw` being the NLRI's bytes as received.
    pub fn write_json(&self, raw: &[u8], out: &mut Vec<u8>) {
        let name = match self.route {
            MupRoute::InterworkSegmentDiscovery { .. } => "InterworkSegmentDiscoveryRoute",
            MupRoute::DirectSegmentDiscovery { .. } => "DirectSegmentDiscoveryRoute",
            MupRoute::Type1SessionTransformed { .. } => "Type1SessionTransformedRoute",
            MupRoute::Type2SessionTransformed { .. } => "Type2SessionTransformedRoute",
            MupRoute::Other { .. } => "Unknown",
        };
        let _ = write!(
            out,
            "{{\"name\":\"{name}\",\"arch\":{},\"code\":{}",
            self.arch,
            self.code()
        );
        match &self.route {
            MupRoute::InterworkSegmentDiscovery { rd, prefix } => {
                fields::kv_raw(out, "prefix_ip_len", prefix.prefix_len());
                fields::kv_str(out, "prefix_ip", prefix.addr());
                fields::kv_str(out, "rd", rd);
            }
            MupRoute::DirectSegmentDiscovery { rd, address } => {
                fields::kv_str(out, "ip", address);
                fields::kv_str(out, "rd", rd);
            }
            MupRoute::Type1SessionTransformed {
                rd,
                prefix,
                teid,
                qfi,
                endpoint,
                source,
            } => {
                fields::kv_raw(out, "prefix_ip_len", prefix.prefix_len());
                fields::kv_str(out, "prefix_ip", prefix.addr());
                fields::kv_str(out, "teid", teid);
                fields::kv_str(out, "qfi", qfi);
                fields::kv_str(out, "rd", rd);
                fields::kv_raw(out, "endpoint_ip_len", fields::ip_bits(endpoint));
                fields::kv_str(out, "endpoint_ip", endpoint);
                match source {
                    Some(s) => {
                        fields::kv_raw(out, "source_ip_len", fields::ip_bits(s));
                        fields::kv_str(out, "source_ip", s);
                    }
                    // ExaBGP prints Python's empty bytes.
                    None => out.extend_from_slice(b",\"source_ip_len\":0,\"source_ip\":\"b''\""),
                }
            }
            MupRoute::Type2SessionTransformed {
                rd,
                endpoint,
                teid,
                teid_bits,
            } => {
                fields::kv_raw(
                    out,
                    "endpoint_len",
                    u32::from(fields::ip_bits(endpoint)) + u32::from(*teid_bits),
                );
                fields::kv_str(out, "endpoint_ip", endpoint);
                fields::kv_str(out, "rd", rd);
                fields::kv_str(out, "teid", teid);
            }
            MupRoute::Other { .. } => {}
        }
        out.extend_from_slice(b",\"raw\":\"");
        fields::hex_upper(out, raw);
        out.extend_from_slice(b"\"}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(h: &str, afi: Afi) -> (Mup, serde_json::Value) {
        let wire = hex::decode(h).unwrap();
        let m = Mup::parse(&wire, afi).unwrap();
        assert_eq!(hex::encode_upper(m.to_bytes().unwrap()), h, "re-encode");
        let mut j = Vec::new();
        m.write_json(&wire, &mut j);
        (m, serde_json::from_slice(&j).unwrap())
    }

    /// conf-srv6-mup.ci and conf-srv6-mup-v3.ci bytes.
    #[test]
    fn exabgp_routes() {
        let rd: RouteDistinguisher = "100:100".parse().unwrap();
        let (m, _) = check("0100010C0000006400000064180A0001", Afi::IPV4);
        assert_eq!(m, Mup::isd(rd, "10.0.1.0/24".parse().unwrap()));
        let (m, _) = check("0100020C00000064000000640A000001", Afi::IPV4);
        assert_eq!(m, Mup::dsd(rd, "10.0.0.1".parse().unwrap()));
        let (m, j) = check(
            "01000317000000640000006420C0A800010000303909200A000001",
            Afi::IPV4,
        );
        assert_eq!(
            m,
            Mup::t1st(
                rd,
                "192.168.0.1/32".parse().unwrap(),
                12345,
                9,
                "10.0.0.1".parse().unwrap(),
                None
            )
        );
        assert_eq!(j["source_ip"], "b''");
        let (m, j) = check(
            "0100031C000000640000006420C0A800020000303909200A000001200A000101",
            Afi::IPV4,
        );
        assert!(matches!(
            m.route,
            MupRoute::Type1SessionTransformed {
                source: Some(_),
                ..
            }
        ));
        assert_eq!(j["source_ip_len"], 32);
        let (m, j) = check("010004100000006400000064370A000001003039", Afi::IPV4);
        assert_eq!(
            m,
            Mup::t2st(rd, "10.0.0.1".parse().unwrap(), 12345, 23).unwrap()
        );
        assert_eq!(j["endpoint_len"], 55);
        assert_eq!(j["teid"], "12345");
        let (_, j) = check("0100040D0000006400000064200A000001", Afi::IPV4);
        assert_eq!(j["teid"], "0");
        check(
            "0100041D0000006400000064A02001000000000000000000000000000100003039",
            Afi::IPV6,
        );
        check("010001110000006400000064402001000000000000", Afi::IPV6);
        check(
            "0100034000000064000000648020010DB8000100010000000000000002000030390980200100000000000000000000000000018020020000000000000000000000000002",
            Afi::IPV6,
        );
    }

    fn ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ]
    }

    fn addr_of(v6: bool) -> BoxedStrategy<IpAddr> {
        if v6 {
            any::<[u8; 16]>().prop_map(IpAddr::from).boxed()
        } else {
            any::<[u8; 4]>().prop_map(IpAddr::from).boxed()
        }
    }

    fn prefix_of(v6: bool) -> BoxedStrategy<IpNet> {
        let max: u8 = if v6 { 128 } else { 32 };
        (addr_of(v6), 0..=max)
            .prop_map(|(a, l)| IpNet::new(a, l).unwrap().trunc())
            .boxed()
    }

    fn mup(v6: bool) -> impl Strategy<Value = Mup> {
        let rd = any::<[u8; 8]>().prop_map(RouteDistinguisher);
        prop_oneof![
            (rd.clone(), prefix_of(v6)).prop_map(|(r, p)| Mup::isd(r, p)),
            (rd.clone(), addr_of(v6)).prop_map(|(r, a)| Mup::dsd(r, a)),
            (
                rd.clone(),
                prefix_of(v6),
                any::<u32>(),
                any::<u8>(),
                ip(),
                proptest::option::of(ip())
            )
                .prop_map(|(r, p, t, q, e, s)| Mup::t1st(r, p, t, q, e, s)),
            (rd, addr_of(v6), any::<u32>(), 0u8..=32).prop_map(|(r, e, t, b)| {
                let t = if b == 32 { t } else { t & ((1u32 << b) - 1) };
                Mup::t2st(r, e, t, b).unwrap()
            }),
            (5u16..9, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(c, v)| {
                Mup::new(MupRoute::Other {
                    code: c,
                    value: Bytes::from(v),
                })
            }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip_v4(m in mup(false)) {
            let n = m.to_nlri(Afi::IPV4).unwrap();
            prop_assert_eq!(Mup::from_nlri(&n), Some(m));
        }

        #[test]
        fn round_trip_v6(m in mup(true)) {
            let n = m.to_nlri(Afi::IPV6).unwrap();
            prop_assert_eq!(Mup::from_nlri(&n), Some(m));
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..80), v6 in any::<bool>()) {
            let afi = if v6 { Afi::IPV6 } else { Afi::IPV4 };
            if let Some(m) = Mup::parse(&d, afi) {
                // Bits past a prefix length are cleared, so compare values, not bytes.
                prop_assert_eq!(Mup::parse(&m.to_bytes().unwrap(), afi), Some(m.clone()));
                let mut j = Vec::new();
                m.write_json(&d, &mut j);
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
        }
    }
}
