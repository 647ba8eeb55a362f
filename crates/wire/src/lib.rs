//! ferrobgp-wire: BGP message codec. Zero-copy views over `bytes::Bytes` for decoding,
//! encoders into `BytesMut`, the owned model used to originate routes, and ExaBGP's JSON.
//!
//! Module ownership while the crate is being built: `extcommunity`, `flowspec` and `json`
//! are one part; everything else another.
//!
//! Receiving: [`frame`] says whether a whole message is buffered; [`decode_message`] turns
//! it into a [`Message`], UPDATEs as an [`UpdateView`] (validated once, iterated without
//! allocation, RFC 7606 problems listed). Sending: [`encode_open`], [`encode_keepalive`],
//! [`encode_notification`], [`encode_route_refresh`], [`UpdateBuilder`], [`encode_update`],
//! [`encode_end_of_rib`].

pub mod extcommunity;
pub mod flowspec;
pub mod json;
pub mod model;

// Families beyond unicast/VPN/flow: NLRI codecs and ExaBGP JSON.
pub mod bgpls;
pub mod evpn;
mod fields;
pub mod mup;
pub mod mvpn;
pub mod prefix_sid;
pub mod rtc;
pub mod srpolicy;
pub mod vpls;

pub mod encode;
pub mod error;
pub mod message;
pub mod nlri;
pub mod operational;
pub mod update;

pub use encode::{encode_attributes, encode_end_of_rib, encode_update, UpdateBuilder};
pub use error::{msg_type, Action, Error, ErrorKind};
pub use message::{
    check_open, decode_message, decode_notification, decode_open, decode_route_refresh,
    encode_keepalive, encode_notification, encode_open, encode_route_refresh, frame, Message,
};
pub use model::*;
pub use nlri::{NlriIter, NlriLayout, NlriView};
pub use update::{AttributeView, MpReach, MpUnreach, Update, UpdateView};

#[cfg(test)]
mod malformed;
#[cfg(test)]
mod proptests;
