//! Loop-independent code that speaks the core's language: signals to inputs, the control
//! socket, stopping children at exit. Used by both drivers so that they behave the same.

use std::io;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use ferrobgp_core::{Config, Input, ProcessId, Signal};

/// Re-reads the configuration for `Input::Reload` (SIGUSR1, SIGUSR2). `ferrobgp run` builds
/// it from the command line (with ExaBGP's debug.rotate: the next file on each call).
pub type Reloader = Box<dyn FnMut() -> Result<Config, String> + Send>;

/// A reloader that never has a new configuration (tests, embedding).
pub fn no_reload() -> Reloader {
    Box::new(|| Err("no configuration file to reload".to_string()))
}

/// What one received signal means to the core (ExaBGP's meanings, reference §4.3).
pub fn signal_inputs(signum: libc::c_int, reload: &mut Reloader) -> Vec<Input> {
    let signal = match signum {
        libc::SIGTERM | libc::SIGINT => Signal::Term,
        libc::SIGHUP => Signal::Hup,
        libc::SIGUSR1 => Signal::Usr1,
        libc::SIGUSR2 => Signal::Usr2,
        libc::SIGALRM => Signal::Alrm,
        _ => return Vec::new(),
    };
    tracing::info!(?signal, "signal received");
    let mut inputs = vec![Input::Signal(signal)];
    if matches!(signal, Signal::Usr1 | Signal::Usr2) {
        inputs.extend(reload_inputs(reload));
    }
    inputs
}

/// `Output::Reload` (the `reload` API command) and SIGUSR1/SIGUSR2: re-read the configuration.
/// ExaBGP keeps running on the configuration it has when a reload fails.
pub fn reload_inputs(reload: &mut Reloader) -> Vec<Input> {
    match reload() {
        Ok(config) => vec![Input::Reload { config }],
        Err(e) => {
            tracing::error!("reload failed, keeping the running configuration: {e}");
            Vec::new()
        }
    }
}

/// The exit code of a helper, `None` when a signal killed it.
pub fn exit_code(status: ExitStatus) -> Option<i32> {
    status.code()
}

/// Control-channel clients (`ferrobgp cli`): the core's [`ProcessId::control`] ids. Both loops
/// report a client to the core as `ProcessStarted { pid: 0 }` when it connects, each line it
/// sends as `ProcessLine`, and its end as `ProcessExited { status: None }`; what the core
/// writes to it (`WriteProcess`) goes back on the socket, and `CloseProcessStdin` ends it once
/// that is written.
pub fn control_client_id(n: u32) -> ProcessId {
    ProcessId::control(n)
}

/// Whether `id` is a control-channel client.
pub fn is_control_client(id: ProcessId) -> bool {
    id.is_control()
}

/// Bind the control socket. A stale socket file (no daemon answers on it) is replaced; a live
/// one is an error (another daemon uses that name).
pub fn bind_control_socket(path: &Path) -> io::Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "another daemon is listening on this control socket",
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let l = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        // Commands on this socket change what the daemon announces: owner only.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

/// At exit, after their stdin was closed: give helpers still running `grace` to exit, then
/// SIGTERM, then SIGKILL. Blocks for at most `grace` + 1 s; every child is reaped.
pub fn stop_children(mut children: Vec<(&str, &mut Child)>, grace: Duration) {
    let wait_all = |children: &mut Vec<(&str, &mut Child)>, until: Instant| loop {
        children.retain_mut(|(_, c)| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
        if children.is_empty() || Instant::now() >= until {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    wait_all(&mut children, Instant::now() + grace);
    for (name, c) in children.iter() {
        tracing::info!(process = %name, pid = c.id(), "terminating process");
        let _ = crate::common::signal_pid(c.id(), libc::SIGTERM);
    }
    wait_all(&mut children, Instant::now() + Duration::from_millis(500));
    for (name, c) in children.iter_mut() {
        tracing::warn!(process = %name, pid = c.id(), "killing process");
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Driver-side timers: actions the driver itself schedules (never protocol timers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverTimer {
    /// SIGKILL a helper that did not exit after `KillProcess`'s SIGTERM.
    Kill(ProcessId),
    /// Give up flushing a connection the core closed (the peer stopped reading).
    ForceClose(ferrobgp_core::ConnId),
}

/// How long a helper has between SIGTERM and SIGKILL after `KillProcess`.
pub const KILL_GRACE: Duration = Duration::from_secs(1);
/// How long a connection the core closed may take to flush its last bytes.
pub const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// A tiny list of driver timers (there are only ever a handful).
#[derive(Debug, Default)]
pub struct DriverTimers {
    timers: Vec<(Instant, DriverTimer)>,
}

impl DriverTimers {
    pub fn add(&mut self, at: Instant, t: DriverTimer) {
        self.timers.push((at, t));
    }
    pub fn next(&self) -> Option<Instant> {
        self.timers.iter().map(|(at, _)| *at).min()
    }
    pub fn take_due(&mut self, now: Instant) -> Vec<DriverTimer> {
        let mut due = Vec::new();
        self.timers.retain(|(at, t)| {
            if *at <= now {
                due.push(*t);
                false
            } else {
                true
            }
        });
        due
    }
}

/// The earlier of two optional deadlines.
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// One iteration's inputs, by class. Both drivers hand them to the core in the same order:
/// network events first (accepted, connected, bytes, closed, send buffer low), then API
/// process events (lines, exits, writable), then signals; a `Tick` last when the core's
/// deadline has passed (the core runs due timers inside every `handle()` anyway).
#[derive(Debug, Default)]
pub struct Inputs {
    pub net: std::collections::VecDeque<Input>,
    pub proc: std::collections::VecDeque<Input>,
    pub signal: std::collections::VecDeque<Input>,
}

impl Inputs {
    /// The next input to hand to the core, in the documented order.
    pub fn pop_next(&mut self) -> Option<Input> {
        self.net
            .pop_front()
            .or_else(|| self.proc.pop_front())
            .or_else(|| self.signal.pop_front())
    }

    pub fn is_empty(&self) -> bool {
        self.net.is_empty() && self.proc.is_empty() && self.signal.is_empty()
    }

    /// Queue an input by its class.
    pub fn push(&mut self, input: Input) {
        match input {
            Input::Signal(_) | Input::Reload { .. } => self.signal.push_back(input),
            Input::ProcessStarted { .. }
            | Input::ProcessSpawnFailed { .. }
            | Input::ProcessLine { .. }
            | Input::ProcessExited { .. }
            | Input::ProcessWritable { .. } => self.proc.push_back(input),
            _ => self.net.push_back(input),
        }
    }
}
