// Same-run A/B of two builds of the package (this checkout's pkg/dist and
// another's), interleaved so a noisy moment on a shared machine hits both:
// single evaluations with a fresh object (rollout, rule, split) and with a
// reused prepared context, evaluate-all of 50 flags (fresh object, reused
// object, one prepared context per call), and context() + isEnabled().
//
//   node bench/ab.mjs <other pkg/dist/node.mjs> [--rounds 5] [--ms 300]
//
// ns per call, medians over rounds. `this (codegen)` is this build with
// the `codegen: true` opt-in (evaluateAll's object built by a generated
// function, the former default).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeUsers, logicalFlags } from './lib/model.mjs';
import { toEdgeflags } from './lib/translate.mjs';

const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '5' }, ms: { type: 'string', default: '300' } } });
const text = JSON.stringify(toEdgeflags(logicalFlags(50)));
const users = makeUsers(100_000).map((u) => ({ user_id: u.id, plan: u.plan, country: u.country, email: u.email }));
const REUSED = { user_id: 'user-42', plan: 'enterprise', country: 'DE', email: 'jane@example.com' };

const builds = [
  ['before', (await import(positionals[0])).Flags, {}],
  ['this', (await import('../pkg/dist/node.mjs')).Flags, {}],
  ['this (codegen)', (await import('../pkg/dist/node.mjs')).Flags, { codegen: true }],
];

let sink = 0;
function time(fn) {
  const end = performance.now() + Number(opt.ms);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) fn(n + i);
    n += 1000;
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const scenarios = {
  'rollout, fresh object': (f) => (i) => f.isEnabled('rollout_2', { ...users[i % users.length] }),
  'rule, fresh object': (f) => (i) => f.isEnabled('rule_3', { ...users[i % users.length] }),
  'split, fresh object': (f) => (i) => (sink += f.variant('split_4', { ...users[i % users.length] }).length),
  'rollout, reused prepared': (f) => {
    const c = f.context(REUSED);
    return () => f.isEnabled('rollout_2', c);
  },
  'rule, reused prepared': (f) => {
    const c = f.context(REUSED);
    return () => f.isEnabled('rule_3', c);
  },
  'all 50, fresh object (per call)': (f) => (i) => (sink += Object.keys(f.evaluateAll({ ...users[i % users.length] })).length),
  'all 50, reused object (per call)': (f) => () => (sink += Object.keys(f.evaluateAll(REUSED)).length),
  'all 50, prepared per call': (f) => (i) => {
    const c = f.context(users[i % users.length]);
    sink += Object.keys(f.evaluateAll(c)).length;
    c.free();
  },
  'context() + isEnabled, no free': (f) => (i) => f.isEnabled('rule_3', f.context(users[i % users.length])),
};

const results = {};
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const [sname, make] of Object.entries(scenarios)) {
    for (const [bname, Flags, options] of builds) {
      const f = new Flags(text, options);
      const ns = time(make(f));
      ((results[sname] ??= {})[bname] ??= []).push(ns);
      f.free();
    }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
console.log(`| ns per call (median of ${opt.rounds}) | ${builds.map((b) => b[0]).join(' | ')} |`);
console.log(`|---|${builds.map(() => '---:').join('|')}|`);
for (const [s, by] of Object.entries(results)) console.log(`| ${s} | ${builds.map((b) => med(by[b[0]]).toFixed(0)).join(' | ')} |`);
