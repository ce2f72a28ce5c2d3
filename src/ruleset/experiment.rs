//! Experiments on a compiled ruleset: an experiment's spec for the
//! analysis, and whether an evaluation is an exposure.

use super::eval::{schedule_percentage, Matched};
use super::model::{Percentage, Serve};
use super::{FlagId, Resolution, Ruleset};
use crate::context::Context;
use crate::error::Reason;
use crate::experiment::ExperimentSpec;
use crate::time::Millis;

/// A unit assigned a variant by an experiment's split: what an exposure
/// event records (with the time and the ruleset version, which the caller
/// knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure<'r> {
    /// The experiment's flag key.
    pub flag: &'r str,
    /// The variant assigned.
    pub variant: &'r str,
    /// The unit (the flag's `bucket_by` attribute, `user_id` unless set),
    /// in its string form.
    pub unit: String,
}

impl Ruleset {
    /// The experiment on flag `key` as its analysis needs it, or `None`
    /// when there is no such flag or it is not an experiment. A split's
    /// weights are as configured; a percentage's are the rollout variant's
    /// percentage (at `now`, for a schedule) and the off variant's rest.
    pub fn experiment_spec(&self, key: &str, now: Millis) -> Option<ExperimentSpec> {
        let f = self.flag(key)?;
        let e = f.experiment.as_deref()?;
        let serve = match e.rule {
            Some(i) => Some(&f.rules.get(i as usize)?.serve),
            None => f.fallthrough.as_ref(),
        };
        let assigned: Vec<(u32, f64)> = match serve? {
            Serve::Split(w) => w.clone(),
            Serve::Rollout { percentage, variant } => {
                let p = match percentage {
                    Percentage::Fixed(p) => *p,
                    Percentage::Schedule(s) => schedule_percentage(s, now),
                };
                vec![(*variant, p), (f.off, 100.0 - p)]
            }
            Serve::Variant(_) => return None,
        };
        let control = assigned.iter().position(|(v, _)| *v == e.control)?;
        Some(ExperimentSpec {
            flag: f.key.clone(),
            variants: assigned.iter().map(|(v, _)| f.variants[*v as usize].name.clone()).collect(),
            weights: assigned.iter().map(|(_, w)| *w).collect(),
            control,
            metrics: e.metrics.clone(),
            plan: e.plan,
        })
    }

    /// The keys of every experiment flag, in document order.
    pub fn experiments(&self) -> impl Iterator<Item = &str> {
        self.flags.iter().filter(|f| f.experiment.is_some()).map(|f| &*f.key)
    }

    /// Whether resolution `r` of flag `id` for `ctx` is an exposure of the
    /// flag's experiment: the experiment's split (or percentage) assigned
    /// the variant (reason `SPLIT`, from the experiment's rule or, without
    /// one, the flag-level serve). A targeting match, the kill switch, a
    /// failed prerequisite, an override or an error is not an exposure:
    /// those units were not randomized.
    pub fn exposure(&self, id: FlagId, ctx: &Context, r: &Resolution) -> Option<Exposure<'_>> {
        let f = self.flags.get(id.index())?;
        let e = f.experiment.as_deref()?;
        if r.reason != Reason::Split {
            return None;
        }
        let assigned_here = match (e.rule, r.matched) {
            (Some(i), Matched::Rule(m)) => i == m,
            (None, Matched::Nothing) => true,
            _ => false,
        };
        if !assigned_here {
            return None;
        }
        let variant = &*f.variants.get(r.variant as usize)?.name;
        let unit = ctx.unit_at(self.layout, f.bucket_slot, &f.bucket_by)?.into_owned();
        Some(Exposure { flag: &f.key, variant, unit })
    }
}
