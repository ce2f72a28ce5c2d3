//! A flag's `rollout` field: the plan of a guarded rollout (steps, time
//! and sample per step, guards, what a breach does) and where it stands
//! (`status`, `since`), checked against the flag's own `percentage`, which
//! is the current step. docs/rollouts.md has the format.
//!
//! Messages are short: this code is in the browser's wasm.

use super::{field, Checker, Path};
use crate::context::number_str;
use crate::error::{join, msg, uint};
use crate::limits::MAX_UPSTREAM_LEN;
use crate::rollout::LATENCY_BOUNDS_MS;
use crate::rollout::{
    Breach, Guard, RolloutPlan, RolloutStatus, DEFAULT_ALPHA, DEFAULT_MIN_MINUTES, DEFAULT_MIN_REQUESTS, MAX_GUARDS,
    MAX_STEPS, PERCENTILES,
};
use crate::ruleset::model::{Percentage, Rollout, Serve};
use crate::value::Value;

const ROLLOUT_FIELDS: &[&str] =
    &["steps", "min_minutes", "min_requests", "guards", "on_breach", "alpha", "webhook", "status", "since"];
const GUARD_FIELDS: &[&str] = &["metric", "max", "max_increase", "percentile", "max_ms", "max_increase_ms"];
/// The largest `min_minutes` (a year) and `max_increase_ms` (a minute).
const MAX_MINUTES: f64 = 525_600.0;
const MAX_INCREASE_MS: f64 = 60_000.0;

/// The compiled `rollout` of a flag whose flag-level serve is compiled
/// (`fixed`: the flag sets a percentage and no schedule or split).
pub(super) fn rollout(
    c: &mut Checker,
    path: &Path<'_>,
    v: &Value,
    fixed: bool,
    fallthrough: Option<&Serve>,
) -> Option<Box<Rollout>> {
    let mut fv = [None; ROLLOUT_FIELDS.len()];
    c.fields(path, v, ROLLOUT_FIELDS, "a rollout", &mut fv)?;
    for f in &mut fv {
        if *f == Some(&Value::Null) {
            *f = None;
        }
    }
    let mut ok = true;
    let steps = match field!(fv, ROLLOUT_FIELDS, "steps") {
        Some(s) => steps(c, &path.key("steps"), s),
        None => {
            c.err(path, "a rollout needs steps, e.g. [1, 5, 25, 100]");
            None
        }
    };
    let min_minutes = whole(c, path, "min_minutes", field!(fv, ROLLOUT_FIELDS, "min_minutes"), MAX_MINUTES, &mut ok)
        .map_or(DEFAULT_MIN_MINUTES, |n| n as u32);
    let min_requests = whole(c, path, "min_requests", field!(fv, ROLLOUT_FIELDS, "min_requests"), 1e15, &mut ok)
        .map_or(DEFAULT_MIN_REQUESTS, |n| n as u64);
    let guards = match field!(fv, ROLLOUT_FIELDS, "guards") {
        Some(g) => guards(c, &path.key("guards"), g),
        None => Some(Vec::new()),
    };
    let on_breach = match field!(fv, ROLLOUT_FIELDS, "on_breach") {
        None => Some(Breach::Rollback),
        Some(b) => match b.as_str() {
            Some("rollback") => Some(Breach::Rollback),
            Some("pause") => Some(Breach::Pause),
            Some("kill") => Some(Breach::Kill),
            _ => {
                c.err(&path.key("on_breach"), "on_breach must be \"rollback\", \"pause\" or \"kill\"");
                None
            }
        },
    };
    let alpha = match field!(fv, ROLLOUT_FIELDS, "alpha") {
        None => Some(DEFAULT_ALPHA),
        Some(a) => {
            let ap = path.key("alpha");
            let n = c.number(&ap, a);
            if n.is_some_and(|n| !(n > 0.0 && n < 1.0)) {
                c.err(&ap, "alpha must be between 0 and 1 (exclusive)");
            }
            n.filter(|n| *n > 0.0 && *n < 1.0)
        }
    };
    let webhook = match field!(fv, ROLLOUT_FIELDS, "webhook") {
        None => Some(None),
        Some(w) => webhook(c, &path.key("webhook"), w).map(|w| Some(w.into())),
    };
    let status = match field!(fv, ROLLOUT_FIELDS, "status") {
        None => Some(RolloutStatus::Running),
        Some(s) => {
            let found = s.as_str().and_then(RolloutStatus::parse);
            if found.is_none() {
                c.err(&path.key("status"), "status must be running, paused, done, rolled_back or killed");
            }
            found
        }
    };
    let since = match field!(fv, ROLLOUT_FIELDS, "since") {
        None => Some(None),
        Some(s) => c.time(&path.key("since"), s).map(Some),
    };
    // The current step is the flag's own fixed percentage.
    let percentage = match fallthrough {
        _ if !fixed => {
            c.err(path, "a rollout needs the flag's percentage (not a schedule or split)");
            None
        }
        Some(Serve::Rollout { percentage: Percentage::Fixed(p), .. }) => Some(*p),
        // The percentage did not compile: reported there.
        _ => None,
    };
    if let (Some(p), Some(steps)) = (percentage, &steps) {
        if p != 0.0 && !steps.contains(&p) {
            c.err(path, msg!["the flag's percentage ", number_str(p), " is not 0 or a step"]);
            ok = false;
        }
    }
    let plan = RolloutPlan {
        steps: steps?,
        min_minutes,
        min_requests,
        guards: guards?,
        on_breach: on_breach?,
        alpha: alpha?,
        webhook: webhook?,
    };
    let (status, since) = (status?, since?);
    ok.then(|| Box::new(Rollout { plan, status, since }))
}

