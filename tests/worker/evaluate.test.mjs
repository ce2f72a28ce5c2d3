// The read side: evaluate one flag and all flags (GET with query, headers
// and cookies; POST with a JSON context), X-Active-Flags, request.cf,
// GET /v1/ruleset with ETag/304, /v1/status, and CORS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exampleText, json, putRuleset, startWorker } from "./helpers.mjs";

// The example has server-only flags ("client": false): tests that read
// them call as a server does, with the SERVER_KEY.
const SERVER = { Authorization: "Bearer test-server-key" };

let w;
before(async () => {
  w = await startWorker({ ALLOWED_ORIGINS: "https://app.example, https://admin.example", SERVER_KEY: "test-server-key" });
  const r = await putRuleset(w, exampleText());
  assert.equal(r.status, 200, await r.text());
});
after(() => w?.close());

describe("GET /v1/flags/{key}", () => {
  test("query parameters are context attributes", async () => {
    const r = await w.fetch("/v1/flags/max_upload_mb?plan=enterprise");
    assert.equal(r.status, 200);
    const b = await json(r);
    assert.deepEqual(b, { key: "max_upload_mb", version: 1, value: 1000, variant: "huge", reason: "TARGETING_MATCH", ruleId: "enterprise" });
    const pro = await json(await w.fetch("/v1/flags/max_upload_mb?plan=pro"));
    assert.equal(pro.value, 100);
    assert.equal(pro.ruleId, "paid");
    const none = await json(await w.fetch("/v1/flags/max_upload_mb"));
    assert.deepEqual([none.value, none.reason], [10, "DEFAULT"]);
  });

  test("the user id comes from X-User-Id, else the user cookie", async () => {
    const hdr = await json(await w.fetch("/v1/flags/dark_mode", { headers: { "X-User-Id": "user:42" } }));
    assert.deepEqual([hdr.value, hdr.reason, hdr.ruleId], [true, "TARGETING_MATCH", "users"]);
    const cookie = await json(await w.fetch("/v1/flags/dark_mode", { headers: { Cookie: "theme=x; ef_uid=user:1" } }));
    assert.equal(cookie.value, true);
    const other = await json(await w.fetch("/v1/flags/dark_mode", { headers: { "X-User-Id": "user:2" } }));
    assert.equal(other.value, false);
    // An explicit user_id in the query wins over the header.
    const q = await json(await w.fetch("/v1/flags/dark_mode?user_id=user:3", { headers: { "X-User-Id": "user:42" } }));
    assert.equal(q.value, false);
  });

  test("request.cf attributes (country) fill in, explicit ones win", async () => {
    const kp = await json(await w.fetch("/v1/flags/new_checkout?user_id=user:5", { cf: { country: "KP" }, headers: SERVER }));
    assert.deepEqual([kp.value, kp.ruleId], [false, "blocked-regions"]);
    const us = await json(await w.fetch("/v1/flags/new_checkout?user_id=user:5&country=US", { cf: { country: "KP" }, headers: SERVER }));
    assert.notEqual(us.ruleId, "blocked-regions");
  });

  test("default: unknown flag is 404 with the default; a mismatched default is served", async () => {
    const r = await w.fetch("/v1/flags/no_such_flag?default=42");
    assert.equal(r.status, 404);
    const b = await json(r);
    assert.equal(b.value, 42);
    assert.equal(b.reason, "ERROR");
    assert.equal(b.errorCode, "FLAG_NOT_FOUND");
    assert.equal(b.error.code, "FLAG_NOT_FOUND");
    const m = await json(await w.fetch("/v1/flags/new_dashboard?default=blue"));
    assert.deepEqual([m.value, m.reason, m.errorCode], ["blue", "ERROR", "TYPE_MISMATCH"]);
  });

  test("X-Active-Flags names the flag when its value is truthy", async () => {
    const on = await w.fetch("/v1/flags/new_dashboard");
    assert.equal(on.headers.get("x-active-flags"), "new_dashboard");
    const off = await w.fetch("/v1/flags/maintenance");
    assert.equal(off.headers.get("x-active-flags"), "");
    assert.equal(on.headers.get("x-edgeflags-version"), "1");
    assert.equal(on.headers.get("cache-control"), "private, no-store");
    assert.equal(on.headers.get("x-edgeflags-stale"), null);
  });

  test("HEAD is answered like GET, without a body", async () => {
    const r = await w.fetch("/v1/flags/new_dashboard", { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "");
  });
});

describe("POST /v1/flags[/{key}]", () => {
  test("context from the body; it wins over X-User-Id", async () => {
    const r = await w.fetch("/v1/flags/dark_mode", {
      method: "POST",
      headers: { "X-User-Id": "user:2", "Content-Type": "application/json" },
      body: JSON.stringify({ context: { user_id: "user:42" }, default: false }),
    });
    assert.equal(r.status, 200);
    assert.equal((await json(r)).value, true);
  });

  test("all flags: every flag of the ruleset, defaults for unknown keys, X-Active-Flags", async () => {
    const r = await w.fetch("/v1/flags", {
      method: "POST",
      headers: SERVER,
      body: JSON.stringify({ context: { user_id: "user:1", plan: "enterprise", country: "US" }, defaults: { ghost: "boo", new_dashboard: 3 } }),
    });
    assert.equal(r.status, 200);
    const b = await json(r);
    const example = JSON.parse(exampleText());
    assert.deepEqual(Object.keys(b.flags).filter((k) => k !== "ghost"), Object.keys(example.flags));
    assert.deepEqual(b.flags.ghost, { value: "boo", variant: null, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    assert.equal(b.flags.new_dashboard.errorCode, "TYPE_MISMATCH");
    assert.equal(b.flags.max_upload_mb.value, 1000);
    assert.equal(b.flags.dark_mode.value, true);
    assert.equal(b.flags.search_indexing.reason, "DISABLED");
    // X-Active-Flags is what each flag serves, whatever the caller's default
    // (the core's is_enabled): the same list as without defaults, so
    // new_dashboard (true, answered with the mismatched default 3) is in it,
    // and the unknown ghost is not.
    const truthy = (v) => v !== null && v !== false && v !== 0 && v !== "";
    const plain = await w.fetch("/v1/flags", { method: "POST", headers: SERVER, body: JSON.stringify({ context: { user_id: "user:1", plan: "enterprise", country: "US" } }) });
    const expected = Object.entries((await json(plain)).flags)
      .filter(([, e]) => truthy(e.value))
      .map(([k]) => k);
    assert.deepEqual(r.headers.get("x-active-flags").split(","), expected);
    assert.deepEqual(plain.headers.get("x-active-flags").split(","), expected);
    assert.ok(expected.includes("new_dashboard") && expected.includes("dark_mode") && !expected.includes("maintenance"));
    // One flag: the same rule.
    const one = await w.fetch("/v1/flags/new_dashboard", { method: "POST", body: JSON.stringify({ default: "blue" }) });
    assert.equal((await json(one)).errorCode, "TYPE_MISMATCH");
    assert.equal(one.headers.get("x-active-flags"), "new_dashboard");
  });

  test("GET /v1/flags evaluates everything from the query", async () => {
    const b = await json(await w.fetch("/v1/flags?plan=pro", { headers: { "X-User-Id": "user:42" } }));
    assert.equal(b.version, 1);
    assert.equal(b.flags.max_upload_mb.value, 100);
    assert.equal(b.flags.dark_mode.value, true);
  });

  test('"at" evaluates as of that time (RFC 3339 or epoch ms), on both endpoints', async () => {
    // onboarding_v2: an s-curve from 1% to 100% over 72 hours from 2026-11-20.
    const one = async (at) => {
      const r = await w.fetch("/v1/flags/onboarding_v2", { method: "POST", body: JSON.stringify({ context: { user_id: "user:77" }, at }) });
      assert.equal(r.status, 200);
      return json(r);
    };
    const before = await one("2026-11-19T23:59:59Z");
    const later = await one(Date.parse("2026-11-23T00:00:00Z"));
    assert.deepEqual([before.value, before.reason], [false, "SPLIT"]);
    assert.deepEqual([later.value, later.reason], [true, "SPLIT"]);
    assert.deepEqual(await one("2026-11-19"), before);
    const all = async (at) => (await json(await w.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ context: { user_id: "user:77" }, at }) }))).flags;
    assert.equal((await all("2026-11-19T23:59:59.999+00:00")).onboarding_v2.value, false);
    assert.equal((await all(Date.parse("2026-12-01T00:00:00Z"))).onboarding_v2.value, true);
    // The schedule's start, to the millisecond, in another offset.
    const edge = (await all("2026-11-20T01:00:00.000+01:00")).pricing_page_v3;
    assert.deepEqual(edge, (await all(Date.parse("2026-11-20T00:00:00Z"))).pricing_page_v3);
  });

  test('a bad "at" is a 400 saying what is expected', async () => {
    for (const at of ["tomorrow", "2026-02-30T00:00:00Z", 1.5, 1e300, null, true, [0], { ms: 0 }]) {
      for (const path of ["/v1/flags/new_dashboard", "/v1/flags"]) {
        const r = await w.fetch(path, { method: "POST", body: JSON.stringify({ context: {}, at }) });
        assert.equal(r.status, 400, `${path} at=${JSON.stringify(at)}`);
        const b = await json(r);
        assert.equal(b.error.code, "BAD_REQUEST");
        assert.match(b.error.message, /"at" must be RFC 3339 text like "2026-03-01T12:00:00Z" or epoch milliseconds/);
      }
    }
  });

  test("an empty body is an empty context", async () => {
    const r = await w.fetch("/v1/flags/new_dashboard", { method: "POST" });
    assert.equal(r.status, 200);
    assert.equal((await json(r)).value, true);
  });
});

