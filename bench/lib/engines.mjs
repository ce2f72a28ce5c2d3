// One adapter per engine: load a ruleset from its JSON text, build the
// engine's own context object from a user, evaluate one flag, evaluate all
// flags. Each adapter calls the engine's documented public API, the way an
// application would; nothing is reached into or patched.
//
// Adapter shape:
//   name, pkg, language, async load(text, flags) -> instance
//   instance: ctx(user), bool(key, ctx), variant(key, ctx), all(ctx),
//             values(allResult) -> { key: boolean | string }, async, close()
// `async: true` means bool/variant/all return promises (LaunchDarkly's API).

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The installed version of a package in bench/node_modules. */
export function installedVersion(pkg) {
  const p = join(BENCH, 'node_modules', pkg, 'package.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')).version : null;
}

/**
 * The package as built at the baseline commit (scripts/bench.sh,
 * EDGEFLAGS_BENCH_BEFORE), linked as bench/node_modules/edgeflags-before, so
 * a change is measured against what it replaces in the same run.
 */
export const BEFORE = 'edgeflags-before';

const kindOf = (flags) => Object.fromEntries(flags.map((f) => [f.key, f.kind]));

// ---------------------------------------------------------------- edgeflags

/**
 * edgeflags through its npm package (pkg/, linked as bench/node_modules/edgeflags
 * by scripts/bench.sh). `prepared` makes ctx() return the package's
 * prepared context handle (`flags.context(attrs)`) instead of a plain object.
 */
export function edgeflags({ prepared = false, before = false } = {}) {
  return {
    name: `edgeflags${before ? ' before' : ''}${prepared ? ' (prepared ctx)' : ''}`,
    pkg: 'edgeflags',
    // The baseline build (scripts/bench.sh links it as edgeflags-before).
    spec: before ? BEFORE : 'edgeflags',
    language: 'Rust → wasm',
    async load(text) {
      const mod = await import(before ? BEFORE : 'edgeflags');
      const Flags = mod.Flags ?? mod.default?.Flags;
      // Code generation for evaluateAll's result object is opt-in since
      // issue 9 (it was the default before); a Node server may opt in, as
      // here, and the baseline build gets the same option (it defaulted to
      // it). The package's README gives the cost without it.
      const flags = new Flags(text, { codegen: true });
      const plain = (u) => ({ user_id: u.id, plan: u.plan, country: u.country, email: u.email });
      return {
        ctx: prepared ? (u) => flags.context(plain(u)) : plain,
        // Frees a prepared handle made per call, when the package offers it.
        release: prepared ? (c) => c.free?.() : null,
        bool: (key, c) => flags.isEnabled(key, c),
        variant: (key, c) => flags.variant(key, c),
        all: (c) => flags.evaluateAll(c),
        values: (all) => Object.fromEntries(Object.entries(all).map(([k, e]) => [k, e.value])),
        close: () => flags.free?.(),
      };
    },
  };
}

// --------------------------------------------------------------- GrowthBook

/** GrowthBook's multi-user server client: one payload, a user context per call. */
export const growthbook = {
  name: 'GrowthBook',
  pkg: '@growthbook/growthbook',
  language: 'JS',
  async load(text) {
    const { GrowthBookClient } = await import('@growthbook/growthbook');
    const client = new GrowthBookClient({});
    client.initSync({ payload: JSON.parse(text) });
    const keys = Object.keys(client.getFeatures());
    return {
      ctx: (u) => ({ attributes: { id: u.id, plan: u.plan, country: u.country, email: u.email } }),
      bool: (key, c) => client.isOn(key, c),
      variant: (key, c) => client.getFeatureValue(key, 'control', c),
      // No evaluate-all call: one evalFeature per feature, as an app would.
      all: (c) => {
        const out = {};
        for (let i = 0; i < keys.length; i++) out[keys[i]] = client.evalFeature(keys[i], c).value;
        return out;
      },
      values: (all) => all,
      close: () => client.destroy(),
    };
  },
};

// ---------------------------------------------------------------- flagd-core

/** flagd's in-process evaluator (what the flagd providers embed). */
export const flagd = {
  name: 'flagd-core',
  pkg: '@openfeature/flagd-core',
  language: 'JS',
  async load(text) {
    const { FlagdCore } = await import('@openfeature/flagd-core');
    const silent = { error() {}, warn() {}, info() {}, debug() {} };
    const core = new FlagdCore(undefined, silent);
    core.setConfigurations(text);
    return {
      ctx: (u) => ({ targetingKey: u.id, plan: u.plan, country: u.country, email: u.email }),
      bool: (key, c) => core.resolveBooleanEvaluation(key, false, c, silent).value,
      variant: (key, c) => core.resolveStringEvaluation(key, 'control', c, silent).value,
      all: (c) => core.resolveAll(c, silent),
      values: (all) => Object.fromEntries(all.map((d) => [d.flagKey, d.value])),
      close: () => {},
    };
  },
};

