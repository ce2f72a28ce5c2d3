//! The evaluate endpoints and the ruleset read: `GET|POST /v1/flags`,
//! `GET|POST /v1/flags/{key}`, `GET /v1/ruleset`, `GET /v1/status`.
//! Evaluation reads the isolate's compiled ruleset only; nothing is parsed
//! per request except the caller's own context.

use edgeflags::{Context, ErrorCode, Evaluation, Value};

use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state::{self, Loaded, Snapshot};
use crate::body::{self, EvalBody, MAX_REQUEST_BYTES};
use crate::config::Config;
use crate::errors::ApiError;
use crate::json::write_string;
use crate::requester::{self, Facts};

/// Longest `X-Active-Flags` header value; past it the list is cut and
/// `X-Active-Flags-Truncated: true` is set (proxies limit header sizes).
pub const MAX_ACTIVE_FLAGS_HEADER: usize = 8 * 1024;

/// `GET|POST /v1/flags[/{key}]`.
pub async fn evaluate(req: &Incoming, store: &Store, cfg: &Config, key: Option<&str>) -> Result<Reply, ApiError> {
    let now = http::now_ms();
    let mut input = if req.method == "POST" {
        let text = body::utf8(http::read_body(req, MAX_REQUEST_BYTES).await?)?;
        body::eval_body(&text, key.is_some())?
    } else {
        let default = req.query_pairs().find(|(k, _)| k == "default").map(|(_, v)| body::query_default(&v));
        let pairs = req.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned()));
        let reserved: &[&str] = if key.is_some() { &["default"] } else { &[] };
        EvalBody { context: requester::from_query(pairs, reserved)?, default, defaults: Vec::new() }
    };
    let snap = state::current(store, cfg, now).await;
    complete(req, cfg, &snap, &mut input.context)?;
    let Some(loaded) = &snap.loaded else { return Err(not_ready(&snap, key, &input)) };
    let (rs, t) = (&*loaded.rs, now as i64);
    let null = Value::Null;
    let mut body = String::with_capacity(64 + 96 * rs.len());
    let (status, active) = match key {
        Some(key) => {
            let default = input.default.as_ref().unwrap_or(&null);
            let e = rs.evaluate(key, &input.context, t, default);
            body.push_str("{\"key\":");
            write_string(key, &mut body);
            body.push_str(",\"version\":");
            body.push_str(&loaded.version.to_string());
            body.push(',');
            write_members(&e, &mut body);
            let status = if e.error_code == Some(ErrorCode::FlagNotFound) {
                body.push_str(",\"error\":");
                error_member("FLAG_NOT_FOUND", &format!("no flag \"{key}\" in the ruleset")).write_json(&mut body);
                404
            } else {
                200
            };
            body.push('}');
            let active = if active_flag(&e) { vec![key] } else { vec![] };
            (status, active_header(&active))
        }
        None => {
            body.push_str("{\"version\":");
            body.push_str(&loaded.version.to_string());
            body.push_str(",\"flags\":");
            let active = evaluate_all(loaded, &input.context, t, &input.defaults, &mut body);
            body.push('}');
            (200, active)
        }
    };
    let mut r = Reply::json(status, body)
        .with("Cache-Control", "private, no-store")
        .with("X-Edgeflags-Version", loaded.version.to_string())
        .with("X-Active-Flags", active.0);
    if active.1 {
        r.set("X-Active-Flags-Truncated", "true");
    }
    if let Some(s) = snap.stale() {
        r.set("X-Edgeflags-Stale", s);
    }
    Ok(r)
}

/// Fills in what the caller did not give: `user_id` from the header or
/// cookies (read only when the context has none), and the `request.cf`
/// attributes the ruleset reads (`request.cf` is read only when one of
/// them is missing: in workerd it is the costliest property of a request).
fn complete(req: &Incoming, cfg: &Config, snap: &Snapshot, ctx: &mut Context) -> Result<(), ApiError> {
    let known = ctx.unit("user_id").is_some();
    let (user_header, cookies) = if known { (None, None) } else { (req.header("X-User-Id"), req.header("Cookie")) };
    let cf_fields = snap.loaded.as_ref().map_or(&[][..], |l| &l.cf_fields[..]);
    let missing = cf_fields.iter().filter(|(attr, _)| ctx.get(attr).is_none());
    let facts = Facts {
        user_header: user_header.as_deref(),
        cookies: cookies.as_deref(),
        cf: http::cf_attributes(req, missing),
    };
    requester::complete(ctx, &facts, &cfg.user_cookie, &cfg.anon_cookie, None).map(|_| ())
}

