//! Text forms of communities and extended communities.
//!
//! Extended communities are read by `ferrobgp_wire::extcommunity` first; the builders here
//! serve the flow `then` actions and the few text forms that parser does not take.

use std::net::{IpAddr, Ipv4Addr};

use ferrobgp_wire::extcommunity::{ExtendedCommunity, Ipv6ExtendedCommunity};

/// Either form an `extended-community` word can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyExtCommunity {
    V4(ExtendedCommunity),
    V6(Ipv6ExtendedCommunity),
}

impl From<ExtendedCommunity> for AnyExtCommunity {
    fn from(e: ExtendedCommunity) -> Self {
        AnyExtCommunity::V4(e)
    }
}

/// Well-known communities (IANA "BGP Well-known Communities").
pub fn well_known_community(name: &str) -> Option<u32> {
    Some(match name.to_ascii_lowercase().as_str() {
        "graceful-shutdown" => 0xFFFF_0000,
        "accept-own" => 0xFFFF_0001,
        "llgr-stale" => 0xFFFF_0006,
        "no-llgr" => 0xFFFF_0007,
        "blackhole" => 0xFFFF_029A,
        "no-export" => 0xFFFF_FF01,
        "no-advertise" => 0xFFFF_FF02,
        "no-export-subconfed" => 0xFFFF_FF03,
        "nopeer" | "no-peer" => 0xFFFF_FF04,
        _ => return None,
    })
}

/// The name of a well-known community value, for display.
pub fn well_known_name(value: u32) -> Option<&'static str> {
    Some(match value {
        0xFFFF_0000 => "graceful-shutdown",
        0xFFFF_0001 => "accept-own",
        0xFFFF_0006 => "llgr-stale",
        0xFFFF_0007 => "no-llgr",
        0xFFFF_029A => "blackhole",
        0xFFFF_FF01 => "no-export",
        0xFFFF_FF02 => "no-advertise",
        0xFFFF_FF03 => "no-export-subconfed",
        0xFFFF_FF04 => "nopeer",
        _ => return None,
    })
}

pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// `65000:1`, `4294967295`, `no-export`.
pub fn community(s: &str) -> Option<u32> {
    if let Some(v) = well_known_community(s) {
        return Some(v);
    }
    if let Some((a, b)) = s.split_once(':') {
        let a: u16 = a.parse().ok()?;
        let b: u16 = b.parse().ok()?;
        return Some((u32::from(a) << 16) | u32::from(b));
    }
    parse_u32(s)
}

/// `1:2:3`.
pub fn large_community(s: &str) -> Option<[u32; 3]> {
    let mut it = s.split(':');
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    let c = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some([a, b, c])
}

/// A number, or an IPv4 address read as a 32-bit number (ExaBGP accepts `72:0.0.0.1`).
fn u32_or_ip(s: &str) -> Option<u32> {
    if s.contains('.') {
        s.parse::<Ipv4Addr>().ok().map(u32::from)
    } else {
        s.parse().ok()
    }
}

fn bytes(t: u8, st: u8, rest: &[u8]) -> ExtendedCommunity {
    let mut b = [0u8; 8];
    b[0] = t;
    b[1] = st;
    b[2..2 + rest.len()].copy_from_slice(rest);
    ExtendedCommunity(b)
}

/// Route target (subtype 2) or route origin (subtype 3), RFC 4360 §4, RFC 5668.
fn target_or_origin(
    subtype: u8,
    admin: &str,
    local: &str,
    four: bool,
) -> Option<ExtendedCommunity> {
    if let Ok(ip) = admin.parse::<Ipv4Addr>() {
        let n: u16 = local.parse().ok()?;
        let mut r = ip.octets().to_vec();
        r.extend_from_slice(&n.to_be_bytes());
        return Some(bytes(0x01, subtype, &r));
    }
    let a: u32 = admin.trim_end_matches('L').parse().ok()?;
    if four || a > 0xffff {
        let n: u16 = local.parse().ok()?;
        let mut r = a.to_be_bytes().to_vec();
        r.extend_from_slice(&n.to_be_bytes());
        return Some(bytes(0x02, subtype, &r));
    }
    let n = u32_or_ip(local)?;
    let mut r = (a as u16).to_be_bytes().to_vec();
    r.extend_from_slice(&n.to_be_bytes());
    Some(bytes(0x00, subtype, &r))
}

/// RFC 8955 §7.1 traffic-rate (bytes), §7.7 (packets, subtype 0x0c).
pub fn traffic_rate(rate: f32, packets: bool) -> ExtendedCommunity {
    let mut r = vec![0, 0];
    r.extend_from_slice(&rate.to_be_bytes());
    bytes(0x80, if packets { 0x0c } else { 0x06 }, &r)
}

/// RFC 8955 §7.3 traffic-action.
pub fn traffic_action(sample: bool, terminal: bool) -> ExtendedCommunity {
    let last = u8::from(sample) << 1 | u8::from(terminal);
    bytes(0x80, 0x07, &[0, 0, 0, 0, 0, last])
}

