// The edgeflags JS API over the wasm core: `Flags`, prepared contexts,
// test overrides and `bucket`. It only translates: the core (through
// src/wasm/) loads, resolves, checks typed defaults, decides truthiness and
// holds the overrides; this module keeps tables of what the core said and
// caches results that cannot change.
//
// Shaped by the boundary (shared/PERFORMANCE.md, constants in ./abi.js):
// everything the ruleset knows (flag keys, variant names, values, their
// kinds and truthiness, the typed-default table, the attributes each flag
// reads) crosses once per load as the metadata; each evaluation sends a
// flag index and gets one packed u32 back, read against those tables.
// Values returned to callers are the cached, deeply frozen variant values.
// Off that path (overridden keys, unknown flags, a default of another
// kind) evaluate() returns the core's own serialized evaluation.
//
// The clock is read only for flags whose result depends on it (`timed`).
//
// Contexts: a plain object is copied attribute by attribute (only the
// attributes the flag reads) into the engine's scratch context; slots whose
// primitive value did not change since the last call are not sent again,
// and while the scratch context is unchanged the untimed flags' results are
// remembered (stamped with a scratch version). A `PreparedContext` keeps
// its attributes in JS and is laid out into the engine's one held context
// when it is used and is not the one laid out already: wasm memory does not
// grow with the number of contexts, and a prepared context remembers its
// untimed flags' results in JS until the ruleset or the overrides change.
//
// Every cache is dropped in one place, `_invalidate()`, which load,
// update, override and reset call.
//
// Experiment events (options.events, events.js): an evaluation that serves
// an experiment flag's value asks the core whether it is an exposure and
// of which unit (Engine::exposure_unit), once per context and resolution:
// the answer is remembered like the results are. Without options.events,
// or for any other flag, evaluation costs one check more than without.
//
// Flag usage (options.events, unless usage: false): every value served on
// the fast path is counted in a Float64Array by global variant index, one
// check and one increment per answer, so that flags evaluated only here
// are not reported unused by the Worker's cleanup (docs/worker.md, "Flag
// usage"). The sender reads and zeroes the table (_use, with _keys, _base
// and _names) before it builds a batch; a load hands it the old tables
// (events.keep), whose counts it keeps by name for the next drain.
// Overridden keys, unknown flags, unusable contexts and defaults of
// another type are not counted: they serve nothing of the ruleset's.
//
// This module does not load the wasm: each entry (web.js, node.js,
// node-cjs.js, workerd.js) initialises the glue and checks its ABI first.

import { Engine, bucket as wasmBucket, wasm_memory, reads_json_text } from '../dist/glue/edgeflags.js';
import {
  NO_RESOLUTION,
  NO_UNIT,
  VARIANT_MASK,
  REASON_SHIFT,
  REASON_MASK,
  MATCHED_SHIFT,
  TARGET_SCRATCH,
  TARGET_HELD,
  TARGET_EMPTY,
  SET_STAGED,
  SET_NULL,
  SET_FALSE,
  SET_TRUE,
  SET_NUMBER,
  KIND_NULL,
  KIND_BOOL,
  KIND_NUMBER,
  KIND_STRING,
  KIND_ARRAY,
  KIND_OBJECT,
  KINDS,
  INVALID_RULESET,
  INVALID_ARGUMENT,
  INVALID_CONTEXT,
  FREED,
} from './abi.js';
import { EdgeflagsError, adopt } from './errors.js';
import { openEvents, trackUnit, outcomeFields } from './events.js';

export { EdgeflagsError };

// Up to this many attributes, a plain context is read by looking each
// ruleset attribute up on the object; above it, by walking the object's keys.
const SMALL_ATTRIBUTES = 32;
// A scratch slot whose JS-side value cannot be trusted to be unchanged.
const DIRTY = Object.freeze({});
// Prepared contexts remember results only for rulesets up to this many
// flags (4 bytes per flag per context).
const MEMO_MAX_FLAGS = 16384;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const INPUT_BYTES = 1024;
// Views of the module's memory, made on first use and again after a call
// grew the memory, which detaches the old buffer: its views then have
// length 0, a check much cheaper than reading `memory.buffer` each time.
let U8 = new Uint8Array(0);
let U32;
let F64;
function views() {
  const buf = wasm_memory().buffer;
  U8 = new Uint8Array(buf);
  U32 = new Uint32Array(buf);
  F64 = new Float64Array(buf);
}

// Whether a ruleset object is sent as JSON text (the speed build reads it
// with serde_json) rather than as an object (serde-wasm-bindgen): the
// faster way in Node, measured (pkg/README.md, Loading). The browser build
// reads no JSON text: JSON text given to it is parsed here.
let TEXT_LOADS;
function textLoads() {
  if (TEXT_LOADS === undefined) TEXT_LOADS = reads_json_text();
  return TEXT_LOADS;
}

