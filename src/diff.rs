//! What a ruleset change does, before it is published: the **semantic
//! diff** of two ruleset documents (per flag, segment and route: what was
//! added, removed, and which setting changed how) and the **blast radius**
//! of two compiled rulesets over a sample of contexts (per flag: how many
//! contexts would be served another variant or value, and which way).
//!
//! Both are pure: documents and rulesets in, data out; no I/O and no clock
//! (the blast radius is evaluated at a time the caller gives). The CLI
//! (`edgeflags push`, `diff`, `rollback`) fetches, formats and asks; the
//! deciding is here.
//!
//! The diff compares what documents *mean*, not their text: the design
//! notes' shorthands are expanded first (`true` is `{"enabled": true}`),
//! `null` fields count as unset, `rollout_percentage` and `allowed_users`
//! are the same fields as `percentage` and `users`, a field left out
//! equals its documented default (`killed` false, `salt` the flag key, ...),
//! lists whose order does not matter (users, tags, conditions) compare as
//! sets, object members in any order, times by the instant they name.
//! Rules and routes are matched by id (`rules[i]` / `routes[i]` when they
//! have none, so unnamed ones are matched by position), and a change of
//! their order (first match wins) is a change of its own. What the diff
//! cannot see (a segment edit that moves a flag's users, a prerequisite's
//! change) the blast radius does: it evaluates every flag.

use std::collections::{HashMap, HashSet};

use crate::context::Context;
use crate::ruleset::compile::expand_shorthand;
use crate::ruleset::Ruleset;
use crate::time::{format_rfc3339, parse_rfc3339, Millis};
use crate::value::Value;

/// The semantic difference between two ruleset documents, `before` (the
/// live one) and `after` (the one to publish).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesetDiff {
    /// Top-level changes: `description`, `schema`, other top-level
    /// fields, and the order of flags and of routes. (`version` is never
    /// compared: the Worker assigns it.)
    pub ruleset: Vec<Change>,
    /// Flags, in the order of `after`, then the removed ones in the order
    /// of `before`. Unchanged flags are left out.
    pub flags: Vec<ItemDiff>,
    /// Segments, in the same order rule.
    pub segments: Vec<ItemDiff>,
    /// Routes (by id), in the same order rule.
    pub routes: Vec<ItemDiff>,
}

/// Whether a flag, segment or route was added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Only in `after`.
    Added,
    /// Only in `before`.
    Removed,
    /// In both, with at least one change.
    Changed,
}

impl Status {
    /// `"added"`, `"removed"` or `"changed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// One flag, segment or route that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDiff {
    /// The flag key, segment name or route id.
    pub key: String,
    /// Added, removed or changed.
    pub status: Status,
    /// The item's document (shorthands expanded) when it was added or
    /// removed; `None` when changed.
    pub document: Option<Value>,
    /// What changed, field by field (empty unless `status` is `Changed`).
    pub changes: Vec<Change>,
}

/// One changed setting of an item (or of the ruleset).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where, relative to the item: `killed`, `variants.gold`,
    /// `rules.vip.conditions`, `targets.variant_b`, `upstreams.on`; a key
    /// that is not a plain word is written `rules["rules[0]"]` (the JSON
    /// path style of load problems).
    pub field: String,
    /// How.
    pub kind: ChangeKind,
}

/// How a setting changed.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    /// A keyed entry (a variant, rule, prerequisite, upstream) that only
    /// `after` has.
    Added(Value),
    /// A keyed entry that only `before` has.
    Removed(Value),
    /// A value that differs; `Null` stands for "not set" (a field without
    /// a documented default).
    Changed {
        /// The value in `before`.
        before: Value,
        /// The value in `after`.
        after: Value,
    },
    /// A set-like list (user ids, tags, conditions) that gained and lost
    /// members.
    Members {
        /// Members only `after` has, in its order.
        added: Vec<Value>,
        /// Members only `before` has, in its order.
        removed: Vec<Value>,
    },
    /// The order of the entries both sides have (flags, rules, routes) is
    /// not the same.
    Order {
        /// Their ids in `before`'s order.
        before: Vec<String>,
        /// Their ids in `after`'s order.
        after: Vec<String>,
    },
}

