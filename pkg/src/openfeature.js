// edgeflags/openfeature: OpenFeature providers over the package's `Flags`,
// evaluating in-process with the same wasm as the rest of the package.
//
//   EdgeflagsProvider     @openfeature/server-sdk: dynamic context, one per evaluation
//   EdgeflagsWebProvider  @openfeature/web-sdk: static context, set by onContextChange
//
// They only translate. The core decides the evaluation, typed defaults
// included (Flags.evaluate with the caller's default answers TYPE_MISMATCH);
// how an OpenFeature context becomes an edgeflags context (targetingKey ->
// user_id) and which OpenFeature reason each edgeflags reason is are the
// core's rules (edgeflags::openfeature), mirrored in openfeature-mapping.js
// and checked against the core by tests/openfeature_js.rs. This module owns
// the lifecycle the core cannot see: where the ruleset comes from (a Flags
// instance, a ruleset, or a URL kept in sync by syncFlags), the events, and
// the error codes of a provider without a ruleset (PROVIDER_NOT_READY,
// PARSE_ERROR), and track(), which hands tracking events to Flags.track.
//
// Nothing here imports OpenFeature: the SDKs take providers by shape (their
// Provider interfaces), the event emitter is this module's own, and event
// names, reasons and error codes are OpenFeature's strings. The SDKs are
// optional peer dependencies.
//
// Built once per entry (scripts/build-pkg.sh): `./index.js` below stays an
// import, of the entry of the same environment (web.js, node.mjs,
// workerd.js), so the providers share the module, the wasm and the Flags
// class of `edgeflags`; openfeature-mapping.js is bundled in.

import { Flags, EdgeflagsError, syncFlags } from './index.js';
import { OPENFEATURE_REASONS, mapContext } from './openfeature-mapping.js';

const DEFAULT_INTERVAL_MS = 30_000;

// OpenFeature's provider events (ProviderEvents in both SDKs).
const READY = 'PROVIDER_READY';
const ERROR = 'PROVIDER_ERROR';
const STALE = 'PROVIDER_STALE';
const CONFIGURATION_CHANGED = 'PROVIDER_CONFIGURATION_CHANGED';

// OpenFeature's error codes (ErrorCode). The core's evaluation error codes
// (FLAG_NOT_FOUND, TYPE_MISMATCH, INVALID_CONTEXT) are OpenFeature's own.
const PROVIDER_NOT_READY = 'PROVIDER_NOT_READY';
const PARSE_ERROR = 'PARSE_ERROR';
const INVALID_CONTEXT = 'INVALID_CONTEXT';
const GENERAL = 'GENERAL';
const CORE_ERROR_CODES = new Set(['FLAG_NOT_FOUND', 'TYPE_MISMATCH', INVALID_CONTEXT]);

// Until a URL-synced provider's first ruleset arrives, syncFlags keeps this
// empty ruleset's instance in sync; it is never evaluated (not loaded).
const EMPTY_RULESET = { flags: {} };

/**
 * The OpenFeature reason of an edgeflags reason (`PREREQUISITE_FAILED` is
 * `DEFAULT`, `OVERRIDE` is `STATIC`, the others are OpenFeature's own), as
 * the core maps it (`edgeflags::openfeature::reason`).
 */
export function openFeatureReason(reason) {
  const r = Object.prototype.hasOwnProperty.call(OPENFEATURE_REASONS, reason) ? OPENFEATURE_REASONS[reason] : undefined;
  return r === undefined ? 'UNKNOWN' : r;
}

function isJsonScalar(v) {
  const t = typeof v;
  return t === 'string' || t === 'boolean' || v === null || (t === 'number' && Number.isFinite(v));
}

