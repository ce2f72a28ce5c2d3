// Differential test of the three runtimes: random rulesets, contexts,
// evaluation times and typed defaults, evaluated by
//   - the native CLI (`target/release/edgeflags eval FILE --now T`, JSON
//     lines on stdin, one process per ruleset and time),
//   - the npm package in Node (`pkg/dist/node.mjs`, `new Flags(rs, {now})`),
//   - the built Worker over HTTP in workerd (the bulk endpoint with
//     `defaults` and `at`, the ruleset in real local KV),
// which must agree on every field of every result (value, variant, reason,
// ruleId, errorCode). The first disagreements are printed in full.
//
// The generator is seeded: the seed is printed, and EDGEFLAGS_DIFF_SEED=<n>
// reproduces a run; EDGEFLAGS_DIFF_RULESETS=<n> runs more rulesets;
// EDGEFLAGS_DIFF_OUT=<file> writes every disagreement there (JSON lines).
// Rulesets use every flag type (shorthands, boolean, string, number, json
// variants), every operator, segments, prerequisites, user lists and
// targets, rollouts, splits, the three schedule types, kill switches,
// bucket_by and salts; contexts have missing, null, list, numeric-text,
// unicode and object attributes; defaults are absent, null or any kind.
// Worker requests carry a `request.cf` without attributes (NO_CF), so the
// Worker fills nothing in that the others do not see.
//
// Needs target/release/edgeflags and pkg/dist (scripts/test-worker.sh
// builds both).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { NO_CF, ROOT, json, seed as seedKv, startWorker } from "./helpers.mjs";

