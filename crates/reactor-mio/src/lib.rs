//! ferrobgp-reactor-mio: the default event loop (see ../../../shared/DESIGN.md).
//!
//! One thread, one `mio::Poll`. It owns the sockets, the pipes of the API processes, the
//! signals and the clock, and drives the sans-IO `Speaker` of `ferrobgp-core`. It holds no
//! protocol logic. Every iteration is:
//!
//! 1. **Wait** for readiness, at most until the earlier of the core's `next_deadline()` and the
//!    driver's own grace timers (see [`shared::DriverTimers`]); not at all when a source still
//!    has data past its read budget or a queue has bytes to flush.
//! 2. **Read** what is ready, each source at most [`common::READ_BUDGET`] bytes (one busy peer
//!    must not starve the others' keepalives), and turn it into inputs: connections accepted,
//!    connected or failed, bytes received (each read is one `Bytes`, split off the connection's
//!    buffer without a copy), connections closed; helper lines, exits (SIGCHLD, then
//!    `try_wait`, after reading what the helper wrote last), spawn failures; signals.
//! 3. **Feed** them to the core one `handle()` each, in the order of [`shared::Inputs`]:
//!    network events, then API process events, then signals; then `Input::Tick` when the
//!    core's deadline has passed. After each `handle()` the outputs are drained and performed
//!    at once (a `ConnectFailed` for a socket that could not even be created joins this
//!    iteration's network inputs). The order of work *inside* `handle()` — apply the input,
//!    run due timers, run the peers, flush the process queues — is the core's (its crate
//!    docs); the driver does not reorder outputs.
//! 4. **Flush**: bytes queued by `Send`/`WriteProcess` go out with `writev` once all outputs
//!    of the iteration are drained, so one wake-up sends as few segments as possible. A write
//!    that leaves a queue at or below [`common::SEND_LOW_MARK`] is reported
//!    (`SendBufferLow`/`ProcessWritable`) and fed straight back, so a bulk announcement keeps
//!    the socket full without waiting for another poll.
//!
//! The tokio driver (`ferrobgp-reactor-tokio`) follows the same steps with one task per I/O
//! source and shares the loop-independent code in [`common`] and [`shared`].

pub mod common;
mod driver;
pub mod shared;

pub use driver::{run, Options};

/// A handle to a running loop from another thread (tests, an embedding program): injects
/// signals as if the process had received them. Signals sent before the loop runs are kept
/// and delivered when it starts, like signals that arrive during start-up.
pub use common::Handle;
