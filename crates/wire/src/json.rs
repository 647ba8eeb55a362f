//! ExaBGP-compatible JSON rendering of decoded messages.
//!
//! Documents are written straight into a `Vec<u8>` (no intermediate `serde_json::Value`, no
//! per-prefix allocation); `serde_json` is used by the tests to compare them semantically with
//! ExaBGP's output. Keys and shapes follow ExaBGP 5/6 (`exabgp decode` and the API encoder):
//!
//! ```text
//! {"exabgp":"6.0.0","time":…,"host":…,"pid":…,"ppid":…,"counter":1,"type":"update",
//!  "neighbor":{"address":{"local":…,"peer":…},"asn":{"local":…,"peer":…},"router-id":…,
//!   "direction":"in","message":{"update":{"attribute":{…},"announce":{…},"withdraw":{…}}}}}
//! ```
//!
//! The API reuses [`write_envelope`] with direction `receive` / `send` for live events.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use crate::flowspec::FlowNlri;
use crate::model::{
    AsPath, Capability, Family, Labels, Nlri, Notification, Open, PathAttributes, RouteRefresh,
    SegmentType,
};

/// Appends `s` to `out` with JSON string escaping (no surrounding quotes).
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => {
                out.extend_from_slice(&bytes[start..i]);
                let _ = write!(out, "\\u{b:04x}");
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    escape_into(out, k);
    out.extend_from_slice(b"\":");
}

fn display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    out.push(b'"');
    let _ = write!(out, "{v}");
    out.push(b'"');
}

/// `"a.b.c.d/len"` written digit by digit (the formatter costs more than the rest of a
/// route's JSON); IPv6 through `Display`.
fn write_prefix(out: &mut Vec<u8>, p: &ipnet::IpNet) {
    fn small(out: &mut Vec<u8>, v: u8) {
        if v >= 100 {
            out.push(b'0' + v / 100);
        }
        if v >= 10 {
            out.push(b'0' + (v / 10) % 10);
        }
        out.push(b'0' + v % 10);
    }
    match p {
        ipnet::IpNet::V4(n) => {
            out.push(b'"');
            for (i, o) in n.addr().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                small(out, o);
            }
            out.push(b'/');
            small(out, n.prefix_len());
            out.push(b'"');
        }
        ipnet::IpNet::V6(_) => display(out, p),
    }
}

fn num(out: &mut Vec<u8>, v: u64) {
    crate::extcommunity::write_u64(out, v);
}

/// The peer an event is about, and which way the message went.
#[derive(Debug, Clone, Copy)]
pub struct Neighbor<'a> {
    pub local_address: IpAddr,
    pub peer_address: IpAddr,
    pub local_asn: u32,
    pub peer_asn: u32,
    pub router_id: Ipv4Addr,
    /// `in` for `decode`, `receive` or `send` for live API events.
    pub direction: &'a str,
}

impl Default for Neighbor<'_> {
    /// What `exabgp decode` prints: 127.0.0.1 both ends, AS 65533 both ends, direction `in`.
    fn default() -> Self {
        Neighbor {
            local_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            peer_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            local_asn: 65533,
            peer_asn: 65533,
            router_id: Ipv4Addr::LOCALHOST,
            direction: "in",
        }
    }
}

/// The header ExaBGP puts on every event.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// ExaBGP's JSON format version: "5.0.0" or "6.0.0".
    pub version: &'a str,
    /// Seconds since the epoch.
    pub time: f64,
    pub host: &'a str,
    pub pid: u32,
    pub ppid: u32,
    pub counter: u64,
    /// `update`, `open`, `notification`, `refresh`, `keepalive`, …
    pub kind: &'a str,
}

/// Writes `{"exabgp":…,"type":…,"neighbor":{…,"direction":…,` followed by `body` (which
/// writes the message part: `"message":{…}` or `"open":{…}`), then closes both objects.
pub fn write_envelope(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    body: impl FnOnce(&mut Vec<u8>),
) {
    out.extend_from_slice(b"{\"exabgp\":");
    string(out, env.version);
    out.extend_from_slice(b",\"time\":");
    let _ = write!(out, "{}", if env.time.is_finite() { env.time } else { 0.0 });
    out.extend_from_slice(b",\"host\":");
    string(out, env.host);
    out.extend_from_slice(b",\"pid\":");
    num(out, env.pid.into());
    out.extend_from_slice(b",\"ppid\":");
    num(out, env.ppid.into());
    out.extend_from_slice(b",\"counter\":");
    num(out, env.counter);
    out.extend_from_slice(b",\"type\":");
    string(out, env.kind);
    out.extend_from_slice(b",\"neighbor\":{\"address\":{\"local\":");
    display(out, neighbor.local_address);
    out.extend_from_slice(b",\"peer\":");
    display(out, neighbor.peer_address);
    out.extend_from_slice(b"},\"asn\":{\"local\":");
    num(out, neighbor.local_asn.into());
    out.extend_from_slice(b",\"peer\":");
    num(out, neighbor.peer_asn.into());
    out.extend_from_slice(b"},\"router-id\":");
    display(out, neighbor.router_id);
    out.extend_from_slice(b",\"direction\":");
    string(out, neighbor.direction);
    out.push(b',');
    body(out);
    out.extend_from_slice(b"}}");
}

