//! From `ferrobgp_config`'s typed configuration to what the speaker runs ([`crate::setup`]).
//!
//! The CLI calls [`from_config`] after parsing, and again on reload, then hands the result to
//! `Speaker::new` / `Input::Reload`. Routes keep wire's owned model (`Nlri`,
//! `PathAttributes`) as the configuration parsed it; the UPDATEs are built from them by wire's
//! `UpdateBuilder` when a session is up.

use std::net::Ipv4Addr;
use std::path::Path;

use ferrobgp_config as cfg;

use crate::rib::{RouteAttrs, RouteKey, RouteSpec};
use crate::setup::{
    self, ApiConfig, CapabilityConfig, MessageFlags, NeighborConfig, ProcessConfig,
};
use crate::CoreError;

fn flags(m: &cfg::config::MessageSelection) -> MessageFlags {
    MessageFlags {
        parsed: m.parsed,
        packets: m.packets,
        consolidate: m.consolidate,
        open: m.open,
        update: m.update,
        notification: m.notification,
        keepalive: m.keepalive,
        refresh: m.refresh,
        operational: m.operational,
    }
}

/// One configured route (any family wire's owned model has: prefixes, labeled, VPN, flow,
/// raw NLRI such as VPLS).
pub fn route(r: &cfg::route::RouteSpec) -> RouteSpec {
    // ExaBGP sends communities sorted and without repeats: normalise once, so that the same
    // route written in another order is the same interned attribute set.
    let mut path = r.attributes.clone();
    path.communities.sort_unstable();
    path.communities.dedup();
    path.extended_communities.sort_by_key(|c| c.0);
    path.extended_communities.dedup();
    RouteSpec {
        nlris: r
            .nlri
            .iter()
            .map(|n| RouteKey::new(r.family, n.clone()))
            .collect(),
        attrs: RouteAttrs {
            path,
            next_hop_self: r.next_hop_self,
        },
        withdraw: r.withdraw,
        watchdog: r.watchdog.clone(),
    }
}

/// `processes-match` patterns: the regular expressions ExaBGP's configurations use (`^add`,
/// `name$`, `.*`, a plain name), searched in the name as Python's `re.search` does. There is no
/// regex engine in the workspace; anything else is matched literally.
fn simple_match(pat: &str, name: &str) -> bool {
    let (anchored, p) = match pat.strip_prefix('^') {
        Some(p) => (true, p),
        None => (false, pat),
    };
    let (end, p) = match p.strip_suffix('$') {
        Some(p) => (true, p),
        None => (false, p),
    };
    let p = p.trim_end_matches(".*");
    let (p, any_prefix) = match p.strip_prefix(".*") {
        Some(p) => (p, true),
        None => (p, false),
    };
    let anchored = anchored && !any_prefix;
    match (anchored, end) {
        (true, true) => name == p,
        (true, false) => name.starts_with(p),
        (false, true) => name.ends_with(p),
        (false, false) => name.contains(p),
    }
}

