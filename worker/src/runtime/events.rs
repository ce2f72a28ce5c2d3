//! The events pipeline's I/O: `POST /v1/events` onto the `EVENTS` queue,
//! the edge's own exposures and the proxy's route metrics (sent after the
//! response, `ctx.waitUntil`), the queue consumer writing batches to D1
//! (`DB`), and the results endpoints reading the aggregates back for the
//! core's analysis. Decisions (who may post, what is kept, the SQL) are
//! `crate::events`' and `crate::metrics`'.

use std::cell::RefCell;

use edgeflags::events::{parse_batch, MAX_EVENTS_BYTES};
use edgeflags::{Context, Ruleset, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, MessageBatch, Queue};

use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state;
use crate::config::Config;
use crate::errors::ApiError;
use crate::events::{self as ev, Param, Stored};
use crate::metrics;
use crate::usage;

/// The queue binding's name.
pub const QUEUE: &str = "EVENTS";
/// The D1 binding's name.
pub const DB: &str = "DB";

/// Every row of `sql` with `binds`, read as `T` (the one way the Worker
/// reads D1 back: results, usage, the guard's windows).
pub async fn rows<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    binds: &[JsValue],
) -> Result<Vec<T>, String> {
    let e = |x: worker::Error| x.to_string();
    db.prepare(sql).bind(binds).map_err(e)?.all().await.map_err(e)?.results().map_err(e)
}

fn unavailable(why: &str) -> ApiError {
    ApiError::new(503, "EVENTS_UNAVAILABLE", "events cannot be accepted right now; retry later")
        .header("Retry-After", "5")
        .log(why)
}

/// `POST /v1/events`: 202 once every kept event is on the queue; 503 (and
/// nothing acknowledged) when the queue refuses, so the client retries:
/// the ids make the retry harmless.
pub async fn post(req: &Incoming, env: &Env, cfg: &Config, store: &Store) -> Result<Reply, ApiError> {
    let Some(key) = cfg.unit_hash_key.as_deref() else {
        return Err(unavailable("UNIT_HASH_KEY is not set (or shorter than 16 bytes): events are off"));
    };
    let bytes = http::read_body(req, MAX_EVENTS_BYTES).await?;
    let text = crate::body::utf8(bytes)?;
    let doc = Value::parse(&text).map_err(ApiError::malformed_json)?;
    let batch = match parse_batch(&doc) {
        Ok(b) => b,
        Err(problems) => {
            let n = problems.len();
            let mut e = ApiError::new(
                400,
                "INVALID_EVENTS",
                format!("the events are invalid ({n} problem{}); nothing was accepted", if n == 1 { "" } else { "s" }),
            );
            e.problems = problems;
            return Err(e);
        }
    };
    ev::may_post(
        &cfg.events_key,
        &cfg.server,
        &cfg.admin,
        req.header("Authorization").as_deref(),
        batch.key.as_deref(),
    )
    .map_err(|d| match d {
        crate::auth::Denied::Missing => ApiError::new(
            401,
            "UNAUTHORIZED",
            "posting events needs the events key: Authorization: Bearer <key>, or \"key\" in the body",
        )
        .header("WWW-Authenticate", "Bearer"),
        _ => ApiError::new(403, "FORBIDDEN", "the key is not valid for posting events"),
    })?;
    let now = http::now_ms();
    let snap = state::current(store, cfg, now).await;
    // Without a ruleset the exposures cannot be checked: refuse, the client retries.
    let Some(loaded) = &snap.loaded else { return Err(unavailable("no ruleset loaded to check exposures against")) };
    let ev::Accepted { stored, usage: used, ignored } =
        ev::accept(batch.events, &loaded.rs, loaded.version, key.as_bytes(), now as i64, cfg.usage);
    if !stored.is_empty() || !used.is_empty() {
        let queue = env.queue(QUEUE).map_err(|e| unavailable(&format!("queue binding {QUEUE}: {e}")))?;
        // Usage messages carry their event's id: sent again on the
        // client's retry, they count once (crate::usage).
        let texts: Vec<String> = used.iter().flat_map(|(id, rows)| usage::messages(id, rows)).collect();
        send_texts(&queue, &texts).await.map_err(|e| unavailable(&format!("queue send: {e}")))?;
        send(&queue, &stored).await.map_err(|e| unavailable(&format!("queue send: {e}")))?;
    }
    let body = serde_json::json!({ "accepted": stored.len() + used.len(), "ignored": ignored });
    Ok(Reply::json(202, body.to_string()).with("Cache-Control", "no-store"))
}

