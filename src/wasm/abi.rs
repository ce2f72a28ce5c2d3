//! The hand-shaped part of the JS/wasm boundary: every number both sides
//! must agree on, defined once here and once in `pkg/src/abi.js`.
//!
//! The hot path crosses with numbers only (`shared/PERFORMANCE.md`): a flag
//! index in, one packed `u32` out ([`pack`]); a plain object's changed
//! attributes go into a batch area in wasm memory ([`super::batch`]).
//! Everything off that path (rulesets given as objects, the load metadata,
//! problem lists, evaluation details, overrides) crosses as structured
//! values through serde-wasm-bindgen and needs no constant here.
//!
//! [`ABI_VERSION`] changes whenever a constant or the meaning of an export
//! changes; the package checks it when it loads (`abi_version()`), so a JS
//! wrapper never runs against a wasm file it does not understand.
//! `tests/wasm_abi.rs` checks that `abi.js` holds the same numbers.

use crate::limits::{MAX_LIST, MAX_RULES, MAX_VARIANTS};
use crate::{Reason, Resolution};

/// The boundary's version, checked by the package at load.
pub const ABI_VERSION: u32 = 3;

/// Returned instead of a packed resolution when the flag index is unknown,
/// no ruleset is loaded, or the context's batch was unusable. No real
/// resolution packs to it: its reason bits (7) name no resolvable reason.
pub const NO_RESOLUTION: u32 = u32::MAX;

/// Returned by `Engine::exposure_unit` when the evaluation is no
/// exposure (else it returns the unit's length in bytes, always less: a
/// unit is a string in wasm memory).
pub const NO_UNIT: u32 = u32::MAX;

/// Bits 0-9 of a packed resolution: the variant index.
pub const VARIANT_MASK: u32 = (1 << 10) - 1;
/// Bits 10-12: the reason code (an index in [`REASONS`]).
pub const REASON_SHIFT: u32 = 10;
/// Mask of the reason code once shifted down.
pub const REASON_MASK: u32 = 7;
/// Bits 13-31: what matched (2 bits of kind, 17 of index); 0 for nothing.
pub const MATCHED_SHIFT: u32 = 13;
const MATCHED_INDEX_BITS: u32 = 17;

// The packing has 10 bits for the variant and 17 for the index of what
// matched; the core's limits must fit them.
const _: () = assert!(MAX_VARIANTS <= 1 << 10);
const _: () = assert!(MAX_LIST < 1 << MATCHED_INDEX_BITS && MAX_RULES < 1 << MATCHED_INDEX_BITS);

/// Reasons a resolution can give, in their code order. The names cross in
/// the load metadata, so this list is the only place the order lives.
pub const REASONS: [Reason; 7] = [
    Reason::Static,
    Reason::Default,
    Reason::TargetingMatch,
    Reason::Split,
    Reason::Disabled,
    Reason::PrerequisiteFailed,
    Reason::Error,
];
const _: () = assert!(REASONS.len() <= REASON_MASK as usize);

/// Which context an evaluation reads (the `target` argument of the
/// engine's resolving calls): the scratch context that plain objects are
/// copied into.
pub const TARGET_SCRATCH: u32 = 0;
/// The held context: the prepared context laid out last ([`super::Engine::hold`]).
pub const TARGET_HELD: u32 = 1;
/// The empty context (no context given).
pub const TARGET_EMPTY: u32 = 2;

/// Batch entry codes (the second `u32` of a header pair). Below
/// [`STRING_MAX`]: a string of that many UTF-8 bytes in the byte area.
pub const STRING_MAX: u32 = 0x4000_0000;
/// The next value staged by `stage()` (arrays and objects, which cross
/// through serde-wasm-bindgen).
pub const SET_STAGED: u32 = 0xffff_ffef;
/// Missing (`null`, `undefined`, functions, symbols).
pub const SET_NULL: u32 = 0xffff_fff0;
/// `false`.
pub const SET_FALSE: u32 = 0xffff_fff1;
/// `true`.
pub const SET_TRUE: u32 = 0xffff_fff2;
/// The number is entry `k`'s element of the number area.
pub const SET_NUMBER: u32 = 0xffff_fff3;

/// Error codes of the JS errors the binding throws (`error.code`); the JS
/// side adds `INVALID_ARGUMENT`, `FREED`, `SYNC_FAILED`, `ABI_MISMATCH`.
pub const INVALID_RULESET: &str = "INVALID_RULESET";
/// An override the flag's declared type cannot serve, or a value that is not JSON.
pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";

fn reason_code(r: Reason) -> u32 {
    REASONS.iter().position(|x| *x == r).unwrap_or(REASONS.len() - 1) as u32
}

/// A resolution as one `u32`: bits 0-9 the variant index, 10-12 the reason
/// code, 13-14 the kind of what matched (0 nothing, 1 target, 2 rule,
/// 3 prerequisite) and 15-31 its index.
pub fn pack(r: Resolution) -> u32 {
    let code = r.matched_code();
    let matched = (code >> 24) << MATCHED_INDEX_BITS | (code & ((1 << MATCHED_INDEX_BITS) - 1));
    r.variant | reason_code(r.reason) << REASON_SHIFT | matched << MATCHED_SHIFT
}

/// The core's matched code of a packed resolution.
pub fn unpack_matched(packed: u32) -> u32 {
    let m = packed >> MATCHED_SHIFT;
    (m >> MATCHED_INDEX_BITS) << 24 | (m & ((1 << MATCHED_INDEX_BITS) - 1))
}
