// The npm package's OpenFeature providers (edgeflags/openfeature) against
// the Worker in workerd: kept in sync with its `GET /v1/ruleset` (a PUT
// reaches them as PROVIDER_CONFIGURATION_CHANGED), and agreeing with its
// `/v1/flags` answers for the same contexts (the context given to the
// providers as OpenFeature's targetingKey, the Worker's reasons mapped
// through OpenFeature's table). The OFREP endpoints are compared by their
// own tests once they exist (docs/openfeature-package.md).
//
// Needs pkg/dist (scripts/build-pkg.sh; scripts/test-worker.sh builds it).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as server from "@openfeature/server-sdk";
import * as web from "@openfeature/web-sdk";
import { BASE, contexts, json, NO_CF, OPENFEATURE_REASONS, putRuleset, ROOT, startWorker, untimedExample } from "./helpers.mjs";

const PKG = join(ROOT, "pkg/dist/openfeature-node.mjs");
if (!existsSync(PKG)) throw new Error("pkg/dist/openfeature-node.mjs is missing: run scripts/build-pkg.sh");
const { EdgeflagsProvider, EdgeflagsWebProvider } = await import(pathToFileURL(PKG).href);

const cases = JSON.parse(readFileSync(join(ROOT, "tests/vectors/bucketing.json"), "utf8")).cases;


let w;
// The providers' fetch goes to the Worker in workerd (no port needed).
const viaWorker = (url, init) => w.mf.dispatchFetch(String(url), init);

before(async () => {
  w = await startWorker();
});
after(async () => {
  await server.OpenFeature.close();
  await web.OpenFeature.close();
  await w?.close();
});

async function waitFor(what, cond, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The typed getter for a value the Worker served, and a default of its type.
function getterFor(value) {
  switch (typeof value) {
    case "boolean":
      return ["Boolean", !value];
    case "number":
      return ["Number", -1];
    case "string":
      return ["String", "\u0000"];
    default:
      return ["Object", null];
  }
}

// An OpenFeature context for a Worker context: a string user_id given as targetingKey.
function openFeatureContext(ctx) {
  if (typeof ctx.user_id !== "string") return ctx;
  const { user_id, ...rest } = ctx;
  return { ...rest, targetingKey: user_id };
}

function agree(where, remote, d, def) {
  const out = [];
  if (remote.errorCode !== undefined) {
    if (d.errorCode !== remote.errorCode) out.push(`${where}: errorCode ${d.errorCode}, worker ${remote.errorCode}`);
    return out;
  }
  if (JSON.stringify(d.value) !== JSON.stringify(remote.value)) out.push(`${where}: value ${JSON.stringify(d.value)}, worker ${JSON.stringify(remote.value)} (default ${JSON.stringify(def)})`);
  if (d.variant !== (remote.variant ?? undefined)) out.push(`${where}: variant ${d.variant}, worker ${remote.variant}`);
  if (d.reason !== OPENFEATURE_REASONS[remote.reason]) out.push(`${where}: reason ${d.reason}, worker ${remote.reason}`);
  if (d.errorCode !== undefined) out.push(`${where}: errorCode ${d.errorCode}`);
  return out;
}

test("a PUT reaches both providers as PROVIDER_CONFIGURATION_CHANGED", async () => {
  let r = await putRuleset(w, { flags: { banner: false, theme: { variants: { light: "light", dark: "dark" }, default_variant: "light" } } });
  const put = await json(r);
  assert.equal(r.status, 200, JSON.stringify(put));
  const first = put.version;

  const sp = new EdgeflagsProvider({ url: `${BASE}/v1/ruleset`, interval: 25, fetch: viaWorker });
  const wp = new EdgeflagsWebProvider({ url: `${BASE}/v1/ruleset`, interval: 25, fetch: viaWorker });
  const serverEvents = [];
  const webEvents = [];
  server.OpenFeature.getClient("edge").addHandler(server.ProviderEvents.ConfigurationChanged, (d) => serverEvents.push(d));
  web.OpenFeature.getClient("edge").addHandler(web.ProviderEvents.ConfigurationChanged, (d) => webEvents.push(d));
  await web.OpenFeature.setContext("edge", { targetingKey: "user:42" });
  await server.OpenFeature.setProviderAndWait("edge", sp);
  await web.OpenFeature.setProviderAndWait("edge", wp);
  const sc = server.OpenFeature.getClient("edge");
  const wc = web.OpenFeature.getClient("edge");
  assert.equal(await sc.getBooleanValue("banner", true, { targetingKey: "user:42" }), false);
  assert.equal(wc.getBooleanValue("banner", true), false);
  assert.equal(wc.getStringDetails("theme", "x").flagMetadata.version, first);

  // A flag-level edit through the management API: a new version.
  r = await w.admin("/v1/flags/banner", { method: "PATCH", body: JSON.stringify({ enabled: true }) });
  assert.equal(r.status, 200, await r.text());
  await waitFor("the server provider's event", () => serverEvents.length > 0);
  await waitFor("the web provider's event", () => webEvents.length > 0);
  assert.equal(serverEvents[0].metadata.version, first + 1);
  assert.equal(serverEvents[0].providerName, "edgeflags");
  assert.equal(webEvents[0].metadata.version, first + 1);
  assert.deepEqual(webEvents[0].flagsChanged, ["banner"], "only banner changed for user:42");
  assert.equal(await sc.getBooleanValue("banner", false, { targetingKey: "user:42" }), true);
  assert.equal(wc.getBooleanValue("banner", false), true);

  // A whole new ruleset by PUT.
  r = await putRuleset(w, { flags: { banner: true, theme: { variants: { light: "light", dark: "dark" }, default_variant: "dark" } } });
  assert.equal(r.status, 200, await r.text());
  await waitFor("the second web event", () => webEvents.length > 1);
  assert.deepEqual(webEvents[1].flagsChanged, ["theme"]);
  assert.equal(wc.getStringValue("theme", "x"), "dark");
  await waitFor("the second server event", () => serverEvents.length > 1);
  assert.equal(await sc.getStringValue("theme", "x", {}), "dark");

  // Polls while nothing changes are 304s: no more events.
  const seen = serverEvents.length + webEvents.length;
  await new Promise((res) => setTimeout(res, 150));
  assert.equal(serverEvents.length + webEvents.length, seen);
  await server.OpenFeature.clearProviders();
  await web.OpenFeature.clearProviders();
});

test("the example ruleset, 1,000 contexts: the providers agree with the Worker's /v1/flags", async () => {
  const r = await putRuleset(w, untimedExample());
  assert.equal(r.status, 200, await r.text());
  const sp = new EdgeflagsProvider({ url: `${BASE}/v1/ruleset`, interval: 0, fetch: viaWorker });
  const wp = new EdgeflagsWebProvider({ url: `${BASE}/v1/ruleset`, interval: 0, fetch: viaWorker });
  await server.OpenFeature.setProviderAndWait("agree", sp);
  await web.OpenFeature.setProviderAndWait("agree", wp);
  const sc = server.OpenFeature.getClient("agree");
  const wc = web.OpenFeature.getClient("agree");
  const mismatches = [];
  let compared = 0;
  for (const ctx of contexts(1000)) {
    const edge = await json(await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: ctx }), cf: NO_CF }));
    const of = openFeatureContext(ctx);
    await web.OpenFeature.setContext("agree", of);
    for (const [key, remote] of Object.entries(edge.flags)) {
      const [type, def] = getterFor(remote.value);
      const sd = await sc[`get${type}Details`](key, def, of);
      const wd = wc[`get${type}Details`](key, def);
      mismatches.push(...agree(`server ${key} ${JSON.stringify(of)}`, remote, sd, def), ...agree(`web ${key} ${JSON.stringify(of)}`, remote, wd, def));
      compared++;
    }
  }
  assert.ok(compared >= 13_000, `compared ${compared}`);
  assert.deepEqual(mismatches.slice(0, 5), []);
  await server.OpenFeature.clearProviders();
  await web.OpenFeature.clearProviders();
});

