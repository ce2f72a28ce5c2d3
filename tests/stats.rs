//! edgeflags::stats against scipy's figures (tests/vectors/stats/
//! reference.json, written by gen.py), and every error case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::stats::*;
use serde_json::Value as J;

fn reference() -> J {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/stats/reference.json"))
        .expect("reference.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Relative tolerance for statistics and p-values computed from the same
/// closed forms (scipy and statrs agree to about 1e-13 there).
const TIGHT: f64 = 1e-9;
/// For Welch's p-value: statrs's regularized incomplete beta.
const LOOSE: f64 = 1e-7;

#[track_caller]
fn close(case: &str, what: &str, got: f64, want: &J, rel: f64) {
    let want = want.as_f64().unwrap_or_else(|| panic!("{case}: {what} is not a number"));
    let ok = if want == 0.0 { got.abs() < 1e-300 } else { ((got - want) / want).abs() <= rel };
    assert!(ok, "{case}: {what} = {got:e}, scipy {want:e} (rel {:e})", ((got - want) / want).abs());
}

#[track_caller]
fn close_opt(case: &str, what: &str, got: Option<f64>, want: &J, rel: f64) {
    match got {
        None => assert!(want.is_null(), "{case}: {what} None, scipy {want}"),
        Some(g) => close(case, what, g, want, rel),
    }
}

/// A CI end may be a difference of near-equal numbers: compare it on the
/// scale of the half-width, not its own.
#[track_caller]
fn close_scaled(case: &str, what: &str, got: f64, want: &J, scale: f64, rel: f64) {
    let w = want.as_f64().unwrap();
    assert!((got - w).abs() <= rel * scale.abs().max(f64::MIN_POSITIVE), "{case}: {what} = {got:e}, scipy {w:e}");
}

fn conv(v: &J) -> Conversions {
    Conversions { exposures: v["exposures"].as_u64().unwrap(), conversions: v["conversions"].as_u64().unwrap() }
}

fn summary(v: &J) -> Summary {
    Summary {
        count: v["count"].as_u64().unwrap(),
        mean: v["mean"].as_f64().unwrap(),
        variance: v["variance"].as_f64().unwrap(),
    }
}

#[test]
fn proportions_match_scipy() {
    let r = reference();
    let cases = r["proportions"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let t = two_proportion_test(conv(&c["control"]), conv(&c["treatment"]), c["confidence"].as_f64().unwrap())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "control_rate", t.control_rate, &e["control_rate"], TIGHT);
        close(name, "treatment_rate", t.treatment_rate, &e["treatment_rate"], TIGHT);
        close(name, "absolute_lift", t.absolute_lift, &e["absolute_lift"], TIGHT);
        close_opt(name, "relative_lift", t.relative_lift, &e["relative_lift"], TIGHT);
        close(name, "z", t.z, &e["z"], TIGHT);
        close(name, "p_value", t.p_value, &e["p_value"], TIGHT);
        let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
        close_scaled(name, "ci_low", t.ci_low, &e["ci_low"], half, TIGHT);
        close_scaled(name, "ci_high", t.ci_high, &e["ci_high"], half, TIGHT);
        assert_eq!(t.verdict.as_str(), e["verdict"].as_str().unwrap(), "{name}: verdict");
    }
}

#[test]
fn sample_size_matches_scipy() {
    let r = reference();
    for c in r["sample_size"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let effect = match (c["effect"].get("relative"), c["effect"].get("absolute")) {
            (Some(v), _) => Effect::Relative(v.as_f64().unwrap()),
            (_, Some(v)) => Effect::Absolute(v.as_f64().unwrap()),
            _ => panic!("{name}: effect"),
        };
        let s = sample_size(
            c["baseline"].as_f64().unwrap(),
            effect,
            c["alpha"].as_f64().unwrap(),
            c["power"].as_f64().unwrap(),
        )
        .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "exact", s.exact, &e["exact"], TIGHT);
        close(name, "treatment_rate", s.treatment_rate, &e["treatment_rate"], TIGHT);
        assert_eq!(s.per_variant, e["per_variant"].as_u64().unwrap(), "{name}: per_variant");
        if let Some(days) = e.get("days") {
            let d = duration_days(
                s.per_variant,
                c["variants"].as_u64().unwrap() as u32,
                c["daily_traffic"].as_f64().unwrap(),
            )
            .unwrap();
            assert_eq!(d, days.as_u64().unwrap(), "{name}: days");
        }
    }
}

