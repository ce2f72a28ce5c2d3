// Shared set-up for the Worker tests: the built Worker (worker/build/, made
// by scripts/build-worker.sh) in the real Workers runtime through
// Miniflare's programmatic API, with an in-memory KV namespace seeded by
// each test and the store's control object (a Durable Object with SQLite
// storage, in memory). No ports: requests go through mf.dispatchFetch.
import assert from "node:assert/strict";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// CI clones the repository with shared/ beside it.
const BUILD = process.env.EDGEFLAGS_WORKER_BUILD ? resolve(process.env.EDGEFLAGS_WORKER_BUILD) : join(ROOT, "worker/build");
export const ADMIN = "test-admin-token";
export const BASE = "http://edge.test";

/** A `request.cf` that says nothing: pass it as `cf` to requests whose
 * context must stay as given. Miniflare merges a request's `cf` into its
 * placeholder (which has country "US", ...), and the Worker fills
 * attributes a context lacks from `request.cf`; nulls are skipped. */
export const NO_CF = Object.fromEntries(
  ["country", "continent", "region", "regionCode", "city", "postalCode", "metroCode", "timezone", "colo", "asn", "isEUCountry"].map((k) => [k, null]),
);

/** The example ruleset (every feature plus a route). */
export function exampleText() {
  return readFileSync(join(ROOT, "examples/ruleset.json"), "utf8");
}

/** Whether a build exports the control object (every build since the
 * store moved into it). Lets the store tests run against an older build
 * (EDGEFLAGS_WORKER_BUILD=<dir>) to show what they catch there. */
function exportsControl(dir) {
  const js = readFileSync(join(dir, "index.js"), "utf8");
  return /\bas Control\b|export (const|class) Control\b/.test(js);
}

/** Starts the Worker: its KV namespace FLAGS and its control object
 * (Durable Object class Control, SQLite storage, binding CONTROL), both
 * empty. `vars` adds to or overrides the defaults; with
 * `{ kvFault: true }` the Worker and the object run behind
 * tests/worker/kv-fault.mjs. `{ instances: n }` runs n copies of the
 * Worker (named edge0, edge1, ...) in one runtime, sharing the KV
 * namespace and the control object as deployed Workers in several
 * locations do: `w.instances[i]` has `fetch` and `admin` for each. With
 * `{ listen: true }` it also listens on a free port of 127.0.0.1 for
 * clients outside this process (the CLI): `url` is its origin. `cf` is
 * the `request.cf` of requests that arrive over that port (Miniflare's
 * option; default: its placeholder, country "US", ...): pass NO_CF to keep
 * browsers' contexts as sent. `scheduled()` runs the Worker's scheduled
 * handler once (the guard's every-minute tick). */
export async function startWorker(vars = {}, { kvFault = false, instances = 1, listen = false, cf = false, queueRetryDelay, queueMaxRetries = 10 } = {}) {
  for (const f of ["index.js", "index_bg.wasm"]) {
    if (!existsSync(join(BUILD, f))) throw new Error(`${BUILD}/${f} is missing: run scripts/build-worker.sh`);
  }
  const bindings = { ADMIN_TOKEN: ADMIN, REVALIDATE_SECONDS: "0", ALLOWED_ORIGINS: "", UNIT_HASH_KEY, ...vars };
  for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];
  const control = exportsControl(BUILD);
  const worker = (i) => ({
    ...(instances > 1 ? { name: `edge${i}` } : {}),
    modulesRoot: BUILD,
    modules: [
      // The first module is the entry point.
      ...(kvFault ? [{ type: "ESModule", path: join(BUILD, "kv-fault.mjs"), contents: readFileSync(join(ROOT, "tests/worker/kv-fault.mjs")) }] : []),
      { type: "ESModule", path: join(BUILD, "index.js") },
      { type: "CompiledWasm", path: join(BUILD, "index_bg.wasm") },
    ],
    compatibilityDate: "2025-09-01",
    // One namespace id: every instance sees the same KV.
    kvNamespaces: { FLAGS: "FLAGS" },
    // The events pipeline (wrangler.toml): every instance produces, the
    // first consumes; one D1 database, its schema from migrations/.
    queueProducers: { EVENTS: { queueName: EVENTS_QUEUE } },
    ...(i === 0
      ? {
          queueConsumers: {
            [EVENTS_QUEUE]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: queueMaxRetries, deadLetterQueue: `${EVENTS_QUEUE}-dlq`, ...(queueRetryDelay === undefined ? {} : { retryDelay: queueRetryDelay }) },
            [`${EVENTS_QUEUE}-dlq`]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 },
          },
        }
      : {}),
    d1Databases: { DB: "edgeflags-events" },
    // The dashboard's static files, as wrangler.toml's [assets] says (the
    // first instance; absent until scripts/build-dashboard.sh has run).
    ...(i === 0 && ASSETS ? { assets: ASSETS } : {}),
    // The first instance defines the object's class; the others bind to it.
    ...(control
      ? { durableObjects: { CONTROL: i === 0 ? { className: "Control", useSQLite: true } : { className: "Control", scriptName: "edge0", useSQLite: true } } }
      : {}),
    bindings,
  });
  const net = listen ? { host: "127.0.0.1", port: 0 } : {};
  const options =
    instances > 1 ? { workers: Array.from({ length: instances }, (_, i) => worker(i)), cf, ...net } : { ...worker(0), cf, ...net };
  const mf = new Miniflare(convertV4MiniflareOptions(options));
  const url = (await mf.ready).origin;
  const kv = await mf.getKVNamespace("FLAGS");
  const db = await mf.getD1Database("DB");
  await migrate(db);
  const client = (send) => {
    const fetch = (path, init = {}) => send(BASE + path, { redirect: "manual", ...init });
    const admin = (path, init = {}) =>
      fetch(path, { ...init, headers: { Authorization: `Bearer ${ADMIN}`, ...(init.headers ?? {}) } });
    return { fetch, admin };
  };
  const list = [];
  for (let i = 0; i < instances; i++) {
    if (i === 0) list.push(client((url, init) => mf.dispatchFetch(url, init)));
    else {
      const fetcher = await mf.getWorker(`edge${i}`);
      list.push(client((url, init) => fetcher.fetch(url, init)));
    }
  }
  // The Cron Trigger's run (wrangler.toml `[triggers]`): Miniflare does
  // not fire crons by itself; tests call this between traffic bursts.
  const scheduled = async (cron = "* * * * *") => (await mf.getWorker()).scheduled({ cron, scheduledTime: new Date() });
  return { mf, kv, db, url, ...list[0], instances: list, control, scheduled, close: () => mf.dispose() };
}

