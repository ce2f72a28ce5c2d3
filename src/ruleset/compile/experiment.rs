//! A flag's `experiment` field: the control, the metrics and the plan,
//! checked against what the flag's split can assign.

use super::{field, Checker, Path};
use crate::error::{join, msg, uint};
use crate::experiment::{Goal, MetricKind, MetricSpec, Plan};
use crate::ruleset::model::{Experiment, Rule, Serve, Variant};
use crate::value::Value;

const EXPERIMENT_FIELDS: &[&str] = &["control", "metrics", "rule", "baseline", "mde", "alpha", "power"];
const METRIC_FIELDS: &[&str] = &["event", "kind", "goal"];
/// Most metrics per experiment.
pub(crate) const MAX_METRICS: usize = 20;

/// The compiled `experiment` of a flag whose variants, rules and flag-level
/// serve are already compiled.
pub(super) fn experiment(
    c: &mut Checker,
    path: &Path<'_>,
    v: &Value,
    variants: &[Variant],
    rules: &[Rule],
    fallthrough: Option<&Serve>,
    off: u32,
) -> Option<Box<Experiment>> {
    let mut fv = [None; EXPERIMENT_FIELDS.len()];
    c.fields(path, v, EXPERIMENT_FIELDS, "an experiment", &mut fv)?;
    for f in &mut fv {
        if *f == Some(&Value::Null) {
            *f = None;
        }
    }
    // Which serve assigns the variants: a rule's, or the flag's own.
    let (rule, serve) = match field!(fv, EXPERIMENT_FIELDS, "rule") {
        Some(r) => {
            let rp = path.key("rule");
            let id = c.name(&rp, r, "rule")?;
            let Some(i) = rules.iter().position(|x| &*x.id == id) else {
                let ids: Vec<&str> = rules.iter().map(|r| &*r.id).collect();
                let known = if ids.is_empty() { "none".into() } else { join(&ids, ", ") };
                c.err(&rp, msg!["no rule has id \"", id, "\" (the flag's rules: ", known, ")"]);
                return None;
            };
            (Some(i as u32), Some(&rules[i].serve))
        }
        None => (None, fallthrough),
    };
    let assigned = match serve {
        Some(Serve::Split(w)) => w.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        Some(Serve::Rollout { variant, .. }) => vec![*variant, off],
        _ => {
            let what = if rule.is_some() { "the rule named by experiment.rule" } else { "the flag" };
            c.err(
                path,
                msg![
                    "an experiment needs a random assignment: give ",
                    what,
                    " a split or a percentage (an experiment on a rule's split names it with \"rule\")"
                ],
            );
            return None;
        }
    };
    let control = match field!(fv, EXPERIMENT_FIELDS, "control") {
        None => {
            c.err(path, "an experiment needs \"control\": the variant the others are compared with");
            None
        }
        Some(cv) => {
            let cp = path.key("control");
            let name = c.name(&cp, cv, "control")?;
            match variants.iter().position(|v| &*v.name == name) {
                Some(i) if assigned.contains(&(i as u32)) => Some(i as u32),
                _ => {
                    let names: Vec<&str> = assigned.iter().map(|&i| &*variants[i as usize].name).collect();
                    c.err(
                        &cp,
                        msg![
                            "the control \"",
                            name,
                            "\" is not a variant the split assigns (",
                            join(&names, ", "),
                            ")"
                        ],
                    );
                    None
                }
            }
        }
    };
    let metrics = metrics(c, path, field!(fv, EXPERIMENT_FIELDS, "metrics"));
    let plan = plan(c, path, &fv);
    Some(Box::new(Experiment { control: control?, rule, metrics: metrics?, plan: plan? }))
}

