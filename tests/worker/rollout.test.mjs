// Guarded rollouts end to end in workerd: real upstreams on 127.0.0.1 (a
// healthy v1; a v2 that is healthy, fails 20 % of its requests, or adds
// 800 ms), traffic through the Worker's route, the proxy's route metrics
// through the queue into D1, and the scheduled handler (the Cron
// Trigger's run) between traffic bursts. The guard must advance a healthy
// canary step by step to 100 % and complete it, roll back a failing one
// at the first check with data, breach the p99 guard of a slow one, hold
// (never roll back) without traffic, and say why in the audit log and the
// decision log. Pause, resume and abort go through the management API;
// route metrics are counted once when the queue redelivers.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { ADMIN, ROOT, bucket, json, putRuleset, startWorker, waitForD1, waitRequests } from "./helpers.mjs";

const FLAG = "new_api";
const STEPS = [10, 50, 100];

/** An upstream whose `behave(n)` (n: its request count from 1) says how
 * to answer: `{ status, delay }`. */
function upstream(name, behave = () => ({ status: 200, delay: 0 })) {
  let n = 0;
  const server = createServer((req, res) => {
    const { status, delay } = behave(++n);
    req.resume();
    setTimeout(() => {
      res.writeHead(status, { "Content-Type": "application/json", "X-Upstream": name });
      res.end(JSON.stringify({ upstream: name, n }));
    }, delay);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, name, count: () => n, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    );
  });
}

/** A webhook receiver: records each POSTed body; `hang` never answers. */
function hookServer({ hang = false } = {}) {
  const seen = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push(JSON.parse(body));
      if (!hang) res.end("ok");
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve({
        seen,
        url: `http://127.0.0.1:${server.address().port}/hook`,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    );
  });
}

function ruleset(v1, v2, plan = {}) {
  return {
    flags: {
      [FLAG]: {
        percentage: 0,
        rollout: {
          steps: STEPS,
          min_minutes: 0,
          min_requests: 100,
          guards: [
            { metric: "error_rate", max: 0.05 },
            { metric: "latency", percentile: 99, max_ms: 500 },
          ],
          on_breach: "rollback",
          status: "running",
          ...plan,
        },
      },
    },
    routes: [{ id: "api", path: "/api/**", flag: FLAG, upstreams: { on: v2.url, off: v1.url } }],
  };
}

// Users inside the first step (treatment from the start) and outside the
// second (control until 100 %), by the bucketing spec.
const users = Array.from({ length: 20000 }, (_, i) => `user-${i}`);
const TREATMENT = users.filter((u) => bucket(FLAG, u) < STEPS[0]);
const CONTROL = users.filter((u) => bucket(FLAG, u) >= STEPS[1]);

/** Sends one request per user through the route, `concurrency` at a time
 * (a few: hundreds at once would queue in the runtime, and the latency
 * measured would be that queue's, not the upstream's); the served
 * variants and statuses. */
