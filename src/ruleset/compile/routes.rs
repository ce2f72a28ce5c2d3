//! Routes: path patterns to the flag that picks an upstream, and one
//! upstream origin per variant of that flag, resolved to indices.
//!
//! Everything a route puts into a request is checked here, so a stored
//! route cannot fail at request time: the pattern compiles
//! ([`Pattern::parse`]), every upstream is a valid origin
//! ([`upstream::upstream`]), and the values that become header values
//! (`X-Edgeflags-Route`: the id; `X-Edgeflags-Variant`: the flag's
//! variant names; `X-Edgeflags-Flag`: its key, already restricted to
//! `A-Z a-z 0-9 _ - . :`) are [`header_safe`].

use super::{field, upstream, Checker, Names, ROUTES};
use crate::error::{msg, uint};
use crate::limits::{MAX_NAME_LEN, MAX_RULES, MAX_UPSTREAM_LEN};
use crate::ruleset::model::{Flag, FlagId};
use crate::ruleset::route::{Pattern, Route};
use crate::value::Value;

const ROUTE_FIELDS: &[&str] = &["id", "path", "flag", "upstreams"];

/// What a header value may be: printable ASCII (space to `~`), not
/// starting or ending with a space. A `fetch` `Headers` object keeps such
/// a value byte for byte (it trims surrounding whitespace and refuses CR,
/// LF, NUL and characters above U+00FF).
pub(crate) fn header_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (b' '..=b'~').contains(&b)) && !s.starts_with(' ') && !s.ends_with(' ')
}

const HEADER_SAFE: &str = "printable ASCII, not starting or ending with a space";

/// Compiles the `routes` list (read after every flag, whose variants the
/// upstreams name).
pub(super) fn routes(c: &mut Checker, v: &Value, names: &Names, flags: &[Flag]) -> Vec<Route> {
    let Some(items) = c.array(&ROUTES, v, MAX_RULES) else { return Vec::new() };
    items.iter().enumerate().filter_map(|(i, item)| route(c, i, item, names, flags)).collect()
}

fn route(c: &mut Checker, i: usize, item: &Value, names: &Names, flags: &[Flag]) -> Option<Route> {
    let path = ROUTES.idx(i);
    let mut rv = [None; ROUTE_FIELDS.len()];
    c.fields(&path, item, ROUTE_FIELDS, "a route", &mut rv)?;
    let id = match field!(rv, ROUTE_FIELDS, "id") {
        Some(v) => {
            let id = c.name(&path.key("id"), v, "a route id").unwrap_or("");
            if !id.is_empty() && !header_safe(id) {
                c.err(&path.key("id"), msg!["a route id is sent as a header value: ", HEADER_SAFE]);
            }
            id.to_string()
        }
        None => msg!["routes[", uint(i), "]"],
    };
    let pattern = match field!(rv, ROUTE_FIELDS, "path") {
        Some(v) => c.string(&path.key("path"), v, MAX_NAME_LEN).and_then(|text| match Pattern::parse(text) {
            Ok(p) => Some((text, p)),
            Err(e) => {
                c.err(&path.key("path"), e);
                None
            }
        }),
        None => {
            c.err(&path, "a route needs a path pattern (like \"/api/orders/*\")");
            None
        }
    };
    let flag = match field!(rv, ROUTE_FIELDS, "flag") {
        Some(v) => c.string(&path.key("flag"), v, MAX_NAME_LEN).and_then(|k| match names.flags.get(k) {
            Some(&id) => Some(FlagId(id)),
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
    if let Some(f) = flag.map(|f| &flags[f.index()]) {
        for v in f.variants.iter().filter(|v| !header_safe(&v.name)) {
            c.err(
                &path.key("flag"),
                msg![
                    "flag \"",
                    f.key,
                    "\" has a variant name that cannot be a header value (",
                    Value::String(v.name.to_string()).to_json(),
                    "): a routed variant's name is sent as one, so it must be ",
                    HEADER_SAFE
                ],
            );
        }
    }
    let Some(up_v) = field!(rv, ROUTE_FIELDS, "upstreams") else {
        c.err(&path, "a route needs upstreams: {variant: origin URL}");
        return None;
    };
    let up_path = path.key("upstreams");
    let Value::Object(ups) = up_v else {
        c.err(&up_path, msg!["upstreams must be an object of variant name to origin URL, not ", up_v.type_name()]);
        return None;
    };
    let (Some((text, matcher)), Some(flag)) = (pattern, flag) else { return None };
    let upstreams = upstreams(c, &up_path, ups, &flags[flag.index()]);
    Some(Route { id: id.into(), pattern: text.into(), matcher, flag, upstreams })
}

/// One origin per variant of `fl`, in variant order; every variant needs one.
fn upstreams(c: &mut Checker, up_path: &super::Path<'_>, ups: &[(String, Value)], fl: &Flag) -> Vec<Box<str>> {
    let mut upstreams: Vec<Option<Box<str>>> = vec![None; fl.variants.len()];
    // Variants given an upstream, valid or not (an invalid one is its own problem).
    let mut given = vec![false; fl.variants.len()];
    for (name, url) in ups {
        let up = up_path.key(name);
        let Some(vi) = fl.variants.iter().position(|v| &*v.name == name) else {
            c.err(&up, msg!["flag \"", fl.key, "\" has no variant \"", name, "\""]);
            continue;
        };
        given[vi] = true;
        let Some(url) = c.string(&up, url, MAX_UPSTREAM_LEN) else { continue };
        match upstream::upstream(url) {
            Ok(origin) => upstreams[vi] = Some(origin.into()),
            Err(why) => c.err(
                &up,
                msg!["upstream ", Value::String(url.to_string()).to_json(), " is not a valid http(s) origin: it ", why],
            ),
        }
    }
    for (vi, g) in given.iter().enumerate() {
        if !g {
            c.err(up_path, msg!["no upstream for variant \"", fl.variants[vi].name, "\": every variant needs one"]);
        }
    }
    upstreams.into_iter().flatten().collect()
}
