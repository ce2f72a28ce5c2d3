//! The rollout decision: given a plan, where the rollout stands and what
//! both sides saw since the current step began, advance, hold (and why),
//! complete, or breach (which guard, with the figures). Pure: the caller
//! passes the time and the windows, and applies the decision to the
//! document with [`super::apply`].
//!
//! Checking every minute must not inflate false alarms, so every guard is
//! an always-valid sequential test (docs/rollouts.md, "Statistics"):
//!
//! - a ceiling (`error_rate` `max`, `latency` `max_ms`) is a one-sided
//!   test of a binomial proportion against a fixed `p0` (the error rate
//!   `max`, or the share `1 - percentile/100` of requests slower than
//!   `max_ms`): a mixture of exact likelihood ratios over alternatives
//!   above `p0`, a nonnegative supermartingale under every `p <= p0`, so by
//!   Ville's inequality it ever reaches `1/level` with chance at most
//!   `level` — exactly, at any number of looks;
//! - an increase over control (`max_increase`, `max_increase_ms`) is the
//!   mSPRT of `edgeflags::stats` on the difference minus the allowed
//!   increase (asymptotic).
//!
//! A guard breaches only when its test rejects at the plan's
//! [`RolloutPlan::test_alpha`] and the estimate is past the threshold;
//! nothing breaches without data.

use super::plan::{Breach, Guard, MetricBound, RolloutPlan, RolloutState, RolloutStatus};
use super::{MetricSums, VariantWindow, LATENCY_BOUNDS_MS};
use crate::time::Millis;

/// What both sides of a rollout saw over the window since the current
/// step began (`since`): control is the flag's off variant, treatment its
/// rollout variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardData {
    /// Units outside the percentage (the off variant).
    pub control: VariantWindow,
    /// Units inside it (the rollout variant).
    pub treatment: VariantWindow,
}

/// Why a rollout stays where it is.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum HoldReason {
    /// Status `paused`.
    Paused,
    /// Status `done`: the rollout is complete.
    Done,
    /// Status `rolled_back`.
    RolledBack,
    /// Status `killed`.
    Killed,
    /// No treatment requests in the window: never a reason to roll back.
    NoTraffic,
    /// The step has not lasted `min_minutes` yet.
    TooSoon {
        /// Minutes in the step so far.
        minutes: f64,
        /// `min_minutes`.
        need: u32,
    },
    /// Fewer treatment requests than `min_requests` in the step.
    TooFewRequests {
        /// Treatment requests in the window.
        have: u64,
        /// `min_requests`.
        need: u64,
    },
    /// Custom-metric guard `guard` has fewer values than its
    /// `min_samples` (on the treatment, or on either side for a bound
    /// relative to control): it cannot vouch for the step yet.
    TooFewSamples {
        /// Its index in the plan's guards.
        guard: usize,
        /// Values on the side with fewer.
        have: u64,
        /// `min_samples`.
        need: u64,
    },
    /// Guard `guard`'s estimate is past its threshold without evidence
    /// yet: wait for more data rather than widen the exposure.
    AtRisk {
        /// Its index in the plan's guards.
        guard: usize,
    },
}

impl HoldReason {
    /// The stable name: `"paused"`, `"done"`, `"rolled_back"`, `"killed"`,
    /// `"no_traffic"`, `"too_soon"`, `"too_few_requests"`,
    /// `"too_few_samples"` or `"at_risk"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            HoldReason::Paused => "paused",
            HoldReason::Done => "done",
            HoldReason::RolledBack => "rolled_back",
            HoldReason::Killed => "killed",
            HoldReason::NoTraffic => "no_traffic",
            HoldReason::TooSoon { .. } => "too_soon",
            HoldReason::TooFewRequests { .. } => "too_few_requests",
            HoldReason::TooFewSamples { .. } => "too_few_samples",
            HoldReason::AtRisk { .. } => "at_risk",
        }
    }
}

