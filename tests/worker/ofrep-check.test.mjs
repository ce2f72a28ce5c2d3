// The OFREP conformance runner (scripts/ofrep-check.mjs) against the
// Worker in workerd on 127.0.0.1 (it must pass: no failure, and its only
// warnings are the DEFAULT reasons the openapi's enum leaves out, see
// docs/openfeature.md), and against a deliberately broken OFREP server
// (it must fail, naming what is wrong).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, exampleText, seed, startWorker } from "./helpers.mjs";

const RUNNER = join(ROOT, "scripts/ofrep-check.mjs");

function runCheck(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [RUNNER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

let w;
before(async () => {
  w = await startWorker({ SERVER_KEY: "check-server-key", READ_KEY: "check-read-key", ALLOWED_ORIGINS: "*" }, { listen: true });
  await seed(w.kv, exampleText(), 1);
});
after(() => w?.close());

test("the Worker passes the conformance runner, with Bearer and with X-API-Key", async () => {
  for (const auth of [["--key", "check-server-key"], ["--header", "X-API-Key: check-read-key"]]) {
    const r = await runCheck([w.url, ...auth, "--json"]);
    assert.equal(r.code, 0, r.out + r.err);
    const report = JSON.parse(r.out);
    assert.equal(report.FAIL, 0);
    assert.ok(report.PASS >= 10, `${report.PASS} passed`);
    const warnings = report.checks.flatMap((c) => c.warn);
    assert.ok(
      warnings.every((l) => /reason DEFAULT is OpenFeature's but not in the openapi's enum|\.\.\. and \d+ more/.test(l)),
      warnings.join("\n"),
    );
    const names = report.checks.map((c) => `${c.status} ${c.name}`);
    for (const want of ["PASS bulk evaluation: ETag", "PASS unknown flag", "PASS auth: no credential", "PASS auth: a wrong credential", "PASS CORS"]) {
      assert.ok(names.some((n) => n.startsWith(want)), `${want}: ${names.join("; ")}`);
    }
  }
  // Text report and exit code; --strict counts the warnings.
  const text = await runCheck([w.url, "--key", "check-server-key", "--flag", "new_dashboard", "--flag", "max_upload_mb"]);
  assert.equal(text.code, 0);
  assert.match(text.out, /^result: \d+ pass, \d+ warn, 0 fail$/m);
  assert.equal((await runCheck([w.url, "--key", "check-server-key", "--strict"])).code, 1);
  assert.equal((await runCheck([w.url, "--flag", "x"])).code, 1, "without the read key: 401");
  assert.equal((await runCheck([])).code, 2);
});

test("a broken OFREP server fails, with reasons", async () => {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const send = (status, obj, type = "application/json") => {
        res.writeHead(status, { "Content-Type": type });
        res.end(obj === undefined ? "" : JSON.stringify(obj));
      };
      if (req.url === "/ofrep/v1/evaluate/flags") {
        // No ETag, an item without a key, a number as a reason.
        return send(200, { flags: [{ value: true, reason: "STATIC", variant: "on" }, { key: "b", value: 1, reason: 7 }, { key: "c", value: "x", reason: "WEIRD", variant: "v" }] });
      }
      if (req.url.startsWith("/ofrep/v1/evaluate/flags/")) {
        const key = decodeURIComponent(req.url.split("/").pop());
        if (key.startsWith("ofrep-check-no-such-flag")) return send(200, { key, value: false, reason: "DEFAULT" });
        try {
          JSON.parse(body);
        } catch {
          return send(500, undefined);
        }
        return send(200, { key, value: true, reason: "STATIC" }, "text/plain");
      }
      send(404, {});
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${server.address().port}`;
    const r = await runCheck([url, "--flag", "c"]);
    assert.equal(r.code, 1, r.out);
    for (const want of [
      /FAIL  bulk evaluation: 200, bulkEvaluationSuccess/,
      /flags\[0\]: key is undefined, required string/,
      /reason is number, required string/,
      /reason "WEIRD" is not an OpenFeature reason/,
      /warn: no ETag/,
      /FAIL  single-flag evaluation/,
      /Content-Type text\/plain/,
      /FAIL  unknown flag: 404/,
      /FAIL  single: a body that is not JSON -> 400 PARSE_ERROR/,
      /FAIL  bulk: a context that is not an object -> 400 INVALID_CONTEXT/,
    ]) {
      assert.match(r.out, want);
    }
    assert.match(r.out, /^result: \d+ pass, \d+ warn, [1-9]\d* fail$/m);
  } finally {
    server.close();
  }
});
