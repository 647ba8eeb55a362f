//! Parsing of ExaBGP's `.ci` functional test files.
//!
//! One rule a line, `PREFIX:KIND:CONTENT`; `#` starts a comment. See
//! `../shared/conformance/exabgp/README.md` for the format.

use std::fmt;

/// Options that steer the test peer and the runner (`option:` lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `option:file:NAME` — configuration files, in order.
    pub files: Vec<String>,
    /// `option:asn:N` — the AS the peer answers with.
    pub asn: Option<u32>,
    /// `option:bind:ipv6` — listen on ::1.
    pub bind_ipv6: bool,
    /// `option:open:send-unknown-capability` — add capability 66 to our OPEN.
    pub send_unknown_capability: bool,
    /// `option:open:send-unknown-message` — send a type-255 message after the OPEN.
    pub send_unknown_message: bool,
    /// `option:open:inspect-open-message` — the first expectation is the daemon's OPEN.
    pub inspect_open: bool,
    /// `option:update:send-default-route` — announce 0.0.0.0/0 to the daemon.
    pub send_default_route: bool,
    /// `option:timeout:N` — per-message timeout in seconds.
    pub timeout: Option<u64>,
    /// `option:tcp_connections:N` — how many sessions the daemon opens.
    pub tcp_connections: Option<u32>,
    /// `option:reload:NAME` (ours, not ExaBGP's) — before the n-th `signal:` rule, the n-th
    /// such file is copied over the first `option:file:` configuration: the daemon is
    /// signalled after its configuration file was edited in place, as a user reloads.
    pub reload: Vec<String>,
    /// Option lines we do not interpret (kept for reporting).
    pub unknown: Vec<String>,
}

/// What one expectation line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A message the daemon must send. `full` is false when the rule omits the 16-byte
    /// marker; it is then compared from the length field on.
    Raw { bytes: Vec<u8>, full: bool },
    /// The API command or config statement behind the next expectation.
    Cmd(String),
    /// The JSON ExaBGP writes when decoding the preceding raw message (`json`, `jsv4`, `jsv6`).
    Json { variant: JsonVariant, text: String },
    /// The peer closes the session with Cease/Administrative Shutdown carrying this text.
    Notification(String),
    /// The peer sends this signal to the daemon.
    Signal(String),
    /// `N:send:HEX` (ours, not ExaBGP's): the peer sends this whole message to the daemon
    /// when the sequence reaches the rule's group.
    Send(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonVariant {
    Both,
    V4,
    V6,
}

/// One expectation line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// TCP connection letter, `A` when absent.
    pub conn: char,
    /// Sequence number.
    pub seq: u32,
    pub kind: Kind,
    /// 1-based line number in the file.
    pub line: usize,
}

/// A parsed `.ci` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    pub options: Options,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Decodes the hex of a `raw:` rule; `:` and spaces are cosmetic.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let clean: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    hex::decode(&clean).map_err(|e| format!("bad hex: {e}"))
}

impl Case {
    pub fn parse(text: &str) -> Result<Case, ParseError> {
        let mut case = Case::default();
        for (index, raw_line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw_line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| ParseError {
                line: line_no,
                message,
            };
            let (prefix, rest) = line
                .split_once(':')
                .ok_or_else(|| err("no ':' in rule".into()))?;
            if prefix == "option" {
                parse_option(&mut case.options, rest).map_err(err)?;
                continue;
            }
            let (kind, content) = rest
                .split_once(':')
                .ok_or_else(|| err(format!("rule without kind: {line}")))?;
            let (conn, seq) = parse_prefix(prefix).map_err(err)?;
            let kind = match kind.to_ascii_lowercase().as_str() {
                "raw" => {
                    let bytes = parse_hex(content).map_err(err)?;
                    let full = bytes.len() >= 16 && bytes[..16].iter().all(|b| *b == 0xff);
                    Kind::Raw { bytes, full }
                }
                "cmd" => Kind::Cmd(content.to_string()),
                "json" => Kind::Json {
                    variant: JsonVariant::Both,
                    text: content.to_string(),
                },
                "jsv4" => Kind::Json {
                    variant: JsonVariant::V4,
                    text: content.to_string(),
                },
                "jsv6" => Kind::Json {
                    variant: JsonVariant::V6,
                    text: content.to_string(),
                },
                "notification" => Kind::Notification(content.to_string()),
                "signal" => Kind::Signal(content.trim().to_string()),
                "send" => {
                    let bytes = parse_hex(content).map_err(err)?;
                    if bytes.len() < 19
                        || bytes[..16].iter().any(|b| *b != 0xff)
                        || u16::from_be_bytes([bytes[16], bytes[17]]) as usize != bytes.len()
                    {
                        return Err(err(
                            "send: needs a whole message (marker, right length, type, body)".into(),
                        ));
                    }
                    Kind::Send(bytes)
                }
                other => return Err(err(format!("unknown rule kind {other:?}"))),
            };
            case.rules.push(Rule {
                conn,
                seq,
                kind,
                line: line_no,
            });
        }
        Ok(case)
    }

