// The data behind a comparison report: two run sets (base and head), the
// statistical comparison of their metrics, and the exact scenario fields in
// which they differ. The text and HTML renderers only format this.
import type { JsonObject, JsonValue, Series } from '../../db/index.ts';
import { flatten } from '../compare.ts';
import { byMetricOrder, metricSpec } from '../protocol/metrics.ts';
import { compareRunSets } from '../stats.ts';
import type { CompareRunSetsOptions, MetricVerdict, RunSetComparison } from '../stats.ts';

export interface ReportRun {
  id: string;
  /** simulated or measured: says the unit of the series' time axis. */
  kind?: string;
  name: string;
  seed: number;
  metrics: Readonly<Record<string, number>>;
  scenario: JsonObject;
  series?: Readonly<Record<string, Series>>;
  /** What the simulation said its numbers cannot be trusted for (its result's warnings); none for measured runs. */
  warnings?: { code: string; message: string }[];
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

/** A warning some runs of one side carry: a reader must see it beside the verdicts it qualifies. */
export interface ReportWarning {
  side: 'base' | 'head';
  code: string;
  /** How many runs of that side carry it, of how many. */
  runs: number;
  of: number;
  /** The first run's message (the runs of a side share their scenario but for the seed). */
  message: string;
}

export interface ComparisonReport {
  title: string;
  base: ReportRunSet;
  head: ReportRunSet;
  comparison: RunSetComparison;
  differences: ReportDifference[];
  warnings: ReportWarning[];
}

/** The warnings of each side, by code, in the order first met. */
export function reportWarnings(base: readonly ReportRun[], head: readonly ReportRun[]): ReportWarning[] {
  return (['base', 'head'] as const).flatMap((side) => {
    const runs = side === 'base' ? base : head;
    const byCode = new Map<string, ReportWarning>();
    for (const r of runs) {
      // A run counts once per code (two locks past a threshold are one warning of it); its first message stands.
      const own = r.warnings ?? [];
      for (const w of own.filter((x, i) => own.findIndex((y) => y.code === x.code) === i)) {
        const seen = byCode.get(w.code);
        if (seen) seen.runs++;
        else byCode.set(w.code, { side, code: w.code, runs: 1, of: runs.length, message: w.message });
      }
    }
    return [...byCode.values()];
  });
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
    warnings: reportWarnings(base.runs, head.runs),
  };
}

const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));

/** How the verdicts were reached, in one paragraph shared by the text and HTML reports. */
export function methodSummary(c: RunSetComparison): string {
  const test = c.paired ? 'paired t test on log values (runs paired by seed; exact Wilcoxon signed-rank as second opinion)' : 'Welch t test on log values (unpaired; Mann-Whitney U as second opinion)';
  const count = (family: string) => c.metrics.filter((m) => m.family === family && m.qValue !== null).length;
  const families = [
    c.primary ? `primary ${c.primary} tested alone (p)` : 'no primary metric',
    `secondary metrics Benjamini-Hochberg q over ${count('secondary')}`,
    ...(c.metrics.some((m) => m.family === 'breakdown') ? [`per-reason breakdowns q over ${count('breakdown')}`] : []),
  ];
  return (
    `${test}; values of 0 or below fall back to the raw values. ${families.join('; ')}; constant metrics are left out. ` +
    `A verdict needs p or q <= ${c.alpha} and |change| > ${(c.threshold * 100).toFixed(1)}%; a change from or to 0 is absolute and needs significance only.`
  );
}

/** "p=1.6e-14", "q=0.031", or "not tested". */
export function significanceLabel(m: MetricVerdict): string {
  if (m.qValue === null) return 'not tested';
  return `${m.family === 'primary' ? 'p' : 'q'}=${fmtP(m.qValue)}`;
}

/** The change as the reports print it: relative, or absolute from or to zero. */
export function changeLabel(m: MetricVerdict, format: (x: number) => string): string {
  if (m.changeKind === 'from-zero' || m.changeKind === 'to-zero') return `abs ${m.absoluteChange >= 0 ? '+' : '-'}${format(Math.abs(m.absoluteChange))}`;
  if (m.changePct === null) return m.changeKind === 'none' ? '0.0%' : 'n/a';
  const rounded = Number(m.changePct.toFixed(1));
  return `${rounded >= 0 ? '+' : '-'}${Math.abs(rounded).toFixed(1)}%`;
}

/** A value as the reports show it: shares (stored 0..1) in percent, as their unit says. */
export function displayValue(metric: string, value: number): number {
  return metricSpec(metric).share ? value * 100 : value;
}

/**
 * A change worth a row of its own: a verdict of better, worse or changed, or
 * a change no test could settle (one run a side, or from or to zero) that is
 * beyond the threshold.
 */
export function isReportedChange(m: MetricVerdict, thresholdPct: number): boolean {
  if (m.verdict === 'better' || m.verdict === 'worse' || m.verdict === 'changed') return true;
  if (m.verdict !== 'inconclusive') return false;
  return m.changeKind !== 'relative' || Math.abs(m.changePct ?? 0) > thresholdPct;
}

/** The metrics of a comparison as the reports present them, each group in catalog order. */
export interface ReportRows {
  /** The primary metric first, then every metric that changed. */
  shown: MetricVerdict[];
  /** Tested (or varying) without a change that counts. */
  unchanged: MetricVerdict[];
  /** The same value in every run of both sets. */
  constant: MetricVerdict[];
}

export function reportRows(c: RunSetComparison): ReportRows {
  const ordered = [...c.metrics].sort((a, b) => byMetricOrder(a.metric, b.metric));
  const primary = ordered.filter((m) => m.family === 'primary');
  const rest = ordered.filter((m) => m.family !== 'primary');
  const changed = rest.filter((m) => isReportedChange(m, c.threshold * 100));
  return {
    shown: [...primary, ...changed],
    unchanged: rest.filter((m) => !changed.includes(m) && m.verdict !== 'no change (constant)'),
    constant: rest.filter((m) => m.verdict === 'no change (constant)'),
  };
}

