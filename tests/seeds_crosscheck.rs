//! Cross-check against the seeds' own Python (issue 2 §5): `tests/seeds/crosscheck.py`
//! runs the `FeatureFlags` / `DatabaseFeatureFlags` logic of the design notes
//! with `shared/spec/bucketing.py` over 10,000 users (and no user at all), and
//! the seeds' `graduated_rollout` and `SCurveRollout` over time. Every answer
//! must equal the core's, and the CLI's for the flag configs.
//!
//! Python is required: a missing `python3` fails these tests, it never skips them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use edgeflags::{Context, Reason, Ruleset, Value};

/// The spec's reference `bucketing.py`, vendored verbatim beside the
/// vector generator (tests/vectors/README.md; checked against ../shared).
const SPEC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/gen");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seeds/crosscheck.py");

/// The script's output lines for `mode`, parsed.
fn python(mode: &str) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .args([SCRIPT, SPEC_DIR, mode])
        .output()
        .expect("python3 must be installed (scripts/setup.sh installs it)");
    assert!(out.status.success(), "crosscheck.py {mode} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn context(user: &serde_json::Value) -> Context {
    match user.as_str() {
        Some(u) => Context::with_user(u),
        None => Context::new(),
    }
}

struct SeedFlags {
    ruleset_json: String,
    keys: Vec<String>,
    /// (user id or None, expected answer per key)
    rows: Vec<(Option<String>, Vec<bool>)>,
}

fn seed_flags() -> SeedFlags {
    let lines = python("flags");
    let keys: Vec<String> = lines[1].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let rows = lines[2..]
        .iter()
        .map(|l| {
            let bits = l[1].as_str().unwrap();
            assert_eq!(bits.len(), keys.len());
            (l[0].as_str().map(str::to_string), bits.bytes().map(|b| b == b'1').collect())
        })
        .collect();
    SeedFlags { ruleset_json: lines[0].to_string(), keys, rows }
}

#[test]
fn seed_feature_flags_agree_with_the_core_for_10000_users() {
    let seed = seed_flags();
    assert!(seed.rows.len() > 10_000, "10,000 users plus no user");
    assert!(seed.rows.iter().any(|r| r.0.is_none()), "the user_id=None case is covered");
    // The seeds' configs load verbatim.
    let rs = Ruleset::from_json(&seed.ruleset_json).unwrap_or_else(|e| panic!("{e}"));
    let mut on = vec![0usize; seed.keys.len()];
    for (user, want) in &seed.rows {
        let ctx = match user {
            Some(u) => Context::with_user(u),
            None => Context::new(),
        };
        for (i, key) in seed.keys.iter().enumerate() {
            let e = rs.evaluate(key, &ctx, 0, &Value::Bool(false));
            assert_eq!(e.error_code, None, "{key}");
            let got = e.value.as_bool().unwrap_or_else(|| panic!("{key}: not a boolean: {}", e.value));
            assert_eq!(got, want[i], "flag {key}, user {user:?}: core says {got}, the seeds' Python says {}", want[i]);
            on[i] += usize::from(got);
        }
    }
    // The comparison is not vacuous: rollouts are partial, as configured.
    let n = seed.rows.len() as f64;
    let share = |key: &str| on[seed.keys.iter().position(|k| k == key).unwrap()] as f64 / n;
    for (key, p) in
        [("new_search", 0.20), ("percentage_and_enabled", 0.30), ("bare_number", 0.25), ("db_rollout_enabled", 0.40)]
    {
        assert!((share(key) - p).abs() < 0.03, "{key}: share {} far from {p}", share(key));
    }
    assert_eq!(share("new_dashboard"), 1.0);
    assert_eq!(share("maintenance"), 0.0);
    let listed = seed.rows.iter().filter(|r| matches!(r.0.as_deref(), Some("user:1" | "user:42"))).count();
    assert_eq!(on[seed.keys.iter().position(|k| k == "dark_mode").unwrap()], listed);
}

