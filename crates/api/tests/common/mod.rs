//! What the tests against ExaBGP 5.0.15's captures (`tests/oracle/`) share: reading a
//! capture, hex, the capture's neighbor and daemon, and the per-run values blanked out.
#![allow(dead_code)] // each test binary uses its own part

use ferrobgp_api::event::{DaemonInfo, NeighborInfo};

/// A file of `tests/oracle/`.
pub fn oracle(name: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/");
    std::fs::read_to_string(format!("{dir}{name}")).unwrap()
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// ExaBGP's neighbor in the captures: local and peer 127.0.0.1, AS 65000, router-id 1.2.3.4
/// (the neighbor's configured one, which is what ExaBGP shows).
pub fn neighbor() -> NeighborInfo {
    NeighborInfo {
        local_address: "127.0.0.1".parse().unwrap(),
        peer_address: "127.0.0.1".parse().unwrap(),
        local_as: 65000,
        peer_as: 65000,
        router_id: Some("1.2.3.4".parse().unwrap()),
    }
}

pub fn daemon() -> DaemonInfo {
    DaemonInfo {
        version: "5.0.0".into(),
        host: "vm".into(),
        pid: 1,
        ppid: 2,
    }
}

/// The line with the values that change per run (time, host, pid, ppid) replaced by `_`.
pub fn normalize(line: &str) -> String {
    let mut s = line.to_string();
    for key in ["\"time\": ", "\"host\" : ", "\"pid\" : ", "\"ppid\" : "] {
        let Some(at) = s.find(key) else { continue };
        let from = at + key.len();
        let to = from + s[from..].find(", ").unwrap();
        s.replace_range(from..to, "_");
    }
    s
}
