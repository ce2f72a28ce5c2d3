//! Bearer-token checks for the management API and the optional read key.
//!
//! Tokens come from Worker secrets: `ADMIN_TOKEN` (one token, audited as
//! `admin`) and/or `ADMIN_TOKENS` (`label:token,label:token`, so each
//! person or CI job has its own token and its own name in the audit log).
//! Comparison is constant-time in the token's content, and every
//! configured token is compared on every request, so timing tells an
//! attacker neither which token nor how much of one matched.

/// The configured tokens, each with the label the audit log records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens(Vec<(String, String)>);

/// The outcome of checking a request's `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A configured token matched: its label.
    Granted(&'a str),
    /// No bearer token in the request (401).
    Missing,
    /// A bearer token that matches nothing (403).
    Wrong,
    /// No token is configured at all: the endpoint is disabled (403).
    NotConfigured,
}

impl Tokens {
    /// Tokens from `ADMIN_TOKEN` (label `admin`) and `ADMIN_TOKENS`
    /// (`label:token` pairs, comma-separated). Blank entries are ignored;
    /// an entry without a `:` is a token labelled `admin`.
    pub fn parse(admin_token: Option<&str>, admin_tokens: Option<&str>) -> Tokens {
        let mut out = Vec::new();
        if let Some(t) = admin_token.map(str::trim).filter(|t| !t.is_empty()) {
            out.push(("admin".to_string(), t.to_string()));
        }
        for entry in admin_tokens.unwrap_or("").split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (label, token) = match entry.split_once(':') {
                Some((l, t)) if !l.trim().is_empty() => (l.trim(), t.trim()),
                Some((_, t)) => ("admin", t.trim()),
                None => ("admin", entry),
            };
            if !token.is_empty() {
                out.push((label.to_string(), token.to_string()));
            }
        }
        Tokens(out)
    }

    /// One token with a fixed label (the read key).
    pub fn single(label: &str, token: Option<&str>) -> Tokens {
        match token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Tokens(vec![(label.to_string(), t.to_string())]),
            None => Tokens::default(),
        }
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks an `Authorization` header value.
    pub fn check(&self, authorization: Option<&str>) -> Outcome<'_> {
        if self.0.is_empty() {
            return Outcome::NotConfigured;
        }
        let Some(given) = authorization.and_then(bearer) else {
            return Outcome::Missing;
        };
        let mut found: Option<&str> = None;
        // No early exit: every token is compared.
        for (label, token) in &self.0 {
            if ct_eq(given.as_bytes(), token.as_bytes()) && found.is_none() {
                found = Some(label);
            }
        }
        found.map_or(Outcome::Wrong, Outcome::Granted)
    }
}

/// Who a request is, for what it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's label for the audit log (`""` for anonymous callers).
    pub label: String,
    /// How much it may see.
    pub privilege: Privilege,
}

/// What a caller may see, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Privilege {
    /// No token (read endpoints without a `READ_KEY`): client flags only.
    Public,
    /// The `READ_KEY`: client flags only.
    Read,
    /// The `SERVER_KEY`: every flag, server-only ones too.
    Server,
    /// An admin token: everything, including the management API.
    Admin,
}

impl Caller {
    /// Whether server-only flags (`"client": false`) are evaluated for it.
    pub fn sees_server_flags(&self) -> bool {
        self.privilege >= Privilege::Server
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No bearer token where one is needed (401).
    Missing,
    /// A token that matches nothing usable here (403).
    Wrong,
    /// The management API is off: no admin token configured (403).
    AdminDisabled,
}

/// Checks `authorization` for an endpoint. `admin_only` endpoints need an
/// admin token. Read endpoints take any configured token (admin, server or
/// read key); they are public when no `READ_KEY` is set, except that a
/// token that matches nothing is refused when any read-side key exists, so
/// a server with a mistyped `SERVER_KEY` hears about it instead of silently
/// losing its server-only flags.
pub fn authorize(
    admin_only: bool,
    admin: &Tokens,
    server: &Tokens,
    read: &Tokens,
    authorization: Option<&str>,
) -> Result<Caller, Denied> {
    let caller = |label: &str, privilege| Caller { label: label.to_string(), privilege };
    let (a, s, r) = (admin.check(authorization), server.check(authorization), read.check(authorization));
    if admin_only {
        return match a {
            Outcome::Granted(l) => Ok(caller(l, Privilege::Admin)),
            Outcome::Missing => Err(Denied::Missing),
            Outcome::Wrong => Err(Denied::Wrong),
            Outcome::NotConfigured => Err(Denied::AdminDisabled),
        };
    }
    match (a, s, r) {
        (Outcome::Granted(l), _, _) => Ok(caller(l, Privilege::Admin)),
        (_, Outcome::Granted(l), _) => Ok(caller(l, Privilege::Server)),
        (_, _, Outcome::Granted(l)) => Ok(caller(l, Privilege::Read)),
        _ if authorization.and_then(bearer).is_none() => {
            if read.is_empty() {
                Ok(caller("", Privilege::Public))
            } else {
                Err(Denied::Missing)
            }
        }
        _ if read.is_empty() && server.is_empty() => Ok(caller("", Privilege::Public)),
        _ => Err(Denied::Wrong),
    }
}

/// The token of a `Bearer <token>` header (scheme case-insensitive).
pub fn bearer(header: &str) -> Option<&str> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(rest.trim()).filter(|t| !t.is_empty())
}

