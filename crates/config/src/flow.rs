//! Flow specification match components as ExaBGP writes them (`source 10.0.0.1/32;`,
//! `destination-port [ >8080&<8088 =3128 ];`, `tcp-flags [ syn rst&fin&!=push ];`), read into
//! RFC 8955/8956 component types and operator bytes.
//!
//! The wire crate's `flowspec::FlowRule` will hold encoded components; until its text
//! parser exists this module keeps the parsed form, which maps one-to-one onto it.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// RFC 8955 §4.2.2 component type codes (RFC 8956 for IPv6: 3 is next-header, 11 traffic
/// class, 13 flow label).
pub mod component {
    pub const DESTINATION: u8 = 1;
    pub const SOURCE: u8 = 2;
    pub const PROTOCOL: u8 = 3;
    pub const PORT: u8 = 4;
    pub const DESTINATION_PORT: u8 = 5;
    pub const SOURCE_PORT: u8 = 6;
    pub const ICMP_TYPE: u8 = 7;
    pub const ICMP_CODE: u8 = 8;
    pub const TCP_FLAGS: u8 = 9;
    pub const PACKET_LENGTH: u8 = 10;
    pub const DSCP: u8 = 11;
    pub const FRAGMENT: u8 = 12;
    pub const FLOW_LABEL: u8 = 13;
}

/// Operator bits of RFC 8955 §4.2.1.1 (numeric: lt 0x04, gt 0x02, eq 0x01) and §4.2.1.2
/// (bitmask: not 0x02, match 0x01). The end-of-list and length bits are the encoder's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowOp {
    /// AND with the previous term (the `a` bit); false means OR.
    pub and: bool,
    pub bits: u8,
    pub value: u64,
}

pub const OP_LT: u8 = 0x04;
pub const OP_GT: u8 = 0x02;
pub const OP_EQ: u8 = 0x01;
pub const OP_NOT: u8 = 0x02;
pub const OP_MATCH: u8 = 0x01;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlowMatch {
    /// Types 1 and 2; `offset` is RFC 8956's prefix offset (IPv6 only, else 0).
    Prefix { kind: u8, prefix: IpNet, offset: u8 },
    /// Types 3 to 13.
    Ops {
        kind: u8,
        bitmask: bool,
        ops: Vec<FlowOp>,
    },
}

impl FlowMatch {
    pub fn kind(&self) -> u8 {
        match self {
            FlowMatch::Prefix { kind, .. } | FlowMatch::Ops { kind, .. } => *kind,
        }
    }
}

/// The match part of one flow route, components in type order (RFC 8955 §4.2 requires it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlowSpec {
    pub components: Vec<FlowMatch>,
}

impl FlowSpec {
    /// IPv6 when a prefix component is IPv6 or an IPv6-only component is present.
    pub fn is_ipv6(&self) -> bool {
        self.components.iter().any(|c| match c {
            FlowMatch::Prefix { prefix, .. } => matches!(prefix, IpNet::V6(_)),
            FlowMatch::Ops { kind, .. } => *kind == component::FLOW_LABEL,
        })
    }

    pub fn insert(&mut self, m: FlowMatch) {
        // Several statements of the same component merge into one (ORed terms).
        if let FlowMatch::Ops { kind, ops, .. } = &m {
            for c in &mut self.components {
                if let FlowMatch::Ops {
                    kind: k, ops: o, ..
                } = c
                {
                    if k == kind {
                        let mut extra = ops.clone();
                        if let Some(first) = extra.first_mut() {
                            first.and = false;
                        }
                        o.extend(extra);
                        return;
                    }
                }
            }
        }
        let at = self
            .components
            .iter()
            .position(|c| c.kind() > m.kind())
            .unwrap_or(self.components.len());
        self.components.insert(at, m);
    }
}

/// Component keyword → (type, bitmask?). `-ipv4`/`-ipv6` variants of prefixes are accepted.
pub fn component_of(keyword: &str) -> Option<(u8, bool)> {
    use component::*;
    Some(match keyword {
        "destination" | "destination-ipv4" | "destination-ipv6" => (DESTINATION, false),
        "source" | "source-ipv4" | "source-ipv6" => (SOURCE, false),
        "protocol" | "next-header" => (PROTOCOL, false),
        "port" => (PORT, false),
        "destination-port" => (DESTINATION_PORT, false),
        "source-port" => (SOURCE_PORT, false),
        "icmp-type" => (ICMP_TYPE, false),
        "icmp-code" => (ICMP_CODE, false),
        "tcp-flags" => (TCP_FLAGS, true),
        "packet-length" => (PACKET_LENGTH, false),
        "dscp" | "traffic-class" => (DSCP, false),
        "fragment" => (FRAGMENT, true),
        "flow-label" => (FLOW_LABEL, false),
        _ => return None,
    })
}

