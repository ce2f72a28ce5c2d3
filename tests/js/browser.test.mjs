// The package in headless Chromium (Debian's, driven by playwright-core;
// nothing is downloaded), on pages served from 127.0.0.1 by a small Node
// server in this test:
//   /plain.html  a plain <script type="module"> page importing dist/web.js
//   /vite/       a Vite-built app (tests/js/vite-app) importing 'edgeflags'
//   /openfeature/ a Vite-built app (tests/js/openfeature-app) running the web
//                provider (edgeflags/openfeature) under @openfeature/web-sdk
// The first two run the shared vectors through vectors-body.js, the third
// the OpenFeature checks of openfeature-body.js. Every request a page makes
// must go to this server: no network.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchChromium } from './chromium.mjs';
import { evalVectorFiles } from './eval-vectors-files.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VECTORS = join(ROOT, 'tests/vectors/bucketing.json');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const PLAIN = `<!doctype html><meta charset="utf-8"><title>plain module page</title>
<script type="module">
  import * as api from '/pkg/dist/web.js';
  import { checkVectors } from '/tests/js/vectors-body.js';
  import { checkEvalVectors } from '/tests/js/eval-vectors-body.js';
  const { cases } = await (await fetch('/vectors.json')).json();
  const evalFiles = await (await fetch('/eval-vectors.json')).json();
  const f = new api.Flags({ flags: { new_search: { percentage: 20 } } });
  window.__result = {
    vectors: checkVectors(api, cases),
    evalVectors: checkEvalVectors(api, evalFiles),
    rollout: f.evaluate('new_search', { user_id: 'user:123' }),
    bucket: api.bucket('new_search', 'user:123'),
  };
</script>`;

let dir;
let server;
let origin;
let browser;

// Files under these prefixes, and nothing else.
function resolvePath(urlPath) {
  if (urlPath === '/plain.html') return { body: PLAIN, type: TYPES['.html'] };
  if (urlPath === '/favicon.ico') return { body: '', type: 'image/x-icon' };
  if (urlPath === '/vectors.json') return { file: VECTORS };
  if (urlPath === '/eval-vectors.json') return { body: JSON.stringify(EVAL_FILES), type: TYPES['.json'] };
  const roots = [
    ['/pkg/dist/', join(ROOT, 'pkg/dist/')],
    ['/tests/js/', join(ROOT, 'tests/js/')],
    ['/vite/', join(dir, 'vite/')],
    ['/openfeature/', join(dir, 'openfeature/')],
  ];
  for (const [prefix, base] of roots) {
    if (urlPath.startsWith(prefix)) {
      const rel = urlPath.slice(prefix.length) || 'index.html';
      const file = normalize(join(base, rel));
      if (file.startsWith(base) && existsSync(file) && statSync(file).isFile()) return { file };
    }
  }
  return null;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeflags-browser-'));
  // The Vite app, built as a frontend would build it.
  await build({ configFile: join(ROOT, 'tests/js/vite-app/vite.config.js'), root: join(ROOT, 'tests/js/vite-app'), build: { outDir: join(dir, 'vite') } });
  const ofApp = join(ROOT, 'tests/js/openfeature-app');
  await build({ configFile: join(ofApp, 'vite.config.js'), root: ofApp, build: { outDir: join(dir, 'openfeature') } });
  server = http.createServer((req, res) => {
    const found = resolvePath(new URL(req.url, 'http://x').pathname);
    if (!found) return res.writeHead(404).end('not found');
    const body = found.body ?? readFileSync(found.file);
    res.writeHead(200, { 'content-type': found.type ?? TYPES[extname(found.file)] ?? 'application/octet-stream' }).end(body);
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
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Opens a page (a fresh context: its own profile state) and returns what
// the page left in window.__result, the requests it made and its errors.
async function run(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await page.goto(origin + path, { timeout: 30_000 });
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 }).catch(() => {
      throw new Error(`no result from ${path}: ${errors.join('; ')}`);
    });
    const result = await page.evaluate(() => window.__result);
    const text = await page.evaluate(() => document.body.innerText);
    return { result, requests, errors, text };
  } finally {
    await context.close();
  }
}

const { cases } = JSON.parse(readFileSync(VECTORS, 'utf8'));
const EVAL_FILES = evalVectorFiles();
const EVAL_CASES = EVAL_FILES.reduce((n, f) => n + f.doc.cases.length, 0);

describe('headless Chromium', () => {
  it('a plain <script type="module"> page passes every shared vector', async () => {
    const { result, requests, errors } = await run('/plain.html');
    assert.deepEqual(errors, []);
    assert.equal(result.vectors.count, cases.length);
    assert.deepEqual(result.vectors.failures, []);
    assert.equal(result.evalVectors.count, EVAL_CASES);
    assert.deepEqual(result.evalVectors.failures, []);
    assert.equal(result.rollout.value, result.bucket < 20);
    assert.ok(requests.some((u) => u.endsWith('/pkg/dist/edgeflags_bg.wasm')), requests.join('\n'));
    for (const u of requests) assert.ok(u.startsWith(origin), `request left 127.0.0.1: ${u}`);
  });

  it('a Vite-built app using the package renders by flag and passes every vector', async () => {
    const { result, requests, errors, text } = await run('/vite/');
    assert.deepEqual(errors, []);
    assert.match(text, /New dashboard/);
    assert.equal(result.vectors.count, cases.length);
    assert.deepEqual(result.vectors.failures, []);
    assert.equal(result.evalVectors.count, EVAL_CASES);
    assert.deepEqual(result.evalVectors.failures, []);
    assert.deepEqual(result.invalid, { isEdgeflagsError: true, code: 'INVALID_RULESET', path: 'flags.x.percentage' });
    assert.equal(result.version, 2);
    assert.ok(requests.some((u) => /\/vite\/assets\/.*\.wasm$/.test(u)), `the wasm came from Vite's assets:\n${requests.join('\n')}`);
    for (const u of requests) assert.ok(u.startsWith(origin), `request left 127.0.0.1: ${u}`);
    const other = await run('/vite/?user=user:7');
    assert.match(other.text, /Old dashboard/);
  });

  it('the web provider under @openfeature/web-sdk passes the vectors and the lifecycle checks', async () => {
    const { result, requests, errors } = await run('/openfeature/');
    assert.deepEqual(errors, []);
    assert.equal(result.error, undefined);
    assert.equal(result.evalVectors.count, EVAL_CASES);
    assert.deepEqual(result.evalVectors.failures.slice(0, 10), []);
    assert.equal(result.bucketing.count, cases.length);
    assert.deepEqual(result.bucketing.failures, []);
    assert.deepEqual(result.lifecycle.failures, []);
    assert.ok(requests.some((u) => /\/openfeature\/assets\/.*\.wasm$/.test(u)), requests.join('\n'));
    for (const u of requests) assert.ok(u.startsWith(origin), `request left 127.0.0.1: ${u}`);
  });
});
