//! The offline experiment commands: `sample-size` (how many units a test
//! needs) and `experiment` (exported events + the ruleset -> the report
//! the Worker's `GET /v1/experiments/{flag}` gives). The figures are the
//! core's (`edgeflags::stats`, `edgeflags::experiment`); this file reads
//! arguments and files and prints.
//!
//! Text for people on stdout, or with `--json` one JSON document on stdout.
//! Failures: the message on stderr (and with `--json` a
//! `{"command", "error": {"code", "message", "exit"}}` document on stdout),
//! exit 2 for usage and input (a bad line names its line number), exit 1
//! for an invalid ruleset (edgeflags/fail.rs).

use std::io::{self, Read, Write};
use std::process::ExitCode;

use edgeflags::events::{parse_event, Event};
use edgeflags::experiment::{aggregate, analyze, Report};
use edgeflags::stats::{duration_days, sample_size, Effect, StatsError};
use edgeflags::time::{parse_rfc3339, Millis};
use edgeflags::{Ruleset, Value};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::args;
use crate::fail::{Exit, Fail};
use crate::report_text::{self, trim};

pub const USAGE: &str =
    "  edgeflags sample-size --baseline RATE [--mde EFFECT] [--absolute] [--alpha 0.05] [--power 0.8]
                        [--variants 2] [--daily-traffic UNITS] [--json]
                                          (--mde: relative, 0.1 = +10%, unless --absolute: rate points)
  edgeflags experiment EVENTS.jsonl --ruleset FILE [--flag KEY] [--now RFC3339] [--json]
                                          (EVENTS.jsonl: exported events, one per line; - for stdin;
                                           every experiment of the ruleset unless --flag)";

/// The commands this module runs.
pub const COMMANDS: &[&str] = &["sample-size", "experiment"];

/// Runs `cmd` (one of [`COMMANDS`]) with `args` (after the command).
pub fn run(cmd: &str, args: &[String]) -> ExitCode {
    let json = args.iter().any(|a| a == "--json");
    let result = match cmd {
        "sample-size" => plan(args, json),
        _ => experiment(args, json),
    };
    let printed = match result {
        Ok(text) => print(&text).map(|()| ExitCode::SUCCESS),
        Err(f) => {
            f.print(cmd, USAGE);
            let answer = if json {
                let doc =
                    Value::Object(vec![("command".into(), Value::String(cmd.into())), ("error".into(), f.to_value())]);
                print(&doc.to_json())
            } else {
                Ok(())
            };
            answer.map(|()| f.exit_code())
        }
    };
    match printed {
        Ok(code) => code,
        // A reader that went away (`| head`) is no failure of the command.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "edgeflags {cmd}: {e}");
            ExitCode::from(Exit::Usage as u8)
        }
    }
}

fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

// ------------------------------------------------------------- arguments

/// `--name VALUE` and `--name=VALUE` options, flags, and positional
/// arguments (`-` is positional: stdin).
struct Args {
    pos: Vec<String>,
    opts: Vec<(String, Option<String>)>,
}

impl Args {
    /// `valued` take a value, `flags` do not (`--json` is always accepted).
    fn parse(args: &[String], valued: &[&str], flags: &[&str]) -> Result<Args, Fail> {
        let mut out = Args { pos: Vec::new(), opts: Vec::new() };
        let mut a = args::Args::new(args);
        while let Some(item) = a.next()? {
            match item {
                args::Item::Pos(p) => out.pos.push(p),
                args::Item::Opt(name) if valued.contains(&name.as_str()) => {
                    let v = a.value(&name)?;
                    out.opts.push((name, Some(v)));
                }
                args::Item::Opt(name) if flags.contains(&name.as_str()) || name == "--json" => {
                    out.opts.push((name, None))
                }
                args::Item::Opt(name) => return Err(args::unknown(&name)),
            }
        }
        Ok(out)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.opts.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    fn flag(&self, name: &str) -> bool {
        self.opts.iter().any(|(n, _)| n == name)
    }

    /// A finite number, when given.
    fn number(&self, name: &str) -> Result<Option<f64>, Fail> {
        let Some(v) = self.value(name) else { return Ok(None) };
        match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(Fail::usage(format!("{name} must be a number, not \"{v}\""))),
        }
    }
}