// The n UTF-8 bytes at `at` in wasm memory as a string (the unit
// Engine::exposure_unit left there). Read in place rather than returned as
// a String through wasm-bindgen: the call measured ~1 us that way, ~0.15 us
// this way (Node 22, a 7-byte id). Short ASCII ids are read byte by byte,
// cheaper than a TextDecoder call; longer ones are not (concatenating
// one-character strings gets slower than decoding past ~16).
function utf8At(at, n) {
  if (U8.length === 0) views();
  if (n <= 16) {
    let s = '';
    for (let k = 0; k < n; k++) {
      const c = U8[at + k];
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (s.length === n) return s;
  }
  return DECODER.decode(U8.subarray(at, at + n));
}

function invalidRuleset(message) {
  return new EdgeflagsError(INVALID_RULESET, `invalid ruleset (1 problem):\n  ${message}`, [{ path: '', message }]);
}

// BigInt ids keep every digit as a decimal string (JSON has no BigInt).
function jsonReplacer(_key, v) {
  return typeof v === 'bigint' ? String(v) : v;
}

function deepFreeze(v) {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k in v) deepFreeze(v[k]);
  }
  return v;
}

// The core's kind code of a caller's default (abi.js KIND_*): how JS
// types map onto JSON's. No default (undefined) is null, as in the core.
function kindOf(v) {
  switch (typeof v) {
    case 'boolean':
      return KIND_BOOL;
    case 'number':
    case 'bigint':
      return KIND_NUMBER;
    case 'string':
      return KIND_STRING;
    case 'object':
      return v === null ? KIND_NULL : Array.isArray(v) ? KIND_ARRAY : KIND_OBJECT;
    default:
      return KIND_NULL;
  }
}

// The strings a load's metadata sends back to back, cut by their lengths.
function cut(text, lengths) {
  const out = new Array(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) out[i] = text.slice(at, (at += lengths[i]));
  return out;
}

// A null-prototype object of names and values.
function objectOf(names, values) {
  const o = Object.create(null);
  for (let i = 0; i < names.length; i++) o[names[i]] = values[i];
  return o;
}

function contextError(message) {
  return new EdgeflagsError(INVALID_CONTEXT, message);
}

function checkContextObject(attrs) {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    throw contextError(`a context must be an object of attributes, not ${attrs === null ? 'null' : Array.isArray(attrs) ? 'an array' : typeof attrs}`);
  }
}

function freedError() {
  throw new EdgeflagsError(FREED, 'this Flags instance was freed (free() was called)');
}

// Stands in for the engine after free(): every crossing throws.
const FREED_ENGINE = new Proxy({}, { get: () => freedError });

// The package's own errors (an unusable context, a non-string key) in the
// core's result shape: no default is null there.
function errorResult(value, errorCode) {
  return { value: value === undefined ? null : value, variant: null, reason: 'ERROR', errorCode };
}

/**
 * Attributes prepared once for a `Flags` instance (`flags.context(attrs)`).
 * It keeps a shallow snapshot of the attributes in JS; the engine lays the
 * ones the ruleset reads out into its held context when this context is
 * used (and is checked when it is made). It remembers its untimed flags'
 * results until the ruleset or the overrides change.
 */
export class PreparedContext {
  constructor(flags, attrs) {
    if (!(flags instanceof Flags)) throw new EdgeflagsError(INVALID_ARGUMENT, 'make prepared contexts with flags.context(attributes)');
    checkContextObject(attrs);
    this._flags = flags;
    // A shallow snapshot, as two arrays: cheaper to make and read than an object.
    const names = [];
    const values = [];
    for (const k in attrs) {
      names.push(k);
      values.push(attrs[k]);
    }
    this._names = names;
    this._values = values;
    // Packed results + 1 (0: not yet) of untimed flags, for the owner's
    // cache generation _memoGen; and the whole evaluate-all array.
    this._memo = undefined;
    this._memoGen = -1;
    this._all = undefined;
    // The resolutions + 1 whose exposure the core was asked about, for
    // the owner's generation _xpGen (events only).
    this._xp = undefined;
    this._xpGen = -1;
    // Laid out now: checks the attributes, and the next call uses it as is.
    const why = flags._hold(this);
    if (why !== undefined) throw contextError(why);
  }

  /** The attributes this context was prepared from (a frozen copy). */
  get attributes() {
    return Object.freeze(Object.assign({}, objectOf(this._names, this._values)));
  }

  /** Drops the remembered results (the wasm side keeps nothing per context). Using it afterwards works as before. */
  free() {
    this._memo = undefined;
    this._all = undefined;
    this._memoGen = -1;
    this._xp = undefined;
    if (this._flags._held === this) this._flags._held = null;
  }
}

/** Flags evaluated locally from a ruleset. */
export class Flags {
  constructor(ruleset, options) {
    const now = options && options.now;
    if (now !== undefined && typeof now !== 'function') {
      throw new EdgeflagsError(INVALID_ARGUMENT, 'options.now must be a function returning epoch milliseconds');
    }
    const codegen = options && options.codegen;
    if (codegen !== undefined && typeof codegen !== 'boolean') {
      throw new EdgeflagsError(INVALID_ARGUMENT, 'options.codegen must be a boolean');
    }
    this._now = now || Date.now;
    this._codegen = codegen === true;
    // The overridden keys (the core holds the values): a call for any
    // other key stays on the fast path.
    this._overridden = new Set();
    this._gen = 0;
    this._held = null;
    this._inCap = 0;
    const events = options && options.events;
    /** The experiment events (options.events), or null. */
    this.events = events === undefined ? null : openEvents(events, this);
    // Usage counts, by variant index (null: off).
    this._usage = this.events !== null && events.usage !== false;
    this._use = null;
    this._engine = new Engine();
    try {
      this._load(ruleset);
    } catch (e) {
      this._engine.free();
      if (this.events !== null) this.events.close();
      throw e;
    }
  }

