//! The route grammar, shared by the configuration (`static`, `announce`, `flow`, `l2vpn`)
//! and the API command parser (`announce route …`, `announce attributes … nlri …`,
//! `announce flow route …`, `announce ipv4 unicast …`).
//!
//! Every entry point takes the text after the command word and returns a [`RouteSpec`]
//! (or, for families the wire model does not encode yet, an [`UnsupportedRoute`]).
//! Errors carry the column of the offending word ([`RouteError`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use ferrobgp_wire::flowspec::{
    FlowComponent, FlowError, FlowOp as WireFlowOp, FlowPrefix, FlowRule, FlowType, OP_AND,
};
use ferrobgp_wire::model::{
    Afi, Aggregator, AsPath, AsSegment, Family, Labels, Nlri, Origin, PathAttributes, RawAttribute,
    RouteDistinguisher, Safi, SegmentType,
};
use ferrobgp_wire::vpls::Vpls;
use ipnet::IpNet;

pub use crate::error::RouteError;
use crate::error::{ParseError, Pos};
use crate::extcomm::{self, AnyExtCommunity};
use crate::flow::{self, FlowMatch, FlowSpec};
use crate::lexer::{tokenize, Token, TokenKind};
use crate::tree::{Block, Node};

mod families;

/// The largest number of prefixes `split` may produce from one route: 2^23 (8,388,608), so
/// that a whole table can come from one line (`0.0.0.0/4 split /24` is 2^20 routes) while a
/// typo such as `::/0 split /128` is refused instead of exhausting memory. ExaBGP has no
/// limit; 2^16 was ours until the 1M-route benchmark needed more.
pub const MAX_SPLIT: u32 = 1 << 23;

/// One route (or, with `nlri`, several prefixes sharing one attribute set) as written in the
/// configuration or an API command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub family: Family,
    /// The NLRI: prefixes (`split` already applied), one `Nlri::Flow` for a flow route, or
    /// `Nlri::Raw` built by the wire crate's owned types for VPLS, mcast-vpn, mup and
    /// sr-policy.
    pub nlri: Vec<Nlri>,
    pub attributes: PathAttributes,
    /// `next-hop self`: the speaker fills in its local address.
    pub next_hop_self: bool,
    /// `withdraw` in a static route: configured but not announced (until the watchdog says so).
    pub withdraw: bool,
    pub watchdog: Option<String>,
    pub name: Option<String>,
    /// `split /N` as written (the NLRI are already split).
    pub split: Option<u8>,
    /// The match rule of a flow route (`family` is ipv4/ipv6 flow or flow-vpn).
    pub flow: Option<FlowRoute>,
    /// Where the route was written (line 1 for API text).
    pub pos: Pos,
}

/// A flow route's NLRI in parsed form: RD (flow-vpn) and components.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlowRoute {
    pub rd: Option<RouteDistinguisher>,
    pub spec: FlowSpec,
}

impl FlowRoute {
    /// The wire model's rule (RFC 8955 component order, operators without end/length bits).
    pub fn to_rule(&self) -> Result<FlowRule, FlowError> {
        let ipv6 = self.spec.is_ipv6();
        let mut rule = FlowRule::new();
        for m in &self.spec.components {
            let c = match m {
                FlowMatch::Prefix {
                    kind,
                    prefix,
                    offset,
                } => {
                    let p = match prefix {
                        IpNet::V4(n) => FlowPrefix::V4 {
                            addr: n.addr(),
                            len: n.prefix_len(),
                        },
                        IpNet::V6(n) => FlowPrefix::V6 {
                            addr: n.addr(),
                            len: n.prefix_len(),
                            offset: *offset,
                        },
                    };
                    if *kind == flow::component::DESTINATION {
                        FlowComponent::Destination(p)
                    } else {
                        FlowComponent::Source(p)
                    }
                }
                FlowMatch::Ops { kind, ops, .. } => {
                    let t = FlowType::from_code(*kind, ipv6).ok_or_else(|| {
                        FlowError::Text(format!("component type {kind} is not valid here"))
                    })?;
                    let ops = ops
                        .iter()
                        .map(|o| {
                            let and = if o.and { OP_AND } else { 0 };
                            WireFlowOp::new(and | o.bits, o.value)
                        })
                        .collect();
                    FlowComponent::Match(t, ops)
                }
            };
            rule.push(c)?;
        }
        Ok(rule)
    }
}

/// A route of a family whose text is not read yet (evpn, bgp-ls…):
/// parsed as far as its family and kept as text so that the configuration loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedRoute {
    pub family: Family,
    pub text: String,
    pub pos: Pos,
}

/// What a family-first line (`ipv4 unicast …`, `ipv4 mcast-vpn …`) produces.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum ParsedRoute {
    Route(RouteSpec),
    Unsupported(UnsupportedRoute),
}

// ------------------------------------------------------------------------------------------
// Public entry points (text)
// ------------------------------------------------------------------------------------------

/// `10.0.0.0/24 next-hop 1.2.3.4 med 10 …` (the text after `route`).
pub fn parse_route_attributes(text: &str) -> Result<RouteSpec, RouteError> {
    let toks = tokenize(text)?;
    route_from_tokens(&toks, None, end_of(&toks))
}

/// `next-hop 1.2.3.4 origin igp … nlri 10.0.0.0/24 10.0.1.0/24` (the text after
/// `attributes`/`attribute`): one attribute set, many prefixes.
pub fn parse_attributes_nlri(text: &str) -> Result<RouteSpec, RouteError> {
    let toks = tokenize(text)?;
    attributes_nlri_from_tokens(&toks, None)
}

/// `ipv4 unicast 10.0.0.0/24 next-hop …`, `ipv6 flow source-ipv6 …`, `ipv4 mcast-vpn …`.
pub fn parse_family_route(text: &str) -> Result<ParsedRoute, RouteError> {
    let toks = tokenize(text)?;
    let mut c = Cursor::new(&toks, end_of(&toks));
    let afi_t = c.word("an address family (ipv4, ipv6, l2vpn)")?;
    let safi_t = c.word("a subsequent address family (unicast, flow, …)")?;
    let family = Family::from_names(
        &afi_t.text.to_ascii_lowercase(),
        &safi_t.text.to_ascii_lowercase(),
    )
    .ok_or_else(|| {
        ParseError::expected(
            afi_t.pos,
            "a known family",
            format!("'{} {}'", afi_t.text, safi_t.text),
        )
    })?;
    family_route_from_tokens(family, &toks[2..], afi_t.pos)
}

