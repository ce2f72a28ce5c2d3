//! Flag-level edits of a ruleset *document* (kill, unkill, enable, disable,
//! set a rollout percentage), so a management API can change one flag
//! without the caller re-sending the ruleset. An edit touches the JSON
//! document, never a compiled ruleset: the caller loads the result with
//! [`Ruleset::from_value`](crate::Ruleset::from_value) before storing it,
//! so an edit that would make the ruleset invalid is refused like any
//! invalid upload.

use std::fmt;

use crate::ruleset::compile::expand_shorthand;
use crate::value::Value;

/// A flag-level change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edit {
    /// Turn the kill switch on (`true`) or off (`false`).
    Kill(bool),
    /// Serve `on` (`true`) or `off` (`false`) by default; enabling also
    /// clears the kill switch.
    Enable(bool),
    /// Set the flag-level rollout percentage (replaces a schedule).
    Percentage(f64),
}

/// Why an edit could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The document has no flag with that key.
    FlagNotFound(String),
    /// The document or the flag has a shape the edit cannot change.
    Unsupported(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::FlagNotFound(k) => write!(f, "no flag \"{k}\" in the ruleset"),
            EditError::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for EditError {}

pub(crate) fn set(members: &mut Vec<(String, Value)>, key: &str, v: Value) {
    match members.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = v,
        None => members.push((key.to_string(), v)),
    }
}

pub(crate) fn remove(members: &mut Vec<(String, Value)>, key: &str) {
    members.retain(|(k, _)| k != key);
}

/// Applies `edit` to flag `key` of the ruleset document `doc`.
pub fn apply(doc: &mut Value, key: &str, edit: Edit) -> Result<(), EditError> {
    let Value::Object(top) = doc else {
        return Err(EditError::Unsupported("the ruleset is not an object".into()));
    };
    let Some((_, Value::Object(flags))) = top.iter_mut().find(|(k, _)| k == "flags") else {
        return Err(EditError::FlagNotFound(key.to_string()));
    };
    let Some((_, flag)) = flags.iter_mut().find(|(k, _)| k == key) else {
        return Err(EditError::FlagNotFound(key.to_string()));
    };
    if let Some(expanded) = expand_shorthand(flag) {
        *flag = expanded;
    }
    let Value::Object(m) = flag else {
        return Err(EditError::Unsupported(format!("flag \"{key}\" is not an object")));
    };
    match edit {
        Edit::Kill(k) => set(m, "killed", Value::Bool(k)),
        Edit::Enable(on) => {
            remove(m, "default_variant");
            set(m, "enabled", Value::Bool(on));
            if on {
                set(m, "killed", Value::Bool(false));
            }
        }
        Edit::Percentage(p) => {
            if m.iter().any(|(k, _)| k == "split") {
                return Err(EditError::Unsupported(format!(
                    "flag \"{key}\" serves a weighted split; change its weights with a ruleset upload"
                )));
            }
            remove(m, "schedule");
            remove(m, "rollout_percentage");
            set(m, "percentage", Value::Number(p));
        }
    }
    Ok(())
}

/// Sets the document's `version`.
pub fn set_version(doc: &mut Value, version: u64) -> Result<(), EditError> {
    match doc {
        Value::Object(top) => {
            set(top, "version", Value::Number(version as f64));
            Ok(())
        }
        _ => Err(EditError::Unsupported("the ruleset is not an object".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Ruleset};

    fn doc() -> Value {
        Value::parse(r#"{"version": 3, "flags": {"a": true, "b": {"percentage": 10}, "c": {"variants": {"x": 1, "y": 2}, "default_variant": "x", "split": [["x", 50], ["y", 50]]}}}"#).unwrap()
    }

    #[test]
    fn kill_expands_shorthand_and_loads() {
        let mut d = doc();
        apply(&mut d, "a", Edit::Kill(true)).unwrap();
        set_version(&mut d, 4).unwrap();
        let rs = Ruleset::from_value(&d).unwrap();
        assert_eq!(rs.version(), 4);
        let e = rs.evaluate("a", &Context::new(), 0, &Value::Null);
        assert_eq!((e.value, e.reason.as_str()), (&Value::Bool(false), "DISABLED"));
        apply(&mut d, "a", Edit::Enable(true)).unwrap();
        let rs = Ruleset::from_value(&d).unwrap();
        assert_eq!(rs.evaluate("a", &Context::new(), 0, &Value::Null).value, &Value::Bool(true));
    }

    #[test]
    fn percentage_edit() {
        let mut d = doc();
        apply(&mut d, "b", Edit::Percentage(100.0)).unwrap();
        let rs = Ruleset::from_value(&d).unwrap();
        assert_eq!(rs.evaluate("b", &Context::with_user("u"), 0, &Value::Null).value, &Value::Bool(true));
        assert!(matches!(apply(&mut d, "c", Edit::Percentage(5.0)), Err(EditError::Unsupported(_))));
        assert_eq!(apply(&mut d, "zz", Edit::Kill(true)), Err(EditError::FlagNotFound("zz".into())));
        // An out-of-range percentage edits the document but fails to load.
        apply(&mut d, "b", Edit::Percentage(150.0)).unwrap();
        assert!(Ruleset::from_value(&d).is_err());
    }
}
