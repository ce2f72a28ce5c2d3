// The React example (examples/react: Vite + @openfeature/react-sdk with
// edgeflags' web provider) in headless Chromium, as built by
// scripts/build-example-react.sh (scripts/test-pkg.sh runs it first). A
// Node server on 127.0.0.1 serves the build and plays the Worker's
// GET /v1/ruleset (strong ETag, 304 on If-None-Match). The flags rendered
// must follow a context change (the user picker) and a ruleset change
// (the provider's poll, then PROVIDER_CONFIGURATION_CHANGED).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'examples/react/dist/');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

// The example ruleset's two flags the app shows.
const example = JSON.parse(readFileSync(join(ROOT, 'examples/ruleset.json'), 'utf8'));
let ruleset = { version: 1, flags: { dark_mode: example.flags.dark_mode, max_upload_mb: example.flags.max_upload_mb } };
const polls = [];

let server;
let origin;
let browser;

before(async () => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('examples/react/dist is missing: run scripts/build-example-react.sh');
  server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/v1/ruleset') {
      const etag = `"${ruleset.version}"`;
      polls.push(req.headers['if-none-match'] === etag ? 304 : 200);
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
      return res.writeHead(200, { etag, 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(JSON.stringify(ruleset));
    }
    if (path === '/favicon.ico') return res.writeHead(200, { 'content-type': 'image/x-icon' }).end('');
    const file = normalize(join(DIST, path === '/' ? 'index.html' : path.slice(1)));
    if (!file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    server.closeAllConnections();
    server.close();
  }
});

describe('the React example in headless Chromium', () => {
  it('renders flags, follows a context change and a ruleset change', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    const requests = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('request', (r) => requests.push(r.url()));
    const text = (sel) => page.locator(sel).innerText({ timeout: 15_000 });
    const until = (sel, re) => page.waitForFunction(([s, r]) => new RegExp(r).test(document.querySelector(s)?.innerText ?? ''), [sel, re.source], { timeout: 15_000 });
    try {
      await page.goto(origin + '/', { timeout: 30_000 });
      // user:7, free plan: not in dark_mode's users, the small upload limit.
      await until('#upload', /Upload limit/);
      assert.equal(await text('#theme'), 'Theme: light');
      assert.equal(await text('#upload'), 'Upload limit: 10 MB (small, DEFAULT)');

      // A context change: user:42 on the pro plan.
      await page.click('#user-1');
      await until('#theme', /dark/);
      assert.equal(await text('#upload'), 'Upload limit: 100 MB (large, TARGETING_MATCH)');

      // While nothing changes, the polls are answered 304.
      const deadline = Date.now() + 15_000;
      while (!polls.includes(304) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(polls.includes(304), `polls: ${polls}`);
      // A ruleset change: the provider's next poll loads it and the hooks re-render.
      ruleset = { version: 2, flags: { ...ruleset.flags, max_upload_mb: { ...ruleset.flags.max_upload_mb, default_variant: 'huge', rules: [] } } };
      await until('#upload', /1000 MB/);
      assert.equal(await text('#upload'), 'Upload limit: 1000 MB (huge, STATIC)');
      assert.equal(await text('#theme'), 'Theme: dark');

      // And back to user:7.
      await page.click('#user-0');
      await until('#theme', /light/);
      assert.equal(await text('#upload'), 'Upload limit: 1000 MB (huge, STATIC)');

      assert.deepEqual(errors, []);
      assert.ok(requests.some((u) => /\/assets\/.*\.wasm$/.test(u)), requests.join('\n'));
      for (const u of requests) assert.ok(u.startsWith(origin), `request left 127.0.0.1: ${u}`);
    } finally {
      await context.close();
    }
  });
});
