// Experiment events from the package in Node (options.events, flags.track,
// the OpenFeature providers' track) against a local stand-in for the
// Worker's POST /v1/events (events-server.mjs) that records every batch
// and answers 202, 503, 400, slowly, or drops the connection on demand.
// Which evaluation is an exposure is the core's answer; these tests check
// that the package asks it on every path, records each (unit, flag,
// variant) once with bounded memory, and delivers: batches, the interval,
// flush() and close(), retries with the same ids, drops that are counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as server from '@openfeature/server-sdk';
import * as web from '@openfeature/web-sdk';
import { Flags, EdgeflagsError } from 'edgeflags';
import { EdgeflagsProvider, EdgeflagsWebProvider } from 'edgeflags/openfeature';
import { eventsServer } from './events-server.mjs';
import { RULESET } from './events-ruleset.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let srv;
before(async () => {
  srv = await eventsServer();
});
after(() => srv.close());

// No sending unless asked: a large flushAt and no interval.
function quiet(extra) {
  return Object.assign({ url: srv.url, flushAt: 1e9, flushIntervalMs: 0 }, extra);
}

// The events queued and not yet sent (a white-box look at events.js).
function queued(flags) {
  return flags.events.q.slice(flags.events.h);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The events received other than usage counts (tests about something else).
function notUsage(events) {
  return events.filter((e) => e.type !== 'usage');
}

// The usage counts received, summed over every usage event: {flag: {variant: n}}.
function usageOf(events) {
  const out = {};
  for (const e of events) {
    if (e.type !== 'usage') continue;
    for (const [flag, by] of Object.entries(e.counts)) {
      for (const [variant, n] of Object.entries(by)) {
        out[flag] ??= {};
        out[flag][variant] = (out[flag][variant] ?? 0) + n;
      }
    }
  }
  return out;
}

test('without options.events nothing is recorded and track only checks its arguments', () => {
  const flags = new Flags(RULESET);
  assert.equal(flags.events, null);
  flags.isEnabled('exp', { user_id: 'u1' });
  flags.track('purchase', { user_id: 'u1' }, 3);
  assert.throws(() => flags.track('', { user_id: 'u1' }), /event/);
  return flags.flush().then((ok) => assert.equal(ok, true));
});

test('exposures: experiment flags only, from the split only, once per (unit, flag, variant)', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  const ctx = { user_id: 'u1' };
  const variant = flags.variant('exp', ctx);
  // Every evaluation path, plain and prepared contexts: one exposure.
  flags.isEnabled('exp', ctx);
  flags.getValue('exp', ctx, 'x');
  flags.evaluate('exp', { user_id: 'u1' });
  flags.evaluateAll({ user_id: 'u1', plan: 'free' });
  flags.activeFlags(ctx);
  const prepared = flags.context({ user_id: 'u1' });
  flags.getValue('exp', prepared, 'x');
  flags.evaluateAll(prepared);
  let q = queued(flags);
  assert.equal(q.length, 1, JSON.stringify(q));
  const e = q[0];
  assert.deepEqual({ type: e.type, flag: e.flag, variant: e.variant, unit: e.unit, version: e.version }, { type: 'exposure', flag: 'exp', variant, unit: 'u1', version: 7 });
  assert.match(e.id, /^[0-9a-f-]{32,36}$/);
  assert.ok(Math.abs(e.time - Date.now()) < 5000);
  // Not an experiment, a user list, a rule match, a killed flag, no unit,
  // a default of another type (TYPE_MISMATCH): no exposure.
  flags.evaluateAll({ user_id: 'u2', team: undefined });
  assert.deepEqual(queued(flags).map((x) => `${x.flag}/${x.unit}`), ['exp/u1', 'exp/u2']);
  flags.isEnabled('plain', { user_id: 'u3' });
  flags.isEnabled('exp', { user_id: 'qa' });
  flags.isEnabled('exp', { user_id: 'u4', plan: 'enterprise' });
  flags.isEnabled('killed_exp', { user_id: 'u5' });
  flags.isEnabled('exp', {});
  flags.isEnabled('exp');
  flags.getValue('exp', { user_id: 'u6' }, 5);
  assert.equal(queued(flags).length, 2);
  // bucket_by: the unit is that attribute; a numeric unit is its decimal form.
  flags.isEnabled('team_exp', { user_id: 'u7', team: 'team:9' });
  flags.variant('exp', { user_id: 42 });
  q = queued(flags).slice(2);
  assert.deepEqual(q.map((x) => [x.flag, x.unit]), [['team_exp', 'team:9'], ['exp', '42']]);
  assert.equal(q[0].variant, flags.variant('team_exp', { team: 'team:9' }));
  // Overrides never expose, and the flags not overridden still do.
  flags.override('exp', 'red');
  flags.isEnabled('exp', { user_id: 'u8' });
  flags.evaluate('exp', { user_id: 'u8' });
  flags.evaluateAll({ user_id: 'u8', team: 'team:10' });
  assert.deepEqual(queued(flags).slice(4).map((x) => [x.flag, x.unit]), [['team_exp', 'team:10']]);
  flags.reset();
  flags.evaluateAll({ user_id: 'u8', team: 'team:10' });
  assert.deepEqual(queued(flags).slice(5).map((x) => [x.flag, x.unit]), [['exp', 'u8']]);
  // Another variant for the same unit (a new ruleset) is a new exposure;
  // the same one after an update is not.
  flags.update(Object.assign({}, RULESET, { version: 8 }));
  flags.isEnabled('exp', { user_id: 'u1' });
  assert.equal(queued(flags).length, 6);
  const flipped = structuredClone(RULESET);
  flipped.flags.exp.split = [['control', 0], ['a', 100]];
  flipped.version = 9;
  flags.update(flipped);
  flags.isEnabled('exp', { user_id: 'u1' });
  const last = queued(flags).at(-1);
  assert.deepEqual([last.unit, last.variant, last.version], ['u1', 'a', 9]);
  // Units of every length and script come back from wasm memory intact.
  const units = ['é', 'utilisatrice:é', 'x'.repeat(16), 'y'.repeat(17), '0f8fad5b-d9cb-469f-a165-70867728950e', '用户:42', 'z'.repeat(1024)];
  for (const u of units) flags.isEnabled('exp', { user_id: u });
  assert.deepEqual(queued(flags).slice(7).map((x) => x.unit), units);
  // Longer than the Worker takes: dropped and counted, not sent.
  flags.isEnabled('exp', { user_id: 'z'.repeat(1025) });
  assert.equal(flags.events.stats.dropped, 1);
  await flags.close();
  // The evaluations' usage counts go with them (tested on their own below).
  const exposures = notUsage(srv.events());
  assert.equal(exposures.length, 14);
  assert.equal(new Set(exposures.map((x) => x.id)).size, 14);
  assert.ok(srv.events().length > 14);
});

