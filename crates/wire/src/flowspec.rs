//! Flow specification NLRI (RFC 8955 for IPv4, RFC 8956 for IPv6, and the VPN forms with a
//! route distinguisher).
//!
//! Two representations:
//! - [`FlowNlri`]: a validated, zero-copy view over one NLRI's bytes (what the decoder hands out);
//!   [`FlowNlri::parse`] checks lengths, component order and operator encodings once, then
//!   [`FlowNlri::components`] iterates without allocating.
//! - [`FlowRule`]: the owned rule (ordered components) used to originate routes, with
//!   [`FlowRule::encode`] and the text forms ExaBGP reads in `match { … }` and `flow route …`.
//!
//! Both write ExaBGP's JSON (the object of one flow route inside `announce`) and its
//! `flow destination-ipv4 … protocol =tcp` string.
//!
//! One deliberate departure from RFC 8956: an IPv6 prefix component carries `ceil(length / 8)`
//! octets of the address whatever the offset, which is what ExaBGP sends and reads; the two only
//! differ for a non-zero offset.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Operator bits shared by numeric and bitmask operators (RFC 8955 §4.2.1).
pub const OP_END: u8 = 0x80;
/// The AND bit: this term is ANDed with the previous one (otherwise ORed).
pub const OP_AND: u8 = 0x40;
/// The two length bits: the value is `1 << len` octets.
pub const OP_LEN: u8 = 0x30;
/// Numeric operator: less than.
pub const NUM_LT: u8 = 0x04;
/// Numeric operator: greater than.
pub const NUM_GT: u8 = 0x02;
/// Numeric operator: equal.
pub const NUM_EQ: u8 = 0x01;
/// Bitmask operator: NOT.
pub const BIT_NOT: u8 = 0x02;
/// Bitmask operator: MATCH (all bits set, rather than any).
pub const BIT_MATCH: u8 = 0x01;

/// Largest NLRI a flowspec route may have (the two-octet length form, RFC 8955 §4.1).
pub const MAX_NLRI_LEN: usize = 0x0FFF;

/// Component type codes (RFC 8955 §4.2.2, RFC 8956 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum FlowType {
    DestinationPrefix = 1,
    SourcePrefix = 2,
    /// IP protocol (IPv4) or next header (IPv6).
    IpProtocol = 3,
    Port = 4,
    DestinationPort = 5,
    SourcePort = 6,
    IcmpType = 7,
    IcmpCode = 8,
    TcpFlags = 9,
    PacketLength = 10,
    /// DSCP (IPv4) or traffic class (IPv6).
    Dscp = 11,
    Fragment = 12,
    /// IPv6 only.
    FlowLabel = 13,
}

impl FlowType {
    pub fn from_code(code: u8, ipv6: bool) -> Option<Self> {
        use FlowType::*;
        Some(match code {
            1 => DestinationPrefix,
            2 => SourcePrefix,
            3 => IpProtocol,
            4 => Port,
            5 => DestinationPort,
            6 => SourcePort,
            7 => IcmpType,
            8 => IcmpCode,
            9 => TcpFlags,
            10 => PacketLength,
            11 => Dscp,
            12 => Fragment,
            13 if ipv6 => FlowLabel,
            _ => return None,
        })
    }
    pub const fn code(self) -> u8 {
        self as u8
    }
    /// Bitmask components (tcp-flags, fragment) use the bitmask operator; the rest numeric.
    pub const fn is_bitmask(self) -> bool {
        matches!(self, FlowType::TcpFlags | FlowType::Fragment)
    }
    pub const fn is_prefix(self) -> bool {
        matches!(self, FlowType::DestinationPrefix | FlowType::SourcePrefix)
    }
    /// ExaBGP's name for the component in the given family.
    pub const fn name(self, ipv6: bool) -> &'static str {
        use FlowType::*;
        match (self, ipv6) {
            (DestinationPrefix, false) => "destination-ipv4",
            (DestinationPrefix, true) => "destination-ipv6",
            (SourcePrefix, false) => "source-ipv4",
            (SourcePrefix, true) => "source-ipv6",
            (IpProtocol, false) => "protocol",
            (IpProtocol, true) => "next-header",
            (Port, _) => "port",
            (DestinationPort, _) => "destination-port",
            (SourcePort, _) => "source-port",
            (IcmpType, _) => "icmp-type",
            (IcmpCode, _) => "icmp-code",
            (TcpFlags, _) => "tcp-flags",
            (PacketLength, _) => "packet-length",
            (Dscp, false) => "dscp",
            (Dscp, true) => "traffic-class",
            (Fragment, _) => "fragment",
            (FlowLabel, _) => "flow-label",
        }
    }
    /// Largest value the component holds (what ExaBGP lets a configuration write).
    pub const fn max_value(self) -> u64 {
        use FlowType::*;
        match self {
            IpProtocol | IcmpType | IcmpCode => 0xFF,
            Dscp => 0xFF,
            FlowLabel => 0xF_FFFF,
            _ => 0xFFFF,
        }
    }
}

/// Why a flowspec NLRI or its text was refused; `offset` is from the start of the NLRI
/// (its length octet) for wire errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("flowspec NLRI truncated at offset {offset}")]
    Truncated { offset: usize },
    #[error("flowspec NLRI length {length} overruns the {available} octets left")]
    LengthOverrun { length: usize, available: usize },
    #[error("unknown flowspec component type {code} at offset {offset}")]
    UnknownComponent { code: u8, offset: usize },
    #[error("flowspec component {code} at offset {offset} is out of order (RFC 8955 §4.2: strictly increasing types)")]
    OutOfOrder { code: u8, offset: usize },
    #[error("flowspec prefix length {length} too long at offset {offset}")]
    BadPrefixLength { length: u8, offset: usize },
    #[error("flowspec operator 0x{op:02x} at offset {offset}: {why}")]
    BadOperator {
        op: u8,
        offset: usize,
        why: &'static str,
    },
    #[error("flowspec rule is empty")]
    Empty,
    #[error("flowspec rule encodes to {0} octets, more than 4095")]
    TooLong(usize),
    #[error("flowspec text: {0}")]
    Text(String),
}

/// The prefix of a destination or source component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowPrefix {
    V4 {
        addr: Ipv4Addr,
        len: u8,
    },
    /// RFC 8956: the prefix matches bits `offset..len` of the address.
    V6 {
        addr: Ipv6Addr,
        len: u8,
        offset: u8,
    },
}

impl FlowPrefix {
    pub fn is_ipv6(&self) -> bool {
        matches!(self, FlowPrefix::V6 { .. })
    }
}

