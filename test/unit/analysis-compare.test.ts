import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMetrics, compareSamples, mannWhitneyU, wilcoxonSignedRank } from '../../core/analysis/index.ts';

const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
// Throughput per seed for a baseline; each seed has its own level.
const base = [50.1, 49.2, 51.3, 50.7, 48.9, 50.2, 49.8, 51.0, 50.4, 49.5];
const jitter = [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.4, -0.3, 0.2];

test('compareSamples: pairs runs by seed whatever their order', () => {
  const b = base.map((v, i) => v * 1.1 + (jitter[i] as number));
  const order = [3, 0, 9, 1, 8, 2, 7, 4, 6, 5];
  const r = compareSamples(base, order.map((i) => b[i] as number), {
    seeds: { a: seeds, b: order.map((i) => seeds[i] as number) },
  });
  assert.equal(r.paired, true);
  assert.deepEqual(r.n, { a: 10, b: 10 });
  assert.equal(r.primary.test, 'wilcoxon-signed-rank');
  assert.equal(r.primary.pValue, wilcoxonSignedRank(base, b).pValue);
  assert.equal(r.secondOpinion?.test, 'paired-t');
  assert.equal(r.verdict, 'better');
  assert.ok(r.changePct > 9 && r.changePct < 11);
  assert.ok(r.ratioCI !== null && r.ratioCI.paired && r.ratioCI.lo > 1.08 && r.ratioCI.hi < 1.12);
  assert.match(r.reason, /^B is 10\.\d% higher than A \(Wilcoxon signed-rank p = 0\.0020 <= 0\.05, beyond the 2% threshold\)/);
});

test('compareSamples: unpaired without seeds or with different seed sets', () => {
  const b = base.map((v) => v * 0.9);
  const none = compareSamples(base, b);
  assert.equal(none.paired, false);
  assert.equal(none.primary.test, 'mann-whitney-u');
  assert.equal(none.primary.pValue, mannWhitneyU(base, b).pValue);
  assert.equal(none.secondOpinion?.test, 'welch-t');
  assert.equal(none.verdict, 'worse');

  const other = compareSamples(base, b, { seeds: { a: seeds, b: seeds.map((s) => s + 100) } });
  assert.equal(other.paired, false);
  assert.throws(() => compareSamples(base, b, { seeds: { a: [1, 2], b: seeds } }), /seeds\.a has 2 entries/);
});

test('compareSamples: lower is better flips the verdict', () => {
  const latency = base.map((v, i) => v * 0.8 + (jitter[i] as number));
  const r = compareSamples(base, latency, { seeds: { a: seeds, b: seeds }, higherIsBetter: false });
  assert.equal(r.verdict, 'better');
  assert.ok(r.changePct < -15);
});

test('compareSamples: significant but within the threshold is no change', () => {
  // All 10 differences positive: exact p = 2 / 2^10, but only +1%.
  const r = compareSamples(base, base.map((v) => v * 1.01), { seeds: { a: seeds, b: seeds } });
  assert.ok(Math.abs(r.primary.pValue - 2 / 1024) < 1e-15);
  assert.equal(r.verdict, 'no change');
  assert.match(r.reason, /within the 2% threshold/);
  // The same data with a 0.5% threshold is a change.
  assert.equal(compareSamples(base, base.map((v) => v * 1.01), { seeds: { a: seeds, b: seeds }, thresholdPct: 0.5 }).verdict, 'better');
});

test('compareSamples: large but not significant is no change', () => {
  // Three pairs: the smallest exact two-sided p is 2/8 = 0.25.
  const r = compareSamples([10, 11, 12], [20, 22, 24], { seeds: { a: [1, 2, 3], b: [1, 2, 3] } });
  assert.equal(r.primary.pValue, 0.25);
  assert.equal(r.verdict, 'no change');
  assert.match(r.reason, /not significant/);
});

test('compareSamples: swapping a and b keeps p and flips the direction', () => {
  const b = base.map((v, i) => v * 1.05 + (jitter[i] as number));
  const ab = compareSamples(base, b, { seeds: { a: seeds, b: seeds } });
  const ba = compareSamples(b, base, { seeds: { a: seeds, b: seeds } });
  assert.equal(ab.primary.pValue, ba.primary.pValue);
  assert.equal(ab.verdict, 'better');
  assert.equal(ba.verdict, 'worse');
});

test('compareSamples: degenerate inputs', () => {
  const zero = compareSamples([0, 0, 0], [1, 2, 3]);
  assert.ok(Number.isNaN(zero.changePct));
  assert.equal(zero.ratioCI, null);
  assert.equal(zero.verdict, 'no change');
  const single = compareSamples([10], [20]);
  assert.equal(single.secondOpinion, null);
  assert.equal(single.verdict, 'no change');
  assert.throws(() => compareSamples([], [1]), /a needs at least 1 value/);
  assert.throws(() => compareSamples([1], [1], { alpha: 0 }), /alpha/);
});

test('compareMetrics: BH adjustment across metrics decides the verdicts', () => {
  // throughput: 6 pairs all up 5%: exact p = 2/64 = 0.03125 alone is significant,
  // but with two unchanged metrics (p = 1) BH gives q = 3 · 0.03125 / 1 = 0.09375.
  const s6 = [1, 2, 3, 4, 5, 6];
  const a = { throughputGbps: [40, 41, 42, 43, 44, 45], cpuPct: [50, 51, 52, 53, 54, 55], latencyUs: [9, 9, 9, 9, 9, 9] };
  const b = { throughputGbps: a.throughputGbps.map((v) => v * 1.05), cpuPct: a.cpuPct, latencyUs: a.latencyUs, extra: [1] };
  const alone = compareSamples(a.throughputGbps, b.throughputGbps, { seeds: { a: s6, b: s6 } });
  assert.equal(alone.verdict, 'better');

  const r = compareMetrics(a, b, { seeds: { a: s6, b: s6 } });
  assert.deepEqual(Object.keys(r.metrics), ['cpuPct', 'latencyUs', 'throughputGbps']);
  assert.deepEqual(r.onlyInB, ['extra']);
  assert.deepEqual(r.onlyInA, []);
  const t = r.metrics.throughputGbps;
  assert.ok(t !== undefined);
  assert.ok(Math.abs(t.qValue - 0.09375) < 1e-15);
  assert.equal(t.primary.pValue, alone.primary.pValue);
  assert.equal(t.verdict, 'no change');
  assert.match(t.reason, /Wilcoxon signed-rank, BH-adjusted q = 0\.094 > 0\.05/);
  assert.equal(r.metrics.cpuPct?.qValue, 1);
});

test('compareMetrics: per-metric direction', () => {
  const s = seeds;
  const a = { throughputGbps: base, latencyUs: base.map((v) => v / 10) };
  const b = {
    throughputGbps: base.map((v, i) => v * 1.2 + (jitter[i] as number)),
    latencyUs: base.map((v, i) => v / 12 + (jitter[i] as number) / 100),
  };
  const r = compareMetrics(a, b, { seeds: { a: s, b: s }, higherIsBetter: { latencyUs: false } });
  assert.equal(r.metrics.throughputGbps?.verdict, 'better');
  assert.equal(r.metrics.latencyUs?.verdict, 'better');
  const flipped = compareMetrics(a, b, { seeds: { a: s, b: s }, higherIsBetter: false });
  assert.equal(flipped.metrics.throughputGbps?.verdict, 'worse');
  assert.throws(() => compareMetrics({ m: [] }, { m: [1] }), /metric "m": a needs at least 1 value/);
});
