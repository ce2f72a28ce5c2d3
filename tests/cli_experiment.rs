//! The offline experiment commands through the built binary:
//! `sample-size` (text, `--json`, exit 2 on bad input) and `experiment`
//! (exported events + the ruleset -> the report; one flag or every
//! experiment; stdin; a bad line named by its number, exit 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_edgeflags");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ruleset.json");

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_string();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    // The command may stop reading early (a bad line): a closed pipe is fine.
    let _ = writer.join().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn one_json(o: &Output) -> serde_json::Value {
    let text = stdout(o);
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

fn temp_file(name: &str, text: &str) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-experiment-{name}"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

// ----------------------------------------------------------- sample-size

#[test]
fn sample_size_text_and_json() {
    // The design notes' example: 31,231 per variant.
    let o = run(&["sample-size", "--baseline", "0.05", "--mde", "0.1"], "");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("31,231 units per variant, 62,462 in all (2 variants)\n"), "{text}");
    assert!(text.contains("5% -> 5.5% (+10% relative) at alpha 0.05 (two-sided), power 80%"), "{text}");

    let o = run(
        &["sample-size", "--baseline=0.05", "--mde", "0.1", "--variants", "3", "--daily-traffic", "7000", "--json"],
        "",
    );
    assert_eq!(o.status.code(), Some(0));
    let j = one_json(&o);
    assert_eq!(j["per_variant"], 31231);
    assert_eq!(j["total"], 93693);
    assert_eq!(j["days"], 14); // ceil(93,693 / 7,000), the reference "three variants" case
    assert_eq!(j["effect"], "relative");
    assert!((j["treatment_rate"].as_f64().unwrap() - 0.055).abs() < 1e-15);

    // Absolute: 5% -> 6%, the reference "absolute effect" case; days in text.
    let o = run(&["sample-size", "--baseline", "0.05", "--mde", "0.01", "--absolute", "--daily-traffic", "1000"], "");
    let text = stdout(&o);
    assert!(text.starts_with("8,155 units per variant"), "{text}");
    assert!(text.contains("5% -> 6% (+1 percentage point)"), "{text}");
    assert!(text.contains("17 days at 1000 units a day"), "{text}");
    let j = one_json(&run(&["sample-size", "--baseline", "0.05", "--mde", "0.01", "--absolute", "--json"], ""));
    assert_eq!((j["per_variant"].as_u64(), j["days"].is_null()), (Some(8155), true));
}

