//! Numeric metrics (revenue, latency, items per order): the difference of
//! two means by Welch's t-test, which does not assume equal variances.

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

use super::{check_open_unit, StatsError, Verdict};

/// One variant's numeric metric, summarized: what aggregates keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Observations (units with a value).
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// Their sample variance (denominator `count - 1`).
    pub variance: f64,
}

impl Summary {
    /// From the count, the sum and the sum of squares, as a database keeps
    /// them: `mean = sum / n`, `variance = (sum_sq - sum^2 / n) / (n - 1)`.
    /// The subtraction loses digits when the mean is large against the
    /// spread (|mean| / sd above about 1e4 costs about 8 digits); a
    /// slightly negative result of that cancellation is taken as 0. Prefer
    /// a mean and variance kept by Welford's method where there is a choice.
    pub fn from_sums(count: u64, sum: f64, sum_sq: f64) -> Result<Summary, StatsError> {
        if count < 2 {
            return Err(StatsError::TooFewUnits { field: "count", count, min: 2 });
        }
        if !sum.is_finite() {
            return Err(StatsError::NotFinite { field: "sum" });
        }
        if !sum_sq.is_finite() {
            return Err(StatsError::NotFinite { field: "sum_sq" });
        }
        if sum_sq < 0.0 {
            return Err(StatsError::OutOfRange { field: "sum_sq", value: sum_sq, range: "0 or more" });
        }
        let n = count as f64;
        let mean = sum / n;
        let variance = ((sum_sq - sum * mean) / (n - 1.0)).max(0.0);
        Ok(Summary { count, mean, variance })
    }

    pub(super) fn check(&self, field: &'static str) -> Result<(), StatsError> {
        if self.count < 2 {
            return Err(StatsError::TooFewUnits { field, count: self.count, min: 2 });
        }
        if !self.mean.is_finite() || !self.variance.is_finite() {
            return Err(StatsError::NotFinite { field });
        }
        if self.variance < 0.0 {
            return Err(StatsError::OutOfRange { field, value: self.variance, range: "a variance of 0 or more" });
        }
        Ok(())
    }
}

/// Treatment against control on a mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanTest {
    /// `m2 - m1`.
    pub difference: f64,
    /// `(m2 - m1) / m1`; `None` when control's mean is 0.
    pub relative_difference: Option<f64>,
    /// `(m2 - m1) / sqrt(v1/n1 + v2/n2)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value of `t` on `df` degrees of freedom.
    pub p_value: f64,
    /// The confidence level of the interval.
    pub confidence: f64,
    /// Lower end of the interval of `m2 - m1`.
    pub ci_low: f64,
    /// Upper end of the interval of `m2 - m1`.
    pub ci_high: f64,
    /// `p_value < 1 - confidence`, and the sign of the difference.
    pub verdict: Verdict,
}

/// Welch's t-test of treatment against control, with the interval of the
/// difference of means at `confidence`. Both groups need at least two
/// observations, and at least one a positive variance
/// ([`StatsError::ZeroVariance`] otherwise).
pub fn welch_t_test(control: Summary, treatment: Summary, confidence: f64) -> Result<MeanTest, StatsError> {
    let confidence = check_open_unit("confidence", confidence)?;
    control.check("control")?;
    treatment.check("treatment")?;
    let (n1, n2) = (control.count as f64, treatment.count as f64);
    let a = control.variance / n1;
    let b = treatment.variance / n2;
    let se2 = a + b;
    if se2 <= 0.0 {
        return Err(StatsError::ZeroVariance);
    }
    let se = se2.sqrt();
    let difference = treatment.mean - control.mean;
    if !difference.is_finite() {
        return Err(StatsError::NotFinite { field: "difference of means" });
    }
    let t = difference / se;
    let df = se2 * se2 / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let dist = match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d,
        Err(_) => return Err(StatsError::NotFinite { field: "degrees of freedom" }),
    };
    let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
    let half = t_quantile_upper(&dist, (1.0 - confidence) / 2.0) * se;
    Ok(MeanTest {
        difference,
        relative_difference: if control.mean != 0.0 { Some(difference / control.mean) } else { None },
        t,
        df,
        p_value,
        confidence,
        ci_low: difference - half,
        ci_high: difference + half,
        verdict: Verdict::of(difference, p_value, 1.0 - confidence),
    })
}

/// The `x` with `P(T > x) = q`. statrs's `inverse_cdf` (its inverse
/// incomplete beta) is off by 4e-4 relative at four million degrees of
/// freedom (tests/stats.rs "huge samples", against scipy); a few Newton
/// steps on its survival function, which is accurate to about 1e-9 there,
/// bring the quantile back to scipy's.
fn t_quantile_upper(dist: &StudentsT, q: f64) -> f64 {
    let mut x = dist.inverse_cdf(1.0 - q);
    if !x.is_finite() {
        x = super::normal_quantile(1.0 - q);
    }
    for _ in 0..8 {
        let density = dist.pdf(x);
        if density.is_nan() || density <= 0.0 {
            break;
        }
        let step = (dist.sf(x) - q) / density;
        if !step.is_finite() {
            break;
        }
        x += step;
        if step.abs() <= 1e-15 * x.abs() {
            break;
        }
    }
    x
}
