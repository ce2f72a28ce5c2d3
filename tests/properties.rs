//! Properties of the core, checked with proptest: determinism, monotonic
//! rollouts (in the percentage and over time for rising schedules), the
//! share of users in a rollout and in each split variant within statistical
//! tolerance, JSON write/parse round trips, buckets in [0, 100], loading
//! that never panics on mutated or generated rulesets, and request paths
//! that never escape a route's prefix.
//!
//! The statistical properties run with a fixed RNG seed: they are checked
//! at 4.5 sigma over thousands of users, and a fixed seed keeps a 1-in-10^5
//! fluke from ever making the suite flaky. The others use fresh seeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeflags::{bucket, in_rollout, Context, Reason, Ruleset, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

static NULL: Value = Value::Null;
const EXAMPLE: &str = include_str!("../examples/ruleset.json");

fn fixed(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x00ed_9ef1_a95e_ed01), ..Config::default() }
}

fn load(json: &str) -> Ruleset {
    Ruleset::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn json_str(s: &str) -> String {
    Value::String(s.to_string()).to_json()
}

fn is_on(rs: &Ruleset, key: &str, user: &str, now: i64) -> bool {
    rs.evaluate(key, &Context::with_user(user), now, &NULL).value == &Value::Bool(true)
}

/// |observed - expected| within `sigmas` standard deviations of a binomial.
fn within(observed: usize, n: usize, p: f64, sigmas: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (observed as f64 - mean).abs() <= sigmas * sd + 1.0
}

// ------------------------------------------------------------- bucketing

proptest! {
    #[test]
    fn bucket_is_within_0_and_100_and_deterministic(salt in ".{0,40}", unit in ".{0,40}") {
        let b = bucket(&salt, &unit);
        prop_assert!((0.0..=100.0).contains(&b), "{b}");
        prop_assert_eq!(b.to_bits(), bucket(&salt, &unit).to_bits());
    }

    #[test]
    fn raising_the_percentage_never_drops_a_unit(salt in "[a-z_.]{1,20}", unit in ".{0,30}", a in 0.0..=100.0f64, b in 0.0..=100.0f64) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        if in_rollout(&salt, &unit, lo) {
            prop_assert!(in_rollout(&salt, &unit, hi));
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 48, ..Config::default() })]

    /// Through whole flags: 300 users, two percentages, the smaller's users
    /// are a subset of the larger's; at 0 no one, at 100 everyone.
    #[test]
    fn flag_rollouts_are_monotonic(key in "[a-z][a-z0-9_]{0,15}", a in 0.0..=100.0f64, b in 0.0..=100.0f64, prefix in "[a-z]{0,6}") {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let rs = load(&format!(
            r#"{{"flags": {{"lo": {{"salt": {k}, "percentage": {lo}}}, "hi": {{"salt": {k}, "percentage": {hi}}},
                            "none": {{"salt": {k}, "percentage": 0}}, "all": {{"salt": {k}, "percentage": 100}}}}}}"#,
            k = json_str(&key)
        ));
        for i in 0..300 {
            let user = format!("{prefix}{i}");
            if is_on(&rs, "lo", &user, 0) {
                prop_assert!(is_on(&rs, "hi", &user, 0), "{user} in at {lo}% but not at {hi}%");
            }
            prop_assert!(!is_on(&rs, "none", &user, 0));
            prop_assert!(is_on(&rs, "all", &user, 0));
        }
    }

    /// Rising schedules (steps with rising percentages, linear and S-curve
    /// with start <= end): a user in at t1 is still in at any t2 >= t1.
    #[test]
    fn rising_schedules_never_drop_users(
        mut steps in prop::collection::vec((0u32..60, 0.0..=100.0f64), 1..6),
        from in 0.0..=100.0f64, to in 0.0..=100.0f64, hours in 1u32..500, steepness in 0.5..30.0f64,
        times in prop::collection::vec(-5i64 * 86_400_000..70 * 86_400_000, 2..8),
    ) {
        // Rising: sort percentages along with days.
        let mut pcts: Vec<f64> = steps.iter().map(|s| s.1).collect();
        pcts.sort_by(f64::total_cmp);
        steps.sort_by_key(|s| s.0);
        steps.dedup_by_key(|s| s.0);
        let steps_json: Vec<String> = steps.iter().zip(&pcts).map(|(s, p)| format!("[{}, {p}]", s.0)).collect();
        let (from, to) = if from <= to { (from, to) } else { (to, from) };
        let start = 1_790_812_800_000i64; // 2026-10-01
        let rs = load(&format!(
            r#"{{"flags": {{
                "steps": {{"schedule": {{"type": "steps", "start": {start}, "steps": [{}]}}}},
                "linear": {{"schedule": {{"type": "linear", "start": {start}, "duration_hours": {hours}, "start_percentage": {from}, "end_percentage": {to}}}}},
                "s_curve": {{"schedule": {{"type": "s_curve", "start": {start}, "duration_hours": {hours}, "start_percentage": {from}, "end_percentage": {to}, "steepness": {steepness}}}}}
            }}}}"#,
            steps_json.join(",")
        ));
        let mut times: Vec<i64> = times.into_iter().map(|t| start + t).collect();
        times.sort_unstable();
        for key in ["steps", "linear", "s_curve"] {
            for i in 0..150 {
                let user = format!("user-{i}");
                let mut was_in = false;
                for &t in &times {
                    let now_in = is_on(&rs, key, &user, t);
                    prop_assert!(!was_in || now_in, "{key}: {user} dropped at {t}");
                    was_in = now_in;
                }
            }
        }
    }
}