test('the dedup structure stays bounded: 100,000 units with dedup 1,000', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet({ dedup: 1000, maxQueue: 200_000 }) });
  for (let i = 0; i < 100_000; i++) flags.isEnabled('exp', { user_id: `user:${i}` });
  assert.equal(flags.events.seen.size, 1000);
  assert.equal(flags.events.stats.queued, 100_000);
  // The 1,000 most recent are remembered; the first were forgotten (LRU).
  for (let i = 99_000; i < 100_000; i++) flags.isEnabled('exp', flags.context({ user_id: `user:${i}` }));
  assert.equal(flags.events.stats.queued, 100_000);
  flags.isEnabled('exp', { user_id: 'user:0' });
  assert.equal(flags.events.stats.queued, 100_001);
  assert.equal(flags.events.seen.size, 1000);
  // dedup: 0 records every exposure the core reports (still once per context and resolution).
  const all = new Flags(RULESET, { events: quiet({ dedup: 0 }) });
  all.isEnabled('exp', { user_id: 'a' });
  all.isEnabled('exp', { user_id: 'b' });
  all.isEnabled('exp', { user_id: 'a' });
  assert.equal(all.events.stats.queued, 3);
  assert.equal(all.events.seen.size, 0);
});

test('track: the event, the unit and the value are checked, naming the argument', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  const bad = [
    [() => flags.track(undefined, { user_id: 'u' }), /track\(event\)/],
    [() => flags.track('', { user_id: 'u' }), /track\(event\)/],
    [() => flags.track('é'.repeat(129), { user_id: 'u' }), /track\(event\)/],
    [() => flags.track(5, { user_id: 'u' }), /track\(event\)/],
    [() => flags.track('purchase', { user_id: 'u' }, NaN), /value/],
    [() => flags.track('purchase', { user_id: 'u' }, Infinity), /value/],
    [() => flags.track('purchase', { user_id: 'u' }, '5'), /value/],
    [() => flags.track('purchase', { user_id: 'u' }, 2e12), /value/],
    [() => flags.track('purchase', {}), /context/],
    [() => flags.track('purchase'), /context/],
    [() => flags.track('purchase', { user_id: null }), /context/],
    [() => flags.track('purchase', { user_id: 1.5 }), /context/],
    [() => flags.track('purchase', { user_id: '' }), /context/],
    [() => flags.track('purchase', { user_id: 'x'.repeat(1025) }), /context/],
    [() => flags.track('purchase', flags.context({ plan: 'pro' })), /context/],
  ];
  for (const [call, message] of bad) {
    assert.throws(call, (e) => e instanceof EdgeflagsError && e.code === 'INVALID_ARGUMENT' && message.test(e.message), String(call));
  }
  assert.equal(flags.events.stats.queued, 0);
  flags.track('purchase', { user_id: 'u1' });
  flags.track('revenue', flags.context({ user_id: 'u1' }), 19.99);
  flags.track('revenue', 'team:9', -1e12);
  flags.track('purchase', { user_id: 42 });
  flags.track('purchase', { user_id: 42n });
  flags.track('é'.repeat(128), { user_id: 'u1' }, 0);
  const q = queued(flags);
  assert.deepEqual(
    q.map((e) => [e.type, e.event.slice(0, 8), e.unit, e.value]),
    [
      ['track', 'purchase', 'u1', undefined],
      ['track', 'revenue', 'u1', 19.99],
      ['track', 'revenue', 'team:9', -1e12],
      ['track', 'purchase', '42', undefined],
      ['track', 'purchase', '42', undefined],
      ['track', 'é'.repeat(8), 'u1', 0],
    ],
  );
  assert.ok(!('value' in q[0]), 'no value: no member');
  // Every event has an id of its own: crypto.randomUUID, or without a
  // global crypto (Node 18) 128 random bits in hex.
  assert.equal(new Set(q.map((e) => e.id)).size, q.length);
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
  try {
    flags.track('purchase', 'no-crypto');
  } finally {
    Object.defineProperty(globalThis, 'crypto', saved);
  }
  assert.match(queued(flags).at(-1).id, /^[0-9a-f]{32}$/);
  // A numeric user_id: the same unit as its exposure.
  flags.isEnabled('exp', { user_id: 42 });
  assert.equal(queued(flags).at(-1).unit, '42');
});

