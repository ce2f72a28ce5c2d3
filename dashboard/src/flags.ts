// The flags list (search and filters) and a flag's page (its evaluation
// in sentences, variants, segments, prerequisites; enable, disable, kill,
// unkill, percentage).

import { call, describe, session } from './api';
import { confirmDialog, h, link, notice, pretty, put } from './dom';
import {
  cleanupWords, expand, flagType, isObj, lastChanges, loadAudit, loadDoc, loadRollouts, loadUsage, percentage,
  scheduleProgress, staleness, state, STATES, tags, variants, type AuditEntry, type Obj, type Rollout, type Usage,
} from './model';
import { sentences } from './sentences';

const filters = { q: '', state: '', tag: '', stale: false };

function badge(text: string, cls = text): HTMLElement {
  return h('span', { class: `badge ${cls.replace(/\s+/g, '-')}` }, text);
}

function progress(f: Obj, ro: Rollout | undefined): HTMLElement | null {
  const p = ro ? ro.percentage : percentage(f);
  const sched = isObj(f.schedule) ? scheduleProgress(f.schedule) : null;
  if (p === null && !sched) return null;
  const share = p !== null ? p / 100 : sched ? sched.share : 0;
  const label = p !== null ? `${p}%` : sched ? sched.label : '';
  return h('span', { class: 'progress' },
    h('meter', { min: 0, max: 1, value: share, 'aria-label': `rollout ${label}` }), ' ', label,
    ro ? h('small', {}, ` (${ro.status})`) : null);
}

function when(e: AuditEntry | undefined): HTMLElement | string {
  if (!e) return '—';
  return h('span', { title: e.time }, `v${e.version} ${e.action} by ${e.by}, ${new Date(e.time).toLocaleString()}`);
}

export async function flagsPage(root: HTMLElement): Promise<void> {
  const admin = session.role === 'admin';
  const [loaded, audit, rollouts, usage] = await Promise.all([
    loadDoc(),
    admin ? loadAudit() : Promise.resolve([] as AuditEntry[]),
    loadRollouts().catch(() => [] as Rollout[]),
    loadUsage().catch(() => [] as Usage[]),
  ]);
  const changes = lastChanges(audit);
  const byFlag = new Map(rollouts.map((r) => [r.flag, r]));
  const used = new Map(usage.map((u) => [u.flag, u]));
  const rows = Object.entries(loaded.doc.flags).map(([key, raw]) => {
    const f = expand(raw);
    const u = used.get(key);
    const stale = staleness(f) ?? (u?.cleanup ? 'cleanup' : null);
    return { key, f, state: state(f), tags: tags(f), stale, ro: byFlag.get(key), change: changes.get(key), u };
  });
  const allTags = [...new Set(rows.flatMap((r) => r.tags))].sort();

  const q = h('input', { type: 'search', id: 'flag-search', placeholder: 'key, owner, tag, description', value: filters.q, 'aria-label': 'Search flags' });
  const st = h('select', { id: 'flag-state', 'aria-label': 'State' }, h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)));
  const tg = h('select', { id: 'flag-tag', 'aria-label': 'Tag' }, h('option', { value: '' }, 'any tag'),
    allTags.map((t) => h('option', { value: t, selected: filters.tag === t }, t)));
  const stale = h('input', { type: 'checkbox', id: 'flag-stale', checked: filters.stale });
  const count = h('p', { class: 'count', 'aria-live': 'polite', id: 'flag-count' });
  const body = h('tbody');

  const draw = () => {
    filters.q = q.value.trim().toLowerCase();
    filters.state = st.value;
    filters.tag = tg.value;
    filters.stale = stale.checked;
    const shown = rows.filter((r) => {
      if (filters.state && r.state !== filters.state) return false;
      if (filters.tag && !r.tags.includes(filters.tag)) return false;
      if (filters.stale && !r.stale) return false;
      if (!filters.q) return true;
      const hay = [r.key, String(r.f.owner ?? ''), String(r.f.description ?? ''), ...r.tags].join(' ').toLowerCase();
      return hay.includes(filters.q);
    });
    put(count, `${shown.length} of ${rows.length} flags`);
    put(body, shown.map((r) => h('tr', { 'data-flag': r.key },
      h('td', { 'data-label': 'Flag' }, link(['flag', r.key], r.key, { class: 'flag-key' }),
        r.f.client === false ? h('small', { class: 'muted' }, ' server-only') : null),
      h('td', { 'data-label': 'Type' }, flagType(r.f)),
      h('td', { 'data-label': 'State', class: 'state' }, badge(r.state)),
      h('td', { 'data-label': 'Rollout' }, progress(r.f, r.ro) ?? '—'),
      h('td', { 'data-label': 'Owner' }, String(r.f.owner ?? '—')),
      h('td', { 'data-label': 'Tags' }, r.tags.length ? r.tags.map((t) => badge(t, 'tag')) : '—'),
      h('td', { 'data-label': 'Expires' }, r.f.expires ? String(r.f.expires) : '—', r.stale ? [' ', badge(r.stale, 'stale')] : null),
      h('td', { 'data-label': 'Usage (30 d)', class: 'usage' }, usageCell(r.u)),
      h('td', { 'data-label': 'Last change' }, when(r.change)))));
  };
  for (const el of [q, st, tg, stale]) el.addEventListener('input', draw);
  draw();
  put(root,
    h('h1', {}, 'Flags ', h('small', {}, `version ${loaded.version}`)),
    loaded.full ? null : h('p', { class: 'muted' }, 'Read-only: this is the client view (what browsers load): server-only flags and metadata such as owners are not in it.'),
    h('div', { class: 'filters', role: 'search' }, q, st, tg, h('label', {}, stale, ' stale: expired, expiring or a cleanup candidate')),
    count,
    h('table', { class: 'flags' },
      h('thead', {}, h('tr', {}, ['Flag', 'Type', 'State', 'Rollout', 'Owner', 'Tags', 'Expires', 'Usage (30 d)', 'Last change'].map((t) => h('th', { scope: 'col' }, t)))),
      body));
}

