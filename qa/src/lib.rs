//! Functional harness library (see qa/README.md).
//!
//! - [`ci`]: the `.ci` test-case format.
//! - [`msg`]: BGP framing and the few messages the test peer builds, written independently of
//!   ferrobgp-wire (the harness judges the codec, so it must not lean on it to build bytes).
//! - [`checker`]: sequence matching of what the daemon sends.
//! - [`decode`]: pretty decoding for diffs and the `json:` checks, through ferrobgp-wire when
//!   its decoder exists.

pub mod checker;
pub mod ci;
pub mod decode;
pub mod msg;
