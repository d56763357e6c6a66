// A sweep analysed per grid point: swept fields, mean and 95% CI over seeds,
// main effects and the best configuration per backend, on runs with known values.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseExperiment, flattenRun, gridOrderOf, orderValues, sweptPaths, type AnalysedRun } from '../../service/experiments.ts';
import { ServiceError } from '../../service/errors.ts';

const EXPERIMENT = { id: 'e1', name: 'fq', description: 'sweep over viommu.backend, flushQueue.size', createdAt: '2026-03-01T00:00:00.000Z', runs: 0, done: 0, active: 0 };

/** backend x size x 3 seeds; throughput = base(backend) + size/64 + seed offset (-0.1, 0, +0.1). */
function runs(): AnalysedRun[] {
  const out: AnalysedRun[] = [];
  for (const backend of ['shadow-sl', 'nested-fl']) {
    for (const size of [256, 64]) {
      for (const seed of [1, 2, 3]) {
        const base = backend === 'nested-fl' ? 50 : 20;
        out.push({
          id: `${backend}-${size}-${seed}`,
          status: 'done',
          seed,
          // The translation level follows the backend: not a grid axis of its own.
          scenario: { seed, name: 'x', viommu: { backend, firstLevel: backend === 'nested-fl' }, flushQueue: { size, kind: 'per-cpu' } },
          effectivePolicy: 'lazy',
          metrics: { throughputGbps: base + size / 64 + (seed - 2) * 0.1, vmExitsPerSec: 1000 / size },
        });
      }
    }
  }
  return out;
}

