//! The client view of a ruleset: the document browsers download (the
//! Worker's `GET /v1/ruleset`), computed from the full one. It answers
//! every client flag exactly as the full document does, and holds nothing
//! a browser has no need to read:
//!
//! - server-only flags (`"client": false`) and `routes` are left out, and
//!   segments no client flag uses;
//! - rollout plans (`rollout`, whose `webhook` is a URL browsers must not
//!   read) are dropped: evaluation does not read them;
//! - metadata evaluation does not read is dropped: the document's and
//!   rules' `description`, flags' `owner`, `description`, `created`,
//!   `expires`, `tags`, `client`, segments' `description`, `$schema`,
//!   `sensitive`; shorthands are written out (`["u1"]` becomes
//!   `{"users": ...}`) and `null` fields dropped;
//! - every user list (flag `users`/`allowed_users`, `targets[].users`,
//!   segment `users`) and the values of `in`, `not_in`, `eq`, `neq` on a
//!   `sensitive` attribute or on `user_id` become hashed lists
//!   (`{"sha256": [...]}`, [`crate::hash`]) under the view's `hash_salt`;
//!   `eq` and `neq` become `in` and `not_in` of their one value.
//!
//! Loading guarantees the view is possible: a client flag cannot depend on
//! a server-only flag, nor test a sensitive attribute with an operator
//! that cannot be hashed (directly or through a segment). The view keeps
//! the document's `schema` and `version`, and is itself a ruleset (checked
//! before it is returned). docs/ruleset.md, "The client view", says what
//! the hashing does and does not protect against.

use std::collections::BTreeSet;

use crate::context::scalar_str;
use crate::error::LoadError;
use crate::hash::{self, Hash, Hashes};
use crate::limits::MAX_NAME_LEN;
use crate::ruleset::compile::expand_shorthand;
use crate::ruleset::Ruleset;
use crate::value::Value;

/// The flag fields evaluation reads and the view keeps as they are (user
/// lists and rules are rewritten; every other field is dropped).
const KEPT_FLAG_FIELDS: &[&str] = &[
    "type",
    "variants",
    "enabled",
    "default_variant",
    "off_variant",
    "killed",
    "salt",
    "bucket_by",
    "prerequisites",
    "percentage",
    "rollout_percentage",
    "schedule",
    "split",
    "rollout_variant",
    // The package records exposures of experiments (docs/experiments.md).
    "experiment",
    // Not "rollout": the guard's plan and its webhook URL stay server-side.
];

