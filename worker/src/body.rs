//! Request bodies and conditional headers: what the evaluate endpoints and
//! the flag edits accept, parsed strictly so that a client sending the
//! wrong shape hears about it (400) instead of getting a silent default.
//! Body size limits are named here and enforced before parsing.

use edgeflags::edit::Edit;
use edgeflags::time::{parse_rfc3339, Millis};
use edgeflags::{Context, Value};

use crate::errors::ApiError;

/// Largest evaluate or edit request body, in bytes (256 KiB).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// Largest ruleset upload, in bytes: the core's own document limit.
pub const MAX_RULESET_UPLOAD_BYTES: usize = edgeflags::limits::MAX_RULESET_BYTES;
/// Farthest evaluation time `at` may name, in milliseconds either side of
/// the epoch: what a JS `Date` holds (year -271821 to 275760), so a
/// preview can be replayed in the npm package with the same clock.
pub const MAX_AT_MS: i64 = 8_640_000_000_000_000;

/// A POST evaluate body: `{"context": {...}, "default": v}` for one flag,
/// `{"context": {...}, "defaults": {"flag": v}}` for all; either may add
/// `"at"`, the time to evaluate at.
#[derive(Debug, Clone, Default)]
pub struct EvalBody {
    /// The caller's attributes.
    pub context: Context,
    /// The caller's default for one flag.
    pub default: Option<Value>,
    /// The callers' defaults per flag key.
    pub defaults: Vec<(String, Value)>,
    /// Evaluate as of this time (ms since the epoch) instead of the clock:
    /// previews of schedules, and test vectors.
    pub at: Option<Millis>,
}

/// Parses JSON text, mapping syntax errors to 400 `MALFORMED_JSON`.
pub fn parse_json(text: &str) -> Result<Value, ApiError> {
    Value::parse(text).map_err(ApiError::malformed_json)
}

/// Bytes to text, mapping bad UTF-8 to 400 `MALFORMED_JSON`.
pub fn utf8(bytes: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(bytes)
        .map_err(|e| ApiError::malformed_json(format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to())))
}

/// Parses a POST evaluate body (empty = empty context). `one` says whether
/// the endpoint evaluates one flag (`default`) or all (`defaults`).
pub fn eval_body(text: &str, one: bool) -> Result<EvalBody, ApiError> {
    if text.trim().is_empty() {
        return Ok(EvalBody::default());
    }
    let Value::Object(members) = parse_json(text)? else {
        return Err(ApiError::bad_request("the body must be a JSON object like {\"context\": {...}}"));
    };
    let mut out = EvalBody::default();
    for (k, v) in members {
        match (k.as_str(), v) {
            ("context", v) => {
                out.context = Context::from_value(v).map_err(|e| ApiError::new(400, "INVALID_CONTEXT", e.0))?;
            }
            ("default", v) if one => out.default = Some(v),
            ("defaults", Value::Object(d)) if !one => out.defaults = d,
            ("defaults", _) if !one => {
                return Err(ApiError::bad_request("\"defaults\" must be an object of flag key to value"))
            }
            ("at", v) => out.at = Some(eval_time(&v)?),
            (other, _) => {
                let allowed = if one { "context, default, at" } else { "context, defaults, at" };
                return Err(ApiError::bad_request(format!("unknown field \"{other}\"; this endpoint takes {allowed}")));
            }
        }
    }
    Ok(out)
}

/// The `at` field: RFC 3339 text (`"2026-03-01T12:00:00Z"`, or a date,
/// read by the core's own parser) or epoch milliseconds (an integer),
/// within [`MAX_AT_MS`] of the epoch.
pub fn eval_time(v: &Value) -> Result<Millis, ApiError> {
    let expected = "\"at\" must be RFC 3339 text like \"2026-03-01T12:00:00Z\" or epoch milliseconds";
    let ms = match v {
        Value::String(s) => parse_rfc3339(s).map_err(|e| ApiError::bad_request(format!("{expected}: {e}")))?,
        // Integers only: a fraction of a millisecond would be cut differently by each runtime.
        Value::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_AT_MS as f64 => *n as Millis,
        Value::Number(n) => {
            return Err(ApiError::bad_request(format!(
                "{expected}: {n} is not a whole number of milliseconds within {MAX_AT_MS} of the epoch"
            )))
        }
        other => return Err(ApiError::bad_request(format!("{expected}, not {}", other.type_name()))),
    };
    if ms.abs() > MAX_AT_MS {
        return Err(ApiError::bad_request(format!("{expected}: {ms} is more than {MAX_AT_MS} ms from the epoch")));
    }
    Ok(ms)
}

