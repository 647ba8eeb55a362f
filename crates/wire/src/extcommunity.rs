//! Extended communities (RFC 4360), IPv6-address-specific extended communities (RFC 5701)
//! and the flowspec actions carried in them (RFC 8955 §7, RFC 7674, draft-ietf-idr-flowspec-redirect-ip).
//!
//! A community is kept as its wire bytes ([`ExtendedCommunity`] is `[u8; 8]`); [`ExtendedCommunity::kind`]
//! gives a typed view, [`ExtendedCommunity::parse`] reads ExaBGP's configuration / API text, `Display`
//! writes ExaBGP's text, and [`ExtendedCommunity::write_json`] writes ExaBGP's JSON object
//! (`{"value": N, "string": "…"}`).
//!
//! ExaBGP looks communities up by `(type & 0x0F, subtype)`, ignoring the IANA-authority and
//! transitive bits; its JSON `string` is empty for a community it does not know. We follow both
//! rules for the JSON so documents are identical, while `kind()` also names a few types ExaBGP
//! does not (origin validation state, RFC 8097).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One 8-octet extended community, kept as its wire bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtendedCommunity(pub [u8; 8]);

/// One 20-octet IPv6-address-specific extended community (RFC 5701).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6ExtendedCommunity(pub [u8; 20]);

/// Why a community's text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtCommunityError {
    #[error("invalid extended community {0:?}: {1}")]
    Invalid(String, &'static str),
}

fn bad(text: &str, why: &'static str) -> ExtCommunityError {
    ExtCommunityError::Invalid(text.to_string(), why)
}

/// Direction of a flowspec interface-set community (draft-ietf-idr-flowspec-interfaceset).
pub const INTERFACE_SET_NAMES: [&str; 4] = ["0", "input", "output", "input-output"];

/// Encapsulation tunnel types of RFC 5512 / the IANA tunnel-type registry, as ExaBGP names them.
const ENCAP_NAMES: &[(u16, &str)] = &[
    (0x00, "Default"),
    (0x01, "L2TPv3"),
    (0x02, "GRE"),
    (0x07, "IP-in-IP"),
    (0x08, "VXLAN"),
    (0x09, "NVGRE"),
    (0x0A, "MPLS"),
    (0x0C, "VXLAN-GPE"),
    (0x0D, "MPLS-in-UDP"),
];

/// A typed view of an 8-octet extended community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtCommunityKind {
    /// Route target, 2-octet AS specific (type 0x00, sub-type 0x02): `target:ASN:N`.
    RouteTargetAs2 { asn: u16, number: u32 },
    /// Route target, IPv4 address specific (0x01, 0x02): `target:IP:N`.
    RouteTargetIpv4 { ip: Ipv4Addr, number: u16 },
    /// Route target, 4-octet AS specific (0x02, 0x02).
    RouteTargetAs4 { asn: u32, number: u16 },
    /// Route origin (site of origin), 2-octet AS specific (0x00, 0x03). ExaBGP shows the
    /// 4-octet local part as an IPv4 address: `origin:ASN:a.b.c.d`.
    RouteOriginAs2 { asn: u16, number: u32 },
    /// Route origin, IPv4 address specific (0x01, 0x03): `origin:IP:N`.
    RouteOriginIpv4 { ip: Ipv4Addr, number: u16 },
    /// Route origin, 4-octet AS specific (0x02, 0x03).
    RouteOriginAs4 { asn: u32, number: u16 },
    /// RFC 8955 traffic-rate in bytes per second (0x80, 0x06); 0 means discard.
    TrafficRateBytes { asn: u16, rate: f32 },
    /// RFC 8955 traffic-rate in packets per second (0x80, 0x0C).
    TrafficRatePackets { asn: u16, rate: f32 },
    /// RFC 8955 traffic-action (0x80, 0x07).
    TrafficAction { sample: bool, terminal: bool },
    /// RFC 8955 redirect to VRF, 2-octet AS route target (0x80, 0x08).
    RedirectAs2 { asn: u16, number: u32 },
    /// RFC 8955 redirect to VRF, IPv4 route target (0x81, 0x08).
    RedirectIpv4 { ip: Ipv4Addr, number: u16 },
    /// RFC 7674 redirect to VRF, 4-octet AS route target (0x82, 0x08).
    RedirectAs4 { asn: u32, number: u16 },
    /// RFC 8955 traffic-marking (0x80, 0x09): the DSCP to set.
    TrafficMarking { dscp: u8 },
    /// Redirect to the UPDATE's next hop (draft-simpson-idr-flowspec-redirect, 0x08, 0x00).
    RedirectToNexthop { copy: bool },
    /// Redirect to an IPv4 address (draft-ietf-idr-flowspec-redirect-ip, 0x01, 0x0C).
    RedirectToIpv4 { ip: Ipv4Addr, copy: bool },
    /// Link bandwidth (draft-ietf-idr-link-bandwidth, 0x40, 0x04), in bytes per second.
    LinkBandwidth { asn: u16, bandwidth: f32 },
    /// Layer 2 info (RFC 4761 §3.2.4, 0x80, 0x0A).
    L2Info {
        encapsulation: u8,
        control: u8,
        mtu: u16,
        reserved: u16,
    },
    /// Encapsulation (RFC 5512, 0x03, 0x0C).
    Encapsulation { tunnel_type: u16 },
    /// MAC mobility (RFC 7432 §7.7, 0x06, 0x00).
    MacMobility { sticky: bool, sequence: u32 },
    /// ESI label (RFC 7432 §7.5, 0x06, 0x01).
    EsiLabel { single_active: bool, label: u32 },
    /// ES-Import route target (RFC 7432 §7.6, 0x06, 0x02).
    EsImport { mac: [u8; 6] },
    /// Flowspec interface-set (draft-ietf-idr-flowspec-interfaceset, 0x07/0x47, 0x02).
    InterfaceSet {
        transitive: bool,
        asn: u32,
        direction: u8,
        group: u16,
    },
    /// BGP-MUP direct segment identifier (draft-mpmz-bess-mup-safi, 0x0C, 0x00).
    Mup { high: u16, low: u32 },
    /// Consistent hash sort order (draft-ietf-bess-service-chaining, 0x03, 0x14).
    ConsistentHashSortOrder { order: u32 },
    /// RT-record (draft-ietf-bess-service-chaining, sub-type 0x13), 2-octet AS form.
    RtRecordAs2 { asn: u16, number: u32 },
    /// RT-record, IPv4 form.
    RtRecordIpv4 { ip: Ipv4Addr, number: u16 },
    /// RT-record, 4-octet AS form.
    RtRecordAs4 { asn: u32, number: u16 },
    /// BGP prefix origin validation state (RFC 8097, 0x43, 0x00): 0 valid, 1 not-found, 2 invalid.
    OriginValidation { state: u8 },
    /// Anything else: read the bytes.
    Unknown,
}

