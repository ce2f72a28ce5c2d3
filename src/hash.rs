//! Hashed lists: user lists and `in`/`not_in` values that a ruleset
//! carries as salted SHA-256 digests instead of the values themselves
//! (the client view, [`crate::client`]). The engine compares a context
//! value by hashing it the same way.
//!
//! `hash(text) = lowercase hex of SHA-256(UTF-8(hash_salt + ":" + text))`,
//! with `hash_salt` the ruleset's top-level field and `text`:
//! - in a user list, the user id as a string: numbers in their shortest
//!   decimal form (`42`, `1.5`), as bucketing reads units;
//! - in an `in`/`not_in` list, the value's equality form: `n:` and the
//!   shortest decimal form of the number for numbers and numeric text
//!   (`42`, `"42.0"` and `" 42 "` are all `n:42`), `s:` and the text for
//!   other strings, `s:true` / `s:false` for booleans.
//!
//! The equality form is what makes the hashed comparison the plain one:
//! plain `in` compares strings as strings and numbers (and numeric text)
//! by value, and two scalars are equal there exactly when their equality
//! forms are. docs/ruleset.md, "Hashed lists", says this for authors.

use sha2::{Digest, Sha256};

use crate::context::number_str;
use crate::ruleset::model::StrSet;
use crate::value::Value;

/// One SHA-256 digest.
pub(crate) type Hash = [u8; 32];

/// A set of digests, kept as their lowercase hex text in a [`StrSet`]:
/// the same sorted set and binary search as plain lists, which keeps a
/// second sort and search for 32-byte arrays out of the browser's wasm.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hashes(StrSet);

impl Hashes {
    /// A set of `digests`, each 64 lowercase hex digits ([`is_digest`]).
    pub(crate) fn new(digests: Vec<Box<str>>) -> Hashes {
        Hashes(StrSet::new(digests))
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0 .0.is_empty()
    }
    pub(crate) fn contains(&self, h: &Hash) -> bool {
        self.0.contains(&hex(h))
    }
    /// The digests as lowercase hex, sorted.
    pub(crate) fn hex(&self) -> &[Box<str>] {
        &self.0 .0
    }
}

/// `SHA-256(salt ":" prefix text)`.
pub(crate) fn digest(salt: &str, prefix: &str, text: &str) -> Hash {
    Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(b":")
        .chain_update(prefix.as_bytes())
        .chain_update(text.as_bytes())
        .finalize()
        .into()
}

/// The digest of a user id (its string form) in a user list.
pub(crate) fn user(salt: &str, id: &str) -> Hash {
    digest(salt, "", id)
}

/// The digest of a scalar's equality form; `None` for arrays, objects
/// and `null`, which no `in` list holds.
pub(crate) fn equality(salt: &str, v: &Value) -> Option<Hash> {
    match v {
        Value::String(s) => Some(match crate::value::parse_number(s.trim()) {
            Some(n) => digest(salt, "n:", &number_str(n)),
            None => digest(salt, "s:", s),
        }),
        Value::Number(n) => Some(digest(salt, "n:", &number_str(*n))),
        Value::Bool(b) => Some(digest(salt, "s:", if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// Lowercase hex.
pub(crate) fn hex(h: &Hash) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in h {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// Whether `s` is a digest as hashed lists write it: 64 lowercase hex digits.
pub(crate) fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // printf 'salt:user:42' | sha256sum
        assert_eq!(hex(&user("salt", "user:42")), "301d4548277edb4d9bd2954f28f34d610e62cce9060a4da0622f708ac20de023");
        // printf 'salt:n:42' | sha256sum
        let h = hex(&equality("salt", &Value::String(" 42.0".into())).unwrap());
        assert_eq!(h, "310a24b394c8164f3a669954ccfeaa1ec7f4cb7a73287d6dc3771a0e4c16a0e1");
    }

    #[test]
    fn equality_forms_follow_plain_equality() {
        let e = |v: Value| equality("s", &v);
        let s = |t: &str| Value::String(t.to_string());
        assert_eq!(e(s("42")), e(Value::Number(42.0)));
        assert_eq!(e(s(" 42.0 ")), e(Value::Number(42.0)));
        assert_eq!(e(Value::Number(-0.0)), e(Value::Number(0.0)));
        assert_ne!(e(s("4 2")), e(Value::Number(42.0)));
        assert_eq!(e(s("true")), e(Value::Bool(true)));
        assert_ne!(e(s("1")), e(Value::Bool(true)));
        assert_eq!(e(s("inf")), Some(digest("s", "s:", "inf")));
        assert_eq!(e(Value::Null), None);
        assert_eq!(e(Value::Array(vec![])), None);
    }

    #[test]
    fn digests_are_64_lowercase_hex_digits() {
        let h = hex(&user("x", "y"));
        assert!(is_digest(&h));
        assert!(!is_digest(&h.to_uppercase()));
        assert!(!is_digest(&h[..63]));
        assert!(!is_digest(&(h.clone() + "0")));
        assert!(!is_digest(&"g".repeat(64)));
        let set = Hashes::new(vec![h.clone().into(), h.into()]);
        assert_eq!(set.hex().len(), 1);
        assert!(set.contains(&user("x", "y")));
        assert!(!set.contains(&user("x", "z")));
    }
}