/// Constant-time equality: the time depends on the longer length only,
/// never on where the first differing byte is.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().max(b.len());
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    // black_box keeps the optimiser from turning the loop into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let t = Tokens::parse(Some(" s3cret "), Some("ci:tok-ci, alice:tok:with:colons,,bare"));
        assert_eq!(
            t.0,
            vec![
                ("admin".into(), "s3cret".into()),
                ("ci".into(), "tok-ci".into()),
                ("alice".into(), "tok:with:colons".into()),
                ("admin".into(), "bare".into()),
            ]
        );
        assert!(Tokens::parse(Some("  "), None).is_empty());
    }

    #[test]
    fn outcomes() {
        let t = Tokens::parse(Some("s3cret"), Some("ci:tok-ci"));
        assert_eq!(t.check(None), Outcome::Missing);
        assert_eq!(t.check(Some("Basic abc")), Outcome::Missing);
        assert_eq!(t.check(Some("Bearer ")), Outcome::Missing);
        assert_eq!(t.check(Some("Bearer s3cre")), Outcome::Wrong);
        assert_eq!(t.check(Some("Bearer s3cret!")), Outcome::Wrong);
        assert_eq!(t.check(Some("bearer s3cret")), Outcome::Granted("admin"));
        assert_eq!(t.check(Some("Bearer tok-ci")), Outcome::Granted("ci"));
        assert_eq!(Tokens::default().check(Some("Bearer x")), Outcome::NotConfigured);
    }

    #[test]
    fn callers() {
        let admin = Tokens::parse(Some("adm"), None);
        let server = Tokens::single("server", Some("srv"));
        let read = Tokens::single("read", Some("rd"));
        let none = Tokens::default();
        let p = |r: Result<Caller, Denied>| r.map(|c| c.privilege);
        // Management: admin tokens only.
        assert_eq!(p(authorize(true, &admin, &server, &read, Some("Bearer adm"))), Ok(Privilege::Admin));
        assert_eq!(p(authorize(true, &admin, &server, &read, Some("Bearer srv"))), Err(Denied::Wrong));
        assert_eq!(p(authorize(true, &admin, &server, &read, None)), Err(Denied::Missing));
        assert_eq!(p(authorize(true, &none, &server, &read, Some("Bearer adm"))), Err(Denied::AdminDisabled));
        // Reads with a READ_KEY: every key works, with its own privilege.
        assert_eq!(p(authorize(false, &admin, &server, &read, Some("Bearer adm"))), Ok(Privilege::Admin));
        assert_eq!(p(authorize(false, &admin, &server, &read, Some("Bearer srv"))), Ok(Privilege::Server));
        assert_eq!(p(authorize(false, &admin, &server, &read, Some("Bearer rd"))), Ok(Privilege::Read));
        assert_eq!(p(authorize(false, &admin, &server, &read, None)), Err(Denied::Missing));
        assert_eq!(p(authorize(false, &admin, &server, &read, Some("Bearer nope"))), Err(Denied::Wrong));
        // Public reads: no token is fine; a wrong token is refused only
        // when a server or read key exists to have been mistyped.
        assert_eq!(p(authorize(false, &admin, &server, &none, None)), Ok(Privilege::Public));
        assert_eq!(p(authorize(false, &admin, &server, &none, Some("Bearer nope"))), Err(Denied::Wrong));
        assert_eq!(p(authorize(false, &admin, &none, &none, Some("Bearer nope"))), Ok(Privilege::Public));
        assert!(authorize(false, &admin, &server, &none, Some("Bearer srv")).unwrap().sees_server_flags());
        assert!(!authorize(false, &admin, &server, &none, None).unwrap().sees_server_flags());
        assert_eq!(authorize(false, &admin, &server, &none, Some("Bearer adm")).unwrap().label, "admin");
    }

    #[test]
    fn constant_time_compare_is_equality() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abc\0"));
        assert!(!ct_eq(b"", b"\0"));
    }
}