// ------------------------------------------------------------ statistics

proptest! {
    #![proptest_config(fixed(24))]

    /// The share of 4,000 users in a p% rollout is within 4.5 sigma of p.
    #[test]
    fn rollout_share_matches_the_percentage(p in 0.5..99.5f64, key in "[a-z][a-z0-9_]{2,12}", prefix in "(user:|u-|)[a-z0-9]{0,8}") {
        let rs = load(&format!(r#"{{"flags": {{{}: {{"percentage": {p}}}}}}}"#, json_str(&key)));
        let n = 4_000;
        let inside = (0..n).filter(|i| is_on(&rs, &key, &format!("{prefix}{i}"), 0)).count();
        prop_assert!(within(inside, n, p / 100.0, 4.5), "{inside} of {n} in a {p}% rollout");
    }

    /// Each variant of a weighted split gets its weight's share of 4,000
    /// users, within 4.5 sigma.
    #[test]
    fn split_shares_match_the_weights(raw in prop::collection::vec(1u32..100, 2..6), key in "[a-z]{3,10}") {
        // Weights in hundredths of a percent that add up to exactly 100.
        let total: u32 = raw.iter().sum();
        let mut weights: Vec<f64> = raw.iter().map(|w| (f64::from(*w) * 10_000.0 / f64::from(total)).floor() / 100.0).collect();
        let rest = 100.0 - weights.iter().sum::<f64>();
        *weights.last_mut().unwrap() += rest;
        let names: Vec<String> = (0..weights.len()).map(|i| format!("v{i}")).collect();
        let variants: Vec<String> = names.iter().map(|n| format!("{}: {}", json_str(n), json_str(n))).collect();
        let split: Vec<String> = names.iter().zip(&weights).map(|(n, w)| format!(r#"{{"variant": {}, "weight": {w}}}"#, json_str(n))).collect();
        let rs = load(&format!(
            r#"{{"flags": {{"{key}": {{"variants": {{{}}}, "default_variant": "v0", "split": [{}]}}}}}}"#,
            variants.join(","), split.join(",")
        ));
        let n = 4_000;
        let mut counts = vec![0usize; names.len()];
        for i in 0..n {
            let e = rs.evaluate(&key, &Context::with_user(&format!("member-{i}")), 0, &NULL);
            prop_assert_eq!(e.reason, Reason::Split);
            counts[names.iter().position(|v| Some(v.as_str()) == e.variant).unwrap()] += 1;
        }
        for (i, w) in weights.iter().enumerate() {
            prop_assert!(within(counts[i], n, w / 100.0, 4.5), "variant {i}: {} of {n} for weight {w} ({weights:?})", counts[i]);
        }
    }
}

// ------------------------------------------------------------------ JSON

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_filter("JSON numbers are finite", |n| n.is_finite()).prop_map(Value::Number),
        (-1_000_000i64..1_000_000).prop_map(|n| Value::Number(n as f64)),
        ".{0,12}".prop_map(Value::String),
        "[\\x00-\\x1f\"\\\\/\\u{7f}-\\u{a0}\\u{2028}\\u{fffd}😀]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The same value read by serde_json (an independent parser), in our shape.
fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect()),
    }
}

/// Object members sorted (serde_json's map is sorted by key).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        Value::Object(m) => {
            let mut m: Vec<(String, Value)> = m.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
            m.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(m)
        }
        other => other.clone(),
    }
}

