//! Experiment events: the documented JSON of `POST /v1/events` (and of an
//! exported `.jsonl` file, one event per line), read and checked here once
//! for the Worker and the CLI; the units' keyed hashes the event store
//! keeps instead of raw ids. `docs/experiments.md` documents the format.
//!
//! ```json
//! {"events": [
//!   {"type": "exposure", "flag": "checkout", "variant": "b", "unit": "user:42"},
//!   {"type": "track", "event": "purchase", "unit": "user:42", "value": 19.99},
//!   {"type": "outcome", "id": "req-81f3", "flag": "new_api", "variant": "v2",
//!    "error": false, "latency_ms": 182, "metrics": {"checkout_failed": 0}}
//! ]}
//! ```
//!
//! A usage event (`{"type": "usage", "id", "time", "counts": {flag:
//! {variant: answers}}}`) is what a client that evaluates rulesets itself
//! (the npm package) served since its last report, for the flag usage
//! telemetry (docs/worker.md, "Flag usage").
//!
//! An outcome is what an application saw where it used a flag's variant:
//! one request (or evaluation), whether it failed, how long it took, and
//! custom metrics. Guarded rollouts count it beside what the Worker's
//! proxy measures (docs/rollouts.md, "Metrics from applications").

use crate::error::{msg, uint, Problem};
use crate::limits::MAX_NAME_LEN;
use crate::time::Millis;
use crate::value::Value;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Most events in one request.
pub const MAX_EVENTS: usize = 500;
/// Largest request body of `POST /v1/events`, in bytes (256 KiB).
pub const MAX_EVENTS_BYTES: usize = 256 * 1024;
/// Longest unit id, in bytes.
pub const MAX_UNIT_LEN: usize = 1024;
/// Longest event id, in bytes.
pub const MAX_ID_LEN: usize = 128;
/// Largest magnitude of a tracked value.
pub const MAX_VALUE: f64 = 1e12;
/// Largest `latency_ms` of an outcome (a day).
pub const MAX_LATENCY_MS: f64 = 86_400_000.0;
/// Most custom metrics in one outcome.
pub const MAX_OUTCOME_METRICS: usize = 20;
/// Most (flag, variant) counts in one usage event.
pub const MAX_USAGE_PAIRS: usize = 1000;
/// Largest count of one (flag, variant) in a usage event.
pub const MAX_USAGE_COUNT: u64 = 1_000_000_000;

/// A usage event's counts: (flag, [(variant, answers)]).
pub type UsageCounts = Vec<(String, Vec<(String, u64)>)>;

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A unit was assigned `variant` of the experiment `flag`.
    Exposure {
        /// The experiment's flag key.
        flag: String,
        /// The variant served.
        variant: String,
        /// The ruleset version that served it, when known.
        version: Option<u64>,
    },
    /// A unit did something an experiment may measure.
    Track {
        /// The event name (a metric's `event`).
        event: String,
        /// Its value (revenue, a latency...), when it has one.
        value: Option<f64>,
    },
    /// What an application saw where it served `variant` of `flag`: one
    /// request, failed or not, how long it took, custom metrics.
    Outcome {
        /// The flag's key.
        flag: String,
        /// The variant served.
        variant: String,
        /// The ruleset version that served it, when known.
        version: Option<u64>,
        /// Whether it failed.
        error: bool,
        /// How long it took, when measured.
        latency_ms: Option<f64>,
        /// Custom metrics' values, by name (in the order sent).
        metrics: Vec<(String, f64)>,
    },
    /// How many answers a client (the npm package) served per flag and
    /// variant since its last report, for the flag usage telemetry.
    Usage {
        /// The counts, in the order sent.
        counts: UsageCounts,
    },
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The sender's id for it, when given (retries resend the same id).
    pub id: Option<String>,
    /// The unit (user id, or the flag's `bucket_by` attribute); empty for
    /// an outcome sent without one.
    pub unit: String,
    /// When it happened, ms since the epoch, when given.
    pub time: Option<Millis>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The event's identity for deduplication: its `id`, or else a hash of
    /// its content (so the same event sent twice is counted once).
    pub fn dedup_id(&self) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        let mut h = Sha256::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        match &self.kind {
            EventKind::Exposure { flag, variant, version } => {
                field("exposure");
                field(flag);
                field(variant);
                field(&version.map(|v| v.to_string()).unwrap_or_default());
            }
            EventKind::Track { event, value } => {
                field("track");
                field(event);
                field(&value.map(|v| format!("{:x}", v.to_bits())).unwrap_or_default());
            }
            // Outcomes and usage always have an id (parse_event requires one).
            EventKind::Outcome { flag, variant, .. } => {
                field("outcome");
                field(flag);
                field(variant);
            }
            EventKind::Usage { counts } => {
                field("usage");
                for (flag, variants) in counts {
                    field(flag);
                    for (variant, n) in variants {
                        field(variant);
                        field(&n.to_string());
                    }
                }
            }
        }
        field(&self.unit);
        field(&self.time.map(|t| t.to_string()).unwrap_or_default());
        let digest = h.finalize();
        let mut out = String::from("h:");
        out.push_str(&hex(&digest[..16]));
        out
    }
}

