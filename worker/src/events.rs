//! The experiment events pipeline's decisions, in plain Rust: who may post
//! events, which events are kept, the queue messages they travel in (units
//! already replaced by their keyed hashes), the SQL the queue consumer
//! writes them to D1 with, and the queries the results endpoint reads the
//! aggregates back with. `runtime::events` does the I/O.
//!
//! Storage (D1, `migrations/`): `exposures` holds one row per (experiment,
//! unit, variant): a unit's first exposure to a variant, later ones are
//! the same row. `tracks` holds one row per tracked event, keyed by its id,
//! so a retried batch or a redelivered queue message writes nothing twice.
//! An application's outcome (a guarded rollout's data) becomes a
//! `route_metrics` row of its own (one request, its error and latency,
//! keyed by the outcome's id) and one `outcome_metrics` row per custom
//! metric value, so the rollout's window sums them with what the proxy
//! measured.

use edgeflags::events::{unit_hash, Event, EventKind};
use edgeflags::experiment::{ExperimentData, ExperimentSpec, MetricKind, MetricTotals, VariantData};
use edgeflags::rollout::{latency_bucket, LATENCY_BUCKETS};
use edgeflags::{Context, Ruleset};

use crate::auth::{self, Tokens};

/// Most events per queue message (a message is at most 128 KB; an event
/// after hashing is at most about 900 bytes).
pub const EVENTS_PER_MESSAGE: usize = 100;
/// Parameters per statement D1 binds at most: a multi-row `INSERT` of
/// `c` columns writes `MAX_PARAMS / c` rows.
pub const MAX_PARAMS: usize = 100;

/// How far ahead of the Worker's clock an outcome's `time` may be; later
/// times count as `received + MAX_FUTURE_SKEW_MS`.
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * 60_000;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `POST /v1/events` (the package, a backend).
    Api,
    /// Served by this Worker (`/v1/flags`, OFREP, a routed request).
    Edge,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Edge => "edge",
        }
    }
}

/// An event as stored: validated, its unit hashed, its id fixed.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// A first exposure of `unit` to `variant` of `experiment`.
    Exposure {
        /// The experiment's flag key.
        experiment: String,
        /// The variant.
        variant: String,
        /// The unit's keyed hash.
        unit: String,
        /// When (ms).
        at: i64,
        /// The ruleset version, when known.
        version: Option<u64>,
        /// api or edge.
        source: Source,
    },
    /// A tracked event.
    Track {
        /// Its dedup id.
        id: String,
        /// The event name.
        event: String,
        /// The unit's keyed hash.
        unit: String,
        /// Its value.
        value: Option<f64>,
        /// When (ms).
        at: i64,
    },
    /// An application's outcome for a flag's variant.
    Outcome {
        /// Its id (the sender's).
        id: String,
        /// The flag.
        flag: String,
        /// The variant served.
        variant: String,
        /// The ruleset version that served it (the sender's, or the
        /// Worker's current one when not sent).
        version: u64,
        /// When (ms).
        at: i64,
        /// Whether it failed.
        error: bool,
        /// How long it took (ms), when measured.
        latency_ms: Option<f64>,
        /// Custom metrics' values.
        metrics: Vec<(String, f64)>,
    },
}

/// Whether a caller may post events: without `EVENTS_KEY` anyone may;
/// with it, the events key (as a bearer token or the body's `key`), the
/// server key or an admin token.
pub fn may_post(
    events_key: &Tokens,
    server: &Tokens,
    admin: &Tokens,
    authorization: Option<&str>,
    body_key: Option<&str>,
) -> Result<(), auth::Denied> {
    if events_key.is_empty() {
        return Ok(());
    }
    let granted = |o: auth::Outcome<'_>| matches!(o, auth::Outcome::Granted(_));
    if granted(events_key.check(authorization))
        || granted(server.check(authorization))
        || granted(admin.check(authorization))
    {
        return Ok(());
    }
    if let Some(k) = body_key {
        if granted(events_key.check(Some(&format!("Bearer {k}")))) {
            return Ok(());
        }
    }
    if authorization.and_then(auth::bearer).is_none() && body_key.is_none() {
        Err(auth::Denied::Missing)
    } else {
        Err(auth::Denied::Wrong)
    }
}

