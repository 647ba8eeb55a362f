//! Decoding for readable diffs and the `json:` checks, through ferrobgp-wire.
//!
//! The harness builds and frames its own bytes (see [`crate::msg`]); ferrobgp-wire is only
//! used to *show* messages and to render the JSON the `json:` rules pin. Where it cannot
//! decode a message, the structural description of [`crate::msg::describe`] is shown instead.

use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use ferrobgp_wire::json::{
    notification_event, open_event, refresh_event, update_view_event_api4, write_envelope,
    Envelope, Neighbor,
};
use ferrobgp_wire::{decode_message, decode_open, Family, Message, SessionContext};
use serde_json::Value;

use crate::msg;

/// The session context ExaBGP's cases run with: 4-octet AS numbers and extended messages on
/// (ExaBGP advertises both and the test peer mirrors its OPEN), ADD-PATH both ways in the
/// unicast, labelled and VPN families when `add_path` (the configuration asks for it).
pub fn exabgp_context(add_path: bool) -> SessionContext {
    let mut ctx = SessionContext {
        asn4: true,
        extended_message: true,
        // ExaBGP's peers may send IPv4 NLRI with IPv6 next hops (RFC 8950), which wire
        // only accepts once negotiated.
        extended_next_hop: [
            Family::IPV4_UNICAST,
            Family::IPV4_MULTICAST,
            Family::IPV4_MPLS_LABEL,
            Family::IPV4_MPLS_VPN,
        ]
        .iter()
        .map(|f| (*f, ferrobgp_wire::Afi::IPV6))
        .collect(),
        ..Default::default()
    };
    if add_path {
        let families = [
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_MPLS_VPN,
            Family::IPV6_MPLS_VPN,
            Family::IPV4_MPLS_LABEL,
            Family::IPV6_MPLS_LABEL,
        ];
        ctx.add_path_receive = families.to_vec();
        ctx.add_path_send = families.to_vec();
    }
    ctx
}

/// The context negotiated from the daemon's OPEN and the one we answered with (whole
/// messages), or `None` if either does not decode.
pub fn negotiated(daemon_open: &[u8], our_open: &[u8]) -> Option<SessionContext> {
    let theirs = decode_open(daemon_open.get(msg::HEADER_LEN..)?).ok()?;
    let ours = decode_open(our_open.get(msg::HEADER_LEN..)?).ok()?;
    Some(SessionContext::negotiate(&ours, &theirs))
}

/// Lines describing a message for the side-by-side diff: ferrobgp-wire's JSON, pretty
/// printed, when it decodes; the structural description otherwise.
pub fn pretty(message: &[u8], ctx: &SessionContext) -> Vec<String> {
    let mut lines = msg::describe(message);
    if let Some(Ok(mut value)) = to_json(message, ctx, None) {
        strip_volatile(&mut value);
        if let Some(Value::Object(n)) = value.get_mut("neighbor") {
            // The session's addresses are the same on both sides of a diff: show the message.
            n.remove("address");
            n.remove("asn");
            n.remove("router-id");
            n.remove("direction");
        }
        if let Ok(text) = serde_json::to_string_pretty(&value) {
            lines.truncate(1);
            lines.extend(text.lines().map(str::to_string));
        }
    }
    lines
}

