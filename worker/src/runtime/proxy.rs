//! Routing by flag: a request whose path matches one of the ruleset's
//! `routes` is proxied to the upstream of the variant its route's flag
//! serves the requester. Method, headers, query and body (streamed, never
//! buffered) go through unchanged; the upstream and the client both see
//! the decision in `X-Edgeflags-Flag`, `X-Edgeflags-Variant` and
//! `X-Edgeflags-Route`.
//!
//! The requester is identified like the evaluate endpoints do, and one
//! without any id gets a sticky anonymous id cookie minted here, so the
//! same browser lands on the same upstream on every request.

use edgeflags::Context;
use wasm_bindgen::JsValue;
use worker::{web_sys, Env, Fetch, Headers, Request};

use super::http::{self, Incoming};
use super::kv::Store;
use super::state;
use crate::config::Config;
use crate::errors::ApiError;
use crate::requester::{self, Facts, Identity};

/// Proxies `req` if a route matches its path; 404 JSON otherwise.
pub async fn proxy(req: &Incoming, env: &Env, cfg: &Config) -> Result<web_sys::Response, ApiError> {
    let path = req.path();
    let now = http::now_ms();
    let store = Store::open(env)?;
    let snap = state::current(&store, cfg, now).await;
    let Some(loaded) = &snap.loaded else {
        return Err(
            ApiError::new(503, "PROVIDER_NOT_READY", "no ruleset loaded, so no routes").header("Retry-After", "5")
        );
    };
    let rs = &*loaded.rs;
    let Some(route) = rs.route_for(path) else { return Err(ApiError::not_found(path)) };

    let mut ctx = Context::new();
    let (user_header, cookies) = (req.header("X-User-Id"), req.header("Cookie"));
    let cf = http::cf_attributes(req, loaded.cf_fields.iter());
    let facts = Facts { user_header: user_header.as_deref(), cookies: cookies.as_deref(), cf };
    let mint = http::random_id;
    let identity = requester::complete(&mut ctx, &facts, &cfg.user_cookie, &cfg.anon_cookie, Some(&mint))?;
    let res = rs.resolve(route.flag(), &ctx, now as i64);
    let flag = &rs.flags()[route.flag().index()];
    let variant = flag.variants().get(res.variant as usize).map_or("", |v| &v.name);
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
    let headers = web_sys::Headers::new_with_headers(req.headers()).map_err(js_err)?;
    // The upstream's Host comes from its URL.
    headers.delete("Host").map_err(js_err)?;
    headers.set("X-Edgeflags-Flag", flag.key()).map_err(js_err)?;
    headers.set("X-Edgeflags-Variant", variant).map_err(js_err)?;
    headers.set("X-Edgeflags-Route", route.id()).map_err(js_err)?;
    if let Identity::Minted(id) | Identity::Anonymous(id) = &identity {
        headers.set("X-Edgeflags-Anonymous-Id", id).map_err(js_err)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&inner.method());
    init.set_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some(body) = inner.body() {
        init.set_body(&body);
    }
    let upstream_req = web_sys::Request::new_with_str_and_init(&target, &init).map_err(js_err)?;
    let upstream = Fetch::Request(Request::from(upstream_req)).send().await.map_err(|e| {
        ApiError::new(502, "UPSTREAM_UNAVAILABLE", format!("upstream {origin} of route {} failed: {e}", route.id()))
    })?;

    // Fetched responses have immutable headers: copy them to add ours.
    let out = web_sys::Headers::new_with_headers(&upstream.headers().0).map_err(js_err)?;
    out.set("X-Edgeflags-Flag", flag.key()).map_err(js_err)?;
    out.set("X-Edgeflags-Variant", variant).map_err(js_err)?;
    out.set("X-Edgeflags-Route", route.id()).map_err(js_err)?;
    if let Some(s) = snap.stale() {
        out.set("X-Edgeflags-Stale", s).map_err(js_err)?;
    }
    if let Identity::Minted(id) = &identity {
        let cookie = requester::anonymous_cookie(&cfg.anon_cookie, id, req.https());
        out.append("Set-Cookie", &cookie).map_err(js_err)?;
    }
    Ok(upstream.with_headers(Headers(out)).into())
}

fn js_err(e: JsValue) -> ApiError {
    ApiError::new(500, "INTERNAL", format!("internal error: {e:?}"))
}