const VALIDATION_NAMES: [&str; 3] = ["valid", "not-found", "invalid"];

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl ExtendedCommunity {
    /// The high-order type octet (with its IANA-authority and transitive bits).
    pub const fn type_high(&self) -> u8 {
        self.0[0]
    }
    /// The sub-type octet.
    pub const fn subtype(&self) -> u8 {
        self.0[1]
    }
    /// RFC 4360 §2: the T bit set means the community is not transitive across ASes.
    pub const fn is_transitive(&self) -> bool {
        self.0[0] & 0x40 == 0
    }
    /// The 8 octets read as one big-endian integer (ExaBGP's JSON `value`).
    pub const fn value(&self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// A typed view of the community.
    pub fn kind(&self) -> ExtCommunityKind {
        use ExtCommunityKind as K;
        let b = &self.0;
        let v = &b[2..];
        match (b[0], b[1]) {
            (0x00 | 0x40, 0x02) => K::RouteTargetAs2 {
                asn: be16(v),
                number: be32(&v[2..]),
            },
            (0x01 | 0x41, 0x02) => K::RouteTargetIpv4 {
                ip: ip4(v),
                number: be16(&v[4..]),
            },
            (0x02 | 0x42, 0x02) => K::RouteTargetAs4 {
                asn: be32(v),
                number: be16(&v[4..]),
            },
            (0x00 | 0x40, 0x03) => K::RouteOriginAs2 {
                asn: be16(v),
                number: be32(&v[2..]),
            },
            (0x01 | 0x41, 0x03) => K::RouteOriginIpv4 {
                ip: ip4(v),
                number: be16(&v[4..]),
            },
            (0x02 | 0x42, 0x03) => K::RouteOriginAs4 {
                asn: be32(v),
                number: be16(&v[4..]),
            },
            (0x80, 0x06) => K::TrafficRateBytes {
                asn: be16(v),
                rate: f32::from_bits(be32(&v[2..])),
            },
            (0x80, 0x0C) => K::TrafficRatePackets {
                asn: be16(v),
                rate: f32::from_bits(be32(&v[2..])),
            },
            (0x80, 0x07) => K::TrafficAction {
                sample: b[7] & 0x02 != 0,
                terminal: b[7] & 0x01 != 0,
            },
            (0x80, 0x08) => K::RedirectAs2 {
                asn: be16(v),
                number: be32(&v[2..]),
            },
            (0x81, 0x08) => K::RedirectIpv4 {
                ip: ip4(v),
                number: be16(&v[4..]),
            },
            (0x82, 0x08) => K::RedirectAs4 {
                asn: be32(v),
                number: be16(&v[4..]),
            },
            (0x80, 0x09) => K::TrafficMarking { dscp: b[7] },
            (0x08, 0x00) => K::RedirectToNexthop {
                copy: b[7] & 0x01 != 0,
            },
            (0x01, 0x0C) => K::RedirectToIpv4 {
                ip: ip4(v),
                copy: b[7] & 0x01 != 0,
            },
            (0x40 | 0x00, 0x04) => K::LinkBandwidth {
                asn: be16(v),
                bandwidth: f32::from_bits(be32(&v[2..])),
            },
            (0x80, 0x0A) => K::L2Info {
                encapsulation: b[2],
                control: b[3],
                mtu: be16(&b[4..]),
                reserved: be16(&b[6..]),
            },
            (0x03, 0x0C) => K::Encapsulation {
                tunnel_type: be16(&b[6..]),
            },
            (0x06, 0x00) => K::MacMobility {
                sticky: b[2] & 0x01 != 0,
                sequence: be32(&b[4..]),
            },
            (0x06, 0x01) => K::EsiLabel {
                single_active: b[2] & 0x01 != 0,
                label: u32::from_be_bytes([0, b[5], b[6], b[7]]) >> 4,
            },
            (0x06, 0x02) => K::EsImport {
                mac: [b[2], b[3], b[4], b[5], b[6], b[7]],
            },
            (0x07 | 0x47, 0x02) => K::InterfaceSet {
                transitive: b[0] & 0x40 == 0,
                asn: be32(v),
                direction: b[6] >> 6,
                group: be16(&b[6..]) & 0x3FFF,
            },
            (0x0C, 0x00) => K::Mup {
                high: be16(v),
                low: be32(&v[2..]),
            },
            (0x03, 0x14) => K::ConsistentHashSortOrder { order: be32(v) },
            (0x00, 0x13) => K::RtRecordAs2 {
                asn: be16(v),
                number: be32(&v[2..]),
            },
            (0x01, 0x13) => K::RtRecordIpv4 {
                ip: ip4(v),
                number: be16(&v[4..]),
            },
            (0x02, 0x13) => K::RtRecordAs4 {
                asn: be32(v),
                number: be16(&v[4..]),
            },
            (0x43, 0x00) => K::OriginValidation { state: b[7] },
            _ => K::Unknown,
        }
    }

    /// Builds the wire form of a typed community. `Unknown` gives all zeroes.
    pub fn from_kind(kind: ExtCommunityKind) -> Self {
        use ExtCommunityKind as K;
        let mut b = [0u8; 8];
        fn hl(b: &mut [u8; 8], t: u8, s: u8, h: u16, l: u32) {
            b[0] = t;
            b[1] = s;
            b[2..4].copy_from_slice(&h.to_be_bytes());
            b[4..8].copy_from_slice(&l.to_be_bytes());
        }
        fn lh(b: &mut [u8; 8], t: u8, s: u8, l: u32, h: u16) {
            b[0] = t;
            b[1] = s;
            b[2..6].copy_from_slice(&l.to_be_bytes());
            b[6..8].copy_from_slice(&h.to_be_bytes());
        }
        match kind {
            K::RouteTargetAs2 { asn, number } => hl(&mut b, 0x00, 0x02, asn, number),
            K::RouteTargetIpv4 { ip, number } => lh(&mut b, 0x01, 0x02, ip.into(), number),
            K::RouteTargetAs4 { asn, number } => lh(&mut b, 0x02, 0x02, asn, number),
            K::RouteOriginAs2 { asn, number } => hl(&mut b, 0x00, 0x03, asn, number),
            K::RouteOriginIpv4 { ip, number } => lh(&mut b, 0x01, 0x03, ip.into(), number),
            K::RouteOriginAs4 { asn, number } => lh(&mut b, 0x02, 0x03, asn, number),
            K::TrafficRateBytes { asn, rate } => hl(&mut b, 0x80, 0x06, asn, rate.to_bits()),
            K::TrafficRatePackets { asn, rate } => hl(&mut b, 0x80, 0x0C, asn, rate.to_bits()),
            K::TrafficAction { sample, terminal } => {
                b[0] = 0x80;
                b[1] = 0x07;
                b[7] = (u8::from(sample) << 1) | u8::from(terminal);
            }
            K::RedirectAs2 { asn, number } => hl(&mut b, 0x80, 0x08, asn, number),
            K::RedirectIpv4 { ip, number } => lh(&mut b, 0x81, 0x08, ip.into(), number),
            K::RedirectAs4 { asn, number } => lh(&mut b, 0x82, 0x08, asn, number),
            K::TrafficMarking { dscp } => {
                b[0] = 0x80;
                b[1] = 0x09;
                b[7] = dscp;
            }
            K::RedirectToNexthop { copy } => {
                b[0] = 0x08;
                b[7] = u8::from(copy);
            }
            K::RedirectToIpv4 { ip, copy } => lh(&mut b, 0x01, 0x0C, ip.into(), u16::from(copy)),
            K::LinkBandwidth { asn, bandwidth } => hl(&mut b, 0x40, 0x04, asn, bandwidth.to_bits()),
            K::L2Info {
                encapsulation,
                control,
                mtu,
                reserved,
            } => {
                b[0] = 0x80;
                b[1] = 0x0A;
                b[2] = encapsulation;
                b[3] = control;
                b[4..6].copy_from_slice(&mtu.to_be_bytes());
                b[6..8].copy_from_slice(&reserved.to_be_bytes());
            }
            K::Encapsulation { tunnel_type } => lh(&mut b, 0x03, 0x0C, 0, tunnel_type),
            K::MacMobility { sticky, sequence } => {
                b[0] = 0x06;
                b[2] = u8::from(sticky);
                b[4..8].copy_from_slice(&sequence.to_be_bytes());
            }
            K::EsiLabel {
                single_active,
                label,
            } => {
                b[0] = 0x06;
                b[1] = 0x01;
                b[2] = u8::from(single_active);
                let l = (label & 0xF_FFFF) << 4;
                b[5..8].copy_from_slice(&l.to_be_bytes()[1..]);
            }
            K::EsImport { mac } => {
                b[0] = 0x06;
                b[1] = 0x02;
                b[2..8].copy_from_slice(&mac);
            }
            K::InterfaceSet {
                transitive,
                asn,
                direction,
                group,
            } => {
                let t = if transitive { 0x07 } else { 0x47 };
                lh(
                    &mut b,
                    t,
                    0x02,
                    asn,
                    (u16::from(direction & 0x03) << 14) | (group & 0x3FFF),
                );
            }
            K::Mup { high, low } => hl(&mut b, 0x0C, 0x00, high, low),
            K::ConsistentHashSortOrder { order } => lh(&mut b, 0x03, 0x14, order, 0),
            K::RtRecordAs2 { asn, number } => hl(&mut b, 0x00, 0x13, asn, number),
            K::RtRecordIpv4 { ip, number } => lh(&mut b, 0x01, 0x13, ip.into(), number),
            K::RtRecordAs4 { asn, number } => lh(&mut b, 0x02, 0x13, asn, number),
            K::OriginValidation { state } => {
                b[0] = 0x43;
                b[7] = state;
            }
            K::Unknown => {}
        }
        ExtendedCommunity(b)
    }

    /// ExaBGP's name for the community, or `None` when ExaBGP does not know its type (its JSON
    /// then carries an empty `string`). ExaBGP matches on `(type & 0x0F, sub-type)`.
    pub fn write_exabgp_string<W: fmt::Write>(&self, w: &mut W) -> Option<fmt::Result> {
        let b = &self.0;
        let v = &b[2..];
        let r = match (b[0] & 0x0F, b[1]) {
            (0x00, 0x02) => write!(w, "target:{}:{}", be16(v), be32(&v[2..])),
            (0x01, 0x02) => write!(w, "target:{}:{}", ip4(v), be16(&v[4..])),
            (0x02, 0x02) => write!(w, "target:{}:{}", be32(v), be16(&v[4..])),
            (0x00, 0x03) => write!(w, "origin:{}:{}", be16(v), ip4(&v[2..])),
            (0x01, 0x03) => write!(w, "origin:{}:{}", ip4(v), be16(&v[4..])),
            (0x02, 0x03) => write!(w, "origin:{}:{}", be32(v), be16(&v[4..])),
            (0x00, 0x13) => write!(w, "rtrecord:{}:{}", be16(v), be32(&v[2..])),
            (0x01, 0x13) => write!(w, "rtrecord:{}:{}", ip4(v), be16(&v[4..])),
            (0x02, 0x13) => write!(w, "rtrecord:{}:{}", be32(v), be16(&v[4..])),
            (0x00, 0x06) => write!(w, "rate-limit:{}", py_int(f32::from_bits(be32(&v[2..])))),
            (0x00, 0x0C) => write!(
                w,
                "rate-limit:{}:packets",
                py_int(f32::from_bits(be32(&v[2..])))
            ),
            (0x00, 0x07) => {
                let mut r = w.write_str("action ");
                match (b[7] & 0x02 != 0, b[7] & 0x01 != 0) {
                    (true, true) => r = r.and(w.write_str("sample-terminal")),
                    (true, false) => r = r.and(w.write_str("sample")),
                    (false, true) => r = r.and(w.write_str("terminal")),
                    (false, false) => {}
                }
                r
            }
            (0x00, 0x08) => write!(w, "redirect:{}:{}", be16(v), be32(&v[2..])),
            (0x02, 0x08) => write!(w, "redirect:{}:{}", be32(v), be16(&v[4..])),
            (0x00, 0x09) => write!(w, "mark {}", b[7]),
            (0x01, 0x0C) => {
                if be16(&b[6..]) & 0x01 != 0 {
                    write!(w, "copy-to-nexthop-ietf {} (with copy)", ip4(v))
                } else {
                    write!(w, "redirect-to-nexthop-ietf {}", ip4(v))
                }
            }
            (0x08, 0x00) => w.write_str(if b[7] & 0x01 != 0 {
                "copy-to-nexthop"
            } else {
                "redirect-to-nexthop"
            }),
            (0x00, 0x04) => write!(
                w,
                "bandwith:{}:{}",
                be16(v),
                py_round(f32::from_bits(be32(&v[2..])))
            ),
            (0x00, 0x0A) => write!(
                w,
                "l2info:{}:{}:{}:{}",
                b[2],
                b[3],
                be16(&b[4..]),
                be16(&b[6..])
            ),
            (0x03, 0x0C) => {
                let t = be16(&b[6..]);
                match ENCAP_NAMES.iter().find(|(c, _)| *c == t) {
                    Some((_, n)) => write!(w, "encap:{n}"),
                    None => write!(w, "encap:encap:UNKNOWN-{t}"),
                }
            }
            (0x03, 0x14) => write!(w, "consistentHashSortOrder:{}", be32(v)),
            (0x06, 0x00) => {
                let r = write!(w, "mac-mobility:{}", be32(&b[4..]));
                if b[2] & 0x01 != 0 {
                    r.and(w.write_str(":sticky"))
                } else {
                    r
                }
            }
            (0x06, 0x01) => {
                let label = u32::from_be_bytes([0, b[5], b[6], b[7]]) >> 4;
                let mode = if b[2] & 0x01 != 0 {
                    "single-active"
                } else {
                    "all-active"
                };
                write!(w, "esi-label:{label}:{mode}")
            }
            (0x06, 0x02) => write!(
                w,
                "es-import:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                b[2], b[3], b[4], b[5], b[6], b[7]
            ),
            (0x07, 0x02) => {
                let dir = (b[6] >> 6) as usize;
                write!(
                    w,
                    "interface-set:{}:{}:{}",
                    INTERFACE_SET_NAMES[dir],
                    be32(v),
                    be16(&b[6..]) & 0x1FFF
                )
            }
            (0x0C, 0x00) => write!(w, "mup:{}:{}", be16(v), be32(&v[2..])),
            _ => return None,
        };
        Some(r)
    }

    /// Writes ExaBGP's JSON object for this community into `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"value\":");
        write_u64(out, self.value());
        out.extend_from_slice(b",\"string\":\"");
        let mut s = String::new();
        let _ = self.write_exabgp_string(&mut s);
        crate::json::escape_into(out, &s);
        out.push(b'"');
        if self.0[0] & 0x0F == 0x07 && self.0[1] == 0x02 {
            out.extend_from_slice(if self.is_transitive() {
                b",\"transitive\":true"
            } else {
                b",\"transitive\":false"
            });
        }
        out.push(b'}');
    }

    /// Reads ExaBGP's text forms: `target:ASN:N`, `target:IP:N`, `ASN:N` (a target), `origin:…`,
    /// `target4:`/`origin4:`, `redirect:ASN:N`, `l2info:E:C:MTU:R`, `bandwidth:ASN:BPS`,
    /// `mup:H:L`, `redirect-to-nexthop`, and the hex form `0x0002fde800000001`; and, so that
    /// what `Display` writes reads back, `rate-limit:N[:packets]`, `mark N`, `action sample-terminal`,
    /// `copy-to-nexthop`, `redirect-to-nexthop-ietf IP`, `interface-set:DIR:ASN:N`, `encap:NAME`,
    /// `mac-mobility:N[:sticky]`, `esi-label:…`, `es-import:MAC`, `rtrecord:…`,
    /// `consistentHashSortOrder:N`, `origin-validation:STATE`.
    ///
    /// Like ExaBGP, a target or origin whose first field is an IPv4 address or an ASN above 65535
    /// is encoded in the IPv4-address form (type 0x01), so the bytes match what ExaBGP sends.
    pub fn parse(text: &str) -> Result<Self, ExtCommunityError> {
        use ExtCommunityKind as K;
        let t = text.trim();
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            let mut b = [0u8; 8];
            if hex.len() != 16 {
                return Err(bad(t, "hex form needs 16 digits"));
            }
            hex::decode_to_slice(hex, &mut b).map_err(|_| bad(t, "bad hex digit"))?;
            return Ok(ExtendedCommunity(b));
        }
        match t {
            "redirect-to-nexthop" => {
                return Ok(Self::from_kind(K::RedirectToNexthop { copy: false }))
            }
            "copy-to-nexthop" => return Ok(Self::from_kind(K::RedirectToNexthop { copy: true })),
            "action" => {
                return Ok(Self::from_kind(K::TrafficAction {
                    sample: false,
                    terminal: false,
                }))
            }
            _ => {}
        }
        if let Some((word, rest)) = t.split_once(' ') {
            let rest = rest.trim();
            return match word {
                "mark" => Ok(Self::from_kind(K::TrafficMarking {
                    dscp: num(rest, t)?,
                })),
                "action" => {
                    let (sample, terminal) = parse_action(rest)
                        .ok_or_else(|| bad(t, "expected sample, terminal or sample-terminal"))?;
                    Ok(Self::from_kind(K::TrafficAction { sample, terminal }))
                }
                "redirect-to-nexthop-ietf" => Ok(Self::from_kind(K::RedirectToIpv4 {
                    ip: ipv4(rest, t)?,
                    copy: false,
                })),
                "copy-to-nexthop-ietf" => {
                    let ip = rest.strip_suffix("(with copy)").unwrap_or(rest).trim();
                    Ok(Self::from_kind(K::RedirectToIpv4 {
                        ip: ipv4(ip, t)?,
                        copy: true,
                    }))
                }
                _ => Err(bad(t, "unknown keyword")),
            };
        }
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() < 2 {
            return Err(bad(t, "expected TYPE:A:B"));
        }
        if parts.len() == 2
            && parts[0]
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'.' || c == b'L')
        {
            return target_or_origin(0x02, parts[0], parts[1], t);
        }
        let args = &parts[1..];
        let n = args.len();
        match (parts[0], n) {
            ("target", 2) => target_or_origin(0x02, args[0], args[1], t),
            ("origin", 2) => target_or_origin(0x03, args[0], args[1], t),
            ("target4" | "origin4", 2) => {
                let sub = if parts[0] == "target4" { 0x02 } else { 0x03 };
                let hi = component(args[0], t)?;
                let lo =
                    u16::try_from(component(args[1], t)?).map_err(|_| bad(t, "value too large"))?;
                let mut b = [0x01, sub, 0, 0, 0, 0, 0, 0];
                b[2..6].copy_from_slice(&hi.to_be_bytes());
                b[6..8].copy_from_slice(&lo.to_be_bytes());
                Ok(ExtendedCommunity(b))
            }
            ("rtrecord", 2) => {
                let mut c = target_or_origin(0x02, args[0], args[1], t)?;
                c.0[1] = 0x13;
                Ok(c)
            }
            ("redirect", 2) => {
                if args[0].contains('.') {
                    let number = u16::try_from(component(args[1], t)?)
                        .map_err(|_| bad(t, "value too large"))?;
                    return Ok(Self::from_kind(K::RedirectIpv4 {
                        ip: ipv4(args[0], t)?,
                        number,
                    }));
                }
                let asn = component(args[0], t)?;
                let number = component(args[1], t)?;
                match u16::try_from(asn) {
                    Ok(asn) => Ok(Self::from_kind(K::RedirectAs2 { asn, number })),
                    // RFC 7674: a 4-octet AS needs the 0x82 form, with a 2-octet local value.
                    Err(_) => {
                        let number = u16::try_from(number)
                            .map_err(|_| bad(t, "value too large for a 4-octet AS redirect"))?;
                        Ok(Self::from_kind(K::RedirectAs4 { asn, number }))
                    }
                }
            }
            ("l2info", 4) => Ok(Self::from_kind(K::L2Info {
                encapsulation: num(args[0], t)?,
                control: num(args[1], t)?,
                mtu: num(args[2], t)?,
                reserved: num(args[3], t)?,
            })),
            ("bandwidth" | "bandwith", 2) => {
                let bw: f32 = args[1].parse().map_err(|_| bad(t, "bad bandwidth"))?;
                Ok(Self::from_kind(K::LinkBandwidth {
                    asn: num(args[0], t)?,
                    bandwidth: bw,
                }))
            }
            ("mup", 2) => Ok(Self::from_kind(K::Mup {
                high: num(args[0], t)?,
                low: component(args[1], t)?,
            })),
            ("rate-limit", 1) | ("rate-limit", 2) => {
                let rate: f32 = args[0].parse().map_err(|_| bad(t, "bad rate"))?;
                if n == 2 && args[1] != "packets" && args[1] != "bytes" {
                    return Err(bad(t, "expected rate-limit:N:packets"));
                }
                if n == 2 && args[1] == "packets" {
                    Ok(Self::from_kind(K::TrafficRatePackets { asn: 0, rate }))
                } else {
                    Ok(Self::from_kind(K::TrafficRateBytes { asn: 0, rate }))
                }
            }
            ("mark", 1) => Ok(Self::from_kind(K::TrafficMarking {
                dscp: num(args[0], t)?,
            })),
            ("interface-set", 3) => {
                let direction = match args[0] {
                    "input" => 1,
                    "output" => 2,
                    "input-output" => 3,
                    other => num::<u8>(other, t)?.min(3),
                };
                Ok(Self::from_kind(K::InterfaceSet {
                    transitive: true,
                    asn: component(args[1], t)?,
                    direction,
                    group: num(args[2], t)?,
                }))
            }
            ("encap", 1) | ("encap", 2) => {
                let name = args[n - 1];
                let tunnel_type = match ENCAP_NAMES
                    .iter()
                    .find(|(_, nm)| nm.eq_ignore_ascii_case(name))
                {
                    Some((c, _)) => *c,
                    None => name
                        .strip_prefix("UNKNOWN-")
                        .unwrap_or(name)
                        .parse()
                        .map_err(|_| bad(t, "unknown tunnel type"))?,
                };
                Ok(Self::from_kind(K::Encapsulation { tunnel_type }))
            }
            ("mac-mobility", 1) | ("mac-mobility", 2) => {
                if n == 2 && args[1] != "sticky" {
                    return Err(bad(t, "expected mac-mobility:N[:sticky]"));
                }
                Ok(Self::from_kind(K::MacMobility {
                    sticky: n == 2,
                    sequence: num(args[0], t)?,
                }))
            }
            ("esi-label", 2) => {
                let single_active = match args[1] {
                    "single-active" => true,
                    "all-active" => false,
                    _ => return Err(bad(t, "expected single-active or all-active")),
                };
                Ok(Self::from_kind(K::EsiLabel {
                    single_active,
                    label: num::<u32>(args[0], t)? & 0xF_FFFF,
                }))
            }
            ("es-import", 6) => {
                let mut mac = [0u8; 6];
                for (m, p) in mac.iter_mut().zip(args) {
                    *m = u8::from_str_radix(p, 16).map_err(|_| bad(t, "bad MAC address"))?;
                }
                Ok(Self::from_kind(K::EsImport { mac }))
            }
            ("consistentHashSortOrder", 1) => Ok(Self::from_kind(K::ConsistentHashSortOrder {
                order: component(args[0], t)?,
            })),
            ("origin-validation", 1) => {
                let state = match VALIDATION_NAMES.iter().position(|s| *s == args[0]) {
                    Some(p) => p as u8,
                    None => num(args[0], t)?,
                };
                Ok(Self::from_kind(K::OriginValidation { state }))
            }
            _ => Err(bad(
                t,
                "unknown extended community type or wrong number of fields",
            )),
        }
    }
}

