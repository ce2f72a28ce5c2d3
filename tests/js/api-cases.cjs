// The package's API tests, one body run over both Node builds: the ESM
// bundle (api.test.mjs) and the CommonJS bundle (api.test.cjs).
//
// Expected values come from the ruleset format's documented semantics
// (docs/ruleset.md) and from bucket(), itself pinned to the Python
// reference by the shared vectors; none is copied from the package's own
// output.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'ruleset.json'), 'utf8'));
// 2026-11-21: every example schedule has started; new_checkout's steps are at 100 %.
const NOW = Date.parse('2026-11-21T00:00:00Z');

module.exports = function defineApiTests(api, { describe, it, assert }) {
  const { Flags, EdgeflagsError, bucket } = api;
  const example = () => new Flags(EXAMPLE, { now: () => NOW });
  const users = Array.from({ length: 300 }, (_, i) => `user-${i * 7919}`);

  describe('loading', () => {
    it('takes an object or JSON text, and reports version and keys', () => {
      const a = new Flags(EXAMPLE);
      const b = new Flags(JSON.stringify(EXAMPLE));
      assert.equal(a.version, EXAMPLE.version);
      assert.deepEqual(a.keys(), Object.keys(EXAMPLE.flags));
      assert.deepEqual(b.keys(), a.keys());
      a.free();
      b.free();
    });

    it('rejects an invalid ruleset with every path-tagged problem', () => {
      const bad = {
        flags: {
          x: { rules: [{ conditions: [{ attribute: 'a', op: 'startswith', value: 'b' }], variant: 'on' }] },
          y: { variants: { a: 1, b: 2 }, default_variant: 'c' },
        },
      };
      let err;
      assert.throws(() => new Flags(bad), (e) => (err = e) instanceof EdgeflagsError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'EdgeflagsError');
      assert.equal(err.code, 'INVALID_RULESET');
      const paths = err.problems.map((p) => p.path);
      assert.ok(paths.includes('flags.x.rules[0].conditions[0].op'), paths.join(', '));
      assert.ok(paths.some((p) => p.startsWith('flags.y.default_variant')), paths.join(', '));
      for (const p of err.problems) assert.equal(typeof p.message, 'string');
      assert.match(err.message, /startswith/);
    });

    it('rejects what is not a ruleset without a trap', () => {
      const cyclic = { flags: {} };
      cyclic.self = cyclic;
      for (const input of [42, null, undefined, true, '{"flags":', '[]', cyclic, { flags: 'no' }, 'x'.repeat(17 * 1024 * 1024)]) {
        assert.throws(
          () => new Flags(input),
          (e) => e instanceof EdgeflagsError && e.code === 'INVALID_RULESET' && e.problems.length > 0,
        );
      }
    });

    it('keeps the old ruleset when update() fails, and swaps when it succeeds', () => {
      const f = new Flags({ version: 3, flags: { a: true } });
      assert.throws(() => f.update({ version: 4, flags: { a: { percentage: 120 } } }), { code: 'INVALID_RULESET' });
      assert.equal(f.version, 3);
      assert.equal(f.isEnabled('a'), true);
      f.update({ version: 5, flags: { a: false, b: true } });
      assert.equal(f.version, 5);
      assert.equal(f.isEnabled('a'), false);
      assert.equal(f.isEnabled('b'), true);
      f.free();
    });

    it('validates options', () => {
      assert.throws(() => new Flags({ flags: {} }, { now: 5 }), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => new Flags({ flags: {} }, { codegen: 'no' }), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => new api.PreparedContext({}, { user_id: 'u' }), { code: 'INVALID_ARGUMENT' });
    });
  });

  describe('evaluation (examples/ruleset.json, docs/ruleset.md semantics)', () => {
    it('serves static, killed, user-list and rule flags', () => {
      const f = example();
      assert.deepEqual(f.evaluate('new_dashboard'), { value: true, variant: 'on', reason: 'STATIC' });
      assert.deepEqual(f.evaluate('search_indexing', { user_id: 'u' }), { value: false, variant: 'off', reason: 'DISABLED' });
      assert.deepEqual(f.evaluate('dark_mode', { user_id: 'user:42' }), { value: true, variant: 'on', reason: 'TARGETING_MATCH', ruleId: 'users' });
      assert.equal(f.isEnabled('dark_mode', { user_id: 'user:43' }), false);
      assert.deepEqual(f.evaluate('max_upload_mb', { plan: 'enterprise' }, 0), { value: 1000, variant: 'huge', reason: 'TARGETING_MATCH', ruleId: 'enterprise' });
      assert.equal(f.getValue('max_upload_mb', { plan: 'team' }, 0), 100);
      assert.deepEqual(f.evaluate('max_upload_mb', { plan: 'free' }, 0), { value: 10, variant: 'small', reason: 'DEFAULT' });
      assert.equal(f.variant('max_upload_mb', { plan: 'pro' }), 'large');
      f.free();
    });

    it('buckets rollouts by bucket(salt, unit) < percentage, and never without a unit', () => {
      const f = example();
      let inside = 0;
      for (const u of users) {
        const want = bucket('new_search', u) < 20;
        inside += want ? 1 : 0;
        assert.equal(f.isEnabled('new_search', { user_id: u }), want, u);
        assert.deepEqual(f.evaluate('new_search', { user_id: u }), { value: want, variant: want ? 'on' : 'off', reason: 'SPLIT' });
      }
      assert.ok(inside > 30 && inside < 90, `${inside} of 300 in a 20% rollout`);
      assert.deepEqual(f.evaluate('new_search', {}), { value: false, variant: 'off', reason: 'DEFAULT' });
      assert.deepEqual(f.evaluate('new_search'), { value: false, variant: 'off', reason: 'DEFAULT' });
      f.free();
    });

    it('splits by the weights in order, on bucket_by and salt', () => {
      const f = example();
      for (const u of users) {
        const b = bucket('search-ranking-2026', u);
        const want = b < 70 ? 'bm25' : 'neural';
        assert.equal(f.variant('search_ranking', { tenant_id: u, user_id: 'same-user' }), want);
      }
      assert.deepEqual(f.getValue('search_ranking', { tenant_id: 't' }, null), bucket('search-ranking-2026', 't') < 70 ? { model: 'bm25', boost: 1 } : { model: 'neural-v3', boost: 1.4 });
      f.free();
    });

    it('follows a schedule through the injected clock', () => {
      const at = (iso) => new Flags(EXAMPLE, { now: () => Date.parse(iso) });
      const before = at('2026-09-30T00:00:00Z');
      const done = at('2026-10-23T00:00:00Z');
      for (const u of users.slice(0, 50)) {
        assert.equal(before.isEnabled('new_checkout', { user_id: u }), false);
        assert.equal(done.isEnabled('new_checkout', { user_id: u }), true);
      }
      before.free();
      done.free();
    });

    it('reports what decided: targets, prerequisites, rule ids', () => {
      const f = example();
      const employee = { user_id: 'qa-1', email: 'dev@company.com' };
      assert.deepEqual(f.evaluate('checkout_experiment', employee), { value: 'red', variant: 'variant_b', reason: 'TARGETING_MATCH', ruleId: 'targets[0]' });
      // Blocked region: new_checkout serves off, so its prerequisite fails.
      const blocked = { user_id: 'qa-1', country: 'KP' };
      assert.deepEqual(f.evaluate('new_checkout', blocked), { value: false, variant: 'off', reason: 'TARGETING_MATCH', ruleId: 'blocked-regions' });
      assert.deepEqual(f.evaluate('checkout_experiment', blocked), { value: 'blue', variant: 'control', reason: 'PREREQUISITE_FAILED', ruleId: 'new_checkout' });
      f.free();
    });

    it('returns the default with an error code, never a throw', () => {
      const f = example();
      assert.deepEqual(f.evaluate('nope', {}, 7), { value: 7, variant: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
      assert.deepEqual(f.evaluate('max_upload_mb', {}, 'big'), { value: 'big', variant: null, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
      assert.equal(f.getValue('max_upload_mb', {}, false), false);
      assert.equal(f.getValue('nope', {}, 'd'), 'd');
      assert.equal(f.getValue('nope'), undefined);
      // A json flag serves objects: a string default does not fit them.
      assert.deepEqual(f.evaluate('search_ranking', { tenant_id: 't' }, 'x'), { value: 'x', variant: null, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
      assert.equal(f.variant('nope'), null);
      assert.equal(f.isEnabled('nope'), false);
      for (const key of [123, undefined, null, {}, Symbol('k'), ['new_dashboard']]) {
        assert.equal(f.isEnabled(key), false);
        assert.equal(f.evaluate(key, {}, 1).errorCode, 'FLAG_NOT_FOUND');
      }
      f.free();
    });

    it('evaluates all flags and lists the active ones consistently', () => {
      const f = example();
      const ctx = { user_id: 'user:1', email: 'a@company.com', plan: 'enterprise', tenant_id: 't9' };
      const all = f.evaluateAll(ctx);
      assert.deepEqual(Object.keys(all), f.keys());
      for (const k of f.keys()) {
        const one = f.evaluate(k, ctx);
        assert.deepEqual(all[k], { value: one.value, variant: one.variant, reason: one.reason }, k);
      }
      const truthy = (v) => v !== false && v !== null && v !== 0 && v !== '';
      assert.deepEqual(f.activeFlags(ctx), f.keys().filter((k) => truthy(all[k].value)));
      assert.ok(!f.activeFlags(ctx).includes('search_indexing'));
      assert.ok(f.activeFlags(ctx).includes('max_upload_mb'));
      f.free();
    });

    it('builds the same evaluateAll object with and without a generated function', () => {
      // Keys a generated object literal must write exactly, or that JS
      // orders specially (integer-like keys come first).
      const odd = ['a.b', 'a:b', 'a-b', '10', '2', '007', '1e3', '0x1', 'constructor', 'toString', 'hasOwnProperty', 'z'];
      const doc = { flags: Object.fromEntries(odd.map((k, i) => [k, { rules: [{ conditions: [{ attribute: 'n', op: 'gte', value: i }], variant: 'on' }] }])) };
      const gen = new Flags(doc);
      const loop = new Flags(doc, { codegen: false });
      for (const n of [0, 3, 7, 20]) {
        const a = gen.evaluateAll({ n });
        const b = loop.evaluateAll({ n });
        assert.deepEqual(Object.keys(a), Object.keys(b));
        assert.deepEqual(a, b);
        assert.equal(Object.getPrototypeOf(a), Object.prototype);
        for (const k of odd) assert.equal(a[k].value, odd.indexOf(k) <= n, k);
      }
      gen.free();
      loop.free();
    });

    it('handles a flag named __proto__', () => {
      const f = new Flags('{"flags": {"__proto__": true, "b": false}}');
      const all = f.evaluateAll();
      assert.equal(Object.getPrototypeOf(all), Object.prototype);
      assert.deepEqual(Object.keys(all), ['__proto__', 'b']);
      assert.equal(all['__proto__'].value, true);
      f.free();
    });

    it('returns frozen values, so callers cannot corrupt the cache', () => {
      const f = example();
      const v = f.getValue('search_ranking', { tenant_id: 't' }, null);
      assert.ok(Object.isFrozen(v));
      assert.throws(() => {
        'use strict';
        v.model = 'hacked';
      }, TypeError);
      f.free();
    });
  });

  describe('contexts', () => {
    it('gives the same results for prepared contexts and plain objects', () => {
      const f = example();
      for (const [i, u] of users.slice(0, 100).entries()) {
        const attrs = { user_id: u, tenant_id: `t${i % 7}`, plan: ['free', 'pro', 'enterprise'][i % 3], country: ['US', 'CA', 'KP', 'FR'][i % 4], email: i % 5 ? `${u}@x.org` : `${u}@company.com` };
        const ctx = f.context(attrs);
        assert.deepEqual(f.evaluateAll(ctx), f.evaluateAll(attrs));
        for (const k of f.keys()) assert.deepEqual(f.evaluate(k, ctx), f.evaluate(k, attrs), k);
        ctx.free();
      }
      f.free();
    });

    it('rebuilds a prepared context when update() reads new attributes', () => {
      const f = new Flags({ flags: { a: { users: ['u1'] } } });
      const ctx = f.context({ user_id: 'u2', plan: 'pro' });
      assert.equal(f.isEnabled('a', ctx), false);
      f.update({ flags: { a: { rules: [{ conditions: [{ attribute: 'plan', op: 'eq', value: 'pro' }], variant: 'on' }] } } });
      assert.equal(f.isEnabled('a', ctx), true);
      assert.deepEqual(ctx.attributes, { user_id: 'u2', plan: 'pro' });
      f.free();
    });

    it('snapshots a prepared context; re-reads a plain object on every call', () => {
      const f = new Flags({ flags: { pro: { rules: [{ conditions: [{ attribute: 'plan', op: 'eq', value: 'pro' }], variant: 'on' }] }, admin: { rules: [{ conditions: [{ attribute: 'groups', op: 'in', values: ['admin'] }], variant: 'on' }] } } });
      const attrs = { plan: 'pro', groups: ['dev'] };
      const ctx = f.context(attrs);
      assert.equal(f.isEnabled('pro', attrs), true);
      attrs.plan = 'free';
      assert.equal(f.isEnabled('pro', attrs), false);
      assert.equal(f.isEnabled('pro', ctx), true);
      delete attrs.plan;
      assert.equal(f.isEnabled('pro', attrs), false);
      attrs.plan = 'pro';
      assert.equal(f.isEnabled('pro', attrs), true);
      assert.equal(f.isEnabled('admin', attrs), false);
      attrs.groups.push('admin');
      assert.equal(f.isEnabled('admin', attrs), true);
      attrs.groups.pop();
      assert.equal(f.isEnabled('admin', attrs), false);
      // Another object after this one: nothing of the first one leaks.
      assert.equal(f.isEnabled('pro', {}), false);
      assert.equal(f.isEnabled('pro', { plan: 'pro' }), true);
      assert.equal(f.isEnabled('pro'), false);
      f.free();
    });

    it('sends one flag only what it reads, and nothing stale afterwards', () => {
      const f = example();
      const a = { user_id: 'user:42', plan: 'enterprise', country: 'US', email: 'x@company.com', tenant_id: 't1' };
      const b = { user_id: 'user:7', plan: 'free' };
      // Each call sees exactly its own object, whatever the previous call sent.
      const order = ['dark_mode', 'max_upload_mb', 'new_checkout', 'search_ranking', 'checkout_experiment', 'beta_features'];
      const expected = new Map(order.map((k) => [k, [f.evaluate(k, f.context(a)), f.evaluate(k, f.context(b))]]));
      for (let round = 0; round < 3; round++) {
        for (const k of order) {
          assert.deepEqual(f.evaluate(k, a), expected.get(k)[0], k);
          assert.deepEqual(f.evaluate(k, b), expected.get(k)[1], k);
        }
        assert.deepEqual(f.evaluateAll(b), f.evaluateAll(f.context(b)));
        assert.deepEqual(f.evaluateAll(a), f.evaluateAll(f.context(a)));
      }
      f.free();
    });

    it('reads many-attribute rulesets by the context keys, clearing old ones', () => {
      const flags = {};
      for (let i = 0; i < 40; i++) flags[`f${i}`] = { rules: [{ conditions: [{ attribute: `a${i}`, op: 'eq', value: 'yes' }], variant: 'on' }] };
      const f = new Flags({ flags });
      const active = (ctx) => f.activeFlags(ctx).join(',');
      assert.equal(active({ a3: 'yes', a39: 'yes', other: 1 }), 'f3,f39');
      assert.equal(active({ a5: 'yes' }), 'f5');
      assert.equal(active({ a5: 'yes', a3: 'no' }), 'f5');
      assert.equal(active({}), '');
      assert.equal(active({ a0: 'yes', a1: 'yes' }), 'f0,f1');
      assert.equal(f.isEnabled('f1', { a1: 'yes' }), true);
      assert.equal(f.isEnabled('f0', { a1: 'yes' }), false);
      // Single flags set slots one by one; evaluateAll must still clear them.
      assert.equal(f.isEnabled('f7', { a7: 'yes' }), true);
      assert.equal(active({ a8: 'yes' }), 'f8');
      assert.equal(f.isEnabled('f7', { a8: 'yes' }), false);
      assert.equal(active({}), '');
      f.free();
    });

    it('reads values as JSON.stringify writes them (the CLI and the Worker read JSON)', () => {
      const f = new Flags({
        flags: {
          listed: { users: ['42', 'true'] },
          old: { rules: [{ conditions: [{ attribute: 'signup', op: 'before', value: '2025-01-01T00:00:00Z' }], variant: 'on' }] },
          num: { rules: [{ conditions: [{ attribute: 'age', op: 'gte', value: 30 }], variant: 'on' }] },
        },
      });
      assert.equal(f.isEnabled('listed', { user_id: 42 }), true);
      assert.equal(f.isEnabled('listed', { user_id: 42n }), true);
      assert.equal(f.isEnabled('listed', { user_id: true }), true);
      assert.equal(f.isEnabled('old', { signup: new Date('2024-06-01T00:00:00Z') }), true);
      assert.equal(f.isEnabled('old', f.context({ signup: new Date('2024-06-01T00:00:00Z') })), true);
      assert.equal(f.isEnabled('old', { signup: new Date('2025-06-01T00:00:00Z') }), false);
      assert.equal(f.isEnabled('num', { age: '31' }), true);
      assert.equal(f.isEnabled('num', { age: NaN }), false);
      assert.equal(f.isEnabled('num', { age: () => 40 }), false);
      f.free();
    });

    it('never traps on bad contexts: INVALID_CONTEXT and the default', () => {
      const f = example();
      let deep = 'leaf';
      for (let i = 0; i < 200; i++) deep = [deep];
      const cyclic = { user_id: 'u' };
      cyclic.plan = cyclic;
      const notObjects = ['user-1', 42, true, ['user_id', 'x']];
      const badPlan = [{ plan: deep }, { plan: cyclic }];
      for (const bad of [...notObjects, ...badPlan]) {
        assert.deepEqual(f.evaluate('max_upload_mb', bad, 5), { value: 5, variant: null, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
        assert.equal(f.getValue('max_upload_mb', bad, 5), 5);
        const all = f.evaluateAll(bad);
        assert.equal(all.new_dashboard.errorCode, 'INVALID_CONTEXT');
        assert.deepEqual(f.activeFlags(bad), []);
        assert.throws(() => f.context(bad), (e) => e instanceof EdgeflagsError && e.code === 'INVALID_CONTEXT');
      }
      for (const bad of notObjects) assert.equal(f.isEnabled('new_dashboard', bad), false);
      // One flag is read lazily: a flag that does not read `plan` is fine.
      for (const bad of badPlan) {
        assert.equal(f.isEnabled('new_dashboard', bad), true);
        assert.equal(f.isEnabled('dark_mode', { ...bad, user_id: 'user:42' }), true);
      }
      // The engine is still sound afterwards.
      assert.equal(f.getValue('max_upload_mb', { plan: 'pro' }, 0), 100);
      f.free();
    });

    it('ignores what the ruleset does not read, however large', () => {
      const f = example();
      const huge = { plan: 'enterprise' };
      for (let i = 0; i < 100000; i++) huge[`k${i}`] = i;
      huge.blob = 'x'.repeat(1 << 20);
      assert.equal(f.getValue('max_upload_mb', huge, 0), 1000);
      assert.equal(f.getValue('max_upload_mb', f.context(huge), 0), 1000);
      f.free();
    });

    it('remembers results only while they cannot change: ruleset and clock', () => {
      const rule = (plan) => ({ flags: { a: { rules: [{ conditions: [{ attribute: 'plan', op: 'eq', value: plan }], variant: 'on' }] } } });
      const f = new Flags(rule('pro'));
      const ctx = f.context({ plan: 'pro' });
      const plain = { plan: 'pro' };
      for (let k = 0; k < 3; k++) {
        assert.equal(f.isEnabled('a', ctx), true);
        assert.equal(f.isEnabled('a', plain), true);
        assert.equal(f.evaluateAll(ctx).a.value, true);
        assert.equal(f.evaluateAll(plain).a.value, true);
      }
      // Same attributes read, other values: every remembered result is dropped.
      f.update(rule('team'));
      assert.equal(f.isEnabled('a', ctx), false);
      assert.equal(f.isEnabled('a', plain), false);
      assert.equal(f.evaluateAll(ctx).a.value, false);
      assert.equal(f.evaluateAll(plain).a.value, false);
      plain.plan = 'team';
      assert.equal(f.evaluateAll(plain).a.value, true);
      assert.equal(f.isEnabled('a', plain), true);
      f.free();

      // A schedule: the same context changes with the clock alone.
      let now = Date.parse('2026-01-01T00:00:00Z');
      const g = new Flags(
        { flags: { ramp: { schedule: { type: 'linear', start: '2026-01-01T00:00:00Z', duration_hours: 100 } }, fixed: { percentage: 50 } } },
        { now: () => now },
      );
      const ids = users.slice(0, 60);
      const prepared = ids.map((u) => g.context({ user_id: u }));
      const count = (ctxs) => ctxs.filter((c) => g.isEnabled('ramp', c)).length;
      const plains = ids.map((u) => ({ user_id: u }));
      assert.equal(count(prepared), 0);
      assert.equal(count(plains), 0);
      assert.equal(g.activeFlags(prepared[0]).includes('ramp'), false);
      now += 100 * 3600 * 1000;
      assert.equal(count(prepared), ids.length);
      assert.equal(count(plains), ids.length);
      assert.equal(g.activeFlags(prepared[0]).includes('ramp'), true);
      assert.equal(g.evaluateAll(plains[0]).ramp.value, true);
      g.free();
    });

    it('evaluates a context prepared by another instance through its attributes', () => {
      const a = example();
      const b = new Flags({ flags: { pro: { rules: [{ conditions: [{ attribute: 'plan', op: 'eq', value: 'pro' }], variant: 'on' }] } } });
      const ctx = a.context({ plan: 'pro' });
      assert.equal(b.isEnabled('pro', ctx), true);
      a.free();
      b.free();
    });
  });

  describe('batched attribute input', () => {
    // A plain object's attributes, and a prepared context's, reach wasm as
    // one batch in a shared buffer (src/wasm.rs Engine::apply); these cases
    // push its edges and check the answers against the rules, and plain
    // objects against prepared contexts (cli-compare.test.mjs checks both
    // against the native CLI).
    const ruleset = {
      flags: {
        uni: { rules: [{ conditions: [{ attribute: 'email', op: 'ends_with', value: '@café.fr' }], variant: 'on' }] },
        long: { rules: [{ conditions: [{ attribute: 'blob', op: 'starts_with', value: 'abc' }, { attribute: 'blob', op: 'ends_with', value: 'xyz' }], variant: 'on' }] },
        many: {
          rules: [{
            conditions: Array.from({ length: 40 }, (_, k) => ({ attribute: `a${k}`, op: 'eq', value: `v${k}` })),
            variant: 'on',
          }],
        },
        roll: { percentage: 50 },
      },
    };

    it('non-ASCII text, long strings and many attributes give the prepared-context answers', () => {
      const f = new Flags(ruleset);
      const big = 'abc' + 'é'.repeat(40000) + 'ü'.repeat(30000) + 'xyz';
      const all = Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`a${k}`, `v${k}`]));
      const contexts = [
        { email: 'zoë@café.fr', user_id: 'ünïcode-1' },
        { email: 'zoe@cafe.fr', user_id: 'plain-2' },
        { email: '😀@café.fr', user_id: '😀' },
        { blob: big, user_id: 'u3' },
        { blob: big.slice(0, -1), user_id: 'u4' },
        { blob: 'abcxyz', ...all, user_id: 'u5' },
        { ...all, a39: 'nope', user_id: 'u6' },
        { email: 'x@café.fr', blob: big, ...all, user_id: 'u7' },
      ];
      for (let round = 0; round < 3; round++) {
        for (const ctx of contexts) {
          const fresh = { ...ctx };
          const prepared = f.context(ctx);
          for (const key of ['uni', 'long', 'many', 'roll']) {
            assert.deepEqual(f.evaluate(key, fresh, false), f.evaluate(key, prepared, false), `${key} ${JSON.stringify(ctx).slice(0, 80)}`);
          }
          assert.deepEqual(f.evaluateAll({ ...ctx }), f.evaluateAll(prepared));
          prepared.free();
        }
      }
      assert.equal(f.isEnabled('uni', { email: 'zoë@café.fr' }), true);
      assert.equal(f.isEnabled('uni', { email: 'zoë@cafe.fr' }), false);
      assert.equal(f.isEnabled('long', { blob: big }), true);
      assert.equal(f.isEnabled('long', { blob: big + '!' }), false);
      assert.equal(f.isEnabled('many', all), true);
      assert.equal(f.isEnabled('many', { ...all, a0: 'v1' }), false);
      assert.equal(f.isEnabled('roll', { user_id: 'ünïcode-1' }), bucket('roll', 'ünïcode-1') < 50);
      f.free();
    });

    it('keeps queued attributes when a long one grows the buffer', () => {
      const big = 'abc' + 'é'.repeat(5000) + 'xyz';
      const all = Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`a${k}`, `v${k}`]));
      // a0..a39 sort before blob and email: they are queued when blob grows
      // the 1 KB area of a new instance, and must survive the move.
      const ctx = { ...all, blob: big, email: 'x@café.fr', user_id: 'u7' };
      for (const use of [(f) => ctx, (f) => f.context(ctx)]) {
        for (const [key, call] of [['evaluateAll', (f, c) => f.evaluateAll(c).many.value], ['many', (f, c) => f.isEnabled('many', c)]]) {
          const f = new Flags(ruleset);
          assert.equal(call(f, use(f)), true, key);
          assert.equal(f.isEnabled('uni', use(f)), true);
          assert.equal(f.isEnabled('long', use(f)), true);
          assert.equal(f.isEnabled('many', { ...ctx, a0: 'x' }), false);
          f.free();
        }
      }
    });

    it('numbers, booleans, null and nested values in one batch', () => {
      const f = new Flags({
        flags: {
          age: { rules: [{ conditions: [{ attribute: 'age', op: 'gte', value: 30 }, { attribute: 'beta', op: 'eq', value: true }], variant: 'on' }] },
          groups: { rules: [{ conditions: [{ attribute: 'groups', op: 'in', values: ['staff'] }, { attribute: 'name', op: 'starts_with', value: 'A' }], variant: 'on' }] },
        },
      });
      const cases = [
        [{ age: 31, beta: true, groups: ['x', 'staff'], name: 'Ann' }, true, true],
        [{ age: 29, beta: true, groups: ['staff'], name: 'Bob' }, false, false],
        [{ age: 31, beta: false, groups: null, name: 'Al' }, false, false],
        [{ age: Infinity, beta: true, groups: [['staff']], name: 'Al' }, false, false],
        [{ age: '40', beta: 'true', groups: ['staff'], name: 'Al' }, true, true],
        [{ age: 30, beta: true }, true, false],
      ];
      for (let round = 0; round < 2; round++) {
        for (const [ctx, age, groups] of cases) {
          for (const c of [{ ...ctx }, f.context(ctx)]) {
            assert.equal(f.isEnabled('age', c), age, JSON.stringify(ctx));
            assert.equal(f.isEnabled('groups', c), groups, JSON.stringify(ctx));
            const all = f.evaluateAll(c);
            assert.deepEqual([all.age.value, all.groups.value], [age, groups], JSON.stringify(ctx));
          }
        }
      }
      f.free();
    });

    it('keeps working after update() moves the buffers', () => {
      const f = new Flags(ruleset);
      assert.equal(f.isEnabled('uni', { email: 'a@café.fr' }), true);
      f.update({ flags: { ...ruleset.flags, extra: { rules: [{ conditions: [{ attribute: 'z', op: 'eq', value: 'ä' }], variant: 'on' }] } } });
      assert.equal(f.isEnabled('uni', { email: 'b@café.fr' }), true);
      assert.equal(f.isEnabled('extra', { z: 'ä' }), true);
      assert.equal(f.isEnabled('extra', { z: 'a' }), false);
      f.free();
    });
  });

  describe('test overrides', () => {
    it('win over every rule with reason OVERRIDE, survive update() until reset()', () => {
      const f = example();
      f.enable('search_indexing');
      assert.deepEqual(f.evaluate('search_indexing', {}), { value: true, variant: 'on', reason: 'OVERRIDE' });
      f.disable('new_dashboard').override('max_upload_mb', 5);
      assert.equal(f.isEnabled('new_dashboard'), false);
      assert.deepEqual(f.evaluate('max_upload_mb', { plan: 'enterprise' }, 0), { value: 5, variant: null, reason: 'OVERRIDE' });
      f.update(EXAMPLE);
      assert.equal(f.isEnabled('search_indexing'), true);
      assert.equal(f.evaluateAll().new_dashboard.reason, 'OVERRIDE');
      assert.ok(f.activeFlags().includes('search_indexing'));
      assert.ok(!f.activeFlags().includes('new_dashboard'));
      f.reset('search_indexing');
      assert.equal(f.isEnabled('search_indexing'), false);
      assert.equal(f.isEnabled('new_dashboard'), false);
      f.reset();
      assert.equal(f.isEnabled('new_dashboard'), true);
      assert.equal(f.getValue('max_upload_mb', { plan: 'enterprise' }, 0), 1000);
      f.free();
    });

    it('pins flags the ruleset does not have (yet)', () => {
      const f = example();
      f.enable('new-dashboard');
      assert.equal(f.isEnabled('new-dashboard'), true);
      assert.deepEqual(f.evaluateAll()['new-dashboard'], { value: true, variant: null, reason: 'OVERRIDE' });
      assert.ok(f.activeFlags().includes('new-dashboard'));
      f.override('layout', 'grid');
      assert.equal(f.getValue('layout', {}, 'list'), 'grid');
      assert.deepEqual(f.evaluate('layout', {}, false), { value: false, variant: null, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
      f.free();
    });

    it('names the variant an override matches, and rejects a wrong type or no value', () => {
      const f = example();
      f.override('checkout_experiment', 'green');
      assert.equal(f.variant('checkout_experiment', {}), 'variant_a');
      assert.throws(() => f.override('max_upload_mb', 'big'), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => f.override('max_upload_mb'), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => f.enable(42), { code: 'INVALID_ARGUMENT' });
      f.free();
    });
  });

  describe('bucket and memory', () => {
    it('exports bucket() matching the contract reference values', () => {
      // From shared/spec/bucketing.md's reference implementation.
      assert.equal(bucket('ai_recommendations', 'tenant/920049642'), 17.89072070221666);
      assert.equal(bucket('', 'user-101064292'), 28.778614646005124);
      assert.throws(() => bucket('s', 42), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => bucket(undefined, 'u'), { code: 'INVALID_ARGUMENT' });
    });

    it('free() releases the instance: later calls throw FREED', () => {
      const f = example();
      const ctx = f.context({ user_id: 'u' });
      f.free();
      f.free();
      assert.throws(() => f.isEnabled('new_dashboard', ctx), (e) => e instanceof EdgeflagsError && e.code === 'FREED');
      assert.throws(() => f.update(EXAMPLE), { code: 'FREED' });
    });

    it('a freed prepared context rebuilds on use', () => {
      const f = example();
      const ctx = f.context({ user_id: 'user:42' });
      ctx.free();
      assert.equal(f.isEnabled('dark_mode', ctx), true);
      f.free();
    });

    it('survives many instances and contexts without running out of memory', () => {
      for (let i = 0; i < 300; i++) {
        const f = example();
        for (let j = 0; j < 20; j++) f.context({ user_id: `u${j}` }).free();
        f.free();
      }
      const f = example();
      assert.equal(f.isEnabled('dark_mode', { user_id: 'user:1' }), true);
      f.free();
    });
  });
};
