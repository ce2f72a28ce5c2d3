// Experiment events from a page in headless Chromium (Debian's, through
// playwright-core; nothing is downloaded): a plain module page importing
// dist/web.js records an exposure and a track, and counts its answers
// (flag usage); when the page goes hidden (and on pagehide) they reach the
// stand-in for POST /v1/events
// (events-server.mjs, which also serves the page) by navigator.sendBeacon,
// as text/plain with the key in the body. flush() sends by fetch with the
// key as a Bearer header. A page without options.events never fetches
// dist/sender.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { eventsServer } from './events-server.mjs';
import { RULESET } from './events-ruleset.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'pkg/dist/');
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

// `events`: the options.events the page passes (its url made absolute).
function page(events) {
  return `<!doctype html><meta charset="utf-8"><title>events</title>
<script type="module">
  import { Flags } from '/pkg/dist/web.js';
  const events = ${JSON.stringify(events)};
  if (events) events.url = location.origin + '/v1/events';
  const flags = new Flags(${JSON.stringify(RULESET)}, events ? { events } : undefined);
  window.flags = flags;
  window.__result = { variant: flags.variant('exp', { user_id: 'b1' }), on: flags.isEnabled('plain', { user_id: 'b1' }) };
</script>`;
}

const PAGES = {
  '/events.html': page({ key: 'beacon-key', flushAt: 100, flushIntervalMs: 600000 }),
  '/plain.html': page(null),
};

let srv;
let browser;

before(async () => {
  srv = await eventsServer((path) => {
    if (PAGES[path] !== undefined) return { type: 'text/html', body: PAGES[path] };
    if (path === '/favicon.ico') return { type: 'image/x-icon', body: '' };
    if (path.startsWith('/pkg/dist/')) {
      const file = normalize(join(DIST, path.slice('/pkg/dist/'.length)));
      if (file.startsWith(DIST) && existsSync(file) && statSync(file).isFile()) return { type: TYPES[extname(file)] || 'application/octet-stream', body: readFileSync(file) };
    }
    return null;
  });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.close();
});

async function open(path) {
  const context = await browser.newContext();
  const p = await context.newPage();
  const requests = [];
  const errors = [];
  p.on('request', (r) => requests.push(new URL(r.url()).pathname));
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(srv.origin + path, { timeout: 30_000 });
  await p.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 }).catch(() => {
    throw new Error(`no result from ${path}: ${errors.join('; ')}`);
  });
  return { context, page: p, requests, errors };
}

function hide() {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

test('a hidden page sends its exposure, track and usage counts by sendBeacon (text/plain, key in the body)', async () => {
  srv.reset();
  const { context, page: p, requests, errors } = await open('/events.html');
  try {
    const { variant, on } = await p.evaluate(() => window.__result);
    assert.ok(variant === 'control' || variant === 'a', variant);
    // The sender arrives by itself (a dynamic import of dist/sender.js).
    await p.waitForFunction(() => window.flags.events.to !== null, null, { timeout: 30_000 });
    assert.ok(requests.includes('/pkg/dist/sender.js'), requests.join(' '));
    await p.evaluate(() => window.flags.track('purchase', { user_id: 'b1' }, 12.5));
    assert.equal(srv.requests.length, 0, 'below flushAt, before the interval: nothing sent');
    await p.evaluate(hide);
    await srv.waitFor(1);
    const beacon = srv.requests[0];
    assert.equal(beacon.method, 'POST');
    assert.match(beacon.headers['content-type'], /^text\/plain/);
    assert.equal(beacon.headers.authorization, undefined);
    assert.equal(beacon.body.key, 'beacon-key');
    const [exposure, track, usage] = beacon.body.events;
    assert.equal(beacon.body.events.length, 3);
    assert.deepEqual([exposure.type, exposure.flag, exposure.variant, exposure.unit, exposure.version], ['exposure', 'exp', variant, 'b1', 7]);
    assert.deepEqual([track.type, track.event, track.unit, track.value], ['track', 'purchase', 'b1', 12.5]);
    assert.match(exposure.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(exposure.id, track.id);
    // The page's two answers, counted (the sender loaded after them).
    assert.deepEqual([usage.type, usage.counts], ['usage', { exp: { [variant]: 1 }, plain: { [on ? 'on' : 'off']: 1 } }]);
    assert.match(usage.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await p.evaluate(() => window.flags.events.stats), { queued: 0, sent: 3, dropped: 0, failed: 0, retries: 0 });
    // pagehide too; the same (unit, flag, variant) is not exposed again,
    // and is counted again.
    await p.evaluate(() => {
      window.flags.variant('exp', { user_id: 'b1' });
      window.flags.track('refund', 'b2');
      dispatchEvent(new Event('pagehide'));
    });
    await srv.waitFor(2);
    assert.deepEqual(srv.requests[1].body.events.map((e) => [e.type, e.event, e.unit, e.counts]), [['track', 'refund', 'b2', undefined], ['usage', undefined, undefined, { exp: { [variant]: 1 } }]]);
    // flush(): fetch, JSON, the key as a Bearer header.
    await p.evaluate(() => {
      window.flags.variant('exp', { user_id: 'b3' });
      return window.flags.flush();
    });
    const post = srv.requests[2];
    assert.match(post.headers['content-type'], /^application\/json/);
    assert.equal(post.headers.authorization, 'Bearer beacon-key');
    assert.equal(post.body.key, undefined);
    assert.deepEqual(post.body.events.map((e) => [e.type, e.unit]), [['exposure', 'b3'], ['usage', undefined]]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a page without options.events never fetches the sender', async () => {
  srv.reset();
  const { context, page: p, requests, errors } = await open('/plain.html');
  try {
    await p.evaluate(() => {
      window.flags.track('purchase', { user_id: 'b1' });
      window.flags.variant('exp', { user_id: 'b1' });
    });
    await p.evaluate(hide);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await p.evaluate(() => window.flags.events), null);
    assert.ok(requests.includes('/pkg/dist/web.js'));
    assert.ok(!requests.includes('/pkg/dist/sender.js'), requests.join(' '));
    assert.equal(srv.requests.length, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
