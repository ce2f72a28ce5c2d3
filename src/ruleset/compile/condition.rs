//! Conditions and their operators: `{"attribute", "op", "value" |
//! "values"}` compiled into a [`Condition`] whose value is already in the
//! form evaluation compares (sets, numbers, semvers, times, segment ids).
//! [`Operator`] is the vocabulary: each operator's JSON name and its group
//! (what its value is).

use super::{field, Checker, Names, Path};
use crate::context::number_str;
use crate::error::{msg, uint};
use crate::glob::GlobKind;
use crate::limits::{MAX_CONDITIONS, MAX_LIST, MAX_NAME_LEN, MAX_STRING_LEN};
use crate::ruleset::model::{Condition, NumOp, Op, StrSet, ValueSet, NO_SLOT};
use crate::semver::Semver;
use crate::time::Millis;
use crate::value::Value;

const CONDITION_FIELDS: &[&str] = &["attribute", "op", "value", "values"];

/// A condition operator, as a ruleset names it in `op`. A new one needs
/// its name, its group, its place in [`Operator::ALL`] and its arm in
/// `condition` (the last two are checked: a test, an exhaustive match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    In,
    NotIn,
    Eq,
    Neq,
    Contains,
    StartsWith,
    EndsWith,
    Glob,
    Lt,
    Lte,
    Gt,
    Gte,
    SemverEq,
    SemverLt,
    SemverLte,
    SemverGt,
    SemverGte,
    Before,
    After,
    InSegment,
    NotInSegment,
}

/// What an operator's value is, which says how a condition with it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// `in`, `not_in` (a list in `values`), `eq`, `neq` (one `value`):
    /// strings, numbers or booleans, matched by string and numeric value.
    Equality,
    /// One string: `contains`, `starts_with`, `ends_with`, `glob`.
    Text,
    /// One number: `lt`, `lte`, `gt`, `gte`.
    Number,
    /// One semantic version: `semver_eq` ... `semver_gte`.
    Semver,
    /// One time (RFC 3339 or epoch ms): `before`, `after`.
    Time,
    /// Segment names, in `value` or `values`, and no attribute:
    /// `in_segment`, `not_in_segment`.
    Segment,
}

impl Operator {
    /// Every operator, grouped as in the ruleset format's documentation
    /// (and in this order when a hint is looked for).
    pub(crate) const ALL: [Operator; 21] = [
        Operator::In,
        Operator::NotIn,
        Operator::Eq,
        Operator::Neq,
        Operator::Contains,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::Glob,
        Operator::Lt,
        Operator::Lte,
        Operator::Gt,
        Operator::Gte,
        Operator::SemverEq,
        Operator::SemverLt,
        Operator::SemverLte,
        Operator::SemverGt,
        Operator::SemverGte,
        Operator::Before,
        Operator::After,
        Operator::InSegment,
        Operator::NotInSegment,
    ];

    /// Its name in a ruleset's `op` field.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::Eq => "eq",
            Operator::Neq => "neq",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts_with",
            Operator::EndsWith => "ends_with",
            Operator::Glob => "glob",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::SemverEq => "semver_eq",
            Operator::SemverLt => "semver_lt",
            Operator::SemverLte => "semver_lte",
            Operator::SemverGt => "semver_gt",
            Operator::SemverGte => "semver_gte",
            Operator::Before => "before",
            Operator::After => "after",
            Operator::InSegment => "in_segment",
            Operator::NotInSegment => "not_in_segment",
        }
    }

    /// The operator named `name` (exactly: names are case-sensitive).
    pub(crate) fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The operator an unknown `name` was probably meant to be: the same
    /// letters ignoring case, `_`, `-` and spaces (`startsWith`, `NOT-IN`).
    pub(crate) fn suggest(name: &str) -> Option<Operator> {
        let squash = |s: &str| s.to_ascii_lowercase().replace(['_', '-', ' '], "");
        let wanted = squash(name);
        Operator::ALL.into_iter().find(|o| squash(o.name()) == wanted)
    }

    /// What its value is.
    pub(crate) fn group(self) -> Group {
        match self {
            Operator::In | Operator::NotIn | Operator::Eq | Operator::Neq => Group::Equality,
            Operator::Contains | Operator::StartsWith | Operator::EndsWith | Operator::Glob => Group::Text,
            Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => Group::Number,
            Operator::SemverEq
            | Operator::SemverLt
            | Operator::SemverLte
            | Operator::SemverGt
            | Operator::SemverGte => Group::Semver,
            Operator::Before | Operator::After => Group::Time,
            Operator::InSegment | Operator::NotInSegment => Group::Segment,
        }
    }
}

