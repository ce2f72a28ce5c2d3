// Flag usage telemetry in workerd (issue 15, part 2): every answer the
// Worker serves (/v1/flags, one flag, OFREP, a routed request) is counted
// per flag, variant and day off the response path, through the events
// queue into D1 (flag_usage); GET /v1/usage and /v1/flags/{key}/usage read
// it back with the core's cleanup finding (a flag that served one variant
// for its type's days, with the value to keep; a flag nobody evaluated),
// and `edgeflags stale --url` adds those reasons to the ruleset's own.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { ROOT, json, putRuleset, runCli, startWorker, waitForD1 } from "./helpers.mjs";

const DAY = 86_400_000;
const today = () => Math.floor(Date.now() / DAY);

const RULESET = {
  flags: {
    new_search: { percentage: 100, tags: ["release"] },
    dark_mode: { users: ["u1"], tags: ["release"] },
    kill_payments: { tags: ["ops"] },
    // Server-only: anonymous evaluations never see it, so it goes unused here.
    old_banner: { variants: { shown: "v2", hidden: "none" }, default_variant: "shown", tags: ["release"], client: false },
    canary: { percentage: 50 },
  },
};

let w;
let upstream;
before(async () => {
  upstream = createServer((req, res) => res.end("ok"));
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  const doc = structuredClone(RULESET);
  const origin = `http://127.0.0.1:${upstream.address().port}`;
  doc.routes = [{ id: "c", path: "/c/**", flag: "canary", upstreams: { on: origin, off: origin } }];
  w = await startWorker({}, { listen: true });
  const r = await putRuleset(w, doc);
  assert.equal(r.status, 200, await r.text());
});
after(async () => {
  await w?.close();
  upstream?.close();
});

/** Waits until flag_usage counts `want` answers in all. */
const waitCounted = (want) => waitForD1(w, "SELECT TOTAL(count) AS n FROM flag_usage", want, "answers counted in D1");

const usageOf = async (key) => json(await w.admin(`/v1/flags/${key}/usage`));

describe("counting", () => {
  test("every served answer is counted once, per flag and variant; answers about another time are not", async () => {
    // One evaluate-all: the four flags anonymous callers see.
    assert.equal((await w.fetch("/v1/flags?user_id=u1")).status, 200);
    // dark_mode three times for u2 (off), once for u1 (on).
    for (let i = 0; i < 3; i++) assert.equal((await w.fetch("/v1/flags/dark_mode?user_id=u2")).status, 200);
    assert.equal((await w.fetch("/v1/flags/dark_mode?user_id=u1")).status, 200);
    // OFREP: one flag, then all four.
    const ofrep = (path) =>
      w.fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ context: { targetingKey: "u2" } }) });
    assert.equal((await ofrep("/ofrep/v1/evaluate/flags/new_search")).status, 200);
    assert.equal((await ofrep("/ofrep/v1/evaluate/flags")).status, 200);
    // A routed request.
    const routed = await w.fetch("/c/x", { headers: { "X-User-Id": "u9" } });
    assert.equal(routed.status, 200);
    await routed.text();
    // Not counted: an unknown flag, and an answer about another time.
    assert.equal((await w.fetch("/v1/flags/nope?user_id=u1")).status, 404);
    const at = await w.fetch("/v1/flags/dark_mode", { method: "POST", body: JSON.stringify({ context: { user_id: "u2" }, at: "2030-01-01T00:00:00Z" }) });
    assert.equal(at.status, 200);
    await waitCounted(4 + 4 + 1 + 4 + 1);
    assert.equal((await usageOf("old_banner")).evaluations, 0, "a server-only flag nobody could see");
    const dark = await usageOf("dark_mode");
    assert.deepEqual(dark.variants, { off: 4, on: 2 });
    assert.equal(dark.evaluations, 6);
    assert.ok(Date.parse(dark.last_evaluated) > Date.now() - 60_000);
    assert.equal(dark.cleanup, null, "observed for less than a day: no finding yet");
    assert.deepEqual((await usageOf("new_search")).variants, { on: 3 });
    assert.equal((await usageOf("canary")).evaluations, 3);
    // Everything in one listing, in ruleset order.
    const all = await json(await w.admin("/v1/usage"));
    assert.deepEqual(all.flags.map((f) => f.flag), Object.keys(RULESET.flags));
  });
});

