//! Events sent to API processes, in ExaBGP's JSON and text shapes, one event a line.
//!
//! The encoders write into the caller's buffer (the process's output queue), so that an
//! event costs no allocation of its own. The JSON envelope is ExaBGP 5.0.15's, byte for byte
//! (`tests/exabgp_json_envelope.rs` compares it with real captures), spacing included:
//!
//! ```text
//! { "exabgp": "5.0.0", "time": 1795455247.78, "host" : "vm", "pid" : 10830, "ppid" : 10787,
//!   "counter": 5, "type": "update", "header": "0xFFFF…003002", "body": "0x0000…",
//!   "neighbor": { "address": { "local": "127.0.0.1", "peer": "127.0.0.1" },
//!                 "asn": { "local": 65000, "peer": 65000 }, "router-id": "1.2.3.4" ,
//!                 "direction": "receive", "message": { "update": { … } } } }
//! ```
//!
//! (one line). ` : ` after `host`, `pid` and `ppid` only. The raw `header` and `body` of a
//! parsed message (`consolidate`) sit at the top level after `type`, each left out when
//! empty (a KEEPALIVE has no `body`); the `packets` view keeps its own inside `message`. In
//! the neighbor object a space follows the router-id (or the AS numbers without one), then
//! `, "direction": …` for messages, then `, ` and the content, or a lone space when there is
//! none: a KEEPALIVE ends in `"direction": "receive"  } }`. The `notification` and `packets`
//! objects are followed by a space of their own (`… }  } }`).
//!
//! The message part of an UPDATE or an OPEN is ExaBGP's decode JSON, which the wire crate
//! renders; it reaches the encoder through [`MessageBody`], so it is written straight into
//! the output buffer. The `negotiated` event's lists are written as Python's `json.dumps`
//! writes them (`"families": ["ipv4 unicast"], "nexthop": [], "add_path": {"send": [],
//! "receive": []}`), as ExaBGP 5.0.15 does.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use ferrobgp_wire::operational::{code_name, OperationalData, OperationalMessage};
use ferrobgp_wire::{Family, Notification, RouteRefresh};

use crate::ack::Encoding;

/// The `exabgp` field: ExaBGP 4.x/5.x with API v4 writes `5.0.0`; `main` with API v6 writes
/// `6.0.0`.
pub const JSON_VERSION_V4: &str = "5.0.0";
pub const JSON_VERSION_V6: &str = "6.0.0";

/// The JSON format version for an `exabgp.api.version` setting (4 or 6).
pub fn json_version_for_api(api_version: u8) -> &'static str {
    if api_version >= 6 {
        JSON_VERSION_V6
    } else {
        JSON_VERSION_V4
    }
}

/// The per-daemon part of every JSON header.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonInfo {
    /// Value of the `exabgp` field, see [`json_version_for_api`].
    pub version: String,
    pub host: String,
    pub pid: u32,
    pub ppid: u32,
}

/// The neighbor an event is about, as ExaBGP prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborInfo {
    pub local_address: IpAddr,
    pub peer_address: IpAddr,
    pub local_as: u32,
    pub peer_as: u32,
    /// The `router-id` ExaBGP shows: the neighbor's configured (local) router-id, not the
    /// peer's BGP identifier (`tests/oracle/envelope-*.json`: 1.2.3.4 configured, the peer
    /// opened with 10.0.0.2). `None` leaves the member out.
    pub router_id: Option<Ipv4Addr>,
}

/// Whether a message was received from or sent to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Receive,
    Send,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Receive => "receive",
            Direction::Send => "send",
        }
    }
}

/// FSM states as the `fsm` event names them (RFC 4271 section 8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsmState {
    Idle,
    Active,
    Connect,
    OpenSent,
    OpenConfirm,
    Established,
}

impl FsmState {
    pub fn as_str(self) -> &'static str {
        match self {
            FsmState::Idle => "IDLE",
            FsmState::Active => "ACTIVE",
            FsmState::Connect => "CONNECT",
            FsmState::OpenSent => "OPENSENT",
            FsmState::OpenConfirm => "OPENCONFIRM",
            FsmState::Established => "ESTABLISHED",
        }
    }
}

/// Route refresh capability as negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshMode {
    #[default]
    Absent,
    Normal,
    Enhanced,
}

