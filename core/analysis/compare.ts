// Verdicts for "did configuration B (head) change these metrics relative to A
// (base)?". This is the one decision rule: every surface that shows a verdict
// (the UI's run sets, the mailing-list table, the HTML report, JSON exports)
// reaches it through service/stats.ts, which maps runs and the metric catalog
// onto it.
//
// Per metric:
// - constant (every run of both sets has the same value): "no change
//   (constant)", not tested, outside every multiple-testing family;
// - the test is a t test on log values when every value is positive (the
//   change of a rate is multiplicative, and a t test on log ratios can reach
//   significance with 6 paired seeds where the exact Wilcoxon test cannot go
//   below p = 0.03125), on the raw values otherwise: paired t when the runs
//   pair up by seed, Welch t when not. The rank test (Wilcoxon signed-rank or
//   Mann-Whitney U) is reported as a second opinion;
// - multiple testing: the primary metric is tested alone (q = p); secondary
//   metrics are Benjamini-Hochberg adjusted among themselves, and per-reason
//   breakdowns among themselves, so showing or hiding the breakdowns never
//   moves a headline verdict;
// - a change from or to zero has no relative size: it is reported as an
//   absolute difference and judged by significance alone, never "no change"
//   and never "-100%";
// - otherwise a verdict needs q <= alpha and |change| above the threshold, so
//   tiny but consistent differences between near-deterministic runs do not
//   raise alarms.
import {
  benjaminiHochberg,
  bootstrapRatioCI,
  mannWhitneyU,
  pairedTTest,
  smallestSignificantN,
  welchTTest,
  wilcoxonSignedRank,
} from './tests.ts';
import type { RatioCI, TestMethod } from './tests.ts';
import { assertFiniteArray, assertOpenInterval, meanOf, sampleVarianceOf } from './validate.ts';
import type { Verdict } from './verdicts.ts';

export { VERDICTS, type Verdict } from './verdicts.ts';

/** Which multiple-testing family a metric belongs to. */
export type MetricFamily = 'primary' | 'secondary' | 'breakdown';

/** How the change is measured: relative to a non-zero base, or absolute from or to zero. */
export type ChangeKind = 'relative' | 'from-zero' | 'to-zero' | 'none';

export interface MetricSamples {
  name: string;
  /** Base values, one per run (aligned with options.seeds.a). */
  a: readonly number[];
  /** Head values, one per run (aligned with options.seeds.b). */
  b: readonly number[];
  /** true: higher is better; false: lower is better; undefined: no direction ("changed"). */
  higherIsBetter: boolean | undefined;
  family: MetricFamily;
}

export interface CompareSetsOptions {
  /** Smallest |relative change| in percent that counts as a change, default 2. */
  thresholdPct?: number;
  /** Significance level, default 0.05. */
  alpha?: number;
  /** Seed of each run of each side. Runs pair up when both sides hold the same distinct seeds. */
  seeds?: { a: readonly number[]; b: readonly number[] };
  /** Bootstrap settings for the ratio interval; defaults 2000 resamples, 95%, seed 1. */
  bootstrap?: { resamples?: number; confidence?: number; seed?: number };
}

export interface SetTest {
  name: 'paired-t' | 'welch-t';
  /** 'log': on log values (a test of the ratio); 'linear': on the values (some are 0 or negative). */
  scale: 'log' | 'linear';
  t: number;
  df: number;
  pValue: number;
}

export interface RankOpinion {
  name: 'wilcoxon-signed-rank' | 'mann-whitney-u';
  statistic: number;
  pValue: number;
  method: TestMethod;
  note: string;
  /** The smallest p this rank test can give at these sample sizes. */
  minAttainableP: number;
}

