// Change points in a benchmark history: the index where a metric moved to a
// new level and stayed there.
//
// Method: E-divisive means (Matteson & James, "A Nonparametric Approach for
// Multiple Change Point Analysis of Multivariate Data", JASA 2014), as used
// for performance testing at MongoDB (Daly et al., "Change Point Detection in
// Software Performance Testing", ICPE 2020), with the changes of Hunter /
// Apache Otava (Fleming et al., "Hunter: Using Change Point Detection to Hunt
// for Performance Regressions", ICPE 2023):
//
// 1. Candidates: in a segment, the split τ (and right end κ) maximizing the
//    energy q-statistic with α = 1 (`qStatistic`); segments are bisected
//    recursively, always taking the best candidate over all current segments.
// 2. Significance: a two-sample Student t test between the points left and
//    right of the candidate (up to the neighbouring change points or segment
//    ends) instead of the permutation test of the paper. It is deterministic
//    and far cheaper, which is why Hunter chose it.
// 3. Split step: the series is scanned in overlapping windows (`window`
//    points, advancing by half a window or to the last change point found) at
//    a relaxed threshold (10 · pValue below 0.05, as Otava), giving "weak"
//    change points that a single pass over the whole history can mask.
// 4. Merge step: the weakest change point (largest p, or smallest magnitude
//    once all p pass) is removed and its neighbours' statistics recomputed,
//    until every remaining one has p <= pValue and magnitude > minMagnitudePct.
//
// Defaults follow Hunter and Otava: pValue 0.001, window 50, minMagnitudePct 0.
// The t test is applied to the split that looks most different, so its p is
// optimistic: on Gaussian noise the defaults raise about one false alarm per
// 1000 points (about 0.1 per 1000 at pValue 1e-4; fewer with window =
// Infinity, which is O(n²) per segment). Prefer 1e-4 for long noisy histories.
// Deviations, on purpose: the t test uses unbiased (n − 1) sample variances
// (Otava passes population standard deviations to scipy); after a removal
// both neighbours are recomputed; `minSegment` (default 3; Hunter's is
// effectively 1) keeps one or two outliers at the end of a history from being
// reported as a change of level, at the price of reporting a real change only
// once 3 runs show it; `resets` cuts the history into independent segments.
import { assertFiniteArray, assertInteger, meanOf, sampleVarianceOf } from './validate.ts';
import { studentTTest } from './tests.ts';

export interface ChangePointOptions {
  /** Significance threshold of the t test for a reported change point, default 0.001. */
  pValue?: number;
  /** Window length of the split step, default 50; Infinity analyses each segment in one piece. */
  window?: number;
  /** Fewest points on each side of a candidate split, default 3. */
  minSegment?: number;
  /** Smallest change to report, in percent (max of forward and backward relative change), default 0. */
  minMagnitudePct?: number;
  /**
   * Indices where the baseline resets on purpose (a new model version, a
   * new machine): [0, r1), [r1, r2), ... are analysed independently and a
   * reset index itself is never reported.
   */
  resets?: readonly number[];
}

export interface ChangePoint {
  /** First index of the new level. */
  index: number;
  /** Two-sided Student t test p between the neighbouring stable stretches. */
  pValue: number;
  meanBefore: number;
  meanAfter: number;
  /** Sample standard deviations of the stretches (0 for a single point). */
  stdDevBefore: number;
  stdDevAfter: number;
  /** (meanAfter / meanBefore − 1) · 100; NaN when meanBefore is 0. */
  changePct: number;
}

// ---------------------------------------------------------------------------
// The q-statistic

/**
 * Energy-distance q-statistic of Matteson & James (2014) with α = 1 for
 * samples X (size n) and Y (size m), straight from the definition:
 *   Ê = 2/(nm) Σ|x−y| − C(n,2)⁻¹ Σ_{i<k}|x_i−x_k| − C(m,2)⁻¹ Σ_{j<k}|y_j−y_k|
 *   q = nm/(n+m) · Ê
 * A within-sample term is 0 for a sample of one value. O((n+m)²).
 */
export function qStatistic(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) throw new RangeError('qStatistic needs two non-empty samples');
  let between = 0;
  for (const xi of x) for (const yj of y) between += Math.abs(xi - yj);
  const within = (s: readonly number[]): number => {
    let sum = 0;
    for (let i = 0; i < s.length; i++) for (let k = i + 1; k < s.length; k++) sum += Math.abs((s[i] as number) - (s[k] as number));
    return s.length > 1 ? sum / ((s.length * (s.length - 1)) / 2) : 0;
  };
  const e = (2 / (n * m)) * between - within(x) - within(y);
  return ((n * m) / (n + m)) * e;
}