fn parse_action(s: &str) -> Option<(bool, bool)> {
    match s {
        "sample-terminal" | "terminal-sample" => Some((true, true)),
        "sample" => Some((true, false)),
        "terminal" => Some((false, true)),
        "" | "none" => Some((false, false)),
        _ => None,
    }
}

/// A target (`sub` 0x02) or origin (0x03) in ExaBGP's rules: the 2-octet-AS form unless the
/// first field is an address, an ASN above 65535, or ends in `L`; then the IPv4 form (0x01).
fn target_or_origin(
    sub: u8,
    a: &str,
    b: &str,
    t: &str,
) -> Result<ExtendedCommunity, ExtCommunityError> {
    let hi = component(a, t)?;
    let lo = component(b, t)?;
    let mut bytes = [0u8; 8];
    bytes[1] = sub;
    if hi > 0xFFFF || a.contains('.') || a.ends_with('L') {
        bytes[0] = 0x01;
        let lo = u16::try_from(lo).map_err(|_| bad(t, "value too large"))?;
        bytes[2..6].copy_from_slice(&hi.to_be_bytes());
        bytes[6..8].copy_from_slice(&lo.to_be_bytes());
    } else {
        bytes[2..4].copy_from_slice(&(hi as u16).to_be_bytes());
        bytes[4..8].copy_from_slice(&lo.to_be_bytes());
    }
    Ok(ExtendedCommunity(bytes))
}

