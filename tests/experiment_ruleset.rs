//! The ruleset's `experiment` field: what loads, what is rejected (with a
//! path), the spec the analysis gets, and which evaluations are exposures.

use edgeflags::experiment::{Goal, MetricKind};
use edgeflags::{Context, Ruleset, Value};

fn load(json: &str) -> Result<Ruleset, Vec<String>> {
    Ruleset::from_json(json).map_err(|e| e.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect())
}

const DOC: &str = r#"{"flags": {"exp": {
  "variants": {"control": "blue", "a": "green", "b": "red"},
  "default_variant": "control",
  "targets": [{"variant": "b", "users": ["qa"]}],
  "rules": [{"id": "us", "conditions": [{"attribute": "country", "op": "eq", "value": "US"}],
             "split": [["control", 50], ["a", 50]]},
            {"id": "ent", "conditions": [{"attribute": "plan", "op": "eq", "value": "enterprise"}], "variant": "a"}],
  "split": [["control", 50], ["a", 25], ["b", 25]],
  "experiment": {"control": "control", "metrics": ["purchase", {"event": "revenue", "kind": "mean"},
                 {"event": "refund", "goal": "decrease"}], "baseline": 0.05}
}}}"#;

#[test]
fn spec_of_a_flag_level_split() {
    let rs = load(DOC).unwrap();
    let spec = rs.experiment_spec("exp", 0).unwrap();
    assert_eq!(spec.variants.iter().map(|v| &**v).collect::<Vec<_>>(), ["control", "a", "b"]);
    assert_eq!(spec.weights, [50.0, 25.0, 25.0]);
    assert_eq!(spec.control, 0);
    assert_eq!(spec.metrics[1].kind, MetricKind::Mean);
    assert_eq!(spec.metrics[2].goal, Goal::Decrease);
    assert_eq!(spec.plan.baseline, Some(0.05));
    assert_eq!(spec.plan.mde, 0.1);
    assert_eq!(rs.experiments().collect::<Vec<_>>(), ["exp"]);
    assert!(rs.experiment_spec("nope", 0).is_none());
}

fn exposure(rs: &Ruleset, attrs: &[(&str, &str)]) -> Option<(String, String)> {
    let mut ctx = Context::new();
    for (k, v) in attrs {
        ctx.set(k, Value::String(v.to_string()));
    }
    let id = rs.flag_id("exp")?;
    let r = rs.resolve(id, &ctx, 0);
    rs.exposure(id, &ctx, &r).map(|e| (e.variant.to_string(), e.unit))
}

#[test]
fn only_the_experiments_split_exposes() {
    let rs = load(DOC).unwrap();
    // The flag-level split: exposed, with the bucketed variant.
    let (variant, unit) = exposure(&rs, &[("user_id", "user:7")]).unwrap();
    assert_eq!(unit, "user:7");
    let ev = rs.evaluate("exp", &Context::with_user("user:7"), 0, &Value::Null);
    assert_eq!(Some(variant.as_str()), ev.variant);
    // A user list, a rule's split and a fixed rule: not this experiment's assignment.
    assert_eq!(exposure(&rs, &[("user_id", "qa")]), None);
    assert_eq!(exposure(&rs, &[("user_id", "u"), ("country", "US")]), None);
    assert_eq!(exposure(&rs, &[("user_id", "u"), ("plan", "enterprise")]), None);
    // No unit: nothing to record.
    assert_eq!(exposure(&rs, &[("country", "FR")]), None);
    // On the rule's split instead.
    let on_rule = DOC.replace(r#""control": "control", "metrics""#, r#""rule": "us", "control": "control", "metrics""#);
    let rs = load(&on_rule).unwrap();
    assert!(exposure(&rs, &[("user_id", "u"), ("country", "US")]).is_some());
    assert_eq!(exposure(&rs, &[("user_id", "u")]), None);
    assert_eq!(rs.experiment_spec("exp", 0).unwrap().weights, [50.0, 50.0]);
    // Killed: no exposure.
    let killed = DOC.replace(r#""default_variant": "control","#, r#""default_variant": "control", "killed": true,"#);
    assert_eq!(exposure(&load(&killed).unwrap(), &[("user_id", "u")]), None);
}

#[test]
fn a_percentage_experiment_compares_on_with_off() {
    let rs = load(
        r#"{"flags": {"exp": {"percentage": 30, "bucket_by": "account",
            "experiment": {"control": "off", "metrics": ["signup"]}}}}"#,
    )
    .unwrap();
    let spec = rs.experiment_spec("exp", 0).unwrap();
    assert_eq!(spec.variants.iter().map(|v| &**v).collect::<Vec<_>>(), ["on", "off"]);
    assert_eq!(spec.weights, [30.0, 70.0]);
    assert_eq!(spec.control, 1);
    let mut exposed = 0;
    for i in 0..1000 {
        let mut ctx = Context::new();
        ctx.set("account", Value::String(format!("acct-{i}")));
        let id = rs.flag_id("exp").unwrap();
        let r = rs.resolve(id, &ctx, 0);
        let e = rs.exposure(id, &ctx, &r).unwrap();
        assert_eq!(e.unit, format!("acct-{i}"));
        exposed += usize::from(e.variant == "on");
    }
    assert!((230..370).contains(&exposed), "{exposed}");
}

