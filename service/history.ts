// Analysis of one benchmark's history: where the level moved (change points),
// whether each move is a regression or an improvement, shifts the user
// already knows about (markers), and the latest point against its baseline.
// Pure input -> output of plain data, so it can run in a worker thread.
import { detectChangePoints } from '../core/analysis/index.ts';
import type { ChangePointOptions } from '../core/analysis/index.ts';

/**
 * Bad input, naming the field. Not a ServiceError on purpose: that module
 * loads the journal (and SQLite), which a worker running this should not.
 */
export class HistoryInputError extends Error {
  override readonly name = 'HistoryInputError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export interface HistoryPointInput {
  id?: string;
  measuredAt: string;
  value: number;
  source?: string;
  runId?: string | null;
}

export interface HistoryMarkerInput {
  id?: string;
  at: string;
  label: string;
}

export interface HistoryInput {
  benchmark: { name: string; metric: string; higherIsBetter: boolean };
  points: readonly HistoryPointInput[];
  markers?: readonly HistoryMarkerInput[];
  /** Change-point settings (core/analysis detectChangePoints); resets come from the markers. */
  options?: Omit<ChangePointOptions, 'resets'>;
}

export interface HistoryPoint {
  index: number;
  id: string | null;
  measuredAt: string;
  value: number;
  source: string | null;
  runId: string | null;
}

export interface HistorySegment {
  /** First point index. */
  from: number;
  /** One past the last point index. */
  to: number;
  fromAt: string;
  toAt: string;
  /** What opened the segment: the first point, a detected change or a marker. */
  startsWith: 'start' | 'change' | 'marker';
  n: number;
  mean: number;
  /** Sample standard deviation; null for one point. */
  sd: number | null;
}

export interface HistoryChange {
  /** First point of the new level. */
  index: number;
  at: string;
  pointId: string | null;
  meanBefore: number;
  meanAfter: number;
  /** (meanAfter / meanBefore − 1) · 100; null when meanBefore is 0. */
  changePct: number | null;
  pValue: number;
  kind: 'regression' | 'improvement';
}

export interface KnownShift {
  markerId: string | null;
  label: string;
  at: string;
  /** First point at or after the marker; null when no point follows it. */
  index: number | null;
  /** Means of the segments just before and after the marker; null where there is none. */
  meanBefore: number | null;
  meanAfter: number | null;
  changePct: number | null;
}

export interface LatestVsBaseline {
  index: number;
  at: string;
  value: number;
  /** Mean of the earlier points of the latest point's segment; null when it opens its segment. */
  baselineMean: number | null;
  baselineN: number;
  changePct: number | null;
  /** (value − baselineMean) / sd of the baseline; null with fewer than 2 baseline points or zero spread. */
  zScore: number | null;
  /** Whether the latest point moved the right way (sign only; zScore says whether it is beyond noise). */
  direction: 'better' | 'worse' | 'equal' | null;
}

export interface HistoryAnalysis {
  benchmark: { name: string; metric: string; higherIsBetter: boolean };
  points: HistoryPoint[];
  segments: HistorySegment[];
  changes: HistoryChange[];
  knownShifts: KnownShift[];
  latest: LatestVsBaseline | null;
}

function timeOf(at: string, path: string): number {
  const t = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  if (Number.isNaN(t)) throw new HistoryInputError(path, `must be an ISO-8601 timestamp, got ${JSON.stringify(at)}`);
  return t;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
function sd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}
const pct = (after: number, before: number): number | null => (before === 0 ? null : (after / before - 1) * 100);

/**
 * Analyses a benchmark history. Points are sorted by time (ties by input
 * order). Each marker resets the baseline: the stretches between markers are
 * analysed independently, and a marker is reported as a known shift with the
 * means before and after it, never as a regression. Deterministic.
 */
