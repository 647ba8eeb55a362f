//! From `ferrobgp_config`'s typed configuration to what the speaker runs ([`crate::setup`]).
//!
//! The CLI calls [`from_config`] after parsing, and again on reload, then hands the result to
//! `Speaker::new` / `Input::Reload`. Attributes the core models itself (origin, AS_PATH,
//! next hop, MED, LOCAL_PREF, atomic aggregate, communities) are taken as values; every other
//! attribute is encoded once here by `ferrobgp_wire` and kept as wire bytes.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use bytes::BytesMut;
use ferrobgp_config as cfg;
use ferrobgp_wire::model::{Nlri, PathAttributes, SessionContext};

use crate::rib::{AsSegment, Family, NextHop, RawAttr, RouteAttrs, RouteKey, RouteSpec};
use crate::setup::{
    self, ApiConfig, CapabilityConfig, MessageFlags, NeighborConfig, ProcessConfig,
};
use crate::CoreError;

fn family(f: ferrobgp_wire::model::Family) -> Family {
    Family::new(f.afi.0, f.safi.0)
}

fn flags(m: &cfg::config::MessageSelection) -> MessageFlags {
    MessageFlags {
        parsed: m.parsed,
        packets: m.packets,
        open: m.open,
        update: m.update,
        notification: m.notification,
        keepalive: m.keepalive,
        refresh: m.refresh,
        operational: m.operational,
    }
}

/// The attributes the core does not model, wire-encoded (sorted by type code).
fn other_attributes(a: &PathAttributes) -> Vec<RawAttr> {
    let rest = PathAttributes {
        origin: None,
        as_path: None,
        next_hop: None,
        med: None,
        local_pref: None,
        atomic_aggregate: false,
        communities: Vec::new(),
        ..a.clone()
    };
    let ctx = SessionContext {
        asn4: true,
        ..Default::default()
    };
    let mut out = BytesMut::new();
    ferrobgp_wire::encode::encode_attributes(&rest, &ctx, false, &mut out);
    let mut v = Vec::new();
    let mut p = &out[..];
    while p.len() >= 3 {
        let (fl, code) = (p[0], p[1]);
        let (len, hdr) = if fl & 0x10 != 0 && p.len() >= 4 {
            (u16::from_be_bytes([p[2], p[3]]) as usize, 4)
        } else {
            (p[2] as usize, 3)
        };
        if p.len() < hdr + len {
            break;
        }
        v.push(RawAttr {
            flags: fl,
            code,
            value: p[hdr..hdr + len].to_vec().into_boxed_slice(),
        });
        p = &p[hdr + len..];
    }
    v
}

/// One configured route; `None` for NLRI kinds the core does not originate yet.
pub fn route(r: &cfg::route::RouteSpec) -> Option<RouteSpec> {
    let a = &r.attributes;
    let mut nlris = Vec::new();
    for n in &r.nlri {
        match n {
            Nlri::Prefix { prefix, path_id } => {
                let mut k = RouteKey::prefix(prefix.addr(), prefix.prefix_len(), *path_id);
                k.family = family(r.family);
                nlris.push(k);
            }
            _ => return None,
        }
    }
    let attrs = RouteAttrs {
        origin: a.origin.map(|o| o as u8),
        as_path: a
            .as_path
            .as_ref()
            .map(|p| {
                p.segments
                    .iter()
                    .map(|s| AsSegment {
                        kind: s.kind as u8,
                        asns: s.asns.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        next_hop: if r.next_hop_self {
            NextHop::SelfAddr
        } else {
            a.next_hop.map(NextHop::Ip).unwrap_or(NextHop::None)
        },
        med: a.med,
        local_pref: a.local_pref,
        atomic_aggregate: a.atomic_aggregate,
        communities: a.communities.clone(),
        other: other_attributes(a),
    };
    Some(RouteSpec {
        nlris,
        attrs,
        withdraw: r.withdraw,
        watchdog: r.watchdog.clone(),
    })
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
        nc.hold_time = n.hold_time;
        nc.passive = n.passive;
        nc.listen = n.listen;
        nc.connect = n.connect;
        nc.description = n.description.clone();
        nc.md5_password = n.md5_password.clone();
        nc.outgoing_ttl = n.outgoing_ttl;
        nc.group_updates = n.group_updates;
        nc.manual_eor = n.manual_eor;
        nc.adj_rib_out = n.adj_rib_out;
        nc.host_name = n.host_name.clone();
        nc.domain_name = n.domain_name.clone();
        nc.families = n.families.iter().map(|f| family(*f)).collect();
        nc.add_path_families = n.add_path.iter().map(|f| family(f.family)).collect();
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
                n.nexthop
                    .iter()
                    .map(|(f, nh)| (f.afi.0, f.safi.0, nh.0))
                    .collect()
            } else {
                Vec::new()
            },
        };
        nc.api = n
            .api
            .iter()
            .map(|a| {
                let mut processes = a.processes.clone();
                // processes-match: names matched as plain prefixes/equality (no regex engine here).
                for pat in &a.processes_match {
                    for p in &config.processes {
                        let hit = p.name == *pat
                            || pat.trim_end_matches(".*").is_empty()
                            || p.name.starts_with(pat.trim_end_matches(".*"));
                        if hit && !processes.contains(&p.name) {
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
        for r in &n.routes {
            match route(r) {
                Some(spec) => nc.routes.push(spec),
                None => {
                    tracing::warn!(neighbor = %n.address, "route family not originated by the core yet; skipped")
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
        json_version: version.unwrap_or_else(|| "5.0.0".into()),
    };
    let _: Option<IpAddr> = None;
    Ok((out, e))
}
