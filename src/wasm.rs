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
//! Contexts come in two forms. A prepared [`Ctx`] is built once from JSON
//! (the JS side sends only the attributes the ruleset reads) and reused.
//! A plain JS object per call goes attribute by attribute into the engine's
//! scratch context (`set_*`), which holds one slot per attribute the
//! ruleset reads; the JS side skips slots whose value has not changed.
//!
//! Every index that comes from JS is bounds-checked: bad input gives an
//! error value, never a panic (a panic is a wasm trap).

use wasm_bindgen::prelude::*;

use crate::json::{write_number, write_string, Value};
use crate::limits::{MAX_LIST, MAX_RULES, MAX_VARIANTS};
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
/// write batched input into ([`Engine::set_strs`]).
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Builds a prepared context from a JSON object (`null` is empty).
/// `None` when the JSON is not an object or breaks a limit (depth,
/// attribute count); [`context_error`] then says why.
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
    /// `rs.attributes()`, owned: slot `i` of the scratch context.
    attrs: Vec<Box<str>>,
    scratch: Context,
    /// Batched string input ([`Engine::set_strs`]): `(slot, byte length)`
    /// pairs, and the UTF-8 bytes back to back. JS writes both straight into
    /// wasm memory, so a plain object's changed strings cross in one call
    /// with no allocation, instead of a call, a malloc and a free each.
    input_header: Vec<u32>,
    input_bytes: Vec<u8>,
}

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
            attrs: Vec::new(),
            scratch: Context::new(),
            input_header: Vec::new(),
            input_bytes: Vec::new(),
        }
    }

    /// Loads a ruleset from JSON text. On success, swaps it in and returns
    /// the metadata as a JSON object (see [`metadata`]); on failure keeps
    /// the old ruleset and returns the problems as a JSON array of
    /// `{"path", "message"}`.
    pub fn load(&mut self, json: &str) -> String {
        match Ruleset::from_json(json) {
            Ok(rs) => {
                self.attrs = rs.attributes().into_iter().map(Box::from).collect();
                let mut scratch = Context::new();
                for a in &self.attrs {
                    scratch.set(a, Value::Null);
                }
                self.scratch = scratch;
                // One header pair per attribute: a batch sets a slot at most once.
                self.input_header = vec![0; 2 * self.attrs.len()];
                let meta = metadata(&rs, &self.attrs);
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

    /// As [`Engine::resolve`], for the scratch context.
    pub fn resolve_scratch(&self, flag: u32, now: f64) -> u32 {
        self.resolve_in(flag, &self.scratch, now)
    }

    /// Every flag for a prepared context, packed, in flag order.
    pub fn resolve_all(&self, ctx: &Ctx, now: f64) -> Vec<u32> {
        self.resolve_all_in(&ctx.ctx, now)
    }

    /// Every flag for the scratch context.
    pub fn resolve_all_scratch(&self, now: f64) -> Vec<u32> {
        self.resolve_all_in(&self.scratch, now)
    }

    /// Address of the batch header (`2 * attributes` u32s) in wasm memory.
    pub fn input_header(&mut self) -> u32 {
        self.input_header.as_mut_ptr() as u32
    }

    /// Address of a batch byte area of at least `capacity` bytes (moves
    /// when it grows: call again after asking for more).
    pub fn input_bytes(&mut self, capacity: u32) -> u32 {
        if self.input_bytes.len() < capacity as usize {
            self.input_bytes = vec![0; capacity as usize];
        }
        self.input_bytes.as_mut_ptr() as u32
    }

    /// Sets `count` scratch slots from the batch: header pair `k` names the
    /// slot and the byte length of its string, the strings lie back to back
    /// in the byte area. Reuses each slot's string buffer. Entries that do
    /// not fit the areas or are not UTF-8 clear their slot: the input
    /// comes from JS and is checked, never trusted.
    pub fn set_strs(&mut self, count: u32) {
        let pairs = (count as usize).min(self.input_header.len() / 2);
        let mut off = 0usize;
        for k in 0..pairs {
            let (slot, len) = (self.input_header[2 * k] as usize, self.input_header[2 * k + 1] as usize);
            let text = self.input_bytes.get(off..off + len).and_then(|b| std::str::from_utf8(b).ok());
            off += len;
            let Some(value) = self.scratch.value_at_mut(slot) else { continue };
            match (text, value) {
                (Some(t), Value::String(s)) => {
                    s.clear();
                    s.push_str(t);
                }
                (Some(t), v) => *v = Value::String(t.to_string()),
                (None, v) => *v = Value::Null,
            }
        }
    }

    /// Sets scratch slot `attr` to a string.
    pub fn set_str(&mut self, attr: u32, v: String) {
        self.set(attr, Value::String(v));
    }

    /// Sets scratch slot `attr` to a number (non-finite numbers clear it,
    /// as `JSON.stringify` turns them into `null`).
    pub fn set_num(&mut self, attr: u32, v: f64) {
        self.set(attr, if v.is_finite() { Value::Number(v) } else { Value::Null });
    }

    /// Sets scratch slot `attr` to a boolean.
    pub fn set_bool(&mut self, attr: u32, v: bool) {
        self.set(attr, Value::Bool(v));
    }

    /// Sets scratch slot `attr` to any JSON value (arrays, objects);
    /// `false` (and the slot cleared) when the JSON is invalid or too deep.
    pub fn set_json(&mut self, attr: u32, json: &str) -> bool {
        match Value::parse(json) {
            Ok(v) => {
                self.set(attr, v);
                true
            }
            Err(_) => {
                self.set(attr, Value::Null);
                false
            }
        }
    }

    /// Clears scratch slot `attr` (the attribute is missing).
    pub fn clear(&mut self, attr: u32) {
        self.set(attr, Value::Null);
    }

    /// The id of what decided a packed resolution of flag `flag` (a rule
    /// id, `users`, `targets[i]`, `prerequisite` flag key), if anything.
    pub fn rule_id(&self, flag: u32, packed: u32) -> Option<String> {
        let rs = self.rs.as_ref()?;
        Resolution::rule_id_of_code(rs, FlagId(flag), unpack_matched(packed)).map(String::from)
    }
}

impl Engine {
    fn set(&mut self, attr: u32, v: Value) {
        if let Some(name) = self.attrs.get(attr as usize) {
            self.scratch.set(name, v);
        }
    }

    fn resolve_in(&self, flag: u32, ctx: &Context, now: f64) -> u32 {
        match &self.rs {
            Some(rs) if (flag as usize) < rs.len() => pack(rs.resolve(FlagId(flag), ctx, now as i64)),
            _ => NO_RESOLUTION,
        }
    }

    fn resolve_all_in(&self, ctx: &Context, now: f64) -> Vec<u32> {
        let Some(rs) = &self.rs else { return Vec::new() };
        let now = now as i64;
        (0..rs.len() as u32).map(|i| pack(rs.resolve(FlagId(i), ctx, now))).collect()
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
pub fn metadata(rs: &Ruleset, attrs: &[Box<str>]) -> String {
    let mut out = String::with_capacity(64 + rs.len() * 64);
    out.push_str("{\"version\":");
    // Versions above 2^53 lose precision in JS; the format documents it.
    write_number(rs.version() as f64, &mut out);
    out.push_str(",\"reasons\":");
    write_strings(REASONS.iter().map(|r| r.as_str()), &mut out);
    out.push_str(",\"attributes\":");
    write_strings(attrs.iter().map(|a| &**a), &mut out);
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
fn write_slots(names: &[&str], attrs: &[Box<str>], out: &mut String) {
    let slots: Option<Vec<usize>> = names.iter().map(|n| attrs.binary_search_by(|a| (**a).cmp(n)).ok()).collect();
    let slots = slots.unwrap_or_else(|| (0..attrs.len()).collect());
    for (i, slot) in slots.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::num::write_u64(*slot as u64, out);
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
