//! The evaluate endpoints' bodies: the Worker's envelope around the core's
//! results. Every result is written by the core's one serializer
//! (`impl Serialize for edgeflags::Evaluation`), so the Worker answers in
//! exactly the shape the CLI and the npm package give; the Worker only adds
//! where the answer came from (`key`, `version`) and, for an unknown flag,
//! an `error` like every other error body.
//!
//! ```json
//! {"key": "max_upload_mb", "version": 1, "value": 1000, "variant": "huge", "reason": "TARGETING_MATCH", "ruleId": "enterprise"}
//! {"version": 1, "flags": {"new_dashboard": {"value": true, "variant": "on", "reason": "STATIC"}}}
//! ```

use edgeflags::{ErrorCode, Evaluation, Reason, Value};
use serde::ser::{Serialize, Serializer};

/// An `{"code", "message"}` error member.
#[derive(serde::Serialize)]
struct ErrorMember<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(serde::Serialize)]
struct One<'a> {
    key: &'a str,
    version: u64,
    #[serde(flatten)]
    result: &'a Evaluation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorMember<'a>>,
}

/// The flags of an evaluate-all answer, in the given order, as one object.
struct Flags<'a>(&'a [(&'a str, Evaluation<'a>)]);

impl Serialize for Flags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, e)| (k, e)))
    }
}

#[derive(serde::Serialize)]
struct All<'a> {
    version: u64,
    flags: Flags<'a>,
}

/// Serializes `v` to JSON text. The answers hold only strings, numbers
/// and the core's values, which always serialize; the fallback is there to
/// keep this total (a 500 body rather than a panic).
fn to_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        format!(r#"{{"error":{{"code":"INTERNAL","message":{}}}}}"#, Value::String(e.to_string()).to_json())
    })
}

/// The body of `POST|GET /v1/flags/{key}`: the envelope, then the result's
/// members; with `FLAG_NOT_FOUND`, also `"error"` (the answer is a 404).
pub fn one(key: &str, version: u64, result: &Evaluation<'_>) -> String {
    let missing =
        (result.error_code == Some(ErrorCode::FlagNotFound)).then(|| format!("no flag \"{key}\" in the ruleset"));
    let error = missing.as_deref().map(|message| ErrorMember { code: ErrorCode::FlagNotFound.as_str(), message });
    to_text(&One { key, version, result, error })
}

/// The body of `POST|GET /v1/flags`: every result, keyed by flag, in order.
pub fn all(version: u64, flags: &[(&str, Evaluation<'_>)]) -> String {
    to_text(&All { version, flags: Flags(flags) })
}

/// The result members of an answer made without a ruleset (503
/// `PROVIDER_NOT_READY`): the caller's default (`null` when none), as a
/// result of the core's shape, for [`crate::errors::ApiError::with`].
pub fn not_ready(default: &Value) -> Vec<(String, Value)> {
    let e = Evaluation {
        value: default,
        variant: None,
        reason: Reason::Error,
        rule_id: None,
        error_code: Some(ErrorCode::ProviderNotReady),
    };
    // Through the text, to keep the serializer's member order.
    match Value::parse(&to_text(&e)) {
        Ok(Value::Object(members)) => members,
        // Unreachable (a result is an object); the default alone then.
        _ => vec![("value".into(), default.clone())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeflags::{Context, Ruleset};

    fn ruleset() -> Ruleset {
        Ruleset::from_json(
            r#"{"flags": {
                "limit": {"variants": {"small": 10, "huge": 1000}, "default_variant": "small",
                          "rules": [{"id": "ent", "conditions": [{"attribute": "plan", "op": "eq", "value": "enterprise"}], "variant": "huge"}]},
                "say.hi": {"variants": {"a": "ü\n"}, "default_variant": "a"}
            }}"#,
        )
        .unwrap()
    }

    fn parse(text: &str) -> Value {
        Value::parse(text).unwrap()
    }

    #[test]
    fn one_flag_is_the_envelope_then_the_core_result() {
        let rs = ruleset();
        let ctx = Context::from_value(parse(r#"{"plan": "enterprise"}"#)).unwrap();
        let e = rs.evaluate("limit", &ctx, 0, &Value::Null);
        assert_eq!(
            one("limit", 3, &e),
            r#"{"key":"limit","version":3,"value":1000,"variant":"huge","reason":"TARGETING_MATCH","ruleId":"ent"}"#
        );
        // The result's members are exactly the core's serialization.
        let mut members = Vec::new();
        if let Value::Object(m) = parse(&one("limit", 3, &e)) {
            members = m.into_iter().skip(2).collect();
        }
        assert_eq!(Value::Object(members), parse(&serde_json::to_string(&e).unwrap()));
    }

    #[test]
    fn unknown_flags_and_mismatched_defaults() {
        let rs = ruleset();
        let ctx = Context::new();
        let d = Value::String("x".into());
        let nf = rs.evaluate("nope", &ctx, 0, &d);
        assert_eq!(
            one("nope", 1, &nf),
            r#"{"key":"nope","version":1,"value":"x","variant":null,"reason":"ERROR","errorCode":"FLAG_NOT_FOUND","error":{"code":"FLAG_NOT_FOUND","message":"no flag \"nope\" in the ruleset"}}"#
        );
        let mismatch = rs.evaluate("limit", &ctx, 0, &d);
        assert_eq!(
            one("limit", 1, &mismatch),
            r#"{"key":"limit","version":1,"value":"x","variant":null,"reason":"ERROR","errorCode":"TYPE_MISMATCH"}"#
        );
    }

    #[test]
    fn all_flags_in_order() {
        let rs = ruleset();
        let ctx = Context::new();
        let results = rs.evaluate_all(&ctx, 0);
        assert_eq!(
            all(7, &results),
            r#"{"version":7,"flags":{"limit":{"value":10,"variant":"small","reason":"DEFAULT"},"say.hi":{"value":"ü\n","variant":"a","reason":"STATIC"}}}"#
        );
        assert_eq!(all(0, &[]), r#"{"version":0,"flags":{}}"#);
    }

    #[test]
    fn not_ready_members_are_a_result() {
        let members = not_ready(&Value::Bool(true));
        assert_eq!(
            Value::Object(members).to_json(),
            r#"{"value":true,"variant":null,"reason":"ERROR","errorCode":"PROVIDER_NOT_READY"}"#
        );
    }
}
