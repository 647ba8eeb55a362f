//! `ferrobgp cli`: send one API command to a running daemon over its control socket and print
//! the answer (like `exabgpcli`).
//!
//! The daemon treats each connection as an API process: one command per line in, answer lines
//! out, ending with `done` or `error`. The socket path is computed as the daemon computes it
//! (`api.socketpath`, else `<run dir>/<api.socketname>.sock`), so the same environment finds
//! the same daemon.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use ferrobgp_reactor_mio::common;

/// Arguments of `ferrobgp cli`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  ferrobgp cli show neighbor summary
  ferrobgp cli announce route 10.0.0.0/24 next-hop self
  ferrobgp cli --socket /run/ferrobgp/exabgp.sock neighbor 192.0.2.1 teardown 2")]
pub struct Args {
    /// The daemon's control socket (default: as the daemon computes it from the environment).
    #[arg(
        long,
        short = 's',
        value_name = "PATH",
        env = "ferrobgp_api_socketpath"
    )]
    pub socket: Option<PathBuf>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// The API command, e.g. `show neighbor summary`.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let path = match args.socket {
        Some(p) => p,
        None => {
            let env = crate::cmd_run::load_environment(None)?;
            let socketpath = ["exabgp_api_socketpath", "exabgp.api.socketpath"]
                .iter()
                .find_map(|k| std::env::var(k).ok())
                .or_else(|| env.raw.get("api.socketpath").cloned());
            common::control_socket_path(true, socketpath.as_deref(), &env.api_socketname)
                .ok_or("no control socket")?
        }
    };
    let command = args.command.join(" ");
    if command.contains('\n') {
        return Err("one command per call".into());
    }
    let mut stream = UnixStream::connect(&path).map_err(|e| {
        format!(
            "cannot reach the daemon on {}: {e} (is it running, with api.cli enabled?)",
            path.display()
        )
    })?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    let reader = BufReader::new(stream.try_clone()?);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in reader.lines() {
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("no answer from the daemon within {} s", timeout.as_secs())
            }
            _ => e.to_string(),
        })?;
        if common::is_final_answer(&line) {
            if line.contains("error") {
                out.flush()?;
                return Err(format!("the daemon answered: {line}").into());
            }
            return Ok(());
        }
        writeln!(out, "{line}")?;
    }
    Err("the daemon closed the connection before answering".into())
}
