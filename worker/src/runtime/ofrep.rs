//! The OFREP endpoints' I/O: `POST /ofrep/v1/evaluate/flags[/{key}]`.
//! Every decision (routes, bodies, errors, the ETag) is [`crate::ofrep`]'s;
//! this reads the request, the isolate's ruleset and `request.cf`, and
//! writes the answer.

use edgeflags::{Context, ErrorCode, Evaluation, Value};
use worker::Env;

use super::events::Recorder;
use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state::{self, Loaded};
use crate::auth::{self, Caller, Denied};
use crate::body::{self, MAX_REQUEST_BYTES};
use crate::config::Config;
use crate::ofrep::{self, Call, Failure, Metadata, View};
use crate::requester::{self, Facts};

/// Answers a request to an OFREP path (CORS headers are added by the caller).
pub async fn serve(req: &Incoming, env: &Env, cfg: &Config, rec: &Recorder) -> Reply {
    let call = match ofrep::route(&req.method, req.path()) {
        Ok(Call::Preflight) => return Reply::empty(204).with("Allow", ofrep::ALLOW),
        Ok(call) => call,
        Err(f) => return failure(&f),
    };
    let key = match &call {
        Call::One(k) => Some(k.as_str()),
        _ => None,
    };
    match evaluate(req, env, cfg, key, rec).await {
        Ok(r) => r,
        Err(f) => failure(&match key {
            Some(k) if f.key.is_none() && f.status != 401 && f.status != 403 => f.for_key(k),
            _ => f,
        }),
    }
}

fn failure(f: &Failure) -> Reply {
    let mut r = match f.body() {
        Some(b) => Reply::json(f.status, b),
        None => Reply::empty(f.status),
    };
    for (k, v) in &f.headers {
        r.set(k, v.clone());
    }
    r.with("Cache-Control", "no-store")
}

/// The Worker's own errors as OFREP failures; their internal detail is
/// logged here.
fn api(e: crate::errors::ApiError) -> Failure {
    if let Some(detail) = &e.internal {
        worker::console_error!("{} {}: {}", e.status, e.code, detail);
    }
    Failure::from_api(&e)
}

/// The caller, by `Authorization: Bearer` or `X-API-Key`, with the keys
/// and privileges of the `/v1` read endpoints.
fn caller(req: &Incoming, cfg: &Config) -> Result<Caller, Failure> {
    let cred = ofrep::credential(req.header("Authorization").as_deref(), req.header("X-API-Key").as_deref());
    auth::authorize(false, &cfg.admin, &cfg.server, &cfg.read, cred.as_deref()).map_err(|d| match d {
        Denied::Missing => Failure::unauthorized(),
        Denied::Wrong | Denied::AdminDisabled => Failure::forbidden(),
    })
}

async fn evaluate(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    key: Option<&str>,
    rec: &Recorder,
) -> Result<Reply, Failure> {
    let store = Store::open(env).map_err(api)?;
    let caller = caller(req, cfg)?;
    let text = body::utf8(http::read_body(req, MAX_REQUEST_BYTES).await.map_err(api)?).map_err(api)?;
    let mut input = ofrep::request(&text)?;
    let now = http::now_ms();
    let snap = state::current(&store, cfg, now).await;
    let Some(loaded) = &snap.loaded else {
        let (kind, why) =
            snap.trouble.as_ref().map_or(("missing", "no ruleset loaded"), |(t, m)| (t.as_str(), m.as_str()));
        worker::console_error!("OFREP: no ruleset: {why}");
        return Err(Failure::new(
            500,
            ErrorCode::ProviderNotReady,
            format!("no ruleset to evaluate ({kind}); retry later"),
        )
        .header("Retry-After", "5"));
    };
    if key.is_none() {
        complete(req, loaded, &mut input.context)?;
    }
    let view = View { version: loaded.version, server: caller.sees_server_flags() };
    let t = input.at.unwrap_or(now as i64);
    // Usage counts only served answers (not one asked about another time).
    let used = |k: &str, e: &Evaluation<'_>| {
        if let (None, Some(v), None) = (e.error_code, e.variant, input.at) {
            rec.used(k, v, t);
        }
    };
    let mut r = match key {
        Some(key) => one(loaded, view, &input.context, t, key, &used)?,
        None => bulk(req, loaded, view, &input.context, t, &used),
    };
    // Served answers (not a 304, not one asked about another time) are
    // exposures when an experiment's split assigned them.
    if r.status() == 200 && input.at.is_none() {
        let rs = &*loaded.rs;
        let visible = |k: &&str| rs.flag(k).is_some_and(|f| view.server || f.client());
        match key {
            Some(k) => rec.served(rs, &input.context, t, loaded.version, Some(k).filter(visible)),
            None => rec.served(rs, &input.context, t, loaded.version, rs.experiments().filter(visible)),
        }
    }
    r.set("Cache-Control", "private, no-store");
    r.set("X-Edgeflags-Version", loaded.version.to_string());
    if let Some(s) = snap.stale() {
        r.set("X-Edgeflags-Stale", s);
    }
    Ok(r)
}

