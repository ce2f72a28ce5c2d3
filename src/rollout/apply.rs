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
/// `since` is written as RFC 3339 (UTC). The percentage is the flag's,
/// or for a plan on a rule, that rule's. Fails when the document has no
/// flag `key`, or the flag has no `rollout` object (on itself or a rule).
pub fn apply(doc: &Value, key: &str, decision: &Decision, now: Millis) -> Result<Value, EditError> {
    let mut out = doc.clone();
    if !decision.changes() {
        return Ok(out);
    }
    match decision {
        Decision::Start { to, .. } | Decision::Advance { to, .. } => set_percentage(&mut out, key, *to)?,
        Decision::Breach { action: super::Breach::Rollback, .. } => set_percentage(&mut out, key, 0.0)?,
        Decision::Breach { action: super::Breach::Kill, .. } => {
            edit::apply(&mut out, key, Edit::Kill(true))?;
        }
        _ => {}
    }
    let status = decision.status_after(super::RolloutStatus::Running);
    let plan = plan_members_mut(&mut out, key)?;
    edit::set(plan, "status", Value::String(status.as_str().into()));
    edit::set(plan, "since", Value::String(format_rfc3339(now)));
    Ok(out)
}

/// Sets the percentage of flag `key`'s rollout plan: the flag's own (an
/// edit like the API's), or that of the rule carrying the plan.
pub fn set_percentage(doc: &mut Value, key: &str, percentage: f64) -> Result<(), EditError> {
    if !plan_on_rule(doc, key) {
        return edit::apply(doc, key, Edit::Percentage(percentage));
    }
    edit::set(holder_mut(doc, key)?, "percentage", Value::Number(percentage));
    Ok(())
}

/// Flag `key`'s `rollout` object as written (on the flag or a rule).
pub fn plan_doc<'d>(doc: &'d Value, key: &str) -> Option<&'d Value> {
    let flag = doc.get("flags")?.get(key)?;
    let has = |o: &Value| o.get("rollout").filter(|r| **r != Value::Null).is_some();
    if has(flag) {
        return flag.get("rollout");
    }
    match flag.get("rules")? {
        Value::Array(rules) => rules.iter().find(|r| has(r))?.get("rollout"),
        _ => None,
    }
}

fn plan_on_rule(doc: &Value, key: &str) -> bool {
    let flag = doc.get("flags").and_then(|f| f.get(key));
    flag.is_some_and(|f| f.get("rollout").is_none_or(|r| *r == Value::Null))
}

/// The object that carries flag `key`'s plan: the flag, or the rule
/// with a `rollout`.
fn holder_mut<'d>(doc: &'d mut Value, key: &str) -> Result<&'d mut Vec<(String, Value)>, EditError> {
    let missing = || EditError::FlagNotFound(key.to_string());
    let no_plan = || EditError::Unsupported(format!("flag \"{key}\" has no rollout plan"));
    let Value::Object(top) = doc else {
        return Err(EditError::Unsupported("the ruleset is not an object".into()));
    };
    let Some((_, Value::Object(flags))) = top.iter_mut().find(|(k, _)| k == "flags") else {
        return Err(missing());
    };
    let Some((_, Value::Object(flag))) = flags.iter_mut().find(|(k, _)| k == key) else {
        return Err(missing());
    };
    let has = |o: &[(String, Value)]| o.iter().any(|(k, v)| k == "rollout" && *v != Value::Null);
    if has(flag) {
        return Ok(flag);
    }
    let Some((_, Value::Array(rules))) = flag.iter_mut().find(|(k, _)| k == "rules") else {
        return Err(no_plan());
    };
    rules
        .iter_mut()
        .find_map(|r| match r {
            Value::Object(rule) if has(rule) => Some(rule),
            _ => None,
        })
        .ok_or_else(no_plan)
}

/// The members of flag `key`'s `rollout` object (on the flag or a rule).
pub fn plan_members_mut<'d>(doc: &'d mut Value, key: &str) -> Result<&'d mut Vec<(String, Value)>, EditError> {
    let holder = holder_mut(doc, key)?;
    match holder.iter_mut().find(|(k, _)| k == "rollout") {
        Some((_, Value::Object(plan))) => Ok(plan),
        _ => Err(EditError::Unsupported(format!("flag \"{key}\" has no rollout plan"))),
    }
}
