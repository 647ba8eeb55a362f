//! Message framing (RFC 4271 §4.1, §6.1; RFC 8654), OPEN (RFC 4271 §4.2, RFC 5492,
//! RFC 9072), NOTIFICATION (§4.5), KEEPALIVE (§4.4), ROUTE-REFRESH (RFC 2918, RFC 7313),
//! decoding and encoding.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::IResult;

use crate::error::{msg_type, Error, ErrorKind};
use crate::model::{
    cap_code, AddPathMode, Afi, Capability, Family, GracefulRestartFamily, Notification, Open,
    RouteRefresh, Safi, SessionContext,
};
use crate::update::UpdateView;

pub const HEADER_LEN: usize = 19;
pub const MARKER: [u8; 16] = [0xff; 16];
/// RFC 4271 §4.1.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// RFC 8654 §3.
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

type R<'a, T> = IResult<&'a [u8], T, ()>;

/// A decoded message. UPDATEs stay views over the received bytes.
#[derive(Debug, Clone)]
pub enum Message {
    Open(Open),
    Update(UpdateView),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
}

/// Is a whole message at the head of `buf`? `Ok(Some(len))` when it is (slice it off with
/// `Bytes::split_to(len)`), `Ok(None)` when more bytes are needed, `Err` when the header
/// is bad (RFC 4271 §6.1: marker, length bounds per type, type). `max_len` is 4096, or
/// 65535 once extended messages are negotiated (RFC 8654); OPEN and KEEPALIVE are always
/// bounded by 4096 (RFC 8654 §4).
pub fn frame(buf: &[u8], max_len: usize) -> Result<Option<usize>, Error> {
    if buf.len() < HEADER_LEN {
        // Check what we have of the marker early: a desynchronised stream fails fast.
        if buf.iter().take(16).any(|&b| b != 0xff) {
            return Err(Error::new(ErrorKind::ConnectionNotSynchronized, 0, 0));
        }
        return Ok(None);
    }
    if buf[..16] != MARKER {
        return Err(Error::new(ErrorKind::ConnectionNotSynchronized, 0, 0));
    }
    let len = u16::from_be_bytes([buf[16], buf[17]]);
    let t = buf[18];
    let l = len as usize;
    let ok = match t {
        msg_type::OPEN => (29..=MAX_MESSAGE_LEN).contains(&l),
        msg_type::UPDATE => l >= 23 && l <= max_len,
        msg_type::NOTIFICATION => l >= 21 && l <= max_len,
        msg_type::KEEPALIVE => l == HEADER_LEN,
        // RFC 7313 §5: other lengths are ROUTE-REFRESH errors, found when decoding.
        msg_type::ROUTE_REFRESH => l >= HEADER_LEN && l <= max_len,
        // ExaBGP's OPERATIONAL (`operational`): framed here, its body checked by its decoder.
        // Whether the session may carry it (the capability negotiated) is the session's
        // call, which otherwise answers it as any unknown type (RFC 4271 §6.1).
        crate::operational::MSG_TYPE => l >= HEADER_LEN && l <= max_len,
        _ => return Err(Error::new(ErrorKind::BadMessageType(t), t, 18)),
    };
    if !ok {
        return Err(Error::new(ErrorKind::BadMessageLength(len), t, 16));
    }
    if buf.len() < l {
        return Ok(None);
    }
    Ok(Some(l))
}