/// Fills in the `request.cf` attributes the ruleset reads and the caller
/// did not give, as the `/v1` endpoints do, for the bulk endpoint only:
/// the spec's endpoint for client-side (browser) providers, whose
/// `request.cf` describes the user. The single-flag endpoint is the
/// server-side providers': their `request.cf` describes the server that
/// calls, not its user, so their context is taken as sent. Never
/// `user_id` from the `X-User-Id` header or cookies: an OpenFeature
/// client sends its context, and `targetingKey` is the unit.
fn complete(req: &Incoming, loaded: &Loaded, ctx: &mut Context) -> Result<(), Failure> {
    let missing = loaded.cf_fields.iter().filter(|(attr, _)| ctx.get(attr).is_none());
    let facts = Facts { user_header: None, cookies: None, cf: http::cf_attributes(req, missing) };
    requester::complete(ctx, &facts, "", "", None).map(|_| ()).map_err(api)
}

fn one(
    loaded: &Loaded,
    view: View,
    ctx: &Context,
    t: i64,
    key: &str,
    used: &dyn Fn(&str, &Evaluation<'_>),
) -> Result<Reply, Failure> {
    let rs = &*loaded.rs;
    // Server-only flags exist only for the SERVER_KEY and admin tokens,
    // exactly as on /v1: anyone else hears FLAG_NOT_FOUND.
    let flag = rs.flag(key).filter(|f| view.server || f.client());
    let e = match flag {
        Some(_) => rs.evaluate(key, ctx, t, &Value::Null),
        None => Evaluation::error(&Value::Null, ErrorCode::FlagNotFound),
    };
    used(key, &e);
    let meta = Metadata::of(view, flag, &e);
    Ok(Reply::json(200, ofrep::one(key, &e, &meta)?))
}

fn bulk(
    req: &Incoming,
    loaded: &Loaded,
    view: View,
    ctx: &Context,
    t: i64,
    used: &dyn Fn(&str, &Evaluation<'_>),
) -> Reply {
    let rs = &*loaded.rs;
    let visible = |k: &str| rs.flag(k).is_some_and(|f| view.server || f.client());
    // The ETag first: only the flags whose answer moves with time are
    // evaluated for it.
    let timed: Vec<(&str, Evaluation<'_>)> = rs
        .flags()
        .iter()
        .filter(|f| (view.server || f.client()) && rs.flag_id(f.key()).is_some_and(|id| rs.depends_on_time(id)))
        .map(|f| (f.key(), rs.evaluate(f.key(), ctx, t, &Value::Null)))
        .collect();
    let etag = ofrep::etag(view, ctx, &timed);
    if ofrep::none_match(req.header("If-None-Match").as_deref(), &etag) {
        return Reply::empty(304).with("ETag", etag);
    }
    let mut results = rs.evaluate_all(ctx, t);
    results.retain(|(k, _)| visible(k));
    let items: Vec<_> = results
        .into_iter()
        .map(|(k, e)| {
            used(k, &e);
            let meta = Metadata::of(view, rs.flag(k), &e);
            (k, e, meta)
        })
        .collect();
    Reply::json(200, ofrep::bulk(view.version, &items)).with("ETag", etag)
}
