//! Flag usage telemetry, in plain Rust (docs/worker.md, "Flag usage"):
//! what an isolate counts about the answers it serves (per flag, variant
//! and day: evaluations and the last one), the queue messages the counts
//! travel in, the SQL the queue consumer adds them to D1 with, and the
//! JSON of `GET /v1/usage` and `GET /v1/flags/{key}/usage`. What the
//! counts say about cleanup is the core's (`edgeflags::usage`).
//!
//! Storage (D1, `migrations/0004_flag_usage.sql`): `flag_usage` holds one
//! row per (flag, variant, day); each delivery adds its counts to the row
//! (`INSERT ... ON CONFLICT DO UPDATE`). The last time and which variants
//! were served are exact however often a message is delivered; a count
//! can be added twice if a delivery is retried after its write succeeded
//! (rare: a counter, not an audit).

use std::collections::{BTreeMap, HashMap};

use edgeflags::time::{format_rfc3339, Millis};
use edgeflags::usage::{self, Day, DayUsage, Finding, Policy, Summary};
use edgeflags::{Ruleset, Value};

use crate::events::{Param, MAX_PARAMS};

/// Rows per queue message.
pub const ROWS_PER_MESSAGE: usize = 200;

/// One row: evaluations of a flag's variant on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The flag.
    pub flag: String,
    /// The variant served.
    pub variant: String,
    /// The day (days since the epoch).
    pub day: Day,
    /// How many answers.
    pub count: u64,
    /// The last one (ms).
    pub last_at: Millis,
}

/// One day's counts: flag → variant → (answers, last one).
type DayCounts = HashMap<String, HashMap<String, (u64, Millis)>>;

/// An isolate's counts since its last send, looked up by `&str` so a
/// flag and variant already counted cost no allocation.
#[derive(Debug, Default)]
pub struct Counts {
    days: BTreeMap<Day, DayCounts>,
    rows: usize,
}

impl Counts {
    /// Counts one answer of `flag` serving `variant` at `at` (ms).
    pub fn add(&mut self, flag: &str, variant: &str, at: Millis) {
        let day = self.days.entry(usage::day_of(at)).or_default();
        let flags = match day.get_mut(flag) {
            Some(f) => f,
            None => day.entry(flag.to_string()).or_default(),
        };
        match flags.get_mut(variant) {
            Some((n, last)) => {
                *n += 1;
                *last = (*last).max(at);
            }
            None => {
                flags.insert(variant.to_string(), (1, at));
                self.rows += 1;
            }
        }
    }

    /// Distinct rows held.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Everything held, leaving the counts empty (in a stable order).
    pub fn take(&mut self) -> Vec<Row> {
        self.rows = 0;
        let mut out = Vec::new();
        for (day, flags) in std::mem::take(&mut self.days) {
            for (flag, variants) in flags {
                for (variant, (count, last_at)) in variants {
                    out.push(Row { flag: flag.clone(), variant, day, count, last_at });
                }
            }
        }
        out.sort_by(|a, b| (a.day, &a.flag, &a.variant).cmp(&(b.day, &b.flag, &b.variant)));
        out
    }
}

/// The queue messages carrying `rows`: `{"v": 1, "usage": [{"flag",
/// "variant", "day", "count", "last_at"}]}`.
pub fn messages(rows: &[Row]) -> Vec<String> {
    rows.chunks(ROWS_PER_MESSAGE)
        .map(|chunk| {
            let items: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "flag": r.flag, "variant": r.variant, "day": r.day, "count": r.count, "last_at": r.last_at,
                    })
                })
                .collect();
            serde_json::json!({ "v": 1, "usage": items }).to_string()
        })
        .collect()
}

/// A usage message read back; `None` when `text` is not one.
pub fn read_message(text: &str) -> Option<Vec<Row>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("v")?.as_u64()? != 1 {
        return None;
    }
    v.get("usage")?
        .as_array()?
        .iter()
        .map(|m| {
            Some(Row {
                flag: m.get("flag")?.as_str()?.to_string(),
                variant: m.get("variant")?.as_str()?.to_string(),
                day: m.get("day")?.as_i64()?,
                count: m.get("count")?.as_u64()?,
                last_at: m.get("last_at")?.as_i64()?,
            })
        })
        .collect()
}

