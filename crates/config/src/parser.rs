//! Interprets the statement/block tree as ExaBGP's configuration language.

use std::collections::HashMap;
use std::net::IpAddr;

use ferrobgp_wire::model::{AddPathMode, Afi, Family};
use ipnet::IpNet;

use crate::config::*;
use crate::error::ParseError;
use crate::lexer::{Token, TokenKind};
use crate::route::{self, Cursor, ParsedRoute};
use crate::tree::{Block, Node, Statement};

/// Nesting of `inherit` beyond which a template loop is assumed.
const MAX_INHERIT_DEPTH: usize = 16;

pub(crate) fn parse_nodes(nodes: &[Node]) -> Result<Config, ParseError> {
    let mut config = Config::default();
    let mut templates: HashMap<String, &Block> = HashMap::new();
    // Templates first, so that a neighbor may inherit one defined later in the file.
    for node in nodes {
        if let Node::Block(b) = node {
            if b.header[0].is_word("template") {
                expect_header_len(b, 1, "template")?;
                for n in &b.body {
                    match n {
                        Node::Block(nb) if nb.header[0].is_word("neighbor") => {
                            expect_header_len(nb, 2, "template neighbor NAME")?;
                            templates.insert(nb.header[1].text.clone(), nb);
                        }
                        _ => {
                            return Err(ParseError::unknown(
                                n.pos(),
                                n.first().text.clone(),
                                "template (expected 'neighbor NAME { … }')",
                            ))
                        }
                    }
                }
            }
        }
    }
    for node in nodes {
        match node {
            Node::Block(b) => match b.header[0].text.to_ascii_lowercase().as_str() {
                "template" => {}
                "process" => {
                    expect_header_len(b, 2, "process NAME")?;
                    let p = process(b)?;
                    if config.process(&p.name).is_some() {
                        return Err(ParseError::invalid(
                            b.header[1].pos,
                            format!("process '{}' is defined twice", p.name),
                        ));
                    }
                    config.processes.push(p);
                }
                "neighbor" | "peer-address" => {
                    config.neighbors.push(neighbor(b, &[], &templates)?);
                }
                "group" => {
                    // ExaBGP 3's `group NAME { settings; neighbor IP { … } }`: the group's own
                    // settings act as a template for each neighbor inside.
                    let shared: Vec<&Node> =
                        b.body.iter().filter(|n| !is_neighbor_block(n)).collect();
                    for n in &b.body {
                        if let Node::Block(nb) = n {
                            if is_neighbor_block(n) {
                                config.neighbors.push(neighbor(nb, &shared, &templates)?);
                            }
                        }
                    }
                }
                other => {
                    return Err(ParseError::unknown(
                        b.header[0].pos,
                        other,
                        "the top level (expected process, template or neighbor)",
                    ))
                }
            },
            Node::Statement(s) => {
                return Err(ParseError::unknown(
                    s.tokens[0].pos,
                    s.tokens[0].text.clone(),
                    "the top level (expected process, template or neighbor)",
                ))
            }
        }
    }
    Ok(config)
}

fn is_neighbor_block(n: &Node) -> bool {
    matches!(n, Node::Block(b) if b.header[0].is_word("neighbor") || b.header[0].is_word("peer-address"))
}

fn expect_header_len(b: &Block, n: usize, form: &str) -> Result<(), ParseError> {
    if b.header.len() != n {
        let at = b
            .header
            .get(n)
            .or(b.header.last())
            .map(|t| t.pos)
            .unwrap_or_default();
        let found = b
            .header
            .get(n)
            .map(|t| t.describe())
            .unwrap_or_else(|| "'{'".into());
        return Err(ParseError::expected(at, format!("'{form} {{'"), found));
    }
    Ok(())
}

/// The single value of `key VALUE;`.
fn one<'a>(s: &'a Statement, what: &str) -> Result<&'a Token, ParseError> {
    let key = &s.tokens[0].text;
    match s.tokens.get(1) {
        Some(t) if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) => {
            if let Some(extra) = s.tokens.get(2) {
                return Err(ParseError::expected(
                    extra.pos,
                    format!("';' after {key} value"),
                    extra.describe(),
                ));
            }
            Ok(t)
        }
        Some(t) => Err(ParseError::expected(
            t.pos,
            format!("{what} after {key}"),
            t.describe(),
        )),
        None => Err(ParseError::expected(
            s.end,
            format!("{what} after {key}"),
            "';'",
        )),
    }
}

