//! The ExaBGP v4 text command language, parsed with nom.
//!
//! A helper process writes one command a line on its stdout. [`parse_command`] turns a line
//! into a typed [`Command`] or an [`ApiError`] that says what was expected at which column;
//! it never panics, whatever the line.
//!
//! The route part of `announce`/`withdraw` (the text after `route`, `ipv4 unicast`, `flow`,
//! `vpls`, `attributes`) belongs to the shared route grammar of `ferrobgp-config`, so that a
//! route means the same thing in a configuration file and on the API.

use std::net::{IpAddr, Ipv4Addr};

use ferrobgp_wire::Family;
use nom::bytes::complete::{take_till, take_till1};
use nom::character::complete::{digit1, space0, space1};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use ferrobgp_config::route::{self as grammar, ParsedRoute, RouteSpec};

use crate::error::ApiError;
use crate::selector::{FamilyAllowed, Selector, Targets};

/// What kind of route text follows `announce`/`withdraw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// `announce route 10.0.0.0/24 next-hop …`
    Route,
    /// Family first: `announce ipv4 mcast-vpn …`, `announce ipv6 unicast …`,
    /// `announce ipv4 flow …`.
    Family(Family),
    /// `announce flow route …` (both the `{ match … then … }` form and the flat form).
    Flow,
    /// `announce vpls …`
    Vpls,
    /// `announce attribute(s) … nlri P1 P2 …` (one attribute set, many prefixes); also a
    /// bare `attributes …` line, which ExaBGP answers with an attribute-only UPDATE.
    Attributes,
}

/// The route part of an announce or withdraw, read by the shared route grammar
/// (`ferrobgp_config::route`), so that a route means the same thing on the API as in a
/// configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRequest {
    pub kind: RouteKind,
    /// The parsed route. Families whose text is not read yet (evpn, bgp-ls, …) come back
    /// as [`ParsedRoute::Unsupported`] with their text.
    pub route: ParsedRoute,
    /// 1-based column where the route text starts in the command line.
    pub column: usize,
}

impl RouteRequest {
    /// The route, when its family is one the wire model encodes.
    pub fn spec(&self) -> Option<&RouteSpec> {
        match &self.route {
            ParsedRoute::Route(r) => Some(r),
            ParsedRoute::Unsupported(_) => None,
        }
    }
}

/// `announce` or `withdraw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Announce,
    Withdraw,
}

/// Adj-RIB-In or Adj-RIB-Out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rib {
    In,
    Out,
}

/// What `show neighbor` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NeighborView {
    /// `show neighbor` alone: ExaBGP 5.0.15 answers how to ask (`please specify summary,
    /// extensive or configuration`).
    #[default]
    Unspecified,
    /// `show neighbor extensive`: the long per-neighbor report.
    Extensive,
    /// `show neighbor summary`: the one-line-per-peer table.
    Summary,
    /// `show neighbor configuration`: the neighbor's configuration.
    Configuration,
}

/// The eight operational message kinds (draft-ietf-idr-operational-message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationalKind {
    /// Advisory Demand Message.
    Adm,
    /// Advisory Static Message.
    Asm,
    /// Reachable Prefix Count Query / Reply.
    Rpcq,
    Rpcp,
    /// Adj-RIB-Out Prefix Count Query / Reply.
    Apcq,
    Apcp,
    /// Local RIB Prefix Count Query / Reply.
    Lpcq,
    Lpcp,
}

impl OperationalKind {
    fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "adm" => OperationalKind::Adm,
            "asm" => OperationalKind::Asm,
            "rpcq" => OperationalKind::Rpcq,
            "rpcp" => OperationalKind::Rpcp,
            "apcq" => OperationalKind::Apcq,
            "apcp" => OperationalKind::Apcp,
            "lpcq" => OperationalKind::Lpcq,
            "lpcp" => OperationalKind::Lpcp,
            _ => return None,
        })
    }

    /// ExaBGP's name of the message (`adm`, `rpcq`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OperationalKind::Adm => "adm",
            OperationalKind::Asm => "asm",
            OperationalKind::Rpcq => "rpcq",
            OperationalKind::Rpcp => "rpcp",
            OperationalKind::Apcq => "apcq",
            OperationalKind::Apcp => "apcp",
            OperationalKind::Lpcq => "lpcq",
            OperationalKind::Lpcp => "lpcp",
        }
    }
}

/// `announce operational KIND afi AFI safi SAFI [advisory "TEXT"] [router-id IP]
/// [sequence N] [counter N]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operational {
    pub kind: OperationalKind,
    pub family: Family,
    pub advisory: Option<String>,
    pub router_id: Option<Ipv4Addr>,
    pub sequence: Option<u32>,
    pub counter: Option<u64>,
}

