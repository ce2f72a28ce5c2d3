// The store's one writer: every change goes through the control object (a
// Durable Object with SQLite storage), so an acknowledged change is never
// lost, a version number is never given twice, the audit log has one entry
// per change, and exactly one of the changes racing on the same If-Match
// wins; a KV publish that fails is retried by the object's alarm until KV
// holds the current version; a store written by the KV-only Worker is
// imported on first use, losing nothing.
//
// Everything is real: workerd, its Durable Object storage and alarms, its
// KV. The publish failures come from tests/worker/kv-fault.mjs, which
// wraps the FLAGS binding the Worker and the object are given.
//
// EDGEFLAGS_WORKER_BUILD=<dir> runs these tests against another build (an
// older one has no control object: the tests then show what it loses).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { json, keys, putRuleset, startWorker } from "./helpers.mjs";

const FLAGS = 25;
/** 25 rollout flags (kill and percentage both apply) and a boolean. */
function ruleset() {
  const flags = { plain: true };
  for (let i = 0; i < FLAGS; i++) flags[`f${i}`] = { percentage: 0 };
  return { flags };
}

/** The 50 edits: a kill on each of the 25 flags and a percentage on each
 * (so every flag is edited twice, by different requests), interleaved. */
function edits() {
  const out = [];
  for (let i = 0; i < FLAGS; i++) {
    out.push({ flag: `f${i}`, body: { killed: true } });
    out.push({ flag: `f${(i * 7) % FLAGS}`, body: { percentage: 10 + ((i * 7) % FLAGS) } });
  }
  return out;
}

const patch = (client, flag, body, headers = {}) =>
  client.admin(`/v1/flags/${flag}`, { method: "PATCH", body: JSON.stringify(body), headers });