describe("GET /v1/ruleset", () => {
  test("serves the client view with a strong ETag and 304 on If-None-Match", async () => {
    const r = await w.fetch("/v1/ruleset");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("etag"), '"1"');
    const text = await r.text();
    const doc = JSON.parse(text);
    const example = JSON.parse(exampleText());
    assert.equal(doc.version, 1);
    // Server-only flags, routes and metadata stay on the server ...
    const serverOnly = Object.entries(example.flags).filter(([, f]) => f?.client === false).map(([k]) => k);
    assert.ok(serverOnly.length >= 1);
    assert.deepEqual(Object.keys(doc.flags), Object.keys(example.flags).filter((k) => !serverOnly.includes(k)));
    assert.equal(doc.routes, undefined);
    // ... and no raw user id, sensitive value, upstream or owner is in the text.
    const secrets = new Set();
    const walk = (v, key) => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
      else if (typeof v === "string" && (["users", "owner"].includes(key) || v.startsWith("http"))) secrets.add(v);
    };
    walk(example.flags);
    walk(example.routes);
    for (const s of secrets) assert.ok(!text.includes(JSON.stringify(s)), `${s} is in the client view`);
    assert.ok(secrets.size >= 3, [...secrets].join(","));
    // The full document is the management API's.
    const full = await w.admin("/v1/versions/1");
    assert.deepEqual(await json(full), { ...example, version: 1 });
    for (const inm of ['"1"', 'W/"1"', '"0", "1"', "*"]) {
      const c = await w.fetch("/v1/ruleset", { headers: { "If-None-Match": inm } });
      assert.equal(c.status, 304, inm);
      assert.equal(c.headers.get("etag"), '"1"');
      assert.equal(await c.text(), "");
    }
    const miss = await w.fetch("/v1/ruleset", { headers: { "If-None-Match": '"0"' } });
    assert.equal(miss.status, 200);
    await miss.arrayBuffer();
  });
});