impl RefreshMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshMode::Absent => "absent",
            RefreshMode::Normal => "normal",
            RefreshMode::Enhanced => "enhanced",
        }
    }
}

/// The body of a `negotiated` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegotiatedInfo {
    pub message_size: u32,
    pub hold_time: u16,
    pub asn4: bool,
    pub multisession: bool,
    pub operational: bool,
    pub refresh: RefreshMode,
    pub families: Vec<Family>,
    /// RFC 8950 (NLRI family, next-hop AFI name).
    pub nexthop: Vec<(Family, String)>,
    pub add_path_send: Vec<Family>,
    pub add_path_receive: Vec<Family>,
}

/// The raw bytes of a message, for processes that asked for `packets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// The 19-octet header.
    pub header: &'a [u8],
    pub body: &'a [u8],
}

/// A message part rendered by someone else (the wire crate's JSON, or the route text lines
/// of the text encoder).
pub trait MessageBody {
    /// The JSON value of the message part: for an UPDATE `{ "update": { … } }` or
    /// `{ "eor": { … } }`, for an OPEN `{ "version": 4, … }`.
    fn write_json(&self, out: &mut Vec<u8>);
    /// For UPDATEs, the text encoder's lines between `update start` and `update end`, each
    /// after `prefix` (`neighbor 127.0.0.1 receive update`) and ending in `\n`: ` announced
    /// 10.0.0.0/24 next-hop 1.1.1.1 origin igp`, ` withdrawn 10.0.0.0/24`. For OPENs, the
    /// text after `open` (` version 4 asn 65000 hold_time 180 router_id 10.0.0.2
    /// capabilities [...]`), without a newline.
    fn write_text(&self, prefix: &str, out: &mut Vec<u8>);
}

/// A body already rendered to strings (tests, or a core that renders eagerly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreRendered<'a> {
    pub json: &'a str,
    /// Text lines; for an UPDATE each is prefixed and terminated by the encoder.
    pub text: &'a [&'a str],
}

impl MessageBody for PreRendered<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.json.as_bytes());
    }
    fn write_text(&self, prefix: &str, out: &mut Vec<u8>) {
        for (n, l) in self.text.iter().enumerate() {
            if !prefix.is_empty() {
                out.extend_from_slice(prefix.as_bytes());
                out.push(b' ');
                out.extend_from_slice(l.as_bytes());
                out.push(b'\n');
            } else {
                if n > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(l.as_bytes());
            }
        }
    }
}

/// One event for an API process.
pub enum Event<'a> {
    /// TCP connection established (`neighbor-changes`).
    Connected,
    /// Session Established (`neighbor-changes`).
    Up,
    /// Session went down (`neighbor-changes`).
    Down { reason: &'a str },
    /// FSM transition (`fsm`).
    Fsm { state: FsmState },
    /// Capabilities negotiated (`negotiated`).
    Negotiated(&'a NegotiatedInfo),
    Open {
        direction: Direction,
        body: &'a dyn MessageBody,
        raw: Option<RawMessage<'a>>,
    },
    /// An UPDATE, End-of-RIB included (its JSON is `{ "eor": { "afi": …, "safi": … } }`).
    Update {
        direction: Direction,
        body: &'a dyn MessageBody,
        raw: Option<RawMessage<'a>>,
    },
    Keepalive {
        direction: Direction,
        raw: Option<RawMessage<'a>>,
    },
    Notification {
        direction: Direction,
        notification: &'a Notification,
        raw: Option<RawMessage<'a>>,
    },
    Refresh {
        direction: Direction,
        refresh: RouteRefresh,
        raw: Option<RawMessage<'a>>,
    },
    /// A signal forwarded to the process (`signal`): `15`, `SIGTERM`.
    Signal { code: i32, name: &'a str },
    /// The `packets` view of any message: category is the message type code.
    Packets {
        direction: Direction,
        category: u8,
        raw: RawMessage<'a>,
    },
    /// An OPERATIONAL message (ExaBGP's type 6, `operational`). ExaBGP reports advisories,
    /// queries and counters; for any other type both encoders write nothing.
    Operational {
        direction: Direction,
        message: &'a OperationalMessage,
        raw: Option<RawMessage<'a>>,
    },
}

impl Event<'_> {
    /// The `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Connected | Event::Up | Event::Down { .. } => "state",
            Event::Fsm { .. } => "fsm",
            Event::Negotiated(_) => "negotiated",
            Event::Open { .. } => "open",
            Event::Update { .. } => "update",
            Event::Keepalive { .. } => "keepalive",
            Event::Notification { .. } => "notification",
            Event::Refresh { .. } => "refresh",
            Event::Signal { .. } => "signal",
            Event::Operational { .. } => "operational",
            Event::Packets { category, .. } => match category {
                0 => "nop",
                1 => "open",
                2 => "update",
                3 => "notification",
                4 => "keepalive",
                5 => "route-refresh",
                6 => "operational",
                _ => "unknown",
            },
        }
    }
}