impl RulesetDiff {
    /// Compares two ruleset documents. Meant for documents that load
    /// (validate them first); anything else is compared as far as it has
    /// the expected shape, never with a panic.
    pub fn between(before: &Value, after: &Value) -> RulesetDiff {
        let mut d = RulesetDiff::default();
        // Top level.
        let (b, a) = (members(before), members(after));
        for key in union_keys(&["description", "schema"], b, a) {
            if matches!(key, "flags" | "segments" | "routes" | "version" | "$schema") {
                continue;
            }
            let default = if key == "schema" { Some(Value::Number(1.0)) } else { None };
            let bv = get_or(b, key, default.as_ref());
            let av = get_or(a, key, default.as_ref());
            if !same(&bv, &av) {
                d.ruleset.push(Change { field: key.to_string(), kind: ChangeKind::Changed { before: bv, after: av } });
            }
        }
        let (bf, af) = (members(field(before, "flags")), members(field(after, "flags")));
        if let Some(order) = order_change(&keys_of(bf), &keys_of(af)) {
            d.ruleset.push(Change { field: "flags".into(), kind: order });
        }
        d.flags = keyed_items(bf, af, |_, v| expand_shorthand(v).unwrap_or_else(|| v.clone()), flag_changes);
        let (bs, as_) = (members(field(before, "segments")), members(field(after, "segments")));
        d.segments = keyed_items(bs, as_, |_, v| v.clone(), |_, b, a| segment_changes(b, a));
        let (br, ar) = (with_ids(field(before, "routes"), "routes"), with_ids(field(after, "routes"), "routes"));
        if let Some(order) = order_change(&keys_of(&br), &keys_of(&ar)) {
            d.ruleset.push(Change { field: "routes".into(), kind: order });
        }
        d.routes = keyed_items(&br, &ar, |_, v| v.clone(), |_, b, a| route_changes(b, a));
        d
    }

    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.ruleset.is_empty() && self.flags.is_empty() && self.segments.is_empty() && self.routes.is_empty()
    }

    /// How many flags were added, removed and changed.
    pub fn flag_counts(&self) -> (usize, usize, usize) {
        let count = |s: Status| self.flags.iter().filter(|f| f.status == s).count();
        (count(Status::Added), count(Status::Removed), count(Status::Changed))
    }

    /// The diff as JSON data:
    /// `{"ruleset": [change], "flags": [item], "segments": [item], "routes": [item]}`,
    /// an item `{"key", "status", "document"?, "changes": [change]}`, a change
    /// `{"field", "change": "added"|"removed"|"changed"|"members"|"order", ...}`
    /// with `after` (added), `before` (removed), `before` and `after`
    /// (changed, order), `added` and `removed` (members).
    pub fn to_value(&self) -> Value {
        let items = |xs: &[ItemDiff]| Value::Array(xs.iter().map(ItemDiff::to_value).collect());
        obj(vec![
            ("ruleset", Value::Array(self.ruleset.iter().map(Change::to_value).collect())),
            ("flags", items(&self.flags)),
            ("segments", items(&self.segments)),
            ("routes", items(&self.routes)),
        ])
    }
}

impl ItemDiff {
    /// See [`RulesetDiff::to_value`].
    pub fn to_value(&self) -> Value {
        let mut m =
            vec![("key", Value::String(self.key.clone())), ("status", Value::String(self.status.as_str().into()))];
        if let Some(doc) = &self.document {
            m.push(("document", doc.clone()));
        }
        m.push(("changes", Value::Array(self.changes.iter().map(Change::to_value).collect())));
        obj(m)
    }
}

impl Change {
    /// See [`RulesetDiff::to_value`].
    pub fn to_value(&self) -> Value {
        let mut m = vec![("field", Value::String(self.field.clone()))];
        let strings = |xs: &[String]| Value::Array(xs.iter().cloned().map(Value::String).collect());
        match &self.kind {
            ChangeKind::Added(v) => m.extend([("change", s("added")), ("after", v.clone())]),
            ChangeKind::Removed(v) => m.extend([("change", s("removed")), ("before", v.clone())]),
            ChangeKind::Changed { before, after } => {
                m.extend([("change", s("changed")), ("before", before.clone()), ("after", after.clone())])
            }
            ChangeKind::Members { added, removed } => m.extend([
                ("change", s("members")),
                ("added", Value::Array(added.clone())),
                ("removed", Value::Array(removed.clone())),
            ]),
            ChangeKind::Order { before, after } => {
                m.extend([("change", s("order")), ("before", strings(before)), ("after", strings(after))])
            }
        }
        obj(m)
    }
}

// ------------------------------------------------------------------ items

/// Added, removed and changed items of two keyed collections: `after`'s
/// order, then the removed ones in `before`'s order. `doc` gives an added
/// or removed item's document; `changes` compares an item both sides have.
fn keyed_items(
    before: &[(String, Value)],
    after: &[(String, Value)],
    doc: impl Fn(&str, &Value) -> Value,
    changes: impl Fn(&str, &Value, &Value) -> Vec<Change>,
) -> Vec<ItemDiff> {
    let b: HashMap<&str, &Value> = before.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let a: HashSet<&str> = after.iter().map(|(k, _)| k.as_str()).collect();
    let mut out = Vec::new();
    for (key, av) in after {
        match b.get(key.as_str()) {
            None => out.push(ItemDiff {
                key: key.clone(),
                status: Status::Added,
                document: Some(doc(key, av)),
                changes: Vec::new(),
            }),
            Some(bv) => {
                let changes = changes(key, bv, av);
                if !changes.is_empty() {
                    out.push(ItemDiff { key: key.clone(), status: Status::Changed, document: None, changes });
                }
            }
        }
    }
    for (key, bv) in before {
        if !a.contains(key.as_str()) {
            out.push(ItemDiff {
                key: key.clone(),
                status: Status::Removed,
                document: Some(doc(key, bv)),
                changes: Vec::new(),
            });
        }
    }
    out
}

/// The flag fields in the order a reader wants them; fields not listed
/// (a newer format's) follow in document order.
const FLAG_ORDER: &[&str] = &[
    "killed",
    "enabled",
    "default_variant",
    "off_variant",
    "type",
    "variants",
    "percentage",
    "schedule",
    "split",
    "rollout_variant",
    "users",
    "targets",
    "prerequisites",
    "rules",
    "bucket_by",
    "salt",
    "owner",
    "description",
    "created",
    "expires",
    "tags",
];

