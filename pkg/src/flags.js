// The edgeflags JS API over the wasm core: `Flags`, prepared contexts,
// test overrides, errors and `bucket`.
//
// Shaped by the boundary (shared/PERFORMANCE.md): everything the ruleset
// already knows (flag keys, variant names and values, the attribute names
// it reads) crosses once per load and lives here in plain JS tables; each
// evaluation sends a flag index and gets one packed u32 back (src/wasm.rs
// `pack`: bits 0-9 variant, 10-12 reason, 13-31 what matched), which is
// read against those tables. Values returned to callers are the cached,
// deeply frozen variant values: no decoding per call.
//
// The clock is read only for flags whose result depends on it (schedules,
// `timed` in the load metadata); the others get 0.
//
// A plain object is read lazily: evaluating one flag sends only the
// attributes that flag reads (`slots` in the metadata); evaluateAll sends
// every attribute the ruleset reads.
//
// Contexts: a `PreparedContext` (`flags.context(attrs)`) is built in wasm
// once and reused. It is immutable, so it also remembers each untimed
// flag's packed result until the ruleset changes: a page asking the same
// flag on every render crosses into wasm once. A plain object per call is copied attribute by
// attribute (only the attributes the ruleset reads) into the engine's
// scratch context; slots whose primitive value is unchanged since the last
// call are not sent again, so a reused user costs no string crossing, and
// while the scratch context is unchanged the untimed flags' results are
// remembered as for a prepared context (stamped with a scratch version).
//
// This module does not load the wasm: each entry (web.js, node.js,
// node-cjs.js, workerd.js) initialises the glue first, then re-exports it.

import { Engine, prepare, context_error, bucket as wasmBucket, wasm_memory } from '../dist/glue/edgeflags.js';

// src/wasm.rs NO_RESOLUTION: unknown flag index or no ruleset.
const NO_RESOLUTION = 0xffffffff;
// Up to this many attributes, a plain context is read by looking each
// ruleset attribute up on the object; above it, by walking the object's keys.
const SMALL_ATTRIBUTES = 32;
// A scratch slot whose JS-side value cannot be trusted to be unchanged.
const DIRTY = Object.freeze({});
// Prepared contexts remember results only for rulesets up to this many
// flags (4 bytes per flag per context).
const MEMO_MAX_FLAGS = 16384;

// A plain object's changed attributes reach wasm in one batch, with the
// call that evaluates (src/wasm.rs Engine::apply): written straight into
// wasm memory (strings by an ASCII loop, encodeInto otherwise) as a header
// pair per attribute (slot, code), the bytes of strings and JSON texts,
// and numbers; a call per attribute would also cost a malloc and a free
// per string (bench/ANALYSIS.md). Prepared contexts are built the same way.
const ENCODER = new TextEncoder();
const INPUT_BYTES = 1024;
// Entry codes (src/wasm.rs): below JSON_TEXT a string's byte length.
const JSON_TEXT = 0x40000000;
const SET_NULL = 0xfffffff0;
const SET_FALSE = 0xfffffff1;
const SET_TRUE = 0xfffffff2;
const SET_NUMBER = 0xfffffff3;
// Views of the module's memory, made on first use (the entries initialise
// the glue after this module has been evaluated) and again after a call
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

/** An edgeflags failure: a real `Error` with a stable `code`. */
export class EdgeflagsError extends Error {
  constructor(code, message, problems, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'EdgeflagsError';
    this.code = code;
    this.problems = problems || [];
  }
}

function invalidRuleset(problems) {
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  const n = problems.length;
  return new EdgeflagsError('INVALID_RULESET', `invalid ruleset (${n} problem${n === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`, problems);
}

// BigInt ids keep every digit as a decimal string (JSON has no BigInt).
function jsonReplacer(_key, v) {
  return typeof v === 'bigint' ? String(v) : v;
}

function rulesetJson(ruleset) {
  if (typeof ruleset === 'string') return ruleset;
  if (typeof ruleset !== 'object' || ruleset === null) {
    throw invalidRuleset([{ path: '', message: `a ruleset must be a JSON object or JSON text, not ${ruleset === null ? 'null' : typeof ruleset}` }]);
  }
  try {
    return JSON.stringify(ruleset, jsonReplacer);
  } catch (e) {
    throw invalidRuleset([{ path: '', message: `the ruleset object cannot be written as JSON: ${e && e.message}` }]);
  }
}

