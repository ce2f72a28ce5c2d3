//! The analysis of an experiment ([`analyze`]): its [`Report`], every
//! figure `GET /v1/experiments/{flag}` and `edgeflags experiment` show, and
//! the verdict. Reads the spec and the aggregates, calls `crate::stats`,
//! never panics and never answers NaN: a figure that cannot be computed is
//! `None` (`null` in JSON). The JSON form is in `report_json.rs`, the rules
//! in docs/experiments.md ("Reading results").

use super::{ExperimentData, ExperimentSpec, Goal, MetricKind, MetricTotals, VariantData};
use crate::stats::{
    chance_to_beat_means, chance_to_beat_proportions, msprt_means, msprt_proportions, relative_change_means,
    relative_change_proportions, sample_ratio_mismatch, sample_size, two_proportion_test, welch_t_test, Conversions,
    Effect, Interval, Msprt, Summary,
};

/// The least units every variant (of positive weight) needs before the
/// report names a winner: below it the normal approximations behind every
/// test are rough, and one early unit moves the figures too much.
pub const MIN_UNITS_PER_VARIANT: u64 = 100;

/// What an experiment's data says, as of the aggregates given.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The flag's key.
    pub flag: String,
    /// The control variant's name.
    pub control: String,
    /// Every variant the split assigns, in the split's order.
    pub variants: Vec<VariantReport>,
    /// Units exposed to more than one variant, left out of every figure.
    pub multiple_exposures: u64,
    /// The sample ratio mismatch check; `None` when it cannot run (no
    /// exposures, or fewer than two variants of positive weight).
    pub srm: Option<SrmReport>,
    /// Progress towards the planned sample size.
    pub sample_size: SampleSizeReport,
    /// Per metric, in the spec's order (the first is the primary one).
    pub metrics: Vec<MetricReport>,
    /// The conclusion, on the primary metric.
    pub verdict: ReportVerdict,
}

/// One variant's assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantReport {
    /// The variant's name.
    pub name: String,
    /// Its configured weight (percent).
    pub weight: f64,
    /// Units analysed in it (exposed to it and to no other variant).
    pub units: u64,
}

/// The chi-square test of exposures against the configured weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrmReport {
    /// Its p-value.
    pub p_value: f64,
    /// Pearson's statistic; `None` when infinite (exposures in a variant of
    /// weight 0, a certain mismatch).
    pub statistic: Option<f64>,
    /// Degrees of freedom (variants of positive weight, minus one).
    pub df: u64,
    /// `p_value < 0.001` ([`crate::stats::SRM_THRESHOLD`]).
    pub mismatch: bool,
}

/// How far the experiment is towards the units its plan needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSizeReport {
    /// The control's rate the size is planned on: the plan's `baseline`,
    /// else the observed control rate of the first conversion metric;
    /// `None` without either.
    pub baseline: Option<f64>,
    /// The plan's minimum detectable effect (relative).
    pub mde: f64,
    /// The plan's significance level.
    pub alpha: f64,
    /// The plan's power.
    pub power: f64,
    /// Units each variant needs (two-sided test at `alpha`, `power`);
    /// `None` when the baseline is unknown, 0 or 1.
    pub per_variant_needed: Option<u64>,
    /// Units in the smallest variant of positive weight.
    pub smallest_variant_units: u64,
    /// `smallest_variant_units / per_variant_needed`, at most 1.
    pub progress: Option<f64>,
    /// Days since the first exposure.
    pub days_elapsed: f64,
    /// Days until the smallest variant reaches the size at its pace so
    /// far (fractional; 0 once reached); `None` when unknown.
    pub days_remaining: Option<f64>,
}

/// One metric across the variants.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReport {
    /// The tracked event.
    pub event: String,
    /// Rate or mean.
    pub kind: MetricKind,
    /// Which direction is good.
    pub goal: Goal,
    /// Per variant, in the split's order.
    pub variants: Vec<MetricVariant>,
}

