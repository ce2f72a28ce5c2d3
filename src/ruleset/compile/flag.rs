//! A flag: its type and variants, the design notes' shorthands, the
//! default and off variants, the kill switch and bucketing, user lists and
//! targets, rules, the flag-level rollout or split, whether browsers may
//! see it (`client`), and cleanup metadata. The `experiment` and `rollout`
//! fields are read in their own files.
//! Prerequisites, which name other flags, are read in `prerequisite.rs`.
//!
//! The seeds' shorthands are read here and expanded into the full form, so
//! evaluation has one code path: `true`/`false`, a bare number (a
//! percentage), a bare list (user ids), and objects with `users`,
//! `percentage`, `enabled` (plus the `DatabaseFeatureFlags` column names
//! `rollout_percentage` and `allowed_users`).

use super::condition::{conditions, Scope};
use super::prerequisite::{self, Pending};
use super::schedule::schedule;
use super::{field, Checker, Names, Path, FLAGS};
use crate::context::number_str;
use crate::error::{join, msg, uint};
use crate::limits::{MAX_NAME_LEN, MAX_RULES, MAX_STRING_LEN, MAX_VARIANTS};
use crate::ruleset::model::{
    Flag, FlagId, FlagType, Metadata, Percentage, Rollout, Rule, Serve, Target, Users, Variant, NO_SLOT,
};
use crate::value::Value;

pub(crate) const FLAG_FIELDS: &[&str] = &[
    "type",
    "variants",
    "enabled",
    "default_variant",
    "off_variant",
    "killed",
    "salt",
    "bucket_by",
    "prerequisites",
    "users",
    "allowed_users",
    "targets",
    "rules",
    "percentage",
    "rollout_percentage",
    "schedule",
    "split",
    "rollout_variant",
    "owner",
    "description",
    "created",
    "expires",
    "tags",
    "client",
    "experiment",
    "rollout",
];
const TARGET_FIELDS: &[&str] = &["variant", "users"];
const RULE_FIELDS: &[&str] =
    &["id", "description", "conditions", "variant", "percentage", "schedule", "split", "rollout"];
const SPLIT_FIELDS: &[&str] = &["variant", "weight"];

/// A flag object's fields, in [`FLAG_FIELDS`] order (read with [`field!`]).
type FlagFields<'v> = [Option<&'v Value>; FLAG_FIELDS.len()];

/// Compiles the `flags` object's members, in document order (a flag's
/// position is its [`FlagId`]), then resolves their prerequisites.
pub(super) fn flags(c: &mut Checker, members: &[(String, Value)], names: &Names) -> Vec<Flag> {
    let mut flags = Vec::with_capacity(members.len());
    let mut pending = Vec::new();
    for (i, (key, v)) in members.iter().enumerate() {
        let path = FLAGS.key(key);
        flags.push(flag(c, &path, key, FlagId(i as u32), v, names, &mut pending));
    }
    prerequisite::resolve(c, &mut flags, pending, members);
    flags
}

/// Expands the seeds' non-object shorthands into the object form.
pub(crate) fn expand_shorthand(v: &Value) -> Option<Value> {
    match v {
        Value::Bool(b) => Some(Value::Object(vec![("enabled".into(), Value::Bool(*b))])),
        Value::Number(_) => Some(Value::Object(vec![("percentage".into(), v.clone())])),
        Value::Array(_) => Some(Value::Object(vec![("users".into(), v.clone())])),
        _ => None,
    }
}

