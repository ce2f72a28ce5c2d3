//! A test that may be looked at after every new observation without
//! inflating false alarms: the normal-mixture sequential probability ratio
//! test (mSPRT) of Johari, Pekelis and Walsh ("Always valid inference",
//! 2017), as Optimizely and GrowthBook's sequential mode use it.

use super::{check_open_unit, Conversions, StatsError, Summary};

/// The mSPRT of "no difference" at one look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Msprt {
    /// The estimated difference (treatment minus control).
    pub difference: f64,
    /// Its estimated variance `V`.
    pub variance: f64,
    /// The mixture likelihood ratio `Λ` against "no difference".
    pub lambda: f64,
    /// `min(1, 1/Λ)`. This look's always-valid p-value; over a stream,
    /// report the running minimum of these (the caller keeps it).
    pub p_value: f64,
    /// Lower end of the confidence sequence at level `1 - alpha`.
    pub ci_low: f64,
    /// Upper end of the confidence sequence.
    pub ci_high: f64,
    /// `Λ >= 1/alpha`: stop, the difference is real (the interval excludes 0).
    pub reject: bool,
}

/// The mSPRT for a difference estimated as `difference` with variance
/// `variance` (asymptotically normal), mixing over effects `N(0, tau2)`:
///
/// `Λ = sqrt(V / (V + τ²)) · exp(θ² τ² / (2 V (V + τ²)))`
///
/// and the confidence sequence
/// `θ ± sqrt(V (V + τ²) / τ² · (ln((V + τ²) / V) - 2 ln α))`.
///
/// Under no difference, the chance that `Λ` ever reaches `1/alpha`, at any
/// number of looks, is at most `alpha` (Ville's inequality; exact for a
/// normal stream with known variance, asymptotic here). `tau2` is the
/// squared scale of effects the test is tuned for, e.g. the squared
/// minimum detectable effect.
pub fn msprt(difference: f64, variance: f64, tau2: f64, alpha: f64) -> Result<Msprt, StatsError> {
    let alpha = check_open_unit("alpha", alpha)?;
    for (field, v) in [("difference", difference), ("variance", variance), ("tau2", tau2)] {
        if !v.is_finite() {
            return Err(StatsError::NotFinite { field });
        }
    }
    if variance < 0.0 {
        return Err(StatsError::OutOfRange { field: "variance", value: variance, range: "0 or more" });
    }
    if variance == 0.0 {
        return Err(StatsError::ZeroVariance);
    }
    if tau2 <= 0.0 {
        return Err(StatsError::OutOfRange { field: "tau2", value: tau2, range: "greater than 0" });
    }
    let v = variance;
    let ln_lambda = 0.5 * (v / (v + tau2)).ln() + difference * difference * tau2 / (2.0 * v * (v + tau2));
    let lambda = ln_lambda.exp();
    let half = (v * (v + tau2) / tau2 * (((v + tau2) / v).ln() - 2.0 * alpha.ln())).sqrt();
    Ok(Msprt {
        difference,
        variance,
        lambda,
        p_value: (-ln_lambda).exp().min(1.0),
        ci_low: difference - half,
        ci_high: difference + half,
        reject: ln_lambda >= -alpha.ln(),
    })
}

/// [`msprt`] for the difference of two conversion rates, `V = p1(1-p1)/n1
/// + p2(1-p2)/n2`. Rates of exactly 0 or 1 in both variants leave no
/// variance ([`StatsError::ZeroVariance`]): no evidence either way yet.
pub fn msprt_proportions(
    control: Conversions,
    treatment: Conversions,
    tau2: f64,
    alpha: f64,
) -> Result<Msprt, StatsError> {
    let p1 = control.rate("control")?;
    let p2 = treatment.rate("treatment")?;
    let v = p1 * (1.0 - p1) / control.exposures as f64 + p2 * (1.0 - p2) / treatment.exposures as f64;
    msprt(p2 - p1, v, tau2, alpha)
}

/// [`msprt`] for the difference of two means, `V = v1/n1 + v2/n2` (the
/// sample variances over the counts, as Welch's test). Both groups need at
/// least two observations; both variances zero is
/// [`StatsError::ZeroVariance`].
pub fn msprt_means(control: Summary, treatment: Summary, tau2: f64, alpha: f64) -> Result<Msprt, StatsError> {
    control.check("control")?;
    treatment.check("treatment")?;
    let v = control.variance / control.count as f64 + treatment.variance / treatment.count as f64;
    let difference = treatment.mean - control.mean;
    if !difference.is_finite() {
        return Err(StatsError::NotFinite { field: "difference of means" });
    }
    msprt(difference, v, tau2, alpha)
}