#[test]
fn bad_experiments_are_rejected_with_paths() {
    let cases = [
        (
            r#"{"control": "zz", "metrics": ["p"]}"#,
            "flags.exp.experiment.control: the control \"zz\" is not a variant the split assigns",
        ),
        (r#"{"metrics": ["p"]}"#, "flags.exp.experiment: an experiment needs \"control\""),
        (r#"{"control": "control"}"#, "flags.exp.experiment: an experiment needs \"metrics\""),
        (
            r#"{"control": "control", "metrics": []}"#,
            "flags.exp.experiment.metrics: an experiment needs at least one metric",
        ),
        (
            r#"{"control": "control", "metrics": ["p", "p"]}"#,
            "flags.exp.experiment.metrics[1].event: the event \"p\" is already a metric",
        ),
        (
            r#"{"control": "control", "metrics": [{"event": "p", "kind": "sum"}]}"#,
            "flags.exp.experiment.metrics[0].kind: kind must be",
        ),
        (
            r#"{"control": "control", "metrics": [{"event": "p", "goal": "up"}]}"#,
            "flags.exp.experiment.metrics[0].goal: goal must be",
        ),
        (
            r#"{"control": "control", "metrics": [{"name": "p"}]}"#,
            "flags.exp.experiment.metrics[0].name: unknown field",
        ),
        (
            r#"{"control": "control", "metrics": ["p"], "rule": "nope"}"#,
            "flags.exp.experiment.rule: no rule has id \"nope\"",
        ),
        (
            r#"{"control": "control", "metrics": ["p"], "rule": "ent"}"#,
            "flags.exp.experiment: an experiment needs a random assignment",
        ),
        (
            r#"{"control": "control", "metrics": ["p"], "alpha": 1.5}"#,
            "flags.exp.experiment.alpha: alpha must be between 0 and 1",
        ),
        (
            r#"{"control": "control", "metrics": ["p"], "mde": -1}"#,
            "flags.exp.experiment.mde: mde must be greater than 0",
        ),
        (r#"{"control": "control", "metrics": ["p"], "colour": 1}"#, "flags.exp.experiment.colour: unknown field"),
        (r#"[1]"#, "flags.exp.experiment: an experiment must be an object"),
    ];
    for (exp, want) in cases {
        let doc = DOC.replace(
            r#"{"control": "control", "metrics": ["purchase", {"event": "revenue", "kind": "mean"},
                 {"event": "refund", "goal": "decrease"}], "baseline": 0.05}"#,
            exp,
        );
        assert_ne!(doc, DOC);
        let problems = load(&doc).unwrap_err();
        assert!(problems.iter().any(|p| p.starts_with(want)), "{exp}: want {want}, got {problems:?}");
    }
    // A flag without a split cannot be an experiment.
    let p =
        load(r#"{"flags": {"f": {"enabled": true, "experiment": {"control": "on", "metrics": ["x"]}}}}"#).unwrap_err();
    assert!(p[0].contains("needs a random assignment"), "{p:?}");
}

/// The shared exposure vectors (tests/vectors/exposures.json), natively.
#[test]
fn exposure_vectors() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/exposures.json")).unwrap();
    let doc = Value::parse(&text).unwrap();
    let rs = Ruleset::from_value(doc.get("ruleset").unwrap()).unwrap();
    let Some(Value::Array(cases)) = doc.get("cases") else { panic!("no cases") };
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case.get("name").and_then(Value::as_str).unwrap();
        let flag = case.get("flag").and_then(Value::as_str).unwrap();
        let ctx = Context::from_value(case.get("context").unwrap().clone()).unwrap();
        let got = rs.flag_id(flag).and_then(|id| {
            let r = rs.resolve(id, &ctx, 0);
            rs.exposure(id, &ctx, &r).map(|e| (e.variant.to_string(), e.unit))
        });
        let want = match case.get("exposure") {
            Some(Value::Null) => None,
            Some(e) => Some((
                e.get("variant").and_then(Value::as_str).unwrap().to_string(),
                e.get("unit").and_then(Value::as_str).unwrap().to_string(),
            )),
            None => panic!("{name}: no exposure field"),
        };
        assert_eq!(got, want, "{name}");
    }
}
