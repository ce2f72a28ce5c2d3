// Auth (401/403, labelled tokens, the read key) and every bad-input case:
// 400 malformed JSON or wrong shape, 404 unknown endpoint, 405 wrong
// method, 413 over the body limits, 422 invalid ruleset (nothing stored),
// 412 stale If-Match. Never a 500 for client input.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN, exampleText, json, keys, putRuleset, startWorker } from "./helpers.mjs";

// Limits as documented in docs/worker.md.
const MAX_REQUEST_BYTES = 256 * 1024;
const MAX_RULESET_BYTES = 16 * 1024 * 1024;

let w;
before(async () => {
  w = await startWorker({ ADMIN_TOKENS: "ci:ci-token, alice:alice-token" });
  const r = await putRuleset(w, exampleText());
  assert.equal(r.status, 200, await r.text());
});
after(() => w?.close());

async function expectError(res, status, code) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type"), /application\/json/);
  const b = JSON.parse(text);
  assert.equal(b.error.code, code, text);
  assert.equal(typeof b.error.message, "string");
  assert.ok(b.error.message.length > 0);
  return b;
}

describe("auth", () => {
  const put = (headers) => w.fetch("/v1/ruleset", { method: "PUT", body: exampleText(), headers });

  test("401 without a token, with WWW-Authenticate", async () => {
    const r = await put({});
    assert.equal(r.headers.get("www-authenticate"), "Bearer");
    await expectError(r, 401, "UNAUTHORIZED");
    await expectError(await put({ Authorization: "Basic dXNlcjpwYXNz" }), 401, "UNAUTHORIZED");
  });

  test("403 with a wrong token (prefix, suffix, case)", async () => {
    for (const t of ["nope", ADMIN.slice(0, -1), ADMIN + "x", ADMIN.toUpperCase()]) {
      await expectError(await put({ Authorization: `Bearer ${t}` }), 403, "FORBIDDEN");
    }
  });

  test("every admin endpoint is protected", async () => {
    const cases = [
      ["PUT", "/v1/ruleset"],
      ["PATCH", "/v1/flags/new_search"],
      ["POST", "/v1/flags/new_search/kill"],
      ["GET", "/v1/versions"],
      ["GET", "/v1/versions/1"],
      ["POST", "/v1/versions/1/rollback"],
      ["GET", "/v1/audit"],
    ];
    for (const [method, path] of cases) {
      await expectError(await w.fetch(path, { method, body: method === "GET" ? undefined : "{}" }), 401, "UNAUTHORIZED");
      await expectError(
        await w.fetch(path, { method, headers: { Authorization: "Bearer wrong" }, body: method === "GET" ? undefined : "{}" }),
        403,
        "FORBIDDEN",
      );
    }
  });

  test("labelled tokens: the audit log names who changed what", async () => {
    const r = await w.fetch("/v1/flags/new_search", {
      method: "PATCH",
      headers: { Authorization: "Bearer ci-token" },
      body: JSON.stringify({ percentage: 30 }),
    });
    assert.equal(r.status, 200, await r.text());
    const audit = await json(await w.admin("/v1/audit"));
    const last = audit.entries.at(-1);
    assert.equal(last.by, "ci");
    assert.equal(last.flag, "new_search");
  });

  test("without any admin token configured the management API is off", async () => {
    const off = await startWorker({ ADMIN_TOKEN: undefined });
    try {
      await expectError(await off.admin("/v1/versions"), 403, "ADMIN_DISABLED");
    } finally {
      await off.close();
    }
  });

  test("READ_KEY makes the read endpoints need a token (read key or admin)", async () => {
    const rk = await startWorker({ READ_KEY: "reader" });
    try {
      assert.equal((await putRuleset(rk, exampleText())).status, 200);
      for (const path of ["/v1/flags", "/v1/flags/new_dashboard", "/v1/ruleset", "/v1/status"]) {
        await expectError(await rk.fetch(path), 401, "UNAUTHORIZED");
        await expectError(await rk.fetch(path, { headers: { Authorization: "Bearer nope" } }), 403, "FORBIDDEN");
        const ok = await rk.fetch(path, { headers: { Authorization: "Bearer reader" } });
        assert.equal(ok.status, 200, path);
        await ok.arrayBuffer();
        const adm = await rk.admin(path);
        assert.equal(adm.status, 200, path);
        await adm.arrayBuffer();
      }
      // The read key does not open the management API.
      const r = await rk.fetch("/v1/versions", { headers: { Authorization: "Bearer reader" } });
      await expectError(r, 403, "FORBIDDEN");
    } finally {
      await rk.close();
    }
  });
});

