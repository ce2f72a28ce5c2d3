//! `POST /v1/ruleset/preview`: what publishing a ruleset would do, storing
//! nothing. The answer is the core's: the validation problems
//! (`Ruleset::from_value`), the semantic diff (`edgeflags::diff::RulesetDiff`,
//! written by its own `to_value`, as `edgeflags diff --json` prints it) and
//! the blast radius (`edgeflags::diff::BlastRadius`) over the caller's
//! contexts or over `sample` synthetic units.
//!
//! This module is pure: body in, answer out; the runtime
//! (`runtime/preview.rs`) only supplies the current version and the clock.
//! The dashboard's editor and history pages are its callers: `before`
//! compares two stored versions instead of the current one.

use edgeflags::diff::{BlastRadius, RulesetDiff};
use edgeflags::time::Millis;
use edgeflags::{Context, Ruleset, Value};

use crate::body::parse_json;
use crate::errors::ApiError;

/// Synthetic units in a blast radius when the caller gives no contexts.
pub const DEFAULT_SAMPLE: usize = 1000;
/// Most contexts (given or synthetic) one preview evaluates: every flag of
/// both rulesets is evaluated for each, and a Worker request has a CPU budget.
pub const MAX_SAMPLE: usize = 10_000;

/// A parsed preview request.
#[derive(Debug, Clone)]
pub struct PreviewBody {
    /// The document to publish.
    pub ruleset: Value,
    /// The document to compare with, instead of the current version.
    pub before: Option<Value>,
    /// The blast radius's contexts: the caller's, or synthetic units.
    pub contexts: Vec<Context>,
    /// Where the contexts came from: `"contexts"` or `"sample"`.
    pub source: &'static str,
}

/// Parses `{"ruleset": {...}, "before": {...}?, "contexts": [...]?, "sample": n?}`.
pub fn parse(text: &str) -> Result<PreviewBody, ApiError> {
    let Value::Object(members) = parse_json(text)? else {
        return Err(ApiError::bad_request("the body must be a JSON object like {\"ruleset\": {...}}"));
    };
    let (mut ruleset, mut before, mut contexts, mut sample) = (None, None, None, None);
    for (k, v) in members {
        match k.as_str() {
            "ruleset" => ruleset = Some(v),
            "before" => before = Some(v),
            "contexts" => {
                let Value::Array(items) = v else {
                    return Err(ApiError::bad_request("\"contexts\" must be a list of context objects"));
                };
                if items.len() > MAX_SAMPLE {
                    return Err(ApiError::bad_request(format!("at most {MAX_SAMPLE} contexts")));
                }
                let list = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Context::from_value(c)
                            .map_err(|e| ApiError::new(400, "INVALID_CONTEXT", format!("contexts[{i}]: {}", e.0)))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                contexts = Some(list);
            }
            "sample" => {
                let n = v.as_f64().filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_SAMPLE as f64);
                let Some(n) = n else {
                    return Err(ApiError::bad_request(format!(
                        "\"sample\" must be a whole number from 1 to {MAX_SAMPLE}"
                    )));
                };
                sample = Some(n as usize);
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown field \"{other}\"; this endpoint takes ruleset, before, contexts, sample"
                )))
            }
        }
    }
    let Some(ruleset) = ruleset else { return Err(ApiError::bad_request("\"ruleset\" is required")) };
    let (contexts, source) = match contexts {
        Some(c) => (c, "contexts"),
        None => (synthetic(sample.unwrap_or(DEFAULT_SAMPLE)), "sample"),
    };
    Ok(PreviewBody { ruleset, before, contexts, source })
}

/// `n` contexts that differ only by their bucketing unit, `user_id`
/// `unit-0` ... `unit-{n-1}`: what percentages and splits move.
pub fn synthetic(n: usize) -> Vec<Context> {
    (0..n)
        .map(|i| {
            let mut c = Context::new();
            c.set("user_id", Value::String(format!("unit-{i}")));
            c
        })
        .collect()
}

