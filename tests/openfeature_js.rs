//! The npm package's OpenFeature providers (`edgeflags/openfeature`) use the
//! core's OpenFeature vocabulary mirrored in `pkg/src/openfeature-mapping.js`
//! (through the wasm binding they cost the browser download 2.0 to 2.4 KB
//! gzipped, see that file). This checks the mirror against
//! `edgeflags::openfeature`:
//!
//! - the reason table and the constants (`targetingKey`, `user_id`, the
//!   context attribute limit) are the core's;
//! - `mapContext`, run in Node, maps every evaluation vector's context, its
//!   OpenFeature forms (`user_id` given as `targetingKey`, `targetingKey`
//!   over another `user_id`) and edge cases exactly as
//!   [`edgeflags::openfeature::context`] does, refusing what it refuses.
//!
//! Needs Node (`node_modules/.bin/node`, which scripts/setup.sh installs, or
//! `node` on the PATH); without it the second check is skipped with a
//! message, unless `EDGEFLAGS_REQUIRE_NODE` is set (scripts/test-pkg.sh sets it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use edgeflags::limits::MAX_CONTEXT_ATTRIBUTES;
use edgeflags::openfeature::{context, reasons, TARGETING_KEY, UNIT_ATTRIBUTE};
use edgeflags::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn mapping_js() -> PathBuf {
    root().join("pkg/src/openfeature-mapping.js")
}

/// `export const NAME = VALUE;` lines, values as written (quotes removed).
fn js_constants(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export const "))
        .filter_map(|l| l.trim_end_matches(';').split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// The `NAME: 'REASON',` lines of the OPENFEATURE_REASONS table.
fn js_reasons(text: &str) -> Vec<(String, String)> {
    let start = text.find("export const OPENFEATURE_REASONS = Object.freeze({").expect("the reason table");
    let body = &text[start..];
    let body = &body[..body.find("});").expect("the table's end")];
    body.lines()
        .skip(1)
        .filter_map(|l| l.trim().trim_end_matches(',').split_once(": "))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

#[test]
fn the_mirror_holds_the_cores_table_and_constants() {
    let text = std::fs::read_to_string(mapping_js()).unwrap();
    let consts = js_constants(&text);
    assert_eq!(consts["TARGETING_KEY"], TARGETING_KEY);
    assert_eq!(consts["UNIT_ATTRIBUTE"], UNIT_ATTRIBUTE);
    assert_eq!(consts["MAX_CONTEXT_ATTRIBUTES"], MAX_CONTEXT_ATTRIBUTES.to_string());
    let js = js_reasons(&text);
    let core: Vec<(String, String)> =
        reasons().iter().map(|(r, of)| (r.as_str().to_string(), of.to_string())).collect();
    let mut sorted_js = js.clone();
    sorted_js.sort();
    let mut sorted_core = core.clone();
    sorted_core.sort();
    assert_eq!(
        sorted_js, sorted_core,
        "pkg/src/openfeature-mapping.js OPENFEATURE_REASONS must be edgeflags::openfeature::reasons()"
    );
}

fn node() -> Option<PathBuf> {
    let local = root().join("node_modules/.bin/node");
    if local.exists() {
        return Some(local);
    }
    Command::new("node").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| PathBuf::from("node"))
}

fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// Every evaluation vector's context and its OpenFeature forms, then edge cases.
fn contexts() -> Vec<Value> {
    let mut out = Vec::new();
    let dir = root().join("tests/vectors/evaluation");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let doc = Value::parse(&std::fs::read_to_string(f).unwrap()).unwrap();
        let Some(Value::Array(cases)) = doc.get("cases") else { panic!("{}: no cases", f.display()) };
        for c in cases {
            let ctx = c.get("context").cloned().unwrap_or(Value::Object(Vec::new()));
            if let Value::Object(members) = &ctx {
                if let Some(Value::String(unit)) = ctx.get("user_id") {
                    let rest: Vec<(String, Value)> = members.iter().filter(|(k, _)| k != "user_id").cloned().collect();
                    let mut as_key = rest.clone();
                    as_key.push((TARGETING_KEY.to_string(), s(unit)));
                    out.push(Value::Object(as_key));
                    let mut over = rest;
                    over.push(("user_id".to_string(), s("someone-else")));
                    over.push((TARGETING_KEY.to_string(), s(unit)));
                    out.push(Value::Object(over));
                }
            }
            out.push(ctx);
        }
    }
    let many = |n: usize, with_key: bool| {
        let mut m: Vec<(String, Value)> = (0..n).map(|i| (format!("a{i}"), Value::Number(i as f64))).collect();
        if with_key {
            m.push((TARGETING_KEY.to_string(), s("u")));
        }
        Value::Object(m)
    };
    out.extend([
        Value::Null,
        obj(vec![]),
        obj(vec![(TARGETING_KEY, s("u1"))]),
        obj(vec![(TARGETING_KEY, s(""))]),
        obj(vec![(TARGETING_KEY, s("")), ("user_id", s("x"))]),
        obj(vec![(TARGETING_KEY, Value::Null), ("user_id", s("x"))]),
        obj(vec![("user_id", Value::Number(42.0)), (TARGETING_KEY, s("u"))]),
        obj(vec![(TARGETING_KEY, s("u")), ("meta", obj(vec![(TARGETING_KEY, Value::Number(5.0))]))]),
        obj(vec![("__proto__", Value::Number(1.0)), (TARGETING_KEY, s("u"))]),
        obj(vec![(TARGETING_KEY, s("ünï 😀")), ("plan", s("pro")), ("n", Value::Null)]),
        obj(vec![(TARGETING_KEY, Value::Number(7.0))]),
        obj(vec![(TARGETING_KEY, Value::Bool(true))]),
        obj(vec![(TARGETING_KEY, obj(vec![("a", Value::Number(1.0))]))]),
        obj(vec![(TARGETING_KEY, Value::Array(vec![s("u")]))]),
        Value::Array(vec![Value::Number(1.0)]),
        s("u1"),
        Value::Number(5.0),
        Value::Bool(true),
        many(MAX_CONTEXT_ATTRIBUTES, true),
        many(MAX_CONTEXT_ATTRIBUTES, false),
        many(MAX_CONTEXT_ATTRIBUTES + 1, false),
        many(MAX_CONTEXT_ATTRIBUTES + 1, true),
    ]);
    out
}

/// JSON with object members sorted and numbers as f64, so equal JSON
/// compares equal whatever the member order or number spelling.
fn canon(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut items: Vec<(String, String)> =
                m.iter().map(|(k, v)| (serde_json::to_string(k).unwrap(), canon(v))).collect();
            items.sort();
            format!("{{{}}}", items.into_iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","))
        }
        serde_json::Value::Array(a) => format!("[{}]", a.iter().map(canon).collect::<Vec<_>>().join(",")),
        serde_json::Value::Number(n) => format!("{:?}", n.as_f64().unwrap()),
        other => other.to_string(),
    }
}