#[test]
fn srm_matches_scipy() {
    let r = reference();
    for c in r["srm"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let observed: Vec<u64> = c["observed"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let weights: Vec<f64> = c["weights"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let t = sample_ratio_mismatch(&observed, &weights).unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "statistic", t.statistic, &e["statistic"], TIGHT);
        close(name, "p_value", t.p_value, &e["p_value"], TIGHT);
        assert_eq!(t.df, e["df"].as_u64().unwrap(), "{name}: df");
        assert_eq!(t.srm, e["srm"].as_bool().unwrap(), "{name}: srm");
    }
}

#[test]
fn welch_matches_scipy() {
    let r = reference();
    for c in r["welch"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let t = welch_t_test(summary(&c["control"]), summary(&c["treatment"]), c["confidence"].as_f64().unwrap())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "difference", t.difference, &e["difference"], TIGHT);
        close_opt(name, "relative_difference", t.relative_difference, &e["relative_difference"], TIGHT);
        close(name, "t", t.t, &e["t"], TIGHT);
        close(name, "df", t.df, &e["df"], TIGHT);
        // statrs's regularized incomplete beta drifts to about 3e-9 at
        // millions of degrees of freedom ("huge samples").
        close(name, "p_value", t.p_value, &e["p_value"], LOOSE);
        let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
        close_scaled(name, "ci_low", t.ci_low, &e["ci_low"], half, TIGHT);
        close_scaled(name, "ci_high", t.ci_high, &e["ci_high"], half, TIGHT);
        assert_eq!(t.verdict.as_str(), e["verdict"].as_str().unwrap(), "{name}: verdict");
    }
}

#[test]
fn msprt_matches_formula() {
    let r = reference();
    for c in r["msprt"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let m = msprt_proportions(
            conv(&c["control"]),
            conv(&c["treatment"]),
            c["tau2"].as_f64().unwrap(),
            c["alpha"].as_f64().unwrap(),
        )
        .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "variance", m.variance, &e["variance"], TIGHT);
        close(name, "lambda", m.lambda, &e["lambda"], TIGHT);
        close(name, "p_value", m.p_value, &e["p_value"], TIGHT);
        let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
        close_scaled(name, "ci_low", m.ci_low, &e["ci_low"], half, TIGHT);
        close_scaled(name, "ci_high", m.ci_high, &e["ci_high"], half, TIGHT);
        assert_eq!(m.reject, e["reject"].as_bool().unwrap(), "{name}: reject");
        // The interval excludes 0 exactly when the test rejects.
        assert_eq!(m.reject, m.ci_low > 0.0 || m.ci_high < 0.0, "{name}: duality");
    }
}

#[test]
fn msprt_means_matches_formula() {
    let r = reference();
    for c in r["msprt_means"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let m = msprt_means(
            summary(&c["control"]),
            summary(&c["treatment"]),
            c["tau2"].as_f64().unwrap(),
            c["alpha"].as_f64().unwrap(),
        )
        .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "difference", m.difference, &e["difference"], TIGHT);
        close(name, "variance", m.variance, &e["variance"], TIGHT);
        close(name, "lambda", m.lambda, &e["lambda"], TIGHT);
        close(name, "p_value", m.p_value, &e["p_value"], TIGHT);
        let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
        close_scaled(name, "ci_low", m.ci_low, &e["ci_low"], half, TIGHT);
        close_scaled(name, "ci_high", m.ci_high, &e["ci_high"], half, TIGHT);
        assert_eq!(m.reject, e["reject"].as_bool().unwrap(), "{name}: reject");
        assert_eq!(m.reject, m.ci_low > 0.0 || m.ci_high < 0.0, "{name}: duality");
    }
}

