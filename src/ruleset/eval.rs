//! Evaluation: a compiled flag, a context and a time in; a variant, a
//! reason and the matched rule out. No parsing, no clock, no I/O; no heap
//! allocation unless a bucketing unit is a number rather than a string.
//!
//! The order, for every flag: kill switch, prerequisites, user lists and
//! targets, rules in order, the flag-level rollout or split, the default.
//! A rollout serves its variant to units inside it and the off variant to
//! units outside it; a context without the bucketing attribute skips the
//! rollout (it is never bucketed at random) and evaluation goes on.
//!
//! Around that resolution, the result semantics every runtime shares: a
//! test override wins over everything, an unknown flag gives the caller's
//! default with `FLAG_NOT_FOUND`, and the value served must satisfy the
//! caller's typed default ([`default_accepts`]) or the default comes back
//! with `TYPE_MISMATCH`. [`Evaluation`] serializes to the one result shape.

use std::cmp::Ordering;

use super::model::*;
use super::Ruleset;
use crate::bucket::{bucket, bucket_in_rollout, pick_weighted};
use crate::context::Context;
use crate::error::{ErrorCode, Reason};
use crate::glob::glob_match;
use crate::kind::default_accepts;
use crate::overrides::Overrides;
use crate::semver::Semver;
use crate::time::{parse_rfc3339, Millis};
use crate::value::Value;

/// What a flag resolved to, as indices: cheap to copy and to send across a
/// wasm boundary. Read names and values through the ruleset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// Index of the served variant in the flag's variants.
    pub variant: u32,
    /// Why.
    pub reason: Reason,
    /// What matched: see [`Resolution::rule_id`].
    pub(crate) matched: Matched,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Matched {
    Nothing,
    Target(u32),
    Rule(u32),
    Prerequisite(u32),
}

impl Resolution {
    /// The id of what decided: a rule's id, `users`, `targets[i]`, or
    /// `prerequisite:<flag>`; `None` for the default, the kill switch and
    /// the flag-level rollout.
    /// `None` too for a flag or resolution from another ruleset.
    pub fn rule_id<'r>(&self, ruleset: &'r Ruleset, flag: FlagId) -> Option<&'r str> {
        Resolution::rule_id_of_code(ruleset, flag, self.matched_code())
    }

    /// A small integer encoding of what matched, for bindings: 0 nothing,
    /// then targets, rules and prerequisites as `kind << 24 | index`
    /// (kind 1, 2, 3).
    pub fn matched_code(&self) -> u32 {
        match self.matched {
            Matched::Nothing => 0,
            Matched::Target(i) => 1 << 24 | i,
            Matched::Rule(i) => 2 << 24 | i,
            Matched::Prerequisite(i) => 3 << 24 | i,
        }
    }

    /// The inverse of [`Resolution::matched_code`] for bindings that carry
    /// only the code across a boundary: the id [`Resolution::rule_id`]
    /// would give. `None` for 0, and for a code or flag that does not
    /// exist (never a panic: the code comes from outside).
    pub fn rule_id_of_code(ruleset: &Ruleset, flag: FlagId, code: u32) -> Option<&str> {
        let f = ruleset.flags.get(flag.index())?;
        let i = (code & 0x00ff_ffff) as usize;
        match code >> 24 {
            1 => f.targets.get(i).map(|t| &*t.id),
            2 => f.rules.get(i).map(|r| &*r.id),
            3 => f.prerequisites.get(i).and_then(|p| ruleset.flags.get(p.flag.index())).map(|p| &*p.key),
            _ => None,
        }
    }
}

/// A full evaluation result, borrowing from the ruleset and the caller's default.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<'a> {
    /// The value: the served variant's, or the caller's default on error.
    pub value: &'a Value,
    /// The served variant's name (`None` on error).
    pub variant: Option<&'a str>,
    /// Why.
    pub reason: Reason,
    /// What decided (see [`Resolution::rule_id`]).
    pub rule_id: Option<&'a str>,
    /// Set when the caller's default was returned.
    pub error_code: Option<ErrorCode>,
}

impl Evaluation<'_> {
    /// The caller's `default` served because of `code` (reason `ERROR`, no
    /// variant): what every runtime answers for an unknown flag, and what
    /// the Worker answers for a server-only flag asked by a client.
    pub fn error(default: &Value, code: ErrorCode) -> Evaluation<'_> {
        error(default, code)
    }

    /// Whether the value is truthy ([`Value::is_truthy`]): `true`, a
    /// non-zero number, a non-empty string, or any array or object (the
    /// seeds' X-Active-Flags test).
    pub fn is_truthy(&self) -> bool {
        self.value.is_truthy()
    }
}

