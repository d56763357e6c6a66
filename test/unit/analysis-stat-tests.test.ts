import { test } from 'node:test';
import assert from 'node:assert/strict';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import {
  benjaminiHochberg,
  bootstrapRatioCI,
  createRng,
  mannWhitneyDistribution,
  mannWhitneyU,
  pairedTTest,
  rankAverage,
  signedRankCounts,
  studentTTest,
  welchTTest,
  wilcoxonSignedRank,
} from '../../core/analysis/index.ts';

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} differs from ${expected} by more than ${tol}`);

// R's `sleep` data set (Student 1908): extra hours of sleep, same 10 patients on two drugs.
const sleep1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const sleep2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

test('rankAverage: mid-ranks and tie groups', () => {
  const r = rankAverage([10, 20, 10, 30, 20, 20]);
  assert.deepEqual(r.ranks, [1.5, 4, 1.5, 6, 4, 4]);
  assert.deepEqual(r.tieSizes.sort(), [2, 3]);
});

test('signedRankCounts: subsets of {1..n} by sum', () => {
  // n = 3: sums of the 8 subsets of {1,2,3} are 0,1,2,3,3,4,5,6.
  assert.deepEqual(signedRankCounts(3), [1, 1, 1, 2, 1, 1, 1]);
  const c = signedRankCounts(12);
  assert.equal(c.reduce((s, x) => s + x, 0), 2 ** 12);
  assert.deepEqual(c, [...c].reverse()); // symmetric about n(n+1)/4
});

test('wilcoxonSignedRank: R example, exact', () => {
  // R ?wilcox.test (Hollander & Wolfe p. 29): depression scores before (x) and after (y).
  // wilcox.test(x, y, paired = TRUE) gives V = 40, p-value = 0.03906.
  // By hand: 2 · P(V >= 40) = 2 · #{subsets of 1..9 with sum <= 5} / 2^9 = 2 · 10 / 512.
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const r = wilcoxonSignedRank(x, y);
  assert.equal(r.statistic, 40);
  assert.equal(r.n, 9);
  assert.equal(r.method, 'exact');
  close(r.pValue, 20 / 512, 1e-12);
});

test('wilcoxonSignedRank: ties and a zero use the corrected normal approximation (R sleep example)', () => {
  // R: wilcox.test(sleep1, sleep2, paired = TRUE) gives V = 0, p-value = 0.009091
  // with warnings about ties and zeros.
  const r = wilcoxonSignedRank(sleep1, sleep2);
  assert.equal(r.statistic, 0);
  assert.equal(r.n, 9);
  assert.equal(r.zeros, 1);
  assert.equal(r.method, 'normal-approx');
  assert.match(r.note, /tie correction and continuity correction/);
  close(r.pValue, 0.009091, 5e-7);
});

test('wilcoxonSignedRank: small hand cases and n > 25', () => {
  // All 3 differences positive: V = 6, exact p = 2 · 1/8.
  const r3 = wilcoxonSignedRank([2, 3, 4], [1, 1, 1]);
  assert.deepEqual([r3.statistic, r3.pValue, r3.method], [6, 0.25, 'exact']);
  // All differences zero: nothing to test.
  const r0 = wilcoxonSignedRank([1, 2], [1, 2]);
  assert.deepEqual([r0.n, r0.zeros, r0.pValue], [0, 2, 1]);

  // n = 30, differences ±1..±30 (untied), negative for 1..10: V = 465 − 55 = 410.
  // Normal approximation: mean 30·31/4, variance 30·31·61/24, continuity 0.5.
  const d = Array.from({ length: 30 }, (_, i) => (i < 10 ? -(i + 1) : i + 1));
  const r = wilcoxonSignedRank(d, new Array<number>(30).fill(0));
  assert.equal(r.statistic, 410);
  assert.equal(r.method, 'normal-approx');
  const z = (410 - 232.5 - 0.5) / Math.sqrt((30 * 31 * 61) / 24);
  close(r.pValue, 2 * (1 - normalCdf(z, 0, 1)), 1e-12);
  assert.throws(() => wilcoxonSignedRank([1, 2], [1]), /equal lengths/);
});

test('mannWhitneyU: R example, exact', () => {
  // R ?wilcox.test: wilcox.test(x, y, alternative = "two.sided") on these
  // gives W = 35, p-value = 0.2544.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];
  const r = mannWhitneyU(x, y);
  assert.equal(r.statistic, 35);
  assert.equal(r.method, 'exact');
  close(r.pValue, 0.2544, 5e-5);
});

test('mannWhitneyU: ties use the corrected normal approximation (R sleep example)', () => {
  // R: wilcox.test(extra ~ group, data = sleep) gives W = 25.5, p-value = 0.06933.
  const r = mannWhitneyU(sleep1, sleep2);
  assert.equal(r.statistic, 25.5);
  assert.equal(r.method, 'normal-approx');
  close(r.pValue, 0.06933, 5e-6);
});

test('mannWhitneyDistribution: hand case and normalization', () => {
  // n1 = n2 = 2: the 6 orderings give U = 0,1,2,2,3,4.
  const d = mannWhitneyDistribution(2, 2).map((p) => p * 6);
  d.forEach((c, u) => close(c, [1, 1, 2, 1, 1][u] as number, 1e-12));
  // Complete separation of two pairs: p = 2 · 1/6.
  close(mannWhitneyU([1, 2], [3, 4]).pValue, 1 / 3, 1e-12);
  const big = mannWhitneyDistribution(20, 17);
  close(big.reduce((s, p) => s + p, 0), 1, 1e-12);
  big.forEach((p, u) => close(p, big[big.length - 1 - u] as number, 1e-15));
});

test('welchTTest: R sleep example', () => {
  // R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776,
  // p-value = 0.07939, 95 percent CI -3.3654832 0.2054832.
  const r = welchTTest(sleep1, sleep2);
  close(r.t, -1.8608, 5e-5);
  close(r.df, 17.776, 5e-4);
  close(r.pValue, 0.07939, 5e-6);
  close(r.ci[0], -3.3654832, 5e-8);
  close(r.ci[1], 0.2054832, 5e-8);
  close(r.meanDiff, 0.75 - 2.33, 1e-12);
});

test('pairedTTest and studentTTest: R sleep example', () => {
  // R: t.test(sleep1, sleep2, paired = TRUE): t = -4.0621, df = 9,
  // p-value = 0.002833, 95 percent CI -2.4598858 -0.7001142.
  const p = pairedTTest(sleep1, sleep2);
  close(p.t, -4.0621, 5e-5);
  assert.equal(p.df, 9);
  close(p.pValue, 0.002833, 5e-7);
  close(p.ci[0], -2.4598858, 5e-8);
  close(p.ci[1], -0.7001142, 5e-8);
  // R: t.test(sleep1, sleep2, var.equal = TRUE): t = -1.8608, df = 18,
  // p-value = 0.07919, 95 percent CI -3.363874 0.203874.
  const s = studentTTest(sleep1, sleep2);
  close(s.t, -1.8608, 5e-5);
  assert.equal(s.df, 18);
  close(s.pValue, 0.07919, 5e-6);
  close(s.ci[0], -3.363874, 5e-7);
  close(s.ci[1], 0.203874, 5e-7);
});

test('t tests: zero variance gives a definite answer instead of NaN', () => {
  const same = welchTTest([5, 5, 5], [5, 5]);
  assert.deepEqual([same.t, same.pValue], [0, 1]);
  const diff = welchTTest([5, 5, 5], [6, 6]);
  assert.deepEqual([diff.t, diff.pValue], [-Infinity, 0]);
  assert.throws(() => welchTTest([1], [2, 3]), /at least 2 values/);
});

test('property: p-values in [0, 1] and symmetric under swapping a and b', () => {
  const rng = createRng(99);
  for (let k = 0; k < 40; k++) {
    const n = 2 + rng.nextInt(12);
    const a = Array.from({ length: n }, () => Math.round(rng.next() * 20));
    const b = Array.from({ length: n }, () => Math.round(rng.next() * 20) + rng.nextInt(5));
    for (const f of [wilcoxonSignedRank, mannWhitneyU, welchTTest, pairedTTest, studentTTest]) {
      const ab = f(a, b).pValue;
      const ba = f(b, a).pValue;
      assert.ok(ab >= 0 && ab <= 1, `${f.name} p = ${ab}`);
      close(ab, ba, 1e-12);
    }
  }
});

test('benjaminiHochberg: matches the definition, keeps input order', () => {
  // m = 5, sorted p: 0.005 0.01 0.03 0.04 0.5 -> m·p/rank: 0.025 0.025 0.05 0.05 0.5,
  // cumulative minimum from the largest: 0.025 0.025 0.05 0.05 0.5
  // (R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH") = 0.025 0.05 0.05 0.025 0.5).
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5]);
  [0.025, 0.05, 0.05, 0.025, 0.5].forEach((e, i) => close(q[i] as number, e, 1e-15));
  // Monotone step-up: rank 2 (0.02·3/2 = 0.03) pulls rank 1 (0.011·3 = 0.033) down; capped at 1.
  const q2 = benjaminiHochberg([0.011, 0.02, 0.9]);
  [0.03, 0.03, 0.9].forEach((e, i) => close(q2[i] as number, e, 1e-15));
  assert.deepEqual(benjaminiHochberg([0.6, 0.9]), [0.9, 0.9]);
  assert.deepEqual(benjaminiHochberg([1, 1]), [1, 1]);
  assert.deepEqual(benjaminiHochberg([]), []);
  assert.throws(() => benjaminiHochberg([0.1, 1.2]), /pValues\[1\]/);
});

test('bootstrapRatioCI: deterministic per seed', () => {
  const a = [100, 102, 98, 101, 99, 103];
  const b = [110, 111, 108, 112, 109, 113];
  const r1 = bootstrapRatioCI(a, b, { seed: 5 });
  const r2 = bootstrapRatioCI(a, b, { seed: 5 });
  const r3 = bootstrapRatioCI(a, b, { seed: 6 });
  assert.deepEqual(r1, r2);
  assert.notDeepEqual([r1.lo, r1.hi], [r3.lo, r3.hi]);
  close(r1.ratio, (b.reduce((s, x) => s + x) / 6) / (a.reduce((s, x) => s + x) / 6), 1e-15);
  assert.ok(r1.lo <= r1.ratio && r1.ratio <= r1.hi);
  assert.throws(() => bootstrapRatioCI([0, 0], [1, 2]), /mean\(a\) is 0/);
  assert.throws(() => bootstrapRatioCI([1, 2], [1], { paired: true }), /equal lengths/);
});

test('bootstrapRatioCI: pairing narrows the interval when runs share a seed effect', () => {
  // Each seed shifts both configurations alike; b is a exactly 5% higher.
  const rng = createRng(11);
  const base = Array.from({ length: 12 }, () => 100 + 20 * rng.next());
  const a = base;
  const b = base.map((v) => v * 1.05);
  const paired = bootstrapRatioCI(a, b, { paired: true, seed: 1 });
  const unpaired = bootstrapRatioCI(a, b, { seed: 1 });
  close(paired.lo, 1.05, 1e-12);
  close(paired.hi, 1.05, 1e-12);
  assert.ok(unpaired.hi - unpaired.lo > 0.02);
});

test('bootstrapRatioCI: coverage of a known ratio is near the nominal level', () => {
  // Normal samples with means 100 and 110 (true ratio 1.1), n = 20 each.
  const rng = createRng(2024);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  let covered = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const a = Array.from({ length: 20 }, () => 100 + 5 * gauss());
    const b = Array.from({ length: 20 }, () => 110 + 5 * gauss());
    const ci = bootstrapRatioCI(a, b, { resamples: 1000, seed: t });
    if (ci.lo <= 1.1 && 1.1 <= ci.hi) covered++;
  }
  // Percentile intervals undercover slightly at n = 20; 95% nominal.
  assert.ok(covered / trials > 0.88 && covered / trials <= 0.99, `coverage ${covered / trials}`);
});
