//! The control object: the one writer of the flag store, a Durable Object
//! (`Control`, binding `CONTROL`, one instance named `"control"`) with
//! SQLite storage. It holds every version's document, the current pointer
//! and the audit log (tables in [`crate::store::SCHEMA`]), applies each
//! change as one transaction, and then publishes the new current version
//! to Workers KV, the copy the read path serves from.
//!
//! Why changes cannot be lost or numbered twice: a Durable Object runs one
//! event at a time and interleaves events only where one awaits. A change
//! reads the current version, checks `If-Match`, applies the edit, assigns
//! the next number and writes the version, its audit entry and the pointer
//! in one synchronous call of `storage.transactionSync` (SQLite calls are
//! synchronous): nothing can run between the read and the write, and the
//! writes commit together or not at all. The answer leaves only once the
//! commit is durable (the runtime's output gate).
//!
//! Publishing to KV happens after the commit and may fail; the change stays
//! committed and acknowledged (`"published": false`) and the object's
//! alarm retries with back-off until KV holds the current version. One
//! publish runs at a time and always publishes the object's current
//! version, so KV's pointer only moves forward.
//!
//! On first use (and whenever KV names a version newer than any it holds,
//! e.g. after `scripts/seed-kv.sh FORCE=1` with the Worker stopped) the
//! object imports KV's versions and audit entries (`import`), while every
//! other event waits (`blockConcurrencyWhile`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use edgeflags::edit::{self, Edit, EditError};
use edgeflags::limits::MAX_RULESET_BYTES;
use edgeflags::{LoadError, Problem, Ruleset, Value};
use futures_util::future::join_all;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    console_error, console_log, durable_object, js_sys, DurableObject, Env, Request, Response, SqlStorage,
    SqlStorageValue, State,
};

use super::kv::Store;
use crate::api::{self, Endpoint, Target};
use crate::body;
use crate::errors::ApiError;
use crate::rollouts::{self, Manual};
use crate::store::{self, Action, Change};

mod guard;

/// Documents fetched from (or published to) KV at once.
const KV_BATCH: usize = 16;

/// The control object. (`alarm`: the runtime gets `fetch` and `alarm`
/// only, none of the WebSocket handlers.)
#[durable_object(alarm)]
pub struct Control {
    inner: Rc<Inner>,
}

struct Inner {
    state: State,
    env: Env,
    sql: SqlStorage,
    /// The import check has run for this instance.
    ready: Cell<bool>,
    /// A publish to KV is under way.
    publishing: Cell<bool>,
    /// Whether the last publish reached KV.
    last_publish_ok: Cell<bool>,
    /// Changes waiting for the publish under way.
    waiters: RefCell<Vec<js_sys::Function>>,
}

impl DurableObject for Control {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for q in store::SCHEMA.iter().chain(crate::rollouts::SCHEMA) {
            if let Err(e) = sql.exec(q, None) {
                console_error!("edgeflags control: creating the tables failed: {e}");
            }
        }
        Control {
            inner: Rc::new(Inner {
                state,
                env,
                sql,
                ready: Cell::new(false),
                publishing: Cell::new(false),
                last_publish_ok: Cell::new(true),
                waiters: RefCell::new(Vec::new()),
            }),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let out = match self.inner.serve(&mut req).await {
            Ok(out) => out,
            Err(e) => Out::error(&e),
        };
        out.into_response()
    }

    async fn alarm(&self) -> worker::Result<Response> {
        match self.inner.ensure_ready().await {
            Ok(()) if !self.inner.publishing.get() => {
                self.inner.run_publisher().await;
            }
            Ok(()) => {}
            Err(e) => console_error!("edgeflags control: alarm: the store is not ready: {}", e.message),
        }
        Response::ok("")
    }
}

/// A change, as the request asked for it.
enum Op {
    Put(Value),
    Edit { key: String, edits: Vec<Edit> },
    Rollback(u64),
    Rollout { key: String, action: Manual },
}

/// A committed change.
struct Committed {
    change: Change,
    text: String,
    flags: usize,
}

