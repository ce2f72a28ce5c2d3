//! The human form of an experiment's [`Report`] (the `--json` form is the
//! core's `impl Serialize`): the verdict first, then assignment, the split
//! check, sample-size progress, and one table per metric. A figure the
//! report leaves out (`None`) prints as `-`.

use edgeflags::experiment::{Comparison, MetricKind, MetricReport, MetricValue, Report, VerdictStatus};
use edgeflags::stats::Interval;

/// The report, one line per entry.
pub fn report(r: &Report) -> Vec<String> {
    let v = &r.verdict;
    let head = match (&v.variant, v.status) {
        (Some(name), _) => format!("{}: {} ({name})", r.flag, v.status.as_str()),
        (None, _) => format!("{}: {}", r.flag, v.status.as_str()),
    };
    let mut out = vec![head, format!("  {}", v.message), String::new()];

    let total_weight: f64 = r.variants.iter().map(|v| v.weight).filter(|w| *w > 0.0).sum();
    let assigned: Vec<String> = r
        .variants
        .iter()
        .map(|x| {
            let share = if total_weight > 0.0 { x.weight / total_weight * 100.0 } else { 0.0 };
            let control = if x.name == r.control { ", control" } else { "" };
            format!("{} {} ({}%{control})", x.name, thousands(x.units), trim(share, 1))
        })
        .collect();
    out.push(format!("  units    {}", assigned.join(", ")));
    if r.multiple_exposures > 0 {
        out.push(format!(
            "           {} unit{} exposed to several variants, left out",
            thousands(r.multiple_exposures),
            if r.multiple_exposures == 1 { "" } else { "s" }
        ));
    }
    out.push(match &r.srm {
        Some(s) if s.mismatch => {
            format!("  split    MISMATCH: sample ratio test p {} (below 0.001)", p_text(Some(s.p_value)))
        }
        Some(s) => format!("  split    as configured (sample ratio test p {})", p_text(Some(s.p_value))),
        None => "  split    not checked yet (no exposures)".to_string(),
    });
    let ss = &r.sample_size;
    out.push(match (ss.per_variant_needed, ss.progress, ss.baseline) {
        (Some(n), Some(p), Some(b)) => {
            let pace = match ss.days_remaining {
                Some(d) if d <= 0.0 => ", reached".to_string(),
                Some(d) => format!(", about {} more day{}", trim(d.ceil(), 0), if d.ceil() == 1.0 { "" } else { "s" }),
                None => String::new(),
            };
            format!(
                "  size     {} of {} units per variant ({}%) for +{}% relative on a {}% baseline; {} days in{pace}",
                thousands(ss.smallest_variant_units),
                thousands(n),
                trim(p * 100.0, 1),
                trim(ss.mde * 100.0, 2),
                trim(b * 100.0, 3),
                trim(ss.days_elapsed, 1)
            )
        }
        _ => "  size     unknown: no baseline yet (set the plan's \"baseline\", or wait for control conversions)"
            .to_string(),
    });
    let confidence = trim((1.0 - ss.alpha) * 100.0, 1);
    for m in &r.metrics {
        out.push(String::new());
        out.extend(metric(m, &confidence));
    }
    if matches!(v.status, VerdictStatus::SampleRatioMismatch) {
        out.push(String::new());
        out.push("  (the figures above are shown for diagnosis only: the split does not match)".into());
    }
    out
}

fn metric(m: &MetricReport, confidence: &str) -> Vec<String> {
    let goal = match m.goal {
        edgeflags::experiment::Goal::Increase => "higher is better",
        edgeflags::experiment::Goal::Decrease => "lower is better",
    };
    let conversion = m.kind == MetricKind::Conversion;
    let mut rows = vec![vec![
        "variant".to_string(),
        "units".into(),
        if conversion { "converted".into() } else { "mean".into() },
        if conversion { "rate".into() } else { "sd".into() },
        format!("difference ({confidence}% CI)"),
        format!("relative ({confidence}% CI)"),
        "p-value".into(),
        "chance to beat".into(),
        "always-valid p".into(),
        "significant".into(),
    ]];
    for v in &m.variants {
        let (a, b) = match v.value {
            MetricValue::Conversion { converted, rate } => {
                (thousands(converted), rate.map_or("-".into(), |r| format!("{:.2}%", r * 100.0)))
            }
            MetricValue::Mean { mean, variance } => {
                (mean.map_or("-".into(), sig), variance.map_or("-".into(), |x| sig(x.sqrt())))
            }
        };
        let mut row = vec![v.name.clone(), thousands(v.units), a, b];
        match &v.vs_control {
            None => row.extend([
                "(control)".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]),
            Some(c) => row.extend(comparison(c, conversion)),
        }
        rows.push(row);
    }
    let mut out = vec![format!("  {} ({}, {goal})", m.event, m.kind.as_str())];
    out.extend(table(&rows).into_iter().map(|l| format!("    {l}")));
    out
}

fn comparison(c: &Comparison, conversion: bool) -> [String; 6] {
    let absolute = c.absolute.map_or("-".into(), |i| {
        if conversion {
            let pp = |x: f64| format!("{:+.2}", x * 100.0);
            format!("{} pp [{}, {}]", pp(i.estimate), pp(i.ci_low), pp(i.ci_high))
        } else {
            format!("{} [{}, {}]", signed_sig(i.estimate), signed_sig(i.ci_low), signed_sig(i.ci_high))
        }
    });
    let relative = c.relative.map_or("-".into(), |i: Interval| {
        let pc = |x: f64| format!("{:+.1}%", x * 100.0);
        format!("{} [{}, {}]", pc(i.estimate), pc(i.ci_low), pc(i.ci_high))
    });
    [
        absolute,
        relative,
        p_text(c.p_value),
        c.chance_to_beat_control.map_or("-".into(), |p| format!("{:.1}%", p * 100.0)),
        p_text(c.sequential.map(|s| s.p_value)),
        if c.significant { "yes".into() } else { "no".into() },
    ]
}

/// Columns padded to their widest cell: the first left-aligned, the rest
/// right-aligned; trailing blanks trimmed.
fn table(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    let w = width.get(c).copied().unwrap_or(0);
                    if c == 0 {
                        format!("{s:<w$}")
                    } else {
                        format!("{s:>w$}")
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn p_text(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(p) if p < 1e-4 => "<0.0001".into(),
        Some(p) => format!("{p:.4}"),
    }
}

/// At most `digits` decimals, trailing zeros dropped.
pub(crate) fn trim(x: f64, digits: usize) -> String {
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// About four significant digits (at most six decimals).
fn sig(x: f64) -> String {
    let magnitude = if x == 0.0 { 0 } else { x.abs().log10().floor() as i32 };
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    format!("{x:.decimals$}")
}

fn signed_sig(x: f64) -> String {
    let s = sig(x);
    if x >= 0.0 {
        format!("+{s}")
    } else {
        s
    }
}
