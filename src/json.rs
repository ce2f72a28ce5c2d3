//! A small JSON reader and writer, owned by the core so that the wasm build
//! carries no serde_json, and so that every limit (depth, size) is ours to
//! enforce with a clear error instead of a stack overflow.
//!
//! Objects keep their members in document order; duplicate keys are
//! rejected, since a ruleset where `"percentage"` appears twice means two
//! different things to two different tools. Numbers are `f64`, parsed with
//! the correctly rounded `str::parse`, and written with Rust's shortest
//! round-trip formatting, so a bucket printed by the CLI parses back to the
//! same bits.

use std::fmt;

use crate::error::{msg, uint};
use crate::limits::MAX_JSON_DEPTH;

/// Objects with up to this many members find duplicate keys by scanning
/// them; larger ones switch to a set (see `Parser::object`).
const SCAN_KEYS: usize = 16;

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

    /// Parses a JSON document (with [`MAX_JSON_DEPTH`] as nesting limit).
    pub fn parse(text: &str) -> Result<Value, JsonError> {
        let mut p = Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0 };
        p.skip_ws();
        let v = p.value()?;
        p.skip_ws();
        if p.pos != p.bytes.len() {
            return Err(p.error("unexpected characters after the JSON value"));
        }
        Ok(v)
    }

    /// Writes this value as compact JSON.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => write_number(*n, out),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// This value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.write_json(&mut s);
        s
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Writes a finite number with the shortest digits that parse back to the
/// same `f64` (Rust's `Display`), integers without a fraction. Non-finite
/// numbers cannot come from JSON; they are written as `null`.
pub fn write_number(n: f64, out: &mut String) {
    // Shortest round-trip, never an exponent, exactly as `{}` on f64
    // (crate::num, std's algorithm results in far less code).
    crate::num::write_f64(n, out);
}

/// Writes `s` as a JSON string literal.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    // Runs of bytes that need no escape are copied at once (a load writes
    // every flag key and variant name into its metadata). Runs start and
    // end at ASCII bytes, so on char boundaries.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        run = i + 1;
        if esc.is_empty() {
            // Other control characters: \u00XX, as `{:04x}` would write it.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// A JSON syntax error, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column (in bytes) of the error.
    pub column: usize,
}

impl JsonError {
    /// The error in words, as `Display` writes it. Bindings use this rather
    /// than `to_string()`: a `Formatter` over a `String` keeps `core::fmt`
    /// in the wasm (see `crate::error::msg`).
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

struct Parser<'a> {
    /// The input, and the same as bytes: runs between ASCII delimiters
    /// are sliced from `text` (no UTF-8 check; it was a tenth of parsing).
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> JsonError {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = self.pos - upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        JsonError { message: message.to_string(), line, column }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect_literal(&mut self, lit: &str, v: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_literal("null", Value::Null),
            Some(b't') => self.expect_literal("true", Value::Bool(true)),
            Some(b'f') => self.expect_literal("false", Value::Bool(false)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, JsonError>) -> Result<Value, JsonError> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(self.error(&msg!["nesting deeper than ", uint(MAX_JSON_DEPTH), " levels"]));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.pos += 1; // {
        let mut members: Vec<(String, Value)> = Vec::new();
        // Duplicate keys: a scan of the members is fastest for small
        // objects, but quadratic for a `flags` object of 10,000 keys (it
        // was 60% of loading one, bench/ANALYSIS.md); past a few members,
        // the keys go through a hash table once at the end.
        let mut key_positions: Vec<usize> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key in object"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            key_positions.push(key_pos);
            if members.len() < SCAN_KEYS && members.iter().any(|(k, _)| *k == key) {
                self.pos = key_pos;
                return Err(self.error(&msg!["duplicate key \"", key, "\""]));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value()?;
            members.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    if members.len() > SCAN_KEYS {
                        self.check_duplicates(&members, &key_positions)?;
                    }
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in object")),
            }
        }
    }

