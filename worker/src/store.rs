//! The store's layout, as data: the control object's tables, the KV keys
//! the read path uses, the current-version pointer, version and audit
//! records, the Worker-to-object protocol, and the pure decisions of the
//! writer (paging, publish back-off, the import of a KV-only store). No
//! I/O here (see `runtime::control` and `runtime::kv`).
//!
//! The authoritative store is one Durable Object (`runtime::control`,
//! SQLite storage): every version's document, the current pointer and the
//! audit log. Workers KV is its published copy for the global read path:
//!
//! ```text
//! ruleset/current          {"version": 7, "updated": "2026-11-20T10:00:00Z"}   the pointer
//! ruleset/v/0000000007     the ruleset document of version 7 (immutable)
//!                          metadata {"version", "time", "action", "by"}
//! audit/0000000007         (read once, by the import of a store written
//!                          before the object existed; no longer written)
//! ```
//!
//! Version numbers are zero-padded to ten digits so that KV's
//! lexicographic `list` returns them in numeric order. The object writes
//! a version's document before moving the pointer to it, so a reader never
//! sees a pointer to a document that is not stored.

use edgeflags::edit::Edit;
use edgeflags::time::{format_rfc3339, Millis};
use edgeflags::Value;

use crate::errors::ApiError;

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
    /// A guarded rollout moved: by the guard (a decision, with its
    /// figures and the window it read) or by hand (pause, resume, abort).
    Rollout {
        /// The flag.
        flag: String,
        /// The decision (`crate::rollouts`' JSON: the core's decision, or
        /// `{"action": "pause"|"resume"|"abort"}` by hand).
        decision: Value,
    },
}

impl Action {
    /// `"put"`, `"edit"`, `"rollback"` or `"rollout"`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Put => "put",
            Action::Edit { .. } => "edit",
            Action::Rollback { .. } => "rollback",
            Action::Rollout { .. } => "rollout",
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
            Action::Rollout { flag, decision } => {
                m.push(("flag".into(), Value::String(flag.clone())));
                m.push(("decision".into(), decision.clone()));
            }
        }
        Value::Object(m)
    }

    /// The version metadata as KV metadata: KV refuses more than 1024
    /// bytes, so an entry over [`MAX_METADATA_BYTES`] (a very long token
    /// label) is published without it rather than never.
    pub fn kv_metadata(summary: &Value) -> Option<&Value> {
        (summary.to_json().len() <= MAX_METADATA_BYTES).then_some(summary)
    }
}

// ---- the Worker <-> control object protocol --------------------------------

/// The Durable Object binding in `wrangler.toml`.
pub const CONTROL_BINDING: &str = "CONTROL";
/// The one object's name (`idFromName`): a single writer for the store.
pub const CONTROL_NAME: &str = "control";
/// The request header carrying the admin token's label, set by the Worker
/// on the requests it makes to the object (the object is reachable only
/// through the binding, never from the Internet, so no client can set it).
pub const BY_HEADER: &str = "X-Edgeflags-By";
/// A token label as a header value: every byte but `A-Z a-z 0-9 - _ . ~`
/// percent-encoded (labels come from a secret and may hold anything).
pub fn encode_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for b in label.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// On the object's answer to a change: the byte length of the public
/// answer at the start of the body; the rest is the new current document,
/// which the Worker compiles so that its isolate serves the change at once.
pub const ANSWER_BYTES_HEADER: &str = "X-Edgeflags-Answer-Bytes";

// ---- the control object's tables -------------------------------------------

/// The object's SQLite schema (idempotent): `versions` (the listing
/// summary, and whether KV holds the document), `doc_parts` (the
/// documents), `audit` (one entry per version), `meta` (the current and
/// published versions, the publish failures in a row). A document is stored in parts
/// of at most [`DOC_PART_BYTES`]: a ruleset may be up to 16 MiB and a
/// Durable Object's SQLite value at most 2 MB. The guarded rollouts'
/// tables are [`crate::rollouts::SCHEMA`]'s.
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS versions (version INTEGER PRIMARY KEY, summary TEXT NOT NULL, in_kv INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS doc_parts (version INTEGER NOT NULL, part INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (version, part))",
    "CREATE TABLE IF NOT EXISTS audit (version INTEGER PRIMARY KEY, entry TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
];
/// `meta` key: the current version (absent: none yet).
pub const META_CURRENT: &str = "current";
/// `meta` key: the highest version whose document and pointer KV holds.
pub const META_PUBLISHED: &str = "published";
/// `meta` key: publish attempts failed in a row (the alarm's back-off).
pub const META_FAILURES: &str = "publish_failures";
/// Largest part of a stored document, in bytes.
pub const DOC_PART_BYTES: usize = 1024 * 1024;

