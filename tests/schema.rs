//! The JSON Schema (`schema/ruleset.schema.json`) against the engine: both
//! judge the same documents, through Python's `jsonschema` (2020-12, the
//! schema itself meta-validated first) and `Ruleset::from_json`.
//!
//! - the example ruleset and the seeds' shapes are valid for both;
//! - hand-written cases are valid for both, invalid for both, or invalid
//!   only for the engine when the reason is one JSON Schema cannot express
//!   (names referring to variants/flags/segments, weights adding up to 100,
//!   unique rule ids, prerequisite cycles);
//! - every node of the example, replaced by values of other types or
//!   removed, gives documents on which both agree: what the engine loads the
//!   schema accepts, and what the engine rejects for an expressible reason
//!   the schema rejects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use edgeflags::{Ruleset, Value};

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/ruleset.schema.json");
const VALIDATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schema/validate.py");
const EXAMPLE: &str = include_str!("../examples/ruleset.json");

/// The schema's verdict on each document: `None` valid, `Some(error)` not.
fn schema_verdicts(docs: &[String]) -> Vec<Option<String>> {
    let mut child = Command::new("python3")
        .args([VALIDATE, SCHEMA])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (scripts/setup.sh installs it and jsonschema)");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = docs.iter().map(|d| d.replace('\n', " ") + "\n").collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "validate.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<Option<String>> =
        text.lines().map(|l| if l == "ok" { None } else { Some(l.trim_start_matches("error ").to_string()) }).collect();
    assert_eq!(verdicts.len(), docs.len());
    verdicts
}

fn engine_problems(doc: &str) -> Vec<String> {
    match Ruleset::from_json(doc) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

/// Engine problems that JSON Schema cannot express (cross-references and
/// arithmetic over several values). A document rejected only for these may
/// pass the schema; any other problem must be caught by the schema too.
const ENGINE_ONLY: &[&str] = &[
    "unknown variant",
    "has no variant",
    "unknown flag",
    "unknown segment",
    "split weights add up to",
    "is already used by rules",
    "prerequisite cycle",
    "prerequisite chain of depth",
    "a flag cannot be its own prerequisite",
    "no upstream for variant",
    // The client view: which flags are server-only, which attributes are
    // sensitive, whether the document has a hash_salt.
    "so a client flag cannot depend on it",
    "is sensitive and the client view hashes only",
    "the segment tests a sensitive attribute",
    "a hashed list needs the ruleset's hash_salt",
    // A routed flag's variant names (the schema cannot follow `flag`).
    "cannot be a header value",
    // What percent-escapes decode to, address ranges, name lengths in total.
    "percent-encode",
    "percent-decode",
    "invalid IPv6",
    "invalid IPv4",
    "invalid host name",
    "invalid port",
    ". or .. segment in its path",
    // An experiment names the flag's split, its variants and rules.
    "an experiment needs a random assignment",
    "is not a variant the split assigns",
    "no rule has id",
    "is already a metric of this experiment",
    // A rollout's steps in order, and the flag's percentage among them.
    "steps must increase",
    "is not 0 or a step",
];

fn engine_only(problem: &str) -> bool {
    ENGINE_ONLY.iter().any(|p| problem.contains(p))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Valid,
    Invalid,
    /// Invalid, for a reason only the engine can check.
    EngineOnly,
}

fn check_cases(cases: &[(&str, Expect, String)]) {
    let docs: Vec<String> = cases.iter().map(|c| c.2.clone()).collect();
    let verdicts = schema_verdicts(&docs);
    for ((name, expect, doc), schema) in cases.iter().zip(verdicts) {
        let engine = engine_problems(doc);
        match expect {
            Expect::Valid => {
                assert!(engine.is_empty(), "{name}: the engine rejects it: {engine:?}");
                assert_eq!(schema, None, "{name}: the schema rejects it");
            }
            Expect::Invalid => {
                assert!(!engine.is_empty(), "{name}: the engine accepts it");
                assert!(schema.is_some(), "{name}: the schema accepts it (engine: {engine:?})");
            }
            Expect::EngineOnly => {
                assert!(!engine.is_empty(), "{name}: the engine accepts it");
                assert!(engine.iter().all(|p| engine_only(p)), "{name}: {engine:?}");
                assert_eq!(schema, None, "{name}: expected the schema to accept it");
            }
        }
    }
}

#[test]
fn the_example_and_the_seed_shapes_are_valid_for_both() {
    let seeds = r#"{"flags": {
        "new_search": {"percentage": 20}, "dark_mode": {"users": ["user:1", "user:42"]},
        "maintenance": false, "new_dashboard": true, "bare_list": ["user:1", 42], "bare_number": 25,
        "combo": {"users": ["a"], "percentage": 5, "enabled": true},
        "db": {"enabled": false, "allowed_users": [], "rollout_percentage": 15.0}
    }}"#;
    check_cases(&[
        ("examples/ruleset.json", Expect::Valid, EXAMPLE.to_string()),
        ("seed shapes", Expect::Valid, seeds.to_string()),
        ("smallest", Expect::Valid, r#"{"flags": {}}"#.to_string()),
    ]);
}

