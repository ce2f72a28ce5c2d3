//! The ruleset's `rollout` field: what loads (the plan and where it
//! stands, through `Ruleset::rollouts`), what is rejected (each problem
//! at its path), the client view (no plan, no webhook), and `apply`'s
//! edits of the document, which load again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::rollout::{
    apply, decide, Breach, Decision, Guard, GuardData, HoldReason, RolloutState, RolloutStatus, VariantWindow,
};
use edgeflags::time::parse_rfc3339;
use edgeflags::{Context, Ruleset, Value};

fn load(json: &str) -> Result<Ruleset, Vec<String>> {
    Ruleset::from_json(json).map_err(|e| e.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect())
}

const DOC: &str = r#"{"flags": {
  "new_api": {
    "variants": {"v1": "v1", "v2": "v2"}, "off_variant": "v1", "default_variant": "v1",
    "rollout_variant": "v2", "percentage": 5,
    "rollout": {
      "steps": [1, 5, 10, 25, 50, 100], "min_minutes": 15, "min_requests": 1000,
      "guards": [
        {"metric": "error_rate", "max": 0.01},
        {"metric": "error_rate", "max_increase": 0.005},
        {"metric": "latency", "percentile": 99, "max_ms": 500},
        {"metric": "latency", "percentile": 95, "max_increase_ms": 100}
      ],
      "on_breach": "pause", "alpha": 0.1, "webhook": "https://hooks.example/x",
      "status": "running", "since": "2026-11-30T10:00:00Z"
    }
  },
  "ops_kill": {"percentage": 0, "tags": ["ops"], "rollout": {"steps": [100], "guards": [{"metric": "error_rate", "max": 0.05}], "on_breach": "kill"}},
  "plain": true
}}"#;

#[test]
fn a_plan_loads_with_where_it_stands() {
    let rs = load(DOC).unwrap();
    let all: Vec<_> = rs.rollouts().collect();
    assert_eq!(all.len(), 2);
    let (key, plan, state) = &all[0];
    assert_eq!(*key, "new_api");
    assert_eq!(plan.steps, [1.0, 5.0, 10.0, 25.0, 50.0, 100.0]);
    assert_eq!((plan.min_minutes, plan.min_requests), (15, 1000));
    assert_eq!(
        plan.guards,
        [
            Guard::ErrorRate { max: 0.01 },
            Guard::ErrorRateIncrease { max_increase: 0.005 },
            Guard::Latency { percentile: 99.0, max_ms: 500 },
            Guard::LatencyIncrease { percentile: 95.0, max_increase_ms: 100 },
        ]
    );
    assert_eq!(plan.on_breach, Breach::Pause);
    assert_eq!(plan.alpha, 0.1);
    assert_eq!(plan.webhook.as_deref(), Some("https://hooks.example/x"));
    assert_eq!(
        *state,
        RolloutState {
            percentage: 5.0,
            status: RolloutStatus::Running,
            since: Some(parse_rfc3339("2026-11-30T10:00:00Z").unwrap())
        }
    );
    // Defaults.
    let (key, plan, state) = &all[1];
    assert_eq!(*key, "ops_kill");
    assert_eq!((plan.min_minutes, plan.min_requests, plan.alpha, plan.on_breach), (10, 500, 0.05, Breach::Kill));
    assert_eq!(*state, RolloutState { percentage: 0.0, status: RolloutStatus::Running, since: None });
    assert!(rs.flag("new_api").unwrap().rollout_plan().is_some());
    assert!(rs.flag("plain").unwrap().rollout_plan().is_none());
}

