// A flag's evaluation order (docs/ruleset.md, "Evaluation order") in
// words, from the document's documented structure: presentation of what
// the engine will do, not a second engine.

import { defaultVariant, expand, isObj, offVariant, type Json, type Obj } from './model';

const OPS: Record<string, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is one of',
  not_in: 'is none of',
  contains: 'contains',
  starts_with: 'starts with',
  ends_with: 'ends with',
  glob: 'matches',
  lt: 'is less than',
  lte: 'is at most',
  gt: 'is greater than',
  gte: 'is at least',
  semver_eq: 'is version',
  semver_lt: 'is a version below',
  semver_lte: 'is a version at most',
  semver_gt: 'is a version above',
  semver_gte: 'is a version at least',
  before: 'is before',
  after: 'is after',
};

function scalar(v: Json): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v);
}

function list(v: Json | undefined, max = 5): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, max).map(scalar).join(', ');
    return v.length > max ? `${shown} and ${v.length - max} more` : shown;
  }
  if (isObj(v)) return 'a hashed list';
  return v === undefined ? 'nothing' : scalar(v);
}

export function condition(c: Json): string {
  if (!isObj(c)) return 'an unreadable condition';
  const op = String(c.op ?? '');
  if (op === 'in_segment' || op === 'not_in_segment') {
    const names = c.values !== undefined ? list(c.values) : scalar(c.value ?? null);
    const one = c.values === undefined || (Array.isArray(c.values) && c.values.length === 1);
    const what = one ? 'segment' : op === 'in_segment' ? 'one of the segments' : 'any of the segments';
    return `the context is ${op === 'in_segment' ? 'in' : 'not in'} ${what} ${names}`;
  }
  const value = op === 'in' || op === 'not_in' ? `[${list(c.values)}]` : scalar(c.value ?? null);
  return `${String(c.attribute)} ${OPS[op] ?? op} ${value}`;
}

function splitText(s: Json): string {
  if (!Array.isArray(s)) return 'a split';
  return s
    .map((x) => (Array.isArray(x) ? `${x[0]} ${x[1]}%` : isObj(x) ? `${x.variant} ${x.weight}%` : '?'))
    .join(', ');
}

function scheduleText(s: Json): string {
  if (!isObj(s)) return 'a schedule';
  if (Array.isArray(s.steps)) {
    const steps = s.steps.map((x) => (Array.isArray(x) ? `day ${x[0]}: ${x[1]}%` : isObj(x) ? `day ${x.day}: ${x.percentage}%` : '?'));
    return `a stepped schedule from ${s.start} (${steps.join(', ')})`;
  }
  const from = s.start_percentage ?? (s.type === 's_curve' ? 1 : 0);
  const to = s.end_percentage ?? 100;
  return `a ${s.type === 's_curve' ? 'S-curve' : 'linear'} schedule from ${from}% to ${to}% over ${s.duration_hours} h from ${s.start}`;
}

/** What a rule (or the flag level) serves, in words. */
function serves(r: Obj, unit: string, off: string): string {
  const inside = typeof r.variant === 'string' ? r.variant : typeof r.rollout_variant === 'string' ? r.rollout_variant : 'on';
  if (r.split !== undefined) return `split by ${unit}: ${splitText(r.split)}`;
  if (typeof r.percentage === 'number') return `${r.percentage}% of them by ${unit} get "${inside}", the rest "${off}"`;
  if (r.schedule !== undefined) return `a rollout by ${unit} following ${scheduleText(r.schedule)} gets "${inside}", the rest "${off}"`;
  return `serve "${inside}"`;
}

/** The flag's evaluation, one sentence per step, in order. */
export function sentences(raw: Json): string[] {
  const f = expand(raw);
  const out: string[] = [];
  const off = offVariant(f);
  const unit = typeof f.bucket_by === 'string' ? f.bucket_by : 'user_id';
  if (f.killed === true) out.push(`Killed: everyone gets "${off}" (nothing below applies).`);
  if (Array.isArray(f.prerequisites)) {
    for (const p of f.prerequisites) {
      if (!isObj(p)) continue;
      const want = Array.isArray(p.variants) ? p.variants.map(String).join(' or ') : String(p.variant ?? 'on');
      out.push(`Only if flag "${p.flag}" serves ${want}; otherwise "${off}".`);
    }
  }
  if (f.users !== undefined) out.push(`Users ${list(f.users)} get "on".`);
  if (Array.isArray(f.targets)) {
    for (const t of f.targets) if (isObj(t)) out.push(`Users ${list(t.users)} get "${t.variant}".`);
  }
  if (Array.isArray(f.rules)) {
    f.rules.forEach((r, i) => {
      if (!isObj(r)) return;
      const id = typeof r.id === 'string' ? r.id : `rules[${i}]`;
      const conds = Array.isArray(r.conditions) && r.conditions.length ? r.conditions.map(condition).join(' and ') : 'everyone';
      const who = conds === 'everyone' ? 'Everyone' : `If ${conds}`;
      out.push(`Rule ${id}: ${who}: ${serves(r, unit, off)}.`);
    });
  }
  if (f.split !== undefined || typeof f.percentage === 'number' || f.schedule !== undefined) {
    const rest = out.length ? 'everyone else' : 'everyone';
    out.push(`Then, for ${rest}: ${serves({ ...f, variant: null }, unit, off).replace(/ of them/, ' of units')}.`);
  }
  const hasTargeting = out.length > 0;
  out.push(`${hasTargeting ? 'Everyone else gets' : 'Everyone gets'} "${defaultVariant(f)}".`);
  return out;
}
