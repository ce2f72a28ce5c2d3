//! Loading: validates a ruleset document and compiles it into a
//! [`Ruleset`]. Every problem is collected with its JSON path; a document
//! with any problem is rejected whole (it never half-loads).
//!
//! The seeds' shorthands are read here and expanded into the full form, so
//! evaluation has one code path: `true`/`false`, a bare number (a
//! percentage), a bare list (user ids), and objects with `users`,
//! `percentage`, `enabled` (plus the `DatabaseFeatureFlags` column names
//! `rollout_percentage` and `allowed_users`).

use super::model::*;
use super::{Route, Ruleset};
use crate::context::number_str;
use crate::error::{join, msg, uint, LoadError, Problem};
use crate::glob::GlobKind;
use crate::limits::*;
use crate::semver::Semver;
use crate::sort::NameIndex;
use crate::time::{parse_rfc3339, Millis, DAY_MS};
use crate::value::Value;

/// The only `schema` this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

const TOP_FIELDS: &[&str] = &["$schema", "schema", "version", "description", "flags", "segments", "routes"];
const FLAG_FIELDS: &[&str] = &[
    "type",
    "variants",
    "enabled",
    "default_variant",
    "off_variant",
    "killed",
    "salt",
    "bucket_by",
    "prerequisites",
    "users",
    "allowed_users",
    "targets",
    "rules",
    "percentage",
    "rollout_percentage",
    "schedule",
    "split",
    "rollout_variant",
    "owner",
    "description",
    "created",
    "expires",
    "tags",
];
const RULE_FIELDS: &[&str] = &["id", "description", "conditions", "variant", "percentage", "schedule", "split"];
const CONDITION_FIELDS: &[&str] = &["attribute", "op", "value", "values"];
const SEGMENT_FIELDS: &[&str] = &["description", "users", "conditions"];
const ROUTE_FIELDS: &[&str] = &["id", "path", "flag", "upstreams"];
const TARGET_FIELDS: &[&str] = &["variant", "users"];
const PREREQUISITE_FIELDS: &[&str] = &["flag", "variant", "variants"];
const SPLIT_FIELDS: &[&str] = &["variant", "weight"];
const STEP_FIELDS: &[&str] = &["day", "percentage"];
const SCHEDULE_FIELDS: &[&str] =
    &["type", "start", "steps", "start_percentage", "end_percentage", "duration_hours", "steepness"];

/// The index of `name` in `names`; used in `const` blocks (through
/// [`field!`]), so a misspelt field is a compile error.
const fn field_index(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        let (a, b) = (names[i].as_bytes(), name.as_bytes());
        let mut j = 0;
        while j < a.len() && j < b.len() && a[j] == b[j] {
            j += 1;
        }
        if j == a.len() && j == b.len() {
            return i;
        }
        i += 1;
    }
    panic!("not one of the fields")
}

/// `op!("name")`: the position of an operator in [`OPERATORS`].
macro_rules! op {
    ($name:literal) => {
        const { field_index(OPERATORS, $name) }
    };
}

/// The comparisons of `lt`..`gte` (from index 1) and `semver_eq`..`semver_gte`, in
/// [`OPERATORS`] order.
const NUM_OPS: [NumOp; 5] = [NumOp::Eq, NumOp::Lt, NumOp::Lte, NumOp::Gt, NumOp::Gte];

/// `field!(values, NAMES, "name")`: the value of field `name`, from the
/// slots [`Checker::fields`] filled in `NAMES` order.
macro_rules! field {
    ($values:ident, $names:ident, $name:literal) => {
        $values[const { field_index($names, $name) }]
    };
}
/// Grouped by what they take (equality lists, strings, numbers, versions,
/// times, segments): `condition` reads an operator's group from its
/// position, through [`op!`].
const OPERATORS: &[&str] = &[
    "in",
    "not_in",
    "eq",
    "neq",
    "contains",
    "starts_with",
    "ends_with",
    "glob",
    "lt",
    "lte",
    "gt",
    "gte",
    "semver_eq",
    "semver_lt",
    "semver_lte",
    "semver_gt",
    "semver_gte",
    "before",
    "after",
    "in_segment",
    "not_in_segment",
];

/// A JSON path (`flags.new_search.rules[2].op`), built on the stack as
/// loading descends and rendered to text only when a problem is reported:
/// building every field's path as a string was a third of compile time.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Idx(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    /// A top-level field (`flags`, `segments`, ...).
    const fn top(key: &'a str) -> Path<'a> {
        Path { parent: None, seg: Seg::Key(key) }
    }

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Key(key) }
    }

    fn idx(&'a self, i: usize) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Idx(i) }
    }

    /// `base.key`, or `base["key"]` when the key is not a plain word.
    fn render_into(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.render_into(out);
        }
        match self.seg {
            Seg::Root => {}
            Seg::Key(key) => {
                let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !plain {
                    out.push('[');
                    crate::json::write_string(key, out);
                    out.push(']');
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
            Seg::Idx(i) => {
                out.push('[');
                crate::num::write_u64(i as u64, out);
                out.push(']');
            }
        }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }
}

