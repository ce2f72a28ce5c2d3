//! The operator's commands against a Worker's management API: `push`,
//! `pull`, `diff`, `history`, `rollback` (docs/worker.md, "The operator's
//! CLI"), and `rollout` (guarded rollouts, in `rollout.rs`). Fetching, asking and printing happen here; what a change does
//! is decided by the core (`edgeflags::diff`).
//!
//! With `--json` a command prints one JSON object on stdout at its end,
//! whatever happened (an `error` member when it failed), and never asks
//! anything; without it, text for people on stdout and errors on stderr.

use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use edgeflags::diff::{BlastRadius, RulesetDiff};
use edgeflags::time::{format_rfc3339, parse_rfc3339, Millis};
use edgeflags::{LoadError, Ruleset, Value};

use crate::args;
use crate::client::{version_number, Client};
use crate::fail::{Exit, Fail};
use crate::{render, sample};

#[path = "rollout.rs"]
mod rollout;

pub const USAGE: &str =
    "  edgeflags push FILE --url URL [--yes] [--dry-run] [--contexts FILE.jsonl] [--now RFC3339] [--json]
  edgeflags pull [VERSION] --url URL [-o FILE] [--json]
  edgeflags diff A B [--url URL] [--contexts FILE.jsonl] [--now RFC3339] [--json]
                                          (A, B: a file, or a version: 7, v7, current)
  edgeflags history --url URL [--limit N] [--json]
  edgeflags rollback VERSION --url URL [--yes] [--dry-run] [--contexts FILE.jsonl] [--now RFC3339] [--json]
  edgeflags rollout status [FLAG] --url URL [--limit N] [--json]
  edgeflags rollout pause|resume|abort FLAG --url URL [--yes] [--json]
  (the admin token comes from EDGEFLAGS_TOKEN; --url falls back to EDGEFLAGS_URL)";

/// The commands this module runs.
pub const COMMANDS: &[&str] = &["push", "pull", "diff", "history", "rollback", "rollout"];

/// Runs `cmd` (one of [`COMMANDS`]) and prints its outcome.
pub fn run(cmd: &str, args: &[String]) -> ExitCode {
    let json = args.iter().any(|a| a == "--json");
    let mut r = Report { json, members: vec![("command".into(), s(cmd))] };
    let result = match cmd {
        "push" => push(args, &mut r),
        "pull" => pull(args, &mut r),
        "diff" => diff(args, &mut r),
        "history" => history(args, &mut r),
        "rollout" => rollout::run(args, &mut r),
        _ => rollback(args, &mut r),
    };
    match result {
        Ok(()) => {
            r.finish();
            ExitCode::SUCCESS
        }
        Err(f) => {
            f.print(cmd, USAGE);
            r.set("error", f.to_value());
            r.finish();
            f.exit_code()
        }
    }
}

/// What a command says: text lines as it goes (people), or one JSON
/// object at its end (`--json`).
struct Report {
    json: bool,
    members: Vec<(String, Value)>,
}

impl Report {
    fn set(&mut self, key: &str, v: Value) {
        match self.members.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = v,
            None => self.members.push((key.to_string(), v)),
        }
    }

    /// Text for people; a reader that went away does not stop a command
    /// that may be about to publish.
    fn say(&self, lines: &[String]) {
        if !self.json {
            let mut out = io::stdout().lock();
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = out.flush();
        }
    }

    fn finish(self) {
        if self.json {
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "{}", Value::Object(self.members).to_json());
            let _ = out.flush();
        }
    }
}

// ------------------------------------------------------------- arguments

#[derive(Default)]
struct Opts {
    pos: Vec<String>,
    url: Option<String>,
    out: Option<String>,
    contexts: Option<String>,
    limit: Option<usize>,
    now: Option<Millis>,
    yes: bool,
    dry_run: bool,
}

