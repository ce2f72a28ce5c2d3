// OpenFeature's vocabulary as the core defines it (src/openfeature.rs,
// `edgeflags::openfeature`), mirrored for edgeflags/openfeature:
// `tests/openfeature_js.rs` checks that the reason table and the constants
// here are the core's, and runs mapContext over every evaluation vector's
// context (and its OpenFeature forms and edge cases) against
// `edgeflags::openfeature::context`. A change on either side fails there.
//
// Mirrored rather than called through the wasm binding because of the
// browser download (scripts/size.sh), measured: the reason table through
// the binding alone +0.55 KB gzipped, with the context mapping +2.0 to
// +2.4 KB (98.4 -> 100.8 KB, over the 99 KB limit), for every page using
// the package; here it is a few lines of JS in the provider's own entry,
// and nothing in the main one.
//
// No imports: the Rust test runs this file in Node as it is.

/** The OpenFeature attribute naming the subject of an evaluation (`TARGETING_KEY`). */
export const TARGETING_KEY = 'targetingKey';
/** The attribute targetingKey becomes: the default bucketing unit (`UNIT_ATTRIBUTE`). */
export const UNIT_ATTRIBUTE = 'user_id';
/** The core's limit on a context's attributes (`limits::MAX_CONTEXT_ATTRIBUTES`). */
export const MAX_CONTEXT_ATTRIBUTES = 1000;

/** Every core reason with its OpenFeature reason (`edgeflags::openfeature::reasons`). */
export const OPENFEATURE_REASONS = Object.freeze({
  STATIC: 'STATIC',
  DEFAULT: 'DEFAULT',
  TARGETING_MATCH: 'TARGETING_MATCH',
  SPLIT: 'SPLIT',
  DISABLED: 'DISABLED',
  PREREQUISITE_FAILED: 'DEFAULT',
  ERROR: 'ERROR',
  OVERRIDE: 'STATIC',
});

function kindOf(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * The edgeflags context of an OpenFeature context given as JSON (what
 * JSON.parse makes): `targetingKey`, a non-empty string, becomes `user_id`
 * and wins over a `user_id` attribute; it is not kept as an attribute of
 * its own; an empty or null one counts as absent. Every other attribute is
 * kept. `null` is the empty context. Returns the attributes, or a string
 * saying why the core refuses the context (`edgeflags::openfeature::context`).
 */
export function mapContext(context) {
  if (context === null) return {};
  if (typeof context !== 'object' || Array.isArray(context)) return `context must be a JSON object, not ${kindOf(context)}`;
  const unit = context[TARGETING_KEY];
  const has = Object.prototype.hasOwnProperty.call(context, TARGETING_KEY);
  if (has && typeof unit !== 'string' && unit !== null) return `targetingKey must be a string, not ${kindOf(unit)}`;
  const out = {};
  let n = 0;
  for (const key of Object.keys(context)) {
    if (key === TARGETING_KEY) continue;
    n++;
    // An attribute named "__proto__" stays an attribute.
    if (key === '__proto__') Object.defineProperty(out, key, { value: context[key], enumerable: true, writable: true, configurable: true });
    else out[key] = context[key];
  }
  if (n > MAX_CONTEXT_ATTRIBUTES) return `context has ${n} attributes; the limit is ${MAX_CONTEXT_ATTRIBUTES}`;
  if (typeof unit === 'string' && unit !== '') out[UNIT_ATTRIBUTE] = unit;
  return out;
}
