// What a client cannot do to the Worker (issue 10, part 2), each case a
// defect that once shipped:
// - forge X-Edgeflags-* headers towards an upstream (a signed-in user sent
//   X-Edgeflags-Anonymous-Id: victim and the upstream believed it);
// - lose its request because the Worker's derived attributes (request.cf)
//   pushed a context of exactly the documented 1,000 attributes over it;
// - read internals (KV key names, JS errors, stack traces, upstream
//   addresses) in an error body;
// - hang on an upstream that never answers (504, not a stuck request).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { json, putRuleset, startWorker } from "./helpers.mjs";

/** An upstream that answers with the headers it saw; `/slow/*` never answers. */
function upstream() {
  const server = createServer((req, res) => {
    if (req.url.startsWith("/slow/")) return; // never answers
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

// Anything that reveals how the Worker is built or where its data lives.
const INTERNALS = [/ruleset\/(current|v\/)/, /audit\//, /JsValue/, /\bat .*\.(js|rs):\d+/, /Error:/, /kv-fault|simulated/i, /127\.0\.0\.1/, /\.rs\b/];
function assertNoInternals(text, where) {
  for (const re of INTERNALS) assert.doesNotMatch(text, re, `${where}: ${text}`);
}

let up, w;
before(async () => {
  up = await upstream();
  w = await startWorker({ UPSTREAM_TIMEOUT_SECONDS: "1" });
  const ruleset = {
    flags: {
      geo: { rules: [{ id: "ca", conditions: [{ attribute: "country", op: "eq", value: "CA" }], variant: "on" }] },
      canary: { percentage: 50 },
    },
    routes: [
      { id: "app", path: "/app*", flag: "canary", upstreams: { on: up.url, off: up.url } },
      { id: "dead", path: "/dead*", flag: "canary", upstreams: { on: "http://127.0.0.1:9", off: "http://127.0.0.1:9" } },
      { id: "slow", path: "/slow*", flag: "canary", upstreams: { on: up.url, off: up.url } },
    ],
  };
  const r = await putRuleset(w, ruleset);
  assert.equal(r.status, 200, await r.text());
});
after(async () => {
  await w?.close();
  up?.server.closeAllConnections();
  up?.server.close();
});

describe("X-Edgeflags-* headers belong to the Worker", () => {
  test("a signed-in user cannot pass an anonymous id (or any X-Edgeflags-* header) to the upstream", async () => {
    const r = await w.fetch("/app/x", {
      headers: {
        "X-User-Id": "attacker",
        "X-Edgeflags-Anonymous-Id": "victim",
        "x-edgeflags-variant": "forged",
        "X-EDGEFLAGS-ROUTE": "forged",
        "X-Edgeflags-Anything": "forged",
      },
    });
    assert.equal(r.status, 200);
    const seen = (await json(r)).headers;
    assert.equal(seen["x-edgeflags-anonymous-id"], undefined, JSON.stringify(seen));
    assert.equal(seen["x-edgeflags-anything"], undefined);
    assert.equal(seen["x-edgeflags-route"], "app");
    assert.ok(["on", "off"].includes(seen["x-edgeflags-variant"]), seen["x-edgeflags-variant"]);
  });

  test("an anonymous requester's upstream sees its own cookie id, not a forged header", async () => {
    const id = "anon-0123456789abcdef";
    const r = await w.fetch("/app/x", { headers: { Cookie: `ef_anon=${id}`, "X-Edgeflags-Anonymous-Id": "victim" } });
    const seen = (await json(r)).headers;
    assert.equal(seen["x-edgeflags-anonymous-id"], id);
  });
});

describe("the attribute limit counts what the caller sent", () => {
  const context = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, i]));
  test("exactly 1,000 attributes plus country from request.cf: answered, and country is used", async () => {
    const r = await w.fetch("/v1/flags/geo", {
      method: "POST",
      body: JSON.stringify({ context: context(1000) }),
      cf: { country: "CA" },
    });
    const b = await json(r);
    assert.equal(r.status, 200, JSON.stringify(b).slice(0, 300));
    assert.deepEqual([b.value, b.ruleId], [true, "ca"]);
  });
  test("1,001 attributes: 400 INVALID_CONTEXT", async () => {
    const r = await w.fetch("/v1/flags/geo", { method: "POST", body: JSON.stringify({ context: context(1001) }), cf: { country: "CA" } });
    assert.equal(r.status, 400);
    assert.equal((await json(r)).error.code, "INVALID_CONTEXT");
  });
});

describe("no internals in error bodies", () => {
  test("an unreachable upstream: 502 JSON naming the route, not the address or the JS error", async () => {
    const r = await w.fetch("/dead/x", { headers: { "X-User-Id": "u" } });
    assert.equal(r.status, 502);
    const text = await r.text();
    assert.equal(JSON.parse(text).error.code, "UPSTREAM_UNAVAILABLE");
    assert.match(JSON.parse(text).error.message, /route dead/);
    assertNoInternals(text, "502");
  });

  test("an upstream that never answers: 504 UPSTREAM_TIMEOUT after UPSTREAM_TIMEOUT_SECONDS", async () => {
    const t0 = Date.now();
    const r = await w.fetch("/slow/x", { headers: { "X-User-Id": "u" } });
    const ms = Date.now() - t0;
    assert.equal(r.status, 504);
    const text = await r.text();
    assert.equal(JSON.parse(text).error.code, "UPSTREAM_TIMEOUT");
    assertNoInternals(text, "504");
    assert.ok(ms >= 900 && ms < 10_000, `${ms} ms`);
  });

  test("KV down with nothing cached: 503 bodies say what kind of trouble, not which key or error", async () => {
    const k = await startWorker({}, { kvFault: true });
    try {
      await k.kv.put("test/kv-down", "1");
      for (const path of ["/v1/flags/geo", "/v1/flags", "/v1/ruleset", "/v1/status", "/app/x"]) {
        const r = await k.fetch(path);
        assert.equal(r.status, 503, path);
        const text = await r.text();
        assertNoInternals(text, path);
      }
      // The admin still gets the detail, from the status endpoint.
      const st = await json(await k.admin("/v1/status"));
      assert.match(st.problem, /unreachable|simulated/i);
    } finally {
      await k.close();
    }
  });
});

describe("routes match decoded, normalized paths", () => {
  test("a pattern's prefix ends at a segment boundary", async () => {
    const r = await w.fetch("/appXYZ", { headers: { "X-User-Id": "u" } });
    assert.equal(r.status, 404);
    assert.equal((await json(r)).error.code, "NOT_FOUND");
    for (const path of ["/app", "/app/", "/app/deep/er"]) {
      const ok = await w.fetch(path, { headers: { "X-User-Id": "u" } });
      assert.equal(ok.status, 200, path);
      await ok.arrayBuffer();
    }
  });

  test("%2F and .. never escape a prefix; the upstream gets the normalized path", async () => {
    for (const path of ["/app%2F..%2F..%2Fadmin", "/app/%2e%2e%2F%2e%2e%2Fadmin", "/app%5C..%5Cadmin"]) {
      const r = await w.fetch(path, { headers: { "X-User-Id": "u" } });
      assert.equal(r.status, 400, path);
      assert.equal((await json(r)).error.code, "INVALID_PATH");
    }
    const r = await w.fetch("/app/./a//b/%7Euser?q=1", { headers: { "X-User-Id": "u" } });
    assert.equal(r.status, 200);
    assert.equal((await json(r)).url, "/app/a/b/~user?q=1");
    const up = await w.fetch("/app/%2e%2e/%2e%2e/admin", { headers: { "X-User-Id": "u" } });
    assert.equal(up.status, 404, "resolved to /admin, which no route matches");
    await up.arrayBuffer();
  });
});

describe("routes that would break the proxy are refused at PUT", () => {
  const base = { flags: { canary: { percentage: 50 } } };
  const cases = [
    ["an upstream with a space", { id: "r", path: "/x*", flag: "canary", upstreams: { on: "http://exa mple", off: "http://127.0.0.1:1" } }, "routes[0].upstreams.on"],
    ["an upstream with userinfo", { id: "r", path: "/x*", flag: "canary", upstreams: { on: "http://u:p@example.com", off: "http://127.0.0.1:1" } }, "routes[0].upstreams.on"],
    ["an upstream with a bad port", { id: "r", path: "/x*", flag: "canary", upstreams: { on: "http://example.com:99999", off: "http://127.0.0.1:1" } }, "routes[0].upstreams.on"],
    ["a route id with a newline", { id: "r\nX-Injected: 1", path: "/x*", flag: "canary", upstreams: { on: "http://127.0.0.1:1", off: "http://127.0.0.1:1" } }, "routes[0].id"],
    ["a star inside a segment", { id: "r", path: "/x*/y", flag: "canary", upstreams: { on: "http://127.0.0.1:1", off: "http://127.0.0.1:1" } }, "routes[0].path"],
  ];
  for (const [name, route, path] of cases) {
    test(name, async () => {
      const before = await w.admin("/v1/versions?limit=1");
      const current = (await json(before)).current;
      const r = await putRuleset(w, { ...base, routes: [route] });
      assert.equal(r.status, 422);
      const b = await json(r);
      assert.equal(b.error.code, "INVALID_RULESET");
      assert.ok(b.error.problems.some((p) => p.path === path), JSON.stringify(b.error.problems));
      assert.equal((await json(await w.admin("/v1/versions?limit=1"))).current, current, "nothing stored");
    });
  }
});

describe("server-only flags", () => {
  test("never evaluated for public callers; the server key and admin tokens see them", async () => {
    const s = await startWorker({ SERVER_KEY: "srv-key" });
    try {
      const put = await putRuleset(s, { flags: { ops_kill: { client: false, enabled: true }, beta: true } });
      assert.equal(put.status, 200, await put.text());
      const pub = await s.fetch("/v1/flags/ops_kill?default=false");
      assert.equal(pub.status, 404);
      const pb = await json(pub);
      assert.deepEqual([pb.value, pb.variant, pb.reason, pb.errorCode], [false, null, "ERROR", "FLAG_NOT_FOUND"]);
      // Word for word what a flag the ruleset lacks gets: nothing tells a
      // stranger that a server-only flag of that name exists.
      const missing = await json(await s.fetch("/v1/flags/no_such_flag?default=false"));
      assert.equal(pb.error.message.replace("ops_kill", "X"), missing.error.message.replace("no_such_flag", "X"));
      const all = await s.fetch("/v1/flags");
      assert.equal(all.headers.get("x-active-flags"), "beta");
      assert.deepEqual(Object.keys((await json(all)).flags), ["beta"]);
      const named = await json(await s.fetch("/v1/flags", { method: "POST", body: JSON.stringify({ defaults: { ops_kill: false } }) }));
      assert.equal(named.flags.ops_kill.errorCode, "FLAG_NOT_FOUND");
      for (const token of ["srv-key", "test-admin-token"]) {
        const r = await s.fetch("/v1/flags/ops_kill", { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200, token);
        assert.deepEqual([(await json(r)).value, r.headers.get("x-active-flags")], [true, "ops_kill"]);
        const a = await s.fetch("/v1/flags", { headers: { Authorization: `Bearer ${token}` } });
        assert.deepEqual(Object.keys((await json(a)).flags), ["ops_kill", "beta"]);
      }
      // A mistyped server key is refused, not silently downgraded.
      const wrong = await s.fetch("/v1/flags/ops_kill", { headers: { Authorization: "Bearer srv-kee" } });
      assert.equal(wrong.status, 403);
      await wrong.arrayBuffer();
      // The client view never carries it.
      const view = await json(await s.fetch("/v1/ruleset"));
      assert.deepEqual(Object.keys(view.flags), ["beta"]);
    } finally {
      await s.close();
    }
  });
});
