//! The Worker's error vocabulary: one [`ApiError`] per failed request, with
//! an HTTP status and a stable `code` that clients match on. Every error
//! body has the same shape:
//!
//! ```json
//! {"error": {"code": "INVALID_RULESET", "message": "...", "problems": [{"path": "...", "message": "..."}]}}
//! ```
//!
//! Codes the core defines (`INVALID_RULESET`, `FLAG_NOT_FOUND`,
//! `PROVIDER_NOT_READY`, ...) are reused verbatim, so the npm package, the
//! CLI and the Worker speak the same words.

use edgeflags::{LoadError, Problem, Value};

/// A request that cannot be answered normally.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for humans.
    pub message: Box<str>,
    /// Path-tagged problems (only for `INVALID_RULESET`).
    pub problems: Vec<Problem>,
    /// Extra top-level members of the body (e.g. the current version on a
    /// 412, or the callers' defaults on a 503).
    pub extra: Vec<(String, Value)>,
    /// Extra response headers (`Allow` on a 405, `Retry-After` on a 503).
    pub headers: Vec<(&'static str, String)>,
    /// What went wrong inside (a KV key, a JS error, a parser message about
    /// stored data): written to the Worker's log, never into a body. Boxed:
    /// it is rare, and `ApiError` travels in every handler's `Result`.
    pub internal: Option<Box<String>>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into().into_boxed_str(),
            problems: Vec::new(),
            extra: Vec::new(),
            headers: Vec::new(),
            internal: None,
        }
    }

    /// 500 `INTERNAL`: a bug or a runtime failure. The body says only that;
    /// `detail` goes to the log.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, "INTERNAL", "internal error; the details are in the Worker's log").log(detail)
    }

    /// Attaches a detail for the log (never sent to the client).
    pub fn log(mut self, detail: impl std::fmt::Display) -> ApiError {
        self.internal = Some(Box::new(detail.to_string()));
        self
    }

    /// Adds a top-level member to the body.
    pub fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra.push((key.to_string(), value));
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    /// 400: the body is not JSON (the parser's message says where).
    pub fn malformed_json(detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, "MALFORMED_JSON", format!("request body is not valid JSON: {detail}"))
    }

    /// 400: well-formed JSON of the wrong shape.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BAD_REQUEST", message)
    }

    /// 404 for a path the API does not have.
    pub fn not_found(path: &str) -> ApiError {
        ApiError::new(404, "NOT_FOUND", format!("no endpoint or route for {path}"))
    }

    /// 405, with the `Allow` header listing what the path accepts.
    pub fn method_not_allowed(method: &str, allow: &str) -> ApiError {
        ApiError::new(405, "METHOD_NOT_ALLOWED", format!("{method} is not allowed here; allowed: {allow}"))
            .header("Allow", allow)
    }

    /// 413: a body over `limit` bytes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(413, "PAYLOAD_TOO_LARGE", format!("request body is larger than the limit of {limit} bytes"))
            .with("limit", Value::Number(limit as f64))
    }

    /// 422: a ruleset the core refused, with every problem.
    pub fn invalid_ruleset(e: LoadError) -> ApiError {
        let n = e.problems.len();
        let mut err = ApiError::new(
            422,
            LoadError::CODE,
            format!("the ruleset is invalid ({n} problem{}); nothing was stored", if n == 1 { "" } else { "s" }),
        );
        err.problems = e.problems;
        err
    }

    /// 503: the store failed. `what` (which operation, which key, the
    /// binding's error) is logged; the body says only that it failed.
    pub fn store_unavailable(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(503, "STORE_UNAVAILABLE", "the flag store is unavailable; retry later")
            .header("Retry-After", "5")
            .log(what)
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        let mut err = vec![
            ("code".to_string(), Value::String(self.code.to_string())),
            ("message".to_string(), Value::String(self.message.to_string())),
        ];
        if !self.problems.is_empty() {
            err.push(("problems".to_string(), edgeflags::Problem::list_value(&self.problems)));
        }
        let mut top = vec![("error".to_string(), Value::Object(err))];
        top.extend(self.extra.iter().cloned());
        Value::Object(top).to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape() {
        let e = ApiError::invalid_ruleset(LoadError {
            problems: vec![
                Problem { path: "flags.a".into(), message: "bad".into() },
                Problem { path: "".into(), message: "worse".into() },
            ],
        });
        assert_eq!(e.status, 422);
        let v = Value::parse(&e.to_json()).unwrap();
        let err = v.get("error").unwrap();
        assert_eq!(err.get("code").and_then(Value::as_str), Some("INVALID_RULESET"));
        let Some(Value::Array(p)) = err.get("problems") else { panic!("no problems") };
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].get("path").and_then(Value::as_str), Some("flags.a"));
        let e = ApiError::method_not_allowed("DELETE", "GET, PUT").with("x", Value::Bool(true));
        assert_eq!(e.headers, vec![("Allow", "GET, PUT".to_string())]);
        assert_eq!(Value::parse(&e.to_json()).unwrap().get("x"), Some(&Value::Bool(true)));
    }

    #[test]
    fn internals_stay_out_of_bodies() {
        let secret = "ruleset/v/0000000007: JsValue(Error: Network connection lost at index.js:12:3)";
        for e in [ApiError::store_unavailable(secret), ApiError::internal(secret)] {
            let body = e.to_json();
            assert!(!body.contains("ruleset/v"), "{body}");
            assert!(!body.contains("JsValue"), "{body}");
            assert!(!body.contains("index.js"), "{body}");
            assert_eq!(e.internal.as_deref().map(String::as_str), Some(secret));
        }
    }
}
