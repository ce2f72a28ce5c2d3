// An experiment end to end in workerd with the Worker's real local Queue
// and D1: 100,000 simulated users with a known true effect in one variant
// and none in another. Exposures come from the edge (GET /v1/flags/{key}),
// from the npm package (Flags with its event sender, posting to the
// Worker's POST /v1/events over 127.0.0.1) and from a backend posting the
// documented JSON; conversions from the package's track and the backend,
// with batches sent twice as clients retry. The results endpoint must find
// the effect, see none in the null variant, flag an injected sample-ratio
// mismatch, count every accepted event exactly once, and D1 must hold no
// raw unit id. The same events, exported as JSONL, give the same report
// through `edgeflags experiment` (the CLI's aggregation is Rust, the
// Worker's is SQL).
//
// Needs the built Worker, pkg/dist and target/release/edgeflags
// (scripts/test-worker.sh builds them).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { NO_CF, ROOT, json, seed, startWorker } from "./helpers.mjs";

const { Flags } = await import(pathToFileURL(join(ROOT, "pkg/dist/node.mjs")).href);
const CLI = join(ROOT, "target/release/edgeflags");

const N = 100_000;
const EDGE_USERS = 20_000; // users 0..19,999 are served by the Worker
const PACKAGE_USERS = 60_000; // 20,000..79,999 by the package; the rest by a backend
const TRUE_RATE = { control: 0.1, better: 0.12, same: 0.1 };

const RULESET = {
  flags: {
    checkout: {
      variants: { control: "blue", better: "green", same: "teal" },
      default_variant: "control",
      split: [["control", 34], ["better", 33], ["same", 33]],
      experiment: { control: "control", metrics: ["purchase", { event: "revenue", kind: "mean" }], baseline: 0.1, mde: 0.1 },
    },
    srm_test: {
      variants: { control: false, treatment: true },
      default_variant: "control",
      split: [["control", 50], ["treatment", 50]],
      experiment: { control: "control", metrics: ["signup"] },
    },
  },
};

