// A sweep's grid points as a metric-vs-parameter chart: x is one swept field,
// one line per value of a second field (or per combination of the others),
// the remaining fields held at chosen values.
import type { Aligned } from './charts.ts';
import type { ExperimentAnalysis, FieldValue } from './types.ts';

export const ALL_OTHERS = '';

export const valueText = (v: FieldValue | undefined): string => (v === null || v === undefined ? '–' : String(v));
/** A column's short name: the path's last part (`flushQueue.size` -> size); the kernel's own decision says so. */
export const shortPath = (path: string): string => (path === 'effective.policy' ? 'effective policy' : (path.split('.').at(-1) ?? path));

/** The values a field takes over the grid points, in the order the points list them. */
export function fieldValues(a: ExperimentAnalysis, path: string): FieldValue[] {
  const out: FieldValue[] = [];
  for (const p of a.points) {
    const v = p.values[path] ?? null;
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

export interface ChartSpec {
  metric: string;
  x: string;
  /** A field (one line per value) or ALL_OTHERS (one line per combination of the other fields). */
  lineBy: string;
  /** Values the remaining fields are held at (when lineBy is one field). */
  fixed: Record<string, FieldValue>;
}

export interface ExperimentChart {
  /** 'value' when every x is a number (the axis is to scale), else 'index' with labels. */
  axis: 'value' | 'index';
  labels: string[];
  lines: string[];
  data: Aligned;
}

/** The chart's data: x sorted (numbers ascending), one column per line, null where a line has no point. */
export function experimentChart(a: ExperimentAnalysis, spec: ChartSpec): ExperimentChart {
  const xs = fieldValues(a, spec.x);
  const numeric = xs.every((v) => typeof v === 'number');
  const order = numeric ? [...xs].sort((p, q) => (p as number) - (q as number)) : xs;
  const others = a.by.filter((p) => p !== spec.x && p !== spec.lineBy);
  const lineKey = (values: Record<string, FieldValue>): string =>
    spec.lineBy === ALL_OTHERS
      ? a.by
          .filter((p) => p !== spec.x)
          .map((p) => `${shortPath(p)}=${valueText(values[p])}`)
          .join(' ') || 'all runs'
      : `${shortPath(spec.lineBy)}=${valueText(values[spec.lineBy])}`;
  const lines: string[] = [];
  const cells = new Map<string, number>();
  for (const p of a.points) {
    if (spec.lineBy !== ALL_OTHERS && others.some((o) => o in spec.fixed && p.values[o] !== spec.fixed[o])) continue;
    const s = p.metrics[spec.metric];
    if (!s) continue;
    const key = lineKey(p.values);
    if (!lines.includes(key)) lines.push(key);
    cells.set(`${key}\u0000${order.indexOf(p.values[spec.x] ?? null)}`, s.mean);
  }
  const x = numeric ? (order as number[]) : order.map((_, i) => i);
  const cols = lines.map((l) => order.map((_, i) => cells.get(`${l}\u0000${i}`) ?? null));
  return { axis: numeric ? 'value' : 'index', labels: order.map(valueText), lines, data: [x, ...cols] };
}
