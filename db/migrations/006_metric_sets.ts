// Schema 6: what a bulk insert of a million runs spends its time on, cut.
// - A run's metrics in one row, a JSONB object {name: value}, instead of one
//   row per metric. Sweeps write about 25 metrics a run; as rows with a
//   (name, value) index that was most of a bulk insert's time and of the file
//   (a million runs: 25M index entries, each commit dirtying pages all over it).
//   Sorting and range filters read expression indexes on the metrics people
//   sort by (the journal table's columns); other metrics still work, by a scan.
// - The scenario stored as JSONB: SQLite parsed each scenario's text ten times
//   per insert (the json_valid check and the nine expression indexes of schema
//   3); JSONB is parsed once and read by path without parsing.
// Values keep every bit: JSONB keeps a number's text, JSON text round-trips
// doubles exactly both ways (SQLite writes 17 significant digits and parses
// correctly rounded), and json() gives back the text that was stored.
// Columns holding JSONB are read through json().
import { scenarioFieldIndexes } from './003_scenario_field_indexes.ts';
import type { Migration } from './types.ts';

/** Metrics with an index; run-query.ts inlines their expression literally so SQLite can match it. */
export const INDEXED_METRICS = ['throughputGbps', 'vmExitsPerSec', 'cpuUtilization', 'vmmLockUtilization'] as const;
export type IndexedMetric = (typeof INDEXED_METRICS)[number];

/** The SQL expression reading metric `name` from the run_metrics row `table` (alias or table name, '' for none). */
export function metricValueSql(name: IndexedMetric, table = ''): string {
  return `json_extract(${table === '' ? '' : `${table}.`}metrics_jsonb, '$.${name}')`;
}

const indexName = (name: string): string => `run_metrics_by_${name.toLowerCase()}`;

export const metricSets: Migration = {
  version: 6,
  name: 'metric_sets',
  sql: `
-- json_valid(x, 4): the quick check that x is JSONB (jsonb() made it, so it is).
CREATE TABLE run_metric_sets (
  run_seq       INTEGER PRIMARY KEY REFERENCES runs(seq) ON DELETE CASCADE,
  metrics_jsonb BLOB NOT NULL CHECK (json_valid(metrics_jsonb, 4))
);
-- The rows of a run are read in name order (the old primary key), so each object lists its names sorted.
INSERT INTO run_metric_sets (run_seq, metrics_jsonb)
SELECT run_seq, jsonb_group_object(name, value) FROM run_metrics GROUP BY run_seq ORDER BY run_seq;
DROP TABLE run_metrics;
ALTER TABLE run_metric_sets RENAME TO run_metrics;
${INDEXED_METRICS.map((m) => `CREATE INDEX ${indexName(m)} ON run_metrics (${metricValueSql(m)});`).join('\n')}

-- The name scenario_json stays (queries and the indexes of schema 3 read it); it holds JSONB now.
CREATE TABLE run_documents_jsonb (
  run_seq       INTEGER PRIMARY KEY REFERENCES runs(seq) ON DELETE CASCADE,
  scenario_json BLOB NOT NULL CHECK (json_valid(scenario_json, 4)),
  result_json   TEXT CHECK (result_json IS NULL OR json_valid(result_json))
);
INSERT INTO run_documents_jsonb (run_seq, scenario_json, result_json)
SELECT run_seq, jsonb(scenario_json), result_json FROM run_documents ORDER BY run_seq;
DROP TABLE run_documents;
ALTER TABLE run_documents_jsonb RENAME TO run_documents;
${scenarioFieldIndexes.sql}
`,
};
