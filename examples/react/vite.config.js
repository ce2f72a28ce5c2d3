// Vite settings of the example. `npm run dev` proxies /v1 to the edgeflags
// Worker that `bash scripts/run.sh` serves (seeded with examples/ruleset.json),
// so the app loads its rulesets from its own origin. The package's browser
// entry uses top-level await: es2022.
export default {
  logLevel: 'warn',
  build: { target: 'es2022', emptyOutDir: true },
  server: { proxy: { '/v1': process.env.EDGEFLAGS_WORKER ?? 'http://127.0.0.1:8787' } },
};
