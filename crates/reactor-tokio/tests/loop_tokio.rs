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

#[test]
fn passive_session_accepted() {
    support::passive_session_accepted(run);
}

#[test]
fn reload_keeps_session_and_diffs_routes() {
    support::reload_keeps_session_and_diffs_routes(run);
}

#[test]
fn connect_failure_gives_up() {
    support::connect_failure_gives_up(run);
}

#[test]
fn slow_helper_bounds_memory() {
    support::slow_helper_bounds_memory(run);
}

#[test]
fn control_socket_lifecycle() {
    support::control_socket_lifecycle(run);
}

#[test]
fn killed_helper_is_respawned() {
    support::killed_helper_is_respawned(run);
}

#[test]
fn md5_session() {
    support::md5_session(run);
}

#[test]
fn hold_timer_expires() {
    support::hold_timer_expires(run);
}

#[test]
fn garbage_gets_notification() {
    support::garbage_gets_notification(run);
}

#[test]
fn helper_reads_its_ack() {
    support::helper_reads_its_ack(run);
}

#[test]
fn helper_lines_of_one_read_are_one_batch() {
    support::helper_lines_of_one_read_are_one_batch(run);
}

#[test]
fn control_client_is_answered() {
    support::control_client_is_answered(run);
}

#[test]
fn collision_keeps_the_higher_identifier_s_connection() {
    support::collision_keeps_the_higher_identifier_s_connection(run);
}

#[test]
fn auto_flush_false_holds_until_flush() {
    support::auto_flush_false_holds_until_flush(run);
}

#[test]
fn helper_closing_stdout_before_exit_is_respawned() {
    support::helper_closing_stdout_before_exit_is_respawned(run);
}

#[test]
fn operational_both_ways_and_show_extensive() {
    support::operational_both_ways_and_show_extensive(run);
}
