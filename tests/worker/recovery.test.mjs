// Crash recovery: a panic aborts the wasm instance mid-request and leaves
// its memory in an unknown state, so the next request must be served by a
// fresh instance (worker-build's entry re-instantiates the module). The
// Worker panics on purpose on TEST_PANIC_PATH, a setting only tests use.
// A fresh instance is visible in /v1/status: its compile count starts over.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { json, putRuleset, seed, startWorker } from "./helpers.mjs";

let w;
before(async () => {
  w = await startWorker({ TEST_PANIC_PATH: "/__test/panic" });
  await seed(w.kv, { flags: { a: true } }, 1);
});
after(() => w?.close());

test("after a panic the next request gets a fresh instance, and it serves", async () => {
  assert.equal((await json(await w.admin("/v1/status"))).compiles, 1);
  const put = await putRuleset(w, { flags: { a: true, b: { enabled: true } } });
  assert.equal(put.status, 200, await put.text());
  const warm = await json(await w.admin("/v1/status"));
  assert.deepEqual([warm.version, warm.compiles], [2, 2]);

  for (let round = 0; round < 2; round++) {
    // The panicking request itself fails (a 500, or no response at all).
    let status;
    try {
      const r = await w.fetch("/__test/panic");
      status = r.status;
      await r.arrayBuffer();
    } catch (e) {
      status = `rejected: ${e.message}`;
    }
    assert.notEqual(status, 200, "the panic path answered normally");

    const fresh = await json(await w.admin("/v1/status"));
    assert.deepEqual([fresh.ready, fresh.version, fresh.compiles], [true, 2, 1], JSON.stringify(fresh));
    const b = await json(await w.fetch("/v1/flags/b"));
    assert.deepEqual([b.value, b.reason], [true, "STATIC"]);
  }
});

test("without the setting, no path panics", async () => {
  const plain = await startWorker();
  try {
    await seed(plain.kv, { flags: { a: true } }, 1);
    const r = await plain.fetch("/__test/panic");
    assert.equal(r.status, 404);
    await r.arrayBuffer();
  } finally {
    await plain.close();
  }
});
