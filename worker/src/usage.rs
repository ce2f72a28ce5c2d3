//! Flag usage telemetry, in plain Rust (docs/worker.md, "Flag usage"):
//! what an isolate counts about the answers it serves (per flag, variant
//! and day: evaluations and the last one), the queue messages the counts
//! travel in, the SQL the queue consumer adds them to D1 with, and the
//! JSON of `GET /v1/usage` and `GET /v1/flags/{key}/usage`. What the
//! counts say about cleanup is the core's (`edgeflags::usage`).
//!
//! Storage (D1, `migrations/0004_flag_usage.sql`,
//! `migrations/0005_usage_applied.sql`): `flag_usage` holds one row per
//! (flag, variant, day); each message adds its counts to the rows
//! (`INSERT ... ON CONFLICT DO UPDATE`). Every message has an id (an
//! isolate's send, or a client's usage event), and the consumer adds a
//! message's counts only in the transaction that records its id in
//! `usage_applied`: a message delivered twice (a queue retry after the
//! write succeeded, a send retried after it reached the queue, a client
//! resending a batch) is counted once. Ids are kept
//! [`APPLIED_KEPT_DAYS`] days, far longer than any retry.

use std::collections::{BTreeMap, HashMap};

use edgeflags::time::{format_rfc3339, Millis};
use edgeflags::usage::{self, Day, DayUsage, Finding, Policy, Summary};
use edgeflags::{Ruleset, Value};

use crate::events::{Param, MAX_PARAMS};

/// Rows per queue message.
pub const ROWS_PER_MESSAGE: usize = 200;
/// How long a message id is remembered (days).
pub const APPLIED_KEPT_DAYS: i64 = 7;
/// Rows per upsert statement: five parameters a row, and the two of the
/// id check.
const ROWS_PER_STATEMENT: usize = (MAX_PARAMS - 2) / 5;

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

/// One queue message: counts and the id that makes them count once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique per message (a retry resends the same id); `None` only in
    /// messages from a version that sent none (counted as they come).
    pub id: Option<String>,
    /// The counts.
    pub rows: Vec<Row>,
}

/// The queue messages carrying `rows`, at most [`ROWS_PER_MESSAGE`] each:
/// `{"v": 1, "id", "usage": [{"flag", "variant", "day", "count",
/// "last_at"}]}`, the ids `{id}/{n}`.
pub fn messages(id: &str, rows: &[Row]) -> Vec<String> {
    rows.chunks(ROWS_PER_MESSAGE)
        .enumerate()
        .map(|(n, chunk)| {
            let items: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "flag": r.flag, "variant": r.variant, "day": r.day, "count": r.count, "last_at": r.last_at,
                    })
                })
                .collect();
            serde_json::json!({ "v": 1, "id": format!("{id}/{n}"), "usage": items }).to_string()
        })
        .collect()
}

/// A usage message read back; `None` when `text` is not one.
pub fn read_message(text: &str) -> Option<Message> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("v")?.as_u64()? != 1 {
        return None;
    }
    let rows = v
        .get("usage")?
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
        .collect::<Option<Vec<Row>>>()?;
    Some(Message { id: v.get("id").and_then(|i| i.as_str()).map(str::to_string), rows })
}

/// The rows a client's usage event adds (`counts` of flags and variants
/// the ruleset has; the rest is dropped), counted on the day of `at`.
pub fn client_rows(rs: &Ruleset, counts: edgeflags::events::UsageCounts, at: Millis) -> Vec<Row> {
    let mut out = Vec::new();
    for (flag, variants) in counts {
        let Some(f) = rs.flag(&flag) else { continue };
        for (variant, count) in variants {
            if f.variants().iter().any(|v| *v.name == *variant) {
                out.push(Row { flag: flag.clone(), variant, day: usage::day_of(at), count, last_at: at });
            }
        }
    }
    out
}

