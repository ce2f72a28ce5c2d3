//! The JS binding (wasm-bindgen), used by the npm package in `pkg/`.
//!
//! It only translates: the core does every load and evaluation. The
//! boundary is shaped for speed (`shared/PERFORMANCE.md`): what the ruleset
//! already knows (flag keys, variant names and values, the attributes it
//! reads) crosses once per load as one JSON string ([`Engine::load`]); each
//! evaluation then crosses with numbers only, a flag index in and a packed
//! `u32` out ([`pack`]), which the hand-written JS wrapper
//! (`pkg/src/flags.js`) maps back to its cached values and names.
//!
//! Contexts come in two forms, both laid out for the ruleset (one slot per
//! attribute it reads, [`Ruleset::new_context`]). A prepared [`Ctx`] is
//! built once ([`Engine::prepare`]) and reused. A plain JS object per call
//! updates the engine's scratch context; the JS side skips slots whose
//! value has not changed. Either way the attributes arrive as one batch the
//! JS side writes into wasm memory ([`Engine::apply`]), applied by the call
//! that prepares or evaluates: one crossing, no allocation per attribute.
//!
//! Every index that comes from JS is bounds-checked: bad input gives an
//! error value, never a panic (a panic is a wasm trap).

use wasm_bindgen::prelude::*;

use crate::limits::{MAX_LIST, MAX_RULES, MAX_VARIANTS};
use crate::value::{write_number, write_string, Value};
use crate::{Context, FlagId, Reason, Resolution, Ruleset};

/// Returned instead of a packed resolution when the flag index is unknown
/// or no ruleset is loaded. Reason code 7 does not exist, so no real
/// resolution packs to it.
pub const NO_RESOLUTION: u32 = u32::MAX;

// The packing below has 10 bits for the variant and 17 for the index of
// what matched; the core's limits must fit them.
const _: () = assert!(MAX_VARIANTS <= 1 << 10);
const _: () = assert!(MAX_LIST < 1 << 17 && MAX_RULES < 1 << 17);

/// Reasons in their code order; the JS side reads the names from the load
/// metadata, so this list is the only place the order lives.
const REASONS: [Reason; 7] = [
    Reason::Static,
    Reason::Default,
    Reason::TargetingMatch,
    Reason::Split,
    Reason::Disabled,
    Reason::PrerequisiteFailed,
    Reason::Error,
];

fn reason_code(r: Reason) -> u32 {
    REASONS.iter().position(|x| *x == r).unwrap_or(REASONS.len() - 1) as u32
}

/// A resolution as one `u32`: bits 0-9 the variant index, 10-12 the reason
/// code, 13-14 the kind of what matched (0 nothing, 1 target, 2 rule,
/// 3 prerequisite) and 15-31 its index.
pub fn pack(r: Resolution) -> u32 {
    let code = r.matched_code();
    let matched = (code >> 24) << 17 | (code & 0x1_ffff);
    r.variant | reason_code(r.reason) << 10 | matched << 13
}

/// The core's matched code of a packed resolution (for [`Engine::rule_id`]).
fn unpack_matched(packed: u32) -> u32 {
    let m = packed >> 13;
    (m >> 17) << 24 | (m & 0x1_ffff)
}

/// A prepared evaluation context: built once, passed to every evaluation.
#[wasm_bindgen]
pub struct Ctx {
    ctx: Context,
}

/// The module's linear memory (a `WebAssembly.Memory`), for the JS side to
/// write batched input into ([`Engine::apply`]) and read results from
/// ([`Engine::output`]).
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Builds a context from a JSON object (`null` is empty), not laid out for
/// any ruleset: the package's empty context, and the JSON path whose
/// errors [`context_error`] words. `None` when the JSON is not an object or
/// breaks a limit (depth, attribute count).
#[wasm_bindgen]
pub fn prepare(json: &str) -> Option<Ctx> {
    parse_context(json).ok().map(|ctx| Ctx { ctx })
}

