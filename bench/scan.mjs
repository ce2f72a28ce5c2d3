// `edgeflags scan` on a generated 100,000-file tree, with ripgrep searching
// the same keys as the peer baseline (BENCHMARKS.md, "Code references").
//
// The tree (target/bench-scan/, made once and kept) mixes TypeScript,
// JavaScript, Python, Rust, Go and Java files of about 1.5 KB each; one file
// in 50 asks a flag (`flags.isEnabled("feature_17", user)`). The ruleset has
// 200 flags. Both tools walk the same tree with its .gitignore, warm (one
// untimed run each first), on every core, taking turns; the median of the
// runs is kept, wall time and (with GNU time) CPU time.
//
//   node scan.mjs --bin ../target/release/edgeflags [--files 100000] [--runs 5] [--out results/scan.json]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string', default: resolve(HERE, '..', 'target', 'release', 'edgeflags') },
    files: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    tree: { type: 'string', default: resolve(HERE, '..', 'target', 'bench-scan') },
    out: { type: 'string', default: join(HERE, 'results', 'scan.json') },
  },
});
const FILES = Number(opt.files);
const RUNS = Number(opt.runs);
const FLAGS = 200;
const PER_DIR = 100;
const key = (i) => `feature_${i}`;

// ------------------------------------------------------------ the tree
const LANGS = [
  ['ts', (k, i) => `import { flags, user } from "./flags";\n\nexport function f${i}(x: number): string {\n  ${k ? `if (flags.isEnabled("${k}", user)) {\n    return "on";\n  }\n  ` : ''}return String(x * ${i});\n}\n`],
  ['js', (k, i) => `// module ${i}\nexport function f${i}(x) {\n  ${k ? `if (flags.isEnabled('${k}', user)) return 'on';\n  ` : ''}return \`value \${x}\`;\n}\n`],
  ['py', (k, i) => `"""Module ${i}."""\n\n\ndef f${i}(x):\n    ${k ? `if client.is_enabled("${k}", user):\n        return "on"\n    ` : ''}return str(x * ${i})  # a comment\n`],
  ['rs', (k, i) => `/// Module ${i}.\npub fn f${i}(x: u32) -> String {\n    ${k ? `if flags.is_enabled("${k}", user) {\n        return "on".into();\n    }\n    ` : ''}format!("{}", x * ${i})\n}\n`],
  ['go', (k, i) => `package m${i}\n\n// F${i} is a function.\nfunc F${i}(x int) string {\n\t${k ? `if client.IsEnabled("${k}") {\n\t\treturn "on"\n\t}\n\t` : ''}return \`raw\`\n}\n`],
  ['java', (k, i) => `class C${i} {\n    String f(int x) {\n        ${k ? `if (client.getBooleanValue("${k}", false)) return "on";\n        ` : ''}return "v" + x;\n    }\n}\n`],
];
// About 1.5 KB a file: the function above plus filler a scanner must read.
const FILLER = (i) => Array.from({ length: 24 }, (_, j) => `// line ${j} of file ${i}: some words that are not flag keys, "strings" too\n`).join('');

function makeTree() {
  const marker = join(opt.tree, `.complete-${FILES}`);
  if (existsSync(marker)) return;
  rmSync(opt.tree, { recursive: true, force: true });
  const src = join(opt.tree, 'src');
  for (let i = 0; i < FILES; i++) {
    const dir = join(src, `d${Math.floor(i / PER_DIR)}`);
    if (i % PER_DIR === 0) mkdirSync(dir, { recursive: true });
    const [ext, body] = LANGS[i % LANGS.length];
    const k = i % 50 === 0 ? key((i / 50) % FLAGS) : null;
    writeFileSync(join(dir, `f${i}.${ext}`), body(k, i) + FILLER(i));
  }
  const flags = Object.fromEntries(Array.from({ length: FLAGS }, (_, i) => [key(i), { percentage: 50 }]));
  writeFileSync(join(opt.tree, 'ruleset.json'), JSON.stringify({ schema: 1, version: 1, flags }));
  writeFileSync(join(opt.tree, 'keys.txt'), Array.from({ length: FLAGS }, (_, i) => key(i)).join('\n') + '\n');
  writeFileSync(join(opt.tree, '.gitignore'), 'ruleset.json\nkeys.txt\n');
  writeFileSync(marker, '');
}

