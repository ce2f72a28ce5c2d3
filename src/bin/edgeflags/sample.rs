//! The contexts a blast radius is measured on: a JSON-lines file given
//! with `--contexts`, or by default the contexts of the evaluation vectors
//! (tests/vectors/evaluation/*.json), embedded in the binary at build time
//! so the CLI needs no checkout to run. Duplicates are dropped (the same
//! context counted twice would weigh twice).

use std::collections::HashSet;

use edgeflags::{Context, Value};

use crate::fail::Fail;

/// The vector files, by name. `tests/cli.rs` checks this list against the
/// directory, so a new vector file is not silently left out.
pub const VECTOR_FILES: &[(&str, &str)] = &[
    ("client.json", include_str!("../../../tests/vectors/evaluation/client.json")),
    ("edge_cases.json", include_str!("../../../tests/vectors/evaluation/edge_cases.json")),
    ("kill_switch.json", include_str!("../../../tests/vectors/evaluation/kill_switch.json")),
    ("operators.json", include_str!("../../../tests/vectors/evaluation/operators.json")),
    ("overrides.json", include_str!("../../../tests/vectors/evaluation/overrides.json")),
    ("prerequisites.json", include_str!("../../../tests/vectors/evaluation/prerequisites.json")),
    ("rollouts.json", include_str!("../../../tests/vectors/evaluation/rollouts.json")),
    ("schedules.json", include_str!("../../../tests/vectors/evaluation/schedules.json")),
    ("segments.json", include_str!("../../../tests/vectors/evaluation/segments.json")),
    ("shorthands.json", include_str!("../../../tests/vectors/evaluation/shorthands.json")),
    ("targeting.json", include_str!("../../../tests/vectors/evaluation/targeting.json")),
    ("typed_defaults.json", include_str!("../../../tests/vectors/evaluation/typed_defaults.json")),
];

/// A sample of contexts and where it came from.
pub struct Sample {
    /// `"evaluation vectors"` or the file's path.
    pub source: String,
    pub contexts: Vec<Context>,
}

/// The `--contexts` file, or the embedded vectors' contexts.
pub fn load(path: Option<&str>) -> Result<Sample, Fail> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| Fail::usage(format!("{p}: {e}")))?;
            Ok(Sample { source: p.to_string(), contexts: from_jsonl(p, &text)? })
        }
        None => Ok(Sample { source: "evaluation vectors".into(), contexts: from_vectors()? }),
    }
}

/// One context per non-blank line: a JSON object (its attributes).
fn from_jsonl(path: &str, text: &str) -> Result<Vec<Context>, Fail> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |msg: String| Fail::usage(format!("{path}:{}: {msg}", i + 1));
        let v = Value::parse(line).map_err(|e| at(e.to_string()))?;
        if !matches!(v, Value::Object(_)) {
            return Err(at(format!("a context must be a JSON object, not {}", v.type_name())));
        }
        if seen.insert(v.to_json()) {
            out.push(Context::from_value(v).map_err(|e| at(e.to_string()))?);
        }
    }
    Ok(out)
}

/// Every case's `context` (`{}` when absent), once each.
fn from_vectors() -> Result<Vec<Context>, Fail> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (name, text) in VECTOR_FILES {
        // Built in: a bad file is a bug of this build, not the user's input.
        let doc = Value::parse(text).map_err(|e| Fail::usage(format!("embedded vectors {name}: {e}")))?;
        let Some(Value::Array(cases)) = doc.get("cases") else { continue };
        for case in cases {
            let ctx = case.get("context").cloned().unwrap_or(Value::Object(Vec::new()));
            if matches!(ctx, Value::Object(_)) && seen.insert(ctx.to_json()) {
                if let Ok(c) = Context::from_value(ctx) {
                    out.push(c);
                }
            }
        }
    }
    Ok(out)
}
