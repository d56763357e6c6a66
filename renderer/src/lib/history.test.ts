import { describe, expect, it } from 'vitest';
import { analyzeHistory, unacknowledgedRegressions, type HistoryAnalysis } from '../../../service/history.ts';
import { acknowledgement, benchmarkSummary, REGRESSION_FLAG_PCT, changeByPoint, changeLabel, historyAxisLabels, historyChartData, historyMarkers, signedPct } from './history.ts';

const at = (day: number): string => new Date(Date.UTC(2026, 0, day)).toISOString();

/** Three points at 10, then three at 15 (one of them measured), and a user marker in between. */
function analysis(): HistoryAnalysis {
  const values = [10, 10, 10, 15, 15, 15];
  const points = values.map((value, index) => ({ index, id: `p${index}`, key: at(index + 1), measuredAt: at(index + 1), value, source: index === 5 ? 'iperf3' : 'simulated', runId: null }));
  return {
    benchmark: { name: 'b', metric: 'throughputGbps', higherIsBetter: true },
    orderBy: 'time',
    unordered: 0,
    points,
    segments: [
      { from: 0, to: 3, fromAt: at(1), toAt: at(3), startsWith: 'start', n: 3, mean: 10, sd: 0 },
      { from: 3, to: 6, fromAt: at(4), toAt: at(6), startsWith: 'change', n: 3, mean: 15, sd: 0 },
    ],
    changes: [{ index: 3, at: at(4), pointId: 'p3', meanBefore: 10, meanAfter: 15, changePct: 50, pValue: 0.01, kind: 'improvement' }],
    knownShifts: [{ markerId: 'm1', label: 'new kernel', at: at(2), placement: `at ${at(2)}`, index: 1, meanBefore: null, meanAfter: null, changePct: null }],
    latest: null,
    unacknowledged: [],
  };
}

describe('signedPct and changeLabel', () => {
  it('signs and rounds to one decimal', () => {
    expect(signedPct(12.345)).toBe('+12.3%');
    expect(signedPct(-4)).toBe('-4.0%');
    expect(signedPct(0.01)).toBe('±0.0%');
    expect(signedPct(null)).toBe('n/a');
    expect(signedPct(Number.NaN)).toBe('n/a');
  });
  it('names the kind of change', () => {
    expect(changeLabel({ kind: 'regression', changePct: -7.26 })).toBe('regression -7.3%');
    expect(changeLabel({ kind: 'improvement', changePct: 50 })).toBe('improvement +50.0%');
  });
});

describe('historyChartData', () => {
  it('puts each point in its source column and its segment mean in the last column', () => {
    const [x, simulated, measured, means] = historyChartData(analysis(), ['simulated', 'iperf3']);
    expect(x).toHaveLength(6);
    expect(x[1]! - x[0]!).toBe(86_400);
    expect(simulated).toEqual([10, 10, 10, 15, 15, null]);
    expect(measured).toEqual([null, null, null, null, null, 15]);
    expect(means).toEqual([10, 10, 10, 15, 15, 15]);
  });
});

describe('historyMarkers', () => {
  it('draws changes solid in their verdict color and markers dashed', () => {
    const markers = historyMarkers(analysis());
    expect(markers).toEqual([
      { x: Date.parse(at(4)) / 1000, label: 'improvement +50.0%', color: '--good', dashed: false },
      { x: Date.parse(at(2)) / 1000, label: 'marker: new kernel', color: '--warn', dashed: true },
    ]);
  });
  it('colors a regression red', () => {
    const a = analysis();
    a.changes = [{ ...a.changes[0]!, kind: 'regression', changePct: -33.3 }];
    expect(historyMarkers(a)[0]).toMatchObject({ color: '--bad', label: 'regression -33.3%' });
  });
});

describe('changeByPoint', () => {
  it('flags the first point of each change, falling back to the index without a point id', () => {
    const a = analysis();
    expect([...changeByPoint(a).keys()]).toEqual(['p3']);
    a.changes = [{ ...a.changes[0]!, pointId: null, index: 4 }];
    expect([...changeByPoint(a).keys()]).toEqual(['p4']);
  });
});

