import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCandidate, createRng, detectChangePoints, qStatistic } from '../../core/analysis/index.ts';

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} differs from ${expected} by more than ${tol}`);

/** Standard normal draws from the seeded PRNG (Box-Muller). */
function normal(seed: number): () => number {
  const rng = createRng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** Piecewise-constant levels plus N(0, sd²) noise: levels[k] holds from starts[k]. */
function steps(n: number, starts: number[], levels: number[], sd: number, seed: number): number[] {
  const g = normal(seed);
  return Array.from({ length: n }, (_, i) => {
    let k = 0;
    while (k + 1 < starts.length && i >= (starts[k + 1] as number)) k++;
    return (levels[k] as number) + sd * g();
  });
}

test('qStatistic: hand-computed values', () => {
  // X = {0, 0}, Y = {1, 1}: between mean 1 → 2·1, within 0, Ê = 2, q = (2·2/4)·2 = 2.
  assert.equal(qStatistic([0, 0], [1, 1]), 2);
  // X = {0}, Y = {1, 3}: 2/2·(1 + 3) − 0 − |1 − 3|/1 = 2, q = (1·2/3)·2 = 4/3.
  close(qStatistic([0], [1, 3]), 4 / 3, 1e-15);
  // Identical distributions score low: q(X, X) < 0 for spread-out X.
  assert.ok(qStatistic([1, 2, 3], [1, 2, 3]) < 0);
});

test('bestCandidate: the O(L²) search matches brute force over the definition', () => {
  const rng = createRng(3);
  for (let t = 0; t < 60; t++) {
    const len = 4 + rng.nextInt(28);
    const z = Array.from({ length: len }, () => rng.nextInt(9) + rng.next());
    const minSegment = 1 + rng.nextInt(3);
    let best = -Infinity;
    for (let tau = minSegment; tau <= len - minSegment; tau++) {
      for (let kappa = tau + minSegment; kappa <= len; kappa++) best = Math.max(best, qStatistic(z.slice(0, tau), z.slice(tau, kappa)));
    }
    const c = bestCandidate(z, 0, len, minSegment);
    if (len < 2 * minSegment) assert.equal(c, null);
    else {
      assert.ok(c !== null);
      close(c.q, best, 1e-9 * Math.max(1, Math.abs(best)));
      close(qStatistic(z.slice(0, c.index), z.slice(c.index, c.end)), c.q, 1e-9 * Math.max(1, Math.abs(best)));
    }
  }
});

test('detectChangePoints: a clean single step', () => {
  const z = [...new Array<number>(20).fill(10), ...new Array<number>(20).fill(20)];
  assert.deepEqual(detectChangePoints(z), [
    { index: 20, pValue: 0, meanBefore: 10, meanAfter: 20, stdDevBefore: 0, stdDevAfter: 0, changePct: 100 },
  ]);
});

test('detectChangePoints: no shift, no detection', () => {
  assert.deepEqual(detectChangePoints(new Array<number>(100).fill(5)), []);
  assert.deepEqual(detectChangePoints([]), []);
  assert.deepEqual(detectChangePoints([1, 2]), []);
  // Pure noise: the t test on the best split is optimistic (the split was
  // chosen to look different), so a rare false alarm is expected; Hunter's
  // strict default threshold keeps it rare.
  let falseAlarms = 0;
  for (let seed = 0; seed < 40; seed++) falseAlarms += detectChangePoints(steps(100, [0], [100], 1, seed)).length;
  assert.ok(falseAlarms <= 4, `${falseAlarms} false alarms in 40 noise series`);
});

test('detectChangePoints: noisy shift found within ±2 of the true index', () => {
  for (let seed = 1; seed <= 20; seed++) {
    // A 3σ step at 60 in 100 points.
    const cps = detectChangePoints(steps(100, [0, 60], [100, 103], 1, seed));
    assert.equal(cps.length, 1, `seed ${seed}: ${JSON.stringify(cps.map((c) => c.index))}`);
    const cp = cps[0];
    assert.ok(cp !== undefined && Math.abs(cp.index - 60) <= 2, `seed ${seed}: index ${cp?.index}`);
    assert.ok(cp.pValue <= 0.001);
    close(cp.changePct, 3, 1);
  }
});

test('detectChangePoints: two steps, up then down', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const cps = detectChangePoints(steps(120, [0, 40, 80], [100, 110, 95], 1, seed));
    assert.deepEqual(cps.length, 2, `seed ${seed}`);
    const [up, down] = cps;
    assert.ok(up !== undefined && down !== undefined);
    assert.ok(Math.abs(up.index - 40) <= 2 && Math.abs(down.index - 80) <= 2);
    assert.ok(up.changePct > 0 && down.changePct < 0);
    close(up.meanBefore, 100, 0.5);
    close(down.meanAfter, 95, 0.5);
  }
});

test('detectChangePoints: many steps in a long history, windowed or not', () => {
  // Steps every 100 points over 500 points, 6σ to 12σ. Every step must be
  // found; the windowed split step adds rare spurious points (about 1 per
  // 1000 points of pure noise at the default pValue), so allow a few overall.
  const truth = [100, 200, 300, 400];
  for (const window of [50, 30, Infinity]) {
    let spurious = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const idx = detectChangePoints(steps(500, [0, ...truth], [100, 106, 100, 112, 104], 1, seed), { window }).map((c) => c.index);
      for (const t of truth) assert.ok(idx.some((i) => Math.abs(i - t) <= 2), `window ${window}, seed ${seed}: ${JSON.stringify(idx)}`);
      spurious += idx.filter((i) => !truth.some((t) => Math.abs(i - t) <= 2)).length;
    }
    assert.ok(spurious <= 8, `window ${window}: ${spurious} spurious change points in 10 series`);
  }
  // A stricter threshold removes them.
  const z = steps(500, [0, ...truth], [100, 106, 100, 112, 104], 1, 7);
  assert.equal(detectChangePoints(z).length, 7);
  assert.deepEqual(detectChangePoints(z, { pValue: 1e-4 }).map((c) => c.index), truth);
});

test('detectChangePoints: resets split the history and are never reported', () => {
  const a = new Array<number>(30).fill(10);
  const b = new Array<number>(20).fill(20);
  const c = new Array<number>(20).fill(30);
  assert.deepEqual(detectChangePoints([...a, ...b], { resets: [30] }), []);
  assert.deepEqual(detectChangePoints([...a, ...b, ...c], { resets: [30] }).map((p) => [p.index, p.meanBefore, p.meanAfter]), [[50, 20, 30]]);
  // Without the reset both steps are found.
  assert.deepEqual(detectChangePoints([...a, ...b, ...c]).map((p) => p.index), [30, 50]);
  // A noisy step right after a reset is measured against its own segment only.
  const z = [...steps(40, [0], [100], 1, 1), ...steps(60, [0, 30], [200, 206], 1, 2)];
  const cps = detectChangePoints(z, { resets: [0, 40, 100, 40] });
  assert.equal(cps.length, 1);
  assert.ok(Math.abs((cps[0]?.index ?? 0) - 70) <= 2);
  close(cps[0]?.meanBefore ?? 0, 200, 0.6);
  assert.throws(() => detectChangePoints([1, 2, 3], { resets: [4] }), /resets must hold integer indices in \[0, 3\]/);
  assert.throws(() => detectChangePoints([1, 2, 3], { resets: [1.5] }), /resets/);
});

test('detectChangePoints: options', () => {
  // A 1% step without noise is significant but can be filtered by magnitude.
  const z = [...new Array<number>(20).fill(100), ...new Array<number>(20).fill(101)];
  assert.equal(detectChangePoints(z).length, 1);
  assert.deepEqual(detectChangePoints(z, { minMagnitudePct: 5 }), []);
  // A single outlier at the end of a history is not a change of level with
  // minSegment 3, but is with minSegment 1 (Hunter's behaviour).
  const g = normal(5);
  const spike = [...Array.from({ length: 30 }, () => 1 + 0.01 * g()), 50];
  assert.deepEqual(detectChangePoints(spike), []);
  assert.deepEqual(detectChangePoints(spike, { minSegment: 1 }).map((c) => c.index), [30]);
  // An outlier inside the history is tested against everything around it and is not reported.
  const inner = [...spike, ...Array.from({ length: 30 }, () => 1 + 0.01 * g())];
  assert.deepEqual(detectChangePoints(inner, { minSegment: 1 }), []);
  assert.throws(() => detectChangePoints([1, Number.NaN]), /values\[1\]/);
  assert.throws(() => detectChangePoints([1, 2], { pValue: 0 }), /pValue/);
  assert.throws(() => detectChangePoints([1, 2], { window: 1 }), /window/);
  assert.throws(() => detectChangePoints([1, 2], { minSegment: 0 }), /minSegment/);
});

test('property: detections are sorted, inside the series and significant', () => {
  const rng = createRng(17);
  for (let t = 0; t < 25; t++) {
    const n = 20 + rng.nextInt(150);
    const starts = [0, rng.nextInt(n), rng.nextInt(n)].sort((x, y) => x - y);
    const z = steps(n, starts, [100, 100 + 10 * rng.next(), 100 - 10 * rng.next()], 1 + rng.next(), t);
    const pValue = [0.001, 0.01, 0.05][t % 3] as number;
    const cps = detectChangePoints(z, { pValue });
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i];
      assert.ok(cp !== undefined && cp.index >= 3 && cp.index <= n - 3);
      assert.ok(cp.pValue <= pValue);
      if (i > 0) assert.ok(cp.index > (cps[i - 1]?.index ?? 0));
    }
  }
});
