// The equivalence check run before anything is timed: an engine's
// translation must give the logical ruleset's results. On/off and rule
// flags must match exactly for every user; rollouts and splits must serve
// their shares within a tolerance of about five standard deviations for
// the sample size, so a correct engine fails by chance about once in a
// few million runs, while a wrong percentage (even 25% for 20%) fails.

import { REUSED_USER, ROLLOUT_PERCENT, SPLIT, firstOfKind, makeUsers, ruleMatches } from './model.mjs';

export const CHECK_USERS = 10_000;
// Percentage points. Standard deviation of a share p over n users is
// sqrt(p(1-p)/n): 0.40 pp for 20%, 0.43 for 25%, 0.50 for 50% at 10,000.
const ROLLOUT_TOLERANCE = 2.0;
const SPLIT_TOLERANCE = 2.5;

/**
 * Checks a loaded engine instance against the logical `flags`.
 * Returns `{ ok, problems, shares }`.
 */
export async function checkEngine(inst, flags, { users = makeUsers(CHECK_USERS, 7) } = {}) {
  // Per-user mismatches are capped (one wrong flag fails thousands of
  // users); share problems are few and always kept.
  const mismatches = [];
  let mismatchCount = 0;
  const note = (msg) => {
    if (mismatchCount++ < 20) mismatches.push(msg);
  };
  const shareProblems = [];
  const rolloutOn = new Map();
  const splitCounts = new Map();
  const variants = SPLIT.map(([v]) => v);
  for (const f of flags) {
    if (f.kind === 'rollout') rolloutOn.set(f.key, 0);
    if (f.kind === 'split') splitCounts.set(f.key, Object.fromEntries(variants.map((v) => [v, 0])));
  }
  const allOf = async (u) => {
    const c = inst.ctx(u);
    const raw = await inst.all(c);
    inst.release?.(c);
    return inst.values(raw);
  };
  for (const u of users) {
    const vals = await allOf(u);
    for (const f of flags) {
      const v = vals[f.key];
      switch (f.kind) {
        case 'bool':
          if (v !== f.value) note(`${f.key}: expected ${f.value}, got ${JSON.stringify(v)} for ${u.id}`);
          break;
        case 'rule': {
          const want = ruleMatches(u);
          if (v !== want) note(`${f.key}: expected ${want}, got ${JSON.stringify(v)} for ${JSON.stringify(u)}`);
          break;
        }
        case 'rollout':
          if (typeof v !== 'boolean') note(`${f.key}: not a boolean: ${JSON.stringify(v)}`);
          else if (v) rolloutOn.set(f.key, rolloutOn.get(f.key) + 1);
          break;
        case 'split': {
          const counts = splitCounts.get(f.key);
          if (!(v in counts)) note(`${f.key}: unknown variant ${JSON.stringify(v)}`);
          else counts[v]++;
          break;
        }
      }
    }
  }
  const n = users.length;
  const shares = { rollout: {}, split: {} };
  for (const [key, on] of rolloutOn) {
    const pct = (100 * on) / n;
    shares.rollout[key] = pct;
    if (Math.abs(pct - ROLLOUT_PERCENT) > ROLLOUT_TOLERANCE) shareProblems.push(`${key}: ${pct.toFixed(2)}% in the rollout, expected ${ROLLOUT_PERCENT}% ± ${ROLLOUT_TOLERANCE}`);
  }
  for (const [key, counts] of splitCounts) {
    shares.split[key] = {};
    for (const [v, w] of SPLIT) {
      const pct = (100 * counts[v]) / n;
      shares.split[key][v] = pct;
      if (Math.abs(pct - w) > SPLIT_TOLERANCE) shareProblems.push(`${key}: ${v} served to ${pct.toFixed(2)}%, expected ${w}% ± ${SPLIT_TOLERANCE}`);
    }
  }
  // The single-flag calls the timed scenarios use must agree with evaluate-all.
  const first = firstOfKind(flags);
  for (const u of [REUSED_USER, ...users.slice(0, 1000)]) {
    const vals = await allOf(u);
    for (const [kind, key] of Object.entries(first)) {
      const c = inst.ctx(u);
      const one = kind === 'split' ? await inst.variant(key, c) : await inst.bool(key, c);
      inst.release?.(c);
      if (one !== vals[key]) note(`${key}: single evaluation gave ${JSON.stringify(one)}, evaluate-all ${JSON.stringify(vals[key])} for ${u.id}`);
    }
  }
  const problems = [...shareProblems, ...mismatches];
  if (mismatchCount > mismatches.length) problems.push(`... and ${mismatchCount - mismatches.length} more mismatches`);
  return { ok: problems.length === 0, problems, shares };
}