/// Chance to beat control of two rates, against scipy's quad: absolute,
/// since it is a probability; scipy's beta pdf and cdf themselves are good
/// to about 1e-11 at ten million units.
const BAYES: f64 = 1e-10;

#[test]
fn chance_to_beat_proportions_matches_scipy() {
    let r = reference();
    let cases = r["chance_to_beat_proportions"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let want = c["expect"]["chance_to_beat"].as_f64().unwrap();
        let (control, treatment) = (conv(&c["control"]), conv(&c["treatment"]));
        let got = chance_to_beat_proportions(control, treatment).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!((got - want).abs() <= BAYES, "{name}: {got} against scipy {want} ({:e})", got - want);
        // The other way round is the complement (the posteriors are continuous).
        let back = chance_to_beat_proportions(treatment, control).unwrap();
        assert!((got + back - 1.0).abs() <= BAYES, "{name}: {got} + {back}");
    }
}

#[test]
fn chance_to_beat_proportions_edges() {
    let c = |n, x| Conversions { exposures: n, conversions: x };
    // The same data: exactly even.
    for (n, x) in [(1, 0), (1, 1), (10, 3), (10_000_000, 0), (10_000_000, 10_000_000), (u64::MAX / 4, 12_345)] {
        let p = chance_to_beat_proportions(c(n, x), c(n, x)).unwrap();
        assert!((p - 0.5).abs() < 1e-9, "{n} {x}: {p}");
    }
    // Closed forms: Beta(1, 2) against Beta(2, 1) is 5/6 (one unit each).
    assert!((chance_to_beat_proportions(c(1, 0), c(1, 1)).unwrap() - 5.0 / 6.0).abs() < 1e-14);
    // Far apart: certain, and never outside [0, 1].
    assert_eq!(chance_to_beat_proportions(c(1_000_000, 1_000), c(1_000_000, 900_000)).unwrap(), 1.0);
    assert_eq!(chance_to_beat_proportions(c(1_000_000, 900_000), c(1_000_000, 1_000)).unwrap(), 0.0);
    assert_eq!(code(chance_to_beat_proportions(c(0, 0), c(1, 1))), "TOO_FEW_UNITS");
    assert_eq!(code(chance_to_beat_proportions(c(1, 1), c(5, 6))), "CONVERSIONS_EXCEED_EXPOSURES");
}

#[test]
fn chance_to_beat_means_matches_scipy() {
    let r = reference();
    for c in r["chance_to_beat_means"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let got = chance_to_beat_means(summary(&c["control"]), summary(&c["treatment"]))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        close(name, "chance_to_beat", got, &c["expect"]["chance_to_beat"], TIGHT);
    }
    let ok = Summary { count: 10, mean: 1.0, variance: 1.0 };
    let flat = Summary { variance: 0.0, ..ok };
    assert_eq!(code(chance_to_beat_means(flat, flat)), "ZERO_VARIANCE");
    assert_eq!(code(chance_to_beat_means(Summary { count: 1, ..ok }, ok)), "TOO_FEW_UNITS");
    assert_eq!(code(chance_to_beat_means(ok, Summary { mean: f64::NAN, ..ok })), "NOT_FINITE");
}

