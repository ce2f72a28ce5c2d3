// The API suite (api-cases.cjs) over the CommonJS Node build, dist/node.cjs.
'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const api = require('../../pkg/dist/node.cjs');

require('./api-cases.cjs')(api, { describe, it, assert });

describe('CommonJS build', () => {
  it('is a real CommonJS module with every export', () => {
    for (const name of ['Flags', 'PreparedContext', 'EdgeflagsError', 'bucket', 'syncFlags']) {
      assert.equal(typeof api[name], 'function', name);
    }
  });
});
