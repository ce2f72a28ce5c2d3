//! The Worker's entry point: one `fetch` handler that matches the request
//! against the endpoint table, checks access, dispatches, and turns every
//! failure into a JSON error with its status. OFREP paths (`/ofrep/...`)
//! go to [`ofrep`]. CORS headers are added to every `/v1` and `/ofrep`
//! response here, once.

mod admin;
mod control;
mod dashboard;
mod dead;
mod evaluate;
mod events;
mod guard;
mod http;
mod kv;
mod ofrep;
mod preview;
mod proxy;
mod state;
mod usage;

use wasm_bindgen::JsValue;
use worker::{event, web_sys, Env};

use crate::api::{self, Access, Endpoint, Target};
use crate::auth::{self, Caller, Denied, Privilege};
use crate::config::Config;
use crate::cors;
use crate::errors::ApiError;
use http::{Incoming, Reply};
use kv::Store;

/// The Worker's `fetch` handler: the `worker` crate's documented entry
/// point, run by worker-build's default JS entry (which also recovers from
/// a panic: the next request gets a fresh instance).
///
/// It takes the raw `web_sys::Request` (the crate's `FromRequest` passes it
/// through untouched), not the crate's `Request`, whose conversion reads
/// `request.cf`, the method, the URL and the headers on every request;
/// `request.cf` is the costliest property of a request in workerd and most
/// requests never need it (measured in docs/ARCHITECTURE.md).
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: worker::Context) -> worker::Result<web_sys::Response> {
    let cfg = config(&env);
    let rec = events::Recorder::new(&cfg);
    let res = serve(req, &env, &cfg, &rec).await.map_err(worker::Error::from);
    // The edge's exposures go to the queue after the response.
    rec.finish(&env, &ctx);
    res
}

/// The queue consumers: experiment events, route metrics and usage from
/// `EVENTS` into D1; what failed every retry, from the dead-letter queue
/// (its name ends in `-dlq`, wrangler.toml) into KV.
#[event(queue)]
async fn queue(batch: worker::MessageBatch<String>, env: Env, _ctx: worker::Context) -> worker::Result<()> {
    if batch.queue().ends_with("-dlq") {
        dead::keep(batch, &env).await;
    } else {
        events::consume(batch, &env).await;
    }
    Ok(())
}

/// The Cron Trigger (every minute): the guard decides every running
/// rollout (docs/rollouts.md).
#[event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, ctx: worker::ScheduleContext) {
    guard::scheduled(event.schedule(), &env, &ctx).await;
}

// The raw `web_sys::Request` is used, not the `worker` crate's `Request`:
// that one reads `request.cf` (the costliest property in workerd), the
// method, URL and headers eagerly on every request.
async fn serve(
    req: web_sys::Request,
    env: &Env,
    cfg: &Config,
    rec: &events::Recorder,
) -> Result<web_sys::Response, JsValue> {
    let req = Incoming::new(req);
    let (method, path) = (req.method.as_str(), req.path());
    if cfg.test_panic_path.as_deref() == Some(path) {
        // Only with the TEST_PANIC_PATH setting: the crash-recovery test.
        panic!("a request to TEST_PANIC_PATH {path}: deliberate panic");
    }
    if crate::ofrep::is_ofrep_path(path) {
        let mut reply = ofrep::serve(&req, env, cfg, rec).await;
        add_cors(&mut reply, cfg, &req);
        return reply.into_response().map_err(|e| JsValue::from_str(&e.message));
    }
    let target = match api::route(method, path) {
        Ok(t) => t,
        Err(e) => return respond(&req, cfg, Err(e)),
    };
    let (endpoint, access) = match target {
        Target::Proxy => {
            return match proxy::proxy(&req, env, cfg, rec).await {
                Ok(r) => Ok(r),
                Err(e) => http::error(&e).into_response().map_err(|e| JsValue::from_str(&e.message)),
            }
        }
        Target::Api(e, a) => (e, a),
    };
    let result = handle(&req, env, cfg, endpoint, access, rec).await;
    respond(&req, cfg, result)
}

/// An API answer (or its error) as a `Response`, with the CORS headers.
fn respond(req: &Incoming, cfg: &Config, result: Result<Reply, ApiError>) -> Result<web_sys::Response, JsValue> {
    let mut reply = result.unwrap_or_else(|e| http::error(&e));
    add_cors(&mut reply, cfg, req);
    reply.into_response().map_err(|e| JsValue::from_str(&e.message))
}

thread_local! {
    // Settings cannot change within an isolate (a deploy or `wrangler
    // secret put` starts new isolates), and reading them is a crossing into
    // JS per variable: read them once per isolate, not once per request.
    static CONFIG: std::cell::OnceCell<std::rc::Rc<Config>> = const { std::cell::OnceCell::new() };
}

