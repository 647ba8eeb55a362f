//! API commands (stand-in for `ferrobgp_api::parse_command` until it lands).
