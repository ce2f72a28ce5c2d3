//! `POST /v1/ruleset/preview`, the I/O side: reads the body and the
//! version this isolate serves, hands both to the pure
//! [`crate::preview`] with the clock, and answers its JSON. Nothing is
//! stored.

use edgeflags::Value;

use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state;
use crate::body::{utf8, MAX_RULESET_UPLOAD_BYTES};
use crate::config::Config;
use crate::errors::ApiError;

/// Answers a preview: `{"valid", "problems", "against", "diff", "blastRadius"}`.
pub async fn preview(req: &Incoming, store: &Store, cfg: &Config) -> Result<Reply, ApiError> {
    // A preview carries a whole ruleset, plus contexts: the upload limit.
    let text = utf8(http::read_body(req, MAX_RULESET_UPLOAD_BYTES).await?)?;
    let body = crate::preview::parse(&text)?;
    let now = http::now_ms();
    let snap = state::current(store, cfg, now).await;
    let current = match &snap.loaded {
        Some(l) => Some((
            l.version,
            Value::parse(&l.doc).map_err(|e| ApiError::internal(format!("the served document: {e}")))?,
        )),
        None => None,
    };
    let out = crate::preview::preview(&body, current.as_ref().map(|(v, d)| (*v, d)), now as i64);
    Ok(Reply::json(200, out.to_json()).with("Cache-Control", "no-store"))
}