fn flag_changes(key: &str, before: &Value, after: &Value) -> Vec<Change> {
    let (b, a) = (normalize_flag(key, before), normalize_flag(key, after));
    let mut out = Vec::new();
    for f in union_keys(FLAG_ORDER, &b, &a) {
        let (bv, av) = (get_or(&b, f, None), get_or(&a, f, None));
        if same(&bv, &av) {
            continue;
        }
        match f {
            "variants" | "upstreams" => entries(f, &bv, &av, &mut out),
            "users" | "tags" => members_change(f, &bv, &av, &mut out),
            "targets" => targets_change(&bv, &av, &mut out),
            "prerequisites" => {
                let by_flag = |v: &Value| -> Vec<(String, Value)> {
                    as_array(v)
                        .iter()
                        .map(|p| (field(p, "flag").as_str().unwrap_or_default().to_string(), p.clone()))
                        .collect()
                };
                entries_of(f, &by_flag(&bv), &by_flag(&av), &mut out)
            }
            "rules" => rules_change(&bv, &av, &mut out),
            _ => out.push(Change { field: f.to_string(), kind: ChangeKind::Changed { before: bv, after: av } }),
        }
    }
    out
}

fn segment_changes(before: &Value, after: &Value) -> Vec<Change> {
    let (b, a) = (normalized_members(before), normalized_members(after));
    let mut out = Vec::new();
    for f in union_keys(&["users", "conditions", "description"], &b, &a) {
        let (bv, av) = (get_or(&b, f, None), get_or(&a, f, None));
        if same(&bv, &av) {
            continue;
        }
        match f {
            "users" | "conditions" => members_change(f, &bv, &av, &mut out),
            _ => out.push(Change { field: f.to_string(), kind: ChangeKind::Changed { before: bv, after: av } }),
        }
    }
    out
}

fn route_changes(before: &Value, after: &Value) -> Vec<Change> {
    let (b, a) = (normalized_members(before), normalized_members(after));
    let mut out = Vec::new();
    for f in union_keys(&["path", "flag", "upstreams"], &b, &a) {
        let (bv, av) = (get_or(&b, f, None), get_or(&a, f, None));
        if f == "id" || same(&bv, &av) {
            continue;
        }
        match f {
            "upstreams" => entries(f, &bv, &av, &mut out),
            _ => out.push(Change { field: f.to_string(), kind: ChangeKind::Changed { before: bv, after: av } }),
        }
    }
    out
}

/// Rules by id: added, removed, each common rule's changes, and their order.
fn rules_change(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let (b, a) = (with_ids(before, "rules"), with_ids(after, "rules"));
    let bm: HashMap<&str, &Value> = b.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let am: HashSet<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
    for (id, ar) in &a {
        let at = path("rules", id);
        match bm.get(id.as_str()) {
            None => out.push(Change { field: at, kind: ChangeKind::Added(ar.clone()) }),
            Some(br) => {
                let (bf, af) = (normalize_rule(br), normalize_rule(ar));
                for f in union_keys(&["conditions", "variant", "percentage", "schedule", "split"], &bf, &af) {
                    let (bv, av) = (get_or(&bf, f, None), get_or(&af, f, None));
                    if f == "id" || same(&bv, &av) {
                        continue;
                    }
                    let field = path(&at, f);
                    match f {
                        "conditions" => members_change(&field, &bv, &av, out),
                        _ => out.push(Change { field, kind: ChangeKind::Changed { before: bv, after: av } }),
                    }
                }
            }
        }
    }
    for (id, br) in &b {
        if !am.contains(id.as_str()) {
            out.push(Change { field: path("rules", id), kind: ChangeKind::Removed(br.clone()) });
        }
    }
    if let Some(order) = order_change(&keys_of(&b), &keys_of(&a)) {
        out.push(Change { field: "rules".into(), kind: order });
    }
}

/// User lists per variant: `targets.<variant>` gained and lost users.
fn targets_change(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let by_variant = |v: &Value| -> Vec<(String, Value)> {
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for t in as_array(v) {
            let variant = field(t, "variant").as_str().unwrap_or_default().to_string();
            let users = as_array(field(t, "users")).to_vec();
            match groups.iter_mut().find(|(k, _)| *k == variant) {
                Some((_, us)) => us.extend(users),
                None => groups.push((variant, users)),
            }
        }
        groups.into_iter().map(|(k, us)| (k, Value::Array(us))).collect()
    };
    let (b, a) = (by_variant(before), by_variant(after));
    for variant in union_keys(&[], &b, &a) {
        let (bv, av) = (get_or(&b, variant, None), get_or(&a, variant, None));
        members_change(&path("targets", variant), &bv, &av, out);
    }
}

/// Members of two objects (or keyed lists), as entries of `base`.
fn entries(base: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    entries_of(base, members(before), members(after), out)
}

fn entries_of(base: &str, before: &[(String, Value)], after: &[(String, Value)], out: &mut Vec<Change>) {
    for k in union_keys(&[], before, after) {
        let field = path(base, k);
        match (lookup(before, k), lookup(after, k)) {
            (None, Some(a)) => out.push(Change { field, kind: ChangeKind::Added(a.clone()) }),
            (Some(b), None) => out.push(Change { field, kind: ChangeKind::Removed(b.clone()) }),
            (Some(b), Some(a)) if !same(b, a) => {
                out.push(Change { field, kind: ChangeKind::Changed { before: b.clone(), after: a.clone() } })
            }
            _ => {}
        }
    }
}

/// Two lists as sets (members compared as JSON): what each lacks.
fn members_change(field: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    let (b, a) = (as_array(before), as_array(after));
    let bk: HashSet<String> = b.iter().map(canonical).collect();
    let ak: HashSet<String> = a.iter().map(canonical).collect();
    let mut seen = HashSet::new();
    let added: Vec<Value> =
        a.iter().filter(|v| !bk.contains(&canonical(v)) && seen.insert(canonical(v))).cloned().collect();
    let removed: Vec<Value> =
        b.iter().filter(|v| !ak.contains(&canonical(v)) && seen.insert(canonical(v))).cloned().collect();
    if !added.is_empty() || !removed.is_empty() {
        out.push(Change { field: field.to_string(), kind: ChangeKind::Members { added, removed } });
    }
}

