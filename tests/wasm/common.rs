// The wasm binding's own tests (src/wasm/), one body included by
// tests/wasm_node.rs (Node) and tests/wasm_browser.rs (headless Chromium),
// as serde-wasm-bindgen's suite does. Run by scripts/test-pkg.sh through
// wasm-bindgen-test-runner. They drive `Engine` as the package does, with
// real JS values.

use edgeflags::wasm::abi::{NO_RESOLUTION, NO_UNIT, REASON_MASK, REASON_SHIFT, TARGET_EMPTY, TARGET_HELD, VARIANT_MASK};
use edgeflags::wasm::Engine;
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

/// The module's memory as bytes (a fresh view: memory may have grown).
fn memory() -> js_sys::Uint8Array {
    let memory: js_sys::WebAssembly::Memory = edgeflags::wasm::wasm_memory().dyn_into().unwrap();
    js_sys::Uint8Array::new(&memory.buffer())
}

fn json(v: &JsValue) -> String {
    JSON::stringify(v).unwrap().as_string().unwrap()
}

const RULESET: &str = r#"{"version": 3, "flags": {
    "on": true,
    "limit": {"variants": {"small": 10, "large": 100}, "default_variant": "small",
              "rules": [{"id": "paid", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}], "variant": "large"}]}
}}"#;

fn engine() -> Engine {
    let mut e = Engine::new();
    e.load(js(RULESET)).unwrap();
    e
}

