// DOM building without HTML parsing: every piece of data becomes a text
// node (textContent), never markup, so a flag key or a description cannot
// inject anything. Attributes are set one by one; event handlers are
// listeners (the CSP allows no inline code).

export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | undefined | null | ((ev: Event) => void);

function fill(el: Element, attrs: Record<string, Attr>, children: (Child | Child[])[]): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element: `h('a', {href: '#/flags'}, 'Flags')`. Keys `on...` add listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  fill(el, attrs, children);
  return el;
}

/** An SVG element. */
export function svg(tag: string, attrs: Record<string, Attr> = {}, ...children: (Child | Child[])[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  fill(el, attrs, children);
  return el;
}

/** Replaces the children of `el`. */
export function put(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  fill(el, {}, children);
}

/** A link to a page of the app (hash routes; parts are encoded). */
export function link(parts: string[], text: Child, attrs: Record<string, Attr> = {}): HTMLAnchorElement {
  return h('a', { href: '#/' + parts.map(encodeURIComponent).join('/'), ...attrs }, text);
}

/** JSON, pretty-printed, as text. */
export function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

/** A modal dialog; resolves true when confirmed. With `typed`, the
 * confirm button stays disabled until that exact text is typed. */
export function confirmDialog(opts: { title: string; body: Child[]; confirm: string; typed?: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const input = opts.typed !== undefined ? h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Type to confirm', id: 'confirm-typed' }) : null;
    const ok = h('button', { type: 'submit', class: opts.danger ? 'danger' : 'primary', disabled: input !== null, id: 'confirm-ok' }, opts.confirm);
    const cancel = h('button', { type: 'button', id: 'confirm-cancel' }, 'Cancel');
    const form = h('form', { method: 'dialog' }, h('h2', {}, opts.title), ...opts.body,
      input ? h('label', { for: 'confirm-typed' }, 'Type ', h('code', {}, opts.typed ?? ''), ' to confirm') : null,
      input, h('div', { class: 'row' }, cancel, ok));
    const dlg = h('dialog', { class: 'confirm' }, form);
    input?.addEventListener('input', () => (ok.disabled = input.value !== opts.typed));
    let result = false;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (input && input.value !== opts.typed) return;
      result = true;
      dlg.close();
    });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    (input ?? ok).focus();
  });
}

/** A short status line (role=status) for the outcome of an action. */
export function notice(el: Element, text: string, kind: 'ok' | 'error' = 'ok'): void {
  put(el, h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text));
}
