//! The guard's Worker side (docs/rollouts.md, "In the Worker"): the Cron
//! Trigger (`[triggers] crons = ["* * * * *"]`) asks the control object
//! to decide every running rollout (`POST /internal/rollouts/tick`,
//! serialized there with every other change), then posts the webhooks of
//! the decisions that changed something, each with a 5 s timeout, after
//! the tick (`ctx.waitUntil`): a slow or failing hook is logged and never
//! holds up a decision. Once an hour it also drops route metrics older
//! than [`crate::metrics::KEPT_DAYS`].

use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, console_log, js_sys, web_sys, Env, Request, ScheduleContext};

use crate::metrics;
use crate::rollouts::{self, TICK_PATH, WEBHOOK_TIMEOUT_MS};
use crate::store;

/// One scheduled run.
pub async fn scheduled(scheduled_ms: f64, env: &Env, ctx: &ScheduleContext) {
    let answer = match tick(env).await {
        Ok(a) => a,
        Err(e) => {
            console_error!("edgeflags guard: the tick failed: {e}");
            return;
        }
    };
    let decisions = answer.get("decisions").and_then(|d| d.as_array()).map_or(0, Vec::len);
    if decisions > 0 {
        console_log!("edgeflags guard: {decisions} rollout decision(s) on version {}", answer["version"]);
    }
    for hook in answer.get("webhooks").and_then(|w| w.as_array()).into_iter().flatten() {
        let (Some(url), Some(body)) = (hook["url"].as_str(), hook["body"].as_str()) else { continue };
        let (url, body) = (url.to_string(), body.to_string());
        ctx.wait_until(async move { post_webhook(&url, &body).await });
    }
    let minute = metrics::minute_of(scheduled_ms as i64);
    if minute % 60 == 0 {
        prune(env, minute).await;
    }
}

/// Asks the control object to decide; its JSON answer.
async fn tick(env: &Env) -> Result<serde_json::Value, String> {
    let stub = env
        .durable_object(store::CONTROL_BINDING)
        .and_then(|ns| ns.id_from_name(store::CONTROL_NAME)?.get_stub())
        .map_err(|e| format!("binding: {e}"))?;
    let headers = web_sys::Headers::new().map_err(|e| format!("{e:?}"))?;
    headers.set(store::BY_HEADER, &store::encode_label(rollouts::GUARD_LABEL)).map_err(|e| format!("{e:?}"))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&format!("https://control.internal{TICK_PATH}"), &init)
        .map(Request::from)
        .map_err(|e| format!("{e:?}"))?;
    let mut res = stub.fetch_with_request(request).await.map_err(|e| e.to_string())?;
    let text = res.text().await.map_err(|e| e.to_string())?;
    if res.status_code() != 200 {
        return Err(format!("status {}: {text}", res.status_code()));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// POSTs a webhook, giving up after [`WEBHOOK_TIMEOUT_MS`]; failures are
/// logged.
async fn post_webhook(url: &str, body: &str) {
    let attempt = async {
        let headers = web_sys::Headers::new().map_err(|e| format!("{e:?}"))?;
        headers.set("Content-Type", "application/json").map_err(|e| format!("{e:?}"))?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(WEBHOOK_TIMEOUT_MS)));
        let req = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| format!("{e:?}"))?;
        let res: web_sys::Response =
            JsFuture::from(super::proxy::fetch(&req)).await.map_err(|e| describe(&e))?.unchecked_into();
        // The body is not read: cancel it so the connection is freed.
        if let Some(b) = res.body() {
            let _ = b.cancel();
        }
        if res.ok() {
            Ok(())
        } else {
            Err(format!("status {}", res.status()))
        }
    };
    if let Err(e) = attempt.await {
        console_error!("edgeflags guard: webhook {url} failed: {e}");
    }
}

fn describe(e: &JsValue) -> String {
    let get = |k: &str| js_sys::Reflect::get(e, &k.into()).ok().and_then(|v| v.as_string());
    match (get("name"), get("message")) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        _ => format!("{e:?}"),
    }
}

/// Drops route metrics older than [`metrics::KEPT_DAYS`], usage older
/// than its 90 days and usage message ids older than a week.
async fn prune(env: &Env, minute: i64) {
    let first_kept = minute - metrics::KEPT_DAYS * 24 * 60;
    let result = async {
        let db = env.d1(super::events::DB)?;
        for q in metrics::PRUNE_QUERIES {
            db.prepare(q).bind(&[JsValue::from_f64(first_kept as f64)])?.run().await?;
        }
        let first_day = edgeflags::usage::day_of(minute * 60_000) - edgeflags::usage::KEPT_DAYS;
        db.prepare(crate::usage::PRUNE_QUERY).bind(&[JsValue::from_f64(first_day as f64)])?.run().await?;
        let first_applied = minute * 60_000 - crate::usage::APPLIED_KEPT_DAYS * edgeflags::usage::DAY_MS;
        db.prepare(crate::usage::PRUNE_APPLIED_QUERY).bind(&[JsValue::from_f64(first_applied as f64)])?.run().await?;
        Ok::<_, worker::Error>(())
    };
    if let Err(e) = result.await {
        console_error!("edgeflags guard: pruning route metrics failed: {e}");
    }
}
