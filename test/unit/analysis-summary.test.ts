import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../core/analysis/index.ts';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} differs from ${expected} by more than ${tol}`);

test('summarize: hand-computed sample', () => {
  // values 2 4 4 4 5 5 7 9: mean 40/8 = 5, median (4 + 5) / 2 = 4.5,
  // squared deviations 9+1+1+1+0+0+4+16 = 32, s² = 32/7, s = 2.1380899...
  // t(0.975, 7) = 2.3646243, half width = t · s / √8 = 1.7874879.
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.mean, 5);
  assert.equal(s.median, 4.5);
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  close(s.stdDev, Math.sqrt(32 / 7));
  close(s.ci95[0], 5 - 1.7874879, 1e-6);
  close(s.ci95[1], 5 + 1.7874879, 1e-6);
  close(s.cv, Math.sqrt(32 / 7) / 5);
});

test('summarize: the CI brackets the mean and cv uses |mean|', () => {
  const s = summarize([-3, -1, -2]);
  assert.ok(s.ci95[0] < s.mean && s.mean < s.ci95[1]);
  close(s.cv, 1 / 2); // s = 1, |mean| = 2
});

test('summarize: one value has no spread (NaN), zero values throw', () => {
  const s = summarize([7]);
  assert.equal(s.n, 1);
  assert.equal(s.mean, 7);
  assert.equal(s.median, 7);
  assert.ok(Number.isNaN(s.stdDev));
  assert.ok(Number.isNaN(s.ci95[0]) && Number.isNaN(s.ci95[1]));
  assert.ok(Number.isNaN(s.cv));
  assert.throws(() => summarize([]), /at least 1 value/);
  assert.throws(() => summarize([1, Number.NaN]), /values\[1\] must be a finite number/);
});

test('summarize: constant sample has zero-width CI', () => {
  const s = summarize([3, 3, 3]);
  assert.equal(s.stdDev, 0);
  assert.deepEqual(s.ci95, [3, 3]);
  assert.equal(s.cv, 0);
});