export interface Candidate {
  /** τ: first index of the right part. */
  index: number;
  /** κ: end (exclusive) of the right part that maximizes q. */
  end: number;
  q: number;
}

/**
 * Best split of z[start, end): the (τ, κ) with start + minSegment <= τ and
 * τ + minSegment <= κ <= end maximizing q(z[start, τ), z[τ, κ)); ties go to
 * the smallest τ. Null when the segment is too short.
 *
 * With W(a, b) = Σ_{a<=i<j<b} |z_i − z_j| every term of q is a W:
 * within X = W(s, τ), within Y = W(τ, κ), between = W(s, κ) − W(s, τ) − W(τ, κ).
 * W(s, ·) is one row; W(τ, ·) is updated from W(τ + 1, ·) as τ decreases,
 * so the whole search is O(L²) time and O(L) memory for L = end − start.
 */
export function bestCandidate(z: readonly number[], start = 0, end = z.length, minSegment = 1): Candidate | null {
  const len = end - start;
  if (len < 2 * minSegment || len < 2) return null;
  const at = (i: number): number => z[i] as number;

  // wS[b − start] = W(start, b).
  const wS = new Float64Array(len + 1);
  for (let b = start + 2; b <= end; b++) {
    let add = 0;
    const zb = at(b - 1);
    for (let i = start; i < b - 1; i++) add += Math.abs(at(i) - zb);
    wS[b - start] = (wS[b - 1 - start] as number) + add;
  }

  // row[κ − start] = W(τ, κ) for the current τ (and W(τ + 1, κ) before the update).
  const row = new Float64Array(len + 1);
  let best: Candidate | null = null;
  for (let tau = end - 1; tau > start; tau--) {
    // W(τ, κ) = W(τ + 1, κ) + Σ_{τ<j<κ} |z_τ − z_j|.
    const zt = at(tau);
    let acc = 0;
    for (let kappa = tau + 2; kappa <= end; kappa++) {
      acc += Math.abs(zt - at(kappa - 1));
      row[kappa - start] = (row[kappa - start] as number) + acc;
    }
    const n = tau - start;
    if (n < minSegment) break; // n only shrinks from here on
    const wX = wS[tau - start] as number;
    for (let kappa = tau + minSegment; kappa <= end; kappa++) {
      const m = kappa - tau;
      const wY = row[kappa - start] as number;
      const between = (wS[kappa - start] as number) - wX - wY;
      let q = (2 * between) / (n + m);
      if (n > 1) q -= (2 * m * wX) / ((n + m) * (n - 1));
      if (m > 1) q -= (2 * n * wY) / ((n + m) * (m - 1));
      // Ties go to the smallest τ, as numpy's argmax in Otava.
      if (best === null || q > best.q || (q === best.q && tau < best.index)) best = { index: tau, end: kappa, q };
    }
  }
  return best;
}

// ---------------------------------------------------------------------------
// Significance

interface SplitStats {
  pValue: number;
  meanBefore: number;
  meanAfter: number;
  stdDevBefore: number;
  stdDevAfter: number;
}

/** Student t test of z[lo, mid) against z[mid, hi). */
function splitStats(z: readonly number[], lo: number, mid: number, hi: number): SplitStats {
  const left = z.slice(lo, mid);
  const right = z.slice(mid, hi);
  const meanBefore = meanOf(left);
  const meanAfter = meanOf(right);
  const sd = (s: number[], m: number): number => (s.length > 1 ? Math.sqrt(sampleVarianceOf(s, m)) : 0);
  // Two points alone carry no information on how large a difference is significant.
  const pValue = left.length + right.length > 2 ? studentTTest(left, right).pValue : 1;
  return { pValue, meanBefore, meanAfter, stdDevBefore: sd(left, meanBefore), stdDevAfter: sd(right, meanAfter) };
}

/** Hunter's magnitude: the larger of the forward and backward relative change (0 when a mean is 0, as Hunter). */
function magnitude(s: SplitStats): number {
  const forward = s.meanBefore === 0 ? 0 : s.meanAfter / s.meanBefore - 1;
  const backward = s.meanAfter === 0 ? 0 : s.meanBefore / s.meanAfter - 1;
  return Math.max(Math.abs(forward), Math.abs(backward));
}

/** Statistics of each change point against its neighbours within [start, end). */
function statsAll(z: readonly number[], cps: readonly number[], start: number, end: number): SplitStats[] {
  return cps.map((cp, i) => splitStats(z, i === 0 ? start : (cps[i - 1] as number), cp, i === cps.length - 1 ? end : (cps[i + 1] as number)));
}

// ---------------------------------------------------------------------------
// Detection

