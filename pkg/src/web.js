// Browsers and bundlers (Vite, webpack, esbuild): fetches and compiles the
// wasm next to this file before the module finishes loading (top-level
// await), so `new Flags(...)` is synchronous for importers.
import init from '../dist/glue/edgeflags.js';

await init({ module_or_path: new URL('./edgeflags_bg.wasm', import.meta.url) });

export * from './index.js';
