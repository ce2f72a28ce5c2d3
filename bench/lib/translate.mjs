// The logical ruleset (model.mjs) written in each engine's own format.
// Each translation uses the engine's idiomatic construct for the job: its
// percentage rollout, its attribute conditions, its weighted variants.
// Where an engine lacks an operator, the closest equivalent is named in a
// comment (GrowthBook has no "ends with": a regex does it).

import { ROLLOUT_PERCENT, SPLIT } from './model.mjs';

const RULE_PLAN = 'enterprise';
const RULE_COUNTRIES = ['US', 'CA'];
const RULE_SUFFIX = '@company.com';
const VARIANTS = SPLIT.map(([v]) => v);

/** edgeflags (examples/ruleset.json format). */
export function toEdgeflags(flags) {
  const out = {};
  for (const f of flags) {
    switch (f.kind) {
      case 'bool':
        out[f.key] = f.value;
        break;
      case 'rollout':
        out[f.key] = { percentage: ROLLOUT_PERCENT };
        break;
      case 'rule':
        out[f.key] = {
          rules: [
            {
              id: 'enterprise-na',
              conditions: [
                { attribute: 'plan', op: 'eq', value: RULE_PLAN },
                { attribute: 'country', op: 'in', values: RULE_COUNTRIES },
              ],
              variant: 'on',
            },
            { id: 'employees', conditions: [{ attribute: 'email', op: 'ends_with', value: RULE_SUFFIX }], variant: 'on' },
          ],
        };
        break;
      case 'split':
        out[f.key] = {
          variants: Object.fromEntries(VARIANTS.map((v) => [v, v])),
          default_variant: VARIANTS[0],
          split: SPLIT.map(([v, w]) => [v, w]),
        };
        break;
    }
  }
  return { schema: 1, version: 1, description: 'Benchmark ruleset (bench/lib/model.mjs)', flags: out };
}

/** GrowthBook feature payload (`{ features }`), hashing on the `id` attribute. */
export function toGrowthBook(flags) {
  const features = {};
  for (const f of flags) {
    switch (f.kind) {
      case 'bool':
        features[f.key] = { defaultValue: f.value };
        break;
      case 'rollout':
        // A rollout rule: force the value for the covered share of users.
        features[f.key] = { defaultValue: false, rules: [{ force: true, coverage: ROLLOUT_PERCENT / 100, hashAttribute: 'id' }] };
        break;
      case 'rule':
        features[f.key] = {
          defaultValue: false,
          rules: [
            { condition: { plan: RULE_PLAN, country: { $in: RULE_COUNTRIES } }, force: true },
            // No "ends with" operator in GrowthBook conditions: an anchored regex.
            { condition: { email: { $regex: '@company\\.com$' } }, force: true },
          ],
        };
        break;
      case 'split':
        features[f.key] = {
          defaultValue: VARIANTS[0],
          rules: [
            {
              key: f.key,
              variations: VARIANTS,
              weights: SPLIT.map(([, w]) => w / 100),
              coverage: 1,
              hashAttribute: 'id',
            },
          ],
        };
        break;
    }
  }
  return { features };
}

/** flagd flag definitions (JSON Logic targeting, `fractional` on the targeting key). */
export function toFlagd(flags) {
  const out = {};
  const onOff = { on: true, off: false };
  for (const f of flags) {
    switch (f.kind) {
      case 'bool':
        out[f.key] = { state: 'ENABLED', variants: onOff, defaultVariant: f.value ? 'on' : 'off' };
        break;
      case 'rollout':
        out[f.key] = {
          state: 'ENABLED',
          variants: onOff,
          defaultVariant: 'off',
          targeting: { fractional: [['on', ROLLOUT_PERCENT], ['off', 100 - ROLLOUT_PERCENT]] },
        };
        break;
      case 'rule':
        out[f.key] = {
          state: 'ENABLED',
          variants: onOff,
          defaultVariant: 'off',
          targeting: {
            if: [
              {
                or: [
                  { and: [{ '==': [{ var: 'plan' }, RULE_PLAN] }, { in: [{ var: 'country' }, RULE_COUNTRIES] }] },
                  { ends_with: [{ var: 'email' }, RULE_SUFFIX] },
                ],
              },
              'on',
              'off',
            ],
          },
        };
        break;
      case 'split':
        out[f.key] = {
          state: 'ENABLED',
          variants: Object.fromEntries(VARIANTS.map((v) => [v, v])),
          defaultVariant: VARIANTS[0],
          targeting: { fractional: SPLIT.map(([v, w]) => [v, w]) },
        };
        break;
    }
  }
  return { flags: out };
}

