// One (engine, size) of the scale test, in a process of its own (run with
// --expose-gc by scale.mjs). Prints one JSON line.
//
// Memory: heap + external (which includes wasm memory and ArrayBuffers)
// after a full GC, minus the same figure before the load, with the engine's
// module already imported and warmed on a one-flag ruleset so its code and
// wasm instance are not counted. Wasm memory never shrinks, so the load
// measured for memory is the first one after the warm-up.

import { docText } from './docs.mjs';
import { PEERS, edgeflags } from './engines.mjs';
import { logicalFlags, makeUsers } from './model.mjs';
import { prepare, summary } from './timing.mjs';

const [name, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const engine = name === 'edgeflags' ? edgeflags() : name === 'edgeflags before' ? edgeflags({ before: true }) : PEERS.find((p) => p.name === name);
if (!engine) throw new Error(`unknown engine ${name}`);

const mem = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

try {
  // Warm-up: import, instantiate, JIT the loader on a tiny ruleset.
  const tiny = logicalFlags(5);
  for (let i = 0; i < 3; i++) (await engine.load(docText(engine, tiny), tiny)).close?.();

  const flags = logicalFlags(size);
  const text = docText(engine, flags);
  const before = mem();
  const t0 = performance.now();
  let inst = await engine.load(text, flags);
  const first = performance.now() - t0;
  const memoryBytes = mem() - before;

  const loads = [first];
  const repeats = size >= 10_000 ? 3 : 5;
  for (let i = 1; i < repeats; i++) {
    await inst.close?.();
    const t = performance.now();
    inst = await engine.load(text, flags);
    loads.push(performance.now() - t);
  }

  // A fresh context per call, cycling through distinct users, so no engine
  // serves evaluate-all from a memo of the previous call.
  const users = makeUsers(10_000);
  const w = await prepare((i) => inst.all(inst.ctx(users[i % users.length])), !!inst.async, { warmMs: 300, runMs: 300 });
  const ns = [];
  for (let i = 0; i < 3; i++) ns.push(await w.run());
  const perOp = summary(ns);
  await inst.close?.();
  process.stdout.write(
    JSON.stringify({
      engine: engine.name,
      size,
      textBytes: Buffer.byteLength(text),
      loadMs: summary(loads),
      memoryBytes,
      nsPerAll: perOp,
      nsPerFlag: { median: perOp.median / size, min: perOp.min / size, max: perOp.max / size },
    }) + '\n',
  );
  process.exit(0);
} catch (err) {
  process.stdout.write(JSON.stringify({ engine: engine.name, size, error: String(err?.message ?? err) }) + '\n');
  process.exit(0);
}