const FLAGS: Path<'static> = Path::top("flags");
const SEGMENTS: Path<'static> = Path::top("segments");
const ROUTES: Path<'static> = Path::top("routes");

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn err(&mut self, path: &Path<'_>, message: impl Into<String>) {
        self.err_at(path.render(), message);
    }

    /// A problem at a path rendered earlier (kept until a later pass).
    fn err_at(&mut self, path: String, message: impl Into<String>) {
        self.problems.push(Problem { path, message: message.into() });
    }

    /// An object whose fields are all in `names`: each field's value goes
    /// to its slot in `values` (same order as `names`), each other field is
    /// a problem. One pass over the members, so reading a field afterwards
    /// is an index ([`field!`]), not a search.
    fn fields<'v>(
        &mut self,
        path: &Path<'_>,
        v: &'v Value,
        names: &[&str],
        what: &str,
        values: &mut [Option<&'v Value>],
    ) -> Option<&'v [(String, Value)]> {
        match v {
            Value::Object(members) => {
                for (k, v) in members {
                    match names.iter().position(|n| n == k) {
                        Some(i) => values[i] = Some(v),
                        None => self.err(&path.key(k), msg!["unknown field \"", k, "\" in ", what]),
                    }
                }
                Some(members)
            }
            other => {
                self.err(path, msg![what, " must be an object, not ", other.type_name()]);
                None
            }
        }
    }

    fn string<'v>(&mut self, path: &Path<'_>, v: &'v Value, max: usize) -> Option<&'v str> {
        match v {
            Value::String(s) if s.len() > max => {
                self.err(path, msg!["string of ", uint(s.len()), " bytes is longer than the limit of ", uint(max)]);
                None
            }
            Value::String(s) => Some(s),
            other => {
                self.err(path, msg!["expected a string, not ", other.type_name()]);
                None
            }
        }
    }

    fn name<'v>(&mut self, path: &Path<'_>, v: &'v Value, what: &str) -> Option<&'v str> {
        let s = self.string(path, v, MAX_NAME_LEN)?;
        if s.is_empty() {
            self.err(path, msg![what, " must not be empty"]);
            return None;
        }
        Some(s)
    }

    fn bool(&mut self, path: &Path<'_>, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.err(path, msg!["expected true or false, not ", other.type_name()]);
                None
            }
        }
    }

    fn number(&mut self, path: &Path<'_>, v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => Some(*n),
            other => {
                self.err(path, msg!["expected a number, not ", other.type_name()]);
                None
            }
        }
    }

    fn percentage(&mut self, path: &Path<'_>, v: &Value) -> Option<f64> {
        let n = self.number(path, v)?;
        if !(0.0..=100.0).contains(&n) {
            self.err(path, msg!["percentage ", number_str(n), " is outside 0..100"]);
            return None;
        }
        Some(n)
    }

    fn array<'v>(&mut self, path: &Path<'_>, v: &'v Value, max: usize) -> Option<&'v [Value]> {
        match v {
            Value::Array(items) if items.len() > max => {
                self.err(path, msg!["list of ", uint(items.len()), " entries is longer than the limit of ", uint(max)]);
                None
            }
            Value::Array(items) => Some(items),
            other => {
                self.err(path, msg!["expected a list, not ", other.type_name()]);
                None
            }
        }
    }

    fn time(&mut self, path: &Path<'_>, v: &Value) -> Option<Millis> {
        match v {
            Value::String(s) => match parse_rfc3339(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(path, e);
                    None
                }
            },
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            other => {
                self.err(path, msg!["expected an RFC 3339 timestamp or epoch milliseconds, not ", other.type_name()]);
                None
            }
        }
    }

    /// A list of ids (strings or numbers) as a set of their string forms.
    fn id_set(&mut self, path: &Path<'_>, v: &Value) -> StrSet {
        let mut out = Vec::new();
        for (i, item) in self.array(path, v, MAX_LIST).unwrap_or(&[]).iter().enumerate() {
            match item {
                Value::String(s) if s.len() <= MAX_STRING_LEN => out.push(s.clone().into_boxed_str()),
                Value::String(s) => self.err(
                    &path.idx(i),
                    msg!["string of ", uint(s.len()), " bytes is longer than the limit of ", uint(MAX_STRING_LEN)],
                ),
                Value::Number(n) => out.push(number_str(*n).into_boxed_str()),
                _ => self.err(&path.idx(i), msg!["a user id must be a string or a number, not ", item.type_name()]),
            }
        }
        StrSet::new(out)
    }
}

/// What loading needs to know across flags before compiling them.
struct Names {
    flags: NameIndex,
    segments: NameIndex,
}

struct PendingPrereq {
    flag: FlagId,
    of: FlagId,
    variants: Vec<(String, String)>, // (variant name, its path)
}