/// The one result shape of every runtime (CLI, Worker, package):
/// `{"value": <json>, "variant": <string|null>, "reason": "<REASON>"}`,
/// plus `"ruleId"` and `"errorCode"` only when set.
impl serde::Serialize for Evaluation<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let len = 3 + usize::from(self.rule_id.is_some()) + usize::from(self.error_code.is_some());
        let mut map = s.serialize_map(Some(len))?;
        map.serialize_entry("value", self.value)?;
        map.serialize_entry("variant", &self.variant)?;
        map.serialize_entry("reason", self.reason.as_str())?;
        if let Some(id) = self.rule_id {
            map.serialize_entry("ruleId", id)?;
        }
        if let Some(code) = self.error_code {
            map.serialize_entry("errorCode", code.as_str())?;
        }
        map.end()
    }
}

impl Ruleset {
    /// Resolves flag `id` for `ctx` at time `now`. The hot path.
    ///
    /// An id from another ruleset (a caller's mistake, never a panic)
    /// gives reason `ERROR` and a variant index no flag has.
    pub fn resolve(&self, id: FlagId, ctx: &Context, now: Millis) -> Resolution {
        match self.flags.get(id.index()) {
            Some(f) => self.resolve_depth(f, ctx, now, 0),
            None => Resolution { variant: u32::MAX, reason: Reason::Error, matched: Matched::Nothing },
        }
    }

    fn resolve_depth(&self, f: &Flag, ctx: &Context, now: Millis, depth: usize) -> Resolution {
        let res = |variant, reason, matched| Resolution { variant, reason, matched };
        if f.killed {
            return res(f.off, Reason::Disabled, Matched::Nothing);
        }
        // Prerequisite chains are acyclic and depth-limited at load time;
        // the depth guard here only makes that a local fact.
        for (i, p) in f.prerequisites.iter().enumerate() {
            let ok = depth < crate::limits::MAX_PREREQUISITE_DEPTH && {
                let r = self.resolve_depth(&self.flags[p.flag.index()], ctx, now, depth + 1);
                p.variants.contains(&r.variant)
            };
            if !ok {
                return res(f.off, Reason::PrerequisiteFailed, Matched::Prerequisite(i as u32));
            }
        }
        if !f.targets.is_empty() {
            if let Some(user) = ctx.unit_at(self.layout, self.user_slot, "user_id") {
                for (i, t) in f.targets.iter().enumerate() {
                    if t.users.contains(&user, &self.hash_salt) {
                        return res(t.variant, Reason::TargetingMatch, Matched::Target(i as u32));
                    }
                }
            }
        }
        for (i, rule) in f.rules.iter().enumerate() {
            if rule.conditions.iter().all(|c| self.condition(c, ctx, now)) {
                if let Some((variant, reason)) = serve(f, &rule.serve, ctx, self.layout, now, Reason::TargetingMatch) {
                    return res(variant, reason, Matched::Rule(i as u32));
                }
            }
        }
        if let Some(s) = &f.fallthrough {
            if let Some((variant, reason)) = serve(f, s, ctx, self.layout, now, Reason::Default) {
                return res(variant, reason, Matched::Nothing);
            }
        }
        let reason = if f.is_static() { Reason::Static } else { Reason::Default };
        res(f.default, reason, Matched::Nothing)
    }

    fn condition(&self, c: &Condition, ctx: &Context, now: Millis) -> bool {
        match &c.op {
            Op::InSegment(ids) => ids.iter().any(|&s| self.in_segment(s, ctx, now)),
            Op::NotInSegment(ids) => !ids.iter().any(|&s| self.in_segment(s, ctx, now)),
            op => match ctx.get_at(self.layout, c.slot, &c.attribute) {
                // Objects say nothing a condition can test: no operator,
                // negated or not, matches them (as for a missing attribute).
                None | Some(Value::Object(_)) => false,
                // A list attribute (groups, roles) matches when any element
                // does; for the negated operator, when no element is in the set.
                Some(Value::Array(items)) => match op {
                    Op::NotIn(_) | Op::NotInHashed(_) => {
                        let positive = |v: &Value| !scalar_matches(op, v, &self.hash_salt);
                        !items.iter().any(positive) && items.iter().all(|v| !matches!(v, Value::Object(_)))
                    }
                    _ => items.iter().any(|v| scalar_matches(op, v, &self.hash_salt)),
                },
                Some(v) => scalar_matches(op, v, &self.hash_salt),
            },
        }
    }

