//! Route text of the families whose NLRI the wire crate builds as `Nlri::Raw` from owned
//! types: MVPN (`mcast-vpn`), MUP (`mup`), SR Policy (`sr-policy`), and the attributes
//! only they use (`bgp-prefix-sid-srv6`, the SR Policy tunnel encapsulation).
//! ExaBGP's syntax; the bytes are the wire crate's encoders'.

use std::net::IpAddr;

use bytes::Bytes;
use ferrobgp_wire::model::{Afi, Family, Nlri, RawAttribute};
use ferrobgp_wire::mup::Mup;
use ferrobgp_wire::mvpn::Mvpn;
use ferrobgp_wire::prefix_sid::PrefixSid;
use ferrobgp_wire::srpolicy::{
    BindingSid, EndpointBehavior, Segment, SegmentList, SrPolicy, TunnelEncapsulation, TunnelSubTlv,
};

use super::{parse_ip, parse_num, parse_prefix, Builder, Cursor, RouteSpec};
use crate::error::{ParseError, Pos};
use crate::lexer::{Token, TokenKind};

/// The RouteSpec of one NLRI with the attributes the builder read.
fn spec(b: Builder, family: Family, nlri: Nlri, pos: Pos) -> RouteSpec {
    RouteSpec {
        family,
        nlri: vec![nlri],
        attributes: b.attrs,
        next_hop_self: b.next_hop_self,
        withdraw: b.withdraw,
        watchdog: b.watchdog,
        name: b.name,
        split: None,
        flow: None,
        pos,
    }
}

fn ip_of(t: &Token, afi: Afi, what: &str) -> Result<IpAddr, ParseError> {
    let ip = parse_ip(t, what)?;
    if (afi == Afi::IPV6) != ip.is_ipv6() {
        return Err(ParseError::invalid(
            t.pos,
            format!("{} is not an {afi} address", t.text),
        ));
    }
    Ok(ip)
}

fn need<T>(v: Option<T>, what: &str, family: &str, end: Pos) -> Result<T, ParseError> {
    v.ok_or_else(|| {
        ParseError::expected(
            end,
            format!("'{what}' in the {family} route"),
            "end of route",
        )
    })
}

/// `shared-join rp RP group G rd RD source-as AS …`, `source-join source S group G rd RD
/// source-as AS …`, `source-ad source S group G rd RD …` (after `mcast-vpn`).
pub(crate) fn mvpn(
    family: Family,
    toks: &[Token],
    pos: Pos,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut c = Cursor::new(toks, end);
    let expected = "shared-join, source-join or source-ad";
    let kind_t = c.word(expected)?;
    let kind = kind_t.text.to_ascii_lowercase();
    if !matches!(kind.as_str(), "shared-join" | "source-join" | "source-ad") {
        return Err(ParseError::expected(
            kind_t.pos,
            expected,
            kind_t.describe(),
        ));
    }
    let mut b = Builder::default();
    let (mut source, mut group, mut rp, mut source_as) = (None, None, None, None);
    while let Some(t) = c.peek() {
        let key = t.text.to_ascii_lowercase();
        match key.as_str() {
            "source" | "group" | "rp" if t.is(TokenKind::Word) => {
                c.next();
                let what = format!("an {} address after {key}", family.afi);
                let ip = ip_of(c.word(&what)?, family.afi, &what)?;
                match key.as_str() {
                    "source" => source = Some(ip),
                    "group" => group = Some(ip),
                    _ => rp = Some(ip),
                }
            }
            "source-as" => {
                c.next();
                source_as = Some(parse_num::<u32>(
                    c.word("an AS number after source-as")?,
                    "an AS number after source-as",
                )?);
            }
            _ => {
                if b.attribute(&mut c)? {
                    continue;
                }
                return Err(ParseError::unknown(
                    t.pos,
                    t.text.clone(),
                    "a mcast-vpn route",
                ));
            }
        }
    }
    let f = "mcast-vpn";
    let rd = need(b.rd, "rd", f, end)?;
    let group = need(group, "group", f, end)?;
    let m = match kind.as_str() {
        "source-ad" => Mvpn::source_ad(rd, need(source, "source", f, end)?, group),
        "shared-join" => Mvpn::shared_join(
            rd,
            need(source_as, "source-as", f, end)?,
            need(rp, "rp", f, end)?,
            group,
        ),
        _ => Mvpn::source_join(
            rd,
            need(source_as, "source-as", f, end)?,
            need(source, "source", f, end)?,
            group,
        ),
    };
    let nlri = m
        .to_nlri(family.afi)
        .ok_or_else(|| ParseError::invalid(pos, "the mcast-vpn route is too long"))?;
    Ok(spec(b, family, nlri, pos))
}

