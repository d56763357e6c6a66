import { describe, expect, it } from 'vitest';
import { seriesTimeUnit } from '../../../service/protocol/constants.ts';
import { alignSeries, benchmarkData, bucketAverage, seriesNames, seriesOnOneClock, type Aligned } from './charts.ts';

describe('alignSeries', () => {
  it('puts runs with different t arrays on the sorted union, null where a run has no sample', () => {
    const a = { t: [0, 10, 20], v: [1, 2, 3] };
    const b = { t: [5, 10, 30], v: [7, 8, 9] };
    const [x, ya, yb] = alignSeries([a, b]);
    expect(x).toEqual([0, 5, 10, 20, 30]);
    expect(ya).toEqual([1, null, 2, 3, null]);
    expect(yb).toEqual([null, 7, 8, null, 9]);
  });

  it('keeps every sample of every run (nothing dropped, nothing invented)', () => {
    const runs = [
      { t: [3, 1, 2], v: [30, 10, 20] },
      { t: [2.5, 4], v: [25, 40] },
    ];
    const [x, ...cols] = alignSeries(runs);
    runs.forEach((r, k) => {
      const col = cols[k] ?? [];
      expect(col.filter((v) => v !== null)).toHaveLength(r.t.length);
      r.t.forEach((t, i) => expect(col[x.indexOf(t)]).toBe(r.v[i]));
    });
  });

  it('turns non-finite samples into gaps and gives a missing series an all-null column', () => {
    const [x, ya, yb] = alignSeries([{ t: [0, 1, 2], v: [1, Number.NaN, Number.POSITIVE_INFINITY] }, undefined]);
    expect(x).toEqual([0, 1, 2]);
    expect(ya).toEqual([1, null, null]);
    expect(yb).toEqual([null, null, null]);
  });

  it('ignores trailing t values without a v (mismatched lengths)', () => {
    const [x, y] = alignSeries([{ t: [0, 1, 2], v: [5, 6] }]);
    expect(x).toEqual([0, 1, 2]);
    expect(y).toEqual([5, 6, null]);
  });
});

describe('bucketAverage', () => {
  it('returns the data untouched when it fits', () => {
    const data: Aligned = [[0, 1, 2], [1, 2, 3]];
    expect(bucketAverage(data, 10)).toBe(data);
  });

  it('averages each column per bucket and keeps gaps where a column had no sample', () => {
    const x = Array.from({ length: 8 }, (_, i) => i); // 0..7 -> 4 buckets of width 1.75
    const a = x.map((t) => t * 10);
    const b = x.map((t) => (t < 4 ? null : 1));
    const [ox, oa, ob] = bucketAverage([x, a, b], 4);
    expect(ox).toHaveLength(4);
    expect(ob?.slice(0, 2)).toEqual([null, null]);
    expect(ob?.slice(2)).toEqual([1, 1]);
    // Bucket means of the x values match the bucket means of a = 10 x.
    ox.forEach((t, i) => expect(oa?.[i]).toBeCloseTo(t * 10));
    expect(ox[0]).toBeLessThan(ox[3] as number);
  });
});

describe('seriesNames', () => {
  it('lists preferred names first, then the rest sorted, once each', () => {
    const s = { t: [0], v: [0] };
    expect(seriesNames([{ zeta: s, throughputGbps: s }, { alpha: s, vmExitsPerSec: s }], ['throughputGbps', 'vmExitsPerSec', 'absent'])).toEqual([
      'throughputGbps',
      'vmExitsPerSec',
      'alpha',
      'zeta',
    ]);
  });
});

describe('benchmarkData', () => {
  it('sorts points by time and puts each in its source column', () => {
    const points = [
      { measuredAt: '2025-01-03T00:00:00Z', value: 3, source: 'iperf3' },
      { measuredAt: '2025-01-01T00:00:00Z', value: 1, source: 'simulated' },
      { measuredAt: '2025-01-02T00:00:00Z', value: 2, source: 'simulated' },
      { measuredAt: 'not a date', value: 9, source: 'simulated' },
    ];
    const [x, sim, iperf] = benchmarkData(points, ['simulated', 'iperf3']);
    expect(x).toEqual([Date.UTC(2025, 0, 1) / 1000, Date.UTC(2025, 0, 2) / 1000, Date.UTC(2025, 0, 3) / 1000]);
    expect(sim).toEqual([1, 2, null]);
    expect(iperf).toEqual([null, null, 3]);
  });
});

describe('seriesTimeUnit', () => {
  it('reads a measured run in seconds (iperf3 intervals) and a simulated one in simulated ms', () => {
    expect(seriesTimeUnit('measured')).toBe('s');
    expect(seriesTimeUnit('simulated')).toBe('ms');
  });
});

describe('seriesOnOneClock', () => {
  const sim = { kind: 'simulated', series: { throughputGbps: { t: [100, 200], v: [40, 41] } } };
  const iperf = { kind: 'measured', series: { throughputGbps: { t: [1, 2], v: [9, 9.5] } } };

  it('keeps milliseconds when every run is simulated', () => {
    expect(seriesOnOneClock([sim, sim])).toEqual({ unit: 'ms', series: [sim.series, sim.series] });
  });

  it('puts a simulation beside a measured run in seconds, without touching the values', () => {
    const { unit, series } = seriesOnOneClock([sim, iperf]);
    expect(unit).toBe('s');
    expect(series[0]?.throughputGbps).toEqual({ t: [0.1, 0.2], v: [40, 41] });
    expect(series[1]).toBe(iperf.series);
  });
});
