//! Conversion rates of two variants compared: the design notes'
//! `ExperimentResults` (pooled two-proportion z-test), with lift and the
//! Wald interval of the difference.

use super::{check_open_unit, normal_quantile, normal_two_sided_p, StatsError, Verdict};

/// One variant's binary metric: units exposed and units that converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversions {
    /// Units exposed to the variant.
    pub exposures: u64,
    /// Exposed units that converted (at most `exposures`).
    pub conversions: u64,
}

impl Conversions {
    /// `conversions / exposures`, validated (`field` names the variant in
    /// the error).
    pub fn rate(&self, field: &'static str) -> Result<f64, StatsError> {
        if self.exposures == 0 {
            return Err(StatsError::TooFewUnits { field, count: 0, min: 1 });
        }
        if self.conversions > self.exposures {
            return Err(StatsError::ConversionsExceedExposures {
                field,
                conversions: self.conversions,
                exposures: self.exposures,
            });
        }
        Ok(self.conversions as f64 / self.exposures as f64)
    }
}

/// Treatment against control on a conversion rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    /// Control's rate `p1 = x1 / n1`.
    pub control_rate: f64,
    /// Treatment's rate `p2 = x2 / n2`.
    pub treatment_rate: f64,
    /// `p2 - p1`.
    pub absolute_lift: f64,
    /// `(p2 - p1) / p1`; `None` when control's rate is 0.
    pub relative_lift: Option<f64>,
    /// The pooled z statistic `(p2 - p1) / sqrt(p(1-p)(1/n1 + 1/n2))`,
    /// `p = (x1 + x2) / (n1 + n2)`; 0 when `p` is 0 or 1 (equal rates).
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// The confidence level of the interval.
    pub confidence: f64,
    /// Lower end of the Wald interval of `p2 - p1` (unpooled standard error).
    pub ci_low: f64,
    /// Upper end of the Wald interval of `p2 - p1`.
    pub ci_high: f64,
    /// `p_value < 1 - confidence`, and the sign of the lift.
    pub verdict: Verdict,
}

/// Compares treatment with control: rates, lift, pooled z-test, and the
/// Wald interval of the difference at `confidence` (e.g.
/// [`super::DEFAULT_CONFIDENCE`]).
///
/// The verdict follows the z-test's p-value. The Wald interval uses the
/// unpooled standard error, so near the threshold it can include 0 while
/// the test rejects (or the reverse); docs/statistics.md says why both.
pub fn two_proportion_test(
    control: Conversions,
    treatment: Conversions,
    confidence: f64,
) -> Result<ProportionTest, StatsError> {
    let confidence = check_open_unit("confidence", confidence)?;
    let p1 = control.rate("control")?;
    let p2 = treatment.rate("treatment")?;
    let (n1, n2) = (control.exposures as f64, treatment.exposures as f64);
    let diff = p2 - p1;

    let pooled = (control.conversions as f64 + treatment.conversions as f64) / (n1 + n2);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    // p = 0 or 1: both rates are equal (all 0 or all 1), no evidence.
    let z = if se_pooled > 0.0 { diff / se_pooled } else { 0.0 };
    let p_value = normal_two_sided_p(z);

    let se = (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
    let half = normal_quantile(1.0 - (1.0 - confidence) / 2.0) * se;

    Ok(ProportionTest {
        control_rate: p1,
        treatment_rate: p2,
        absolute_lift: diff,
        relative_lift: if p1 > 0.0 { Some(diff / p1) } else { None },
        z,
        p_value,
        confidence,
        ci_low: diff - half,
        ci_high: diff + half,
        verdict: Verdict::of(diff, p_value, 1.0 - confidence),
    })
}
