//! `ferrobgp encode`: a route in command syntax to the UPDATE bytes a session would send,
//! like ExaBGP's `exabgp encode`. Lives here, not in the CLI crate, so that the
//! conformance check (command text to ExaBGP's captured bytes) runs with this crate's tests.
//!
//! The route is read by the shared route grammar (through [`parse_command`]) and encoded by
//! the wire crate's [`UpdateBuilder`]; this module only supplies what a session would add:
//! the mandatory ORIGIN and AS_PATH (RFC 4271 section 5.1.1, 5.1.2) when the route has none.

use std::fmt;

use bytes::BytesMut;
use ferrobgp_wire::{
    encode_end_of_rib, encode_update, AsPath, Family, Origin, PathAttributes, Safi, SessionContext,
    Update, UpdateBuilder,
};

use crate::command::{parse_command, Command, RouteRequest};
use crate::error::ApiError;

/// ExaBGP's defaults: AS 65533 on both sides, IPv4 unicast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Families negotiated (`-f "ipv4 unicast ipv6 unicast"`); add-path applies to these.
    pub families: Vec<Family>,
    pub local_as: u32,
    pub peer_as: u32,
    /// `-i`: add-path (RFC 7911) send/receive for the families.
    pub add_path: bool,
    /// `-n`: only the NLRI bytes.
    pub nlri_only: bool,
    /// `--no-header`: without the 19-octet message header.
    pub no_header: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            families: vec![Family::IPV4_UNICAST],
            local_as: 65533,
            peer_as: 65533,
            add_path: false,
            nlri_only: false,
            no_header: false,
        }
    }
}

/// Why a route could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The text is not a valid command or route.
    Parse(ApiError),
    /// Valid, but not something that encodes to UPDATEs here (or a family the wire model
    /// does not encode yet).
    Unsupported(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Parse(e) => write!(f, "{e}"),
            EncodeError::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for EncodeError {}

/// The session the route would be sent on: 4-octet ASNs (ExaBGP always offers them),
/// add-path as asked.
fn session(opts: &EncodeOptions, family: Family) -> SessionContext {
    let mut fams = opts.families.clone();
    if !fams.contains(&family) {
        fams.push(family);
    }
    SessionContext {
        asn4: true,
        extended_message: false,
        add_path_receive: if opts.add_path { fams.clone() } else { vec![] },
        add_path_send: if opts.add_path { fams } else { vec![] },
        extended_next_hop: vec![],
        // The rest (which side is external) only matters when receiving.
        ..Default::default()
    }
}

/// What the session adds to a route before sending it: ORIGIN IGP when absent, LOCAL_PREF
/// 100 towards an internal peer, and an
/// AS_PATH (empty towards an internal peer, our AS towards an external one, RFC 4271
/// section 5.1.2).
pub fn with_session_defaults(a: &PathAttributes, local_as: u32, peer_as: u32) -> PathAttributes {
    let mut a = a.clone();
    if a.origin.is_none() {
        a.origin = Some(Origin::Igp);
    }
    // ExaBGP gives routes towards an internal peer LOCAL_PREF 100 when they have none
    // (RFC 4271 section 5.1.5 makes the attribute mandatory there).
    if local_as == peer_as && a.local_pref.is_none() {
        a.local_pref = Some(100);
    }
    if a.as_path.is_none() {
        a.as_path = Some(if local_as == peer_as {
            AsPath::default()
        } else {
            AsPath::sequence(vec![local_as])
        });
    }
    a
}

/// Splits a buffer of whole messages into messages (by their length field).
fn split_messages(buf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 19 <= buf.len() {
        let len = usize::from(u16::from_be_bytes([buf[i + 16], buf[i + 17]]));
        if len < 19 || i + len > buf.len() {
            break;
        }
        out.push(buf[i..i + len].to_vec());
        i += len;
    }
    out
}

fn spec_of(route: &RouteRequest) -> Result<&ferrobgp_config::RouteSpec, EncodeError> {
    match &route.route {
        ferrobgp_config::ParsedRoute::Route(r) => Ok(r),
        ferrobgp_config::ParsedRoute::Unsupported(u) => Err(EncodeError::Unsupported(format!(
            "the {} family is not encoded yet",
            u.family
        ))),
    }
}

/// Encodes `text` (`route 10.0.0.0/24 next-hop 1.2.3.4`, `announce route …`,
/// `ipv6 unicast …`, `withdraw route …`, `eor ipv4 unicast`, …) into the messages a session
/// would send, each as bytes (or NLRI bytes only with `nlri_only`).
pub fn encode_route(text: &str, opts: &EncodeOptions) -> Result<Vec<Vec<u8>>, EncodeError> {
    encode_route_on(text, opts, SessionAddresses::default())
}

/// What a session knows that the route text does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionAddresses {
    /// The local address: the next hop of `next-hop self`.
    pub local: Option<std::net::IpAddr>,
    /// The neighbor's `local-link-local` when the link-local next hop capability is on:
    /// sent after IPv6 global next hops, as ExaBGP does (conf-llnh-update.ci).
    pub link_local: Option<std::net::Ipv6Addr>,
}