/// Why [`prepare`] rejected `json`, in words (empty if it did not).
#[wasm_bindgen]
pub fn context_error(json: &str) -> String {
    parse_context(json).err().unwrap_or_default()
}

fn parse_context(json: &str) -> Result<Context, String> {
    let v = Value::parse(json).map_err(|e| e.text())?;
    Context::from_value(v).map_err(|e| e.0)
}

/// The bucket of `unit` under `salt` (`shared/spec/bucketing.md`).
#[wasm_bindgen]
pub fn bucket(salt: &str, unit: &str) -> f64 {
    crate::bucket(salt, unit)
}

/// A loaded ruleset and its scratch context for plain-object calls.
#[wasm_bindgen]
pub struct Engine {
    rs: Option<Ruleset>,
    /// One slot per attribute the ruleset reads (laid out for it).
    scratch: Context,
    /// Batched input ([`Engine::apply`]), written by JS straight into wasm
    /// memory so a plain object's changed attributes cross with the call
    /// that evaluates, with no allocation: `(slot, code)` pairs, the UTF-8
    /// bytes of strings and JSON texts back to back, and numbers by entry.
    input_header: Vec<u32>,
    input_bytes: Vec<u8>,
    input_nums: Vec<f64>,
    /// Where [`Engine::resolve_all_scratch`] and friends leave their
    /// results, one packed `u32` per flag, for JS to read in place.
    output: Vec<u32>,
}

/// Batch entry codes (the second `u32` of a header pair): below
/// `JSON_TEXT`, a string of that many bytes; `JSON_TEXT | n`, a JSON text
/// of `n` bytes (arrays, objects); then the values that carry no bytes.
const JSON_TEXT: u32 = 0x4000_0000;
const SET_NULL: u32 = 0xffff_fff0;
const SET_FALSE: u32 = 0xffff_fff1;
const SET_TRUE: u32 = 0xffff_fff2;
/// The number is entry `k`'s element of the number area.
const SET_NUMBER: u32 = 0xffff_fff3;

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

#[wasm_bindgen]
impl Engine {
    /// An engine with no ruleset: every resolution is [`NO_RESOLUTION`].
    #[wasm_bindgen(constructor)]
    pub fn new() -> Engine {
        Engine {
            rs: None,
            scratch: Context::new(),
            input_header: Vec::new(),
            input_bytes: Vec::new(),
            input_nums: Vec::new(),
            output: Vec::new(),
        }
    }