/// Compiles one flag; its prerequisites go to `pending`. The parts are
/// read in this order, which is the order their problems are reported in.
fn flag(
    c: &mut Checker,
    path: &Path<'_>,
    key: &str,
    id: FlagId,
    v: &Value,
    names: &Names,
    pending: &mut Vec<Pending>,
) -> Flag {
    let expanded = expand_shorthand(v);
    let v = expanded.as_ref().unwrap_or(v);
    let mut fv: FlagFields<'_> = [None; FLAG_FIELDS.len()];
    let what = "a flag (or true/false, a percentage, a list of user ids)";
    let Some(members) = c.fields(path, v, FLAG_FIELDS, what, &mut fv) else {
        // Loading fails; the flag only keeps later references to it checkable.
        return new_flag(key, bool_variants());
    };
    // `null` means "not set", as in the seeds' nullable database columns
    // (`rollout_percentage = NULL`).
    for v in &mut fv {
        if *v == Some(&Value::Null) {
            *v = None;
        }
    }

    // Variants and their type come first: everything else names them.
    let variants = match field!(fv, FLAG_FIELDS, "variants") {
        None => bool_variants(),
        Some(vs) => read_variants(c, &path.key("variants"), vs),
    };
    let kind = flag_type(c, path, field!(fv, FLAG_FIELDS, "type"), &variants);
    let vs = Variants(&variants);
    let (default, off) = default_and_off(c, path, &fv, vs);
    let killed = field!(fv, FLAG_FIELDS, "killed").is_some_and(|k| c.bool(&path.key("killed"), k) == Some(true));
    let salt = match field!(fv, FLAG_FIELDS, "salt") {
        Some(s) => c.string(&path.key("salt"), s, MAX_STRING_LEN).unwrap_or(key),
        None => key,
    };
    let bucket_by = match field!(fv, FLAG_FIELDS, "bucket_by") {
        Some(b) => c.name(&path.key("bucket_by"), b, "bucket_by").unwrap_or("user_id"),
        None => "user_id",
    };
    // Read first: what a client flag may contain depends on it.
    let client = match field!(fv, FLAG_FIELDS, "client") {
        Some(v) => c.bool(&path.key("client"), v).unwrap_or(true),
        None => true,
    };
    let targets = targets(c, path, &fv, vs);
    if let Some(ps) = field!(fv, FLAG_FIELDS, "prerequisites") {
        prerequisite::read(c, &path.key("prerequisites"), ps, id, names, pending);
    }
    let (rules, rule_plan) = match field!(fv, FLAG_FIELDS, "rules") {
        Some(rs) => {
            let mut scope = if client { Scope::ClientFlag { leaks: &names.segment_leaks } } else { Scope::ServerFlag };
            rules(c, &path.key("rules"), rs, names, &mut scope, vs)
        }
        None => (Vec::new(), None),
    };
    let fallthrough = fallthrough(c, path, &fv, vs);
    let metadata = metadata(c, path, members);
    let experiment = field!(fv, FLAG_FIELDS, "experiment").and_then(|e| {
        super::experiment::experiment(c, &path.key("experiment"), e, &variants, &rules, fallthrough.as_ref(), off)
    });
    let fixed = (field!(fv, FLAG_FIELDS, "percentage").is_some()
        || field!(fv, FLAG_FIELDS, "rollout_percentage").is_some())
        && field!(fv, FLAG_FIELDS, "schedule").is_none()
        && field!(fv, FLAG_FIELDS, "split").is_none();
    let mut rollout = field!(fv, FLAG_FIELDS, "rollout")
        .and_then(|r| super::rollout::rollout(c, &path.key("rollout"), r, fixed, fallthrough.as_ref()));
    if let Some(plan) = rule_plan {
        if rollout.is_some() || field!(fv, FLAG_FIELDS, "rollout").is_some() {
            c.err(&path.key("rollout"), "a flag carries one rollout plan: here or on one rule, not both");
        } else {
            rollout = Some(plan);
        }
    }
    Flag {
        kind,
        default,
        off,
        killed,
        salt: salt.into(),
        bucket_by: bucket_by.into(),
        targets,
        rules,
        fallthrough,
        metadata,
        client,
        experiment,
        rollout,
        ..new_flag(key, variants)
    }
}

/// A flag with `variants` and nothing else set.
fn new_flag(key: &str, variants: Vec<Variant>) -> Flag {
    Flag {
        key: key.into(),
        kind: FlagType::Boolean,
        variants,
        off: 0,
        default: 0,
        killed: false,
        salt: key.into(),
        bucket_by: "user_id".into(),
        bucket_slot: NO_SLOT,
        prerequisites: Vec::new(),
        targets: Vec::new(),
        rules: Vec::new(),
        fallthrough: None,
        metadata: Metadata::default(),
        client: true,
        experiment: None,
        rollout: None,
    }
}

/// A flag's variants, which its other fields name.
#[derive(Clone, Copy)]
struct Variants<'f>(&'f [Variant]);