/// `mup-isd PREFIX rd RD …`, `mup-dsd ADDRESS rd RD …`, `mup-t1st PREFIX rd RD teid N qfi N
/// endpoint ADDRESS [source ADDRESS] …`, `mup-t2st ADDRESS rd RD teid N/BITS …` (after `mup`).
pub(crate) fn mup(
    family: Family,
    toks: &[Token],
    pos: Pos,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut c = Cursor::new(toks, end);
    let expected = "mup-isd, mup-dsd, mup-t1st or mup-t2st";
    let kind_t = c.word(expected)?;
    let kind = kind_t.text.to_ascii_lowercase();
    if !matches!(
        kind.as_str(),
        "mup-isd" | "mup-dsd" | "mup-t1st" | "mup-t2st"
    ) {
        return Err(ParseError::expected(
            kind_t.pos,
            expected,
            kind_t.describe(),
        ));
    }
    let target = c.word("a prefix or an address")?;
    let mut b = Builder::default();
    let (mut teid, mut qfi, mut endpoint, mut source) = (None, None, None, None);
    while let Some(t) = c.peek() {
        let key = t.text.to_ascii_lowercase();
        match key.as_str() {
            "teid" => {
                c.next();
                let v = c.word("a TEID after teid")?;
                let (n, bits) = match v.text.split_once('/') {
                    Some((n, bits)) => (n, Some(bits)),
                    None => (v.text.as_str(), None),
                };
                let num = |s: &str| {
                    parse_num::<u32>(
                        &Token {
                            kind: TokenKind::Word,
                            text: s.to_string(),
                            pos: v.pos,
                        },
                        "a TEID (N or N/BITS)",
                    )
                };
                let bits = match bits {
                    Some(bits) => num(bits)?,
                    None => 32,
                };
                if bits > 32 {
                    return Err(ParseError::invalid(v.pos, "a TEID has at most 32 bits"));
                }
                teid = Some((num(n)?, bits as u8, v.pos));
            }
            "qfi" => {
                c.next();
                qfi = Some(parse_num::<u8>(
                    c.word("a QFI after qfi")?,
                    "a QFI (0-255) after qfi",
                )?);
            }
            "endpoint" | "source" if t.is(TokenKind::Word) => {
                c.next();
                let what = format!("an IP address after {key}");
                let ip = parse_ip(c.word(&what)?, &what)?;
                if key == "endpoint" {
                    endpoint = Some(ip)
                } else {
                    source = Some(ip)
                }
            }
            _ => {
                if b.attribute(&mut c)? {
                    continue;
                }
                return Err(ParseError::unknown(t.pos, t.text.clone(), "a mup route"));
            }
        }
    }
    let f = "mup";
    let rd = need(b.rd, "rd", f, end)?;
    let prefix = || -> Result<_, ParseError> {
        let p = parse_prefix(target)?;
        let v6 = matches!(p, ipnet::IpNet::V6(_));
        if v6 != (family.afi == Afi::IPV6) {
            return Err(ParseError::invalid(
                target.pos,
                format!("{} is not an {} prefix", target.text, family.afi),
            ));
        }
        Ok(p)
    };
    let what = format!("an {} address", family.afi);
    let m = match kind.as_str() {
        "mup-isd" => Mup::isd(rd, prefix()?),
        "mup-dsd" => Mup::dsd(rd, ip_of(target, family.afi, &what)?),
        "mup-t1st" => Mup::t1st(
            rd,
            prefix()?,
            need(teid, "teid", f, end)?.0,
            need(qfi, "qfi", f, end)?,
            need(endpoint, "endpoint", f, end)?,
            source,
        ),
        _ => {
            let (n, bits, tpos) = need(teid, "teid", f, end)?;
            Mup::t2st(rd, ip_of(target, family.afi, &what)?, n, bits).ok_or_else(|| {
                ParseError::invalid(tpos, format!("TEID {n} does not fit {bits} bits"))
            })?
        }
    };
    let nlri = m
        .to_nlri(family.afi)
        .ok_or_else(|| ParseError::invalid(pos, "the mup route is too long"))?;
    // ExaBGP reads an IPv4 next hop of an IPv6 MUP route as the IPv4-mapped IPv6 address
    // (conf-srv6-mup.conf's `next-hop 10.0.0.2` is sent as ::ffff:10.0.0.2).
    if family.afi == Afi::IPV6 {
        if let Some(IpAddr::V4(v4)) = b.attrs.next_hop {
            b.attrs.next_hop = Some(IpAddr::V6(v4.to_ipv6_mapped()));
        }
    }
    Ok(spec(b, family, nlri, pos))
}

fn words_of(g: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    for t in g.iter().filter(|t| t.is(TokenKind::Word)) {
        for w in t.text.split(',').filter(|w| !w.is_empty()) {
            out.push(Token {
                kind: TokenKind::Word,
                text: w.to_string(),
                pos: t.pos,
            });
        }
    }
    out
}

/// `bgp-prefix-sid-srv6 ( l3-service SID BEHAVIOR [LB,LN,FUN,ARG,TL,TO] )` (or `l2-service`),
/// the SID structure optional: RFC 9252 SRv6 services in the Prefix-SID attribute.
pub(crate) fn prefix_sid_srv6(c: &mut Cursor<'_>) -> Result<RawAttribute, ParseError> {
    let g = c.group()?;
    let w = words_of(g);
    let form = "'( l3-service|l2-service SID BEHAVIOR [LB,LN,FUN,ARG,TL,TO] )'";
    let (Some(service), Some(sid), Some(behavior)) = (w.first(), w.get(1), w.get(2)) else {
        return Err(ParseError::expected(g[0].pos, form, g[0].describe()));
    };
    let l2 = match service.text.to_ascii_lowercase().as_str() {
        "l3-service" => false,
        "l2-service" => true,
        _ => return Err(ParseError::expected(service.pos, form, service.describe())),
    };
    let sid = match parse_ip(sid, "an SRv6 SID (IPv6 address)")? {
        IpAddr::V6(a) => a,
        IpAddr::V4(_) => {
            return Err(ParseError::expected(
                sid.pos,
                "an SRv6 SID (IPv6 address)",
                sid.describe(),
            ))
        }
    };
    let behavior: u16 = parse_num(behavior, "an endpoint behavior (0-65535)")?;
    let structure = match &w[3..] {
        [] => None,
        s if s.len() == 6 => {
            let mut a = [0u8; 6];
            for (i, t) in s.iter().enumerate() {
                a[i] = parse_num(t, "a SID structure length (0-255)")?;
            }
            Some(a)
        }
        s => {
            return Err(ParseError::expected(
                s[0].pos,
                "six SID structure values [LB,LN,FUN,ARG,TL,TO]",
                s[0].describe(),
            ))
        }
    };
    PrefixSid::srv6_service(l2, sid, behavior, structure)
        .to_attribute()
        .ok_or_else(|| ParseError::invalid(g[0].pos, "the Prefix-SID attribute is too long"))
}