/// A flag with a 5% rollout and the plan's fields `fields` (JSON members).
fn plan(fields: &str) -> String {
    flag_with(r#""percentage": 5"#, fields)
}

fn flag_with(serve: &str, fields: &str) -> String {
    format!(r#"{{"flags": {{"f": {{{serve}, "rollout": {{"steps": [1, 5, 100]{fields}}}}}}}}}"#)
}

#[track_caller]
fn rejects(doc: &str, path: &str, message: &str) {
    let problems = load(doc).err().unwrap_or_else(|| panic!("loads: {doc}"));
    assert!(
        problems.iter().any(|p| p.starts_with(&format!("{path}: ")) && p.contains(message)),
        "expected {path}: ...{message}... in {problems:?}"
    );
}

#[test]
fn every_problem_has_its_path() {
    let r = "flags.f.rollout";
    rejects(r#"{"flags": {"f": {"percentage": 5, "rollout": {}}}}"#, r, "a rollout needs steps");
    rejects(r#"{"flags": {"f": {"percentage": 5, "rollout": 5}}}"#, r, "a rollout must be an object");
    rejects(&plan(r#", "stepz": 1"#), &format!("{r}.stepz"), "unknown field \"stepz\" in a rollout");
    // Steps.
    rejects(
        r#"{"flags": {"f": {"percentage": 5, "rollout": {"steps": [5, 1, 100]}}}}"#,
        &format!("{r}.steps[1]"),
        "steps must increase",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 5, "rollout": {"steps": [5, 5, 100]}}}}"#,
        &format!("{r}.steps[1]"),
        "steps must increase",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 0, "rollout": {"steps": [0, 100]}}}}"#,
        &format!("{r}.steps[0]"),
        "a step must be above 0",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 0, "rollout": {"steps": [5, 120]}}}}"#,
        &format!("{r}.steps[1]"),
        "outside 0..100",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 5, "rollout": {"steps": [1, 5, 50]}}}}"#,
        &format!("{r}.steps"),
        "the last step must be 100",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 0, "rollout": {"steps": []}}}}"#,
        &format!("{r}.steps"),
        "the last step must be 100",
    );
    rejects(
        r#"{"flags": {"f": {"percentage": 0, "rollout": {"steps": "1,100"}}}}"#,
        &format!("{r}.steps"),
        "expected a list",
    );
    // The flag's percentage is the current step.
    rejects(&flag_with(r#""percentage": 7"#, ""), r, "the percentage 7 is not 0 or a step");
    rejects(&flag_with(r#""schedule": {"start": 0, "steps": [[0, 1]]}"#, ""), r, "needs a fixed percentage beside it");
    rejects(&flag_with(r#""split": [["on", 50], ["off", 50]]"#, ""), r, "needs a fixed percentage beside it");
    rejects(&flag_with(r#""enabled": true"#, ""), r, "needs a fixed percentage beside it");
    assert!(load(&flag_with(r#""rollout_percentage": 1"#, "")).is_ok());
    assert!(load(&flag_with(r#""percentage": 0"#, "")).is_ok());
    assert!(load(&flag_with(r#""percentage": 100"#, "")).is_ok());
    // Numbers.
    rejects(
        &plan(r#", "min_minutes": -1"#),
        &format!("{r}.min_minutes"),
        "min_minutes must be a whole number 0 to 525600",
    );
    rejects(&plan(r#", "min_minutes": 1.5"#), &format!("{r}.min_minutes"), "whole number");
    rejects(&plan(r#", "min_requests": "500""#), &format!("{r}.min_requests"), "expected a number");
    rejects(&plan(r#", "alpha": 0"#), &format!("{r}.alpha"), "alpha must be between 0 and 1");
    rejects(&plan(r#", "alpha": 1"#), &format!("{r}.alpha"), "alpha must be between 0 and 1");
    rejects(
        &plan(r#", "on_breach": "delete""#),
        &format!("{r}.on_breach"),
        "on_breach must be rollback, pause or kill",
    );
    rejects(
        &plan(r#", "status": "stopped""#),
        &format!("{r}.status"),
        "status must be running, paused, done, rolled_back or killed",
    );
    rejects(&plan(r#", "since": "yesterday""#), &format!("{r}.since"), "invalid timestamp");
    assert!(load(&plan(r#", "since": 1790000000000, "status": "paused", "min_minutes": 0, "min_requests": 0"#)).is_ok());
    // Webhooks: https, or plain http to this machine only.
    for ok in ["https://hooks.example/x", "http://127.0.0.1:8787/hook", "http://localhost", "http://localhost/x"] {
        assert!(load(&plan(&format!(r#", "webhook": "{ok}""#))).is_ok(), "{ok}");
    }
    for bad in
        ["http://hooks.example/x", "https://", "https:///x", "http://localhost.evil.example", "ftp://x", "https://a b"]
    {
        rejects(&plan(&format!(r#", "webhook": "{bad}""#)), &format!("{r}.webhook"), "webhook must be https://");
    }
    // null is unset.
    let rs = load(&plan(r#", "min_minutes": null, "guards": null, "status": null, "webhook": null"#)).unwrap();
    let (_, p, s) = rs.rollouts().next().unwrap();
    assert_eq!((p.min_minutes, p.guards.len(), s.status), (10, 0, RolloutStatus::Running));
}

#[test]
fn every_guard_problem_has_its_path() {
    let g = "flags.f.rollout.guards[0]";
    let guard = |body: &str| plan(&format!(r#", "guards": [{body}]"#));
    rejects(&guard(r#"{"max": 0.01}"#), g, "a guard needs a metric");
    rejects(
        &guard(r#"{"metric": "errors", "max": 0.01}"#),
        &format!("{g}.metric"),
        "a guard needs a metric: error_rate, latency or custom",
    );
    rejects(&guard(r#"{"metric": "custom", "max": 1}"#), g, "a custom guard needs a name");
    rejects(
        &guard(r#"{"metric": "custom", "name": "", "max": 1}"#),
        &format!("{g}.name"),
        "a metric name must not be empty",
    );
    rejects(
        &guard(r#"{"metric": "custom", "name": "m"}"#),
        g,
        "a custom guard needs one of max, min, max_increase, max_decrease",
    );
    rejects(
        &guard(r#"{"metric": "custom", "name": "m", "max": 1, "min": 0}"#),
        g,
        "a custom guard needs one of max, min, max_increase, max_decrease",
    );
    rejects(
        &guard(r#"{"metric": "custom", "name": "m", "max_increase": 0}"#),
        &format!("{g}.max_increase"),
        "max_increase must be above 0",
    );
    rejects(
        &guard(r#"{"metric": "custom", "name": "m", "max": 1, "min_samples": 1.5}"#),
        &format!("{g}.min_samples"),
        "min_samples must be a whole number 2 to 1e9",
    );
    rejects(
        &guard(r#"{"metric": "custom", "name": "m", "max": 1, "percentile": 99}"#),
        &format!("{g}.percentile"),
        "percentile does not apply to this metric",
    );
    rejects(
        &guard(r#"{"metric": "error_rate", "max": 0.01, "name": "m"}"#),
        &format!("{g}.name"),
        "name does not apply to this metric",
    );
    rejects(&guard(r#"{"metric": "error_rate"}"#), g, "a guard needs max or max_increase");
    rejects(
        &guard(r#"{"metric": "error_rate", "max": 0.01, "max_increase": 0.01}"#),
        g,
        "a guard needs max or max_increase",
    );
    rejects(&guard(r#"{"metric": "error_rate", "max": 1.5}"#), &format!("{g}.max"), "max must be between 0 and 1");
    rejects(
        &guard(r#"{"metric": "error_rate", "max_increase": 0}"#),
        &format!("{g}.max_increase"),
        "max_increase must be between 0 and 1",
    );
    rejects(
        &guard(r#"{"metric": "error_rate", "max": 0.01, "max_ms": 500}"#),
        &format!("{g}.max_ms"),
        "max_ms does not apply to this metric",
    );
    rejects(
        &guard(r#"{"metric": "error_rate", "max": 0.01, "p": 1}"#),
        &format!("{g}.p"),
        "unknown field \"p\" in a guard",
    );
    rejects(&guard(r#"{"metric": "latency", "max_ms": 500}"#), g, "a latency guard needs a percentile");
    rejects(
        &guard(r#"{"metric": "latency", "percentile": 98, "max_ms": 500}"#),
        &format!("{g}.percentile"),
        "percentile must be 50, 90, 95, 99 or 99.9",
    );
    rejects(&guard(r#"{"metric": "latency", "percentile": 99}"#), g, "a guard needs max_ms or max_increase_ms");
    rejects(
        &guard(r#"{"metric": "latency", "percentile": 99, "max": 0.1}"#),
        &format!("{g}.max"),
        "max does not apply to this metric",
    );
    rejects(
        &guard(r#"{"metric": "latency", "percentile": 99, "max_ms": 450}"#),
        &format!("{g}.max_ms"),
        "max_ms must be one of 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000",
    );
    rejects(
        &guard(r#"{"metric": "latency", "percentile": 95, "max_increase_ms": 0}"#),
        &format!("{g}.max_increase_ms"),
        "max_increase_ms must be a whole number 1 to 60000",
    );
    rejects(
        &guard(r#"{"metric": "latency", "percentile": 95, "max_increase_ms": 2.5}"#),
        &format!("{g}.max_increase_ms"),
        "whole number",
    );
    rejects(&plan(r#", "guards": {}"#), "flags.f.rollout.guards", "expected a list");
    // The second guard's problem is at [1].
    rejects(&plan(r#", "guards": [{"metric": "error_rate", "max": 0.01}, {"metric": "latency", "percentile": 99.9, "max_ms": 7}]"#).replace("7}", "8}"), "flags.f.rollout.guards[1].max_ms", "max_ms must be one of");
    assert!(load(&guard(r#"{"metric": "latency", "percentile": 99.9, "max_ms": 60000}"#)).is_ok());
}

#[test]
fn the_client_view_has_no_plan() {
    let doc = Value::parse(DOC).unwrap();
    let view = edgeflags::client::client_view(&doc, "salt").unwrap();
    let text = view.to_json();
    assert!(!text.contains("rollout\"") && !text.contains("hooks.example") && !text.contains("guards"), "{text}");
    // It answers as the full document does.
    let (full, client) = (Ruleset::from_value(&doc).unwrap(), Ruleset::from_value(&view).unwrap());
    for u in 0..200 {
        let ctx = Context::with_user(&format!("user:{u}"));
        assert_eq!(
            full.evaluate("new_api", &ctx, 0, &Value::Null).value,
            client.evaluate("new_api", &ctx, 0, &Value::Null).value
        );
    }
    assert_eq!(client.rollouts().count(), 0);
}

const MIN: i64 = 60_000;

fn window(requests: u64, errors: u64) -> VariantWindow {
    let mut w = VariantWindow { requests, errors, ..VariantWindow::default() };
    w.latency[5] = requests; // 10 ms
    w
}

fn state_of(rs: &Ruleset, key: &str) -> RolloutState {
    rs.rollouts().find(|(k, _, _)| *k == key).unwrap().2
}

#[test]
fn apply_writes_the_decision_and_the_document_loads() {
    let doc = Value::parse(DOC).unwrap();
    let rs = Ruleset::from_value(&doc).unwrap();
    let (_, plan, state) = rs.rollouts().next().unwrap();
    let since = state.since.unwrap();
    let healthy = GuardData { control: window(50_000, 500), treatment: window(3_000, 30) };

    // Advance: 5 -> 10, since now, still running.
    let now = since + 20 * MIN;
    let d = decide(plan, &state, &healthy, now);
    assert!(matches!(d, Decision::Advance { from: 5.0, to: 10.0, .. }), "{d:?}");
    let edited = apply(&doc, "new_api", &d, now).unwrap();
    let rs2 = Ruleset::from_value(&edited).unwrap();
    assert_eq!(
        state_of(&rs2, "new_api"),
        RolloutState { percentage: 10.0, status: RolloutStatus::Running, since: Some(now) }
    );
    let rollout = edited.get("flags").unwrap().get("new_api").unwrap().get("rollout").unwrap();
    assert_eq!(rollout.get("since").and_then(Value::as_str), Some("2026-11-30T10:20:00Z"));
    // The other flags are untouched.
    assert_eq!(edited.get("flags").unwrap().get("plain"), doc.get("flags").unwrap().get("plain"));

    // A hold changes nothing.
    let hold = decide(plan, &state, &healthy, since + MIN);
    assert!(matches!(hold, Decision::Hold { reason: HoldReason::TooSoon { need: 15, .. }, .. }), "{hold:?}");
    assert!(!hold.changes());
    assert_eq!(apply(&doc, "new_api", &hold, now).unwrap(), doc);

    // A breach with on_breach pause: percentage kept, status paused.
    let failing = GuardData { control: window(50_000, 500), treatment: window(3_000, 300) };
    let d = decide(plan, &state, &failing, since + 2 * MIN);
    assert!(matches!(d, Decision::Breach { guard: 0, action: Breach::Pause, .. }), "{d:?}");
    let rs3 = Ruleset::from_value(&apply(&doc, "new_api", &d, now).unwrap()).unwrap();
    assert_eq!(
        state_of(&rs3, "new_api"),
        RolloutState { percentage: 5.0, status: RolloutStatus::Paused, since: Some(now) }
    );
    let paused = state_of(&rs3, "new_api");
    let d = decide(rs3.rollouts().next().unwrap().1, &paused, &failing, now + MIN);
    assert!(matches!(d, Decision::Hold { reason: HoldReason::Paused, .. }));
}

#[test]
fn apply_starts_rolls_back_kills_and_completes() {
    let doc = Value::parse(DOC).unwrap();
    let rs = Ruleset::from_value(&doc).unwrap();
    let t0 = 1_790_000_000_000;

    // The ops flag: not started (percentage 0, no since) -> start at its first step.
    let (_, ops, state) = rs.rollouts().nth(1).unwrap();
    let d = decide(ops, &state, &GuardData::default(), t0);
    assert_eq!(d, Decision::Start { from: 0.0, to: 100.0 });
    let doc1 = apply(&doc, "ops_kill", &d, t0).unwrap();
    let rs1 = Ruleset::from_value(&doc1).unwrap();
    let state1 = state_of(&rs1, "ops_kill");
    assert_eq!(state1, RolloutState { percentage: 100.0, status: RolloutStatus::Running, since: Some(t0) });
    assert_eq!(rs1.evaluate("ops_kill", &Context::with_user("u"), t0, &Value::Null).value, &Value::Bool(true));

    // Its guard breaches: the kill switch.
    let failing = GuardData { control: VariantWindow::default(), treatment: window(2_000, 400) };
    let d = decide(ops, &state1, &failing, t0 + MIN);
    assert!(matches!(d, Decision::Breach { guard: 0, action: Breach::Kill, .. }), "{d:?}");
    let rs2 = Ruleset::from_value(&apply(&doc1, "ops_kill", &d, t0 + MIN).unwrap()).unwrap();
    assert!(rs2.flag("ops_kill").unwrap().is_killed());
    assert_eq!(state_of(&rs2, "ops_kill").status, RolloutStatus::Killed);
    assert_eq!(rs2.evaluate("ops_kill", &Context::with_user("u"), t0, &Value::Null).value, &Value::Bool(false));

    // Healthy at the last step for long enough: complete.
    let healthy = GuardData { control: VariantWindow::default(), treatment: window(2_000, 10) };
    let d = decide(ops, &state1, &healthy, t0 + 10 * MIN);
    assert!(matches!(d, Decision::Complete { .. }), "{d:?}");
    let rs3 = Ruleset::from_value(&apply(&doc1, "ops_kill", &d, t0 + 10 * MIN).unwrap()).unwrap();
    assert_eq!(
        state_of(&rs3, "ops_kill"),
        RolloutState { percentage: 100.0, status: RolloutStatus::Done, since: Some(t0 + 10 * MIN) }
    );

    // Rollback: percentage 0, status rolled_back; shorthand percentages are
    // rewritten as `percentage`.
    let text = r#"{"flags": {"f": {"rollout_percentage": 5, "rollout": {"steps": [5, 100], "since": 0, "guards": [{"metric": "error_rate", "max": 0.01}]}}}}"#;
    let doc = Value::parse(text).unwrap();
    let rs = Ruleset::from_value(&doc).unwrap();
    let (_, plan, state) = rs.rollouts().next().unwrap();
    let d = decide(plan, &state, &failing, 5 * MIN);
    assert!(matches!(d, Decision::Breach { action: Breach::Rollback, .. }), "{d:?}");
    let edited = apply(&doc, "f", &d, 5 * MIN).unwrap();
    assert_eq!(edited.get("flags").unwrap().get("f").unwrap().get("rollout_percentage"), None);
    let rs = Ruleset::from_value(&edited).unwrap();
    assert_eq!(
        state_of(&rs, "f"),
        RolloutState { percentage: 0.0, status: RolloutStatus::RolledBack, since: Some(5 * MIN) }
    );

    // Errors: no such flag, no plan.
    assert!(apply(&doc, "nope", &d, 0).is_err());
    let doc = Value::parse(r#"{"flags": {"f": {"percentage": 5}}}"#).unwrap();
    assert!(apply(&doc, "f", &d, 0).is_err());
}

#[test]
fn custom_guards_compile() {
    let rs = load(&plan(
        r#", "guards": [{"metric": "custom", "name": "checkout_failed", "max": 0.02},
        {"metric": "custom", "name": "revenue", "max_decrease": 0.5, "min_samples": 400},
        {"metric": "custom", "name": "revenue", "min": -3}]"#,
    ))
    .unwrap();
    let (_, p, _) = rs.rollouts().next().unwrap();
    use edgeflags::rollout::{Guard, MetricBound, DEFAULT_MIN_SAMPLES};
    assert_eq!(
        p.guards,
        vec![
            Guard::Metric {
                name: "checkout_failed".into(),
                bound: MetricBound::Max(0.02),
                min_samples: DEFAULT_MIN_SAMPLES
            },
            Guard::Metric { name: "revenue".into(), bound: MetricBound::MaxDecrease(0.5), min_samples: 400 },
            Guard::Metric { name: "revenue".into(), bound: MetricBound::Min(-3.0), min_samples: DEFAULT_MIN_SAMPLES },
        ]
    );
    assert_eq!(rs.flag("f").unwrap().rollout_variant().map(|v| &*v.name), Some("on"));
}

/// A plan on a rule: its step is the rule's percentage, its treatment the
/// rule's variant; the decisions edit the rule; one plan per flag; the
/// client view drops it.
#[test]
fn a_rule_can_carry_the_plan() {
    let text = r#"{"flags": {"search": {
        "variants": {"old": "v1", "new": "v2"}, "default_variant": "old", "off_variant": "old",
        "rules": [
          {"id": "staff", "conditions": [{"attribute": "email", "op": "ends_with", "value": "@example.com"}], "variant": "new"},
          {"id": "us", "conditions": [{"attribute": "country", "op": "eq", "value": "US"}], "variant": "new", "percentage": 0,
           "rollout": {"steps": [10, 50, 100], "min_minutes": 0, "min_requests": 10,
                       "guards": [{"metric": "error_rate", "max": 0.05}]}}]}}}"#;
    let doc = Value::parse(text).unwrap();
    let rs = Ruleset::from_value(&doc).unwrap();
    let flag = rs.flag("search").unwrap();
    assert_eq!(flag.rollout_treatment().map(|v| &*v.name), Some("new"));
    assert_eq!(flag.rollout_rule(), Some("us"));
    assert_eq!(flag.rollout_variant(), None, "no flag-level percentage");
    let (_, plan, state) = rs.rollouts().next().unwrap();
    assert_eq!(state.percentage, 0.0);
    let t0 = 1_790_000_000_000;
    let d = decide(plan, &state, &GuardData::default(), t0);
    assert_eq!(d, Decision::Start { from: 0.0, to: 10.0 });
    let doc1 = apply(&doc, "search", &d, t0).unwrap();
    let rule = &doc1.get("flags").unwrap().get("search").unwrap().get("rules").unwrap();
    let Value::Array(rules) = rule else { panic!() };
    assert_eq!(rules[1].get("percentage"), Some(&Value::Number(10.0)));
    assert_eq!(rules[1].get("rollout").unwrap().get("status"), Some(&Value::String("running".into())));
    assert_eq!(doc1.get("flags").unwrap().get("search").unwrap().get("percentage"), None, "the flag is untouched");
    let rs1 = Ruleset::from_value(&doc1).unwrap();
    assert_eq!(state_of(&rs1, "search").percentage, 10.0);
    // About 10 % of US users get the new variant; others nothing from the rule.
    let us = (0..2000)
        .filter(|i| {
            let mut ctx = Context::with_user(&format!("u{i}"));
            ctx.set("country", Value::String("US".into()));
            rs1.evaluate("search", &ctx, t0, &Value::Null).variant == Some("new")
        })
        .count();
    assert!((150..250).contains(&us), "{us}");
    // A breach rolls the rule back to 0.
    let failing = GuardData { control: VariantWindow::default(), treatment: window(200, 100) };
    let d = decide(plan, &state_of(&rs1, "search"), &failing, t0 + MIN);
    assert!(matches!(d, Decision::Breach { action: Breach::Rollback, .. }), "{d:?}");
    let rs2 = Ruleset::from_value(&apply(&doc1, "search", &d, t0 + MIN).unwrap()).unwrap();
    assert_eq!(state_of(&rs2, "search").percentage, 0.0);
    assert!(edgeflags::rollout::plan_doc(&doc1, "search").and_then(|p| p.get("steps")).is_some());
    // The client view keeps the rule, without its plan.
    let view = edgeflags::client::client_view(&doc1, "salt").unwrap();
    let Some(Value::Array(view_rules)) = view.get("flags").unwrap().get("search").unwrap().get("rules") else {
        panic!()
    };
    assert_eq!(view_rules[1].get("rollout"), None);
    assert_eq!(view_rules[1].get("percentage"), Some(&Value::Number(10.0)));
    // One plan per flag; a rule's plan needs the rule's fixed percentage.
    let both = text.replace(
        r#""off_variant": "old","#,
        r#""off_variant": "old", "percentage": 0, "rollout_variant": "new", "rollout": {"steps": [100]},"#,
    );
    rejects(&both, "flags.search.rollout", "a flag carries one rollout plan");
    let split = text.replace(r#""variant": "new", "percentage": 0,"#, r#""split": [["old", 50], ["new", 50]],"#);
    rejects(&split, "flags.search.rules[1].rollout", "a rollout needs a fixed percentage beside it");
    let two =
        text.replace(r#""variant": "new"},"#, r#""variant": "new", "percentage": 0, "rollout": {"steps": [100]}},"#);
    rejects(&two, "flags.search.rules[1].rollout", "one rule at most");
}
