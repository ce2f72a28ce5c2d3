// The ruleset document as the dashboard reads it (docs/ruleset.md), and
// what the pages show about a flag: its shorthands expanded, its type,
// state and schedule progress. Presentation only: every decision about
// who gets what stays in the engine (the wasm in the page, the Worker).

import { call, etagVersion, session } from './api';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export interface Doc {
  version?: number;
  flags: { [key: string]: Json };
  segments?: { [name: string]: Obj };
  routes?: Obj[];
  [k: string]: Json | undefined;
}

export interface AuditEntry {
  version: number;
  previous?: number | null;
  time: string;
  action: string;
  by: string;
  flag?: string;
  edits?: Json[];
  restored?: number;
  decision?: Json;
  [k: string]: Json | undefined;
}

export interface Rollout {
  flag: string;
  status: string;
  percentage: number;
  since: string | null;
  next: number | null;
  steps: number[];
  decisions: Decision[];
  [k: string]: Json | Decision[] | undefined;
}

export interface Decision {
  id: number;
  at: string;
  version: number | null;
  applied: boolean;
  decision: Obj;
  inputs: Json;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A flag with the design notes' shorthands expanded (`true`, `20`, a list). */
export function expand(v: Json): Obj {
  if (typeof v === 'boolean') return { enabled: v };
  if (typeof v === 'number') return { percentage: v };
  if (Array.isArray(v)) return { users: v };
  if (!isObj(v)) return {};
  const f: Obj = { ...v };
  if (f.rollout_percentage !== undefined && f.percentage === undefined) f.percentage = f.rollout_percentage;
  if (f.allowed_users !== undefined && f.users === undefined) f.users = f.allowed_users;
  for (const k of Object.keys(f)) if (f[k] === null) delete f[k];
  return f;
}

export function variants(f: Obj): Obj {
  return isObj(f.variants) ? f.variants : { on: true, off: false };
}

export function offVariant(f: Obj): string {
  const vs = variants(f);
  if (typeof f.off_variant === 'string') return f.off_variant;
  return 'off' in vs ? 'off' : defaultVariant(f);
}

export function defaultVariant(f: Obj): string {
  if (typeof f.default_variant === 'string') return f.default_variant;
  const vs = variants(f);
  if ('on' in vs && 'off' in vs) return f.enabled === true ? 'on' : 'off';
  return 'off';
}

export function flagType(f: Obj): string {
  if (typeof f.type === 'string') return f.type;
  const vals = Object.values(variants(f));
  for (const t of ['boolean', 'number', 'string'] as const) if (vals.length && vals.every((v) => typeof v === t)) return t;
  return 'json';
}

/** The flag-level rollout percentage: the guarded rollout's current step, else `percentage`. */
export function percentage(f: Obj): number | null {
  return typeof f.percentage === 'number' ? f.percentage : null;
}

export type State = 'killed' | 'experiment' | 'rolling out' | 'scheduled' | 'on' | 'off';
export const STATES: State[] = ['on', 'off', 'killed', 'scheduled', 'rolling out', 'experiment'];

export function hasSchedule(f: Obj): boolean {
  return isObj(f.schedule) || (Array.isArray(f.rules) && f.rules.some((r) => isObj(r) && isObj(r.schedule)));
}

export function state(f: Obj): State {
  if (f.killed === true) return 'killed';
  if (isObj(f.experiment)) return 'experiment';
  const p = percentage(f);
  if (isObj(f.rollout) || (p !== null && p > 0 && p < 100)) return 'rolling out';
  if (hasSchedule(f)) return 'scheduled';
  if (p === 100) return 'on';
  const d = defaultVariant(f);
  return d !== offVariant(f) || f.enabled === true ? 'on' : 'off';
}

/** How far a schedule has come: elapsed share of its span, and (for steps) the current step's percentage. */
export function scheduleProgress(s: Obj, now = Date.now()): { share: number; label: string } | null {
  if (typeof s.start !== 'string') return null;
  const start = Date.parse(s.start);
  if (Number.isNaN(start)) return null;
  const day = 86_400_000;
  if (Array.isArray(s.steps)) {
    const steps = s.steps.map((x) => (Array.isArray(x) ? [Number(x[0]), Number(x[1])] : isObj(x) ? [Number(x.day), Number(x.percentage)] : [0, 0]));
    const last = Math.max(...steps.map((x) => x[0]), 0);
    const days = Math.floor((now - start) / day);
    let pct = 0;
    for (const [d, p] of steps) if (days >= d) pct = p;
    const share = last === 0 ? (now >= start ? 1 : 0) : Math.min(1, Math.max(0, (now - start) / (last * day)));
    return { share, label: now < start ? `starts ${s.start}` : `${pct}% (day ${days}; last step on day ${last})` };
  }
  if (typeof s.duration_hours === 'number') {
    const share = Math.min(1, Math.max(0, (now - start) / (s.duration_hours * 3_600_000)));
    return { share, label: now < start ? `starts ${s.start}` : `${Math.round(share * 100)}% of ${s.duration_hours} h (${s.type ?? 'linear'})` };
  }
  return null;
}

/** Expiry markers: expired, or expiring within 14 days. */
export function staleness(f: Obj, now = Date.now()): 'expired' | 'expiring' | null {
  if (typeof f.expires !== 'string') return null;
  const t = Date.parse(f.expires);
  if (Number.isNaN(t)) return null;
  if (t <= now) return 'expired';
  return t - now < 14 * 86_400_000 ? 'expiring' : null;
}

export function tags(f: Obj): string[] {
  return Array.isArray(f.tags) ? f.tags.filter((t): t is string => typeof t === 'string') : [];
}

// ------------------------------------------------------------ loading

export interface Loaded {
  doc: Doc;
  version: number;
  /** The full document (admin) or the client view (read key). */
  full: boolean;
}

/** The current ruleset: the full document for an admin, else the client view. */
export async function loadDoc(): Promise<Loaded> {
  const full = session.role === 'admin';
  const a = await call<Doc>(full ? '/v1/versions/current' : '/v1/ruleset');
  return { doc: a.data, version: etagVersion(a.headers) ?? a.data.version ?? 0, full };
}

/** Every audit entry (admin), oldest first. */
export async function loadAudit(max = 5000): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const a = await call<{ entries: AuditEntry[]; cursor: string | null }>(`/v1/audit?limit=1000${q}`);
    out.push(...a.data.entries);
    cursor = a.data.cursor;
  } while (cursor && out.length < max);
  return out;
}

