// The ruleset of the package's event tests (events.test.mjs in Node,
// events-browser.test.mjs in Chromium): an experiment on a flag-level
// split with a user list and a fixed rule beside it (neither exposes), a
// killed experiment, an experiment on a percentage bucketed by `team`, and
// a split that is no experiment.
export const RULESET = {
  version: 7,
  flags: {
    plain: { split: [['on', 50], ['off', 50]] },
    exp: {
      variants: { control: 'blue', a: 'green' },
      default_variant: 'control',
      targets: [{ variant: 'a', users: ['qa'] }],
      rules: [{ id: 'ent', conditions: [{ attribute: 'plan', op: 'eq', value: 'enterprise' }], variant: 'a' }],
      split: [['control', 50], ['a', 50]],
      experiment: { control: 'control', metrics: ['purchase', { event: 'revenue', kind: 'mean' }] },
    },
    killed_exp: { killed: true, split: [['on', 50], ['off', 50]], experiment: { control: 'off', metrics: ['purchase'] } },
    team_exp: { percentage: 50, bucket_by: 'team', experiment: { control: 'off', metrics: ['signup'] } },
  },
};
