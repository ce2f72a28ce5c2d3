//! A flag's rollout plan as loading compiles it (the `rollout` field,
//! docs/rollouts.md): the steps, what each step must show before the next,
//! the guards, what a breach does, and where the rollout stands (status
//! and the start of its current step). The flag's `percentage` is the
//! current step.

use crate::time::Millis;

/// Default minutes per step (`min_minutes`).
pub const DEFAULT_MIN_MINUTES: u32 = 10;
/// Default treatment requests per step before an advance (`min_requests`).
pub const DEFAULT_MIN_REQUESTS: u64 = 500;
/// Default error rate of the guards' sequential tests (`alpha`), over the
/// whole rollout.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// Most steps in a plan.
pub const MAX_STEPS: usize = 100;
/// Most guards in a plan.
pub const MAX_GUARDS: usize = 20;
/// Default values a custom-metric guard needs on each side before it is
/// tested (`min_samples`).
pub const DEFAULT_MIN_SAMPLES: u64 = 100;
/// The percentiles a latency guard may name.
pub const PERCENTILES: [f64; 5] = [50.0, 90.0, 95.0, 99.0, 99.9];

/// A compiled `rollout`: how a flag's percentage is raised step by step
/// while its guards hold.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutPlan {
    /// The percentages, increasing, the last one 100.
    pub steps: Vec<f64>,
    /// Minutes each step lasts at least.
    pub min_minutes: u32,
    /// Treatment requests each step needs before an advance.
    pub min_requests: u64,
    /// The guards, in declared order (a breach names one by index).
    pub guards: Vec<Guard>,
    /// What a breach does.
    pub on_breach: Breach,
    /// The chance of any false alarm over the whole rollout (split evenly
    /// among the steps and guards).
    pub alpha: f64,
    /// Where decisions are posted (`https://`, or `http://` to 127.0.0.1 or
    /// localhost); the Worker's business, not the decision's.
    pub webhook: Option<Box<str>>,
}

impl RolloutPlan {
    /// The step after `percentage` (`None` at the last step).
    pub fn next_step(&self, percentage: f64) -> Option<f64> {
        self.steps.iter().copied().find(|&s| s > percentage)
    }

    /// The level each guard's test runs at: `alpha / (steps × guards)`, so
    /// that the chance of any false alarm in the whole rollout is at most
    /// `alpha` (Bonferroni over the steps' independent tests and the guards).
    pub fn test_alpha(&self) -> f64 {
        self.alpha / (self.steps.len().max(1) * self.guards.len().max(1)) as f64
    }
}

/// One guard: a limit the treatment must stay within.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Guard {
    /// The treatment's error rate stays at most `max` (absolute, 0..1).
    ErrorRate {
        /// The ceiling.
        max: f64,
    },
    /// The treatment's error rate exceeds control's by at most
    /// `max_increase` (absolute, 0..1).
    ErrorRateIncrease {
        /// The largest allowed increase.
        max_increase: f64,
    },
    /// The treatment's `percentile` latency stays at most `max_ms` (a
    /// bound of [`super::LATENCY_BOUNDS_MS`]).
    Latency {
        /// 50, 90, 95, 99 or 99.9.
        percentile: f64,
        /// The ceiling, in milliseconds.
        max_ms: u32,
    },
    /// The treatment's `percentile` latency exceeds control's by at most
    /// `max_increase_ms`.
    LatencyIncrease {
        /// 50, 90, 95, 99 or 99.9.
        percentile: f64,
        /// The largest allowed increase, in milliseconds.
        max_increase_ms: u32,
    },
    /// An application-reported metric (`{"metric": "custom", "name"}`):
    /// the mean of the values outcomes report for it, held to a bound.
    Metric {
        /// The metric's name (an outcome's `metrics` member).
        name: Box<str>,
        /// The bound.
        bound: MetricBound,
        /// Values each side (the treatment; for a bound relative to
        /// control, control too) needs before the guard is tested, and
        /// the treatment needs before an advance.
        min_samples: u64,
    },
}

/// The bound of a custom-metric guard on the treatment's mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricBound {
    /// At most this (`max`).
    Max(f64),
    /// At least this (`min`).
    Min(f64),
    /// At most control's mean plus this (`max_increase`).
    MaxIncrease(f64),
    /// At least control's mean minus this (`max_decrease`).
    MaxDecrease(f64),
}

impl MetricBound {
    /// The field that sets it: `"max"`, `"min"`, `"max_increase"` or
    /// `"max_decrease"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricBound::Max(_) => "max",
            MetricBound::Min(_) => "min",
            MetricBound::MaxIncrease(_) => "max_increase",
            MetricBound::MaxDecrease(_) => "max_decrease",
        }
    }
}

impl Guard {
    /// The stable name of what it watches: `"error_rate"`,
    /// `"error_rate_increase"`, `"latency"`, `"latency_increase"` or
    /// `"custom"`.
    pub fn metric(&self) -> &'static str {
        match self {
            Guard::ErrorRate { .. } => "error_rate",
            Guard::ErrorRateIncrease { .. } => "error_rate_increase",
            Guard::Latency { .. } => "latency",
            Guard::LatencyIncrease { .. } => "latency_increase",
            Guard::Metric { .. } => "custom",
        }
    }
}

/// What a breach does to the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Percentage 0, status `rolled_back`.
    Rollback,
    /// Percentage kept, status `paused` (a human decides).
    Pause,
    /// The kill switch (`killed: true`), status `killed`: the auto kill switch.
    Kill,
}

impl Breach {
    /// `"rollback"`, `"pause"` or `"kill"` (the field's values and the
    /// decision's action).
    pub fn as_str(self) -> &'static str {
        match self {
            Breach::Rollback => "rollback",
            Breach::Pause => "pause",
            Breach::Kill => "kill",
        }
    }

    /// The status a breach leaves the rollout in.
    pub fn status(self) -> RolloutStatus {
        match self {
            Breach::Rollback => RolloutStatus::RolledBack,
            Breach::Pause => RolloutStatus::Paused,
            Breach::Kill => RolloutStatus::Killed,
        }
    }
}

/// Where a rollout stands (`rollout.status`; absent means running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutStatus {
    /// The guard watches it and advances it.
    Running,
    /// Held where it is (by a breach with `on_breach: pause`, or by hand).
    Paused,
    /// It reached 100% with its guards holding.
    Done,
    /// A breach (or an abort) set it to 0%.
    RolledBack,
    /// A breach turned the kill switch on.
    Killed,
}

impl RolloutStatus {
    /// `"running"`, `"paused"`, `"done"`, `"rolled_back"` or `"killed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutStatus::Running => "running",
            RolloutStatus::Paused => "paused",
            RolloutStatus::Done => "done",
            RolloutStatus::RolledBack => "rolled_back",
            RolloutStatus::Killed => "killed",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<RolloutStatus> {
        Some(match s {
            "running" => RolloutStatus::Running,
            "paused" => RolloutStatus::Paused,
            "done" => RolloutStatus::Done,
            "rolled_back" => RolloutStatus::RolledBack,
            "killed" => RolloutStatus::Killed,
            _ => return None,
        })
    }
}

/// Where a flag's rollout stands: its current step, status and the start
/// of the step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutState {
    /// The flag's `percentage`: 0 or one of the plan's steps.
    pub percentage: f64,
    /// `rollout.status`.
    pub status: RolloutStatus,
    /// `rollout.since`: when the current step (or status) began; `None`
    /// before the guard first starts it.
    pub since: Option<Millis>,
}