/// RFC 8955 §7.5 traffic-marking.
pub fn traffic_marking(dscp: u8) -> ExtendedCommunity {
    bytes(0x80, 0x09, &[0, 0, 0, 0, 0, dscp])
}

/// draft-simpson-idr-flowspec-redirect: redirect (or copy) to the route's next hop.
pub fn redirect_to_nexthop(copy: bool) -> ExtendedCommunity {
    bytes(0x08, 0x00, &[0, 0, 0, 0, 0, u8::from(copy)])
}

/// RFC 8955 §7.4 redirect to VRF: `ASN:N` (2-octet AS, 4-octet AS or IPv4 forms).
pub fn redirect(admin: &str, local: &str) -> Option<ExtendedCommunity> {
    if let Ok(ip) = admin.parse::<Ipv4Addr>() {
        let n: u16 = local.parse().ok()?;
        let mut r = ip.octets().to_vec();
        r.extend_from_slice(&n.to_be_bytes());
        return Some(bytes(0x81, 0x08, &r));
    }
    let a: u32 = admin.parse().ok()?;
    if a > 0xffff {
        let n: u16 = local.parse().ok()?;
        let mut r = a.to_be_bytes().to_vec();
        r.extend_from_slice(&n.to_be_bytes());
        return Some(bytes(0x82, 0x08, &r));
    }
    let n: u32 = local.parse().ok()?;
    let mut r = (a as u16).to_be_bytes().to_vec();
    r.extend_from_slice(&n.to_be_bytes());
    Some(bytes(0x80, 0x08, &r))
}

/// draft-ietf-idr-flowspec-redirect-ip (RFC 7674 successor): redirect to an IP next hop.
pub fn redirect_ietf(ip: IpAddr, copy: bool) -> AnyExtCommunity {
    match ip {
        IpAddr::V4(v4) => {
            let mut r = v4.octets().to_vec();
            r.extend_from_slice(&[0, u8::from(copy)]);
            AnyExtCommunity::V4(bytes(0x01, 0x0c, &r))
        }
        IpAddr::V6(v6) => {
            let mut b = [0u8; 20];
            b[1] = 0x0c;
            b[2..18].copy_from_slice(&v6.octets());
            b[19] = u8::from(copy);
            AnyExtCommunity::V6(Ipv6ExtendedCommunity(b))
        }
    }
}

/// draft-ietf-idr-flowspec-interfaceset: `transitive:input:ASN:GROUP`.
pub fn interface_set(s: &str) -> Option<ExtendedCommunity> {
    let p: Vec<&str> = s.split(':').collect();
    let (trans, dir, asn, group) = match p.as_slice() {
        [t, d, a, g] => (*t, *d, *a, *g),
        [d, a, g] => ("transitive", *d, *a, *g),
        _ => return None,
    };
    let t = match trans {
        "transitive" => 0x07,
        "non-transitive" => 0x47,
        _ => return None,
    };
    let d: u16 = match dir {
        "input" => 1,
        "output" => 2,
        "input-output" => 3,
        _ => return None,
    };
    let asn: u32 = asn.parse().ok()?;
    let group: u16 = group.parse().ok()?;
    if group > 0x3fff {
        return None;
    }
    let mut r = asn.to_be_bytes().to_vec();
    r.extend_from_slice(&((d << 14) | group).to_be_bytes());
    Some(bytes(t, 0x02, &r))
}

/// One `extended-community` word. The wire crate's parser decides first (it follows
/// ExaBGP's encoding choices exactly, e.g. `origin:70500:5000` in the IPv4-address form);
/// the local forms below are the fallback.
pub fn extended_community(s: &str) -> Option<AnyExtCommunity> {
    if let Ok(e) = ExtendedCommunity::parse(s) {
        return Some(AnyExtCommunity::V4(e));
    }
    if let Ok(e) = Ipv6ExtendedCommunity::parse(s) {
        return Some(AnyExtCommunity::V6(e));
    }
    local_extended_community(s)
}

