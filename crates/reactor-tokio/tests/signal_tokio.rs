//! A real SIGTERM to the process stops the tokio loop cleanly and its helper with it. Alone in
//! its test binary: the signal reaches the whole process.

#[path = "../../reactor-mio/tests/support/mod.rs"]
mod support;

#[test]
fn sigterm_shuts_down() {
    support::shutdown_stops_children(ferrobgp_reactor_tokio::run, |_| {
        // SAFETY: sending a signal to ourselves; the loop has a handler installed.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    });
}
