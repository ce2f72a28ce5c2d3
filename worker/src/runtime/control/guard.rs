//! The control object's guarded rollouts (docs/rollouts.md, "In the
//! Worker"): the every-minute tick the Worker's Cron Trigger sends,
//! which decides every running plan from the route metrics in D1 and
//! applies what changes something through the object's one write path (a
//! new version, an audit entry by `rollout-guard`, the publish to KV);
//! the decision log (every decision, holds too, with its inputs); and the
//! rollout reads of the API.
//!
//! The tick reads the current version, then the windows from D1 (the
//! only awaits), then decides and writes in one synchronous transaction,
//! which first checks that the current version is still the one read:
//! a change made in between (a person's edit) leaves this minute's
//! decisions to the next tick, which reads it. Nothing is decided on
//! data that could not be read: a D1 failure skips the tick.

use std::rc::Rc;

use edgeflags::rollout::{apply, decide, GuardData, RolloutState, RolloutStatus};
use edgeflags::time::format_rfc3339;
use edgeflags::{Ruleset, Value};
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, js_sys, D1Database, SqlStorageValue};

use super::{as_text, as_u64, int, transaction, unavailable, Inner, Out};
use crate::errors::ApiError;
use crate::metrics::{self, BucketRow, CustomRow, TotalsRow, WindowStart};
use crate::rollouts::{self, Inputs, Sides};
use crate::runtime::events::rows;
use crate::store::{self, Action};

/// The D1 binding the route metrics are in.
const DB: &str = "DB";
/// Above every decision id (and still exact as a JS number).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// One running rollout to decide.
struct Job {
    key: String,
    state: RolloutState,
    sides: Sides,
    window: Option<WindowStart>,
}

/// What a tick did.
struct Ticked {
    version: u64,
    decisions: Vec<serde_json::Value>,
    webhooks: Vec<serde_json::Value>,
    changed: bool,
}

impl Inner {
    /// `POST /internal/rollouts/tick`: decides every running rollout.
    /// The answer lists the decisions and the webhooks to send (the
    /// Worker sends them, off the object).
    pub(super) async fn tick(self: &Rc<Self>) -> Result<Out, ApiError> {
        let now = js_sys::Date::now() as i64;
        let current = self.meta(store::META_CURRENT)?;
        let empty = |version: u64| {
            Out::json(200, serde_json::json!({ "version": version, "decisions": [], "webhooks": [] }).to_string())
        };
        if current == 0 {
            return Ok(empty(0));
        }
        let doc = self.doc_value(current)?;
        let rs = match Ruleset::from_value(&doc) {
            Ok(rs) => rs,
            Err(e) => {
                console_error!("edgeflags control: tick: version {current} does not compile: {e}");
                return Ok(empty(current));
            }
        };
        let mut jobs = Vec::new();
        for (key, _, state) in rs.rollouts() {
            if state.status != RolloutStatus::Running {
                continue;
            }
            let Some(sides) = rollouts::sides(&rs, key) else { continue };
            let window = match rollouts::needs_data(&state) {
                true => rollouts::window_start(&state, self.step_version(key, &state, current)?),
                false => None,
            };
            jobs.push(Job { key: key.to_string(), state, sides, window });
        }
        if jobs.is_empty() {
            return Ok(empty(current));
        }
        let mut data = Vec::with_capacity(jobs.len());
        if jobs.iter().any(|j| j.window.is_some()) {
            let db = self.env.d1(DB).map_err(|e| unavailable("tick: the D1 binding", e))?;
            for j in &jobs {
                data.push(match j.window {
                    Some(w) => read_window(&db, &j.key, w, &j.sides)
                        .await
                        .map_err(|e| unavailable(&format!("tick: reading the window of {}", j.key), e))?,
                    None => GuardData::default(),
                });
            }
        } else {
            data.resize(jobs.len(), GuardData::default());
        }
        let this = self.clone();
        let ticked = transaction(&self.state, move || this.decide_all(current, doc, rs, jobs, data, now))?;
        if ticked.changed {
            if let Err(e) = self.state.storage().set_alarm(store::SAFETY_ALARM_MS as i64).await {
                console_error!("edgeflags control: setting the publish alarm failed: {e}");
            }
            self.state.storage().sync().await.map_err(|e| unavailable("sync after a rollout change", e))?;
            if !self.publish(ticked.version).await {
                console_log!(
                    "edgeflags control: rollout version {} committed; KV publish retried by the alarm",
                    ticked.version
                );
            }
        }
        let body = serde_json::json!({
            "version": ticked.version,
            "decisions": ticked.decisions,
            "webhooks": ticked.webhooks,
        });
        Ok(Out::json(200, body.to_string()))
    }

