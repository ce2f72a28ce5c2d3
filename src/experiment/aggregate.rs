//! Offline aggregation ([`aggregate`]): exported events (`edgeflags
//! experiment FILE.jsonl`) to the [`ExperimentData`] the analysis reads,
//! with the event store's semantics (docs/experiments.md, "Storage"), so a
//! file and the Worker's D1 give the same figures:
//!
//! - exposures of the experiment's flag to a variant its split assigns
//!   (others are ignored, as the Worker ignores them on receipt); a unit
//!   exposed to exactly one variant is analysed in it, a unit exposed to
//!   two or more is left out and counted in `multiple_exposures`;
//! - tracks are deduplicated by id (or, without one, by a hash of their
//!   content: [`Event::dedup_id`]); one of a metric's event counts for
//!   every analysed unit, whatever the order of exposure and track;
//! - per metric and variant: units with at least one event, and the sum
//!   and sum of squares of the per-unit values (1 for a conversion; for a
//!   mean, the unit's total of values, a track without a value adding 0).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{ExperimentData, ExperimentSpec, MetricKind, MetricTotals, VariantData};
use crate::events::{Event, EventKind};
use crate::time::{Millis, DAY_MS};

/// A unit's exposures to the experiment.
#[derive(Clone, Copy)]
enum Exposed {
    /// To this variant (an index into the spec's) only.
    One(usize),
    /// To two variants or more.
    Several,
}

/// The aggregates of the experiment `spec` over `events` (any order; other
/// experiments' events are ignored). `days` runs from the experiment's
/// first exposure to the last event of the input (of any kind: the
/// export's end stands for "now"), 0 when either has no time.
pub fn aggregate<'e>(spec: &ExperimentSpec, events: impl IntoIterator<Item = &'e Event>) -> ExperimentData {
    let variant_index: HashMap<&str, usize> = spec.variants.iter().enumerate().map(|(i, v)| (&**v, i)).collect();
    let mut metrics_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (m, metric) in spec.metrics.iter().enumerate() {
        metrics_of.entry(&*metric.event).or_default().push(m);
    }

    let mut exposed: HashMap<&str, Exposed> = HashMap::new();
    let mut seen_tracks: HashSet<String> = HashSet::new();
    // Per (unit, metric): the unit's total of the metric's values. Ordered,
    // so the sums add in the same order on every run (same last digits).
    let mut totals: BTreeMap<(&str, usize), f64> = BTreeMap::new();
    let mut first_exposure: Option<Millis> = None;
    let mut last_event: Option<Millis> = None;

    for e in events {
        if let Some(t) = e.time {
            last_event = Some(last_event.map_or(t, |l| l.max(t)));
        }
        match &e.kind {
            EventKind::Exposure { flag, variant, .. } => {
                if **flag != *spec.flag {
                    continue;
                }
                let Some(&v) = variant_index.get(variant.as_str()) else { continue };
                if let Some(t) = e.time {
                    first_exposure = Some(first_exposure.map_or(t, |f| f.min(t)));
                }
                exposed
                    .entry(&e.unit)
                    .and_modify(|x| {
                        if !matches!(x, Exposed::One(w) if *w == v) {
                            *x = Exposed::Several;
                        }
                    })
                    .or_insert(Exposed::One(v));
            }
            EventKind::Track { event, value } => {
                let Some(ms) = metrics_of.get(event.as_str()) else { continue };
                if !seen_tracks.insert(e.dedup_id()) {
                    continue;
                }
                let add = value.filter(|v| v.is_finite()).unwrap_or(0.0);
                for &m in ms {
                    *totals.entry((&e.unit, m)).or_insert(0.0) += add;
                }
            }
            // A rollout's outcomes are not experiment data.
            EventKind::Outcome { .. } | EventKind::Usage { .. } => {}
        }
    }

    let mut data = ExperimentData {
        variants: vec![
            VariantData { units: 0, metrics: vec![MetricTotals::default(); spec.metrics.len()] };
            spec.variants.len()
        ],
        multiple_exposures: 0,
        days: 0.0,
    };
    for x in exposed.values() {
        match *x {
            Exposed::One(v) => data.variants[v].units += 1,
            Exposed::Several => data.multiple_exposures += 1,
        }
    }
    for (&(unit, m), &total) in &totals {
        let Some(Exposed::One(v)) = exposed.get(unit) else { continue };
        let (Some(variant), Some(metric)) = (data.variants.get_mut(*v), spec.metrics.get(m)) else { continue };
        let Some(t) = variant.metrics.get_mut(m) else { continue };
        let value = match metric.kind {
            MetricKind::Conversion => 1.0,
            MetricKind::Mean => total,
        };
        t.units += 1;
        t.sum += value;
        t.sum_sq += value * value;
    }
    if let (Some(first), Some(last)) = (first_exposure, last_event) {
        data.days = (last.saturating_sub(first) as f64 / DAY_MS as f64).max(0.0);
    }
    data
}
