//! JSON text, through serde_json (the `json` feature): [`Value::parse`]
//! and the writer behind [`Value::write_json`]. serde_json is built with
//! `float_roundtrip`, so numbers read back to the bits they were written
//! from; our limits (depth, duplicate keys) come from `Value`'s
//! `Deserialize`, with serde_json's position attached.

use std::fmt;

use super::Value;
use crate::error::{msg, uint};

impl Value {
    /// Parses a JSON document (nesting at most
    /// [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH), keys unique).
    pub fn parse(text: &str) -> Result<Value, JsonError> {
        serde_json::from_str(text).map_err(|e| {
            let mut err = JsonError::from(e);
            // An error found on reading a newline is reported by serde_json
            // at column 0 of the next line: point at the newline instead,
            // just past the end of the line where the problem is.
            if err.column == 0 && err.line > 1 {
                if let Some(prev) = text.split('\n').nth(err.line - 2) {
                    (err.line, err.column) = (err.line - 1, prev.len() + 1);
                }
            }
            err
        })
    }
}

pub(super) fn write_value(v: &Value, out: &mut String) {
    // Serializing a Value into JSON cannot fail: every map key is a string
    // and the writer is memory.
    if let Ok(text) = serde_json::to_string(v) {
        out.push_str(&text);
    }
}

pub(super) fn write_str(s: &str, out: &mut String) {
    if let Ok(text) = serde_json::to_string(s) {
        out.push_str(&text);
    }
}

/// A JSON syntax error, or a document past our limits, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub message: String,
    /// 1-based line of the error (0 when it has no position).
    pub line: usize,
    /// 1-based column (in bytes) of the error; 0 at the very start of a
    /// line, such as the end of an empty document.
    pub column: usize,
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> JsonError {
        let (line, column) = (e.line(), e.column());
        let full = e.to_string();
        // serde_json's Display appends the position; we keep it apart.
        let suffix = msg![" at line ", uint(line), " column ", uint(column)];
        let message = full.strip_suffix(suffix.as_str()).unwrap_or(&full).to_string();
        JsonError { message, line, column }
    }
}

impl JsonError {
    /// The error in words, with its position, as `Display` writes it.
    pub(crate) fn text(&self) -> String {
        msg!["invalid JSON at line ", uint(self.line), " column ", uint(self.column), ": ", self.message]
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::error::Error for JsonError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_JSON_DEPTH;

    #[test]
    fn parses_and_writes_back() {
        let text = r#"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\\z\n","c":{},"d":-0.0}"#;
        let v = Value::parse(text).unwrap();
        assert_eq!(v.to_json(), r#"{"a":[1,2.5,-300,true,false,null],"b":"x\"y\\z\n","c":{},"d":-0.0}"#);
        assert_eq!(v.to_string(), v.to_json());
        // Document order, not sorted.
        let v = Value::parse(r#"{"z":1,"a":2,"m":3}"#).unwrap();
        assert_eq!(v.to_json(), r#"{"z":1,"a":2,"m":3}"#);
    }

    #[test]
    fn numbers_round_trip_exactly() {
        for n in
            [17.89072070221666_f64, 0.1, 1e-7, 6.349736407014945, 100.0, 5e-324, 1.7976931348623157e308, -0.0, 1e17]
        {
            let text = Value::Number(n).to_json();
            assert_eq!(Value::parse(&text).unwrap().as_f64().map(f64::to_bits), Some(n.to_bits()), "{text}");
        }
        assert_eq!(Value::Number(f64::NAN).to_json(), "null");
        assert_eq!(Value::Number(f64::NEG_INFINITY).to_json(), "null");
        assert_eq!(Value::parse("1e400").unwrap_err().message, "number out of range");
        // Beyond u64: read as the nearest f64.
        assert_eq!(Value::parse("123456789012345678901234567890").unwrap(), Value::Number(1.2345678901234568e29));
    }

    #[test]
    fn unicode_escapes_and_surrogates() {
        let v = Value::parse(r#""\u00fc\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str(), Some("ü😀"));
        assert!(Value::parse(r#""\ud83d""#).is_err());
        let s = Value::String("a\u{1}\u{8}\u{c}\u{7f}\"\\/ü".into());
        assert_eq!(s.to_json(), "\"a\\u0001\\b\\f\u{7f}\\\"\\\\/ü\"");
    }

    #[test]
    fn errors_have_a_position_and_a_plain_message() {
        let e = Value::parse("{\n  \"a\": tru }").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.message.contains("line"), "{}", e.message);
        assert_eq!(e.text(), "invalid JSON at line 2 column 11: expected ident");
        let e = Value::parse("[\n  tru\n]").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6));
        for bad in ["[1,]", "01", "\"a\u{1}\"", "", "[] x", "{\"a\" 1}", "nul", "{1:2}"] {
            assert!(Value::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn duplicate_keys_are_rejected_by_name() {
        let e = Value::parse("{\"a\":1,\n\"a\":2}").unwrap_err();
        assert_eq!((e.message.as_str(), e.line), ("duplicate key \"a\"", 2));
        // Past SCAN_KEYS members the check uses hashes: a duplicate of an
        // early key, of a late key, and none at all.
        let big = |extra: &str| {
            let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
            format!("{{{},{extra}}}", keys.join(","))
        };
        for dup in ["k0", "k16", "k39"] {
            let e = Value::parse(&big(&format!("\"{dup}\":0"))).unwrap_err();
            assert_eq!(e.message, format!("duplicate key \"{dup}\""));
        }
        let ok = Value::parse(&big("\"k40\":40")).unwrap();
        assert_eq!(ok.get("k40"), Some(&Value::Number(40.0)));
        assert_eq!(ok.get("k0"), Some(&Value::Number(0.0)));
        // Nested objects check their own keys.
        assert!(Value::parse(r#"{"a":{"a":1},"b":{"a":2}}"#).is_ok());
        // A key that needs escapes is quoted as JSON in the message.
        let e = Value::parse(r#"{"q\"":1,"q\"":2}"#).unwrap_err();
        assert_eq!(e.message, r#"duplicate key "q\"""#);
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(Value::parse(&nest(MAX_JSON_DEPTH)).is_ok());
        let e = Value::parse(&nest(MAX_JSON_DEPTH + 1)).unwrap_err();
        assert_eq!(e.message, format!("nesting deeper than {MAX_JSON_DEPTH} levels"));
        let objects = "{\"a\":".repeat(MAX_JSON_DEPTH + 1) + "1" + &"}".repeat(MAX_JSON_DEPTH + 1);
        assert!(Value::parse(&objects).unwrap_err().message.contains("nesting"));
        // Far past serde_json's own limit of 128: still our error.
        let e = Value::parse(&"[".repeat(1_000_000)).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
    }
}
