// The package and the native CLI give identical results: 10,000 generated
// contexts (seeded, so every run is the same) evaluated against every flag
// of examples/ruleset.json by `edgeflags eval` (JSON lines in, one result
// per line out) and by the package, with the same fixed clock. Half the
// contexts go through prepared contexts, half as plain objects.
// Two more clocks (1,000 contexts each) catch schedules mid-way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Flags } from '../../pkg/dist/node.mjs';
import { canon } from './eval-vectors-body.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULESET = 'examples/ruleset.json';
const ruleset = readFileSync(ROOT + RULESET, 'utf8');

// mulberry32: a small seeded PRNG, so the contexts are the same every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function contexts(n, seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const maybe = (p, f) => (r() < p ? f() : undefined);
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = {};
    const set = (k, v) => {
      if (v !== undefined) c[k] = v;
    };
    set('user_id', maybe(0.9, () => (r() < 0.05 ? pick(['user:1', 'user:42', 'user:9', 'user-7', 'qa-1', 'qa-2']) : r() < 0.1 ? Math.floor(r() * 1e6) : `user-${Math.floor(r() * 1e9)}`)));
    set('plan', maybe(0.8, () => pick(['free', 'pro', 'team', 'enterprise', 'Enterprise', ''])));
    set('country', maybe(0.8, () => pick(['US', 'CA', 'KP', 'IR', 'FR', 'DE', 'us'])));
    set('email', maybe(0.6, () => `${pick(['ann', 'bob', 'eve'])}${i}@${pick(['company.com', 'gmail.com', 'company.com.evil.org', 'COMPANY.COM'])}`));
    set('app_version', maybe(0.6, () => pick(['4.2.0', '4.10.1', '3.9.9', '2.0.0', 'v5.0.0-beta.1', '4.2', 'garbage', '4.2.0-rc.1'])));
    set('signup_date', maybe(0.5, () => {
      const t = Date.UTC(2023, 0, 1) + Math.floor(r() * 4 * 365) * 86400000;
      return pick([new Date(t).toISOString(), t, new Date(t), new Date(t).toISOString().slice(0, 10)]);
    }));
    set('age_days', maybe(0.5, () => pick([Math.floor(r() * 60), String(Math.floor(r() * 60)), 30, '30.5', null])));
    set('beta', maybe(0.3, () => pick([true, false, 'true', 1])));
    set('device', maybe(0.4, () => pick(['mobile-ios', 'mobile-android', 'desktop'])));
    set('user_agent', maybe(0.4, () => pick(['Mozilla/5.0 Safari/605', 'Chrome/120', 'Safari'])));
    set('tenant_id', maybe(0.5, () => `tenant/${Math.floor(r() * 1e5)}`));
    set('unused', maybe(0.3, () => ({ nested: [1, 2, { x: 'y' }] })));
    out.push(c);
  }
  return out;
}

function cliEval(ctxs, keys, nowIso) {
  const lines = [];
  for (const c of ctxs) for (const k of keys) lines.push(JSON.stringify({ flag: k, context: c }));
  const run = spawnSync('cargo', ['run', '-q', '--release', '--bin', 'edgeflags', '--', 'eval', RULESET, '--now', nowIso], {
    cwd: ROOT,
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 540_000,
  });
  assert.equal(run.status, 0, `edgeflags eval failed: ${run.stderr}`);
  const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, lines.length);
  return out;
}

function compare(n, seed, nowIso) {
  const now = Date.parse(nowIso);
  const flags = new Flags(ruleset, { now: () => now });
  const keys = flags.keys();
  const ctxs = contexts(n, seed);
  const cli = cliEval(ctxs, keys, nowIso);
  let i = 0;
  const mismatches = [];
  const reasons = new Map();
  ctxs.forEach((c, ci) => {
    const ctx = ci % 2 === 0 ? flags.context(c) : c;
    for (const k of keys) {
      const want = cli[i++];
      const got = flags.evaluate(k, ctx, null);
      reasons.set(want.reason, (reasons.get(want.reason) || 0) + 1);
      // The one result shape on both sides: the same fields (ruleId and
      // errorCode only when set), the same values.
      const same = canon(got) === canon(want);
      if (!same && mismatches.length < 10) mismatches.push({ flag: k, context: c, cli: want, pkg: got });
    }
    if (ctx !== c) ctx.free();
  });
  flags.free();
  assert.deepEqual(mismatches, []);
  return { evaluations: i, reasons };
}

test('10,000 contexts x every example flag: package == native CLI', () => {
  const { evaluations, reasons } = compare(10_000, 20261121, '2026-11-21T12:00:00Z');
  assert.equal(evaluations, 10_000 * Object.keys(JSON.parse(ruleset).flags).length);
  // The generated contexts reach every kind of outcome, or the comparison proves little.
  for (const r of ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'PREREQUISITE_FAILED']) {
    assert.ok((reasons.get(r) || 0) > 50, `reason ${r} seen ${reasons.get(r) || 0} times`);
  }
});

test('schedules mid-way (two more clocks, 1,000 contexts each): package == native CLI', () => {
  compare(1_000, 7, '2026-10-09T06:00:00Z');
  compare(1_000, 8, '2026-11-08T18:30:00Z');
});
