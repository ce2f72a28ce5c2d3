// Cloudflare Workers (workerd): Workers forbid compiling wasm from bytes at
// run time, so the wasm is imported as a module (wrangler and Miniflare
// turn a `.wasm` import into a compiled WebAssembly.Module).
// The speed build (scripts/build-pkg.sh); browsers get the size build.
import wasmModule from './edgeflags_server.wasm';
import { initSync, abi_version } from '../dist/glue/edgeflags.js';
import { checkAbi } from './abi.js';
import { useSender } from './events.js';
import * as sender from './sender.js';

initSync({ module: wasmModule });
// The JS and the wasm must come from one build (src/wasm/abi.rs).
checkAbi(abi_version());
// Experiment events send from this module, bundled in.
useSender(() => sender);

export * from './index.js';