  /** Replaces the ruleset atomically; on error throws and keeps the old one. */
  update(ruleset) {
    this._load(ruleset);
    return this;
  }

  /** The ruleset's `version`. */
  get version() {
    return this._version;
  }

  /** The flag keys, in ruleset order. */
  keys() {
    return this._keys.slice();
  }

  // Loads a ruleset into the engine; the metadata, or a throw.
  _loadMeta(ruleset) {
    const engine = this._engine;
    try {
      if (typeof ruleset === 'string') {
        if (textLoads()) return engine.load_text(ruleset);
        let doc;
        try {
          doc = JSON.parse(ruleset);
        } catch (e) {
          throw invalidRuleset(`the ruleset is not valid JSON: ${e && e.message}`);
        }
        return engine.load(doc);
      }
      if (typeof ruleset !== 'object' || ruleset === null) {
        throw invalidRuleset(`a ruleset must be a JSON object or JSON text, not ${ruleset === null ? 'null' : typeof ruleset}`);
      }
      // Through JSON.stringify either way when it is text we send, and
      // for what only JSON.stringify reads as JSON does (toJSON, BigInt).
      let json;
      try {
        json = JSON.stringify(ruleset, jsonReplacer);
      } catch (e) {
        throw invalidRuleset(`the ruleset object cannot be written as JSON: ${e && e.message}`);
      }
      return textLoads() ? engine.load_text(json) : engine.load(JSON.parse(json));
    } catch (e) {
      throw adopt(e);
    }
  }

  _load(ruleset) {
    const meta = this._loadMeta(ruleset);
    const keys = cut(meta.keys, meta.keyLengths);
    const n = keys.length;
    const index = new Map();
    for (let i = 0; i < n; i++) index.set(keys[i], i);
    const values = meta.values;
    for (let j = 0; j < values.length; j++) deepFreeze(values[j]);
    const attrs = meta.attributes;
    const timed = meta.timed;
    if (this._use !== null) this.events.keep(this._use, this._keys, this._base, this._names);
    this._use = this._usage ? new Float64Array(values.length) : null;
    this._index = index;
    this._keys = keys;
    this._timed = timed;
    this._anyTimed = timed.indexOf(1) !== -1;
    this._slotBase = meta.slotBase;
    this._slotList = meta.slots;
    this._memoOk = n <= MEMO_MAX_FLAGS;
    this._makeRow = rowMaker(keys, this._codegen);
    this._base = meta.variantBase;
    this._names = cut(meta.names, meta.nameLengths);
    this._values = values;
    this._kinds = meta.kinds;
    this._truthy = meta.truthy;
    this._accepts = meta.accepts;
    this._reasons = meta.reasons;
    this._version = meta.version;
    // Experiment flags, when events are recorded; the scratch context's
    // remembered exposure checks (scratch version, resolution).
    this._xp = null;
    if (this.events !== null && meta.experiments.indexOf(1) !== -1) {
      this._xp = meta.experiments;
      this._xpList = [];
      for (let i = 0; i < n; i++) if (this._xp[i] === 1) this._xpList.push(i);
      this._xpVer = new Uint32Array(n);
      this._xpVal = new Uint32Array(n);
    }
    this._attrNames = attrs;
    this._attrIndex = new Map(attrs.map((a, i) => [a, i]));
    // Mirrors of the engine's scratch context (its values, as JS last
    // sent them) and of which slots hold something; the engine starts
    // every load with empty contexts.
    this._vals = new Array(attrs.length).fill(undefined);
    this._live = [];
    this._inLive = new Uint8Array(attrs.length);
    this._seen = new Float64Array(attrs.length);
    this._stamp = 0;
    this._scratchVer = 1;
    this._memoStamp = this._memoOk ? new Uint32Array(n) : undefined;
    this._memoVal = this._memoOk ? new Uint32Array(n) : undefined;
    this._allMemo = new Uint32Array(n);
    this._outCopy = new Uint32Array(n);
    this._row = new Array(n);
    // The batch areas and the output area (src/wasm/), which move with
    // every load; as u32 / f64 indices into the memory views.
    this._qn = 0;
    this._qOff = 0;
    this._qMax = attrs.length;
    this._hdr = this._engine.input_header() >>> 2;
    this._nums = this._engine.input_nums() >>> 3;
    this._out = this._engine.output() >>> 2;
    if (this._inCap < INPUT_BYTES) this._ensureInput(INPUT_BYTES);
    this._invalidate();
  }

  // The one place caches are dropped (load, update, override, reset): the
  // prepared contexts' memos (by generation), the scratch context's memo
  // and evaluate-all memo, the shared evaluateAll entries, rule ids, and
  // which prepared context the engine holds. The scratch mirror is marked
  // unknown rather than emptied, so every slot is sent again but none is
  // left behind in wasm.
  _invalidate() {
    this._gen++;
    this._vals.fill(DIRTY);
    this._touch();
    this._allVer = 0;
    this._held = null;
    this._entries = new Array(this._values.length * 8);
    this._ruleIds = new Map();
  }

