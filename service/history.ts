// Analysis of one benchmark's history: where the level moved (change points),
// whether each move is a regression or an improvement, shifts the user
// already knows about (markers), and the latest point against its baseline.
// Points follow the benchmark's axis (time, the order they were added, the
// kernel version or any context key such as a commit), so a history of runs
// made in one sitting reads in the order that means something.
// Pure input -> output of plain data, so it can run in a worker thread.
import { detectChangePoints } from '../core/analysis/index.ts';
import type { ChangePointOptions } from '../core/analysis/index.ts';
import { compareVersions, parseKernelVersion } from '../core/policy/version.ts';
import { REGRESSION_FLAG_PCT } from './protocol/constants.ts';
import type { KernelVersion } from '../core/policy/types.ts';

/** The axes a history can be ordered by; `context:KEY` orders by any context key (natural order: c2 < c10). */
export const HISTORY_ORDERS = ['time', 'run-order', 'kernel', 'context:KEY'] as const;
export const HISTORY_ORDER_PATTERN = /^(time|run-order|kernel|context:[A-Za-z][\w.-]{0,63})$/;

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
  /** What the point was measured on (kernel, commit, qemu, ...): the non-time axes read it. */
  context?: Readonly<Record<string, unknown>>;
}

export interface HistoryMarkerInput {
  id?: string;
  /** Where the marker sits when it has no point or kernel anchor (or its point is gone). */
  at: string;
  label: string;
  /** Between points: just before or just after this point, whatever the axis. */
  pointId?: string | null;
  side?: 'before' | 'after' | null;
  /** Before the first point (in axis order) whose context kernel is at least this version. */
  kernel?: string | null;
}

export interface HistoryInput {
  benchmark: { name: string; metric: string; higherIsBetter: boolean };
  /** The axis (HISTORY_ORDERS); time when omitted. Points are given in the order they were added. */
  orderBy?: string;
  points: readonly HistoryPointInput[];
  markers?: readonly HistoryMarkerInput[];
  /** Change-point settings (core/analysis detectChangePoints); resets come from the markers. */
  options?: Omit<ChangePointOptions, 'resets'>;
}

export interface HistoryPoint {
  index: number;
  id: string | null;
  /** The point's place on the axis as text (its time, its rank, its kernel or context value); null when it lacks the key. */
  key: string | null;
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
  /** How the marker was placed: `before POINT`, `after POINT`, `kernel 6.3` or `at TIME`. */
  placement: string;
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
  orderBy: string;
  /** Points that lack the axis key: placed after the others, in time order. */
  unordered: number;
  points: HistoryPoint[];
  segments: HistorySegment[];
  changes: HistoryChange[];
  knownShifts: KnownShift[];
  latest: LatestVsBaseline | null;
  /** The regressions nobody has acknowledged yet (unacknowledgedRegressions): what the benchmark list flags and `history --fail-on-regression` fails on. */
  unacknowledged: HistoryChange[];
}

/**
 * Regressions nobody has acknowledged: detected changes for the worse by at least REGRESSION_FLAG_PCT
 * after the last marker (a marker resets the baseline, so an acknowledgement is a marker placed
 * before the regression's first point). Oldest first.
 */
