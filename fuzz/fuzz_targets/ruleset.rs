//! Fuzz target over ruleset loading and evaluation.
//!
//! The first input byte picks a mode:
//! - even: the rest is ruleset text, loaded as is (the JSON reader, the
//!   validator and the compiler on arbitrary bytes);
//! - odd: the rest drives up to 24 structural mutations of
//!   `examples/ruleset.json` (replace, delete, insert, rename, wrap, swap,
//!   edit), so most inputs stay close enough to valid to reach the compiler's
//!   deeper checks and, when they load, evaluation.
//!
//! Whatever loads is evaluated for contexts and times built from the bytes
//! left over, and checked for invariants: a loaded ruleset never errors for
//! its own flags with a `null` default, served variants exist, evaluation is
//! deterministic, and written JSON parses back. Any panic is a bug.
#![no_main]

use std::sync::OnceLock;

use edgeflags::edit::{apply, Edit};
use edgeflags::{Context, Ruleset, Value};
use libfuzzer_sys::fuzz_target;

const EXAMPLE: &str = include_str!("../../examples/ruleset.json");

fn example() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| Value::parse(EXAMPLE).unwrap_or(Value::Null))
}

/// Reads choices from the fuzzer's bytes; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(u16::from_le_bytes([self.byte(), self.byte()])) % n
        }
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "", "on", "off", "user_id", "tenant_id", "plan", "email", "country", "app_version", "beta", "control",
    "variant_a", "variant_b", "new_checkout", "new_search", "employees", "beta_testers", "*", "*@company.com",
    "?", "2026-10-01", "2026-10-01T00:00:00Z", "2026-02-30", "1.2.3", "4.2.0-rc.1", "v1", "steps", "linear",
    "s_curve", "in", "not_in", "eq", "neq", "contains", "starts_with", "ends_with", "glob", "lt", "lte", "gt",
    "gte", "semver_eq", "semver_lt", "semver_gte", "before", "after", "in_segment", "not_in_segment", "startswith",
    "boolean", "string", "number", "json", "http://127.0.0.1:9001", "/api/*", "user:1", "ü日本", "\u{0}",
];

const KEYS: &[&str] = &[
    "schema", "version", "flags", "segments", "routes", "type", "variants", "enabled", "default_variant",
    "off_variant", "killed", "salt", "bucket_by", "prerequisites", "users", "allowed_users", "targets", "rules",
    "percentage", "rollout_percentage", "schedule", "split", "rollout_variant", "owner", "created", "expires",
    "tags", "id", "conditions", "variant", "variants", "weight", "attribute", "op", "value", "values", "flag",
    "start", "steps", "start_percentage", "end_percentage", "duration_hours", "steepness", "day", "path",
    "upstreams",
];

const NUMBERS: &[f64] = &[
    0.0, -0.0, 1.0, -1.0, 0.5, 20.0, 50.0, 99.999, 100.0, 100.0001, 101.0, 1e300, -1e300, 5e-324, 3.0,
    36_500.0, 36_501.0, 9e15, 1e16, 16.0, 17.0, 1_000.0, 4_294_967_295.0,
];

fn leaf(b: &mut Bytes<'_>) -> Value {
    match b.below(5) {
        0 => Value::Null,
        1 => Value::Bool(b.byte() & 1 == 1),
        2 => Value::Number(*b.pick(NUMBERS)),
        _ => Value::String((*b.pick(WORDS)).to_string()),
    }
}

fn value(b: &mut Bytes<'_>, depth: usize) -> Value {
    if depth > 3 {
        return leaf(b);
    }
    match b.below(8) {
        0 => Value::Array((0..b.below(4)).map(|_| value(b, depth + 1)).collect()),
        1 => {
            let mut members: Vec<(String, Value)> = Vec::new();
            for _ in 0..b.below(4) {
                let k = (*b.pick(KEYS)).to_string();
                if !members.iter().any(|(m, _)| *m == k) {
                    members.push((k, value(b, depth + 1)));
                }
            }
            Value::Object(members)
        }
        _ => leaf(b),
    }
}

/// A node of `doc` reached by walking down `b`-chosen children.
fn node<'d>(doc: &'d mut Value, b: &mut Bytes<'_>) -> &'d mut Value {
    let stop = b.below(8);
    let mut cur = doc;
    for _ in 0..stop {
        let len = match &*cur {
            Value::Array(items) => items.len(),
            Value::Object(members) => members.len(),
            _ => 0,
        };
        if len == 0 {
            break;
        }
        let i = b.below(len);
        cur = match cur {
            Value::Array(items) => &mut items[i],
            Value::Object(members) => &mut members[i].1,
            other => other,
        };
    }
    cur
}

