// The operator's CLI (`target/release/edgeflags push|pull|diff|history|rollback`)
// end to end against the built Worker in workerd, listening on a port of
// 127.0.0.1 (Miniflare), through the documented management API only.
//
// - push: to an empty store (first version), a dry run whose semantic diff
//   and blast radius are checked (the blast radius against an independent
//   count: every sample context evaluated by the Worker itself before and
//   after the publish, at the same `at`, plus the bucketing spec's MD5 for
//   the rollout change), the refusal to publish without --yes when stdin
//   is not a terminal, then the publish;
// - pull, diff of two versions (and a file against a version), history,
//   rollback;
// - failures and their exit codes: 412 (a change made between the CLI's
//   read and its write, by a proxy in front of the Worker), 401 without a
//   token, 403 with a wrong one, 422 from the server (the proxy swaps the
//   body), a locally invalid file (exit 1, nothing sent), a refused
//   connection (exit 3).
//
// Needs target/release/edgeflags (scripts/test-worker.sh builds it).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ADMIN, NO_CF, ROOT, bucket, exampleText, json, runCli, startWorker } from "./helpers.mjs";

const CLI = join(ROOT, "target/release/edgeflags");
if (!existsSync(CLI)) {
  throw new Error(`${CLI} is missing: run cargo build --release --bin edgeflags (scripts/test-worker.sh does)`);
}

const NOW = "2026-11-01T00:00:00Z";
const AT = Date.parse(NOW);
const EXIT = { invalid: 1, usage: 2, network: 3, auth: 4, conflict: 5, notConfirmed: 6, server: 7 };

let w;
let dir;

before(async () => {
  w = await startWorker({}, { listen: true });
  dir = mkdtempSync(join(tmpdir(), "edgeflags-cli-ops-"));
});

