// The dashboard's read-side pages in headless Chromium against the Worker
// in workerd: the playground (answers computed in the page by the npm
// package, equal to POST /v1/flags), an experiment's results from events
// posted to /v1/events (verdict, SRM and sample-size warnings, the effect
// chart), a guarded rollout's timeline, guard charts and decision log from
// real traffic through a route and the scheduled tick, pause / resume /
// abort; keyboard use and the 390 px layout.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { exampleText } from "../worker/helpers.mjs";
import { ADMIN, api, shot, signIn, start } from "./helpers.mjs";

const FLAG = "new_api";

function upstream(name) {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ upstream: name }));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })),
  );
}

let env;
let base;
let ups;
before(async () => {
  ups = await Promise.all([upstream("v1"), upstream("v2")]);
  const doc = JSON.parse(exampleText());
  doc.flags[FLAG] = {
    description: "The new API backend, behind a guarded rollout",
    percentage: 0,
    rollout: {
      steps: [5, 10, 50, 100],
      min_minutes: 0,
      min_requests: 5,
      guards: [{ metric: "error_rate", max: 0.05 }, { metric: "latency", percentile: 99, max_ms: 2000 }],
      on_breach: "rollback",
      status: "running",
    },
  };
  // An experiment whose exposures will not follow its split (SRM).
  doc.flags.srm_test = {
    variants: { control: false, treatment: true },
    default_variant: "control",
    split: [["control", 50], ["treatment", 50]],
    experiment: { control: "control", metrics: ["signup"] },
  };
  doc.routes.push({ id: "api", path: "/svc/**", flag: FLAG, upstreams: { on: ups[1].url, off: ups[0].url } });
  env = await start({ doc: JSON.stringify(doc) });
  base = env.w.url.replace(/\/$/, "");
});
after(async () => {
  await env?.close();
  for (const u of ups ?? []) u.close();
});