fn endpoint_behavior(c: &mut Cursor<'_>) -> Result<EndpointBehavior, ParseError> {
    let mut v = [0u32; 5];
    for (i, what) in [
        "an endpoint behavior",
        "a locator block length",
        "a locator node length",
        "a function length",
        "an argument length",
    ]
    .iter()
    .enumerate()
    {
        v[i] = parse_num(c.word(what)?, what)?;
    }
    let small = |x: u32| u8::try_from(x).unwrap_or(u8::MAX);
    Ok(EndpointBehavior {
        behavior: u16::try_from(v[0]).unwrap_or(u16::MAX),
        lb_length: small(v[1]),
        ln_length: small(v[2]),
        fun_length: small(v[3]),
        arg_length: small(v[4]),
    })
}

fn ipv6_sid(c: &mut Cursor<'_>, what: &str) -> Result<std::net::Ipv6Addr, ParseError> {
    let t = c.word(what)?;
    match parse_ip(t, what)? {
        IpAddr::V6(a) => Ok(a),
        IpAddr::V4(_) => Err(ParseError::expected(t.pos, what, t.describe())),
    }
}

fn label(c: &mut Cursor<'_>, what: &str) -> Result<u32, ParseError> {
    let t = c.word(what)?;
    let l: u32 = parse_num(t, what)?;
    if l > 0xF_FFFF {
        return Err(ParseError::invalid(
            t.pos,
            "an MPLS label is at most 1048575",
        ));
    }
    Ok(l)
}

/// A segment as read, before the bottom-of-stack bit is known.
enum PendingSegment {
    /// Type A: the label.
    A(u32),
    /// Type C: the value without its SID, and the SID's label.
    C(Vec<u8>, Option<u32>),
    Done(Segment),
}

fn ipv4_word(c: &mut Cursor<'_>, what: &str) -> Result<[u8; 4], ParseError> {
    let t = c.word(what)?;
    match parse_ip(t, what)? {
        IpAddr::V4(a) => Ok(a.octets()),
        IpAddr::V6(_) => Err(ParseError::expected(t.pos, what, t.describe())),
    }
}

fn keyword(c: &mut Cursor<'_>, k: &str) -> Result<(), ParseError> {
    let t = c.word(&format!("'{k}'"))?;
    if t.is_word(k) {
        Ok(())
    } else {
        Err(ParseError::expected(t.pos, format!("'{k}'"), t.describe()))
    }
}

fn number<T: std::str::FromStr>(c: &mut Cursor<'_>, what: &str) -> Result<T, ParseError> {
    parse_num(c.word(what)?, what)
}

/// `sid LABEL` (an MPLS SID, types C to H) when next.
fn mpls_sid(c: &mut Cursor<'_>) -> Result<Option<u32>, ParseError> {
    if c.peek().is_some_and(|t| t.is_word("sid")) {
        c.next();
        return Ok(Some(label(c, "an MPLS label after sid")?));
    }
    Ok(None)
}

/// `[sid SRV6-SID [endpoint-behavior B LB LN FUN ARG]]` (types I, J, K): flags (A when the
/// algorithm is not 0, B with a behavior) and the bytes after the fixed fields.
fn srv6_tail(c: &mut Cursor<'_>, algorithm: u8) -> Result<(u8, Vec<u8>), ParseError> {
    let mut flags = if algorithm != 0 { 0x40 } else { 0 };
    let mut tail = Vec::new();
    if c.peek().is_some_and(|t| t.is_word("sid")) {
        c.next();
        tail.extend_from_slice(&ipv6_sid(c, "an SRv6 SID after sid")?.octets());
    }
    if c.peek().is_some_and(|t| t.is_word("endpoint-behavior")) {
        c.next();
        let b = endpoint_behavior(c)?;
        flags |= 0x10;
        // ExaBGP writes the behavior only after a SID.
        if !tail.is_empty() {
            tail.extend_from_slice(&b.behavior.to_be_bytes());
            tail.extend_from_slice(&[0, 0, b.lb_length, b.ln_length, b.fun_length, b.arg_length]);
        }
    }
    Ok((flags, tail))
}

