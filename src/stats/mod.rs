//! Experiment statistics: the figures every runtime reports for an
//! experiment or a guarded rollout, computed here once so the Worker, the
//! CLI and the package agree to the last digit.
//!
//! - [`two_proportion_test`]: conversion rates, lift, the pooled
//!   two-proportion z-test and the Wald interval of the difference.
//! - [`sample_size`] and [`duration_days`]: the design notes'
//!   `SampleSizeCalculator`.
//! - [`sample_ratio_mismatch`]: the chi-square goodness-of-fit test of
//!   exposures against the configured split.
//! - [`welch_t_test`]: numeric metrics (means) by Welch's t-test.
//! - [`msprt`], [`msprt_proportions`], [`msprt_means`]: a mixture
//!   sequential probability ratio test with its always-valid p-value and
//!   confidence sequence, for checking every minute.
//! - [`chance_to_beat_proportions`], [`chance_to_beat_means`]: the
//!   Bayesian posterior probability that the treatment is higher.
//! - [`relative_change`]: the relative change (`+12%`) with its
//!   delta-method interval.
//!
//! Pure functions of counts and summaries: no I/O, no clock, no state.
//! Every function validates its input and answers a [`StatsError`] rather
//! than a NaN. Distributions (CDFs, survival functions, quantiles) are
//! `statrs`'s. The formulas, assumptions and thresholds are in
//! `docs/statistics.md`; every figure is checked against scipy
//! (`tests/vectors/stats/`).

mod bayes;
mod error;
mod means;
mod proportions;
mod relative;
mod sample_size;
mod sequential;
mod srm;

pub use bayes::{chance_to_beat_means, chance_to_beat_proportions};

pub use error::StatsError;
pub use means::{welch_t_test, MeanTest, Summary};
pub use proportions::{two_proportion_test, Conversions, ProportionTest};
pub use relative::{relative_change, relative_change_means, relative_change_proportions, Interval, MeanEstimate};
pub use sample_size::{duration_days, sample_size, Effect, SampleSize, MAX_SAMPLE_SIZE};
pub use sequential::{msprt, msprt_means, msprt_proportions, Msprt};
pub use srm::{sample_ratio_mismatch, SrmTest, SRM_THRESHOLD};

use statrs::distribution::{ContinuousCDF, Normal};

/// The confidence level used when a caller has no preference: 95%.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// What a comparison of a treatment against control concludes, at the
/// significance level `1 - confidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Significant, and the treatment is higher than control.
    Better,
    /// Significant, and the treatment is lower than control.
    Worse,
    /// Not significant: no difference can be claimed (which is not proof
    /// that there is none).
    Inconclusive,
}

impl Verdict {
    /// The stable name: `"better"`, `"worse"` or `"inconclusive"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// The verdict of a difference with a two-sided p-value at level `alpha`.
    pub(crate) fn of(difference: f64, p_value: f64, alpha: f64) -> Verdict {
        if p_value < alpha && difference > 0.0 {
            Verdict::Better
        } else if p_value < alpha && difference < 0.0 {
            Verdict::Worse
        } else {
            Verdict::Inconclusive
        }
    }
}

/// The standard normal distribution.
pub(crate) fn std_normal() -> Normal {
    // statrs 0.18's Normal::new validates its arguments; (0, 1) always
    // passes, but the crate denies expect, so build it by hand once.
    match Normal::new(0.0, 1.0) {
        Ok(n) => n,
        Err(_) => unreachable!("N(0, 1) is valid"),
    }
}

/// `Φ⁻¹(p)` for `p` strictly between 0 and 1 (callers validate).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

/// The two-sided p-value of a standard normal statistic, `2·Φ(-|z|)`,
/// computed from the survival function so tiny p-values keep their digits.
pub(crate) fn normal_two_sided_p(z: f64) -> f64 {
    (2.0 * std_normal().sf(z.abs())).min(1.0)
}

/// A probability strictly between 0 and 1 (a confidence, alpha, power).
pub(crate) fn check_open_unit(field: &'static str, value: f64) -> Result<f64, StatsError> {
    if !value.is_finite() {
        return Err(StatsError::NotFinite { field });
    }
    if value <= 0.0 || value >= 1.0 {
        return Err(StatsError::OutOfRange { field, value, range: "strictly between 0 and 1" });
    }
    Ok(value)
}