/// One API command.
///
/// Variants with `targets` accept a `neighbor …` selector prefix (ExaBGP's (N) commands);
/// without one, `targets` is [`Targets::Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `announce route|ipv4 …|ipv6 …|flow|vpls|attribute(s) …`
    Announce {
        targets: Targets,
        route: RouteRequest,
    },
    /// `withdraw route|ipv4 …|ipv6 …|flow|vpls|attribute(s) …`
    Withdraw {
        targets: Targets,
        route: RouteRequest,
    },
    /// `announce eor [AFI SAFI]` (End-of-RIB, RFC 4724 section 2); `None` is IPv4 unicast's
    /// empty UPDATE as ExaBGP sends it without a family.
    Eor {
        targets: Targets,
        family: Option<Family>,
    },
    /// `announce route-refresh AFI SAFI` (RFC 2918).
    RouteRefresh {
        targets: Targets,
        family: Family,
    },
    /// `announce operational …`
    Operational {
        targets: Targets,
        message: Operational,
    },
    /// `announce watchdog NAME` / `withdraw watchdog NAME`: announce or withdraw the
    /// configured routes tagged `watchdog NAME`.
    Watchdog {
        targets: Targets,
        action: Action,
        name: String,
    },
    /// `teardown N`: a Cease NOTIFICATION with subcode N (RFC 4486), then reconnect.
    /// Without a number ExaBGP's default, 2 (Administrative Shutdown), is used.
    Teardown {
        targets: Targets,
        subcode: u8,
    },
    /// `flush adj-rib out`: send the Adj-RIB-Out again.
    FlushAdjRibOut {
        targets: Targets,
    },
    /// `clear adj-rib in|out`: empty that RIB.
    ClearAdjRib {
        targets: Targets,
        rib: Rib,
    },
    /// `show neighbor [IP…] [summary|extensive|configuration] [json]`
    ShowNeighbor {
        peers: Vec<IpAddr>,
        view: NeighborView,
        json: bool,
    },
    /// `show adj-rib in|out [extensive] [IP…] [json]`
    ShowAdjRib {
        peers: Vec<IpAddr>,
        rib: Rib,
        extensive: bool,
        json: bool,
    },
    /// `group CMD ; CMD ; …`: commands applied together, so the RIB can pack them into as
    /// few UPDATEs as possible. A leading `attributes …` gives attributes shared by
    /// (merged into) the routes of the following commands.
    Group {
        targets: Targets,
        shared_attributes: Option<RouteRequest>,
        commands: Vec<Command>,
    },
    /// `group start`: buffer the following announce/withdraw commands until `group end`.
    GroupStart,
    /// `group end`
    GroupEnd,
    /// `create neighbor IP [local-address IP] [local-as N] [peer-as N] [router-id IP]
    /// [family-allowed F] [api PROCESS…]` (ExaBGP main): a neighbor added at run time, fed
    /// by the named processes.
    CreateNeighbor(NeighborSpec),
    /// `delete neighbor IP …` (ExaBGP main): the selected neighbors are ceased and removed.
    DeleteNeighbor {
        selector: Selector,
    },
    Shutdown,
    Reload,
    Restart,
    Reset,
    Version,
    Help,
    /// `crash` (debugging aid of ExaBGP; the core may refuse it).
    Crash,
    /// A line starting with `#`, or an empty line.
    Comment,
    EnableAck,
    DisableAck,
    SilenceAck,
    /// `enable-sync`: ack announce/withdraw only once the routes are on the wire.
    EnableSync,
    DisableSync,
}

impl Command {
    /// The neighbors the command is for, when it is a neighbor command.
    pub fn targets(&self) -> Option<&Targets> {
        match self {
            Command::Announce { targets, .. }
            | Command::Withdraw { targets, .. }
            | Command::Eor { targets, .. }
            | Command::RouteRefresh { targets, .. }
            | Command::Operational { targets, .. }
            | Command::Watchdog { targets, .. }
            | Command::Teardown { targets, .. }
            | Command::FlushAdjRibOut { targets }
            | Command::ClearAdjRib { targets, .. }
            | Command::Group { targets, .. } => Some(targets),
            _ => None,
        }
    }

    /// Whether the process asked for a JSON answer (`show … json`).
    pub fn wants_json(&self) -> bool {
        matches!(
            self,
            Command::ShowNeighbor { json: true, .. } | Command::ShowAdjRib { json: true, .. }
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Parser plumbing
// ---------------------------------------------------------------------------------------------

/// A parse failure: where, and what would have been accepted there.
#[derive(Debug, Clone, PartialEq)]
struct PErr<'a> {
    at: &'a str,
    expected: &'static str,
    /// A complete error from the route grammar, reported as it is.
    route: Option<Box<ApiError>>,
}

impl<'a> ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        PErr {
            route: None,
            at: input,
            expected: match kind {
                ErrorKind::Space => "a space",
                ErrorKind::Digit => "a number",
                ErrorKind::Tag => "a keyword",
                _ => "a word",
            },
        }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        // keep whichever got further into the line
        if other.at.len() < self.at.len() {
            other
        } else {
            self
        }
    }
}

type PResult<'a, O> = IResult<&'a str, O, PErr<'a>>;

fn fail<'a, O>(at: &'a str, expected: &'static str) -> PResult<'a, O> {
    Err(nom::Err::Error(PErr {
        at,
        expected,
        route: None,
    }))
}

/// Name what was expected when `p` fails without having consumed a specific error.
fn expect<'a, O>(
    expected: &'static str,
    mut p: impl Parser<&'a str, Output = O, Error = PErr<'a>>,
) -> impl FnMut(&'a str) -> PResult<'a, O> {
    move |i| match p.parse(i) {
        Err(nom::Err::Error(_)) => fail(i, expected),
        other => other,
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// One whitespace-separated word.
fn word(i: &str) -> PResult<'_, &str> {
    expect("a word", take_till1(is_space)).parse(i)
}

/// Separating blanks (one or more).
fn sp(i: &str) -> PResult<'_, &str> {
    expect("a space", space1).parse(i)
}

/// The next word if it is exactly `k` (ASCII case-insensitive), followed by a blank or the
/// end.
fn kw<'a>(k: &'static str) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    move |i: &'a str| {
        let (rest, w) = take_till(is_space).parse(i)?;
        if w.eq_ignore_ascii_case(k) {
            Ok((rest, w))
        } else {
            fail(i, k)
        }
    }
}

fn ip(i: &str) -> PResult<'_, IpAddr> {
    let (rest, w) = expect(
        "an IP address",
        take_till1(|c: char| is_space(c) || c == ','),
    )
    .parse(i)?;
    match w.parse() {
        Ok(a) => Ok((rest, a)),
        Err(_) => fail(i, "an IP address"),
    }
}