const RUNNER: &str = r#"
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const { mapContext } = await import(pathToFileURL(process.argv[2]).href);
const cases = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = cases.map((c) => {
  const r = mapContext(c);
  return typeof r === 'string' ? { error: r } : { context: r };
});
process.stdout.write(JSON.stringify(out));
"#;

#[test]
fn map_context_is_the_cores_mapping_for_every_vector_context() {
    let Some(node) = node() else {
        assert!(
            std::env::var_os("EDGEFLAGS_REQUIRE_NODE").is_none(),
            "EDGEFLAGS_REQUIRE_NODE is set but no node was found"
        );
        eprintln!("openfeature_js: no node found (node_modules/.bin/node or PATH): mapContext not checked");
        return;
    };
    let cases = contexts();
    assert!(cases.len() > 500, "only {} contexts", cases.len());
    let dir = std::env::temp_dir().join(format!("edgeflags-openfeature-js-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("contexts.json");
    let script = dir.join("run.mjs");
    let text: Vec<String> = cases.iter().map(|c| serde_json::to_string(c).unwrap()).collect();
    std::fs::write(&input, format!("[{}]", text.join(","))).unwrap();
    std::fs::write(&script, RUNNER).unwrap();
    let run = Command::new(&node).arg(&script).arg(mapping_js()).arg(&input).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(run.status.success(), "node failed: {}", String::from_utf8_lossy(&run.stderr));
    let answers: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());
    let (mut mapped, mut refused, mut mismatches) = (0, 0, Vec::new());
    for (i, (case, js)) in cases.iter().zip(&answers).enumerate() {
        let input = serde_json::to_string(case).unwrap();
        match context(case.clone()) {
            Ok(ctx) => {
                mapped += 1;
                let core = serde_json::to_value(&ctx).unwrap();
                match js.get("context") {
                    Some(got) if canon(got) == canon(&core) => {}
                    _ => mismatches.push(format!("#{i} {input:.200}: core {} js {js}", canon(&core))),
                }
            }
            Err(e) => {
                refused += 1;
                if js.get("error").is_none() {
                    mismatches.push(format!("#{i} {input:.200}: core refuses ({e}), js gives {js}"));
                }
            }
        }
    }
    assert!(mapped > 500 && refused >= 9, "mapped {mapped}, refused {refused}");
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
