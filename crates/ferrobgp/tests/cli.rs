//! `ferrobgp cli COMMAND` against a running `ferrobgp run`, under both event loops: the control
//! socket client gets its answer and the daemon applies its commands. Loopback only, every wait
//! bounded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DAEMON: &str = env!("CARGO_BIN_EXE_ferrobgp");

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrobgp-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cli(socket: &Path, command: &[&str]) -> Output {
    Command::new(DAEMON)
        .args(["cli", "--timeout", "5", "--socket"])
        .arg(socket)
        .args(command)
        .output()
        .expect("ferrobgp cli")
}

fn scenario(reactor: &str) {
    let dir = temp_dir(reactor);
    let conf = dir.join("cli.conf");
    // A passive neighbor nobody connects to: the daemon needs no peer to answer.
    std::fs::write(
        &conf,
        "neighbor 127.0.0.9 {\n\trouter-id 127.0.0.1;\n\tlocal-address 127.0.0.1;\n\
         \tlocal-as 65000;\n\tpeer-as 65000;\n\tpassive;\n\tfamily { ipv4 unicast; }\n}\n",
    )
    .unwrap();
    let socket = dir.join("ctl.sock");
    let daemon = Daemon(
        Command::new(DAEMON)
            .args(["run", "--reactor", reactor])
            .arg(&conf)
            .env("exabgp_api_socketpath", &socket)
            .env("exabgp_api_cli", "true")
            .env("exabgp_tcp_bind", "")
            .env("exabgp_log_level", "ERR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ferrobgp run"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "no control socket");
        std::thread::sleep(Duration::from_millis(20));
    }

    let out = cli(&socket, &["show", "neighbor", "summary"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{reactor}: {out:?}");
    assert!(text.contains("127.0.0.9"), "{reactor}: {text}");

    let out = cli(
        &socket,
        &["announce", "route", "10.80.0.0/24", "next-hop", "127.0.0.1"],
    );
    assert!(out.status.success(), "{reactor}: {out:?}");

    let out = cli(&socket, &["show", "adj-rib", "out"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{reactor}: {out:?}");
    assert!(text.contains("10.80.0.0/24"), "{reactor}: {text}");

    let out = cli(&socket, &["no", "such", "command"]);
    assert!(!out.status.success(), "{reactor}: an error answer fails");
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_against_running_daemon_mio() {
    scenario("mio");
}

#[test]
fn cli_against_running_daemon_tokio() {
    scenario("tokio");
}