/** mulberry32: a small seeded PRNG, so every run simulates the same users. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function pool(items, concurrency, job) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await job(items[next++]);
  }));
}

async function waitFor(what, check, ms = 120_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${what}: ${JSON.stringify(last)}`);
}

test("100,000 users: the effect is found, the null variant is not, SRM is flagged, every event counted once", { timeout: 600_000 }, async () => {
  const w = await startWorker({}, { listen: true, cf: NO_CF });
  const dir = mkdtempSync(join(tmpdir(), "edgeflags-e2e-"));
  try {
    await seed(w.kv, RULESET, 7);
    const random = rng(20261130);
    const exported = []; // every event as posted (JSONL for the CLI)
    const variantOf = new Map();
    const expected = { units: {}, converted: {}, revenue: {} };
    const count = (o, k, by = 1) => (o[k] = (o[k] ?? 0) + by);

    // 1. The edge serves users 0..19,999 (their exposures are the Worker's own).
    const edgeUsers = Array.from({ length: EDGE_USERS }, (_, i) => `user:${i}`);
    await pool(edgeUsers, 8, async (u) => {
      const r = await json(await w.fetch(`/v1/flags/checkout?user_id=${encodeURIComponent(u)}`));
      assert.equal(r.reason, "SPLIT", u);
      variantOf.set(u, r.variant);
      exported.push({ type: "exposure", flag: "checkout", variant: r.variant, unit: u });
    });

    // 2. The package serves users 20,000..79,999 and tracks their purchases.
    // 3. A backend (any language) posts the rest, as the design notes' tracker would.
    const local = new Flags(RULESET);
    const backend = [];
    for (let i = EDGE_USERS; i < N; i++) {
      const u = `user:${i}`;
      const e = local.evaluate("checkout", { user_id: u }, null);
      variantOf.set(u, e.variant);
      if (i >= EDGE_USERS + PACKAGE_USERS) backend.push({ type: "exposure", flag: "checkout", variant: e.variant, unit: u, id: `x-${i}` });
    }
    const tracks = []; // posted by the backend
    const packageTracks = []; // [unit, event, value] tracked by the package
    for (let i = 0; i < N; i++) {
      const u = `user:${i}`;
      const v = variantOf.get(u);
      count(expected.units, v);
      if (random() < TRUE_RATE[v]) {
        count(expected.converted, v);
        const value = Math.round((20 + random() * 10) * 100) / 100;
        count(expected.revenue, v, value);
        if (i >= EDGE_USERS && i < EDGE_USERS + PACKAGE_USERS) {
          packageTracks.push([u, "purchase", undefined], [u, "revenue", value]);
        } else {
          tracks.push({ type: "track", event: "purchase", unit: u, id: `p-${i}` }, { type: "track", event: "revenue", unit: u, value, id: `r-${i}` });
        }
      }
    }
    // SRM: a client that loses 10% of one variant's exposures.
    const srm = [];
    const srmFlags = new Flags(RULESET);
    for (let i = 0; i < 20_000; i++) {
      const u = `user:${i}`;
      const v = srmFlags.evaluate("srm_test", { user_id: u }, null).variant;
      if (v === "treatment" && random() < 0.1) continue;
      srm.push({ type: "exposure", flag: "srm_test", variant: v, unit: u, id: `s-${i}` });
    }
    const posted = [...backend, ...tracks, ...srm];
    exported.push(...backend, ...tracks);
    const batches = [];
    for (let i = 0; i < posted.length; i += 500) batches.push(posted.slice(i, i + 500));
    // Every fifth batch is sent twice (a retry after a lost answer).
    const sends = batches.flatMap((b, i) => (i % 5 === 0 ? [b, b] : [b]));
    await pool(sends, 4, async (events) => {
      const res = await fetch(`${w.url}/v1/events`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) });
      assert.equal(res.status, 202, await res.text());
    });
    // The package (users 20,000..79,999): exposures and tracks recorded and sent by it.
    const sent = await viaPackage(w, EDGE_USERS, EDGE_USERS + PACKAGE_USERS, packageTracks);
    assert.equal(sent.stats.dropped, 0);
    assert.equal(sent.accepted.events, PACKAGE_USERS + packageTracks.length, JSON.stringify(sent.stats));
    assert.equal(sent.stats.sent, sent.accepted.events + sent.accepted.usageEvents, JSON.stringify(sent.stats));
    // Every answer the package served, counted once: two per user.
    const usage = Object.values(sent.accepted.usage.checkout ?? {}).reduce((a, b) => a + b, 0);
    assert.deepEqual([Object.keys(sent.accepted.usage), usage], [["checkout"], 2 * PACKAGE_USERS]);
    for (let i = EDGE_USERS; i < EDGE_USERS + PACKAGE_USERS; i++) {
      const u = `user:${i}`;
      exported.push({ type: "exposure", flag: "checkout", variant: variantOf.get(u), unit: u });
    }
    for (const [unit, event, value] of packageTracks) exported.push({ type: "track", event, unit, ...(value === undefined ? {} : { value }) });

    // Everything lands, exactly once.
    const trackRows = tracks.length + packageTracks.length;
    await waitFor("every exposure and track in D1", async () => {
      const e = (await w.db.prepare("SELECT COUNT(*) AS n FROM exposures WHERE experiment = 'checkout'").first()).n;
      const t = (await w.db.prepare("SELECT COUNT(*) AS n FROM tracks").first()).n;
      return (e === N && t === trackRows) || { exposures: e, tracks: t, want: [N, trackRows] };
    });
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM tracks").first()).n, trackRows, "no double counting after retries");
    const sources = (await w.db.prepare("SELECT source, COUNT(*) AS n FROM exposures WHERE experiment = 'checkout' GROUP BY source ORDER BY source").all()).results;
    assert.deepEqual(sources, [{ source: "api", n: N - EDGE_USERS }, { source: "edge", n: EDGE_USERS }]);
    const raw = await w.db.prepare("SELECT COUNT(*) AS n FROM exposures WHERE unit LIKE 'user:%'").first();
    const rawTracks = await w.db.prepare("SELECT COUNT(*) AS n FROM tracks WHERE unit LIKE 'user:%'").first();
    assert.deepEqual([raw.n, rawTracks.n], [0, 0], "no raw unit id stored");

    // The results.
    const t0 = performance.now();
    const report = await json(await w.admin("/v1/experiments/checkout"));
    const queryMs = performance.now() - t0;
    const byName = (xs) => Object.fromEntries(xs.map((x) => [x.name, x]));
    const units = byName(report.variants);
    for (const v of ["control", "better", "same"]) assert.equal(units[v].units, expected.units[v], `units of ${v}`);
    assert.equal(report.multiple_exposures, 0);
    const purchase = byName(report.metrics.find((m) => m.event === "purchase").variants);
    for (const v of ["control", "better", "same"]) assert.equal(purchase[v].converted, expected.converted[v], `conversions of ${v}`);
    assert.ok(purchase.better.vs_control.significant, JSON.stringify(purchase.better.vs_control));
    assert.ok(purchase.better.vs_control.p_value < 1e-6);
    assert.ok(purchase.better.vs_control.sequential.ci_low > 0, "the always-valid interval excludes 0");
    assert.ok(purchase.better.vs_control.chance_to_beat_control > 0.999);
    const rel = purchase.better.vs_control.relative;
    assert.ok(rel.ci_low < 0.2 && 0.2 < rel.ci_high, `the true +20% is inside ${JSON.stringify(rel)}`);
    assert.equal(purchase.same.vs_control.significant, false, JSON.stringify(purchase.same.vs_control));
    assert.ok(purchase.same.vs_control.p_value > 0.05);
    const revenue = byName(report.metrics.find((m) => m.event === "revenue").variants);
    const mean = expected.revenue.control / expected.units.control;
    assert.ok(Math.abs(revenue.control.mean - mean) < 1e-9, `${revenue.control.mean} vs ${mean}`);
    assert.equal(report.srm.mismatch, false, JSON.stringify(report.srm));
    assert.deepEqual([report.verdict.status, report.verdict.variant], ["better", "better"], JSON.stringify(report.verdict));

    const srmReport = await json(await w.admin("/v1/experiments/srm_test"));
    assert.equal(srmReport.srm.mismatch, true, JSON.stringify(srmReport.srm));
    assert.ok(srmReport.srm.p_value < 0.001);
    assert.equal(srmReport.verdict.status, "sample_ratio_mismatch");
    const list = await json(await w.admin("/v1/experiments"));
    assert.deepEqual(list.experiments.map((e) => e.flag), ["checkout", "srm_test"]);
    console.log(`results of 100,000 units read and analysed in ${queryMs.toFixed(0)} ms`);

    // The CLI over the exported events agrees with the Worker.
    const file = join(dir, "events.jsonl");
    writeFileSync(file, exported.map((e) => JSON.stringify(e)).join("\n") + "\n");
    writeFileSync(join(dir, "ruleset.json"), JSON.stringify(RULESET));
    const offline = JSON.parse(execFileSync(CLI, ["experiment", file, "--ruleset", join(dir, "ruleset.json"), "--flag", "checkout", "--json"], { encoding: "utf8", maxBuffer: 64 << 20 }));
    // Same members in the same order; numbers equal up to the order of
    // floating-point sums (SQL's TOTAL against Rust's); days are each
    // side's clock.
    const strip = (r) => ({ ...r, sample_size: { ...r.sample_size, days_elapsed: null, days_remaining: null } });
    assertClose(strip(offline), strip(report), "report");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await w.close();
  }
});

/** Users from..to-1 served by the npm package with events on: it
 * records their exposures (each user evaluated twice: one exposure) and
 * their tracks, and posts them to the Worker over 127.0.0.1, with its
 * usage counts (flag usage). Returns its stats and what the Worker
 * accepted: the events other than usage, and the usage counts summed. */
