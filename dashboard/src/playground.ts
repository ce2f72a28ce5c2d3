// The playground: a context in, every flag's value, variant, reason and
// matched rule out, evaluated in the page by the npm package (the same
// engine as the Worker), with the Worker's own answers beside them on
// request.

import { call, describe } from './api';
import { h, notice, put } from './dom';
import { check } from './engine';
import { loadDoc } from './model';

const saved = { text: '{\n  "user_id": "user:42",\n  "plan": "pro",\n  "country": "US"\n}' };

interface Result {
  value: unknown;
  variant: string | null;
  reason: string;
  ruleId?: string;
  errorCode?: string;
}

const same = (a: Result, b: Result) =>
  JSON.stringify([a.value, a.variant, a.reason, a.ruleId ?? null]) === JSON.stringify([b.value, b.variant, b.reason, b.ruleId ?? null]);

export async function playgroundPage(root: HTMLElement): Promise<void> {
  const loaded = await loadDoc();
  const { flags, problems } = await check(loaded.doc);
  if (!flags) throw new Error(`the current ruleset does not load in the page: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const area = h('textarea', { id: 'context', spellcheck: 'false', rows: 8, 'aria-label': 'Context (JSON object)' });
  area.value = saved.text;
  const msg = h('div', { id: 'playground-message', 'aria-live': 'polite' });
  const body = h('tbody');
  let local: Record<string, Result> = {};

  const run = () => {
    saved.text = area.value;
    let ctx: unknown;
    try {
      ctx = JSON.parse(area.value);
      if (typeof ctx !== 'object' || ctx === null || Array.isArray(ctx)) throw new Error('the context must be a JSON object');
    } catch (e) {
      notice(msg, `Not a context: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    put(msg);
    try {
      const prepared = flags.context(ctx as never);
      local = Object.fromEntries(flags.keys().map((k) => [k, flags.evaluate(k, prepared) as Result]));
    } catch (e) {
      notice(msg, describe(e), 'error');
      return;
    }
    put(body, Object.entries(local).map(([k, r]) => h('tr', { 'data-flag': k },
      h('th', { scope: 'row', 'data-label': 'Flag' }, k),
      h('td', { 'data-label': 'Value', class: 'value' }, h('code', {}, JSON.stringify(r.value))),
      h('td', { 'data-label': 'Variant', class: 'variant' }, r.variant ?? '—'),
      h('td', { 'data-label': 'Reason', class: 'reason' }, r.reason),
      h('td', { 'data-label': 'Rule', class: 'rule' }, r.ruleId ?? '—'),
      h('td', { 'data-label': 'Worker', class: 'worker' }, ''))));
  };
  const ask = async () => {
    run();
    let ctx: unknown;
    try {
      ctx = JSON.parse(area.value);
    } catch {
      return;
    }
    try {
      const a = await call<{ version: number; flags: Record<string, Result> }>('/v1/flags', { method: 'POST', body: { context: ctx } });
      let differ = 0;
      for (const tr of body.querySelectorAll('tr')) {
        const k = tr.getAttribute('data-flag') ?? '';
        const w = a.data.flags[k];
        const cell = tr.querySelector('.worker') as HTMLElement;
        const ok = w !== undefined && same(local[k], w);
        if (!ok) differ++;
        cell.className = `worker ${ok ? 'same' : 'differs'}`;
        put(cell, ok ? 'same' : `differs: ${w ? `${JSON.stringify(w.value)} ${w.variant} ${w.reason}` : 'not served'}`);
      }
      notice(msg, differ === 0 ? `The Worker (version ${a.data.version}) gives the same answers.` : `${differ} answers differ from the Worker's (version ${a.data.version}): it also fills attributes from the request (request.cf, cookies).`, differ ? 'error' : 'ok');
    } catch (e) {
      notice(msg, `The Worker's answers: ${describe(e)}`, 'error');
    }
  };
  area.addEventListener('input', run);
  put(root,
    h('h1', {}, 'Playground ', h('small', {}, `version ${loaded.version}`)),
    h('p', { class: 'muted' }, loaded.full
      ? 'Evaluated in this page by the npm package (the engine compiled to wasm) on the full document.'
      : 'Evaluated in this page by the npm package on the client view (what browsers get).'),
    h('label', { for: 'context' }, 'Context'), area,
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'ask-worker', onclick: () => void ask() }, 'Compare with the Worker')),
    msg,
    h('table', { class: 'results', id: 'results' },
      h('thead', {}, h('tr', {}, ['Flag', 'Value', 'Variant', 'Reason', 'Rule', 'Worker'].map((t) => h('th', { scope: 'col' }, t)))), body));
  run();
}