/// Where and when an event happened: the envelope's variable part.
#[derive(Debug, Clone, Copy)]
pub struct EventContext<'a> {
    pub daemon: &'a DaemonInfo,
    /// Seconds since the epoch.
    pub time: f64,
    /// Per-neighbor event counter (ExaBGP counts each event it renders for a neighbor).
    pub counter: u64,
    pub neighbor: &'a NeighborInfo,
    /// The session's negotiated facts when the api block asked for `negotiated`: ExaBGP
    /// 5.0.15 then adds them to every `update` and `packets` event (json.py).
    pub negotiated: Option<&'a NegotiatedInfo>,
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn hex_upper_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    for b in bytes {
        out.push(H[(b >> 4) as usize]);
        out.push(H[(b & 15) as usize]);
    }
}

/// ExaBGP's `hexstring`: `0x` then uppercase hex.
fn hexstring_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"0x");
    hex_upper_into(out, bytes);
}

/// The envelope up to the neighbor (or the shutdown notice), ending in `, `: ExaBGP 5.0.15
/// puts a space before the colon of `host`, `pid` and `ppid` only, and the raw `header` and
/// `body` (each only when not empty) right after `type`.
fn header_json(
    out: &mut Vec<u8>,
    d: &DaemonInfo,
    time: f64,
    counter: Option<u64>,
    kind: &str,
    raw: Option<RawMessage<'_>>,
) {
    out.extend_from_slice(b"{ \"exabgp\": ");
    json_str(out, &d.version);
    out.extend_from_slice(b", \"time\": ");
    let _ = serde_json::to_writer(&mut *out, &time);
    out.extend_from_slice(b", \"host\" : ");
    json_str(out, &d.host);
    let _ = write!(out, ", \"pid\" : {}, \"ppid\" : {}, ", d.pid, d.ppid);
    if let Some(c) = counter {
        let _ = write!(out, "\"counter\": {c}, ");
    }
    out.extend_from_slice(b"\"type\": ");
    json_str(out, kind);
    out.extend_from_slice(b", ");
    if let Some(r) = raw {
        if !r.header.is_empty() {
            out.extend_from_slice(b"\"header\": \"");
            hexstring_into(out, r.header);
            out.extend_from_slice(b"\", ");
        }
        if !r.body.is_empty() {
            out.extend_from_slice(b"\"body\": \"");
            hexstring_into(out, r.body);
            out.extend_from_slice(b"\", ");
        }
    }
}

/// The `neighbor` object, `content` writing its last members (without a leading comma).
/// ExaBGP 5.0.15's spacing: a space after the router-id (or the AS numbers when there is
/// none), then `, "direction": "receive"` when there is a direction, then `, ` and the
/// content, or a lone space when the content is empty; then ` }`. So a keepalive ends in
/// `"direction": "receive"  }` and a state event reads `"router-id": "1.2.3.4" , "state": …`.
fn neighbor_json(
    out: &mut Vec<u8>,
    n: &NeighborInfo,
    direction: Option<Direction>,
    content: impl FnOnce(&mut Vec<u8>),
) {
    let _ = write!(
        out,
        "\"neighbor\": {{ \"address\": {{ \"local\": \"{}\", \"peer\": \"{}\" }}, \"asn\": {{ \"local\": {}, \"peer\": {} }}",
        n.local_address, n.peer_address, n.local_as, n.peer_as
    );
    if let Some(r) = n.router_id {
        let _ = write!(out, ", \"router-id\": \"{r}\"");
    }
    out.push(b' ');
    if let Some(d) = direction {
        out.extend_from_slice(b", \"direction\": ");
        json_str(out, d.as_str());
    }
    out.extend_from_slice(b", ");
    let before = out.len();
    content(out);
    if out.len() == before {
        // no content: the separator is a single space
        out.truncate(before - 2);
        out.push(b' ');
    }
    out.extend_from_slice(b" }");
}

