//! Routing by flag: a request whose path matches one of the ruleset's
//! `routes` is proxied to the upstream of the variant its route's flag
//! serves the requester. Method, headers, query and body (streamed, never
//! buffered) go through unchanged; the upstream and the client both see
//! the decision in `X-Edgeflags-Flag`, `X-Edgeflags-Variant` and
//! `X-Edgeflags-Route`.
//!
//! Each proxied request is counted in the route metrics of its flag and
//! variant (requests, errors, latency to the upstream's headers) that
//! guarded rollouts read (docs/rollouts.md); counting is in memory, the
//! sending after the response.
//!
//! What no route claims of `/` (GET or HEAD: a redirect) and of
//! `/app/...` is the dashboard's ([`super::dashboard`]).
//!
//! The requester is identified like the evaluate endpoints do, and one
//! without any id gets a sticky anonymous id cookie minted here, so the
//! same browser lands on the same upstream on every request.

use edgeflags::Context;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys, Env};

use super::events::Recorder;
use super::http::{self, Incoming};
use super::kv::Store;
use super::state;
use crate::config::Config;
use crate::dashboard::{placement, Placement};
use crate::errors::ApiError;
use crate::metrics;
use crate::requester::{self, Facts, Identity};

/// Proxies `req` if a route matches its path; 404 JSON otherwise.
pub async fn proxy(req: &Incoming, env: &Env, cfg: &Config, rec: &Recorder) -> Result<web_sys::Response, ApiError> {
    // Routes match the decoded, normalized path, and that path (re-encoded)
    // is what the upstream gets: a %2F or .. cannot reach past a route's
    // prefix on either side.
    let normalized = edgeflags::path::normalize(req.path()).map_err(|e| {
        ApiError::new(400, edgeflags::path::PathError::CODE, format!("this path cannot be routed: {e}"))
    })?;
    let path = normalized.as_encoded();
    match placement(&req.host(), cfg.dashboard_host.as_deref()) {
        // The dashboard's own host serves no upstream page.
        Placement::Dashboard => {
            return match unclaimed(req, env, path).await {
                Some(r) => r,
                None => Err(ApiError::not_found(req.path())),
            }
        }
        Placement::Routes => return route(req, env, cfg, rec, &normalized, false).await,
        Placement::Shared => route(req, env, cfg, rec, &normalized, true).await,
    }
}

