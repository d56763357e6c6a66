// Shaping of a benchmark's analysis (benchmarks.analyze) for the history
// view: chart columns, change-point labels, and the points that open a
// change. Pure, so it is tested without a DOM.
import type { HistoryAnalysis, HistoryChange } from './types.ts';
import type { Aligned } from './charts.ts';

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

/**
 * The analysed points as uPlot data: x in epoch seconds (the analysis keeps
 * them sorted by time), one column per source (null where a point is of
 * another source), and a last column with the mean of each point's segment,
 * drawn as steps so each level shows as a horizontal run.
 */
export function historyChartData(analysis: Pick<HistoryAnalysis, 'points' | 'segments'>, sources: readonly string[]): Aligned {
  const x = analysis.points.map((p) => Date.parse(p.measuredAt) / 1000);
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
 * the two never look alike.
 */
export function historyMarkers(analysis: Pick<HistoryAnalysis, 'changes' | 'knownShifts'>): ChartMarker[] {
  const changes = analysis.changes.map((c) => ({
    x: Date.parse(c.at) / 1000,
    label: changeLabel(c),
    color: c.kind === 'regression' ? '--bad' : '--good',
    dashed: false,
  }));
  const shifts = analysis.knownShifts.map((s) => ({ x: Date.parse(s.at) / 1000, label: `marker: ${s.label}`, color: '--warn', dashed: true }));
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