/** POSTs events to /v1/events; the answer's JSON. */
async function postEvents(worker, events) {
  const r = await worker.fetch("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) });
  assert.equal(r.status, 202, await r.clone().text());
  return json(r);
}

describe("usage from clients (the npm package's counts)", () => {
  test("known pairs are counted once however often a report arrives; unknown ones are dropped", async () => {
    const total = async () => (await w.db.prepare("SELECT TOTAL(count) AS n FROM flag_usage").first()).n;
    const base = await total();
    const before = (await usageOf("dark_mode")).variants;
    const report = { type: "usage", id: "client-report-1", time: Date.now(), counts: { dark_mode: { on: 5, off: 2, nope: 9 }, gone: { on: 1 } } };
    assert.deepEqual(await postEvents(w, [report, { type: "usage", id: "client-report-0", counts: { gone: { on: 4 } } }]), { accepted: 1, ignored: 1 });
    // The client retries (it did not hear the 202), twice in one batch too.
    assert.deepEqual(await postEvents(w, [report]), { accepted: 1, ignored: 0 });
    const twice = { type: "usage", id: "client-report-2", counts: { new_search: { on: 11 } } };
    assert.deepEqual(await postEvents(w, [twice, twice]), { accepted: 2, ignored: 0 });
    await waitCounted(base + 7 + 11);
    // Give a second count time to land, were it to.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await total(), base + 7 + 11, "each report counted once");
    const dark = (await usageOf("dark_mode")).variants;
    assert.deepEqual(dark, { on: (before.on ?? 0) + 5, off: (before.off ?? 0) + 2 });
    const applied = (await w.db.prepare("SELECT id FROM usage_applied WHERE id LIKE 'c:%' ORDER BY id").all()).results.map((r) => r.id);
    assert.deepEqual(applied, ["c:client-report-1/0", "c:client-report-2/0"]);
  });

  test("the npm package in Node: what it evaluates locally reaches the flag's usage, once; overrides do not", async () => {
    const { Flags } = await import(pathToFileURL(join(ROOT, "pkg/dist/node.mjs")).href);
    const view = await json(await w.fetch("/v1/ruleset"));
    const visible = Object.keys(view.flags);
    assert.deepEqual(visible.sort(), ["canary", "dark_mode", "kill_payments", "new_search"]);
    const errors = [];
    const flags = new Flags(view, { events: { url: `${w.url}/v1/events`, flushAt: 1e9, flushIntervalMs: 0, onError: (e) => errors.push(e) } });
    const total = async () => (await w.db.prepare("SELECT TOTAL(count) AS n FROM flag_usage").first()).n;
    const base = await total();
    const before = (await usageOf("dark_mode")).variants;
    for (let i = 0; i < 7; i++) assert.equal(flags.isEnabled("dark_mode", { user_id: "u2" }), false);
    assert.equal(flags.variant("dark_mode", { user_id: "u1" }), "on");
    // An evaluate-all counts each flag of the answer.
    flags.evaluateAll({ user_id: "u5" });
    // Not counted: a test override, an unknown flag.
    flags.enable("dark_mode");
    assert.equal(flags.isEnabled("dark_mode", { user_id: "u2" }), true);
    flags.reset();
    assert.equal(flags.isEnabled("nope", { user_id: "u2" }), false);
    assert.equal(await flags.flush(), true);
    await waitCounted(base + 8 + visible.length);
    const dark = (await usageOf("dark_mode")).variants;
    assert.deepEqual(dark, { on: (before.on ?? 0) + 1, off: (before.off ?? 0) + 7 + 1 });
    // A flush with nothing new sends nothing more.
    assert.equal(await flags.flush(), true);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await total(), base + 8 + visible.length);
    await flags.close();
    assert.deepEqual(errors, []);
  });

  test("a report about a time beyond what is kept, or malformed, changes nothing", async () => {
    const total = async () => (await w.db.prepare("SELECT TOTAL(count) AS n FROM flag_usage").first()).n;
    const base = await total();
    assert.deepEqual(await postEvents(w, [{ type: "usage", id: "old-1", time: Date.now() - 100 * DAY, counts: { dark_mode: { on: 3 } } }]), { accepted: 0, ignored: 1 });
    const bad = await w.fetch("/v1/events", {
      method: "POST",
      body: JSON.stringify({ events: [{ type: "usage", id: "bad-1", counts: { dark_mode: { on: -1 } } }, { type: "usage", counts: { dark_mode: { on: 1 } } }] }),
    });
    assert.equal(bad.status, 400);
    const problems = (await json(bad)).error.problems.map((p) => p.path);
    assert.deepEqual(problems, ["events[0].counts.dark_mode.on", "events[1]"]);
    // A later report that does count shows the earlier ones did not.
    assert.deepEqual(await postEvents(w, [{ type: "usage", id: "after-bad", counts: { dark_mode: { off: 1 } } }]), { accepted: 1, ignored: 0 });
    await waitCounted(base + 1);
    assert.equal(await total(), base + 1);
  });
});