/// `segment-list [weight N] segment TYPE … …` (after `segment-list`), ExaBGP's segment
/// types A to K (RFC 9830, RFC 9831): `type-a mpls L`, `type-b srv6 SID [endpoint-behavior
/// B LB LN FUN ARG]`, `type-c ipv4 A algorithm N [sid L]`, `type-d ipv6 A algorithm N [sid
/// L]`, `type-e local-if-id N ipv4 A [sid L]`, `type-f local A remote A [sid L]`, `type-g
/// local-if-id N local-ipv6 A remote-if-id N remote-ipv6 A [sid L]`, `type-h local A remote
/// A [sid L]`, `type-i ipv6 A algorithm N [sid S] [endpoint-behavior …]`, `type-j
/// local-if-id N local-ipv6 A remote-if-id N remote-ipv6 A algorithm N [sid S]
/// [endpoint-behavior …]`, `type-k local A remote A algorithm N [sid S] [endpoint-behavior
/// …]`. As ExaBGP, only the last MPLS label of the list (type A, or C with a SID) has the
/// bottom-of-stack bit.
fn segment_list(c: &mut Cursor<'_>) -> Result<SegmentList, ParseError> {
    let mut l = SegmentList::default();
    if c.peek().is_some_and(|t| t.is_word("weight")) {
        c.next();
        l.weight = Some((0, parse_num(c.word("a weight")?, "a 32-bit weight")?));
    }
    let mut pending = Vec::new();
    let entry = |label: u32, bottom: bool| (label << 12) | if bottom { 0x100 } else { 0 };
    let unknown = |code: u8, value: Vec<u8>| {
        PendingSegment::Done(Segment::Unknown {
            code,
            value: Bytes::from(value),
        })
    };
    while c.peek().is_some_and(|t| t.is_word("segment")) {
        c.next();
        let ty = c.word("a segment type (type-a … type-k)")?;
        let v6 = |c: &mut Cursor<'_>, what: &str| ipv6_sid(c, what).map(|a| a.octets());
        pending.push(match ty.text.to_ascii_lowercase().as_str() {
            "type-a" => {
                keyword(c, "mpls")?;
                PendingSegment::A(label(c, "an MPLS label")?)
            }
            "type-b" => {
                keyword(c, "srv6")?;
                let sid = ipv6_sid(c, "an SRv6 SID")?;
                let behavior = if c.peek().is_some_and(|t| t.is_word("endpoint-behavior")) {
                    c.next();
                    Some(endpoint_behavior(c)?)
                } else {
                    None
                };
                PendingSegment::Done(Segment::srv6(sid, behavior))
            }
            "type-c" | "type-d" => {
                let v4 = ty.text.eq_ignore_ascii_case("type-c");
                let node: Vec<u8> = if v4 {
                    keyword(c, "ipv4")?;
                    ipv4_word(c, "an IPv4 node address")?.to_vec()
                } else {
                    keyword(c, "ipv6")?;
                    v6(c, "an IPv6 node address")?.to_vec()
                };
                keyword(c, "algorithm")?;
                let algorithm: u8 = number(c, "an SR algorithm (0-255)")?;
                let mut v = vec![if algorithm != 0 { 0x40 } else { 0 }, algorithm];
                v.extend_from_slice(&node);
                let sid = mpls_sid(c)?;
                if v4 {
                    PendingSegment::C(v, sid)
                } else {
                    if let Some(l) = sid {
                        v.extend_from_slice(&entry(l, false).to_be_bytes());
                    }
                    unknown(4, v)
                }
            }
            "type-e" => {
                keyword(c, "local-if-id")?;
                let id: u32 = number(c, "a local interface id")?;
                keyword(c, "ipv4")?;
                let mut v = vec![0, 0];
                v.extend_from_slice(&id.to_be_bytes());
                v.extend_from_slice(&ipv4_word(c, "an IPv4 node address")?);
                if let Some(l) = mpls_sid(c)? {
                    v.extend_from_slice(&entry(l, false).to_be_bytes());
                }
                unknown(5, v)
            }
            "type-f" | "type-h" => {
                let f = ty.text.eq_ignore_ascii_case("type-f");
                let mut v = vec![0, 0];
                for k in ["local", "remote"] {
                    keyword(c, k)?;
                    if f {
                        v.extend_from_slice(&ipv4_word(c, "an IPv4 address")?);
                    } else {
                        v.extend_from_slice(&v6(c, "an IPv6 address")?);
                    }
                }
                if let Some(l) = mpls_sid(c)? {
                    v.extend_from_slice(&entry(l, false).to_be_bytes());
                }
                unknown(if f { 6 } else { 8 }, v)
            }
            "type-g" | "type-j" => {
                let g = ty.text.eq_ignore_ascii_case("type-g");
                let mut body = Vec::new();
                for (k, ip) in [
                    ("local-if-id", "local-ipv6"),
                    ("remote-if-id", "remote-ipv6"),
                ] {
                    keyword(c, k)?;
                    body.extend_from_slice(&number::<u32>(c, "an interface id")?.to_be_bytes());
                    keyword(c, ip)?;
                    body.extend_from_slice(&v6(c, "an IPv6 address")?);
                }
                if g {
                    let mut v = vec![0, 0];
                    v.extend_from_slice(&body);
                    if let Some(l) = mpls_sid(c)? {
                        v.extend_from_slice(&entry(l, false).to_be_bytes());
                    }
                    unknown(7, v)
                } else {
                    keyword(c, "algorithm")?;
                    let algorithm: u8 = number(c, "an SR algorithm (0-255)")?;
                    let (flags, tail) = srv6_tail(c, algorithm)?;
                    let mut v = vec![flags, algorithm];
                    v.extend_from_slice(&body);
                    v.extend_from_slice(&tail);
                    unknown(15, v)
                }
            }
            "type-i" | "type-k" => {
                let i = ty.text.eq_ignore_ascii_case("type-i");
                let mut body = Vec::new();
                if i {
                    keyword(c, "ipv6")?;
                    body.extend_from_slice(&v6(c, "an IPv6 node address")?);
                } else {
                    for k in ["local", "remote"] {
                        keyword(c, k)?;
                        body.extend_from_slice(&v6(c, "an IPv6 address")?);
                    }
                }
                keyword(c, "algorithm")?;
                let algorithm: u8 = number(c, "an SR algorithm (0-255)")?;
                let (flags, tail) = srv6_tail(c, algorithm)?;
                let mut v = vec![flags, algorithm];
                v.extend_from_slice(&body);
                v.extend_from_slice(&tail);
                unknown(if i { 14 } else { 16 }, v)
            }
            _ => {
                return Err(ParseError::expected(
                    ty.pos,
                    "a segment type (type-a … type-k)",
                    ty.describe(),
                ))
            }
        });
    }
    let last_mpls = pending
        .iter()
        .rposition(|p| matches!(p, PendingSegment::A(_) | PendingSegment::C(_, Some(_))));
    for (i, p) in pending.into_iter().enumerate() {
        let bottom = Some(i) == last_mpls;
        l.segments.push(match p {
            PendingSegment::A(label) => Segment::A {
                flags: 0,
                entry: entry(label, bottom),
            },
            PendingSegment::C(mut v, sid) => {
                if let Some(label) = sid {
                    v.extend_from_slice(&entry(label, bottom).to_be_bytes());
                }
                Segment::Unknown {
                    code: 3,
                    value: Bytes::from(v),
                }
            }
            PendingSegment::Done(s) => s,
        });
    }
    Ok(l)
}

