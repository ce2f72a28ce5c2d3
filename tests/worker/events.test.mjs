// The experiment events pipeline in workerd with its real local bindings:
// POST /v1/events -> the EVENTS queue -> the queue consumer -> D1, the
// edge's own exposures, failures of the queue and of D1 (through
// tests/worker/kv-fault.mjs), retries that must not double count, and the
// units never stored raw. The statistics over a large simulated experiment
// are experiment-e2e.test.mjs's.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, NO_CF, ROOT, UNIT_HASH_KEY, json, seed, startWorker } from "./helpers.mjs";

export const RULESET = {
  flags: {
    exp: {
      variants: { control: "blue", treatment: "green" },
      default_variant: "control",
      targets: [{ variant: "treatment", users: ["qa-1"] }],
      split: [["control", 50], ["treatment", 50]],
      experiment: { control: "control", metrics: ["purchase", { event: "revenue", kind: "mean" }] },
    },
    plain: { percentage: 50 },
  },
};

const unitHash = (unit) => createHmac("sha256", UNIT_HASH_KEY).update(unit).digest("hex").slice(0, 32);

function post(w, body, headers = {}) {
  return w.fetch("/v1/events", {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...headers },
  });
}

async function count(w, sql, ...args) {
  const row = await w.db.prepare(sql).bind(...args).first();
  return Object.values(row)[0];
}

