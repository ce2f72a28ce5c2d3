// The shared exposure vectors (tests/vectors/exposures.json) through the
// npm package in Node: each case evaluated by a fresh Flags with events
// on, its sender's fetch captured, so what the package would post is
// exactly what the vectors say (the same file runs natively and through
// the Worker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Flags } from 'edgeflags';

const doc = JSON.parse(readFileSync(new URL('../vectors/exposures.json', import.meta.url), 'utf8'));

test(`every exposure vector (${doc.cases.length} cases): the package records exactly the expected exposure`, async () => {
  const failures = [];
  for (const c of doc.cases) {
    const posted = [];
    const fetch = async (_url, init) => {
      // The usage counts sent beside (flag usage) are not the vectors' subject.
      posted.push(...JSON.parse(init.body).events.filter((e) => e.type !== 'usage'));
      return new Response(JSON.stringify({ accepted: 1, ignored: 0 }), { status: 202 });
    };
    const flags = new Flags(doc.ruleset, { events: { url: 'http://edge.test/v1/events', fetch, flushAt: 1e9, flushIntervalMs: 0 } });
    flags.evaluate(c.flag, c.context, null);
    assert.equal(await flags.close(), true, c.name);
    const got = posted.map((e) => ({ type: e.type, flag: e.flag, variant: e.variant, unit: e.unit }));
    const want = c.exposure ? [{ type: 'exposure', flag: c.flag, variant: c.exposure.variant, unit: c.exposure.unit }] : [];
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${c.name}: posted ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  assert.deepEqual(failures, []);
});