fn input(message: String) -> Fail {
    Fail::new(Exit::Usage, "INVALID_INPUT", message)
}

// ----------------------------------------------------------- sample-size

/// `sample-size`: units per variant and in all, the treatment rate, days.
fn plan(args: &[String], json: bool) -> Result<String, Fail> {
    let a = Args::parse(
        args,
        &["--baseline", "--mde", "--alpha", "--power", "--variants", "--daily-traffic"],
        &["--absolute"],
    )?;
    if let Some(p) = a.pos.first() {
        return Err(Fail::usage(format!("sample-size takes no arguments, only options (got \"{p}\")")));
    }
    let baseline =
        a.number("--baseline")?.ok_or_else(|| Fail::usage("--baseline (the control's rate, e.g. 0.05) is required"))?;
    let mde = a.number("--mde")?.unwrap_or(0.1);
    let alpha = a.number("--alpha")?.unwrap_or(0.05);
    let power = a.number("--power")?.unwrap_or(0.8);
    let absolute = a.flag("--absolute");
    let variants = match a.value("--variants") {
        None => 2,
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (2..=1000).contains(n))
            .ok_or_else(|| Fail::usage(format!("--variants must be a whole number from 2 to 1000, not \"{v}\"")))?,
    };
    let daily = a.number("--daily-traffic")?;
    let effect = if absolute { Effect::Absolute(mde) } else { Effect::Relative(mde) };
    let size = sample_size(baseline, effect, alpha, power).map_err(|e| match e {
        StatsError::OutOfRange { field: "effect", value, .. } if value != 0.0 => input(format!(
            "--mde {} gives a treatment rate of {}: it must stay strictly between 0 and 1",
            trim(mde, 6),
            trim(value, 6)
        )),
        e => option_error(e),
    })?;
    let total = size.per_variant.saturating_mul(u64::from(variants));
    let days = match daily {
        Some(d) => Some(duration_days(size.per_variant, variants, d).map_err(option_error)?),
        None => None,
    };
    if json {
        let n = |x: f64| Value::Number(x);
        let opt = |x: Option<f64>| x.map_or(Value::Null, Value::Number);
        let doc = Value::Object(vec![
            ("baseline".into(), n(baseline)),
            ("mde".into(), n(mde)),
            ("effect".into(), Value::String(if absolute { "absolute" } else { "relative" }.into())),
            ("alpha".into(), n(alpha)),
            ("power".into(), n(power)),
            ("variants".into(), n(f64::from(variants))),
            ("treatment_rate".into(), n(size.treatment_rate)),
            ("per_variant".into(), n(size.per_variant as f64)),
            ("total".into(), n(total as f64)),
            ("daily_traffic".into(), opt(daily)),
            ("days".into(), opt(days.map(|d| d as f64))),
        ]);
        return Ok(doc.to_json());
    }
    let effect_text = if absolute {
        let points = mde * 100.0;
        format!("{} percentage point{}", signed(points), if points.abs() == 1.0 { "" } else { "s" })
    } else {
        format!("{}% relative", signed(mde * 100.0))
    };
    let mut lines = vec![
        format!(
            "{} units per variant, {} in all ({variants} variants)",
            report_text::thousands(size.per_variant),
            report_text::thousands(total)
        ),
        format!(
            "  to detect {} -> {} ({effect_text}) at alpha {} (two-sided), power {}%",
            percent(baseline),
            percent(size.treatment_rate),
            trim(alpha, 6),
            trim(power * 100.0, 4)
        ),
    ];
    if let (Some(d), Some(days)) = (daily, days) {
        lines.push(format!(
            "  {} day{} at {} units a day (shared by the variants)",
            report_text::thousands(days),
            if days == 1 { "" } else { "s" },
            trim(d, 2)
        ));
    }
    Ok(lines.join("\n"))
}

/// A statistics error in the words of the command line: its input named
/// as the option that gave it (`--daily-traffic`, `--mde`).
fn option_error(e: StatsError) -> Fail {
    let text = e.to_string();
    for (field, option) in [
        ("baseline", "--baseline"),
        ("effect", "--mde"),
        ("alpha", "--alpha"),
        ("power", "--power"),
        ("daily_traffic", "--daily-traffic"),
    ] {
        if let Some(rest) = text.strip_prefix(field) {
            return input(format!("{option}{rest}"));
        }
    }
    input(text)
}