/// Writes the `flags` object of evaluate-all into `out`; returns the
/// `X-Active-Flags` value. A flag without a caller's default is written
/// from its pre-escaped member start ([`Loaded::members`]).
fn evaluate_all(
    loaded: &Loaded,
    ctx: &Context,
    now: i64,
    defaults: &[(String, Value)],
    out: &mut String,
) -> (String, bool) {
    let rs = &*loaded.rs;
    let mut active = Vec::new();
    out.push('{');
    // Members are separated by a comma: any but the first follows a `}`.
    let member = |key: &str, e: &Evaluation<'_>, out: &mut String| {
        if out.ends_with('}') {
            out.push(',');
        }
        write_string(key, out);
        out.push_str(":{");
        write_members(e, out);
        out.push('}');
    };
    for &(id, ref heads) in loaded.members.iter() {
        let Some(flag) = rs.flags().get(id.index()) else { continue };
        let key = flag.key();
        if let Some((_, d)) = defaults.iter().find(|(k, _)| k == key) {
            let e = rs.evaluate(key, ctx, now, d);
            if active_flag(&e) {
                active.push(key);
            }
            member(key, &e, out);
            continue;
        }
        let r = rs.resolve(id, ctx, now);
        let e = rs.evaluation(id, r);
        let Some(head) = heads.get(r.variant as usize).filter(|_| e.error_code.is_none()) else {
            member(key, &e, out);
            continue;
        };
        if active_flag(&e) {
            active.push(key);
        }
        if out.ends_with('}') {
            out.push(',');
        }
        out.push_str(head);
        out.push_str(e.reason.as_str());
        out.push('"');
        if let Some(rule) = e.rule_id {
            out.push_str(",\"ruleId\":");
            write_string(rule, out);
        }
        out.push('}');
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
            member(k, &e, out);
        }
    }
    out.push('}');
    active_header(&active)
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

/// The members `value`, `variant`, `reason`, and `ruleId`/`errorCode`
/// when set, written straight into `out` (no object is built).
fn write_members(e: &Evaluation<'_>, out: &mut String) {
    out.push_str("\"value\":");
    e.value.write_json(out);
    if let Some(v) = e.variant {
        out.push_str(",\"variant\":");
        write_string(v, out);
    }
    out.push_str(",\"reason\":\"");
    out.push_str(e.reason.as_str());
    out.push('"');
    if let Some(r) = e.rule_id {
        out.push_str(",\"ruleId\":");
        write_string(r, out);
    }
    if let Some(c) = e.error_code {
        out.push_str(",\"errorCode\":\"");
        out.push_str(c.as_str());
        out.push('"');
    }
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
pub async fn get_ruleset(req: &Incoming, store: &Store, cfg: &Config) -> Result<Reply, ApiError> {
    let snap = state::current(store, cfg, http::now_ms()).await;
    let Some(loaded) = &snap.loaded else {
        let (kind, why) =
            snap.trouble.as_ref().map_or(("missing", "no ruleset loaded"), |(t, m)| (t.as_str(), m.as_str()));
        return Err(ApiError::new(503, ErrorCode::ProviderNotReady.as_str(), format!("no ruleset ({kind}): {why}"))
            .header("Retry-After", "5")
            .with("status", Value::String(kind.into())));
    };
    let etag = body::etag(loaded.version);
    let r = if body::none_match(req.header("If-None-Match").as_deref(), loaded.version) {
        Reply::empty(304)
    } else {
        Reply::json(200, loaded.doc.to_string())
    };
    let mut r =
        r.with("ETag", etag).with("Cache-Control", "no-cache").with("X-Edgeflags-Version", loaded.version.to_string());
    if let Some(s) = snap.stale() {
        r.set("X-Edgeflags-Stale", s);
    }
    Ok(r)
}

/// `GET /v1/status`: is a ruleset loaded, which version, is it stale, how
/// many times this isolate compiled one. 503 when nothing is loaded.
pub async fn status(store: &Store, cfg: &Config) -> Result<Reply, ApiError> {
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
    Ok(Reply::json(if l.is_some() { 200 } else { 503 }, body.to_json()).with("Cache-Control", "no-store"))
}
