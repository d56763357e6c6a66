// Statistics of run sets: several runs (seeds) of one configuration
// summarized, and two configurations compared metric by metric with a
// verdict. The tests themselves live in core/analysis; this module maps run
// data onto them, decides each metric's direction, and returns plain JSON
// (no NaN: undefined quantities are null).
import { compareMetrics, mannWhitneyU, summarize, wilcoxonSignedRank } from '../core/analysis/index.ts';
import type { MetricComparison } from '../core/analysis/index.ts';
import { ServiceError } from './errors.ts';
import { metricHigherIsBetter } from './protocol/metrics.ts';

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
// Comparison of two run sets

export interface RunMetrics {
  seed: number;
  metrics: Readonly<Record<string, number>>;
}

export interface CompareRunSetsOptions {
  /** Smallest relative change that counts, as a fraction (0.02 = 2%). Default 0.02. */
  threshold?: number;
  /** Significance level for the Benjamini-Hochberg adjusted p (q). Default 0.05. */
  alpha?: number;
  /** Metrics to compare; default every metric that all runs of both sets have. */
  metrics?: readonly string[];
  /** Direction per metric; undefined falls back to the built-in table (metricHigherIsBetter). */
  higherIsBetter?: (name: string) => boolean | undefined;
  /** Bootstrap resamples for the ratio interval, default 2000 (seeded: same input, same interval). */
  resamples?: number;
}

/**
 * - better / worse: significant (q <= alpha) and |change| beyond the threshold, judged by the metric's direction;
 * - changed: the same, for a metric of unknown direction;
 * - no change: not significant, or within the threshold;
 * - inconclusive: a change beyond the threshold that these few runs cannot show to be
 *   significant at any outcome (the test's smallest possible p exceeds alpha): run more seeds.
 */
export type RunSetVerdict = 'better' | 'worse' | 'changed' | 'no change' | 'inconclusive';

export interface MetricVerdict {
  metric: string;
  direction: 'higher-is-better' | 'lower-is-better' | 'unknown';
  paired: boolean;
  a: RunSetSummary;
  b: RunSetSummary;
  /** (mean B / mean A − 1) · 100; null when mean A is 0. */
  changePct: number | null;
  /** Percentile bootstrap interval of mean B / mean A; null when mean A is 0. */
  ratio: { estimate: number; lo: number; hi: number; confidence: number } | null;
  test: { name: 'wilcoxon-signed-rank' | 'mann-whitney-u'; statistic: number; pValue: number; method: 'exact' | 'normal-approx'; note: string };
  secondOpinion: { name: 'paired-t' | 'welch-t'; t: number; df: number; pValue: number } | null;
  /** Benjamini-Hochberg adjusted p across the compared metrics; the verdict uses it. */
  qValue: number;
  /** The smallest p the test can give with these sample sizes. */
  minAttainableP: number;
  verdict: RunSetVerdict;
  reason: string;
}

export interface RunSetComparison {
  n: { a: number; b: number };
  /** True when the two sets have the same distinct seeds, so runs pair up by seed. */
  paired: boolean;
  threshold: number;
  alpha: number;
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

function sameSeeds(a: readonly RunMetrics[], b: readonly RunMetrics[]): boolean {
  const sa = new Set(a.map((r) => r.seed));
  const sb = new Set(b.map((r) => r.seed));
  return sa.size === a.length && sb.size === b.length && sa.size === sb.size && [...sa].every((s) => sb.has(s));
}

/** Smallest p the rank test can reach: the most extreme outcome for these sizes (no ties). */
function minAttainableP(paired: boolean, na: number, nb: number): number {
  if (paired) return wilcoxonSignedRank(new Array<number>(na).fill(0), Array.from({ length: na }, (_, i) => i + 1)).pValue;
  return mannWhitneyU(Array.from({ length: na }, (_, i) => i), Array.from({ length: nb }, (_, i) => na + i)).pValue;
}

const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));

