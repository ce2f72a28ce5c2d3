// `npm pack` yields a tarball that installs into a fresh folder and works
// there through the exports map: `import` and `require` by package name,
// the types, and the condition routing (browser, workerd, node).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
let dir;
let files;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeflags-pack-'));
  const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], PKG));
  files = out[0].files.map((f) => f.path).sort();
  const tarball = join(dir, out[0].filename);
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], app);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the tarball holds the builds, types, README and license, and no sources', () => {
  for (const f of ['README.md', 'LICENSE', 'package.json', 'index.d.ts', 'dist/index.d.cts', 'dist/web.js', 'dist/sender.js', 'dist/node.mjs', 'dist/node.cjs', 'dist/workerd.js', 'dist/edgeflags_bg.wasm', 'dist/edgeflags_server.wasm', 'openfeature.d.ts', 'dist/openfeature-web.js', 'dist/openfeature-node.mjs', 'dist/openfeature-workerd.js']) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('dist/glue/')), files.join(', '));
});

const script = `
  const ruleset = { version: 9, flags: { on: true, pct: { percentage: 20 } } };
  const f = new Flags(ruleset);
  const out = { version: f.version, on: f.isEnabled('on'), b: bucket('pct', 'user:123'), pct: f.isEnabled('pct', { user_id: 'user:123' }) };
  try { new Flags('{}'); } catch (e) { out.err = e instanceof EdgeflagsError && e.code; }
  console.log(JSON.stringify(out));
`;

function check(stdout) {
  const out = JSON.parse(stdout);
  assert.equal(out.version, 9);
  assert.equal(out.on, true);
  assert.equal(out.pct, out.b < 20);
  assert.equal(out.err, 'INVALID_RULESET');
  return out;
}

test('installed: import by package name (ESM)', () => {
  const app = join(dir, 'app');
  writeFileSync(join(app, 'esm.mjs'), `import { Flags, bucket, EdgeflagsError } from 'edgeflags';\n${script}`);
  check(run(process.execPath, ['esm.mjs'], app));
});

test('installed: require by package name (CJS)', () => {
  const app = join(dir, 'app');
  writeFileSync(join(app, 'cjs.cjs'), `const { Flags, bucket, EdgeflagsError } = require('edgeflags');\n${script}`);
  const a = check(run(process.execPath, ['cjs.cjs'], app));
  writeFileSync(join(app, 'esm2.mjs'), `import { bucket } from 'edgeflags';\nconsole.log(JSON.stringify({ b: bucket('pct', 'user:123') }));`);
  assert.equal(JSON.parse(run(process.execPath, ['esm2.mjs'], app)).b, a.b);
});

test('installed: the exports map routes each environment', () => {
  const app = join(dir, 'app');
  writeFileSync(join(app, 'resolve.mjs'), `console.log(import.meta.resolve('edgeflags'))`);
  const resolved = (conds) => run(process.execPath, [...conds.map((c) => `--conditions=${c}`), 'resolve.mjs'], app).trim();
  assert.match(resolved([]), /edgeflags\/dist\/node\.mjs$/);
  assert.match(resolved(['workerd']), /edgeflags\/dist\/workerd\.js$/);
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules/edgeflags/package.json'), 'utf8'));
  assert.equal(pkg.exports['.'].browser, './dist/web.js');
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  assert.equal(pkg.license, 'MIT');
  assert.ok(existsSync(join(app, 'node_modules/edgeflags/dist/edgeflags_bg.wasm')));
});

test('installed: edgeflags/openfeature works with no OpenFeature package installed (optional peers)', () => {
  const app = join(dir, 'app');
  assert.ok(!existsSync(join(app, 'node_modules/@openfeature')), 'no OpenFeature package was installed');
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules/edgeflags/package.json'), 'utf8'));
  assert.deepEqual(pkg.dependencies, undefined, 'the package has no dependency');
  for (const peer of ['@openfeature/server-sdk', '@openfeature/web-sdk', '@openfeature/core']) {
    assert.equal(pkg.peerDependenciesMeta[peer].optional, true, peer);
  }
  writeFileSync(
    join(app, 'of.mjs'),
    `import { Flags } from 'edgeflags';
     import { EdgeflagsProvider } from 'edgeflags/openfeature';
     const p = new EdgeflagsProvider({ flags: new Flags({ version: 4, flags: { on: true } }) });
     await p.initialize();
     console.log(JSON.stringify(await p.resolveBooleanEvaluation('on', false, { targetingKey: 'u' })));`,
  );
  assert.deepEqual(JSON.parse(run(process.execPath, ['of.mjs'], app)), { value: true, reason: 'STATIC', flagMetadata: { version: 4 }, variant: 'on' });
  writeFileSync(join(app, 'resolve-of.mjs'), `console.log(import.meta.resolve('edgeflags/openfeature'))`);
  const resolved = (conds) => run(process.execPath, [...conds.map((c) => `--conditions=${c}`), 'resolve-of.mjs'], app).trim();
  assert.match(resolved([]), /edgeflags\/dist\/openfeature-node\.mjs$/);
  assert.match(resolved(['workerd']), /edgeflags\/dist\/openfeature-workerd\.js$/);
  assert.equal(pkg.exports['./openfeature'].browser, './dist/openfeature-web.js');
  assert.equal(pkg.exports['./openfeature'].types, './openfeature.d.ts');
});