  /** Prepares a context once, to evaluate many flags without re-reading its attributes. */
  context(attributes) {
    return new PreparedContext(this, attributes);
  }

  // Lays a prepared context out into the engine's held context (every
  // attribute the ruleset reads, in one batch); undefined when done, else
  // why it cannot be (an attribute that is not JSON).
  _hold(ctx) {
    if (this._qn > 0) this._flush();
    const index = this._attrIndex;
    const names = ctx._names;
    let why;
    for (let k = 0; k < names.length; k++) {
      const i = index.get(names[k]);
      if (i === undefined) continue;
      const bad = this._put(i, ctx._values[k]);
      if (bad !== undefined && why === undefined) why = `attribute "${names[k]}" ${bad}`;
    }
    const ok = this._engine.hold(this._take());
    if (why === undefined && !ok) why = 'an attribute cannot be read as JSON';
    this._held = why === undefined ? ctx : null;
    return why;
  }

  // The wasm target for a context, with its pending batch count, as
  // [target, pending]; undefined for an unusable context. Reads every
  // attribute the ruleset reads (the detail path).
  _target(ctx) {
    if (ctx === undefined || ctx === null) return [TARGET_EMPTY, 0];
    if (ctx instanceof PreparedContext) {
      if (ctx._flags === this) return this._held === ctx || this._hold(ctx) === undefined ? [TARGET_HELD, 0] : undefined;
      ctx = objectOf(ctx._names, ctx._values);
    }
    if (!this._sync(ctx)) {
      this._flush();
      return undefined;
    }
    return [TARGET_SCRATCH, this._take()];
  }

  // The packed resolution of flag i, or NO_RESOLUTION for an unusable context.
  _res(i, ctx) {
    const now = this._timed[i] === 1 ? (this._resNow = this._now()) : 0;
    if (ctx === undefined || ctx === null) return this._engine.resolve(i, TARGET_EMPTY, now, 0);
    if (ctx instanceof PreparedContext) {
      if (ctx._flags === this) return this._resPrepared(i, ctx, now);
      ctx = objectOf(ctx._names, ctx._values);
    }
    if (typeof ctx !== 'object' || Array.isArray(ctx)) return NO_RESOLUTION;
    if (!this._syncSlots(ctx, i)) {
      this._flush();
      return NO_RESOLUTION;
    }
    // Any attribute sent moved the scratch version on, so a remembered
    // result is only ever read with nothing pending.
    if (this._timed[i] === 1 || !this._memoOk) return this._engine.resolve(i, TARGET_SCRATCH, now, this._take());
    const ver = this._scratchVer;
    if (this._memoStamp[i] === ver) return this._memoVal[i];
    const r = this._engine.resolve(i, TARGET_SCRATCH, 0, this._take());
    this._memoStamp[i] = ver;
    this._memoVal[i] = r;
    return r;
  }

  // The scratch context changed: its remembered results are stale.
  _touch() {
    if (++this._scratchVer === 0xffffffff) {
      this._scratchVer = 1;
      if (this._memoStamp !== undefined) this._memoStamp.fill(0);
      if (this._xp !== null) this._xpVer.fill(0);
    }
  }

  _resPrepared(i, ctx, now) {
    let memo = ctx._memo;
    if (ctx._memoGen !== this._gen) {
      memo = ctx._memo = ctx._all = undefined;
      ctx._memoGen = this._gen;
    }
    if (memo !== undefined && memo[i] !== 0) return memo[i] - 1;
    // An evaluate-all array is kept only for rulesets with no timed flag.
    if (ctx._all !== undefined) return ctx._all[i];
    if (this._held !== ctx && this._hold(ctx) !== undefined) return NO_RESOLUTION;
    const r = this._engine.resolve(i, TARGET_HELD, now, 0);
    if (this._timed[i] === 0 && this._memoOk) {
      if (memo === undefined) memo = ctx._memo = new Uint32Array(this._keys.length);
      memo[i] = r + 1;
    }
    return r;
  }

  // Every flag's packed resolution for a context, or undefined for an
  // unusable one. The array is this instance's (reused by the next call)
  // unless remembered by a prepared context.
  _resAll(ctx) {
    const now = this._anyTimed ? (this._resNow = this._now()) : 0;
    if (ctx === undefined || ctx === null) {
      this._engine.resolve_all(TARGET_EMPTY, now, 0);
      return this._output(this._outCopy);
    }
    if (ctx instanceof PreparedContext) {
      if (ctx._flags === this) {
        if (ctx._memoGen === this._gen && ctx._all !== undefined) return ctx._all;
        if (this._held !== ctx && this._hold(ctx) !== undefined) return undefined;
        this._engine.resolve_all(TARGET_HELD, now, 0);
        if (this._anyTimed) return this._output(this._outCopy);
        if (ctx._memoGen !== this._gen) {
          ctx._memo = undefined;
          ctx._memoGen = this._gen;
        }
        return (ctx._all = this._output(new Uint32Array(this._keys.length)));
      }
      ctx = objectOf(ctx._names, ctx._values);
    }
    if (!this._sync(ctx)) {
      this._flush();
      return undefined;
    }
    if (!this._anyTimed && this._allVer === this._scratchVer) return this._allMemo;
    if (!this._engine.resolve_all(TARGET_SCRATCH, now, this._take())) {
      this._allVer = 0;
      return undefined;
    }
    this._allVer = this._anyTimed ? 0 : this._scratchVer;
    return this._output(this._allMemo);
  }