/// A request body: the events and, for senders that cannot set headers
/// (`navigator.sendBeacon`), the write key.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The events, in order.
    pub events: Vec<Event>,
    /// `"key"`, when given.
    pub key: Option<String>,
}

/// Reads a `POST /v1/events` body. Every problem is reported (path-tagged,
/// `events[3].unit`); one bad event rejects the batch.
pub fn parse_batch(doc: &Value) -> Result<Batch, Vec<Problem>> {
    let mut problems = Vec::new();
    let Value::Object(members) = doc else {
        return Err(vec![problem("", msg!["the body must be an object {\"events\": [...]}, not ", doc.type_name()])]);
    };
    let mut key = None;
    let mut events = None;
    for (k, v) in members {
        match k.as_str() {
            "events" => events = Some(v),
            "key" => match v {
                Value::String(s) if !s.is_empty() && s.len() <= 1024 => key = Some(s.clone()),
                _ => problems.push(problem("key", "key must be a non-empty string (the events write key)")),
            },
            other => problems.push(problem(other, msg!["unknown field \"", other, "\" (expected events, key)"])),
        }
    }
    let mut out = Vec::new();
    match events {
        None => problems.push(problem("", "the body needs \"events\": a list of events")),
        Some(Value::Array(items)) if items.is_empty() => problems.push(problem("events", "events is empty")),
        Some(Value::Array(items)) if items.len() > MAX_EVENTS => problems.push(problem(
            "events",
            msg![uint(items.len()), " events is more than the limit of ", uint(MAX_EVENTS), " per request"],
        )),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match parse_event(item, &msg!["events[", uint(i), "]"]) {
                    Ok(e) => out.push(e),
                    Err(p) => problems.extend(p),
                }
            }
        }
        Some(other) => problems.push(problem("events", msg!["events must be a list, not ", other.type_name()])),
    }
    if problems.is_empty() {
        Ok(Batch { events: out, key })
    } else {
        Err(problems)
    }
}