/** wrangler.toml's `[assets]` table (`directory`, `binding`,
 * `run_worker_first`) as Miniflare's `assets` option, or null when the
 * directory has not been built. Read from the file so the tests serve the
 * dashboard exactly as `wrangler dev` does. */
export function assetsConfig() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const table = /^\[assets\]\n((?:(?!\[).*\n)*)/m.exec(toml);
  if (!table) return null;
  const get = (k) => new RegExp(`^${k}\\s*=\\s*(.+)$`, "m").exec(table[1])?.[1].trim();
  const directory = join(ROOT, JSON.parse(get("directory")));
  if (!existsSync(directory)) return null;
  // has_user_worker: what wrangler derives from `main` being set.
  return {
    directory,
    binding: JSON.parse(get("binding")),
    run_worker_first: JSON.parse(get("run_worker_first") ?? "false"),
    routerConfig: { has_user_worker: true },
  };
}
const ASSETS = assetsConfig();

/** The events queue's name (wrangler.toml). */
export const EVENTS_QUEUE = "edgeflags-events";
/** The unit-hash key the tests' Worker has (UNIT_HASH_KEY). */
export const UNIT_HASH_KEY = "test-unit-hash-key-0123456789";

/** The statements of migrations/*.sql, in file order (what `wrangler d1
 * migrations apply` runs; tests/worker/events.test.mjs also applies them
 * with wrangler itself). */
export function migrationStatements() {
  const dir = join(ROOT, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((l) => !l.trim().startsWith("--"))
        .join("\n")
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean),
    );
}

async function migrate(db) {
  await db.batch(migrationStatements().map((s) => db.prepare(s)));
}

/** The documented KV layout (docs/worker.md), written directly: version n's
 * document plus the pointer. */
export const keys = {
  pointer: "ruleset/current",
  version: (n) => `ruleset/v/${String(n).padStart(10, "0")}`,
  audit: (n) => `audit/${String(n).padStart(10, "0")}`,
};

export async function seed(kv, doc, version = 1) {
  const obj = typeof doc === "string" ? JSON.parse(doc) : structuredClone(doc);
  obj.version = version;
  await kv.put(keys.version(version), JSON.stringify(obj));
  await kv.put(keys.pointer, JSON.stringify({ version }));
  return obj;
}

/** PUT a ruleset through the API; returns the response. */
export function putRuleset(w, doc, headers = {}) {
  const raw = typeof doc === "string" || doc instanceof Uint8Array || doc instanceof ReadableStream;
  const body = raw ? doc : JSON.stringify(doc);
  return w.admin("/v1/ruleset", { method: "PUT", body, headers: { "Content-Type": "application/json", ...headers } });
}

/** The shared bucketing vectors as a ruleset: per case `roll_<i>`, a
 * rollout of the case's percentage, and `exp_<i>`, a split of its weights,
 * both salted with its salt and bucketed by the attribute `tenant`. */
export function vectorRuleset(cases) {
  const flags = {};
  cases.forEach((c, i) => {
    flags[`roll_${i}`] = { salt: c.salt, bucket_by: "tenant", percentage: c.percentage };
    flags[`exp_${i}`] = {
      salt: c.salt,
      bucket_by: "tenant",
      variants: Object.fromEntries(c.weights.map(([name]) => [name, name])),
      default_variant: c.weights[0][0],
      split: c.weights,
    };
  });
  return { flags };
}

