//! Route metrics, in plain Rust: what the proxy measures about each routed
//! request (per flag, variant, ruleset version and minute: requests,
//! errors and a latency histogram), how an isolate sums them before
//! sending, the queue messages they travel in, the SQL the queue consumer
//! writes them to D1 with, and the queries that read a rollout's window
//! back as the core's [`VariantWindow`]s. `runtime::events` does the I/O.
//!
//! Storage (D1, `migrations/0002_route_metrics.sql`): `route_metrics`
//! holds one row per isolate flush, flag, variant, version and minute,
//! keyed by an id made of all five. A redelivered queue message writes
//! the same ids again, which `INSERT OR IGNORE` skips, so a request is
//! counted once however often its message is delivered. Rows are summed
//! at read time.
//!
//! The ruleset version is part of the key so that a rollout's window can
//! start exactly where its step did: after the guard moves a canary from
//! 10 % to 50 % in version 8, isolates still serving version 7 for a few
//! seconds route at 10 %, and their requests must not count for the new
//! step (`runtime::control`'s tick reads rows of version 8 and later).

use std::collections::BTreeMap;

use edgeflags::rollout::{latency_bucket, VariantWindow, LATENCY_BUCKETS};

use crate::events::Param;

/// A minute, in milliseconds: the rows' time resolution.
pub const MINUTE_MS: i64 = 60_000;
/// Most rows per queue message (a row is at most about 400 bytes of JSON
/// plus its flag and variant names; a message is at most 128 KB).
pub const ROWS_PER_MESSAGE: usize = 100;
/// Rows per multi-row `INSERT` (8 columns; D1 binds at most 100
/// parameters per statement).
pub const ROWS_PER_INSERT: usize = 12;
/// Most distinct (flag, variant, version, minute) rows an isolate holds
/// before it sends them at once.
pub const FLUSH_AT_ROWS: usize = 200;

/// The minute (minutes since the epoch) of a time in ms.
pub fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// One routed request, as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The route's flag.
    pub flag: &'a str,
    /// The variant it served.
    pub variant: &'a str,
    /// The ruleset version that decided it.
    pub version: u64,
    /// When the request arrived (ms).
    pub at: i64,
    /// Milliseconds until the upstream's response headers (or until the
    /// failure).
    pub latency_ms: f64,
    /// An upstream 5xx, a network error or a timeout.
    pub error: bool,
}

/// What a row counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    /// The flag.
    pub flag: String,
    /// The variant.
    pub variant: String,
    /// The ruleset version.
    pub version: u64,
    /// The minute.
    pub minute: i64,
}

/// One row: a key and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What it counts.
    pub key: RowKey,
    /// Requests.
    pub requests: u64,
    /// Of those, errors.
    pub errors: u64,
    /// Requests per latency bucket ([`LATENCY_BUCKETS`] entries).
    pub latency: Vec<u64>,
}

/// An isolate's sums since its last send.
#[derive(Debug, Default)]
pub struct Aggregate {
    rows: BTreeMap<RowKey, (u64, u64, Vec<u64>)>,
}

impl Row {
    /// The row of one request.
    pub fn of(s: &Sample<'_>) -> Row {
        let mut latency = vec![0; LATENCY_BUCKETS];
        latency[latency_bucket(s.latency_ms)] = 1;
        Row {
            key: RowKey {
                flag: s.flag.to_string(),
                variant: s.variant.to_string(),
                version: s.version,
                minute: minute_of(s.at),
            },
            requests: 1,
            errors: u64::from(s.error),
            latency,
        }
    }
}

impl Aggregate {
    /// Counts one request.
    pub fn add(&mut self, s: &Sample<'_>) {
        self.merge(Row::of(s));
    }

    /// Adds a row's counts to its key's.
    pub fn merge(&mut self, row: Row) {
        let (requests, errors, latency) = self.rows.entry(row.key).or_insert_with(|| (0, 0, vec![0; LATENCY_BUCKETS]));
        *requests += row.requests;
        *errors += row.errors;
        for (a, b) in latency.iter_mut().zip(&row.latency) {
            *a += b;
        }
    }

    /// Distinct rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Everything held, leaving the aggregate empty.
    pub fn take(&mut self) -> Vec<Row> {
        std::mem::take(&mut self.rows)
            .into_iter()
            .map(|(key, (requests, errors, latency))| Row { key, requests, errors, latency })
            .collect()
    }
}