function deepFreeze(v) {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k in v) deepFreeze(v[k]);
  }
  return v;
}

// Evaluation::is_truthy in the core, and the seeds' X-Active-Flags test.
function truthy(v) {
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '' && !(typeof v === 'number' && v !== v);
}

// FlagType::accepts: no default fits everything; json flags take anything.
function accepts(type, d) {
  return d === undefined || d === null || type === 'json' || typeof d === type;
}

// Whether a served value may stand in for the caller's default: same type
// for a boolean, number or string default (OpenFeature's typed getters);
// any JSON for an object, array or missing default. Only json flags (and
// overrides of unknown flags) can fail it once `accepts` has passed.
function fits(d, v) {
  return d === undefined || d === null || typeof d === 'object' || typeof v === typeof d;
}

function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

// A null-prototype object of names and values.
function objectOf(names, values) {
  const o = Object.create(null);
  for (let i = 0; i < names.length; i++) o[names[i]] = values[i];
  return o;
}

function contextError(message) {
  return new EdgeflagsError('INVALID_CONTEXT', message);
}

function checkContextObject(attrs) {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    throw contextError(`a context must be an object of attributes, not ${attrs === null ? 'null' : Array.isArray(attrs) ? 'an array' : typeof attrs}`);
  }
}

function freedError() {
  throw new EdgeflagsError('FREED', 'this Flags instance was freed (free() was called)');
}

// Stands in for the engine after free(): every crossing throws.
const FREED_ENGINE = new Proxy({}, { get: () => freedError });

/**
 * Attributes prepared once for a `Flags` instance (`flags.context(attrs)`).
 * It keeps a shallow snapshot of the attributes and a wasm-side context of
 * the ones the ruleset reads; after `update()` changes which attributes the
 * ruleset reads, it rebuilds itself on first use.
 */
export class PreparedContext {
  constructor(flags, attrs) {
    if (!(flags instanceof Flags)) throw new EdgeflagsError('INVALID_ARGUMENT', 'make prepared contexts with flags.context(attributes)');
    checkContextObject(attrs);
    this._flags = flags;
    this._error = undefined;
    // A shallow snapshot (what it rebuilds itself from for a later
    // ruleset), as two arrays: cheaper to make and read than an object.
    const names = [];
    const values = [];
    for (const k in attrs) {
      names.push(k);
      values.push(attrs[k]);
    }
    this._names = names;
    this._values = values;
    this._ctx = undefined;
    this._key = null;
    // Packed results + 1 (0: not yet) of untimed flags, for ruleset
    // generation _memoGen; and the whole evaluate-all array.
    this._memo = undefined;
    this._memoGen = -1;
    this._all = undefined;
    if (this._handle() === undefined) {
      throw contextError(this._error || 'invalid context');
    }
  }

  /** The attributes this context was prepared from (a frozen copy). */
  get attributes() {
    return Object.freeze(Object.assign({}, objectOf(this._names, this._values)));
  }

  // The wasm context for the owner's current ruleset, or undefined when
  // the attributes cannot be read (deep, cyclic, not JSON).
  _handle() {
    const f = this._flags;
    if (this._key === f._attrsKey && this._ctx !== undefined) return this._ctx;
    if (this._ctx !== undefined) this._ctx.free();
    this._ctx = undefined;
    this._key = f._attrsKey;
    // The attributes the ruleset reads go through the batch (as for a
    // plain object), not JSON: about 10x faster to prepare.
    if (f._qn > 0) f._flush();
    const index = f._attrIndex;
    let ok = true;
    const names = this._names;
    for (let k = 0; k < names.length; k++) {
      const i = index.get(names[k]);
      if (i !== undefined && !f._put(i, this._values[k])) ok = false;
    }
    const n = f._take();
    const ctx = ok ? f._engine.prepare(n) : undefined;
    if (ctx === undefined) this._error = this._why();
    this._ctx = ctx;
    return ctx;
  }

  // Why the attributes cannot be prepared, in words: from the JSON path,
  // which the batch agrees with and which names the problem.
  _why() {
    const picked = Object.create(null);
    const index = this._flags._attrIndex;
    this._names.forEach((k, i) => {
      if (index.has(k)) picked[k] = this._values[i];
    });
    let json;
    try {
      json = JSON.stringify(picked, jsonReplacer);
    } catch (e) {
      return `the context cannot be written as JSON: ${e && e.message}`;
    }
    return context_error(json) || 'invalid context';
  }

