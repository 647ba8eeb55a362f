//! ExaBGP's OPERATIONAL message (BGP message type 6, draft-ietf-idr-operational-message-00).
//!
//! Body: type (2), length (2) of what follows, AFI (2), SAFI (1), then
//! * advisories (ADM = 1, ASM = 2): UTF-8 text, at most 2048 bytes (ExaBGP cuts longer text
//!   to 2045 bytes and `...`);
//! * queries (RPCQ = 3, APCQ = 5, LPCQ = 7): router-id (4), sequence (4);
//! * replies (RPCP = 4, APCP = 6, LPCP = 8): router-id (4), sequence (4), counter (4).
//!
//! Other types (the draft's SSQ, DUP, NS, …) are kept as bytes.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::message::{finish_message, start_message};
use crate::model::{Afi, Family, Safi};

/// BGP message type of OPERATIONAL (ExaBGP's `Message.CODE.OPERATIONAL`).
pub const MSG_TYPE: u8 = 6;

/// The longest advisory text ExaBGP sends (`MAX_ADVISORY`).
pub const MAX_ADVISORY: usize = 2048;

/// What an OPERATIONAL message carries after its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationalData {
    /// ADM (1) or ASM (2): advisory text.
    Advisory(Bytes),
    /// RPCQ (3), APCQ (5), LPCQ (7).
    Query { router_id: Ipv4Addr, sequence: u32 },
    /// RPCP (4), APCP (6), LPCP (8).
    Reply {
        router_id: Ipv4Addr,
        sequence: u32,
        counter: u32,
    },
    /// Any other type, value after the family kept as it came.
    Other(Bytes),
}

/// One OPERATIONAL message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalMessage {
    pub code: u16,
    pub family: Family,
    pub data: OperationalData,
}

/// Operational type codes.
pub mod code {
    pub const ADM: u16 = 1;
    pub const ASM: u16 = 2;
    pub const RPCQ: u16 = 3;
    pub const RPCP: u16 = 4;
    pub const APCQ: u16 = 5;
    pub const APCP: u16 = 6;
    pub const LPCQ: u16 = 7;
    pub const LPCP: u16 = 8;
}

/// ExaBGP's name of a type code (`ADM`, `RPCQ`, …), `None` for the others.
pub fn code_name(c: u16) -> Option<&'static str> {
    Some(match c {
        code::ADM => "ADM",
        code::ASM => "ASM",
        code::RPCQ => "RPCQ",
        code::RPCP => "RPCP",
        code::APCQ => "APCQ",
        code::APCP => "APCP",
        code::LPCQ => "LPCQ",
        code::LPCP => "LPCP",
        _ => return None,
    })
}

/// Why an OPERATIONAL body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationalError {
    /// Shorter than its type, length and family, or than its length field says.
    Truncated,
    /// A query or reply whose length is not the one its type fixes.
    BadLength { code: u16, length: u16 },
}

impl OperationalMessage {
    /// An advisory, its text cut as ExaBGP cuts it.
    pub fn advisory(code: u16, family: Family, text: &str) -> OperationalMessage {
        let t = text.as_bytes();
        let data = if t.len() > MAX_ADVISORY {
            let mut v = t[..MAX_ADVISORY - 3].to_vec();
            v.extend_from_slice(b"...");
            Bytes::from(v)
        } else {
            Bytes::copy_from_slice(t)
        };
        OperationalMessage {
            code,
            family,
            data: OperationalData::Advisory(data),
        }
    }

    /// Append the whole message, BGP header included.
    pub fn encode(&self, out: &mut BytesMut) {
        let start = start_message(out, MSG_TYPE);
        out.put_u16(self.code);
        let len_at = out.len();
        out.put_u16(0);
        out.put_u16(self.family.afi.0);
        out.put_u8(self.family.safi.0);
        match &self.data {
            OperationalData::Advisory(b) | OperationalData::Other(b) => out.put_slice(b),
            OperationalData::Query {
                router_id,
                sequence,
            } => {
                out.put_slice(&router_id.octets());
                out.put_u32(*sequence);
            }
            OperationalData::Reply {
                router_id,
                sequence,
                counter,
            } => {
                out.put_slice(&router_id.octets());
                out.put_u32(*sequence);
                out.put_u32(*counter);
            }
        }
        let len = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
        finish_message(out, start);
    }