/// `text` cut into parts of at most `max` bytes, on character boundaries
/// (`max` must be at least 4).
pub fn split_parts(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

/// The first KV publish retry, in ms after a failure.
pub const RETRY_FIRST_MS: u64 = 1000;
/// The longest wait between KV publish retries.
pub const RETRY_MAX_MS: u64 = 5 * 60 * 1000;
/// After a commit, the alarm that publishes the change should the object
/// stop before its own publish finishes (normally the publish cancels it).
pub const SAFETY_ALARM_MS: u64 = 10 * 1000;

/// The wait before retrying a KV publish after `failures` failures in a
/// row (1 s, 2 s, 4 s, ... up to 5 minutes).
pub fn retry_delay_ms(failures: u64) -> u64 {
    let doublings = failures.saturating_sub(1).min(20) as u32;
    RETRY_FIRST_MS.saturating_mul(1u64 << doublings).min(RETRY_MAX_MS)
}

/// Default page size of the version and audit listings.
pub const DEFAULT_PAGE: u64 = 100;
/// Largest page.
pub const MAX_PAGE: u64 = 1000;

/// A listing's `limit` and `cursor` query parameters: the page size and
/// the version after which the page starts. The cursor is opaque to
/// clients (it is the last version of the previous page).
pub fn page_params<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(u64, u64), ApiError> {
    let (mut limit, mut after) = (DEFAULT_PAGE, 0);
    for (k, v) in pairs {
        match k {
            "limit" => {
                limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be a whole number from 1 to 1000"))?;
            }
            "cursor" if v.is_empty() => {}
            "cursor" => {
                after = v
                    .parse::<u64>()
                    .ok()
                    .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| ApiError::bad_request("cursor must be a value a previous page gave"))?;
            }
            _ => {}
        }
    }
    Ok((limit, after))
}

// ---- importing a KV-only store ---------------------------------------------

/// What importing KV's versions into the object makes of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    /// The versions to import (above what the object holds), ascending.
    pub versions: Vec<u64>,
    /// The current version afterwards.
    pub current: u64,
    /// The version KV readers already have (the pointer, when it names an
    /// imported or held version): nothing to publish up to it.
    pub published: u64,
}

/// Decides an import: `held` is the object's highest version (0: empty),
/// `pointer` KV's pointer (if readable), `found` the version numbers that
/// have a document in KV. `None`: nothing to import. An object that holds
/// versions imports only when KV's pointer is ahead of it (versions
/// written to KV while the object was not running, as
/// `scripts/seed-kv.sh FORCE=1` does).
///
/// KV's pointer was the commit point of the KV-only writer, so it names
/// the current version; documents above it (a writer that failed before
/// moving the pointer) are kept as history, not made current. With no
/// pointer (lost), the highest document is current, as the KV-only writer
/// recovered. Numbering continues after the highest version either way.
pub fn plan_import(held: u64, pointer: Option<u64>, found: &[u64]) -> Option<ImportPlan> {
    if held > 0 && pointer.is_none_or(|p| p <= held) {
        // The object already holds a store and KV names nothing newer.
        return None;
    }
    let mut versions: Vec<u64> = found.iter().copied().filter(|&v| v > held).collect();
    versions.sort_unstable();
    versions.dedup();
    let highest = *versions.last()?;
    let current = match pointer {
        Some(p) if versions.binary_search(&p).is_ok() => p,
        _ => highest,
    };
    let published = pointer.filter(|&p| p == current).unwrap_or(0);
    Some(ImportPlan { versions, current, published })
}

/// The audit entry of an imported version that had none in KV.
pub fn imported_audit_entry(version: u64, summary: &Value) -> Value {
    let field = |k: &str| summary.get(k).cloned().unwrap_or(Value::Null);
    Value::Object(vec![
        ("version".into(), num(version)),
        ("previous".into(), Value::Null),
        ("time".into(), field("time")),
        ("action".into(), summary.get("action").cloned().unwrap_or_else(|| Value::String("import".into()))),
        ("by".into(), field("by")),
        ("imported".into(), Value::Bool(true)),
    ])
}

