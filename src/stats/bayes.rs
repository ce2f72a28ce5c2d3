//! Bayesian chance to beat control: the posterior probability that the
//! treatment's true rate (or mean) is above the control's.
//!
//! For rates: each variant's rate has the posterior `Beta(1 + x, 1 + n - x)`
//! (a uniform prior updated by `x` conversions of `n` units), and
//! `P(p_t > p_c) = ∫ f_t(x) F_c(x) dx` is integrated numerically. statrs's
//! Beta CDF cannot be used for `F_c`: its regularized incomplete beta stops
//! its continued fraction after 140 terms and silently answers an
//! unconverged value, 2e-3 off scipy's at 500,000 conversions (measured:
//! `Beta(500001, 9500001).cdf(0.05)` is 0.50141 in statrs 0.18, 0.49965 in
//! scipy). So both posteriors' densities are integrated here, with
//! composite Gauss–Legendre quadrature on panels that cover each
//! posterior's bulk, and `F_c` is the running integral of `f_c` on the
//! same panels.
//!
//! For means: a flat prior and the normal approximation of each mean,
//! `P = Φ((m_t - m_c) / sqrt(v_t/n_t + v_c/n_c))`.

use statrs::distribution::ContinuousCDF;

use super::{std_normal, Conversions, StatsError, Summary};

/// A Gauss–Legendre rule on [-1, 1]: the positive half of its nodes (the
/// rule is symmetric) and their weights, as numpy's `leggauss` gives them.
struct Rule {
    nodes: &'static [f64],
    weights: &'static [f64],
}

/// 16 points: exact for polynomials of degree 31. The outer rule.
const GL16: Rule = Rule {
    nodes: &[
        0.09501250983763744,
        0.2816035507792589,
        0.45801677765722737,
        0.6178762444026438,
        0.755404408355003,
        0.8656312023878318,
        0.9445750230732326,
        0.9894009349916499,
    ],
    weights: &[
        0.18945061045506864,
        0.18260341504492364,
        0.16915651939500265,
        0.1495959888165767,
        0.12462897125553407,
        0.0951585116824926,
        0.062253523938647456,
        0.027152459411754176,
    ],
};

/// 8 points: exact for degree 15. The control's CDF between two outer
/// nodes, a sixth of a panel or less.
const GL8: Rule = Rule {
    nodes: &[0.18343464249564978, 0.525532409916329, 0.7966664774136267, 0.9602898564975362],
    weights: &[0.36268378337836166, 0.3137066458778869, 0.22238103445337443, 0.10122853629037706],
};

impl Rule {
    /// `∫_u^v g`.
    fn integrate(&self, u: f64, v: f64, g: impl Fn(f64) -> f64) -> f64 {
        let (mid, half) = ((u + v) / 2.0, (v - u) / 2.0);
        let mut sum = 0.0;
        for (x, w) in self.nodes.iter().zip(self.weights) {
            sum += w * (g(mid - half * x) + g(mid + half * x));
        }
        sum * half
    }

    /// The nodes mapped onto `[u, v]`, ascending, with their weights.
    fn points(&self, u: f64, v: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        let (mid, half) = ((u + v) / 2.0, (v - u) / 2.0);
        let low = self.nodes.iter().zip(self.weights).rev().map(move |(x, w)| (mid - half * x, w * half));
        let high = self.nodes.iter().zip(self.weights).map(move |(x, w)| (mid + half * x, w * half));
        low.chain(high)
    }
}

/// Where a posterior's bulk ends: the density is `e^-40` (4e-18) of its
/// peak. A Beta density with both shapes at least 1 is log-concave, so the
/// mass beyond that point is below `e^-40` of the whole: nothing a double
/// could show.
const BULK_LOG_DROP: f64 = 40.0;

/// Panels per posterior bulk. Over a normal-like posterior (±8.9 standard
/// deviations at the drop above) a panel is 1.1 sd wide, where 16-point
/// Gauss–Legendre is exact to rounding: 32 panels give the same digits
/// (to 1e-15 on every case of tests/stats.rs) at twice the cost.
const PANELS: usize = 16;

/// A rate's posterior `Beta(a, b)`, known up to its normalizing constant:
/// the density is kept relative to its peak, `exp(kernel(x))`, so it
/// neither overflows nor loses digits at ten million units, and the
/// integrals are normalized by the posterior's own numerically computed
/// mass.
struct Posterior {
    a: f64,
    b: f64,
    mode: f64,
    lo: f64,
    hi: f64,
}

