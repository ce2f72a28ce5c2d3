//! The evaluate endpoints and the ruleset read: `GET|POST /v1/flags`,
//! `GET|POST /v1/flags/{key}`, `GET /v1/ruleset`, `GET /v1/status`.
//! Evaluation reads the isolate's compiled ruleset only; nothing is parsed
//! per request except the caller's own context.

use edgeflags::{Context, ErrorCode, Evaluation, Ruleset, Value};
use worker::{Request, Response};

use super::http::{self, header};
use super::kv::Store;
use super::state::{self, Snapshot};
use crate::body::{self, EvalBody, MAX_REQUEST_BYTES};
use crate::config::Config;
use crate::errors::ApiError;
use crate::requester::{self, Facts};

/// Longest `X-Active-Flags` header value; past it the list is cut and
/// `X-Active-Flags-Truncated: true` is set (proxies limit header sizes).
pub const MAX_ACTIVE_FLAGS_HEADER: usize = 8 * 1024;

/// `GET|POST /v1/flags[/{key}]`.
pub async fn evaluate(mut req: Request, store: &Store, cfg: &Config, key: Option<&str>) -> Result<Response, ApiError> {
    let now = http::now_ms();
    let mut input = if req.inner().method() == "POST" {
        let text = body::utf8(http::read_body(&mut req, MAX_REQUEST_BYTES).await?)?;
        body::eval_body(&text, key.is_some())?
    } else {
        let url = req.url()?;
        let default = url.query_pairs().find(|(k, _)| k == "default").map(|(_, v)| body::query_default(&v));
        let pairs = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned()));
        let reserved: &[&str] = if key.is_some() { &["default"] } else { &[] };
        EvalBody { context: requester::from_query(pairs, reserved)?, default, defaults: Vec::new() }
    };
    let (user_header, cookies) = (header(&req, "X-User-Id"), header(&req, "Cookie"));
    let facts =
        Facts { user_header: user_header.as_deref(), cookies: cookies.as_deref(), cf: http::cf_attributes(&req) };
    requester::complete(&mut input.context, &facts, &cfg.user_cookie, &cfg.anon_cookie, None)?;

    let snap = state::current(store, cfg, now).await;
    let Some(loaded) = &snap.loaded else { return Err(not_ready(&snap, key, &input)) };
    let (rs, t) = (&*loaded.rs, now as i64);
    let null = Value::Null;
    let (status, body, active) = match key {
        Some(key) => {
            let default = input.default.as_ref().unwrap_or(&null);
            let e = rs.evaluate(key, &input.context, t, default);
            let mut m =
                vec![("key".to_string(), Value::String(key.to_string())), ("version".into(), num(loaded.version))];
            m.extend(evaluation_members(&e));
            let status = if e.error_code == Some(ErrorCode::FlagNotFound) {
                m.push(("error".into(), error_member("FLAG_NOT_FOUND", &format!("no flag \"{key}\" in the ruleset"))));
                404
            } else {
                200
            };
            let active = if active_flag(&e) { vec![key] } else { vec![] };
            (status, Value::Object(m).to_json(), active_header(&active))
        }
        None => {
            let (flags, active) = evaluate_all(rs, &input.context, t, &input.defaults);
            let body = Value::Object(vec![("version".into(), num(loaded.version)), ("flags".into(), flags)]);
            (200, body.to_json(), active)
        }
    };
    let mut r = http::json(status, body)?;
    let h = r.headers_mut();
    h.set("Cache-Control", "private, no-store")?;
    h.set("X-Edgeflags-Version", &loaded.version.to_string())?;
    h.set("X-Active-Flags", &active.0)?;
    if active.1 {
        h.set("X-Active-Flags-Truncated", "true")?;
    }
    if let Some(s) = snap.stale() {
        h.set("X-Edgeflags-Stale", s)?;
    }
    Ok(r)
}

fn evaluate_all(rs: &Ruleset, ctx: &Context, now: i64, defaults: &[(String, Value)]) -> (Value, (String, bool)) {
    let mut members = Vec::with_capacity(rs.len());
    let mut active = Vec::new();
    for flag in rs.flags() {
        let key = flag.key();
        let e = match defaults.iter().find(|(k, _)| k == key) {
            Some((_, d)) => rs.evaluate(key, ctx, now, d),
            None => match rs.flag_id(key) {
                Some(id) => rs.evaluation(id, rs.resolve(id, ctx, now)),
                None => continue,
            },
        };
        if active_flag(&e) {
            active.push(key);
        }
        members.push((key.to_string(), Value::Object(evaluation_members(&e))));
    }
    // Defaults for flags the ruleset does not have: the caller's value, FLAG_NOT_FOUND.
    for (k, d) in defaults {
        if rs.flag_id(k).is_none() {
            let e = Evaluation {
                value: d,
                variant: None,
                reason: edgeflags::Reason::Error,
                rule_id: None,
                error_code: Some(ErrorCode::FlagNotFound),
            };
            members.push((k.clone(), Value::Object(evaluation_members(&e))));
        }
    }
    (Value::Object(members), active_header(&active))
}

fn active_flag(e: &Evaluation<'_>) -> bool {
    e.error_code.is_none() && e.is_truthy()
}