    /// Decides each job on version `current` and applies the decisions
    /// that change something, one new version each (inside the tick's
    /// transaction).
    fn decide_all(
        &self,
        current: u64,
        mut doc: Value,
        rs: Ruleset,
        jobs: Vec<Job>,
        data: Vec<GuardData>,
        now: i64,
    ) -> Result<Ticked, ApiError> {
        let mut out = Ticked { version: current, decisions: Vec::new(), webhooks: Vec::new(), changed: false };
        if self.meta(store::META_CURRENT)? != current {
            console_log!(
                "edgeflags control: tick: the ruleset changed while reading the windows; deciding next minute"
            );
            out.version = self.meta(store::META_CURRENT)?;
            return Ok(out);
        }
        for (job, data) in jobs.into_iter().zip(data) {
            let Some((_, plan, _)) = rs.rollouts().find(|(k, _, _)| *k == job.key) else { continue };
            let decision = decide(plan, &job.state, &data, now);
            let mut logged = rollouts::decision_json(&decision);
            let inputs = Inputs {
                version: current,
                plan: rollouts::plan_doc(&doc, &job.key),
                state: &job.state,
                window: job.window,
                sides: &job.sides,
                data: &data,
                now,
            }
            .to_json();
            let mut applied = None;
            if decision.changes() {
                let audit = audit_decision(&logged, &inputs);
                let stored = apply(&doc, &job.key, &decision, now).map_err(|e| e.to_string()).and_then(|new| {
                    // A decision whose result does not load is logged, not applied.
                    Ruleset::from_value(&new).map_err(|e| e.to_string())?;
                    Ok(new)
                });
                match stored {
                    Ok(new) => {
                        let previous = out.version;
                        let action = Action::Rollout { flag: job.key.clone(), decision: rollouts::to_value(&audit) };
                        let c = self.store_version(previous, new, action, rollouts::GUARD_LABEL.into(), now)?;
                        doc = Value::parse(&c.text).map_err(|e| unavailable("tick: re-reading a stored version", e))?;
                        out.version = c.change.version;
                        out.changed = true;
                        applied = Some(c.change.version);
                        if let Some(url) = &plan.webhook {
                            let body = rollouts::webhook_body(&job.key, &audit, previous, c.change.version, now);
                            out.webhooks.push(serde_json::json!({ "url": &**url, "body": body }));
                        }
                    }
                    Err(e) => {
                        console_error!("edgeflags control: tick: the decision for {} cannot be applied: {e}", job.key);
                        if let serde_json::Value::Object(m) = &mut logged {
                            m.insert("error".into(), serde_json::Value::String(e));
                        }
                    }
                }
            }
            self.log_decision(&job.key, now, current, applied, &logged, &inputs)?;
            out.decisions.push(serde_json::json!({ "flag": job.key, "decision": logged, "applied": applied }));
        }
        Ok(out)
    }