impl Variants<'_> {
    /// The index of the variant `name`.
    fn index(self, name: &str) -> Option<u32> {
        self.0.iter().position(|v| &*v.name == name).map(|i| i as u32)
    }

    /// The index of the variant named by `v` at `path`, or a problem
    /// listing the flag's variants.
    fn find(self, c: &mut Checker, path: &Path<'_>, v: &Value) -> Option<u32> {
        let name = c.string(path, v, MAX_NAME_LEN)?;
        let found = self.index(name);
        if found.is_none() {
            let known: Vec<&str> = self.0.iter().map(|v| &*v.name).collect();
            c.err(path, msg!["unknown variant \"", name, "\" (the flag's variants: ", join(&known, ", "), ")"]);
        }
        found
    }
}

/// The variants of an on/off flag (the shorthands' and the default).
fn bool_variants() -> Vec<Variant> {
    vec![
        Variant { name: "on".into(), value: Value::Bool(true) },
        Variant { name: "off".into(), value: Value::Bool(false) },
    ]
}

fn read_variants(c: &mut Checker, path: &Path<'_>, v: &Value) -> Vec<Variant> {
    let Value::Object(m) = v else {
        c.err(path, msg!["variants must be an object of name to value, not ", v.type_name()]);
        return bool_variants();
    };
    if m.is_empty() {
        c.err(path, "a flag needs at least one variant");
        return bool_variants();
    }
    if m.len() > MAX_VARIANTS {
        c.err(path, msg![uint(m.len()), " variants is more than the limit of ", uint(MAX_VARIANTS)]);
    }
    m.iter()
        .map(|(name, value)| {
            if name.is_empty() || name.len() > MAX_NAME_LEN {
                c.err(&path.key(name), msg!["a variant name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]);
            }
            Variant { name: name.as_str().into(), value: value.clone() }
        })
        .collect()
}

/// The declared `type`, checked against every variant's value, or else
/// the type the values share.
fn flag_type(c: &mut Checker, path: &Path<'_>, t: Option<&Value>, variants: &[Variant]) -> FlagType {
    let inferred = infer_type(variants);
    let Some(t) = t else { return inferred };
    let declared = match t.as_str() {
        Some("boolean") => Some(FlagType::Boolean),
        Some("string") => Some(FlagType::String),
        Some("number") => Some(FlagType::Number),
        Some("json") => Some(FlagType::Json),
        _ => {
            c.err(
                &path.key("type"),
                msg!["type must be \"boolean\", \"string\", \"number\" or \"json\", not ", t.to_json()],
            );
            None
        }
    };
    if let Some(d) = declared {
        for var in variants {
            if !d.accepts(&var.value) {
                c.err(
                    &path.key("variants").key(&var.name),
                    msg!["value ", var.value.to_json(), " is not of the flag's type ", d.as_str()],
                );
            }
        }
    }
    declared.unwrap_or(inferred)
}

fn infer_type(vs: &[Variant]) -> FlagType {
    let all = |f: fn(&Value) -> bool| vs.iter().all(|v| f(&v.value));
    if all(|v| matches!(v, Value::Bool(_))) {
        FlagType::Boolean
    } else if all(|v| matches!(v, Value::String(_))) {
        FlagType::String
    } else if all(|v| matches!(v, Value::Number(_))) {
        FlagType::Number
    } else {
        FlagType::Json
    }
}

/// The default variant (nothing else decides: `default_variant`, or
/// `enabled` for on/off flags, or `off`) and the off variant (killed,
/// prerequisite failed: `off_variant`, or `off`, or the default).
fn default_and_off(c: &mut Checker, path: &Path<'_>, fv: &FlagFields<'_>, vs: Variants<'_>) -> (u32, u32) {
    let enabled = field!(fv, FLAG_FIELDS, "enabled").and_then(|v| c.bool(&path.key("enabled"), v));
    let default = match (field!(fv, FLAG_FIELDS, "default_variant"), enabled) {
        (Some(_), Some(_)) => {
            c.err(&path.key("enabled"), "set either enabled (for on/off flags) or default_variant, not both");
            None
        }
        (Some(dv), None) => vs.find(c, &path.key("default_variant"), dv),
        (None, Some(on)) => {
            let name = if on { "on" } else { "off" };
            let found = vs.index(name);
            if found.is_none() {
                c.err(&path.key("enabled"), msg!["enabled needs a variant named \"", name, "\"; use default_variant"]);
            }
            found
        }
        (None, None) => {
            let found = vs.index("off");
            if found.is_none() && !vs.0.is_empty() {
                c.err(path, "default_variant is required (the flag has no variant named \"off\")");
            }
            found
        }
    };
    let default = default.unwrap_or(0);
    let off = match field!(fv, FLAG_FIELDS, "off_variant") {
        Some(ov) => vs.find(c, &path.key("off_variant"), ov).unwrap_or(0),
        None => vs.index("off").unwrap_or(default),
    };
    (default, off)
}

/// The user list (`users` or `allowed_users`, serving `on`), then `targets`.
fn targets(c: &mut Checker, path: &Path<'_>, fv: &FlagFields<'_>, vs: Variants<'_>) -> Vec<Target> {
    let mut out = Vec::new();
    let user_fields =
        [("users", field!(fv, FLAG_FIELDS, "users")), ("allowed_users", field!(fv, FLAG_FIELDS, "allowed_users"))];
    let user_fields: Vec<(&str, &Value)> = user_fields.into_iter().filter_map(|(n, v)| Some((n, v?))).collect();
    if user_fields.len() > 1 {
        c.err(
            &path.key(user_fields[1].0),
            msg![user_fields[0].0, " and ", user_fields[1].0, " are the same list; keep one"],
        );
    }
    if let Some(&(name, list)) = user_fields.first() {
        let users = c.id_set(&path.key(name), list);
        match vs.index("on") {
            Some(on) => out.push(Target { users, variant: on, id: "users".into() }),
            None => c.err(
                &path.key(name),
                msg![name, " serve the variant \"on\", which this flag does not have; use targets"],
            ),
        }
    }
    let Some(ts) = field!(fv, FLAG_FIELDS, "targets") else { return out };
    let tp = path.key("targets");
    for (i, t) in c.array(&tp, ts, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
        let tpi = tp.idx(i);
        let mut tv = [None; TARGET_FIELDS.len()];
        if c.fields(&tpi, t, TARGET_FIELDS, "a target", &mut tv).is_none() {
            continue;
        }
        let variant = match field!(tv, TARGET_FIELDS, "variant") {
            Some(v) => vs.find(c, &tpi.key("variant"), v),
            None => {
                c.err(&tpi, "a target needs a variant");
                None
            }
        };
        let users = match field!(tv, TARGET_FIELDS, "users") {
            Some(u) => c.id_set(&tpi.key("users"), u),
            None => {
                c.err(&tpi, "a target needs users");
                Users::default()
            }
        };
        if let Some(variant) = variant {
            out.push(Target { users, variant, id: msg!["targets[", uint(i), "]"].into() });
        }
    }
    out
}

/// The `rules` list: conditions and what a match serves, with unique ids;
/// and the rollout plan one of them may carry.
fn rules(
    c: &mut Checker,
    rp: &Path<'_>,
    rs: &Value,
    names: &Names,
    scope: &mut Scope<'_>,
    vs: Variants<'_>,
) -> (Vec<Rule>, Option<Box<Rollout>>) {
    let mut out = Vec::new();
    let mut plan: Option<Box<Rollout>> = None;
    let mut seen_ids: Vec<(String, usize)> = Vec::new();
    for (i, r) in c.array(rp, rs, MAX_RULES).unwrap_or(&[]).iter().enumerate() {
        let rpi = rp.idx(i);
        let mut rv = [None; RULE_FIELDS.len()];
        if c.fields(&rpi, r, RULE_FIELDS, "a rule", &mut rv).is_none() {
            continue;
        }
        let rule_id = match field!(rv, RULE_FIELDS, "id") {
            Some(v) => c.name(&rpi.key("id"), v, "a rule id").unwrap_or("").to_string(),
            None => msg!["rules[", uint(i), "]"],
        };
        // Rule lists are short (at most MAX_RULES): a scan is enough.
        match seen_ids.iter().find(|(id, _)| *id == rule_id) {
            Some((_, prev)) => {
                c.err(&rpi.key("id"), msg!["rule id \"", rule_id, "\" is already used by rules[", uint(*prev), "]"])
            }
            None => seen_ids.push((rule_id.clone(), i)),
        }
        if let Some(d) = field!(rv, RULE_FIELDS, "description") {
            c.string(&rpi.key("description"), d, MAX_STRING_LEN);
        }
        let conds = match field!(rv, RULE_FIELDS, "conditions") {
            Some(cs) => conditions(c, &rpi.key("conditions"), cs, names, scope),
            None => Vec::new(),
        };
        let fields = ServeFields {
            variant: field!(rv, RULE_FIELDS, "variant"),
            variant_name: "variant",
            percentage: field!(rv, RULE_FIELDS, "percentage"),
            percentage_name: "percentage",
            schedule: field!(rv, RULE_FIELDS, "schedule"),
            split: field!(rv, RULE_FIELDS, "split"),
        };
        let serves_nothing = fields.is_empty();
        let fixed = fields.percentage.is_some() && fields.schedule.is_none() && fields.split.is_none();
        let rule_plan = field!(rv, RULE_FIELDS, "rollout").filter(|r| **r != Value::Null);
        match serve(c, &rpi, fields, vs) {
            Some(serve) => {
                if let Some(r) = rule_plan {
                    let rp = rpi.key("rollout");
                    match super::rollout::rollout(c, &rp, r, fixed, Some(&serve)) {
                        Some(_) if plan.is_some() => c.err(&rp, "a flag carries one rollout plan: one rule at most"),
                        Some(mut p) => {
                            p.rule = Some(out.len() as u32);
                            plan = Some(p);
                        }
                        None => {}
                    }
                }
                out.push(Rule { id: rule_id.into(), conditions: conds, serve })
            }
            None if serves_nothing => {
                c.err(&rpi, "a rule must serve something: variant, percentage, schedule or split")
            }
            None => {}
        }
    }
    (out, plan)
}

/// The flag-level rollout or split (after rules, before the default),
/// from `percentage` (or `rollout_percentage`), `schedule` or `split`.
fn fallthrough(c: &mut Checker, path: &Path<'_>, fv: &FlagFields<'_>, vs: Variants<'_>) -> Option<Serve> {
    let pct_fields = [
        ("percentage", field!(fv, FLAG_FIELDS, "percentage")),
        ("rollout_percentage", field!(fv, FLAG_FIELDS, "rollout_percentage")),
    ];
    let pct_fields: Vec<(&str, &Value)> = pct_fields.into_iter().filter_map(|(n, v)| Some((n, v?))).collect();
    if pct_fields.len() > 1 {
        c.err(
            &path.key(pct_fields[1].0),
            msg![pct_fields[0].0, " and ", pct_fields[1].0, " are the same setting; keep one"],
        );
    }
    let pct = pct_fields.first().copied();
    let rollout_variant = field!(fv, FLAG_FIELDS, "rollout_variant");
    let (schedule, split) = (field!(fv, FLAG_FIELDS, "schedule"), field!(fv, FLAG_FIELDS, "split"));
    if rollout_variant.is_some() && pct.is_none() && schedule.is_none() {
        c.err(&path.key("rollout_variant"), "rollout_variant needs a percentage or schedule");
    }
    if pct.is_none() && schedule.is_none() && split.is_none() {
        return None;
    }
    // Problems are reported under the flag's own field names.
    let fields = ServeFields {
        variant: rollout_variant,
        variant_name: "rollout_variant",
        percentage: pct.map(|(_, v)| v),
        percentage_name: pct.map_or("percentage", |(n, _)| n),
        schedule,
        split,
    };
    serve(c, path, fields, vs)
}

/// What a rule or the flag-level rollout serves, and the names of its
/// fields (a rule's `variant` is the flag's `rollout_variant`).
struct ServeFields<'v> {
    variant: Option<&'v Value>,
    variant_name: &'static str,
    percentage: Option<&'v Value>,
    percentage_name: &'static str,
    schedule: Option<&'v Value>,
    split: Option<&'v Value>,
}

impl ServeFields<'_> {
    fn is_empty(&self) -> bool {
        self.variant.is_none() && self.percentage.is_none() && self.schedule.is_none() && self.split.is_none()
    }
}