impl fmt::Display for FlowPrefix {
    /// `10.0.0.0/24`, `2001:db8::/32/0` as ExaBGP writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowPrefix::V4 { addr, len } => write!(f, "{addr}/{len}"),
            FlowPrefix::V6 { addr, len, offset } => write!(f, "{addr}/{len}/{offset}"),
        }
    }
}

/// One term of a numeric or bitmask match: the operator flags (without the end-of-list and
/// length bits, which the encoder computes) and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowOp {
    /// `OP_AND` | `NUM_LT`/`NUM_GT`/`NUM_EQ`, or `OP_AND` | `BIT_NOT`/`BIT_MATCH`; reserved bits
    /// received from a peer are kept.
    pub flags: u8,
    pub value: u64,
}

impl FlowOp {
    pub const fn new(flags: u8, value: u64) -> Self {
        FlowOp {
            flags: flags & !(OP_END | OP_LEN),
            value,
        }
    }
    pub const fn and(&self) -> bool {
        self.flags & OP_AND != 0
    }
}

/// One component of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlowComponent {
    Destination(FlowPrefix),
    Source(FlowPrefix),
    /// Every other type: its operator/value list, in order.
    Match(FlowType, Vec<FlowOp>),
}

impl FlowComponent {
    pub fn flow_type(&self) -> FlowType {
        match self {
            FlowComponent::Destination(_) => FlowType::DestinationPrefix,
            FlowComponent::Source(_) => FlowType::SourcePrefix,
            FlowComponent::Match(t, _) => *t,
        }
    }
}

/// One flowspec rule: the ordered list of components of one NLRI (without the route
/// distinguisher of the VPN form, which the NLRI carries next to it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlowRule {
    /// Strictly increasing by type (RFC 8955 §4.2); [`FlowRule::push`] keeps it so.
    pub components: Vec<FlowComponent>,
}

// ----------------------------------------------------------------------------- zero-copy view

/// A validated flowspec NLRI over borrowed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowNlri<'a> {
    /// The route distinguisher of the VPN form (SAFI 134).
    pub rd: Option<&'a [u8; 8]>,
    /// The encoded components (after the length and the RD).
    pub body: &'a [u8],
    pub ipv6: bool,
}

/// A component seen through a [`FlowNlri`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowComponentRef<'a> {
    Prefix(FlowType, FlowPrefix),
    /// The operator/value octets of a numeric or bitmask component, validated.
    Ops(FlowType, FlowOps<'a>),
}

/// The operator/value pairs of one component, validated; iterate for [`FlowOp`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowOps<'a>(&'a [u8]);

impl<'a> Iterator for FlowOps<'a> {
    type Item = FlowOp;
    fn next(&mut self) -> Option<FlowOp> {
        let (&op, rest) = self.0.split_first()?;
        let n = 1usize << ((op & OP_LEN) >> 4);
        let (v, rest) = rest.split_at(n.min(rest.len()));
        self.0 = rest;
        let value = v.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Some(FlowOp::new(op, value))
    }
}

fn read_prefix(data: &[u8], at: usize, ipv6: bool) -> Result<(FlowPrefix, usize), FlowError> {
    let len = *data.get(at).ok_or(FlowError::Truncated { offset: at })?;
    if ipv6 {
        let offset = *data
            .get(at + 1)
            .ok_or(FlowError::Truncated { offset: at + 1 })?;
        if len > 128 || offset > len {
            return Err(FlowError::BadPrefixLength {
                length: len,
                offset: at,
            });
        }
        let n = usize::from(len).div_ceil(8);
        let bytes = data
            .get(at + 2..at + 2 + n)
            .ok_or(FlowError::Truncated { offset: at + 2 })?;
        let mut a = [0u8; 16];
        a[..n].copy_from_slice(bytes);
        Ok((
            FlowPrefix::V6 {
                addr: Ipv6Addr::from(a),
                len,
                offset,
            },
            2 + n,
        ))
    } else {
        if len > 32 {
            return Err(FlowError::BadPrefixLength {
                length: len,
                offset: at,
            });
        }
        let n = usize::from(len).div_ceil(8);
        let bytes = data
            .get(at + 1..at + 1 + n)
            .ok_or(FlowError::Truncated { offset: at + 1 })?;
        let mut a = [0u8; 4];
        a[..n].copy_from_slice(bytes);
        Ok((
            FlowPrefix::V4 {
                addr: Ipv4Addr::from(a),
                len,
            },
            1 + n,
        ))
    }
}

/// Length of the operator list starting at `at`, validated.
fn scan_ops(data: &[u8], at: usize, bitmask: bool) -> Result<usize, FlowError> {
    let mut i = at;
    let mut first = true;
    loop {
        let op = *data.get(i).ok_or(FlowError::Truncated { offset: i })?;
        if first && op & OP_AND != 0 {
            return Err(FlowError::BadOperator {
                op,
                offset: i,
                why: "first term has the AND bit",
            });
        }
        if bitmask && (op >> 4) & 0x03 == 3 {
            return Err(FlowError::BadOperator {
                op,
                offset: i,
                why: "bitmask value of 8 octets",
            });
        }
        let n = 1usize << ((op & OP_LEN) >> 4);
        if data.len() < i + 1 + n {
            return Err(FlowError::Truncated { offset: i + 1 });
        }
        i += 1 + n;
        first = false;
        if op & OP_END != 0 {
            return Ok(i - at);
        }
    }
}

impl<'a> FlowNlri<'a> {
    /// Parses one NLRI at the start of `data` (its 1- or 2-octet length first, RFC 8955 §4.1:
    /// lengths of 240 and more use two octets, the first starting with 0xF). Returns the view and
    /// the number of octets used.
    pub fn parse(data: &'a [u8], ipv6: bool, vpn: bool) -> Result<(Self, usize), FlowError> {
        let first = *data.first().ok_or(FlowError::Truncated { offset: 0 })?;
        let (len, hdr) = if first & 0xF0 == 0xF0 {
            let second = *data.get(1).ok_or(FlowError::Truncated { offset: 1 })?;
            ((usize::from(first & 0x0F) << 8) | usize::from(second), 2)
        } else {
            (usize::from(first), 1)
        };
        if data.len() < hdr + len {
            return Err(FlowError::LengthOverrun {
                length: len,
                available: data.len() - hdr,
            });
        }
        let mut body = &data[hdr..hdr + len];
        let mut rd = None;
        if vpn {
            let (r, rest) = body
                .split_first_chunk::<8>()
                .ok_or(FlowError::Truncated { offset: hdr })?;
            rd = Some(r);
            body = rest;
        }
        let base = hdr + if vpn { 8 } else { 0 };
        Self::validate(body, ipv6).map_err(|e| shift(e, base))?;
        Ok((FlowNlri { rd, body, ipv6 }, hdr + len))
    }

