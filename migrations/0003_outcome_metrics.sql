-- Custom metrics applications report with their outcomes (docs/rollouts.md,
-- "Metrics from applications"): one row per outcome and metric, keyed by
-- the outcome's row id in route_metrics (which names the flag and the
-- sender's id), so a retried batch or a redelivered queue message inserts
-- nothing twice. A rollout's custom guards read count, sum and sum of
-- squares per variant over the step's window.
CREATE TABLE outcome_metrics (
  id TEXT NOT NULL,
  metric TEXT NOT NULL,
  flag TEXT NOT NULL,
  variant TEXT NOT NULL,
  version INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (id, metric)
) WITHOUT ROWID;

CREATE INDEX outcome_metrics_by_flag_minute ON outcome_metrics (flag, minute, version);
CREATE INDEX outcome_metrics_by_minute ON outcome_metrics (minute);
