//! The scan's report, written as text for people, JSON for scripts, GitHub
//! Actions annotations, or SARIF 2.1.0 for code-scanning tools
//! (docs/code-references.md has an example of each).

use std::io::{self, Write};

use edgeflags::Value;

use crate::scan::{Ref, Report};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "github" => Format::Github,
            "sarif" => Format::Sarif,
            _ => return None,
        })
    }
}

/// The SARIF rules, one per finding.
const RULE_MISSING: &str = "flag-not-in-ruleset";
const RULE_UNREFERENCED: &str = "flag-not-referenced";
const RULE_CANDIDATE: &str = "flag-cleanup-candidate";
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://example.invalid/edgeflags/docs/code-references.md";

pub fn print(r: &Report, format: Format) -> io::Result<()> {
    let text = match format {
        Format::Text => text(r),
        Format::Json => json(r).to_json() + "\n",
        Format::Github => github(r),
        Format::Sarif => sarif(r).to_json() + "\n",
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn n(v: usize) -> Value {
    Value::Number(v as f64)
}

fn obj<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn keep_text(keep: &Option<Value>) -> String {
    match keep {
        Some(v) => format!("keep {}", v.to_json()),
        None => "no single value to keep (decide by hand)".into(),
    }
}

fn at(r: &Ref) -> String {
    format!("{}:{}:{}", r.path, r.line, r.col)
}

pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let referenced = r.flags.iter().filter(|(_, refs)| !refs.is_empty()).count();
    let in_flags: usize = r.flags.iter().map(|(_, refs)| refs.len()).sum();
    o += &format!(
        "scanned {} ({} skipped): {} to {} of {} flags\n",
        plural(r.found.files, "file"),
        r.found.skipped,
        plural(in_flags, "reference"),
        referenced,
        r.flags.len()
    );
    o += &format!("\nreferenced in code but not in the ruleset ({}):\n", r.missing.len());
    for (flag, refs) in &r.missing {
        o += &format!("  {flag}\n");
        for x in refs {
            o += &format!("    {}  {}\n", at(x), x.how.describe());
        }
    }
    o += &format!("\nin the ruleset but not referenced by any code ({}):\n", r.unreferenced.len());
    for (flag, _) in &r.unreferenced {
        o += &format!("  {flag}\n");
    }
    o += &format!("\ncleanup candidates ({}):\n", r.candidates.len());
    for c in &r.candidates {
        let owner = c.owner.map_or(String::new(), |w| format!(", owner {w}"));
        o += &format!("  {}: {} ({}{owner})\n", c.flag, keep_text(&c.keep), c.reasons.join(", "));
        if c.refs.is_empty() {
            o += "    no references: remove it from the ruleset\n";
        }
        for x in &c.refs {
            o += &format!("    {}  {}\n", at(x), x.how.describe());
        }
    }
    o += &format!("\nreferences ({}):\n", referenced);
    for (flag, refs) in r.flags.iter().filter(|(_, refs)| !refs.is_empty()) {
        let places: Vec<String> = refs.iter().map(|x| format!("{}:{}", x.path, x.line)).collect();
        o += &format!("  {flag} ({}): {}\n", refs.len(), places.join(", "));
    }
    o
}

fn ref_value(x: &Ref) -> Value {
    obj([
        ("file", s(&x.path)),
        ("line", n(x.line)),
        ("column", n(x.col)),
        ("how", s(&x.how.describe())),
        ("language", s(x.lang.name())),
    ])
}

fn refs_value(refs: &[&Ref]) -> Value {
    Value::Array(refs.iter().map(|x| ref_value(x)).collect())
}

pub fn json(r: &Report) -> Value {
    obj([
        ("files", n(r.found.files)),
        ("bytes", n(r.found.bytes as usize)),
        ("skipped", n(r.found.skipped)),
        (
            "flags",
            Value::Array(
                r.flags.iter().map(|(k, refs)| obj([("flag", s(k)), ("references", refs_value(refs))])).collect(),
            ),
        ),
        (
            "missing",
            Value::Array(
                r.missing.iter().map(|(k, refs)| obj([("flag", s(k)), ("references", refs_value(refs))])).collect(),
            ),
        ),
        ("unreferenced", Value::Array(r.unreferenced.iter().map(|(k, _)| s(k)).collect())),
        (
            "candidates",
            Value::Array(
                r.candidates
                    .iter()
                    .map(|c| {
                        obj([
                            ("flag", s(c.flag)),
                            ("reasons", Value::Array(c.reasons.iter().map(|x| s(x)).collect())),
                            ("keep", c.keep.clone().unwrap_or(Value::Null)),
                            ("owner", c.owner.map_or(Value::Null, s)),
                            ("references", refs_value(&c.refs)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

/// A GitHub workflow command's data (`%`, CR, LF escaped) ...
fn gh_data(t: &str) -> String {
    t.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// ... and a property value (`:` and `,` too).
fn gh_prop(t: &str) -> String {
    gh_data(t).replace(':', "%3A").replace(',', "%2C")
}

fn missing_message(flag: &str, x: &Ref) -> String {
    format!("flag \"{flag}\" is referenced here ({}) but is not in the ruleset", x.how.describe())
}

fn candidate_message(c: &crate::scan::Candidate) -> String {
    format!("flag \"{}\" is a cleanup candidate ({}): {}", c.flag, c.reasons.join(", "), keep_text(&c.keep))
}

fn unreferenced_message(flag: &str) -> String {
    format!("flag \"{flag}\" is in the ruleset but no code references it")
}

pub fn github(r: &Report) -> String {
    let mut o = String::new();
    let level = if r.strict { "error" } else { "warning" };
    let line = |o: &mut String, level: &str, x: &Ref, msg: &str| {
        *o += &format!("::{level} file={},line={},col={}::{}\n", gh_prop(&x.path), x.line, x.col, gh_data(msg));
    };
    for (flag, refs) in &r.missing {
        for x in refs {
            line(&mut o, level, x, &missing_message(flag, x));
        }
    }
    for c in &r.candidates {
        for x in &c.refs {
            line(&mut o, "warning", x, &candidate_message(c));
        }
    }
    for (flag, key_line) in &r.unreferenced {
        match (&r.ruleset_path, key_line) {
            (Some(p), Some(l)) => {
                o += &format!("::notice file={},line={l}::{}\n", gh_prop(p), gh_data(&unreferenced_message(flag)))
            }
            _ => o += &format!("::notice::{}\n", gh_data(&unreferenced_message(flag))),
        }
    }
    o
}

fn location(uri: &str, line: usize, col: usize) -> Value {
    obj([(
        "physicalLocation",
        obj([
            ("artifactLocation", obj([("uri", s(uri))])),
            ("region", obj([("startLine", n(line)), ("startColumn", n(col))])),
        ]),
    )])
}

fn result(rule: &str, level: &str, message: String, locations: Vec<Value>) -> Value {
    obj([
        ("ruleId", s(rule)),
        ("level", s(level)),
        ("message", obj([("text", Value::String(message))])),
        ("locations", Value::Array(locations)),
    ])
}

fn rule(id: &str, text: &str) -> Value {
    obj([("id", s(id)), ("shortDescription", obj([("text", s(text))])), ("helpUri", s(INFORMATION_URI))])
}

pub fn sarif(r: &Report) -> Value {
    let mut results = Vec::new();
    let level = if r.strict { "error" } else { "warning" };
    for (flag, refs) in &r.missing {
        for x in refs {
            results.push(result(RULE_MISSING, level, missing_message(flag, x), vec![location(&x.path, x.line, x.col)]));
        }
    }
    for c in &r.candidates {
        for x in &c.refs {
            results.push(result(
                RULE_CANDIDATE,
                "warning",
                candidate_message(c),
                vec![location(&x.path, x.line, x.col)],
            ));
        }
    }
    for (flag, key_line) in &r.unreferenced {
        let locations = match (&r.ruleset_path, key_line) {
            (Some(p), Some(l)) => vec![location(p, *l, 1)],
            _ => Vec::new(),
        };
        results.push(result(RULE_UNREFERENCED, "note", unreferenced_message(flag), locations));
    }
    let driver = obj([
        ("name", s("edgeflags")),
        ("version", s(env!("CARGO_PKG_VERSION"))),
        ("informationUri", s(INFORMATION_URI)),
        (
            "rules",
            Value::Array(vec![
                rule(RULE_MISSING, "A flag key referenced in code is not in the ruleset"),
                rule(RULE_UNREFERENCED, "A flag in the ruleset is not referenced by any code"),
                rule(RULE_CANDIDATE, "A reference to a flag that is a cleanup candidate"),
            ]),
        ),
    ]);
    obj([
        ("$schema", s(SARIF_SCHEMA)),
        ("version", s("2.1.0")),
        ("runs", Value::Array(vec![obj([("tool", obj([("driver", driver)])), ("results", Value::Array(results))])])),
    ])
}
