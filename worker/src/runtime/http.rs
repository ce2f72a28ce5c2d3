//! HTTP plumbing over the raw `web_sys` request and response: what a
//! request carries (read once, lazily where it costs), bounded body
//! reading, responses built in one crossing into JS, the clock, random ids
//! and `request.cf`.
//!
//! Every call between wasm and JS costs time in workerd (a string copied
//! each way, a promise, a JS object), and the Worker's requests are small:
//! these crossings, not the evaluation, are most of a request's cost. So
//! the request is read as its method, URL and the few headers asked for,
//! and `request.cf` only when the ruleset needs an attribute from it.

use edgeflags::Value;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys};

use crate::api;
use crate::errors::ApiError;

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        ApiError::internal(e)
    }
}

/// A JS exception as a 500 whose text goes to the log only.
pub fn js_error(e: JsValue) -> ApiError {
    ApiError::internal(format!("{e:?}"))
}

/// A request as the handlers see it: the JS request, its method and URL
/// (read once), and header lookups on demand.
pub struct Incoming {
    /// The request object (for the body and the proxy).
    pub raw: web_sys::Request,
    /// `GET`, `POST`, ...
    pub method: String,
    url: String,
    headers: web_sys::Headers,
}

impl Incoming {
    /// Reads the method, the URL and the headers object (three crossings).
    pub fn new(raw: web_sys::Request) -> Incoming {
        Incoming { method: raw.method(), url: raw.url(), headers: raw.headers(), raw }
    }

    /// A request header.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    /// The headers object (the proxy copies it).
    pub fn headers(&self) -> &web_sys::Headers {
        &self.headers
    }

    /// The raw, percent-encoded path.
    pub fn path(&self) -> &str {
        api::split_url(&self.url).0
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        api::split_url(&self.url).1
    }

    /// The query's `(name, value)` pairs, decoded as a form.
    pub fn query_pairs(&self) -> worker::url::form_urlencoded::Parse<'_> {
        worker::url::form_urlencoded::parse(self.query().unwrap_or("").as_bytes())
    }

    /// The URL's host, with its port when not the scheme's default.
    pub fn host(&self) -> String {
        worker::Url::parse(&self.url).ok().map_or_else(String::new, |u| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        })
    }

    /// Whether the request came over https.
    pub fn https(&self) -> bool {
        self.url.starts_with("https:")
    }
}

/// A response being built: status, headers and body, turned into a JS
/// `Response` by one call ([`Reply::into_response`]).
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

#[wasm_bindgen(inline_js = r#"
export function respond(status, body, headers) {
  const h = new Headers();
  const p = headers.split("\n");
  for (let i = 0; i + 1 < p.length; i += 2) h.append(p[i], p[i + 1]);
  return new Response(status === 204 || status === 304 ? null : body.slice(), { status, headers: h });
}
"#)]
extern "C" {
    // `body` is a view into wasm memory: copied (`slice`) before wasm runs again.
    #[wasm_bindgen(catch)]
    fn respond(status: u16, body: &[u8], headers: &str) -> Result<web_sys::Response, JsValue>;
}

impl Reply {
    /// A response with a JSON body.
    pub fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_string())],
            body: body.into_bytes(),
        }
    }

    /// A response without a body (204, 304).
    pub fn empty(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Vec::new() }
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Sets a header, replacing an earlier value of the same name.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
    }

    /// [`Reply::set`], by value.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.set(name, value);
        self
    }

    /// The JS `Response`, built in one crossing.
    pub fn into_response(self) -> Result<web_sys::Response, ApiError> {
        let mut flat = String::new();
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if i > 0 {
                flat.push('\n');
            }
            // Header values never hold a line break (the Headers API refuses them).
            flat.push_str(name);
            flat.push('\n');
            flat.push_str(value);
        }
        respond(self.status, &self.body, &flat).map_err(js_error)
    }
}

/// The response for an error (its JSON body, status and headers). Its
/// internal detail, if any, is logged here, the one place every error
/// passes through.
pub fn error(e: &ApiError) -> Reply {
    if let Some(detail) = &e.internal {
        worker::console_error!("{} {}: {}", e.status, e.code, detail);
    }
    let mut r = Reply::json(e.status, e.to_json());
    for (k, v) in &e.headers {
        r.set(k, v.clone());
    }
    r.with("Cache-Control", "no-store")
}

/// Reads the body, refusing more than `limit` bytes with 413 without
/// buffering them (a chunked body is counted as it streams in).
///
/// A body over the limit is still read to its end, discarding it, when it
/// is at most [`DRAIN_FACTOR`] times the limit: many HTTP clients send the
/// whole body before reading the response, and would see a reset
/// connection instead of the 413. Anything larger is refused at once.
pub async fn read_body(req: &Incoming, limit: usize) -> Result<Vec<u8>, ApiError> {
    let cap = limit.saturating_mul(DRAIN_FACTOR);
    let declared = req.header("Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(ApiError::too_large(limit));
    }
    let Some(stream) = req.raw.body() else { return Ok(Vec::new()) };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let unreadable =
        |e: JsValue| ApiError::bad_request("could not read the request body").log(format!("body read: {e:?}"));
    let mut buf = Vec::new();
    let mut seen = 0usize;
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if js_sys::Reflect::get(&step, &"done".into()).map_err(unreadable)?.is_truthy() {
            break;
        }
        let chunk: js_sys::Uint8Array =
            js_sys::Reflect::get(&step, &"value".into()).map_err(unreadable)?.dyn_into().map_err(unreadable)?;
        let len = chunk.length() as usize;
        seen = seen.saturating_add(len);
        if seen > cap {
            // Not awaited: the stream is abandoned either way.
            let _ = reader.cancel();
            break;
        }
        if seen <= limit {
            let start = buf.len();
            buf.resize(start + len, 0);
            chunk.copy_to(&mut buf[start..]);
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
    js_sys::Date::now() as u64
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

/// The `request.cf` attributes among `fields` (`(attribute, property)`
/// pairs, see [`crate::requester::CF_FIELDS`]). Reads nothing, and does
/// not touch `request.cf`, when `fields` is empty.
pub fn cf_attributes<'f>(
    req: &Incoming,
    fields: impl IntoIterator<Item = &'f (&'static str, &'static str)>,
) -> Vec<(&'static str, Value)> {
    let mut fields = fields.into_iter().peekable();
    if fields.peek().is_none() {
        return Vec::new();
    }
    let Ok(cf) = js_sys::Reflect::get(&req.raw, &"cf".into()) else { return Vec::new() };
    if !cf.is_object() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (attr, prop) in fields {
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
