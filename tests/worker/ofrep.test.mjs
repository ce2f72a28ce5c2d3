// OFREP (docs/openfeature.md) through the built Worker in workerd:
//
// - every evaluation vector (tests/vectors/evaluation/*.json) through
//   POST /ofrep/v1/evaluate/flags/{key} and as an item of the bulk answer
//   for the same context, the case's string user_id sent as OpenFeature's
//   targetingKey, its `now` as the `at` extension; reasons through the
//   documented mapping (PREREQUISITE_FAILED -> DEFAULT). Skipped and
//   counted: cases with test overrides (the Worker has none) and cases
//   whose answer is TYPE_MISMATCH (OFREP sends no default: the client SDK
//   decides a type mismatch);
// - the bucketing vectors with targetingKey = unit: OFREP, /v1 (user_id =
//   unit) and the spec's numbers agree;
// - the error contract, leniency, ETag/304, auth (Bearer and X-API-Key,
//   401/403 without a body), CORS, request.cf.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ADMIN, NO_CF, ROOT, exampleText, json, seed, startWorker } from "./helpers.mjs";

const SERVER_KEY = "test-server-key";
const READ_KEY = "test-read-key";
const ONE = (key) => `/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}`;
const BULK = "/ofrep/v1/evaluate/flags";
/** OpenFeature's reason for each core reason (src/openfeature.rs). */
const REASON = { PREREQUISITE_FAILED: "DEFAULT", OVERRIDE: "STATIC" };
const ofReason = (r) => REASON[r] ?? r;
/** The reasons OpenFeature's specification lists. */
const OF_REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "CACHED", "DISABLED", "UNKNOWN", "STALE", "ERROR"];

const suites = readdirSync(join(ROOT, "tests/vectors/evaluation"))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(ROOT, "tests/vectors/evaluation", f), "utf8")) }));
const bucketing = JSON.parse(readFileSync(join(ROOT, "tests/vectors/bucketing.json"), "utf8")).cases;

/** The case's context as an OpenFeature client sends it: a non-empty
 * string user_id becomes targetingKey (an empty one is no targeting key
 * in OpenFeature, so it stays an attribute). */
function ofContext(ctx = {}) {
  const out = { ...ctx };
  if (typeof out.user_id === "string" && out.user_id !== "") {
    out.targetingKey = out.user_id;
    delete out.user_id;
  }
  return out;
}

function post(w, path, body, headers = {}, extra = {}) {
  const text = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  return w.fetch(path, { method: "POST", body: text, headers: { "Content-Type": "application/json", ...headers }, cf: NO_CF, ...extra });
}

async function pool(items, n, f) {
  let next = 0;
  const run = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: n }, run));
}

/** Checks an evaluationSuccess body's shape (the openapi's schema). */
function successShape(b, where) {
  const problems = [];
  const keys = Object.keys(b).sort().join(",");
  if (keys !== "key,metadata,reason,value,variant") problems.push(`${where}: members ${keys}`);
  if (typeof b.key !== "string") problems.push(`${where}: key`);
  if (typeof b.variant !== "string") problems.push(`${where}: variant ${JSON.stringify(b.variant)}`);
  if (!OF_REASONS.includes(b.reason)) problems.push(`${where}: reason ${b.reason}`);
  if (!b.metadata || typeof b.metadata !== "object" || Object.values(b.metadata).some((v) => !["string", "number", "boolean"].includes(typeof v))) {
    problems.push(`${where}: metadata ${JSON.stringify(b.metadata)}`);
  }
  return problems;
}

