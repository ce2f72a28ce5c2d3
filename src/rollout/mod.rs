//! Guarded rollouts: what the Worker measures about a canary (per flag,
//! variant and minute: requests, errors and a latency histogram with fixed
//! bounds, so percentiles can be read from sums of minutes), the plan a
//! flag's `rollout` field compiles to (`plan`), the decision taken from
//! the measurements (`decide`, its JSON form in `json`) and its edit of
//! the ruleset document (`apply`). Pure: no I/O, no clock. The format,
//! the decision rules and the statistics are in docs/rollouts.md.

mod apply;
mod decide;
mod json;
mod plan;

pub use apply::{apply, plan_doc, plan_members_mut, set_percentage};
pub use decide::{decide, guard_figures, Decision, GuardData, GuardFigures, HoldReason};
pub use plan::{
    Breach, Guard, MetricBound, RolloutPlan, RolloutState, RolloutStatus, DEFAULT_ALPHA, DEFAULT_MIN_MINUTES,
    DEFAULT_MIN_REQUESTS, DEFAULT_MIN_SAMPLES, MAX_GUARDS, MAX_STEPS, PERCENTILES,
};

use std::collections::BTreeMap;

/// Upper bounds (inclusive, milliseconds) of the latency histogram's
/// buckets; one more bucket counts everything slower than the last bound.
/// Roughly log-spaced (about 1.3x apart), with the round numbers latency
/// guards are written with, so a guard's threshold is always a bound and
/// "how many requests were slower than it" is exact.
pub const LATENCY_BOUNDS_MS: [u32; 34] = [
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 750, 1000, 1250, 1500, 2000, 2500,
    3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000,
];

/// Number of histogram buckets: one per bound and the overflow.
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// The bucket of a latency of `ms` milliseconds (negative and NaN count as
/// 0; anything over the last bound is the overflow bucket).
pub fn latency_bucket(ms: f64) -> usize {
    let ms = if ms.is_nan() || ms < 0.0 { 0.0 } else { ms };
    LATENCY_BOUNDS_MS.iter().position(|&b| ms <= f64::from(b)).unwrap_or(LATENCY_BOUNDS_MS.len())
}

/// What one side (control or treatment) of a rollout saw over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantWindow {
    /// Requests routed to it (or evaluations reported for it).
    pub requests: u64,
    /// Of those, failures: upstream 5xx answers and network errors (and
    /// application-reported `error` events).
    pub errors: u64,
    /// Requests per latency bucket ([`LATENCY_BUCKETS`] entries).
    pub latency: Vec<u64>,
    /// Application-reported custom metrics (an outcome's `metrics`), by
    /// name: what the custom guards test.
    pub metrics: BTreeMap<String, MetricSums>,
}

impl Default for VariantWindow {
    fn default() -> VariantWindow {
        VariantWindow { requests: 0, errors: 0, latency: vec![0; LATENCY_BUCKETS], metrics: BTreeMap::new() }
    }
}

/// The sums of a custom metric's values over a window: enough for its
/// mean and variance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricSums {
    /// Values reported.
    pub n: u64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_sq: f64,
}

impl MetricSums {
    /// Sums of the values `xs`.
    pub fn of(xs: &[f64]) -> MetricSums {
        let mut m = MetricSums::default();
        for &x in xs {
            m.push(x);
        }
        m
    }

    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// The mean (`None` without values).
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n - 1 in the denominator; `None` below two
    /// values). Never negative.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| {
            let n = self.n as f64;
            ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
        })
    }
}

impl VariantWindow {
    /// Requests slower than `bound_ms` (a bound of [`LATENCY_BOUNDS_MS`];
    /// for any other value, those in buckets whose lower edge is at or
    /// above it).
    pub fn slower_than(&self, bound_ms: u32) -> u64 {
        // Bucket i holds (bound[i-1], bound[i]]; everything after the
        // bucket whose upper bound is `bound_ms` is slower.
        let start = LATENCY_BOUNDS_MS.iter().position(|&b| b >= bound_ms).map_or(LATENCY_BOUNDS_MS.len(), |i| {
            if LATENCY_BOUNDS_MS[i] == bound_ms {
                i + 1
            } else {
                i
            }
        });
        self.latency.iter().skip(start).sum()
    }

    /// The `q` quantile (0 < q <= 1) read from the histogram: the upper
    /// bound of the bucket it falls in (`None` without requests; the
    /// overflow bucket reads as `u32::MAX`).
    pub fn quantile_ms(&self, q: f64) -> Option<u32> {
        let total: u64 = self.latency.iter().sum();
        if total == 0 || !(q > 0.0 && q <= 1.0) {
            return None;
        }
        let rank = (q * total as f64).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(LATENCY_BOUNDS_MS.get(i).copied().unwrap_or(u32::MAX));
            }
        }
        Some(u32::MAX)
    }

    /// Adds another window's counts to this one.
    pub fn add(&mut self, other: &VariantWindow) {
        self.requests += other.requests;
        self.errors += other.errors;
        if self.latency.len() < other.latency.len() {
            self.latency.resize(other.latency.len(), 0);
        }
        for (a, b) in self.latency.iter_mut().zip(&other.latency) {
            *a += b;
        }
        for (name, m) in &other.metrics {
            let mine = self.metrics.entry(name.clone()).or_default();
            mine.n += m.n;
            mine.sum += m.sum;
            mine.sum_sq += m.sum_sq;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_quantiles() {
        assert_eq!(latency_bucket(0.3), 0);
        assert_eq!(latency_bucket(1.0), 0);
        assert_eq!(latency_bucket(1.01), 1);
        assert_eq!(latency_bucket(500.0), 17);
        assert_eq!(latency_bucket(500.5), 18);
        assert_eq!(latency_bucket(1e9), LATENCY_BOUNDS_MS.len());
        assert_eq!(latency_bucket(f64::NAN), 0);
        let mut w = VariantWindow::default();
        for ms in [10.0, 20.0, 30.0, 450.0, 900.0] {
            w.latency[latency_bucket(ms)] += 1;
            w.requests += 1;
        }
        assert_eq!(w.slower_than(500), 1);
        assert_eq!(w.slower_than(400), 2);
        assert_eq!(w.slower_than(20), 3);
        assert_eq!(w.quantile_ms(0.5), Some(30));
        assert_eq!(w.quantile_ms(0.99), Some(1000));
        assert_eq!(VariantWindow::default().quantile_ms(0.5), None);
    }
}
