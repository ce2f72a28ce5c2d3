//! The management API, Worker side: every change (`PUT /v1/ruleset`, flag
//! edits, rollback) and every admin read (`GET /v1/versions`,
//! `/v1/versions/{n}`, `/v1/versions/current`, `/v1/audit`) is forwarded
//! to the control object ([`super::control`]), the store's one writer;
//! the preview endpoint reads the current version from it too.
//!
//! The Worker keeps what does not need the store: auth (the token's label
//! travels to the object in an internal header the Worker sets itself) and
//! the body limits (the body is read here, so a 413 never reaches the
//! object). After a successful change the object's answer carries the new
//! document, which this isolate compiles and serves at once; other isolates
//! pick it up from KV when they revalidate.

use edgeflags::Ruleset;
use worker::{console_error, js_sys, web_sys, Env, Request};

use super::http::{self, Incoming, Reply};
use super::state::{self, Loaded};
use crate::api::Endpoint;
use crate::body::{MAX_REQUEST_BYTES, MAX_RULESET_UPLOAD_BYTES};
use crate::errors::ApiError;
use crate::store;

/// The object's answer headers passed on to the client.
const PASSED_HEADERS: &[&str] = &["ETag", "X-Edgeflags-Version", "Cache-Control", "Retry-After", "Allow"];

/// Forwards an admin endpoint to the control object and relays its answer.
pub async fn forward(req: &Incoming, env: &Env, label: &str, endpoint: &Endpoint) -> Result<Reply, ApiError> {
    let body = match endpoint {
        Endpoint::PutRuleset => Some(http::read_body(req, MAX_RULESET_UPLOAD_BYTES).await?),
        Endpoint::EditFlag(_) => Some(http::read_body(req, MAX_REQUEST_BYTES).await?),
        _ => None,
    };
    let conditions: Vec<(&str, String)> =
        ["If-Match", "If-None-Match"].into_iter().filter_map(|n| req.header(n).map(|v| (n, v))).collect();
    let path = match req.query() {
        Some(q) => format!("{}?{q}", req.path()),
        None => req.path().to_string(),
    };
    // HEAD is answered like GET (the runtime drops the body).
    let method = if req.method == "HEAD" { "GET" } else { &req.method };
    let mut res = send(env, label, method, &path, &conditions, body.as_deref()).await?;
    let status = res.status_code();
    let header = |name: &str| res.headers().get(name).ok().flatten();
    let passed: Vec<(&'static str, String)> =
        PASSED_HEADERS.iter().filter_map(|&n| header(n).map(|v| (n, v))).collect();
    let answer_bytes = header(store::ANSWER_BYTES_HEADER).and_then(|n| n.parse::<usize>().ok());
    let version = header("X-Edgeflags-Version").and_then(|v| v.parse::<u64>().ok());
    let bytes = res.bytes().await.map_err(|e| fail("answer", &e))?;
    let text = String::from_utf8(bytes).map_err(|e| fail("answer", &e))?;
    let answer = match answer_bytes.filter(|&n| text.is_char_boundary(n)) {
        Some(n) => {
            if let Some(v) = version {
                install(v, &text[n..]);
            }
            text[..n].to_string()
        }
        None => text,
    };
    let mut reply = if status == 304 { Reply::empty(304) } else { Reply::json(status, answer) };
    for (name, value) in passed {
        reply.set(name, value);
    }
    Ok(reply)
}

/// The current version's number and full document, from the store of
/// record (what `GET /v1/versions/current` answers); `None` before the
/// first version. The preview endpoint compares with it.
pub async fn current_document(env: &Env, label: &str) -> Result<Option<(u64, String)>, ApiError> {
    let mut res = send(env, label, "GET", "/v1/versions/current", &[], None).await?;
    match res.status_code() {
        404 => Ok(None),
        200 => {
            let version = res.headers().get("X-Edgeflags-Version").ok().flatten().and_then(|v| v.parse::<u64>().ok());
            let text = res.text().await.map_err(|e| fail("answer", &e))?;
            match version {
                Some(v) => Ok(Some((v, text))),
                None => Err(fail("answer", &"no X-Edgeflags-Version")),
            }
        }
        status => Err(fail("current version", &status)),
    }
}

/// A store failure: logged with its detail, answered as a 503.
fn fail(what: &str, e: &dyn std::fmt::Display) -> ApiError {
    console_error!("edgeflags: control object: {what}: {e}");
    ApiError::store_unavailable(
        "try again shortly (a change under way may have been applied: GET /v1/versions/current tells)",
    )
}

/// One request to the control object: `method` on `path` (and query),
/// the caller's label in the internal header, `extra` headers, a body.
async fn send(
    env: &Env,
    label: &str,
    method: &str,
    path: &str,
    extra: &[(&str, String)],
    body: Option<&[u8]>,
) -> Result<worker::Response, ApiError> {
    let stub = env
        .durable_object(store::CONTROL_BINDING)
        .and_then(|ns| ns.id_from_name(store::CONTROL_NAME)?.get_stub())
        .map_err(|e| fail("binding", &e))?;
    // The request is built from web_sys's types: the `worker` crate's
    // RequestInit brings its whole `cf` options converter into the wasm.
    let headers = web_sys::Headers::new().map_err(|e| fail("headers", &format!("{e:?}")))?;
    headers.set(store::BY_HEADER, &store::encode_label(label)).map_err(|e| fail("headers", &format!("{e:?}")))?;
    for (name, value) in extra {
        // A value the Headers API refuses cannot name a version anyway.
        let _ = headers.set(name, value);
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(b) = body {
        init.set_body(&js_sys::Uint8Array::from(b));
    }
    let request = web_sys::Request::new_with_str_and_init(&format!("https://control.internal{path}"), &init)
        .map(Request::from)
        .map_err(|e| fail("request", &format!("{e:?}")))?;
    stub.fetch_with_request(request).await.map_err(|e| fail("fetch", &e))
}

/// Serves a change this isolate made at once (KV may lag behind it).
fn install(version: u64, doc: &str) {
    if state::has(version) {
        return;
    }
    match Ruleset::from_json(doc) {
        Ok(rs) => state::install(Loaded::new(rs, doc.into(), version), http::now_ms()),
        Err(e) => console_error!("edgeflags: the committed version {version} does not compile here: {e}"),
    }
}