fn num<T: std::str::FromStr>(s: &Statement, what: &str) -> Result<T, ParseError> {
    let t = one(s, what)?;
    t.text
        .parse()
        .map_err(|_| ParseError::expected(t.pos, what, t.describe()))
}

fn boolean_word(t: &Token) -> Option<bool> {
    match t.text.to_ascii_lowercase().as_str() {
        "true" | "enable" | "enabled" | "yes" | "on" => Some(true),
        "false" | "disable" | "disabled" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `key;` (true) or `key true|false|enable|disable;`.
fn flag(s: &Statement) -> Result<bool, ParseError> {
    if s.tokens.len() == 1 {
        return Ok(true);
    }
    let t = one(s, "true or false")?;
    boolean_word(t)
        .ok_or_else(|| ParseError::expected(t.pos, "true, false, enable or disable", t.describe()))
}

fn asn_or_auto(s: &Statement) -> Result<Auto<u32>, ParseError> {
    let t = one(s, "an AS number")?;
    if t.is_word("auto") {
        return Ok(Auto::Auto);
    }
    let text = t.text.as_str();
    // asdot notation 1.10 = 65546
    let v = if let Some((h, l)) = text.split_once('.') {
        match (h.parse::<u16>(), l.parse::<u16>()) {
            (Ok(h), Ok(l)) => Some((u32::from(h) << 16) | u32::from(l)),
            _ => None,
        }
    } else {
        text.parse::<u32>().ok()
    };
    v.map(Auto::Value).ok_or_else(|| {
        ParseError::expected(
            t.pos,
            "an AS number (0 to 4294967295) or auto",
            t.describe(),
        )
    })
}

fn process(b: &Block) -> Result<Process, ParseError> {
    let mut p = Process {
        name: b.header[1].text.clone(),
        run: Vec::new(),
        encoder: None,
        respawn: true,
        pos: b.header[0].pos,
    };
    for n in &b.body {
        let Node::Statement(s) = n else {
            return Err(ParseError::unknown(
                n.pos(),
                n.first().text.clone(),
                "process",
            ));
        };
        match s.tokens[0].text.to_ascii_lowercase().as_str() {
            "run" => {
                if s.tokens.len() < 2 {
                    return Err(ParseError::expected(s.end, "a program after run", "';'"));
                }
                p.run = s.tokens[1..].iter().map(|t| t.text.clone()).collect();
            }
            "encoder" => {
                let t = one(s, "json or text")?;
                p.encoder = Some(match t.text.to_ascii_lowercase().as_str() {
                    "json" => Encoder::Json,
                    "text" => Encoder::Text,
                    _ => {
                        return Err(ParseError::expected(
                            t.pos,
                            "json or text after encoder",
                            t.describe(),
                        ))
                    }
                });
            }
            "respawn" => p.respawn = flag(s)?,
            // Accepted and ignored, as in ExaBGP's newer releases.
            "ack" | "api" => {}
            other => return Err(ParseError::unknown(s.tokens[0].pos, other, "process")),
        }
    }
    if p.run.is_empty() {
        return Err(ParseError::expected(
            b.close,
            format!("'run PROGRAM;' in process {}", p.name),
            "'}'",
        ));
    }
    Ok(p)
}

fn neighbor(
    b: &Block,
    shared: &[&Node],
    templates: &HashMap<String, &Block>,
) -> Result<Neighbor, ParseError> {
    expect_header_len(b, 2, "neighbor ADDRESS")?;
    let at = &b.header[1];
    let (address, range) = if at.text.contains('/') {
        let net: IpNet = at
            .text
            .parse()
            .map_err(|_| ParseError::expected(at.pos, "an IP address or prefix", at.describe()))?;
        (net.addr(), Some(net))
    } else {
        let a: IpAddr = at.text.parse().map_err(|_| {
            ParseError::expected(at.pos, "an IP address after neighbor", at.describe())
        })?;
        (a, None)
    };
    let mut n = Neighbor::new(address, range, b.header[0].pos);
    for node in shared {
        neighbor_node(&mut n, node, templates, 0)?;
    }
    // `inherit` first (in the order written), then the neighbor's own settings override.
    for node in &b.body {
        if let Node::Statement(s) = node {
            if s.tokens[0].is_word("inherit") {
                apply_inherit(&mut n, s, templates, 0)?;
            }
        }
    }
    for node in &b.body {
        if matches!(node, Node::Statement(s) if s.tokens[0].is_word("inherit")) {
            continue;
        }
        neighbor_node(&mut n, node, templates, 0)?;
    }
    if n.range.is_some() && !n.passive {
        return Err(ParseError::invalid(
            at.pos,
            "a neighbor given as a prefix must be passive",
        ));
    }
    if !n.families_configured {
        n.families = ALL_FAMILIES.to_vec();
    }
    Ok(n)
}

fn apply_inherit(
    n: &mut Neighbor,
    s: &Statement,
    templates: &HashMap<String, &Block>,
    depth: usize,
) -> Result<(), ParseError> {
    if depth > MAX_INHERIT_DEPTH {
        return Err(ParseError::invalid(
            s.tokens[0].pos,
            "templates inherit from each other in a loop",
        ));
    }
    let mut names = Vec::new();
    for t in &s.tokens[1..] {
        if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) {
            names.push(t);
        }
    }
    if names.is_empty() {
        return Err(ParseError::expected(
            s.end,
            "a template name after inherit",
            "';'",
        ));
    }
    for t in names {
        let Some(tb) = templates.get(&t.text) else {
            return Err(ParseError::invalid(
                t.pos,
                format!("no template named '{}'", t.text),
            ));
        };
        n.inherit.push(t.text.clone());
        for node in &tb.body {
            match node {
                Node::Statement(st) if st.tokens[0].is_word("inherit") => {
                    apply_inherit(n, st, templates, depth + 1)?
                }
                _ => neighbor_node(n, node, templates, depth + 1)?,
            }
        }
    }
    Ok(())
}

fn family_of(afi: &Token, safi: &Token) -> Result<Family, ParseError> {
    Family::from_names(
        &afi.text.to_ascii_lowercase(),
        &safi.text.to_ascii_lowercase(),
    )
    .ok_or_else(|| {
        ParseError::expected(
            afi.pos,
            "a family such as 'ipv4 unicast'",
            format!("'{} {}'", afi.text, safi.text),
        )
    })
}

fn neighbor_node(
    n: &mut Neighbor,
    node: &Node,
    templates: &HashMap<String, &Block>,
    depth: usize,
) -> Result<(), ParseError> {
    match node {
        Node::Statement(s) => neighbor_statement(n, s, templates, depth),
        Node::Block(b) => neighbor_block(n, b),
    }
}

fn neighbor_statement(
    n: &mut Neighbor,
    s: &Statement,
    templates: &HashMap<String, &Block>,
    depth: usize,
) -> Result<(), ParseError> {
    let kw = &s.tokens[0];
    match kw.text.to_ascii_lowercase().as_str() {
        "inherit" => apply_inherit(n, s, templates, depth + 1)?,
        "description" => n.description = Some(one(s, "a description")?.text.clone()),
        "router-id" => {
            let t = one(s, "an IPv4 address")?;
            n.router_id = Some(t.text.parse().map_err(|_| {
                ParseError::expected(t.pos, "an IPv4 address after router-id", t.describe())
            })?);
        }
        "local-address" => {
            let t = one(s, "an IP address or auto")?;
            n.local_address = Some(if t.is_word("auto") {
                Auto::Auto
            } else {
                Auto::Value(t.text.parse().map_err(|_| {
                    ParseError::expected(
                        t.pos,
                        "an IP address or auto after local-address",
                        t.describe(),
                    )
                })?)
            });
        }
        "local-link-local" => {
            let t = one(s, "an IPv6 link-local address")?;
            n.local_link_local = Some(t.text.parse().map_err(|_| {
                ParseError::expected(
                    t.pos,
                    "an IPv6 address after local-link-local",
                    t.describe(),
                )
            })?);
        }
        "local-as" => n.local_as = Some(asn_or_auto(s)?),
        "peer-as" => n.peer_as = Some(asn_or_auto(s)?),
        "hold-time" => {
            let v: u16 = num(s, "a hold time in seconds (0 or 3 to 65535)")?;
            if v != 0 && v < 3 {
                return Err(ParseError::invalid(
                    s.tokens[1].pos,
                    "hold-time must be 0 or at least 3 seconds (RFC 4271 §4.2)",
                ));
            }
            n.hold_time = v;
        }
        "rate-limit" => {
            let t = one(s, "a number of messages per second")?;
            n.rate_limit = if t.is_word("disable") {
                0
            } else {
                num(s, "a number of messages per second")?
            };
        }
        "passive" => n.passive = flag(s)?,
        "listen" => n.listen = Some(num(s, "a port number")?),
        "connect" => n.connect = Some(num(s, "a port number")?),
        "source-interface" => n.source_interface = Some(one(s, "an interface name")?.text.clone()),
        "md5-password" | "md5" => n.md5_password = Some(one(s, "a password")?.text.clone()),
        "md5-base64" => {
            let t = one(s, "true, false or auto")?;
            n.md5_base64 = if t.is_word("auto") { false } else { flag(s)? };
        }
        "md5-ip" => {
            let t = one(s, "an IP address")?;
            n.md5_ip = Some(t.text.parse().map_err(|_| {
                ParseError::expected(t.pos, "an IP address after md5-ip", t.describe())
            })?);
        }
        "outgoing-ttl" | "ttl-security" => n.outgoing_ttl = Some(num(s, "a TTL (1 to 255)")?),
        "incoming-ttl" => n.incoming_ttl = Some(num(s, "a TTL (1 to 255)")?),
        "group-updates" => n.group_updates = flag(s)?,
        "auto-flush" => n.auto_flush = flag(s)?,
        "adj-rib-in" => n.adj_rib_in = flag(s)?,
        "adj-rib-out" => n.adj_rib_out = flag(s)?,
        "manual-eor" => n.manual_eor = flag(s)?,
        "host-name" => n.host_name = Some(one(s, "a host name")?.text.clone()),
        "domain-name" => n.domain_name = Some(one(s, "a domain name")?.text.clone()),
        other => return Err(ParseError::unknown(kw.pos, other, "neighbor")),
    }
    Ok(())
}

fn body_statements<'a>(b: &'a Block, context: &str) -> Result<Vec<&'a Statement>, ParseError> {
    b.body
        .iter()
        .map(|n| match n {
            Node::Statement(s) => Ok(s),
            Node::Block(x) => Err(ParseError::unknown(
                x.header[0].pos,
                x.header[0].text.clone(),
                context.to_string(),
            )),
        })
        .collect()
}