/** Unleash client features (the `/api/client/features` shape), stickiness on `userId`. */
export function toUnleash(flags) {
  const out = [];
  const base = (name, enabled, strategies, extra = {}) => ({
    name,
    type: 'release',
    enabled,
    stale: false,
    impressionData: false,
    strategies,
    ...extra,
  });
  for (const f of flags) {
    switch (f.kind) {
      case 'bool':
        out.push(base(f.key, f.value, [{ name: 'default', parameters: {}, constraints: [] }]));
        break;
      case 'rollout':
        out.push(
          base(f.key, true, [
            {
              name: 'flexibleRollout',
              parameters: { rollout: String(ROLLOUT_PERCENT), stickiness: 'userId', groupId: f.key },
              constraints: [],
            },
          ]),
        );
        break;
      case 'rule':
        out.push(
          base(f.key, true, [
            {
              name: 'default',
              parameters: {},
              constraints: [
                { contextName: 'plan', operator: 'IN', values: [RULE_PLAN] },
                { contextName: 'country', operator: 'IN', values: RULE_COUNTRIES },
              ],
            },
            {
              name: 'default',
              parameters: {},
              constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: [RULE_SUFFIX] }],
            },
          ]),
        );
        break;
      case 'split':
        // Weights out of 1000.
        out.push(
          base(f.key, true, [{ name: 'default', parameters: {}, constraints: [] }], {
            variants: SPLIT.map(([v, w]) => ({ name: v, weight: w * 10, weightType: 'variable', stickiness: 'userId' })),
          }),
        );
        break;
    }
  }
  return out;
}

/** LaunchDarkly flag data model (what its service sends), weights out of 100,000. */
export function toLaunchDarkly(flags) {
  const out = [];
  const base = (key, variations, extra) => ({
    key,
    version: 1,
    on: true,
    salt: key,
    variations,
    offVariation: 1,
    targets: [],
    contextTargets: [],
    rules: [],
    prerequisites: [],
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
    ...extra,
  });
  for (const f of flags) {
    switch (f.kind) {
      case 'bool':
        out.push(base(f.key, [true, false], { fallthrough: { variation: f.value ? 0 : 1 } }));
        break;
      case 'rollout':
        out.push(
          base(f.key, [true, false], {
            fallthrough: {
              rollout: {
                variations: [
                  { variation: 0, weight: ROLLOUT_PERCENT * 1000 },
                  { variation: 1, weight: (100 - ROLLOUT_PERCENT) * 1000 },
                ],
              },
            },
          }),
        );
        break;
      case 'rule':
        out.push(
          base(f.key, [true, false], {
            fallthrough: { variation: 1 },
            rules: [
              {
                id: 'enterprise-na',
                variation: 0,
                clauses: [
                  { attribute: 'plan', op: 'in', values: [RULE_PLAN], negate: false },
                  { attribute: 'country', op: 'in', values: RULE_COUNTRIES, negate: false },
                ],
              },
              { id: 'employees', variation: 0, clauses: [{ attribute: 'email', op: 'endsWith', values: [RULE_SUFFIX], negate: false }] },
            ],
          }),
        );
        break;
      case 'split':
        out.push(
          base(f.key, VARIANTS, {
            offVariation: 0,
            fallthrough: { rollout: { variations: SPLIT.map(([, w], i) => ({ variation: i, weight: w * 1000 })) } },
          }),
        );
        break;
    }
  }
  return out;
}

/** Flipt evaluation snapshot (the document its client engine loads), namespace `default`. */
export function toFlipt(flags) {
  const str = 'STRING_CONSTRAINT_COMPARISON_TYPE';
  const out = [];
  for (const f of flags) {
    const flag = { key: f.key, name: f.key, type: 'BOOLEAN_FLAG_TYPE', enabled: false, rules: [], rollouts: [] };
    switch (f.kind) {
      case 'bool':
        // A boolean flag with no rollouts serves `enabled`.
        flag.enabled = f.value;
        break;
      case 'rollout':
        flag.rollouts = [{ threshold: { percentage: ROLLOUT_PERCENT, value: true } }];
        break;
      case 'rule':
        flag.rollouts = [
          {
            segment: {
              segmentOperator: 'OR_SEGMENT_OPERATOR',
              value: true,
              segments: [
                {
                  key: 'enterprise-na',
                  matchType: 'ALL_SEGMENT_MATCH_TYPE',
                  constraints: [
                    { type: str, property: 'plan', operator: 'eq', value: RULE_PLAN },
                    { type: str, property: 'country', operator: 'isoneof', value: JSON.stringify(RULE_COUNTRIES) },
                  ],
                },
                {
                  key: 'employees',
                  matchType: 'ALL_SEGMENT_MATCH_TYPE',
                  constraints: [{ type: str, property: 'email', operator: 'suffix', value: RULE_SUFFIX }],
                },
              ],
            },
          },
        ];
        break;
      case 'split':
        flag.type = 'VARIANT_FLAG_TYPE';
        flag.enabled = true;
        flag.rules = [
          {
            // A segment with no constraints matches everyone.
            segments: [{ key: 'everyone', matchType: 'ALL_SEGMENT_MATCH_TYPE', constraints: [] }],
            segmentOperator: 'OR_SEGMENT_OPERATOR',
            distributions: SPLIT.map(([v, w]) => ({ variantKey: v, rollout: w })),
          },
        ];
        break;
    }
    out.push(flag);
  }
  return { namespace: { key: 'default' }, flags: out };
}