describe("evaluation and bucketing vectors", () => {
  let w;
  before(async () => {
    w = await startWorker({ SERVER_KEY });
  });
  after(() => w?.close());

  test("every evaluation vector through OFREP, single and bulk", async () => {
    const failures = [];
    const skipped = { overrides: 0, typeMismatch: 0 };
    let run = 0;
    let viaTargetingKey = 0;
    let sent = 0;
    let version = 0;
    for (const suite of suites) {
      await seed(w.kv, suite.ruleset, ++version);
      const cases = suite.cases.filter((c) => {
        if (c.overrides !== undefined) return skipped.overrides++, false;
        if (c.expect.errorCode === "TYPE_MISMATCH") return skipped.typeMismatch++, false;
        return true;
      });
      run += cases.length;
      const bulks = new Map();
      const bulkFor = (c) => {
        const body = { context: ofContext(c.context), at: c.now ?? 0 };
        const k = JSON.stringify(body);
        if (!bulks.has(k)) {
          bulks.set(k, post(w, BULK, body, { Authorization: `Bearer ${SERVER_KEY}` }).then(async (r) => ({ status: r.status, etag: r.headers.get("etag"), body: await json(r) })));
        }
        return bulks.get(k);
      };
      await pool(cases, 8, async (c) => {
        const where = `${suite.file}: ${c.name}`;
        const context = ofContext(c.context);
        if ("targetingKey" in context) viaTargetingKey++;
        // Half the cases present the server key as X-API-Key.
        const auth = sent++ % 2 ? { Authorization: `Bearer ${SERVER_KEY}` } : { "X-API-Key": SERVER_KEY };
        const res = await post(w, ONE(c.flag), { context, at: c.now ?? 0 }, auth);
        const b = await json(res);
        const bulk = await bulkFor(c);
        if (bulk.status !== 200 || !bulk.etag) failures.push(`${where}: bulk ${bulk.status} ${bulk.etag}`);
        const item = bulk.body.flags?.find((f) => f.key === c.flag);
        if (c.expect.errorCode === "FLAG_NOT_FOUND") {
          if (res.status !== 404 || b.key !== c.flag || b.errorCode !== "FLAG_NOT_FOUND" || typeof b.errorDetails !== "string" || b.metadata?.version !== version) {
            failures.push(`${where}: ${res.status} ${JSON.stringify(b)}`);
          }
          if (item) failures.push(`${where}: an unknown flag in the bulk answer`);
          return;
        }
        const want = { key: c.flag, value: c.expect.value, reason: ofReason(c.expect.reason), variant: c.expect.variant, metadata: { version, ...(c.expect.ruleId ? { ruleId: c.expect.ruleId } : {}) } };
        const strip = (x) => x && { ...x, metadata: x.metadata && { version: x.metadata.version, ...(x.metadata.ruleId ? { ruleId: x.metadata.ruleId } : {}) } };
        if (res.status !== 200) failures.push(`${where}: status ${res.status} ${JSON.stringify(b)}`);
        failures.push(...successShape(b, where));
        try {
          assert.deepStrictEqual(strip(b), want);
        } catch {
          failures.push(`${where}: got ${JSON.stringify(b)}, want ${JSON.stringify(want)}`);
        }
        try {
          assert.deepStrictEqual(item, b);
        } catch {
          failures.push(`${where}: bulk item ${JSON.stringify(item)} != single ${JSON.stringify(b)}`);
        }
      });
    }
    console.log(
      `evaluation vectors through OFREP: ${run} run (${viaTargetingKey} with a targetingKey), skipped ${skipped.overrides} with overrides and ${skipped.typeMismatch} TYPE_MISMATCH (no default in OFREP)`,
    );
    assert.ok(run >= 1500, `only ${run} cases were run`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  });

  test("bucketing vectors: targetingKey = unit through OFREP, user_id = unit through /v1, and the spec agree", async () => {
    const flags = {};
    bucketing.forEach((c, i) => {
      flags[`roll_${i}`] = { salt: c.salt, percentage: c.percentage };
      flags[`exp_${i}`] = { salt: c.salt, variants: Object.fromEntries(c.weights.map(([n]) => [n, n])), default_variant: c.weights[0][0], split: c.weights };
    });
    await seed(w.kv, { flags }, 500);
    const failures = [];
    await pool([...bucketing.entries()], 8, async ([i, c]) => {
      for (const [key, want] of [[`roll_${i}`, c.in_rollout], [`exp_${i}`, c.variant]]) {
        const of = await json(await post(w, ONE(key), { context: { targetingKey: c.unit } }));
        const v1 = await json(await post(w, `/v1/flags/${key}`, { context: { user_id: c.unit } }));
        const got = key.startsWith("roll") ? of.value : of.variant;
        if (got !== want || of.reason !== "SPLIT" || of.value !== v1.value || of.variant !== v1.variant || of.reason !== v1.reason) {
          failures.push(`${key} ${JSON.stringify(c)}: OFREP ${JSON.stringify(of)}, /v1 ${JSON.stringify(v1)}`);
        }
      }
    });
    // The bulk answer for one unit gives every flag the same answers.
    const c = bucketing[0];
    const bulk = await json(await post(w, BULK, { context: { targetingKey: c.unit } }));
    assert.equal(bulk.flags.length, bucketing.length * 2);
    const roll = bulk.flags.find((f) => f.key === "roll_0");
    assert.equal(roll.value, c.in_rollout);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${bucketing.length * 2} disagree`);
    console.log(`bucketing vectors through OFREP: ${bucketing.length * 2} flags, each checked against /v1 and the spec`);
  });

  test("targetingKey wins over a user_id attribute; without one nothing is bucketed (never random)", async () => {
    await seed(w.kv, { flags: { half: { percentage: 50 } } }, 600);
    const inUnit = "u-in";
    const a = await json(await post(w, ONE("half"), { context: { targetingKey: inUnit, user_id: "someone-else" } }));
    const b = await json(await post(w, ONE("half"), { context: { targetingKey: inUnit } }));
    assert.deepEqual(a, b);
    const none = await json(await post(w, ONE("half"), { context: {} }));
    assert.equal(none.reason, "DEFAULT");
    assert.equal(none.value, false);
    // An empty targetingKey is none; a user_id attribute then counts.
    const viaAttr = await json(await post(w, ONE("half"), { context: { targetingKey: "", user_id: inUnit } }));
    assert.deepEqual(viaAttr, b);
  });
});

describe("the error contract and leniency", () => {
  let w;
  before(async () => {
    w = await startWorker({ SERVER_KEY });
    await seed(w.kv, exampleText(), 1);
  });
  after(() => w?.close());

  const failureShape = (b, key) => {
    assert.equal(typeof b.errorCode, "string");
    assert.equal(typeof b.errorDetails, "string");
    if (key === undefined) assert.equal("key" in b, false, "bulk failures carry no key");
    else assert.equal(b.key, key);
  };

  test("400 PARSE_ERROR: not JSON, not an object, not UTF-8, a bad `at`", async () => {
    for (const body of ["{", "[1]", '"x"', new Uint8Array([0x7b, 0xff, 0x7d]), '{"at": "tomorrow"}']) {
      for (const [path, key] of [[ONE("new_search"), "new_search"], [BULK, undefined]]) {
        const r = await post(w, path, body);
        const b = await json(r);
        assert.equal(r.status, 400, `${path} ${body}`);
        assert.equal(b.errorCode, "PARSE_ERROR", JSON.stringify(b));
        failureShape(b, key);
        assert.match(r.headers.get("content-type"), /^application\/json/);
      }
    }
  });

  test("400 INVALID_CONTEXT: a context that is not an object, a targetingKey that is not a string, too many attributes, too large", async () => {
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`a${i}`, i]));
    const bodies = [{ context: [1] }, { context: "user:1" }, { context: 7 }, { context: { targetingKey: 42 } }, { context: { targetingKey: {} } }, { context: many }, { context: { big: "x".repeat(300 * 1024) } }];
    for (const body of bodies) {
      for (const [path, key] of [[ONE("new_search"), "new_search"], [BULK, undefined]]) {
        const r = await post(w, path, body);
        const b = await json(r);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(b.errorCode, "INVALID_CONTEXT", JSON.stringify(b));
        failureShape(b, key);
      }
    }
    // At the limit: 1000 members, the targeting key counted (it is user_id).
    const full = { ...Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`a${i}`, i])), targetingKey: "u" };
    assert.equal((await post(w, ONE("new_search"), { context: full })).status, 200);
    const over = await json(await post(w, ONE("new_search"), { context: { ...full, a999: 1 } }));
    assert.equal(over.errorCode, "INVALID_CONTEXT");
  });

  test("404 FLAG_NOT_FOUND, and server-only flags do not exist for public callers", async () => {
    const r = await post(w, ONE("no_such_flag"), { context: {} });
    const b = await json(r);
    assert.equal(r.status, 404);
    assert.deepEqual(b, { key: "no_such_flag", errorCode: "FLAG_NOT_FOUND", errorDetails: 'flag "no_such_flag" was not found', metadata: { version: 1 } });
    const example = JSON.parse(exampleText());
    const serverOnly = Object.keys(example.flags).filter((k) => example.flags[k]?.client === false);
    assert.ok(serverOnly.length > 0, "the example has server-only flags");
    for (const k of serverOnly) {
      const pub = await post(w, ONE(k), { context: { targetingKey: "u" } });
      assert.equal(pub.status, 404);
      assert.deepEqual(await json(pub), { key: k, errorCode: "FLAG_NOT_FOUND", errorDetails: `flag "${k}" was not found`, metadata: { version: 1 } });
      const srv = await post(w, ONE(k), { context: { targetingKey: "u" } }, { "X-API-Key": SERVER_KEY });
      assert.equal(srv.status, 200, k);
    }
    const pubBulk = await json(await post(w, BULK, { context: {} }));
    const srvBulk = await json(await post(w, BULK, { context: {} }, { Authorization: `Bearer ${SERVER_KEY}` }));
    const keys = (b) => b.flags.map((f) => f.key);
    assert.deepEqual(keys(srvBulk), Object.keys(example.flags));
    assert.deepEqual(keys(pubBulk), Object.keys(example.flags).filter((k) => !serverOnly.includes(k)));
    // Owners, descriptions and tags are for server callers only.
    assert.ok(pubBulk.flags.every((f) => Object.keys(f.metadata).every((m) => ["version", "ruleId"].includes(m))));
    assert.ok(srvBulk.flags.some((f) => "description" in f.metadata || "owner" in f.metadata || "tags" in f.metadata));
  });

  test("500 PROVIDER_NOT_READY when no ruleset was ever published, with Retry-After", async () => {
    const empty = await startWorker();
    try {
      for (const [path, key] of [[ONE("x"), "x"], [BULK, undefined]]) {
        const r = await post(empty, path, { context: {} });
        const b = await json(r);
        assert.equal(r.status, 500);
        assert.equal(b.errorCode, "PROVIDER_NOT_READY");
        failureShape(b, key);
        assert.equal(r.headers.get("retry-after"), "5");
      }
    } finally {
      await empty.close();
    }
  });

  test("405 and unknown OFREP paths (never proxied)", async () => {
    const r = await w.fetch(ONE("new_search"), { method: "GET" });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "POST, OPTIONS");
    failureShape(await json(r), "new_search");
    for (const p of ["/ofrep", "/ofrep/v1", "/ofrep/v2/evaluate/flags", "/ofrep/v1/evaluate"]) {
      const x = await post(w, p, {});
      assert.equal(x.status, 404, p);
      assert.equal((await json(x)).errorCode, "GENERAL");
    }
  });

  test("leniency: {} and an empty body are an empty context, context null too, unknown members ignored, keys encoded or not", async () => {
    const want = await json(await post(w, ONE("new_dashboard"), { context: {} }));
    assert.equal(want.value, true);
    for (const body of ["{}", "", '{"context": null}', '{"context": {}, "future": {"x": 1}}']) {
      const r = await post(w, ONE("new_dashboard"), body);
      assert.equal(r.status, 200, body);
      assert.deepEqual(await json(r), want);
    }
    // A key sent without encoding reaches the same flag as an encoded one.
    await seed(w.kv, { flags: { "team:search.v2-beta": true } }, 2);
    const raw = await post(w, "/ofrep/v1/evaluate/flags/team:search.v2-beta", {});
    const enc = await post(w, "/ofrep/v1/evaluate/flags/team%3Asearch.v2-beta", {});
    assert.equal(raw.status, 200);
    assert.deepEqual(await json(raw), await json(enc));
    await seed(w.kv, exampleText(), 3);
  });
});

describe("ETag and 304", () => {
  let w;
  const bulk = (ctx, headers = {}, extra = {}) => post(w, BULK, extra.body ?? { context: ctx }, headers);
  before(async () => {
    w = await startWorker({ SERVER_KEY });
    await seed(w.kv, exampleText(), 1);
  });
  after(() => w?.close());

  test("a strong ETag; If-None-Match with it gets 304 without a body, whatever the order of the context", async () => {
    const r = await bulk({ targetingKey: "user:7", plan: "pro", country: "US" });
    const etag = r.headers.get("etag");
    assert.match(etag, /^"1-[0-9a-f]{32}"$/);
    assert.equal(r.status, 200);
    for (const ctx of [{ targetingKey: "user:7", plan: "pro", country: "US" }, { country: "US", plan: "pro", targetingKey: "user:7" }, { user_id: "user:7", plan: "pro", country: "US", gone: null }]) {
      const again = await bulk(ctx, { "If-None-Match": etag });
      assert.equal(again.status, 304, JSON.stringify(ctx));
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(await again.text(), "");
    }
    assert.equal((await bulk({ targetingKey: "user:7", plan: "pro", country: "US" }, { "If-None-Match": `"x", W/${etag}` })).status, 304);
  });

  test("a changed context, caller or version is a new ETag and a 200", async () => {
    const ctx = { targetingKey: "user:7", plan: "pro" };
    const etag = (await bulk(ctx)).headers.get("etag");
    for (const [c, h] of [[{ ...ctx, plan: "free" }, {}], [{ ...ctx, targetingKey: "user:8" }, {}], [ctx, { "X-API-Key": SERVER_KEY }]]) {
      const r = await bulk(c, { "If-None-Match": etag, ...h });
      assert.equal(r.status, 200);
      assert.notEqual(r.headers.get("etag"), etag);
    }
    await seed(w.kv, exampleText(), 2);
    const r = await bulk(ctx, { "If-None-Match": etag });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("etag"), /^"2-/);
  });

  test("flags with schedules: the ETag moves with their answers over time", async () => {
    await seed(w.kv, { flags: { ramp: { schedule: { type: "steps", start: "2026-01-01T00:00:00Z", steps: [[0, 0], [31, 100]] } }, plain: true } }, 10);
    const at = (t) => ({ body: { context: { targetingKey: "u1" }, at: t } });
    const jan = await bulk(null, {}, at("2026-01-15T00:00:00Z"));
    const janTag = jan.headers.get("etag");
    assert.equal((await json(jan)).flags.find((f) => f.key === "ramp").value, false);
    // Same step, later time: same answer, 304.
    assert.equal((await bulk(null, { "If-None-Match": janTag }, at("2026-01-20T00:00:00Z"))).status, 304);
    const feb = await bulk(null, { "If-None-Match": janTag }, at("2026-02-15T00:00:00Z"));
    assert.equal(feb.status, 200);
    assert.notEqual(feb.headers.get("etag"), janTag);
    assert.equal((await json(feb)).flags.find((f) => f.key === "ramp").value, true);
  });
});

describe("auth", () => {
  let w;
  before(async () => {
    w = await startWorker({ SERVER_KEY, READ_KEY });
    await seed(w.kv, exampleText(), 1);
  });
  after(() => w?.close());

  test("with a READ_KEY: 401 without a credential, 403 with a wrong one, both without a body", async () => {
    for (const path of [ONE("new_dashboard"), BULK]) {
      for (const [headers, status] of [[{}, 401], [{ Authorization: "Basic abc" }, 401], [{ Authorization: "Bearer nope" }, 403], [{ "X-API-Key": "nope" }, 403]]) {
        const r = await post(w, path, { context: {} }, headers);
        assert.equal(r.status, status, `${path} ${JSON.stringify(headers)}`);
        assert.equal(await r.text(), "", "no body");
      }
    }
  });

  test("every key works as Bearer or X-API-Key, with its privileges", async () => {
    for (const key of [READ_KEY, SERVER_KEY, ADMIN]) {
      for (const headers of [{ Authorization: `Bearer ${key}` }, { "X-API-Key": key }]) {
        const r = await post(w, ONE("new_dashboard"), { context: {} }, headers);
        assert.equal(r.status, 200, JSON.stringify(headers));
      }
    }
    const example = JSON.parse(exampleText());
    const serverOnly = Object.keys(example.flags).find((k) => example.flags[k]?.client === false);
    assert.equal((await post(w, ONE(serverOnly), {}, { "X-API-Key": READ_KEY })).status, 404);
    assert.equal((await post(w, ONE(serverOnly), {}, { "X-API-Key": SERVER_KEY })).status, 200);
    assert.equal((await post(w, ONE(serverOnly), {}, { Authorization: `Bearer ${ADMIN}` })).status, 200);
  });
});

describe("CORS and request.cf", () => {
  let w;
  before(async () => {
    w = await startWorker({ ALLOWED_ORIGINS: "https://app.example" });
    await seed(w.kv, { flags: { ca_only: { rules: [{ id: "ca", conditions: [{ attribute: "country", op: "eq", value: "CA" }], variant: "on" }] }, half: { percentage: 50 } } }, 1);
  });
  after(() => w?.close());

  test("preflight allows what the web provider sends; answers expose ETag", async () => {
    for (const path of [BULK, ONE("ca_only")]) {
      const pre = await w.fetch(path, {
        method: "OPTIONS",
        headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,if-none-match,x-api-key,authorization" },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
      assert.match(pre.headers.get("access-control-allow-methods"), /\bPOST\b/);
      const allowed = pre.headers.get("access-control-allow-headers").toLowerCase().split(/,\s*/);
      for (const h of ["content-type", "if-none-match", "x-api-key", "authorization"]) assert.ok(allowed.includes(h), h);
    }
    const r = await post(w, BULK, { context: {} }, { Origin: "https://app.example" });
    assert.equal(r.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(r.headers.get("access-control-expose-headers"), /\bETag\b/);
    assert.match(r.headers.get("vary"), /Origin/);
    const notModified = await post(w, BULK, { context: {} }, { Origin: "https://app.example", "If-None-Match": r.headers.get("etag") });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("access-control-allow-origin"), "https://app.example");
    const other = await post(w, BULK, { context: {} }, { Origin: "https://evil.example" });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  test("request.cf fills attributes the bulk context lacks (browsers); the single-flag endpoint (servers) takes the context as sent", async () => {
    const inCanada = { cf: { ...NO_CF, country: "CA" } };
    const bulkCa = await post(w, BULK, { context: {} }, {}, inCanada);
    assert.equal((await json(bulkCa)).flags.find((f) => f.key === "ca_only").value, true);
    const explicit = await json(await post(w, BULK, { context: { country: "US" } }, {}, inCanada));
    assert.equal(explicit.flags.find((f) => f.key === "ca_only").value, false);
    // The ETag covers what request.cf filled in.
    const fromUs = await post(w, BULK, { context: {} }, { "If-None-Match": bulkCa.headers.get("etag") }, { cf: { ...NO_CF, country: "US" } });
    assert.equal(fromUs.status, 200);
    const single = await json(await post(w, ONE("ca_only"), { context: {} }, {}, inCanada));
    assert.equal(single.value, false, "a server's request.cf is not its user's");
    assert.equal((await json(await post(w, ONE("ca_only"), { context: { country: "CA" } }, {}, inCanada))).value, true);
    const anon = await json(await post(w, ONE("half"), { context: {} }, { "X-User-Id": "user:1", Cookie: "ef_uid=user:1; ef_anon=abcdefgh-1234" }));
    assert.equal(anon.reason, "DEFAULT", "no unit: not bucketed");
    const anonBulk = await json(await post(w, BULK, { context: {} }, { "X-User-Id": "user:1", Cookie: "ef_uid=user:1; ef_anon=abcdefgh-1234" }));
    assert.equal(anonBulk.flags.find((f) => f.key === "half").reason, "DEFAULT");
  });
});