describe("cleanup findings", () => {
  test("one variant for 40 days, unused, ops never; policy; access; the CLI", async () => {
    // 60 days of history: new_search served only "on"; old_banner served
    // "shown" until 50 days ago and nothing since; kill_payments "off" only.
    const rows = [];
    for (let d = today() - 60; d <= today(); d++) {
      rows.push(["new_search", "on", d, 100, d * DAY + 1000]);
      rows.push(["kill_payments", "off", d, 5, d * DAY + 1000]);
      if (d < today() - 50) rows.push(["old_banner", "shown", d, 7, d * DAY + 1000]);
      if (d < today() - 45) rows.push(["canary", "on", d, 1, d * DAY]);
      if (d < today() - 45) rows.push(["canary", "off", d, 1, d * DAY]);
    }
    for (const r of rows) {
      await w.db
        .prepare("INSERT INTO flag_usage (flag, variant, day, count, last_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (flag, variant, day) DO UPDATE SET count = count + excluded.count")
        .bind(...r)
        .run();
    }
    const ns = await usageOf("new_search");
    assert.deepEqual(ns.cleanup, { reason: "served_one_variant", days: 60, variant: "on", keep: true });
    assert.equal(ns.threshold_days, 40);
    assert.equal(ns.one_variant.value, true);
    const banner = await usageOf("old_banner");
    assert.equal(banner.cleanup.reason, "unused");
    assert.equal(banner.cleanup.days, 51);
    assert.equal((await usageOf("kill_payments")).cleanup, null, "ops flags are never candidates");
    // canary served both variants until 46 days ago, then only what today's routed request got.
    const canary = await usageOf("canary");
    assert.equal(canary.cleanup, null, "one variant for less than 40 days");
    // A policy: release flags after 70 days -> new_search is not yet a candidate; ops after 30 -> kill_payments is.
    const strict = await json(await w.admin("/v1/usage?policy=release%3D70%2Cops%3D30"));
    const by = Object.fromEntries(strict.flags.map((f) => [f.flag, f.cleanup]));
    assert.equal(by.new_search, null);
    assert.deepEqual(by.kill_payments, { reason: "served_one_variant", days: 60, variant: "off", keep: false });
    const bad = await w.admin("/v1/usage?policy=release%3Dsoon");
    assert.equal(bad.status, 400);
    assert.equal((await json(bad)).error.code, "INVALID_POLICY");
    // Access: never anonymous; an unknown flag with no usage is a 404.
    assert.equal((await w.fetch("/v1/usage")).status, 401);
    assert.equal((await w.admin("/v1/flags/none_such/usage")).status, 404);
    // edgeflags stale FILE --url: the ruleset's reasons and the usage's.
    const dir = mkdtempSync(join(tmpdir(), "ef-usage-"));
    const file = join(dir, "rs.json");
    writeFileSync(file, JSON.stringify(RULESET));
    const out = await runCli(["stale", file, "--url", w.url]);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const stale = Object.fromEntries(lines.map((l) => [l.flag, l]));
    assert.deepEqual(stale.new_search.reasons, ["fully_rolled_out", "served_one_variant"]);
    assert.equal(stale.new_search.usage.keep, true);
    assert.deepEqual(stale.old_banner.reasons, ["static", "unused"]);
    assert.equal(stale.kill_payments, undefined);
    // edgeflags scan against the Worker: the usage findings join the candidates.
    const code = join(dir, "src");
    mkdirSync(code);
    writeFileSync(join(code, "app.ts"), 'if (flags.isEnabled("new_search", user)) search();\nconst b = flags.variant("old_banner", user);\n');
    const scan = await runCli(["scan", code, "--ruleset", w.url, "--format", "json"]);
    assert.equal(scan.code, 0, scan.stderr);
    const cands = Object.fromEntries(JSON.parse(scan.stdout).candidates.map((c) => [c.flag, c]));
    assert.deepEqual(cands.new_search.reasons, ["fully_rolled_out", "served_one_variant"]);
    assert.equal(cands.new_search.keep, true);
    assert.deepEqual(cands.old_banner.reasons, ["static", "unused"]);
    assert.equal(cands.kill_payments, undefined);
    const offline = await runCli(["stale", file]);
    assert.deepEqual(offline.stdout.trim().split("\n").map((l) => JSON.parse(l).flag), ["new_search", "old_banner"]);
    const refused = await runCli(["stale", file, "--url", w.url], { token: "wrong" });
    assert.equal(refused.code, 4, refused.stderr);
    const policy = await runCli(["stale", file, "--policy", "release=10"]);
    assert.equal(policy.code, 2);
    assert.match(policy.stderr, /--policy needs --url/);
  });
});

test("FLAG_USAGE=off counts nothing, and the endpoints still answer", async () => {
  const off = await startWorker({ FLAG_USAGE: "off" });
  try {
    assert.equal((await putRuleset(off, RULESET)).status, 200);
    // The same answers from the Worker that counts: once its counts are in
    // D1, the other's would be too.
    const before = (await w.db.prepare("SELECT TOTAL(count) AS n FROM flag_usage").first()).n;
    for (let i = 0; i < 5; i++) {
      assert.equal((await off.fetch(`/v1/flags?user_id=u${i}`)).status, 200);
      assert.equal((await w.fetch(`/v1/flags?user_id=u${i}`)).status, 200);
    }
    // A client's report is ignored too.
    const r = await off.fetch("/v1/events", { method: "POST", body: JSON.stringify({ events: [{ type: "usage", id: "off-1", counts: { dark_mode: { on: 2 } } }] }) });
    assert.deepEqual(await json(r), { accepted: 0, ignored: 1 });
    await waitCounted(before + 5 * 4);
    assert.equal((await off.db.prepare("SELECT COUNT(*) AS n FROM flag_usage").first()).n, 0);
    const u = await json(await off.admin("/v1/flags/dark_mode/usage"));
    assert.deepEqual([u.evaluations, u.last_evaluated], [0, null]);
  } finally {
    await off.close();
  }
});