// ------------------------------------------------------------ timing
// GNU time, when there, adds each run's CPU time (user + system): on a shared
// machine it moves less than the wall time.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CPU_FILE = join(os.tmpdir(), `edgeflags-scan-bench-${process.pid}.txt`);

function time(cmd, args) {
  const [c, a] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', CPU_FILE, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { cwd: opt.tree, maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const cpu = GNU_TIME ? readFileSync(CPU_FILE, 'utf8').trim().split('\n').pop().split(' ').reduce((x, y) => x + Number(y) * 1000, 0) : null;
  return { ms, cpu, status: r.status, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

makeTree();
const loadavg = os.loadavg()[0];
const tools = [{ tool: 'edgeflags scan', version: 'this commit', cmd: opt.bin, args: ['scan', '.', '--ruleset', 'ruleset.json', '--format', 'json', '--now', '2026-11-30T00:00:00Z'], ok: (r) => r.status === 0 }];
const rg = spawnSync('rg', ['--version'], { encoding: 'utf8' });
if (!rg.error && rg.status === 0) {
  // Fixed strings, the same 200 keys, as whole words (what the scan
  // matches) and as plain substrings (ripgrep's fastest path); exit 1 means no match.
  for (const [tool, args] of [
    ['ripgrep -w', ['-n', '-F', '-w', '-f', 'keys.txt', '.']],
    ['ripgrep', ['-n', '-F', '-f', 'keys.txt', '.']],
  ]) {
    tools.push({ tool, version: rg.stdout.split('\n')[0], command: `rg ${args.join(' ')}`, cmd: 'rg', args, ok: (x) => x.status === 0 || x.status === 1 });
  }
}
// One untimed run each (the page cache, a check of the answer), then the
// timed runs in turns, so a burst of load from elsewhere hits every tool.
for (const t of tools) {
  const first = time(t.cmd, t.args);
  if (!t.ok(first)) throw new Error(`${t.cmd} ${t.args.join(' ')}: exit ${first.status}`);
  t.first = first;
  t.runs = [];
}
for (let i = 0; i < RUNS; i++) for (const t of tools) t.runs.push(time(t.cmd, t.args));
const files = spawnSync('rg', ['--files', '.'], { cwd: opt.tree, maxBuffer: 1 << 30, encoding: 'utf8' });
const rows = tools.map((t) => {
  const wall = t.runs.map((r) => r.ms);
  let references;
  let fileCount = FILES;
  if (t.cmd === opt.bin) {
    const report = JSON.parse(t.first.stdout);
    references = report.flags.reduce((n, f) => n + f.references.length, 0);
    fileCount = report.files;
  } else {
    references = t.first.stdout.split('\n').filter(Boolean).length;
    fileCount = files.stdout.split('\n').filter(Boolean).length;
  }
  return {
    tool: t.tool,
    version: t.version,
    command: t.command,
    median: median(wall),
    min: Math.min(...wall),
    max: Math.max(...wall),
    cpu: GNU_TIME ? median(t.runs.map((r) => r.cpu)) : null,
    files: fileCount,
    references,
  };
});
rmSync(CPU_FILE, { force: true });
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ files: FILES, flags: FLAGS, runs: RUNS, loadavg, rows }, null, 2));
for (const r of rows) {
  console.error(`[scan] ${r.tool}: ${r.files} files in ${r.median.toFixed(0)} ms (${Math.round(r.files / (r.median / 1000))} files/s), CPU ${r.cpu ?? '?'} ms, ${r.references} matches`);
}
