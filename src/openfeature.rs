//! OpenFeature's vocabulary over the core: how an OpenFeature evaluation
//! context becomes a [`Context`], and which OpenFeature reason each
//! [`Reason`] is. The Worker's OFREP endpoints and the npm package's
//! OpenFeature providers both go through here, so a user is bucketed the
//! same way through OFREP, through the `/v1` API and in the package.
//!
//! The mapping (docs/openfeature.md):
//!
//! - `targetingKey`, OpenFeature's identity, is the default bucketing unit:
//!   it becomes the `user_id` attribute, and wins over a `user_id` the
//!   context also carries. It is not kept as an attribute of its own. An
//!   empty `targetingKey` counts as absent; one that is not a string is an
//!   invalid context.
//! - Every other attribute passes through unchanged (OpenFeature's
//!   structures are JSON objects; dates arrive as RFC 3339 text, which the
//!   core's date operators read).
//! - Reasons: the core's `STATIC`, `DEFAULT`, `TARGETING_MATCH`, `SPLIT`,
//!   `DISABLED` and `ERROR` are OpenFeature's own. `PREREQUISITE_FAILED`
//!   (a prerequisite did not serve what the flag needs, so the flag serves
//!   its fallback) is reported as `DEFAULT`, and `OVERRIDE` (a test
//!   override: a fixed value) as `STATIC`: OpenFeature clients accept only
//!   the reasons of its specification.

use crate::context::{Context, ContextError};
use crate::error::Reason;
use crate::value::Value;

/// The OpenFeature attribute naming the subject of an evaluation.
pub const TARGETING_KEY: &str = "targetingKey";

/// The attribute `targetingKey` becomes: the default bucketing unit.
pub const UNIT_ATTRIBUTE: &str = "user_id";

/// The OpenFeature reason for a core [`Reason`].
pub fn reason(r: Reason) -> &'static str {
    match r {
        Reason::Static | Reason::Override => "STATIC",
        Reason::Default | Reason::PrerequisiteFailed => "DEFAULT",
        Reason::TargetingMatch => "TARGETING_MATCH",
        Reason::Split => "SPLIT",
        Reason::Disabled => "DISABLED",
        Reason::Error => "ERROR",
    }
}

/// Every core reason with its OpenFeature reason, for bindings that map
/// reason strings (the npm package's providers).
pub fn reasons() -> [(Reason, &'static str); 8] {
    [
        Reason::Static,
        Reason::Default,
        Reason::TargetingMatch,
        Reason::Split,
        Reason::Disabled,
        Reason::PrerequisiteFailed,
        Reason::Error,
        Reason::Override,
    ]
    .map(|r| (r, reason(r)))
}

/// The core context of an OpenFeature evaluation context (a JSON object;
/// `null` is an empty context).
pub fn context(v: Value) -> Result<Context, ContextError> {
    let Value::Object(mut members) = v else {
        return Context::from_value(v);
    };
    let mut unit = None;
    if let Some(i) = members.iter().position(|(k, _)| k == TARGETING_KEY) {
        match members.remove(i).1 {
            Value::String(s) if !s.is_empty() => unit = Some(s),
            Value::String(_) | Value::Null => {}
            other => {
                return Err(ContextError(crate::error::msg!["targetingKey must be a string, not ", other.type_name()]))
            }
        }
    }
    let mut ctx = Context::from_value(Value::Object(members))?;
    if let Some(unit) = unit {
        ctx.set(UNIT_ATTRIBUTE, Value::String(unit));
    }
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        Value::parse(s).unwrap()
    }

    #[test]
    fn targeting_key_is_the_unit() {
        let c = context(parse(r#"{"targetingKey": "u1", "plan": "pro"}"#)).unwrap();
        assert_eq!(c.get("user_id"), Some(&Value::String("u1".into())));
        assert_eq!(c.get("targetingKey"), None);
        assert_eq!(c.get("plan"), Some(&Value::String("pro".into())));
        // It wins over a user_id attribute.
        let c = context(parse(r#"{"user_id": "other", "targetingKey": "u1"}"#)).unwrap();
        assert_eq!(c.get("user_id"), Some(&Value::String("u1".into())));
        assert_eq!(c.iter().count(), 1);
        // Empty or absent: no unit, and a user_id attribute stays.
        let c = context(parse(r#"{"targetingKey": "", "user_id": "x"}"#)).unwrap();
        assert_eq!(c.get("user_id"), Some(&Value::String("x".into())));
        assert!(context(Value::Null).unwrap().iter().next().is_none());
    }

    #[test]
    fn bad_contexts() {
        let e = context(parse(r#"{"targetingKey": 7}"#)).unwrap_err();
        assert!(e.0.contains("targetingKey must be a string"), "{e}");
        assert!(context(parse("[1]")).is_err());
        assert!(context(parse("\"u1\"")).is_err());
    }

    #[test]
    fn reasons_are_openfeatures() {
        const SPEC: &[&str] =
            &["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "CACHED", "DISABLED", "UNKNOWN", "STALE", "ERROR"];
        for (r, of) in reasons() {
            assert!(SPEC.contains(&of), "{r:?} -> {of}");
            if SPEC.contains(&r.as_str()) {
                assert_eq!(of, r.as_str(), "a reason OpenFeature has is kept");
            }
        }
        assert_eq!(reason(Reason::PrerequisiteFailed), "DEFAULT");
        assert_eq!(reason(Reason::Override), "STATIC");
    }
}