// ------------------------------------------------------------------------------------ UPDATE

/// Writes the attribute object (`{"origin":"igp",…}`).
/// `next_hop_in_attributes` adds `"next-hop"` (ExaBGP shows it there when nothing is announced).
pub fn write_attributes(out: &mut Vec<u8>, a: &PathAttributes, next_hop_in_attributes: bool) {
    out.push(b'{');
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b',');
        }
        first = false;
    };
    if let Some(o) = a.origin {
        sep(out);
        key(out, "origin");
        string(out, o.name());
    }
    if let Some(p) = a.as_path.as_ref().filter(|p| !p.segments.is_empty()) {
        sep(out);
        key(out, "as-path");
        write_as_path(out, p);
    }
    if next_hop_in_attributes {
        if let Some(nh) = a.next_hop {
            sep(out);
            key(out, "next-hop");
            display(out, nh);
        }
    }
    if let Some(m) = a.med {
        sep(out);
        key(out, "med");
        num(out, m.into());
    }
    if let Some(l) = a.local_pref {
        sep(out);
        key(out, "local-preference");
        num(out, l.into());
    }
    if a.atomic_aggregate {
        sep(out);
        key(out, "atomic-aggregate");
        out.extend_from_slice(b"true");
    }
    if let Some(ag) = a.aggregator {
        sep(out);
        key(out, "aggregator");
        display(out, format_args!("{}:{}", ag.asn, ag.ip));
    }
    if !a.communities.is_empty() {
        sep(out);
        key(out, "community");
        out.push(b'[');
        for (i, c) in a.communities.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            num(out, (c >> 16).into());
            out.push(b',');
            num(out, (c & 0xFFFF).into());
            out.push(b']');
        }
        out.push(b']');
    }
    if let Some(o) = a.originator_id {
        sep(out);
        key(out, "originator-id");
        display(out, o);
    }
    if !a.cluster_list.is_empty() {
        sep(out);
        key(out, "cluster-list");
        out.push(b'[');
        for (i, c) in a.cluster_list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            display(out, c);
        }
        out.push(b']');
    }
    if !a.extended_communities.is_empty() {
        sep(out);
        key(out, "extended-community");
        out.push(b'[');
        for (i, c) in a.extended_communities.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            c.write_json(out);
        }
        out.push(b']');
    }
    if !a.ipv6_extended_communities.is_empty() {
        sep(out);
        key(out, "extended-community-ipv6");
        out.push(b'[');
        for (i, c) in a.ipv6_extended_communities.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            c.write_json(out);
        }
        out.push(b']');
    }
    if let Some(aigp) = a.aigp {
        sep(out);
        key(out, "aigp");
        num(out, aigp);
    }
    if !a.large_communities.is_empty() {
        sep(out);
        key(out, "large-community");
        out.push(b'[');
        for (i, c) in a.large_communities.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, "[{},{},{}]", c[0], c[1], c[2]);
        }
        out.push(b']');
    }
    if let Some(otc) = a.otc {
        sep(out);
        key(out, "otc");
        num(out, otc.into());
    }
    for u in &a.unknown {
        sep(out);
        if u.code == crate::model::attr_code::PREFIX_SID
            && crate::prefix_sid::write_attribute_json(out, &u.value)
        {
            continue;
        }
        if u.code == crate::srpolicy::TUNNEL_ENCAPSULATION
            && crate::srpolicy::write_attribute_json(out, &u.value)
        {
            continue;
        }
        if u.code == crate::mvpn::PMSI_TUNNEL
            && crate::mvpn::PmsiTunnel::write_attribute_json(out, &u.value)
        {
            continue;
        }
        if u.code == crate::bgpls::BGP_LS_ATTRIBUTE
            && crate::bgpls::write_attribute_json(out, &u.value)
        {
            continue;
        }
        // ExaBGP's generic attribute: "attribute-0xCODE-0xFLAGS": "0xHEX"
        let _ = write!(out, "\"attribute-0x{:02X}-0x{:02X}\":\"0x", u.code, u.flags);
        for b in u.value.iter() {
            let _ = write!(out, "{b:02X}");
        }
        out.push(b'"');
    }
    out.push(b'}');
}