const CLI = join(ROOT, "target/release/edgeflags");
const PKG = join(ROOT, "pkg/dist/node.mjs");
for (const [path, how] of [
  [CLI, "cargo build --release --bin edgeflags"],
  [PKG, "scripts/build-pkg.sh"],
]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run ${how} (scripts/test-worker.sh does)`);
}
const { Flags } = await import(pathToFileURL(PKG).href);

const SEED =
  process.env.EDGEFLAGS_DIFF_SEED !== undefined && process.env.EDGEFLAGS_DIFF_SEED !== ""
    ? Number(process.env.EDGEFLAGS_DIFF_SEED) >>> 0
    : (Math.random() * 2 ** 32) >>> 0;
const RULESETS = Number(process.env.EDGEFLAGS_DIFF_RULESETS || 6);
const TIMES_PER_RULESET = 4;
const CONTEXTS_PER_TIME = 12;
const FIELDS = ["value", "variant", "reason", "ruleId", "errorCode"];
const DAY = 86_400_000;
const EPOCH = Date.UTC(2026, 0, 1);

// ---- the seeded generator -------------------------------------------------

/** mulberry32: small, seeded, the same sequence in every Node. */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => next() < p;
  const some = (xs, max) => {
    const n = 1 + int(Math.min(max, xs.length));
    const pool = [...xs];
    const out = [];
    while (out.length < n && pool.length) out.push(pool.splice(int(pool.length), 1)[0]);
    return out;
  };
  return { next, int, pick, chance, some };
}

const USERS = ["u1", "u2", "u3", "user:42", "qa-1", "Zoë", "用户7", "😀", "17"];
const PLANS = ["free", "pro", "team", "enterprise", "Pro", ""];
const VERSIONS = ["1.0.0", "2.3.4", "2.10.0", "10.0.0-beta.1", "v3.1.0", "2.3", "0.9.9-rc.1+build.5"];
const NAMES = ["Zoë", "José", "日本語", "Ωmega", "a😀b", "plain", "", "ZOË"];
const DOMAINS = ["company.com", "example.org", "COMPANY.COM", "company.com.evil.org"];
const GROUPS = ["admin", "beta", "staff", "ops", "ünï"];
const iso = (ms) => new Date(ms).toISOString();

/** A random time around the schedules (which start in the first 10 days of 2026). */
function randomTime(r) {
  return EPOCH + r.int(45 * DAY) - 3 * DAY + r.int(1000);
}

/** A condition on an attribute the contexts set (never a request.cf one). */
function condition(r, segments) {
  const attr = (a) => ({ attribute: a });
  const kind = r.int(13);
  switch (kind) {
    case 0:
      return { ...attr(r.pick(["plan", "name", "score", "beta"])), op: r.pick(["eq", "neq"]), value: r.pick(["pro", "Zoë", 42, "42", true, "true", 0, "", 4.5]) };
    case 1:
      return { ...attr(r.pick(["plan", "groups", "score", "user_id"])), op: r.pick(["in", "not_in"]), values: r.some(["pro", "team", "admin", "beta", 42, "7", true, "u1", "Zoë", 1.5], 4) };
    case 2:
      return { ...attr(r.pick(["email", "name", "groups"])), op: r.pick(["contains", "starts_with", "ends_with"]), value: r.pick(["company", "@company.com", "Z", "ö", "beta", "a"]) };
    case 3:
      return { ...attr(r.pick(["email", "name", "plan"])), op: "glob", value: r.pick(["*@company.com", "Z?ë", "*", "p*o", "*.org", "?"]) };
    case 4:
      return { ...attr(r.pick(["score", "ratio", "plan"])), op: r.pick(["lt", "lte", "gt", "gte"]), value: r.pick([0, 10, 42, 50.5, -3, 1e3]) };
    case 5:
      return { ...attr("app_version"), op: r.pick(["semver_eq", "semver_lt", "semver_lte", "semver_gt", "semver_gte"]), value: r.pick(["2.3.4", "2.10.0", "3.0.0", "1.0.0-alpha", "v2.3.4", "10.0.0-beta.1"]) };
    case 6:
      return { ...attr("signup"), op: r.pick(["before", "after"]), value: r.pick([iso(EPOCH - 30 * DAY), "2025-06-01", EPOCH - 400 * DAY, iso(EPOCH + 5 * DAY)]) };
    case 7:
      if (segments.length) {
        return r.chance(0.5)
          ? { op: r.pick(["in_segment", "not_in_segment"]), value: r.pick(segments) }
          : { op: r.pick(["in_segment", "not_in_segment"]), values: r.some(segments, 2) };
      }
      return { ...attr("beta"), op: "eq", value: true };
    case 8:
      return { ...attr("tenant"), op: r.pick(["eq", "neq"]), value: r.pick(["t-1", "t-2", 3]) };
    case 9:
      return { ...attr("meta"), ...(r.chance(0.5) ? { op: r.pick(["eq", "neq"]), value: "x" } : { op: r.pick(["in", "not_in"]), values: ["x", 1] }) };
    case 10:
      return { ...attr("user_id"), op: r.pick(["eq", "starts_with", "ends_with"]), value: r.pick(["u1", "u", "7", "用户"]) };
    case 11:
      return { ...attr("score"), ...(r.chance(0.5) ? { op: "eq", value: 42 } : { op: "in", values: [42, "7", 1.5] }) };
    default:
      return {
        ...attr(r.pick(["beta", "plan"])),
        ...(r.chance(0.5) ? { op: r.pick(["eq", "neq"]), value: r.pick([true, false, "pro"]) } : { op: r.pick(["in", "not_in"]), values: [true, "free", ""] }),
      };
  }
}

function schedule(r) {
  const start = iso(EPOCH + r.int(10) * DAY + r.pick([0, 3_600_000, 12 * 3_600_000]));
  switch (r.int(3)) {
    case 0: {
      const steps = [];
      let day = 0;
      let pct = r.pick([0, 1, 5]);
      for (let i = 0, n = 1 + r.int(4); i < n; i++) {
        steps.push([day, pct]);
        day += 1 + r.int(6);
        pct = Math.min(100, pct + 5 + r.int(40));
      }
      return r.chance(0.5) ? { type: "steps", start, steps } : { start, steps: steps.map(([d, p]) => ({ day: d, percentage: p })) };
    }
    case 1: {
      const s = { type: "linear", start, duration_hours: r.pick([24, 72, 336, 1]) };
      if (r.chance(0.5)) s.start_percentage = r.pick([0, 5, 10]);
      if (r.chance(0.5)) s.end_percentage = r.pick([50, 100, 80]);
      return s;
    }
    default: {
      const s = { type: "s_curve", start, duration_hours: r.pick([24, 72, 240]) };
      if (r.chance(0.5)) s.start_percentage = r.pick([1, 0, 10]);
      if (r.chance(0.5)) s.end_percentage = r.pick([100, 90]);
      if (r.chance(0.3)) s.steepness = r.pick([4, 10, 15.5]);
      return s;
    }
  }
}

/** Weights over `names` that add up to 100, as objects or pairs. */
function split(r, names) {
  const chosen = r.some(names, names.length);
  let left = 100;
  const parts = chosen.map((name, i) => {
    const w = i === chosen.length - 1 ? left : r.int(left + 1);
    left -= w;
    return [name, w];
  });
  return r.chance(0.5) ? parts : parts.map(([variant, weight]) => ({ variant, weight }));
}

const VARIANT_SETS = {
  string: () => ({ red: "red", green: "green", blue: "blue", empty: "" }),
  number: () => ({ small: 10, large: 100, zero: 0, neg: -1.5, big: 1e21, tiny: 0.1 }),
  json: () => ({ obj: { model: "bm25", boost: 1.4, tags: ["a", "ü"] }, arr: [1, 2, { x: null }], emptyobj: {}, text: "plain", nothing: null }),
  objects: () => ({ a: { v: 1 }, b: { v: 2, nested: { deep: [true] } } }),
};

/** One flag; `earlier` are the flags already made (prerequisite targets). */
function flag(r, key, earlier, segments) {
  const shape = r.int(10);
  const shorthand = (doc) => ({ doc, names: ["on", "off"] });
  if (shape === 0) return shorthand(r.pick([true, false]));
  if (shape === 1) return shorthand(r.pick([0, 15, 50, 99.5, 100]));
  if (shape === 2) return shorthand(r.some(USERS, 3));
  const f = {};
  let names;
  if (shape <= 5) {
    names = ["on", "off"];
    if (r.chance(0.5)) f.enabled = r.chance(0.5);
  } else {
    const kind = r.pick(["string", "number", "json", "objects"]);
    f.variants = Object.fromEntries(r.some(Object.entries(VARIANT_SETS[kind]()), 4).sort());
    names = Object.keys(f.variants);
    f.default_variant = r.pick(names);
    if (kind === "json" || r.chance(0.2)) f.type = kind === "json" ? "json" : kind === "objects" ? "json" : kind;
    if (r.chance(0.4)) f.off_variant = r.pick(names);
  }
  const onName = names.includes("on") ? "on" : null;
  if (r.chance(0.15)) f.killed = r.chance(0.7);
  if (r.chance(0.3)) f.bucket_by = r.pick(["tenant", "user_id", "name", "score"]);
  if (r.chance(0.3)) f.salt = r.pick(["s1", "salt:ü", ""]);
  if (onName && r.chance(0.3)) f.users = r.some(USERS, 3);
  if (r.chance(0.25)) f.targets = [{ variant: r.pick(names), users: r.some(USERS, 2) }];
  if (earlier.length && r.chance(0.25)) {
    f.prerequisites = r.some(earlier, 2).map((p) =>
      r.chance(0.5) ? { flag: p.key, variant: r.pick(p.names) } : { flag: p.key, variants: r.some(p.names, 2) },
    );
  }
  if (r.chance(0.6)) {
    f.rules = [];
    for (let i = 0, n = 1 + r.int(3); i < n; i++) {
      const rule = { conditions: Array.from({ length: r.int(3) }, () => condition(r, segments)) };
      if (r.chance(0.5)) rule.id = `rule-${i}${r.pick(["", "-ü"])}`;
      const serve = r.int(4);
      if (serve === 0 || (!onName && serve !== 3 && r.chance(0.3))) rule.variant = r.pick(names);
      else if (serve === 1) {
        rule.percentage = r.pick([0, 10, 50, 100, 33.3]);
        if (!onName || r.chance(0.3)) rule.variant = r.pick(names);
      } else if (serve === 2) {
        rule.schedule = schedule(r);
        if (!onName || r.chance(0.3)) rule.variant = r.pick(names);
      } else rule.split = split(r, names);
      f.rules.push(rule);
    }
  }
  const level = r.int(5);
  if (level === 0) {
    f.percentage = r.pick([0, 10, 50, 100, 12.5]);
    if (!onName) f.rollout_variant = r.pick(names);
  } else if (level === 1) {
    f.schedule = schedule(r);
    if (!onName) f.rollout_variant = r.pick(names);
  } else if (level === 2) f.split = split(r, names);
  return { doc: f, names };
}

function ruleset(r, index) {
  const segments = {};
  for (let i = 0, n = r.int(3); i < n; i++) {
    const s = {};
    if (r.chance(0.6)) s.users = r.some(USERS, 3);
    if (!s.users || r.chance(0.5)) s.conditions = Array.from({ length: 1 + r.int(2) }, () => condition(r, []));
    segments[`seg_${i}`] = s;
  }
  const segNames = Object.keys(segments);
  const flags = {};
  const made = [];
  const n = 12 + r.int(9);
  for (let i = 0; i < n; i++) {
    const key = `f${i}${r.pick(["", "_x", ".v2", ":b", "-c"])}`;
    const { doc, names } = flag(r, key, made, segNames);
    flags[key] = doc;
    made.push({ key, names });
  }
  const doc = { description: `differential seed ${SEED} ruleset ${index}`, flags };
  if (segNames.length) doc.segments = segments;
  return doc;
}

function context(r) {
  const c = {};
  const maybe = (key, p, make) => {
    if (r.chance(p)) c[key] = r.chance(0.08) ? null : make();
  };
  maybe("user_id", 0.85, () => (r.chance(0.1) ? r.pick([17, 4.5, 0]) : r.pick(USERS.concat([`u${r.int(100000)}`, `u${r.int(100000)}`]))));
  maybe("plan", 0.7, () => (r.chance(0.1) ? r.some(PLANS, 2) : r.pick(PLANS)));
  maybe("score", 0.6, () => r.pick([42, "42", " 42", "4.2e1", 7, "7", 1.5, -3, "abc", [1, 50], 1e3, "0x10", true]));
  maybe("ratio", 0.3, () => r.next() * 100);
  maybe("app_version", 0.6, () => r.pick(VERSIONS.concat([3, "garbage"])));
  maybe("signup", 0.5, () => {
    const t = EPOCH - r.int(800) * DAY;
    return r.pick([iso(t), t, iso(t).slice(0, 10), "not a date"]);
  });
  maybe("groups", 0.5, () => (r.chance(0.2) ? r.pick(GROUPS) : r.some(GROUPS, 3).concat(r.chance(0.1) ? [7] : [])));
  maybe("beta", 0.4, () => r.pick([true, false, "true", 1, 0]));
  maybe("email", 0.5, () => `${r.pick(["ann", "bob", "Zoë"])}${r.int(100)}@${r.pick(DOMAINS)}`);
  maybe("name", 0.5, () => r.pick(NAMES));
  maybe("tenant", 0.4, () => (r.chance(0.2) ? r.int(5) : `t-${r.int(6)}`));
  maybe("meta", 0.2, () => r.pick([{ nested: [1, { x: "y" }] }, "x", ["x"]]));
  return c;
}

/** A typed default, or undefined (no default). */
function defaultValue(r) {
  switch (r.int(9)) {
    case 0:
    case 1:
      return undefined;
    case 2:
      return null;
    case 3:
      return r.pick([true, false]);
    case 4:
      return r.pick([0, 7, -2.5]);
    case 5:
      return r.pick(["x", "", "red"]);
    case 6:
      return r.pick([[], [1, "a"]]);
    case 7:
      return r.pick([{}, { d: 1 }]);
    default:
      return r.pick([true, 1, "s", { o: true }]);
  }
}

// ---- the three runtimes ----------------------------------------------------

/** Only the result fields, absent and null alike (the shape itself is checked by eval-vectors). */
function fields(e) {
  const out = {};
  for (const k of FIELDS) out[k] = e?.[k] ?? null;
  return out;
}

function same(a, b) {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function cliEval(file, at, queries) {
  const lines = queries.map((q) => {
    const line = { flag: q.key, context: q.context };
    if (q.default !== undefined) line.default = q.default;
    return JSON.stringify(line);
  });
  const run = spawnSync(CLI, ["eval", file, "--now", iso(at)], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, `edgeflags eval failed: ${run.stderr}`);
  const out = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(out.length, queries.length, "the CLI answered a different number of lines");
  return out;
}

let w;
let dir;
before(async () => {
  w = await startWorker();
  dir = mkdtempSync(join(tmpdir(), "edgeflags-diff-"));
});
after(async () => {
  await w?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(`CLI, package and Worker agree (seed ${SEED})`, async () => {
  console.log(`differential: seed ${SEED} (EDGEFLAGS_DIFF_SEED=${SEED} reproduces this run)`);
  const r = rng(SEED);
  const disagreements = [];
  let queries = 0;
  let requests = 0;
  const byReason = {};
  const pairs = { pkg: 0, worker: 0 };
  for (let n = 0; n < RULESETS; n++) {
    const doc = ruleset(r, n);
    const file = join(dir, `ruleset-${n}.json`);
    writeFileSync(file, JSON.stringify(doc, null, 1));
    const valid = spawnSync(CLI, ["validate", file], { encoding: "utf8" });
    assert.equal(valid.status, 0, `generated ruleset ${n} is invalid (a generator bug): ${valid.stdout}${valid.stderr}`);
    await seedKv(w.kv, doc, n + 1);
    const keys = Object.keys(doc.flags);
    let clock = 0;
    const pkg = new Flags(JSON.stringify({ ...doc, version: n + 1 }), { now: () => clock });
    try {
      for (let t = 0; t < TIMES_PER_RULESET; t++) {
        const at = randomTime(r);
        // One bulk Worker request per context: every flag, the defaults of
        // some, and a default for a key or two the ruleset lacks.
        const batches = [];
        for (let c = 0; c < CONTEXTS_PER_TIME; c++) {
          const ctx = context(r);
          const defaults = {};
          for (const k of keys) {
            const d = defaultValue(r);
            if (d !== undefined) defaults[k] = d;
          }
          for (let u = 0, nu = r.int(3); u < nu; u++) defaults[`missing_${u}`] = r.pick([null, true, 3, "x", { z: 1 }]);
          const qs = keys.map((key) => ({ key, context: ctx, default: defaults[key] }));
          for (const key of Object.keys(defaults)) if (!keys.includes(key)) qs.push({ key, context: ctx, default: defaults[key] });
          batches.push({ ctx, defaults, qs });
        }
        const all = batches.flatMap((b) => b.qs);
        const cli = cliEval(file, at, all);
        clock = at;
        const pkgOut = all.map((q) => {
          try {
            return pkg.evaluate(q.key, q.context, q.default);
          } catch (e) {
            return { thrown: `${e.name}: ${e.message}` };
          }
        });
        const atField = r.chance(0.5) ? at : iso(at);
        const answers = await Promise.all(
          batches.map(async (b) => {
            const res = await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: b.ctx, defaults: b.defaults, at: atField }), cf: NO_CF });
            const body = await json(res);
            assert.equal(res.status, 200, JSON.stringify(body));
            assert.equal(body.version, n + 1);
            return body.flags;
          }),
        );
        requests += batches.length;
        let i = 0;
        batches.forEach((b, bi) => {
          for (const q of b.qs) {
            const got = { cli: fields(cli[i]), pkg: fields(pkgOut[i]), worker: fields(answers[bi][q.key]) };
            byReason[got.cli.reason] = (byReason[got.cli.reason] ?? 0) + 1;
            const pkgOk = same(got.pkg, got.cli);
            const workerOk = same(got.worker, got.cli);
            if (!pkgOk) pairs.pkg++;
            if (!workerOk) pairs.worker++;
            if (!pkgOk || !workerOk) {
              const failed = { ruleset: n, file, flag: q.key, at: iso(at), context: q.context, default: q.default, ...got };
              if (pkgOut[i]?.thrown) failed.pkg.thrown = pkgOut[i].thrown;
              disagreements.push(failed);
            }
            i++;
            queries++;
          }
        });
      }
    } finally {
      pkg.free();
    }
    // The definition of every ruleset that disagreed, for reproduction.
    if (disagreements.some((d) => d.ruleset === n)) console.log(`ruleset ${n}: ${JSON.stringify(doc)}`);
  }
  console.log(`differential: ${queries} queries, ${requests} Worker requests, ${RULESETS} rulesets; results by reason ${JSON.stringify(byReason)}`);
  console.log(`differential: the package disagrees with the CLI on ${pairs.pkg}, the Worker on ${pairs.worker}`);
  for (const d of disagreements.slice(0, 5)) console.log(`DISAGREEMENT ${JSON.stringify(d)}`);
  if (process.env.EDGEFLAGS_DIFF_OUT) {
    writeFileSync(process.env.EDGEFLAGS_DIFF_OUT, disagreements.map((d) => JSON.stringify(d) + "\n").join(""));
    console.log(`differential: every disagreement written to ${process.env.EDGEFLAGS_DIFF_OUT}`);
  }
  assert.ok(queries >= 3000, `only ${queries} queries`);
  assert.equal(disagreements.length, 0, `${disagreements.length} of ${queries} queries disagree (seed ${SEED}); the first: ${JSON.stringify(disagreements[0])}`);
});
