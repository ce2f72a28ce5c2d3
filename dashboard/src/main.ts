// The dashboard's shell: sign-in, the navigation, the banner for an
// unreachable Worker, and the hash router (#/flags, #/flag/<key>, ...).
// Pages render into <main>; each is a function of the route's parts.

import { ApiError, call, describe, probe, session, watchReachability } from './api';
import { h, put } from './dom';
import { flagPage, flagsPage } from './flags';
import { historyPage } from './history';
import { editorPage } from './editor';
import { playgroundPage } from './playground';
import { experimentsPage } from './experiments';
import { rolloutsPage } from './rollouts';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const banner = document.getElementById('banner') as HTMLElement;
const shared = document.getElementById('shared-origin') as HTMLElement;
const dead = document.getElementById('dead-letters') as HTMLElement;

type Page = (root: HTMLElement, parts: string[]) => Promise<void> | void;
const PAGES: { name: string; title: string; admin: boolean; page: Page }[] = [
  { name: 'flags', title: 'Flags', admin: false, page: flagsPage },
  { name: 'history', title: 'History', admin: true, page: historyPage },
  { name: 'editor', title: 'Editor', admin: true, page: editorPage },
  { name: 'experiments', title: 'Experiments', admin: false, page: experimentsPage },
  { name: 'rollouts', title: 'Rollouts', admin: false, page: rolloutsPage },
  { name: 'playground', title: 'Playground', admin: false, page: playgroundPage },
];

watchReachability((ok) => {
  if (ok) {
    banner.hidden = true;
    return;
  }
  put(banner, h('strong', {}, 'The Worker cannot be reached. '),
    `Nothing was changed; what you typed is still here. Check that the Worker is running at ${location.origin} and try again.`);
  banner.hidden = false;
});

function route(): string[] {
  const raw = location.hash.replace(/^#\/?/, '');
  return raw ? raw.split('/').map((p) => decodeURIComponent(p)) : [];
}

function renderNav(current: string): void {
  const role = session.role;
  if (!role) {
    put(nav);
    put(who);
    return;
  }
  put(nav, PAGES.filter((p) => role === 'admin' || !p.admin).map((p) =>
    h('a', { href: `#/${p.name}`, 'aria-current': p.name === current ? 'page' : undefined }, p.title)));
  put(who, h('span', { class: `role ${role}` }, role === 'admin' ? 'admin' : 'read-only'), ' ',
    h('button', { type: 'button', id: 'signout', onclick: signOut }, 'Sign out'));
}

function signOut(): void {
  session.clear();
  location.hash = '#/signin';
}

function signIn(root: HTMLElement): void {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const msg = h('div', { id: 'signin-message', 'aria-live': 'polite' });
  const form = h('form', { class: 'signin', id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste the admin token to manage flags, or the read key for a read-only view. It is kept for this tab only and sent only in the Authorization header.'),
    h('label', { for: 'token' }, 'Admin token or read key'), input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    put(msg, 'Checking…');
    try {
      const role = await probe(input.value.trim());
      session.set(input.value.trim(), role);
      location.hash = '#/flags';
    } catch (err) {
      const text = err instanceof ApiError && (err.status === 401 || err.status === 403)
        ? 'This token was refused: it is neither an admin token nor a read key of this Worker.'
        : describe(err);
      put(msg, h('p', { class: 'notice error', role: 'alert' }, text));
    }
  });
  put(root, form);
  input.focus();
}

// An admin token kept where routed pages share the origin can be read by
// their scripts: say so, once per sign-in, when the Worker serves routes
// here (no DASHBOARD_HOST).
let originChecked: string | null = null;
async function checkOrigin(): Promise<void> {
  const token = session.token;
  if (session.role !== 'admin' || token === null || originChecked === token) {
    if (session.role !== 'admin') shared.hidden = true;
    return;
  }
  originChecked = token;
  try {
    const { data } = await call<{ routes?: number | null; dashboardHost?: string | null }>('/v1/status');
    if ((data.routes ?? 0) > 0 && !data.dashboardHost) {
      put(shared, h('strong', {}, 'Routed pages share this origin. '),
        'Scripts on them could read the admin token this tab keeps. Give the dashboard a host of its own with the DASHBOARD_HOST setting (docs/dashboard.md).');
      shared.hidden = false;
    } else {
      shared.hidden = true;
    }
  } catch {
    // No ruleset yet (503), or unreachable: no routes to warn about now.
    originChecked = null;
  }
}

// Events the Worker could not store after every retry wait as dead
// letters (docs/worker.md, "Dead letters"): an admin sees how many, on
// every page change, and can send them back (replaying counts each once).
async function checkDeadLetters(): Promise<void> {
  if (session.role !== 'admin') {
    dead.hidden = true;
    return;
  }
  let count = 0;
  let more = false;
  try {
    ({ count, more } = (await call<{ count: number; more: boolean }>('/v1/events/dead-letters')).data);
  } catch {
    return;
  }
  if (count === 0) {
    dead.hidden = true;
    return;
  }
  const msg = h('span', { id: 'dead-letters-text' },
    h('strong', {}, `${count}${more ? '+' : ''} event message${count === 1 ? '' : 's'} could not be stored. `),
    'They failed every retry and are kept; replay them once the event store works again (each counts once).');
  const button = h('button', { type: 'button', id: 'dead-letters-replay' }, 'Replay');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const r = (await call<{ replayed: number; failed: number; remaining: number }>('/v1/events/dead-letters/replay', { method: 'POST' })).data;
      put(msg, `Replayed ${r.replayed}${r.failed ? `, ${r.failed} failed` : ''}; ${r.remaining} left.`);
    } catch (e) {
      put(msg, `Replay failed: ${describe(e)}`);
    }
    button.disabled = false;
  });
  put(dead, msg, ' ', button);
  dead.hidden = false;
}

let rendering = 0;
async function render(): Promise<void> {
  const n = ++rendering;
  const parts = route();
  if (!session.role || parts[0] === 'signin') {
    if (session.role && parts[0] === 'signin') session.clear();
    renderNav('');
    shared.hidden = true;
    dead.hidden = true;
    signIn(main);
    return;
  }
  const name = parts[0] === 'flag' ? 'flags' : parts[0] ?? 'flags';
  renderNav(name);
  void checkOrigin();
  void checkDeadLetters();
  const page = parts[0] === 'flag' ? { page: flagPage, admin: false, title: 'Flag' } : PAGES.find((p) => p.name === name);
  if (!page || (page.admin && session.role !== 'admin')) {
    put(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page here.'));
    return;
  }
  document.title = `${page.title} · edgeflags`;
  const root = h('div', { class: `page page-${name}` });
  put(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await page.page(root, parts.slice(1));
    if (n !== rendering) return;
    put(main, root);
    // A new page: keyboard focus starts at its content, not at the old link.
    if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
  } catch (e) {
    if (n !== rendering) return;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      session.clear();
      put(main, h('p', { class: 'notice error', role: 'alert' }, `Signed out: ${describe(e)}`));
      renderNav('');
      return;
    }
    put(main, h('h1', {}, 'Could not load this page'), h('p', { class: 'notice error', role: 'alert' }, describe(e)),
      h('button', { type: 'button', onclick: () => void render() }, 'Retry'));
  }
}

window.addEventListener('hashchange', () => void render());
void render();
