// The dashboard end to end in headless Chromium against the Worker in
// workerd: served with its security headers, sign-in (admin, read-only,
// a wrong token), the flags list and its filters, a flag's actions (enable,
// kill with the typed confirmation, a percentage) checked against
// /v1/flags, history (diff of two versions, rollback), the editor (problems
// from the wasm engine, nothing published; preview; publish) and the
// Worker unreachable (a banner, the editor's text kept).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN, NO_CF, READ_KEY, api, shot, signIn, start } from "./helpers.mjs";
import { putRuleset, startWorker, exampleText } from "../worker/helpers.mjs";

const CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let env;
let base;
before(async () => {
  env = await start();
  base = env.w.url.replace(/\/$/, "");
  // 60 days of flag usage: new_dashboard served only "on" (a cleanup
  // candidate: keep true); search_indexing (ops) only "off" (never one).
  const today = Math.floor(Date.now() / 86_400_000);
  for (let d = today - 60; d < today; d++) {
    for (const [flag, variant] of [["new_dashboard", "on"], ["search_indexing", "off"]]) {
      await env.w.db.prepare("INSERT INTO flag_usage (flag, variant, day, count, last_at) VALUES (?, ?, ?, 10, ?)").bind(flag, variant, d, d * 86_400_000 + 1000).run();
    }
  }
});
after(() => env?.close());

describe("serving", () => {
  test("/ redirects to the app; every dashboard answer has the CSP and the other headers", async () => {
    const r = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/app/");
    const html = await fetch(`${base}/app/`);
    assert.equal(html.status, 200);
    const text = await html.text();
    assert.match(text, /<script type="module" crossorigin src="\/app\/assets\/index-[^"]+\.js"><\/script>/);
    assert.doesNotMatch(text, /<script>|<style|style=/, "no inline code");
    const js = /src="(\/app\/assets\/[^"]+\.js)"/.exec(text)[1];
    for (const res of [html, await fetch(`${base}${js}`), await fetch(`${base}/app/nope.txt`)]) {
      assert.equal(res.headers.get("content-security-policy"), CSP, res.url);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    }
    assert.equal((await fetch(`${base}/app/`, { method: "POST" })).status, 405);
    // The API and the example's route are untouched.
    assert.equal((await fetch(`${base}/v1/flags/new_dashboard`)).status, 401, "READ_KEY is set");
    // (No upstream listens there: the proxy's own 502 says it was routed.)
    const routed = await fetch(`${base}/api/orders/1`);
    assert.equal(routed.status, 502);
    assert.equal((await routed.json()).error.code, "UPSTREAM_UNAVAILABLE");
  });
});

describe("sign-in", () => {
  test("a wrong token is refused and nothing is stored", async () => {
    const page = await env.page();
    await page.goto(`${base}/`);
    await page.fill("#token", "not-a-token");
    await page.click("form#signin button[type=submit]");
    await page.waitForSelector("#signin-message .notice.error");
    assert.match(await page.textContent("#signin-message"), /refused/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.$("table.flags"), null);
    await shot(page, "signin");
    await page.context().close();
  });

  test("read-only with the read key: no write controls, no history or editor", async () => {
    const page = await env.page();
    await signIn(page, base, READ_KEY);
    assert.match(await page.textContent("#who"), /read-only/);
    const nav = await page.$$eval("#nav a", (as) => as.map((a) => a.textContent));
    assert.deepEqual(nav, ["Flags", "Experiments", "Rollouts", "Playground"]);
    // The client view: no server-only flag.
    assert.equal(await page.$('tr[data-flag="checkout_experiment"]'), null);
    await page.click('a.flag-key:text-is("new_search")');
    await page.waitForSelector("#sentences");
    for (const id of ["#enable", "#disable", "#kill", "#percentage"]) assert.equal(await page.$(id), null, id);
    await page.goto(`${base}/app/#/editor`);
    await page.waitForSelector("main h1");
    assert.equal(await page.textContent("main h1"), "Not found");
    // The token is in sessionStorage only, never in a URL.
    assert.doesNotMatch(page.url(), /test-read-key/);
    // No admin token here: no warning about the shared origin.
    assert.equal(await page.isVisible("#shared-origin"), false);
    // (The sign-in's probe of the management API is a 403 for a read key.)
    assert.deepEqual(page.problems.filter((p) => !p.startsWith("Failed to load resource")), []);
    await page.context().close();
  });
});

