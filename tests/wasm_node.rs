//! The wasm binding's tests in Node (wasm-bindgen-test-runner); the body is
//! tests/wasm/common.rs, shared with tests/wasm_browser.rs.
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

include!("wasm/common.rs");