/// A row's id: unique per flush (`flush` is random per send) and key, so
/// that a redelivery of the same message is recognised and a later flush
/// of the same minute is not. A JSON array, so no name can make two keys
/// read alike.
pub fn row_id(flush: &str, key: &RowKey) -> String {
    serde_json::json!([flush, key.minute, key.version, key.flag, key.variant]).to_string()
}

/// The queue messages (JSON texts) carrying `rows`, at most
/// [`ROWS_PER_MESSAGE`] each: `{"v": 1, "metrics": [{"id", "flag",
/// "variant", "version", "minute", "requests", "errors", "latency"}]}`.
pub fn messages(flush: &str, rows: &[Row]) -> Vec<String> {
    rows.chunks(ROWS_PER_MESSAGE)
        .map(|chunk| {
            let items: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": row_id(flush, &r.key), "flag": r.key.flag, "variant": r.key.variant,
                        "version": r.key.version, "minute": r.key.minute,
                        "requests": r.requests, "errors": r.errors, "latency": r.latency,
                    })
                })
                .collect();
            serde_json::json!({ "v": 1, "metrics": items }).to_string()
        })
        .collect()
}

/// A row as the consumer writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// Its id ([`row_id`]).
    pub id: String,
    /// The row.
    pub row: Row,
}

/// A metrics message read back; `None` when `text` is not one (an events
/// message, or one this version cannot read).
pub fn read_message(text: &str) -> Option<Vec<StoredRow>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("v")?.as_u64()? != 1 {
        return None;
    }
    let mut out = Vec::new();
    for m in v.get("metrics")?.as_array()? {
        let s = |k: &str| m.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let n = |k: &str| m.get(k).and_then(|x| x.as_u64());
        let latency: Vec<u64> = m.get("latency")?.as_array()?.iter().map(|x| x.as_u64()).collect::<Option<_>>()?;
        if latency.len() != LATENCY_BUCKETS {
            return None;
        }
        out.push(StoredRow {
            id: s("id")?,
            row: Row {
                key: RowKey {
                    flag: s("flag")?,
                    variant: s("variant")?,
                    version: n("version")?,
                    minute: m.get("minute")?.as_i64()?,
                },
                requests: n("requests")?,
                errors: n("errors")?,
                latency,
            },
        });
    }
    Some(out)
}

/// The statements writing `rows` (multi-row `INSERT OR IGNORE`s). Run
/// them in the consumer's one D1 batch.
pub fn insert_statements(rows: &[StoredRow]) -> Vec<(String, Vec<Param>)> {
    let one = "(?, ?, ?, ?, ?, ?, ?, ?)";
    rows.chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            let sql = format!(
                "INSERT OR IGNORE INTO route_metrics (id, flag, variant, version, minute, requests, errors, latency) \
                 VALUES {}",
                vec![one; chunk.len()].join(", ")
            );
            let params = chunk
                .iter()
                .flat_map(|r| {
                    [
                        Param::Text(r.id.clone()),
                        Param::Text(r.row.key.flag.clone()),
                        Param::Text(r.row.key.variant.clone()),
                        Param::Int(r.row.key.version as i64),
                        Param::Int(r.row.key.minute),
                        Param::Int(r.row.requests as i64),
                        Param::Int(r.row.errors as i64),
                        Param::Text(serde_json::to_string(&r.row.latency).unwrap_or_else(|_| "[]".into())),
                    ]
                })
                .collect();
            (sql, params)
        })
        .collect()
}

/// Where a rollout's window starts: rows of minutes from `minute` on and
/// of ruleset versions from `version` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WindowStart {
    /// The first minute (minutes since the epoch).
    pub minute: i64,
    /// The first ruleset version.
    pub version: u64,
}

impl WindowStart {
    /// The window of a step that started at `since` (ms) in `version`.
    pub fn new(since: i64, version: u64) -> WindowStart {
        WindowStart { minute: minute_of(since), version }
    }
}

/// Per variant: requests and errors in a window. Params: flag, first
/// minute, first version.
pub const TOTALS_QUERY: &str = "SELECT variant, SUM(requests) AS requests, SUM(errors) AS errors FROM route_metrics \
     WHERE flag = ?1 AND minute >= ?2 AND version >= ?3 GROUP BY variant";