/// One guard's figures at one check.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardFigures {
    /// The guard's index in the plan.
    pub guard: usize,
    /// [`Guard::metric`].
    pub metric: &'static str,
    /// A custom guard's metric name.
    pub name: Option<Box<str>>,
    /// A custom guard's bound ([`MetricBound::as_str`]).
    pub bound: Option<&'static str>,
    /// The percentile of a latency guard.
    pub percentile: Option<f64>,
    /// The treatment's value: error rate (0..1), percentile (ms, read
    /// from the histogram: a bucket's upper bound) or a custom metric's
    /// mean; `None` without data.
    pub treatment: Option<f64>,
    /// Control's value, the same way.
    pub control: Option<f64>,
    /// The limit the treatment's value is held to: `max`, `max_ms`, or
    /// control's value plus the allowed increase (`None` without control).
    pub limit: Option<f64>,
    /// Samples the test used: treatment requests (error rates),
    /// treatment latencies, or the treatment's values of a custom metric.
    pub samples: u64,
    /// A custom guard's values on control.
    pub control_samples: Option<u64>,
    /// The always-valid p-value of "the treatment is within the limit";
    /// `None` when there is no evidence either way yet.
    pub p_value: Option<f64>,
    /// The level it is compared with ([`RolloutPlan::test_alpha`]).
    pub alpha: f64,
    /// The estimate is past the limit.
    pub past_limit: bool,
    /// The test rejected at `alpha` and the estimate is past the limit.
    pub breached: bool,
}

/// What the guard should do with a rollout now.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// Begin the plan's step `to` now (status running, no step start yet,
    /// or percentage 0): writes `since` (and the percentage when it was 0).
    Start {
        /// The percentage before.
        from: f64,
        /// The step started.
        to: f64,
    },
    /// The step lasted long enough, with enough requests and every guard
    /// holding: raise the percentage to the next step.
    Advance {
        /// The current step.
        from: f64,
        /// The next one.
        to: f64,
        /// Every guard's figures.
        figures: Vec<GuardFigures>,
    },
    /// Stay where it is.
    Hold {
        /// Why.
        reason: HoldReason,
        /// Every guard's figures (empty when the rollout is not running).
        figures: Vec<GuardFigures>,
    },
    /// A guard breached: do what `on_breach` says.
    Breach {
        /// The first breached guard's index.
        guard: usize,
        /// The plan's `on_breach`.
        action: Breach,
        /// Every guard's figures.
        figures: Vec<GuardFigures>,
    },
    /// The last step (100%) held: status done.
    Complete {
        /// Every guard's figures.
        figures: Vec<GuardFigures>,
    },
}

impl Decision {
    /// The action's stable name: `"start"`, `"advance"`, `"hold"`,
    /// `"rollback"`, `"pause"`, `"kill"` or `"complete"`.
    pub fn action(&self) -> &'static str {
        match self {
            Decision::Start { .. } => "start",
            Decision::Advance { .. } => "advance",
            Decision::Hold { .. } => "hold",
            Decision::Breach { action, .. } => action.as_str(),
            Decision::Complete { .. } => "complete",
        }
    }

    /// Whether [`super::apply`] changes the document (everything but a hold).
    pub fn changes(&self) -> bool {
        !matches!(self, Decision::Hold { .. })
    }

    /// The guards' figures (empty for a start, or a hold of a rollout that
    /// is not running).
    pub fn figures(&self) -> &[GuardFigures] {
        match self {
            Decision::Start { .. } => &[],
            Decision::Advance { figures, .. }
            | Decision::Hold { figures, .. }
            | Decision::Breach { figures, .. }
            | Decision::Complete { figures } => figures,
        }
    }

    /// The status the rollout has after this decision.
    pub fn status_after(&self, before: RolloutStatus) -> RolloutStatus {
        match self {
            Decision::Start { .. } | Decision::Advance { .. } => RolloutStatus::Running,
            Decision::Hold { .. } => before,
            Decision::Breach { action, .. } => action.status(),
            Decision::Complete { .. } => RolloutStatus::Done,
        }
    }
}