  // Records the exposure that the served resolution r of experiment flag
  // i for ctx is, when the core says it is one, right after resolving it
  // (the engine's contexts still hold ctx). Remembered per context like
  // results: the core is asked once per context and resolution.
  _expose(i, r, ctx) {
    let target = TARGET_SCRATCH;
    if (ctx === undefined || ctx === null) {
      target = TARGET_EMPTY;
    } else if (ctx instanceof PreparedContext && ctx._flags === this) {
      if (ctx._xpGen !== this._gen) {
        ctx._xp = this._memoOk ? new Uint32Array(this._keys.length) : undefined;
        ctx._xpGen = this._gen;
      }
      const seen = ctx._xp;
      if (seen !== undefined && seen[i] === r + 1) return;
      if (this._held !== ctx && this._hold(ctx) !== undefined) return;
      if (seen !== undefined) seen[i] = r + 1;
      target = TARGET_HELD;
    } else {
      if (this._xpVer[i] === this._scratchVer && this._xpVal[i] === r) return;
      this._xpVer[i] = this._scratchVer;
      this._xpVal[i] = r;
    }
    const n = this._engine.exposure_unit(i, target, this._timed[i] === 1 ? this._resNow : 0, r);
    if (n !== NO_UNIT) this.events.exposure(this._keys[i], this._names[this._base[i] + (r & VARIANT_MASK)], utf8At(this._engine.unit_bytes(), n), this._version);
  }

  // Every experiment flag's exposure in an evaluate-all of ctx (packed:
  // its resolutions; undefined: it failed). With overrides, the flags
  // not overridden are resolved again on the fast path for it.
  _exposeAll(packed, ctx) {
    const list = this._xpList;
    for (let k = 0; k < list.length; k++) {
      const i = list[k];
      if (packed !== undefined) {
        this._expose(i, packed[i], ctx);
      } else if (!this._isOverridden(this._keys[i])) {
        const r = this._res(i, ctx);
        if (r !== NO_RESOLUTION) this._expose(i, r, ctx);
      }
    }
  }

  // Copies the output area (src/wasm/engine.rs Engine::output) into `into`.
  _output(into) {
    if (U8.length === 0) views();
    // A loop: a subarray view per call would cost more for a few flags.
    const u32 = U32;
    const base = this._out;
    for (let i = 0; i < into.length; i++) into[i] = u32[base + i];
    return into;
  }

  // Brings the scratch slots flag i reads to a plain object's values
  // (queued in the batch; the evaluating call applies them); false when
  // one of them is unusable (not JSON).
  _syncSlots(obj, i) {
    const names = this._attrNames;
    const vals = this._vals;
    const list = this._slotList;
    for (let k = this._slotBase[i], end = this._slotBase[i + 1]; k < end; k++) {
      const s = list[k];
      const v = obj[names[s]];
      if (v !== vals[s] && !this._set(s, v)) return false;
    }
    return true;
  }

  // Brings the whole scratch context to the attributes of a plain object
  // (queued, as above); false when the context is unusable (not an object,
  // an attribute that is not JSON).
  _sync(obj) {
    if (typeof obj !== 'object' || Array.isArray(obj)) return false;
    const names = this._attrNames;
    if (names.length > SMALL_ATTRIBUTES) return this._syncLarge(obj);
    const vals = this._vals;
    for (let i = 0; i < names.length; i++) {
      const v = obj[names[i]];
      if (v !== vals[i] && !this._set(i, v)) return false;
    }
    return true;
  }

  // Many ruleset attributes: walk the object's keys instead, and clear the
  // slots that the previous context set and this one lacks.
  _syncLarge(obj) {
    const index = this._attrIndex;
    const vals = this._vals;
    const seen = this._seen;
    const live = this._live;
    const inLive = this._inLive;
    const stamp = ++this._stamp;
    let ok = true;
    for (const k in obj) {
      const i = index.get(k);
      if (i === undefined) continue;
      seen[i] = stamp;
      const v = obj[k];
      if (v !== vals[i] && !this._set(i, v)) ok = false;
    }
    let w = 0;
    for (let j = 0; j < live.length; j++) {
      const i = live[j];
      if (seen[i] === stamp) {
        live[w++] = i;
      } else {
        inLive[i] = 0;
        if (vals[i] !== undefined) {
          this._code(i, SET_NULL);
          vals[i] = undefined;
          this._touch();
        }
      }
    }
    live.length = w;
    return ok;
  }

  // Sets scratch slot i to v (queued), remembering v to skip it next time
  // when it is a primitive that compares equal.
  _set(i, v) {
    this._touch();
    // Slots set here are cleared by _syncLarge when a context lacks them.
    if (this._inLive[i] === 0) {
      this._inLive[i] = 1;
      this._live.push(i);
    }
    // Arrays and objects can change in place: never remembered.
    this._vals[i] = typeof v === 'object' && v !== null ? DIRTY : v;
    return this._put(i, v) === undefined;
  }

