// The hand-written types (pkg/index.d.ts, and dist/index.d.cts for
// require) checked by the TypeScript compiler: tsc --noEmit, strict, on
// types/usage.ts and types/usage-cjs.cts, which use every export as the
// README does and assert with @ts-expect-error what must not compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

test('tsc --noEmit --strict accepts the documented usage and rejects the wrong one', () => {
  const run = spawnSync(process.execPath, [`${HERE}node_modules/typescript/bin/tsc`, '-p', `${HERE}types/tsconfig.json`], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});

test('the declarations say no any', async () => {
  const { readFileSync } = await import('node:fs');
  const dts = readFileSync(`${HERE}../../pkg/index.d.ts`, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
  assert.doesNotMatch(dts, /\bany\b/);
  assert.doesNotMatch(dts, /JsValue/);
});
