-- The experiment event store (docs/experiments.md, "Storage"). Units are
-- keyed hashes (HMAC-SHA256 under the Worker's UNIT_HASH_KEY), never raw ids.

-- A unit's first exposure to a variant of an experiment: one row per
-- (experiment, unit, variant); later exposures are the same row (INSERT OR
-- IGNORE). A unit with rows for two variants is left out of the analysis
-- and counted.
CREATE TABLE exposures (
  experiment TEXT NOT NULL,
  unit TEXT NOT NULL,
  variant TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  version INTEGER,
  source TEXT NOT NULL CHECK (source IN ('api', 'edge')),
  PRIMARY KEY (experiment, unit, variant)
) WITHOUT ROWID;

-- Tracked events (conversions, values), one row per event id: a retried
-- batch or a redelivered queue message inserts nothing twice.
CREATE TABLE tracks (
  id TEXT NOT NULL PRIMARY KEY,
  event TEXT NOT NULL,
  unit TEXT NOT NULL,
  value REAL,
  at INTEGER NOT NULL
) WITHOUT ROWID;

-- The results query groups an event's rows by unit.
CREATE INDEX tracks_by_event_unit ON tracks (event, unit, value);