/// The statements adding `rows` to `flag_usage` (multi-row upserts).
pub fn upsert_statements(rows: &[Row]) -> Vec<(String, Vec<Param>)> {
    rows.chunks(MAX_PARAMS / 5)
        .map(|chunk| {
            let sql = format!(
                "INSERT INTO flag_usage (flag, variant, day, count, last_at) VALUES {} \
                 ON CONFLICT (flag, variant, day) DO UPDATE SET count = count + excluded.count, \
                 last_at = MAX(last_at, excluded.last_at)",
                vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ")
            );
            let params = chunk
                .iter()
                .flat_map(|r| {
                    [
                        Param::Text(r.flag.clone()),
                        Param::Text(r.variant.clone()),
                        Param::Int(r.day),
                        Param::Int(r.count as i64),
                        Param::Int(r.last_at),
                    ]
                })
                .collect();
            (sql, params)
        })
        .collect()
}

/// Every flag's rows from a day on. Params: the first day.
pub const ALL_QUERY: &str =
    "SELECT flag, variant, day, count, last_at FROM flag_usage WHERE day >= ?1 ORDER BY flag, day, variant";
/// One flag's rows from a day on. Params: flag, the first day.
pub const FLAG_QUERY: &str =
    "SELECT flag, variant, day, count, last_at FROM flag_usage WHERE flag = ?1 AND day >= ?2 ORDER BY day, variant";
/// The first day anything was recorded (observation began).
pub const OBSERVED_QUERY: &str = "SELECT MIN(day) AS day FROM flag_usage";
/// Deletes rows before a day. Params: the first day kept.
pub const PRUNE_QUERY: &str = "DELETE FROM flag_usage WHERE day < ?1";

/// One row of the queries.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct QueryRow {
    /// The flag.
    pub flag: String,
    /// The variant.
    pub variant: String,
    /// The day.
    pub day: f64,
    /// Evaluations.
    pub count: f64,
    /// The last one (ms).
    pub last_at: f64,
}

/// The rows of one flag as the core's days.
pub fn days_of<'r>(rows: impl IntoIterator<Item = &'r QueryRow>) -> Vec<DayUsage> {
    rows.into_iter()
        .map(|r| DayUsage {
            day: r.day as Day,
            variant: r.variant.clone(),
            count: if r.count > 0.0 { r.count as u64 } else { 0 },
            last_at: r.last_at as Millis,
        })
        .collect()
}

/// A flag's usage as JSON: `{"flag", "last_evaluated", "days",
/// "evaluations", "variants": {name: n}, "one_variant": {"variant",
/// "since", "value"} | null, "cleanup": {"reason", "days", "variant"?,
/// "keep"?} | null, "threshold_days": n | null}`.
pub fn flag_json(
    rs: &Ruleset,
    key: &str,
    days: &[DayUsage],
    observed_since: Option<Day>,
    now: Millis,
    policy: &Policy,
) -> serde_json::Value {
    let s: Summary = usage::summarize(days, now);
    let flag = rs.flag(key);
    let value_of = |variant: &str| {
        flag.and_then(|f| f.variants().iter().find(|v| *v.name == *variant))
            .map_or(serde_json::Value::Null, |v| json_value(&v.value))
    };
    let finding = flag.and_then(|f| usage::assess(f, &s, observed_since, now, policy));
    let cleanup = match &finding {
        Some(Finding::OneVariant { variant, days }) => serde_json::json!({
            "reason": "served_one_variant", "days": days, "variant": variant, "keep": value_of(variant),
        }),
        Some(Finding::Unused { days }) => serde_json::json!({ "reason": "unused", "days": days }),
        None => serde_json::Value::Null,
    };
    let variants: serde_json::Map<String, serde_json::Value> =
        s.variants.iter().map(|(v, n)| (v.clone(), serde_json::json!(n))).collect();
    serde_json::json!({
        "flag": key,
        "in_ruleset": flag.is_some(),
        "last_evaluated": s.last_evaluated.map(format_rfc3339),
        "days": usage::SUMMARY_DAYS,
        "evaluations": s.variants.iter().map(|(_, n)| n).sum::<u64>(),
        "variants": variants,
        "one_variant": s.one_variant.as_ref().map(|(v, since)| serde_json::json!({
            "variant": v, "since": format_rfc3339(since * usage::DAY_MS), "value": value_of(v),
        })),
        "threshold_days": flag.and_then(|f| policy.days_for(f)),
        "cleanup": cleanup,
    })
}