/// The object's answer to the Worker.
struct Out {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Out {
    fn json(status: u16, body: String) -> Out {
        Out {
            status,
            headers: vec![
                ("Content-Type", "application/json; charset=utf-8".into()),
                ("Cache-Control", "no-store".into()),
            ],
            body: body.into_bytes(),
        }
    }

    fn error(e: &ApiError) -> Out {
        let mut out = Out::json(e.status, e.to_json());
        out.headers.extend(e.headers.iter().cloned());
        out
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Out {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self) -> worker::Result<Response> {
        let headers = worker::Headers::new();
        for (k, v) in &self.headers {
            headers.set(k, v)?;
        }
        let body = if self.status == 304 { Vec::new() } else { self.body };
        Ok(Response::from_bytes(body)?.with_status(self.status).with_headers(headers))
    }
}

/// A storage failure: logged with its detail, answered without it.
fn unavailable(what: &str, e: impl std::fmt::Display) -> ApiError {
    console_error!("edgeflags control: {what}: {e}");
    ApiError::store_unavailable("try again shortly")
}

fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v as i64)
}

fn as_u64(v: &SqlStorageValue) -> Option<u64> {
    match v {
        SqlStorageValue::Integer(i) if *i >= 0 => Some(*i as u64),
        SqlStorageValue::Float(f) if *f >= 0.0 && f.fract() == 0.0 => Some(*f as u64),
        _ => None,
    }
}

fn as_text(v: &SqlStorageValue) -> Option<&str> {
    match v {
        SqlStorageValue::String(s) => Some(s),
        _ => None,
    }
}

fn num(n: u64) -> Value {
    Value::Number(n as f64)
}

fn version_not_found(n: u64) -> ApiError {
    ApiError::new(404, "VERSION_NOT_FOUND", format!("there is no stored version {n}"))
}