/// `{"0": {"element": "as-sequence", "value": [65001]}, …}`
pub fn write_as_path(out: &mut Vec<u8>, p: &AsPath) {
    out.push(b'{');
    for (i, s) in p.segments.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let element = match s.kind {
            SegmentType::Sequence => "as-sequence",
            SegmentType::Set => "as-set",
            SegmentType::ConfedSequence => "confed-sequence",
            SegmentType::ConfedSet => "confed-set",
        };
        let _ = write!(out, "\"{i}\":{{\"element\":\"{element}\",\"value\":[");
        for (j, asn) in s.asns.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            num(out, (*asn).into());
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b'}');
}

/// ExaBGP's `[[value, raw]]` label list: the 20-bit label and the 24-bit word with the
/// bottom-of-stack bit on the last entry.
fn write_labels(out: &mut Vec<u8>, labels: &Labels) {
    out.push(b'[');
    let n = labels.0.len();
    for (i, &l) in labels.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let raw = if l > 0xF_FFFF {
            l
        } else {
            (l << 4) | u32::from(i + 1 == n)
        };
        let _ = write!(out, "[{},{}]", raw >> 4, raw);
    }
    out.push(b']');
}

fn write_path_id(out: &mut Vec<u8>, id: Option<u32>) {
    if let Some(id) = id {
        out.extend_from_slice(b",\"path-information\":");
        display(out, Ipv4Addr::from(id));
    }
}

/// Writes one NLRI object as it appears in `announce` / `withdraw`.
pub fn write_nlri(out: &mut Vec<u8>, family: Family, n: &Nlri) {
    write_nlri_with_next_hop(out, family, n, None)
}

/// As [`write_nlri`], for an announcement with `next_hop` (BGP-LS node and prefix NLRI show
/// it, as ExaBGP does).
pub fn write_nlri_with_next_hop(
    out: &mut Vec<u8>,
    family: Family,
    n: &Nlri,
    next_hop: Option<std::net::IpAddr>,
) {
    let ipv6 = family.afi == crate::model::Afi::IPV6;
    match n {
        Nlri::Prefix { prefix, path_id } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, prefix);
            write_path_id(out, *path_id);
            out.push(b'}');
        }
        Nlri::Labeled {
            prefix,
            labels,
            path_id,
        } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, prefix);
            write_path_id(out, *path_id);
            out.extend_from_slice(b",\"label\":");
            write_labels(out, labels);
            out.push(b'}');
        }
        Nlri::Vpn {
            rd,
            labels,
            prefix,
            path_id,
        } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, prefix);
            write_path_id(out, *path_id);
            out.extend_from_slice(b",\"label\":");
            write_labels(out, labels);
            out.extend_from_slice(b",\"rd\":");
            display(out, rd);
            out.push(b'}');
        }
        Nlri::Flow { rd, rule } => rule.write_json(ipv6, rd.as_ref().map(|r| &r.0), out),
        Nlri::Raw { family, bytes } => {
            let vpn = family.safi == crate::model::Safi::FLOW_VPN;
            if family.safi == crate::model::Safi::FLOW || vpn {
                if let Ok((v, _)) = FlowNlri::parse(bytes, ipv6, vpn) {
                    v.write_json(out);
                    return;
                }
            }
            if write_family_nlri(out, *family, bytes, next_hop) {
                return;
            }
            out.extend_from_slice(b"{\"raw\":\"");
            for b in bytes.iter() {
                let _ = write!(out, "{b:02X}");
            }
            out.extend_from_slice(b"\"}");
        }
    }
}

