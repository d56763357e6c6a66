// Run-set statistics: known answers worked out from the definitions of the
// tests (exact rank distributions, Benjamini-Hochberg), plus properties.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/analysis/index.ts';
import { compareRunSets, metricHigherIsBetter, summarizeRunSet } from '../../service/stats.ts';
import type { RunMetrics } from '../../service/stats.ts';
import { ServiceError } from '../../service/errors.ts';

const close = (actual: number, expected: number, tol = 1e-9) => assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not ${expected} ± ${tol}`);
const runs = (seeds: number[], metric: string, values: number[]): RunMetrics[] => seeds.map((seed, i) => ({ seed, metrics: { [metric]: values[i] as number } }));
const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n - 1, k - 1) * n) / k);

describe('summarizeRunSet', () => {
  test('1..5: mean 3, sd √2.5, CI = mean ± t(0.975, 4) · sd / √5', () => {
    const s = summarizeRunSet([5, 1, 4, 2, 3]);
    assert.equal(s.n, 5);
    assert.equal(s.mean, 3);
    assert.equal(s.median, 3);
    close(s.sd as number, Math.sqrt(2.5));
    const half = 2.7764451051977987 * (Math.sqrt(2.5) / Math.sqrt(5)); // t(0.975, 4) from tables
    close(s.ci95?.[0] as number, 3 - half, 1e-9);
    close(s.ci95?.[1] as number, 3 + half, 1e-9);
  });

  test('one run has no spread and no interval (null, not NaN)', () => {
    const s = summarizeRunSet([7]);
    assert.equal(s.sd, null);
    assert.equal(s.ci95, null);
    assert.equal(JSON.stringify(s).includes('NaN'), false);
  });

  test('bad input names the value', () => {
    assert.throws(() => summarizeRunSet([1, Number.NaN]), (e: unknown) => e instanceof ServiceError && e.code === 'invalid' && /values/.test(e.message));
  });
});

describe('metric directions', () => {
  test('throughput, rates of work and hit ratios up; exits, flushes, latency, utilization down', () => {
    for (const m of ['throughputGbps', 'packetsPerSec', 'receivedGbps', 'readIops', 'writeBandwidthMiBps', 'iovaRcacheHitRatio', 'maxGoodputGbps']) assert.equal(metricHigherIsBetter(m), true, m);
    for (const m of ['vmExitsPerSec', 'vmExitsPerSec.ept', 'invalidationsPerSec.iotlb', 'flushesPerSec', 'cpuUtilization', 'vmmLockUtilization', 'staleWindowP99Us', 'readClatP99Us', 'hostCpuPercent', 'retransmits', 'unmapsPerPacket']) {
      assert.equal(metricHigherIsBetter(m), false, m);
    }
    assert.equal(metricHigherIsBetter('someNewCounter'), undefined);
  });
});

describe('compareRunSets', () => {
  test('unpaired 4 vs 4: Welch t on log values decides, exact Mann-Whitney p = 2 / C(8, 4) is the second opinion', () => {
    const c = compareRunSets(runs([1, 2, 3, 4], 'throughputGbps', [10, 11, 12, 13]), runs([11, 12, 13, 14], 'throughputGbps', [20, 21, 22, 23]));
    assert.equal(c.paired, false);
    assert.equal(c.primary, 'throughputGbps');
    const m = c.metrics[0];
    assert.ok(m);
    assert.equal(m.family, 'primary');
    assert.equal(m.test?.name, 'welch-t');
    close(m.test?.pValue as number, 0.00030065941822863304, 1e-9); // scipy ttest_ind(log b, log a, equal_var=False)
    assert.equal(m.secondOpinion?.name, 'mann-whitney-u');
    assert.equal(m.secondOpinion?.method, 'exact');
    assert.equal(m.secondOpinion?.statistic, 0);
    close(m.secondOpinion?.pValue as number, 2 / binom(8, 4));
    assert.equal(m.qValue, m.test?.pValue); // the primary is tested alone
    close(m.changePct as number, (21.5 / 11.5 - 1) * 100);
    assert.equal(m.verdict, 'better');
  });

  test('paired by seed whatever the order; a higher latency is worse', () => {
    const base = [50, 52, 49, 51, 53, 48];
    const head = base.map((v, i) => v + 5 + i); // every pair rises, by distinct amounts
    const c = compareRunSets(runs([1, 2, 3, 4, 5, 6], 'readClatP99Us', base), runs([6, 5, 4, 3, 2, 1], 'readClatP99Us', [...head].reverse()));
    assert.equal(c.paired, true);
    const m = c.metrics[0];
    assert.ok(m);
    assert.equal(m.test?.name, 'paired-t');
    close(m.secondOpinion?.pValue as number, 2 / 2 ** 6);
    assert.equal(m.direction, 'lower-is-better');
    assert.equal(m.verdict, 'worse');
  });

  test('the default primary: throughput for simulated runs, else the first headline metric with a direction', () => {
    const seeds = [1, 2, 3];
    const set = (k: number) => seeds.map((seed) => ({ seed, metrics: { readIops: 1000 * k + seed, readClatP99Us: 50 + seed, widgets: seed } }));
    assert.equal(compareRunSets(set(1), set(2)).primary, 'readIops');
    assert.equal(compareRunSets(set(1), set(2), { primary: 'readClatP99Us' }).primary, 'readClatP99Us');
    assert.throws(
      () => compareRunSets(set(1), set(2), { primary: 'throughputGbps' }),
      (e: unknown) => e instanceof ServiceError && e.fields?.[0]?.path === 'primary' && /allowed: readClatP99Us, readIops, widgets/.test(e.message),
    );
  });

  test('the default primary of simulated fio runs is the IOPS of the direction they do, not the throughput they also report', () => {
    const fio = (k: number, read: boolean) => [1, 2, 3].map((seed) => ({ seed, metrics: { throughputGbps: k + seed / 10, readIops: read ? 1000 * k + seed : 0, writeIops: read ? 0 : 900 * k + seed } }));
    assert.equal(compareRunSets(fio(1, true), fio(2, true)).primary, 'readIops');
    assert.equal(compareRunSets(fio(1, false), fio(2, false)).primary, 'writeIops', 'randwrite: no run reads');
    const nic = (k: number) => [1, 2].map((seed) => ({ seed, metrics: { throughputGbps: k + seed, vmExitsPerSec: 1e5 } }));
    assert.equal(compareRunSets(nic(1), nic(2)).primary, 'throughputGbps');
  });

  test('a second, unchanged metric does not dilute the primary; secondaries share one family', () => {
    const seeds = [1, 2, 3, 4, 5, 6];
    const base = [50, 52, 49, 51, 53, 48];
    const a = seeds.map((seed, i) => ({ seed, metrics: { readIops: 1000 + i, readClatP99Us: base[i] as number, readBandwidthMiBps: 100 + i } }));
    const b = seeds.map((seed, i) => ({ seed, metrics: { readIops: 1000 + i, readClatP99Us: (base[i] as number) + 5 + i, readBandwidthMiBps: 100 + i + (i % 2 ? 0.01 : -0.01) } }));
    const c = compareRunSets(a, b, { primary: 'readClatP99Us' });
    const lat = c.metrics.find((m) => m.metric === 'readClatP99Us');
    assert.equal(lat?.qValue, lat?.test?.pValue);
    assert.equal(lat?.verdict, 'worse');
    assert.equal(c.metrics.find((m) => m.metric === 'readIops')?.verdict, 'no change', 'the same value per seed on both sides');
    assert.equal(c.metrics.find((m) => m.metric === 'readBandwidthMiBps')?.familySize, 2);
  });

  test('2 vs 2 runs of a clear change are significant with the t test; one run per side is inconclusive', () => {
    const two = compareRunSets(runs([1, 2], 'throughputGbps', [10, 10.5]), runs([3, 4], 'throughputGbps', [20, 20.5])).metrics[0];
    assert.equal(two?.verdict, 'better');
    const one = compareRunSets(runs([1], 'throughputGbps', [10]), runs([2], 'throughputGbps', [20])).metrics[0];
    assert.equal(one?.verdict, 'inconclusive');
    assert.match(one?.reason ?? '', /run more seeds/);
  });

  test('a metric of unknown direction gets "changed": the direction comes from the catalog only', () => {
    const a = runs([1, 2, 3, 4], 'widgets', [10, 11, 12, 13]);
    const b = runs([5, 6, 7, 8], 'widgets', [20, 21, 22, 23]);
    assert.equal(compareRunSets(a, b).metrics[0]?.verdict, 'changed');
    assert.equal(compareRunSets(a, b).metrics[0]?.direction, 'unknown');
  });

  test('property: identical run sets give "no change" for every metric', () => {
    const rng = createRng(42);
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + rng.nextInt(8);
      const set = Array.from({ length: n }, (_, i) => ({ seed: i, metrics: { throughputGbps: 10 + rng.next(), vmExitsPerSec: 1e5 * (1 + rng.next()), widgets: rng.next() } }));
      const c = compareRunSets(set, set.map((r) => ({ ...r })));
      for (const m of c.metrics) assert.equal(m.verdict, 'no change', `trial ${trial}, ${m.metric}: ${m.reason}`);
    }
  });

  test('deterministic: the bootstrap interval is the same on every call, and the result is plain JSON', () => {
    const rng = createRng(7);
    const a = Array.from({ length: 8 }, (_, i) => ({ seed: i, metrics: { throughputGbps: 10 + rng.next(), flat: 1 } }));
    const b = Array.from({ length: 8 }, (_, i) => ({ seed: 100 + i, metrics: { throughputGbps: 11 + rng.next(), flat: 1 } }));
    assert.deepEqual(compareRunSets(a, b), compareRunSets(a, b));
    const ratio = compareRunSets(a, b).metrics[0]?.ratio;
    assert.ok(ratio && ratio.lo <= ratio.estimate && ratio.estimate <= ratio.hi);
    assert.deepEqual(JSON.parse(JSON.stringify(compareRunSets(a, b))), compareRunSets(a, b));
  });

  test('no spread and different means: p = 0, t is null rather than Infinity', () => {
    const m = compareRunSets(runs([1, 2, 3], 'maxGoodputGbps', [48, 48, 48]), runs([1, 2, 3], 'maxGoodputGbps', [96, 96, 96])).metrics[0];
    assert.equal(m?.test?.t, null);
    assert.equal(m?.test?.pValue, 0);
    assert.equal(m?.verdict, 'better');
  });

  test('metrics some runs lack are listed, and asking for one names the runs without it', () => {
    const a: RunMetrics[] = [{ seed: 1, metrics: { x: 1, y: 2 } }, { seed: 2, metrics: { x: 1 } }];
    const b = [{ seed: 1, metrics: { x: 1, y: 2 } }, { seed: 2, metrics: { x: 1, y: 3 } }];
    assert.deepEqual(compareRunSets(a, b).incomplete, ['y']);
    assert.throws(
      () => compareRunSets(a, b, { metrics: ['y'] }),
      (e: unknown) => e instanceof ServiceError && e.fields?.[0]?.path === 'metrics' && /"y" is missing in a\[1\]/.test(e.message),
    );
    assert.throws(() => compareRunSets([], b), (e: unknown) => e instanceof ServiceError && e.fields?.[0]?.path === 'a');
  });
});