describe('experiment analysis', () => {
  test('flattening, grid order, value order', () => {
    assert.deepEqual(flattenRun({ scenario: { a: { b: 1, c: [1, 2] }, d: 'x' }, effectivePolicy: null }), { 'a.b': 1, 'a.c': '[1,2]', d: 'x', 'effective.policy': null });
    assert.deepEqual(gridOrderOf('sweep over viommu.backend, policy'), ['viommu.backend', 'policy']);
    assert.deepEqual(gridOrderOf('a study'), []);
    assert.deepEqual(orderValues([256, 'b', 64, null, 'a', true]), [64, 256, true, 'b', 'a', null]);
  });

  test('swept fields are those that split runs; one that follows another is left out', () => {
    const rows = runs().map(flattenRun);
    assert.deepEqual(sweptPaths(rows, ['viommu.backend', 'flushQueue.size']), ['viommu.backend', 'flushQueue.size']);
    // Without the grid order, scenario order decides which of two equivalent fields leads.
    assert.deepEqual(sweptPaths(rows), ['viommu.backend', 'flushQueue.size']);
  });

  test('per grid point: n, mean and the Student-t 95% CI over seeds', () => {
    const a = analyseExperiment(EXPERIMENT, runs(), { metrics: ['throughputGbps'] });
    assert.deepEqual(a.by, ['viommu.backend', 'flushQueue.size']);
    assert.deepEqual(
      a.points.map((p) => [p.values['viommu.backend'], p.values['flushQueue.size'], p.runIds.length]),
      [
        ['shadow-sl', 64, 3],
        ['shadow-sl', 256, 3],
        ['nested-fl', 64, 3],
        ['nested-fl', 256, 3],
      ],
    );
    const s = a.points[0]?.metrics.throughputGbps;
    assert.ok(s);
    assert.ok(Math.abs(s.mean - 21) < 1e-9);
    assert.ok(Math.abs((s.sd ?? 0) - 0.1) < 1e-9);
    // t(0.975, 2) = 4.302653: half-width 4.302653 * 0.1 / sqrt(3) = 0.248414.
    assert.ok(s.ci95);
    assert.ok(Math.abs(s.ci95[1] - s.mean - 0.248414) < 1e-5, `half-width ${s.ci95[1] - s.mean}`);
  });

  test('main effects: the mean of point means at each value', () => {
    const a = analyseExperiment(EXPERIMENT, runs(), { metrics: ['throughputGbps'] });
    const size = a.mainEffects.find((m) => m.path === 'flushQueue.size' && m.metric === 'throughputGbps');
    assert.deepEqual(
      size?.levels.map((l) => [l.value, Number(l.mean.toFixed(6)), l.points]),
      [
        [64, 36, 2],
        [256, 39, 2],
      ],
    );
    assert.ok(Math.abs((size?.rangePct ?? 0) - (3 / 37.5) * 100) < 1e-9);
  });

  test('interactions: zero when effects add up, the residual share when they do not; the Pareto front keeps the undominated', () => {
    // Throughput adds up (base + size/64): no interaction.
    const additive = analyseExperiment(EXPERIMENT, runs(), { metrics: ['throughputGbps'] });
    const x = additive.interactions.find((i) => i.metric === 'throughputGbps');
    assert.deepEqual(x?.paths, ['viommu.backend', 'flushQueue.size']);
    assert.ok(Math.abs(x?.sizePct ?? 1) < 1e-9, `additive effects, got ${x?.sizePct}`);
    // Exits 1000/size are the same on both backends: still none. Make nested-fl ignore the size: a pure interaction.
    const rs = runs().map((r) => ({ ...r, metrics: { ...r.metrics, vmExitsPerSec: r.id.startsWith('nested') ? 10 : (r.scenario as { flushQueue: { size: number } }).flushQueue.size === 64 ? 30 : 10 } }));
    // Cells 10, 10 (nested), 30, 10 (shadow 64, 256): grand 15, residual |cell - row - col + grand| = 5 each -> 33.3%.
    const inter = analyseExperiment(EXPERIMENT, rs, { metrics: ['vmExitsPerSec'] }).interactions[0];
    assert.ok(Math.abs((inter?.sizePct ?? 0) - (5 / 15) * 100) < 1e-9, `got ${inter?.sizePct}`);

    const withStale = runs().map((r) => {
      const size = (r.scenario as { flushQueue: { size: number } }).flushQueue.size;
      return { ...r, metrics: { ...r.metrics, staleWindowP99Us: size * 10 } };
    });
    const pareto = analyseExperiment(EXPERIMENT, withStale, { metrics: ['throughputGbps'] }).pareto;
    assert.equal(pareto?.metric, 'throughputGbps');
    const front = pareto?.points ?? [];
    // nested-fl 256 (fastest) and nested-fl 64 (shortest window, faster than every shadow-sl point) are undominated.
    assert.deepEqual(
      front.map((p) => [p.values['viommu.backend'], p.values['flushQueue.size']]),
      [
        ['nested-fl', 256],
        ['nested-fl', 64],
      ],
    );
  });

  test('an experiment of fio runs shows IOPS, their p99 latency, exits and the stale window by default, and its Pareto front is on IOPS', () => {
    // fio reads: IOPS of the read direction; the write direction is all zeros; throughput as a NIC run would report it too.
    const fio = runs().map((r) => {
      const size = (r.scenario as { flushQueue: { size: number } }).flushQueue.size;
      const iops = r.metrics.throughputGbps! * 1e5;
      return { ...r, metrics: { readIops: iops, writeIops: 0, readClatP99Us: 1e8 / iops, writeClatP99Us: 0, throughputGbps: 1, vmExitsPerSec: 1000 / size, staleWindowP99Us: size * 10 } };
    });
    const a = analyseExperiment(EXPERIMENT, fio);
    assert.deepEqual(a.metrics.map((m) => m.name), ['readIops', 'readClatP99Us', 'vmExitsPerSec', 'staleWindowP99Us']);
    assert.equal(a.pareto?.metric, 'readIops');
    assert.deepEqual(a.pareto?.points.map((p) => [p.values['viommu.backend'], p.values['flushQueue.size']]), [['nested-fl', 256], ['nested-fl', 64]]);
    assert.ok(a.headlineMetrics.includes('readIops') && !a.headlineMetrics.includes('throughputGbps'), a.headlineMetrics.join());
    // A metric the same everywhere (the write direction a read job does not do) has no best configuration.
    const best = analyseExperiment(EXPERIMENT, fio, { metrics: ['readIops', 'writeIops'] }).best;
    assert.deepEqual([...new Set(best.map((b) => b.metric))], ['readIops']);
    // NIC runs keep their defaults.
    assert.deepEqual(analyseExperiment(EXPERIMENT, runs()).metrics.map((m) => m.name), ['throughputGbps', 'vmExitsPerSec']);
  });

  test('best per backend follows the metric direction, with margin and significance', () => {
    const a = analyseExperiment(EXPERIMENT, runs(), { metrics: ['throughputGbps', 'vmExitsPerSec'] });
    const tp = a.best.filter((b) => b.metric === 'throughputGbps');
    assert.deepEqual(
      tp.map((b) => [b.backend, b.point['flushQueue.size']]),
      [
        ['shadow-sl', 256],
        ['nested-fl', 256],
      ],
    );
    const sl = tp[0];
    assert.ok(sl);
    assert.equal(sl.runnerUp?.['flushQueue.size'], 64);
    assert.ok(Math.abs((sl.marginPct ?? 0) - (3 / 21) * 100) < 1e-9);
    assert.equal(sl.significant, true);
    // Fewer exits is better: the larger queue wins there too.
    assert.equal(a.best.find((b) => b.metric === 'vmExitsPerSec' && b.backend === 'nested-fl')?.point['flushQueue.size'], 256);
  });

  test('runs not done are counted, not analysed; unknown fields and metrics name what is there', () => {
    const rs = runs();
    rs[0] = { ...(rs[0] as AnalysedRun), status: 'failed' };
    const a = analyseExperiment(EXPERIMENT, rs, { metrics: ['throughputGbps'] });
    assert.deepEqual(a.excluded, { failed: 1 });
    assert.equal(a.points.reduce((n, p) => n + p.runIds.length, 0), 11);
    assert.throws(
      () => analyseExperiment(EXPERIMENT, runs(), { by: ['flushQueue.sise'] }),
      (e: unknown) => e instanceof ServiceError && e.fields?.[0]?.path === 'by' && /swept: viommu.backend, flushQueue.size/.test(e.message),
    );
    assert.throws(
      () => analyseExperiment(EXPERIMENT, runs(), { metrics: ['throughput'] }),
      (e: unknown) => e instanceof ServiceError && e.fields?.[0]?.path === 'metrics' && /available: throughputGbps, vmExitsPerSec/.test(e.message),
    );
  });
});
