// The logical ruleset every engine evaluates, the users it is evaluated
// for, and the results a correct engine must give. Each engine's own
// document is a translation of this (translate.mjs); nothing here knows
// any engine's format.

/** The rule-flag predicate, written once so every check uses the same one. */
export function ruleMatches(u) {
  return (u.plan === 'enterprise' && (u.country === 'US' || u.country === 'CA')) || u.email.endsWith('@company.com');
}

export const ROLLOUT_PERCENT = 20;
export const SPLIT = [
  ['control', 50],
  ['treatment_a', 25],
  ['treatment_b', 25],
];

// Per 5 flags: 2 on/off, 1 rollout, 1 rule, 1 split. For 50 flags that is
// the 20 / 10 / 10 / 10; for 10 and 10,000 the same proportions.
const PATTERN = ['bool', 'bool', 'rollout', 'rule', 'split'];

/**
 * The logical flags of a ruleset of `n` flags: `{ key, kind, value? }`.
 * On/off flags alternate on and off, so half serve true and half false.
 */
export function logicalFlags(n = 50) {
  const flags = [];
  let bools = 0;
  for (let j = 0; j < n; j++) {
    const kind = PATTERN[j % PATTERN.length];
    const key = `${kind}_${j}`;
    if (kind === 'bool') flags.push({ key, kind, value: bools++ % 2 === 0 });
    else flags.push({ key, kind });
  }
  return flags;
}

/** The first flag of each kind: the ones the single-evaluation scenarios time. */
export function firstOfKind(flags) {
  const out = {};
  for (const f of flags) out[f.kind] ??= f.key;
  return out;
}

// A small deterministic PRNG (mulberry32), so every run and every engine
// sees the same users.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLANS = ['free', 'pro', 'team', 'enterprise'];
const COUNTRIES = ['US', 'CA', 'DE', 'FR', 'JP', 'BR'];

/**
 * `count` distinct users `{ id, plan, country, email }`. About one in
 * eight has a company address; a quarter are enterprise; a third are in
 * the US or Canada; so the rule flag is on for roughly 20% of them.
 */
export function makeUsers(count, seed = 42) {
  const r = rng(seed);
  const users = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = `user-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    const plan = PLANS[Math.floor(r() * PLANS.length)];
    const country = COUNTRIES[Math.floor(r() * COUNTRIES.length)];
    const email = r() < 0.125 ? `u${i}@company.com` : `u${i}@example.com`;
    users[i] = { id, plan, country, email };
  }
  return users;
}

/**
 * The one context the "reused context" scenarios evaluate: it fails both
 * rules of the rule flags only after reading every attribute (enterprise,
 * but not in the US or Canada, and not a company address), the costly path.
 */
export const REUSED_USER = Object.freeze({ id: 'user-42', plan: 'enterprise', country: 'DE', email: 'jane@example.com' });
