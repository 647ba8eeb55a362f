//! What the speaker sends, built with `ferrobgp_wire`: the OPEN for a neighbor's
//! configuration (capabilities in ExaBGP's order), the per-neighbor outbound rules applied to
//! a route's attributes (RFC 4271 §5.1 as ExaBGP applies it: eBGP gets [local AS] when no
//! AS_PATH is written, LOCAL_PREF only towards iBGP with ExaBGP's default of 100,
//! `next-hop self`), and thin helpers around wire's
//! message encoders. No byte layout is decided here: wire's `UpdateBuilder`,
//! `encode_open`, `encode_notification`… do that.

use std::net::IpAddr;

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::model::{
    AddPathMode, Afi, AsPath, AsSegment, Capability, GracefulRestartFamily, Notification, Open,
    Origin, RouteRefresh, SegmentType, SessionContext, AS_TRANS,
};
use ferrobgp_wire::{Family, PathAttributes};

use crate::rib::RouteAttrs;
use crate::setup::NeighborConfig;

/// A NOTIFICATION without data.
pub fn notification(code: u8, subcode: u8) -> Notification {
    Notification::new(code, subcode, Bytes::new())
}

pub fn encode_notification(n: &Notification) -> Bytes {
    let mut b = BytesMut::with_capacity(21 + n.data.len());
    ferrobgp_wire::encode_notification(n, &mut b);
    b.freeze()
}

pub fn keepalive() -> Bytes {
    let mut b = BytesMut::with_capacity(19);
    ferrobgp_wire::encode_keepalive(&mut b);
    b.freeze()
}

/// ROUTE-REFRESH (subtype 0 normal, 1 BoRR, 2 EoRR; RFC 2918, RFC 7313).
pub fn route_refresh(family: Family, subtype: u8) -> Bytes {
    let mut b = BytesMut::with_capacity(23);
    ferrobgp_wire::encode_route_refresh(&RouteRefresh { family, subtype }, &mut b);
    b.freeze()
}

/// An `announce operational …` as ExaBGP sends it (`exabgp.bgp.message.operational`): a query
/// or reply without a router-id carries the local one. The parser makes queries and replies
/// carry a sequence number. `None` when the counter does not fit its 4 bytes.
pub fn operational(
    m: &ferrobgp_api::command::Operational,
    local_id: std::net::Ipv4Addr,
) -> Option<Bytes> {
    use ferrobgp_api::command::OperationalKind as K;
    use ferrobgp_wire::operational::{code, OperationalData, OperationalMessage};
    let router_id = m.router_id.unwrap_or(local_id);
    let sequence = m.sequence.unwrap_or(1);
    let text = m.advisory.as_deref().unwrap_or("");
    let query = |c| OperationalMessage {
        code: c,
        family: m.family,
        data: OperationalData::Query {
            router_id,
            sequence,
        },
    };
    let counter = u32::try_from(m.counter.unwrap_or(0)).ok()?;
    let reply = |c| OperationalMessage {
        code: c,
        family: m.family,
        data: OperationalData::Reply {
            router_id,
            sequence,
            counter,
        },
    };
    let msg = match m.kind {
        K::Adm => OperationalMessage::advisory(code::ADM, m.family, text),
        K::Asm => OperationalMessage::advisory(code::ASM, m.family, text),
        K::Rpcq => query(code::RPCQ),
        K::Apcq => query(code::APCQ),
        K::Lpcq => query(code::LPCQ),
        K::Rpcp => reply(code::RPCP),
        K::Apcp => reply(code::APCP),
        K::Lpcp => reply(code::LPCP),
    };
    let mut b = BytesMut::new();
    msg.encode(&mut b);
    Some(b.freeze())
}

pub fn end_of_rib(family: Family) -> Bytes {
    let mut b = BytesMut::with_capacity(30);
    ferrobgp_wire::encode_end_of_rib(family, &mut b);
    b.freeze()
}

pub fn encode_open(o: &Open) -> Bytes {
    let mut b = BytesMut::with_capacity(128);
    ferrobgp_wire::encode_open(o, &mut b);
    b.freeze()
}

/// The OPEN ExaBGP sends for this neighbor. Capability order is ExaBGP's
/// (`Capabilities.new`): multiprotocol, ASN4, extended next hop, add-path, graceful restart,
/// route refresh, operational, extended message, hostname, software version, link-local next
/// hop, multi-session.
/// The families ADD-PATH is offered for, in this order, as ExaBGP does: those whose NLRI
/// carry a path identifier in the owned model. The other families' NLRI (flow, VPLS, MVPN,
/// MUP, EVPN, BGP-LS, ...) are written without one, so offering it for them would make a
/// peer mis-frame them.
const ADD_PATH_FAMILIES: [Family; 6] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family::IPV4_MPLS_LABEL,
    Family::IPV6_MPLS_LABEL,
    Family::IPV4_MPLS_VPN,
    Family::IPV6_MPLS_VPN,
];

