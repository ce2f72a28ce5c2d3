//! HTTP plumbing on top of the `worker` crate: JSON responses, error
//! responses, bounded body reading, header access, the clock, random ids
//! and `request.cf`.

use edgeflags::Value;
use futures_util::StreamExt;
use wasm_bindgen::JsCast;
use worker::{js_sys, Request, Response};

use crate::errors::ApiError;

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        ApiError::new(500, "INTERNAL", format!("internal error: {e}"))
    }
}

/// A response with a JSON body.
pub fn json(status: u16, body: String) -> Result<Response, ApiError> {
    let mut r = Response::from_bytes(body.into_bytes())?.with_status(status);
    r.headers_mut().set("Content-Type", "application/json; charset=utf-8")?;
    Ok(r)
}

/// The response for an error (its JSON body, status and headers).
pub fn error(e: &ApiError) -> Result<Response, ApiError> {
    let mut r = json(e.status, e.to_json())?;
    for (k, v) in &e.headers {
        r.headers_mut().set(k, v)?;
    }
    r.headers_mut().set("Cache-Control", "no-store")?;
    Ok(r)
}

/// A request header.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads the body, refusing more than `limit` bytes with 413 without
/// buffering them (a chunked body is counted as it streams in).
///
/// A body over the limit is still read to its end, discarding it, when it
/// is at most [`DRAIN_FACTOR`] times the limit: many HTTP clients send the
/// whole body before reading the response, and would see a reset
/// connection instead of the 413. Anything larger is refused at once.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let cap = limit.saturating_mul(DRAIN_FACTOR);
    let declared = header(req, "Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(ApiError::too_large(limit));
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream()?;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
        seen = seen.saturating_add(chunk.len());
        if seen > cap {
            break;
        }
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(buf)
}

/// How far past its limit a body is drained before answering 413.
pub const DRAIN_FACTOR: usize = 2;

/// Milliseconds since the epoch (the Workers clock advances on I/O only,
/// which is fine for schedules measured in hours).
pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// A random anonymous id: `crypto.randomUUID()`.
pub fn random_id() -> String {
    let uuid = (|| {
        let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
        let f: js_sys::Function = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?.dyn_into().ok()?;
        f.call0(&crypto).ok()?.as_string()
    })();
    // The Workers runtime always has randomUUID; the fallback only keeps
    // this function total. Math.random is not predictable across users.
    uuid.unwrap_or_else(|| format!("{:016x}{:016x}", rand_u64(), rand_u64()))
}

fn rand_u64() -> u64 {
    (js_sys::Math::random() * 2f64.powi(53)) as u64
}

/// The `request.cf` attributes a context can use, under snake_case names.
pub fn cf_attributes(req: &Request) -> Vec<(&'static str, Value)> {
    const FIELDS: &[(&str, &str)] = &[
        ("country", "country"),
        ("continent", "continent"),
        ("region", "region"),
        ("region_code", "regionCode"),
        ("city", "city"),
        ("postal_code", "postalCode"),
        ("metro_code", "metroCode"),
        ("timezone", "timezone"),
        ("colo", "colo"),
        ("asn", "asn"),
        ("is_eu_country", "isEUCountry"),
    ];
    let Ok(cf) = js_sys::Reflect::get(req.inner(), &"cf".into()) else { return Vec::new() };
    if !cf.is_object() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (attr, prop) in FIELDS {
        let Ok(v) = js_sys::Reflect::get(&cf, &(*prop).into()) else { continue };
        if let Some(s) = v.as_string() {
            out.push((*attr, Value::String(s)));
        } else if let Some(n) = v.as_f64() {
            out.push((*attr, Value::Number(n)));
        } else if let Some(b) = v.as_bool() {
            out.push((*attr, Value::Bool(b)));
        }
    }
    out
}
