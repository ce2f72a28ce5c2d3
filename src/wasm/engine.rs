//! [`Engine`]: one loaded ruleset, its contexts and its test overrides, as
//! the package's `Flags` sees them.
//!
//! Three contexts, all laid out for the ruleset (one slot per attribute
//! it reads, [`Ruleset::new_context`]), chosen by the `target` argument
//! (`TARGET_*` in [`super::abi`]): the scratch context, which plain JS
//! objects are copied into (the JS side sends only the slots that
//! changed); the held context, where the prepared context in use is laid
//! out ([`Engine::hold`]; prepared contexts live in JS, so a program that
//! prepares one per user never grows wasm memory); and the empty one.
//!
//! The hot path ([`Engine::resolve`], [`Engine::resolve_all`]) returns
//! packed resolutions only. The detail path ([`Engine::evaluate`] and
//! friends), used for overrides and errors, returns the core's evaluation
//! serialized by serde-wasm-bindgen: the core decides, the JS side copies.

use serde::ser::{Serialize, SerializeMap, Serializer};
use wasm_bindgen::prelude::*;

use super::abi::{pack, unpack_matched, NO_RESOLUTION, NO_UNIT, REASONS, TARGET_EMPTY, TARGET_HELD, TARGET_SCRATCH};
use super::batch::Batch;
use super::error::Error;
use crate::{default_accepts_table, Context, FlagId, Overrides, Resolution, Ruleset, Value};

/// A loaded ruleset, its contexts, the batch areas and the overrides.
#[wasm_bindgen]
#[derive(Default)]
pub struct Engine {
    rs: Option<Ruleset>,
    scratch: Context,
    held: Context,
    empty: Context,
    batch: Batch,
    /// Where [`Engine::resolve_all`] leaves its results, one packed `u32`
    /// per flag, for JS to read in place.
    output: Vec<u32>,
    overrides: Overrides,
    /// The flag and resolution [`Engine::resolve`] gave last: what
    /// [`Engine::exposure_unit`] reads instead of resolving again (a split
    /// hashes the unit) when JS asks right after.
    last: Option<(u32, Resolution)>,
    /// Where [`Engine::exposure_unit`] leaves a unit's UTF-8 bytes for JS
    /// to read in place ([`Engine::unit_bytes`]).
    unit: Vec<u8>,
}

/// What JS serializers produce for us: plain objects, never `Map`s.
fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    let s = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    v.serialize(&s).unwrap_or(JsValue::NULL)
}

/// A JS value as JSON (`undefined` is `null`).
fn from_js(v: JsValue) -> Result<Value, serde_wasm_bindgen::Error> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value(v)
}

