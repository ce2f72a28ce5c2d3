// Guarded rollouts: each plan's steps as a timeline, the guards' figures
// over time (from the decision log, as the guard computed them), the log
// itself, and pause, resume and abort.

import { call, describe, session } from './api';
import { confirmDialog, h, link, notice, put } from './dom';
import { lineChart, type Series } from './charts';
import { isObj, loadRollouts, type Decision, type Json, type Rollout } from './model';

const time = (at: unknown) => (typeof at === 'number' ? at : Date.parse(String(at)));

function timeline(r: Rollout): HTMLElement {
  const done = r.status === 'done';
  return h('ol', { class: 'timeline', 'aria-label': `${r.flag} steps` }, r.steps.map((s) => {
    const cls = done || s < r.percentage ? 'past' : s === r.percentage && r.status !== 'rolled_back' ? 'now' : 'next';
    return h('li', { class: cls, 'aria-current': cls === 'now' ? 'step' : undefined }, `${s}%`);
  }));
}

function charts(decisions: Decision[]): Element[] {
  const byGuard = new Map<number, { metric: string; unit: string; limit: number | null; t: Series; c: Series }>();
  for (const d of decisions.slice().reverse()) {
    const figs = Array.isArray(d.decision.figures) ? d.decision.figures : [];
    for (const f of figs) {
      if (!isObj(f) || typeof f.guard !== 'number') continue;
      const metric = f.metric === 'custom'
        ? `${String(f.name)} (mean, ${String(f.bound)})`
        : String(f.metric) + (typeof f.percentile === 'number' ? ` p${f.percentile}` : '');
      const unit = String(f.metric).startsWith('latency') ? ' ms' : '';
      let g = byGuard.get(f.guard);
      if (!g) {
        g = { metric, unit, limit: null, t: { name: 'treatment', cls: 'treatment', points: [] }, c: { name: 'control', cls: 'control', points: [] } };
        byGuard.set(f.guard, g);
      }
      const t = time(d.at);
      if (typeof f.treatment === 'number') g.t.points.push({ t, v: f.treatment });
      if (typeof f.control === 'number') g.c.points.push({ t, v: f.control });
      if (typeof f.limit === 'number') g.limit = f.limit;
    }
  }
  return [...byGuard.entries()].map(([i, g]) => lineChart([g.t, g.c], `Guard ${i}: ${g.metric}`, g.limit, g.unit));
}

function reasonText(d: Json): string {
  if (!isObj(d)) return '';
  const bits = [String(d.action)];
  if (d.from !== undefined || d.to !== undefined) bits.push(`${d.from ?? ''} → ${d.to ?? ''}%`);
  if (d.reason !== undefined) bits.push(`(${typeof d.reason === 'string' ? d.reason : JSON.stringify(d.reason)})`);
  if (typeof d.guard === 'number') bits.push(`guard ${d.guard} breached`);
  return bits.join(' ');
}

async function plan(r: Rollout, refresh: () => Promise<void>): Promise<HTMLElement> {
  const log = await call<{ decisions: Decision[] }>(`/v1/rollouts/${encodeURIComponent(r.flag)}/decisions?limit=200`);
  const decisions = log.data.decisions;
  const out = h('div', { class: 'rollout-result', 'aria-live': 'polite' });
  const act = async (what: 'pause' | 'resume' | 'abort') => {
    if (what === 'abort') {
      const ok = await confirmDialog({ title: `Abort the rollout of ${r.flag}?`, confirm: 'Abort', danger: true,
        body: [h('p', {}, 'The percentage goes to 0 now (status rolled_back).')] });
      if (!ok) return;
    }
    try {
      const a = await call<{ version: number }>(`/v1/flags/${encodeURIComponent(r.flag)}/rollout/${what}`, { method: 'POST' });
      await refresh();
      const el = document.querySelector(`section.rollout[data-flag="${CSS.escape(r.flag)}"] .rollout-result`);
      if (el) notice(el, `${what}: version ${a.data.version}.`);
    } catch (e) {
      notice(out, `${what} failed: ${describe(e)}`, 'error');
    }
  };
  const admin = session.role === 'admin';
  return h('section', { class: 'rollout', 'data-flag': r.flag },
    h('h2', {}, link(['flag', r.flag], r.flag), ' ', h('span', { class: `badge ${r.status}` }, r.status), ' ', h('span', { class: 'pct' }, `${r.percentage}%`),
      typeof r.rule === 'string' ? h('small', { class: 'muted' }, ` on rule ${r.rule}`) : null),
    timeline(r),
    h('p', { class: 'muted' }, r.since ? `Step since ${r.since}` : 'Not started', r.next !== null && r.next !== undefined ? `; next step ${r.next}%` : ''),
    admin ? h('div', { class: 'row' },
      h('button', { type: 'button', class: 'pause', disabled: r.status !== 'running', onclick: () => void act('pause') }, 'Pause'),
      h('button', { type: 'button', class: 'resume', disabled: r.status === 'running' || r.status === 'done', onclick: () => void act('resume') }, 'Resume'),
      h('button', { type: 'button', class: 'abort danger', disabled: r.status === 'rolled_back', onclick: () => void act('abort') }, 'Abort…')) : null,
    out,
    h('h3', {}, 'Guards over time'), charts(decisions),
    h('h3', {}, 'Decision log'),
    decisions.length ? h('div', { class: 'scroll' }, h('table', { class: 'decisions' },
      h('thead', {}, h('tr', {}, ['When', 'Decision', 'Applied', 'Version'].map((t) => h('th', {}, t)))),
      h('tbody', {}, decisions.map((d) => h('tr', {},
        h('td', {}, new Date(time(d.at)).toISOString()),
        h('td', { class: 'decision' }, reasonText(d.decision)),
        h('td', {}, d.applied ? 'yes' : 'no'),
        h('td', {}, d.version === null ? '—' : `v${d.version}`))))))
      : h('p', { class: 'muted' }, 'No decision yet: the guard runs every minute.'));
}

export async function rolloutsPage(root: HTMLElement, parts: string[]): Promise<void> {
  const all = await loadRollouts();
  const list = parts[0] ? all.filter((r) => r.flag === parts[0]) : all;
  // Renders this page again in place (each action's outcome is in the new log).
  const refresh = () => rolloutsPage(root, parts);
  const sections = await Promise.all(list.map((r) => plan(r, refresh)));
  put(root, h('h1', {}, 'Rollouts'), parts[0] ? h('p', {}, link(['rollouts'], '← All rollouts')) : null,
    sections.length ? sections : h('p', { class: 'muted' }, 'No guarded rollout in the current ruleset.'));
}