/// Reads one event (an element of `events`, or a line of an exported
/// `.jsonl` file); `path` prefixes the problems' paths.
pub fn parse_event(v: &Value, path: &str) -> Result<Event, Vec<Problem>> {
    let mut problems = Vec::new();
    let at = |field: &str| if path.is_empty() { field.to_string() } else { msg![path, ".", field] };
    let Value::Object(members) = v else {
        return Err(vec![problem(path, msg!["an event must be an object, not ", v.type_name()])]);
    };
    let (mut ty, mut id, mut unit, mut time) = (None, None, None, None);
    let (mut flag, mut variant, mut version, mut event, mut value) = (None, None, None, None, None);
    let (mut error, mut latency, mut metrics, mut counts) = (None, None, None, None);
    for (k, v) in members {
        let p = at(k);
        match k.as_str() {
            "type" => ty = v.as_str(),
            "id" => id = string(&mut problems, &p, v, MAX_ID_LEN),
            "unit" => unit = unit_string(&mut problems, &p, v),
            "time" => match v {
                Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 9.0e15 => time = Some(*n as Millis),
                _ => problems.push(problem(&p, "time must be a whole number of milliseconds since the epoch")),
            },
            "flag" => flag = string(&mut problems, &p, v, MAX_NAME_LEN),
            "variant" => variant = string(&mut problems, &p, v, MAX_NAME_LEN),
            "event" => event = string(&mut problems, &p, v, MAX_NAME_LEN),
            "version" => match v {
                Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 9.0e15 => version = Some(*n as u64),
                _ => problems.push(problem(&p, "version must be a whole number 0 or more")),
            },
            "value" => match v {
                Value::Number(n) if n.abs() <= MAX_VALUE => value = Some(*n),
                Value::Number(_) => problems.push(problem(&p, "value must be between -1e12 and 1e12")),
                _ => problems.push(problem(&p, msg!["value must be a number, not ", v.type_name()])),
            },
            "error" => match v {
                Value::Bool(b) => error = Some(*b),
                _ => problems.push(problem(&p, msg!["error must be true or false, not ", v.type_name()])),
            },
            "latency_ms" => match v {
                Value::Number(n) if (0.0..=MAX_LATENCY_MS).contains(n) => latency = Some(*n),
                _ => problems.push(problem(&p, "latency_ms must be a number of milliseconds, 0 to 86400000")),
            },
            "metrics" => metrics = outcome_metrics(&mut problems, &p, v),
            "counts" => counts = usage_counts(&mut problems, &p, v),
            other => problems.push(problem(&p, msg!["unknown field \"", other, "\" in an event"])),
        }
    }
    let has = |name: &str| members.iter().any(|(k, _)| k == name);
    let outcome_only = ["error", "latency_ms", "metrics"];
    if ty != Some("outcome") {
        if let Some(f) = outcome_only.iter().find(|f| has(f)) {
            problems.push(problem(&at(f), msg!["\"", *f, "\" belongs to an outcome event"]));
        }
    }
    if ty != Some("usage") && has("counts") {
        problems.push(problem(&at("counts"), "\"counts\" belongs to a usage event"));
    }
    let kind = match ty {
        Some("exposure") => {
            for (name, set) in [("flag", flag.is_some()), ("variant", variant.is_some())] {
                if !set && !members.iter().any(|(k, _)| k == name) {
                    problems.push(problem(path, msg!["an exposure needs \"", name, "\""]));
                }
            }
            if event.is_some() || value.is_some() {
                problems.push(problem(path, "an exposure has no \"event\" or \"value\" (those are for track)"));
            }
            flag.zip(variant).map(|(flag, variant)| EventKind::Exposure { flag, variant, version })
        }
        Some("track") => {
            if event.is_none() && !members.iter().any(|(k, _)| k == "event") {
                problems.push(problem(path, "a track event needs \"event\": its name"));
            }
            if flag.is_some() || variant.is_some() || version.is_some() {
                problems.push(problem(path, "a track event has no \"flag\", \"variant\" or \"version\""));
            }
            event.map(|event| EventKind::Track { event, value })
        }
        Some("outcome") => {
            for (name, set) in [("flag", flag.is_some()), ("variant", variant.is_some()), ("id", id.is_some())] {
                if !set && !has(name) {
                    let why = if name == "id" { " (unique per outcome, so a retried batch counts once)" } else { "" };
                    problems.push(problem(path, msg!["an outcome needs \"", name, "\"", why]));
                }
            }
            if event.is_some() || value.is_some() {
                problems
                    .push(problem(path, "an outcome has no \"event\" or \"value\" (custom values go in \"metrics\")"));
            }
            flag.zip(variant).map(|(flag, variant)| EventKind::Outcome {
                flag,
                variant,
                version,
                error: error.unwrap_or(false),
                latency_ms: latency,
                metrics: metrics.unwrap_or_default(),
            })
        }
        Some("usage") => {
            if id.is_none() && !has("id") {
                problems.push(problem(
                    path,
                    "a usage event needs \"id\" (unique per report, so a retried batch counts once)",
                ));
            }
            if !has("counts") {
                problems.push(problem(path, "a usage event needs \"counts\": {flag: {variant: answers}}"));
            }
            let extra = ["unit", "flag", "variant", "version", "event", "value"];
            if let Some(f) = extra.iter().find(|f| has(f)) {
                problems.push(problem(
                    &at(f),
                    msg!["a usage event has no \"", *f, "\" (its counts name flags and variants)"],
                ));
            }
            counts.map(|counts| EventKind::Usage { counts })
        }
        Some(other) => {
            problems.push(problem(
                &at("type"),
                msg!["unknown type \"", other, "\" (expected exposure, track, outcome or usage)"],
            ));
            None
        }
        None => {
            problems.push(problem(path, "an event needs \"type\": \"exposure\", \"track\", \"outcome\" or \"usage\""));
            None
        }
    };
    if matches!(ty, Some("outcome") | Some("usage")) && !has("unit") {
        unit = Some(String::new());
    }
    if unit.is_none() && !has("unit") {
        problems.push(problem(path, "an event needs \"unit\": the user (or bucketing unit) id"));
    }
    match (kind, unit) {
        (Some(kind), Some(unit)) if problems.is_empty() => Ok(Event { id, unit, time, kind }),
        _ => Err(problems),
    }
}