    /// Finds a repeated key among many members (one pass through a hash
    /// set) and reports its second occurrence.
    fn check_duplicates(&mut self, members: &[(String, Value)], positions: &[usize]) -> Result<(), JsonError> {
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        match members.iter().position(|(k, _)| !seen.insert(k.as_str())) {
            Some(i) => {
                self.pos = positions[i];
                Err(self.error(&msg!["duplicate key \"", members[i].0, "\""]))
            }
            None => Ok(()),
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected digits after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected exponent digits"));
            }
            self.digits();
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        match crate::num::parse_f64(text) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                self.pos = start;
                Err(self.error("number out of range"))
            }
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes at once; the input is a &str, so
            // a run between ASCII bytes is on char boundaries.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or(""));
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error("unpaired surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error("unpaired surrogate in \\u escape"));
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.ok_or_else(|| self.error("unpaired surrogate in \\u escape"))?);
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape in string"));
                        }
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_read_back() {
        for c in (0u8..0x20).chain([b'a', 0x7f]) {
            let text = char::from(c).to_string();
            let mut ours = String::new();
            write_string(&text, &mut ours);
            let want = match c {
                b'\n' => "\"\\n\"".to_string(),
                b'\r' => "\"\\r\"".to_string(),
                b'\t' => "\"\\t\"".to_string(),
                0..0x20 => format!("\"\\u{:04x}\"", c),
                _ => format!("\"{text}\""),
            };
            assert_eq!(ours, want, "byte {c:#x}");
            assert_eq!(serde_json::from_str::<String>(&ours).unwrap(), text);
        }
        for text in ["", "plain", "ü\"x\ny\u{1}z€\\", "\u{1f600}\t", "a\"", "\"a"] {
            let mut ours = String::new();
            write_string(text, &mut ours);
            assert_eq!(serde_json::from_str::<String>(&ours).unwrap(), text);
        }
    }

    #[test]
    fn parses_and_writes_back() {
        let text = r#"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\\z\n","c":{}}"#;
        let v = Value::parse(text).unwrap();
        assert_eq!(v.to_json(), r#"{"a":[1,2.5,-300,true,false,null],"b":"x\"y\\z\n","c":{}}"#);
    }

    #[test]
    fn numbers_round_trip_exactly() {
        for n in [17.89072070221666_f64, 0.1, 1e-7, 6.349736407014945, 100.0, 5e-324, 1.7976931348623157e308] {
            let mut s = String::new();
            write_number(n, &mut s);
            assert_eq!(Value::parse(&s).unwrap(), Value::Number(n), "{s}");
        }
    }

    #[test]
    fn unicode_escapes_and_surrogates() {
        let v = Value::parse(r#""\u00fc\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str(), Some("ü😀"));
        assert!(Value::parse(r#""\ud83d""#).is_err());
    }

    #[test]
    fn rejects_bad_input_with_position() {
        let e = Value::parse("{\n  \"a\": tru }").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        assert!(Value::parse(r#"{"a":1,"a":2}"#).unwrap_err().message.contains("duplicate key"));
        // Past SCAN_KEYS members the check uses a set: a duplicate of an
        // early key, of a late key, and none at all.
        let big = |extra: &str| {
            let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
            format!("{{{},{extra}}}", keys.join(","))
        };
        for dup in ["k0", "k16", "k39"] {
            let e = Value::parse(&big(&format!("\"{dup}\":0"))).unwrap_err();
            assert!(e.message.contains(&format!("duplicate key \"{dup}\"")), "{dup}: {}", e.message);
        }
        let ok = Value::parse(&big("\"k40\":40")).unwrap();
        assert_eq!(ok.get("k40"), Some(&Value::Number(40.0)));
        assert_eq!(ok.get("k0"), Some(&Value::Number(0.0)));
        assert!(Value::parse("1e400").is_err());
        assert!(Value::parse("[1,]").is_err());
        assert!(Value::parse("01").is_err());
        assert!(Value::parse("\"a\u{1}\"").is_err());
        assert!(Value::parse("").is_err());
        assert!(Value::parse("[] x").is_err());
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let deep = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(Value::parse(&deep).is_ok());
        let too_deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert!(Value::parse(&too_deep).unwrap_err().message.contains("nesting"));
        let huge = "[".repeat(1_000_000);
        assert!(Value::parse(&huge).is_err());
    }
}