/** Hierarchical E-divisive on z[start, end) with the t-test significance step; sorted indices. */
function eDivisive(z: readonly number[], start: number, end: number, maxP: number, minSegment: number): number[] {
  const cps: number[] = [];
  const cache = new Map<number, Candidate | null>(); // keyed by segment start: segments never overlap
  for (;;) {
    const bounds = [start, ...cps, end];
    let best: { c: Candidate; lo: number; hi: number } | null = null;
    for (let k = 0; k + 1 < bounds.length; k++) {
      const lo = bounds[k] as number;
      const hi = bounds[k + 1] as number;
      let c = cache.get(lo);
      if (c === undefined) {
        c = bestCandidate(z, lo, hi, minSegment);
        cache.set(lo, c);
      }
      if (c !== null && (best === null || c.q > best.c.q)) best = { c, lo, hi };
    }
    if (best === null) break;
    // Stop at the first candidate that fails, as Matteson & James.
    if (splitStats(z, best.lo, best.c.index, best.hi).pValue > maxP) break;
    cps.push(best.c.index);
    cps.sort((x, y) => x - y);
    cache.delete(best.lo); // the split segment is now two new ones
  }
  return cps;
}

/** Split then merge on one independent segment [start, end). */
function detectSegment(z: readonly number[], start: number, end: number, o: Required<Omit<ChangePointOptions, 'resets'>>): ChangePoint[] {
  // Split step: weak change points over overlapping windows at a relaxed threshold.
  const weakP = o.pValue < 0.05 ? o.pValue * 10 : o.pValue < 0.5 ? o.pValue * 2 : o.pValue;
  const step = Math.max(1, Math.floor(o.window / 2));
  const weak = new Set<number>();
  for (let lo = start; lo < end; ) {
    const hi = Math.min(lo + o.window, end);
    const found = eDivisive(z, lo, hi, weakP, o.minSegment);
    for (const cp of found) weak.add(cp);
    lo = Math.max(found.at(-1) ?? start, lo + step);
  }
  const cps = [...weak].sort((x, y) => x - y);

  // Merge step: drop the weakest until all pass.
  const minMagnitude = o.minMagnitudePct / 100;
  let stats = statsAll(z, cps, start, end);
  while (cps.length > 0) {
    let weakest = 0;
    stats.forEach((s, i) => {
      if (s.pValue > (stats[weakest] as SplitStats).pValue) weakest = i;
    });
    if ((stats[weakest] as SplitStats).pValue <= o.pValue) {
      stats.forEach((s, i) => {
        if (magnitude(s) < magnitude(stats[weakest] as SplitStats)) weakest = i;
      });
      if (magnitude(stats[weakest] as SplitStats) > minMagnitude) break;
    }
    cps.splice(weakest, 1);
    // Only the two neighbours change; recomputing all keeps the code simple at O(k·n).
    stats = statsAll(z, cps, start, end);
  }

  return cps.map((index, i) => {
    const s = stats[i] as SplitStats;
    return { index, ...s, changePct: s.meanBefore === 0 ? Number.NaN : (s.meanAfter / s.meanBefore - 1) * 100 };
  });
}

/** Change points of `values`, in index order. See the file header for the method. */
export function detectChangePoints(values: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  assertFiniteArray(values, 'values');
  const o = {
    pValue: options.pValue ?? 0.001,
    window: options.window ?? 50,
    minSegment: options.minSegment ?? 3,
    minMagnitudePct: options.minMagnitudePct ?? 0,
  };
  if (!(o.pValue > 0 && o.pValue <= 1)) throw new RangeError(`pValue must be in (0, 1], got ${String(o.pValue)}`);
  if (!(o.window === Infinity || (Number.isInteger(o.window) && o.window >= 2))) {
    throw new RangeError(`window must be an integer >= 2 or Infinity, got ${String(o.window)}`);
  }
  assertInteger(o.minSegment, 'minSegment', 1);
  if (!(o.minMagnitudePct >= 0) || !Number.isFinite(o.minMagnitudePct)) {
    throw new RangeError(`minMagnitudePct must be a finite number >= 0, got ${String(o.minMagnitudePct)}`);
  }
  const resets = [...new Set(options.resets ?? [])].sort((x, y) => x - y);
  for (const r of resets) {
    if (!Number.isInteger(r) || r < 0 || r > values.length) {
      throw new RangeError(`resets must hold integer indices in [0, ${values.length}], got ${String(r)}`);
    }
  }

  const bounds = [0, ...resets.filter((r) => r > 0 && r < values.length), values.length];
  const out: ChangePoint[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) out.push(...detectSegment(values, bounds[k] as number, bounds[k + 1] as number, o));
  return out;
}