/// One metric in one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricVariant {
    /// The variant's name.
    pub name: String,
    /// The variant's analysed units (every one counts, with or without
    /// the event).
    pub units: u64,
    /// The metric's value in this variant.
    pub value: MetricValue,
    /// Against the control; `None` for the control itself.
    pub vs_control: Option<Comparison>,
}

/// A metric's value in one variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// A conversion metric.
    Conversion {
        /// Units that sent the event at least once.
        converted: u64,
        /// `converted / units`; `None` without units.
        rate: Option<f64>,
    },
    /// A mean metric.
    Mean {
        /// The mean per-unit value (units without the event count as 0);
        /// `None` without units.
        mean: Option<f64>,
        /// The sample variance of the per-unit values; `None` below two units.
        variance: Option<f64>,
    },
}

/// A variant against the control on one metric. Every figure is `None`
/// when it cannot be computed yet (too few units, no variance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Variant minus control (rate points or the metric's unit), with the
    /// fixed-horizon interval at `1 - alpha` (Wald for rates, Welch for means).
    pub absolute: Option<Interval>,
    /// `variant / control - 1`, with its delta-method interval; `None` when
    /// the control's rate or mean is 0.
    pub relative: Option<Interval>,
    /// The fixed-horizon two-sided p-value (pooled z-test for rates,
    /// Welch's t-test for means): valid once, at the planned size.
    pub p_value: Option<f64>,
    /// The posterior probability that the variant is better than control,
    /// in the metric's goal direction.
    pub chance_to_beat_control: Option<f64>,
    /// The always-valid test and confidence sequence (mSPRT).
    pub sequential: Option<Sequential>,
    /// The sequential test rejects "no difference" at `alpha`: valid at
    /// any look. The verdict reads this.
    pub significant: bool,
}

/// The always-valid figures of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    /// `min(1, 1/Λ)` at this look.
    pub p_value: f64,
    /// Lower end of the confidence sequence of variant minus control.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// The report's conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictStatus {
    /// Too few units, or no conversions in the control yet.
    NotEnoughData,
    /// No variant differs from control on the primary metric (yet).
    NoSignificantDifference,
    /// A variant is better than control on the primary metric.
    Better,
    /// A variant is worse than control on the primary metric.
    Worse,
    /// Exposures do not follow the split: no figure can be trusted.
    SampleRatioMismatch,
}

impl VerdictStatus {
    /// `"not_enough_data"`, `"no_significant_difference"`, `"better"`,
    /// `"worse"` or `"sample_ratio_mismatch"`.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictStatus::NotEnoughData => "not_enough_data",
            VerdictStatus::NoSignificantDifference => "no_significant_difference",
            VerdictStatus::Better => "better",
            VerdictStatus::Worse => "worse",
            VerdictStatus::SampleRatioMismatch => "sample_ratio_mismatch",
        }
    }
}

/// What the report concludes, and why, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportVerdict {
    /// The conclusion.
    pub status: VerdictStatus,
    /// The variant it names (`better` and `worse` only).
    pub variant: Option<String>,
    /// The primary metric's event (`None` only for a spec without metrics).
    pub metric: Option<String>,
    /// One plain sentence.
    pub message: String,
}

