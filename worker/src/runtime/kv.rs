//! Workers KV access for the layout in [`crate::store`]: text values with
//! JSON metadata, and prefix listing with a cursor. Every KV failure comes
//! back as a message naming the operation and key, for the log only (never
//! for a response body); callers decide whether it means "serve the last
//! known good ruleset" (the read path), "retry the publish later" (the
//! control object) or 503.

use edgeflags::Value;
use std::cell::OnceCell;

use worker::{js_sys, Env, KvStore};

use crate::errors::ApiError;

/// The KV binding name in `wrangler.toml`.
pub const BINDING: &str = "FLAGS";
/// Most keys one list page returns (KV's own maximum).
pub const MAX_LIST_LIMIT: u64 = 1000;

/// The flag store. The `worker` crate's `KvStore` reads five methods off
/// the binding when made: it is made on the first KV call, and most
/// requests (served from the isolate's ruleset) make none.
pub struct Store {
    env: Env,
    kv: OnceCell<KvStore>,
}

/// One page of a listing: keys with their metadata, and the cursor for the next page.
pub struct Page {
    /// `(key, metadata)` in key order.
    pub entries: Vec<(String, Option<Value>)>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

impl Store {
    /// The `FLAGS` namespace; a Worker deployed without it answers 503.
    pub fn open(env: &Env) -> Result<Store, ApiError> {
        match js_sys::Reflect::get(env, &BINDING.into()) {
            Ok(b) if b.is_object() => Ok(Store { env: env.clone(), kv: OnceCell::new() }),
            _ => {
                worker::console_error!("edgeflags: the Worker has no KV binding {BINDING}");
                Err(ApiError::store_unavailable("the store is not configured"))
            }
        }
    }

    fn kv(&self) -> Result<&KvStore, String> {
        if let Some(kv) = self.kv.get() {
            return Ok(kv);
        }
        let kv = self.env.kv(BINDING).map_err(|e| format!("KV binding {BINDING}: {e}"))?;
        Ok(self.kv.get_or_init(|| kv))
    }

    /// The text at `key`, `None` when absent.
    pub async fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.kv()?.get(key).text().await.map_err(|e| format!("KV get {key}: {e}"))
    }

    /// Writes `text` at `key`, with optional JSON metadata.
    pub async fn put(&self, key: &str, text: &str, metadata: Option<&Value>) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("KV put {key}: {e}");
        let mut op = self.kv()?.put(key, text).map_err(|e| fail(&e))?;
        if let Some(m) = metadata {
            let m = serde_json::to_value(m).map_err(|e| fail(&e))?;
            op = op.metadata(m).map_err(|e| fail(&e))?;
        }
        op.execute().await.map_err(|e| fail(&e))
    }

    /// Deletes `key` (nothing when it is absent).
    pub async fn delete(&self, key: &str) -> Result<(), String> {
        self.kv()?.delete(key).await.map_err(|e| format!("KV delete {key}: {e}"))
    }

    /// One page of keys under `prefix`.
    pub async fn list(&self, prefix: &str, limit: u64, cursor: Option<String>) -> Result<Page, String> {
        let mut op = self.kv()?.list().prefix(prefix.to_string()).limit(limit.clamp(1, MAX_LIST_LIMIT));
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            op = op.cursor(c);
        }
        let page = op.execute().await.map_err(|e| format!("KV list {prefix}: {e}"))?;
        let entries = page
            .keys
            .into_iter()
            .map(|k| {
                let meta = k.metadata.and_then(|m| serde_json::from_value::<Value>(m).ok());
                (k.name, meta)
            })
            .collect();
        let cursor = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok(Page { entries, cursor })
    }
}