#[test]
fn relative_change_matches_scipy() {
    let r = reference();
    for c in r["relative_change"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let e = &c["expect"];
        let confidence = c["confidence"].as_f64().unwrap();
        let got = if c["control"].get("exposures").is_some() {
            relative_change_proportions(conv(&c["control"]), conv(&c["treatment"]), confidence)
        } else {
            relative_change_means(summary(&c["control"]), summary(&c["treatment"]), confidence)
        }
        .unwrap_or_else(|err| panic!("{name}: {err}"));
        match got {
            None => assert!(e.is_null(), "{name}: None, scipy {e}"),
            Some(i) => {
                close(name, "estimate", i.estimate, &e["estimate"], TIGHT);
                let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
                if half == 0.0 {
                    assert_eq!((i.ci_low, i.ci_high), (i.estimate, i.estimate), "{name}");
                } else {
                    close_scaled(name, "ci_low", i.ci_low, &e["ci_low"], half, TIGHT);
                    close_scaled(name, "ci_high", i.ci_high, &e["ci_high"], half, TIGHT);
                }
            }
        }
    }
}

#[test]
fn relative_change_errors() {
    let est = |mean, variance| MeanEstimate { mean, variance };
    let rc = |c, t, conf| code(relative_change(c, t, conf));
    assert_eq!(rc(est(1.0, 0.1), est(1.0, 0.1), 1.0), "OUT_OF_RANGE");
    assert_eq!(rc(est(f64::NAN, 0.1), est(1.0, 0.1), 0.95), "NOT_FINITE");
    assert_eq!(rc(est(1.0, -0.1), est(1.0, 0.1), 0.95), "OUT_OF_RANGE");
    assert_eq!(rc(est(1e-300, 0.1), est(1e300, 0.1), 0.95), "NOT_FINITE");
    assert_eq!(relative_change(est(0.0, 0.1), est(1.0, 0.1), 0.95).unwrap(), None);
    let zero = Conversions { exposures: 0, conversions: 0 };
    assert_eq!(code(relative_change_proportions(zero, OK, 0.95)), "TOO_FEW_UNITS");
    let one = Summary { count: 1, mean: 1.0, variance: 0.0 };
    assert_eq!(code(relative_change_means(one, one, 0.95)), "TOO_FEW_UNITS");
}

#[test]
fn msprt_means_errors() {
    let ok = Summary { count: 10, mean: 1.0, variance: 1.0 };
    let flat = Summary { variance: 0.0, ..ok };
    assert_eq!(code(msprt_means(flat, flat, 1.0, 0.05)), "ZERO_VARIANCE");
    assert_eq!(code(msprt_means(Summary { count: 1, ..ok }, ok, 1.0, 0.05)), "TOO_FEW_UNITS");
    assert_eq!(code(msprt_means(ok, ok, 0.0, 0.05)), "OUT_OF_RANGE");
    assert_eq!(
        code(msprt_means(Summary { mean: -f64::MAX, ..ok }, Summary { mean: f64::MAX, ..ok }, 1.0, 0.05)),
        "NOT_FINITE"
    );
}

