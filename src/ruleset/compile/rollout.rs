//! A flag's `rollout` field: the plan of a guarded rollout (steps, time
//! and sample per step, guards, what a breach does) and where it stands
//! (`status`, `since`), checked against the flag's own `percentage`, which
//! is the current step. docs/rollouts.md has the format.
//!
//! Messages are short: this code is in the browser's wasm.

use super::{field, Checker, Path};
use crate::context::number_str;
use crate::error::msg;
use crate::limits::MAX_UPSTREAM_LEN;
use crate::rollout::{
    Breach, Guard, MetricBound, RolloutPlan, RolloutStatus, DEFAULT_ALPHA, DEFAULT_MIN_MINUTES, DEFAULT_MIN_REQUESTS,
    DEFAULT_MIN_SAMPLES, LATENCY_BOUNDS_MS, MAX_GUARDS, MAX_STEPS, PERCENTILES,
};
use crate::ruleset::model::{Percentage, Rollout, Serve};
use crate::value::Value;

const ROLLOUT_FIELDS: &[&str] =
    &["steps", "min_minutes", "min_requests", "guards", "on_breach", "alpha", "webhook", "status", "since"];
const GUARD_FIELDS: &[&str] = &[
    "metric",
    "max",
    "max_increase",
    "percentile",
    "max_ms",
    "max_increase_ms",
    "name",
    "min",
    "max_decrease",
    "min_samples",
];
/// The largest `min_minutes` (a year), `min_requests` and
/// `max_increase_ms` (a minute); the messages below say them.
const MAX_MINUTES: f64 = 525_600.0;
const MAX_REQUESTS: f64 = 1e15;
const MAX_INCREASE_MS: f64 = 60_000.0;
/// The problem of a `max_ms` that is not one of [`LATENCY_BOUNDS_MS`],
/// written out: a literal is smaller in the wasm than the code that would
/// format it (tested against the array).
const BOUNDS: &str = " must be one of 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, \
    600, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000";

/// The compiled `rollout` of a flag (or rule) whose serve is compiled
/// (`fixed`: it sets a percentage and no schedule or split).
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
    // Each part is `None` when wrong (reported) and its default when unset.
    let steps = match field!(fv, ROLLOUT_FIELDS, "steps") {
        Some(s) => steps(c, &path.key("steps"), s),
        None => {
            c.err(path, "a rollout needs steps");
            None
        }
    };
    let (ok_minutes, ok_requests) =
        (|n: f64| (0.0..=MAX_MINUTES).contains(&n), |n: f64| (0.0..=MAX_REQUESTS).contains(&n));
    let min_minutes = field!(fv, ROLLOUT_FIELDS, "min_minutes")
        .map_or(Some(f64::from(DEFAULT_MIN_MINUTES)), |m| num(c, path, "min_minutes", m, ok_minutes, WHOLE_MINUTES));
    let min_requests = field!(fv, ROLLOUT_FIELDS, "min_requests")
        .map_or(Some(DEFAULT_MIN_REQUESTS as f64), |m| num(c, path, "min_requests", m, ok_requests, WHOLE_REQUESTS));
    let guards = match field!(fv, ROLLOUT_FIELDS, "guards") {
        Some(g) => guards(c, &path.key("guards"), g),
        None => Some(Vec::new()),
    };
    const BREACHES: [Breach; 3] = [Breach::Rollback, Breach::Pause, Breach::Kill];
    let on_breach = field!(fv, ROLLOUT_FIELDS, "on_breach").map_or(Some(0), |b| {
        choice(c, path, "on_breach", b, &["rollback", "pause", "kill"], " must be rollback, pause or kill")
    });
    let alpha =
        field!(fv, ROLLOUT_FIELDS, "alpha").map_or(Some(DEFAULT_ALPHA), |a| num(c, path, "alpha", a, open_unit, UNIT));
    let webhook = match field!(fv, ROLLOUT_FIELDS, "webhook") {
        None => Some(None),
        Some(w) => webhook(c, &path.key("webhook"), w).map(|w| Some(w.into())),
    };
    const STATUSES: [RolloutStatus; 5] = [
        RolloutStatus::Running,
        RolloutStatus::Paused,
        RolloutStatus::Done,
        RolloutStatus::RolledBack,
        RolloutStatus::Killed,
    ];
    let status = field!(fv, ROLLOUT_FIELDS, "status").map_or(Some(0), |s| {
        let names = ["running", "paused", "done", "rolled_back", "killed"];
        choice(c, path, "status", s, &names, " must be running, paused, done, rolled_back or killed")
    });
    let since = match field!(fv, ROLLOUT_FIELDS, "since") {
        None => Some(None),
        Some(s) => c.time(&path.key("since"), s).map(Some),
    };
    // The current step is the flag's own fixed percentage.
    let mut ok = true;
    let percentage = match fallthrough {
        _ if !fixed => {
            c.err(path, "a rollout needs a fixed percentage beside it, not a schedule or split");
            None
        }
        Some(Serve::Rollout { percentage: Percentage::Fixed(p), .. }) => Some(*p),
        // The percentage did not compile: reported there.
        _ => None,
    };
    if let (Some(p), Some(steps)) = (percentage, &steps) {
        if p != 0.0 && !steps.contains(&p) {
            c.err(path, msg!["the percentage ", number_str(p), " is not 0 or a step"]);
            ok = false;
        }
    }
    let plan = RolloutPlan {
        steps: steps?,
        min_minutes: min_minutes? as u32,
        min_requests: min_requests? as u64,
        guards: guards?,
        on_breach: BREACHES[on_breach?],
        alpha: alpha?,
        webhook: webhook?,
    };
    let (status, since) = (STATUSES[status?], since?);
    ok.then(|| Box::new(Rollout { plan, status, since, rule: None }))
}

