// Routing by flag: a request matching a route is proxied to the upstream
// of the variant the route's flag serves the requester (real HTTP servers
// on 127.0.0.1 started here). Method, headers, query and a streamed body
// arrive intact; the variant is visible to the upstream and the client;
// a requester without an id gets a sticky anonymous cookie and always
// lands on the same upstream.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { bucket, json, putRuleset, startWorker } from "./helpers.mjs";

/** An upstream that records each request and answers with what it saw. */
function upstream(name) {
  const seen = [];
  const server = createServer((req, res) => {
    const hash = createHash("sha256");
    let size = 0;
    req.on("data", (c) => {
      hash.update(c);
      size += c.length;
    });
    req.on("end", () => {
      const info = { upstream: name, method: req.method, url: req.url, headers: req.headers, size, sha256: hash.digest("hex") };
      seen.push(info);
      if (req.url.startsWith("/api/orders/created")) {
        res.writeHead(201, { "Content-Type": "application/json", "X-Upstream": name, "Set-Cookie": "session=abc; Path=/" });
      } else {
        res.writeHead(200, { "Content-Type": "application/json", "X-Upstream": name });
      }
      res.end(JSON.stringify(info));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, seen, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

const PCT = 50;
let w, stable, canary;
before(async () => {
  [stable, canary] = await Promise.all([upstream("stable"), upstream("canary")]);
  w = await startWorker();
  const ruleset = {
    flags: {
      order_service_v2: { percentage: PCT, rules: [{ id: "internal", conditions: [{ attribute: "email", op: "ends_with", value: "@company.com" }], variant: "on" }] },
      api_version: { variants: { v1: "v1", v2: "v2" }, default_variant: "v1", bucket_by: "user_id", split: [["v1", 50], ["v2", 50]] },
    },
    routes: [
      { id: "orders-canary", path: "/api/orders*", flag: "order_service_v2", upstreams: { on: canary.url, off: stable.url } },
      { id: "api-ab", path: "/api/v/*", flag: "api_version", upstreams: { v1: stable.url, v2: canary.url } },
      { id: "dead", path: "/dead/*", flag: "order_service_v2", upstreams: { on: "http://127.0.0.1:9", off: "http://127.0.0.1:9" } },
    ],
  };
  const r = await putRuleset(w, ruleset);
  assert.equal(r.status, 200, await r.text());
});
after(async () => {
  await w?.close();
  stable?.server.close();
  canary?.server.close();
});

/** Which upstream the spec's bucketing says a user belongs to. */
const expectedVariant = (user) => (bucket("order_service_v2", user) < PCT ? "on" : "off");

describe("proxying", () => {
  test("users go to the upstream of their variant, as the bucketing spec says", async () => {
    const counts = { on: 0, off: 0 };
    for (let i = 0; i < 40; i++) {
      const user = `user-${i}`;
      const r = await w.fetch(`/api/orders/${i}`, { headers: { "X-User-Id": user } });
      assert.equal(r.status, 200);
      const want = expectedVariant(user);
      counts[want]++;
      assert.equal(r.headers.get("x-edgeflags-variant"), want, user);
      assert.equal(r.headers.get("x-edgeflags-flag"), "order_service_v2");
      assert.equal(r.headers.get("x-edgeflags-route"), "orders-canary");
      assert.equal(r.headers.get("x-upstream"), want === "on" ? "canary" : "stable");
      const seen = await json(r);
      assert.equal(seen.headers["x-edgeflags-variant"], want);
      assert.equal(seen.headers["x-edgeflags-flag"], "order_service_v2");
      // The Worker's own evaluation agrees with where it routed.
      const e = await json(await w.fetch(`/v1/flags/order_service_v2`, { headers: { "X-User-Id": user } }));
      assert.equal(e.variant, want);
    }
    assert.ok(counts.on > 5 && counts.off > 5, JSON.stringify(counts));
  });

  test("method, headers, query and a streamed 1 MiB body arrive intact; status and headers come back", async () => {
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + 3) & 0xff;
    const stream = new ReadableStream({
      start(c) {
        for (let off = 0; off < body.length; off += 64 * 1024) c.enqueue(body.subarray(off, off + 64 * 1024));
        c.close();
      },
    });
    const r = await w.fetch("/api/orders/created?id=7&x=a%20b", {
      method: "PUT",
      body: stream,
      duplex: "half",
      headers: { "X-User-Id": "user-1", "X-Custom": "kept", "Content-Type": "application/octet-stream" },
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get("set-cookie"), "session=abc; Path=/");
    const seen = await json(r);
    assert.equal(seen.method, "PUT");
    assert.equal(seen.url, "/api/orders/created?id=7&x=a%20b");
    assert.equal(seen.headers["x-custom"], "kept");
    assert.equal(seen.headers["content-type"], "application/octet-stream");
    assert.equal(seen.size, body.length);
    assert.equal(seen.sha256, createHash("sha256").update(body).digest("hex"));
    assert.equal(seen.upstream, expectedVariant("user-1") === "on" ? "canary" : "stable");

    for (const method of ["DELETE", "PATCH", "POST"]) {
      const m = await json(await w.fetch("/api/orders/9", { method, headers: { "X-User-Id": "user-1" }, body: method === "DELETE" ? undefined : "x" }));
      assert.equal(m.method, method);
    }
  });

  test("the user cookie identifies the requester for routing too", async () => {
    const users = Array.from({ length: 100 }, (_, i) => `u${i}`);
    for (const want of ["on", "off"]) {
      const user = users.find((u) => expectedVariant(u) === want);
      const r = await w.fetch("/api/orders", { headers: { Cookie: `ef_uid=${user}` } });
      assert.equal(r.headers.get("x-edgeflags-variant"), want, user);
      assert.equal(r.headers.get("set-cookie"), null);
      assert.equal((await json(r)).upstream, want === "on" ? "canary" : "stable");
    }
  });
});

describe("the sticky anonymous id", () => {
  test("no id: a cookie is set once, and the same id always gets the same upstream", async () => {
    const first = await w.fetch("/api/v/items");
    assert.equal(first.status, 200);
    const setCookie = first.headers.get("set-cookie");
    assert.match(setCookie, /^ef_anon=[A-Za-z0-9_-]{8,64}; Path=\/; Max-Age=31536000; SameSite=Lax; HttpOnly$/);
    const id = setCookie.split(";")[0].split("=")[1];
    const variant = first.headers.get("x-edgeflags-variant");
    const seenFirst = await json(first);
    assert.equal(seenFirst.headers["x-edgeflags-anonymous-id"], id);
    // The spec's split for that id.
    const want = bucket("api_version", id) < 50 ? "v1" : "v2";
    assert.equal(variant, want);
    for (let i = 0; i < 10; i++) {
      const r = await w.fetch("/api/v/items", { headers: { Cookie: `other=1; ef_anon=${id}` } });
      assert.equal(r.headers.get("x-edgeflags-variant"), variant);
      assert.equal(r.headers.get("set-cookie"), null, "no new cookie once the requester has one");
      const seen = await json(r);
      assert.equal(seen.upstream, variant === "v1" ? "stable" : "canary");
      assert.equal(seen.headers["x-edgeflags-anonymous-id"], id);
    }
    // The evaluate endpoint uses the same cookie, so it agrees.
    const e = await json(await w.fetch("/v1/flags/api_version", { headers: { Cookie: `ef_anon=${id}` } }));
    assert.equal(e.variant, variant);
  });

  test("many new visitors spread over both upstreams; a signed-in user gets no anonymous cookie", async () => {
    const variants = new Set();
    for (let i = 0; i < 30; i++) {
      const r = await w.fetch("/api/v/x");
      variants.add(r.headers.get("x-edgeflags-variant"));
      await r.arrayBuffer();
    }
    assert.deepEqual([...variants].sort(), ["v1", "v2"]);
    const known = await w.fetch("/api/v/x", { headers: { "X-User-Id": "user-5" } });
    assert.equal(known.headers.get("set-cookie"), null);
    await known.arrayBuffer();
  });
});

describe("routing failures", () => {
  test("no matching route: 404 JSON; upstream down: 502 JSON", async () => {
    const nf = await w.fetch("/not/routed");
    assert.equal(nf.status, 404);
    assert.equal((await json(nf)).error.code, "NOT_FOUND");
    const dead = await w.fetch("/dead/x", { headers: { "X-User-Id": "u" } });
    assert.equal(dead.status, 502);
    assert.equal((await json(dead)).error.code, "UPSTREAM_UNAVAILABLE");
  });

  test("routes never shadow the /v1 API", async () => {
    const r = await w.admin("/v1/status");
    assert.equal((await json(r)).routes, 3);
  });
});
