// Shaping of a benchmark's analysis (benchmarks.analyze) for the history
// view: chart columns, change-point labels, and the points that open a
// change. Pure, so it is tested without a DOM.
import type { HistoryAnalysis, HistoryChange } from './types.ts';
import type { Aligned } from './charts.ts';

export { REGRESSION_FLAG_PCT } from '../../../service/protocol/constants.ts';

export type { HistoryAnalysis, HistoryChange };

/** A signed percentage with one decimal: "+12.3%", "-4.0%"; "n/a" when there is none. */
export function signedPct(pct: number | null | undefined): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return 'n/a';
  const rounded = Math.round(pct * 10) / 10;
  return `${rounded > 0 ? '+' : rounded < 0 ? '-' : '±'}${Math.abs(rounded).toFixed(1)}%`;
}

/** "regression -12.3%" or "improvement +8.0%": what the chart writes next to a change line. */
export function changeLabel(change: Pick<HistoryChange, 'kind' | 'changePct'>): string {
  return `${change.kind} ${signedPct(change.changePct)}`;
}

/** Whether the chart's x is time (epoch seconds) or the points' positions along another axis (commit, kernel, run order). */
export const onTimeAxis = (analysis: Pick<HistoryAnalysis, 'orderBy'>): boolean => analysis.orderBy === 'time';

/** Tick labels of the positions when the axis is not time: each point's key (its commit, kernel, rank). */
export function historyAxisLabels(analysis: Pick<HistoryAnalysis, 'points'>): string[] {
  return analysis.points.map((p) => p.key ?? '–');
}

/**
 * The analysed points as uPlot data: x in epoch seconds on the time axis, else
 * the point's position along the benchmark's axis (the analysis keeps them in
 * axis order); one column per source (null where a point is of another
 * source), and a last column with the mean of each point's segment, drawn as
 * steps so each level shows as a horizontal run.
 */
export function historyChartData(analysis: Pick<HistoryAnalysis, 'points' | 'segments' | 'orderBy'>, sources: readonly string[]): Aligned {
  const x = onTimeAxis(analysis) ? analysis.points.map((p) => Date.parse(p.measuredAt) / 1000) : analysis.points.map((p) => p.index);
  const cols = sources.map((s) => analysis.points.map((p) => (p.source === s ? p.value : null)));
  const means = analysis.points.map((p) => analysis.segments.find((seg) => p.index >= seg.from && p.index < seg.to)?.mean ?? null);
  return [x, ...cols, means];
}

export interface ChartMarker {
  x: number;
  label: string;
  /** CSS variable of the line and label color. */
  color: string;
  dashed: boolean;
}

/**
 * Vertical lines for the chart: detected changes solid, red for a regression
 * and green for an improvement; known shifts (user markers) dashed amber, so
 * the two never look alike. Off the time axis both sit between the point
 * before and the point they open.
 */
export function historyMarkers(analysis: Pick<HistoryAnalysis, 'changes' | 'knownShifts' | 'orderBy' | 'points'>): ChartMarker[] {
  const byTime = onTimeAxis(analysis);
  const between = (index: number | null): number => (index === null ? analysis.points.length - 0.5 : index - 0.5);
  const changes = analysis.changes.map((c) => ({
    x: byTime ? Date.parse(c.at) / 1000 : between(c.index),
    label: changeLabel(c),
    color: c.kind === 'regression' ? '--bad' : '--good',
    dashed: false,
  }));
  const shifts = analysis.knownShifts.map((s) => ({ x: byTime ? Date.parse(s.at) / 1000 : between(s.index), label: `marker: ${s.label}`, color: '--warn', dashed: true }));
  return [...changes, ...shifts].filter((m) => Number.isFinite(m.x));
}

/** The change that each point opens, by point id (points without an id are matched by index). */
export function changeByPoint(analysis: Pick<HistoryAnalysis, 'points' | 'changes'>): Map<string, HistoryChange> {
  const out = new Map<string, HistoryChange>();
  for (const c of analysis.changes) {
    const id = c.pointId ?? analysis.points[c.index]?.id ?? null;
    if (id) out.set(id, c);
  }
  return out;
}

/**
 * A benchmark's line in the list: its latest value, how many points, and its
 * latest detected change (a regression there is what a reader must see first).
 */
/** The marker that acknowledges a regression: before its first point, so the baseline restarts there. */
export function acknowledgement(change: Pick<HistoryChange, 'kind' | 'changePct' | 'pointId'>): { label: string; before: string } | null {
  if (change.pointId === null) return null;
  return { label: `acknowledged: ${changeLabel(change)}`, before: change.pointId };
}

/** How many of the latest points the benchmark list's trend line shows. */
export const TREND_POINTS = 40;

export function benchmarkSummary(analysis: Pick<HistoryAnalysis, 'points' | 'changes' | 'unacknowledged'>): {
  latest: number | null;
  points: number;
  lastChange: HistoryChange | null;
  regressions: HistoryChange[];
  /** The latest values along the benchmark's axis, oldest first. */
  trend: number[];
} {
  const last = analysis.points.at(-1);
  const lastChange = analysis.changes.reduce<HistoryChange | null>((best, c) => (best === null || c.index > best.index ? c : best), null);
  return {
    latest: last ? last.value : null,
    points: analysis.points.length,
    lastChange,
    regressions: analysis.unacknowledged,
    trend: analysis.points.slice(-TREND_POINTS).map((p) => p.value),
  };
}
