// The evaluation vectors (tests/vectors/evaluation/*.json, format in
// tests/vectors/README.md) through the built Worker over HTTP in workerd:
// each file's ruleset is stored in real local KV as a new version, then
// every case is POSTed to the single-flag endpoint with its context, its
// default (when it has one) and `at` = its `now` (default 0). The result's
// fields (value, variant, reason, ruleId, errorCode) must equal the case's
// `expect` exactly, the status must be 404 for FLAG_NOT_FOUND and 200
// otherwise, and `X-Active-Flags` must name the flag exactly when the case
// says it is `enabled`. Cases with `overrides` are skipped and counted: the
// Worker has no test overrides. A key no URL path can carry (the empty key)
// goes through the bulk endpoint instead, as a default naming it.
//
// The vectors' answers are the server's, so these requests carry the
// Worker's SERVER_KEY (server-only flags included). A second test checks
// the client view: what `GET /v1/ruleset` serves a browser, loaded into the
// npm package, gives every case on a client flag the same answer, and the
// public endpoint answers FLAG_NOT_FOUND for the server-only ones.
//
// Requests carry a `request.cf` without attributes (NO_CF): the Worker
// fills attributes a context lacks from it (country, ...), which the
// vectors' contexts mean to be absent.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { NO_CF, ROOT, json, seed, startWorker } from "./helpers.mjs";

const PKG = join(ROOT, "pkg/dist/node.mjs");
if (!existsSync(PKG)) throw new Error("pkg/dist/node.mjs is missing: run scripts/build-pkg.sh");
const { Flags } = await import(pathToFileURL(PKG).href);
const SERVER_KEY = "test-server-key";
const SERVER = { Authorization: `Bearer ${SERVER_KEY}` };

const DIR = join(ROOT, "tests/vectors/evaluation");
if (!existsSync(DIR)) throw new Error(`${DIR} is missing (the evaluation vectors, tests/vectors/README.md)`);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => join(DIR, f));
const suites = files.map((path) => ({ path, ...JSON.parse(readFileSync(path, "utf8")) }));
const RESULT_FIELDS = ["value", "variant", "reason", "ruleId", "errorCode"];

/** The result fields of a Worker answer (no envelope), absent ones left out. */
function resultOf(body) {
  const out = {};
  for (const k of RESULT_FIELDS) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

/** Whether `X-Active-Flags` lists `key`. */
function activeIn(res, key) {
  const header = res.headers.get("X-Active-Flags");
  return header ? header.split(",").includes(key) : false;
}

/** Runs `f` over `items`, `n` at a time. */
async function pool(items, n, f) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: n }, worker));
}

let w;
before(async () => {
  w = await startWorker({ SERVER_KEY });
});
after(() => w?.close());

test("every evaluation vector through the Worker", async () => {
  const failures = [];
  let run = 0;
  let skipped = 0;
  let version = 0;
  for (const suite of suites) {
    const file = suite.path.slice(ROOT.length + 1);
    await seed(w.kv, suite.ruleset, ++version);
    const cases = suite.cases.filter((c) => c.overrides === undefined);
    skipped += suite.cases.length - cases.length;
    run += cases.length;
    await pool(cases, 8, async (c) => {
      const body = { context: c.context ?? {}, at: c.now ?? 0 };
      const where = `${file}: ${c.name}`;
      let res;
      let got;
      if (c.flag === "") {
        body.defaults = { "": c.default ?? null };
        res = await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify(body), cf: NO_CF, headers: SERVER });
        const all = await json(res);
        got = { key: "", version: all.version, ...all.flags?.[""] };
        if (res.status !== 200) failures.push(`${where}: status ${res.status}: ${JSON.stringify(all)}`);
      } else {
        if ("default" in c) body.default = c.default;
        res = await w.fetch(`/v1/flags/${encodeURIComponent(c.flag)}`, { method: "POST", body: JSON.stringify(body), cf: NO_CF, headers: SERVER });
        got = await json(res);
        const wantStatus = c.expect.errorCode === "FLAG_NOT_FOUND" ? 404 : 200;
        if (res.status !== wantStatus) failures.push(`${where}: status ${res.status}, want ${wantStatus}: ${JSON.stringify(got)}`);
      }
      try {
        assert.deepStrictEqual(resultOf(got), c.expect);
      } catch {
        failures.push(`${where}: got ${JSON.stringify(resultOf(got))}, want ${JSON.stringify(c.expect)}`);
      }
      const unknown = Object.keys(got).filter((k) => !["key", "version", "error", ...RESULT_FIELDS].includes(k));
      if (unknown.length) failures.push(`${where}: unexpected members ${unknown.join(", ")}`);
      if (got.key !== c.flag || got.version !== version) failures.push(`${where}: envelope ${JSON.stringify({ key: got.key, version: got.version })}`);
      if (activeIn(res, c.flag) !== c.enabled) {
        failures.push(`${where}: X-Active-Flags ${JSON.stringify(res.headers.get("X-Active-Flags"))}, enabled should be ${c.enabled}`);
      }
    });
  }
  console.log(`evaluation vectors through the Worker: ${run} run, ${skipped} skipped (overrides), from ${suites.length} file(s)`);
  assert.ok(run >= 500, `only ${run} cases were run`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${run} cases failed`);
});

test("the client view: a browser's package gives the server's answers, and server-only flags stay on the server", async () => {
  const failures = [];
  let onClient = 0;
  let serverOnly = 0;
  let version = 100;
  for (const suite of suites) {
    const file = suite.path.slice(ROOT.length + 1);
    await seed(w.kv, suite.ruleset, ++version);
    const res = await w.fetch("/v1/ruleset");
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get("etag"), `"${version}"`);
    const view = await json(res);
    assert.equal(view.routes, undefined, `${file}: routes in the client view`);
    const clientKeys = new Set(Object.keys(view.flags));
    const cases = suite.cases.filter((c) => c.overrides === undefined && c.flag !== "");
    for (const c of cases) {
      const where = `${file}: ${c.name}`;
      const full = suite.ruleset.flags?.[c.flag];
      const isServerOnly = full !== undefined && full !== null && typeof full === "object" && !Array.isArray(full) && full.client === false;
      if (isServerOnly) {
        serverOnly++;
        if (clientKeys.has(c.flag)) failures.push(`${where}: server-only flag in the client view`);
        const pub = await w.fetch(`/v1/flags/${encodeURIComponent(c.flag)}`, { method: "POST", body: JSON.stringify({ context: c.context ?? {}, at: c.now ?? 0 }), cf: NO_CF });
        const b = await json(pub);
        if (pub.status !== 404 || b.errorCode !== "FLAG_NOT_FOUND") failures.push(`${where}: public answer ${pub.status} ${JSON.stringify(b)}`);
        continue;
      }
      onClient++;
      const pkg = new Flags(view, { now: () => c.now ?? 0 });
      try {
        const got = pkg.evaluate(c.flag, c.context ?? {}, "default" in c ? c.default : null);
        assert.deepStrictEqual(resultOf(got), c.expect);
      } catch (e) {
        failures.push(`${where}: ${e.message.split("\n").slice(0, 6).join(" ")}`);
      } finally {
        pkg.free();
      }
    }
  }
  console.log(`client view: ${onClient} cases on client flags, ${serverOnly} on server-only flags`);
  assert.ok(onClient >= 500 && serverOnly >= 1, `${onClient} / ${serverOnly}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failed`);
});