fn same_bits(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits() || (*x == 0.0 && *y == 0.0),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_bits(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.0 == b.0 && same_bits(&a.1, &b.1))
        }
        (a, b) => a == b,
    }
}

proptest! {
    #[test]
    fn json_write_then_parse_is_identity(v in arb_json()) {
        let text = v.to_json();
        let back = Value::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        prop_assert!(same_bits(&v, &back), "{text}");
        prop_assert_eq!(back.to_json(), text.clone());
        // An independent reader agrees on every number's bits and every string.
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert!(same_bits(&sorted(&v), &from_serde(&theirs)), "{text}");
    }

    #[test]
    fn every_f64_prints_shortest_and_round_trips(bits in any::<u64>()) {
        let n = f64::from_bits(bits);
        prop_assume!(n.is_finite());
        let s = Value::Number(n).to_json();
        prop_assert_eq!(Value::parse(&s).unwrap().as_f64().unwrap().to_bits(), n.to_bits());
        prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), n.to_bits());
    }
}

// ------------------------------------------------- loading never panics

/// Byte-level mutations of the example ruleset: overwrite, insert, delete.
fn mutated_example() -> impl Strategy<Value = String> {
    let edit =
        (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"{}[]\":,0123456789.-etrufalsn \\x".to_vec()));
    prop::collection::vec(edit, 1..4).prop_map(|edits| {
        let mut bytes = EXAMPLE.as_bytes().to_vec();
        for (at, op, b) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = b,
                1 => bytes.insert(i.min(bytes.len()), b),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

const WORDS: &[&str] = &[
    "on",
    "off",
    "user_id",
    "tenant_id",
    "plan",
    "pro",
    "a",
    "b",
    "x",
    "f",
    "g",
    "s",
    "*@x.io",
    "1.2.3",
    "2026-01-01",
    "in",
    "not_in",
    "eq",
    "neq",
    "contains",
    "starts_with",
    "ends_with",
    "glob",
    "lt",
    "lte",
    "gt",
    "gte",
    "semver_eq",
    "semver_gte",
    "before",
    "after",
    "in_segment",
    "not_in_segment",
    "steps",
    "linear",
    "s_curve",
    "boolean",
    "string",
    "number",
    "json",
    "/api/*",
    "http://127.0.0.1:1",
    "",
];

const KEYS: &[&str] = &[
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
    "created",
    "expires",
    "tags",
    "id",
    "conditions",
    "variant",
    "weight",
    "attribute",
    "op",
    "value",
    "values",
    "flag",
    "start",
    "steps",
    "start_percentage",
    "end_percentage",
    "duration_hours",
    "steepness",
    "day",
    "path",
    "upstreams",
];

/// Ruleset-shaped JSON: objects keyed by the format's own field names,
/// values from its vocabulary, so generated documents reach deep checks.
fn arb_shaped() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![
            0.0,
            1.0,
            5.0,
            50.0,
            99.9,
            100.0,
            101.0,
            -1.0,
            0.5,
            1e300,
            36_501.0,
            1_790_000_000_000.0
        ])
        .prop_map(Value::Number),
        prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 80, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn obj(members: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(members.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect())
}

fn word() -> impl Strategy<Value = Value> {
    prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_string()))
}

