// Prepared contexts in a batch job: `flags.context(attrs)` for each of
// N users (default 800,000) in one synchronous loop, never freed, each
// evaluated once, as a job scoring every user would. Prints the time per
// call for each slice of 100,000 users and the wasm memory after it: both
// must stay flat (the package keeps prepared contexts in JS and lays the
// one in use out into a single wasm context; before, each made a wasm
// object released only when the event loop turned, and the loop slowed
// from ~1.8 to ~77 us per call).
//
//   node bench/contexts.mjs [--users 800000] [--slice 100000] [--pkg DIR] [--name NAME] [--out FILE]
//
// It loads the size build through the web glue so it can read the wasm
// memory the package uses (the speed build's glue is bundled in node.mjs).
// --pkg names another package directory (scripts/bench.sh passes the
// baseline's, so before and after are measured in the same run); --out
// adds this run's row to a results file (bench/results/contexts.json).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    users: { type: 'string', default: '800000' },
    slice: { type: 'string', default: '100000' },
    pkg: { type: 'string', default: new URL('../pkg', import.meta.url).pathname },
    name: { type: 'string', default: 'edgeflags' },
    out: { type: 'string' },
  },
});
const USERS = Number(opt.users);
const SLICE = Number(opt.slice);
const PKG = resolve(opt.pkg);

const glue = await import(pathToFileURL(`${PKG}/dist/glue/edgeflags.js`).href);
await glue.default({ module_or_path: readFileSync(`${PKG}/dist/edgeflags_bg.wasm`) });
const { Flags } = await import(pathToFileURL(`${PKG}/src/index.js`).href);

const flags = new Flags(readFileSync(new URL('../examples/ruleset.json', import.meta.url), 'utf8'));
const memory = () => glue.wasm_memory().buffer.byteLength;
console.log(`users ${USERS}, wasm memory at start ${(memory() / 1024).toFixed(0)} KB`);
console.log('users so far | us per context() + isEnabled() | wasm memory KB');
let on = 0;
const slices = [];
for (let start = 0; start < USERS; start += SLICE) {
  const t0 = performance.now();
  for (let i = start; i < start + SLICE; i++) {
    const ctx = flags.context({ user_id: `user-${i}`, plan: i % 3 ? 'free' : 'pro', country: 'US' });
    if (flags.isEnabled('new_checkout', ctx)) on++;
  }
  const us = ((performance.now() - t0) * 1000) / SLICE;
  slices.push({ users: start + SLICE, usPerCall: us, wasmKB: memory() / 1024 });
  console.log(`${String(start + SLICE).padStart(12)} | ${us.toFixed(2).padStart(30)} | ${(memory() / 1024).toFixed(0).padStart(14)}`);
}
console.log(`(${on} enabled)`);
if (opt.out) {
  const prev = existsSync(opt.out) ? JSON.parse(readFileSync(opt.out, 'utf8')) : { rows: [] };
  prev.rows = prev.rows.filter((r) => r.name !== opt.name).concat([{ name: opt.name, users: USERS, slice: SLICE, slices }]);
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, JSON.stringify(prev, null, 2));
}