describe('a history on another axis (commits)', () => {
  it('puts points at their positions, labelled by key, and lines between two points', () => {
    const a = analysis();
    a.orderBy = 'context:commit';
    a.points = a.points.map((p) => ({ ...p, key: `c${p.index + 1}` }));
    const data = historyChartData(a, ['simulated', 'iperf3']);
    expect(data[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(historyAxisLabels(a)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    // The change opens point 3: its line sits between points 2 and 3; the marker before point 1 at 0.5.
    expect(historyMarkers(a).map((m) => [m.x, m.dashed])).toEqual([
      [2.5, false],
      [0.5, true],
    ]);
  });
});

describe('benchmarkSummary', () => {
  const point = (index: number, value: number) => ({ index, id: `p${index}`, key: null, measuredAt: `2026-01-0${index + 1}T00:00:00Z`, value, source: 'simulated', runId: null });
  const change = (index: number, kind: 'regression' | 'improvement', changePct: number) => ({ index, at: '', pointId: null, meanBefore: 1, meanAfter: 1, changePct, pValue: 0.01, kind });

  it('gives the latest value and the latest change, a regression included', () => {
    const changes = [change(2, 'regression', -21.6), change(1, 'improvement', 2)];
    const s = benchmarkSummary({ points: [point(0, 50), point(1, 51), point(2, 40)], changes, unacknowledged: unacknowledgedRegressions({ changes, knownShifts: [] }) });
    expect(s).toMatchObject({ latest: 40, points: 3, lastChange: { index: 2, kind: 'regression' }, regressions: [{ index: 2 }], trend: [50, 51, 40] });
  });

  it('says nothing where there is nothing', () => {
    expect(benchmarkSummary({ points: [], changes: [], unacknowledged: [] })).toEqual({ latest: null, points: 0, lastChange: null, regressions: [], trend: [] });
  });
});

describe('unacknowledgedRegressions', () => {
  // A real analysis: 12 points near 50, a drop to 45 (-10%), then a small dip to 44.5 (-1%) and back.
  const base = [50, 50.2, 49.9, 50.1, 50, 49.8, 50.2, 50, 49.9, 50.1, 50, 50.1];
  const drop = [45, 45.1, 44.9, 45, 45.2, 44.8, 45, 45.1, 44.9, 45];
  const input = (values: number[], markers: { label: string; pointId: string; side: 'before' }[] = []) => ({
    benchmark: { name: 'rx', metric: 'throughputGbps', higherIsBetter: true },
    points: values.map((value, i) => ({ id: `p${i}`, measuredAt: new Date(Date.UTC(2026, 0, 1, i)).toISOString(), value, source: 'simulated', runId: null })),
    markers: markers.map((m, i) => ({ id: `m${i}`, at: new Date(Date.UTC(2026, 0, 1)).toISOString(), label: m.label, pointId: m.pointId, side: m.side, kernel: null })),
  });

  it('flags a regression worse than the threshold after the last marker, and forgets it once acknowledged', () => {
    const found = analyzeHistory(input([...base, ...drop])).unacknowledged;
    expect(found).toHaveLength(1);
    const [r] = found;
    expect(r).toMatchObject({ kind: 'regression', pointId: 'p12' });
    expect(r?.changePct).toBeLessThan(-REGRESSION_FLAG_PCT);
    // Acknowledging places a marker before the regression's first point: the baseline restarts there.
    const ack = acknowledgement(r!);
    expect(ack).toEqual({ label: `acknowledged: regression ${signedPct(r!.changePct)}`, before: 'p12' });
    const after = analyzeHistory(input([...base, ...drop], [{ label: ack!.label, pointId: ack!.before, side: 'before' }]));
    expect(after.changes).toEqual([]);
    expect(after.unacknowledged).toEqual([]);
  });

  it('ignores improvements and regressions smaller than the threshold', () => {
    expect(analyzeHistory(input([...drop, ...base])).unacknowledged).toEqual([]);
    const small = drop.map((v) => v + 4.6); // 49.6: under 1% below 50
    const a = analyzeHistory(input([...base, ...base, ...small, ...small]));
    expect(a.changes.every((c) => Math.abs(c.changePct ?? 100) < REGRESSION_FLAG_PCT)).toBe(true);
    expect(a.unacknowledged).toEqual([]);
  });
});