// An OpenFeature context's members as JSON.stringify writes them at the top
// level (toJSON, so Dates are ISO strings; BigInt as its decimal string;
// undefined, functions and symbols left out; NaN and Infinity null): what
// the core's rule reads (targetingKey, the attribute count). Nested values
// are left as they are: Flags reads them by the same JSON meaning when a
// flag needs them. No JSON round trip of the whole context per evaluation.
function topLevelJson(context) {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return context;
  if (typeof context.toJSON === 'function') return topLevelJson(context.toJSON(''));
  if (Object.values(context).every(isJsonScalar)) return context;
  const out = {};
  for (const key of Object.keys(context)) {
    let v = context[key];
    if (typeof v === 'object' && v !== null && typeof v.toJSON === 'function') v = v.toJSON(key);
    switch (typeof v) {
      case 'bigint':
        v = String(v);
        break;
      case 'number':
        if (!Number.isFinite(v)) v = null;
        break;
      case 'undefined':
      case 'function':
      case 'symbol':
        continue;
    }
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

/**
 * The edgeflags context of an OpenFeature evaluation context, as the core
 * maps it (`edgeflags::openfeature::context`): `targetingKey` becomes
 * `user_id` (and wins over a `user_id` attribute), every other attribute
 * is kept. Values mean what their JSON form means (Dates are ISO strings),
 * as for any context. Throws `EdgeflagsError` `INVALID_CONTEXT` for a
 * context that is not an object or a `targetingKey` that is not a string.
 */
export function toEdgeflagsContext(context) {
  const mapped = mapContext(context === undefined ? null : topLevelJson(context));
  if (typeof mapped === 'string') throw new EdgeflagsError(INVALID_CONTEXT, mapped);
  return mapped;
}

/**
 * The providers' event emitter, OpenFeature's `ProviderEventEmitter`
 * interface: the SDK subscribes to it, the provider emits on it. Handlers
 * run in order; one that throws or rejects is logged and the others run.
 */
class ProviderEvents {
  constructor() {
    this._handlers = new Map();
    this._logger = undefined;
  }

  addHandler(type, handler) {
    const list = this._handlers.get(type);
    if (list === undefined) this._handlers.set(type, [handler]);
    else list.push(handler);
  }

  removeHandler(type, handler) {
    const list = this._handlers.get(type);
    if (list === undefined) return;
    const i = list.lastIndexOf(handler);
    if (i !== -1) list.splice(i, 1);
  }

  removeAllHandlers(type) {
    if (type === undefined) this._handlers.clear();
    else this._handlers.delete(type);
  }

  getHandlers(type) {
    const list = this._handlers.get(type);
    return list === undefined ? [] : list.slice();
  }

  emit(type, details) {
    const list = this._handlers.get(type);
    if (list === undefined) return;
    for (const handler of list.slice()) {
      try {
        const r = handler(details);
        if (r !== null && typeof r === 'object' && typeof r.then === 'function') r.then(undefined, (e) => this._log(e));
      } catch (e) {
        this._log(e);
      }
    }
  }

  setLogger(logger) {
    this._logger = logger;
    return this;
  }

  _log(e) {
    if (this._logger !== undefined) this._logger.error('edgeflags: an OpenFeature event handler failed:', e);
  }
}

// A resolution that failed: the caller's default and an OpenFeature error code.
function failed(defaultValue, errorCode, errorMessage, flagMetadata) {
  const out = { value: defaultValue, reason: 'ERROR', errorCode, errorMessage };
  if (flagMetadata !== undefined) out.flagMetadata = flagMetadata;
  return out;
}

// JSON values compare as JSON (evaluateAll's values are the ruleset's own).
function sameResult(a, b) {
  return a.variant === b.variant && a.reason === b.reason && (a.value === b.value || JSON.stringify(a.value) === JSON.stringify(b.value));
}

// The keys whose result differs between two evaluateAll answers for one
// context, added and removed flags included.
function changedKeys(before, after) {
  const own = Object.prototype.hasOwnProperty;
  const out = [];
  for (const key of Object.keys(after)) {
    if (!own.call(before, key) || !sameResult(before[key], after[key])) out.push(key);
  }
  for (const key of Object.keys(before)) if (!own.call(after, key)) out.push(key);
  return out;
}

function checkOptions(options) {
  if (typeof options !== 'object' || options === null) {
    throw new EdgeflagsError('INVALID_ARGUMENT', 'an edgeflags OpenFeature provider needs options: { flags }, { ruleset } or { url }');
  }
  const { flags, ruleset, url, interval } = options;
  if (flags !== undefined && !(flags instanceof Flags)) {
    throw new EdgeflagsError(
      'INVALID_ARGUMENT',
      'options.flags must be a Flags instance of this package (import Flags from the same build as edgeflags/openfeature: ESM, same environment)',
    );
  }
  if (flags !== undefined && ruleset !== undefined) throw new EdgeflagsError('INVALID_ARGUMENT', 'give options.flags or options.ruleset, not both');
  if (flags === undefined && ruleset === undefined && url === undefined) {
    throw new EdgeflagsError('INVALID_ARGUMENT', 'an edgeflags OpenFeature provider needs options.flags, options.ruleset or options.url');
  }
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) throw new EdgeflagsError('INVALID_ARGUMENT', 'options.url must be a URL string or URL');
  // Finite: a timer of Infinity ms fires at once, over and over.
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)) {
    throw new EdgeflagsError('INVALID_ARGUMENT', 'options.interval must be a number of milliseconds >= 0 (0: only on refresh())');
  }
}

