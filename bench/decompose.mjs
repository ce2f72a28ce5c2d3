// Where one edgeflags call spends its time: the same harness loops timing
// the parts of a call separately (the clock read every evaluation does, a
// call that crosses into wasm and back with nothing to evaluate, the core
// work per flag kind, the attribute crossing of a fresh context, building
// evaluate-all's result object). Feeds the "what limits edgeflags" table
// of BENCHMARKS.md.
//
//   node decompose.mjs [--out results/decompose.json]

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

import { docText } from './lib/docs.mjs';
import { edgeflags, edgeflagsAvailable } from './lib/engines.mjs';
import { REUSED_USER, firstOfKind, logicalFlags, makeUsers } from './lib/model.mjs';
import { prepare, summary } from './lib/timing.mjs';

const { values: opt } = parseArgs({ options: { out: { type: 'string', default: 'results/decompose.json' } } });
if (!(await edgeflagsAvailable())) {
  console.error('[decompose] edgeflags package not built: skipped');
  process.exit(0);
}
const mod = await import('edgeflags');
const flags = logicalFlags(50);
const key = firstOfKind(flags);
const e = edgeflags({ prepared: true });
// inst.bool/variant/all take a prepared handle or a plain object alike.
const inst = await e.load(docText(e, flags), flags);
const h = inst.ctx(REUSED_USER);
const users = makeUsers(100_000);
const sink = { static: flags.find((f) => f.kind === 'bool').key };

// A fresh object per call defeats the package's memo of untimed results
// (per prepared context, and per unchanged plain context), so the "fresh"
// rows are real evaluations; the prepared rows show what a memo hit costs.
const fresh = (i) => {
  const u = users[i % users.length];
  return { user_id: u.id, plan: u.plan, country: u.country, email: u.email };
};
const direct = new mod.Flags(docText(e, flags));
direct.isEnabled(key.rule, fresh(7));
direct.isEnabled(key.rollout, fresh(7));
const core = direct._engine;
const coreIndex = (k) => direct._index.get(k);
const rows = [
  ['Date.now() (a clock read; the package reads it only for flags with a schedule)', () => Date.now()],
  ['bucket(salt, unit): two strings into wasm, md5, a number back', () => mod.bucket(key.rollout, REUSED_USER.id)],
  ['isEnabled(rule flag, reused prepared ctx): a memo hit', () => inst.bool(key.rule, h)],
  ['isEnabled(on/off flag, fresh object): reads no attribute, nothing crosses', (i) => inst.bool(sink.static, fresh(i))],
  ['isEnabled(rule flag, fresh object): plan, country, email cross; two rules', (i) => inst.bool(key.rule, fresh(i))],
  ['isEnabled(rollout flag, fresh object): user_id crosses; md5', (i) => inst.bool(key.rollout, fresh(i))],
  ['variant(split flag, fresh object): user_id crosses; md5', (i) => inst.variant(key.split, fresh(i))],
  ['flags.context(attrs) + free(): preparing a context', (i) => {
    const c = inst.ctx(users[i % users.length]);
    c.free?.();
    return true;
  }],
  ['evaluateAll(reused prepared ctx), 50 flags: memo hit', () => inst.all(h)],
  ['evaluateAll(fresh object), 50 flags', (i) => inst.all(fresh(i))],
  // The core's own work through one wasm call with nothing to send (the
  // package's engine, reached past the API on purpose: no adapter does
  // this). What a fresh-object call costs beyond these is the JS side and
  // the attribute transfer.
  ['core alone in wasm, one call: on/off flag', () => core.resolve(coreIndex(sink.static), 0 /* TARGET_SCRATCH */, 0, 0)],
  ['core alone in wasm, one call: rule flag (two rules)', () => core.resolve(coreIndex(key.rule), 0 /* TARGET_SCRATCH */, 0, 0)],
  ['core alone in wasm, one call: rollout flag (md5 of salt:unit)', () => core.resolve(coreIndex(key.rollout), 0 /* TARGET_SCRATCH */, 0, 0)],
];
const out = [];
for (const [label, fn] of rows) {
  const w = await prepare(fn, false, { warmMs: 200, runMs: 200 });
  const ns = [];
  for (let r = 0; r < 5; r++) ns.push(await w.run());
  out.push({ label, ns: summary(ns) });
  console.error(`[decompose] ${summary(ns).median.toFixed(0).padStart(7)} ns  ${label}`);
}
inst.close();
direct.free();
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ rows: out }, null, 2));
