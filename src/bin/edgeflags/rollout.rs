//! `edgeflags rollout`: guarded rollouts on a Worker (docs/rollouts.md).
//! `status` prints every plan (or one flag's) with its step, status, the
//! guards' latest figures and the last decisions, from `GET /v1/rollouts`
//! and `GET /v1/rollouts/{key}/decisions`; `pause`, `resume` and `abort`
//! change one rollout through `POST /v1/flags/{key}/rollout/{action}`
//! (abort asks first, like `rollback`).

use edgeflags::Value;

use super::{confirm, num, opts, s, Report};
use crate::client::{version_number, Client};
use crate::fail::{Exit, Fail};

/// Decisions shown per flag by default.
const DEFAULT_DECISIONS: usize = 5;

pub fn run(args: &[String], r: &mut Report) -> Result<(), Fail> {
    let o = opts(args, &["--url", "--limit", "--yes"], (1, 2))?;
    let sub = o.pos[0].as_str();
    r.set("subcommand", s(sub));
    match sub {
        "status" => status(o.pos.get(1).map(String::as_str), o.url.as_deref(), o.limit, r),
        "pause" | "resume" | "abort" => {
            let Some(flag) = o.pos.get(1) else {
                return Err(Fail::usage(format!("rollout {sub} needs a flag: edgeflags rollout {sub} FLAG")));
            };
            let c = Client::new(o.url.as_deref())?;
            r.set("url", s(c.base()));
            r.set("flag", s(flag));
            if sub == "abort" {
                confirm(r, &o, &format!("Abort the rollout of {flag} at {} (back to 0 %)?", c.base()))?;
            }
            let answer = c.send("POST", &format!("/v1/flags/{}/rollout/{sub}", path_segment(flag)), None, None)?;
            let v = answer.body.get("version").and_then(version_number);
            r.say(&[match v {
                Some(v) => format!("Rollout of {flag}: {sub} done (version {v})."),
                None => format!("Rollout of {flag}: {sub} done."),
            }]);
            r.set("outcome", s("published"));
            r.set("published", answer.body);
            Ok(())
        }
        other => Err(Fail::usage(format!("unknown rollout subcommand \"{other}\" (status, pause, resume, abort)"))),
    }
}

fn status(flag: Option<&str>, url: Option<&str>, limit: Option<usize>, r: &mut Report) -> Result<(), Fail> {
    let c = Client::new(url)?;
    r.set("url", s(c.base()));
    let listing = c.get("/v1/rollouts")?.body;
    let version = listing.get("version").and_then(version_number);
    let mut rollouts: Vec<Value> = match listing.get("rollouts") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    if let Some(f) = flag {
        rollouts.retain(|x| x.get("flag").and_then(Value::as_str) == Some(f));
        if rollouts.is_empty() {
            return Err(Fail::new(
                Exit::Server,
                "NO_ROLLOUT",
                format!("flag \"{f}\" has no rollout plan at {} (version {})", c.base(), version.unwrap_or(0)),
            ));
        }
    }
    let want = limit.unwrap_or(DEFAULT_DECISIONS);
    for item in &mut rollouts {
        // The listing carries the latest few; more come from the log.
        if want > decisions(item).len() {
            let key = item.get("flag").and_then(Value::as_str).unwrap_or_default().to_string();
            let page = c.get(&format!("/v1/rollouts/{}/decisions?limit={want}", path_segment(&key)))?.body;
            if let (Value::Object(m), Some(d)) = (&mut *item, page.get("decisions")) {
                set(m, "decisions", d.clone());
            }
        } else if let Value::Object(m) = item {
            let kept: Vec<Value> = decisions(&Value::Object(m.clone())).into_iter().take(want).collect();
            set(m, "decisions", Value::Array(kept));
        }
    }
    r.set("version", version.map_or(Value::Null, |v| Value::Number(v as f64)));
    r.set("rollouts", Value::Array(rollouts.clone()));
    r.set("count", num(rollouts.len()));
    let mut lines = vec![match (rollouts.len(), version) {
        (0, Some(v)) => format!("No rollout plans at {} (version {v}).", c.base()),
        (0, None) => format!("No ruleset is published at {} yet.", c.base()),
        (n, v) => {
            format!("{n} rollout plan{} at {} (version {}):", if n == 1 { "" } else { "s" }, c.base(), v.unwrap_or(0))
        }
    }];
    for item in &rollouts {
        lines.extend(render(item));
    }
    r.say(&lines);
    Ok(())
}

