// Node, ESM (`import`): reads and compiles the wasm synchronously at import.
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/glue/edgeflags.js';

initSync({ module: readFileSync(new URL('./edgeflags_bg.wasm', import.meta.url)) });

export * from './index.js';
