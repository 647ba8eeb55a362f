//! `ferrobgp run` (and bare `ferrobgp CONF…`): the daemon.
//!
//! Reads ExaBGP's environment settings and the configuration, builds the sans-IO speaker and
//! hands it to the chosen event loop: mio (the default) or tokio, by `--reactor` or the
//! `ferrobgp_reactor` environment variable (the flag wins). The exit code is the speaker's.

use std::path::PathBuf;
use std::time::Instant;

use ferrobgp_core::Speaker;
use ferrobgp_reactor_mio::{common, Handle, Options};

/// Which event loop drives the speaker.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reactor {
    /// One thread, `mio::Poll` (the default).
    Mio,
    /// A current-thread tokio runtime.
    Tokio,
}

/// Arguments of `ferrobgp run`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  ferrobgp etc/ferrobgp/demo.conf
  ferrobgp run --reactor tokio /etc/exabgp/exabgp.conf
  ferrobgp_reactor=tokio exabgp_tcp_port=1790 ferrobgp -d -p conf.conf
  exabgp_debug_rotate=true ferrobgp a.conf b.conf   # each SIGUSR1 moves to the next file
  ferrobgp --log-format json conf.conf 2>log.json

Signals: TERM, INT, HUP shut down (Cease to every peer, exit 0); USR1 reloads the
configuration; USR2 reloads it and restarts the helper processes; ALRM restarts the peers.")]
pub struct Args {
    /// Configuration files. With `exabgp.debug.rotate`, each reload moves to the next one.
    #[arg(required = true, value_name = "CONF")]
    pub configs: Vec<PathBuf>,
    /// The event loop.
    #[arg(long, value_enum, env = "ferrobgp_reactor", value_name = "LOOP")]
    pub reactor: Option<Reactor>,
    /// Debug logging (ExaBGP's -d).
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,
    /// Accepted for ExaBGP compatibility (it starts pdb); ignored.
    #[arg(short = 'p', long = "pdb")]
    pub pdb: bool,
    /// One connection attempt per neighbor (ExaBGP's -1: tcp.attempts = 1).
    #[arg(short = '1', long = "once")]
    pub once: bool,
    /// Make every neighbor passive (ExaBGP's -P: bgp.passive).
    #[arg(short = 'P', long = "passive")]
    pub passive: bool,
    /// ExaBGP's INI environment file (also `exabgp_envfile` / `ferrobgp_envfile`).
    #[arg(long = "env", value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Log lines for people (the default) or one JSON object a line.
    #[arg(long, value_enum, env = "ferrobgp_log_format", default_value = "human")]
    pub log_format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

type BoxError = Box<dyn std::error::Error>;

pub fn run(args: Args) -> Result<(), BoxError> {
    // Before anything slow: a signal that arrives while starting up waits for the loop.
    common::defer_signals()?;
    let env = load_environment(args.env_file.as_ref())?;
    init_logging(&env, args.debug, args.log_format);

    let reactor = args.reactor.unwrap_or(Reactor::Mio);
    if args.configs.len() > 1 && !env.debug_rotate {
        // ExaBGP forks one daemon per file in this case; we do not fork.
        return Err("several configuration files need exabgp.debug.rotate=true \
                    (or run one ferrobgp per file)"
            .into());
    }
    let mut source = ConfigSource {
        files: args.configs.clone(),
        index: 0,
        env: env.clone(),
    };
    let (config, mut core_env) = source.load()?;
    if args.once {
        core_env.tcp_attempts = 1;
    }
    if args.passive {
        core_env.bgp_passive = true;
    }
    if let Some(v) = software_version_override() {
        core_env.software_version = v;
    }
    let speaker = Speaker::new(config, core_env, Instant::now())?;

    let control_socket = common::control_socket_path(
        env.api_cli,
        socketpath(&env).as_deref(),
        &env.api_socketname,
    );
    let pid_file = env.daemon_pid.clone().filter(|p| !p.as_os_str().is_empty());
    if let Some(p) = &pid_file {
        std::fs::write(p, format!("{}\n", std::process::id()))
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let opts = Options {
        control_socket,
        reload: Box::new(move || source.reload()),
        handle: Handle::new(),
    };
    tracing::info!(
        reactor = ?reactor,
        config = %args.configs[0].display(),
        "ferrobgp {} starting with the {} event loop",
        env!("CARGO_PKG_VERSION"),
        match reactor {
            Reactor::Mio => "mio",
            Reactor::Tokio => "tokio",
        }
    );
    let result = match reactor {
        Reactor::Mio => ferrobgp_reactor_mio::run(speaker, opts),
        Reactor::Tokio => ferrobgp_reactor_tokio::run(speaker, opts),
    };
    if let Some(p) = &pid_file {
        let _ = std::fs::remove_file(p);
    }
    let code = result?;
    tracing::info!(code, "exiting");
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// ExaBGP reads its version from `exabgp_version` when set (its test harness sets
/// `5.0.0-0+test`, which conf-cap-software-version expects in the software-version
/// capability as `ExaBGP/5.0.0-0+test`). The variable has no section, so the environment
/// reader does not see it.
fn software_version_override() -> Option<String> {
    ["ferrobgp_version", "exabgp_version", "exabgp.version"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|v| format!("ExaBGP/{v}"))
}

/// `api.socketpath` from the environment (ferrobgp's or ExaBGP's spelling) or the INI file.
fn socketpath(env: &ferrobgp_config::Environment) -> Option<String> {
    [
        "ferrobgp_api_socketpath",
        "exabgp_api_socketpath",
        "exabgp.api.socketpath",
    ]
    .iter()
    .find_map(|k| std::env::var(k).ok())
    .or_else(|| env.raw.get("api.socketpath").cloned())
}

/// ExaBGP's settings: the INI file (`--env`, `exabgp_envfile`, `ferrobgp_envfile`), then the
/// environment variables on top.
pub(crate) fn load_environment(
    file: Option<&PathBuf>,
) -> Result<ferrobgp_config::Environment, BoxError> {
    let file = file.cloned().or_else(|| {
        ["ferrobgp_envfile", "exabgp_envfile", "EXABGP_ENVFILE"]
            .iter()
            .find_map(std::env::var_os)
            .map(PathBuf::from)
    });
    let env = match file {
        Some(f) => {
            let ini = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            ferrobgp_config::Environment::from_ini_and_iter(
                &f.display().to_string(),
                &ini,
                std::env::vars(),
            )?
        }
        None => ferrobgp_config::Environment::from_env()?,
    };
    Ok(env)
}

/// The configuration files and which one is in use (ExaBGP's debug.rotate).
struct ConfigSource {
    files: Vec<PathBuf>,
    index: usize,
    env: ferrobgp_config::Environment,
}

impl ConfigSource {
    fn load(&self) -> Result<(ferrobgp_core::Config, ferrobgp_core::Environment), BoxError> {
        let file = &self.files[self.index];
        let parsed = ferrobgp_config::parse_file(file)?;
        let (config, mut env) = ferrobgp_core::convert::from_config(&parsed, &self.env)?;
        env.host = crate::cmd_decode::host_name();
        env.ppid = std::os::unix::process::parent_id();
        Ok((config, env))
    }

    /// SIGUSR1/SIGUSR2: re-read; with debug.rotate move to the next file first.
    fn reload(&mut self) -> Result<ferrobgp_core::Config, String> {
        let previous = self.index;
        if self.env.debug_rotate {
            self.index = (self.index + 1) % self.files.len();
        }
        tracing::info!(file = %self.files[self.index].display(), "reloading the configuration");
        match self.load() {
            Ok((config, _)) => Ok(config),
            Err(e) => {
                self.index = previous;
                Err(e.to_string())
            }
        }
    }
}

/// tracing to stderr (or the file `log.destination` names); the level from `RUST_LOG` if set, else `-d` (debug), else ExaBGP's
/// `log.level`; nothing with `log.enable = false`.
fn init_logging(env: &ferrobgp_config::Environment, debug: bool, format: LogFormat) {
    use ferrobgp_config::env::LogLevel;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::EnvFilter;
    let level = if !env.log_enable {
        "off"
    } else if debug {
        "debug"
    } else {
        match env.log_level {
            LogLevel::Emerg | LogLevel::Alert | LogLevel::Crit | LogLevel::Err => "error",
            LogLevel::Warning => "warn",
            LogLevel::Notice | LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // `log.destination` naming a file (ExaBGP accepts a path there) appends to it; anything
    // else (stdout, stderr, syslog, host:…) logs to stderr.
    let dest = env.log_destination.as_str();
    let file = if dest.contains('/') {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dest)
        {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("ferrobgp: cannot log to {dest}: {e}; logging to stderr");
                None
            }
        }
    } else {
        None
    };
    let to_terminal = file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let writer = match file {
        Some(f) => BoxMakeWriter::new(std::sync::Mutex::new(f)),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match format {
        LogFormat::Human => builder.with_ansi(to_terminal).try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
}