pub fn build_open(cfg: &NeighborConfig, software_version: &str) -> Open {
    let c = &cfg.capability;
    let mut caps = Vec::new();
    for f in &cfg.families {
        caps.push(Capability::Multiprotocol(*f));
    }
    if c.asn4 {
        caps.push(Capability::FourOctetAsn(cfg.local_as));
    }
    if !c.nexthop.is_empty() {
        caps.push(Capability::ExtendedNextHop(c.nexthop.clone()));
    }
    if c.add_path != 0 {
        // `add-path` in the capability block without a per-family list covers every family.
        let fams = if cfg.add_path_families.is_empty() {
            &cfg.families
        } else {
            &cfg.add_path_families
        };
        let mode = AddPathMode::from_u8(c.add_path).unwrap_or(AddPathMode::Both);
        caps.push(Capability::AddPath(
            ADD_PATH_FAMILIES
                .iter()
                .filter(|f| fams.contains(f))
                .map(|f| (*f, mode))
                .collect(),
        ));
    }
    if let Some(t) = c.graceful_restart {
        caps.push(Capability::GracefulRestart {
            flags: 0,
            time: t & 0x0fff,
            families: cfg
                .families
                .iter()
                .map(|f| GracefulRestartFamily {
                    family: *f,
                    flags: 0x80,
                })
                .collect(),
        });
    }
    if c.route_refresh {
        caps.push(Capability::RouteRefresh);
        caps.push(Capability::EnhancedRouteRefresh);
    }
    if c.operational {
        caps.push(Capability::Unknown {
            code: 185,
            value: Bytes::new(),
        });
    }
    if c.extended_message {
        caps.push(Capability::ExtendedMessage);
    }
    if let Some(h) = &cfg.host_name {
        caps.push(Capability::Fqdn {
            host: h.clone(),
            domain: cfg.domain_name.clone().unwrap_or_default(),
        });
    }
    if c.software_version {
        caps.push(Capability::SoftwareVersion(software_version.to_string()));
    }
    if c.link_local_nexthop {
        caps.push(Capability::LinkLocalNextHop);
    }
    if c.multi_session {
        caps.push(Capability::MultiSession {
            cisco: false,
            value: Bytes::from_static(&[1]),
        });
    }
    Open {
        version: 4,
        my_as: u16::try_from(cfg.local_as).unwrap_or(AS_TRANS),
        hold_time: cfg.hold_time,
        bgp_id: cfg.router_id,
        capabilities: caps,
    }
}

/// Families an OPEN offers; none offered means IPv4 unicast (RFC 4760 §8).
pub fn open_families(o: &Open) -> Vec<Family> {
    let v: Vec<Family> = o
        .capabilities
        .iter()
        .filter_map(|c| match c {
            Capability::Multiprotocol(f) => Some(*f),
            _ => None,
        })
        .collect();
    if v.is_empty() {
        vec![Family::IPV4_UNICAST]
    } else {
        v
    }
}

pub fn has_capability(o: &Open, code: u8) -> bool {
    o.capabilities.iter().any(|c| c.code() == code)
}

/// How one session's UPDATEs are built.
#[derive(Debug, Clone)]
pub struct PeerRules {
    pub ibgp: bool,
    pub local_as: u32,
    pub local_addr: Option<IpAddr>,
    /// Our link-local address, when both sides sent the link-local next hop capability.
    pub link_local: Option<std::net::Ipv6Addr>,
    pub ctx: SessionContext,
}

/// The attributes sent to this peer for a route (RFC 4271 §5.1, ExaBGP's defaults).
pub fn outbound_attributes(a: &RouteAttrs, rules: &PeerRules) -> PathAttributes {
    let mut p = a.path.clone();
    // ExaBGP writes standard communities sorted and without repeats.
    p.communities.sort_unstable();
    p.communities.dedup();
    p.extended_communities.sort_by_key(|c| c.0);
    p.extended_communities.dedup();
    if p.origin.is_none() {
        p.origin = Some(Origin::Igp);
    }
    // ExaBGP compatibility: towards an external peer an AS_PATH given in the configuration
    // or a command goes out as written (ExaBGP's users write the whole path, their own AS
    // included), and only an absent one becomes [local AS]. Seen with ExaBGP 5.0.15 against
    // BIRD and GoBGP (qa/interop, ebgp-ipv4); RFC 4271 §5.1.2's prepend is the user's to write.
    let path = match p.as_path.take() {
        Some(path) => path,
        None if !rules.ibgp => AsPath {
            segments: vec![AsSegment {
                kind: SegmentType::Sequence,
                asns: vec![rules.local_as],
            }],
        },
        None => AsPath { segments: vec![] },
    };
    p.as_path = Some(path);
    if a.next_hop_self {
        p.next_hop = rules.local_addr;
    }
    if matches!(p.next_hop, Some(IpAddr::V6(_))) && p.next_hop_link_local.is_none() {
        p.next_hop_link_local = rules.link_local;
    }
    if rules.ibgp {
        p.local_pref = Some(p.local_pref.unwrap_or(100));
    } else {
        p.local_pref = None;
    }
    p
}