/// The JSON ExaBGP writes when it decodes `message` (whole, header included). The neighbor
/// fields (addresses, AS numbers, router-id, direction) are session facts, not message
/// content: they are taken from `expected`'s `neighbor` object when given. `None` when
/// there is no decoder (kept so the harness can run on raw bytes alone).
pub fn to_json(
    message: &[u8],
    ctx: &SessionContext,
    expected: Option<&Value>,
) -> Option<Result<Value, String>> {
    let decoded = match decode_message(Bytes::copy_from_slice(message), ctx) {
        Ok(m) => m,
        Err(e) => return Some(Err(format!("ferrobgp-wire cannot decode it: {e}"))),
    };
    let n = expected.and_then(|v| v.get("neighbor"));
    let field = |path: &[&str]| -> Option<&Value> {
        let mut v = n?;
        for p in path {
            v = v.get(*p)?;
        }
        Some(v)
    };
    let ip = |path: &[&str], default: IpAddr| {
        field(path)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let asn = |path: &[&str]| {
        field(path)
            .and_then(Value::as_u64)
            .map(|a| a as u32)
            .unwrap_or(65533)
    };
    let direction = field(&["direction"])
        .and_then(Value::as_str)
        .unwrap_or("in")
        .to_string();
    let neighbor = Neighbor {
        local_address: ip(&["address", "local"], IpAddr::V4(Ipv4Addr::LOCALHOST)),
        peer_address: ip(&["address", "peer"], IpAddr::V4(Ipv4Addr::LOCALHOST)),
        local_asn: asn(&["asn", "local"]),
        peer_asn: asn(&["asn", "peer"]),
        router_id: field(&["router-id"])
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(Ipv4Addr::LOCALHOST),
        direction: &direction,
    };
    let mut out = Vec::new();
    let env = |kind| Envelope {
        version: "5.0.0",
        time: 0.0,
        host: "qa",
        pid: 0,
        ppid: 0,
        counter: 0,
        kind,
    };
    match &decoded {
        Message::Open(o) => open_event(&mut out, &env("open"), &neighbor, o),
        Message::Update(u) => update_view_event_api4(&mut out, &env("update"), &neighbor, u),
        Message::Notification(n) => {
            notification_event(&mut out, &env("notification"), &neighbor, n)
        }
        Message::RouteRefresh(r) => refresh_event(&mut out, &env("refresh"), &neighbor, r),
        Message::Keepalive => write_envelope(&mut out, &env("keepalive"), &neighbor, |out| {
            out.pop(); // no body: drop the comma after "direction"
        }),
    }
    Some(serde_json::from_slice(&out).map_err(|e| {
        format!(
            "ferrobgp-wire wrote invalid JSON ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    }))
}

/// Whether [`to_json`] can answer.
pub fn json_available() -> bool {
    to_json(&msg::keepalive(), &exabgp_context(false), None).is_some()
}

/// Fields that differ from run to run or between versions, ignored when comparing JSON:
/// `time`, `host`, `pid`, `ppid`, `counter`, and the `exabgp` format version.
pub const VOLATILE: &[&str] = &["time", "host", "pid", "ppid", "counter", "exabgp"];

/// Removes the volatile fields, at any depth.
pub fn strip_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in VOLATILE {
                map.remove(*key);
            }
            for v in map.values_mut() {
                strip_volatile(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

/// Compares an expected JSON document with one produced by decoding, ignoring volatile
/// fields. `Err` carries a description of the first difference.
pub fn json_matches(expected: &str, actual: &Value) -> Result<(), String> {
    let mut want: Value =
        serde_json::from_str(expected).map_err(|e| format!("expected JSON does not parse: {e}"))?;
    let mut got = actual.clone();
    strip_volatile(&mut want);
    strip_volatile(&mut got);
    match first_json_difference(&want, &got, "$") {
        None => Ok(()),
        Some(diff) => Err(diff),
    }
}

fn first_json_difference(want: &Value, got: &Value, path: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    None => return Some(format!("{path}.{k}: missing (expected {v})")),
                    Some(w) => {
                        if let Some(d) = first_json_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            b.keys()
                .find(|k| !a.contains_key(*k))
                .map(|k| format!("{path}.{k}: unexpected field ({})", b[k]))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                if let Some(d) = first_json_difference(v, w, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (a.len() != b.len())
                .then(|| format!("{path}: {} items expected, {} found", a.len(), b.len()))
        }
        _ => (want != got).then(|| format!("{path}: expected {want}, found {got}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_volatile_fields() {
        let expected = r#"{"exabgp":"6.0.0","time":1,"host":"a","pid":1,"ppid":2,"counter":3,"type":"update","neighbor":{"x":[1,2]}}"#;
        let actual: Value = serde_json::from_str(
            r#"{"exabgp":"5.0.0","time":9,"type":"update","neighbor":{"x":[1,2]}}"#,
        )
        .unwrap();
        assert_eq!(json_matches(expected, &actual), Ok(()));
        let other: Value =
            serde_json::from_str(r#"{"type":"update","neighbor":{"x":[1,3]}}"#).unwrap();
        assert_eq!(
            json_matches(expected, &other),
            Err("$.neighbor.x[1]: expected 2, found 3".into())
        );
    }
}
