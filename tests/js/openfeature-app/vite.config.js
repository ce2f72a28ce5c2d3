// Build settings for the OpenFeature test app (tests/js/browser.test.mjs
// builds it with this file). The package's browser entry uses top-level
// await: es2022.
export default {
  base: '/openfeature/',
  logLevel: 'warn',
  build: { target: 'es2022', emptyOutDir: true },
};