/// A list of families as Python's `json.dumps` writes it: `["ipv4 unicast", "ipv6 flow"]`,
/// `[]` (ExaBGP 5.0.15's `negotiated` lists, `tests/oracle/envelope-negotiated.json`).
fn families_json(out: &mut Vec<u8>, fams: &[Family]) {
    out.push(b'[');
    for (i, f) in fams.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        json_str(out, &f.to_string());
    }
    out.push(b']');
}

/// Appends the JSON line for `event` (with its `\n`) to `out`, byte for byte as ExaBGP
/// 5.0.15 writes it (`tests/oracle/envelope-*.json`).
pub fn encode_json(ctx: &EventContext<'_>, event: &Event<'_>, out: &mut Vec<u8>) {
    let n = ctx.neighbor;
    if let Event::Operational { message, .. } = event {
        if operational_name(message).is_none() {
            return;
        }
    }
    let raw = match event {
        Event::Open { raw, .. }
        | Event::Update { raw, .. }
        | Event::Keepalive { raw, .. }
        | Event::Notification { raw, .. }
        | Event::Refresh { raw, .. }
        | Event::Operational { raw, .. } => *raw,
        _ => None,
    };
    header_json(
        out,
        ctx.daemon,
        ctx.time,
        Some(ctx.counter),
        event.kind(),
        raw,
    );
    let direction = match event {
        Event::Open { direction, .. }
        | Event::Update { direction, .. }
        | Event::Keepalive { direction, .. }
        | Event::Notification { direction, .. }
        | Event::Refresh { direction, .. }
        | Event::Packets { direction, .. }
        | Event::Operational { direction, .. } => Some(*direction),
        _ => None,
    };
    neighbor_json(out, n, direction, |out| {
        json_content(out, event, ctx.negotiated)
    });
    out.extend_from_slice(b" }\n");
}

/// The members of the neighbor object after the direction.
fn json_content(out: &mut Vec<u8>, event: &Event<'_>, negotiated: Option<&NegotiatedInfo>) {
    match event {
        Event::Connected => out.extend_from_slice(b"\"state\": \"connected\""),
        Event::Up => out.extend_from_slice(b"\"state\": \"up\""),
        Event::Down { reason } => {
            out.extend_from_slice(b"\"state\": \"down\", \"reason\": ");
            json_str_ascii(out, reason);
        }
        Event::Fsm { state } => {
            out.extend_from_slice(b"\"state\": ");
            json_str(out, state.as_str());
        }
        Event::Negotiated(neg) => negotiated_json(out, neg),
        Event::Open { body, .. } => {
            out.extend_from_slice(b"\"open\": ");
            body.write_json(out);
        }
        Event::Update { body, .. } => {
            out.extend_from_slice(b"\"message\": ");
            body.write_json(out);
            if let Some(neg) = negotiated {
                out.extend_from_slice(b", ");
                negotiated_json(out, neg);
            }
        }
        Event::Keepalive { .. } => {}
        Event::Notification { notification, .. } => {
            let _ = write!(
                out,
                "\"notification\": {{ \"code\": {}, \"subcode\": {}, \"data\": \"",
                notification.code, notification.subcode
            );
            hexstring_into(out, &notification_data(notification));
            out.extend_from_slice(b"\", \"message\": ");
            json_str_ascii(out, &notification_message(notification));
            // ExaBGP 5.0.15 leaves a space after this object
            out.extend_from_slice(b" } ");
        }
        Event::Refresh { refresh, .. } => {
            out.extend_from_slice(b"\"route-refresh\": { \"afi\": ");
            json_str(out, &refresh.family.afi.to_string());
            out.extend_from_slice(b", \"safi\": ");
            json_str(out, &refresh.family.safi.to_string());
            out.extend_from_slice(b", \"subtype\": ");
            json_str(out, refresh_subtype(refresh.subtype));
            out.extend_from_slice(b" }");
        }
        Event::Signal { code, name } => {
            out.extend_from_slice(b"\"code\": ");
            json_str(out, &code.to_string());
            out.extend_from_slice(b", \"name\": ");
            json_str(out, name);
        }
        Event::Packets { category, raw, .. } => {
            let _ = write!(
                out,
                "\"message\": {{ \"category\": {category}, \"header\": \""
            );
            hexstring_into(out, raw.header);
            out.extend_from_slice(b"\", \"body\": \"");
            hexstring_into(out, raw.body);
            // ExaBGP 5.0.15 leaves a space after this object
            out.extend_from_slice(b"\" } ");
            if let Some(neg) = negotiated {
                out.extend_from_slice(b", ");
                negotiated_json(out, neg);
            }
        }
        Event::Operational { message, .. } => operational_json(out, message),
    }
}

