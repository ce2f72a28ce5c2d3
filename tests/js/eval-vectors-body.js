// One test body for the evaluation vectors (tests/vectors/evaluation/*.json,
// format in tests/vectors/README.md), run by every runtime the package
// ships to: Node with both wasm builds (eval-vectors.test.mjs), headless
// Chromium (browser.test.mjs: the plain page and the Vite app) and workerd
// (worker.test.mjs). It takes the package's exports and the files as
// [{ file, doc }], and returns what failed (by file and case name) instead
// of throwing, so each runtime reports the same list.
//
// Each case is evaluated with a plain object and with a prepared context:
// evaluate() must give every field of `expect` and no other; getValue()
// the expected value (the caller's default on an error); isEnabled()
// `enabled`. Cases with `overrides` run through flags.override().

// JSON with object keys sorted, so equal JSON compares equal as text.
export function canon(v) {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function checkEvalVectors(api, files) {
  const { Flags } = api;
  const failures = [];
  let count = 0;
  for (const { file, doc } of files) {
    let now = 0;
    let flags;
    try {
      flags = new Flags(doc.ruleset, { now: () => now });
    } catch (e) {
      failures.push(`${file}: the ruleset did not load: ${e && e.message}`);
      continue;
    }
    try {
      for (const c of doc.cases) {
        count++;
        const where = `${file}: ${c.name}`;
        try {
          now = c.now === undefined ? 0 : c.now;
          const hasDefault = Object.prototype.hasOwnProperty.call(c, 'default');
          const def = hasDefault ? c.default : undefined;
          flags.reset();
          for (const [key, value] of Object.entries(c.overrides || {})) flags.override(key, value);
          const attrs = c.context === undefined ? {} : c.context;
          const prepared = flags.context(attrs);
          for (const [how, ctx] of [
            ['plain', { ...attrs }],
            ['prepared', prepared],
          ]) {
            const got = hasDefault ? flags.evaluate(c.flag, ctx, def) : flags.evaluate(c.flag, ctx);
            if (canon(got) !== canon(c.expect)) failures.push(`${where} (${how}): evaluate() = ${canon(got)}, want ${canon(c.expect)}`);
            const value = hasDefault ? flags.getValue(c.flag, ctx, def) : flags.getValue(c.flag, ctx);
            const wantValue = c.expect.errorCode === undefined ? c.expect.value : def;
            if (canon(value) !== canon(wantValue)) failures.push(`${where} (${how}): getValue() = ${canon(value)}, want ${canon(wantValue)}`);
            const enabled = flags.isEnabled(c.flag, ctx);
            if (enabled !== c.enabled) failures.push(`${where} (${how}): isEnabled() = ${enabled}, want ${c.enabled}`);
          }
          prepared.free();
        } catch (e) {
          failures.push(`${where}: threw ${e && e.stack}`);
        }
      }
    } finally {
      flags.free();
    }
  }
  return { count, failures };
}