    fn validate(body: &[u8], ipv6: bool) -> Result<(), FlowError> {
        if body.is_empty() {
            return Err(FlowError::Empty);
        }
        let mut i = 0;
        let mut last = 0u8;
        while i < body.len() {
            let code = body[i];
            let t = FlowType::from_code(code, ipv6)
                .ok_or(FlowError::UnknownComponent { code, offset: i })?;
            if code <= last {
                return Err(FlowError::OutOfOrder { code, offset: i });
            }
            last = code;
            i += 1;
            i += if t.is_prefix() {
                read_prefix(body, i, ipv6)?.1
            } else {
                scan_ops(body, i, t.is_bitmask())?
            };
        }
        Ok(())
    }

    /// The components, in order. The view was validated, so this does not fail.
    pub fn components(&self) -> FlowComponents<'a> {
        FlowComponents {
            body: self.body,
            ipv6: self.ipv6,
        }
    }

    /// An owned copy of the rule.
    pub fn to_rule(&self) -> FlowRule {
        let components = self
            .components()
            .map(|c| match c {
                FlowComponentRef::Prefix(FlowType::DestinationPrefix, p) => {
                    FlowComponent::Destination(p)
                }
                FlowComponentRef::Prefix(_, p) => FlowComponent::Source(p),
                FlowComponentRef::Ops(t, ops) => FlowComponent::Match(t, ops.collect()),
            })
            .collect();
        FlowRule { components }
    }

    /// ExaBGP's JSON object for this route (components, then `rd`, then `string`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        write_json_components(self.components(), self.ipv6, self.rd, out);
    }

    /// ExaBGP's `flow …` string.
    pub fn write_string<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_text(self.components(), self.ipv6, self.rd, w)
    }
}

fn shift(e: FlowError, by: usize) -> FlowError {
    match e {
        FlowError::Truncated { offset } => FlowError::Truncated {
            offset: offset + by,
        },
        FlowError::UnknownComponent { code, offset } => FlowError::UnknownComponent {
            code,
            offset: offset + by,
        },
        FlowError::OutOfOrder { code, offset } => FlowError::OutOfOrder {
            code,
            offset: offset + by,
        },
        FlowError::BadPrefixLength { length, offset } => FlowError::BadPrefixLength {
            length,
            offset: offset + by,
        },
        FlowError::BadOperator { op, offset, why } => FlowError::BadOperator {
            op,
            offset: offset + by,
            why,
        },
        e => e,
    }
}

/// Iterator over the components of a validated NLRI.
#[derive(Debug, Clone)]
pub struct FlowComponents<'a> {
    body: &'a [u8],
    ipv6: bool,
}

impl<'a> Iterator for FlowComponents<'a> {
    type Item = FlowComponentRef<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let (&code, _) = self.body.split_first()?;
        let t = FlowType::from_code(code, self.ipv6)?;
        if t.is_prefix() {
            let (p, n) = read_prefix(self.body, 1, self.ipv6).ok()?;
            self.body = &self.body[1 + n..];
            Some(FlowComponentRef::Prefix(t, p))
        } else {
            let n = scan_ops(self.body, 1, t.is_bitmask()).ok()?;
            let ops = FlowOps(&self.body[1..1 + n]);
            self.body = &self.body[1 + n..];
            Some(FlowComponentRef::Ops(t, ops))
        }
    }
}

// ----------------------------------------------------------------------------- owned rule

fn value_len_bits(v: u64) -> (u8, usize) {
    if v <= 0xFF {
        (0x00, 1)
    } else if v <= 0xFFFF {
        (0x10, 2)
    } else if v <= 0xFFFF_FFFF {
        (0x20, 4)
    } else {
        (0x30, 8)
    }
}

impl FlowRule {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the rule names IPv6 prefixes or a flow label.
    pub fn is_ipv6(&self) -> bool {
        self.components.iter().any(|c| match c {
            FlowComponent::Destination(p) | FlowComponent::Source(p) => p.is_ipv6(),
            FlowComponent::Match(t, _) => *t == FlowType::FlowLabel,
        })
    }

    /// Adds a component at its place in type order; terms of a type already present are
    /// appended to it (ORed, as ExaBGP does when a keyword is repeated). A second prefix of the
    /// same kind, or a prefix of another address family, is refused.
    pub fn push(&mut self, c: FlowComponent) -> Result<(), FlowError> {
        let t = c.flow_type();
        if let FlowComponent::Destination(p) | FlowComponent::Source(p) = &c {
            let other_family = self.components.iter().any(|o| match o {
                FlowComponent::Destination(q) | FlowComponent::Source(q) => {
                    q.is_ipv6() != p.is_ipv6()
                }
                _ => false,
            });
            if other_family {
                return Err(FlowError::Text(
                    "source and destination of different address families".into(),
                ));
            }
        }
        match self.components.binary_search_by_key(&t, |o| o.flow_type()) {
            Ok(i) => match (&mut self.components[i], c) {
                (FlowComponent::Match(_, ops), FlowComponent::Match(_, more)) => {
                    ops.extend(more);
                    Ok(())
                }
                _ => Err(FlowError::Text(format!("{} given twice", t.name(false)))),
            },
            Err(i) => {
                self.components.insert(i, c);
                Ok(())
            }
        }
    }

    /// Octets of the component list (without the NLRI length or an RD).
    pub fn body_len(&self) -> usize {
        self.components
            .iter()
            .map(|c| {
                1 + match c {
                    FlowComponent::Destination(FlowPrefix::V4 { len, .. })
                    | FlowComponent::Source(FlowPrefix::V4 { len, .. }) => {
                        1 + usize::from(*len).div_ceil(8)
                    }
                    FlowComponent::Destination(FlowPrefix::V6 { len, .. })
                    | FlowComponent::Source(FlowPrefix::V6 { len, .. }) => {
                        2 + usize::from(*len).div_ceil(8)
                    }
                    FlowComponent::Match(_, ops) => {
                        ops.iter().map(|o| 1 + value_len_bits(o.value).1).sum()
                    }
                }
            })
            .sum()
    }

