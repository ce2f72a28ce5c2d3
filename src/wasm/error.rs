//! The binding's one error type: a stable code, a message and, for a
//! ruleset that failed to load, every problem with its path. It converts
//! into a real JS `Error` (serde-wasm-bindgen's pattern), so an export that
//! returns `Result<_, Error>` throws something JS can catch, read `code`
//! and `problems` from, and print with a stack. The package gives it the
//! `EdgeflagsError` prototype (`pkg/src/errors.js`).

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use super::abi::{INVALID_ARGUMENT, INVALID_RULESET};
use crate::error::{msg, uint};
use crate::{LoadError, OverrideError, Problem};

/// A failure the binding reports to JS.
#[derive(Debug)]
pub struct Error {
    code: &'static str,
    message: String,
    problems: Vec<Problem>,
}

impl Error {
    /// An `INVALID_ARGUMENT` error.
    pub fn invalid_argument(message: String) -> Error {
        Error { code: INVALID_ARGUMENT, message, problems: Vec::new() }
    }

    /// An override the core refused, in words (built from pieces: no
    /// `core::fmt` in the package wasm for it).
    pub fn override_refused(e: OverrideError) -> Error {
        let OverrideError::TypeMismatch { key, flag_type, value } = &e;
        let message = msg!["flag \"", key, "\" serves ", flag_type.as_str(), " values, not ", value.as_str()];
        Error::invalid_argument(message)
    }

    /// An `INVALID_RULESET` error listing every problem, one per line.
    pub fn invalid_ruleset(e: LoadError) -> Error {
        let n = e.problems.len();
        let mut message = msg!["invalid ruleset (", uint(n), if n == 1 { " problem):" } else { " problems):" }];
        for p in &e.problems {
            message.push_str("\n  ");
            if !p.path.is_empty() {
                message.push_str(&p.path);
                message.push_str(": ");
            }
            message.push_str(&p.message);
        }
        Error { code: INVALID_RULESET, message, problems: e.problems }
    }

    /// A ruleset given as JS that is not a JSON document: why, in the
    /// words of the deserializer (the core's own for depth and duplicates).
    pub fn not_json(why: serde_wasm_bindgen::Error) -> Error {
        let why = JsValue::from(why).dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();
        let message = msg!["the ruleset is not a JSON document: ", why];
        Error::invalid_ruleset(LoadError { problems: vec![Problem { path: String::new(), message }] })
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The problems (empty unless `INVALID_RULESET`).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        err.set_name("EdgeflagsError");
        // `{ path, message }` each: the core's `Serialize` for `Problem`.
        let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
        let problems = e.problems.serialize(&ser).unwrap_or_else(|_| js_sys::Array::new().into());
        // Setting a property on a fresh Error cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code));
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("problems"), &problems);
        err.into()
    }
}
