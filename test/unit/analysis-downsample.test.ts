import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lttb, minMaxDownsample } from '../../core/analysis/index.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('lttb: N points, endpoints kept, increasing indices', () => {
  const x = range(1000);
  const y = x.map((i) => Math.sin(i / 20) * 10 + (i % 7));
  const d = lttb(x, y, 100);
  assert.equal(d.x.length, 100);
  assert.equal(d.y.length, 100);
  assert.equal(d.indices[0], 0);
  assert.equal(d.indices.at(-1), 999);
  for (let i = 1; i < d.indices.length; i++) assert.ok((d.indices[i] as number) > (d.indices[i - 1] as number));
  d.indices.forEach((idx, k) => assert.equal(d.y[k], y[idx]));
});

test('lttb: keeps the spike of a flat series', () => {
  const x = range(500);
  const y = x.map((i) => (i === 337 ? 50 : 1));
  assert.ok(lttb(x, y, 20).indices.includes(337));
  const dip = x.map((i) => (i === 123 ? -50 : 1));
  assert.ok(lttb(x, dip, 20).indices.includes(123));
});

test('lttb: hand case with one bucket picks the point farthest from the chord', () => {
  // points = 3: one interior bucket (indices 1..3); the next "bucket" is the last point,
  // so the triangle with (0, 0) and (4, 0) is largest for the largest |y|.
  assert.deepEqual(lttb(range(5), [0, 1, 5, 2, 0], 3).indices, [0, 2, 4]);
});

test('lttb: short input returned as is; bad input throws', () => {
  assert.deepEqual(lttb([1, 2, 3], [4, 5, 6], 10), { x: [1, 2, 3], y: [4, 5, 6], indices: [0, 1, 2] });
  assert.deepEqual(lttb(range(10), range(10), 2).indices, [0, 9]);
  assert.throws(() => lttb([1, 2], [1], 5), /equal lengths/);
  assert.throws(() => lttb([2, 1], [1, 1], 5), /non-decreasing/);
  assert.throws(() => lttb([1, 2], [1, 1], 1), /points must be an integer >= 2/);
});

test('minMaxDownsample: keeps both extremes of every bucket', () => {
  const x = range(1000);
  const y = x.map((i) => (i === 400 ? 99 : i === 401 ? -99 : i % 3));
  const d = minMaxDownsample(x, y, 50);
  assert.ok(d.indices.length <= 50);
  assert.equal(d.indices[0], 0);
  assert.equal(d.indices.at(-1), 999);
  assert.ok(d.indices.includes(400) && d.indices.includes(401));
  for (let i = 1; i < d.indices.length; i++) assert.ok((d.indices[i] as number) > (d.indices[i - 1] as number));
  assert.equal(Math.max(...d.y), 99);
  assert.equal(Math.min(...d.y), -99);
  // 10 points -> 4 buckets over the interior 1..8 (2 each) -> endpoints + 8 = all 10.
  assert.equal(minMaxDownsample(range(12), range(12), 10).indices.length, 10);
});