/// Runs `f` inside `storage.transactionSync`: its SQL writes commit
/// together when it returns `Ok`, and roll back when it returns `Err` (or
/// fails). `f` runs synchronously, so no other event can interleave.
fn transaction<T: 'static>(state: &State, f: impl FnOnce() -> Result<T, ApiError> + 'static) -> Result<T, ApiError> {
    let slot: Rc<RefCell<Option<Result<T, ApiError>>>> = Rc::new(RefCell::new(None));
    let out = slot.clone();
    let callback = Closure::once_into_js(move || -> Result<JsValue, JsValue> {
        let result = f();
        let failed = result.is_err();
        *out.borrow_mut() = Some(result);
        if failed {
            // Throwing is what rolls the transaction back.
            Err(JsValue::from_str("edgeflags: change refused; rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    });
    let handle = state.storage();
    let storage: &JsValue = handle.as_raw().as_ref();
    let tx = js_sys::Reflect::get(storage, &"transactionSync".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| unavailable("transactionSync", "the storage has no transactionSync"))?;
    let called = tx.call1(storage, &callback);
    let result = slot.borrow_mut().take();
    match (result, called) {
        (Some(Ok(v)), Ok(_)) => Ok(v),
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(_)), Err(e)) => Err(unavailable("commit", format!("{e:?}"))),
        (None, e) => Err(unavailable("transaction", format!("did not run: {e:?}"))),
    }
}

impl Inner {
    // ---- requests ----------------------------------------------------------

    async fn serve(self: &Rc<Self>, req: &mut Request) -> Result<Out, ApiError> {
        // Set by the Worker on every request it forwards; the object has no
        // other way in.
        let by = req
            .headers()
            .get(store::BY_HEADER)
            .ok()
            .flatten()
            .and_then(|b| api::percent_decode(&b))
            .ok_or_else(|| ApiError::new(403, "FORBIDDEN", "not a request from the Worker"))?;
        let method = req.inner().method();
        // The URL as text: parsing it with the `url` crate would bring its
        // IDNA tables into the wasm.
        let url = req.inner().url();
        let (path, query) = api::split_url(&url);
        if path == crate::rollouts::TICK_PATH && method == "POST" {
            self.ensure_ready().await?;
            return self.tick().await;
        }
        let endpoint = match api::route(&method, path)? {
            Target::Api(endpoint, _) => endpoint,
            Target::Proxy => return Err(ApiError::not_found(path)),
        };
        let query: Vec<(String, String)> = worker::url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let if_match = match &endpoint {
            Endpoint::PutRuleset
            | Endpoint::EditFlag(_)
            | Endpoint::FlagAction(..)
            | Endpoint::Rollback(_)
            | Endpoint::RolloutAction(..) => body::if_match(header("If-Match").as_deref())?,
            _ => None,
        };
        let if_none_match = header("If-None-Match");
        self.ensure_ready().await?;
        match endpoint {
            Endpoint::PutRuleset => {
                let doc = body::parse_json(&body_text(req).await?)?;
                self.change(if_match, Op::Put(doc), by).await
            }
            Endpoint::EditFlag(key) => {
                let edits = body::edit_body(&body_text(req).await?)?;
                self.change(if_match, Op::Edit { key, edits }, by).await
            }
            Endpoint::FlagAction(key, e) => self.change(if_match, Op::Edit { key, edits: vec![e] }, by).await,
            Endpoint::Rollback(n) => self.change(if_match, Op::Rollback(n), by).await,
            Endpoint::RolloutAction(key, action) => self.change(if_match, Op::Rollout { key, action }, by).await,
            Endpoint::ListRollouts => self.list_rollouts(),
            Endpoint::RolloutDecisions(key) => self.decision_log(&key, &query),
            Endpoint::ListVersions => self.list(false, &query),
            Endpoint::ListAudit => self.list(true, &query),
            Endpoint::GetVersion(n) => {
                let text = self.doc_text(n)?.ok_or_else(|| version_not_found(n))?;
                Ok(Out::json(200, text).with("ETag", body::etag(n)))
            }
            Endpoint::GetCurrentVersion => self.current_doc(if_none_match.as_deref()),
            _ => Err(ApiError::not_found(path)),
        }
    }

    async fn change(self: &Rc<Self>, if_match: Option<Option<u64>>, op: Op, by: String) -> Result<Out, ApiError> {
        let now = js_sys::Date::now() as i64;
        let this = self.clone();
        let c = transaction(&self.state, move || this.commit(if_match, op, by, now))?;
        let version = c.change.version;
        // Should the object stop before the publish below is done, this
        // alarm publishes the change (a finished publish cancels it).
        if let Err(e) = self.state.storage().set_alarm(store::SAFETY_ALARM_MS as i64).await {
            console_error!("edgeflags control: setting the publish alarm failed: {e}");
        }
        // KV must never hold a version the object might not: publish only
        // once the commit is on disk.
        self.state.storage().sync().await.map_err(|e| unavailable("sync after a commit", e))?;
        let published = self.publish(version).await;
        let answer = Value::Object(vec![
            ("version".into(), num(version)),
            ("previous".into(), num(c.change.previous)),
            ("action".into(), Value::String(c.change.action.name().into())),
            ("flags".into(), num(c.flags as u64)),
            ("audit".into(), c.change.audit_entry()),
            ("published".into(), Value::Bool(published)),
        ])
        .to_json();
        let answer_len = answer.len();
        let mut body = answer.into_bytes();
        body.extend_from_slice(c.text.as_bytes());
        Ok(Out { status: 200, headers: Vec::new(), body }
            .with("Content-Type", "application/json; charset=utf-8")
            .with("Cache-Control", "no-store")
            .with("ETag", body::etag(version))
            .with("X-Edgeflags-Version", version.to_string())
            .with(store::ANSWER_BYTES_HEADER, answer_len.to_string()))
    }

    /// The change itself, inside the transaction: read, check, apply,
    /// validate, number, write.
    fn commit(&self, if_match: Option<Option<u64>>, op: Op, by: String, now: i64) -> Result<Committed, ApiError> {
        let current = self.meta(store::META_CURRENT)?;
        let mut manual_log = None;
        let (doc, action) = match op {
            Op::Put(doc) => {
                check_if_match(if_match, current)?;
                (doc, Action::Put)
            }
            Op::Edit { key, edits } => {
                if current == 0 {
                    return Err(ApiError::new(
                        409,
                        "NO_RULESET",
                        "there is no ruleset to edit yet: PUT /v1/ruleset first",
                    ));
                }
                check_if_match(if_match, current)?;
                let mut doc = self.doc_value(current)?;
                for e in &edits {
                    edit::apply(&mut doc, &key, *e).map_err(|err| match err {
                        EditError::FlagNotFound(_) => ApiError::new(404, "FLAG_NOT_FOUND", err.to_string()),
                        EditError::Unsupported(_) => ApiError::new(422, "UNSUPPORTED_EDIT", err.to_string()),
                    })?;
                }
                (doc, Action::Edit { flag: key, edits })
            }
            Op::Rollback(n) => {
                check_if_match(if_match, current)?;
                (self.doc_value(n)?, Action::Rollback { restored: n })
            }
            Op::Rollout { key, action } => {
                if current == 0 {
                    return Err(ApiError::new(
                        404,
                        "FLAG_NOT_FOUND",
                        format!("no flag \"{key}\": there is no ruleset yet"),
                    ));
                }
                check_if_match(if_match, current)?;
                let doc = self.doc_value(current)?;
                let rs = Ruleset::from_value(&doc).map_err(ApiError::invalid_ruleset)?;
                if rs.flag(&key).is_none() {
                    return Err(ApiError::new(404, "FLAG_NOT_FOUND", format!("no flag \"{key}\" in the ruleset")));
                }
                let state = rs.rollouts().find(|(k, _, _)| *k == key).map(|(_, _, s)| s);
                let doc = rollouts::manual(&doc, &key, state.as_ref(), action, now)?;
                let decision = action.decision();
                let inputs = serde_json::json!({ "version": current, "by": by.clone(), "state": state.map(|s| serde_json::json!({
                    "percentage": s.percentage, "status": s.status.as_str(), "since": s.since.map(edgeflags::time::format_rfc3339),
                })) });
                manual_log = Some((key.clone(), decision.clone(), inputs));
                (doc, Action::Rollout { flag: key, decision: rollouts::to_value(&decision) })
            }
        };
        let c = self.store_version(current, doc, action, by, now)?;
        if let Some((flag, decision, inputs)) = manual_log {
            self.log_decision(&flag, now, current, Some(c.change.version), &decision, &inputs)?;
        }
        Ok(c)
    }

    /// Numbers, validates and writes a new current version `doc` made by
    /// `action` from version `current` (inside the caller's transaction),
    /// and notes where each rollout's step began.
    fn store_version(
        &self,
        current: u64,
        mut doc: Value,
        action: Action,
        by: String,
        now: i64,
    ) -> Result<Committed, ApiError> {
        // Numbers are never reused: after the highest ever stored (an
        // import can bring versions above the current one).
        let version = current.max(self.highest()?) + 1;
        if edit::set_version(&mut doc, version).is_err() {
            // Not an object: let the core say so, with its path.
            return Err(match Ruleset::from_value(&doc) {
                Err(e) => ApiError::invalid_ruleset(e),
                Ok(_) => ApiError::bad_request("the ruleset must be a JSON object"),
            });
        }
        let rs = Ruleset::from_value(&doc).map_err(ApiError::invalid_ruleset)?;
        let text = doc.to_json();
        if text.len() > MAX_RULESET_BYTES {
            return Err(ApiError::invalid_ruleset(LoadError {
                problems: vec![Problem {
                    path: String::new(),
                    message: format!("ruleset of {} bytes is larger than the limit of {MAX_RULESET_BYTES}", text.len()),
                }],
            }));
        }
        let change = Change { version, previous: current, time: now, action, by };
        self.insert_version(version, &change.version_metadata(), &text, false)?;
        self.exec(
            "INSERT INTO audit (version, entry) VALUES (?, ?)",
            vec![int(version), change.audit_entry().to_json().into()],
        )?;
        self.set_meta(store::META_CURRENT, version)?;
        self.note_steps(&rs, version)?;
        Ok(Committed { change, text, flags: rs.len() })
    }

    /// `GET /v1/versions` and `GET /v1/audit`: one page, oldest first.
    fn list(&self, audit: bool, query: &[(String, String)]) -> Result<Out, ApiError> {
        let (limit, after) = store::page_params(query.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let q = if audit {
            "SELECT version, entry FROM audit WHERE version > ? ORDER BY version LIMIT ?"
        } else {
            "SELECT version, summary FROM versions WHERE version > ? ORDER BY version LIMIT ?"
        };
        let mut rows = self.rows(q, vec![int(after), int(limit + 1)])?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let mut last = None;
        let items: Vec<Value> = rows
            .iter()
            .filter_map(|r| {
                let n = as_u64(r.first()?)?;
                last = Some(n);
                let item = r.get(1).and_then(as_text).and_then(|t| Value::parse(t).ok());
                Some(item.unwrap_or_else(|| Value::Object(vec![("version".into(), num(n))])))
            })
            .collect();
        let current = self.meta(store::META_CURRENT)?;
        let opt = |n: u64| if n == 0 { Value::Null } else { num(n) };
        let body = Value::Object(vec![
            ("current".into(), opt(current)),
            ("published".into(), opt(self.meta(store::META_PUBLISHED)?.min(current))),
            ((if audit { "entries" } else { "versions" }).into(), Value::Array(items)),
            ("cursor".into(), last.filter(|_| more).map_or(Value::Null, |n| Value::String(n.to_string()))),
        ]);
        Ok(Out::json(200, body.to_json()))
    }

    /// `GET /v1/versions/current`: the current document, with its ETag.
    fn current_doc(&self, if_none_match: Option<&str>) -> Result<Out, ApiError> {
        let current = self.meta(store::META_CURRENT)?;
        let text = match current {
            0 => None,
            n => self.doc_text(n)?,
        };
        let Some(text) = text else {
            return Err(ApiError::new(404, "NO_RULESET", "there is no ruleset yet: PUT /v1/ruleset first"));
        };
        let status = if body::none_match(if_none_match, current) { 304 } else { 200 };
        Ok(Out::json(status, text).with("ETag", body::etag(current)).with("X-Edgeflags-Version", current.to_string()))
    }

    // ---- SQL ---------------------------------------------------------------

    fn exec(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<(), ApiError> {
        self.sql.exec(q, binds).map(|_| ()).map_err(|e| unavailable("SQL", e))
    }

    fn rows(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<Vec<Vec<SqlStorageValue>>, ApiError> {
        let cursor = self.sql.exec(q, binds).map_err(|e| unavailable("SQL", e))?;
        cursor.raw().collect::<worker::Result<Vec<_>>>().map_err(|e| unavailable("SQL rows", e))
    }

    fn meta(&self, key: &str) -> Result<u64, ApiError> {
        let rows = self.rows("SELECT value FROM meta WHERE key = ?", vec![key.into()])?;
        Ok(rows.first().and_then(|r| r.first()).and_then(as_u64).unwrap_or(0))
    }

    fn set_meta(&self, key: &str, value: u64) -> Result<(), ApiError> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![key.into(), int(value)],
        )
    }

    /// The highest version stored (0: none).
    fn highest(&self) -> Result<u64, ApiError> {
        let rows = self.rows("SELECT MAX(version) FROM versions", vec![])?;
        Ok(rows.first().and_then(|r| r.first()).and_then(as_u64).unwrap_or(0))
    }

    fn insert_version(&self, version: u64, summary: &Value, text: &str, in_kv: bool) -> Result<(), ApiError> {
        self.exec(
            "INSERT INTO versions (version, summary, in_kv) VALUES (?, ?, ?)",
            vec![int(version), summary.to_json().into(), int(u64::from(in_kv))],
        )?;
        for (i, part) in store::split_parts(text, store::DOC_PART_BYTES).into_iter().enumerate() {
            self.exec(
                "INSERT INTO doc_parts (version, part, text) VALUES (?, ?, ?)",
                vec![int(version), int(i as u64), part.into()],
            )?;
        }
        Ok(())
    }

    /// The stored text of version `n`, `None` when there is none.
    fn doc_text(&self, n: u64) -> Result<Option<String>, ApiError> {
        let rows = self.rows("SELECT text FROM doc_parts WHERE version = ? ORDER BY part", vec![int(n)])?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut text = String::new();
        for r in &rows {
            text.push_str(r.first().and_then(as_text).unwrap_or_default());
        }
        Ok(Some(text))
    }

    /// The parsed document of version `n`.
    fn doc_value(&self, n: u64) -> Result<Value, ApiError> {
        let text = self.doc_text(n)?.ok_or_else(|| version_not_found(n))?;
        Value::parse(&text).map_err(|e| {
            console_error!("edgeflags control: stored version {n} is not JSON: {e}");
            ApiError::new(
                503,
                "STORE_CORRUPT",
                format!("stored version {n} is not a valid JSON document; roll back to another version"),
            )
        })
    }

    // ---- the import of a KV-only store -------------------------------------

    /// Runs the import check once per object instance, while every other
    /// event waits.
    async fn ensure_ready(self: &Rc<Self>) -> Result<(), ApiError> {
        if self.ready.get() {
            return Ok(());
        }
        let this = self.clone();
        // The future's own errors are values: an `Err` here would reset the object.
        match self.state.block_concurrency_while(async move { Ok(this.import().await) }).await {
            Ok(r) => r,
            Err(e) => Err(unavailable("import", e)),
        }
    }

    /// Imports the versions KV holds beyond the object's own (all of them
    /// on first use), with their audit entries, in one transaction.
    async fn import(self: &Rc<Self>) -> Result<(), ApiError> {
        if self.ready.get() {
            return Ok(());
        }
        let held = self.highest()?;
        let kv = Store::open(&self.env)?;
        let pointer = match kv.get(store::POINTER_KEY).await {
            Ok(p) => p.and_then(|p| store::parse_pointer(&p).ok()),
            // Holding a store, the object can go on without KV; empty, it
            // cannot know whether KV holds a store to continue.
            Err(e) if held > 0 => {
                console_error!("edgeflags control: import check skipped: {e}");
                self.ready.set(true);
                return Ok(());
            }
            Err(e) => return Err(unavailable("import: reading KV", e)),
        };
        if held > 0 && pointer.is_none_or(|p| p <= held) {
            self.ready.set(true);
            return Ok(());
        }
        let listed = match self.read_kv_store(&kv, held, pointer).await {
            Ok(l) => l,
            Err(e) if held > 0 => {
                console_error!("edgeflags control: import of newer KV versions skipped: {}", e.message);
                self.ready.set(true);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let Some((plan, docs, audits)) = listed else {
            self.ready.set(true);
            return Ok(());
        };
        let this = self.clone();
        let count = plan.versions.len();
        let (current, published) = (plan.current, plan.published);
        transaction(&self.state, move || {
            if this.highest()? != held {
                return Err(unavailable("import", "the store changed during the import"));
            }
            for ((v, summary, text), entry) in docs.into_iter().zip(audits) {
                this.insert_version(v, &summary, &text, true)?;
                this.exec("INSERT INTO audit (version, entry) VALUES (?, ?)", vec![int(v), entry.to_json().into()])?;
            }
            this.set_meta(store::META_CURRENT, current)?;
            this.set_meta(store::META_PUBLISHED, published)?;
            Ok(())
        })?;
        console_log!("edgeflags control: imported {count} versions from KV; current version {current}");
        self.ready.set(true);
        if published < current {
            // KV's pointer is missing or behind: publish it.
            if let Err(e) = self.state.storage().set_alarm(0).await {
                console_error!("edgeflags control: setting the publish alarm failed: {e}");
            }
        }
        Ok(())
    }

    /// Reads what KV holds above `held`: the plan, each version's
    /// `(number, summary, document)` and audit entry (in the same order).
    #[allow(clippy::type_complexity)]
    async fn read_kv_store(
        &self,
        kv: &Store,
        held: u64,
        pointer: Option<u64>,
    ) -> Result<Option<(store::ImportPlan, Vec<(u64, Value, String)>, Vec<Value>)>, ApiError> {
        let versions = list_all(kv, store::VERSION_PREFIX).await?;
        let found: Vec<u64> = versions.iter().map(|(v, _)| *v).collect();
        let Some(plan) = store::plan_import(held, pointer, &found) else { return Ok(None) };
        let audit_meta = list_all(kv, store::AUDIT_PREFIX).await?;
        let mut docs = Vec::with_capacity(plan.versions.len());
        for chunk in plan.versions.chunks(KV_BATCH) {
            let texts = join_all(chunk.iter().map(|&v| async move { kv.get(&store::version_key(v)).await })).await;
            for (&v, text) in chunk.iter().zip(texts) {
                match text.map_err(|e| unavailable("import: reading a version", e))? {
                    Some(t) => {
                        let meta = versions.iter().find(|(n, _)| *n == v).and_then(|(_, m)| m.clone());
                        docs.push((v, store::imported_summary(v, meta), t));
                    }
                    // Deleted while listing: nothing to keep.
                    None => console_error!("edgeflags control: import: version {v} vanished while importing"),
                }
            }
        }
        let mut audits = Vec::with_capacity(docs.len());
        for (v, summary, _) in &docs {
            let meta = audit_meta.iter().find(|(n, _)| n == v).map(|(_, m)| m.clone());
            let entry = match meta {
                // The entry itself, when its metadata is whole.
                Some(Some(m)) if m.get("truncated").is_none() && m.get("version").is_some() => m,
                // Listed but trimmed (or without metadata): the value.
                Some(_) => {
                    let text = kv
                        .get(&store::audit_key(*v))
                        .await
                        .map_err(|e| unavailable("import: reading an audit entry", e))?;
                    text.and_then(|t| Value::parse(&t).ok()).unwrap_or_else(|| store::imported_audit_entry(*v, summary))
                }
                None => store::imported_audit_entry(*v, summary),
            };
            audits.push(entry);
        }
        Ok(Some((plan, docs, audits)))
    }

    // ---- publishing to KV --------------------------------------------------

    /// Waits until KV holds `version` (or newer): `false` when the publish
    /// failed (the alarm retries it).
    async fn publish(self: &Rc<Self>, version: u64) -> bool {
        loop {
            if self.meta(store::META_PUBLISHED).unwrap_or(0) >= version {
                return true;
            }
            if !self.publishing.get() {
                return self.run_publisher().await;
            }
            self.wait_for_publisher().await;
            if self.meta(store::META_PUBLISHED).unwrap_or(0) >= version {
                return true;
            }
            if !self.publishing.get() && !self.last_publish_ok.get() {
                return false;
            }
        }
    }

    async fn wait_for_publisher(&self) {
        let mut resolve = None;
        let promise = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
        if let Some(r) = resolve {
            self.waiters.borrow_mut().push(r);
        }
        let _ = JsFuture::from(promise).await;
    }

    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            let _ = w.call0(&JsValue::UNDEFINED);
        }
    }

    /// Publishes until KV holds the current version (documents not yet
    /// in KV, then the pointer), or a KV write fails; then sets the alarm
    /// accordingly. Only one runs at a time.
    async fn run_publisher(self: &Rc<Self>) -> bool {
        self.publishing.set(true);
        let ok = loop {
            let (current, published) = match (self.meta(store::META_CURRENT), self.meta(store::META_PUBLISHED)) {
                (Ok(c), Ok(p)) => (c, p),
                _ => break false,
            };
            if published >= current {
                break true;
            }
            if let Err(e) = self.publish_once(current).await {
                console_error!("edgeflags control: publishing version {current} to KV failed: {e}");
                break false;
            }
            self.wake_waiters();
        };
        // Decided in the same turn as the check above, before any other
        // event runs: a change committed later sets its own alarm.
        let alarm = if ok {
            let _ = self.set_meta(store::META_FAILURES, 0);
            self.state.storage().delete_alarm().await
        } else {
            let failures = self.meta(store::META_FAILURES).unwrap_or(0) + 1;
            let _ = self.set_meta(store::META_FAILURES, failures);
            let delay = store::retry_delay_ms(failures);
            console_log!("edgeflags control: KV publish failed {failures} time(s) in a row; retrying in {delay} ms");
            self.state.storage().set_alarm(delay as i64).await
        };
        if let Err(e) = alarm {
            console_error!("edgeflags control: updating the publish alarm failed: {e}");
        }
        self.publishing.set(false);
        self.last_publish_ok.set(ok);
        self.wake_waiters();
        ok
    }

    /// One publish: every stored document KV lacks up to `current`, then
    /// the pointer to `current`.
    async fn publish_once(&self, current: u64) -> Result<(), String> {
        let kv = Store::open(&self.env).map_err(|e| e.message)?;
        let pending: Vec<u64> = self
            .rows("SELECT version FROM versions WHERE in_kv = 0 AND version <= ? ORDER BY version", vec![int(current)])
            .map_err(|e| e.message)?
            .iter()
            .filter_map(|r| r.first().and_then(as_u64))
            .collect();
        for chunk in pending.chunks(KV_BATCH) {
            let mut docs = Vec::with_capacity(chunk.len());
            for &v in chunk {
                let text = self.doc_text(v).map_err(|e| e.message)?.unwrap_or_default();
                let summary = self
                    .rows("SELECT summary FROM versions WHERE version = ?", vec![int(v)])
                    .map_err(|e| e.message)?
                    .first()
                    .and_then(|r| r.first().and_then(as_text).and_then(|t| Value::parse(t).ok()))
                    .unwrap_or(Value::Null);
                docs.push((v, text, summary));
            }
            let results = join_all(docs.iter().map(|(v, text, summary)| {
                let kv = &kv;
                async move { kv.put(&store::version_key(*v), text, Change::kv_metadata(summary)).await }
            }))
            .await;
            for ((v, _, _), r) in docs.iter().zip(results) {
                r?;
                self.exec("UPDATE versions SET in_kv = 1 WHERE version = ?", vec![int(*v)]).map_err(|e| e.message)?;
            }
        }
        let now = js_sys::Date::now() as i64;
        kv.put(store::POINTER_KEY, &store::pointer_json(current, now), None).await?;
        self.set_meta(store::META_PUBLISHED, current).map_err(|e| e.message.into())
    }
}

/// Every `(version, metadata)` under a KV prefix.
async fn list_all(kv: &Store, prefix: &str) -> Result<Vec<(u64, Option<Value>)>, ApiError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = kv
            .list(prefix, super::kv::MAX_LIST_LIMIT, cursor)
            .await
            .map_err(|e| unavailable("import: listing KV", e))?;
        out.extend(page.entries.into_iter().filter_map(|(k, m)| Some((store::key_version(&k)?, m))));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

async fn body_text(req: &mut Request) -> Result<String, ApiError> {
    let bytes = req.bytes().await.map_err(|e| unavailable("reading the forwarded body", e))?;
    body::utf8(bytes)
}

/// `If-Match` against the current version: 412 with `current` on a mismatch.
#[allow(clippy::option_option)]
fn check_if_match(if_match: Option<Option<u64>>, current: u64) -> Result<(), ApiError> {
    let ok = match if_match {
        None => true,
        Some(None) => current > 0,
        Some(Some(v)) => v == current,
    };
    if ok {
        return Ok(());
    }
    let value = if current == 0 { Value::Null } else { num(current) };
    Err(ApiError::new(
        412,
        "VERSION_CONFLICT",
        format!(
            "If-Match does not name the current version ({}); fetch it and retry",
            if current == 0 { "there is none".to_string() } else { body::etag(current) }
        ),
    )
    .with("current", value))
}
