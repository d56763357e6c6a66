// Benchmark history analysis on series with known shifts in seeded noise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/analysis/index.ts';
import { analyzeHistory } from '../../service/history.ts';
import type { HistoryPointInput } from '../../service/history.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (i: number): string => new Date(T0 + i * DAY).toISOString();

/** n points around `level`, ±1% uniform noise, times `factor` from index `stepAt` on. */
function history(n: number, opts: { seed?: number; level?: number; stepAt?: number; factor?: number } = {}): HistoryPointInput[] {
  const rng = createRng(opts.seed ?? 1);
  const level = opts.level ?? 40;
  return Array.from({ length: n }, (_, i) => {
    const base = i >= (opts.stepAt ?? n) ? level * (opts.factor ?? 1) : level;
    return { id: `p${i}`, measuredAt: at(i), value: base * (1 + (rng.next() - 0.5) * 0.02) };
  });
}

const bench = (higherIsBetter: boolean) => ({ name: 'rx', metric: 'throughputGbps', higherIsBetter });

describe('analyzeHistory', () => {
  test('a +20% step at index 30 is found within ±2 and, for throughput, is an improvement', () => {
    for (const seed of [1, 2, 3]) {
      const a = analyzeHistory({ benchmark: bench(true), points: history(60, { seed, stepAt: 30, factor: 1.2 }) });
      assert.equal(a.changes.length, 1, `seed ${seed}: ${JSON.stringify(a.changes)}`);
      const c = a.changes[0];
      assert.ok(c && Math.abs(c.index - 30) <= 2, `seed ${seed}: found at ${c?.index}`);
      assert.equal(c.kind, 'improvement');
      assert.ok(c.changePct !== null && c.changePct > 15 && c.changePct < 25);
      assert.deepEqual(a.segments.map((s) => s.startsWith), ['start', 'change']);
    }
  });

  test('the same step is a regression when lower is better', () => {
    const a = analyzeHistory({ benchmark: bench(false), points: history(60, { stepAt: 30, factor: 1.2 }) });
    assert.equal(a.changes[0]?.kind, 'regression');
  });

  test('noise alone gives no change point', () => {
    for (const seed of [1, 2, 3, 4]) assert.deepEqual(analyzeHistory({ benchmark: bench(true), points: history(60, { seed }) }).changes, [], `seed ${seed}`);
  });

  test('a marker at the step reports a known shift, not a regression', () => {
    const points = history(60, { stepAt: 30, factor: 0.8 });
    const a = analyzeHistory({ benchmark: bench(true), points, markers: [{ id: 'm1', at: at(30), label: 'new host kernel' }] });
    assert.deepEqual(a.changes, []);
    assert.equal(a.knownShifts.length, 1);
    const shift = a.knownShifts[0];
    assert.ok(shift);
    assert.equal(shift.index, 30);
    assert.equal(shift.label, 'new host kernel');
    const mean = (xs: HistoryPointInput[]) => xs.reduce((s, p) => s + p.value, 0) / xs.length;
    assert.ok(Math.abs((shift.meanBefore as number) - mean(points.slice(0, 30))) < 1e-9);
    assert.ok(Math.abs((shift.meanAfter as number) - mean(points.slice(30))) < 1e-9);
    assert.deepEqual(a.segments.map((s) => [s.from, s.to, s.startsWith]), [[0, 30, 'start'], [30, 60, 'marker']]);
  });

  test('a marker between two points takes effect at the next point', () => {
    const points = history(40, { stepAt: 20, factor: 1.3 });
    const a = analyzeHistory({ benchmark: bench(true), points, markers: [{ at: new Date(T0 + 19.5 * DAY).toISOString(), label: 'BIOS update' }] });
    assert.equal(a.knownShifts[0]?.index, 20);
    assert.deepEqual(a.changes, []);
  });

  test('points are sorted by time; the latest is compared with the earlier points of its segment', () => {
    const points = history(30);
    const shuffled = [...points].reverse();
    shuffled.unshift({ id: 'late', measuredAt: at(30), value: 30 });
    const a = analyzeHistory({ benchmark: bench(true), points: shuffled });
    assert.deepEqual(a.points.map((p) => p.id), [...points.map((p) => p.id), 'late']);
    const baseline = points.reduce((s, p) => s + p.value, 0) / points.length;
    assert.equal(a.latest?.baselineN, 30);
    assert.ok(Math.abs((a.latest?.baselineMean as number) - baseline) < 1e-9);
    assert.ok(Math.abs((a.latest?.changePct as number) - (30 / baseline - 1) * 100) < 1e-9);
    assert.equal(a.latest?.direction, 'worse');
    assert.ok((a.latest?.zScore as number) < -10);
  });

  test('deterministic and structured-cloneable', () => {
    const input = { benchmark: bench(true), points: history(60, { stepAt: 30, factor: 1.2 }), markers: [{ at: at(45), label: 'm' }] };
    const a = analyzeHistory(input);
    assert.deepEqual(analyzeHistory(input), a);
    assert.deepEqual(structuredClone(a), a);
  });

  test('empty history and bad timestamps', () => {
    const empty = analyzeHistory({ benchmark: bench(true), points: [] });
    assert.deepEqual([empty.points, empty.changes, empty.segments, empty.latest], [[], [], [], null]);
    assert.throws(() => analyzeHistory({ benchmark: bench(true), points: [{ measuredAt: 'yesterday', value: 1 }] }), /points\[0\]\.measuredAt: must be an ISO-8601 timestamp/);
  });
});
