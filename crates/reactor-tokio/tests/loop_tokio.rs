//! The shared scenarios (reactor-mio's tests/support) under the tokio loop.

#[path = "../../reactor-mio/tests/support/mod.rs"]
mod support;

use ferrobgp_reactor_tokio::run;

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