fn neighbor_block(n: &mut Neighbor, b: &Block) -> Result<(), ParseError> {
    let kw = &b.header[0];
    let name = kw.text.to_ascii_lowercase();
    match name.as_str() {
        "family" => {
            expect_header_len(b, 1, "family")?;
            n.families_configured = true;
            for s in body_statements(b, "family")? {
                let t = &s.tokens;
                if t[0].is_word("all") && t.len() == 1 {
                    for f in ALL_FAMILIES {
                        if !n.families.contains(f) {
                            n.families.push(*f);
                        }
                    }
                    continue;
                }
                if t[0].is_word("minimal") {
                    return Err(ParseError::invalid(
                        t[0].pos,
                        "'minimal' is deprecated: list the families",
                    ));
                }
                if t.len() != 2 {
                    return Err(ParseError::expected(
                        t[0].pos,
                        "'AFI SAFI;' (e.g. 'ipv4 unicast;')",
                        format!("'{}'", route::tokens_text(t)),
                    ));
                }
                let f = family_of(&t[0], &t[1])?;
                if !n.families.contains(&f) {
                    n.families.push(f);
                }
            }
        }
        "capability" => {
            expect_header_len(b, 1, "capability")?;
            capability(&mut n.capability, b)?;
        }
        "add-path" => {
            expect_header_len(b, 1, "add-path")?;
            for s in body_statements(b, "add-path")? {
                let t = &s.tokens;
                if t.len() < 2 {
                    return Err(ParseError::expected(
                        t[0].pos,
                        "'AFI SAFI [limit N];'",
                        format!("'{}'", t[0].text),
                    ));
                }
                let family = family_of(&t[0], &t[1])?;
                let limit = match t.get(2) {
                    Some(l) if l.is_word("limit") => {
                        Some(t.get(3).and_then(|v| v.text.parse().ok()).ok_or_else(|| {
                            ParseError::expected(l.pos, "a number after limit", "nothing")
                        })?)
                    }
                    Some(x) => {
                        return Err(ParseError::expected(
                            x.pos,
                            "';' or 'limit N'",
                            x.describe(),
                        ))
                    }
                    None => None,
                };
                n.add_path.push(AddPathFamily { family, limit });
            }
        }
        "nexthop" => {
            expect_header_len(b, 1, "nexthop")?;
            for s in body_statements(b, "nexthop")? {
                let t = &s.tokens;
                if t.len() != 3 {
                    return Err(ParseError::expected(
                        t[0].pos,
                        "'AFI SAFI NEXTHOP-AFI;' (e.g. 'ipv4 unicast ipv6;')",
                        format!("'{}'", route::tokens_text(t)),
                    ));
                }
                let family = family_of(&t[0], &t[1])?;
                let afi = Afi::from_name(&t[2].text.to_ascii_lowercase()).ok_or_else(|| {
                    ParseError::expected(t[2].pos, "ipv4 or ipv6", t[2].describe())
                })?;
                n.nexthop.push((family, afi));
            }
        }
        "api" => {
            if b.header.len() > 2 {
                return Err(ParseError::expected(
                    b.header[2].pos,
                    "'{' after api NAME",
                    b.header[2].describe(),
                ));
            }
            n.api.push(api_block(b)?);
        }
        "static" => {
            expect_header_len(b, 1, "static")?;
            for node in &b.body {
                match node {
                    Node::Statement(s) if s.tokens[0].is_word("route") => {
                        if s.tokens.len() < 2 {
                            return Err(ParseError::expected(s.end, "a prefix after route", "';'"));
                        }
                        n.routes
                            .push(route::route_from_tokens(&s.tokens[1..], None, s.end)?);
                    }
                    Node::Block(rb) if rb.header[0].is_word("route") && rb.header.len() == 2 => {
                        n.routes
                            .push(route::route_from_block(&rb.header[1], &rb.body)?);
                    }
                    _ => {
                        return Err(ParseError::unknown(
                            node.pos(),
                            node.first().text.clone(),
                            "static (expected 'route PREFIX …')",
                        ))
                    }
                }
            }
        }
        "flow" => {
            expect_header_len(b, 1, "flow")?;
            for node in &b.body {
                match node {
                    Node::Block(rb) if rb.header[0].is_word("route") && rb.header.len() <= 2 => {
                        let name = rb.header.get(1).map(|t| t.text.clone());
                        n.routes
                            .push(route::flow_from_block(&rb.body, name, rb.header[0].pos)?);
                    }
                    Node::Statement(s) if s.tokens[0].is_word("route") => {
                        n.routes
                            .push(route::flow_flat(&s.tokens[1..], None, s.end)?);
                    }
                    _ => {
                        return Err(ParseError::unknown(
                            node.pos(),
                            node.first().text.clone(),
                            "flow (expected 'route NAME { … }')",
                        ))
                    }
                }
            }
        }
        "l2vpn" => {
            expect_header_len(b, 1, "l2vpn")?;
            for node in &b.body {
                match node {
                    Node::Statement(s) if s.tokens[0].is_word("vpls") => {
                        n.routes
                            .push(route::vpls_from_tokens(&s.tokens[1..], None, s.end)?);
                    }
                    Node::Block(vb) if vb.header[0].is_word("vpls") && vb.header.len() <= 2 => {
                        let name = vb.header.get(1).map(|t| t.text.clone());
                        let mut toks: Vec<Token> = Vec::new();
                        for st in body_statements(vb, "vpls")? {
                            toks.extend(st.tokens.iter().cloned());
                        }
                        let mut r = route::vpls_from_tokens(&toks, name, vb.close)?;
                        r.pos = vb.header[0].pos;
                        n.routes.push(r);
                    }
                    _ => {
                        return Err(ParseError::unknown(
                            node.pos(),
                            node.first().text.clone(),
                            "l2vpn (expected vpls)",
                        ))
                    }
                }
            }
        }
        "announce" => {
            expect_header_len(b, 1, "announce")?;
            for node in &b.body {
                let Node::Block(ab) = node else {
                    return Err(ParseError::unknown(
                        node.pos(),
                        node.first().text.clone(),
                        "announce (expected ipv4 { … }, ipv6 { … } or l2vpn { … })",
                    ));
                };
                expect_header_len(ab, 1, "AFI")?;
                let afi_t = &ab.header[0];
                if Afi::from_name(&afi_t.text.to_ascii_lowercase()).is_none() {
                    return Err(ParseError::unknown(
                        afi_t.pos,
                        afi_t.text.clone(),
                        "announce (expected ipv4, ipv6 or l2vpn)",
                    ));
                }
                for s in body_statements(ab, "announce AFI")? {
                    let family = family_of(afi_t, &s.tokens[0])?;
                    match route::family_route_from_tokens(family, &s.tokens[1..], s.tokens[0].pos)?
                    {
                        ParsedRoute::Route(r) => n.routes.push(r),
                        ParsedRoute::Unsupported(u) => n.unsupported_routes.push(u),
                    }
                }
            }
        }
        "operational" => {
            // ExaBGP's operational messages (configuration/operational): sent once the
            // session is up, as if announced by the API; the API grammar reads them.
            for s in body_statements(b, "operational")? {
                let mut words = Vec::with_capacity(s.tokens.len());
                let mut offset = 0;
                for t in &s.tokens {
                    words.push((offset, t.pos));
                    offset += route::tokens_text(std::slice::from_ref(t)).len() + 1;
                }
                n.operational.push(OperationalStatement {
                    text: route::tokens_text(&s.tokens),
                    pos: s.tokens[0].pos,
                    words,
                });
            }
        }
        _ => return Err(ParseError::unknown(kw.pos, name, "neighbor")),
    }
    Ok(())
}

