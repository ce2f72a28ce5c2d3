//! The CLI contract of issue 2 §4, through the built binary:
//! `validate` (exit 0, or exit 1 with every problem and its path),
//! `eval` (JSON lines in, one result line per input, malformed lines get an
//! error object and processing goes on, `--now`), `bucket` (shortest
//! round-trip f64, checked against every shared vector) and `stale`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_edgeflags");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ruleset.json");
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/bucketing.json");

/// The CLI with every stream piped.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(BIN).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = spawn(args);
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_string();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// A file under the test's temporary directory.
fn temp_file(name: &str, text: &str) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

// ------------------------------------------------------------- validate

#[test]
fn validate_accepts_the_example() {
    let o = run(&["validate", EXAMPLE], "");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let text = stdout(&o);
    assert!(text.starts_with("ok: ") && text.contains(" flags, version 1"), "{text}");
}

#[test]
fn validate_lists_every_problem_with_its_path_and_exits_1() {
    let file = temp_file(
        "invalid.json",
        r#"{"flags": {
            "new_search": {"rules": [{"variant": "on"}, {"variant": "on"}, {"conditions": [{"attribute": "email", "op": "startswith", "value": "a"}], "variant": "on"}]},
            "b": {"percentage": 150},
            "c": {"variants": {"x": 1}, "default_variant": "y"}
        }}"#,
    );
    let o = run(&["validate", &file], "");
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            r#"flags.new_search.rules[2].conditions[0].op: unknown operator "startswith" (did you mean "starts_with"?)"#,
            "flags.b.percentage: percentage 150 is outside 0..100",
            r#"flags.c.default_variant: unknown variant "y" (the flag's variants: x)"#,
        ]
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid ruleset (3 problems)"));
    // Invalid JSON: one problem, with line and column.
    let o = run(&["validate", &temp_file("syntax.json", "{\"flags\": {\n  \"a\": tru }}")], "");
    assert_eq!(o.status.code(), Some(1));
    // (serde_json's words and position: the end of the bad token.)
    assert_eq!(stdout(&o).trim(), "invalid JSON at line 2 column 11: expected ident");
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["validate"][..], &["validate", "/nonexistent/ruleset.json"], &["frobnicate"], &[], &["bucket", "x"]]
    {
        let o = run(args, "");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}: says why on stderr");
    }
    let o = run(&["eval", EXAMPLE, "--now", "tomorrow"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid timestamp"));
    let o = run(&["eval", &temp_file("bad.json", "{}")], "");
    assert_eq!(o.status.code(), Some(2), "eval refuses an invalid ruleset");
    assert_eq!(run(&["--help"], "").status.code(), Some(0));
}

// ------------------------------------------------------------------ eval

#[test]
fn eval_answers_each_line_and_survives_malformed_ones() {
    let input = [
        r#"{"flag": "dark_mode", "context": {"user_id": "user:42"}, "default": false}"#,
        r#"{"flag": "dark_mode", "context": {"user_id": "user:43"}, "default": false}"#,
        r#"this is not json"#,
        r#"{"flag": "max_upload_mb", "context": {"plan": "enterprise"}, "default": 0}"#,
        r#"[1, 2]"#,
        r#"{"context": {}}"#,
        r#"{"flag": "no_such_flag", "context": {}, "default": "fallback"}"#,
        r#"{"flag": "max_upload_mb", "context": {}, "default": "ten"}"#,
        r#"{"flag": "new_dashboard", "context": [1], "default": true}"#,
        r#"{"flag": "search_ranking", "context": {"tenant_id": "t1"}}"#,
        r#"{"flag": "search_indexing"}"#,
        r#"{"flag": "checkout_experiment", "context": {"user_id": "qa-1"}}"#,
    ]
    .join("\n");
    let o = run(&["eval", EXAMPLE, "--now", "2026-10-02T00:00:00Z"], &format!("{input}\n"));
    assert_eq!(o.status.code(), Some(0));
    let r = json_lines(&o);
    assert_eq!(r.len(), 12, "one output line per input line");
    let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(r[0], j(r#"{"value": true, "variant": "on", "reason": "TARGETING_MATCH", "ruleId": "users"}"#));
    assert_eq!(r[1], j(r#"{"value": false, "variant": "off", "reason": "DEFAULT"}"#));
    assert_eq!(r[2]["errorCode"], "PARSE_ERROR");
    assert_eq!(r[2]["line"], 3);
    assert!(r[2]["error"].as_str().unwrap().starts_with("invalid JSON at line 1 column 2:"), "{}", r[2]);
    assert_eq!(r[3], j(r#"{"value": 1000, "variant": "huge", "reason": "TARGETING_MATCH", "ruleId": "enterprise"}"#));
    assert_eq!((&r[4]["errorCode"], &r[4]["line"]), (&j(r#""PARSE_ERROR""#), &j("5")));
    assert_eq!((&r[5]["errorCode"], &r[5]["line"]), (&j(r#""PARSE_ERROR""#), &j("6")));
    assert_eq!(r[6], j(r#"{"value": "fallback", "variant": null, "reason": "ERROR", "errorCode": "FLAG_NOT_FOUND"}"#));
    assert_eq!(r[7], j(r#"{"value": "ten", "variant": null, "reason": "ERROR", "errorCode": "TYPE_MISMATCH"}"#));
    assert_eq!(
        (&r[8]["value"], &r[8]["reason"], &r[8]["errorCode"]),
        (&j("true"), &j(r#""ERROR""#), &j(r#""INVALID_CONTEXT""#))
    );
    assert!(r[8]["error"].is_string());
    assert_eq!(r[9]["reason"], "SPLIT");
    assert!(r[9]["value"]["model"].is_string(), "JSON values are written whole: {}", r[9]);
    assert_eq!(r[10], j(r#"{"value": false, "variant": "off", "reason": "DISABLED"}"#));
    assert!(edgeflags::bucket("new_checkout", "qa-1") >= 1.0, "qa-1 is outside new_checkout's 1% on day 1");
    assert_eq!(r[11]["reason"], "PREREQUISITE_FAILED", "{}", r[11]);
    assert_eq!(r[11]["ruleId"], "new_checkout");
}

#[test]
fn eval_time_comes_from_now() {
    // pricing_page_v3: linear 0 -> 100 % over 336 h from 2026-11-01.
    let users: Vec<String> = (0..400).map(|i| format!("u{i}")).collect();
    let input: String = users
        .iter()
        .map(|u| format!("{{\"flag\": \"pricing_page_v3\", \"context\": {{\"user_id\": \"{u}\"}}}}\n"))
        .collect();
    let share = |now: &str| {
        let o = run(&["eval", EXAMPLE, "--now", now], &input);
        assert_eq!(o.status.code(), Some(0));
        let r = json_lines(&o);
        assert_eq!(r.len(), users.len());
        r.iter()
            .zip(&users)
            .filter(|(v, u)| {
                let on = v["value"] == serde_json::Value::Bool(true);
                // The exact members: bucket < percentage (tests/vectors.rs pins bucket()).
                let pct = match now {
                    "2026-10-31T23:59:59Z" => 0.0,
                    "2026-11-08T00:00:00Z" => 50.0,
                    _ => 100.0,
                };
                assert_eq!(
                    on,
                    pct >= 100.0 || (pct > 0.0 && edgeflags::bucket("pricing_page_v3", u) < pct),
                    "{now} {u}"
                );
                on
            })
            .count()
    };
    assert_eq!(share("2026-10-31T23:59:59Z"), 0);
    let half = share("2026-11-08T00:00:00Z");
    assert!((150..250).contains(&half), "{half}");
    assert_eq!(share("2026-11-15T00:00:00Z"), users.len());
    // --now=... spelling.
    let o = run(&["eval", EXAMPLE, "--now=2026-11-15T00:00:00Z"], &input[..input.find('\n').unwrap() + 1]);
    assert_eq!(json_lines(&o)[0]["value"], true);
}

#[test]
fn eval_skips_blank_lines() {
    let o = run(
        &["eval", EXAMPLE, "--now", "2026-01-01T00:00:00Z"],
        "\n{\"flag\": \"maintenance\"}\n   \n{\"flag\": \"new_dashboard\"}\n",
    );
    let r = json_lines(&o);
    assert_eq!(r.len(), 2);
    assert_eq!((&r[0]["value"], &r[0]["reason"]), (&serde_json::json!(false), &serde_json::json!("STATIC")));
    assert_eq!(r[1]["value"], true);
}

// ---------------------------------------------------------------- bucket

/// The bucket texts exactly as the vectors file spells them (Python's
/// `repr`, itself the shortest round-trip form).
fn vector_bucket_texts() -> Vec<String> {
    let text = std::fs::read_to_string(VECTORS).unwrap();
    text.split("\"bucket\":")
        .skip(1)
        .map(|rest| rest.trim_start().split([',', '\n', '}']).next().unwrap().trim().to_string())
        .collect()
}

/// Significant digits and decimal exponent of a decimal number's text, so
/// `1e-05` and `0.00001` compare equal (Python and Rust differ in notation only).
fn digits(text: &str) -> (String, i32) {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap()),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let sig = all.trim_start_matches('0').trim_end_matches('0').to_string();
    (sig, int.len() as i32 - lead as i32 + exp)
}

#[test]
fn bucket_prints_shortest_round_trip_floats_for_every_vector() {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    let texts = vector_bucket_texts();
    assert_eq!(texts.len(), cases.len());
    let input: String =
        cases.iter().map(|c| serde_json::json!({"salt": c["salt"], "unit": c["unit"]}).to_string() + "\n").collect();
    let o = run(&["bucket"], &input);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), cases.len());
    for (i, ((line, case), want_text)) in lines.iter().zip(cases).zip(&texts).enumerate() {
        let got_text =
            line.strip_prefix("{\"bucket\":").and_then(|l| l.strip_suffix('}')).unwrap_or_else(|| panic!("{line}"));
        let got: f64 = got_text.parse().unwrap();
        let want = case["bucket"].as_f64().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "case {i}: {got_text} vs {want_text}");
        assert_eq!(
            digits(got_text),
            digits(want_text),
            "case {i}: not the shortest form: {got_text} vs Python's {want_text}"
        );
        // And through an independent JSON reader.
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["bucket"].as_f64().unwrap().to_bits(), want.to_bits());
    }
}

#[test]
fn bucket_reports_bad_lines_and_goes_on() {
    let o = run(&["bucket"], "{\"salt\": \"a\", \"unit\": \"b\"}\nnope\n{\"salt\": \"a\"}\n{\"salt\": 1, \"unit\": \"b\"}\n{\"salt\": \"\", \"unit\": \"\"}\n");
    assert_eq!(o.status.code(), Some(0));
    let r = json_lines(&o);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["bucket"].as_f64().unwrap().to_bits(), edgeflags::bucket("a", "b").to_bits());
    for (i, line) in [(1, 2), (2, 3), (3, 4)] {
        assert_eq!(r[i]["errorCode"], "PARSE_ERROR", "{}", r[i]);
        assert_eq!(r[i]["line"], line);
    }
    assert_eq!(r[4]["bucket"].as_f64().unwrap().to_bits(), edgeflags::bucket("", "").to_bits());
}

// ----------------------------------------------------------------- stale

#[test]
fn stale_lists_cleanup_candidates() {
    let o = run(&["stale", EXAMPLE, "--now", "2026-10-02T00:00:00Z"], "");
    assert_eq!(o.status.code(), Some(0));
    let r = json_lines(&o);
    let find = |k: &str| r.iter().find(|v| v["flag"] == k).cloned();
    assert_eq!(
        find("legacy_banner").unwrap(),
        serde_json::json!({"flag": "legacy_banner", "reasons": ["expired", "static"], "owner": "web-team", "expires": "2025-06-01T00:00:00Z"})
    );
    assert_eq!(find("new_dashboard").unwrap()["reasons"], serde_json::json!(["static"]));
    assert!(find("search_indexing").is_none(), "ops flags are long-lived, killed or not");
    assert!(find("new_checkout").is_none(), "not expired until 2027-03-01");
    assert!(find("dark_mode").is_none());
    // After its expiry date new_checkout shows up.
    let later = json_lines(&run(&["stale", EXAMPLE, "--now", "2027-03-01T00:00:00Z"], ""));
    let nc = later.iter().find(|v| v["flag"] == "new_checkout").unwrap();
    assert_eq!(nc["reasons"], serde_json::json!(["expired"]));
    assert_eq!(nc["owner"], "payments-team");
}

// ---------------------------------------------------------- closed stdout

/// Runs a command whose stdout is closed before it writes (as `| head -1`
/// does once it has its line), feeding it `stdin`. Returns its exit code
/// and stderr.
fn run_with_stdout_closed(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let mut child = spawn(args);
    drop(child.stdout.take()); // the reader goes away
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_string();
    // The child may stop reading once its writes fail: ignore our own.
    let writer = std::thread::spawn(move || drop(pipe.write_all(input.as_bytes())));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    // Far more output than any buffer, so writes fail mid-run.
    let evals = r#"{"flag": "dark_mode", "context": {"user_id": "user:42"}, "default": false}"#.to_string() + "\n";
    let buckets = r#"{"salt": "s", "unit": "u"}"#.to_string() + "\n";
    let many = |line: &str| line.repeat(50_000);
    let stale_rules: Vec<String> = (0..5_000).map(|i| format!("\"f{i}\": false")).collect();
    let stale_file = temp_file("many-stale.json", &format!("{{\"flags\": {{{}}}}}", stale_rules.join(",")));
    let cases: [(&[&str], String); 5] = [
        (&["validate", EXAMPLE], String::new()),
        (&["eval", EXAMPLE, "--now", "2026-10-02T00:00:00Z"], many(&evals)),
        (&["bucket"], many(&buckets)),
        (&["stale", &stale_file, "--now", "2026-10-02T00:00:00Z"], String::new()),
        (&["--help"], String::new()),
    ];
    for (args, input) in cases {
        let (code, stderr) = run_with_stdout_closed(args, &input);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr}");
    }
    // An invalid ruleset keeps its verdict (exit 1) with no one reading
    // the problems, and says so on stderr; no panic either way.
    let bad: Vec<String> = (0..2_000).map(|i| format!("\"f{i}\": {{\"percentage\": \"x\"}}")).collect();
    let bad_file = temp_file("many-problems.json", &format!("{{\"flags\": {{{}}}}}", bad.join(",")));
    let (code, stderr) = run_with_stdout_closed(&["validate", &bad_file], "");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert!(stderr.contains("invalid ruleset (2000 problems)"), "{stderr}");
}

// ------------------------------------------- the operator's commands, offline
// (push, pull, diff, history, rollback against a Worker: tests/worker/cli-ops.test.mjs)

/// The CLI without EDGEFLAGS_TOKEN / EDGEFLAGS_URL from the environment.
fn run_ops(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("EDGEFLAGS_TOKEN")
        .env_remove("EDGEFLAGS_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn one_json(o: &Output) -> serde_json::Value {
    let text = stdout(o);
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

/// An address nothing listens on: a port just released.
fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The example with a few changes of each kind, flags kept in their order
/// (through the core's `Value`, which keeps document order).
fn edited_example() -> String {
    use edgeflags::Value;
    let mut doc = Value::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let Value::Object(top) = &mut doc else { panic!() };
    let Value::Object(flags) = &mut top.iter_mut().find(|(k, _)| k == "flags").unwrap().1 else { panic!() };
    let set = |flags: &mut Vec<(String, Value)>, k: &str, v: &str| {
        let v = Value::parse(v).unwrap();
        match flags.iter_mut().find(|(fk, _)| fk == k) {
            Some(slot) => slot.1 = v,
            None => flags.push((k.to_string(), v)),
        }
    };
    set(flags, "new_search", r#"{"percentage": 50}"#);
    set(flags, "maintenance", "true");
    flags.retain(|(k, _)| k != "legacy_rollout");
    set(flags, "brand_new", r#"["user:1"]"#);
    temp_file("edited.json", &doc.to_json())
}

#[test]
fn push_validates_locally_and_sends_nothing() {
    let bad = temp_file(
        "push-bad.json",
        r#"{"flags": {"b": {"percentage": 150}, "c": {"variants": {"x": 1}, "default_variant": "y"}}}"#,
    );
    // The address is closed: reaching it would be exit 3, not 1.
    let url = closed_url();
    let o = run_ops(&["push", &bad, "--url", &url, "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("invalid ruleset (2 problems)"), "{err}");
    assert!(err.contains("  flags.b.percentage: percentage 150 is outside 0..100"), "{err}");
    assert!(err.contains(r#"  flags.c.default_variant: unknown variant "y""#), "{err}");
    let o = run_ops(&["push", &bad, "--url", &url, "--yes", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let j = one_json(&o);
    assert_eq!(j["command"], "push");
    assert_eq!(j["error"]["code"], "INVALID_RULESET");
    assert_eq!(j["error"]["exit"], 1);
    assert_eq!(
        j["error"]["problems"][0],
        serde_json::json!({"path": "flags.b.percentage", "message": "percentage 150 is outside 0..100"})
    );
    // Not JSON at all: one problem, still exit 1.
    let o = run_ops(&["push", &temp_file("push-syntax.json", "{"), "--url", &url]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_closed_address_is_exit_3_and_named() {
    let url = closed_url();
    for args in [
        vec!["push", EXAMPLE, "--yes"],
        vec!["pull"],
        vec!["history"],
        vec!["rollback", "1", "--yes"],
        vec!["diff", EXAMPLE, "current"],
    ] {
        let mut a = args.clone();
        a.extend(["--url", &url]);
        let o = run_ops(&a);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&format!("cannot reach {url}: connection refused")), "{}", stderr(&o));
    }
    let o = run_ops(&["pull", "--url", &url, "--json"]);
    let j = one_json(&o);
    assert_eq!((j["error"]["code"].as_str(), j["error"]["exit"].as_u64()), (Some("NETWORK_ERROR"), Some(3)));
}

#[test]
fn diff_of_two_files_text_and_json() {
    let edited = edited_example();
    let o = run_ops(&["diff", EXAMPLE, &edited, "--now", "2026-11-01T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "Changes: flags 1 added, 1 removed, 2 changed; segments 0; routes 0",
        "  ~ flag maintenance\n      enabled: false -> true\n",
        "  ~ flag new_search\n      percentage: 20 -> 50\n",
        "  + flag brand_new  {\"users\":[\"user:1\"]}\n",
        "  - flag legacy_rollout  ",
        "Blast radius: ",
        " contexts (evaluation vectors), evaluated at 2026-11-01T00:00:00Z",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let o = run_ops(&["diff", EXAMPLE, &edited, "--now", "2026-11-01T00:00:00Z", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let j = one_json(&o);
    // (serde_json's map sorts the names; the CLI writes them in this order.)
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["after", "before", "blastRadius", "command", "diff", "summary"]);
    assert!(stdout(&o).starts_with(r#"{"command":"diff","before":{"label":"#), "{}", stdout(&o));
    assert_eq!(j["summary"]["flags"], serde_json::json!({"added": 1, "removed": 1, "changed": 2}));
    assert_eq!(
        j["diff"]["flags"][1],
        serde_json::json!({"key": "new_search", "status": "changed", "changes": [{"field": "percentage", "change": "changed", "before": 20, "after": 50}]})
    );
    let br = &j["blastRadius"];
    assert_eq!(br["source"], "evaluation vectors");
    assert_eq!(br["now"], "2026-11-01T00:00:00Z");
    let n = br["contexts"].as_u64().unwrap();
    assert!(n > 400, "the vectors' distinct contexts: {n}");
    let flag = |k: &str| br["flags"].as_array().unwrap().iter().find(|f| f["key"] == k).unwrap().clone();
    assert_eq!(flag("maintenance")["changed"].as_u64(), Some(n));
    assert_eq!(flag("brand_new")["transitions"][0]["from"], serde_json::Value::Null);
    assert_eq!(flag("dark_mode")["changed"], 0);
    // The same file twice: no changes.
    let o = run_ops(&["diff", EXAMPLE, EXAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("No changes."));
}

#[test]
fn blast_radius_over_a_contexts_file() {
    let edited = edited_example();
    let lines: String = (0..300).map(|i| format!("{{\"user_id\": \"u{i}\"}}\n")).collect();
    // Duplicates and blank lines count once / not at all.
    let file = temp_file("contexts.jsonl", &format!("{lines}\n{{\"user_id\": \"u0\"}}\n"));
    let o = run_ops(&["diff", EXAMPLE, &edited, "--contexts", &file, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = one_json(&o);
    assert_eq!(j["blastRadius"]["contexts"], 300);
    assert_eq!(j["blastRadius"]["source"], file.as_str());
    let want = (0..300).filter(|i| (20.0..50.0).contains(&edgeflags::bucket("new_search", &format!("u{i}")))).count();
    let ns = j["blastRadius"]["flags"].as_array().unwrap().iter().find(|f| f["key"] == "new_search").unwrap().clone();
    assert_eq!(ns["changed"].as_u64(), Some(want as u64));
    // A bad line is an input error with its line number.
    for (text, says) in
        [("{\"a\": 1}\n[1]\n", ":2: a context must be a JSON object"), ("{\"a\": \n", ":1: invalid JSON")]
    {
        let bad = temp_file("contexts-bad.jsonl", text);
        let o = run_ops(&["diff", EXAMPLE, EXAMPLE, "--contexts", &bad]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(&format!("{bad}{says}")), "{}", stderr(&o));
    }
}

#[test]
fn operator_usage_errors_exit_2() {
    let url = closed_url();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["push"], "expected 1 argument"),
        (vec!["push", EXAMPLE], "needs the Worker's address: --url URL (or EDGEFLAGS_URL)"),
        (vec!["push", EXAMPLE, "--url", "ftp://x"], "--url must be an http:// or https:// address"),
        (vec!["push", EXAMPLE, "--url"], "--url needs a value"),
        (vec!["push", EXAMPLE, "--url", &url, "--force"], "unknown option \"--force\""),
        (vec!["push", "/nonexistent/ruleset.json", "--url", &url], "/nonexistent/ruleset.json"),
        (vec!["push", EXAMPLE, "--url", &url, "--now", "soon"], "--now"),
        (vec!["pull", "seven", "--url", &url], "is not a version"),
        (vec!["diff", EXAMPLE], "expected 2 arguments"),
        (vec!["diff", EXAMPLE, "3"], "needs the Worker's address"),
        (vec!["history", "x", "--url", &url], "expected 0 arguments"),
        (vec!["history", "--url", &url, "--limit", "0"], "--limit must be a whole number"),
        (vec!["rollback", "current", "--url", &url], "rollback takes a version number"),
        (vec!["rollback", "v0", "--url", &url], "rollback takes a version number"),
    ];
    for (args, says) in cases {
        let o = run_ops(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // --json: the usage error as the one JSON object.
    let j = one_json(&run_ops(&["rollback", "--json"]));
    assert_eq!((j["error"]["code"].as_str(), j["error"]["exit"].as_u64()), (Some("USAGE"), Some(2)));
    // --help lists the operator's commands.
    let help = stdout(&run_ops(&["--help"]));
    for cmd in [
        "edgeflags push FILE --url URL",
        "edgeflags pull",
        "edgeflags diff A B",
        "edgeflags history",
        "edgeflags rollback VERSION",
        "EDGEFLAGS_TOKEN",
    ] {
        assert!(help.contains(cmd), "{cmd} in {help}");
    }
}

/// The blast radius's default sample is embedded at build time
/// (src/bin/edgeflags/sample.rs): every evaluation vector file must be in it.
#[test]
fn every_vector_file_is_embedded() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin/edgeflags/sample.rs")).unwrap();
    let mut embedded: Vec<String> = src
        .split("include_str!(\"../../../tests/vectors/evaluation/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    embedded.sort();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/evaluation");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(embedded, files, "add the new vector files to VECTOR_FILES in src/bin/edgeflags/sample.rs");
}
