// Experiment events, the part every page carries: the checks of
// options.events and of flags.track()'s arguments (which throw at once,
// in every runtime), and how an instance reaches the recorder and sender,
// sender.js. Browsers load sender.js only when an instance records events
// (web.js: a dynamic import); until it is here, the events wait in line
// (Pending). Node and Workers bundle it (useSender).
//
// Which evaluation is an exposure, and its unit, is the core's answer
// (flags.js asks Engine::exposure_unit). Flag usage counts are kept by
// flags.js and drained by the sender (Events.usage). The event format is
// POST /v1/events (docs/experiments.md).

import { EdgeflagsError } from './errors.js';

// The Worker's limits (edgeflags::events, edgeflags::limits): an event over
// them would make its whole batch a 400, so it is refused here.
export const MAX_NAME_BYTES = 256;
export const MAX_UNIT_BYTES = 1024;
export const MAX_VALUE = 1e12;

// The numeric options and their minimum; each is a whole number (or
// Infinity). Their defaults are sender.js's.
const MINIMUM = { flushAt: 1, flushIntervalMs: 0, maxQueue: 1, dedup: 0, maxRetries: 0, timeout: 0 };
// The other options' types.
const TYPES = { key: 'string', onError: 'function', fetch: 'function', usage: 'boolean' };

// How the sender module is reached: set by each entry.
let loadSender;
export function useSender(load) {
  loadSender = load;
}

function bad(message) {
  return new EdgeflagsError('INVALID_ARGUMENT', message);
}

/** Whether `s` is 1 to `max` bytes of UTF-8 (counted only when it may be over). */
export function fits(s, max) {
  return s.length > 0 && (s.length * 3 <= max || new TextEncoder().encode(s).length <= max);
}

/**
 * The events of a Flags instance for options.events (checked here);
 * `flags` is where the sender drains the usage counts from, unless
 * options.events.usage is false.
 */
export function openEvents(o, flags) {
  if (typeof o !== 'object' || o === null || (typeof o.url !== 'string' && !(o.url instanceof URL))) {
    throw bad('options.events needs url: the URL of the Worker\'s /v1/events');
  }
  for (const k in MINIMUM) {
    const v = o[k];
    if (v !== undefined && !(v >= MINIMUM[k] && (Number.isInteger(v) || v === Infinity))) throw bad(`options.events.${k} must be a whole number >= ${MINIMUM[k]}`);
  }
  for (const k in TYPES) {
    if (o[k] !== undefined && typeof o[k] !== TYPES[k]) throw bad(`options.events.${k} must be a ${TYPES[k]}`);
  }
  if (o.usage === false) flags = undefined;
  const m = loadSender();
  return typeof m.then === 'function' ? new Pending(o, m, flags) : new m.Events(o, EdgeflagsError, flags);
}

// Stands in for sender.js's Events while the module loads (browsers):
// calls wait in line with their time (at most maxQueue: the oldest go
// first, counted) and run in order once it is here; none are taken after
// close(). Usage counts wait in flags.js; whether there are some, and the
// tables of the rulesets replaced meanwhile (keep), wait here.
class Pending {
  constructor(o, loading, flags) {
    this.to = null;
    this.later = [];
    this.closed = false;
    this.dropped = 0;
    this.counting = false;
    this.kept = [];
    this.max = o.maxQueue || 10000;
    this.ready = loading.then(
      (m) => {
        const to = new m.Events(o, EdgeflagsError, flags);
        to.n.dropped += this.dropped;
        for (const [name, args] of this.later) to[name](...args);
        this.later = [];
        for (const tables of this.kept) to.keep(...tables);
        if (this.counting) to.counted();
        return (this.to = to);
      },
      (e) => {
        try {
          if (o.onError) o.onError(new EdgeflagsError('EVENTS_FAILED', `edgeflags events: the sender did not load: ${e && e.message}`, undefined, e));
        } catch {
          // The caller's handler failed: nothing left to tell.
        }
        return null;
      },
    );
  }

  _call(name, args) {
    if (this.to !== null) {
      this.to[name](...args);
    } else if (!this.closed) {
      if (this.later.length >= this.max && this.later.shift()) this.dropped++;
      this.later.push([name, [...args, Date.now()]]);
    }
  }

