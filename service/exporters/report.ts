// The data behind a comparison report: two run sets (base and head), the
// statistical comparison of their metrics, and the exact scenario fields in
// which they differ. The text and HTML renderers only format this.
import type { JsonObject, JsonValue, Series } from '../../db/index.ts';
import { flatten } from '../compare.ts';
import { compareRunSets } from '../stats.ts';
import type { CompareRunSetsOptions, RunSetComparison } from '../stats.ts';

export interface ReportRun {
  id: string;
  name: string;
  seed: number;
  metrics: Readonly<Record<string, number>>;
  scenario: JsonObject;
  series?: Readonly<Record<string, Series>>;
}

export interface ReportRunSet {
  label: string;
  runs: ReportRun[];
}

export interface ReportDifference {
  path: string;
  /** Distinct values of the field in each set, in first-seen order; null where a run lacks the field. */
  base: (JsonValue | null)[];
  head: (JsonValue | null)[];
}

export interface ComparisonReport {
  title: string;
  base: ReportRunSet;
  head: ReportRunSet;
  comparison: RunSetComparison;
  differences: ReportDifference[];
}

function distinct(values: (JsonValue | null)[]): (JsonValue | null)[] {
  const seen = new Map<string, JsonValue | null>();
  for (const v of values) if (!seen.has(JSON.stringify(v))) seen.set(JSON.stringify(v), v);
  return [...seen.values()];
}

/** Scenario fields whose set of values differs between base and head (the seed aside when runs pair up). */
export function scenarioDifferences(base: readonly ReportRun[], head: readonly ReportRun[]): ReportDifference[] {
  const flatBase = base.map((r) => flatten(r.scenario));
  const flatHead = head.map((r) => flatten(r.scenario));
  const paths = [...new Set([...flatBase, ...flatHead].flatMap((f) => [...f.keys()]))].sort();
  const valuesAt = (flat: Map<string, JsonValue>[], path: string) => distinct(flat.map((f) => (f.has(path) ? (f.get(path) as JsonValue) : null)));
  const key = (vs: (JsonValue | null)[]) => vs.map((v) => JSON.stringify(v)).sort().join('\u0000');
  return paths
    .map((path) => ({ path, base: valuesAt(flatBase, path), head: valuesAt(flatHead, path) }))
    .filter((d) => key(d.base) !== key(d.head));
}

export function buildComparisonReport(
  base: ReportRunSet,
  head: ReportRunSet,
  options: CompareRunSetsOptions & { title?: string } = {},
): ComparisonReport {
  const { title, ...compareOptions } = options;
  return {
    title: title ?? `${base.label} vs ${head.label}`,
    base,
    head,
    comparison: compareRunSets(base.runs, head.runs, compareOptions),
    differences: scenarioDifferences(base.runs, head.runs),
  };
}
