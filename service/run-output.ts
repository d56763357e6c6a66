// What a finished simulation leaves in the journal: the result without its
// series, the scalar metrics, and the series downsampled for charts.
import { lttb } from '../core/analysis/index.ts';
import { scalarMetrics, type SimulationResult } from '../core/index.ts';
import type { Series } from '../db/index.ts';
import type { JournaledSimulationResult } from './protocol/simulation.ts';

/** Enough points for a chart at full width; LTTB keeps the peaks a user looks for. */
export const MAX_SERIES_POINTS = 1000;

export interface RunOutput {
  result: JournaledSimulationResult;
  metrics: Record<string, number>;
  series: Record<string, Series>;
}

export function toRunOutput(r: SimulationResult): RunOutput {
  const { tMs, intervalMs, ...rest } = r.series;
  const series: Record<string, Series> = {};
  for (const [name, values] of Object.entries(rest)) {
    const d = lttb(tMs, values, Math.min(MAX_SERIES_POINTS, Math.max(2, tMs.length)));
    series[name] = { t: d.x, v: d.y };
  }
  return { result: { ...r, series: { intervalMs } }, metrics: scalarMetrics(r), series };
}