/// Per variant and latency bucket: requests in a window (the JSON arrays
/// summed by SQLite's `json_each`). Params: flag, first minute, first
/// version.
pub const LATENCY_QUERY: &str = "SELECT m.variant AS variant, CAST(j.key AS INTEGER) AS bucket, SUM(j.value) AS n \
     FROM route_metrics m, json_each(m.latency) j \
     WHERE m.flag = ?1 AND m.minute >= ?2 AND m.version >= ?3 GROUP BY m.variant, j.key";

/// Per variant and custom metric: the values applications reported in a
/// window (`outcome_metrics`), as count, sum and sum of squares. Params:
/// flag, first minute, first version.
pub const CUSTOM_QUERY: &str = "SELECT variant, metric, COUNT(*) AS n, TOTAL(value) AS sum, \
     TOTAL(value * value) AS sum_sq FROM outcome_metrics \
     WHERE flag = ?1 AND minute >= ?2 AND version >= ?3 GROUP BY variant, metric";
/// Delete rows older than a minute (params: the first minute kept), one
/// statement per table.
pub const PRUNE_QUERIES: [&str; 2] =
    ["DELETE FROM route_metrics WHERE minute < ?1", "DELETE FROM outcome_metrics WHERE minute < ?1"];
/// How long rows are kept (a step's window reaches back at most this far).
pub const KEPT_DAYS: i64 = 30;

/// One row of [`TOTALS_QUERY`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TotalsRow {
    /// The variant.
    pub variant: String,
    /// Requests.
    pub requests: f64,
    /// Errors.
    pub errors: f64,
}

/// One row of [`LATENCY_QUERY`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct BucketRow {
    /// The variant.
    pub variant: String,
    /// The bucket's index.
    pub bucket: i64,
    /// Requests in it.
    pub n: f64,
}

/// One row of [`CUSTOM_QUERY`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct CustomRow {
    /// The variant.
    pub variant: String,
    /// The metric's name.
    pub metric: String,
    /// Values.
    pub n: f64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_sq: f64,
}

