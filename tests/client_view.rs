//! The client view (`edgeflags::client::client_view`) against the full
//! document it is made from:
//!
//! - every evaluation vector (`tests/vectors/evaluation/*.json`) on a
//!   client flag gives exactly the same result (value, variant, reason,
//!   ruleId, errorCode, enabled) from the view as from the full ruleset,
//!   and a server-only flag is `FLAG_NOT_FOUND` in the view. Each file is
//!   run as written and again with every attribute its conditions read
//!   marked `sensitive` (flags that then cannot be hashed made
//!   server-only, and their dependants), so every equality case of
//!   `operators.json` also runs hashed;
//! - the serialized view holds none of the raw user ids, sensitive
//!   values, upstream URLs, owners, descriptions or server-only flags of
//!   its source;
//! - it is deterministic, idempotent, keeps the version, and is refused
//!   for an invalid document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use edgeflags::client::client_view;
use edgeflags::{Context, Overrides, Ruleset, Value};

const SALT: &str = "client-view-test-salt";
const EXAMPLE: &str = include_str!("../examples/ruleset.json");

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/evaluation");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

fn members(v: &Value) -> &[(String, Value)] {
    match v {
        Value::Object(m) => m,
        _ => &[],
    }
}

fn items(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// The result of one case on `rs`, as JSON (the one result shape plus
/// `enabled`).
fn run(rs: &Ruleset, case: &Value) -> serde_json::Value {
    let flag = case.get("flag").and_then(Value::as_str).unwrap();
    let ctx = Context::from_value(case.get("context").cloned().unwrap_or(Value::Null)).unwrap();
    let now = case.get("now").and_then(Value::as_f64).unwrap_or(0.0) as i64;
    let default = case.get("default").cloned().unwrap_or(Value::Null);
    let mut overrides = Overrides::new();
    for (k, v) in case.get("overrides").map(members).unwrap_or(&[]) {
        overrides.set(Some(rs), k, v.clone()).unwrap();
    }
    let mut got = serde_json::to_value(rs.evaluate_with(flag, &ctx, now, &default, &overrides)).unwrap();
    got["enabled"] = rs.is_enabled(flag, &ctx, now, &overrides).into();
    got
}

/// Every attribute the document's conditions read.
fn condition_attributes(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |conds: Option<&Value>| {
        for c in items(conds) {
            if let Some(a) = c.get("attribute").and_then(Value::as_str) {
                out.insert(a.to_string());
            }
        }
    };
    for (_, f) in members(doc.get("flags").unwrap()) {
        for r in items(f.get("rules")) {
            add(r.get("conditions"));
        }
    }
    for (_, s) in doc.get("segments").map(members).unwrap_or(&[]) {
        add(s.get("conditions"));
    }
    out
}

const EQUALITY: &[&str] = &["in", "not_in", "eq", "neq"];

/// `doc` with every attribute its conditions read marked sensitive, and
/// `"client": false` on the flags the client view then cannot hold: those
/// with a non-equality condition (or a segment with one), and, to a fixed
/// point, those whose prerequisites are server-only.
fn all_sensitive(doc: &Value) -> Value {
    let leaky = |conds: Option<&Value>| {
        items(conds).iter().any(|c| {
            c.get("attribute").is_some() && !EQUALITY.contains(&c.get("op").and_then(Value::as_str).unwrap_or(""))
        })
    };
    let leaky_segments: BTreeSet<&str> = doc
        .get("segments")
        .map(members)
        .unwrap_or(&[])
        .iter()
        .filter(|(_, s)| leaky(s.get("conditions")))
        .map(|(n, _)| n.as_str())
        .collect();
    let flags = members(doc.get("flags").unwrap());
    let mut server: BTreeSet<&str> = BTreeSet::new();
    for (k, f) in flags {
        let uses_leaky_segment = |c: &Value| {
            let named = c.get("value").into_iter().chain(items(c.get("values")));
            c.get("attribute").is_none() && named.filter_map(Value::as_str).any(|n| leaky_segments.contains(n))
        };
        let bad = items(f.get("rules"))
            .iter()
            .any(|r| leaky(r.get("conditions")) || items(r.get("conditions")).iter().any(uses_leaky_segment));
        if bad || f.get("client") == Some(&Value::Bool(false)) {
            server.insert(k);
        }
    }
    loop {
        let more: Vec<&str> = flags
            .iter()
            .filter(|(k, f)| {
                !server.contains(k.as_str())
                    && items(f.get("prerequisites"))
                        .iter()
                        .any(|p| p.get("flag").and_then(Value::as_str).is_some_and(|of| server.contains(of)))
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        server.extend(more);
    }
    let attrs = condition_attributes(doc);
    let mut out: Vec<(String, Value)> = members(doc).to_vec();
    out.retain(|(k, _)| k != "sensitive");
    out.push(("sensitive".into(), Value::Array(attrs.into_iter().map(Value::String).collect())));
    for (k, v) in &mut out {
        if k == "flags" {
            for (key, f) in match v {
                Value::Object(m) => m,
                _ => unreachable!(),
            } {
                if server.contains(key.as_str()) {
                    if let Value::Object(m) = f {
                        m.retain(|(k, _)| k != "client");
                        m.push(("client".into(), Value::Bool(false)));
                    }
                }
            }
        }
    }
    Value::Object(out)
}

/// Runs every case of one vector file on `doc` and on its client view;
/// returns (cases compared on client flags, server-only cases), failures
/// into `failures`.
fn compare(file: &str, doc: &Value, cases: &[Value], failures: &mut Vec<String>) -> (usize, usize) {
    let full = Ruleset::from_value(doc).unwrap_or_else(|e| panic!("{file}: {e}"));
    let view = client_view(doc, SALT).unwrap_or_else(|e| panic!("{file}: client view: {e}"));
    let client = Ruleset::from_value(&view).unwrap_or_else(|e| panic!("{file}: the view does not load: {e}"));
    assert_eq!(client.version(), full.version(), "{file}");
    let (mut same, mut server) = (0, 0);
    for case in cases {
        let name = case.get("name").and_then(Value::as_str).unwrap();
        let flag = case.get("flag").and_then(Value::as_str).unwrap();
        let want = run(&full, case);
        let got = run(&client, case);
        if full.flag(flag).is_some_and(|f| !f.client()) {
            server += 1;
            if got["errorCode"] != "FLAG_NOT_FOUND" {
                failures.push(format!("{file}: {name}: server-only flag {flag} answered from the view: {got}"));
            }
        } else {
            same += 1;
            if got != want {
                failures.push(format!("{file}: {name}: view {got}, full {want}"));
            }
        }
    }
    (same, server)
}

#[test]
fn the_view_answers_every_vector_as_the_full_ruleset() {
    let mut failures = Vec::new();
    let (mut same, mut server, mut hashed_conditions) = (0, 0, 0);
    for path in vector_files() {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = Value::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let ruleset = doc.get("ruleset").unwrap();
        let cases = items(doc.get("cases"));
        for (variant, d) in [("as written", ruleset.clone()), ("all sensitive", all_sensitive(ruleset))] {
            let (a, b) = compare(&format!("{file} ({variant})"), &d, cases, &mut failures);
            same += a;
            server += b;
            let view = client_view(&d, SALT).unwrap().to_json();
            hashed_conditions += view.matches(r#""values":{"sha256""#).count();
        }
    }
    eprintln!("{same} cases on client flags agree, {server} on server-only flags are FLAG_NOT_FOUND, {hashed_conditions} hashed conditions");
    assert!(failures.is_empty(), "{} failures:\n  {}", failures.len(), failures.join("\n  "));
    // Most of the suite runs on client flags, twice; and the hashed
    // conditions are many (operators.json's equality cases, all hashed).
    assert!(same > 3_000 && server > 300 && hashed_conditions > 30, "{same} {server} {hashed_conditions}");
}

/// Every string in `v`, keys included.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Every member name under `v`, and every `op`.
fn field_names(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| field_names(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                if k == "op" {
                    out.extend(v.as_str().map(str::to_string));
                }
                field_names(v, out);
            }
        }
        _ => {}
    }
}

/// The strings of `doc` a browser must not see (user ids, sensitive
/// values, upstreams, owners, descriptions, tags, server-only flag keys),
/// and all its other strings (which the view may hold).
fn secrets_and_public(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let sensitive: BTreeSet<&str> = items(doc.get("sensitive")).iter().filter_map(Value::as_str).collect();
    let mut secret = BTreeSet::new();
    let mut public = BTreeSet::new();
    let id = |v: &Value| match v {
        Value::Number(n) => Some(Value::Number(*n).to_json()),
        other => other.as_str().map(str::to_string),
    };
    let conditions = |conds: Option<&Value>, secret: &mut BTreeSet<String>, public: &mut BTreeSet<String>| {
        for c in items(conds) {
            let attr = c.get("attribute").and_then(Value::as_str).unwrap_or("");
            let op = c.get("op").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&Value> = c.get("value").into_iter().chain(items(c.get("values"))).collect();
            let hidden = (sensitive.contains(attr) || attr == "user_id") && EQUALITY.contains(&op);
            for v in values {
                let target = if hidden { &mut *secret } else { &mut *public };
                target.extend(id(v));
            }
            public.insert(attr.to_string());
        }
    };
    let user_lists = |f: &Value, secret: &mut BTreeSet<String>| {
        for list in [f.get("users"), f.get("allowed_users")]
            .into_iter()
            .chain(items(f.get("targets")).iter().map(|t| t.get("users")))
        {
            secret.extend(items(list).iter().filter_map(id));
        }
    };
    for (key, f) in members(doc.get("flags").unwrap()) {
        let f = match f {
            Value::Array(_) => &Value::Object(vec![("users".into(), f.clone())]),
            other => other,
        };
        if f.get("client") == Some(&Value::Bool(false)) {
            secret.insert(key.clone());
            strings(f, &mut secret);
            continue;
        }
        public.insert(key.clone());
        user_lists(f, &mut secret);
        for field in ["owner", "description", "created", "expires"] {
            secret.extend(f.get(field).and_then(Value::as_str).map(str::to_string));
        }
        secret.extend(items(f.get("tags")).iter().filter_map(Value::as_str).map(str::to_string));
        for r in items(f.get("rules")) {
            secret.extend(r.get("description").and_then(Value::as_str).map(str::to_string));
            public.extend(r.get("id").and_then(Value::as_str).map(str::to_string));
            conditions(r.get("conditions"), &mut secret, &mut public);
        }
        for (name, v) in members(f.get("variants").unwrap_or(&Value::Null)) {
            public.insert(name.clone());
            strings(v, &mut public);
        }
        for field in ["salt", "bucket_by", "default_variant", "off_variant", "rollout_variant"] {
            public.extend(f.get(field).and_then(Value::as_str).map(str::to_string));
        }
        for field in ["schedule", "split", "prerequisites"] {
            strings(f.get(field).unwrap_or(&Value::Null), &mut public);
        }
    }
    for (name, s) in doc.get("segments").map(members).unwrap_or(&[]) {
        public.insert(name.clone());
        secret.extend(s.get("description").and_then(Value::as_str).map(str::to_string));
        secret.extend(items(s.get("users")).iter().filter_map(id));
        conditions(s.get("conditions"), &mut secret, &mut public);
    }
    strings(doc.get("routes").unwrap_or(&Value::Null), &mut secret);
    secret.extend(doc.get("description").and_then(Value::as_str).map(str::to_string));
    // Field names and operator names are public anyway.
    for (_, body) in members(doc.get("flags").unwrap()).iter().chain(doc.get("segments").map(members).unwrap_or(&[])) {
        field_names(body, &mut public);
    }
    for s in ["on", "off", "in", "not_in", "users"] {
        public.insert(s.to_string());
    }
    let secret = secret.difference(&public).cloned().collect();
    (secret, public)
}

/// No secret of `doc` is a string of its view, nor (when long enough to be
/// distinctive) inside one.
fn assert_no_secret(what: &str, doc: &Value) -> usize {
    let (secrets, public) = secrets_and_public(doc);
    let view = client_view(doc, SALT).unwrap();
    let mut found = BTreeSet::new();
    strings(&view, &mut found);
    let text = view.to_json();
    for s in &secrets {
        assert!(!found.contains(s), "{what}: the view holds {s:?}");
        let distinctive = s.chars().count() >= 6 && !public.iter().any(|p| p.contains(s.as_str()));
        assert!(!distinctive || !text.contains(s.as_str()), "{what}: the view's text contains {s:?}");
    }
    secrets.len()
}

#[test]
fn the_view_holds_no_raw_ids_sensitive_values_or_internals() {
    let example = Value::parse(EXAMPLE).unwrap();
    assert!(assert_no_secret("examples/ruleset.json", &example) > 20);
    let text = client_view(&example, SALT).unwrap().to_json();
    for s in [
        "user:1",
        "user:42",
        "user-7",
        "qa-1",
        "user:9",
        "company.com",
        "127.0.0.1",
        "payments-team",
        "ml-platform",
        "routes",
        "Release flag",
    ] {
        assert!(!text.contains(s), "the example's view contains {s:?}:\n{text}");
    }
    let mut files = 0;
    for path in vector_files() {
        let doc = Value::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let rs = doc.get("ruleset").unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_no_secret(&name, rs);
        assert_no_secret(&format!("{name} (all sensitive)"), &all_sensitive(rs));
        files += 1;
    }
    assert!(files >= 11);
}

#[test]
fn a_view_of_the_design_notes_kind() {
    let doc = Value::parse(
        r#"{
        "$schema": "../schema/ruleset.schema.json", "version": 12, "description": "internal: see wiki.corp",
        "sensitive": ["email", "ip"],
        "segments": {
            "staff": {"description": "employees", "users": ["emp:1"], "conditions": [{"attribute": "email", "op": "in", "values": ["ann@corp.example", "bob@corp.example"]}]},
            "internal_net": {"conditions": [{"attribute": "ip", "op": "starts_with", "value": "10.1."}]}
        },
        "flags": {
            "beta": {"owner": "team-a", "tags": ["release"], "expires": "2030-01-01", "users": ["user:secret-1", 42],
                     "targets": [{"variant": "off", "users": ["user:banned"]}],
                     "rules": [{"id": "staff", "description": "staff first", "conditions": [{"op": "in_segment", "value": "staff"}], "variant": "on"},
                               {"id": "not-ann", "conditions": [{"attribute": "email", "op": "neq", "value": "ann@corp.example"}, {"attribute": "plan", "op": "eq", "value": "pro"}], "variant": "on"}]},
            "list": ["user:secret-2"],
            "ops_kill_secret": {"client": false, "rules": [{"conditions": [{"op": "in_segment", "value": "internal_net"}], "variant": "on"}]},
            "uses_ids": {"rules": [{"conditions": [{"attribute": "user_id", "op": "in", "values": ["user:secret-3"]}], "variant": "on"}]}
        },
        "routes": [{"id": "r", "path": "/api/*", "flag": "beta", "upstreams": {"on": "http://orders.internal:9002", "off": "http://orders-v1.internal"}}]
    }"#,
    )
    .unwrap();
    let view = client_view(&doc, SALT).unwrap();
    let text = view.to_json();
    for s in [
        "wiki.corp",
        "corp.example",
        "emp:1",
        "employees",
        "10.1.",
        "internal_net",
        "team-a",
        "release",
        "2030",
        "user:secret",
        "user:banned",
        "staff first",
        "ops_kill_secret",
        "orders",
        "$schema",
        "sensitive",
        "description",
    ] {
        assert!(!text.contains(s), "{s:?} in {text}");
    }
    assert!(!text.contains("42,") && !text.contains("[42"), "{text}");
    let keys: Vec<&str> = members(&view).iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["schema", "version", "hash_salt", "segments", "flags"]);
    assert_eq!(view.get("hash_salt").and_then(Value::as_str), Some(SALT));
    let flags: Vec<&str> = members(view.get("flags").unwrap()).iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(flags, ["beta", "list", "uses_ids"]);
    let segments: Vec<&str> = members(view.get("segments").unwrap()).iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(segments, ["staff"]);
    // neq became not_in of a hashed list; the plan condition is as written.
    let rule = &items(view.get("flags").unwrap().get("beta").unwrap().get("rules"))[1];
    assert_eq!(rule.get("id").and_then(Value::as_str), Some("not-ann"));
    assert!(rule.get("description").is_none());
    let conds = items(rule.get("conditions"));
    assert_eq!(conds[0].get("op").and_then(Value::as_str), Some("not_in"));
    assert_eq!(items(conds[0].get("values").unwrap().get("sha256")).len(), 1);
    assert_eq!(conds[1].to_json(), r#"{"attribute":"plan","op":"eq","value":"pro"}"#);

    // The same answers.
    let (full, client) = (Ruleset::from_value(&doc).unwrap(), Ruleset::from_value(&view).unwrap());
    assert_eq!(client.version(), 12);
    let contexts = [
        r#"{"user_id": "user:secret-1"}"#,
        r#"{"user_id": 42}"#,
        r#"{"user_id": "42"}"#,
        r#"{"user_id": "42.0"}"#,
        r#"{"user_id": "user:banned"}"#,
        r#"{"user_id": "emp:1"}"#,
        r#"{"email": "bob@corp.example"}"#,
        r#"{"email": ["x@y.z", "ann@corp.example"]}"#,
        r#"{"email": "ann@corp.example", "plan": "pro"}"#,
        r#"{"email": "carl@corp.example", "plan": "pro"}"#,
        r#"{"email": null, "plan": "pro"}"#,
        r#"{"user_id": "user:secret-2"}"#,
        r#"{"user_id": "user:secret-3"}"#,
        r#"{"user_id": "user:other", "ip": "10.1.2.3"}"#,
    ];
    for c in contexts {
        let ctx = Context::from_value(Value::parse(c).unwrap()).unwrap();
        for key in ["beta", "list", "uses_ids"] {
            assert_eq!(
                client.evaluate(key, &ctx, 0, &Value::Null),
                full.evaluate(key, &ctx, 0, &Value::Null),
                "{key} {c}"
            );
        }
        assert_eq!(
            client.evaluate("ops_kill_secret", &ctx, 0, &Value::Null).error_code.map(|e| e.as_str()),
            Some("FLAG_NOT_FOUND")
        );
    }
}

#[test]
fn views_are_deterministic_idempotent_and_checked() {
    let doc = Value::parse(EXAMPLE).unwrap();
    let a = client_view(&doc, SALT).unwrap();
    assert_eq!(a, client_view(&doc, SALT).unwrap());
    assert_ne!(a, client_view(&doc, "another salt").unwrap(), "the salt changes every digest");
    // A view's view is itself: it has a hash_salt, which wins over the argument.
    assert_eq!(client_view(&a, "another salt").unwrap(), a);
    let invalid = Value::parse(r#"{"flags": {"f": {"percentage": 101}}}"#).unwrap();
    let e = client_view(&invalid, SALT).unwrap_err();
    assert_eq!(e.problems[0].path, "flags.f.percentage");
    let e = client_view(&doc, &"s".repeat(257)).unwrap_err();
    assert_eq!(e.problems[0].path, "hash_salt");
    // A document's own hash_salt is kept (its hashed lists stay comparable).
    let own = Value::parse(r#"{"hash_salt": "x", "flags": {"f": ["u1"]}}"#).unwrap();
    assert_eq!(client_view(&own, SALT).unwrap().get("hash_salt"), Some(&Value::String("x".into())));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Scalars that collide in interesting ways: numeric text with spaces,
    /// signs, exponents and fractions, `true`/`false` as text, ids as
    /// numbers.
    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            "[ 0-9.eE+-]{0,5}".prop_map(Value::String),
            "(true|false|abc|Ab|é|1e400|inf|NaN|-0|0x1)".prop_map(Value::String),
            (-3i32..12).prop_map(|n| Value::Number(f64::from(n))),
            (-30i32..30).prop_map(|n| Value::Number(f64::from(n) / 4.0)),
            any::<bool>().prop_map(Value::Bool),
        ]
    }

    fn context_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => scalar(),
            1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
            1 => Just(Value::Null),
            1 => Just(Value::Object(vec![])),
        ]
    }

    proptest! {
        /// Any list, any context value: `in`, `not_in`, `eq`, `neq` on a
        /// sensitive attribute and a user list answer the same hashed.
        #[test]
        fn hashed_lists_match_as_plain_ones(
            list in prop::collection::vec(scalar(), 0..6),
            one in scalar(),
            ids in prop::collection::vec(scalar().prop_filter("ids are strings or numbers", |v| !matches!(v, Value::Bool(_))), 0..4),
            a in context_value(),
            user in scalar(),
        ) {
            let list = Value::Array(list).to_json();
            let ids = Value::Array(ids).to_json();
            let one = one.to_json();
            let rule = |id: &str, c: String| format!(r#"{{"id": "{id}", "conditions": [{c}], "variant": "on"}}"#);
            let doc = format!(
                r#"{{"sensitive": ["a"], "flags": {{
                    "in": {{"rules": [{}]}}, "not_in": {{"rules": [{}]}},
                    "eq": {{"rules": [{}]}}, "neq": {{"rules": [{}]}},
                    "users": {{"users": {ids}, "targets": [{{"variant": "off", "users": {ids}}}]}}
                }}}}"#,
                rule("r", format!(r#"{{"attribute": "a", "op": "in", "values": {list}}}"#)),
                rule("r", format!(r#"{{"attribute": "a", "op": "not_in", "values": {list}}}"#)),
                rule("r", format!(r#"{{"attribute": "a", "op": "eq", "value": {one}}}"#)),
                rule("r", format!(r#"{{"attribute": "a", "op": "neq", "value": {one}}}"#)),
            );
            let doc = Value::parse(&doc).unwrap();
            let full = Ruleset::from_value(&doc).unwrap();
            let client = Ruleset::from_value(&client_view(&doc, SALT).unwrap()).unwrap();
            let mut ctx = Context::new();
            ctx.set("a", a);
            ctx.set("user_id", user);
            for key in ["in", "not_in", "eq", "neq", "users"] {
                prop_assert_eq!(client.evaluate(key, &ctx, 0, &Value::Null), full.evaluate(key, &ctx, 0, &Value::Null), "{}", key);
            }
        }
    }
}
