// The translations of the benchmark ruleset: every peer's version passes
// the equivalence check, the check fails a wrong translation, edgeflags'
// version gives the logical results through the native core (CLI) and,
// when built, through the npm package, and the committed files in
// bench/ruleset/ are what the generator writes.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { checkEngine } from '../lib/check.mjs';
import { docText } from '../lib/docs.mjs';
import { PEERS, edgeflags, edgeflagsAvailable, growthbook } from '../lib/engines.mjs';
import { REUSED_USER, logicalFlags, makeUsers, ruleMatches } from '../lib/model.mjs';
import * as t from '../lib/translate.mjs';

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(BENCH, '..');
const flags = logicalFlags(50);

test('the ruleset has the issue 5 mix and the users exercise both rule branches', () => {
  const count = (k) => flags.filter((f) => f.kind === k).length;
  assert.deepEqual([count('bool'), count('rollout'), count('rule'), count('split')], [20, 10, 10, 10]);
  assert.equal(flags.filter((f) => f.kind === 'bool' && f.value).length, 10);
  const users = makeUsers(10_000, 7);
  assert.equal(new Set(users.map((u) => u.id)).size, users.length);
  const byPlan = users.filter((u) => u.plan === 'enterprise' && ['US', 'CA'].includes(u.country) && !u.email.endsWith('@company.com')).length;
  const byEmail = users.filter((u) => u.email.endsWith('@company.com') && u.plan !== 'enterprise').length;
  assert.ok(byPlan > 500 && byEmail > 500, `${byPlan} match only the plan rule, ${byEmail} only the email rule`);
  assert.equal(ruleMatches(REUSED_USER), false);
});

test('bench/ruleset/ is up to date with the generator', () => {
  const r = spawnSync(process.execPath, [join(BENCH, 'generate.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

for (const peer of PEERS) {
  test(`${peer.name}: its translation passes the equivalence check`, async () => {
    const inst = await peer.load(docText(peer, flags), flags);
    try {
      const res = await checkEngine(inst, flags);
      assert.deepEqual(res.problems, []);
      assert.ok(res.ok);
    } finally {
      await inst.close?.();
    }
  });
}

test('the check fails a wrong translation: 25% instead of 20%, and a rule flag missing its email rule', async () => {
  const doc = t.toGrowthBook(flags);
  doc.features.rollout_2.rules[0].coverage = 0.25;
  doc.features.rule_3.rules.pop();
  const inst = await growthbook.load(JSON.stringify(doc), flags);
  const res = await checkEngine(inst, flags);
  assert.equal(res.ok, false);
  assert.ok(res.problems.some((p) => p.startsWith('rollout_2:') && p.includes('in the rollout')), res.problems.join('\n'));
  assert.ok(res.problems.some((p) => p.startsWith('rule_3:') && p.includes('expected true')), res.problems.join('\n'));
});

/** edgeflags' document evaluated by the native core through the CLI, as an adapter. */
async function cliInstance(users) {
  execFileSync('cargo', ['build', '-q', '--bin', 'edgeflags'], { cwd: ROOT, stdio: 'inherit' });
  const file = join(BENCH, 'ruleset', 'edgeflags.json');
  const ctxOf = (u) => ({ user_id: u.id, plan: u.plan, country: u.country, email: u.email });
  const lines = [];
  for (const u of users) for (const f of flags) lines.push(JSON.stringify({ flag: f.key, context: ctxOf(u), default: f.kind === 'split' ? '' : false }));
  const out = execFileSync(join(ROOT, 'target', 'debug', 'edgeflags'), ['eval', file], { input: lines.join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
  const results = out.trim().split('\n').map((l) => JSON.parse(l).value);
  const byUser = new Map();
  users.forEach((u, i) => byUser.set(u.id, Object.fromEntries(flags.map((f, j) => [f.key, results[i * flags.length + j]]))));
  const one = (key, c) => byUser.get(c.user_id)[key];
  return { ctx: ctxOf, bool: one, variant: one, all: (c) => byUser.get(c.user_id), values: (v) => v };
}

test('edgeflags: its ruleset gives the logical results in the native core (CLI)', async () => {
  const users = makeUsers(10_000, 7);
  const inst = await cliInstance([REUSED_USER, ...users]);
  const res = await checkEngine(inst, flags, { users });
  assert.deepEqual(res.problems, []);
});

test('edgeflags: the npm package passes the equivalence check, plain and prepared contexts', async (t) => {
  if (!(await edgeflagsAvailable())) {
    // scripts/test-bench.sh builds the package: there, a missing one fails.
    assert.ok(!process.env.EDGEFLAGS_REQUIRE_PKG, 'the npm package is not importable as bench/node_modules/edgeflags');
    // Run by hand without a build: reported, not silently green.
    t.diagnostic('the npm package is not built or not linked (scripts/bench.sh links it): not checked');
    t.todo('build pkg/ with scripts/build-pkg.sh');
    return;
  }
  for (const prepared of [false, true]) {
    const e = edgeflags({ prepared });
    const inst = await e.load(docText(e, flags), flags);
    const res = await checkEngine(inst, flags);
    assert.deepEqual(res.problems, [], e.name);
    inst.close();
  }
});
