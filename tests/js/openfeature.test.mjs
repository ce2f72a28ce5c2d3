// The package's OpenFeature providers (edgeflags/openfeature) in Node,
// through the real SDKs: EdgeflagsProvider with @openfeature/server-sdk and
// EdgeflagsWebProvider with @openfeature/web-sdk, each over the evaluation
// vectors, the bucketing vectors and the lifecycle checks of
// openfeature-body.js (the body the Chromium test runs too). The package is
// imported by name, as users do (the exports map's `node` condition).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as server from '@openfeature/server-sdk';
import * as web from '@openfeature/web-sdk';
import { Flags } from 'edgeflags';
import { EdgeflagsProvider, EdgeflagsWebProvider, openFeatureReason, toEdgeflagsContext } from 'edgeflags/openfeature';
import { checkEvalVectors, checkBucketing, checkLifecycle } from './openfeature-body.js';
import { evalVectorFiles } from './eval-vectors-files.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const files = evalVectorFiles();
const cases = files.reduce((n, f) => n + f.doc.cases.length, 0);
const bucketing = JSON.parse(readFileSync(`${ROOT}tests/vectors/bucketing.json`, 'utf8')).cases;

const SDKS = {
  server: { paradigm: 'server', OpenFeature: server.OpenFeature, Provider: EdgeflagsProvider, OtherProvider: EdgeflagsWebProvider, openFeatureReason },
  web: { paradigm: 'web', OpenFeature: web.OpenFeature, Provider: EdgeflagsWebProvider, OtherProvider: EdgeflagsProvider, openFeatureReason },
};

for (const [name, sdk] of Object.entries(SDKS)) {
  test(`${name} SDK: every evaluation vector (value, variant, mapped reason, error codes)`, async () => {
    const { count, failures } = await checkEvalVectors(sdk, files);
    assert.equal(count, cases);
    assert.deepEqual(failures.slice(0, 10), []);
  });

  test(`${name} SDK: every bucketing vector, targetingKey as the unit`, async () => {
    const { count, failures } = await checkBucketing(sdk, bucketing);
    assert.equal(count, bucketing.length);
    assert.deepEqual(failures, []);
  });

  test(`${name} SDK: events, statuses and error codes`, async () => {
    const { failures } = await checkLifecycle(sdk);
    assert.deepEqual(failures, []);
  });
}

test('the providers evaluate a given Flags instance, overrides included', async () => {
  const flags = new Flags({ version: 3, flags: { a: { percentage: 0 } } });
  const provider = new EdgeflagsProvider({ flags });
  await server.OpenFeature.setProviderAndWait('given-flags', provider);
  const client = server.OpenFeature.getClient('given-flags');
  let d = await client.getBooleanDetails('a', true, { targetingKey: 'u' });
  assert.deepEqual([d.value, d.reason, d.variant, d.flagMetadata.version], [false, 'SPLIT', 'off', 3]);
  flags.enable('a');
  d = await client.getBooleanDetails('a', false, { targetingKey: 'u' });
  assert.deepEqual([d.value, d.reason], [true, 'STATIC'], 'OVERRIDE is STATIC');
  assert.equal(provider.flags, flags);
  await server.OpenFeature.close();
});

test('toEdgeflagsContext: targetingKey is user_id, values as their JSON, bad contexts refused', () => {
  assert.deepEqual(toEdgeflagsContext({ targetingKey: 'u1', plan: 'pro' }), { plan: 'pro', user_id: 'u1' });
  assert.deepEqual(toEdgeflagsContext({ user_id: 'x', targetingKey: 'u1' }), { user_id: 'u1' });
  assert.deepEqual(toEdgeflagsContext({ targetingKey: '', user_id: 'x' }), { user_id: 'x' });
  assert.deepEqual(toEdgeflagsContext(undefined), {});
  assert.deepEqual(toEdgeflagsContext({ signup: new Date('2026-01-02T03:04:05Z'), id: 12n, skip: undefined }), {
    signup: '2026-01-02T03:04:05.000Z',
    id: '12',
  });
  // As JSON.stringify writes them: a Date or a BigInt targetingKey is its text, undefined is absent.
  assert.deepEqual(toEdgeflagsContext({ targetingKey: 12n, n: NaN }), { n: null, user_id: '12' });
  assert.deepEqual(toEdgeflagsContext({ targetingKey: undefined, user_id: 'x' }), { user_id: 'x' });
  assert.deepEqual(toEdgeflagsContext({ targetingKey: new Date(0) }), { user_id: '1970-01-01T00:00:00.000Z' });
  assert.deepEqual(Object.keys(toEdgeflagsContext(JSON.parse('{"__proto__": 1, "targetingKey": "u"}'))), ['__proto__', 'user_id']);
  for (const bad of [{ targetingKey: 7 }, { targetingKey: { id: 'u' } }, [1], 'u1', 5]) {
    assert.throws(() => toEdgeflagsContext(bad), (e) => e.code === 'INVALID_CONTEXT', JSON.stringify(bad));
  }
});

test('a context with an attribute that is not JSON: INVALID_CONTEXT when a flag reads it', async () => {
  const provider = new EdgeflagsProvider({ ruleset: { flags: { a: { variants: { on: true, off: false }, default_variant: 'off', rules: [{ conditions: [{ attribute: 'tags', op: 'in', values: ['x'] }], variant: 'on' }] }, b: true } } });
  const cyclic = { targetingKey: 'u' };
  cyclic.tags = cyclic;
  let d = await provider.resolveBooleanEvaluation('a', false, cyclic);
  assert.deepEqual([d.value, d.errorCode], [false, 'INVALID_CONTEXT']);
  d = await provider.resolveBooleanEvaluation('b', false, cyclic);
  assert.deepEqual([d.value, d.errorCode], [true, undefined], 'an attribute no flag reads is never looked at');
});

test('options are checked', () => {
  assert.throws(() => new EdgeflagsProvider(), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new EdgeflagsProvider({}), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new EdgeflagsProvider({ flags: {} }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new EdgeflagsWebProvider({ flags: new Flags({ flags: {} }), ruleset: { flags: {} } }), (e) => e.code === 'INVALID_ARGUMENT');
  for (const interval of [-1, Infinity, NaN, '30s']) {
    assert.throws(() => new EdgeflagsWebProvider({ url: 'https://x.test/v1/ruleset', interval }), (e) => e.code === 'INVALID_ARGUMENT', String(interval));
  }
});

test('a provider synced from a URL polls on its interval and stops on close', async () => {
  let polls = 0;
  const fetch = async () => {
    polls++;
    return new Response(JSON.stringify({ version: polls, flags: { a: polls % 2 === 0 } }), { status: 200, headers: { etag: `"${polls}"` } });
  };
  const provider = new EdgeflagsProvider({ url: 'https://flags.test/v1/ruleset', interval: 20, fetch });
  const changes = [];
  provider.events.addHandler('PROVIDER_CONFIGURATION_CHANGED', (d) => changes.push(d.metadata.version));
  await provider.initialize();
  const deadline = Date.now() + 5000;
  while (changes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(changes.length >= 2, `changes ${changes}`);
  await provider.onClose();
  const after = polls;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(polls, after, 'no poll after onClose');
});