    /// Loads a ruleset from JSON text. On success, swaps it in and returns
    /// the metadata as a JSON object (see [`metadata`]); on failure keeps
    /// the old ruleset and returns the problems as a JSON array of
    /// `{"path", "message"}`.
    pub fn load(&mut self, json: &str) -> String {
        match Ruleset::from_json(json) {
            Ok(mut rs) => {
                // Prepared contexts outlive a load: when the new ruleset
                // reads the same attributes, they stay laid out for it.
                if let Some(old) = &self.rs {
                    rs.adopt_layout(old);
                }
                let attrs = rs.attributes();
                self.scratch = rs.new_context();
                // One entry per attribute: a batch sets a slot at most once.
                self.input_header = vec![0; 2 * attrs.len()];
                self.input_nums = vec![0.0; attrs.len()];
                self.output = vec![0; rs.len()];
                let meta = metadata(&rs, &attrs);
                self.rs = Some(rs);
                meta
            }
            Err(e) => {
                let mut out = String::from("[");
                for (i, p) in e.problems.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"path\":");
                    write_string(&p.path, &mut out);
                    out.push_str(",\"message\":");
                    write_string(&p.message, &mut out);
                    out.push('}');
                }
                out.push(']');
                out
            }
        }
    }

    /// Resolves flag `flag` (its index) for a prepared context at `now`
    /// (ms since the epoch), packed (see [`pack`]).
    pub fn resolve(&self, flag: u32, ctx: &Ctx, now: f64) -> u32 {
        self.resolve_in(flag, &ctx.ctx, now)
    }

    /// Applies the first `pending` batch entries to the scratch context
    /// (see [`Engine::apply`]), then resolves flag `flag` for it: a plain
    /// object's evaluation is one crossing. [`NO_RESOLUTION`] when an
    /// entry's JSON text was unusable.
    pub fn resolve_scratch(&mut self, flag: u32, now: f64, pending: u32) -> u32 {
        if !self.apply(pending) {
            return NO_RESOLUTION;
        }
        self.resolve_in(flag, &self.scratch, now)
    }

    /// Every flag for a prepared context, packed, in flag order, into the
    /// output area ([`Engine::output`]).
    pub fn resolve_all(&mut self, ctx: &Ctx, now: f64) {
        resolve_all_into(self.rs.as_ref(), &ctx.ctx, now, &mut self.output);
    }

    /// As [`Engine::resolve_scratch`], for every flag, into the output
    /// area; `false` (and nothing written) when an entry was unusable.
    pub fn resolve_all_scratch(&mut self, now: f64, pending: u32) -> bool {
        if !self.apply(pending) {
            return false;
        }
        resolve_all_into(self.rs.as_ref(), &self.scratch, now, &mut self.output);
        true
    }

    /// Address of the output area: one packed `u32` per flag of the loaded
    /// ruleset (it moves with every load).
    pub fn output(&mut self) -> u32 {
        self.output.as_mut_ptr() as u32
    }

    /// Address of the batch header (`2 * attributes` u32s; moves with every load).
    pub fn input_header(&mut self) -> u32 {
        self.input_header.as_mut_ptr() as u32
    }

    /// Address of the batch number area (`attributes` f64s; moves with every load).
    pub fn input_nums(&mut self) -> u32 {
        self.input_nums.as_mut_ptr() as u32
    }

    /// Address of a batch byte area of at least `capacity` bytes (moves
    /// when it grows, keeping its bytes: call again after asking for more).
    pub fn input_bytes(&mut self, capacity: u32) -> u32 {
        if self.input_bytes.len() < capacity as usize {
            self.input_bytes.resize(capacity as usize, 0);
        }
        self.input_bytes.as_mut_ptr() as u32
    }

    /// Applies `count` batch entries to the scratch context: header pair
    /// `k` names the slot and its code (a string length, `JSON_TEXT | length`, or one of the `SET_*` codes);
    /// strings and JSON texts lie back to back in the byte area. A slot's
    /// string buffer is reused. `false` when an entry could not be used
    /// (bytes past the area, not UTF-8, JSON invalid or too deep): its slot
    /// is cleared, the other entries still apply. The input comes from JS
    /// and is checked, never trusted.
    pub fn apply(&mut self, count: u32) -> bool {
        apply_batch(&self.input_header, &self.input_bytes, &self.input_nums, count, &mut self.scratch)
    }

    /// A prepared context from `count` batch entries, laid out like the
    /// scratch context (slots the batch does not set are missing); `None`
    /// when an entry could not be used ([`context_error`] on the JSON of
    /// the same attributes says why).
    pub fn prepare(&mut self, count: u32) -> Option<Ctx> {
        let mut ctx = self.empty_context();
        apply_batch(&self.input_header, &self.input_bytes, &self.input_nums, count, &mut ctx).then_some(Ctx { ctx })
    }

    /// The id of what decided a packed resolution of flag `flag` (a rule
    /// id, `users`, `targets[i]`, `prerequisite` flag key), if anything.
    pub fn rule_id(&self, flag: u32, packed: u32) -> Option<String> {
        let rs = self.rs.as_ref()?;
        Resolution::rule_id_of_code(rs, FlagId(flag), unpack_matched(packed)).map(String::from)
    }
}