    fn in_segment(&self, id: u32, ctx: &Context, now: Millis) -> bool {
        let seg = &self.segments[id as usize];
        if !seg.users.is_empty() {
            if let Some(user) = ctx.unit_at(self.layout, self.user_slot, "user_id") {
                if seg.users.contains(&user, &self.hash_salt) {
                    return true;
                }
            }
        }
        !seg.conditions.is_empty() && seg.conditions.iter().all(|c| self.condition(c, ctx, now))
    }

    /// Evaluates flag `key` with the caller's `default` (`null`: none), no
    /// overrides: an unknown flag gives the default with `FLAG_NOT_FOUND`;
    /// a served value the default's kind does not accept
    /// ([`default_accepts`]) gives the default with `TYPE_MISMATCH`.
    pub fn evaluate<'a>(&'a self, key: &str, ctx: &Context, now: Millis, default: &'a Value) -> Evaluation<'a> {
        match self.flag_id(key) {
            Some(id) => typed(self.evaluation(id, self.resolve(id, ctx, now)), default),
            None => error(default, ErrorCode::FlagNotFound),
        }
    }

    /// [`Ruleset::evaluate`] under test overrides: an overridden key (in
    /// the ruleset or not) serves its override over everything, the kill
    /// switch included, with reason `OVERRIDE`, no rule id, and as variant
    /// the name of the flag's first variant whose value equals it (else
    /// none). The typed-default check applies to it as to any value.
    pub fn evaluate_with<'a>(
        &'a self,
        key: &str,
        ctx: &Context,
        now: Millis,
        default: &'a Value,
        overrides: &'a Overrides,
    ) -> Evaluation<'a> {
        match overrides.get(key) {
            Some(v) => typed(self.overridden(key, v), default),
            None => self.evaluate(key, ctx, now, default),
        }
    }

    /// Whether flag `key` serves a truthy value ([`Value::is_truthy`])
    /// under `overrides`: what `isEnabled` and `X-Active-Flags` report.
    /// No default is involved; an unknown flag (not overridden) is false.
    pub fn is_enabled(&self, key: &str, ctx: &Context, now: Millis, overrides: &Overrides) -> bool {
        static NONE: Value = Value::Null;
        // With no default nothing mismatches, and an error's value is that
        // `null`, which is false.
        self.evaluate_with(key, ctx, now, &NONE, overrides).is_truthy()
    }

    /// The result of an override `v` of `key`.
    fn overridden<'a>(&'a self, key: &str, v: &'a Value) -> Evaluation<'a> {
        let variant = self.flag(key).and_then(|f| f.variants.iter().find(|x| x.value == *v)).map(|x| &*x.name);
        Evaluation { value: v, variant, reason: Reason::Override, rule_id: None, error_code: None }
    }

    /// The full result of a [`Resolution`] of flag `id`. A flag or
    /// resolution from another ruleset gives `null` with `FLAG_NOT_FOUND`.
    pub fn evaluation(&self, id: FlagId, r: Resolution) -> Evaluation<'_> {
        static NULL: Value = Value::Null;
        let Some(v) = self.flags.get(id.index()).and_then(|f| f.variants.get(r.variant as usize)) else {
            return error(&NULL, ErrorCode::FlagNotFound);
        };
        Evaluation {
            value: &v.value,
            variant: Some(&v.name),
            reason: r.reason,
            rule_id: r.rule_id(self, id),
            error_code: None,
        }
    }

    /// Every flag for one context, in document order (no default, no
    /// overrides).
    pub fn evaluate_all(&self, ctx: &Context, now: Millis) -> Vec<(&str, Evaluation<'_>)> {
        (0..self.flags.len() as u32)
            .map(|i| {
                let id = FlagId(i);
                (&*self.flags[i as usize].key, self.evaluation(id, self.resolve(id, ctx, now)))
            })
            .collect()
    }

    /// Every flag for one context under `overrides` (no default): the
    /// ruleset's flags in document order, then the overridden keys the
    /// ruleset does not have, in override order.
    pub fn evaluate_all_with<'a>(
        &'a self,
        ctx: &Context,
        now: Millis,
        overrides: &'a Overrides,
    ) -> Vec<(&'a str, Evaluation<'a>)> {
        let mut out: Vec<(&str, Evaluation<'_>)> = (0..self.flags.len() as u32)
            .map(|i| {
                let id = FlagId(i);
                let key = &*self.flags[i as usize].key;
                let e = match overrides.get(key) {
                    Some(v) => self.overridden(key, v),
                    None => self.evaluation(id, self.resolve(id, ctx, now)),
                };
                (key, e)
            })
            .collect();
        out.extend(
            overrides.iter().filter(|(k, _)| self.flag_id(k).is_none()).map(|(k, v)| (k, self.overridden(k, v))),
        );
        out
    }
}