/// One numeric field: a decimal number (optionally ending in ExaBGP's legacy `L`) or a dotted quad.
fn component(s: &str, t: &str) -> Result<u32, ExtCommunityError> {
    if s.contains('.') {
        return Ok(ipv4(s, t)?.into());
    }
    let s = s.strip_suffix('L').unwrap_or(s);
    s.parse::<u32>()
        .map_err(|_| bad(t, "expected a number or an IPv4 address"))
}

fn num<T: std::str::FromStr>(s: &str, t: &str) -> Result<T, ExtCommunityError> {
    s.strip_suffix('L')
        .unwrap_or(s)
        .parse()
        .map_err(|_| bad(t, "number out of range"))
}

fn ipv4(s: &str, t: &str) -> Result<Ipv4Addr, ExtCommunityError> {
    s.parse().map_err(|_| bad(t, "bad IPv4 address"))
}

/// Python's `'%d' % float`: truncates toward zero.
fn py_int(f: f32) -> i64 {
    if f.is_finite() {
        f.trunc() as i64
    } else {
        0
    }
}

/// Python's `'%0.f' % float`: rounds half to even.
fn py_round(f: f32) -> i64 {
    if f.is_finite() {
        let f = f as f64;
        let r = f.round();
        if (f - f.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
            (r - f.signum()) as i64
        } else {
            r as i64
        }
    } else {
        0
    }
}

pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes a big-endian unsigned integer of any width in decimal (ExaBGP prints the 160-bit
/// value of an IPv6 extended community as one number).
fn write_big_decimal(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut n: Vec<u8> = bytes.to_vec();
    let mut digits = Vec::with_capacity(bytes.len() * 3);
    loop {
        let mut rem: u32 = 0;
        let mut all_zero = true;
        for byte in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*byte);
            *byte = (cur / 10) as u8;
            rem = cur % 10;
            if *byte != 0 {
                all_zero = false;
            }
        }
        digits.push(b'0' + rem as u8);
        if all_zero {
            break;
        }
    }
    digits.reverse();
    out.extend_from_slice(&digits);
}

impl fmt::Display for ExtendedCommunity {
    /// ExaBGP's text; for a type ExaBGP does not name, ours (`origin-validation:valid`) or the
    /// hex form `0x0002FDE800000001`, as ExaBGP prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = self.write_exabgp_string(f) {
            return r;
        }
        match self.kind() {
            ExtCommunityKind::OriginValidation { state }
                if (state as usize) < VALIDATION_NAMES.len() =>
            {
                write!(f, "origin-validation:{}", VALIDATION_NAMES[state as usize])
            }
            ExtCommunityKind::RedirectIpv4 { ip, number } => write!(f, "redirect:{ip}:{number}"),
            _ => write!(f, "0x{:016X}", self.value()),
        }
    }
}

