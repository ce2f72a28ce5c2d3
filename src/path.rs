//! Request paths as routes see them: percent-decoded, normalized segments.
//!
//! A route must match the path the upstream will act on, not the bytes a
//! client happened to send: `/api/orders/../admin` is `/admin`, and
//! `/api/orders%2F..%2F..%2Fadmin` is refused rather than matched against
//! `/api/orders*` and forwarded for the upstream to decode. [`normalize`]
//! turns the raw, percent-encoded path of a request into a
//! [`NormalizedPath`]: its decoded segments (what route patterns match,
//! [`crate::Ruleset::route_for_path`]) and the same path re-encoded
//! ([`NormalizedPath::as_encoded`], what a proxy forwards).
//!
//! The rules (docs/ruleset.md, "Request paths"):
//! - the path starts with `/` and is at most [`MAX_PATH_LEN`] bytes;
//! - each segment is percent-decoded; `%` must be followed by two hex
//!   digits, and the decoded bytes must be UTF-8 without control
//!   characters (NUL, CR, LF, DEL, C1...);
//! - a segment may not contain a decoded `/` (`%2F`) or a `\` (raw or
//!   `%5C`): either would split the segment differently upstream;
//! - a raw `?` or `#` is refused (a path, not a URL);
//! - empty segments (`//`) and `.` are dropped, `..` removes the segment
//!   before it, and `..` above the root is refused;
//! - the result keeps a trailing `/` (`/api/orders/` stays distinct from
//!   `/api/orders` for the upstream; matching ignores it).

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::limits::MAX_PATH_LEN;

/// A request path, decoded and normalized ([`normalize`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPath {
    /// Decoded segments joined by `/`, from a leading `/`, with the
    /// trailing `/` when the path had one. No segment is empty, `.` or
    /// `..`, or contains `/`, so splitting on `/` gives the segments back.
    decoded: String,
    /// The same, re-encoded ([`encode_segment`]).
    encoded: String,
}

impl NormalizedPath {
    /// The normalized path, percent-encoded per RFC 3986's path rules:
    /// letters, digits, `-._~!$&'()*+,=:@` as they are, every other byte
    /// of a segment (`;`, `%`, space, non-ASCII...) as `%XX`. What a proxy
    /// forwards upstream. `/` for the root.
    pub fn as_encoded(&self) -> &str {
        &self.encoded
    }

    /// The normalized path, decoded: segments joined by `/`.
    pub fn as_decoded(&self) -> &str {
        &self.decoded
    }

    /// The decoded segments, in order (none for the root): what route
    /// patterns match. Never empty strings, `.` or `..`.
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.decoded.split('/').filter(|s| !s.is_empty())
    }

    /// Whether the path ends with `/` after a segment (`/api/orders/`).
    pub fn has_trailing_slash(&self) -> bool {
        self.decoded.len() > 1 && self.decoded.ends_with('/')
    }
}

impl fmt::Display for NormalizedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

/// Why a request path was refused. Every kind has the one stable code
/// [`PathError::CODE`]; a proxy answers it with a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// It does not start with `/`.
    NotAbsolute,
    /// It is longer than [`MAX_PATH_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A segment's decoded bytes are not UTF-8.
    InvalidUtf8,
    /// A control character (NUL, CR, LF, DEL, C1...), raw or decoded.
    ControlCharacter,
    /// A decoded `/` (`%2F`), or a `\` (raw or `%5C`), inside a segment.
    Separator,
    /// A raw `?` or `#`: the query or fragment was passed with the path.
    QueryOrFragment,
    /// A `..` that would go above the root.
    AboveRoot,
}

impl PathError {
    /// The stable code clients match on.
    pub const CODE: &'static str = "INVALID_PATH";
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::NotAbsolute => f.write_str("a path must start with /"),
            PathError::TooLong { len } => write!(f, "path of {len} bytes is longer than the limit of {MAX_PATH_LEN}"),
            PathError::BadEscape => f.write_str("a % in a path must be followed by two hex digits"),
            PathError::InvalidUtf8 => f.write_str("a path segment does not decode to UTF-8"),
            PathError::ControlCharacter => f.write_str("a path may not contain control characters"),
            PathError::Separator => f.write_str("a path segment may not contain an encoded / (%2F) or a \\"),
            PathError::QueryOrFragment => f.write_str("a path may not contain ? or #"),
            PathError::AboveRoot => f.write_str("a .. in the path goes above the root"),
        }
    }
}

impl std::error::Error for PathError {}

/// Decodes and normalizes a raw (percent-encoded) request path, such as a
/// URL's `pathname`, by the rules in the module documentation.
///
/// ```
/// use edgeflags::path::{normalize, PathError};
///
/// let p = normalize("//api/./orders/../items/caf%C3%A9;v=1").unwrap();
/// assert_eq!(p.segments().collect::<Vec<_>>(), ["api", "items", "café;v=1"]);
/// assert_eq!(p.as_encoded(), "/api/items/caf%C3%A9%3Bv=1");
/// assert_eq!(normalize("/api/orders%2F..%2Fadmin"), Err(PathError::Separator));
/// assert_eq!(normalize("/api/../../etc"), Err(PathError::AboveRoot));
/// ```
pub fn normalize(raw: &str) -> Result<NormalizedPath, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong { len: raw.len() });
    }
    let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
    let mut segments: Vec<Cow<'_, str>> = Vec::new();
    let mut trailing = false;
    for raw_segment in rest.split('/') {
        let segment = decode_segment(raw_segment)?;
        // A segment that names no child leaves the path ending in `/`.
        trailing = true;
        match &*segment {
            "" | "." => {}
            ".." => {
                segments.pop().ok_or(PathError::AboveRoot)?;
            }
            _ => {
                segments.push(segment);
                trailing = false;
            }
        }
    }
    let mut decoded = String::with_capacity(raw.len());
    let mut encoded = String::with_capacity(raw.len());
    for s in &segments {
        decoded.push('/');
        decoded.push_str(s);
        encoded.push('/');
        encode_segment(s, &mut encoded);
    }
    if segments.is_empty() || trailing {
        decoded.push('/');
        encoded.push('/');
    }
    Ok(NormalizedPath { decoded, encoded })
}