    /// The version in which `key`'s current step began (noted by every
    /// commit, [`Inner::note_steps`]); an unnoted step (a store imported
    /// from KV) begins now, at `current`.
    fn step_version(&self, key: &str, state: &RolloutState, current: u64) -> Result<u64, ApiError> {
        let want = rollouts::state_key(state);
        let rows = self.rows("SELECT state, version FROM rollout_steps WHERE flag = ?", vec![key.into()])?;
        if let Some(r) = rows.first() {
            if r.first().and_then(as_text) == Some(want.as_str()) {
                if let Some(v) = r.get(1).and_then(as_u64) {
                    return Ok(v);
                }
            }
        }
        self.exec(
            "INSERT INTO rollout_steps (flag, state, version) VALUES (?, ?, ?) \
             ON CONFLICT (flag) DO UPDATE SET state = excluded.state, version = excluded.version",
            vec![key.into(), want.into(), int(current)],
        )?;
        Ok(current)
    }

    /// Notes, for every rollout of the new version `version` whose state
    /// changed, that its step begins in `version`.
    pub(super) fn note_steps(&self, rs: &Ruleset, version: u64) -> Result<(), ApiError> {
        for (key, _, state) in rs.rollouts() {
            self.exec(
                "INSERT INTO rollout_steps (flag, state, version) VALUES (?, ?, ?) \
                 ON CONFLICT (flag) DO UPDATE SET state = excluded.state, version = excluded.version \
                 WHERE rollout_steps.state != excluded.state",
                vec![key.into(), rollouts::state_key(&state).into(), int(version)],
            )?;
        }
        Ok(())
    }

    /// Appends a decision to the log (and trims the flag's oldest past
    /// [`rollouts::DECISIONS_KEPT_PER_FLAG`]).
    pub(super) fn log_decision(
        &self,
        flag: &str,
        at: i64,
        version: u64,
        applied: Option<u64>,
        decision: &serde_json::Value,
        inputs: &serde_json::Value,
    ) -> Result<(), ApiError> {
        self.exec(
            "INSERT INTO decisions (flag, at, version, applied, decision, inputs) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                flag.into(),
                SqlStorageValue::Integer(at),
                int(version),
                applied.map_or(SqlStorageValue::Null, int),
                decision.to_string().into(),
                inputs.to_string().into(),
            ],
        )?;
        self.exec(
            "DELETE FROM decisions WHERE flag = ?1 AND id <= \
             (SELECT id FROM decisions WHERE flag = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
            vec![flag.into(), int(rollouts::DECISIONS_KEPT_PER_FLAG)],
        )
    }

    /// Decisions of `flag`, newest first: at most `limit`, older than id
    /// `before`.
    fn decisions(&self, flag: &str, limit: u64, before: Option<u64>) -> Result<Vec<serde_json::Value>, ApiError> {
        let rows = self.rows(
            "SELECT id, at, version, applied, decision, inputs FROM decisions WHERE flag = ? AND id < ? \
             ORDER BY id DESC LIMIT ?",
            vec![flag.into(), int(before.unwrap_or(MAX_SAFE_INTEGER)), int(limit)],
        )?;
        let json = |v: Option<&SqlStorageValue>| {
            v.and_then(as_text).and_then(|t| serde_json::from_str(t).ok()).unwrap_or(serde_json::Value::Null)
        };
        Ok(rows
            .iter()
            .map(|r| {
                let at = match r.get(1) {
                    Some(SqlStorageValue::Integer(ms)) => serde_json::Value::String(format_rfc3339(*ms)),
                    Some(SqlStorageValue::Float(ms)) => serde_json::Value::String(format_rfc3339(*ms as i64)),
                    _ => serde_json::Value::Null,
                };
                serde_json::json!({
                    "id": r.first().and_then(as_u64),
                    "at": at,
                    "version": r.get(2).and_then(as_u64),
                    "applied": r.get(3).and_then(as_u64),
                    "decision": json(r.get(4)),
                    "inputs": json(r.get(5)),
                })
            })
            .collect())
    }

    /// `GET /v1/rollouts`: every plan of the current version, where it
    /// stands and its latest decisions.
    pub(super) fn list_rollouts(&self) -> Result<Out, ApiError> {
        let current = self.meta(store::META_CURRENT)?;
        let mut items = Vec::new();
        if current > 0 {
            let doc = self.doc_value(current)?;
            let rs = Ruleset::from_value(&doc).map_err(ApiError::invalid_ruleset)?;
            for (key, plan, state) in rs.rollouts() {
                let plan_json = rollouts::plan_doc(&doc, key)
                    .and_then(|p| serde_json::from_str::<serde_json::Value>(&p.to_json()).ok())
                    .unwrap_or(serde_json::Value::Null);
                let last = self.decisions(key, rollouts::LAST_DECISIONS, None)?;
                items.push(serde_json::json!({
                    "flag": key,
                    "rule": rs.flag(key).and_then(|f| f.rollout_rule()),
                    "status": state.status.as_str(),
                    "percentage": state.percentage,
                    "since": state.since.map(format_rfc3339),
                    "next": plan.next_step(state.percentage),
                    "steps": plan.steps,
                    "sides": rollouts::sides(&rs, key),
                    "plan": plan_json,
                    "decisions": last,
                }));
            }
        }
        let body = serde_json::json!({ "version": current, "rollouts": items });
        Ok(Out::json(200, body.to_string()))
    }

    /// `GET /v1/rollouts/{key}/decisions`: one page of a flag's decision
    /// log, newest first.
    pub(super) fn decision_log(&self, key: &str, query: &[(String, String)]) -> Result<Out, ApiError> {
        let (limit, before) = rollouts::decision_page(query.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let mut page = self.decisions(key, limit + 1, before)?;
        let more = page.len() as u64 > limit;
        page.truncate(limit as usize);
        if page.is_empty() && before.is_none() {
            let current = self.meta(store::META_CURRENT)?;
            let has_plan = current > 0
                && Ruleset::from_value(&self.doc_value(current)?)
                    .is_ok_and(|rs| rs.rollouts().any(|(k, _, _)| k == key));
            if !has_plan {
                return Err(ApiError::new(
                    404,
                    "NO_ROLLOUT",
                    format!("flag \"{key}\" has no rollout plan and no logged decisions"),
                ));
            }
        }
        let cursor = if more { page.last().and_then(|d| d.get("id")).and_then(|v| v.as_u64()) } else { None };
        let body = serde_json::json!({
            "flag": key,
            "decisions": page,
            "cursor": cursor.map(|c| c.to_string()),
        });
        Ok(Out::json(200, body.to_string()))
    }
}

