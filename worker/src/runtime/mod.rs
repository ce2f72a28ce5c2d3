//! The Worker's entry point: one `fetch` handler that matches the request
//! against the endpoint table, checks access, dispatches, and turns every
//! failure into a JSON error with its status. CORS headers are added to
//! every `/v1` response here, once.

mod admin;
mod evaluate;
mod http;
mod kv;
mod proxy;
mod state;

use worker::{event, Env, Request, Response};

use crate::api::{self, Access, Endpoint, Target};
use crate::auth::Outcome;
use crate::config::Config;
use crate::cors;
use crate::errors::ApiError;
use kv::Store;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> worker::Result<Response> {
    let cfg = config(&env);
    let path = req.path();
    let origin = http::header(&req, "Origin");
    let preflight = req.inner().method() == "OPTIONS";
    let result = handle(req, &env, &cfg, &path).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => http::error(&e).map_err(|e| worker::Error::RustError(e.message))?,
    };
    if api::is_api_path(&path) {
        add_cors(&mut resp, &cfg, origin.as_deref(), preflight)?;
    }
    Ok(resp)
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

async fn handle(req: Request, env: &Env, cfg: &Config, path: &str) -> Result<Response, ApiError> {
    let method = req.inner().method();
    let target = api::route(&method, path)?;
    let store = Store::open(env)?;
    let (endpoint, access) = match target {
        Target::Proxy => return proxy::proxy(req, &store, cfg, path).await,
        Target::Api(e, a) => (e, a),
    };
    if endpoint == Endpoint::Preflight {
        let mut r = Response::empty()?.with_status(204);
        r.headers_mut().set("Allow", cors::ALLOW_METHODS)?;
        return Ok(r);
    }
    let authorization = http::header(&req, "Authorization");
    let label = authorize(cfg, access, authorization.as_deref())?;
    match endpoint {
        Endpoint::Status => evaluate::status(&store, cfg).await,
        Endpoint::EvaluateAll => evaluate::evaluate(req, &store, cfg, None).await,
        Endpoint::EvaluateOne(key) => evaluate::evaluate(req, &store, cfg, Some(&key)).await,
        Endpoint::GetRuleset => evaluate::get_ruleset(&req, &store, cfg).await,
        Endpoint::PutRuleset => admin::put_ruleset(req, &store, &label).await,
        Endpoint::EditFlag(key) => admin::edit_flag(req, &store, &label, &key, None).await,
        Endpoint::FlagAction(key, edit) => admin::edit_flag(req, &store, &label, &key, Some(edit)).await,
        Endpoint::ListVersions => admin::list(&req, &store, false).await,
        Endpoint::GetVersion(n) => admin::get_version(&store, n).await,
        Endpoint::Rollback(n) => admin::rollback(req, &store, &label, n).await,
        Endpoint::ListAudit => admin::list(&req, &store, true).await,
        Endpoint::Preflight => Err(ApiError::new(500, "INTERNAL", "preflight handled above")),
    }
}

/// The token label for the audit log (`""` for public reads), or the 401/403.
fn authorize(cfg: &Config, access: Access, authorization: Option<&str>) -> Result<String, ApiError> {
    let unauthorized = || {
        ApiError::new(401, "UNAUTHORIZED", "this endpoint needs a bearer token: Authorization: Bearer <token>")
            .header("WWW-Authenticate", "Bearer")
    };
    let forbidden = || ApiError::new(403, "FORBIDDEN", "the bearer token is not valid for this endpoint");
    match access {
        Access::Admin => match cfg.admin.check(authorization) {
            Outcome::Granted(label) => Ok(label.to_string()),
            Outcome::Missing => Err(unauthorized()),
            Outcome::Wrong => Err(forbidden()),
            Outcome::NotConfigured => Err(ApiError::new(
                403,
                "ADMIN_DISABLED",
                "the management API is off: no ADMIN_TOKEN or ADMIN_TOKENS is set",
            )),
        },
        Access::Read if cfg.read.is_empty() => Ok(String::new()),
        Access::Read => match (cfg.read.check(authorization), cfg.admin.check(authorization)) {
            (Outcome::Granted(l), _) | (_, Outcome::Granted(l)) => Ok(l.to_string()),
            (Outcome::Missing, _) => Err(unauthorized()),
            _ => Err(forbidden()),
        },
    }
}

fn add_cors(resp: &mut Response, cfg: &Config, origin: Option<&str>, preflight: bool) -> worker::Result<()> {
    let h = resp.headers_mut();
    if cfg.origins.varies() {
        h.append("Vary", "Origin")?;
    }
    let Some(allow) = cfg.origins.allow(origin) else { return Ok(()) };
    h.set("Access-Control-Allow-Origin", &allow)?;
    h.set("Access-Control-Expose-Headers", cors::EXPOSE_HEADERS)?;
    if preflight {
        h.set("Access-Control-Allow-Methods", cors::ALLOW_METHODS)?;
        h.set("Access-Control-Allow-Headers", cors::ALLOW_HEADERS)?;
        h.set("Access-Control-Max-Age", cors::MAX_AGE)?;
    }
    Ok(())
}