/// One serve: a fixed variant, a rollout (percentage or schedule, with the
/// variant served inside it, `on` by default) or a weighted split.
fn serve(c: &mut Checker, path: &Path<'_>, s: ServeFields<'_>, vs: Variants<'_>) -> Option<Serve> {
    if let Some(split_v) = s.split {
        for (name, other) in [(s.variant_name, s.variant), (s.percentage_name, s.percentage), ("schedule", s.schedule)]
        {
            if other.is_some() {
                c.err(&path.key(name), msg![name, " cannot be combined with split (a split names its variants)"]);
            }
        }
        return split(c, &path.key("split"), split_v, vs);
    }
    let percentage = match (s.percentage, s.schedule) {
        (Some(_), Some(_)) => {
            c.err(&path.key("schedule"), msg!["set ", s.percentage_name, " or schedule, not both"]);
            return None;
        }
        (Some(pv), None) => Percentage::Fixed(c.percentage(&path.key(s.percentage_name), pv)?),
        (None, Some(sv)) => Percentage::Schedule(schedule(c, &path.key("schedule"), sv)?),
        (None, None) => {
            return s.variant.and_then(|v| vs.find(c, &path.key(s.variant_name), v)).map(Serve::Variant);
        }
    };
    let variant = match s.variant {
        Some(v) => vs.find(c, &path.key(s.variant_name), v)?,
        None => vs.find(c, &path.key(s.variant_name), &Value::String("on".into()))?,
    };
    Some(Serve::Rollout { percentage, variant })
}