/// ExaBGP's `"negotiated": { … } ` member (with the space its encoder leaves after it).
fn negotiated_json(out: &mut Vec<u8>, neg: &NegotiatedInfo) {
    let _ = write!(
        out,
        "\"negotiated\": {{ \"message_size\": {}, \"hold_time\": {}, \"asn4\": {}, \"multisession\": {}, \"operational\": {}, \"refresh\": \"{}\", \"families\": ",
        neg.message_size,
        neg.hold_time,
        neg.asn4,
        neg.multisession,
        neg.operational,
        neg.refresh.as_str()
    );
    families_json(out, &neg.families);
    out.extend_from_slice(b", \"nexthop\": [");
    for (i, (f, afi)) in neg.nexthop.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        json_str(out, &format!("{f} {afi}"));
    }
    out.extend_from_slice(b"], \"add_path\": {\"send\": ");
    families_json(out, &neg.add_path_send);
    out.extend_from_slice(b", \"receive\": ");
    families_json(out, &neg.add_path_receive);
    // ExaBGP 5.0.15 leaves a space after this object
    out.extend_from_slice(b"} } ");
}

/// The line written to JSON processes when the daemon exits:
/// `{ …, "type": "notification", "notification": "shutdown" }` (no neighbor, no counter).
pub fn encode_shutdown_json(daemon: &DaemonInfo, time: f64, out: &mut Vec<u8>) {
    header_json(out, daemon, time, None, "notification", None);
    out.extend_from_slice(b"\"notification\": \"shutdown\" }\n");
}

/// What ExaBGP puts in `notification.message`: the data as text.
fn notification_message(n: &Notification) -> String {
    String::from_utf8_lossy(&notification_data(n)).into_owned()
}

/// The data ExaBGP reports for a NOTIFICATION (`Notification.__init__`): for a Cease with
/// Administrative Shutdown or Reset (6/2, 6/4) the RFC 9003 Shutdown Communication is
/// decoded into `Shutdown Communication: "…"` (or a sentence saying why it could not be),
/// and that text is what both encoders show, as hex in `data`; other data as received.
pub fn notification_data(n: &Notification) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let data: &[u8] = &n.data;
    if !(n.code == 6 && (n.subcode == 2 || n.subcode == 4)) || data.is_empty() {
        return Cow::Borrowed(data);
    }
    let hex = |b: &[u8]| {
        let mut v = Vec::new();
        hexstring_into(&mut v, b);
        String::from_utf8_lossy(&v).into_owned()
    };
    let len = data[0] as usize;
    let rest = &data[1..];
    let text = if len == 0 {
        "empty Shutdown Communication.".to_string()
    } else if rest.len() < len {
        format!(
            "invalid Shutdown Communication (buffer underrun) length : {len} [{}]",
            hex(rest)
        )
    } else if len > 128 {
        format!(
            "invalid Shutdown Communication (too large) length : {len} [{}]",
            hex(rest)
        )
    } else {
        match std::str::from_utf8(&rest[..len]) {
            Ok(m) => {
                let mut t = format!(
                    "Shutdown Communication: \"{}\"",
                    m.replace(['\r', '\n'], " ")
                );
                if rest.len() > len {
                    t.push_str(", trailing data: ");
                    t.push_str(&hex(&rest[len..]));
                }
                t
            }
            Err(_) => format!(
                "invalid Shutdown Communication (invalid UTF-8) length : {len} [{}]",
                hex(rest)
            ),
        }
    };
    Cow::Owned(text.into_bytes())
}

