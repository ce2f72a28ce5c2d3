//! The management API: whole-ruleset uploads, flag-level edits, versions,
//! rollback and the audit log. Every accepted change goes through
//! [`commit`]: validated by the core, numbered `current + 1` by the Worker
//! (the uploaded `version` field is replaced), stored as a new immutable
//! version with its audit entry, and only then made current by moving the
//! pointer.
//!
//! KV has no compare-and-swap, so `If-Match` is checked against the
//! pointer as read here, and the new version's key is checked to be absent
//! before writing: a writer whose pointer is behind (a change made
//! elsewhere that has not reached this location yet) gets 409 instead of
//! overwriting it. Two writers racing within the same instant at one
//! location can still both pass; docs/worker.md says so.

use edgeflags::edit::{self, Edit, EditError};
use edgeflags::limits::MAX_RULESET_BYTES;
use edgeflags::{LoadError, Problem, Ruleset, Value};

use super::http::{self, Incoming, Reply};
use super::kv::Store;
use super::state::{self, Loaded};
use crate::body::{self, MAX_REQUEST_BYTES, MAX_RULESET_UPLOAD_BYTES};
use crate::errors::ApiError;
use crate::store::{self, Action, Change};

/// Default page size of the version and audit listings.
pub const DEFAULT_PAGE: u64 = 100;
/// Most list pages read when the pointer is lost and the latest version
/// must be found by listing.
const MAX_RECOVERY_PAGES: usize = 100;

/// `PUT /v1/ruleset`.
pub async fn put_ruleset(req: &Incoming, store: &Store, label: &str) -> Result<Reply, ApiError> {
    let if_match = body::if_match(req.header("If-Match").as_deref())?;
    let text = body::utf8(http::read_body(req, MAX_RULESET_UPLOAD_BYTES).await?)?;
    let doc = body::parse_json(&text)?;
    let head = read_head(store).await?;
    check_if_match(if_match, head)?;
    commit(store, label, head, doc, Action::Put).await
}

/// `PATCH /v1/flags/{key}` (edits from the body) and
/// `POST /v1/flags/{key}/{kill,unkill,enable,disable}` (`action` given).
pub async fn edit_flag(
    req: &Incoming,
    store: &Store,
    label: &str,
    key: &str,
    action: Option<Edit>,
) -> Result<Reply, ApiError> {
    let if_match = body::if_match(req.header("If-Match").as_deref())?;
    let edits = match action {
        Some(e) => vec![e],
        None => body::edit_body(&body::utf8(http::read_body(req, MAX_REQUEST_BYTES).await?)?)?,
    };
    let head = read_head(store).await?;
    if head == 0 {
        return Err(ApiError::new(409, "NO_RULESET", "there is no ruleset to edit yet: PUT /v1/ruleset first"));
    }
    check_if_match(if_match, head)?;
    let mut doc = read_version(store, head).await?;
    for e in &edits {
        edit::apply(&mut doc, key, *e).map_err(|err| match err {
            EditError::FlagNotFound(_) => ApiError::new(404, "FLAG_NOT_FOUND", err.to_string()),
            EditError::Unsupported(_) => ApiError::new(422, "UNSUPPORTED_EDIT", err.to_string()),
        })?;
    }
    commit(store, label, head, doc, Action::Edit { flag: key.to_string(), edits }).await
}

/// `POST /v1/versions/{n}/rollback`: version n's document becomes a new
/// version.
pub async fn rollback(req: &Incoming, store: &Store, label: &str, n: u64) -> Result<Reply, ApiError> {
    let if_match = body::if_match(req.header("If-Match").as_deref())?;
    let head = read_head(store).await?;
    check_if_match(if_match, head)?;
    let doc = read_version(store, n).await?;
    commit(store, label, head, doc, Action::Rollback { restored: n }).await
}

/// `GET /v1/versions/{n}`: the stored document of version n.
pub async fn get_version(store: &Store, n: u64) -> Result<Reply, ApiError> {
    let key = store::version_key(n);
    let text = store.get(&key).await.map_err(ApiError::store_unavailable)?.ok_or_else(|| version_not_found(n))?;
    Ok(Reply::json(200, text).with("ETag", body::etag(n)).with("Cache-Control", "no-store"))
}

/// `GET /v1/versions` and `GET /v1/audit`: one page of version metadata
/// or audit entries, oldest first, with `cursor` for the next page.
pub async fn list(req: &Incoming, store: &Store, audit: bool) -> Result<Reply, ApiError> {
    let mut limit = DEFAULT_PAGE;
    let mut cursor = None;
    for (k, v) in req.query_pairs() {
        match &*k {
            "limit" => {
                limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=super::kv::MAX_LIST_LIMIT).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be a whole number from 1 to 1000"))?;
            }
            "cursor" => cursor = Some(v.into_owned()),
            _ => {}
        }
    }
    let prefix = if audit { store::AUDIT_PREFIX } else { store::VERSION_PREFIX };
    let page = store.list(prefix, limit, cursor).await.map_err(ApiError::store_unavailable)?;
    let items: Vec<Value> = page
        .entries
        .into_iter()
        .filter_map(|(key, meta)| {
            let n = store::key_version(&key)?;
            Some(meta.unwrap_or_else(|| Value::Object(vec![("version".into(), Value::Number(n as f64))])))
        })
        .collect();
    let current = match store.get(store::POINTER_KEY).await {
        Ok(Some(p)) => store::parse_pointer(&p).map_or(Value::Null, |v| Value::Number(v as f64)),
        _ => Value::Null,
    };
    let body = Value::Object(vec![
        ("current".into(), current),
        ((if audit { "entries" } else { "versions" }).into(), Value::Array(items)),
        ("cursor".into(), page.cursor.map_or(Value::Null, Value::String)),
    ]);
    Ok(Reply::json(200, body.to_json()).with("Cache-Control", "no-store"))
}