fn config(env: &Env) -> std::rc::Rc<Config> {
    CONFIG.with(|c| {
        c.get_or_init(|| {
            std::rc::Rc::new(Config::from_vars(|name| {
                env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
            }))
        })
        .clone()
    })
}

async fn handle(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    endpoint: Endpoint,
    access: Access,
    rec: &events::Recorder,
) -> Result<Reply, ApiError> {
    if endpoint == Endpoint::Preflight {
        return Ok(Reply::empty(204).with("Allow", cors::ALLOW_METHODS));
    }
    let store = Store::open(env)?;
    if endpoint == Endpoint::PostEvents {
        // Its own key, which sendBeacon can only put in the body.
        return events::post(req, env, cfg, &store).await;
    }
    let caller = authorize(cfg, access, req.header("Authorization").as_deref())?;
    if access == Access::Results && caller.privilege == Privilege::Public {
        return Err(ApiError::new(
            401,
            "UNAUTHORIZED",
            "experiment results and rollouts need a read key, the server key or an admin token: Authorization: Bearer <token>",
        )
        .header("WWW-Authenticate", "Bearer"));
    }
    let label = &caller.label;
    match endpoint {
        Endpoint::Status => evaluate::status(&store, cfg, &caller).await,
        Endpoint::EvaluateAll => evaluate::evaluate(req, &store, cfg, &caller, None, rec).await,
        Endpoint::EvaluateOne(key) => evaluate::evaluate(req, &store, cfg, &caller, Some(&key), rec).await,
        Endpoint::ListExperiments => events::results(env, &store, cfg, None).await,
        Endpoint::GetExperiment(key) => events::results(env, &store, cfg, Some(&key)).await,
        Endpoint::ListUsage => usage::get(req, env, &store, cfg, None).await,
        Endpoint::FlagUsage(key) => usage::get(req, env, &store, cfg, Some(&key)).await,
        Endpoint::PostEvents => Err(ApiError::internal("events reached the dispatcher")),
        Endpoint::ListDeadLetters => dead::list(env).await,
        Endpoint::ReplayDeadLetters => dead::replay(env).await,
        Endpoint::GetRuleset => evaluate::get_ruleset(req, &store, cfg).await,
        Endpoint::PreviewRuleset => preview::preview(req, env, label).await,
        // The store's one writer, the control object, serves every change
        // and every admin read.
        Endpoint::PutRuleset
        | Endpoint::EditFlag(_)
        | Endpoint::FlagAction(..)
        | Endpoint::Rollback(_)
        | Endpoint::ListVersions
        | Endpoint::GetVersion(_)
        | Endpoint::GetCurrentVersion
        | Endpoint::ListAudit
        | Endpoint::RolloutAction(..)
        | Endpoint::ListRollouts
        | Endpoint::RolloutDecisions(_) => admin::forward(req, env, label, &endpoint).await,
        Endpoint::Preflight => Err(ApiError::internal("preflight reached the dispatcher")),
    }
}

/// The caller (its token's label for the audit log, and what it may
/// see), or the 401/403.
fn authorize(cfg: &Config, access: Access, authorization: Option<&str>) -> Result<Caller, ApiError> {
    auth::authorize(access == Access::Admin, &cfg.admin, &cfg.server, &cfg.read, authorization).map_err(|d| match d {
        Denied::Missing => {
            ApiError::new(401, "UNAUTHORIZED", "this endpoint needs a bearer token: Authorization: Bearer <token>")
                .header("WWW-Authenticate", "Bearer")
        }
        Denied::Wrong => ApiError::new(403, "FORBIDDEN", "the bearer token is not valid for this endpoint"),
        Denied::AdminDisabled => {
            ApiError::new(403, "ADMIN_DISABLED", "the management API is off: no ADMIN_TOKEN or ADMIN_TOKENS is set")
        }
    })
}

/// The CORS headers of every `/v1` and `/ofrep` answer (all of them go
/// through here).
fn add_cors(r: &mut Reply, cfg: &Config, req: &Incoming) {
    if cfg.origins.varies() {
        r.set("Vary", "Origin");
    }
    let origin = if cfg.origins.varies() { req.header("Origin") } else { None };
    let Some(allow) = cfg.origins.allow(origin.as_deref()) else { return };
    r.set("Access-Control-Allow-Origin", allow);
    r.set("Access-Control-Expose-Headers", cors::EXPOSE_HEADERS);
    if req.method == "OPTIONS" {
        r.set("Access-Control-Allow-Methods", cors::ALLOW_METHODS);
        r.set("Access-Control-Allow-Headers", cors::ALLOW_HEADERS);
        r.set("Access-Control-Max-Age", cors::MAX_AGE);
    }
}