describe("GET /v1/status", () => {
  test("reports the loaded version and compiles once per isolate", async () => {
    for (let i = 0; i < 20; i++) await (await w.fetch(`/v1/flags/new_search?user_id=u${i}`)).arrayBuffer();
    const s = await json(await w.admin("/v1/status"));
    assert.equal(s.ready, true);
    assert.equal(s.version, 1);
    assert.equal(s.stale, null);
    assert.equal(s.routes, 1);
    // The PUT compiled it once; 20 evaluations (revalidating every time,
    // REVALIDATE_SECONDS=0) never parsed it again.
    assert.equal(s.compiles, 1);
    assert.equal(s.revalidateSeconds, 0);
  });

  test("a stranger sees whether it is ready and which version, nothing else", async () => {
    const s = await json(await w.fetch("/v1/status"));
    assert.deepEqual(Object.keys(s).sort(), ["ready", "stale", "version"]);
    assert.deepEqual([s.ready, s.version, s.stale], [true, 1, null]);
  });
});

describe("CORS", () => {
  test("preflight from an allowed origin", async () => {
    const r = await w.fetch("/v1/flags", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(r.headers.get("access-control-allow-methods"), /POST/);
    assert.match(r.headers.get("access-control-allow-headers"), /If-None-Match/);
    assert.match(r.headers.get("vary"), /Origin/);
  });

  test("simple requests echo allowed origins and expose our headers; others get nothing", async () => {
    const ok = await w.fetch("/v1/ruleset", { headers: { Origin: "https://admin.example" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://admin.example");
    assert.match(ok.headers.get("access-control-expose-headers"), /ETag/);
    assert.match(ok.headers.get("access-control-expose-headers"), /X-Active-Flags/);
    await ok.arrayBuffer();
    const evil = await w.fetch("/v1/ruleset", { headers: { Origin: "https://evil.example" } });
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
    await evil.arrayBuffer();
    // Errors carry CORS headers too, so browsers can read them.
    const e = await w.fetch("/v1/nope", { headers: { Origin: "https://app.example" } });
    assert.equal(e.status, 404);
    assert.equal(e.headers.get("access-control-allow-origin"), "https://app.example");
    await e.arrayBuffer();
  });

  test("ALLOWED_ORIGINS=* allows any origin", async () => {
    const any = await startWorker({ ALLOWED_ORIGINS: "*" });
    try {
      const r = await any.fetch("/v1/status", { headers: { Origin: "https://whoever.example" } });
      assert.equal(r.headers.get("access-control-allow-origin"), "*");
      await r.arrayBuffer();
    } finally {
      await any.close();
    }
  });
});