// What both providers share: the ruleset's source, its sync and the events.
// Subclasses give the context of an evaluation (_context) and the results
// an update is compared on (_snapshot).
class EdgeflagsProviderBase {
  constructor(options) {
    checkOptions(options);
    this.metadata = Object.freeze({ name: 'edgeflags' });
    this.events = new ProviderEvents();
    this._options = options;
    this._flags = options.flags === undefined ? null : options.flags;
    // Whether _flags holds a ruleset to evaluate; until then, why not (an
    // EdgeflagsError: INVALID_RULESET is PARSE_ERROR, anything else
    // PROVIDER_NOT_READY).
    this._loaded = this._flags !== null;
    this._failure = null;
    if (options.ruleset !== undefined) {
      try {
        this._flags = new Flags(options.ruleset, options.flagsOptions);
        this._loaded = true;
      } catch (e) {
        this._failure = e;
      }
    }
    // After the first load: 'ok', or 'stale' / 'error' since a poll failed
    // (each change of it is one event).
    this._health = 'ok';
    // The sync of options.url: begun by initialize(), ended by onClose().
    this._syncing = false;
    this._sync = null;
    this._timer = undefined;
    this._inflight = undefined;
    this._closed = false;
    // initialize() has settled: the SDK has announced READY or ERROR, so
    // the provider's own events may follow.
    this._announced = false;
    this._meta = undefined;
  }

  /** The Flags instance evaluated, or null before a ruleset is loaded. */
  get flags() {
    return this._loaded ? this._flags : null;
  }

  /**
   * Called by the SDK when the provider is set: resolves once a ruleset is
   * loaded (at once for `flags` or `ruleset`; after the first poll for a
   * `url` alone), rejects when none could be (the SDK then reports
   * PROVIDER_ERROR; a URL keeps being polled and READY follows its first
   * ruleset). Starts the sync of `options.url`.
   */
  async initialize() {
    this._closed = false;
    try {
      if (this._options.url !== undefined && !this._syncing) {
        this._syncing = true;
        if (this._loaded) {
          // Ready from what we have: polling starts once the SDK has
          // announced it, so a failing first poll reads as STALE after READY.
          setTimeout(() => this._beginSync(), 0);
        } else {
          await this._beginSync();
        }
      }
      if (!this._loaded) {
        throw this._failure || new EdgeflagsError('SYNC_FAILED', 'edgeflags: no ruleset loaded');
      }
    } finally {
      Promise.resolve().then(() => {
        this._announced = true;
      });
    }
  }

  /** Called by the SDK when the provider is replaced or OpenFeature shuts down: stops the sync. */
  async onClose() {
    this._closed = true;
    this._syncing = false;
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
    if (this._sync !== null) this._sync.stop();
    this._sync = null;
  }

  /**
   * Tracking (`client.track(name, context, details)`): `flags.track(name,
   * context, details.value, details)` on the provider's Flags, whose
   * `flagsOptions.events` (or given instance's events) send it. Without
   * `details.flag` it is an experiment's track event, the unit being the
   * context's targetingKey (its user_id). With `details.flag` it is an
   * outcome of that flag for a guarded rollout: `details.error`,
   * `details.latencyMs`, and `details.value` as the custom metric `name`.
   * Nothing is recorded before initialize() (no Flags instance yet) or
   * without events. Throws INVALID_ARGUMENT for a bad name, value or a
   * context without a targetingKey (the SDK logs it).
   */
  track(trackingEventName, context, trackingEventDetails) {
    const d = trackingEventDetails == null ? undefined : trackingEventDetails;
    const value = d === undefined ? undefined : d.value;
    const unit = toEdgeflagsContext(context);
    if (this._flags !== null) this._flags.track(trackingEventName, unit, value, d);
  }

  /**
   * Polls the URL now (options.url): true when a new ruleset was loaded.
   * Events follow as for a scheduled poll.
   */
  refresh() {
    if (this._sync === null) return Promise.resolve(false);
    if (this._inflight === undefined) {
      this._inflight = this._poll().finally(() => {
        this._inflight = undefined;
      });
    }
    return this._inflight;
  }