/// The relative order of the keys both lists have, when it differs.
fn order_change(before: &[&str], after: &[&str]) -> Option<ChangeKind> {
    let (bs, as_): (HashSet<&str>, HashSet<&str>) = (before.iter().copied().collect(), after.iter().copied().collect());
    let b: Vec<String> = before.iter().filter(|k| as_.contains(*k)).map(|k| k.to_string()).collect();
    let a: Vec<String> = after.iter().filter(|k| bs.contains(*k)).map(|k| k.to_string()).collect();
    (b != a).then_some(ChangeKind::Order { before: b, after: a })
}

// ---------------------------------------------------------- normalizing

/// A flag's fields as they mean: shorthands expanded, `null` fields
/// dropped, aliases renamed, and the documented defaults filled in.
fn normalize_flag(key: &str, v: &Value) -> Vec<(String, Value)> {
    let expanded = expand_shorthand(v);
    let v = expanded.as_ref().unwrap_or(v);
    let Value::Object(m) = v else { return vec![("flag".into(), v.clone())] };
    let mut out: Vec<(String, Value)> = Vec::new();
    for (k, fv) in m {
        if *fv == Value::Null {
            continue;
        }
        let k = match k.as_str() {
            "rollout_percentage" => "percentage",
            "allowed_users" => "users",
            k => k,
        };
        let fv = match k {
            "schedule" => normalize_schedule(fv),
            "split" => normalize_split(fv),
            "prerequisites" => Value::Array(as_array(fv).iter().map(normalize_prerequisite).collect()),
            "created" | "expires" => normalize_time(fv),
            _ => fv.clone(),
        };
        if lookup(&out, k).is_none() {
            out.push((k.to_string(), fv));
        }
    }
    let defaults = [
        ("killed", Value::Bool(false)),
        ("enabled", Value::Bool(false)),
        ("variants", obj(vec![("on", Value::Bool(true)), ("off", Value::Bool(false))])),
        ("rollout_variant", s("on")),
        ("salt", s(key)),
        ("bucket_by", s("user_id")),
        ("users", Value::Array(Vec::new())),
        ("tags", Value::Array(Vec::new())),
    ];
    for (k, d) in defaults {
        if lookup(&out, k).is_none() {
            out.push((k.to_string(), d));
        }
    }
    out
}

/// A rule's fields: `variant` defaults to `on` under a rollout; schedule
/// and split in one spelling.
fn normalize_rule(v: &Value) -> Vec<(String, Value)> {
    let mut m = normalized_members(v);
    for (k, fv) in &mut m {
        match k.as_str() {
            "schedule" => *fv = normalize_schedule(fv),
            "split" => *fv = normalize_split(fv),
            _ => {}
        }
    }
    let rollout = lookup(&m, "percentage").is_some() || lookup(&m, "schedule").is_some();
    if rollout && lookup(&m, "variant").is_none() {
        m.push(("variant".into(), s("on")));
    }
    m
}

/// An object's members without the `null` ones.
fn normalized_members(v: &Value) -> Vec<(String, Value)> {
    members(v).iter().filter(|(_, fv)| *fv != Value::Null).cloned().collect()
}

/// `[["a", 50], ...]` for both spellings of a split.
fn normalize_split(v: &Value) -> Value {
    Value::Array(
        as_array(v)
            .iter()
            .map(|e| match e {
                Value::Object(_) => Value::Array(vec![field(e, "variant").clone(), field(e, "weight").clone()]),
                other => other.clone(),
            })
            .collect(),
    )
}

/// A schedule with its type, its steps as `[day, percentage]`, its
/// defaults filled in and its start as an RFC 3339 instant.
fn normalize_schedule(v: &Value) -> Value {
    let mut m = normalized_members(v);
    if lookup(&m, "type").is_none() && lookup(&m, "steps").is_some() {
        m.insert(0, ("type".into(), s("steps")));
    }
    let kind = lookup(&m, "type").and_then(Value::as_str).unwrap_or_default().to_string();
    let defaults: &[(&str, f64)] = match kind.as_str() {
        "linear" => &[("start_percentage", 0.0), ("end_percentage", 100.0)],
        "s_curve" => &[("start_percentage", 1.0), ("end_percentage", 100.0), ("steepness", 10.0)],
        _ => &[],
    };
    for (k, d) in defaults {
        if lookup(&m, k).is_none() {
            m.push((k.to_string(), Value::Number(*d)));
        }
    }
    for (k, fv) in &mut m {
        match k.as_str() {
            "start" => *fv = normalize_time(fv),
            "steps" => {
                *fv = Value::Array(
                    as_array(fv)
                        .iter()
                        .map(|st| match st {
                            Value::Object(_) => {
                                Value::Array(vec![field(st, "day").clone(), field(st, "percentage").clone()])
                            }
                            other => other.clone(),
                        })
                        .collect(),
                )
            }
            _ => {}
        }
    }
    Value::Object(m)
}

