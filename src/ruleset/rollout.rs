//! Guarded rollouts on a compiled ruleset: every flag's plan with where it
//! stands, for the guard that decides ([`crate::rollout::decide`]).

use super::model::{Percentage, Serve};
use super::Ruleset;
use crate::rollout::{RolloutPlan, RolloutState};

impl Ruleset {
    /// Every flag with a `rollout` plan, in document order: its key, the
    /// plan, and where it stands (the flag's percentage, `status`,
    /// `since`). Every status is listed; the guard acts on running ones.
    pub fn rollouts(&self) -> impl Iterator<Item = (&str, &RolloutPlan, RolloutState)> {
        self.flags.iter().filter_map(|f| {
            let r = f.rollout.as_deref()?;
            let serve = match r.rule {
                Some(i) => f.rules.get(i as usize).map(|rule| &rule.serve),
                None => f.fallthrough.as_ref(),
            };
            let percentage = match serve {
                Some(Serve::Rollout { percentage: Percentage::Fixed(p), .. }) => *p,
                _ => 0.0,
            };
            Some((&*f.key, &r.plan, RolloutState { percentage, status: r.status, since: r.since }))
        })
    }
}
