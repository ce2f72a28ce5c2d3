// Type check of the package's index.d.ts (types.test.mjs runs tsc --noEmit on it):
// every API used as documented compiles under strict, and each
// line marked with a ts-expect-error directive must fail to compile (tsc
// reports an unused directive otherwise).
import { Flags, EdgeflagsError, bucket, syncFlags, type Ruleset, type Evaluation, type PreparedContext, type FlagResult, type EventsStats, type EventsError } from 'edgeflags';

const rs: Ruleset = {
  version: 1,
  flags: {
    a: true,
    b: 20,
    c: ['user:1'],
    d: { percentage: 20, bucket_by: 'tenant_id' },
    e: { variants: { x: 1, y: { deep: [1, 'two', null] } }, default_variant: 'x', rules: [{ id: 'r', conditions: [{ attribute: 'plan', op: 'in', values: ['pro', 1, true] }, { op: 'in_segment', value: 's' }], variant: 'y' }] },
    f: { schedule: { type: 's_curve', start: '2026-01-01', duration_hours: 72 }, split: [{ variant: 'on', weight: 50 }, ['off', 50]] },
  },
  segments: { s: { users: ['u'], conditions: [{ attribute: 'email', op: 'glob', value: '*@x.com' }] } },
  routes: [{ path: '/api/*', flag: 'a', upstreams: { on: 'http://a', off: 'http://b' } }],
};
const flags = new Flags(rs, { now: () => 0 });
const flags2 = new Flags('{"flags": {}}');
const ctx: PreparedContext = flags.context({ user_id: 'u', plan: 'pro', signup: new Date(), n: 1n, groups: ['a', 'b'], meta: { k: [1] } });
const b: boolean = flags.isEnabled('a', ctx);
const n: number = flags.getValue('e', { user_id: 42 }, 0);
const s: string = flags.getValue('e', null, 'x');
const bb: boolean = flags.getValue('a', undefined, false);
const anyv = flags.getValue('e', ctx, null);
const ev: Evaluation<number> = flags.evaluate('e', ctx, 5);
const ev2 = flags.evaluate('e');
const variant: string | null = flags.variant('e', ctx);
const all: { [key: string]: FlagResult } = flags.evaluateAll(ctx);
const active: string[] = flags.activeFlags({ user_id: 'u' });
flags.enable('a').disable('b').override('e', { x: [1] }).reset('a').reset();
const v: number = flags.version;
const keys: string[] = flags.keys();
const bk: number = bucket('s', 'u');
try { flags.update('{}'); } catch (e) { if (e instanceof EdgeflagsError) { const c: 'INVALID_RULESET' | 'INVALID_CONTEXT' | 'INVALID_ARGUMENT' | 'FREED' | 'SYNC_FAILED' | 'ABI_MISMATCH' | 'EVENTS_FAILED' = e.code; e.problems.forEach((p) => p.path + p.message); } }
async function main() {
  const sync = await syncFlags('http://127.0.0.1/v1/ruleset', { interval: 1000, onChange: (f, c) => { const x: number = c.version; const p: number | null = c.previousVersion; }, onError: (e) => e.message });
  const ok: boolean = await sync.refresh();
  sync.flags.isEnabled('a');
  sync.stop();
}
ctx.free(); flags.free(); flags2.free();
console.log(b, n, s, bb, anyv, ev, ev2, variant, all, active, v, keys, bk, main);
// @ts-expect-error: a number default never yields a string
const wrong: string = flags.getValue('e', null, 0);
// @ts-expect-error: unknown op
const bad: Ruleset = { flags: { x: { rules: [{ conditions: [{ attribute: 'a', op: 'startswith', value: 'x' }] }] } } };
// @ts-expect-error: a context is an object
flags.isEnabled('a', 'user-1');

// Experiment events.
const tracked = new Flags(rs, {
  events: { url: 'https://flags.example.com/v1/events', key: 'write-key', flushAt: 50, flushIntervalMs: 5000, maxQueue: 10000, dedup: 10000, maxRetries: 5, timeout: 10000, onError: (e: EventsError) => console.warn(e.status, e.dropped, e.problems) },
});
tracked.track('purchase', { user_id: 'u' }, 19.99);
tracked.track('signup', tracked.context({ user_id: 'u' }));
tracked.track('seat_added', 'team:7');
const servedVariant: string | null = tracked.outcome('b', { user_id: 'u' }, { error: false, latencyMs: 12, metrics: { checkout_failed: 0 } });
const viaTrack: string | null = tracked.track('checkout_failed', { user_id: 'u' }, 1, { flag: 'b', latencyMs: 3 });
// @ts-expect-error: error is a boolean
tracked.outcome('b', { user_id: 'u' }, { error: 'yes' });
// Flag usage counts are on by default with events; usage: false turns them off.
const uncounted = new Flags(rs, { events: { url: 'https://flags.example.com/v1/events', usage: false } });
// @ts-expect-error: usage is a boolean
new Flags(rs, { events: { url: 'https://flags.example.com/v1/events', usage: 'off' } });
console.log(uncounted.events?.stats);
console.log(servedVariant, viaTrack);
const stats: EventsStats | undefined = tracked.events?.stats;
async function sendNow() {
  const all: boolean = await tracked.flush();
  const closed: boolean = await tracked.close();
  return [all, closed, stats];
}
console.log(sendNow);
// @ts-expect-error: a value is a number
tracked.track('purchase', { user_id: 'u' }, '19.99');
// @ts-expect-error: events need a url
new Flags(rs, { events: { key: 'k' } });