describe("as an admin", () => {
  let page;
  before(async () => {
    page = await env.page();
    await signIn(page, base);
  });
  after(() => page.context().close());

  test("the example's route shares the dashboard's origin: the admin is told, with the setting that fixes it", async () => {
    await page.waitForSelector("#shared-origin:not([hidden])");
    assert.match(await page.textContent("#shared-origin"), /Routed pages share this origin\..*DASHBOARD_HOST/);
  });

  test("the flags list shows every flag and filters", async () => {
    const all = await page.$$eval("table.flags tbody tr", (rs) => rs.map((r) => r.dataset.flag));
    const doc = (await api(env.w, "/v1/versions/current")).json;
    assert.deepEqual(all, Object.keys(doc.flags));
    const row = (k) => page.$eval(`tr[data-flag="${k}"]`, (r) => [...r.cells].map((c) => c.textContent));
    const killed = await row("search_indexing");
    assert.match(killed[2], /killed/);
    assert.match((await row("legacy_banner"))[6], /expired/);
    assert.match((await row("new_search"))[3], /20%/);
    assert.match((await row("new_checkout"))[4], /payments-team/);
    // Usage from the Worker's telemetry, with the core's cleanup finding.
    assert.match((await row("new_dashboard"))[7], /^\d+ last .*cleanup: served one variant \(on\) for 60 days: keep true/);
    assert.doesNotMatch((await row("search_indexing"))[7], /cleanup/, "ops flags are never candidates");
    await shot(page, "flags");
    await page.fill("#flag-search", "checkout");
    assert.deepEqual(await page.$$eval("table.flags tbody tr", (rs) => rs.map((r) => r.dataset.flag)), ["new_checkout", "checkout_experiment"]);
    await page.fill("#flag-search", "");
    await page.selectOption("#flag-state", "killed");
    assert.deepEqual(await page.$$eval("table.flags tbody tr", (rs) => rs.map((r) => r.dataset.flag)), ["search_indexing"]);
    await page.selectOption("#flag-state", "");
    await page.selectOption("#flag-tag", "ops");
    assert.deepEqual(await page.$$eval("table.flags tbody tr", (rs) => rs.map((r) => r.dataset.flag)), ["ai_recommendations", "search_indexing"]);
    await page.selectOption("#flag-tag", "");
    await page.check("#flag-stale");
    const staleRows = await page.$$eval("table.flags tbody tr", (rs) => rs.map((r) => r.dataset.flag));
    assert.ok(staleRows.includes("legacy_banner") && staleRows.includes("new_dashboard"), String(staleRows));
    await page.uncheck("#flag-stale");
  });

  test("a flag's page: sentences; enable, kill with the typed key, a percentage, as /v1/flags answers", async () => {
    await page.click('a.flag-key:text-is("new_search")');
    await page.waitForSelector("#sentences");
    assert.match(await page.textContent("#sentences"), /Then, for everyone: 20% of units by user_id get "on", the rest "off"/);
    // A percentage.
    await page.fill("#percentage", "100");
    await page.click("#percentage-form button[type=submit]");
    await page.waitForSelector("#action-result .notice.ok");
    let doc = (await api(env.w, "/v1/versions/current")).json;
    assert.equal(doc.flags.new_search.percentage, 100);
    let r = await api(env.w, "/v1/flags/new_search?user_id=user:77", { token: READ_KEY });
    assert.equal(r.json.value, true);
    // Kill: the confirm button stays disabled until the key is typed.
    await page.click("#kill");
    await page.waitForSelector("dialog.confirm[open]");
    await shot(page, "kill-confirm");
    assert.equal(await page.isDisabled("#confirm-ok"), true);
    await page.fill("#confirm-typed", "new_searc");
    assert.equal(await page.isDisabled("#confirm-ok"), true);
    await page.fill("#confirm-typed", "new_search");
    assert.equal(await page.isDisabled("#confirm-ok"), false);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#unkill");
    r = await api(env.w, "/v1/flags/new_search?user_id=user:77", { token: READ_KEY });
    assert.deepEqual([r.json.value, r.json.reason], [false, "DISABLED"]);
    assert.match(await page.textContent("h1 .state"), /killed/);
    await shot(page, "flag");
    await page.click("#unkill");
    await page.waitForSelector("#kill");
    r = await api(env.w, "/v1/flags/new_search?user_id=user:77", { token: READ_KEY });
    assert.equal(r.json.value, true);
    // Cancelling the kill dialog changes nothing.
    const v = (await api(env.w, "/v1/versions")).json.current;
    await page.click("#kill");
    await page.click("#confirm-cancel");
    assert.equal((await api(env.w, "/v1/versions")).json.current, v);
    // Enable on a flag that is off.
    await page.goto(`${base}/app/#/flag/maintenance`);
    await page.waitForSelector("#enable");
    await page.click("#enable");
    await page.waitForSelector("#action-result .notice.ok");
    r = await api(env.w, "/v1/flags/maintenance", { token: READ_KEY });
    assert.equal(r.json.value, true);
    doc = (await api(env.w, "/v1/versions/current")).json;
    assert.equal(doc.flags.maintenance.enabled, true);
  });

  test("history: diff of two versions, rollback with confirmation, the audit log", async () => {
    await page.click('#nav a:text-is("History")');
    await page.waitForSelector("table.versions");
    const current = (await api(env.w, "/v1/versions")).json.current;
    await page.selectOption("#diff-a", "1");
    await page.selectOption("#diff-b", String(current));
    await page.click("#diff-form button[type=submit]");
    await page.waitForSelector("#diff-out #preview");
    const diffText = await page.textContent("#diff-out");
    assert.match(diffText, /maintenance/);
    assert.match(diffText, /new_search/);
    // The same diff the core gives, through the preview endpoint.
    const [d1, dn] = await Promise.all([api(env.w, "/v1/versions/1"), api(env.w, `/v1/versions/${current}`)]);
    const p = await api(env.w, "/v1/ruleset/preview", { method: "POST", body: { ruleset: dn.json, before: d1.json } });
    const keys = await page.$$eval("#diff-out .diff-items > li", (ls) => ls.map((l) => l.dataset.key));
    assert.deepEqual(keys, p.json.diff.flags.map((f) => f.key));
    await shot(page, "history");
    // Audit: who and what.
    const row = await page.textContent(`tr[data-version="2"]`);
    assert.match(row, /admin/);
    assert.match(row, /edit new_search/);
    // Rollback to version 1, confirmed.
    await page.click(`tr[data-version="1"] button.rollback`);
    await page.waitForSelector("dialog.confirm[open]");
    await page.click("#confirm-ok");
    await page.waitForSelector("#history-result .notice.ok");
    const now = (await api(env.w, "/v1/versions")).json;
    assert.equal(now.current, current + 1);
    const audit = (await api(env.w, "/v1/audit?limit=1000")).json.entries.at(-1);
    assert.deepEqual([audit.action, audit.restored], ["rollback", 1]);
    const r = await api(env.w, "/v1/flags/maintenance", { token: READ_KEY });
    assert.equal(r.json.value, false);
  });

  test("the editor: the engine's problems inline and nothing published; preview; publish", async () => {
    await page.click('#nav a:text-is("Editor")');
    await page.waitForSelector("#valid");
    // The field guide follows the cursor, from the ruleset's JSON Schema.
    await page.evaluate(() => {
      const a = document.querySelector("#json");
      const i = a.value.indexOf('"new_search": {') + 16;
      a.focus();
      a.setSelectionRange(i, i);
      a.dispatchEvent(new Event("keyup"));
    });
    assert.match(await page.textContent("#guide summary"), /flags › new_search/);
    const fields = await page.$$eval("#guide dt", (ds) => ds.map((d) => d.textContent));
    for (const f of ["percentage", "killed", "rules", "variants", "rollout"]) assert.ok(fields.includes(f), f);
    const v0 = (await api(env.w, "/v1/versions")).json.current;
    const doc = JSON.parse(await page.inputValue("#json"));
    doc.flags.new_search = { percentage: 150 };
    doc.flags.dark_mode = { variants: { on: true }, default_variant: "nope" };
    await page.fill("#json", JSON.stringify(doc, null, 2));
    await page.waitForSelector("#problems .problems li");
    const problems = await page.$$eval("#problems .problems button.path", (bs) => bs.map((b) => b.textContent));
    // The engine's own paths, as the package reports them.
    assert.ok(problems.includes("flags.new_search.percentage"), problems.join());
    assert.ok(problems.some((p) => p.startsWith("flags.dark_mode")), problems.join());
    assert.equal(await page.isDisabled("#publish"), true);
    await shot(page, "editor-problems");
    assert.equal((await api(env.w, "/v1/versions")).json.current, v0, "nothing published");
    // A valid change: preview, then publish.
    doc.flags.new_search = { percentage: 60 };
    doc.flags.dark_mode = { users: ["user:1", "user:42"] };
    await page.fill("#json", JSON.stringify(doc, null, 2));
    await page.waitForSelector("#valid");
    await page.click("#preview");
    await page.waitForSelector("#preview-out #blast");
    assert.match(await page.textContent("#preview-out"), /new_search/);
    const blast = await page.textContent('#blast tr[data-flag="new_search"]');
    assert.match(blast, /off → on/);
    await shot(page, "editor-preview");
    await page.click("#publish");
    await page.waitForSelector("dialog.confirm[open]");
    await page.click("#confirm-ok");
    await page.waitForSelector("#editor-result .notice.ok");
    const cur = (await api(env.w, "/v1/versions/current")).json;
    assert.equal(cur.version, v0 + 1);
    assert.equal(cur.flags.new_search.percentage, 60);
  });

  test("the Worker unreachable: a clear banner, the editor's text kept", async () => {
    await page.click('#nav a:text-is("Editor")');
    await page.waitForSelector("#json");
    const doc = JSON.parse(await page.inputValue("#json"));
    doc.flags.maintenance = true;
    const text = JSON.stringify(doc, null, 2);
    await page.fill("#json", text);
    await page.waitForSelector("#valid");
    // Every API request fails on the network, as when the Worker is down.
    await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
    await page.click("#publish");
    await page.waitForSelector("#banner:not([hidden])");
    assert.match(await page.textContent("#banner"), /cannot be reached/);
    assert.equal(await page.inputValue("#json"), text);
    await shot(page, "unreachable");
    // Away and back: the draft is still there.
    await page.click('#nav a:text-is("Flags")');
    await page.waitForSelector("main .notice.error, main h1");
    await page.unroute("**/v1/**");
    await page.click('#nav a:text-is("Editor")');
    await page.waitForSelector("#json");
    assert.equal(await page.inputValue("#json"), text);
    // The next request that gets through clears the banner.
    await page.click('#nav a:text-is("Flags")');
    await page.waitForSelector("table.flags");
    assert.equal(await page.isHidden("#banner"), true);
    assert.deepEqual(page.problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED|net::/.test(p)), []);
  });
});

