//! Routes: request paths (globs) to the flag that picks an upstream, and
//! one upstream origin per variant of that flag, resolved to indices.

use super::{field, Checker, Names, ROUTES};
use crate::error::{msg, uint};
use crate::limits::{MAX_NAME_LEN, MAX_RULES};
use crate::ruleset::model::{Flag, FlagId};
use crate::ruleset::Route;
use crate::value::Value;

const ROUTE_FIELDS: &[&str] = &["id", "path", "flag", "upstreams"];

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
    let Some(up_v) = field!(rv, ROUTE_FIELDS, "upstreams") else {
        c.err(&path, "a route needs upstreams: {variant: origin URL}");
        return None;
    };
    let up_path = path.key("upstreams");
    let Value::Object(ups) = up_v else {
        c.err(&up_path, msg!["upstreams must be an object of variant name to origin URL, not ", up_v.type_name()]);
        return None;
    };
    let (Some(pattern), Some(flag)) = (pattern, flag) else { return None };
    let upstreams = upstreams(c, &up_path, ups, &flags[flag.index()]);
    Some(Route { id: id.into(), pattern: pattern.into(), flag, upstreams })
}

/// One origin per variant of `fl`, in variant order; every variant needs one.
fn upstreams(c: &mut Checker, up_path: &super::Path<'_>, ups: &[(String, Value)], fl: &Flag) -> Vec<Box<str>> {
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
            c.err(up_path, msg!["no upstream for variant \"", fl.variants[vi].name, "\": every variant needs one"]);
        }
    }
    upstreams.into_iter().flatten().collect()
}
