// The evaluation vectors in Node through eval-vectors-body.js (the body the
// browser and workerd tests run too), with both wasm builds: the speed
// build (edgeflags_server.wasm, through dist/node.mjs) and the size build
// the browsers get (edgeflags_bg.wasm, loaded here through the web glue's
// init with its bytes, under the package's own JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as server from '../../pkg/dist/node.mjs';
import { checkEvalVectors } from './eval-vectors-body.js';
import { evalVectorFiles } from './eval-vectors-files.mjs';

const files = evalVectorFiles();
const cases = files.reduce((n, f) => n + f.doc.cases.length, 0);

test('evaluation vectors, speed build (edgeflags_server.wasm)', () => {
  const { count, failures } = checkEvalVectors(server, files);
  assert.equal(count, cases);
  assert.deepEqual(failures, []);
});

test('evaluation vectors, size build (edgeflags_bg.wasm) in Node', async () => {
  const glue = await import('../../pkg/dist/glue/edgeflags.js');
  await glue.default({ module_or_path: readFileSync(new URL('../../pkg/dist/edgeflags_bg.wasm', import.meta.url)) });
  assert.equal(glue.reads_json_text(), false, 'the size build reads no JSON text');
  const size = await import('../../pkg/src/index.js');
  const { count, failures } = checkEvalVectors(size, files);
  assert.equal(count, cases);
  assert.deepEqual(failures, []);
});
