// Node, CommonJS (`require`): bundled to CJS by scripts/build-pkg.sh, where
// `__dirname` is the dist/ folder holding the wasm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from '../dist/glue/edgeflags.js';

initSync({ module: readFileSync(join(__dirname, 'edgeflags_bg.wasm')) });

export * from './index.js';