  // Queues value v for slot i, with the meaning JSON.stringify of the
  // context would give it (what the CLI and the Worker read): undefined,
  // functions and symbols are missing; NaN and Infinity are null; BigInt
  // is its decimal string; arrays and objects cross as their JSON form
  // (toJSON, Dates as ISO strings) through serde-wasm-bindgen. Undefined
  // when queued, else why v is unusable (the slot is then cleared).
  _put(i, v) {
    switch (typeof v) {
      case 'string':
        this._text(i, v);
        return undefined;
      case 'number':
        if (this._qn >= this._qMax) this._flush();
        if (U8.length === 0) views();
        F64[this._nums + this._qn] = v;
        this._code(i, SET_NUMBER);
        return undefined;
      case 'boolean':
        this._code(i, v ? SET_TRUE : SET_FALSE);
        return undefined;
      case 'bigint':
        this._text(i, String(v));
        return undefined;
      case 'object':
        if (v !== null) break;
      // fall through: null
      default:
        this._code(i, SET_NULL);
        return undefined;
    }
    let json;
    try {
      json = JSON.stringify(v, jsonReplacer);
    } catch (e) {
      this._code(i, SET_NULL);
      return `cannot be written as JSON: ${e && e.message}`;
    }
    if (json === undefined) {
      this._code(i, SET_NULL);
      return undefined;
    }
    // A Date's JSON is a string; anything else an array or an object.
    const plain = JSON.parse(json);
    if (typeof plain === 'string') {
      this._text(i, plain);
      return undefined;
    }
    if (this._qn >= this._qMax) this._flush();
    if (!this._engine.stage(plain)) {
      this._code(i, SET_NULL);
      return `is nested more deeply than JSON may be here`;
    }
    this._code(i, SET_STAGED);
    return undefined;
  }

  // Queues a batch entry with no bytes.
  _code(i, code) {
    if (this._qn >= this._qMax) this._flush();
    if (U8.length === 0) views();
    const h = this._hdr + 2 * this._qn++;
    U32[h] = i;
    U32[h + 1] = code;
  }

  // Queues string v.
  _text(i, v) {
    if (this._qn >= this._qMax) this._flush();
    const len = v.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit. The area grows keeping
    // what is queued (Engine::input_bytes), and a grown memory detaches
    // the views.
    if (this._qOff + len * 3 > this._inCap) this._ensureInput(Math.max(this._qOff + len * 3, this._inCap * 2));
    if (U8.length === 0) views();
    const u8 = U8;
    const at = this._inPtr + this._qOff;
    let k = 0;
    for (; k < len; k++) {
      const c = v.charCodeAt(k);
      if (c > 0x7f) break;
      u8[at + k] = c;
    }
    let n = k;
    if (k < len) n += ENCODER.encodeInto(v.slice(k), u8.subarray(at + k, this._inPtr + this._inCap)).written;
    this._qOff += n;
    const h = this._hdr + 2 * this._qn++;
    U32[h] = i;
    U32[h + 1] = n;
  }

  // The pending entry count, for a call that applies them (and resets).
  _take() {
    const n = this._qn;
    this._qn = 0;
    this._qOff = 0;
    return n;
  }

  // Applies the pending entries to the scratch context now.
  _flush() {
    if (this._qn > 0) this._engine.apply_scratch(this._take());
  }

  _ensureInput(capacity) {
    this._inPtr = this._engine.input_bytes(capacity);
    this._inCap = capacity;
  }

  // Whether `key` takes the detail path: an overridden key.
  _isOverridden(key) {
    return this._overridden.size !== 0 && this._overridden.has(key);
  }

  // The core's evaluation of `key` (overrides, unknown flags, typed
  // defaults: the core decides), as it serializes it.
  _detail(key, context, defaultValue) {
    if (typeof key !== 'string') return errorResult(defaultValue, 'FLAG_NOT_FOUND');
    const t = this._target(context);
    if (t === undefined) return errorResult(defaultValue, INVALID_CONTEXT);
    const e = this._engine.evaluate(key, t[0], this._now(), t[1], defaultValue);
    return e === null ? errorResult(defaultValue, INVALID_CONTEXT) : e;
  }

  _ruleId(i, r) {
    const k = i * 524288 + (r >>> MATCHED_SHIFT);
    let id = this._ruleIds.get(k);
    if (id === undefined) {
      id = this._engine.rule_id(i, r);
      if (id === undefined) id = null;
      this._ruleIds.set(k, id);
    }
    return id;
  }

  /** Whether the flag serves a truthy value (false for unknown flags). */
  isEnabled(key, context) {
    if (this._isOverridden(key)) {
      const t = this._target(context);
      return t !== undefined && this._engine.is_enabled(key, t[0], this._now(), t[1]);
    }
    const i = this._index.get(key);
    if (i === undefined) return false;
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return false;
    if (this._xp !== null && this._xp[i] === 1) this._expose(i, r, context);
    const j = this._base[i] + (r & VARIANT_MASK);
    if (this._use !== null && this._use[j]++ === 0) this.events.counted();
    return this._truthy[j] === 1;
  }

