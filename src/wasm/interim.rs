//! INTERIM: stand-ins for core API that issue 9's other branches add
//! (`Value: Serialize + Deserialize`, `Value::kind`/`is_truthy`,
//! `default_accepts_table`, `Overrides`, `Ruleset::evaluate_with`,
//! `Evaluation: Serialize`), with the contract's names and meaning, so the
//! binding can be written and tested before they land. Deleted when main
//! has them: every use goes through this module.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::limits::MAX_JSON_DEPTH;
use crate::{Context, ErrorCode, FlagType, Ruleset, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(t) => s.serialize_str(t),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
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

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(if n.is_finite() { Value::Number(n) } else { Value::Null })
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = a.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        while let Some((k, v)) = a.next_entry::<String, Value>()? {
            if members.iter().any(|(m, _)| *m == k) {
                return Err(de::Error::custom("duplicate key"));
            }
            members.push((k, v));
        }
        Ok(Value::Object(members))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        let v = d.deserialize_any(ValueVisitor)?;
        if depth(&v) > MAX_JSON_DEPTH {
            return Err(de::Error::custom("nested too deeply"));
        }
        Ok(v)
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// `Value::kind().code()`: 0 null, 1 bool, 2 number, 3 string, 4 array, 5 object.
pub fn kind_code(v: &Value) -> u32 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// `Value::is_truthy()`.
pub fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `default_accepts(default, served)` as a bit table: bit `d * 6 + s`.
pub fn default_accepts_table() -> u64 {
    (0..36u32).filter(|i| i / 6 == 0 || i / 6 >= 4 || i / 6 == i % 6).fold(0, |bits, i| bits | 1 << i)
}

fn accepts(default: &Value, served: &Value) -> bool {
    default_accepts_table() >> (kind_code(default) * 6 + kind_code(served)) & 1 == 1
}

/// Test overrides: key -> value, insertion-ordered.
#[derive(Default)]
pub struct Overrides(Vec<(String, Value)>);

impl Overrides {
    /// Pins `key` to `value`; rejects a value the flag's type cannot serve.
    pub fn set(&mut self, rs: Option<&Ruleset>, key: &str, value: Value) -> Result<(), String> {
        if let Some(f) = rs.and_then(|rs| rs.flag(key)) {
            let fits = matches!(
                (f.kind(), &value),
                (FlagType::Json, _)
                    | (FlagType::Boolean, Value::Bool(_))
                    | (FlagType::String, Value::String(_))
                    | (FlagType::Number, Value::Number(_))
            );
            if !fits {
                return Err(crate::error::msg![
                    "flag \"",
                    key,
                    "\" serves ",
                    f.kind().as_str(),
                    " values, not ",
                    value.type_name()
                ]);
            }
        }
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
        Ok(())
    }
    /// Removes one override.
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
    /// Removes every override.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// `Evaluation` with `Reason::Override`, serialized as the contract says.
pub struct Detail<'a> {
    pub value: &'a Value,
    pub variant: Option<&'a str>,
    pub reason: &'static str,
    pub rule_id: Option<&'a str>,
    pub error_code: Option<&'static str>,
}

impl Serialize for Detail<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 3 + self.rule_id.is_some() as usize + self.error_code.is_some() as usize;
        let mut st = s.serialize_struct("Evaluation", n)?;
        st.serialize_field("value", self.value)?;
        st.serialize_field("variant", &self.variant)?;
        st.serialize_field("reason", self.reason)?;
        if let Some(id) = self.rule_id {
            st.serialize_field("ruleId", id)?;
        }
        if let Some(c) = self.error_code {
            st.serialize_field("errorCode", c)?;
        }
        st.end()
    }
}

impl Detail<'_> {
    /// The truthiness of the served value.
    pub fn is_truthy(&self) -> bool {
        self.error_code.is_none() && is_truthy(self.value)
    }
}

fn error<'a>(default: &'a Value, code: ErrorCode) -> Detail<'a> {
    Detail { value: default, variant: None, reason: "ERROR", rule_id: None, error_code: Some(code.as_str()) }
}

/// `Ruleset::evaluate_with`.
pub fn evaluate_with<'a>(
    rs: &'a Ruleset,
    key: &str,
    ctx: &Context,
    now: i64,
    default: &'a Value,
    ov: &'a Overrides,
) -> Detail<'a> {
    if let Some(v) = ov.get(key) {
        if !accepts(default, v) {
            return error(default, ErrorCode::TypeMismatch);
        }
        let variant = rs.flag(key).and_then(|f| f.variants().iter().find(|x| x.value == *v)).map(|x| &*x.name);
        return Detail { value: v, variant, reason: "OVERRIDE", rule_id: None, error_code: None };
    }
    let Some(id) = rs.flag_id(key) else { return error(default, ErrorCode::FlagNotFound) };
    let e = rs.evaluation(id, rs.resolve(id, ctx, now));
    if !accepts(default, e.value) {
        return error(default, ErrorCode::TypeMismatch);
    }
    Detail {
        value: e.value,
        variant: e.variant,
        reason: e.reason.as_str(),
        rule_id: e.rule_id,
        error_code: e.error_code.map(|c| c.as_str()),
    }
}

/// `Ruleset::evaluate_all_with`.
pub fn evaluate_all_with<'a>(
    rs: &'a Ruleset,
    ctx: &Context,
    now: i64,
    ov: &'a Overrides,
) -> Vec<(&'a str, Detail<'a>)> {
    static NULL: Value = Value::Null;
    let mut out: Vec<(&str, Detail)> =
        rs.flags().iter().map(|f| (f.key(), evaluate_with(rs, f.key(), ctx, now, &NULL, ov))).collect();
    for (k, _) in &ov.0 {
        if rs.flag_id(k).is_none() {
            out.push((k, evaluate_with(rs, k, ctx, now, &NULL, ov)));
        }
    }
    out
}