test('options.events is checked', () => {
  for (const events of [null, 'x', {}, { url: 5 }, { url: 'http://x', key: 1 }, { url: 'http://x', flushAt: 0 }, { url: 'http://x', flushIntervalMs: -1 }, { url: 'http://x', maxQueue: 1.5 }, { url: 'http://x', dedup: NaN }, { url: 'http://x', onError: 'no' }, { url: 'http://x', maxRetries: -1 }]) {
    assert.throws(() => new Flags(RULESET, { events }), (e) => e instanceof EdgeflagsError && e.code === 'INVALID_ARGUMENT' && /options\.events/.test(e.message), JSON.stringify(events));
  }
});

test('batches: at flushAt, at most 500 per request, with the key; flush() resolves true', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: { url: srv.url, key: 'write-key', flushAt: 3, flushIntervalMs: 0 } });
  flags.track('purchase', 'u1');
  flags.track('purchase', 'u2');
  await sleep(100);
  assert.equal(srv.requests.length, 0, 'two events: below flushAt');
  flags.track('purchase', 'u3');
  await srv.waitFor(1);
  const r = srv.requests[0];
  assert.equal(r.method, 'POST');
  assert.equal(r.headers.authorization, 'Bearer write-key');
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.deepEqual(r.body.events.map((e) => e.unit), ['u1', 'u2', 'u3']);
  assert.equal(r.body.key, undefined, 'fetch sends the key as a header only');
  // 1,200 events: three requests of at most 500 (the Worker's limit).
  srv.reset();
  const big = new Flags(RULESET, { events: quiet() });
  for (let i = 0; i < 1200; i++) big.track('purchase', `u${i}`);
  assert.equal(await big.flush(), true);
  assert.deepEqual(srv.requests.map((x) => x.body.events.length), [500, 500, 200]);
  assert.deepEqual(big.events.stats, { queued: 0, sent: 1200, dropped: 0, failed: 0, retries: 0 });
  assert.equal(new Set(srv.events().map((e) => e.id)).size, 1200);
  await flags.close();
  await big.close();
});

test('the interval flush sends what is queued below flushAt', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: { url: srv.url, flushAt: 100, flushIntervalMs: 200 } });
  const t0 = Date.now();
  flags.track('purchase', 'u1');
  flags.isEnabled('exp', { user_id: 'u1' });
  await srv.waitFor(1);
  assert.ok(Date.now() - t0 >= 150, `sent after ${Date.now() - t0} ms`);
  // The usage counts are drained into the same batch.
  assert.deepEqual(srv.requests[0].body.events.map((e) => e.type), ['track', 'exposure', 'usage']);
  // Again for the next event.
  flags.track('purchase', 'u2');
  await srv.waitFor(2);
  assert.equal(srv.requests.length, 2);
  await flags.close();
});

test('close() sends what is queued, stops recording and leaves no timer', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: { url: srv.url, flushAt: 100, flushIntervalMs: 60_000 } });
  flags.track('purchase', 'u1');
  assert.equal(await flags.close(), true);
  assert.equal(srv.requests.length, 1);
  flags.track('purchase', 'u2');
  flags.isEnabled('exp', { user_id: 'zz' });
  assert.equal(flags.events.stats.queued, 0, 'closed: nothing recorded');
  assert.equal(flags.events.timer, undefined);
  assert.equal(flags.isEnabled('on'), false, 'evaluation goes on');
});

test('a Node process exits with events queued: the timers are unref\'d', () => {
  const script = `
    import { Flags } from 'edgeflags';
    const flags = new Flags({ flags: {} }, { events: { url: ${JSON.stringify(srv.url)}, flushAt: 100, flushIntervalMs: 600000 } });
    flags.track('purchase', 'u1');
    console.log('recorded', flags.events.stats.queued);
  `;
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: `${ROOT}tests/js`, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'recorded 1');
  assert.ok(Date.now() - t0 < 20_000);
});