impl std::str::FromStr for ExtendedCommunity {
    type Err = ExtCommunityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A typed view of an IPv6-address-specific extended community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv6ExtCommunityKind {
    /// Route target, IPv6 address specific (RFC 5701, 0x00, 0x02).
    RouteTarget { ip: Ipv6Addr, number: u16 },
    /// Route origin, IPv6 address specific (0x00, 0x03).
    RouteOrigin { ip: Ipv6Addr, number: u16 },
    /// Redirect to an IPv6 address (draft-ietf-idr-flowspec-redirect-ip, 0x00, 0x0C).
    RedirectToIpv6 { ip: Ipv6Addr, copy: bool },
    /// RFC 8956 redirect to VRF with an IPv6 route target (0x80, 0x0B in ExaBGP).
    RedirectIpv6 { ip: Ipv6Addr, number: u16 },
    /// Anything else.
    Unknown,
}

impl Ipv6ExtendedCommunity {
    fn addr(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.0[2..18]);
        Ipv6Addr::from(a)
    }
    fn local(&self) -> u16 {
        be16(&self.0[18..])
    }

    /// A typed view of the community.
    pub fn kind(&self) -> Ipv6ExtCommunityKind {
        use Ipv6ExtCommunityKind as K;
        match (self.0[0], self.0[1]) {
            (0x00 | 0x40, 0x02) => K::RouteTarget {
                ip: self.addr(),
                number: self.local(),
            },
            (0x00 | 0x40, 0x03) => K::RouteOrigin {
                ip: self.addr(),
                number: self.local(),
            },
            (0x00, 0x0C) => K::RedirectToIpv6 {
                ip: self.addr(),
                copy: self.local() & 1 != 0,
            },
            (0x80, 0x0B) => K::RedirectIpv6 {
                ip: self.addr(),
                number: self.local(),
            },
            _ => K::Unknown,
        }
    }

    /// Builds the wire form of a typed community.
    pub fn from_kind(kind: Ipv6ExtCommunityKind) -> Self {
        use Ipv6ExtCommunityKind as K;
        let (t, s, ip, local) = match kind {
            K::RouteTarget { ip, number } => (0x00, 0x02, ip, number),
            K::RouteOrigin { ip, number } => (0x00, 0x03, ip, number),
            K::RedirectToIpv6 { ip, copy } => (0x00, 0x0C, ip, u16::from(copy)),
            K::RedirectIpv6 { ip, number } => (0x80, 0x0B, ip, number),
            K::Unknown => return Ipv6ExtendedCommunity([0; 20]),
        };
        let mut b = [0u8; 20];
        b[0] = t;
        b[1] = s;
        b[2..18].copy_from_slice(&ip.octets());
        b[18..20].copy_from_slice(&local.to_be_bytes());
        Ipv6ExtendedCommunity(b)
    }

    /// ExaBGP's name, or `None` when ExaBGP does not register the type.
    pub fn write_exabgp_string<W: fmt::Write>(&self, w: &mut W) -> Option<fmt::Result> {
        match (self.0[0] & 0x0F, self.0[1]) {
            (0x00, 0x0C) => Some(if self.local() & 1 != 0 {
                write!(w, "copy-to-nexthop-ietf {} (with copy)", self.addr())
            } else {
                write!(w, "redirect-to-nexthop-ietf {}", self.addr())
            }),
            (0x00, 0x0B) => Some(write!(w, "redirect {}:{}", self.addr(), self.local())),
            _ => None,
        }
    }

