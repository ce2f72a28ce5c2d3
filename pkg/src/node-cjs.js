// Node, CommonJS (`require`): bundled to CJS by scripts/build-pkg.sh, where
// `__dirname` is the dist/ folder holding the wasm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from '../dist/glue/edgeflags.js';

// The speed build (scripts/build-pkg.sh); browsers get the size build.
initSync({ module: readFileSync(join(__dirname, 'edgeflags_server.wasm')) });

export * from './index.js';