impl Posterior {
    fn new(c: Conversions, field: &'static str) -> Result<Posterior, StatsError> {
        c.rate(field)?;
        let (x, n) = (c.conversions as f64, c.exposures as f64);
        let (a, b) = (1.0 + x, 1.0 + (n - x));
        // n >= 1, so a + b - 2 = n > 0: the mode is the observed rate.
        let mut p = Posterior { a, b, mode: x / n, lo: 0.0, hi: 1.0 };
        if a > 1.0 {
            p.lo = p.bulk_edge(0.0, p.mode);
        }
        if b > 1.0 {
            p.hi = p.bulk_edge(1.0, p.mode);
        }
        Ok(p)
    }

    /// `ln(f(x) / f(mode))`: 0 at the mode, concave, `-inf` at an end the
    /// density vanishes at. Written around the mode with `ln_1p` so the
    /// two terms (each up to `n` times a small number) keep their digits.
    fn kernel(&self, x: f64) -> f64 {
        let m = self.mode;
        let mut k = 0.0;
        if self.a > 1.0 {
            k += (self.a - 1.0) * ((x - m) / m).ln_1p();
        }
        if self.b > 1.0 {
            k += (self.b - 1.0) * (-(x - m) / (1.0 - m)).ln_1p();
        }
        k
    }

    fn density(&self, x: f64) -> f64 {
        let k = self.kernel(x);
        if k.is_nan() {
            0.0
        } else {
            k.exp()
        }
    }

    /// The point between `end` (0 or 1, where the density is 0) and the
    /// mode where the density has fallen to `e^-BULK_LOG_DROP` of its peak,
    /// by bisection (the kernel is monotone on each side of the mode).
    fn bulk_edge(&self, end: f64, mode: f64) -> f64 {
        let (mut out, mut inside) = (end, mode);
        for _ in 0..200 {
            let mid = (out + inside) / 2.0;
            if mid == out || mid == inside {
                break;
            }
            if self.kernel(mid) < -BULK_LOG_DROP {
                out = mid;
            } else {
                inside = mid;
            }
        }
        out
    }

    fn panel_width(&self) -> f64 {
        (self.hi - self.lo) / PANELS as f64
    }

    /// The panels' ends: `PANELS + 1` points from `lo` to `hi`.
    fn breakpoints(&self) -> impl Iterator<Item = f64> + '_ {
        let h = self.panel_width();
        (0..=PANELS).map(move |i| if i == PANELS { self.hi } else { self.lo + h * i as f64 })
    }

    /// `∫_u^v exp(kernel)`, over the part of `[u, v]` inside the bulk, one
    /// `rule` per piece of a panel.
    fn integral(&self, u: f64, v: f64, rule: &Rule) -> f64 {
        let (u, v) = (u.max(self.lo), v.min(self.hi));
        if v <= u {
            return 0.0;
        }
        let h = self.panel_width();
        let first = if h > 0.0 { (((u - self.lo) / h).floor().max(0.0) as usize).min(PANELS - 1) } else { 0 };
        let mut sum = 0.0;
        for i in first..PANELS {
            let start = if i == 0 { self.lo } else { self.lo + h * i as f64 };
            if start >= v {
                break;
            }
            let end = if i + 1 == PANELS { self.hi } else { self.lo + h * (i + 1) as f64 };
            let (a, b) = (u.max(start), v.min(end));
            if b > a {
                sum += rule.integrate(a, b, |x| self.density(x));
            }
        }
        sum
    }
}

/// The posterior probability that the treatment's conversion rate is
/// higher than the control's, `P(p_t > p_c)`, with independent uniform
/// priors: posteriors `Beta(1 + x, 1 + n - x)`. Checked against scipy's
/// `quad` of `beta.pdf · beta.cdf` to 1e-10 (scipy's own accuracy at ten
/// million units), from one unit to a billion, at rates of 0 and near 1.
/// Each variant needs at least one unit.
pub fn chance_to_beat_proportions(control: Conversions, treatment: Conversions) -> Result<f64, StatsError> {
    let (pc, pt) = (control.rate("control")?, treatment.rate("treatment")?);
    if pc + pt > 1.0 {
        // Near 1 a double resolves `1 - p` far better than `p` (1e-16 of 1
        // against the posterior's width): integrate the rates of not
        // converting instead, `P(p_t > p_c) = P(q_c > q_t)`.
        let not = |c: Conversions| Conversions { exposures: c.exposures, conversions: c.exposures - c.conversions };
        return beta_chance(not(treatment), not(control));
    }
    beta_chance(control, treatment)
}

