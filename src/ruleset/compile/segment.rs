//! Segments: named, reusable audiences (a user list, conditions, or both)
//! that flag rules test with `in_segment` / `not_in_segment`.

use super::condition::{conditions, Scope};
use super::{Checker, Names, SEGMENTS};
use crate::limits::MAX_STRING_LEN;
use crate::ruleset::model::{Segment, Users};
use crate::value::Value;

const SEGMENT_FIELDS: &[&str] = &["description", "users", "conditions"];

/// Compiles the `segments` object's members, in document order (a
/// segment's position is its id in `in_segment` conditions), and for each
/// the first of its conditions the client view could not hash (see
/// [`Scope::Segment`]).
pub(super) fn segments(
    c: &mut Checker,
    members: &[(String, Value)],
    names: &Names,
) -> (Vec<Segment>, Vec<Option<String>>) {
    members.iter().map(|(name, v)| segment(c, name, v, names)).unzip()
}

fn segment(c: &mut Checker, name: &str, v: &Value, names: &Names) -> (Segment, Option<String>) {
    let path = SEGMENTS.key(name);
    let mut seg = Segment { users: Users::default(), conditions: Vec::new() };
    let mut leak = None;
    let mut sf = [None; SEGMENT_FIELDS.len()];
    if let Some(m) = c.fields(&path, v, SEGMENT_FIELDS, "a segment", &mut sf) {
        // In member order, as the problems are reported.
        for (k, v) in m {
            let p = path.key(k);
            match k.as_str() {
                "users" => seg.users = c.id_set(&p, v),
                "conditions" => seg.conditions = conditions(c, &p, v, names, &mut Scope::Segment { leak: &mut leak }),
                "description" => {
                    c.string(&p, v, MAX_STRING_LEN);
                }
                _ => {}
            }
        }
    }
    (seg, leak)
}