fn signed(x: f64) -> String {
    let t = trim(x, 4);
    if x > 0.0 {
        format!("+{t}")
    } else {
        t
    }
}

/// A rate as a percentage: `5%`, `5.5%`, `0.013%`.
fn percent(rate: f64) -> String {
    format!("{}%", trim(rate * 100.0, 4))
}

// ------------------------------------------------------------ experiment

/// `experiment`: the report of one experiment (`--flag`) or of every one.
fn experiment(args: &[String], json: bool) -> Result<String, Fail> {
    let a = Args::parse(args, &["--ruleset", "--flag", "--now"], &[])?;
    let [file] = a.pos.as_slice() else {
        return Err(Fail::usage(format!(
            "experiment takes one EVENTS.jsonl file (- for stdin), got {} arguments",
            a.pos.len()
        )));
    };
    let ruleset_file = a.value("--ruleset").ok_or_else(|| Fail::usage("--ruleset FILE is required"))?;
    let text = std::fs::read_to_string(ruleset_file).map_err(|e| input(format!("{ruleset_file}: {e}")))?;
    let rs = Ruleset::from_json(&text).map_err(|e| Fail::invalid(ruleset_file, &e))?;
    let now = match a.value("--now") {
        Some(t) => parse_rfc3339(t).map_err(|e| Fail::usage(format!("--now: {e}")))?,
        None => clock()?,
    };
    let keys: Vec<String> = match a.value("--flag") {
        Some(k) => {
            if rs.flag(k).is_none() {
                return Err(input(format!("{ruleset_file}: no flag \"{k}\"")));
            }
            vec![k.to_string()]
        }
        None => rs.experiments().map(str::to_string).collect(),
    };
    if keys.is_empty() {
        return Err(input(format!("{ruleset_file}: no flag is an experiment (none has an \"experiment\" field)")));
    }
    let mut specs = Vec::new();
    for k in &keys {
        let spec = rs.experiment_spec(k, now).ok_or_else(|| {
            input(format!("{ruleset_file}: flag \"{k}\" is not an experiment (it has no \"experiment\" field)"))
        })?;
        specs.push(spec);
    }
    let events = read_events(file)?;
    let reports: Vec<Report> = specs.iter().map(|s| analyze(s, &aggregate(s, &events))).collect();
    if json {
        let text = match (a.value("--flag"), reports.as_slice()) {
            (Some(_), [one]) => serde_json::to_string(one),
            _ => serde_json::to_string(&List(&reports)),
        };
        return text.map_err(|e| input(format!("writing the report: {e}")));
    }
    let mut lines = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(report_text::report(r));
    }
    Ok(lines.join("\n"))
}

fn clock() -> Result<Millis, Fail> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .map_err(|e| Fail::usage(format!("the clock: {e}")))
}

/// Every event of the file (`-`: stdin), one JSON object per line, blank
/// lines skipped; the first bad line stops with its number.
fn read_events(file: &str) -> Result<Vec<Event>, Fail> {
    let text = if file == "-" {
        let mut s = String::new();
        io::stdin().read_to_string(&mut s).map_err(|e| input(format!("stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| input(format!("{file}: {e}")))?
    };
    let name = if file == "-" { "stdin" } else { file };
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |msg: String| input(format!("{name}:{}: {msg}", i + 1));
        let v = Value::parse(line).map_err(|e| at(e.to_string()))?;
        let e = parse_event(&v, "").map_err(|problems| {
            let text: Vec<String> = problems
                .iter()
                .map(|p| if p.path.is_empty() { p.message.clone() } else { format!("{}: {}", p.path, p.message) })
                .collect();
            at(text.join("; "))
        })?;
        events.push(e);
    }
    Ok(events)
}

/// `{"experiments": [Report, ...]}`, the shape of `GET /v1/experiments`.
struct List<'a>(&'a [Report]);

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Experiments", 1)?;
        st.serialize_field("experiments", self.0)?;
        st.end()
    }
}