/// ExaBGP's name of an OPERATIONAL message it reports, `None` for the types it ignores
/// (`Operational.unpack_message` returns nothing for them).
fn operational_name(m: &OperationalMessage) -> Option<&'static str> {
    match m.data {
        OperationalData::Other(_) => None,
        _ => code_name(m.code),
    }
}

/// `"operational": { "name": "ADM", "afi": "ipv4", "safi": "unicast", "advisory": "…" }`
/// (ExaBGP's `_operational_advisory`, `_query`, `_counter`): a query shows only its name and
/// family; the advisory is its bytes read as UTF-8, invalid sequences replaced (U+FFFD).
fn operational_json(out: &mut Vec<u8>, m: &OperationalMessage) {
    let Some(name) = operational_name(m) else {
        return;
    };
    out.extend_from_slice(b"\"operational\": { \"name\": ");
    json_str(out, name);
    out.extend_from_slice(b", \"afi\": ");
    json_str(out, &m.family.afi.to_string());
    out.extend_from_slice(b", \"safi\": ");
    json_str(out, &m.family.safi.to_string());
    match &m.data {
        OperationalData::Advisory(text) => {
            out.extend_from_slice(b", \"advisory\": ");
            json_str_ascii(out, &String::from_utf8_lossy(text));
        }
        OperationalData::Reply {
            router_id,
            sequence,
            counter,
        } => {
            let _ = write!(
                out,
                ", \"router-id\": \"{router_id}\", \"sequence\": {sequence}, \"counter\": {counter}"
            );
        }
        OperationalData::Query { .. } | OperationalData::Other(_) => {}
    }
    out.extend_from_slice(b" }");
}

/// A JSON string as Python's `json.dumps` writes it by default (`ensure_ascii`): DEL and every
/// character outside ASCII as `\uXXXX` (UTF-16, surrogate pairs above U+FFFF). ExaBGP writes
/// its events to processes as ASCII, so peer-supplied text reaches them this way.
fn json_str_ascii(out: &mut Vec<u8>, s: &str) {
    let start = out.len();
    json_str(out, s);
    if out[start..].iter().all(|&b| b.is_ascii() && b != 0x7f) {
        return;
    }
    let written = String::from_utf8_lossy(&out[start..]).into_owned();
    out.truncate(start);
    let mut units = [0u16; 2];
    for c in written.chars() {
        if c.is_ascii() && c != '\x7f' {
            out.push(c as u8);
        } else {
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        }
    }
}

