//! ExaBGP's environment settings (reference: ExaBGP `exabgp env`). Every setting can come
//! from an INI file (section `[exabgp.SECTION]`, key `key`) or from an environment variable
//! written `exabgp.section.key`, `exabgp_section_key` or `ferrobgp_section_key`; the
//! environment wins over the file, and `ferrobgp_` wins over `exabgp` spellings.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvError {
    #[error("{source_name}: invalid value '{value}' for {section}.{key}: expected {expected}")]
    Invalid {
        source_name: String,
        section: String,
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("{file}:{line}: {message}")]
    File {
        file: String,
        line: usize,
        message: String,
    },
}

/// Which encoder API processes get by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    Json,
    Text,
}

/// `log.level`, ExaBGP's syslog-style names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Emerg,
    Alert,
    Crit,
    Err,
    Warning,
    Notice,
    Info,
    Debug,
}

impl LogLevel {
    fn parse(s: &str) -> Option<LogLevel> {
        Some(match s.to_ascii_uppercase().as_str() {
            "EMERG" | "EMERGENCY" => LogLevel::Emerg,
            "ALERT" => LogLevel::Alert,
            "CRIT" | "CRITICAL" => LogLevel::Crit,
            "ERR" | "ERROR" => LogLevel::Err,
            "WARNING" | "WARN" => LogLevel::Warning,
            "NOTICE" => LogLevel::Notice,
            "INFO" => LogLevel::Info,
            "DEBUG" => LogLevel::Debug,
            _ => return None,
        })
    }
}

/// The typed settings, with ExaBGP's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// `tcp.bind`: addresses to listen on; empty means no listener.
    pub tcp_bind: Vec<IpAddr>,
    /// `tcp.port` [179]: the listening port and the default remote port.
    pub tcp_port: u16,
    /// `tcp.attempts` (alias `tcp.connections`) [0 = unlimited].
    pub tcp_attempts: u32,
    /// `tcp.delay` [0]: wait until minute-of-hour % N == 0 before announcing.
    pub tcp_delay: u32,
    /// `tcp.once` (deprecated): same as attempts = 1.
    pub tcp_once: bool,
    pub api_ack: bool,
    pub api_chunk: u32,
    pub api_encoder: EncoderKind,
    pub api_respawn: bool,
    pub api_terminate: bool,
    pub api_cli: bool,
    pub api_compact: bool,
    pub api_socketname: String,
    pub api_pipename: String,
    pub api_version: u32,
    pub log_enable: bool,
    pub log_level: LogLevel,
    /// `log.destination`: `stdout`, `stderr`, `syslog`, `host:ADDR` or a file path.
    pub log_destination: String,
    pub log_short: bool,
    pub daemon_pid: Option<PathBuf>,
    pub daemon_daemonize: bool,
    pub daemon_user: String,
    pub debug_rotate: bool,
    pub debug_selfcheck: bool,
    pub bgp_passive: bool,
    /// `bgp.openwait` [60 s].
    pub bgp_openwait: u32,
    pub reactor_speed: f64,
    /// Every setting seen (file and environment), `section.key` → value, for `env` listings
    /// and settings not typed above.
    pub raw: BTreeMap<String, String>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            tcp_bind: Vec::new(),
            tcp_port: 179,
            tcp_attempts: 0,
            tcp_delay: 0,
            tcp_once: false,
            api_ack: true,
            api_chunk: 1,
            api_encoder: EncoderKind::Json,
            api_respawn: true,
            api_terminate: false,
            api_cli: true,
            api_compact: false,
            api_socketname: "exabgp".into(),
            api_pipename: "exabgp".into(),
            api_version: 6,
            log_enable: true,
            log_level: LogLevel::Info,
            log_destination: "stdout".into(),
            log_short: true,
            daemon_pid: None,
            daemon_daemonize: false,
            daemon_user: "nobody".into(),
            debug_rotate: false,
            debug_selfcheck: false,
            bgp_passive: false,
            bgp_openwait: 60,
            reactor_speed: 1.0,
            raw: BTreeMap::new(),
        }
    }
}