/// `{"flag", "variants": [...]}` (sorted; `on` when none is named).
fn normalize_prerequisite(v: &Value) -> Value {
    let mut variants: Vec<Value> = match (field(v, "variants"), field(v, "variant")) {
        (Value::Array(vs), _) => vs.clone(),
        (_, Value::Null) => vec![s("on")],
        (_, one) => vec![one.clone()],
    };
    variants.sort_by_key(canonical);
    variants.dedup_by_key(|v| canonical(v));
    obj(vec![("flag", field(v, "flag").clone()), ("variants", Value::Array(variants))])
}

/// An RFC 3339 time or date as the instant it names (`2026-10-01` and
/// `2026-10-01T00:00:00Z` are the same); anything else as it is.
fn normalize_time(v: &Value) -> Value {
    match v.as_str().map(parse_rfc3339) {
        Some(Ok(ms)) => Value::String(format_rfc3339(ms)),
        _ => v.clone(),
    }
}

// ---------------------------------------------------------------- helpers

static NULL: Value = Value::Null;

fn members(v: &Value) -> &[(String, Value)] {
    match v {
        Value::Object(m) => m,
        _ => &[],
    }
}

fn as_array(v: &Value) -> &[Value] {
    match v {
        Value::Array(xs) => xs,
        _ => &[],
    }
}

fn field<'v>(v: &'v Value, key: &str) -> &'v Value {
    v.get(key).unwrap_or(&NULL)
}

fn lookup<'m>(m: &'m [(String, Value)], key: &str) -> Option<&'m Value> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A member, its default, or `Null`.
fn get_or(m: &[(String, Value)], key: &str, default: Option<&Value>) -> Value {
    lookup(m, key).filter(|v| **v != Value::Null).or(default).cloned().unwrap_or(Value::Null)
}

fn keys_of(m: &[(String, Value)]) -> Vec<&str> {
    m.iter().map(|(k, _)| k.as_str()).collect()
}

/// `first` (those either side has), then every other key of `b`, then of
/// `a`, each once.
fn union_keys<'k>(first: &[&'k str], b: &'k [(String, Value)], a: &'k [(String, Value)]) -> Vec<&'k str> {
    let has = |k: &str| lookup(b, k).is_some() || lookup(a, k).is_some();
    let mut out: Vec<&str> = first.iter().copied().filter(|k| has(k)).collect();
    for (k, _) in b.iter().chain(a) {
        if !out.contains(&k.as_str()) {
            out.push(k);
        }
    }
    out
}

/// A list of objects keyed by their `id`, or `<base>[i]` without one (as
/// the Worker and the core name unnamed rules and routes).
fn with_ids(v: &Value, base: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for (i, item) in as_array(v).iter().enumerate() {
        let id = match field(item, "id").as_str() {
            Some(id) => id.to_string(),
            None => format!("{base}[{i}]"),
        };
        // A repeated id (refused at load) keeps its first entry.
        if lookup(&out, &id).is_none() {
            out.push((id, item.clone()));
        }
    }
    out
}

/// `base.key`, or `base["key"]` when the key is not a plain word.
fn path(base: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let mut out = base.to_string();
    if plain {
        out.push('.');
        out.push_str(key);
    } else {
        out.push('[');
        crate::value::write_string(key, &mut out);
        out.push(']');
    }
    out
}

/// JSON text with object members sorted by name: equal for values that
/// are equal as JSON (numbers by value, members in any order).
fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Array(xs) => Value::Array(xs.iter().map(sorted).collect()),
            Value::Object(m) => {
                let mut m: Vec<(String, Value)> = m.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
                m.sort_by(|x, y| x.0.cmp(&y.0));
                Value::Object(m)
            }
            other => other.clone(),
        }
    }
    sorted(v).to_json()
}

fn same(a: &Value, b: &Value) -> bool {
    a == b || canonical(a) == canonical(b)
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

// ----------------------------------------------------------- blast radius

/// What a change would do to a sample of contexts: per flag, how many
/// are served another variant or value by `after` than by `before`.
#[derive(Debug, Clone, PartialEq)]
pub struct BlastRadius {
    /// How many contexts were evaluated.
    pub contexts: usize,
    /// Every flag either ruleset has: `after`'s order, then the flags only
    /// `before` has.
    pub flags: Vec<FlagImpact>,
}

/// One flag's share of the blast radius.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagImpact {
    /// The flag key.
    pub key: String,
    /// Contexts served another variant or value.
    pub changed: usize,
    /// Which way they moved, most common first.
    pub transitions: Vec<Transition>,
}

/// Contexts that moved from one variant to another. `None` is "no
/// variant": the flag does not exist on that side (callers get their
/// default). The same name on both sides means the variant's value changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The variant served by `before`.
    pub from: Option<String>,
    /// The variant served by `after`.
    pub to: Option<String>,
    /// How many contexts.
    pub count: usize,
}

impl BlastRadius {
    /// Evaluates every flag of both rulesets for every context at `now`
    /// (ms since the epoch) with no caller default, and counts the
    /// contexts whose served (variant, value) differs.
    pub fn between(before: &Ruleset, after: &Ruleset, contexts: &[Context], now: Millis) -> BlastRadius {
        let mut keys: Vec<&str> = after.flags().iter().map(|f| f.key()).collect();
        keys.extend(before.flags().iter().map(|f| f.key()).filter(|k| after.flag(k).is_none()));
        let flags = keys
            .into_iter()
            .map(|key| {
                let mut moves: Vec<Transition> = Vec::new();
                for ctx in contexts {
                    let b = before.evaluate(key, ctx, now, &Value::Null);
                    let a = after.evaluate(key, ctx, now, &Value::Null);
                    if b.variant == a.variant && b.value == a.value {
                        continue;
                    }
                    let (from, to) = (b.variant.map(str::to_string), a.variant.map(str::to_string));
                    match moves.iter_mut().find(|t| t.from == from && t.to == to) {
                        Some(t) => t.count += 1,
                        None => moves.push(Transition { from, to, count: 1 }),
                    }
                }
                // Most common first; ties in first-seen order (stable sort).
                moves.sort_by_key(|t| std::cmp::Reverse(t.count));
                FlagImpact { key: key.to_string(), changed: moves.iter().map(|t| t.count).sum(), transitions: moves }
            })
            .collect();
        BlastRadius { contexts: contexts.len(), flags }
    }