/// Python's `repr()` of a `bytes` value (`b'caf\xc3\xa9'`): ExaBGP's text encoder formats
/// the advisory bytes with `{}`, so this is what it writes. Single quotes unless the value
/// holds a `'` and no `"`; `\t`, `\n`, `\r`, `\\` and the quote escaped; other bytes
/// outside printable ASCII as `\xhh`.
pub fn python_bytes_repr(b: &[u8], out: &mut Vec<u8>) {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.push(b'b');
    out.push(quote);
    for &c in b {
        match c {
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            c if c == quote => {
                out.push(b'\\');
                out.push(c);
            }
            0x20..=0x7e => out.push(c),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote);
}

fn refresh_subtype(s: u8) -> &'static str {
    match s {
        0 => "query",
        1 => "begin",
        2 => "end",
        _ => "reserved",
    }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

fn raw_text(out: &mut Vec<u8>, raw: Option<RawMessage<'_>>) {
    if let Some(r) = raw {
        if !r.header.is_empty() {
            out.extend_from_slice(b" header ");
            hexstring_into(out, r.header);
        }
        if !r.body.is_empty() {
            out.extend_from_slice(b" body ");
            hexstring_into(out, r.body);
        }
    }
}

/// Appends the text encoder's line(s) for `event` to `out`. Events ExaBGP's text encoder
/// does not report (`fsm`, `negotiated`, `signal`) write nothing.
///
/// Every event is followed by an empty line, as ExaBGP 5.0.15 writes them: its text encoder
/// ends each event with a newline and the process writer adds another (captured in
/// `tests/oracle/received.txt`). OPERATIONAL lines are the exception: that encoder ends them
/// without one, so they are followed by no empty line (`tests/oracle/show-text.txt`).
pub fn encode_text(ctx: &EventContext<'_>, event: &Event<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    encode_text_lines(ctx, event, out);
    if out.len() > start && !matches!(event, Event::Operational { .. }) {
        out.push(b'\n');
    }
}

fn encode_text_lines(ctx: &EventContext<'_>, event: &Event<'_>, out: &mut Vec<u8>) {
    let peer = ctx.neighbor.peer_address;
    match event {
        Event::Connected => {
            let _ = writeln!(out, "neighbor {peer} connected");
        }
        Event::Up => {
            let _ = writeln!(out, "neighbor {peer} up");
        }
        Event::Down { reason } => {
            let _ = writeln!(out, "neighbor {peer} down - {reason}");
        }
        Event::Fsm { .. } | Event::Negotiated(_) | Event::Signal { .. } => {}
        Event::Open {
            direction,
            body,
            raw,
        } => {
            let _ = write!(out, "neighbor {peer} {} open ", direction.as_str());
            body.write_text("", out);
            raw_text(out, *raw);
            out.push(b'\n');
        }
        Event::Update {
            direction,
            body,
            raw,
        } => {
            let prefix = format!("neighbor {peer} {} update", direction.as_str());
            let _ = writeln!(out, "{prefix} start");
            body.write_text(&prefix, out);
            if raw.is_some() {
                raw_text(out, *raw);
                out.push(b'\n');
            }
            let _ = writeln!(out, "{prefix} end");
        }
        Event::Keepalive { direction, raw } => {
            let _ = write!(out, "neighbor {peer} {} keepalive", direction.as_str());
            raw_text(out, *raw);
            out.push(b'\n');
        }
        Event::Notification {
            direction,
            notification,
            raw,
        } => {
            let _ = write!(
                out,
                "neighbor {peer} {} notification code {} subcode {} data ",
                direction.as_str(),
                notification.code,
                notification.subcode
            );
            hexstring_into(out, &notification_data(notification));
            raw_text(out, *raw);
            out.push(b'\n');
        }
        Event::Refresh {
            direction,
            refresh,
            raw,
        } => {
            let _ = write!(
                out,
                "neighbor {peer} {} route-refresh afi {} safi {} {}",
                direction.as_str(),
                refresh.family.afi,
                refresh.family.safi,
                refresh_subtype(refresh.subtype)
            );
            raw_text(out, *raw);
            out.push(b'\n');
        }
        Event::Packets {
            direction,
            category,
            raw,
        } => {
            let _ = write!(out, "neighbor {peer} {} {category}", direction.as_str());
            raw_text(out, Some(*raw));
            out.push(b'\n');
        }
        Event::Operational {
            direction,
            message,
            raw,
        } => {
            let Some(name) = operational_name(message) else {
                return;
            };
            let _ = write!(
                out,
                "neighbor {peer} {} operational {name} afi {} safi {}",
                direction.as_str(),
                message.family.afi,
                message.family.safi
            );
            match &message.data {
                OperationalData::Advisory(text) => {
                    out.extend_from_slice(b" advisory \"");
                    python_bytes_repr(text, out);
                    out.push(b'"');
                }
                OperationalData::Reply {
                    router_id,
                    sequence,
                    counter,
                } => {
                    let _ = write!(
                        out,
                        " router-id {router_id} sequence {sequence} counter {counter}"
                    );
                }
                OperationalData::Query { .. } | OperationalData::Other(_) => {}
            }
            raw_text(out, *raw);
            out.push(b'\n');
        }
    }
}

/// The text encoder's exit line: `shutdown PID PPID`, then an empty line (as every text
/// event).
pub fn encode_shutdown_text(daemon: &DaemonInfo, out: &mut Vec<u8>) {
    let _ = writeln!(out, "shutdown {} {}\n", daemon.pid, daemon.ppid);
}

/// Encodes with the process's encoder.
pub fn encode(encoding: Encoding, ctx: &EventContext<'_>, event: &Event<'_>, out: &mut Vec<u8>) {
    match encoding {
        Encoding::Json => encode_json(ctx, event, out),
        Encoding::Text => encode_text(ctx, event, out),
    }
}

#[cfg(test)]
mod tests;
