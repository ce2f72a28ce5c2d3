// The package in a JS Cloudflare Worker (tests/js/worker/worker.js), bundled
// by wrangler itself (`wrangler deploy --dry-run --outdir`, offline), which
// resolves `edgeflags` through the exports map's `workerd` condition, then
// run in workerd, the real Workers runtime, through Miniflare's API.
// The Worker runs the shared vectors body and evaluates contexts that are
// compared with the Node build's results, directly and through the
// OpenFeature server SDK with the package's provider (edgeflags/openfeature),
// and records experiment events.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { Flags } from '../../pkg/dist/node.mjs';
import { openFeatureReason } from '../../pkg/dist/openfeature-node.mjs';
import { evalVectorFiles } from './eval-vectors-files.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = Date.parse('2026-11-21T12:00:00Z');
const { cases } = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/bucketing.json'), 'utf8'));
let dir;
let mf;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeflags-js-worker-'));
  writeFileSync(
    join(dir, 'wrangler.toml'),
    `name = "edgeflags-js-worker-test"\nmain = ${JSON.stringify(join(ROOT, 'tests/js/worker/worker.js'))}\ncompatibility_date = "2025-09-01"\ncompatibility_flags = ["nodejs_compat"]\nsend_metrics = false\n`,
  );
  execFileSync('wrangler', ['deploy', '--dry-run', '--outdir', join(dir, 'out')], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
  const out = join(dir, 'out');
  const modules = readdirSync(out)
    .filter((f) => f.endsWith('.js') || f.endsWith('.wasm'))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(out, f) }))
    // The main module (worker.js) comes first.
    .sort((a, b) => (a.path.endsWith('worker.js') ? -1 : b.path.endsWith('worker.js') ? 1 : 0));
  assert.ok(modules.some((m) => m.type === 'CompiledWasm'), 'wrangler bundled the wasm as a module (the workerd build)');
  mf = new Miniflare(convertV4MiniflareOptions({ modulesRoot: out, modules, compatibilityDate: '2025-09-01', compatibilityFlags: ['nodejs_compat'], cf: false }));
  await mf.ready;
});

after(async () => {
  if (mf) await mf.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (path, body) => mf.dispatchFetch(`http://worker.test${path}`, { method: 'POST', body: JSON.stringify(body) });

describe('the package in workerd', () => {
  it('passes every shared vector', async () => {
    const res = await post('/vectors', cases);
    assert.equal(res.status, 200, await res.clone().text());
    const { count, failures } = await res.json();
    assert.equal(count, cases.length);
    assert.deepEqual(failures, []);
  });

  it('passes every evaluation vector (prepared and plain contexts, overrides)', async () => {
    const files = evalVectorFiles();
    const res = await post('/eval-vectors', files);
    assert.equal(res.status, 200, await res.clone().text());
    const { count, failures } = await res.json();
    assert.equal(count, files.reduce((n, f) => n + f.doc.cases.length, 0));
    assert.deepEqual(failures, []);
  });

  it('evaluates like the Node build (prepared and plain contexts)', async () => {
    const contexts = Array.from({ length: 200 }, (_, i) => ({
      user_id: `user-${i * 104729}`,
      plan: ['free', 'pro', 'enterprise'][i % 3],
      country: ['US', 'CA', 'KP'][i % 3],
      email: i % 4 ? `u${i}@x.org` : `u${i}@company.com`,
      tenant_id: `tenant/${i % 11}`,
      app_version: ['4.2.0', '2.1.0'][i % 2],
    }));
    const res = await post('/evaluate', contexts);
    assert.equal(res.status, 200, await res.clone().text());
    const node = new Flags(readFileSync(join(ROOT, 'examples/ruleset.json'), 'utf8'), { now: () => NOW });
    assert.deepEqual(await res.json(), contexts.map((c) => node.evaluateAll(c)));
    assert.equal(res.headers.get('x-active-flags'), node.activeFlags(contexts[0]).join(','));
    node.free();
  });

  it('the OpenFeature server provider (edgeflags/openfeature) under @openfeature/server-sdk, like the Node build', async () => {
    const contexts = Array.from({ length: 50 }, (_, i) => ({ targetingKey: `user-${i * 7919}`, plan: ['free', 'pro', 'enterprise'][i % 3], tenant_id: `tenant/${i % 5}` }));
    const res = await post('/openfeature', contexts);
    assert.equal(res.status, 200, await res.clone().text());
    const node = new Flags(readFileSync(join(ROOT, 'examples/ruleset.json'), 'utf8'), { now: () => NOW });
    const want = contexts.map(({ targetingKey, ...rest }) => {
      const row = {};
      for (const [key, e] of Object.entries(node.evaluateAll({ ...rest, user_id: targetingKey }))) {
        row[key] = { value: e.value, variant: e.variant, reason: openFeatureReason(e.reason) };
      }
      return row;
    });
    assert.deepEqual(await res.json(), want);
    node.free();
  });

  it('records experiment events (set up at module scope) and sends them on flush()', async () => {
    const res = await post('/events', { user_id: 'w1' });
    assert.equal(res.status, 200, await res.clone().text());
    const { variant, flushed, stats, posted } = await res.json();
    assert.equal(flushed, true);
    assert.deepEqual(stats, { queued: 0, sent: 3, dropped: 0, failed: 0, retries: 0 });
    assert.equal(posted.length, 1);
    assert.equal(posted[0].authorization, 'Bearer write-key');
    assert.deepEqual(
      posted[0].body.events.map((e) => [e.type, e.flag || e.event, e.variant, e.unit, e.value]),
      [['exposure', 'exp', variant, 'w1', undefined], ['track', 'purchase', undefined, 'w1', 9.5], ['usage', undefined, undefined, undefined, undefined]],
    );
    // The answer served, counted (flag usage).
    assert.deepEqual(posted[0].body.events[2].counts, { exp: { [variant]: 1 } });
  });

  it('throws real EdgeflagsErrors with problems', async () => {
    const res = await mf.dispatchFetch('http://worker.test/invalid');
    const body = await res.json();
    assert.deepEqual([body.isError, body.isEdgeflagsError, body.code], [true, true, 'INVALID_RULESET']);
    assert.equal(body.problems[0].path, 'flags.x.percentage');
  });
});