export function analyzeHistory(input: HistoryInput): HistoryAnalysis {
  const { benchmark } = input;
  const sorted = input.points
    .map((p, i) => {
      if (typeof p.value !== 'number' || !Number.isFinite(p.value)) throw new HistoryInputError(`points[${i}].value`, `must be a finite number, got ${String(p.value)}`);
      return { p, i, t: timeOf(p.measuredAt, `points[${i}].measuredAt`) };
    })
    .sort((x, y) => x.t - y.t || x.i - y.i);
  const points: HistoryPoint[] = sorted.map(({ p }, index) => ({
    index,
    id: p.id ?? null,
    measuredAt: p.measuredAt,
    value: p.value,
    source: p.source ?? null,
    runId: p.runId ?? null,
  }));
  const values = points.map((p) => p.value);
  const times = sorted.map((s) => s.t);
  const n = points.length;

  // A marker takes effect at the first point measured at or after it.
  const markers = (input.markers ?? [])
    .map((m, i) => ({ m, t: timeOf(m.at, `markers[${i}].at`), i }))
    .sort((x, y) => x.t - y.t || x.i - y.i)
    .map(({ m, t }) => {
      const at = times.findIndex((pt) => pt >= t);
      return { m, index: at === -1 ? n : at };
    });
  const resets = [...new Set(markers.map((m) => m.index).filter((i) => i > 0 && i < n))].sort((x, y) => x - y);

  let found;
  try {
    found = detectChangePoints(values, { ...input.options, resets });
  } catch (err) {
    throw new HistoryInputError('options', (err as Error).message);
  }
  const changes: HistoryChange[] = found.map((c) => ({
    index: c.index,
    at: points[c.index]?.measuredAt ?? '',
    pointId: points[c.index]?.id ?? null,
    meanBefore: c.meanBefore,
    meanAfter: c.meanAfter,
    changePct: Number.isFinite(c.changePct) ? c.changePct : null,
    pValue: c.pValue,
    kind: c.meanAfter > c.meanBefore === benchmark.higherIsBetter ? 'improvement' : 'regression',
  }));

  const changeSet = new Set(changes.map((c) => c.index));
  const bounds = [...new Set([0, ...resets, ...changeSet, n])].filter((b) => b <= n).sort((x, y) => x - y);
  const segments: HistorySegment[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k] as number;
    const to = bounds[k + 1] as number;
    if (to <= from) continue;
    const slice = values.slice(from, to);
    segments.push({
      from,
      to,
      fromAt: points[from]?.measuredAt ?? '',
      toAt: points[to - 1]?.measuredAt ?? '',
      startsWith: from === 0 ? 'start' : resets.includes(from) ? 'marker' : 'change',
      n: slice.length,
      mean: mean(slice),
      sd: sd(slice),
    });
  }

  const knownShifts: KnownShift[] = markers.map(({ m, index }) => {
    const before = segments.find((s) => s.to === index);
    const after = index < n ? segments.find((s) => s.from === index) : undefined;
    const meanBefore = before?.mean ?? null;
    const meanAfter = after?.mean ?? null;
    return {
      markerId: m.id ?? null,
      label: m.label,
      at: m.at,
      index: index < n ? index : null,
      meanBefore,
      meanAfter,
      changePct: meanBefore === null || meanAfter === null ? null : pct(meanAfter, meanBefore),
    };
  });

  let latest: LatestVsBaseline | null = null;
  const last = points.at(-1);
  const current = segments.at(-1);
  if (last && current) {
    const baseline = values.slice(current.from, last.index);
    const baselineMean = baseline.length > 0 ? mean(baseline) : null;
    const spread = sd(baseline);
    const diff = baselineMean === null ? null : last.value - baselineMean;
    latest = {
      index: last.index,
      at: last.measuredAt,
      value: last.value,
      baselineMean,
      baselineN: baseline.length,
      changePct: baselineMean === null ? null : pct(last.value, baselineMean),
      zScore: diff === null || spread === null || spread === 0 ? null : diff / spread,
      direction: diff === null ? null : diff === 0 ? 'equal' : diff > 0 === benchmark.higherIsBetter ? 'better' : 'worse',
    };
  }

  return { benchmark: { name: benchmark.name, metric: benchmark.metric, higherIsBetter: benchmark.higherIsBetter }, points, segments, changes, knownShifts, latest };
}
