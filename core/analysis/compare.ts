// Verdicts for "did configuration B change metric X relative to A?".
//
// The primary test is a rank test (no normality assumption; simulated
// throughput across seeds is often skewed): Wilcoxon signed-rank when the
// runs pair up by seed, Mann-Whitney U otherwise. A t test is reported as a
// second opinion. A verdict other than 'no change' needs both statistical
// significance and a change larger than a practical threshold, so tiny but
// consistent differences between deterministic runs do not raise alarms.
import { bootstrapRatioCI, mannWhitneyU, pairedTTest, welchTTest, wilcoxonSignedRank, benjaminiHochberg } from './tests.ts';
import type { RatioCI, TestMethod } from './tests.ts';
import { assertFiniteArray, assertOpenInterval, meanOf } from './validate.ts';

export type Verdict = 'better' | 'worse' | 'no change';

export interface CompareOptions {
  /** Smallest |change| in percent that counts as a change, default 2. */
  thresholdPct?: number;
  /** Significance level, default 0.05. */
  alpha?: number;
  /** Whether an increase of the metric is an improvement (throughput) or not (latency), default true. */
  higherIsBetter?: boolean;
  /** Seed of each run, aligned with the values. Runs pair up by seed when both sides have the same seed set. */
  seeds?: { a: readonly number[]; b: readonly number[] };
  /** Bootstrap settings for ratioCI; defaults 2000 resamples, 95%, seed 1. */
  bootstrap?: { resamples?: number; confidence?: number; seed?: number };
}

export interface PrimaryTest {
  test: 'wilcoxon-signed-rank' | 'mann-whitney-u';
  statistic: number;
  pValue: number;
  method: TestMethod;
  note: string;
}

export interface SecondOpinion {
  test: 'paired-t' | 'welch-t';
  t: number;
  df: number;
  pValue: number;
}

export interface Comparison {
  /** True when the runs were paired by seed. */
  paired: boolean;
  /** Number of runs on each side (equal to the number of pairs when paired). */
  n: { a: number; b: number };
  meanA: number;
  meanB: number;
  /** (meanB / meanA − 1) · 100; NaN when meanA is 0. */
  changePct: number;
  /** Percentile bootstrap CI of meanB / meanA; null when meanA is 0. */
  ratioCI: RatioCI | null;
  primary: PrimaryTest;
  /** Paired t (paired) or Welch t (unpaired); null when a side has fewer than 2 runs. */
  secondOpinion: SecondOpinion | null;
  verdict: Verdict;
  /** One sentence explaining the verdict. */
  reason: string;
}

interface Resolved {
  thresholdPct: number;
  alpha: number;
  higherIsBetter: boolean;
}

function resolve(options: CompareOptions): Resolved {
  const thresholdPct = options.thresholdPct ?? 2;
  const alpha = options.alpha ?? 0.05;
  if (!(thresholdPct >= 0) || !Number.isFinite(thresholdPct)) throw new RangeError(`thresholdPct must be a finite number >= 0, got ${String(thresholdPct)}`);
  assertOpenInterval(alpha, 'alpha', 0, 1);
  return { thresholdPct, alpha, higherIsBetter: options.higherIsBetter ?? true };
}

/**
 * Reorders b so that b[i] has the seed of a[i], or returns null when the runs
 * do not pair up (no seeds, different seed sets, or a seed repeated on a side).
 */
function pairBySeed(a: readonly number[], b: readonly number[], seeds: CompareOptions['seeds']): number[] | null {
  if (!seeds) return null;
  if (seeds.a.length !== a.length) throw new RangeError(`seeds.a has ${seeds.a.length} entries for ${a.length} values of a`);
  if (seeds.b.length !== b.length) throw new RangeError(`seeds.b has ${seeds.b.length} entries for ${b.length} values of b`);
  if (a.length !== b.length) return null;
  const indexB = new Map<number, number>();
  seeds.b.forEach((s, i) => indexB.set(s, i));
  if (indexB.size !== b.length || new Set(seeds.a).size !== a.length) return null;
  const aligned: number[] = [];
  for (const s of seeds.a) {
    const j = indexB.get(s);
    if (j === undefined) return null;
    aligned.push(b[j] as number);
  }
  return aligned;
}

const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));
const TEST_NAMES: Record<PrimaryTest['test'], string> = {
  'wilcoxon-signed-rank': 'Wilcoxon signed-rank',
  'mann-whitney-u': 'Mann-Whitney U',
};
const fmtPct = (x: number): string => `${Math.abs(x).toFixed(Math.abs(x) < 10 ? 2 : 1)}%`;

