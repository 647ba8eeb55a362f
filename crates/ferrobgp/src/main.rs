//! The `ferrobgp` command-line program.
//!
//! Like ExaBGP, `ferrobgp FILE.conf` (no sub-command) runs the daemon; the sub-commands
//! are `run`, `validate`, `decode`, `encode`, `cli` and `version`. Each sub-command lives in
//! its own module so that its owner can change it without touching the others.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_cli;
mod cmd_decode;
mod cmd_encode;
mod cmd_run;
mod cmd_validate;

#[derive(Parser, Debug)]
#[command(
    name = "ferrobgp",
    version,
    about = "An ExaBGP-compatible BGP speaker",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the daemon on one or more configuration files (the default).
    Run(cmd_run::Args),
    /// Parse and check a configuration file, print a summary.
    Validate(cmd_validate::Args),
    /// Decode BGP messages given in hex and print ExaBGP's JSON.
    Decode(cmd_decode::Args),
    /// Encode a route written in ExaBGP's command syntax into hex.
    Encode(cmd_encode::Args),
    /// Send one API command to a running daemon and print the answer.
    Cli(cmd_cli::Args),
    /// Print the version.
    Version,
}

const EXAMPLES: &str = "\
Examples:
  ferrobgp etc/ferrobgp/demo.conf                     run the daemon (as `exabgp FILE`)
  ferrobgp --reactor tokio my.conf                    the same on the tokio event loop
  exabgp_tcp_bind=127.0.0.1 exabgp_tcp_port=1179 ferrobgp my.conf   listen on 127.0.0.1:1179
  ferrobgp validate -r my.conf                        check a configuration, list its routes
  ferrobgp decode FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304   a message in hex -> ExaBGP JSON
  ferrobgp encode \"route 10.0.0.0/24 next-hop 192.0.2.1\"   a route -> UPDATE in hex
  ferrobgp cli \"show neighbor summary\"                one command to a running daemon";

const SUBCOMMANDS: &[&str] = &[
    "run",
    "validate",
    "decode",
    "encode",
    "cli",
    "version",
    "help",
    "--help",
    "-h",
    "--version",
    "-V",
];

/// ExaBGP is started as `exabgp [flags] FILE…`; keep that working by inserting `run` when the
/// first argument is not a sub-command.
fn normalise_args(mut args: Vec<String>) -> Vec<String> {
    if args.len() > 1 && !SUBCOMMANDS.contains(&args[1].as_str()) {
        args.insert(1, "run".to_string());
    }
    args
}

fn main() -> ExitCode {
    let args = normalise_args(std::env::args().collect());
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Run(a) => cmd_run::run(a),
        Command::Validate(a) => cmd_validate::run(a),
        Command::Decode(a) => cmd_decode::run(a),
        Command::Encode(a) => cmd_encode::run(a),
        Command::Cli(a) => cmd_cli::run(a),
        Command::Version => {
            println!("ferrobgp {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrobgp: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_config_file_means_run() {
        let a = normalise_args(vec!["ferrobgp".into(), "x.conf".into()]);
        assert_eq!(a, ["ferrobgp", "run", "x.conf"]);
        let b = normalise_args(vec!["ferrobgp".into(), "decode".into(), "FF".into()]);
        assert_eq!(b, ["ferrobgp", "decode", "FF"]);
    }
}
