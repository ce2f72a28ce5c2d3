//! The endpoint table: which `(method, path)` pairs the Worker's JSON API
//! answers, and who may call them. Paths under `/v1` are the API; any other
//! path is a candidate for the ruleset's `routes` (the proxy).
//!
//! Matching is pure so that every 404 and 405 is decided in one place and
//! tested natively.

use edgeflags::edit::Edit;

use crate::errors::ApiError;
use crate::rollouts::Manual;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Public, unless a `READ_KEY` is configured.
    Read,
    /// Needs an admin token.
    Admin,
    /// `POST /v1/events`: the events write key when one is configured
    /// (checked by the handler: sendBeacon puts it in the body).
    Events,
    /// Experiment results and rollout state: a read key, the server key
    /// or an admin token; never anonymous, even without a `READ_KEY`.
    Results,
}

/// A management or query endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// `GET /v1/status`: isolate and ruleset health.
    Status,
    /// `GET|POST /v1/flags`: evaluate every flag.
    EvaluateAll,
    /// `GET|POST /v1/flags/{key}`: evaluate one flag.
    EvaluateOne(String),
    /// `PATCH /v1/flags/{key}`: flag-level edits from a JSON body.
    EditFlag(String),
    /// `POST /v1/flags/{key}/{kill|unkill|enable|disable}`.
    FlagAction(String, Edit),
    /// `GET /v1/ruleset`: the current document, with an ETag.
    GetRuleset,
    /// `PUT /v1/ruleset`: replace the whole ruleset.
    PutRuleset,
    /// `POST /v1/ruleset/preview`: problems, diff and blast radius of a
    /// ruleset, storing nothing.
    PreviewRuleset,
    /// `GET /v1/versions`: stored versions.
    ListVersions,
    /// `GET /v1/versions/{n}`: one stored version's document.
    GetVersion(u64),
    /// `GET /v1/versions/current`: the current version's full document.
    GetCurrentVersion,
    /// `POST /v1/versions/{n}/rollback`: make version n current again (as a new version).
    Rollback(u64),
    /// `GET /v1/audit`: the change log.
    ListAudit,
    /// `POST /v1/events`: exposures and tracked events in.
    PostEvents,
    /// `GET /v1/events/dead-letters`: queue messages that failed every retry.
    ListDeadLetters,
    /// `POST /v1/events/dead-letters/replay`: send them back to the queue.
    ReplayDeadLetters,
    /// `GET /v1/experiments`: every experiment's results.
    ListExperiments,
    /// `GET /v1/experiments/{flag}`: one experiment's results.
    GetExperiment(String),
    /// `POST /v1/flags/{key}/rollout/{pause|resume|abort}`: a rollout by hand.
    RolloutAction(String, Manual),
    /// `GET /v1/rollouts`: every rollout plan, its step, status and latest decisions.
    ListRollouts,
    /// `GET /v1/rollouts/{key}/decisions`: one rollout's decision log.
    RolloutDecisions(String),
    /// `GET /v1/usage`: every flag's usage and cleanup finding.
    ListUsage,
    /// `GET /v1/flags/{key}/usage`: one flag's usage.
    FlagUsage(String),
    /// `OPTIONS` on any API path: a CORS preflight.
    Preflight,
}

/// What a request is.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// An API endpoint and its access level.
    Api(Endpoint, Access),
    /// Not an API path: look it up in the ruleset's routes.
    Proxy,
}

/// The API's path prefix.
pub const PREFIX: &str = "/v1";

/// Whether `path` belongs to the API (and never to the proxy).
pub fn is_api_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/v1/")
}

/// The raw (percent-encoded) path and query of a serialized URL, as
/// `Request.url` gives it, without parsing the rest: a special-scheme URL
/// always has a path after the host, and `?` and `#` inside the path are
/// always percent-encoded. The fragment is dropped.
pub fn split_url(url: &str) -> (&str, Option<&str>) {
    let after_host = match url.find("://") {
        Some(i) => url[i + 3..].find(['/', '?', '#']).map_or(url.len(), |j| i + 3 + j),
        None => 0,
    };
    let rest = &url[after_host..];
    let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    (if path.is_empty() { "/" } else { path }, query)
}

