//! The shared scenarios (tests/support) under the mio loop.

mod support;

use ferrobgp_reactor_mio::run;

#[test]
fn static_routes_arrive() {
    support::static_routes_arrive(run);
}

#[test]
fn api_process_announces() {
    support::api_process_announces(run);
}

#[test]
fn shutdown_stops_children() {
    support::shutdown_stops_children(run, |d| d.handle.shutdown());
}
