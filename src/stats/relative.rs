//! Relative change of treatment over control (`m_t / m_c - 1`, "+12%")
//! with its confidence interval by the delta method, for rates and means.

use super::{check_open_unit, normal_quantile, Conversions, StatsError, Summary};

/// An estimate and its two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The point estimate.
    pub estimate: f64,
    /// Lower end of the interval.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
}

/// A mean (or rate) and the variance of that estimate (its squared
/// standard error): what the delta method reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// The estimate.
    pub mean: f64,
    /// Its variance: `p(1-p)/n` for a rate, `s²/n` for a mean.
    pub variance: f64,
}

impl MeanEstimate {
    /// A conversion rate, `p = x/n` with variance `p(1-p)/n`.
    pub fn from_conversions(c: Conversions, field: &'static str) -> Result<MeanEstimate, StatsError> {
        let p = c.rate(field)?;
        Ok(MeanEstimate { mean: p, variance: p * (1.0 - p) / c.exposures as f64 })
    }

    /// A mean, with variance `s²/n`.
    pub fn from_summary(s: Summary, field: &'static str) -> Result<MeanEstimate, StatsError> {
        s.check(field)?;
        Ok(MeanEstimate { mean: s.mean, variance: s.variance / s.count as f64 })
    }
}

/// The relative change `r = m_t/m_c - 1` and its interval at
/// `confidence`, by the delta method (the two estimates independent):
///
/// `Var(r) ≈ Var(m_t)/m_c² + m_t² Var(m_c)/m_c⁴`, interval
/// `r ± Φ⁻¹(1 - (1-c)/2) · sqrt(Var(r))`.
///
/// `None` when the control's mean is 0 (no relative change exists). The
/// approximation wants the control's mean well away from 0 against its
/// standard error (roughly `|m_c| > 3 · se(m_c)`); nearer, the interval is
/// too narrow and its ends unreliable.
pub fn relative_change(
    control: MeanEstimate,
    treatment: MeanEstimate,
    confidence: f64,
) -> Result<Option<Interval>, StatsError> {
    let confidence = check_open_unit("confidence", confidence)?;
    for (field, e) in [("control", control), ("treatment", treatment)] {
        if !e.mean.is_finite() || !e.variance.is_finite() {
            return Err(StatsError::NotFinite { field });
        }
        if e.variance < 0.0 {
            return Err(StatsError::OutOfRange { field, value: e.variance, range: "a variance of 0 or more" });
        }
    }
    let (mc, mt) = (control.mean, treatment.mean);
    if mc == 0.0 {
        return Ok(None);
    }
    let ratio = mt / mc;
    let variance = treatment.variance / (mc * mc) + ratio * ratio * control.variance / (mc * mc);
    let half = normal_quantile(1.0 - (1.0 - confidence) / 2.0) * variance.sqrt();
    let estimate = ratio - 1.0;
    if !estimate.is_finite() || !half.is_finite() {
        return Err(StatsError::NotFinite { field: "relative change" });
    }
    Ok(Some(Interval { estimate, ci_low: estimate - half, ci_high: estimate + half }))
}

/// [`relative_change`] of two conversion rates (relative lift).
pub fn relative_change_proportions(
    control: Conversions,
    treatment: Conversions,
    confidence: f64,
) -> Result<Option<Interval>, StatsError> {
    relative_change(
        MeanEstimate::from_conversions(control, "control")?,
        MeanEstimate::from_conversions(treatment, "treatment")?,
        confidence,
    )
}

/// [`relative_change`] of two means.
pub fn relative_change_means(
    control: Summary,
    treatment: Summary,
    confidence: f64,
) -> Result<Option<Interval>, StatsError> {
    relative_change(
        MeanEstimate::from_summary(control, "control")?,
        MeanEstimate::from_summary(treatment, "treatment")?,
        confidence,
    )
}