  /**
   * Loads a ruleset (object or JSON text) now, for providers fed by their
   * caller rather than a URL. Throws `INVALID_RULESET` and keeps the
   * current one; otherwise emits PROVIDER_CONFIGURATION_CHANGED (or
   * PROVIDER_READY for the first ruleset after a failed initialize).
   */
  update(ruleset) {
    const before = this._loaded ? this._snapshot() : null;
    if (this._flags === null) {
      this._flags = new Flags(ruleset, this._options.flagsOptions);
    } else {
      this._flags.update(ruleset);
    }
    this._settle(true, null, before);
    return this;
  }

  async _beginSync() {
    if (this._closed) return;
    const o = this._options;
    if (this._flags === null) this._flags = new Flags(EMPTY_RULESET, o.flagsOptions);
    const before = this._loaded ? this._snapshot() : null;
    let sync;
    try {
      // Polled by this provider (interval 0), which sees each poll's outcome.
      sync = await syncFlags(o.url, { interval: 0, timeout: o.timeout, headers: o.headers, fetch: o.fetch, flags: this._flags });
    } catch (e) {
      // Options syncFlags refuses (no fetch in this runtime, ...).
      this._settle(false, e, before);
      return;
    }
    if (this._closed) {
      sync.stop();
      return;
    }
    this._sync = sync;
    // syncFlags' first poll (no If-None-Match yet): a 200 loaded a
    // ruleset, anything else left lastError.
    this._settle(sync.lastError === null, sync.lastError, before);
    this._schedule();
  }

  _schedule() {
    const interval = this._options.interval === undefined ? DEFAULT_INTERVAL_MS : this._options.interval;
    if (this._closed || interval === 0) return;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this.refresh().finally(() => this._schedule());
    }, interval);
    // Polling must not keep a Node process alive.
    if (this._timer && typeof this._timer.unref === 'function') this._timer.unref();
  }

  async _poll() {
    const sync = this._sync;
    const before = this._loaded ? this._snapshot() : null;
    const changed = await sync.refresh();
    if (sync !== this._sync) return false;
    this._settle(changed, sync.lastError, before);
    return changed;
  }

  // After a poll or an update: the new state and its events.
  _settle(changed, error, before) {
    if (error !== null) {
      if (!this._loaded) {
        this._failure = error;
        return;
      }
      // The last good ruleset keeps serving: a transport failure makes it
      // STALE; a ruleset that does not load is an ERROR of the source.
      const health = error.code === 'INVALID_RULESET' ? 'error' : 'stale';
      if (health !== this._health) {
        this._health = health;
        if (health === 'error') this._emit(ERROR, { message: error.message, errorCode: PARSE_ERROR });
        else this._emit(STALE, { message: error.message });
      }
      return;
    }
    if (!this._loaded) {
      if (!changed) return;
      this._loaded = true;
      this._failure = null;
      this._health = 'ok';
      // After a failed initialize, the SDK says ERROR until we say READY.
      this._emit(READY, { metadata: { version: this._flags.version } });
      return;
    }
    if (this._health !== 'ok') {
      this._health = 'ok';
      this._emit(READY, { metadata: { version: this._flags.version } });
    }
    if (changed) {
      const details = { metadata: { version: this._flags.version } };
      const after = before === null ? null : this._snapshot();
      if (after !== null) details.flagsChanged = changedKeys(before, after);
      this._emit(CONFIGURATION_CHANGED, details);
    }
  }

  _emit(type, details) {
    if (this._announced) this.events.emit(type, details);
  }

  // The flagMetadata of a resolution: the ruleset version (one frozen
  // object per version) and what decided, when something did.
  _metadata(ruleId) {
    const version = this._flags.version;
    if (ruleId !== undefined) return { version, ruleId };
    if (this._meta === undefined || this._meta.version !== version) this._meta = Object.freeze({ version });
    return this._meta;
  }

  // The answer of every resolve* method: `type` names the OpenFeature type
  // asked for (for messages only: the core checks the default's type).
  _resolve(flagKey, defaultValue, context, type) {
    if (!this._loaded) {
      const parse = this._failure !== null && this._failure.code === 'INVALID_RULESET';
      const why = this._failure === null ? 'no ruleset loaded yet' : this._failure.message;
      return failed(defaultValue, parse ? PARSE_ERROR : PROVIDER_NOT_READY, `edgeflags: ${why}`);
    }
    let ctx;
    try {
      ctx = this._context(context);
    } catch (e) {
      return failed(defaultValue, INVALID_CONTEXT, e && e.message, this._metadata());
    }
    const e = this._flags.evaluate(flagKey, ctx, defaultValue);
    if (e.errorCode !== undefined) {
      const code = CORE_ERROR_CODES.has(e.errorCode) ? e.errorCode : GENERAL;
      return failed(defaultValue, code, this._message(code, flagKey, type), this._metadata());
    }
    const out = { value: e.value, reason: openFeatureReason(e.reason), flagMetadata: this._metadata(e.ruleId) };
    if (e.variant !== null) out.variant = e.variant;
    return out;
  }

  _message(code, flagKey, type) {
    const key = JSON.stringify(flagKey);
    switch (code) {
      case 'FLAG_NOT_FOUND':
        return `flag ${key} is not in ruleset version ${this._flags.version}`;
      case 'TYPE_MISMATCH':
        return `flag ${key} serves a value that is not ${type === 'object' ? 'an object' : `a ${type}`} here`;
      default:
        return `flag ${key}: the context cannot be evaluated`;
    }
  }
}

