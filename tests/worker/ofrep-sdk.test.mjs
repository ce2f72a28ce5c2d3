// The official OpenFeature SDKs, unmodified, against the Worker in workerd
// listening on 127.0.0.1:
//
// - Node: @openfeature/server-sdk with @openfeature/ofrep-provider;
// - Python: openfeature-sdk with openfeature-provider-ofrep
//   (scripts/setup.sh installs them), through tests/worker/ofrep_python.py,
//   which also runs the design notes' evaluate_flag / get_flag_variant
//   helpers on OpenFeature.
//
// Each resolves every evaluation vector it can (no test overrides; no
// flags with schedules, since an SDK evaluates at the clock's time) with
// the typed call for the value the case expects: value, variant and
// reason (OpenFeature's, docs/openfeature.md) must be the vector's, and
// flagMetadata.version the ruleset's. Then unknown flags (default +
// FLAG_NOT_FOUND), type mismatches (default + TYPE_MISMATCH), server-only
// flags per key, and auth failures (default + GENERAL).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { OpenFeature } from "@openfeature/server-sdk";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { ROOT, exampleText, json, seed, startWorker } from "./helpers.mjs";

const SERVER_KEY = "sdk-server-key";
const READ_KEY = "sdk-read-key";
const REASON = { PREREQUISITE_FAILED: "DEFAULT", OVERRIDE: "STATIC" };
const PYTHON = process.env.PYTHON ?? "python3";

const suites = readdirSync(join(ROOT, "tests/vectors/evaluation"))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(ROOT, "tests/vectors/evaluation", f), "utf8")) }));

/** Whether a flag's answer moves with time: it or a prerequisite has a schedule. */
function timed(ruleset, key, depth = 0) {
  const f = ruleset.flags?.[key];
  if (!f || typeof f !== "object" || depth > 16) return false;
  if (JSON.stringify(f).includes('"schedule"')) return true;
  return (f.prerequisites ?? []).some((p) => timed(ruleset, typeof p === "string" ? p : p.flag, depth + 1));
}

function ofContext(ctx = {}) {
  const out = { ...ctx };
  if (typeof out.user_id === "string" && out.user_id !== "") {
    out.targetingKey = out.user_id;
    delete out.user_id;
  }
  return out;
}

/** The typed call for a value, with a default of that type. */
function kindOf(v, python) {
  if (typeof v === "boolean") return ["boolean", false];
  if (typeof v === "string") return ["string", "__default__"];
  // The Worker writes whole numbers below 2^53 without a fraction (Python
  // reads an int), anything else as a float.
  if (typeof v === "number") return python ? (Number.isSafeInteger(v) && !Object.is(v, -0) ? ["integer", -12345] : ["float", -0.5]) : ["number", -12345];
  return ["object", { __default__: true }];
}

