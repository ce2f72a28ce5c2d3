// Reads criterion's estimates for benches/core.rs into results/native.json.
//
//   node native.mjs [--target ../target] [--out results/native.json]

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    target: { type: 'string', default: process.env.CARGO_TARGET_DIR ?? resolve(HERE, '..', 'target') },
    out: { type: 'string', default: join(HERE, 'results', 'native.json') },
  },
});
// The ids benches/core.rs registers, in the order to show them.
const IDS = ['bucket', 'one_flag/rollout', 'one_flag/rule', 'one_flag/split', 'all_flags/resolve', 'all_flags/evaluate_all', 'load/50_flags', 'load/10000_flags'];

const rows = [];
for (const id of IDS) {
  // Criterion's directory: the id with '/' made '_' for a plain bench_function,
  // group/function for a benchmark group.
  const candidates = [id.replaceAll('/', '_'), join(...id.split('/'))].map((d) => join(opt.target, 'criterion', d, 'new', 'estimates.json'));
  const p = candidates.find((f) => existsSync(f));
  if (!p) {
    console.error(`[native] no criterion estimates for ${id}`);
    continue;
  }
  const e = JSON.parse(readFileSync(p, 'utf8')).median;
  rows.push({ id, median: e.point_estimate, low: e.confidence_interval.lower_bound, high: e.confidence_interval.upper_bound });
}
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ rows }, null, 2));
console.error(`[native] ${rows.length} benches -> ${opt.out}`);
