//! Schedules: a rollout percentage as a function of time, in three kinds:
//! `steps` (the design notes' `[day, percentage]` list), `linear` and
//! `s_curve` (the seeds' logistic curve), each from a `start` time.

use super::{field, Checker, Path};
use crate::context::number_str;
use crate::error::msg;
use crate::limits::MAX_LIST;
use crate::ruleset::model::Schedule;
use crate::time::{Millis, DAY_MS};
use crate::value::Value;

const SCHEDULE_FIELDS: &[&str] =
    &["type", "start", "steps", "start_percentage", "end_percentage", "duration_hours", "steepness"];
const STEP_FIELDS: &[&str] = &["day", "percentage"];

/// Compiles a `schedule` object.
pub(super) fn schedule(c: &mut Checker, path: &Path<'_>, v: &Value) -> Option<Schedule> {
    let mut sv = [None; SCHEDULE_FIELDS.len()];
    let m = c.fields(path, v, SCHEDULE_FIELDS, "a schedule", &mut sv)?;
    let kind = match field!(sv, SCHEDULE_FIELDS, "type") {
        None if field!(sv, SCHEDULE_FIELDS, "steps").is_some() => "steps",
        None => {
            c.err(path, "a schedule needs a type: \"steps\", \"linear\" or \"s_curve\"");
            return None;
        }
        Some(t) => match t.as_str() {
            Some(k @ ("steps" | "linear" | "s_curve")) => k,
            _ => {
                c.err(
                    &path.key("type"),
                    msg!["unknown schedule type ", t.to_json(), ": use \"steps\", \"linear\" or \"s_curve\""],
                );
                return None;
            }
        },
    };
    let Some(start_v) = field!(sv, SCHEDULE_FIELDS, "start") else {
        c.err(path, "a schedule needs a start time");
        return None;
    };
    let start = c.time(&path.key("start"), start_v)?;
    let allowed: &[&str] = if kind == "steps" {
        &["type", "start", "steps"]
    } else if kind == "linear" {
        &["type", "start", "start_percentage", "end_percentage", "duration_hours"]
    } else {
        &["type", "start", "start_percentage", "end_percentage", "duration_hours", "steepness"]
    };
    for (k, _) in m {
        if !allowed.contains(&k.as_str()) {
            c.err(&path.key(k), msg![k, " does not apply to a ", kind, " schedule"]);
        }
    }
    if kind == "steps" {
        let Some(sv) = field!(sv, SCHEDULE_FIELDS, "steps") else {
            c.err(path, "a steps schedule needs steps: [[day, percentage], ...]");
            return None;
        };
        return steps(c, &path.key("steps"), sv, start);
    }
    curve(c, path, &sv, kind, start)
}

/// A `steps` schedule's list: `[day, percentage]` pairs (the seed's
/// tuples) or `{"day", "percentage"}` objects.
fn steps(c: &mut Checker, sp: &Path<'_>, v: &Value, start: Millis) -> Option<Schedule> {
    let items = c.array(sp, v, MAX_LIST)?;
    if items.is_empty() {
        c.err(sp, "a steps schedule needs at least one step");
        return None;
    }
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ip = sp.idx(i);
        let (day, pct, dp, pp) = match item {
            Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1], ip.idx(0), ip.idx(1)),
            Value::Object(_) => {
                let mut dv = [None; STEP_FIELDS.len()];
                if c.fields(&ip, item, STEP_FIELDS, "a step", &mut dv).is_none() {
                    continue;
                }
                match (field!(dv, STEP_FIELDS, "day"), field!(dv, STEP_FIELDS, "percentage")) {
                    (Some(d), Some(pv)) => (d, pv, ip.key("day"), ip.key("percentage")),
                    _ => {
                        c.err(&ip, "a step needs day and percentage");
                        continue;
                    }
                }
            }
            _ => {
                c.err(&ip, "a step is [day, percentage]");
                continue;
            }
        };
        let day = c.number(&dp, day);
        if let Some(d) = day.filter(|d| !(0.0..=36_500.0).contains(d)) {
            c.err(&dp, msg!["day ", number_str(d), " is outside 0..36500"]);
            continue;
        }
        if let (Some(d), Some(pv)) = (day, c.percentage(&pp, pct)) {
            steps.push(((d * DAY_MS as f64) as i64, pv));
        }
    }
    // As the seed's sorted(schedule): by day, then percentage.
    steps.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Some(Schedule::Steps { start, steps })
}

/// A `linear` or `s_curve` schedule: from `start_percentage` to
/// `end_percentage` over `duration_hours`.
fn curve(
    c: &mut Checker,
    path: &Path<'_>,
    sv: &[Option<&Value>; SCHEDULE_FIELDS.len()],
    kind: &str,
    start: Millis,
) -> Option<Schedule> {
    let from = match field!(sv, SCHEDULE_FIELDS, "start_percentage") {
        Some(v) => c.percentage(&path.key("start_percentage"), v)?,
        None if kind == "s_curve" => 1.0,
        None => 0.0,
    };
    let to = match field!(sv, SCHEDULE_FIELDS, "end_percentage") {
        Some(v) => c.percentage(&path.key("end_percentage"), v)?,
        None => 100.0,
    };
    let Some(hours_v) = field!(sv, SCHEDULE_FIELDS, "duration_hours") else {
        c.err(path, msg!["a ", kind, " schedule needs duration_hours"]);
        return None;
    };
    let hours = c.number(&path.key("duration_hours"), hours_v)?;
    if !(hours > 0.0 && hours <= 24.0 * 36_500.0) {
        c.err(&path.key("duration_hours"), "duration_hours must be above 0 and at most 100 years");
        return None;
    }
    let duration = (hours * 3_600_000.0) as i64;
    if kind == "linear" {
        return Some(Schedule::Linear { start, duration, from, to });
    }
    let steepness = match field!(sv, SCHEDULE_FIELDS, "steepness") {
        Some(v) => c.number(&path.key("steepness"), v)?,
        None => 10.0,
    };
    if !(steepness > 0.0 && steepness <= 1000.0) {
        c.err(&path.key("steepness"), "steepness must be above 0 and at most 1000");
        return None;
    }
    Some(Schedule::SCurve { start, duration, from, to, steepness })
}