/// What a posted batch becomes: the stored events, the usage counts (of
/// flags and variants `rs` has; none when `usage_on` is false), and how
/// many events were ignored (exposures of flags that are not experiments
/// in `rs`, or of variants their split does not assign; outcomes of flags
/// `rs` does not have, or of variants the flag does not have; usage with
/// nothing kept). `version` is the ruleset version `rs` is: an outcome
/// without one counts for it.
pub fn accept(
    events: Vec<Event>,
    rs: &Ruleset,
    version: u64,
    unit_key: &[u8],
    received: i64,
    usage_on: bool,
) -> Accepted {
    let mut out = Vec::with_capacity(events.len());
    let mut used = Vec::new();
    let mut ignored = 0;
    for e in events {
        let at = e.time.unwrap_or(received);
        let id = e.dedup_id();
        if let EventKind::Usage { counts } = e.kind {
            // Counted on the day of its time: at most the skew ahead, and
            // nothing older than what the usage table keeps.
            let at = at.min(received + MAX_FUTURE_SKEW_MS);
            let oldest = received - edgeflags::usage::KEPT_DAYS * edgeflags::usage::DAY_MS;
            let rows = if usage_on && at >= oldest { crate::usage::client_rows(rs, counts, at) } else { Vec::new() };
            if rows.is_empty() {
                ignored += 1;
            } else {
                used.push((format!("c:{id}"), rows));
            }
            continue;
        }
        if let EventKind::Outcome { flag, variant, version: sent, error, latency_ms, metrics } = e.kind {
            // A clock ahead (or a sender that lies) must not park an outcome
            // in every future window, beyond the pruning: at most the skew.
            let at = at.min(received + MAX_FUTURE_SKEW_MS);
            let known = rs.flag(&flag).is_some_and(|f| f.variants().iter().any(|v| *v.name == *variant));
            if !known {
                ignored += 1;
                continue;
            }
            let version = sent.unwrap_or(version);
            out.push(Stored::Outcome { id, flag, variant, version, at, error, latency_ms, metrics });
            continue;
        }
        let unit = unit_hash(unit_key, &e.unit);
        match e.kind {
            EventKind::Exposure { flag, variant, version } => {
                let known = rs
                    .flag(&flag)
                    .filter(|f| f.is_experiment())
                    .and_then(|_| rs.experiment_spec(&flag, received))
                    .is_some_and(|s| s.variants.iter().any(|v| **v == *variant));
                if !known {
                    ignored += 1;
                    continue;
                }
                out.push(Stored::Exposure { experiment: flag, variant, unit, at, version, source: Source::Api });
            }
            EventKind::Track { event, value } => out.push(Stored::Track { id, event, unit, value, at }),
            EventKind::Outcome { .. } | EventKind::Usage { .. } => {}
        }
    }
    Accepted { stored: out, usage: used, ignored }
}

/// What [`accept`] keeps of a `POST /v1/events` batch.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Exposures, tracks and outcomes for the event store.
    pub stored: Vec<Stored>,
    /// Each kept usage event's counts, with its message id (`c:{id}`).
    pub usage: Vec<(String, Vec<crate::usage::Row>)>,
    /// Events dropped: unknown flags or variants (of an experiment, for an
    /// exposure), usage with no known pair, too old, or turned off.
    pub ignored: usize,
}

/// The exposures of evaluating `keys` for `ctx` at `now`, as the edge
/// records them (only experiment flags are resolved again).
pub fn edge_exposures<'a>(
    rs: &Ruleset,
    ctx: &Context,
    now: i64,
    keys: impl IntoIterator<Item = &'a str>,
    unit_key: &[u8],
    version: u64,
) -> Vec<Stored> {
    let mut out = Vec::new();
    for key in keys {
        let Some(id) = rs.flag_id(key) else { continue };
        if !rs.flags()[id.index()].is_experiment() {
            continue;
        }
        let r = rs.resolve(id, ctx, now);
        if let Some(e) = rs.exposure(id, ctx, &r) {
            out.push(Stored::Exposure {
                experiment: e.flag.to_string(),
                variant: e.variant.to_string(),
                unit: unit_hash(unit_key, &e.unit),
                at: now,
                version: Some(version),
                source: Source::Edge,
            });
        }
    }
    out
}

