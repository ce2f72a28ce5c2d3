//! The JS/wasm boundary's constants agree on both sides: every number in
//! `src/wasm/abi.rs` has the same value in `pkg/src/abi.js`, and the reason
//! order and kind codes are the core's.
#![cfg(feature = "wasm")]

#[cfg(test)]
mod abi {
    use std::collections::HashMap;

    use edgeflags::wasm::abi::*;

    /// `export const NAME = VALUE;` lines of abi.js, values as written.
    fn js_constants() -> HashMap<String, String> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/src/abi.js")).unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix("export const "))
            .filter_map(|l| l.trim_end_matches(';').split_once(" = "))
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect()
    }

    fn num(js: &HashMap<String, String>, name: &str) -> u64 {
        let v = js.get(name).unwrap_or_else(|| panic!("abi.js has no {name}"));
        match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => v.parse().unwrap_or_else(|_| panic!("{name} = {v}")),
        }
    }

    #[test]
    fn abi_js_mirrors_abi_rs() {
        let js = js_constants();
        for (name, value) in [
            ("ABI_VERSION", ABI_VERSION),
            ("NO_RESOLUTION", NO_RESOLUTION),
            ("NO_UNIT", NO_UNIT),
            ("VARIANT_MASK", VARIANT_MASK),
            ("REASON_SHIFT", REASON_SHIFT),
            ("REASON_MASK", REASON_MASK),
            ("MATCHED_SHIFT", MATCHED_SHIFT),
            ("TARGET_SCRATCH", TARGET_SCRATCH),
            ("TARGET_HELD", TARGET_HELD),
            ("TARGET_EMPTY", TARGET_EMPTY),
            ("STRING_MAX", STRING_MAX),
            ("SET_STAGED", SET_STAGED),
            ("SET_NULL", SET_NULL),
            ("SET_FALSE", SET_FALSE),
            ("SET_TRUE", SET_TRUE),
            ("SET_NUMBER", SET_NUMBER),
        ] {
            assert_eq!(num(&js, name), value as u64, "{name}");
        }
        assert_eq!(js["INVALID_RULESET"], INVALID_RULESET);
        assert_eq!(js["INVALID_ARGUMENT"], INVALID_ARGUMENT);
    }

    #[test]
    fn packing_round_trips_what_matched() {
        // Variant, reason and matched code survive pack/unpack for the
        // largest indices the core's limits allow.
        for code in [0, 1 << 24, (1 << 24) | 999, (2 << 24) | 99_999, (3 << 24) | 15] {
            assert_eq!(unpack_matched(code_to_packed(code)), code, "{code:#x}");
        }
    }

    fn code_to_packed(code: u32) -> u32 {
        let m = (code >> 24) << 17 | (code & 0x1_ffff);
        m << MATCHED_SHIFT | 3 << REASON_SHIFT | 1023
    }
}
