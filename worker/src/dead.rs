//! Dead letters: queue messages the consumer could not write to D1 after
//! every retry (wrangler.toml `max_retries`) reach the dead-letter queue,
//! whose consumer (this Worker) keeps each one in KV under [`PREFIX`]
//! with what it holds as metadata. An admin lists them
//! (`GET /v1/events/dead-letters`) and sends them back to the events queue
//! (`POST /v1/events/dead-letters/replay`) once D1 works again. Replaying
//! is safe: every message's rows carry ids (events, metric rows, usage
//! messages), so what was written before counts once. docs/worker.md,
//! "Dead letters".

use edgeflags::time::{format_rfc3339, Millis};

use crate::{events, metrics, usage};

/// Where dead letters live in the `FLAGS` namespace.
pub const PREFIX: &str = "dead-letters/";
/// Most dead letters one replay call sends back.
pub const REPLAY_BATCH: usize = 100;
/// Most dead letters a listing names.
pub const LIST_LIMIT: usize = 100;

/// A dead letter's key: the time first (so keys list oldest first), then
/// the message's queue id (unique).
pub fn key(at: Millis, id: &str) -> String {
    format!("{PREFIX}{at:013}-{id}")
}

/// What a message holds, for the listing: its kind (`events`, `metrics`,
/// `usage`, or `unknown` for a message no version here reads) and how many
/// items.
pub fn describe(body: &str) -> (&'static str, usize) {
    if let Some(rows) = metrics::read_message(body) {
        ("metrics", rows.len())
    } else if let Some(m) = usage::read_message(body) {
        ("usage", m.rows.len())
    } else if let Some(e) = events::read_message(body) {
        ("events", e.len())
    } else {
        ("unknown", 0)
    }
}

/// The metadata kept with a dead letter sent at `at` (ms).
pub fn metadata(body: &str, at: Millis) -> serde_json::Value {
    let (kind, items) = describe(body);
    serde_json::json!({ "at": at, "kind": kind, "items": items })
}

/// `GET /v1/events/dead-letters`: `{"count", "more", "messages": [{"id",
/// "at", "kind", "items"}]}`, oldest first (`at`: when the message was
/// first sent); `more` when there are more than the listing shows.
pub fn list_json(entries: &[(String, Option<serde_json::Value>)], more: bool) -> serde_json::Value {
    let messages: Vec<serde_json::Value> = entries
        .iter()
        .take(LIST_LIMIT)
        .map(|(k, meta)| {
            let m = meta.clone().unwrap_or_default();
            let at = m.get("at").and_then(|a| a.as_i64());
            serde_json::json!({
                "id": k.strip_prefix(PREFIX).unwrap_or(k),
                "at": at.map(format_rfc3339),
                "kind": m.get("kind").cloned().unwrap_or(serde_json::Value::Null),
                "items": m.get("items").cloned().unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    serde_json::json!({ "count": entries.len(), "more": more || entries.len() > LIST_LIMIT, "messages": messages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_time() {
        assert_eq!(key(5, "q1"), "dead-letters/0000000000005-q1");
        assert!(key(999, "z") < key(1000, "a"));
    }

    #[test]
    fn describes_each_kind() {
        let rows = vec![usage::Row { flag: "f".into(), variant: "on".into(), day: 1, count: 2, last_at: 3 }];
        let text = &usage::messages("e:x", &rows)[0];
        assert_eq!(describe(text), ("usage", 1));
        let ev = events::messages(&[events::Stored::Track {
            id: "t".into(),
            event: "buy".into(),
            unit: "h".into(),
            value: None,
            at: 1,
        }]);
        assert_eq!(describe(&ev[0]), ("events", 1));
        assert_eq!(describe("{}"), ("unknown", 0));
        let m = metadata(&ev[0], 86_400_000);
        let j = list_json(&[(key(86_400_000, "q"), Some(m))], false);
        assert_eq!(
            j,
            serde_json::json!({"count": 1, "more": false, "messages": [{
                "id": "0000086400000-q", "at": "1970-01-02T00:00:00Z", "kind": "events", "items": 1}]})
        );
    }
}
