//! The JS binding (wasm-bindgen), used by the npm package in `pkg/`: the
//! one module where JS meets wasm.
//!
//! It only translates: the core loads, evaluates, checks typed defaults,
//! decides truthiness and holds the test overrides; the JS wrapper
//! (`pkg/src/flags.js`) keeps tables and caches of what the core told it.
//!
//! - [`abi`]: the hand-shaped fast path's numbers (packing, batch entry
//!   codes, `NO_RESOLUTION`, reason order, targets, error codes), mirrored
//!   once in `pkg/src/abi.js` and guarded by [`abi_version`].
//! - [`batch`]: attributes written by JS straight into wasm memory.
//! - [`engine`]: the `Engine` class: load, resolve (packed), evaluate
//!   (serialized), overrides.
//! - [`error`]: the error type that becomes a real JS `Error` with `code`
//!   and `problems`.
//!
//! Off the hot path, structured values (rulesets given as objects, the
//! load metadata, problems, evaluation details, override values) cross
//! through serde-wasm-bindgen into and out of the core's `Value`. The
//! browser build has no JSON text reader (`--no-default-features`): the
//! JS side parses JSON there; the Node/Workers build keeps the `json`
//! feature for `Engine::load_text`.
//!
//! Every index that comes from JS is bounds-checked: bad input gives an
//! error value, never a panic (a panic is a wasm trap).

use wasm_bindgen::prelude::*;

pub mod abi;
pub mod batch;
pub mod engine;
pub mod error;

pub use engine::Engine;

/// The boundary's version ([`abi::ABI_VERSION`]); the package refuses to
/// run against a wasm file with another.
#[wasm_bindgen]
pub fn abi_version() -> u32 {
    abi::ABI_VERSION
}

/// Whether this build reads JSON text (`Engine::load_text`): the
/// Node/Workers build does, the browser build does not.
#[wasm_bindgen]
pub fn reads_json_text() -> bool {
    cfg!(feature = "json")
}

/// The module's linear memory (a `WebAssembly.Memory`), for the JS side to
/// write batches into and read results from.
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The bucket of `unit` under `salt` (`shared/spec/bucketing.md`).
#[wasm_bindgen]
pub fn bucket(salt: &str, unit: &str) -> f64 {
    crate::bucket(salt, unit)
}
