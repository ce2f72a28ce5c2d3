//! `edgeflags`: the native command line over the core.
//!
//! ```text
//! edgeflags validate FILE              exit 0, or 1 with every problem and its path
//! edgeflags eval FILE [--now RFC3339]  JSON lines {"flag","context","default"} -> results
//! edgeflags bucket                     JSON lines {"salt","unit"} -> {"bucket": f64}
//! edgeflags stale FILE [--now RFC3339] flags that are candidates for cleanup
//! ```
//!
//! Malformed input lines never stop `eval` or `bucket`: each gets an error
//! object on its own output line, and processing goes on.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use edgeflags::json::{write_number, write_string};
use edgeflags::time::{format_rfc3339, parse_rfc3339, Millis};
use edgeflags::{bucket, Context, ErrorCode, Evaluation, Ruleset, Value};

const USAGE: &str = "usage:
  edgeflags validate FILE
  edgeflags eval FILE [--now RFC3339]     (JSON lines on stdin: {\"flag\", \"context\", \"default\"})
  edgeflags bucket                        (JSON lines on stdin: {\"salt\", \"unit\"})
  edgeflags stale FILE [--now RFC3339]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("edgeflags: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let cmd = args.first().map(String::as_str);
    match cmd {
        Some("validate") => {
            let [file] = &args[1..] else { return Err(format!("validate takes one FILE\n{USAGE}")) };
            match load(file)? {
                Ok(rs) => {
                    println!("ok: {} flags, version {}", rs.len(), rs.version());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    for p in &e.problems {
                        println!("{p}");
                    }
                    eprintln!("{file}: invalid ruleset ({} problems)", e.problems.len());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Some("eval") => {
            let (file, now) = file_and_now(&args[1..])?;
            let rs = load(&file)?.map_err(|e| format!("{file}: {e}"))?;
            lines(|n, line, out| eval_line(&rs, now, n, line, out))?;
            Ok(ExitCode::SUCCESS)
        }
        Some("bucket") => {
            if args.len() != 1 {
                return Err(format!("bucket takes no arguments\n{USAGE}"));
            }
            lines(bucket_line)?;
            Ok(ExitCode::SUCCESS)
        }
        Some("stale") => {
            let (file, now) = file_and_now(&args[1..])?;
            let rs = load(&file)?.map_err(|e| format!("{file}: {e}"))?;
            for (flag, why) in rs.stale_flags(now) {
                let mut line = String::from("{\"flag\":");
                write_string(flag.key(), &mut line);
                line.push_str(",\"reasons\":[");
                for (i, r) in why.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    write_string(r.as_str(), &mut line);
                }
                line.push_str("],\"owner\":");
                match &flag.metadata().owner {
                    Some(o) => write_string(o, &mut line),
                    None => line.push_str("null"),
                }
                line.push_str(",\"expires\":");
                match flag.metadata().expires {
                    Some(t) => write_string(&format_rfc3339(t), &mut line),
                    None => line.push_str("null"),
                }
                line.push('}');
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!("unknown command\n{USAGE}")),
    }
}

fn file_and_now(args: &[String]) -> Result<(String, Millis), String> {
    let mut file = None;
    let mut now = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--now" {
            let t = it.next().ok_or("--now needs an RFC 3339 time")?;
            now = Some(parse_rfc3339(t)?);
        } else if let Some(t) = a.strip_prefix("--now=") {
            now = Some(parse_rfc3339(t)?);
        } else if file.is_none() && !a.starts_with("--") {
            file = Some(a.clone());
        } else {
            return Err(format!("unexpected argument \"{a}\"\n{USAGE}"));
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

/// Runs `f` on each stdin line (blank lines skipped), writing its output line.
fn lines(mut f: impl FnMut(usize, &str, &mut String)) -> Result<(), String> {
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut buf = String::new();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                buf.clear();
                error_line(&mut buf, n + 1, &format!("unreadable line: {e}"), ErrorCode::ParseError);
                writeln!(out, "{buf}").map_err(|e| e.to_string())?;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        buf.clear();
        f(n + 1, &line, &mut buf);
        writeln!(out, "{buf}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn error_line(out: &mut String, line: usize, msg: &str, code: ErrorCode) {
    out.push_str("{\"error\":");
    write_string(msg, out);
    out.push_str(",\"errorCode\":");
    write_string(code.as_str(), out);
    out.push_str(&format!(",\"line\":{line}}}"));
}

fn parse_object(n: usize, line: &str, out: &mut String) -> Option<Value> {
    match Value::parse(line) {
        Ok(v @ Value::Object(_)) => Some(v),
        Ok(v) => {
            error_line(out, n, &format!("expected a JSON object, not {}", v.type_name()), ErrorCode::ParseError);
            None
        }
        Err(e) => {
            error_line(out, n, &e.to_string(), ErrorCode::ParseError);
            None
        }
    }
}

fn eval_line(rs: &Ruleset, now: Millis, n: usize, line: &str, out: &mut String) {
    let Some(req) = parse_object(n, line, out) else { return };
    let Some(flag) = req.get("flag").and_then(Value::as_str) else {
        error_line(out, n, "\"flag\" (a string) is required", ErrorCode::ParseError);
        return;
    };
    let default = req.get("default").cloned().unwrap_or(Value::Null);
    let ctx = match Context::from_value(req.get("context").cloned().unwrap_or(Value::Null)) {
        Ok(c) => c,
        Err(e) => {
            write_eval(
                out,
                &Evaluation {
                    value: &default,
                    variant: None,
                    reason: edgeflags::Reason::Error,
                    rule_id: None,
                    error_code: Some(ErrorCode::InvalidContext),
                },
            );
            out.pop();
            out.push_str(",\"error\":");
            write_string(&e.0, out);
            out.push('}');
            return;
        }
    };
    write_eval(out, &rs.evaluate(flag, &ctx, now, &default));
}

fn write_eval(out: &mut String, e: &Evaluation<'_>) {
    out.push_str("{\"value\":");
    e.value.write_json(out);
    out.push_str(",\"variant\":");
    match e.variant {
        Some(v) => write_string(v, out),
        None => out.push_str("null"),
    }
    out.push_str(",\"reason\":");
    write_string(e.reason.as_str(), out);
    out.push_str(",\"ruleId\":");
    match e.rule_id {
        Some(r) => write_string(r, out),
        None => out.push_str("null"),
    }
    out.push_str(",\"errorCode\":");
    match e.error_code {
        Some(c) => write_string(c.as_str(), out),
        None => out.push_str("null"),
    }
    out.push('}');
}

fn bucket_line(n: usize, line: &str, out: &mut String) {
    let Some(req) = parse_object(n, line, out) else { return };
    match (req.get("salt").and_then(Value::as_str), req.get("unit").and_then(Value::as_str)) {
        (Some(salt), Some(unit)) => {
            out.push_str("{\"bucket\":");
            write_number(bucket(salt, unit), out);
            out.push('}');
        }
        _ => error_line(out, n, "\"salt\" and \"unit\" (strings) are required", ErrorCode::ParseError),
    }
}