fn pct() -> impl Strategy<Value = Value> {
    prop_oneof![30 => (0.0..=100.0f64).prop_map(Value::Number), 1 => Just(Value::Number(101.0))]
}

/// A condition: mostly well formed (one value, or values for in/not_in),
/// sometimes not, with the format's operators.
fn arb_condition() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![word(), (-5.0..200.0f64).prop_map(Value::Number), any::<bool>().prop_map(Value::Bool)];
    (
        prop::sample::select(vec!["user_id", "plan", "email", "age", "app", "when"]),
        prop::sample::select(&WORDS[15..33]),
        scalar.clone(),
        prop::collection::vec(scalar, 0..4).prop_map(Value::Array),
        0u8..10,
    )
        .prop_map(|(attr, op, value, values, malformed)| {
            let segment = op.ends_with("segment");
            let list = matches!(op, "in" | "not_in") != (malformed == 0);
            obj(vec![
                ("attribute", (!segment || malformed == 1).then(|| Value::String(attr.into()))),
                ("op", Some(Value::String(op.into()))),
                (
                    "value",
                    match (segment, list) {
                        (true, _) => Some(Value::String(if malformed == 2 { "ghost" } else { "s" }.into())),
                        (false, true) => None,
                        (false, false) if malformed < 3 => Some(value),
                        (false, false) => Some(typical_value(op)),
                    },
                ),
                ("values", (list && !segment).then_some(values)),
            ])
        })
}

/// A value of the type operator `op` expects.
fn typical_value(op: &str) -> Value {
    match op {
        "lt" | "lte" | "gt" | "gte" => Value::Number(30.0),
        "before" | "after" => Value::String("2026-01-01".into()),
        o if o.starts_with("semver") => Value::String("1.2.3".into()),
        "eq" | "neq" => Value::Bool(true),
        _ => Value::String("*@x.io".into()),
    }
}

fn arb_schedule() -> impl Strategy<Value = Value> {
    let steps = prop::collection::vec((0.0..40.0f64, pct()), 1..4).prop_map(|s| {
        Value::Array(s.into_iter().map(|(d, p)| Value::Array(vec![Value::Number(d.floor()), p])).collect())
    });
    (prop::sample::select(vec!["steps", "linear", "s_curve"]), steps, 1.0..200.0f64, pct(), pct()).prop_map(
        |(kind, steps, hours, from, to)| {
            let curve = kind != "steps";
            obj(vec![
                ("type", Some(Value::String(kind.into()))),
                ("start", Some(Value::String("2026-10-01T00:00:00Z".into()))),
                ("steps", (!curve).then_some(steps)),
                ("duration_hours", curve.then_some(Value::Number(hours))),
                ("start_percentage", curve.then_some(from)),
                ("end_percentage", curve.then_some(to)),
            ])
        },
    )
}

