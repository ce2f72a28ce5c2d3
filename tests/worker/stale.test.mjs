// Failure behaviour: no ruleset in KV -> PROVIDER_NOT_READY with the
// callers' defaults (never a crash); a corrupt KV value -> the last known
// good ruleset keeps serving, marked stale; revalidation reads KV at most
// every REVALIDATE_SECONDS and compiles a ruleset only when it changes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { json, keys, seed, startWorker } from "./helpers.mjs";

const doc = (flag) => ({ flags: { probe: flag, other: true } });

async function withWorker(vars, fn) {
  const w = await startWorker(vars);
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

describe("KV missing the ruleset", () => {
  test("evaluate answers PROVIDER_NOT_READY with the caller's defaults", () =>
    withWorker({}, async (w) => {
      let r = await w.fetch("/v1/flags/probe?default=true");
      assert.equal(r.status, 503);
      let b = await json(r);
      assert.equal(b.error.code, "PROVIDER_NOT_READY");
      assert.equal(b.status, "missing");
      assert.deepEqual([b.key, b.value, b.reason, b.errorCode], ["probe", true, "ERROR", "PROVIDER_NOT_READY"]);
      assert.ok(r.headers.get("retry-after"));

      r = await w.fetch("/v1/flags/probe", { method: "POST", body: JSON.stringify({ default: { color: "blue" } }) });
      assert.deepEqual((await json(r)).value, { color: "blue" });

      r = await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ defaults: { probe: false, n: 3 } }) });
      assert.equal(r.status, 503);
      b = await json(r);
      assert.deepEqual(b.flags, {
        probe: { value: false, variant: null, reason: "ERROR", errorCode: "PROVIDER_NOT_READY" },
        n: { value: 3, variant: null, reason: "ERROR", errorCode: "PROVIDER_NOT_READY" },
      });
      // No default given: null.
      assert.equal((await json(await w.fetch("/v1/flags/probe"))).value, null);

      for (const path of ["/v1/ruleset", "/v1/status", "/api/orders"]) {
        const e = await w.fetch(path);
        assert.equal(e.status, 503, path);
        const eb = await json(e);
        if (path === "/v1/status") assert.equal(eb.ready, false);
        else assert.equal(eb.error.code, "PROVIDER_NOT_READY");
      }
    }));

  test("a corrupt pointer with nothing cached is also PROVIDER_NOT_READY, status corrupt", () =>
    withWorker({}, async (w) => {
      await w.kv.put(keys.pointer, "{not json");
      const r = await w.fetch("/v1/flags/probe?default=7");
      assert.equal(r.status, 503);
      const b = await json(r);
      assert.equal(b.status, "corrupt");
      assert.equal(b.value, 7);
    }));
});

describe("KV value corrupt", () => {
  test("keeps serving the last known good ruleset, with X-Edgeflags-Stale", () =>
    withWorker({}, async (w) => {
      await seed(w.kv, doc(true), 1);
      const fresh = await w.fetch("/v1/flags/probe");
      assert.equal(fresh.headers.get("x-edgeflags-stale"), null);
      assert.equal((await json(fresh)).value, true);

      const corruptions = [
        async () => w.kv.put(keys.pointer, "garbage"),
        async () => w.kv.put(keys.pointer, JSON.stringify({ version: "two" })),
        // The pointer names a version whose document is not JSON ...
        async () => {
          await w.kv.put(keys.version(2), "{{{");
          await w.kv.put(keys.pointer, JSON.stringify({ version: 2 }));
        },
        // ... or not a valid ruleset ...
        async () => {
          await w.kv.put(keys.version(3), JSON.stringify({ version: 3, flags: { probe: { percentage: 500 } } }));
          await w.kv.put(keys.pointer, JSON.stringify({ version: 3 }));
        },
        // ... or is absent.
        async () => w.kv.put(keys.pointer, JSON.stringify({ version: 40 })),
        // The pointer itself deleted.
        async () => w.kv.delete(keys.pointer),
      ];
      for (const [i, corrupt] of corruptions.entries()) {
        await corrupt();
        const r = await w.fetch("/v1/flags/probe");
        assert.equal(r.status, 200, `corruption ${i}`);
        assert.equal(r.headers.get("x-edgeflags-version"), "1");
        assert.ok(["corrupt", "missing"].includes(r.headers.get("x-edgeflags-stale")), `corruption ${i}: ${r.headers.get("x-edgeflags-stale")}`);
        assert.equal((await json(r)).value, true);
        const rs = await w.fetch("/v1/ruleset");
        assert.equal(rs.status, 200);
        assert.equal(rs.headers.get("etag"), '"1"');
        assert.ok(rs.headers.get("x-edgeflags-stale"));
        await rs.arrayBuffer();
        const st = await json(await w.admin("/v1/status"));
        assert.equal(st.version, 1);
        assert.ok(st.stale && st.problem, JSON.stringify(st));
      }
      // A valid new version clears the stale state.
      await seed(w.kv, doc(false), 5);
      const r = await w.fetch("/v1/flags/probe");
      assert.equal(r.headers.get("x-edgeflags-stale"), null);
      assert.equal(r.headers.get("x-edgeflags-version"), "5");
      assert.equal((await json(r)).value, false);
    }));
});