test("every bucketing vector: the Worker with user_id, the providers with targetingKey", async () => {
  const flags = {};
  cases.forEach((c, i) => {
    flags[`roll_${i}`] = { salt: c.salt, percentage: c.percentage };
    flags[`exp_${i}`] = { salt: c.salt, variants: Object.fromEntries(c.weights.map(([n]) => [n, n])), default_variant: c.weights[0][0], split: c.weights };
  });
  const r = await putRuleset(w, { flags });
  assert.equal(r.status, 200, await r.text());
  const sp = new EdgeflagsProvider({ url: `${BASE}/v1/ruleset`, interval: 0, fetch: viaWorker });
  await server.OpenFeature.setProviderAndWait("bucketing", sp);
  const sc = server.OpenFeature.getClient("bucketing");
  const mismatches = [];
  for (const [i, c] of cases.entries()) {
    const edge = await json(await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: { user_id: c.unit } }), cf: NO_CF }));
    const ctx = { targetingKey: c.unit };
    const roll = await sc.getBooleanDetails(`roll_${i}`, false, ctx);
    const exp = await sc.getStringDetails(`exp_${i}`, "", ctx);
    mismatches.push(...agree(`roll_${i}`, edge.flags[`roll_${i}`], roll, false), ...agree(`exp_${i}`, edge.flags[`exp_${i}`], exp, ""));
    if (roll.value !== c.in_rollout) mismatches.push(`roll_${i}: ${roll.value}, reference ${c.in_rollout}`);
    if (exp.variant !== c.variant) mismatches.push(`exp_${i}: ${exp.variant}, reference ${c.variant}`);
  }
  assert.deepEqual(mismatches, []);
  await server.OpenFeature.clearProviders();
});

test("a Worker that stops answering makes the provider STALE, and READY again when it is back", async () => {
  const r = await putRuleset(w, { flags: { a: true } });
  assert.equal(r.status, 200, await r.text());
  let down = false;
  const flaky = (url, init) => (down ? Promise.reject(new TypeError("fetch failed")) : viaWorker(url, init));
  const sp = new EdgeflagsProvider({ url: `${BASE}/v1/ruleset`, interval: 0, fetch: flaky });
  await server.OpenFeature.setProviderAndWait("flaky", sp);
  const client = server.OpenFeature.getClient("flaky");
  const events = [];
  for (const t of [server.ProviderEvents.Stale, server.ProviderEvents.Ready]) client.addHandler(t, () => events.push(t));
  events.length = 0;
  down = true;
  await sp.refresh();
  assert.deepEqual(events, [server.ProviderEvents.Stale]);
  assert.equal(client.providerStatus, server.ProviderStatus.STALE);
  assert.equal(await client.getBooleanValue("a", false, {}), true, "the last good ruleset keeps serving");
  down = false;
  await sp.refresh();
  assert.deepEqual(events, [server.ProviderEvents.Stale, server.ProviderEvents.Ready]);
  assert.equal(client.providerStatus, server.ProviderStatus.READY);
  await server.OpenFeature.clearProviders();
});
