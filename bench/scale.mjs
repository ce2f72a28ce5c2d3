// Scale: for rulesets of 10, 1,000 and 10,000 flags (the 50-flag mix in the
// same proportions), each engine's load time (JSON text to an evaluator
// ready to answer), the memory it holds after loading, and evaluate-all
// time per flag. Each (engine, size) runs in its own Node process with
// --expose-gc so memory figures do not mix.
//
//   node scale.mjs [--sizes 10,1000,10000] [--only name,..] [--out results/scale.json]

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { BEFORE, PEERS, edgeflagsAvailable } from './lib/engines.mjs';

const { values: opt } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,1000,10000' },
    only: { type: 'string' },
    out: { type: 'string', default: 'results/scale.json' },
  },
});
const HERE = dirname(fileURLToPath(import.meta.url));
const log = (...a) => console.error('[scale]', ...a);

let names = PEERS.map((p) => p.name);
if (await edgeflagsAvailable()) names = ['edgeflags', ...((await edgeflagsAvailable(BEFORE)) ? ['edgeflags before'] : []), ...names];
if (opt.only) {
  const want = opt.only.split(',').map((s) => s.trim().toLowerCase());
  names = names.filter((n) => want.some((w) => n.toLowerCase().startsWith(w)));
}
const sizes = opt.sizes.split(',').map(Number);

const rows = [];
for (const size of sizes) {
  for (const name of names) {
    const r = spawnSync(process.execPath, ['--expose-gc', join(HERE, 'lib', 'scale-child.mjs'), name, String(size)], {
      encoding: 'utf8',
      timeout: 180_000,
      env: process.env,
    });
    const line = (r.stdout ?? '').trim().split('\n').pop();
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      row = { engine: name, size, error: `child failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
    }
    rows.push(row);
    if (row.error) log(`${name} ${size}: ${row.error}`);
    else
      log(
        `${name.padEnd(14)} ${String(size).padStart(6)} flags: load ${row.loadMs.median.toFixed(2)} ms, ` +
          `memory ${(row.memoryBytes / 1024).toFixed(0)} KB, all ${row.nsPerFlag.median.toFixed(0)} ns/flag`,
      );
  }
}
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ when: new Date().toISOString(), sizes, rows }, null, 2));
log(`wrote ${opt.out}`);