/** The runnable cases of every suite, with what an SDK should answer. */
function sdkCases(python) {
  const out = [];
  let skipped = 0;
  for (const suite of suites) {
    const cases = [];
    for (const c of suite.cases) {
      if (c.overrides !== undefined || c.expect.errorCode === "TYPE_MISMATCH" || timed(suite.ruleset, c.flag)) {
        skipped++;
        continue;
      }
      const notFound = c.expect.errorCode === "FLAG_NOT_FOUND";
      const [kind, dflt] = notFound ? kindOf(c.default ?? false, python) : kindOf(c.expect.value, python);
      let want;
      if (notFound) want = { value: dflt, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" };
      else if (python && c.expect.value === null) {
        // Python's provider type-checks null against (dict, list): a mismatch.
        want = { value: dflt, reason: "ERROR", errorCode: "TYPE_MISMATCH" };
      } else want = { value: c.expect.value, variant: c.expect.variant, reason: REASON[c.expect.reason] ?? c.expect.reason };
      cases.push({ name: c.name, flag: c.flag, context: ofContext(c.context), kind, default: dflt, want });
    }
    out.push({ suite, cases });
  }
  return { suites: out, skipped };
}

function check(where, got, want, version) {
  const problems = [];
  for (const k of ["value", "variant", "reason", "errorCode"]) {
    if (k in want) {
      try {
        assert.deepStrictEqual(got[k], want[k]);
      } catch {
        problems.push(`${where}: ${k} ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`);
      }
    } else if (k === "errorCode" && got.errorCode) {
      problems.push(`${where}: unexpected errorCode ${got.errorCode} (${got.errorMessage})`);
    }
  }
  if (!want.errorCode && got.flagMetadata?.version !== version) problems.push(`${where}: flagMetadata ${JSON.stringify(got.flagMetadata)}`);
  return problems;
}

/** Runs tests/worker/ofrep_python.py (asynchronously: the Worker answers
 * through this process's event loop). */
function python(url, key, spec) {
  const args = [join(ROOT, "tests/worker/ofrep_python.py"), url, ...(key ? [key] : [])];
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => p.kill(), 110_000);
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`ofrep_python.py exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out));
      } catch (e) {
        reject(new Error(`ofrep_python.py wrote no JSON (${e.message}): ${out.slice(0, 200)} ${err}`));
      }
    });
    p.stdin.end(JSON.stringify(spec));
  });
}

describe("official SDKs against the Worker", () => {
  let w;
  let client;
  const clientWith = async (domain, options) => {
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl: w.url, ...options }));
    return OpenFeature.getClient(domain);
  };
  before(async () => {
    w = await startWorker({ SERVER_KEY, READ_KEY }, { listen: true });
    client = await clientWith("server", { headers: [["X-API-Key", SERVER_KEY]] });
  });
  after(async () => {
    await OpenFeature.close();
    await w?.close();
  });

  test("Node: @openfeature/server-sdk + @openfeature/ofrep-provider resolve every vector", async () => {
    const { suites: runs, skipped } = sdkCases(false);
    const failures = [];
    let run = 0;
    let version = 0;
    for (const { suite, cases } of runs) {
      await seed(w.kv, suite.ruleset, ++version);
      for (const c of cases) {
        const method = { boolean: "getBooleanDetails", string: "getStringDetails", number: "getNumberDetails", object: "getObjectDetails" }[c.kind];
        const d = await client[method](c.flag, c.default, c.context);
        failures.push(...check(`${suite.file}: ${c.name}`, d, c.want, version));
        run++;
      }
    }
    console.log(`Node OFREP provider: ${run} vector cases resolved, ${skipped} skipped (overrides, TYPE_MISMATCH, schedules)`);
    assert.ok(run >= 1000, `only ${run}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  });

  test("Node: unknown flag, type mismatch, server-only flags per key, auth failures", async () => {
    await seed(w.kv, exampleText(), 100);
    const unknown = await client.getBooleanDetails("no_such_flag", true, { targetingKey: "u1" });
    assert.deepEqual([unknown.value, unknown.reason, unknown.errorCode], [true, "ERROR", "FLAG_NOT_FOUND"]);
    const mismatch = await client.getStringDetails("new_dashboard", "fallback", { targetingKey: "u1" });
    assert.deepEqual([mismatch.value, mismatch.reason, mismatch.errorCode], ["fallback", "ERROR", "TYPE_MISMATCH"]);
    const num = await client.getNumberDetails("max_upload_mb", 1, { targetingKey: "u1", plan: "enterprise" });
    assert.deepEqual([num.value, num.variant, num.reason, num.flagMetadata.ruleId], [1000, "huge", "TARGETING_MATCH", "enterprise"]);
    const obj = await client.getObjectDetails("search_ranking", {}, { targetingKey: "u1", tenant: "t1" });
    assert.equal(typeof obj.value, "object");
    assert.equal(obj.errorCode, undefined);

    const serverOnly = "checkout_experiment";
    const srv = await client.getStringDetails(serverOnly, "none", { targetingKey: "u1" });
    assert.equal(srv.errorCode, undefined);
    const reader = await clientWith("read", { headers: [["Authorization", `Bearer ${READ_KEY}`]] });
    const hidden = await reader.getStringDetails(serverOnly, "none", { targetingKey: "u1" });
    assert.deepEqual([hidden.value, hidden.errorCode], ["none", "FLAG_NOT_FOUND"]);
    assert.equal((await reader.getBooleanDetails("new_dashboard", false, {})).value, true);

    for (const [domain, headers] of [["nokey", []], ["badkey", [["X-API-Key", "wrong"]]]]) {
      const c = await clientWith(domain, { headers });
      const d = await c.getBooleanDetails("new_dashboard", false, { targetingKey: "u1" });
      assert.deepEqual([d.value, d.reason, d.errorCode], [false, "ERROR", "GENERAL"], domain);
    }
  });

  test("Python: openfeature-sdk + openfeature-provider-ofrep resolve every vector", async () => {
    const { suites: runs, skipped } = sdkCases(true);
    const failures = [];
    let run = 0;
    let version = 1000;
    for (const { suite, cases } of runs) {
      await seed(w.kv, suite.ruleset, ++version);
      const out = await python(w.url, SERVER_KEY, { queries: cases.map(({ flag, context, kind, default: d }) => ({ flag, context, kind, default: d })) });
      cases.forEach((c, i) => failures.push(...check(`${suite.file}: ${c.name}`, out.details[i], c.want, version)));
      run += cases.length;
    }
    console.log(`Python OFREP provider: ${run} vector cases resolved, ${skipped} skipped (overrides, TYPE_MISMATCH, schedules)`);
    assert.ok(run >= 1000, `only ${run}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  });

  test("Python: the design notes' evaluate_flag helper, errors and auth", async () => {
    await seed(w.kv, exampleText(), 2000);
    const users = Array.from({ length: 40 }, (_, i) => `user:${i}`);
    const out = await python(w.url, SERVER_KEY, {
      queries: [
        { kind: "boolean", flag: "no_such_flag", context: { targetingKey: "u1" }, default: true },
        { kind: "string", flag: "new_dashboard", context: { targetingKey: "u1" }, default: "fallback" },
        { kind: "integer", flag: "max_upload_mb", context: { targetingKey: "u1", plan: "enterprise" }, default: 1 },
        { kind: "object", flag: "search_ranking", context: { targetingKey: "u1", tenant: "t1" }, default: {} },
      ],
      helper: [...users.map((user) => ({ fn: "evaluate_flag", flag: "new_search", user })), { fn: "get_flag_variant", flag: "checkout_experiment", user: "user:1" }],
    });
    const [unknown, mismatch, num, obj] = out.details;
    assert.deepEqual([unknown.value, unknown.reason, unknown.errorCode], [true, "ERROR", "FLAG_NOT_FOUND"]);
    assert.deepEqual([mismatch.value, mismatch.reason, mismatch.errorCode], ["fallback", "ERROR", "TYPE_MISMATCH"]);
    assert.deepEqual([num.value, num.variant, num.reason, num.flagMetadata.ruleId], [1000, "huge", "TARGETING_MATCH", "enterprise"]);
    assert.equal(obj.errorCode, null);
    // The helper's answers are the Worker's own (raw OFREP, and /v1 with user_id).
    for (const [i, user] of users.entries()) {
      const raw = await json(
        await fetch(`${w.url}/ofrep/v1/evaluate/flags/new_search`, { method: "POST", headers: { "X-API-Key": READ_KEY }, body: JSON.stringify({ context: { targetingKey: user } }) }),
      );
      const v1 = await json(await fetch(`${w.url}/v1/flags/new_search?user_id=${encodeURIComponent(user)}`, { headers: { Authorization: `Bearer ${READ_KEY}` } }));
      assert.equal(out.helper[i], raw.value, user);
      assert.equal(raw.value, v1.value, user);
    }
    const expVariant = await json(
      await fetch(`${w.url}/ofrep/v1/evaluate/flags/checkout_experiment`, { method: "POST", headers: { "X-API-Key": SERVER_KEY }, body: JSON.stringify({ context: { targetingKey: "user:1" } }) }),
    );
    assert.equal(out.helper.at(-1), expVariant.value);
    assert.ok(out.helper.slice(0, users.length).some(Boolean) && !out.helper.slice(0, users.length).every(Boolean), "a 20% rollout splits 40 users");

    // Read key: the server-only flag does not exist; no key or a wrong key: the default, GENERAL.
    const q = [{ kind: "string", flag: "checkout_experiment", context: { targetingKey: "user:1" }, default: "none" }, { kind: "boolean", flag: "new_dashboard", context: {}, default: false }];
    const read = await python(w.url, READ_KEY, { queries: q });
    assert.deepEqual([read.details[0].value, read.details[0].errorCode], ["none", "FLAG_NOT_FOUND"]);
    assert.equal(read.details[1].value, true, "an empty context (the provider sends {})");
    for (const key of [undefined, "wrong"]) {
      const d = (await python(w.url, key, { queries: q })).details[1];
      assert.deepEqual([d.value, d.reason, d.errorCode], [false, "ERROR", "GENERAL"], String(key));
    }
  });
});
