// The experiment events pipeline's costs, in workerd through Miniflare with
// the Worker's real local bindings (Queue, D1), as wrangler.toml declares
// them:
//   1. ingestion: 100,000 tracked events posted to POST /v1/events in
//      batches of 500 (8 in flight): how fast the Worker accepts them (202)
//      and how fast they are in D1 (the queue consumer's end-to-end rate);
//   2. the cost an exposure adds to an edge evaluation: GET /v1/flags/{key}
//      of an experiment flag with events on (UNIT_HASH_KEY set: each answer
//      queues its exposure after the response) and off, same ruleset,
//      alternating rounds; and the flag usage telemetry's cost on
//      GET /v1/flags (every flag, 40 of them) with FLAG_USAGE on and off.
// No peer records exposures at the edge or ingests events itself
// (GrowthBook and Statsig read a warehouse, LaunchDarkly's pipeline is its
// SaaS), so there is no peer row: the comparison is events on vs off.
//
//   node events.mjs [--events 100000] [--requests 4000] [--out results/events.json]

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const { values: opt } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '4000' },
    out: { type: 'string', default: join(HERE, 'results', 'events.json') },
  },
});
const log = (...a) => console.error('[events]', ...a);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const RULESET = {
  flags: {
    exp: {
      variants: { control: 'a', treatment: 'b' },
      default_variant: 'control',
      split: [['control', 50], ['treatment', 50]],
      experiment: { control: 'control', metrics: ['purchase'] },
    },
    // Evaluate-all rows: each answer counts every flag's variant for usage.
    ...Object.fromEntries(Array.from({ length: 38 }, (_, i) => [`f${i}`, { percentage: 50 }])),
    plain: { variants: { control: 'a', treatment: 'b' }, default_variant: 'control', split: [['control', 50], ['treatment', 50]] },
  },
};

async function start(events, usage = true) {
  const { Miniflare, convertV4MiniflareOptions } = await import('miniflare');
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }, { hideWarnings: true });
  const dir = join(ROOT, 'worker', 'build');
  const modules = [
    { type: 'ESModule', path: join(dir, 'index.js') },
    { type: 'CompiledWasm', path: join(dir, 'index_bg.wasm') },
  ];
  const consumer = config.queues?.consumers?.[0];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      cf: false,
      compatibilityDate: config.compatibility_date,
      modules,
      modulesRoot: dir,
      kvNamespaces: (config.kv_namespaces ?? []).map((k) => k.binding),
      durableObjects: Object.fromEntries(
        (config.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
      ),
      queueProducers: Object.fromEntries((config.queues?.producers ?? []).map((p) => [p.binding, { queueName: p.queue }])),
      queueConsumers: consumer
        ? { [consumer.queue]: { maxBatchSize: consumer.max_batch_size, maxBatchTimeout: consumer.max_batch_timeout, maxRetries: consumer.max_retries } }
        : {},
      d1Databases: Object.fromEntries((config.d1_databases ?? []).map((d) => [d.binding, d.database_name])),
      bindings: { ...(config.vars ?? {}), ADMIN_TOKEN: ADMIN, REVALIDATE_SECONDS: '5', ...(events ? { UNIT_HASH_KEY: 'bench-unit-hash-key-0123456789' } : {}), ...(usage ? {} : { FLAG_USAGE: 'off' }) },
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const db = await mf.getD1Database('DB');
  const sql = readdirSync(join(ROOT, 'migrations'))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .flatMap((f) => readFileSync(join(ROOT, 'migrations', f), 'utf8').split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').split(';'))
    .map((s) => s.trim())
    .filter(Boolean);
  await db.batch(sql.map((s) => db.prepare(s)));
  const put = await fetch(`${url}/v1/ruleset`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(RULESET),
  });
  if (!put.ok) throw new Error(`PUT /v1/ruleset -> ${put.status} ${await put.text()}`);
  return { mf, url, db };
}

