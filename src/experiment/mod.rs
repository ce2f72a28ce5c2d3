//! Experiments: what a flag marked as an experiment measures
//! ([`ExperimentSpec`], compiled from the ruleset's `"experiment"` field),
//! the aggregates the event store keeps per variant ([`ExperimentData`]),
//! and the analysis of one against the other ([`analyze`]): every figure
//! of `GET /v1/experiments/{flag}` and `edgeflags experiment`, computed
//! here once. Pure: no I/O, no clock.

mod aggregate;
mod report;
mod report_json;
pub use aggregate::aggregate;
pub use report::*;

/// How a metric's per-unit value is formed from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Whether the unit sent the event at least once (a rate).
    Conversion,
    /// The sum of the event's values per unit (a mean over exposed units;
    /// an exposed unit without the event counts as 0).
    Mean,
}

impl MetricKind {
    /// `"conversion"` or `"mean"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Conversion => "conversion",
            MetricKind::Mean => "mean",
        }
    }
}

/// Which direction of change is good for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Higher is better (conversions, revenue).
    Increase,
    /// Lower is better (errors, latency, churn).
    Decrease,
}

impl Goal {
    /// `"increase"` or `"decrease"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Increase => "increase",
            Goal::Decrease => "decrease",
        }
    }
}

/// One metric of an experiment: the tracked event it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The event name (`flags.track("purchase", ...)`).
    pub event: Box<str>,
    /// Rate or mean.
    pub kind: MetricKind,
    /// Which direction is good.
    pub goal: Goal,
}

/// The sample-size plan of an experiment (the design notes'
/// `SampleSizeCalculator` inputs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The control's expected rate of the first conversion metric; when
    /// unset, the observed control rate is used once there is one.
    pub baseline: Option<f64>,
    /// Minimum detectable effect, relative to the baseline (0.1 = +10%).
    pub mde: f64,
    /// Significance level (two-sided).
    pub alpha: f64,
    /// Power.
    pub power: f64,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan { baseline: None, mde: 0.1, alpha: 0.05, power: 0.8 }
    }
}

/// An experiment as the analysis needs it: the variants its split
/// assigns, with their configured weights, the control, the metrics and
/// the plan. [`crate::Ruleset::experiment_spec`] builds it from a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSpec {
    /// The flag's key.
    pub flag: Box<str>,
    /// The variants the experiment's split assigns, in the split's order.
    pub variants: Vec<Box<str>>,
    /// Their configured weights (percent, same order; the SRM check's
    /// expected split).
    pub weights: Vec<f64>,
    /// The index of the control in `variants`.
    pub control: usize,
    /// The metrics, the first being the primary one (the verdict's).
    pub metrics: Vec<MetricSpec>,
    /// The sample-size plan.
    pub plan: Plan,
}

/// A metric's aggregates in one variant, over the variant's analysed units
/// (see [`VariantData`]). For a conversion metric a unit's value is 1 when
/// it converted, else 0; for a mean metric, the sum of its event values
/// (0 without events).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricTotals {
    /// Units with at least one event of the metric.
    pub units: u64,
    /// The sum of the per-unit values.
    pub sum: f64,
    /// The sum of the squared per-unit values.
    pub sum_sq: f64,
}

/// One variant's aggregates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantData {
    /// Units exposed to this variant and to no other (analysed units).
    pub units: u64,
    /// Per metric, in [`ExperimentSpec::metrics`] order.
    pub metrics: Vec<MetricTotals>,
}

/// What the event store knows about one experiment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExperimentData {
    /// Per variant, in [`ExperimentSpec::variants`] order.
    pub variants: Vec<VariantData>,
    /// Units exposed to more than one variant: left out of every figure,
    /// and reported.
    pub multiple_exposures: u64,
    /// Days between the first exposure and now (0 when none), for the
    /// sample-size progress's days to go.
    pub days: f64,
}
