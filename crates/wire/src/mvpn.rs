//! Multicast VPN NLRI (RFC 6514 §4, RFC 6515 for IPv6), families ipv4/ipv6 mcast-vpn
//! (SAFI 5), and the PMSI Tunnel attribute (RFC 6514 §5).
//!
//! On the wire: route type (1 octet), length (1 octet), value. ExaBGP originates and
//! decodes types 5 (Source Active A-D), 6 (C-multicast Shared Tree Join) and 7
//! (C-multicast Source Tree Join); other types are kept as bytes (`parsed: false` in JSON).
//! Addresses in the value carry their own length in bits (32 or 128), so the parse needs
//! no family. Parsing allocates nothing for types 5–7.
//!
//! ExaBGP's text: `source-ad source S group G rd RD`, `shared-join rp RP group G rd RD
//! source-as AS`, `source-join source S group G rd RD source-as AS`.

use std::io::Write as _;
use std::net::IpAddr;

use bytes::Bytes;

use crate::fields;
use crate::model::{Afi, Family, Nlri, RouteDistinguisher, Safi};

/// One MVPN route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mvpn {
    /// Type 5, RFC 6514 §4.5.
    SourceActiveAd {
        rd: RouteDistinguisher,
        source: IpAddr,
        group: IpAddr,
    },
    /// Type 6, RFC 6514 §4.6: the "source" is the RP.
    SharedTreeJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        rp: IpAddr,
        group: IpAddr,
    },
    /// Type 7, RFC 6514 §4.6.
    SourceTreeJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        source: IpAddr,
        group: IpAddr,
    },
    /// Any other type: the value as received.
    Other { code: u8, value: Bytes },
}

impl Mvpn {
    pub fn code(&self) -> u8 {
        match self {
            Mvpn::SourceActiveAd { .. } => 5,
            Mvpn::SharedTreeJoin { .. } => 6,
            Mvpn::SourceTreeJoin { .. } => 7,
            Mvpn::Other { code, .. } => *code,
        }
    }

