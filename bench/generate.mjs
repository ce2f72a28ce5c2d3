// Writes the 50-flag benchmark ruleset in every engine's format to
// bench/ruleset/, so each translation can be read and diffed. The harness
// builds the same documents in memory (lib/docs.mjs); the test checks that
// these files are up to date. The native benches read edgeflags.json.
//
//   node generate.mjs [--check]

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { logicalFlags } from './lib/model.mjs';
import * as t from './lib/translate.mjs';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'ruleset');
export const FILES = {
  'edgeflags.json': t.toEdgeflags,
  'growthbook.json': t.toGrowthBook,
  'flagd.json': t.toFlagd,
  'unleash.json': t.toUnleash,
  'launchdarkly.json': t.toLaunchDarkly,
  'flipt.json': t.toFlipt,
};

export function rendered() {
  const flags = logicalFlags(50);
  return Object.fromEntries(Object.entries(FILES).map(([name, f]) => [name, JSON.stringify(f(flags), null, 2) + '\n']));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, text] of Object.entries(rendered())) {
    const path = join(DIR, name);
    if (check) {
      let have = '';
      try {
        have = readFileSync(path, 'utf8');
      } catch {}
      if (have !== text) {
        console.error(`stale: bench/ruleset/${name} (run node bench/generate.mjs)`);
        stale++;
      }
    } else writeFileSync(path, text);
  }
  process.exit(stale ? 1 : 0);
}
