//! VPLS NLRI (RFC 4761 §3.2.2), family l2vpn vpls (AFI 25, SAFI 65).
//!
//! On the wire: a 2-octet length (17), the route distinguisher, the VE ID ("endpoint"), the
//! VE block offset, the VE block size and the label base (20 bits, bottom-of-stack bit set).
//! The value is fixed-size, so the parsed form is a `Copy` value: decoding allocates nothing.
//! ExaBGP's text: `vpls rd 192.168.201.1:123 endpoint 5 base 10702 offset 1 size 8`.

use std::io::Write as _;

use bytes::Bytes;

use crate::fields;
use crate::model::{Family, Nlri, RouteDistinguisher};

/// One VPLS NLRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vpls {
    pub rd: RouteDistinguisher,
    /// VE ID.
    pub endpoint: u16,
    /// VE block offset.
    pub offset: u16,
    /// VE block size.
    pub size: u16,
    /// Label base (20 bits).
    pub base: u32,
}

impl Vpls {
    /// The encoded size, length field included.
    pub const WIRE_LEN: usize = 19;
    /// Largest label value (RFC 3032: 20 bits).
    pub const MAX_BASE: u32 = 0xF_FFFF;

    /// From the fields of ExaBGP's `vpls` route; `None` when `base` exceeds 20 bits.
    pub fn new(
        rd: RouteDistinguisher,
        endpoint: u16,
        base: u32,
        offset: u16,
        size: u16,
    ) -> Option<Vpls> {
        (base <= Self::MAX_BASE).then_some(Vpls {
            rd,
            endpoint,
            offset,
            size,
            base,
        })
    }

    /// Parse one NLRI (length field included, path id excluded). `None` unless the
    /// length is 17 and the whole value is present.
    pub fn parse(wire: &[u8]) -> Option<Vpls> {
        if fields::u16_at(wire, 0)? != 17 || wire.len() != Self::WIRE_LEN {
            return None;
        }
        let label = u32::from_be_bytes([0, wire[16], wire[17], wire[18]]);
        Some(Vpls {
            rd: fields::rd(&wire[2..])?,
            endpoint: fields::u16_at(wire, 10)?,
            offset: fields::u16_at(wire, 12)?,
            size: fields::u16_at(wire, 14)?,
            base: label >> 4,
        })
    }

    /// Append the NLRI as ExaBGP sends it (bottom-of-stack bit set on the label base).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&17u16.to_be_bytes());
        out.extend_from_slice(&self.rd.0);
        out.extend_from_slice(&self.endpoint.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        let label = ((self.base & Self::MAX_BASE) << 4) | 1;
        out.extend_from_slice(&label.to_be_bytes()[1..]);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(Self::WIRE_LEN);
        self.encode(&mut v);
        Bytes::from(v)
    }

    /// The NLRI for the UPDATE builder and the RIB.
    pub fn to_nlri(&self) -> Nlri {
        Nlri::Raw {
            family: Family::L2VPN_VPLS,
            bytes: self.to_bytes(),
        }
    }

    /// Back from a decoded or stored NLRI of family l2vpn vpls (no path id).
    pub fn from_nlri(n: &Nlri) -> Option<Vpls> {
        match n {
            Nlri::Raw { family, bytes } if *family == Family::L2VPN_VPLS => Vpls::parse(bytes),
            _ => None,
        }
    }

    /// ExaBGP's JSON object: `{"rd":"…","endpoint":5,"base":10702,"offset":1,"size":8}`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            "{{\"rd\":\"{}\",\"endpoint\":{},\"base\":{},\"offset\":{},\"size\":{}}}",
            self.rd, self.endpoint, self.base, self.offset, self.size
        );
    }
}

impl std::fmt::Display for Vpls {
    /// ExaBGP's route text (without attributes).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "vpls rd {} endpoint {} base {} offset {} size {}",
            self.rd, self.endpoint, self.base, self.offset, self.size
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// conf-l2vpn.ci: rd 192.168.201.1:123 endpoint 5 base 10702 offset 1 size 8.
    #[test]
    fn exabgp_bytes() {
        let wire = hex::decode("0011".to_owned() + "0001C0A8C901007B000500010008029CE1").unwrap();
        let v = Vpls::parse(&wire).unwrap();
        let want = Vpls::new("192.168.201.1:123".parse().unwrap(), 5, 10702, 1, 8).unwrap();
        assert_eq!(v, want);
        assert_eq!(&want.to_bytes()[..], &wire[..]);
        let mut j = Vec::new();
        v.write_json(&mut j);
        assert_eq!(
            String::from_utf8(j).unwrap(),
            r#"{"rd":"192.168.201.1:123","endpoint":5,"base":10702,"offset":1,"size":8}"#
        );
        assert!(Vpls::parse(&wire[..18]).is_none());
        assert!(Vpls::new(want.rd, 1, 0x10_0000, 1, 1).is_none());
    }

    proptest! {
        #[test]
        fn round_trip(rd in any::<[u8; 8]>(), e in any::<u16>(), o in any::<u16>(),
                      s in any::<u16>(), b in 0u32..=0xF_FFFF) {
            let v = Vpls::new(RouteDistinguisher(rd), e, b, o, s).unwrap();
            prop_assert_eq!(Vpls::from_nlri(&v.to_nlri()), Some(v));
        }

        #[test]
        fn never_panics(d in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = Vpls::parse(&d);
        }
    }
}
