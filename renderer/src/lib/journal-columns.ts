// The journal table's scenario columns and filters: which fields are on
// offer first, the user's choice kept across sessions, and a typed filter
// value from what was typed (numbers and booleans as such).
import type { FieldValue } from './types.ts';
import { METRICS } from '../../../service/protocol/index.ts';
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

const STORAGE_KEY = 'iommu-lab.journal.fieldColumns';
const DEFAULT_COLUMNS = ['viommu.backend', 'effective.policy'];
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

/** The saved column choice, or the default when none was saved (or it is unreadable). */
export function loadFieldColumns(storage: Pick<Storage, 'getItem'> | undefined): string[] {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null') as unknown;
    if (Array.isArray(saved) && saved.every((p) => typeof p === 'string' && PATH.test(p))) return saved as string[];
  } catch {
    // An unreadable choice falls back to the default.
  }
  return [...DEFAULT_COLUMNS];
}

export function saveFieldColumns(storage: Pick<Storage, 'setItem'> | undefined, columns: readonly string[]): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(columns));
  } catch {
    // Storage full or denied: the choice lasts for this page only.
  }
}

/** "256" -> 256, "true" -> true, anything else the text itself (scenario values are typed). */
export function parseFieldValue(text: string): Exclude<FieldValue, null> {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}