describe("bad input", () => {
  test("400: malformed JSON, with where", async () => {
    const b = await expectError(await putRuleset(w, '{"flags": {'), 400, "MALFORMED_JSON");
    assert.match(b.error.message, /not valid JSON/);
    await expectError(await w.fetch("/v1/flags", { method: "POST", body: "{nope" }), 400, "MALFORMED_JSON");
    await expectError(await w.admin("/v1/flags/new_search", { method: "PATCH", body: "" }), 400, "MALFORMED_JSON");
    await expectError(await putRuleset(w, Buffer.from([0x7b, 0xff, 0x7d])), 400, "MALFORMED_JSON");
  });

  test("400: well-formed JSON of the wrong shape", async () => {
    await expectError(await w.fetch("/v1/flags/x", { method: "POST", body: '{"user_id": "u"}' }), 400, "BAD_REQUEST");
    await expectError(await w.fetch("/v1/flags", { method: "POST", body: "[1, 2]" }), 400, "BAD_REQUEST");
    await expectError(await w.fetch("/v1/flags", { method: "POST", body: '{"context": "u1"}' }), 400, "INVALID_CONTEXT");
    await expectError(await w.admin("/v1/flags/new_search", { method: "PATCH", body: '{"percentage": "ten"}' }), 400, "BAD_REQUEST");
    await expectError(await w.admin("/v1/flags/new_search", { method: "PATCH", body: "{}" }), 400, "BAD_REQUEST");
    await expectError(await w.admin("/v1/versions?limit=0"), 400, "BAD_REQUEST");
  });

  test("404: unknown endpoints, and paths no route matches", async () => {
    for (const p of ["/v1", "/v1/", "/v1/flag", "/v1/flags/a/explode", "/v1/versions/abc", "/nothing/here"]) {
      await expectError(await w.fetch(p), 404, "NOT_FOUND");
    }
  });

  test("405: wrong method, with Allow", async () => {
    const r = await w.fetch("/v1/ruleset", { method: "DELETE" });
    assert.equal(r.headers.get("allow"), "GET, PUT, HEAD, OPTIONS");
    await expectError(r, 405, "METHOD_NOT_ALLOWED");
    await expectError(await w.fetch("/v1/flags", { method: "PUT", body: "{}" }), 405, "METHOD_NOT_ALLOWED");
    await expectError(await w.fetch("/v1/status", { method: "POST" }), 405, "METHOD_NOT_ALLOWED");
    await expectError(await w.admin("/v1/flags/a/kill"), 405, "METHOD_NOT_ALLOWED");
  });

  test("413: bodies over the limits (declared or streamed); at the limit is fine", async () => {
    const big = " ".repeat(MAX_REQUEST_BYTES + 1);
    const b = await expectError(await w.fetch("/v1/flags", { method: "POST", body: big }), 413, "PAYLOAD_TOO_LARGE");
    assert.equal(b.limit, MAX_REQUEST_BYTES);
    // Exactly at the limit: a valid body padded with spaces.
    const core = JSON.stringify({ context: { user_id: "u" } });
    const exact = core + " ".repeat(MAX_REQUEST_BYTES - core.length);
    const ok = await w.fetch("/v1/flags/new_dashboard", { method: "POST", body: exact });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    // No Content-Length: a stream is counted as it arrives.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode(" ".repeat(64 * 1024)));
        c.close();
      },
    });
    await expectError(await w.fetch("/v1/flags", { method: "POST", body: stream, duplex: "half" }), 413, "PAYLOAD_TOO_LARGE");
    // Ruleset uploads: the core's document limit.
    const huge = " ".repeat(MAX_RULESET_BYTES + 1);
    await expectError(await putRuleset(w, huge), 413, "PAYLOAD_TOO_LARGE");
    await expectError(await w.admin("/v1/flags/new_search", { method: "PATCH", body: big }), 413, "PAYLOAD_TOO_LARGE");
  });

  test("422: an invalid ruleset lists every problem with its path, and nothing is stored", async () => {
    const before = await json(await w.admin("/v1/versions"));
    const bad = {
      flags: {
        ok_flag: true,
        bad_pct: { percentage: 150 },
        bad_rule: { rules: [{ conditions: [{ attribute: "plan", op: "frobnicate", value: 1 }], variant: "on" }] },
      },
      routes: [{ path: "/x/*", flag: "nope", upstreams: {} }],
    };
    const b = await expectError(await putRuleset(w, bad), 422, "INVALID_RULESET");
    assert.ok(b.error.problems.length >= 3, JSON.stringify(b.error.problems));
    for (const p of b.error.problems) {
      assert.equal(typeof p.path, "string");
      assert.equal(typeof p.message, "string");
    }
    const paths = b.error.problems.map((p) => p.path);
    assert.ok(paths.some((p) => p.startsWith("flags.bad_pct")), paths.join());
    assert.ok(paths.some((p) => p.startsWith("flags.bad_rule.rules[0]")), paths.join());
    assert.ok(paths.some((p) => p.startsWith("routes[0]")), paths.join());
    // A document that is not an object at all.
    await expectError(await putRuleset(w, "[1]"), 422, "INVALID_RULESET");
    // A flag edit that would make the ruleset invalid.
    await expectError(await w.admin("/v1/flags/new_search", { method: "PATCH", body: '{"percentage": 150}' }), 422, "INVALID_RULESET");
    const afterList = await json(await w.admin("/v1/versions"));
    assert.deepEqual(afterList, before);
    assert.equal(await w.kv.get(keys.version(before.current + 1)), null);
  });

  test("412: If-Match naming a stale version; nothing stored", async () => {
    const cur = (await json(await w.admin("/v1/versions"))).current;
    const b = await expectError(await putRuleset(w, exampleText(), { "If-Match": `"${cur - 1}"` }), 412, "VERSION_CONFLICT");
    assert.equal(b.current, cur);
    await expectError(await putRuleset(w, exampleText(), { "If-Match": '"banana"' }), 412, "VERSION_CONFLICT");
    await expectError(
      await w.admin("/v1/flags/new_search/kill", { method: "POST", headers: { "If-Match": `"${cur + 5}"` } }),
      412,
      "VERSION_CONFLICT",
    );
    await expectError(await w.admin("/v1/versions/1/rollback", { method: "POST", headers: { "If-Match": '"0"' } }), 412, "VERSION_CONFLICT");
    assert.equal((await json(await w.admin("/v1/versions"))).current, cur);
    // The current version (and *) pass.
    const ok = await putRuleset(w, exampleText(), { "If-Match": `"${cur}"` });
    assert.equal(ok.status, 200);
    assert.equal((await json(ok)).version, cur + 1);
    const star = await putRuleset(w, exampleText(), { "If-Match": "*" });
    assert.equal(star.status, 200);
    await star.arrayBuffer();
  });
});

