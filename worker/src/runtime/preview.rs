//! `POST /v1/ruleset/preview`, the I/O side: reads the body and the
//! current version from the store of record (the control object, as
//! `GET /v1/versions/current`; not asked when the body brings its own
//! `before`), hands both to the pure [`crate::preview`] with the clock,
//! and answers its JSON. Nothing is stored.

use edgeflags::Value;
use worker::Env;

use super::admin;
use super::http::{self, Incoming, Reply};
use crate::body::{utf8, MAX_RULESET_UPLOAD_BYTES};
use crate::errors::ApiError;

/// Answers a preview: `{"valid", "problems", "against", "diff", "blastRadius"}`.
pub async fn preview(req: &Incoming, env: &Env, label: &str) -> Result<Reply, ApiError> {
    // A preview carries a whole ruleset, plus contexts: the upload limit.
    let text = utf8(http::read_body(req, MAX_RULESET_UPLOAD_BYTES).await?)?;
    let body = crate::preview::parse(&text)?;
    let current = match body.before {
        Some(_) => None,
        None => match admin::current_document(env, label).await? {
            Some((v, doc)) => {
                let doc = Value::parse(&doc).map_err(|e| ApiError::internal(format!("the current document: {e}")))?;
                Some((v, doc))
            }
            None => None,
        },
    };
    let now = http::now_ms();
    let out = crate::preview::preview(&body, current.as_ref().map(|(v, d)| (*v, d)), now as i64);
    Ok(Reply::json(200, out.to_json()).with("Cache-Control", "no-store"))
}
