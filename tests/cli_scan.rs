//! `edgeflags scan` through the built binary (issue 15 parts 1 and 4), on
//! the fixture tree tests/fixtures/code-refs/: references in every
//! supported language, aliases, a pattern, false friends (a key inside a
//! longer literal, in a comment, a commented-out call), left-out folders
//! (`.gitignore`, hidden, the config's `exclude`) and a binary file; every
//! output format; and the scan of this repository itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_edgeflags");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/code-refs");
const RULESET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/code-refs/ruleset.json");
/// A fixed clock: what is stale must not change with the day.
const NOW: &str = "2026-11-30T00:00:00Z";

fn scan(dir: &str, extra: &[&str]) -> Output {
    let mut args = vec!["scan", dir, "--now", NOW];
    args.extend_from_slice(extra);
    Command::new(BIN).args(&args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&stdout(o)).unwrap()
}

/// `file:line:column how` of each reference.
fn places(refs: &Value) -> Vec<String> {
    refs.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!("{}:{}:{} {}", r["file"].as_str().unwrap(), r["line"], r["column"], r["how"].as_str().unwrap())
        })
        .collect()
}

fn flag<'a>(report: &'a Value, list: &str, key: &str) -> &'a Value {
    report[list].as_array().unwrap().iter().find(|f| f["flag"] == key).unwrap_or_else(|| panic!("{key} not in {list}"))
}

#[test]
fn every_reference_with_its_place_and_how_it_was_found() {
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json"]));
    assert_eq!(
        places(&flag(&r, "flags", "new_search")["references"]),
        [
            "go/main.go:5:14 string literal",
            "java/Main.java:4:40 call to getBooleanValue",
            "py/app.py:6:27 call to is_enabled",
            "py/app.py:12:10 string literal",
            "ruby/app.rb:3:19 string literal",
            "rust/lib.rs:15:26 call to is_enabled",
            "rust/lib.rs:28:11 alias (SCREAMING_SNAKE_CASE)",
            "web/src/app.ts:4:24 call to isEnabled",
            "web/src/app.ts:15:21 string literal",
            "web/src/app.ts:18:28 alias (camelCase)",
            "web/src/flags.d.ts:9:3 alias (camelCase)",
            "web/src/view.tsx:3:50 call to isEnabled",
        ]
    );
    assert_eq!(
        places(&flag(&r, "flags", "dark_mode")["references"]),
        [
            "go/main.go:4:7 alias (camelCase)",
            "go/main.go:4:19 string literal",
            "web/src/app.ts:12:44 call to isEnabled"
        ]
    );
    assert_eq!(
        places(&flag(&r, "flags", "old_banner")["references"]),
        [
            "py/app.py:11:29 call to is_enabled",
            "rust/lib.rs:27:26 string literal",
            "web/src/app.ts:10:49 call to isEnabled"
        ]
    );
    assert_eq!(
        places(&flag(&r, "flags", "checkout_v2")["references"]),
        [
            "kotlin/App.kt:2:14 string literal",
            "web/src/legacy.js:3:24 call to isEnabled",
            "web/src/legacy.js:4:29 pattern"
        ]
    );
    assert_eq!(
        places(&flag(&r, "flags", "legacy_theme")["references"]),
        ["kotlin/App.kt:1:60 call to getStringValue", "web/src/app.ts:11:53 call to variant"]
    );
    assert_eq!(places(&flag(&r, "flags", "max_items")["references"]), ["rust/lib.rs:23:27 call to variant"]);
    assert_eq!(r["files"], 11, "vendor/, generated/ and .hidden/ are left out");
    assert_eq!(r["skipped"], 1, "web/src/blob.js is binary");
}

#[test]
fn false_friends_and_left_out_folders_are_not_references() {
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json"]));
    // unused_flag is written only in comments, a commented-out call, the
    // excluded vendor/, the git-ignored generated/, the hidden .hidden/
    // and a binary file.
    assert_eq!(r["unreferenced"], serde_json::json!(["unused_flag"]));
    let all: Vec<String> = r["flags"].as_array().unwrap().iter().flat_map(|f| places(&f["references"])).collect();
    for not in ["web/src/app.ts:13:", "web/src/app.ts:14:", "web/src/app.ts:17:", "rust/lib.rs:26:", "rust/lib.rs:30:"]
    {
        assert!(!all.iter().any(|p| p.starts_with(not)), "{not} is not a reference: {all:?}");
    }
    for dir in ["vendor/", "generated/", ".hidden/", "web/src/blob.js"] {
        assert!(!stdout(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json"])).contains(dir));
    }
}

#[test]
fn keys_missing_from_the_ruleset_fail_only_with_strict() {
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json"]));
    let missing: Vec<(String, Vec<String>)> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["flag"].as_str().unwrap().to_string(), places(&m["references"])))
        .collect();
    assert_eq!(
        missing,
        [
            ("beta_banner".to_string(), vec!["web/src/app.ts:19:31 pattern".to_string()]),
            ("new_search_v2".to_string(), vec!["web/src/app.ts:16:36 call to isEnabled".to_string()]),
        ]
    );
    assert_eq!(scan(FIXTURE, &["--ruleset", RULESET, "--strict"]).status.code(), Some(1));
    // A ruleset that has both: nothing is missing, --strict passes.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan-strict");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(RULESET)
        .unwrap()
        .replace("\"unused_flag\"", "\"beta_banner\": true, \"new_search_v2\": true, \"unused_flag\"");
    let full = dir.join("ruleset.json");
    std::fs::write(&full, text).unwrap();
    assert_eq!(scan(FIXTURE, &["--ruleset", full.to_str().unwrap(), "--strict"]).status.code(), Some(0));
}

