//! Decoding errors: small `Copy` values saying what went wrong, in which message, which
//! attribute and at which byte offset, and what to do about it (the NOTIFICATION to send or
//! the RFC 7606 action).

use std::fmt;

use bytes::Bytes;

use crate::model::{notif, Notification};

/// BGP message types (RFC 4271 §4.1, RFC 2918 §3).
pub mod msg_type {
    pub const OPEN: u8 = 1;
    pub const UPDATE: u8 = 2;
    pub const NOTIFICATION: u8 = 3;
    pub const KEEPALIVE: u8 = 4;
    pub const ROUTE_REFRESH: u8 = 5;
}

/// What was wrong. Values carried are the offending field (a type, a length, a version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    // --- message header (RFC 4271 §6.1)
    /// The marker is not all ones.
    ConnectionNotSynchronized,
    /// The length field is out of bounds for the message type.
    BadMessageLength(u16),
    BadMessageType(u8),
    // --- OPEN (RFC 4271 §6.2)
    UnsupportedVersion(u8),
    BadPeerAs,
    BadBgpIdentifier,
    UnsupportedOptionalParameter(u8),
    UnacceptableHoldTime(u16),
    /// An optional parameter or capability whose length does not fit.
    MalformedOpen,
    /// A known capability whose value is malformed (its code).
    MalformedCapability(u8),
    // --- UPDATE (RFC 4271 §6.3)
    MalformedAttributeList,
    UnrecognizedWellKnownAttribute,
    MissingWellKnownAttribute(u8),
    AttributeFlags,
    AttributeLength,
    InvalidOrigin(u8),
    InvalidNextHop,
    OptionalAttribute,
    InvalidNetworkField,
    MalformedAsPath,
    /// MP_REACH/MP_UNREACH for a family whose NLRI could not be parsed (RFC 7606 §7.3/§5.3).
    MalformedMpNlri,
    /// An attribute an external peer may not send (LOCAL_PREF, ORIGINATOR_ID,
    /// CLUSTER_LIST): discarded, never answered with a NOTIFICATION (RFC 7606 §7.5, §7.9,
    /// §7.10).
    NotFromExternalPeer,
    // --- NOTIFICATION and ROUTE-REFRESH
    /// A NOTIFICATION shorter than its fixed part: never answered (RFC 4271 §6.4).
    MalformedNotification,
    /// RFC 7313 §5: ROUTE-REFRESH of a bad length.
    RouteRefreshLength,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            ConnectionNotSynchronized => write!(f, "marker is not all ones"),
            BadMessageLength(l) => write!(f, "bad message length {l}"),
            BadMessageType(t) => write!(f, "bad message type {t}"),
            UnsupportedVersion(v) => write!(f, "unsupported BGP version {v}"),
            BadPeerAs => write!(f, "bad peer AS"),
            BadBgpIdentifier => write!(f, "bad BGP identifier"),
            UnsupportedOptionalParameter(p) => write!(f, "unsupported optional parameter {p}"),
            UnacceptableHoldTime(h) => write!(f, "unacceptable hold time {h}"),
            MalformedOpen => write!(f, "malformed optional parameters"),
            MalformedCapability(c) => write!(f, "malformed capability {c}"),
            MalformedAttributeList => write!(f, "malformed attribute list"),
            UnrecognizedWellKnownAttribute => write!(f, "unrecognized well-known attribute"),
            MissingWellKnownAttribute(c) => write!(f, "missing well-known attribute {c}"),
            AttributeFlags => write!(f, "attribute flags error"),
            AttributeLength => write!(f, "attribute length error"),
            InvalidOrigin(o) => write!(f, "invalid ORIGIN {o}"),
            InvalidNextHop => write!(f, "invalid NEXT_HOP"),
            OptionalAttribute => write!(f, "malformed optional attribute"),
            InvalidNetworkField => write!(f, "invalid network field"),
            MalformedAsPath => write!(f, "malformed AS_PATH"),
            MalformedMpNlri => write!(f, "malformed MP_REACH/MP_UNREACH NLRI"),
            NotFromExternalPeer => write!(f, "attribute not accepted from an external peer"),
            MalformedNotification => write!(f, "malformed NOTIFICATION"),
            RouteRefreshLength => write!(f, "ROUTE-REFRESH of invalid length"),
        }
    }
}

/// What RFC 7606 §2 says to do with an UPDATE error (and, for the other messages, the
/// only option RFC 4271 leaves: reset the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Drop only the malformed attribute; keep the routes (RFC 7606 §2 "attribute discard").
    AttributeDiscard,
    /// Keep the session, treat every NLRI of the UPDATE as withdrawn (RFC 7606 §2).
    TreatAsWithdraw,
    /// Disable the AFI/SAFI of the malformed MP attribute (RFC 7606 §2, RFC 4760 §7).
    AfiSafiDisable,
    /// Send the NOTIFICATION and close (RFC 4271 §6).
    SessionReset,
}