/// Decides what to do with a rollout at `now`, from what both sides saw
/// since the current step began. In order:
///
/// 1. not running: hold (paused, done, rolled back, killed);
/// 2. percentage 0 or no `since`: start (the first step, or the current one);
/// 3. any guard breached: breach (the first one);
/// 4. no treatment request: hold, no traffic;
/// 5. the step is younger than `min_minutes`: hold, too soon;
/// 6. fewer treatment requests than `min_requests`: hold;
/// 7. a custom guard with fewer values than its `min_samples` (control's
///    too for a bound relative to control, below 100 %): hold;
/// 8. a guard's estimate past its limit (without evidence yet): hold, at risk;
/// 9. at the last step: complete; else advance to the next step.
pub fn decide(plan: &RolloutPlan, state: &RolloutState, data: &GuardData, now: Millis) -> Decision {
    let stopped = match state.status {
        RolloutStatus::Running => None,
        RolloutStatus::Paused => Some(HoldReason::Paused),
        RolloutStatus::Done => Some(HoldReason::Done),
        RolloutStatus::RolledBack => Some(HoldReason::RolledBack),
        RolloutStatus::Killed => Some(HoldReason::Killed),
    };
    if let Some(reason) = stopped {
        return Decision::Hold { reason, figures: Vec::new() };
    }
    let first = plan.steps.first().copied().unwrap_or(100.0);
    let since = match state.since {
        Some(s) if state.percentage > 0.0 => s,
        _ => {
            let to = if state.percentage > 0.0 { state.percentage } else { first };
            return Decision::Start { from: state.percentage, to };
        }
    };
    let figures = guard_figures(plan, data);
    if let Some(f) = figures.iter().find(|f| f.breached) {
        return Decision::Breach { guard: f.guard, action: plan.on_breach, figures };
    }
    let have = data.treatment.requests;
    let minutes = (now - since) as f64 / 60_000.0;
    let reason = if have == 0 {
        Some(HoldReason::NoTraffic)
    } else if minutes < f64::from(plan.min_minutes) {
        Some(HoldReason::TooSoon { minutes: minutes.max(0.0), need: plan.min_minutes })
    } else if have < plan.min_requests {
        Some(HoldReason::TooFewRequests { have, need: plan.min_requests })
    } else if let Some(r) = too_few_samples(plan, &figures, state.percentage >= 100.0) {
        Some(r)
    } else {
        figures.iter().find(|f| f.past_limit).map(|f| HoldReason::AtRisk { guard: f.guard })
    };
    if let Some(reason) = reason {
        return Decision::Hold { reason, figures };
    }
    match plan.next_step(state.percentage) {
        Some(to) => Decision::Advance { from: state.percentage, to, figures },
        None => Decision::Complete { figures },
    }
}

/// The first custom guard short of its `min_samples` (control's values
/// count too for a bound relative to control, except at 100 %, where
/// there is no control left).
fn too_few_samples(plan: &RolloutPlan, figures: &[GuardFigures], everyone: bool) -> Option<HoldReason> {
    plan.guards.iter().zip(figures).find_map(|(g, f)| {
        let Guard::Metric { min_samples, .. } = g else { return None };
        let have = match f.control_samples {
            Some(c) if !everyone => c.min(f.samples),
            _ => f.samples,
        };
        (have < *min_samples).then_some(HoldReason::TooFewSamples { guard: f.guard, have, need: *min_samples })
    })
}

/// Every guard's figures over `data`.
pub fn guard_figures(plan: &RolloutPlan, data: &GuardData) -> Vec<GuardFigures> {
    let alpha = plan.test_alpha();
    plan.guards.iter().enumerate().map(|(i, g)| check(i, g, data, alpha)).collect()
}

fn rate(w: &VariantWindow) -> Option<f64> {
    (w.requests > 0).then(|| w.errors.min(w.requests) as f64 / w.requests as f64)
}

fn latencies(w: &VariantWindow) -> u64 {
    w.latency.iter().sum()
}

fn quantile(w: &VariantWindow, percentile: f64) -> Option<f64> {
    w.quantile_ms(percentile / 100.0).filter(|&q| q != u32::MAX).map(f64::from)
}