/** The spec's bucket (shared/spec/bucketing.md), computed here with node's
 * md5 as an independent reference. */
export function bucket(salt, unit) {
  const hex = createHash("md5").update(`${salt}:${unit}`, "utf8").digest("hex").slice(0, 8);
  return (parseInt(hex, 16) / 0xffffffff) * 100;
}

export async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${text.slice(0, 200)}`);
  }
}

/** The example ruleset without its schedules: the Worker reads its own
 * clock, so time-dependent flags could legitimately differ by a minute. */
export function untimedExample() {
  const doc = JSON.parse(readFileSync(join(ROOT, "examples/ruleset.json"), "utf8"));
  for (const flag of Object.values(doc.flags)) {
    if (flag && typeof flag === "object" && !Array.isArray(flag)) {
      for (const rule of flag.rules ?? []) {
        if (rule.schedule) {
          delete rule.schedule;
          rule.percentage = 30;
        }
      }
      if (flag.schedule) {
        delete flag.schedule;
        flag.percentage = 40;
      }
    }
  }
  return doc;
}

/** Deterministic varied contexts (a small LCG, no Math.random). */
export function contexts(n) {
  let s = 42;
  const r = (k) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % k;
  };
  const pick = (xs) => xs[r(xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const c = {};
    if (r(10) > 0) c.user_id = pick(["user:", "user-", "u", "qa-"]) + r(100000);
    if (r(2)) c.plan = pick(["free", "pro", "team", "enterprise"]);
    if (r(2)) c.country = pick(["US", "CA", "DE", "KP", "FR"]);
    if (r(3) === 0) c.email = pick(["a", "b", "ceo"]) + "@" + pick(["company.com", "example.org"]);
    if (r(3) === 0) c.app_version = `${r(6)}.${r(5)}.${r(3)}`;
    if (r(4) === 0) c.tenant_id = "tenant-" + r(50);
    if (r(5) === 0) c.beta = r(2) === 1;
    if (r(5) === 0) c.signup_date = `202${r(6)}-0${1 + r(9)}-1${r(9)}`;
    if (r(5) === 0) c.age_days = String(r(90));
    if (r(5) === 0) c.device = pick(["mobile-ios", "desktop", "mobile-android"]);
    if (r(6) === 0) c.user_agent = pick(["Safari/605", "Chrome/131"]);
    if (i % 97 === 0) c.groups = ["admin", "beta"];
    return c;
  });
}

/** OpenFeature's reason for each edgeflags reason: the contract of
 * docs/openfeature.md, written here from the OpenFeature spec as the tests'
 * independent reference (the code under test uses edgeflags::openfeature). */
export const OPENFEATURE_REASONS = Object.freeze({
  STATIC: "STATIC",
  DEFAULT: "DEFAULT",
  TARGETING_MATCH: "TARGETING_MATCH",
  SPLIT: "SPLIT",
  DISABLED: "DISABLED",
  ERROR: "ERROR",
  PREREQUISITE_FAILED: "DEFAULT",
  OVERRIDE: "STATIC",
});

/** Runs the operator's CLI (target/release/edgeflags) with stdin a pipe,
 * so never a terminal. `token: null` runs it without EDGEFLAGS_TOKEN;
 * `url` sets EDGEFLAGS_URL (unset when absent). Resolves
 * {code, stdout, stderr, json} (json: stdout parsed when --json). */
export function runCli(args, { token = ADMIN, input = "", url } = {}) {
  const env = { ...process.env };
  delete env.EDGEFLAGS_TOKEN;
  delete env.EDGEFLAGS_URL;
  if (token !== null) env.EDGEFLAGS_TOKEN = token;
  if (url !== undefined) env.EDGEFLAGS_URL = url;
  return new Promise((resolveRun, reject) => {
    const child = spawn(join(ROOT, "target/release/edgeflags"), args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let parsed = null;
      if (args.includes("--json")) {
        try {
          parsed = JSON.parse(stdout);
        } catch {
          parsed = null;
        }
      }
      resolveRun({ code, stdout, stderr, json: parsed });
    });
    // A CLI that exits without reading stdin closes it: not an error here.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** Waits (up to 30 s) until `sql` (one row, a column `n`) in the Worker's
 * D1 reads `want`, and asserts it: rows the queue consumer writes after
 * the responses (route metrics, outcomes, usage). */
export async function waitForD1(w, sql, want, what = sql) {
  const deadline = Date.now() + 30_000;
  let n;
  while (Date.now() < deadline) {
    n = (await w.db.prepare(sql).first()).n;
    if (n === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(n, want, what);
}

/** Waits until route_metrics counts `want` requests in all. */
export const waitRequests = (w, want) => waitForD1(w, "SELECT TOTAL(requests) AS n FROM route_metrics", want, "route metrics in D1");