/// The summary (listing entry) of an imported version: its KV metadata
/// when that names the version, else just the number.
pub fn imported_summary(version: u64, metadata: Option<Value>) -> Value {
    match metadata {
        Some(m @ Value::Object(_)) if m.get("version").and_then(Value::as_f64) == Some(version as f64) => m,
        _ => Value::Object(vec![("version".into(), num(version))]),
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
        let long = Change { by: "x".repeat(2000), ..c.clone() };
        assert!(Change::kv_metadata(&long.version_metadata()).is_none());
        assert!(Change::kv_metadata(&c.version_metadata()).is_some());
    }

    #[test]
    fn labels() {
        for l in ["admin", "ci job: main", "ünï\ncode%", ""] {
            let e = encode_label(l);
            assert!(e.bytes().all(|b| b.is_ascii_graphic()), "{e}");
            assert_eq!(crate::api::percent_decode(&e).as_deref(), Some(l));
        }
    }

    #[test]
    fn parts() {
        assert_eq!(split_parts("", 4), vec![""]);
        assert_eq!(split_parts("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        // Never inside a character: "é" is two bytes.
        let s = "aéééé";
        let p = split_parts(s, 4);
        assert_eq!(p.concat(), s);
        assert!(p.iter().all(|x| x.len() <= 4), "{p:?}");
    }

    #[test]
    fn retry_delays() {
        let d: Vec<u64> = (1..=6).map(retry_delay_ms).collect();
        assert_eq!(d, vec![1000, 2000, 4000, 8000, 16000, 32000]);
        assert_eq!(retry_delay_ms(0), 1000);
        assert_eq!(retry_delay_ms(100), RETRY_MAX_MS);
    }

    #[test]
    fn paging() {
        assert_eq!(page_params([]).unwrap(), (DEFAULT_PAGE, 0));
        assert_eq!(page_params([("limit", "4"), ("cursor", "12"), ("x", "y")]).unwrap(), (4, 12));
        assert_eq!(page_params([("cursor", "")]).unwrap(), (DEFAULT_PAGE, 0));
        for bad in
            [("limit", "0"), ("limit", "1001"), ("limit", "x"), ("cursor", "-1"), ("cursor", "+3"), ("cursor", "abc")]
        {
            assert_eq!(page_params([bad]).unwrap_err().status, 400, "{bad:?}");
        }
    }

    #[test]
    fn imports() {
        // Nothing in KV, or nothing newer than held.
        assert_eq!(plan_import(0, None, &[]), None);
        assert_eq!(plan_import(5, Some(5), &[1, 2, 3, 4, 5]), None);
        // A KV-only store: everything, the pointer current.
        let p = plan_import(0, Some(3), &[3, 1, 2]).unwrap();
        assert_eq!(p, ImportPlan { versions: vec![1, 2, 3], current: 3, published: 3 });
        // A document above the pointer (a write that never committed): history only.
        let p = plan_import(0, Some(1), &[1, 2]).unwrap();
        assert_eq!((p.versions.len(), p.current, p.published), (2, 1, 1));
        // No pointer (lost): the highest, and KV needs the pointer again.
        let p = plan_import(0, None, &[1, 2]).unwrap();
        assert_eq!((p.current, p.published), (2, 0));
        // A pointer naming an absent document: the highest document.
        assert_eq!(plan_import(0, Some(9), &[1, 2]).unwrap().current, 2);
        // Versions written to KV behind the object's back (scripts/seed-kv.sh
        // FORCE=1 while it was stopped) are adopted above what it holds.
        let p = plan_import(4, Some(5), &[1, 2, 3, 4, 5]).unwrap();
        assert_eq!(p, ImportPlan { versions: vec![5], current: 5, published: 5 });
        // ... but only when KV's pointer names one of them.
        assert_eq!(plan_import(4, Some(4), &[4, 5]), None);
        assert_eq!(plan_import(4, None, &[4, 5]), None);
    }

    #[test]
    fn imported_entries() {
        let meta =
            Value::parse(r#"{"version":2,"time":"2026-01-01T00:00:00Z","action":"seed","by":"seed-kv"}"#).unwrap();
        assert_eq!(imported_summary(2, Some(meta.clone())), meta);
        assert_eq!(imported_summary(3, Some(meta.clone())).to_json(), r#"{"version":3}"#);
        assert_eq!(imported_summary(3, None).to_json(), r#"{"version":3}"#);
        let a = imported_audit_entry(2, &meta);
        assert_eq!(a.get("action").and_then(Value::as_str), Some("seed"));
        assert_eq!(a.get("imported"), Some(&Value::Bool(true)));
        let a = imported_audit_entry(3, &imported_summary(3, None));
        assert_eq!(a.get("action").and_then(Value::as_str), Some("import"));
    }
}
