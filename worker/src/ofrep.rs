//! OFREP, the OpenFeature Remote Evaluation Protocol
//! (`open-feature/protocol`, `service/openapi.yaml`, version 0.3.0): every
//! decision of the `/ofrep/v1` endpoints, as plain Rust tested natively.
//! The I/O (body, KV, `request.cf`) is `runtime/ofrep.rs`.
//!
//! - `POST /ofrep/v1/evaluate/flags/{key}` -> `{key, value, reason,
//!   variant, metadata}` (`evaluationSuccess`), 404 `FLAG_NOT_FOUND`
//!   (`flagNotFound`), 400 `PARSE_ERROR` / `INVALID_CONTEXT`
//!   (`evaluationFailure`).
//! - `POST /ofrep/v1/evaluate/flags` -> `{flags: [...], metadata}`
//!   (`bulkEvaluationSuccess`) with a strong `ETag`; `If-None-Match` -> 304.
//!   400 is a `bulkEvaluationFailure` (`{errorCode, errorDetails}`).
//! - 401 and 403 have no body (the spec gives them none); every other
//!   error body has `errorCode` and `errorDetails`, and `key` wherever the
//!   request names one.
//!
//! The context goes through [`edgeflags::openfeature::context`]
//! (`targetingKey` is `user_id`) and reasons through
//! [`edgeflags::openfeature::reason`]; neither mapping is decided here.
//! docs/openfeature.md is the user's guide.

use edgeflags::limits::MAX_CONTEXT_ATTRIBUTES;
use edgeflags::openfeature;
use edgeflags::time::Millis;
use edgeflags::{Context, ErrorCode, Evaluation, Flag, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::api::percent_decode;
use crate::errors::ApiError;

/// Every path under it belongs to OFREP (never to the proxy).
pub const ROOT: &str = "/ofrep";
/// The bulk endpoint; the single-flag endpoint is this plus `/{key}`.
pub const FLAGS_PATH: &str = "/ofrep/v1/evaluate/flags";
/// The methods an OFREP path answers.
pub const ALLOW: &str = "POST, OPTIONS";

/// Whether `path` (raw, percent-encoded) is OFREP's.
pub fn is_ofrep_path(path: &str) -> bool {
    path == ROOT || path.starts_with("/ofrep/")
}

/// What an OFREP request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `POST /ofrep/v1/evaluate/flags/{key}`.
    One(String),
    /// `POST /ofrep/v1/evaluate/flags`.
    Bulk,
    /// `OPTIONS` on either: a CORS preflight.
    Preflight,
}

/// An OFREP error answer: the status, and the body's `errorCode` and
/// `errorDetails` (no body at all for 401 and 403).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// HTTP status: 400, 401, 403, 404, 405 or 500.
    pub status: u16,
    /// The flag key, for the single-flag endpoint.
    pub key: Option<String>,
    /// OpenFeature's error code (`PARSE_ERROR`, `INVALID_CONTEXT`,
    /// `FLAG_NOT_FOUND`, `PROVIDER_NOT_READY`, `GENERAL`).
    pub code: &'static str,
    /// For humans and logs.
    pub details: String,
    /// The ruleset version, when one answered (`metadata.version`).
    pub version: Option<u64>,
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
}

impl Failure {
    /// A failure with a status, an OpenFeature error code and details.
    pub fn new(status: u16, code: ErrorCode, details: impl Into<String>) -> Failure {
        Failure { status, key: None, code: code.as_str(), details: details.into(), version: None, headers: Vec::new() }
    }

    /// 400 `PARSE_ERROR`: the body is not an evaluation request.
    pub fn parse(details: impl Into<String>) -> Failure {
        Failure::new(400, ErrorCode::ParseError, details)
    }

    /// 400 `INVALID_CONTEXT`.
    pub fn invalid_context(details: impl Into<String>) -> Failure {
        Failure::new(400, ErrorCode::InvalidContext, details)
    }