/// `distinguisher D color C endpoint IP next-hop IP [preference N] [priority N]
/// [binding-sid mpls L|null] [srv6-binding-sid SID] [segment-list …]… [policy-name "N"]
/// [candidate-path-name "N"]` (after `sr-policy`). The sub-TLVs go in the Tunnel
/// Encapsulation attribute in the order written, as ExaBGP sends them.
pub(crate) fn sr_policy(
    family: Family,
    toks: &[Token],
    pos: Pos,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    let mut c = Cursor::new(toks, end);
    let mut b = Builder::default();
    let (mut distinguisher, mut color, mut endpoint) = (None, None, None);
    let mut subs: Vec<TunnelSubTlv> = Vec::new();
    while let Some(t) = c.peek() {
        let key = t.text.to_ascii_lowercase();
        if t.kind != TokenKind::Word {
            return Err(ParseError::unknown(
                t.pos,
                t.text.clone(),
                "an sr-policy route",
            ));
        }
        match key.as_str() {
            "distinguisher" | "color" => {
                c.next();
                let what = format!("a 32-bit number after {key}");
                let v: u32 = parse_num(c.word(&what)?, &what)?;
                if key == "color" {
                    color = Some(v)
                } else {
                    distinguisher = Some(v)
                }
            }
            "endpoint" => {
                c.next();
                let what = format!("an {} address after endpoint", family.afi);
                endpoint = Some(ip_of(c.word(&what)?, family.afi, &what)?);
            }
            "preference" => {
                c.next();
                let preference = parse_num(c.word("a preference")?, "a 32-bit preference")?;
                subs.push(TunnelSubTlv::Preference {
                    flags: 0,
                    preference,
                });
            }
            "priority" => {
                c.next();
                let priority = parse_num(c.word("a priority")?, "a priority (0-255)")?;
                subs.push(TunnelSubTlv::Priority { priority });
            }
            "binding-sid" => {
                c.next();
                let k = c.word("mpls or null after binding-sid")?;
                subs.push(match k.text.to_ascii_lowercase().as_str() {
                    "mpls" => TunnelSubTlv::BindingSid {
                        flags: 0x10,
                        sid: BindingSid::Mpls((label(&mut c, "an MPLS label")? << 12) | 0x100),
                    },
                    "null" => TunnelSubTlv::BindingSid {
                        flags: 0,
                        sid: BindingSid::None,
                    },
                    _ => {
                        return Err(ParseError::expected(
                            k.pos,
                            "mpls or null after binding-sid",
                            k.describe(),
                        ))
                    }
                });
            }
            "srv6-binding-sid" => {
                c.next();
                let sid = ipv6_sid(&mut c, "an SRv6 SID after srv6-binding-sid")?;
                subs.push(TunnelSubTlv::Srv6BindingSid {
                    flags: 0,
                    sid,
                    behavior: None,
                });
            }
            "policy-name" | "candidate-path-name" => {
                c.next();
                let n = Bytes::from(c.word("a name")?.text.clone().into_bytes());
                subs.push(if key == "policy-name" {
                    TunnelSubTlv::PolicyName(n)
                } else {
                    TunnelSubTlv::CandidatePathName(n)
                });
            }
            "segment-list" => {
                c.next();
                subs.push(TunnelSubTlv::SegmentList(segment_list(&mut c)?));
            }
            _ => {
                if b.attribute(&mut c)? {
                    continue;
                }
                return Err(ParseError::unknown(
                    t.pos,
                    t.text.clone(),
                    "an sr-policy route",
                ));
            }
        }
    }
    let f = "sr-policy";
    let nlri = SrPolicy::new(
        need(distinguisher, "distinguisher", f, end)?,
        need(color, "color", f, end)?,
        need(endpoint, "endpoint", f, end)?,
    )
    .to_nlri();
    if !subs.is_empty() {
        let attr = TunnelEncapsulation::sr_policy(subs)
            .to_attribute()
            .ok_or_else(|| ParseError::invalid(pos, "the tunnel encapsulation is too long"))?;
        b.attrs.unknown.push(attr);
    }
    Ok(spec(b, family, nlri, pos))
}