/** Waits until `sql` counts `want` (the consumer runs within about a second). */
async function waitCount(w, sql, want, ...args) {
  const deadline = Date.now() + 20_000;
  let n;
  while (Date.now() < deadline) {
    n = await count(w, sql, ...args);
    if (n === want) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(n, want, `${sql}: ${n} rows, expected ${want}`);
}

const exposure = (unit, variant = "treatment", extra = {}) => ({ type: "exposure", flag: "exp", variant, unit, ...extra });
const track = (unit, event = "purchase", extra = {}) => ({ type: "track", event, unit, ...extra });

describe("POST /v1/events", () => {
  test("accepted events reach D1 once, with hashed units; exposures of non-experiments are ignored", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, RULESET);
      const events = [
        exposure("user:1", "treatment", { id: "x1", time: 1_700_000_000_000 }),
        exposure("user:2", "control"),
        exposure("user:1", "treatment"),
        exposure("user:1", "nope"),
        { type: "exposure", flag: "plain", variant: "on", unit: "user:1" },
        track("user:1", "purchase", { id: "t1" }),
        track("user:1", "revenue", { id: "t2", value: 19.99 }),
      ];
      const res = await post(w, { events });
      assert.equal(res.status, 202);
      assert.deepEqual(await json(res), { accepted: 5, ignored: 2 });
      await waitCount(w, "SELECT COUNT(*) FROM exposures", 2);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 2);
      const rows = (await w.db.prepare("SELECT * FROM exposures ORDER BY variant").all()).results;
      assert.deepEqual(
        rows.map((r) => [r.experiment, r.variant, r.unit, r.source]),
        [
          ["exp", "control", unitHash("user:2"), "api"],
          ["exp", "treatment", unitHash("user:1"), "api"],
        ],
      );
      assert.equal(rows[1].first_at, 1_700_000_000_000);
      const rev = await w.db.prepare("SELECT value FROM tracks WHERE id = 't2'").first();
      assert.equal(rev.value, 19.99);
      // No raw id anywhere in the database.
      const dump = JSON.stringify([
        (await w.db.prepare("SELECT * FROM exposures").all()).results,
        (await w.db.prepare("SELECT * FROM tracks").all()).results,
      ]);
      assert.ok(!dump.includes("user:"), dump);
    } finally {
      await w.close();
    }
  });

  test("a retried batch counts once, with or without ids", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, RULESET);
      const batch = { events: [exposure("u1"), track("u1", "purchase", { id: "a" }), track("u1", "revenue", { value: 5, time: 17 })] };
      for (let i = 0; i < 3; i++) assert.equal((await post(w, batch)).status, 202);
      // A fourth delivery of the same events, concurrently with new ones.
      const more = { events: [track("u2", "purchase", { id: "b" })] };
      const answers = await Promise.all([post(w, batch), post(w, more), post(w, batch)]);
      assert.deepEqual(answers.map((r) => r.status), [202, 202, 202]);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 3);
      await waitCount(w, "SELECT COUNT(*) FROM exposures", 1);
      // Let every delivery land, then check again.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await count(w, "SELECT COUNT(*) FROM tracks"), 3);
      assert.equal(await count(w, "SELECT TOTAL(value) FROM tracks WHERE event = 'revenue'"), 5);
    } finally {
      await w.close();
    }
  });

  test("bad input: every problem with its path, nothing stored", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, RULESET);
      const res = await post(w, { events: [exposure("u1"), { type: "exposure", flag: "exp", unit: "u" }, track("", "p"), { type: "click", unit: "u" }, track("u", "p", { value: "9" })] });
      assert.equal(res.status, 400);
      const b = await json(res);
      assert.equal(b.error.code, "INVALID_EVENTS");
      const paths = b.error.problems.map((p) => p.path);
      assert.deepEqual(paths, ["events[1]", "events[2].unit", "events[3].type", "events[4].value"]);
      for (const [body, code] of [
        ["{not json", "MALFORMED_JSON"],
        [JSON.stringify([1]), "INVALID_EVENTS"],
        [JSON.stringify({ events: [] }), "INVALID_EVENTS"],
        [JSON.stringify({ events: Array.from({ length: 501 }, (_, i) => track(`u${i}`)) }), "INVALID_EVENTS"],
      ]) {
        const r = await post(w, body);
        assert.equal(r.status, 400, body.slice(0, 40));
        assert.equal((await json(r)).error.code, code);
      }
      const big = await post(w, JSON.stringify({ events: [track("u", "p", { id: "x".repeat(300 * 1024) })] }));
      assert.equal(big.status, 413);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await count(w, "SELECT COUNT(*) FROM exposures"), 0);
      assert.equal(await count(w, "SELECT COUNT(*) FROM tracks"), 0);
    } finally {
      await w.close();
    }
  });

  test("sendBeacon's shape: text/plain with the key in the body; the key is required when set", async () => {
    const w = await startWorker({ EVENTS_KEY: "write-key", SERVER_KEY: "server-key" });
    try {
      await seed(w.kv, RULESET);
      const body = { events: [track("u1", "purchase", { id: "k1" })] };
      const missing = await post(w, body);
      assert.equal(missing.status, 401);
      assert.equal((await json(missing)).error.code, "UNAUTHORIZED");
      assert.equal((await post(w, body, { Authorization: "Bearer wrong" })).status, 403);
      assert.equal((await post(w, { ...body, key: "wrong" })).status, 403);
      assert.equal((await post(w, body, { Authorization: "Bearer write-key" })).status, 202);
      assert.equal((await post(w, { events: [track("u1", "purchase", { id: "k2" })] }, { Authorization: "Bearer server-key" })).status, 202);
      assert.equal((await post(w, { events: [track("u1", "purchase", { id: "k3" })] }, { Authorization: `Bearer ${ADMIN}` })).status, 202);
      const beacon = await w.fetch("/v1/events", {
        method: "POST",
        body: JSON.stringify({ key: "write-key", events: [track("u1", "purchase", { id: "k4" })] }),
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
      });
      assert.equal(beacon.status, 202);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 4);
    } finally {
      await w.close();
    }
  });

  test("without UNIT_HASH_KEY events are off: 503, and the edge records nothing", async () => {
    const w = await startWorker({ UNIT_HASH_KEY: undefined });
    try {
      await seed(w.kv, RULESET);
      const res = await post(w, { events: [track("u1")] });
      assert.equal(res.status, 503);
      const b = await json(res);
      assert.equal(b.error.code, "EVENTS_UNAVAILABLE");
      assert.ok(!JSON.stringify(b).includes("UNIT_HASH_KEY"), "no configuration detail in the body");
      assert.equal((await w.fetch("/v1/flags/exp?user_id=u1")).status, 200);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await count(w, "SELECT COUNT(*) FROM exposures"), 0);
    } finally {
      await w.close();
    }
  });
});

describe("failures", () => {
  test("the queue down: 503 and nothing stored; the client's retry lands once", async () => {
    const w = await startWorker({}, { kvFault: true });
    try {
      await seed(w.kv, RULESET);
      await w.kv.put("test/queue-down", "1");
      const batch = { events: [exposure("u1"), track("u1", "purchase", { id: "q1" })] };
      const res = await post(w, batch);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("Retry-After"), "5");
      const b = await json(res);
      assert.equal(b.error.code, "EVENTS_UNAVAILABLE");
      assert.ok(!/simulated|kv-fault|queue send/.test(JSON.stringify(b)), JSON.stringify(b));
      await w.kv.put("test/queue-down", "0");
      assert.equal((await post(w, batch)).status, 202);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 1);
      await waitCount(w, "SELECT COUNT(*) FROM exposures", 1);
    } finally {
      await w.close();
    }
  });

  test("D1 failing in the consumer: the batch is redelivered and written once", async () => {
    const w = await startWorker({}, { kvFault: true, queueRetryDelay: 0 });
    try {
      await seed(w.kv, RULESET);
      await w.kv.put("test/d1-fail-batches", "2");
      const events = Array.from({ length: 120 }, (_, i) => track(`u${i}`, "purchase", { id: `d${i}` }));
      assert.equal((await post(w, { events })).status, 202);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 120);
      assert.equal(await w.kv.get("test/d1-fail-batches"), "0", "both failures happened");
    } finally {
      await w.close();
    }
  });
});