export function unacknowledgedRegressions(analysis: Pick<HistoryAnalysis, 'changes' | 'knownShifts'>): HistoryChange[] {
  const lastMarker = analysis.knownShifts.reduce((max, k) => (k.index !== null && k.index > max ? k.index : max), -1);
  return analysis.changes
    .filter((c) => c.kind === 'regression' && c.index > lastMarker && (c.changePct === null || Math.abs(c.changePct) >= REGRESSION_FLAG_PCT))
    .sort((x, y) => x.index - y.index);
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

/** Compares text with its digit runs as numbers: "c2" < "c10", "6.9" < "6.10". */
export function naturalCompare(a: string, b: string): number {
  const chunks = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    const numeric = /^\d/.test(p) && /^\d/.test(q);
    const d = numeric ? Number(p) - Number(q) || p.length - q.length : p < q ? -1 : p > q ? 1 : 0;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function kernelOf(text: string): KernelVersion | null {
  try {
    return parseKernelVersion(text);
  } catch {
    return null;
  }
}

/** Kernel versions compare as versions ("-rcN" just before its release); other text naturally. */
function compareKernels(a: string, b: string): number {
  const x = kernelOf(a);
  const y = kernelOf(b);
  if (!x || !y) return naturalCompare(a, b);
  const rc = (s: string): number => (/-rc\d+$/.test(s.trim()) ? 0 : 1);
  return compareVersions(x, y) || rc(a) - rc(b) || naturalCompare(a, b);
}

function contextText(context: Readonly<Record<string, unknown>> | undefined, key: string): string | null {
  const v = context?.[key];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * Analyses a benchmark history. Points are sorted along the axis (`orderBy`;
 * ties and points lacking the key by time, then input order). Each marker
 * resets the baseline: the stretches between markers are analysed
 * independently, and a marker is reported as a known shift with the means
 * before and after it, never as a regression. Deterministic.
 */
export function analyzeHistory(input: HistoryInput): HistoryAnalysis {
  const { benchmark } = input;
  const orderBy = input.orderBy ?? 'time';
  if (!HISTORY_ORDER_PATTERN.test(orderBy)) throw new HistoryInputError('orderBy', `must be one of ${HISTORY_ORDERS.join(', ')} (e.g. context:commit); got ${JSON.stringify(orderBy)}`);
  const contextKey = orderBy === 'kernel' ? 'kernel' : orderBy.startsWith('context:') ? orderBy.slice('context:'.length) : null;
  const compareKeys = orderBy === 'kernel' ? compareKernels : naturalCompare;

  const entries = input.points.map((p, i) => {
    if (typeof p.value !== 'number' || !Number.isFinite(p.value)) throw new HistoryInputError(`points[${i}].value`, `must be a finite number, got ${String(p.value)}`);
    const t = timeOf(p.measuredAt, `points[${i}].measuredAt`);
    const key = orderBy === 'time' ? p.measuredAt : orderBy === 'run-order' ? String(i + 1) : contextText(p.context, contextKey as string);
    return { p, i, t, key };
  });
  const sorted = entries.sort((x, y) => {
    if (orderBy === 'run-order') return x.i - y.i;
    if (orderBy !== 'time') {
      if (x.key === null || y.key === null) {
        if (x.key !== y.key) return x.key === null ? 1 : -1;
      } else {
        const d = compareKeys(x.key, y.key);
        if (d !== 0) return d;
      }
    }
    return x.t - y.t || x.i - y.i;
  });
  const points: HistoryPoint[] = sorted.map(({ p, key }, index) => ({
    index,
    id: p.id ?? null,
    key,
    measuredAt: p.measuredAt,
    value: p.value,
    source: p.source ?? null,
    runId: p.runId ?? null,
  }));
  const values = points.map((p) => p.value);
  const n = points.length;
  const unordered = sorted.filter((s) => s.key === null).length;
  const kernels = sorted.map((s) => contextText(s.p.context, 'kernel'));

  // A marker takes effect at the point after it: the anchored point (before) or the one after it (after),
  // the first point with a kernel at least its version, or the first point measured at or after its time.
  const placed = (input.markers ?? []).map((m, i) => {
    const t = timeOf(m.at, `markers[${i}].at`);
    const anchor = m.pointId ? points.findIndex((p) => p.id === m.pointId) : -1;
    if (anchor !== -1) return { m, i, index: m.side === 'after' ? anchor + 1 : anchor, placement: `${m.side === 'after' ? 'after' : 'before'} ${m.pointId?.slice(0, 8)}` };
    if (m.kernel) {
      if (!kernelOf(m.kernel)) throw new HistoryInputError(`markers[${i}].kernel`, `must be a kernel version such as 6.3; got ${JSON.stringify(m.kernel)}`);
      const at = kernels.findIndex((k) => k !== null && compareKernels(k, m.kernel as string) >= 0);
      return { m, i, index: at === -1 ? n : at, placement: `kernel ${m.kernel}` };
    }
    const at = sorted.findIndex((s) => s.t >= t);
    return { m, i, index: at === -1 ? n : at, placement: `at ${m.at}` };
  });
  const markers = placed.sort((x, y) => x.index - y.index || x.i - y.i);
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

  const knownShifts: KnownShift[] = markers.map(({ m, index, placement }) => {
    const before = segments.find((s) => s.to === index);
    const after = index < n ? segments.find((s) => s.from === index) : undefined;
    const meanBefore = before?.mean ?? null;
    const meanAfter = after?.mean ?? null;
    return {
      markerId: m.id ?? null,
      label: m.label,
      at: m.at,
      placement,
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

  return {
    benchmark: { name: benchmark.name, metric: benchmark.metric, higherIsBetter: benchmark.higherIsBetter },
    orderBy,
    unordered,
    points,
    segments,
    changes,
    knownShifts,
    latest,
    unacknowledged: unacknowledgedRegressions({ changes, knownShifts }),
  };
}