/// `steps`: percentages above 0, increasing, the last one 100.
fn steps(c: &mut Checker, sp: &Path<'_>, v: &Value) -> Option<Vec<f64>> {
    let items = c.array(sp, v, MAX_STEPS)?;
    let mut out: Vec<f64> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, s) in items.iter().enumerate() {
        let ip = sp.idx(i);
        match c.percentage(&ip, s) {
            Some(p) if p <= 0.0 => {
                c.err(&ip, "a step must be above 0");
                ok = false;
            }
            Some(p) if out.last().is_some_and(|&l| p <= l) => {
                c.err(&ip, "steps must increase");
                ok = false;
            }
            Some(p) => out.push(p),
            None => ok = false,
        }
    }
    if ok && out.last() != Some(&100.0) {
        c.err(sp, "the last step must be 100");
        ok = false;
    }
    ok.then_some(out)
}

/// An optional whole number from 0 to `max` (sets `ok` false when wrong).
fn whole(c: &mut Checker, path: &Path<'_>, name: &str, v: Option<&Value>, max: f64, ok: &mut bool) -> Option<f64> {
    let p = path.key(name);
    let n = c.number(&p, v?);
    match n {
        Some(n) if n >= 0.0 && n <= max && n.fract() == 0.0 => Some(n),
        _ => {
            if n.is_some() {
                c.err(&p, msg![name, " must be a whole number 0 to ", number_str(max)]);
            }
            *ok = false;
            None
        }
    }
}

