//! A rollout decision written into the ruleset *document*, as the
//! management API's edits are ([`crate::edit`]): the caller loads the
//! result before storing it, so the guard goes through the same checks and
//! the same write path as a person.

use super::decide::Decision;
use crate::edit::{self, Edit, EditError};
use crate::time::{format_rfc3339, Millis};
use crate::value::Value;

/// The document `doc` with `decision` applied to flag `key`'s rollout at
/// `now`:
///
/// - start: `percentage` to the step started, `status` running, `since` now;
/// - advance: `percentage` to the next step, `since` now;
/// - complete: `status` done, `since` now;
/// - breach: rollback sets `percentage` 0 and `status` rolled_back; pause
///   sets `status` paused; kill sets `killed: true` and `status` killed;
///   `since` now;
/// - hold: unchanged.
///
/// `since` is written as RFC 3339 (UTC). Fails when the document has no
/// flag `key`, or the flag has no `rollout` object.
pub fn apply(doc: &Value, key: &str, decision: &Decision, now: Millis) -> Result<Value, EditError> {
    let mut out = doc.clone();
    if !decision.changes() {
        return Ok(out);
    }
    match decision {
        Decision::Start { to, .. } | Decision::Advance { to, .. } => {
            edit::apply(&mut out, key, Edit::Percentage(*to))?;
        }
        Decision::Breach { action: super::Breach::Rollback, .. } => {
            edit::apply(&mut out, key, Edit::Percentage(0.0))?;
        }
        Decision::Breach { action: super::Breach::Kill, .. } => {
            edit::apply(&mut out, key, Edit::Kill(true))?;
        }
        _ => {}
    }
    let status = decision.status_after(super::RolloutStatus::Running);
    let plan = rollout_mut(&mut out, key)?;
    edit::set(plan, "status", Value::String(status.as_str().into()));
    edit::set(plan, "since", Value::String(format_rfc3339(now)));
    Ok(out)
}

/// The members of flag `key`'s `rollout` object.
fn rollout_mut<'d>(doc: &'d mut Value, key: &str) -> Result<&'d mut Vec<(String, Value)>, EditError> {
    let missing = || EditError::FlagNotFound(key.to_string());
    let Value::Object(top) = doc else {
        return Err(EditError::Unsupported("the ruleset is not an object".into()));
    };
    let Some((_, Value::Object(flags))) = top.iter_mut().find(|(k, _)| k == "flags") else {
        return Err(missing());
    };
    let Some((_, Value::Object(flag))) = flags.iter_mut().find(|(k, _)| k == key) else {
        return Err(missing());
    };
    match flag.iter_mut().find(|(k, _)| k == "rollout") {
        Some((_, Value::Object(plan))) => Ok(plan),
        _ => Err(EditError::Unsupported(format!("flag \"{key}\" has no rollout plan"))),
    }
}