fn set(m: &mut Vec<(String, Value)>, key: &str, v: Value) {
    match m.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = v,
        None => m.push((key.to_string(), v)),
    }
}

fn decisions(item: &Value) -> Vec<Value> {
    match item.get("decisions") {
        Some(Value::Array(d)) => d.clone(),
        _ => Vec::new(),
    }
}

/// A flag key as one path segment.
fn path_segment(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pct(v: Option<&Value>) -> String {
    v.and_then(Value::as_f64).map_or("-".into(), |p| format!("{p}%"))
}

/// A number as people read it (at most four significant decimals).
fn figure(v: Option<&Value>, unit: &str) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) if unit == "%" => format!("{}%", trim(x * 100.0)),
        Some(x) => format!("{}{unit}", trim(x)),
        None => "-".into(),
    }
}

fn trim(x: f64) -> String {
    let t = format!("{x:.4}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t.is_empty() || t == "-0" {
        "0".into()
    } else {
        t.to_string()
    }
}

/// One decision in words: `advance 10% -> 50%`, `hold: too_few_requests (40 of 100)`, ...
pub(super) fn decision_words(d: &Value) -> String {
    let text = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let n = |k: &str| d.get(k).and_then(Value::as_f64).map_or("-".into(), trim);
    let action = text("action");
    let mut out = match action.as_str() {
        "start" | "advance" => format!("{action} {} -> {}", pct(d.get("from")), pct(d.get("to"))),
        "hold" => match text("reason").as_str() {
            "too_few_requests" => format!("hold: too_few_requests ({} of {})", n("have"), n("need")),
            "too_soon" => format!("hold: too_soon ({} of {} min)", n("minutes"), n("need")),
            "too_few_samples" => {
                format!("hold: too_few_samples (guard {}: {} of {} values)", n("guard"), n("have"), n("need"))
            }
            "at_risk" => format!("hold: at_risk (guard {})", n("guard")),
            reason => format!("hold: {reason}"),
        },
        "rollback" | "pause" | "kill" if d.get("guard").is_some() => {
            let breached = guard_line(d, d.get("guard").and_then(Value::as_f64).unwrap_or(-1.0) as i64);
            format!("{action}: guard {} breached{}", n("guard"), breached.map_or(String::new(), |b| format!(" ({b})")))
        }
        _ => action.clone(),
    };
    if d.get("by_hand") == Some(&Value::Bool(true)) {
        out.push_str(" (by hand)");
    }
    if let Some(e) = d.get("error").and_then(Value::as_str) {
        out.push_str(&format!(" [not applied: {e}]"));
    }
    out
}

/// Guard `i`'s figures in one line: `error_rate 20% > limit 5% (p 0.0001)`.
fn guard_line(d: &Value, i: i64) -> Option<String> {
    let Some(Value::Array(fs)) = d.get("figures") else { return None };
    let f = fs.iter().find(|f| f.get("guard").and_then(Value::as_f64) == Some(i as f64))?;
    Some(figures_words(f))
}

fn figures_words(f: &Value) -> String {
    let metric = f.get("metric").and_then(Value::as_str).unwrap_or("-");
    let (name, unit) = match metric {
        "error_rate" | "error_rate_increase" => (metric.to_string(), "%"),
        "custom" => {
            let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("-");
            (format!("{} mean ({})", text("name"), text("bound")), "")
        }
        _ => (format!("{metric} p{}", f.get("percentile").and_then(Value::as_f64).map_or("-".into(), trim)), " ms"),
    };
    let state = match (f.get("breached"), f.get("past_limit")) {
        (Some(Value::Bool(true)), _) => "BREACHED",
        (_, Some(Value::Bool(true))) => "past limit",
        _ => "ok",
    };
    let p = f.get("p_value").and_then(Value::as_f64).map_or("-".into(), trim);
    format!(
        "{name} {} (control {}, limit {}, n {}, p {p}): {state}",
        figure(f.get("treatment"), unit),
        figure(f.get("control"), unit),
        figure(f.get("limit"), unit),
        f.get("samples").and_then(Value::as_f64).map_or("-".into(), trim),
    )
}

