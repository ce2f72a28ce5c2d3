//! `edgeflags::experiment::analyze` on constructed aggregates: the verdict
//! rules (docs/experiments.md, "Reading results"), the figures wired to
//! the right statistics (checked against the scipy reference values of
//! tests/vectors/stats/), and a JSON form without NaN or infinity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::experiment::*;
use serde_json::Value as J;

fn metric(event: &str, kind: MetricKind, goal: Goal) -> MetricSpec {
    MetricSpec { event: event.into(), kind, goal }
}

fn purchase() -> MetricSpec {
    metric("purchase", MetricKind::Conversion, Goal::Increase)
}

/// Control and `variants.len() - 1` treatments, equal weights.
fn spec(variants: &[&str], metrics: Vec<MetricSpec>) -> ExperimentSpec {
    ExperimentSpec {
        flag: "checkout".into(),
        variants: variants.iter().map(|v| (*v).into()).collect(),
        weights: vec![100.0 / variants.len() as f64; variants.len()],
        control: 0,
        metrics,
        plan: Plan::default(),
    }
}

fn conv(units: u64) -> MetricTotals {
    MetricTotals { units, sum: units as f64, sum_sq: units as f64 }
}

fn variant(units: u64, metrics: Vec<MetricTotals>) -> VariantData {
    VariantData { units, metrics }
}

fn data(variants: Vec<VariantData>) -> ExperimentData {
    ExperimentData { variants, multiple_exposures: 0, days: 0.0 }
}

fn json(r: &Report) -> J {
    let text = serde_json::to_string(r).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn reference(section: &str, name: &str) -> J {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/stats/reference.json")).unwrap();
    let r: J = serde_json::from_str(&text).unwrap();
    r[section].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
}

#[track_caller]
fn close(got: &J, want: &J, rel: f64) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() <= rel * w.abs().max(1e-300), "{g} against {w}");
}

#[test]
fn a_known_effect_is_found() {
    let s = spec(&["control", "variant_a"], vec![purchase()]);
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(500)]), variant(10_000, vec![conv(700)])]));
    assert_eq!(r.verdict.status, VerdictStatus::Better);
    assert_eq!(r.verdict.variant.as_deref(), Some("variant_a"));
    assert_eq!(r.verdict.metric.as_deref(), Some("purchase"));
    assert!(
        r.verdict.message.starts_with("variant_a is better than control on purchase: +40.0%"),
        "{}",
        r.verdict.message
    );
    let c = r.metrics[0].variants[1].vs_control.unwrap();
    assert!(c.significant);
    let seq = c.sequential.unwrap();
    assert!(seq.ci_low > 0.0 && seq.p_value < 0.05);
    assert!(c.chance_to_beat_control.unwrap() > 0.999);
    let a = c.absolute.unwrap();
    assert!((a.estimate - 0.02).abs() < 1e-15);
    // The control has no comparison with itself.
    assert_eq!(r.metrics[0].variants[0].vs_control, None);
}

/// The report's figures are the statistics' own, checked against scipy.
#[test]
fn figures_match_the_scipy_reference() {
    let s = spec(&["control", "variant_a"], vec![purchase()]);
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(500)]), variant(10_000, vec![conv(560)])]));
    let j = json(&r);
    let vs = &j["metrics"][0]["variants"][1]["vs_control"];
    let z = reference("proportions", "design notes scale");
    close(&vs["p_value"], &z["expect"]["p_value"], 1e-9);
    close(&vs["absolute"]["estimate"], &z["expect"]["absolute_lift"], 1e-9);
    close(&vs["absolute"]["ci_low"], &z["expect"]["ci_low"], 1e-9);
    close(&vs["absolute"]["ci_high"], &z["expect"]["ci_high"], 1e-9);
    let b = reference("chance_to_beat_proportions", "small lift");
    assert!(
        (vs["chance_to_beat_control"].as_f64().unwrap() - b["expect"]["chance_to_beat"].as_f64().unwrap()).abs()
            < 1e-10
    );
    let rel = reference("relative_change", "rates");
    close(&vs["relative"]["estimate"], &rel["expect"]["estimate"], 1e-9);
    close(&vs["relative"]["ci_low"], &rel["expect"]["ci_low"], 1e-9);
    close(&vs["relative"]["ci_high"], &rel["expect"]["ci_high"], 1e-9);
    // The sequential test mixes over tau = mde x control rate = 0.005.
    let m = edgeflags::stats::msprt_proportions(
        edgeflags::stats::Conversions { exposures: 10_000, conversions: 500 },
        edgeflags::stats::Conversions { exposures: 10_000, conversions: 560 },
        0.005 * 0.005,
        0.05,
    )
    .unwrap();
    assert_eq!(vs["sequential"]["p_value"].as_f64().unwrap(), m.p_value);
    assert_eq!(vs["sequential"]["ci_low"].as_f64().unwrap(), m.ci_low);
    assert!(!vs["significant"].as_bool().unwrap());
    assert_eq!(j["verdict"]["status"], "no_significant_difference");
}

