//! `Serialize` for [`Value`]: members in order; whole numbers below 2^53
//! as integers (so JSON text says `1`, not `1.0`), other finite numbers as
//! `f64`, non-finite ones (which no JSON can hold) as unit (`null`).

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{as_integer, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match as_integer(*n) {
                Some(i) => s.serialize_i64(i),
                None if n.is_finite() => s.serialize_f64(*n),
                None => s.serialize_unit(),
            },
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => s.collect_seq(items),
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
