//! Native benches of the core (criterion): the bucketing hash, one flag of
//! each kind, and every flag of the 50-flag benchmark ruleset for one
//! context. The ruleset is `bench/ruleset/edgeflags.json`, the same
//! document the Node harness gives the npm package, so native and wasm
//! figures in BENCHMARKS.md describe the same work.
//!
//! `cargo bench --bench core` (scripts/bench.sh runs it and reads
//! `target/criterion/*/new/estimates.json`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeflags::{bucket, Context, Ruleset, Value};

const RULESET: &str = include_str!("../bench/ruleset/edgeflags.json");

/// The context of the harness's "reused context" scenarios
/// (bench/lib/model.mjs `REUSED_USER`): it reads every condition of the
/// rule flags before failing them.
fn reused_context() -> Context {
    let mut c = Context::with_user("user-42");
    c.set("plan", Value::String("enterprise".into()));
    c.set("country", Value::String("DE".into()));
    c.set("email", Value::String("jane@example.com".into()));
    c
}

fn benches(c: &mut Criterion) {
    let rs = match Ruleset::from_json(RULESET) {
        Ok(rs) => rs,
        Err(e) => panic!("bench/ruleset/edgeflags.json does not load: {e:?}"),
    };
    let ctx = reused_context();

    c.bench_function("bucket", |b| b.iter(|| bucket(black_box("rollout_2"), black_box("user-42"))));

    // The first flag of each kind, as in the harness.
    for (name, key) in [("one_flag/rollout", "rollout_2"), ("one_flag/rule", "rule_3"), ("one_flag/split", "split_4")] {
        let Some(id) = rs.flag_id(key) else { panic!("{key} missing from the bench ruleset") };
        c.bench_function(name, |b| b.iter(|| rs.resolve(black_box(id), black_box(&ctx), 0)));
    }

    // Every flag: resolutions only (what a binding sends across as indices),
    // and full evaluations with values and names (the Vec the core returns).
    let ids: Vec<_> = rs.flags().iter().filter_map(|f| rs.flag_id(f.key())).collect();
    c.bench_function("all_flags/resolve", |b| {
        b.iter(|| ids.iter().map(|&id| rs.resolve(id, black_box(&ctx), 0).variant).sum::<u32>())
    });
    c.bench_function("all_flags/evaluate_all", |b| b.iter(|| rs.evaluate_all(black_box(&ctx), 0).len()));

    c.bench_function("load/50_flags", |b| b.iter(|| Ruleset::from_json(black_box(RULESET)).map(|r| r.len())));

    // The scale test's largest ruleset: the same mix, 10,000 flags.
    let big = scaled(10_000);
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("10000_flags", |b| b.iter(|| Ruleset::from_json(black_box(&big)).map(|r| r.len())));
    g.finish();
}

/// A ruleset of `n` flags made of copies of the 50-flag one, keys suffixed
/// (`rule_3__7`): the proportions of bench/lib/model.mjs `logicalFlags(n)`.
fn scaled(n: usize) -> String {
    let doc = match Value::parse(RULESET) {
        Ok(d) => d,
        Err(e) => panic!("bench ruleset: {e}"),
    };
    let Some(Value::Object(flags)) = doc.get("flags") else { panic!("bench ruleset has no flags object") };
    let copies = (0..n).map(|i| {
        let (k, v) = &flags[i % flags.len()];
        (format!("{k}__{}", i / flags.len()), v.clone())
    });
    let text = Value::Object(vec![("flags".into(), Value::Object(copies.collect()))]).to_json();
    // A load that fails would time the error path: the bench must load.
    if let Err(e) = Ruleset::from_json(&text) {
        panic!("scaled bench ruleset does not load: {e}");
    }
    text
}

criterion_group!(core, benches);
criterion_main!(core);