/// Proxies `req` by the ruleset's routes; with `dashboard`, what no route
/// claims of `/` and `/app/...` is the dashboard's.
async fn route(
    req: &Incoming,
    env: &Env,
    cfg: &Config,
    rec: &Recorder,
    normalized: &edgeflags::path::NormalizedPath,
    dashboard: bool,
) -> Result<web_sys::Response, ApiError> {
    let path = normalized.as_encoded();
    let now = http::now_ms();
    let store = Store::open(env)?;
    let snap = state::current(&store, cfg, now).await;
    // What no route claims of `/` (a redirect) and `/app/...` is the
    // dashboard's. With no ruleset ever published there are no routes;
    // when the ruleset cannot be read, the routes are unknown: 503.
    let Some(loaded) = &snap.loaded else {
        if dashboard && matches!(snap.trouble, None | Some((state::Trouble::Missing, _))) {
            if let Some(r) = unclaimed(req, env, path).await {
                return r;
            }
        }
        return Err(
            ApiError::new(503, "PROVIDER_NOT_READY", "no ruleset loaded, so no routes").header("Retry-After", "5")
        );
    };
    let rs = &*loaded.rs;
    let Some(route) = rs.route_for_path(normalized) else {
        if dashboard {
            if let Some(r) = unclaimed(req, env, path).await {
                return r;
            }
        }
        return Err(ApiError::not_found(req.path()));
    };

    let mut ctx = Context::new();
    let (user_header, cookies) = (req.header("X-User-Id"), req.header("Cookie"));
    let cf = http::cf_attributes(req, loaded.cf_fields.iter());
    let facts = Facts { user_header: user_header.as_deref(), cookies: cookies.as_deref(), cf };
    let mint = http::random_id;
    let identity = requester::complete(&mut ctx, &facts, &cfg.user_cookie, &cfg.anon_cookie, Some(&mint))?;
    let res = rs.resolve(route.flag(), &ctx, now as i64);
    rec.served(rs, &ctx, now as i64, loaded.version, [rs.flags()[route.flag().index()].key()]);
    let flag = &rs.flags()[route.flag().index()];
    let variant = flag.variants().get(res.variant as usize).map_or("", |v| &v.name);
    rec.used(flag.key(), variant, now as i64);
    let Some(origin) = route.upstream(res.variant) else {
        return Err(ApiError::new(
            502,
            "NO_UPSTREAM",
            format!("route {} has no upstream for variant {variant}", route.id()),
        ));
    };

    let target = match req.query() {
        Some(q) => format!("{origin}{path}?{q}"),
        None => format!("{origin}{path}"),
    };
    let inner = &req.raw;
    let headers = web_sys::Headers::new_with_headers(req.headers()).map_err(http::js_error)?;
    // The upstream's Host comes from its URL, and every X-Edgeflags-*
    // header it sees is the Worker's: a client's copies (a forged
    // X-Edgeflags-Anonymous-Id, say) are removed first.
    headers.delete("Host").map_err(http::js_error)?;
    for name in edgeflags_headers(&headers) {
        headers.delete(&name).map_err(http::js_error)?;
    }
    headers.set("X-Edgeflags-Flag", flag.key()).map_err(http::js_error)?;
    headers.set("X-Edgeflags-Variant", variant).map_err(http::js_error)?;
    headers.set("X-Edgeflags-Route", route.id()).map_err(http::js_error)?;
    if let Identity::Minted(id) | Identity::Anonymous(id) = &identity {
        headers.set("X-Edgeflags-Anonymous-Id", id).map_err(http::js_error)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&inner.method());
    init.set_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(cfg.upstream_timeout_ms.min(u32::MAX as u64) as u32)));
    if let Some(body) = inner.body() {
        init.set_body(&body);
    }
    let unavailable = |why: String| {
        ApiError::new(502, "UPSTREAM_UNAVAILABLE", format!("the upstream of route {} could not be reached", route.id()))
            .log(format!("route {} upstream {origin}: {why}", route.id()))
    };
    let upstream_req =
        web_sys::Request::new_with_str_and_init(&target, &init).map_err(|e| unavailable(format!("{e:?}")))?;
    // The route metrics (docs/rollouts.md): the time to the upstream's
    // response headers, and whether it failed. Recorded in memory here and
    // sent after the response (`Recorder::finish`).
    let started = http::now_ms();
    let fetched = JsFuture::from(fetch(&upstream_req)).await;
    let record = |error: bool| {
        rec.routed(&metrics::Sample {
            flag: flag.key(),
            variant,
            version: loaded.version,
            at: now as i64,
            latency_ms: http::now_ms().saturating_sub(started) as f64,
            error,
        })
    };
    let upstream: web_sys::Response = match fetched {
        Ok(r) => {
            let r: web_sys::Response = r.unchecked_into();
            record(r.status() >= 500);
            r
        }
        Err(e) if error_name(&e).as_deref() == Some("TimeoutError") => {
            record(true);
            return Err(ApiError::new(
                504,
                "UPSTREAM_TIMEOUT",
                format!(
                    "the upstream of route {} did not answer within {} s",
                    route.id(),
                    cfg.upstream_timeout_ms / 1000
                ),
            )
            .log(format!("route {} upstream {origin}: timed out", route.id())));
        }
        Err(e) => {
            record(true);
            return Err(unavailable(format!("{e:?}")));
        }
    };

    // Fetched responses have immutable headers: copy them to add ours.
    let out = web_sys::Headers::new_with_headers(&upstream.headers()).map_err(http::js_error)?;
    out.set("X-Edgeflags-Flag", flag.key()).map_err(http::js_error)?;
    out.set("X-Edgeflags-Variant", variant).map_err(http::js_error)?;
    out.set("X-Edgeflags-Route", route.id()).map_err(http::js_error)?;
    if let Some(s) = snap.stale() {
        out.set("X-Edgeflags-Stale", s).map_err(http::js_error)?;
    }
    if let Identity::Minted(id) = &identity {
        let cookie = requester::anonymous_cookie(&cfg.anon_cookie, id, req.https());
        out.append("Set-Cookie", &cookie).map_err(http::js_error)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(upstream.status());
    init.set_status_text(&upstream.status_text());
    init.set_headers(&out);
    web_sys::Response::new_with_opt_readable_stream_and_init(upstream.body().as_ref(), &init).map_err(http::js_error)
}

/// The dashboard's answer for a path no route claims (`/`: the redirect,
/// `/app/...`: its files), or `None` for any other path.
async fn unclaimed(req: &Incoming, env: &Env, path: &str) -> Option<Result<web_sys::Response, ApiError>> {
    if path == "/" && (req.method == "GET" || req.method == "HEAD") {
        Some(super::dashboard::redirect_home())
    } else if crate::dashboard::is_dashboard_path(path) {
        Some(super::dashboard::serve(req, env).await)
    } else {
        None
    }
}

#[wasm_bindgen(inline_js = r#"
export function upstream_fetch(req) { return fetch(req); }
export function edgeflags_header_names(h) {
  const out = [];
  for (const k of h.keys()) if (k.toLowerCase().startsWith("x-edgeflags-")) out.push(k);
  return out.join("\n");
}
"#)]
extern "C" {
    /// The global `fetch` (also the guard's webhooks').
    #[wasm_bindgen(js_name = upstream_fetch)]
    pub(super) fn fetch(req: &web_sys::Request) -> js_sys::Promise;
    #[wasm_bindgen(js_name = edgeflags_header_names)]
    fn edgeflags_header_names(h: &web_sys::Headers) -> String;
}

/// The names of the `X-Edgeflags-*` headers in `h` (one crossing).
fn edgeflags_headers(h: &web_sys::Headers) -> Vec<String> {
    edgeflags_header_names(h).split('\n').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// A JS error's `name` (`TimeoutError` when the abort signal fired).
fn error_name(e: &JsValue) -> Option<String> {
    js_sys::Reflect::get(e, &"name".into()).ok()?.as_string()
}
