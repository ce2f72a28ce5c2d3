//! Loading: validates a ruleset document and compiles it into a
//! [`Ruleset`]. Every problem is collected with its JSON path; a document
//! with any problem is rejected whole (it never half-loads).
//!
//! This file owns the entry point ([`compile`]), the problem collector
//! ([`Checker`]: reads fields, strings, numbers, lists and times, reporting
//! what is wrong with each) and the JSON paths problems are reported at
//! ([`Path`]). What each part of a document compiles to lives beside it:
//! `document` (the top level), `segment`, `flag` (its variants, the design
//! notes' shorthands, user lists, rules and rollouts), `prerequisite`,
//! `condition` (operators), `schedule`, `experiment`, `rollout`, `routes`
//! and `upstream`.

mod condition;
mod document;
mod experiment;
pub(crate) mod flag;
mod prerequisite;
mod rollout;
mod routes;
mod schedule;
mod segment;
mod upstream;

pub use document::SCHEMA_VERSION;
pub(crate) use flag::expand_shorthand;

use super::model::{StrSet, Users, NO_SLOT};
use super::Ruleset;
use crate::context::number_str;
use crate::error::{msg, uint, LoadError, Problem};
use crate::hash::{is_digest, Hashes};
use crate::limits::{MAX_LIST, MAX_NAME_LEN, MAX_STRING_LEN};
use crate::time::{parse_rfc3339, Millis};
use crate::value::Value;
use std::collections::HashMap;

/// Loads a ruleset document. Problems are reported in document order,
/// section by section, as the steps below run.
pub(crate) fn compile(doc: &Value) -> Result<Ruleset, LoadError> {
    let mut c = Checker { problems: Vec::new(), hash_salt: false };
    let Some(doc) = document::read(&mut c, doc) else {
        return Err(LoadError { problems: c.problems });
    };
    c.hash_salt = doc.hash_salt.is_some();
    let mut names = Names {
        flags: name_index(doc.flags),
        segments: name_index(doc.segments),
        server_only: doc.flags.iter().map(|(_, f)| f.get("client") == Some(&Value::Bool(false))).collect(),
        sensitive: doc.sensitive,
        segment_leaks: Vec::new(),
    };
    let (segments, leaks) = segment::segments(&mut c, doc.segments, &names);
    names.segment_leaks = leaks;
    let flags = flag::flags(&mut c, doc.flags, &names);
    let routes = match doc.routes {
        None => Vec::new(),
        Some(v) => routes::routes(&mut c, v, &names, &flags),
    };
    if !c.problems.is_empty() {
        return Err(LoadError { problems: c.problems });
    }
    let (schema, version, index) = (doc.schema, doc.version, names.flags);
    Ok(Ruleset {
        schema,
        version,
        flags,
        index,
        segments,
        routes,
        attrs: Vec::new(),
        layout: 0,
        user_slot: NO_SLOT,
        hash_salt: doc.hash_salt.unwrap_or("").into(),
        sensitive: names.sensitive,
    }
    .with_slots())
}

/// What loading needs to know across flags before compiling them: the
/// index of every flag key and segment name, in document order, which
/// flags are server-only (`"client": false`, by flag index), the
/// sensitive attributes (sorted), and, once the segments are compiled,
/// the first condition of each that the client view could not hash
/// (by segment id; see `condition::Scope`).
struct Names {
    flags: HashMap<Box<str>, u32>,
    segments: HashMap<Box<str>, u32>,
    server_only: Vec<bool>,
    sensitive: Vec<Box<str>>,
    segment_leaks: Vec<Option<String>>,
}

impl Names {
    fn is_sensitive(&self, attribute: &str) -> bool {
        self.sensitive.binary_search_by(|a| (**a).cmp(attribute)).is_ok()
    }
}

/// Member names to their positions (for a repeated name, the last wins).
fn name_index(members: &[(String, Value)]) -> HashMap<Box<str>, u32> {
    members.iter().enumerate().map(|(i, (k, _))| (Box::from(k.as_str()), i as u32)).collect()
}

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

/// `field!(values, NAMES, "name")`: the value of field `name`, from the
/// slots [`Checker::fields`] filled in `NAMES` order.
macro_rules! field {
    ($values:ident, $names:ident, $name:literal) => {
        $values[const { $crate::ruleset::compile::field_index($names, $name) }]
    };
}
use field;

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
                    crate::value::write_string(key, out);
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
                crate::value::write_u64(i as u64, out);
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

/// The problem collector: every check reports here, with its path, and
/// loading goes on to find the next problem.
struct Checker {
    problems: Vec<Problem>,
    /// Whether the document has a `hash_salt` (hashed lists need one).
    hash_salt: bool,
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

    /// A user list: ids (strings or numbers) as a set of their string
    /// forms, or a hashed list (`{"sha256": [...]}`).
    fn id_set(&mut self, path: &Path<'_>, v: &Value) -> Users {
        if let Value::Object(_) = v {
            return Users::Hashed(self.hashes(path, v));
        }
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
        Users::Plain(StrSet::new(out))
    }

    /// A hashed list, `{"sha256": ["<64 lowercase hex digits>", ...]}`,
    /// which needs the document's `hash_salt`.
    fn hashes(&mut self, path: &Path<'_>, v: &Value) -> Hashes {
        let mut hv = [None; 1];
        if self.fields(path, v, &["sha256"], "a hashed list", &mut hv).is_none() {
            return Hashes::default();
        }
        let Some(list) = hv[0] else {
            self.err(path, "a hashed list is {\"sha256\": [digests]}");
            return Hashes::default();
        };
        if !self.hash_salt {
            self.err(path, "a hashed list needs the ruleset's hash_salt");
        }
        let lp = path.key("sha256");
        let mut out = Vec::new();
        for (i, item) in self.array(&lp, list, MAX_LIST).unwrap_or(&[]).iter().enumerate() {
            match item.as_str().filter(|s| is_digest(s)) {
                Some(h) => out.push(h.into()),
                None => self.err(&lp.idx(i), "a digest is 64 lowercase hex digits (SHA-256)"),
            }
        }
        Hashes::new(out)
    }
}