describe("dead letters", () => {
  test("what fails every retry is kept in KV, listed for an admin, and replayed once D1 works, counting once", async () => {
    const w = await startWorker({}, { kvFault: true, queueRetryDelay: 0, queueMaxRetries: 1 });
    try {
      await seed(w.kv, RULESET);
      // D1 down for longer than the queue retries: 2 deliveries of each batch.
      await w.kv.put("test/d1-fail-batches", "1000");
      const events = [track("u1", "purchase", { id: "dl1" }), track("u2", "purchase", { id: "dl2" }), exposure("u3")];
      assert.equal((await post(w, { events })).status, 202);
      const listed = async () => json(await w.admin("/v1/events/dead-letters"));
      const deadline = Date.now() + 30_000;
      let list = await listed();
      while (list.count === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        list = await listed();
      }
      assert.equal(list.count, 1, JSON.stringify(list));
      const [m] = list.messages;
      assert.deepEqual([m.kind, m.items, list.more], ["events", 3, false]);
      assert.ok(Math.abs(Date.parse(m.at) - Date.now()) < 60_000, m.at);
      assert.equal(await count(w, "SELECT COUNT(*) FROM tracks"), 0);
      // Admin only.
      assert.equal((await w.fetch("/v1/events/dead-letters")).status, 401);
      assert.equal((await w.fetch("/v1/events/dead-letters/replay", { method: "POST", headers: { Authorization: "Bearer nope" } })).status, 403);
      // Replayed while D1 still fails, the message comes back: nothing is lost.
      const early = await w.admin("/v1/events/dead-letters/replay", { method: "POST" });
      assert.deepEqual(await json(early), { replayed: 1, failed: 0, remaining: 0, more: false });
      list = await listed();
      while (list.count === 0 && Date.now() < deadline + 30_000) {
        await new Promise((r) => setTimeout(r, 200));
        list = await listed();
      }
      assert.equal(list.count, 1, "back in the dead letters");
      await w.kv.put("test/d1-fail-batches", "0");
      // One track of the batch was meanwhile written by a client's retry: the replay adds it once.
      assert.equal((await post(w, { events: [track("u1", "purchase", { id: "dl1" })] })).status, 202);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 1);
      const r = await w.admin("/v1/events/dead-letters/replay", { method: "POST" });
      assert.equal(r.status, 200);
      assert.deepEqual(await json(r), { replayed: 1, failed: 0, remaining: 0, more: false });
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 2);
      await waitCount(w, "SELECT COUNT(*) FROM exposures", 1);
      assert.equal((await listed()).count, 0);
      // Nothing more arrives later.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await count(w, "SELECT COUNT(*) FROM tracks"), 2);
    } finally {
      await w.close();
    }
  });
});

describe("exposures at the edge", () => {
  test("/v1/flags, OFREP and the bulk answers record split assignments only, after the response", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, RULESET, 3);
      const one = await json(await w.fetch("/v1/flags/exp?user_id=user:1"));
      await w.fetch("/v1/flags?user_id=user:2");
      await w.fetch("/ofrep/v1/evaluate/flags/exp", { method: "POST", body: JSON.stringify({ context: { targetingKey: "user:3" } }), headers: { "Content-Type": "application/json" } });
      await w.fetch("/ofrep/v1/evaluate/flags", { method: "POST", body: JSON.stringify({ context: { targetingKey: "user:4" } }), headers: { "Content-Type": "application/json" } });
      // Not exposures: a targeted user, an answer about another time, no unit.
      await w.fetch("/v1/flags/exp?user_id=qa-1");
      await w.fetch("/v1/flags/exp", { method: "POST", body: JSON.stringify({ context: { user_id: "user:5" }, at: "2026-01-01T00:00:00Z" }), headers: { "Content-Type": "application/json" } });
      await waitCount(w, "SELECT COUNT(*) FROM exposures WHERE source = 'edge'", 4);
      const row = await w.db.prepare("SELECT * FROM exposures WHERE unit = ?").bind(unitHash("user:1")).first();
      assert.equal(row.variant, one.variant);
      assert.equal(row.version, 3);
      for (const u of ["qa-1", "user:5"]) {
        assert.equal(await count(w, "SELECT COUNT(*) FROM exposures WHERE unit = ?", unitHash(u)), 0, u);
      }
    } finally {
      await w.close();
    }
  });
});