/// One decoding error: the kind, the message type, the attribute code (0 when the error is
/// not about an attribute), the byte offset from the start of the message (header
/// included), and the RFC 7606 action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (message type {msg_type}, attribute {attr}, offset {offset})")]
pub struct Error {
    pub kind: ErrorKind,
    pub msg_type: u8,
    pub attr: u8,
    pub offset: u32,
    pub action: Action,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, msg_type: u8, offset: usize) -> Error {
        Error {
            kind,
            msg_type,
            attr: 0,
            offset: offset as u32,
            action: Action::SessionReset,
        }
    }

    pub(crate) fn attr(kind: ErrorKind, attr: u8, offset: usize, action: Action) -> Error {
        Error {
            kind,
            msg_type: crate::error::msg_type::UPDATE,
            attr,
            offset: offset as u32,
            action,
        }
    }

    /// The (code, subcode) of the NOTIFICATION for this error, `None` when none is sent
    /// (a malformed NOTIFICATION is never answered).
    pub fn code_subcode(&self) -> Option<(u8, u8)> {
        use notif::*;
        use ErrorKind::*;
        Some(match self.kind {
            ConnectionNotSynchronized => (MESSAGE_HEADER_ERROR, CONNECTION_NOT_SYNCHRONIZED),
            BadMessageLength(_) => (MESSAGE_HEADER_ERROR, BAD_MESSAGE_LENGTH),
            BadMessageType(_) => (MESSAGE_HEADER_ERROR, BAD_MESSAGE_TYPE),
            UnsupportedVersion(_) => (OPEN_MESSAGE_ERROR, UNSUPPORTED_VERSION_NUMBER),
            BadPeerAs => (OPEN_MESSAGE_ERROR, BAD_PEER_AS),
            BadBgpIdentifier => (OPEN_MESSAGE_ERROR, BAD_BGP_IDENTIFIER),
            UnsupportedOptionalParameter(_) => (OPEN_MESSAGE_ERROR, UNSUPPORTED_OPTIONAL_PARAMETER),
            UnacceptableHoldTime(_) => (OPEN_MESSAGE_ERROR, UNACCEPTABLE_HOLD_TIME),
            MalformedOpen | MalformedCapability(_) => (OPEN_MESSAGE_ERROR, 0),
            MalformedAttributeList | MalformedMpNlri | NotFromExternalPeer => {
                (UPDATE_MESSAGE_ERROR, MALFORMED_ATTRIBUTE_LIST)
            }
            UnrecognizedWellKnownAttribute => {
                (UPDATE_MESSAGE_ERROR, UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE)
            }
            MissingWellKnownAttribute(_) => (UPDATE_MESSAGE_ERROR, MISSING_WELL_KNOWN_ATTRIBUTE),
            AttributeFlags => (UPDATE_MESSAGE_ERROR, ATTRIBUTE_FLAGS_ERROR),
            AttributeLength => (UPDATE_MESSAGE_ERROR, ATTRIBUTE_LENGTH_ERROR),
            InvalidOrigin(_) => (UPDATE_MESSAGE_ERROR, INVALID_ORIGIN_ATTRIBUTE),
            InvalidNextHop => (UPDATE_MESSAGE_ERROR, INVALID_NEXT_HOP_ATTRIBUTE),
            OptionalAttribute => (UPDATE_MESSAGE_ERROR, OPTIONAL_ATTRIBUTE_ERROR),
            InvalidNetworkField => (UPDATE_MESSAGE_ERROR, INVALID_NETWORK_FIELD),
            MalformedAsPath => (UPDATE_MESSAGE_ERROR, MALFORMED_AS_PATH),
            MalformedNotification => return None,
            RouteRefreshLength => (ROUTE_REFRESH_ERROR, INVALID_MESSAGE_LENGTH),
        })
    }

    /// The NOTIFICATION to send, with the data RFC 4271 §6 asks for. `message` is the whole
    /// message the error was found in (header included), used to copy the erroneous
    /// attribute or field into the data.
    pub fn notification(&self, message: &[u8]) -> Option<Notification> {
        let (code, subcode) = self.code_subcode()?;
        let data: Bytes = match self.kind {
            ErrorKind::BadMessageLength(l) => Bytes::copy_from_slice(&l.to_be_bytes()),
            ErrorKind::BadMessageType(t) => Bytes::copy_from_slice(&[t]),
            ErrorKind::UnsupportedVersion(_) => Bytes::copy_from_slice(&4u16.to_be_bytes()),
            ErrorKind::UnacceptableHoldTime(h) => Bytes::copy_from_slice(&h.to_be_bytes()),
            ErrorKind::MissingWellKnownAttribute(c) => Bytes::copy_from_slice(&[c]),
            ErrorKind::UnsupportedOptionalParameter(_)
            | ErrorKind::MalformedCapability(_)
            | ErrorKind::RouteRefreshLength => Bytes::new(),
            // RFC 4271 §6.3: the data is the erroneous attribute (type, length, value).
            _ if self.attr != 0 => attribute_at(message, self.offset as usize)
                .map(Bytes::copy_from_slice)
                .unwrap_or_default(),
            _ => Bytes::new(),
        };
        Some(Notification::new(code, subcode, data))
    }
}

/// The whole attribute (flags, type, length, value) starting at `offset`, if it fits.
fn attribute_at(message: &[u8], offset: usize) -> Option<&[u8]> {
    let a = message.get(offset..)?;
    let flags = *a.first()?;
    let (hl, len) = if flags & 0x10 != 0 {
        (4, u16::from_be_bytes([*a.get(2)?, *a.get(3)?]) as usize)
    } else {
        (3, *a.get(2)? as usize)
    };
    Some(&a[..(hl + len).min(a.len())])
}
