#!/usr/bin/env node
// OFREP conformance runner: points at any OFREP server and checks it
// against open-feature/protocol's service/openapi.yaml (OFREP 0.3.0) and
// against what the official providers need to work.
//
//   node scripts/ofrep-check.mjs URL [--key K] [--header "Name: value"]...
//        [--flag F]... [--context JSON] [--strict] [--json]
//
// URL is the server's base (the providers' baseUrl): the runner calls
// URL/ofrep/v1/evaluate/flags[/{key}]. --key K sends `Authorization: Bearer
// K` (use --header "X-API-Key: K" for the other scheme). --flag names flags
// to evaluate one by one (default: the first 20 of the bulk answer).
// --context is the evaluation context (default {"targetingKey":
// "ofrep-check-user"}). Each check prints PASS, WARN or FAIL; the exit code
// is 1 when any check fails (with --strict, also when one warns), 2 for
// usage errors. --json prints the report as one JSON object instead.
//
// What it checks (docs/openfeature.md, "Conformance runner"):
// - bulk: 200, JSON, `bulkEvaluationSuccess` (each item an
//   `evaluationSuccess` or an `evaluationFailure`), top-level metadata;
//   ETag: If-None-Match with it -> 304 without a body; another context
//   -> a 200 (or a different ETag);
// - single flag: 200 `evaluationSuccess` with the key asked for, and the
//   bulk answer's item for the same context agreeing with it;
// - unknown flag: 404 `flagNotFound` (key, FLAG_NOT_FOUND);
// - errors: body not JSON -> 400 PARSE_ERROR, context not an object ->
//   400 INVALID_CONTEXT (single: `evaluationFailure` with key and
//   errorCode; bulk: `bulkEvaluationFailure`); errorDetails present (the
//   Python provider reads it);
// - auth, when a credential is given: without it (and with a wrong one)
//   401 or 403, or a public server;
// - what official providers trip on: a missing `variant` (Python's
//   provider raises), reasons outside OpenFeature's list, `{}` as the body
//   (Python's provider for an empty context), CORS for browser providers.
//
// No dependencies beyond Node 18+ (global fetch).

const OFREP_REASONS = ["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN"];
// OpenFeature's resolution reasons (specification, "types"): the openapi's
// enum lists five of them; #20 ("Allow any reason") had made the field
// free-form, and a later docs update (#56) brought the enum back.
const OPENFEATURE_REASONS = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "CACHED", "DISABLED", "UNKNOWN", "STALE", "ERROR"];
const FAILURE_CODES = ["PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"];
const JSON_MIME = /application\/[^+]*[+]?(json);?.*/i; // the JS providers' test

