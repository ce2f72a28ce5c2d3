// Build settings for the OFREP web-provider page (tests/worker/ofrep-web.test.mjs).
export default {
  base: '/',
  logLevel: 'warn',
  build: { target: 'es2022', emptyOutDir: true },
};
