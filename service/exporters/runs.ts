// Run lists for spreadsheets and scripts: CSV (one row per run, one column
// per scenario field, swept fields first, and one per metric) and JSON.
import { stringify } from 'csv-stringify/sync';
import type { RunSummary } from '../../db/index.ts';
import type { FieldValue } from '../experiments.ts';

/** Each run's scenario flattened (`viommu.backend` -> value), and the field order: swept fields first. */
export interface ScenarioColumns {
  paths: readonly string[];
  byRun: ReadonlyMap<string, Readonly<Record<string, FieldValue>>>;
}

const cell = (v: FieldValue | undefined): string => (v === undefined || v === null ? '' : typeof v === 'string' ? inertText(v) : String(v));

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

/** The CSV header row: run columns, scenario fields, metrics. */
export function runsCsvHeader(metrics: readonly string[], scenario?: ScenarioColumns): string {
  return stringify([[...RUN_CSV_COLUMNS, ...(scenario?.paths ?? []), ...metrics]], { record_delimiter: 'unix' });
}

/** CSV rows (no header) of `rows`, for writing a long list page by page after runsCsvHeader. */
export function runsCsvRows(rows: readonly RunSummary[], metrics: readonly string[], scenario?: ScenarioColumns): string {
  const paths = scenario?.paths ?? [];
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
    ...paths.map((p) => cell(scenario?.byRun.get(r.id)?.[p])),
    ...metrics.map((m) => (r.metrics[m] === undefined ? '' : String(r.metrics[m]))),
  ]);
  return records.length === 0 ? '' : stringify(records, { record_delimiter: 'unix' });
}

/**
 * CSV with a header row: the run columns of RUN_CSV_COLUMNS, then one column
 * per scenario field (when given), then one column per metric in the order given (empty where a run lacks the metric). Tags are
 * joined with spaces (a tag never holds one). Numbers keep full precision;
 * text that would start a spreadsheet formula is made inert.
 */
export function runsToCsv(rows: readonly RunSummary[], metrics: readonly string[], scenario?: ScenarioColumns): string {
  return runsCsvHeader(metrics, scenario) + runsCsvRows(rows, metrics, scenario);
}

function jsonRun(r: RunSummary, metrics?: readonly string[], scenario?: ScenarioColumns) {
  return {
    ...r,
    ...(scenario ? { scenario: Object.fromEntries(scenario.paths.map((p) => [p, scenario.byRun.get(r.id)?.[p] ?? null])) } : {}),
    createdAt: iso(r.createdAt),
    startedAt: r.startedAt === null ? null : iso(r.startedAt),
    finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
    metrics: metrics ? Object.fromEntries(metrics.filter((m) => r.metrics[m] !== undefined).map((m) => [m, r.metrics[m] as number])) : r.metrics,
  };
}

/**
 * Elements of the pretty JSON array, laid out as JSON.stringify(array, null, 2)
 * lays them out: `first` says whether these open the array. Wrap the whole in
 * '[\n' ... '\n]\n' (or write '[]\n' when there are no runs).
 */
export function runsJsonElements(rows: readonly RunSummary[], first: boolean, metrics?: readonly string[], scenario?: ScenarioColumns): string {
  return rows
    .map((r, i) => `${first && i === 0 ? '' : ',\n'}  ${JSON.stringify(jsonRun(r, metrics, scenario), null, 2).replaceAll('\n', '\n  ')}`)
    .join('');
}

/**
 * Pretty JSON of the runs (an array), each run's metrics limited to `metrics`
 * when given, and its scenario fields as `scenario` (flattened paths, swept first).
 */
export function runsToJson(rows: readonly RunSummary[], metrics?: readonly string[], scenario?: ScenarioColumns): string {
  return rows.length === 0 ? '[]\n' : `[\n${runsJsonElements(rows, true, metrics, scenario)}\n]\n`;
}
