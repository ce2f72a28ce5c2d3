// Node, ESM (`import`): reads and compiles the wasm synchronously at import.
import { readFileSync } from 'node:fs';
import { initSync, abi_version } from '../dist/glue/edgeflags.js';
import { checkAbi } from './abi.js';
import { useSender } from './events.js';
import * as sender from './sender.js';

// The speed build (scripts/build-pkg.sh); browsers get the size build.
initSync({ module: readFileSync(new URL('./edgeflags_server.wasm', import.meta.url)) });
// The JS and the wasm must come from one build (src/wasm/abi.rs).
checkAbi(abi_version());
// Experiment events send from this module, bundled in.
useSender(() => sender);

export * from './index.js';
