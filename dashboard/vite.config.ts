// The dashboard's build (scripts/build-dashboard.sh): served by the Worker
// under /app/ as static assets (wrangler.toml [assets]). The engine is the
// npm package's browser build (pkg/dist/web.js and its wasm, which Vite
// copies as an asset: its `new URL('./edgeflags_bg.wasm', import.meta.url)`
// is the pattern Vite follows).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/app/',
  logLevel: 'warn',
  resolve: { alias: { edgeflags: here('../pkg/dist/web.js') } },
  build: {
    outDir: here('dist/app'),
    emptyOutDir: true,
    // web.js initializes the wasm with a top-level await.
    target: 'es2022',
    // Never a data: URL for a script or the wasm: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