export interface MetricResult {
  name: string;
  family: MetricFamily;
  paired: boolean;
  meanA: number;
  meanB: number;
  changeKind: ChangeKind;
  /** meanB − meanA. */
  absoluteChange: number;
  /** (meanB / meanA − 1) · 100 for a relative change; null from or to zero, or without change. */
  changePct: number | null;
  /** Percentile bootstrap interval of meanB / meanA; null when meanA is 0. */
  ratioCI: RatioCI | null;
  /** Null for a constant metric, or when a side has fewer than 2 runs. */
  test: SetTest | null;
  secondOpinion: RankOpinion | null;
  /** p adjusted within the metric's family (the primary's is its p); null when not tested. */
  qValue: number | null;
  /** Tested metrics in the family the q was adjusted over. */
  familySize: number;
  /** Smallest runs per side (pairs when paired) at which the t test would reach alpha with this effect and spread. */
  minSignificantN: number | null;
  verdict: Verdict;
  /** One sentence explaining the verdict. */
  reason: string;
}

export interface SetsComparison {
  paired: boolean;
  metrics: MetricResult[];
}

/**
 * Reorders b's values so that they line up with a's seeds, or null when the
 * sets do not pair up (no seeds, different seed sets, a seed repeated).
 */
export function seedOrder(seeds: CompareSetsOptions['seeds'], na: number, nb: number): number[] | null {
  if (!seeds) return null;
  if (seeds.a.length !== na) throw new RangeError(`seeds.a has ${seeds.a.length} entries for ${na} runs of a`);
  if (seeds.b.length !== nb) throw new RangeError(`seeds.b has ${seeds.b.length} entries for ${nb} runs of b`);
  if (na !== nb) return null;
  const indexB = new Map<number, number>();
  seeds.b.forEach((s, i) => indexB.set(s, i));
  if (indexB.size !== nb || new Set(seeds.a).size !== na) return null;
  const order: number[] = [];
  for (const s of seeds.a) {
    const j = indexB.get(s);
    if (j === undefined) return null;
    order.push(j);
  }
  return order;
}

const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));
const fmtPct = (x: number): string => `${Math.abs(x).toFixed(Math.abs(x) < 10 ? 2 : 1)}%`;
const fmtNum = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3 ? x.toExponential(3) : Number(x.toPrecision(4)).toString());

function tTest(a: readonly number[], b: readonly number[], paired: boolean): SetTest | null {
  if (a.length < 2 || b.length < 2) return null;
  const positive = [...a, ...b].every((v) => v > 0);
  const x = positive ? b.map(Math.log) : b;
  const y = positive ? a.map(Math.log) : a;
  const r = paired ? pairedTTest(x, y) : welchTTest(x, y);
  return { name: paired ? 'paired-t' : 'welch-t', scale: positive ? 'log' : 'linear', t: r.t, df: r.df, pValue: r.pValue };
}

function rankOpinion(a: readonly number[], b: readonly number[], paired: boolean): RankOpinion {
  const r = paired ? wilcoxonSignedRank(a, b) : mannWhitneyU(a, b);
  // The most extreme outcome (complete separation, no ties) bounds what the test can say.
  const floor = paired
    ? wilcoxonSignedRank(new Array<number>(a.length).fill(0), Array.from({ length: a.length }, (_, i) => i + 1)).pValue
    : mannWhitneyU(Array.from({ length: a.length }, (_, i) => i), Array.from({ length: b.length }, (_, i) => a.length + i)).pValue;
  return { name: r.test, statistic: r.statistic, pValue: r.pValue, method: r.method, note: r.note, minAttainableP: floor };
}

