// The bucketing vectors (tests/vectors/bucketing.json, vendored from
// ../shared/vectors/ and made by
// the Python reference) evaluated through the Worker: a rollout flag and a
// split flag per case, salted and bucketed by an attribute as users write
// them. Rollout membership and split variant must equal the spec's numbers.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, json, putRuleset, startWorker, vectorRuleset } from "./helpers.mjs";

const cases = JSON.parse(readFileSync(join(ROOT, "tests/vectors/bucketing.json"), "utf8")).cases;

let w;
before(async () => {
  w = await startWorker();
  const r = await putRuleset(w, vectorRuleset(cases));
  assert.equal(r.status, 200, await r.text());
});
after(() => w?.close());

test("the vector set is the full one", () => {
  assert.ok(cases.length >= 100, `only ${cases.length} cases`);
});

test("every case: rollout membership (GET, unit in the query) and split variant (POST)", async () => {
  const failures = [];
  for (const [i, c] of cases.entries()) {
    const roll = await json(await w.fetch(`/v1/flags/roll_${i}?tenant=${encodeURIComponent(c.unit)}`));
    if (roll.value !== c.in_rollout || roll.reason !== "SPLIT") {
      failures.push(`case ${i} rollout: ${JSON.stringify(c)} -> ${JSON.stringify(roll)}`);
    }
    const exp = await json(
      await w.fetch(`/v1/flags/exp_${i}`, { method: "POST", body: JSON.stringify({ context: { tenant: c.unit } }) }),
    );
    if (exp.variant !== c.variant || exp.reason !== "SPLIT") {
      failures.push(`case ${i} split: ${JSON.stringify(c)} -> ${JSON.stringify(exp)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("without the bucketing attribute nothing is bucketed (never random)", async () => {
  for (let i = 0; i < 5; i++) {
    const r = await json(await w.fetch(`/v1/flags/roll_${i}?user_id=someone`));
    assert.equal(r.value, false);
    assert.equal(r.reason, "DEFAULT");
  }
});