fn check(i: usize, g: &Guard, data: &GuardData, alpha: f64) -> GuardFigures {
    let (c, t) = (&data.control, &data.treatment);
    let mut f = GuardFigures {
        guard: i,
        metric: g.metric(),
        name: None,
        bound: None,
        percentile: None,
        treatment: None,
        control: None,
        limit: None,
        samples: 0,
        control_samples: None,
        p_value: None,
        alpha,
        past_limit: false,
        breached: false,
    };
    // (p_value, past_limit) of the guard's test, when there is evidence.
    let tested = match g {
        &Guard::ErrorRate { max } => {
            (f.treatment, f.control, f.limit, f.samples) = (rate(t), rate(c), Some(max), t.requests);
            ceiling(t.errors.min(t.requests), t.requests, max)
        }
        &Guard::ErrorRateIncrease { max_increase } => {
            (f.treatment, f.control, f.samples) = (rate(t), rate(c), t.requests);
            f.limit = f.control.map(|r| r + max_increase);
            increase(c, t, max_increase, alpha)
        }
        &Guard::Latency { percentile, max_ms } => {
            f.percentile = Some(percentile);
            (f.treatment, f.control) = (quantile(t, percentile), quantile(c, percentile));
            (f.limit, f.samples) = (Some(f64::from(max_ms)), latencies(t));
            ceiling(t.slower_than(max_ms), f.samples, 1.0 - percentile / 100.0)
        }
        &Guard::LatencyIncrease { percentile, max_increase_ms } => {
            f.percentile = Some(percentile);
            (f.treatment, f.control, f.samples) = (quantile(t, percentile), quantile(c, percentile), latencies(t));
            f.limit = f.control.map(|q| q + f64::from(max_increase_ms));
            latency_increase(c, t, percentile, max_increase_ms)
        }
        Guard::Metric { name, bound, min_samples } => {
            let (mt, mc) = (t.metrics.get(&**name), c.metrics.get(&**name));
            f.name = Some(name.clone());
            f.bound = Some(bound.as_str());
            (f.treatment, f.control) = (mt.and_then(MetricSums::mean), mc.and_then(MetricSums::mean));
            f.samples = mt.map_or(0, |m| m.n);
            f.limit = match *bound {
                MetricBound::Max(x) | MetricBound::Min(x) => Some(x),
                MetricBound::MaxIncrease(x) => f.control.map(|m| m + x),
                MetricBound::MaxDecrease(x) => f.control.map(|m| m - x),
            };
            if matches!(bound, MetricBound::MaxIncrease(_) | MetricBound::MaxDecrease(_)) {
                f.control_samples = Some(mc.map_or(0, |m| m.n));
            }
            metric_test(mt, mc, *bound, *min_samples, alpha)
        }
    };
    if let Some((p, past)) = tested {
        f.p_value = Some(p);
        f.past_limit = past;
        f.breached = past && p <= alpha;
    }
    f
}

/// Odds ratios of the alternatives the ceiling test mixes (equal weights):
/// from barely above the ceiling to far above it, so a small excess is
/// found with enough data and a large one within a few dozen requests.
const ODDS_RATIOS: [f64; 12] = [1.1, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 25.0];

/// The one-sided test of "at most a share `p0` of `n` are bad", from
/// `x` bad: the mixture over [`ODDS_RATIOS`] of the likelihood ratios
/// `(p1/p0)^x ((1-p1)/(1-p0))^(n-x)`. Each is a nonnegative martingale when
/// the share is `p0` and a supermartingale below it, so the mixture's
/// always-valid p-value `min(1, 1/Λ)` is exact at any number of looks.
/// `None` without samples. Returns the p-value and whether `x/n > p0`.
pub(crate) fn ceiling(x: u64, n: u64, p0: f64) -> Option<(f64, bool)> {
    if n == 0 || !(p0 > 0.0 && p0 < 1.0) {
        return None;
    }
    let (x, n) = (x.min(n) as f64, n as f64);
    let odds0 = p0 / (1.0 - p0);
    let terms: Vec<f64> = ODDS_RATIOS
        .iter()
        .map(|r| {
            let o = odds0 * r;
            let p1 = o / (1.0 + o);
            x * (p1 / p0).ln() + (n - x) * ((1.0 - p1) / (1.0 - p0)).ln()
        })
        .collect();
    let ln_lambda = log_mean_exp(&terms);
    Some(((-ln_lambda).exp().min(1.0), x / n > p0))
}