async function pool(n, concurrency, job) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function ingestion(total) {
  const w = await start(true);
  try {
    const batches = Math.ceil(total / 500);
    const t0 = performance.now();
    let statuses = {};
    await pool(batches, 8, async (b) => {
      const events = [];
      for (let i = b * 500; i < Math.min(total, (b + 1) * 500); i++) {
        events.push({ type: 'track', event: 'purchase', unit: `user:${i % 20000}`, id: `ev-${i}`, value: i % 100 });
      }
      const res = await fetch(`${w.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      await res.arrayBuffer();
    });
    const accepted = performance.now() - t0;
    let stored = 0;
    while (stored < total && performance.now() - t0 < 300_000) {
      stored = (await w.db.prepare('SELECT COUNT(*) AS n FROM tracks').first()).n;
      if (stored < total) await new Promise((r) => setTimeout(r, 100));
    }
    const inD1 = performance.now() - t0;
    return { events: total, batches, statuses, stored, acceptMs: accepted, acceptPerSec: total / (accepted / 1000), endToEndMs: inD1, endToEndPerSec: stored / (inD1 / 1000) };
  } finally {
    await w.mf.dispose();
  }
}

async function latency(w, key, n, offset) {
  const times = [];
  const t0 = performance.now();
  await pool(n, 4, async (i) => {
    const s = performance.now();
    const path = key === '' ? '/v1/flags' : `/v1/flags/${key}`;
    const res = await fetch(`${w.url}${path}?user_id=user:${offset + i}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${key}: ${res.status}`);
    times.push(performance.now() - s);
  });
  const wall = performance.now() - t0;
  times.sort((a, b) => a - b);
  return { rps: n / (wall / 1000), p50: pct(times, 50), p99: pct(times, 99) };
}

async function exposureCost(n) {
  const on = await start(true);
  const off = await start(false);
  const quiet = await start(true, false);
  try {
    const rows = [];
    // Warm both, then alternate rounds so drift hits both alike.
    await latency(on, 'exp', 500, 1e6);
    await latency(off, 'exp', 500, 1e6);
    await latency(quiet, '', 500, 1e6);
    const acc = { on: [], off: [], plain: [], allOn: [], allOff: [] };
    for (let round = 0; round < 3; round++) {
      acc.on.push(await latency(on, 'exp', n, round * n));
      acc.off.push(await latency(off, 'exp', n, round * n));
      acc.plain.push(await latency(on, 'plain', n, round * n));
      acc.allOn.push(await latency(on, '', n, round * n));
      acc.allOff.push(await latency(quiet, '', n, round * n));
    }
    const med = (xs, f) => xs.map(f).sort((a, b) => a - b)[1];
    for (const [name, xs] of [
      ['experiment flag, events on (exposure queued after the response)', acc.on],
      ['experiment flag, events off (no UNIT_HASH_KEY)', acc.off],
      ['non-experiment flag, events on (nothing to record)', acc.plain],
      ['every flag (GET /v1/flags, 40 flags), usage counted (FLAG_USAGE on, the default)', acc.allOn],
      ['every flag (GET /v1/flags, 40 flags), FLAG_USAGE off', acc.allOff],
    ]) {
      rows.push({ name, rps: med(xs, (x) => x.rps), p50: med(xs, (x) => x.p50), p99: med(xs, (x) => x.p99) });
    }
    let exposures = 0;
    for (let i = 0; i < 50 && exposures === 0; i++) {
      exposures = (await on.db.prepare('SELECT COUNT(*) AS n FROM exposures').first()).n;
      await new Promise((r) => setTimeout(r, 100));
    }
    let usageRows = 0;
    for (let i = 0; i < 50 && usageRows === 0; i++) {
      usageRows = (await on.db.prepare('SELECT COUNT(*) AS n FROM flag_usage').first()).n;
      await new Promise((r) => setTimeout(r, 100));
    }
    const quietRows = (await quiet.db.prepare('SELECT COUNT(*) AS n FROM flag_usage').first()).n;
    return { requests: n, rounds: 3, concurrency: 4, rows, exposuresStored: exposures, usageRows, quietUsageRows: quietRows };
  } finally {
    await on.mf.dispose();
    await off.mf.dispose();
    await quiet.mf.dispose();
  }
}

log(`ingestion: ${opt.events} events`);
const ingest = await ingestion(Number(opt.events));
log(`ingestion: ${ingest.acceptPerSec.toFixed(0)} events/s accepted, ${ingest.endToEndPerSec.toFixed(0)} events/s into D1`);
log(`exposure cost: ${opt.requests} requests x 3 rounds`);
const cost = await exposureCost(Number(opt.requests));
for (const r of cost.rows) log(`${r.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
mkdirSync(dirname(opt.out), { recursive: true });
const { execFileSync } = await import('node:child_process');
const os = await import('node:os');
let commit = '?';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
} catch {}
const run = { commit, at: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', loadavg: os.loadavg() };
writeFileSync(opt.out, JSON.stringify({ run, ingestion: ingest, exposure: cost }, null, 2));