/** Evaluations over 30 days, the last one, and a cleanup finding. */
function usageCell(u: Usage | undefined): (HTMLElement | string)[] | string {
  if (!u) return '—';
  const last = u.last_evaluated ? h('span', { title: u.last_evaluated }, `last ${new Date(u.last_evaluated).toLocaleDateString()}`) : 'never evaluated';
  return [`${u.evaluations} `, last, u.cleanup ? [' ', badge(`cleanup: ${cleanupWords(u.cleanup)}`, 'cleanup')] : ''].flat();
}

export async function flagPage(root: HTMLElement, parts: string[]): Promise<void> {
  const key = parts[0] ?? '';
  const admin = session.role === 'admin';
  const [loaded, audit, usage] = await Promise.all([
    loadDoc(),
    admin ? loadAudit() : Promise.resolve([] as AuditEntry[]),
    loadUsage().catch(() => [] as Usage[]),
  ]);
  const u = usage.find((x) => x.flag === key);
  const raw = loaded.doc.flags[key];
  if (raw === undefined) {
    put(root, h('h1', {}, key), h('p', { class: 'notice error' }, 'This flag is not in the current version.'), link(['flags'], 'All flags'));
    return;
  }
  const f = expand(raw);
  const st = state(f);
  const out = h('div', { id: 'action-result', 'aria-live': 'polite' });
  const act = async (label: string, path: string, init: { method: string; body?: unknown }) => {
    try {
      const a = await call<{ version: number }>(path, init);
      notice(out, `${label}: version ${a.data.version} published.`);
      await flagPage(root, parts);
      root.querySelector('#action-result')?.replaceWith(out);
    } catch (e) {
      notice(out, `${label} failed: ${describe(e)}`, 'error');
    }
  };
  const enc = encodeURIComponent(key);
  const pctInput = h('input', { type: 'number', id: 'percentage', min: 0, max: 100, step: 'any', value: percentage(f) ?? '', 'aria-label': 'Rollout percentage' });
  const actions = admin ? h('section', { class: 'actions', 'aria-label': 'Actions' },
    h('button', { type: 'button', id: 'enable', onclick: () => act('Enabled', `/v1/flags/${enc}/enable`, { method: 'POST' }) }, 'Enable'),
    h('button', { type: 'button', id: 'disable', onclick: () => act('Disabled', `/v1/flags/${enc}/disable`, { method: 'POST' }) }, 'Disable'),
    f.killed === true
      ? h('button', { type: 'button', id: 'unkill', onclick: () => act('Unkilled', `/v1/flags/${enc}/unkill`, { method: 'POST' }) }, 'Unkill')
      : h('button', { type: 'button', id: 'kill', class: 'danger', onclick: async () => {
          const ok = await confirmDialog({ title: `Kill ${key}?`, danger: true, typed: key, confirm: 'Kill',
            body: [h('p', {}, 'Everyone will be served the off variant, in production, within about a minute.')] });
          if (ok) await act('Killed', `/v1/flags/${enc}/kill`, { method: 'POST' });
        } }, 'Kill…'),
    f.split === undefined ? h('form', { class: 'inline', id: 'percentage-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const n = Number(pctInput.value);
      void act(`Percentage ${n}%`, `/v1/flags/${enc}`, { method: 'PATCH', body: { percentage: n } });
    } }, h('label', { for: 'percentage' }, 'Rollout %'), pctInput, h('button', { type: 'submit' }, 'Set')) : null,
    link(['editor', key], 'Edit JSON…', { class: 'button' }),
  ) : null;
  const vs = variants(f);
  const segNames = new Set<string>();
  for (const r of Array.isArray(f.rules) ? f.rules : []) {
    if (!isObj(r) || !Array.isArray(r.conditions)) continue;
    for (const c of r.conditions) {
      if (isObj(c) && (c.op === 'in_segment' || c.op === 'not_in_segment')) {
        for (const n of Array.isArray(c.values) ? c.values : [c.value]) if (typeof n === 'string') segNames.add(n);
      }
    }
  }
  const segs = loaded.doc.segments ?? {};
  const history = audit.filter((e) => e.flag === key).reverse().slice(0, 10);
  put(root,
    h('p', {}, link(['flags'], '← All flags')),
    h('h1', {}, key, ' ', h('span', { class: 'state' }, badge(st))),
    f.description ? h('p', {}, String(f.description)) : null,
    h('dl', { class: 'meta' },
      h('dt', {}, 'Type'), h('dd', {}, flagType(f)),
      h('dt', {}, 'Owner'), h('dd', {}, String(f.owner ?? '—')),
      h('dt', {}, 'Tags'), h('dd', {}, tags(f).join(', ') || '—'),
      h('dt', {}, 'Expires'), h('dd', {}, String(f.expires ?? '—')),
      h('dt', {}, 'Percentage'), h('dd', {}, percentage(f) === null ? '—' : `${percentage(f)}%`),
      h('dt', {}, 'Version'), h('dd', {}, String(loaded.version))),
    actions, out,
    h('h2', {}, 'How it evaluates'),
    h('ol', { class: 'sentences', id: 'sentences' }, sentences(raw).map((s) => h('li', {}, s))),
    h('h2', {}, 'Variants'),
    h('table', { class: 'variants' }, h('tbody', {}, Object.entries(vs).map(([name, v]) =>
      h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, h('pre', {}, pretty(v))))))),
    Array.isArray(f.prerequisites) && f.prerequisites.length ? [h('h2', {}, 'Prerequisites'),
      h('ul', {}, f.prerequisites.map((p) => h('li', {}, isObj(p) ? link(['flag', String(p.flag)], String(p.flag)) : '?', ' ', isObj(p) ? `serves ${Array.isArray(p.variants) ? p.variants.join(' or ') : p.variant ?? 'on'}` : '')))] : null,
    segNames.size ? [h('h2', {}, 'Segments'), h('dl', {}, [...segNames].flatMap((n) => [h('dt', {}, n), h('dd', {}, h('pre', {}, pretty(segs[n] ?? 'not defined')))]))] : null,
    u ? [h('h2', {}, 'Usage'), h('p', { id: 'usage' },
      `${u.evaluations} evaluations at the edge in 30 days`,
      Object.keys(u.variants).length ? ` (${Object.entries(u.variants).map(([v, n]) => `${v}: ${n}`).join(', ')})` : '',
      u.last_evaluated ? `; last ${u.last_evaluated}.` : '; never evaluated.',
      u.cleanup ? [' ', badge(`cleanup candidate: ${cleanupWords(u.cleanup)}`, 'cleanup')] : '')] : null,
    isObj(f.experiment) ? h('p', {}, link(['experiments', key], 'Experiment results →')) : null,
    isObj(f.rollout) ? h('p', {}, link(['rollouts', key], 'Guarded rollout →')) : null,
    admin ? [h('h2', {}, 'Recent changes'), history.length
      ? h('ul', {}, history.map((e) => h('li', {}, `v${e.version} ${e.action} by ${e.by} at ${e.time} `, h('code', {}, JSON.stringify(e.edits ?? e.decision ?? '')))))
      : h('p', { class: 'muted' }, 'No change names this flag.')] : null,
    h('details', {}, h('summary', {}, 'Document'), h('pre', {}, pretty(raw))));
}
