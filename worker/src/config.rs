//! The Worker's settings, read from its vars and secrets (`wrangler.toml`
//! `[vars]`, `wrangler secret put`, or `.dev.vars` locally). Every setting
//! has a default, and an unreadable value falls back to it rather than
//! failing requests.

use crate::auth::Tokens;
use crate::cors::Origins;

/// Default for `REVALIDATE_SECONDS`.
pub const DEFAULT_REVALIDATE_SECONDS: u64 = 5;
/// Longest accepted `REVALIDATE_SECONDS` (an hour).
pub const MAX_REVALIDATE_SECONDS: u64 = 3600;
/// Default name of the cookie that carries a signed-in user's id.
pub const DEFAULT_USER_COOKIE: &str = "ef_uid";
/// Default name of the sticky anonymous-id cookie.
pub const DEFAULT_ANON_COOKIE: &str = "ef_anon";
/// Default for `UPSTREAM_TIMEOUT_SECONDS`.
pub const DEFAULT_UPSTREAM_TIMEOUT_SECONDS: u64 = 30;
/// Longest accepted `UPSTREAM_TIMEOUT_SECONDS`.
pub const MAX_UPSTREAM_TIMEOUT_SECONDS: u64 = 600;

/// Settings for one request.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long an isolate trusts its compiled ruleset before re-reading
    /// the KV pointer (`REVALIDATE_SECONDS`; 0 = on every request).
    pub revalidate_ms: u64,
    /// CORS origins (`ALLOWED_ORIGINS`: `*`, or a comma-separated list).
    pub origins: Origins,
    /// Management tokens (`ADMIN_TOKEN`, `ADMIN_TOKENS`).
    pub admin: Tokens,
    /// Read key (`READ_KEY`); empty = read endpoints are public.
    pub read: Tokens,
    /// Server key (`SERVER_KEY`): read access that also evaluates
    /// server-only flags (`"client": false`). Admin tokens can too.
    pub server: Tokens,
    /// Events write key (`EVENTS_KEY`): when set, `POST /v1/events` needs
    /// it (or the server key, or an admin token).
    pub events_key: Tokens,
    /// The key of the units' keyed hashes in the event store
    /// (`UNIT_HASH_KEY`, a secret); events are off without it.
    pub unit_hash_key: Option<String>,
    /// Salt secret for the client view's hashes (`CLIENT_VIEW_SALT`);
    /// the salt of version n is derived from it and n.
    pub client_salt: String,
    /// How long the proxy waits for an upstream's response headers
    /// (`UPSTREAM_TIMEOUT_SECONDS`) before answering 504.
    pub upstream_timeout_ms: u64,
    /// Cookie holding a user id (`USER_COOKIE`).
    pub user_cookie: String,
    /// Cookie holding the anonymous id (`ANON_COOKIE`).
    pub anon_cookie: String,
    /// Whether served answers are counted for the flag usage telemetry
    /// (`FLAG_USAGE`: `off` turns it off; on by default).
    pub usage: bool,
    /// The host (with its port, when not the default) that alone serves
    /// the dashboard and serves no routes (`DASHBOARD_HOST`); unset, the
    /// dashboard shares every host with the routes
    /// ([`crate::dashboard::placement`]).
    pub dashboard_host: Option<String>,
    /// A path whose requests panic (`TEST_PANIC_PATH`), for the test that
    /// the Worker recovers from a crash; never set in a deployment.
    pub test_panic_path: Option<String>,
}

impl Config {
    /// Reads every setting through `var` (which returns a var's or a
    /// secret's text, or `None` when it is not set).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Config {
        let revalidate = var("REVALIDATE_SECONDS")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_REVALIDATE_SECONDS)
            .min(MAX_REVALIDATE_SECONDS);
        let cookie = |name: &str, default: &str| {
            var(name).map(|s| s.trim().to_string()).filter(|s| valid_cookie_name(s)).unwrap_or_else(|| default.into())
        };
        Config {
            revalidate_ms: revalidate * 1000,
            origins: Origins::parse(var("ALLOWED_ORIGINS").as_deref().unwrap_or("")),
            admin: Tokens::parse(var("ADMIN_TOKEN").as_deref(), var("ADMIN_TOKENS").as_deref()),
            read: Tokens::single("read", var("READ_KEY").as_deref()),
            server: Tokens::single("server", var("SERVER_KEY").as_deref()),
            events_key: Tokens::single("events", var("EVENTS_KEY").as_deref()),
            unit_hash_key: var("UNIT_HASH_KEY").filter(|k| k.len() >= 16),
            client_salt: var("CLIENT_VIEW_SALT").unwrap_or_default(),
            upstream_timeout_ms: var("UPSTREAM_TIMEOUT_SECONDS")
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|&n| n >= 1)
                .unwrap_or(DEFAULT_UPSTREAM_TIMEOUT_SECONDS)
                .min(MAX_UPSTREAM_TIMEOUT_SECONDS)
                * 1000,
            user_cookie: cookie("USER_COOKIE", DEFAULT_USER_COOKIE),
            anon_cookie: cookie("ANON_COOKIE", DEFAULT_ANON_COOKIE),
            usage: !var("FLAG_USAGE").is_some_and(|v| v.trim().eq_ignore_ascii_case("off")),
            dashboard_host: var("DASHBOARD_HOST").map(|h| dashboard_host(&h)).filter(|h| !h.is_empty()),
            test_panic_path: var("TEST_PANIC_PATH").filter(|p| p.starts_with('/')),
        }
    }
}