#[wasm_bindgen_test]
fn loads_a_ruleset_given_as_an_object() {
    let mut e = Engine::new();
    let meta = e.load(js(RULESET)).unwrap();
    assert_eq!(get(&meta, "version").as_f64(), Some(3.0));
    assert_eq!(get(&meta, "keys").as_string().unwrap(), "onlimit");
    assert_eq!(json(&get(&meta, "keyLengths")), r#"{"0":2,"1":5}"#);
    assert!(json(&get(&meta, "attributes")).contains("\"plan\""));
    assert_eq!(json(&get(&meta, "values")), "[true,false,10,100]");
    // The static flag resolves to its first variant with reason STATIC.
    let r = e.resolve(0, TARGET_EMPTY, 0.0, 0);
    assert_ne!(r, NO_RESOLUTION);
    assert_eq!(r & VARIANT_MASK, 0);
    let reasons = get(&meta, "reasons").dyn_into::<Array>().unwrap();
    assert_eq!(reasons.get((r >> REASON_SHIFT) & REASON_MASK).as_string().unwrap(), "STATIC");
    assert_eq!(e.resolve(9, TARGET_EMPTY, 0.0, 0), NO_RESOLUTION);
}

#[wasm_bindgen_test]
fn a_bad_ruleset_throws_a_real_error_with_every_problem() {
    let mut e = engine();
    let err = e
        .load(js(r#"{"flags": {"a": {"percentage": 120}, "b": {"rules": [{"conditions": [{"attribute": "x", "op": "nope", "value": 1}], "variant": "on"}]}}}"#))
        .map_err(JsValue::from)
        .err()
        .unwrap();
    assert!(err.is_instance_of::<js_sys::Error>(), "a real JS Error");
    assert_eq!(get(&err, "code").as_string().unwrap(), "INVALID_RULESET");
    assert_eq!(get(&err, "name").as_string().unwrap(), "EdgeflagsError");
    let problems = get(&err, "problems").dyn_into::<Array>().unwrap();
    assert!(problems.length() >= 2, "{}", json(&problems));
    let paths: Vec<String> = problems.iter().map(|p| get(&p, "path").as_string().unwrap()).collect();
    assert!(paths.iter().any(|p| p == "flags.a.percentage"), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("flags.b.rules[0].conditions[0]")), "{paths:?}");
    for p in problems.iter() {
        assert!(!get(&p, "message").as_string().unwrap().is_empty());
    }
    let message = get(&err, "message").as_string().unwrap();
    assert!(message.starts_with("invalid ruleset ("), "{message}");
    // The old ruleset keeps serving.
    assert_ne!(e.resolve(1, TARGET_EMPTY, 0.0, 0), NO_RESOLUTION);
    // Not a JSON document at all: a function.
    let err = e.load(js_sys::Function::new_no_args("").into()).map_err(JsValue::from).err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "INVALID_RULESET");
}

#[wasm_bindgen_test]
fn evaluate_gives_the_cores_details() {
    let mut e = engine();
    let d = e.evaluate("limit", TARGET_EMPTY, 0.0, 0, JsValue::from(1));
    assert_eq!(json(&d), r#"{"value":10,"variant":"small","reason":"DEFAULT"}"#);
    let d = e.evaluate("limit", TARGET_EMPTY, 0.0, 0, JsValue::from_str("x"));
    assert_eq!(json(&d), r#"{"value":"x","variant":null,"reason":"ERROR","errorCode":"TYPE_MISMATCH"}"#);
    let d = e.evaluate("nope", TARGET_EMPTY, 0.0, 0, JsValue::UNDEFINED);
    assert_eq!(json(&d), r#"{"value":null,"variant":null,"reason":"ERROR","errorCode":"FLAG_NOT_FOUND"}"#);
    // An object default comes back as a plain object, not a Map.
    let d = e.evaluate("nope", TARGET_EMPTY, 0.0, 0, js(r#"{"a":[1,{"b":null}]}"#));
    assert_eq!(json(&get(&d, "value")), r#"{"a":[1,{"b":null}]}"#);
}

#[wasm_bindgen_test]
fn overrides_live_in_the_engine() {
    let mut e = engine();
    e.set_override("limit", JsValue::from(100)).unwrap();
    assert_eq!(json(&e.evaluate("limit", TARGET_EMPTY, 0.0, 0, JsValue::UNDEFINED)), r#"{"value":100,"variant":"large","reason":"OVERRIDE"}"#);
    e.set_override("later", JsValue::from_str("")).unwrap();
    assert!(!e.is_enabled("later", TARGET_EMPTY, 0.0, 0));
    assert!(e.is_enabled("limit", TARGET_EMPTY, 0.0, 0));
    // A number flag cannot serve a string: INVALID_ARGUMENT, a real Error.
    let err = e.set_override("limit", JsValue::from_str("big")).map_err(JsValue::from).err().unwrap();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "code").as_string().unwrap(), "INVALID_ARGUMENT");
    // Overrides survive a load, in order after the ruleset's flags.
    e.load(js(RULESET)).unwrap();
    let all = e.evaluate_all(TARGET_EMPTY, 0.0, 0);
    let keys: Vec<String> = all.dyn_into::<Array>().unwrap().iter().map(|row| row.dyn_into::<Array>().unwrap().get(0).as_string().unwrap()).collect();
    assert_eq!(keys, ["on", "limit", "later"]);
    e.reset(Some("limit".into()));
    assert_eq!(json(&get(&e.evaluate("limit", TARGET_EMPTY, 0.0, 0, JsValue::UNDEFINED), "reason")), r#""DEFAULT""#);
    e.reset(None);
    assert_eq!(json(&get(&e.evaluate("later", TARGET_EMPTY, 0.0, 0, JsValue::UNDEFINED), "errorCode")), r#""FLAG_NOT_FOUND""#);
}

const EXPERIMENT: &str = r#"{"version": 4, "flags": {
    "plain": {"split": [["on", 50], ["off", 50]]},
    "exp": {"variants": {"control": "blue", "a": "green"}, "default_variant": "control",
            "targets": [{"variant": "a", "users": ["qa"]}],
            "split": [["control", 50], ["a", 50]],
            "experiment": {"control": "control", "metrics": ["purchase"]}}
}}"#;

#[wasm_bindgen_test]
fn exposure_unit_asks_the_core() {
    let mut e = Engine::new();
    let meta = e.load(js(EXPERIMENT)).unwrap();
    // Which flags are experiments crosses once, in the metadata.
    assert_eq!(json(&get(&meta, "experiments")), r#"{"0":0,"1":1}"#);
    // Lays out user_id (slot 0: the only attribute this ruleset reads) in
    // the held context, written into wasm memory as the package's batch does.
    let user = |e: &mut Engine, id: &str| {
        let bytes = e.input_bytes(64);
        let header = e.input_header();
        memory().subarray(bytes, bytes + id.len() as u32).copy_from(id.as_bytes());
        let pair: Vec<u8> = [0u32, id.len() as u32].iter().flat_map(|v| v.to_le_bytes()).collect();
        memory().subarray(header, header + 8).copy_from(&pair);
        assert!(e.hold(1));
    };
    let unit = |e: &mut Engine, flag: u32, target: u32, packed: u32| -> Option<String> {
        let n = e.exposure_unit(flag, target, 0.0, packed);
        if n == NO_UNIT {
            return None;
        }
        let at = e.unit_bytes();
        Some(String::from_utf8(memory().subarray(at, at + n).to_vec()).unwrap())
    };
    user(&mut e, "user:7");
    let r = e.resolve(1, TARGET_HELD, 0.0, 0);
    assert_eq!(unit(&mut e, 1, TARGET_HELD, r).as_deref(), Some("user:7"));
    // Asked again after other calls: resolved again, the same answer.
    let p = e.resolve(0, TARGET_HELD, 0.0, 0);
    assert_eq!(unit(&mut e, 1, TARGET_HELD, r).as_deref(), Some("user:7"));
    // Not the resolution this context gives: nothing.
    assert_eq!(unit(&mut e, 1, TARGET_HELD, r ^ 1), None);
    // Not an experiment, no unit, a bad index or target: nothing.
    assert_eq!(unit(&mut e, 0, TARGET_HELD, p), None);
    let empty = e.resolve(1, TARGET_EMPTY, 0.0, 0);
    assert_eq!(unit(&mut e, 1, TARGET_EMPTY, empty), None);
    assert_eq!(unit(&mut e, 9, TARGET_HELD, r), None);
    assert_eq!(unit(&mut e, 1, 7, r), None);
    // A user list match: not assigned by the split.
    user(&mut e, "qa");
    let q = e.resolve(1, TARGET_HELD, 0.0, 0);
    assert_eq!(unit(&mut e, 1, TARGET_HELD, q), None);
    // A unit that is not ASCII comes back as its UTF-8 bytes.
    user(&mut e, "utilisatrice:é");
    let u = e.resolve(1, TARGET_HELD, 0.0, 0);
    assert_eq!(unit(&mut e, 1, TARGET_HELD, u).as_deref(), Some("utilisatrice:é"));
}
