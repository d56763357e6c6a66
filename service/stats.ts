// Statistics of run sets: several runs (seeds) of one configuration
// summarized, and two configurations compared metric by metric with a
// verdict. The tests themselves live in core/analysis; this module maps run
// data onto them, decides each metric's direction, and returns plain JSON
// (no NaN: undefined quantities are null).
import { compareSets, summarize } from '../core/analysis/index.ts';
import type { ChangeKind, MetricFamily, MetricResult, RankOpinion, SetTest, Verdict } from '../core/analysis/index.ts';
import { ServiceError } from './errors.ts';
import { byMetricOrder, findMetric, metricHigherIsBetter } from './protocol/metrics.ts';

export interface RunSetSummary {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation; null for a single run. */
  sd: number | null;
  min: number;
  max: number;
  /** 95% t-based confidence interval of the mean; null for a single run. */
  ci95: [number, number] | null;
  /** sd / |mean|; null for a single run or a zero mean. */
  cv: number | null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Mean, median, sd and the t-based 95% interval of the mean of one metric over a run set. */
export function summarizeRunSet(values: readonly number[]): RunSetSummary {
  let s;
  try {
    s = summarize(values);
  } catch (err) {
    throw ServiceError.invalid([{ path: 'values', message: (err as Error).message.replace(/^values\S*\s*/, '') }]);
  }
  const ci = s.ci95.every(Number.isFinite) ? s.ci95 : null;
  return { n: s.n, mean: s.mean, median: s.median, sd: finiteOrNull(s.stdDev), min: s.min, max: s.max, ci95: ci, cv: finiteOrNull(s.cv) };
}

// Metric directions come from the protocol's metric catalog (the one place they are written).
export { metricHigherIsBetter };

// ---------------------------------------------------------------------------
// Comparison of two run sets: the one comparison behind every surface

export interface RunMetrics {
  seed: number;
  metrics: Readonly<Record<string, number>>;
}

export interface CompareRunSetsOptions {
  /** Smallest relative change that counts, as a fraction (0.02 = 2%). Default 0.02. */
  threshold?: number;
  /** Significance level for p (primary) and the Benjamini-Hochberg adjusted q (the others). Default 0.05. */
  alpha?: number;
  /** Metrics to compare; default every metric that all runs of both sets have. */
  metrics?: readonly string[];
  /** The metric tested alone (no multiple-testing correction); default: see defaultPrimaryMetric. */
  primary?: string;
  /** Bootstrap resamples for the ratio interval, default 2000 (seeded: same input, same interval). */
  resamples?: number;
}

export type RunSetVerdict = Verdict;
export type { ChangeKind, MetricFamily };

export interface MetricVerdict {
  metric: string;
  /** From the metric catalog only. */
  direction: 'higher-is-better' | 'lower-is-better' | 'unknown';
  /** primary: tested alone; secondary and breakdown: Benjamini-Hochberg within their family. */
  family: MetricFamily;
  paired: boolean;
  a: RunSetSummary;
  b: RunSetSummary;
  /** relative, or from-zero / to-zero (then only the absolute change means something), or none. */
  changeKind: ChangeKind;
  /** mean B − mean A. */
  absoluteChange: number;
  /** (mean B / mean A − 1) · 100; null from or to zero, and without change. */
  changePct: number | null;
  /** Percentile bootstrap interval of mean B / mean A; null when mean A is 0. */
  ratio: { estimate: number; lo: number; hi: number; confidence: number } | null;
  /** The t test the verdict rests on; null for a constant metric or a side with one run. */
  test: (Omit<SetTest, 't'> & { t: number | null }) | null;
  /** The rank test on the same data (exact for small samples), with the smallest p it can reach. */
  secondOpinion: RankOpinion | null;
  /** p adjusted within the metric's family (the primary's is its own p); null when not tested. */
  qValue: number | null;
  /** Tested metrics of the family q was adjusted over. */
  familySize: number;
  /** Smallest number of runs per side (pairs when paired) at which the t test reaches alpha with this effect and spread. */
  minSignificantN: number | null;
  verdict: RunSetVerdict;
  reason: string;
}

export interface RunSetComparison {
  n: { a: number; b: number };
  /** True when the two sets have the same distinct seeds, so runs pair up by seed. */
  paired: boolean;
  threshold: number;
  alpha: number;
  /** The metric tested alone; null when no compared metric has a direction. */
  primary: string | null;
  metrics: MetricVerdict[];
  /** Metrics some runs lack (not compared unless asked for, which is an error). */
  incomplete: string[];
}

function checkRuns(runs: readonly RunMetrics[], field: 'a' | 'b'): void {
  if (!Array.isArray(runs) || runs.length === 0) throw ServiceError.invalid([{ path: field, message: 'needs at least one run' }]);
  runs.forEach((r, i) => {
    if (!Number.isInteger(r.seed)) throw ServiceError.invalid([{ path: `${field}[${i}].seed`, message: `must be an integer, got ${String(r.seed)}` }]);
    for (const [name, v] of Object.entries(r.metrics)) {
      if (!Number.isFinite(v)) throw ServiceError.invalid([{ path: `${field}[${i}].metrics.${name}`, message: `must be a finite number, got ${String(v)}` }]);
    }
  });
}

/** A per-reason breakdown ("vmExitsPerSec.iotlb") rather than a headline metric. */
export const isBreakdown = (name: string): boolean => name.includes('.');

/** The IOPS metrics of fio runs, simulated or imported, in the order a primary is picked. */
const IOPS_METRICS = ['readIops', 'writeIops'] as const;

/**
 * The primary metric when none is named: for fio runs (simulated NVMe or
 * imported) the IOPS of the direction the runs do (read before write; a
 * direction no run does is all zeros); throughput for simulated NIC runs;
 * else the first headline metric with a direction in catalog order (the
 * received or sent rate of an iperf3 import).
 */
export function defaultPrimaryMetric(names: readonly string[], runs: readonly RunMetrics[] = []): string | null {
  const iops = IOPS_METRICS.filter((n) => names.includes(n));
  const done = iops.find((n) => runs.some((r) => (r.metrics[n] ?? 0) > 0));
  if (done ?? iops[0]) return (done ?? iops[0]) as string;
  if (names.includes('throughputGbps')) return 'throughputGbps';
  const candidates = names.filter((n) => !isBreakdown(n) && findMetric(n) !== undefined && metricHigherIsBetter(n) !== undefined);
  return [...candidates].sort(byMetricOrder)[0] ?? null;
}

/**
 * Compares run set B (head) against run set A (the base), metric by metric,
 * with core/analysis's compareSets. Runs pair up by seed when both sets hold
 * the same seeds. Directions come from the metric catalog alone.
 */
export function compareRunSets(a: readonly RunMetrics[], b: readonly RunMetrics[], options: CompareRunSetsOptions = {}): RunSetComparison {
  checkRuns(a, 'a');
  checkRuns(b, 'b');
  const threshold = options.threshold ?? 0.02;
  const alpha = options.alpha ?? 0.05;
  if (!(Number.isFinite(threshold) && threshold >= 0)) throw ServiceError.invalid([{ path: 'threshold', message: `must be a fraction >= 0 (0.02 = 2%), got ${String(threshold)}` }]);
  if (!(alpha > 0 && alpha < 1)) throw ServiceError.invalid([{ path: 'alpha', message: `must be in (0, 1), got ${String(alpha)}` }]);

  const all = [...a, ...b];
  const names = [...new Set(all.flatMap((r) => Object.keys(r.metrics)))].sort();
  const complete = names.filter((n) => all.every((r) => Object.hasOwn(r.metrics, n)));
  const incomplete = names.filter((n) => !complete.includes(n));
  const wanted = options.metrics ? [...new Set(options.metrics)] : complete;
  for (const name of wanted) {
    if (complete.includes(name)) continue;
    const lacking = [...a.map((r, i) => ({ r, at: `a[${i}]` })), ...b.map((r, i) => ({ r, at: `b[${i}]` }))].filter(({ r }) => !Object.hasOwn(r.metrics, name)).map(({ at }) => at);
    throw ServiceError.invalid([{ path: 'metrics', message: `metric ${JSON.stringify(name)} is missing in ${lacking.slice(0, 5).join(', ')}${lacking.length > 5 ? ', ...' : ''}; comparable: ${complete.join(', ') || '(none)'}` }]);
  }
  if (options.primary !== undefined && !wanted.includes(options.primary)) {
    throw ServiceError.invalid([{ path: 'primary', message: `${JSON.stringify(options.primary)} is not among the compared metrics; allowed: ${wanted.join(', ') || '(none)'}` }]);
  }
  const primary = options.primary ?? defaultPrimaryMetric(wanted, all);

  const column = (runs: readonly RunMetrics[], name: string): number[] => runs.map((r) => r.metrics[name] as number);
  const familyOf = (name: string): MetricFamily => (name === primary ? 'primary' : isBreakdown(name) ? 'breakdown' : 'secondary');
  const result = compareSets(
    wanted.map((name) => ({ name, a: column(a, name), b: column(b, name), higherIsBetter: metricHigherIsBetter(name), family: familyOf(name) })),
    {
      thresholdPct: threshold * 100,
      alpha,
      seeds: { a: a.map((r) => r.seed), b: b.map((r) => r.seed) },
      bootstrap: { seed: 1, resamples: options.resamples ?? 2000 },
    },
  );

  const metrics = result.metrics.map((c: MetricResult): MetricVerdict => {
    const dir = metricHigherIsBetter(c.name);
    return {
      metric: c.name,
      direction: dir === undefined ? 'unknown' : dir ? 'higher-is-better' : 'lower-is-better',
      family: c.family,
      paired: c.paired,
      a: summarizeRunSet(column(a, c.name)),
      b: summarizeRunSet(column(b, c.name)),
      changeKind: c.changeKind,
      absoluteChange: c.absoluteChange,
      changePct: c.changePct === null ? null : finiteOrNull(c.changePct),
      ratio: c.ratioCI && { estimate: c.ratioCI.ratio, lo: c.ratioCI.lo, hi: c.ratioCI.hi, confidence: c.ratioCI.confidence },
      // A t statistic of ±Infinity (no spread, different means) is not JSON: null, and p = 0 says it.
      test: c.test && { ...c.test, t: Number.isFinite(c.test.t) ? c.test.t : null },
      secondOpinion: c.secondOpinion,
      qValue: c.qValue,
      familySize: c.familySize,
      minSignificantN: c.minSignificantN,
      verdict: c.verdict,
      reason: c.reason,
    };
  });
  return { n: { a: a.length, b: b.length }, paired: result.paired, threshold, alpha, primary, metrics, incomplete };
}