#[test]
fn a_null_variant_is_not_significant() {
    let s = spec(&["control", "variant_a", "variant_b"], vec![purchase()]);
    let r = analyze(
        &s,
        &data(vec![
            variant(10_000, vec![conv(500)]),
            variant(10_000, vec![conv(505)]),
            variant(10_000, vec![conv(498)]),
        ]),
    );
    assert_eq!(r.verdict.status, VerdictStatus::NoSignificantDifference);
    assert_eq!(r.verdict.variant, None);
    assert!(
        r.verdict.message.starts_with("No significant difference on purchase yet at 95% confidence"),
        "{}",
        r.verdict.message
    );
    for v in &r.metrics[0].variants[1..] {
        let c = v.vs_control.unwrap();
        assert!(!c.significant);
        assert!(c.sequential.unwrap().p_value > 0.05);
        let p = c.chance_to_beat_control.unwrap();
        assert!(p > 0.3 && p < 0.7, "{p}");
    }
}

/// Of several significant variants, the one with the smallest sequential
/// p-value is named.
#[test]
fn the_strongest_variant_is_named() {
    let s = spec(&["control", "a", "b"], vec![purchase()]);
    let r = analyze(
        &s,
        &data(vec![
            variant(10_000, vec![conv(500)]),
            variant(10_000, vec![conv(650)]),
            variant(10_000, vec![conv(300)]),
        ]),
    );
    // b (-40%) is further from control than a (+30%).
    assert_eq!(r.verdict.status, VerdictStatus::Worse);
    assert_eq!(r.verdict.variant.as_deref(), Some("b"));
    assert!(r.metrics[0].variants[1].vs_control.unwrap().significant);
}

#[test]
fn sample_ratio_mismatch_overrides_everything() {
    let s = spec(&["control", "variant_a"], vec![purchase()]);
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(500)]), variant(9_000, vec![conv(700)])]));
    let srm = r.srm.unwrap();
    assert!(srm.mismatch && srm.p_value < 1e-6 && srm.df == 1);
    assert_eq!(r.verdict.status, VerdictStatus::SampleRatioMismatch);
    assert_eq!(r.verdict.variant, None);
    assert!(r.verdict.message.contains("cannot be trusted"));
    // The figures are still there, for diagnosis.
    assert!(r.metrics[0].variants[1].vs_control.unwrap().significant);
    // Even with too little data: 60 against 20 of a 50/50 split is a mismatch.
    let r = analyze(&s, &data(vec![variant(60, vec![conv(5)]), variant(20, vec![conv(1)])]));
    assert_eq!(r.verdict.status, VerdictStatus::SampleRatioMismatch);
    // A split that matches is not.
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(500)]), variant(10_050, vec![conv(500)])]));
    assert!(!r.srm.unwrap().mismatch);
}