/// The per-load metadata the JS side keeps in tables (strings and values
/// through serde; number columns are added as typed arrays by
/// [`metadata`]).
struct Metadata<'a> {
    version: f64,
    /// Reason names by code.
    reasons: Vec<&'static str>,
    /// Attribute names by slot.
    attributes: &'a [&'a str],
    /// Flag keys, by flag index, back to back (`keyLengths` cuts them):
    /// one string crosses instead of one per key, a tenth of a large load.
    keys: String,
    /// Every flag's variant names, flag after flag, back to back
    /// (`nameLengths` cuts them; `variantBase` says where each flag starts).
    names: String,
    /// Their values, one per variant.
    values: Vec<&'a Value>,
}

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A map, not a struct: serde-wasm-bindgen caches struct field names
        // in a hash table, code the package otherwise does without.
        let mut st = s.serialize_map(Some(6))?;
        st.serialize_entry("version", &self.version)?;
        st.serialize_entry("reasons", &self.reasons)?;
        st.serialize_entry("attributes", self.attributes)?;
        st.serialize_entry("keys", &self.keys)?;
        st.serialize_entry("names", &self.names)?;
        st.serialize_entry("values", &self.values)?;
        st.end()
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine with no ruleset: every resolution is `NO_RESOLUTION`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Loads a ruleset given as a JS object (deserialized into the core's
    /// `Value` by serde-wasm-bindgen). On success swaps it in and returns
    /// the metadata; on failure keeps the old one and throws
    /// `INVALID_RULESET` with every problem.
    pub fn load(&mut self, doc: JsValue) -> Result<JsValue, Error> {
        let v = from_js(doc).map_err(Error::not_json)?;
        let rs = Ruleset::from_value(&v).map_err(Error::invalid_ruleset)?;
        Ok(self.swap_in(rs))
    }

    /// Loads a ruleset from JSON text (builds with the `json` feature; the
    /// browser build has no JSON reader and throws: its JS parses JSON).
    pub fn load_text(&mut self, text: &str) -> Result<JsValue, Error> {
        #[cfg(feature = "json")]
        {
            let rs = Ruleset::from_json(text).map_err(Error::invalid_ruleset)?;
            Ok(self.swap_in(rs))
        }
        #[cfg(not(feature = "json"))]
        {
            let _ = text;
            Err(Error::invalid_argument(String::from("this build reads no JSON text: parse it in JS")))
        }
    }

    /// Resolves flag `flag` (its index) at `now` (ms since the epoch) for
    /// the `target` context, after applying `pending` batch entries to it:
    /// packed, or `NO_RESOLUTION` (unknown flag, unusable batch entry).
    pub fn resolve(&mut self, flag: u32, target: u32, now: f64, pending: u32) -> u32 {
        if !self.apply(target, pending) {
            return NO_RESOLUTION;
        }
        match (&self.rs, self.context(target)) {
            (Some(rs), Some(ctx)) if (flag as usize) < rs.len() => {
                let r = rs.resolve(FlagId(flag), ctx, now as i64);
                self.last = Some((flag, r));
                pack(r)
            }
            _ => NO_RESOLUTION,
        }
    }

    /// As [`Engine::resolve`] for every flag, packed into the output area
    /// ([`Engine::output`]); `false` (nothing written) when the batch was
    /// unusable.
    pub fn resolve_all(&mut self, target: u32, now: f64, pending: u32) -> bool {
        if !self.apply(target, pending) {
            return false;
        }
        let Engine { rs, scratch, held, empty, output, .. } = self;
        let ctx = match target {
            TARGET_SCRATCH => &*scratch,
            TARGET_HELD => &*held,
            _ => &*empty,
        };
        let Some(rs) = rs else { return false };
        let now = now as i64;
        for (i, slot) in output.iter_mut().enumerate() {
            *slot = pack(rs.resolve(FlagId(i as u32), ctx, now));
        }
        true
    }

    /// Lays out a prepared context: the held context is emptied, then
    /// `count` batch entries are applied to it. `false` when one was unusable.
    pub fn hold(&mut self, count: u32) -> bool {
        // Emptied in place: the context keeps its layout and allocations.
        let mut slot = 0;
        while let Some(v) = self.held.value_at_mut(slot) {
            *v = Value::Null;
            slot += 1;
        }
        self.batch.apply(count, &mut self.held)
    }

    /// Stages an array or object attribute for the next batch's
    /// `SET_STAGED` entry; `false` when it is not JSON (or too deep).
    pub fn stage(&mut self, value: JsValue) -> bool {
        match from_js(value) {
            Ok(v) => {
                self.batch.staged.push(v);
                true
            }
            Err(_) => false,
        }
    }

    /// The id of what decided a packed resolution of flag `flag` (a rule
    /// id, `users`, `targets[i]`, a prerequisite's key), if anything.
    pub fn rule_id(&self, flag: u32, packed: u32) -> Option<String> {
        let rs = self.rs.as_ref()?;
        Resolution::rule_id_of_code(rs, FlagId(flag), unpack_matched(packed)).map(String::from)
    }

    /// The core's full evaluation of `key` (overrides, typed default,
    /// unknown flags included), serialized:
    /// `{ value, variant, reason, ruleId?, errorCode? }`.
    pub fn evaluate(&mut self, key: &str, target: u32, now: f64, pending: u32, default: JsValue) -> JsValue {
        let default = from_js(default).unwrap_or(Value::Null);
        if !self.apply(target, pending) {
            return JsValue::NULL;
        }
        match (&self.rs, self.context(target)) {
            (Some(rs), Some(ctx)) => to_js(&rs.evaluate_with(key, ctx, now as i64, &default, &self.overrides)),
            _ => JsValue::NULL,
        }
    }

    /// Whether packed resolution `packed` of flag `flag` (its index) for
    /// the `target` context at `now` is an exposure ([`Ruleset::exposure`]:
    /// the flag is an experiment and its split assigned the variant): the
    /// unit's length in UTF-8 bytes, left at [`Engine::unit_bytes`], or
    /// [`NO_UNIT`] when it is not one.
    ///
    /// The core's [`Resolution`] of `packed` is the one [`Engine::resolve`]
    /// gave last for this flag when it packs to `packed` (packing loses
    /// nothing); otherwise the flag is resolved again for the context and
    /// must give `packed`. Either way the unit is read from the `target`
    /// context, which must still be the one resolved: JS calls this right
    /// after resolving (or holding the context again), only for experiment
    /// flags (`experiments` in the load metadata) and only when events are
    /// recorded, and remembers the answer per context.
    pub fn exposure_unit(&mut self, flag: u32, target: u32, now: f64, packed: u32) -> u32 {
        let unit = match (&self.rs, self.context(target)) {
            (Some(rs), Some(ctx)) if (flag as usize) < rs.len() => {
                let id = FlagId(flag);
                let r = match self.last {
                    Some((f, r)) if f == flag && pack(r) == packed => r,
                    _ => rs.resolve(id, ctx, now as i64),
                };
                if pack(r) == packed {
                    rs.exposure(id, ctx, &r).map(|e| e.unit)
                } else {
                    None
                }
            }
            _ => None,
        };
        match unit {
            Some(u) => {
                // The String's own buffer, handed over: no copy.
                self.unit = u.into_bytes();
                self.unit.len() as u32
            }
            None => NO_UNIT,
        }
    }

    /// Address of the unit [`Engine::exposure_unit`] left (moves when a
    /// longer one needs more room: ask after each).
    pub fn unit_bytes(&mut self) -> u32 {
        self.unit.as_mut_ptr() as u32
    }

    /// Whether `key` serves a truthy value (overrides included; `false`
    /// for unknown flags).
    pub fn is_enabled(&mut self, key: &str, target: u32, now: f64, pending: u32) -> bool {
        if !self.apply(target, pending) {
            return false;
        }
        match (&self.rs, self.context(target)) {
            (Some(rs), Some(ctx)) => rs.is_enabled(key, ctx, now as i64, &self.overrides),
            _ => false,
        }
    }

    /// Every flag's evaluation with the overrides (ruleset order, then
    /// overridden keys not in the ruleset), as `[[key, evaluation,
    /// enabled], ...]`; `null` when the batch was unusable.
    pub fn evaluate_all(&mut self, target: u32, now: f64, pending: u32) -> JsValue {
        if !self.apply(target, pending) {
            return JsValue::NULL;
        }
        match (&self.rs, self.context(target)) {
            (Some(rs), Some(ctx)) => {
                let all = rs.evaluate_all_with(ctx, now as i64, &self.overrides);
                let rows: Vec<_> = all.iter().map(|(k, e)| (k, e, e.is_truthy())).collect();
                to_js(&rows)
            }
            _ => JsValue::NULL,
        }
    }

    /// Pins `key` to `value` (a test override): the core checks that the
    /// flag's declared type can serve it. Throws `INVALID_ARGUMENT`.
    pub fn set_override(&mut self, key: &str, value: JsValue) -> Result<(), Error> {
        let v = from_js(value)
            .map_err(|_| Error::invalid_argument(crate::error::msg!["override(\"", key, "\") needs a JSON value"]))?;
        self.overrides.set(self.rs.as_ref(), key, v).map_err(Error::override_refused)
    }

    /// Removes the override of `key`, or every override when `key` is `undefined`.
    pub fn reset(&mut self, key: Option<String>) {
        match key {
            Some(k) => {
                self.overrides.remove(&k);
            }
            None => self.overrides.clear(),
        }
    }

    /// Address of the output area: one packed `u32` per flag (moves with every load).
    pub fn output(&mut self) -> u32 {
        self.output.as_mut_ptr() as u32
    }

    /// Address of the batch header (`2 * attributes` u32s; moves with every load).
    pub fn input_header(&mut self) -> u32 {
        self.batch.header.as_mut_ptr() as u32
    }

    /// Address of the batch number area (`attributes` f64s; moves with every load).
    pub fn input_nums(&mut self) -> u32 {
        self.batch.nums.as_mut_ptr() as u32
    }

    /// Address of a batch byte area of at least `capacity` bytes (moves
    /// when it grows, keeping its bytes: call again after asking for more).
    pub fn input_bytes(&mut self, capacity: u32) -> u32 {
        if self.batch.bytes.len() < capacity as usize {
            self.batch.bytes.resize(capacity as usize, 0);
        }
        self.batch.bytes.as_mut_ptr() as u32
    }

    /// Applies `count` batch entries to the scratch context now.
    pub fn apply_scratch(&mut self, count: u32) -> bool {
        self.batch.apply(count, &mut self.scratch)
    }
}

