// N runs side by side: which scenario fields differ, and every metric with
// its delta and ratio against the first run (the base).
import type { JsonValue, Run, RunSummary } from '../db/index.ts';

export interface ScenarioDifference {
  path: string;
  /** One value per run; null where the run's scenario lacks the field. */
  values: (JsonValue | null)[];
}

export interface MetricRow {
  name: string;
  values: (number | null)[];
  /** value - base; null for the base itself or where either is missing. */
  delta: (number | null)[];
  /** value / base; null where either is missing or the base is 0. */
  ratio: (number | null)[];
}

export interface Comparison {
  runs: RunSummary[];
  differences: ScenarioDifference[];
  metrics: MetricRow[];
}

/** Leaf fields of a JSON document by dotted path (array items by index). */
export function flatten(value: JsonValue, prefix = '', out = new Map<string, JsonValue>()): Map<string, JsonValue> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(prefix, value);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** A run without its documents: what lists and comparisons show. */
export function summaryOf({ scenario: _s, result: _r, series: _ser, notes: _n, ...summary }: Run): RunSummary {
  return summary;
}

export function compareRuns(runs: readonly Run[]): Comparison {
  const flat = runs.map((r) => flatten(r.scenario));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const differences = paths
    .map((path) => ({ path, values: flat.map((f) => (f.has(path) ? (f.get(path) as JsonValue) : null)) }))
    .filter((d) => new Set(d.values.map((v) => JSON.stringify(v))).size > 1);

  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const metrics = names.map((name) => {
    const values = runs.map((r) => r.metrics[name] ?? null);
    const base = values[0] ?? null;
    return {
      name,
      values,
      delta: values.map((v, i) => (i === 0 || v === null || base === null ? null : v - base)),
      ratio: values.map((v, i) => (i === 0 || v === null || base === null || base === 0 ? null : v / base)),
    };
  });
  return { runs: runs.map(summaryOf), differences, metrics };
}