/// `{ match { … } then { … } }`, `route NAME { … }`, or the flat form
/// `source 10.0.0.1/32 destination-port =80 rd 1:1 discard` (the text after `flow route`).
pub fn parse_flow_route(text: &str) -> Result<RouteSpec, RouteError> {
    let toks = tokenize(text)?;
    let end = end_of(&toks);
    if toks.iter().any(|t| t.is(TokenKind::LBrace)) {
        // `{ … }` alone is read as an anonymous `route { … }`.
        let wrapped: Vec<Token>;
        let toks: &[Token] = if toks[0].is(TokenKind::LBrace) {
            wrapped = std::iter::once(Token {
                kind: TokenKind::Word,
                text: "route".into(),
                pos: toks[0].pos,
            })
            .chain(toks.iter().cloned())
            .collect();
            &wrapped
        } else {
            &toks
        };
        let nodes = crate::tree::build(toks)?;
        // `route NAME { … }` / `NAME { … }`.
        if let [Node::Block(b)] = nodes.as_slice() {
            let name = b
                .header
                .iter()
                .rfind(|t| !t.is_word("route"))
                .map(|t| t.text.clone());
            return flow_from_block(&b.body, name, b.header[0].pos);
        }
        return Err(ParseError::expected(
            toks[0].pos,
            "'{ match { … } then { … } }'",
            toks[0].describe(),
        ));
    }
    flow_flat(&toks, None, end)
}

/// `rd 1.2.3.4:1 endpoint 5 base 10702 offset 1 size 8 next-hop … ` (text after `vpls`).
pub fn parse_vpls(text: &str) -> Result<RouteSpec, RouteError> {
    let toks = tokenize(text)?;
    vpls_from_tokens(&toks, None, end_of(&toks))
}

fn end_of(toks: &[Token]) -> Pos {
    toks.last()
        .map(|t| Pos::new(t.pos.line, t.pos.column + t.text.chars().count() as u32))
        .unwrap_or(Pos::new(1, 1))
}

// ------------------------------------------------------------------------------------------
// Cursor over tokens
// ------------------------------------------------------------------------------------------

pub(crate) struct Cursor<'a> {
    toks: &'a [Token],
    i: usize,
    end: Pos,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(toks: &'a [Token], end: Pos) -> Self {
        Cursor { toks, i: 0, end }
    }
    pub(crate) fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }
    fn here(&self) -> Pos {
        self.peek().map(|t| t.pos).unwrap_or(self.end)
    }
    fn found(&self) -> String {
        self.peek()
            .map(|t| t.describe())
            .unwrap_or_else(|| "end of statement".into())
    }
    pub(crate) fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.i);
        self.i += 1;
        t
    }
    /// A word or quoted string.
    pub(crate) fn word(&mut self, expected: &str) -> Result<&'a Token, ParseError> {
        match self.peek() {
            Some(t) if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) => {
                self.i += 1;
                Ok(t)
            }
            _ => Err(ParseError::expected(self.here(), expected, self.found())),
        }
    }
    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.peek().is_some_and(|t| t.is(kind)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// One value or a `[ … ]` list of values (words). Commas separate as well as blanks.
    fn list(&mut self, expected: &str) -> Result<Vec<&'a Token>, ParseError> {
        if self.eat(TokenKind::LBracket) {
            let mut out = Vec::new();
            loop {
                match self.next() {
                    Some(t) if t.is(TokenKind::RBracket) => return Ok(out),
                    Some(t) if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) => {
                        if t.text != "," {
                            out.push(t)
                        }
                    }
                    Some(t) => return Err(ParseError::expected(t.pos, expected, t.describe())),
                    None => return Err(ParseError::expected(self.end, "']'", "end of statement")),
                }
            }
        }
        Ok(vec![self.word(expected)?])
    }
    /// The tokens of a balanced `[ … ]` or `( … )` group, or of one word.
    fn group(&mut self) -> Result<&'a [Token], ParseError> {
        let start = self.i;
        let mut depth = 0usize;
        loop {
            let Some(t) = self.next() else {
                return Err(ParseError::expected(
                    self.end,
                    "a closing bracket",
                    "end of statement",
                ));
            };
            match t.kind {
                TokenKind::LBracket | TokenKind::LParen | TokenKind::LBrace => depth += 1,
                TokenKind::RBracket | TokenKind::RParen | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            if depth == 0 {
                return Ok(&self.toks[start..self.i]);
            }
        }
    }
}

fn parse_num<T: std::str::FromStr>(t: &Token, what: &str) -> Result<T, ParseError> {
    let s = t.text.as_str();
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
    let r = match hex {
        Some(h) => u64::from_str_radix(h, 16)
            .ok()
            .and_then(|v| v.to_string().parse::<T>().ok()),
        None => s.parse::<T>().ok(),
    };
    r.ok_or_else(|| ParseError::expected(t.pos, what, t.describe()))
}

fn parse_ip(t: &Token, what: &str) -> Result<IpAddr, ParseError> {
    t.text
        .parse()
        .map_err(|_| ParseError::expected(t.pos, what, t.describe()))
}

fn parse_ipv4(t: &Token, what: &str) -> Result<Ipv4Addr, ParseError> {
    t.text
        .parse()
        .map_err(|_| ParseError::expected(t.pos, what, t.describe()))
}

/// `10.0.0.0/24`, `10.0.0.1` (a host route), `2001:db8::/32`.
pub(crate) fn parse_prefix(t: &Token) -> Result<IpNet, ParseError> {
    let s = t.text.as_str();
    let net = if s.contains('/') {
        s.parse::<IpNet>().ok()
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    };
    net.map(|n| n.trunc())
        .ok_or_else(|| ParseError::expected(t.pos, "an IP prefix", t.describe()))
}

// ------------------------------------------------------------------------------------------
// Attributes
// ------------------------------------------------------------------------------------------

/// Everything one route statement sets, before the NLRI are built.
#[derive(Debug, Default)]
struct Builder {
    prefixes: Vec<(IpNet, Pos)>,
    attrs: PathAttributes,
    next_hop_self: bool,
    rd: Option<RouteDistinguisher>,
    labels: Option<Labels>,
    path_id: Option<u32>,
    split: Option<(u8, Pos)>,
    withdraw: bool,
    watchdog: Option<String>,
    name: Option<String>,
}

