//! The dashboard's static files: requests under `/app` that no ruleset
//! route claims (the proxy decides, [`super::proxy`]) go to the assets
//! binding (wrangler.toml `[assets]`, `dashboard/dist`), and the answer
//! comes back with the dashboard's security headers
//! ([`crate::dashboard::SECURITY_HEADERS`]); so does the redirect of `/`.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys, Env};

use super::http::{self, Incoming};
use crate::dashboard::{ASSETS_BINDING, HOME, SECURITY_HEADERS};
use crate::errors::ApiError;

#[wasm_bindgen]
extern "C" {
    /// The assets binding's documented interface: a `fetch` like the global one.
    #[wasm_bindgen(extends = js_sys::Object)]
    type Assets;
    #[wasm_bindgen(method, catch)]
    fn fetch(this: &Assets, req: &web_sys::Request) -> Result<js_sys::Promise, JsValue>;
}

/// Serves a dashboard file (GET and HEAD only); an error is JSON, with the
/// same security headers.
pub async fn serve(req: &Incoming, env: &Env) -> Result<web_sys::Response, ApiError> {
    match fetch_asset(req, env).await {
        Ok(r) => Ok(r),
        Err(e) => {
            let mut reply = http::error(&e);
            for (name, value) in SECURITY_HEADERS {
                reply.set(name, *value);
            }
            reply.into_response()
        }
    }
}

async fn fetch_asset(req: &Incoming, env: &Env) -> Result<web_sys::Response, ApiError> {
    if req.method != "GET" && req.method != "HEAD" {
        return Err(ApiError::method_not_allowed(&req.method, "GET, HEAD"));
    }
    let assets: Assets = env
        .assets(ASSETS_BINDING)
        .map_err(|e| {
            ApiError::new(503, "DASHBOARD_UNAVAILABLE", "the dashboard is not built into this Worker")
                .log(format!("assets binding: {e}"))
        })?
        .into_rpc();
    let promise = assets.fetch(&req.raw).map_err(http::js_error)?;
    let res: web_sys::Response = JsFuture::from(promise).await.map_err(http::js_error)?.unchecked_into();
    with_security_headers(&res)
}

/// `res` with the security headers added (fetched responses' headers are immutable).
fn with_security_headers(res: &web_sys::Response) -> Result<web_sys::Response, ApiError> {
    let out = web_sys::Headers::new_with_headers(&res.headers()).map_err(http::js_error)?;
    for (name, value) in SECURITY_HEADERS {
        out.set(name, value).map_err(http::js_error)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(res.status());
    init.set_status_text(&res.status_text());
    init.set_headers(&out);
    web_sys::Response::new_with_opt_readable_stream_and_init(res.body().as_ref(), &init).map_err(http::js_error)
}

/// The 302 from `/` to the app.
pub fn redirect_home() -> Result<web_sys::Response, ApiError> {
    let mut reply = http::Reply::empty(302).with("Location", HOME).with("Cache-Control", "no-store");
    for (name, value) in SECURITY_HEADERS {
        reply.set(name, *value);
    }
    reply.into_response()
}
