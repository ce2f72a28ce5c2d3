// The shared bucketing vectors in Node, through vectors-body.js (the same
// body the browser and workerd tests run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as api from '../../pkg/dist/node.mjs';
import { checkVectors } from './vectors-body.js';

const ROOT = new URL('../../', import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL('tests/vectors/bucketing.json', ROOT), 'utf8'));

test('every shared vector: bucket bit for bit, rollout and split through flags', () => {
  assert.ok(cases.length >= 100, `expected the full vector set, got ${cases.length}`);
  const { count, failures } = checkVectors(api, cases);
  assert.equal(count, cases.length);
  assert.deepEqual(failures, []);
});