/// Applies batch entries to `ctx`'s slots (see [`Engine::apply`]).
fn apply_batch(header: &[u32], bytes: &[u8], nums: &[f64], count: u32, ctx: &mut Context) -> bool {
    let mut ok = true;
    let mut off = 0usize;
    for (k, pair) in header.chunks_exact(2).take(count as usize).enumerate() {
        let (slot, code) = (pair[0] as usize, pair[1]);
        let mut text = |len: u32| {
            let (start, len) = (off, len as usize);
            off += len;
            bytes.get(start..start + len).and_then(|b| std::str::from_utf8(b).ok())
        };
        let new = match code {
            SET_NULL => Some(Value::Null),
            SET_FALSE => Some(Value::Bool(false)),
            SET_TRUE => Some(Value::Bool(true)),
            SET_NUMBER => nums.get(k).map(|&n| if n.is_finite() { Value::Number(n) } else { Value::Null }),
            c if c & JSON_TEXT != 0 => text(c & !JSON_TEXT).and_then(|t| Value::parse(t).ok()),
            len => match (text(len), ctx.value_at_mut(slot)) {
                (Some(t), Some(Value::String(s))) => {
                    s.clear();
                    s.push_str(t);
                    continue;
                }
                (t, _) => t.map(|t| Value::String(t.to_string())),
            },
        };
        ok &= new.is_some();
        if let Some(v) = ctx.value_at_mut(slot) {
            *v = new.unwrap_or(Value::Null);
        }
    }
    ok
}

impl Engine {
    /// A context with one missing value per slot, in slot order, laid out
    /// for the ruleset (evaluation reads it by slot).
    fn empty_context(&self) -> Context {
        self.rs.as_ref().map_or_else(Context::new, Ruleset::new_context)
    }

    fn resolve_in(&self, flag: u32, ctx: &Context, now: f64) -> u32 {
        match &self.rs {
            Some(rs) if (flag as usize) < rs.len() => pack(rs.resolve(FlagId(flag), ctx, now as i64)),
            _ => NO_RESOLUTION,
        }
    }
}

/// Every flag's packed resolution into `out` (one slot per flag).
fn resolve_all_into(rs: Option<&Ruleset>, ctx: &Context, now: f64, out: &mut [u32]) {
    let Some(rs) = rs else { return };
    let now = now as i64;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = pack(rs.resolve(FlagId(i as u32), ctx, now));
    }
}

/// What the JS side caches per load, as one JSON object:
/// `{"version", "reasons": [names by code], "attributes": [names by slot],
/// "flags": [[key, type, [variant names], [variant values], timed, [slots]], ...]}`
/// where `timed` is 1 when the flag's resolution depends on the clock
/// ([`Ruleset::depends_on_time`]): the JS side reads the clock only for
/// those, and caches the others' resolutions; `slots` are the indices in
/// `attributes` of what the flag reads ([`Ruleset::flag_attributes`]): a
/// plain-object evaluation of one flag sends only those.
pub fn metadata(rs: &Ruleset, attrs: &[&str]) -> String {
    let mut out = String::with_capacity(64 + rs.len() * 64);
    out.push_str("{\"version\":");
    // Versions above 2^53 lose precision in JS; the format documents it.
    write_number(rs.version() as f64, &mut out);
    out.push_str(",\"reasons\":");
    write_strings(REASONS.iter().map(|r| r.as_str()), &mut out);
    out.push_str(",\"attributes\":");
    write_strings(attrs.iter().copied(), &mut out);
    out.push_str(",\"flags\":[");
    for (i, f) in rs.flags().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_string(f.key(), &mut out);
        out.push(',');
        write_string(f.kind().as_str(), &mut out);
        out.push(',');
        write_strings(f.variants().iter().map(|v| &*v.name), &mut out);
        out.push_str(",[");
        for (j, v) in f.variants().iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            v.value.write_json(&mut out);
        }
        out.push_str(if rs.depends_on_time(FlagId(i as u32)) { "],1,[" } else { "],0,[" });
        write_slots(&rs.flag_attributes(FlagId(i as u32)), attrs, &mut out);
        out.push_str("]]");
    }
    out.push_str("]}");
    out
}

