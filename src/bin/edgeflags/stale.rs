//! `edgeflags stale FILE [--now RFC3339] [--url URL [--policy P]]`: the
//! cleanup candidates of a ruleset, one JSON line each. From the file
//! alone, the core's metadata reasons (`Ruleset::stale_flags`: expired,
//! killed, static, fully rolled out); with `--url`, also what the Worker's
//! flag usage says (`GET /v1/usage`, judged there by `edgeflags::usage`):
//! a flag that served one variant to everyone for its type's days
//! (`served_one_variant`, with the value to keep) or that nobody evaluated
//! for that long (`unused`). `--policy` sets the days per tag
//! (`release=40,experiment=40,ops=never,permission=never,default=40`).

use std::process::ExitCode;

use edgeflags::time::{format_rfc3339, parse_rfc3339, Millis};
use edgeflags::usage::Policy;
use edgeflags::Value;

use super::args::{self, Item};
use super::client::Client;
use super::{load, string, Out, Stop, USAGE};

struct Parsed {
    file: String,
    now: Option<Millis>,
    url: Option<String>,
    policy: Option<String>,
}

fn parse(args: &[String]) -> Result<Parsed, String> {
    let (mut file, mut now, mut url, mut policy) = (None, None, None, None);
    let mut a = args::Args::new(args);
    while let Some(item) = a.next().map_err(|f| f.message)? {
        let name = match item {
            Item::Pos(p) if file.is_none() => {
                file = Some(p);
                continue;
            }
            Item::Pos(_) => return Err(format!("stale takes one FILE\n{USAGE}")),
            Item::Opt(n) => n,
        };
        let value = |a: &mut args::Args| a.value(&name).map_err(|f| f.message);
        match name.as_str() {
            "--now" => now = Some(parse_rfc3339(&value(&mut a)?)?),
            "--url" => url = Some(value(&mut a)?),
            "--policy" => {
                let p = value(&mut a)?;
                Policy::parse(&p).map_err(|e| format!("--policy: {e}"))?;
                policy = Some(p);
            }
            _ => return Err(format!("unknown option {name}\n{USAGE}")),
        }
    }
    let file = file.ok_or_else(|| format!("stale needs a FILE\n{USAGE}"))?;
    if policy.is_some() && url.is_none() {
        return Err("--policy needs --url (it judges the Worker's usage)".into());
    }
    Ok(Parsed { file, now, url, policy })
}

pub(super) fn run(args: &[String], out: &mut Out) -> Result<ExitCode, Stop> {
    let a = parse(args)?;
    let now = a.now.unwrap_or_else(edgeflags_now);
    let rs = load(&a.file)?.map_err(|e| format!("{}: {e}", a.file))?;
    // The Worker's usage, by flag: its `cleanup` finding and last evaluation.
    let usage = match &a.url {
        None => Vec::new(),
        Some(url) => {
            let c = match Client::new(Some(url)) {
                Ok(c) => c,
                Err(f) => return failed(&f),
            };
            let q = a.policy.as_deref().map_or(String::new(), |p| {
                format!("?policy={}", percent_encoding::utf8_percent_encode(p, percent_encoding::NON_ALPHANUMERIC))
            });
            match c.get(&format!("/v1/usage{q}")) {
                Ok(answer) => match answer.body.get("flags") {
                    Some(Value::Array(items)) => items.clone(),
                    _ => return Err(Stop::Error(format!("{url}/v1/usage: the answer has no \"flags\" list"))),
                },
                Err(f) => return failed(&f),
            }
        }
    };
    let usage_of = |key: &str| usage.iter().find(|u| u.get("flag").and_then(Value::as_str) == Some(key));
    let stale = rs.stale_flags(now);
    for flag in rs.flags() {
        let mut reasons: Vec<Value> = stale
            .iter()
            .find(|(f, _)| f.key() == flag.key())
            .map(|(_, why)| why.iter().map(|r| string(r.as_str())).collect())
            .unwrap_or_default();
        let u = usage_of(flag.key());
        let cleanup = u.and_then(|u| u.get("cleanup")).filter(|c| **c != Value::Null);
        if let Some(reason) = cleanup.and_then(|c| c.get("reason")) {
            reasons.push(reason.clone());
        }
        if reasons.is_empty() {
            continue;
        }
        let meta = flag.metadata();
        let mut members = vec![
            ("flag", string(flag.key())),
            ("reasons", Value::Array(reasons)),
            ("owner", meta.owner.as_deref().map_or(Value::Null, string)),
            ("expires", meta.expires.map_or(Value::Null, |t| Value::String(format_rfc3339(t)))),
        ];
        if let Some(u) = u {
            members.push(("last_evaluated", u.get("last_evaluated").cloned().unwrap_or(Value::Null)));
            members.push(("usage", cleanup.cloned().unwrap_or(Value::Null)));
        }
        out.json(&Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn failed(f: &super::fail::Fail) -> Result<ExitCode, Stop> {
    f.print("stale", USAGE);
    Ok(f.exit_code())
}

fn edgeflags_now() -> Millis {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
}
