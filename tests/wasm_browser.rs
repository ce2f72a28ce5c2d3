//! The wasm binding's tests in headless Chromium (wasm-bindgen-test-runner
//! with CHROMEDRIVER); the body is tests/wasm/common.rs, shared with
//! tests/wasm_node.rs.
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("wasm/common.rs");