/// Decode one whole message (as delimited by [`frame`]), header included.
pub fn decode_message(msg: Bytes, ctx: &SessionContext) -> Result<Message, Error> {
    // The common case first: a framed UPDATE goes straight to its validation.
    if msg.len() >= HEADER_LEN + 4
        && msg[18] == msg_type::UPDATE
        && msg.len() <= ctx.max_message_len()
        && msg[..16] == MARKER
        && u16::from_be_bytes([msg[16], msg[17]]) as usize == msg.len()
    {
        return UpdateView::parse_inline(msg, ctx).map(Message::Update);
    }
    let len = match frame(&msg, ctx.max_message_len())? {
        Some(l) if l == msg.len() => l,
        _ => {
            let l = if msg.len() >= 18 {
                u16::from_be_bytes([msg[16], msg[17]])
            } else {
                msg.len() as u16
            };
            return Err(Error::new(
                ErrorKind::BadMessageLength(l),
                msg.get(18).copied().unwrap_or(0),
                16,
            ));
        }
    };
    let body = &msg[HEADER_LEN..len];
    Ok(match msg[18] {
        msg_type::OPEN => Message::Open(decode_open(body)?),
        msg_type::UPDATE => Message::Update(UpdateView::parse(msg, ctx)?),
        msg_type::NOTIFICATION => Message::Notification(decode_notification(body)?),
        msg_type::KEEPALIVE => Message::Keepalive,
        msg_type::ROUTE_REFRESH => Message::RouteRefresh(decode_route_refresh(body)?),
        t => return Err(Error::new(ErrorKind::BadMessageType(t), t, 18)),
    })
}

fn open_err(kind: ErrorKind, body: &[u8], rest: &[u8]) -> Error {
    Error::new(
        kind,
        msg_type::OPEN,
        HEADER_LEN + body.len().saturating_sub(rest.len()),
    )
}

/// Decode an OPEN body (after the header). Capabilities are flattened in order.
pub fn decode_open(body: &[u8]) -> Result<Open, Error> {
    fn fixed(i: &[u8]) -> R<'_, (u8, u16, u16, u32, u8)> {
        let (i, v) = be_u8(i)?;
        let (i, a) = be_u16(i)?;
        let (i, h) = be_u16(i)?;
        let (i, id) = be_u32(i)?;
        let (i, l) = be_u8(i)?;
        Ok((i, (v, a, h, id, l)))
    }
    let (rest, (version, my_as, hold_time, id, opt_len)) =
        fixed(body).map_err(|_| open_err(ErrorKind::MalformedOpen, body, &[]))?;
    if version != 4 {
        return Err(Error::new(
            ErrorKind::UnsupportedVersion(version),
            msg_type::OPEN,
            HEADER_LEN,
        ));
    }
    // RFC 4271 §6.2: hold time of 1 or 2 seconds is unacceptable.
    if hold_time == 1 || hold_time == 2 {
        return Err(Error::new(
            ErrorKind::UnacceptableHoldTime(hold_time),
            msg_type::OPEN,
            HEADER_LEN + 3,
        ));
    }
    // RFC 9072 §2: non-extended length 255 with type 255 announces extended parameters.
    let extended = opt_len == 255 && rest.first() == Some(&255);
    let (params, ext_rest) = if extended {
        let r: R<'_, u16> = be_u16(&rest[1..]);
        let (r, l) = r.map_err(|_| open_err(ErrorKind::MalformedOpen, body, rest))?;
        (r, l as usize)
    } else {
        (rest, opt_len as usize)
    };
    if params.len() != ext_rest {
        return Err(open_err(ErrorKind::MalformedOpen, body, params));
    }
    let mut capabilities = Vec::new();
    let mut p = params;
    while !p.is_empty() {
        let hdr: R<'_, (u8, u16)> = (|i| {
            let (i, t) = be_u8(i)?;
            let (i, l) = if extended {
                be_u16(i)?
            } else {
                let (i, l) = be_u8(i)?;
                (i, l as u16)
            };
            Ok((i, (t, l)))
        })(p);
        let (r, (ptype, plen)) = hdr.map_err(|_| open_err(ErrorKind::MalformedOpen, body, p))?;
        let (r, value): (&[u8], &[u8]) = take::<_, _, ()>(plen as usize)(r)
            .map_err(|_| open_err(ErrorKind::MalformedOpen, body, p))?;
        if ptype != 2 {
            return Err(open_err(
                ErrorKind::UnsupportedOptionalParameter(ptype),
                body,
                p,
            ));
        }
        decode_capabilities(value, &mut capabilities).map_err(|k| open_err(k, body, value))?;
        p = r;
    }
    Ok(Open {
        version,
        my_as,
        hold_time,
        bgp_id: Ipv4Addr::from(id),
        capabilities,
    })
}