/// The queue messages (JSON texts) carrying `events`, at most
/// [`EVENTS_PER_MESSAGE`] each.
pub fn messages(events: &[Stored]) -> Vec<String> {
    events
        .chunks(EVENTS_PER_MESSAGE)
        .map(|chunk| {
            let items: Vec<serde_json::Value> = chunk.iter().map(to_json).collect();
            serde_json::json!({ "v": 1, "events": items }).to_string()
        })
        .collect()
}

fn to_json(e: &Stored) -> serde_json::Value {
    match e {
        Stored::Exposure { experiment, variant, unit, at, version, source } => serde_json::json!({
            "type": "exposure", "experiment": experiment, "variant": variant, "unit": unit,
            "at": at, "version": version, "source": source.as_str(),
        }),
        Stored::Track { id, event, unit, value, at } => serde_json::json!({
            "type": "track", "id": id, "event": event, "unit": unit, "value": value, "at": at,
        }),
        Stored::Outcome { id, flag, variant, version, at, error, latency_ms, metrics } => serde_json::json!({
            "type": "outcome", "id": id, "flag": flag, "variant": variant, "version": version, "at": at,
            "error": error, "latency_ms": latency_ms,
            "metrics": metrics.iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>(),
        }),
    }
}

/// A queue message read back. `None` for a message this version does not
/// understand (it is logged and acknowledged: retrying cannot help).
pub fn read_message(text: &str) -> Option<Vec<Stored>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("v")?.as_u64()? != 1 {
        return None;
    }
    let mut out = Vec::new();
    for e in v.get("events")?.as_array()? {
        let s = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let at = e.get("at")?.as_i64()?;
        out.push(match e.get("type")?.as_str()? {
            "exposure" => Stored::Exposure {
                experiment: s("experiment")?,
                variant: s("variant")?,
                unit: s("unit")?,
                at,
                version: e.get("version").and_then(|x| x.as_u64()),
                source: if s("source").as_deref() == Some("edge") { Source::Edge } else { Source::Api },
            },
            "track" => Stored::Track {
                id: s("id")?,
                event: s("event")?,
                unit: s("unit")?,
                value: e.get("value").and_then(|x| x.as_f64()),
                at,
            },
            "outcome" => Stored::Outcome {
                id: s("id")?,
                flag: s("flag")?,
                variant: s("variant")?,
                version: e.get("version")?.as_u64()?,
                at,
                error: e.get("error")?.as_bool()?,
                latency_ms: e.get("latency_ms").and_then(|x| x.as_f64()),
                metrics: e
                    .get("metrics")?
                    .as_array()?
                    .iter()
                    .map(|m| Some((m.get(0)?.as_str()?.to_string(), m.get(1)?.as_f64()?)))
                    .collect::<Option<_>>()?,
            },
            _ => return None,
        });
    }
    Some(out)
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// TEXT.
    Text(String),
    /// INTEGER (exact up to 2^53 through JS).
    Int(i64),
    /// REAL.
    Real(f64),
    /// NULL.
    Null,
}