fn local_extended_community(s: &str) -> Option<AnyExtCommunity> {
    let v4 = |e: ExtendedCommunity| Some(AnyExtCommunity::V4(e));
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return match h.len() {
            16 => {
                let v = u64::from_str_radix(h, 16).ok()?;
                v4(ExtendedCommunity(v.to_be_bytes()))
            }
            40 => {
                let mut b = [0u8; 20];
                for (i, out) in b.iter_mut().enumerate() {
                    *out = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
                }
                Some(AnyExtCommunity::V6(Ipv6ExtendedCommunity(b)))
            }
            _ => None,
        };
    }
    match s {
        "redirect-to-nexthop" => return v4(redirect_to_nexthop(false)),
        "copy-to-nexthop" => return v4(redirect_to_nexthop(true)),
        "discard" => return v4(traffic_rate(0.0, false)),
        _ => {}
    }
    let (kind, rest) = s.split_once(':')?;
    let parts: Vec<&str> = rest.split(':').collect();
    match (kind, parts.as_slice()) {
        ("target", [a, b]) => v4(target_or_origin(0x02, a, b, false)?),
        ("origin", [a, b]) => v4(target_or_origin(0x03, a, b, false)?),
        ("target4", [a, b]) => v4(target_or_origin(0x02, a, b, true)?),
        ("origin4", [a, b]) => v4(target_or_origin(0x03, a, b, true)?),
        ("redirect", [a, b]) => v4(redirect(a, b)?),
        ("rate-limit", [r]) => v4(traffic_rate(r.parse().ok()?, false)),
        ("rate-limit", [r, p]) if *p == "packets" => v4(traffic_rate(r.parse().ok()?, true)),
        ("mark", [d]) => v4(traffic_marking(d.parse().ok()?)),
        ("l2info", [e, c, m, r]) => {
            let mut v = vec![e.parse::<u8>().ok()?, c.parse::<u8>().ok()?];
            v.extend_from_slice(&m.parse::<u16>().ok()?.to_be_bytes());
            v.extend_from_slice(&r.parse::<u16>().ok()?.to_be_bytes());
            v4(bytes(0x80, 0x0a, &v))
        }
        ("mup", [a, b]) => {
            let mut v = a.parse::<u16>().ok()?.to_be_bytes().to_vec();
            v.extend_from_slice(&b.parse::<u32>().ok()?.to_be_bytes());
            v4(bytes(0x0c, 0x00, &v))
        }
        ("interface-set", _) => v4(interface_set(rest)?),
        ("encap", [t]) => {
            let t: u16 = t.parse().ok()?;
            let mut v = vec![0, 0, 0, 0];
            v.extend_from_slice(&t.to_be_bytes());
            v4(bytes(0x03, 0x0c, &v))
        }
        // `ASN:N` with no type: a route target (ExaBGP's default).
        (a, [b]) if a.bytes().all(|c| c.is_ascii_digit()) => {
            v4(target_or_origin(0x02, a, b, false)?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(e: AnyExtCommunity) -> String {
        match e {
            AnyExtCommunity::V4(e) => e.0.iter().map(|b| format!("{b:02X}")).collect(),
            AnyExtCommunity::V6(e) => e.0.iter().map(|b| format!("{b:02X}")).collect(),
        }
    }

    fn x(s: &str) -> String {
        hex(extended_community(s).unwrap())
    }

    #[test]
    fn bytes_as_exabgp_sends_them() {
        // Expectations from ExaBGP's conformance captures (conf-flow.ci, api-flow-merge.ci,
        // conf-vpn.ci, conf-l2vpn.ci).
        assert_eq!(x("target:10000:1"), "0002271000000001");
        assert_eq!(x("target:65000:1"), "0002FDE800000001");
        assert_eq!(x("72:0.0.0.1"), "0002004800000001");
        assert_eq!(x("redirect:258:33756718"), "800801020203162E");
        assert_eq!(x("copy-to-nexthop"), "0800000000000001");
        assert_eq!(
            x("interface-set:transitive:output:254:254"),
            "0702000000FE80FE"
        );
        assert_eq!(
            x("interface-set:non-transitive:input:3405770241:1"),
            "4702CAFFEE014001"
        );
        assert_eq!(x("l2info:19:0:1500:111"), "800A130005DC006F");
        assert_eq!(hex(traffic_action(true, true).into()), "8007000000000003");
        assert_eq!(hex(traffic_marking(10).into()), "800900000000000A");
        assert_eq!(
            hex(redirect_ietf("2a02:b80:0:1::1".parse().unwrap(), false)),
            "000C2A020B800000000100000000000000010000"
        );
        assert_eq!(
            hex(redirect_ietf("1.2.3.4".parse().unwrap(), false)),
            "010C010203040000"
        );
    }

    #[test]
    fn exabgp_encoding_choices() {
        // conf-extended-attributes.ci: ASNs above 65535 go in the IPv4-address form.
        for (text, want) in [
            ("origin:100:1000", "00030064000003E8"),
            ("target:200:2000", "000200C8000007D0"),
            ("origin:300:73000", "0003012C00011D28"),
            ("origin:70500:5000", "0103000113641388"),
            ("target:70600:6000", "0102000113C81770"),
            ("origin:7.7.7.7:7000", "0103070707071B58"),
            ("origin:9000:9.9.9.9", "0003232809090909"),
            ("target:1000:10.10.10.10", "000203E80A0A0A0A"),
            ("origin4:71100:11000", "0103000115BC2AF8"),
            ("target4:71200:12000", "0102000116202EE0"),
            ("redirect:1300:83000", "8008051400014438"),
            ("l2info:1:2:13398:30864", "800A010234567890"),
        ] {
            assert_eq!(x(text), want, "{text}");
        }
    }

    #[test]
    fn communities() {
        assert_eq!(community("30740:30740"), Some(0x7814_7814));
        assert_eq!(community("no-export"), Some(0xFFFF_FF01));
        assert_eq!(community("0"), Some(0));
        assert_eq!(community("1:70000"), None);
        assert_eq!(large_community("1:2:3"), Some([1, 2, 3]));
        assert!(extended_community("bogus:1:2").is_none());
    }
}
