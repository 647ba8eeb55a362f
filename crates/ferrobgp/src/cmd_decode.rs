//! `ferrobgp decode`: BGP messages in hex → ExaBGP's JSON, one line per message.
//!
//! Like `exabgp decode`: the neighbor is 127.0.0.1 / AS 65533 on both ends, 4-octet ASNs and
//! extended messages are on, direction `in`. A message may be given whole (marker, length,
//! type) or as its body only (then `--open` or the default `--update` says which). `:` and
//! spaces inside the hex are ignored. `-` reads one message per line from stdin.

use std::io::{BufRead, Write};

use bytes::Bytes;
use ferrobgp_wire::json::{message_event, Envelope, Neighbor};
use ferrobgp_wire::{decode_message, Family, SessionContext};

/// Arguments of `ferrobgp decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Family hint, "afi safi" (e.g. "ipv4 flow"): ADD-PATH with `-i` applies to it only.
    #[arg(short = 'f', long = "family")]
    pub family: Option<String>,
    /// Messages given without header are OPEN bodies.
    #[arg(long = "open", conflicts_with = "update")]
    pub open: bool,
    /// Messages given without header are UPDATE bodies (the default).
    #[arg(long = "update")]
    pub update: bool,
    /// The peer sends ADD-PATH path identifiers (for the `-f` family, or every family).
    #[arg(short = 'i', long = "add-path")]
    pub add_path: bool,
    /// Messages in hex; `-` reads one per line from stdin.
    #[arg(required = true)]
    pub messages: Vec<String>,
}

const FAMILIES: [Family; 12] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family::IPV4_MULTICAST,
    Family::IPV6_MULTICAST,
    Family::IPV4_MPLS_LABEL,
    Family::IPV6_MPLS_LABEL,
    Family::IPV4_MPLS_VPN,
    Family::IPV6_MPLS_VPN,
    Family::IPV4_FLOW,
    Family::IPV6_FLOW,
    Family::IPV4_FLOW_VPN,
    Family::IPV6_FLOW_VPN,
];

fn context(args: &Args) -> Result<SessionContext, String> {
    let families: Vec<Family> = match &args.family {
        Some(f) => vec![f
            .parse::<Family>()
            .map_err(|_| format!("unknown family {f:?}"))?],
        None => FAMILIES.to_vec(),
    };
    Ok(SessionContext {
        asn4: true,
        extended_message: true,
        add_path_receive: if args.add_path { families } else { Vec::new() },
        extended_next_hop: FAMILIES
            .iter()
            .map(|f| (*f, ferrobgp_wire::Afi::IPV6))
            .collect(),
        ..Default::default()
    })
}

/// Hex text → bytes; the error names the offset (in characters) of the first bad character.
fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            ':' | ' ' | '\t' => {}
            c if c.is_ascii_hexdigit() => digits.push(c as u8),
            c => return Err(format!("not hex: {c:?} at offset {i}")),
        }
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    hex::decode(&digits).map_err(|e| format!("not hex: {e}"))
}

fn with_header(mut body: Vec<u8>, kind: u8) -> Result<Vec<u8>, String> {
    if body.len() >= 16 && body[..16].iter().all(|b| *b == 0xFF) {
        return Ok(body);
    }
    let len = u16::try_from(body.len() + 19)
        .map_err(|_| "message longer than 65535 octets".to_string())?;
    let mut m = vec![0xFF; 16];
    m.extend_from_slice(&len.to_be_bytes());
    m.push(kind);
    m.append(&mut body);
    Ok(m)
}

/// The machine's name, as ExaBGP's `socket.gethostname()` gives it for the `host` field.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let ctx = context(&args)?;
    let kind = if args.open { 1 } else { 2 };
    let host = host_name();
    let neighbor = Neighbor::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut counter = 0u64;
    let mut failed = 0usize;
    let mut buf = Vec::with_capacity(4096);

    let mut one = |text: &str, out: &mut dyn Write| -> Result<(), String> {
        let bytes = with_header(unhex(text.trim())?, kind)?;
        let msg = decode_message(Bytes::from(bytes), &ctx).map_err(|e| e.to_string())?;
        counter += 1;
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let env = Envelope {
            version: "6.0.0",
            time,
            host: &host,
            pid: std::process::id(),
            ppid: std::os::unix::process::parent_id(),
            counter,
            kind: "",
        };
        buf.clear();
        message_event(&mut buf, &env, &neighbor, &msg);
        buf.push(b'\n');
        out.write_all(&buf).map_err(|e| e.to_string())
    };

    let mut report = |what: &str, r: Result<(), String>| {
        if let Err(e) = r {
            failed += 1;
            eprintln!("ferrobgp decode: {what}: {e}");
        }
    };
    for (i, m) in args.messages.iter().enumerate() {
        if m == "-" {
            for (n, line) in std::io::stdin().lock().lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                let r = one(&line, &mut out);
                report(&format!("stdin line {}", n + 1), r);
            }
        } else {
            let r = one(m, &mut out);
            report(&format!("message {}", i + 1), r);
        }
    }
    out.flush()?;
    if failed > 0 {
        return Err(format!("{failed} message(s) could not be decoded").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_hex_names_the_offset() {
        assert_eq!(unhex("FFzz").unwrap_err(), "not hex: 'z' at offset 2");
        assert!(unhex("FFF").is_err());
        assert_eq!(unhex("FF:00 01").unwrap(), vec![0xFF, 0, 1]);
    }

    #[test]
    fn body_gets_a_header() {
        let m = with_header(vec![0, 0, 0, 0], 2).unwrap();
        assert_eq!(m.len(), 23);
        assert_eq!(m[18], 2);
    }
}