describe("dead letters", () => {
  test("an admin sees events that failed every retry and replays them; they reach D1 once", async () => {
    const day = Math.floor(Date.now() / 86_400_000);
    const body = JSON.stringify({ v: 1, id: "dash-dead-1/0", usage: [{ flag: "new_search", variant: "on", day, count: 5, last_at: Date.now() }] });
    await env.w.kv.put(`dead-letters/${String(Date.now()).padStart(13, "0")}-dash1`, body, { metadata: { at: Date.now(), kind: "usage", items: 1 } });
    const sum = async () => (await env.w.db.prepare("SELECT TOTAL(count) AS n FROM flag_usage WHERE flag = 'new_search' AND variant = 'on' AND day = ?").bind(day).first()).n;
    const before = await sum();
    const page = await env.page();
    await signIn(page, base);
    await page.waitForSelector("#dead-letters:not([hidden])");
    assert.match(await page.textContent("#dead-letters"), /1 event message could not be stored/);
    await page.click("#dead-letters-replay");
    await page.waitForFunction(() => /Replayed 1; 0 left\./.test(document.getElementById("dead-letters-text")?.textContent ?? ""));
    const deadline = Date.now() + 15_000;
    while ((await sum()) !== before + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await sum(), before + 5);
    // Gone from the list; the next page no longer shows the notice.
    assert.equal((await api(env.w, "/v1/events/dead-letters")).json.count, 0);
    await page.click('#nav a:text-is("Rollouts")');
    await page.waitForSelector("#dead-letters", { state: "hidden" });
    await page.context().close();
  });
});

describe("a Worker that stops", () => {
  test("the banner says so and the editor keeps the draft", async () => {
    // Its own Worker, stopped for real while the page is open.
    const w = await startWorker({}, { listen: true, cf: NO_CF });
    assert.equal((await putRuleset(w, exampleText())).status, 200);
    const origin = w.url.replace(/\/$/, "");
    const page = await env.page();
    try {
      await signIn(page, origin, ADMIN);
      await page.goto(`${origin}/app/#/editor`);
      await page.waitForSelector("#valid");
      const text = (await page.inputValue("#json")).replace('"new_dashboard": true', '"new_dashboard": false');
      await page.fill("#json", text);
      await page.waitForSelector("#valid");
      await w.close();
      await page.click("#preview");
      await page.waitForSelector("#banner:not([hidden])");
      assert.match(await page.textContent("#banner"), /cannot be reached/);
      assert.match(await page.textContent("#preview-out"), /Preview failed/);
      assert.equal(await page.inputValue("#json"), text);
    } finally {
      await page.context().close();
    }
  });
});