    /// Writes ExaBGP's JSON object (`value` is the 160-bit integer).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"value\":");
        write_big_decimal(out, &self.0);
        out.extend_from_slice(b",\"string\":\"");
        let mut s = String::new();
        let _ = self.write_exabgp_string(&mut s);
        crate::json::escape_into(out, &s);
        out.extend_from_slice(b"\"}");
    }

    /// Reads `redirect-to-nexthop-ietf IPV6`, `copy-to-nexthop-ietf IPV6`, `redirect IPV6:N`,
    /// `target:IPV6:N`, `origin:IPV6:N` and the 40-digit hex form.
    pub fn parse(text: &str) -> Result<Self, ExtCommunityError> {
        use Ipv6ExtCommunityKind as K;
        let t = text.trim();
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            let mut b = [0u8; 20];
            if hex.len() != 40 {
                return Err(bad(t, "hex form needs 40 digits"));
            }
            hex::decode_to_slice(hex, &mut b).map_err(|_| bad(t, "bad hex digit"))?;
            return Ok(Ipv6ExtendedCommunity(b));
        }
        let v6 = |s: &str| {
            s.trim()
                .parse::<Ipv6Addr>()
                .map_err(|_| bad(t, "bad IPv6 address"))
        };
        let split_local = |s: &str| -> Result<(Ipv6Addr, u16), ExtCommunityError> {
            let (a, n) = s
                .rsplit_once(':')
                .ok_or_else(|| bad(t, "expected IPV6:N"))?;
            Ok((v6(a)?, num(n, t)?))
        };
        if let Some(rest) = t.strip_prefix("redirect-to-nexthop-ietf ") {
            return Ok(Self::from_kind(K::RedirectToIpv6 {
                ip: v6(rest)?,
                copy: false,
            }));
        }
        if let Some(rest) = t.strip_prefix("copy-to-nexthop-ietf ") {
            let rest = rest.trim().strip_suffix("(with copy)").unwrap_or(rest);
            return Ok(Self::from_kind(K::RedirectToIpv6 {
                ip: v6(rest)?,
                copy: true,
            }));
        }
        if let Some(rest) = t.strip_prefix("redirect ") {
            let (ip, number) = split_local(rest)?;
            return Ok(Self::from_kind(K::RedirectIpv6 { ip, number }));
        }
        if let Some(rest) = t.strip_prefix("target:") {
            let (ip, number) = split_local(rest)?;
            return Ok(Self::from_kind(K::RouteTarget { ip, number }));
        }
        if let Some(rest) = t.strip_prefix("origin:") {
            let (ip, number) = split_local(rest)?;
            return Ok(Self::from_kind(K::RouteOrigin { ip, number }));
        }
        Err(bad(t, "unknown IPv6 extended community"))
    }
}

