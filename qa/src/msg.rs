//! BGP message framing and the handful of messages the test peer builds itself.
//!
//! Deliberately independent of ferrobgp-wire: the harness judges the codec, so the bytes it
//! sends and the way it splits the stream must not come from the code under test.

use std::fmt::Write as _;

pub const MARKER: [u8; 16] = [0xff; 16];
pub const HEADER_LEN: usize = 19;

pub const OPEN: u8 = 1;
pub const UPDATE: u8 = 2;
pub const NOTIFICATION: u8 = 3;
pub const KEEPALIVE: u8 = 4;
pub const ROUTE_REFRESH: u8 = 5;

/// Message type of a whole message (header included).
pub fn kind(message: &[u8]) -> u8 {
    message.get(18).copied().unwrap_or(0)
}

pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        OPEN => "OPEN",
        UPDATE => "UPDATE",
        NOTIFICATION => "NOTIFICATION",
        KEEPALIVE => "KEEPALIVE",
        ROUTE_REFRESH => "ROUTE-REFRESH",
        _ => "UNKNOWN",
    }
}

/// Builds a message from its type and body.
pub fn build(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    out
}

pub fn keepalive() -> Vec<u8> {
    build(KEEPALIVE, &[])
}

/// A message of type 255, which no BGP speaker knows (`option:open:send-unknown-message`).
pub fn unknown_message() -> Vec<u8> {
    build(255, &[])
}

/// The "default route" ExaBGP's test peer announces (`option:update:send-default-route`):
/// ORIGIN IGP, empty AS_PATH, NEXT_HOP 127.0.0.1, LOCAL_PREF 100. Its NLRI byte is 0x20, so
/// what ExaBGP's peer really sends is 0.0.0.0/32; we send the same bytes, because the
/// expectations (e.g. the API's receive output) were recorded against them.
pub fn default_route() -> Vec<u8> {
    let attributes: &[u8] = &[
        0x40, 0x01, 0x01, 0x00, // ORIGIN IGP
        0x40, 0x02, 0x00, // AS_PATH empty
        0x40, 0x03, 0x04, 127, 0, 0, 1, // NEXT_HOP
        0x40, 0x05, 0x04, 0, 0, 0, 100, // LOCAL_PREF
    ];
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
    body.extend_from_slice(attributes);
    body.extend_from_slice(&[32, 0, 0, 0, 0]); // 0.0.0.0/32, byte for byte as ExaBGP's peer
    build(UPDATE, &body)
}

/// Cease / Administrative Shutdown (RFC 4486 6/2) with `text` as the RFC 9003 shutdown
/// communication (one length octet, then UTF-8, at most 255 octets).
pub fn shutdown_notification(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes();
    if bytes.len() > 255 {
        bytes = &bytes[..255];
    }
    let mut body = vec![6, 2, bytes.len() as u8];
    body.extend_from_slice(bytes);
    build(NOTIFICATION, &body)
}

/// Whether an UPDATE is an End-of-RIB marker (RFC 4724 section 2): an empty UPDATE for
/// IPv4 unicast, or one carrying only an empty MP_UNREACH_NLRI.
pub fn is_eor(message: &[u8]) -> bool {
    if kind(message) != UPDATE || message.len() < HEADER_LEN {
        return false;
    }
    let body = &message[HEADER_LEN..];
    if body == [0, 0, 0, 0] {
        return true;
    }
    // withdrawn length 0, attribute length 6 or 7, one MP_UNREACH (15) of length 3, no NLRI
    match body {
        [0, 0, 0, 6, flags, 15, 3, _, _, _] if flags & 0x10 == 0 => true,
        [0, 0, 0, 7, flags, 15, 0, 3, _, _, _] if flags & 0x10 != 0 => true,
        _ => false,
    }
}

/// Whether a ROUTE-REFRESH is a plain request (RFC 2918, RFC 7313 subtype 0), as opposed to
/// the BoRR/EoRR demarcation markers.
pub fn is_refresh_request(message: &[u8]) -> bool {
    kind(message) == ROUTE_REFRESH && message.get(21).copied().unwrap_or(0) == 0
}