/// `e`, unless its value is of a kind `default` does not accept: then the
/// default with `TYPE_MISMATCH`. Errors pass through.
fn typed<'a>(e: Evaluation<'a>, default: &'a Value) -> Evaluation<'a> {
    if e.error_code.is_none() && !default_accepts(default.kind(), e.value.kind()) {
        return error(default, ErrorCode::TypeMismatch);
    }
    e
}

fn error(default: &Value, code: ErrorCode) -> Evaluation<'_> {
    Evaluation { value: default, variant: None, reason: Reason::Error, rule_id: None, error_code: Some(code) }
}

/// Applies a serve; `None` when it cannot (no bucketing unit) and
/// evaluation should go on. `layout` is the ruleset's (see [`Context::get_at`]).
fn serve(f: &Flag, s: &Serve, ctx: &Context, layout: u64, now: Millis, fixed_reason: Reason) -> Option<(u32, Reason)> {
    match s {
        Serve::Variant(v) => Some((*v, fixed_reason)),
        Serve::Rollout { percentage, variant } => {
            let p = match percentage {
                Percentage::Fixed(p) => *p,
                Percentage::Schedule(s) => schedule_percentage(s, now),
            };
            // 0% and 100% need no hash, but still need a unit: an
            // unidentified requester is never bucketed.
            let unit = ctx.unit_at(layout, f.bucket_slot, &f.bucket_by)?;
            let inside = p >= 100.0 || (p > 0.0 && bucket_in_rollout(bucket(&f.salt, &unit), p));
            Some((if inside { *variant } else { f.off }, Reason::Split))
        }
        Serve::Split(weights) => {
            let unit = ctx.unit_at(layout, f.bucket_slot, &f.bucket_by)?;
            let b = bucket(&f.salt, &unit);
            let i = pick_weighted(b, weights.iter().map(|w| w.1))?;
            Some((weights[i].0, Reason::Split))
        }
    }
}

/// The percentage a schedule gives at `now` (0 before its start).
pub(crate) fn schedule_percentage(s: &Schedule, now: Millis) -> f64 {
    match s {
        Schedule::Steps { start, steps } => {
            let elapsed = now.saturating_sub(*start);
            if elapsed < 0 {
                return 0.0;
            }
            // For whole-day offsets this is the seed's `days_since_start >= day_offset`.
            steps.iter().take_while(|(at, _)| elapsed >= *at).last().map_or(0.0, |s| s.1)
        }
        Schedule::Linear { start, duration, from, to } => {
            let elapsed = now.saturating_sub(*start);
            if elapsed < 0 {
                0.0
            } else if elapsed >= *duration {
                *to
            } else {
                from + (to - from) * (elapsed as f64 / *duration as f64)
            }
        }
        Schedule::SCurve { start, duration, from, to, steepness } => {
            let elapsed = now.saturating_sub(*start);
            if elapsed < 0 {
                0.0
            } else if elapsed >= *duration {
                *to
            } else {
                let progress = elapsed as f64 / *duration as f64;
                // The seed's logistic curve, truncated to a whole percent as it does.
                (from + (to - from) / (1.0 + (-steepness * (progress - 0.5)).exp())).trunc()
            }
        }
    }
}

fn in_set(set: &ValueSet, v: &Value) -> bool {
    match v {
        // "42.0" matches a listed 42 as 42 matches a listed "42.0": numeric
        // text is compared by value too, both ways.
        Value::String(s) => {
            set.strings.contains(s)
                || !set.numbers.is_empty()
                    && crate::value::parse_number(s.trim()).is_some_and(|n| set.numbers.contains(&n))
        }
        Value::Number(n) => set.numbers.contains(n),
        Value::Bool(b) => set.strings.contains(if *b { "true" } else { "false" }),
        _ => false,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        // Contexts built from query strings and headers carry numbers as text.
        Value::String(s) => crate::value::parse_number(s.trim()),
        _ => None,
    }
}

