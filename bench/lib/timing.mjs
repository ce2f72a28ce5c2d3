// Timing loops. Each (engine, scenario) gets its own loop function, compiled
// from source, so V8's feedback at its call site stays monomorphic and one
// engine's calls do not slow down the next engine's loop.

const SYNC = `return function loop(fn, n) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn(i)) sink++;
  return [Number(process.hrtime.bigint() - t0), sink];
}`;
const ASYNC = `return async function loop(fn, n) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (await fn(i)) sink++;
  return [Number(process.hrtime.bigint() - t0), sink];
}`;

/** A fresh loop: `loop(fn, n)` -> `[elapsedNs, truthyCount]` (a promise when async). */
export function newLoop(isAsync) {
  return new Function(isAsync ? ASYNC : SYNC)();
}

/**
 * A timed workload: warms up for about `warmMs`, then picks the iteration
 * count that takes about `runMs`. `run()` then times one run and returns ns
 * per operation.
 */
export async function prepare(fn, isAsync, { warmMs = 300, runMs = 250 } = {}) {
  const loop = newLoop(isAsync);
  let n = 16;
  let ns = 0;
  const t0 = performance.now();
  for (;;) {
    [ns] = await loop(fn, n);
    if (performance.now() - t0 >= warmMs && ns >= 20e6) break;
    if (ns < 50e6) n *= 2;
  }
  const iterations = Math.max(1, Math.round((n * runMs * 1e6) / ns));
  return {
    iterations,
    async run() {
      const [elapsed] = await loop(fn, iterations);
      return elapsed / iterations;
    },
  };
}

/** Median, min and max of numbers. */
export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: xs };
}