fn guards(c: &mut Checker, gp: &Path<'_>, v: &Value) -> Option<Vec<Guard>> {
    let items = c.array(gp, v, MAX_GUARDS)?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, g) in items.iter().enumerate() {
        match guard(c, &gp.idx(i), g) {
            Some(g) => out.push(g),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// One guard: `error_rate` with `max` or `max_increase`; `latency` with
/// `percentile` and `max_ms` or `max_increase_ms`.
fn guard(c: &mut Checker, path: &Path<'_>, v: &Value) -> Option<Guard> {
    let mut fv = [None; GUARD_FIELDS.len()];
    let members = c.fields(path, v, GUARD_FIELDS, "a guard", &mut fv)?;
    let latency = match field!(fv, GUARD_FIELDS, "metric").map(|m| m.as_str()) {
        Some(Some("error_rate")) => false,
        Some(Some("latency")) => true,
        Some(_) => {
            c.err(&path.key("metric"), "metric must be \"error_rate\" or \"latency\"");
            return None;
        }
        None => {
            c.err(path, "a guard needs a metric");
            return None;
        }
    };
    let (allowed, limits): (&[&str], [&str; 2]) = if latency {
        (&["metric", "percentile", "max_ms", "max_increase_ms"], ["max_ms", "max_increase_ms"])
    } else {
        (&["metric", "max", "max_increase"], ["max", "max_increase"])
    };
    let mut ok = true;
    for (k, _) in members {
        if !allowed.contains(&k.as_str()) {
            c.err(&path.key(k), msg![k, " does not apply to this metric"]);
            ok = false;
        }
    }
    let set: Vec<(&str, &Value)> =
        limits.iter().filter_map(|&n| members.iter().find(|(k, _)| k == n).map(|(_, v)| (n, v))).collect();
    let [(name, value)] = set[..] else {
        c.err(path, msg!["a guard needs one of ", join(&limits, ", ")]);
        return None;
    };
    let lp = path.key(name);
    let n = c.number(&lp, value)?;
    if !latency {
        if !(n > 0.0 && n < 1.0) {
            c.err(&lp, msg![name, " must be between 0 and 1 (exclusive)"]);
            return None;
        }
        return ok.then_some(if name == "max" {
            Guard::ErrorRate { max: n }
        } else {
            Guard::ErrorRateIncrease { max_increase: n }
        });
    }
    let percentile = match field!(fv, GUARD_FIELDS, "percentile") {
        None => {
            c.err(path, "a latency guard needs a percentile");
            None
        }
        Some(p) => {
            let pp = path.key("percentile");
            let n = c.number(&pp, p)?;
            if !PERCENTILES.contains(&n) {
                c.err(&pp, "percentile must be 50, 90, 95, 99 or 99.9");
            }
            PERCENTILES.contains(&n).then_some(n)
        }
    };
    let guard = if name == "max_ms" {
        let Some(&max_ms) = LATENCY_BOUNDS_MS.iter().find(|&&b| f64::from(b) == n) else {
            let bounds: Vec<String> = LATENCY_BOUNDS_MS.iter().map(|&b| uint(b as usize)).collect();
            let bounds: Vec<&str> = bounds.iter().map(|s| &**s).collect();
            c.err(&lp, msg!["max_ms must be one of ", join(&bounds, ", ")]);
            return None;
        };
        Guard::Latency { percentile: percentile?, max_ms }
    } else {
        if !((1.0..=MAX_INCREASE_MS).contains(&n) && n.fract() == 0.0) {
            c.err(&lp, "max_increase_ms must be a whole number 1 to 60000");
            return None;
        }
        Guard::LatencyIncrease { percentile: percentile?, max_increase_ms: n as u32 }
    };
    ok.then_some(guard)
}

/// `https://host...`, or `http://` to 127.0.0.1 or localhost (tests); no
/// whitespace.
fn webhook<'v>(c: &mut Checker, path: &Path<'_>, v: &'v Value) -> Option<&'v str> {
    let s = c.string(path, v, MAX_UPSTREAM_LEN)?;
    let local = ["http://127.0.0.1", "http://localhost"]
        .iter()
        .any(|p| s.strip_prefix(p).is_some_and(|r| r.is_empty() || r.starts_with([':', '/'])));
    let https = s.strip_prefix("https://").is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !(local || https) || s.contains(char::is_whitespace) {
        c.err(path, "webhook must be https:// (or http:// to 127.0.0.1 or localhost)");
        return None;
    }
    Some(s)
}
