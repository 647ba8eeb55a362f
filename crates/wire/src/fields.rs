//! Field readers and writers shared by the family modules (VPLS, MVPN, MUP, EVPN, ...):
//! route distinguishers, addresses of a given bit length, and ExaBGP's upper-case hex.
//! Every reader returns `None` on short input; nothing here panics.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::RouteDistinguisher;

pub(crate) fn rd(d: &[u8]) -> Option<RouteDistinguisher> {
    let mut r = [0u8; 8];
    r.copy_from_slice(d.get(..8)?);
    Some(RouteDistinguisher(r))
}

pub(crate) fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

pub(crate) fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A whole IPv4 (4 octets) or IPv6 (16 octets) address.
pub(crate) fn ip(d: &[u8], v6: bool) -> Option<IpAddr> {
    if v6 {
        let mut a = [0u8; 16];
        a.copy_from_slice(d.get(..16)?);
        Some(IpAddr::V6(Ipv6Addr::from(a)))
    } else {
        let b = d.get(..4)?;
        Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
    }
}

/// An address given by a length in bits of 32 or 128 then the address octets.
pub(crate) fn ip_by_bits(d: &[u8]) -> Option<(IpAddr, usize)> {
    match *d.first()? {
        32 => Some((ip(&d[1..], false)?, 5)),
        128 => Some((ip(&d[1..], true)?, 17)),
        _ => None,
    }
}

pub(crate) fn put_ip(out: &mut Vec<u8>, a: &IpAddr) {
    match a {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

pub(crate) fn ip_bits(a: &IpAddr) -> u8 {
    if a.is_ipv6() {
        128
    } else {
        32
    }
}

/// A prefix of `bits` whose `ceil(bits / 8)` significant octets start `d`; trailing bits
/// past the length are cleared.
pub(crate) fn prefix(bits: u8, d: &[u8], v6: bool) -> Option<(IpNet, usize)> {
    let n = (bits as usize).div_ceil(8);
    let src = d.get(..n)?;
    if v6 {
        if bits > 128 {
            return None;
        }
        let mut a = [0u8; 16];
        a[..n].copy_from_slice(src);
        let net = ipnet::Ipv6Net::new(Ipv6Addr::from(a), bits).ok()?.trunc();
        Some((IpNet::V6(net), n))
    } else {
        if bits > 32 {
            return None;
        }
        let mut a = [0u8; 4];
        a[..n].copy_from_slice(src);
        let net = ipnet::Ipv4Net::new(Ipv4Addr::from(a), bits).ok()?.trunc();
        Some((IpNet::V4(net), n))
    }
}

/// The significant octets of a prefix (no length).
pub(crate) fn put_prefix_octets(out: &mut Vec<u8>, p: &IpNet) {
    let n = (p.prefix_len() as usize).div_ceil(8);
    match p.addr() {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()[..n]),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()[..n]),
    }
}

pub(crate) fn hex_upper(out: &mut Vec<u8>, d: &[u8]) {
    for b in d {
        let _ = write!(out, "{b:02X}");
    }
}

/// `"key":"value"` where value is displayed; a leading comma unless `first`.
pub(crate) fn kv_str(out: &mut Vec<u8>, k: &str, v: impl std::fmt::Display) {
    let _ = write!(out, ",\"{k}\":\"{v}\"");
}

/// `,"key":value` with a number or other bare JSON value.
pub(crate) fn kv_raw(out: &mut Vec<u8>, k: &str, v: impl std::fmt::Display) {
    let _ = write!(out, ",\"{k}\":{v}");
}
