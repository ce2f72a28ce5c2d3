// How a 10,000-flag ruleset (the benchmark mix) best reaches the core, per
// wasm build: as JSON text read by serde_json in wasm (`Engine.load_text`,
// the speed build only) or as a JS object deserialized by
// serde-wasm-bindgen (`Engine.load`). Prints the median of warm loads, ms,
// and the whole `new Flags(...)` from text and from an object. The package
// uses the faster path for objects in each build (pkg/src/flags.js
// textLoads).
//
//   node bench/load-paths.mjs [--flags 10000] [--runs 9]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { logicalFlags } from './lib/model.mjs';
import { toEdgeflags } from './lib/translate.mjs';

const { values: opt } = parseArgs({ options: { flags: { type: 'string', default: '10000' }, runs: { type: 'string', default: '9' } } });
const doc = toEdgeflags(logicalFlags(Number(opt.flags)));
const text = JSON.stringify(doc);
const RUNS = Number(opt.runs);

function median(fn) {
  fn();
  fn();
  const t = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[RUNS >> 1].toFixed(1);
}

for (const [name, file] of [
  ['size build (edgeflags_bg.wasm)', 'edgeflags_bg.wasm'],
  ['speed build (edgeflags_server.wasm)', 'edgeflags_server.wasm'],
]) {
  // A fresh glue instance per build (a query string makes a new module).
  const glue = await import(`../pkg/dist/glue/edgeflags.js?${file}`);
  await glue.default({ module_or_path: readFileSync(new URL(`../pkg/dist/${file}`, import.meta.url)) });
  const e = new glue.Engine();
  const row = { build: name };
  row['object (serde-wasm-bindgen)'] = median(() => e.load(doc));
  row['object via JSON.parse(text)'] = median(() => e.load(JSON.parse(text)));
  if (glue.reads_json_text()) {
    row['text (serde_json)'] = median(() => e.load_text(text));
    row['object via JSON.stringify + text'] = median(() => e.load_text(JSON.stringify(doc)));
  }
  e.free();
  console.log(JSON.stringify(row));
}
