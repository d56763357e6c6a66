// The journal table's scenario columns and filters: which fields are on
// offer first, the user's choice kept across sessions, and a typed filter
// value from what was typed (numbers and booleans as such).
import type { FieldValue } from './types.ts';
import { KEY_METRICS, KNOWN_METRICS, METRICS } from '../../../service/protocol/index.ts';
import { formatMetric, metricInfo } from './format.ts';
import { COMMON_FIELD_PATHS } from '../../../service/protocol/constants.ts';

/**
 * What a measurement reports (iperf3, fio), in catalog order. A measured run
 * has none of the simulation's key metrics, so the journal asks for these too
 * and shows them in the row instead.
 */
export const MEASURED_METRICS: readonly string[] = METRICS.filter((m) => !m.seriesOnly && m.sources.some((s) => s === 'iperf3' || s === 'fio')).map((m) => m.name);

/** A measured run's values for its journal row, up to `max`, each as "Received 9.41 Gbit/s". */
export function measuredSummary(metrics: Readonly<Record<string, number>>, max = 3): { name: string; text: string }[] {
  return MEASURED_METRICS.filter((m) => Number.isFinite(metrics[m]))
    .slice(0, max)
    .map((m) => ({ name: m, text: `${metricInfo(m).label} ${formatMetric(m, metrics[m])}` }));
}

/** Offered first, in this order (the protocol's list); any other path the runs have follows. */
export const FIELD_CHOICES = COMMON_FIELD_PATHS;

/** The metric columns on offer: every scalar a run journals, in catalog order (the key metrics are the default). */
export const METRIC_CHOICES: readonly string[] = KNOWN_METRICS;

const FIELD_STORAGE_KEY = 'iommu-lab.journal.fieldColumns';
const METRIC_STORAGE_KEY = 'iommu-lab.journal.metricColumns';
const DEFAULT_FIELD_COLUMNS = ['viommu.backend', 'effective.policy'];
const PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

export interface FieldFilter {
  path: string;
  value: string | number | boolean;
}

export interface MetricRange {
  name: string;
  min?: number;
  max?: number;
}

/** A saved list of column names when every one passes `valid`, else `fallback` (nothing saved, or unreadable). */
function loadColumns(storage: Pick<Storage, 'getItem'> | undefined, key: string, fallback: readonly string[], valid: (name: string) => boolean): string[] {
  try {
    const saved = JSON.parse(storage?.getItem(key) ?? 'null') as unknown;
    if (Array.isArray(saved) && saved.every((p) => typeof p === 'string' && valid(p))) return saved as string[];
  } catch {
    // An unreadable choice falls back to the default.
  }
  return [...fallback];
}

function saveColumns(storage: Pick<Storage, 'setItem'> | undefined, key: string, columns: readonly string[]): void {
  try {
    storage?.setItem(key, JSON.stringify(columns));
  } catch {
    // Storage full or denied: the choice lasts for this page only.
  }
}

/** The saved scenario-field columns, or the default when none was saved (or it is unreadable). */
export function loadFieldColumns(storage: Pick<Storage, 'getItem'> | undefined): string[] {
  return loadColumns(storage, FIELD_STORAGE_KEY, DEFAULT_FIELD_COLUMNS, (p) => PATH.test(p));
}

export function saveFieldColumns(storage: Pick<Storage, 'setItem'> | undefined, columns: readonly string[]): void {
  saveColumns(storage, FIELD_STORAGE_KEY, columns);
}

/** The saved metric columns (catalog metrics only), or the key metrics. */
export function loadMetricColumns(storage: Pick<Storage, 'getItem'> | undefined): string[] {
  return loadColumns(storage, METRIC_STORAGE_KEY, KEY_METRICS, (m) => METRIC_CHOICES.includes(m));
}

export function saveMetricColumns(storage: Pick<Storage, 'setItem'> | undefined, columns: readonly string[]): void {
  saveColumns(storage, METRIC_STORAGE_KEY, columns);
}

/** `columns` with `name` turned on (in catalog order, so the table keeps one order) or off. */
export function toggledMetricColumns(columns: readonly string[], name: string, on: boolean): string[] {
  if (!on) return columns.filter((m) => m !== name);
  const chosen = new Set([...columns, name]);
  return METRIC_CHOICES.filter((m) => chosen.has(m));
}

/**
 * Whether a run's row shows its metric cells: a measured run with none of the
 * chosen metrics (an iperf3 run under the NIC's columns) shows its own values
 * across them instead (measuredSummary).
 */
export function showsMetricCells(kind: string, metrics: Readonly<Record<string, number>>, columns: readonly string[]): boolean {
  return kind !== 'measured' || columns.some((m) => Number.isFinite(metrics[m]));
}

/** "256" -> 256, "true" -> true, anything else the text itself (scenario values are typed). */
export function parseFieldValue(text: string): Exclude<FieldValue, null> {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}
