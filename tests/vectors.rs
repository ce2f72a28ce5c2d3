//! The shared bucketing vectors, every case: bucket equal as f64, rollout
//! membership, weighted variant. Read with serde_json (float_roundtrip), an
//! independent parser, and also through the core's own JSON reader to
//! prove it reads them exactly.
//!
//! The cases are read from the repository's verbatim copy,
//! `tests/vectors/bucketing.json`, so `cargo test` needs nothing outside
//! the checkout; when `../shared` sits beside it, the copy (and the copy of
//! the Python reference the vector generator uses) must equal the original.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::{bucket, in_rollout, pick_weighted, Context, Ruleset, Value};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/bucketing.json");

/// (repository copy, original in ../shared)
const COPIES: [(&str, &str); 2] = [
    ("tests/vectors/bucketing.json", "../shared/vectors/bucketing.json"),
    ("tests/vectors/gen/bucketing.py", "../shared/spec/bucketing.py"),
];

#[test]
fn vendored_copies_equal_shared() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (copy, original) in COPIES {
        let ours = std::fs::read(root.join(copy)).unwrap();
        match std::fs::read(root.join(original)) {
            Ok(theirs) => assert!(ours == theirs, "{copy} differs from {original}: copy it again"),
            Err(e) => eprintln!("skipped: {original} not readable ({e}); {copy} is used as is"),
        }
    }
}

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(VECTORS).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

#[test]
fn every_vector_matches_bit_for_bit() {
    let cases = cases();
    assert!(cases.len() >= 100, "expected the full vector set, got {}", cases.len());
    for (i, c) in cases.iter().enumerate() {
        let (salt, unit) = (c["salt"].as_str().unwrap(), c["unit"].as_str().unwrap());
        let want = c["bucket"].as_f64().unwrap();
        let got = bucket(salt, unit);
        assert_eq!(got.to_bits(), want.to_bits(), "case {i}: bucket({salt:?}, {unit:?}) = {got}, want {want}");
        let pct = c["percentage"].as_f64().unwrap();
        assert_eq!(in_rollout(salt, unit, pct), c["in_rollout"].as_bool().unwrap(), "case {i}: in_rollout");
        let weights: Vec<(String, f64)> = c["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w[0].as_str().unwrap().to_string(), w[1].as_f64().unwrap()))
            .collect();
        let idx = pick_weighted(got, weights.iter().map(|w| w.1)).unwrap();
        assert_eq!(weights[idx].0, c["variant"].as_str().unwrap(), "case {i}: variant");
    }
}

#[test]
fn own_json_reader_reads_vectors_exactly() {
    let text = std::fs::read_to_string(VECTORS).unwrap();
    let ours = Value::parse(&text).unwrap();
    let Some(Value::Array(ours)) = ours.get("cases") else { panic!("no cases") };
    for (o, s) in ours.iter().zip(cases()) {
        assert_eq!(o.get("bucket").and_then(Value::as_f64).unwrap().to_bits(), s["bucket"].as_f64().unwrap().to_bits());
    }
}

/// The vectors through whole-flag evaluation: a rollout flag and a split
/// flag per case, salted and bucketed by an attribute, as users write them.
#[test]
fn vectors_through_flag_evaluation() {
    for (i, c) in cases().iter().enumerate() {
        let salt = c["salt"].as_str().unwrap();
        let unit = c["unit"].as_str().unwrap();
        let pct = c["percentage"].as_f64().unwrap();
        let weights = c["weights"].as_array().unwrap();
        let variants: Vec<String> =
            weights.iter().map(|w| format!("\"{}\": \"{}\"", w[0].as_str().unwrap(), w[0].as_str().unwrap())).collect();
        let split: Vec<String> =
            weights.iter().map(|w| format!("[\"{}\", {}]", w[0].as_str().unwrap(), w[1])).collect();
        let salt_json = serde_json::to_string(salt).unwrap();
        let doc = format!(
            r#"{{"flags": {{
                "roll": {{"salt": {salt_json}, "bucket_by": "tenant", "percentage": {pct}}},
                "exp": {{"salt": {salt_json}, "bucket_by": "tenant", "variants": {{{}}}, "default_variant": "{}", "split": [{}]}}
            }}}}"#,
            variants.join(","),
            weights[0][0].as_str().unwrap(),
            split.join(",")
        );
        let rs = Ruleset::from_json(&doc).unwrap_or_else(|e| panic!("case {i}: {e}\n{doc}"));
        let mut ctx = Context::new();
        ctx.set("tenant", Value::String(unit.to_string()));
        let roll = rs.evaluate("roll", &ctx, 0, &Value::Null);
        assert_eq!(roll.value, &Value::Bool(c["in_rollout"].as_bool().unwrap()), "case {i}: rollout");
        let exp = rs.evaluate("exp", &ctx, 0, &Value::Null);
        assert_eq!(exp.variant, c["variant"].as_str(), "case {i}: split");
        assert_eq!(exp.reason.as_str(), "SPLIT");
    }
}
