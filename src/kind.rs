//! The kinds of JSON values and the two questions evaluation asks of a
//! served value: is it truthy (`isEnabled`, `X-Active-Flags`), and may it
//! stand in for the caller's default (the typed-default check). Every
//! runtime takes both answers from here; a binding that keeps its own
//! tables indexes [`Kind::code`] and [`default_accepts_table`] instead of
//! re-implementing them.

use crate::Value;

/// The kind of a JSON value, in [`Kind::code`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `null` (also: no default given).
    Null,
    /// `true` / `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// A list.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 6] = [Kind::Null, Kind::Bool, Kind::Number, Kind::String, Kind::Array, Kind::Object];

    /// The kind's stable small integer, 0..=5: null, bool, number, string,
    /// array, object. Bindings carry kinds across a boundary as this.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The kind of code `code` ([`Kind::code`]'s inverse); `None` past 5.
    pub const fn from_code(code: u32) -> Option<Kind> {
        match code {
            0 => Some(Kind::Null),
            1 => Some(Kind::Bool),
            2 => Some(Kind::Number),
            3 => Some(Kind::String),
            4 => Some(Kind::Array),
            5 => Some(Kind::Object),
            _ => None,
        }
    }

    /// `"null"`, `"boolean"`, `"number"`, `"string"`, `"array"` or `"object"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

impl Value {
    /// The value's [`Kind`].
    pub fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    /// JavaScript's truthiness over JSON: false for `null`, `false`, `0`
    /// and `""`; true for everything else, any array or object included
    /// (empty ones too). Beyond JSON, as in JavaScript: NaN is false, the
    /// infinities true (a binding may hand either over).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        }
    }
}

/// The typed-default check, OpenFeature's typed getters: whether a served
/// value of kind `served` may be returned to a caller whose default is of
/// kind `default`. A boolean, number or string default needs a served value
/// of the same kind; an array or object default (a JSON getter), or no
/// default (`null`), takes any JSON. When it is false, evaluation returns
/// the caller's default with `TYPE_MISMATCH`.
///
/// It is asked of the value actually served, not of the flag's declared
/// type: a `json` flag serving `{"x": 1}` satisfies an object default and
/// fails a string one.
pub const fn default_accepts(default: Kind, served: Kind) -> bool {
    match default {
        Kind::Null | Kind::Array | Kind::Object => true,
        Kind::Bool | Kind::Number | Kind::String => default as u32 == served as u32,
    }
}

/// [`default_accepts`] as a bit table, for bindings that keep their own
/// tables: bit `d * 6 + s` is set when a default of kind code `d` accepts a
/// served value of kind code `s` ([`Kind::code`]).
pub const fn default_accepts_table() -> u64 {
    let mut bits = 0u64;
    let mut d = 0;
    while d < 6 {
        let mut s = 0;
        while s < 6 {
            if let (Some(dk), Some(sk)) = (Kind::from_code(d), Kind::from_code(s)) {
                if default_accepts(dk, sk) {
                    bits |= 1 << (d * 6 + s);
                }
            }
            s += 1;
        }
        d += 1;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: Kind) -> Value {
        match kind {
            Kind::Null => Value::Null,
            Kind::Bool => Value::Bool(true),
            Kind::Number => Value::Number(1.5),
            Kind::String => Value::String("x".into()),
            Kind::Array => Value::Array(vec![]),
            Kind::Object => Value::Object(vec![]),
        }
    }

    #[test]
    fn codes_are_stable_and_invert() {
        let codes: Vec<u32> = Kind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
            assert_eq!(sample(k).kind(), k);
        }
        assert_eq!(Kind::from_code(6), None);
        assert_eq!(Kind::from_code(u32::MAX), None);
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["null", "boolean", "number", "string", "array", "object"]);
    }

    #[test]
    fn truthiness() {
        let falsy =
            [Value::Null, Value::Bool(false), Value::Number(0.0), Value::Number(-0.0), Value::String("".into())];
        for v in &falsy {
            assert!(!v.is_truthy(), "{v:?}");
        }
        assert!(!Value::Number(f64::NAN).is_truthy());
        assert!(Value::Number(f64::INFINITY).is_truthy() && Value::Number(f64::NEG_INFINITY).is_truthy());
        let truthy = [
            Value::Bool(true),
            Value::Number(-1.0),
            Value::Number(1e-300),
            Value::String("0".into()),
            Value::String("false".into()),
            Value::String(" ".into()),
            Value::Array(vec![]),
            Value::Object(vec![]),
            Value::Array(vec![Value::Bool(false)]),
        ];
        for v in &truthy {
            assert!(v.is_truthy(), "{v:?}");
        }
    }

    #[test]
    fn typed_defaults_follow_openfeature_getters() {
        use Kind::*;
        for served in Kind::ALL {
            // No default, or a JSON (object/array) getter: anything.
            assert!(default_accepts(Null, served));
            assert!(default_accepts(Array, served));
            assert!(default_accepts(Object, served));
            // Typed getters: only their own kind.
            for d in [Bool, Number, String] {
                assert_eq!(default_accepts(d, served), d == served, "{d:?} default, {served:?} served");
            }
        }
        assert!(!default_accepts(String, Object), "a json flag's object fails a string default");
        assert!(!default_accepts(Bool, Null));
    }

    #[test]
    fn table_is_the_function() {
        let t = default_accepts_table();
        for d in Kind::ALL {
            for s in Kind::ALL {
                let bit = t >> (d.code() * 6 + s.code()) & 1 == 1;
                assert_eq!(bit, default_accepts(d, s), "{d:?} x {s:?}");
            }
        }
        assert_eq!(t >> 36, 0, "only 36 bits are used");
        // 3 kinds accept all 6, 3 kinds accept 1.
        assert_eq!(t.count_ones(), 3 * 6 + 3);
    }
}