/// Parses `args` (after the command), accepting only the `allowed`
/// options; `positional` is how many positional arguments there must be
/// (`(min, max)`).
fn opts(args: &[String], allowed: &[&str], positional: (usize, usize)) -> Result<Opts, Fail> {
    let mut o = Opts::default();
    let mut a = args::Args::new(args);
    while let Some(item) = a.next()? {
        let name = match item {
            args::Item::Pos(p) => {
                o.pos.push(p);
                continue;
            }
            args::Item::Opt(n) => match n.as_str() {
                "-y" => "--yes".to_string(),
                "--output" => "-o".to_string(),
                _ => n,
            },
        };
        if name != "--json" && !allowed.contains(&name.as_str()) {
            return Err(args::unknown(&name));
        }
        match name.as_str() {
            "--url" => o.url = Some(a.value(&name)?),
            "-o" => o.out = Some(a.value(&name)?),
            "--contexts" => o.contexts = Some(a.value(&name)?),
            "--limit" => {
                let v = a.value(&name)?;
                o.limit = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| Fail::usage(format!("--limit must be a whole number >= 1, not \"{v}\"")))?,
                );
            }
            "--now" => o.now = Some(parse_rfc3339(&a.value(&name)?).map_err(|e| Fail::usage(format!("--now: {e}")))?),
            "--yes" => o.yes = true,
            "--dry-run" => o.dry_run = true,
            _ => {} // --json: read by run()
        }
    }
    let (min, max) = positional;
    if o.pos.len() < min || o.pos.len() > max {
        let want = if min == max { format!("{min}") } else { format!("{min} to {max}") };
        return Err(Fail::usage(format!(
            "expected {want} argument{}, got {}",
            if max == 1 { "" } else { "s" },
            o.pos.len()
        )));
    }
    Ok(o)
}

fn now(o: &Opts) -> Result<Millis, Fail> {
    match o.now {
        Some(n) => Ok(n),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .map_err(|e| Fail::usage(format!("the clock: {e}"))),
    }
}

/// A version argument: `current`, `7` or `v7`.
#[derive(Clone, Copy)]
enum Spec {
    Current,
    Number(u64),
}

fn spec(arg: &str) -> Option<Spec> {
    if arg == "current" {
        return Some(Spec::Current);
    }
    let digits = arg.strip_prefix('v').unwrap_or(arg);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n >= 1).map(Spec::Number)
}

// ------------------------------------------------------------- documents

/// A ruleset document and its compiled form.
struct Doc {
    /// `FILE`, or `version 7`.
    label: String,
    version: Option<u64>,
    doc: Value,
    /// A stored version this build's core cannot load (stored before a
    /// validation rule it now has) still diffs and pulls; it only has no
    /// blast radius.
    rs: Result<Ruleset, LoadError>,
}

/// A local file, validated by the core: every problem with its path.
fn load_file(path: &str) -> Result<(String, Doc), Fail> {
    let text = std::fs::read_to_string(path).map_err(|e| Fail::usage(format!("{path}: {e}")))?;
    let rs = Ruleset::from_json(&text).map_err(|e| Fail::invalid(path, &e))?;
    // It loaded, so it parses.
    let doc = Value::parse(&text).map_err(|e| Fail::usage(format!("{path}: {e}")))?;
    Ok((text, Doc { label: path.to_string(), version: None, doc, rs: Ok(rs) }))
}

/// The current version number, `None` when nothing is published. Read from
/// `GET /v1/versions?limit=1`'s `current`: the management API's own view
/// (the Worker's store), not an isolate's cached copy.
fn current_version(c: &Client) -> Result<Option<u64>, Fail> {
    Ok(c.get("/v1/versions?limit=1")?.body.get("current").and_then(version_number))
}

/// Version `n`'s full document (`GET /v1/versions/{n}`, admin).
fn fetch_version(c: &Client, n: u64) -> Result<Doc, Fail> {
    let a = c.get(&format!("/v1/versions/{n}"))?;
    if a.etag.is_some_and(|e| e != n) {
        return Err(Fail::new(Exit::Server, "BAD_ANSWER", format!("asked {} for version {n}, got another", c.base())));
    }
    let rs = Ruleset::from_value(&a.body);
    Ok(Doc { label: format!("version {n}"), version: Some(n), doc: a.body, rs })
}

fn no_ruleset(c: &Client) -> Fail {
    Fail::new(Exit::Server, "NO_RULESET", format!("no ruleset is published at {} yet", c.base()))
}

/// The live document, or `None` when nothing is published yet.
fn live(c: &Client) -> Result<Option<Doc>, Fail> {
    match current_version(c)? {
        Some(n) => fetch_version(c, n).map(Some),
        None => Ok(None),
    }
}