/// Decode a capabilities optional parameter's value (RFC 5492 §4) into `out`.
pub fn decode_capabilities(mut d: &[u8], out: &mut Vec<Capability>) -> Result<(), ErrorKind> {
    while !d.is_empty() {
        if d.len() < 2 || d.len() < 2 + d[1] as usize {
            return Err(ErrorKind::MalformedOpen);
        }
        let c = d[0];
        let v = &d[2..2 + d[1] as usize];
        out.push(decode_capability(c, v).ok_or(ErrorKind::MalformedCapability(c))?);
        d = &d[2 + v.len()..];
    }
    Ok(())
}

fn fam(v: &[u8]) -> Family {
    Family::new(Afi(u16::from_be_bytes([v[0], v[1]])), Safi(v[3]))
}

/// One capability from its code and value; `None` when a known one is malformed.
pub fn decode_capability(c: u8, v: &[u8]) -> Option<Capability> {
    use cap_code::*;
    Some(match c {
        MULTIPROTOCOL => {
            if v.len() != 4 {
                return None;
            }
            Capability::Multiprotocol(fam(v))
        }
        ROUTE_REFRESH if v.is_empty() => Capability::RouteRefresh,
        ROUTE_REFRESH_CISCO if v.is_empty() => Capability::RouteRefreshCisco,
        ENHANCED_ROUTE_REFRESH if v.is_empty() => Capability::EnhancedRouteRefresh,
        EXTENDED_MESSAGE if v.is_empty() => Capability::ExtendedMessage,
        LINK_LOCAL_NEXT_HOP if v.is_empty() => Capability::LinkLocalNextHop,
        FOUR_OCTET_ASN => Capability::FourOctetAsn(u32::from_be_bytes(v.try_into().ok()?)),
        ADD_PATH => {
            if v.len() % 4 != 0 {
                return None;
            }
            Capability::AddPath(
                v.chunks_exact(4)
                    .map(|c| {
                        let f = Family::new(Afi(u16::from_be_bytes([c[0], c[1]])), Safi(c[2]));
                        Some((f, AddPathMode::from_u8(c[3])?))
                    })
                    .collect::<Option<Vec<_>>>()?,
            )
        }
        GRACEFUL_RESTART => {
            if v.len() < 2 || (v.len() - 2) % 4 != 0 {
                return None;
            }
            Capability::GracefulRestart {
                flags: v[0] >> 4,
                time: u16::from_be_bytes([v[0] & 0x0f, v[1]]),
                families: v[2..]
                    .chunks_exact(4)
                    .map(|c| GracefulRestartFamily {
                        family: Family::new(Afi(u16::from_be_bytes([c[0], c[1]])), Safi(c[2])),
                        flags: c[3],
                    })
                    .collect(),
            }
        }
        EXTENDED_NEXT_HOP => {
            // RFC 8950 §3: NLRI AFI (2), NLRI SAFI (2), next hop AFI (2).
            if v.len() % 6 != 0 {
                return None;
            }
            Capability::ExtendedNextHop(
                v.chunks_exact(6)
                    .map(|c| {
                        (
                            Family::new(Afi(u16::from_be_bytes([c[0], c[1]])), Safi(c[3])),
                            Afi(u16::from_be_bytes([c[4], c[5]])),
                        )
                    })
                    .collect(),
            )
        }
        FQDN => {
            // draft-walton-bgp-hostname-capability: length-prefixed host then domain.
            let hl = *v.first()? as usize;
            let host = v.get(1..1 + hl)?;
            let dl = *v.get(1 + hl)? as usize;
            let domain = v.get(2 + hl..2 + hl + dl)?;
            Capability::Fqdn {
                host: String::from_utf8_lossy(host).into_owned(),
                domain: String::from_utf8_lossy(domain).into_owned(),
            }
        }
        SOFTWARE_VERSION => {
            // draft-abraitis-bgp-version-capability: length, then UTF-8 text.
            let l = *v.first()? as usize;
            let s = v.get(1..1 + l)?;
            Capability::SoftwareVersion(String::from_utf8_lossy(s).into_owned())
        }
        MULTISESSION | MULTISESSION_CISCO => Capability::MultiSession {
            cisco: c == MULTISESSION_CISCO,
            value: Bytes::copy_from_slice(v),
        },
        _ => Capability::Unknown {
            code: c,
            value: Bytes::copy_from_slice(v),
        },
    })
}

