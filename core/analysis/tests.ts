// Hypothesis tests for comparing two samples of a metric (runs of two
// configurations, possibly paired by seed), a seeded bootstrap for the ratio
// of means, and Benjamini-Hochberg adjustment across metrics.
//
// Conventions follow R's stats package so results can be checked against it:
// differences are a − b (R's `x - y`), the rank statistics are the ones R
// prints (V = W+ for the signed-rank test, W = U of `a` for the rank-sum
// test), and two-sided exact p-values are min(1, 2 · one tail).
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { createRng } from './random.ts';
import { assertFiniteArray, assertInteger, assertOpenInterval, meanOf, sampleVarianceOf } from './validate.ts';

/** 'exact': p from the exact null distribution; 'normal-approx': normal approximation (see `note`). */
export type TestMethod = 'exact' | 'normal-approx';

// ---------------------------------------------------------------------------
// Ranks

export interface Ranking {
  /** 1-based ranks, ties get the average of the ranks they span. */
  ranks: number[];
  /** Sizes of the tie groups (only groups of 2 or more). */
  tieSizes: number[];
}

/** Average ("mid") ranks, as R's rank(ties.method = "average"). Ties are exact equality. */
export function rankAverage(values: readonly number[]): Ranking {
  const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number));
  const ranks = new Array<number>(values.length).fill(0);
  const tieSizes: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    // Positions start..end-1 hold ranks start+1..end; their average is (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    if (end - start > 1) tieSizes.push(end - start);
    start = end;
  }
  return { ranks, tieSizes };
}

const tieSum = (tieSizes: readonly number[]): number => tieSizes.reduce((s, t) => s + t ** 3 - t, 0);

/** Two-sided p-value of a standard normal statistic. */
const normalTwoSided = (z: number): number => Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));

/** Two-sided p-value of a Student t statistic. */
const tTwoSided = (t: number, df: number): number => Math.min(1, 2 * tCdf(-Math.abs(t), df));

// ---------------------------------------------------------------------------
// Wilcoxon signed-rank test (paired)

export interface WilcoxonResult {
  test: 'wilcoxon-signed-rank';
  /** W+ = sum of the ranks of |a_i − b_i| over positive differences (R's V). */
  statistic: number;
  /** Number of non-zero differences (the n of the test). */
  n: number;
  /** Number of zero differences, dropped before ranking. */
  zeros: number;
  pValue: number;
  method: TestMethod;
  note: string;
}

export interface RankTestOptions {
  /** Largest sample size (per group) for which the exact null distribution is used. */
  exactMaxN?: number;
}

/**
 * Exact null distribution of W+ for n untied ranks: counts[w] = number of
 * subsets of {1..n} summing to w (each of the 2^n sign patterns is equally
 * likely under H0). Dynamic programming over the ranks, O(n^3).
 */
export function signedRankCounts(n: number): number[] {
  const maxW = (n * (n + 1)) / 2;
  const counts = new Array<number>(maxW + 1).fill(0);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    // Descending so that each rank is used at most once (0/1 knapsack).
    for (let w = (k * (k + 1)) / 2; w >= k; w--) counts[w] = (counts[w] as number) + (counts[w - k] as number);
  }
  return counts;
}

/**
 * Wilcoxon signed-rank test on pairs (a_i, b_i), two-sided.
 *
 * Zero differences are dropped (Wilcoxon's original treatment, also R's) and
 * |differences| get average ranks. Exact p (enumerated null distribution) when
 * there are no ties and n <= exactMaxN (default 25); otherwise the normal
 * approximation with tie-corrected variance and a 0.5 continuity correction
 * (as R's wilcox.test with correct = TRUE). R gives up the exact p when zeros
 * are present; here the exact distribution of the remaining n is used, which
 * is the distribution of W+ conditional on the number of zeros.
 */
