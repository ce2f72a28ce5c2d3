//! The evaluate endpoints and the ruleset read: `GET|POST /v1/flags`,
//! `GET|POST /v1/flags/{key}`, `GET /v1/ruleset`, `GET /v1/status`.
//! Evaluation reads the isolate's compiled ruleset only; nothing is parsed
//! per request except the caller's own context.

use edgeflags::{Context, ErrorCode, Evaluation, Overrides, Ruleset, Value};

use super::events::Recorder;
use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state::{self, Snapshot};
use crate::answer;
use crate::auth::{Caller, Privilege};
use crate::body::{self, EvalBody, MAX_REQUEST_BYTES};
use crate::config::Config;
use crate::errors::ApiError;
use crate::requester::{self, Facts};

/// Longest `X-Active-Flags` header value; past it the list is cut and
/// `X-Active-Flags-Truncated: true` is set (proxies limit header sizes).
pub const MAX_ACTIVE_FLAGS_HEADER: usize = 8 * 1024;

/// `GET|POST /v1/flags[/{key}]`.
pub async fn evaluate(
    req: &Incoming,
    store: &Store,
    cfg: &Config,
    caller: &Caller,
    key: Option<&str>,
    rec: &Recorder,
) -> Result<Reply, ApiError> {
    let now = http::now_ms();
    let mut input = if req.method == "POST" {
        let text = body::utf8(http::read_body(req, MAX_REQUEST_BYTES).await?)?;
        body::eval_body(&text, key.is_some())?
    } else {
        let default = req.query_pairs().find(|(k, _)| k == "default").map(|(_, v)| body::query_default(&v));
        let pairs = req.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned()));
        let reserved: &[&str] = if key.is_some() { &["default"] } else { &[] };
        EvalBody { context: requester::from_query(pairs, reserved)?, default, defaults: Vec::new(), at: None }
    };
    let snap = state::current(store, cfg, now).await;
    complete(req, cfg, &snap, &mut input.context)?;
    let Some(loaded) = &snap.loaded else { return Err(not_ready(&snap, key, &input)) };
    // The clock, unless the caller asked for another time (`at`): only the
    // evaluation moves, revalidation above still runs on the clock.
    let (rs, ctx, t) = (&*loaded.rs, &input.context, input.at.unwrap_or(now as i64));
    // Server-only flags (`"client": false`) exist only for callers with a
    // server key or an admin token; everyone else gets FLAG_NOT_FOUND, as
    // for a flag the ruleset lacks.
    let hidden = |k: &str| !caller.sees_server_flags() && rs.flag(k).is_some_and(|f| !f.client());
    let (status, body, active) = match key {
        Some(key) => {
            let default = input.default.as_ref().unwrap_or(&Value::Null);
            let e = if hidden(key) {
                Evaluation::error(default, ErrorCode::FlagNotFound)
            } else {
                rs.evaluate(key, ctx, t, default)
            };
            let status = if e.error_code == Some(ErrorCode::FlagNotFound) { 404 } else { 200 };
            // An answer served (not one asked about another time, `at`) is
            // an exposure when the flag's experiment assigned it.
            if e.error_code.is_none() && input.at.is_none() {
                rec.served(rs, ctx, t, loaded.version, [key]);
                if let Some(v) = e.variant {
                    rec.used(key, v, t);
                }
            }
            let on = [key];
            let on = if !hidden(key) && rs.is_enabled(key, ctx, t, &Overrides::default()) { &on[..] } else { &[] };
            (status, answer::one(key, loaded.version, &e), active_header(on))
        }
        None => {
            let (results, active) = evaluate_all(rs, ctx, t, &input.defaults, &hidden);
            if input.at.is_none() {
                let served = results.iter().filter(|(_, e)| e.error_code.is_none()).map(|(k, _)| *k);
                rec.served(rs, ctx, t, loaded.version, served);
                for (k, e) in &results {
                    if let (None, Some(v)) = (e.error_code, e.variant) {
                        rec.used(k, v, t);
                    }
                }
            }
            (200, answer::all(loaded.version, &results), active)
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

/// Every flag of the ruleset in document order (with the caller's default
/// where one is given), then each default naming a flag the ruleset lacks
/// (`FLAG_NOT_FOUND`, from the core like any result); and the
/// `X-Active-Flags` value. A flag is active when what it serves is truthy,
/// whatever the caller's default ([`edgeflags::Ruleset::is_enabled`]: the
/// resolution without a default, whose truthiness is taken here so each
/// flag is resolved once when it has no default).
fn evaluate_all<'a>(
    rs: &'a Ruleset,
    ctx: &Context,
    now: i64,
    defaults: &'a [(String, Value)],
    hidden: &dyn Fn(&str) -> bool,
) -> (Vec<(&'a str, Evaluation<'a>)>, (String, bool)) {
    let mut results = rs.evaluate_all(ctx, now);
    results.retain(|(k, _)| !hidden(k));
    let mut active = Vec::new();
    for (key, e) in results.iter_mut() {
        if e.is_truthy() {
            active.push(*key);
        }
        if let Some((_, d)) = defaults.iter().find(|(k, _)| k == key) {
            *e = rs.evaluate(key, ctx, now, d);
        }
    }
    for (k, d) in defaults {
        if rs.flag_id(k).is_none() || hidden(k) {
            results.push((k, Evaluation::error(d, ErrorCode::FlagNotFound)));
        }
    }
    let active = active_header(&active);
    (results, active)
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

/// 503 `PROVIDER_NOT_READY`, carrying the callers' defaults as
/// evaluations so a client can use the body as is.
fn not_ready(snap: &Snapshot, key: Option<&str>, input: &EvalBody) -> ApiError {
    let mut e = no_ruleset(snap, "no ruleset to evaluate");
    match key {
        Some(k) => {
            e = e.with("key", Value::String(k.into()));
            for (name, v) in answer::not_ready(input.default.as_ref().unwrap_or(&Value::Null)) {
                e = e.with(&name, v);
            }
        }
        None => {
            let flags = input.defaults.iter().map(|(k, v)| (k.clone(), Value::Object(answer::not_ready(v)))).collect();
            e = e.with("flags", Value::Object(flags));
        }
    }
    e
}

/// 503 `PROVIDER_NOT_READY`: the kind of trouble (`missing`, `corrupt`,
/// `unreachable`) is public, its detail (KV keys, parser messages) is
/// logged.
fn no_ruleset(snap: &Snapshot, what: &str) -> ApiError {
    let (kind, why) = snap.trouble.as_ref().map_or(("missing", "no ruleset loaded"), |(t, m)| (t.as_str(), m.as_str()));
    ApiError::new(503, ErrorCode::ProviderNotReady.as_str(), format!("{what} ({kind}); retry later"))
        .header("Retry-After", "5")
        .with("status", Value::String(kind.into()))
        .log(why)
}

/// `GET /v1/ruleset`: the client view of the current version
/// ([`edgeflags::client::client_view`]: server-only flags, routes and
/// metadata removed, user lists and sensitive values hashed), `ETag:
/// "<version>"`, 304 on a matching `If-None-Match`. The full document is
/// the management API's (`GET /v1/versions/current`).
pub async fn get_ruleset(req: &Incoming, store: &Store, cfg: &Config) -> Result<Reply, ApiError> {
    let snap = state::current(store, cfg, http::now_ms()).await;
    let Some(loaded) = &snap.loaded else { return Err(no_ruleset(&snap, "no ruleset")) };
    let etag = body::etag(loaded.version);
    let r = if body::none_match(req.header("If-None-Match").as_deref(), loaded.version) {
        Reply::empty(304)
    } else {
        Reply::json(200, client_view(loaded, cfg)?.to_string())
    };
    let mut r =
        r.with("ETag", etag).with("Cache-Control", "no-cache").with("X-Edgeflags-Version", loaded.version.to_string());
    if let Some(s) = snap.stale() {
        r.set("X-Edgeflags-Stale", s);
    }
    Ok(r)
}

thread_local! {
    // The client view of the isolate's current version, made once per
    // version (a browser poll with a stale ETag would otherwise redo it).
    static CLIENT_VIEW: std::cell::RefCell<Option<(u64, std::rc::Rc<str>)>> = const { std::cell::RefCell::new(None) };
}

/// The client view's JSON text for `loaded`, cached per version.
fn client_view(loaded: &state::Loaded, cfg: &Config) -> Result<std::rc::Rc<str>, ApiError> {
    if let Some(text) =
        CLIENT_VIEW.with(|c| c.borrow().as_ref().filter(|(v, _)| *v == loaded.version).map(|(_, t)| t.clone()))
    {
        return Ok(text);
    }
    let doc =
        Value::parse(&loaded.doc).map_err(|e| ApiError::internal(format!("stored version {}: {e}", loaded.version)))?;
    let view = edgeflags::client::client_view(&doc, &cfg.client_view_salt(loaded.version))
        .map_err(|e| ApiError::internal(format!("client view of version {}: {e}", loaded.version)))?;
    let text: std::rc::Rc<str> = view.to_json().into();
    CLIENT_VIEW.with(|c| *c.borrow_mut() = Some((loaded.version, text.clone())));
    Ok(text)
}

/// `GET /v1/status`: is a ruleset loaded, which version, is it stale. 503
/// when nothing is loaded. An admin token also gets the isolate's details
/// (flag and route counts, the last problem's text, compiles, when KV was
/// checked); nobody else sees them.
pub async fn status(store: &Store, cfg: &Config, caller: &Caller) -> Result<Reply, ApiError> {
    let snap = state::current(store, cfg, http::now_ms()).await;
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    let l = snap.loaded.as_ref();
    let mut body = vec![
        ("ready".into(), Value::Bool(l.is_some())),
        ("version".into(), opt(l.map(|l| num(l.version)))),
        ("stale".into(), opt(snap.stale().map(|s| Value::String(s.into())))),
    ];
    if caller.privilege == Privilege::Admin {
        let stats = state::stats();
        body.extend([
            ("flags".into(), opt(l.map(|l| num(l.rs.len() as u64)))),
            ("routes".into(), opt(l.map(|l| num(l.rs.routes().len() as u64)))),
            ("problem".into(), opt(snap.trouble.as_ref().map(|(_, m)| Value::String(m.clone())))),
            ("compiles".into(), num(stats.compiles)),
            (
                "checkedAt".into(),
                opt(stats.checked_at.map(|t| Value::String(edgeflags::time::format_rfc3339(t as i64)))),
            ),
            ("revalidateSeconds".into(), num(cfg.revalidate_ms / 1000)),
            ("dashboardHost".into(), opt(cfg.dashboard_host.clone().map(Value::String))),
        ]);
    }
    let body = Value::Object(body);
    Ok(Reply::json(if l.is_some() { 200 } else { 503 }, body.to_json()).with("Cache-Control", "no-store"))
}
