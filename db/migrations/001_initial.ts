// Schema 1: experiments, runs with metrics, series, tags and notes, and full-text search.
import type { Migration } from './types.ts';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
PRAGMA application_id = 1229933900; -- 'IOML': tells a journal from any other SQLite file

CREATE TABLE experiments (
  id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL
);

-- id is the run's identity (a UUID, kept by merges). seq is a compact local key
-- for child rows and full-text search: FTS5 external content needs a stable
-- integer rowid, and integer joins keep metric queries fast at 100k+ runs.
CREATE TABLE runs (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  experiment_id TEXT REFERENCES experiments(id) ON DELETE SET NULL,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
  seed          INTEGER NOT NULL,
  model_version TEXT NOT NULL,
  scenario_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT,
  duration_ms   REAL,
  error         TEXT,
  owner         TEXT -- process holding a queued/running run, so another opener can tell live runs from orphans
);
CREATE INDEX runs_by_created ON runs (created_at);
CREATE INDEX runs_by_status ON runs (status, created_at);
CREATE INDEX runs_by_name ON runs (name);
CREATE INDEX runs_by_duration ON runs (duration_ms);
CREATE INDEX runs_by_experiment ON runs (experiment_id, created_at);
CREATE INDEX runs_by_scenario_hash ON runs (scenario_hash);

-- The large JSON documents sit beside runs, one row per run: runs rows stay
-- around 200 bytes, so filtering and counting 100k+ runs stays in the page
-- cache (measured about 5x faster than with the JSON inline).
CREATE TABLE run_documents (
  run_seq       INTEGER PRIMARY KEY REFERENCES runs(seq) ON DELETE CASCADE,
  scenario_json TEXT NOT NULL CHECK (json_valid(scenario_json)),
  result_json   TEXT CHECK (result_json IS NULL OR json_valid(result_json))
);

-- (name, value) serves both metric range filters and sorting by a metric.
CREATE TABLE run_metrics (
  run_seq INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
  name    TEXT NOT NULL,
  value   REAL NOT NULL,
  PRIMARY KEY (run_seq, name)
) WITHOUT ROWID;
CREATE INDEX run_metrics_by_value ON run_metrics (name, value);

CREATE TABLE run_series (
  run_seq  INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  encoding TEXT NOT NULL CHECK (encoding IN ('f64le', 'f32le')),
  points   INTEGER NOT NULL CHECK (points >= 0),
  data     BLOB NOT NULL,
  PRIMARY KEY (run_seq, name)
);

-- Metrics and series belong to done runs only (failed and cancelled runs drop
-- partial outputs), and a done run stays done. Queries rely on it: a metric
-- condition implies status done. The repository keeps the first rule and
-- Journal.checkIntegrity reports breaches; a row trigger on run_metrics would
-- force a statement journal per metric insert and slow bulk inserts by a third.
CREATE TRIGGER runs_done_is_final BEFORE UPDATE OF status ON runs
WHEN old.status = 'done' AND new.status <> 'done' BEGIN
  SELECT RAISE(ABORT, 'a done run stays done');
END;

CREATE TABLE run_tags (
  run_seq INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
  tag     TEXT NOT NULL,
  PRIMARY KEY (run_seq, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags (tag);

CREATE TABLE notes (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
  run_seq    INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX notes_by_run ON notes (run_seq, created_at);

-- Full-text search over run names and note bodies; the text lives once, in
-- runs and notes (external content), and the triggers keep the indexes in step.
CREATE VIRTUAL TABLE runs_fts USING fts5 (name, content = 'runs', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE notes_fts USING fts5 (body, content = 'notes', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
  INSERT INTO runs_fts (rowid, name) VALUES (new.seq, new.name);
END;
CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
  INSERT INTO runs_fts (runs_fts, rowid, name) VALUES ('delete', old.seq, old.name);
END;
CREATE TRIGGER runs_fts_update AFTER UPDATE OF name ON runs BEGIN
  INSERT INTO runs_fts (runs_fts, rowid, name) VALUES ('delete', old.seq, old.name);
  INSERT INTO runs_fts (rowid, name) VALUES (new.seq, new.name);
END;

CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts (rowid, body) VALUES (new.seq, new.body);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, body) VALUES ('delete', old.seq, old.body);
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, body) VALUES ('delete', old.seq, old.body);
  INSERT INTO notes_fts (rowid, body) VALUES (new.seq, new.body);
END;
`,
};