impl Builder {
    /// Reads one attribute starting at the cursor, if the keyword is one. Returns false
    /// (cursor unchanged) when the word is not an attribute keyword.
    fn attribute(&mut self, c: &mut Cursor<'_>) -> Result<bool, ParseError> {
        let Some(kw) = c.peek() else { return Ok(false) };
        if kw.kind != TokenKind::Word {
            return Ok(false);
        }
        let key = kw.text.to_ascii_lowercase();
        let known = matches!(
            key.as_str(),
            "next-hop"
                | "origin"
                | "as-path"
                | "med"
                | "multi-exit-disc"
                | "local-preference"
                | "atomic-aggregate"
                | "aggregator"
                | "community"
                | "extended-community"
                | "large-community"
                | "originator-id"
                | "cluster-list"
                | "aigp"
                | "label"
                | "rd"
                | "route-distinguisher"
                | "path-information"
                | "split"
                | "watchdog"
                | "withdraw"
                | "name"
                | "attribute"
                | "bgp-prefix-sid"
                | "bgp-prefix-sid-srv6"
        );
        if !known {
            return Ok(false);
        }
        c.next();
        let a = &mut self.attrs;
        match key.as_str() {
            "next-hop" => {
                let t = c.word("an IP address or 'self' after next-hop")?;
                if t.is_word("self") {
                    self.next_hop_self = true;
                } else {
                    a.next_hop = Some(parse_ip(t, "an IP address or 'self' after next-hop")?);
                }
            }
            "origin" => {
                let t = c.word("igp, egp or incomplete after origin")?;
                a.origin = Some(match t.text.to_ascii_lowercase().as_str() {
                    "igp" => Origin::Igp,
                    "egp" => Origin::Egp,
                    "incomplete" => Origin::Incomplete,
                    _ => {
                        return Err(ParseError::expected(
                            t.pos,
                            "igp, egp or incomplete after origin",
                            t.describe(),
                        ))
                    }
                });
            }
            "as-path" => a.as_path = Some(as_path(c)?),
            "med" | "multi-exit-disc" => {
                a.med = Some(parse_num(
                    c.word("a number after med")?,
                    "a 32-bit number after med",
                )?)
            }
            "local-preference" => {
                a.local_pref = Some(parse_num(
                    c.word("a number after local-preference")?,
                    "a 32-bit number after local-preference",
                )?)
            }
            "atomic-aggregate" => a.atomic_aggregate = true,
            "aggregator" => a.aggregator = Some(aggregator(c)?),
            "community" => {
                for t in c.list("communities like 65000:1 or no-export")? {
                    a.communities
                        .push(extcomm::community(&t.text).ok_or_else(|| {
                            ParseError::expected(
                                t.pos,
                                "a community (ASN:N, a number or a well-known name)",
                                t.describe(),
                            )
                        })?);
                }
            }
            "large-community" => {
                for t in c.list("large communities like 1:2:3")? {
                    a.large_communities
                        .push(extcomm::large_community(&t.text).ok_or_else(|| {
                            ParseError::expected(t.pos, "a large community (A:B:C)", t.describe())
                        })?);
                }
            }
            "extended-community" => {
                let words = c.list("extended communities like target:65000:1")?;
                let mut k = 0;
                while k < words.len() {
                    let t = words[k];
                    // Two-word forms ExaBGP prints: `mark 10`, `action sample`, `redirect-to-nexthop-ietf IP`.
                    let two = matches!(
                        t.text.as_str(),
                        "mark" | "action" | "redirect-to-nexthop-ietf" | "copy-to-nexthop-ietf"
                    );
                    let e = if two && k + 1 < words.len() {
                        k += 1;
                        two_word_ext(t, words[k])?
                    } else {
                        extcomm::extended_community(&t.text).ok_or_else(|| {
                            ParseError::expected(t.pos, "an extended community (target:A:B, origin:A:B, redirect:A:B, 0x… )", t.describe())
                        })?
                    };
                    push_ext(a, e);
                    k += 1;
                }
            }
            "originator-id" => {
                a.originator_id = Some(parse_ipv4(
                    c.word("an IPv4 address after originator-id")?,
                    "an IPv4 address after originator-id",
                )?)
            }
            "cluster-list" => {
                for t in c.list("IPv4 addresses after cluster-list")? {
                    a.cluster_list
                        .push(parse_ipv4(t, "an IPv4 address in cluster-list")?);
                }
            }
            "aigp" => {
                a.aigp = Some(parse_num(
                    c.word("a number after aigp")?,
                    "a 64-bit number after aigp",
                )?)
            }
            "label" => {
                let mut v = Vec::new();
                for t in c.list("MPLS labels after label")? {
                    let l: u32 = parse_num(t, "an MPLS label (0 to 1048575)")?;
                    if l > 0xFFFFF {
                        return Err(ParseError::invalid(
                            t.pos,
                            "an MPLS label is at most 1048575",
                        ));
                    }
                    v.push(l);
                }
                self.labels = Some(Labels(v));
            }
            "rd" | "route-distinguisher" => {
                let t = c.word("a route distinguisher (ASN:N or IP:N) after rd")?;
                self.rd = Some(t.text.parse().map_err(|_| {
                    ParseError::expected(
                        t.pos,
                        "a route distinguisher (ASN:N or IP:N)",
                        t.describe(),
                    )
                })?);
            }
            "path-information" => {
                let t = c.word("a path identifier after path-information")?;
                self.path_id = Some(if t.text.contains('.') {
                    u32::from(parse_ipv4(t, "a path identifier (number or IPv4 form)")?)
                } else {
                    parse_num(t, "a path identifier (number or IPv4 form)")?
                });
            }
            "split" => {
                let t = c.word("'/LENGTH' after split")?;
                let n: u8 = t
                    .text
                    .strip_prefix('/')
                    .unwrap_or(&t.text)
                    .parse()
                    .map_err(|_| {
                        ParseError::expected(t.pos, "'/LENGTH' after split", t.describe())
                    })?;
                self.split = Some((n, t.pos));
            }
            "watchdog" => self.watchdog = Some(c.word("a watchdog name")?.text.clone()),
            "withdraw" => self.withdraw = true,
            "name" => self.name = Some(c.word("a route name")?.text.clone()),
            "attribute" => a.unknown.push(generic_attribute(c)?),
            "bgp-prefix-sid" => a.unknown.push(prefix_sid(c)?),
            "bgp-prefix-sid-srv6" => a.unknown.push(families::prefix_sid_srv6(c)?),
            _ => unreachable!("keyword list above"),
        }
        Ok(true)
    }
}

