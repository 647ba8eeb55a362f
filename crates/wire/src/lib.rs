//! ferrobgp-wire: BGP message codec. Zero-copy views over `bytes::Bytes` for decoding,
//! encoders into `BytesMut`, the owned model used to originate routes, and ExaBGP's JSON.
//!
//! Module ownership while the crate is being built: `extcommunity`, `flowspec` and `json`
//! are one part; everything else another.

pub mod extcommunity;
pub mod flowspec;
pub mod json;
pub mod model;

pub use model::*;