/// `variant`'s window from the rows of the three queries (an empty window
/// when it has none). Buckets outside the histogram are ignored.
pub fn window(variant: &str, totals: &[TotalsRow], buckets: &[BucketRow], custom: &[CustomRow]) -> VariantWindow {
    let mut w = VariantWindow::default();
    let count = |x: f64| if x.is_finite() && x > 0.0 { x as u64 } else { 0 };
    for t in totals.iter().filter(|t| t.variant == variant) {
        w.requests += count(t.requests);
        w.errors += count(t.errors);
    }
    for b in buckets.iter().filter(|b| b.variant == variant) {
        if let Some(slot) = usize::try_from(b.bucket).ok().and_then(|i| w.latency.get_mut(i)) {
            *slot += count(b.n);
        }
    }
    for c in custom.iter().filter(|c| c.variant == variant) {
        let m = w.metrics.entry(c.metric.clone()).or_default();
        m.n += count(c.n);
        m.sum += c.sum;
        m.sum_sq += c.sum_sq;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(variant: &'a str, at: i64, ms: f64, error: bool) -> Sample<'a> {
        Sample { flag: "api", variant, version: 3, at, latency_ms: ms, error }
    }

    #[test]
    fn sums_per_flag_variant_version_and_minute() {
        let mut a = Aggregate::default();
        a.add(&sample("on", 60_000, 12.0, false));
        a.add(&sample("on", 119_999, 700.0, true));
        a.add(&sample("on", 120_000, 1.0, false));
        a.add(&sample("off", 60_001, 0.0, false));
        a.add(&Sample { version: 4, ..sample("on", 60_000, 5.0, false) });
        assert_eq!(a.len(), 4);
        let rows = a.take();
        assert!(a.is_empty());
        let on1 = rows.iter().find(|r| r.key.variant == "on" && r.key.minute == 1 && r.key.version == 3).unwrap();
        assert_eq!((on1.requests, on1.errors), (2, 1));
        assert_eq!(on1.latency.len(), LATENCY_BUCKETS);
        assert_eq!(on1.latency[latency_bucket(12.0)], 1);
        assert_eq!(on1.latency[latency_bucket(700.0)], 1);
        assert_eq!(on1.latency.iter().sum::<u64>(), 2);
        assert_eq!(minute_of(-1), -1);
    }

    #[test]
    fn messages_round_trip_and_ids_are_unique_per_flush() {
        let mut a = Aggregate::default();
        for i in 0..250 {
            a.add(&Sample { flag: "f", variant: "on", version: i, at: 0, latency_ms: 3.0, error: i % 2 == 0 });
        }
        let rows = a.take();
        let texts = messages("flush-1", &rows);
        assert_eq!(texts.len(), 3);
        let back: Vec<StoredRow> = texts.iter().flat_map(|t| read_message(t).unwrap()).collect();
        assert_eq!(back.iter().map(|r| r.row.clone()).collect::<Vec<_>>(), rows);
        let mut ids: Vec<&str> = back.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 250);
        // Another flush of the same key is another row; names cannot collide.
        let k = &rows[0].key;
        assert_ne!(row_id("flush-1", k), row_id("flush-2", k));
        let a = RowKey { flag: "a\",\"b".into(), variant: "c".into(), version: 1, minute: 1 };
        let b = RowKey { flag: "a".into(), variant: "b\",\"c".into(), version: 1, minute: 1 };
        assert_ne!(row_id("x", &a), row_id("x", &b));
    }

    #[test]
    fn other_messages_are_not_metrics() {
        assert_eq!(read_message(r#"{"v":1,"events":[]}"#), None);
        assert_eq!(read_message(r#"{"v":2,"metrics":[]}"#), None);
        assert_eq!(read_message("nope"), None);
        let short = r#"{"v":1,"metrics":[{"id":"x","flag":"f","variant":"on","version":1,"minute":1,"requests":1,"errors":0,"latency":[1]}]}"#;
        assert_eq!(read_message(short), None);
    }

    #[test]
    fn inserts_stay_under_the_bind_limit() {
        let rows: Vec<StoredRow> = (0..30)
            .map(|i| StoredRow {
                id: format!("id{i}"),
                row: Row {
                    key: RowKey { flag: "f".into(), variant: "on".into(), version: 1, minute: i },
                    requests: 2,
                    errors: 1,
                    latency: vec![0; LATENCY_BUCKETS],
                },
            })
            .collect();
        let stmts = insert_statements(&rows);
        assert_eq!(stmts.len(), 3);
        for (sql, params) in &stmts {
            assert!(params.len() <= 100);
            assert_eq!(sql.matches('?').count(), params.len());
            assert!(sql.starts_with("INSERT OR IGNORE INTO route_metrics"));
        }
        assert_eq!(stmts[0].1[0], Param::Text("id0".into()));
        assert_eq!(stmts[0].1[7], Param::Text(format!("[{}]", vec!["0"; LATENCY_BUCKETS].join(","))));
    }

    #[test]
    fn windows_from_query_rows() {
        let totals = vec![
            TotalsRow { variant: "on".into(), requests: 120.0, errors: 7.0 },
            TotalsRow { variant: "off".into(), requests: 900.0, errors: 2.0 },
        ];
        let buckets = vec![
            BucketRow { variant: "on".into(), bucket: 3, n: 100.0 },
            BucketRow { variant: "on".into(), bucket: 20, n: 20.0 },
            BucketRow { variant: "on".into(), bucket: 99, n: 5.0 },
            BucketRow { variant: "off".into(), bucket: 0, n: 900.0 },
        ];
        let custom = vec![
            CustomRow { variant: "on".into(), metric: "failed".into(), n: 50.0, sum: 4.0, sum_sq: 4.0 },
            CustomRow { variant: "off".into(), metric: "failed".into(), n: 80.0, sum: 2.0, sum_sq: 2.0 },
        ];
        let on = window("on", &totals, &buckets, &custom);
        assert_eq!(on.metrics["failed"], edgeflags::rollout::MetricSums { n: 50, sum: 4.0, sum_sq: 4.0 });
        assert_eq!((on.requests, on.errors), (120, 7));
        assert_eq!(on.latency[3], 100);
        assert_eq!(on.latency[20], 20);
        assert_eq!(on.latency.iter().sum::<u64>(), 120);
        let off = window("off", &totals, &buckets, &custom);
        assert_eq!(off.metrics["failed"].n, 80);
        assert_eq!((off.requests, off.errors, off.latency[0]), (900, 2, 900));
        assert_eq!(window("nope", &totals, &buckets, &custom), VariantWindow::default());
        assert_eq!(WindowStart::new(125_000, 9), WindowStart { minute: 2, version: 9 });
    }
}