fn push_ext(a: &mut PathAttributes, e: AnyExtCommunity) {
    match e {
        AnyExtCommunity::V4(e) => a.extended_communities.push(e),
        AnyExtCommunity::V6(e) => a.ipv6_extended_communities.push(e),
    }
}

fn two_word_ext(kw: &Token, v: &Token) -> Result<AnyExtCommunity, ParseError> {
    let bad = || ParseError::expected(v.pos, format!("a value after {}", kw.text), v.describe());
    Ok(match kw.text.as_str() {
        "mark" => extcomm::traffic_marking(parse_num(v, "a DSCP value")?).into(),
        "action" => {
            let (s, t) = action(&v.text).ok_or_else(bad)?;
            extcomm::traffic_action(s, t).into()
        }
        "redirect-to-nexthop-ietf" => extcomm::redirect_ietf(parse_ip(v, "an IP address")?, false),
        _ => extcomm::redirect_ietf(parse_ip(v, "an IP address")?, true),
    })
}

fn action(s: &str) -> Option<(bool, bool)> {
    Some(match s {
        "sample" => (true, false),
        "terminal" => (false, true),
        "sample-terminal" => (true, true),
        _ => return None,
    })
}

/// `[ 1 2 3 ]` sequence, `( 1 2 )` set, `{ 1 2 }` confederation sequence (inside a list),
/// or a single ASN.
fn as_path(c: &mut Cursor<'_>) -> Result<AsPath, ParseError> {
    let group = c.group()?;
    let mut segs: Vec<AsSegment> = Vec::new();
    let push = |segs: &mut Vec<AsSegment>, kind: SegmentType, asn: u32| match segs.last_mut() {
        Some(s) if s.kind == kind => s.asns.push(asn),
        _ => segs.push(AsSegment {
            kind,
            asns: vec![asn],
        }),
    };
    let expected = "an AS number in as-path";
    if group.len() == 1 {
        let n = parse_num(&group[0], expected)?;
        return Ok(AsPath::sequence(vec![n]));
    }
    let outer = match group[0].kind {
        TokenKind::LParen => SegmentType::Set,
        _ => SegmentType::Sequence,
    };
    let mut kind = outer;
    let mut set_boundary = false;
    for t in &group[1..group.len() - 1] {
        match t.kind {
            TokenKind::LParen => {
                kind = SegmentType::Set;
                set_boundary = true;
            }
            TokenKind::LBrace => {
                kind = SegmentType::ConfedSequence;
                set_boundary = true;
            }
            TokenKind::LBracket
                if kind == SegmentType::ConfedSequence || kind == SegmentType::Set => {}
            TokenKind::RParen | TokenKind::RBrace => kind = outer,
            TokenKind::Word => {
                for w in t.text.split(',').filter(|w| !w.is_empty()) {
                    let tok = Token {
                        kind: TokenKind::Word,
                        text: w.to_string(),
                        pos: t.pos,
                    };
                    let n: u32 = parse_num(&tok, expected)?;
                    if set_boundary {
                        segs.push(AsSegment {
                            kind,
                            asns: vec![n],
                        });
                        set_boundary = false;
                    } else {
                        push(&mut segs, kind, n);
                    }
                }
            }
            _ => return Err(ParseError::expected(t.pos, expected, t.describe())),
        }
    }
    Ok(AsPath { segments: segs })
}