test('503 then 202: retried with the same ids, nothing lost, nothing twice', async () => {
  srv.reset();
  srv.answer({ status: 503, headers: { 'retry-after': '1' } }, 202);
  const errors = [];
  const flags = new Flags(RULESET, { events: quiet({ flushAt: 5, onError: (e) => errors.push(e) }) });
  for (let i = 0; i < 5; i++) flags.track('purchase', `u${i}`, i);
  await srv.waitFor(1);
  // Queued during the backoff: sent after the retry, not before.
  flags.track('purchase', 'late');
  await srv.waitFor(2);
  const [first, second] = srv.requests;
  assert.equal(first.answered, 503);
  assert.equal(second.text, first.text, 'the same batch, ids included');
  assert.ok(second.at - first.at >= 900, `Retry-After: 1 waited ${second.at - first.at} ms`);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'EVENTS_FAILED');
  assert.equal(errors[0].status, 503);
  assert.equal(errors[0].dropped, 0);
  assert.equal(await flags.flush(), true);
  const units = srv.events().map((e) => e.unit);
  assert.deepEqual(units, ['u0', 'u1', 'u2', 'u3', 'u4', 'u0', 'u1', 'u2', 'u3', 'u4', 'late']);
  // What the server accepted: every event once.
  const accepted = srv.requests.filter((r) => r.answered === 202).flatMap((r) => r.body.events);
  assert.deepEqual(accepted.map((e) => e.unit), ['u0', 'u1', 'u2', 'u3', 'u4', 'late']);
  assert.equal(new Set(accepted.map((e) => e.id)).size, 6);
  assert.deepEqual(flags.events.stats, { queued: 0, sent: 6, dropped: 0, failed: 0, retries: 1 });
  await flags.close();
});

test('a network error and a timeout are retried with the same ids', async () => {
  srv.reset();
  srv.answer('drop', { status: 202, delay: 1500 }, 202);
  const errors = [];
  const flags = new Flags(RULESET, { events: quiet({ timeout: 500, onError: (e) => errors.push(e) }) });
  flags.track('purchase', 'u1');
  flags.track('purchase', 'u2');
  assert.equal(await flags.flush(), false, 'the first try failed');
  await srv.waitFor(3, 15_000);
  while (flags.events.stats.queued > 0) await sleep(50);
  assert.equal(srv.requests[1].text, srv.requests[0].text);
  assert.equal(srv.requests[2].text, srv.requests[0].text);
  assert.deepEqual(errors.map((e) => e.status), [0, 0]);
  assert.deepEqual(flags.events.stats, { queued: 0, sent: 2, dropped: 0, failed: 0, retries: 2 });
  await flags.close();
});

test('flush() during a backoff sends at once', async () => {
  srv.reset();
  srv.answer(503);
  const flags = new Flags(RULESET, { events: quiet() });
  flags.track('purchase', 'u1');
  assert.equal(await flags.flush(), false);
  assert.equal(flags.events.stats.queued, 1);
  const t0 = Date.now();
  assert.equal(await flags.flush(), true);
  assert.ok(Date.now() - t0 < 500);
  assert.equal(srv.requests[1].text, srv.requests[0].text);
  await flags.close();
});

test('400: the batch is dropped and onError gets the problems; later events still go', async () => {
  srv.reset();
  srv.answer(400);
  const errors = [];
  const flags = new Flags(RULESET, { events: quiet({ onError: (e) => errors.push(e) }) });
  flags.track('purchase', 'u1');
  flags.track('purchase', 'u2');
  assert.equal(await flags.flush(), false);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].status, 400);
  assert.equal(errors[0].dropped, 2);
  assert.match(errors[0].message, /400 INVALID_EVENTS/);
  assert.deepEqual(errors[0].problems, [{ path: 'events[0].unit', message: 'test problem' }]);
  flags.track('purchase', 'u3');
  assert.equal(await flags.flush(), true);
  assert.equal(srv.requests.length, 2);
  assert.deepEqual(flags.events.stats, { queued: 0, sent: 1, dropped: 0, failed: 2, retries: 0 });
  // maxRetries: a 503 after the last retry drops too; an onError that throws breaks nothing.
  srv.reset();
  srv.answer(503, 503);
  const capped = new Flags(RULESET, { events: quiet({ maxRetries: 0, onError: () => { throw new Error('handler'); } }) });
  capped.track('purchase', 'u1');
  assert.equal(await capped.flush(), false);
  assert.deepEqual(capped.events.stats, { queued: 0, sent: 0, dropped: 0, failed: 1, retries: 0 });
  await flags.close();
  await capped.close();
});

test('a full queue drops the oldest events and counts them', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet({ maxQueue: 3 }) });
  for (let i = 1; i <= 5; i++) flags.track('purchase', `u${i}`);
  assert.deepEqual(flags.events.stats, { queued: 3, sent: 0, dropped: 2, failed: 0, retries: 0 });
  await flags.flush();
  assert.deepEqual(srv.events().map((e) => e.unit), ['u3', 'u4', 'u5']);
  // While a batch waits for its retry, the queue is bounded the same way.
  srv.reset();
  srv.answer(503);
  for (let i = 6; i <= 10; i++) flags.track('purchase', `u${i}`);
  assert.equal(await flags.flush(), false);
  for (let i = 11; i <= 16; i++) flags.track('purchase', `u${i}`);
  assert.deepEqual(flags.events.stats, { queued: 6, sent: 3, dropped: 7, failed: 0, retries: 1 });
  assert.equal(await flags.flush(), true);
  assert.deepEqual(srv.events().map((e) => e.unit), ['u8', 'u9', 'u10', 'u8', 'u9', 'u10', 'u14', 'u15', 'u16']);
  await flags.close();
});