fn capability(c: &mut Capabilities, b: &Block) -> Result<(), ParseError> {
    for s in body_statements(b, "capability")? {
        let kw = &s.tokens[0];
        match kw.text.to_ascii_lowercase().as_str() {
            "asn4" => c.asn4 = flag(s)?,
            "extended-message" => c.extended_message = flag(s)?,
            "route-refresh" => c.route_refresh = flag(s)?,
            "multi-session" => c.multi_session = flag(s)?,
            "operational" => c.operational = flag(s)?,
            "aigp" => c.aigp = flag(s)?,
            "software-version" => c.software_version = flag(s)?,
            "nexthop" => c.nexthop = flag(s)?,
            "link-local-nexthop" => c.link_local_nexthop = flag(s)?,
            "link-local-prefer" => c.link_local_prefer = flag(s)?,
            "graceful-restart" => {
                c.graceful_restart = match s.tokens.get(1) {
                    None => GracefulRestart::HoldTime,
                    Some(t) => match boolean_word(t) {
                        Some(true) => GracefulRestart::HoldTime,
                        Some(false) => GracefulRestart::Disabled,
                        None => {
                            let v: u16 =
                                num(s, "a restart time in seconds (0 to 4095) or disable")?;
                            if v > 4095 {
                                return Err(ParseError::invalid(t.pos, "the graceful restart time is at most 4095 seconds (RFC 4724 §3)"));
                            }
                            if v == 0 {
                                GracefulRestart::HoldTime
                            } else {
                                GracefulRestart::Seconds(v)
                            }
                        }
                    },
                }
            }
            "add-path" => {
                let t = one(s, "disable, send, receive or send/receive")?;
                c.add_path = match t.text.to_ascii_lowercase().as_str() {
                    "disable" | "disabled" | "false" => None,
                    "send" => Some(AddPathMode::Send),
                    "receive" => Some(AddPathMode::Receive),
                    "send/receive" | "receive/send" | "enable" | "true" => Some(AddPathMode::Both),
                    _ => {
                        return Err(ParseError::expected(
                            t.pos,
                            "disable, send, receive or send/receive",
                            t.describe(),
                        ))
                    }
                }
            }
            other => return Err(ParseError::unknown(kw.pos, other, "capability")),
        }
    }
    Ok(())
}

