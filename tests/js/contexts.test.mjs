// Prepared contexts do not degrade: a batch job preparing a context per
// user in one synchronous loop, never freeing them, runs at constant speed
// in bounded wasm memory (prepared contexts live in JS; the engine lays the
// one in use out into a single wasm context). bench/contexts.mjs is the
// benchmark of the same loop. The size build is loaded through the web glue
// here so the test can read the wasm memory the package uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const glue = await import('../../pkg/dist/glue/edgeflags.js');
await glue.default({ module_or_path: readFileSync(new URL('../../pkg/dist/edgeflags_bg.wasm', import.meta.url)) });
const { Flags } = await import('../../pkg/src/index.js');
const memory = () => glue.wasm_memory().buffer.byteLength;

test('contexts prepared in one synchronous loop keep wasm memory and speed flat', () => {
  const flags = new Flags(readFileSync(new URL('../../examples/ruleset.json', import.meta.url), 'utf8'));
  const run = (from, n) => {
    const t0 = performance.now();
    for (let i = from; i < from + n; i++) {
      const ctx = flags.context({ user_id: `user-${i}`, plan: i % 3 ? 'free' : 'pro', email: `u${i}@x.org` });
      flags.isEnabled('new_checkout', ctx);
      flags.evaluate('checkout_experiment', ctx);
    }
    return performance.now() - t0;
  };
  run(0, 20_000); // warm-up
  const before = memory();
  const first = run(20_000, 50_000);
  for (let k = 0; k < 4; k++) run(70_000 + k * 50_000, 50_000);
  const last = run(270_000, 50_000);
  // 300,000 contexts made and dropped: wasm memory did not move.
  assert.equal(memory(), before, `wasm memory grew from ${before} to ${memory()} bytes`);
  // Constant speed (generous for a shared machine: the old way slowed 40x).
  assert.ok(last < first * 3, `the last 50,000 took ${last.toFixed(0)} ms, the first ${first.toFixed(0)} ms`);
  flags.free();
});

test('switching between prepared contexts gives each its own results', () => {
  const flags = new Flags({ flags: { paid: { rules: [{ conditions: [{ attribute: 'plan', op: 'eq', value: 'pro' }], variant: 'on' }] } } });
  const pro = flags.context({ plan: 'pro' });
  const free = flags.context({ plan: 'free' });
  for (let i = 0; i < 3; i++) {
    assert.equal(flags.isEnabled('paid', pro), true);
    assert.equal(flags.isEnabled('paid', free), false);
    assert.equal(flags.isEnabled('paid', { plan: 'pro' }), true);
    // Past the memo: the detail path lays the context out again.
    flags.override('other', 1);
    assert.equal(flags.evaluate('paid', free).value, false);
    assert.equal(flags.evaluate('paid', pro).value, true);
    flags.reset();
  }
  flags.free();
});
