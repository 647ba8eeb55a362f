//! ferrobgp-reactor-mio: the default event loop (see ../../../shared/DESIGN.md).
//!
//! One thread, one `mio::Poll`. It owns the sockets, the pipes of the API processes, the
//! signals and the clock, and drives the sans-IO [`Speaker`] of `ferrobgp-core`. It holds no
//! protocol logic: every iteration is
//!
//! 1. wait for readiness, bounded by the core's next deadline ([`Speaker::next_deadline`]);
//! 2. read what is ready (bounded per source, see [`common::READ_BUDGET`]) and turn it into
//!    [`Input`]s, in this order: the timer (`Tick`, when the deadline has passed), network
//!    events (accepted, connected, bytes received, closed, send buffer low), then API process
//!    events (lines, exits, stdin writable), then signals — the order ExaBGP learned it needs:
//!    peers first, then commands (reference §6);
//! 3. hand them to the core one by one, in that order ([`Speaker::handle`]);
//! 4. drain the core's outputs ([`Speaker::poll_output`]) and perform them; bytes to send are
//!    queued and flushed with `writev` once all outputs are drained, so that one wake-up sends
//!    as few segments as possible.
//!
//! The tokio driver (`ferrobgp-reactor-tokio`) follows the same order and shares the
//! loop-independent code in [`common`].

pub mod common;
mod driver;
pub mod shared;

pub use driver::{run, Options};

/// A handle to a running loop from another thread (tests, an embedding program): injects
/// signals as if the process had received them. Signals sent before the loop runs are kept
/// and delivered when it starts, like signals that arrive during start-up.
pub use common::Handle;
