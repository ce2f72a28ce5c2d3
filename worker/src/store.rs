//! The KV layout, as data: key names, the current-version pointer, and the
//! version and audit records. No I/O here (see `runtime::kv`).
//!
//! ```text
//! ruleset/current          {"version": 7, "updated": "2026-11-20T10:00:00Z"}   the pointer
//! ruleset/v/0000000007     the ruleset document of version 7 (immutable)
//!                          metadata {"version", "time", "action", "by"}
//! audit/0000000007         {"version", "previous", "time", "action", "by", ...}  (immutable)
//!                          metadata: the same entry
//! ```
//!
//! Version numbers are zero-padded to ten digits so that KV's
//! lexicographic `list` returns them in numeric order. A change writes the
//! version entry, then the audit entry, then moves the pointer: the pointer
//! is the commit point, so a reader never sees a version that is not fully
//! stored.

use edgeflags::edit::Edit;
use edgeflags::time::{format_rfc3339, Millis};
use edgeflags::Value;

/// The pointer to the current version.
pub const POINTER_KEY: &str = "ruleset/current";
/// Prefix of the immutable version entries.
pub const VERSION_PREFIX: &str = "ruleset/v/";
/// Prefix of the audit entries.
pub const AUDIT_PREFIX: &str = "audit/";
/// KV metadata must stay under 1024 bytes; entries above this are trimmed.
pub const MAX_METADATA_BYTES: usize = 1000;

/// The key of version `n`'s document.
pub fn version_key(n: u64) -> String {
    format!("{VERSION_PREFIX}{n:010}")
}

/// The key of version `n`'s audit entry.
pub fn audit_key(n: u64) -> String {
    format!("{AUDIT_PREFIX}{n:010}")
}

/// The version number in a version or audit key.
pub fn key_version(key: &str) -> Option<u64> {
    let digits = key.strip_prefix(VERSION_PREFIX).or_else(|| key.strip_prefix(AUDIT_PREFIX))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The pointer's JSON.
pub fn pointer_json(version: u64, now: Millis) -> String {
    Value::Object(vec![
        ("version".into(), Value::Number(version as f64)),
        ("updated".into(), Value::String(format_rfc3339(now))),
    ])
    .to_json()
}

/// The version a pointer names; `Err` says why it is corrupt.
pub fn parse_pointer(text: &str) -> Result<u64, String> {
    let v = Value::parse(text).map_err(|e| format!("pointer is not JSON: {e}"))?;
    match v.get("version").and_then(Value::as_f64) {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err("pointer has no positive integer \"version\"".into()),
    }
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A whole ruleset upload.
    Put,
    /// Flag-level edits of one flag.
    Edit {
        /// The flag.
        flag: String,
        /// The edits, in the order applied.
        edits: Vec<Edit>,
    },
    /// Version `restored` made current again.
    Rollback {
        /// The version whose document was restored.
        restored: u64,
    },
}

impl Action {
    /// `"put"`, `"edit"` or `"rollback"`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Put => "put",
            Action::Edit { .. } => "edit",
            Action::Rollback { .. } => "rollback",
        }
    }
}

/// One accepted change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The new version.
    pub version: u64,
    /// The version it replaced (0: none).
    pub previous: u64,
    /// When, in ms since the epoch.
    pub time: Millis,
    /// What.
    pub action: Action,
    /// The label of the token that made it.
    pub by: String,
}

fn num(n: u64) -> Value {
    Value::Number(n as f64)
}

fn edit_json(e: &Edit) -> Value {
    let (k, v) = match *e {
        Edit::Kill(b) => ("killed", Value::Bool(b)),
        Edit::Enable(b) => ("enabled", Value::Bool(b)),
        Edit::Percentage(p) => ("percentage", Value::Number(p)),
    };
    Value::Object(vec![(k.into(), v)])
}

impl Change {
    /// The metadata stored with the version entry (listed by `GET /v1/versions`).
    pub fn version_metadata(&self) -> Value {
        Value::Object(vec![
            ("version".into(), num(self.version)),
            ("time".into(), Value::String(format_rfc3339(self.time))),
            ("action".into(), Value::String(self.action.name().into())),
            ("by".into(), Value::String(self.by.clone())),
        ])
    }

    /// The full audit entry.
    pub fn audit_entry(&self) -> Value {
        let Value::Object(mut m) = self.version_metadata() else { return Value::Null };
        m.insert(1, ("previous".into(), num(self.previous)));
        match &self.action {
            Action::Put => {}
            Action::Edit { flag, edits } => {
                m.push(("flag".into(), Value::String(flag.clone())));
                m.push(("edits".into(), Value::Array(edits.iter().map(edit_json).collect())));
            }
            Action::Rollback { restored } => m.push(("restored".into(), num(*restored))),
        }
        Value::Object(m)
    }

    /// The audit entry as KV metadata: the whole entry when it fits,
    /// otherwise without the flag details and marked `"truncated": true`
    /// (the full entry is the key's value).
    pub fn audit_metadata(&self) -> Value {
        let full = self.audit_entry();
        if full.to_json().len() <= MAX_METADATA_BYTES {
            return full;
        }
        let Value::Object(mut m) = full else { return Value::Null };
        m.retain(|(k, _)| k != "flag" && k != "edits");
        m.push(("truncated".into(), Value::Bool(true)));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically() {
        let mut keys: Vec<String> = [10, 9, 100, 1].iter().map(|&n| version_key(n)).collect();
        keys.sort();
        assert_eq!(keys.iter().map(|k| key_version(k).unwrap()).collect::<Vec<_>>(), vec![1, 9, 10, 100]);
        assert_eq!(version_key(7), "ruleset/v/0000000007");
        assert_eq!(key_version(&audit_key(42)), Some(42));
        assert_eq!(key_version("ruleset/current"), None);
    }

    #[test]
    fn pointers() {
        assert_eq!(parse_pointer(&pointer_json(7, 0)), Ok(7));
        assert!(parse_pointer("7").is_err());
        assert!(parse_pointer("{\"version\": 0}").is_err());
        assert!(parse_pointer("{\"version\": 1.5}").is_err());
        assert!(parse_pointer("not json").is_err());
    }

    #[test]
    fn audit_entries() {
        let c = Change {
            version: 3,
            previous: 2,
            time: 0,
            action: Action::Edit { flag: "f".into(), edits: vec![Edit::Kill(true)] },
            by: "ci".into(),
        };
        let e = c.audit_entry();
        assert_eq!(e.get("time").and_then(Value::as_str), Some("1970-01-01T00:00:00Z"));
        assert_eq!(e.get("action").and_then(Value::as_str), Some("edit"));
        assert_eq!(e.get("previous").and_then(Value::as_f64), Some(2.0));
        assert_eq!(e.get("edits").map(Value::to_json).as_deref(), Some("[{\"killed\":true}]"));
        let long = Change { action: Action::Edit { flag: "x".repeat(2000), edits: vec![] }, ..c };
        let m = long.audit_metadata();
        assert!(m.to_json().len() <= MAX_METADATA_BYTES);
        assert_eq!(m.get("truncated"), Some(&Value::Bool(true)));
    }
}