fn version_not_found(n: u64) -> ApiError {
    ApiError::new(404, "VERSION_NOT_FOUND", format!("there is no stored version {n}"))
}

/// The current version number (0: none yet). A pointer that is missing or
/// unreadable while versions exist is recovered by listing them, so a
/// change never reuses a stored version's number.
async fn read_head(store: &Store) -> Result<u64, ApiError> {
    let pointer = store.get(store::POINTER_KEY).await.map_err(ApiError::store_unavailable)?;
    if let Some(v) = pointer.as_deref().and_then(|p| store::parse_pointer(p).ok()) {
        return Ok(v);
    }
    let mut latest = 0;
    let mut cursor = None;
    for _ in 0..MAX_RECOVERY_PAGES {
        let page = store
            .list(store::VERSION_PREFIX, super::kv::MAX_LIST_LIMIT, cursor)
            .await
            .map_err(ApiError::store_unavailable)?;
        latest = page.entries.iter().filter_map(|(k, _)| store::key_version(k)).fold(latest, u64::max);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(latest)
}

/// The parsed document of stored version `n`.
async fn read_version(store: &Store, n: u64) -> Result<Value, ApiError> {
    let key = store::version_key(n);
    let text = store.get(&key).await.map_err(ApiError::store_unavailable)?.ok_or_else(|| version_not_found(n))?;
    Value::parse(&text).map_err(|e| {
        ApiError::new(
            503,
            "STORE_CORRUPT",
            format!("stored {key} is not valid JSON ({e}); roll back to another version"),
        )
    })
}

/// `If-Match` against the current version: 412 with `current` on a mismatch.
#[allow(clippy::option_option)]
fn check_if_match(if_match: Option<Option<u64>>, head: u64) -> Result<(), ApiError> {
    let ok = match if_match {
        None => true,
        Some(None) => head > 0,
        Some(Some(v)) => v == head,
    };
    if ok {
        return Ok(());
    }
    let current = if head == 0 { Value::Null } else { Value::Number(head as f64) };
    Err(ApiError::new(
        412,
        "VERSION_CONFLICT",
        format!(
            "If-Match does not name the current version ({}); fetch it and retry",
            if head == 0 { "there is none".to_string() } else { body::etag(head) }
        ),
    )
    .with("current", current))
}

/// Validates and stores `doc` as version `head + 1`, then moves the pointer.
async fn commit(store: &Store, label: &str, head: u64, mut doc: Value, action: Action) -> Result<Reply, ApiError> {
    let now = http::now_ms();
    let version = head + 1;
    if edit::set_version(&mut doc, version).is_err() {
        // Not an object: let the core say so, with its path.
        return Err(match Ruleset::from_value(&doc) {
            Err(e) => ApiError::invalid_ruleset(e),
            Ok(_) => ApiError::bad_request("the ruleset must be a JSON object"),
        });
    }
    let rs = Ruleset::from_value(&doc).map_err(ApiError::invalid_ruleset)?;
    let text = doc.to_json();
    if text.len() > MAX_RULESET_BYTES {
        return Err(ApiError::invalid_ruleset(LoadError {
            problems: vec![Problem {
                path: String::new(),
                message: format!("ruleset of {} bytes is larger than the limit of {MAX_RULESET_BYTES}", text.len()),
            }],
        }));
    }
    let (vkey, akey) = (store::version_key(version), store::audit_key(version));
    if store.get(&vkey).await.map_err(ApiError::store_unavailable)?.is_some() {
        return Err(ApiError::new(
            409,
            "VERSION_CONFLICT",
            format!(
                "version {version} already exists: another change has not reached this location yet; retry shortly"
            ),
        )
        .with("current", Value::Number(head as f64))
        .header("Retry-After", "60"));
    }
    let change = Change { version, previous: head, time: now as i64, action, by: label.to_string() };
    store.put(&vkey, &text, Some(&change.version_metadata())).await.map_err(ApiError::store_unavailable)?;
    let audit = change.audit_entry().to_json();
    if let Err(e) = store.put(&akey, &audit, Some(&change.audit_metadata())).await {
        let _ = store.delete(&vkey).await;
        return Err(ApiError::store_unavailable(e));
    }
    if let Err(e) = store.put(store::POINTER_KEY, &store::pointer_json(version, now as i64), None).await {
        let _ = store.delete(&akey).await;
        let _ = store.delete(&vkey).await;
        return Err(ApiError::store_unavailable(e));
    }
    let flags = rs.len();
    state::install(Loaded::new(rs, text.into(), version), now);
    let body = Value::Object(vec![
        ("version".into(), Value::Number(version as f64)),
        ("previous".into(), Value::Number(head as f64)),
        ("action".into(), Value::String(change.action.name().into())),
        ("flags".into(), Value::Number(flags as f64)),
        ("audit".into(), change.audit_entry()),
    ]);
    Ok(Reply::json(200, body.to_json())
        .with("ETag", body::etag(version))
        .with("X-Edgeflags-Version", version.to_string())
        .with("Cache-Control", "no-store"))
}
