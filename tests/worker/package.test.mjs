// The Worker and the npm package agree: the same ruleset gives the same
// answers at the edge (the Rust Worker in workerd) and in the package
// (wasm in Node), and the package's sync client stays in step with the
// Worker's `GET /v1/ruleset` (ETag, 304, change callback).
//
// Needs pkg/dist (scripts/build-pkg.sh; scripts/test-worker.sh builds it).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { BASE, ROOT, contexts, json, putRuleset, startWorker, untimedExample, vectorRuleset } from "./helpers.mjs";

const PKG = join(ROOT, "pkg/dist/node.mjs");
if (!existsSync(PKG)) throw new Error("pkg/dist/node.mjs is missing: run scripts/build-pkg.sh");
const { Flags, syncFlags } = await import(pathToFileURL(PKG).href);

const cases = JSON.parse(readFileSync(join(ROOT, "tests/vectors/bucketing.json"), "utf8")).cases;

let w;
before(async () => {
  w = await startWorker();
});
after(() => w?.close());

test("every bucketing vector: the Worker's answer equals the package's", async () => {
  const doc = vectorRuleset(cases);
  const r = await putRuleset(w, doc);
  assert.equal(r.status, 200, await r.text());
  const pkg = new Flags(doc);
  const mismatches = [];
  for (const [i, c] of cases.entries()) {
    const ctx = { tenant: c.unit };
    const edge = await json(await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: ctx }) }));
    for (const key of [`roll_${i}`, `exp_${i}`]) {
      const local = pkg.evaluate(key, ctx, null);
      const remote = edge.flags[key];
      if (remote.value !== local.value || remote.variant !== local.variant || remote.reason !== local.reason) {
        mismatches.push(`${key}: worker ${JSON.stringify(remote)} package ${JSON.stringify(local)}`);
      }
    }
    // And both equal the Python reference's numbers.
    assert.equal(edge.flags[`roll_${i}`].value, c.in_rollout, `case ${i}`);
    assert.equal(edge.flags[`exp_${i}`].variant, c.variant, `case ${i}`);
  }
  pkg.free();
  assert.deepEqual(mismatches, []);
});

test("the example ruleset: 1,000 contexts, every flag, same value, variant and reason", async () => {
  const doc = untimedExample();
  const r = await putRuleset(w, doc);
  assert.equal(r.status, 200, await r.text());
  // What a browser gets: the client view (server-only flags left out,
  // user lists and sensitive values hashed), which the public endpoint
  // answers the same way.
  const pkg = new Flags(await json(await w.fetch("/v1/ruleset")));
  const mismatches = [];
  let served = 0;
  for (const ctx of contexts(1000)) {
    const edge = await json(await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: ctx }) }));
    const local = pkg.evaluateAll(ctx);
    assert.deepEqual(Object.keys(edge.flags), Object.keys(local), "same flags, same order");
    for (const [key, remote] of Object.entries(edge.flags)) {
      const l = local[key];
      served++;
      if (
        JSON.stringify(remote.value) !== JSON.stringify(l.value) ||
        remote.variant !== l.variant ||
        remote.reason !== l.reason
      ) {
        mismatches.push(`${key} ${JSON.stringify(ctx)}: worker ${JSON.stringify(remote)} package ${JSON.stringify(l)}`);
      }
    }
  }
  pkg.free();
  // Every client flag of the example, for every context.
  const clientFlags = Object.values(doc.flags).filter((f) => f?.client !== false).length;
  assert.ok(clientFlags >= 13 && served === 1000 * clientFlags, `compared ${served} answers`);
  assert.deepEqual(mismatches.slice(0, 5), []);
});

test("syncFlags follows the Worker: first load, 304 while unchanged, update on change", async () => {
  const v1 = { flags: { new_search: { percentage: 0 }, banner: false } };
  let r = await putRuleset(w, v1);
  assert.equal(r.status, 200, await r.text());
  const statuses = [];
  const changes = [];
  // The package's fetch goes to the Worker in workerd (no port needed).
  const fetchViaWorker = async (url, init) => {
    const res = await w.mf.dispatchFetch(String(url), init);
    statuses.push(res.status);
    return res;
  };
  const sync = await syncFlags(`${BASE}/v1/ruleset`, {
    fetch: fetchViaWorker,
    interval: 30,
    onChange: (flags) => changes.push(flags.version),
  });
  try {
    const first = sync.flags.version;
    assert.equal(sync.etag, `"${first}"`, "a strong ETag equal to the version");
    assert.equal(sync.flags.isEnabled("new_search", { user_id: "user:42" }), false);

    // Unchanged: the polls get 304s and nothing is reloaded.
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(statuses.filter((s) => s === 304).length >= 2, `statuses ${statuses}`);
    assert.equal(sync.flags.version, first);

    // A change through the management API reaches the package.
    r = await w.admin("/v1/flags/new_search", { method: "PATCH", body: JSON.stringify({ percentage: 100 }) });
    assert.equal(r.status, 200, await r.text());
    const deadline = Date.now() + 5000;
    while (sync.flags.version === first && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(sync.flags.version, first + 1);
    assert.ok(changes.includes(first + 1), `onChange saw ${changes}`);
    assert.equal(sync.flags.isEnabled("new_search", { user_id: "user:42" }), true);
    assert.equal(sync.etag, `"${first + 1}"`);
  } finally {
    sync.stop();
  }
});