async function allPages(w, path, field) {
  const items = [];
  let cursor = null;
  for (;;) {
    const page = await json(await w.admin(`${path}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    items.push(...page[field]);
    cursor = page.cursor;
    if (!cursor) return items;
  }
}

/** The current document: the object's (GET /v1/versions/current), or KV's
 * through /v1/ruleset on a build without it. */
async function currentDoc(w) {
  const r = await w.admin("/v1/versions/current");
  if (r.status === 200) return json(r);
  await r.arrayBuffer();
  return json(await w.fetch("/v1/ruleset"));
}

/** Sends the 50 edits at once, spread over `clients`, then checks that
 * every acknowledged one is in the final ruleset and in the history. */
async function fiftyEdits(w, clients, t) {
  assert.equal((await putRuleset(w, ruleset())).status, 200);
  const list = edits();
  const responses = await Promise.all(list.map((e, i) => patch(clients[i % clients.length], e.flag, e.body)));
  const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: await json(r) })));
  const ok = answers.map((a, i) => ({ ...a, edit: list[i] })).filter((a) => a.status === 200);
  const doc = await currentDoc(w);
  const lost = ok.filter(({ edit }) => {
    const f = doc.flags[edit.flag];
    return "killed" in edit.body ? f.killed !== true : f.percentage !== edit.body.percentage;
  });
  const versions = ok.map((a) => a.body.version);
  const distinct = new Set(versions);
  const audit = await allPages(w, "/v1/audit", "entries");
  const changes = audit.filter((e) => e.action === "edit");
  const auditCount = (v) => audit.filter((e) => e.version === v).length;
  const missing = ok.filter((a) => auditCount(a.body.version) !== 1);
  t.diagnostic(
    `${list.length} concurrent edits over ${clients.length} Worker instance(s): ${ok.length} acknowledged, ` +
      `${distinct.size} distinct version numbers, ${lost.length} acknowledged edits missing from the final ruleset, ` +
      `${missing.length} acknowledged versions without exactly one audit entry, ${changes.length} edit entries in the audit log`,
  );
  // Without If-Match nothing conflicts: every edit is applied.
  assert.deepEqual(answers.filter((a) => a.status !== 200).map((a) => [a.status, a.body.error?.code]), []);
  assert.equal(lost.length, 0, `lost: ${JSON.stringify(lost.map((l) => l.edit))}`);
  assert.equal(distinct.size, ok.length, "a version number given twice");
  assert.equal(missing.length, 0, "acknowledged versions without exactly one audit entry");
  // Numbers are contiguous: the PUT was 1, the 50 edits 2..51, in the
  // order the object applied them; each audit entry names its edit.
  assert.deepEqual([...versions].sort((a, b) => a - b), Array.from({ length: list.length }, (_, i) => i + 2));
  assert.deepEqual(audit.map((e) => e.version), Array.from({ length: list.length + 1 }, (_, i) => i + 1));
  for (const a of ok) {
    const entry = audit.find((e) => e.version === a.body.version);
    assert.equal(entry.flag, a.edit.flag);
    assert.deepEqual(entry.edits, [a.edit.body]);
    assert.equal(entry.previous, a.body.version - 1);
    assert.deepEqual(a.body.audit, entry);
  }
  assert.equal(doc.version, list.length + 1);
  // KV, the read path's copy, ends at the same version.
  assert.equal(JSON.parse(await w.kv.get(keys.pointer)).version, list.length + 1);
  assert.deepEqual(JSON.parse(await w.kv.get(keys.version(list.length + 1))), doc);
  return doc;
}

/** 20 PATCHes of one flag at once, all with If-Match of the current
 * version: exactly one wins, the others get 412 naming the new version. */
async function oneWinner(w, clients, t) {
  const cur = (await json(await w.admin("/v1/versions"))).current;
  const before = (await allPages(w, "/v1/audit", "entries")).length;
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, i) => patch(clients[i % clients.length], "plain", { enabled: i % 2 === 0 }, { "If-Match": `"${cur}"` })),
  );
  const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: await json(r) })));
  const wins = answers.filter((a) => a.status === 200);
  const conflicts = answers.filter((a) => a.status === 412);
  t.diagnostic(`20 PATCHes with If-Match "${cur}": ${wins.length} answered 200 (versions ${wins.map((a) => a.body.version).join(", ")}), ${conflicts.length} answered 412`);
  assert.equal(wins.length, 1);
  assert.equal(conflicts.length, 19);
  assert.equal(wins[0].body.version, cur + 1);
  for (const c of conflicts) {
    assert.equal(c.body.error.code, "VERSION_CONFLICT");
    assert.equal(c.body.current, cur + 1);
  }
  const audit = await allPages(w, "/v1/audit", "entries");
  assert.equal(audit.length, before + 1);
}

describe("one writer: concurrent changes through one Worker", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.close());

  test("50 concurrent edits across 25 flags, each flag edited twice: none lost, numbered once each, audited once each", (t) =>
    fiftyEdits(w, [w], t));

  test("20 concurrent PATCHes of one flag with the same If-Match: exactly one 200, the rest 412", (t) => oneWinner(w, [w], t));

  test("the isolate that made a change serves it at once", async () => {
    const r = await w.admin("/v1/flags/plain/disable", { method: "POST" });
    const b = await json(r);
    assert.equal(b.published, true);
    const ev = await w.fetch("/v1/flags/plain");
    assert.equal(ev.headers.get("x-edgeflags-version"), String(b.version));
    assert.equal((await json(ev)).value, false);
  });
});

describe("one writer: two Worker instances sharing the store", () => {
  let w;
  before(async () => {
    w = await startWorker({}, { instances: 2 });
  });
  after(() => w?.close());

  test("50 concurrent edits spread over both instances: none lost, numbered once each, audited once each", (t) =>
    fiftyEdits(w, w.instances, t));

  test("20 concurrent If-Match PATCHes spread over both instances: exactly one winner", (t) => oneWinner(w, w.instances, t));

  test("both instances serve the final version", async () => {
    const cur = (await json(await w.admin("/v1/versions"))).current;
    for (const c of w.instances) {
      const r = await c.fetch("/v1/flags/plain");
      assert.equal(r.headers.get("x-edgeflags-version"), String(cur));
      await r.arrayBuffer();
    }
  });
});

describe("the control object's endpoints", () => {
  let w;
  before(async () => {
    w = await startWorker({ ADMIN_TOKENS: "alice:alice-token" });
  });
  after(() => w?.close());

  test("GET /v1/versions/current: 404 before the first version, then the full document with its ETag, 304 when unchanged", async () => {
    let r = await w.admin("/v1/versions/current");
    assert.equal(r.status, 404);
    assert.equal((await json(r)).error.code, "NO_RULESET");
    await json(await putRuleset(w, ruleset()));
    r = await w.admin("/v1/versions/current");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("etag"), '"1"');
    assert.equal(r.headers.get("x-edgeflags-version"), "1");
    const doc = await json(r);
    assert.deepEqual(doc, { ...ruleset(), version: 1 });
    r = await w.admin("/v1/versions/current", { headers: { "If-None-Match": '"1"' } });
    assert.equal(r.status, 304);
    assert.equal(await r.text(), "");
    r = await w.fetch("/v1/versions/current");
    assert.equal(r.status, 401);
    await r.arrayBuffer();
  });

  test("the audit label is the token's: a client's own X-Edgeflags-By header is ignored", async () => {
    const r = await w.admin("/v1/flags/f1/kill", { method: "POST", headers: { Authorization: "Bearer alice-token", "X-Edgeflags-By": "mallory" } });
    assert.equal(r.status, 200);
    assert.equal((await json(r)).audit.by, "alice");
    const audit = await allPages(w, "/v1/audit", "entries");
    assert.equal(audit.at(-1).by, "alice");
  });

  test("listings page with an opaque cursor; a cursor it did not give is a 400", async () => {
    for (let i = 0; i < 3; i++) await (await w.admin(`/v1/flags/f${i}/enable`, { method: "POST" })).arrayBuffer();
    const all = await allPages(w, "/v1/versions", "versions");
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 10; i++) {
      const page = await json(await w.admin(`/v1/versions?limit=2${cursor ? `&cursor=${cursor}` : ""}`));
      seen.push(...page.versions);
      cursor = page.cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, all);
    const r = await w.admin("/v1/audit?cursor=banana");
    assert.equal(r.status, 400);
    assert.equal((await json(r)).error.code, "BAD_REQUEST");
  });
});

describe("a KV publish that fails is retried", () => {
  let w;
  before(async () => {
    w = await startWorker({}, { kvFault: true });
  });
  after(() => w?.close());

  const pointer = async () => JSON.parse((await w.kv.get(keys.pointer)) ?? "null")?.version ?? null;

  /** Polls KV's pointer until it names `version`, recording what it named. */
  async function waitForPointer(version, seen, ms = 30000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const p = await pointer();
      if (seen.at(-1) !== p) seen.push(p);
      if (p === version) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`KV's pointer never reached ${version} (saw ${seen.join(", ")})`);
  }

  test("the change is acknowledged, KV lags, the alarm publishes it (with back-off) and the pointer only moves forward", async () => {
    assert.equal((await json(await putRuleset(w, ruleset()))).published, true);
    assert.equal(await pointer(), 1);

    // The next two KV writes fail: the change's own publish and the first retry.
    await w.kv.put("test/kv-fail-puts", "2");
    const started = Date.now();
    const r = await w.admin("/v1/flags/f3/kill", { method: "POST" });
    assert.equal(r.status, 200);
    const b = await json(r);
    assert.equal(b.version, 2);
    assert.equal(b.published, false);
    // Committed in the object ...
    const listed = await json(await w.admin("/v1/versions"));
    assert.deepEqual([listed.current, listed.published], [2, 1]);
    assert.equal((await json(await w.admin("/v1/versions/current"))).flags.f3.killed, true);
    // ... served at once by the isolate that made it, KV still at 1.
    const ev = await w.fetch("/v1/flags/f3");
    assert.equal(ev.headers.get("x-edgeflags-version"), "2");
    assert.equal((await json(ev)).reason, "DISABLED");
    assert.equal(await pointer(), 1);
    assert.equal(await w.kv.get(keys.version(2)), null);

    const seen = [];
    await waitForPointer(2, seen);
    const waited = Date.now() - started;
    // Two failures in a row: retried after 1 s, then after 2 s more.
    assert.equal(await w.kv.get("test/kv-fail-puts"), "0");
    assert.ok(waited >= 2500, `published after ${waited} ms: the second retry waits for the back-off`);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(JSON.parse(await w.kv.get(keys.version(2))).flags.f3.killed, true);
    const after = await json(await w.admin("/v1/versions"));
    assert.deepEqual([after.current, after.published], [2, 2]);
  });

  test("changes made while KV fails are all published, the pointer at the newest, never moving back", async () => {
    await w.kv.put("test/kv-fail-puts", "3");
    const a = await json(await w.admin("/v1/flags/f4/kill", { method: "POST" }));
    const b = await json(await w.admin("/v1/flags/f5/kill", { method: "POST" }));
    assert.deepEqual([a.version, a.published, b.version, b.published], [3, false, 4, false]);
    const seen = [];
    await waitForPointer(4, seen);
    // Never 3 after 4, and 3's document is in KV too.
    assert.deepEqual(seen.filter((v) => v !== 2), [4]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await pointer(), 4);
    assert.equal(JSON.parse(await w.kv.get(keys.version(3))).version, 3);
    assert.equal(JSON.parse(await w.kv.get(keys.version(4))).flags.f5.killed, true);
  });

  test("an empty store with KV unreachable refuses changes with a generic 503 (it cannot know whether KV holds a store to import)", async () => {
    const e = await startWorker({}, { kvFault: true });
    try {
      await e.kv.put("test/kv-down", "1");
      const r = await putRuleset(e, ruleset());
      assert.equal(r.status, 503);
      const body = await json(r);
      assert.equal(body.error.code, "STORE_UNAVAILABLE");
      assert.doesNotMatch(JSON.stringify(body), /KV|ruleset\/|audit\/|Error|simulated|\.mjs|\.rs/);
      await e.kv.delete("test/kv-down");
      assert.equal((await putRuleset(e, ruleset())).status, 200);
    } finally {
      await e.close();
    }
  });
});

describe("migration from the KV-only layout", () => {
  /** What the KV-only Worker wrote for versions 1..3: documents with
   * metadata, audit entries (value and metadata), the pointer. */
  async function seedOldLayout(kv) {
    const docs = [];
    for (let v = 1; v <= 3; v++) {
      const doc = { ...ruleset(), version: v, description: `old ${v}` };
      const time = `2026-01-0${v}T00:00:00Z`;
      const action = v === 1 ? "seed" : "put";
      const by = v === 1 ? "seed-kv" : "ci";
      const meta = { version: v, time, action, by };
      const entry = { version: v, previous: v - 1, time, action, by };
      docs.push(doc);
      await kv.put(keys.version(v), JSON.stringify(doc), { metadata: meta });
      await kv.put(keys.audit(v), JSON.stringify(entry), { metadata: entry });
    }
    await kv.put(keys.pointer, JSON.stringify({ version: 3, updated: "2026-01-03T00:00:00Z" }));
    return docs;
  }

  test("versions 1..3 and their audit entries are imported, the next change is 4, nothing lost", async () => {
    const w = await startWorker();
    try {
      const docs = await seedOldLayout(w.kv);
      const r = await w.admin("/v1/flags/f0/kill", { method: "POST" });
      assert.equal(r.status, 200);
      const b = await json(r);
      assert.deepEqual([b.version, b.previous], [4, 3]);
      const versions = await allPages(w, "/v1/versions", "versions");
      assert.deepEqual(versions.map((v) => v.version), [1, 2, 3, 4]);
      assert.deepEqual(versions.slice(0, 3).map((v) => [v.action, v.by]), [["seed", "seed-kv"], ["put", "ci"], ["put", "ci"]]);
      const audit = await allPages(w, "/v1/audit", "entries");
      assert.deepEqual(audit.map((e) => e.version), [1, 2, 3, 4]);
      assert.deepEqual(audit[1], { version: 2, previous: 1, time: "2026-01-02T00:00:00Z", action: "put", by: "ci" });
      for (let v = 1; v <= 3; v++) {
        // Byte for byte as KV held it.
        assert.equal(await (await w.admin(`/v1/versions/${v}`)).text(), JSON.stringify(docs[v - 1]));
      }
      const cur = await json(await w.admin("/v1/versions/current"));
      assert.equal(cur.description, "old 3");
      assert.equal(cur.flags.f0.killed, true);
      assert.equal(JSON.parse(await w.kv.get(keys.pointer)).version, 4);
      // A rollback to an imported version works like any other.
      const rb = await json(await w.admin("/v1/versions/1/rollback", { method: "POST" }));
      assert.equal(rb.version, 5);
      assert.equal((await json(await w.admin("/v1/versions/current"))).description, "old 1");
    } finally {
      await w.close();
    }
  });

  test("changes racing on the first use: the import runs once, every change lands after it", async () => {
    const w = await startWorker({}, { instances: 2 });
    try {
      await seedOldLayout(w.kv);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => w.instances[i % 2].admin(`/v1/flags/f${i}/kill`, { method: "POST" })),
      );
      const bodies = await Promise.all(responses.map(json));
      assert.deepEqual(responses.map((r) => r.status), Array(10).fill(200));
      assert.deepEqual(bodies.map((b) => b.version).sort((a, b) => a - b), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
      const audit = await allPages(w, "/v1/audit", "entries");
      assert.deepEqual(audit.map((e) => e.version), Array.from({ length: 13 }, (_, i) => i + 1));
      const cur = await json(await w.admin("/v1/versions/current"));
      for (let i = 0; i < 10; i++) assert.equal(cur.flags[`f${i}`].killed, true);
    } finally {
      await w.close();
    }
  });

  test("versions written to KV while the object was stopped (scripts/seed-kv.sh FORCE=1) are adopted when it starts again", async () => {
    const w = await startWorker();
    try {
      await seedOldLayout(w.kv);
      assert.equal((await json(await w.admin("/v1/flags/f0/kill", { method: "POST" }))).version, 4);
      // The object stops (as at the end of `wrangler dev`), and a seed adds version 5 to KV.
      // (The unnamed single Worker is "" to Miniflare.)
      await w.mf.unsafeEvictDurableObject("", "Control", { name: "control" });
      const seeded = { ...ruleset(), version: 5, description: "seeded" };
      await w.kv.put(keys.version(5), JSON.stringify(seeded), { metadata: { version: 5, time: "2026-02-01T00:00:00Z", action: "seed", by: "seed-kv" } });
      await w.kv.put(keys.audit(5), JSON.stringify({ version: 5, previous: 4, time: "2026-02-01T00:00:00Z", action: "seed", by: "seed-kv" }));
      await w.kv.put(keys.pointer, JSON.stringify({ version: 5 }));
      const b = await json(await w.admin("/v1/flags/f1/kill", { method: "POST" }));
      assert.deepEqual([b.version, b.previous], [6, 5]);
      const audit = await allPages(w, "/v1/audit", "entries");
      assert.deepEqual(audit.map((e) => [e.version, e.action]), [[1, "seed"], [2, "put"], [3, "put"], [4, "edit"], [5, "seed"], [6, "edit"]]);
      const cur = await json(await w.admin("/v1/versions/current"));
      assert.equal(cur.description, "seeded");
      assert.equal(cur.flags.f1.killed, true);
    } finally {
      await w.close();
    }
  });
});