/// Analyses `data` against `spec`. Pure and total: inconsistent data (a
/// variant or metric missing from `data`, more conversions than units)
/// gives `None` figures, never a panic.
pub fn analyze(spec: &ExperimentSpec, data: &ExperimentData) -> Report {
    let empty = VariantData::default();
    let variant_data = |i: usize| data.variants.get(i).unwrap_or(&empty);
    let weight = |i: usize| spec.weights.get(i).copied().filter(|w| w.is_finite()).unwrap_or(0.0);
    let control = spec.variants.get(spec.control).map(|c| c.to_string());

    let variants: Vec<VariantReport> = spec
        .variants
        .iter()
        .enumerate()
        .map(|(i, name)| VariantReport { name: name.to_string(), weight: weight(i), units: variant_data(i).units })
        .collect();

    let observed: Vec<u64> = variants.iter().map(|v| v.units).collect();
    let weights: Vec<f64> = variants.iter().map(|v| v.weight).collect();
    let srm = sample_ratio_mismatch(&observed, &weights).ok().map(|t| SrmReport {
        p_value: t.p_value,
        statistic: finite(t.statistic),
        df: t.df,
        mismatch: t.srm,
    });

    let metrics: Vec<MetricReport> = spec
        .metrics
        .iter()
        .enumerate()
        .map(|(m, metric)| {
            let totals = |i: usize| variant_data(i).metrics.get(m).copied().unwrap_or_default();
            let tau = tau(spec, m, variant_data(spec.control).units, &totals(spec.control));
            MetricReport {
                event: metric.event.to_string(),
                kind: metric.kind,
                goal: metric.goal,
                variants: variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let t = totals(i);
                        let vs_control = match (i == spec.control, control.is_some()) {
                            (false, true) => Some(compare(
                                metric.kind,
                                metric.goal,
                                spec.plan.alpha,
                                tau,
                                (variant_data(spec.control).units, &totals(spec.control)),
                                (v.units, &t),
                            )),
                            _ => None,
                        };
                        MetricVariant {
                            name: v.name.clone(),
                            units: v.units,
                            value: value(metric.kind, v.units, &t),
                            vs_control,
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    let sample_size = progress(spec, &variants, &metrics, data.days);
    let verdict = verdict(spec, &variants, srm.as_ref(), &metrics);
    Report {
        flag: spec.flag.to_string(),
        control: control.unwrap_or_default(),
        variants,
        multiple_exposures: data.multiple_exposures,
        srm,
        sample_size,
        metrics,
        verdict,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn value(kind: MetricKind, units: u64, t: &MetricTotals) -> MetricValue {
    let n = units as f64;
    match kind {
        MetricKind::Conversion => MetricValue::Conversion {
            converted: t.units,
            rate: if units > 0 && t.units <= units { Some(t.units as f64 / n) } else { None },
        },
        MetricKind::Mean => MetricValue::Mean {
            mean: if units > 0 { finite(t.sum / n) } else { None },
            variance: Summary::from_sums(units, t.sum, t.sum_sq).ok().and_then(|s| finite(s.variance)),
        },
    }
}

/// The mSPRT's mixing scale `τ` for metric `m`: the plan's minimum
/// detectable effect as an absolute change of this metric, `mde ×
/// baseline`, the baseline being the plan's for the first conversion
/// metric (fixed in advance) and the control's observed rate or mean
/// otherwise. `None` when that is 0 (no scale yet).
fn tau(spec: &ExperimentSpec, m: usize, units: u64, t: &MetricTotals) -> Option<f64> {
    let metric = spec.metrics.get(m)?;
    let first_conversion = spec.metrics.iter().position(|x| x.kind == MetricKind::Conversion);
    let planned = if first_conversion == Some(m) { spec.plan.baseline } else { None };
    let baseline = match planned {
        Some(b) => b,
        None => match value(metric.kind, units, t) {
            MetricValue::Conversion { rate, .. } => rate?,
            MetricValue::Mean { mean, .. } => mean?,
        },
    };
    finite(spec.plan.mde * baseline.abs()).filter(|&t| t > 0.0)
}

/// A variant (`treatment`: units and totals) against control on one metric.
fn compare(
    kind: MetricKind,
    goal: Goal,
    alpha: f64,
    tau: Option<f64>,
    control: (u64, &MetricTotals),
    treatment: (u64, &MetricTotals),
) -> Comparison {
    let confidence = 1.0 - alpha;
    let interval = |estimate: f64, ci_low: f64, ci_high: f64| {
        (estimate.is_finite() && ci_low.is_finite() && ci_high.is_finite()).then_some(Interval {
            estimate,
            ci_low,
            ci_high,
        })
    };
    let sequential_of = |m: Msprt| {
        (m.p_value.is_finite() && m.ci_low.is_finite() && m.ci_high.is_finite())
            .then_some((Sequential { p_value: m.p_value, ci_low: m.ci_low, ci_high: m.ci_high }, m.reject))
    };
    let (absolute, p_value, relative, chance, sequential) = match kind {
        MetricKind::Conversion => {
            let c = Conversions { exposures: control.0, conversions: control.1.units };
            let t = Conversions { exposures: treatment.0, conversions: treatment.1.units };
            let test = two_proportion_test(c, t, confidence).ok();
            (
                test.and_then(|r| interval(r.absolute_lift, r.ci_low, r.ci_high)),
                test.and_then(|r| finite(r.p_value)),
                relative_change_proportions(c, t, confidence).ok().flatten(),
                chance_to_beat_proportions(c, t).ok(),
                tau.and_then(|tau| msprt_proportions(c, t, tau * tau, alpha).ok()).and_then(sequential_of),
            )
        }
        MetricKind::Mean => {
            let c = Summary::from_sums(control.0, control.1.sum, control.1.sum_sq).ok();
            let t = Summary::from_sums(treatment.0, treatment.1.sum, treatment.1.sum_sq).ok();
            match (c, t) {
                (Some(c), Some(t)) => {
                    let test = welch_t_test(c, t, confidence).ok();
                    (
                        test.and_then(|r| interval(r.difference, r.ci_low, r.ci_high)),
                        test.and_then(|r| finite(r.p_value)),
                        relative_change_means(c, t, confidence).ok().flatten(),
                        chance_to_beat_means(c, t).ok(),
                        tau.and_then(|tau| msprt_means(c, t, tau * tau, alpha).ok()).and_then(sequential_of),
                    )
                }
                _ => (None, None, None, None, None),
            }
        }
    };
    let chance = chance.and_then(finite).map(|p| match goal {
        Goal::Increase => p,
        Goal::Decrease => 1.0 - p,
    });
    Comparison {
        absolute,
        relative: relative.and_then(|r| interval(r.estimate, r.ci_low, r.ci_high)),
        p_value,
        chance_to_beat_control: chance,
        sequential: sequential.map(|(s, _)| s),
        significant: sequential.is_some_and(|(_, reject)| reject),
    }
}

/// The sample-size progress: planned on the baseline of the first
/// conversion metric.
fn progress(
    spec: &ExperimentSpec,
    variants: &[VariantReport],
    metrics: &[MetricReport],
    days: f64,
) -> SampleSizeReport {
    let plan = spec.plan;
    let observed = metrics.iter().find(|m| m.kind == MetricKind::Conversion).and_then(|m| {
        match m.variants.get(spec.control).map(|v| v.value) {
            Some(MetricValue::Conversion { rate, .. }) => rate,
            _ => None,
        }
    });
    let baseline = plan.baseline.or(observed).and_then(finite);
    let needed = baseline.and_then(|b| sample_size(b, Effect::Relative(plan.mde), plan.alpha, plan.power).ok());
    let needed = needed.map(|s| s.per_variant.max(1));
    let smallest = smallest_units(variants);
    let days_elapsed = if days.is_finite() && days > 0.0 { days } else { 0.0 };
    let progress = needed.map(|n| (smallest as f64 / n as f64).min(1.0));
    let days_remaining = match needed {
        Some(n) if smallest >= n => Some(0.0),
        Some(n) if smallest > 0 && days_elapsed > 0.0 => {
            finite((n - smallest) as f64 / (smallest as f64 / days_elapsed))
        }
        _ => None,
    };
    SampleSizeReport {
        baseline,
        mde: plan.mde,
        alpha: plan.alpha,
        power: plan.power,
        per_variant_needed: needed,
        smallest_variant_units: smallest,
        progress,
        days_elapsed,
        days_remaining,
    }
}

/// Units of the smallest variant of positive weight (of all variants when
/// none has a positive weight; 0 without variants).
fn smallest_units(variants: &[VariantReport]) -> u64 {
    let weighted = variants.iter().filter(|v| v.weight > 0.0).map(|v| v.units).min();
    weighted.or_else(|| variants.iter().map(|v| v.units).min()).unwrap_or(0)
}

fn verdict(
    spec: &ExperimentSpec,
    variants: &[VariantReport],
    srm: Option<&SrmReport>,
    metrics: &[MetricReport],
) -> ReportVerdict {
    let primary = metrics.first();
    let metric = primary.map(|m| m.event.clone());
    let make = |status: VerdictStatus, variant: Option<String>, message: String| ReportVerdict {
        status,
        variant,
        metric: metric.clone(),
        message,
    };
    let not_enough = |message: String| make(VerdictStatus::NotEnoughData, None, message);

    if let Some(s) = srm.filter(|s| s.mismatch) {
        return make(
            VerdictStatus::SampleRatioMismatch,
            None,
            format!(
                "Sample ratio mismatch: exposures do not follow the configured split (p = {}), so these results cannot be trusted; check how units are assigned and how exposures are logged.",
                p_text(s.p_value)
            ),
        );
    }
    let Some(primary) = primary else { return not_enough("The experiment has no metrics.".into()) };
    let Some(control) = variants.get(spec.control) else {
        return not_enough("The experiment's control is not one of its variants.".into());
    };
    let event = &primary.event;
    if let Some(short) =
        variants.iter().filter(|v| v.weight > 0.0 && v.units < MIN_UNITS_PER_VARIANT).min_by_key(|v| v.units)
    {
        return not_enough(format!(
            "Not enough data yet: every variant needs at least {MIN_UNITS_PER_VARIANT} units, and {} has {}.",
            short.name, short.units
        ));
    }
    let control_value = primary.variants.get(spec.control).map(|v| v.value);
    if let Some(MetricValue::Conversion { converted: 0, .. }) = control_value {
        return not_enough(format!(
            "Not enough data yet: the control ({}) has no conversions on {event}.",
            control.name
        ));
    }
    let alpha = spec.plan.alpha;
    let confidence = percent(1.0 - alpha);
    let compared: Vec<(&MetricVariant, &Comparison, &Sequential)> = primary
        .variants
        .iter()
        .filter_map(|v| {
            let c = v.vs_control.as_ref()?;
            Some((v, c, c.sequential.as_ref()?))
        })
        .collect();
    if compared.is_empty() {
        return not_enough(format!("Not enough data yet: {event} does not vary enough to compare the variants."));
    }
    let best = compared.iter().filter(|(_, c, _)| c.significant).min_by(|a, b| a.2.p_value.total_cmp(&b.2.p_value));
    let Some((v, c, s)) = best else {
        let smallest = compared.iter().map(|(_, _, s)| s.p_value).fold(1.0_f64, f64::min);
        return make(
            VerdictStatus::NoSignificantDifference,
            None,
            format!(
                "No significant difference on {event} yet at {confidence} confidence (smallest always-valid p-value {}).",
                p_text(smallest)
            ),
        );
    };
    let difference = c.absolute.map_or((s.ci_low + s.ci_high) / 2.0, |a| a.estimate);
    let better = (difference > 0.0) == (primary.goal == Goal::Increase);
    let status = if better { VerdictStatus::Better } else { VerdictStatus::Worse };
    let (change, low, high) = match primary.kind {
        MetricKind::Conversion => (
            format!("{:+.2} percentage points", difference * 100.0),
            format!("{:+.2}", s.ci_low * 100.0),
            format!("{:+.2} percentage points", s.ci_high * 100.0),
        ),
        MetricKind::Mean => {
            (format!("{difference:+.4} per unit"), format!("{:+.4}", s.ci_low), format!("{:+.4}", s.ci_high))
        }
    };
    let change = match c.relative {
        Some(r) => format!("{} ({change})", signed_percent(r.estimate)),
        None => change,
    };
    make(
        status,
        Some(v.name.clone()),
        format!(
            "{} is {} than {} on {event}: {change}; always-valid p-value {}, {confidence} confidence sequence {low} to {high}.",
            v.name,
            if better { "better" } else { "worse" },
            control.name,
            p_text(s.p_value),
        ),
    )
}

/// `0.0012`, `< 0.0001`.
fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// `95%`, `99.5%`.
fn percent(x: f64) -> String {
    let text = format!("{:.1}", x * 100.0);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

/// `+12.3%`, `-4.0%`.
fn signed_percent(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}
