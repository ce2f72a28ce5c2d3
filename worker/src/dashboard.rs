//! The dashboard's place in the Worker's URL space: the web app (built
//! from `dashboard/` into `dashboard/dist/app/`, served as the Worker's
//! static assets, binding `ASSETS`) lives under [`PREFIX`], and `/`
//! redirects to it. Both give way to the ruleset's routes: the proxy
//! serves them only for paths no route claims, so a ruleset's routes
//! work as they did before the dashboard existed. Every dashboard answer
//! carries [`SECURITY_HEADERS`] (docs/dashboard.md explains the policy).
//! With `DASHBOARD_HOST` set, the dashboard has a host of its own, where
//! no route is served ([`placement`]): no upstream page shares its origin.

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

/// What a host serves of the dashboard and the ruleset's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both (no `DASHBOARD_HOST`): routes first, the dashboard where no
    /// route claims the path. A routed page's scripts then share the
    /// dashboard's origin, and its sign-in.
    Shared,
    /// The `DASHBOARD_HOST`: the dashboard and the API, no routes.
    Dashboard,
    /// Any other host when `DASHBOARD_HOST` is set: routes and the API,
    /// no dashboard.
    Routes,
}

/// Where the dashboard is for a request to `host` (the URL's host and
/// port, as the browser sent it), given `DASHBOARD_HOST`.
pub fn placement(host: &str, dashboard_host: Option<&str>) -> Placement {
    match dashboard_host {
        None => Placement::Shared,
        Some(d) if host.eq_ignore_ascii_case(d) => Placement::Dashboard,
        Some(_) => Placement::Routes,
    }
}

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
    fn placement_by_host() {
        assert_eq!(placement("shop.example.com", None), Placement::Shared);
        assert_eq!(placement("Flags.Example.com", Some("flags.example.com")), Placement::Dashboard);
        assert_eq!(placement("shop.example.com", Some("flags.example.com")), Placement::Routes);
        // The port is part of the origin.
        assert_eq!(placement("127.0.0.1:8788", Some("127.0.0.1:8787")), Placement::Routes);
    }

    #[test]
    fn the_policy_allows_no_inline_code() {
        assert!(!CSP.contains("unsafe-inline"));
        assert!(CSP.contains("frame-ancestors 'none'"));
    }
}