/// Where a `conditions` list is, for the checks that depend on it.
pub(super) enum Scope<'a> {
    /// A segment's: segments cannot refer to other segments; the first
    /// condition the client view could not hash (on a sensitive attribute,
    /// with an operator other than `in`, `not_in`, `eq`, `neq`) is
    /// described in `leak`, for the client flags that use the segment.
    Segment { leak: &'a mut Option<String> },
    /// A rule of a server-only flag (`"client": false`).
    ServerFlag,
    /// A rule of a client flag: a condition the client view could not
    /// hash, itself or through a segment (`leaks`, by segment id), is a
    /// problem: the browser could not evaluate the flag without it.
    ClientFlag { leaks: &'a [Option<String>] },
}

/// Compiles a `conditions` list.
pub(super) fn conditions(
    c: &mut Checker,
    path: &Path<'_>,
    v: &Value,
    names: &Names,
    scope: &mut Scope<'_>,
) -> Vec<Condition> {
    let Some(items) = c.array(path, v, MAX_CONDITIONS) else { return Vec::new() };
    items.iter().enumerate().filter_map(|(i, item)| condition(c, &path.idx(i), item, names, scope)).collect()
}

/// One condition. Its operator's group says whether it reads an attribute;
/// each operator then reads its value and becomes its [`Op`] in one
/// exhaustive match.
fn condition(c: &mut Checker, path: &Path<'_>, v: &Value, names: &Names, scope: &mut Scope<'_>) -> Option<Condition> {
    let mut cv = [None; CONDITION_FIELDS.len()];
    c.fields(path, v, CONDITION_FIELDS, "a condition", &mut cv)?;
    let Some(op_v) = field!(cv, CONDITION_FIELDS, "op") else {
        c.err(path, "a condition needs an op");
        return None;
    };
    let name = c.string(&path.key("op"), op_v, MAX_NAME_LEN)?;
    let Some(operator) = Operator::from_name(name) else {
        let hint = Operator::suggest(name).map(|k| msg![" (did you mean \"", k.name(), "\"?)"]).unwrap_or_default();
        c.err(&path.key("op"), msg!["unknown operator \"", name, "\"", hint]);
        return None;
    };
    let attribute: Box<str> = match (field!(cv, CONDITION_FIELDS, "attribute"), operator.group() == Group::Segment) {
        (Some(_), true) => {
            c.err(&path.key("attribute"), msg![name, " takes no attribute (it names segments in value/values)"]);
            return None;
        }
        (None, true) => "".into(),
        (Some(a), false) => c.name(&path.key("attribute"), a, "an attribute")?.into(),
        (None, false) => {
            c.err(path, "a condition needs an attribute");
            return None;
        }
    };
    let hashable = matches!(operator.group(), Group::Equality | Group::Segment);
    if !hashable && names.is_sensitive(&attribute) {
        match scope {
            Scope::Segment { leak } if leak.is_none() => {
                **leak = Some(msg![path.render(), ": ", name, " on \"", attribute, "\""]);
            }
            Scope::ClientFlag { .. } => c.err(
                path,
                msg![
                    "\"",
                    attribute,
                    "\" is sensitive and the client view hashes only in, not_in, eq and neq values, so a client flag \
                     cannot test it with ",
                    name,
                    " (mark the flag \"client\": false)"
                ],
            ),
            _ => {}
        }
    }
    let operand = Operand {
        path,
        op: name,
        value: field!(cv, CONDITION_FIELDS, "value"),
        values: field!(cv, CONDITION_FIELDS, "values"),
    };
    use Operator as O;
    let op = match operator {
        O::In | O::Eq => match operand.value_set(c, operator == O::In)? {
            Equality::Plain(set) => Op::In(set),
            Equality::Hashed(h) => Op::InHashed(h),
        },
        O::NotIn | O::Neq => match operand.value_set(c, operator == O::NotIn)? {
            Equality::Plain(set) => Op::NotIn(set),
            Equality::Hashed(h) => Op::NotInHashed(h),
        },
        O::Contains => Op::Contains(operand.text(c)?),
        O::StartsWith => Op::StartsWith(operand.text(c)?),
        O::EndsWith => Op::EndsWith(operand.text(c)?),
        O::Glob => glob(operand.text(c)?),
        O::Lt => Op::Num(NumOp::Lt, operand.number(c)?),
        O::Lte => Op::Num(NumOp::Lte, operand.number(c)?),
        O::Gt => Op::Num(NumOp::Gt, operand.number(c)?),
        O::Gte => Op::Num(NumOp::Gte, operand.number(c)?),
        O::SemverEq => Op::Semver(NumOp::Eq, operand.version(c)?),
        O::SemverLt => Op::Semver(NumOp::Lt, operand.version(c)?),
        O::SemverLte => Op::Semver(NumOp::Lte, operand.version(c)?),
        O::SemverGt => Op::Semver(NumOp::Gt, operand.version(c)?),
        O::SemverGte => Op::Semver(NumOp::Gte, operand.version(c)?),
        O::Before => Op::Before(operand.time(c)?),
        O::After => Op::After(operand.time(c)?),
        O::InSegment | O::NotInSegment if matches!(scope, Scope::Segment { .. }) => {
            c.err(&path.key("op"), "segments cannot refer to other segments");
            return None;
        }
        O::InSegment => Op::InSegment(operand.segments(c, names)?),
        O::NotInSegment => Op::NotInSegment(operand.segments(c, names)?),
    };
    if let (Scope::ClientFlag { leaks }, Op::InSegment(ids) | Op::NotInSegment(ids)) = (&*scope, &op) {
        for leak in ids.iter().filter_map(|&s| leaks.get(s as usize)?.as_deref()) {
            c.err(
                path,
                msg![
                    "the segment tests a sensitive attribute with an operator the client view cannot hash (",
                    leak,
                    "), so a client flag cannot use it (mark the flag \"client\": false)"
                ],
            );
        }
    }
    Some(Condition { attribute, op, slot: NO_SLOT })
}

/// Most globs are `*@company.com`: they compile to the plain test.
fn glob(pattern: Box<str>) -> Op {
    match crate::glob::classify(&pattern) {
        (GlobKind::Prefix, lit) => Op::StartsWith(lit.into()),
        (GlobKind::Suffix, lit) => Op::EndsWith(lit.into()),
        (GlobKind::Contains, lit) => Op::Contains(lit.into()),
        (GlobKind::Exact | GlobKind::General, _) => Op::Glob(pattern),
    }
}

/// The values of an equality operator.
enum Equality {
    Plain(ValueSet),
    /// A hashed list ([`crate::hash`]).
    Hashed(crate::hash::Hashes),
}

/// A condition's `value` and `values`, read as its operator's group says.
struct Operand<'p, 'v> {
    path: &'p Path<'p>,
    /// The operator's name, for messages.
    op: &'v str,
    value: Option<&'v Value>,
    values: Option<&'v Value>,
}

impl<'v> Operand<'_, 'v> {
    /// The single `value` of an operator that takes one.
    fn one(&self, c: &mut Checker) -> Option<&'v Value> {
        if self.values.is_some() {
            c.err(&self.path.key("values"), msg![self.op, " takes one value; use \"value\""]);
            return None;
        }
        if self.value.is_none() {
            c.err(self.path, msg![self.op, " needs a value"]);
        }
        self.value
    }

    /// A list in `values` (`list`: `in`, `not_in`) or one `value` (`eq`,
    /// `neq`), as a set of string forms and numeric values; or, for a
    /// list, a hashed one (`{"sha256": [...]}`).
    fn value_set(&self, c: &mut Checker, list: bool) -> Option<Equality> {
        if let (true, None, Some(hashed @ Value::Object(_))) = (list, self.value, self.values) {
            return Some(Equality::Hashed(c.hashes(&self.path.key("values"), hashed)));
        }
        self.plain_set(c, list).map(Equality::Plain)
    }

    fn plain_set(&self, c: &mut Checker, list: bool) -> Option<ValueSet> {
        let values_path = self.path.key("values");
        // List entries carry their index in `values` (None: the single `value`).
        let items: Vec<(Option<usize>, &Value)> = if list {
            if self.value.is_some() {
                c.err(&self.path.key("value"), msg![self.op, " takes a list: use \"values\""]);
                return None;
            }
            let Some(vs) = self.values else {
                c.err(self.path, msg![self.op, " needs values (a list)"]);
                return None;
            };
            c.array(&values_path, vs, MAX_LIST)?.iter().enumerate().map(|(i, v)| (Some(i), v)).collect()
        } else {
            vec![(None, self.one(c)?)]
        };
        let item_path = |ix: Option<usize>| match ix {
            Some(i) => values_path.idx(i).render(),
            None => self.path.key("value").render(),
        };
        let mut set = ValueSet::default();
        let mut strings = Vec::with_capacity(items.len());
        for (ix, item) in items {
            match item {
                Value::String(s) if s.len() <= MAX_STRING_LEN => {
                    if let Some(n) = crate::value::parse_number(s.trim()) {
                        set.numbers.push(n);
                    }
                    strings.push(s.as_str().into());
                }
                Value::String(s) => c.err_at(
                    item_path(ix),
                    msg!["string of ", uint(s.len()), " bytes is longer than the limit of ", uint(MAX_STRING_LEN)],
                ),
                Value::Number(n) => {
                    set.numbers.push(*n);
                    strings.push(number_str(*n).into());
                }
                Value::Bool(b) => strings.push(if *b { "true" } else { "false" }.into()),
                other => c.err_at(item_path(ix), msg!["expected a string, number or boolean, not ", other.type_name()]),
            }
        }
        set.strings = StrSet::new(strings);
        Some(set)
    }

    fn text(&self, c: &mut Checker) -> Option<Box<str>> {
        let v = self.one(c)?;
        Some(c.string(&self.path.key("value"), v, MAX_STRING_LEN)?.into())
    }

    fn number(&self, c: &mut Checker) -> Option<f64> {
        let v = self.one(c)?;
        c.number(&self.path.key("value"), v)
    }

    fn version(&self, c: &mut Checker) -> Option<Semver> {
        let v = self.one(c)?;
        let vp = self.path.key("value");
        let s = c.string(&vp, v, MAX_NAME_LEN)?;
        let Some(ver) = Semver::parse(s) else {
            c.err(&vp, msg!["\"", s, "\" is not a semantic version (like 1.4.0 or 2.0.0-beta.1)"]);
            return None;
        };
        Some(ver)
    }

    fn time(&self, c: &mut Checker) -> Option<Millis> {
        let v = self.one(c)?;
        c.time(&self.path.key("value"), v)
    }

    /// Segment names in `value` (one) or `values` (a list), as segment ids.
    fn segments(&self, c: &mut Checker, names: &Names) -> Option<Vec<u32>> {
        let (value_path, values_path) = (self.path.key("value"), self.path.key("values"));
        let list: Vec<(Option<usize>, &Value)> = match (self.value, self.values) {
            (Some(v), None) => vec![(None, v)],
            (None, Some(vs)) => {
                c.array(&values_path, vs, MAX_LIST)?.iter().enumerate().map(|(i, v)| (Some(i), v)).collect()
            }
            _ => {
                c.err(self.path, msg![self.op, " needs value (a segment name) or values (a list of them)"]);
                return None;
            }
        };
        let mut ids = Vec::new();
        for (ix, item) in list {
            let ip = match ix {
                Some(i) => values_path.idx(i),
                None => value_path,
            };
            let Some(name) = c.string(&ip, item, MAX_NAME_LEN) else { continue };
            match names.segments.get(name) {
                Some(&i) => ids.push(i),
                None => c.err(&ip, msg!["unknown segment \"", name, "\""]),
            }
        }
        Some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for op in Operator::ALL {
            assert_eq!(Operator::from_name(op.name()), Some(op), "{}", op.name());
        }
        let mut names: Vec<&str> = Operator::ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Operator::ALL.len(), "names are unique");
    }

    #[test]
    fn all_lists_every_operator_in_declaration_order() {
        for (i, op) in Operator::ALL.into_iter().enumerate() {
            assert_eq!(op as usize, i, "{}", op.name());
        }
        assert_eq!(Operator::NotInSegment as usize + 1, Operator::ALL.len());
    }

    #[test]
    fn unknown_names_get_a_hint_or_none() {
        assert_eq!(Operator::from_name("startsWith"), None);
        assert_eq!(Operator::suggest("startsWith"), Some(Operator::StartsWith));
        assert_eq!(Operator::suggest("NOT-IN"), Some(Operator::NotIn));
        assert_eq!(Operator::suggest("semver gte"), Some(Operator::SemverGte));
        assert_eq!(Operator::suggest("In_Segment"), Some(Operator::InSegment));
        assert_eq!(Operator::suggest("between"), None);
        assert_eq!(Operator::suggest(""), None);
        for op in Operator::ALL {
            assert_eq!(Operator::suggest(&op.name().to_ascii_uppercase()), Some(op));
        }
    }

    #[test]
    fn groups_follow_what_the_value_is() {
        let group = |g: Group| -> Vec<&str> {
            Operator::ALL.into_iter().filter(|o| o.group() == g).map(Operator::name).collect()
        };
        assert_eq!(group(Group::Equality), ["in", "not_in", "eq", "neq"]);
        assert_eq!(group(Group::Text), ["contains", "starts_with", "ends_with", "glob"]);
        assert_eq!(group(Group::Number), ["lt", "lte", "gt", "gte"]);
        assert_eq!(group(Group::Semver), ["semver_eq", "semver_lt", "semver_lte", "semver_gt", "semver_gte"]);
        assert_eq!(group(Group::Time), ["before", "after"]);
        assert_eq!(group(Group::Segment), ["in_segment", "not_in_segment"]);
    }

    #[test]
    fn an_unknown_operator_is_reported_with_its_hint() {
        let problems = |op: &str| {
            let rule =
                format!(r#"{{"conditions": [{{"attribute": "a", "op": "{op}", "value": 1}}], "variant": "on"}}"#);
            let doc = format!(r#"{{"flags": {{"f": {{"rules": [{rule}]}}}}}}"#);
            let err = crate::Ruleset::from_json(&doc).unwrap_err();
            err.problems.into_iter().map(|p| (p.path, p.message)).collect::<Vec<_>>()
        };
        let at = "flags.f.rules[0].conditions[0].op".to_string();
        assert_eq!(problems("LTE"), [(at.clone(), "unknown operator \"LTE\" (did you mean \"lte\"?)".to_string())]);
        assert_eq!(problems("near"), [(at, "unknown operator \"near\"".to_string())]);
    }
}