async function waitFor(what, f, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await f();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the playground", () => {
  test("every flag's answer in the page equals the Worker's", async () => {
    const page = await env.page();
    await signIn(page, base);
    await page.click('#nav a:text-is("Playground")');
    await page.waitForSelector("#results tbody tr");
    for (const ctx of [
      { user_id: "user:42", plan: "pro", country: "US" },
      { user_id: "qa-1", plan: "enterprise", app_version: "4.3.0", groups: ["admin"] },
      { plan: "free" },
    ]) {
      await page.fill("#context", JSON.stringify(ctx, null, 2));
      await page.click("#ask-worker");
      await page.waitForSelector("#playground-message .notice");
      const rows = await page.$$eval("#results tbody tr", (rs) =>
        rs.map((r) => ({ key: r.dataset.flag, value: r.querySelector(".value").textContent, variant: r.querySelector(".variant").textContent, reason: r.querySelector(".reason").textContent, rule: r.querySelector(".rule").textContent, worker: r.querySelector(".worker").textContent })),
      );
      const answer = (await api(env.w, "/v1/flags", { method: "POST", body: { context: ctx } })).json;
      assert.deepEqual(rows.map((r) => r.key), Object.keys(answer.flags));
      for (const r of rows) {
        const a = answer.flags[r.key];
        assert.deepEqual([JSON.parse(r.value), r.variant, r.reason, r.rule], [a.value, a.variant ?? "—", a.reason, a.ruleId ?? "—"], `${r.key} ${JSON.stringify(ctx)}`);
        assert.equal(r.worker, "same", r.key);
      }
    }
    await shot(page, "playground");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe("experiments", () => {
  test("results from seeded events: verdict, warnings, per-variant table, the effect chart", async () => {
    // 400 units over the split 50/25/25, a quarter of them purchasing.
    const variants = ["control", "control", "variant_a", "variant_b"];
    const events = [];
    for (let i = 0; i < 400; i++) {
      events.push({ type: "exposure", flag: "checkout_experiment", variant: variants[i % 4], unit: `unit-${i}`, id: `x${i}` });
      if (i % 4 === 2 || i % 8 === 1) events.push({ type: "track", event: "purchase", unit: `unit-${i}`, id: `p${i}` });
    }
    // 300 against 100 on a 50/50 split: a sample ratio mismatch.
    for (let i = 0; i < 400; i++) events.push({ type: "exposure", flag: "srm_test", variant: i < 300 ? "control" : "treatment", unit: `srm-${i}`, id: `s${i}` });
    for (let i = 0; i < events.length; i += 500) {
      const r = await api(env.w, "/v1/events", { method: "POST", body: { events: events.slice(i, i + 500) } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
    }
    const report = await waitFor("the events in D1", async () => {
      // (At least: the playground's evaluations are exposures at the edge too.)
      const r = (await api(env.w, "/v1/experiments/checkout_experiment")).json;
      return r.variants?.reduce((n, v) => n + v.units, 0) >= 400 ? r : null;
    });
    const srm = await waitFor("the SRM events in D1", async () => {
      const r = (await api(env.w, "/v1/experiments/srm_test")).json;
      return r.variants?.reduce((n, v) => n + v.units, 0) >= 400 ? r : null;
    });
    assert.equal(srm.verdict.status, "sample_ratio_mismatch");
    const page = await env.page();
    await signIn(page, base);
    await page.click('#nav a:text-is("Experiments")');
    await page.waitForSelector('section.experiment[data-flag="checkout_experiment"]');
    const sec = 'section.experiment[data-flag="checkout_experiment"]';
    assert.equal(
      (await page.textContent(`${sec} .verdict`)).trim(),
      `${report.verdict.status.replace(/_/g, " ")} ${report.verdict.message}`,
    );
    // Sample size below plan: a warning.
    assert.ok(report.sample_size.progress < 1);
    assert.match(await page.textContent(`${sec} .sample`), /units per variant needed/);
    const units = await page.$$eval(`${sec} table.exp-variants tbody tr`, (rs) => rs.map((r) => Number(r.cells[2].textContent)));
    assert.deepEqual(units, report.variants.map((v) => v.units));
    // One interval per non-control variant in the primary metric's chart.
    assert.equal(await page.$$eval(`${sec} .metric:first-of-type figure.chart circle.est`, (c) => c.length), 2);
    assert.match(await page.textContent('section.experiment[data-flag="srm_test"] .srm'), /Sample ratio mismatch/);
    assert.equal(await page.textContent('section.experiment[data-flag="srm_test"] .verdict .badge'), "sample ratio mismatch");
    await shot(page, "experiments");
    await page.context().close();
  });
});

describe("rollouts", () => {
  test("timeline, guard charts and decisions from real traffic; pause, resume, abort", async () => {
    await env.w.scheduled(); // start: 0 -> 5 %
    // Traffic through the route, then the guard's next tick advances the
    // step; twice, so that the guards' charts have two points.
    let sent = 0;
    for (const step of [[5, 10], [10, 50]]) {
      for (let i = 0; i < 200; i++, sent++) {
        const r = await fetch(`${base}/svc/orders/${sent}`, { headers: { "X-User-Id": `user-${sent}` } });
        await r.arrayBuffer();
      }
      await waitFor("route metrics in D1", async () => (await env.w.db.prepare("SELECT TOTAL(requests) AS n FROM route_metrics").first()).n >= sent);
      await env.w.scheduled();
      const last = (await api(env.w, `/v1/rollouts/${FLAG}/decisions?limit=1`)).json.decisions[0].decision;
      assert.deepEqual([last.action, last.from, last.to], ["advance", ...step], JSON.stringify(last));
    }
    const log = (await api(env.w, `/v1/rollouts/${FLAG}/decisions`)).json.decisions;

    const page = await env.page();
    await signIn(page, base);
    await page.click('#nav a:text-is("Rollouts")');
    const sec = `section.rollout[data-flag="${FLAG}"]`;
    await page.waitForSelector(sec);
    assert.equal(await page.textContent(`${sec} .timeline li[aria-current="step"]`), "50%");
    assert.equal(await page.$$eval(`${sec} table.decisions tbody tr`, (rs) => rs.length), log.length);
    assert.match(await page.textContent(`${sec} table.decisions tbody tr:first-child .decision`), /advance 10 → 50%/);
    // One chart per guard, a point per decision with figures (the advances).
    assert.equal(await page.$$eval(`${sec} figure.chart`, (f) => f.length), 2);
    assert.equal(await page.$$eval(`${sec} figure.chart:first-of-type circle.dot.treatment`, (c) => c.length), 2);
    await shot(page, "rollouts");
    await page.click(`${sec} button.pause`);
    await page.waitForSelector(`${sec} .badge.paused`);
    assert.equal((await api(env.w, "/v1/rollouts")).json.rollouts.find((r) => r.flag === FLAG).status, "paused");
    await page.click(`${sec} button.resume`);
    await page.waitForSelector(`${sec} .badge.running`, { timeout: 5000 }).catch(async (e) => {
      throw new Error(`${e.message}\n${await page.textContent("main")}`);
    });
    await page.click(`${sec} button.abort`);
    await page.waitForSelector("dialog.confirm[open]");
    await page.click("#confirm-ok");
    await page.waitForSelector(`${sec} .badge.rolled_back`);
    const ro = (await api(env.w, "/v1/rollouts")).json.rollouts.find((r) => r.flag === FLAG);
    assert.deepEqual([ro.status, ro.percentage], ["rolled_back", 0]);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe("keyboard and small screens", () => {
  test("the list and a flag work from the keyboard", async () => {
    const page = await env.page();
    await signIn(page, base);
    await page.focus("#flag-search");
    await page.keyboard.type("dark");
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      await page.keyboard.press("Tab");
      found = await page.evaluate(() => document.activeElement?.classList.contains("flag-key"));
    }
    assert.ok(found, "Tab reaches the flag's link");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#sentences");
    assert.equal(await page.textContent("main h1 .state .badge"), "off");
    // Focus moved to the new page's content.
    assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    // "Edit JSON" opens the editor at the flag.
    await page.click('a:text-is("Edit JSON…")');
    await page.waitForFunction(() => {
      const a = document.querySelector("#json");
      return a && document.activeElement === a && a.value.slice(a.selectionStart, a.selectionEnd).includes("dark_mode");
    });
    await page.context().close();
  });

  test("at 390 px every page fits the width", async () => {
    const page = await env.page(390, 844);
    await signIn(page, base);
    for (const [hash, sel, name] of [
      ["#/flags", "table.flags tbody tr", "mobile-flags"],
      ["#/flag/new_checkout", "#sentences", "mobile-flag"],
      ["#/history", "table.versions", null],
      ["#/editor", "#json", null],
      ["#/experiments", "section.experiment", null],
      ["#/rollouts", "section.rollout", null],
      ["#/playground", "#results tbody tr", null],
    ]) {
      await page.goto(`${base}/app/${hash}`);
      await page.waitForSelector(sel);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${hash}: ${width} px wide`);
      if (name) await shot(page, name);
    }
    await page.context().close();
  });
});