/// The seeds' config shapes produce the reasons the README promises.
#[test]
fn seed_shapes_give_openfeature_reasons() {
    let rs = Ruleset::from_json(&seed_flags().ruleset_json).unwrap();
    let reason = |key: &str, ctx: &Context| rs.evaluate(key, ctx, 0, &Value::Null).reason;
    let user42 = Context::with_user("user:42");
    assert_eq!(reason("maintenance", &user42), Reason::Static);
    assert_eq!(reason("new_dashboard", &user42), Reason::Static);
    assert_eq!(reason("dark_mode", &user42), Reason::TargetingMatch);
    assert_eq!(reason("dark_mode", &Context::with_user("user:2")), Reason::Default);
    assert_eq!(reason("new_search", &user42), Reason::Split);
    // No user id: the rollout is skipped, never random; `enabled` decides.
    assert_eq!(reason("percentage_and_enabled", &Context::new()), Reason::Default);
    assert_eq!(rs.evaluate("percentage_and_enabled", &Context::new(), 0, &Value::Null).value, &Value::Bool(true));
}

/// The same answers through `edgeflags eval` (JSON lines), for the first
/// 2,500 users and no user: the CLI path is the core's plus parsing and
/// writing, so a sample keeps the test fast in debug builds.
#[test]
fn seed_feature_flags_agree_with_the_cli() {
    let mut seed = seed_flags();
    seed.rows.truncate(2_501);
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("seeds_crosscheck_ruleset.json");
    std::fs::write(&file, &seed.ruleset_json).unwrap();
    let mut input = String::new();
    for (user, _) in &seed.rows {
        let ctx = match user {
            Some(u) => serde_json::json!({ "user_id": u }),
            None => serde_json::json!({}),
        };
        for key in &seed.keys {
            input.push_str(&serde_json::json!({"flag": key, "context": ctx, "default": false}).to_string());
            input.push('\n');
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_edgeflags"))
        .args(["eval", file.to_str().unwrap(), "--now", "2026-01-01T00:00:00Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut results = text.lines();
    for (user, want) in &seed.rows {
        for (i, key) in seed.keys.iter().enumerate() {
            let line = results.next().expect("one output line per input line");
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(r["value"], serde_json::Value::Bool(want[i]), "CLI: flag {key}, user {user:?}: {line}");
            assert!(r["errorCode"].is_null(), "{line}");
        }
    }
    assert_eq!(results.next(), None);
}

/// `graduated_rollout`'s target percentage per day, and `SCurveRollout`'s
/// percentage every 20 minutes, observed through rollout membership of
/// 1,000 users (distinct percentages give distinct member sets).
#[test]
fn seed_schedules_agree_with_the_core() {
    let lines = python("schedules");
    let rs = Ruleset::from_json(&lines[0].to_string()).unwrap_or_else(|e| panic!("{e}"));
    let units: Vec<Context> = lines[1].as_array().unwrap().iter().map(context).collect();
    let mut percentages_seen = std::collections::BTreeSet::new();
    for l in &lines[2..] {
        let (flag, now, pct, bits) =
            (l[0].as_str().unwrap(), l[1].as_i64().unwrap(), l[2].as_f64().unwrap(), l[3].as_str().unwrap());
        percentages_seen.insert((flag.to_string(), (pct * 10.0) as i64));
        for (ctx, want) in units.iter().zip(bits.bytes()) {
            let got = rs.evaluate(flag, ctx, now, &Value::Null).value == &Value::Bool(true);
            assert_eq!(
                got,
                want == b'1',
                "{flag} at {} (seed percentage {pct}): user {:?}",
                edgeflags::time::format_rfc3339(now),
                ctx.get("user_id")
            );
        }
    }
    let count = |flag: &str| percentages_seen.iter().filter(|(f, _)| f == flag).count();
    // Every step (and the 0 before the first) and most whole percents of the curves were visited.
    assert_eq!(count("steps_seed"), 6);
    assert_eq!(count("steps_late"), 4);
    assert!(count("s_curve_default") > 60, "{}", count("s_curve_default"));
    assert!(count("s_curve_custom") > 30, "{}", count("s_curve_custom"));
}