/// The OPEN the peer answers with: the daemon's own OPEN, with the low byte of the
/// router-id incremented, or — with `asn` — the AS replaced (in the 2-byte field and in the
/// four-octet AS capability), as ExaBGP's test peer does. `add_unknown_capability` appends
/// capability 66 carrying `loremipsum`.
///
/// ADD-PATH (capability 69) directions are swapped, send ↔ receive (send/receive stays), as
/// a real peer that wants the paths would answer: RFC 7911 section 4 negotiates sending only
/// where one side says send and the other receive, so a daemon offering `send` alone must see
/// `receive` for its path identifiers to be used. ExaBGP's peer echoes the capability as is;
/// its cases only offer send/receive, which the swap leaves alone.
pub fn mirror_open(open: &[u8], asn: Option<u32>, add_unknown_capability: bool) -> Vec<u8> {
    let mut out = open.to_vec();
    if out.len() < HEADER_LEN + 10 {
        return out;
    }
    let body = HEADER_LEN;
    match asn {
        None => out[body + 8] = out[body + 8].wrapping_add(1),
        Some(asn) => {
            let two = if asn > 0xffff { 23456u16 } else { asn as u16 };
            out[body + 1..body + 3].copy_from_slice(&two.to_be_bytes());
        }
    }
    rewrite_capabilities(&mut out[body + 10..], asn);
    if add_unknown_capability {
        let content = b"loremipsum";
        let mut param = vec![2, (content.len() + 2) as u8, 66, content.len() as u8];
        param.extend_from_slice(content);
        out[body + 9] = out[body + 9].wrapping_add(param.len() as u8);
        out.extend_from_slice(&param);
        let len = out.len() as u16;
        out[16..18].copy_from_slice(&len.to_be_bytes());
    }
    out
}

/// In the OPEN's optional parameters: the AS in the four-octet AS capability (65) when
/// `asn` is given, and the ADD-PATH (69) directions swapped.
fn rewrite_capabilities(params: &mut [u8], asn: Option<u32>) {
    let mut offset = 0;
    while offset + 2 <= params.len() {
        let (ptype, plen) = (params[offset], params[offset + 1] as usize);
        let end = (offset + 2 + plen).min(params.len());
        if ptype == 2 {
            let mut cap = offset + 2;
            while cap + 2 <= end {
                let (code, clen) = (params[cap], params[cap + 1] as usize);
                let value_end = (cap + 2 + clen).min(end);
                match (code, asn) {
                    (65, Some(asn)) if clen == 4 && cap + 6 <= end => {
                        params[cap + 2..cap + 6].copy_from_slice(&asn.to_be_bytes());
                    }
                    (69, _) => {
                        // <AFI (2), SAFI (1), Send/Receive (1)> tuples; 1 receive, 2 send.
                        for tuple in params[cap + 2..value_end].chunks_exact_mut(4) {
                            tuple[3] = match tuple[3] {
                                1 => 2,
                                2 => 1,
                                other => other,
                            };
                        }
                    }
                    _ => {}
                }
                cap += 2 + clen;
            }
        }
        offset = end;
    }
}

/// Formats a message the way the `.ci` files write it: `MARKER:LEN:TYPE:BODY`.
pub fn ci_hex(message: &[u8]) -> String {
    let up = hex::encode_upper(message);
    if message.len() < HEADER_LEN {
        return up;
    }
    format!(
        "{}:{}:{}:{}",
        &up[..32],
        &up[32..36],
        &up[36..38],
        &up[38..]
    )
}

/// A structural description of a message: its type and length and, for UPDATEs, the
/// withdrawn routes, each path attribute and the NLRI as hex. Not a decoder: enough to see
/// where two messages part ways when ferrobgp-wire's decoder is not available.
pub fn describe(message: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    if message.len() < HEADER_LEN {
        lines.push(format!("short message: {}", hex::encode_upper(message)));
        return lines;
    }
    let kind = kind(message);
    let declared = u16::from_be_bytes([message[16], message[17]]);
    lines.push(format!(
        "{} (type {kind}), length {declared}",
        kind_name(kind)
    ));
    let body = &message[HEADER_LEN..];
    match kind {
        UPDATE => describe_update(body, &mut lines),
        NOTIFICATION if body.len() >= 2 => {
            lines.push(format!("  code {} subcode {}", body[0], body[1]));
            if body.len() > 2 {
                let data = &body[2..];
                lines.push(format!("  data {}", hex::encode_upper(data)));
                if let Ok(text) = std::str::from_utf8(data) {
                    lines.push(format!("  text {text:?}"));
                }
            }
        }
        OPEN if body.len() >= 10 => {
            lines.push(format!(
                "  version {} as {} hold {} router-id {}.{}.{}.{} opt-len {}",
                body[0],
                u16::from_be_bytes([body[1], body[2]]),
                u16::from_be_bytes([body[3], body[4]]),
                body[5],
                body[6],
                body[7],
                body[8],
                body[9]
            ));
            let mut offset = 10;
            while offset + 2 <= body.len() {
                let (ptype, plen) = (body[offset], body[offset + 1] as usize);
                let end = (offset + 2 + plen).min(body.len());
                if ptype == 2 {
                    let mut cap = offset + 2;
                    while cap + 2 <= end {
                        let (code, clen) = (body[cap], body[cap + 1] as usize);
                        let cend = (cap + 2 + clen).min(end);
                        lines.push(format!(
                            "  capability {code} len {clen}: {}",
                            hex::encode_upper(&body[cap + 2..cend])
                        ));
                        cap = cend;
                    }
                } else {
                    lines.push(format!(
                        "  parameter {ptype}: {}",
                        hex::encode_upper(&body[offset + 2..end])
                    ));
                }
                offset = end;
            }
        }
        _ if !body.is_empty() => lines.push(format!("  body {}", hex::encode_upper(body))),
        _ => {}
    }
    lines
}

