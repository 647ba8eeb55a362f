//! Decoding for readable diffs and the `json:` checks.
//!
//! The JSON a daemon writes for a received message is ExaBGP's API format; ferrobgp-wire's
//! `json` module renders it. Until that module exposes a decoder this file keeps the harness
//! working on raw bytes: [`to_json`] answers `None` and the runner reports the `json:` rules
//! as not checked.

use serde_json::Value;

use crate::msg;

/// Lines describing a message, for the side-by-side diff.
pub fn pretty(message: &[u8]) -> Vec<String> {
    msg::describe(message)
}

/// The JSON ExaBGP writes when it decodes `message` (a whole message, header included), or
/// `None` while ferrobgp-wire has no decoder to produce it.
pub fn to_json(_message: &[u8]) -> Option<Result<Value, String>> {
    None
}

/// Whether [`to_json`] can answer yet.
pub fn json_available() -> bool {
    to_json(&msg::keepalive()).is_some()
}

/// Fields that differ from run to run or between versions, ignored when comparing JSON:
/// `time`, `host`, `pid`, `ppid`, `counter`, and the `exabgp` format version.
pub const VOLATILE: &[&str] = &["time", "host", "pid", "ppid", "counter", "exabgp"];

/// Removes the volatile fields, at any depth.
pub fn strip_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in VOLATILE {
                map.remove(*key);
            }
            for v in map.values_mut() {
                strip_volatile(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

/// Compares an expected JSON document with one produced by decoding, ignoring volatile
/// fields. `Err` carries a description of the first difference.
pub fn json_matches(expected: &str, actual: &Value) -> Result<(), String> {
    let mut want: Value = serde_json::from_str(expected).map_err(|e| format!("expected JSON does not parse: {e}"))?;
    let mut got = actual.clone();
    strip_volatile(&mut want);
    strip_volatile(&mut got);
    match first_json_difference(&want, &got, "$") {
        None => Ok(()),
        Some(diff) => Err(diff),
    }
}

fn first_json_difference(want: &Value, got: &Value, path: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    None => return Some(format!("{path}.{k}: missing (expected {v})")),
                    Some(w) => {
                        if let Some(d) = first_json_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            b.keys().find(|k| !a.contains_key(*k)).map(|k| format!("{path}.{k}: unexpected field ({})", b[k]))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                if let Some(d) = first_json_difference(v, w, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (a.len() != b.len()).then(|| format!("{path}: {} items expected, {} found", a.len(), b.len()))
        }
        _ => (want != got).then(|| format!("{path}: expected {want}, found {got}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_volatile_fields() {
        let expected = r#"{"exabgp":"6.0.0","time":1,"host":"a","pid":1,"ppid":2,"counter":3,"type":"update","neighbor":{"x":[1,2]}}"#;
        let actual: Value = serde_json::from_str(r#"{"exabgp":"5.0.0","time":9,"type":"update","neighbor":{"x":[1,2]}}"#).unwrap();
        assert_eq!(json_matches(expected, &actual), Ok(()));
        let other: Value = serde_json::from_str(r#"{"type":"update","neighbor":{"x":[1,3]}}"#).unwrap();
        assert_eq!(json_matches(expected, &other), Err("$.neighbor.x[1]: expected 2, found 3".into()));
    }
}