/// The families with their own modules (VPLS, MVPN, MUP, ...): ExaBGP's object for one
/// NLRI held as wire bytes. False (nothing written) when the family is not one of them or
/// the bytes do not parse.
fn write_family_nlri(
    out: &mut Vec<u8>,
    family: Family,
    bytes: &[u8],
    next_hop: Option<std::net::IpAddr>,
) -> bool {
    use crate::model::Safi;
    match family.safi {
        Safi::VPLS => match crate::vpls::Vpls::parse(bytes) {
            Some(v) => v.write_json(out),
            None => return false,
        },
        Safi::MCAST_VPN => match crate::mvpn::Mvpn::parse(bytes) {
            Some(v) => v.write_json(bytes, out),
            None => return false,
        },
        Safi::BGP_LS | Safi::BGP_LS_VPN => {
            let vpn = family.safi == Safi::BGP_LS_VPN;
            return crate::bgpls::write_nlri_json(bytes, vpn, next_hop, out);
        }
        Safi::RTC => match crate::rtc::Rtc::parse(bytes) {
            Some(v) => v.write_json(out),
            None => return false,
        },
        Safi::SR_POLICY => match crate::srpolicy::SrPolicy::parse(bytes) {
            Some(v) => v.write_json(out),
            None => return false,
        },
        Safi::EVPN => match crate::evpn::Evpn::parse(bytes) {
            Some(v) => v.write_json(bytes, out),
            None => return false,
        },
        Safi::MUP => match crate::mup::Mup::parse(bytes, family.afi) {
            Some(v) => v.write_json(bytes, out),
            None => return false,
        },
        _ => return false,
    }
    true
}

/// Writes `{"update":{"attribute":{…},"announce":{…},"withdraw":{…}}}`, or
/// `{"eor":{"afi":…,"safi":…}}` for an End-of-RIB marker — ExaBGP's `message` object.
///
/// `announced` / `withdrawn` are grouped by family (and announcements by next hop) in the
/// order families first appear. `attributes.next_hop` is the next hop of the announcements.
pub fn write_update_message(
    out: &mut Vec<u8>,
    attributes: &PathAttributes,
    withdrawn: &[(Family, Nlri)],
    announced: &[(Family, Nlri)],
    end_of_rib: Option<Family>,
) {
    if let Some(f) = end_of_rib {
        out.extend_from_slice(b"{\"eor\":{\"afi\":");
        display(out, f.afi);
        out.extend_from_slice(b",\"safi\":");
        display(out, f.safi);
        out.extend_from_slice(b"}}");
        return;
    }
    out.extend_from_slice(b"{\"update\":{");
    let has_attributes = *attributes != PathAttributes::default();
    let mut first = true;
    if has_attributes {
        out.extend_from_slice(b"\"attribute\":");
        // ExaBGP shows a NEXT_HOP attribute among the attributes when nothing is announced
        // (api-mvpn.ci withdrawals).
        write_attributes(
            out,
            attributes,
            announced.is_empty() && !withdrawn.is_empty(),
        );
        first = false;
    }
    if !announced.is_empty() {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(b"\"announce\":{");
        for (fi, fam) in families(announced).enumerate() {
            if fi > 0 {
                out.push(b',');
            }
            display(out, crate::bgpls::exabgp_family(fam));
            out.extend_from_slice(b":{");
            match attributes.next_hop {
                Some(nh) => display(out, nh),
                None => out.extend_from_slice(b"\"no-nexthop\""),
            }
            out.extend_from_slice(b":[");
            write_list(out, fam, announced, attributes.next_hop);
            out.extend_from_slice(b"]}");
        }
        out.push(b'}');
    }
    if !withdrawn.is_empty() {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"withdraw\":{");
        for (fi, fam) in families(withdrawn).enumerate() {
            if fi > 0 {
                out.push(b',');
            }
            display(out, crate::bgpls::exabgp_family(fam));
            out.extend_from_slice(b":[");
            write_list(out, fam, withdrawn, None);
            out.push(b']');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"}}");
}

/// ExaBGP's `[[value, raw]]` label list from the wire's label stack entries, as
/// [`write_labels`] writes the owned form (a withdrawn route's 0x800000 or 0 is no label).
fn write_wire_labels(out: &mut Vec<u8>, labels: &[u8]) {
    if labels.len() == 3 {
        let w = u32::from_be_bytes([0, labels[0], labels[1], labels[2]]);
        if w == Labels::WITHDRAW_COMPAT || w == 0 {
            out.extend_from_slice(b"[]");
            return;
        }
    }
    out.push(b'[');
    let n = labels.len() / 3;
    for (i, l) in crate::nlri::label_values(labels).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let raw = (l << 4) | u32::from(i + 1 == n);
        let _ = write!(out, "[{l},{raw}]");
    }
    out.push(b']');
}

