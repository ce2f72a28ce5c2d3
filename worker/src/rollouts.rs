//! Guarded rollouts, the Worker's part in plain Rust (docs/rollouts.md,
//! "In the Worker"): the control object's tables for them, which variants
//! a rollout compares, where its window starts, what the decision log
//! keeps (every decision with the inputs that replay it), the edits of a
//! pause, resume or abort by hand, and the webhook's body. The decision
//! itself is the core's (`edgeflags::rollout::decide`); the I/O is
//! `runtime::control` (the tick, the API) and `runtime::mod` (the Cron
//! Trigger, the webhooks).

use edgeflags::edit::{self, Edit, EditError};
use edgeflags::rollout::{Decision, GuardData, RolloutState, RolloutStatus, VariantWindow};
use edgeflags::time::{format_rfc3339, Millis};
use edgeflags::{Ruleset, Value};

use crate::errors::ApiError;
use crate::metrics::WindowStart;

/// The audit label of the guard's changes (`by`).
pub const GUARD_LABEL: &str = "rollout-guard";
/// The control object's internal path of the every-minute evaluation
/// (only the Worker's scheduled handler calls it, through the binding).
pub const TICK_PATH: &str = "/internal/rollouts/tick";
/// How long a webhook POST may take before it is given up (and logged).
pub const WEBHOOK_TIMEOUT_MS: u32 = 5000;
/// Decisions kept per flag in the decision log (a running plan logs one a
/// minute: about a week).
pub const DECISIONS_KEPT_PER_FLAG: u64 = 10_000;
/// Latest decisions per flag in `GET /v1/rollouts`.
pub const LAST_DECISIONS: u64 = 5;
/// Default page of `GET /v1/rollouts/{key}/decisions`.
pub const DEFAULT_DECISIONS_PAGE: u64 = 50;

/// The control object's rollout tables (idempotent): `decisions`, the
/// decision log (one row per decision, holds too: the version it was
/// taken on, the version it made, if any, the decision's JSON and the
/// inputs that replay it), and `rollout_steps`, per flag the version in
/// which its current step (percentage, status, start) began: the window's
/// first version.
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, flag TEXT NOT NULL, \
     at INTEGER NOT NULL, version INTEGER NOT NULL, applied INTEGER, decision TEXT NOT NULL, inputs TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS decisions_by_flag ON decisions (flag, id)",
    "CREATE TABLE IF NOT EXISTS rollout_steps (flag TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL)",
];

/// Where a rollout stands, as text: a step begins whenever this changes.
pub fn state_key(s: &RolloutState) -> String {
    format!("{}|{}|{}", s.percentage, s.status.as_str(), s.since.map_or(String::new(), |t| t.to_string()))
}

/// The variants a rollout compares: control (the flag's off variant) and
/// treatment (the variant served inside the percentage, the document's
/// `rollout_variant`, `on` by default).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sides {
    /// Control's variant name.
    pub control: String,
    /// Treatment's variant name.
    pub treatment: String,
}

/// The sides of flag `key`'s rollout in `rs`.
pub fn sides(rs: &Ruleset, key: &str) -> Option<Sides> {
    let flag = rs.flag(key)?;
    let treatment = flag.rollout_treatment()?;
    Some(Sides { control: flag.off_variant().name.to_string(), treatment: treatment.name.to_string() })
}

/// Whether the decision reads measurements: a running rollout whose step
/// has started (otherwise the decision is a start or a hold by status).
pub fn needs_data(s: &RolloutState) -> bool {
    s.status == RolloutStatus::Running && s.since.is_some() && s.percentage > 0.0
}

/// The window of a step that started at `since` in version `version`.
pub fn window_start(s: &RolloutState, version: u64) -> Option<WindowStart> {
    needs_data(s).then(|| WindowStart::new(s.since.unwrap_or(0), version))
}

/// Flag `key`'s `rollout` object in `doc` (the plan as written, on the
/// flag or a rule).
pub fn plan_doc<'d>(doc: &'d Value, key: &str) -> Option<&'d Value> {
    edgeflags::rollout::plan_doc(doc, key)
}

fn window_json(w: &VariantWindow, variant: &str) -> serde_json::Value {
    let metrics: serde_json::Map<String, serde_json::Value> = w
        .metrics
        .iter()
        .map(|(k, m)| (k.clone(), serde_json::json!({ "n": m.n, "sum": m.sum, "sum_sq": m.sum_sq })))
        .collect();
    serde_json::json!({
        "variant": variant, "requests": w.requests, "errors": w.errors, "latency": w.latency, "metrics": metrics,
    })
}