/// Decides what `(method, path)` is; `path` is the raw, percent-encoded URL
/// path. Errors are the 404 and 405 answers.
pub fn route(method: &str, path: &str) -> Result<Target, ApiError> {
    if !is_api_path(path) {
        return Ok(Target::Proxy);
    }
    let rest = path[PREFIX.len()..].trim_start_matches('/');
    let segs: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split('/').collect() };
    let not_found = || ApiError::not_found(path);
    // Every segment is percent-decoded once; a segment that does not decode
    // to UTF-8 names nothing we have.
    let decoded: Vec<String> =
        segs.iter().map(|s| percent_decode(s).ok_or_else(not_found)).collect::<Result<_, _>>()?;
    let d: Vec<&str> = decoded.iter().map(String::as_str).collect();
    use Access::*;
    use Endpoint::*;
    // (allowed methods, endpoint for each) per path shape.
    let table: Vec<(&str, Endpoint, Access)> = match d.as_slice() {
        ["status"] => vec![("GET", Status, Read)],
        ["flags"] => vec![("GET", EvaluateAll, Read), ("POST", EvaluateAll, Read)],
        ["flags", key] if !key.is_empty() => vec![
            ("GET", EvaluateOne(key.to_string()), Read),
            ("POST", EvaluateOne(key.to_string()), Read),
            ("PATCH", EditFlag(key.to_string()), Admin),
        ],
        ["flags", key, "usage"] if !key.is_empty() => vec![("GET", FlagUsage(key.to_string()), Results)],
        ["flags", key, action] if !key.is_empty() => {
            let edit = match *action {
                "kill" => Edit::Kill(true),
                "unkill" => Edit::Kill(false),
                "enable" => Edit::Enable(true),
                "disable" => Edit::Enable(false),
                _ => return Err(not_found()),
            };
            vec![("POST", FlagAction(key.to_string(), edit), Admin)]
        }
        ["flags", key, "rollout", action] if !key.is_empty() => {
            let action = Manual::parse(action).ok_or_else(not_found)?;
            vec![("POST", RolloutAction(key.to_string(), action), Admin)]
        }
        ["ruleset"] => vec![("GET", GetRuleset, Read), ("PUT", PutRuleset, Admin)],
        ["ruleset", "preview"] => vec![("POST", PreviewRuleset, Admin)],
        ["versions"] => vec![("GET", ListVersions, Admin)],
        ["versions", "current"] => vec![("GET", GetCurrentVersion, Admin)],
        ["versions", n] => vec![("GET", GetVersion(version_number(n).ok_or_else(not_found)?), Admin)],
        ["versions", n, "rollback"] => vec![("POST", Rollback(version_number(n).ok_or_else(not_found)?), Admin)],
        ["audit"] => vec![("GET", ListAudit, Admin)],
        ["events"] => vec![("POST", PostEvents, Events)],
        ["events", "dead-letters"] => vec![("GET", ListDeadLetters, Admin)],
        ["events", "dead-letters", "replay"] => vec![("POST", ReplayDeadLetters, Admin)],
        ["experiments"] => vec![("GET", ListExperiments, Results)],
        ["experiments", key] if !key.is_empty() => vec![("GET", GetExperiment(key.to_string()), Results)],
        ["rollouts"] => vec![("GET", ListRollouts, Results)],
        ["usage"] => vec![("GET", ListUsage, Results)],
        ["rollouts", key, "decisions"] if !key.is_empty() => {
            vec![("GET", RolloutDecisions(key.to_string()), Results)]
        }
        _ => return Err(not_found()),
    };
    if method == "OPTIONS" {
        return Ok(Target::Api(Preflight, Read));
    }
    // HEAD is answered like GET (the runtime drops the body).
    let wanted = if method == "HEAD" { "GET" } else { method };
    if let Some((_, ep, access)) = table.iter().find(|(m, _, _)| *m == wanted) {
        return Ok(Target::Api(ep.clone(), *access));
    }
    let mut allow: Vec<&str> = table.iter().map(|(m, _, _)| *m).collect();
    if allow.contains(&"GET") {
        allow.push("HEAD");
    }
    allow.push("OPTIONS");
    Err(ApiError::method_not_allowed(method, &allow.join(", ")))
}