  exposure(flag, variant, unit, version) {
    this._call('exposure', [flag, variant, unit, version]);
  }

  track(event, unit, value) {
    this._call('track', [event, unit, value]);
  }

  counted() {
    if (this.to !== null) this.to.counted();
    else this.counting = true;
  }

  keep(...tables) {
    if (this.to !== null) this.to.keep(...tables);
    else this.kept.push(tables);
  }

  outcome(flag, variant, version, fields) {
    this._call('outcome', [flag, variant, version, fields]);
  }

  get stats() {
    return this.to !== null ? this.to.stats : { queued: this.later.length, sent: 0, dropped: this.dropped, failed: 0, retries: 0 };
  }

  flush() {
    return this.ready.then((to) => to !== null && to.flush());
  }

  close() {
    this.closed = true;
    return this.ready.then((to) => to !== null && to.close());
  }
}

/** flags.track()'s checks: the unit (from `unit`: a user_id, or the unit itself), or a throw naming the argument. */
export function trackUnit(event, unit, value) {
  if (typeof event !== 'string' || !fits(event, MAX_NAME_BYTES)) throw bad(`track(event): event must be a name of 1 to ${MAX_NAME_BYTES} bytes`);
  if (value !== undefined && !(Math.abs(value) <= MAX_VALUE && typeof value === 'number')) {
    throw bad(`track(event, context, value): value must be a finite number, at most ${MAX_VALUE} in magnitude`);
  }
  // The forms the core reads as the same string (a numeric user_id
  // buckets as its decimal form).
  if (Number.isSafeInteger(unit) || typeof unit === 'bigint') unit = String(unit);
  if (typeof unit !== 'string' || !fits(unit, MAX_UNIT_BYTES)) {
    throw bad(`track(event, context): context needs a user_id (a string of 1 to ${MAX_UNIT_BYTES} bytes or an integer), or is the unit as a string`);
  }
  return unit;
}

// The Worker's limits of an outcome (edgeflags::events).
export const MAX_LATENCY_MS = 86400000;
export const MAX_OUTCOME_METRICS = 20;

/** flags.outcome()'s checks: the outcome's fields as POST /v1/events has them, or a throw naming the field. */
export function outcomeFields(key, o) {
  if (typeof key !== 'string' || !fits(key, MAX_NAME_BYTES)) throw bad(`outcome(key): key must be a flag key of 1 to ${MAX_NAME_BYTES} bytes`);
  if (o === undefined || o === null) o = {};
  if (typeof o !== 'object') throw bad('outcome(key, context, outcome): outcome must be an object {error, latencyMs, metrics}');
  const out = { error: false };
  if (o.error !== undefined) {
    if (typeof o.error !== 'boolean') throw bad('outcome.error must be true or false');
    out.error = o.error;
  }
  if (o.latencyMs !== undefined) {
    if (!(typeof o.latencyMs === 'number' && o.latencyMs >= 0 && o.latencyMs <= MAX_LATENCY_MS)) throw bad(`outcome.latencyMs must be a number of milliseconds, 0 to ${MAX_LATENCY_MS}`);
    out.latency_ms = o.latencyMs;
  }
  if (o.metrics !== undefined) {
    if (typeof o.metrics !== 'object' || o.metrics === null || Array.isArray(o.metrics)) throw bad('outcome.metrics must be an object of numbers by name');
    const names = Object.keys(o.metrics);
    if (names.length > MAX_OUTCOME_METRICS) throw bad(`outcome.metrics: at most ${MAX_OUTCOME_METRICS} metrics per outcome`);
    for (const name of names) {
      const v = o.metrics[name];
      if (!fits(name, MAX_NAME_BYTES)) throw bad(`outcome.metrics: a metric name must be 1 to ${MAX_NAME_BYTES} bytes`);
      if (!(typeof v === 'number' && Math.abs(v) <= MAX_VALUE)) throw bad(`outcome.metrics.${name} must be a finite number, at most ${MAX_VALUE} in magnitude`);
    }
    if (names.length > 0) out.metrics = Object.assign({}, o.metrics);
  }
  return out;
}