    /// Encodes the NLRI (length, the RD when given, components) onto `out`.
    pub fn encode(&self, rd: Option<&[u8; 8]>, out: &mut Vec<u8>) -> Result<(), FlowError> {
        if self.components.is_empty() {
            return Err(FlowError::Empty);
        }
        let len = self.body_len() + if rd.is_some() { 8 } else { 0 };
        if len > MAX_NLRI_LEN {
            return Err(FlowError::TooLong(len));
        }
        if len < 0xF0 {
            out.push(len as u8);
        } else {
            out.extend_from_slice(&(0xF000 | len as u16).to_be_bytes());
        }
        if let Some(rd) = rd {
            out.extend_from_slice(rd);
        }
        for c in &self.components {
            out.push(c.flow_type().code());
            match c {
                FlowComponent::Destination(p) | FlowComponent::Source(p) => match p {
                    FlowPrefix::V4 { addr, len } => {
                        let len = (*len).min(32);
                        out.push(len);
                        out.extend_from_slice(&addr.octets()[..usize::from(len).div_ceil(8)]);
                    }
                    FlowPrefix::V6 { addr, len, offset } => {
                        let len = (*len).min(128);
                        out.push(len);
                        out.push(*offset);
                        out.extend_from_slice(&addr.octets()[..usize::from(len).div_ceil(8)]);
                    }
                },
                FlowComponent::Match(_, ops) => {
                    let last = ops.len().saturating_sub(1);
                    for (i, o) in ops.iter().enumerate() {
                        let (lb, n) = value_len_bits(o.value);
                        let mut op = (o.flags & !(OP_END | OP_LEN)) | lb;
                        if i == 0 {
                            op &= !OP_AND;
                        }
                        if i == last {
                            op |= OP_END;
                        }
                        out.push(op);
                        out.extend_from_slice(&o.value.to_be_bytes()[8 - n..]);
                    }
                }
            }
        }
        Ok(())
    }

    /// The encoded NLRI as a new vector.
    pub fn to_bytes(&self, rd: Option<&[u8; 8]>) -> Result<Vec<u8>, FlowError> {
        let mut v = Vec::with_capacity(self.body_len() + 10);
        self.encode(rd, &mut v)?;
        Ok(v)
    }

    /// ExaBGP's JSON object for the rule in the given family.
    pub fn write_json(&self, ipv6: bool, rd: Option<&[u8; 8]>, out: &mut Vec<u8>) {
        write_json_components(self.refs(), ipv6, rd, out);
    }

    /// ExaBGP's `flow …` string.
    pub fn write_string<W: fmt::Write>(
        &self,
        ipv6: bool,
        rd: Option<&[u8; 8]>,
        w: &mut W,
    ) -> fmt::Result {
        write_text(self.refs(), ipv6, rd, w)
    }

    /// ExaBGP's `flow …` string as a new String.
    pub fn to_exabgp_string(&self, ipv6: bool) -> String {
        let mut s = String::new();
        let _ = self.write_string(ipv6, None, &mut s);
        s
    }

    fn refs(&self) -> impl Iterator<Item = OwnedRef<'_>> + Clone {
        self.components.iter().map(|c| match c {
            FlowComponent::Destination(p) => OwnedRef::Prefix(FlowType::DestinationPrefix, *p),
            FlowComponent::Source(p) => OwnedRef::Prefix(FlowType::SourcePrefix, *p),
            FlowComponent::Match(t, ops) => OwnedRef::Ops(*t, ops.iter().copied()),
        })
    }

    /// Reads ExaBGP's text: statements `KEYWORD VALUE` or `KEYWORD [ VALUE … ]`, separated by
    /// spaces or `;`, e.g. `destination 10.0.0.1/32; source-port =53; protocol [ tcp udp ];
    /// tcp-flags [ syn ]; packet-length >200&<300; fragment [ is-fragment ]`, and the
    /// `flow destination-ipv4 … ` string ExaBGP writes (a leading `flow` is skipped). Inside
    /// brackets the terms are ORed; `&` inside one term ANDs. A value without operator means `=`
    /// for numbers and "any of these bits" for bitmasks.
    pub fn parse_text(text: &str) -> Result<FlowRule, FlowError> {
        let spaced = text
            .replace(';', " ")
            .replace('[', " [ ")
            .replace(']', " ] ");
        let mut tokens = spaced.split_whitespace().peekable();
        let mut rule = FlowRule::new();
        if tokens.peek() == Some(&"flow") {
            tokens.next();
        }
        while let Some(kw) = tokens.next() {
            let mut values: Vec<&str> = Vec::new();
            match tokens.next() {
                Some("[") => loop {
                    match tokens.next() {
                        Some("]") => break,
                        Some(v) => values.push(v),
                        None => return Err(FlowError::Text(format!("{kw}: missing ]"))),
                    }
                },
                Some(v) => values.push(v),
                None => return Err(FlowError::Text(format!("{kw}: missing value"))),
            }
            rule.push_text(kw, &values)?;
        }
        if rule.components.is_empty() {
            return Err(FlowError::Empty);
        }
        Ok(rule)
    }

    /// Adds one statement: `kw` a component keyword (ExaBGP's: `destination`, `source`,
    /// `destination-ipv4`, `source-ipv6`, `protocol`, `next-header`, `port`, `destination-port`,
    /// `source-port`, `icmp-type`, `icmp-code`, `tcp-flags`, `packet-length`, `dscp`,
    /// `traffic-class`, `fragment`, `flow-label`), `values` its terms (one token, or the
    /// bracketed list's tokens).
    pub fn push_text(&mut self, kw: &str, values: &[&str]) -> Result<(), FlowError> {
        let t = match kw {
            "destination" | "destination-ipv4" | "destination-ipv6" => FlowType::DestinationPrefix,
            "source" | "source-ipv4" | "source-ipv6" => FlowType::SourcePrefix,
            "protocol" | "next-header" => FlowType::IpProtocol,
            "port" => FlowType::Port,
            "destination-port" => FlowType::DestinationPort,
            "source-port" => FlowType::SourcePort,
            "icmp-type" => FlowType::IcmpType,
            "icmp-code" => FlowType::IcmpCode,
            "tcp-flags" => FlowType::TcpFlags,
            "packet-length" => FlowType::PacketLength,
            "dscp" | "traffic-class" => FlowType::Dscp,
            "fragment" => FlowType::Fragment,
            "flow-label" => FlowType::FlowLabel,
            _ => {
                return Err(FlowError::Text(format!(
                    "unknown flow match keyword {kw:?}"
                )))
            }
        };
        if t.is_prefix() {
            let [v] = values else {
                return Err(FlowError::Text(format!("{kw} takes one prefix")));
            };
            let p = parse_prefix(v)?;
            let c = if t == FlowType::DestinationPrefix {
                FlowComponent::Destination(p)
            } else {
                FlowComponent::Source(p)
            };
            return self.push(c);
        }
        let mut ops = Vec::new();
        for v in values {
            parse_terms(t, v, &mut ops)?;
        }
        if ops.is_empty() {
            return Err(FlowError::Text(format!("{kw}: no value")));
        }
        self.push(FlowComponent::Match(t, ops))
    }
}