  /** The flag's value, or `defaultValue` for an unknown flag, a value of another type, or an unusable context. */
  getValue(key, context, defaultValue) {
    if (this._isOverridden(key)) {
      const e = this._detail(key, context, defaultValue);
      return e.errorCode === undefined ? e.value : defaultValue;
    }
    const i = this._index.get(key);
    if (i === undefined) return defaultValue;
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return defaultValue;
    const j = this._base[i] + (r & VARIANT_MASK);
    if (this._accepts[kindOf(defaultValue) * KINDS + this._kinds[j]] === 0) return defaultValue;
    if (this._xp !== null && this._xp[i] === 1) this._expose(i, r, context);
    if (this._use !== null && this._use[j]++ === 0) this.events.counted();
    return this._values[j];
  }

  /** The name of the variant served, or null for an unknown flag or an unusable context. */
  variant(key, context) {
    if (this._isOverridden(key)) return this._detail(key, context, undefined).variant;
    const i = this._index.get(key);
    if (i === undefined) return null;
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return null;
    if (this._xp !== null && this._xp[i] === 1) this._expose(i, r, context);
    const j = this._base[i] + (r & VARIANT_MASK);
    if (this._use !== null && this._use[j]++ === 0) this.events.counted();
    return this._names[j];
  }

  /** The full result: value, variant, reason, and ruleId / errorCode when there is one. */
  evaluate(key, context, defaultValue) {
    const i = this._isOverridden(key) ? undefined : this._index.get(key);
    if (i === undefined) return this._detail(key, context, defaultValue);
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return errorResult(defaultValue, INVALID_CONTEXT);
    const j = this._base[i] + (r & VARIANT_MASK);
    if (this._accepts[kindOf(defaultValue) * KINDS + this._kinds[j]] === 0) return this._detail(key, context, defaultValue);
    if (this._xp !== null && this._xp[i] === 1) this._expose(i, r, context);
    if (this._use !== null && this._use[j]++ === 0) this.events.counted();
    const out = { value: this._values[j], variant: this._names[j], reason: this._reasons[(r >>> REASON_SHIFT) & REASON_MASK] };
    if (r >>> MATCHED_SHIFT !== 0) {
      const id = this._ruleId(i, r);
      if (id !== null) out.ruleId = id;
    }
    return out;
  }

  // With overrides: the core's evaluate-all, [[key, evaluation, enabled]].
  _allDetail(context) {
    const t = this._target(context);
    if (t === undefined) return null;
    return this._engine.evaluate_all(t[0], this._now(), t[1]);
  }

  /** Every flag for one context, in ruleset order (then overridden keys not in the ruleset); the entries are shared and frozen. */
  evaluateAll(context) {
    if (this._overridden.size !== 0) {
      const rows = this._allDetail(context);
      if (rows !== null && this._xp !== null) this._exposeAll(undefined, context);
      const out = {};
      if (rows === null) {
        for (const key of this._keys) put(out, key, { value: null, variant: null, reason: 'ERROR', errorCode: INVALID_CONTEXT });
        return out;
      }
      for (const [key, e] of rows) {
        const entry = { value: deepFreeze(e.value), variant: e.variant, reason: e.reason };
        if (e.errorCode !== undefined) entry.errorCode = e.errorCode;
        put(out, key, Object.freeze(entry));
      }
      return out;
    }
    const packed = this._resAll(context);
    if (packed !== undefined && this._xp !== null) this._exposeAll(packed, context);
    const keys = this._keys;
    const row = this._row;
    const use = packed === undefined ? null : this._use;
    for (let i = 0; i < keys.length; i++) {
      let e;
      if (packed === undefined) {
        e = { value: null, variant: null, reason: 'ERROR', errorCode: INVALID_CONTEXT };
      } else {
        const r = packed[i];
        const j = this._base[i] + (r & VARIANT_MASK);
        const reason = (r >>> REASON_SHIFT) & REASON_MASK;
        const slot = j * 8 + reason;
        if (use !== null && use[j]++ === 0) this.events.counted();
        e = this._entries[slot];
        if (e === undefined) {
          e = this._entries[slot] = Object.freeze({ value: this._values[j], variant: this._names[j], reason: this._reasons[reason] });
        }
      }
      row[i] = e;
    }
    if (this._makeRow !== null) return this._makeRow(row);
    const out = {};
    for (let i = 0; i < keys.length; i++) put(out, keys[i], row[i]);
    return out;
  }

  /** The keys of the flags serving a truthy value (the seeds' X-Active-Flags header). */
  activeFlags(context) {
    const out = [];
    if (this._overridden.size !== 0) {
      const rows = this._allDetail(context);
      if (rows === null) return out;
      if (this._xp !== null) this._exposeAll(undefined, context);
      for (const [key, , enabled] of rows) if (enabled) out.push(key);
      return out;
    }
    const packed = this._resAll(context);
    if (packed === undefined) return out;
    if (this._xp !== null) this._exposeAll(packed, context);
    const keys = this._keys;
    const use = this._use;
    for (let i = 0; i < keys.length; i++) {
      const j = this._base[i] + (packed[i] & VARIANT_MASK);
      if (use !== null && use[j]++ === 0) this.events.counted();
      if (this._truthy[j] === 1) out.push(keys[i]);
    }
    return out;
  }

  /** Test helper: the flag serves `true` (reason OVERRIDE) until reset(). */
  enable(key) {
    return this.override(key, true);
  }