/// A version number in a path: decimal digits, no sign, fits u64.
fn version_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Decodes `%XX` escapes; `None` for a bad escape or non-UTF-8 result.
pub fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(m: &str, p: &str) -> Endpoint {
        match route(m, p).unwrap() {
            Target::Api(e, _) => e,
            Target::Proxy => panic!("{p} went to the proxy"),
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(ep("GET", "/v1/flags"), Endpoint::EvaluateAll);
        assert_eq!(ep("POST", "/v1/flags/new%20search"), Endpoint::EvaluateOne("new search".into()));
        assert_eq!(ep("HEAD", "/v1/ruleset"), Endpoint::GetRuleset);
        assert_eq!(ep("POST", "/v1/flags/a/kill"), Endpoint::FlagAction("a".into(), Edit::Kill(true)));
        assert_eq!(ep("POST", "/v1/versions/12/rollback"), Endpoint::Rollback(12));
        assert_eq!(ep("GET", "/v1/versions/current"), Endpoint::GetCurrentVersion);
        assert_eq!(
            route("GET", "/v1/versions/current").unwrap(),
            Target::Api(Endpoint::GetCurrentVersion, Access::Admin)
        );
        assert_eq!(route("POST", "/v1/versions/current").unwrap_err().status, 405);
        assert_eq!(ep("OPTIONS", "/v1/ruleset"), Endpoint::Preflight);
        assert_eq!(route("PUT", "/v1/ruleset").unwrap(), Target::Api(Endpoint::PutRuleset, Access::Admin));
        assert_eq!(route("POST", "/v1/ruleset/preview").unwrap(), Target::Api(Endpoint::PreviewRuleset, Access::Admin));
        assert_eq!(route("GET", "/v1/ruleset/preview").unwrap_err().status, 405);
        assert_eq!(route("GET", "/api/orders").unwrap(), Target::Proxy);
        assert_eq!(route("GET", "/v10").unwrap(), Target::Proxy);
        assert_eq!(route("POST", "/v1/events").unwrap(), Target::Api(Endpoint::PostEvents, Access::Events));
        assert_eq!(route("GET", "/v1/events").unwrap_err().status, 405);
        assert_eq!(
            route("GET", "/v1/events/dead-letters").unwrap(),
            Target::Api(Endpoint::ListDeadLetters, Access::Admin)
        );
        assert_eq!(
            route("POST", "/v1/events/dead-letters/replay").unwrap(),
            Target::Api(Endpoint::ReplayDeadLetters, Access::Admin)
        );
        assert_eq!(route("GET", "/v1/events/dead-letters/replay").unwrap_err().status, 405);
        assert_eq!(route("GET", "/v1/experiments").unwrap(), Target::Api(Endpoint::ListExperiments, Access::Results));
        assert_eq!(ep("GET", "/v1/experiments/checkout%20test"), Endpoint::GetExperiment("checkout test".into()));
        assert_eq!(
            route("POST", "/v1/flags/api/rollout/pause").unwrap(),
            Target::Api(Endpoint::RolloutAction("api".into(), Manual::Pause), Access::Admin)
        );
        assert_eq!(ep("POST", "/v1/flags/api/rollout/abort"), Endpoint::RolloutAction("api".into(), Manual::Abort));
        assert_eq!(route("GET", "/v1/flags/api/rollout/pause").unwrap_err().status, 405);
        assert_eq!(route("POST", "/v1/flags/api/rollout/explode").unwrap_err().status, 404);
        assert_eq!(route("GET", "/v1/rollouts").unwrap(), Target::Api(Endpoint::ListRollouts, Access::Results));
        assert_eq!(route("GET", "/v1/usage").unwrap(), Target::Api(Endpoint::ListUsage, Access::Results));
        assert_eq!(
            route("GET", "/v1/flags/new%20search/usage").unwrap(),
            Target::Api(Endpoint::FlagUsage("new search".into()), Access::Results)
        );
        assert!(route("POST", "/v1/flags/a/usage").is_err());
        assert_eq!(
            route("GET", "/v1/rollouts/new%20api/decisions").unwrap(),
            Target::Api(Endpoint::RolloutDecisions("new api".into()), Access::Results)
        );
        assert_eq!(route("GET", "/v1/rollouts/api").unwrap_err().status, 404);
    }

    #[test]
    fn not_found_and_not_allowed() {
        for p in [
            "/v1",
            "/v1/",
            "/v1/nope",
            "/v1/flags/a/explode",
            "/v1/versions/-1",
            "/v1/versions/x/rollback",
            "/v1/flags/%ff",
        ] {
            let e = route("GET", p).unwrap_err();
            assert_eq!((e.status, e.code), (404, "NOT_FOUND"), "{p}");
        }
        let e = route("DELETE", "/v1/ruleset").unwrap_err();
        assert_eq!((e.status, e.code), (405, "METHOD_NOT_ALLOWED"));
        assert_eq!(e.headers, vec![("Allow", "GET, PUT, HEAD, OPTIONS".to_string())]);
        assert_eq!(route("GET", "/v1/flags/a/kill").unwrap_err().status, 405);
    }

    #[test]
    fn urls() {
        assert_eq!(split_url("http://edge.test/v1/flags?a=1&b=2"), ("/v1/flags", Some("a=1&b=2")));
        assert_eq!(split_url("https://h.example:8443/x/y"), ("/x/y", None));
        assert_eq!(split_url("https://h.example"), ("/", None));
        assert_eq!(split_url("https://h.example?q"), ("/", Some("q")));
        assert_eq!(split_url("https://h.example/p?q=1#frag?x"), ("/p", Some("q=1")));
        assert_eq!(split_url("https://h.example/p#f"), ("/p", None));
        assert_eq!(split_url("https://h.example/p?"), ("/p", Some("")));
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%3Ab").as_deref(), Some("a:b"));
        assert_eq!(percent_decode("%C3%BC").as_deref(), Some("ü"));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%zz"), None);
    }
}
