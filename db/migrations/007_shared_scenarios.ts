// Schema 7: each distinct scenario stored once. A sweep repeats a few
// scenarios over its seeds and grid (a million-run journal of sweeps holds
// thousands of scenarios, not a million), yet schema 6 kept a copy per run:
// about 1.3 kB of JSONB, a JSON parse and nine expression-index entries per
// run inserted, close to half of the file and of a bulk insert's time. Runs
// now refer to their scenario, and the field indexes of schema 3 sit on the
// scenarios, where a filter resolves to a few scenario seqs first.
// Identity is the JSONB itself (unique): JSONB made from the same canonical
// JSON text is the same bytes, and merges match scenarios the same way.
// Also dropped: the index on runs.scenario_hash, which no query reads (runs
// sharing a scenario are found through run_documents_by_scenario) and which
// was the largest index per run (80 bytes of a 64-digit hex key).
import { INDEXED_SCENARIO_PATHS } from './003_scenario_field_indexes.ts';
import type { Migration } from './types.ts';

/** The SQL expression reading `path` (an indexed one) from the scenarios row `table`; run-query.ts writes it literally so SQLite matches the index. */
export function scenarioFieldSql(path: (typeof INDEXED_SCENARIO_PATHS)[number], table = ''): string {
  return `json_extract(${table === '' ? '' : `${table}.`}scenario_jsonb, '${path}')`;
}

const indexName = (path: string): string => `scenarios_by_${path.slice(2).replace(/\./g, '_').toLowerCase()}`;

export const sharedScenarios: Migration = {
  version: 7,
  name: 'shared_scenarios',
  sql: `
CREATE TABLE scenarios (
  seq            INTEGER PRIMARY KEY,
  scenario_jsonb BLOB NOT NULL UNIQUE CHECK (json_valid(scenario_jsonb, 4))
);
-- OR IGNORE through the unique index: memory stays bounded by the distinct scenarios, whatever the runs.
INSERT OR IGNORE INTO scenarios (scenario_jsonb) SELECT scenario_json FROM run_documents ORDER BY run_seq;

CREATE TABLE run_documents_shared (
  run_seq      INTEGER PRIMARY KEY REFERENCES runs(seq) ON DELETE CASCADE,
  scenario_seq INTEGER NOT NULL REFERENCES scenarios(seq),
  result_json  TEXT CHECK (result_json IS NULL OR json_valid(result_json))
);
INSERT INTO run_documents_shared (run_seq, scenario_seq, result_json)
SELECT d.run_seq, s.seq, d.result_json FROM run_documents d JOIN scenarios s ON s.scenario_jsonb = d.scenario_json ORDER BY d.run_seq;
DROP TABLE run_documents;
ALTER TABLE run_documents_shared RENAME TO run_documents;
CREATE INDEX run_documents_by_scenario ON run_documents (scenario_seq);
DROP INDEX runs_by_scenario_hash;
${INDEXED_SCENARIO_PATHS.map((p) => `CREATE INDEX ${indexName(p)} ON scenarios (${scenarioFieldSql(p)});`).join('\n')}
`,
};
