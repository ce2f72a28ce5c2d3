//! The one error type of the statistics: what was wrong with the input.

use std::fmt;

/// Why a statistic could not be computed. Each variant names the input
/// (`field`, as the function's parameter or struct field is called) and
/// has a stable [`code`](StatsError::code).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StatsError {
    /// A number was NaN or infinite.
    NotFinite {
        /// The input.
        field: &'static str,
    },
    /// A number was outside its domain.
    OutOfRange {
        /// The input.
        field: &'static str,
        /// What was given.
        value: f64,
        /// The domain, in words.
        range: &'static str,
    },
    /// More conversions than exposed units.
    ConversionsExceedExposures {
        /// The variant (`control` or `treatment`).
        field: &'static str,
        /// Converting units.
        conversions: u64,
        /// Exposed units.
        exposures: u64,
    },
    /// Too few units for the statistic (no exposures for a rate, fewer
    /// than two observations for a variance).
    TooFewUnits {
        /// The input.
        field: &'static str,
        /// What was given.
        count: u64,
        /// The least accepted.
        min: u64,
    },
    /// Lists that must be as long as each other were not.
    LengthMismatch {
        /// Observed counts.
        observed: usize,
        /// Weights.
        weights: usize,
    },
    /// Every weight was zero.
    ZeroWeights,
    /// No variance at all in either group, so the test is undefined.
    ZeroVariance,
    /// The result does not fit (a sample size beyond [`super::MAX_SAMPLE_SIZE`]).
    TooLarge {
        /// The result.
        field: &'static str,
    },
}

impl StatsError {
    /// A stable code for JS and HTTP clients to match on.
    pub fn code(&self) -> &'static str {
        match self {
            StatsError::NotFinite { .. } => "NOT_FINITE",
            StatsError::OutOfRange { .. } => "OUT_OF_RANGE",
            StatsError::ConversionsExceedExposures { .. } => "CONVERSIONS_EXCEED_EXPOSURES",
            StatsError::TooFewUnits { .. } => "TOO_FEW_UNITS",
            StatsError::LengthMismatch { .. } => "LENGTH_MISMATCH",
            StatsError::ZeroWeights => "ZERO_WEIGHTS",
            StatsError::ZeroVariance => "ZERO_VARIANCE",
            StatsError::TooLarge { .. } => "TOO_LARGE",
        }
    }
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::NotFinite { field } => write!(f, "{field} must be a finite number"),
            StatsError::OutOfRange { field, value, range } => write!(f, "{field} must be {range}, not {value}"),
            StatsError::ConversionsExceedExposures { field, conversions, exposures } => {
                write!(f, "{field}: {conversions} conversions exceed {exposures} exposures")
            }
            StatsError::TooFewUnits { field, count, min } => write!(f, "{field}: {count} units, at least {min} needed"),
            StatsError::LengthMismatch { observed, weights } => {
                write!(f, "{observed} observed counts but {weights} weights")
            }
            StatsError::ZeroWeights => f.write_str("weights must not all be zero"),
            StatsError::ZeroVariance => f.write_str("both groups have zero variance: the t-test is undefined"),
            StatsError::TooLarge { field } => write!(f, "{field} is too large"),
        }
    }
}

impl std::error::Error for StatsError {}