fn parse_prefix(v: &str) -> Result<FlowPrefix, FlowError> {
    let err = || FlowError::Text(format!("bad prefix {v:?}"));
    let mut parts = v.split('/');
    let addr = parts.next().ok_or_else(err)?;
    let len: u8 = parts.next().ok_or_else(err)?.parse().map_err(|_| err())?;
    let offset: Option<u8> = match parts.next() {
        Some(o) => Some(o.parse().map_err(|_| err())?),
        None => None,
    };
    if parts.next().is_some() {
        return Err(err());
    }
    if addr.contains(':') {
        let addr: Ipv6Addr = addr.parse().map_err(|_| err())?;
        let offset = offset.unwrap_or(0);
        if len > 128 || offset > len {
            return Err(err());
        }
        Ok(FlowPrefix::V6 {
            addr: mask6(addr, len),
            len,
            offset,
        })
    } else {
        let addr: Ipv4Addr = addr.parse().map_err(|_| err())?;
        if len > 32 || offset.is_some() {
            return Err(err());
        }
        Ok(FlowPrefix::V4 {
            addr: mask4(addr, len),
            len,
        })
    }
}

fn mask4(a: Ipv4Addr, len: u8) -> Ipv4Addr {
    let m = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    Ipv4Addr::from(u32::from(a) & m)
}
fn mask6(a: Ipv6Addr, len: u8) -> Ipv6Addr {
    let m = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    };
    Ipv6Addr::from(u128::from(a) & m)
}

/// One token such as `>200&<300`, `=tcp`, `!=80`, `syn+ack`, `&!fin`.
fn parse_terms(t: FlowType, token: &str, ops: &mut Vec<FlowOp>) -> Result<(), FlowError> {
    let mut and = false;
    for (i, term) in token.split('&').enumerate() {
        if term.is_empty() {
            // a leading '&' ANDs the term with the previous token's last term
            if i == 0 && !ops.is_empty() {
                and = true;
                continue;
            }
            return Err(FlowError::Text(format!("empty term in {token:?}")));
        }
        let (flags, value) = if t.is_bitmask() {
            bitmask_operator(term)
        } else {
            numeric_operator(term)
        };
        let value = if !t.is_bitmask() && value.is_empty() && (flags == 0 || flags == 7) {
            0
        } else {
            parse_value(t, value)?
        };
        let flags = if and { flags | OP_AND } else { flags };
        ops.push(FlowOp::new(flags, value));
        and = true;
    }
    Ok(())
}

fn numeric_operator(s: &str) -> (u8, &str) {
    let lower = s.to_ascii_lowercase();
    if let Some(r) = s.strip_prefix(">=") {
        (NUM_GT | NUM_EQ, r)
    } else if let Some(r) = s.strip_prefix("<=") {
        (NUM_LT | NUM_EQ, r)
    } else if let Some(r) = s.strip_prefix("!=") {
        (NUM_LT | NUM_GT, r)
    } else if let Some(r) = s.strip_prefix('>') {
        (NUM_GT, r)
    } else if let Some(r) = s.strip_prefix('<') {
        (NUM_LT, r)
    } else if let Some(r) = s.strip_prefix('=') {
        (NUM_EQ, r)
    } else if lower.starts_with("true") {
        (NUM_LT | NUM_GT | NUM_EQ, &s[4..])
    } else if lower.starts_with("false") {
        (0, &s[5..])
    } else {
        (NUM_EQ, s)
    }
}

fn bitmask_operator(s: &str) -> (u8, &str) {
    if let Some(r) = s.strip_prefix("!=") {
        (BIT_NOT | BIT_MATCH, r)
    } else if let Some(r) = s.strip_prefix('!') {
        (BIT_NOT, r)
    } else if let Some(r) = s.strip_prefix('=') {
        (BIT_MATCH, r)
    } else {
        (0, s)
    }
}

