// Node, ESM (`import`): reads and compiles the wasm synchronously at import.
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/glue/edgeflags.js';

// The speed build (scripts/build-pkg.sh); browsers get the size build.
initSync({ module: readFileSync(new URL('./edgeflags_server.wasm', import.meta.url)) });

export * from './index.js';