const UNIT: (&str, bool) = (" must be between 0 and 1", false);
const WHOLE_MINUTES: (&str, bool) = (" must be a whole number 0 to 525600", true);
const WHOLE_REQUESTS: (&str, bool) = (" must be a whole number 0 to 1e15", true);

fn open_unit(n: f64) -> bool {
    n > 0.0 && n < 1.0
}

/// The number `v` at `path.name` if `ok` says so (and whole, if `whole`);
/// else the problem "name`want`".
#[inline(never)]
fn num(
    c: &mut Checker,
    path: &Path<'_>,
    name: &str,
    v: &Value,
    ok: fn(f64) -> bool,
    want: (&str, bool),
) -> Option<f64> {
    let p = path.key(name);
    let n = c.number(&p, v)?;
    if !ok(n) || (want.1 && n.fract() != 0.0) {
        c.err(&p, msg![name, want.0]);
        return None;
    }
    Some(n)
}

/// The index of `v` (a string at `path.name`) among `names`.
#[inline(never)]
fn choice(c: &mut Checker, path: &Path<'_>, name: &str, v: &Value, names: &[&str], want: &str) -> Option<usize> {
    let found = v.as_str().and_then(|s| names.iter().position(|n| *n == s));
    if found.is_none() {
        c.err(&path.key(name), msg![name, want]);
    }
    found
}

/// `steps`: percentages above 0, increasing, the last one 100.
fn steps(c: &mut Checker, sp: &Path<'_>, v: &Value) -> Option<Vec<f64>> {
    let items = c.array(sp, v, MAX_STEPS)?;
    let mut out: Vec<f64> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, s) in items.iter().enumerate() {
        let ip = sp.idx(i);
        let Some(p) = c.percentage(&ip, s) else {
            ok = false;
            continue;
        };
        if p <= out.last().copied().unwrap_or(0.0) {
            c.err(&ip, if p == 0.0 { "a step must be above 0" } else { "steps must increase" });
            ok = false;
        }
        out.push(p);
    }
    if ok && out.last() != Some(&100.0) {
        c.err(sp, "the last step must be 100");
        ok = false;
    }
    ok.then_some(out)
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
/// `percentile` and `max_ms` or `max_increase_ms`; `custom` with `name`
/// and one of `max`, `min`, `max_increase`, `max_decrease`.
fn guard(c: &mut Checker, path: &Path<'_>, v: &Value) -> Option<Guard> {
    let mut fv = [None; GUARD_FIELDS.len()];
    c.fields(path, v, GUARD_FIELDS, "a guard", &mut fv)?;
    // Which fields apply (in GUARD_FIELDS order), and the two limits.
    const NO: bool = false;
    let (latency, applies, limits) = match fv[0].and_then(Value::as_str) {
        Some("error_rate") => (false, [true, true, true, NO, NO, NO, NO, NO, NO, NO], (1, 2)),
        Some("latency") => (true, [true, NO, NO, true, true, true, NO, NO, NO, NO], (4, 5)),
        Some("custom") => return custom(c, path, &fv),
        _ => {
            let mp = path.key("metric");
            c.err(if fv[0].is_some() { &mp } else { path }, "a guard needs a metric: error_rate, latency or custom");
            return None;
        }
    };
    let mut ok = true;
    for (i, name) in GUARD_FIELDS.iter().enumerate() {
        if fv[i].is_some() && !applies[i] {
            c.err(&path.key(name), msg![name, " does not apply to this metric"]);
            ok = false;
        }
    }
    let (limit, value) = match (fv[limits.0], fv[limits.1]) {
        (Some(v), None) => (limits.0, v),
        (None, Some(v)) => (limits.1, v),
        _ => {
            c.err(
                path,
                if latency { "a guard needs max_ms or max_increase_ms" } else { "a guard needs max or max_increase" },
            );
            return None;
        }
    };
    let name = GUARD_FIELDS[limit];
    if !latency {
        let n = num(c, path, name, value, open_unit, UNIT)?;
        return ok.then_some(if limit == 1 {
            Guard::ErrorRate { max: n }
        } else {
            Guard::ErrorRateIncrease { max_increase: n }
        });
    }
    let percentile = match fv[3] {
        Some(p) => {
            num(c, path, "percentile", p, |n| PERCENTILES.contains(&n), (" must be 50, 90, 95, 99 or 99.9", false))
        }
        None => {
            c.err(path, "a latency guard needs a percentile");
            None
        }
    };
    let n = if limit == 4 {
        num(c, path, name, value, |n| LATENCY_BOUNDS_MS.iter().any(|&b| f64::from(b) == n), (BOUNDS, false))?
    } else {
        num(
            c,
            path,
            name,
            value,
            |n| (1.0..=MAX_INCREASE_MS).contains(&n),
            (" must be a whole number 1 to 60000", true),
        )?
    };
    let (percentile, ms) = (percentile?, n as u32);
    let guard = if limit == 4 {
        Guard::Latency { percentile, max_ms: ms }
    } else {
        Guard::LatencyIncrease { percentile, max_increase_ms: ms }
    };
    ok.then_some(guard)
}

