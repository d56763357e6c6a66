// Schema 2: measured runs beside simulated ones, and benchmark histories
// (points from simulations and from imported iperf3 / fio results).
import type { Migration } from './types.ts';

export const kindAndBenchmarks: Migration = {
  version: 2,
  name: 'kind_and_benchmarks',
  sql: `
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'simulated' CHECK (kind IN ('simulated', 'measured'));
CREATE INDEX runs_by_kind ON runs (kind, created_at);

CREATE TABLE benchmarks (
  id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  name             TEXT NOT NULL UNIQUE,
  metric           TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  higher_is_better INTEGER NOT NULL CHECK (higher_is_better IN (0, 1)),
  created_at       TEXT NOT NULL
);

-- Points reference runs by UUID: there are few of them, and it keeps merges simple.
CREATE TABLE benchmark_points (
  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  benchmark_id TEXT NOT NULL REFERENCES benchmarks(id) ON DELETE CASCADE,
  run_id       TEXT REFERENCES runs(id) ON DELETE SET NULL,
  measured_at  TEXT NOT NULL,
  value        REAL NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('simulated', 'iperf3', 'fio')),
  context_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(context_json)),
  raw_json     TEXT CHECK (raw_json IS NULL OR json_valid(raw_json))
);
CREATE INDEX benchmark_points_by_time ON benchmark_points (benchmark_id, measured_at);
CREATE INDEX benchmark_points_by_run ON benchmark_points (run_id);

-- Known shifts in a history (kernel upgrade, host change), drawn on charts and
-- used to explain change points.
CREATE TABLE benchmark_markers (
  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  benchmark_id TEXT NOT NULL REFERENCES benchmarks(id) ON DELETE CASCADE,
  at           TEXT NOT NULL,
  label        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  UNIQUE (benchmark_id, at, label)
);
`,
};