/// One NLRI object from its view, as [`write_nlri_with_next_hop`] writes the owned form,
/// without allocating (unicast, labeled, VPN, flow and the families with their own modules).
pub fn write_nlri_view(
    out: &mut Vec<u8>,
    family: Family,
    n: &crate::nlri::NlriView<'_>,
    next_hop: Option<IpAddr>,
) {
    use crate::model::{Afi, Safi};
    use crate::nlri::NlriView;
    match *n {
        NlriView::Prefix { path_id, prefix } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, &prefix);
            write_path_id(out, path_id);
            out.push(b'}');
        }
        NlriView::Labeled {
            path_id,
            labels,
            prefix,
        } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, &prefix);
            write_path_id(out, path_id);
            out.extend_from_slice(b",\"label\":");
            write_wire_labels(out, labels);
            out.push(b'}');
        }
        NlriView::Vpn {
            path_id,
            labels,
            rd,
            prefix,
        } => {
            out.extend_from_slice(b"{\"nlri\":");
            write_prefix(out, &prefix);
            write_path_id(out, path_id);
            out.extend_from_slice(b",\"label\":");
            write_wire_labels(out, labels);
            out.extend_from_slice(b",\"rd\":");
            display(out, rd);
            out.push(b'}');
        }
        // A path identifier on flow and the families below is read off and not shown, as
        // ExaBGP does (RFC 7911 §3; it offers ADD-PATH for none of them, `ferrobgp decode
        // -i` can still meet one).
        NlriView::Flow { wire, .. } => {
            let vpn = family.safi == Safi::FLOW_VPN;
            match FlowNlri::parse(wire, family.afi == Afi::IPV6, vpn) {
                Ok((v, _)) => v.write_json(out),
                Err(_) => write_raw(out, wire),
            }
        }
        NlriView::Other { wire, .. } => {
            if !write_family_nlri(out, family, wire, next_hop) {
                write_raw(out, wire);
            }
        }
    }
}

fn write_raw(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"{\"raw\":\"");
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out.extend_from_slice(b"\"}");
}

/// Writes ExaBGP's `message` object of a received UPDATE straight from the view: the same
/// JSON as [`write_update_message`] of [`crate::UpdateView::to_update`], with the attributes
/// built once and every route written from the NLRI iterators (no allocation per route).
pub fn write_update_view(out: &mut Vec<u8>, u: &crate::update::UpdateView) {
    write_update_view_shape(out, u, false)
}

/// As [`write_update_view`] in the shape of ExaBGP's API version 4 (its `json:` lines): an
/// announced flow route also carries its `"next-hop"` (version 6, `jsv6:`, has it only as the
/// group's key).
pub fn write_update_view_api4(out: &mut Vec<u8>, u: &crate::update::UpdateView) {
    write_update_view_shape(out, u, true)
}

fn write_update_view_shape(out: &mut Vec<u8>, u: &crate::update::UpdateView, api4: bool) {
    if let Some(f) = u.end_of_rib() {
        write_update_message(out, &PathAttributes::default(), &[], &[], Some(f));
        return;
    }
    let attributes = u.path_attributes();
    let reach = u.mp_reach();
    let unreach = u.mp_unreach();
    let classic_ann = u.nlri().next().is_some();
    let mp_ann = reach
        .as_ref()
        .is_some_and(|r| r.nlri.clone().next().is_some());
    let classic_wd = u.withdrawn().next().is_some();
    let mp_wd = unreach
        .as_ref()
        .is_some_and(|r| r.nlri.clone().next().is_some());
    let (announced, withdrawn) = (classic_ann || mp_ann, classic_wd || mp_wd);
    out.extend_from_slice(b"{\"update\":{");
    let mut first = true;
    if attributes != PathAttributes::default() {
        out.extend_from_slice(b"\"attribute\":");
        write_attributes(out, &attributes, !announced && withdrawn);
        first = false;
    }
    let v4 = Family::IPV4_UNICAST;
    // Families in the order they first appear: the classic fields, then the MP attribute's
    // (joined when it is IPv4 unicast too).
    let write_group = |out: &mut Vec<u8>,
                       classic: Option<crate::nlri::NlriIter<'_>>,
                       mp: Option<(Family, crate::nlri::NlriIter<'_>)>,
                       nh: Option<IpAddr>,
                       announce: bool| {
        let mut groups = 0;
        let same = mp.as_ref().is_some_and(|(f, _)| *f == v4);
        let mut item = 0;
        let open_group = |out: &mut Vec<u8>, fam: Family, groups: &mut usize| {
            if *groups > 0 {
                out.push(b',');
            }
            *groups += 1;
            display(out, crate::bgpls::exabgp_family(fam));
            out.push(b':');
            if announce {
                out.push(b'{');
                match nh {
                    Some(nh) => display(out, nh),
                    None => out.extend_from_slice(b"\"no-nexthop\""),
                }
                out.push(b':');
            }
            out.push(b'[');
        };
        let close_group = |out: &mut Vec<u8>| {
            out.push(b']');
            if announce {
                out.push(b'}');
            }
        };
        if let Some(it) = classic {
            open_group(out, v4, &mut groups);
            for n in it {
                if item > 0 {
                    out.push(b',');
                }
                item += 1;
                write_nlri_view(out, v4, &n, nh);
                if api4 && announce {
                    flow_next_hop(out, v4, nh);
                }
            }
            if !same {
                close_group(out);
            }
        }
        if let Some((fam, it)) = mp {
            if !(same && groups > 0) {
                open_group(out, fam, &mut groups);
                item = 0;
            }
            for n in it {
                if item > 0 {
                    out.push(b',');
                }
                item += 1;
                write_nlri_view(out, fam, &n, nh);
                if api4 && announce {
                    flow_next_hop(out, fam, nh);
                }
            }
            close_group(out);
        }
    };
    if announced {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(b"\"announce\":{");
        write_group(
            out,
            classic_ann.then(|| u.nlri()),
            reach.filter(|_| mp_ann).map(|r| (r.family, r.nlri)),
            attributes.next_hop,
            true,
        );
        out.push(b'}');
    }
    if withdrawn {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"withdraw\":{");
        write_group(
            out,
            classic_wd.then(|| u.withdrawn()),
            unreach.filter(|_| mp_wd).map(|r| (r.family, r.nlri)),
            None,
            false,
        );
        out.push(b'}');
    }
    out.extend_from_slice(b"}}");
}