/// `ln(mean(exp(t)))` without overflow.
fn log_mean_exp(terms: &[f64]) -> f64 {
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + (terms.iter().map(|t| (t - m).exp()).sum::<f64>() / terms.len() as f64).ln()
}

/// The treatment's error rate minus control's, against `max_increase`:
/// the mSPRT of `d = (p_t - p_c) - max_increase`, with the variance of the
/// rates taken from Agresti–Caffo's adjusted counts (one error and one
/// success added to each side), so a side with no errors yet still has a
/// variance, and `τ = max_increase` (tuned to excesses of the size the
/// guard allows). The mixture is two-sided; only `d > 0` breaches.
fn increase(c: &VariantWindow, t: &VariantWindow, max_increase: f64, alpha: f64) -> Option<(f64, bool)> {
    let (pc, pt) = (rate(c)?, rate(t)?);
    let adj = |w: &VariantWindow| {
        let p = (w.errors.min(w.requests) as f64 + 1.0) / (w.requests as f64 + 2.0);
        p * (1.0 - p) / (w.requests as f64 + 2.0)
    };
    let d = pt - pc - max_increase;
    let tau = max_increase.max(1e-4);
    let m = crate::stats::msprt(d, adj(c) + adj(t), tau * tau, alpha).ok()?;
    Some((m.p_value, d > 0.0))
}

/// A custom metric's mean against its bound: the mSPRT of
/// `d = mean_t - max` (`min - mean_t`; for bounds relative to control,
/// `(mean_t - mean_c) - max_increase` or `(mean_c - mean_t) -
/// max_decrease`) with the variance of the means from the sample
/// variances, and `τ` a tenth of the values' standard deviation (of the
/// allowed change, for relative bounds). Tested only once each side it
/// reads has `min_samples` values (at least two). Values that do not vary
/// at all are decided by the sign of `d` alone.
fn metric_test(
    t: Option<&MetricSums>,
    c: Option<&MetricSums>,
    bound: MetricBound,
    min_samples: u64,
    alpha: f64,
) -> Option<(f64, bool)> {
    let enough = |m: Option<&MetricSums>| m.copied().filter(|m| m.n >= min_samples.max(2));
    let t = enough(t)?;
    let (mt, vt) = (t.mean()?, t.variance()?);
    let (d, var, tau) = match bound {
        MetricBound::Max(x) => (mt - x, vt / t.n as f64, 0.1 * vt.sqrt()),
        MetricBound::Min(x) => (x - mt, vt / t.n as f64, 0.1 * vt.sqrt()),
        MetricBound::MaxIncrease(x) | MetricBound::MaxDecrease(x) => {
            let c = enough(c)?;
            let (mc, vc) = (c.mean()?, c.variance()?);
            let diff = if matches!(bound, MetricBound::MaxIncrease(_)) { mt - mc } else { mc - mt };
            (diff - x, vt / t.n as f64 + vc / c.n as f64, x)
        }
    };
    if var <= 0.0 || tau <= 0.0 {
        return Some((if d > 0.0 { 0.0 } else { 1.0 }, d > 0.0));
    }
    let m = crate::stats::msprt(d, var, tau * tau, alpha).ok()?;
    Some((m.p_value, d > 0.0))
}

/// The treatment's percentile against control's plus `max_increase_ms`:
/// the ceiling test of the share of treatment requests slower than the
/// first histogram bound at or above that limit. The limit is estimated
/// from control (its percentile's bucket bound), so this is approximate:
/// it waits for control to have `10 / (1 - q)` latencies (ten beyond its
/// percentile) and rounds the limit up to a bound (docs/rollouts.md).
fn latency_increase(
    c: &VariantWindow,
    t: &VariantWindow,
    percentile: f64,
    max_increase_ms: u32,
) -> Option<(f64, bool)> {
    let tail = 1.0 - percentile / 100.0;
    if (latencies(c) as f64) * tail < 10.0 {
        return None;
    }
    let limit = quantile(c, percentile)? + f64::from(max_increase_ms);
    let bound = LATENCY_BOUNDS_MS.iter().copied().find(|&b| f64::from(b) >= limit)?;
    ceiling(t.slower_than(bound), latencies(t), tail)
}