/// Loads a ruleset document.
pub(crate) fn compile(doc: &Value) -> Result<Ruleset, LoadError> {
    let mut c = Checker { problems: Vec::new() };
    let mut top = [None; TOP_FIELDS.len()];
    if c.fields(&Path::ROOT, doc, TOP_FIELDS, "a ruleset", &mut top).is_none() {
        return Err(LoadError { problems: c.problems });
    }

    let schema = match field!(top, TOP_FIELDS, "schema") {
        None => SCHEMA_VERSION,
        Some(Value::Number(n)) if *n == f64::from(SCHEMA_VERSION) => SCHEMA_VERSION,
        Some(v) => {
            c.err(
                &Path::top("schema"),
                msg!["unsupported schema ", v.to_json(), "; this engine reads schema ", uint(SCHEMA_VERSION as usize)],
            );
            SCHEMA_VERSION
        }
    };
    let version = match field!(top, TOP_FIELDS, "version") {
        None => 0,
        Some(Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0 => *n as u64,
        Some(v) => {
            c.err(&Path::top("version"), msg!["version must be a whole number from 0 to 2^53-1, not ", v.to_json()]);
            0
        }
    };
    if let Some(d) = field!(top, TOP_FIELDS, "description") {
        c.string(&Path::top("description"), d, MAX_STRING_LEN);
    }

    let empty = Vec::new();
    let flag_members: &[(String, Value)] = match field!(top, TOP_FIELDS, "flags") {
        None => {
            c.err(&Path::top("flags"), "a ruleset needs a \"flags\" object (it may be empty)");
            &empty
        }
        Some(Value::Object(m)) => m,
        Some(v) => {
            c.err(&Path::top("flags"), msg!["flags must be an object of flag key to flag, not ", v.type_name()]);
            &empty
        }
    };
    if flag_members.len() > MAX_FLAGS {
        c.err(
            &Path::top("flags"),
            msg![uint(flag_members.len()), " flags is more than the limit of ", uint(MAX_FLAGS)],
        );
        return Err(LoadError { problems: c.problems });
    }
    let segment_members: &[(String, Value)] = match field!(top, TOP_FIELDS, "segments") {
        None => &empty,
        Some(Value::Object(m)) if m.len() <= MAX_SEGMENTS => m,
        Some(Value::Object(m)) => {
            c.err(
                &Path::top("segments"),
                msg![uint(m.len()), " segments is more than the limit of ", uint(MAX_SEGMENTS)],
            );
            &empty
        }
        Some(v) => {
            c.err(&Path::top("segments"), msg!["segments must be an object of name to segment, not ", v.type_name()]);
            &empty
        }
    };

    for (k, _) in flag_members {
        check_flag_key(&mut c, k);
    }
    for (k, _) in segment_members {
        if k.is_empty() || k.len() > MAX_NAME_LEN {
            c.err(&SEGMENTS.key(k), msg!["a segment name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]);
        }
    }
    let names = Names {
        flags: NameIndex::new(flag_members.iter().map(|(k, _)| k.as_str())),
        segments: NameIndex::new(segment_members.iter().map(|(k, _)| k.as_str())),
    };

    let mut segments = Vec::with_capacity(segment_members.len());
    for (name, v) in segment_members {
        let path = SEGMENTS.key(name);
        let mut seg = Segment { users: StrSet::default(), conditions: Vec::new() };
        let mut sf = [None; SEGMENT_FIELDS.len()];
        if let Some(m) = c.fields(&path, v, SEGMENT_FIELDS, "a segment", &mut sf) {
            // In member order, as the problems are reported.
            for (k, v) in m {
                let p = path.key(k);
                match k.as_str() {
                    "users" => seg.users = c.id_set(&p, v),
                    "conditions" => seg.conditions = conditions(&mut c, &p, v, &names, false),
                    "description" => {
                        c.string(&p, v, MAX_STRING_LEN);
                    }
                    _ => {}
                }
            }
        }
        segments.push(seg);
    }

    let mut flags = Vec::with_capacity(flag_members.len());
    let mut pending = Vec::new();
    for (i, (key, v)) in flag_members.iter().enumerate() {
        let path = FLAGS.key(key);
        flags.push(flag(&mut c, &path, key, FlagId(i as u32), v, &names, &mut pending));
    }
    resolve_prerequisites(&mut c, &mut flags, pending, flag_members);

    let routes = match field!(top, TOP_FIELDS, "routes") {
        None => Vec::new(),
        Some(v) => routes(&mut c, v, &names, &flags),
    };

    if !c.problems.is_empty() {
        return Err(LoadError { problems: c.problems });
    }
    let index = names.flags;
    Ok(Ruleset { schema, version, flags, index, segments, routes, attrs: Vec::new(), layout: 0, user_slot: NO_SLOT }
        .with_slots())
}

fn check_flag_key(c: &mut Checker, k: &str) {
    let ok_chars = k.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if k.is_empty() || k.len() > MAX_NAME_LEN || !ok_chars {
        c.err(
            &FLAGS.key(k),
            msg![
                "a flag key must be 1 to ",
                uint(MAX_NAME_LEN),
                " characters of A-Z a-z 0-9 _ - . : (it appears in URLs and headers)"
            ],
        );
    }
}

/// Expands the seeds' non-object shorthands into the object form.
pub(crate) fn expand_shorthand(v: &Value) -> Option<Value> {
    match v {
        Value::Bool(b) => Some(Value::Object(vec![("enabled".into(), Value::Bool(*b))])),
        Value::Number(_) => Some(Value::Object(vec![("percentage".into(), v.clone())])),
        Value::Array(_) => Some(Value::Object(vec![("users".into(), v.clone())])),
        _ => None,
    }
}

#[allow(clippy::too_many_lines)]
fn flag(
    c: &mut Checker,
    path: &Path<'_>,
    key: &str,
    id: FlagId,
    v: &Value,
    names: &Names,
    pending: &mut Vec<PendingPrereq>,
) -> Flag {
    let expanded = expand_shorthand(v);
    let v = expanded.as_ref().unwrap_or(v);
    let mut f = Flag {
        key: key.into(),
        kind: FlagType::Boolean,
        variants: Vec::new(),
        off: 0,
        default: 0,
        killed: false,
        salt: key.into(),
        bucket_by: "user_id".into(),
        bucket_slot: NO_SLOT,
        prerequisites: Vec::new(),
        targets: Vec::new(),
        rules: Vec::new(),
        fallthrough: None,
        metadata: Metadata::default(),
    };
    let mut fv = [None; FLAG_FIELDS.len()];
    let what = "a flag (or true/false, a percentage, a list of user ids)";
    let Some(m) = c.fields(path, v, FLAG_FIELDS, what, &mut fv) else {
        f.variants = bool_variants();
        return f;
    };
    // `null` means "not set", as in the seeds' nullable database columns
    // (`rollout_percentage = NULL`).
    for v in &mut fv {
        if *v == Some(&Value::Null) {
            *v = None;
        }
    }
    macro_rules! get {
        ($name:literal) => {
            field!(fv, FLAG_FIELDS, $name)
        };
    }

    // Variants and their type come first: everything else names them.
    f.variants = match get!("variants") {
        None => bool_variants(),
        Some(vs) => variants(c, &path.key("variants"), vs),
    };
    let inferred = infer_type(&f.variants);
    f.kind = match get!("type") {
        None => inferred,
        Some(t) => {
            let declared = match t.as_str() {
                Some("boolean") => Some(FlagType::Boolean),
                Some("string") => Some(FlagType::String),
                Some("number") => Some(FlagType::Number),
                Some("json") => Some(FlagType::Json),
                _ => {
                    c.err(
                        &path.key("type"),
                        msg!["type must be \"boolean\", \"string\", \"number\" or \"json\", not ", t.to_json()],
                    );
                    None
                }
            };
            if let Some(d) = declared {
                for var in &f.variants {
                    if !d.accepts(&var.value) || var.value == Value::Null && d != FlagType::Json {
                        c.err(
                            &path.key("variants").key(&var.name),
                            msg!["value ", var.value.to_json(), " is not of the flag's type ", d.as_str()],
                        );
                    }
                }
            }
            declared.unwrap_or(inferred)
        }
    };
    let vidx = |name: &str| f.variants.iter().position(|v| &*v.name == name).map(|i| i as u32);
    let variant_ref = |c: &mut Checker, path: &Path<'_>, v: &Value| -> Option<u32> {
        let name = c.string(path, v, MAX_NAME_LEN)?;
        let found = vidx(name);
        if found.is_none() {
            let known: Vec<&str> = f.variants.iter().map(|v| &*v.name).collect();
            c.err(path, msg!["unknown variant \"", name, "\" (the flag's variants: ", join(&known, ", "), ")"]);
        }
        found
    };

    // The default (nothing else decides) and off (killed, prerequisite failed) variants.
    let enabled = get!("enabled").and_then(|v| c.bool(&path.key("enabled"), v));
    let default = match (get!("default_variant"), enabled) {
        (Some(_), Some(_)) => {
            c.err(&path.key("enabled"), "set either enabled (for on/off flags) or default_variant, not both");
            None
        }
        (Some(dv), None) => variant_ref(c, &path.key("default_variant"), dv),
        (None, Some(on)) => {
            let name = if on { "on" } else { "off" };
            let found = vidx(name);
            if found.is_none() {
                c.err(&path.key("enabled"), msg!["enabled needs a variant named \"", name, "\"; use default_variant"]);
            }
            found
        }
        (None, None) => {
            let found = vidx("off");
            if found.is_none() && !f.variants.is_empty() {
                c.err(path, "default_variant is required (the flag has no variant named \"off\")");
            }
            found
        }
    };
    f.default = default.unwrap_or(0);
    f.off = match get!("off_variant") {
        Some(ov) => variant_ref(c, &path.key("off_variant"), ov).unwrap_or(0),
        None => vidx("off").unwrap_or(f.default),
    };
    if let Some(k) = get!("killed") {
        f.killed = c.bool(&path.key("killed"), k).unwrap_or(false);
    }
    if let Some(s) = get!("salt") {
        f.salt = c.string(&path.key("salt"), s, MAX_STRING_LEN).unwrap_or(key).into();
    }
    if let Some(b) = get!("bucket_by") {
        f.bucket_by = c.name(&path.key("bucket_by"), b, "bucket_by").unwrap_or("user_id").into();
    }

    // User lists.
    let user_fields = [("users", get!("users")), ("allowed_users", get!("allowed_users"))];
    let user_fields: Vec<(&str, &Value)> = user_fields.into_iter().filter_map(|(n, v)| Some((n, v?))).collect();
    if user_fields.len() > 1 {
        c.err(
            &path.key(user_fields[1].0),
            msg![user_fields[0].0, " and ", user_fields[1].0, " are the same list; keep one"],
        );
    }
    if let Some(&(name, list)) = user_fields.first() {
        let users = c.id_set(&path.key(name), list);
        match vidx("on") {
            Some(on) => f.targets.push(Target { users, variant: on, id: "users".into() }),
            None => c.err(
                &path.key(name),
                msg![name, " serve the variant \"on\", which this flag does not have; use targets"],
            ),
        }
    }
    if let Some(ts) = get!("targets") {
        let tp = path.key("targets");
        for (i, t) in c.array(&tp, ts, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
            let tpi = tp.idx(i);
            let mut tv = [None; TARGET_FIELDS.len()];
            if c.fields(&tpi, t, TARGET_FIELDS, "a target", &mut tv).is_none() {
                continue;
            }
            let variant = match field!(tv, TARGET_FIELDS, "variant") {
                Some(v) => variant_ref(c, &tpi.key("variant"), v),
                None => {
                    c.err(&tpi, "a target needs a variant");
                    None
                }
            };
            let users = match field!(tv, TARGET_FIELDS, "users") {
                Some(u) => c.id_set(&tpi.key("users"), u),
                None => {
                    c.err(&tpi, "a target needs users");
                    StrSet::default()
                }
            };
            if let Some(variant) = variant {
                f.targets.push(Target { users, variant, id: msg!["targets[", uint(i), "]"].into() });
            }
        }
    }

    // Prerequisites: resolved once every flag's variants are known.
    if let Some(ps) = get!("prerequisites") {
        let pp = path.key("prerequisites");
        for (i, pr) in c.array(&pp, ps, MAX_LIST).unwrap_or(&[]).iter().enumerate() {
            let ppi = pp.idx(i);
            let mut pv = [None; PREREQUISITE_FIELDS.len()];
            if c.fields(&ppi, pr, PREREQUISITE_FIELDS, "a prerequisite", &mut pv).is_none() {
                continue;
            }
            let Some(of_key) =
                field!(pv, PREREQUISITE_FIELDS, "flag").and_then(|v| c.string(&ppi.key("flag"), v, MAX_NAME_LEN))
            else {
                if field!(pv, PREREQUISITE_FIELDS, "flag").is_none() {
                    c.err(&ppi, "a prerequisite needs a flag");
                }
                continue;
            };
            let Some(of) = names.flags.get(of_key).map(FlagId) else {
                c.err(&ppi.key("flag"), msg!["unknown flag \"", of_key, "\""]);
                continue;
            };
            if of == id {
                c.err(&ppi.key("flag"), "a flag cannot be its own prerequisite");
                continue;
            }
            let mut wanted = Vec::new();
            match (field!(pv, PREREQUISITE_FIELDS, "variant"), field!(pv, PREREQUISITE_FIELDS, "variants")) {
                (Some(_), Some(_)) => c.err(&ppi, "set variant or variants, not both"),
                (Some(v), None) => {
                    if let Some(s) = c.string(&ppi.key("variant"), v, MAX_NAME_LEN) {
                        wanted.push((s.to_string(), ppi.key("variant").render()));
                    }
                }
                (None, Some(vs)) => {
                    let vp = ppi.key("variants");
                    for (j, v) in c.array(&vp, vs, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
                        if let Some(s) = c.string(&vp.idx(j), v, MAX_NAME_LEN) {
                            wanted.push((s.to_string(), vp.idx(j).render()));
                        }
                    }
                }
                (None, None) => wanted.push(("on".to_string(), ppi.render())),
            }
            pending.push(PendingPrereq { flag: id, of, variants: wanted });
        }
    }

    // Rules.
    if let Some(rs) = get!("rules") {
        let rp = path.key("rules");
        let mut seen_ids: Vec<(String, usize)> = Vec::new();
        for (i, r) in c.array(&rp, rs, MAX_RULES).unwrap_or(&[]).iter().enumerate() {
            let rpi = rp.idx(i);
            let mut rv = [None; RULE_FIELDS.len()];
            if c.fields(&rpi, r, RULE_FIELDS, "a rule", &mut rv).is_none() {
                continue;
            }
            let rule_id = match field!(rv, RULE_FIELDS, "id") {
                Some(v) => c.name(&rpi.key("id"), v, "a rule id").unwrap_or("").to_string(),
                None => msg!["rules[", uint(i), "]"],
            };
            // Rule lists are short (at most MAX_RULES): a scan is enough.
            match seen_ids.iter().find(|(id, _)| *id == rule_id) {
                Some((_, prev)) => {
                    c.err(&rpi.key("id"), msg!["rule id \"", rule_id, "\" is already used by rules[", uint(*prev), "]"])
                }
                None => seen_ids.push((rule_id.clone(), i)),
            }
            if let Some(d) = field!(rv, RULE_FIELDS, "description") {
                c.string(&rpi.key("description"), d, MAX_STRING_LEN);
            }
            let conds = match field!(rv, RULE_FIELDS, "conditions") {
                Some(cs) => conditions(c, &rpi.key("conditions"), cs, names, true),
                None => Vec::new(),
            };
            let serve = serve(
                c,
                &rpi,
                field!(rv, RULE_FIELDS, "variant"),
                field!(rv, RULE_FIELDS, "percentage"),
                field!(rv, RULE_FIELDS, "schedule"),
                field!(rv, RULE_FIELDS, "split"),
                &variant_ref,
            );
            match serve {
                Some(serve) => f.rules.push(Rule { id: rule_id.into(), conditions: conds, serve }),
                None if field!(rv, RULE_FIELDS, "variant").is_none()
                    && field!(rv, RULE_FIELDS, "percentage").is_none()
                    && field!(rv, RULE_FIELDS, "schedule").is_none()
                    && field!(rv, RULE_FIELDS, "split").is_none() =>
                {
                    c.err(&rpi, "a rule must serve something: variant, percentage, schedule or split")
                }
                None => {}
            }
        }
    }

    // The flag-level rollout or split (after rules, before the default).
    let pct_fields = [("percentage", get!("percentage")), ("rollout_percentage", get!("rollout_percentage"))];
    let pct_fields: Vec<(&str, &Value)> = pct_fields.into_iter().filter_map(|(n, v)| Some((n, v?))).collect();
    if pct_fields.len() > 1 {
        c.err(
            &path.key(pct_fields[1].0),
            msg![pct_fields[0].0, " and ", pct_fields[1].0, " are the same setting; keep one"],
        );
    }
    let pct = pct_fields.first().copied();
    let rollout_variant = get!("rollout_variant");
    if rollout_variant.is_some() && pct.is_none() && get!("schedule").is_none() {
        c.err(&path.key("rollout_variant"), "rollout_variant needs a percentage or schedule");
    }
    if pct.is_some() || get!("schedule").is_some() || get!("split").is_some() {
        // `serve` reports under the flag's own field names.
        let pct_value = pct.map(|(_, v)| v);
        f.fallthrough = serve_at(
            c,
            path,
            ServeFields {
                variant: rollout_variant,
                variant_name: "rollout_variant",
                percentage: pct_value,
                percentage_name: pct.map_or("percentage", |(n, _)| n),
                schedule: get!("schedule"),
                split: get!("split"),
            },
            &variant_ref,
        );
    }

    // Metadata for cleanup.
    for (k, v) in m.iter().filter(|(_, v)| *v != Value::Null) {
        let kp = path.key(k);
        match k.as_str() {
            "owner" => f.metadata.owner = c.string(&kp, v, MAX_STRING_LEN).map(Into::into),
            "description" => f.metadata.description = c.string(&kp, v, MAX_STRING_LEN).map(Into::into),
            "created" => f.metadata.created = c.time(&kp, v),
            "expires" => f.metadata.expires = c.time(&kp, v),
            "tags" => {
                for (i, t) in c.array(&kp, v, MAX_VARIANTS).unwrap_or(&[]).iter().enumerate() {
                    if let Some(s) = c.string(&kp.idx(i), t, MAX_NAME_LEN) {
                        f.metadata.tags.push(s.into());
                    }
                }
            }
            _ => {}
        }
    }
    f
}

fn bool_variants() -> Vec<Variant> {
    vec![
        Variant { name: "on".into(), value: Value::Bool(true) },
        Variant { name: "off".into(), value: Value::Bool(false) },
    ]
}

fn variants(c: &mut Checker, path: &Path<'_>, v: &Value) -> Vec<Variant> {
    let Value::Object(m) = v else {
        c.err(path, msg!["variants must be an object of name to value, not ", v.type_name()]);
        return bool_variants();
    };
    if m.is_empty() {
        c.err(path, "a flag needs at least one variant");
        return bool_variants();
    }
    if m.len() > MAX_VARIANTS {
        c.err(path, msg![uint(m.len()), " variants is more than the limit of ", uint(MAX_VARIANTS)]);
    }
    m.iter()
        .map(|(name, value)| {
            if name.is_empty() || name.len() > MAX_NAME_LEN {
                c.err(&path.key(name), msg!["a variant name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]);
            }
            Variant { name: name.as_str().into(), value: value.clone() }
        })
        .collect()
}

fn infer_type(vs: &[Variant]) -> FlagType {
    let all = |f: fn(&Value) -> bool| vs.iter().all(|v| f(&v.value));
    if all(|v| matches!(v, Value::Bool(_))) {
        FlagType::Boolean
    } else if all(|v| matches!(v, Value::String(_))) {
        FlagType::String
    } else if all(|v| matches!(v, Value::Number(_))) {
        FlagType::Number
    } else {
        FlagType::Json
    }
}

struct ServeFields<'v> {
    variant: Option<&'v Value>,
    variant_name: &'static str,
    percentage: Option<&'v Value>,
    percentage_name: &'static str,
    schedule: Option<&'v Value>,
    split: Option<&'v Value>,
}

fn serve(
    c: &mut Checker,
    path: &Path<'_>,
    variant: Option<&Value>,
    percentage: Option<&Value>,
    schedule: Option<&Value>,
    split: Option<&Value>,
    variant_ref: &dyn Fn(&mut Checker, &Path<'_>, &Value) -> Option<u32>,
) -> Option<Serve> {
    serve_at(
        c,
        path,
        ServeFields { variant, variant_name: "variant", percentage, percentage_name: "percentage", schedule, split },
        variant_ref,
    )
}

/// One serve: a fixed variant, a rollout (percentage or schedule, with the
/// variant served inside it, `on` by default) or a weighted split.
fn serve_at(
    c: &mut Checker,
    path: &Path<'_>,
    s: ServeFields<'_>,
    variant_ref: &dyn Fn(&mut Checker, &Path<'_>, &Value) -> Option<u32>,
) -> Option<Serve> {
    if let Some(split_v) = s.split {
        for (name, other) in [(s.variant_name, s.variant), (s.percentage_name, s.percentage), ("schedule", s.schedule)]
        {
            if other.is_some() {
                c.err(&path.key(name), msg![name, " cannot be combined with split (a split names its variants)"]);
            }
        }
        return split(c, &path.key("split"), split_v, variant_ref);
    }
    let percentage = match (s.percentage, s.schedule) {
        (Some(_), Some(_)) => {
            c.err(&path.key("schedule"), msg!["set ", s.percentage_name, " or schedule, not both"]);
            return None;
        }
        (Some(pv), None) => Percentage::Fixed(c.percentage(&path.key(s.percentage_name), pv)?),
        (None, Some(sv)) => Percentage::Schedule(schedule(c, &path.key("schedule"), sv)?),
        (None, None) => {
            return s.variant.and_then(|v| variant_ref(c, &path.key(s.variant_name), v)).map(Serve::Variant);
        }
    };
    let variant = match s.variant {
        Some(v) => variant_ref(c, &path.key(s.variant_name), v)?,
        None => variant_ref(c, &path.key(s.variant_name), &Value::String("on".into()))?,
    };
    Some(Serve::Rollout { percentage, variant })
}

fn split(
    c: &mut Checker,
    path: &Path<'_>,
    v: &Value,
    variant_ref: &dyn Fn(&mut Checker, &Path<'_>, &Value) -> Option<u32>,
) -> Option<Serve> {
    let items = c.array(path, v, MAX_VARIANTS)?;
    if items.is_empty() {
        c.err(path, "a split needs at least one variant");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut total = 0.0;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let ip = path.idx(i);
        // {"variant": "a", "weight": 50} or the vectors' ["a", 50].
        let (name, weight, name_path, weight_path) = match item {
            Value::Object(_) => {
                let mut sv = [None; SPLIT_FIELDS.len()];
                if c.fields(&ip, item, SPLIT_FIELDS, "a split entry", &mut sv).is_none() {
                    continue;
                }
                match (field!(sv, SPLIT_FIELDS, "variant"), field!(sv, SPLIT_FIELDS, "weight")) {
                    (Some(n), Some(w)) => (n, w, ip.key("variant"), ip.key("weight")),
                    _ => {
                        c.err(&ip, "a split entry needs variant and weight");
                        ok = false;
                        continue;
                    }
                }
            }
            Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1], ip.idx(0), ip.idx(1)),
            _ => {
                c.err(&ip, "a split entry is {\"variant\": name, \"weight\": percent}");
                ok = false;
                continue;
            }
        };
        let variant = variant_ref(c, &name_path, name);
        let weight = c.percentage(&weight_path, weight);
        match (variant, weight) {
            (Some(vi), Some(w)) => {
                total += w;
                out.push((vi, w));
            }
            _ => ok = false,
        }
    }
    if ok && (total - 100.0).abs() > 0.1 {
        c.err(path, msg!["split weights add up to ", number_str(total), "; they must add up to 100"]);
        return None;
    }
    ok.then_some(Serve::Split(out))
}

fn schedule(c: &mut Checker, path: &Path<'_>, v: &Value) -> Option<Schedule> {
    let mut sv = [None; SCHEDULE_FIELDS.len()];
    let m = c.fields(path, v, SCHEDULE_FIELDS, "a schedule", &mut sv)?;
    let kind = match field!(sv, SCHEDULE_FIELDS, "type") {
        None if field!(sv, SCHEDULE_FIELDS, "steps").is_some() => "steps",
        None => {
            c.err(path, "a schedule needs a type: \"steps\", \"linear\" or \"s_curve\"");
            return None;
        }
        Some(t) => match t.as_str() {
            Some(k @ ("steps" | "linear" | "s_curve")) => k,
            _ => {
                c.err(
                    &path.key("type"),
                    msg!["unknown schedule type ", t.to_json(), ": use \"steps\", \"linear\" or \"s_curve\""],
                );
                return None;
            }
        },
    };
    let Some(start_v) = field!(sv, SCHEDULE_FIELDS, "start") else {
        c.err(path, "a schedule needs a start time");
        return None;
    };
    let start = c.time(&path.key("start"), start_v)?;
    let allowed: &[&str] = if kind == "steps" {
        &["type", "start", "steps"]
    } else if kind == "linear" {
        &["type", "start", "start_percentage", "end_percentage", "duration_hours"]
    } else {
        &["type", "start", "start_percentage", "end_percentage", "duration_hours", "steepness"]
    };
    for (k, _) in m {
        if !allowed.contains(&k.as_str()) {
            c.err(&path.key(k), msg![k, " does not apply to a ", kind, " schedule"]);
        }
    }
    if kind == "steps" {
        let Some(sv) = field!(sv, SCHEDULE_FIELDS, "steps") else {
            c.err(path, "a steps schedule needs steps: [[day, percentage], ...]");
            return None;
        };
        let sp = path.key("steps");
        let items = c.array(&sp, sv, MAX_LIST)?;
        if items.is_empty() {
            c.err(&sp, "a steps schedule needs at least one step");
            return None;
        }
        let mut steps = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ip = sp.idx(i);
            // The seed's (day_offset, percentage) tuples, or {"day", "percentage"}.
            let (day, pct, dp, pp) = match item {
                Value::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1], ip.idx(0), ip.idx(1)),
                Value::Object(_) => {
                    let mut dv = [None; STEP_FIELDS.len()];
                    if c.fields(&ip, item, STEP_FIELDS, "a step", &mut dv).is_none() {
                        continue;
                    }
                    match (field!(dv, STEP_FIELDS, "day"), field!(dv, STEP_FIELDS, "percentage")) {
                        (Some(d), Some(pv)) => (d, pv, ip.key("day"), ip.key("percentage")),
                        _ => {
                            c.err(&ip, "a step needs day and percentage");
                            continue;
                        }
                    }
                }
                _ => {
                    c.err(&ip, "a step is [day, percentage]");
                    continue;
                }
            };
            let day = c.number(&dp, day);
            if let Some(d) = day.filter(|d| !(0.0..=36_500.0).contains(d)) {
                c.err(&dp, msg!["day ", number_str(d), " is outside 0..36500"]);
                continue;
            }
            if let (Some(d), Some(pv)) = (day, c.percentage(&pp, pct)) {
                steps.push(((d * DAY_MS as f64) as i64, pv));
            }
        }
        // As the seed's sorted(schedule): by day, then percentage.
        crate::sort::sort_by(&mut steps, &|a, b| a.0 < b.0 || a.0 == b.0 && a.1 < b.1);
        return Some(Schedule::Steps { start, steps });
    }
    let from = match field!(sv, SCHEDULE_FIELDS, "start_percentage") {
        Some(v) => c.percentage(&path.key("start_percentage"), v)?,
        None if kind == "s_curve" => 1.0,
        None => 0.0,
    };
    let to = match field!(sv, SCHEDULE_FIELDS, "end_percentage") {
        Some(v) => c.percentage(&path.key("end_percentage"), v)?,
        None => 100.0,
    };
    let Some(hours_v) = field!(sv, SCHEDULE_FIELDS, "duration_hours") else {
        c.err(path, msg!["a ", kind, " schedule needs duration_hours"]);
        return None;
    };
    let hours = c.number(&path.key("duration_hours"), hours_v)?;
    if !(hours > 0.0 && hours <= 24.0 * 36_500.0) {
        c.err(&path.key("duration_hours"), "duration_hours must be above 0 and at most 100 years");
        return None;
    }
    let duration = (hours * 3_600_000.0) as i64;
    if kind == "linear" {
        return Some(Schedule::Linear { start, duration, from, to });
    }
    let steepness = match field!(sv, SCHEDULE_FIELDS, "steepness") {
        Some(v) => c.number(&path.key("steepness"), v)?,
        None => 10.0,
    };
    if !(steepness > 0.0 && steepness <= 1000.0) {
        c.err(&path.key("steepness"), "steepness must be above 0 and at most 1000");
        return None;
    }
    Some(Schedule::SCurve { start, duration, from, to, steepness })
}

fn conditions(c: &mut Checker, path: &Path<'_>, v: &Value, names: &Names, segments_allowed: bool) -> Vec<Condition> {
    let Some(items) = c.array(path, v, MAX_CONDITIONS) else { return Vec::new() };
    items.iter().enumerate().filter_map(|(i, item)| condition(c, &path.idx(i), item, names, segments_allowed)).collect()
}

fn condition(c: &mut Checker, path: &Path<'_>, v: &Value, names: &Names, segments_allowed: bool) -> Option<Condition> {
    let mut cv = [None; CONDITION_FIELDS.len()];
    c.fields(path, v, CONDITION_FIELDS, "a condition", &mut cv)?;
    let Some(op_v) = field!(cv, CONDITION_FIELDS, "op") else {
        c.err(path, "a condition needs an op");
        return None;
    };
    let op = c.string(&path.key("op"), op_v, MAX_NAME_LEN)?;
    // The operator's position in OPERATORS says its group (op!).
    let Some(k) = OPERATORS.iter().position(|o| *o == op) else {
        let squash = |s: &str| s.to_ascii_lowercase().replace(['_', '-', ' '], "");
        let hint = OPERATORS
            .iter()
            .find(|known| squash(known) == squash(op))
            .map(|k| msg![" (did you mean \"", k, "\"?)"])
            .unwrap_or_default();
        c.err(&path.key("op"), msg!["unknown operator \"", op, "\"", hint]);
        return None;
    };
    let is_segment_op = k >= op!("in_segment");
    let attribute: Box<str> = match (field!(cv, CONDITION_FIELDS, "attribute"), is_segment_op) {
        (Some(_), true) => {
            c.err(&path.key("attribute"), msg![op, " takes no attribute (it names segments in value/values)"]);
            return None;
        }
        (None, true) => "".into(),
        (Some(a), false) => c.name(&path.key("attribute"), a, "an attribute")?.into(),
        (None, false) => {
            c.err(path, "a condition needs an attribute");
            return None;
        }
    };
    let (value, values) = (field!(cv, CONDITION_FIELDS, "value"), field!(cv, CONDITION_FIELDS, "values"));
    let one = |c: &mut Checker| -> Option<&Value> {
        if values.is_some() {
            c.err(&path.key("values"), msg![op, " takes one value; use \"value\""]);
            return None;
        }
        if value.is_none() {
            c.err(path, msg![op, " needs a value"]);
        }
        value
    };
    // List entries carry their index in `values` (None: the single `value`).
    let (value_path, values_path) = (path.key("value"), path.key("values"));
    let item_path = |ix: Option<usize>| match ix {
        Some(i) => values_path.idx(i).render(),
        None => value_path.render(),
    };
    let op = if k <= op!("neq") {
        let list: Vec<(Option<usize>, &Value)> = if k <= op!("not_in") {
            if value.is_some() {
                c.err(&path.key("value"), msg![op, " takes a list: use \"values\""]);
                return None;
            }
            let Some(vs) = values else {
                c.err(path, msg![op, " needs values (a list)"]);
                return None;
            };
            c.array(&values_path, vs, MAX_LIST)?.iter().enumerate().map(|(i, v)| (Some(i), v)).collect()
        } else {
            vec![(None, one(c)?)]
        };
        let mut set = ValueSet::default();
        let mut strings = Vec::with_capacity(list.len());
        for (ip, item) in list {
            match item {
                Value::String(s) if s.len() <= MAX_STRING_LEN => {
                    if let Some(n) = crate::num::parse_f64(s.trim()) {
                        set.numbers.push(n);
                    }
                    strings.push(s.as_str().into());
                }
                Value::String(s) => c.err_at(
                    item_path(ip),
                    msg!["string of ", uint(s.len()), " bytes is longer than the limit of ", uint(MAX_STRING_LEN)],
                ),
                Value::Number(n) => {
                    set.numbers.push(*n);
                    strings.push(number_str(*n).into());
                }
                Value::Bool(b) => strings.push(if *b { "true" } else { "false" }.into()),
                other => c.err_at(item_path(ip), msg!["expected a string, number or boolean, not ", other.type_name()]),
            }
        }
        set.strings = StrSet::new(strings);
        // in, eq / not_in, neq
        if k % 2 == 0 {
            Op::In(set)
        } else {
            Op::NotIn(set)
        }
    } else if k <= op!("glob") {
        let v = one(c)?;
        let s: Box<str> = c.string(&path.key("value"), v, MAX_STRING_LEN)?.into();
        if k == op!("contains") {
            Op::Contains(s)
        } else if k == op!("starts_with") {
            Op::StartsWith(s)
        } else if k == op!("ends_with") {
            Op::EndsWith(s)
        } else {
            // Most globs are `*@company.com`: compile them to the plain test.
            match crate::glob::classify(&s) {
                (GlobKind::Prefix, lit) => Op::StartsWith(lit.into()),
                (GlobKind::Suffix, lit) => Op::EndsWith(lit.into()),
                (GlobKind::Contains, lit) => Op::Contains(lit.into()),
                (GlobKind::Exact | GlobKind::General, _) => Op::Glob(s),
            }
        }
    } else if k <= op!("gte") {
        let v = one(c)?;
        Op::Num(NUM_OPS[k - op!("lt") + 1], c.number(&path.key("value"), v)?)
    } else if k <= op!("semver_gte") {
        let v = one(c)?;
        let s = c.string(&path.key("value"), v, MAX_NAME_LEN)?;
        let Some(ver) = Semver::parse(s) else {
            c.err(&path.key("value"), msg!["\"", s, "\" is not a semantic version (like 1.4.0 or 2.0.0-beta.1)"]);
            return None;
        };
        Op::Semver(NUM_OPS[k - op!("semver_eq")], ver)
    } else if k <= op!("after") {
        let v = one(c)?;
        let t = c.time(&path.key("value"), v)?;
        if k == op!("before") {
            Op::Before(t)
        } else {
            Op::After(t)
        }
    } else {
        // in_segment / not_in_segment
        if !segments_allowed {
            c.err(&path.key("op"), "segments cannot refer to other segments");
            return None;
        }
        let list: Vec<(Option<usize>, &Value)> = match (value, values) {
            (Some(v), None) => vec![(None, v)],
            (None, Some(vs)) => {
                c.array(&values_path, vs, MAX_LIST)?.iter().enumerate().map(|(i, v)| (Some(i), v)).collect()
            }
            _ => {
                c.err(path, msg![op, " needs value (a segment name) or values (a list of them)"]);
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
                Some(i) => ids.push(i),
                None => c.err(&ip, msg!["unknown segment \"", name, "\""]),
            }
        }
        if k == op!("in_segment") {
            Op::InSegment(ids)
        } else {
            Op::NotInSegment(ids)
        }
    };
    Some(Condition { attribute, op, slot: NO_SLOT })
}

fn resolve_prerequisites(
    c: &mut Checker,
    flags: &mut [Flag],
    pending: Vec<PendingPrereq>,
    members: &[(String, Value)],
) {
    for pr in pending {
        let of = &flags[pr.of.index()];
        let mut variants = Vec::new();
        for (name, path) in &pr.variants {
            match of.variants.iter().position(|v| &*v.name == name) {
                Some(i) => variants.push(i as u32),
                None => c.err_at(
                    path.clone(),
                    msg!["flag \"", members[pr.of.index()].0, "\" has no variant \"", name, "\""],
                ),
            }
        }
        flags[pr.flag.index()].prerequisites.push(Prerequisite { flag: pr.of, variants });
    }
    // Cycles and depth: iterative DFS over the prerequisite graph.
    let n = flags.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut on_stack = vec![false; n];
    for root in 0..n {
        if depth[root].is_some() {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        on_stack[root] = true;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let prereqs = &flags[node].prerequisites;
            if *next < prereqs.len() {
                let child = prereqs[*next].flag.index();
                *next += 1;
                if on_stack[child] {
                    let cycle: Vec<&str> = stack
                        .iter()
                        .map(|(i, _)| &*flags[*i].key)
                        .skip_while(|k| **k != *flags[child].key)
                        .chain(std::iter::once(&*flags[child].key))
                        .collect();
                    c.err(
                        &FLAGS.key(&flags[node].key).key("prerequisites"),
                        msg!["prerequisite cycle: ", join(&cycle, " -> ")],
                    );
                    // Report a cycle once: break its edge from here on.
                    depth[child] = Some(0);
                } else if depth[child].is_none() {
                    on_stack[child] = true;
                    stack.push((child, 0));
                }
            } else {
                let d = prereqs.iter().map(|p| depth[p.flag.index()].unwrap_or(0) + 1).max().unwrap_or(0);
                depth[node] = Some(d);
                on_stack[node] = false;
                stack.pop();
                if d > MAX_PREREQUISITE_DEPTH {
                    c.err(
                        &FLAGS.key(&flags[node].key).key("prerequisites"),
                        msg![
                            "prerequisite chain of depth ",
                            uint(d),
                            " is deeper than the limit of ",
                            uint(MAX_PREREQUISITE_DEPTH)
                        ],
                    );
                    depth[node] = Some(0);
                }
            }
        }
    }
}

fn routes(c: &mut Checker, v: &Value, names: &Names, flags: &[Flag]) -> Vec<Route> {
    let mut out = Vec::new();
    let Some(items) = c.array(&ROUTES, v, MAX_RULES) else { return out };
    for (i, item) in items.iter().enumerate() {
        let path = ROUTES.idx(i);
        let mut rv = [None; ROUTE_FIELDS.len()];
        if c.fields(&path, item, ROUTE_FIELDS, "a route", &mut rv).is_none() {
            continue;
        }
        let id = match field!(rv, ROUTE_FIELDS, "id") {
            Some(v) => c.name(&path.key("id"), v, "a route id").unwrap_or("").to_string(),
            None => msg!["routes[", uint(i), "]"],
        };
        let pattern = match field!(rv, ROUTE_FIELDS, "path") {
            Some(v) => c.string(&path.key("path"), v, MAX_NAME_LEN).map(str::to_string),
            None => {
                c.err(&path, "a route needs a path pattern (like \"/api/orders/*\")");
                None
            }
        };
        if let Some(pat) = &pattern {
            if !pat.starts_with('/') {
                c.err(&path.key("path"), "a route path must start with /");
            }
        }
        let flag = match field!(rv, ROUTE_FIELDS, "flag") {
            Some(v) => c.string(&path.key("flag"), v, MAX_NAME_LEN).and_then(|k| match names.flags.get(k) {
                Some(id) => Some(FlagId(id)),
                None => {
                    c.err(&path.key("flag"), msg!["unknown flag \"", k, "\""]);
                    None
                }
            }),
            None => {
                c.err(&path, "a route needs a flag");
                None
            }
        };
        let Some(up_v) = field!(rv, ROUTE_FIELDS, "upstreams") else {
            c.err(&path, "a route needs upstreams: {variant: origin URL}");
            continue;
        };
        let up_path = path.key("upstreams");
        let Value::Object(ups) = up_v else {
            c.err(&up_path, msg!["upstreams must be an object of variant name to origin URL, not ", up_v.type_name()]);
            continue;
        };
        let (Some(pattern), Some(flag)) = (pattern, flag) else { continue };
        let fl = &flags[flag.index()];
        let mut upstreams: Vec<Option<Box<str>>> = vec![None; fl.variants.len()];
        for (name, url) in ups {
            let up = up_path.key(name);
            let Some(vi) = fl.variants.iter().position(|v| &*v.name == name) else {
                c.err(&up, msg!["flag \"", fl.key, "\" has no variant \"", name, "\""]);
                continue;
            };
            let Some(url) = c.string(&up, url, MAX_NAME_LEN * 8) else { continue };
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(['?', '#']) {
                c.err(&up, msg!["upstream \"", url, "\" must be an http:// or https:// URL without query or fragment"]);
                continue;
            }
            upstreams[vi] = Some(url.trim_end_matches('/').into());
        }
        for (vi, u) in upstreams.iter().enumerate() {
            if u.is_none() {
                c.err(
                    &up_path,
                    msg!["no upstream for variant \"", fl.variants[vi].name, "\": every variant needs one"],
                );
            }
        }
        out.push(Route {
            id: id.into(),
            pattern: pattern.into(),
            flag,
            upstreams: upstreams.into_iter().flatten().collect(),
        });
    }
    out
}