/**
 * The OpenFeature provider for `@openfeature/server-sdk` (dynamic context:
 * each evaluation brings its own context).
 */
export class EdgeflagsProvider extends EdgeflagsProviderBase {
  constructor(options) {
    super(options);
    this.runsOn = 'server';
  }

  _context(context) {
    return toEdgeflagsContext(context);
  }

  // Server contexts vary per call: no one context to compare results on,
  // so a change event carries no flagsChanged (every flag may answer anew).
  _snapshot() {
    return null;
  }

  resolveBooleanEvaluation(flagKey, defaultValue, context) {
    return Promise.resolve(this._resolve(flagKey, defaultValue, context, 'boolean'));
  }

  resolveStringEvaluation(flagKey, defaultValue, context) {
    return Promise.resolve(this._resolve(flagKey, defaultValue, context, 'string'));
  }

  resolveNumberEvaluation(flagKey, defaultValue, context) {
    return Promise.resolve(this._resolve(flagKey, defaultValue, context, 'number'));
  }

  resolveObjectEvaluation(flagKey, defaultValue, context) {
    return Promise.resolve(this._resolve(flagKey, defaultValue, context, 'object'));
  }
}

// Whether two contexts have the same members (the SDK hands the static
// context to each evaluation as a fresh shallow copy).
function sameMembers(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k] || !Object.prototype.hasOwnProperty.call(b, k)) return false;
  return true;
}

/**
 * The OpenFeature provider for `@openfeature/web-sdk` (static context: the
 * SDK announces each new context through onContextChange). The context is
 * mapped and prepared once per change, so an evaluation costs a table
 * lookup; a change event lists the flags whose result changed for it.
 */
export class EdgeflagsWebProvider extends EdgeflagsProviderBase {
  constructor(options) {
    super(options);
    this.runsOn = 'client';
    this._static = undefined;
    this._mapped = null;
    this._prepared = null;
    this._contextError = null;
    // Set once an evaluation brings another context than the static one
    // (a provider shared by domains): change events then stop listing keys.
    this._foreign = false;
  }

  initialize(context) {
    this._setStatic(context);
    return super.initialize(context);
  }

  /** Called by the SDK on `OpenFeature.setContext()`: maps and prepares the new context at once (no reconciling). */
  onContextChange(_oldContext, newContext) {
    this._setStatic(newContext);
  }

  _setStatic(context) {
    this._static = context === undefined ? {} : context;
    this._mapped = null;
    this._prepared = null;
    this._contextError = null;
    try {
      this._mapped = toEdgeflagsContext(this._static);
    } catch (e) {
      this._contextError = e;
    }
  }

  // The prepared static context, made on first use for the provider's Flags.
  _preparedStatic() {
    if (this._contextError !== null) throw this._contextError;
    if (this._prepared === null) {
      try {
        this._prepared = this._flags.context(this._mapped);
      } catch (e) {
        this._contextError = e;
        throw e;
      }
    }
    return this._prepared;
  }

  _context(context) {
    if (this._static === undefined) return toEdgeflagsContext(context);
    if (sameMembers(context, this._static)) return this._preparedStatic();
    this._foreign = true;
    return toEdgeflagsContext(context);
  }

  _snapshot() {
    if (this._foreign || this._static === undefined) return null;
    try {
      return this._flags.evaluateAll(this._preparedStatic());
    } catch {
      return null;
    }
  }

  resolveBooleanEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'boolean');
  }

  resolveStringEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'string');
  }

  resolveNumberEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'number');
  }

  resolveObjectEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'object');
  }
}
