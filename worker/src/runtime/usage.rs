//! `GET /v1/usage` and `GET /v1/flags/{key}/usage`: the flag usage
//! telemetry read back from D1 (`flag_usage`) and judged by the core
//! (`edgeflags::usage`); the pure part is `crate::usage`. Counting happens
//! in `events::Recorder::used`, off the response path.

use edgeflags::usage::{self as core_usage, Policy};
use wasm_bindgen::JsValue;
use worker::Env;

use super::events::{rows, DB};
use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state;
use crate::config::Config;
use crate::errors::ApiError;
use crate::usage::{self, QueryRow};

fn unavailable(why: &str) -> ApiError {
    ApiError::new(503, "USAGE_UNAVAILABLE", "flag usage cannot be read right now; retry later")
        .header("Retry-After", "5")
        .log(why)
}

/// Answers both endpoints. `?policy=release=40,ops=never,...` replaces
/// the default days per flag type.
pub async fn get(req: &Incoming, env: &Env, store: &Store, cfg: &Config, key: Option<&str>) -> Result<Reply, ApiError> {
    let now = http::now_ms() as i64;
    let policy = match req.query_pairs().find(|(k, _)| k == "policy") {
        Some((_, p)) => Policy::parse(&p).map_err(|e| ApiError::new(400, "INVALID_POLICY", format!("policy: {e}")))?,
        None => Policy::default(),
    };
    let snap = state::current(store, cfg, now as u64).await;
    let Some(loaded) = &snap.loaded else {
        return Err(
            ApiError::new(503, "PROVIDER_NOT_READY", "no ruleset loaded; retry later").header("Retry-After", "5")
        );
    };
    let db = env.d1(DB).map_err(|e| unavailable(&format!("binding {DB}: {e}")))?;
    let first = JsValue::from_f64((core_usage::day_of(now) - core_usage::KEPT_DAYS) as f64);
    let read = |x: String| unavailable(&format!("D1 read: {x}"));
    let e = |x: worker::Error| read(x.to_string());
    #[derive(serde::Deserialize)]
    struct Observed {
        day: Option<f64>,
    }
    let observed: Option<Observed> = db.prepare(usage::OBSERVED_QUERY).first(None).await.map_err(e)?;
    let observed = observed.and_then(|o| o.day).map(|d| d as i64);
    let body = match key {
        Some(k) => {
            let rows: Vec<QueryRow> =
                rows(&db, usage::FLAG_QUERY, &[JsValue::from_str(k), first]).await.map_err(read)?;
            if loaded.rs.flag(k).is_none() && rows.is_empty() {
                return Err(ApiError::new(
                    404,
                    "FLAG_NOT_FOUND",
                    format!("no flag \"{k}\" in version {} and no usage recorded for it", loaded.version),
                ));
            }
            usage::flag_json(&loaded.rs, k, &usage::days_of(&rows), observed, now, &policy)
        }
        None => {
            let rows: Vec<QueryRow> = rows(&db, usage::ALL_QUERY, &[first]).await.map_err(read)?;
            usage::all_json(&loaded.rs, &rows, observed, now, &policy)
        }
    };
    Ok(Reply::json(200, body.to_string()).with("Cache-Control", "no-store"))
}