test('the OpenFeature providers\' track reaches the sender', async () => {
  srv.reset();
  // Server SDK: the context per call, targetingKey as the unit.
  const provider = new EdgeflagsProvider({ ruleset: RULESET, flagsOptions: { events: quiet() } });
  await server.OpenFeature.setProviderAndWait('events-server', provider);
  const client = server.OpenFeature.getClient('events-server');
  client.track('purchase', { targetingKey: 'of-1' }, { value: 9.5 });
  client.track('purchase', { targetingKey: 'of-2' });
  assert.equal(await client.getStringValue('exp', 'x', { targetingKey: 'of-1' }), provider.flags.getValue('exp', { user_id: 'of-1' }));
  // Web SDK: the static context.
  const webProvider = new EdgeflagsWebProvider({ ruleset: RULESET, flagsOptions: { events: quiet() } });
  await web.OpenFeature.setContext('events-web', { targetingKey: 'of-3' });
  await web.OpenFeature.setProviderAndWait('events-web', webProvider);
  const webClient = web.OpenFeature.getClient('events-web');
  webClient.track('revenue', { value: 20 });
  webClient.getStringValue('exp', 'x');
  // A bad value is refused by Flags.track (the SDK logs it): nothing recorded.
  webClient.track('revenue', { value: 'lots' });
  const got = (p) => queued(p.flags).map((e) => (e.type === 'track' ? ['track', e.event, e.unit, e.value] : ['exposure', e.flag, e.unit]));
  assert.deepEqual(got(provider), [['track', 'purchase', 'of-1', 9.5], ['track', 'purchase', 'of-2', undefined], ['exposure', 'exp', 'of-1']]);
  assert.deepEqual(got(webProvider), [['track', 'revenue', 'of-3', 20], ['exposure', 'exp', 'of-3']]);
  assert.equal(await provider.flags.flush(), true);
  assert.equal(notUsage(srv.events()).length, 3);
  // The provider's evaluation is counted like the direct one.
  assert.deepEqual(usageOf(srv.events()), { exp: { [provider.flags.variant('exp', { user_id: 'of-1' })]: 2 } });
  await server.OpenFeature.close();
  await web.OpenFeature.close();
  await provider.flags.close();
  await webProvider.flags.close();
});

// Outcomes (guarded rollouts' app-reported metrics): the variant is the
// flag's answer for the context, every field is checked, and the
// providers' track with details.flag is one.
test('outcomes: the served variant, error, latency and metrics; checked; from track and the providers', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  const ctx = { user_id: 'u7' };
  const served = flags.variant('plain', ctx);
  assert.equal(flags.outcome('plain', ctx, { error: true, latencyMs: 182.5, metrics: { checkout_failed: 1, cart: 31.2 } }), served);
  assert.equal(flags.outcome('plain', flags.context(ctx)), served);
  assert.equal(flags.outcome('nope', ctx, { error: true }), null, 'an unknown flag records nothing');
  // track with options.flag: the event is the metric, "error" an error.
  assert.equal(flags.track('checkout_failed', ctx, 0, { flag: 'plain', latencyMs: 40 }), served);
  flags.track('error', ctx, undefined, { flag: 'plain' });
  for (const [o, re] of [
    [{ error: 'yes' }, /outcome.error must be true or false/],
    [{ latencyMs: -1 }, /latencyMs must be a number of milliseconds/],
    [{ latencyMs: 9e7 }, /latencyMs/],
    [{ metrics: { x: 'a' } }, /outcome.metrics.x must be a finite number/],
    [{ metrics: { x: Infinity } }, /outcome.metrics.x/],
    [{ metrics: [1] }, /metrics must be an object/],
    [{ metrics: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`m${i}`, 1])) }, /at most 20 metrics/],
    ['bad', /outcome must be an object/],
  ]) {
    assert.throws(() => flags.outcome('plain', ctx, o), (e) => e instanceof EdgeflagsError && e.code === 'INVALID_ARGUMENT' && re.test(e.message), JSON.stringify(o));
  }
  assert.throws(() => flags.outcome('', ctx), /key must be a flag key/);
  assert.throws(() => flags.track('', ctx, 1, { flag: 'plain' }), /event/);
  const sent = queued(flags).map(({ id, time, ...e }) => (assert.equal(typeof id, 'string'), assert.equal(typeof time, 'number'), e));
  assert.deepEqual(sent, [
    { type: 'outcome', flag: 'plain', variant: served, version: 7, error: true, latency_ms: 182.5, metrics: { checkout_failed: 1, cart: 31.2 } },
    { type: 'outcome', flag: 'plain', variant: served, version: 7, error: false },
    { type: 'outcome', flag: 'plain', variant: served, version: 7, error: false, latency_ms: 40, metrics: { checkout_failed: 0 } },
    { type: 'outcome', flag: 'plain', variant: served, version: 7, error: true },
  ]);
  assert.equal(await flags.flush(), true);
  assert.equal(notUsage(srv.events()).length, 4);
  // variant() once, outcome() and track() with a flag once each (their
  // variant() call); not the unknown flag nor the refused calls.
  assert.deepEqual(usageOf(srv.events()), { plain: { [served]: 5 } });
  // The OpenFeature server provider: details.flag makes an outcome.
  const provider = new EdgeflagsProvider({ ruleset: RULESET, flagsOptions: { events: quiet() } });
  await server.OpenFeature.setProviderAndWait('events-outcome', provider);
  const client = server.OpenFeature.getClient('events-outcome');
  client.track('checkout_failed', { targetingKey: 'u7' }, { flag: 'plain', value: 1, latencyMs: 12 });
  client.track('request', { targetingKey: 'u7' }, { flag: 'plain', error: true });
  const got = queued(provider.flags).map((e) => [e.type, e.flag, e.variant, e.error, e.latency_ms, e.metrics]);
  assert.deepEqual(got, [
    ['outcome', 'plain', served, false, 12, { checkout_failed: 1 }],
    ['outcome', 'plain', served, true, undefined, undefined],
  ]);
  await server.OpenFeature.close();
  await provider.flags.close();
  await flags.close();
});

