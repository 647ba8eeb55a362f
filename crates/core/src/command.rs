//! API commands as the speaker applies them.
//!
//! [`parse`] is a stand-in for `ferrobgp_api::parse_command` (being written at the same time)
//! covering the commands the core's tests and the common helper scripts use; the speaker only
//! depends on [`Command`], so switching to the API crate is a conversion.

use std::net::{IpAddr, Ipv4Addr};

use crate::rib::{AsSegment, Family, NextHop, RouteAttrs, RouteKey, RouteSpec};

/// `neighbor IP [local-ip IP] [local-as N] [peer-as N] [router-id IP]`; `peer` None is `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub peer: Option<IpAddr>,
    pub local_ip: Option<IpAddr>,
    pub local_as: Option<u32>,
    pub peer_as: Option<u32>,
    pub router_id: Option<Ipv4Addr>,
}

/// What a command does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Announce(RouteSpec),
    Withdraw(RouteSpec),
    EndOfRib(Option<Family>),
    RouteRefresh(Family),
    Watchdog {
        name: String,
        announce: bool,
    },
    FlushAdjRibOut,
    ClearAdjRibOut,
    ClearAdjRibIn,
    Teardown(u8),
    Shutdown,
    Reload,
    Restart,
    Version,
    EnableAck,
    DisableAck,
    SilenceAck,
    /// `#...` and empty lines: no ack.
    Comment,
}

/// One command line: selectors (empty = the neighbors whose api lists the process) and action.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub selectors: Vec<Selector>,
    pub action: Action,
}

/// Why a line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

fn err<T>(m: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError(m.into()))
}

