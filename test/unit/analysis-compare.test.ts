// The one comparison rule (core/analysis/compare.ts): known answers checked
// against scipy.stats (ttest_1samp, ttest_ind(equal_var=False)) and worked
// out from the definitions of the families and the zero-baseline rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSets, smallestSignificantN, type MetricSamples } from '../../core/analysis/index.ts';

const close = (actual: number, expected: number, rel = 1e-6) => assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} is not ${expected} (rel ${rel})`);
const s6 = [1, 2, 3, 4, 5, 6];
const paired6 = { seeds: { a: s6, b: s6 } };
const metric = (name: string, a: number[], b: number[], extra: Partial<MetricSamples> = {}): MetricSamples => ({ name, a, b, higherIsBetter: true, family: 'secondary', ...extra });

// log(b / a) = 0.1, 0.2, 0.3, 0.1, 0.2, 0.3: scipy ttest_1samp gives t = 5.4772, p = 0.0027650.
const logRatios = [0.1, 0.2, 0.3, 0.1, 0.2, 0.3];
const baseA = [10, 20, 30, 40, 50, 60];
const headB = baseA.map((v, i) => v * Math.exp(logRatios[i] as number));

test('paired t on log ratios reaches significance with 6 seeds; exact Wilcoxon is the second opinion', () => {
  const [m] = compareSets([metric('throughputGbps', baseA, headB, { family: 'primary' })], paired6).metrics;
  assert.ok(m);
  assert.equal(m.test?.name, 'paired-t');
  assert.equal(m.test?.scale, 'log');
  close(m.test?.t as number, 5.477225575051662);
  close(m.test?.pValue as number, 0.0027649603013049535);
  assert.equal(m.qValue, m.test?.pValue, 'the primary metric is tested alone');
  assert.equal(m.secondOpinion?.name, 'wilcoxon-signed-rank');
  close(m.secondOpinion?.minAttainableP as number, 2 / 2 ** 6);
  assert.equal(m.verdict, 'better');
  // scipy: p = 0.0208 at n = 4 and 0.0607 at n = 3 for this effect and spread.
  assert.equal(m.minSignificantN, 4);
});

test('smallestSignificantN: monotone search; no effect is null; no spread is 2', () => {
  const mean = 0.2;
  const sd = Math.sqrt(0.008);
  assert.equal(smallestSignificantN(mean, sd, 0.05), 4);
  assert.equal(smallestSignificantN(mean, sd, 0.001), 8); // scipy: p(8) = 3.9e-4, p(7) = 1.04e-3
  assert.equal(smallestSignificantN(0, sd, 0.05), null);
  assert.equal(smallestSignificantN(1, 0, 0.05), 2);
  assert.equal(smallestSignificantN(1e-9, 1, 0.05, undefined, 100), null);
});

test('unpaired: Welch t on log values (scipy: t = 9.8336, p = 3.0066e-4) with Mann-Whitney as second opinion', () => {
  const [m] = compareSets([metric('x', [10, 11, 12, 13], [20, 21, 22, 23])], { seeds: { a: [1, 2, 3, 4], b: [5, 6, 7, 8] } }).metrics;
  assert.equal(m?.paired, false);
  assert.equal(m?.test?.name, 'welch-t');
  close(m?.test?.t as number, 9.83363140017392);
  close(m?.test?.df as number, 4.575247008938793);
  close(m?.test?.pValue as number, 0.00030065941822863304);
  assert.equal(m?.secondOpinion?.name, 'mann-whitney-u');
  assert.equal(m?.verdict, 'better');
});

test('constant metrics: "no change (constant)", untested, and outside the family', () => {
  const six = (v: number) => new Array<number>(6).fill(v);
  // Two changed secondaries at p ≈ 0.00277 each: with three constant ones in the family too, BH would give q = 5p/2.
  const r = compareSets(
    [
      metric('exits', baseA, headB),
      metric('faults', baseA, headB),
      metric('dsi', six(0), six(0)),
      metric('psiMap', six(0), six(0)),
      metric('wpFault', six(3), six(3)),
    ],
    paired6,
  );
  const by = Object.fromEntries(r.metrics.map((m) => [m.name, m]));
  for (const name of ['dsi', 'psiMap', 'wpFault']) {
    assert.equal(by[name]?.verdict, 'no change (constant)', name);
    assert.equal(by[name]?.qValue, null);
    assert.equal(by[name]?.test, null);
  }
  assert.equal(by.exits?.familySize, 2);
  close(by.exits?.qValue as number, 0.0027649603013049535); // BH over 2 equal p values: q = p
});

test('primary and secondary: the primary keeps its p; secondaries are adjusted among themselves only', () => {
  const flat = [1, 1.001, 0.999, 1.002, 0.998, 1];
  const r = compareSets(
    [
      metric('throughputGbps', baseA, headB, { family: 'primary' }),
      metric('exits', baseA, headB, { family: 'secondary', higherIsBetter: false }),
      metric('other', baseA, baseA.map((v, i) => v * (flat[i] as number))),
      metric('exits.iotlb', baseA, headB, { family: 'breakdown', higherIsBetter: false }),
    ],
    paired6,
  );
  const by = Object.fromEntries(r.metrics.map((m) => [m.name, m]));
  const p = by.throughputGbps?.test?.pValue as number;
  assert.equal(by.throughputGbps?.qValue, p);
  assert.equal(by.throughputGbps?.familySize, 1);
  // BH over {p, p_other}: the smaller one gets min(2p, p_other).
  const pOther = by.other?.test?.pValue as number;
  assert.ok(pOther > 2 * p);
  close(by.exits?.qValue as number, 2 * p);
  assert.equal(by.exits?.familySize, 2);
  assert.equal(by.exits?.verdict, 'worse');
  // The breakdown is its own family of one: showing it changes no secondary q.
  assert.equal(by['exits.iotlb']?.qValue, p);
  assert.equal(by['exits.iotlb']?.family, 'breakdown');
  const without = compareSets(r.metrics.filter((m) => m.family !== 'breakdown').map((m) => metric(m.name, baseA, m.name === 'other' ? baseA.map((v, i) => v * (flat[i] as number)) : headB, { family: m.family, higherIsBetter: m.name !== 'exits' })), paired6);
  assert.deepEqual(
    without.metrics.map((m) => [m.name, m.qValue, m.verdict]),
    r.metrics.filter((m) => m.family !== 'breakdown').map((m) => [m.name, m.qValue, m.verdict]),
  );
  assert.throws(() => compareSets([metric('a', [1], [2], { family: 'primary' }), metric('b', [1], [2], { family: 'primary' })]), /at most one metric can be primary/);
});

test('from zero: an absolute change with its own verdict (0 -> ~770 flushes/s is worse when lower is better)', () => {
  const head = [700, 760, 770, 780, 790, 820];
  const [m] = compareSets([metric('flushesPerSec', new Array<number>(6).fill(0), head, { higherIsBetter: false })], paired6).metrics;
  assert.equal(m?.changeKind, 'from-zero');
  assert.equal(m?.changePct, null);
  close(m?.absoluteChange as number, 770);
  assert.equal(m?.test?.scale, 'linear');
  close(m?.test?.pValue as number, 8.103665527333563e-8); // scipy ttest_1samp on the differences
  assert.equal(m?.verdict, 'worse');
  assert.match(m?.reason ?? '', /where A is 0 \(an absolute change of \+770\)/);
});

test('to zero: 211 -> 0 flushes/s is better by an absolute change, never "-100%"', () => {
  const base = [211, 205, 215, 209, 212, 214];
  const [m] = compareSets([metric('flushesPerSec', base, new Array<number>(6).fill(0), { higherIsBetter: false })], paired6).metrics;
  assert.equal(m?.changeKind, 'to-zero');
  assert.equal(m?.changePct, null);
  close(m?.test?.pValue as number, 3.2562547914797793e-10);
  assert.equal(m?.verdict, 'better');
  assert.doesNotMatch(m?.reason ?? '', /100/);
});

test('a change from zero that the runs cannot show is inconclusive, not "no change"', () => {
  const [m] = compareSets([metric('staleWindowMeanUs', [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 7000], { higherIsBetter: false })], paired6).metrics;
  assert.equal(m?.changeKind, 'from-zero');
  assert.ok((m?.qValue as number) > 0.05);
  assert.equal(m?.verdict, 'inconclusive');
});

test('within the threshold is no change; not significant is no change with the n it would need', () => {
  const tiny = baseA.map((v) => v * 1.01);
  const [within] = compareSets([metric('x', baseA, tiny)], paired6).metrics;
  assert.equal(within?.verdict, 'no change');
  assert.match(within?.reason ?? '', /within the 2% threshold/);
  assert.equal(compareSets([metric('x', baseA, tiny)], { ...paired6, thresholdPct: 0.5 }).metrics[0]?.verdict, 'better');
  const [noisy] = compareSets([metric('x', [10, 11, 12], [9, 14, 13])], { seeds: { a: [1, 2, 3], b: [1, 2, 3] } }).metrics;
  assert.equal(noisy?.verdict, 'no change');
  assert.match(noisy?.reason ?? '', /would need at least \d+ pairs/);
});

test('swapping base and head keeps p and flips the verdict', () => {
  const ab = compareSets([metric('x', baseA, headB)], paired6).metrics[0];
  const ba = compareSets([metric('x', headB, baseA)], paired6).metrics[0];
  close(ab?.test?.pValue as number, ba?.test?.pValue as number, 1e-12);
  assert.equal(ab?.verdict, 'better');
  assert.equal(ba?.verdict, 'worse');
});

test('a single run per side cannot be tested: a change is inconclusive; no direction gives "changed"', () => {
  const [one] = compareSets([metric('x', [10], [20])]).metrics;
  assert.equal(one?.test, null);
  assert.equal(one?.verdict, 'inconclusive');
  const [unknown] = compareSets([metric('widgets', baseA, headB, { higherIsBetter: undefined })], paired6).metrics;
  assert.equal(unknown?.verdict, 'changed');
  assert.throws(() => compareSets([metric('m', [], [1])]), /metric "m": a needs at least 1 value/);
  assert.throws(() => compareSets([metric('m', [1], [1])], { alpha: 0 }), /alpha/);
});