/// `DASHBOARD_HOST` as the request's host compares with it: lower case,
/// and a URL written there (`https://flags.example.com/`) read as its host,
/// so a pasted origin does not leave the dashboard served nowhere.
fn dashboard_host(raw: &str) -> String {
    let h = raw.trim().to_ascii_lowercase();
    let h = h.strip_prefix("https://").or_else(|| h.strip_prefix("http://")).unwrap_or(&h);
    h.split('/').next().unwrap_or("").to_string()
}

impl Config {
    /// The salt of version `version`'s client view: the first 32 hex digits
    /// of SHA-256(`CLIENT_VIEW_SALT` + ":" + version). The view carries its
    /// salt (the browser hashes with it), so the secret itself never leaves;
    /// with the secret set, nobody can precompute hashes of guessed ids or
    /// emails before a version is published, and each version's hashes
    /// differ, so a list cannot be tracked across versions by its hashes.
    pub fn client_view_salt(&self, version: u64) -> String {
        use sha2::{Digest, Sha256};
        let digest =
            Sha256::new().chain_update(self.client_salt.as_bytes()).chain_update(format!(":{version}")).finalize();
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// A cookie name we can safely put in `Set-Cookie` (RFC 6265 token subset).
fn valid_cookie_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_view_salts() {
        let open = Config::from_vars(|_| None);
        let secret = Config::from_vars(|k| (k == "CLIENT_VIEW_SALT").then(|| "s3cret".into()));
        assert_eq!(open.client_view_salt(1).len(), 32);
        assert_ne!(open.client_view_salt(1), open.client_view_salt(2));
        assert_ne!(open.client_view_salt(1), secret.client_view_salt(1));
        assert_eq!(secret.client_view_salt(7), secret.client_view_salt(7));
        assert!(!secret.client_view_salt(7).contains("s3cret"));
    }

    #[test]
    fn dashboard_host_forms() {
        let host = |v: &str| Config::from_vars(|k| (k == "DASHBOARD_HOST").then(|| v.to_string())).dashboard_host;
        assert_eq!(host(" Flags.Example.com "), Some("flags.example.com".into()));
        assert_eq!(host("https://flags.example.com/"), Some("flags.example.com".into()));
        assert_eq!(host("http://127.0.0.1:8787/app/"), Some("127.0.0.1:8787".into()));
        assert_eq!(host("  "), None);
        assert_eq!(Config::from_vars(|_| None).dashboard_host, None);
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::from_vars(|_| None);
        assert!(c.usage, "usage telemetry is on by default");
        assert!(!Config::from_vars(|k| (k == "FLAG_USAGE").then(|| " OFF ".into())).usage);
        assert!(Config::from_vars(|k| (k == "FLAG_USAGE").then(|| "on".into())).usage);
        assert_eq!(c.revalidate_ms, DEFAULT_REVALIDATE_SECONDS * 1000);
        assert!(c.admin.is_empty() && c.read.is_empty());
        assert_eq!((c.user_cookie.as_str(), c.anon_cookie.as_str()), ("ef_uid", "ef_anon"));
        assert_eq!(c.test_panic_path, None);
        assert_eq!(c.upstream_timeout_ms, DEFAULT_UPSTREAM_TIMEOUT_SECONDS * 1000);
        assert!(c.server.is_empty());
        let c = Config::from_vars(|k| (k == "UPSTREAM_TIMEOUT_SECONDS").then(|| "0".into()));
        assert_eq!(c.upstream_timeout_ms, DEFAULT_UPSTREAM_TIMEOUT_SECONDS * 1000);
        let c = Config::from_vars(|k| (k == "UPSTREAM_TIMEOUT_SECONDS").then(|| "2".into()));
        assert_eq!(c.upstream_timeout_ms, 2000);
        let c = Config::from_vars(|k| match k {
            "REVALIDATE_SECONDS" => Some("0".into()),
            "USER_COOKIE" => Some("bad name;".into()),
            "ANON_COOKIE" => Some("anon_id".into()),
            _ => None,
        });
        assert_eq!(c.revalidate_ms, 0);
        assert_eq!((c.user_cookie.as_str(), c.anon_cookie.as_str()), ("ef_uid", "anon_id"));
        let c = Config::from_vars(|k| (k == "TEST_PANIC_PATH").then(|| "/__test/panic".into()));
        assert_eq!(c.test_panic_path.as_deref(), Some("/__test/panic"));
        // Not a path: ignored, so no request can match it by accident.
        let c = Config::from_vars(|k| (k == "TEST_PANIC_PATH").then(|| "".into()));
        assert_eq!(c.test_panic_path, None);
        let c = Config::from_vars(|k| (k == "REVALIDATE_SECONDS").then(|| "nonsense".into()));
        assert_eq!(c.revalidate_ms, DEFAULT_REVALIDATE_SECONDS * 1000);
        let c = Config::from_vars(|k| (k == "REVALIDATE_SECONDS").then(|| "999999".into()));
        assert_eq!(c.revalidate_ms, MAX_REVALIDATE_SECONDS * 1000);
    }
}