fn fetch(c: &Client, sp: Spec) -> Result<Doc, Fail> {
    match sp {
        Spec::Number(n) => fetch_version(c, n),
        Spec::Current => live(c)?.ok_or_else(|| no_ruleset(c)),
    }
}

/// An empty ruleset, what is live before the first publish.
fn nothing() -> Result<Doc, Fail> {
    let doc = Value::Object(vec![("flags".into(), Value::Object(Vec::new()))]);
    let rs = Ruleset::from_value(&doc);
    Ok(Doc { label: "nothing".into(), version: None, doc, rs })
}

// ------------------------------------------------------------- the diff

/// Diff and blast radius of `before` -> `after`, printed and reported.
/// Returns whether anything differs.
fn compare(r: &mut Report, before: &Doc, after: &Doc, o: &Opts) -> Result<bool, Fail> {
    let sample = sample::load(o.contexts.as_deref())?;
    let at = now(o)?;
    let d = RulesetDiff::between(&before.doc, &after.doc);
    let br = match (&before.rs, &after.rs) {
        (Ok(b), Ok(a)) => Ok(BlastRadius::between(b, a, &sample.contexts, at)),
        (Err(e), _) => Err(format!("{} does not load with this CLI ({})", before.label, first_problem(e))),
        (_, Err(e)) => Err(format!("{} does not load with this CLI ({})", after.label, first_problem(e))),
    };
    let (added, removed, changed) = d.flag_counts();
    let side = |x: &Doc| {
        obj(vec![("label", s(&x.label)), ("version", x.version.map_or(Value::Null, |v| Value::Number(v as f64)))])
    };
    r.set("before", side(before));
    r.set("after", side(after));
    r.set(
        "summary",
        obj(vec![
            ("flags", obj(vec![("added", num(added)), ("removed", num(removed)), ("changed", num(changed))])),
            ("segments", num(d.segments.len())),
            ("routes", num(d.routes.len())),
            ("ruleset", num(d.ruleset.len())),
        ]),
    );
    r.set("diff", d.to_value());
    let mut lines = vec![format!("Diff: {} -> {}", before.label, after.label)];
    lines.extend(render::diff(&d));
    lines.push(String::new());
    match &br {
        Ok(br) => {
            let mut blast = br.to_value();
            if let Value::Object(m) = &mut blast {
                m.insert(0, ("now".into(), s(&format_rfc3339(at))));
                m.insert(0, ("source".into(), s(&sample.source)));
            }
            r.set("blastRadius", blast);
            lines.extend(render::blast(br, &d, &sample.source, &format_rfc3339(at)));
        }
        Err(why) => {
            r.set("blastRadius", Value::Null);
            r.set("blastRadiusSkipped", s(why));
            lines.push(format!("Blast radius: skipped: {why}."));
        }
    }
    r.say(&lines);
    Ok(!d.is_empty())
}

/// Asks before publishing, when it can: `--yes` goes ahead; `--json` or
/// a stdin that is not a terminal never asks, so they refuse.
/// Whether a publishing command ends here, before sending anything: the
/// documents mean the same (outcome `unchanged`, with `unchanged`'s
/// sentence) or it is a dry run (outcome `dry-run`).
fn stop_before_publishing(r: &mut Report, differs: bool, o: &Opts, unchanged: impl FnOnce() -> String) -> bool {
    let (outcome, sentence) = match (differs, o.dry_run) {
        (false, _) => ("unchanged", unchanged()),
        (true, true) => ("dry-run", "Dry run: nothing was published.".to_string()),
        (true, false) => return false,
    };
    r.say(&[sentence]);
    r.set("outcome", s(outcome));
    true
}

fn confirm(r: &Report, o: &Opts, question: &str) -> Result<(), Fail> {
    if o.yes {
        return Ok(());
    }
    let refuse = |why: &str| {
        Fail::new(
            Exit::NotConfirmed,
            "NOT_CONFIRMED",
            format!("not published: {why}; pass --yes to publish without asking"),
        )
    };
    if r.json {
        return Err(refuse("--json never asks"));
    }
    if !io::stdin().is_terminal() {
        return Err(refuse("stdin is not a terminal, so there is no one to ask"));
    }
    eprint!("{question} [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer).map_err(|e| Fail::usage(format!("reading the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Fail::new(Exit::NotConfirmed, "NOT_CONFIRMED", "not published: not confirmed")),
    }
}