/// API version 4: `"next-hop"` inside an announced flow route's object (just written).
fn flow_next_hop(out: &mut Vec<u8>, family: Family, nh: Option<IpAddr>) {
    use crate::model::Safi;
    let flow = matches!(family.safi, Safi::FLOW | Safi::FLOW_VPN);
    if let (true, Some(nh), Some(b'}')) = (flow, nh, out.last()) {
        out.pop();
        out.extend_from_slice(b",\"next-hop\":");
        display(out, nh);
        out.push(b'}');
    }
}

/// A whole `update` event line for a received UPDATE, from its view (see
/// [`write_update_view`]).
pub fn update_view_event(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    u: &crate::update::UpdateView,
) {
    write_envelope(out, env, neighbor, |out| {
        out.extend_from_slice(b"\"message\":");
        write_update_view(out, u);
    });
}

/// As [`update_view_event`] in the shape of ExaBGP's API version 4 (see
/// [`write_update_view_api4`]).
pub fn update_view_event_api4(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    u: &crate::update::UpdateView,
) {
    write_envelope(out, env, neighbor, |out| {
        out.extend_from_slice(b"\"message\":");
        write_update_view_api4(out, u);
    });
}

fn families(list: &[(Family, Nlri)]) -> impl Iterator<Item = Family> + '_ {
    let mut seen: Vec<Family> = Vec::new();
    list.iter().filter_map(move |(f, _)| {
        if seen.contains(f) {
            None
        } else {
            seen.push(*f);
            Some(*f)
        }
    })
}

