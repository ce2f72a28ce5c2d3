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
const inst = await e.load(docText(e, flags), flags);
const h = inst.ctx(REUSED_USER);
const users = makeUsers(100_000);
const sink = { static: flags.find((f) => f.kind === 'bool').key };

const rows = [
  ['Date.now() (read by every evaluation, for schedules)', () => Date.now()],
  ['bucket(salt, unit): two strings into wasm, md5, a number back', () => mod.bucket(key.rollout, REUSED_USER.id)],
  ['isEnabled(on/off flag, prepared ctx): the fixed cost of a call', () => inst.bool(sink.static, h)],
  ['isEnabled(rule flag, prepared ctx)', () => inst.bool(key.rule, h)],
  ['isEnabled(rollout flag, prepared ctx)', () => inst.bool(key.rollout, h)],
  ['variant(split flag, prepared ctx)', () => inst.variant(key.split, h)],
  ['isEnabled(on/off flag, fresh object: 4 attributes, new user_id)', (i) => {
    const u = users[i % users.length];
    return inst.bool(sink.static, { user_id: u.id, plan: u.plan, country: u.country, email: u.email });
  }],
  ['flags.context(attrs) + free(): preparing a context', (i) => {
    const u = users[i % users.length];
    const c = inst.ctx(u);
    c.free?.();
    return true;
  }],
  ['evaluateAll(prepared ctx), 50 flags', () => inst.all(h)],
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
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ rows: out }, null, 2));