function usage(msg) {
  if (msg) console.error(`ofrep-check: ${msg}`);
  console.error('usage: node scripts/ofrep-check.mjs URL [--key K] [--header "Name: value"]... [--flag F]... [--context JSON] [--strict] [--json]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { url: null, headers: [], flags: [], context: { targetingKey: "ofrep-check-user" }, strict: false, json: false, key: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--key") opts.key = next();
    else if (a === "--header") {
      const h = next();
      const at = h.indexOf(":");
      if (at < 1) usage(`--header wants "Name: value", not ${JSON.stringify(h)}`);
      opts.headers.push([h.slice(0, at).trim(), h.slice(at + 1).trim()]);
    } else if (a === "--flag") opts.flags.push(next());
    else if (a === "--context") {
      try {
        opts.context = JSON.parse(next());
      } catch (e) {
        usage(`--context is not JSON: ${e.message}`);
      }
    } else if (a === "--strict") opts.strict = true;
    else if (a === "--json") opts.json = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else if (opts.url === null) opts.url = a.replace(/\/+$/, "");
    else usage(`unexpected argument ${a}`);
  }
  if (!opts.url) usage("URL is required");
  try {
    new URL(opts.url);
  } catch {
    usage(`not a URL: ${opts.url}`);
  }
  if (opts.key) opts.headers.unshift(["Authorization", `Bearer ${opts.key}`]);
  return opts;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const type = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** `metadata`: an object whose values are booleans, strings or numbers. */
function metadataProblems(m, where) {
  if (m === undefined) return [];
  if (!isObject(m)) return [`${where}metadata is ${type(m)}, not an object`];
  return Object.entries(m)
    .filter(([, v]) => !["boolean", "string", "number"].includes(typeof v))
    .map(([k, v]) => `${where}metadata.${k} is ${type(v)}: values must be booleans, strings or numbers`);
}

/**
 * `evaluationSuccess`: key and reason required; value boolean, string,
 * number or object, or absent (`codeDefaultFlag`: use the code default).
 * The openapi's `oneOf` of value types cannot be applied literally
 * (`codeDefaultFlag` has no properties, so it matches every answer, and
 * integers are also floats): it is read as "one of these types".
 * Returns {fail: [...], warn: [...]}.
 */
function checkSuccess(b, where, wantKey) {
  const fail = [];
  const warn = [];
  if (!isObject(b)) return { fail: [`${where}the answer is ${type(b)}, not an object`], warn };
  if (typeof b.key !== "string") fail.push(`${where}key is ${type(b.key)}, required string`);
  else if (wantKey !== undefined && b.key !== wantKey) fail.push(`${where}key ${JSON.stringify(b.key)}, asked for ${JSON.stringify(wantKey)}`);
  if (typeof b.reason !== "string") fail.push(`${where}reason is ${type(b.reason)}, required string`);
  else if (!OFREP_REASONS.includes(b.reason)) {
    if (OPENFEATURE_REASONS.includes(b.reason)) warn.push(`${where}reason ${b.reason} is OpenFeature's but not in the openapi's enum (${OFREP_REASONS.join(", ")})`);
    else fail.push(`${where}reason ${JSON.stringify(b.reason)} is not an OpenFeature reason (Python's provider rejects it)`);
  }
  if ("variant" in b) {
    if (typeof b.variant !== "string") fail.push(`${where}variant is ${type(b.variant)}, not a string`);
  } else warn.push(`${where}no variant (optional in the openapi, but Python's official provider raises without one)`);
  if (!("value" in b)) warn.push(`${where}no value: codeDefaultFlag (clients use their default; older providers count it as an error)`);
  else if (!["boolean", "string", "number", "object"].includes(type(b.value))) {
    warn.push(`${where}value is ${type(b.value)}: not among the openapi's value types (boolean, string, integer, float, object)`);
  }
  if ("errorCode" in b) fail.push(`${where}a 200 answer with errorCode ${JSON.stringify(b.errorCode)}`);
  fail.push(...metadataProblems(b.metadata, where));
  return { fail, warn };
}

/** `evaluationFailure` / `flagNotFound`: key and errorCode required. */
function checkFailure(b, where, { codes, wantKey, keyRequired = true }) {
  const fail = [];
  const warn = [];
  if (!isObject(b)) return { fail: [`${where}the body is ${type(b)}, not a JSON object`], warn };
  if (keyRequired && typeof b.key !== "string") fail.push(`${where}no key (required; the JS providers reject error bodies without one)`);
  else if (keyRequired && wantKey !== undefined && b.key !== wantKey) fail.push(`${where}key ${JSON.stringify(b.key)}, asked for ${JSON.stringify(wantKey)}`);
  if (typeof b.errorCode !== "string") fail.push(`${where}no errorCode (required)`);
  else if (!codes.includes(b.errorCode)) fail.push(`${where}errorCode ${b.errorCode}, expected one of ${codes.join(", ")}`);
  if ("errorDetails" in b && typeof b.errorDetails !== "string") fail.push(`${where}errorDetails is ${type(b.errorDetails)}, not a string`);
  if (!("errorDetails" in b)) warn.push(`${where}no errorDetails (optional; Python's provider raises without it on a 400)`);
  fail.push(...metadataProblems(b.metadata, where));
  return { fail, warn };
}

class Report {
  constructor() {
    this.checks = [];
  }
  add(name, { fail = [], warn = [], info = [] } = {}) {
    const status = fail.length ? "FAIL" : warn.length ? "WARN" : "PASS";
    this.checks.push({ name, status, fail, warn, info });
  }
  counts() {
    const c = { PASS: 0, WARN: 0, FAIL: 0 };
    for (const x of this.checks) c[x.status]++;
    return c;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const bulkUrl = `${opts.url}/ofrep/v1/evaluate/flags`;
  const oneUrl = (k) => `${bulkUrl}/${encodeURIComponent(k)}`;
  const report = new Report();

  async function call(url, body, { headers = opts.headers, method = "POST" } = {}) {
    const h = new Headers([["Content-Type", "application/json; charset=utf-8"], ...headers]);
    const started = Date.now();
    let res;
    try {
      res = await fetch(url, { method, headers: h, body: method === "POST" ? (typeof body === "string" ? body : JSON.stringify(body)) : undefined, redirect: "manual" });
    } catch (e) {
      return { error: `${method} ${url}: ${e.cause?.message ?? e.message}` };
    }
    const text = await res.text();
    let json;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json, ms: Date.now() - started };
  }
  const jsonMime = (r) => JSON_MIME.test(r.headers.get("content-type") ?? "");
  const got = (r) => (r.error ? r.error : `${r.status} ${r.text.slice(0, 200)}`);

  // --- bulk
  const bulk = await call(bulkUrl, { context: opts.context });
  let bulkFlags = [];
  {
    const fail = [];
    const warn = [];
    if (bulk.error) fail.push(bulk.error);
    else if (bulk.status === 401 || bulk.status === 403) fail.push(`${bulk.status}: the server wants a credential (--key K or --header "X-API-Key: K")`);
    else if (bulk.status !== 200) fail.push(`status ${got(bulk)}, want 200`);
    else {
      if (!jsonMime(bulk)) fail.push(`Content-Type ${bulk.headers.get("content-type")}: the providers want application/json`);
      const b = bulk.json;
      if (!isObject(b)) fail.push(`body is not a JSON object: ${bulk.text.slice(0, 120)}`);
      else if (!Array.isArray(b.flags)) fail.push(`flags is ${type(b.flags)}, required array`);
      else {
        bulkFlags = b.flags;
        b.flags.forEach((item, i) => {
          const where = `flags[${i}]${isObject(item) && typeof item.key === "string" ? ` (${item.key})` : ""}: `;
          const r = isObject(item) && "errorCode" in item ? checkFailure(item, where, { codes: [...FAILURE_CODES, "FLAG_NOT_FOUND"] }) : checkSuccess(item, where);
          fail.push(...r.fail);
          warn.push(...r.warn);
        });
        const keys = b.flags.map((f) => f?.key);
        const dup = keys.filter((k, i) => keys.indexOf(k) !== i);
        if (dup.length) fail.push(`duplicate keys: ${[...new Set(dup)].join(", ")}`);
        fail.push(...metadataProblems(b.metadata, ""));
        if (b.eventStreams !== undefined) {
          if (!Array.isArray(b.eventStreams)) fail.push(`eventStreams is ${type(b.eventStreams)}, not an array`);
          else
            b.eventStreams.forEach((s, i) => {
              if (!isObject(s) || typeof s.type !== "string") fail.push(`eventStreams[${i}]: type is required`);
              else if (("url" in s) === ("endpoint" in s)) fail.push(`eventStreams[${i}]: exactly one of url and endpoint`);
            });
        }
      }
    }
    report.add("bulk evaluation: 200, bulkEvaluationSuccess", { fail, warn: summarize(warn), info: [`${bulkFlags.length} flags`] });
  }

  // --- ETag / 304
  if (bulk.status === 200) {
    const fail = [];
    const warn = [];
    const etag = bulk.headers.get("etag");
    if (!etag) warn.push("no ETag: clients cannot revalidate (the openapi documents ETag and If-None-Match for the bulk endpoint)");
    else {
      if (etag.startsWith("W/")) warn.push(`weak ETag ${etag}`);
      const again = await call(bulkUrl, { context: opts.context }, { headers: [...opts.headers, ["If-None-Match", etag]] });
      if (again.error) fail.push(again.error);
      else if (again.status !== 304) fail.push(`If-None-Match ${etag} with the same context: status ${again.status}, want 304`);
      else if (again.text !== "") fail.push(`304 with a body: ${again.text.slice(0, 80)}`);
      const other = await call(bulkUrl, { context: { ...opts.context, targetingKey: `${opts.context.targetingKey ?? "x"}-other`, ofrepCheck: Date.now() } }, { headers: [...opts.headers, ["If-None-Match", etag]] });
      if (!other.error && other.status === 304) warn.push("another context got a 304 for the first context's ETag: the ETag does not depend on the context");
    }
    report.add("bulk evaluation: ETag and If-None-Match -> 304 without a body", { fail, warn, info: etag ? [`ETag ${etag}`] : [] });
  }

  // --- single flags
  const byKey = new Map(bulkFlags.filter((f) => isObject(f) && typeof f.key === "string").map((f) => [f.key, f]));
  const keys = opts.flags.length ? opts.flags : [...byKey.keys()].slice(0, 20);
  {
    const fail = [];
    const warn = [];
    for (const k of keys) {
      const r = await call(oneUrl(k), { context: opts.context });
      const where = `${k}: `;
      if (r.error) {
        fail.push(r.error);
        continue;
      }
      if (r.status === 200) {
        if (!jsonMime(r)) fail.push(`${where}Content-Type ${r.headers.get("content-type")}`);
        const c = checkSuccess(r.json, where, k);
        fail.push(...c.fail);
        warn.push(...c.warn);
        const item = byKey.get(k);
        if (item && isObject(r.json)) {
          for (const f of ["value", "variant", "reason"]) {
            if (JSON.stringify(item[f]) !== JSON.stringify(r.json[f])) warn.push(`${where}${f} ${JSON.stringify(r.json[f])}, but the bulk answer for the same context says ${JSON.stringify(item[f])}`);
          }
        }
      } else if (r.status === 404 && opts.flags.length) {
        const c = checkFailure(r.json, where, { codes: ["FLAG_NOT_FOUND"], wantKey: k });
        fail.push(...c.fail, `${where}not found`);
      } else if ([400, 404, 500].includes(r.status)) {
        const c = checkFailure(r.json, where, { codes: [...FAILURE_CODES, "FLAG_NOT_FOUND"], wantKey: k });
        fail.push(...c.fail);
        warn.push(`${where}status ${r.status} ${r.json?.errorCode}`);
      } else fail.push(`${where}status ${got(r)}`);
    }
    if (!keys.length) warn.push("no flag to evaluate (the bulk answer is empty and no --flag was given)");
    report.add("single-flag evaluation: 200, evaluationSuccess, agrees with the bulk item", { fail, warn: summarize(warn), info: [`${keys.length} flags`] });
  }

  // --- unknown flag
  {
    const k = `ofrep-check-no-such-flag-${Date.now().toString(36)}`;
    const r = await call(oneUrl(k), { context: opts.context });
    const fail = [];
    let warn = [];
    if (r.error) fail.push(r.error);
    else if (r.status !== 404) fail.push(`status ${got(r)}, want 404`);
    else {
      const c = checkFailure(r.json, "", { codes: ["FLAG_NOT_FOUND"], wantKey: k });
      fail.push(...c.fail);
      warn = c.warn.filter((w) => !w.includes("errorDetails"));
      if (!("errorDetails" in (r.json ?? {}))) warn.push("no errorDetails (Python's provider shows the raw body instead)");
    }
    report.add("unknown flag: 404 flagNotFound {key, errorCode: FLAG_NOT_FOUND}", { fail, warn });
  }

  // --- error contract
  const k0 = keys[0] ?? "ofrep-check-flag";
  for (const [label, body, want] of [
    ["a body that is not JSON", '{"context": ', "PARSE_ERROR"],
    ["a context that is not an object", { context: "not-an-object" }, "INVALID_CONTEXT"],
  ]) {
    for (const [which, url, single] of [["single", oneUrl(k0), true], ["bulk", bulkUrl, false]]) {
      const r = await call(url, body);
      const fail = [];
      const warn = [];
      if (r.error) fail.push(r.error);
      else if (r.status !== 400) fail.push(`status ${got(r)}, want 400`);
      else {
        const c = checkFailure(r.json, "", { codes: FAILURE_CODES, wantKey: single ? k0 : undefined, keyRequired: single });
        fail.push(...c.fail);
        warn.push(...c.warn);
        if (r.json?.errorCode && r.json.errorCode !== want && FAILURE_CODES.includes(r.json.errorCode)) warn.push(`errorCode ${r.json.errorCode}; ${want} says what is wrong`);
      }
      report.add(`${which}: ${label} -> 400 ${want}`, { fail, warn });
    }
  }

  // --- leniency: Python's provider sends {} for an empty context
  {
    const r = await call(oneUrl(k0), "{}");
    const warn = [];
    if (r.error) warn.push(r.error);
    else if (r.status !== 200 && !(r.status === 404 && !keys.length)) warn.push(`{} (no context) answered ${got(r)}: Python's provider sends it for an empty context`);
    report.add("single: {} as the body (an empty context)", { warn });
  }

  // --- auth
  if (opts.headers.length) {
    for (const [label, headers] of [
      ["no credential", []],
      ["a wrong credential", [["Authorization", "Bearer ofrep-check-wrong-key"], ["X-API-Key", "ofrep-check-wrong-key"]]],
    ]) {
      const r = await call(bulkUrl, { context: opts.context }, { headers });
      const fail = [];
      const info = [];
      if (r.error) fail.push(r.error);
      else if (r.status === 200) info.push("200: the server is public");
      else if (r.status !== 401 && r.status !== 403) fail.push(`status ${got(r)}, want 401 or 403 (or 200 for a public server)`);
      else info.push(`${r.status}${r.text ? ` with a body of ${r.text.length} bytes` : ", no body"}`);
      report.add(`auth: ${label} -> 401/403`, { fail, info });
    }
  }

  // --- CORS for browser providers
  {
    const origin = "https://ofrep-check.example";
    let res;
    try {
      res = await fetch(bulkUrl, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,if-none-match,authorization,x-api-key" },
      });
    } catch (e) {
      res = null;
      report.add("CORS preflight (browser providers)", { warn: [`OPTIONS failed: ${e.message}`] });
    }
    if (res) {
      const allowOrigin = res.headers.get("access-control-allow-origin");
      const warn = [];
      const info = [];
      if (!allowOrigin) info.push(`no Access-Control-Allow-Origin for ${origin}: browsers on other origins cannot call it (fine for servers)`);
      else {
        const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
        for (const h of ["content-type", "if-none-match"]) if (!allowed.includes(h) && !allowed.includes("*")) warn.push(`preflight does not allow ${h}`);
        if (!/\bpost\b/i.test(res.headers.get("access-control-allow-methods") ?? "POST")) warn.push("preflight does not allow POST");
        const r = await call(bulkUrl, { context: opts.context }, { headers: [...opts.headers, ["Origin", origin]] });
        if (!r.error && !/\betag\b/i.test(r.headers.get("access-control-expose-headers") ?? "")) warn.push("ETag is not exposed (Access-Control-Expose-Headers): the web provider cannot send If-None-Match");
      }
      report.add("CORS preflight (browser providers)", { warn, info });
    }
  }

  print(report, opts);
  const c = report.counts();
  process.exit(c.FAIL || (opts.strict && c.WARN) ? 1 : 0);
}

/** At most 5 lines of one kind, then how many more. */
function summarize(lines) {
  return lines.length <= 5 ? lines : [...lines.slice(0, 5), `... and ${lines.length - 5} more`];
}

function print(report, opts) {
  const c = report.counts();
  if (opts.json) {
    console.log(JSON.stringify({ url: opts.url, ...c, checks: report.checks }, null, 2));
    return;
  }
  console.log(`OFREP conformance: ${opts.url} (open-feature/protocol service/openapi.yaml 0.3.0)`);
  for (const x of report.checks) {
    console.log(`${x.status.padEnd(4)}  ${x.name}`);
    for (const l of x.fail) console.log(`        fail: ${l}`);
    for (const l of x.warn) console.log(`        warn: ${l}`);
    for (const l of x.info) console.log(`        ${l}`);
  }
  console.log(`result: ${c.PASS} pass, ${c.WARN} warn, ${c.FAIL} fail`);
}

main().catch((e) => {
  console.error(`ofrep-check: ${e.stack ?? e}`);
  process.exit(2);
});
