// Serves the Workers of the load test with Miniflare (workerd, the real
// Workers runtime) on 127.0.0.1, each with a KV namespace FLAGS seeded with
// the 50-flag ruleset in its own format:
//   - growthbook: growthbook-worker.mjs bundled by esbuild;
//   - edgeflags: the Rust Worker as built by scripts/build-worker.sh,
//     configured from wrangler.toml (vars, KV, its control object), seeded through its own management API
//     (PUT /v1/ruleset) so the KV layout stays the Worker's business;
//   - floor: floor-worker.mjs, a fixed answer (the harness's ceiling).

import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { docText } from '../lib/docs.mjs';
import { edgeflags as edgeflagsEngine, growthbook as growthbookEngine } from '../lib/engines.mjs';
import { logicalFlags } from '../lib/model.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = resolve(HERE, '..');
const ROOT = resolve(BENCH, '..');
const COMPAT_DATE = '2025-09-01';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** Bundles the GrowthBook Worker into one ES module. */
async function bundleGrowthBook() {
  const esbuild = await import('esbuild');
  const outfile = join(BENCH, 'results', 'worker-growthbook', 'worker.mjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(HERE, 'growthbook-worker.mjs')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    outfile,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    absWorkingDir: BENCH,
  });
  return outfile;
}

/** Starts one Miniflare instance; returns `{ mf, url }`. */
async function start(options) {
  const { Miniflare, convertV4MiniflareOptions } = await import('miniflare');
  const mf = new Miniflare(
    convertV4MiniflareOptions({ host: '127.0.0.1', port: 0, cf: false, compatibilityDate: COMPAT_DATE, ...options }),
  );
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, '') };
}

export async function startGrowthBook(flags = logicalFlags(50)) {
  const scriptPath = await bundleGrowthBook();
  const w = await start({ modules: [{ type: 'ESModule', path: scriptPath }], kvNamespaces: ['FLAGS'] });
  await (await w.mf.getKVNamespace('FLAGS')).put('growthbook-payload', docText(growthbookEngine, flags));
  return w;
}

/** The floor Worker: a fixed small JSON answer, no KV, no evaluation. */
export function startFloor() {
  return start({ modules: [{ type: 'ESModule', path: join(HERE, 'floor-worker.mjs') }], modulesRoot: HERE });
}

/** The built Rust Worker's entry (from wrangler.toml `main`), or null when not built. */
export function edgeflagsWorkerMain() {
  const toml = join(ROOT, 'wrangler.toml');
  if (!existsSync(toml)) return null;
  const m = readFileSync(toml, 'utf8').match(/^\s*main\s*=\s*"([^"]+)"/m);
  const main = m ? join(ROOT, m[1]) : join(ROOT, 'worker', 'build', 'index.js');
  return existsSync(main) ? main : null;
}

export async function startEdgeflags(flags = logicalFlags(50)) {
  const main = edgeflagsWorkerMain();
  if (!main) throw new Error('the edgeflags Worker is not built (scripts/build-worker.sh)');
  // Bindings as wrangler.toml declares them (vars, KV namespaces), read by
  // wrangler's own config reader; modules listed explicitly (Miniflare 5).
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }, { hideWarnings: true });
  const dir = dirname(main);
  const modules = readdirSync(dir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(dir, f) }))
    // The entry first.
    .sort((a, b) => (a.path === main ? -1 : b.path === main ? 1 : 0));
  const w = await start({
    compatibilityDate: config.compatibility_date ?? COMPAT_DATE,
    compatibilityFlags: config.compatibility_flags ?? [],
    modules,
    modulesRoot: dir,
    kvNamespaces: (config.kv_namespaces ?? []).map((k) => k.binding),
    // The store's control object (a Durable Object, SQLite storage).
    durableObjects: Object.fromEntries(
      (config.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
    ),
    bindings: { ...(config.vars ?? {}), ADMIN_TOKEN },
  });
  const res = await fetch(`${w.url}/v1/ruleset`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: docText(edgeflagsEngine(), flags),
  });
  if (!res.ok) throw new Error(`seeding the edgeflags Worker: PUT /v1/ruleset -> ${res.status} ${await res.text()}`);
  return w;
}
