-- Flag usage telemetry (docs/worker.md, "Flag usage"): per flag, variant
-- and UTC day, how many answers the Worker served and the last one. Each
-- queue delivery adds its counts (INSERT ... ON CONFLICT DO UPDATE), so
-- the last time and the variants served are exact; a count may be added
-- twice when a delivery is retried after its write succeeded. Rows older
-- than edgeflags::usage::KEPT_DAYS (90) are pruned by the guard's cron.
CREATE TABLE flag_usage (
  flag TEXT NOT NULL,
  variant TEXT NOT NULL,
  day INTEGER NOT NULL,
  count INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (flag, variant, day)
) WITHOUT ROWID;

CREATE INDEX flag_usage_by_day ON flag_usage (day);