/// An outcome's `metrics`: an object of at most [`MAX_OUTCOME_METRICS`]
/// names (1 to 64 bytes) with numbers within [`MAX_VALUE`].
fn outcome_metrics(problems: &mut Vec<Problem>, path: &str, v: &Value) -> Option<Vec<(String, f64)>> {
    let Value::Object(members) = v else {
        problems.push(problem(path, msg!["metrics must be an object of numbers by name, not ", v.type_name()]));
        return None;
    };
    if members.len() > MAX_OUTCOME_METRICS {
        problems.push(problem(path, msg!["at most ", uint(MAX_OUTCOME_METRICS), " metrics per outcome"]));
        return None;
    }
    let mut out = Vec::with_capacity(members.len());
    for (k, x) in members {
        let p = msg![path, ".", k];
        match x {
            _ if k.is_empty() || k.len() > MAX_NAME_LEN => {
                problems.push(problem(&p, msg!["a metric name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]))
            }
            Value::Number(n) if n.abs() <= MAX_VALUE => out.push((k.clone(), *n)),
            Value::Number(_) => problems.push(problem(&p, "a metric's value must be between -1e12 and 1e12")),
            _ => problems.push(problem(&p, msg!["a metric's value must be a number, not ", x.type_name()])),
        }
    }
    Some(out)
}

/// A usage event's `counts`: `{flag: {variant: answers}}`, flag keys and
/// variant names of 1 to 64 bytes, answers whole numbers from 1 to
/// [`MAX_USAGE_COUNT`], at most [`MAX_USAGE_PAIRS`] pairs.
fn usage_counts(problems: &mut Vec<Problem>, path: &str, v: &Value) -> Option<UsageCounts> {
    let shape = "counts must be an object {flag: {variant: answers}}";
    let Value::Object(flags) = v else {
        problems.push(problem(path, msg![shape, ", not ", v.type_name()]));
        return None;
    };
    let before = problems.len();
    let mut pairs = 0;
    let mut out = Vec::with_capacity(flags.len());
    for (flag, variants) in flags {
        let p = msg![path, ".", flag];
        if flag.is_empty() || flag.len() > MAX_NAME_LEN {
            problems.push(problem(&p, msg!["a flag key must be 1 to ", uint(MAX_NAME_LEN), " bytes"]));
            continue;
        }
        let Value::Object(variants) = variants else {
            problems.push(problem(
                &p,
                msg!["a flag's counts must be an object {variant: answers}, not ", variants.type_name()],
            ));
            continue;
        };
        pairs += variants.len();
        let mut row = Vec::with_capacity(variants.len());
        for (variant, n) in variants {
            let q = msg![p.as_str(), ".", variant];
            match n {
                _ if variant.is_empty() || variant.len() > MAX_NAME_LEN => {
                    problems.push(problem(&q, msg!["a variant name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]))
                }
                Value::Number(x) if x.fract() == 0.0 && *x >= 1.0 && *x <= MAX_USAGE_COUNT as f64 => {
                    row.push((variant.clone(), *x as u64))
                }
                _ => problems.push(problem(&q, "a count must be a whole number from 1 to 1000000000")),
            }
        }
        out.push((flag.clone(), row));
    }
    if pairs > MAX_USAGE_PAIRS {
        problems.push(problem(
            path,
            msg![uint(pairs), " counts is more than the limit of ", uint(MAX_USAGE_PAIRS), " per usage event"],
        ));
    }
    (problems.len() == before).then_some(out)
}

/// The keyed hash the event store keeps for a unit: HMAC-SHA256 of the
/// unit's id under `key` (a Worker secret), as 32 hex digits (128 bits).
/// Joins (exposures with conversions) work on it; without the key, the
/// raw id cannot be recovered or confirmed.
pub fn unit_hash(key: &[u8], unit: &str) -> String {
    // HMAC accepts keys of every length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(unit.as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem { path: path.to_string(), message: message.into() }
}

fn string(problems: &mut Vec<Problem>, path: &str, v: &Value, max: usize) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= max => Some(s.clone()),
        Value::String(_) => {
            problems.push(problem(path, msg!["must be 1 to ", uint(max), " bytes"]));
            None
        }
        other => {
            problems.push(problem(path, msg!["expected a string, not ", other.type_name()]));
            None
        }
    }
}

/// A unit: a string, or a number (written as the context writes it).
fn unit_string(problems: &mut Vec<Problem>, path: &str, v: &Value) -> Option<String> {
    match v {
        Value::Number(n) if n.is_finite() => Some(crate::context::number_str(*n)),
        _ => string(problems, path, v, MAX_UNIT_LEN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Batch, Vec<Problem>> {
        parse_batch(&Value::parse(json).unwrap())
    }

    #[test]
    fn reads_both_kinds() {
        let b = parse(
            r#"{"events":[{"type":"exposure","flag":"f","variant":"b","unit":"u1","version":3,"time":5},
            {"type":"track","event":"purchase","unit":42,"value":1.5,"id":"x"}],"key":"k"}"#,
        )
        .unwrap();
        assert_eq!(b.key.as_deref(), Some("k"));
        assert_eq!(b.events[0].kind, EventKind::Exposure { flag: "f".into(), variant: "b".into(), version: Some(3) });
        assert_eq!(b.events[1].unit, "42");
        assert_eq!(b.events[1].dedup_id(), "x");
        assert!(b.events[0].dedup_id().starts_with("h:"));
    }

    #[test]
    fn every_problem_has_a_path() {
        let e = parse(
            r#"{"events":[{"type":"exposure","flag":"f","unit":"u"},{"type":"track","unit":"","event":"e","value":"x"},
            {"type":"click","unit":"u"},{"unit":"u","event":"e","type":"track","value":1e13,"zz":1}]}"#,
        )
        .unwrap_err();
        let text: Vec<String> = e.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        let joined = text.join("\n");
        for want in [
            "events[0]: an exposure needs \"variant\"",
            "events[1].unit: must be 1 to 1024 bytes",
            "events[1].value: value must be a number, not string",
            "events[2].type: unknown type \"click\"",
            "events[3].value: value must be between",
            "events[3].zz: unknown field",
        ] {
            assert!(joined.contains(want), "{want} missing in\n{joined}");
        }
    }

    #[test]
    fn limits_and_shape() {
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"events":[]}"#).is_err());
        let many = format!(r#"{{"events":[{}]}}"#, vec![r#"{"type":"track","event":"e","unit":"u"}"#; 501].join(","));
        let e = parse(&many).unwrap_err();
        assert!(e[0].message.contains("limit of 500"), "{e:?}");
    }

    #[test]
    fn content_ids_tell_events_apart() {
        let a = parse(r#"{"events":[{"type":"track","event":"e","unit":"u","value":1},{"type":"track","event":"e","unit":"u","value":2},{"type":"track","event":"e","unit":"u","value":1}]}"#).unwrap();
        let ids: Vec<String> = a.events.iter().map(Event::dedup_id).collect();
        assert_ne!(ids[0], ids[1]);
        assert_eq!(ids[0], ids[2]);
    }

    #[test]
    fn outcomes() {
        let b = parse(
            r#"{"events":[{"type":"outcome","id":"r1","flag":"api","variant":"v2","error":true,"latency_ms":12.5,
            "metrics":{"failed":1,"cart":3.5},"version":4},{"type":"outcome","id":"r2","flag":"api","variant":"v1","unit":"u"}]}"#,
        )
        .unwrap();
        assert_eq!(
            b.events[0].kind,
            EventKind::Outcome {
                flag: "api".into(),
                variant: "v2".into(),
                version: Some(4),
                error: true,
                latency_ms: Some(12.5),
                metrics: vec![("failed".into(), 1.0), ("cart".into(), 3.5)],
            }
        );
        assert_eq!(b.events[0].unit, "");
        assert_eq!(b.events[0].dedup_id(), "r1");
        assert!(matches!(b.events[1].kind, EventKind::Outcome { error: false, latency_ms: None, .. }));
        let e = parse(
            r#"{"events":[{"type":"outcome","flag":"api","variant":"v2"},{"type":"outcome","id":"x","flag":"a","variant":"b",
            "error":1,"latency_ms":-1,"metrics":{"m":"x","":1}},{"type":"track","event":"e","unit":"u","error":true},
            {"type":"outcome","id":"y","flag":"a","variant":"b","event":"e"}]}"#,
        )
        .unwrap_err();
        let joined: String = e.iter().map(|p| format!("{}: {}\n", p.path, p.message)).collect();
        for want in [
            "events[0]: an outcome needs \"id\" (unique per outcome",
            "events[1].error: error must be true or false, not number",
            "events[1].latency_ms: latency_ms must be a number of milliseconds",
            "events[1].metrics.m: a metric's value must be a number, not string",
            "events[1].metrics.: a metric name must be 1 to 256 bytes",
            "events[2].error: \"error\" belongs to an outcome event",
            "events[3]: an outcome has no \"event\" or \"value\"",
        ] {
            assert!(joined.contains(want), "{want} missing in\n{joined}");
        }
    }

    #[test]
    fn usage_events() {
        let b = parse(
            r#"{"events":[{"type":"usage","id":"u1","time":7,"counts":{"search":{"on":120,"off":3},"limit":{"small":1}}}]}"#,
        )
        .unwrap();
        let e = &b.events[0];
        assert_eq!(
            e.kind,
            EventKind::Usage {
                counts: vec![
                    ("search".into(), vec![("on".into(), 120), ("off".into(), 3)]),
                    ("limit".into(), vec![("small".into(), 1)]),
                ]
            }
        );
        assert_eq!((e.unit.as_str(), e.time, e.dedup_id().as_str()), ("", Some(7), "u1"));
        let many: Vec<String> = (0..1001).map(|i| format!(r#""v{i}":1"#)).collect();
        let e = parse(&format!(
            r#"{{"events":[{{"type":"usage","counts":{{"f":{{"on":0}},"g":{{"on":1.5}},"h":{{"on":1e10}},"i":[1],"":{{"x":1}},"j":{{"":1}}}}}},
            {{"type":"usage","id":"x","counts":[],"unit":"u"}},{{"type":"usage","id":"y"}},
            {{"type":"track","event":"e","unit":"u","counts":{{}}}},{{"type":"usage","id":"z","counts":{{"f":{{{}}}}}}}]}}"#,
            many.join(",")
        ))
        .unwrap_err();
        let joined: String = e.iter().map(|p| format!("{}: {}\n", p.path, p.message)).collect();
        for want in [
            "events[0]: a usage event needs \"id\"",
            "events[0].counts.f.on: a count must be a whole number from 1 to 1000000000",
            "events[0].counts.g.on: a count must be a whole number",
            "events[0].counts.h.on: a count must be a whole number",
            "events[0].counts.i: a flag's counts must be an object {variant: answers}, not array",
            "events[0].counts.: a flag key must be 1 to 256 bytes",
            "events[0].counts.j.: a variant name must be 1 to 256 bytes",
            "events[1].counts: counts must be an object {flag: {variant: answers}}, not array",
            "events[1].unit: a usage event has no \"unit\"",
            "events[2]: a usage event needs \"counts\"",
            "events[3].counts: \"counts\" belongs to a usage event",
            "events[4].counts: 1001 counts is more than the limit of 1000 per usage event",
        ] {
            assert!(joined.contains(want), "{want} missing in\n{joined}");
        }
    }

    #[test]
    fn unit_hash_is_keyed_hmac() {
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        assert_eq!(unit_hash(b"Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c7");
        assert_ne!(unit_hash(b"k1", "u"), unit_hash(b"k2", "u"));
    }
}
