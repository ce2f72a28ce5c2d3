// Shared set-up for the dashboard's end-to-end tests: the built Worker
// (with the dashboard's static files, wrangler.toml [assets]) in workerd,
// listening on 127.0.0.1, seeded with the example ruleset through the
// API; Debian's headless Chromium through playwright-core, launched as
// tests/js/chromium.mjs does. Screenshots go to target/dashboard-screens/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "../js/chromium.mjs";
import { ADMIN, NO_CF, ROOT, exampleText, putRuleset, startWorker } from "../worker/helpers.mjs";

export { ADMIN, NO_CF, ROOT };
export const READ_KEY = "test-read-key";
export const SCREENS = join(ROOT, "target/dashboard-screens");

/** A Worker on a real port, seeded with the example (version 1), plus a
 * browser. `vars` adds settings; `doc` replaces the example. */
export async function start({ vars = {}, doc = exampleText() } = {}) {
  const w = await startWorker({ READ_KEY, ...vars }, { listen: true, cf: NO_CF });
  const r = await putRuleset(w, doc);
  if (r.status !== 200) throw new Error(`seeding: ${r.status} ${await r.text()}`);
  const browser = await launchChromium();
  mkdirSync(SCREENS, { recursive: true });
  return {
    w,
    browser,
    /** A fresh page (own storage) at the given width; console errors and CSP violations are collected. */
    async page(width = 1280, height = 900) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      page.problems = [];
      page.on("console", (m) => {
        if (m.type() === "error") page.problems.push(m.text());
      });
      page.on("pageerror", (e) => page.problems.push(String(e)));
      return page;
    },
    async close() {
      await browser.close();
      await w.close();
    },
  };
}

/** Opens the app and signs in with `token`; waits for the flags list. */
export async function signIn(page, base, token = ADMIN) {
  await page.goto(`${base}/`);
  await page.waitForSelector("#token");
  await page.fill("#token", token);
  await page.press("#token", "Enter");
  await page.waitForSelector("table.flags tbody tr");
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: false });
}

/** The API's answer, as JSON, with a token. */
export async function api(w, path, { token = ADMIN, method = "GET", body } = {}) {
  const res = await fetch(w.url.replace(/\/$/, "") + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}