after(async () => {
  await w?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cli(args, opts = {}) {
  return runCli(args, opts);
}

function file(name, content) {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

/** The live version number and document, through the API. */
async function live() {
  const list = await json(await w.admin("/v1/versions?limit=1"));
  if (list.current == null) return { version: null, doc: null };
  return { version: list.current, doc: await json(await w.admin(`/v1/versions/${list.current}`)) };
}

/** A proxy in front of the Worker: `hook(req, body)` runs before each
 * request is forwarded and may return a replacement request body, or
 * `{ answer: <JSON> }` to answer 200 with that itself. */
async function proxy(hook) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body = Buffer.concat(chunks);
    const swapped = await hook(req, body);
    if (swapped?.answer !== undefined) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(swapped.answer));
      return;
    }
    if (swapped !== undefined) body = Buffer.from(swapped);
    const headers = {};
    for (const h of ["authorization", "if-match", "content-type", "accept"]) if (req.headers[h]) headers[h] = req.headers[h];
    const up = await fetch(w.url + req.url, {
      method: req.method,
      headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
    });
    const out = Buffer.from(await up.arrayBuffer());
    const keep = {};
    for (const h of ["content-type", "etag", "www-authenticate"]) if (up.headers.get(h)) keep[h] = up.headers.get(h);
    res.writeHead(up.status, keep);
    res.end(out);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

// The sample: 200 contexts with user ids, plans, countries and emails.
const PLANS = ["free", "pro", "team", "enterprise"];
const COUNTRIES = ["US", "CA", "DE", "KP"];
const CONTEXTS = Array.from({ length: 200 }, (_, i) => ({
  user_id: `u${i}`,
  plan: PLANS[i % 4],
  country: COUNTRIES[(i >> 2) % 4],
  ...(i % 10 === 0 ? { email: `e${i}@company.com` } : {}),
}));

/** Every flag for every context (server-only ones too: as an admin), evaluated by the Worker at AT. */
async function evaluateAll() {
  const out = [];
  for (const context of CONTEXTS) {
    const res = await w.admin("/v1/flags", { method: "POST", body: JSON.stringify({ context, at: AT }), cf: NO_CF });
    out.push((await json(res)).flags);
  }
  return out;
}

/** The edited example: every kind of change the diff reports. */
function edited() {
  const doc = JSON.parse(exampleText());
  doc.flags.new_search = { percentage: 50 };
  doc.flags.dark_mode.users.push("u3");
  doc.flags.maintenance = true;
  delete doc.flags.legacy_rollout;
  doc.flags.brand_new = { users: ["u1", "u2"] };
  doc.flags.max_upload_mb.rules[1].conditions = [{ attribute: "plan", op: "in", values: ["pro"] }];
  doc.segments.beta_testers.users.push("u5");
  doc.routes[0].upstreams.on = "http://127.0.0.1:9003";
  return doc;
}

let editedPath;
// The Worker's answers for CONTEXTS under version 1, and the dry run's
// blast radius: compared once version 2 is published.
let before1;
let predicted;

test("push to an empty Worker publishes the first version", async () => {
  assert.equal((await live()).version, null);
  const r = await cli(["push", join(ROOT, "examples/ruleset.json"), "--url", w.url, "--yes", "--json", "--now", NOW]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.outcome, "published");
  assert.equal(r.json.live, null);
  assert.equal(r.json.published.version, 1);
  assert.equal(r.json.summary.flags.added, Object.keys(JSON.parse(exampleText()).flags).length);
  assert.equal((await live()).version, 1);
});

test("push --dry-run: the semantic diff, and a blast radius equal to the Worker's own answers", async () => {
  editedPath = file("edited.json", edited());
  const contexts = file("contexts.jsonl", CONTEXTS.map((c) => JSON.stringify(c)).join("\n") + "\n");
  const r = await cli(["push", editedPath, "--url", w.url, "--dry-run", "--json", "--contexts", contexts, "--now", NOW]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.outcome, "dry-run");
  assert.equal(r.json.live, 1);
  assert.equal((await live()).version, 1, "a dry run publishes nothing");

  // The semantic diff, per flag.
  const flags = Object.fromEntries(r.json.diff.flags.map((f) => [f.key, f]));
  assert.deepEqual(flags.new_search.changes, [{ field: "percentage", change: "changed", before: 20, after: 50 }]);
  assert.deepEqual(flags.maintenance.changes, [{ field: "enabled", change: "changed", before: false, after: true }]);
  assert.deepEqual(flags.dark_mode.changes, [{ field: "users", change: "members", added: ["u3"], removed: [] }]);
  assert.equal(flags.brand_new.status, "added");
  assert.equal(flags.legacy_rollout.status, "removed");
  assert.deepEqual(flags.max_upload_mb.changes, [
    {
      field: "rules.paid.conditions",
      change: "members",
      added: [{ attribute: "plan", op: "in", values: ["pro"] }],
      removed: [{ attribute: "plan", op: "in", values: ["pro", "team"] }],
    },
  ]);
  assert.deepEqual(r.json.summary, { flags: { added: 1, removed: 1, changed: 4 }, segments: 1, routes: 1, ruleset: 0 });
  assert.deepEqual(r.json.diff.segments[0].changes, [{ field: "users", change: "members", added: ["u5"], removed: [] }]);
  assert.deepEqual(r.json.diff.routes[0].changes, [
    { field: "upstreams.on", change: "changed", before: "http://127.0.0.1:9002", after: "http://127.0.0.1:9003" },
  ]);

  // The blast radius, against the bucketing spec for the rollout...
  const br = Object.fromEntries(r.json.blastRadius.flags.map((f) => [f.key, f]));
  assert.equal(r.json.blastRadius.contexts, CONTEXTS.length);
  assert.equal(r.json.blastRadius.now, NOW);
  const widened = CONTEXTS.filter((c) => {
    const b = bucket("new_search", c.user_id);
    return b >= 20 && b < 50;
  }).length;
  assert.ok(widened > 0);
  assert.equal(br.new_search.changed, widened);
  assert.deepEqual(br.new_search.transitions, [{ from: "off", to: "on", count: widened }]);
  // ...and against the Worker: every context, every flag, before and after.
  before1 = await evaluateAll();
  predicted = Object.fromEntries(r.json.blastRadius.flags.map((f) => [f.key, f.changed]));
});

test("push without --yes on a stdin that is not a terminal refuses (exit 6) after showing the diff", async () => {
  const r = await cli(["push", editedPath, "--url", w.url, "--now", NOW]);
  assert.equal(r.code, EXIT.notConfirmed, r.stderr);
  assert.match(r.stdout, /~ flag new_search\n\s+percentage: 20 -> 50/);
  assert.match(r.stdout, /\+ flag brand_new/);
  assert.match(r.stdout, /- flag legacy_rollout/);
  assert.match(r.stdout, /Blast radius: \d+ contexts \(evaluation vectors\)/);
  assert.match(r.stderr, /not published: stdin is not a terminal.*--yes/);
  assert.equal((await live()).version, 1);
  // --json never asks either.
  const j = await cli(["push", editedPath, "--url", w.url, "--json"]);
  assert.equal(j.code, EXIT.notConfirmed);
  assert.equal(j.json.error.code, "NOT_CONFIRMED");
  assert.ok(j.json.diff, "the diff is in the output all the same");
});

test("push --yes publishes with If-Match; the Worker's answers moved exactly as the blast radius said", async () => {
  const r = await cli(["push", editedPath, "--url", w.url, "--yes", "--json", "--now", NOW]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.outcome, "published");
  assert.equal(r.json.published.version, 2);
  assert.equal(r.json.published.previous, 1);
  assert.equal(r.json.published.action, "put");
  assert.equal((await live()).version, 2);
  // The independent count.
  const after2 = await evaluateAll();
  const keys = new Set([...Object.keys(before1[0]), ...Object.keys(after2[0])]);
  const counted = {};
  for (const k of keys) {
    counted[k] = 0;
    for (let i = 0; i < CONTEXTS.length; i++) {
      const [b, a] = [before1[i][k], after2[i][k]];
      const same = b && a && b.variant === a.variant && JSON.stringify(b.value) === JSON.stringify(a.value);
      if (!same) counted[k]++;
    }
  }
  assert.deepEqual(predicted, counted);
  assert.ok(counted.maintenance === CONTEXTS.length && counted.brand_new === CONTEXTS.length);
  assert.ok(counted.beta_features > 0, "the segment change moved users of a flag the diff did not touch");
  // Publishing the same file again: nothing to publish, nothing sent.
  const again = await cli(["push", editedPath, "--url", w.url, "--yes"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Nothing to publish/);
  assert.equal((await live()).version, 2);
});

test("pull writes the live document; pull VERSION a stored one", async () => {
  const out = join(dir, "pulled.json");
  const r = await cli(["pull", "--url", w.url, "-o", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), (await live()).doc);
  const v1 = await cli(["pull", "v1", "--url", w.url]);
  assert.equal(v1.code, 0, v1.stderr);
  assert.deepEqual(JSON.parse(v1.stdout), await json(await w.admin("/v1/versions/1")));
  const j = await cli(["pull", "--url", w.url, "--json"]);
  assert.equal(j.json.version, 2);
  assert.equal(j.json.ruleset.version, 2);
  const missing = await cli(["pull", "99", "--url", w.url, "--json"]);
  assert.equal(missing.code, EXIT.server);
  assert.equal(missing.json.error.code, "VERSION_NOT_FOUND");
});

test("diff of two versions, and of a file against a version", async () => {
  const r = await cli(["diff", "1", "v2", "--url", w.url, "--json", "--now", NOW]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.summary.flags, { added: 1, removed: 1, changed: 4 });
  assert.deepEqual(r.json.before, { label: "version 1", version: 1 });
  const same = await cli(["diff", editedPath, "current", "--url", w.url]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /No changes\./);
  const text = await cli(["diff", "current", "1", "--url", w.url, "--now", NOW]);
  assert.match(text.stdout, /~ flag new_search\n\s+percentage: 50 -> 20/);
});

test("rollback N republishes version N's document as a new version; history shows who did what", async () => {
  const dry = await cli(["rollback", "1", "--url", w.url, "--dry-run", "--json", "--now", NOW]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.json.outcome, "dry-run");
  assert.deepEqual(dry.json.summary.flags, { added: 1, removed: 1, changed: 4 });
  const refused = await cli(["rollback", "1", "--url", w.url]);
  assert.equal(refused.code, EXIT.notConfirmed);
  const r = await cli(["rollback", "1", "--url", w.url, "--yes", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.published.version, 3);
  assert.equal(r.json.published.action, "rollback");
  const { version, doc } = await live();
  assert.equal(version, 3);
  const v1 = await json(await w.admin("/v1/versions/1"));
  assert.deepEqual({ ...doc, version: 1 }, v1);

  const h = await cli(["history", "--url", w.url, "--json"]);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(h.json.current, 3);
  assert.deepEqual(
    h.json.entries.map((e) => [e.version, e.action, e.by]),
    [
      [3, "rollback", "admin"],
      [2, "put", "admin"],
      [1, "put", "admin"],
    ],
  );
  assert.equal(h.json.entries[0].restored, 1);
  const limited = await cli(["history", "--url", w.url, "--limit", "1"]);
  assert.match(limited.stdout, /v3\s+\S+\s+admin\s+rollback \(restored version 1\)\s+<- live/);
  assert.match(limited.stdout, /2 older/);
});

test("412: a change made between the CLI's read and its write is never overwritten (exit 5)", async () => {
  const p = await proxy(async (req) => {
    if (req.method === "PUT") {
      const res = await w.admin("/v1/flags/maintenance/kill", { method: "POST" });
      assert.equal(res.status, 200);
    }
  });
  try {
    const r = await cli(["push", editedPath, "--url", p.url, "--yes", "--json"]);
    assert.equal(r.code, EXIT.conflict, r.stderr);
    assert.equal(r.json.error.code, "VERSION_CONFLICT");
    assert.equal(r.json.error.current, 4);
    assert.match(r.stderr, /someone changed the ruleset meanwhile \(live is now version 4\)/);
    const { version, doc } = await live();
    assert.equal(version, 4, "only the competing change was stored");
    assert.equal(doc.flags.maintenance.killed, true);
    assert.ok(doc.flags.legacy_rollout, "the CLI's document (which removes legacy_rollout) was not stored");
  } finally {
    await p.close();
  }
});

test("auth: no token is a 401 naming EDGEFLAGS_TOKEN, a wrong one a 403 (exit 4)", async () => {
  const none = await cli(["push", editedPath, "--url", w.url, "--yes", "--json"], { token: null });
  assert.equal(none.code, EXIT.auth, none.stderr);
  assert.equal(none.json.error.code, "UNAUTHORIZED");
  assert.match(none.stderr, /EDGEFLAGS_TOKEN/);
  const wrong = await cli(["history", "--url", w.url], { token: "not-the-token" });
  assert.equal(wrong.code, EXIT.auth);
  assert.match(wrong.stderr, /token in EDGEFLAGS_TOKEN was refused/);
  assert.equal((await live()).version, 4);
});

test("422: the server's problems are printed (exit 1); a locally invalid file sends nothing", async () => {
  let requests = 0;
  const p = await proxy(async (req) => {
    requests++;
    if (req.method === "PUT") return JSON.stringify({ flags: { x: { percentage: 150 } }, routes: 3 });
  });
  try {
    const r = await cli(["push", editedPath, "--url", p.url, "--yes", "--json"]);
    assert.equal(r.code, EXIT.invalid, r.stderr);
    assert.equal(r.json.error.code, "INVALID_RULESET");
    assert.deepEqual(
      r.json.error.problems.map((x) => x.path),
      ["flags.x.percentage", "routes"],
    );
    assert.match(r.stderr, /flags\.x\.percentage: percentage 150 is outside 0\.\.100/);
    assert.equal((await live()).version, 4);

    requests = 0;
    const bad = file("bad.json", '{"flags": {"b": {"percentage": 150}, "c": {"variants": {"x": 1}, "default_variant": "y"}}}');
    const local = await cli(["push", bad, "--url", p.url, "--yes", "--json"]);
    assert.equal(local.code, EXIT.invalid);
    assert.deepEqual(
      local.json.error.problems.map((x) => x.path),
      ["flags.b.percentage", "flags.c.default_variant"],
    );
    assert.match(local.stderr, /flags\.b\.percentage: percentage 150 is outside 0\.\.100/);
    assert.equal(requests, 0, "nothing was sent");
  } finally {
    await p.close();
  }
});

test("a stored version this CLI cannot load still diffs; only the blast radius is skipped", async () => {
  const { version, doc } = await live();
  const p = await proxy(async (req) => {
    if (req.method === "GET" && req.url === `/v1/versions/${version}`) {
      return { answer: { ...doc, flags: { ...doc.flags, odd: { percentage: 150 } } } };
    }
  });
  try {
    const r = await cli(["push", editedPath, "--url", p.url, "--dry-run", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.blastRadius, null);
    assert.match(r.json.blastRadiusSkipped, new RegExp(`version ${version} does not load with this CLI \\(flags\\.odd\\.percentage: `));
    assert.ok(r.json.diff.flags.some((f) => f.key === "odd" && f.status === "removed"));
  } finally {
    await p.close();
  }
});

test("a refused connection is exit 3 and names the address", async () => {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${s.address().port}`;
  await new Promise((r) => s.close(r));
  for (const args of [["push", editedPath, "--yes"], ["pull"], ["history"], ["rollback", "1", "--yes"], ["diff", "1", "2"]]) {
    const r = await cli([...args, "--url", url, "--json"]);
    assert.equal(r.code, EXIT.network, `${args[0]}: ${r.stderr}`);
    assert.equal(r.json.error.code, "NETWORK_ERROR");
    assert.match(r.stderr, new RegExp(`cannot reach ${url}: connection refused`));
  }
});