/// A word inside a selector, which may end at the `,` that starts the next selector.
fn sel_word(i: &str) -> PResult<'_, &str> {
    expect("a word", take_till1(|c: char| is_space(c) || c == ',')).parse(i)
}

fn ipv4(i: &str) -> PResult<'_, Ipv4Addr> {
    let (rest, w) = sel_word(i)?;
    match w.parse() {
        Ok(a) => Ok((rest, a)),
        Err(_) => fail(i, "an IPv4 address"),
    }
}

fn number<T: std::str::FromStr>(expected: &'static str) -> impl FnMut(&str) -> PResult<'_, T> {
    move |i| {
        let (rest, d) = expect(expected, digit1).parse(i)?;
        if !rest.is_empty() && !rest.starts_with(is_space) && !rest.starts_with(',') {
            return fail(i, expected);
        }
        match d.parse() {
            Ok(v) => Ok((rest, v)),
            Err(_) => fail(i, expected),
        }
    }
}

/// An ASN: a plain number (`65000`) or asdot (`1.10`, RFC 5396).
fn asn(i: &str) -> PResult<'_, u32> {
    let (rest, w) = expect(
        "an AS number",
        take_till1(|c: char| is_space(c) || c == ','),
    )
    .parse(i)?;
    let v = match w.split_once('.') {
        None => w.parse::<u32>().ok(),
        Some((hi, lo)) => match (hi.parse::<u16>(), lo.parse::<u16>()) {
            (Ok(h), Ok(l)) => Some((u32::from(h) << 16) | u32::from(l)),
            _ => None,
        },
    };
    match v {
        Some(v) => Ok((rest, v)),
        None => fail(i, "an AS number"),
    }
}

/// `AFI SAFI`, as in `ipv4 unicast`.
fn family(i: &str) -> PResult<'_, Family> {
    let (r, afi) = word(i)?;
    if ferrobgp_wire::Afi::from_name(&afi.to_ascii_lowercase()).is_none() {
        return fail(i, "an AFI (ipv4, ipv6, l2vpn, bgp-ls)");
    }
    let (r2, _) = sp(r)?;
    let (r3, safi) = word(r2)?;
    match Family::from_names(&afi.to_ascii_lowercase(), &safi.to_ascii_lowercase()) {
        Some(f) => Ok((r3, f)),
        None => fail(r2, "a SAFI (unicast, nlri-mpls, mpls-vpn, flow, ...)"),
    }
}

/// `ipv4-unicast/ipv6-unicast` or `in-open`.
fn family_allowed(i: &str) -> PResult<'_, FamilyAllowed> {
    let (rest, w) = sel_word(i)?;
    if w.eq_ignore_ascii_case("in-open") {
        return Ok((rest, FamilyAllowed::InOpen));
    }
    let mut out = Vec::new();
    for part in w.split('/') {
        let f = part.split_once('-').and_then(|(a, s)| {
            Family::from_names(&a.to_ascii_lowercase(), &s.to_ascii_lowercase())
        });
        match f {
            Some(f) => out.push(f),
            None => return fail(i, "in-open or a list like ipv4-unicast/ipv6-unicast"),
        }
    }
    Ok((rest, FamilyAllowed::Families(out)))
}

/// `w` in ASCII lower case, in `buf` when it fits (keywords do), else `""` (no keyword).
fn lower<'b>(w: &str, buf: &'b mut [u8; 16]) -> &'b str {
    let Some(dst) = buf.get_mut(..w.len()) else {
        return "";
    };
    dst.copy_from_slice(w.as_bytes());
    dst.make_ascii_lowercase();
    std::str::from_utf8(dst).unwrap_or("")
}

/// Leading blanks then the next word, without consuming: for look-ahead.
fn peek_word(i: &str) -> &str {
    let t = i.trim_start_matches(is_space);
    let end = t.find(is_space).unwrap_or(t.len());
    &t[..end]
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// `neighbor (IP|*) [local-ip IP] [local-as N] [peer-as N] [router-id IP] [family-allowed F]`
fn selector(i: &str) -> PResult<'_, Selector> {
    let (i, _) = kw("neighbor")(i)?;
    let (i, _) = sp(i)?;
    let mut sel = Selector::default();
    let mut i = if let Some(r) = i.strip_prefix('*') {
        r
    } else {
        let (r, a) = ip(i)?;
        sel.peer = Some(a);
        r
    };
    loop {
        let Ok((after_sp, _)) = space1::<&str, PErr>(i) else {
            return Ok((i, sel));
        };
        let key = peek_word(after_sp);
        let (r, _) = take_till(is_space).parse(after_sp)?;
        let r = match key {
            "local-ip" => {
                let (r, _) = sp(r)?;
                let (r, v) = ip(r)?;
                sel.local_ip = Some(v);
                r
            }
            "local-as" => {
                let (r, _) = sp(r)?;
                let (r, v) = asn(r)?;
                sel.local_as = Some(v);
                r
            }
            "peer-as" => {
                let (r, _) = sp(r)?;
                let (r, v) = asn(r)?;
                sel.peer_as = Some(v);
                r
            }
            "router-id" => {
                let (r, _) = sp(r)?;
                let (r, v) = ipv4(r)?;
                sel.router_id = Some(v);
                r
            }
            "family-allowed" => {
                let (r, _) = sp(r)?;
                let (r, v) = family_allowed(r)?;
                sel.family_allowed = Some(v);
                r
            }
            _ => return Ok((i, sel)),
        };
        i = r;
    }
}

