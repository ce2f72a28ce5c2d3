//! CORS for browser clients of the `/v1` API and of OFREP (`/ofrep/v1`,
//! whose web provider sends `Content-Type: application/json`,
//! `If-None-Match` and its key as `Authorization` or `X-API-Key`, and
//! reads `ETag`). `ALLOWED_ORIGINS` is `*`
//! (any origin, no credentials), a comma-separated list of exact origins
//! (echoed back with `Vary: Origin`), or empty (no CORS headers at all, so
//! browsers on other origins are refused). Proxied routes are left alone:
//! their upstreams own their CORS policy.

/// The allowed origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    /// No cross-origin access.
    None,
    /// Any origin (`*`).
    Any,
    /// Exactly these origins (`https://app.example.com`).
    List(Vec<String>),
}

/// Methods a preflight allows.
pub const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, OPTIONS";
/// Request headers a preflight allows.
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-Match, If-None-Match, X-API-Key, X-User-Id";
/// Response headers scripts may read.
pub const EXPOSE_HEADERS: &str =
    "ETag, X-Active-Flags, X-Edgeflags-Version, X-Edgeflags-Stale, X-Edgeflags-Variant, X-Edgeflags-Flag";
/// How long a browser may cache a preflight, in seconds.
pub const MAX_AGE: &str = "600";

impl Origins {
    /// Parses `ALLOWED_ORIGINS`.
    pub fn parse(s: &str) -> Origins {
        let items: Vec<String> =
            s.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect();
        if items.iter().any(|o| o == "*") {
            Origins::Any
        } else if items.is_empty() {
            Origins::None
        } else {
            Origins::List(items)
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`,
    /// or `None` when that origin is not allowed.
    pub fn allow(&self, origin: Option<&str>) -> Option<String> {
        match self {
            Origins::None => None,
            Origins::Any => Some("*".to_string()),
            Origins::List(list) => {
                let o = origin?;
                list.iter().any(|a| a.eq_ignore_ascii_case(o)).then(|| o.to_string())
            }
        }
    }

    /// Whether responses vary by `Origin` (so caches must key on it).
    pub fn varies(&self) -> bool {
        matches!(self, Origins::List(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(Origins::parse(""), Origins::None);
        assert_eq!(Origins::parse(" * "), Origins::Any);
        let l = Origins::parse("https://a.example, https://b.example/");
        assert_eq!(l.allow(Some("https://b.example")).as_deref(), Some("https://b.example"));
        assert_eq!(l.allow(Some("https://evil.example")), None);
        assert_eq!(l.allow(None), None);
        assert!(l.varies());
        assert_eq!(Origins::Any.allow(None).as_deref(), Some("*"));
        assert_eq!(Origins::None.allow(Some("https://a.example")), None);
    }
}
