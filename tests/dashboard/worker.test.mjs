// The Worker's side of the dashboard, without a browser: how `/`, `/app/...`
// and the ruleset's routes share the URL space (the routes first: the
// dashboard gets what no route claims), and POST /v1/ruleset/preview
// (admin only; the core's problems, diff and blast radius; nothing stored).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { ADMIN, NO_CF, exampleText, putRuleset, startWorker } from "../worker/helpers.mjs";
import { READ_KEY, api } from "./helpers.mjs";

let w;
let up;
let base;
before(async () => {
  up = await new Promise((resolve) => {
    const server = createServer((req, res) => res.end(`upstream ${req.url}`));
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
  w = await startWorker({ READ_KEY }, { listen: true, cf: NO_CF });
  base = w.url.replace(/\/$/, "");
});
after(async () => {
  await w?.close();
  up?.server.close();
});

describe("/, /app and the ruleset's routes", () => {
  test("without a ruleset, / still redirects to the app", async () => {
    const r = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/app/");
    assert.equal((await fetch(`${base}/app/`)).status, 200);
  });

  test("the routes come first: a route that claims / or /app keeps it", async () => {
    const doc = {
      flags: { site: true },
      routes: [{ id: "site", path: "/**", flag: "site", upstreams: { on: up.url, off: up.url } }],
    };
    assert.equal((await putRuleset(w, doc)).status, 200);
    const root = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(root.status, 200);
    assert.equal(await root.text(), "upstream /");
    assert.equal(root.headers.get("x-edgeflags-route"), "site");
    assert.equal(await (await fetch(`${base}/anything/else`)).text(), "upstream /anything/else");
    // A catch-all route hides the dashboard too: routes work as they did before it.
    const app = await fetch(`${base}/app/`);
    assert.equal(await app.text(), "upstream /app/");
    assert.equal(app.headers.get("content-security-policy"), null);
    // POST / is never redirected.
    assert.equal((await fetch(`${base}/`, { method: "POST", body: "x" })).status, 200);
  });

  test("a route elsewhere leaves / and /app to the dashboard", async () => {
    const doc = {
      flags: { site: true },
      routes: [{ id: "api", path: "/api/**", flag: "site", upstreams: { on: up.url, off: up.url } }],
    };
    assert.equal((await putRuleset(w, doc)).status, 200);
    assert.equal((await fetch(`${base}/`, { redirect: "manual" })).status, 302);
    const app = await fetch(`${base}/app/`);
    assert.match(await app.text(), /<title>edgeflags<\/title>/);
    assert.ok(app.headers.get("content-security-policy"));
    assert.equal(await (await fetch(`${base}/api/x`)).text(), "upstream /api/x");
    // /apple is not the dashboard's: no route, 404.
    assert.equal((await fetch(`${base}/apple`)).status, 404);
    const post = await fetch(`${base}/app/`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.ok(post.headers.get("content-security-policy"));
  });

  test("the example's route does not claim /", async () => {
    assert.equal((await putRuleset(w, exampleText())).status, 200);
    const r = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal((await fetch(`${base}/`, { method: "POST" })).status, 404);
  });
});

describe("DASHBOARD_HOST: the dashboard on a host of its own", () => {
  test("that host serves the dashboard and the API but no route; every other host the routes but no dashboard", async () => {
    const own = await startWorker({ DASHBOARD_HOST: "Flags.Test:8443" }, { cf: NO_CF });
    try {
      const doc = {
        flags: { site: true },
        routes: [
          { id: "api", path: "/api/**", flag: "site", upstreams: { on: up.url, off: up.url } },
          { id: "app", path: "/app/**", flag: "site", upstreams: { on: up.url, off: up.url } },
        ],
      };
      assert.equal((await putRuleset(own, doc)).status, 200);
      const at = (origin, path, init = {}) => own.mf.dispatchFetch(origin + path, { redirect: "manual", ...init });
      const dash = "http://flags.test:8443";
      const shop = "http://shop.test";
      // The dashboard's host: /, /app even though a route claims /app, the API; routes are 404.
      assert.equal((await at(dash, "/")).headers.get("location"), "/app/");
      const app = await at(dash, "/app/");
      assert.match(await app.text(), /<title>edgeflags<\/title>/);
      assert.ok(app.headers.get("content-security-policy"));
      const routed = await at(dash, "/api/x");
      assert.equal(routed.status, 404);
      assert.equal(routed.headers.get("x-edgeflags-route"), null);
      await routed.text();
      assert.equal((await at(dash, "/v1/flags/site")).status, 200);
      // The same host on another port is another origin: routes only.
      assert.equal(await (await at("http://flags.test:9000", "/app/")).text(), "upstream /app/");
      // Any other host: the routes (the app route included), no dashboard.
      assert.equal(await (await at(shop, "/api/x")).text(), "upstream /api/x");
      assert.equal(await (await at(shop, "/app/")).text(), "upstream /app/");
      const root = await at(shop, "/");
      assert.equal(root.status, 404);
      assert.equal(root.headers.get("location"), null);
      await root.text();
      // The status names the host, for the dashboard's warning.
      const status = await (await at(dash, "/v1/status", { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
      assert.equal(status.dashboardHost, "flags.test:8443");
      assert.equal(status.routes, 2);
    } finally {
      await own.close();
    }
  });

  test("without it, the admin status says the dashboard shares the routes' hosts", async () => {
    const status = await (await fetch(`${base}/v1/status`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
    assert.equal(status.dashboardHost, null);
  });
});

describe("POST /v1/ruleset/preview", () => {
  test("admin only", async () => {
    const body = { ruleset: { flags: {} } };
    assert.equal((await api(w, "/v1/ruleset/preview", { method: "POST", body, token: READ_KEY })).status, 403);
    const r = await fetch(`${base}/v1/ruleset/preview`, { method: "POST", body: JSON.stringify(body) });
    assert.equal(r.status, 401);
  });

  test("problems, the core's diff and blast radius; nothing stored", async () => {
    const before = (await api(w, "/v1/versions")).json.current;
    const doc = JSON.parse(exampleText());
    doc.flags.new_search = { percentage: 150 };
    let r = await api(w, "/v1/ruleset/preview", { method: "POST", body: { ruleset: doc } });
    assert.equal(r.status, 200);
    assert.equal(r.json.valid, false);
    assert.deepEqual(r.json.problems.map((p) => p.path), ["flags.new_search.percentage"]);
    assert.equal(r.json.blastRadius, null);
    doc.flags.new_search = { percentage: 70 };
    r = await api(w, "/v1/ruleset/preview", { method: "POST", body: { ruleset: doc, sample: 2000 } });
    assert.equal(r.json.valid, true);
    assert.equal(r.json.against, before);
    assert.deepEqual(r.json.diff.flags.map((f) => [f.key, f.status]), [["new_search", "changed"]]);
    const br = r.json.blastRadius;
    assert.deepEqual([br.source, br.contexts], ["sample", 2000]);
    const ns = br.flags.find((f) => f.key === "new_search");
    // 20 % -> 70 %: about half of the units move from off to on.
    assert.ok(ns.changed > 850 && ns.changed < 1150, String(ns.changed));
    assert.deepEqual(ns.transitions.map((t) => [t.from, t.to]), [["off", "on"]]);
    assert.ok(br.flags.filter((f) => f.key !== "new_search").every((f) => f.changed === 0 || f.key === "onboarding_v2" || f.key === "pricing_page_v3"));
    // Given contexts.
    r = await api(w, "/v1/ruleset/preview", { method: "POST", body: { ruleset: doc, contexts: [{ user_id: "a" }, { plan: "pro" }] } });
    assert.deepEqual([r.json.blastRadius.source, r.json.blastRadius.contexts], ["contexts", 2]);
    assert.equal((await api(w, "/v1/versions")).json.current, before, "nothing stored");
    for (const bad of [{}, { ruleset: {}, sample: 0 }, { ruleset: {}, nope: 1 }]) {
      assert.equal((await api(w, "/v1/ruleset/preview", { method: "POST", body: bad })).status, 400, JSON.stringify(bad));
    }
  });
});