impl Engine {
    fn context(&self, target: u32) -> Option<&Context> {
        match target {
            TARGET_SCRATCH => Some(&self.scratch),
            TARGET_HELD => Some(&self.held),
            TARGET_EMPTY => Some(&self.empty),
            _ => None,
        }
    }

    /// Applies `pending` batch entries to the `target` context.
    fn apply(&mut self, target: u32, pending: u32) -> bool {
        let ctx = match target {
            TARGET_SCRATCH => &mut self.scratch,
            TARGET_HELD => &mut self.held,
            _ => return pending == 0,
        };
        pending == 0 || self.batch.apply(pending, ctx)
    }

    fn swap_in(&mut self, mut rs: Ruleset) -> JsValue {
        // Contexts outlive a load: when the new ruleset reads the same
        // attributes, they stay laid out for it.
        if let Some(old) = &self.rs {
            rs.adopt_layout(old);
        }
        self.scratch = rs.new_context();
        self.held = rs.new_context();
        self.empty = rs.new_context();
        let n_attrs = rs.attributes().len();
        self.batch.resize(n_attrs);
        self.output = vec![0; rs.len()];
        let meta = metadata(&rs);
        self.rs = Some(rs);
        meta
    }
}

/// The load metadata: [`Metadata`] plus typed-array columns `keyLengths`
/// and `nameLengths` (u32, in UTF-16 units: where `keys` and `names` are
/// cut), `accepts`
/// (u8 at `default kind * 6 + served kind`: the core's typed-default
/// table, `default_accepts_table`), `variantBase` (u32, flags + 1: where each flag's variants start in
/// `names`/`values`), `kinds` and `truthy` (u8 per variant: the value's
/// kind code and truthiness, the core's), `timed` (u8 per flag: its
/// resolution depends on the clock, [`Ruleset::depends_on_time`]; the JS
/// side reads the clock only for those and remembers the others'),
/// `slotBase` (u32, flags + 1) and `slots` (u32: the slots each flag reads,
/// [`Ruleset::flag_attributes`]; a plain object sends only those),
/// `experiments` (u8 per flag: it is an experiment, [`crate::Flag::is_experiment`];
/// the JS side asks [`Engine::exposure_unit`] about those flags only).
fn metadata(rs: &Ruleset) -> JsValue {
    let attrs = rs.attributes();
    let flags = rs.flags();
    let mut meta = Metadata {
        version: rs.version() as f64,
        reasons: REASONS.iter().map(|r| r.as_str()).collect(),
        attributes: &attrs,
        keys: String::new(),
        names: String::new(),
        values: Vec::new(),
    };
    // Lengths in UTF-16 units, as JS strings count them.
    let (mut key_lengths, mut name_lengths) = (Vec::with_capacity(flags.len()), Vec::new());
    let mut variant_base = Vec::with_capacity(flags.len() + 1);
    let (mut kinds, mut truthy, mut timed) = (Vec::new(), Vec::new(), Vec::with_capacity(flags.len()));
    let mut experiments = Vec::with_capacity(flags.len());
    let mut slot_base = Vec::with_capacity(flags.len() + 1);
    let mut slots: Vec<u32> = Vec::new();
    for (i, f) in flags.iter().enumerate() {
        meta.keys.push_str(f.key());
        key_lengths.push(f.key().encode_utf16().count() as u32);
        variant_base.push(meta.values.len() as u32);
        for v in f.variants() {
            meta.names.push_str(&v.name);
            name_lengths.push(v.name.encode_utf16().count() as u32);
            meta.values.push(&v.value);
            kinds.push(v.value.kind().code() as u8);
            truthy.push(v.value.is_truthy() as u8);
        }
        timed.push(rs.depends_on_time(FlagId(i as u32)) as u8);
        experiments.push(f.is_experiment() as u8);
        slot_base.push(slots.len() as u32);
        let read = rs.flag_attributes(FlagId(i as u32));
        // A name missing from the attributes would be a core bug; every
        // slot is listed then, which is always enough.
        match read.iter().map(|n| attrs.binary_search(n).ok().map(|s| s as u32)).collect::<Option<Vec<u32>>>() {
            Some(s) => slots.extend(s),
            None => slots.extend(0..attrs.len() as u32),
        }
    }
    variant_base.push(meta.values.len() as u32);
    slot_base.push(slots.len() as u32);
    let out = to_js(&meta);
    let set = |name: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&out, &JsValue::from_str(name), &v);
    };
    // The core's typed-default table, one byte per (default kind, served kind).
    let bits = default_accepts_table();
    let accepts: Vec<u8> = (0..36).map(|i| (bits >> i & 1) as u8).collect();
    set("accepts", js_sys::Uint8Array::from(&accepts[..]).into());
    set("keyLengths", js_sys::Uint32Array::from(&key_lengths[..]).into());
    set("nameLengths", js_sys::Uint32Array::from(&name_lengths[..]).into());
    set("variantBase", js_sys::Uint32Array::from(&variant_base[..]).into());
    set("kinds", js_sys::Uint8Array::from(&kinds[..]).into());
    set("truthy", js_sys::Uint8Array::from(&truthy[..]).into());
    set("timed", js_sys::Uint8Array::from(&timed[..]).into());
    set("slotBase", js_sys::Uint32Array::from(&slot_base[..]).into());
    set("slots", js_sys::Uint32Array::from(&slots[..]).into());
    set("experiments", js_sys::Uint8Array::from(&experiments[..]).into());
    out
}