fn flag(body: &str) -> String {
    format!(r#"{{"flags": {{"f": {body}}}}}"#)
}

/// A digest (64 lowercase hex digits).
const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A ruleset with a valid route, `fields` replacing or adding its members.
fn route_with(fields: &str) -> String {
    let base = [
        ("id", r#""id": "r""#),
        ("path", r#""path": "/api/*""#),
        ("upstreams", r#""upstreams": {"on": "http://a", "off": "http://b"}"#),
    ];
    let key = fields.split('"').nth(1).unwrap();
    let mut members: Vec<&str> = base.iter().filter(|(k, _)| *k != key).map(|(_, v)| *v).collect();
    members.push(fields);
    format!(r#"{{"flags": {{"f": true}}, "routes": [{{"flag": "f", {}}}]}}"#, members.join(", "))
}

/// A flag with a full rollout plan.
const ROLLOUT: &str = r#"{"flags": {"f": {"variants": {"v1": 1, "v2": 2}, "default_variant": "v1", "off_variant": "v1",
    "rollout_variant": "v2", "percentage": 5, "rollout": {"steps": [1, 5, 25, 100], "min_minutes": 10,
    "min_requests": 500, "guards": [{"metric": "error_rate", "max": 0.01}, {"metric": "error_rate", "max_increase": 0.005},
    {"metric": "latency", "percentile": 99, "max_ms": 500}, {"metric": "latency", "percentile": 95, "max_increase_ms": 100},
    {"metric": "custom", "name": "checkout_failed", "max_increase": 0.01, "min_samples": 200}],
    "on_breach": "kill", "alpha": 0.05, "webhook": "https://hooks.example/x", "status": "running",
    "since": "2026-11-30T10:00:00Z"}}}}"#;

/// A flag with a plan whose only guard is `g`.
fn guard(g: &str) -> String {
    flag(&format!(r#"{{"percentage": 0, "rollout": {{"steps": [100], "guards": [{g}]}}}}"#))
}

fn rule(condition: &str) -> String {
    flag(&format!(r#"{{"rules": [{{"conditions": [{condition}], "variant": "on"}}]}}"#))
}

#[test]
fn hand_written_cases_agree() {
    use Expect::*;
    let cases: Vec<(&str, Expect, String)> = vec![
        // Top level.
        ("schema 1", Valid, r#"{"schema": 1, "version": 7, "description": "d", "$schema": "x", "flags": {}}"#.into()),
        ("schema 2", Invalid, r#"{"schema": 2, "flags": {}}"#.into()),
        ("no flags", Invalid, r#"{}"#.into()),
        ("negative version", Invalid, r#"{"version": -1, "flags": {}}"#.into()),
        ("fractional version", Invalid, r#"{"version": 1.5, "flags": {}}"#.into()),
        ("unknown top field", Invalid, r#"{"flags": {}, "flag": {}}"#.into()),
        ("bad flag key", Invalid, r#"{"flags": {"a b": true}}"#.into()),
        ("flag key chars", Valid, r#"{"flags": {"A-z_0.9:x": true}}"#.into()),
        ("long flag key", Invalid, format!(r#"{{"flags": {{"{}": true}}}}"#, "k".repeat(257))),
        // Shorthands.
        ("percentage over 100", Invalid, flag("100.5")),
        ("string flag", Invalid, flag(r#""on""#)),
        ("null user id", Invalid, flag("[null]")),
        // Flag fields.
        ("unknown flag field", Invalid, flag(r#"{"percentge": 5}"#)),
        ("enabled and default_variant", Invalid, flag(r#"{"enabled": true, "default_variant": "on"}"#)),
        ("users and allowed_users", Invalid, flag(r#"{"users": [], "allowed_users": []}"#)),
        ("percentage and rollout_percentage", Invalid, flag(r#"{"percentage": 1, "rollout_percentage": 1}"#)),
        ("percentage and schedule", Invalid, flag(r#"{"percentage": 1, "schedule": {"start": 0, "steps": [[0, 1]]}}"#)),
        ("split and percentage", Invalid, flag(r#"{"percentage": 1, "split": [["on", 50], ["off", 50]]}"#)),
        ("split and rollout_variant", Invalid, flag(r#"{"rollout_variant": "on", "split": [["on", 50], ["off", 50]]}"#)),
        ("rollout_variant alone", Invalid, flag(r#"{"rollout_variant": "on"}"#)),
        ("string type without variants", Invalid, flag(r#"{"type": "string"}"#)),
        ("json type without variants", Valid, flag(r#"{"type": "json"}"#)),
        ("typed variants", Valid, flag(r#"{"type": "number", "variants": {"a": 1, "b": 2.5}, "default_variant": "a"}"#)),
        ("mistyped variant", Invalid, flag(r#"{"type": "number", "variants": {"a": 1, "b": "2"}, "default_variant": "a"}"#)),
        ("null variant of a string flag", Invalid, flag(r#"{"type": "string", "variants": {"a": null}, "default_variant": "a"}"#)),
        ("no off, no default", Invalid, flag(r#"{"variants": {"a": 1}}"#)),
        ("enabled true with on", Valid, flag(r#"{"variants": {"on": "x"}, "enabled": true}"#)),
        ("enabled false without off", Invalid, flag(r#"{"variants": {"on": "x"}, "enabled": false}"#)),
        ("users need on", Invalid, flag(r#"{"variants": {"a": 1, "off": 0}, "users": ["u"]}"#)),
        ("rollout needs on", Invalid, flag(r#"{"variants": {"a": 1, "off": 0}, "percentage": 5}"#)),
        ("rollout_variant names it", Valid, flag(r#"{"variants": {"a": 1, "off": 0}, "percentage": 5, "rollout_variant": "a"}"#)),
        ("rule rollout needs on", Invalid, flag(r#"{"variants": {"a": 1, "off": 0}, "rules": [{"percentage": 5}]}"#)),
        ("empty variants", Invalid, flag(r#"{"variants": {}}"#)),
        ("default_variant of bool flag", Invalid, flag(r#"{"default_variant": "maybe"}"#)),
        ("unknown default_variant", EngineOnly, flag(r#"{"variants": {"a": 1, "b": 2}, "default_variant": "c"}"#)),
        ("empty tag", Valid, flag(r#"{"tags": ["", "ops"]}"#)),
        ("metadata", Valid, flag(r#"{"owner": "o", "description": "d", "created": "2026-01-01", "expires": 1790000000000}"#)),
        ("bad date", Invalid, flag(r#"{"created": "2026-13-01"}"#)),
        ("bad time", Invalid, flag(r#"{"created": "2026-01-01T24:00:00Z"}"#)),
        ("offset time", Valid, flag(r#"{"created": "2026-01-01T23:00:00.123+05:30"}"#)),
        ("time without zone", Invalid, flag(r#"{"created": "2026-01-01T10:00:00"}"#)),
        ("fractional ms", Invalid, flag(r#"{"expires": 1.5}"#)),
        ("empty bucket_by", Invalid, flag(r#"{"bucket_by": "", "percentage": 5}"#)),
        ("salt", Valid, flag(r#"{"salt": "", "bucket_by": "tenant_id", "percentage": 5}"#)),
        // Targets and prerequisites.
        ("targets", Valid, flag(r#"{"targets": [{"variant": "off", "users": ["u", 1]}]}"#)),
        ("target without users", Invalid, flag(r#"{"targets": [{"variant": "off"}]}"#)),
        ("target of unknown variant", Invalid, flag(r#"{"targets": [{"variant": "x", "users": []}]}"#)),
        ("prerequisite", Valid, r#"{"flags": {"a": true, "b": {"prerequisites": [{"flag": "a"}, {"flag": "a", "variants": ["on", "off"]}]}}}"#.into()),
        ("prerequisite variant and variants", Invalid, r#"{"flags": {"a": true, "b": {"prerequisites": [{"flag": "a", "variant": "on", "variants": []}]}}}"#.into()),
        ("prerequisite of unknown flag", EngineOnly, flag(r#"{"prerequisites": [{"flag": "zz"}]}"#)),
        ("prerequisite of unknown variant", EngineOnly, r#"{"flags": {"a": true, "b": {"prerequisites": [{"flag": "a", "variant": "maybe"}]}}}"#.into()),
        ("prerequisite cycle", EngineOnly, r#"{"flags": {"a": {"prerequisites": [{"flag": "b"}]}, "b": {"prerequisites": [{"flag": "a"}]}}}"#.into()),
        // Rules.
        ("rule serving nothing", Invalid, flag(r#"{"rules": [{"id": "r"}]}"#)),
        ("rule split and variant", Invalid, flag(r#"{"rules": [{"variant": "on", "split": [["on", 100]]}]}"#)),
        ("rule percentage and schedule", Invalid, flag(r#"{"rules": [{"percentage": 5, "schedule": {"start": 0, "steps": [[0, 1]]}}]}"#)),
        ("duplicate rule ids", EngineOnly, flag(r#"{"rules": [{"id": "a", "variant": "on"}, {"id": "a", "variant": "off"}]}"#)),
        ("split weights", EngineOnly, flag(r#"{"split": [["on", 50], ["off", 49]]}"#)),
        ("split object entries", Valid, flag(r#"{"split": [{"variant": "on", "weight": 25}, {"variant": "off", "weight": 75}]}"#)),
        ("split entry of three", Invalid, flag(r#"{"split": [["on", 50, 1], ["off", 50]]}"#)),
        ("empty split", Invalid, flag(r#"{"split": []}"#)),
        // Conditions: each operator's value type.
        ("in", Valid, rule(r#"{"attribute": "a", "op": "in", "values": ["x", 1, true]}"#)),
        ("in with value", Invalid, rule(r#"{"attribute": "a", "op": "in", "value": "x"}"#)),
        ("in with null", Invalid, rule(r#"{"attribute": "a", "op": "in", "values": [null]}"#)),
        ("eq", Valid, rule(r#"{"attribute": "a", "op": "eq", "value": 3}"#)),
        ("eq with values", Invalid, rule(r#"{"attribute": "a", "op": "eq", "values": [3]}"#)),
        ("neq with list", Invalid, rule(r#"{"attribute": "a", "op": "neq", "value": [3]}"#)),
        ("glob", Valid, rule(r#"{"attribute": "email", "op": "glob", "value": "*@company.com"}"#)),
        ("contains a number", Invalid, rule(r#"{"attribute": "a", "op": "contains", "value": 3}"#)),
        ("gt", Valid, rule(r#"{"attribute": "a", "op": "gt", "value": -2.5}"#)),
        ("gt a string", Invalid, rule(r#"{"attribute": "a", "op": "gt", "value": "3"}"#)),
        ("semver", Valid, rule(r#"{"attribute": "v", "op": "semver_gte", "value": "v1.2.3-rc.1+build.5"}"#)),
        ("semver two parts", Valid, rule(r#"{"attribute": "v", "op": "semver_lt", "value": "2.0"}"#)),
        ("semver one part", Invalid, rule(r#"{"attribute": "v", "op": "semver_lt", "value": "2"}"#)),
        ("semver empty pre-release", Invalid, rule(r#"{"attribute": "v", "op": "semver_eq", "value": "1.2.3-"}"#)),
        ("semver four parts", Invalid, rule(r#"{"attribute": "v", "op": "semver_eq", "value": "1.2.3.4"}"#)),
        ("before date", Valid, rule(r#"{"attribute": "d", "op": "before", "value": "2025-01-01"}"#)),
        ("after ms", Valid, rule(r#"{"attribute": "d", "op": "after", "value": 0}"#)),
        ("after garbage", Invalid, rule(r#"{"attribute": "d", "op": "after", "value": "soon"}"#)),
        ("unknown op", Invalid, rule(r#"{"attribute": "a", "op": "startswith", "value": "x"}"#)),
        ("no attribute", Invalid, rule(r#"{"op": "eq", "value": "x"}"#)),
        ("no op", Invalid, rule(r#"{"attribute": "a", "value": "x"}"#)),
        ("extra condition field", Invalid, rule(r#"{"attribute": "a", "op": "eq", "value": "x", "negate": true}"#)),
        // Segments.
        ("segment", Valid, r#"{"segments": {"s": {"users": ["u"], "conditions": [{"attribute": "a", "op": "eq", "value": 1}]}}, "flags": {"f": {"rules": [{"conditions": [{"op": "in_segment", "value": "s"}, {"op": "not_in_segment", "values": ["s"]}], "variant": "on"}]}}}"#.into()),
        ("segment op with attribute", Invalid, r#"{"segments": {"s": {}}, "flags": {"f": {"rules": [{"conditions": [{"op": "in_segment", "attribute": "a", "value": "s"}], "variant": "on"}]}}}"#.into()),
        ("segment op with value and values", Invalid, r#"{"segments": {"s": {}}, "flags": {"f": {"rules": [{"conditions": [{"op": "in_segment", "value": "s", "values": ["s"]}], "variant": "on"}]}}}"#.into()),
        ("segment in a segment", Invalid, r#"{"segments": {"s": {}, "t": {"conditions": [{"op": "in_segment", "value": "s"}]}}, "flags": {}}"#.into()),
        ("unknown segment", EngineOnly, rule(r#"{"op": "in_segment", "value": "ghost"}"#)),
        ("unknown segment field", Invalid, r#"{"segments": {"s": {"rules": []}}, "flags": {}}"#.into()),
        // Schedules.
        ("steps", Valid, flag(r#"{"schedule": {"type": "steps", "start": "2026-10-01", "steps": [[0, 1], {"day": 3.5, "percentage": 5}]}}"#)),
        ("steps without type", Valid, flag(r#"{"schedule": {"start": 0, "steps": [[0, 1]]}}"#)),
        ("no type, no steps", Invalid, flag(r#"{"schedule": {"start": 0, "duration_hours": 3}}"#)),
        ("empty steps", Invalid, flag(r#"{"schedule": {"start": 0, "steps": []}}"#)),
        ("step day too late", Invalid, flag(r#"{"schedule": {"start": 0, "steps": [[36501, 1]]}}"#)),
        ("step percentage", Invalid, flag(r#"{"schedule": {"start": 0, "steps": [[1, 101]]}}"#)),
        ("steps with duration", Invalid, flag(r#"{"schedule": {"type": "steps", "start": 0, "steps": [[0, 1]], "duration_hours": 2}}"#)),
        ("linear", Valid, flag(r#"{"schedule": {"type": "linear", "start": 0, "duration_hours": 0.5, "start_percentage": 10, "end_percentage": 20}}"#)),
        ("linear zero hours", Invalid, flag(r#"{"schedule": {"type": "linear", "start": 0, "duration_hours": 0}}"#)),
        ("linear with steepness", Invalid, flag(r#"{"schedule": {"type": "linear", "start": 0, "duration_hours": 1, "steepness": 3}}"#)),
        ("linear without start", Invalid, flag(r#"{"schedule": {"type": "linear", "duration_hours": 1}}"#)),
        ("s_curve", Valid, flag(r#"{"schedule": {"type": "s_curve", "start": "2026-11-20T00:00:00Z", "duration_hours": 72, "steepness": 1000}}"#)),
        ("s_curve steepness", Invalid, flag(r#"{"schedule": {"type": "s_curve", "start": 0, "duration_hours": 72, "steepness": 0}}"#)),
        ("weekly", Invalid, flag(r#"{"schedule": {"type": "weekly", "start": 0}}"#)),
        // Routes.
        ("route", Valid, r#"{"flags": {"f": true}, "routes": [{"id": "r", "path": "/api/*", "flag": "f", "upstreams": {"on": "https://a.example/x", "off": "http://127.0.0.1:1"}}]}"#.into()),
        ("route path", Invalid, r#"{"flags": {"f": true}, "routes": [{"path": "api", "flag": "f", "upstreams": {"on": "http://a", "off": "http://b"}}]}"#.into()),
        ("route query", Invalid, r#"{"flags": {"f": true}, "routes": [{"path": "/a", "flag": "f", "upstreams": {"on": "http://a?x=1", "off": "http://b"}}]}"#.into()),
        ("route without flag", Invalid, r#"{"flags": {"f": true}, "routes": [{"path": "/a", "upstreams": {}}]}"#.into()),
        ("route missing upstream", EngineOnly, r#"{"flags": {"f": true}, "routes": [{"path": "/a", "flag": "f", "upstreams": {"on": "http://a"}}]}"#.into()),
        ("route of unknown flag", EngineOnly, r#"{"flags": {}, "routes": [{"path": "/a", "flag": "f", "upstreams": {}}]}"#.into()),
        ("route patterns", Valid, route_with(r#""path": "/api/*/items/**""#)),
        ("route glued star", Valid, route_with(r#""path": "/api/orders*""#)),
        ("route root", Valid, route_with(r#""path": "/""#)),
        ("route star in a segment", Invalid, route_with(r#""path": "/api/or*ders""#)),
        ("route double star inside", Invalid, route_with(r#""path": "/**/x""#)),
        ("route empty segment", Invalid, route_with(r#""path": "/api//x""#)),
        ("route trailing slash", Invalid, route_with(r#""path": "/api/""#)),
        ("route dot segment", Invalid, route_with(r#""path": "/api/../x""#)),
        ("route bad escape", Invalid, route_with(r#""path": "/a%zz""#)),
        ("route encoded slash", EngineOnly, route_with(r#""path": "/a%2Fb""#)),
        ("route encoded dots", EngineOnly, route_with(r#""path": "/a/%2e%2E""#)),
        ("route id with a space", Valid, route_with(r#""id": "orders canary""#)),
        ("route id with a newline", Invalid, route_with(r#""id": "orders\ncanary""#)),
        ("route id with a leading space", Invalid, route_with(r#""id": " orders""#)),
        ("route id non-ASCII", Invalid, route_with(r#""id": "caf\u00e9""#)),
        ("upstream with a space", Invalid, route_with(r#""upstreams": {"on": "http://exa mple", "off": "http://b"}"#)),
        ("upstream with userinfo", Invalid, route_with(r#""upstreams": {"on": "http://u:p@a", "off": "http://b"}"#)),
        ("upstream with a bad port", Invalid, route_with(r#""upstreams": {"on": "http://a:0", "off": "http://b"}"#)),
        ("upstream with a port too high", EngineOnly, route_with(r#""upstreams": {"on": "http://a:65536", "off": "http://b"}"#)),
        ("upstream ipv6", Valid, route_with(r#""upstreams": {"on": "http://[::1]:8080/x/", "off": "HTTPS://B.example"}"#)),
        ("upstream bad ipv6", EngineOnly, route_with(r#""upstreams": {"on": "http://[1::2::3]", "off": "http://b"}"#)),
        ("upstream bad ipv4", EngineOnly, route_with(r#""upstreams": {"on": "http://300.1.1.1", "off": "http://b"}"#)),
        ("upstream dot segment", Invalid, route_with(r#""upstreams": {"on": "http://a/x/../y", "off": "http://b"}"#)),
        ("routed variant name", EngineOnly, r#"{"flags": {"f": {"variants": {"a b ": 1}, "default_variant": "a b "}}, "routes": [{"path": "/a", "flag": "f", "upstreams": {"a b ": "http://a"}}]}"#.into()),
        // The client view.
        ("server-only flag", Valid, flag(r#"{"client": false, "owner": "sre"}"#)),
        ("client not a boolean", Invalid, flag(r#"{"client": "no"}"#)),
        ("client flag needs client prerequisites", EngineOnly, r#"{"flags": {"a": {"client": false}, "b": {"prerequisites": [{"flag": "a"}]}}}"#.into()),
        ("sensitive", Valid, r#"{"sensitive": ["email", "ip"], "flags": {"f": {"rules": [{"conditions": [{"attribute": "email", "op": "in", "values": ["a@b.c"]}], "variant": "on"}]}}}"#.into()),
        ("sensitive not names", Invalid, r#"{"sensitive": ["email", ""], "flags": {}}"#.into()),
        ("sensitive with ends_with", EngineOnly, r#"{"sensitive": ["email"], "flags": {"f": {"rules": [{"conditions": [{"attribute": "email", "op": "ends_with", "value": "@b.c"}], "variant": "on"}]}}}"#.into()),
        ("hashed users", Valid, format!(r#"{{"hash_salt": "s", "flags": {{"f": {{"users": {{"sha256": ["{HEX}"]}}, "targets": [{{"variant": "off", "users": {{"sha256": []}}}}]}}}}}}"#)),
        ("hashed segment users", Valid, format!(r#"{{"hash_salt": "s", "segments": {{"s": {{"users": {{"sha256": ["{HEX}"]}}}}}}, "flags": {{}}}}"#)),
        ("hashed in", Valid, format!(r#"{{"hash_salt": "", "flags": {{"f": {{"rules": [{{"conditions": [{{"attribute": "a", "op": "not_in", "values": {{"sha256": ["{HEX}"]}}}}], "variant": "on"}}]}}}}}}"#)),
        ("hashed eq", Invalid, format!(r#"{{"hash_salt": "s", "flags": {{"f": {{"rules": [{{"conditions": [{{"attribute": "a", "op": "eq", "value": {{"sha256": ["{HEX}"]}}}}], "variant": "on"}}]}}}}}}"#)),
        ("hashed upper case", Invalid, format!(r#"{{"hash_salt": "s", "flags": {{"f": {{"users": {{"sha256": ["{}"]}}}}}}}}"#, HEX.to_uppercase())),
        ("hashed short", Invalid, r#"{"hash_salt": "s", "flags": {"f": {"users": {"sha256": ["abc"]}}}}"#.into()),
        ("hashed other field", Invalid, r#"{"hash_salt": "s", "flags": {"f": {"users": {"sha256": [], "md5": []}}}}"#.into()),
        ("hashed without salt", EngineOnly, format!(r#"{{"flags": {{"f": {{"users": {{"sha256": ["{HEX}"]}}}}}}}}"#)),
        ("salt not a string", Invalid, r#"{"hash_salt": 1, "flags": {}}"#.into()),
        // Rollout plans.
        ("rollout", Valid, ROLLOUT.into()),
        ("rollout defaults", Valid, flag(r#"{"percentage": 0, "rollout": {"steps": [100]}}"#)),
        ("rollout nulls", Valid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "guards": null, "since": null}}"#)),
        ("rollout of rollout_percentage", Valid, flag(r#"{"rollout_percentage": 100, "rollout": {"steps": [100]}}"#)),
        ("rollout without steps", Invalid, flag(r#"{"percentage": 0, "rollout": {}}"#)),
        ("rollout without percentage", Invalid, flag(r#"{"rollout": {"steps": [100]}}"#)),
        ("rollout with null percentage", Invalid, flag(r#"{"percentage": null, "rollout": {"steps": [100]}}"#)),
        ("rollout of a schedule", Invalid, flag(r#"{"schedule": {"start": 0, "steps": [[0, 1]]}, "rollout": {"steps": [100]}}"#)),
        ("rollout of a split", Invalid, flag(r#"{"split": [["on", 50], ["off", 50]], "rollout": {"steps": [100]}}"#)),
        ("rollout percentage not a step", EngineOnly, flag(r#"{"percentage": 7, "rollout": {"steps": [5, 100]}}"#)),
        ("rollout steps decreasing", EngineOnly, flag(r#"{"percentage": 0, "rollout": {"steps": [50, 5, 100]}}"#)),
        ("rollout last step", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [5, 50]}}"#)),
        ("rollout step 0", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [0, 100]}}"#)),
        ("rollout fractional minutes", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "min_minutes": 1.5}}"#)),
        ("rollout alpha 1", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "alpha": 1}}"#)),
        ("rollout on_breach", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "on_breach": "stop"}}"#)),
        ("rollout status", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "status": "stopped"}}"#)),
        ("rollout since", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "since": "soon"}}"#)),
        ("rollout http webhook", Invalid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "webhook": "http://a.example"}}"#)),
        ("rollout local webhook", Valid, flag(r#"{"percentage": 0, "rollout": {"steps": [100], "webhook": "http://127.0.0.1:9/x"}}"#)),
        ("guard both limits", Invalid, guard(r#"{"metric": "error_rate", "max": 0.1, "max_increase": 0.1}"#)),
        ("guard no limit", Invalid, guard(r#"{"metric": "error_rate"}"#)),
        ("guard max 1", Invalid, guard(r#"{"metric": "error_rate", "max": 1}"#)),
        ("guard latency field on error_rate", Invalid, guard(r#"{"metric": "error_rate", "max": 0.1, "percentile": 99}"#)),
        ("guard max_ms not a bound", Invalid, guard(r#"{"metric": "latency", "percentile": 99, "max_ms": 450}"#)),
        ("guard percentile", Invalid, guard(r#"{"metric": "latency", "percentile": 98, "max_ms": 500}"#)),
        ("guard no percentile", Invalid, guard(r#"{"metric": "latency", "max_ms": 500}"#)),
        ("guard increase ms", Valid, guard(r#"{"metric": "latency", "percentile": 99.9, "max_increase_ms": 60000}"#)),
        ("guard increase ms 0", Invalid, guard(r#"{"metric": "latency", "percentile": 50, "max_increase_ms": 0}"#)),
        ("guard metric", Invalid, guard(r#"{"metric": "cpu", "max": 0.5}"#)),
        (
            "rule rollout",
            Valid,
            flag(r#"{"rules": [{"conditions": [], "variant": "on", "percentage": 10, "rollout": {"steps": [10, 100]}}]}"#),
        ),
        (
            "rule rollout on a split",
            Invalid,
            flag(r#"{"rules": [{"conditions": [], "split": [["on", 50], ["off", 50]], "rollout": {"steps": [100]}}]}"#),
        ),
        ("guard custom", Valid, guard(r#"{"metric": "custom", "name": "cart", "min": -2.5}"#)),
        ("guard custom decrease", Valid, guard(r#"{"metric": "custom", "name": "cart", "max_decrease": 2}"#)),
        ("guard custom no name", Invalid, guard(r#"{"metric": "custom", "max": 1}"#)),
        ("guard custom empty name", Invalid, guard(r#"{"metric": "custom", "name": "", "max": 1}"#)),
        ("guard custom two bounds", Invalid, guard(r#"{"metric": "custom", "name": "c", "max": 1, "min": 0}"#)),
        ("guard custom no bound", Invalid, guard(r#"{"metric": "custom", "name": "c"}"#)),
        ("guard custom samples", Invalid, guard(r#"{"metric": "custom", "name": "c", "max": 1, "min_samples": 1}"#)),
        ("guard custom increase 0", Invalid, guard(r#"{"metric": "custom", "name": "c", "max_increase": 0}"#)),
        ("guard custom percentile", Invalid, guard(r#"{"metric": "custom", "name": "c", "max": 1, "percentile": 99}"#)),
    ];
    check_cases(&cases);
}

// ------------------------------------------------- mutation agreement

/// Small documents, one per part of the example: each flag alone (with the
/// segments, and the flags it needs), the segments, the routes.
fn units() -> Vec<Value> {
    let doc = Value::parse(EXAMPLE).unwrap();
    let Some(Value::Object(flags)) = doc.get("flags") else { panic!() };
    let segments = doc.get("segments").unwrap().clone();
    let get = |k: &str| flags.iter().find(|(n, _)| n == k).unwrap().clone();
    let mut out = Vec::new();
    for (key, f) in flags {
        let mut members = vec![(key.clone(), f.clone())];
        if key == "checkout_experiment" {
            members.push(get("new_checkout"));
        }
        // Segments only where a rule names them: validating them costs time.
        let mut top = vec![("flags".to_string(), Value::Object(members.clone()))];
        if members.iter().any(|(_, f)| f.to_json().contains("_segment")) {
            top.insert(0, ("segments".into(), segments.clone()));
        }
        out.push(Value::Object(top));
    }
    out.push(Value::Object(vec![
        ("schema".into(), Value::Number(1.0)),
        ("version".into(), Value::Number(1.0)),
        ("segments".into(), segments),
        ("flags".into(), Value::Object(vec![get("beta_features"), get("new_checkout")])),
    ]));
    out.push(Value::Object(vec![
        ("flags".into(), Value::Object(vec![get("order_service_v2")])),
        ("routes".into(), doc.get("routes").unwrap().clone()),
    ]));
    // Not in the example (the Worker's tests would run its plan).
    out.push(Value::parse(ROLLOUT).unwrap());
    out
}

/// Paths (child indices) of every node under `v` (the first two entries of lists).
fn paths(v: &Value, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    let children: Vec<&Value> = match v {
        // Later list entries repeat the first ones' shape (users, steps, values).
        Value::Array(items) => items.iter().take(2).collect(),
        Value::Object(m) => m.iter().map(|(_, v)| v).collect(),
        _ => return,
    };
    for (i, c) in children.into_iter().enumerate() {
        here.push(i);
        paths(c, here, out);
        here.pop();
    }
}

fn at<'v>(v: &'v mut Value, path: &[usize]) -> &'v mut Value {
    path.iter().fold(v, |v, &i| match v {
        Value::Array(items) => &mut items[i],
        Value::Object(m) => &mut m[i].1,
        _ => unreachable!(),
    })
}

#[test]
fn mutations_of_the_example_agree() {
    let replacements = [
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Number(0.0),
        Value::Number(-1.0),
        Value::Number(50.0),
        Value::Number(101.0),
        Value::Number(1.5),
        Value::String(String::new()),
        Value::String("x".into()),
        Value::String("on".into()),
        Value::String("2026-01-01".into()),
        Value::Array(vec![]),
        Value::Object(vec![]),
    ];
    let mut docs = Vec::new();
    let mut what = Vec::new();
    for (u, unit) in units().into_iter().enumerate() {
        let mut all = Vec::new();
        paths(&unit, &mut Vec::new(), &mut all);
        for (n, path) in all.iter().enumerate().skip(1) {
            // Two replacements per node, rotating through the list, so every
            // kind of value lands on every kind of field across the nodes.
            for k in 0..2 {
                let r = &replacements[(n * 2 + k + u) % replacements.len()];
                let mut d = unit.clone();
                *at(&mut d, path) = r.clone();
                docs.push(d.to_json());
                what.push(format!("unit {u}, node {path:?} := {r}"));
            }
            // Remove the node (from its object or array), or add an unknown member to it.
            let mut d = unit.clone();
            let (last, parent) = path.split_last().unwrap();
            match at(&mut d, parent) {
                Value::Object(m) => {
                    m.remove(*last);
                }
                Value::Array(items) => {
                    items.remove(*last);
                }
                _ => unreachable!(),
            }
            docs.push(d.to_json());
            what.push(format!("unit {u}, node {path:?} removed"));
            let mut d = unit.clone();
            if let Value::Object(m) = at(&mut d, path) {
                m.push(("zz".into(), Value::Number(1.0)));
                docs.push(d.to_json());
                what.push(format!("unit {u}, node {path:?} + zz"));
            }
        }
    }
    assert!(docs.len() > 1_000, "{}", docs.len());
    let verdicts = schema_verdicts(&docs);
    let (mut both_ok, mut both_bad, mut engine_only_bad) = (0, 0, 0);
    for ((doc, what), schema) in docs.iter().zip(&what).zip(verdicts) {
        let engine = engine_problems(doc);
        match (engine.is_empty(), schema) {
            (true, None) => both_ok += 1,
            (true, Some(err)) => panic!("{what}: the engine loads it but the schema says {err}\n{doc}"),
            (false, Some(_)) => both_bad += 1,
            (false, None) => {
                assert!(
                    engine.iter().all(|p| engine_only(p)),
                    "{what}: the schema accepts it but the engine says {engine:?}\n{doc}"
                );
                engine_only_bad += 1;
            }
        }
    }
    // Both outcomes are well represented.
    assert!(both_ok > 100 && both_bad > 500, "ok {both_ok}, rejected {both_bad}, engine-only {engine_only_bad}");
    eprintln!("STATS {} docs: ok {both_ok}, rejected {both_bad}, engine-only {engine_only_bad}", docs.len());
}