async function traffic(w, list, concurrency = 8) {
  const variants = {};
  const statuses = {};
  let next = 0;
  const one = async () => {
    while (next < list.length) {
      const user = list[next++];
      const r = await w.fetch(`/api/orders/${user}`, { headers: { "X-User-Id": user } });
      await r.arrayBuffer();
      const v = r.headers.get("x-edgeflags-variant");
      variants[v] = (variants[v] ?? 0) + 1;
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return { variants, statuses };
}

/** Sends a burst and waits until D1 holds its route metrics. */
async function burst(w, nTreatment, nControl, offset, concurrency) {
  const list = [...TREATMENT.slice(offset, offset + nTreatment), ...CONTROL.slice(offset, offset + nControl)];
  const out = await traffic(w, list, concurrency);
  await waitRequests(w, w.sent + list.length);
  w.sent += list.length;
  return out;
}


async function start(v1, v2, plan, vars = {}) {
  const w = await startWorker(vars);
  w.sent = 0;
  const r = await putRuleset(w, ruleset(v1, v2, plan));
  assert.equal(r.status, 200, await r.text());
  return w;
}

/** Runs the scheduled handler once; the decision it logged for the flag. */
async function tick(w) {
  const before = await decisions(w, 1);
  await w.scheduled();
  const after = await decisions(w, 1);
  assert.ok(after.length > 0 && after[0].id !== before[0]?.id, "the tick logged a decision");
  return after[0];
}

async function decisions(w, limit = 100) {
  const r = await w.admin(`/v1/rollouts/${FLAG}/decisions?limit=${limit}`);
  assert.equal(r.status, 200);
  return (await json(r)).decisions;
}

async function rollout(w) {
  const body = await json(await w.admin("/v1/rollouts"));
  return body.rollouts.find((x) => x.flag === FLAG);
}

async function guardAudit(w) {
  const body = await json(await w.admin("/v1/audit"));
  return body.entries.filter((e) => e.by === "rollout-guard");
}

describe("the guard in workerd", () => {
  test("a healthy canary advances step by step to 100 % and completes", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const w = await start(v1, v2);
    try {
      const t0 = Date.now();
      const first = await tick(w);
      assert.equal(first.decision.action, "start");
      assert.deepEqual([first.decision.from, first.decision.to], [0, 10]);
      assert.equal((await rollout(w)).percentage, 10);

      const seen = await burst(w, 150, 150, 0);
      assert.deepEqual(seen.variants, { on: 150, off: 150 });
      assert.deepEqual(seen.statuses, { 200: 300 });
      const a1 = await tick(w);
      assert.equal(a1.decision.action, "advance", JSON.stringify(a1.decision));
      assert.deepEqual([a1.decision.from, a1.decision.to], [10, 50]);
      // The window is exactly this step's traffic.
      assert.equal(a1.inputs.treatment.requests, 150);
      assert.equal(a1.inputs.control.requests, 150);
      assert.equal(a1.inputs.treatment.errors, 0);
      assert.equal(a1.decision.figures.length, 2);
      assert.ok(a1.decision.figures.every((f) => !f.breached && !f.past_limit));

      await burst(w, 150, 150, 150);
      const a2 = await tick(w);
      assert.equal(a2.decision.action, "advance", JSON.stringify(a2.decision));
      assert.deepEqual([a2.decision.from, a2.decision.to], [50, 100]);
      assert.equal(a2.inputs.treatment.requests, 150, "only requests served at 50 % count for the 50 % step");

      const all = await burst(w, 150, 150, 300);
      assert.deepEqual(all.variants, { on: 300 }, "at 100 % everyone gets the canary");
      const done = await tick(w);
      assert.equal(done.decision.action, "complete", JSON.stringify(done.decision));
      const r = await rollout(w);
      assert.equal(r.status, "done");
      assert.equal(r.percentage, 100);

      // Done: the guard leaves it alone.
      const n = (await decisions(w)).length;
      await w.scheduled();
      assert.equal((await decisions(w)).length, n);

      // The audit log: one version per step, by the guard, with the figures.
      const audit = await guardAudit(w);
      assert.deepEqual(
        audit.map((e) => [e.action, e.flag, e.decision.action]),
        [
          ["rollout", FLAG, "start"],
          ["rollout", FLAG, "advance"],
          ["rollout", FLAG, "advance"],
          ["rollout", FLAG, "complete"],
        ],
      );
      assert.equal(audit[1].decision.observed.treatment.requests, 150);
      assert.equal(audit[1].decision.figures[0].metric, "error_rate");
      assert.equal(audit[3].version, r.decisions[0].applied);
      const p99 = [a1, a2, done].map((d) => d.decision.figures[1].treatment);
      console.log(`  healthy canary: 0 -> 10 -> 50 -> 100 -> done in ${((Date.now() - t0) / 1000).toFixed(1)} s; treatment p99 per step ${p99.join(", ")} ms`);
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });

  test("a canary failing 20 % of its requests is rolled back at the first check with data, and the webhook says so", async () => {
    const hook = await hookServer();
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2", (n) => ({ status: n % 5 === 0 ? 500 : 200, delay: 0 }))]);
    const w = await start(v1, v2, { webhook: hook.url });
    try {
      assert.equal((await tick(w)).decision.action, "start");
      await burst(w, 150, 150, 0);
      const d = await tick(w);
      assert.equal(d.decision.action, "rollback", JSON.stringify(d.decision));
      assert.equal(d.decision.guard, 0);
      const f = d.decision.figures[0];
      assert.equal(f.metric, "error_rate");
      assert.equal(f.treatment, 0.2);
      assert.equal(f.limit, 0.05);
      assert.ok(f.breached && f.p_value <= f.alpha, JSON.stringify(f));
      assert.deepEqual([d.inputs.treatment.requests, d.inputs.treatment.errors], [150, 30]);
      assert.equal(d.inputs.control.errors, 0);
      const r = await rollout(w);
      assert.deepEqual([r.percentage, r.status], [0, "rolled_back"]);
      // Everyone is back on v1.
      const after = await traffic(w, TREATMENT.slice(0, 20));
      assert.deepEqual(after.variants, { off: 20 });
      // The audit entry names the guard and its figures.
      const audit = await guardAudit(w);
      const last = audit.at(-1);
      assert.equal(last.decision.action, "rollback");
      assert.equal(last.decision.figures[0].treatment, 0.2);
      assert.equal(last.decision.observed.treatment.errors, 30);
      // Webhooks: the start and the rollback (posted after the tick).
      const deadline = Date.now() + 10_000;
      while (hook.seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(hook.seen.map((h) => h.decision.action), ["start", "rollback"]);
      assert.equal(hook.seen[1].flag, FLAG);
      assert.equal(hook.seen[1].version, last.version);
      // A rolled back plan is not decided again.
      const n = (await decisions(w)).length;
      await w.scheduled();
      assert.equal((await decisions(w)).length, n);
    } finally {
      await w.close();
      v1.close();
      v2.close();
      hook.close();
    }
  });

  test("the design notes' auto kill switch: an ops flag at 100 % with an error-rate guard kills itself, and the audit log says so", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2", (n) => ({ status: n % 4 === 0 ? 503 : 200, delay: 0 }))]);
    // Everyone on v2 (the step is 100 %); the plan only watches.
    const w = await startWorker();
    w.sent = 0;
    const doc = ruleset(v1, v2, { steps: [100], min_minutes: 60, on_breach: "kill", guards: [{ metric: "error_rate", max: 0.05 }] });
    doc.flags[FLAG].percentage = 100;
    doc.flags[FLAG].tags = ["ops"];
    assert.equal((await putRuleset(w, doc)).status, 200);
    try {
      assert.equal((await tick(w)).decision.action, "start");
      const before = await traffic(w, users.slice(0, 20));
      assert.deepEqual(before.variants, { on: 20 });
      await waitRequests(w, 20);
      w.sent = 20;
      await burst(w, 120, 0, 0);
      const d = await tick(w);
      assert.equal(d.decision.action, "kill", JSON.stringify(d.decision));
      assert.ok(d.decision.figures[0].breached);
      const r = await rollout(w);
      assert.equal(r.status, "killed");
      // Killed: everyone gets the off variant, so v1.
      const after = await traffic(w, users.slice(0, 20));
      assert.deepEqual(after.variants, { off: 20 });
      const flag = await json(await w.admin("/v1/versions/current"));
      assert.equal(flag.flags[FLAG].killed, true);
      const last = (await guardAudit(w)).at(-1);
      assert.equal(last.decision.action, "kill");
      assert.equal(last.by, "rollout-guard");
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });

  test("a canary 800 ms slower breaches the p99 guard", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2", () => ({ status: 200, delay: 800 }))]);
    const w = await start(v1, v2);
    try {
      assert.equal((await tick(w)).decision.action, "start");
      await burst(w, 60, 60, 0, 30);
      const d = await tick(w);
      assert.equal(d.decision.action, "rollback", JSON.stringify(d.decision));
      assert.equal(d.decision.guard, 1);
      const f = d.decision.figures[1];
      assert.deepEqual([f.metric, f.percentile, f.limit], ["latency", 99, 500]);
      assert.ok(f.treatment >= 750, `p99 ${f.treatment} ms`);
      assert.ok(f.control < 500, `control p99 ${f.control} ms`);
      assert.ok(f.breached);
      assert.equal(d.decision.figures[0].breached, false, "no errors");
      // Every treatment request sits above 750 ms in the histogram.
      const slow = d.inputs.treatment.latency.slice(20).reduce((a, b) => a + b, 0);
      assert.equal(slow, 60);
      const r = await rollout(w);
      assert.deepEqual([r.percentage, r.status], [0, "rolled_back"]);
      assert.equal((await guardAudit(w)).at(-1).decision.figures[1].breached, true);
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });

  test("no traffic holds and never rolls back; a hanging webhook is given up after 5 s", async () => {
    const hook = await hookServer({ hang: true });
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2", () => ({ status: 500, delay: 0 }))]);
    const w = await start(v1, v2, { webhook: hook.url });
    try {
      const t = Date.now();
      assert.equal((await tick(w)).decision.action, "start");
      assert.ok(Date.now() - t < 9000, `the tick with a hanging webhook took ${Date.now() - t} ms`);
      for (let i = 0; i < 3; i++) {
        const d = await tick(w);
        assert.equal(d.decision.action, "hold");
        assert.equal(d.decision.reason, "no_traffic");
        assert.equal(d.applied, null);
      }
      const r = await rollout(w);
      assert.deepEqual([r.percentage, r.status], [10, "running"]);
      assert.deepEqual(r.decisions.map((d) => d.decision.reason ?? d.decision.action), ["no_traffic", "no_traffic", "no_traffic", "start"]);
      // Holds are logged, not versions.
      assert.deepEqual((await guardAudit(w)).map((e) => e.decision.action), ["start"]);
      assert.equal(hook.seen.length, 1);
    } finally {
      await w.close();
      v1.close();
      v2.close();
      hook.close();
    }
  });
});

describe("by hand, and who may read", () => {
  test("pause, resume and abort through the management API, audited; reading needs a key", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const w = await start(v1, v2, {}, { SERVER_KEY: "server-key" });
    try {
      assert.equal((await tick(w)).decision.action, "start");
      const act = (a) => w.admin(`/v1/flags/${FLAG}/rollout/${a}`, { method: "POST" });
      const paused = await act("pause");
      assert.equal(paused.status, 200, await paused.clone().text());
      const p = await json(paused);
      assert.equal(p.action, "rollout");
      assert.deepEqual([p.audit.by, p.audit.decision.action], ["admin", "pause"]);
      assert.equal((await rollout(w)).status, "paused");
      // Paused: the guard does not decide it.
      const n = (await decisions(w)).length;
      await w.scheduled();
      assert.equal((await decisions(w)).length, n, "no guard decision while paused");
      assert.equal((await json(await act("pause"))).error.code, "ROLLOUT_CONFLICT");
      // Resume: the guard's next check starts the step again.
      assert.equal((await act("resume")).status, 200);
      assert.equal((await rollout(w)).status, "running");
      const again = await tick(w);
      assert.deepEqual([again.decision.action, again.decision.from, again.decision.to], ["start", 10, 10]);
      // Abort: 0 %, rolled back.
      assert.equal((await act("abort")).status, 200);
      const r = await rollout(w);
      assert.deepEqual([r.percentage, r.status], [0, "rolled_back"]);
      assert.equal((await json(await act("abort"))).error.code, "ROLLOUT_CONFLICT");
      // The log has the actions by hand too, newest first.
      const log = await decisions(w);
      assert.deepEqual(log.map((d) => d.decision.action), ["abort", "start", "resume", "pause", "start"]);
      assert.equal(log[0].decision.by_hand, true);
      assert.equal(log[0].inputs.by, "admin");
      // Errors and access.
      assert.equal((await w.admin("/v1/flags/nope/rollout/pause", { method: "POST" })).status, 404);
      assert.equal((await w.fetch(`/v1/flags/${FLAG}/rollout/resume`, { method: "POST" })).status, 401);
      assert.equal((await w.fetch("/v1/rollouts")).status, 401);
      assert.equal((await w.fetch(`/v1/rollouts/${FLAG}/decisions`)).status, 401);
      const server = await w.fetch(`/v1/rollouts/${FLAG}/decisions?limit=2`, { headers: { Authorization: "Bearer server-key" } });
      assert.equal(server.status, 200);
      const page = await json(server);
      assert.equal(page.decisions.length, 2);
      const next = await json(
        await w.fetch(`/v1/rollouts/${FLAG}/decisions?limit=2&cursor=${page.cursor}`, { headers: { Authorization: "Bearer server-key" } }),
      );
      assert.equal(next.decisions[0].id, page.decisions[1].id - 1);
      assert.equal((await w.admin("/v1/rollouts/nope/decisions")).status, 404);
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });
});

describe("a plan on a rule", () => {
  test("the guard raises the rule's percentage, the API pauses and aborts it there, the flag-level serve is untouched", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const w = await startWorker();
    w.sent = 0;
    const doc = ruleset(v1, v2);
    const plan = doc.flags[FLAG].rollout;
    delete doc.flags[FLAG].rollout;
    delete doc.flags[FLAG].percentage;
    // Only users whose id starts with "user-1" are in the canary's rule.
    doc.flags[FLAG].rules = [{ id: "ones", conditions: [{ attribute: "user_id", op: "starts_with", value: "user-1" }], variant: "on", percentage: 0, rollout: { ...plan, steps: [50, 100] } }];
    assert.equal((await putRuleset(w, doc)).status, 200);
    try {
      const start = await tick(w);
      assert.deepEqual([start.decision.action, start.decision.to], ["start", 50]);
      const current = await json(await w.admin("/v1/versions/current"));
      assert.equal(current.flags[FLAG].rules[0].percentage, 50);
      assert.equal(current.flags[FLAG].percentage, undefined);
      const ones = users.filter((u) => u.startsWith("user-1")).slice(0, 300);
      const others = users.filter((u) => !u.startsWith("user-1")).slice(0, 100);
      const seen = await traffic(w, [...ones, ...others]);
      await waitRequests(w, 400);
      const inRule = ones.filter((u) => bucket(FLAG, u) < 50).length;
      assert.deepEqual(seen.variants, { on: inRule, off: 400 - inRule }, "only the rule's users, inside its 50 %, get the canary");
      const d = await tick(w);
      assert.equal(d.decision.action, "advance", JSON.stringify(d.decision));
      assert.equal(d.inputs.treatment.requests, inRule);
      const listed = await rollout(w);
      assert.deepEqual([listed.percentage, listed.rule], [100, "ones"]);
      const paused = await w.admin(`/v1/flags/${FLAG}/rollout/pause`, { method: "POST" });
      assert.equal(paused.status, 200, await paused.text());
      assert.equal((await rollout(w)).status, "paused");
      const aborted = await w.admin(`/v1/flags/${FLAG}/rollout/abort`, { method: "POST" });
      assert.equal(aborted.status, 200, await aborted.text());
      const after = await json(await w.admin("/v1/versions/current"));
      assert.equal(after.flags[FLAG].rules[0].percentage, 0);
      assert.equal(after.flags[FLAG].rules[0].rollout.status, "rolled_back");
      // The client view never carries the plan.
      const view = await json(await w.fetch("/v1/ruleset"));
      assert.equal(view.flags[FLAG].rules[0].rollout, undefined);
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });
});

describe("route metrics", () => {
  test("requests are counted once when the queue redelivers (D1 failing in the consumer)", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2", (n) => ({ status: n % 4 === 0 ? 503 : 200, delay: 0 }))]);
    const w = await startWorker({}, { kvFault: true, queueRetryDelay: 0 });
    try {
      const doc = ruleset(v1, v2);
      doc.flags[FLAG].percentage = 10;
      delete doc.flags[FLAG].rollout;
      assert.equal((await putRuleset(w, doc)).status, 200);
      await w.kv.put("test/d1-fail-batches", "2");
      const seen = await traffic(w, [...TREATMENT.slice(0, 40), ...CONTROL.slice(0, 40)]);
      assert.deepEqual(seen.variants, { on: 40, off: 40 });
      await waitRequests(w, 80);
      assert.equal(await w.kv.get("test/d1-fail-batches"), "0", "both failures happened");
      await new Promise((r) => setTimeout(r, 1500));
      const rows = (await w.db.prepare("SELECT variant, SUM(requests) AS requests, SUM(errors) AS errors FROM route_metrics GROUP BY variant ORDER BY variant").all()).results;
      assert.deepEqual(rows, [
        { variant: "off", requests: 40, errors: 0 },
        { variant: "on", requests: 40, errors: 10 },
      ]);
      const hist = (await w.db.prepare("SELECT latency FROM route_metrics").all()).results.map((r) => JSON.parse(r.latency));
      assert.ok(hist.every((h) => h.length === 35));
      assert.equal(hist.flat().reduce((a, b) => a + b, 0), 80);
      // An unreachable upstream and a timeout are errors too.
      doc.routes.push({ id: "dead", path: "/dead/**", flag: FLAG, upstreams: { on: "http://127.0.0.1:9", off: "http://127.0.0.1:9" } });
      assert.equal((await putRuleset(w, doc)).status, 200);
      const dead = await w.fetch("/dead/x", { headers: { "X-User-Id": CONTROL[0] } });
      assert.equal(dead.status, 502);
      await waitRequests(w, 81);
      const off = await w.db.prepare("SELECT SUM(errors) AS e FROM route_metrics WHERE variant = 'off'").first();
      assert.equal(off.e, 1);
    } finally {
      await w.close();
      v1.close();
      v2.close();
    }
  });
});

// Applications report outcomes where they use a flag (no route at the
// edge): the npm package evaluates the flag locally (re-reading the client
// view after each guard decision, as a synced page would), reports each
// request's error, latency and a custom metric with flags.outcome(), and
// its sender posts them to the Worker's /v1/events; the guard decides on
// them alone.
describe("outcomes from applications", () => {
  const APP_FLAG = "new_checkout";
  const appRuleset = () => ({
    flags: {
      [APP_FLAG]: {
        percentage: 0,
        rollout: {
          steps: [10, 50, 100],
          min_minutes: 0,
          min_requests: 100,
          guards: [
            { metric: "error_rate", max: 0.05 },
            { metric: "custom", name: "checkout_failed", max_increase: 0.05 },
          ],
          status: "running",
        },
      },
    },
  });
  const appUsers = Array.from({ length: 20000 }, (_, i) => `buyer-${i}`);
  const inFirst = appUsers.filter((u) => bucket(APP_FLAG, u) < 10);
  const outSecond = appUsers.filter((u) => bucket(APP_FLAG, u) >= 50);

  async function app(w) {
    const { Flags } = await import(pathToFileURL(join(ROOT, "pkg/dist/node.mjs")).href);
    const view = await json(await w.fetch("/v1/ruleset"));
    const errors = [];
    const flags = new Flags(view, { events: { url: `${w.url}/v1/events`, flushAt: 1e9, flushIntervalMs: 0, onError: (e) => errors.push(e) } });
    flags.sync = async () => flags.update(await json(await w.fetch("/v1/ruleset")));
    flags.errors = errors;
    return flags;
  }

  /** Each user's outcome: checkout failed when `failed(i)` says so. */
  async function report(w, flags, list, failed) {
    const served = {};
    list.forEach((u) => {
      const ctx = { user_id: u };
      const variant = flags.variant(APP_FLAG, ctx);
      const k = (served[variant] = (served[variant] ?? 0) + 1);
      const v = flags.outcome(APP_FLAG, ctx, { latencyMs: 30 + (k % 7), metrics: { checkout_failed: failed(k, variant) ? 1 : 0 } });
      assert.equal(v, variant);
    });
    assert.equal(await flags.flush(), true, String(flags.errors));
    w.sent += list.length;
    await waitForD1(w, "SELECT TOTAL(requests) AS n FROM route_metrics", w.sent, "outcomes in D1");
    return served;
  }

  async function appTick(w) {
    await w.scheduled();
    const r = await w.admin(`/v1/rollouts/${APP_FLAG}/decisions?limit=1`);
    return (await json(r)).decisions[0];
  }

  test("healthy outcomes advance the rollout; a checkout failing more often rolls it back on the custom guard", async () => {
    const w = await startWorker({}, { listen: true });
    w.sent = 0;
    try {
      assert.equal((await putRuleset(w, appRuleset())).status, 200);
      assert.equal((await appTick(w)).decision.action, "start");
      const flags = await app(w);
      await flags.sync();
      // 2 % of checkouts fail on both sides (every 50th).
      const healthy = (k) => k % 50 === 0;
      const served = await report(w, flags, [...inFirst.slice(0, 150), ...outSecond.slice(0, 150)], healthy);
      assert.deepEqual(served, { on: 150, off: 150 });
      const a = await appTick(w);
      assert.equal(a.decision.action, "advance", JSON.stringify(a.decision));
      assert.deepEqual([a.decision.from, a.decision.to], [10, 50]);
      assert.deepEqual([a.inputs.treatment.requests, a.inputs.treatment.errors], [150, 0]);
      assert.deepEqual(a.inputs.treatment.metrics.checkout_failed, { n: 150, sum: 3, sum_sq: 3 });
      const custom = a.decision.figures[1];
      assert.deepEqual([custom.metric, custom.name, custom.bound, custom.samples, custom.control_samples], ["custom", "checkout_failed", "max_increase", 150, 150]);
      assert.equal(custom.treatment, 0.02);
      assert.equal(a.inputs.treatment.latency.reduce((x, y) => x + y, 0), 150, "latencies reported land in the histogram");
      // At 50 %: the treatment's checkouts fail 40 % of the time.
      await flags.sync();
      const bad = (k, variant) => (variant === "on" ? k % 5 < 2 : k % 50 === 0);
      const at50 = await report(w, flags, [...inFirst.slice(150, 350), ...outSecond.slice(150, 350)], bad);
      assert.deepEqual(at50, { on: 200, off: 200 });
      const d = await appTick(w);
      assert.equal(d.decision.action, "rollback", JSON.stringify(d.decision));
      assert.equal(d.decision.guard, 1);
      const f = d.decision.figures[1];
      assert.ok(f.breached && f.treatment === 0.4 && Math.abs(f.limit - 0.07) < 1e-12, JSON.stringify(f));
      assert.equal(d.inputs.treatment.requests, 200, "only outcomes of the 50 % step count");
      const r = (await json(await w.admin("/v1/rollouts"))).rollouts.find((x) => x.flag === APP_FLAG);
      assert.deepEqual([r.percentage, r.status], [0, "rolled_back"]);
      // Documented JSON from a backend: an outcome needs an id; unknown flags are ignored.
      const raw = await w.fetch("/v1/events", { method: "POST", body: JSON.stringify({ events: [{ type: "outcome", flag: APP_FLAG, variant: "on" }] }) });
      assert.equal(raw.status, 400);
      assert.match((await json(raw)).error.problems[0].message, /an outcome needs "id"/);
      const ok = await w.fetch("/v1/events", {
        method: "POST",
        body: JSON.stringify({ events: [{ type: "outcome", id: "req-1", flag: APP_FLAG, variant: "on", error: true }, { type: "outcome", id: "req-2", flag: "nope", variant: "on" }] }),
      });
      assert.equal(ok.status, 202);
      assert.deepEqual(await json(ok), { accepted: 1, ignored: 1 });
      await flags.close();
    } finally {
      await w.close();
    }
  });
});