// Browsers load the sender with a dynamic import; until it is here the
// events wait in line (events.js Pending). Driven here from the sources
// with a sender that arrives when the test says.
test('before the sender has loaded, events wait in line, in order, bounded, with their time', async () => {
  const events = await import('../../pkg/src/events.js');
  let arrive;
  events.useSender(() => new Promise((resolve) => (arrive = resolve)));
  srv.reset();
  const ev = events.openEvents(quiet({ maxQueue: 3 }));
  ev.exposure('exp', 'a', 'u0', 7);
  ev.track('purchase', 'u1', 2);
  const t = Date.now();
  await sleep(30);
  ev.track('purchase', 'u2');
  ev.track('purchase', 'u3');
  // The fourth call pushed the oldest out.
  assert.deepEqual(ev.stats, { queued: 3, sent: 0, dropped: 1, failed: 0, retries: 0 });
  arrive(await import('../../pkg/src/sender.js'));
  await ev.ready;
  assert.deepEqual(ev.stats, { queued: 3, sent: 0, dropped: 1, failed: 0, retries: 0 });
  assert.equal(await ev.flush(), true);
  ev.track('purchase', 'u4');
  assert.equal(await ev.flush(), true);
  assert.deepEqual(ev.stats, { queued: 0, sent: 4, dropped: 1, failed: 0, retries: 0 });
  const got = srv.events();
  assert.deepEqual(got.map((e) => [e.type, e.unit, e.value]), [['track', 'u1', 2], ['track', 'u2', undefined], ['track', 'u3', undefined], ['track', 'u4', undefined]]);
  assert.ok(got[0].time <= t && got[1].time >= t + 20, 'each keeps the time of its call');
  // A sender that does not load: onError hears it, flush() resolves false,
  // and nothing is taken after close().
  const errors = [];
  events.useSender(() => Promise.reject(new Error('offline')));
  const broken = events.openEvents(quiet({ onError: (e) => errors.push(e) }));
  broken.track('purchase', 'u1');
  assert.equal(await broken.flush(), false);
  assert.equal(errors[0].code, 'EVENTS_FAILED');
  assert.match(errors[0].message, /offline/);
  await broken.close();
  broken.track('purchase', 'u2');
  assert.equal(broken.stats.queued, 1);
});

// Flag usage: every answer the package serves is counted per flag and
// variant and sent as usage events, so that flags evaluated only here are
// not reported unused by the Worker (docs/worker.md, "Flag usage").
// RULESET serves u1 plain "off" and exp "control", u2 plain "on" and exp
// "a"; killed_exp and team_exp serve "off" to both.
test('usage: every answer served is counted by flag and variant, on every path; overrides, unknown flags and errors are not', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  const u1 = { user_id: 'u1' };
  const u2 = { user_id: 'u2' };
  const t0 = Date.now();
  for (let k = 0; k < 3; k++) flags.isEnabled('plain', u1);
  flags.isEnabled('plain', { user_id: 'u2' });
  flags.getValue('plain', u1, false);
  flags.getValue('plain', u2, true);
  flags.variant('exp', u1);
  flags.variant('exp', u2);
  flags.variant('exp', u2);
  flags.evaluate('exp', u1);
  flags.evaluate('exp', u2, 'x');
  flags.evaluateAll(u1);
  flags.evaluateAll(u2);
  flags.activeFlags(u1);
  // A prepared context: its remembered results are counted too.
  const p2 = flags.context(u2);
  flags.isEnabled('plain', p2);
  flags.isEnabled('plain', p2);
  flags.evaluateAll(p2);
  // Not counted: unknown flags, defaults of another type, unusable contexts.
  flags.isEnabled('nope', u1);
  flags.getValue('nope', u1, 1);
  flags.variant('nope', u1);
  flags.evaluate('nope', u1);
  flags.getValue('plain', u1, 5);
  flags.evaluate('exp', u1, 5);
  flags.isEnabled('plain', [1]);
  flags.evaluateAll([1]);
  flags.activeFlags([1]);
  // Overridden keys are not counted; with an override, evaluateAll and
  // activeFlags take the detail path and count nothing; the keys not
  // overridden still count one by one.
  flags.override('exp', 'red');
  flags.isEnabled('exp', u1);
  flags.getValue('exp', u1, 'x');
  flags.variant('exp', u1);
  flags.evaluate('exp', u1);
  flags.evaluateAll(u1);
  flags.activeFlags(u1);
  flags.isEnabled('plain', u1);
  flags.reset();
  assert.deepEqual(queued(flags).map((e) => e.type), ['exposure', 'exposure'], 'counted, no usage event before the drain');
  assert.equal(await flags.flush(), true);
  const usage = srv.events().filter((e) => e.type === 'usage');
  assert.equal(usage.length, 1, 'one drain, one event');
  assert.deepEqual(usageOf(usage), {
    plain: { off: 3 + 1 + 1 + 1 + 1, on: 1 + 1 + 1 + 2 + 1 },
    exp: { control: 1 + 1 + 1 + 1, a: 2 + 1 + 1 + 1 },
    killed_exp: { off: 1 + 1 + 1 + 1 },
    team_exp: { off: 1 + 1 + 1 + 1 },
  });
  // The event: exactly type, id, time and counts.
  const [e] = usage;
  assert.deepEqual(Object.keys(e).sort(), ['counts', 'id', 'time', 'type']);
  assert.match(e.id, /^[0-9a-f-]{32,36}$/);
  assert.ok(e.time >= t0 && e.time <= Date.now(), `time ${e.time}`);
  // Drained: the next flush sends nothing; a new answer is counted from 0.
  srv.reset();
  assert.equal(await flags.flush(), true);
  assert.equal(srv.requests.length, 0);
  flags.isEnabled('plain', u1);
  assert.equal(await flags.flush(), true);
  assert.deepEqual(srv.events().map((x) => [x.type, x.counts]), [['usage', { plain: { off: 1 } }]]);
  await flags.close();
});