/// The statements writing `events` (multi-row `INSERT OR IGNORE`s, so a
/// redelivered message changes nothing). Run them as one D1 batch (one
/// transaction).
pub fn insert_statements(events: &[Stored]) -> Vec<(String, Vec<Param>)> {
    let mut exposures = Vec::new();
    let mut tracks = Vec::new();
    let (mut outcomes, mut values) = (Vec::new(), Vec::new());
    for e in events {
        match e {
            Stored::Outcome { id, flag, variant, version, at, error, latency_ms, metrics } => {
                // The id names the flag: two flags' outcomes may share a sender's id.
                let row_id = serde_json::json!(["outcome", flag, id]).to_string();
                let minute = crate::metrics::minute_of(*at);
                let mut latency = vec![0u64; LATENCY_BUCKETS];
                if let Some(ms) = latency_ms {
                    latency[latency_bucket(*ms)] = 1;
                }
                let head = [
                    Param::Text(row_id.clone()),
                    Param::Text(flag.clone()),
                    Param::Text(variant.clone()),
                    Param::Int(*version as i64),
                    Param::Int(minute),
                ];
                let mut row = head.to_vec();
                row.extend([
                    Param::Int(1),
                    Param::Int(i64::from(*error)),
                    Param::Text(serde_json::to_string(&latency).unwrap_or_else(|_| "[]".into())),
                ]);
                outcomes.push(row);
                for (name, value) in metrics {
                    let mut row = head.to_vec();
                    row.extend([Param::Text(name.clone()), Param::Real(*value)]);
                    values.push(row);
                }
            }
            Stored::Exposure { experiment, variant, unit, at, version, source } => exposures.push(vec![
                Param::Text(experiment.clone()),
                Param::Text(unit.clone()),
                Param::Text(variant.clone()),
                Param::Int(*at),
                version.map_or(Param::Null, |v| Param::Int(v as i64)),
                Param::Text(source.as_str().into()),
            ]),
            Stored::Track { id, event, unit, value, at } => tracks.push(vec![
                Param::Text(id.clone()),
                Param::Text(event.clone()),
                Param::Text(unit.clone()),
                value.map_or(Param::Null, Param::Real),
                Param::Int(*at),
            ]),
        }
    }
    let mut out = Vec::new();
    let mut insert = |head: &str, cols: usize, rows: Vec<Vec<Param>>| {
        for chunk in rows.chunks(MAX_PARAMS / cols) {
            let one = format!("({})", vec!["?"; cols].join(", "));
            let sql = format!("{head} VALUES {}", vec![one; chunk.len()].join(", "));
            out.push((sql, chunk.concat()));
        }
    };
    insert("INSERT OR IGNORE INTO exposures (experiment, unit, variant, first_at, version, source)", 6, exposures);
    insert("INSERT OR IGNORE INTO tracks (id, event, unit, value, at)", 5, tracks);
    insert(
        "INSERT OR IGNORE INTO route_metrics (id, flag, variant, version, minute, requests, errors, latency)",
        8,
        outcomes,
    );
    insert("INSERT OR IGNORE INTO outcome_metrics (id, flag, variant, version, minute, metric, value)", 7, values);
    out
}

/// Units exposed to exactly one variant of experiment `?1`.
const ANALYSED: &str = "SELECT unit, MIN(variant) AS variant, MIN(first_at) AS first_at \
     FROM exposures WHERE experiment = ?1 GROUP BY unit HAVING COUNT(*) = 1";

/// Per variant: analysed units and the first exposure time. Params: experiment.
pub fn variants_query() -> String {
    format!(
        "WITH u AS ({ANALYSED}) SELECT variant, COUNT(*) AS units, MIN(first_at) AS first_at FROM u GROUP BY variant"
    )
}

/// Units exposed to more than one variant. Params: experiment.
pub const MULTIPLE_QUERY: &str =
    "SELECT COUNT(*) AS n FROM (SELECT unit FROM exposures WHERE experiment = ?1 GROUP BY unit HAVING COUNT(*) > 1)";

/// Per variant, for one metric: units with the event, and the sum and sum
/// of squares of the per-unit sums of values. Params: experiment, event.
pub fn metric_query() -> String {
    format!(
        "WITH u AS ({ANALYSED}), \
         t AS (SELECT unit, TOTAL(value) AS total FROM tracks WHERE event = ?2 GROUP BY unit) \
         SELECT u.variant AS variant, COUNT(*) AS units, TOTAL(t.total) AS sum, TOTAL(t.total * t.total) AS sum_sq \
         FROM u JOIN t ON t.unit = u.unit GROUP BY u.variant"
    )
}

