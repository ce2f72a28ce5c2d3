// The sync client (syncFlags) against a small HTTP server on 127.0.0.1 that
// serves a ruleset as the Worker's GET /v1/ruleset does: a strong ETag equal
// to the version ("3"), and 304 Not Modified when If-None-Match carries it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { syncFlags, Flags, EdgeflagsError } from '../../pkg/dist/node.mjs';

const rulesetV = (version, on) => ({ version, flags: { banner: on, rollout: { percentage: version * 10 } } });

// The server's state: what it serves, and what it saw.
const state = { body: JSON.stringify(rulesetV(1, false)), etag: '"1"', status: 200, requests: [] };
let server;
let url;

before(async () => {
  server = http.createServer((req, res) => {
    state.requests.push({ url: req.url, ifNoneMatch: req.headers['if-none-match'] ?? null });
    if (req.url !== '/v1/ruleset') {
      res.writeHead(404).end();
    } else if (state.status !== 200) {
      res.writeHead(state.status).end('boom');
    } else if (req.headers['if-none-match'] === state.etag) {
      res.writeHead(304, { etag: state.etag }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json', etag: state.etag }).end(state.body);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/v1/ruleset`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function serve(ruleset) {
  state.body = typeof ruleset === 'string' ? ruleset : JSON.stringify(ruleset);
  state.etag = `"${typeof ruleset === 'string' ? 'x' : ruleset.version}"`;
  state.status = 200;
}

async function until(cond, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('syncFlags', () => {
  it('loads, polls with If-None-Match, and takes 304 as unchanged', async () => {
    serve(rulesetV(1, false));
    state.requests = [];
    const changes = [];
    const sync = await syncFlags(url, { interval: 0, onChange: (f, c) => changes.push(c) });
    assert.equal(sync.flags.version, 1);
    assert.equal(sync.etag, '"1"');
    assert.equal(sync.flags.isEnabled('banner'), false);
    assert.deepEqual(changes, [{ version: 1, previousVersion: null, etag: '"1"' }]);
    assert.equal(await sync.refresh(), false);
    assert.equal(await sync.refresh(), false);
    assert.deepEqual(state.requests.map((r) => r.ifNoneMatch), [null, '"1"', '"1"']);
    assert.equal(changes.length, 1);

    serve(rulesetV(2, true));
    assert.equal(await sync.refresh(), true);
    assert.equal(sync.flags.version, 2);
    assert.equal(sync.flags.isEnabled('banner'), true);
    assert.deepEqual(changes[1], { version: 2, previousVersion: 1, etag: '"2"' });
    assert.equal(state.requests.at(-1).ifNoneMatch, '"1"');
    assert.equal(await sync.refresh(), false);
    assert.equal(state.requests.at(-1).ifNoneMatch, '"2"');
    sync.stop();
  });

  it('keeps the last good ruleset when the server fails or serves an invalid one', async () => {
    serve(rulesetV(2, true));
    const errors = [];
    const sync = await syncFlags(url, { interval: 0, onError: (e) => errors.push(e) });
    serve('{"version": 3, "flags": {"banner": {"percentage": 300}}}');
    assert.equal(await sync.refresh(), false);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof EdgeflagsError);
    assert.equal(errors[0].code, 'INVALID_RULESET');
    assert.equal(sync.flags.version, 2);
    assert.equal(sync.flags.isEnabled('banner'), true);

    state.status = 500;
    assert.equal(await sync.refresh(), false);
    assert.equal(errors[1].code, 'SYNC_FAILED');
    assert.match(errors[1].message, /500/);
    assert.equal(sync.lastError, errors[1]);
    assert.equal(sync.flags.version, 2);

    serve(rulesetV(4, false));
    assert.equal(await sync.refresh(), true);
    assert.equal(sync.lastError, null);
    assert.equal(sync.flags.version, 4);
    sync.stop();
  });

  it('polls on its interval until stop()', async () => {
    serve(rulesetV(5, false));
    const changes = [];
    const sync = await syncFlags(url, { interval: 30, onChange: (f, c) => changes.push(c.version) });
    serve(rulesetV(6, true));
    await until(() => changes.includes(6));
    assert.equal(sync.flags.isEnabled('banner'), true);
    sync.stop();
    await new Promise((r) => setTimeout(r, 60));
    const seen = state.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(state.requests.length, seen, 'no request after stop()');
  });

  it('fails the first load clearly, unless it starts from a given ruleset', async () => {
    state.status = 503;
    await assert.rejects(syncFlags(url, { interval: 0 }), (e) => e instanceof EdgeflagsError && e.code === 'SYNC_FAILED');
    await assert.rejects(syncFlags(`http://127.0.0.1:1/v1/ruleset`, { interval: 0 }), { code: 'SYNC_FAILED' });
    const errors = [];
    const sync = await syncFlags(url, { interval: 0, ruleset: rulesetV(1, true), onError: (e) => errors.push(e.code) });
    assert.equal(sync.flags.version, 1);
    assert.equal(sync.flags.isEnabled('banner'), true);
    assert.deepEqual(errors, ['SYNC_FAILED']);
    serve(rulesetV(7, false));
    assert.equal(await sync.refresh(), true);
    assert.equal(sync.flags.version, 7);
    sync.stop();
  });

  it('keeps a given Flags instance in sync, overrides included', async () => {
    serve(rulesetV(8, false));
    const flags = new Flags(rulesetV(1, false));
    flags.enable('rollout');
    const sync = await syncFlags(url, { interval: 0, flags });
    assert.equal(sync.flags, flags);
    assert.equal(flags.version, 8);
    assert.equal(flags.evaluate('rollout', { user_id: 'u' }).reason, 'OVERRIDE');
    sync.stop();
    flags.free();
  });

  it('validates its arguments', async () => {
    await assert.rejects(syncFlags(42), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(syncFlags(url, { interval: -1 }), { code: 'INVALID_ARGUMENT' });
  });
});
