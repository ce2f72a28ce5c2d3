// The boundary's version check (pkg/src/abi.js): the built wasm speaks the
// version the JS expects, and a wasm from another build is refused with a
// real EdgeflagsError (ABI_MISMATCH) before anything is evaluated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { ABI_VERSION, checkAbi } from '../../pkg/src/abi.js';
import { EdgeflagsError } from '../../pkg/src/errors.js';
import { abi_version, initSync } from '../../pkg/dist/glue/edgeflags.js';

test('the built wasm speaks the JS side ABI version', () => {
  initSync({ module: readFileSync(new URL('../../pkg/dist/edgeflags_bg.wasm', import.meta.url)) });
  assert.equal(abi_version(), ABI_VERSION);
  assert.doesNotThrow(() => checkAbi(abi_version()));
});

test('a wasm of another ABI version is refused with ABI_MISMATCH', () => {
  for (const other of [ABI_VERSION + 1, ABI_VERSION - 1, 0]) {
    assert.throws(
      () => checkAbi(other),
      (e) => e instanceof EdgeflagsError && e instanceof Error && e.code === 'ABI_MISMATCH' && e.message.includes(String(other)),
    );
  }
});
