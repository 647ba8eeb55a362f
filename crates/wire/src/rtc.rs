//! Route Target Constraint NLRI (RFC 4684), family ipv4 rtc (SAFI 132).
//!
//! On the wire: a length in bits (0, or 32 to 96), then that many bits of the origin AS (4
//! octets) followed by the route target (an 8-octet extended community). Length 0 is the
//! default route target (every route target wanted). The octets are kept as received, so
//! encoding is byte-exact; ExaBGP's JSON shows the route target with its transitive and
//! optional type bits cleared (RFC 4684 §4).

use std::io::Write as _;

use bytes::Bytes;

use crate::extcommunity::ExtendedCommunity;
use crate::model::{Family, Nlri, Safi};

/// One RTC NLRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rtc {
    /// Prefix length in bits: 0, or 32 to 96.
    pub bits: u8,
    pub origin: u32,
    /// The route target; octets past the prefix length are zero.
    pub target: [u8; 8],
}

impl Rtc {
    /// The default route target (length 0).
    pub const DEFAULT: Rtc = Rtc {
        bits: 0,
        origin: 0,
        target: [0; 8],
    };

    /// A full membership: origin AS and route target (ExaBGP's `rtc ORIGIN:TARGET`); the
    /// route target's type bits 0x40 and 0x80 are cleared as RFC 4684 §4 asks.
    pub fn new(origin: u32, route_target: ExtendedCommunity) -> Rtc {
        let mut target = route_target.0;
        target[0] &= !0xC0;
        Rtc {
            bits: 96,
            origin,
            target,
        }
    }

    /// Parse one NLRI (length octet included, path id excluded).
    pub fn parse(wire: &[u8]) -> Option<Rtc> {
        let bits = *wire.first()?;
        if bits == 0 {
            return (wire.len() == 1).then_some(Rtc::DEFAULT);
        }
        if !(32..=96).contains(&bits) || wire.len() != 1 + (bits as usize).div_ceil(8) {
            return None;
        }
        let mut target = [0u8; 8];
        target[..wire.len() - 5].copy_from_slice(&wire[5..]);
        Some(Rtc {
            bits,
            origin: u32::from_be_bytes(wire[1..5].try_into().ok()?),
            target,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.bits);
        if self.bits == 0 {
            return;
        }
        let mut all = [0u8; 12];
        all[..4].copy_from_slice(&self.origin.to_be_bytes());
        all[4..].copy_from_slice(&self.target);
        let n = (self.bits as usize).div_ceil(8).min(12);
        out.extend_from_slice(&all[..n]);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(13);
        self.encode(&mut v);
        Bytes::from(v)
    }

    pub fn to_nlri(&self) -> Nlri {
        Nlri::Raw {
            family: Family::IPV4_RTC,
            bytes: self.to_bytes(),
        }
    }

    pub fn from_nlri(n: &Nlri) -> Option<Rtc> {
        match n {
            Nlri::Raw { family, bytes } if family.safi == Safi::RTC => Rtc::parse(bytes),
            _ => None,
        }
    }

    /// ExaBGP's JSON object.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self.bits {
            0 => out.extend_from_slice(b"{\"origin\":0,\"route-target\":null}"),
            96 => {
                let mut t = self.target;
                t[0] &= !0xC0;
                let _ = write!(
                    out,
                    "{{\"origin\":{},\"route-target\":\"{}\"}}",
                    self.origin,
                    ExtendedCommunity(t)
                );
            }
            bits => {
                let _ = write!(
                    out,
                    "{{\"origin\":{},\"route-target\":null,\"prefix-length\":{bits},\"route-target-prefix\":\"0x",
                    self.origin
                );
                let n = (bits as usize).div_ceil(8) - 4;
                for (i, b) in self.target[..n].iter().enumerate() {
                    let b = if i == 0 { b & !0xC0 } else { *b };
                    let _ = write!(out, "{b:02X}");
                }
                out.extend_from_slice(b"\"}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ExaBGP 5.0.15's objects (`exabgp decode` of an ipv4 rtc UPDATE): a route target,
    /// the default (length 0) and a community type it cannot name.
    #[test]
    fn json_as_exabgp() {
        for (h, exabgp) in [
            (
                "600000FDE80002FDE800000064",
                r#"{ "origin": 65000, "route-target": "target:65000:100" }"#,
            ),
            ("00", r#"{ "origin": 0, "route-target": null }"#),
            (
                "600000FDE80042FDE800000064",
                r#"{ "origin": 65000, "route-target": "0x0042FDE800000064" }"#,
            ),
        ] {
            let mut j = Vec::new();
            Rtc::parse(&hex::decode(h).unwrap())
                .unwrap()
                .write_json(&mut j);
            let ours: serde_json::Value = serde_json::from_slice(&j).unwrap();
            assert_eq!(
                ours,
                serde_json::from_str::<serde_json::Value>(exabgp).unwrap(),
                "{h}"
            );
        }
    }

    #[test]
    fn full_and_default() {
        let rt: ExtendedCommunity = "target:65000:1".parse().unwrap();
        let r = Rtc::new(65000, rt);
        let b = r.to_bytes();
        assert_eq!(b.len(), 13);
        assert_eq!(Rtc::parse(&b), Some(r));
        let mut j = Vec::new();
        r.write_json(&mut j);
        assert_eq!(
            String::from_utf8(j).unwrap(),
            r#"{"origin":65000,"route-target":"target:65000:1"}"#
        );
        assert_eq!(&Rtc::DEFAULT.to_bytes()[..], &[0]);
        assert!(Rtc::parse(&[20, 0, 0, 0]).is_none());
    }

    proptest! {
        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..16)) {
            if let Some(r) = Rtc::parse(&d) {
                prop_assert_eq!(&r.to_bytes()[..], &d[..]);
                let mut j = Vec::new();
                r.write_json(&mut j);
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&j).is_ok());
            }
        }

        #[test]
        fn round_trip(origin in any::<u32>(), t in any::<[u8; 8]>()) {
            let r = Rtc::new(origin, ExtendedCommunity(t));
            prop_assert_eq!(Rtc::from_nlri(&r.to_nlri()), Some(r));
        }
    }
}
