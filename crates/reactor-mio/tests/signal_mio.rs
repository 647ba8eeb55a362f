//! A real SIGTERM to the process stops the mio loop cleanly and its helper with it. Alone in
//! its test binary: the signal reaches the whole process.

mod support;

#[test]
fn sigterm_shuts_down() {
    support::shutdown_stops_children(ferrobgp_reactor_mio::run, |_| {
        // SAFETY: sending a signal to ourselves; the loop has a handler installed.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    });
}