/// `P(p_t > p_c)` for validated conversions.
fn beta_chance(control: Conversions, treatment: Conversions) -> Result<f64, StatsError> {
    let c = Posterior::new(control, "control")?;
    let t = Posterior::new(treatment, "treatment")?;
    // Bulks apart: the answer is 0 or 1 to within 1e-17.
    if c.hi <= t.lo {
        return Ok(1.0);
    }
    if t.hi <= c.lo {
        return Ok(0.0);
    }
    let zc = c.integral(c.lo, c.hi, &GL16);
    let zt = t.integral(t.lo, t.hi, &GL16);
    if !(zc > 0.0 && zt > 0.0 && zc.is_finite() && zt.is_finite()) {
        return Err(StatsError::NotFinite { field: "posterior" });
    }
    // The treatment's panels, split further at the control's panel ends
    // inside them: on every piece both densities are smooth. `F_c` at the
    // piece's nodes is the control's mass below the piece plus its
    // integral from node to node.
    let mut points: Vec<f64> = t.breakpoints().collect();
    points.extend(c.breakpoints().filter(|&x| x > t.lo && x < t.hi));
    points.sort_by(f64::total_cmp);
    points.dedup();

    // The control's (unnormalized) mass below the current piece.
    let mut below = c.integral(c.lo, t.lo, &GL16);
    let mut sum = 0.0;
    for w in points.windows(2) {
        let (u, v) = (w[0], w[1]);
        if v <= c.lo || u >= c.hi {
            // No control mass here: its CDF is flat, 0 or all of it.
            sum += below * t.integral(u, v, &GL16);
            continue;
        }
        let mut prev = u;
        for (x, weight) in GL16.points(u, v) {
            below += c.integral(prev, x, &GL8);
            sum += weight * t.density(x) * below;
            prev = x;
        }
        below += c.integral(prev, v, &GL8);
    }
    let p = sum / (zt * zc);
    if !p.is_finite() {
        return Err(StatsError::NotFinite { field: "chance to beat control" });
    }
    Ok(p.clamp(0.0, 1.0))
}

/// The posterior probability that the treatment's mean is higher than the
/// control's under flat priors and the normal approximation of each mean:
/// `Φ((m_t - m_c) / sqrt(v_t/n_t + v_c/n_c))`. Both groups need at least
/// two observations, and at least one a positive variance
/// ([`StatsError::ZeroVariance`] otherwise).
pub fn chance_to_beat_means(control: Summary, treatment: Summary) -> Result<f64, StatsError> {
    control.check("control")?;
    treatment.check("treatment")?;
    let se2 = control.variance / control.count as f64 + treatment.variance / treatment.count as f64;
    if se2 <= 0.0 {
        return Err(StatsError::ZeroVariance);
    }
    let difference = treatment.mean - control.mean;
    if !difference.is_finite() {
        return Err(StatsError::NotFinite { field: "difference of means" });
    }
    Ok(std_normal().cdf(difference / se2.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_rules_are_exact_to_their_degree() {
        for (rule, degree) in [(&GL16, 31), (&GL8, 15)] {
            let w: f64 = rule.weights.iter().sum::<f64>() * 2.0;
            assert!((w - 2.0).abs() < 1e-14);
            let got = rule.integrate(-1.0, 1.0, |x| x.powi(degree - 1) + x.powi(degree));
            assert!((got - 2.0 / f64::from(degree)).abs() < 1e-14, "{got}");
            let got = rule.integrate(0.0, 2.0, |x| x.powi(5));
            assert!((got - 64.0 / 6.0).abs() < 1e-12, "{got}");
            let points: Vec<(f64, f64)> = rule.points(0.0, 2.0).collect();
            assert!(points.windows(2).all(|p| p[0].0 < p[1].0));
            let sum: f64 = points.iter().map(|(x, w)| w * x.powi(5)).sum();
            assert!((sum - 64.0 / 6.0).abs() < 1e-12, "{sum}");
        }
    }

    #[test]
    fn bulk_holds_the_mass() {
        // Beta(1, 11): density 11 (1-x)^10, all mass near 0.
        let p = Posterior::new(Conversions { exposures: 10, conversions: 0 }, "c").unwrap();
        assert_eq!(p.lo, 0.0);
        assert!(p.hi < 1.0 && p.hi > 0.9);
        // exp(kernel) = (1-x)^10, whose integral is 1/11.
        assert!((p.integral(p.lo, p.hi, &GL16) - 1.0 / 11.0).abs() < 1e-15);
    }
}
