//! Loading errors: every problem listed with its JSON path, and every limit
//! of `src/limits.rs` at its edge (just under loads, just over is rejected
//! with a message naming the limit, never a crash), plus huge and deeply
//! nested documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use edgeflags::limits::*;
use edgeflags::{Context, LoadError, Ruleset, Value};

fn problems(json: &str) -> Vec<String> {
    match Ruleset::from_json(json) {
        Ok(_) => panic!("loaded, but should not have:\n{json}"),
        Err(e) => {
            assert!(!e.problems.is_empty());
            e.problems.iter().map(ToString::to_string).collect()
        }
    }
}

fn one_problem(json: &str) -> String {
    let p = problems(json);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

fn loads(json: &str) -> Ruleset {
    Ruleset::from_json(json).unwrap_or_else(|e| panic!("{e}"))
}

/// A ruleset with one flag whose body is `body`.
fn flag(body: &str) -> String {
    format!(r#"{{"flags": {{"f": {body}}}}}"#)
}

#[test]
fn the_issue_example_path() {
    let doc = r#"{"flags": {"new_search": {"rules": [
        {"id": "a", "variant": "on"},
        {"id": "b", "variant": "on"},
        {"id": "c", "conditions": [{"attribute": "email", "op": "startswith", "value": "x"}], "variant": "on"}
    ]}}}"#;
    assert_eq!(
        one_problem(doc),
        r#"flags.new_search.rules[2].conditions[0].op: unknown operator "startswith" (did you mean "starts_with"?)"#
    );
    let e: LoadError = Ruleset::from_json(doc).unwrap_err();
    assert_eq!(e.problems[0].path, "flags.new_search.rules[2].conditions[0].op");
    assert_eq!(LoadError::CODE, "INVALID_RULESET");
    assert!(e.to_string().starts_with("invalid ruleset (1 problem):"));
}

#[test]
fn every_problem_is_listed_in_document_order() {
    let doc = r#"{
        "schema": 2,
        "version": -1,
        "colour": "blue",
        "segments": {"s": {"users": "u1", "conditions": [{"attribute": "a", "op": "in_segment", "value": "s"}]}},
        "flags": {
            "bad key!": true,
            "a": {"percentage": 120, "enabled": "yes"},
            "b": {"variants": {"x": 1, "y": "two"}, "type": "number", "default_variant": "z"},
            "c": {"rules": [{"id": "r", "conditions": [{"attribute": "n", "op": "gt", "value": "ten"}]}, {"id": "r", "variant": "on"}]},
            "d": {"variants": {"p": 1, "q": 2}, "default_variant": "p", "split": [["p", 30], ["q", 30]]},
            "e": {"schedule": {"type": "weekly", "start": "2026-01-01"}},
            "g": {"prerequisites": [{"flag": "nope"}, {"flag": "a", "variant": "maybe"}]},
            "h": {"users": ["u"], "allowed_users": ["v"], "percentage": 5, "rollout_percentage": 5}
        },
        "routes": [{"path": "api", "flag": "zzz", "upstreams": {}}]
    }"#;
    let got = problems(doc);
    let want = [
        "schema: unsupported schema 2; this engine reads schema 1",
        "version: version must be a whole number from 0 to 2^53-1, not -1",
        "colour: unknown field \"colour\" in a ruleset",
        "flags[\"bad key!\"]: a flag key must be 1 to 256 characters of A-Z a-z 0-9 _ - . : (it appears in URLs and headers)",
        "segments.s.users: expected a list, not string",
        "segments.s.conditions[0].attribute: in_segment takes no attribute (it names segments in value/values)",
        "flags.a.enabled: expected true or false, not string",
        "flags.a.percentage: percentage 120 is outside 0..100",
        "flags.b.variants.y: value \"two\" is not of the flag's type number",
        "flags.b.default_variant: unknown variant \"z\" (the flag's variants: x, y)",
        "flags.c.rules[0].conditions[0].value: expected a number, not string",
        "flags.c.rules[1].id: rule id \"r\" is already used by rules[0]",
        "flags.d.split: split weights add up to 60; they must add up to 100",
        "flags.e.schedule.type: unknown schedule type \"weekly\": use \"steps\", \"linear\" or \"s_curve\"",
        "flags.g.prerequisites[0].flag: unknown flag \"nope\"",
        "flags.h.allowed_users: users and allowed_users are the same list; keep one",
        "flags.h.rollout_percentage: percentage and rollout_percentage are the same setting; keep one",
        "routes[0].path: a route path must start with /",
        "routes[0].flag: unknown flag \"zzz\"",
        "flags.g.prerequisites[1].variant: flag \"a\" has no variant \"maybe\"",
    ];
    for w in want {
        assert!(got.iter().any(|g| g == w), "missing problem:\n  {w}\nall problems:\n  {}", got.join("\n  "));
    }
    // Document order within each pass: the flag problems keep their flags' order.
    let pos = |needle: &str| got.iter().position(|g| g.starts_with(needle)).unwrap();
    assert!(
        pos("flags.a.") < pos("flags.b.") && pos("flags.b.") < pos("flags.c.") && pos("flags.c.") < pos("flags.h.")
    );
}