    /// ExaBGP's name of the route type.
    pub fn name(&self) -> &'static str {
        match self.code() {
            1 => "Intra-AS I-PMSI A-D route",
            2 => "Inter-AS I-PMSI A-D route",
            3 => "S-PMSI A-D route",
            4 => "Leaf A-D route",
            5 => "Source Active A-D Route",
            6 => "C-Multicast Shared Tree Join route",
            7 => "C-Multicast Source Tree Join route",
            _ => "Unknown",
        }
    }

    /// `source-ad source S group G rd RD`.
    pub fn source_ad(rd: RouteDistinguisher, source: IpAddr, group: IpAddr) -> Mvpn {
        Mvpn::SourceActiveAd { rd, source, group }
    }

    /// `shared-join rp RP group G rd RD source-as AS`.
    pub fn shared_join(rd: RouteDistinguisher, source_as: u32, rp: IpAddr, group: IpAddr) -> Mvpn {
        Mvpn::SharedTreeJoin {
            rd,
            source_as,
            rp,
            group,
        }
    }

    /// `source-join source S group G rd RD source-as AS`.
    pub fn source_join(
        rd: RouteDistinguisher,
        source_as: u32,
        source: IpAddr,
        group: IpAddr,
    ) -> Mvpn {
        Mvpn::SourceTreeJoin {
            rd,
            source_as,
            source,
            group,
        }
    }

    /// Parse one NLRI (type and length included, path id excluded); `None` when the
    /// length does not match the bytes or a known type's value is malformed.
    pub fn parse(wire: &[u8]) -> Option<Mvpn> {
        let code = *wire.first()?;
        let len = *wire.get(1)? as usize;
        let v = wire.get(2..)?;
        if v.len() != len {
            return None;
        }
        let two = |d: &[u8]| -> Option<(IpAddr, IpAddr)> {
            let (a, n) = fields::ip_by_bits(d)?;
            let (b, m) = fields::ip_by_bits(&d[n..])?;
            (n + m == d.len()).then_some((a, b))
        };
        Some(match code {
            5 => {
                let rd = fields::rd(v)?;
                let (source, group) = two(&v[8..])?;
                Mvpn::SourceActiveAd { rd, source, group }
            }
            6 | 7 => {
                let rd = fields::rd(v)?;
                let source_as = fields::u32_at(v, 8)?;
                let (s, group) = two(&v[12..])?;
                if code == 6 {
                    Mvpn::shared_join(rd, source_as, s, group)
                } else {
                    Mvpn::source_join(rd, source_as, s, group)
                }
            }
            _ => Mvpn::Other {
                code,
                value: Bytes::copy_from_slice(v),
            },
        })
    }

    /// Append the NLRI. `None` (nothing written) when an `Other` value exceeds 255 octets.
    pub fn encode(&self, out: &mut Vec<u8>) -> Option<()> {
        let start = out.len();
        out.push(self.code());
        out.push(0);
        let put = |out: &mut Vec<u8>, a: &IpAddr| {
            out.push(fields::ip_bits(a));
            fields::put_ip(out, a);
        };
        match self {
            Mvpn::SourceActiveAd { rd, source, group } => {
                out.extend_from_slice(&rd.0);
                put(out, source);
                put(out, group);
            }
            Mvpn::SharedTreeJoin {
                rd,
                source_as,
                rp: source,
                group,
            }
            | Mvpn::SourceTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&source_as.to_be_bytes());
                put(out, source);
                put(out, group);
            }
            Mvpn::Other { value, .. } => out.extend_from_slice(value),
        }
        let len = out.len() - start - 2;
        if len > 255 {
            out.truncate(start);
            return None;
        }
        out[start + 1] = len as u8;
        Some(())
    }

    pub fn to_bytes(&self) -> Option<Bytes> {
        let mut v = Vec::with_capacity(48);
        self.encode(&mut v)?;
        Some(Bytes::from(v))
    }

    /// The NLRI of `afi` mcast-vpn for the UPDATE builder and the RIB.
    pub fn to_nlri(&self, afi: Afi) -> Option<Nlri> {
        Some(Nlri::Raw {
            family: Family::new(afi, Safi::MCAST_VPN),
            bytes: self.to_bytes()?,
        })
    }

    pub fn from_nlri(n: &Nlri) -> Option<Mvpn> {
        match n {
            Nlri::Raw { family, bytes } if family.safi == Safi::MCAST_VPN => Mvpn::parse(bytes),
            _ => None,
        }
    }

    /// ExaBGP's JSON object, `raw` being the NLRI's bytes as received.
    pub fn write_json(&self, raw: &[u8], out: &mut Vec<u8>) {
        let parsed = !matches!(self, Mvpn::Other { .. });
        let _ = write!(
            out,
            "{{\"code\":{},\"parsed\":{parsed},\"raw\":\"",
            self.code()
        );
        fields::hex_upper(out, raw);
        out.push(b'"');
        if parsed {
            fields::kv_str(out, "name", self.name());
        }
        match self {
            Mvpn::SourceActiveAd { rd, source, group } => {
                fields::kv_str(out, "rd", rd);
                fields::kv_str(out, "source", source);
                fields::kv_str(out, "group", group);
            }
            Mvpn::SharedTreeJoin {
                rd,
                source_as,
                rp: source,
                group,
            }
            | Mvpn::SourceTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => {
                fields::kv_str(out, "rd", rd);
                fields::kv_str(out, "source-as", source_as);
                fields::kv_str(out, "source", source);
                fields::kv_str(out, "group", group);
            }
            Mvpn::Other { .. } => {}
        }
        out.push(b'}');
    }
}

// ---------------------------------------------------------------------------------------------
// PMSI Tunnel attribute (RFC 6514 §5), attribute code 22
// ---------------------------------------------------------------------------------------------

/// PMSI_TUNNEL attribute type code.
pub const PMSI_TUNNEL: u8 = 22;

/// PMSI Tunnel attribute: flags, tunnel type, MPLS label (20 bits, or a VNI for VXLAN
/// tunnels, RFC 8365 §5.1.3), tunnel identifier kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PmsiTunnel {
    /// Bit 0x01 = Leaf Information Required.
    pub flags: u8,
    pub tunnel_type: u8,
    /// The 3-octet label field as on the wire.
    pub label_field: u32,
    pub tunnel_id: Bytes,
}

impl PmsiTunnel {
    pub const NO_TUNNEL: u8 = 0;
    pub const INGRESS_REPLICATION: u8 = 6;

    /// Ingress replication to `endpoint` with MPLS `label` (ExaBGP's `pmsi` forms use this).
    pub fn ingress_replication(flags: u8, label: u32, endpoint: IpAddr) -> PmsiTunnel {
        let mut id = Vec::new();
        fields::put_ip(&mut id, &endpoint);
        PmsiTunnel {
            flags,
            tunnel_type: Self::INGRESS_REPLICATION,
            label_field: (label & 0xF_FFFF) << 4,
            tunnel_id: Bytes::from(id),
        }
    }

    pub fn parse(v: &[u8]) -> Option<PmsiTunnel> {
        let h = v.get(..5)?;
        Some(PmsiTunnel {
            flags: h[0],
            tunnel_type: h[1],
            label_field: u32::from_be_bytes([0, h[2], h[3], h[4]]),
            tunnel_id: Bytes::copy_from_slice(&v[5..]),
        })
    }