    /// The `cmd:` lines in file order, with the connection they belong to.
    pub fn commands(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| matches!(r.kind, Kind::Cmd(_)))
    }

    /// Pairs each `json:` / `jsv4:` / `jsv6:` line with the `raw:` line before it in the file.
    pub fn json_pairs(&self) -> Vec<(&Rule, &Rule)> {
        let mut last_raw = None;
        let mut pairs = Vec::new();
        for rule in &self.rules {
            match rule.kind {
                Kind::Raw { .. } => last_raw = Some(rule),
                Kind::Json { .. } => {
                    if let Some(raw) = last_raw {
                        pairs.push((raw, rule));
                    }
                }
                _ => {}
            }
        }
        pairs
    }
}

fn parse_prefix(prefix: &str) -> Result<(char, u32), String> {
    let mut chars = prefix.chars();
    let first = chars.next().ok_or("empty rule prefix")?;
    let (conn, digits) = if first.is_ascii_alphabetic() {
        (first.to_ascii_uppercase(), chars.as_str())
    } else {
        ('A', prefix)
    };
    let seq = digits
        .parse::<u32>()
        .map_err(|_| format!("bad sequence number {prefix:?}"))?;
    Ok((conn, seq))
}

fn parse_option(options: &mut Options, rest: &str) -> Result<(), String> {
    let (area, value) = rest.split_once(':').unwrap_or((rest, ""));
    let value = value.trim();
    let number = |v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("option {area}: bad number {v:?}"))
    };
    match (area, value) {
        ("file", name) => options.files.push(name.to_string()),
        ("asn", v) => options.asn = Some(number(v)? as u32),
        ("bind", "ipv6") => options.bind_ipv6 = true,
        ("open", "send-unknown-capability") => options.send_unknown_capability = true,
        ("open", "send-unknown-message") => options.send_unknown_message = true,
        ("open", "inspect-open-message") => options.inspect_open = true,
        ("update", "send-default-route") => options.send_default_route = true,
        ("timeout", v) => options.timeout = Some(number(v)?),
        ("tcp_connections", v) => options.tcp_connections = Some(number(v)? as u32),
        ("reload", name) if !name.is_empty() => options.reload.push(name.to_string()),
        _ => options.unknown.push(format!("{area}:{value}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options_and_rules() {
        let text = "option:file:a.conf\noption:file:b.conf\noption:asn:65000\n\
                    option:bind:ipv6\noption:timeout:5\noption:tcp_connections:0\n\
                    # a comment\n\n\
                    1:cmd:announce eor ipv4 unicast\n\
                    1:raw:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000\n\
                    1:json:{\"a\":1}\n\
                    B12:raw:0017020000 0000\n\
                    A2:signal:SIGUSR1\n\
                    A3:notification:closing session because we can\n";
        let case = Case::parse(text).unwrap();
        assert_eq!(case.options.files, vec!["a.conf", "b.conf"]);
        assert_eq!(case.options.asn, Some(65000));
        assert!(case.options.bind_ipv6);
        assert_eq!(case.options.timeout, Some(5));
        assert_eq!(case.options.tcp_connections, Some(0));
        assert_eq!(case.rules.len(), 6);
        assert_eq!(
            case.rules[0].kind,
            Kind::Cmd("announce eor ipv4 unicast".into())
        );
        match &case.rules[1].kind {
            Kind::Raw { bytes, full } => {
                assert!(*full);
                assert_eq!(bytes.len(), 23);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((case.rules[3].conn, case.rules[3].seq), ('B', 12));
        assert_eq!(
            case.rules[3].kind,
            Kind::Raw {
                bytes: vec![0, 0x17, 2, 0, 0, 0, 0],
                full: false
            }
        );
        assert_eq!(case.rules[4].kind, Kind::Signal("SIGUSR1".into()));
        assert_eq!(
            case.rules[5].kind,
            Kind::Notification("closing session because we can".into())
        );
        assert_eq!(case.json_pairs().len(), 1);
        assert_eq!(case.commands().count(), 1);
    }

    #[test]
    fn parses_our_extensions() {
        let text = "option:file:a.conf\noption:reload:a.2.conf\n\
                    1:send:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000\n\
                    2:signal:SIGUSR1\n";
        let case = Case::parse(text).unwrap();
        assert_eq!(case.options.reload, vec!["a.2.conf"]);
        assert_eq!(
            case.rules[0].kind,
            Kind::Send(parse_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170200000000").unwrap())
        );
        // send: must be a whole, consistent message.
        assert!(Case::parse("1:send:0017:02:00000000").is_err());
        assert!(Case::parse("1:send:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0018:02:00000000").is_err());
    }

    #[test]
    fn rejects_bad_lines() {
        assert_eq!(Case::parse("1:raw:XYZ").unwrap_err().line, 1);
        assert!(Case::parse("x:raw:00").is_err());
        assert!(Case::parse("1:bogus:00").is_err());
    }

    #[test]
    fn parses_every_conformance_case() {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/exabgp"
        );
        for dir in ["encoding", "api"] {
            let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("ci") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let case = Case::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!case.options.files.is_empty(), "{}", path.display());
            }
        }
    }
}