fn describe_update(body: &[u8], lines: &mut Vec<String>) {
    if is_eor(&build(UPDATE, body)) {
        lines.push("  End-of-RIB".into());
    }
    let Some(wlen) = body
        .get(..2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    else {
        return;
    };
    let Some(withdrawn) = body.get(2..2 + wlen) else {
        lines.push(format!("  withdrawn length {wlen} overruns the body"));
        return;
    };
    if !withdrawn.is_empty() {
        lines.push(format!("  withdrawn {}", hex::encode_upper(withdrawn)));
    }
    let rest = &body[2 + wlen..];
    let Some(alen) = rest
        .get(..2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    else {
        return;
    };
    let Some(mut attrs) = rest.get(2..2 + alen) else {
        lines.push(format!("  attribute length {alen} overruns the body"));
        return;
    };
    while attrs.len() >= 3 {
        let (flags, code) = (attrs[0], attrs[1]);
        let (len, head) = if flags & 0x10 != 0 && attrs.len() >= 4 {
            (u16::from_be_bytes([attrs[2], attrs[3]]) as usize, 4)
        } else {
            (attrs[2] as usize, 3)
        };
        let end = (head + len).min(attrs.len());
        let mut line = String::new();
        let _ = write!(
            line,
            "  attribute {code:>3} ({}) flags {flags:02X} len {len}: {}",
            attribute_name(code),
            hex::encode_upper(&attrs[head..end])
        );
        lines.push(line);
        attrs = &attrs[end..];
    }
    let nlri = &rest[2 + alen..];
    if !nlri.is_empty() {
        lines.push(format!("  nlri {}", hex::encode_upper(nlri)));
    }
}

fn attribute_name(code: u8) -> &'static str {
    match code {
        1 => "origin",
        2 => "as-path",
        3 => "next-hop",
        4 => "med",
        5 => "local-preference",
        6 => "atomic-aggregate",
        7 => "aggregator",
        8 => "community",
        9 => "originator-id",
        10 => "cluster-list",
        14 => "mp-reach-nlri",
        15 => "mp-unreach-nlri",
        16 => "extended-community",
        17 => "as4-path",
        18 => "as4-aggregator",
        22 => "pmsi-tunnel",
        25 => "ipv6-extended-community",
        29 => "bgp-ls",
        32 => "large-community",
        40 => "prefix-sid",
        _ => "?",
    }
}

/// Offset of the first byte where the two differ (or the shorter length), `None` if equal.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len())),
    )
}

/// Hex dumps of `expected` and `received` side by side, 16 bytes a row, rows that differ
/// marked with `<<`, and a caret under the first differing byte.
pub fn hex_diff(expected: &[u8], received: &[u8]) -> String {
    let mut out = String::new();
    let first = first_difference(expected, received);
    let _ = writeln!(out, "offset  {:<48}  {:<48}", "expected", "received");
    let rows = expected.len().max(received.len()).div_ceil(16);
    let row_hex = |data: &[u8], row: usize| -> String {
        let start = (row * 16).min(data.len());
        let end = (row * 16 + 16).min(data.len());
        data[start..end]
            .iter()
            .map(|b| format!("{b:02X} "))
            .collect()
    };
    for row in 0..rows {
        let (e, r) = (row_hex(expected, row), row_hex(received, row));
        let mark = if e != r { "  <<" } else { "" };
        let _ = writeln!(out, "{:04X}    {e:<48}  {r:<48}{mark}", row * 16);
        if let Some(at) = first {
            if at / 16 == row {
                let col = (at % 16) * 3;
                let _ = writeln!(
                    out,
                    "        {:col$}^^{:pad$}{:col$}^^ first difference at byte {at}",
                    "",
                    "",
                    "",
                    pad = 48 - col - 2 + 2,
                );
            }
        }
    }
    if let Some(at) = first {
        let _ = writeln!(
            out,
            "(lengths: expected {}, received {}; first difference at byte {at})",
            expected.len(),
            received.len()
        );
    }
    out
}