/// A change the server accepted: `{"version", "previous", "action", ...}`.
fn published(r: &mut Report, c: &Client, body: Value) {
    let v = body.get("version").and_then(version_number);
    let p = body.get("previous").and_then(Value::as_f64).unwrap_or(0.0);
    r.say(&[match v {
        Some(v) => format!("Published version {v} (previous {p}) at {}.", c.base()),
        None => format!("Published at {}.", c.base()),
    }]);
    r.set("outcome", s("published"));
    r.set("published", body);
}

// ------------------------------------------------------------- commands

fn push(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "--yes", "--dry-run", "--contexts", "--now"], (1, 1))?;
    let file = &o.pos[0];
    // Everything local first: nothing is sent for an invalid file.
    let (text, new) = load_file(file)?;
    r.set("file", s(file));
    let c = Client::new(o.url.as_deref())?;
    r.set("url", s(c.base()));
    let live = live(&c)?;
    r.set("live", live.as_ref().and_then(|l| l.version).map_or(Value::Null, |v| Value::Number(v as f64)));
    let before = match live {
        Some(l) => l,
        None => {
            r.say(&[format!("Nothing is published at {} yet: everything in {file} is new.", c.base())]);
            nothing()?
        }
    };
    let differs = compare(r, &before, &new, &o)?;
    if stop_before_publishing(r, differs, &o, || {
        format!("Nothing to publish: {file} means what {} already does.", before.label)
    }) {
        return Ok(());
    }
    let after = before.version.map_or("as its first version".to_string(), |v| format!("replacing version {v}"));
    confirm(r, &o, &format!("Publish {file} to {} {after}?", c.base()))?;
    // If-Match pins the version the diff was made against: a change made
    // meanwhile is a 412, never overwritten.
    let answer = c.send("PUT", "/v1/ruleset", Some(text.as_bytes()), before.version)?;
    published(r, &c, answer.body);
    Ok(())
}

fn pull(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "-o"], (0, 1))?;
    let sp = match o.pos.first() {
        None => Spec::Current,
        Some(a) => spec(a).ok_or_else(|| Fail::usage(format!("\"{a}\" is not a version (7, v7 or current)")))?,
    };
    let c = Client::new(o.url.as_deref())?;
    let d = fetch(&c, sp)?;
    let pretty = serde_json::to_string_pretty(&d.doc).map_err(|e| Fail::usage(e.to_string()))? + "\n";
    let flags = match d.doc.get("flags") {
        Some(Value::Object(m)) => m.len(),
        _ => 0,
    };
    r.set("version", d.version.map_or(Value::Null, |v| Value::Number(v as f64)));
    r.set("flags", num(flags));
    match &o.out {
        Some(path) => {
            std::fs::write(path, &pretty).map_err(|e| Fail::usage(format!("{path}: {e}")))?;
            r.set("file", s(path));
            r.say(&[format!("Wrote {} ({flags} flags) to {path}.", d.label)]);
        }
        None if r.json => r.set("ruleset", d.doc),
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(pretty.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(Fail::usage(format!("stdout: {e}"))),
                _ => {}
            }
        }
    }
    Ok(())
}

fn diff(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "--contexts", "--now"], (2, 2))?;
    let mut client: Option<Client> = None;
    let mut side = |arg: &str| -> Result<Doc, Fail> {
        // A version spec names a version; `./7` names a file called 7.
        match spec(arg) {
            Some(sp) => {
                if client.is_none() {
                    client = Some(Client::new(o.url.as_deref())?);
                }
                match &client {
                    Some(c) => fetch(c, sp),
                    None => Err(Fail::usage("no client")),
                }
            }
            None => load_file(arg).map(|(_, d)| d),
        }
    };
    let (a, b) = (side(&o.pos[0])?, side(&o.pos[1])?);
    compare(r, &a, &b, &o)?;
    Ok(())
}