/** Smallest n at which the same t test would reach alpha, given the observed effect and spread. */
function minN(a: readonly number[], b: readonly number[], test: SetTest | null, paired: boolean, alpha: number): number | null {
  if (!test) return null;
  const tf = (v: readonly number[]) => (test.scale === 'log' ? v.map(Math.log) : [...v]);
  const x = tf(b);
  const y = tf(a);
  if (paired) {
    const d = x.map((v, i) => v - (y[i] as number));
    const m = meanOf(d);
    return smallestSignificantN(m, Math.sqrt(sampleVarianceOf(d, m)), alpha);
  }
  const mx = meanOf(x);
  const my = meanOf(y);
  const vx = sampleVarianceOf(x, mx);
  const vy = sampleVarianceOf(y, my);
  const welchDf = (n: number): number => (vx + vy > 0 ? ((vx + vy) ** 2 * (n - 1)) / (vx ** 2 + vy ** 2) : 2 * n - 2);
  return smallestSignificantN(mx - my, Math.sqrt(vx + vy), alpha, welchDf);
}

interface Analysed extends Omit<MetricResult, 'qValue' | 'familySize' | 'verdict' | 'reason'> {
  constant: boolean;
}

function analyse(m: MetricSamples, order: number[] | null, options: CompareSetsOptions): Analysed {
  assertFiniteArray(m.a, 'a', 1);
  assertFiniteArray(m.b, 'b', 1);
  const paired = order !== null;
  const b = order ? order.map((j) => m.b[j] as number) : m.b;
  const a = m.a;
  const meanA = meanOf(a);
  const meanB = meanOf(b);
  const first = a[0] as number;
  const constant = [...a, ...b].every((v) => v === first);
  const changeKind: ChangeKind = meanA === meanB ? 'none' : meanA === 0 ? 'from-zero' : meanB === 0 ? 'to-zero' : 'relative';
  const changePct = changeKind === 'relative' ? (meanB / meanA - 1) * 100 : null;
  const ratioCI = meanA === 0 ? null : bootstrapRatioCI(a, b, { paired, ...options.bootstrap });
  const test = constant ? null : tTest(a, b, paired);
  const secondOpinion = constant ? null : rankOpinion(a, b, paired);
  const alpha = options.alpha ?? 0.05;
  return {
    name: m.name,
    family: m.family,
    paired,
    meanA,
    meanB,
    changeKind,
    absoluteChange: meanB - meanA,
    changePct,
    ratioCI,
    test,
    secondOpinion,
    minSignificantN: minN(a, b, test, paired, alpha),
    constant,
  };
}

interface Rule {
  thresholdPct: number;
  alpha: number;
}

function decide(r: Analysed, higherIsBetter: boolean | undefined, q: number | null, familySize: number, rule: Rule): { verdict: Verdict; reason: string } {
  if (r.constant) return { verdict: 'no change (constant)', reason: `Every run of both sets has the value ${fmtNum(r.meanA)}; not tested.` };
  const n = r.paired ? 'pairs' : 'runs per side';
  const more = r.minSignificantN !== null ? ` This effect would need at least ${r.minSignificantN} ${n} to reach significance.` : '';
  const change =
    r.changeKind === 'relative'
      ? `B is ${fmtPct(r.changePct as number)} ${(r.changePct as number) > 0 ? 'higher' : 'lower'} than A`
      : r.changeKind === 'from-zero'
        ? `B is ${fmtNum(r.meanB)} where A is 0 (an absolute change of ${r.absoluteChange > 0 ? '+' : ''}${fmtNum(r.absoluteChange)})`
        : r.changeKind === 'to-zero'
          ? `B is 0 where A is ${fmtNum(r.meanA)} (an absolute change of ${r.absoluteChange > 0 ? '+' : ''}${fmtNum(r.absoluteChange)})`
          : 'B equals A on average';
  if (r.changeKind === 'none') return { verdict: 'no change', reason: `${change}.` };
  const zeroBase = r.changeKind !== 'relative';
  if (q === null) {
    return {
      verdict: 'inconclusive',
      reason: `${change}, but a side has a single run, so no test is possible; run more seeds.`,
    };
  }
  const label = r.family === 'primary' ? 'p (primary metric, tested alone)' : `q (Benjamini-Hochberg over ${familySize} ${r.family} metric${familySize === 1 ? '' : 's'})`;
  const testName = `${r.test?.name ?? 't'} on ${r.test?.scale === 'log' ? 'log values' : 'values'}`;
  if (q > rule.alpha) {
    const beyond = zeroBase || Math.abs(r.changePct as number) > rule.thresholdPct;
    return {
      verdict: zeroBase ? 'inconclusive' : 'no change',
      reason: `${change}, but the difference is not significant (${testName}, ${label} = ${fmtP(q)} > ${rule.alpha}).${beyond ? more : ''}`,
    };
  }
  if (!zeroBase && Math.abs(r.changePct as number) <= rule.thresholdPct) {
    return { verdict: 'no change', reason: `${change} (${testName}, ${label} = ${fmtP(q)}), within the ${rule.thresholdPct}% threshold.` };
  }
  const up = r.absoluteChange > 0;
  const significance = `${testName}, ${label} = ${fmtP(q)} <= ${rule.alpha}${zeroBase ? '' : `, beyond the ${rule.thresholdPct}% threshold`}`;
  if (higherIsBetter === undefined) return { verdict: 'changed', reason: `${change} (${significance}); the direction of this metric is not known.` };
  return {
    verdict: up === higherIsBetter ? 'better' : 'worse',
    reason: `${change} (${significance}); ${higherIsBetter ? 'higher' : 'lower'} is better.`,
  };
}