#[test]
fn sample_size_bad_input_exits_2() {
    for (args, says) in [
        (&["sample-size"][..], "--baseline (the control's rate, e.g. 0.05) is required"),
        (&["sample-size", "--baseline", "x"], "--baseline must be a number, not \"x\""),
        (&["sample-size", "--baseline", "1.5"], "--baseline must be strictly between 0 and 1, not 1.5"),
        (&["sample-size", "--baseline", "0.05", "--mde", "0"], "--mde must be non-zero"),
        (&["sample-size", "--baseline", "0.05", "--mde", "-2"], "--mde -2 gives a treatment rate of -0.05"),
        (&["sample-size", "--baseline", "0.05", "--alpha", "5"], "--alpha must be strictly between 0 and 1"),
        (&["sample-size", "--baseline", "0.05", "--variants", "1"], "--variants must be a whole number from 2"),
        (&["sample-size", "--baseline", "0.05", "--daily-traffic", "0"], "--daily-traffic must be greater than 0"),
        (&["sample-size", "--baseline", "0.05", "--frobnicate"], "unknown option \"--frobnicate\""),
        (&["sample-size", "--baseline"], "--baseline needs a value"),
        (&["sample-size", "0.05"], "takes no arguments"),
    ] {
        let o = run(args, "");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // With --json the error is a JSON document too.
    let j = one_json(&run(&["sample-size", "--baseline", "2", "--json"], ""));
    assert_eq!(j["command"], "sample-size");
    assert_eq!(j["error"]["exit"], 2);
    assert!(j["error"]["message"].as_str().unwrap().starts_with("--baseline must be"));
}

// ------------------------------------------------------------ experiment

/// Exported events of `checkout_experiment` (examples/ruleset.json, split
/// 50/25/25): control converts 5%, variant_a 8%, variant_b 5%, decided by
/// the unit's number so the file is the same on every run.
fn export() -> String {
    let mut lines = Vec::new();
    for i in 0..12_000u64 {
        let variant = match i % 4 {
            0 | 1 => "control",
            2 => "variant_a",
            _ => "variant_b",
        };
        let t = 1_764_500_000_000 + i * 60_000;
        lines.push(format!(
            r#"{{"type": "exposure", "flag": "checkout_experiment", "variant": "{variant}", "unit": "user:{i}", "id": "x{i}", "time": {t}}}"#
        ));
        let per_hundred = if variant == "variant_a" { 8 } else { 5 };
        if (i / 4) % 100 < per_hundred {
            lines.push(format!(r#"{{"type": "track", "event": "purchase", "unit": "user:{i}", "id": "p{i}"}}"#));
            lines.push(format!(
                r#"{{"type": "track", "event": "revenue", "unit": "user:{i}", "value": 25, "id": "r{i}"}}"#
            ));
        }
        if i % 1000 == 0 {
            lines.push(String::new()); // blank lines are skipped
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn experiment_report_text_and_json() {
    let file = temp_file("events.jsonl", &export());
    let o = run(&["experiment", &file, "--ruleset", EXAMPLE, "--flag", "checkout_experiment", "--json"], "");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = one_json(&o);
    assert_eq!(j["flag"], "checkout_experiment");
    assert_eq!(j["control"], "control");
    let units: Vec<u64> = j["variants"].as_array().unwrap().iter().map(|v| v["units"].as_u64().unwrap()).collect();
    assert_eq!(units, [6000, 3000, 3000]);
    assert_eq!(j["srm"]["mismatch"], false);
    assert_eq!(j["metrics"][0]["variants"][0]["converted"], 300);
    assert_eq!(j["metrics"][0]["variants"][1]["converted"], 240);
    assert_eq!(j["metrics"][1]["variants"][1]["mean"], 2.0); // 240 x 25 / 3000
    assert_eq!(j["verdict"]["status"], "better");
    assert_eq!(j["verdict"]["variant"], "variant_a");
    assert_eq!(j["sample_size"]["per_variant_needed"], 31231);
    // 11,999 minutes from the first exposure to the last event.
    assert!((j["sample_size"]["days_elapsed"].as_f64().unwrap() - 11_999.0 / 1_440.0).abs() < 1e-12);

    // The same from stdin, as text: the verdict first, then a table per metric.
    let o = run(&["experiment", "-", "--ruleset", EXAMPLE], &export());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let first: Vec<&str> = text.lines().take(2).collect();
    assert_eq!(first[0], "checkout_experiment: better (variant_a)");
    assert!(
        first[1].starts_with("  variant_a is better than control on purchase: +60.0% (+3.00 percentage points)"),
        "{text}"
    );
    for needle in [
        "units    control 6,000 (50%, control), variant_a 3,000 (25%), variant_b 3,000 (25%)",
        "split    as configured",
        "size     3,000 of 31,231 units per variant (9.6%)",
        "purchase (conversion, higher is better)",
        "revenue (mean, higher is better)",
        "refund (conversion, lower is better)",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
    let row = text.lines().find(|l| l.trim_start().starts_with("variant_a") && l.contains(" pp ")).unwrap();
    assert!(row.contains("240") && row.contains("8.00%") && row.trim_end().ends_with("yes"), "{row}");

    // Every experiment of the ruleset: the list endpoint's shape.
    let o = run(&["experiment", &file, "--ruleset", EXAMPLE, "--json"], "");
    let j = one_json(&o);
    let list = j["experiments"].as_array().unwrap();
    assert!(list.iter().any(|r| r["flag"] == "checkout_experiment"));
}

#[test]
fn experiment_bad_input_exits_2_with_the_line() {
    let good = r#"{"type": "exposure", "flag": "checkout_experiment", "variant": "control", "unit": "u1"}"#;
    let file = temp_file("bad.jsonl", &format!("{good}\n\n{good}\n{{\"type\": \"track\", \"unit\": \"u1\"}}\n"));
    let o = run(&["experiment", &file, "--ruleset", EXAMPLE], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("{file}:4: ")), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"event\""), "{}", stderr(&o));
    let o = run(&["experiment", "-", "--ruleset", EXAMPLE, "--json"], &format!("{good}\nnot json\n"));
    assert_eq!(o.status.code(), Some(2));
    let j = one_json(&o);
    assert_eq!(j["command"], "experiment");
    assert!(j["error"]["message"].as_str().unwrap().starts_with("stdin:2: "), "{j}");

    let events = temp_file("ok.jsonl", &format!("{good}\n"));
    for (args, code, says) in [
        (vec!["experiment", &events], 2, "--ruleset FILE is required"),
        (vec!["experiment", "--ruleset", EXAMPLE], 2, "experiment takes one EVENTS.jsonl file"),
        (vec!["experiment", "/nonexistent/events.jsonl", "--ruleset", EXAMPLE], 2, "/nonexistent/events.jsonl: "),
        (vec!["experiment", &events, "--ruleset", EXAMPLE, "--flag", "nope"], 2, "no flag \"nope\""),
        (
            vec!["experiment", &events, "--ruleset", EXAMPLE, "--flag", "dark_mode"],
            2,
            "\"dark_mode\" is not an experiment",
        ),
        (vec!["experiment", &events, "--ruleset", EXAMPLE, "--now", "tomorrow"], 2, "--now: "),
    ] {
        let o = run(&args, "");
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // A ruleset without experiments, and an invalid one (exit 1, as validate).
    let plain = temp_file("plain.json", r#"{"flags": {"a": {"percentage": 10}}}"#);
    let o = run(&["experiment", &events, "--ruleset", &plain], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no flag is an experiment"), "{}", stderr(&o));
    let invalid = temp_file("invalid.json", r#"{"flags": {"a": {"percentage": 150}}}"#);
    let o = run(&["experiment", &events, "--ruleset", &invalid], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("flags.a.percentage"), "{}", stderr(&o));
}

#[test]
fn help_lists_the_commands() {
    let o = run(&["--help"], "");
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("edgeflags sample-size --baseline RATE") && text.contains("edgeflags experiment EVENTS.jsonl")
    );
}