  /** Frees the wasm memory now (it is also freed when garbage collected). Using it afterwards rebuilds it. */
  free() {
    if (this._ctx !== undefined) this._ctx.free();
    this._ctx = undefined;
    this._key = null;
  }
}

/** Flags evaluated locally from a ruleset. */
export class Flags {
  constructor(ruleset, options) {
    const now = options && options.now;
    if (now !== undefined && typeof now !== 'function') {
      throw new EdgeflagsError('INVALID_ARGUMENT', 'options.now must be a function returning epoch milliseconds');
    }
    const codegen = options && options.codegen;
    if (codegen !== undefined && typeof codegen !== 'boolean') {
      throw new EdgeflagsError('INVALID_ARGUMENT', 'options.codegen must be a boolean');
    }
    this._now = now || Date.now;
    this._codegen = codegen !== false;
    this._overrides = new Map();
    this._gen = 0;
    this._engine = new Engine();
    try {
      this._load(ruleset);
    } catch (e) {
      this._engine.free();
      throw e;
    }
    this._empty = prepare('{}');
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

  _load(ruleset) {
    const json = rulesetJson(ruleset);
    const meta = JSON.parse(this._engine.load(json));
    if (Array.isArray(meta)) throw invalidRuleset(meta);
    const flags = meta.flags;
    const n = flags.length;
    const index = new Map();
    const keys = new Array(n);
    const types = new Array(n);
    const base = new Int32Array(n + 1);
    const timed = new Uint8Array(n);
    const slots = new Array(n);
    let anyTimed = false;
    const names = [];
    const values = [];
    for (let i = 0; i < n; i++) {
      const [key, type, vnames, vvalues, isTimed, flagSlots] = flags[i];
      timed[i] = isTimed;
      slots[i] = flagSlots;
      anyTimed = anyTimed || isTimed === 1;
      index.set(key, i);
      keys[i] = key;
      types[i] = type;
      base[i] = names.length;
      for (let j = 0; j < vnames.length; j++) {
        names.push(vnames[j]);
        values.push(deepFreeze(vvalues[j]));
      }
    }
    base[n] = names.length;
    const truthyTable = new Uint8Array(values.length);
    for (let j = 0; j < values.length; j++) truthyTable[j] = truthy(values[j]) ? 1 : 0;
    const attrs = meta.attributes;
    this._gen++;
    this._index = index;
    this._keys = keys;
    this._timed = timed;
    this._slots = slots;
    this._anyTimed = anyTimed;
    this._memoOk = n <= MEMO_MAX_FLAGS;
    // evaluateAll entries, shared and frozen, by variant slot * 8 + reason.
    this._entries = new Array(values.length * 8);
    this._row = new Array(n);
    this._makeRow = rowMaker(keys, this._codegen);
    this._types = types;
    this._base = base;
    this._names = names;
    this._values = values;
    this._truthy = truthyTable;
    this._reasons = meta.reasons;
    this._ruleIds = new Map();
    this._version = meta.version;
    this._attrNames = attrs;
    this._attrIndex = new Map(attrs.map((a, i) => [a, i]));
    this._attrsKey = attrs.join('\u0000');
    // The engine's scratch context starts empty after every load.
    this._vals = new Array(attrs.length).fill(undefined);
    this._scratchVer = 1;
    this._memoStamp = this._memoOk ? new Uint32Array(n) : undefined;
    this._memoVal = this._memoOk ? new Uint32Array(n) : undefined;
    this._allVer = 0;
    // The scratch context's evaluate-all, remembered while it is unchanged.
    this._allMemo = new Uint32Array(n);
    this._live = [];
    this._inLive = new Uint8Array(attrs.length);
    // The batch areas and the output area (src/wasm.rs), which move with
    // every load; as u32 / f64 indices into the memory views.
    this._qn = 0;
    this._qOff = 0;
    this._qMax = attrs.length;
    this._hdr = this._engine.input_header() >>> 2;
    this._nums = this._engine.input_nums() >>> 3;
    this._out = this._engine.output() >>> 2;
    this._outCopy = new Uint32Array(n);
    if (this._inCap === undefined) this._inCap = 0;
    if (this._inCap < INPUT_BYTES) this._ensureInput(INPUT_BYTES);
    this._seen = new Float64Array(attrs.length);
    this._stamp = 0;
  }

  /** Prepares a context once, to evaluate many flags without re-sending its attributes. */
  context(attributes) {
    return new PreparedContext(this, attributes);
  }

  // The packed resolution of flag i, or NO_RESOLUTION for an unusable context.
  _res(i, ctx) {
    const now = this._timed[i] === 1 ? this._now() : 0;
    if (ctx === undefined || ctx === null) return this._engine.resolve(i, this._empty, now);
    if (ctx instanceof PreparedContext) {
      if (ctx._flags === this) return this._resPrepared(i, ctx, now);
      ctx = objectOf(ctx._names, ctx._values);
    }
    if (typeof ctx !== 'object' || Array.isArray(ctx)) return NO_RESOLUTION;
    if (!this._syncSlots(ctx, this._slots[i])) {
      this._flush();
      return NO_RESOLUTION;
    }
    // Any attribute sent moved the scratch version on, so a remembered
    // result is only ever read with nothing pending.
    if (this._timed[i] === 1 || !this._memoOk) return this._engine.resolve_scratch(i, now, this._take());
    const ver = this._scratchVer;
    if (this._memoStamp[i] === ver) return this._memoVal[i];
    const r = this._engine.resolve_scratch(i, 0, this._take());
    this._memoStamp[i] = ver;
    this._memoVal[i] = r;
    return r;
  }

  // The scratch context changed: its remembered results are stale.
  _touch() {
    if (++this._scratchVer === 0xffffffff) {
      this._scratchVer = 1;
      if (this._memoStamp !== undefined) this._memoStamp.fill(0);
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
    const h = ctx._handle();
    if (h === undefined) return NO_RESOLUTION;
    const r = this._engine.resolve(i, h, now);
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
    const now = this._anyTimed ? this._now() : 0;
    if (ctx === undefined || ctx === null) {
      this._engine.resolve_all(this._empty, now);
      return this._output(this._outCopy);
    }
    if (ctx instanceof PreparedContext) {
      if (ctx._flags === this) {
        if (ctx._memoGen === this._gen && ctx._all !== undefined) return ctx._all;
        const h = ctx._handle();
        if (h === undefined) return undefined;
        this._engine.resolve_all(h, now);
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
    if (!this._engine.resolve_all_scratch(now, this._take())) {
      this._allVer = 0;
      return undefined;
    }
    this._allVer = this._anyTimed ? 0 : this._scratchVer;
    return this._output(this._allMemo);
  }

  // Copies the output area (src/wasm.rs Engine::output) into `into`.
  _output(into) {
    if (U8.length === 0) views();
    // A loop: a subarray view per call would cost more for a few flags.
    const u32 = U32;
    const base = this._out;
    for (let i = 0; i < into.length; i++) into[i] = u32[base + i];
    return into;
  }

  // Brings the scratch slots one flag reads to a plain object's values
  // (queued in the batch; the evaluating call applies them); false when
  // one of them is unusable (not JSON).
  _syncSlots(obj, slots) {
    const names = this._attrNames;
    const vals = this._vals;
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k];
      const v = obj[names[i]];
      if (v !== vals[i] && !this._set(i, v)) return false;
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
    return this._put(i, v);
  }

  // Queues value v for slot i, with the meaning JSON.stringify of the
  // context would give it (what the CLI and the Worker read): undefined,
  // functions and symbols are missing; NaN and Infinity are null; BigInt
  // is its decimal string. False (and the slot cleared) when v cannot be
  // written as JSON.
  _put(i, v) {
    switch (typeof v) {
      case 'string':
        this._text(i, v, 0);
        return true;
      case 'number':
        if (this._qn >= this._qMax) this._flush();
        if (U8.length === 0) views();
        F64[this._nums + this._qn] = v;
        this._code(i, SET_NUMBER);
        return true;
      case 'boolean':
        this._code(i, v ? SET_TRUE : SET_FALSE);
        return true;
      case 'bigint':
        this._text(i, String(v), 0);
        return true;
      case 'object':
        if (v !== null) break;
      // fall through: null
      default:
        this._code(i, SET_NULL);
        return true;
    }
    let json;
    try {
      json = JSON.stringify(v, jsonReplacer);
    } catch {
      this._code(i, SET_NULL);
      return false;
    }
    if (json === undefined) this._code(i, SET_NULL);
    else this._text(i, json, JSON_TEXT);
    return true;
  }

  // Queues a batch entry with no bytes.
  _code(i, code) {
    if (this._qn >= this._qMax) this._flush();
    if (U8.length === 0) views();
    const h = this._hdr + 2 * this._qn++;
    U32[h] = i;
    U32[h + 1] = code;
  }

  // Queues string v (a string, or a JSON text when kind is JSON_TEXT).
  _text(i, v, kind) {
    if (this._qn >= this._qMax) this._flush();
    const len = v.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit. The area grows keeping
    // what is queued (src/wasm.rs input_bytes), and a grown memory detaches
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
    U32[h + 1] = n | kind;
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
    if (this._qn > 0) this._engine.apply(this._take());
  }

  _ensureInput(capacity) {
    this._inPtr = this._engine.input_bytes(capacity);
    this._inCap = capacity;
  }

  _override(key) {
    return this._overrides.size === 0 ? undefined : this._overrides.get(key);
  }

  // The variant name an override's value corresponds to, if any.
  _overrideVariant(key, o) {
    const i = this._index.get(key);
    if (i === undefined) return null;
    for (let j = this._base[i]; j < this._base[i + 1]; j++) {
      if (sameJson(this._values[j], o.value)) return this._names[j];
    }
    return null;
  }

  _ruleId(i, r) {
    const k = i * 524288 + (r >>> 13);
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
    const o = this._override(key);
    if (o !== undefined) return truthy(o.value);
    const i = this._index.get(key);
    if (i === undefined) return false;
    const r = this._res(i, context);
    return r !== NO_RESOLUTION && this._truthy[this._base[i] + (r & 1023)] === 1;
  }

  /** The flag's value, or `defaultValue` for an unknown flag, a default of another type, or an unusable context. */
  getValue(key, context, defaultValue) {
    const o = this._override(key);
    if (o !== undefined) return fits(defaultValue, o.value) ? o.value : defaultValue;
    const i = this._index.get(key);
    if (i === undefined || !accepts(this._types[i], defaultValue)) return defaultValue;
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return defaultValue;
    const v = this._values[this._base[i] + (r & 1023)];
    return fits(defaultValue, v) ? v : defaultValue;
  }

  /** The name of the variant served, or null for an unknown flag or an unusable context. */
  variant(key, context) {
    const o = this._override(key);
    if (o !== undefined) return this._overrideVariant(key, o);
    const i = this._index.get(key);
    if (i === undefined) return null;
    const r = this._res(i, context);
    return r === NO_RESOLUTION ? null : this._names[this._base[i] + (r & 1023)];
  }

  /** The full result: value, variant, reason, and ruleId / errorCode when there is one. */
  evaluate(key, context, defaultValue) {
    const o = this._override(key);
    if (o !== undefined) {
      if (!fits(defaultValue, o.value)) return errorResult(defaultValue, 'TYPE_MISMATCH');
      return { value: o.value, variant: this._overrideVariant(key, o), reason: 'OVERRIDE' };
    }
    const i = this._index.get(key);
    if (i === undefined) return errorResult(defaultValue, 'FLAG_NOT_FOUND');
    if (!accepts(this._types[i], defaultValue)) return errorResult(defaultValue, 'TYPE_MISMATCH');
    const r = this._res(i, context);
    if (r === NO_RESOLUTION) return errorResult(defaultValue, 'INVALID_CONTEXT');
    const j = this._base[i] + (r & 1023);
    if (!fits(defaultValue, this._values[j])) return errorResult(defaultValue, 'TYPE_MISMATCH');
    const out = { value: this._values[j], variant: this._names[j], reason: this._reasons[(r >>> 10) & 7] };
    if (r >>> 13 !== 0) {
      const id = this._ruleId(i, r);
      if (id !== null) out.ruleId = id;
    }
    return out;
  }

  /** Every flag for one context, in ruleset order (then overridden keys not in the ruleset); the entries are shared and frozen. */
  evaluateAll(context) {
    const packed = this._resAll(context);
    const keys = this._keys;
    const row = this._row;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const o = this._override(key);
      let e;
      if (o !== undefined) {
        e = { value: o.value, variant: this._overrideVariant(key, o), reason: 'OVERRIDE' };
      } else if (packed === undefined) {
        e = { value: null, variant: null, reason: 'ERROR', errorCode: 'INVALID_CONTEXT' };
      } else {
        const r = packed[i];
        const j = this._base[i] + (r & 1023);
        const slot = j * 8 + ((r >>> 10) & 7);
        e = this._entries[slot];
        if (e === undefined) {
          e = this._entries[slot] = Object.freeze({ value: this._values[j], variant: this._names[j], reason: this._reasons[(r >>> 10) & 7] });
        }
      }
      row[i] = e;
    }
    let out;
    if (this._makeRow !== null) {
      out = this._makeRow(row);
    } else {
      out = {};
      for (let i = 0; i < keys.length; i++) put(out, keys[i], row[i]);
    }
    for (const [key, o] of this._overrides) {
      if (!this._index.has(key)) put(out, key, { value: o.value, variant: null, reason: 'OVERRIDE' });
    }
    return out;
  }

  /** The keys of the flags serving a truthy value (the seeds' X-Active-Flags header). */
  activeFlags(context) {
    const packed = this._resAll(context);
    const out = [];
    const keys = this._keys;
    for (let i = 0; i < keys.length; i++) {
      const o = this._override(keys[i]);
      if (o !== undefined) {
        if (truthy(o.value)) out.push(keys[i]);
      } else if (packed !== undefined && this._truthy[this._base[i] + (packed[i] & 1023)] === 1) {
        out.push(keys[i]);
      }
    }
    for (const [key, o] of this._overrides) {
      if (!this._index.has(key) && truthy(o.value)) out.push(key);
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
    if (typeof key !== 'string') throw new EdgeflagsError('INVALID_ARGUMENT', `a flag key must be a string, not ${typeof key}`);
    if (value === undefined) throw new EdgeflagsError('INVALID_ARGUMENT', `override("${key}") needs a value (use reset("${key}") to remove an override)`);
    const i = this._index.get(key);
    if (i !== undefined && !accepts(this._types[i], value)) {
      throw new EdgeflagsError('INVALID_ARGUMENT', `flag "${key}" serves ${this._types[i]} values, not ${typeof value}`);
    }
    this._overrides.set(key, { value: deepFreeze(value) });
    return this;
  }

  /** Removes the override of `key`, or every override when called without a key. */
  reset(key) {
    if (key === undefined) this._overrides.clear();
    else this._overrides.delete(key);
    return this;
  }

  /** Frees the wasm memory now (without it, the garbage collector frees it where FinalizationRegistry exists). */
  free() {
    if (this._engine === FREED_ENGINE) return;
    this._engine.free();
    this._empty.free();
    this._engine = FREED_ENGINE;
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Flags.prototype[Symbol.dispose] = Flags.prototype.free;
  PreparedContext.prototype[Symbol.dispose] = PreparedContext.prototype.free;
}

function errorResult(value, errorCode) {
  return { value, variant: null, reason: 'ERROR', errorCode };
}

// Up to this many flags, evaluateAll builds its result with a function made
// for the ruleset's keys (see rowMaker).
const ROW_MAKER_MAX_FLAGS = 1000;
// Whether code can be made at run time here; tried once per page or
// process, so a strict Content-Security-Policy reports one violation at most.
let CODEGEN;

// A function `row => ({ "key0": row[0], "key1": row[1], ... })` for these
// keys, or null. An object literal gets its whole shape at once, where
// adding 50 keys one by one costs about 15x more (bench/ANALYSIS.md), and
// evaluateAll is often called once per request. Keys are written as JSON
// string literals, which are JS string literals: no key can break out.
// null when the caller said `codegen: false`, where code cannot be made at
// run time (a Content-Security-Policy without 'unsafe-eval', Cloudflare
// Workers), for very large rulesets, and when a key is "__proto__" (a
// literal would set the prototype): the caller then adds keys one by one.
function rowMaker(keys, allowed) {
  if (!allowed || CODEGEN === false || keys.length > ROW_MAKER_MAX_FLAGS || keys.includes('__proto__')) return null;
  const props = keys.map((k, i) => `${JSON.stringify(k)}:r[${i}]`).join(',');
  try {
    const make = new Function('r', `"use strict";return{${props}};`);
    CODEGEN = true;
    return make;
  } catch {
    CODEGEN = false;
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
    throw new EdgeflagsError('INVALID_ARGUMENT', `bucket(salt, unit) takes two strings, not ${typeof salt} and ${typeof unit}`);
  }
  return wasmBucket(salt, unit);
}