fn write_list(
    out: &mut Vec<u8>,
    fam: Family,
    list: &[(Family, Nlri)],
    next_hop: Option<std::net::IpAddr>,
) {
    let mut first = true;
    for (f, n) in list {
        if *f != fam {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_nlri_with_next_hop(out, fam, n, next_hop);
    }
}

// -------------------------------------------------------------------- OPEN / NOTIFICATION

fn family_slash(out: &mut Vec<u8>, f: Family) {
    display(out, format_args!("{}/{}", f.afi, f.safi));
}

/// Writes `"open":{"version":4,"asn":…,"hold_time":…,"router_id":…,"capabilities":{…}}`
/// (ExaBGP puts it next to `direction`, not inside `message`).
pub fn write_open(out: &mut Vec<u8>, open: &Open) {
    out.extend_from_slice(b"\"open\":{\"version\":");
    num(out, open.version.into());
    out.extend_from_slice(b",\"asn\":");
    num(out, open.asn().into());
    out.extend_from_slice(b",\"hold_time\":");
    num(out, open.hold_time.into());
    out.extend_from_slice(b",\"router_id\":");
    display(out, open.bgp_id);
    out.extend_from_slice(b",\"capabilities\":{");
    let mut first = true;
    let mut done_codes: Vec<u8> = Vec::new();
    for cap in &open.capabilities {
        let code = cap.code();
        if done_codes.contains(&code) {
            continue;
        }
        done_codes.push(code);
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = write!(out, "\"{code}\":");
        match cap {
            Capability::Multiprotocol(_) => {
                out.extend_from_slice(b"{\"name\":\"multiprotocol\",\"families\":[");
                let mut f1 = true;
                for c in &open.capabilities {
                    if let Capability::Multiprotocol(f) = c {
                        if !f1 {
                            out.push(b',');
                        }
                        f1 = false;
                        family_slash(out, *f);
                    }
                }
                out.extend_from_slice(b"]}");
            }
            Capability::RouteRefresh => out.extend_from_slice(b"{\"name\":\"route-refresh\"}"),
            Capability::RouteRefreshCisco => {
                out.extend_from_slice(b"{\"name\":\"route-refresh\",\"variant\":\"cisco\"}")
            }
            Capability::EnhancedRouteRefresh => {
                out.extend_from_slice(b"{\"name\":\"enhanced-route-refresh\"}")
            }
            Capability::FourOctetAsn(a) => {
                let _ = write!(out, "{{\"name\":\"asn4\",\"asn4\":{a}}}");
            }
            Capability::AddPath(list) => {
                out.extend_from_slice(b"{\"name\":\"addpath\"");
                for (f, mode) in list {
                    out.push(b',');
                    family_slash(out, *f);
                    out.push(b':');
                    let m = match (mode.receives(), mode.sends()) {
                        (true, true) => "send/receive",
                        (true, false) => "receive",
                        (false, true) => "send",
                        _ => "disabled",
                    };
                    string(out, m);
                }
                out.push(b'}');
            }
            Capability::GracefulRestart {
                flags,
                time,
                families,
            } => {
                let _ = write!(
                    out,
                    "{{\"name\":\"graceful-restart\",\"time\":{time},\"restart-flags\":{flags},\"families\":{{"
                );
                for (i, g) in families.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    family_slash(out, g.family);
                    let _ = write!(out, ":{}", g.flags);
                }
                out.extend_from_slice(b"}}");
            }
            Capability::ExtendedMessage => {
                out.extend_from_slice(b"{\"name\":\"extended-message\"}")
            }
            Capability::ExtendedNextHop(list) => {
                out.extend_from_slice(b"{\"name\":\"nexthop\"");
                for (f, nh) in list {
                    out.push(b',');
                    family_slash(out, *f);
                    out.push(b':');
                    display(out, nh);
                }
                out.push(b'}');
            }
            Capability::Fqdn { host, domain } => {
                out.extend_from_slice(b"{\"name\":\"hostname\",\"host-name\":");
                string(out, host);
                out.extend_from_slice(b",\"domain-name\":");
                string(out, domain);
                out.push(b'}');
            }
            Capability::SoftwareVersion(s) => {
                out.extend_from_slice(b"{\"software\":");
                string(out, s);
                out.push(b'}');
            }
            Capability::MultiSession { .. } => {
                out.extend_from_slice(b"{\"name\":\"multisession\"}")
            }
            Capability::LinkLocalNextHop => {
                out.extend_from_slice(b"{\"name\":\"link-local-nexthop\"}")
            }
            Capability::Unknown { value, .. } => {
                out.extend_from_slice(b"{\"name\":\"unknown\",\"raw\":\"");
                for b in value.iter() {
                    let _ = write!(out, "{b:02X}");
                }
                out.extend_from_slice(b"\"}");
            }
        }
    }
    out.extend_from_slice(b"}}");
}

/// Writes `"notification":{"code":…,"subcode":…,"data":"hex","message":…}`.
pub fn write_notification(out: &mut Vec<u8>, n: &Notification) {
    let _ = write!(
        out,
        "\"notification\":{{\"code\":{},\"subcode\":{},\"data\":\"",
        n.code, n.subcode
    );
    for b in n.data.iter() {
        let _ = write!(out, "{b:02X}");
    }
    out.extend_from_slice(b"\",\"message\":");
    let mut msg = format!("{} / {}", n.code_name(), n.subcode_name());
    if let Some(s) = n.shutdown_communication() {
        let _ = write!(msg, " / {s}");
    }
    string(out, &msg);
    out.push(b'}');
}