describe("revalidation", () => {
  test("within REVALIDATE_SECONDS the isolate does not re-read KV; its own writes show at once", () =>
    withWorker({ REVALIDATE_SECONDS: "3600" }, async (w) => {
      await seed(w.kv, doc(true), 1);
      assert.equal((await json(await w.fetch("/v1/flags/probe"))).value, true);
      // Changed behind the Worker's back: not seen until revalidation is due.
      await seed(w.kv, doc(false), 2);
      for (let i = 0; i < 5; i++) {
        const r = await w.fetch("/v1/flags/probe");
        assert.equal(r.headers.get("x-edgeflags-version"), "1");
        await r.arrayBuffer();
      }
      // A change made through this isolate is served immediately.
      const put = await w.admin("/v1/ruleset", { method: "PUT", body: JSON.stringify(doc(false)) });
      assert.equal((await json(put)).version, 3);
      const r = await w.fetch("/v1/flags/probe");
      assert.equal(r.headers.get("x-edgeflags-version"), "3");
      assert.equal((await json(r)).value, false);
      const st = await json(await w.admin("/v1/status"));
      assert.equal(st.compiles, 2); // version 1 from KV, version 3 from the PUT
    }));

  test("with REVALIDATE_SECONDS=0 a new version is picked up on the next request, compiled once", () =>
    withWorker({ REVALIDATE_SECONDS: "0" }, async (w) => {
      await seed(w.kv, doc(true), 1);
      for (let i = 0; i < 10; i++) await (await w.fetch("/v1/flags/probe")).arrayBuffer();
      await seed(w.kv, doc(false), 2);
      for (let i = 0; i < 10; i++) {
        const r = await w.fetch("/v1/flags/probe");
        assert.equal(r.headers.get("x-edgeflags-version"), "2");
        assert.equal((await json(r)).value, false);
      }
      assert.equal((await json(await w.admin("/v1/status"))).compiles, 2);
    }));
});

describe("KV unreachable", () => {
  test("keeps serving the last known good ruleset, stale: unreachable; nothing cached: 503", () =>
    withWorkerFault(async (w) => {
      // Down before anything was loaded: PROVIDER_NOT_READY with defaults.
      await w.kv.put("test/kv-down", "1");
      let r = await w.fetch("/v1/flags/probe?default=false");
      assert.equal(r.status, 503);
      let b = await json(r);
      assert.deepEqual([b.status, b.value, b.errorCode], ["unreachable", false, "PROVIDER_NOT_READY"]);
      // A change while KV is down: 503 STORE_UNAVAILABLE, never a 500.
      const put = await w.admin("/v1/ruleset", { method: "PUT", body: JSON.stringify(doc(true)) });
      assert.equal(put.status, 503);
      assert.equal((await json(put)).error.code, "STORE_UNAVAILABLE");

      await w.kv.delete("test/kv-down");
      await seed(w.kv, doc(true), 1);
      r = await w.fetch("/v1/flags/probe");
      assert.equal(r.headers.get("x-edgeflags-stale"), null);
      assert.equal((await json(r)).value, true);

      await w.kv.put("test/kv-down", "1");
      r = await w.fetch("/v1/flags/probe");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("x-edgeflags-stale"), "unreachable");
      assert.equal(r.headers.get("x-edgeflags-version"), "1");
      assert.equal((await json(r)).value, true);
      b = await json(await w.admin("/v1/status"));
      assert.equal(b.stale, "unreachable");
      assert.match(b.problem, /unreachable/i);

      await w.kv.delete("test/kv-down");
      r = await w.fetch("/v1/flags/probe");
      assert.equal(r.headers.get("x-edgeflags-stale"), null);
      await r.arrayBuffer();
    }));
});

async function withWorkerFault(fn) {
  const w = await startWorker({}, { kvFault: true });
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}