/** The decision rule, shared by compareSamples (raw p) and compareMetrics (BH q). */
function decide(changePct: number, p: number, pLabel: string, o: Resolved): { verdict: Verdict; reason: string } {
  if (!Number.isFinite(changePct)) {
    return { verdict: 'no change', reason: 'The mean of A is 0, so a relative change is undefined.' };
  }
  const direction = changePct > 0 ? 'higher' : changePct < 0 ? 'lower' : 'equal';
  const change = direction === 'equal' ? 'B equals A on average' : `B is ${fmtPct(changePct)} ${direction} than A`;
  const significant = p <= o.alpha;
  const beyond = Math.abs(changePct) > o.thresholdPct;
  if (!significant) {
    return { verdict: 'no change', reason: `${change}, but the difference is not significant (${pLabel} = ${fmtP(p)} > ${o.alpha}).` };
  }
  if (!beyond) {
    return {
      verdict: 'no change',
      reason: `${change} (${pLabel} = ${fmtP(p)}), within the ${o.thresholdPct}% threshold.`,
    };
  }
  const verdict: Verdict = changePct > 0 === o.higherIsBetter ? 'better' : 'worse';
  return {
    verdict,
    reason: `${change} (${pLabel} = ${fmtP(p)} <= ${o.alpha}, beyond the ${o.thresholdPct}% threshold), ${o.higherIsBetter ? 'higher' : 'lower'} is better.`,
  };
}

/** Everything except the verdict, so compareMetrics can decide on adjusted p-values. */
function analyse(a: readonly number[], b: readonly number[], options: CompareOptions): Omit<Comparison, 'verdict' | 'reason'> {
  assertFiniteArray(a, 'a', 1);
  assertFiniteArray(b, 'b', 1);
  const aligned = pairBySeed(a, b, options.seeds);
  const paired = aligned !== null;
  const bb = aligned ?? b;
  const meanA = meanOf(a);
  const meanB = meanOf(bb);
  const changePct = meanA === 0 ? Number.NaN : (meanB / meanA - 1) * 100;

  const rank = paired ? wilcoxonSignedRank(a, bb) : mannWhitneyU(a, bb);
  const primary: PrimaryTest = { test: rank.test, statistic: rank.statistic, pValue: rank.pValue, method: rank.method, note: rank.note };

  let secondOpinion: SecondOpinion | null = null;
  if (a.length >= 2 && bb.length >= 2) {
    const t = paired ? pairedTTest(a, bb) : welchTTest(a, bb);
    secondOpinion = { test: paired ? 'paired-t' : 'welch-t', t: t.t, df: t.df, pValue: t.pValue };
  }
  const ratioCI = meanA === 0 ? null : bootstrapRatioCI(a, bb, { paired, ...options.bootstrap });
  return { paired, n: { a: a.length, b: bb.length }, meanA, meanB, changePct, ratioCI, primary, secondOpinion };
}

/**
 * Compares one metric between runs of A (baseline) and B. Paired by seed when
 * `seeds` gives both sides the same seed set, unpaired otherwise.
 */
export function compareSamples(a: readonly number[], b: readonly number[], options: CompareOptions = {}): Comparison {
  const o = resolve(options);
  const result = analyse(a, b, options);
  return { ...result, ...decide(result.changePct, result.primary.pValue, `${TEST_NAMES[result.primary.test]} p`, o) };
}

export interface CompareMetricsOptions extends Omit<CompareOptions, 'higherIsBetter'> {
  /** One direction for all metrics, or per metric name (missing names default to true). */
  higherIsBetter?: boolean | Readonly<Record<string, boolean>>;
}

export interface MetricComparison extends Comparison {
  /** Benjamini-Hochberg adjusted p-value of the primary test across the compared metrics; the verdict uses it. */
  qValue: number;
}

export interface MetricsComparison {
  metrics: Record<string, MetricComparison>;
  /** Metric names present on one side only (not compared). */
  onlyInA: string[];
  onlyInB: string[];
}

/**
 * Compares every metric present on both sides. Testing many metrics at once
 * inflates false alarms, so the primary p-values are adjusted with
 * Benjamini-Hochberg across the metrics of this comparison and the verdicts
 * use the adjusted q-values.
 */
export function compareMetrics(
  metricsA: Readonly<Record<string, readonly number[]>>,
  metricsB: Readonly<Record<string, readonly number[]>>,
  options: CompareMetricsOptions = {},
): MetricsComparison {
  const names = Object.keys(metricsA).filter((k) => Object.hasOwn(metricsB, k)).sort();
  const onlyInA = Object.keys(metricsA).filter((k) => !Object.hasOwn(metricsB, k)).sort();
  const onlyInB = Object.keys(metricsB).filter((k) => !Object.hasOwn(metricsA, k)).sort();
  const direction = (name: string): boolean => {
    const h = options.higherIsBetter;
    return typeof h === 'boolean' ? h : (h?.[name] ?? true);
  };

  resolve({ ...options, higherIsBetter: true }); // validates alpha and thresholdPct before any work
  const { higherIsBetter: _perMetric, ...rest } = options;
  const partial = names.map((name) => {
    try {
      return analyse(metricsA[name] as readonly number[], metricsB[name] as readonly number[], rest);
    } catch (err) {
      throw new RangeError(`metric "${name}": ${(err as Error).message}`, { cause: err });
    }
  });
  const q = benjaminiHochberg(partial.map((r) => r.primary.pValue));

  const metrics: Record<string, MetricComparison> = {};
  names.forEach((name, i) => {
    const r = partial[i] as Omit<Comparison, 'verdict' | 'reason'>;
    const qValue = q[i] as number;
    const o = resolve({ ...options, higherIsBetter: direction(name) });
    metrics[name] = { ...r, qValue, ...decide(r.changePct, qValue, `${TEST_NAMES[r.primary.test]}, BH-adjusted q`, o) };
  });
  return { metrics, onlyInA, onlyInB };
}