describe("never a 500 for client input", () => {
  test("garbage bodies, paths, headers and queries get 4xx answers", async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const bytes = (n) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    const texts = ['{"a":', "null", "[]", '"x"', "1e999", '{"flags": null}', '{"flags": {"x": {"percentage": -1}}}', "\u0000", "{}".repeat(100), "[".repeat(10000)];
    const requests = [];
    for (const t of texts) {
      requests.push(["PUT", "/v1/ruleset", t, true]);
      requests.push(["PATCH", "/v1/flags/new_search", t, true]);
      requests.push(["POST", "/v1/flags", t, false]);
      requests.push(["POST", "/v1/flags/new_search", t, false]);
    }
    for (let i = 0; i < 20; i++) {
      requests.push(["PUT", "/v1/ruleset", bytes(1 + Math.floor(rnd() * 2000)), true]);
      requests.push(["POST", "/v1/flags", bytes(1 + Math.floor(rnd() * 2000)), false]);
    }
    for (const p of ["/v1/flags/%", "/v1/flags/%zz", "/v1/flags/" + "x".repeat(5000), "/v1/versions/99999999999999999999", "/v1/flags/a%2Fb", "/v1//flags"]) {
      requests.push(["GET", p, undefined, false]);
    }
    for (const [method, path, body, admin] of requests) {
      const r = await (admin ? w.admin : w.fetch)(path, { method, body });
      const text = await r.text();
      assert.ok(r.status < 500, `${method} ${path} ${String(body).slice(0, 40)} -> ${r.status} ${text.slice(0, 200)}`);
      assert.ok(r.status === 200 || JSON.parse(text).error.code, text.slice(0, 200));
    }
    const odd = [
      ["/v1/flags/new_search", { "If-None-Match": "\u00ff" }],
      ["/v1/flags/new_search", { "X-User-Id": "x".repeat(70000) }],
      ["/v1/flags/new_search", { Cookie: "ef_uid=; ef_anon=;;;=" }],
      ["/v1/flags?" + Array.from({ length: 1200 }, (_, i) => `a${i}=1`).join("&"), {}],
      ["/v1/flags/new_search?default=%7B%22a%22", {}],
    ];
    for (const [path, headers] of odd) {
      const r = await w.fetch(path, { headers });
      const text = await r.text();
      assert.ok(r.status < 500, `${path.slice(0, 60)} -> ${r.status} ${text.slice(0, 200)}`);
    }
    // More attributes than the context limit: a clear 400.
    const many = await w.fetch("/v1/flags?" + Array.from({ length: 1200 }, (_, i) => `a${i}=1`).join("&"));
    assert.equal(many.status, 400);
    assert.equal((await json(many)).error.code, "INVALID_CONTEXT");
  });
});