/// The statements applying `messages` (in one transaction): per message
/// with an id, its id is recorded in `usage_applied` with a token unique
/// to this write (`{token}/{n}`), and its upserts add the counts only
/// where the id is recorded with that token: a message applied before
/// (or twice in this batch) adds nothing.
pub fn apply_statements(messages: &[Message], token: &str, now: Millis) -> Vec<(String, Vec<Param>)> {
    let mut out = Vec::new();
    for (n, m) in messages.iter().enumerate() {
        let check = m.id.as_ref().map(|id| {
            let token = format!("{token}/{n}");
            out.push((
                "INSERT INTO usage_applied (id, token, at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING".to_string(),
                vec![Param::Text(id.clone()), Param::Text(token.clone()), Param::Int(now)],
            ));
            (id.clone(), token)
        });
        for chunk in m.rows.chunks(ROWS_PER_STATEMENT) {
            let mut params: Vec<Param> = chunk
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
            let values = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            // SQLite needs a WHERE before an upsert's ON CONFLICT when the
            // rows come from a SELECT: `WHERE true` without an id.
            let filter = match &check {
                Some((id, token)) => {
                    params.push(Param::Text(id.clone()));
                    params.push(Param::Text(token.clone()));
                    "EXISTS (SELECT 1 FROM usage_applied WHERE id = ? AND token = ?)"
                }
                None => "true",
            };
            let sql = format!(
                "INSERT INTO flag_usage (flag, variant, day, count, last_at) \
                 SELECT column1, column2, column3, column4, column5 FROM (VALUES {values}) WHERE {filter} \
                 ON CONFLICT (flag, variant, day) DO UPDATE SET count = count + excluded.count, \
                 last_at = MAX(last_at, excluded.last_at)"
            );
            out.push((sql, params));
        }
    }
    out
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
/// Forgets message ids recorded before a time. Params: the first ms kept.
pub const PRUNE_APPLIED_QUERY: &str = "DELETE FROM usage_applied WHERE at < ?1";

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
    fn counts_round_trip_through_messages_and_statements() {
        let mut c = Counts::default();
        c.add("a", "on", 5 * DAY + 10);
        c.add("a", "on", 5 * DAY + 30);
        c.add("a", "off", 5 * DAY + 20);
        c.add("b", "x", 6 * DAY);
        assert_eq!(c.len(), 3);
        let rows = c.take();
        assert!(c.is_empty());
        assert_eq!(rows[1], Row { flag: "a".into(), variant: "on".into(), day: 5, count: 2, last_at: 5 * DAY + 30 });
        let texts = messages("e:abc", &rows);
        let back = read_message(&texts[0]).unwrap();
        assert_eq!((back.id.as_deref(), &back.rows), (Some("e:abc/0"), &rows));
        assert_eq!(read_message(r#"{"v":1,"metrics":[]}"#), None);
        // A message from before ids counts as it comes.
        let old =
            read_message(r#"{"v":1,"usage":[{"flag":"a","variant":"on","day":1,"count":2,"last_at":3}]}"#).unwrap();
        assert_eq!(old.id, None);
        let many: Vec<Row> = (0..450).map(|i| Row { day: i, ..rows[0].clone() }).collect();
        let texts = messages("e:x", &many);
        assert_eq!(texts.len(), 3);
        let msgs: Vec<Message> = texts.iter().map(|t| read_message(t).unwrap()).collect();
        assert_eq!(msgs[2].id.as_deref(), Some("e:x/2"));
        let stmts = apply_statements(&msgs, "tok", 9);
        // Per message: the id's record, then its upserts.
        let upserts = |n: usize| n.div_ceil(ROWS_PER_STATEMENT);
        assert_eq!(stmts.len(), 3 + 2 * upserts(200) + upserts(50));
        assert!(stmts[0].0.starts_with("INSERT INTO usage_applied"));
        assert!(matches!(&stmts[0].1[1], Param::Text(t) if t == "tok/0"));
        for (sql, params) in &stmts {
            assert_eq!(sql.matches('?').count(), params.len());
            assert!(params.len() <= MAX_PARAMS);
        }
        assert!(stmts[1].0.contains("WHERE EXISTS (SELECT 1 FROM usage_applied WHERE id = ? AND token = ?)"));
        assert!(matches!(&stmts[1].1[stmts[1].1.len() - 1], Param::Text(t) if t == "tok/0"));
        let without = apply_statements(&[old], "tok", 9);
        assert_eq!(without.len(), 1);
        assert!(without[0].0.contains("WHERE true ON CONFLICT"));
    }

    #[test]
    fn client_counts_keep_known_pairs_on_their_day() {
        let rs = Ruleset::from_json(
            r#"{"flags": {"a": true, "s": {"variants": {"x": 1, "y": 2}, "default_variant": "x"}}}"#,
        )
        .unwrap();
        let on = rs.flag("a").unwrap().variants()[0].name.to_string();
        let counts = vec![
            ("a".to_string(), vec![(on.clone(), 3), ("nope".to_string(), 1)]),
            ("s".to_string(), vec![("y".to_string(), 7)]),
            ("gone".to_string(), vec![("x".to_string(), 1)]),
        ];
        let rows = client_rows(&rs, counts, 3 * DAY + 5);
        assert_eq!(
            rows,
            vec![
                Row { flag: "a".into(), variant: on, day: 3, count: 3, last_at: 3 * DAY + 5 },
                Row { flag: "s".into(), variant: "y".into(), day: 3, count: 7, last_at: 3 * DAY + 5 },
            ]
        );
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
