// Browsers and bundlers (Vite, webpack, esbuild): fetches and compiles the
// wasm next to this file before the module finishes loading (top-level
// await), so `new Flags(...)` is synchronous for importers.
import init, { abi_version } from '../dist/glue/edgeflags.js';
import { checkAbi } from './abi.js';
import { useSender } from './events.js';

await init({ module_or_path: new URL('./edgeflags_bg.wasm', import.meta.url) });
// The JS and the wasm must come from one build (src/wasm/abi.rs).
checkAbi(abi_version());
// The event sender is fetched only by an instance that records events
// (options.events): a page without experiments does not download it.
// scripts/build-pkg.sh builds it as dist/sender.js, next to this file.
useSender(() => import('./sender.js'));

export * from './index.js';