#[test]
fn cleanup_candidates_come_with_the_value_to_keep_and_why() {
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json"]));
    let c: Vec<(String, Value, Value)> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["flag"].as_str().unwrap().to_string(), c["keep"].clone(), c["reasons"].clone()))
        .collect();
    use serde_json::json;
    assert_eq!(
        c,
        [
            ("new_search".into(), json!(true), json!(["fully_rolled_out"])),
            ("old_banner".into(), json!(true), json!(["static"])),
            ("checkout_v2".into(), json!(false), json!(["killed", "static"])),
            ("legacy_theme".into(), json!("green"), json!(["static"])),
            ("max_items".into(), json!(50), json!(["static"])),
        ]
    );
    assert_eq!(flag(&r, "candidates", "new_search")["owner"], "search-team");
    assert_eq!(flag(&r, "candidates", "max_items")["references"][0]["file"], "rust/lib.rs");
}

#[test]
fn text_report() {
    let o = scan(FIXTURE, &["--ruleset", RULESET]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    assert!(t.starts_with("scanned 11 files (1 skipped): 24 references to 6 of 7 flags\n"), "{t}");
    for line in [
        "referenced in code but not in the ruleset (2):\n  beta_banner\n    web/src/app.ts:19:31  pattern\n",
        "in the ruleset but not referenced by any code (1):\n  unused_flag\n",
        "  legacy_theme: keep \"green\" (static)\n    kotlin/App.kt:1:60  call to getStringValue\n",
        "  new_search: keep true (fully_rolled_out, owner search-team)\n",
        "  max_items (1): rust/lib.rs:23\n",
    ] {
        assert!(t.contains(line), "{line:?} not in\n{t}");
    }
}

#[test]
fn github_annotations() {
    let o = scan(FIXTURE, &["--ruleset", RULESET, "--format", "github", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    let t = stdout(&o);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=web/src/app.ts,line=19,col=31::flag \"beta_banner\" is referenced here (pattern) but is not in the ruleset"
    );
    assert!(lines.contains(
        &"::warning file=rust/lib.rs,line=23,col=27::flag \"max_items\" is a cleanup candidate (static): keep 50"
    ));
    // The ruleset is under the scanned root: the unreferenced flag points at its key.
    assert_eq!(
        lines.last().unwrap(),
        &"::notice file=ruleset.json,line=12::flag \"unused_flag\" is in the ruleset but no code references it"
    );
}

#[test]
fn sarif() {
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "sarif"]));
    assert_eq!(r["version"], "2.1.0");
    assert!(r["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &r["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "edgeflags");
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let rules: Vec<&str> = driver["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rules, ["flag-not-in-ruleset", "flag-not-referenced", "flag-cleanup-candidate"]);
    let results = run["results"].as_array().unwrap();
    // 2 missing + 21 references of candidates + 1 unreferenced.
    assert_eq!(results.len(), 24);
    let first = &results[0];
    assert_eq!(first["ruleId"], "flag-not-in-ruleset");
    assert_eq!(first["level"], "warning");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "web/src/app.ts");
    assert_eq!(loc["region"]["startLine"], 19);
    assert_eq!(loc["region"]["startColumn"], 31);
    let last = results.last().unwrap();
    assert_eq!(last["ruleId"], "flag-not-referenced");
    assert_eq!(last["level"], "note");
    assert_eq!(last["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "ruleset.json");
    assert!(results.iter().all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .is_some_and(|u| !u.contains('\\') && !u.starts_with('/'))));
}

#[test]
fn comments_count_when_the_config_says_so() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan-comments");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("scan.toml");
    std::fs::write(&cfg, "exclude = [\"vendor/\"]\ncomments = true\n").unwrap();
    let r = json(&scan(FIXTURE, &["--ruleset", RULESET, "--format", "json", "--config", cfg.to_str().unwrap()]));
    assert_eq!(
        places(&flag(&r, "flags", "unused_flag")["references"]),
        [
            "go/main.go:3:5 comment",
            "py/app.py:13:22 comment",
            "ruby/app.rb:1:4 comment",
            "web/src/app.ts:13:21 comment",
            "web/src/app.ts:14:9 comment",
        ]
    );
    // Still whole words only: "dark_mode" in rust/lib.rs's comment, not "new_search_v2".
    assert!(places(&flag(&r, "flags", "dark_mode")["references"]).contains(&"rust/lib.rs:26:5 comment".to_string()));
}

