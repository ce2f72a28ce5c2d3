//! The JSON form of a [`Decision`] and its [`GuardFigures`] (`impl
//! Serialize`), what the decision log, the audit entry and the webhook
//! carry. Members in a fixed order; a figure that is `None` or not finite
//! is `null`. Written by hand: the core's serde has no derive feature.
//! The shape is documented in docs/rollouts.md ("Decisions").
//!
//! ```json
//! {"action": "hold", "reason": "too_soon", "minutes": 3.5, "need": 10, "figures": [...]}
//! {"action": "advance", "from": 5, "to": 10, "figures": [...]}
//! {"action": "rollback", "guard": 0, "figures": [{"guard": 0, "metric": "error_rate", ...}]}
//! ```

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::ser::{List, Num};

use super::decide::{Decision, GuardFigures, HoldReason};

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("action", self.action())?;
        match self {
            Decision::Start { from, to } | Decision::Advance { from, to, .. } => {
                m.serialize_entry("from", &Num(Some(*from)))?;
                m.serialize_entry("to", &Num(Some(*to)))?;
            }
            Decision::Hold { reason, .. } => {
                m.serialize_entry("reason", reason.as_str())?;
                match reason {
                    HoldReason::TooSoon { minutes, need } => {
                        m.serialize_entry("minutes", &Num(Some(*minutes)))?;
                        m.serialize_entry("need", need)?;
                    }
                    HoldReason::TooFewRequests { have, need } => {
                        m.serialize_entry("have", have)?;
                        m.serialize_entry("need", need)?;
                    }
                    HoldReason::TooFewSamples { guard, have, need } => {
                        m.serialize_entry("guard", guard)?;
                        m.serialize_entry("have", have)?;
                        m.serialize_entry("need", need)?;
                    }
                    HoldReason::AtRisk { guard } => m.serialize_entry("guard", guard)?,
                    _ => {}
                }
            }
            Decision::Breach { guard, .. } => m.serialize_entry("guard", guard)?,
            Decision::Complete { .. } => {}
        }
        m.serialize_entry("figures", &List(self.figures()))?;
        m.end()
    }
}

impl Serialize for GuardFigures {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("guard", &self.guard)?;
        m.serialize_entry("metric", self.metric)?;
        if let Some(name) = &self.name {
            m.serialize_entry("name", &**name)?;
        }
        if let Some(bound) = self.bound {
            m.serialize_entry("bound", bound)?;
        }
        if self.percentile.is_some() {
            m.serialize_entry("percentile", &Num(self.percentile))?;
        }
        m.serialize_entry("treatment", &Num(self.treatment))?;
        m.serialize_entry("control", &Num(self.control))?;
        m.serialize_entry("limit", &Num(self.limit))?;
        m.serialize_entry("samples", &self.samples)?;
        if let Some(n) = self.control_samples {
            m.serialize_entry("control_samples", &n)?;
        }
        m.serialize_entry("p_value", &Num(self.p_value))?;
        m.serialize_entry("alpha", &Num(Some(self.alpha)))?;
        m.serialize_entry("past_limit", &self.past_limit)?;
        m.serialize_entry("breached", &self.breached)?;
        m.end()
    }
}