/// Writes `"route-refresh":{"afi":…,"safi":…,"subtype":…}`.
pub fn write_route_refresh(out: &mut Vec<u8>, r: &RouteRefresh) {
    out.extend_from_slice(b"\"route-refresh\":{\"afi\":");
    display(out, r.family.afi);
    out.extend_from_slice(b",\"safi\":");
    display(out, r.family.safi);
    let sub = match r.subtype {
        RouteRefresh::BORR => "begin",
        RouteRefresh::EORR => "end",
        _ => "refresh",
    };
    out.extend_from_slice(b",\"subtype\":");
    string(out, sub);
    out.push(b'}');
}

/// A whole `update` event line: envelope plus `"message":{…}`.
pub fn update_event(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    attributes: &PathAttributes,
    withdrawn: &[(Family, Nlri)],
    announced: &[(Family, Nlri)],
    end_of_rib: Option<Family>,
) {
    write_envelope(out, env, neighbor, |out| {
        out.extend_from_slice(b"\"message\":");
        write_update_message(out, attributes, withdrawn, announced, end_of_rib);
    });
}

/// A whole `open` event line.
pub fn open_event(out: &mut Vec<u8>, env: &Envelope, neighbor: &Neighbor, open: &Open) {
    write_envelope(out, env, neighbor, |out| write_open(out, open));
}

/// A whole `notification` event line.
pub fn notification_event(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    n: &Notification,
) {
    write_envelope(out, env, neighbor, |out| write_notification(out, n));
}

/// A whole `refresh` event line.
pub fn refresh_event(out: &mut Vec<u8>, env: &Envelope, neighbor: &Neighbor, r: &RouteRefresh) {
    write_envelope(out, env, neighbor, |out| write_route_refresh(out, r));
}

/// ExaBGP's `type` for a message.
pub fn message_kind(msg: &crate::message::Message) -> &'static str {
    use crate::message::Message;
    match msg {
        Message::Open(_) => "open",
        Message::Update(_) => "update",
        Message::Notification(_) => "notification",
        Message::Keepalive => "keepalive",
        Message::RouteRefresh(_) => "refresh",
    }
}

/// One whole event line for a decoded message (`env.kind` is replaced by the message's type).
pub fn message_event(
    out: &mut Vec<u8>,
    env: &Envelope,
    neighbor: &Neighbor,
    msg: &crate::message::Message,
) {
    use crate::message::Message;
    let env = Envelope {
        kind: message_kind(msg),
        ..*env
    };
    match msg {
        Message::Open(o) => open_event(out, &env, neighbor, o),
        Message::Update(u) => update_view_event(out, &env, neighbor, u),
        Message::Notification(n) => notification_event(out, &env, neighbor, n),
        Message::RouteRefresh(r) => refresh_event(out, &env, neighbor, r),
        Message::Keepalive => write_envelope(out, &env, neighbor, |out| {
            out.pop(); // no body: drop the comma after "direction"
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_written_by_hand_as_display() {
        for p in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.168.100.7/32",
            "255.255.255.255/32",
            "1.20.199.0/24",
            "2001:db8::/32",
        ] {
            let p: ipnet::IpNet = p.parse().unwrap();
            let mut v = Vec::new();
            write_prefix(&mut v, &p);
            assert_eq!(String::from_utf8(v).unwrap(), format!("\"{p}\""));
        }
    }

    #[test]
    fn escapes() {
        let mut v = Vec::new();
        escape_into(&mut v, "a\"b\\c\n\u{1}é");
        assert_eq!(std::str::from_utf8(&v).unwrap(), "a\\\"b\\\\c\\n\\u0001é");
    }

    #[test]
    fn unicast_update_shape() {
        let a = PathAttributes {
            origin: Some(crate::model::Origin::Igp),
            med: Some(200),
            local_pref: Some(100),
            next_hop: Some("101.1.101.1".parse().unwrap()),
            ..Default::default()
        };
        let n = Nlri::Prefix {
            prefix: "1.1.1.1/32".parse().unwrap(),
            path_id: None,
        };
        let mut out = Vec::new();
        let env = Envelope {
            version: "5.0.0",
            time: 0.0,
            host: "h",
            pid: 1,
            ppid: 1,
            counter: 1,
            kind: "update",
        };
        update_event(
            &mut out,
            &env,
            &Neighbor::default(),
            &a,
            &[],
            &[(Family::IPV4_UNICAST, n)],
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["neighbor"]["message"]["update"]["announce"]["ipv4 unicast"]["101.1.101.1"][0]
                ["nlri"],
            "1.1.1.1/32"
        );
        assert_eq!(v["neighbor"]["message"]["update"]["attribute"]["med"], 200);
    }
}
