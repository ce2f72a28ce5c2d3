-- Flag usage messages already counted (docs/worker.md, "Flag usage"). The
-- queue consumer records a message's id here in the same transaction that
-- adds its counts to flag_usage, and adds them only when the id is new
-- (worker/src/usage.rs, apply_statements): a message delivered twice is
-- counted once. Ids older than 7 days are pruned by the guard's cron.
CREATE TABLE usage_applied (
  id TEXT NOT NULL PRIMARY KEY,
  token TEXT NOT NULL,
  at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX usage_applied_by_at ON usage_applied (at);