/// Split on whitespace, keeping `[ ... ]` groups as one token.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in line.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c)
            }
            ']' => {
                depth -= 1;
                cur.push(c)
            }
            c if c.is_whitespace() && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn list(tok: &str) -> Vec<String> {
    tok.trim_start_matches('[')
        .trim_end_matches(']')
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn community(s: &str) -> Result<u32, CommandError> {
    match s {
        "no-export" => return Ok(0xFFFFFF01),
        "no-advertise" => return Ok(0xFFFFFF02),
        "no-export-subconfed" => return Ok(0xFFFFFF03),
        "nopeer" => return Ok(0xFFFFFF04),
        _ => {}
    }
    if let Some((a, b)) = s.split_once(':') {
        let a: u16 = a
            .parse()
            .map_err(|_| CommandError(format!("bad community {s}")))?;
        let b: u16 = b
            .parse()
            .map_err(|_| CommandError(format!("bad community {s}")))?;
        Ok(((a as u32) << 16) | b as u32)
    } else {
        s.parse()
            .map_err(|_| CommandError(format!("bad community {s}")))
    }
}

fn num<T: std::str::FromStr>(t: Option<&String>, what: &str) -> Result<T, CommandError> {
    match t.and_then(|s| s.parse().ok()) {
        Some(v) => Ok(v),
        None => err(format!("{what} expects a number")),
    }
}

/// Parse route attributes from `toks`, stopping at `nlri` (returned index) or the end.
fn attributes(toks: &[String], spec: &mut RouteSpec) -> Result<usize, CommandError> {
    let a = &mut spec.attrs;
    let mut i = 0;
    let mut path_id = None;
    while i < toks.len() {
        let t = toks[i].as_str();
        let v = toks.get(i + 1);
        match t {
            "nlri" => {
                apply_path_id(spec, path_id);
                return Ok(i);
            }
            "next-hop" => {
                let v = v.ok_or(CommandError("next-hop expects an address".into()))?;
                a.next_hop = if v == "self" {
                    NextHop::SelfAddr
                } else {
                    NextHop::Ip(
                        v.parse()
                            .map_err(|_| CommandError(format!("bad next-hop {v}")))?,
                    )
                };
            }
            "origin" => {
                a.origin = Some(match v.map(String::as_str) {
                    Some("igp") => 0,
                    Some("egp") => 1,
                    Some("incomplete") => 2,
                    _ => return err("origin expects igp, egp or incomplete"),
                })
            }
            "med" => a.med = Some(num(v, "med")?),
            "local-preference" => a.local_pref = Some(num(v, "local-preference")?),
            "community" => {
                let v = v.ok_or(CommandError("community expects a value".into()))?;
                a.communities = list(v)
                    .iter()
                    .map(|c| community(c))
                    .collect::<Result<_, _>>()?;
            }
            "as-path" => {
                let v = v.ok_or(CommandError("as-path expects a value".into()))?;
                let asns = list(v)
                    .iter()
                    .map(|s| s.parse::<u32>())
                    .collect::<Result<Vec<_>, _>>();
                let asns = asns.map_err(|_| CommandError(format!("bad as-path {v}")))?;
                a.as_path = if asns.is_empty() {
                    vec![]
                } else {
                    vec![AsSegment { kind: 2, asns }]
                };
            }
            "path-information" => {
                let v = v.ok_or(CommandError("path-information expects a value".into()))?;
                path_id = Some(match v.parse::<Ipv4Addr>() {
                    Ok(ip) => u32::from(ip),
                    Err(_) => num(Some(v), "path-information")?,
                });
            }
            "watchdog" => spec.watchdog = v.cloned(),
            "atomic-aggregate" => {
                a.atomic_aggregate = true;
                i += 1;
                continue;
            }
            "withdraw" => {
                spec.withdraw = true;
                i += 1;
                continue;
            }
            other => return err(format!("unknown route attribute {other}")),
        }
        i += 2;
    }
    apply_path_id(spec, path_id);
    Ok(i)
}

fn apply_path_id(spec: &mut RouteSpec, path_id: Option<u32>) {
    if path_id.is_some() {
        for k in &mut spec.nlris {
            k.path_id = path_id;
        }
    }
}

fn prefix(s: &str) -> Result<RouteKey, CommandError> {
    RouteKey::parse_prefix(s).ok_or(CommandError(format!("bad prefix {s}")))
}

fn selector(toks: &[String]) -> Result<(Selector, usize), CommandError> {
    // toks[0] == "neighbor"
    let mut s = Selector::default();
    let ip = toks
        .get(1)
        .ok_or(CommandError("neighbor expects an address".into()))?;
    if ip != "*" {
        s.peer = Some(
            ip.parse()
                .map_err(|_| CommandError(format!("bad neighbor {ip}")))?,
        );
    }
    let mut i = 2;
    while i < toks.len() {
        let v = toks.get(i + 1);
        let bad = || CommandError(format!("bad value for {}", toks[i]));
        match toks[i].as_str() {
            "local-ip" => s.local_ip = Some(v.and_then(|v| v.parse().ok()).ok_or_else(bad)?),
            "local-as" => s.local_as = Some(v.and_then(|v| v.parse().ok()).ok_or_else(bad)?),
            "peer-as" => s.peer_as = Some(v.and_then(|v| v.parse().ok()).ok_or_else(bad)?),
            "router-id" => s.router_id = Some(v.and_then(|v| v.parse().ok()).ok_or_else(bad)?),
            "family-allowed" => {}
            _ => return Ok((s, i)),
        }
        i += 2;
    }
    Ok((s, i))
}

/// Parse one line a process wrote.
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command {
            selectors: vec![],
            action: Action::Comment,
        });
    }
    let mut toks = tokens(line);
    let mut selectors = Vec::new();
    while toks.first().map(String::as_str) == Some("neighbor") {
        let (s, used) = selector(&toks)?;
        selectors.push(s);
        toks.drain(..used);
        if toks.first().map(String::as_str) == Some(",") {
            toks.remove(0);
        }
    }
    let t: Vec<&str> = toks.iter().map(String::as_str).collect();
    let action = match t.as_slice() {
        ["announce" | "withdraw", "route", p, ..] => {
            let mut spec = RouteSpec {
                nlris: vec![prefix(p)?],
                attrs: RouteAttrs::default(),
                withdraw: false,
                watchdog: None,
            };
            attributes(&toks[3..], &mut spec)?;
            if t[0] == "announce" {
                Action::Announce(spec)
            } else {
                Action::Withdraw(spec)
            }
        }
        ["announce" | "withdraw", "attribute" | "attributes", ..] => {
            let mut spec = RouteSpec {
                nlris: vec![],
                attrs: RouteAttrs::default(),
                withdraw: false,
                watchdog: None,
            };
            let at = attributes(&toks[2..], &mut spec)? + 2;
            if t.get(at) != Some(&"nlri") {
                return err("announce attributes expects nlri");
            }
            for p in &t[at + 1..] {
                spec.nlris.push(prefix(p)?);
            }
            if t[0] == "announce" {
                Action::Announce(spec)
            } else {
                Action::Withdraw(spec)
            }
        }
        ["announce", "eor"] => Action::EndOfRib(None),
        ["announce", "eor", afi, safi] => Action::EndOfRib(Some(
            Family::from_names(afi, safi).ok_or(CommandError("unknown family".into()))?,
        )),
        ["announce", "route-refresh", afi, safi] => Action::RouteRefresh(
            Family::from_names(afi, safi).ok_or(CommandError("unknown family".into()))?,
        ),
        ["announce", "watchdog", name] => Action::Watchdog {
            name: name.to_string(),
            announce: true,
        },
        ["withdraw", "watchdog", name] => Action::Watchdog {
            name: name.to_string(),
            announce: false,
        },
        ["flush", "adj-rib", "out"] => Action::FlushAdjRibOut,
        ["clear", "adj-rib", "out"] => Action::ClearAdjRibOut,
        ["clear", "adj-rib", "in"] => Action::ClearAdjRibIn,
        ["teardown", code] => Action::Teardown(
            code.parse()
                .map_err(|_| CommandError("teardown expects a subcode".into()))?,
        ),
        ["shutdown"] => Action::Shutdown,
        ["reload"] => Action::Reload,
        ["restart"] => Action::Restart,
        ["version"] => Action::Version,
        ["enable-ack"] => Action::EnableAck,
        ["disable-ack"] => Action::DisableAck,
        ["silence-ack"] => Action::SilenceAck,
        _ => return err(format!("unknown command: {line}")),
    };
    Ok(Command { selectors, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announce_route() {
        let c = parse("announce route 10.0.0.0/24 next-hop 1.2.3.4 local-preference 200 community [65000:1 65000:2]").unwrap();
        let Action::Announce(spec) = c.action else {
            panic!()
        };
        assert_eq!(spec.attrs.local_pref, Some(200));
        assert_eq!(spec.attrs.communities.len(), 2);
    }

    #[test]
    fn selectors_and_attributes() {
        let c = parse("neighbor 127.0.0.1 local-as 1 announce attributes next-hop self nlri 10.0.0.0/24 10.0.1.0/24").unwrap();
        assert_eq!(c.selectors.len(), 1);
        assert_eq!(c.selectors[0].local_as, Some(1));
        let Action::Announce(spec) = c.action else {
            panic!()
        };
        assert_eq!(spec.nlris.len(), 2);
        assert_eq!(spec.attrs.next_hop, NextHop::SelfAddr);
    }

    #[test]
    fn errors() {
        assert!(parse("announce route 10.0.0.0/33 next-hop 1.1.1.1").is_err());
        assert!(parse("frobnicate").is_err());
        assert_eq!(parse("# hi").unwrap().action, Action::Comment);
    }
}