  /** Test helper: the flag serves `false` (reason OVERRIDE) until reset(). */
  disable(key) {
    return this.override(key, false);
  }

  /** Test helper: the flag serves `value` (reason OVERRIDE), over every rule, across update(), until reset(). */
  override(key, value) {
    if (typeof key !== 'string') throw new EdgeflagsError(INVALID_ARGUMENT, `a flag key must be a string, not ${typeof key}`);
    if (value === undefined) throw new EdgeflagsError(INVALID_ARGUMENT, `override("${key}") needs a value (use reset("${key}") to remove an override)`);
    try {
      this._engine.set_override(key, value);
    } catch (e) {
      throw adopt(e);
    }
    this._overridden.add(key);
    this._invalidate();
    return this;
  }

  /** Removes the override of `key`, or every override when called without a key. */
  reset(key) {
    this._engine.reset(key === undefined ? undefined : String(key));
    if (key === undefined) this._overridden.clear();
    else this._overridden.delete(key);
    this._invalidate();
    return this;
  }

  /**
   * Records a track event for an experiment's metrics: `event` (a metric's
   * name), the unit (the context's `user_id`, or `context` itself when it
   * is a string: the unit of a flag bucketed by another attribute) and an
   * optional finite `value`. Throws INVALID_ARGUMENT naming the bad
   * argument, with or without options.events; records only with it.
   */
  track(event, context, value, options) {
    if (options !== undefined && options !== null && options.flag !== undefined) {
      // An outcome of options.flag: `value` is the metric `event`'s value.
      trackUnit(event, 'unit', value);
      const metrics = value === undefined ? undefined : { [event]: value };
      const error = options.error === undefined ? event === 'error' : options.error;
      return this.outcome(options.flag, context, { error, latencyMs: options.latencyMs, metrics });
    }
    let unit = context;
    if (context instanceof PreparedContext) unit = context._values[context._names.indexOf('user_id')];
    else if (typeof context === 'object' && context !== null) unit = context.user_id;
    unit = trackUnit(event, unit, value);
    if (this.events !== null) this.events.track(event, unit, value);
  }

  /**
   * Records what the application saw where it used flag `key` for
   * `context` (docs/rollouts.md, "Metrics from applications"): one request
   * of the variant the flag serves it, `error` (default false),
   * `latencyMs` and custom `metrics` ({name: number}), which a guarded
   * rollout's guards read. Report every outcome, successes too: the error
   * rate is errors over outcomes. Returns the variant, or null when the
   * flag serves none (unknown flag, unusable context: nothing recorded).
   * Throws INVALID_ARGUMENT naming a bad field; records only with options.events.
   */
  outcome(key, context, outcome) {
    const fields = outcomeFields(key, outcome);
    const variant = this.variant(key, context);
    if (variant !== null && this.events !== null) this.events.outcome(key, variant, this._version, fields);
    return variant;
  }

  /** Sends the queued events now: true when all were accepted (true at once without options.events). */
  flush() {
    return this.events === null ? Promise.resolve(true) : this.events.flush();
  }

  /** Sends the queued events and stops recording and the timers; evaluation goes on. */
  close() {
    return this.events === null ? Promise.resolve(true) : this.events.close();
  }

  /** Frees the wasm memory now (without it, the garbage collector frees it where FinalizationRegistry exists); closes the events (close()). */
  free() {
    if (this._engine === FREED_ENGINE) return;
    this._engine.free();
    this._engine = FREED_ENGINE;
    if (this.events !== null) this.events.close();
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Flags.prototype[Symbol.dispose] = Flags.prototype.free;
  PreparedContext.prototype[Symbol.dispose] = PreparedContext.prototype.free;
}

// Up to this many flags, evaluateAll can build its result with a function
// made for the ruleset's keys (see rowMaker).
const ROW_MAKER_MAX_FLAGS = 1000;

// With `codegen: true` only: a function `row => ({ "key0": row[0], ... })`
// for these keys, or null. An object literal gets its whole shape at once,
// where adding 50 keys one by one costs about 15x more (bench/ANALYSIS.md).
// Keys are written as JSON string literals, which are JS string literals:
// no key can break out. null (keys added one by one) without the option,
// where code cannot be made at run time (a Content-Security-Policy without
// 'unsafe-eval', Cloudflare Workers: then the option costs one failed try
// per ruleset), for very large rulesets, and when a key is "__proto__".
function rowMaker(keys, allowed) {
  if (!allowed || keys.length > ROW_MAKER_MAX_FLAGS || keys.includes('__proto__')) return null;
  const props = keys.map((k, i) => `${JSON.stringify(k)}:r[${i}]`).join(',');
  try {
    return new Function('r', `"use strict";return{${props}};`);
  } catch {
    return null;
  }
}

// A flag key may be "__proto__"; a plain assignment would set the prototype.
function put(obj, key, value) {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The bucket of `unit` under `salt`, in [0, 100] (shared/spec/bucketing.md). */
export function bucket(salt, unit) {
  if (typeof salt !== 'string' || typeof unit !== 'string') {
    throw new EdgeflagsError(INVALID_ARGUMENT, `bucket(salt, unit) takes two strings, not ${typeof salt} and ${typeof unit}`);
  }
  return wasmBucket(salt, unit);
}
