//! Dead letters' I/O (the decisions and the JSON are [`crate::dead`]'s):
//! the dead-letter queue's consumer keeps each message in KV, and the two
//! admin endpoints list them and send them back to the events queue.

use edgeflags::Value;
use worker::{Env, MessageBatch, MessageExt};

use super::events::{send_texts, QUEUE};
use super::http::Reply;
use super::kv::Store;
use crate::dead;
use crate::errors::ApiError;

/// The dead-letter queue's consumer: every message is kept in KV (acked
/// once written; retried when KV refuses it).
pub async fn keep(batch: MessageBatch<String>, env: &Env) {
    let store = match Store::open(env) {
        Ok(s) => s,
        Err(_) => {
            batch.retry_all();
            return;
        }
    };
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            worker::console_error!("dead letters: unreadable batch: {e}");
            batch.retry_all();
            return;
        }
    };
    for m in messages {
        let at = m.timestamp().as_millis() as i64;
        let key = dead::key(at, &m.id());
        let meta: Option<Value> = serde_json::from_value(dead::metadata(m.body(), at)).ok();
        match store.put(&key, m.body(), meta.as_ref()).await {
            Ok(()) => {
                worker::console_error!("events: a message failed every retry; kept as a dead letter ({key})");
                m.ack();
            }
            Err(e) => {
                worker::console_error!("dead letters: {e}; retrying");
                m.retry();
            }
        }
    }
}

fn unavailable(why: String) -> ApiError {
    ApiError::new(503, "DEAD_LETTERS_UNAVAILABLE", "dead letters cannot be read right now; retry later")
        .header("Retry-After", "5")
        .log(why)
}

/// Every kept dead letter's key and metadata (at most 1,000), and whether
/// there are more.
async fn listing(store: &Store) -> Result<(Vec<(String, Option<serde_json::Value>)>, bool), ApiError> {
    let page = store.list(dead::PREFIX, super::kv::MAX_LIST_LIMIT, None).await.map_err(unavailable)?;
    let entries =
        page.entries.into_iter().map(|(k, m)| (k, m.and_then(|m| serde_json::from_str(&m.to_json()).ok()))).collect();
    Ok((entries, page.cursor.is_some()))
}

/// `GET /v1/events/dead-letters`.
pub async fn list(env: &Env) -> Result<Reply, ApiError> {
    let store = Store::open(env)?;
    let (entries, more) = listing(&store).await?;
    Ok(Reply::json(200, dead::list_json(&entries, more).to_string()).with("Cache-Control", "no-store"))
}

/// `POST /v1/events/dead-letters/replay`: sends up to
/// [`dead::REPLAY_BATCH`] dead letters, oldest first, back to the events
/// queue, deleting each once the queue took it. `{"replayed", "failed",
/// "remaining", "more"}`.
pub async fn replay(env: &Env) -> Result<Reply, ApiError> {
    let store = Store::open(env)?;
    let queue = env.queue(QUEUE).map_err(|e| unavailable(format!("queue binding {QUEUE}: {e}")))?;
    let (entries, _) = listing(&store).await?;
    let (mut replayed, mut failed) = (0, 0);
    for (key, _) in entries.iter().take(dead::REPLAY_BATCH) {
        let body = match store.get(key).await {
            Ok(Some(b)) => b,
            // Replayed by a concurrent call since the listing.
            Ok(None) => continue,
            Err(e) => {
                worker::console_error!("dead letters: {e}");
                failed += 1;
                continue;
            }
        };
        if let Err(e) = send_texts(&queue, std::slice::from_ref(&body)).await {
            worker::console_error!("dead letters: replaying {key}: {e}");
            failed += 1;
            continue;
        }
        // Sent: a delete that fails leaves it to be replayed again, which
        // the ids make harmless.
        if let Err(e) = store.delete(key).await {
            worker::console_error!("dead letters: {e}");
        }
        replayed += 1;
    }
    let (left, more) = listing(&store).await?;
    let body = serde_json::json!({ "replayed": replayed, "failed": failed, "remaining": left.len(), "more": more });
    Ok(Reply::json(200, body.to_string()).with("Cache-Control", "no-store"))
}
