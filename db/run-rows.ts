// Reading runs back: row shapes, the summary columns, and batched loading of
// tags and metrics for a page of runs.
import type { Sql } from './statements.ts';
import type { RunKind, RunStatus, RunSummary } from './types.ts';

export interface RunRow {
  seq: number;
  id: string;
  experiment_id: string | null;
  name: string;
  status: RunStatus;
  kind: RunKind;
  seed: number;
  model_version: string;
  scenario_hash: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
}

/** Every runs column except the large JSON ones, for alias `r`. */
export const SUMMARY_COLUMNS =
  'r.seq, r.id, r.experiment_id, r.name, r.status, r.kind, r.seed, r.model_version, r.scenario_hash, ' +
  'r.created_at, r.started_at, r.finished_at, r.duration_ms, r.error';

export function toSummary(row: RunRow, tags: string[], metrics: Record<string, number>): RunSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    kind: row.kind,
    seed: row.seed,
    experimentId: row.experiment_id,
    scenarioHash: row.scenario_hash,
    modelVersion: row.model_version,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    error: row.error,
    tags,
    metrics,
  };
}

/** Tags of each run, sorted. */
export function loadTags(sql: Sql, seqs: readonly number[]): Map<number, string[]> {
  const out = new Map<number, string[]>(seqs.map((s) => [s, []]));
  if (seqs.length === 0) return out;
  const rows = sql
    .prepare<{ run_seq: number; tag: string }>('SELECT run_seq, tag FROM run_tags WHERE run_seq IN (SELECT value FROM json_each(?)) ORDER BY run_seq, tag')
    .all(JSON.stringify(seqs));
  for (const row of rows) out.get(row.run_seq)?.push(row.tag);
  return out;
}

/** Metrics of each run: all of them, or only `names`. */
export function loadMetrics(sql: Sql, seqs: readonly number[], names?: readonly string[]): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>(seqs.map((s) => [s, {}]));
  if (seqs.length === 0 || names?.length === 0) return out;
  const rows = sql
    .prepare<{ run_seq: number; metrics_json: string }>('SELECT run_seq, json(metrics_jsonb) AS metrics_json FROM run_metrics WHERE run_seq IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(seqs));
  for (const row of rows) {
    if (out.has(row.run_seq)) out.set(row.run_seq, parseMetrics(row.metrics_json, names));
  }
  return out;
}

/** A run's metrics object as json() renders it (migration 006), or only `names` of it. */
export function parseMetrics(json: string, names?: readonly string[]): Record<string, number> {
  const all = JSON.parse(json) as Record<string, number>;
  if (names === undefined) return all;
  const picked: Record<string, number> = {};
  for (const name of names) if (Object.hasOwn(all, name)) picked[name] = all[name] as number;
  return picked;
}
