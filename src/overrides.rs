//! Test overrides: a flag key pinned to a value, over every rule and the
//! kill switch (the package's `enable` / `disable` / `override` / `reset`).
//! They live in the core so that every binding serves them the same way
//! ([`Ruleset::evaluate_with`]); a binding only keeps an [`Overrides`]
//! beside its ruleset.

use crate::error::OverrideError;
use crate::{Ruleset, Value};

/// Flag keys pinned to values, in the order they were first set.
///
/// Kept across ruleset updates: an override names a key, not a compiled
/// flag, and an override of a key the ruleset does not have is served too.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Few entries (test helpers), so a scan; in first-set order, which
    /// [`Ruleset::evaluate_all_with`] follows for keys the ruleset lacks.
    entries: Vec<(Box<str>, Value)>,
}

impl Overrides {
    /// No overrides.
    pub const fn new() -> Overrides {
        Overrides { entries: Vec::new() }
    }

    /// Pins `key` to `value`. With a `ruleset` that has the flag, the
    /// flag's declared type must be able to serve the value
    /// ([`FlagType::accepts`](crate::FlagType::accepts): a boolean flag
    /// takes booleans, ..., a `json` flag anything); a key the ruleset does
    /// not have, or no ruleset yet, takes any value. Setting a key again
    /// replaces its value and keeps its place in the order.
    pub fn set(&mut self, ruleset: Option<&Ruleset>, key: &str, value: Value) -> Result<(), OverrideError> {
        if let Some(flag) = ruleset.and_then(|rs| rs.flag(key)) {
            if !flag.kind().accepts(&value) {
                return Err(OverrideError::TypeMismatch {
                    key: key.to_string(),
                    flag_type: flag.kind(),
                    value: value.kind(),
                });
            }
        }
        match self.entries.iter_mut().find(|(k, _)| &**k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.into(), value)),
        }
        Ok(())
    }

    /// [`Overrides::set`] to `true` (the package's `enable`).
    pub fn enable(&mut self, ruleset: Option<&Ruleset>, key: &str) -> Result<(), OverrideError> {
        self.set(ruleset, key, Value::Bool(true))
    }

    /// [`Overrides::set`] to `false` (the package's `disable`).
    pub fn disable(&mut self, ruleset: Option<&Ruleset>, key: &str) -> Result<(), OverrideError> {
        self.set(ruleset, key, Value::Bool(false))
    }

    /// Removes the override of `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| &**k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// Removes every override.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The value `key` is pinned to.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// How many keys are pinned.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is pinned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The overrides, in first-set order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, ErrorCode, FlagType, Kind, Reason};

    fn rs() -> Ruleset {
        Ruleset::from_json(
            r#"{"flags": {
                "b": {"users": ["u1"]},
                "s": {"variants": {"red": "red", "blue": "blue"}, "default_variant": "red"},
                "n": {"variants": {"small": 1, "big": 10, "also_big": 10}, "default_variant": "small"},
                "j": {"variants": {"a": {"x": 1}, "b": [1, 2], "c": null}, "default_variant": "a"},
                "dead": {"killed": true, "enabled": true}
            }}"#,
        )
        .unwrap()
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn set_checks_the_declared_type() {
        let rs = rs();
        let mut o = Overrides::new();
        let err = o.set(Some(&rs), "b", s("yes")).unwrap_err();
        assert_eq!(
            err,
            OverrideError::TypeMismatch { key: "b".into(), flag_type: FlagType::Boolean, value: Kind::String }
        );
        assert_eq!(err.code(), ErrorCode::TypeMismatch);
        assert_eq!(err.to_string(), r#"flag "b" serves boolean values, not string"#);
        assert!(o.set(Some(&rs), "b", Value::Null).is_err(), "a boolean flag cannot serve null");
        assert!(o.set(Some(&rs), "s", Value::Number(1.0)).is_err());
        assert!(o.set(Some(&rs), "n", s("10")).is_err(), "numeric text is not a number");
        assert!(o.set(Some(&rs), "n", Value::Object(vec![])).is_err());
        assert!(o.is_empty(), "a rejected override leaves nothing behind");
        for v in [Value::Null, Value::Bool(false), s("x"), Value::Array(vec![]), Value::Object(vec![])] {
            o.set(Some(&rs), "j", v).unwrap();
        }
        // Unknown keys and no ruleset: anything.
        o.set(Some(&rs), "nope", s("x")).unwrap();
        o.set(None, "b", s("not checked without a ruleset")).unwrap();
        assert_eq!(o.len(), 3);
    }

    #[test]
    fn order_is_first_set_and_updates_stay_in_place() {
        let mut o = Overrides::new();
        o.enable(None, "z").unwrap();
        o.disable(None, "a").unwrap();
        o.set(None, "m", Value::Number(3.0)).unwrap();
        o.enable(None, "a").unwrap();
        let keys: Vec<&str> = o.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(o.get("a"), Some(&Value::Bool(true)));
        assert_eq!(o.remove("z"), Some(Value::Bool(true)));
        assert_eq!(o.remove("z"), None);
        assert_eq!(o.get("z"), None);
        o.clear();
        assert!(o.is_empty() && o.get("a").is_none());
    }

    #[test]
    fn variant_is_the_first_with_an_equal_value() {
        let rs = rs();
        let ctx = Context::new();
        let mut o = Overrides::new();
        o.set(Some(&rs), "n", Value::Number(10.0)).unwrap();
        o.set(Some(&rs), "s", s("green")).unwrap();
        o.set(Some(&rs), "j", Value::Array(vec![Value::Number(1.0), Value::Number(2.0)])).unwrap();
        let e = rs.evaluate_with("n", &ctx, 0, &Value::Null, &o);
        assert_eq!((e.value, e.variant, e.reason), (&Value::Number(10.0), Some("big"), Reason::Override));
        assert_eq!((e.rule_id, e.error_code), (None, None));
        let e = rs.evaluate_with("s", &ctx, 0, &Value::Null, &o);
        assert_eq!((e.value, e.variant, e.reason), (&s("green"), None, Reason::Override));
        assert_eq!(rs.evaluate_with("j", &ctx, 0, &Value::Null, &o).variant, Some("b"));
        o.set(Some(&rs), "j", Value::Null).unwrap();
        assert_eq!(rs.evaluate_with("j", &ctx, 0, &Value::Null, &o).variant, Some("c"));
    }

    #[test]
    fn overrides_win_over_the_kill_switch_and_unknown_keys_are_served() {
        let rs = rs();
        let ctx = Context::with_user("u1");
        let mut o = Overrides::new();
        assert_eq!(rs.evaluate_with("dead", &ctx, 0, &Value::Null, &o).reason, Reason::Disabled);
        assert!(!rs.is_enabled("dead", &ctx, 0, &o));
        o.enable(Some(&rs), "dead").unwrap();
        let e = rs.evaluate_with("dead", &ctx, 0, &Value::Bool(false), &o);
        assert_eq!((e.value, e.variant, e.reason), (&Value::Bool(true), Some("on"), Reason::Override));
        assert!(rs.is_enabled("dead", &ctx, 0, &o));
        // Over a user list that would serve on.
        o.disable(Some(&rs), "b").unwrap();
        assert_eq!(rs.evaluate_with("b", &ctx, 0, &Value::Null, &o).variant, Some("off"));
        assert!(!rs.is_enabled("b", &ctx, 0, &o));
        // Unknown key: served, no variant; not found without the override.
        let none = Overrides::new();
        let e = rs.evaluate_with("ghost", &ctx, 0, &Value::Null, &none);
        assert_eq!(e.error_code, Some(ErrorCode::FlagNotFound));
        assert!(!rs.is_enabled("ghost", &ctx, 0, &none));
        o.set(Some(&rs), "ghost", s("boo")).unwrap();
        let default = s("default");
        let e = rs.evaluate_with("ghost", &ctx, 0, &default, &o);
        assert_eq!((e.value, e.variant, e.reason, e.error_code), (&s("boo"), None, Reason::Override, None));
        assert!(rs.is_enabled("ghost", &ctx, 0, &o));
        // The typed-default check applies to overrides too.
        let e = rs.evaluate_with("ghost", &ctx, 0, &Value::Bool(true), &o);
        assert_eq!((e.value, e.variant, e.reason), (&Value::Bool(true), None, Reason::Error));
        assert_eq!(e.error_code, Some(ErrorCode::TypeMismatch));
        // evaluate() ignores overrides entirely.
        assert_eq!(rs.evaluate("dead", &ctx, 0, &Value::Null).reason, Reason::Disabled);
    }

    #[test]
    fn evaluate_all_with_lists_ruleset_then_unknown_overrides() {
        let rs = rs();
        let mut o = Overrides::new();
        o.set(Some(&rs), "zz", Value::Number(1.0)).unwrap();
        o.enable(Some(&rs), "dead").unwrap();
        o.set(Some(&rs), "aa", Value::Null).unwrap();
        let all = rs.evaluate_all_with(&Context::new(), 0, &o);
        let keys: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["b", "s", "n", "j", "dead", "zz", "aa"]);
        assert_eq!(all[4].1.reason, Reason::Override);
        assert_eq!(all[5].1.value, &Value::Number(1.0));
        assert_eq!((all[6].1.reason, all[6].1.variant), (Reason::Override, None));
        assert_eq!(all[0].1.reason, Reason::Default);
    }
}
