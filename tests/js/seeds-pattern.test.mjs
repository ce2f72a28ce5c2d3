// The seeds' test pattern ("Bypassing Flags in Tests: test both flag states
// explicitly"): the same test body runs once with the flag enabled and once
// disabled, pinned with flags.enable() / flags.disable() and cleaned with
// flags.reset(), whatever the ruleset itself says.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Flags } from '../../pkg/dist/node.mjs';

// The code under test: a page that picks its dashboard by flag.
function renderDashboard(flags, user) {
  return flags.isEnabled('new-dashboard', user) ? `<NewDashboard user="${user.user_id}">` : `<OldDashboard user="${user.user_id}">`;
}

// The ruleset rolls new-dashboard out to 50 %: without pinning, which
// dashboard a test sees would depend on the test user's bucket.
const flags = new Flags({ flags: { 'new-dashboard': { percentage: 50 } } });
const users = Array.from({ length: 20 }, (_, i) => ({ user_id: `test-user-${i}` }));

for (const state of ['enabled', 'disabled']) {
  describe(`dashboard with new-dashboard ${state}`, () => {
    beforeEach(() => {
      if (state === 'enabled') flags.enable('new-dashboard');
      else flags.disable('new-dashboard');
    });
    afterEach(() => flags.reset());

    it(`shows the ${state === 'enabled' ? 'new' : 'old'} dashboard to every user`, () => {
      for (const user of users) {
        const html = renderDashboard(flags, user);
        assert.equal(html.startsWith(state === 'enabled' ? '<NewDashboard' : '<OldDashboard'), true, html);
      }
    });

    it('reports the pin as an override', () => {
      assert.deepEqual(flags.evaluate('new-dashboard', users[0]), { value: state === 'enabled', variant: state === 'enabled' ? 'on' : 'off', reason: 'OVERRIDE' });
    });
  });
}

describe('after reset()', () => {
  it('the rollout decides again: both dashboards appear among 20 users', () => {
    const seen = new Set(users.map((u) => renderDashboard(flags, u).split(' ')[0]));
    assert.deepEqual([...seen].sort(), ['<NewDashboard', '<OldDashboard']);
  });
});