/// The slots of `names` in the sorted `attrs`. A name missing from them
/// would be a core bug; every slot is written then, which is always enough.
fn write_slots(names: &[&str], attrs: &[&str], out: &mut String) {
    let slots: Option<Vec<usize>> = names.iter().map(|n| attrs.binary_search(n).ok()).collect();
    let slots = slots.unwrap_or_else(|| (0..attrs.len()).collect());
    for (i, slot) in slots.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::value::write_u64(*slot as u64, out);
    }
}

fn write_strings<'a>(items: impl Iterator<Item = &'a str>, out: &mut String) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(s, out);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx3() -> Context {
        let rs = Ruleset::from_json(
            r#"{"flags": {"f": {"rules": [{"conditions": [
                {"attribute": "a", "op": "eq", "value": "x"}, {"attribute": "b", "op": "eq", "value": "y"}], "variant": "on"}]}}}"#,
        )
        .unwrap();
        rs.new_context() // slots: a, b, user_id
    }

    fn values(c: &Context) -> Vec<Value> {
        c.iter().map(|(_, v)| v.clone()).collect()
    }

    #[test]
    fn applies_every_kind_of_entry() {
        let mut c = ctx3();
        let header = [0, 3, 1, JSON_TEXT | 7, 2, SET_NUMBER, 0, SET_TRUE];
        let bytes = b"abc[1,\"z\"]";
        let nums = [0.0, 0.0, 2.5, 0.0];
        assert!(apply_batch(&header, bytes, &nums, 3, &mut c));
        let list = Value::Array(vec![Value::Number(1.0), Value::String("z".into())]);
        assert_eq!(values(&c), [Value::String("abc".into()), list.clone(), Value::Number(2.5)]);
        // Count limits what applies; a later batch replaces values, and a
        // string slot's buffer is reused.
        assert!(apply_batch(&header[6..], b"", &nums, 1, &mut c));
        assert_eq!(values(&c)[0], Value::Bool(true));
        assert!(apply_batch(&[0, 2, 1, SET_NULL, 2, SET_FALSE], b"hi", &[], 3, &mut c));
        assert_eq!(values(&c), [Value::String("hi".into()), Value::Null, Value::Bool(false)]);
        assert!(apply_batch(&[0, 1], b"h", &[], 1, &mut c));
        assert_eq!(values(&c)[0], Value::String("h".into()));
    }

    #[test]
    fn hostile_input_clears_slots_and_never_panics() {
        let mut c = ctx3();
        assert!(apply_batch(&[0, 1, 1, 1], b"xy", &[], 2, &mut c));
        // Bytes past the area, invalid UTF-8, bad JSON, a number past the
        // number area: the slot is cleared and the batch reports it.
        for (header, bytes, nums) in [
            (vec![0, 5], &b"abc"[..], &[][..]),
            (vec![1, 2], &b"\xff\xfe"[..], &[][..]),
            (vec![0, JSON_TEXT | 2], &b"[1"[..], &[][..]),
            (vec![1, SET_NUMBER], &b""[..], &[][..]),
        ] {
            let mut c = c.clone();
            assert!(!apply_batch(&header, bytes, nums, 1, &mut c), "{header:?}");
            assert_eq!(values(&c)[header[0] as usize], Value::Null, "{header:?}");
        }
        // Slots past the context, counts past the header, odd headers, and
        // non-finite numbers (null, as JSON.stringify writes them).
        assert!(apply_batch(&[99, SET_TRUE, 7, 0], b"", &[], 5, &mut c));
        assert!(apply_batch(&[0, SET_NUMBER, 1], b"", &[f64::NAN], 9, &mut c));
        assert_eq!(values(&c), [Value::Null, Value::String("y".into()), Value::Null]);
        let deep = "[".repeat(10_000);
        assert!(!apply_batch(&[2, JSON_TEXT | deep.len() as u32], deep.as_bytes(), &[], 1, &mut c));
    }
}
