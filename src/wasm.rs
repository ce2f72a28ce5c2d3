//! The JS binding (wasm-bindgen), filled in by the npm package issue.