/// The `X-Active-Flags` value (keys serving truthy values, as in the
/// seeds' middleware) and whether it was cut at [`MAX_ACTIVE_FLAGS_HEADER`].
fn active_header(keys: &[&str]) -> (String, bool) {
    let mut out = String::new();
    for k in keys {
        // Header values must be visible ASCII; keys that are not are left out.
        if !k.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b',') {
            continue;
        }
        if out.len() + k.len() + 1 > MAX_ACTIVE_FLAGS_HEADER {
            return (out, true);
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(k);
    }
    (out, false)
}

fn num(n: u64) -> Value {
    Value::Number(n as f64)
}

fn error_member(code: &str, message: &str) -> Value {
    Value::Object(vec![("code".into(), Value::String(code.into())), ("message".into(), Value::String(message.into()))])
}

/// `value`, `variant`, `reason`, and `ruleId`/`errorCode` when set.
pub fn evaluation_members(e: &Evaluation<'_>) -> Vec<(String, Value)> {
    let mut m = vec![("value".to_string(), e.value.clone())];
    if let Some(v) = e.variant {
        m.push(("variant".into(), Value::String(v.into())));
    }
    m.push(("reason".into(), Value::String(e.reason.as_str().into())));
    if let Some(r) = e.rule_id {
        m.push(("ruleId".into(), Value::String(r.into())));
    }
    if let Some(c) = e.error_code {
        m.push(("errorCode".into(), Value::String(c.as_str().into())));
    }
    m
}

/// 503 `PROVIDER_NOT_READY`, carrying the callers' defaults as
/// evaluations so a client can use the body as is.
fn not_ready(snap: &Snapshot, key: Option<&str>, input: &EvalBody) -> ApiError {
    let (kind, why) = snap.trouble.as_ref().map_or(("missing", "no ruleset loaded"), |(t, m)| (t.as_str(), m.as_str()));
    let not_ready = |v: &Value| {
        vec![
            ("value".to_string(), v.clone()),
            ("reason".into(), Value::String("ERROR".into())),
            ("errorCode".into(), Value::String(ErrorCode::ProviderNotReady.as_str().into())),
        ]
    };
    let mut e =
        ApiError::new(503, ErrorCode::ProviderNotReady.as_str(), format!("no ruleset to evaluate ({kind}): {why}"))
            .header("Retry-After", "5")
            .with("status", Value::String(kind.into()));
    match key {
        Some(k) => {
            e = e.with("key", Value::String(k.into()));
            for (name, v) in not_ready(input.default.as_ref().unwrap_or(&Value::Null)) {
                e = e.with(&name, v);
            }
        }
        None => {
            let flags = input.defaults.iter().map(|(k, v)| (k.clone(), Value::Object(not_ready(v)))).collect();
            e = e.with("flags", Value::Object(flags));
        }
    }
    e
}

/// `GET /v1/ruleset`: the current document, `ETag: "<version>"`, 304 on a
/// matching `If-None-Match`.
pub async fn get_ruleset(req: &Request, store: &Store, cfg: &Config) -> Result<Response, ApiError> {
    let snap = state::current(store, cfg, http::now_ms()).await;
    let Some(loaded) = &snap.loaded else {
        let (kind, why) =
            snap.trouble.as_ref().map_or(("missing", "no ruleset loaded"), |(t, m)| (t.as_str(), m.as_str()));
        return Err(ApiError::new(503, ErrorCode::ProviderNotReady.as_str(), format!("no ruleset ({kind}): {why}"))
            .header("Retry-After", "5")
            .with("status", Value::String(kind.into())));
    };
    let etag = body::etag(loaded.version);
    let mut r = if body::none_match(header(req, "If-None-Match").as_deref(), loaded.version) {
        Response::empty()?.with_status(304)
    } else {
        http::json(200, loaded.doc.to_string())?
    };
    let h = r.headers_mut();
    h.set("ETag", &etag)?;
    h.set("Cache-Control", "no-cache")?;
    h.set("X-Edgeflags-Version", &loaded.version.to_string())?;
    if let Some(s) = snap.stale() {
        h.set("X-Edgeflags-Stale", s)?;
    }
    Ok(r)
}

/// `GET /v1/status`: is a ruleset loaded, which version, is it stale, how
/// many times this isolate compiled one. 503 when nothing is loaded.
pub async fn status(store: &Store, cfg: &Config) -> Result<Response, ApiError> {
    let snap = state::current(store, cfg, http::now_ms()).await;
    let stats = state::stats();
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    let l = snap.loaded.as_ref();
    let body = Value::Object(vec![
        ("ready".into(), Value::Bool(l.is_some())),
        ("version".into(), opt(l.map(|l| num(l.version)))),
        ("flags".into(), opt(l.map(|l| num(l.rs.len() as u64)))),
        ("routes".into(), opt(l.map(|l| num(l.rs.routes().len() as u64)))),
        ("stale".into(), opt(snap.stale().map(|s| Value::String(s.into())))),
        ("problem".into(), opt(snap.trouble.as_ref().map(|(_, m)| Value::String(m.clone())))),
        ("compiles".into(), num(stats.compiles)),
        ("checkedAt".into(), opt(stats.checked_at.map(|t| Value::String(edgeflags::time::format_rfc3339(t as i64))))),
        ("revalidateSeconds".into(), num(cfg.revalidate_ms / 1000)),
    ]);
    let mut r = http::json(if l.is_some() { 200 } else { 503 }, body.to_json())?;
    r.headers_mut().set("Cache-Control", "no-store")?;
    Ok(r)
}