#[test]
fn shapes_and_types() {
    assert_eq!(one_problem("[]"), "a ruleset must be an object, not array");
    assert_eq!(one_problem("{}"), "flags: a ruleset needs a \"flags\" object (it may be empty)");
    assert_eq!(one_problem(r#"{"flags": []}"#), "flags: flags must be an object of flag key to flag, not array");
    assert_eq!(
        one_problem(&flag(r#""on""#)),
        "flags.f: a flag (or true/false, a percentage, a list of user ids) must be an object, not string"
    );
    assert_eq!(
        one_problem(&flag("null")),
        "flags.f: a flag (or true/false, a percentage, a list of user ids) must be an object, not null"
    );
    assert_eq!(one_problem(&flag("150")), "flags.f.percentage: percentage 150 is outside 0..100");
    assert_eq!(one_problem(&flag("[1, null]")), "flags.f.users[1]: a user id must be a string or a number, not null");
    assert_eq!(one_problem(&flag(r#"{"percentage": -0.5}"#)), "flags.f.percentage: percentage -0.5 is outside 0..100");
    assert_eq!(
        one_problem(&flag(r#"{"variants": {"a b": 1}, "default_variant": "a b", "type": "string"}"#)),
        r#"flags.f.variants["a b"]: value 1 is not of the flag's type string"#
    );
    assert_eq!(
        one_problem(&flag(r#"{"variants": {"x": 1}}"#)),
        r#"flags.f: default_variant is required (the flag has no variant named "off")"#
    );
    assert_eq!(one_problem(&flag(r#"{"variants": {}}"#)), "flags.f.variants: a flag needs at least one variant");
    assert_eq!(
        one_problem(&flag(r#"{"enabled": true, "default_variant": "on"}"#)),
        "flags.f.enabled: set either enabled (for on/off flags) or default_variant, not both"
    );
    assert_eq!(
        one_problem(&flag(r#"{"rules": [{"id": "r", "conditions": []}]}"#)),
        "flags.f.rules[0]: a rule must serve something: variant, percentage, schedule or split"
    );
    assert_eq!(
        one_problem(&flag(
            r#"{"rules": [{"conditions": [{"attribute": "a", "op": "in", "value": "x"}], "variant": "on"}]}"#
        )),
        r#"flags.f.rules[0].conditions[0].value: in takes a list: use "values""#
    );
    assert_eq!(
        one_problem(&flag(
            r#"{"rules": [{"conditions": [{"attribute": "a", "op": "semver_gt", "value": "one"}], "variant": "on"}]}"#
        )),
        r#"flags.f.rules[0].conditions[0].value: "one" is not a semantic version (like 1.4.0 or 2.0.0-beta.1)"#
    );
    assert!(one_problem(&flag(
        r#"{"rules": [{"conditions": [{"attribute": "a", "op": "before", "value": "soon"}], "variant": "on"}]}"#
    ))
    .starts_with("flags.f.rules[0].conditions[0].value: invalid timestamp \"soon\""));
    assert_eq!(
        one_problem(&flag(r#"{"rules": [{"conditions": [{"op": "in_segment", "value": "ghost"}], "variant": "on"}]}"#)),
        r#"flags.f.rules[0].conditions[0].value: unknown segment "ghost""#
    );
    assert_eq!(
        one_problem(&flag(r#"{"split": [["on", 50], ["off", 50]], "percentage": 10}"#)),
        "flags.f.percentage: percentage cannot be combined with split (a split names its variants)"
    );
    assert_eq!(
        one_problem(&flag(r#"{"schedule": {"type": "linear", "start": "2026-01-01", "duration_hours": 0}}"#)),
        "flags.f.schedule.duration_hours: duration_hours must be above 0 and at most 100 years"
    );
    assert_eq!(
        one_problem(&flag(r#"{"schedule": {"type": "steps", "start": "2026-01-01", "steps": [[1, 5], [2]]}}"#)),
        "flags.f.schedule.steps[1]: a step is [day, percentage]"
    );
    assert_eq!(
        one_problem(&flag(
            r#"{"schedule": {"type": "steps", "start": "2026-01-01", "steps": [[1, 5]], "duration_hours": 3}}"#
        )),
        "flags.f.schedule.duration_hours: duration_hours does not apply to a steps schedule"
    );
    assert_eq!(
        one_problem(&flag(r#"{"variants": {"a": 1, "b": 2}, "default_variant": "a", "users": ["u"]}"#)),
        r#"flags.f.users: users serve the variant "on", which this flag does not have; use targets"#
    );
    assert_eq!(
        one_problem(
            r#"{"flags": {"f": true}, "routes": [{"path": "/x", "flag": "f", "upstreams": {"on": "ftp://a", "off": "http://b"}}]}"#
        ),
        r#"routes[0].upstreams.on: upstream "ftp://a" is not a valid http(s) origin: it must start with http:// or https://"#
    );
}

/// A ruleset with flag `f` (on/off) and one route with `route` merged in.
fn route(fields: &str) -> String {
    format!(
        r#"{{"flags": {{"f": true}}, "routes": [{{"path": "/api/*", "flag": "f",
            "upstreams": {{"on": "http://a.internal", "off": "http://b.internal"}}, {fields}}}]}}"#
    )
}

#[test]
fn routes_that_would_break_a_request_are_refused() {
    // The issue's two examples: a space in an upstream, a newline in an id.
    assert_eq!(
        one_problem(
            r#"{"flags": {"f": true}, "routes": [{"path": "/a", "flag": "f", "upstreams": {"on": "http://exa mple", "off": "http://b"}}]}"#
        ),
        r#"routes[0].upstreams.on: upstream "http://exa mple" is not a valid http(s) origin: it contains a space, a control or a non-ASCII character (write international host names in their xn-- form, percent-encode the path)"#
    );
    assert_eq!(
        one_problem(&route(r#""id": "orders\ncanary""#)),
        "routes[0].id: a route id is sent as a header value: printable ASCII, not starting or ending with a space"
    );
    for (id, ok) in
        [("orders canary", true), ("orders-v2:canary/1", true), (" orders", false), ("é", false), ("a\u{0}", false)]
    {
        let doc = route(&format!(r#""id": {}"#, Value::String(id.into()).to_json()));
        assert_eq!(Ruleset::from_json(&doc).is_ok(), ok, "{id:?}");
    }
    let upstream = |url: &str| {
        let doc = format!(
            r#"{{"flags": {{"f": true}}, "routes": [{{"path": "/a", "flag": "f", "upstreams": {{"on": {}, "off": "http://b"}}}}]}}"#,
            Value::String(url.into()).to_json()
        );
        Ruleset::from_json(&doc)
            .map(|rs| rs.routes()[0].upstream(0).unwrap().to_string())
            .map_err(|e| e.problems[0].message.clone())
    };
    assert_eq!(upstream("HTTP://Orders.Internal:8080/v2/"), Ok("http://orders.internal:8080/v2".to_string()));
    assert_eq!(upstream("http://[::1]:9002"), Ok("http://[::1]:9002".to_string()));
    for (url, why) in [
        ("http://user:pw@a", "must not contain user information"),
        ("http://a:99999", "invalid port"),
        ("http://a/x?y=1", "query or fragment"),
        ("http://a/../admin", ". or .. segment"),
        ("http://a_b..c", "invalid host name"),
        ("http://300.1.1.1", "invalid IPv4"),
        ("http://a\r\nX-Evil: 1", "control"),
    ] {
        let got = upstream(url).unwrap_err();
        assert!(got.contains(why), "{url:?}: {got}");
    }
    // A variant name of a routed flag goes into X-Edgeflags-Variant.
    let doc = r#"{"flags": {"f": {"variants": {"on": 1, "bad\nname": 2}, "default_variant": "on"}},
        "routes": [{"path": "/a", "flag": "f", "upstreams": {"on": "http://a", "bad\nname": "http://b"}}]}"#;
    assert_eq!(
        one_problem(doc),
        r#"routes[0].flag: flag "f" has a variant name that cannot be a header value ("bad\nname"): a routed variant's name is sent as one, so it must be printable ASCII, not starting or ending with a space"#
    );
    // The same names are fine on a flag no route uses.
    loads(r#"{"flags": {"f": {"variants": {"on": 1, "bad\nname": 2}, "default_variant": "on"}}}"#);
}

#[test]
fn route_patterns_are_segments() {
    for (pattern, why) in [
        ("api/*", "must start with /"),
        ("/api/or*ders", "a * inside a segment"),
        ("/api/*x", "a * inside a segment"),
        ("/api/**/x", "must be the last segment"),
        ("/api//x", "no empty segments"),
        ("/api/", "no empty segments"),
        ("/api/../admin", "no . or .. segments"),
        ("/api%2Fadmin", "%2F"),
        ("/api?x", "? or #"),
    ] {
        let doc = route(r#""id": "r""#).replace("/api/*", pattern);
        let p = one_problem(&doc);
        assert!(p.starts_with("routes[0].path: ") && p.contains(why), "{pattern}: {p}");
    }
    let rs = loads(&route(r#""id": "r""#).replace("/api/*", "/api/orders*"));
    assert!(rs.route_for("/api/orders/7").is_some());
    assert!(rs.route_for("/api/ordersXYZ").is_none());
    assert!(rs.route_for("/api/orders%2F..%2F..%2Fadmin").is_none());
}

#[test]
fn client_flags_need_what_the_client_view_can_hold() {
    // A client flag cannot depend on a server-only one.
    assert_eq!(
        one_problem(
            r#"{"flags": {"ops": {"client": false}, "f": {"prerequisites": [{"flag": "ops", "variant": "off"}]}}}"#
        ),
        r#"flags.f.prerequisites[0].flag: flag "ops" is server-only ("client": false), so a client flag cannot depend on it: mark this flag "client": false too"#
    );
    loads(r#"{"flags": {"ops": {"client": false}, "f": {"client": false, "prerequisites": [{"flag": "ops"}]}}}"#);
    loads(r#"{"flags": {"ops": true, "f": {"client": false, "prerequisites": [{"flag": "ops"}]}}}"#);
    assert_eq!(one_problem(&flag(r#"{"client": "no"}"#)), "flags.f.client: expected true or false, not string");
    // A sensitive attribute: in/eq/not_in/neq are hashed in the view, the others cannot be.
    let sensitive = |cond: &str| {
        format!(
            r#"{{"sensitive": ["email"], "flags": {{"f": {{"rules": [{{"conditions": [{cond}], "variant": "on"}}]}}}}}}"#
        )
    };
    for op in [r#""op": "eq", "value": "a@b.c""#, r#""op": "in", "values": ["a@b.c"]"#, r#""op": "neq", "value": 1"#] {
        loads(&sensitive(&format!(r#"{{"attribute": "email", {op}}}"#)));
    }
    assert_eq!(
        one_problem(&sensitive(r#"{"attribute": "email", "op": "ends_with", "value": "@company.com"}"#)),
        r#"flags.f.rules[0].conditions[0]: "email" is sensitive and the client view hashes only in, not_in, eq and neq values, so a client flag cannot test it with ends_with (mark the flag "client": false)"#
    );
    loads(
        &sensitive(r#"{"attribute": "email", "op": "ends_with", "value": "@company.com"}"#)
            .replace(r#""rules""#, r#""client": false, "rules""#),
    );
    loads(&sensitive(r#"{"attribute": "plan", "op": "starts_with", "value": "ent"}"#));
    // Through a segment.
    let doc = r#"{"sensitive": ["email"],
        "segments": {"staff": {"conditions": [{"attribute": "email", "op": "glob", "value": "*@company.com"}]}},
        "flags": {"f": {"rules": [{"conditions": [{"op": "in_segment", "value": "staff"}], "variant": "on"}]}}}"#;
    assert_eq!(
        one_problem(doc),
        r#"flags.f.rules[0].conditions[0]: the segment tests a sensitive attribute with an operator the client view cannot hash (segments.staff.conditions[0]: glob on "email"), so a client flag cannot use it (mark the flag "client": false)"#
    );
    loads(&doc.replace(r#""f": {"rules""#, r#""f": {"client": false, "rules""#));
    assert_eq!(
        one_problem(r#"{"sensitive": ["email", ""], "flags": {}}"#),
        "sensitive[1]: an attribute name must not be empty"
    );
    assert_eq!(one_problem(r#"{"sensitive": "email", "flags": {}}"#), "sensitive: expected a list, not string");
}

#[test]
fn hashed_lists_need_a_salt_and_digests() {
    let d = "ab".repeat(32);
    loads(&format!(r#"{{"hash_salt": "s", "flags": {{"f": {{"users": {{"sha256": ["{d}"]}}}}}}}}"#));
    assert_eq!(
        one_problem(&format!(r#"{{"flags": {{"f": {{"users": {{"sha256": ["{d}"]}}}}}}}}"#)),
        "flags.f.users: a hashed list needs the ruleset's hash_salt"
    );
    assert_eq!(
        one_problem(&format!(
            r#"{{"hash_salt": "s", "flags": {{"f": {{"users": {{"sha256": ["{}"]}}}}}}}}"#,
            d.to_uppercase()
        )),
        "flags.f.users.sha256[0]: a digest is 64 lowercase hex digits (SHA-256)"
    );
    assert_eq!(
        problems(r#"{"hash_salt": "s", "flags": {"f": {"users": {"md5": []}}}}"#),
        [
            r#"flags.f.users.md5: unknown field "md5" in a hashed list"#,
            r#"flags.f.users: a hashed list is {"sha256": [digests]}"#
        ]
    );
    let cond = |c: &str| {
        format!(r#"{{"hash_salt": "s", "flags": {{"f": {{"rules": [{{"conditions": [{c}], "variant": "on"}}]}}}}}}"#)
    };
    loads(&cond(&format!(r#"{{"attribute": "a", "op": "not_in", "values": {{"sha256": ["{d}"]}}}}"#)));
    assert_eq!(
        one_problem(&cond(&format!(r#"{{"attribute": "a", "op": "eq", "value": {{"sha256": ["{d}"]}}}}"#))),
        "flags.f.rules[0].conditions[0].value: expected a string, number or boolean, not object"
    );
    assert_eq!(
        one_problem(&cond(r#"{"attribute": "a", "op": "in", "values": {"sha256": "x"}}"#)),
        "flags.f.rules[0].conditions[0].values.sha256: expected a list, not string"
    );
    assert_eq!(one_problem(r#"{"hash_salt": 1, "flags": {}}"#), "hash_salt: expected a string, not number");
}

#[test]
fn json_syntax_errors_name_line_and_column() {
    assert_eq!(
        one_problem("{\n  \"flags\": {\n    \"a\": tru\n  }\n}"),
        // serde_json's words; the position is the newline after the bad token.
        "invalid JSON at line 3 column 13: expected ident"
    );
    assert!(one_problem(r#"{"flags": {"a": true, "a": false}}"#).contains("duplicate key \"a\""));
    assert!(one_problem("").contains("EOF while parsing a value"));
    assert!(one_problem("{\"flags\": {}} trailing").contains("trailing characters"));
}

// ------------------------------------------------------------------- limits

fn assert_quick(start: Instant, what: &str) {
    // Generous: debug build on a shared 2-core machine. A quadratic path
    // would take minutes here, not seconds.
    assert!(start.elapsed() < Duration::from_secs(20), "{what} took {:?}", start.elapsed());
}

#[test]
fn limit_ruleset_bytes() {
    let base = r#"{"flags": {"f": true}}"#;
    let at_limit = format!("{base}{}", " ".repeat(MAX_RULESET_BYTES - base.len()));
    assert_eq!(at_limit.len(), MAX_RULESET_BYTES);
    assert_eq!(loads(&at_limit).len(), 1);
    let over = format!("{at_limit} ");
    assert_eq!(
        one_problem(&over),
        format!("ruleset of {} bytes is larger than the limit of {MAX_RULESET_BYTES}", MAX_RULESET_BYTES + 1)
    );
}

#[test]
fn limit_json_depth() {
    // The document is depth 1, flags 2, the flag 3, variants 4, a variant value 5.
    let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
    let doc = |levels| {
        flag(&format!(r#"{{"type": "json", "variants": {{"v": {}}}, "default_variant": "v"}}"#, nested(levels)))
    };
    let rs = loads(&doc(MAX_JSON_DEPTH - 4));
    assert_eq!(
        rs.evaluate("f", &Context::new(), 0, &Value::Null).value.to_json().matches('[').count(),
        MAX_JSON_DEPTH - 4
    );
    let p = one_problem(&doc(MAX_JSON_DEPTH - 3));
    assert!(p.contains(&format!("nesting deeper than {MAX_JSON_DEPTH} levels")), "{p}");
    // Hostile depth: a megabyte of brackets is an error, not a stack overflow.
    assert!(one_problem(&"[".repeat(1 << 20)).contains("nesting deeper"));
    assert!(one_problem(&format!("{{\"flags\": {}", "{\"a\":".repeat(1 << 18))).contains("nesting deeper"));
}

#[test]
fn limit_flags() {
    let doc = |n: usize| {
        format!("{{\"flags\": {{{}}}}}", (0..n).map(|i| format!("\"f{i}\":true")).collect::<Vec<_>>().join(","))
    };
    let start = Instant::now();
    let rs = loads(&doc(MAX_FLAGS));
    assert_eq!(rs.len(), MAX_FLAGS);
    assert_eq!(rs.evaluate(&format!("f{}", MAX_FLAGS - 1), &Context::new(), 0, &Value::Null).value, &Value::Bool(true));
    assert_eq!(
        one_problem(&doc(MAX_FLAGS + 1)),
        format!("flags: {} flags is more than the limit of {MAX_FLAGS}", MAX_FLAGS + 1)
    );
    assert_quick(start, "loading 50,000 flags twice");
}

#[test]
fn limit_segments() {
    let doc = |n: usize| {
        let segs: Vec<String> = (0..n).map(|i| format!("\"s{i}\":{{\"users\":[\"u{i}\"]}}")).collect();
        format!(
            r#"{{"segments": {{{}}}, "flags": {{"f": {{"rules": [{{"conditions": [{{"op": "in_segment", "value": "s{}"}}], "variant": "on"}}]}}}}}}"#,
            segs.join(","),
            n - 1
        )
    };
    let start = Instant::now();
    let rs = loads(&doc(MAX_SEGMENTS));
    let e = rs.evaluate("f", &Context::with_user(&format!("u{}", MAX_SEGMENTS - 1)), 0, &Value::Null);
    assert_eq!(e.value, &Value::Bool(true));
    let p = problems(&doc(MAX_SEGMENTS + 1));
    assert!(
        p.contains(&format!("segments: {} segments is more than the limit of {MAX_SEGMENTS}", MAX_SEGMENTS + 1)),
        "{p:?}"
    );
    assert_quick(start, "loading 10,000 segments twice");
}

#[test]
fn limit_name_length() {
    let ok = "k".repeat(MAX_NAME_LEN);
    let long = "k".repeat(MAX_NAME_LEN + 1);
    // Flag keys.
    loads(&format!(r#"{{"flags": {{"{ok}": true}}}}"#));
    assert_eq!(
        one_problem(&format!(r#"{{"flags": {{"{long}": true}}}}"#)),
        format!("flags.{long}: a flag key must be 1 to {MAX_NAME_LEN} characters of A-Z a-z 0-9 _ - . : (it appears in URLs and headers)")
    );
    // Variant names.
    loads(&flag(&format!(r#"{{"variants": {{"{ok}": 1}}, "default_variant": "{ok}"}}"#)));
    assert!(one_problem(&flag(&format!(r#"{{"variants": {{"{long}": 1, "off": 0}}}}"#)))
        .ends_with(&format!("a variant name must be 1 to {MAX_NAME_LEN} bytes")));
    // Rule ids and attribute names.
    loads(&flag(&format!(
        r#"{{"rules": [{{"id": "{ok}", "conditions": [{{"attribute": "{ok}", "op": "eq", "value": 1}}], "variant": "on"}}]}}"#
    )));
    assert_eq!(
        one_problem(&flag(&format!(r#"{{"rules": [{{"id": "{long}", "variant": "on"}}]}}"#))),
        format!("flags.f.rules[0].id: string of {} bytes is longer than the limit of {MAX_NAME_LEN}", MAX_NAME_LEN + 1)
    );
    assert_eq!(
        one_problem(&flag(&format!(
            r#"{{"rules": [{{"conditions": [{{"attribute": "{long}", "op": "eq", "value": 1}}], "variant": "on"}}]}}"#
        ))),
        format!(
            "flags.f.rules[0].conditions[0].attribute: string of {} bytes is longer than the limit of {MAX_NAME_LEN}",
            MAX_NAME_LEN + 1
        )
    );
    // Segment names and bucket_by.
    loads(&format!(
        r#"{{"segments": {{"{ok}": {{"users": []}}}}, "flags": {{"f": {{"bucket_by": "{ok}", "percentage": 5}}}}}}"#
    ));
    assert_eq!(
        one_problem(&format!(r#"{{"segments": {{"{long}": {{"users": []}}}}, "flags": {{}}}}"#)),
        format!("segments.{long}: a segment name must be 1 to {MAX_NAME_LEN} bytes")
    );
    assert!(one_problem(&flag(&format!(r#"{{"bucket_by": "{long}", "percentage": 5}}"#)))
        .starts_with("flags.f.bucket_by: string of"));
    // Multi-byte: the limit is in bytes.
    let wide = "é".repeat(MAX_NAME_LEN / 2 + 1);
    assert!(one_problem(&flag(&format!(r#"{{"rules": [{{"id": "{wide}", "variant": "on"}}]}}"#)))
        .contains("longer than the limit"));
}

#[test]
fn limit_variants() {
    let doc = |n: usize| {
        let vs: Vec<String> = (0..n).map(|i| format!("\"v{i}\":{i}")).collect();
        flag(&format!(r#"{{"variants": {{{}}}, "default_variant": "v{}"}}"#, vs.join(","), n - 1))
    };
    let rs = loads(&doc(MAX_VARIANTS));
    assert_eq!(rs.evaluate("f", &Context::new(), 0, &Value::Null).value, &Value::Number((MAX_VARIANTS - 1) as f64));
    assert_eq!(
        one_problem(&doc(MAX_VARIANTS + 1)),
        format!("flags.f.variants: {} variants is more than the limit of {MAX_VARIANTS}", MAX_VARIANTS + 1)
    );
}

#[test]
fn limit_rules_and_conditions() {
    let rules = |n: usize| {
        let rs: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"conditions": [{{"attribute": "n", "op": "eq", "value": {i}}}], "variant": "on"}}"#))
            .collect();
        flag(&format!(r#"{{"rules": [{}]}}"#, rs.join(",")))
    };
    let rs = loads(&rules(MAX_RULES));
    let mut ctx = Context::new();
    ctx.set("n", Value::Number((MAX_RULES - 1) as f64));
    let e = rs.evaluate("f", &ctx, 0, &Value::Null);
    assert_eq!(e.rule_id, Some(&*format!("rules[{}]", MAX_RULES - 1)));
    assert_eq!(
        one_problem(&rules(MAX_RULES + 1)),
        format!("flags.f.rules: list of {} entries is longer than the limit of {MAX_RULES}", MAX_RULES + 1)
    );

    let conds = |n: usize| {
        let cs: Vec<String> = (0..n).map(|i| format!(r#"{{"attribute": "a{i}", "op": "eq", "value": 1}}"#)).collect();
        flag(&format!(r#"{{"rules": [{{"conditions": [{}], "variant": "on"}}]}}"#, cs.join(",")))
    };
    let rs = loads(&conds(MAX_CONDITIONS));
    let mut ctx = Context::new();
    for i in 0..MAX_CONDITIONS {
        ctx.set(&format!("a{i}"), Value::Number(1.0));
    }
    assert_eq!(rs.evaluate("f", &ctx, 0, &Value::Null).value, &Value::Bool(true));
    assert_eq!(
        one_problem(&conds(MAX_CONDITIONS + 1)),
        format!(
            "flags.f.rules[0].conditions: list of {} entries is longer than the limit of {MAX_CONDITIONS}",
            MAX_CONDITIONS + 1
        )
    );
}

#[test]
fn limit_list_entries() {
    let ids = |n: usize| (0..n).map(|i| format!("\"u{i}\"")).collect::<Vec<_>>().join(",");
    let start = Instant::now();
    let rs = loads(&flag(&format!(r#"{{"users": [{}]}}"#, ids(MAX_LIST))));
    assert_eq!(
        rs.evaluate("f", &Context::with_user(&format!("u{}", MAX_LIST - 1)), 0, &Value::Null).value,
        &Value::Bool(true)
    );
    assert_eq!(
        one_problem(&flag(&format!(r#"{{"users": [{}]}}"#, ids(MAX_LIST + 1)))),
        format!("flags.f.users: list of {} entries is longer than the limit of {MAX_LIST}", MAX_LIST + 1)
    );
    let in_rule = |n: usize| {
        flag(&format!(
            r#"{{"rules": [{{"conditions": [{{"attribute": "user_id", "op": "in", "values": [{}]}}], "variant": "on"}}]}}"#,
            ids(n)
        ))
    };
    loads(&in_rule(MAX_LIST));
    assert_eq!(
        one_problem(&in_rule(MAX_LIST + 1)),
        format!(
            "flags.f.rules[0].conditions[0].values: list of {} entries is longer than the limit of {MAX_LIST}",
            MAX_LIST + 1
        )
    );
    assert_quick(start, "lists at the limit");
}

#[test]
fn limit_string_length() {
    let ok = "x".repeat(MAX_STRING_LEN);
    let long = "x".repeat(MAX_STRING_LEN + 1);
    let over = format!("string of {} bytes is longer than the limit of {MAX_STRING_LEN}", MAX_STRING_LEN + 1);
    // Condition values.
    let cond = |op: &str, v: &str| {
        flag(&format!(
            r#"{{"rules": [{{"conditions": [{{"attribute": "a", "op": "{op}", "value": "{v}"}}], "variant": "on"}}]}}"#
        ))
    };
    let rs = loads(&cond("eq", &ok));
    let mut ctx = Context::new();
    ctx.set("a", Value::String(ok.clone()));
    assert_eq!(rs.evaluate("f", &ctx, 0, &Value::Null).value, &Value::Bool(true));
    loads(&cond("contains", &ok));
    assert_eq!(one_problem(&cond("contains", &long)), format!("flags.f.rules[0].conditions[0].value: {over}"));
    assert_eq!(one_problem(&cond("eq", &long)), format!("flags.f.rules[0].conditions[0].value: {over}"));
    // User ids, salts, descriptions.
    loads(&flag(&format!(r#"{{"users": ["{ok}"], "salt": "{ok}", "description": "{ok}"}}"#)));
    assert_eq!(one_problem(&flag(&format!(r#"{{"users": ["a", "{long}"]}}"#))), format!("flags.f.users[1]: {over}"));
    assert_eq!(
        one_problem(&flag(&format!(r#"{{"salt": "{long}", "percentage": 1}}"#))),
        format!("flags.f.salt: {over}")
    );
    assert_eq!(one_problem(&flag(&format!(r#"{{"description": "{long}"}}"#))), format!("flags.f.description: {over}"));
    assert_eq!(one_problem(&format!(r#"{{"description": "{long}", "flags": {{}}}}"#)), format!("description: {over}"));
}

#[test]
fn limit_context_attributes() {
    let obj = |n: usize| Value::Object((0..n).map(|i| (format!("a{i}"), Value::Number(i as f64))).collect());
    let ctx = Context::from_value(obj(MAX_CONTEXT_ATTRIBUTES)).unwrap();
    assert_eq!(ctx.iter().count(), MAX_CONTEXT_ATTRIBUTES);
    let e = Context::from_value(obj(MAX_CONTEXT_ATTRIBUTES + 1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("context has {} attributes; the limit is {MAX_CONTEXT_ATTRIBUTES}", MAX_CONTEXT_ATTRIBUTES + 1)
    );
    assert!(Context::from_value(Value::Array(vec![])).is_err());
}

#[test]
fn huge_documents_load_or_fail_cleanly() {
    let start = Instant::now();
    // One object with a very large number of members (under the byte limit):
    // rejected by the flag limit, quickly.
    let n = 400_000;
    let doc = format!("{{\"flags\": {{{}}}}}", (0..n).map(|i| format!("\"f{i}\":1")).collect::<Vec<_>>().join(","));
    assert!(doc.len() < MAX_RULESET_BYTES);
    assert_eq!(one_problem(&doc), format!("flags: {n} flags is more than the limit of {MAX_FLAGS}"));
    // A huge context object is refused the same way.
    let ctx_text = format!("{{{}}}", (0..n).map(|i| format!("\"a{i}\":1")).collect::<Vec<_>>().join(","));
    let v = Value::parse(&ctx_text).unwrap();
    assert!(Context::from_value(v).is_err());
    assert_quick(start, "400,000-member objects");
}

#[test]
fn split_weights_may_miss_100_by_a_tenth_as_written() {
    let doc = |weights: &str| {
        format!(
            r#"{{"flags": {{"f": {{"variants": {{"a": 1, "b": 2, "c": 3}}, "default_variant": "a", "split": [{weights}]}}}}}}"#
        )
    };
    // 33.3 three times is 99.9 in decimal (99.89999999999999 in binary): at the edge, accepted.
    for ok in [r#"["a", 33.3], ["b", 33.3], ["c", 33.3]"#, r#"["a", 50.1], ["b", 50]"#, r#"["a", 99.9], ["b", 0]"#] {
        assert!(Ruleset::from_json(&doc(ok)).is_ok(), "{ok}");
    }
    for bad in [r#"["a", 33.2], ["b", 33.3], ["c", 33.3]"#, r#"["a", 50.11], ["b", 50]"#, r#"["a", 99.89]"#] {
        let e = Ruleset::from_json(&doc(bad)).unwrap_err();
        assert!(e.problems[0].message.contains("they must add up to 100"), "{bad}: {e}");
    }
}

#[test]
fn a_ruleset_deserializes_through_serde_with_every_problem() {
    // Any serde format: here serde_json's own Deserializer.
    let rs: Ruleset = serde_json::from_str(r#"{"flags": {"a": true, "b": {"percentage": 20}}}"#).unwrap();
    assert_eq!(rs.len(), 2);
    let err = serde_json::from_str::<Ruleset>(r#"{"flags": {"a": {"percentage": 120}, "b": {"users": 5}}}"#)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("flags.a.percentage"), "{err}");
    assert!(err.contains("flags.b.users"), "{err}");
    // Duplicate keys are refused by the Value underneath, whatever the format.
    let dup = serde_json::from_str::<Ruleset>(r#"{"flags": {"a": true, "a": false}}"#).err().unwrap().to_string();
    assert!(dup.contains("duplicate key \"a\""), "{dup}");
}

#[test]
fn problems_serialize_as_path_and_message() {
    let err = Ruleset::from_json(r#"{"flags": {"a": {"percentage": "x"}}}"#).err().unwrap();
    let json = serde_json::to_value(&err.problems).unwrap();
    assert_eq!(json[0]["path"], "flags.a.percentage");
    assert!(json[0]["message"].as_str().unwrap().contains("number"), "{json}");
    assert_eq!(json[0].as_object().unwrap().len(), 2);
}