/// The client view of the ruleset document `doc` (see the module
/// documentation), its lists hashed with `salt` unless `doc` has its own
/// `hash_salt` (then that one: lists already hashed stay comparable).
/// Deterministic for `(doc, salt)`. Use a random value per deployment as
/// `salt`, so that digests cannot be looked up across deployments.
///
/// Fails with the document's problems when `doc` is not a valid ruleset,
/// or when `salt` is longer than [`MAX_NAME_LEN`] bytes.
///
/// ```
/// use edgeflags::{client::client_view, Context, Ruleset, Value};
///
/// let doc = Value::parse(r#"{"version": 3, "sensitive": ["email"], "flags": {
///     "beta": {"users": ["user:42"], "rules": [{"id": "staff",
///         "conditions": [{"attribute": "email", "op": "eq", "value": "ann@example.com"}], "variant": "on"}]},
///     "ops_kill": {"client": false, "owner": "sre", "enabled": true}
/// }}"#).unwrap();
/// let view = client_view(&doc, "s3cr3t-per-deployment").unwrap();
/// let text = view.to_json();
/// assert!(!text.contains("user:42") && !text.contains("ann@example.com") && !text.contains("ops_kill"));
///
/// let rs = Ruleset::from_value(&view).unwrap();
/// assert_eq!(rs.version(), 3);
/// let mut ann = Context::with_user("user:7");
/// ann.set("email", Value::String("ann@example.com".into()));
/// assert_eq!(rs.evaluate("beta", &ann, 0, &Value::Null).rule_id, Some("staff"));
/// assert_eq!(rs.evaluate("beta", &Context::with_user("user:42"), 0, &Value::Null).rule_id, Some("users"));
/// ```
pub fn client_view(doc: &Value, salt: &str) -> Result<Value, LoadError> {
    let rs = Ruleset::from_value(doc)?;
    let salt = doc.get("hash_salt").and_then(Value::as_str).unwrap_or(salt);
    if salt.len() > MAX_NAME_LEN {
        return Err(LoadError::single(
            "hash_salt",
            crate::error::msg!["a hash salt is at most ", crate::error::uint(MAX_NAME_LEN), " bytes"],
        ));
    }
    let view = View { salt, sensitive: rs.sensitive() };
    let mut used = BTreeSet::new();
    let mut flags = Vec::new();
    for (key, f) in members(doc.get("flags")) {
        if rs.flag(key).is_some_and(|f| f.client()) {
            flags.push((key.clone(), view.flag(f, &mut used)));
        }
    }
    let segments: Vec<(String, Value)> = members(doc.get("segments"))
        .iter()
        .filter(|(name, _)| used.contains(name.as_str()))
        .map(|(name, s)| (name.clone(), view.segment(s)))
        .collect();
    let mut out = vec![
        ("schema".to_string(), Value::Number(f64::from(rs.schema()))),
        ("version".to_string(), Value::Number(rs.version() as f64)),
        ("hash_salt".to_string(), Value::String(salt.to_string())),
    ];
    if !segments.is_empty() {
        out.push(("segments".to_string(), Value::Object(segments)));
    }
    out.push(("flags".to_string(), Value::Object(flags)));
    let out = Value::Object(out);
    // The view is a ruleset in its own right; a failure here is a bug.
    Ruleset::from_value(&out)?;
    Ok(out)
}

/// The members of an object (none for anything else).
fn members(v: Option<&Value>) -> &[(String, Value)] {
    match v {
        Some(Value::Object(m)) => m,
        _ => &[],
    }
}

/// How the view rewrites a document's parts.
struct View<'a> {
    salt: &'a str,
    /// Sorted.
    sensitive: &'a [Box<str>],
}