    /// Read a body (what follows the 19-byte BGP header).
    pub fn decode(body: &Bytes) -> Result<OperationalMessage, OperationalError> {
        if body.len() < 7 {
            return Err(OperationalError::Truncated);
        }
        let c = u16::from_be_bytes([body[0], body[1]]);
        let length = u16::from_be_bytes([body[2], body[3]]);
        let end = 4 + length as usize;
        if length < 3 || body.len() < end {
            return Err(OperationalError::Truncated);
        }
        let family = Family::new(Afi(u16::from_be_bytes([body[4], body[5]])), Safi(body[6]));
        let rest = body.slice(7..end);
        let rid = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let data = match c {
            code::ADM | code::ASM => OperationalData::Advisory(rest),
            code::RPCQ | code::APCQ | code::LPCQ => {
                if rest.len() != 8 {
                    return Err(OperationalError::BadLength { code: c, length });
                }
                OperationalData::Query {
                    router_id: rid(&rest[..4]),
                    sequence: be32(&rest[4..8]),
                }
            }
            code::RPCP | code::APCP | code::LPCP => {
                if rest.len() != 12 {
                    return Err(OperationalError::BadLength { code: c, length });
                }
                OperationalData::Reply {
                    router_id: rid(&rest[..4]),
                    sequence: be32(&rest[4..8]),
                    counter: be32(&rest[8..12]),
                }
            }
            _ => OperationalData::Other(rest),
        };
        Ok(OperationalMessage {
            code: c,
            family,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Bytes from ExaBGP 5.0.15's own encoder (`exabgp.bgp.message.operational`:
    /// `Advisory.ADM(AFI.ipv4, SAFI.unicast, 'this is dynamic message #1').message(None)`, …).
    const EXABGP: &[(&str, &str)] = &[
        ("ADM", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0034060001001D000101746869732069732064796E616D6963206D657373616765202331"),
        ("ASM", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001C06000200050001016869"),
        ("RPCQ", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060003000B0001010A00000100000001"),
        ("APCQ", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060005000B0002010102030400000002"),
        ("LPCQ", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0022060007000B0001010102030400000003"),
        ("RPCP", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0026060004000F000101010203040000000400000064"),
        ("APCP", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0026060006000F0001010102030400000005000000C8"),
        ("LPCP", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0026060008000F0001850A000002000000060000012C"),
    ];

    fn ours() -> Vec<OperationalMessage> {
        let v4 = Family::IPV4_UNICAST;
        let r = Ipv4Addr::new(1, 2, 3, 4);
        vec![
            OperationalMessage::advisory(code::ADM, v4, "this is dynamic message #1"),
            OperationalMessage::advisory(code::ASM, v4, "hi"),
            OperationalMessage {
                code: code::RPCQ,
                family: v4,
                data: OperationalData::Query {
                    router_id: Ipv4Addr::new(10, 0, 0, 1),
                    sequence: 1,
                },
            },
            OperationalMessage {
                code: code::APCQ,
                family: Family::IPV6_UNICAST,
                data: OperationalData::Query {
                    router_id: r,
                    sequence: 2,
                },
            },
            OperationalMessage {
                code: code::LPCQ,
                family: v4,
                data: OperationalData::Query {
                    router_id: r,
                    sequence: 3,
                },
            },
            OperationalMessage {
                code: code::RPCP,
                family: v4,
                data: OperationalData::Reply {
                    router_id: r,
                    sequence: 4,
                    counter: 100,
                },
            },
            OperationalMessage {
                code: code::APCP,
                family: v4,
                data: OperationalData::Reply {
                    router_id: r,
                    sequence: 5,
                    counter: 200,
                },
            },
            OperationalMessage {
                code: code::LPCP,
                family: Family::new(Afi::IPV4, Safi(133)),
                data: OperationalData::Reply {
                    router_id: Ipv4Addr::new(10, 0, 0, 2),
                    sequence: 6,
                    counter: 300,
                },
            },
        ]
    }

    #[test]
    fn encodes_and_decodes_exabgp_bytes() {
        for ((name, want), m) in EXABGP.iter().zip(ours()) {
            let mut out = BytesMut::new();
            m.encode(&mut out);
            assert_eq!(out.to_vec(), hex(want), "{name}");
            assert_eq!(code_name(m.code), Some(*name));
            let body = Bytes::from(hex(want)).slice(19..);
            assert_eq!(OperationalMessage::decode(&body), Ok(m), "{name}");
        }
    }

    #[test]
    fn framed_as_a_whole_message() {
        // `frame` delimits type 6 like the RFC 4271 types; the session decides whether its
        // peer may send it.
        for (name, m) in EXABGP {
            let m = hex(m);
            assert_eq!(crate::frame(&m, 4096), Ok(Some(m.len())), "{name}");
            assert_eq!(crate::frame(&m[..m.len() - 1], 4096), Ok(None), "{name}");
        }
    }

    #[test]
    fn long_advisory_cut_as_exabgp_does() {
        let m = OperationalMessage::advisory(code::ADM, Family::IPV4_UNICAST, &"x".repeat(3000));
        match m.data {
            OperationalData::Advisory(b) => {
                assert_eq!(b.len(), MAX_ADVISORY);
                assert!(b.ends_with(b"..."));
            }
            _ => panic!(),
        }
    }

    #[test]
    fn rejects_short_or_bad_lengths() {
        assert_eq!(
            OperationalMessage::decode(&Bytes::from_static(&[0, 3, 0, 3, 0, 1])),
            Err(OperationalError::Truncated)
        );
        assert_eq!(
            OperationalMessage::decode(&Bytes::from_static(&[0, 3, 0, 4, 0, 1, 1, 9])),
            Err(OperationalError::BadLength { code: 3, length: 4 })
        );
    }
}
