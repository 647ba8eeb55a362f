//! `ferrobgp validate` as a user runs it: a broken file gets a file:line:column error and a
//! non-zero exit; the shipped demo configuration is valid.

use std::path::PathBuf;
use std::process::Command;

fn ferrobgp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferrobgp"))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrobgp-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_malformed_config_names_file_line_and_column_and_fails() {
    let path = temp_file(
        "broken.conf",
        "neighbor 127.0.0.1 {\n\trouter-id 10.0.0.1;\n\tlocal-as 65000;\n\tpeer-as 65001;\n\thold-time soon;\n}\n",
    );
    let out = ferrobgp().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success(), "validate must fail on a broken file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = format!("{stdout}{stderr}");
    let want = format!("{}:5:", path.display());
    assert!(text.contains(&want), "no {want} in: {text}");
    assert!(text.contains(":5:12:"), "the column of `soon`: {text}");
    assert!(
        text.contains("hold time") && text.contains("soon"),
        "what was expected and what was found: {text}"
    );
}

#[test]
fn a_neighbor_without_peer_as_is_refused() {
    let path = temp_file(
        "no-peer-as.conf",
        "neighbor 127.0.0.1 {\n\trouter-id 10.0.0.1;\n\tlocal-as 65000;\n}\n",
    );
    let out = ferrobgp().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("peer-as"), "{text}");
}

#[test]
fn the_demo_configuration_is_valid() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../etc/ferrobgp/demo.conf");
    let out = ferrobgp().arg("validate").arg(&demo).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_operational_block_is_read_by_the_api_grammar() {
    let good = "neighbor 127.0.0.1 {\n  router-id 10.0.0.2;\n  local-as 65000;\n  peer-as 65000;\n  capability { operational; }\n  family { ipv4 unicast; }\n  operational {\n    asm afi ipv4 safi unicast advisory \"maintenance\";\n    rpcq afi ipv4 safi unicast sequence 10;\n  }\n}\n";
    let path = temp_file("operational-good.conf", good);
    let out = ferrobgp().arg("validate").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A misspelt word: file, line and column of that word.
    let path = temp_file(
        "operational-bad.conf",
        &good.replace("safi unicast sequence", "saf unicast sequence"),
    );
    let out = ferrobgp().arg("validate").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("operational-bad.conf:9:19: operational: expected safi"),
        "{err}"
    );
}