/// `origin-as ASN route-target RT …` or `default …` (after `rtc`): RFC 4684 route target
/// membership, ExaBGP's syntax (`RT` as `ASN:N`, `IP:N` or `target:…`).
pub(crate) fn rtc(
    family: Family,
    toks: &[Token],
    pos: Pos,
    end: Pos,
) -> Result<RouteSpec, ParseError> {
    use ferrobgp_wire::extcommunity::ExtendedCommunity;
    use ferrobgp_wire::rtc::Rtc;
    let mut c = Cursor::new(toks, end);
    let mut b = Builder::default();
    let (mut origin, mut target, mut default) = (None, None, false);
    while let Some(t) = c.peek() {
        match t.text.to_ascii_lowercase().as_str() {
            "origin-as" => {
                c.next();
                let v = c.word("an AS number after origin-as")?;
                let asn = match v.text.split_once('.') {
                    // asdot
                    Some((hi, lo)) => hi
                        .parse::<u16>()
                        .ok()
                        .zip(lo.parse::<u16>().ok())
                        .map(|(h, l)| (u32::from(h) << 16) | u32::from(l)),
                    None => v.text.parse::<u32>().ok(),
                };
                origin = Some(asn.ok_or_else(|| {
                    ParseError::expected(v.pos, "an AS number after origin-as", v.describe())
                })?);
            }
            "route-target" => {
                c.next();
                let v = c.word("a route target (ASN:N or IP:N)")?;
                let text = if v.text.to_ascii_lowercase().starts_with("target:") {
                    v.text.clone()
                } else {
                    format!("target:{}", v.text)
                };
                let e = ExtendedCommunity::parse(&text)
                    .ok()
                    .filter(|e| e.0[1] == 0x02 && e.0[0] & 0x3F <= 2)
                    .ok_or_else(|| {
                        ParseError::expected(v.pos, "a route target (ASN:N or IP:N)", v.describe())
                    })?;
                target = Some(e);
            }
            "default" => {
                c.next();
                default = true;
            }
            _ => {
                if b.attribute(&mut c)? {
                    continue;
                }
                return Err(ParseError::unknown(t.pos, t.text.clone(), "an rtc route"));
            }
        }
    }
    let rtc = match (default, origin, target) {
        (true, None, None) => Rtc::DEFAULT,
        (false, Some(o), Some(t)) => Rtc::new(o, t),
        _ => {
            return Err(ParseError::expected(
                pos,
                "either 'default' or both 'origin-as' and 'route-target' in the rtc route",
                "something else",
            ))
        }
    };
    Ok(spec(b, family, rtc.to_nlri(), pos))
}