describe("GET /v1/experiments", () => {
  test("needs a key, knows which flags are experiments", async () => {
    const w = await startWorker();
    try {
      await seed(w.kv, RULESET);
      const anon = await w.fetch("/v1/experiments");
      assert.equal(anon.status, 401);
      const list = await json(await w.admin("/v1/experiments"));
      assert.deepEqual(list.experiments.map((e) => e.flag), ["exp"]);
      assert.equal((await json(await w.admin("/v1/experiments/plain"))).error.code, "NOT_AN_EXPERIMENT");
      assert.equal((await w.admin("/v1/experiments/nope")).status, 404);
      // A unit exposed to both variants is left out and counted.
      const events = [exposure("u1", "control"), exposure("u1", "treatment"), exposure("u2", "control"), exposure("u3", "treatment"), track("u1", "purchase", { id: "m1" }), track("u2", "purchase", { id: "m2" })];
      assert.equal((await post(w, { events })).status, 202);
      await waitCount(w, "SELECT COUNT(*) FROM exposures", 4);
      await waitCount(w, "SELECT COUNT(*) FROM tracks", 2);
      const r = await json(await w.fetch("/v1/experiments/exp", { headers: { Authorization: `Bearer ${ADMIN}` } }));
      assert.equal(r.multiple_exposures, 1);
      assert.deepEqual(r.variants.map((v) => [v.name, v.units]), [["control", 1], ["treatment", 1]]);
      const purchase = r.metrics.find((m) => m.event === "purchase");
      assert.deepEqual(purchase.variants.map((v) => [v.name, v.converted]), [["control", 1], ["treatment", 0]]);
      assert.equal(r.verdict.status, "not_enough_data");
    } finally {
      await w.close();
    }
  });
});

test("wrangler applies migrations/ to a local D1 database (the run command's step)", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeflags-d1-"));
  try {
    const out = execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
      encoding: "utf8",
    });
    assert.match(out, /0001_events\.sql/);
    const again = execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
      encoding: "utf8",
    });
    assert.match(again, /No migrations to apply/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Python tracker of docs/experiments.md posts to the Worker as documented", async () => {
  const doc = (await import("node:fs")).readFileSync(join(ROOT, "docs/experiments.md"), "utf8");
  const code = doc.match(/```python\n([\s\S]*?)```/)[1];
  const w = await startWorker({}, { listen: true });
  try {
    await seed(w.kv, RULESET);
    const script = `${code}\nimport sys\nprint(json.dumps(track_conversion("user:7", "revenue", 12.5)))\n` +
      `print(json.dumps(post_events([{"type": "exposure", "flag": "exp", "variant": "control", "unit": "user:7"}], url=sys.argv[1])))\n`;
    const out = execFileSync("python3", ["-c", script.replace('url="https://flags.example.com/v1/events"', `url="${w.url}/v1/events"`), `${w.url}/v1/events`], { encoding: "utf8" });
    assert.deepEqual(out.trim().split("\n").map((l) => JSON.parse(l)), [{ accepted: 1, ignored: 0 }, { accepted: 1, ignored: 0 }]);
    await waitCount(w, "SELECT COUNT(*) FROM tracks WHERE value = 12.5", 1);
    await waitCount(w, "SELECT COUNT(*) FROM exposures", 1);
  } finally {
    await w.close();
  }
});

test("every exposure vector (tests/vectors/exposures.json) through the Worker: exactly the expected exposures reach D1", async () => {
  const vectors = JSON.parse((await import("node:fs")).readFileSync(join(ROOT, "tests/vectors/exposures.json"), "utf8"));
  const w = await startWorker();
  try {
    await seed(w.kv, vectors.ruleset);
    for (const c of vectors.cases) {
      const res = await w.fetch(`/v1/flags/${encodeURIComponent(c.flag)}`, {
        method: "POST",
        body: JSON.stringify({ context: c.context }),
        headers: { "Content-Type": "application/json" },
        cf: NO_CF,
      });
      assert.ok(res.status === 200 || (res.status === 404 && c.exposure === null), `${c.name}: ${res.status}`);
      await res.arrayBuffer();
    }
    const want = vectors.cases.filter((c) => c.exposure).map((c) => [c.flag, c.exposure.variant, unitHash(c.exposure.unit)]);
    await waitCount(w, "SELECT COUNT(*) FROM exposures", want.length);
    await new Promise((r) => setTimeout(r, 1500));
    const rows = (await w.db.prepare("SELECT experiment, variant, unit FROM exposures").all()).results.map((r) => [r.experiment, r.variant, r.unit]);
    const key = (x) => x.join("\u0000");
    assert.deepEqual(rows.map(key).sort(), want.map(key).sort());
  } finally {
    await w.close();
  }
});