/// What a decision was taken from, enough to replay it: the ruleset
/// version and the plan, where the rollout stood, the window and what
/// both sides saw in it, and the time. `decide(plan, state, data, now)`
/// on these gives the logged decision again.
pub struct Inputs<'a> {
    /// The ruleset version decided on.
    pub version: u64,
    /// The flag's `rollout` as written in that version.
    pub plan: Option<&'a Value>,
    /// Where the rollout stood.
    pub state: &'a RolloutState,
    /// The window read (`None`: no measurements needed).
    pub window: Option<WindowStart>,
    /// The variants compared.
    pub sides: &'a Sides,
    /// What they saw.
    pub data: &'a GuardData,
    /// The time of the decision (ms).
    pub now: Millis,
}

impl Inputs<'_> {
    /// As JSON: `{"version", "now", "plan", "state": {"percentage",
    /// "status", "since"}, "window": {"minute", "version"} | null,
    /// "control": {"variant", "requests", "errors", "latency"},
    /// "treatment": {...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let plan = self
            .plan
            .map_or(serde_json::Value::Null, |p| serde_json::from_str(&p.to_json()).unwrap_or(serde_json::Value::Null));
        serde_json::json!({
            "version": self.version,
            "now": format_rfc3339(self.now),
            "plan": plan,
            "state": {
                "percentage": self.state.percentage,
                "status": self.state.status.as_str(),
                "since": self.state.since.map(format_rfc3339),
            },
            "window": self.window,
            "control": window_json(&self.data.control, &self.sides.control),
            "treatment": window_json(&self.data.treatment, &self.sides.treatment),
        })
    }
}

/// A decision's JSON (the core's serializer).
pub fn decision_json(d: &Decision) -> serde_json::Value {
    serde_json::to_value(d).unwrap_or(serde_json::Value::Null)
}

/// A serde_json value as the store's [`Value`] (audit entries are those).
pub fn to_value(j: &serde_json::Value) -> Value {
    Value::parse(&j.to_string()).unwrap_or(Value::Null)
}

/// A change of a rollout by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    /// Hold a running rollout where it is (status `paused`).
    Pause,
    /// Let a paused, rolled back or killed rollout run again (status
    /// `running`, the kill switch off, the step started anew by the
    /// guard's next check).
    Resume,
    /// Roll back now: percentage 0, status `rolled_back`.
    Abort,
}

impl Manual {
    /// `"pause"`, `"resume"` or `"abort"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Manual::Pause => "pause",
            Manual::Resume => "resume",
            Manual::Abort => "abort",
        }
    }

    /// The action named `s` (a path segment).
    pub fn parse(s: &str) -> Option<Manual> {
        Some(match s {
            "pause" => Manual::Pause,
            "resume" => Manual::Resume,
            "abort" => Manual::Abort,
            _ => return None,
        })
    }

    /// The decision JSON of the audit entry and the decision log.
    pub fn decision(self) -> serde_json::Value {
        serde_json::json!({ "action": self.as_str(), "by_hand": true })
    }
}

fn set(members: &mut Vec<(String, Value)>, key: &str, v: Option<Value>) {
    members.retain(|(k, _)| k != key);
    if let Some(v) = v {
        members.push((key.to_string(), v));
    }
}

fn edit_error(e: EditError) -> ApiError {
    match e {
        EditError::FlagNotFound(_) => ApiError::new(404, "FLAG_NOT_FOUND", e.to_string()),
        EditError::Unsupported(_) => ApiError::new(422, "UNSUPPORTED_EDIT", e.to_string()),
    }
}

/// `doc` with `action` applied to flag `key`'s rollout at `now`; `state`
/// is where it stands in `doc` (`None`: the flag has no plan). Refused
/// (409) when the rollout's status does not allow the action.
pub fn manual(
    doc: &Value,
    key: &str,
    state: Option<&RolloutState>,
    action: Manual,
    now: Millis,
) -> Result<Value, ApiError> {
    let Some(state) = state else {
        return Err(ApiError::new(404, "NO_ROLLOUT", format!("flag \"{key}\" has no rollout plan")));
    };
    let conflict = |why: &str| {
        ApiError::new(
            409,
            "ROLLOUT_CONFLICT",
            format!("cannot {} the rollout of \"{key}\": it is {why}", action.as_str()),
        )
        .with("status", Value::String(state.status.as_str().into()))
    };
    let mut out = doc.clone();
    let (status, since) = match action {
        Manual::Pause => {
            if state.status != RolloutStatus::Running {
                return Err(conflict(state.status.as_str()));
            }
            (RolloutStatus::Paused, Some(now))
        }
        Manual::Resume => {
            match state.status {
                RolloutStatus::Paused | RolloutStatus::RolledBack => {}
                RolloutStatus::Killed => edit::apply(&mut out, key, Edit::Kill(false)).map_err(edit_error)?,
                RolloutStatus::Running | RolloutStatus::Done => return Err(conflict(state.status.as_str())),
            }
            // The guard's next check starts the step (and writes `since`).
            (RolloutStatus::Running, None)
        }
        Manual::Abort => {
            if state.status == RolloutStatus::RolledBack && state.percentage == 0.0 {
                return Err(conflict("rolled back already"));
            }
            edgeflags::rollout::set_percentage(&mut out, key, 0.0).map_err(edit_error)?;
            (RolloutStatus::RolledBack, Some(now))
        }
    };
    let plan = edgeflags::rollout::plan_members_mut(&mut out, key)
        .map_err(|_| ApiError::new(404, "NO_ROLLOUT", format!("flag \"{key}\" has no rollout plan")))?;
    set(plan, "status", Some(Value::String(status.as_str().into())));
    set(plan, "since", since.map(|t| Value::String(format_rfc3339(t))));
    Ok(out)
}