/// One or more selectors joined by `,`.
fn selectors(i: &str) -> PResult<'_, Targets> {
    let (mut i, first) = selector(i)?;
    let mut all = vec![first];
    loop {
        let (r, _) = space0(i)?;
        let Some(r) = r.strip_prefix(',') else {
            break;
        };
        let (r, _) = space0(r)?;
        let (r, s) = selector(r)?;
        all.push(s);
        i = r;
    }
    Ok((i, Targets::Selected(all)))
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// Parses one command line (a trailing `\n`/`\r\n` is ignored).
/// What `create neighbor` says about the new neighbor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NeighborSpec {
    pub peer: Option<IpAddr>,
    pub local_address: Option<IpAddr>,
    pub local_as: Option<u32>,
    pub peer_as: Option<u32>,
    pub router_id: Option<Ipv4Addr>,
    pub families: Vec<Family>,
    /// Processes (`api NAME …`) that feed this neighbor.
    pub processes: Vec<String>,
}

/// `create neighbor IP key value …` / `delete neighbor IP …`.
fn neighbor_lifecycle(i: &str) -> Option<Result<Command, ApiError>> {
    let mut words = i.split_ascii_whitespace();
    let verb = words.next()?.to_ascii_lowercase();
    if verb != "create" && verb != "delete" {
        return None;
    }
    let bad = |expected: &'static str, found: &str| {
        Some(Err(ApiError::Syntax {
            column: i.find(found).map_or(1, |c| c + 1),
            expected,
            found: found.chars().take(40).collect(),
        }))
    };
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("neighbor") => {}
        Some(w) => return bad("neighbor", w),
        None => return bad("neighbor", ""),
    }
    if verb == "delete" {
        let rest = i.trim_start().split_once(char::is_whitespace)?.1;
        return Some(match selector(rest.trim_start()) {
            Ok((r, selector)) if r.trim().is_empty() => Ok(Command::DeleteNeighbor { selector }),
            Ok((r, _)) => Err(ApiError::Syntax {
                column: i.len() - r.len() + 1,
                expected: "the end of the command",
                found: peek_word(r).chars().take(40).collect(),
            }),
            Err(_) => return bad("a neighbor selector", rest.trim()),
        });
    }
    let mut spec = NeighborSpec::default();
    let Some(peer) = words.next() else {
        return bad("a peer address", "");
    };
    match peer.parse() {
        Ok(a) => spec.peer = Some(a),
        Err(_) => return bad("a peer address", peer),
    }
    while let Some(key) = words.next() {
        let Some(value) = words.next() else {
            return bad("a value", key);
        };
        let ok = match key.to_ascii_lowercase().as_str() {
            "local-address" | "local-ip" => {
                value.parse().map(|v| spec.local_address = Some(v)).is_ok()
            }
            "local-as" => value.parse().map(|v| spec.local_as = Some(v)).is_ok(),
            "peer-as" => value.parse().map(|v| spec.peer_as = Some(v)).is_ok(),
            "router-id" => value.parse().map(|v| spec.router_id = Some(v)).is_ok(),
            "family-allowed" => match family_allowed(value) {
                Ok((_, FamilyAllowed::Families(f))) => {
                    spec.families = f;
                    true
                }
                Ok(_) => true,
                Err(_) => false,
            },
            "api" => {
                spec.processes.push(value.to_string());
                true
            }
            _ => {
                return bad(
                    "local-address, local-as, peer-as, router-id, family-allowed or api",
                    key,
                )
            }
        };
        if !ok {
            return bad("a valid value", value);
        }
    }
    Some(Ok(Command::CreateNeighbor(spec)))
}

pub fn parse_command(line: &str) -> Result<Command, ApiError> {
    let line = line.trim_end_matches(['\n', '\r']);
    if let Some(r) = neighbor_lifecycle(line) {
        return r;
    }
    let mut p = Parse { line };
    p.command(line)
}

struct Parse<'l> {
    line: &'l str,
}

impl<'l> Parse<'l> {
    fn column(&self, at: &str) -> usize {
        let off = self.line.len().saturating_sub(at.len());
        self.line
            .get(..off)
            .map(|s| s.chars().count())
            .unwrap_or(off)
            + 1
    }

    fn error(&self, e: nom::Err<PErr<'_>>) -> ApiError {
        match e {
            nom::Err::Error(PErr { route: Some(r), .. })
            | nom::Err::Failure(PErr { route: Some(r), .. }) => *r,
            nom::Err::Error(e) | nom::Err::Failure(e) => ApiError::Syntax {
                column: self.column(e.at),
                expected: e.expected,
                found: peek_word(e.at).chars().take(40).collect(),
            },
            nom::Err::Incomplete(_) => ApiError::Syntax {
                column: self.line.chars().count() + 1,
                expected: "more input",
                found: String::new(),
            },
        }
    }