fn selection(sel: &mut MessageSelection, b: &Block, context: &str) -> Result<(), ParseError> {
    for s in body_statements(b, context)? {
        let kw = &s.tokens[0];
        let on = flag(s)?;
        match kw.text.to_ascii_lowercase().as_str() {
            "parsed" => sel.parsed = on,
            "packets" => sel.packets = on,
            "consolidate" => sel.consolidate = on,
            "open" => sel.open = on,
            "update" => sel.update = on,
            "notification" => sel.notification = on,
            "keepalive" => sel.keepalive = on,
            "refresh" => sel.refresh = on,
            "operational" => sel.operational = on,
            other => return Err(ParseError::unknown(kw.pos, other, context.to_string())),
        }
    }
    Ok(())
}

fn api_block(b: &Block) -> Result<ApiBlock, ParseError> {
    let mut a = ApiBlock {
        name: b.header.get(1).map(|t| t.text.clone()),
        pos: b.header[0].pos,
        ..ApiBlock::default()
    };
    for node in &b.body {
        match node {
            Node::Block(sb) => {
                expect_header_len(sb, 1, &sb.header[0].text)?;
                match sb.header[0].text.to_ascii_lowercase().as_str() {
                    "receive" => selection(&mut a.receive, sb, "api receive")?,
                    "send" => selection(&mut a.send, sb, "api send")?,
                    other => return Err(ParseError::unknown(sb.header[0].pos, other, "api")),
                }
            }
            Node::Statement(s) => {
                let kw = &s.tokens[0];
                match kw.text.to_ascii_lowercase().as_str() {
                    "processes" | "processes-match" => {
                        let mut c = Cursor::new(&s.tokens[1..], s.end);
                        let mut names = Vec::new();
                        if c.peek().is_some_and(|t| t.is(TokenKind::LBracket)) {
                            c.next();
                            loop {
                                match c.next() {
                                    Some(t) if t.is(TokenKind::RBracket) => break,
                                    Some(t)
                                        if matches!(
                                            t.kind,
                                            TokenKind::Word | TokenKind::Quoted
                                        ) =>
                                    {
                                        names.push(t.text.clone())
                                    }
                                    Some(t) => {
                                        return Err(ParseError::expected(
                                            t.pos,
                                            "process names",
                                            t.describe(),
                                        ))
                                    }
                                    None => return Err(ParseError::expected(s.end, "']'", "';'")),
                                }
                            }
                        } else {
                            names.push(c.word("'[ NAME … ]'")?.text.clone());
                        }
                        if let Some(extra) = c.peek() {
                            return Err(ParseError::expected(
                                extra.pos,
                                format!("';' after {}", kw.text),
                                extra.describe(),
                            ));
                        }
                        if kw.is_word("processes") {
                            a.processes.extend(names);
                        } else {
                            a.processes_match.extend(names);
                        }
                    }
                    "neighbor-changes" => a.neighbor_changes = flag(s)?,
                    "negotiated" => a.negotiated = flag(s)?,
                    "fsm" => a.fsm = flag(s)?,
                    "signal" => a.signal = flag(s)?,
                    // ExaBGP 3's flat forms: `receive-packets;`, `send-parsed;` …
                    k if k.starts_with("receive-") || k.starts_with("send-") => {
                        let (dir, what) = k.split_once('-').unwrap_or((k, ""));
                        let sel = if dir == "receive" {
                            &mut a.receive
                        } else {
                            &mut a.send
                        };
                        let fake = Block {
                            header: vec![kw.clone()],
                            body: vec![Node::Statement(Statement {
                                tokens: vec![Token {
                                    kind: TokenKind::Word,
                                    text: what.into(),
                                    pos: kw.pos,
                                }],
                                end: s.end,
                            })],
                            close: s.end,
                        };
                        selection(sel, &fake, "api")?;
                    }
                    other => return Err(ParseError::unknown(kw.pos, other, "api")),
                }
            }
        }
    }
    Ok(a)
}
