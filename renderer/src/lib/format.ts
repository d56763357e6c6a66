// Numbers, units and times as the UI shows them.

import { byMetricOrder, deltaTone, formatMetric, formatMetricDelta, formatMetricValue, formatNumber, METRICS, metricSpec } from '../../../service/protocol/index.ts';

// A metric's label, unit, direction and display all come from the protocol's metric catalog.
export { byMetricOrder, deltaTone, formatMetric, formatMetricValue, formatNumber };
export const formatDelta = formatMetricDelta;

export type Better = 'higher' | 'lower' | null;

export interface MetricInfo {
  label: string;
  unit: string;
  /** Values are shares 0..1 shown as percent. */
  percent?: boolean;
  better: Better;
}

/** Catalog metrics in the order a reader scans them: outcome, cost, CPU, safety window, DMA detail. */
export const METRIC_ORDER = METRICS.map((m) => m.name);

/** What the UI shows of a metric (the catalog's entry); per-reason breakdowns (`vmExitsPerSec.iotlb`) inherit their family's unit and direction. */
export function metricInfo(name: string): MetricInfo {
  const m = metricSpec(name);
  return { label: m.label, unit: m.unit, ...(m.share ? { percent: true } : {}), better: m.direction === 'neither' ? null : m.direction };
}

export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  return `×${r >= 10 ? r.toFixed(1) : r.toFixed(3)}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Local date and time to the second, sortable at a glance: 2025-11-23 21:04:05. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** A scenario field value as text (strings unquoted, objects as JSON). */
export function formatValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