impl View<'_> {
    fn flag(&self, f: &Value, used: &mut BTreeSet<String>) -> Value {
        let expanded = expand_shorthand(f);
        let Value::Object(m) = expanded.as_ref().unwrap_or(f) else { return f.clone() };
        let mut out = Vec::with_capacity(m.len());
        for (k, v) in m.iter().filter(|(_, v)| *v != Value::Null) {
            let v = match k.as_str() {
                "users" | "allowed_users" => self.users(v),
                "targets" => map_array(v, |t| self.with(t, &[], |k, v| (k == "users").then(|| self.users(v)))),
                "rules" => map_array(v, |r| {
                    // A rule's rollout plan stays server-side, as the flag's.
                    self.with(r, &["description", "rollout"], |k, v| {
                        (k == "conditions").then(|| self.conditions(v, used))
                    })
                }),
                k if KEPT_FLAG_FIELDS.contains(&k) => v.clone(),
                _ => continue,
            };
            out.push((k.clone(), v));
        }
        Value::Object(out)
    }

    fn segment(&self, s: &Value) -> Value {
        let mut none = BTreeSet::new();
        self.with(s, &["description"], |k, v| match k {
            "users" => Some(self.users(v)),
            "conditions" => Some(self.conditions(v, &mut none)),
            _ => None,
        })
    }

    /// The object `v` without the members `drop`, each member replaced by
    /// what `rewrite` gives for it (unchanged on `None`).
    fn with(&self, v: &Value, drop: &[&str], mut rewrite: impl FnMut(&str, &Value) -> Option<Value>) -> Value {
        let Value::Object(m) = v else { return v.clone() };
        let kept = m.iter().filter(|(k, _)| !drop.contains(&k.as_str()));
        Value::Object(kept.map(|(k, v)| (k.clone(), rewrite(k, v).unwrap_or_else(|| v.clone()))).collect())
    }

    /// A user list, hashed (a hashed one stays as it is).
    fn users(&self, v: &Value) -> Value {
        match v {
            Value::Array(ids) => hashed(ids.iter().filter_map(scalar_str).map(|id| hash::user(self.salt, &id))),
            other => other.clone(),
        }
    }

    fn conditions(&self, v: &Value, used: &mut BTreeSet<String>) -> Value {
        map_array(v, |c| self.condition(c, used))
    }

    /// A condition, its values hashed when they must be; the segments it
    /// names go to `used`.
    fn condition(&self, c: &Value, used: &mut BTreeSet<String>) -> Value {
        let op = c.get("op").and_then(Value::as_str).unwrap_or("");
        let attribute = c.get("attribute").and_then(Value::as_str).unwrap_or("");
        let sensitive = attribute == "user_id" || self.sensitive.binary_search_by(|a| (**a).cmp(attribute)).is_ok();
        match op {
            "in_segment" | "not_in_segment" => {
                let named = c.get("value").into_iter().chain(match c.get("values") {
                    Some(Value::Array(items)) => &items[..],
                    _ => &[],
                });
                used.extend(named.filter_map(Value::as_str).map(str::to_string));
                c.clone()
            }
            "in" | "not_in" | "eq" | "neq" if sensitive => {
                let values: Vec<&Value> = match (c.get("values"), c.get("value")) {
                    (Some(Value::Array(items)), _) => items.iter().collect(),
                    (None, Some(v)) => vec![v],
                    _ => return c.clone(), // already hashed
                };
                let op = if matches!(op, "in" | "eq") { "in" } else { "not_in" };
                Value::Object(vec![
                    ("attribute".to_string(), Value::String(attribute.to_string())),
                    ("op".to_string(), Value::String(op.to_string())),
                    ("values".to_string(), hashed(values.into_iter().filter_map(|v| hash::equality(self.salt, v)))),
                ])
            }
            _ => c.clone(),
        }
    }
}

fn map_array(v: &Value, mut f: impl FnMut(&Value) -> Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(&mut f).collect()),
        other => other.clone(),
    }
}

/// `{"sha256": [...]}`, sorted and deduplicated: the list's order is not
/// kept (it never mattered) so it tells nothing either.
fn hashed(digests: impl Iterator<Item = Hash>) -> Value {
    let set = Hashes::new(digests.map(|d| hash::hex(&d).into()).collect());
    let hex = set.hex().iter().map(|h| Value::String(h.to_string())).collect();
    Value::Object(vec![("sha256".to_string(), Value::Array(hex))])
}

#[cfg(test)]
mod field_tests {
    use super::KEPT_FLAG_FIELDS;
    use crate::ruleset::compile::flag::FLAG_FIELDS;

    /// The fields the view rewrites (user lists and rules, hashed) and
    /// the metadata it drops on purpose (a rollout plan holds its webhook
    /// URL, and evaluation does not read it).
    const REWRITTEN: &[&str] = &["users", "allowed_users", "targets", "rules"];
    const DROPPED: &[&str] = &["owner", "description", "created", "expires", "tags", "client", "rollout"];

    /// A field the compiler learns must be placed here too: kept, rewritten
    /// or dropped on purpose. Otherwise the view would silently drop a field
    /// evaluation reads, and browsers would answer differently.
    #[test]
    fn every_flag_field_has_a_fate() {
        for f in FLAG_FIELDS {
            let fates = [KEPT_FLAG_FIELDS.contains(f), REWRITTEN.contains(f), DROPPED.contains(f)];
            assert_eq!(fates.iter().filter(|x| **x).count(), 1, "flag field {f:?}: kept, rewritten or dropped?");
        }
        for f in KEPT_FLAG_FIELDS.iter().chain(REWRITTEN).chain(DROPPED) {
            assert!(FLAG_FIELDS.contains(f), "{f:?} is not a flag field");
        }
    }
}
