// `edgeflags rollout` (target/release/edgeflags) against the built Worker
// in workerd, listening on 127.0.0.1: `status` shows the plans, the step,
// the guards' figures and the last decisions (text and --json), and
// `pause`/`resume`/`abort` change a rollout through the management API,
// with the CLI's exit codes. The guard is driven as in rollout.test.mjs:
// traffic through the route to a real upstream failing 20 % of its
// requests, then the scheduled handler.
//
// Needs target/release/edgeflags (cargo build --release --bin edgeflags).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ADMIN, ROOT, bucket, putRuleset, runCli, startWorker, waitRequests } from "./helpers.mjs";

const CLI = join(ROOT, "target/release/edgeflags");
if (!existsSync(CLI)) {
  throw new Error(`${CLI} is missing: run cargo build --release --bin edgeflags (scripts/test-worker.sh does)`);
}
const EXIT = { usage: 2, auth: 4, notConfirmed: 6, server: 7 };
const FLAG = "new_api";

function upstream(fail) {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(fail && n % 5 === 0 ? 500 : 200, { "Content-Type": "text/plain" });
    res.end("ok");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

let w, v1, v2;
before(async () => {
  [v1, v2] = await Promise.all([upstream(false), upstream(true)]);
  w = await startWorker({}, { listen: true });
  const plan = {
    steps: [10, 50, 100],
    min_minutes: 0,
    min_requests: 100,
    guards: [{ metric: "error_rate", max: 0.05 }, { metric: "latency", percentile: 99, max_ms: 500 }],
    status: "running",
  };
  const doc = {
    flags: {
      [FLAG]: { percentage: 0, rollout: plan },
      later: { percentage: 0, rollout: { ...plan, status: "paused" } },
    },
    routes: [{ id: "api", path: "/api/**", flag: FLAG, upstreams: { on: v2.url, off: v1.url } }],
  };
  const r = await putRuleset(w, doc);
  assert.equal(r.status, 200, await r.text());
});
after(async () => {
  await w?.close();
  v1?.server.close();
  v2?.server.close();
});

function cli(args, { token = ADMIN } = {}) {
  return runCli(args, { token, url: w.url });
}


test("status before any decision, then after the guard rolled the failing canary back", async () => {
  const empty = await cli(["rollout", "status", "--json"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual(empty.json.rollouts.map((x) => [x.flag, x.status, x.decisions.length]), [
    [FLAG, "running", 0],
    ["later", "paused", 0],
  ]);
  const text0 = await cli(["rollout", "status"]);
  assert.match(text0.stdout, /2 rollout plans at http:\/\/127\.0\.0\.1:\d+ \(version 1\):/);
  assert.match(text0.stdout, /no decisions yet/);

  await w.scheduled(); // start: 0 -> 10 %
  const users = Array.from({ length: 20000 }, (_, i) => `u${i}`);
  const inside = users.filter((u) => bucket(FLAG, u) < 10).slice(0, 150);
  const outside = users.filter((u) => bucket(FLAG, u) >= 50).slice(0, 150);
  // Eight at a time: a burst of hundreds at once queues in the runtime
  // and would measure that queue, not the upstream.
  const list = [...inside, ...outside];
  let next = 0;
  const send = async () => {
    while (next < list.length) {
      const u = list[next++];
      await (await w.fetch(`/api/x/${u}`, { headers: { "X-User-Id": u } })).arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, send));
  await waitRequests(w, 300);
  await w.scheduled(); // rollback: 30 errors in 150

  const st = await cli(["rollout", "status", "--json"]);
  assert.equal(st.code, 0, st.stderr);
  assert.equal(st.json.command, "rollout");
  assert.equal(st.json.version, 3);
  const r = st.json.rollouts.find((x) => x.flag === FLAG);
  assert.deepEqual([r.status, r.percentage, r.next], ["rolled_back", 0, 10]);
  assert.deepEqual(r.decisions.map((d) => d.decision.action), ["rollback", "start"]);
  assert.equal(r.decisions[0].decision.figures[0].treatment, 0.2);
  assert.equal(r.decisions[0].applied, 3);

  const text = await cli(["rollout", "status"]);
  assert.equal(text.code, 0);
  const block = text.stdout.slice(text.stdout.indexOf(`  ${FLAG}  `));
  assert.match(block, /new_api {2}rolled_back {2}at 0%, next 10% {2}\(steps 10% 50% 100%\)/);
  assert.match(block, /guards \(latest figures\):/);
  assert.match(block, /\[0\] error_rate 20% \(control 0%, limit 5%, n 150, p [\d.e-]+\): BREACHED/);
  assert.match(block, /\[1\] latency p99 \d+ ms \(control \d+ ms, limit 500 ms, n 150, p [\d.e-]+\): ok/);
  assert.match(block, /v2 -> v3 {2}rollback: guard 0 breached/);
  assert.match(block, /v1 -> v2 {2}start 0% -> 10%/);

  const one = await cli(["rollout", "status", FLAG, "--limit", "1", "--json"]);
  assert.equal(one.code, 0);
  assert.equal(one.json.rollouts.length, 1);
  assert.equal(one.json.rollouts[0].decisions.length, 1);
});

test("pause, resume and abort from the CLI; exit codes", async () => {
  const resume = await cli(["rollout", "resume", FLAG, "--json"]);
  assert.equal(resume.code, 0, resume.stderr);
  assert.equal(resume.json.outcome, "published");
  assert.equal(resume.json.published.audit.decision.action, "resume");
  const pause = await cli(["rollout", "pause", FLAG]);
  assert.equal(pause.code, 0, pause.stderr);
  assert.match(pause.stdout, /Rollout of new_api: pause done \(version \d+\)\./);
  const again = await cli(["rollout", "pause", FLAG, "--json"]);
  assert.equal(again.json.error.code, "ROLLOUT_CONFLICT");
  assert.notEqual(again.code, 0);
  // Abort asks first: stdin is not a terminal, so it refuses without --yes.
  const refused = await cli(["rollout", "abort", FLAG, "--json"]);
  assert.equal(refused.code, EXIT.notConfirmed);
  const abort = await cli(["rollout", "abort", FLAG, "--yes", "--json"]);
  assert.equal(abort.code, 0, abort.stderr);
  const st = await cli(["rollout", "status", FLAG, "--json"]);
  assert.deepEqual([st.json.rollouts[0].status, st.json.rollouts[0].percentage], ["rolled_back", 0]);
  assert.equal(st.json.rollouts[0].decisions[0].decision.action, "abort");

  assert.equal((await cli(["rollout", "status", "nope", "--json"])).code, EXIT.server);
  assert.equal((await cli(["rollout", "status", "--json"], { token: null })).code, EXIT.auth);
  assert.equal((await cli(["rollout", "explode"])).code, EXIT.usage);
  assert.equal((await cli(["rollout", "pause"])).code, EXIT.usage);
});
