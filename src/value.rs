//! [`Value`], the core's JSON value: what rulesets, contexts and served
//! variant values are made of, and the one type that crosses the data
//! boundary. serde is that boundary: `Value` implements `Serialize` and
//! `Deserialize` by hand (`ser.rs`, `de.rs`), so any serde format reads and
//! writes it (serde_json natively, serde-wasm-bindgen in JS) with our rules:
//! objects keep document order, duplicate keys are rejected, nesting stops
//! at [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH), numbers are `f64`.
//!
//! JSON text is the `json` feature's (on by default; `json.rs`, serde_json):
//! [`Value::parse`] and [`JsonError`]. Writing works in every build, so the
//! loader's messages can quote values: through serde_json with `json`, else
//! through the small writer in `plain.rs` (same JSON, same escapes).

mod de;
#[cfg(feature = "json")]
mod json;
#[cfg(any(not(feature = "json"), test))]
mod plain;
mod ser;

#[cfg(feature = "json")]
pub use json::JsonError;

#[cfg(feature = "json")]
use json as text;
#[cfg(not(feature = "json"))]
use plain as text;

use std::fmt;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any JSON number, as an `f64` (integers above 2^53 lose precision).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in document order, keys unique.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object, or `None` (also for non-objects).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number inside, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean inside, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The name of this value's JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Writes this value as compact JSON: members in order, integers
    /// (below 2^53) without a fraction, other numbers with the shortest
    /// digits that read back to the same `f64`, non-finite numbers as
    /// `null`.
    pub fn write_json(&self, out: &mut String) {
        text::write_value(self, out);
    }

    /// This value as compact JSON text ([`Value::write_json`]).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.write_json(&mut s);
        s
    }
}

/// Compact JSON, as [`Value::to_json`].
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Numbers that JSON writes as integers: whole, below 2^53 in magnitude
/// (exact in an `f64`, safe in JS), and not `-0` (which must read back as
/// `-0`).
pub(crate) fn as_integer(n: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let whole = n.fract() == 0.0 && n.abs() < EXACT && !(n == 0.0 && n.is_sign_negative());
    whole.then_some(n as i64)
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_string(s: &str, out: &mut String) {
    text::write_str(s, out);
}

/// Writes `n` in decimal.
pub(crate) fn write_u64(n: u64, out: &mut String) {
    use fmt::Write;
    let _ = write!(out, "{n}"); // writing to a String cannot fail
}

/// Decimal text (`-12.5e3`, `+5`, `.5`, `5.`) as the correctly rounded
/// `f64` (std's parser); `None` for anything else, including `inf`, `nan`
/// and numbers too large for an `f64`.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_text_is_std_without_non_finite() {
        for (s, want) in [("42", Some(42.0)), ("-12.5e3", Some(-12500.0)), ("+5", Some(5.0)), (".5", Some(0.5))] {
            assert_eq!(parse_number(s), want, "{s}");
        }
        assert_eq!(parse_number("5."), Some(5.0));
        for bad in ["", "-", ".", "inf", "-infinity", "NaN", "1e400", "1_000", " 1", "0x10", "1e"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(parse_number("1e-400"), Some(0.0));
    }

    #[test]
    fn integers_are_whole_safe_and_not_negative_zero() {
        assert_eq!(as_integer(-300.0), Some(-300));
        assert_eq!(as_integer(9_007_199_254_740_991.0), Some(9_007_199_254_740_991));
        assert_eq!(as_integer(9_007_199_254_740_992.0), None);
        assert_eq!(as_integer(-0.0), None);
        assert_eq!(as_integer(0.0), Some(0));
        assert_eq!(as_integer(2.5), None);
        assert_eq!(as_integer(f64::NAN), None);
        assert_eq!(as_integer(f64::INFINITY), None);
    }
}