    /// 401, no body: no credential where one is needed.
    pub fn unauthorized() -> Failure {
        Failure::new(401, ErrorCode::General, "").header("WWW-Authenticate", "Bearer")
    }

    /// 403, no body: a credential that matches no key.
    pub fn forbidden() -> Failure {
        Failure::new(403, ErrorCode::General, "")
    }

    /// The failure for flag `key` (single-flag endpoint).
    pub fn for_key(mut self, key: &str) -> Failure {
        self.key = Some(key.to_string());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Failure {
        self.headers.push((name, value.into()));
        self
    }

    /// The Worker's own error as OFREP's: statuses the spec does not list
    /// become the nearest one it does (413 is 400 `INVALID_CONTEXT`: the
    /// context is the only part of a request that grows; 503 and every
    /// other 5xx are 500, keeping `Retry-After`).
    pub fn from_api(e: &ApiError) -> Failure {
        let (status, code) = match (e.status, e.code) {
            (400, "MALFORMED_JSON" | "BAD_REQUEST") => (400, ErrorCode::ParseError),
            (400 | 413, _) => (400, ErrorCode::InvalidContext),
            (404, _) => (404, ErrorCode::General),
            (405, _) => (405, ErrorCode::General),
            (_, "PROVIDER_NOT_READY") => (500, ErrorCode::ProviderNotReady),
            _ => (500, ErrorCode::General),
        };
        let mut f = Failure::new(status, code, e.message.to_string());
        f.headers = e.headers.clone();
        f
    }

    /// The JSON body; `None` for 401 and 403 (the spec gives them none).
    pub fn body(&self) -> Option<String> {
        if matches!(self.status, 401 | 403) {
            return None;
        }
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            key: Option<&'a str>,
            #[serde(rename = "errorCode")]
            code: &'a str,
            #[serde(rename = "errorDetails")]
            details: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            metadata: Option<Metadata<'a>>,
        }
        let metadata = self.version.map(|version| Metadata { version, ..Metadata::default() });
        Some(to_text(&Body { key: self.key.as_deref(), code: self.code, details: &self.details, metadata }))
    }
}

/// Decides what `(method, path)` is. `path` is the raw URL path, under
/// [`ROOT`]. The key is everything after `/ofrep/v1/evaluate/flags/`,
/// percent-decoded: a client that does not encode keys (Python's
/// provider) reaches the same flag, and a key that does not decode is
/// taken as it is (it then names no flag).
pub fn route(method: &str, path: &str) -> Result<Call, Failure> {
    let call = match path.strip_prefix(FLAGS_PATH) {
        Some("") => Call::Bulk,
        Some(rest) if rest.starts_with('/') => {
            let raw = &rest[1..];
            Call::One(percent_decode(raw).unwrap_or_else(|| raw.to_string()))
        }
        _ => {
            return Err(Failure::new(
                404,
                ErrorCode::General,
                format!(
                    "no OFREP endpoint at {path}; the endpoints are POST {FLAGS_PATH} and POST {FLAGS_PATH}/{{key}}"
                ),
            ))
        }
    };
    match method {
        "POST" => Ok(call),
        "OPTIONS" => Ok(Call::Preflight),
        _ => {
            let f = Failure::new(405, ErrorCode::General, format!("{method} is not allowed here; allowed: {ALLOW}"))
                .header("Allow", ALLOW);
            Err(match call {
                Call::One(key) => f.for_key(&key),
                _ => f,
            })
        }
    }
}

/// The credential of a request: `Authorization: Bearer <key>`, else
/// `X-API-Key: <key>` (the spec's two schemes), as the bearer header value
/// [`crate::auth::authorize`] reads. `None` when neither is there.
pub fn credential(authorization: Option<&str>, api_key: Option<&str>) -> Option<String> {
    if let Some(a) = authorization.filter(|a| crate::auth::bearer(a).is_some()) {
        return Some(a.to_string());
    }
    match api_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(format!("Bearer {k}")),
        // A non-bearer Authorization header is passed on: refused as missing.
        None => authorization.map(str::to_string),
    }
}