/// NOTIFICATION body (RFC 4271 §4.5).
pub fn decode_notification(body: &[u8]) -> Result<Notification, Error> {
    if body.len() < 2 {
        return Err(Error::new(
            ErrorKind::MalformedNotification,
            msg_type::NOTIFICATION,
            HEADER_LEN,
        ));
    }
    Ok(Notification::new(
        body[0],
        body[1],
        Bytes::copy_from_slice(&body[2..]),
    ))
}

/// ROUTE-REFRESH body (RFC 2918 §3, RFC 7313 §3.2). A normal request may be followed by
/// ORF entries (RFC 5291), which are ignored; BoRR/EoRR must be exactly 4 octets (RFC 7313
/// §5).
pub fn decode_route_refresh(body: &[u8]) -> Result<RouteRefresh, Error> {
    let ok = match body.get(2) {
        Some(0) => body.len() >= 4,
        Some(_) => body.len() == 4,
        None => false,
    };
    if !ok {
        return Err(Error::new(
            ErrorKind::RouteRefreshLength,
            msg_type::ROUTE_REFRESH,
            16,
        ));
    }
    Ok(RouteRefresh {
        family: Family::new(Afi(u16::from_be_bytes([body[0], body[1]])), Safi(body[3])),
        subtype: body[2],
    })
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Write a header with a length to be patched by [`finish_message`]; returns the start.
pub fn start_message(out: &mut BytesMut, t: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&MARKER);
    out.put_u16(0);
    out.put_u8(t);
    start
}

/// Patch the length field of the message begun at `start`.
pub fn finish_message(out: &mut BytesMut, start: usize) {
    let len = (out.len() - start) as u16;
    out[start + 16..start + 18].copy_from_slice(&len.to_be_bytes());
}

pub fn encode_keepalive(out: &mut BytesMut) {
    let s = start_message(out, msg_type::KEEPALIVE);
    finish_message(out, s);
}

pub fn encode_notification(n: &Notification, out: &mut BytesMut) {
    let s = start_message(out, msg_type::NOTIFICATION);
    out.put_u8(n.code);
    out.put_u8(n.subcode);
    out.extend_from_slice(&n.data);
    finish_message(out, s);
}

pub fn encode_route_refresh(r: &RouteRefresh, out: &mut BytesMut) {
    let s = start_message(out, msg_type::ROUTE_REFRESH);
    out.put_u16(r.family.afi.0);
    out.put_u8(r.subtype);
    out.put_u8(r.family.safi.0);
    finish_message(out, s);
}

