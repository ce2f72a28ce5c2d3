//! Sample ratio mismatch: are exposures split as the flag's weights say?
//! A mismatch means assignment or tracking is broken, and every other
//! figure of the experiment is suspect.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::StatsError;

/// The p-value below which a split is reported as a mismatch: 0.001, as
/// GrowthBook and most experimentation platforms use. Strict on purpose:
/// the check runs on every experiment at every look, and a real mismatch
/// (a broken assignment) soon drives p far below it.
pub const SRM_THRESHOLD: f64 = 0.001;

/// The chi-square goodness-of-fit test of observed exposures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrmTest {
    /// `sum (observed - expected)^2 / expected`; infinite when a variant
    /// with weight 0 has exposures.
    pub statistic: f64,
    /// Degrees of freedom: variants with a positive weight, minus one.
    pub df: u64,
    /// The chi-square survival function at `statistic`.
    pub p_value: f64,
    /// `p_value < SRM_THRESHOLD`.
    pub srm: bool,
}

/// Tests `observed` exposures per variant against `weights` (any positive
/// scale: percentages, fractions or bucket counts; normalized here).
///
/// Variants with weight 0 expect nothing: they leave the degrees of
/// freedom, and any exposure in one is a certain mismatch (statistic
/// infinite, p = 0).
pub fn sample_ratio_mismatch(observed: &[u64], weights: &[f64]) -> Result<SrmTest, StatsError> {
    if observed.len() != weights.len() {
        return Err(StatsError::LengthMismatch { observed: observed.len(), weights: weights.len() });
    }
    let mut weight_sum = 0.0;
    let mut positive = 0u64;
    for &w in weights {
        if !w.is_finite() {
            return Err(StatsError::NotFinite { field: "weights" });
        }
        if w < 0.0 {
            return Err(StatsError::OutOfRange { field: "weights", value: w, range: "0 or more" });
        }
        weight_sum += w;
        if w > 0.0 {
            positive += 1;
        }
    }
    if weight_sum <= 0.0 {
        return Err(StatsError::ZeroWeights);
    }
    if positive < 2 {
        return Err(StatsError::TooFewUnits { field: "variants with a positive weight", count: positive, min: 2 });
    }
    let total: f64 = observed.iter().map(|&o| o as f64).sum();
    if total <= 0.0 {
        return Err(StatsError::TooFewUnits { field: "observed", count: 0, min: 1 });
    }
    let df = positive - 1;
    let mut statistic = 0.0;
    for (&o, &w) in observed.iter().zip(weights) {
        if w == 0.0 {
            if o > 0 {
                return Ok(SrmTest { statistic: f64::INFINITY, df, p_value: 0.0, srm: true });
            }
            continue;
        }
        let expected = total * w / weight_sum;
        let d = o as f64 - expected;
        statistic += d * d / expected;
    }
    let chi = match ChiSquared::new(df as f64) {
        Ok(c) => c,
        Err(_) => return Err(StatsError::TooFewUnits { field: "variants", count: positive, min: 2 }),
    };
    let p_value = chi.sf(statistic);
    Ok(SrmTest { statistic, df, p_value, srm: p_value < SRM_THRESHOLD })
}