/// A `default` query parameter: JSON if it parses (`true`, `10`,
/// `{"a":1}`), otherwise the text itself as a string.
pub fn query_default(s: &str) -> Value {
    Value::parse(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

/// Parses a PATCH body: any of `enabled`, `killed`, `percentage`, applied
/// in that order (so `{"enabled": true, "killed": true}` ends killed).
pub fn edit_body(text: &str) -> Result<Vec<Edit>, ApiError> {
    let Value::Object(members) = parse_json(text)? else {
        return Err(ApiError::bad_request("the body must be a JSON object like {\"percentage\": 25}"));
    };
    let (mut enabled, mut killed, mut pct) = (None, None, None);
    for (k, v) in members {
        match (k.as_str(), v) {
            ("enabled", Value::Bool(b)) => enabled = Some(Edit::Enable(b)),
            ("killed", Value::Bool(b)) => killed = Some(Edit::Kill(b)),
            ("percentage", Value::Number(n)) => pct = Some(Edit::Percentage(n)),
            ("enabled" | "killed", v) => {
                return Err(ApiError::bad_request(format!("\"{k}\" must be true or false, not {}", v.type_name())))
            }
            ("percentage", v) => {
                return Err(ApiError::bad_request(format!("\"percentage\" must be a number, not {}", v.type_name())))
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown field \"{other}\"; a flag edit takes enabled, killed, percentage"
                )))
            }
        }
    }
    let edits: Vec<Edit> = [enabled, killed, pct].into_iter().flatten().collect();
    if edits.is_empty() {
        return Err(ApiError::bad_request("empty edit: give at least one of enabled, killed, percentage"));
    }
    Ok(edits)
}

/// The version an `If-Match` header asks for: `Some(None)` for `*` (any
/// current version), `Some(Some(n))` for `"n"` (or `W/"n"`, or bare `n`),
/// `None` when the header is absent. A value that names no version is
/// 412 by definition (it cannot match), reported as `Err`.
#[allow(clippy::option_option)]
pub fn if_match(header: Option<&str>) -> Result<Option<Option<u64>>, ApiError> {
    let Some(h) = header.map(str::trim).filter(|h| !h.is_empty()) else { return Ok(None) };
    if h == "*" {
        return Ok(Some(None));
    }
    match etag_version(h) {
        Some(n) => Ok(Some(Some(n))),
        None => Err(ApiError::new(412, "VERSION_CONFLICT", format!("If-Match {h} names no ruleset version"))),
    }
}

/// Whether an `If-None-Match` header matches version `v`.
pub fn none_match(header: Option<&str>, v: u64) -> bool {
    header.is_some_and(|h| h.split(',').any(|t| t.trim() == "*" || etag_version(t.trim()) == Some(v)))
}

/// The strong ETag of version `v`: `"v"`.
pub fn etag(v: u64) -> String {
    format!("\"{v}\"")
}

