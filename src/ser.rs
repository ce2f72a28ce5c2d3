//! Small serde helpers shared by the hand-written serializers of the
//! experiment report and the rollout decision (the core's serde has no
//! derive feature).

use serde::ser::{Serialize, SerializeSeq, Serializer};

/// A number, or `null` when absent or not finite (JSON has no NaN or
/// infinity).
pub(crate) struct Num(pub(crate) Option<f64>);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) if x.is_finite() => s.serialize_f64(x),
            _ => s.serialize_none(),
        }
    }
}

/// A slice as a JSON array.
pub(crate) struct List<'a, T>(pub(crate) &'a [T]);

impl<T: Serialize> Serialize for List<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for x in self.0 {
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}