const PROTOCOLS: &[(u64, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (6, "tcp"),
    (8, "egp"),
    (17, "udp"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (89, "ospf"),
    (94, "ipip"),
    (103, "pim"),
    (132, "sctp"),
];

const ICMP_TYPES: &[(u64, &str)] = &[
    (0, "echo-reply"),
    (3, "unreachable"),
    (5, "redirect"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicit"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp"),
    (14, "timestamp-reply"),
    (40, "photuris"),
    (41, "experimental-mobility"),
    (42, "extended-echo-request"),
    (43, "extended-echo-reply"),
    (253, "experimental-one"),
    (254, "experimental-two"),
];

const ICMP_CODES: &[(u64, &str)] = &[
    (0, "network-unreachable"),
    (1, "host-unreachable"),
    (2, "protocol-unreachable"),
    (3, "port-unreachable"),
    (4, "fragmentation-needed"),
    (5, "source-route-failed"),
    (6, "destination-network-unknown"),
    (7, "destination-host-unknown"),
    (8, "source-host-isolated"),
    (9, "destination-network-prohibited"),
    (10, "destination-host-prohibited"),
    (11, "network-unreachable-for-tos"),
    (12, "host-unreachable-for-tos"),
    (13, "communication-prohibited-by-filtering"),
    (14, "host-precedence-violation"),
    (15, "precedence-cutoff-in-effect"),
    (0, "redirect-for-network"),
    (1, "redirect-for-host"),
    (2, "redirect-for-tos-and-net"),
    (3, "redirect-for-tos-and-host"),
    (0, "ttl-eq-zero-during-transit"),
    (1, "ttl-eq-zero-during-reassembly"),
    (1, "required-option-missing"),
    (2, "ip-header-bad"),
];

/// TCP flags in ExaBGP's order (IANA tcp-header-flags).
const TCP_FLAGS: &[(u64, &str)] = &[
    (0x01, "fin"),
    (0x02, "syn"),
    (0x04, "rst"),
    (0x08, "push"),
    (0x10, "ack"),
    (0x20, "urg"),
    (0x40, "ece"),
    (0x80, "cwr"),
    (0x100, "ns"),
];

/// Fragment bits (RFC 8955 §4.2.2.12).
const FRAGMENTS: &[(u64, &str)] = &[
    (0x01, "dont-fragment"),
    (0x02, "is-fragment"),
    (0x04, "first-fragment"),
    (0x08, "last-fragment"),
];

const PORTS: &[(u64, &str)] = &[
    (21, "ftp"),
    (22, "ssh"),
    (23, "telnet"),
    (25, "smtp"),
    (53, "domain"),
    (53, "dns"),
    (80, "http"),
    (80, "www"),
    (110, "pop3"),
    (123, "ntp"),
    (143, "imap"),
    (161, "snmp"),
    (179, "bgp"),
    (443, "https"),
];

fn lookup(table: &[(u64, &str)], name: &str) -> Option<u64> {
    table
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(v, _)| *v)
}

fn plain_number(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

fn parse_value(t: FlowType, s: &str) -> Result<u64, FlowError> {
    let err = || FlowError::Text(format!("bad {} value {s:?}", t.name(false)));
    let v = match t {
        FlowType::TcpFlags | FlowType::Fragment => {
            let table = if t == FlowType::TcpFlags {
                TCP_FLAGS
            } else {
                FRAGMENTS
            };
            let mut v = 0;
            for part in s.split('+') {
                let part = if part == "urgent" { "urg" } else { part };
                v |= lookup(table, part)
                    .or_else(|| plain_number(part))
                    .ok_or_else(err)?;
            }
            v
        }
        FlowType::IpProtocol => lookup(PROTOCOLS, s)
            .or_else(|| plain_number(s))
            .ok_or_else(err)?,
        FlowType::IcmpType => lookup(ICMP_TYPES, s)
            .or_else(|| plain_number(s))
            .ok_or_else(err)?,
        FlowType::IcmpCode => lookup(ICMP_CODES, s)
            .or_else(|| plain_number(s))
            .ok_or_else(err)?,
        FlowType::Port | FlowType::DestinationPort | FlowType::SourcePort => lookup(PORTS, s)
            .or_else(|| plain_number(s))
            .ok_or_else(err)?,
        _ => plain_number(s).ok_or_else(err)?,
    };
    let max = if t == FlowType::Dscp {
        0xFF
    } else {
        t.max_value()
    };
    if v > max {
        return Err(err());
    }
    Ok(v)
}

// ----------------------------------------------------------------------------- text and JSON

/// A component as the writers see it, from a view or from an owned rule.
#[derive(Clone)]
enum OwnedRef<'a> {
    Prefix(FlowType, FlowPrefix),
    Ops(FlowType, std::iter::Copied<std::slice::Iter<'a, FlowOp>>),
}

trait CompLike {
    type OpIter: Iterator<Item = FlowOp> + Clone;
    fn split(self) -> Result<(FlowType, FlowPrefix), (FlowType, Self::OpIter)>;
}

impl<'a> CompLike for FlowComponentRef<'a> {
    type OpIter = FlowOps<'a>;
    fn split(self) -> Result<(FlowType, FlowPrefix), (FlowType, Self::OpIter)> {
        match self {
            FlowComponentRef::Prefix(t, p) => Ok((t, p)),
            FlowComponentRef::Ops(t, o) => Err((t, o)),
        }
    }
}

impl<'a> CompLike for OwnedRef<'a> {
    type OpIter = std::iter::Copied<std::slice::Iter<'a, FlowOp>>;
    fn split(self) -> Result<(FlowType, FlowPrefix), (FlowType, Self::OpIter)> {
        match self {
            OwnedRef::Prefix(t, p) => Ok((t, p)),
            OwnedRef::Ops(t, o) => Err((t, o)),
        }
    }
}

/// ExaBGP's text for one term (`NumericString.short()` / `BinaryString.short()`).
fn write_term<W: fmt::Write>(t: FlowType, op: FlowOp, w: &mut W) -> fmt::Result {
    let f = op.flags & 0x7F;
    if t.is_bitmask() {
        let s = match f {
            0x00 => "",
            0x02 => "!",
            0x01 => "=",
            0x03 => "!=",
            0x40 => "&",
            0x42 => "&!",
            0x41 => "&=",
            0x43 => "&!=",
            _ => return write!(w, "{f:02X}").and_then(|_| write_bits(t, op.value, w)),
        };
        w.write_str(s)?;
        write_bits(t, op.value, w)
    } else {
        if f == 0x07 {
            return w.write_str("true");
        }
        if f == 0x00 {
            return w.write_str("false");
        }
        let s = match f {
            0x04 => "<",
            0x02 => ">",
            0x01 => "=",
            0x05 => "<=",
            0x03 => ">=",
            0x06 => "!=",
            0x47 => "&true",
            0x44 => "&<",
            0x42 => "&>",
            0x41 => "&=",
            0x45 => "&<=",
            0x43 => "&>=",
            0x46 => "&!=",
            0x40 => "&false",
            _ => {
                write!(w, "{f:02X}")?;
                ""
            }
        };
        w.write_str(s)?;
        let table = match t {
            FlowType::IpProtocol => Some(PROTOCOLS),
            FlowType::IcmpType => Some(ICMP_TYPES),
            _ => None,
        };
        match table.and_then(|tb| tb.iter().find(|(v, _)| *v == op.value)) {
            Some((_, n)) => w.write_str(n),
            None => write!(w, "{}", op.value),
        }
    }
}

/// ExaBGP's `BitResource.__str__`: known bits joined with `+`, then the unknown rest.
fn write_bits<W: fmt::Write>(t: FlowType, value: u64, w: &mut W) -> fmt::Result {
    let (table, name) = if t == FlowType::TcpFlags {
        (TCP_FLAGS, "tcp flag")
    } else {
        (FRAGMENTS, "fragment")
    };
    let mut rest = value;
    let mut first = true;
    for (bit, n) in table {
        if rest & bit != 0 {
            if !first {
                w.write_char('+')?;
            }
            w.write_str(n)?;
            rest &= !bit;
            first = false;
        }
    }
    if rest != 0 {
        if !first {
            w.write_char('+')?;
        }
        write!(w, "unknown {name} type {value}")?;
    }
    Ok(())
}

/// Formats an RD the way ExaBGP does (`65000:1`, `1.2.3.4:5`, `70000:1`).
pub fn rd_to_string(rd: &[u8; 8]) -> String {
    let mut s = String::new();
    let _ = write_rd(rd, &mut s);
    s
}

/// Writes an RD the way ExaBGP does.
pub fn write_rd<W: fmt::Write>(rd: &[u8; 8], w: &mut W) -> fmt::Result {
    let t = u16::from_be_bytes([rd[0], rd[1]]);
    match t {
        0 => write!(
            w,
            "{}:{}",
            u16::from_be_bytes([rd[2], rd[3]]),
            u32::from_be_bytes([rd[4], rd[5], rd[6], rd[7]])
        ),
        1 => write!(
            w,
            "{}.{}.{}.{}:{}",
            rd[2],
            rd[3],
            rd[4],
            rd[5],
            u16::from_be_bytes([rd[6], rd[7]])
        ),
        2 => write!(
            w,
            "{}:{}",
            u32::from_be_bytes([rd[2], rd[3], rd[4], rd[5]]),
            u16::from_be_bytes([rd[6], rd[7]])
        ),
        _ => {
            for b in rd {
                write!(w, "{b:02x}")?;
            }
            Ok(())
        }
    }
}

fn write_text<C: CompLike, W: fmt::Write>(
    comps: impl Iterator<Item = C>,
    ipv6: bool,
    rd: Option<&[u8; 8]>,
    w: &mut W,
) -> fmt::Result {
    w.write_str("flow")?;
    for c in comps {
        match c.split() {
            Ok((t, p)) => write!(w, " {} {p}", t.name(ipv6))?,
            Err((t, ops)) => {
                write!(w, " {} ", t.name(ipv6))?;
                let many = ops.clone().nth(1).is_some();
                if many {
                    w.write_str("[ ")?;
                }
                for (i, op) in ops.enumerate() {
                    if i > 0 && !op.and() {
                        w.write_char(' ')?;
                    }
                    write_term(t, op, w)?;
                }
                if many {
                    w.write_str(" ]")?;
                }
            }
        }
    }
    if let Some(rd) = rd {
        w.write_str(" rd ")?;
        write_rd(rd, w)?;
    }
    Ok(())
}

/// `fmt::Write` over a byte vector that escapes what JSON needs escaped.
struct JsonStr<'a>(&'a mut Vec<u8>);
impl fmt::Write for JsonStr<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        crate::json::escape_into(self.0, s);
        Ok(())
    }
}