#[test]
fn usage_and_input_errors_exit_2() {
    assert_eq!(scan(FIXTURE, &[]).status.code(), Some(2), "no --ruleset");
    assert_eq!(scan(FIXTURE, &["--ruleset", "/nonexistent.json"]).status.code(), Some(2));
    let o = scan(FIXTURE, &["--ruleset", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/code-refs/.gitignore")]);
    assert_eq!(o.status.code(), Some(2), "an invalid ruleset");
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid ruleset"));
    assert_eq!(scan("/nonexistent-dir", &["--ruleset", RULESET]).status.code(), Some(2));
    assert_eq!(scan(FIXTURE, &["--ruleset", RULESET, "--format", "xml"]).status.code(), Some(2));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan-bad-config");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[aliases]\npatterns = ['no group']\n").unwrap();
    let o = scan(FIXTURE, &["--ruleset", RULESET, "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no capture group"));
}

/// `edgeflags scan . --ruleset examples/ruleset.json` on this repository,
/// with its own .edgeflags-scan.toml (docs/code-references.md shows it).
#[test]
fn this_repository() {
    let o = Command::new(BIN)
        .current_dir(ROOT)
        .args(["scan", ".", "--ruleset", "examples/ruleset.json", "--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let r = json(&o);
    assert_eq!(r["missing"], serde_json::json!([]));
    // Built from parts: written whole here, each would be a reference itself.
    // (The dashboard's tests in Chromium reference the rest of the example.)
    let unreferenced: Vec<String> = [("api", "version")].iter().map(|(a, b)| format!("{a}_{b}")).collect();
    assert_eq!(r["unreferenced"], serde_json::json!(unreferenced));
    let text = stdout(&o);
    for left_out in ["tests/fixtures/code-refs/", "target/", "node_modules/", "tests/js/"] {
        assert!(!text.contains(left_out), "{left_out} is left out");
    }
    let dark = places(&flag(&r, "flags", "dark_mode")["references"]);
    assert!(dark.contains(&"examples/react/src/App.jsx:15:37 call to useBooleanFlagValue".to_string()), "{dark:?}");
    let candidates: Vec<&str> =
        r["candidates"].as_array().unwrap().iter().map(|c| c["flag"].as_str().unwrap()).collect();
    assert!(candidates.contains(&"new_dashboard") && candidates.contains(&"legacy_banner"), "{candidates:?}");
    assert_eq!(flag(&r, "candidates", "new_dashboard")["keep"], true);
}

/// A Worker that answers one request with the fixture's ruleset and
/// reports the request line and its Authorization header.
fn one_answer_worker() -> (String, std::thread::JoinHandle<(String, String)>) {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let body = std::fs::read_to_string(RULESET).unwrap();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let (mut first, mut auth) = (String::new(), String::new());
        r.read_line(&mut first).unwrap();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if line.to_ascii_lowercase().starts_with("authorization:") {
                auth = line.trim().to_string();
            }
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"1\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body.as_bytes()).unwrap();
        (first.trim().to_string(), auth)
    });
    (url, h)
}

#[test]
fn the_ruleset_from_a_worker() {
    // With a token: the full current document (server-only flags, metadata).
    let (url, h) = one_answer_worker();
    let o = Command::new(BIN)
        .env_remove("EDGEFLAGS_TOKEN")
        .args(["scan", FIXTURE, "--ruleset", &url, "--token", "t0k", "--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let (request, auth) = h.join().unwrap();
    assert_eq!(request, "GET /v1/versions/current HTTP/1.1");
    assert!(auth.eq_ignore_ascii_case("authorization: bearer t0k"), "{auth}");
    let r = json(&o);
    assert_eq!(r["unreferenced"], serde_json::json!(["unused_flag"]));
    // Without one: the client view, and a word about what it lacks.
    let (url, h) = one_answer_worker();
    let o =
        Command::new(BIN).env_remove("EDGEFLAGS_TOKEN").args(["scan", FIXTURE, "--ruleset", &url]).output().unwrap();
    assert_eq!(h.join().unwrap().0, "GET /v1/ruleset HTTP/1.1");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("client view"));
}
