// Cost of the Worker's entry, build against build: each build directory
// (index.js + index_bg.wasm, as scripts/build-worker.sh writes them) is
// served by Miniflare (workerd) on 127.0.0.1, seeded with the bench's
// 50-flag ruleset through PUT /v1/ruleset, and loaded for a fixed time on
// evaluate-all (GET /v1/flags?user_id=..&plan=..&country=..&email=.., the
// next of 1,000 users each time) by the bench's load generator
// (worker/load.mjs: wrk when installed, else autocannon) in its own
// process. Reported per build: requests per second and
// workerd's CPU time per request (user + system, from /proc; steadier than
// req/s on a shared machine). Builds are interleaved round by round, a fresh
// workerd each time, and the medians printed.
//
//   node bench/worker/entry-cost.mjs [--seconds 5] [--rounds 3] [--connections 2] NAME=DIR ...

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { docText } from '../lib/docs.mjs';
import { edgeflags } from '../lib/engines.mjs';
import { logicalFlags } from '../lib/model.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '2' },
  },
});
const builds = positionals.map((p) => {
  const [name, dir] = p.includes('=') ? p.split('=') : [p, p];
  return { name, dir: resolve(dir) };
});
if (!builds.length) throw new Error('usage: entry-cost.mjs NAME=BUILD_DIR ...');
const TOKEN = 'entry-cost-token';
const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s.

/** workerd processes that are children of this process. */
function workerdPids() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm.startsWith('workerd') && ppid === process.pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function start(dir) {
  const { Miniflare, convertV4MiniflareOptions } = await import('miniflare');
  const before = new Set(workerdPids());
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      cf: false,
      compatibilityDate: '2025-09-01',
      modulesRoot: dir,
      modules: [
        { type: 'ESModule', path: join(dir, 'index.js') },
        { type: 'CompiledWasm', path: join(dir, 'index_bg.wasm') },
      ],
      kvNamespaces: ['FLAGS'],
      // Builds since issue 10 write through their control object (a Durable Object).
      ...(/\bas Control\b/.test(readFileSync(join(dir, 'index.js'), 'utf8'))
        ? { durableObjects: { CONTROL: { className: 'Control', useSQLite: true } } }
        : {}),
      bindings: { ADMIN_TOKEN: TOKEN, REVALIDATE_SECONDS: '5', ALLOWED_ORIGINS: '*' },
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const pid = workerdPids().find((p) => !before.has(p));
  if (!pid) throw new Error('could not find the workerd process');
  const res = await fetch(`${url}/v1/ruleset`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: docText(edgeflags(), logicalFlags(50)),
  });
  if (!res.ok) throw new Error(`PUT /v1/ruleset: ${res.status} ${await res.text()}`);
  return { mf, url, pid };
}

/** The bench's load generator (worker/load.mjs: wrk when installed, else
 * autocannon) in its own process; returns its result line. */
function load(url, connections, seconds) {
  const args = [join(HERE, 'load.mjs'), JSON.stringify({ base: url, path: '/v1/flags', connections, seconds })];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`load.mjs failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  if (out.errors || out.non2xx) throw new Error(`${out.errors + out.non2xx} failed requests`);
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = Number(opt.seconds);
const connections = Number(opt.connections);
const rows = Object.fromEntries(builds.map((b) => [b.name, []]));
for (let round = 0; round < Number(opt.rounds); round++) {
  for (const b of builds) {
    const w = await start(b.dir);
    try {
      load(w.url, connections, 1); // warm-up: JIT, the ruleset compiled
      const t0 = cpuTicks(w.pid);
      const r = load(w.url, connections, seconds);
      const cpu = (cpuTicks(w.pid) - t0) / TICK;
      const row = { rps: r.rps, cpuUs: (cpu / r.requests) * 1e6, tool: r.tool };
      rows[b.name].push(row);
      console.error(`round ${round + 1} ${b.name}: ${row.rps.toFixed(0)} req/s, ${row.cpuUs.toFixed(0)} µs workerd CPU/req (${row.tool})`);
    } finally {
      await w.mf.dispose();
    }
  }
}
console.log(`evaluate-all, ${connections} connections, ${seconds} s x ${opt.rounds} rounds (medians):`);
for (const b of builds) {
  const r = rows[b.name];
  console.log(`${b.name}: ${median(r.map((x) => x.rps)).toFixed(0)} req/s, ${median(r.map((x) => x.cpuUs)).toFixed(0)} µs workerd CPU/req`);
}
process.exit(0);
