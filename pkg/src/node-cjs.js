// Node, CommonJS (`require`): bundled to CJS by scripts/build-pkg.sh, where
// `__dirname` is the dist/ folder holding the wasm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync, abi_version } from '../dist/glue/edgeflags.js';
import { checkAbi } from './abi.js';
import { useSender } from './events.js';
import * as sender from './sender.js';

// The speed build (scripts/build-pkg.sh); browsers get the size build.
initSync({ module: readFileSync(join(__dirname, 'edgeflags_server.wasm')) });
// The JS and the wasm must come from one build (src/wasm/abi.rs).
checkAbi(abi_version());
// Experiment events send from this module, bundled in.
useSender(() => sender);

export * from './index.js';
