//! How many units a test needs, and for how long: the design notes'
//! `SampleSizeCalculator`.

use super::{check_open_unit, normal_quantile, StatsError};

/// The largest sample size answered (2^53, where f64 stops counting
/// units exactly); anything above is [`StatsError::TooLarge`].
pub const MAX_SAMPLE_SIZE: u64 = 1 << 53;

/// The minimum detectable effect on a conversion rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// A fraction of the baseline: 0.1 detects 5% -> 5.5% (the design
    /// notes' `min_detectable_effect`). The treatment rate is
    /// `baseline * (1 + effect)`.
    Relative(f64),
    /// Rate points: 0.01 detects 5% -> 6%. The treatment rate is
    /// `baseline + effect`.
    Absolute(f64),
}

/// Units per variant for a two-sided test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSize {
    /// Units each variant needs: `exact`, rounded up.
    pub per_variant: u64,
    /// The formula's value before rounding.
    pub exact: f64,
    /// The treatment rate the test is sized to detect.
    pub treatment_rate: f64,
}

/// Units per variant to detect `effect` over `baseline` with a two-sided
/// test at level `alpha` with probability `power`:
///
/// `n = (z(1-alpha/2) + z(power))^2 * (p1(1-p1) + p2(1-p2)) / (p2 - p1)^2`
///
/// exactly the design notes' formula (unpooled variances).
pub fn sample_size(baseline: f64, effect: Effect, alpha: f64, power: f64) -> Result<SampleSize, StatsError> {
    let p1 = check_open_unit("baseline", baseline)?;
    let alpha = check_open_unit("alpha", alpha)?;
    let power = check_open_unit("power", power)?;
    let p2 = match effect {
        Effect::Relative(e) if e.is_finite() => p1 * (1.0 + e),
        Effect::Absolute(d) if d.is_finite() => p1 + d,
        _ => return Err(StatsError::NotFinite { field: "effect" }),
    };
    if !(p2 > 0.0 && p2 < 1.0) {
        return Err(StatsError::OutOfRange {
            field: "effect",
            value: p2,
            range: "such that the treatment rate is strictly between 0 and 1",
        });
    }
    let delta = p2 - p1;
    if delta == 0.0 {
        return Err(StatsError::OutOfRange { field: "effect", value: 0.0, range: "non-zero" });
    }
    let z = normal_quantile(1.0 - alpha / 2.0) + normal_quantile(power);
    let exact = z * z * (p1 * (1.0 - p1) + p2 * (1.0 - p2)) / (delta * delta);
    let rounded = exact.ceil();
    if !rounded.is_finite() || rounded > MAX_SAMPLE_SIZE as f64 {
        return Err(StatsError::TooLarge { field: "sample size" });
    }
    Ok(SampleSize { per_variant: rounded as u64, exact, treatment_rate: p2 })
}

/// Whole days until every one of `variants` variants has `per_variant`
/// units, when `daily_traffic` units a day enter the test, split evenly:
/// `ceil(per_variant * variants / daily_traffic)`.
///
/// The design notes divide by the daily traffic alone, which is right only
/// if every variant sees all of it; here the traffic is shared.
pub fn duration_days(per_variant: u64, variants: u32, daily_traffic: f64) -> Result<u64, StatsError> {
    if variants < 2 {
        return Err(StatsError::TooFewUnits { field: "variants", count: u64::from(variants), min: 2 });
    }
    if !daily_traffic.is_finite() {
        return Err(StatsError::NotFinite { field: "daily_traffic" });
    }
    if daily_traffic <= 0.0 {
        return Err(StatsError::OutOfRange { field: "daily_traffic", value: daily_traffic, range: "greater than 0" });
    }
    let total = per_variant as f64 * f64::from(variants);
    let days = (total / daily_traffic).ceil();
    if days > MAX_SAMPLE_SIZE as f64 {
        return Err(StatsError::TooLarge { field: "duration" });
    }
    Ok(days as u64)
}