async function viaPackage(w, from, to, tracks) {
  const errors = [];
  const accepted = { events: 0, usageEvents: 0, usage: {} };
  const fetch = async (url, init) => {
    const res = await globalThis.fetch(url, init);
    if (res.ok) {
      for (const e of JSON.parse(init.body).events) {
        if (e.type !== "usage") {
          accepted.events++;
          continue;
        }
        accepted.usageEvents++;
        for (const [flag, by] of Object.entries(e.counts)) {
          for (const [variant, n] of Object.entries(by)) {
            accepted.usage[flag] ??= {};
            accepted.usage[flag][variant] = (accepted.usage[flag][variant] ?? 0) + n;
          }
        }
      }
    }
    return res;
  };
  const flags = new Flags(RULESET, { events: { url: `${w.url}/v1/events`, flushAt: 500, flushIntervalMs: 200, fetch, onError: (e) => errors.push(e) } });
  for (let i = from; i < to; i++) {
    const user = { user_id: `user:${i}` };
    flags.getValue("checkout", user, "blue");
    flags.evaluate("checkout", user, null);
    if (i % 5000 === 0) await flags.flush();
  }
  // A page flushes as it goes; the queue holds 10,000 events by default.
  for (const [n, [unit, event, value]] of tracks.entries()) {
    flags.track(event, { user_id: unit }, value);
    if (n % 5000 === 4999) await flags.flush();
  }
  assert.equal(await flags.close(), true, errors.map((e) => e.message).join("; "));
  const stats = { ...flags.events.stats };
  return { stats, accepted };
}

/** Deep equality, member order included, numbers to 1e-9 relative. */
function assertClose(a, b, path) {
  if (typeof a === "number" && typeof b === "number") {
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (a && b && typeof a === "object") {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: members`);
    for (const k of Object.keys(a)) assertClose(a[k], b[k], `${path}.${k}`);
  } else {
    assert.equal(a, b, path);
  }
}