/// One raw segment, percent-decoded and checked (no `/`, `\\`, `?`, `#`
/// or control characters, UTF-8). Borrowed when it has no escapes.
pub(crate) fn decode_segment(raw: &str) -> Result<Cow<'_, str>, PathError> {
    if raw.contains(['?', '#']) {
        return Err(PathError::QueryOrFragment);
    }
    // percent-encoding passes a `%` without two hex digits through as it
    // is; in a path that is an error, not a literal.
    let b = raw.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    if b.iter().enumerate().any(|(i, &c)| c == b'%' && !(hex(i + 1) && hex(i + 2))) {
        return Err(PathError::BadEscape);
    }
    let text = percent_decode_str(raw).decode_utf8().map_err(|_| PathError::InvalidUtf8)?;
    for c in text.chars() {
        match c {
            '/' | '\\' => return Err(PathError::Separator),
            c if c.is_control() => return Err(PathError::ControlCharacter),
            _ => {}
        }
    }
    Ok(text)
}

/// What [`encode_segment`] percent-encodes: every byte but RFC 3986's
/// `pchar`s, and `;` (some servers cut a segment at `;`: `..;` would be a
/// `..` for them and not for the route).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Appends `segment` percent-encoded ([`SEGMENT`], upper-case hex).
pub(crate) fn encode_segment(segment: &str, out: &mut String) {
    out.extend(utf8_percent_encode(segment, SEGMENT));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (Vec<String>, String) {
        let p = normalize(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        (p.segments().map(str::to_string).collect(), p.as_encoded().to_string())
    }

    #[test]
    fn normalizes_dots_and_empty_segments() {
        assert_eq!(ok("/"), (vec![], "/".into()));
        assert_eq!(ok("//api//orders"), (vec!["api".into(), "orders".into()], "/api/orders".into()));
        assert_eq!(ok("/api/./orders").1, "/api/orders");
        assert_eq!(ok("/api/orders/../admin").1, "/api/admin");
        assert_eq!(ok("/api/orders/").1, "/api/orders/");
        assert_eq!(ok("/api/orders/.").1, "/api/orders/");
        assert_eq!(ok("/api/orders/..").1, "/api/");
        assert_eq!(ok("/a/..").1, "/");
        assert_eq!(ok("/a/../").1, "/");
        assert_eq!(ok("/a/%2e%2E/x").1, "/x");
        assert_eq!(ok("/a/%2e/x").1, "/a/x");
        assert!(!normalize("/a/b").unwrap().has_trailing_slash());
        assert!(normalize("/a/b/").unwrap().has_trailing_slash());
        assert!(!normalize("/").unwrap().has_trailing_slash());
    }

    #[test]
    fn decodes_and_re_encodes() {
        let (segs, enc) = ok("/caf%c3%a9/%E2%82%AC%20x/a;b/%41%7e");
        assert_eq!(segs, ["café", "€ x", "a;b", "A~"]);
        assert_eq!(enc, "/caf%C3%A9/%E2%82%AC%20x/a%3Bb/A~");
        assert_eq!(ok("/café").1, "/caf%C3%A9");
        assert_eq!(ok("/100%25").0, ["100%"]);
        assert_eq!(ok("/100%25").1, "/100%25");
        assert_eq!(ok("/a:b@c!$&'()*+,=").1, "/a:b@c!$&'()*+,=");
    }

    #[test]
    fn refuses_what_could_escape_a_prefix() {
        use PathError as E;
        for (raw, want) in [
            ("api", E::NotAbsolute),
            ("", E::NotAbsolute),
            ("/api/orders%2F..%2F..%2Fadmin", E::Separator),
            ("%2F..%2F..%2Fadmin", E::NotAbsolute),
            ("/%2F..%2F..%2Fadmin", E::Separator),
            ("/api%2fadmin", E::Separator),
            ("/api%5Cadmin", E::Separator),
            ("/api\\..\\admin", E::Separator),
            ("/..", E::AboveRoot),
            ("/a/../..", E::AboveRoot),
            ("/a/%2e%2e/%2e%2e", E::AboveRoot),
            ("/a%00", E::ControlCharacter),
            ("/a%0d%0aSet-Cookie:x", E::ControlCharacter),
            ("/a\nb", E::ControlCharacter),
            ("/a%7F", E::ControlCharacter),
            ("/a%C2%85", E::ControlCharacter),
            ("/a%ff", E::InvalidUtf8),
            ("/a%C3", E::InvalidUtf8),
            ("/a%", E::BadEscape),
            ("/a%2", E::BadEscape),
            ("/a%g0", E::BadEscape),
            ("/a%+1", E::BadEscape),
            ("/a?x=1", E::QueryOrFragment),
            ("/a#x", E::QueryOrFragment),
        ] {
            assert_eq!(normalize(raw), Err(want), "{raw:?}");
        }
        let long = "/".to_string() + &"a".repeat(MAX_PATH_LEN - 1);
        assert!(normalize(&long).is_ok());
        let over = long + "a";
        assert_eq!(normalize(&over), Err(PathError::TooLong { len: MAX_PATH_LEN + 1 }));
        assert_eq!(PathError::Separator.to_string(), "a path segment may not contain an encoded / (%2F) or a \\");
    }
}
