-- Route metrics for guarded rollouts (docs/rollouts.md, "In the Worker").
-- One row per isolate flush, flag, variant, ruleset version and minute:
-- requests routed, errors (upstream 5xx, network errors, timeouts) and a
-- latency histogram (a JSON array of 35 counts, the buckets of
-- edgeflags::rollout::LATENCY_BOUNDS_MS). The id names all five, so a
-- redelivered queue message inserts nothing twice (INSERT OR IGNORE);
-- rows are summed when a rollout's window is read.
CREATE TABLE route_metrics (
  id TEXT NOT NULL PRIMARY KEY,
  flag TEXT NOT NULL,
  variant TEXT NOT NULL,
  version INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  latency TEXT NOT NULL
) WITHOUT ROWID;

-- A rollout's window: one flag, minutes from the step's start on.
CREATE INDEX route_metrics_by_flag_minute ON route_metrics (flag, minute, version);
-- The pruning of old rows.
CREATE INDEX route_metrics_by_minute ON route_metrics (minute);