/// Sends `events` as queue messages, in batches the queue accepts.
async fn send(queue: &Queue, events: &[Stored]) -> Result<(), String> {
    send_texts(queue, &ev::messages(events)).await
}

/// Sends queue messages in batches the queue accepts.
pub(super) async fn send_texts(queue: &Queue, messages: &[String]) -> Result<(), String> {
    // A batch is at most 100 messages and 256 KB: five messages of at most
    // 100 events (or metric rows) each stay under that.
    for chunk in messages.chunks(5) {
        queue.send_batch(chunk.to_vec()).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The exposures a request's answers make and the route metrics of a
/// proxied request, collected while it is served and sent after the
/// response ([`Recorder::finish`]).
pub struct Recorder {
    key: Option<String>,
    pending: RefCell<Vec<Stored>>,
    routed: RefCell<Option<metrics::Row>>,
    /// Usage was counted (into the isolate's buffer directly).
    used: std::cell::Cell<bool>,
    /// `FLAG_USAGE` is not `off`.
    usage_on: bool,
}

impl Recorder {
    /// A recorder; it records no exposures when events are off (route
    /// metrics hold no unit, so they are recorded either way).
    pub fn new(cfg: &Config) -> Recorder {
        Recorder {
            key: cfg.unit_hash_key.clone(),
            pending: RefCell::new(Vec::new()),
            routed: RefCell::new(None),
            used: std::cell::Cell::new(false),
            usage_on: cfg.usage,
        }
    }

    /// Counts an answer of `flag` serving `variant` at `at` for the flag
    /// usage telemetry (docs/worker.md, "Flag usage"), straight into the
    /// isolate's buffer: no allocation once the pair was counted.
    pub fn used(&self, flag: &str, variant: &str, at: i64) {
        if !self.usage_on {
            return;
        }
        OUTGOING.with(|o| o.borrow_mut().usage.add(flag, variant, at));
        self.used.set(true);
    }

    /// Records the exposures of evaluating `keys` for `ctx` at `now`.
    pub fn served<'a>(
        &self,
        rs: &Ruleset,
        ctx: &Context,
        now: i64,
        version: u64,
        keys: impl IntoIterator<Item = &'a str>,
    ) {
        let Some(key) = &self.key else { return };
        let found = ev::edge_exposures(rs, ctx, now, keys, key.as_bytes(), version);
        self.pending.borrow_mut().extend(found);
    }

    /// Records a routed request's outcome (one per request).
    pub fn routed(&self, sample: &metrics::Sample<'_>) {
        *self.routed.borrow_mut() = Some(metrics::Row::of(sample));
    }

    /// Hands what was recorded to the isolate's outgoing buffer, off the
    /// response path. The first request to put something into an empty
    /// buffer keeps the isolate alive (`ctx.waitUntil`) for
    /// [`FLUSH_AFTER_MS`], then sends everything buffered by then in one
    /// queue batch: one send per isolate and interval instead of one per
    /// request (measured in BENCHMARKS.md). A full buffer ([`FLUSH_AT`]
    /// events, or [`metrics::FLUSH_AT_ROWS`] metric rows) is sent at once.
    pub fn finish(self, env: &Env, ctx: &worker::Context) {
        let events = self.pending.into_inner();
        let routed = self.routed.into_inner();
        if events.is_empty() && routed.is_none() && !self.used.get() {
            return;
        }
        let (full, schedule) = OUTGOING.with(|o| {
            let mut o = o.borrow_mut();
            o.events.extend(events);
            if let Some(r) = routed {
                o.metrics.merge(r);
            }
            let full = (o.events.len() >= FLUSH_AT
                || o.metrics.len() >= metrics::FLUSH_AT_ROWS
                || o.usage.len() >= usage::ROWS_PER_MESSAGE)
                .then(|| o.take());
            let schedule = !o.scheduled && full.is_none();
            if schedule {
                o.scheduled = true;
            }
            (full, schedule)
        });
        let queue = match env.queue(QUEUE) {
            Ok(q) => q,
            Err(e) => {
                worker::console_error!("edge exposures and route metrics: queue binding {QUEUE}: {e}");
                return;
            }
        };
        if let Some(out) = full {
            ctx.wait_until(async move { deliver(&queue, out).await });
        } else if schedule {
            ctx.wait_until(async move {
                worker::Delay::from(std::time::Duration::from_millis(FLUSH_AFTER_MS)).await;
                let out = OUTGOING.with(|o| {
                    let mut o = o.borrow_mut();
                    o.scheduled = false;
                    o.take()
                });
                deliver(&queue, out).await;
            });
        }
    }
}

/// Most buffered edge exposures before they are sent at once.
pub const FLUSH_AT: usize = 500;
/// How long an isolate buffers edge exposures and route metrics before
/// sending them.
pub const FLUSH_AFTER_MS: u64 = 1000;

#[derive(Default)]
struct Outgoing {
    events: Vec<Stored>,
    metrics: metrics::Aggregate,
    usage: usage::Counts,
    /// A request is waiting to send the buffer.
    scheduled: bool,
}

/// What one send carries.
struct Batch {
    events: Vec<Stored>,
    rows: Vec<metrics::Row>,
    usage: Vec<usage::Row>,
}

impl Outgoing {
    fn take(&mut self) -> Batch {
        Batch { events: std::mem::take(&mut self.events), rows: self.metrics.take(), usage: self.usage.take() }
    }
}

thread_local! {
    static OUTGOING: RefCell<Outgoing> = RefCell::new(Outgoing::default());
}

/// Sends edge exposures and route metrics, each with one retry: nobody
/// was told they were accepted, so a second failure is logged (the units
/// are exposed again on their next requests; the metrics of those
/// requests are lost, which a rollout reads as less traffic, never as
/// more errors). The metric rows carry ids made with this send's flush
/// id, so a retry of a send that did reach the queue counts nothing twice.
async fn deliver(queue: &Queue, out: Batch) {
    let Batch { events, rows, usage } = out;
    if !usage.is_empty() {
        let texts = usage::messages(&format!("e:{}", http::random_id()), &usage);
        if let Err(e) = send_texts(queue, &texts).await {
            if let Err(e2) = send_texts(queue, &texts).await {
                worker::console_error!("flag usage lost ({} rows): {e}; retry: {e2}", usage.len());
            }
        }
    }
    if !events.is_empty() {
        if let Err(e) = send(queue, &events).await {
            if let Err(e2) = send(queue, &events).await {
                worker::console_error!("edge exposures lost ({} events): {e}; retry: {e2}", events.len());
            }
        }
    }
    if !rows.is_empty() {
        let texts = metrics::messages(&http::random_id(), &rows);
        if let Err(e) = send_texts(queue, &texts).await {
            if let Err(e2) = send_texts(queue, &texts).await {
                worker::console_error!("route metrics lost ({} rows): {e}; retry: {e2}", rows.len());
            }
        }
    }
}

fn js(p: &Param) -> JsValue {
    match p {
        Param::Text(s) => JsValue::from_str(s),
        Param::Int(n) => JsValue::from_f64(*n as f64),
        Param::Real(x) => JsValue::from_f64(*x),
        Param::Null => JsValue::NULL,
    }
}

/// The queue consumer: each delivered batch (experiment events and route
/// metrics) is written to D1 in one transaction; on failure the whole
/// batch is retried (the inserts ignore what is already there), and after
/// the queue's retries it goes to the dead-letter queue.
pub async fn consume(batch: MessageBatch<String>, env: &Env) {
    let mut events = Vec::new();
    let mut rows = Vec::new();
    let mut used: Vec<usage::Message> = Vec::new();
    match batch.messages() {
        Ok(messages) => {
            for m in messages {
                if let Some(r) = metrics::read_message(m.body()) {
                    rows.extend(r);
                    continue;
                }
                if let Some(u) = usage::read_message(m.body()) {
                    used.push(u);
                    continue;
                }
                match ev::read_message(m.body()) {
                    Some(e) => events.extend(e),
                    None => worker::console_error!("events: dropping a message this version cannot read"),
                }
            }
        }
        Err(e) => {
            worker::console_error!("events: unreadable batch: {e}");
            batch.retry_all();
            return;
        }
    }
    if let Err(e) = write(env, &events, &rows, &used).await {
        worker::console_error!(
            "events: D1 write of {} events and {} metric rows failed, retrying the batch: {e}",
            events.len(),
            rows.len()
        );
        batch.retry_all();
        return;
    }
    batch.ack_all();
}

async fn write(
    env: &Env,
    events: &[Stored],
    rows: &[metrics::StoredRow],
    used: &[usage::Message],
) -> Result<(), String> {
    if events.is_empty() && rows.is_empty() && used.is_empty() {
        return Ok(());
    }
    let db = env.d1(DB).map_err(|e| format!("binding {DB}: {e}"))?;
    let mut stmts = Vec::new();
    let all = ev::insert_statements(events)
        .into_iter()
        .chain(metrics::insert_statements(rows))
        .chain(usage::apply_statements(used, &http::random_id(), http::now_ms() as i64));
    for (sql, params) in all {
        let values: Vec<JsValue> = params.iter().map(js).collect();
        stmts.push(db.prepare(sql).bind(&values).map_err(|e| e.to_string())?);
    }
    let results = db.batch(stmts).await.map_err(|e| e.to_string())?;
    if let Some(e) = results.iter().find_map(|r| r.error()) {
        return Err(e);
    }
    Ok(())
}

/// `GET /v1/experiments[/{flag}]`: the current ruleset's experiments
/// analysed from the aggregates in D1.
pub async fn results(env: &Env, store: &Store, cfg: &Config, flag: Option<&str>) -> Result<Reply, ApiError> {
    let now = http::now_ms() as i64;
    let snap = state::current(store, cfg, now as u64).await;
    let Some(loaded) = &snap.loaded else {
        return Err(
            ApiError::new(503, "PROVIDER_NOT_READY", "no ruleset loaded; retry later").header("Retry-After", "5")
        );
    };
    let rs = &loaded.rs;
    let keys: Vec<&str> = match flag {
        Some(k) => {
            if rs.flag(k).is_none() {
                return Err(ApiError::new(
                    404,
                    "FLAG_NOT_FOUND",
                    format!("no flag \"{k}\" in version {}", loaded.version),
                ));
            }
            if !rs.flag(k).is_some_and(|f| f.is_experiment()) {
                return Err(ApiError::new(
                    404,
                    "NOT_AN_EXPERIMENT",
                    format!(
                        "flag \"{k}\" is not an experiment in version {} (it has no \"experiment\")",
                        loaded.version
                    ),
                ));
            }
            vec![k]
        }
        None => rs.experiments().collect(),
    };
    let db = env.d1(DB).map_err(|e| unavailable(&format!("binding {DB}: {e}")))?;
    let mut reports = Vec::new();
    for k in keys {
        let Some(spec) = rs.experiment_spec(k, now) else { continue };
        let data = read_data(&db, &spec, now).await.map_err(|e| unavailable(&format!("D1 read for {k}: {e}")))?;
        reports.push(report(&spec, &data));
    }
    // The reports are JSON texts in the core's member order.
    let body = match flag {
        Some(_) => reports.pop().unwrap_or_else(|| "null".into()),
        None => format!("{{\"version\":{},\"experiments\":[{}]}}", loaded.version, reports.join(",")),
    };
    Ok(Reply::json(200, body).with("Cache-Control", "no-store").with("X-Edgeflags-Version", loaded.version.to_string()))
}

async fn read_data(
    db: &D1Database,
    spec: &edgeflags::experiment::ExperimentSpec,
    now: i64,
) -> Result<edgeflags::experiment::ExperimentData, String> {
    let e = |x: worker::Error| x.to_string();
    let exp = JsValue::from_str(&spec.flag);
    let variants: Vec<ev::VariantRow> = rows(db, &ev::variants_query(), std::slice::from_ref(&exp)).await?;
    #[derive(serde::Deserialize)]
    struct N {
        n: u64,
    }
    let multiple: Option<N> =
        db.prepare(ev::MULTIPLE_QUERY).bind(std::slice::from_ref(&exp)).map_err(e)?.first(None).await.map_err(e)?;
    let mut metrics = Vec::new();
    for m in &spec.metrics {
        let found: Vec<ev::MetricRow> =
            rows(db, &ev::metric_query(), &[exp.clone(), JsValue::from_str(&m.event)]).await?;
        metrics.push(found);
    }
    Ok(ev::experiment_data(spec, &variants, multiple.map_or(0, |n| n.n), &metrics, now))
}

/// The analysis of one experiment (the core's `analyze`) as JSON text.
fn report(spec: &edgeflags::experiment::ExperimentSpec, data: &edgeflags::experiment::ExperimentData) -> String {
    let report = edgeflags::experiment::analyze(spec, data);
    // The report's serializer writes only finite numbers (null otherwise),
    // so this cannot fail; a failure would be a bug, answered as null.
    serde_json::to_string(&report).unwrap_or_else(|_| "null".into())
}