// ------------------------------------------------------------------- Unleash

/**
 * unleash-client bootstrapped from memory: refreshInterval 0 (no polling,
 * so no request to the never-contacted URL), metrics off.
 */
export const unleash = {
  name: 'Unleash',
  pkg: 'unleash-client',
  language: 'JS',
  async load(text, flags) {
    const { Unleash, InMemStorageProvider } = await import('unleash-client');
    const client = new Unleash({
      url: 'http://127.0.0.1:9/api/',
      appName: 'edgeflags-bench',
      refreshInterval: 0,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: JSON.parse(text) },
    });
    client.on('error', () => {});
    client.on('warn', () => {});
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('unleash: not ready after 10 s')), 10_000);
      client.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
    const kinds = kindOf(flags);
    const keys = Object.keys(kinds);
    return {
      ctx: (u) => ({ userId: u.id, properties: { plan: u.plan, country: u.country, email: u.email } }),
      bool: (key, c) => client.isEnabled(key, c),
      variant: (key, c) => client.getVariant(key, c).name,
      // No evaluate-all call on the server client: one call per flag.
      all: (c) => {
        const out = {};
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          out[k] = kinds[k] === 'split' ? client.getVariant(k, c).name : client.isEnabled(k, c);
        }
        return out;
      },
      values: (all) => all,
      close: () => client.destroy(),
    };
  },
};

// -------------------------------------------------------------- LaunchDarkly

/**
 * LaunchDarkly's Node server SDK fed by its TestData source (full flag data
 * models through usePreconfiguredFlag): no streaming, events and
 * diagnostics off. Its evaluation API returns promises.
 */
export const launchdarkly = {
  name: 'LaunchDarkly',
  pkg: '@launchdarkly/node-server-sdk',
  language: 'JS',
  async load(text) {
    const ld = await import('@launchdarkly/node-server-sdk');
    const { TestData } = await import('@launchdarkly/node-server-sdk/integrations');
    const td = new TestData();
    for (const f of JSON.parse(text)) await td.usePreconfiguredFlag(f);
    const client = ld.init('sdk-bench-offline', {
      updateProcessor: td.getFactory(),
      sendEvents: false,
      diagnosticOptOut: true,
      logger: ld.basicLogger({ level: 'none' }),
    });
    await client.waitForInitialization({ timeout: 10 });
    return {
      async: true,
      ctx: (u) => ({ kind: 'user', key: u.id, plan: u.plan, country: u.country, email: u.email }),
      bool: (key, c) => client.variation(key, c, false),
      variant: (key, c) => client.variation(key, c, 'control'),
      all: (c) => client.allFlagsState(c),
      values: (state) => state.allValues(),
      close: () => client.close(),
    };
  },
};

// --------------------------------------------------------------------- Flipt

/**
 * Flipt's client-side engine (Rust in wasm) fed its evaluation snapshot by a
 * local fetcher: no server, no polling (updateInterval 0).
 */
export const flipt = {
  name: 'Flipt',
  pkg: '@flipt-io/flipt-client-js',
  language: 'Rust → wasm',
  async load(text, flags) {
    const { FliptClient } = await import('@flipt-io/flipt-client-js');
    const doc = JSON.parse(text);
    const fetcher = async () => ({ ok: true, status: 200, statusText: 'OK', headers: { get: () => null }, json: async () => doc });
    const client = await FliptClient.init({ namespace: 'default', fetcher, updateInterval: 0 });
    const kinds = kindOf(flags);
    const keys = Object.keys(kinds);
    return {
      ctx: (u) => ({ entityId: u.id, context: { plan: u.plan, country: u.country, email: u.email } }),
      bool: (key, c) => client.evaluateBoolean({ flagKey: key, entityId: c.entityId, context: c.context }).enabled,
      variant: (key, c) => client.evaluateVariant({ flagKey: key, entityId: c.entityId, context: c.context }).variantKey,
      all: (c) => client.evaluateBatch(keys.map((k) => ({ flagKey: k, entityId: c.entityId, context: c.context }))),
      values: (batch) => {
        const out = {};
        for (const r of batch.responses) {
          if (r.booleanEvaluationResponse) out[r.booleanEvaluationResponse.flagKey] = r.booleanEvaluationResponse.enabled;
          else if (r.variantEvaluationResponse) out[r.variantEvaluationResponse.flagKey] = r.variantEvaluationResponse.variantKey;
        }
        return out;
      },
      close: () => client.close(),
    };
  },
};

/** Every peer, each with the translator of the logical ruleset into its format. */
export const PEERS = [growthbook, flagd, unleash, launchdarkly, flipt];

/** Whether the edgeflags package is built and linked. */
export async function edgeflagsAvailable(spec = 'edgeflags') {
  try {
    const mod = await import(spec);
    return typeof (mod.Flags ?? mod.default?.Flags) === 'function';
  } catch {
    return false;
  }
}