fn metrics(c: &mut Checker, path: &Path<'_>, v: Option<&Value>) -> Option<Vec<MetricSpec>> {
    let mp = path.key("metrics");
    let Some(v) = v else {
        c.err(
            path,
            "an experiment needs \"metrics\": the tracked events it measures, e.g. [{\"event\": \"purchase\"}]",
        );
        return None;
    };
    let items = c.array(&mp, v, MAX_METRICS)?;
    if items.is_empty() {
        c.err(&mp, "an experiment needs at least one metric");
        return None;
    }
    let mut out: Vec<MetricSpec> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, m) in items.iter().enumerate() {
        let ip = mp.idx(i);
        // `"purchase"` is short for `{"event": "purchase"}`.
        let mut f = [None; METRIC_FIELDS.len()];
        if let Value::String(_) = m {
            f[0] = Some(m);
        } else if c.fields(&ip, m, METRIC_FIELDS, "a metric", &mut f).is_none() {
            ok = false;
            continue;
        }
        let event = match field!(f, METRIC_FIELDS, "event") {
            Some(e) => c.name(&ip.key("event"), e, "event"),
            None => {
                c.err(&ip, "a metric needs \"event\": the name passed to track()");
                None
            }
        };
        let kind = match field!(f, METRIC_FIELDS, "kind") {
            None => Some(MetricKind::Conversion),
            Some(k) => match k.as_str() {
                Some("conversion") => Some(MetricKind::Conversion),
                Some("mean") => Some(MetricKind::Mean),
                _ => {
                    c.err(&ip.key("kind"), "kind must be \"conversion\" or \"mean\"");
                    None
                }
            },
        };
        let goal = match field!(f, METRIC_FIELDS, "goal") {
            None => Some(Goal::Increase),
            Some(g) => match g.as_str() {
                Some("increase") => Some(Goal::Increase),
                Some("decrease") => Some(Goal::Decrease),
                _ => {
                    c.err(&ip.key("goal"), "goal must be \"increase\" or \"decrease\"");
                    None
                }
            },
        };
        match (event, kind, goal) {
            (Some(event), Some(kind), Some(goal)) => {
                if out.iter().any(|m| &*m.event == event) {
                    c.err(&ip.key("event"), msg!["the event \"", event, "\" is already a metric of this experiment"]);
                    ok = false;
                } else {
                    out.push(MetricSpec { event: event.into(), kind, goal });
                }
            }
            _ => ok = false,
        }
    }
    if out.len() > MAX_METRICS {
        c.err(&mp, msg!["more than ", uint(MAX_METRICS), " metrics"]);
    }
    ok.then_some(out)
}

fn plan(c: &mut Checker, path: &Path<'_>, fv: &[Option<&Value>]) -> Option<Plan> {
    let fields = [
        ("baseline", field!(fv, EXPERIMENT_FIELDS, "baseline"), true),
        ("mde", field!(fv, EXPERIMENT_FIELDS, "mde"), false),
        ("alpha", field!(fv, EXPERIMENT_FIELDS, "alpha"), true),
        ("power", field!(fv, EXPERIMENT_FIELDS, "power"), true),
    ];
    let mut read = [None; 4];
    let mut ok = true;
    for (i, (name, v, open_unit)) in fields.into_iter().enumerate() {
        let Some(v) = v else { continue };
        let p = path.key(name);
        match c.number(&p, v) {
            Some(n) if open_unit && n > 0.0 && n < 1.0 => read[i] = Some(n),
            Some(n) if !open_unit && n > 0.0 && n.is_finite() => read[i] = Some(n),
            Some(_) => {
                let range = if open_unit { "between 0 and 1 (exclusive)" } else { "greater than 0" };
                c.err(&p, msg![name, " must be ", range]);
                ok = false;
            }
            None => ok = false,
        }
    }
    let d = Plan::default();
    let plan = Plan {
        baseline: read[0],
        mde: read[1].unwrap_or(d.mde),
        alpha: read[2].unwrap_or(d.alpha),
        power: read[3].unwrap_or(d.power),
    };
    ok.then_some(plan)
}
