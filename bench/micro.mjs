// The main table: single evaluations and evaluate-all for every engine that
// passes the equivalence check, in one Node process. Runs are interleaved
// (run 1 of every engine, then run 2 ...) so a noisy moment on a shared
// machine hits every engine alike rather than one of them.
//
//   node micro.mjs [--runs 5] [--run-ms 250] [--warm-ms 300] [--only name,name] [--out results/micro.json]

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

import { checkEngine } from './lib/check.mjs';
import { docText } from './lib/docs.mjs';
import { BEFORE, PEERS, edgeflags, edgeflagsAvailable, installedVersion } from './lib/engines.mjs';
import { REUSED_USER, firstOfKind, logicalFlags, makeUsers } from './lib/model.mjs';
import { prepare, summary } from './lib/timing.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'run-ms': { type: 'string', default: '250' },
    'warm-ms': { type: 'string', default: '300' },
    only: { type: 'string' },
    out: { type: 'string', default: 'results/micro.json' },
  },
});
const RUNS = Number(opt.runs);
const timing = { runMs: Number(opt['run-ms']), warmMs: Number(opt['warm-ms']) };
const FRESH_USERS = 100_000;

const log = (...a) => console.error('[micro]', ...a);
const flags = logicalFlags(50);
const first = firstOfKind(flags);
const users = makeUsers(FRESH_USERS);

let engines = [...PEERS];
const haveEdgeflags = await edgeflagsAvailable();
if (haveEdgeflags) engines = [edgeflags(), edgeflags({ prepared: true }), ...engines];
else log('edgeflags package not built/linked: peers only');
if (haveEdgeflags && (await edgeflagsAvailable(BEFORE))) {
  engines.splice(2, 0, edgeflags({ before: true }), edgeflags({ before: true, prepared: true }));
}
if (opt.only) {
  const want = opt.only.split(',').map((s) => s.trim().toLowerCase());
  engines = engines.filter((e) => want.some((w) => e.name.toLowerCase().startsWith(w)));
}

// Load and check every engine; an engine that fails is reported, not timed.
const loaded = [];
const excluded = [];
const checks = {};
for (const e of engines) {
  try {
    const inst = await e.load(docText(e, flags), flags);
    const res = await checkEngine(inst, flags);
    checks[e.name] = res;
    if (!res.ok) {
      excluded.push({ name: e.name, why: `failed the equivalence check: ${res.problems.slice(0, 3).join('; ')}` });
      log(`${e.name}: FAILED the check`, res.problems.slice(0, 5));
      continue;
    }
    log(`${e.name}: check passed`);
    loaded.push({ e, inst });
  } catch (err) {
    excluded.push({ name: e.name, why: `could not load: ${err.message}` });
    log(`${e.name}: could not load:`, err);
  }
}

// Scenario -> per engine workload.
const SCENARIOS = [];
for (const kind of ['rollout', 'rule', 'split']) {
  const key = first[kind];
  for (const ctxMode of ['reused', 'fresh']) {
    SCENARIOS.push({
      id: `${kind}-${ctxMode}`,
      kind,
      ctxMode,
      label: `${{ rollout: '% rollout', rule: 'rule', split: 'split' }[kind]}, ${ctxMode} context`,
      fn(inst) {
        const one = kind === 'split' ? inst.variant : inst.bool;
        if (ctxMode === 'reused') {
          const c = inst.ctx(REUSED_USER);
          return () => one(key, c);
        }
        if (inst.release) {
          const release = inst.release;
          return inst.async
            ? async (i) => {
                const c = inst.ctx(users[i % FRESH_USERS]);
                const r = await one(key, c);
                release(c);
                return r;
              }
            : (i) => {
                const c = inst.ctx(users[i % FRESH_USERS]);
                const r = one(key, c);
                release(c);
                return r;
              };
        }
        return (i) => one(key, inst.ctx(users[i % FRESH_USERS]));
      },
    });
  }
}
SCENARIOS.push({
  id: 'all-reused',
  kind: 'all',
  ctxMode: 'reused',
  label: `evaluate all ${flags.length}, reused context`,
  perFlag: flags.length,
  fn(inst) {
    const c = inst.ctx(REUSED_USER);
    return () => inst.all(c);
  },
});
// The same with a new context object (and user) per call: no engine can
// reuse anything from the previous call.
SCENARIOS.push({
  id: 'all-fresh',
  kind: 'all',
  ctxMode: 'fresh',
  label: `evaluate all ${flags.length}, fresh context`,
  perFlag: flags.length,
  fn(inst) {
    const release = inst.release;
    if (inst.async) return (i) => inst.all(inst.ctx(users[i % FRESH_USERS]));
    if (release)
      return (i) => {
        const c = inst.ctx(users[i % FRESH_USERS]);
        const r = inst.all(c);
        release(c);
        return r;
      };
    return (i) => inst.all(inst.ctx(users[i % FRESH_USERS]));
  },
});

const results = {};
for (const sc of SCENARIOS) {
  log(`scenario ${sc.id}`);
  const work = [];
  for (const { e, inst } of loaded) {
    const w = await prepare(sc.fn(inst), !!inst.async, timing);
    work.push({ e, w, ns: [] });
  }
  for (let r = 0; r < RUNS; r++) for (const x of work) x.ns.push(await x.w.run());
  results[sc.id] = {};
  for (const { e, w, ns } of work) {
    const perOp = summary(ns);
    const row = {
      iterations: w.iterations,
      nsPerOp: perOp,
      opsPerSec: { median: 1e9 / perOp.median, min: 1e9 / perOp.max, max: 1e9 / perOp.min },
    };
    if (sc.perFlag) row.nsPerFlag = { median: perOp.median / sc.perFlag, min: perOp.min / sc.perFlag, max: perOp.max / sc.perFlag };
    results[sc.id][e.name] = row;
    log(`  ${e.name.padEnd(26)} ${(row.opsPerSec.median / 1e6).toFixed(3)} M/s  (${perOp.median.toFixed(0)} ns/op)`);
  }
}

for (const { inst } of loaded) await inst.close?.();
const out = {
  when: new Date().toISOString(),
  node: process.version,
  runs: RUNS,
  timing,
  freshUsers: FRESH_USERS,
  keys: first,
  engines: loaded.map(({ e }) => ({ name: e.name, pkg: e.pkg, language: e.language, version: e.spec === BEFORE ? `baseline ${process.env.EDGEFLAGS_BENCH_BEFORE_REF ?? ''}`.trim() : e.pkg === 'edgeflags' ? null : installedVersion(e.pkg) })),
  excluded,
  checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, { ok: v.ok, problems: v.problems, shares: v.shares }])),
  scenarios: SCENARIOS.map(({ id, label, kind, ctxMode }) => ({ id, label, kind, ctxMode })),
  results,
};
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify(out, null, 2));
log(`wrote ${opt.out}`);
// Some SDKs keep timers or sockets alive after close().
process.exit(0);