/**
 * Compares every given metric of run set B (head) against run set A (base).
 * Deterministic: the bootstrap uses a fixed seed.
 */
export function compareSets(metrics: readonly MetricSamples[], options: CompareSetsOptions = {}): SetsComparison {
  const thresholdPct = options.thresholdPct ?? 2;
  const alpha = options.alpha ?? 0.05;
  if (!(thresholdPct >= 0) || !Number.isFinite(thresholdPct)) throw new RangeError(`thresholdPct must be a finite number >= 0, got ${String(thresholdPct)}`);
  assertOpenInterval(alpha, 'alpha', 0, 1);
  if (metrics.filter((m) => m.family === 'primary').length > 1) throw new RangeError('at most one metric can be primary');
  const na = metrics[0]?.a.length ?? 0;
  const nb = metrics[0]?.b.length ?? 0;
  metrics.forEach((m) => {
    if (m.a.length !== na || m.b.length !== nb) throw new RangeError(`metric "${m.name}" has ${m.a.length} and ${m.b.length} values; every metric needs ${na} and ${nb}`);
  });
  const order = seedOrder(options.seeds, na, nb);
  const analysed = metrics.map((m) => {
    try {
      return analyse(m, order, { ...options, alpha });
    } catch (err) {
      throw new RangeError(`metric "${m.name}": ${(err as Error).message}`, { cause: err });
    }
  });

  // q within each family, over its tested metrics only (constant ones and untestable ones stay out).
  const qOf = new Map<number, number>();
  const sizeOf = new Map<MetricFamily, number>();
  for (const family of ['primary', 'secondary', 'breakdown'] as const) {
    const members = analysed.map((r, i) => ({ r, i })).filter(({ r }) => r.family === family && r.test !== null);
    sizeOf.set(family, members.length);
    const q = family === 'primary' ? members.map(({ r }) => (r.test as SetTest).pValue) : benjaminiHochberg(members.map(({ r }) => (r.test as SetTest).pValue));
    members.forEach(({ i }, k) => qOf.set(i, q[k] as number));
  }

  const results = analysed.map((r, i): MetricResult => {
    const { constant: _c, ...rest } = r;
    const qValue = qOf.get(i) ?? null;
    const familySize = sizeOf.get(r.family) ?? 0;
    return { ...rest, qValue, familySize, ...decide(r, (metrics[i] as MetricSamples).higherIsBetter, qValue, familySize, { thresholdPct, alpha }) };
  });
  return { paired: order !== null, metrics: results };
}
