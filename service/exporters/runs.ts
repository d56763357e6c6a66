// Run lists for spreadsheets and scripts: CSV (one row per run, one column
// per metric) and JSON.
import { stringify } from 'csv-stringify/sync';
import type { RunSummary } from '../../db/index.ts';

export const RUN_CSV_COLUMNS = [
  'id',
  'name',
  'kind',
  'status',
  'seed',
  'experimentId',
  'scenarioHash',
  'modelVersion',
  'createdAt',
  'startedAt',
  'finishedAt',
  'durationMs',
  'tags',
  'error',
] as const;

/** ISO-8601 UTC; the journal already stores that form, this keeps other inputs consistent. */
function iso(at: string | null): string {
  if (at === null) return '';
  const t = Date.parse(at);
  return Number.isNaN(t) ? at : new Date(t).toISOString();
}

/**
 * Text a user typed (names, tags, errors) that a spreadsheet would run as a
 * formula gets a leading apostrophe (OWASP's CSV injection advice); numbers
 * are never touched, so a negative value stays a number.
 */
function inertText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * CSV with a header row: the run columns of RUN_CSV_COLUMNS, then one column
 * per metric in the order given (empty where a run lacks the metric). Tags are
 * joined with spaces (a tag never holds one). Numbers keep full precision;
 * text that would start a spreadsheet formula is made inert.
 */
export function runsToCsv(rows: readonly RunSummary[], metrics: readonly string[]): string {
  const header = [...RUN_CSV_COLUMNS, ...metrics];
  const records = rows.map((r) => [
    r.id,
    inertText(r.name),
    r.kind,
    r.status,
    String(r.seed),
    r.experimentId ?? '',
    r.scenarioHash,
    r.modelVersion,
    iso(r.createdAt),
    iso(r.startedAt),
    iso(r.finishedAt),
    r.durationMs === null ? '' : String(r.durationMs),
    inertText(r.tags.join(' ')),
    inertText(r.error ?? ''),
    ...metrics.map((m) => (r.metrics[m] === undefined ? '' : String(r.metrics[m]))),
  ]);
  return stringify([header, ...records], { record_delimiter: 'unix' });
}

/** Pretty JSON of the runs (an array), each run's metrics limited to `metrics` when given. */
export function runsToJson(rows: readonly RunSummary[], metrics?: readonly string[]): string {
  const out = rows.map((r) => ({
    ...r,
    createdAt: iso(r.createdAt),
    startedAt: r.startedAt === null ? null : iso(r.startedAt),
    finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
    metrics: metrics ? Object.fromEntries(metrics.filter((m) => r.metrics[m] !== undefined).map((m) => [m, r.metrics[m] as number])) : r.metrics,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}