/// [`encode_route`] on a session with these addresses.
pub fn encode_route_on(
    text: &str,
    opts: &EncodeOptions,
    session_addresses: SessionAddresses,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let first = text.split_whitespace().next().unwrap_or("");
    let cmd = if ["announce", "withdraw", "neighbor", "group"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
    {
        parse_command(text)
    } else {
        parse_command(&format!("announce {text}")).map_err(|e| shift(e, -9))
    }
    .map_err(EncodeError::Parse)?;
    let mut out = BytesMut::new();
    let mut nlri_out: Vec<Vec<u8>> = Vec::new();
    // (withdraw?, route) in command order, a group's shared attributes merged in.
    let mut routes: Vec<(bool, ferrobgp_config::RouteSpec)> = Vec::new();
    match &cmd {
        Command::Announce { route, .. } => routes.push((false, spec_of(route)?.clone())),
        Command::Withdraw { route, .. } => routes.push((true, spec_of(route)?.clone())),
        Command::Eor { family, .. } => {
            encode_end_of_rib(family.unwrap_or(Family::IPV4_UNICAST), &mut out);
        }
        Command::Group {
            shared_attributes,
            commands,
            ..
        } => {
            let shared = shared_attributes.as_ref().map(spec_of).transpose()?;
            for c in commands {
                let (w, route) = match c {
                    Command::Announce { route, .. } => (false, route),
                    Command::Withdraw { route, .. } => (true, route),
                    other => {
                        return Err(EncodeError::Unsupported(format!(
                            "not a route announcement: {other:?}"
                        )))
                    }
                };
                let mut spec = spec_of(route)?.clone();
                if let Some(g) = shared {
                    spec.attributes = spec.attributes.overlaid_on(&g.attributes);
                    spec.next_hop_self |= g.next_hop_self;
                }
                routes.push((w, spec));
            }
        }
        other => {
            return Err(EncodeError::Unsupported(format!(
                "not a route announcement: {other:?}"
            )))
        }
    }
    // Consecutive routes of one family and attribute set go in the same UPDATEs, as ExaBGP
    // packs a group.
    let mut merged: Vec<(bool, ferrobgp_config::RouteSpec)> = Vec::new();
    for (w, spec) in routes {
        match merged.last_mut() {
            Some((lw, last))
                if *lw == w
                    && last.family == spec.family
                    && last.attributes == spec.attributes
                    && last.next_hop_self == spec.next_hop_self =>
            {
                last.nlri.extend(spec.nlri)
            }
            _ => merged.push((w, spec)),
        }
    }
    for (w, spec) in &merged {
        let ctx = session(opts, spec.family);
        if opts.nlri_only {
            let add_path = ctx.sends_path_id(spec.family);
            for n in &spec.nlri {
                let mut b = BytesMut::new();
                ferrobgp_wire::nlri::write_nlri(&mut b, n, add_path, *w);
                nlri_out.push(b.to_vec());
            }
            continue;
        }
        if *w {
            withdraw(spec, opts, &ctx, &mut out);
            continue;
        }
        let mut a = with_session_defaults(&spec.attributes, opts.local_as, opts.peer_as);
        if spec.next_hop_self {
            a.next_hop = Some(session_addresses.local.ok_or_else(|| {
                EncodeError::Unsupported("next-hop self needs a session's local address".into())
            })?);
        }
        if matches!(a.next_hop, Some(std::net::IpAddr::V6(_))) && a.next_hop_link_local.is_none() {
            a.next_hop_link_local = session_addresses.link_local;
        }
        if spec.nlri.is_empty() {
            // `attributes …` without `nlri`: ExaBGP sends the attributes alone (api-flow.ci).
            let u = Update {
                attributes: a,
                ..Update::default()
            };
            encode_update(&u, &ctx, &mut out);
            continue;
        }
        UpdateBuilder::new(&ctx).announce(spec.family, &a, &spec.nlri, &mut out);
    }
    if opts.nlri_only {
        return Ok(nlri_out);
    }
    let mut msgs = split_messages(&out);
    if opts.no_header {
        for m in &mut msgs {
            m.drain(..19);
        }
    }
    Ok(msgs)
}

/// A withdrawal as ExaBGP sends it: IPv4 unicast in the withdrawn routes field alone; other
/// families in MP_UNREACH_NLRI followed by the route's attributes, with the session's
/// defaults unless the family is unicast or multicast (api-flow.ci, api-vpls.ci,
/// api-mvpn.ci), NEXT_HOP only for the families that carry it in announcements. Packed by the UpdateBuilder (no attributes) when the NLRI do
/// not fit one message.
fn withdraw(
    spec: &ferrobgp_config::RouteSpec,
    opts: &EncodeOptions,
    ctx: &SessionContext,
    out: &mut BytesMut,
) {
    let family = spec.family;
    let add_path = ctx.sends_path_id(family);
    let nlri_len: usize = spec
        .nlri
        .iter()
        .map(|n| {
            let mut b = BytesMut::new();
            ferrobgp_wire::nlri::write_nlri(&mut b, n, add_path, true);
            b.len()
        })
        .sum();
    if family == Family::IPV4_UNICAST || spec.nlri.is_empty() || nlri_len > 2048 {
        UpdateBuilder::new(ctx).withdraw(family, &spec.nlri, out);
        return;
    }
    // ExaBGP adds no default attributes when an UPDATE only withdraws unicast or multicast
    // routes (RFC 4760 lets MP_UNREACH_NLRI go alone), only the route's own.
    let mut a = if matches!(family.safi, Safi::UNICAST | Safi::MULTICAST) {
        spec.attributes.clone()
    } else {
        with_session_defaults(&spec.attributes, opts.local_as, opts.peer_as)
    };
    // `next-hop 0.0.0.0`, the placeholder of withdrawals, is not sent (api-ipv4.ci's group).
    if !ferrobgp_wire::encode::next_hop_attribute_for(family)
        || matches!(family.safi, Safi::UNICAST | Safi::MULTICAST)
        || a.next_hop.is_some_and(|nh| nh.is_unspecified())
    {
        a.next_hop = None;
    }
    let u = Update {
        withdrawn: spec.nlri.iter().map(|n| (family, n.clone())).collect(),
        attributes: a,
        ..Update::default()
    };
    encode_update(&u, ctx, out);
}

/// Moves an error's column (text was prepended before parsing).
fn shift(e: ApiError, by: i64) -> ApiError {
    let f = |c: usize| (c as i64 + by).max(1) as usize;
    match e {
        ApiError::Syntax {
            column,
            expected,
            found,
        } => ApiError::Syntax {
            column: f(column),
            expected,
            found,
        },
        ApiError::Route { column, message } => ApiError::Route {
            column: f(column),
            message,
        },
        ApiError::Value { column, message } => ApiError::Value {
            column: f(column),
            message,
        },
    }
}

/// Uppercase hex, as the `raw:` lines of ExaBGP's test cases write messages.
pub fn hex_upper(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests;
