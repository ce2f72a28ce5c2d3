//! The core's error and outcome vocabulary, each with a stable code that
//! the JS package and the Worker's JSON bodies reuse verbatim.

use std::fmt;

/// `msg![a, b, ...]`: the pieces (each a `&str` or a `String`) joined into
/// one `String`. Messages are built this way rather than with `format!`:
/// `core::fmt`'s machinery and the argument tables of each `format!` were
/// several KB of the package's wasm (scripts/size.sh).
macro_rules! msg {
    ($($part:expr),+ $(,)?) => {
        $crate::error::concat(&[$(::core::convert::AsRef::<str>::as_ref(&$part)),+])
    };
}
pub(crate) use msg;

/// The pieces joined (for [`msg!`]).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The items with `sep` between them.
pub(crate) fn join(items: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
    out
}

/// `n` in decimal.
pub(crate) fn uint(n: usize) -> String {
    let mut out = String::new();
    crate::value::write_u64(n as u64, &mut out);
    out
}

/// Why an evaluation produced its value, in OpenFeature's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The flag has no targeting at all: everyone gets the same value.
    Static,
    /// The flag has targeting, but nothing matched: the default variant.
    Default,
    /// A user list, target or rule matched.
    TargetingMatch,
    /// The value came from bucketing: a percentage rollout or a weighted split.
    Split,
    /// The flag is killed: its off variant is served.
    Disabled,
    /// A prerequisite flag did not serve the required variant: the off variant.
    PrerequisiteFailed,
    /// The caller's default was returned because of an error (see [`ErrorCode`]).
    Error,
    /// A test override ([`crate::Overrides`]) decided, over every rule and
    /// the kill switch.
    Override,
}

impl Reason {
    /// The stable string (`"TARGETING_MATCH"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::PrerequisiteFailed => "PREREQUISITE_FAILED",
            Reason::Error => "ERROR",
            Reason::Override => "OVERRIDE",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an evaluation fell back to the caller's default (OpenFeature codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No flag with that key in the ruleset.
    FlagNotFound,
    /// The value served has a kind the caller's typed default does not
    /// accept ([`crate::default_accepts`]).
    TypeMismatch,
    /// The request or context could not be parsed.
    ParseError,
    /// The context is not a JSON object, or exceeds a limit.
    InvalidContext,
    /// No ruleset is loaded (used by the Worker and the JS package).
    ProviderNotReady,
    /// Anything else.
    General,
}

impl ErrorCode {
    /// The stable string (`"FLAG_NOT_FOUND"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::General => "GENERAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found while loading a ruleset, at a JSON path such as
/// `flags.new_search.rules[2].conditions[0].op`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a JSON path from the document root (empty for the root).
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// `{"path": "...", "message": "..."}`: how every binding lists problems
/// (the Worker's 422 body, the package's `error.problems`).
impl Problem {
    /// `{"path", "message"}` as a [`Value`] (the Worker's and the CLI's
    /// problem lists are arrays of these).
    pub fn to_value(&self) -> crate::Value {
        crate::Value::Object(vec![
            ("path".into(), crate::Value::String(self.path.clone())),
            ("message".into(), crate::Value::String(self.message.clone())),
        ])
    }

    /// `[{"path", "message"}, ...]`.
    pub fn list_value(problems: &[Problem]) -> crate::Value {
        crate::Value::Array(problems.iter().map(Problem::to_value).collect())
    }
}

impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("path", &self.path)?;
        m.serialize_entry("message", &self.message)?;
        m.end()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A ruleset that failed to load: every problem found, not just the first.
/// Its stable code is `INVALID_RULESET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The problems, in document order. Never empty.
    pub problems: Vec<Problem>,
}

impl LoadError {
    /// The stable code clients match on.
    pub const CODE: &'static str = "INVALID_RULESET";

    /// One problem (JSON text that does not parse, a size limit, a salt
    /// too long for the client view).
    pub(crate) fn single(path: &str, message: impl Into<String>) -> LoadError {
        LoadError { problems: vec![Problem { path: path.to_string(), message: message.into() }] }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "invalid ruleset ({n} problem{}):", if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A test override that cannot be set ([`crate::Overrides::set`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverrideError {
    /// The flag's declared type cannot serve a value of this kind (a
    /// string for a boolean flag, `null` for any but a `json` flag).
    TypeMismatch {
        /// The flag's key.
        key: String,
        /// The flag's declared type.
        flag_type: crate::FlagType,
        /// The kind of the rejected value.
        value: crate::Kind,
    },
}

impl OverrideError {
    /// The stable code clients match on (`TYPE_MISMATCH`).
    pub fn code(&self) -> ErrorCode {
        match self {
            OverrideError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
        }
    }
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::TypeMismatch { key, flag_type, value } => {
                write!(f, "flag \"{key}\" serves {} values, not {}", flag_type.as_str(), value.as_str())
            }
        }
    }
}

impl std::error::Error for OverrideError {}
