#!/usr/bin/env python3
"""Writes reference.json: the figures of edgeflags::stats computed by scipy.

    python3 -m pip install scipy   # any recent scipy; 1.17.1 made the file
    python3 tests/vectors/stats/gen.py           # rewrite reference.json
    python3 tests/vectors/stats/gen.py --check   # exit 1 if it would change

Distributions (normal, Student t, chi-squared: cdf, sf, ppf) are scipy's;
Welch's test is scipy.stats.ttest_ind_from_stats(equal_var=False) and the
SRM test scipy.stats.chisquare. The chance to beat control of two rates is
scipy.integrate.quad of beta.pdf * beta.cdf (checked here against the other
order of integration, and against the closed-form sum where it is exact).
The pooled z-test, the Wald interval, the sample size, the relative change
and the mSPRT are the documented formulas (docs/statistics.md) written out
here with scipy's distributions, independently of the Rust code.
"""
import json
import math
import os
import sys

import scipy
from scipy import integrate, special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "reference.json")


def proportions(name, x1, n1, x2, n2, confidence=0.95):
    p1, p2 = x1 / n1, x2 / n2
    diff = p2 - p1
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p = min(1.0, 2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = stats.norm.ppf(1 - (1 - confidence) / 2) * se
    alpha = 1 - confidence
    verdict = "inconclusive"
    if p < alpha:
        verdict = "better" if diff > 0 else "worse" if diff < 0 else "inconclusive"
    return {
        "name": name,
        "control": {"exposures": n1, "conversions": x1},
        "treatment": {"exposures": n2, "conversions": x2},
        "confidence": confidence,
        "expect": {
            "control_rate": p1, "treatment_rate": p2, "absolute_lift": diff,
            "relative_lift": diff / p1 if p1 > 0 else None,
            "z": z, "p_value": p, "ci_low": diff - half, "ci_high": diff + half,
            "verdict": verdict,
        },
    }


def sample_size(name, baseline, kind, effect, alpha=0.05, power=0.8, variants=2, daily=None):
    p1 = baseline
    p2 = p1 * (1 + effect) if kind == "relative" else p1 + effect
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    exact = (za + zb) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2
    # Refuse a case that rounding could decide.
    frac = exact - math.floor(exact)
    assert 1e-6 < frac < 1 - 1e-6, (name, exact)
    n = math.ceil(exact)
    case = {"name": name, "baseline": baseline, "effect": {kind: effect}, "alpha": alpha, "power": power,
            "expect": {"exact": exact, "per_variant": n, "treatment_rate": p2}}
    if daily is not None:
        days = n * variants / daily
        assert abs(days - round(days)) > 1e-9 or days == round(days), (name, days)
        case["variants"] = variants
        case["daily_traffic"] = daily
        case["expect"]["days"] = math.ceil(days)
    return case


def srm(name, observed, weights):
    total = sum(observed)
    pos = [(o, w) for o, w in zip(observed, weights) if w > 0]
    wsum = sum(weights)
    expected = [total * w / wsum for _, w in pos]
    res = stats.chisquare([o for o, _ in pos], expected)
    return {"name": name, "observed": observed, "weights": weights,
            "expect": {"statistic": float(res.statistic), "df": len(pos) - 1, "p_value": float(res.pvalue),
                       "srm": bool(res.pvalue < 0.001)}}


def welch(name, c, t, confidence=0.95):
    (n1, m1, v1), (n2, m2, v2) = c, t
    res = stats.ttest_ind_from_stats(m2, math.sqrt(v2), n2, m1, math.sqrt(v1), n1, equal_var=False)
    a, b = v1 / n1, v2 / n2
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    half = stats.t.ppf(1 - (1 - confidence) / 2, df) * math.sqrt(a + b)
    diff = m2 - m1
    p = float(res.pvalue)
    verdict = "inconclusive"
    if p < 1 - confidence:
        verdict = "better" if diff > 0 else "worse"
    return {"name": name, "control": {"count": n1, "mean": m1, "variance": v1},
            "treatment": {"count": n2, "mean": m2, "variance": v2}, "confidence": confidence,
            "expect": {"difference": diff, "relative_difference": diff / m1 if m1 != 0 else None,
                       "t": float(res.statistic), "df": df, "p_value": p,
                       "ci_low": diff - half, "ci_high": diff + half, "verdict": verdict}}


def msprt(name, x1, n1, x2, n2, tau2, alpha=0.05):
    p1, p2 = x1 / n1, x2 / n2
    v = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    d = p2 - p1
    ln_l = 0.5 * math.log(v / (v + tau2)) + d * d * tau2 / (2 * v * (v + tau2))
    half = math.sqrt(v * (v + tau2) / tau2 * (math.log((v + tau2) / v) - 2 * math.log(alpha)))
    return {"name": name, "control": {"exposures": n1, "conversions": x1},
            "treatment": {"exposures": n2, "conversions": x2}, "tau2": tau2, "alpha": alpha,
            "expect": {"difference": d, "variance": v, "lambda": math.exp(ln_l), "p_value": min(1.0, math.exp(-ln_l)),
                       "ci_low": d - half, "ci_high": d + half, "reject": ln_l >= -math.log(alpha)}}


def msprt_means(name, c, t, tau2, alpha=0.05):
    (n1, m1, v1), (n2, m2, v2) = c, t
    v = v1 / n1 + v2 / n2
    d = m2 - m1
    ln_l = 0.5 * math.log(v / (v + tau2)) + d * d * tau2 / (2 * v * (v + tau2))
    half = math.sqrt(v * (v + tau2) / tau2 * (math.log((v + tau2) / v) - 2 * math.log(alpha)))
    return {"name": name, "control": {"count": n1, "mean": m1, "variance": v1},
            "treatment": {"count": n2, "mean": m2, "variance": v2}, "tau2": tau2, "alpha": alpha,
            "expect": {"difference": d, "variance": v, "lambda": math.exp(ln_l), "p_value": min(1.0, math.exp(-ln_l)),
                       "ci_low": d - half, "ci_high": d + half, "reject": ln_l >= -math.log(alpha)}}


def posterior(x, n):
    """Beta(1 + x, 1 + n - x): a uniform prior updated by x of n."""
    return 1 + x, 1 + n - x


def beta_quad(f, a, b, others):
    """quad of f over the bulk of Beta(a, b) (all but 2e-16 of its mass),
    split at the bulk's median and at the other posterior's bulk ends and
    median, where f may turn sharply."""
    lo, hi = stats.beta.ppf(1e-16, a, b), stats.beta.isf(1e-16, a, b)
    oa, ob = others
    marks = [stats.beta.ppf(1e-12, oa, ob), stats.beta.median(oa, ob), stats.beta.isf(1e-12, oa, ob),
             stats.beta.median(a, b)]
    points = sorted(p for p in marks if lo < p < hi)
    value, _ = integrate.quad(f, lo, hi, points=points, epsabs=1e-14, epsrel=1e-12, limit=2000)
    return value


def chance_proportions(name, xc, nc, xt, nt):
    case = {"name": name, "control": {"exposures": nc, "conversions": xc},
            "treatment": {"exposures": nt, "conversions": xt}}
    if xc / nc + xt / nt > 1:
        # Rates near 1: doubles resolve 1 - p far better than p there, so
        # integrate the rates of not converting, P(p_t > p_c) = P(q_c > q_t).
        xc, nc, xt, nt = nt - xt, nt, nc - xc, nc
    ac, bc = posterior(xc, nc)
    at, bt = posterior(xt, nt)
    # P(p_t > p_c) = integral of f_t(x) F_c(x); and again as 1 - integral of
    # f_c(y) F_t(y) (the same probability integrated the other way).
    p = beta_quad(lambda x: stats.beta.pdf(x, at, bt) * stats.beta.cdf(x, ac, bc), at, bt, (ac, bc))
    q = 1 - beta_quad(lambda y: stats.beta.pdf(y, ac, bc) * stats.beta.cdf(y, at, bt), ac, bc, (at, bt))
    # scipy's beta pdf and cdf are good to about 1e-11 relative at ten
    # million units (against mpmath at 30 digits), so the two orders agree
    # to a few 1e-11 there, and to 1e-14 on small samples.
    assert abs(p - q) < 5e-11, (name, p, q)
    if nc + nt <= 20000:
        # The closed form for a whole-number treatment shape (Evan Miller,
        # "Formulas for Bayesian A/B testing"): exact, but scipy's betaln
        # loses digits in it as the shapes grow (8e-12 at 20,000 units, 7e-10
        # at two million).
        i = [float(k) for k in range(int(at))]
        logs = [special.betaln(ac + k, bc + bt) - math.log(bt + k) - special.betaln(1 + k, bt) - special.betaln(ac, bc)
                for k in i]
        exact = math.exp(special.logsumexp(logs))
        assert abs(p - exact) < 1e-10, (name, p, exact)
    case["expect"] = {"chance_to_beat": min(1.0, max(0.0, p))}
    return case


def chance_means(name, c, t):
    (n1, m1, v1), (n2, m2, v2) = c, t
    z = (m2 - m1) / math.sqrt(v1 / n1 + v2 / n2)
    return {"name": name, "control": {"count": n1, "mean": m1, "variance": v1},
            "treatment": {"count": n2, "mean": m2, "variance": v2},
            "expect": {"chance_to_beat": float(stats.norm.cdf(z))}}


def relative(name, control, treatment, confidence=0.95):
    """The delta-method interval of m_t/m_c - 1. control and treatment are
    {"exposures", "conversions"} (a rate, variance p(1-p)/n) or {"count",
    "mean", "variance"} (a mean, variance s^2/n)."""
    def estimate(v):
        if "exposures" in v:
            p = v["conversions"] / v["exposures"]
            return p, p * (1 - p) / v["exposures"]
        return v["mean"], v["variance"] / v["count"]
    (mc, vc), (mt, vt) = estimate(control), estimate(treatment)
    if mc == 0:
        expect = None
    else:
        r = mt / mc - 1
        var = vt / mc ** 2 + mt ** 2 * vc / mc ** 4
        half = stats.norm.ppf(1 - (1 - confidence) / 2) * math.sqrt(var)
        expect = {"estimate": r, "ci_low": r - half, "ci_high": r + half}
    return {"name": name, "control": control, "treatment": treatment, "confidence": confidence, "expect": expect}


def conv(n, x):
    return {"exposures": n, "conversions": x}


def mean(n, m, v):
    return {"count": n, "mean": m, "variance": v}


def build():
    return {
        "description": "edgeflags::stats reference values, computed by scipy (tests/vectors/stats/gen.py)",
        "scipy": scipy.__version__,
        "proportions": [
            proportions("design notes scale", 500, 10000, 560, 10000),
            proportions("significant winner", 1000, 20000, 1150, 20000),
            proportions("significant loser", 1150, 20000, 1000, 20000),
            proportions("equal rates", 50, 1000, 100, 2000),
            proportions("tiny samples", 1, 3, 2, 4),
            proportions("one unit each", 0, 1, 1, 1),
            proportions("no conversions at all", 0, 500, 0, 700),
            proportions("everyone converts", 300, 300, 400, 400),
            proportions("control zero rate", 0, 1000, 5, 1000),
            proportions("rates near 0", 3, 1000000, 17, 1000000),
            proportions("rates near 1", 999990, 1000000, 999970, 1000000),
            proportions("huge samples tiny lift", 50000000, 1000000000, 50010000, 1000000000),
            proportions("huge samples clear lift", 50000000, 1000000000, 51000000, 1000000000),
            proportions("unequal sizes", 120, 1500, 900, 9000),
            proportions("confidence 90", 500, 10000, 560, 10000, 0.90),
            proportions("confidence 99", 1000, 20000, 1150, 20000, 0.99),
            proportions("p below 1e-100", 10000, 100000, 20000, 100000),
        ],
        "sample_size": [
            sample_size("design notes example", 0.05, "relative", 0.1),
            sample_size("design notes with traffic", 0.05, "relative", 0.1, daily=5000),
            sample_size("three variants", 0.05, "relative", 0.1, variants=3, daily=7000),
            sample_size("absolute effect", 0.05, "absolute", 0.01),
            sample_size("negative relative effect", 0.2, "relative", -0.05),
            sample_size("negative absolute effect", 0.5, "absolute", -0.02),
            sample_size("tiny baseline", 0.001, "relative", 0.2, 0.05, 0.9),
            sample_size("high baseline", 0.95, "absolute", 0.03, 0.01, 0.95),
            sample_size("large effect", 0.3, "relative", 1.0, 0.1, 0.8),
            sample_size("strict", 0.1, "relative", 0.02, 0.001, 0.99, daily=123456),
        ],
        "srm": [
            srm("even no srm", [5000, 5013], [50, 50]),
            srm("even srm", [5000, 5400], [50, 50]),
            srm("unequal weights no srm", [9012, 988], [90, 10]),
            srm("unequal weights srm", [8900, 1100], [0.9, 0.1]),
            srm("three way", [3300, 3400, 3350], [1, 1, 1]),
            srm("three way srm", [3300, 3600, 3000], [1, 1, 1]),
            srm("weights not normalized", [2480, 2520, 5000], [25, 25, 50]),
            srm("zero weight unused", [500, 0, 520], [50, 0, 50]),
            srm("tiny counts", [1, 2], [1, 1]),
            srm("all in one", [0, 100], [1, 1]),
            srm("huge", [500000000, 500050000], [1, 1]),
            srm("exact", [250, 750], [1, 3]),
        ],
        "welch": [
            welch("equal variances", (100, 10.0, 4.0), (100, 10.5, 4.0)),
            welch("unequal variances", (50, 20.0, 25.0), (200, 21.5, 2.0)),
            welch("significant", (1000, 100.0, 400.0), (1200, 104.0, 900.0)),
            welch("worse", (1000, 100.0, 400.0), (1200, 96.0, 900.0)),
            welch("tiny samples", (2, 1.0, 0.5), (3, 2.0, 1.0)),
            welch("one zero variance", (10, 5.0, 0.0), (10, 6.0, 2.0)),
            welch("equal means", (30, 3.0, 1.0), (40, 3.0, 9.0)),
            welch("control mean zero", (30, 0.0, 1.0), (40, 0.5, 2.0)),
            welch("huge samples", (2000000, 250.0, 10000.0), (2000000, 250.3, 10400.0)),
            welch("hundred million units", (100000000, 250.0, 10000.0), (100000000, 250.03, 10400.0)),
            welch("just above a million df", (600000, 3.0, 4.0), (600000, 3.01, 4.1)),
            welch("just below a million df", (400000, 3.0, 4.0), (400000, 3.02, 4.1)),
            welch("confidence 99", (80, 1.0, 0.25), (90, 1.2, 0.36), 0.99),
            welch("latency like", (5000, 120.0, 3600.0), (300, 180.0, 40000.0)),
        ],
        "msprt": [
            msprt("no difference", 500, 10000, 500, 10000, 0.0001),
            msprt("small difference", 500, 10000, 560, 10000, 0.0001),
            msprt("clear difference", 1000, 20000, 1400, 20000, 0.0001),
            msprt("error rate canary", 10, 10000, 200, 1000, 0.0004),
            msprt("huge", 5000000, 100000000, 5020000, 100000000, 0.00001),
            msprt("tiny", 1, 10, 3, 10, 0.01),
        ],
        "msprt_means": [
            msprt_means("no difference", (1000, 20.0, 100.0), (1000, 20.0, 100.0), 4.0),
            msprt_means("small difference", (1000, 20.0, 100.0), (1000, 20.5, 110.0), 4.0),
            msprt_means("clear difference", (5000, 20.0, 100.0), (5000, 21.5, 100.0), 4.0),
            msprt_means("worse", (5000, 20.0, 100.0), (5000, 18.5, 120.0), 4.0),
            msprt_means("tiny", (2, 1.0, 0.5), (3, 2.0, 1.0), 0.01),
            msprt_means("huge", (2000000, 250.0, 10000.0), (2000000, 250.3, 10400.0), 625.0),
            msprt_means("one zero variance", (10, 5.0, 0.0), (10, 6.0, 2.0), 0.25, 0.1),
        ],
        "chance_to_beat_proportions": [
            chance_proportions("equal", 500, 10000, 500, 10000),
            chance_proportions("small lift", 500, 10000, 560, 10000),
            chance_proportions("clear winner", 1000, 20000, 1150, 20000),
            chance_proportions("clear loser", 1150, 20000, 1000, 20000),
            chance_proportions("tiny samples", 1, 3, 2, 4),
            chance_proportions("one unit each", 0, 1, 1, 1),
            chance_proportions("no conversions at all", 0, 500, 0, 700),
            chance_proportions("control zero rate", 0, 1000, 5, 1000),
            chance_proportions("everyone converts", 300, 300, 400, 400),
            chance_proportions("rates near 0", 3, 1000000, 17, 1000000),
            chance_proportions("rates near 1", 999990, 1000000, 999970, 1000000),
            chance_proportions("ten million, rates 0 and 2", 0, 10000000, 2, 10000000),
            chance_proportions("ten million, rates near 0", 10, 10000000, 15, 10000000),
            chance_proportions("ten million, typical", 500000, 10000000, 502000, 10000000),
            chance_proportions("narrow control, wide treatment", 50000, 1000000, 5, 100),
            chance_proportions("wide control, narrow treatment", 5, 100, 50000, 1000000),
            chance_proportions("far apart", 100, 1000, 500, 1000),
            chance_proportions("unequal sizes", 120, 1500, 900, 9000),
            chance_proportions("a billion", 50000000, 1000000000, 50010000, 1000000000),
        ],
        "chance_to_beat_means": [
            chance_means("equal", (100, 10.0, 4.0), (100, 10.0, 4.0)),
            chance_means("small lift", (100, 10.0, 4.0), (100, 10.5, 4.0)),
            chance_means("unequal variances", (50, 20.0, 25.0), (200, 21.5, 2.0)),
            chance_means("worse", (1000, 100.0, 400.0), (1200, 96.0, 900.0)),
            chance_means("one zero variance", (10, 5.0, 0.0), (10, 6.0, 2.0)),
            chance_means("far apart", (1000, 100.0, 1.0), (1000, 50.0, 1.0)),
        ],
        "relative_change": [
            relative("rates", conv(10000, 500), conv(10000, 560)),
            relative("rates, loser", conv(20000, 1150), conv(20000, 1000)),
            relative("rates, control zero", conv(1000, 0), conv(1000, 5)),
            relative("rates, treatment zero", conv(1000, 5), conv(1000, 0)),
            relative("rates near 0", conv(1000000, 3), conv(1000000, 17)),
            relative("rates, 99%", conv(20000, 1000), conv(20000, 1150), 0.99),
            relative("rates, everyone converts", conv(300, 300), conv(400, 400)),
            relative("means", mean(1000, 100.0, 400.0), mean(1200, 104.0, 900.0)),
            relative("means, control zero", mean(30, 0.0, 1.0), mean(40, 0.5, 2.0)),
            relative("means, negative control", mean(500, -2.0, 9.0), mean(500, -1.5, 9.0)),
            relative("means, 90%", mean(80, 1.0, 0.25), mean(90, 1.2, 0.36), 0.90),
            relative("means, huge", mean(2000000, 250.0, 10000.0), mean(2000000, 250.3, 10400.0)),
        ],
    }


def main():
    text = json.dumps(build(), indent=1) + "\n"
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                print("reference.json differs from what gen.py writes", file=sys.stderr)
                sys.exit(1)
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