/// A flag: the seeds' shorthands, a mostly valid full flag, or noise.
fn arb_flag() -> impl Strategy<Value = Value> {
    let rule = (
        prop::option::of("[a-z]{1,3}"),
        prop::collection::vec(arb_condition(), 0..3),
        prop_oneof![
            prop::sample::select(vec!["on", "off"]).prop_map(|v| ("variant", Value::String(v.into()))),
            pct().prop_map(|p| ("percentage", p)),
            arb_schedule().prop_map(|s| ("schedule", s)),
        ],
    )
        .prop_map(|(id, conds, (k, v))| {
            obj(vec![("id", id.map(Value::String)), ("conditions", Some(Value::Array(conds))), (k, Some(v))])
        });
    let users = || prop::collection::vec(word(), 0..4).prop_map(Value::Array);
    let full = (
        prop::option::of(any::<bool>().prop_map(Value::Bool)),
        prop::option::of(any::<bool>().prop_map(Value::Bool)),
        prop::option::of(users()),
        prop::option::of(prop::collection::vec(rule, 0..4).prop_map(Value::Array)),
        prop::option::of(prop_oneof![
            pct().prop_map(|p| ("percentage", p)),
            arb_schedule().prop_map(|s| ("schedule", s)),
            (0.0..=100.0f64)
                .prop_map(|w| ("split", Value::parse(&format!(r#"[["on", {w}], ["off", {}]]"#, 100.0 - w)).unwrap())),
        ]),
        prop::option::weighted(
            0.2,
            prop::sample::select(vec!["f", "g", "h", "a", "zz"])
                .prop_map(|f| Value::parse(&format!(r#"[{{"flag": "{f}"}}]"#)).unwrap()),
        ),
        prop::option::of(
            prop::sample::select(vec!["user_id", "tenant_id", "plan"]).prop_map(|b| Value::String(b.into())),
        ),
    )
        .prop_map(|(enabled, killed, users, rules, fallthrough, prereq, bucket_by)| {
            let (fk, fv) = match fallthrough {
                Some((k, v)) => (k, Some(v)),
                None => ("percentage", None),
            };
            obj(vec![
                ("enabled", enabled),
                ("killed", killed),
                ("users", users),
                ("rules", rules),
                (fk, fv),
                ("prerequisites", prereq),
                ("bucket_by", bucket_by),
            ])
        });
    prop_oneof![
        1 => any::<bool>().prop_map(Value::Bool),
        1 => pct(),
        1 => users(),
        8 => full,
        1 => arb_shaped(),
    ]
}

fn arb_ruleset() -> impl Strategy<Value = Value> {
    // "f" is always there, so prerequisites and routes mostly name a real flag.
    let flags = (arb_flag(), prop::collection::btree_map(prop::sample::select(vec!["g", "h", "a"]), arb_flag(), 0..4))
        .prop_map(|(f, mut rest)| {
            rest.insert("f", f);
            rest
        });
    let segment = prop_oneof![
        8 => prop::collection::vec(arb_condition().prop_filter("segments cannot nest", |c| !c.to_json().contains("segment")), 0..3)
            .prop_map(|c| obj(vec![("conditions", Some(Value::Array(c)))])),
        1 => arb_shaped(),
    ]
    .boxed();
    let segments =
        (segment.clone(), prop::collection::btree_map(Just("t"), segment, 0..2)).prop_map(|(s, mut rest)| {
            rest.insert("s", s);
            rest
        });
    let route = prop::sample::select(vec!["f", "f", "f", "g"]).prop_map(|f| {
        Value::parse(&format!(r#"{{"path": "/api/*", "flag": "{f}", "upstreams": {{"on": "http://127.0.0.1:1", "off": "http://127.0.0.1:2"}}}}"#)).unwrap()
    });
    let routes = prop::option::of(prop::collection::vec(prop_oneof![3 => route, 1 => arb_shaped()], 0..2));
    (flags, segments, routes).prop_map(|(flags, segments, routes)| {
        let obj = |m: std::collections::BTreeMap<&str, Value>| {
            Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let mut top = vec![("flags".to_string(), obj(flags)), ("segments".to_string(), obj(segments))];
        if let Some(r) = routes {
            top.push(("routes".to_string(), Value::Array(r)));
        }
        Value::Object(top)
    })
}

fn arb_context() -> impl Strategy<Value = Context> {
    prop::collection::vec((prop::sample::select(WORDS), arb_shaped()), 0..6).prop_map(|attrs| {
        let mut c = Context::new();
        for (k, v) in attrs {
            c.set(k, v);
        }
        c
    })
}

/// Evaluates every flag and checks what must hold for any loaded ruleset.
fn check_invariants(rs: &Ruleset, ctx: &Context, now: i64) -> Result<(), TestCaseError> {
    let all = rs.evaluate_all(ctx, now);
    prop_assert_eq!(all.len(), rs.len());
    // The same attributes in a context laid out for the ruleset (read by
    // slot, not by name) give the same results.
    let mut laid = rs.new_context();
    for (k, v) in ctx.iter() {
        laid.set(k, v.clone());
    }
    prop_assert_eq!(&rs.evaluate_all(&laid, now), &all, "laid-out context");
    for (key, e) in &all {
        prop_assert!(e.error_code.is_none(), "{}: {:?}", key, e);
        let f = rs.flag(key).unwrap();
        prop_assert!(f.variants().iter().any(|v| Some(&*v.name) == e.variant));
        prop_assert_eq!(rs.evaluate(key, ctx, now, &NULL), e.clone(), "deterministic");
    }
    let _ = rs.stale_flags(now);
    if let Some(r) = rs.route_for("/api/x") {
        prop_assert!(r.upstream(rs.resolve(r.flag(), ctx, now).variant).is_some());
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 300, ..Config::default() })]

    #[test]
    fn loading_mutated_text_never_panics(text in mutated_example(), ctx in arb_context(), now in any::<i64>()) {
        if let Ok(rs) = Ruleset::from_json(&text) {
            check_invariants(&rs, &ctx, now)?;
        }
    }

    #[test]
    fn loading_generated_rulesets_never_panics(doc in arb_ruleset(), ctx in arb_context(), now in any::<i64>()) {
        let from_value = Ruleset::from_value(&doc);
        // The text path gives the very same outcome.
        let from_text = Ruleset::from_json(&doc.to_json());
        prop_assert_eq!(from_value.as_ref().err(), from_text.as_ref().err());
        match from_value {
            Ok(rs) => check_invariants(&rs, &ctx, now)?,
            Err(e) => prop_assert!(e.problems.iter().all(|p| !p.message.is_empty())),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = Ruleset::from_json(&text);
        let _ = Value::parse(&text);
    }
}

// ----------------------------------------------------------- determinism

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    /// The same context gives the same results whatever the order of its
    /// attributes, and a ruleset reloaded from its own text answers alike.
    #[test]
    fn evaluation_is_deterministic(
        attrs in prop::collection::vec((prop::sample::select(vec!["user_id", "tenant_id", "plan", "email", "country", "app_version", "beta", "age_days", "signup_date", "device", "user_agent"]), arb_json()), 0..8),
        now in 1_780_000_000_000i64..1_800_000_000_000,
    ) {
        let rs = load(EXAMPLE);
        let again = load(&Value::parse(EXAMPLE).unwrap().to_json());
        let mut forward = Context::new();
        let mut backward = Context::new();
        let mut dedup: Vec<(&str, Value)> = Vec::new();
        for (k, v) in attrs {
            match dedup.iter_mut().find(|(d, _)| *d == k) {
                Some(slot) => slot.1 = v,
                None => dedup.push((k, v)),
            }
        }
        for (k, v) in &dedup {
            forward.set(k, v.clone());
        }
        for (k, v) in dedup.iter().rev() {
            backward.set(k, v.clone());
        }
        // Laid out for `rs` (read by slot by `rs`, by name by `again`), and
        // for `again` (read by name by `rs`).
        let mut laid = rs.new_context();
        let mut laid_again = again.new_context();
        // A third load that adopts `rs`'s layout reads `laid` by slot.
        let mut adopted = load(EXAMPLE);
        prop_assert!(adopted.adopt_layout(&rs));
        for (k, v) in &dedup {
            laid.set(k, v.clone());
            laid_again.set(k, v.clone());
        }
        for f in rs.flags() {
            let a = rs.evaluate(f.key(), &forward, now, &NULL);
            prop_assert_eq!(&a, &rs.evaluate(f.key(), &forward, now, &NULL));
            prop_assert_eq!(&a, &rs.evaluate(f.key(), &backward, now, &NULL));
            prop_assert_eq!(&a, &again.evaluate(f.key(), &forward, now, &NULL));
            prop_assert_eq!(&a, &rs.evaluate(f.key(), &laid, now, &NULL));
            prop_assert_eq!(&a, &rs.evaluate(f.key(), &laid_again, now, &NULL));
            prop_assert_eq!(&a, &again.evaluate(f.key(), &laid, now, &NULL));
            prop_assert_eq!(&a, &adopted.evaluate(f.key(), &laid, now, &NULL));
        }
    }
}

// ------------------------------------------------------- request paths

/// Raw paths built from segments that try to escape a prefix: dot
/// segments plain and encoded, encoded separators, empty segments, bad
/// escapes, control characters, `;` tricks and non-ASCII.
fn raw_path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just("api"),
        Just("orders"),
        Just("ordersXYZ"),
        Just("admin"),
        Just(".."),
        Just("."),
        Just(""),
        Just("%2e%2e"),
        Just("%2E"),
        Just(".%2e"),
        Just("%2F"),
        Just("orders%2F..%2F..%2Fadmin"),
        Just("%5C"),
        Just("..;"),
        Just("a;b"),
        Just("%3B"),
        Just("%00"),
        Just("%0d%0a"),
        Just("%"),
        Just("%zz"),
        Just("%C3%A9"),
        Just("é"),
        Just("%FF"),
        Just("a%20b"),
        Just("*"),
        Just("~"),
    ];
    prop::collection::vec(segment, 0..8).prop_map(|s| "/".to_string() + &s.join("/"))
}

proptest! {
    #![proptest_config(Config { cases: 2_000, ..Config::default() })]

    /// A normalized path has no dot, empty or separator-hiding segment,
    /// is only RFC 3986 path characters, and normalizes to itself.
    #[test]
    fn normalized_paths_are_canonical(raw in raw_path()) {
        let Ok(p) = edgeflags::path::normalize(&raw) else { return Ok(()) };
        let enc = p.as_encoded();
        prop_assert!(enc.starts_with('/'));
        prop_assert!(!enc.contains("//"), "{}", enc);
        for seg in p.segments() {
            prop_assert!(!matches!(seg, "" | "." | "..") && !seg.contains(['/', '\\']), "{:?}", seg);
            prop_assert!(!seg.chars().any(char::is_control));
        }
        prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,=:@%".contains(&b)), "{}", enc);
        let again = edgeflags::path::normalize(enc).unwrap();
        prop_assert_eq!(&again, &p);
    }

    /// What `/api/orders*` matches is forwarded under `/api/orders`, at a
    /// segment boundary: no input reaches a sibling or a parent.
    #[test]
    fn a_prefix_route_never_forwards_outside_its_prefix(raw in raw_path()) {
        let rs = load(r#"{"flags": {"f": true}, "routes": [
            {"path": "/api/orders*", "flag": "f", "upstreams": {"on": "http://a", "off": "http://b"}}]}"#);
        let Ok(p) = edgeflags::path::normalize(&raw) else {
            prop_assert!(rs.route_for(&raw).is_none());
            return Ok(());
        };
        if rs.route_for_path(&p).is_some() {
            let enc = p.as_encoded();
            prop_assert!(enc == "/api/orders" || enc.starts_with("/api/orders/"), "{} from {}", enc, raw);
        }
        prop_assert_eq!(rs.route_for_path(&p).is_some(), rs.route_for(&raw).is_some());
    }
}

/// The never-panics properties are only worth something if enough of
/// their inputs load and get evaluated: measured on 500 deterministic draws.
#[test]
fn generators_reach_evaluation() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut generated, mut flags, mut mutated, n) = (0, 0, 0, 500);
    for _ in 0..n {
        let doc = arb_ruleset().new_tree(&mut runner).unwrap().current();
        if let Ok(rs) = Ruleset::from_value(&doc) {
            generated += 1;
            flags += rs.len();
        }
        let text = mutated_example().new_tree(&mut runner).unwrap().current();
        mutated += usize::from(Ruleset::from_json(&text).is_ok());
    }
    assert!(
        generated * 100 >= n * 15 && flags >= n / 2,
        "{generated} of {n} generated rulesets loaded ({flags} flags)"
    );
    assert!(mutated * 100 >= n * 5, "{mutated} of {n} mutated examples loaded");
}