export function wilcoxonSignedRank(a: readonly number[], b: readonly number[], options: RankTestOptions = {}): WilcoxonResult {
  assertFiniteArray(a, 'a', 1);
  assertFiniteArray(b, 'b', 1);
  if (a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got a: ${a.length}, b: ${b.length}`);
  const exactMaxN = options.exactMaxN ?? 25;

  const diffs = a.map((x, i) => x - (b[i] as number)).filter((d) => d !== 0);
  const zeros = a.length - diffs.length;
  const n = diffs.length;
  const zerosNote = zeros > 0 ? `, ${zeros} zero difference${zeros === 1 ? '' : 's'} dropped` : '';
  if (n === 0) {
    return { test: 'wilcoxon-signed-rank', statistic: 0, n: 0, zeros, pValue: 1, method: 'exact', note: `all differences are zero${zerosNote}` };
  }

  const { ranks, tieSizes } = rankAverage(diffs.map(Math.abs));
  const statistic = ranks.reduce((s, r, i) => ((diffs[i] as number) > 0 ? s + r : s), 0);

  if (tieSizes.length === 0 && n <= exactMaxN) {
    const counts = signedRankCounts(n);
    const total = 2 ** n;
    // Two-sided: double the smaller tail (the distribution is symmetric about n(n+1)/4).
    const w = Math.round(statistic);
    let lower = 0;
    for (let v = 0; v <= w; v++) lower += counts[v] as number;
    let upper = 0;
    for (let v = w; v < counts.length; v++) upper += counts[v] as number;
    const pValue = Math.min(1, (2 * Math.min(lower, upper)) / total);
    return { test: 'wilcoxon-signed-rank', statistic, n, zeros, pValue, method: 'exact', note: `exact null distribution, n = ${n}${zerosNote}` };
  }

  const mu = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieSum(tieSizes) / 48;
  const dev = statistic - mu;
  const z = (dev - Math.sign(dev) * 0.5) / Math.sqrt(variance);
  const why = tieSizes.length > 0 ? 'ties among |differences|' : `n = ${n} > ${exactMaxN}`;
  return {
    test: 'wilcoxon-signed-rank',
    statistic,
    n,
    zeros,
    pValue: normalTwoSided(z),
    method: 'normal-approx',
    note: `normal approximation with ${tieSizes.length > 0 ? 'tie correction and ' : ''}continuity correction (${why})${zerosNote}`,
  };
}

// ---------------------------------------------------------------------------
// Mann-Whitney U / Wilcoxon rank-sum test (unpaired)

export interface MannWhitneyResult {
  test: 'mann-whitney-u';
  /** U of `a`: the number of pairs (a_i, b_j) with a_i > b_j, ties counting 1/2 (R's W). */
  statistic: number;
  nA: number;
  nB: number;
  pValue: number;
  method: TestMethod;
  note: string;
}

/**
 * Exact null distribution of U for sample sizes (n1, n2) without ties, as
 * probabilities. Recurrence on the largest observation: it belongs to the first
 * sample with probability n1/(n1+n2) and then beats all n2 others, so
 * P_{n1,n2}(u) = n1/(n1+n2)·P_{n1-1,n2}(u-n2) + n2/(n1+n2)·P_{n1,n2-1}(u)
 * (Mann & Whitney 1947). Probabilities rather than counts keep it finite for
 * any size.
 */
export function mannWhitneyDistribution(n1: number, n2: number): number[] {
  // row[j] holds P_{i,j} for the current i; start with i = 0: U is 0 surely.
  let row: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const next: number[][] = [new Array<number>(1).fill(1)]; // j = 0: U is 0 surely
    for (let j = 1; j <= n2; j++) {
      const fromA = row[j] as number[]; // P_{i-1,j}
      const fromB = next[j - 1] as number[]; // P_{i,j-1}
      const dist = new Array<number>(i * j + 1).fill(0);
      const pa = i / (i + j);
      const pb = j / (i + j);
      for (let u = 0; u < fromA.length; u++) dist[u + j] = (dist[u + j] as number) + pa * (fromA[u] as number);
      for (let u = 0; u < fromB.length; u++) dist[u] = (dist[u] as number) + pb * (fromB[u] as number);
      next.push(dist);
    }
    row = next;
  }
  return row[n2] as number[];
}

/**
 * Mann-Whitney U test (Wilcoxon rank-sum), two-sided.
 *
 * Exact p from the null distribution when there are no ties and both samples
 * have at most exactMaxN values (default 20); otherwise the normal
 * approximation with tie-corrected variance and a 0.5 continuity correction
 * (as R's wilcox.test with correct = TRUE).
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[], options: RankTestOptions = {}): MannWhitneyResult {
  assertFiniteArray(a, 'a', 1);
  assertFiniteArray(b, 'b', 1);
  const exactMaxN = options.exactMaxN ?? 20;
  const nA = a.length;
  const nB = b.length;
  const { ranks, tieSizes } = rankAverage([...a, ...b]);
  let rankSumA = 0;
  for (let i = 0; i < nA; i++) rankSumA += ranks[i] as number;
  const statistic = rankSumA - (nA * (nA + 1)) / 2;

  if (tieSizes.length === 0 && nA <= exactMaxN && nB <= exactMaxN) {
    const dist = mannWhitneyDistribution(nA, nB);
    const u = Math.round(statistic);
    let lower = 0;
    for (let v = 0; v <= u; v++) lower += dist[v] as number;
    let upper = 0;
    for (let v = u; v < dist.length; v++) upper += dist[v] as number;
    const pValue = Math.min(1, 2 * Math.min(lower, upper));
    return { test: 'mann-whitney-u', statistic, nA, nB, pValue, method: 'exact', note: `exact null distribution, n = ${nA} and ${nB}` };
  }

  const n = nA + nB;
  const variance = ((nA * nB) / 12) * (n + 1 - tieSum(tieSizes) / (n * (n - 1)));
  const dev = statistic - (nA * nB) / 2;
  // All values tied: the statistic carries no information.
  const pValue = variance > 0 ? normalTwoSided((dev - Math.sign(dev) * 0.5) / Math.sqrt(variance)) : 1;
  const why = tieSizes.length > 0 ? 'ties present' : `a sample is larger than ${exactMaxN}`;
  return {
    test: 'mann-whitney-u',
    statistic,
    nA,
    nB,
    pValue,
    method: 'normal-approx',
    note: `normal approximation with ${tieSizes.length > 0 ? 'tie correction and ' : ''}continuity correction (${why})`,
  };
}

// ---------------------------------------------------------------------------
// t tests

export interface TTestResult {
  test: 'welch-t' | 'student-t' | 'paired-t';
  t: number;
  df: number;
  pValue: number;
  /** mean(a) − mean(b) (the mean of a − b for the paired test). */
  meanDiff: number;
  /** Confidence interval of meanDiff. */
  ci: [number, number];
  confidence: number;
}

export interface TTestOptions {
  /** Confidence level of the interval, default 0.95. */
  confidence?: number;
}

/**
 * Shared tail of the t tests. With a zero standard error (e.g. a
 * deterministic simulation repeating the same value) the t statistic is
 * ±Infinity with p = 0 if the means differ, and 0 with p = 1 if they do not.
 */
function tResult(test: TTestResult['test'], meanDiff: number, se: number, df: number, confidence: number): TTestResult {
  if (se === 0) {
    return { test, t: meanDiff === 0 ? 0 : Math.sign(meanDiff) * Infinity, df, pValue: meanDiff === 0 ? 1 : 0, meanDiff, ci: [meanDiff, meanDiff], confidence };
  }
  const t = meanDiff / se;
  const half = tQuantile(1 - (1 - confidence) / 2, df) * se;
  return { test, t, df, pValue: tTwoSided(t, df), meanDiff, ci: [meanDiff - half, meanDiff + half], confidence };
}

/**
 * Welch's unequal-variance t test, two-sided: t = (x̄a − x̄b) / √(sa²/na + sb²/nb)
 * with Welch-Satterthwaite degrees of freedom
 * df = (sa²/na + sb²/nb)² / ((sa²/na)²/(na−1) + (sb²/nb)²/(nb−1)).
 */
export function welchTTest(a: readonly number[], b: readonly number[], options: TTestOptions = {}): TTestResult {
  assertFiniteArray(a, 'a', 2);
  assertFiniteArray(b, 'b', 2);
  const confidence = options.confidence ?? 0.95;
  assertOpenInterval(confidence, 'confidence', 0, 1);
  const mA = meanOf(a);
  const mB = meanOf(b);
  const wA = sampleVarianceOf(a, mA) / a.length;
  const wB = sampleVarianceOf(b, mB) / b.length;
  const se2 = wA + wB;
  // 0/0 when both variances vanish; fall back to the pooled df, which tResult only reports.
  const df = se2 > 0 ? se2 ** 2 / (wA ** 2 / (a.length - 1) + wB ** 2 / (b.length - 1)) : a.length + b.length - 2;
  return tResult('welch-t', mA - mB, Math.sqrt(se2), df, confidence);
}

/**
 * Student's two-sample t test with pooled variance, two-sided, df = na + nb − 2.
 * A sample of one value contributes its mean but no variance. Used by the
 * change-point significance step, as in Hunter.
 */
export function studentTTest(a: readonly number[], b: readonly number[], options: TTestOptions = {}): TTestResult {
  assertFiniteArray(a, 'a', 1);
  assertFiniteArray(b, 'b', 1);
  const confidence = options.confidence ?? 0.95;
  assertOpenInterval(confidence, 'confidence', 0, 1);
  const df = a.length + b.length - 2;
  if (df < 1) throw new RangeError('studentTTest needs at least 3 values in total');
  const mA = meanOf(a);
  const mB = meanOf(b);
  const ssA = a.length > 1 ? sampleVarianceOf(a, mA) * (a.length - 1) : 0;
  const ssB = b.length > 1 ? sampleVarianceOf(b, mB) * (b.length - 1) : 0;
  const pooled = (ssA + ssB) / df;
  return tResult('student-t', mA - mB, Math.sqrt(pooled * (1 / a.length + 1 / b.length)), df, confidence);
}

/** Paired t test on the differences a_i − b_i, two-sided, df = n − 1. */
export function pairedTTest(a: readonly number[], b: readonly number[], options: TTestOptions = {}): TTestResult {
  assertFiniteArray(a, 'a', 2);
  assertFiniteArray(b, 'b', 2);
  if (a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got a: ${a.length}, b: ${b.length}`);
  const confidence = options.confidence ?? 0.95;
  assertOpenInterval(confidence, 'confidence', 0, 1);
  const d = a.map((x, i) => x - (b[i] as number));
  const m = meanOf(d);
  return tResult('paired-t', m, Math.sqrt(sampleVarianceOf(d, m) / d.length), d.length - 1, confidence);
}