fn named_value(kind: u8, name: &str) -> Option<u64> {
    use component::*;
    let n = name.to_ascii_lowercase();
    let v = match kind {
        PROTOCOL => match n.as_str() {
            "hopopt" => 0,
            "icmp" => 1,
            "igmp" => 2,
            "tcp" => 6,
            "egp" => 8,
            "udp" => 17,
            "rsvp" => 46,
            "gre" => 47,
            "esp" => 50,
            "ah" => 51,
            "icmp6" | "ipv6-icmp" => 58,
            "ospf" => 89,
            "pim" => 103,
            "sctp" => 132,
            _ => return None,
        },
        ICMP_TYPE => match n.as_str() {
            "echo-reply" => 0,
            "unreachable" => 3,
            "source-quench" => 4,
            "redirect" => 5,
            "echo-request" => 8,
            "router-advertisement" => 9,
            "router-solicit" => 10,
            "time-exceeded" => 11,
            "parameter-problem" => 12,
            "timestamp" => 13,
            "timestamp-reply" => 14,
            "photuris" => 40,
            "experimental-mobility" => 41,
            _ => return None,
        },
        ICMP_CODE => match n.as_str() {
            "network-unreachable" => 0,
            "host-unreachable" => 1,
            "protocol-unreachable" => 2,
            "port-unreachable" => 3,
            "fragmentation-needed" => 4,
            "source-route-failed" => 5,
            "destination-network-unknown" => 6,
            "destination-host-unknown" => 7,
            "source-host-isolated" => 8,
            "destination-network-prohibited" => 9,
            "destination-host-prohibited" => 10,
            "network-unreachable-for-tos" => 11,
            "host-unreachable-for-tos" => 12,
            "communication-prohibited-by-filtering" => 13,
            "host-precedence-violation" => 14,
            "precedence-cutoff-in-effect" => 15,
            "ttl-eq-zero-during-transit" => 0,
            "ttl-eq-zero-during-reassembly" => 1,
            _ => return None,
        },
        TCP_FLAGS => match n.as_str() {
            "fin" => 0x01,
            "syn" => 0x02,
            "rst" => 0x04,
            "push" | "psh" => 0x08,
            "ack" => 0x10,
            "urgent" | "urg" => 0x20,
            "ece" => 0x40,
            "cwr" => 0x80,
            _ => return None,
        },
        FRAGMENT => match n.as_str() {
            "dont-fragment" => 0x01,
            "is-fragment" => 0x02,
            "first-fragment" => 0x04,
            "last-fragment" => 0x08,
            "not-a-fragment" => 0x00,
            _ => return None,
        },
        _ => return None,
    };
    Some(v)
}

/// Parses one term list word: `>8080&<8088`, `=3128`, `!=tcp`, `tcp`, `rst&fin&!=push`.
pub fn parse_terms(
    kind: u8,
    bitmask: bool,
    word: &str,
    out: &mut Vec<FlowOp>,
) -> Result<(), String> {
    for (i, term) in word.split('&').enumerate() {
        if term.is_empty() {
            return Err(format!("empty term in '{word}'"));
        }
        let (bits, rest) = if bitmask {
            if let Some(r) = term.strip_prefix("!=") {
                (OP_NOT | OP_MATCH, r)
            } else if let Some(r) = term.strip_prefix('!') {
                (OP_NOT, r)
            } else if let Some(r) = term.strip_prefix('=') {
                (OP_MATCH, r)
            } else {
                (0, term)
            }
        } else if let Some(r) = term.strip_prefix(">=") {
            (OP_GT | OP_EQ, r)
        } else if let Some(r) = term.strip_prefix("<=") {
            (OP_LT | OP_EQ, r)
        } else if let Some(r) = term.strip_prefix("!=") {
            (OP_LT | OP_GT, r)
        } else if let Some(r) = term.strip_prefix('>') {
            (OP_GT, r)
        } else if let Some(r) = term.strip_prefix('<') {
            (OP_LT, r)
        } else if let Some(r) = term.strip_prefix('=') {
            (OP_EQ, r)
        } else {
            (OP_EQ, term)
        };
        let value = match named_value(kind, rest) {
            Some(v) => v,
            None => {
                let v = if let Some(h) = rest.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).ok()
                } else {
                    rest.parse::<u64>().ok()
                };
                v.ok_or_else(|| format!("'{rest}' is not a value for this component"))?
            }
        };
        // A fragment "not-a-fragment" is the absence of the is-fragment bit.
        let bits = if kind == component::FRAGMENT && rest == "not-a-fragment" {
            OP_NOT | OP_MATCH
        } else {
            bits
        };
        let value = if kind == component::FRAGMENT && rest == "not-a-fragment" {
            0x02
        } else {
            value
        };
        out.push(FlowOp {
            and: i > 0,
            bits,
            value,
        });
    }
    Ok(())
}