/// Two columns of text side by side.
pub fn side_by_side(
    left_title: &str,
    left: &[String],
    right_title: &str,
    right: &[String],
) -> String {
    let width = left
        .iter()
        .map(|l| l.len())
        .chain([left_title.len()])
        .max()
        .unwrap_or(0)
        .min(100);
    let mut out = String::new();
    let _ = writeln!(out, "{left_title:<width$} | {right_title}");
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map(String::as_str).unwrap_or("");
        let r = right.get(i).map(String::as_str).unwrap_or("");
        let mark = if l != r { " <<" } else { "" };
        let _ = writeln!(out, "{l:<width$} | {r}{mark}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hexb(s: &str) -> Vec<u8> {
        crate::ci::parse_hex(s).unwrap()
    }

    #[test]
    fn eor_detection() {
        assert!(is_eor(&hexb(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000"
        )));
        assert!(is_eor(&hexb(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:001E:02:00000007900F0003000201"
        )));
        assert!(is_eor(&hexb(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:001D:02:00000006800F03000201"
        )));
        assert!(!is_eor(&hexb(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:001B:02:0004180200000000"
        )));
        assert!(!is_eor(&keepalive()));
    }

    #[test]
    fn mirror_swaps_add_path_directions() {
        // Capabilities: ADD-PATH ipv4 unicast send, ipv6 unicast receive, ipv4 mpls-vpn
        // send/receive; then four-octet AS 1.
        let open = hexb(concat!(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0033:01:04:0001:0258:01020304:16:",
            "02:14:450C:0001:01:02:0002:01:01:0001:80:03:4104:00000001"
        ));
        let mirrored = mirror_open(&open, None, false);
        assert_eq!(
            hex::encode_upper(&mirrored[19 + 10..]),
            "0214450C0001010100020102000180034104".to_owned() + "00000001"
        );
        // With option:asn the AS changes as before, and the swap still happens.
        let mirrored = mirror_open(&open, Some(65000), false);
        assert_eq!(
            hex::encode_upper(&mirrored[19 + 10..]),
            "0214450C0001010100020102000180034104".to_owned() + "0000FDE8"
        );
        // A truncated capability does not panic.
        for len in 19..open.len() {
            let _ = mirror_open(&open[..len], Some(1), false);
        }
    }

    #[test]
    fn mirror_increments_router_id() {
        let open =
            hexb("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0025:01:04FFFD00B40A000002080206010400010001");
        let mirrored = mirror_open(&open, None, false);
        assert_eq!(mirrored[19 + 8], 3);
        assert_eq!(&mirrored[..27], &open[..27]);
    }

    #[test]
    fn mirror_replaces_asn_and_adds_capability() {
        let open =
            hexb("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0025:01:04FFFD00B40A00000208020641040000FFFD");
        let mirrored = mirror_open(&open, Some(65000), false);
        assert_eq!(&mirrored[20..22], &65000u16.to_be_bytes());
        assert_eq!(&mirrored[mirrored.len() - 4..], &65000u32.to_be_bytes());
        assert_eq!(
            mirrored[19 + 8],
            2,
            "router-id is kept with option:asn, as ExaBGP's peer does"
        );
        let with66 = mirror_open(&open, None, true);
        assert_eq!(with66.len(), open.len() + 14);
        assert_eq!(
            u16::from_be_bytes([with66[16], with66[17]]) as usize,
            with66.len()
        );
        assert_eq!(with66[19 + 9], open[19 + 9] + 14);
        assert!(with66.ends_with(b"\x02\x0c\x42\x0aloremipsum"));
    }

    #[test]
    fn shutdown_notification_is_rfc9003() {
        let n = shutdown_notification("bye");
        assert_eq!(&n[16..], &[0, 25, 3, 6, 2, 3, b'b', b'y', b'e']);
    }

    #[test]
    fn default_route_matches_exabgp_peer() {
        assert_eq!(
            ci_hex(&default_route()),
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0031:02:00000015400101004002004003047F0000014005040000006420000000\
             00"
        );
    }

    #[test]
    fn hex_diff_marks_first_difference() {
        let a = hexb("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000");
        let mut b = a.clone();
        b[20] = 1;
        let diff = hex_diff(&a, &b);
        assert!(diff.contains("first difference at byte 20"), "{diff}");
        assert!(diff.contains("<<"));
        assert_eq!(first_difference(&a, &a), None);
        assert_eq!(first_difference(&a, &a[..10]), Some(10));
    }

    #[test]
    fn describes_updates() {
        let m = hexb("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:002F:02:000000144001010040020602010000FFFD4003040A0001FE180A0000");
        let d = describe(&m).join("\n");
        assert!(d.contains("attribute   2 (as-path)"), "{d}");
        assert!(d.contains("nlri 180A0000"), "{d}");
    }
}