    fn command(&mut self, i: &'l str) -> Result<Command, ApiError> {
        let i = i.trim_start_matches(is_space);
        if i.is_empty() || i.starts_with('#') {
            return Ok(Command::Comment);
        }
        let r = self.command_inner(i);
        match r {
            Ok((rest, cmd)) => {
                let rest_t = rest.trim_start_matches(is_space);
                if rest_t.is_empty() {
                    Ok(cmd)
                } else {
                    Err(ApiError::Syntax {
                        column: self.column(rest_t),
                        expected: "the end of the command",
                        found: peek_word(rest_t).chars().take(40).collect(),
                    })
                }
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn command_inner(&mut self, i: &'l str) -> PResult<'l, Command> {
        let (i, targets) = if peek_word(i).eq_ignore_ascii_case("neighbor") {
            let (r, t) = selectors(i)?;
            let (r, _) = sp(r)?;
            (r, t)
        } else {
            (i, Targets::Default)
        };
        let (r, verb) = word(i)?;
        let mut buf = [0u8; 16];
        let verb_l = lower(verb, &mut buf);
        let neighbor_command = matches!(
            verb_l,
            "announce"
                | "withdraw"
                | "teardown"
                | "flush"
                | "clear"
                | "group"
                | "attribute"
                | "attributes"
        );
        if targets != Targets::Default && !neighbor_command {
            return fail(
                i,
                "a neighbor command (announce, withdraw, teardown, flush, clear, group)",
            );
        }
        match verb_l {
            "announce" => self.announce(r, i, Action::Announce, targets),
            "withdraw" => self.announce(r, i, Action::Withdraw, targets),
            "attribute" | "attributes" => {
                let (r, route) = self.route_text(r, RouteKind::Attributes)?;
                Ok((r, Command::Announce { targets, route }))
            }
            "teardown" => {
                if r.trim_start_matches(is_space).is_empty() {
                    return Ok((
                        r,
                        Command::Teardown {
                            targets,
                            subcode: 2,
                        },
                    ));
                }
                let (r, _) = sp(r)?;
                let (r, subcode) = number::<u8>("a Cease subcode (0-255)")(r)?;
                Ok((r, Command::Teardown { targets, subcode }))
            }
            "flush" => {
                let (r, _) = sp(r)?;
                let (r, _) = kw("adj-rib")(r)?;
                let (r, _) = sp(r)?;
                let (r, _) = kw("out")(r)?;
                Ok((r, Command::FlushAdjRibOut { targets }))
            }
            "clear" => {
                let (r, _) = sp(r)?;
                let (r, _) = kw("adj-rib")(r)?;
                let (r, _) = sp(r)?;
                let (r, rib) = rib(r)?;
                Ok((r, Command::ClearAdjRib { targets, rib }))
            }
            "group" => self.group(r, targets),
            "show" => show(r),
            "shutdown" => Ok((r, Command::Shutdown)),
            "reload" => Ok((r, Command::Reload)),
            "restart" => Ok((r, Command::Restart)),
            "reset" => Ok((r, Command::Reset)),
            "version" => Ok((r, Command::Version)),
            "help" => Ok((r, Command::Help)),
            "crash" => Ok((r, Command::Crash)),
            "enable-ack" => Ok((r, Command::EnableAck)),
            "disable-ack" => Ok((r, Command::DisableAck)),
            "silence-ack" => Ok((r, Command::SilenceAck)),
            "enable-sync" => Ok((r, Command::EnableSync)),
            "disable-sync" => Ok((r, Command::DisableSync)),
            _ => fail(i, "a command (announce, withdraw, show, teardown, ...)"),
        }
    }

    /// The rest of the line as a route of `kind`, read by the shared route grammar.
    fn route_text(&self, i: &'l str, kind: RouteKind) -> PResult<'l, RouteRequest> {
        let (t, _) = sp(i)?;
        let text = t.trim_end_matches(is_space);
        if text.is_empty() {
            return fail(t, "a route");
        }
        let column = self.column(t);
        let parsed = match kind {
            RouteKind::Route => match fast_route(text) {
                Some(spec) => Ok(ParsedRoute::Route(spec)),
                None => grammar::parse_route_attributes(text).map(ParsedRoute::Route),
            },
            RouteKind::Family(f) => {
                let prefix = format!("{f} ");
                grammar::parse_family_route(&format!("{prefix}{text}"))
                    .map_err(|e| shift_route_error(e, -(prefix.len() as i64)))
            }
            RouteKind::Flow => {
                // `flow route { … }` or the flat `flow route source …`
                // (the grammar reads the block form with its `route` keyword)
                let body = match peek_word(text) {
                    w if w.eq_ignore_ascii_case("route") && !text.contains('{') => {
                        text[w.len()..].trim_start_matches(is_space)
                    }
                    _ => text,
                };
                let shift = text.len() - body.len();
                grammar::parse_flow_route(body)
                    .map(ParsedRoute::Route)
                    .map_err(|e| shift_route_error(e, shift as i64))
            }
            RouteKind::Vpls => grammar::parse_vpls(text).map(ParsedRoute::Route),
            RouteKind::Attributes => attributes(text),
        };
        match parsed {
            Ok(route) => Ok((
                "",
                RouteRequest {
                    kind,
                    route,
                    column,
                },
            )),
            Err(e) => {
                let pos = e.pos();
                let col = (column as i64 + i64::from(pos.column) - 1).max(1) as usize;
                Err(nom::Err::Error(PErr {
                    at: t,
                    expected: "a route",
                    route: Some(Box::new(ApiError::Route {
                        column: col,
                        message: e.message(),
                    })),
                }))
            }
        }
    }

    fn announce(
        &mut self,
        r: &'l str,
        verb_at: &'l str,
        action: Action,
        targets: Targets,
    ) -> PResult<'l, Command> {
        let _ = verb_at;
        let (r, _) = sp(r)?;
        let what_at = r;
        let (r, what) = word(r)?;
        let mut buf = [0u8; 16];
        let what = lower(what, &mut buf);
        let make = |route: RouteRequest, targets: Targets| match action {
            Action::Announce => Command::Announce { targets, route },
            Action::Withdraw => Command::Withdraw { targets, route },
        };
        match what {
            "route" => {
                let (r, route) = self.route_text(r, RouteKind::Route)?;
                Ok((r, make(route, targets)))
            }
            "flow" => {
                let (r, route) = self.route_text(r, RouteKind::Flow)?;
                Ok((r, make(route, targets)))
            }
            "vpls" => {
                let (r, route) = self.route_text(r, RouteKind::Vpls)?;
                Ok((r, make(route, targets)))
            }
            "attribute" | "attributes" => {
                let (r, route) = self.route_text(r, RouteKind::Attributes)?;
                Ok((r, make(route, targets)))
            }
            "ipv4" | "ipv6" | "l2vpn" | "bgp-ls" => {
                let (r, fam) = family(what_at)?;
                let (r, route) = self.route_text(r, RouteKind::Family(fam))?;
                Ok((r, make(route, targets)))
            }
            "watchdog" => {
                let (r, _) = sp(r)?;
                let (r, name) = expect("a watchdog name", word).parse(r)?;
                Ok((
                    r,
                    Command::Watchdog {
                        targets,
                        action,
                        name: name.to_string(),
                    },
                ))
            }
            "eor" if action == Action::Announce => {
                if r.trim_start_matches(is_space).is_empty() {
                    return Ok((r, Command::Eor { targets, family: None }));
                }
                let (r, _) = sp(r)?;
                let (r, f) = family(r)?;
                Ok((
                    r,
                    Command::Eor {
                        targets,
                        family: Some(f),
                    },
                ))
            }
            "route-refresh" if action == Action::Announce => {
                let (r, _) = sp(r)?;
                let (r, family) = family(r)?;
                Ok((r, Command::RouteRefresh { targets, family }))
            }
            "operational" if action == Action::Announce => {
                let (r, message) = operational(r)?;
                Ok((r, Command::Operational { targets, message }))
            }
            _ => fail(
                what_at,
                match action {
                    Action::Announce => "route, ipv4, ipv6, flow, vpls, attributes, eor, route-refresh, operational or watchdog",
                    Action::Withdraw => "route, ipv4, ipv6, flow, vpls, attributes or watchdog",
                },
            ),
        }
    }

    /// `group start`, `group end`, or `group CMD ; CMD ; …`.
    fn group(&mut self, r: &'l str, targets: Targets) -> PResult<'l, Command> {
        let (r, _) = sp(r)?;
        match peek_word(r).to_ascii_lowercase().as_str() {
            "start" if targets == Targets::Default => {
                let (r, _) = word(r)?;
                return Ok((r, Command::GroupStart));
            }
            "end" if targets == Targets::Default => {
                let (r, _) = word(r)?;
                return Ok((r, Command::GroupEnd));
            }
            _ => {}
        }
        let mut shared_attributes = None;
        let mut pending: Option<(&str, usize, grammar::RouteError)> = None;
        let mut commands: Vec<Command> = Vec::new();
        let mut rest = r;
        loop {
            let (part, next) = match rest.find(';') {
                Some(p) => (&rest[..p], Some(&rest[p + 1..])),
                None => (rest, None),
            };
            let part_t = part.trim_start_matches(is_space);
            let first = peek_word(part_t);
            if commands.is_empty()
                && shared_attributes.is_none()
                && pending.is_none()
                && (first.eq_ignore_ascii_case("attributes")
                    || first.eq_ignore_ascii_case("attribute"))
            {
                // Shared attributes: when the grammar refuses them they may belong to a
                // family it does not model yet; decided once the commands are known.
                let text_at = part_t[first.len()..].trim_start_matches(is_space);
                let text = text_at.trim_end_matches(is_space);
                let column = self.column(text_at);
                match attributes(text) {
                    Ok(route) => {
                        shared_attributes = Some(RouteRequest {
                            kind: RouteKind::Attributes,
                            route,
                            column,
                        })
                    }
                    Err(e) => pending = Some((text, column, e)),
                }
                match next {
                    Some(n) => {
                        rest = n;
                        continue;
                    }
                    None => break,
                }
            }
            if !part_t.trim_end_matches(is_space).is_empty() {
                let (after, cmd) = self.command_inner(part_t)?;
                if !after.trim_start_matches(is_space).is_empty() {
                    return fail(after, "`;` or the end of the command");
                }
                let cmd = match cmd {
                    // the first command may be shared attributes (ExaBGP's
                    // `group attributes … ; withdraw …`)
                    Command::Announce {
                        targets: Targets::Default,
                        route:
                            route @ RouteRequest {
                                kind: RouteKind::Attributes,
                                ..
                            },
                    } if commands.is_empty()
                        && shared_attributes.is_none()
                        && !peek_word(part_t).eq_ignore_ascii_case("announce") =>
                    {
                        shared_attributes = Some(route);
                        continue_next(&mut rest, next);
                        if next.is_none() {
                            break;
                        }
                        continue;
                    }
                    Command::Announce { .. }
                    | Command::Withdraw { .. }
                    | Command::Eor { .. }
                    | Command::Watchdog { .. } => with_targets(cmd, &targets),
                    _ => return fail(part_t, "announce or withdraw inside a group"),
                };
                commands.push(cmd);
            }
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        if let Some((text, column, e)) = pending {
            // Keep them as text of the family of the routes they go with, when every route
            // is of a family the wire model does not encode yet; else the error stands.
            let unsupported: Option<Family> = commands
                .iter()
                .try_fold(None, |acc, c| match c {
                    Command::Announce { route, .. } | Command::Withdraw { route, .. } => {
                        match &route.route {
                            ParsedRoute::Unsupported(u)
                                if acc.is_none_or(|f: Family| f == u.family) =>
                            {
                                Some(Some(u.family))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .flatten();
            match unsupported {
                Some(family) => {
                    shared_attributes = Some(RouteRequest {
                        kind: RouteKind::Attributes,
                        route: ParsedRoute::Unsupported(ferrobgp_config::UnsupportedRoute {
                            family,
                            text: text.to_string(),
                            pos: ferrobgp_config::Pos::new(1, 1),
                        }),
                        column,
                    })
                }
                None => {
                    let col = column + e.pos().column.saturating_sub(1) as usize;
                    return Err(nom::Err::Error(PErr {
                        at: r,
                        expected: "a route",
                        route: Some(Box::new(ApiError::Route {
                            column: col,
                            message: e.message(),
                        })),
                    }));
                }
            }
        }
        if commands.is_empty() && shared_attributes.is_none() {
            return fail(r, "start, end, or commands separated by `;`");
        }
        Ok((
            "",
            Command::Group {
                targets,
                shared_attributes,
                commands,
            },
        ))
    }
}

/// The bulk-load form `PREFIX next-hop IP`, read without tokenising. It yields exactly what
/// the shared grammar yields for it (a property test holds it to that); anything else, and
/// anything it cannot read, goes to the grammar.
fn fast_route(text: &str) -> Option<RouteSpec> {
    let mut w = text.split(' ');
    let (p, k, nh) = (w.next()?, w.next()?, w.next()?);
    if w.next().is_some() || k != "next-hop" {
        return None;
    }
    let prefix: ipnet::IpNet = match p.parse::<ipnet::IpNet>() {
        Ok(n) => n.trunc(),
        Err(_) => match p.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => ipnet::Ipv4Net::new(a, 32).ok()?.into(),
            IpAddr::V6(a) => ipnet::Ipv6Net::new(a, 128).ok()?.into(),
        },
    };
    let nh: IpAddr = nh.parse().ok()?;
    let family = match (prefix, nh) {
        (ipnet::IpNet::V4(_), IpAddr::V4(_)) => Family::IPV4_UNICAST,
        (ipnet::IpNet::V6(_), IpAddr::V6(_)) => Family::IPV6_UNICAST,
        _ => return None,
    };
    Some(RouteSpec {
        family,
        nlri: vec![ferrobgp_wire::Nlri::Prefix {
            prefix,
            path_id: None,
        }],
        attributes: ferrobgp_wire::PathAttributes {
            next_hop: Some(nh),
            ..Default::default()
        },
        next_hop_self: false,
        withdraw: false,
        watchdog: None,
        name: None,
        split: None,
        flow: None,
        pos: ferrobgp_config::Pos::new(1, 1),
    })
}

/// Moves a route-grammar error's column by `by` characters (text that was cut off before
/// handing the rest to the grammar).
fn shift_route_error(e: grammar::RouteError, by: i64) -> grammar::RouteError {
    use ferrobgp_config::ParseError as P;
    let fix = |p: ferrobgp_config::Pos| {
        ferrobgp_config::Pos::new(p.line, (i64::from(p.column) + by).max(1) as u32)
    };
    match e {
        P::Lexical { pos, message } => P::Lexical {
            pos: fix(pos),
            message,
        },
        P::Expected {
            pos,
            expected,
            found,
        } => P::Expected {
            pos: fix(pos),
            expected,
            found,
        },
        P::UnknownKeyword {
            pos,
            keyword,
            context,
        } => P::UnknownKeyword {
            pos: fix(pos),
            keyword,
            context,
        },
        P::Invalid { pos, message } => P::Invalid {
            pos: fix(pos),
            message,
        },
    }
}

/// `attribute(s) … nlri P…`; without `nlri` (a bare `attributes …` line, or a group's
/// shared attributes) the attributes alone, as an IPv4 unicast route with no NLRI.
fn attributes(text: &str) -> Result<ParsedRoute, grammar::RouteError> {
    let has_nlri = text.split(is_space).any(|w| w.eq_ignore_ascii_case("nlri"));
    if has_nlri {
        return grammar::parse_attributes_nlri(text).map(ParsedRoute::Route);
    }
    // The shared grammar wants prefixes; give it a placeholder and drop it again.
    const PLACEHOLDER: &str = "0.0.0.0/0 ";
    let mut spec = grammar::parse_route_attributes(&format!("{PLACEHOLDER}{text}"))
        .map_err(|e| shift_route_error(e, -(PLACEHOLDER.len() as i64)))?;
    spec.nlri.clear();
    Ok(ParsedRoute::Route(spec))
}

fn continue_next<'a>(rest: &mut &'a str, next: Option<&'a str>) {
    if let Some(n) = next {
        *rest = n;
    }
}

/// Commands inside a group inherit the group's selectors unless they name their own.
fn with_targets(mut cmd: Command, group: &Targets) -> Command {
    if let Command::Announce { targets, .. }
    | Command::Withdraw { targets, .. }
    | Command::Eor { targets, .. }
    | Command::Watchdog { targets, .. } = &mut cmd
    {
        if *targets == Targets::Default {
            *targets = group.clone();
        }
    }
    cmd
}

fn rib(i: &str) -> PResult<'_, Rib> {
    let (r, w) = word(i)?;
    match w.to_ascii_lowercase().as_str() {
        "in" => Ok((r, Rib::In)),
        "out" => Ok((r, Rib::Out)),
        _ => fail(i, "in or out"),
    }
}

/// `show neighbor …` and `show adj-rib …`; the options may come in any order.
fn show(i: &str) -> PResult<'_, Command> {
    let (r, _) = sp(i)?;
    let (mut r, what) = word(r)?;
    let what = what.to_ascii_lowercase();
    let (mut rib_dir, is_rib) = match what.as_str() {
        "neighbor" | "neighbors" => (None, false),
        "adj-rib" => (None, true),
        "adj-rib-in" => (Some(Rib::In), true),
        "adj-rib-out" => (Some(Rib::Out), true),
        _ => return fail(i.trim_start_matches(is_space), "neighbor or adj-rib"),
    };
    let mut peers = Vec::new();
    let (mut summary, mut configuration) = (false, false);
    let mut extensive = false;
    let mut json = false;
    while let Ok((after, _)) = space1::<&str, PErr>(r) {
        if after.is_empty() {
            r = after;
            break;
        }
        let (next, w) = word(after)?;
        match w.to_ascii_lowercase().as_str() {
            "json" => json = true,
            "text" => json = false,
            "extensive" => extensive = true,
            "summary" if !is_rib => summary = true,
            "configuration" if !is_rib => configuration = true,
            "in" if is_rib && rib_dir.is_none() => rib_dir = Some(Rib::In),
            "out" if is_rib && rib_dir.is_none() => rib_dir = Some(Rib::Out),
            _ => match w.parse::<IpAddr>() {
                Ok(a) => peers.push(a),
                Err(_) => {
                    return fail(
                        after,
                        if is_rib {
                            "in, out, extensive, json or a neighbor address"
                        } else {
                            "summary, extensive, configuration, json or a neighbor address"
                        },
                    )
                }
            },
        }
        r = next;
    }
    if is_rib {
        match rib_dir {
            Some(rib) => Ok((
                r,
                Command::ShowAdjRib {
                    peers,
                    rib,
                    extensive,
                    json,
                },
            )),
            None => fail(r, "in or out"),
        }
    } else {
        // ExaBGP's order when several are given (`show_neighbor`): summary, extensive,
        // configuration.
        let view = if summary {
            NeighborView::Summary
        } else if extensive {
            NeighborView::Extensive
        } else if configuration {
            NeighborView::Configuration
        } else {
            NeighborView::Unspecified
        };
        Ok((r, Command::ShowNeighbor { peers, view, json }))
    }
}

/// `KIND afi AFI safi SAFI [advisory "TEXT"] [router-id IP] [sequence N] [counter N]`
fn operational(i: &str) -> PResult<'_, Operational> {
    let (r, _) = sp(i)?;
    let (r2, k) = word(r)?;
    let Some(kind) = OperationalKind::from_name(k) else {
        return fail(r, "adm, asm, rpcq, rpcp, apcq, apcp, lpcq or lpcp");
    };
    let (r, _) = sp(r2)?;
    let (r, _) = kw("afi")(r)?;
    let (r, _) = sp(r)?;
    let afi_at = r;
    let (r, afi) = word(r)?;
    let (r, _) = sp(r)?;
    let (r, _) = kw("safi")(r)?;
    let (r, _) = sp(r)?;
    let (mut r, safi) = word(r)?;
    let Some(family) = Family::from_names(&afi.to_ascii_lowercase(), &safi.to_ascii_lowercase())
    else {
        return fail(afi_at, "a known AFI and SAFI");
    };
    let mut op = Operational {
        kind,
        family,
        advisory: None,
        router_id: None,
        sequence: None,
        counter: None,
    };
    while let Ok((after, _)) = space1::<&str, PErr>(r) {
        if after.is_empty() {
            r = after;
            break;
        }
        let (next, key) = word(after)?;
        let (next, _) = sp(next)?;
        r = match key.to_ascii_lowercase().as_str() {
            "advisory" => {
                if let Some(q) = next.strip_prefix('"') {
                    let Some(end) = q.find('"') else {
                        return fail(next, "a closing quote");
                    };
                    op.advisory = Some(q[..end].to_string());
                    &q[end + 1..]
                } else {
                    let (n, w) = word(next)?;
                    op.advisory = Some(w.to_string());
                    n
                }
            }
            "router-id" => {
                let (n, v) = ipv4(next)?;
                op.router_id = Some(v);
                n
            }
            "sequence" => {
                let (n, v) = number::<u32>("a sequence number")(next)?;
                op.sequence = Some(v);
                n
            }
            "counter" => {
                let (n, v) = number::<u64>("a counter")(next)?;
                op.counter = Some(v);
                n
            }
            _ => return fail(after, "advisory, router-id, sequence or counter"),
        };
    }
    // ExaBGP (configuration/operational/parser.py) takes exactly the fields of the kind:
    // advisories `advisory`, queries `sequence`, replies `sequence` and `counter`; the
    // counter is sent in 4 octets and an advisory holds at most 2048 octets
    // (operational.py MAX_ADVISORY). router-id is accepted with any kind.
    let (advisory, sequence, counter) = match kind {
        OperationalKind::Adm | OperationalKind::Asm => (true, false, false),
        OperationalKind::Rpcq | OperationalKind::Apcq | OperationalKind::Lpcq => {
            (false, true, false)
        }
        OperationalKind::Rpcp | OperationalKind::Apcp | OperationalKind::Lpcp => {
            (false, true, true)
        }
    };
    let field = |present: bool, wanted: bool, name: &'static str| match (present, wanted) {
        (false, true) => Some(name),
        (true, false) => Some(name),
        _ => None,
    };
    if let Some(name) = field(op.advisory.is_some(), advisory, "advisory")
        .or_else(|| field(op.sequence.is_some(), sequence, "sequence"))
        .or_else(|| field(op.counter.is_some(), counter, "counter"))
    {
        let why = match name {
            "advisory" if advisory => "advisory \"TEXT\" (an advisory message needs one)",
            "sequence" if sequence => "sequence N (a query or reply needs one)",
            "counter" if counter => "counter N (a reply needs one)",
            "advisory" => "no advisory for this kind (only adm and asm carry one)",
            "sequence" => "no sequence for this kind (advisories carry none)",
            _ => "no counter for this kind (only rpcp, apcp and lpcp carry one)",
        };
        return fail(r, why);
    }
    if op.advisory.as_ref().is_some_and(|a| a.len() > 2048) {
        return fail(r, "an advisory of at most 2048 octets");
    }
    if op.counter.is_some_and(|c| c > u64::from(u32::MAX)) {
        return fail(r, "a counter below 2^32 (it is sent in 4 octets)");
    }
    Ok((r, op))
}

#[cfg(test)]
mod tests;