    /// The attribute value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.tunnel_type);
        out.extend_from_slice(&self.label_field.to_be_bytes()[1..]);
        out.extend_from_slice(&self.tunnel_id);
    }

    /// The label (upper 20 bits of the label field).
    pub fn label(&self) -> u32 {
        self.label_field >> 4
    }

    /// ExaBGP's name of the tunnel type, spaces removed and lower-cased as its text shows it.
    fn type_name(&self) -> &'static str {
        match self.tunnel_type {
            0 => "notunnel",
            1 => "rsvp-tep2mplsp",
            2 => "mldpp2mplsp",
            3 => "pim-ssmtree",
            4 => "pim-smtree",
            5 => "bidir-pimtree",
            6 => "ingressreplication",
            7 => "mldpmp2mplsp",
            _ => "unknown",
        }
    }

    /// ExaBGP's text of the attribute, `pmsi:TYPE:FLAGS:LABEL:TUNNEL`: the label is the
    /// upper 20 bits, followed by the whole field in parentheses when the low bits are not
    /// zero; the tunnel is the endpoint address for ingress replication, nothing for no
    /// tunnel, else `0x` and the identifier in upper-case hex.
    pub fn exabgp_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    fn write_text(&self, out: &mut String) {
        use std::fmt::Write as _;
        let raw = self.label_field;
        let _ = write!(
            out,
            "pmsi:{}:{}:{}",
            self.type_name(),
            self.flags,
            self.label()
        );
        if raw != self.label() << 4 {
            let _ = write!(out, "({raw})");
        }
        out.push(':');
        let t = &self.tunnel_id[..];
        match (self.tunnel_type, t.len()) {
            (Self::NO_TUNNEL, _) => {}
            (Self::INGRESS_REPLICATION, 4 | 16) => {
                if let Some(ip) = fields::ip(t, t.len() == 16) {
                    let _ = write!(out, "{ip}");
                }
            }
            (_, 0) => {}
            _ => {
                out.push_str("0x");
                for b in t {
                    let _ = write!(out, "{b:02X}");
                }
            }
        }
    }

    /// `"pmsi":"pmsi:…"` as ExaBGP's JSON has it (a string attribute, its text). `false`
    /// (nothing written) when the value is shorter than the fixed part.
    pub fn write_attribute_json(out: &mut Vec<u8>, v: &[u8]) -> bool {
        let Some(p) = PmsiTunnel::parse(v) else {
            return false;
        };
        out.extend_from_slice(b"\"pmsi\":\"");
        let mut s = String::with_capacity(48);
        p.write_text(&mut s);
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        true
    }

    /// As an attribute for `PathAttributes::unknown` (optional, transitive).
    pub fn to_attribute(&self) -> crate::model::RawAttribute {
        let mut v = Vec::with_capacity(5 + self.tunnel_id.len());
        self.encode(&mut v);
        crate::model::RawAttribute {
            flags: crate::model::attr_flag::OPTIONAL | crate::model::attr_flag::TRANSITIVE,
            code: PMSI_TUNNEL,
            value: Bytes::from(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nlri_json(h: &str) -> (Mvpn, String) {
        let wire = hex::decode(h).unwrap();
        let m = Mvpn::parse(&wire).unwrap();
        assert_eq!(hex::encode_upper(m.to_bytes().unwrap()), h, "re-encode");
        let mut j = Vec::new();
        m.write_json(&wire, &mut j);
        (m, String::from_utf8(j).unwrap())
    }

    /// conf-mvpn.ci / api-mvpn.ci bytes.
    #[test]
    fn exabgp_routes() {
        let rd: RouteDistinguisher = "65000:99999".parse().unwrap();
        let (m, j) = nlri_json("06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4");
        assert_eq!(
            m,
            Mvpn::shared_join(
                rd,
                65000,
                "10.99.199.1".parse().unwrap(),
                "239.251.255.228".parse().unwrap()
            )
        );
        assert_eq!(
            j,
            r#"{"code":6,"parsed":true,"raw":"06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4","name":"C-Multicast Shared Tree Join route","rd":"65000:99999","source-as":"65000","source":"10.99.199.1","group":"239.251.255.228"}"#
        );
        let (m, _) = nlri_json("052A0000FDE80001869F80FD12000000000000000000000000000480FF0E0000000000000000000000000001");
        assert_eq!(
            m,
            Mvpn::source_ad(rd, "fd12::4".parse().unwrap(), "ff0e::1".parse().unwrap())
        );
        let (m, _) = nlri_json("07160000FDE80001869F0000FDE8200A630C0220EFFBFFE4");
        assert_eq!(m.code(), 7);
        let (m, j) = nlri_json("0103AABBCC");
        assert_eq!(m.code(), 1);
        assert_eq!(j, r#"{"code":1,"parsed":false,"raw":"0103AABBCC"}"#);
        assert!(
            Mvpn::parse(&hex::decode("05120000FDE80001869F210A630C0420EFFBFFE4").unwrap())
                .is_none()
        );
    }

    #[test]
    fn pmsi() {
        let p = PmsiTunnel::ingress_replication(0, 100, "10.0.0.1".parse().unwrap());
        let mut v = Vec::new();
        p.encode(&mut v);
        assert_eq!(hex::encode_upper(&v), "00060006400A000001");
        assert_eq!(PmsiTunnel::parse(&v), Some(p.clone()));
        assert_eq!(p.label(), 100);
    }

    fn ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from),
        ]
    }

    fn mvpn() -> impl Strategy<Value = Mvpn> {
        let rd = any::<[u8; 8]>().prop_map(RouteDistinguisher);
        prop_oneof![
            (rd.clone(), ip(), ip()).prop_map(|(r, s, g)| Mvpn::source_ad(r, s, g)),
            (rd.clone(), any::<u32>(), ip(), ip())
                .prop_map(|(r, a, s, g)| Mvpn::shared_join(r, a, s, g)),
            (rd, any::<u32>(), ip(), ip()).prop_map(|(r, a, s, g)| Mvpn::source_join(r, a, s, g)),
            (1u8..5, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(c, v)| {
                Mvpn::Other {
                    code: c,
                    value: Bytes::from(v),
                }
            }),
        ]
    }

    proptest! {
        /// The PMSI Tunnel attribute reads back what was encoded.
        #[test]
        fn pmsi_round_trip(flags in any::<u8>(), tunnel_type in any::<u8>(),
                           label_field in 0u32..1 << 24,
                           id in proptest::collection::vec(any::<u8>(), 0..20)) {
            let p = PmsiTunnel { flags, tunnel_type, label_field, tunnel_id: Bytes::from(id) };
            let mut v = Vec::new();
            p.encode(&mut v);
            prop_assert_eq!(PmsiTunnel::parse(&v), Some(p));
        }

        #[test]
        fn round_trip(m in mvpn(), v6 in any::<bool>()) {
            let afi = if v6 { Afi::IPV6 } else { Afi::IPV4 };
            let n = m.to_nlri(afi).unwrap();
            prop_assert_eq!(Mvpn::from_nlri(&n), Some(m));
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Some(m) = Mvpn::parse(&d) {
                prop_assert_eq!(&m.to_bytes().unwrap()[..], &d[..]);
                let mut j = Vec::new();
                m.write_json(&d, &mut j);
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
            if let Some(p) = PmsiTunnel::parse(&d) {
                let mut v = Vec::new();
                p.encode(&mut v);
                prop_assert_eq!(v, d.clone());
            }
            let mut j = Vec::new();
            if PmsiTunnel::write_attribute_json(&mut j, &d) {
                j.insert(0, b'{');
                j.push(b'}');
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
        }
    }

    /// Values laid out by hand after RFC 6514 §5 (flags, type, 3-octet label field, tunnel
    /// identifier); the text follows ExaBGP's `pmsi:TYPE:FLAGS:LABEL:TUNNEL` form.
    #[test]
    fn pmsi_text_as_exabgp() {
        let text = |h: &str| {
            PmsiTunnel::parse(&hex::decode(h).unwrap())
                .unwrap()
                .exabgp_text()
        };
        // Ingress replication, label 100 (0x000640), endpoint 10.0.0.1.
        assert_eq!(
            text("00060006400A000001"),
            "pmsi:ingressreplication:0:100:10.0.0.1"
        );
        // RFC 8365 §5.1.3: a VNI (1001) in the whole field: label 62 and the raw field.
        assert_eq!(
            text("00060003E901010101"),
            "pmsi:ingressreplication:0:62(1001):1.1.1.1"
        );
        // No tunnel, leaf information required.
        assert_eq!(text("0100000000"), "pmsi:notunnel:1:0:");
        // mLDP P2MP LSP: the identifier in hex.
        assert_eq!(text("0002000010010203"), "pmsi:mldpp2mplsp:0:1:0x010203");
        assert_eq!(text("00FF000000"), "pmsi:unknown:0:0:");
        assert!(PmsiTunnel::parse(&[0, 6, 0, 0]).is_none());
        let mut j = Vec::new();
        assert!(PmsiTunnel::write_attribute_json(
            &mut j,
            &hex::decode("00060006400A000001").unwrap()
        ));
        assert_eq!(
            String::from_utf8(j).unwrap(),
            r#""pmsi":"pmsi:ingressreplication:0:100:10.0.0.1""#
        );
    }
}
