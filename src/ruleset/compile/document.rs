//! The top level of a ruleset document: its fields, `schema` and
//! `version`, the `flags` and `segments` objects (their kinds, sizes and
//! key syntax), the `sensitive` attributes and the `hash_salt` of hashed
//! lists. What each flag, segment and route compiles to is read by
//! the files beside this one.

use super::{field, Checker, Path, FLAGS, SEGMENTS};
use crate::error::{msg, uint};
use crate::limits::{MAX_FLAGS, MAX_LIST, MAX_NAME_LEN, MAX_SEGMENTS, MAX_STRING_LEN};
use crate::value::Value;

/// The only `schema` this engine reads.
pub const SCHEMA_VERSION: u32 = 1;

const TOP_FIELDS: &[&str] =
    &["$schema", "schema", "version", "description", "flags", "segments", "routes", "sensitive", "hash_salt"];

/// The top level, checked; flags, segments and routes still to compile.
pub(super) struct Document<'v> {
    pub(super) schema: u32,
    pub(super) version: u64,
    /// Flag key to flag, in document order (empty when missing or not an object).
    pub(super) flags: &'v [(String, Value)],
    /// Segment name to segment, in document order.
    pub(super) segments: &'v [(String, Value)],
    pub(super) routes: Option<&'v Value>,
    /// The `sensitive` attribute names, sorted and deduplicated.
    pub(super) sensitive: Vec<Box<str>>,
    pub(super) hash_salt: Option<&'v str>,
}

/// Reads the top level. `None` when nothing more can be checked: the
/// document is not an object, or has more flags than the limit.
pub(super) fn read<'v>(c: &mut Checker, doc: &'v Value) -> Option<Document<'v>> {
    let mut top = [None; TOP_FIELDS.len()];
    c.fields(&Path::ROOT, doc, TOP_FIELDS, "a ruleset", &mut top)?;
    let schema = schema(c, field!(top, TOP_FIELDS, "schema"));
    let version = version(c, field!(top, TOP_FIELDS, "version"));
    if let Some(d) = field!(top, TOP_FIELDS, "description") {
        c.string(&Path::top("description"), d, MAX_STRING_LEN);
    }
    let flags = flags(c, field!(top, TOP_FIELDS, "flags"))?;
    let segments = segments(c, field!(top, TOP_FIELDS, "segments"));
    for (k, _) in flags {
        check_flag_key(c, k);
    }
    for (k, _) in segments {
        if k.is_empty() || k.len() > MAX_NAME_LEN {
            c.err(&SEGMENTS.key(k), msg!["a segment name must be 1 to ", uint(MAX_NAME_LEN), " bytes"]);
        }
    }
    let mut sensitive = Vec::new();
    if let Some(v) = field!(top, TOP_FIELDS, "sensitive") {
        let sp = Path::top("sensitive");
        for (i, a) in c.array(&sp, v, MAX_LIST).unwrap_or(&[]).iter().enumerate() {
            if let Some(name) = c.name(&sp.idx(i), a, "an attribute name") {
                sensitive.push(Box::from(name));
            }
        }
    }
    sensitive.sort_unstable();
    sensitive.dedup();
    let hash_salt =
        field!(top, TOP_FIELDS, "hash_salt").and_then(|v| c.string(&Path::top("hash_salt"), v, MAX_NAME_LEN));
    Some(Document { schema, version, flags, segments, routes: field!(top, TOP_FIELDS, "routes"), sensitive, hash_salt })
}

fn schema(c: &mut Checker, v: Option<&Value>) -> u32 {
    match v {
        None => SCHEMA_VERSION,
        Some(Value::Number(n)) if *n == f64::from(SCHEMA_VERSION) => SCHEMA_VERSION,
        Some(v) => {
            c.err(
                &Path::top("schema"),
                msg!["unsupported schema ", v.to_json(), "; this engine reads schema ", uint(SCHEMA_VERSION as usize)],
            );
            SCHEMA_VERSION
        }
    }
}

fn version(c: &mut Checker, v: Option<&Value>) -> u64 {
    match v {
        None => 0,
        Some(Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0 => *n as u64,
        Some(v) => {
            c.err(&Path::top("version"), msg!["version must be a whole number from 0 to 2^53-1, not ", v.to_json()]);
            0
        }
    }
}

/// The `flags` object's members; `None` past [`MAX_FLAGS`] (checking
/// more would only make a huge document slower to reject).
fn flags<'v>(c: &mut Checker, v: Option<&'v Value>) -> Option<&'v [(String, Value)]> {
    let members: &[(String, Value)] = match v {
        None => {
            c.err(&Path::top("flags"), "a ruleset needs a \"flags\" object (it may be empty)");
            &[]
        }
        Some(Value::Object(m)) => m,
        Some(v) => {
            c.err(&Path::top("flags"), msg!["flags must be an object of flag key to flag, not ", v.type_name()]);
            &[]
        }
    };
    if members.len() > MAX_FLAGS {
        c.err(&Path::top("flags"), msg![uint(members.len()), " flags is more than the limit of ", uint(MAX_FLAGS)]);
        return None;
    }
    Some(members)
}

fn segments<'v>(c: &mut Checker, v: Option<&'v Value>) -> &'v [(String, Value)] {
    match v {
        None => &[],
        Some(Value::Object(m)) if m.len() <= MAX_SEGMENTS => m,
        Some(Value::Object(m)) => {
            c.err(
                &Path::top("segments"),
                msg![uint(m.len()), " segments is more than the limit of ", uint(MAX_SEGMENTS)],
            );
            &[]
        }
        Some(v) => {
            c.err(&Path::top("segments"), msg!["segments must be an object of name to segment, not ", v.type_name()]);
            &[]
        }
    }
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