/// ExaBGP's text of an NLRI this module (or the VPLS grammar) builds, without attributes:
/// `shared-join rp … group … rd … source-as …`, `mup-isd PREFIX rd …`,
/// `distinguisher D color C endpoint E`, `vpls rd … endpoint … base … offset … size …`.
pub(crate) fn raw_text(n: &Nlri) -> Option<String> {
    use ferrobgp_wire::model::Safi;
    use ferrobgp_wire::mup::MupRoute;
    use ferrobgp_wire::vpls::Vpls;
    let Nlri::Raw { family, .. } = n else {
        return None;
    };
    Some(match family.safi {
        Safi::VPLS => Vpls::from_nlri(n)?.to_string(),
        Safi::RTC => {
            let r = ferrobgp_wire::rtc::Rtc::from_nlri(n)?;
            match r.bits {
                0 => "default".to_string(),
                96 => {
                    let t = ferrobgp_wire::extcommunity::ExtendedCommunity(r.target);
                    let rt = t.to_string();
                    format!("origin-as {} route-target {rt}", r.origin)
                }
                _ => return None,
            }
        }
        Safi::MCAST_VPN => match Mvpn::from_nlri(n)? {
            Mvpn::SourceActiveAd { rd, source, group } => {
                format!("source-ad source {source} group {group} rd {rd}")
            }
            Mvpn::SharedTreeJoin {
                rd,
                source_as,
                rp,
                group,
            } => format!("shared-join rp {rp} group {group} rd {rd} source-as {source_as}"),
            Mvpn::SourceTreeJoin {
                rd,
                source_as,
                source,
                group,
            } => format!("source-join source {source} group {group} rd {rd} source-as {source_as}"),
            Mvpn::Other { .. } => return None,
        },
        Safi::MUP => match Mup::from_nlri(n)?.route {
            MupRoute::InterworkSegmentDiscovery { rd, prefix } => {
                format!("mup-isd {prefix} rd {rd}")
            }
            MupRoute::DirectSegmentDiscovery { rd, address } => {
                format!("mup-dsd {address} rd {rd}")
            }
            MupRoute::Type1SessionTransformed {
                rd,
                prefix,
                teid,
                qfi,
                endpoint,
                source,
            } => {
                let mut s =
                    format!("mup-t1st {prefix} rd {rd} teid {teid} qfi {qfi} endpoint {endpoint}");
                if let Some(src) = source {
                    s.push_str(&format!(" source {src}"));
                }
                s
            }
            MupRoute::Type2SessionTransformed {
                rd,
                endpoint,
                teid,
                teid_bits,
            } => format!("mup-t2st {endpoint} rd {rd} teid {teid}/{teid_bits}"),
            MupRoute::Other { .. } => return None,
        },
        Safi::SR_POLICY => {
            let p = SrPolicy::from_nlri(n)?;
            format!(
                "distinguisher {} color {} endpoint {}",
                p.distinguisher, p.color, p.endpoint
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::route::{parse_family_route, ParsedRoute, RouteSpec};
    use ferrobgp_wire::model::{Family, Nlri};

    fn route(text: &str) -> RouteSpec {
        match parse_family_route(text) {
            Ok(ParsedRoute::Route(r)) => r,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn nlri_hex(r: &RouteSpec) -> String {
        let Nlri::Raw { bytes, .. } = &r.nlri[0] else {
            panic!("{r:?}")
        };
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn attr_hex(r: &RouteSpec, code: u8) -> String {
        let a = r
            .attributes
            .unknown
            .iter()
            .find(|a| a.code == code)
            .unwrap();
        a.value.iter().map(|b| format!("{b:02X}")).collect()
    }

    #[test]
    fn mvpn_types() {
        // api-mvpn.ci
        let r = route("ipv4 mcast-vpn shared-join rp 10.99.199.1 group 239.251.255.228 rd 65000:99999 source-as 65000 next-hop 10.10.6.3");
        assert_eq!(
            nlri_hex(&r),
            "06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4"
        );
        let r = route("ipv6 mcast-vpn source-join source fd12::2 group ff0e::1 rd 65000:99999 source-as 65000 next-hop 10.10.6.3");
        assert_eq!(
            r.family,
            Family::new(ferrobgp_wire::Afi::IPV6, ferrobgp_wire::Safi::MCAST_VPN)
        );
        assert!(nlri_hex(&r).starts_with("072E0000FDE80001869F0000FDE880FD12"));
        assert!(
            parse_family_route("ipv4 mcast-vpn shared-join rp 1.1.1.1 group 2.2.2.2 rd 1:1")
                .is_err()
        );
        assert!(parse_family_route("ipv4 mcast-vpn bogus-join rd 1:1").is_err());
        // Display gives ExaBGP's text back, which parses to the same route.
        let text = format!("ipv6 mcast-vpn {r}");
        assert_eq!(route(&text).nlri, r.nlri, "{text}");
    }

    #[test]
    fn mup_types() {
        // conf-srv6-mup.ci
        let r = route("ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8:1:1:: 0x48 [64,24,16,0,0,0] )");
        assert_eq!(nlri_hex(&r), "0100010C0000006400000064180A0001");
        assert_eq!(
            attr_hex(&r, 40),
            "0500220001001E0020010DB800010001000000000000000000004800010006401810000000"
        );
        let r = route("ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/23 next-hop 10.0.0.2");
        assert_eq!(nlri_hex(&r), "010004100000006400000064370A000001003039");
        let r = route("ipv4 mup mup-t1st 192.168.0.2/32 rd 100:100 teid 12345 qfi 9 endpoint 10.0.0.1 source 10.0.1.1 next-hop 10.0.0.2");
        assert_eq!(
            nlri_hex(&r),
            "0100031C000000640000006420C0A800020000303909200A000001200A000101"
        );
        for text in [
            "ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1",
            "ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 2001::1",
            "ipv4 mup mup-t1st 192.168.0.2/32 rd 100:100 teid 12345 qfi 9 endpoint 10.0.0.1 source 10.0.1.1 next-hop 10.0.0.2",
            "ipv6 mup mup-t2st 2001::1 rd 100:100 teid 12345/20 next-hop 2001::2",
        ] {
            let r = route(text);
            let again = format!("{} mup {r}", if text.starts_with("ipv4") { "ipv4" } else { "ipv6" });
            assert_eq!(route(&again), RouteSpec { pos: route(&again).pos, ..r }, "{again}");
        }
        let r = route("ipv6 mup mup-t2st 2001::1 rd 100:100 teid 12345/32 next-hop 10.0.0.2");
        assert_eq!(
            r.attributes.next_hop,
            Some("::ffff:10.0.0.2".parse().unwrap())
        );
        assert!(parse_family_route("ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/0").is_err());
        assert!(parse_family_route("ipv4 mup mup-isd 2001::/64 rd 100:100").is_err());
        assert!(parse_family_route("ipv4 mup mup-t1st 10.0.0.0/8 rd 1:1 teid 1").is_err());
    }

    #[test]
    fn rtc_routes() {
        let r = route("ipv4 rtc origin-as 65001 route-target 65001:100 next-hop 1.2.3.4");
        // RFC 4684: 96 bits, origin AS, the route target with its type bits cleared.
        assert_eq!(nlri_hex(&r), "600000FDE90002FDE900000064");
        assert_eq!(nlri_hex(&route("ipv4 rtc default next-hop 1.2.3.4")), "00");
        let ip = route("ipv4 rtc origin-as 1.10 route-target target:1.2.3.4:7 next-hop 1.2.3.4");
        assert_eq!(nlri_hex(&ip), "600001000A0102010203040007");
        assert!(parse_family_route("ipv4 rtc origin-as 1 next-hop 1.2.3.4").is_err());
        assert!(parse_family_route("ipv4 rtc origin-as 1 route-target origin:1:2").is_err());
        let again = format!("ipv4 rtc {r}");
        assert_eq!(route(&again).nlri, r.nlri, "{again}");
    }

    #[test]
    fn sr_policy_routes() {
        // conf-sr-policy.ci
        let r = route("ipv4 sr-policy distinguisher 0 color 100 endpoint 10.0.0.1 next-hop 192.0.2.1 preference 100 binding-sid mpls 24000 segment-list weight 1 segment type-a mpls 16001");
        assert_eq!(nlri_hex(&r), "6000000000000000640A000001");
        assert_eq!(
            attr_hex(&r, 23),
            "000F00240C060000000000640D06100005DC01008000110009060000000000010106000003E81100"
        );
        let r = route("ipv4 sr-policy distinguisher 1 color 200 endpoint 10.0.0.2 next-hop 192.0.2.1 preference 200 srv6-binding-sid fc00::1 segment-list weight 2 segment type-b srv6 fc00::1 endpoint-behavior 65 32 0 16 0 policy-name \"my-policy\" candidate-path-name \"primary\"");
        assert_eq!(attr_hex(&r, 23), "000F005C0C060000000000C814120000FC0000000000000000000000000000018000250009060000000000020D1A1000FC000000000000000000000000000001004100002000100082000A006D792D706F6C696379810008007072696D617279");
        let again = format!("ipv4 sr-policy {r}");
        assert_eq!(route(&again).nlri, r.nlri, "{again}");
        // Only the last MPLS label of a list has the bottom-of-stack bit (ExaBGP).
        let r = route("ipv4 sr-policy distinguisher 0 color 1 endpoint 10.0.0.1 next-hop 1.1.1.1 segment-list weight 1 segment type-a mpls 16001 segment type-c ipv4 10.0.0.9 algorithm 128 sid 16002 segment type-a mpls 16003 segment type-b srv6 fc00::1");
        let a = attr_hex(&r, 23);
        assert!(
            a.contains("0106000003E81000")
                && a.contains("030A40800A00000903E82000")
                && a.contains("0106000003E83100"),
            "{a}"
        );
        let r = route("ipv6 sr-policy distinguisher 0 color 1 endpoint 2001::1 next-hop 2001::2 segment-list weight 1 segment type-k local fe80::1 remote fe80::2 algorithm 0 sid fc00::5 endpoint-behavior 48 32 16 16 0");
        let a = attr_hex(&r, 23);
        assert!(a.contains("103A1000FE80"), "{a}");
        assert!(
            a.ends_with("FC000000000000000000000000000005003000002010100000")
                || a.contains("0030000020101000"),
            "{a}"
        );
        assert!(
            parse_family_route("ipv4 sr-policy distinguisher 0 color 1 endpoint 2001::1").is_err()
        );
        assert!(parse_family_route("ipv4 sr-policy color 1 endpoint 10.0.0.1").is_err());
        assert!(parse_family_route("ipv4 sr-policy distinguisher 0 color 1 endpoint 10.0.0.1 segment-list segment type-z x").is_err());
    }

    mod props {
        use super::route;
        use ferrobgp_wire::model::RouteDistinguisher;
        use ferrobgp_wire::mup::Mup;
        use ferrobgp_wire::mvpn::Mvpn;
        use ferrobgp_wire::srpolicy::SrPolicy;
        use proptest::prelude::*;
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

        fn addr(v6: bool) -> BoxedStrategy<IpAddr> {
            if v6 {
                any::<u128>()
                    .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
                    .boxed()
            } else {
                any::<u32>()
                    .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
                    .boxed()
            }
        }

        fn rd() -> impl Strategy<Value = RouteDistinguisher> {
            (0u32..=0xffff, any::<u32>()).prop_map(|(a, n)| format!("{a}:{n}").parse().unwrap())
        }

        proptest! {
            /// Text in ExaBGP's syntax reads to the wire type it describes, and the route's
            /// Display reads back to the same NLRI.
            #[test]
            fn mvpn_text_is_the_wire_route(
                (v6, s, g) in any::<bool>().prop_flat_map(|v6| (Just(v6), addr(v6), addr(v6))),
                kind in 0u8..3,
                rd in rd(),
                asn in any::<u32>(),
            ) {
                let afi = if v6 { "ipv6" } else { "ipv4" };
                let (text, want) = match kind {
                    0 => (format!("source-ad source {s} group {g} rd {rd}"), Mvpn::source_ad(rd, s, g)),
                    1 => (format!("shared-join rp {s} group {g} rd {rd} source-as {asn}"), Mvpn::shared_join(rd, asn, s, g)),
                    _ => (format!("source-join source {s} group {g} rd {rd} source-as {asn}"), Mvpn::source_join(rd, asn, s, g)),
                };
                let r = route(&format!("{afi} mcast-vpn {text} next-hop 1.2.3.4"));
                prop_assert_eq!(Mvpn::from_nlri(&r.nlri[0]), Some(want));
                let again = route(&format!("{afi} mcast-vpn {r}"));
                prop_assert_eq!(again.nlri, r.nlri);
            }

            #[test]
            fn mup_text_is_the_wire_route(a in any::<u32>(), len in 0u8..=32, rd in rd(),
                    teid in any::<u32>(), bits in 0u8..=32, qfi in any::<u8>(), e in any::<u32>()) {
                let p = ipnet::Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc();
                let e = Ipv4Addr::from(e);
                let teid = if bits == 32 { teid } else { teid & ((1u32 << bits) - 1) };
                for (text, want) in [
                    (format!("mup-isd {p} rd {rd}"), Mup::isd(rd, p.into())),
                    (format!("mup-dsd {e} rd {rd}"), Mup::dsd(rd, e.into())),
                    (format!("mup-t1st {p} rd {rd} teid {teid} qfi {qfi} endpoint {e}"),
                     Mup::t1st(rd, p.into(), teid, qfi, e.into(), None)),
                    (format!("mup-t2st {e} rd {rd} teid {teid}/{bits}"),
                     Mup::t2st(rd, e.into(), teid, bits).unwrap()),
                ] {
                    let r = route(&format!("ipv4 mup {text} next-hop 1.2.3.4"));
                    prop_assert_eq!(Mup::from_nlri(&r.nlri[0]), Some(want));
                    let again = route(&format!("ipv4 mup {r}"));
                    prop_assert_eq!(again.nlri, r.nlri);
                }
            }

            #[test]
            fn sr_policy_text_is_the_wire_route(d in any::<u32>(), c in any::<u32>(),
                    v6 in any::<bool>(), a in any::<u128>()) {
                let e: IpAddr = if v6 { Ipv6Addr::from(a).into() } else { Ipv4Addr::from(a as u32).into() };
                let afi = if v6 { "ipv6" } else { "ipv4" };
                let r = route(&format!("{afi} sr-policy distinguisher {d} color {c} endpoint {e} next-hop 1.2.3.4"));
                prop_assert_eq!(SrPolicy::from_nlri(&r.nlri[0]), Some(SrPolicy::new(d, c, e)));
            }
        }
    }
}