/// One rollout as text.
fn render(item: &Value) -> Vec<String> {
    let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let steps: Vec<String> = match item.get("steps") {
        Some(Value::Array(xs)) => xs.iter().map(|x| pct(Some(x))).collect(),
        _ => Vec::new(),
    };
    let next = match item.get("next").and_then(Value::as_f64) {
        Some(n) => format!(", next {}", pct(Some(&Value::Number(n)))),
        None => String::new(),
    };
    let mut lines = vec![
        format!(
            "  {}  {}  at {}{next}  (steps {})",
            text("flag"),
            text("status"),
            pct(item.get("percentage")),
            steps.join(" ")
        ),
        format!("    step since {}", text("since")),
    ];
    let ds = decisions(item);
    // The guards' figures of the latest decision that has them.
    if let Some(Value::Array(fs)) = ds.iter().find_map(|d| match d.get("decision").and_then(|x| x.get("figures")) {
        Some(Value::Array(f)) if !f.is_empty() => Some(Value::Array(f.clone())),
        _ => None,
    }) {
        lines.push("    guards (latest figures):".into());
        for f in &fs {
            let i = f.get("guard").and_then(Value::as_f64).map_or("-".into(), trim);
            lines.push(format!("      [{i}] {}", figures_words(f)));
        }
    }
    if ds.is_empty() {
        lines.push("    no decisions yet".into());
    } else {
        lines.push("    last decisions (newest first):".into());
        for d in &ds {
            let at = d.get("at").and_then(Value::as_str).unwrap_or("-");
            let v = d.get("version").and_then(version_number).map_or("-".into(), |v| format!("v{v}"));
            let applied = d.get("applied").and_then(version_number).map_or(String::new(), |a| format!(" -> v{a}"));
            let words = d.get("decision").map_or("-".into(), decision_words);
            lines.push(format!("      {at}  {v}{applied}  {words}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let d = Value::parse(
            r#"{"action":"rollback","guard":0,"figures":[{"guard":0,"metric":"error_rate","treatment":0.2,
                "control":0,"limit":0.05,"samples":150,"p_value":0.00001,"alpha":0.008,"past_limit":true,"breached":true}]}"#,
        )
        .unwrap();
        assert_eq!(
            decision_words(&d),
            "rollback: guard 0 breached (error_rate 20% (control 0%, limit 5%, n 150, p 0): BREACHED)"
        );
        let h =
            Value::parse(r#"{"action":"hold","reason":"too_few_requests","have":40,"need":100,"figures":[]}"#).unwrap();
        assert_eq!(decision_words(&h), "hold: too_few_requests (40 of 100)");
        let a = Value::parse(r#"{"action":"advance","from":10,"to":50,"figures":[]}"#).unwrap();
        assert_eq!(decision_words(&a), "advance 10% -> 50%");
        let c = Value::parse(
            r#"{"action":"rollback","guard":1,"figures":[{"guard":1,"metric":"custom","name":"checkout_failed",
                "bound":"max_increase","treatment":0.4,"control":0.02,"limit":0.07,"samples":200,"control_samples":200,
                "p_value":0.0,"alpha":0.008,"past_limit":true,"breached":true}]}"#,
        )
        .unwrap();
        assert_eq!(
            decision_words(&c),
            "rollback: guard 1 breached (checkout_failed mean (max_increase) 0.4 (control 0.02, limit 0.07, n 200, p 0): \
             BREACHED)"
        );
        let s = Value::parse(r#"{"action":"hold","reason":"too_few_samples","guard":1,"have":40,"need":100}"#).unwrap();
        assert_eq!(decision_words(&s), "hold: too_few_samples (guard 1: 40 of 100 values)");
        let m = Value::parse(r#"{"action":"pause","by_hand":true}"#).unwrap();
        assert_eq!(decision_words(&m), "pause (by hand)");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(trim(0.25), "0.25");
        assert_eq!(trim(12.0), "12");
    }
}