fn etag_version(t: &str) -> Option<u64> {
    let t = t.strip_prefix("W/").unwrap_or(t);
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_bodies() {
        let b = eval_body(r#"{"context": {"user_id": "u1"}, "default": false}"#, true).unwrap();
        assert_eq!(b.context.unit("user_id").as_deref(), Some("u1"));
        assert_eq!(b.default, Some(Value::Bool(false)));
        let b = eval_body(r#"{"defaults": {"a": 1}}"#, false).unwrap();
        assert_eq!(b.defaults, vec![("a".to_string(), Value::Number(1.0))]);
        assert!(eval_body("  ", true).unwrap().default.is_none());
        assert_eq!(eval_body("{", true).unwrap_err().code, "MALFORMED_JSON");
        assert_eq!(eval_body("[]", true).unwrap_err().code, "BAD_REQUEST");
        assert_eq!(eval_body(r#"{"user_id": "u"}"#, true).unwrap_err().code, "BAD_REQUEST");
        assert_eq!(eval_body(r#"{"defaults": {}}"#, true).unwrap_err().code, "BAD_REQUEST");
        assert_eq!(eval_body(r#"{"context": [1]}"#, true).unwrap_err().code, "INVALID_CONTEXT");
    }

    #[test]
    fn evaluation_times() {
        let at = |body: &str| eval_body(body, true).map(|b| b.at);
        assert_eq!(at("{}").unwrap(), None);
        assert_eq!(at(r#"{"at": 1767225600000}"#).unwrap(), Some(1_767_225_600_000));
        assert_eq!(at(r#"{"at": "2026-01-01T00:00:00Z"}"#).unwrap(), Some(1_767_225_600_000));
        assert_eq!(at(r#"{"at": "2026-01-01T01:00:00.5+01:00"}"#).unwrap(), Some(1_767_225_600_500));
        assert_eq!(at(r#"{"at": "2026-01-01"}"#).unwrap(), Some(1_767_225_600_000));
        assert_eq!(at(r#"{"at": -1000}"#).unwrap(), Some(-1000));
        assert_eq!(at(r#"{"at": 8640000000000000}"#).unwrap(), Some(MAX_AT_MS));
        assert_eq!(eval_body(r#"{"at": 0, "defaults": {}}"#, false).unwrap().at, Some(0));
        for bad in [
            r#"{"at": 8640000000000001}"#,
            r#"{"at": 1e300}"#,
            r#"{"at": 1.5}"#,
            r#"{"at": "yesterday"}"#,
            r#"{"at": "2026-02-30T00:00:00Z"}"#,
            r#"{"at": null}"#,
            r#"{"at": true}"#,
            r#"{"at": [1]}"#,
        ] {
            let e = at(bad).unwrap_err();
            assert_eq!((e.status, e.code), (400, "BAD_REQUEST"), "{bad}");
            assert!(e.message.contains("\"at\" must be RFC 3339"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn edit_bodies() {
        assert_eq!(
            edit_body(r#"{"percentage": 25, "killed": true, "enabled": true}"#).unwrap(),
            vec![Edit::Enable(true), Edit::Kill(true), Edit::Percentage(25.0)]
        );
        assert_eq!(edit_body("{}").unwrap_err().code, "BAD_REQUEST");
        assert_eq!(edit_body(r#"{"killed": "yes"}"#).unwrap_err().code, "BAD_REQUEST");
        assert_eq!(edit_body(r#"{"percent": 3}"#).unwrap_err().code, "BAD_REQUEST");
        assert_eq!(edit_body("nope").unwrap_err().code, "MALFORMED_JSON");
    }

    #[test]
    fn conditional_headers() {
        assert_eq!(if_match(None).unwrap(), None);
        assert_eq!(if_match(Some("*")).unwrap(), Some(None));
        assert_eq!(if_match(Some("\"7\"")).unwrap(), Some(Some(7)));
        assert_eq!(if_match(Some("W/\"7\"")).unwrap(), Some(Some(7)));
        assert_eq!(if_match(Some("7")).unwrap(), Some(Some(7)));
        assert_eq!(if_match(Some("\"abc\"")).unwrap_err().status, 412);
        assert!(none_match(Some("\"3\", \"7\""), 7));
        assert!(none_match(Some("*"), 7));
        assert!(!none_match(Some("\"8\""), 7));
        assert!(!none_match(None, 7));
        assert_eq!(etag(12), "\"12\"");
        assert_eq!(query_default("true"), Value::Bool(true));
        assert_eq!(query_default("blue"), Value::String("blue".into()));
    }
}