fn mutate(doc: &mut Value, b: &mut Bytes<'_>) {
    let op = b.below(9);
    if op == 8 {
        // A flag-level edit through the core's own editor.
        let keys: Vec<String> = match doc.get("flags") {
            Some(Value::Object(m)) => m.iter().map(|(k, _)| k.clone()).collect(),
            _ => return,
        };
        if keys.is_empty() {
            return;
        }
        let key = b.pick(&keys).clone();
        let edit = match b.below(3) {
            0 => Edit::Kill(b.byte() & 1 == 1),
            1 => Edit::Enable(b.byte() & 1 == 1),
            _ => Edit::Percentage(*b.pick(NUMBERS)),
        };
        let _ = apply(doc, &key, edit);
        return;
    }
    let target = node(doc, b);
    match (op, target) {
        (0 | 1, t) => *t = value(b, 0),
        (2, Value::Object(m)) if !m.is_empty() => {
            let i = b.below(m.len());
            m.remove(i);
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            let i = b.below(items.len());
            items.remove(i);
        }
        (3, Value::Object(m)) => {
            let k = (*b.pick(KEYS)).to_string();
            let v = value(b, 1);
            match m.iter_mut().find(|(mk, _)| *mk == k) {
                Some(slot) => slot.1 = v,
                None => m.push((k, v)),
            }
        }
        (3, Value::Array(items)) => {
            let v = if items.is_empty() { value(b, 1) } else { items[b.below(items.len())].clone() };
            items.push(v);
        }
        (4, Value::Object(m)) if !m.is_empty() => {
            // Rename a member (a flag key, a variant name...).
            let i = b.below(m.len());
            let k = (*b.pick(WORDS)).to_string();
            if !m.iter().any(|(mk, _)| *mk == k) {
                m[i].0 = k;
            }
        }
        (5, t) => {
            let inner = std::mem::replace(t, Value::Null);
            *t = Value::Array(vec![inner]);
        }
        (6, Value::Array(items)) if items.len() > 1 => {
            let (i, j) = (b.below(items.len()), b.below(items.len()));
            items.swap(i, j);
        }
        (6, Value::Object(m)) if m.len() > 1 => {
            let (i, j) = (b.below(m.len()), b.below(m.len()));
            let vi = m[i].1.clone();
            m[i].1 = std::mem::replace(&mut m[j].1, vi);
        }
        (7, Value::Object(m)) if !m.is_empty() => {
            // Copy a member under a new name (a second flag, segment...).
            let i = b.below(m.len());
            let k = format!("{}{}", m[i].0, b.byte());
            if !m.iter().any(|(mk, _)| *mk == k) {
                let v = m[i].1.clone();
                m.push((k, v));
            }
        }
        _ => {}
    }
}

const TIMES: &[i64] = &[
    0,
    -1,
    i64::MIN,
    i64::MAX,
    1_790_000_000_000,
    1_790_812_800_000, // 2026-10-01
    1_791_504_000_000,
    1_795_651_200_000, // 2026-11-20
    1_795_900_000_000,
    1_800_000_000_000,
    253_402_300_799_000,
];

fn exercise(rs: &Ruleset, b: &mut Bytes<'_>) {
    let attrs: Vec<String> = rs.attributes().into_iter().map(str::to_string).collect();
    let defaults = [Value::Null, Value::Bool(false), Value::String("d".into()), Value::Number(1.0)];
    for _ in 0..4 {
        let mut ctx = Context::new();
        for _ in 0..b.below(6) {
            let name = if attrs.is_empty() || b.byte() & 3 == 0 { *b.pick(WORDS) } else { b.pick(&attrs).as_str() };
            ctx.set(name, value(b, 2));
        }
        let now = if b.byte() & 1 == 0 { *b.pick(TIMES) } else { i64::from(u32::from_le_bytes([b.byte(), b.byte(), b.byte(), b.byte()])) * 1_000_000 };
        let all = rs.evaluate_all(&ctx, now);
        assert_eq!(all.len(), rs.len());
        for (i, (key, e)) in all.iter().enumerate() {
            let f = &rs.flags()[i];
            assert_eq!(*key, f.key());
            assert!(e.error_code.is_none(), "{key}: {e:?}");
            let id = rs.flag_id(key).unwrap_or_else(|| panic!("{key} not indexed"));
            let r = rs.resolve(id, &ctx, now);
            assert!((r.variant as usize) < f.variants().len());
            assert_eq!(rs.evaluation(id, r), *e, "{key}: not deterministic");
            let _ = r.rule_id(rs, id);
            let _ = r.matched_code();
            let null = rs.evaluate(key, &ctx, now, &Value::Null);
            assert!(null.error_code.is_none());
            let d = b.pick(&defaults);
            let _ = rs.evaluate(key, &ctx, now, d);
            let text = e.value.to_json();
            assert_eq!(Value::parse(&text).as_ref(), Ok(e.value), "{text}");
        }
        let _ = rs.evaluate(b.pick(WORDS), &ctx, now, &Value::Null);
        let _ = rs.stale_flags(now);
        let path = *b.pick(&["/", "/api/orders/1", "/api/", "", "/x"]);
        if let Some(route) = rs.route_for(path) {
            let r = rs.resolve(route.flag(), &ctx, now);
            assert!(route.upstream(r.variant).is_some(), "every variant has an upstream");
        }
        if b.is_empty() {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else { return };
        if let Ok(rs) = Ruleset::from_json(text) {
            exercise(&rs, &mut Bytes(rest));
        }
        return;
    }
    let mut b = Bytes(rest);
    let mut doc = example().clone();
    for _ in 0..1 + b.below(24) {
        mutate(&mut doc, &mut b);
        if b.is_empty() {
            break;
        }
    }
    // Through text: the writer's output must load exactly like the value.
    let text = doc.to_json();
    let from_text = Ruleset::from_json(&text);
    let from_value = Ruleset::from_value(&doc);
    // Wrapping can nest a value past the reader's depth limit, which only
    // the text path enforces; otherwise both paths must agree exactly.
    let too_deep = from_text.as_ref().is_err_and(|e| e.problems[0].message.contains("nesting deeper"));
    if !too_deep {
        assert_eq!(from_text.as_ref().err(), from_value.as_ref().err(), "text and value loads disagree");
    }
    match from_value {
        Ok(rs) => exercise(&rs, &mut b),
        Err(e) => {
            assert!(!e.problems.is_empty());
            for p in &e.problems {
                assert!(!p.message.is_empty());
            }
        }
    }
});