/// `( 65000:1.2.3.4 )`, `65000:1.2.3.4`, `( 65000 1.2.3.4 )`.
fn aggregator(c: &mut Cursor<'_>) -> Result<Aggregator, ParseError> {
    let g = c.group()?;
    let words: Vec<&Token> = g.iter().filter(|t| t.is(TokenKind::Word)).collect();
    let what = "an aggregator (ASN:IPv4)";
    let (asn_t, ip_t, asn, ip) = match words.as_slice() {
        [one] => {
            let (a, i) = one
                .text
                .split_once(':')
                .ok_or_else(|| ParseError::expected(one.pos, what, one.describe()))?;
            (*one, *one, a.to_string(), i.to_string())
        }
        [a, i] => (*a, *i, a.text.clone(), i.text.clone()),
        _ => return Err(ParseError::expected(g[0].pos, what, g[0].describe())),
    };
    Ok(Aggregator {
        asn: asn
            .parse()
            .map_err(|_| ParseError::expected(asn_t.pos, what, asn_t.describe()))?,
        ip: ip
            .parse()
            .map_err(|_| ParseError::expected(ip_t.pos, what, ip_t.describe()))?,
    })
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if h.len() % 2 == 1 {
        return None;
    }
    (0..h.len() / 2)
        .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// `attribute [ 0xCODE 0xFLAGS 0xHEXVALUE ]`: a generic attribute, sent as given.
fn generic_attribute(c: &mut Cursor<'_>) -> Result<RawAttribute, ParseError> {
    let g = c.group()?;
    let words: Vec<&Token> = g.iter().filter(|t| t.is(TokenKind::Word)).collect();
    let [code, flags, value] = words.as_slice() else {
        return Err(ParseError::expected(
            g[0].pos,
            "'[ 0xCODE 0xFLAGS 0xVALUE ]' after attribute",
            g[0].describe(),
        ));
    };
    let code: u8 = parse_num(code, "an attribute code (0x00-0xFF)")?;
    let flags: u8 = parse_num(flags, "attribute flags (0x00-0xFF)")?;
    let value = hex_bytes(&value.text).ok_or_else(|| {
        ParseError::expected(value.pos, "the attribute value in hex", value.describe())
    })?;
    Ok(RawAttribute {
        flags,
        code,
        value: Bytes::from(value),
    })
}

/// `bgp-prefix-sid [ 777 ]` or `[ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ]`:
/// RFC 8669 Label-Index TLV (type 1) and Originator SRGB TLV (type 3), sent as attribute 40.
fn prefix_sid(c: &mut Cursor<'_>) -> Result<RawAttribute, ParseError> {
    let g = c.group()?;
    let mut nums: Vec<(u32, Pos)> = Vec::new();
    for t in g.iter().filter(|t| t.is(TokenKind::Word)) {
        for w in t.text.split(',').filter(|w| !w.is_empty()) {
            let tok = Token {
                kind: TokenKind::Word,
                text: w.into(),
                pos: t.pos,
            };
            nums.push((parse_num(&tok, "a number in bgp-prefix-sid")?, t.pos));
        }
    }
    let Some(((index, _), srgbs)) = nums.split_first() else {
        return Err(ParseError::expected(
            g[0].pos,
            "a label index in bgp-prefix-sid",
            g[0].describe(),
        ));
    };
    if srgbs.len() % 2 != 0 {
        return Err(ParseError::invalid(
            g[0].pos,
            "SRGB entries are (base,range) pairs",
        ));
    }
    let mut v = vec![1, 0, 7, 0, 0, 0];
    v.extend_from_slice(&index.to_be_bytes());
    if !srgbs.is_empty() {
        let len = 2 + 6 * (srgbs.len() / 2);
        v.push(3);
        v.extend_from_slice(&(len as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        for (n, pos) in srgbs {
            if *n > 0xFF_FFFF {
                return Err(ParseError::invalid(*pos, "an SRGB value fits 24 bits"));
            }
            v.extend_from_slice(&n.to_be_bytes()[1..]);
        }
    }
    Ok(RawAttribute {
        flags: 0xC0,
        code: 40,
        value: Bytes::from(v),
    })
}

// ------------------------------------------------------------------------------------------
// Prefix routes
// ------------------------------------------------------------------------------------------

fn afi_of(p: &IpNet) -> Afi {
    match p {
        IpNet::V4(_) => Afi::IPV4,
        IpNet::V6(_) => Afi::IPV6,
    }
}

/// Expands `p` into prefixes of length `len` (ExaBGP's `split`).
fn split_prefix(p: IpNet, len: u8, pos: Pos) -> Result<ipnet::IpSubnets, ParseError> {
    if len < p.prefix_len() || len > p.max_prefix_len() {
        return Err(ParseError::invalid(
            pos,
            format!(
                "split /{len} must be between /{} and /{}",
                p.prefix_len(),
                p.max_prefix_len()
            ),
        ));
    }
    let bits = u32::from(len - p.prefix_len());
    if bits >= 32 || (1u32 << bits) > MAX_SPLIT {
        return Err(ParseError::invalid(
            pos,
            format!("split /{len} makes more than {MAX_SPLIT} prefixes"),
        ));
    }
    p.subnets(len)
        .map_err(|_| ParseError::invalid(pos, "invalid split length"))
}

impl Builder {
    /// Builds the RouteSpec; `family` forces the SAFI (family-first syntax), else it is
    /// inferred as ExaBGP does: rd → mpls-vpn, label → nlri-mpls, else unicast.
    fn finish(self, family: Option<Family>, pos: Pos) -> Result<RouteSpec, ParseError> {
        let Some((first, _)) = self.prefixes.first() else {
            return Err(ParseError::expected(pos, "a prefix", "none"));
        };
        let afi = afi_of(first);
        let safi = match family {
            Some(f) => f.safi,
            None if self.rd.is_some() => Safi::MPLS_VPN,
            None if self.labels.is_some() => Safi::MPLS_LABEL,
            None => Safi::UNICAST,
        };
        let family = Family::new(afi, safi);
        // Sized once: `split` may make millions of prefixes, generated one at a time (no
        // intermediate list, no doubling of a large vector).
        let mut nlri = Vec::with_capacity(match self.split {
            Some((len, _)) => self
                .prefixes
                .iter()
                .map(|(p, _)| {
                    1usize
                        .checked_shl(u32::from(len.saturating_sub(p.prefix_len())))
                        .unwrap_or(0)
                        .min(MAX_SPLIT as usize)
                })
                .sum(),
            None => self.prefixes.len(),
        });
        for (p, ppos) in &self.prefixes {
            if afi_of(p) != afi {
                return Err(ParseError::invalid(
                    *ppos,
                    format!("{p} is not an {afi} prefix"),
                ));
            }
            let subnets = match self.split {
                Some((len, spos)) => Some(split_prefix(*p, len, spos)?),
                None => None,
            };
            let unsplit = self.split.is_none().then_some(*p);
            for prefix in subnets.into_iter().flatten().chain(unsplit) {
                let labels = self.labels.clone().unwrap_or_default();
                nlri.push(match safi {
                    Safi::MPLS_VPN => Nlri::Vpn {
                        rd: self.rd.ok_or_else(|| {
                            ParseError::invalid(*ppos, "an mpls-vpn route needs an rd")
                        })?,
                        labels,
                        prefix,
                        path_id: self.path_id,
                    },
                    Safi::MPLS_LABEL => Nlri::Labeled {
                        prefix,
                        labels,
                        path_id: self.path_id,
                    },
                    Safi::UNICAST | Safi::MULTICAST => Nlri::Prefix {
                        prefix,
                        path_id: self.path_id,
                    },
                    _ => {
                        return Err(ParseError::invalid(
                            *ppos,
                            format!("a prefix route cannot be in {family}"),
                        ))
                    }
                });
            }
        }
        Ok(RouteSpec {
            family,
            nlri,
            attributes: self.attrs,
            next_hop_self: self.next_hop_self,
            withdraw: self.withdraw,
            watchdog: self.watchdog,
            name: self.name,
            split: self.split.map(|s| s.0),
            flow: None,
            pos,
        })
    }
}

fn attributes_loop(b: &mut Builder, c: &mut Cursor<'_>, context: &str) -> Result<(), ParseError> {
    while let Some(t) = c.peek() {
        if !b.attribute(c)? {
            return Err(ParseError::unknown(
                t.pos,
                t.text.clone(),
                context.to_string(),
            ));
        }
    }
    Ok(())
}

/// `PREFIX attr…` (static `route`, API `announce route`); `family` forces the SAFI.
pub(crate) fn route_from_tokens(
    toks: &[Token],
    family: Option<Family>,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut c = Cursor::new(toks, end);
    let p = c.word("a prefix")?;
    let mut b = Builder::default();
    b.prefixes.push((parse_prefix(p)?, p.pos));
    attributes_loop(&mut b, &mut c, "a route")?;
    b.finish(family, p.pos)
}

/// A `route PREFIX { attr; … }` block.
pub(crate) fn route_from_block(
    header_prefix: &Token,
    body: &[Node],
) -> Result<RouteSpec, ParseError> {
    let mut b = Builder::default();
    b.prefixes
        .push((parse_prefix(header_prefix)?, header_prefix.pos));
    for node in body {
        match node {
            Node::Statement(s) => {
                let mut c = Cursor::new(&s.tokens, s.end);
                attributes_loop(&mut b, &mut c, "a route")?;
            }
            Node::Block(bl) => {
                return Err(ParseError::unknown(
                    bl.header[0].pos,
                    bl.header[0].text.clone(),
                    "a route",
                ))
            }
        }
    }
    b.finish(None, header_prefix.pos)
}

pub(crate) fn attributes_nlri_from_tokens(
    toks: &[Token],
    family: Option<Family>,
) -> Result<RouteSpec, ParseError> {
    let end = end_of(toks);
    let mut c = Cursor::new(toks, end);
    let mut b = Builder::default();
    let start = toks.first().map(|t| t.pos).unwrap_or(Pos::new(1, 1));
    while let Some(t) = c.peek() {
        if t.is_word("nlri") {
            c.next();
            while let Some(p) = c.peek() {
                if b.attribute(&mut c)? {
                    continue;
                }
                c.next();
                b.prefixes.push((parse_prefix(p)?, p.pos));
            }
            break;
        }
        if !b.attribute(&mut c)? {
            return Err(ParseError::unknown(
                t.pos,
                t.text.clone(),
                "attributes (expected 'nlri' before prefixes)",
            ));
        }
    }
    if b.prefixes.is_empty() {
        return Err(ParseError::expected(
            end,
            "'nlri' followed by prefixes",
            "end of command",
        ));
    }
    b.finish(family, start)
}

/// After `ipv4 unicast` etc.
pub(crate) fn family_route_from_tokens(
    family: Family,
    toks: &[Token],
    pos: Pos,
) -> Result<ParsedRoute, ParseError> {
    let end = end_of(toks);
    if family.is_prefix_family() {
        let r = route_from_tokens(toks, Some(family), end)?;
        if r.family.afi != family.afi {
            return Err(ParseError::invalid(
                r.pos,
                format!("the prefix is not {}", family.afi),
            ));
        }
        return Ok(ParsedRoute::Route(r));
    }
    if family.safi == Safi::FLOW || family.safi == Safi::FLOW_VPN {
        let mut r = flow_flat(toks, None, end)?;
        r.pos = pos;
        if r.family.afi != family.afi {
            return Err(ParseError::invalid(
                pos,
                format!("the flow route is not {}", family.afi),
            ));
        }
        return Ok(ParsedRoute::Route(r));
    }
    if family.safi == Safi::MCAST_VPN {
        return Ok(ParsedRoute::Route(families::mvpn(family, toks, pos, end)?));
    }
    if family.safi == Safi::MUP {
        return Ok(ParsedRoute::Route(families::mup(family, toks, pos, end)?));
    }
    if family == Family::IPV4_RTC {
        return Ok(ParsedRoute::Route(families::rtc(family, toks, pos, end)?));
    }
    if family.safi == Safi::SR_POLICY {
        return Ok(ParsedRoute::Route(families::sr_policy(
            family, toks, pos, end,
        )?));
    }
    if family == Family::L2VPN_VPLS {
        let toks = match toks.first() {
            Some(t) if t.is_word("vpls") => &toks[1..],
            _ => toks,
        };
        return Ok(ParsedRoute::Route(vpls_from_tokens(toks, None, end)?));
    }
    Ok(ParsedRoute::Unsupported(UnsupportedRoute {
        family,
        text: tokens_text(toks),
        pos,
    }))
}

pub(crate) fn tokens_text(toks: &[Token]) -> String {
    let mut s = String::new();
    for t in toks {
        if !s.is_empty() {
            s.push(' ');
        }
        if t.kind == TokenKind::Quoted {
            s.push('"');
            s.push_str(&t.text);
            s.push('"');
        } else {
            s.push_str(&t.text);
        }
    }
    s
}

// ------------------------------------------------------------------------------------------
// Flow routes
// ------------------------------------------------------------------------------------------

#[derive(Default)]
struct FlowBuilder {
    b: Builder,
    spec: FlowSpec,
}

impl FlowBuilder {
    /// A match component at the cursor (keyword then value or list).
    fn component(&mut self, c: &mut Cursor<'_>) -> Result<bool, ParseError> {
        let Some(kw) = c.peek() else { return Ok(false) };
        let Some((kind, bitmask)) = flow::component_of(&kw.text.to_ascii_lowercase()) else {
            return Ok(false);
        };
        c.next();
        let values = c.list("a value")?;
        if kind <= 2 {
            let [v] = values.as_slice() else {
                return Err(ParseError::expected(kw.pos, "one prefix", "a list"));
            };
            let (prefix, offset) = flow::parse_flow_prefix(&v.text)
                .map_err(|m| ParseError::expected(v.pos, "a prefix", m))?;
            self.spec.insert(FlowMatch::Prefix {
                kind,
                prefix,
                offset,
            });
        } else {
            let mut ops = Vec::new();
            for v in values {
                flow::parse_terms(kind, bitmask, &v.text, &mut ops)
                    .map_err(|m| ParseError::invalid(v.pos, m))?;
            }
            self.spec.insert(FlowMatch::Ops { kind, bitmask, ops });
        }
        Ok(true)
    }

    /// A `then` action at the cursor.
    fn action(&mut self, c: &mut Cursor<'_>) -> Result<bool, ParseError> {
        let Some(kw) = c.peek() else { return Ok(false) };
        let a = &mut self.b.attrs;
        match kw.text.to_ascii_lowercase().as_str() {
            "accept" => {
                c.next();
            }
            "discard" => {
                c.next();
                a.extended_communities
                    .push(extcomm::traffic_rate(0.0, false));
            }
            "rate-limit" => {
                c.next();
                let v = c.word("a rate after rate-limit")?;
                let rate: f32 = parse_num::<u64>(v, "a rate in bytes per second")? as f32;
                let packets = c.peek().is_some_and(|t| t.is_word("packets"));
                if packets {
                    c.next();
                }
                a.extended_communities
                    .push(extcomm::traffic_rate(rate, packets));
            }
            "redirect" => {
                c.next();
                let v = c.word("ASN:N or an IP address after redirect")?;
                if let Ok(ip) = v.text.parse::<IpAddr>() {
                    a.next_hop = Some(ip);
                    a.extended_communities
                        .push(extcomm::redirect_to_nexthop(false));
                } else {
                    let (x, y) = v.text.rsplit_once(':').ok_or_else(|| {
                        ParseError::expected(
                            v.pos,
                            "ASN:N or an IP address after redirect",
                            v.describe(),
                        )
                    })?;
                    let e = extcomm::redirect(x, y).ok_or_else(|| {
                        ParseError::expected(v.pos, "ASN:N or IP:N after redirect", v.describe())
                    })?;
                    a.extended_communities.push(e);
                }
            }
            "redirect-to-nexthop" => {
                c.next();
                a.extended_communities
                    .push(extcomm::redirect_to_nexthop(false));
            }
            "redirect-to-nexthop-ietf" | "copy-to-nexthop-ietf" => {
                let copy = kw.text.starts_with("copy");
                c.next();
                let ip = parse_ip(c.word("an IP address")?, "an IP address")?;
                push_ext(a, extcomm::redirect_ietf(ip, copy));
            }
            "copy" => {
                c.next();
                let ip = parse_ip(
                    c.word("an IP address after copy")?,
                    "an IP address after copy",
                )?;
                a.next_hop = Some(ip);
                a.extended_communities
                    .push(extcomm::redirect_to_nexthop(true));
            }
            "mark" => {
                c.next();
                let v = parse_num(c.word("a DSCP value after mark")?, "a DSCP value (0-63)")?;
                a.extended_communities.push(extcomm::traffic_marking(v));
            }
            "action" => {
                c.next();
                let v = c.word("sample, terminal or sample-terminal")?;
                let (s, t) = action(&v.text.to_ascii_lowercase()).ok_or_else(|| {
                    ParseError::expected(v.pos, "sample, terminal or sample-terminal", v.describe())
                })?;
                a.extended_communities.push(extcomm::traffic_action(s, t));
            }
            "interface-set" => {
                c.next();
                for v in c.list("interface-set values")? {
                    let e = extcomm::interface_set(&v.text).ok_or_else(|| {
                        ParseError::expected(
                            v.pos,
                            "transitive|non-transitive:input|output|input-output:ASN:GROUP",
                            v.describe(),
                        )
                    })?;
                    a.extended_communities.push(e);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn finish(self, name: Option<String>, pos: Pos) -> Result<RouteSpec, ParseError> {
        if self.spec.components.is_empty() {
            return Err(ParseError::expected(
                pos,
                "at least one match component (source, destination, port, …)",
                "none",
            ));
        }
        let afi = if self.spec.is_ipv6() {
            Afi::IPV6
        } else {
            Afi::IPV4
        };
        let safi = if self.b.rd.is_some() {
            Safi::FLOW_VPN
        } else {
            Safi::FLOW
        };
        let flow = FlowRoute {
            rd: self.b.rd,
            spec: self.spec,
        };
        let rule = flow
            .to_rule()
            .map_err(|e| ParseError::invalid(pos, e.to_string()))?;
        Ok(RouteSpec {
            family: Family::new(afi, safi),
            nlri: vec![Nlri::Flow { rd: flow.rd, rule }],
            attributes: self.b.attrs,
            next_hop_self: self.b.next_hop_self,
            withdraw: self.b.withdraw,
            watchdog: self.b.watchdog,
            name: name.or(self.b.name),
            split: None,
            flow: Some(flow),
            pos,
        })
    }
}

/// The flat form: components, actions and attributes in any order.
pub(crate) fn flow_flat(
    toks: &[Token],
    name: Option<String>,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut f = FlowBuilder::default();
    let mut c = Cursor::new(toks, end);
    let pos = toks.first().map(|t| t.pos).unwrap_or(end);
    while let Some(t) = c.peek() {
        // `match`/`then`/`scope` words are accepted as separators in the flat form.
        if t.is_word("match") || t.is_word("then") || t.is_word("scope") {
            c.next();
            continue;
        }
        if f.component(&mut c)? || f.action(&mut c)? || f.b.attribute(&mut c)? {
            continue;
        }
        return Err(ParseError::unknown(t.pos, t.text.clone(), "a flow route"));
    }
    f.finish(name, pos)
}

/// The body of `route NAME { rd …; next-hop …; match { … } scope { … } then { … } }`.
pub(crate) fn flow_from_block(
    body: &[Node],
    name: Option<String>,
    pos: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut f = FlowBuilder::default();
    for node in body {
        match node {
            Node::Statement(s) => {
                let mut c = Cursor::new(&s.tokens, s.end);
                attributes_loop(&mut f.b, &mut c, "a flow route")?;
            }
            Node::Block(Block { header, body, .. }) => {
                let section = header[0].text.to_ascii_lowercase();
                if header.len() != 1 || !matches!(section.as_str(), "match" | "then" | "scope") {
                    return Err(ParseError::unknown(
                        header[0].pos,
                        header[0].text.clone(),
                        "a flow route (expected match, scope or then)",
                    ));
                }
                for n in body {
                    let Node::Statement(s) = n else {
                        return Err(ParseError::unknown(
                            n.pos(),
                            n.first().text.clone(),
                            format!("flow {section}"),
                        ));
                    };
                    let mut c = Cursor::new(&s.tokens, s.end);
                    while let Some(t) = c.peek() {
                        let ok = match section.as_str() {
                            "match" => f.component(&mut c)?,
                            _ => f.action(&mut c)? || f.b.attribute(&mut c)?,
                        };
                        if !ok {
                            return Err(ParseError::unknown(
                                t.pos,
                                t.text.clone(),
                                format!("flow {section}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    f.finish(name, pos)
}

// ------------------------------------------------------------------------------------------
// VPLS (RFC 4761 §3.2.2): the wire crate's `Vpls`, carried as `Nlri::Raw`.
// ------------------------------------------------------------------------------------------

pub(crate) fn vpls_from_tokens(
    toks: &[Token],
    name: Option<String>,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut c = Cursor::new(toks, end);
    let mut b = Builder::default();
    let (mut endpoint, mut base, mut offset, mut size) = (None, None, None, None);
    let pos = toks.first().map(|t| t.pos).unwrap_or(end);
    while let Some(t) = c.peek() {
        let slot = match t.text.to_ascii_lowercase().as_str() {
            "endpoint" => &mut endpoint,
            "base" => &mut base,
            "offset" => &mut offset,
            "size" => &mut size,
            _ => {
                if b.attribute(&mut c)? {
                    continue;
                }
                return Err(ParseError::unknown(t.pos, t.text.clone(), "a vpls route"));
            }
        };
        c.next();
        *slot = Some(parse_num::<u32>(c.word("a number")?, "a number")?);
    }
    let need = |v: Option<u32>, what: &str, max: u32| -> Result<u32, ParseError> {
        let v = v.ok_or_else(|| {
            ParseError::expected(end, format!("'{what}' in the vpls route"), "end of route")
        })?;
        if v > max {
            return Err(ParseError::invalid(
                pos,
                format!("vpls {what} is at most {max}"),
            ));
        }
        Ok(v)
    };
    let rd =
        b.rd.ok_or_else(|| ParseError::expected(end, "'rd' in the vpls route", "end of route"))?;
    let endpoint = need(endpoint, "endpoint", 0xffff)?;
    let offset = need(offset, "offset", 0xffff)?;
    let size = need(size, "size", 0xffff)?;
    let base = need(base, "base", 0xFFFFF)?;
    let vpls = Vpls::new(rd, endpoint as u16, base, offset as u16, size as u16)
        .ok_or_else(|| ParseError::invalid(pos, "vpls base is at most 1048575"))?;
    Ok(RouteSpec {
        family: Family::L2VPN_VPLS,
        nlri: vec![vpls.to_nlri()],
        attributes: b.attrs,
        next_hop_self: b.next_hop_self,
        withdraw: b.withdraw,
        watchdog: b.watchdog,
        name: name.or(b.name),
        split: None,
        flow: None,
        pos,
    })
}

// ------------------------------------------------------------------------------------------
// Display: back to ExaBGP's route syntax (prefix families), so that text → spec → text is
// stable and the API can echo routes.
// ------------------------------------------------------------------------------------------

fn write_list<T, F: Fn(&T) -> String>(
    f: &mut fmt::Formatter<'_>,
    key: &str,
    v: &[T],
    g: F,
) -> fmt::Result {
    if v.is_empty() {
        return Ok(());
    }
    write!(f, " {key} [")?;
    for x in v {
        write!(f, " {}", g(x))?;
    }
    f.write_str(" ]")
}

impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.attributes;
        if let Some(fl) = &self.flow {
            for (i, m) in fl.spec.components.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{m}")?;
            }
            if let Some(rd) = fl.rd {
                write!(f, " rd {rd}")?;
            }
        } else {
            let prefixes: Vec<String> = self
                .nlri
                .iter()
                .filter_map(|n| n.prefix())
                .map(|p| p.to_string())
                .collect();
            let raw: Vec<String> = self.nlri.iter().filter_map(families::raw_text).collect();
            match (prefixes.as_slice(), raw.as_slice()) {
                ([], [one]) => f.write_str(one)?,
                ([], [_, ..]) => f.write_str(&raw.join(" ; "))?,
                ([one], _) => f.write_str(one)?,
                (many, _) => {
                    f.write_str("nlri")?;
                    for p in many {
                        write!(f, " {p}")?;
                    }
                }
            }
            match self.nlri.first() {
                Some(Nlri::Vpn { rd, labels, .. }) => {
                    write!(f, " rd {rd}")?;
                    write_list(f, "label", &labels.0, |l| l.to_string())?;
                }
                Some(Nlri::Labeled { labels, .. }) => {
                    write_list(f, "label", &labels.0, |l| l.to_string())?
                }
                _ => {}
            }
            if let Some(id) = self.nlri.first().and_then(|n| n.path_id()) {
                write!(f, " path-information {id}")?;
            }
        }
        if self.next_hop_self {
            f.write_str(" next-hop self")?;
        } else if let Some(nh) = a.next_hop {
            write!(f, " next-hop {nh}")?;
        }
        if let Some(o) = a.origin {
            write!(f, " origin {}", o.name())?;
        }
        if let Some(p) = &a.as_path {
            f.write_str(" as-path [")?;
            for s in &p.segments {
                let (open, close) = match s.kind {
                    SegmentType::Sequence => ("", ""),
                    SegmentType::Set => (" (", " )"),
                    _ => (" {", " }"),
                };
                f.write_str(open)?;
                for n in &s.asns {
                    write!(f, " {n}")?;
                }
                f.write_str(close)?;
            }
            f.write_str(" ]")?;
        }
        if let Some(m) = a.med {
            write!(f, " med {m}")?;
        }
        if let Some(l) = a.local_pref {
            write!(f, " local-preference {l}")?;
        }
        if a.atomic_aggregate {
            f.write_str(" atomic-aggregate")?;
        }
        if let Some(ag) = a.aggregator {
            write!(f, " aggregator ( {}:{} )", ag.asn, ag.ip)?;
        }
        write_list(
            f,
            "community",
            &a.communities,
            |c| match extcomm::well_known_name(*c) {
                Some(n) => n.to_string(),
                None => format!("{}:{}", c >> 16, c & 0xffff),
            },
        )?;
        write_list(f, "extended-community", &a.extended_communities, |e| {
            format!("0x{:016x}", u64::from_be_bytes(e.0))
        })?;
        write_list(f, "extended-community", &a.ipv6_extended_communities, |e| {
            let mut s = String::from("0x");
            for b in e.0 {
                s.push_str(&format!("{b:02x}"));
            }
            s
        })?;
        write_list(f, "large-community", &a.large_communities, |l| {
            format!("{}:{}:{}", l[0], l[1], l[2])
        })?;
        if let Some(o) = a.originator_id {
            write!(f, " originator-id {o}")?;
        }
        write_list(f, "cluster-list", &a.cluster_list, |c| c.to_string())?;
        if let Some(x) = a.aigp {
            write!(f, " aigp {x}")?;
        }
        for u in &a.unknown {
            write!(f, " attribute [ 0x{:02x} 0x{:02x} 0x", u.code, u.flags)?;
            for b in u.value.iter() {
                write!(f, "{b:02x}")?;
            }
            f.write_str(" ]")?;
        }
        if let Some(n) = &self.name {
            write!(f, " name {n}")?;
        }
        if let Some(w) = &self.watchdog {
            write!(f, " watchdog {w}")?;
        }
        if self.withdraw {
            f.write_str(" withdraw")?;
        }
        Ok(())
    }
}