/// `10.0.0.1/32`, `::1/128/120` (IPv6 prefix with offset), `10.0.0.1` (host).
pub fn parse_flow_prefix(word: &str) -> Result<(IpNet, u8), String> {
    let (pfx, offset) = match word.matches('/').count() {
        2 => {
            let (p, o) = word.rsplit_once('/').unwrap_or((word, "0"));
            let o: u8 = o.parse().map_err(|_| format!("bad offset in '{word}'"))?;
            (p, o)
        }
        _ => (word, 0),
    };
    let net = if pfx.contains('/') {
        pfx.parse::<IpNet>()
            .map_err(|_| format!("'{word}' is not a prefix"))?
    } else {
        IpNet::from(
            pfx.parse::<IpAddr>()
                .map_err(|_| format!("'{word}' is not a prefix"))?,
        )
    };
    if offset > net.prefix_len() {
        return Err(format!("offset larger than the prefix length in '{word}'"));
    }
    Ok((net, offset))
}

fn op_text(bitmask: bool, op: &FlowOp) -> String {
    let o = if bitmask {
        match op.bits & 0x03 {
            0x03 => "!=",
            0x02 => "!",
            0x01 => "=",
            _ => "",
        }
    } else {
        match op.bits & 0x07 {
            0x01 => "=",
            0x02 => ">",
            0x03 => ">=",
            0x04 => "<",
            0x05 => "<=",
            0x06 => "!=",
            0x07 => "true",
            _ => "false",
        }
    };
    format!("{o}{}", op.value)
}

impl fmt::Display for FlowMatch {
    /// As ExaBGP's configuration syntax (values numeric), so that it parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |k: u8| match k {
            1 => "destination",
            2 => "source",
            3 => "protocol",
            4 => "port",
            5 => "destination-port",
            6 => "source-port",
            7 => "icmp-type",
            8 => "icmp-code",
            9 => "tcp-flags",
            10 => "packet-length",
            11 => "dscp",
            12 => "fragment",
            _ => "flow-label",
        };
        match self {
            FlowMatch::Prefix {
                kind,
                prefix,
                offset,
            } => {
                if *offset != 0 {
                    write!(f, "{} {prefix}/{offset}", name(*kind))
                } else {
                    write!(f, "{} {prefix}", name(*kind))
                }
            }
            FlowMatch::Ops { kind, bitmask, ops } => {
                write!(f, "{} [ ", name(*kind))?;
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if op.and { "&" } else { " " })?;
                    }
                    f.write_str(&op_text(*bitmask, op))?;
                }
                f.write_str(" ]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(kind: u8, bitmask: bool, w: &str) -> Vec<(bool, u8, u64)> {
        let mut v = Vec::new();
        parse_terms(kind, bitmask, w, &mut v).unwrap();
        v.into_iter().map(|o| (o.and, o.bits, o.value)).collect()
    }

    #[test]
    fn numeric_and_bitmask_terms() {
        assert_eq!(
            terms(5, false, ">8080&<8088"),
            [(false, 2, 8080), (true, 4, 8088)]
        );
        assert_eq!(terms(3, false, "!=tcp"), [(false, 6, 6)]);
        assert_eq!(terms(3, false, "udp"), [(false, 1, 17)]);
        assert_eq!(
            terms(9, true, "RST&FIN&!=push"),
            [(false, 0, 4), (true, 0, 1), (true, 3, 8)]
        );
        assert_eq!(terms(12, true, "last-fragment"), [(false, 0, 8)]);
        let mut v = Vec::new();
        assert!(parse_terms(3, false, "bogus", &mut v).is_err());
    }

    #[test]
    fn prefixes_with_offset() {
        let (p, o) = parse_flow_prefix("::1/128/120").unwrap();
        assert_eq!((p.prefix_len(), o), (128, 120));
        assert!(parse_flow_prefix("10.0.0.0/8/9").is_err());
    }
}
