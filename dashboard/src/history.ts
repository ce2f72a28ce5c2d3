// History: the stored versions, the core's diff between any two, rollback
// (confirmed), and the audit log with each change's diff.

import { call, describe } from './api';
import { confirmDialog, h, notice, put } from './dom';
import { loadAudit, type AuditEntry, type Json } from './model';
import { preview, renderPreview } from './diffview';

interface VersionRow {
  version: number;
  time: string;
  action: string;
  by: string;
}

async function versionDoc(n: number): Promise<Json> {
  return (await call<Json>(`/v1/versions/${n}`)).data;
}

async function allVersions(): Promise<{ current: number; versions: VersionRow[] }> {
  const out: VersionRow[] = [];
  let cursor: string | null = null;
  let current = 0;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const a = await call<{ current: number; versions: VersionRow[]; cursor: string | null }>(`/v1/versions?limit=1000${q}`);
    out.push(...a.data.versions);
    current = a.data.current;
    cursor = a.data.cursor;
  } while (cursor && out.length < 10000);
  return { current, versions: out };
}

export async function historyPage(root: HTMLElement): Promise<void> {
  const [{ current, versions }, audit] = await Promise.all([allVersions(), loadAudit()]);
  const out = h('div', { id: 'history-result', 'aria-live': 'polite' });
  const diffOut = h('div', { id: 'diff-out' });
  const options = () => versions.slice().reverse().map((v) => h('option', { value: v.version }, `v${v.version} · ${v.action} by ${v.by}`));
  const a = h('select', { id: 'diff-a', 'aria-label': 'From version' }, options());
  const b = h('select', { id: 'diff-b', 'aria-label': 'To version' }, options());
  if (versions.length > 1) a.value = String(versions[versions.length - 2].version);
  b.value = String(current);
  const compare = async (from: number, to: number, into: HTMLElement) => {
    put(into, h('p', { class: 'loading' }, 'Comparing…'));
    try {
      const [da, db] = await Promise.all([versionDoc(from), versionDoc(to)]);
      put(into, h('p', {}, `Version ${from} → version ${to}`), renderPreview(await preview(db, da)));
    } catch (e) {
      notice(into, describe(e), 'error');
    }
  };
  const rollback = async (n: number) => {
    const ok = await confirmDialog({ title: `Roll back to version ${n}?`, confirm: 'Roll back', danger: true,
      body: [h('p', {}, `Version ${n}'s document becomes a new version, replacing version ${current}. Nothing is deleted.`)] });
    if (!ok) return;
    try {
      const r = await call<{ version: number }>(`/v1/versions/${n}/rollback`, { method: 'POST' });
      notice(out, `Rolled back: version ${r.data.version} has version ${n}'s document.`);
      await historyPage(root);
      root.querySelector('#history-result')?.replaceWith(out);
    } catch (e) {
      notice(out, `Rollback failed: ${describe(e)}`, 'error');
    }
  };
  const byVersion = new Map(audit.map((e) => [e.version, e]));
  put(root,
    h('h1', {}, 'History ', h('small', {}, `current version ${current}`)),
    out,
    h('section', { class: 'compare' }, h('h2', {}, 'Compare two versions'),
      h('form', { class: 'inline', id: 'diff-form', onsubmit: (e: Event) => {
        e.preventDefault();
        void compare(Number(a.value), Number(b.value), diffOut);
      } }, h('label', { for: 'diff-a' }, 'From'), a, h('label', { for: 'diff-b' }, 'to'), b, h('button', { type: 'submit' }, 'Diff')),
      diffOut),
    h('h2', {}, 'Versions and audit log'),
    h('table', { class: 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'When', 'Who', 'What', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, versions.slice().reverse().flatMap((v) => {
        const e: AuditEntry | undefined = byVersion.get(v.version);
        const detail = h('div', { class: 'entry-diff' });
        const what = e ? [e.action, e.flag ? ` ${e.flag}` : '', e.edits ? ` ${JSON.stringify(e.edits)}` : '', e.restored ? ` (restored v${e.restored})` : ''].join('') : v.action;
        return [h('tr', { 'data-version': v.version },
          h('td', { 'data-label': 'Version' }, `v${v.version}`, v.version === current ? h('span', { class: 'badge on' }, 'current') : null),
          h('td', { 'data-label': 'When' }, v.time),
          h('td', { 'data-label': 'Who' }, v.by),
          h('td', { 'data-label': 'What' }, what),
          h('td', { class: 'row-actions' },
            v.version > 1 ? h('button', { type: 'button', class: 'show-diff', onclick: () => void compare(v.version - 1, v.version, detail) }, 'Diff') : null,
            v.version !== current ? h('button', { type: 'button', class: 'rollback', onclick: () => void rollback(v.version) }, 'Roll back to this') : null)),
          h('tr', { class: 'detail' }, h('td', { colspan: 5 }, detail))];
      }))));
}