export async function loadRollouts(): Promise<Rollout[]> {
  const a = await call<{ rollouts: Rollout[] }>('/v1/rollouts');
  return a.data.rollouts ?? [];
}

/** A flag's usage as the Worker counted it (GET /v1/usage, docs/worker.md "Flag usage"). */
export interface Usage {
  flag: string;
  last_evaluated: string | null;
  evaluations: number;
  variants: Record<string, number>;
  threshold_days: number | null;
  cleanup: { reason: 'served_one_variant' | 'unused'; days: number; variant?: string; keep?: Json } | null;
}

/** Every flag's usage; empty when the Worker cannot say (no D1, an older Worker). */
export async function loadUsage(): Promise<Usage[]> {
  const a = await call<{ flags: Usage[] }>('/v1/usage');
  return a.data.flags ?? [];
}

/** A usage finding in words: "served one variant (on) for 60 days: keep true". */
export function cleanupWords(c: NonNullable<Usage['cleanup']>): string {
  return c.reason === 'unused'
    ? `not evaluated for ${c.days} days`
    : `served one variant (${c.variant ?? '?'}) for ${c.days} days: keep ${JSON.stringify(c.keep ?? null)}`;
}

/** The latest audit entry naming each flag. */
export function lastChanges(entries: AuditEntry[]): Map<string, AuditEntry> {
  const m = new Map<string, AuditEntry>();
  for (const e of entries) if (typeof e.flag === 'string') m.set(e.flag, e);
  return m;
}