impl fmt::Display for Ipv6ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = self.write_exabgp_string(f) {
            return r;
        }
        match self.kind() {
            Ipv6ExtCommunityKind::RouteTarget { ip, number } => write!(f, "target:{ip}:{number}"),
            Ipv6ExtCommunityKind::RouteOrigin { ip, number } => write!(f, "origin:{ip}:{number}"),
            _ => {
                f.write_str("0x")?;
                for b in self.0 {
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for Ipv6ExtendedCommunity {
    type Err = ExtCommunityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ec(v: u64) -> ExtendedCommunity {
        ExtendedCommunity(v.to_be_bytes())
    }

    /// Value/string pairs from ExaBGP's own JSON output in the conformance cases.
    const EXABGP: &[(u64, &str)] = &[
        (562967133290596, "target:4:100"),
        (9225060886715039744, "rate-limit:0"),
        (9226749736575303680, "rate-limit:0:packets"),
        (504966108218949632, "interface-set:output:0:0"),
        (5116875327204835329, "interface-set:input:3405770241:1"),
        (72620548618196848, "target:0.1.19.200:6000"),
        (72902023588352904, "origin:0.1.19.100:5000"),
        (75436401910611968, "redirect-to-nexthop-ietf 1.2.3.4"),
        (576460752303423488, "redirect-to-nexthop"),
        (576460752303423489, "copy-to-nexthop"),
        (844854426862568, "origin:100:0.0.3.232"),
        (864691171404808202, "mup:10:10"),
        (9225060888033428217, "rate-limit:1250000000"),
        (9225342361691750403, "action sample-terminal"),
        (9225624944803780142, "redirect:258:33756718"),
        (9225905311645171722, "mark 10"),
        (9226187895601526928, "l2info:1:2:13398:30864"),
        (9226749737724149760, "rate-limit:1000:packets"),
        (607115185577080, "target:10283:83451000"),
    ];

    #[test]
    fn strings_match_exabgp() {
        for (v, s) in EXABGP {
            assert_eq!(ec(*v).to_string(), *s, "{v:#x}");
        }
    }

    #[test]
    fn config_text_gives_exabgp_bytes() {
        // (config text, the value ExaBGP sent for it in the conformance cases)
        let cases: &[(&str, u64)] = &[
            ("target:70600:6000", 72620548618196848),
            ("target4:71200:12000", 72620548657524448),
            ("origin:70500:5000", 72902023588352904),
            ("origin:100:1000", 844854426862568),
            ("target:1000:10.10.10.10", 567245089147402),
            ("target:8.8.8.8:8000", 72629374578859840),
            ("target:10283:4.249.92.120", 607115185577080),
            ("72:0.0.0.1", 563259191066625),
            ("redirect:65500:12345", 9225905157026361401),
            ("l2info:19:0:1500:111", 9226207677441114223),
            ("0x0002fde800000001", 0x0002fde800000001),
            ("mup:10:10", 864691171404808202),
            ("origin:9000:9.9.9.9", 883079787383049),
        ];
        for (text, v) in cases {
            assert_eq!(ExtendedCommunity::parse(text).unwrap(), ec(*v), "{text}");
        }
    }

    #[test]
    fn ipv6_json_value_is_the_160_bit_integer() {
        let c = Ipv6ExtendedCommunity::parse("redirect-to-nexthop-ietf 2a02:b80:0:1::1").unwrap();
        let mut out = Vec::new();
        c.write_json(&mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"value":271268354242357201462255214013497395816497152,"string":"redirect-to-nexthop-ietf 2a02:b80:0:1::1"}"#
        );
    }

    #[test]
    fn interface_set_json_carries_transitive() {
        let mut out = Vec::new();
        ec(5116875327204835329).write_json(&mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"value":5116875327204835329,"string":"interface-set:input:3405770241:1","transitive":false}"#
        );
    }

    #[test]
    fn rejects_garbage() {
        for t in [
            "",
            "target",
            "target:1",
            "foo:1:2",
            "0x12",
            "target:70000:70000",
            "mark x",
            "l2info:256:0:0:0",
        ] {
            assert!(ExtendedCommunity::parse(t).is_err(), "{t}");
        }
    }

    fn arb_kind() -> impl Strategy<Value = ExtCommunityKind> {
        use ExtCommunityKind as K;
        let ip = any::<u32>().prop_map(Ipv4Addr::from);
        let rate = (0u32..1_000_000_000).prop_map(|r| r as f32);
        prop_oneof![
            (any::<u16>(), any::<u32>())
                .prop_map(|(asn, number)| K::RouteTargetAs2 { asn, number }),
            (ip.clone(), any::<u16>()).prop_map(|(ip, number)| K::RouteTargetIpv4 { ip, number }),
            (any::<u32>(), any::<u16>())
                .prop_map(|(asn, number)| K::RouteTargetAs4 { asn, number }),
            (any::<u16>(), any::<u32>())
                .prop_map(|(asn, number)| K::RouteOriginAs2 { asn, number }),
            (ip.clone(), any::<u16>()).prop_map(|(ip, number)| K::RouteOriginIpv4 { ip, number }),
            (any::<u32>(), any::<u16>())
                .prop_map(|(asn, number)| K::RouteOriginAs4 { asn, number }),
            rate.clone()
                .prop_map(|rate| K::TrafficRateBytes { asn: 0, rate }),
            rate.clone()
                .prop_map(|rate| K::TrafficRatePackets { asn: 0, rate }),
            (any::<bool>(), any::<bool>())
                .prop_map(|(sample, terminal)| K::TrafficAction { sample, terminal }),
            (any::<u16>(), any::<u32>()).prop_map(|(asn, number)| K::RedirectAs2 { asn, number }),
            (ip.clone(), any::<u16>()).prop_map(|(ip, number)| K::RedirectIpv4 { ip, number }),
            (65536u32.., any::<u16>()).prop_map(|(asn, number)| K::RedirectAs4 { asn, number }),
            any::<u8>().prop_map(|dscp| K::TrafficMarking { dscp }),
            any::<bool>().prop_map(|copy| K::RedirectToNexthop { copy }),
            (ip.clone(), any::<bool>()).prop_map(|(ip, copy)| K::RedirectToIpv4 { ip, copy }),
            (any::<u16>(), rate).prop_map(|(asn, bandwidth)| K::LinkBandwidth { asn, bandwidth }),
            (any::<u8>(), any::<u8>(), any::<u16>(), any::<u16>()).prop_map(
                |(encapsulation, control, mtu, reserved)| K::L2Info {
                    encapsulation,
                    control,
                    mtu,
                    reserved
                }
            ),
            any::<u16>().prop_map(|tunnel_type| K::Encapsulation { tunnel_type }),
            (any::<bool>(), any::<u32>())
                .prop_map(|(sticky, sequence)| K::MacMobility { sticky, sequence }),
            (any::<bool>(), 0u32..(1 << 20)).prop_map(|(single_active, label)| K::EsiLabel {
                single_active,
                label
            }),
            any::<[u8; 6]>().prop_map(|mac| K::EsImport { mac }),
            (any::<bool>(), any::<u32>(), 1u8..4, 0u16..0x2000).prop_map(
                |(transitive, asn, direction, group)| K::InterfaceSet {
                    transitive,
                    asn,
                    direction,
                    group
                }
            ),
            (any::<u16>(), any::<u32>()).prop_map(|(high, low)| K::Mup { high, low }),
            any::<u32>().prop_map(|order| K::ConsistentHashSortOrder { order }),
            (any::<u16>(), any::<u32>()).prop_map(|(asn, number)| K::RtRecordAs2 { asn, number }),
            (ip, any::<u16>()).prop_map(|(ip, number)| K::RtRecordIpv4 { ip, number }),
            (any::<u32>(), any::<u16>()).prop_map(|(asn, number)| K::RtRecordAs4 { asn, number }),
            (0u8..3).prop_map(|state| K::OriginValidation { state }),
        ]
    }

    proptest! {
        #[test]
        fn kind_round_trips_through_bytes(k in arb_kind()) {
            let c = ExtendedCommunity::from_kind(k);
            prop_assert_eq!(c.kind(), k);
        }

        /// text → owned → text. ExaBGP's text cannot tell the 4-octet-AS target/origin/rt-record
        /// forms (type 0x02) from the 2-octet and IPv4 ones, and it reads `target:70000:1` as the
        /// IPv4 form, so for those only the text is compared after one round.
        #[test]
        fn text_round_trips(k in arb_kind()) {
            let c = ExtendedCommunity::from_kind(k);
            let text = c.to_string();
            let back = ExtendedCommunity::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            match k {
                ExtCommunityKind::RouteTargetAs4 { .. } | ExtCommunityKind::RouteOriginAs4 { .. }
                | ExtCommunityKind::RtRecordAs4 { .. } | ExtCommunityKind::InterfaceSet { .. }
                | ExtCommunityKind::LinkBandwidth { .. } => {
                    let again = ExtendedCommunity::parse(&back.to_string()).unwrap();
                    prop_assert_eq!(again.to_string(), back.to_string());
                }
                ExtCommunityKind::RouteOriginAs2 { .. } | ExtCommunityKind::RtRecordAs2 { .. } => {
                    // origin:ASN:a.b.c.d → the IPv4 number is re-read as the 4-octet value.
                    prop_assert_eq!(back, c);
                }
                _ => prop_assert_eq!(back, c, "{}", text),
            }
        }

        #[test]
        fn any_bytes_have_text_that_reads_back_or_hex(b in any::<[u8; 8]>()) {
            let c = ExtendedCommunity(b);
            let hex = format!("0x{:016X}", c.value());
            prop_assert_eq!(ExtendedCommunity::parse(&hex).unwrap(), c);
            let mut out = Vec::new();
            c.write_json(&mut out);
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(v["value"].as_u64(), Some(c.value()));
        }

        #[test]
        fn ipv6_round_trips(ip in any::<u128>(), n in any::<u16>(), which in 0u8..4) {
            use Ipv6ExtCommunityKind as K;
            let ip = Ipv6Addr::from(ip);
            let k = match which {
                0 => K::RouteTarget { ip, number: n },
                1 => K::RouteOrigin { ip, number: n },
                2 => K::RedirectToIpv6 { ip, copy: n & 1 == 1 },
                _ => K::RedirectIpv6 { ip, number: n },
            };
            let c = Ipv6ExtendedCommunity::from_kind(k);
            prop_assert_eq!(c.kind(), k);
            prop_assert_eq!(Ipv6ExtendedCommunity::parse(&c.to_string()).unwrap(), c);
        }
    }
}