/// A capability's value.
pub fn encode_capability_value(c: &Capability, out: &mut BytesMut) {
    match c {
        Capability::Multiprotocol(f) => {
            out.put_u16(f.afi.0);
            out.put_u8(0);
            out.put_u8(f.safi.0);
        }
        Capability::RouteRefresh
        | Capability::RouteRefreshCisco
        | Capability::EnhancedRouteRefresh
        | Capability::ExtendedMessage
        | Capability::LinkLocalNextHop => {}
        Capability::FourOctetAsn(a) => out.put_u32(*a),
        Capability::AddPath(v) => {
            for (f, m) in v {
                out.put_u16(f.afi.0);
                out.put_u8(f.safi.0);
                out.put_u8(*m as u8);
            }
        }
        Capability::GracefulRestart {
            flags,
            time,
            families,
        } => {
            out.put_u16(((*flags as u16) << 12) | (time & 0x0fff));
            for f in families {
                out.put_u16(f.family.afi.0);
                out.put_u8(f.family.safi.0);
                out.put_u8(f.flags);
            }
        }
        Capability::ExtendedNextHop(v) => {
            for (f, nh) in v {
                out.put_u16(f.afi.0);
                out.put_u16(f.safi.0 as u16);
                out.put_u16(nh.0);
            }
        }
        Capability::Fqdn { host, domain } => {
            let h = &host.as_bytes()[..host.len().min(255)];
            let d = &domain.as_bytes()[..domain.len().min(255)];
            out.put_u8(h.len() as u8);
            out.extend_from_slice(h);
            out.put_u8(d.len() as u8);
            out.extend_from_slice(d);
        }
        Capability::SoftwareVersion(s) => {
            let s = &s.as_bytes()[..s.len().min(64)];
            out.put_u8(s.len() as u8);
            out.extend_from_slice(s);
        }
        Capability::MultiSession { value, .. } | Capability::Unknown { value, .. } => {
            out.extend_from_slice(value)
        }
    }
}

/// OPEN, each capability in its own optional parameter as ExaBGP does. Switches to the
/// RFC 9072 extended optional parameters when they do not fit 255 octets.
pub fn encode_open(o: &Open, out: &mut BytesMut) {
    let s = start_message(out, msg_type::OPEN);
    out.put_u8(o.version);
    out.put_u16(o.my_as);
    out.put_u16(o.hold_time);
    out.extend_from_slice(&o.bgp_id.octets());
    let mut params = BytesMut::new();
    let mut caps = Vec::with_capacity(o.capabilities.len());
    for c in &o.capabilities {
        let mut v = BytesMut::new();
        encode_capability_value(c, &mut v);
        caps.push((c.code(), v));
    }
    let short = caps.iter().map(|(_, v)| 4 + v.len()).sum::<usize>() <= 255
        && caps.iter().all(|(_, v)| v.len() <= 253);
    for (code, v) in &caps {
        params.put_u8(2);
        if short {
            params.put_u8((v.len() + 2) as u8);
        } else {
            params.put_u16((v.len() + 2) as u16);
        }
        params.put_u8(*code);
        params.put_u8(v.len().min(255) as u8);
        params.extend_from_slice(v);
    }
    if short {
        out.put_u8(params.len() as u8);
    } else {
        out.put_u8(255);
        out.put_u8(255);
        out.put_u16(params.len() as u16);
    }
    out.extend_from_slice(&params);
    finish_message(out, s);
}

/// RFC 4271 §6.2 checks that need configuration: the peer's AS (with the RFC 6793
/// 4-octet ASN) and its BGP identifier (RFC 6286 §2.2: not 0, and different from ours
/// inside one AS).
pub fn check_open(
    open: &Open,
    expected_peer_as: Option<u32>,
    local_as: u32,
    local_id: Ipv4Addr,
) -> Result<(), Error> {
    if let Some(asn) = expected_peer_as {
        if open.asn() != asn {
            return Err(Error::new(
                ErrorKind::BadPeerAs,
                msg_type::OPEN,
                HEADER_LEN + 1,
            ));
        }
    }
    if open.bgp_id.is_unspecified() || (open.bgp_id == local_id && open.asn() == local_as) {
        return Err(Error::new(
            ErrorKind::BadBgpIdentifier,
            msg_type::OPEN,
            HEADER_LEN + 5,
        ));
    }
    Ok(())
}