/// The audit entry's `decision`: the decision with the window and what
/// both sides saw (the full histograms stay in the decision log).
fn audit_decision(decision: &serde_json::Value, inputs: &serde_json::Value) -> serde_json::Value {
    let mut d = decision.clone();
    if let serde_json::Value::Object(m) = &mut d {
        let side = |s: &serde_json::Value| serde_json::json!({ "variant": s["variant"], "requests": s["requests"], "errors": s["errors"] });
        m.insert(
            "observed".into(),
            serde_json::json!({
                "window": inputs["window"],
                "control": side(&inputs["control"]),
                "treatment": side(&inputs["treatment"]),
            }),
        );
    }
    d
}

/// Both sides' windows of `flag` from D1 (two aggregate queries).
async fn read_window(db: &D1Database, flag: &str, w: WindowStart, sides: &Sides) -> Result<GuardData, String> {
    let binds = [JsValue::from_str(flag), JsValue::from_f64(w.minute as f64), JsValue::from_f64(w.version as f64)];
    let totals: Vec<TotalsRow> = rows(db, metrics::TOTALS_QUERY, &binds).await?;
    let buckets: Vec<BucketRow> = rows(db, metrics::LATENCY_QUERY, &binds).await?;
    let custom: Vec<CustomRow> = rows(db, metrics::CUSTOM_QUERY, &binds).await?;
    Ok(GuardData {
        control: metrics::window(&sides.control, &totals, &buckets, &custom),
        treatment: metrics::window(&sides.treatment, &totals, &buckets, &custom),
    })
}
