//! The dashboard's place in the Worker's URL space: the web app (built
//! from `dashboard/` into `dashboard/dist/app/`, served as the Worker's
//! static assets, binding `ASSETS`) lives under [`PREFIX`], and `/`
//! redirects to it. Both give way to the ruleset's routes: the proxy
//! serves them only for paths no route claims, so a ruleset's routes
//! work as they did before the dashboard existed. Every dashboard answer
//! carries [`SECURITY_HEADERS`] (docs/dashboard.md explains the policy).

/// Where the app is served.
pub const PREFIX: &str = "/app";
/// Where `/` redirects (302) when no route claims it.
pub const HOME: &str = "/app/";
/// The assets binding (wrangler.toml `[assets] binding`).
pub const ASSETS_BINDING: &str = "ASSETS";

/// The Content-Security-Policy of every dashboard answer: scripts and
/// styles only from the Worker's own origin (no inline code), wasm
/// compilation for the engine, no frames, no other hosts.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers added to every dashboard answer (and to the redirect).
pub const SECURITY_HEADERS: &[(&str, &str)] =
    &[("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")];

/// Whether `path` (raw, percent-encoded) is the dashboard's.
pub fn is_dashboard_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/app/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for p in ["/app", "/app/", "/app/assets/index.js"] {
            assert!(is_dashboard_path(p), "{p}");
        }
        for p in ["/", "/apple", "/v1/flags", "/api/orders", "/App/"] {
            assert!(!is_dashboard_path(p), "{p}");
        }
        assert!(is_dashboard_path(HOME));
    }

    #[test]
    fn the_policy_allows_no_inline_code() {
        assert!(!CSP.contains("unsafe-inline"));
        assert!(CSP.contains("frame-ancestors 'none'"));
    }
}
