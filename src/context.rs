//! The evaluation context: the attributes of one user or request
//! (`user_id`, `plan`, `country`, ...). Built once, then read by every flag
//! evaluated for that request.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};

use crate::limits::MAX_CONTEXT_ATTRIBUTES;
use crate::value::Value;

/// The attributes of one user or request.
#[derive(Debug, Clone, Default)]
pub struct Context {
    attrs: Vec<(Box<str>, Value)>,
    /// Non-zero when the first attributes are, in order, those of the
    /// ruleset load with this id ([`crate::Ruleset::new_context`]): its
    /// evaluation then reads them by position. Attributes are never
    /// removed or reordered, so this stays true.
    layout: u64,
}

/// Equal attributes in the same order, whatever the layout.
impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.attrs == other.attrs
    }
}

/// A context that is not a JSON object, or is too large.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError(pub String);

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContextError {}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context from a JSON object (`null` gives an empty context).
    pub fn from_value(v: Value) -> Result<Context, ContextError> {
        match v {
            Value::Null => Ok(Context::new()),
            Value::Object(members) => {
                if members.len() > MAX_CONTEXT_ATTRIBUTES {
                    return Err(ContextError(crate::error::msg![
                        "context has ",
                        crate::error::uint(members.len()),
                        " attributes; the limit is ",
                        crate::error::uint(MAX_CONTEXT_ATTRIBUTES)
                    ]));
                }
                Ok(Context { attrs: members.into_iter().map(|(k, v)| (k.into_boxed_str(), v)).collect(), layout: 0 })
            }
            other => Err(ContextError(crate::error::msg!["context must be a JSON object, not ", other.type_name()])),
        }
    }

    /// A context with `names` missing, in order, marked with `layout`.
    pub(crate) fn laid_out(layout: u64, names: &[Box<str>]) -> Context {
        Context { attrs: names.iter().map(|n| (n.clone(), Value::Null)).collect(), layout }
    }

    /// The value of attribute `name`, which is slot `slot` of ruleset load
    /// `layout`: read by position when this context is laid out for it.
    #[inline]
    pub(crate) fn get_at(&self, layout: u64, slot: u32, name: &str) -> Option<&Value> {
        if self.layout == layout {
            if let Some((_, v)) = self.attrs.get(slot as usize) {
                return Some(v).filter(|v| !matches!(v, Value::Null));
            }
        }
        self.get(name)
    }

    /// [`Context::unit`] of attribute `name`, slot `slot` of `layout`.
    pub(crate) fn unit_at(&self, layout: u64, slot: u32, name: &str) -> Option<Cow<'_, str>> {
        scalar_str(self.get_at(layout, slot, name)?)
    }

    /// A context holding just `user_id`.
    pub fn with_user(user_id: &str) -> Context {
        let mut c = Context::new();
        c.set("user_id", Value::String(user_id.to_string()));
        c
    }

    /// Sets an attribute, replacing any earlier value.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.attrs.iter_mut().find(|(k, _)| &**k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.into(), value)),
        }
    }

    /// The value of an attribute. `null` counts as missing.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| &**k == name).map(|(_, v)| v).filter(|v| !matches!(v, Value::Null))
    }

    /// The value of the `i`th attribute (in insertion order), to update in
    /// place: bindings keep one slot per attribute.
    #[cfg_attr(not(feature = "wasm"), allow(dead_code))]
    pub(crate) fn value_at_mut(&mut self, i: usize) -> Option<&mut Value> {
        self.attrs.get_mut(i).map(|(_, v)| v)
    }

    /// The attributes, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.attrs.iter().map(|(k, v)| (&**k, v))
    }

    /// The attribute as a bucketing unit or list entry: strings as they
    /// are, numbers in their shortest decimal form (`42`, `1.5`), booleans
    /// as `true`/`false`. Arrays, objects and missing values give `None`.
    pub fn unit(&self, name: &str) -> Option<Cow<'_, str>> {
        scalar_str(self.get(name)?)
    }
}

/// The string form of a scalar, as used for bucketing units and `in` lists.
pub(crate) fn scalar_str(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(number_str(*n))),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// `n` in its shortest round-trip decimal form without an exponent
/// (std's `Display`: `42`, `1.5`, `0.0000001`), as the bucketing contract
/// reads numeric units; `0` for both zeros.
pub(crate) fn number_str(n: f64) -> String {
    if n == 0.0 {
        "0".to_string() // no "-0"
    } else {
        n.to_string()
    }
}

/// A context as the JSON object of its attributes, in insertion order.
impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// A context from an object of attributes (or `null`): a [`Value`] with
/// its limits, then the rules and messages of [`Context::from_value`].
impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Context, D::Error> {
        Context::from_value(Value::deserialize(d)?).map_err(|e| de::Error::custom(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_from_objects_only() {
        let c = Context::from_value(Value::parse(r#"{"user_id": 42, "plan": "pro", "x": null}"#).unwrap()).unwrap();
        assert_eq!(c.unit("user_id").as_deref(), Some("42"));
        assert_eq!(c.get("plan").and_then(Value::as_str), Some("pro"));
        assert_eq!(c.get("x"), None);
        assert!(Context::from_value(Value::parse("[1]").unwrap()).is_err());
        assert_eq!(Context::from_value(Value::Null).unwrap(), Context::new());
    }

    #[test]
    fn unit_forms() {
        let mut c = Context::new();
        c.set("a", Value::Number(1.5));
        c.set("b", Value::Bool(true));
        c.set("c", Value::Array(vec![]));
        c.set("d", Value::Number(-0.0));
        assert_eq!(c.unit("a").as_deref(), Some("1.5"));
        assert_eq!(c.unit("b").as_deref(), Some("true"));
        assert_eq!(c.unit("c"), None);
        assert_eq!(c.unit("d").as_deref(), Some("0"));
        c.set("a", Value::String("z".into()));
        assert_eq!(c.unit("a").as_deref(), Some("z"));
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[test]
    fn reads_and_writes_an_object_of_attributes() {
        let c: Context = serde_json::from_str(r#"{"user_id": "u1", "n": 1e-7, "x": null}"#).unwrap();
        assert_eq!(c.unit("n").as_deref(), Some("0.0000001"));
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"user_id":"u1","n":1e-7,"x":null}"#);
        assert_eq!(serde_json::from_str::<Context>("null").unwrap(), Context::new());
    }

    #[test]
    fn keeps_the_messages_and_limits_of_from_value() {
        let e = serde_json::from_str::<Context>("[1]").unwrap_err().to_string();
        assert!(e.starts_with("context must be a JSON object, not array"), "{e}");
        let many: Vec<String> = (0..=MAX_CONTEXT_ATTRIBUTES).map(|i| format!("\"a{i}\":{i}")).collect();
        let e = serde_json::from_str::<Context>(&format!("{{{}}}", many.join(","))).unwrap_err().to_string();
        assert!(e.starts_with(&format!("context has {} attributes", MAX_CONTEXT_ATTRIBUTES + 1)), "{e}");
        let e = serde_json::from_str::<Context>(r#"{"a":1,"a":2}"#).unwrap_err().to_string();
        assert!(e.starts_with("duplicate key \"a\""), "{e}");
    }
}
