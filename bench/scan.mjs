// `edgeflags scan` on a generated 100,000-file tree, with ripgrep searching
// the same keys as the peer baseline (BENCHMARKS.md, "Code references").
//
// The tree (target/bench-scan/, made once and kept) mixes TypeScript,
// JavaScript, Python, Rust, Go and Java files of about 1.5 KB each; one file
// in 50 asks a flag (`flags.isEnabled("feature_17", user)`). The ruleset has
// 200 flags. Both tools walk the same tree with its .gitignore, warm (one
// untimed run each first), on every core; the median of the runs is kept.
//
//   node scan.mjs --bin ../target/release/edgeflags [--files 100000] [--runs 5] [--out results/scan.json]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: opt.tree, maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { ms, status: r.status, stdout: r.stdout };
}

function measure(cmd, args, ok) {
  const first = time(cmd, args); // warm the page cache, untimed
  if (!ok(first)) throw new Error(`${cmd} ${args.join(' ')}: exit ${first.status}`);
  const runs = Array.from({ length: RUNS }, () => time(cmd, args).ms).sort((a, b) => a - b);
  return { median: runs[Math.floor(runs.length / 2)], min: runs[0], max: runs[runs.length - 1], first };
}

makeTree();
const loadavg = os.loadavg()[0];
const scan = measure(opt.bin, ['scan', '.', '--ruleset', 'ruleset.json', '--format', 'json', '--now', '2026-11-30T00:00:00Z'], (r) => r.status === 0);
const report = JSON.parse(scan.first.stdout);
const references = report.flags.reduce((n, f) => n + f.references.length, 0);
const rows = [
  {
    tool: 'edgeflags scan',
    version: 'this commit',
    ...scan,
    first: undefined,
    files: report.files,
    references,
  },
];
const rg = spawnSync('rg', ['--version'], { encoding: 'utf8' });
if (!rg.error && rg.status === 0) {
  const files = spawnSync('rg', ['--files', '.'], { cwd: opt.tree, maxBuffer: 1 << 30, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
  // Fixed strings, the same 200 keys, as whole words (what the scan
  // matches) and as plain substrings (ripgrep's fastest path); exit 1 means no match.
  for (const [tool, args] of [
    ['ripgrep -w', ['-n', '-F', '-w', '-f', 'keys.txt', '.']],
    ['ripgrep', ['-n', '-F', '-f', 'keys.txt', '.']],
  ]) {
    const r = measure('rg', args, (x) => x.status === 0 || x.status === 1);
    rows.push({ tool, version: rg.stdout.split('\n')[0], command: `rg ${args.join(' ')}`, ...r, first: undefined, files, references: r.first.stdout.split('\n').filter(Boolean).length });
  }
}
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, JSON.stringify({ files: FILES, flags: FLAGS, runs: RUNS, loadavg, rows }, null, 2));
for (const r of rows) {
  console.error(`[scan] ${r.tool}: ${r.files} files in ${r.median.toFixed(0)} ms (${Math.round(r.files / (r.median / 1000))} files/s), ${r.references} matches`);
}