// ---------------------------------------------------------------------------
// Bootstrap

export interface BootstrapOptions {
  /** Resample pairs (a_i, b_i) together; needs equal lengths. Default false. */
  paired?: boolean;
  /** Number of bootstrap resamples, default 2000. */
  resamples?: number;
  /** Confidence level, default 0.95. */
  confidence?: number;
  /** PRNG seed, default 1: the same inputs and seed always give the same interval. */
  seed?: number;
}

export interface RatioCI {
  /** Point estimate mean(b) / mean(a). */
  ratio: number;
  lo: number;
  hi: number;
  confidence: number;
  resamples: number;
  paired: boolean;
}

/** Quantile of sorted data by linear interpolation between order statistics (R's type 7). */
function quantileSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const x0 = sorted[lo] as number;
  const x1 = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return x0 + (h - lo) * (x1 - x0);
}

/**
 * Percentile bootstrap confidence interval of mean(b) / mean(a) (Efron &
 * Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13). Paired
 * resampling draws run indices and keeps each (a_i, b_i) together, which
 * preserves the seed-to-seed correlation; unpaired resampling draws each
 * sample independently. A resample whose mean(a) is 0 gives an infinite
 * ratio, which simply sorts to an end.
 */
export function bootstrapRatioCI(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): RatioCI {
  assertFiniteArray(a, 'a', 1);
  assertFiniteArray(b, 'b', 1);
  const paired = options.paired ?? false;
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  assertInteger(resamples, 'resamples', 1);
  assertOpenInterval(confidence, 'confidence', 0, 1);
  if (paired && a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got a: ${a.length}, b: ${b.length}`);
  const meanA = meanOf(a);
  if (meanA === 0) throw new RangeError('mean(a) is 0: the ratio mean(b) / mean(a) is undefined');

  const rng = createRng(options.seed ?? 1);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sumA = 0;
    let sumB = 0;
    if (paired) {
      for (let k = 0; k < a.length; k++) {
        const i = rng.nextInt(a.length);
        sumA += a[i] as number;
        sumB += b[i] as number;
      }
    } else {
      for (let k = 0; k < a.length; k++) sumA += a[rng.nextInt(a.length)] as number;
      for (let k = 0; k < b.length; k++) sumB += b[rng.nextInt(b.length)] as number;
    }
    stats[r] = sumB / b.length / (sumA / a.length);
  }
  stats.sort();
  const tail = (1 - confidence) / 2;
  return {
    ratio: meanOf(b) / meanA,
    lo: quantileSorted(stats, tail),
    hi: quantileSorted(stats, 1 - tail),
    confidence,
    resamples,
    paired,
  };
}

// ---------------------------------------------------------------------------
// Multiple testing

/**
 * Benjamini-Hochberg adjusted p-values (q-values), in input order, as R's
 * p.adjust(p, "BH"): with p sorted ascending, q_(i) = min over j >= i of
 * min(1, m · p_(j) / j) (Benjamini & Hochberg 1995). Rejecting q <= α
 * controls the false discovery rate at α for independent tests.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`pValues[${i}] must be in [0, 1], got ${String(p)}`);
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => (pValues[i] as number) - (pValues[j] as number));
  const q = new Array<number>(m).fill(1);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const idx = order[rank - 1] as number;
    running = Math.min(running, ((pValues[idx] as number) * m) / rank);
    q[idx] = running;
  }
  return q;
}

// ---------------------------------------------------------------------------
// Sample size

/**
 * The smallest sample size n (pairs for a paired test, runs per side for an
 * unpaired one) at which a two-sided t test would reach p <= alpha if the
 * observed effect and spread stayed as they are: t(n) = effect / spread · √n
 * against Student t with df(n). `spread` is the standard deviation of the
 * differences (paired) or √(sa² + sb²) (unpaired, equal n per side). The p of
 * a fixed effect falls as n grows, so the first n that reaches alpha is the
 * answer. Null when there is no effect or it needs more than `maxN`.
 */
export function smallestSignificantN(
  effect: number,
  spread: number,
  alpha: number,
  df: (n: number) => number = (n) => n - 1,
  maxN = 10000,
): number | null {
  assertOpenInterval(alpha, 'alpha', 0, 1);
  if (!Number.isFinite(effect) || effect === 0) return null;
  if (!(spread > 0)) return 2; // no spread: any two runs per side show the difference
  const z = Math.abs(effect) / spread;
  const significantAt = (n: number): boolean => tTwoSided(z * Math.sqrt(n), df(n)) <= alpha;
  if (!significantAt(maxN)) return null;
  // Monotone in n: binary search for the first n that is significant.
  let lo = 2;
  let hi = maxN;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (significantAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
