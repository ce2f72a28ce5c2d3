// Browser download size per engine: an entry that loads a ruleset and
// evaluates a flag, bundled and minified by esbuild for the browser (the
// root devDependency), plus any .wasm file the page must fetch beside it.
// Raw and gzip -9, each file compressed on its own as a server would.
//
//   node sizes.mjs [--out results/sizes.json]

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

import { BEFORE, edgeflagsAvailable, installedVersion } from './lib/engines.mjs';

const { values: opt } = parseArgs({ options: { out: { type: 'string', default: 'results/sizes.json' } } });
const BENCH = dirname(fileURLToPath(import.meta.url));
const esbuild = await import('esbuild');
const log = (...a) => console.error('[sizes]', ...a);

// What each page does: load a ruleset, evaluate one flag.
const ENTRIES = [
  {
    name: 'edgeflags',
    pkg: 'edgeflags',
    code: `import { Flags } from 'edgeflags';\nexport function run(r) { return new Flags(r).isEnabled('a', { user_id: 'u' }); }`,
  },
  {
    name: 'edgeflags before',
    pkg: BEFORE,
    before: true,
    code: `import { Flags } from '${BEFORE}';\nexport function run(r) { return new Flags(r).isEnabled('a', { user_id: 'u' }); }`,
  },
  {
    name: 'GrowthBook',
    pkg: '@growthbook/growthbook',
    code: `import { GrowthBook } from '@growthbook/growthbook';\nexport function run(features) { return new GrowthBook({ features, attributes: { id: 'u' } }).isOn('a'); }`,
  },
  {
    name: 'flagd-core',
    pkg: '@openfeature/flagd-core',
    code: `import { FlagdCore } from '@openfeature/flagd-core';\nexport function run(r) { const c = new FlagdCore(); c.setConfigurations(r); return c.resolveBooleanEvaluation('a', false, { targetingKey: 'u' }).value; }`,
  },
  {
    name: 'Flipt',
    pkg: '@flipt-io/flipt-client-js',
    note: 'browser bundle; its wasm is inlined in the JS as base64',
    code: `import { FliptClient } from '@flipt-io/flipt-client-js';\nexport async function run(fetcher) { const c = await FliptClient.init({ fetcher, updateInterval: 0 }); return c.evaluateBoolean({ flagKey: 'a', entityId: 'u', context: {} }).enabled; }`,
  },
  {
    name: 'Unleash',
    pkg: 'unleash-client',
    serverOnly: true,
    code: `import { Unleash } from 'unleash-client';\nexport function run(data) { return new Unleash({ url: 'http://x/', appName: 'a', bootstrap: { data } }).isEnabled('a'); }`,
  },
  {
    name: 'LaunchDarkly',
    pkg: '@launchdarkly/node-server-sdk',
    serverOnly: true,
    code: `import { init } from '@launchdarkly/node-server-sdk';\nexport function run(k, c) { return init(k).variation('a', c, false); }`,
  },
];

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

/**
 * The .wasm files beside the package's browser entry that the entry names
 * (wasm-bindgen --target web/bundler), and only those: a package may ship
 * other builds beside it (edgeflags' edgeflags_server.wasm for Node and Workers).
 */
function browserWasmOf(pkgName) {
  const dir = join(BENCH, 'node_modules', pkgName);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const pick = (x) => (typeof x === 'string' ? x : x && (pick(x.browser) ?? pick(x.import) ?? pick(x.default)));
  const entry = pick(pj.exports?.['.'] ?? pj.exports) ?? pj.browser ?? pj.module ?? pj.main;
  const entryFile = join(dir, entry ?? 'index.js');
  const entryDir = dirname(entryFile);
  const source = readFileSync(entryFile, 'utf8');
  return readdirSync(entryDir)
    .filter((f) => f.endsWith('.wasm') && source.includes(f))
    .map((f) => join(entryDir, f));
}

const rows = [];
const work = mkdtempSync(join(tmpdir(), 'edgeflags-sizes-'));
for (const e of ENTRIES) {
  if (e.before && !(await edgeflagsAvailable(BEFORE))) continue;
  if (e.pkg === 'edgeflags' && !(await edgeflagsAvailable())) {
    rows.push({ name: e.name, missing: true, note: 'package not built' });
    continue;
  }
  const entry = join(BENCH, `.size-entry-${e.pkg.replace(/[@/]/g, '_')}.mjs`);
  writeFileSync(entry, e.code);
  const outdir = join(work, e.name);
  try {
    const res = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: e.serverOnly ? 'node' : 'browser',
      target: 'es2022',
      outdir,
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.wasm': 'file' },
      logLevel: 'silent',
      metafile: true,
      absWorkingDir: BENCH,
    });
    let jsRaw = 0,
      jsGzip = 0,
      wasmRaw = 0,
      wasmGzip = 0;
    const files = readdirSync(outdir).map((f) => join(outdir, f));
    // Wasm the JS fetches by URL at run time is not seen by the bundler:
    // add the package's own browser .wasm when none was emitted.
    if (!files.some((f) => f.endsWith('.wasm')) && !e.serverOnly) files.push(...browserWasmOf(e.pkg));
    for (const f of files) {
      const buf = readFileSync(f);
      if (f.endsWith('.wasm')) {
        wasmRaw += buf.length;
        wasmGzip += gz(buf);
      } else if (f.endsWith('.js') || f.endsWith('.mjs')) {
        jsRaw += buf.length;
        jsGzip += gz(buf);
      }
    }
    const row = {
      name: e.name,
      pkg: e.pkg,
      version: installedVersion(e.pkg),
      platform: e.serverOnly ? 'node' : 'browser',
      jsRaw,
      jsGzip,
      wasmRaw,
      wasmGzip,
      totalRaw: jsRaw + wasmRaw,
      totalGzip: jsGzip + wasmGzip,
      warnings: res.warnings.length,
    };
    if (e.note) row.note = e.note;
    if (e.serverOnly) row.note = 'Node-only server SDK: no browser build evaluates rules locally; Node bundle shown for reference';
    rows.push(row);
    log(`${e.name.padEnd(14)} ${(row.totalRaw / 1024).toFixed(1)} KB raw, ${(row.totalGzip / 1024).toFixed(1)} KB gzip -9 (${row.platform})`);
  } catch (err) {
    rows.push({ name: e.name, pkg: e.pkg, error: String(err.message ?? err).split('\n')[0] });
    log(`${e.name}: bundling failed:`, err.message);
  } finally {
    rmSync(entry, { force: true });
  }
}
rmSync(work, { recursive: true, force: true });
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ esbuild: esbuild.version, rows }, null, 2));
log(`wrote ${opt.out}`);