/// The reference file is what gen.py writes, when Python and scipy are here.
#[test]
fn reference_is_current() {
    let gen = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/stats/gen.py");
    let has_scipy = std::process::Command::new("python3")
        .args(["-c", "import scipy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_scipy {
        eprintln!("skipped: python3 with scipy not found");
        return;
    }
    let out = std::process::Command::new("python3").args([gen, "--check"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn code<T: std::fmt::Debug>(r: Result<T, StatsError>) -> &'static str {
    r.unwrap_err().code()
}

const OK: Conversions = Conversions { exposures: 100, conversions: 10 };

#[test]
fn proportion_errors() {
    let zero = Conversions { exposures: 0, conversions: 0 };
    let over = Conversions { exposures: 10, conversions: 11 };
    assert_eq!(code(two_proportion_test(zero, OK, 0.95)), "TOO_FEW_UNITS");
    assert_eq!(code(two_proportion_test(OK, zero, 0.95)), "TOO_FEW_UNITS");
    assert_eq!(code(two_proportion_test(over, OK, 0.95)), "CONVERSIONS_EXCEED_EXPOSURES");
    assert_eq!(code(two_proportion_test(OK, over, 0.95)), "CONVERSIONS_EXCEED_EXPOSURES");
    for c in [0.0, 1.0, -0.5, 1.5, 95.0] {
        assert_eq!(code(two_proportion_test(OK, OK, c)), "OUT_OF_RANGE", "{c}");
    }
    for c in [f64::NAN, f64::INFINITY] {
        assert_eq!(code(two_proportion_test(OK, OK, c)), "NOT_FINITE");
    }
    let e = two_proportion_test(over, OK, 0.95).unwrap_err();
    assert_eq!(e.to_string(), "control: 11 conversions exceed 10 exposures");
}

#[test]
fn proportion_extremes_stay_finite() {
    let big = Conversions { exposures: u64::MAX, conversions: u64::MAX / 2 };
    let t = two_proportion_test(big, big, 0.95).unwrap();
    assert!(t.z.is_finite() && t.p_value.is_finite() && t.ci_low.is_finite());
    assert_eq!(t.verdict, Verdict::Inconclusive);
    let t = two_proportion_test(OK, OK, DEFAULT_CONFIDENCE).unwrap();
    assert_eq!((t.z, t.p_value), (0.0, 1.0));
}

#[test]
fn sample_size_errors() {
    let r = |b, e, a, p| code(sample_size(b, e, a, p));
    assert_eq!(r(0.0, Effect::Relative(0.1), 0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(1.0, Effect::Relative(0.1), 0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(f64::NAN, Effect::Relative(0.1), 0.05, 0.8), "NOT_FINITE");
    assert_eq!(r(0.05, Effect::Relative(0.0), 0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(0.05, Effect::Absolute(0.0), 0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(0.05, Effect::Relative(f64::NAN), 0.05, 0.8), "NOT_FINITE");
    assert_eq!(r(0.05, Effect::Absolute(f64::INFINITY), 0.05, 0.8), "NOT_FINITE");
    assert_eq!(r(0.6, Effect::Relative(1.0), 0.05, 0.8), "OUT_OF_RANGE"); // 1.2
    assert_eq!(r(0.05, Effect::Relative(-1.0), 0.05, 0.8), "OUT_OF_RANGE"); // 0
    assert_eq!(r(0.05, Effect::Absolute(-0.06), 0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(0.05, Effect::Relative(0.1), 0.0, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(0.05, Effect::Relative(0.1), 0.05, 1.0), "OUT_OF_RANGE");
    assert_eq!(r(0.05, Effect::Relative(0.1), -0.05, 0.8), "OUT_OF_RANGE");
    assert_eq!(r(0.5, Effect::Absolute(1e-12), 0.05, 0.8), "TOO_LARGE");
    assert_eq!(code(duration_days(100, 1, 10.0)), "TOO_FEW_UNITS");
    assert_eq!(code(duration_days(100, 2, 0.0)), "OUT_OF_RANGE");
    assert_eq!(code(duration_days(100, 2, -5.0)), "OUT_OF_RANGE");
    assert_eq!(code(duration_days(100, 2, f64::NAN)), "NOT_FINITE");
    assert_eq!(code(duration_days(u64::MAX, 1000, 1e-300)), "TOO_LARGE");
    assert_eq!(duration_days(31_234, 2, 5000.0).unwrap(), 13);
    assert_eq!(duration_days(0, 2, 5000.0).unwrap(), 0);
}

#[test]
fn srm_errors() {
    let s = sample_ratio_mismatch;
    assert_eq!(code(s(&[1, 2], &[1.0])), "LENGTH_MISMATCH");
    assert_eq!(code(s(&[1, 2], &[0.0, 0.0])), "ZERO_WEIGHTS");
    assert_eq!(code(s(&[1, 2], &[1.0, -1.0])), "OUT_OF_RANGE");
    assert_eq!(code(s(&[1, 2], &[1.0, f64::NAN])), "NOT_FINITE");
    assert_eq!(code(s(&[1, 2], &[1.0, f64::INFINITY])), "NOT_FINITE");
    assert_eq!(code(s(&[0, 0], &[1.0, 1.0])), "TOO_FEW_UNITS");
    assert_eq!(code(s(&[5], &[1.0])), "TOO_FEW_UNITS");
    assert_eq!(code(s(&[5, 5], &[1.0, 0.0])), "TOO_FEW_UNITS");
    assert_eq!(code(s(&[], &[])), "ZERO_WEIGHTS");
    // Exposures in a variant that should get none: a certain mismatch.
    let t = s(&[500, 3, 500], &[50.0, 0.0, 50.0]).unwrap();
    assert!(t.srm && t.p_value == 0.0 && t.statistic.is_infinite() && t.df == 1);
    assert_eq!(SRM_THRESHOLD, 0.001);
}

#[test]
fn welch_errors() {
    let ok = Summary { count: 10, mean: 1.0, variance: 1.0 };
    let w = |c, t| code(welch_t_test(c, t, 0.95));
    assert_eq!(w(Summary { count: 1, ..ok }, ok), "TOO_FEW_UNITS");
    assert_eq!(w(ok, Summary { count: 0, ..ok }), "TOO_FEW_UNITS");
    assert_eq!(w(Summary { mean: f64::NAN, ..ok }, ok), "NOT_FINITE");
    assert_eq!(w(ok, Summary { variance: f64::INFINITY, ..ok }), "NOT_FINITE");
    assert_eq!(w(Summary { variance: -1.0, ..ok }, ok), "OUT_OF_RANGE");
    let flat = Summary { variance: 0.0, ..ok };
    assert_eq!(w(flat, flat), "ZERO_VARIANCE");
    assert_eq!(w(Summary { mean: -f64::MAX, ..ok }, Summary { mean: f64::MAX, ..ok }), "NOT_FINITE");
    assert_eq!(code(welch_t_test(ok, ok, 1.0)), "OUT_OF_RANGE");
    assert_eq!(code(Summary::from_sums(1, 1.0, 1.0)), "TOO_FEW_UNITS");
    assert_eq!(code(Summary::from_sums(5, f64::NAN, 1.0)), "NOT_FINITE");
    assert_eq!(code(Summary::from_sums(5, 1.0, f64::INFINITY)), "NOT_FINITE");
    assert_eq!(code(Summary::from_sums(5, 1.0, -1.0)), "OUT_OF_RANGE");
}

/// Welch's degrees of freedom grow with the samples; statrs's t quantile
/// never returns beyond about 1e8 of them, and its survival function
/// answers 0.5 at 1e19. Every size answers, finite, at once.
#[test]
fn welch_at_any_sample_size() {
    for n in [3_000_000, 100_000_000, 10_000_000_000, u64::MAX / 2, u64::MAX] {
        let c = Summary { count: n, mean: 0.5, variance: 0.25 };
        let t = Summary { count: n / 2, mean: 0.5 + 4.0 / (n as f64).sqrt(), variance: 0.25 };
        let w = welch_t_test(c, t, 0.95).unwrap();
        assert!(w.df > 1e6 && w.p_value.is_finite() && w.ci_low.is_finite() && w.ci_high.is_finite(), "{n}: {w:?}");
        // z = 4 / sqrt(0.25 + 0.5) = 4.62: the normal's p-value, to the t correction.
        let z = 4.0 / (0.75f64).sqrt();
        assert!((w.t - z).abs() < 1e-6, "{n}: {}", w.t);
        assert!(w.p_value > 3.8e-6 && w.p_value < 3.9e-6, "{n}: {}", w.p_value);
    }
    // An infinite df (one variance underflowing to 0 against the other) is the normal.
    let c = Summary { count: 10, mean: 1.0, variance: 1e-300 };
    let t = Summary { count: u64::MAX, mean: 1.1, variance: 1.0 };
    assert!(welch_t_test(c, t, 0.95).unwrap().p_value.is_finite());
}

#[test]
fn summary_from_sums() {
    // 1, 2, 3, 4: mean 2.5, sample variance 5/3.
    let s = Summary::from_sums(4, 10.0, 30.0).unwrap();
    assert_eq!(s.mean, 2.5);
    assert!((s.variance - 5.0 / 3.0).abs() < 1e-15);
    // Cancellation below zero is clamped.
    let s = Summary::from_sums(3, 3e8, 3e16 - 1.0).unwrap();
    assert_eq!(s.variance, 0.0);
}

#[test]
fn msprt_errors() {
    assert_eq!(code(msprt(0.1, 0.0, 1.0, 0.05)), "ZERO_VARIANCE");
    assert_eq!(code(msprt(0.1, -1.0, 1.0, 0.05)), "OUT_OF_RANGE");
    assert_eq!(code(msprt(0.1, 1.0, 0.0, 0.05)), "OUT_OF_RANGE");
    assert_eq!(code(msprt(f64::NAN, 1.0, 1.0, 0.05)), "NOT_FINITE");
    assert_eq!(code(msprt(0.1, 1.0, f64::INFINITY, 0.05)), "NOT_FINITE");
    assert_eq!(code(msprt(0.1, 1.0, 1.0, 1.0)), "OUT_OF_RANGE");
    let none = Conversions { exposures: 100, conversions: 0 };
    assert_eq!(code(msprt_proportions(none, none, 1e-4, 0.05)), "ZERO_VARIANCE");
    assert_eq!(code(msprt_proportions(Conversions { exposures: 0, conversions: 0 }, OK, 1e-4, 0.05)), "TOO_FEW_UNITS");
}

/// Looking after every unit under no true difference: the mSPRT should
/// reject in at most about alpha of the streams, where a fixed z-test
/// looked at every time rejects far more often.
#[test]
fn msprt_controls_false_alarms_under_continuous_monitoring() {
    // A small deterministic generator (splitmix64): no rand dependency.
    let mut state = 0x5eed_u64;
    let mut uniform = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (streams, looks, per_look, rate, alpha) = (200, 100, 50, 0.1, 0.05);
    let (mut seq_alarms, mut naive_alarms) = (0, 0);
    for _ in 0..streams {
        let (mut c, mut t) =
            (Conversions { exposures: 0, conversions: 0 }, Conversions { exposures: 0, conversions: 0 });
        let (mut seq, mut naive) = (false, false);
        for _ in 0..looks {
            for _ in 0..per_look {
                c.exposures += 1;
                c.conversions += u64::from(uniform() < rate);
                t.exposures += 1;
                t.conversions += u64::from(uniform() < rate);
            }
            if let Ok(m) = msprt_proportions(c, t, 0.0025, alpha) {
                seq |= m.reject;
            }
            naive |= two_proportion_test(c, t, 1.0 - alpha).unwrap().p_value < alpha;
        }
        seq_alarms += u32::from(seq);
        naive_alarms += u32::from(naive);
    }
    let (seq, naive) = (f64::from(seq_alarms) / streams as f64, f64::from(naive_alarms) / streams as f64);
    assert!(seq <= 0.08, "mSPRT false alarms {seq}");
    assert!(naive > 0.15, "peeking z-test false alarms {naive}: the simulation should show the problem");
}

/// And it finds a real difference.
#[test]
fn msprt_detects_a_clear_difference() {
    let c = Conversions { exposures: 20_000, conversions: 1_000 };
    let t = Conversions { exposures: 20_000, conversions: 1_400 };
    let m = msprt_proportions(c, t, 1e-4, 0.05).unwrap();
    assert!(m.reject && m.ci_low > 0.0 && m.p_value < 0.05);
}