/// The webhook's body: what happened to which flag, in which version.
pub fn webhook_body(flag: &str, decision: &serde_json::Value, previous: u64, version: u64, at: Millis) -> String {
    serde_json::json!({
        "type": "rollout",
        "flag": flag,
        "decision": decision,
        "previous": previous,
        "version": version,
        "at": format_rfc3339(at),
        "by": GUARD_LABEL,
    })
    .to_string()
}

/// A decision-log page's `limit` and `cursor` (the id the page ends
/// before; newest first).
pub fn decision_page<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(u64, Option<u64>), ApiError> {
    let mut limit = DEFAULT_DECISIONS_PAGE;
    let mut before = None;
    for (k, v) in pairs {
        match k {
            "limit" => {
                limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=crate::store::MAX_PAGE).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be a whole number from 1 to 1000"))?;
            }
            "cursor" if v.is_empty() => {}
            "cursor" => {
                before = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| ApiError::bad_request("cursor must be a value a previous page gave"))?,
                );
            }
            _ => {}
        }
    }
    Ok((limit, before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeflags::rollout::decide;

    const DOC: &str = r#"{"flags": {
        "api": {"percentage": 10, "rollout": {"steps": [10, 50, 100], "min_minutes": 0, "min_requests": 10,
                "guards": [{"metric": "error_rate", "max": 0.05}], "status": "running", "since": "2026-11-30T10:00:00Z"}},
        "colors": {"variants": {"blue": "b", "green": "g"}, "off_variant": "blue", "default_variant": "blue",
                   "rollout_variant": "green", "percentage": 0,
                   "rollout": {"steps": [50, 100], "status": "paused"}},
        "plain": {"percentage": 5}}}"#;

    fn load() -> (Value, Ruleset) {
        let doc = Value::parse(DOC).unwrap();
        let rs = Ruleset::from_value(&doc).unwrap();
        (doc, rs)
    }

    fn state(rs: &Ruleset, key: &str) -> RolloutState {
        rs.rollouts().find(|(k, _, _)| *k == key).map(|(_, _, s)| s).unwrap()
    }

    #[test]
    fn sides_and_windows() {
        let (_, rs) = load();
        assert_eq!(sides(&rs, "api"), Some(Sides { control: "off".into(), treatment: "on".into() }));
        assert_eq!(sides(&rs, "colors"), Some(Sides { control: "blue".into(), treatment: "green".into() }));
        assert_eq!(sides(&rs, "nope"), None);
        let api = state(&rs, "api");
        assert!(needs_data(&api));
        let since = api.since.unwrap();
        assert_eq!(window_start(&api, 7), Some(WindowStart { minute: since / 60_000, version: 7 }));
        assert!(!needs_data(&state(&rs, "colors")));
        assert_eq!(window_start(&state(&rs, "colors"), 7), None);
        assert_ne!(state_key(&api), state_key(&RolloutState { percentage: 50.0, ..api }));
    }

    #[test]
    fn inputs_replay_the_decision() {
        let (doc, rs) = load();
        let (_, plan, st) = rs.rollouts().find(|(k, _, _)| *k == "api").unwrap();
        let mut data = GuardData::default();
        data.treatment.requests = 40;
        data.treatment.errors = 20;
        data.treatment.latency[3] = 40;
        data.control.requests = 400;
        let now = st.since.unwrap() + 120_000;
        let d = decide(plan, &st, &data, now);
        let s = sides(&rs, "api").unwrap();
        let inputs = Inputs {
            version: 3,
            plan: plan_doc(&doc, "api"),
            state: &st,
            window: window_start(&st, 3),
            sides: &s,
            data: &data,
            now,
        }
        .to_json();
        // Replay from the logged inputs alone.
        let pdoc = Value::parse(&inputs["plan"].to_string()).unwrap();
        let replay_doc =
            Value::parse(&format!(r#"{{"flags": {{"api": {{"percentage": 10, "rollout": {}}}}}}}"#, pdoc.to_json()))
                .unwrap();
        let rs2 = Ruleset::from_value(&replay_doc).unwrap();
        let (_, plan2, st2) = rs2.rollouts().next().unwrap();
        let mut data2 = GuardData::default();
        let side = |j: &serde_json::Value, w: &mut VariantWindow| {
            w.requests = j["requests"].as_u64().unwrap();
            w.errors = j["errors"].as_u64().unwrap();
            w.latency = j["latency"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
        };
        side(&inputs["control"], &mut data2.control);
        side(&inputs["treatment"], &mut data2.treatment);
        let now2 = edgeflags::time::parse_rfc3339(inputs["now"].as_str().unwrap()).unwrap();
        assert_eq!(decision_json(&decide(plan2, &st2, &data2, now2)), decision_json(&d));
        assert_eq!(inputs["state"]["status"], "running");
        assert_eq!(inputs["treatment"]["variant"], "on");
        assert_eq!(inputs["window"]["version"], 3);
        assert!(to_value(&decision_json(&d)).get("action").is_some());
    }

    #[test]
    fn manual_actions() {
        let (doc, rs) = load();
        let now = 1_800_000_000_000;
        let api = state(&rs, "api");
        // Pause, then resume: running again, the step restarted by the guard.
        let paused = manual(&doc, "api", Some(&api), Manual::Pause, now).unwrap();
        let rs2 = Ruleset::from_value(&paused).unwrap();
        let p = state(&rs2, "api");
        assert_eq!((p.status, p.since, p.percentage), (RolloutStatus::Paused, Some(now), 10.0));
        assert_eq!(manual(&paused, "api", Some(&p), Manual::Pause, now).unwrap_err().status, 409);
        let resumed = manual(&paused, "api", Some(&p), Manual::Resume, now).unwrap();
        let r = state(&Ruleset::from_value(&resumed).unwrap(), "api");
        assert_eq!((r.status, r.since, r.percentage), (RolloutStatus::Running, None, 10.0));
        // Abort: 0 %, rolled back; twice is a conflict.
        let aborted = manual(&doc, "api", Some(&api), Manual::Abort, now).unwrap();
        let a = state(&Ruleset::from_value(&aborted).unwrap(), "api");
        assert_eq!((a.status, a.percentage), (RolloutStatus::RolledBack, 0.0));
        let e = manual(&aborted, "api", Some(&a), Manual::Abort, now).unwrap_err();
        assert_eq!((e.status, e.code), (409, "ROLLOUT_CONFLICT"));
        assert_eq!(manual(&doc, "api", Some(&api), Manual::Resume, now).unwrap_err().status, 409);
        assert_eq!(manual(&doc, "plain", None, Manual::Pause, now).unwrap_err().code, "NO_ROLLOUT");
        // A killed rollout resumes with its kill switch off.
        let killed = Value::parse(
            &DOC.replace(r#""status": "running""#, r#""status": "killed""#)
                .replace(r#""api": {"percentage": 10,"#, r#""api": {"killed": true, "percentage": 10,"#),
        )
        .unwrap();
        let k = state(&Ruleset::from_value(&killed).unwrap(), "api");
        let back = manual(&killed, "api", Some(&k), Manual::Resume, now).unwrap();
        assert_eq!(
            back.get("flags").and_then(|f| f.get("api")).and_then(|f| f.get("killed")),
            Some(&Value::Bool(false))
        );
        assert_eq!(Manual::parse("abort"), Some(Manual::Abort));
        assert_eq!(Manual::parse("stop"), None);
    }

    #[test]
    fn pages_and_webhooks() {
        assert_eq!(decision_page([]).unwrap(), (DEFAULT_DECISIONS_PAGE, None));
        assert_eq!(decision_page([("limit", "3"), ("cursor", "17")]).unwrap(), (3, Some(17)));
        assert_eq!(decision_page([("limit", "0")]).unwrap_err().status, 400);
        assert_eq!(decision_page([("cursor", "x")]).unwrap_err().status, 400);
        let body: serde_json::Value =
            serde_json::from_str(&webhook_body("api", &serde_json::json!({"action": "rollback"}), 4, 5, 0)).unwrap();
        assert_eq!(body["flag"], "api");
        assert_eq!(body["decision"]["action"], "rollback");
        assert_eq!((body["previous"].as_u64(), body["version"].as_u64()), (Some(4), Some(5)));
        assert_eq!(body["at"], "1970-01-01T00:00:00Z");
    }
}
