// One test body for the package's OpenFeature providers (edgeflags/openfeature)
// driven through the real OpenFeature SDKs, run in Node with
// @openfeature/server-sdk and @openfeature/web-sdk (openfeature.test.mjs)
// and in headless Chromium with the web SDK (openfeature-app/, built by
// Vite in browser.test.mjs). It returns what failed (by file and case)
// instead of throwing, so each runtime reports the same list.
//
// `sdk` describes one SDK:
//   { paradigm: 'server' | 'web', OpenFeature, Provider (the edgeflags provider class
//     for that SDK), OtherProvider (the one for the other SDK), openFeatureReason }
// Each check binds its provider to a domain of its own.

// OpenFeature's reason for each edgeflags reason (the contract,
// edgeflags::openfeature::reason): written here from the spec, not read
// from the package.
export const OPENFEATURE_REASONS = {
  STATIC: 'STATIC',
  DEFAULT: 'DEFAULT',
  TARGETING_MATCH: 'TARGETING_MATCH',
  SPLIT: 'SPLIT',
  DISABLED: 'DISABLED',
  ERROR: 'ERROR',
  PREREQUISITE_FAILED: 'DEFAULT',
  OVERRIDE: 'STATIC',
};

// JSON with object keys sorted, so equal JSON compares equal as text.
function canon(v) {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

let domains = 0;
function domain(name) {
  return `${name}-${++domains}`;
}

// The typed getter OpenFeature would use for a default.
function typeOf(def) {
  switch (typeof def) {
    case 'boolean':
      return 'Boolean';
    case 'number':
      return 'Number';
    case 'string':
      return 'String';
    default:
      return 'Object';
  }
}

// Evaluation details for a context, through the SDK's client: the server
// SDK takes the context per call, the web SDK as the domain's static context.
async function details(sdk, client, dom, key, def, context) {
  const getter = `get${typeOf(def)}Details`;
  const d = def === undefined ? null : def;
  if (sdk.paradigm === 'server') return client[getter](key, d, context);
  await sdk.OpenFeature.setContext(dom, context);
  return client[getter](key, d);
}

// The OpenFeature forms of an evaluation vector's context: as written (its
// attributes, `user_id` included, pass through), with a string `user_id`
// given as `targetingKey` instead, and with `targetingKey` winning over
// another `user_id` (the core's rule).
function contextForms(attrs) {
  const forms = [['attributes', attrs]];
  if (typeof attrs.user_id === 'string' && attrs.user_id !== '') {
    const { user_id, ...rest } = attrs;
    forms.push(['targetingKey', { ...rest, targetingKey: user_id }]);
    forms.push(['targetingKey over user_id', { ...rest, user_id: 'someone-else', targetingKey: user_id }]);
  }
  return forms;
}

function expectDetails(where, got, want, def, version) {
  const fail = [];
  if (want.errorCode !== undefined) {
    const wantValue = def === undefined ? null : def;
    if (canon(got.value) !== canon(wantValue)) fail.push(`value ${canon(got.value)}, want the default ${canon(wantValue)}`);
    if (got.errorCode !== want.errorCode) fail.push(`errorCode ${got.errorCode}, want ${want.errorCode}`);
    if (got.reason !== 'ERROR') fail.push(`reason ${got.reason}, want ERROR`);
    if (got.variant !== undefined) fail.push(`variant ${got.variant}, want none`);
  } else {
    if (canon(got.value) !== canon(want.value)) fail.push(`value ${canon(got.value)}, want ${canon(want.value)}`);
    const variant = want.variant === null ? undefined : want.variant;
    if (got.variant !== variant) fail.push(`variant ${got.variant}, want ${variant}`);
    const reason = OPENFEATURE_REASONS[want.reason];
    if (got.reason !== reason) fail.push(`reason ${got.reason}, want ${reason} (${want.reason})`);
    if (got.errorCode !== undefined) fail.push(`errorCode ${got.errorCode}: ${got.errorMessage}`);
    if (got.flagMetadata.version !== version) fail.push(`flagMetadata.version ${got.flagMetadata.version}, want ${version}`);
    if (got.flagMetadata.ruleId !== want.ruleId) fail.push(`flagMetadata.ruleId ${got.flagMetadata.ruleId}, want ${want.ruleId}`);
  }
  return fail.map((f) => `${where}: ${f}`);
}

/** Every evaluation vector through the SDK and the provider (overrides through provider.flags). */
export async function checkEvalVectors(sdk, files) {
  const failures = [];
  let count = 0;
  for (const { file, doc } of files) {
    let now = 0;
    const provider = new sdk.Provider({ ruleset: doc.ruleset, flagsOptions: { now: () => now } });
    const dom = domain('vectors');
    try {
      await sdk.OpenFeature.setProviderAndWait(dom, provider);
    } catch (e) {
      failures.push(`${file}: the provider did not initialize: ${e && e.message}`);
      continue;
    }
    const client = sdk.OpenFeature.getClient(dom);
    for (const c of doc.cases) {
      count++;
      now = c.now === undefined ? 0 : c.now;
      const def = Object.prototype.hasOwnProperty.call(c, 'default') ? c.default : undefined;
      try {
        provider.flags.reset();
        for (const [key, value] of Object.entries(c.overrides || {})) provider.flags.override(key, value);
        for (const [how, ctx] of contextForms(c.context || {})) {
          const got = await details(sdk, client, dom, c.flag, def, ctx);
          failures.push(...expectDetails(`${file}: ${c.name} (${how})`, got, c.expect, def, provider.flags.version));
          if (got.flagKey !== c.flag) failures.push(`${file}: ${c.name}: flagKey ${got.flagKey}`);
        }
      } catch (e) {
        failures.push(`${file}: ${c.name}: threw ${e && e.stack}`);
      }
    }
  }
  return { count, failures };
}

/** The shared bucketing vectors: targetingKey is the bucketing unit. */
export async function checkBucketing(sdk, cases) {
  const failures = [];
  const flags = {};
  cases.forEach((c, i) => {
    flags[`roll_${i}`] = { salt: c.salt, percentage: c.percentage };
    flags[`exp_${i}`] = {
      salt: c.salt,
      variants: Object.fromEntries(c.weights.map(([name]) => [name, name])),
      default_variant: c.weights[0][0],
      split: c.weights,
    };
  });
  const provider = new sdk.Provider({ ruleset: { flags } });
  const dom = domain('bucketing');
  await sdk.OpenFeature.setProviderAndWait(dom, provider);
  const client = sdk.OpenFeature.getClient(dom);
  for (const [i, c] of cases.entries()) {
    const ctx = { targetingKey: c.unit };
    const roll = await details(sdk, client, dom, `roll_${i}`, false, ctx);
    if (roll.value !== c.in_rollout || roll.reason !== 'SPLIT') {
      failures.push(`case ${i}: rollout ${c.percentage}% of ${JSON.stringify(c.unit)} gave ${canon(roll)}, want ${c.in_rollout}`);
    }
    const exp = await details(sdk, client, dom, `exp_${i}`, '', ctx);
    if (exp.value !== c.variant || exp.variant !== c.variant || exp.reason !== 'SPLIT') {
      failures.push(`case ${i}: split gave ${canon(exp)}, want ${c.variant}`);
    }
  }
  return { count: cases.length, failures };
}

// A stand-in for the Worker's GET /v1/ruleset: strong ETag = version, 304
// on If-None-Match, and switches to fail (network error) or serve a ruleset
// that does not load.
export function fakeRulesetServer(doc) {
  const state = { doc, version: 1, fail: false, invalid: false, hang: false, requests: [] };
  state.fetch = async (url, init) => {
    const inm = init && init.headers && init.headers['if-none-match'];
    state.requests.push(inm || '');
    if (state.hang) return new Promise(() => {});
    if (state.fail) throw new TypeError('fetch failed: connection refused');
    const etag = `"${state.version}"`;
    if (inm === etag) return new Response(null, { status: 304, headers: { etag } });
    const body = state.invalid ? '{"flags": {"x": {"percentage": 150}}}' : JSON.stringify({ ...state.doc, version: state.version });
    return new Response(body, { status: 200, headers: { etag, 'content-type': 'application/json' } });
  };
  return state;
}

const EVENTS = ['PROVIDER_READY', 'PROVIDER_ERROR', 'PROVIDER_STALE', 'PROVIDER_CONFIGURATION_CHANGED'];

function recorder(client) {
  const seen = [];
  for (const type of EVENTS) {
    client.addHandler(type, (d) => {
      seen.push({ type, flagsChanged: d && d.flagsChanged, version: d && d.metadata && d.metadata.version, errorCode: d && d.errorCode });
    });
  }
  return seen;
}

// The last events' types, after the handlers have run.
async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * Events, statuses and error codes: READY on the first ruleset,
 * CONFIGURATION_CHANGED (flagsChanged for the web provider's context) on a
 * sync update, STALE when polls fail and READY when they recover, ERROR for
 * a ruleset that does not load, PROVIDER_NOT_READY and PARSE_ERROR without
 * a ruleset, FLAG_NOT_FOUND, TYPE_MISMATCH, INVALID_CONTEXT, the
 * paradigm check, and track() as a no-op.
 */
export async function checkLifecycle(sdk) {
  const failures = [];
  const check = (what, ok, detail) => {
    if (!ok) failures.push(`${what}${detail === undefined ? '' : `: ${detail}`}`);
  };
  const web = sdk.paradigm === 'web';
  const eventTypes = (seen) => seen.map((e) => e.type).join(',');

  // A provider synced from a URL (a fake fetch: no network).
  const five = { variants: { five: 5, six: 6 }, default_variant: 'five' };
  const six = { ...five, default_variant: 'six' };
  const server = fakeRulesetServer({ flags: { a: true, b: { variants: { x: 'X', y: 'Y' }, default_variant: 'x' }, c: five } });
  const provider = new sdk.Provider({ url: 'https://flags.test/v1/ruleset', interval: 0, fetch: server.fetch });
  check('flags is null before the first ruleset', provider.flags === null);
  const dom = domain('lifecycle');
  const client = sdk.OpenFeature.getClient(dom);
  const seen = recorder(client);
  const ctx = { targetingKey: 'user:1' };
  if (web) await sdk.OpenFeature.setContext(dom, ctx);
  const get = async (key, def, type = typeOf(def)) =>
    web ? client[`get${type}Details`](key, def) : client[`get${type}Details`](key, def, ctx);

  await sdk.OpenFeature.setProviderAndWait(dom, provider);
  await settle();
  check('READY after the first ruleset', eventTypes(seen) === 'PROVIDER_READY', eventTypes(seen));
  check('status READY', client.providerStatus === 'READY', client.providerStatus);
  let d = await get('a', false);
  check('a is true', d.value === true && d.reason === 'STATIC' && d.flagMetadata.version === 1, JSON.stringify(d));

  // Not found, type mismatch, an invalid context.
  d = await get('nope', true);
  check('unknown flag: default + FLAG_NOT_FOUND', d.value === true && d.errorCode === 'FLAG_NOT_FOUND' && d.reason === 'ERROR', JSON.stringify(d));
  d = await get('a', 'text');
  check('boolean flag read as a string: default + TYPE_MISMATCH', d.value === 'text' && d.errorCode === 'TYPE_MISMATCH', JSON.stringify(d));
  d = await get('c', false);
  check('number flag read as a boolean: TYPE_MISMATCH', d.value === false && d.errorCode === 'TYPE_MISMATCH', JSON.stringify(d));
  d = await get('b', 0);
  check('string flag read as a number: TYPE_MISMATCH', d.value === 0 && d.errorCode === 'TYPE_MISMATCH', JSON.stringify(d));
  d = await get('c', 1);
  check('number flag read as a number', d.value === 5 && d.errorCode === undefined, JSON.stringify(d));
  d = await get('b', { fallback: true });
  check('string flag read as an object: the core takes it (any JSON)', d.value === 'X' && d.errorCode === undefined, JSON.stringify(d));
  if (web) {
    await sdk.OpenFeature.setContext(dom, { targetingKey: 7 });
    d = client.getBooleanDetails('a', false);
    check('a non-string targetingKey: INVALID_CONTEXT', d.value === false && d.errorCode === 'INVALID_CONTEXT', JSON.stringify(d));
    await sdk.OpenFeature.setContext(dom, ctx);
  } else {
    d = await client.getBooleanDetails('a', false, { targetingKey: 7 });
    check('a non-string targetingKey: INVALID_CONTEXT', d.value === false && d.errorCode === 'INVALID_CONTEXT', JSON.stringify(d));
  }
  try {
    client.track('checkout', web ? { value: 1 } : ctx, web ? undefined : { value: 1 });
  } catch (e) {
    failures.push(`track threw: ${e && e.message}`);
  }

  // A sync update: CONFIGURATION_CHANGED with the new version.
  seen.length = 0;
  server.version = 2;
  server.doc = { flags: { a: false, b: { variants: { x: 'X', y: 'Y' }, default_variant: 'x' }, c: five, d: true } };
  check('refresh loads version 2', (await provider.refresh()) === true);
  await settle();
  check('CONFIGURATION_CHANGED on an update', eventTypes(seen) === 'PROVIDER_CONFIGURATION_CHANGED', eventTypes(seen));
  const changed = seen[0] || {};
  check('the event carries the version', changed.version === 2, JSON.stringify(changed));
  if (web) check('flagsChanged: the flags whose result changed for the context', canon(changed.flagsChanged) === canon(['a', 'd']), canon(changed.flagsChanged));
  else check('no flagsChanged on the server (contexts vary per call)', changed.flagsChanged === undefined, canon(changed.flagsChanged));
  d = await get('a', true);
  check('a is false after the update', d.value === false && d.flagMetadata.version === 2, JSON.stringify(d));

  // Unchanged: a 304, no event.
  seen.length = 0;
  check('refresh on an unchanged ruleset', (await provider.refresh()) === false);
  await settle();
  check('no event on a 304', seen.length === 0, eventTypes(seen));
  check('the poll sent If-None-Match', server.requests[server.requests.length - 1] === '"2"', server.requests.join(' '));

  // Failing polls: STALE once, the last good ruleset keeps serving.
  server.fail = true;
  await provider.refresh();
  await provider.refresh();
  await settle();
  check('STALE once when polls fail', eventTypes(seen) === 'PROVIDER_STALE', eventTypes(seen));
  check('status STALE', client.providerStatus === 'STALE', client.providerStatus);
  d = await get('a', true);
  check('still serving version 2 while stale', d.value === false && d.errorCode === undefined, JSON.stringify(d));

  // Recovered (304): READY again.
  seen.length = 0;
  server.fail = false;
  await provider.refresh();
  await settle();
  check('READY when a poll succeeds again', eventTypes(seen) === 'PROVIDER_READY', eventTypes(seen));
  check('status READY after recovery', client.providerStatus === 'READY', client.providerStatus);

  // The source serves a ruleset that does not load: ERROR (PARSE_ERROR), old one kept.
  seen.length = 0;
  server.version = 3;
  server.invalid = true;
  await provider.refresh();
  await settle();
  check('ERROR for a ruleset that does not load', eventTypes(seen) === 'PROVIDER_ERROR' && seen[0].errorCode === 'PARSE_ERROR', JSON.stringify(seen));
  d = await get('a', true);
  check('still serving version 2 after a bad ruleset', d.value === false && d.flagMetadata.version === 2, JSON.stringify(d));
  seen.length = 0;
  server.invalid = false;
  server.version = 4;
  server.doc = { flags: { a: true, c: five, d: true } };
  await provider.refresh();
  await settle();
  check('READY then CONFIGURATION_CHANGED when a good ruleset comes back', eventTypes(seen) === 'PROVIDER_READY,PROVIDER_CONFIGURATION_CHANGED', eventTypes(seen));
  if (web) check('flagsChanged lists a removed flag', canon(seen[1] && seen[1].flagsChanged) === canon(['a', 'b']), canon(seen[1] && seen[1].flagsChanged));

  // update(): a ruleset pushed by the caller.
  seen.length = 0;
  provider.update({ version: 9, flags: { a: true, c: six, d: true } });
  await settle();
  check('update() emits CONFIGURATION_CHANGED', eventTypes(seen) === 'PROVIDER_CONFIGURATION_CHANGED' && seen[0].version === 9, JSON.stringify(seen));
  if (web) check('update(): flagsChanged', canon(seen[0] && seen[0].flagsChanged) === canon(['c']), canon(seen[0] && seen[0].flagsChanged));
  let threw = null;
  try {
    provider.update({ flags: { x: { percentage: 150 } } });
  } catch (e) {
    threw = e;
  }
  check('update() of an invalid ruleset throws INVALID_RULESET', threw && threw.code === 'INVALID_RULESET', threw && threw.message);

  // The first poll fails: initialize rejects (ERROR), evaluations answer
  // PROVIDER_NOT_READY; the first ruleset then brings READY.
  const down = fakeRulesetServer({ flags: { a: true } });
  down.fail = true;
  const late = new sdk.Provider({ url: 'https://flags.test/v1/ruleset', interval: 0, fetch: down.fetch });
  const dom2 = domain('late');
  const client2 = sdk.OpenFeature.getClient(dom2);
  const seen2 = recorder(client2);
  let rejected = false;
  try {
    await sdk.OpenFeature.setProviderAndWait(dom2, late);
  } catch {
    rejected = true;
  }
  await settle();
  check('initialize rejects when the first poll fails', rejected);
  check('status ERROR after a failed initialize', client2.providerStatus === 'ERROR', client2.providerStatus);
  d = web ? client2.getBooleanDetails('a', false) : await client2.getBooleanDetails('a', false, ctx);
  check('no ruleset: default + PROVIDER_NOT_READY', d.value === false && d.errorCode === 'PROVIDER_NOT_READY', JSON.stringify(d));
  seen2.length = 0;
  down.fail = false;
  await late.refresh();
  await settle();
  check('READY when the first ruleset arrives', eventTypes(seen2) === 'PROVIDER_READY', eventTypes(seen2));
  d = web ? client2.getBooleanDetails('a', false) : await client2.getBooleanDetails('a', false, ctx);
  check('evaluates after the late ruleset', d.value === true && d.errorCode === undefined, JSON.stringify(d));

  // Before initialize has resolved, the SDK itself answers PROVIDER_NOT_READY.
  const hanging = fakeRulesetServer({ flags: { a: true } });
  hanging.hang = true;
  const dom3 = domain('pending');
  sdk.OpenFeature.setProvider(dom3, new sdk.Provider({ url: 'https://flags.test/v1/ruleset', interval: 0, timeout: 50, fetch: hanging.fetch }));
  const client3 = sdk.OpenFeature.getClient(dom3);
  d = web ? client3.getBooleanDetails('a', false) : await client3.getBooleanDetails('a', false, ctx);
  check('while initializing: PROVIDER_NOT_READY', d.value === false && d.errorCode === 'PROVIDER_NOT_READY', JSON.stringify(d));

  // A ruleset that does not load: initialize rejects; PARSE_ERROR.
  const broken = new sdk.Provider({ ruleset: '{"flags": {"x": {"percentage": 150}}}' });
  const dom4 = domain('broken');
  rejected = false;
  try {
    await sdk.OpenFeature.setProviderAndWait(dom4, broken);
  } catch {
    rejected = true;
  }
  const client4 = sdk.OpenFeature.getClient(dom4);
  d = web ? client4.getBooleanDetails('x', false) : await client4.getBooleanDetails('x', false, ctx);
  check('an invalid ruleset: initialize rejects', rejected);
  check('an invalid ruleset: default + PARSE_ERROR', d.value === false && d.errorCode === 'PARSE_ERROR', JSON.stringify(d));

  // Each provider runs on its own paradigm only.
  let refused = false;
  try {
    sdk.OpenFeature.setProvider(domain('wrong'), new sdk.OtherProvider({ ruleset: { flags: {} } }));
  } catch {
    refused = true;
  }
  check(`the ${web ? 'server' : 'web'} provider is refused by the ${sdk.paradigm} SDK`, refused);

  // The reason table the providers use is the core's, as the contract says.
  for (const [core, of] of Object.entries(OPENFEATURE_REASONS)) {
    check(`openFeatureReason(${core})`, sdk.openFeatureReason(core) === of, sdk.openFeatureReason(core));
  }
  return { failures };
}
