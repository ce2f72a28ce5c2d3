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
    let dist = TDist::new(df)?;
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

/// Student's t at and beyond this many degrees of freedom is computed as
/// the normal with its first-order correction (below), not by statrs:
/// statrs 0.18's t survival function drifts from 1e-6 relative at 1e9
/// degrees of freedom to answering 0.5 for any x at 1e19, and its
/// `inverse_cdf` is 4e-4 off at 1e6 and never returns from 1e8 (an
/// unbounded loop in its inverse incomplete beta). Welch's degrees of
/// freedom reach those figures with millions of units per variant. Here the
/// neglected second-order term is below 1e-13 of the p-value near the
/// usual thresholds (checked against scipy at 4e6 and 2e8).
const LARGE_DF: f64 = 1e6;

/// Student's t distribution (location 0, scale 1).
enum TDist {
    /// statrs's, below [`LARGE_DF`].
    Statrs(StudentsT),
    /// `df` at or above [`LARGE_DF`] (possibly infinite): the expansion
    /// `P(T > x) = Φ̄(x) + φ(x)(x³ + x)/(4 df) + O(1/df²)` and its
    /// derivative, density `φ(x)(1 + (x⁴ - 2x² - 1)/(4 df))`.
    Large(f64),
}

impl TDist {
    fn new(df: f64) -> Result<TDist, StatsError> {
        if df.is_nan() || df <= 0.0 {
            return Err(StatsError::NotFinite { field: "degrees of freedom" });
        }
        if df >= LARGE_DF {
            return Ok(TDist::Large(df));
        }
        match StudentsT::new(0.0, 1.0, df) {
            Ok(d) => Ok(TDist::Statrs(d)),
            Err(_) => Err(StatsError::NotFinite { field: "degrees of freedom" }),
        }
    }

    fn sf(&self, x: f64) -> f64 {
        match self {
            TDist::Statrs(d) => d.sf(x),
            TDist::Large(df) => {
                let n = super::std_normal();
                (n.sf(x) + n.pdf(x) * (x * x * x + x) / (4.0 * df)).clamp(0.0, 1.0)
            }
        }
    }

    fn pdf(&self, x: f64) -> f64 {
        match self {
            TDist::Statrs(d) => d.pdf(x),
            TDist::Large(df) => {
                let x2 = x * x;
                super::std_normal().pdf(x) * (1.0 + (x2 * x2 - 2.0 * x2 - 1.0) / (4.0 * df))
            }
        }
    }

    /// The starting point of [`t_quantile_upper`]'s Newton steps.
    fn rough_quantile_upper(&self, q: f64) -> f64 {
        let z = super::normal_quantile(1.0 - q);
        match self {
            TDist::Statrs(d) => {
                let x = d.inverse_cdf(1.0 - q);
                if x.is_finite() {
                    x
                } else {
                    z
                }
            }
            TDist::Large(df) => z + (z * z * z + z) / (4.0 * df),
        }
    }
}

/// The `x` with `P(T > x) = q`. statrs's `inverse_cdf` (its inverse
/// incomplete beta) is off by 4e-4 relative at a million degrees of
/// freedom; a few Newton steps on the survival function, which is accurate
/// to about 1e-9 there, bring the quantile back to scipy's.
fn t_quantile_upper(dist: &TDist, q: f64) -> f64 {
    let mut x = dist.rough_quantile_upper(q);
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
