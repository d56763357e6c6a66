// Schema 6: a run's metrics in one row, a JSON object {name: value}, instead
// of one row per metric. Sweeps write about 25 metrics a run; as rows with a
// (name, value) index that was most of a bulk insert's time and of the file
// (a million runs: 25M index entries, each commit dirtying pages all over it).
// Sorting and range filters read expression indexes on the metrics people sort
// by (the journal table's columns); other metrics still work, by a scan.
// Values keep every bit: JSON numbers round-trip doubles exactly both ways
// (SQLite writes 17 significant digits and parses them correctly rounded).
import type { Migration } from './types.ts';

/** Metrics with an index; run-query.ts inlines their expression literally so SQLite can match it. */
export const INDEXED_METRICS = ['throughputGbps', 'vmExitsPerSec', 'cpuUtilization', 'vmmLockUtilization'] as const;

/** The SQL expression reading metric `name` from the metrics column of `table` (alias or table name, '' for none). */
export function metricValueSql(name: (typeof INDEXED_METRICS)[number], table = ''): string {
  return `json_extract(${table === '' ? '' : `${table}.`}metrics_json, '$.${name}')`;
}

const indexName = (name: string): string => `run_metrics_by_${name.toLowerCase()}`;

export const metricSets: Migration = {
  version: 6,
  name: 'metric_sets',
  sql: `
CREATE TABLE run_metric_sets (
  run_seq      INTEGER PRIMARY KEY REFERENCES runs(seq) ON DELETE CASCADE,
  metrics_json TEXT NOT NULL CHECK (json_valid(metrics_json))
);
-- The rows of a run are read in name order (the old primary key), so each object lists its names sorted.
INSERT INTO run_metric_sets (run_seq, metrics_json)
SELECT run_seq, json_group_object(name, value) FROM run_metrics GROUP BY run_seq ORDER BY run_seq;
DROP TABLE run_metrics;
ALTER TABLE run_metric_sets RENAME TO run_metrics;
${INDEXED_METRICS.map((m) => `CREATE INDEX ${indexName(m)} ON run_metrics (${metricValueSql(m)});`).join('\n')}
`,
};