/// `exabgp.tcp.port`, `exabgp_tcp_port`, `ferrobgp_tcp_port` → (priority, "tcp", "port").
fn split_variable(name: &str) -> Option<(u8, String, String)> {
    let lower = name.to_ascii_lowercase();
    let (prio, rest) = if let Some(r) = lower.strip_prefix("ferrobgp") {
        (2, r)
    } else if let Some(r) = lower.strip_prefix("exabgp") {
        (1, r)
    } else {
        return None;
    };
    let sep = rest.chars().next()?;
    if sep != '.' && sep != '_' {
        return None;
    }
    let rest = &rest[1..];
    let (section, key) = rest.split_once(['.', '_'])?;
    if section.is_empty() || key.is_empty() {
        return None;
    }
    // Keys are written with '_' in ExaBGP (`paths_limit_audit`); accept '-' too.
    Some((prio, section.to_string(), key.replace('-', "_")))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "enable" | "enabled" => Some(true),
        "0" | "false" | "no" | "off" | "disable" | "disabled" | "" => Some(false),
        _ => None,
    }
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

impl Environment {
    /// Settings from the process environment (no file).
    pub fn from_env() -> Result<Environment, EnvError> {
        Environment::from_iter(std::env::vars())
    }

    /// Settings from `(name, value)` pairs as found in the environment. Names that are not
    /// settings are ignored.
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter<I, K, V>(vars: I) -> Result<Environment, EnvError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut env = Environment::default();
        env.apply_vars(vars)?;
        Ok(env)
    }

    /// Settings from an INI file's text, then the environment variables on top.
    pub fn from_ini_and_iter<I, K, V>(
        file_name: &str,
        ini: &str,
        vars: I,
    ) -> Result<Environment, EnvError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut env = Environment::default();
        env.apply_ini(file_name, ini)?;
        env.apply_vars(vars)?;
        Ok(env)
    }

    /// Reads an INI file (ExaBGP's `exabgp.env`) and applies it.
    pub fn apply_ini(&mut self, file_name: &str, ini: &str) -> Result<(), EnvError> {
        let mut section: Option<String> = None;
        for (n, line) in ini.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(s) = line.strip_prefix('[') {
                let Some(s) = s.strip_suffix(']') else {
                    return Err(EnvError::File {
                        file: file_name.into(),
                        line: n + 1,
                        message: "expected ']' to close the section name".into(),
                    });
                };
                let s = s.trim().to_ascii_lowercase();
                let s = s
                    .strip_prefix("exabgp.")
                    .or_else(|| s.strip_prefix("ferrobgp."))
                    .unwrap_or(&s)
                    .to_string();
                section = Some(s);
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(EnvError::File {
                    file: file_name.into(),
                    line: n + 1,
                    message: "expected 'key = value'".into(),
                });
            };
            let Some(sec) = &section else {
                return Err(EnvError::File {
                    file: file_name.into(),
                    line: n + 1,
                    message: "expected a [section] before the first setting".into(),
                });
            };
            let key = k.trim().to_ascii_lowercase().replace('-', "_");
            self.set(file_name, sec, &key, unquote(v))?;
        }
        Ok(())
    }

    fn apply_vars<I, K, V>(&mut self, vars: I) -> Result<(), EnvError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut found: Vec<(u8, String, String, String)> = vars
            .into_iter()
            .filter_map(|(k, v)| {
                let (p, s, key) = split_variable(k.as_ref())?;
                Some((p, s, key, v.as_ref().to_string()))
            })
            .collect();
        // Lower priority first so that `ferrobgp_` overrides `exabgp`.
        found.sort_by_key(|x| x.0);
        for (_, section, key, value) in found {
            self.set("environment", &section, &key, unquote(&value))?;
        }
        Ok(())
    }

    /// Sets one `section.key`. Unknown settings are kept in `raw` only, as ExaBGP ignores them.
    pub fn set(
        &mut self,
        source_name: &str,
        section: &str,
        key: &str,
        value: &str,
    ) -> Result<(), EnvError> {
        let bad = |expected: &'static str| EnvError::Invalid {
            source_name: source_name.into(),
            section: section.into(),
            key: key.into(),
            value: value.into(),
            expected,
        };
        let boolean = || parse_bool(value).ok_or_else(|| bad("true or false"));
        let number = || {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| bad("a non-negative integer"))
        };
        self.raw
            .insert(format!("{section}.{key}"), value.to_string());
        match (section, key) {
            ("tcp", "bind") => {
                let mut out = Vec::new();
                for w in value.split([' ', ',']).filter(|w| !w.is_empty()) {
                    out.push(w.parse().map_err(|_| bad("space-separated IP addresses"))?);
                }
                self.tcp_bind = out;
            }
            ("tcp", "port") => {
                self.tcp_port = value.trim().parse().map_err(|_| bad("a port number"))?;
            }
            ("tcp", "attempts") | ("tcp", "connections") => self.tcp_attempts = number()?,
            ("tcp", "delay") => self.tcp_delay = number()?,
            ("tcp", "once") => self.tcp_once = boolean()?,
            ("api", "ack") => self.api_ack = boolean()?,
            ("api", "chunk") => self.api_chunk = number()?,
            ("api", "encoder") => {
                self.api_encoder = match value.trim().to_ascii_lowercase().as_str() {
                    "json" => EncoderKind::Json,
                    "text" => EncoderKind::Text,
                    _ => return Err(bad("json or text")),
                }
            }
            ("api", "respawn") => self.api_respawn = boolean()?,
            ("api", "terminate") => self.api_terminate = boolean()?,
            ("api", "cli") => self.api_cli = boolean()?,
            ("api", "compact") => self.api_compact = boolean()?,
            ("api", "socketname") => self.api_socketname = value.to_string(),
            ("api", "pipename") => self.api_pipename = value.to_string(),
            ("api", "version") => self.api_version = number()?,
            ("log", "enable") => self.log_enable = boolean()?,
            ("log", "level") => {
                self.log_level = LogLevel::parse(value.trim())
                    .ok_or_else(|| bad("a level: EMERG ALERT CRIT ERR WARNING NOTICE INFO DEBUG"))?
            }
            ("log", "destination") => self.log_destination = value.to_string(),
            ("log", "short") => self.log_short = boolean()?,
            ("daemon", "pid") => {
                self.daemon_pid = if value.trim().is_empty() {
                    None
                } else {
                    Some(PathBuf::from(value.trim()))
                }
            }
            ("daemon", "daemonize") => self.daemon_daemonize = boolean()?,
            ("daemon", "user") => self.daemon_user = value.to_string(),
            ("debug", "rotate") => self.debug_rotate = boolean()?,
            ("debug", "selfcheck") => self.debug_selfcheck = boolean()?,
            ("bgp", "passive") => self.bgp_passive = boolean()?,
            ("bgp", "openwait") => self.bgp_openwait = number()?,
            ("reactor", "speed") => {
                self.reactor_speed = value.trim().parse().map_err(|_| bad("a number"))?
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let e = Environment::default();
        assert_eq!(e.tcp_port, 179);
        assert!(e.api_ack && e.api_respawn);
        assert_eq!(e.api_encoder, EncoderKind::Json);
        assert!(e.tcp_bind.is_empty());
        assert_eq!(e.bgp_openwait, 60);
    }

    #[test]
    fn all_spellings() {
        let e = Environment::from_iter([
            ("exabgp.tcp.port", "1790"),
            ("exabgp_tcp_bind", ""),
            ("exabgp_tcp_connections", "1"),
            ("exabgp_api_ack", "false"),
            ("exabgp_api_version", "4"),
            ("exabgp_api_cli", "false"),
            ("PATH", "/bin"),
            ("ferrobgp_log_level", "debug"),
            ("exabgp_daemon_pid", "/tmp/x.pid"),
            ("exabgp_bgp_passive", "true"),
        ])
        .unwrap();
        assert_eq!(e.tcp_port, 1790);
        assert_eq!(e.tcp_attempts, 1);
        assert!(!e.api_ack && !e.api_cli && e.bgp_passive);
        assert_eq!(e.api_version, 4);
        assert_eq!(e.log_level, LogLevel::Debug);
        assert_eq!(e.daemon_pid, Some(PathBuf::from("/tmp/x.pid")));
    }

    #[test]
    fn ferrobgp_prefix_wins() {
        let e =
            Environment::from_iter([("ferrobgp_tcp_port", "2000"), ("exabgp_tcp_port", "1000")])
                .unwrap();
        assert_eq!(e.tcp_port, 2000);
    }

    #[test]
    fn ini_then_environment() {
        let ini =
            "[exabgp.tcp]\nport = 1000\nbind = '127.0.0.1 ::1'\n[exabgp.api]\nencoder = text\n";
        let e = Environment::from_ini_and_iter("exabgp.env", ini, [("exabgp_tcp_port", "2000")])
            .unwrap();
        assert_eq!(e.tcp_port, 2000);
        assert_eq!(e.tcp_bind.len(), 2);
        assert_eq!(e.api_encoder, EncoderKind::Text);
    }

    #[test]
    fn invalid_values_are_errors() {
        let err = Environment::from_iter([("exabgp_tcp_port", "http")]).unwrap_err();
        assert!(err.to_string().contains("tcp.port"), "{err}");
        assert!(Environment::from_iter([("exabgp_api_ack", "maybe")]).is_err());
    }
}
