//! The evaluation vectors (`tests/vectors/evaluation/*.json`, format in
//! `tests/vectors/README.md`), run natively: every case through
//! [`Ruleset::evaluate_with`] and [`Ruleset::is_enabled`], its serialized
//! result (the one result shape, `impl Serialize for Evaluation`) compared
//! with `expect` field by field. Every failing case is reported, by file and
//! name, before the test fails. The JS, workerd and HTTP runners run the
//! same files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use edgeflags::{Context, Overrides, Ruleset, Value};

/// The suite must not shrink unnoticed.
const MIN_CASES: usize = 500;

const CASE_FIELDS: &[&str] = &["name", "flag", "context", "now", "default", "overrides", "expect", "enabled"];
const EXPECT_FIELDS: &[&str] = &["value", "variant", "reason", "ruleId", "errorCode"];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/evaluation")
}

fn files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

/// Members of a JSON object (the core's reader keeps document order, which
/// flags and variants need: serde_json's map would sort them).
fn members(v: &Value) -> &[(String, Value)] {
    match v {
        Value::Object(m) => m,
        other => panic!("expected an object, not {}", other.type_name()),
    }
}

/// JSON equality, numbers by value (`1` and `1.0` are one number).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// Runs one case; `Err` says how it failed.
fn run_case(rs: &Ruleset, case: &Value) -> Result<(), String> {
    for (k, _) in members(case) {
        if !CASE_FIELDS.contains(&k.as_str()) {
            return Err(format!("unknown case field {k:?}"));
        }
    }
    let flag = case.get("flag").and_then(Value::as_str).ok_or("no flag")?;
    let ctx = Context::from_value(case.get("context").cloned().unwrap_or(Value::Null)).map_err(|e| e.to_string())?;
    let now = match case.get("now") {
        None => 0,
        Some(v) => v.as_f64().filter(|n| n.fract() == 0.0).ok_or("now must be whole milliseconds")? as i64,
    };
    let default = case.get("default").cloned().unwrap_or(Value::Null);
    let mut overrides = Overrides::new();
    if let Some(o) = case.get("overrides") {
        for (k, v) in members(o) {
            overrides.set(Some(rs), k, v.clone()).map_err(|e| format!("override rejected: {e}"))?;
        }
    }
    let expect = case.get("expect").ok_or("no expect")?;
    for (k, _) in members(expect) {
        if !EXPECT_FIELDS.contains(&k.as_str()) {
            return Err(format!("unknown expect field {k:?}"));
        }
    }
    let want = serde_json::to_value(expect).unwrap();
    let e = rs.evaluate_with(flag, &ctx, now, &default, &overrides);
    let got = serde_json::to_value(&e).unwrap();
    let mut wrong = Vec::new();
    for field in EXPECT_FIELDS {
        let (g, w) = (got.get(field), want.get(field));
        let ok = match (g, w) {
            (Some(g), Some(w)) => same(g, w),
            (None, None) => true,
            _ => false,
        };
        if !ok {
            let show = |v: Option<&serde_json::Value>| v.map_or("(absent)".to_string(), |v| v.to_string());
            wrong.push(format!("{field}: got {}, want {}", show(g), show(w)));
        }
    }
    let enabled = case.get("enabled").and_then(Value::as_bool).ok_or("no enabled")?;
    let got_enabled = rs.is_enabled(flag, &ctx, now, &overrides);
    if got_enabled != enabled {
        wrong.push(format!("enabled: got {got_enabled}, want {enabled}"));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n      got {got}", wrong.join("; ")))
    }
}

#[test]
fn every_evaluation_vector() {
    let mut total = 0;
    let mut failures = Vec::new();
    let mut counts = Vec::new();
    for path in files() {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = Value::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (k, _) in members(&doc) {
            assert!(["description", "ruleset", "cases"].contains(&k.as_str()), "{file}: unknown field {k:?}");
        }
        assert!(doc.get("description").and_then(Value::as_str).is_some_and(|d| !d.is_empty()), "{file}: description");
        let rs = Ruleset::from_value(doc.get("ruleset").expect("ruleset")).unwrap_or_else(|e| panic!("{file}: {e}"));
        let Some(Value::Array(cases)) = doc.get("cases") else { panic!("{file}: no cases") };
        assert!(!cases.is_empty(), "{file}: no cases");
        let mut names = std::collections::HashSet::new();
        for (i, case) in cases.iter().enumerate() {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() || !names.insert(name.to_string()) {
                failures.push(format!("{file} #{i}: missing or duplicate name {name:?}"));
            }
            if let Err(why) = run_case(&rs, case) {
                failures.push(format!("{file} #{i} {name}: {why}"));
            }
        }
        total += cases.len();
        counts.push(format!("{file}: {}", cases.len()));
    }
    eprintln!("{total} evaluation vectors ({})", counts.join(", "));
    assert!(failures.is_empty(), "{} of {total} vectors failed:\n  {}", failures.len(), failures.join("\n  "));
    assert!(total >= MIN_CASES, "only {total} evaluation vectors; the suite needs at least {MIN_CASES}");
}

/// The committed files are what the generator writes (when Python 3 is here).
#[test]
fn vectors_are_generated() {
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/gen/evaluation.py");
    match std::process::Command::new("python3").arg(&gen).arg("--check").output() {
        Ok(out) => assert!(
            out.status.success(),
            "tests/vectors/evaluation is not what the generator writes:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("skipped: python3 not runnable ({e})"),
    }
}
