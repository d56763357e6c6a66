// Data shaping for uPlot, kept pure so it can be tested without a DOM.
// uPlot wants one shared x array and one y array per line, same length,
// with null where a line has no point.
import { seriesTimeUnit } from '../../../service/protocol/constants.ts';

export interface Series {
  t: number[];
  v: number[];
}

/** x then one y column per input; null marks "no sample here". */
export type Aligned = [number[], ...(number | null)[][]];

/**
 * Puts several runs' series on one x axis: the sorted union of their t
 * values. A run contributes its own samples only; at the other runs' t values
 * it has null (a gap the chart bridges with spanGaps, without inventing
 * values). Non-finite samples become null too. Runs downsampled to different
 * t arrays therefore keep every peak they had.
 */
export function alignSeries(runs: readonly (Series | undefined)[]): Aligned {
  const xs = new Set<number>();
  for (const s of runs) if (s) for (const t of s.t) if (Number.isFinite(t)) xs.add(t);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const columns = runs.map((s) => {
    const col: (number | null)[] = new Array<number | null>(x.length).fill(null);
    if (!s) return col;
    const n = Math.min(s.t.length, s.v.length);
    for (let i = 0; i < n; i++) {
      const at = index.get(s.t[i] as number);
      const v = s.v[i] as number;
      if (at !== undefined) col[at] = Number.isFinite(v) ? v : null;
    }
    return col;
  });
  return [x, ...columns];
}

/** Names of the series present in any of the runs, in a stable order (known ones first). */
export function seriesNames(runs: readonly (Record<string, Series> | undefined)[], preferred: readonly string[] = []): string[] {
  const all = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r ?? {})) all.add(k);
  return [...preferred.filter((p) => all.has(p)), ...[...all].filter((k) => !preferred.includes(k)).sort()];
}

/**
 * Keeps at most `maxPoints` x values by averaging each column over equal-width
 * buckets; a bucket where a column has no sample stays null. Used when the
 * union of many runs' t values gets larger than a chart can show.
 */
export function bucketAverage(data: Aligned, maxPoints: number): Aligned {
  const [x, ...cols] = data;
  if (x.length <= maxPoints || x.length < 2 || maxPoints < 2) return data;
  const lo = x[0] as number;
  const hi = x[x.length - 1] as number;
  const width = (hi - lo) / maxPoints;
  const bucketOf = (t: number): number => Math.min(maxPoints - 1, Math.floor((t - lo) / width));
  const sumX = new Array<number>(maxPoints).fill(0);
  const countX = new Array<number>(maxPoints).fill(0);
  x.forEach((t) => {
    const b = bucketOf(t);
    sumX[b]! += t;
    countX[b]!++;
  });
  const used = countX.map((c, b) => (c > 0 ? b : -1)).filter((b) => b >= 0);
  const outX = used.map((b) => (sumX[b] as number) / (countX[b] as number));
  const outCols = cols.map((col) => {
    const sum = new Array<number>(maxPoints).fill(0);
    const count = new Array<number>(maxPoints).fill(0);
    col.forEach((v, i) => {
      if (v === null) return;
      const b = bucketOf(x[i] as number);
      sum[b]! += v;
      count[b]!++;
    });
    return used.map((b) => ((count[b] as number) > 0 ? (sum[b] as number) / (count[b] as number) : null));
  });
  return [outX, ...outCols];
}

export interface BenchmarkPointLike {
  measuredAt: string;
  value: number;
  source: string;
}

/**
 * A benchmark's points as uPlot data: x in epoch seconds (sorted), one column
 * per source so each source gets its own marker and color; a point is in its
 * source's column and null in the others.
 */
export function benchmarkData(points: readonly BenchmarkPointLike[], sources: readonly string[]): Aligned {
  const valid = points
    .map((p) => ({ x: Date.parse(p.measuredAt) / 1000, value: p.value, source: p.source }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.value))
    .sort((a, b) => a.x - b.x);
  const x = valid.map((p) => p.x);
  const cols = sources.map((s) => valid.map((p) => (p.source === s ? p.value : null)));
  return [x, ...cols];
}


/**
 * Several runs' series on one time axis: in their own unit when they share
 * one, else in seconds (a simulated run's milliseconds divided by 1000), so a
 * measured iperf3 run and a simulation overlay on the same clock.
 */
export function seriesOnOneClock(runs: readonly { kind: string; series: Record<string, Series> }[]): { unit: 'ms' | 's'; series: Record<string, Series>[] } {
  const units = new Set(runs.map((r) => seriesTimeUnit(r.kind)));
  const unit = units.size === 1 ? ([...units][0] as 'ms' | 's') : 's';
  const series = runs.map((r) => {
    if (seriesTimeUnit(r.kind) === unit) return r.series;
    const scaled: Record<string, Series> = {};
    for (const [name, s] of Object.entries(r.series)) scaled[name] = { t: s.t.map((t) => t / 1000), v: s.v };
    return scaled;
  });
  return { unit, series };
}