/// One row of [`variants_query`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct VariantRow {
    /// The variant.
    pub variant: String,
    /// Analysed units.
    pub units: u64,
    /// Earliest first exposure (ms).
    pub first_at: Option<f64>,
}

/// One row of [`metric_query`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct MetricRow {
    /// The variant.
    pub variant: String,
    /// Units with at least one event.
    pub units: u64,
    /// Sum of per-unit totals of values.
    pub sum: f64,
    /// Sum of their squares.
    pub sum_sq: f64,
}

/// The aggregates of `spec` from the rows of its queries (`metrics[i]` are
/// the rows of `spec.metrics[i]`). Variants the spec does not assign are
/// left out; a conversion metric's per-unit value is 1.
pub fn experiment_data(
    spec: &ExperimentSpec,
    variants: &[VariantRow],
    multiple: u64,
    metrics: &[Vec<MetricRow>],
    now: i64,
) -> ExperimentData {
    let mut data = ExperimentData {
        variants: vec![
            VariantData { units: 0, metrics: vec![MetricTotals::default(); spec.metrics.len()] };
            spec.variants.len()
        ],
        multiple_exposures: multiple,
        days: 0.0,
    };
    let index = |name: &str| spec.variants.iter().position(|v| **v == *name);
    let mut first: Option<f64> = None;
    for row in variants {
        if let Some(i) = index(&row.variant) {
            data.variants[i].units = row.units;
            first = match (first, row.first_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    if let Some(f) = first {
        data.days = ((now as f64 - f) / 86_400_000.0).max(0.0);
    }
    for (mi, (m, rows)) in spec.metrics.iter().zip(metrics).enumerate() {
        for row in rows {
            let Some(i) = index(&row.variant) else { continue };
            data.variants[i].metrics[mi] = match m.kind {
                MetricKind::Conversion => {
                    MetricTotals { units: row.units, sum: row.units as f64, sum_sq: row.units as f64 }
                }
                MetricKind::Mean => MetricTotals { units: row.units, sum: row.sum, sum_sq: row.sum_sq },
            };
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeflags::events::parse_batch;
    use edgeflags::Value;

    const RS: &str = r#"{"flags": {
        "exp": {"variants": {"c": 1, "t": 2}, "default_variant": "c", "split": [["c", 50], ["t", 50]],
                "experiment": {"control": "c", "metrics": ["buy", {"event": "rev", "kind": "mean"}]}},
        "plain": {"percentage": 50}}}"#;

    fn batch(json: &str) -> Vec<Event> {
        parse_batch(&Value::parse(json).unwrap()).unwrap().events
    }

    #[test]
    fn keeps_experiment_exposures_and_every_track() {
        let rs = Ruleset::from_json(RS).unwrap();
        let events = batch(
            r#"{"events": [
            {"type": "exposure", "flag": "exp", "variant": "t", "unit": "u1", "time": 10},
            {"type": "exposure", "flag": "exp", "variant": "zz", "unit": "u1"},
            {"type": "exposure", "flag": "plain", "variant": "on", "unit": "u1"},
            {"type": "exposure", "flag": "missing", "variant": "on", "unit": "u1"},
            {"type": "track", "event": "buy", "unit": "u1", "id": "e1"}]}"#,
        );
        let Accepted { stored, ignored, .. } = accept(events, &rs, 1, b"0123456789abcdef", 99, true);
        assert_eq!(ignored, 3);
        assert_eq!(stored.len(), 2);
        let Stored::Exposure { unit, at, source, .. } = &stored[0] else { panic!() };
        assert_eq!((*at, *source), (10, Source::Api));
        assert_eq!(unit, &unit_hash(b"0123456789abcdef", "u1"));
        assert!(!unit.contains("u1"));
        let Stored::Track { id, at, .. } = &stored[1] else { panic!() };
        assert_eq!((id.as_str(), *at), ("e1", 99));
    }

    #[test]
    fn messages_round_trip_in_chunks() {
        let events: Vec<Stored> = (0..250)
            .map(|i| Stored::Track {
                id: format!("id{i}"),
                event: "e".into(),
                unit: "h".into(),
                value: Some(i as f64 / 3.0),
                at: i,
            })
            .chain([Stored::Exposure {
                experiment: "exp".into(),
                variant: "t".into(),
                unit: "h".into(),
                at: 5,
                version: None,
                source: Source::Edge,
            }])
            .collect();
        let msgs = messages(&events);
        assert_eq!(msgs.len(), 3);
        assert!(msgs.iter().all(|m| m.len() < 128 * 1024));
        let back: Vec<Stored> = msgs.iter().flat_map(|m| read_message(m).unwrap()).collect();
        assert_eq!(back, events);
        assert_eq!(read_message(r#"{"v": 2, "events": []}"#), None);
        assert_eq!(read_message("nonsense"), None);
    }

    #[test]
    fn inserts_are_chunked_and_bind_under_the_limit() {
        let events: Vec<Stored> = (0..40)
            .map(|i| Stored::Track { id: format!("id{i}"), event: "e".into(), unit: "h".into(), value: None, at: i })
            .collect();
        let stmts = insert_statements(&events);
        // 5 columns: 20 rows per statement.
        assert_eq!(stmts.len(), 2);
        for (sql, params) in &stmts {
            assert!(sql.starts_with("INSERT OR IGNORE INTO tracks"));
            assert_eq!(sql.matches('?').count(), params.len());
            assert!(params.len() <= 100);
        }
        assert_eq!(stmts[0].1[3], Param::Null);
    }

    #[test]
    fn outcomes_become_route_rows_and_metric_rows() {
        let rs = Ruleset::from_json(RS).unwrap();
        let events = batch(
            r#"{"events": [
            {"type": "outcome", "id": "r1", "flag": "plain", "variant": "on", "error": true, "latency_ms": 480,
             "metrics": {"failed": 1, "cart": 2.5}, "time": 120000},
            {"type": "outcome", "id": "r2", "flag": "plain", "variant": "off", "version": 7, "time": 9000000000000},
            {"type": "outcome", "id": "r3", "flag": "plain", "variant": "zz"},
            {"type": "outcome", "id": "r4", "flag": "missing", "variant": "on"}]}"#,
        );
        let Accepted { stored, ignored, .. } = accept(events, &rs, 3, b"0123456789abcdef", 99, true);
        assert_eq!((stored.len(), ignored), (2, 2));
        let Stored::Outcome { version, at, error, .. } = &stored[0] else { panic!() };
        assert_eq!((*version, *at, *error), (3, 120_000, true));
        let Stored::Outcome { version, latency_ms, metrics, at, .. } = &stored[1] else { panic!() };
        assert_eq!((*version, *latency_ms, metrics.len()), (7, None, 0));
        assert_eq!(*at, 99 + MAX_FUTURE_SKEW_MS, "a time far ahead counts as now plus the skew");
        let back: Vec<Stored> = messages(&stored).iter().flat_map(|m| read_message(m).unwrap()).collect();
        assert_eq!(back, stored);
        let stmts = insert_statements(&stored);
        assert_eq!(stmts.len(), 2);
        let (routes, values) = (&stmts[0], &stmts[1]);
        assert!(routes.0.starts_with("INSERT OR IGNORE INTO route_metrics"));
        assert_eq!(routes.1.len(), 16);
        assert_eq!(routes.1[0], Param::Text(r#"["outcome","plain","r1"]"#.into()));
        assert_eq!(&routes.1[3..7], &[Param::Int(3), Param::Int(2), Param::Int(1), Param::Int(1)]);
        let Param::Text(latency) = &routes.1[7] else { panic!() };
        let latency: Vec<u64> = serde_json::from_str(latency).unwrap();
        assert_eq!((latency.len(), latency[17], latency.iter().sum::<u64>()), (LATENCY_BUCKETS, 1, 1));
        let Param::Text(none) = &routes.1[15] else { panic!() };
        assert_eq!(serde_json::from_str::<Vec<u64>>(none).unwrap().iter().sum::<u64>(), 0);
        assert!(values.0.starts_with("INSERT OR IGNORE INTO outcome_metrics"));
        assert_eq!(values.1.len(), 14);
        assert_eq!(&values.1[5..7], &[Param::Text("failed".into()), Param::Real(1.0)]);
        assert_eq!(&values.1[12..14], &[Param::Text("cart".into()), Param::Real(2.5)]);
        // 40 outcomes of two metrics: route rows 12 per statement, metric rows 14.
        let many: Vec<Stored> = (0..40)
            .map(|i| Stored::Outcome {
                id: format!("o{i}"),
                flag: "f".into(),
                variant: "on".into(),
                version: 1,
                at: 0,
                error: false,
                latency_ms: Some(5.0),
                metrics: vec![("a".into(), 1.0), ("b".into(), 0.0)],
            })
            .collect();
        for (sql, params) in insert_statements(&many) {
            assert_eq!(sql.matches('?').count(), params.len());
            assert!(params.len() <= MAX_PARAMS);
        }
    }

    #[test]
    fn edge_exposures_only_for_the_experiments_split() {
        let rs = Ruleset::from_json(RS).unwrap();
        let ctx = Context::with_user("user:9");
        let found = edge_exposures(&rs, &ctx, 0, ["exp", "plain", "nope"], b"0123456789abcdef", 4);
        assert_eq!(found.len(), 1);
        let Stored::Exposure { experiment, version, source, .. } = &found[0] else { panic!() };
        assert_eq!((experiment.as_str(), *version, *source), ("exp", Some(4), Source::Edge));
        assert!(edge_exposures(&rs, &Context::new(), 0, ["exp"], b"k", 4).is_empty());
    }

    #[test]
    fn aggregates_from_rows() {
        let rs = Ruleset::from_json(RS).unwrap();
        let spec = rs.experiment_spec("exp", 0).unwrap();
        let variants = [
            VariantRow { variant: "t".into(), units: 10, first_at: Some(86_400_000.0) },
            VariantRow { variant: "c".into(), units: 12, first_at: Some(0.0) },
            VariantRow { variant: "gone".into(), units: 3, first_at: Some(0.0) },
        ];
        let metrics = [
            vec![MetricRow { variant: "t".into(), units: 4, sum: 0.0, sum_sq: 0.0 }],
            vec![MetricRow { variant: "c".into(), units: 2, sum: 7.5, sum_sq: 30.0 }],
        ];
        let d = experiment_data(&spec, &variants, 2, &metrics, 2 * 86_400_000);
        assert_eq!(d.variants[0].units, 12);
        assert_eq!(d.variants[1].units, 10);
        assert_eq!(d.variants[1].metrics[0], MetricTotals { units: 4, sum: 4.0, sum_sq: 4.0 });
        assert_eq!(d.variants[0].metrics[1], MetricTotals { units: 2, sum: 7.5, sum_sq: 30.0 });
        assert_eq!((d.multiple_exposures, d.days), (2, 2.0));
    }

    #[test]
    fn posting_needs_the_key_when_one_is_set() {
        let open = Tokens::default();
        let key = Tokens::single("events", Some("wk"));
        let server = Tokens::single("server", Some("sk"));
        let admin = Tokens::parse(Some("ak"), None);
        assert!(may_post(&open, &server, &admin, None, None).is_ok());
        assert!(may_post(&key, &server, &admin, Some("Bearer wk"), None).is_ok());
        assert!(may_post(&key, &server, &admin, None, Some("wk")).is_ok());
        assert!(may_post(&key, &server, &admin, Some("Bearer sk"), None).is_ok());
        assert!(may_post(&key, &server, &admin, Some("Bearer ak"), None).is_ok());
        assert_eq!(may_post(&key, &server, &admin, None, None), Err(auth::Denied::Missing));
        assert_eq!(may_post(&key, &server, &admin, Some("Bearer nope"), None), Err(auth::Denied::Wrong));
        assert_eq!(may_post(&key, &server, &admin, None, Some("nope")), Err(auth::Denied::Wrong));
    }
}
