// Load test of the Workers: the built Rust Worker and the plain JS
// GrowthBook Worker, each served by Miniflare on 127.0.0.1 and loaded by a
// separate load-generator process for a fixed time, at 2 and 16
// connections, on evaluate-one (the rule flag) and evaluate-all. Before
// loading, both Workers' answers are checked against the logical ruleset
// over HTTP. A floor Worker (a fixed answer, bench/worker/floor-worker.mjs)
// is loaded on the evaluate-all path too: the most any Worker can serve here.
//
//   node worker-bench.mjs [--seconds 8] [--out results/worker.json]

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { firstOfKind, logicalFlags, makeUsers, ruleMatches } from './lib/model.mjs';
import { edgeflagsWorkerMain, startEdgeflags, startFloor, startGrowthBook } from './worker/serve.mjs';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '2,16' },
    out: { type: 'string', default: 'results/worker.json' },
  },
});
const HERE = dirname(fileURLToPath(import.meta.url));
const log = (...a) => console.error('[worker]', ...a);
const flags = logicalFlags(50);
const ruleKey = firstOfKind(flags).rule;

const servers = [];
const excluded = [];
try {
  servers.push({ name: 'GrowthBook JS Worker', ...(await startGrowthBook(flags)) });
} catch (err) {
  excluded.push({ name: 'GrowthBook JS Worker', why: err.message });
}
if (edgeflagsWorkerMain()) {
  try {
    servers.unshift({ name: 'edgeflags Rust Worker', ...(await startEdgeflags(flags)) });
  } catch (err) {
    excluded.push({ name: 'edgeflags Rust Worker', why: err.message });
    log('edgeflags Worker:', err.message);
  }
} else excluded.push({ name: 'edgeflags Rust Worker', why: 'not built (scripts/build-worker.sh)' });
const FLOOR = 'floor: fixed-answer JS Worker';
try {
  servers.push({ name: FLOOR, floor: true, ...(await startFloor()) });
} catch (err) {
  excluded.push({ name: FLOOR, why: err.message });
}

/** Flag values from an evaluate-all body, whichever of the usual shapes it has. */
function valuesOf(body) {
  const map = body.flags ?? body.results ?? body;
  const out = {};
  if (Array.isArray(map)) for (const e of map) out[e.key ?? e.flag] = e.value;
  else for (const [k, e] of Object.entries(map)) out[k] = e && typeof e === 'object' && 'value' in e ? e.value : e;
  return out;
}

async function check(s) {
  const problems = [];
  const qs = (u) => `user_id=${encodeURIComponent(u.id)}&plan=${u.plan}&country=${u.country}&email=${encodeURIComponent(u.email)}`;
  for (const u of makeUsers(300, 5)) {
    const res = await fetch(`${s.url}/v1/flags?${qs(u)}`);
    if (!res.ok) {
      problems.push(`GET /v1/flags -> ${res.status}`);
      break;
    }
    const vals = valuesOf(await res.json());
    for (const f of flags) {
      const want = f.kind === 'bool' ? f.value : f.kind === 'rule' ? ruleMatches(u) : undefined;
      if (want !== undefined && vals[f.key] !== want) problems.push(`${f.key} for ${u.id}: ${JSON.stringify(vals[f.key])}, expected ${want}`);
      if (f.kind === 'split' && !['control', 'treatment_a', 'treatment_b'].includes(vals[f.key])) problems.push(`${f.key}: ${vals[f.key]}`);
    }
    const one = await fetch(`${s.url}/v1/flags/${ruleKey}?${qs(u)}`);
    const body = one.ok ? await one.json() : null;
    const v = body?.value ?? body?.flags?.[ruleKey]?.value;
    if (v !== ruleMatches(u)) problems.push(`GET /v1/flags/${ruleKey} for ${u.id}: ${one.status} ${JSON.stringify(body)}`);
    if (problems.length) break;
  }
  return problems;
}

function load(base, path, connections, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(HERE, 'worker', 'load.mjs'), JSON.stringify({ base, path, connections, seconds })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.on('exit', (code) => {
      clearTimeout(kill);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()));
      else reject(new Error(`load.mjs exited ${code}`));
    });
  });
}

const results = [];
try {
  const ready = [];
  for (const s of servers) {
    if (s.floor) {
      ready.push(s); // answers no flags: nothing to check
      continue;
    }
    const problems = await check(s);
    if (problems.length) {
      excluded.push({ name: s.name, why: `failed the equivalence check: ${problems.slice(0, 3).join('; ')}` });
      log(`${s.name}: FAILED the check`, problems.slice(0, 5));
    } else {
      log(`${s.name}: check passed (${s.url})`);
      ready.push(s);
    }
  }
  const seconds = Number(opt.seconds);
  const endpoints = [
    { id: 'one', label: `evaluate one (${ruleKey})`, path: `/v1/flags/${ruleKey}` },
    { id: 'all', label: 'evaluate all 50', path: '/v1/flags' },
  ];
  for (const s of ready) await load(s.url, endpoints[1].path, 4, 2); // warm-up: JIT, isolate, ruleset compiled
  for (const connections of opt.connections.split(',').map(Number)) {
    for (const ep of endpoints) {
      for (const s of ready) {
        if (s.floor && ep.id !== 'all') continue;
        const r = await load(s.url, ep.path, connections, seconds);
        results.push({ worker: s.name, floor: Boolean(s.floor), endpoint: ep.id, label: ep.label, connections, seconds, ...r });
        log(`${s.name.padEnd(22)} ${ep.id} c=${connections}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors + r.non2xx} (${r.tool})`);
      }
    }
  }
} finally {
  for (const s of servers) await s.mf.dispose().catch(() => {});
}
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ when: new Date().toISOString(), workers: servers.map((s) => s.name), excluded, results }, null, 2));
log(`wrote ${opt.out}`);
process.exit(0);
