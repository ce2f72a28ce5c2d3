//! `edgeflags`: the native command line over the core.
//!
//! ```text
//! edgeflags validate FILE              exit 0, or 1 with every problem and its path
//! edgeflags eval FILE [--now RFC3339]  JSON lines {"flag","context","default"} -> results
//! edgeflags bucket                     JSON lines {"salt","unit"} -> {"bucket": f64}
//! edgeflags stale FILE [--now RFC3339] [--url URL] flags that are candidates for cleanup (with the Worker's usage)
//!
//! edgeflags push FILE --url URL        validate, diff and blast radius against the live version, publish
//! edgeflags pull [VERSION] --url URL   the live (or a stored) document
//! edgeflags diff A B                   semantic diff and blast radius of files or versions
//! edgeflags history --url URL          versions and who changed what
//! edgeflags rollback VERSION --url URL
//! edgeflags rollout status --url URL   guarded rollouts: plans, steps, guard figures, last decisions
//!
//! edgeflags sample-size --baseline RATE [--mde EFFECT]   units a test needs (and days)
//! edgeflags experiment EVENTS.jsonl --ruleset FILE        an experiment's report from exported events
//!
//! edgeflags scan [DIR] --ruleset FILE|URL   flag references in code: missing, unreferenced, cleanup candidates
//! edgeflags cleanup FLAG --keep VALUE       rewrite the calls that ask FLAG into VALUE (a diff; --write)
//! ```
//!
//! Malformed input lines never stop `eval` or `bucket`: each gets an error
//! object on its own output line, and processing goes on. The commands
//! that talk to a Worker live in `edgeflags/ops.rs` (exit codes in
//! `edgeflags/fail.rs`, docs/worker.md "The operator's CLI"); the offline
//! experiment commands in `edgeflags/analysis.rs` (docs/experiments.md);
//! `scan` and `cleanup` in `edgeflags/scan*.rs` and `edgeflags/cleanup.rs`
//! (docs/code-references.md).

// Beside this file, not in src/bin/ itself, where Cargo would take each
// file for a binary of its own.
#[path = "edgeflags/analysis.rs"]
mod analysis;
#[path = "edgeflags/args.rs"]
mod args;
#[path = "edgeflags/cleanup.rs"]
mod cleanup;
#[path = "edgeflags/client.rs"]
mod client;
#[path = "edgeflags/fail.rs"]
mod fail;
#[path = "edgeflags/ops.rs"]
mod ops;
#[path = "edgeflags/render.rs"]
mod render;
#[path = "edgeflags/report_text.rs"]
mod report_text;
#[path = "edgeflags/sample.rs"]
mod sample;
#[path = "edgeflags/scan.rs"]
mod scan;
#[path = "edgeflags/scan_config.rs"]
mod scan_config;
#[path = "edgeflags/scan_lex.rs"]
mod scan_lex;
#[path = "edgeflags/scan_output.rs"]
mod scan_output;
#[path = "edgeflags/stale.rs"]
mod stale;

use std::io::{self, BufRead, BufWriter, ErrorKind, StdoutLock, Write};
use std::process::ExitCode;

use edgeflags::time::{parse_rfc3339, Millis};
use edgeflags::{bucket, Context, ErrorCode, Evaluation, Ruleset, Value};
use serde::ser::{Serialize, Serializer};

