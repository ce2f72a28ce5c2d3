// Browsers and bundlers (Vite, webpack, esbuild): fetches and compiles the
// wasm next to this file before the module finishes loading (top-level
// await), so `new Flags(...)` is synchronous for importers.
import init, { abi_version } from '../dist/glue/edgeflags.js';
import { checkAbi } from './abi.js';

await init({ module_or_path: new URL('./edgeflags_bg.wasm', import.meta.url) });
// The JS and the wasm must come from one build (src/wasm/abi.rs).
checkAbi(abi_version());

export * from './index.js';