fn as_time(v: &Value) -> Option<Millis> {
    match v {
        Value::Number(n) if n.is_finite() => Some(*n as i64),
        Value::String(s) => parse_rfc3339(s).ok(),
        _ => None,
    }
}

fn ord_matches(op: NumOp, o: Ordering) -> bool {
    match op {
        NumOp::Eq => o == Ordering::Equal,
        NumOp::Lt => o == Ordering::Less,
        NumOp::Lte => o != Ordering::Greater,
        NumOp::Gt => o == Ordering::Greater,
        NumOp::Gte => o != Ordering::Less,
    }
}

/// Whether the scalar `v` satisfies `op` (`salt`: the ruleset's `hash_salt`).
fn scalar_matches(op: &Op, v: &Value, salt: &str) -> bool {
    match op {
        Op::In(set) => in_set(set, v),
        Op::NotIn(set) => !in_set(set, v),
        Op::InHashed(h) => crate::hash::equality(salt, v).is_some_and(|d| h.contains(&d)),
        Op::NotInHashed(h) => !crate::hash::equality(salt, v).is_some_and(|d| h.contains(&d)),
        Op::Contains(s) => v.as_str().is_some_and(|x| x.contains(&**s)),
        Op::StartsWith(s) => v.as_str().is_some_and(|x| x.starts_with(&**s)),
        Op::EndsWith(s) => v.as_str().is_some_and(|x| x.ends_with(&**s)),
        Op::Glob(p) => v.as_str().is_some_and(|x| glob_match(p, x)),
        Op::Num(op, n) => as_number(v).and_then(|x| x.partial_cmp(n)).is_some_and(|o| ord_matches(*op, o)),
        Op::Semver(op, want) => {
            v.as_str().and_then(Semver::parse).is_some_and(|have| ord_matches(*op, have.cmp_precedence(want)))
        }
        Op::Before(t) => as_time(v).is_some_and(|x| x < *t),
        Op::After(t) => as_time(v).is_some_and(|x| x > *t),
        Op::InSegment(_) | Op::NotInSegment(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluations_serialize_to_the_one_result_shape() {
        let rs = Ruleset::from_json(
            r#"{"flags": {
                "cfg": {"variants": {"a": {"x": 1, "l": [1.5, null, "s"]}, "b": 2}, "default_variant": "a",
                        "rules": [{"id": "pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "variant": "b"}]}
            }}"#,
        )
        .unwrap();
        let json = |e: &Evaluation<'_>| serde_json::to_string(e).unwrap();
        let mut pro = Context::new();
        pro.set("plan", Value::String("pro".into()));
        let none = Value::Null;
        assert_eq!(
            json(&rs.evaluate("cfg", &Context::new(), 0, &none)),
            r#"{"value":{"x":1,"l":[1.5,null,"s"]},"variant":"a","reason":"DEFAULT"}"#
        );
        assert_eq!(
            json(&rs.evaluate("cfg", &pro, 0, &none)),
            r#"{"value":2,"variant":"b","reason":"TARGETING_MATCH","ruleId":"pro"}"#
        );
        let fallback = Value::String("fallback".into());
        assert_eq!(
            json(&rs.evaluate("cfg", &Context::new(), 0, &fallback)),
            r#"{"value":"fallback","variant":null,"reason":"ERROR","errorCode":"TYPE_MISMATCH"}"#
        );
        assert_eq!(
            json(&rs.evaluate("nope", &Context::new(), 0, &none)),
            r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"FLAG_NOT_FOUND"}"#
        );
        let mut o = Overrides::new();
        o.set(Some(&rs), "cfg", Value::Number(2.0)).unwrap();
        assert_eq!(
            json(&rs.evaluate_with("cfg", &pro, 0, &none, &o)),
            r#"{"value":2,"variant":"b","reason":"OVERRIDE"}"#
        );
    }

    #[test]
    fn rule_id_of_code_inverts_matched_code() {
        let rs = Ruleset::from_json(
            r#"{"flags": {
                "base": {"users": ["u1", "u2"]},
                "f": {"users": ["u1"], "prerequisites": [{"flag": "base", "variant": "on"}],
                      "rules": [{"id": "pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "variant": "on"}]}
            }}"#,
        )
        .unwrap();
        let f = rs.flag_id("f").unwrap();
        let mut ctx = Context::with_user("u2");
        ctx.set("plan", Value::String("pro".into()));
        for ctx in [Context::with_user("u1"), ctx, Context::new()] {
            let r = rs.resolve(f, &ctx, 0);
            assert_eq!(Resolution::rule_id_of_code(&rs, f, r.matched_code()), r.rule_id(&rs, f));
        }
        assert_eq!(Resolution::rule_id_of_code(&rs, f, 0), None);
        assert_eq!(Resolution::rule_id_of_code(&rs, f, 2 << 24 | 7), None);
        assert_eq!(Resolution::rule_id_of_code(&rs, FlagId(99), 2 << 24), None);
    }

    #[test]
    fn depends_on_time_follows_schedules_through_prerequisites() {
        let rs = Ruleset::from_json(
            r#"{"flags": {
                "plain": {"percentage": 20},
                "sched": {"schedule": {"type": "linear", "start": "2026-01-01T00:00:00Z", "duration_hours": 48}},
                "rule_sched": {"rules": [{"conditions": [], "schedule": {"steps": [[0, 10]], "start": "2026-01-01"}}]},
                "needs_sched": {"prerequisites": [{"flag": "sched"}], "users": ["u1"]},
                "needs_plain": {"prerequisites": [{"flag": "plain"}]}
            }}"#,
        )
        .unwrap();
        let timed = |k: &str| rs.depends_on_time(rs.flag_id(k).unwrap());
        assert!(!timed("plain") && !timed("needs_plain"));
        assert!(timed("sched") && timed("rule_sched") && timed("needs_sched"));
        assert!(!rs.depends_on_time(FlagId(99)));
        // What it promises: an untimed flag resolves the same at any time.
        let day = 86_400_000;
        for u in ["u1", "u2", "u3", "u4", "u5"] {
            let ctx = Context::with_user(u);
            for k in ["plain", "needs_plain"] {
                let id = rs.flag_id(k).unwrap();
                let r0 = rs.resolve(id, &ctx, 0);
                assert!([day * 20_000, day * 20_455, i64::MAX].iter().all(|&t| rs.resolve(id, &ctx, t) == r0));
            }
        }
    }

    #[test]
    fn flag_attributes_are_all_a_flag_reads() {
        let rs = Ruleset::from_json(include_str!("../../examples/ruleset.json")).unwrap();
        let attrs = |k: &str| rs.flag_attributes(rs.flag_id(k).unwrap());
        assert!(attrs("new_dashboard").is_empty());
        assert_eq!(attrs("max_upload_mb"), ["plan"]);
        assert_eq!(attrs("search_ranking"), ["tenant_id"]);
        // Its own targets and split, plus its prerequisite new_checkout's
        // users, segment (email), rule conditions and rollout.
        assert_eq!(attrs("checkout_experiment"), ["country", "email", "plan", "user_id"]);
        // What it promises: the flag resolves the same from only those.
        let values = |i: usize| -> Vec<(&str, Value)> {
            let s = |v: &str| Value::String(v.to_string());
            vec![
                ("user_id", [s("user:1"), s("qa-1"), s(&format!("u{i}")), Value::Number(i as f64)][i % 4].clone()),
                ("plan", [s("enterprise"), s("pro"), s("free")][i % 3].clone()),
                ("country", [s("US"), s("KP"), s("FR")][i % 3].clone()),
                ("email", [s("a@company.com"), s("b@x.org")][i % 2].clone()),
                ("beta", Value::Bool(i % 5 == 0)),
                ("app_version", [s("4.2.0"), s("2.0.0")][i % 2].clone()),
                ("signup_date", s("2024-01-01")),
                ("age_days", Value::Number((i % 60) as f64)),
                ("device", s("mobile-ios")),
                ("user_agent", s("Safari")),
                ("tenant_id", s(&format!("t{}", i % 13))),
            ]
        };
        for i in 0..400 {
            let mut full = Context::new();
            for (k, v) in values(i) {
                full.set(k, v);
            }
            for f in rs.flags() {
                let id = rs.flag_id(f.key()).unwrap();
                let keep = rs.flag_attributes(id);
                let mut only = Context::new();
                for (k, v) in values(i).into_iter().filter(|(k, _)| keep.contains(k)) {
                    only.set(k, v);
                }
                let now = 1_795_000_000_000;
                assert_eq!(rs.resolve(id, &full, now), rs.resolve(id, &only, now), "{} with {i}", f.key());
            }
        }
    }
}