/// Convert a parsed configuration and environment. `exabgp_version` is the `exabgp_version`
/// setting when present (the harness sets it; it names the software-version capability).
pub fn from_config(
    config: &cfg::Config,
    env: &cfg::env::Environment,
) -> Result<(setup::Config, setup::Environment), CoreError> {
    let config_dir = config
        .source
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = setup::Config {
        config_dir,
        ..Default::default()
    };
    for p in &config.processes {
        out.processes.push(ProcessConfig {
            name: p.name.clone(),
            argv: p.run.clone(),
            encoder: match p.encoder {
                Some(cfg::config::Encoder::Text) => setup::Encoder::Text,
                Some(cfg::config::Encoder::Json) => setup::Encoder::Json,
                None => match env.api_encoder {
                    cfg::env::EncoderKind::Text => setup::Encoder::Text,
                    cfg::env::EncoderKind::Json => setup::Encoder::Json,
                },
            },
            respawn: Some(p.respawn && env.api_respawn),
        });
    }
    for n in &config.neighbors {
        let bad = |reason: &str| CoreError::Neighbor {
            neighbor: n.address,
            reason: reason.into(),
        };
        let local_as = n
            .local_as
            .and_then(|a| a.value())
            .ok_or_else(|| bad("local-as missing"))?;
        let peer_as = n.peer_as.and_then(|a| a.value()).unwrap_or(0);
        let router_id = n.effective_router_id().unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut nc = NeighborConfig::new(n.address, local_as, peer_as, router_id);
        nc.local_address = n.local_address.and_then(|a| a.value());
        nc.local_link_local = n.local_link_local;
        nc.hold_time = n.hold_time;
        nc.passive = n.passive;
        nc.listen = n.listen;
        nc.connect = n.connect;
        nc.description = n.description.clone();
        nc.md5_password = n.md5_password.clone();
        nc.outgoing_ttl = n.outgoing_ttl;
        nc.incoming_ttl = n.incoming_ttl;
        nc.group_updates = n.group_updates;
        nc.manual_eor = n.manual_eor;
        nc.auto_flush = n.auto_flush;
        nc.adj_rib_in = n.adj_rib_in;
        // ExaBGP turns the Adj-RIB-Out back on when route refresh is offered: a peer may then
        // ask for the routes again, and they must be known.
        nc.adj_rib_out = n.adj_rib_out || n.capability.route_refresh;
        if !n.adj_rib_out && n.capability.route_refresh {
            tracing::warn!(
                neighbor = %n.address,
                "route-refresh enabled but adj-rib-out disabled: adj-rib-out enabled"
            );
        }
        nc.host_name = n.host_name.clone();
        nc.domain_name = n.domain_name.clone();
        nc.families = n.families.clone();
        nc.add_path_families = n.add_path.iter().map(|f| f.family).collect();
        let c = &n.capability;
        nc.capability = CapabilityConfig {
            asn4: c.asn4,
            route_refresh: c.route_refresh,
            graceful_restart: c.graceful_restart_time(n.hold_time),
            add_path: c.add_path.map_or(0, |m| m as u8),
            extended_message: c.extended_message,
            software_version: c.software_version,
            link_local_nexthop: c.link_local_nexthop,
            multi_session: c.multi_session,
            operational: c.operational,
            nexthop: if c.nexthop {
                n.nexthop.iter().map(|(f, nh)| (*f, *nh)).collect()
            } else {
                Vec::new()
            },
        };
        nc.api = n
            .api
            .iter()
            .map(|a| {
                let mut processes = a.processes.clone();
                for pat in &a.processes_match {
                    for p in &config.processes {
                        if simple_match(pat, &p.name) && !processes.contains(&p.name) {
                            processes.push(p.name.clone());
                        }
                    }
                }
                ApiConfig {
                    processes,
                    neighbor_changes: a.neighbor_changes,
                    negotiated: a.negotiated,
                    fsm: a.fsm,
                    signal: a.signal,
                    receive: flags(&a.receive),
                    send: flags(&a.send),
                }
            })
            .collect();
        nc.routes.extend(n.routes.iter().map(route));
        for st in &n.operational {
            // The block's statements are the API's `announce operational` words.
            const PREFIX: &str = "announce operational ";
            match ferrobgp_api::command::parse_command(&format!("{PREFIX}{}", st.text)) {
                Ok(ferrobgp_api::command::Command::Operational { message, .. }) => {
                    nc.operational.push(message)
                }
                Ok(_) => {
                    return Err(bad(&format!(
                        "line {}:{}: not an operational message",
                        st.pos.line, st.pos.column
                    )))
                }
                Err(e) => {
                    let at = st.pos_at(e.column().saturating_sub(1 + PREFIX.len()));
                    let why = e.to_string();
                    let why = why.split_once(": ").map_or(why.as_str(), |(_, w)| w);
                    return Err(bad(&format!(
                        "line {}:{}: operational: {why}",
                        at.line, at.column
                    )));
                }
            }
        }
        out.neighbors.push(nc);
    }
    let version = env
        .raw
        .get("version")
        .or_else(|| env.raw.get("exabgp.version"))
        .cloned();
    let e = setup::Environment {
        tcp_port: env.tcp_port,
        tcp_bind: env.tcp_bind.clone(),
        tcp_attempts: if env.tcp_once && env.tcp_attempts == 0 {
            1
        } else {
            env.tcp_attempts
        },
        bgp_passive: env.bgp_passive,
        open_wait: env.bgp_openwait.min(u16::MAX as u32) as u16,
        api_ack: env.api_ack,
        api_respawn: env.api_respawn,
        api_terminate: env.api_terminate,
        software_version: match &version {
            Some(v) => format!("ExaBGP/{v}"),
            None => setup::Environment::default().software_version,
        },
        // The `exabgp` field of JSON events is the API's format version (5.0.0 for API 4,
        // 6.0.0 for API 6), not the software version.
        json_version: ferrobgp_api::event::json_version_for_api(
            env.api_version.min(u8::MAX as u32) as u8,
        )
        .to_string(),
        ..setup::Environment::default()
    };
    Ok((out, e))
}