/// An evaluation request: `{"context": {...}}`.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The core context ([`edgeflags::openfeature::context`]).
    pub context: Context,
    /// Evaluate as of this time instead of the clock (`"at"`, the `/v1`
    /// API's field: an edgeflags extension official clients never send).
    pub at: Option<Millis>,
}

/// Parses an evaluation request body. Lenient where clients are: an empty
/// body, `{}` (Python's provider for an empty context) and `"context":
/// null` are an empty context; members other than `context` and `at` are
/// ignored (the spec's request schema allows them).
pub fn request(text: &str) -> Result<Request, Failure> {
    if text.trim().is_empty() {
        return Ok(Request::default());
    }
    let v = Value::parse(text).map_err(|e| Failure::parse(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(members) = v else {
        return Err(Failure::parse(format!(
            "the request body must be a JSON object like {{\"context\": {{...}}}}, not {}",
            v.type_name()
        )));
    };
    let mut out = Request::default();
    for (k, v) in members {
        match k.as_str() {
            "context" => out.context = context(v)?,
            "at" => out.at = Some(crate::body::eval_time(&v).map_err(|e| Failure::parse(e.message.to_string()))?),
            _ => {}
        }
    }
    Ok(out)
}

/// An OpenFeature evaluation context as the core's context. The
/// attribute limit counts every member, `targetingKey` too (it becomes
/// `user_id`, which counts on `/v1`).
pub fn context(v: Value) -> Result<Context, Failure> {
    if let Value::Object(m) = &v {
        if m.len() > MAX_CONTEXT_ATTRIBUTES {
            return Err(Failure::invalid_context(format!(
                "the context has {} attributes; the limit is {MAX_CONTEXT_ATTRIBUTES}",
                m.len()
            )));
        }
    }
    openfeature::context(v).map_err(|e| Failure::invalid_context(e.0))
}

/// What a caller is shown besides the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The ruleset version answering.
    pub version: u64,
    /// Whether the caller holds the `SERVER_KEY` or an admin token: it
    /// sees server-only flags, and their owners, descriptions and tags.
    pub server: bool,
}

/// A flag's `metadata`: the ruleset version, the rule that decided, and
/// (for server callers only, as the client view trims them) the flag's
/// owner, description and tags (comma-separated: OFREP metadata values are
/// strings, numbers or booleans).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metadata<'a> {
    /// The ruleset version.
    pub version: u64,
    /// The rule, target or list that decided.
    #[serde(rename = "ruleId", skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<&'a str>,
    /// The flag's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
    /// What the flag is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// The flag's tags, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
}

impl<'a> Metadata<'a> {
    /// The metadata of `flag`'s answer `e` for a caller with `view`.
    pub fn of(view: View, flag: Option<&'a Flag>, e: &Evaluation<'a>) -> Metadata<'a> {
        let mut m = Metadata { version: view.version, rule_id: e.rule_id, ..Metadata::default() };
        if let Some(f) = flag.filter(|_| view.server) {
            let md = f.metadata();
            m.owner = md.owner.as_deref();
            m.description = md.description.as_deref();
            m.tags = (!md.tags.is_empty()).then(|| md.tags.join(","));
        }
        m
    }
}

/// One flag's answer (`evaluationSuccess`), or why there is none.
#[derive(Serialize)]
struct Success<'a> {
    key: &'a str,
    value: &'a Value,
    reason: &'static str,
    variant: &'a str,
    metadata: &'a Metadata<'a>,
}

