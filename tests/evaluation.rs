//! Evaluation semantics, end to end through the public API: every operator
//! (with missing, list and numeric-string attributes), every reason with its
//! rule id, the error codes, kill switch, prerequisites, targets, schedules,
//! bucketing attribute and salt, evaluate-all, stale flags and routes.
//! Load errors and limits live in tests/load_errors.rs.
//!
//! Expected values come from the format's documented meaning (or, for
//! bucketing, from `edgeflags::bucket`, which tests/vectors.rs pins to the
//! Python reference bit for bit), never from running the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::time::{parse_rfc3339, DAY_MS};
use edgeflags::{bucket, Context, ErrorCode, Reason, Ruleset, StaleReason, Value};

static NULL: Value = Value::Null;

fn load(json: &str) -> Ruleset {
    Ruleset::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn ctx(json: &str) -> Context {
    Context::from_value(Value::parse(json).unwrap()).unwrap()
}

fn t(s: &str) -> i64 {
    parse_rfc3339(s).unwrap()
}

/// Whether one condition matches a context: a flag whose only rule has
/// that condition and serves `on` (default `off`).
fn cond_matches(condition: &str, context: &str) -> bool {
    cond_matches_with(r#""segments": {}"#, condition, context)
}

fn cond_matches_with(extra: &str, condition: &str, context: &str) -> bool {
    let rs = load(&format!(
        r#"{{{extra}, "flags": {{"f": {{"rules": [{{"id": "r", "conditions": [{condition}], "variant": "on"}}]}}}}}}"#
    ));
    // As a boolean getter asks: a typed default the served value satisfies.
    let e = rs.evaluate("f", &ctx(context), 0, &Value::Bool(false));
    match e.reason {
        Reason::TargetingMatch => {
            assert_eq!(e.rule_id, Some("r"));
            assert_eq!(e.value, &Value::Bool(true));
            true
        }
        Reason::Default => {
            assert_eq!(e.rule_id, None);
            assert_eq!(e.value, &Value::Bool(false));
            false
        }
        other => panic!("unexpected reason {other}"),
    }
}

// ---------------------------------------------------------------- operators

#[test]
fn op_in_and_not_in() {
    let c = r#"{"attribute": "country", "op": "in", "values": ["US", "CA"]}"#;
    assert!(cond_matches(c, r#"{"country": "US"}"#));
    assert!(cond_matches(c, r#"{"country": "CA"}"#));
    assert!(!cond_matches(c, r#"{"country": "us"}"#), "case-sensitive");
    assert!(!cond_matches(c, r#"{"country": "FR"}"#));
    assert!(!cond_matches(c, r#"{}"#));
    let n = r#"{"attribute": "country", "op": "not_in", "values": ["US", "CA"]}"#;
    assert!(cond_matches(n, r#"{"country": "FR"}"#));
    assert!(!cond_matches(n, r#"{"country": "US"}"#));
    // A missing attribute matches no condition, negated ones included.
    assert!(!cond_matches(n, r#"{}"#));
    assert!(!cond_matches(n, r#"{"country": null}"#));
}

#[test]
fn op_eq_and_neq() {
    let c = r#"{"attribute": "plan", "op": "eq", "value": "enterprise"}"#;
    assert!(cond_matches(c, r#"{"plan": "enterprise"}"#));
    assert!(!cond_matches(c, r#"{"plan": "enterprise "}"#));
    assert!(!cond_matches(c, r#"{"plan": "pro"}"#));
    let n = r#"{"attribute": "plan", "op": "neq", "value": "free"}"#;
    assert!(cond_matches(n, r#"{"plan": "pro"}"#));
    assert!(!cond_matches(n, r#"{"plan": "free"}"#));
    assert!(!cond_matches(n, r#"{}"#));
    // Booleans compare as booleans (and as their text).
    let b = r#"{"attribute": "beta", "op": "eq", "value": true}"#;
    assert!(cond_matches(b, r#"{"beta": true}"#));
    assert!(!cond_matches(b, r#"{"beta": false}"#));
    assert!(!cond_matches(b, r#"{"beta": 1}"#));
}

#[test]
fn op_eq_numbers_and_numeric_strings() {
    let c = r#"{"attribute": "tier", "op": "eq", "value": 2}"#;
    assert!(cond_matches(c, r#"{"tier": 2}"#));
    assert!(cond_matches(c, r#"{"tier": 2.0}"#));
    assert!(cond_matches(c, r#"{"tier": "2"}"#), "contexts from headers carry numbers as text");
    assert!(!cond_matches(c, r#"{"tier": 3}"#));
    let s = r#"{"attribute": "tier", "op": "in", "values": ["2", "7"]}"#;
    assert!(cond_matches(s, r#"{"tier": 2}"#), "a numeric string in the list matches the number");
    assert!(cond_matches(s, r#"{"tier": 7.0}"#));
    assert!(cond_matches(s, r#"{"tier": "7"}"#));
    assert!(!cond_matches(s, r#"{"tier": 8}"#));
}

#[test]
fn op_string_matchers() {
    let contains = r#"{"attribute": "ua", "op": "contains", "value": "Safari"}"#;
    assert!(cond_matches(contains, r#"{"ua": "Mozilla/5.0 Safari/605"}"#));
    assert!(!cond_matches(contains, r#"{"ua": "Mozilla/5.0 safari"}"#));
    assert!(!cond_matches(contains, r#"{"ua": 5}"#), "string operators never match numbers");
    assert!(!cond_matches(contains, r#"{}"#));
    let starts = r#"{"attribute": "device", "op": "starts_with", "value": "mobile"}"#;
    assert!(cond_matches(starts, r#"{"device": "mobile-ios"}"#));
    assert!(cond_matches(starts, r#"{"device": "mobile"}"#));
    assert!(!cond_matches(starts, r#"{"device": "a-mobile"}"#));
    let ends = r#"{"attribute": "email", "op": "ends_with", "value": "@company.com"}"#;
    assert!(cond_matches(ends, r#"{"email": "ann@company.com"}"#));
    assert!(!cond_matches(ends, r#"{"email": "ann@company.com.evil.io"}"#));
    assert!(!cond_matches(ends, r#"{"email": true}"#));
}

#[test]
fn op_glob() {
    let c = r#"{"attribute": "email", "op": "glob", "value": "*@company.com"}"#;
    assert!(cond_matches(c, r#"{"email": "ann@company.com"}"#));
    assert!(cond_matches(c, r#"{"email": "@company.com"}"#));
    assert!(!cond_matches(c, r#"{"email": "ann@company.co"}"#));
    assert!(!cond_matches(c, r#"{"email": "ann@company.com.evil.io"}"#));
    let q = r#"{"attribute": "id", "op": "glob", "value": "user-?"}"#;
    assert!(cond_matches(q, r#"{"id": "user-7"}"#));
    assert!(!cond_matches(q, r#"{"id": "user-77"}"#));
}

#[test]
fn op_numeric_comparisons() {
    for (op, value, yes, no) in [
        ("lt", 30, ["29", "-1", "29.999"], ["30", "31", "1e3"]),
        ("lte", 30, ["30", "29", "30.0"], ["30.001", "31", "100"]),
        ("gt", 30, ["31", "30.5", "1e3"], ["30", "29", "-31"]),
        ("gte", 30, ["30", "31", "300"], ["29.99", "0", "-30"]),
    ] {
        let c = format!(r#"{{"attribute": "age", "op": "{op}", "value": {value}}}"#);
        for y in yes {
            assert!(cond_matches(&c, &format!(r#"{{"age": {y}}}"#)), "{op} {value}: {y}");
            assert!(cond_matches(&c, &format!(r#"{{"age": "{y}"}}"#)), "{op} {value}: \"{y}\" (numeric string)");
        }
        for n in no {
            assert!(!cond_matches(&c, &format!(r#"{{"age": {n}}}"#)), "{op} {value}: {n}");
        }
        assert!(!cond_matches(&c, r#"{"age": "thirty"}"#), "{op}: non-numeric text");
        assert!(!cond_matches(&c, r#"{"age": true}"#), "{op}: boolean");
        assert!(!cond_matches(&c, r#"{}"#), "{op}: missing");
    }
    // Fractions in the rule.
    assert!(cond_matches(r#"{"attribute": "score", "op": "gte", "value": 0.75}"#, r#"{"score": " 0.75 "}"#));
}

#[test]
fn op_semver() {
    let cases = [
        ("semver_eq", "2.0.0", vec!["2.0.0", "v2.0.0", "2.0", "2.0.0+build.5"], vec!["2.0.1", "2.0.0-rc.1", "1.9.9"]),
        ("semver_lt", "2.0.0", vec!["1.9.9", "2.0.0-rc.1", "2.0.0-alpha", "0.1"], vec!["2.0.0", "2.0.1", "10.0.0"]),
        ("semver_lte", "2.0.0", vec!["2.0.0", "1.0.0", "2.0.0-beta.2"], vec!["2.0.1", "2.1"]),
        ("semver_gt", "4.2.0", vec!["4.10.0", "4.2.1", "5.0.0-alpha"], vec!["4.2.0", "4.2.0-rc.9", "4.1.99"]),
        ("semver_gte", "4.2.0", vec!["4.2.0", "4.10.0", "v4.2.0"], vec!["4.2.0-rc.1", "4.1.0", "3.99.99"]),
    ];
    for (op, value, yes, no) in cases {
        let c = format!(r#"{{"attribute": "app", "op": "{op}", "value": "{value}"}}"#);
        for y in yes {
            assert!(cond_matches(&c, &format!(r#"{{"app": "{y}"}}"#)), "{op} {value}: {y}");
        }
        for n in no {
            assert!(!cond_matches(&c, &format!(r#"{{"app": "{n}"}}"#)), "{op} {value}: {n}");
        }
        assert!(!cond_matches(&c, r#"{"app": "not-a-version"}"#), "{op}: invalid version");
        assert!(!cond_matches(&c, r#"{"app": 4}"#), "{op}: a number is not a version");
        assert!(!cond_matches(&c, r#"{}"#));
    }
    // Pre-release precedence (semver 2.0 §11).
    let c = r#"{"attribute": "app", "op": "semver_lt", "value": "1.0.0-beta.11"}"#;
    assert!(cond_matches(c, r#"{"app": "1.0.0-beta.2"}"#), "numeric identifiers compare as numbers");
    assert!(cond_matches(c, r#"{"app": "1.0.0-alpha.beta"}"#));
    assert!(!cond_matches(c, r#"{"app": "1.0.0-rc.1"}"#));
}

#[test]
fn op_dates() {
    let before = r#"{"attribute": "signup", "op": "before", "value": "2025-01-01T00:00:00Z"}"#;
    assert!(cond_matches(before, r#"{"signup": "2024-12-31T23:59:59Z"}"#));
    assert!(cond_matches(before, r#"{"signup": "2024-06-01"}"#));
    assert!(cond_matches(before, r#"{"signup": "2025-01-01T00:30:00+01:00"}"#), "offsets are honoured");
    assert!(!cond_matches(before, r#"{"signup": "2025-01-01T00:00:00Z"}"#), "strictly before");
    assert!(!cond_matches(before, r#"{"signup": "2025-01-01T00:00:00.001Z"}"#));
    assert!(cond_matches(before, &format!(r#"{{"signup": {}}}"#, t("2024-12-31"))), "epoch milliseconds");
    assert!(!cond_matches(before, r#"{"signup": "yesterday"}"#));
    assert!(!cond_matches(before, r#"{}"#));
    let after = r#"{"attribute": "signup", "op": "after", "value": "2025-01-01"}"#;
    assert!(cond_matches(after, r#"{"signup": "2025-01-01T00:00:00.001Z"}"#));
    assert!(!cond_matches(after, r#"{"signup": "2025-01-01T00:00:00Z"}"#), "strictly after");
    assert!(cond_matches(after, r#"{"signup": "2024-12-31T23:59:59-00:30"}"#), "that is 00:29:59Z on the 1st");
    // Rule values may be epoch milliseconds too.
    let ms = format!(r#"{{"attribute": "seen", "op": "after", "value": {}}}"#, t("2025-06-01"));
    assert!(cond_matches(&ms, r#"{"seen": "2025-06-02"}"#));
    assert!(!cond_matches(&ms, r#"{"seen": "2025-05-31"}"#));
}

#[test]
fn op_segments() {
    let segs = r#""segments": {
        "staff": {"conditions": [{"attribute": "email", "op": "glob", "value": "*@company.com"}]},
        "beta": {"users": ["u1", "u2"], "conditions": [{"attribute": "beta", "op": "eq", "value": true}, {"attribute": "plan", "op": "neq", "value": "free"}]},
        "vip": {"users": ["u9"]}
    }"#;
    let in_staff = r#"{"op": "in_segment", "value": "staff"}"#;
    assert!(cond_matches_with(segs, in_staff, r#"{"email": "a@company.com"}"#));
    assert!(!cond_matches_with(segs, in_staff, r#"{"email": "a@else.com"}"#));
    assert!(!cond_matches_with(segs, in_staff, r#"{}"#));
    let in_beta = r#"{"op": "in_segment", "value": "beta"}"#;
    assert!(cond_matches_with(segs, in_beta, r#"{"user_id": "u2"}"#), "segment users");
    assert!(cond_matches_with(segs, in_beta, r#"{"user_id": "x", "beta": true, "plan": "pro"}"#), "all conditions");
    assert!(
        !cond_matches_with(segs, in_beta, r#"{"user_id": "x", "beta": true, "plan": "free"}"#),
        "AND within a segment"
    );
    assert!(!cond_matches_with(segs, in_beta, r#"{"user_id": "x", "beta": true}"#));
    let vip = r#"{"op": "in_segment", "value": "vip"}"#;
    assert!(cond_matches_with(segs, vip, r#"{"user_id": "u9"}"#));
    assert!(!cond_matches_with(segs, vip, r#"{"user_id": "u1"}"#), "a users-only segment has no conditions to match");
    let any = r#"{"op": "in_segment", "values": ["vip", "staff"]}"#;
    assert!(cond_matches_with(segs, any, r#"{"user_id": "u9"}"#), "values: any of the segments");
    assert!(cond_matches_with(segs, any, r#"{"email": "z@company.com"}"#));
    let not = r#"{"op": "not_in_segment", "values": ["vip", "staff"]}"#;
    assert!(cond_matches_with(segs, not, r#"{"user_id": "u1"}"#));
    assert!(cond_matches_with(segs, not, r#"{}"#), "not in a segment holds without attributes");
    assert!(!cond_matches_with(segs, not, r#"{"user_id": "u9"}"#));
}

#[test]
fn list_attributes_match_any_element() {
    let c = r#"{"attribute": "groups", "op": "in", "values": ["admins", "ops"]}"#;
    assert!(cond_matches(c, r#"{"groups": ["dev", "ops"]}"#));
    assert!(!cond_matches(c, r#"{"groups": ["dev", "qa"]}"#));
    assert!(!cond_matches(c, r#"{"groups": []}"#));
    let n = r#"{"attribute": "groups", "op": "not_in", "values": ["banned"]}"#;
    assert!(cond_matches(n, r#"{"groups": ["dev", "ops"]}"#));
    assert!(!cond_matches(n, r#"{"groups": ["dev", "banned"]}"#), "not_in: no element may be in the set");
    assert!(cond_matches(n, r#"{"groups": []}"#));
    let g = r#"{"attribute": "scores", "op": "gt", "value": 90}"#;
    assert!(cond_matches(g, r#"{"scores": [10, 95]}"#));
    assert!(!cond_matches(g, r#"{"scores": [10, 90]}"#));
    let s = r#"{"attribute": "emails", "op": "ends_with", "value": "@company.com"}"#;
    assert!(cond_matches(s, r#"{"emails": ["a@gmail.com", "a@company.com"]}"#));
    // Objects never match a scalar operator.
    assert!(!cond_matches(r#"{"attribute": "o", "op": "eq", "value": "x"}"#, r#"{"o": {"x": "x"}}"#));
}

#[test]
fn conditions_within_a_rule_are_anded_and_rules_are_ordered() {
    let rs = load(
        r#"{"flags": {"f": {
            "variants": {"a": "A", "b": "B", "c": "C", "off": "-"},
            "rules": [
                {"id": "both", "conditions": [{"attribute": "x", "op": "eq", "value": 1}, {"attribute": "y", "op": "eq", "value": 1}], "variant": "a"},
                {"id": "x-only", "conditions": [{"attribute": "x", "op": "eq", "value": 1}], "variant": "b"},
                {"id": "always", "variant": "c"}
            ]}}}"#,
    );
    let check = |c: &str, variant: &str, rule: &str| {
        let e = rs.evaluate("f", &ctx(c), 0, &NULL);
        assert_eq!((e.variant, e.rule_id, e.reason), (Some(variant), Some(rule), Reason::TargetingMatch), "{c}");
    };
    check(r#"{"x": 1, "y": 1}"#, "a", "both");
    check(r#"{"x": 1, "y": 2}"#, "b", "x-only");
    check(r#"{"x": 2, "y": 1}"#, "c", "always");
    check(r#"{}"#, "c", "always");
}

// ------------------------------------------------------------------ reasons

#[test]
fn every_reason_with_its_rule_id() {
    let rs = load(
        r#"{"flags": {
            "static_on": true,
            "static_string": {"variants": {"only": "x"}, "default_variant": "only"},
            "targeted": {"users": ["u1"], "targets": [{"variant": "off", "users": ["u2"]}],
                         "rules": [{"id": "pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "variant": "on"}]},
            "rolled": {"percentage": 100},
            "rule_rollout": {"rules": [{"id": "half", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "percentage": 100}]},
            "killed": {"killed": true, "enabled": true},
            "needs": {"enabled": true, "prerequisites": [{"flag": "killed"}]}
        }}"#,
    );
    let u = |json: &str| ctx(json);
    let check = |key: &str, c: &Context, reason: Reason, rule: Option<&str>, value: Value| {
        // A default of the served value's kind (a typed getter) changes nothing.
        let typed = match &value {
            Value::Bool(_) => Value::Bool(false),
            Value::String(_) => Value::String("fallback".into()),
            _ => Value::Null,
        };
        let e = rs.evaluate(key, c, 0, &typed);
        assert_eq!(e, rs.evaluate(key, c, 0, &NULL), "{key}: a matching typed default is no default");
        assert_eq!((e.reason, e.rule_id, e.error_code), (reason, rule, None), "{key}");
        assert_eq!(e.value, &value, "{key}");
        assert_eq!(e.reason.as_str(), reason.as_str());
    };
    check("static_on", &u("{}"), Reason::Static, None, Value::Bool(true));
    check("static_string", &u(r#"{"user_id": "u1"}"#), Reason::Static, None, Value::String("x".into()));
    check("targeted", &u(r#"{"user_id": "u1"}"#), Reason::TargetingMatch, Some("users"), Value::Bool(true));
    check("targeted", &u(r#"{"user_id": "u2"}"#), Reason::TargetingMatch, Some("targets[0]"), Value::Bool(false));
    check(
        "targeted",
        &u(r#"{"user_id": "u3", "plan": "pro"}"#),
        Reason::TargetingMatch,
        Some("pro"),
        Value::Bool(true),
    );
    check("targeted", &u(r#"{"user_id": "u3"}"#), Reason::Default, None, Value::Bool(false));
    check("rolled", &u(r#"{"user_id": "u3"}"#), Reason::Split, None, Value::Bool(true));
    check("rule_rollout", &u(r#"{"user_id": "u3", "plan": "pro"}"#), Reason::Split, Some("half"), Value::Bool(true));
    check("killed", &u(r#"{"user_id": "u3"}"#), Reason::Disabled, None, Value::Bool(false));
    check("needs", &u(r#"{"user_id": "u3"}"#), Reason::PrerequisiteFailed, Some("killed"), Value::Bool(false));
    let fallback = Value::String("fallback".into());
    let e = rs.evaluate("missing", &u("{}"), 0, &fallback);
    assert_eq!((e.reason, e.error_code, e.variant), (Reason::Error, Some(ErrorCode::FlagNotFound), None));
    assert_eq!(e.value, &Value::String("fallback".into()));
    assert_eq!(e.error_code.unwrap().as_str(), "FLAG_NOT_FOUND");
}

#[test]
fn type_mismatch_returns_the_callers_default() {
    let rs = load(
        r#"{"flags": {
            "b": true,
            "s": {"variants": {"x": "X", "y": "Y"}, "default_variant": "x"},
            "n": {"variants": {"small": 10, "big": 100}, "default_variant": "big"},
            "j": {"variants": {"a": {"k": 1}, "b": [1, 2], "c": "text"}, "default_variant": "a",
                  "rules": [{"id": "t", "conditions": [{"attribute": "v", "op": "eq", "value": "c"}], "variant": "c"}]}
        }}"#,
    );
    let c = Context::new();
    // A boolean, number or string default (a typed getter) needs a served
    // value of its own kind; numeric text is not a number.
    for (key, bad, good) in [
        ("b", Value::String("true".into()), Value::Bool(false)),
        ("s", Value::Number(1.0), Value::String("z".into())),
        ("n", Value::Bool(true), Value::Number(0.0)),
        ("n", Value::String("10".into()), Value::Number(0.0)),
        ("j", Value::String("fallback".into()), Value::Object(vec![])),
        ("j", Value::Bool(true), Value::Array(vec![])),
    ] {
        let e = rs.evaluate(key, &c, 0, &bad);
        assert_eq!((e.reason, e.error_code), (Reason::Error, Some(ErrorCode::TypeMismatch)), "{key} with {bad}");
        assert_eq!(e.error_code.unwrap().as_str(), "TYPE_MISMATCH");
        assert_eq!((e.value, e.variant, e.rule_id), (&bad, None, None), "the caller's default comes back");
        assert_eq!(rs.evaluate(key, &c, 0, &good).error_code, None, "{key} with {good}");
    }
    // An object or array default (a JSON getter), or none, takes any value,
    // whatever the flag's type.
    for d in [NULL.clone(), Value::Array(vec![]), Value::parse(r#"{"z": 0}"#).unwrap()] {
        assert_eq!(rs.evaluate("n", &c, 0, &d).value, &Value::Number(100.0), "{d}");
        assert_eq!(rs.evaluate("b", &c, 0, &d).value, &Value::Bool(true), "{d}");
        assert_eq!(rs.evaluate("j", &c, 0, &d).value, &Value::parse(r#"{"k": 1}"#).unwrap(), "{d}");
    }
    // The check is on the value served, not on the flag's declared type: a
    // json flag serving a string satisfies a string default.
    let text = ctx(r#"{"v": "c"}"#);
    let fallback = Value::String("fallback".into());
    let e = rs.evaluate("j", &text, 0, &fallback);
    assert_eq!((e.value, e.variant, e.rule_id), (&Value::String("text".into()), Some("c"), Some("t")));
    // A declared type is enforced on the variants at load time.
    let e = Ruleset::from_json(
        r#"{"flags": {"f": {"type": "number", "variants": {"a": 1, "b": "2"}, "default_variant": "a"}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.problems[0].to_string(), r#"flags.f.variants.b: value "2" is not of the flag's type number"#);
}

// ------------------------------------------------------ kill, prerequisites

#[test]
fn kill_switch_wins_over_everything() {
    let rs = load(
        r#"{"flags": {"f": {
            "variants": {"new": "n", "old": "o", "safe": "s"}, "default_variant": "new", "off_variant": "safe",
            "killed": true, "targets": [{"variant": "new", "users": ["u1"]}],
            "rules": [{"id": "all", "variant": "new"}], "split": [["new", 50], ["old", 50]]
        }}}"#,
    );
    for c in [r#"{"user_id": "u1"}"#, r#"{"user_id": "u2"}"#, "{}"] {
        let e = rs.evaluate("f", &ctx(c), 0, &NULL);
        assert_eq!((e.variant, e.reason, e.rule_id), (Some("safe"), Reason::Disabled, None), "{c}");
    }
    assert!(rs.flag("f").unwrap().is_killed());
    // Without off_variant, a killed boolean flag serves off.
    let rs = load(r#"{"flags": {"f": {"killed": true, "enabled": true}}}"#);
    assert_eq!(rs.evaluate("f", &Context::new(), 0, &NULL).value, &Value::Bool(false));
}

#[test]
fn prerequisites_require_the_named_variants() {
    let rs = load(
        r#"{"flags": {
            "base": {"variants": {"a": 1, "b": 2, "c": 3}, "default_variant": "a",
                     "rules": [{"id": "pick", "conditions": [{"attribute": "v", "op": "in", "values": ["b", "c"]}], "variant": "b"},
                               {"id": "c", "conditions": [{"attribute": "w", "op": "eq", "value": 1}], "variant": "c"}]},
            "one": {"enabled": true, "prerequisites": [{"flag": "base", "variant": "b"}]},
            "many": {"enabled": true, "prerequisites": [{"flag": "base", "variants": ["b", "c"]}]},
            "on_flag": {"enabled": true},
            "default_on": {"enabled": true, "prerequisites": [{"flag": "on_flag"}, {"flag": "one"}]}
        }}"#,
    );
    let val = |key: &str, c: &str| {
        let e = rs.evaluate(key, &ctx(c), 0, &NULL);
        (e.value.as_bool().unwrap(), e.reason)
    };
    // Passing prerequisites: the flag's own evaluation decides (DEFAULT: it has targeting).
    assert_eq!(val("one", r#"{"v": "b"}"#), (true, Reason::Default));
    assert_eq!(val("one", r#"{}"#), (false, Reason::PrerequisiteFailed));
    assert_eq!(val("one", r#"{"w": 1}"#), (false, Reason::PrerequisiteFailed));
    assert!(val("many", r#"{"w": 1}"#).0);
    assert!(!val("many", r#"{}"#).0);
    // Without variant(s) the prerequisite must serve "on"; every one must hold.
    assert!(val("default_on", r#"{"v": "b"}"#).0);
    let e = rs.evaluate("default_on", &ctx("{}"), 0, &NULL);
    assert_eq!((e.reason, e.rule_id), (Reason::PrerequisiteFailed, Some("one")));
}

#[test]
fn prerequisite_cycles_and_self_references_are_rejected() {
    let e = Ruleset::from_json(
        r#"{"flags": {
            "a": {"prerequisites": [{"flag": "b"}]},
            "b": {"prerequisites": [{"flag": "c"}]},
            "c": {"prerequisites": [{"flag": "a"}]},
            "d": {"prerequisites": [{"flag": "d"}]}
        }}"#,
    )
    .unwrap_err();
    let msgs: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    assert!(
        msgs.contains(&r#"flags.d.prerequisites[0].flag: a flag cannot be its own prerequisite"#.to_string()),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("prerequisite cycle: a -> b -> c -> a")), "{msgs:?}");
    assert_eq!(msgs.iter().filter(|m| m.contains("cycle")).count(), 1, "one cycle, reported once: {msgs:?}");
}

fn prerequisite_chain(links: usize) -> String {
    // f0 has no prerequisite; f{i} needs f{i-1}: the chain ending at f{links} has depth `links`.
    let mut flags = vec![r#""f0": true"#.to_string()];
    for i in 1..=links {
        flags.push(format!(r#""f{i}": {{"enabled": true, "prerequisites": [{{"flag": "f{}"}}]}}"#, i - 1));
    }
    format!(r#"{{"flags": {{{}}}}}"#, flags.join(","))
}

#[test]
fn prerequisite_depth_limit_at_its_edge() {
    use edgeflags::limits::MAX_PREREQUISITE_DEPTH;
    let rs = load(&prerequisite_chain(MAX_PREREQUISITE_DEPTH));
    let last = format!("f{MAX_PREREQUISITE_DEPTH}");
    let e = rs.evaluate(&last, &Context::new(), 0, &NULL);
    assert_eq!(e.value, &Value::Bool(true), "a chain at the limit evaluates fully: {e:?}");
    assert_eq!(e.reason, Reason::Default);
    let err = Ruleset::from_json(&prerequisite_chain(MAX_PREREQUISITE_DEPTH + 1)).unwrap_err();
    assert_eq!(
        err.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![format!(
            "flags.f{}.prerequisites: prerequisite chain of depth {} is deeper than the limit of {MAX_PREREQUISITE_DEPTH}",
            MAX_PREREQUISITE_DEPTH + 1,
            MAX_PREREQUISITE_DEPTH + 1
        )]
    );
    // A long chain does not overflow anything while loading.
    assert!(Ruleset::from_json(&prerequisite_chain(5_000)).is_err());
}

#[test]
fn a_failing_deep_prerequisite_propagates() {
    let mut doc = Value::parse(&prerequisite_chain(10)).unwrap();
    let Value::Object(top) = &mut doc else { panic!() };
    let Value::Object(flags) = &mut top[0].1 else { panic!() };
    flags[0].1 = Value::Bool(false);
    let rs = Ruleset::from_value(&doc).unwrap();
    for i in 1..=10 {
        let e = rs.evaluate(&format!("f{i}"), &Context::new(), 0, &NULL);
        assert_eq!((e.value, e.reason), (&Value::Bool(false), Reason::PrerequisiteFailed), "f{i}");
    }
}

// -------------------------------------------------------- targets, bucketing

#[test]
fn targets_come_before_rules_and_first_target_wins() {
    let rs = load(
        r#"{"flags": {"f": {
            "variants": {"a": "A", "b": "B", "c": "C"}, "default_variant": "c",
            "targets": [{"variant": "a", "users": ["u1", 42]}, {"variant": "b", "users": ["u1", "u2"]}],
            "rules": [{"id": "all", "variant": "c"}]
        }}}"#,
    );
    let v = |c: &str| rs.evaluate("f", &ctx(c), 0, &NULL).variant.unwrap();
    assert_eq!(v(r#"{"user_id": "u1"}"#), "a");
    assert_eq!(v(r#"{"user_id": "u2"}"#), "b");
    assert_eq!(v(r#"{"user_id": 42}"#), "a", "numeric ids match in their decimal form");
    assert_eq!(v(r#"{"user_id": "42"}"#), "a");
    assert_eq!(v(r#"{"user_id": "u3"}"#), "c");
    assert_eq!(v(r#"{}"#), "c");
}

#[test]
fn bucket_by_and_salt() {
    let rs = load(
        r#"{"flags": {
            "by_tenant": {"bucket_by": "tenant_id", "salt": "ranking-2026", "percentage": 37.5},
            "by_user": {"percentage": 37.5},
            "split_tenant": {"bucket_by": "tenant_id", "variants": {"x": 1, "y": 2, "z": 3}, "default_variant": "x",
                             "split": [["x", 20], ["y", 30], ["z", 50]]}
        }}"#,
    );
    assert_eq!(rs.flag("by_tenant").unwrap().salt(), "ranking-2026");
    assert_eq!(rs.flag("by_user").unwrap().salt(), "by_user");
    assert_eq!(rs.flag("by_user").unwrap().bucket_by(), "user_id");
    let (mut inside, n) = (0, 2_000);
    for i in 0..n {
        let tenant = format!("tenant/{i}");
        // Every user of a tenant gets the tenant's answer, whatever their user_id.
        let want = bucket("ranking-2026", &tenant) < 37.5;
        for user in ["a", "b"] {
            let c = ctx(&format!(r#"{{"tenant_id": "{tenant}", "user_id": "{user}{i}"}}"#));
            assert_eq!(rs.evaluate("by_tenant", &c, 0, &NULL).value, &Value::Bool(want), "{tenant}");
            let split = rs.evaluate("split_tenant", &c, 0, &NULL);
            let b = bucket("split_tenant", &tenant);
            let want_split = if b < 20.0 {
                "x"
            } else if b < 50.0 {
                "y"
            } else {
                "z"
            };
            assert_eq!((split.variant, split.reason), (Some(want_split), Reason::Split));
        }
        inside += usize::from(want);
        let c = ctx(&format!(r#"{{"user_id": "{tenant}"}}"#));
        assert_eq!(rs.evaluate("by_user", &c, 0, &NULL).value, &Value::Bool(bucket("by_user", &tenant) < 37.5));
    }
    assert!((600..900).contains(&inside), "{inside}");
    // Without the bucketing attribute the rollout is skipped, never random.
    let e = rs.evaluate("by_tenant", &ctx(r#"{"user_id": "u1"}"#), 0, &NULL);
    assert_eq!((e.value, e.reason), (&Value::Bool(false), Reason::Default));
    let e = rs.evaluate("split_tenant", &ctx(r#"{"tenant_id": ["a"]}"#), 0, &NULL);
    assert_eq!((e.variant, e.reason), (Some("x"), Reason::Default), "a list is not a bucketing unit");
    // Numeric units bucket by their decimal text.
    let e = rs.evaluate("by_tenant", &ctx(r#"{"tenant_id": 1234}"#), 0, &NULL);
    assert_eq!(e.value, &Value::Bool(bucket("ranking-2026", "1234") < 37.5));
}

#[test]
fn rollout_serves_rollout_variant_inside_and_off_outside() {
    let rs = load(
        r#"{"flags": {"f": {
            "variants": {"new": "n", "old": "o", "none": "-"}, "default_variant": "none", "off_variant": "old",
            "rollout_variant": "new", "percentage": 50
        }}}"#,
    );
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let u = format!("u{i}");
        let e = rs.evaluate("f", &Context::with_user(&u), 0, &NULL);
        let want = if bucket("f", &u) < 50.0 { "new" } else { "old" };
        assert_eq!((e.variant, e.reason), (Some(want), Reason::Split));
        seen.insert(want);
    }
    assert_eq!(seen.len(), 2);
    let e = rs.evaluate("f", &Context::new(), 0, &NULL);
    assert_eq!((e.variant, e.reason), (Some("none"), Reason::Default));
}

#[test]
fn rule_level_splits_and_rollouts() {
    let rs = load(
        r#"{"flags": {"f": {
            "variants": {"control": "c", "treat": "t", "off": "-"},
            "rules": [
                {"id": "pros", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "split": [{"variant": "control", "weight": 50}, {"variant": "treat", "weight": 50}]},
                {"id": "free", "conditions": [{"attribute": "plan", "op": "eq", "value": "free"}], "percentage": 10, "variant": "treat"}
            ]
        }}}"#,
    );
    for i in 0..300 {
        let u = format!("user-{i}");
        let b = bucket("f", &u);
        let e = rs.evaluate("f", &ctx(&format!(r#"{{"user_id": "{u}", "plan": "pro"}}"#)), 0, &NULL);
        assert_eq!(
            (e.variant, e.reason, e.rule_id),
            (Some(if b < 50.0 { "control" } else { "treat" }), Reason::Split, Some("pros"))
        );
        let e = rs.evaluate("f", &ctx(&format!(r#"{{"user_id": "{u}", "plan": "free"}}"#)), 0, &NULL);
        assert_eq!(
            (e.variant, e.reason, e.rule_id),
            (Some(if b < 10.0 { "treat" } else { "off" }), Reason::Split, Some("free"))
        );
    }
    // A matching rule that cannot bucket (no user_id) is passed over.
    let e = rs.evaluate("f", &ctx(r#"{"plan": "pro"}"#), 0, &NULL);
    assert_eq!((e.variant, e.reason, e.rule_id), (Some("off"), Reason::Default, None));
}

// ---------------------------------------------------------------- schedules

fn schedule_flag(schedule: &str) -> Ruleset {
    load(&format!(r#"{{"flags": {{"f": {{"schedule": {schedule}}}}}}}"#))
}

/// Which of 2,000 users are in the flag at `now`, and the expected set for `pct`.
fn members(rs: &Ruleset, now: i64) -> Vec<bool> {
    (0..2_000)
        .map(|i| rs.evaluate("f", &Context::with_user(&format!("u{i}")), now, &NULL).value == &Value::Bool(true))
        .collect()
}

fn expected(pct: f64) -> Vec<bool> {
    (0..2_000).map(|i| pct >= 100.0 || (pct > 0.0 && bucket("f", &format!("u{i}")) < pct)).collect()
}

#[test]
fn steps_schedule_before_during_after() {
    let rs = schedule_flag(
        r#"{"type": "steps", "start": "2026-10-01T00:00:00Z", "steps": [[0, 1], [3, 5], [7, 25], [14, 50], [21, 100]]}"#,
    );
    let start = t("2026-10-01T00:00:00Z");
    assert_eq!(members(&rs, start - 1), expected(0.0), "before the start: no one");
    assert_eq!(members(&rs, start), expected(1.0));
    assert_eq!(members(&rs, start + 3 * DAY_MS - 1), expected(1.0));
    assert_eq!(members(&rs, start + 3 * DAY_MS), expected(5.0));
    assert_eq!(members(&rs, start + 10 * DAY_MS), expected(25.0));
    assert_eq!(members(&rs, start + 20 * DAY_MS), expected(50.0));
    assert_eq!(members(&rs, start + 21 * DAY_MS), expected(100.0));
    assert_eq!(members(&rs, start + 4000 * DAY_MS), expected(100.0));
    // {"day", "percentage"} objects, fractional days, no type (steps implied).
    let rs = schedule_flag(
        r#"{"start": "2026-10-01T00:00:00Z", "steps": [{"day": 0.5, "percentage": 30}, {"day": 2, "percentage": 60}]}"#,
    );
    assert_eq!(members(&rs, start + DAY_MS / 2 - 1), expected(0.0));
    assert_eq!(members(&rs, start + DAY_MS / 2), expected(30.0));
    assert_eq!(members(&rs, start + 2 * DAY_MS), expected(60.0));
    let e = rs.evaluate("f", &Context::with_user("x"), start, &NULL);
    assert_eq!(e.reason, Reason::Split);
}

#[test]
fn linear_schedule_before_during_after() {
    let rs = schedule_flag(
        r#"{"type": "linear", "start": "2026-11-01T00:00:00Z", "duration_hours": 100, "start_percentage": 10, "end_percentage": 90}"#,
    );
    let start = t("2026-11-01T00:00:00Z");
    let hour = 3_600_000;
    assert_eq!(members(&rs, start - 1), expected(0.0));
    assert_eq!(members(&rs, start), expected(10.0));
    assert_eq!(members(&rs, start + 25 * hour), expected(30.0));
    assert_eq!(members(&rs, start + 50 * hour), expected(50.0));
    assert_eq!(members(&rs, start + 100 * hour), expected(90.0));
    assert_eq!(members(&rs, start + 1000 * hour), expected(90.0), "stays at the end percentage");
    // Defaults: 0 -> 100.
    let rs = schedule_flag(r#"{"type": "linear", "start": "2026-11-01T00:00:00Z", "duration_hours": 10}"#);
    assert_eq!(members(&rs, start + 5 * hour), expected(50.0));
    assert_eq!(members(&rs, start + 10 * hour), expected(100.0));
}

#[test]
fn s_curve_schedule_before_during_after() {
    let rs = schedule_flag(r#"{"type": "s_curve", "start": "2026-11-20T00:00:00Z", "duration_hours": 72}"#);
    let start = t("2026-11-20T00:00:00Z");
    let hour = 3_600_000;
    // The seed: start 1, end 100, k = 10, truncated to a whole percent.
    let seed = |h: f64| -> f64 {
        if h >= 72.0 {
            return 100.0;
        }
        (1.0 + 99.0 / (1.0 + (-10.0 * (h / 72.0 - 0.5)).exp())).trunc()
    };
    assert_eq!(members(&rs, start - 1), expected(0.0));
    assert_eq!(seed(0.0), 1.0);
    assert_eq!(seed(36.0), 50.0);
    for h in [0.0, 6.0, 24.0, 36.0, 48.0, 71.0] {
        assert_eq!(members(&rs, start + (h * hour as f64) as i64), expected(seed(h)), "hour {h}");
    }
    assert_eq!(members(&rs, start + 72 * hour), expected(100.0));
    // Steepness and end points are configurable.
    let rs = schedule_flag(
        r#"{"type": "s_curve", "start": "2026-11-20T00:00:00Z", "duration_hours": 10, "start_percentage": 0, "end_percentage": 40, "steepness": 2}"#,
    );
    let want = (40.0 / (1.0 + (-2.0f64 * (0.25 - 0.5)).exp())).trunc();
    assert_eq!(members(&rs, start + (2.5 * hour as f64) as i64), expected(want));
    assert_eq!(members(&rs, start + 10 * hour), expected(40.0));
}

#[test]
fn rule_level_schedule() {
    let rs = load(
        r#"{"flags": {"f": {"rules": [{"id": "beta", "conditions": [{"attribute": "beta", "op": "eq", "value": true}],
            "schedule": {"type": "steps", "start": "2026-01-01", "steps": [[0, 0], [1, 100]]}}]}}}"#,
    );
    let c = ctx(r#"{"user_id": "u", "beta": true}"#);
    let e = rs.evaluate("f", &c, t("2026-01-01T12:00:00Z"), &NULL);
    assert_eq!((e.value, e.reason, e.rule_id), (&Value::Bool(false), Reason::Split, Some("beta")));
    let e = rs.evaluate("f", &c, t("2026-01-02"), &NULL);
    assert_eq!((e.value, e.reason, e.rule_id), (&Value::Bool(true), Reason::Split, Some("beta")));
}

// ---------------------------------------------------- evaluate-all, stale

#[test]
fn evaluate_all_returns_every_flag_in_document_order() {
    let rs = load(
        r#"{"flags": {"z": true, "a": false, "m": {"users": ["u1"]},
                     "k": {"variants": {"x": "X"}, "default_variant": "x", "killed": true}}}"#,
    );
    let all = rs.evaluate_all(&Context::with_user("u1"), 0);
    let got: Vec<(&str, &Value, Reason)> = all.iter().map(|(k, e)| (*k, e.value, e.reason)).collect();
    assert_eq!(
        got,
        vec![
            ("z", &Value::Bool(true), Reason::Static),
            ("a", &Value::Bool(false), Reason::Static),
            ("m", &Value::Bool(true), Reason::TargetingMatch),
            ("k", &Value::String("X".into()), Reason::Disabled),
        ]
    );
    assert!(load(r#"{"flags": {}}"#).evaluate_all(&Context::new(), 0).is_empty());
}

#[test]
fn stale_flags_with_reasons() {
    let rs = load(
        r#"{"flags": {
            "expired": {"expires": "2026-01-01", "users": ["u"]},
            "static": true,
            "killed": {"killed": true, "users": ["u"]},
            "full": {"percentage": 100},
            "partial": {"percentage": 99.9},
            "ramp": {"schedule": {"type": "linear", "start": "2026-01-01", "duration_hours": 24}},
            "ops": {"tags": ["ops"], "killed": true, "enabled": true},
            "perm": {"tags": ["permission"], "enabled": true, "expires": "2020-01-01"},
            "live": {"users": ["u"], "expires": "2030-01-01"}
        }}"#,
    );
    let stale = |now: &str| -> Vec<(String, Vec<StaleReason>)> {
        rs.stale_flags(t(now)).into_iter().map(|(f, why)| (f.key().to_string(), why)).collect()
    };
    assert_eq!(
        stale("2026-01-01T12:00:00Z"),
        vec![
            ("expired".into(), vec![StaleReason::Expired]),
            ("static".into(), vec![StaleReason::Static]),
            ("killed".into(), vec![StaleReason::Killed]),
            ("full".into(), vec![StaleReason::FullyRolledOut]),
            ("perm".into(), vec![StaleReason::Expired]),
        ]
    );
    let later = stale("2026-01-02T00:00:00Z");
    assert!(later.contains(&("ramp".into(), vec![StaleReason::FullyRolledOut])), "{later:?}");
    assert!(!later.iter().any(|(k, _)| k == "live" || k == "partial" || k == "ops"));
    assert_eq!(StaleReason::FullyRolledOut.as_str(), "fully_rolled_out");
    let before = stale("2025-12-31T23:59:59Z");
    assert!(!before.iter().any(|(k, _)| k == "expired"), "expires is inclusive of its instant only");
}

// ------------------------------------------------------------------- routes

#[test]
fn routes_pick_the_upstream_of_the_served_variant() {
    let rs = load(
        r#"{"flags": {
            "canary": {"percentage": 30},
            "api": {"variants": {"v1": 1, "v2": 2}, "default_variant": "v1", "rules": [{"id": "beta", "conditions": [{"attribute": "beta", "op": "eq", "value": true}], "variant": "v2"}]}
        },
        "routes": [
            {"id": "orders", "path": "/api/orders*", "flag": "canary", "upstreams": {"on": "http://127.0.0.1:9002/", "off": "https://stable.example"}},
            {"path": "/api/*", "flag": "api", "upstreams": {"v1": "http://v1.internal", "v2": "http://v2.internal:8080/base"}}
        ]}"#,
    );
    let r = rs.route_for("/api/orders/17").unwrap();
    assert_eq!((r.id(), r.pattern()), ("orders", "/api/orders*"));
    let flag = r.flag();
    for i in 0..100 {
        let u = format!("u{i}");
        let res = rs.resolve(flag, &Context::with_user(&u), 0);
        let want = if bucket("canary", &u) < 30.0 { "http://127.0.0.1:9002" } else { "https://stable.example" };
        assert_eq!(r.upstream(res.variant), Some(want), "trailing slash trimmed");
    }
    let r = rs.route_for("/api/users").unwrap();
    assert_eq!(r.id(), "routes[1]", "the default id is the route's path");
    let res = rs.resolve(r.flag(), &ctx(r#"{"beta": true}"#), 0);
    assert_eq!(r.upstream(res.variant), Some("http://v2.internal:8080/base"));
    assert_eq!(r.upstream(99), None);
    assert!(rs.route_for("/health").is_none());
    assert!(rs.route_for("/api").is_none());
    assert_eq!(rs.routes().len(), 2);
    // Patterns match normalized segments: `*` is one segment, and the
    // glued `orders*` is the segment `orders` and below, never `ordersXYZ`.
    assert!(rs.route_for("/api/users/1").is_none());
    assert_eq!(rs.route_for("/api/ordersXYZ").map(|r| r.id()), Some("routes[1]"));
    assert_eq!(rs.route_for("/api/orders").map(|r| r.id()), Some("orders"));
    assert_eq!(rs.route_for("//api/./orders/../orders/9").map(|r| r.id()), Some("orders"));
    assert!(rs.route_for("/api/orders%2F..%2F..%2Fadmin").is_none(), "refused, not matched");
    let p = edgeflags::path::normalize("/api/x/../orders/%7e1").unwrap();
    assert_eq!(rs.route_for_path(&p).map(|r| r.id()), Some("orders"));
    assert_eq!(p.as_encoded(), "/api/orders/~1");
}

// ------------------------------------------------------- resolve and values

#[test]
fn resolve_agrees_with_evaluate() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ruleset.json")).unwrap();
    let rs = load(&text);
    let contexts = [
        r#"{"user_id": "user:1"}"#,
        r#"{"user_id": "qa-1", "plan": "enterprise", "country": "US"}"#,
        r#"{"user_id": "u77", "email": "ann@company.com", "app_version": "4.3.0", "signup_date": "2024-01-01", "age_days": "45"}"#,
        r#"{"tenant_id": "t9", "device": "mobile-ios", "user_agent": "Safari", "user_id": "x"}"#,
        r#"{}"#,
    ];
    for c in contexts {
        let c = ctx(c);
        for now in ["2026-10-02", "2026-10-30", "2026-11-21T12:00:00Z", "2027-06-01"] {
            let now = t(now);
            for (i, f) in rs.flags().iter().enumerate() {
                let id = rs.flag_id(f.key()).unwrap();
                assert_eq!(id.index(), i);
                let r = rs.resolve(id, &c, now);
                let e = rs.evaluate(f.key(), &c, now, &NULL);
                assert_eq!(e, rs.evaluation(id, r));
                assert_eq!(e.variant, Some(&*f.variants()[r.variant as usize].name));
            }
        }
    }
    let all_attrs = rs.attributes();
    for a in ["user_id", "tenant_id", "email", "plan", "country", "app_version", "beta"] {
        assert!(all_attrs.contains(&a), "{a} in {all_attrs:?}");
    }
}

#[test]
fn json_variant_values_are_served_whole() {
    let rs = load(
        r#"{"flags": {"cfg": {"type": "json", "variants": {"a": {"limits": [1, 2.5, null], "name": "ü\n"}, "b": null}, "default_variant": "a"}}}"#,
    );
    // An object default: the JSON getter.
    let object = Value::Object(vec![]);
    let e = rs.evaluate("cfg", &Context::new(), 0, &object);
    assert_eq!(e.value.to_json(), r#"{"limits":[1,2.5,null],"name":"ü\n"}"#);
    assert!(e.is_truthy());
}

// ------------------------------------------------- equality, objects, nulls

#[test]
fn numeric_text_matches_listed_numbers_both_ways() {
    // A listed number matches the same value written as text, and the reverse.
    let c = r#"{"attribute": "n", "op": "in", "values": [42]}"#;
    assert!(cond_matches(c, r#"{"n": "42.0"}"#));
    assert!(cond_matches(c, r#"{"n": " 42 "}"#));
    assert!(!cond_matches(c, r#"{"n": "42x"}"#));
    assert!(!cond_matches(c, r#"{"n": ""}"#));
    let c = r#"{"attribute": "n", "op": "in", "values": ["42.0"]}"#;
    assert!(cond_matches(c, r#"{"n": 42}"#));
    assert!(cond_matches(c, r#"{"n": "42"}"#));
}

#[test]
fn object_attributes_match_no_operator() {
    // Like a missing attribute, an object says nothing a condition tests:
    // not even the negated operators match it.
    for c in [
        r#"{"attribute": "o", "op": "neq", "value": "x"}"#,
        r#"{"attribute": "o", "op": "not_in", "values": ["x"]}"#,
        r#"{"attribute": "o", "op": "eq", "value": "x"}"#,
    ] {
        assert!(!cond_matches(c, r#"{"o": {"k": 1}}"#), "{c}");
        assert!(!cond_matches(c, r#"{"o": [{"k": 1}]}"#), "{c} on a list of objects");
    }
    assert!(cond_matches(r#"{"attribute": "o", "op": "neq", "value": "x"}"#, r#"{"o": "y"}"#));
}

#[test]
fn null_flag_fields_mean_unset() {
    // A database row with a NULL rollout_percentage, as in DatabaseFeatureFlags.
    let rs = load(
        r#"{"flags": {"f": {"enabled": true, "rollout_percentage": null, "allowed_users": ["u1"], "owner": null}}}"#,
    );
    let e = rs.evaluate("f", &Context::with_user("u2"), 0, &NULL);
    assert_eq!((e.value, e.reason), (&Value::Bool(true), Reason::Default));
    let e = rs.evaluate("f", &Context::with_user("u1"), 0, &NULL);
    assert_eq!((e.value, e.reason), (&Value::Bool(true), Reason::TargetingMatch));
}

#[test]
fn ids_from_another_ruleset_never_panic() {
    let big =
        load(r#"{"flags": {"a": true, "b": true, "c": {"rules": [{"id": "r", "conditions": [], "variant": "on"}]}}}"#);
    let small = load(r#"{"flags": {"a": true}}"#);
    let foreign = big.flag_id("c").unwrap();
    let r = small.resolve(foreign, &Context::new(), 0);
    assert_eq!(r.reason, Reason::Error);
    let e = small.evaluation(foreign, r);
    assert_eq!((e.value, e.error_code), (&NULL, Some(ErrorCode::FlagNotFound)));
    // A resolution of big's flag c (rule r matched) read against small's flag a.
    let rc = big.resolve(foreign, &Context::new(), 0);
    assert_eq!(rc.rule_id(&big, foreign), Some("r"));
    assert_eq!(rc.rule_id(&small, small.flag_id("a").unwrap()), None);
    assert_eq!(small.evaluation(small.flag_id("a").unwrap(), rc).variant, Some("on"), "variant 0 exists in a");
}

#[test]
fn a_layout_is_adopted_only_with_the_same_attributes() {
    let rule = |attr: &str| {
        format!(
            r#"{{"flags": {{"f": {{"rules": [{{"conditions": [{{"attribute": "{attr}", "op": "eq", "value": "pro"}}], "variant": "on"}}]}}}}}}"#
        )
    };
    let a = Ruleset::from_json(&rule("plan")).unwrap();
    let mut same = Ruleset::from_json(&rule("plan")).unwrap();
    let mut other = Ruleset::from_json(&rule("country")).unwrap();
    assert!(same.adopt_layout(&a));
    assert!(!other.adopt_layout(&a));
    // Laid out for `a`: slot 0 is `plan`. `other` reads `country`, also slot
    // 0 of its own layout: it must read this context by name, not by slot.
    let mut ctx = a.new_context();
    ctx.set("plan", Value::String("pro".into()));
    let f = a.flag_id("f").unwrap();
    assert_eq!(same.resolve(f, &ctx, 0).variant, a.resolve(f, &ctx, 0).variant);
    assert_eq!(same.evaluate("f", &ctx, 0, &Value::Null).variant, Some("on"));
    assert_eq!(other.evaluate("f", &ctx, 0, &Value::Null).variant, Some("off"));
    ctx.set("country", Value::String("pro".into()));
    assert_eq!(other.evaluate("f", &ctx, 0, &Value::Null).variant, Some("on"));
}