#[test]
fn tiny_data_is_not_enough() {
    let s = spec(&["control", "variant_a"], vec![purchase()]);
    let r = analyze(&s, &data(vec![variant(99, vec![conv(1)]), variant(100, vec![conv(90)])]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert_eq!(r.verdict.message, "Not enough data yet: every variant needs at least 100 units, and control has 99.");
    assert_eq!(MIN_UNITS_PER_VARIANT, 100);
    // No data at all: every figure null, no SRM test, still a report.
    let r = analyze(&s, &data(vec![]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert_eq!(r.srm, None);
    let c = r.metrics[0].variants[1].vs_control.unwrap();
    assert_eq!(
        (c.absolute, c.relative, c.p_value, c.chance_to_beat_control, c.sequential),
        (None, None, None, None, None)
    );
    assert_eq!(r.metrics[0].variants[1].value, MetricValue::Conversion { converted: 0, rate: None });
    // A variant of weight 0 (a percentage at 100) does not hold the verdict back.
    let mut s0 = s.clone();
    s0.weights = vec![50.0, 50.0, 0.0];
    s0.variants.push("off".into());
    let r = analyze(&s0, &data(vec![variant(200, vec![conv(10)]), variant(200, vec![conv(12)]), variant(0, vec![])]));
    assert_eq!(r.verdict.status, VerdictStatus::NoSignificantDifference, "{}", r.verdict.message);
    assert_eq!(r.srm.unwrap().df, 1);
}

#[test]
fn a_control_without_conversions_is_not_enough_and_has_no_relative_change() {
    let s =
        spec(&["control", "variant_a"], vec![purchase(), metric("upgrade", MetricKind::Conversion, Goal::Increase)]);
    let r = analyze(&s, &data(vec![variant(5_000, vec![conv(0), conv(0)]), variant(5_000, vec![conv(40), conv(3)])]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert_eq!(r.verdict.message, "Not enough data yet: the control (control) has no conversions on purchase.");
    for m in &r.metrics {
        let c = m.variants[1].vs_control.unwrap();
        assert_eq!(c.relative, None, "{}", m.event);
        assert!(c.absolute.is_some(), "{}", m.event);
        assert!(c.chance_to_beat_control.unwrap() > 0.5);
    }
    let j = json(&r);
    assert!(j["metrics"][0]["variants"][1]["vs_control"]["relative"].is_null());
    // Conversions in the secondary metric only: the verdict reads the primary.
    let r =
        analyze(&s, &data(vec![variant(5_000, vec![conv(250), conv(0)]), variant(5_000, vec![conv(260), conv(3)])]));
    assert_eq!(r.verdict.status, VerdictStatus::NoSignificantDifference);
    assert_eq!(r.metrics[1].variants[1].vs_control.unwrap().relative, None);
}

#[test]
fn a_decrease_goal_flips_better_and_worse() {
    let refund = metric("refund", MetricKind::Conversion, Goal::Decrease);
    let s = spec(&["control", "variant_a"], vec![refund]);
    // More refunds in the variant: worse.
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(500)]), variant(10_000, vec![conv(700)])]));
    assert_eq!(r.verdict.status, VerdictStatus::Worse);
    assert_eq!(r.verdict.variant.as_deref(), Some("variant_a"));
    assert!(
        r.verdict.message.starts_with("variant_a is worse than control on refund: +40.0%"),
        "{}",
        r.verdict.message
    );
    let c = r.metrics[0].variants[1].vs_control.unwrap();
    assert!(c.chance_to_beat_control.unwrap() < 0.001, "chance to beat reads the goal");
    // Fewer: better.
    let r = analyze(&s, &data(vec![variant(10_000, vec![conv(700)]), variant(10_000, vec![conv(500)])]));
    assert_eq!(r.verdict.status, VerdictStatus::Better);
    assert!(r.metrics[0].variants[1].vs_control.unwrap().chance_to_beat_control.unwrap() > 0.999);
    assert_eq!(json(&r)["metrics"][0]["goal"], "decrease");
}

/// Per-unit values as the store sums them: `n` units of which `k` have
/// the value `x` and the rest 0.
fn mean_totals(k: u64, x: f64) -> MetricTotals {
    MetricTotals { units: k, sum: k as f64 * x, sum_sq: k as f64 * x * x }
}

#[test]
fn mean_metrics() {
    let revenue = metric("revenue", MetricKind::Mean, Goal::Increase);
    let s = spec(&["control", "variant_a"], vec![revenue]);
    // Control: 1000 of 10,000 units spend 20 (mean 2); variant: 1300 (mean 2.6).
    let r = analyze(
        &s,
        &data(vec![variant(10_000, vec![mean_totals(1000, 20.0)]), variant(10_000, vec![mean_totals(1300, 20.0)])]),
    );
    let MetricValue::Mean { mean, variance } = r.metrics[0].variants[0].value else { panic!("a mean") };
    assert!((mean.unwrap() - 2.0).abs() < 1e-12);
    // Sample variance of 1000 twenties and 9000 zeros.
    let want = (1000.0 * 400.0 - 20_000.0f64.powi(2) / 10_000.0) / 9_999.0;
    assert!((variance.unwrap() - want).abs() < 1e-9);
    let c = r.metrics[0].variants[1].vs_control.unwrap();
    assert!((c.absolute.unwrap().estimate - 0.6).abs() < 1e-12);
    assert!((c.relative.unwrap().estimate - 0.3).abs() < 1e-12);
    assert!(c.significant && c.p_value.unwrap() < 1e-6);
    assert_eq!(r.verdict.status, VerdictStatus::Better);
    assert!(r.verdict.message.contains("+30.0% (+0.6000 per unit)"), "{}", r.verdict.message);
    let j = json(&r);
    let v = &j["metrics"][0]["variants"][0];
    assert!(v.get("converted").is_none() && v.get("rate").is_none());
    assert_eq!(j["metrics"][0]["kind"], "mean");
    // Nobody spent anything anywhere: no variance, nothing to compare, no NaN.
    let r = analyze(&s, &data(vec![variant(500, vec![mean_totals(0, 0.0)]), variant(500, vec![mean_totals(0, 0.0)])]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert!(r.verdict.message.contains("does not vary"), "{}", r.verdict.message);
    let c = r.metrics[0].variants[1].vs_control.unwrap();
    assert_eq!((c.relative, c.sequential, c.significant), (None, None, false));
}

#[test]
fn sample_size_progress() {
    let mut s = spec(&["control", "variant_a"], vec![metric("revenue", MetricKind::Mean, Goal::Increase), purchase()]);
    let mut d = data(vec![
        variant(3_000, vec![mean_totals(10, 5.0), conv(150)]),
        variant(2_900, vec![mean_totals(10, 5.0), conv(160)]),
    ]);
    d.days = 2.0;
    // No plan baseline: the control's observed rate on the first conversion metric (150/3000).
    let r = analyze(&s, &d);
    let ss = r.sample_size;
    assert_eq!(ss.baseline, Some(0.05));
    assert_eq!(ss.per_variant_needed, Some(31_231)); // the design notes' example
    assert_eq!(ss.smallest_variant_units, 2_900);
    assert!((ss.progress.unwrap() - 2_900.0 / 31_231.0).abs() < 1e-15);
    assert_eq!(ss.days_elapsed, 2.0);
    // 1,450 units a day in the smallest variant: 28,331 more take 19.54 days.
    assert!((ss.days_remaining.unwrap() - 28_331.0 / 1_450.0).abs() < 1e-9);
    // The plan's baseline wins over the observed rate.
    s.plan.baseline = Some(0.2);
    let r = analyze(&s, &d);
    assert_eq!(r.sample_size.baseline, Some(0.2));
    assert!(r.sample_size.per_variant_needed.unwrap() < 31_231);
    // Reached: progress 1, nothing remaining.
    d.variants[1].units = 3_000;
    s.plan.baseline = Some(0.5);
    let r = analyze(&s, &d);
    assert_eq!((r.sample_size.progress, r.sample_size.days_remaining), (Some(1.0), Some(0.0)));
    // No conversion metric and no baseline: unknown.
    let s = spec(&["control", "variant_a"], vec![metric("revenue", MetricKind::Mean, Goal::Increase)]);
    let r = analyze(&s, &d);
    let ss = r.sample_size;
    assert_eq!((ss.baseline, ss.per_variant_needed, ss.progress, ss.days_remaining), (None, None, None, None));
    let j = json(&r);
    for k in ["baseline", "per_variant_needed", "progress", "days_remaining"] {
        assert!(j["sample_size"][k].is_null(), "{k}");
    }
}

/// Every member name of the documented shape, and no number that is not
/// finite, whatever the input.
#[test]
fn json_shape_and_no_nan_anywhere() {
    let s = spec(
        &["control", "variant_a", "variant_b"],
        vec![
            purchase(),
            metric("revenue", MetricKind::Mean, Goal::Increase),
            metric("refund", MetricKind::Conversion, Goal::Decrease),
        ],
    );
    let d = ExperimentData {
        variants: vec![
            variant(1_000, vec![conv(50), mean_totals(50, 30.0), conv(0)]),
            variant(1_000, vec![conv(60), mean_totals(60, 31.0), conv(2)]),
            variant(1_000, vec![conv(1_001), mean_totals(1, f64::INFINITY)]), // inconsistent on purpose
        ],
        multiple_exposures: 7,
        days: f64::NAN,
    };
    let r = analyze(&s, &d);
    let j = json(&r);
    // (serde_json's map sorts its keys; the order written is checked on the text below.)
    let keys = |v: &J| v.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>();
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        keys(&j),
        set(&["flag", "control", "variants", "multiple_exposures", "srm", "sample_size", "metrics", "verdict"])
    );
    assert_eq!(keys(&j["variants"][0]), set(&["name", "weight", "units"]));
    assert_eq!(keys(&j["srm"]), set(&["p_value", "statistic", "df", "mismatch"]));
    assert_eq!(
        keys(&j["sample_size"]),
        set(&[
            "baseline",
            "mde",
            "alpha",
            "power",
            "per_variant_needed",
            "smallest_variant_units",
            "progress",
            "days_elapsed",
            "days_remaining"
        ])
    );
    assert_eq!(keys(&j["metrics"][0]), set(&["event", "kind", "goal", "variants"]));
    assert_eq!(keys(&j["metrics"][0]["variants"][0]), set(&["name", "units", "converted", "rate", "vs_control"]));
    assert_eq!(keys(&j["metrics"][1]["variants"][0]), set(&["name", "units", "mean", "variance", "vs_control"]));
    let vs = &j["metrics"][0]["variants"][1]["vs_control"];
    assert_eq!(
        keys(vs),
        set(&["absolute", "relative", "p_value", "chance_to_beat_control", "sequential", "significant"])
    );
    assert_eq!(keys(&vs["absolute"]), set(&["estimate", "ci_low", "ci_high"]));
    assert_eq!(keys(&vs["relative"]), set(&["estimate", "ci_low", "ci_high"]));
    assert_eq!(keys(&vs["sequential"]), set(&["p_value", "ci_low", "ci_high"]));
    assert_eq!(keys(&j["verdict"]), set(&["status", "variant", "metric", "message"]));
    let text = serde_json::to_string(&r).unwrap();
    let order = [
        "\"flag\"",
        "\"control\"",
        "\"variants\"",
        "\"multiple_exposures\"",
        "\"srm\"",
        "\"sample_size\"",
        "\"metrics\"",
        "\"verdict\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(j["multiple_exposures"], 7);
    assert_eq!(j["sample_size"]["days_elapsed"], 0.0);
    // The inconsistent variant: null figures, not NaN.
    let bad = &j["metrics"][0]["variants"][2];
    assert!(bad["rate"].is_null() && bad["vs_control"]["p_value"].is_null());
    assert!(j["metrics"][1]["variants"][2]["mean"].is_null());
    assert!(!j["metrics"][2]["variants"][2]["vs_control"]["absolute"].is_null());

    // And a sweep of awkward inputs: the text never holds NaN or inf.
    let weird = [0.0, 1.0, -1.0, 1e308, f64::MAX, f64::MIN_POSITIVE, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    for (i, &x) in weird.iter().enumerate() {
        for units in [0, 1, 2, 100, u64::MAX] {
            let mut s = s.clone();
            s.weights[i % 3] = x;
            let d = ExperimentData {
                variants: vec![
                    variant(units, vec![MetricTotals { units, sum: x, sum_sq: x }, mean_totals(units / 2, x)]),
                    variant(units / 2, vec![conv(units / 3), MetricTotals { units: 1, sum: x, sum_sq: x * x }]),
                    variant(1, vec![]),
                ],
                multiple_exposures: 0,
                days: x,
            };
            let text = serde_json::to_string(&analyze(&s, &d)).unwrap();
            let lower = text.to_lowercase();
            assert!(!lower.contains("nan") && !lower.contains("inf"), "{x} {units}: {text}");
            serde_json::from_str::<J>(&text).unwrap();
        }
    }
}

/// A spec the store and the ruleset disagree on (fewer aggregates than
/// variants, a control index out of range, no metrics) still reports.
#[test]
fn inconsistent_specs_never_panic() {
    let mut s = spec(&["control", "variant_a"], vec![purchase()]);
    s.control = 5;
    let r = analyze(&s, &data(vec![variant(500, vec![conv(10)]), variant(500, vec![])]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert_eq!(r.verdict.message, "The experiment's control is not one of its variants.");
    assert_eq!(r.control, "");
    assert!(r.metrics[0].variants.iter().all(|v| v.vs_control.is_none()));
    let s = spec(&["control", "variant_a"], vec![]);
    let r = analyze(&s, &data(vec![variant(500, vec![]), variant(500, vec![])]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
    assert_eq!(r.verdict.metric, None);
    let s = spec(&[], vec![purchase()]);
    let r = analyze(&s, &data(vec![]));
    assert_eq!(r.verdict.status, VerdictStatus::NotEnoughData);
}

// ------------------------------------------------------------ aggregate

fn events(lines: &[&str]) -> Vec<edgeflags::events::Event> {
    lines.iter().map(|l| edgeflags::events::parse_event(&edgeflags::Value::parse(l).unwrap(), "").unwrap()).collect()
}

fn agg_spec() -> ExperimentSpec {
    spec(&["control", "a"], vec![purchase(), metric("revenue", MetricKind::Mean, Goal::Increase)])
}

#[test]
fn aggregate_follows_the_store_semantics() {
    let ev = events(&[
        // u1: control, buys twice (same id: once), revenue 10 + 5.
        r#"{"type": "exposure", "flag": "checkout", "variant": "control", "unit": "u1", "time": 1000}"#,
        r#"{"type": "track", "event": "purchase", "unit": "u1", "id": "p1"}"#,
        r#"{"type": "track", "event": "purchase", "unit": "u1", "id": "p1"}"#,
        r#"{"type": "track", "event": "revenue", "unit": "u1", "value": 10, "id": "r1"}"#,
        r#"{"type": "track", "event": "revenue", "unit": "u1", "value": 5, "id": "r2"}"#,
        r#"{"type": "track", "event": "revenue", "unit": "u1", "value": 5, "id": "r2"}"#,
        // u2: tracked before its exposure to a (order does not matter); no id, sent twice: once.
        r#"{"type": "track", "event": "revenue", "unit": "u2", "value": 7}"#,
        r#"{"type": "track", "event": "revenue", "unit": "u2", "value": 7}"#,
        r#"{"type": "exposure", "flag": "checkout", "variant": "a", "unit": "u2", "time": 500}"#,
        // u3: a, exposed twice to the same variant: one unit; a track without a value adds 0.
        r#"{"type": "exposure", "flag": "checkout", "variant": "a", "unit": "u3"}"#,
        r#"{"type": "exposure", "flag": "checkout", "variant": "a", "unit": "u3", "time": 2000}"#,
        r#"{"type": "track", "event": "revenue", "unit": "u3"}"#,
        // u4: both variants: left out, counted; its conversions count nowhere.
        r#"{"type": "exposure", "flag": "checkout", "variant": "a", "unit": "u4"}"#,
        r#"{"type": "exposure", "flag": "checkout", "variant": "control", "unit": "u4"}"#,
        r#"{"type": "track", "event": "purchase", "unit": "u4"}"#,
        // Other experiments, unknown variants, unexposed units, other events: ignored.
        r#"{"type": "exposure", "flag": "other", "variant": "a", "unit": "u5"}"#,
        r#"{"type": "exposure", "flag": "checkout", "variant": "zz", "unit": "u1"}"#,
        r#"{"type": "track", "event": "purchase", "unit": "u6"}"#,
        r#"{"type": "track", "event": "pageview", "unit": "u1", "time": 1000000}"#,
    ]);
    let d = aggregate(&agg_spec(), &ev);
    assert_eq!(d.multiple_exposures, 1);
    assert_eq!(d.variants.len(), 2);
    let (c, a) = (&d.variants[0], &d.variants[1]);
    assert_eq!((c.units, a.units), (1, 2));
    assert_eq!(c.metrics[0], MetricTotals { units: 1, sum: 1.0, sum_sq: 1.0 });
    assert_eq!(c.metrics[1], MetricTotals { units: 1, sum: 15.0, sum_sq: 225.0 });
    assert_eq!(a.metrics[0], MetricTotals::default());
    assert_eq!(a.metrics[1], MetricTotals { units: 2, sum: 7.0, sum_sq: 49.0 });
    // From the first exposure (500) to the last event of the file (1,000,000).
    assert!((d.days - 999_500.0 / 86_400_000.0).abs() < 1e-15);
    // Events in any order give the same aggregates.
    let reversed: Vec<_> = ev.iter().rev().collect();
    assert_eq!(aggregate(&agg_spec(), reversed), d);
    // Nothing with a time: 0 days.
    let d =
        aggregate(&agg_spec(), &events(&[r#"{"type": "exposure", "flag": "checkout", "variant": "a", "unit": "u"}"#]));
    assert_eq!((d.days, d.variants[1].units), (0.0, 1));
    let d = aggregate(&agg_spec(), &[]);
    assert_eq!(d.variants, vec![VariantData { units: 0, metrics: vec![MetricTotals::default(); 2] }; 2]);
}

/// From a ruleset and exported events to a verdict: a simulated experiment
/// whose variant converts 7% against 5%.
#[test]
fn ruleset_events_report() {
    let rs = edgeflags::Ruleset::from_json(
        r#"{"flags": {"checkout": {
            "variants": {"control": false, "a": true}, "default_variant": "control",
            "split": [["control", 50], ["a", 50]],
            "experiment": {"control": "control", "metrics": ["purchase"], "baseline": 0.05}}}}"#,
    )
    .unwrap();
    let spec = rs.experiment_spec("checkout", 0).unwrap();
    let mut lines = Vec::new();
    for i in 0..20_000u64 {
        let unit = format!("user:{i}");
        let ctx = edgeflags::Context::with_user(&unit);
        let id = rs.flag_id("checkout").unwrap();
        let r = rs.resolve(id, &ctx, 0);
        let e = rs.exposure(id, &ctx, &r).unwrap();
        lines.push(format!(
            r#"{{"type": "exposure", "flag": "checkout", "variant": "{}", "unit": "{unit}", "time": {}}}"#,
            e.variant,
            i * 1000
        ));
        // 5% of control units buy, 7% of treatment units (by a bucket of the unit).
        let h = edgeflags::bucket("conv", &unit);
        let rate = if e.variant == "a" { 7.0 } else { 5.0 };
        if h < rate {
            lines.push(format!(r#"{{"type": "track", "event": "purchase", "unit": "{unit}", "id": "buy-{i}"}}"#));
        }
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let ev = events(&refs);
    let d = aggregate(&spec, &ev);
    assert_eq!(d.variants[0].units + d.variants[1].units, 20_000);
    let r = analyze(&spec, &d);
    assert!(!r.srm.unwrap().mismatch);
    assert_eq!(r.verdict.status, VerdictStatus::Better, "{}", r.verdict.message);
    assert_eq!(r.verdict.variant.as_deref(), Some("a"));
    let ss = r.sample_size;
    assert_eq!(ss.baseline, Some(0.05));
    assert!((ss.days_elapsed - 19_999_000.0 / 86_400_000.0).abs() < 1e-12);
}