const USAGE: &str = "usage:
  edgeflags validate FILE
  edgeflags eval FILE [--now RFC3339]     (JSON lines on stdin: {\"flag\", \"context\", \"default\"})
  edgeflags bucket                        (JSON lines on stdin: {\"salt\", \"unit\"})
  edgeflags stale FILE [--now RFC3339] [--url URL [--policy release=40,ops=never,...]]
";

/// Why a command stopped before its end.
enum Stop {
    /// A usage, file or I/O error: exit 2 with the message.
    Error(String),
    /// The reader of stdout went away (`edgeflags eval ... | head`): there
    /// is no one left to answer, so exit 0 quietly.
    StdoutClosed,
}

impl From<String> for Stop {
    fn from(msg: String) -> Stop {
        Stop::Error(msg)
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        if e.kind() == ErrorKind::BrokenPipe {
            Stop::StdoutClosed
        } else {
            Stop::Error(e.to_string())
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(cmd) = args.first().filter(|c| ops::COMMANDS.contains(&c.as_str())) {
        return ops::run(cmd, &args[1..]);
    }
    if let Some(cmd) = args.first().filter(|c| analysis::COMMANDS.contains(&c.as_str())) {
        return analysis::run(cmd, &args[1..]);
    }
    match args.first().map(String::as_str) {
        Some("scan") => return scan::run(&args[1..]),
        Some("cleanup") => return cleanup::run(&args[1..]),
        _ => {}
    }
    match run(&args) {
        Ok(code) => code,
        Err(Stop::StdoutClosed) => ExitCode::SUCCESS,
        Err(Stop::Error(msg)) => {
            eprintln!("edgeflags: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Stdout, locked and buffered once for the whole command; every write
/// returns its error (println! would panic on a closed pipe).
struct Out(BufWriter<StdoutLock<'static>>);

impl Out {
    fn new() -> Out {
        Out(BufWriter::new(io::stdout().lock()))
    }

    fn text(&mut self, line: &str) -> io::Result<()> {
        self.0.write_all(line.as_bytes())?;
        self.0.write_all(b"\n")
    }

    /// One JSON line, written by serde_json.
    fn json(&mut self, v: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.0, v).map_err(io::Error::from)?;
        self.0.write_all(b"\n")
    }

    fn flush(mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn run(args: &[String]) -> Result<ExitCode, Stop> {
    let cmd = args.first().map(String::as_str);
    let mut out = Out::new();
    match cmd {
        Some("validate") => {
            let [file] = &args[1..] else { return Err(format!("validate takes one FILE\n{USAGE}").into()) };
            match load(file)? {
                Ok(rs) => {
                    out.text(&format!("ok: {} flags, version {}", rs.len(), rs.version()))?;
                    out.flush()?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    // The verdict stands even if no one reads the list.
                    let listed =
                        e.problems.iter().try_for_each(|p| out.text(&p.to_string())).and_then(|()| out.flush());
                    match listed {
                        Err(e) if e.kind() != ErrorKind::BrokenPipe => return Err(e.into()),
                        _ => {}
                    }
                    eprintln!("{file}: invalid ruleset ({} problems)", e.problems.len());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Some("eval") => {
            let (file, now) = file_and_now(&args[1..])?;
            let rs = load(&file)?.map_err(|e| format!("{file}: {e}"))?;
            lines(&mut out, |n, line, out| eval_line(&rs, now, n, line, out))?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Some("bucket") => {
            if args.len() != 1 {
                return Err(format!("bucket takes no arguments\n{USAGE}").into());
            }
            lines(&mut out, bucket_line)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Some("stale") => stale::run(&args[1..], &mut out).and_then(|code| {
            out.flush()?;
            Ok(code)
        }),
        Some("-h" | "--help" | "help") => {
            out.text(USAGE)?;
            out.text(ops::USAGE)?;
            out.text(analysis::USAGE)?;
            out.text(scan::USAGE)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!("unknown command\n{USAGE}{}\n{}\n{}", ops::USAGE, analysis::USAGE, scan::USAGE).into()),
    }
}

fn file_and_now(args: &[String]) -> Result<(String, Millis), String> {
    let (mut file, mut now) = (None, None);
    let mut a = args::Args::new(args);
    while let Some(item) = a.next().map_err(|f| f.message)? {
        match item {
            args::Item::Opt(n) if n == "--now" => {
                let t = a.value(&n).map_err(|_| "--now needs an RFC 3339 time".to_string())?;
                now = Some(parse_rfc3339(&t)?);
            }
            args::Item::Pos(p) if file.is_none() => file = Some(p),
            args::Item::Opt(x) | args::Item::Pos(x) => return Err(format!("unexpected argument \"{x}\"\n{USAGE}")),
        }
    }
    let file = file.ok_or_else(|| format!("missing FILE\n{USAGE}"))?;
    let now = match now {
        Some(n) => n,
        None => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis()
                as Millis
        }
    };
    Ok((file, now))
}

fn load(file: &str) -> Result<Result<Ruleset, edgeflags::LoadError>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    Ok(Ruleset::from_json(&text))
}

/// A JSON object with its members in this order (serde_json's own `json!`
/// sorts them).
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

/// Runs `f` on each stdin line (blank lines skipped); `f` writes the
/// line's answer.
fn lines(out: &mut Out, mut f: impl FnMut(usize, &str, &mut Out) -> io::Result<()>) -> Result<(), Stop> {
    let stdin = io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => f(n + 1, &line, out)?,
            Err(e) => out.json(&error_line(n + 1, &format!("unreadable line: {e}"), ErrorCode::ParseError))?,
        }
    }
    Ok(())
}

/// An evaluation's answer: the core's one result shape (`value`,
/// `variant`, `reason`, and `ruleId` / `errorCode` when set), plus `error`
/// in words for an invalid context.
struct EvalLine<'a> {
    e: Evaluation<'a>,
    error: Option<&'a str>,
}

impl Serialize for EvalLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(error) = self.error else { return self.e.serialize(s) };
        // Through the core's Value, which keeps the fields in order.
        let text = serde_json::to_string(&self.e).map_err(serde::ser::Error::custom)?;
        let mut v = Value::parse(&text).map_err(serde::ser::Error::custom)?;
        if let Value::Object(members) = &mut v {
            members.push(("error".into(), Value::String(error.into())));
        }
        v.serialize(s)
    }
}

fn error_line(line: usize, msg: &str, code: ErrorCode) -> Value {
    object([("error", string(msg)), ("errorCode", string(code.as_str())), ("line", Value::Number(line as f64))])
}

/// The line as a JSON object, or the error line to answer instead.
fn parse_object(n: usize, line: &str) -> Result<Value, Value> {
    match Value::parse(line) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(v) => Err(error_line(n, &format!("expected a JSON object, not {}", v.type_name()), ErrorCode::ParseError)),
        Err(e) => Err(error_line(n, &e.to_string(), ErrorCode::ParseError)),
    }
}

fn eval_line(rs: &Ruleset, now: Millis, n: usize, line: &str, out: &mut Out) -> io::Result<()> {
    let req = match parse_object(n, line) {
        Ok(req) => req,
        Err(error) => return out.json(&error),
    };
    let Some(flag) = req.get("flag").and_then(Value::as_str) else {
        return out.json(&error_line(n, "\"flag\" (a string) is required", ErrorCode::ParseError));
    };
    let default = req.get("default").cloned().unwrap_or(Value::Null);
    match Context::from_value(req.get("context").cloned().unwrap_or(Value::Null)) {
        Ok(ctx) => out.json(&EvalLine { e: rs.evaluate(flag, &ctx, now, &default), error: None }),
        Err(err) => {
            let e = Evaluation {
                value: &default,
                variant: None,
                reason: edgeflags::Reason::Error,
                rule_id: None,
                error_code: Some(ErrorCode::InvalidContext),
            };
            out.json(&EvalLine { e, error: Some(&err.0) })
        }
    }
}

fn bucket_line(n: usize, line: &str, out: &mut Out) -> io::Result<()> {
    let answer = match parse_object(n, line) {
        Ok(req) => match (req.get("salt").and_then(Value::as_str), req.get("unit").and_then(Value::as_str)) {
            (Some(salt), Some(unit)) => object([("bucket", Value::Number(bucket(salt, unit)))]),
            _ => error_line(n, "\"salt\" and \"unit\" (strings) are required", ErrorCode::ParseError),
        },
        Err(error) => error,
    };
    out.json(&answer)
}
