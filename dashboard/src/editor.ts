// The JSON editor: the whole ruleset document, checked as you type by the
// engine itself (the npm package's wasm in the page: every problem with
// its JSON path), then the Worker's preview (the core's diff and blast
// radius against the current version) and publishing with If-Match. The
// draft survives navigation and a Worker that cannot be reached.

import { ApiError, call, describe } from './api';
import { confirmDialog, h, notice, pretty, put } from './dom';
import { check } from './engine';
import { loadDoc } from './model';
import { preview, renderPreview } from './diffview';
import { fieldsAt, pathAt } from './schema';

const draft: { text: string | null; base: number | null; loaded: string | null } = { text: null, base: null, loaded: null };

/** Where a problem's path (`flags.x.rules[0].op`) is in the text, roughly: each key in turn. */
function locate(text: string, path: string): number {
  let at = 0;
  for (const part of path.split(/\.|\[\d+\]/).filter(Boolean)) {
    const i = text.indexOf(JSON.stringify(part), at);
    if (i < 0) break;
    at = i;
  }
  return at;
}

export async function editorPage(root: HTMLElement, parts: string[]): Promise<void> {
  if (draft.text === null) {
    const loaded = await loadDoc();
    draft.text = draft.loaded = pretty(loaded.doc);
    draft.base = loaded.version;
  }
  const area = h('textarea', { id: 'json', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Ruleset JSON', rows: 30, wrap: 'off' });
  area.value = draft.text;
  const problems = h('div', { id: 'problems', 'aria-live': 'polite' });
  const result = h('div', { id: 'editor-result', 'aria-live': 'polite' });
  const previewOut = h('div', { id: 'preview-out' });
  const publish = h('button', { type: 'button', id: 'publish', class: 'primary', disabled: true }, 'Publish…');
  const base = h('span', { id: 'base' }, `based on version ${draft.base}`);
  let valid = false;
  let parsed: unknown = null;
  let seq = 0;

  const showProblems = (list: { path: string; message: string }[], source: string) => {
    put(problems, list.length === 0 ? h('p', { class: 'notice ok', id: 'valid' }, `Valid: the engine loads it.`)
      : [h('p', { class: 'notice error' }, `${list.length} problem${list.length === 1 ? '' : 's'} (${source}); nothing can be published:`),
         h('ul', { class: 'problems' }, list.map((p) => h('li', {},
           h('button', { type: 'button', class: 'path', onclick: () => {
             const i = locate(area.value, p.path);
             area.focus();
             area.setSelectionRange(i, i + 1);
           } }, p.path || '(root)'), ' ', p.message)))]);
  };
  const validate = async () => {
    const n = ++seq;
    draft.text = area.value;
    try {
      parsed = JSON.parse(area.value);
    } catch (e) {
      valid = false;
      publish.disabled = true;
      showProblems([{ path: '', message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }], 'JSON syntax');
      return;
    }
    const r = await check(parsed);
    if (n !== seq) return;
    r.flags?.free();
    valid = r.problems.length === 0;
    publish.disabled = !valid;
    showProblems(r.problems, 'from the engine');
  };
  // The field guide: what the object under the cursor may hold.
  const guide = h('div', { id: 'guide' });
  let guideAt = '';
  const showGuide = () => {
    const path = pathAt(area.value, area.selectionStart);
    const where = path.join(' › ') || 'the ruleset';
    if (where === guideAt) return;
    guideAt = where;
    const fields = fieldsAt(path);
    put(guide, h('details', { open: true, class: 'guide' },
      h('summary', {}, 'Fields here: ', h('code', {}, where)),
      fields.length ? h('dl', {}, fields.flatMap((f) => [h('dt', {}, h('code', {}, f.name)), h('dd', {}, f.about)]))
        : h('p', { class: 'muted' }, 'A value here, not an object with fields.'),
      h('p', { class: 'muted' }, 'From the ruleset JSON Schema (schema/ruleset.schema.json); the engine has the last word.')));
  };
  for (const ev of ['keyup', 'click', 'focus']) area.addEventListener(ev, showGuide);
  let timer = 0;
  area.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void validate(), 250);
  });

  const doPreview = async () => {
    await validate();
    if (parsed === null) return;
    put(previewOut, h('p', { class: 'loading' }, 'Computing the diff and blast radius…'));
    try {
      const p = await preview(parsed as never);
      put(previewOut, renderPreview(p));
      return p;
    } catch (e) {
      notice(previewOut, `Preview failed: ${describe(e)}`, 'error');
      return null;
    }
  };
  publish.addEventListener('click', async () => {
    await validate();
    if (!valid) return;
    const p = await doPreview();
    if (!p) return;
    const moved = p.blastRadius ? p.blastRadius.flags.filter((f) => f.changed > 0).length : 0;
    const changed = p.diff.flags.length + p.diff.segments.length + p.diff.routes.length + p.diff.ruleset.length;
    const ok = await confirmDialog({ title: 'Publish this ruleset?', confirm: 'Publish',
      body: [h('p', {}, `${changed} item${changed === 1 ? '' : 's'} differ from version ${p.against ?? 'none'}; ${moved} flag${moved === 1 ? '' : 's'} change for some sample units (diff and blast radius below).`)] });
    if (!ok) return;
    try {
      const r = await call<{ version: number }>('/v1/ruleset', { method: 'PUT', body: parsed, ifMatch: draft.base });
      draft.base = r.data.version;
      draft.loaded = area.value;
      put(base, `based on version ${draft.base}`);
      notice(result, `Published as version ${r.data.version}.`);
      put(previewOut);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) showProblems(e.problems, 'from the Worker');
      if (e instanceof ApiError && e.status === 412) {
        notice(result, `Not published: someone changed the ruleset meanwhile (now version ${(e.body as { current?: number })?.current}). Reload to start from it; your text is still here.`, 'error');
      } else notice(result, `Not published: ${describe(e)}`, 'error');
    }
  });
  const reload = async () => {
    if (area.value !== draft.loaded) {
      const ok = await confirmDialog({ title: 'Discard your edits?', confirm: 'Discard', body: [h('p', {}, 'The editor will hold the current version instead.')] });
      if (!ok) return;
    }
    try {
      const loaded = await loadDoc();
      draft.text = draft.loaded = pretty(loaded.doc);
      draft.base = loaded.version;
      area.value = draft.text;
      put(base, `based on version ${draft.base}`);
      put(previewOut);
      put(result);
      void validate();
    } catch (e) {
      notice(result, describe(e), 'error');
    }
  };
  put(root,
    h('h1', {}, 'Edit the ruleset ', h('small', {}, base)),
    h('p', { class: 'muted' }, 'The whole document (docs/ruleset.md). The engine checks it as you type; Preview shows what would change before anything is published.'),
    h('div', { class: 'editor' }, area, guide), problems,
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'preview', onclick: () => void doPreview() }, 'Preview diff and blast radius'),
      publish,
      h('button', { type: 'button', id: 'reload', onclick: () => void reload() }, 'Start over from the current version')),
    result, previewOut);
  await validate();
  showGuide();
  const key = parts[0];
  if (key) {
    const i = area.value.indexOf(JSON.stringify(key) + ':');
    // After the page is in the document.
    if (i >= 0) setTimeout(() => {
      area.focus();
      area.setSelectionRange(i, i + key.length + 2);
      showGuide();
    }, 0);
  }
}