/// `GET /v1/usage`: every flag of the ruleset (and any other flag with
/// rows), in ruleset order.
pub fn all_json(
    rs: &Ruleset,
    rows: &[QueryRow],
    observed_since: Option<Day>,
    now: Millis,
    policy: &Policy,
) -> serde_json::Value {
    let mut keys: Vec<&str> = rs.flags().iter().map(|f| f.key()).collect();
    for r in rows {
        if !keys.contains(&r.flag.as_str()) {
            keys.push(&r.flag);
        }
    }
    let flags: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| flag_json(rs, k, &days_of(rows.iter().filter(|r| r.flag == *k)), observed_since, now, policy))
        .collect();
    serde_json::json!({
        "observed_since": observed_since.map(|d| format_rfc3339(d * usage::DAY_MS)),
        "flags": flags,
    })
}

fn json_value(v: &Value) -> serde_json::Value {
    serde_json::from_str(&v.to_json()).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = usage::DAY_MS;

    #[test]
    fn counts_round_trip_through_messages_and_upserts() {
        let mut c = Counts::default();
        c.add("a", "on", 5 * DAY + 10);
        c.add("a", "on", 5 * DAY + 30);
        c.add("a", "off", 5 * DAY + 20);
        c.add("b", "x", 6 * DAY);
        assert_eq!(c.len(), 3);
        let rows = c.take();
        assert!(c.is_empty());
        assert_eq!(rows[1], Row { flag: "a".into(), variant: "on".into(), day: 5, count: 2, last_at: 5 * DAY + 30 });
        let back: Vec<Row> = messages(&rows).iter().flat_map(|m| read_message(m).unwrap()).collect();
        assert_eq!(back, rows);
        assert_eq!(read_message(r#"{"v":1,"metrics":[]}"#), None);
        let many: Vec<Row> = (0..45).map(|i| Row { day: i, ..rows[0].clone() }).collect();
        let stmts = upsert_statements(&many);
        assert_eq!(stmts.len(), 3);
        for (sql, params) in &stmts {
            assert!(sql.contains("ON CONFLICT (flag, variant, day) DO UPDATE"));
            assert_eq!(sql.matches('?').count(), params.len());
            assert!(params.len() <= MAX_PARAMS);
        }
    }

    #[test]
    fn usage_json_names_the_value_to_keep() {
        let rs = Ruleset::from_json(
            r#"{"flags": {"new_search": {"percentage": 100, "tags": ["release"]}, "kill": {"tags": ["ops"]}}}"#,
        )
        .unwrap();
        let row = |flag: &str, variant: &str, day: i64| QueryRow {
            flag: flag.into(),
            variant: variant.into(),
            day: day as f64,
            count: 10.0,
            last_at: (day * DAY + 5) as f64,
        };
        let rows = vec![
            row("new_search", "off", 10),
            row("new_search", "on", 10),
            row("new_search", "on", 99),
            row("gone", "on", 99),
            row("kill", "off", 99),
        ];
        let all = all_json(&rs, &rows, Some(0), 100 * DAY, &Policy::default());
        let flags = all["flags"].as_array().unwrap();
        assert_eq!(
            flags.iter().map(|f| f["flag"].as_str().unwrap()).collect::<Vec<_>>(),
            ["new_search", "kill", "gone"]
        );
        let s = &flags[0];
        assert_eq!(
            s["cleanup"],
            serde_json::json!({"reason": "served_one_variant", "days": 89, "variant": "on", "keep": true})
        );
        assert_eq!(s["variants"], serde_json::json!({"on": 10}));
        assert_eq!(s["last_evaluated"], "1970-04-10T00:00:00.005Z");
        assert_eq!(flags[1]["cleanup"], serde_json::Value::Null, "ops flags are never candidates");
        assert_eq!(flags[2]["in_ruleset"], false);
    }
}