/// A weighted split: `{"variant", "weight"}` objects or the vectors'
/// `[variant, weight]` pairs, weights adding up to 100.
/// How far from 100 a split's weights may add up (docs/ruleset.md).
const SPLIT_TOLERANCE: f64 = 0.1;

fn split(c: &mut Checker, path: &Path<'_>, v: &Value, vs: Variants<'_>) -> Option<Serve> {
    let items = c.array(path, v, MAX_VARIANTS)?;
    if items.is_empty() {
        c.err(path, "a split needs at least one variant");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut total = 0.0;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let ip = path.idx(i);
        let (name, weight, name_path, weight_path) = match item {
            Value::Object(_) => {
                let mut sv = [None; SPLIT_FIELDS.len()];
                if c.fields(&ip, item, SPLIT_FIELDS, "a split entry", &mut sv).is_none() {
                    continue;
                }
                match (field!(sv, SPLIT_FIELDS, "variant"), field!(sv, SPLIT_FIELDS, "weight")) {
                    (Some(n), Some(w)) => (n, w, ip.key("variant"), ip.key("weight")),
                    _ => {
                        c.err(&ip, "a split entry needs variant and weight");
                        ok = false;
                        continue;
                    }
                }
            }
            Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1], ip.idx(0), ip.idx(1)),
            _ => {
                c.err(&ip, "a split entry is {\"variant\": name, \"weight\": percent}");
                ok = false;
                continue;
            }
        };
        let variant = vs.find(c, &name_path, name);
        let weight = c.percentage(&weight_path, weight);
        match (variant, weight) {
            (Some(vi), Some(w)) => {
                total += w;
                out.push((vi, w));
            }
            _ => ok = false,
        }
    }
    // "Within 0.1" as written in decimal: thirds of 33.3 sum to
    // 99.89999999999999 in binary, which is 0.1 off, not more.
    if ok && (total - 100.0).abs() > SPLIT_TOLERANCE + 1e-9 {
        c.err(path, msg!["split weights add up to ", number_str(total), "; they must add up to 100"]);
        return None;
    }
    ok.then_some(Serve::Split(out))
}

/// Cleanup metadata, in member order (as its problems are reported).
fn metadata(c: &mut Checker, path: &Path<'_>, members: &[(String, Value)]) -> Metadata {
    let mut out = Metadata::default();
    for (k, v) in members.iter().filter(|(_, v)| *v != Value::Null) {
        let kp = path.key(k);
        match k.as_str() {
            "owner" => out.owner = c.string(&kp, v, MAX_STRING_LEN).map(Into::into),
            "description" => out.description = c.string(&kp, v, MAX_STRING_LEN).map(Into::into),
            "created" => out.created = c.time(&kp, v),
            "expires" => out.expires = c.time(&kp, v),
            "tags" => {
                for (i, t) in c.array(&kp, v, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
                    if let Some(s) = c.string(&kp.idx(i), t, MAX_NAME_LEN) {
                        out.tags.push(s.into());
                    }
                }
            }
            _ => {}
        }
    }
    out
}
