//! Routes (the Worker's proxy): a path pattern, the flag that picks the
//! upstream, and one upstream origin per variant of that flag. Patterns
//! match a [`NormalizedPath`]'s decoded segments, never raw text.
//!
//! A pattern is `/`-separated segments (docs/ruleset.md, "Routes"):
//! - a literal segment matches that segment exactly (percent-decoded, so
//!   `caf%C3%A9` and `café` are one literal);
//! - `*` matches exactly one segment;
//! - `**`, last only, matches zero or more segments;
//! - a last segment ending in `*` after a literal (`/api/orders*`) matches
//!   that literal segment and anything below it: `/api/orders` and
//!   `/api/orders/1`, not `/api/ordersXYZ` (it is `/api/orders/**`);
//! - `/` alone matches the root only.
//!
//! Anything else with a `*` inside a segment, empty segments (`//`, a
//! trailing `/`), `.` and `..` are refused when the ruleset loads.

use crate::path::{decode_segment, NormalizedPath};
use crate::ruleset::model::FlagId;

/// A request route: requests whose path matches `pattern` are sent to the
/// upstream of the variant that `flag` serves the requester.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub(crate) id: Box<str>,
    pub(crate) pattern: Box<str>,
    pub(crate) matcher: Pattern,
    pub(crate) flag: FlagId,
    /// One origin per variant of the flag, in variant order.
    pub(crate) upstreams: Vec<Box<str>>,
}

impl Route {
    /// The route's id (`routes[i]` unless set). Header-safe: printable
    /// ASCII, not starting or ending with a space (checked at load).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Its path pattern, as written (`/api/orders/*`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }
    /// Whether its pattern matches `path`.
    pub fn matches(&self, path: &NormalizedPath) -> bool {
        self.matcher.matches(path)
    }
    /// The flag that picks the upstream.
    pub fn flag(&self) -> FlagId {
        self.flag
    }
    /// The origin for a variant index of the flag: an `http://` or
    /// `https://` URL, validated at load, scheme and host in lower case,
    /// optionally with a path (never a trailing `/`), no query, fragment or
    /// user information. The proxy appends the request's normalized path.
    pub fn upstream(&self, variant: u32) -> Option<&str> {
        self.upstreams.get(variant as usize).map(|s| &**s)
    }
}

/// A compiled path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    segments: Vec<Segment>,
    /// Any number of further segments may follow (`**`, `/x*`).
    rest: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Any,
}

impl Pattern {
    /// Compiles a pattern; the error is the problem's message.
    pub(crate) fn parse(text: &str) -> Result<Pattern, &'static str> {
        let Some(body) = text.strip_prefix('/') else { return Err("a route path must start with /") };
        let mut out = Pattern { segments: Vec::new(), rest: false };
        if body.is_empty() {
            return Ok(out);
        }
        let parts: Vec<&str> = body.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match *part {
                "" => return Err("a route path has no empty segments (// or a trailing /)"),
                "**" if last => out.rest = true,
                "**" => return Err("** (any number of segments) must be the last segment"),
                "*" => out.segments.push(Segment::Any),
                p if p.contains('*') => {
                    let literal = p.strip_suffix('*').filter(|l| last && !l.contains('*')).ok_or(
                        "a * inside a segment is only allowed at the end of the last one (/api/orders*); \
                         use * for one whole segment or ** for any number of them",
                    )?;
                    out.segments.push(Segment::Literal(literal_segment(literal)?));
                    out.rest = true;
                }
                p => out.segments.push(Segment::Literal(literal_segment(p)?)),
            }
        }
        Ok(out)
    }

    /// Whether `path`'s segments match.
    pub(crate) fn matches(&self, path: &NormalizedPath) -> bool {
        let mut segments = path.segments();
        for want in &self.segments {
            match (want, segments.next()) {
                (_, None) => return false,
                (Segment::Literal(l), Some(s)) if **l != *s => return false,
                _ => {}
            }
        }
        self.rest || segments.next().is_none()
    }
}

/// A literal segment of a pattern, decoded as a request path's would be.
/// Problems with what is written are told apart from problems with what
/// it decodes to (JSON Schema checks the first kind, not the second).
fn literal_segment(raw: &str) -> Result<Box<str>, &'static str> {
    if raw.contains(['?', '#']) {
        return Err("a route path may not contain ? or # (it matches paths only)");
    }
    if raw.contains('\\') {
        return Err("a route path may not contain \\");
    }
    if raw.chars().any(char::is_control) {
        return Err("a route path may not contain control characters");
    }
    if raw == "." || raw == ".." {
        return Err("a route path has no . or .. segments (request paths are normalized before matching)");
    }
    let decoded = decode_segment(raw).map_err(|e| match e {
        crate::path::PathError::BadEscape => "a % in a route path must be followed by two hex digits",
        crate::path::PathError::Separator => "a route path segment may not percent-encode / or \\ (%2F, %5C)",
        crate::path::PathError::ControlCharacter => "a route path segment may not percent-encode control characters",
        _ => "a route path segment must percent-decode to UTF-8",
    })?;
    match &*decoded {
        "." | ".." => Err("a route path segment may not percent-encode . or .. (%2E)"),
        _ => Ok(decoded.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::normalize;

    fn m(pattern: &str, path: &str) -> bool {
        let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        p.matches(&normalize(path).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    #[test]
    fn glued_star_is_the_segment_and_below() {
        for path in ["/api/orders", "/api/orders/", "/api/orders/1", "/api/orders/1/items", "//api/./orders"] {
            assert!(m("/api/orders*", path), "{path}");
            assert!(m("/api/orders/**", path), "{path}");
        }
        for path in ["/api/ordersXYZ", "/api/order", "/api", "/", "/api/orders/../admin", "/x/api/orders"] {
            assert!(!m("/api/orders*", path), "{path}");
            assert!(!m("/api/orders/**", path), "{path}");
        }
    }

    #[test]
    fn star_is_one_segment_double_star_any_number() {
        assert!(m("/api/*", "/api/users"));
        assert!(!m("/api/*", "/api"));
        assert!(!m("/api/*", "/api/users/1"));
        assert!(m("/api/*/items", "/api/7/items"));
        assert!(!m("/api/*/items", "/api/7/8/items"));
        assert!(m("/**", "/"));
        assert!(m("/**", "/a/b/c"));
        assert!(m("/", "/"));
        assert!(!m("/", "/a"));
        assert!(m("/a/b", "/a/b/"));
        assert!(!m("/a/b", "/a/b/c"));
    }

    #[test]
    fn literals_are_decoded_and_exact() {
        assert!(m("/caf%C3%A9", "/café"));
        assert!(m("/café", "/caf%c3%a9"));
        assert!(m("/a b", "/a%20b"));
        assert!(!m("/API", "/api"));
        assert!(m("/a;b*", "/a%3Bb/c"));
    }

    #[test]
    fn refuses_ambiguous_patterns() {
        for bad in [
            "api",
            "",
            "/api//x",
            "/api/",
            "//",
            "/api/**/x",
            "/api/*x",
            "/api/or*ders",
            "/api/orders*/x",
            "/api/orders**",
            "/api/*orders*",
            "/a/./b",
            "/a/../b",
            "/a/%2e%2e",
            "/a%2Fb",
            "/a\\b",
            "/a?b",
            "/a#b",
            "/a%zz",
            "/a%0A",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
    }
}