/// A custom-metric guard: `name`, exactly one bound, `min_samples`.
fn custom(c: &mut Checker, path: &Path<'_>, fv: &[Option<&Value>]) -> Option<Guard> {
    let mut ok = true;
    for i in [3, 4, 5] {
        if fv[i].is_some() {
            c.err(&path.key(GUARD_FIELDS[i]), msg![GUARD_FIELDS[i], " does not apply to this metric"]);
            ok = false;
        }
    }
    let name = match fv[6] {
        Some(n) => c.name(&path.key("name"), n, "a metric name"),
        None => {
            c.err(path, "a custom guard needs a name");
            None
        }
    };
    let set: Vec<usize> = [1, 7, 2, 8].into_iter().filter(|&i| fv[i].is_some()).collect();
    let [i] = set[..] else {
        c.err(path, "a custom guard needs one of max, min, max_increase, max_decrease");
        return None;
    };
    let x = if i == 1 || i == 7 {
        num(c, path, GUARD_FIELDS[i], fv[i]?, |n| n.abs() <= 1e12, (" must be between -1e12 and 1e12", false))
    } else {
        num(c, path, GUARD_FIELDS[i], fv[i]?, |n| n > 0.0 && n <= 1e12, (" must be above 0, at most 1e12", false))
    };
    let min_samples = fv[9].map_or(Some(DEFAULT_MIN_SAMPLES as f64), |m| {
        num(c, path, "min_samples", m, |n| (2.0..=1e9).contains(&n), (" must be a whole number 2 to 1e9", true))
    });
    let bound = match i {
        1 => MetricBound::Max(x?),
        7 => MetricBound::Min(x?),
        2 => MetricBound::MaxIncrease(x?),
        _ => MetricBound::MaxDecrease(x?),
    };
    let guard = Guard::Metric { name: name?.into(), bound, min_samples: min_samples? as u64 };
    ok.then_some(guard)
}

/// `https://host...`, or `http://` to 127.0.0.1 or localhost (tests); no
/// spaces or control characters.
fn webhook<'v>(c: &mut Checker, path: &Path<'_>, v: &'v Value) -> Option<&'v str> {
    let s = c.string(path, v, MAX_UPSTREAM_LEN)?;
    let after = |prefix: &str| s.strip_prefix(prefix).map(|r| r.bytes().next());
    let local = [after("http://127.0.0.1"), after("http://localhost")]
        .into_iter()
        .any(|r| matches!(r, Some(None | Some(b':' | b'/'))));
    let https = matches!(after("https://"), Some(Some(b)) if b != b'/');
    if !(local || https) || s.bytes().any(|b| b <= b' ' || b == 0x7f) {
        c.err(path, "webhook must be https://, or http:// to 127.0.0.1 or localhost");
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bounds_text_lists_the_bounds() {
        let list = super::BOUNDS.trim_start_matches(" must be one of ");
        let listed: Vec<u32> = list.split(", ").map(|b| b.parse().unwrap()).collect();
        assert_eq!(listed, crate::rollout::LATENCY_BOUNDS_MS);
    }
}