    /// The flag's impact, if either ruleset has it.
    pub fn flag(&self, key: &str) -> Option<&FlagImpact> {
        self.flags.iter().find(|f| f.key == key)
    }

    /// As JSON data: `{"contexts": n, "flags": [{"key", "changed",
    /// "transitions": [{"from", "to", "count"}]}]}` (`from`/`to` `null`
    /// where the flag does not exist).
    pub fn to_value(&self) -> Value {
        let name = |v: &Option<String>| v.as_deref().map_or(Value::Null, s);
        let flags = self
            .flags
            .iter()
            .map(|f| {
                let moves = f
                    .transitions
                    .iter()
                    .map(|t| obj(vec![("from", name(&t.from)), ("to", name(&t.to)), ("count", num(t.count))]))
                    .collect();
                obj(vec![("key", s(&f.key)), ("changed", num(f.changed)), ("transitions", Value::Array(moves))])
            })
            .collect();
        obj(vec![("contexts", num(self.contexts)), ("flags", Value::Array(flags))])
    }
}

fn num(n: usize) -> Value {
    Value::Number(n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        Value::parse(text).unwrap()
    }

    fn diff(a: &str, b: &str) -> RulesetDiff {
        RulesetDiff::between(&doc(a), &doc(b))
    }

    /// Each change of the one flag `f`, as `field: kind` text.
    fn flag_lines(d: &RulesetDiff) -> Vec<String> {
        d.flags.iter().flat_map(|f| f.changes.iter().map(|c| c.to_value().to_json())).collect()
    }

    #[test]
    fn identical_and_equivalent_documents_have_no_diff() {
        let a = r#"{"version": 3, "flags": {"a": true, "b": 20, "c": ["u1", "u2"], "d": {"rollout_percentage": 5, "allowed_users": ["x"]}}}"#;
        assert!(diff(a, a).is_empty());
        // Shorthands, aliases, defaults, nulls, member order, set order, times.
        let b = r#"{"version": 9, "schema": 1, "flags": {
            "a": {"enabled": true, "killed": false, "salt": "a"},
            "b": {"percentage": 20, "owner": null},
            "c": {"users": ["u2", "u1"], "variants": {"off": false, "on": true}},
            "d": {"percentage": 5, "users": ["x"], "bucket_by": "user_id", "rollout_variant": "on"}}}"#;
        assert!(diff(a, b).is_empty(), "{:?}", diff(a, b));
        let s1 = r#"{"flags": {"f": {"expires": "2027-03-01", "schedule": {"steps": [[0, 1], [3, 5]], "start": "2026-10-01"},
            "rules": [{"id": "r", "conditions": [{"attribute": "a", "op": "eq", "value": 1}, {"op": "in_segment", "value": "s"}], "percentage": 5}]}}}"#;
        let s2 = r#"{"flags": {"f": {"expires": "2027-03-01T00:00:00Z", "schedule": {"type": "steps", "start": "2026-10-01T00:00:00.000Z", "steps": [{"day": 0, "percentage": 1}, {"percentage": 5, "day": 3}]},
            "rules": [{"percentage": 5, "variant": "on", "id": "r", "conditions": [{"value": "s", "op": "in_segment"}, {"op": "eq", "attribute": "a", "value": 1.0}]}]}}}"#;
        assert!(diff(s1, s2).is_empty(), "{:?}", diff(s1, s2));
        let p1 =
            r#"{"flags": {"x": true, "y": {"prerequisites": [{"flag": "x"}], "split": [["on", 50], ["off", 50]]}}}"#;
        let p2 = r#"{"flags": {"x": true, "y": {"prerequisites": [{"flag": "x", "variants": ["on"]}], "split": [{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}]}}}"#;
        assert!(diff(p1, p2).is_empty(), "{:?}", diff(p1, p2));
    }

    #[test]
    fn flags_added_removed_and_switches() {
        let d = diff(
            r#"{"flags": {"a": true, "b": {"percentage": 10}, "gone": false}}"#,
            r#"{"flags": {"a": {"enabled": true, "killed": true}, "b": {"percentage": 35}, "new": 5}}"#,
        );
        let keys: Vec<(&str, Status)> = d.flags.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(
            keys,
            [("a", Status::Changed), ("b", Status::Changed), ("new", Status::Added), ("gone", Status::Removed)]
        );
        assert_eq!(d.flag_counts(), (1, 1, 2));
        assert_eq!(
            d.flags[0].changes,
            [Change {
                field: "killed".into(),
                kind: ChangeKind::Changed { before: Value::Bool(false), after: Value::Bool(true) }
            }]
        );
        assert_eq!(
            d.flags[1].changes[0].kind,
            ChangeKind::Changed { before: Value::Number(10.0), after: Value::Number(35.0) }
        );
        // Added flags carry their document, shorthand expanded.
        assert_eq!(d.flags[2].document, Some(doc(r#"{"percentage": 5}"#)));
        assert_eq!(d.flags[3].document, Some(doc(r#"{"enabled": false}"#)));
    }

    #[test]
    fn lists_variants_targets_and_prerequisites() {
        let d = diff(
            r#"{"flags": {"p": true, "q": true, "f": {"variants": {"a": 1, "b": 2, "c": 3}, "default_variant": "a",
                "users": [], "targets": [{"variant": "b", "users": ["u1", "u2"]}], "tags": ["x"],
                "prerequisites": [{"flag": "p"}, {"flag": "q", "variant": "on"}]}}}"#,
            r#"{"flags": {"p": true, "q": true, "f": {"variants": {"a": 1, "b": 20, "d": 4}, "default_variant": "d",
                "targets": [{"variant": "b", "users": ["u2", "u3"]}, {"variant": "d", "users": ["u9"]}], "tags": ["x", "y"],
                "prerequisites": [{"flag": "p", "variants": ["on", "off"]}]}}}"#,
        );
        assert_eq!(
            flag_lines(&d),
            [
                r#"{"field":"default_variant","change":"changed","before":"a","after":"d"}"#,
                r#"{"field":"variants.b","change":"changed","before":2,"after":20}"#,
                r#"{"field":"variants.c","change":"removed","before":3}"#,
                r#"{"field":"variants.d","change":"added","after":4}"#,
                r#"{"field":"targets.b","change":"members","added":["u3"],"removed":["u1"]}"#,
                r#"{"field":"targets.d","change":"members","added":["u9"],"removed":[]}"#,
                r#"{"field":"prerequisites.p","change":"changed","before":{"flag":"p","variants":["on"]},"after":{"flag":"p","variants":["off","on"]}}"#,
                r#"{"field":"prerequisites.q","change":"removed","before":{"flag":"q","variants":["on"]}}"#,
                r#"{"field":"tags","change":"members","added":["y"],"removed":[]}"#,
            ]
        );
    }

    #[test]
    fn rules_by_id_and_order() {
        let d = diff(
            r#"{"flags": {"f": {"rules": [
                {"id": "vip", "conditions": [{"attribute": "plan", "op": "eq", "value": "vip"}], "variant": "on"},
                {"id": "eu", "conditions": [{"attribute": "country", "op": "in", "values": ["DE"]}], "percentage": 10},
                {"id": "old", "conditions": [], "variant": "off"}]}}}"#,
            r#"{"flags": {"f": {"rules": [
                {"id": "eu", "conditions": [{"attribute": "country", "op": "in", "values": ["DE", "FR"]}], "percentage": 50},
                {"id": "vip", "conditions": [{"attribute": "plan", "op": "eq", "value": "vip"}], "variant": "on", "description": "VIPs"},
                {"conditions": [{"attribute": "beta", "op": "eq", "value": true}], "variant": "on"}]}}}"#,
        );
        assert_eq!(
            flag_lines(&d),
            [
                r#"{"field":"rules.eu.conditions","change":"members","added":[{"attribute":"country","op":"in","values":["DE","FR"]}],"removed":[{"attribute":"country","op":"in","values":["DE"]}]}"#,
                r#"{"field":"rules.eu.percentage","change":"changed","before":10,"after":50}"#,
                r#"{"field":"rules.vip.description","change":"changed","before":null,"after":"VIPs"}"#,
                r#"{"field":"rules[\"rules[2]\"]","change":"added","after":{"conditions":[{"attribute":"beta","op":"eq","value":true}],"variant":"on"}}"#,
                r#"{"field":"rules.old","change":"removed","before":{"id":"old","conditions":[],"variant":"off"}}"#,
                r#"{"field":"rules","change":"order","before":["vip","eu"],"after":["eu","vip"]}"#,
            ]
        );
    }

    #[test]
    fn segments_routes_top_level_and_unknown_fields() {
        let d = diff(
            r#"{"description": "x", "segments": {"s": {"users": ["a"]}, "t": {"users": ["z"]}},
                "routes": [{"id": "r1", "path": "/a*", "flag": "f", "upstreams": {"on": "http://a", "off": "http://b"}},
                           {"id": "r2", "path": "/b*", "flag": "f", "upstreams": {"on": "http://a", "off": "http://b"}}],
                "flags": {"f": true, "g": true}}"#,
            r#"{"description": "y", "segments": {"s": {"users": ["a", "b"], "conditions": [{"attribute": "k", "op": "eq", "value": 1}]}},
                "routes": [{"id": "r2", "path": "/b*", "flag": "f", "upstreams": {"on": "http://c", "off": "http://b"}},
                           {"id": "r1", "path": "/a/*", "flag": "f", "upstreams": {"on": "http://a", "off": "http://b"}}],
                "flags": {"g": {"enabled": true, "client": false}, "f": true}}"#,
        );
        let top: Vec<String> = d.ruleset.iter().map(|c| c.to_value().to_json()).collect();
        assert_eq!(
            top,
            [
                r#"{"field":"description","change":"changed","before":"x","after":"y"}"#,
                r#"{"field":"flags","change":"order","before":["f","g"],"after":["g","f"]}"#,
                r#"{"field":"routes","change":"order","before":["r1","r2"],"after":["r2","r1"]}"#,
            ]
        );
        // A field this version does not know is still compared.
        assert_eq!(flag_lines(&d), [r#"{"field":"client","change":"changed","before":null,"after":false}"#]);
        let segs: Vec<String> = d.segments.iter().map(|c| c.to_value().to_json()).collect();
        assert_eq!(
            segs,
            [
                r#"{"key":"s","status":"changed","changes":[{"field":"users","change":"members","added":["b"],"removed":[]},{"field":"conditions","change":"members","added":[{"attribute":"k","op":"eq","value":1}],"removed":[]}]}"#,
                r#"{"key":"t","status":"removed","document":{"users":["z"]},"changes":[]}"#,
            ]
        );
        let routes: Vec<String> = d.routes.iter().map(|c| c.to_value().to_json()).collect();
        assert_eq!(
            routes,
            [
                r#"{"key":"r2","status":"changed","changes":[{"field":"upstreams.on","change":"changed","before":"http://a","after":"http://c"}]}"#,
                r#"{"key":"r1","status":"changed","changes":[{"field":"path","change":"changed","before":"/a*","after":"/a/*"}]}"#,
            ]
        );
    }

    #[test]
    fn odd_shapes_never_panic() {
        for (a, b) in [
            ("null", "{}"),
            ("[1]", r#"{"flags": 3}"#),
            (
                r#"{"flags": {"a": "x"}}"#,
                r#"{"flags": {"a": {"rules": 5, "targets": [1, {"users": 2}], "prerequisites": [null]}}}"#,
            ),
            (r#"{"routes": [1, {"id": 2}]}"#, r#"{"routes": {"x": 1}, "segments": [1]}"#),
        ] {
            let _ = RulesetDiff::between(&doc(a), &doc(b)).to_value();
            let _ = RulesetDiff::between(&doc(b), &doc(a)).to_value();
        }
        // A non-object flag becomes a `flag` field.
        let d = diff(r#"{"flags": {"a": "x"}}"#, r#"{"flags": {"a": "y"}}"#);
        assert_eq!(flag_lines(&d), [r#"{"field":"flag","change":"changed","before":"x","after":"y"}"#]);
    }

    fn ctxs(users: impl IntoIterator<Item = String>) -> Vec<Context> {
        users.into_iter().map(|u| Context::with_user(&u)).collect()
    }

    #[test]
    fn blast_radius_counts_moved_contexts() {
        let before = Ruleset::from_json(
            r#"{"flags": {"roll": {"percentage": 10}, "same": true, "kill": true, "gone": true,
                "exp": {"variants": {"a": "A", "b": "B"}, "default_variant": "a"}}}"#,
        )
        .unwrap();
        let after = Ruleset::from_json(
            r#"{"flags": {"roll": {"percentage": 30}, "same": {"enabled": true}, "kill": {"enabled": true, "killed": true}, "new": true,
                "exp": {"variants": {"a": "A2", "b": "B"}, "default_variant": "a"}}}"#,
        )
        .unwrap();
        let contexts = ctxs((0..1000).map(|i| format!("u{i}")));
        let br = BlastRadius::between(&before, &after, &contexts, 0);
        assert_eq!(br.contexts, 1000);
        let keys: Vec<&str> = br.flags.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["roll", "same", "kill", "new", "exp", "gone"]);
        // The rollout: exactly the units whose bucket is in [10, 30).
        let want = (0..1000).filter(|i| (10.0..30.0).contains(&crate::bucket("roll", &format!("u{i}")))).count();
        let roll = br.flag("roll").unwrap();
        assert_eq!(roll.changed, want);
        assert_eq!(roll.transitions, [Transition { from: Some("off".into()), to: Some("on".into()), count: want }]);
        assert_eq!(br.flag("same").unwrap().changed, 0);
        let one = |from: Option<&str>, to: Option<&str>| {
            vec![Transition { from: from.map(Into::into), to: to.map(Into::into), count: 1000 }]
        };
        assert_eq!(br.flag("kill").unwrap().transitions, one(Some("on"), Some("off")));
        assert_eq!(br.flag("new").unwrap().transitions, one(None, Some("on")));
        assert_eq!(br.flag("gone").unwrap().transitions, one(Some("on"), None));
        // Same variant, new value: still a change.
        assert_eq!(br.flag("exp").unwrap().transitions, one(Some("a"), Some("a")));
        let v = br.to_value().to_json();
        assert!(v.starts_with(r#"{"contexts":1000,"flags":[{"key":"roll","changed":"#), "{v}");
        assert!(
            v.contains(r#"{"key":"gone","changed":1000,"transitions":[{"from":"on","to":null,"count":1000}]}"#),
            "{v}"
        );
    }

    #[test]
    fn blast_radius_sees_segment_changes_and_time() {
        let seg = |users: &str| {
            Ruleset::from_json(&format!(
                r#"{{"segments": {{"beta": {{"users": {users}}}}}, "flags": {{
                    "f": {{"rules": [{{"conditions": [{{"op": "in_segment", "value": "beta"}}], "variant": "on"}}]}},
                    "t": {{"schedule": {{"type": "linear", "start": "2026-01-01T00:00:00Z", "duration_hours": 100}}}}}}}}"#
            ))
            .unwrap()
        };
        let (before, after) = (seg(r#"["u1"]"#), seg(r#"["u1", "u2", "u3"]"#));
        let contexts = ctxs((1..=5).map(|i| format!("u{i}")));
        let br = BlastRadius::between(&before, &after, &contexts, 0);
        assert_eq!(br.flag("f").unwrap().changed, 2);
        assert_eq!(br.flag("t").unwrap().changed, 0, "same schedule, same time");
        // An empty sample changes nothing.
        assert_eq!(BlastRadius::between(&before, &after, &[], 0).flag("f").unwrap().changed, 0);
    }
}