fn history(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "--limit"], (0, 0))?;
    let limit = o.limit.unwrap_or(20);
    let c = Client::new(o.url.as_deref())?;
    let (current, versions) = c.list_all("/v1/versions", "versions")?;
    let (_, audit) = c.list_all("/v1/audit", "entries")?;
    // Version metadata, completed by the audit entry of the same version
    // (who, what flag, which edits, what was restored).
    let mut by_version: BTreeMap<u64, Vec<(String, Value)>> = BTreeMap::new();
    for e in versions.iter().chain(&audit) {
        let (Some(n), Value::Object(m)) = (e.get("version").and_then(version_number), e) else { continue };
        let entry = by_version.entry(n).or_default();
        for (k, v) in m {
            match entry.iter_mut().find(|(ek, _)| ek == k) {
                Some(slot) => slot.1 = v.clone(),
                None => entry.push((k.clone(), v.clone())),
            }
        }
    }
    let total = by_version.len();
    let newest: Vec<(u64, Vec<(String, Value)>)> = by_version.into_iter().rev().take(limit).collect();
    r.set("url", s(c.base()));
    r.set("current", current.map_or(Value::Null, |v| Value::Number(v as f64)));
    r.set("total", num(total));
    r.set("entries", Value::Array(newest.iter().map(|(_, m)| Value::Object(m.clone())).collect()));
    let mut lines = vec![match current {
        Some(v) => format!("{} versions at {}; live: version {v}. Newest first:", total, c.base()),
        None => format!("{} versions at {}; none is live. Newest first:", total, c.base()),
    }];
    for (n, m) in &newest {
        let get = |k: &str| m.iter().find(|(mk, _)| mk == k).map(|(_, v)| v);
        let text = |k: &str| get(k).and_then(Value::as_str).unwrap_or("-").to_string();
        let mut what = text("action");
        if let Some(f) = get("flag").and_then(Value::as_str) {
            let edits: Vec<String> = match get("edits") {
                Some(Value::Array(es)) => es
                    .iter()
                    .flat_map(|e| match e {
                        Value::Object(m) => m.iter().map(|(k, v)| format!("{k}={}", v.to_json())).collect(),
                        _ => Vec::new(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            what = format!("{what} {f} {}", edits.join(", "));
        }
        if let Some(v) = get("restored").and_then(version_number) {
            what = format!("{what} (restored version {v})");
        }
        if let Some(d) = get("decision") {
            what = format!("{} ({})", what.trim_end(), rollout::decision_words(d));
        }
        let live = if current == Some(*n) { "  <- live" } else { "" };
        lines.push(format!("  v{n:<6} {:<24} {:<16} {}{live}", text("time"), text("by"), what.trim_end()));
    }
    if total > newest.len() {
        lines.push(format!("  ({} older; --limit N shows more)", total - newest.len()));
    }
    r.say(&lines);
    Ok(())
}

fn rollback(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "--yes", "--dry-run", "--contexts", "--now"], (1, 1))?;
    let arg = &o.pos[0];
    let Some(Spec::Number(n)) = spec(arg) else {
        return Err(Fail::usage(format!("rollback takes a version number (7 or v7), not \"{arg}\"")));
    };
    let c = Client::new(o.url.as_deref())?;
    r.set("url", s(c.base()));
    let live = live(&c)?.ok_or_else(|| no_ruleset(&c))?;
    r.set("live", live.version.map_or(Value::Null, |v| Value::Number(v as f64)));
    let target = fetch_version(&c, n)?;
    let differs = compare(r, &live, &target, &o)?;
    if stop_before_publishing(r, differs, &o, || {
        format!("Nothing to roll back: version {n} means what the live {} does.", live.label)
    }) {
        return Ok(());
    }
    confirm(r, &o, &format!("Roll {} back to version {n}'s document (as a new version)?", c.base()))?;
    let answer = c.send("POST", &format!("/v1/versions/{n}/rollback"), None, live.version)?;
    published(r, &c, answer.body);
    Ok(())
}

// ---------------------------------------------------------------- values

fn first_problem(e: &LoadError) -> String {
    match e.problems.as_slice() {
        [] => "invalid".into(),
        [p] => p.to_string(),
        [p, rest @ ..] => format!("{p}, and {} more", rest.len()),
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn num(n: usize) -> Value {
    Value::Number(n as f64)
}

fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