fn write_json_components<C: CompLike + Clone>(
    comps: impl Iterator<Item = C> + Clone,
    ipv6: bool,
    rd: Option<&[u8; 8]>,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    let mut first = true;
    for c in comps.clone() {
        if !first {
            out.push(b',');
        }
        first = false;
        match c.split() {
            Ok((t, p)) => {
                out.push(b'"');
                out.extend_from_slice(t.name(ipv6).as_bytes());
                out.extend_from_slice(b"\":[\"");
                let _ = write!(JsonStr(out), "{p}");
                out.extend_from_slice(b"\"]");
            }
            Err((t, ops)) => {
                out.push(b'"');
                out.extend_from_slice(t.name(ipv6).as_bytes());
                out.extend_from_slice(b"\":[");
                // ANDed terms join the previous string, as in ExaBGP.
                for (i, op) in ops.enumerate() {
                    if i == 0 {
                        out.push(b'"');
                    } else if !op.and() {
                        out.extend_from_slice(b"\",\"");
                    }
                    let _ = write_term(t, op, &mut JsonStr(out));
                }
                out.extend_from_slice(b"\"]");
            }
        }
    }
    if !first {
        out.push(b',');
    }
    if let Some(rd) = rd {
        out.extend_from_slice(b"\"rd\":\"");
        let _ = write_rd(rd, &mut JsonStr(out));
        out.extend_from_slice(b"\",");
    }
    out.extend_from_slice(b"\"string\":\"");
    let _ = write_text(comps, ipv6, rd, &mut JsonStr(out));
    out.extend_from_slice(b"\"}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn view(hex: &str, ipv6: bool, vpn: bool) -> FlowNlri<'static> {
        let bytes: &'static [u8] = Box::leak(hex::decode(hex).unwrap().into_boxed_slice());
        let (v, used) = FlowNlri::parse(bytes, ipv6, vpn).unwrap();
        assert_eq!(used, bytes.len());
        v
    }

    fn json(v: &FlowNlri) -> String {
        let mut out = Vec::new();
        v.write_json(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exabgp_tcp_flags_cases() {
        // decoding/bgp-flow-2, -3, -4
        let v = view("0509010481 09".replace(' ', "").as_str(), false, false);
        assert_eq!(
            json(&v),
            r#"{"tcp-flags":["=rst","=fin+push"],"string":"flow tcp-flags [ =rst =fin+push ]"}"#
        );
        let v = view("0909001000804201C240", false, false);
        assert_eq!(
            json(&v),
            r#"{"tcp-flags":["ack","cwr&!fin&!ece"],"string":"flow tcp-flags [ ack cwr&!fin&!ece ]"}"#
        );
        let v = view("05090090C241", false, false);
        assert_eq!(
            json(&v),
            r#"{"tcp-flags":["ack+cwr&!fin+ece"],"string":"flow tcp-flags [ ack+cwr&!fin+ece ]"}"#
        );
    }

    #[test]
    fn exabgp_ipv6_case() {
        // decoding/bgp-flow-1
        let v = view(
            "280180002A0229B8192500000000000000002E69024000BEEFF00E000000000381060C000400028008",
            true,
            false,
        );
        assert_eq!(
            json(&v),
            r#"{"destination-ipv6":["2a02:29b8:1925::2e69/128/0"],"source-ipv6":["beef:f00e::/64/0"],"next-header":["=tcp"],"fragment":["first-fragment","is-fragment","last-fragment"],"string":"flow destination-ipv6 2a02:29b8:1925::2e69/128/0 source-ipv6 beef:f00e::/64/0 next-header =tcp fragment [ first-fragment is-fragment last-fragment ]"}"#
        );
        assert_eq!(v.to_rule().to_bytes(None).unwrap(), hex::decode("280180002A0229B8192500000000000000002E69024000BEEFF00E000000000381060C000400028008").unwrap());
    }

    #[test]
    fn text_forms() {
        let r = FlowRule::parse_text(
            "destination 10.0.0.1/32; source-port =53; protocol [ tcp udp ]; tcp-flags [ syn ]; packet-length >200&<300; fragment [ is-fragment ]",
        )
        .unwrap();
        assert_eq!(
            r.to_exabgp_string(false),
            "flow destination-ipv4 10.0.0.1/32 protocol [ =tcp =udp ] source-port =53 tcp-flags syn packet-length [ >200&<300 ] fragment is-fragment"
        );
        let s = "flow destination-ipv4 192.168.0.1/32 source-ipv4 10.0.0.1/32 protocol [ =tcp =udp ] port [ =80 =8080 ] destination-port [ >8080&<8088 =3128 ] source-port >1024 icmp-type [ =unreachable =echo-request =echo-reply ] icmp-code [ =1 =0 ] tcp-flags [ urg rst ] packet-length [ >200&<300 >400&<500 ] dscp [ =10 =20 ] fragment [ first-fragment last-fragment ]";
        assert_eq!(FlowRule::parse_text(s).unwrap().to_exabgp_string(false), s);
        let s6 = "flow destination-ipv6 2a02:b80:15:0:7aca:39ff:feae:a87a/128/0 source-ipv6 ::1/128/120 next-header =udp traffic-class =101 flow-label =2013";
        assert_eq!(FlowRule::parse_text(s6).unwrap().to_exabgp_string(true), s6);
    }

    #[test]
    fn two_octet_length() {
        let mut r = FlowRule::new();
        let ops: Vec<FlowOp> = (0..100).map(|i| FlowOp::new(NUM_EQ, 1000 + i)).collect();
        r.push(FlowComponent::Match(FlowType::DestinationPort, ops))
            .unwrap();
        let b = r.to_bytes(None).unwrap();
        assert_eq!(b[0] & 0xF0, 0xF0);
        let (v, used) = FlowNlri::parse(&b, false, false).unwrap();
        assert_eq!(used, b.len());
        assert_eq!(v.to_rule(), r);
    }

    #[test]
    fn malformed_is_refused_with_offset() {
        assert!(matches!(
            FlowNlri::parse(&[], false, false),
            Err(FlowError::Truncated { offset: 0 })
        ));
        assert!(matches!(
            FlowNlri::parse(&[5, 1], false, false),
            Err(FlowError::LengthOverrun { .. })
        ));
        // out of order: port (4) then protocol (3)
        assert!(matches!(
            FlowNlri::parse(&[6, 4, 0x81, 80, 3, 0x81, 6], false, false),
            Err(FlowError::OutOfOrder { code: 3, offset: 4 })
        ));
        // unknown component 14
        assert!(matches!(
            FlowNlri::parse(&[3, 14, 0x81, 1], false, false),
            Err(FlowError::UnknownComponent {
                code: 14,
                offset: 1
            })
        ));
        // no end-of-list bit
        assert!(matches!(
            FlowNlri::parse(&[3, 3, 0x01, 6], false, false),
            Err(FlowError::Truncated { .. })
        ));
        // prefix too long
        assert!(matches!(
            FlowNlri::parse(&[3, 1, 33, 0], false, false),
            Err(FlowError::BadPrefixLength { .. })
        ));
    }

    fn arb_prefix(v6: bool) -> BoxedStrategy<FlowPrefix> {
        if v6 {
            (any::<u128>(), 0u8..=128)
                .prop_flat_map(|(a, len)| (Just(a), Just(len), 0..=len))
                .prop_map(|(a, len, offset)| FlowPrefix::V6 {
                    addr: mask6(Ipv6Addr::from(a), len),
                    len,
                    offset,
                })
                .boxed()
        } else {
            (any::<u32>(), 0u8..=32)
                .prop_map(|(a, len)| FlowPrefix::V4 {
                    addr: mask4(Ipv4Addr::from(a), len),
                    len,
                })
                .boxed()
        }
    }

    fn arb_ops(t: FlowType) -> BoxedStrategy<Vec<FlowOp>> {
        let (min, max) = match t {
            FlowType::TcpFlags => (1, 0x1FF),
            FlowType::Fragment => (1, 0x0F),
            _ => (0, t.max_value()),
        };
        let flags = if t.is_bitmask() {
            prop_oneof![Just(0u8), Just(1), Just(2), Just(3)].boxed()
        } else {
            prop_oneof![Just(1u8), Just(2), Just(3), Just(4), Just(5), Just(6)].boxed()
        };
        prop::collection::vec((flags, any::<bool>(), min..=max), 1..5)
            .prop_map(|v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (f, and, val))| {
                        FlowOp::new(if and && i > 0 { f | OP_AND } else { f }, val)
                    })
                    .collect()
            })
            .boxed()
    }

    fn arb_rule() -> impl Strategy<Value = (bool, FlowRule)> {
        any::<bool>().prop_flat_map(|v6| {
            let types: Vec<FlowType> = (3..=if v6 { 13 } else { 12 })
                .filter_map(|c| FlowType::from_code(c, v6))
                .collect();
            let comps = prop::collection::vec(
                prop::sample::select(types).prop_flat_map(|t| arb_ops(t).prop_map(move |o| (t, o))),
                0..4,
            );
            (
                Just(v6),
                prop::option::of(arb_prefix(v6)),
                prop::option::of(arb_prefix(v6)),
                comps,
            )
                .prop_filter_map("empty", |(v6, d, s, comps)| {
                    let mut r = FlowRule::new();
                    if let Some(d) = d {
                        r.push(FlowComponent::Destination(d)).ok()?;
                    }
                    if let Some(s) = s {
                        r.push(FlowComponent::Source(s)).ok()?;
                    }
                    for (t, o) in comps {
                        r.push(FlowComponent::Match(t, o)).ok()?;
                    }
                    if r.components.is_empty() {
                        None
                    } else {
                        Some((v6, r))
                    }
                })
        })
    }

    proptest! {
        #[test]
        fn owned_bytes_owned((v6, rule) in arb_rule(), vpn in any::<bool>(), rd in any::<[u8; 8]>()) {
            let rd = vpn.then_some(&rd);
            let bytes = rule.to_bytes(rd).unwrap();
            let (v, used) = FlowNlri::parse(&bytes, v6, vpn).unwrap();
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(v.rd, rd);
            prop_assert_eq!(v.to_rule(), rule.clone());
            let mut a = Vec::new();
            v.write_json(&mut a);
            let mut b = Vec::new();
            rule.write_json(v6, rd, &mut b);
            prop_assert_eq!(&a, &b);
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&a).is_ok());
        }

        #[test]
        fn text_owned_text((v6, rule) in arb_rule()) {
            let text = rule.to_exabgp_string(v6);
            let back = FlowRule::parse_text(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(back.to_exabgp_string(v6), text);
        }

        #[test]
        fn parse_never_panics(data in prop::collection::vec(any::<u8>(), 0..64), v6 in any::<bool>(), vpn in any::<bool>()) {
            if let Ok((v, _)) = FlowNlri::parse(&data, v6, vpn) {
                let r = v.to_rule();
                let mut out = Vec::new();
                v.write_json(&mut out);
                prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
                let _ = r.to_bytes(v.rd);
            }
        }
    }
}