test('usage: false counts and sends nothing; without counts there is no timer and no request', async () => {
  srv.reset();
  const off = new Flags(RULESET, { events: { url: srv.url, flushIntervalMs: 50, usage: false } });
  // plain is no experiment: nothing else to send.
  for (let k = 0; k < 10; k++) off.isEnabled('plain', { user_id: `u${k}` });
  assert.equal(off._use, null);
  assert.equal(off.events.timer, undefined, 'nothing counted: no timer');
  await sleep(150);
  assert.equal(await off.flush(), true);
  assert.equal(srv.requests.length, 0);
  // Usage on (the default), the interval at 50 ms.
  const on = new Flags(RULESET, { events: { url: srv.url, flushIntervalMs: 50 } });
  assert.equal(on.events.timer, undefined, 'nothing counted yet: no timer');
  await sleep(150);
  assert.equal(await on.flush(), true);
  assert.equal(srv.requests.length, 0, 'nothing counted: no request');
  srv.answer({ status: 202, delay: 300 });
  on.isEnabled('plain', { user_id: 'u1' });
  assert.notEqual(on.events.timer, undefined, 'the first count schedules the send');
  on.isEnabled('plain', { user_id: 'u1' });
  await srv.waitFor(1);
  assert.deepEqual(srv.requests[0].body.events.map((e) => [e.type, e.counts]), [['usage', { plain: { off: 2 } }]]);
  // Counted while the request is out: sent after it, by the interval.
  on.isEnabled('plain', { user_id: 'u2' });
  await srv.waitFor(2);
  assert.deepEqual(srv.requests[1].body.events.map((e) => [e.type, e.counts]), [['usage', { plain: { on: 1 } }]]);
  assert.ok(srv.requests[1].at - srv.requests[0].at >= 300);
  // Drained and sent: no timer until the next count.
  while (on.events.running !== null) await sleep(10);
  assert.equal(on.events.timer, undefined);
  await sleep(150);
  assert.equal(srv.requests.length, 2);
  on.variant('exp', { user_id: 'u2' });
  await srv.waitFor(3);
  assert.deepEqual(srv.requests[2].body.events.filter((e) => e.type === 'usage').map((e) => e.counts), [{ exp: { a: 1 } }]);
  await on.close();
  await off.close();
  // The option is checked.
  for (const usage of ['no', 0, 1, null, {}]) {
    assert.throws(
      () => new Flags(RULESET, { events: { url: srv.url, usage } }),
      (e) => e instanceof EdgeflagsError && e.code === 'INVALID_ARGUMENT' && /options\.events\.usage must be a boolean/.test(e.message),
      JSON.stringify(usage),
    );
  }
  const yes = new Flags(RULESET, { events: quiet({ usage: true }) });
  assert.notEqual(yes._use, null);
  await yes.close();
});

test('usage: counts survive update() to another ruleset (by flag key and variant name) and a failed one', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  const u1 = { user_id: 'u1' };
  flags.isEnabled('plain', u1);
  flags.isEnabled('killed_exp', u1);
  // Another ruleset: a flag before the others (every index moves), one
  // removed, and plain's variants in another order.
  const next = {
    version: 8,
    flags: {
      fresh: { variants: { yes: true, no: false }, default_variant: 'yes' },
      plain: { variants: { off: false, on: true }, default_variant: 'off' },
      exp: RULESET.flags.exp,
    },
  };
  flags.update(next);
  flags.isEnabled('plain', u1);
  flags.isEnabled('fresh', u1);
  // A refused ruleset changes nothing; a third one merges again.
  assert.throws(() => flags.update({ flags: 5 }));
  flags.isEnabled('plain', u1);
  flags.update(RULESET);
  flags.isEnabled('plain', { user_id: 'u2' });
  assert.equal(await flags.flush(), true);
  const usage = srv.events().filter((e) => e.type === 'usage');
  assert.equal(usage.length, 1);
  assert.deepEqual(usageOf(usage), { plain: { off: 3, on: 1 }, killed_exp: { off: 1 }, fresh: { yes: 1 } });
  await flags.close();
});