/// The answer: `{"valid", "problems": [{path, message}], "against",
/// "diff", "blastRadius"}`. `current` is the version compared with (its
/// number and document), `None` before the first version (an empty
/// ruleset, as the CLI compares with "nothing"). The blast radius is
/// `null` when either side does not load.
pub fn preview(body: &PreviewBody, current: Option<(u64, &Value)>, now: Millis) -> Value {
    let empty = Value::Object(vec![("flags".into(), Value::Object(Vec::new()))]);
    let (against, before_doc) = match (&body.before, current) {
        (Some(b), _) => (Value::String("before".into()), b),
        (None, Some((v, doc))) => (Value::Number(v as f64), doc),
        (None, None) => (Value::Null, &empty),
    };
    let after = Ruleset::from_value(&body.ruleset);
    let problems = match &after {
        Ok(_) => Value::Array(Vec::new()),
        Err(e) => edgeflags::Problem::list_value(&e.problems),
    };
    let diff = RulesetDiff::between(before_doc, &body.ruleset);
    let blast = match (Ruleset::from_value(before_doc), &after) {
        (Ok(b), Ok(a)) => {
            let mut v = BlastRadius::between(&b, a, &body.contexts, now).to_value();
            if let Value::Object(m) = &mut v {
                m.insert(0, ("source".into(), Value::String(body.source.into())));
            }
            v
        }
        _ => Value::Null,
    };
    Value::Object(vec![
        ("valid".into(), Value::Bool(after.is_ok())),
        ("problems".into(), problems),
        ("against".into(), against),
        ("diff".into(), diff.to_value()),
        ("blastRadius".into(), blast),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        Value::parse(text).unwrap()
    }

    #[test]
    fn diff_and_blast_radius_against_the_current_version() {
        let current = doc(r#"{"flags": {"a": {"percentage": 10}, "b": true}}"#);
        let body = parse(r#"{"ruleset": {"flags": {"a": {"percentage": 60}, "b": true}}, "sample": 200}"#).unwrap();
        let out = preview(&body, Some((7, &current)), 0);
        assert_eq!(out.get("valid"), Some(&Value::Bool(true)));
        assert_eq!(out.get("against"), Some(&Value::Number(7.0)));
        // The core's diff, its own serializer.
        let d = RulesetDiff::between(&current, &body.ruleset).to_value();
        assert_eq!(out.get("diff"), Some(&d));
        let br = out.get("blastRadius").unwrap();
        assert_eq!(br.get("contexts").and_then(Value::as_f64), Some(200.0));
        assert_eq!(br.get("source").and_then(Value::as_str), Some("sample"));
        let Some(Value::Array(flags)) = br.get("flags") else { panic!("flags") };
        let a = flags.iter().find(|f| f.get("key").and_then(Value::as_str) == Some("a")).unwrap();
        let changed = a.get("changed").and_then(Value::as_f64).unwrap();
        // About half the units move from off to on (60 - 10 percent).
        assert!((70.0..=130.0).contains(&changed), "{changed}");
        let b = flags.iter().find(|f| f.get("key").and_then(Value::as_str) == Some("b")).unwrap();
        assert_eq!(b.get("changed").and_then(Value::as_f64), Some(0.0));
    }

    #[test]
    fn problems_of_an_invalid_ruleset_and_no_blast_radius() {
        let body = parse(r#"{"ruleset": {"flags": {"x": {"percentage": 150}}}}"#).unwrap();
        let out = preview(&body, None, 0);
        assert_eq!(out.get("valid"), Some(&Value::Bool(false)));
        assert_eq!(out.get("against"), Some(&Value::Null));
        let Some(Value::Array(p)) = out.get("problems") else { panic!("problems") };
        assert_eq!(p[0].get("path").and_then(Value::as_str), Some("flags.x.percentage"));
        assert_eq!(out.get("blastRadius"), Some(&Value::Null));
    }

    #[test]
    fn before_and_given_contexts() {
        let body = parse(
            r#"{"ruleset": {"flags": {"a": {"users": ["u1"]}}}, "before": {"flags": {"a": false}},
                "contexts": [{"user_id": "u1"}, {"user_id": "u2"}]}"#,
        )
        .unwrap();
        let current = doc(r#"{"flags": {}}"#);
        let out = preview(&body, Some((3, &current)), 0);
        assert_eq!(out.get("against").and_then(Value::as_str), Some("before"));
        let br = out.get("blastRadius").unwrap();
        assert_eq!(br.get("contexts").and_then(Value::as_f64), Some(2.0));
        assert_eq!(br.get("source").and_then(Value::as_str), Some("contexts"));
    }

    #[test]
    fn bad_bodies() {
        for (text, code) in [
            ("[]", "BAD_REQUEST"),
            ("{}", "BAD_REQUEST"),
            (r#"{"ruleset": {}, "sample": 0}"#, "BAD_REQUEST"),
            (r#"{"ruleset": {}, "sample": 10001}"#, "BAD_REQUEST"),
            (r#"{"ruleset": {}, "contexts": [3]}"#, "INVALID_CONTEXT"),
            (r#"{"ruleset": {}, "extra": 1}"#, "BAD_REQUEST"),
            ("{", "MALFORMED_JSON"),
        ] {
            assert_eq!(parse(text).unwrap_err().code, code, "{text}");
        }
        assert_eq!(synthetic(MAX_SAMPLE).len(), MAX_SAMPLE);
    }
}