function verdictOf(c: MetricComparison, higher: boolean | undefined, minP: number, thresholdPct: number, alpha: number): { verdict: RunSetVerdict; reason: string } {
  const beyond = Number.isFinite(c.changePct) && Math.abs(c.changePct) > thresholdPct;
  if (c.verdict === 'no change' && beyond && minP > alpha) {
    const side = c.paired ? `${c.n.a} pairs` : `${c.n.a} vs ${c.n.b} runs`;
    return {
      verdict: 'inconclusive',
      reason: `B differs from A by ${c.changePct.toFixed(2)}%, but with ${side} the test cannot reach significance (smallest possible p = ${fmtP(minP)} > ${alpha}); run more seeds.`,
    };
  }
  if (c.verdict !== 'no change' && higher === undefined) {
    return { verdict: 'changed', reason: c.reason.replace(/, (higher|lower) is better\.$/, ', and the direction of this metric is not known.') };
  }
  return { verdict: c.verdict, reason: c.reason };
}

/**
 * Compares run set B against run set A (the base), metric by metric. Runs pair
 * up by seed when both sets hold the same seeds (Wilcoxon signed-rank, paired
 * bootstrap), else unpaired (Mann-Whitney U, exact for small samples, with
 * Welch t as a second opinion). p-values are adjusted with Benjamini-Hochberg
 * across the compared metrics. Deterministic: the bootstrap uses a fixed seed.
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

  const paired = sameSeeds(a, b);
  const column = (runs: readonly RunMetrics[], name: string): number[] => runs.map((r) => r.metrics[name] as number);
  const direction = (name: string): boolean | undefined => options.higherIsBetter?.(name) ?? metricHigherIsBetter(name);
  const higher: Record<string, boolean> = Object.fromEntries(wanted.map((n) => [n, direction(n) ?? true]));
  const thresholdPct = threshold * 100;
  const result = compareMetrics(
    Object.fromEntries(wanted.map((n) => [n, column(a, n)])),
    Object.fromEntries(wanted.map((n) => [n, column(b, n)])),
    {
      thresholdPct,
      alpha,
      higherIsBetter: higher,
      seeds: paired ? { a: a.map((r) => r.seed), b: b.map((r) => r.seed) } : undefined,
      bootstrap: { seed: 1, resamples: options.resamples ?? 2000 },
    },
  );

  const minP = minAttainableP(paired, a.length, b.length);
  const metrics = wanted.map((name): MetricVerdict => {
    const c = result.metrics[name] as MetricComparison;
    const dir = direction(name);
    return {
      metric: name,
      direction: dir === undefined ? 'unknown' : dir ? 'higher-is-better' : 'lower-is-better',
      paired: c.paired,
      a: summarizeRunSet(column(a, name)),
      b: summarizeRunSet(column(b, name)),
      changePct: finiteOrNull(c.changePct),
      ratio: c.ratioCI && { estimate: c.ratioCI.ratio, lo: c.ratioCI.lo, hi: c.ratioCI.hi, confidence: c.ratioCI.confidence },
      test: { name: c.primary.test, statistic: c.primary.statistic, pValue: c.primary.pValue, method: c.primary.method, note: c.primary.note },
      // A t test says nothing when both sets have zero spread (deterministic runs): t is NaN then.
      secondOpinion:
        c.secondOpinion && Number.isFinite(c.secondOpinion.t) && Number.isFinite(c.secondOpinion.pValue)
          ? { name: c.secondOpinion.test, t: c.secondOpinion.t, df: c.secondOpinion.df, pValue: c.secondOpinion.pValue }
          : null,
      qValue: c.qValue,
      minAttainableP: minP,
      ...verdictOf(c, dir, minP, thresholdPct, alpha),
    };
  });
  return { n: { a: a.length, b: b.length }, paired, threshold, alpha, metrics, incomplete };
}