/// One flag's answer: the JSON text of an `evaluationSuccess`, or for an
/// error its failure (`flagNotFound` 404, or a 500).
///
/// `variant` is always there: the core names the variant it serves; the
/// only answers without one are errors (here: an unknown or hidden flag)
/// and test overrides, which the Worker never has; for those it would be
/// the empty string.
pub fn one(key: &str, e: &Evaluation<'_>, meta: &Metadata<'_>) -> Result<String, Failure> {
    let code = match e.error_code {
        None => {
            return Ok(to_text(&Success {
                key,
                value: e.value,
                reason: openfeature::reason(e.reason),
                variant: e.variant.unwrap_or(""),
                metadata: meta,
            }))
        }
        Some(code) => code,
    };
    let mut f = match code {
        ErrorCode::FlagNotFound => Failure::new(404, code, format!("flag \"{key}\" was not found")),
        _ => Failure::new(500, ErrorCode::General, format!("flag \"{key}\" could not be evaluated ({code})")),
    };
    f.key = Some(key.to_string());
    f.version = Some(meta.version);
    Err(f)
}

/// The bulk answer's body: every flag's answer in order (an error as its
/// failure item), and the ruleset version.
pub fn bulk(version: u64, flags: &[(&str, Evaluation<'_>, Metadata<'_>)]) -> String {
    let mut out = String::from(r#"{"flags":["#);
    for (i, (key, e, meta)) in flags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A failure item always has a body (it is never a 401/403).
        let item = one(key, e, meta).unwrap_or_else(|f| f.body().unwrap_or_else(|| "null".into()));
        out.push_str(&item);
    }
    out.push_str(&format!(r#"],"metadata":{{"version":{version}}}}}"#));
    out
}

/// The bulk answer's strong ETag: a hash of everything the answer depends
/// on, computed before anything is evaluated: the ruleset version (a
/// version never changes), whether the caller sees server-only flags, the
/// context as the core reads it (attributes in name order, object members
/// sorted, `null` attributes left out: they count as missing), and the
/// answers of the flags that depend on the time (schedules, see
/// [`edgeflags::Ruleset::depends_on_time`]; only these are evaluated
/// first). `"<version>-<32 hex digits>"`.
pub fn etag(view: View, ctx: &Context, timed: &[(&str, Evaluation<'_>)]) -> String {
    let mut text = String::new();
    canonical_context(ctx, &mut text);
    let mut h = Sha256::new()
        .chain_update(b"edgeflags ofrep bulk 1\n")
        .chain_update(view.version.to_string())
        .chain_update(if view.server { "\nserver\n" } else { "\nclient\n" })
        .chain_update(&text);
    for (key, e) in timed {
        h.update(b"\n");
        h.update(to_text(&(key, e)));
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{}-{hex}\"", view.version)
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison, as
/// RFC 9110 has it for `If-None-Match`; `*` matches).
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = strip(etag);
    header.is_some_and(|h| h.split(',').any(|t| t.trim() == "*" || strip(t) == want))
}

/// The context as canonical JSON text: attributes sorted by name, `null`
/// ones left out, every object's members sorted.
fn canonical_context(ctx: &Context, out: &mut String) {
    let mut attrs: Vec<(&str, &Value)> = ctx.iter().filter(|(_, v)| !matches!(v, Value::Null)).collect();
    attrs.sort_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (k, v)) in attrs.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        Value::String(k.to_string()).write_json(out);
        out.push(':');
        canonical(v, out);
    }
    out.push('}');
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(members) => {
            let mut sorted: Vec<&(String, Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                Value::String(k.clone()).write_json(out);
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => other.write_json(out),
    }
}

/// JSON text of an answer; the fallback keeps this total (a serializer
/// error cannot happen for these types).
fn to_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        format!(r#"{{"errorCode":"GENERAL","errorDetails":{}}}"#, Value::String(e.to_string()).to_json())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeflags::Ruleset;

    fn parse(s: &str) -> Value {
        Value::parse(s).unwrap()
    }

    fn ruleset() -> Ruleset {
        Ruleset::from_json(
            r#"{"flags": {
                "limit": {"variants": {"small": 10, "huge": 1000}, "default_variant": "small",
                          "owner": "team-a", "description": "upload limit", "tags": ["ops", "limits"],
                          "rules": [{"id": "ent", "conditions": [{"attribute": "plan", "op": "eq", "value": "enterprise"}], "variant": "huge"}]},
                "beta": {"percentage": 50},
                "nothing": {"variants": {"none": null}, "default_variant": "none"}
            }}"#,
        )
        .unwrap()
    }

    #[test]
    fn routes() {
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags").unwrap(), Call::Bulk);
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags/my-flag").unwrap(), Call::One("my-flag".into()));
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags/a%3Ab").unwrap(), Call::One("a:b".into()));
        // Python's provider does not encode: whatever follows is the key.
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags/a/b").unwrap(), Call::One("a/b".into()));
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags/100%").unwrap(), Call::One("100%".into()));
        // The empty key is a key (the JS providers encode "" as "").
        assert_eq!(route("POST", "/ofrep/v1/evaluate/flags/").unwrap(), Call::One(String::new()));
        assert_eq!(route("OPTIONS", "/ofrep/v1/evaluate/flags").unwrap(), Call::Preflight);
        let e = route("GET", "/ofrep/v1/evaluate/flags/x").unwrap_err();
        assert_eq!((e.status, e.key.as_deref()), (405, Some("x")));
        assert_eq!(e.headers, vec![("Allow", ALLOW.to_string())]);
        for p in ["/ofrep", "/ofrep/v1", "/ofrep/v2/evaluate/flags", "/ofrep/v1/evaluate/flagsx"] {
            assert_eq!(route("POST", p).unwrap_err().status, 404, "{p}");
        }
        assert!(is_ofrep_path("/ofrep") && is_ofrep_path("/ofrep/x") && !is_ofrep_path("/ofrepx"));
    }

    #[test]
    fn credentials() {
        assert_eq!(credential(Some("Bearer k"), Some("other")).as_deref(), Some("Bearer k"));
        assert_eq!(credential(None, Some(" k ")).as_deref(), Some("Bearer k"));
        assert_eq!(credential(Some("Basic x"), Some("k")).as_deref(), Some("Bearer k"));
        assert_eq!(credential(Some("Basic x"), None).as_deref(), Some("Basic x"));
        assert_eq!(credential(None, Some("")), None);
        assert_eq!(credential(None, None), None);
    }

    #[test]
    fn requests() {
        let r = request(r#"{"context": {"targetingKey": "u1", "plan": "pro"}}"#).unwrap();
        assert_eq!(r.context.get("user_id"), Some(&Value::String("u1".into())));
        assert_eq!(r.context.get("targetingKey"), None);
        for empty in ["", " ", "{}", r#"{"context": null}"#, r#"{"context": {}, "extension": 1}"#] {
            assert!(request(empty).unwrap().context.iter().next().is_none(), "{empty}");
        }
        assert_eq!(request(r#"{"at": "2026-01-01"}"#).unwrap().at, Some(1_767_225_600_000));
        let code = |t: &str| request(t).unwrap_err().code;
        assert_eq!(code("{"), "PARSE_ERROR");
        assert_eq!(code("[]"), "PARSE_ERROR");
        assert_eq!(code(r#"{"at": "tomorrow"}"#), "PARSE_ERROR");
        assert_eq!(code(r#"{"context": [1]}"#), "INVALID_CONTEXT");
        assert_eq!(code(r#"{"context": "u1"}"#), "INVALID_CONTEXT");
        assert_eq!(code(r#"{"context": {"targetingKey": 7}}"#), "INVALID_CONTEXT");
        assert_eq!(request("{").unwrap_err().status, 400);
    }

    #[test]
    fn attribute_limit_at_its_edge() {
        let ctx = |n: usize, tk: bool| {
            let mut m: Vec<(String, Value)> = (0..n).map(|i| (format!("a{i}"), Value::Bool(true))).collect();
            if tk {
                m.push(("targetingKey".into(), Value::String("u".into())));
            }
            context(Value::Object(m))
        };
        assert!(ctx(MAX_CONTEXT_ATTRIBUTES - 1, true).is_ok());
        assert!(ctx(MAX_CONTEXT_ATTRIBUTES, false).is_ok());
        for e in [ctx(MAX_CONTEXT_ATTRIBUTES, true).unwrap_err(), ctx(MAX_CONTEXT_ATTRIBUTES + 1, false).unwrap_err()] {
            assert_eq!((e.status, e.code), (400, "INVALID_CONTEXT"));
        }
    }

    #[test]
    fn success_bodies() {
        let rs = ruleset();
        let ctx = context(parse(r#"{"targetingKey": "u1", "plan": "enterprise"}"#)).unwrap();
        let e = rs.evaluate("limit", &ctx, 0, &Value::Null);
        let public = View { version: 3, server: false };
        let meta = Metadata::of(public, rs.flag("limit"), &e);
        assert_eq!(
            one("limit", &e, &meta).unwrap(),
            r#"{"key":"limit","value":1000,"reason":"TARGETING_MATCH","variant":"huge","metadata":{"version":3,"ruleId":"ent"}}"#
        );
        // Server callers also get the flag's metadata.
        let meta = Metadata::of(View { server: true, ..public }, rs.flag("limit"), &e);
        assert_eq!(
            one("limit", &e, &meta).unwrap(),
            r#"{"key":"limit","value":1000,"reason":"TARGETING_MATCH","variant":"huge","metadata":{"version":3,"ruleId":"ent","owner":"team-a","description":"upload limit","tags":"ops,limits"}}"#
        );
        // A variant whose value is null is served as null (not as the code
        // default: the client decides, as the core's typed defaults do).
        let e = rs.evaluate("nothing", &ctx, 0, &Value::Null);
        let body = parse(&one("nothing", &e, &Metadata::of(public, None, &e)).unwrap());
        assert_eq!(body.get("value"), Some(&Value::Null));
        assert_eq!(body.get("variant").and_then(Value::as_str), Some("none"));
        assert_eq!(body.get("reason").and_then(Value::as_str), Some("STATIC"));
    }

    #[test]
    fn reasons_come_from_the_core_mapping() {
        let rs = Ruleset::from_json(
            r#"{"flags": {"base": false, "needs": {"prerequisites": [{"flag": "base", "variant": "on"}]}}}"#,
        )
        .unwrap();
        let e = rs.evaluate("needs", &Context::new(), 0, &Value::Null);
        assert_eq!(e.reason.as_str(), "PREREQUISITE_FAILED");
        let body = parse(&one("needs", &e, &Metadata::default()).unwrap());
        assert_eq!(body.get("reason").and_then(Value::as_str), Some("DEFAULT"));
    }

    #[test]
    fn failures() {
        let rs = ruleset();
        let e = rs.evaluate("nope", &Context::new(), 0, &Value::Null);
        let f = one("nope", &e, &Metadata { version: 4, ..Metadata::default() }).unwrap_err();
        assert_eq!(f.status, 404);
        assert_eq!(
            f.body().unwrap(),
            r#"{"key":"nope","errorCode":"FLAG_NOT_FOUND","errorDetails":"flag \"nope\" was not found","metadata":{"version":4}}"#
        );
        assert_eq!(Failure::unauthorized().body(), None);
        assert_eq!(Failure::forbidden().body(), None);
        let bulk = Failure::invalid_context("bad").body().unwrap();
        assert_eq!(bulk, r#"{"errorCode":"INVALID_CONTEXT","errorDetails":"bad"}"#);
    }

    #[test]
    fn worker_errors_become_ofreps() {
        let f = |e: ApiError| {
            let f = Failure::from_api(&e);
            (f.status, f.code)
        };
        assert_eq!(f(ApiError::malformed_json("x")), (400, "PARSE_ERROR"));
        assert_eq!(f(ApiError::new(400, "INVALID_CONTEXT", "x")), (400, "INVALID_CONTEXT"));
        assert_eq!(f(ApiError::too_large(10)), (400, "INVALID_CONTEXT"));
        assert_eq!(f(ApiError::new(503, "PROVIDER_NOT_READY", "x")), (500, "PROVIDER_NOT_READY"));
        assert_eq!(f(ApiError::internal("secret")), (500, "GENERAL"));
        let s = Failure::from_api(&ApiError::store_unavailable("kv key ruleset/v/1"));
        assert_eq!((s.status, s.code), (500, "GENERAL"));
        assert!(s.headers.iter().any(|(k, _)| *k == "Retry-After"));
        assert!(!s.body().unwrap().contains("ruleset/v"), "internals stay in the log");
    }

    #[test]
    fn bulk_bodies() {
        let rs = ruleset();
        let ctx = Context::new();
        let view = View { version: 2, server: false };
        let results = rs.evaluate_all(&ctx, 0);
        let items: Vec<_> = results.iter().map(|(k, e)| (*k, e.clone(), Metadata::of(view, rs.flag(k), e))).collect();
        let body = parse(&bulk(2, &items));
        let Some(Value::Array(flags)) = body.get("flags") else { panic!("no flags") };
        assert_eq!(flags.len(), 3);
        assert_eq!(flags[0].get("key").and_then(Value::as_str), Some("limit"));
        assert_eq!(flags[1].get("reason").and_then(Value::as_str), Some("DEFAULT"), "no unit: no rollout");
        assert_eq!(body.get("metadata"), Some(&parse(r#"{"version": 2}"#)));
        // An error among them is its failure item.
        let missing = Evaluation::error(&Value::Null, ErrorCode::FlagNotFound);
        let body = parse(&bulk(2, &[("gone", missing, Metadata { version: 2, ..Metadata::default() })]));
        let item = &body.get("flags").map(|f| match f {
            Value::Array(a) => a[0].clone(),
            _ => Value::Null,
        });
        assert_eq!(item.as_ref().and_then(|i| i.get("errorCode")).and_then(Value::as_str), Some("FLAG_NOT_FOUND"));
        assert_eq!(item.as_ref().and_then(|i| i.get("key")).and_then(Value::as_str), Some("gone"));
    }

    #[test]
    fn etags() {
        let rs = ruleset();
        let v = View { version: 5, server: false };
        let c = |s: &str| context(parse(s)).unwrap();
        let a = etag(v, &c(r#"{"targetingKey": "u1", "plan": "pro", "o": {"x": 1, "y": [1, {"b": 2, "a": 1}]}}"#), &[]);
        // Member order and null attributes do not matter...
        let same = etag(
            v,
            &c(r#"{"o": {"y": [1, {"a": 1, "b": 2}], "x": 1}, "plan": "pro", "user_id": "u1", "gone": null}"#),
            &[],
        );
        assert_eq!(a, same);
        assert!(a.starts_with("\"5-") && a.ends_with('"') && a.len() == 2 + 2 + 32, "{a}");
        // ...the version, the caller's view, the context and timed answers do.
        assert_ne!(a, etag(View { version: 6, ..v }, &c(r#"{"targetingKey": "u1", "plan": "pro"}"#), &[]));
        let base = c(r#"{"targetingKey": "u1"}"#);
        let b = etag(v, &base, &[]);
        assert_ne!(b, etag(View { server: true, ..v }, &base, &[]));
        assert_ne!(b, etag(v, &c(r#"{"targetingKey": "u2"}"#), &[]));
        assert_ne!(b, etag(v, &c(r#"{"targetingKey": "u1", "plan": 1}"#), &[]));
        assert_ne!(b, etag(v, &c(r#"{"targetingKey": "u1", "plan": "1"}"#), &[]));
        let e = rs.evaluate("limit", &base, 0, &Value::Null);
        assert_ne!(b, etag(v, &base, &[("limit", e)]));
        assert!(none_match(Some(&b), &b));
        assert!(none_match(Some(&format!("\"x\", W/{b}")), &b));
        assert!(none_match(Some("*"), &b));
        assert!(!none_match(Some("\"5-00\""), &b));
        assert!(!none_match(None, &b));
    }
}
