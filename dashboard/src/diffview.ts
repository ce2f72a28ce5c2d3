// Renders the Worker's preview answer (POST /v1/ruleset/preview): the
// core's semantic diff and blast radius, as they come; the page adds no
// judgement of its own.

import { call } from './api';
import { h, pretty } from './dom';
import { isObj, type Json, type Obj } from './model';

export interface Preview {
  valid: boolean;
  problems: { path: string; message: string }[];
  against: number | string | null;
  diff: { ruleset: Obj[]; flags: Obj[]; segments: Obj[]; routes: Obj[] };
  blastRadius: { source: string; contexts: number; flags: { key: string; changed: number; transitions: { from: string | null; to: string | null; count: number }[] }[] } | null;
}

export async function preview(ruleset: Json, before?: Json, sample = 1000): Promise<Preview> {
  const body: Obj = { ruleset, sample };
  if (before !== undefined) body.before = before;
  return (await call<Preview>('/v1/ruleset/preview', { method: 'POST', body })).data;
}

const short = (v: Json | undefined): string => {
  const t = JSON.stringify(v ?? null);
  return t.length > 120 ? t.slice(0, 117) + '…' : t;
};

function change(c: Obj): HTMLElement {
  const field = h('code', {}, String(c.field ?? ''));
  switch (c.change) {
    case 'added':
      return h('li', { class: 'add' }, field, ' added: ', short(c.after));
    case 'removed':
      return h('li', { class: 'del' }, field, ' removed: ', short(c.before));
    case 'changed':
      return h('li', { class: 'chg' }, field, ': ', h('del', {}, short(c.before)), ' → ', h('ins', {}, short(c.after)));
    case 'members':
      return h('li', { class: 'chg' }, field, ': ',
        Array.isArray(c.added) && c.added.length ? h('ins', {}, `+ ${c.added.map((x) => short(x)).join(', ')}`) : null, ' ',
        Array.isArray(c.removed) && c.removed.length ? h('del', {}, `− ${c.removed.map((x) => short(x)).join(', ')}`) : null);
    case 'order':
      return h('li', { class: 'chg' }, field, ' order: ', short(c.before), ' → ', short(c.after));
    default:
      return h('li', {}, field, ' ', short(c));
  }
}

function items(title: string, xs: Obj[]): HTMLElement | null {
  if (!xs.length) return null;
  return h('section', {}, h('h3', {}, title), h('ul', { class: 'diff-items' }, xs.map((it) =>
    h('li', { 'data-key': String(it.key) }, h('strong', {}, String(it.key)), ' ', h('span', { class: `badge ${it.status}` }, String(it.status)),
      it.document !== undefined ? h('details', {}, h('summary', {}, 'document'), h('pre', {}, pretty(it.document))) : null,
      Array.isArray(it.changes) && it.changes.length ? h('ul', {}, it.changes.filter(isObj).map(change)) : null))));
}

/** The diff and the blast radius. */
export function renderPreview(p: Preview): HTMLElement {
  const d = p.diff;
  const empty = !d.ruleset.length && !d.flags.length && !d.segments.length && !d.routes.length;
  const br = p.blastRadius;
  const moved = br ? br.flags.filter((f) => f.changed > 0) : [];
  return h('div', { class: 'preview', id: 'preview' },
    h('h2', {}, 'Diff', typeof p.against === 'number' ? ` against version ${p.against}` : ''),
    empty ? h('p', { class: 'muted', id: 'no-diff' }, 'No difference in meaning.') : null,
    d.ruleset.length ? h('ul', {}, d.ruleset.map(change)) : null,
    items('Flags', d.flags), items('Segments', d.segments), items('Routes', d.routes),
    h('h2', {}, 'Blast radius'),
    br === null ? h('p', { class: 'muted' }, 'Not computed: one side does not load.')
      : h('div', { id: 'blast' },
          h('p', {}, `${moved.length} flag${moved.length === 1 ? '' : 's'} change for some of ${br.contexts} ${br.source === 'sample' ? 'sample units' : 'contexts'}.`),
          moved.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Flag'), h('th', {}, 'Contexts changing'), h('th', {}, 'From → to'))),
            h('tbody', {}, moved.map((f) => h('tr', { 'data-flag': f.key }, h('td', {}, f.key),
              h('td', { class: 'num' }, `${f.changed} (${((100 * f.changed) / Math.max(1, br.contexts)).toFixed(1)}%)`),
              h('td', {}, f.transitions.map((t) => `${t.from ?? '∅'} → ${t.to ?? '∅'}: ${t.count}`).join('; '))))))
            : null));
}