test('usage: a retry resends the same usage event; what is counted meanwhile goes in a new one', async () => {
  srv.reset();
  srv.answer(503);
  const errors = [];
  const flags = new Flags(RULESET, { events: quiet({ onError: (e) => errors.push(e) }) });
  flags.isEnabled('plain', { user_id: 'u1' });
  assert.equal(await flags.flush(), false);
  assert.equal(errors[0].status, 503);
  flags.isEnabled('plain', { user_id: 'u2' });
  assert.equal(await flags.flush(), true);
  assert.equal(srv.requests.length, 3);
  assert.equal(srv.requests[1].text, srv.requests[0].text, 'the same batch, the usage event\'s id included');
  const [first] = srv.requests[0].body.events;
  const [second] = srv.requests[2].body.events;
  assert.deepEqual([first.type, first.counts], ['usage', { plain: { off: 1 } }]);
  assert.deepEqual([second.type, second.counts], ['usage', { plain: { on: 1 } }]);
  assert.notEqual(first.id, second.id);
  assert.deepEqual(flags.events.stats, { queued: 0, sent: 2, dropped: 0, failed: 0, retries: 1 });
  await flags.close();
});

test('usage: close() and free() send the last counts; at most 1000 pairs per event; counts clamped at 1e9', async () => {
  srv.reset();
  const flags = new Flags(RULESET, { events: quiet() });
  flags.isEnabled('plain', { user_id: 'u1' });
  flags.free();
  await flags.events.ready;
  while (flags.events.running !== null) await sleep(10);
  assert.deepEqual(usageOf(srv.events()), { plain: { off: 1 } });
  // 1,500 flags of 2 variants, each served once, plain's count set high.
  srv.reset();
  const many = { flags: {} };
  for (let i = 0; i < 1500; i++) many.flags[`f${i}`] = { variants: { a: i, b: -i }, default_variant: i % 2 ? 'a' : 'b' };
  const big = new Flags(many, { events: quiet() });
  big.evaluateAll({});
  big.evaluateAll({});
  big._use[big._names.indexOf('b')] = 5e9;
  assert.equal(await big.close(), true);
  const usage = srv.events().filter((e) => e.type === 'usage');
  assert.deepEqual(usage.map((e) => Object.values(e.counts).reduce((n, by) => n + Object.keys(by).length, 0)), [1000, 500]);
  assert.equal(usage[0].counts.f0.b, 1e9, 'clamped');
  assert.equal(usage[0].counts.f1.a, 2);
  assert.equal(new Set(usage.map((e) => e.id)).size, 2);
  assert.equal(usage[0].time, usage[1].time, 'one drain');
  // Long keys: an event stays small enough for a beacon (about 50 KB).
  srv.reset();
  const long = { flags: {} };
  for (let i = 0; i < 400; i++) long.flags[`${'k'.repeat(240)}${i}`] = { variants: { [`${'v'.repeat(200)}`]: true }, default_variant: 'v'.repeat(200) };
  const wide = new Flags(long, { events: quiet() });
  wide.evaluateAll({});
  assert.equal(await wide.close(), true);
  const sizes = srv.events().map((e) => JSON.stringify(e).length);
  assert.ok(sizes.length >= 4 && sizes.every((n) => n <= 50000), String(sizes));
  assert.equal(usageOf(srv.events())[`${'k'.repeat(240)}399`]['v'.repeat(200)], 1);
  assert.equal(Object.keys(usageOf(srv.events())).length, 400);
});

// Browsers: until the sender has loaded, the counts wait in flags.js and
// the tables of replaced rulesets wait in Pending (events.js).
test('usage before the sender has loaded: counted() and the kept tables are handed over', async () => {
  const events = await import('../../pkg/src/events.js');
  let arrive;
  events.useSender(() => new Promise((resolve) => (arrive = resolve)));
  srv.reset();
  // A stand-in for a Flags instance's tables: two flags of two variants.
  const src = { _use: new Float64Array([0, 3, 0, 0]), _keys: ['x', 'y'], _base: [0, 2, 4], _names: ['on', 'off', 'a', 'b'] };
  const ev = events.openEvents(quiet(), src);
  ev.counted();
  // A load replaced the ruleset: its table is kept; the new one counts on.
  ev.keep(new Float64Array([2, 0]), ['z'], [0, 2], ['p', 'q']);
  src._use[1] += 1;
  src._use[2] = 7;
  arrive(await import('../../pkg/src/sender.js'));
  await ev.ready;
  assert.equal(ev.to.counting, true);
  assert.equal(await ev.flush(), true);
  assert.deepEqual(usageOf(srv.events()), { x: { off: 4 }, y: { a: 7 }, z: { p: 2 } });
  assert.deepEqual(Array.from(src._use), [0, 0, 0, 0], 'drained');
  // usage: false: the sender gets no source and never drains.
  const none = events.openEvents(quiet({ usage: false }), src);
  arrive(await import('../../pkg/src/sender.js'));
  await none.ready;
  assert.equal(none.to.flags, undefined);
});