/// ADAPTER until wire's `write_mp_next_hop` knows it: ExaBGP sends an IPv4 next hop of an
/// IPv6 MUP route as an IPv4-mapped IPv6 address (16 octets, so no NEXT_HOP attribute),
/// conf-srv6-mup.ci; wire writes IPv4 next hops in 4 octets whatever the AFI, which is right
/// for the other families (extended-nexthop.ci, conf-mvpn.ci).
pub fn exabgp_mup_next_hop(family: Family, a: &mut PathAttributes) {
    if family.afi == Afi::IPV6 && family.safi == ferrobgp_wire::model::Safi::MUP {
        if let Some(IpAddr::V4(v4)) = a.next_hop {
            a.next_hop = Some(IpAddr::V6(v4.to_ipv6_mapped()));
        }
    }
}

/// The next hop's AFI, for RFC 8950 checks and logs.
pub fn afi_of(ip: IpAddr) -> Afi {
    if ip.is_ipv4() {
        Afi::IPV4
    } else {
        Afi::IPV6
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn rules(ibgp: bool) -> PeerRules {
        PeerRules {
            ibgp,
            local_as: 65001,
            local_addr: Some("192.0.2.1".parse().unwrap()),
            link_local: Some(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
            ctx: SessionContext::default(),
        }
    }

    #[test]
    fn ebgp_keeps_a_written_as_path_and_drops_local_pref() {
        let mut a = RouteAttrs::default();
        a.path.local_pref = Some(200);
        a.path.as_path = Some(AsPath::sequence(vec![65002]));
        let p = outbound_attributes(&a, &rules(false));
        assert_eq!(p.origin, Some(Origin::Igp));
        assert_eq!(p.as_path.unwrap().segments[0].asns, vec![65002]);
        assert_eq!(p.local_pref, None);
    }

    #[test]
    fn ebgp_without_as_path_sends_the_local_as() {
        let p = outbound_attributes(&RouteAttrs::default(), &rules(false));
        let path = p.as_path.unwrap();
        assert_eq!(path.segments.len(), 1);
        assert_eq!(path.segments[0].kind, SegmentType::Sequence);
        assert_eq!(path.segments[0].asns, vec![65001]);
    }

    #[test]
    fn ibgp_local_pref_default_and_next_hop_self() {
        let a = RouteAttrs {
            next_hop_self: true,
            ..Default::default()
        };
        let p = outbound_attributes(&a, &rules(true));
        assert_eq!(p.local_pref, Some(100));
        assert_eq!(p.as_path.unwrap().segments.len(), 0);
        assert_eq!(p.next_hop, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(p.next_hop_link_local, None, "IPv4 next hop: no link-local");
    }

    #[test]
    fn link_local_follows_a_global_ipv6_next_hop() {
        let mut a = RouteAttrs::default();
        a.path.next_hop = Some("2001:db8::1".parse().unwrap());
        let p = outbound_attributes(&a, &rules(true));
        assert_eq!(p.next_hop_link_local, rules(true).link_local);
    }

    #[test]
    fn open_without_add_path_families_covers_every_family() {
        let mut n = NeighborConfig::new(
            "192.0.2.2".parse().unwrap(),
            1,
            1,
            "1.1.1.1".parse().unwrap(),
        );
        n.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        n.capability.add_path = 3;
        let o = build_open(&n, "x");
        assert!(o.capabilities.iter().any(|c| matches!(c,
            Capability::AddPath(v) if v.len() == 2)));
    }

    /// ExaBGP offers ADD-PATH only for unicast, labeled unicast and VPN, in that order,
    /// whatever the configuration lists: the other families' NLRI go out without a path id.
    #[test]
    fn add_path_only_for_the_families_exabgp_offers_it_for() {
        let mut n = NeighborConfig::new(
            "192.0.2.2".parse().unwrap(),
            1,
            1,
            "1.1.1.1".parse().unwrap(),
        );
        n.families = vec![
            Family::L2VPN_VPLS,
            Family::IPV6_UNICAST,
            Family::IPV4_MCAST_VPN,
            Family::IPV4_FLOW,
            Family::IPV4_UNICAST,
        ];
        n.capability.add_path = 3;
        let o = build_open(&n, "x");
        let fams: Vec<Family> = o
            .capabilities
            .iter()
            .find_map(|c| match c {
                Capability::AddPath(v) => Some(v.iter().map(|(f, _)| *f).collect()),
                _ => None,
            })
            .unwrap();
        assert_eq!(fams, vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    }
}
