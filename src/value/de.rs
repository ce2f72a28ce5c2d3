//! `Deserialize` for [`Value`], from any serde format, with the rules every
//! document and context is held to: nesting at most
//! [`MAX_JSON_DEPTH`] (a seed carries the depth, so a deep document is an
//! error, not a stack overflow; serde_json's own limit is 128), duplicate
//! keys rejected with the key named, objects in document order, numbers as
//! `f64`, non-finite numbers (from formats that have them) as `null`.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{write_string, Value};
use crate::error::{msg, uint};
use crate::limits::MAX_JSON_DEPTH;

/// Objects with up to this many members find a repeated key by scanning
/// them; larger ones keep a set of key hashes (a `flags` object can hold
/// 10,000 keys, where scanning is quadratic).
const SCAN_KEYS: usize = 16;

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Nested { depth: 0 }.deserialize(d)
    }
}

/// A value inside `depth` arrays or objects.
#[derive(Clone, Copy)]
struct Nested {
    depth: usize,
}

impl Nested {
    /// The seed for the items of an array or object at this depth.
    fn enter<E: de::Error>(self) -> Result<Nested, E> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(E::custom(msg!["nesting deeper than ", uint(MAX_JSON_DEPTH), " levels"]));
        }
        Ok(Nested { depth: self.depth + 1 })
    }
}

impl<'de> DeserializeSeed<'de> for Nested {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn number(n: f64) -> Value {
    if n.is_finite() {
        Value::Number(n)
    } else {
        Value::Null
    }
}

impl<'de> Visitor<'de> for Nested {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_i128<E>(self, n: i128) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u128<E>(self, n: u128) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(number(n))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element_seed(inner)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut members: Vec<(String, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            if keys.repeated(&members, &key) {
                let mut quoted = String::new();
                write_string(&key, &mut quoted);
                return Err(de::Error::custom(msg!["duplicate key ", quoted]));
            }
            let v = map.next_value_seed(inner)?;
            members.push((key, v));
        }
        Ok(Value::Object(members))
    }
}

/// Finds a repeated key as the members are read.
#[derive(Default)]
struct Keys {
    /// Once past [`SCAN_KEYS`] members: the hashes of their keys. A hash
    /// seen before is confirmed by a scan (a collision is not a duplicate).
    hashes: Option<(RandomState, HashSet<u64>)>,
}

impl Keys {
    fn repeated(&mut self, members: &[(String, Value)], key: &str) -> bool {
        if members.len() < SCAN_KEYS {
            return members.iter().any(|(k, _)| k == key);
        }
        let (state, hashes) = self.hashes.get_or_insert_with(|| {
            let state = RandomState::new();
            let hashes = members.iter().map(|(k, _)| state.hash_one(k.as_str())).collect();
            (state, hashes)
        });
        !hashes.insert(state.hash_one(key)) && members.iter().any(|(k, _)| k == key)
    }
}
