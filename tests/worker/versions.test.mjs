// Changes that lose nothing: every accepted change is a new immutable
// version plus a pointer move (in the control object, then published to
// KV); versions can be listed, read and rolled back to (itself a new
// version); each change has an audit entry; flag edits
// (kill/unkill/enable/disable/percentage) work without re-sending the
// ruleset; the store numbers versions itself. control.test.mjs has the
// concurrency, publish-retry and migration tests.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exampleText, json, keys, putRuleset, seed, startWorker } from "./helpers.mjs";

const small = (extra = {}) => ({
  flags: { a: true, b: { percentage: 0 }, exp: { variants: { x: 1, y: 2 }, default_variant: "x", split: [["x", 50], ["y", 50]] }, ...extra },
});

describe("versions, rollback, audit", () => {
  let w;
  before(async () => {
    w = await startWorker({ ADMIN_TOKENS: "alice:alice-token" });
  });
  after(() => w?.close());

  test("the first PUT is version 1; the uploaded version field is replaced", async () => {
    const r = await putRuleset(w, { ...small(), version: 999 });
    assert.equal(r.status, 200);
    const b = await json(r);
    assert.equal(b.version, 1);
    assert.equal(b.previous, 0);
    assert.equal(r.headers.get("etag"), '"1"');
    const doc = await json(await w.admin("/v1/versions/current"));
    assert.equal(doc.version, 1);
    // Published to KV as documented: immutable entry + pointer.
    assert.equal(b.published, true);
    assert.equal(JSON.parse(await w.kv.get(keys.pointer)).version, 1);
    assert.equal(JSON.parse(await w.kv.get(keys.version(1))).version, 1);
  });

  test("each change is a new version; old ones stay readable", async () => {
    const r2 = await putRuleset(w, small({ c: false }));
    assert.equal((await json(r2)).version, 2);
    const v1 = await json(await w.admin("/v1/versions/1"));
    assert.equal(v1.flags.c, undefined);
    const v2r = await w.admin("/v1/versions/2");
    assert.equal(v2r.headers.get("etag"), '"2"');
    assert.equal((await json(v2r)).flags.c, false);
    const cur = await w.fetch("/v1/ruleset");
    assert.equal(cur.headers.get("etag"), '"2"');
    await cur.arrayBuffer();
    const missing = await w.admin("/v1/versions/99");
    assert.equal(missing.status, 404);
    assert.equal((await json(missing)).error.code, "VERSION_NOT_FOUND");
  });

  test("flag edits: kill, unkill, enable, disable, percentage", async () => {
    const ev = async (key, user = "u1") => json(await w.fetch(`/v1/flags/${key}?user_id=${user}`));
    assert.equal((await ev("a")).value, true);

    let r = await w.admin("/v1/flags/a/kill", { method: "POST" });
    assert.equal(r.status, 200);
    let b = await json(r);
    assert.equal(b.version, 3);
    assert.deepEqual(b.audit.edits, [{ killed: true }]);
    assert.deepEqual([(await ev("a")).value, (await ev("a")).reason], [false, "DISABLED"]);

    r = await w.admin("/v1/flags/a/unkill", { method: "POST" });
    assert.equal((await json(r)).version, 4);
    assert.equal((await ev("a")).value, true);

    r = await w.admin("/v1/flags/a/disable", { method: "POST" });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal((await ev("a")).value, false);
    r = await w.admin("/v1/flags/a/enable", { method: "POST" });
    await r.arrayBuffer();
    assert.equal((await ev("a")).value, true);

    // Percentage 0 -> 100: everyone with a user id is in.
    assert.equal((await ev("b")).value, false);
    r = await w.admin("/v1/flags/b", { method: "PATCH", body: JSON.stringify({ percentage: 100 }) });
    assert.equal(r.status, 200);
    b = await json(r);
    assert.equal(b.action, "edit");
    for (const u of ["u1", "u2", "u3"]) assert.equal((await ev("b", u)).value, true);
    // Several fields at once, in the documented order (enabled, killed, percentage).
    r = await w.admin("/v1/flags/b", { method: "PATCH", body: JSON.stringify({ killed: true, percentage: 5 }) });
    assert.deepEqual((await json(r)).audit.edits, [{ killed: true }, { percentage: 5 }]);
    assert.equal((await ev("b")).reason, "DISABLED");
    const stored = await json(await w.admin("/v1/versions/current"));
    assert.equal(stored.flags.b.percentage, 5);
    assert.equal(stored.flags.b.killed, true);
  });

  test("flag edits that cannot apply: unknown flag 404, split flag 422, no ruleset 409", async () => {
    let r = await w.admin("/v1/flags/ghost/kill", { method: "POST" });
    assert.equal(r.status, 404);
    assert.equal((await json(r)).error.code, "FLAG_NOT_FOUND");
    r = await w.admin("/v1/flags/exp", { method: "PATCH", body: '{"percentage": 10}' });
    assert.equal(r.status, 422);
    assert.equal((await json(r)).error.code, "UNSUPPORTED_EDIT");
    const empty = await startWorker();
    try {
      const e = await empty.admin("/v1/flags/a/kill", { method: "POST" });
      assert.equal(e.status, 409);
      assert.equal((await json(e)).error.code, "NO_RULESET");
    } finally {
      await empty.close();
    }
  });

  test("rollback makes an old document current as a new version", async () => {
    const before = await json(await w.admin("/v1/versions"));
    const n = before.current;
    const r = await w.admin("/v1/versions/1/rollback", { method: "POST", headers: { Authorization: "Bearer alice-token" } });
    assert.equal(r.status, 200);
    const b = await json(r);
    assert.equal(b.version, n + 1);
    assert.equal(b.audit.restored, 1);
    assert.equal(b.audit.by, "alice");
    const doc = await json(await w.admin("/v1/versions/current"));
    const v1 = await json(await w.admin("/v1/versions/1"));
    assert.deepEqual(doc, { ...v1, version: n + 1 });
    const a = await json(await w.fetch("/v1/flags/a"));
    assert.equal(a.value, true);
    const nf = await w.admin("/v1/versions/77/rollback", { method: "POST" });
    assert.equal(nf.status, 404);
    assert.equal((await json(nf)).error.code, "VERSION_NOT_FOUND");
  });

  test("GET /v1/versions and /v1/audit list every change, oldest first, paged", async () => {
    const v = await json(await w.admin("/v1/versions"));
    const n = v.current;
    assert.deepEqual(v.versions.map((x) => x.version), Array.from({ length: n }, (_, i) => i + 1));
    assert.equal(v.cursor, null);
    for (const x of v.versions) {
      assert.match(x.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
      assert.ok(["put", "edit", "rollback"].includes(x.action));
      assert.ok(["admin", "alice"].includes(x.by));
    }
    assert.deepEqual(v.versions.map((x) => x.action), ["put", "put", "edit", "edit", "edit", "edit", "edit", "edit", "rollback"]);
    const a = await json(await w.admin("/v1/audit"));
    assert.equal(a.entries.length, n);
    assert.deepEqual(a.entries.map((e) => e.version), v.versions.map((x) => x.version));
    assert.deepEqual(a.entries.map((e) => e.previous), v.versions.map((x) => x.version - 1));
    assert.equal(a.entries[2].flag, "a");
    assert.deepEqual(a.entries[2].edits, [{ killed: true }]);
    // Paging with limit and cursor covers the same list.
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const q = `/v1/versions?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await json(await w.admin(q));
      assert.ok(page.versions.length <= 4);
      seen.push(...page.versions.map((x) => x.version));
      cursor = page.cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, v.versions.map((x) => x.version));
  });
});

describe("the store's own safety nets", () => {
  // The store written by the KV-only Worker is imported by the control
  // object on first use (control.test.mjs has the full migration tests).
  test("a version KV holds above its pointer (a change that never became current) is kept: numbers go on after it, nothing overwritten", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, small(), 1);
      // Version 2 was written, but the pointer never moved to it.
      await w.kv.put(keys.version(2), JSON.stringify({ ...small({ theirs: true }), version: 2 }));
      const r = await putRuleset(w, small({ ours: true }));
      assert.equal(r.status, 200);
      const b = await json(r);
      assert.deepEqual([b.version, b.previous], [3, 1]);
      assert.equal(JSON.parse(await w.kv.get(keys.version(2))).flags.theirs, true);
      assert.equal((await json(await w.admin("/v1/versions/2"))).flags.theirs, true);
      assert.deepEqual((await json(await w.admin("/v1/versions"))).versions.map((v) => v.version), [1, 2, 3]);
      assert.equal(JSON.parse(await w.kv.get(keys.pointer)).version, 3);
      assert.equal(JSON.parse(await w.kv.get(keys.version(3))).flags.ours, true);
    } finally {
      await w.close();
    }
  });

  test("a lost pointer is recovered from the versions KV holds: numbers are never reused", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, small(), 1);
      await seed(w.kv, small({ c: true }), 2);
      await w.kv.delete(keys.pointer);
      const r = await putRuleset(w, exampleText());
      assert.equal(r.status, 200);
      const b = await json(r);
      assert.deepEqual([b.version, b.previous], [3, 2]);
      assert.equal(JSON.parse(await w.kv.get(keys.version(2))).flags.c, true);
      assert.equal(JSON.parse(await w.kv.get(keys.pointer)).version, 3);
    } finally {
      await w.close();
    }
  });
});
