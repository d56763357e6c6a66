// Numbers, units and times as the UI shows them.

export type Better = 'higher' | 'lower' | null;

export interface MetricInfo {
  label: string;
  unit: string;
  /** Values are shares 0..1 shown as percent. */
  percent?: boolean;
  better: Better;
}

const METRICS: Record<string, MetricInfo> = {
  throughputGbps: { label: 'Throughput', unit: 'Gbit/s', better: 'higher' },
  packetsPerSec: { label: 'Packets', unit: 'pkt/s', better: 'higher' },
  vmExitsPerSec: { label: 'VM exits', unit: '/s', better: 'lower' },
  kvmFaultsPerSec: { label: 'KVM faults', unit: '/s', better: 'lower' },
  invalidationsPerSec: { label: 'Invalidations', unit: '/s', better: 'lower' },
  flushesPerSec: { label: 'Flushes', unit: '/s', better: 'lower' },
  cpuUtilization: { label: 'vCPU utilization', unit: '%', percent: true, better: 'lower' },
  vmmLockUtilization: { label: 'VMM lock utilization', unit: '%', percent: true, better: 'lower' },
  staleWindowMeanUs: { label: 'Stale window mean', unit: 'µs', better: 'lower' },
  staleWindowP99Us: { label: 'Stale window p99', unit: 'µs', better: 'lower' },
  staleWindowMaxUs: { label: 'Stale window max', unit: 'µs', better: 'lower' },
  unmapsPerPacket: { label: 'Unmaps per packet', unit: '', better: null },
  iovaRcacheHitRatio: { label: 'IOVA rcache hit ratio', unit: '%', percent: true, better: null },
  flushQueueOccupancy: { label: 'Flush queue occupancy', unit: 'entries', better: null },
};

/** Known metrics in the order a reader scans them: outcome, cost, CPU, safety window, DMA detail. */
export const METRIC_ORDER = Object.keys(METRICS);

/** Sorts metric names: known ones in METRIC_ORDER, the rest alphabetically after them. */
export function byMetricOrder(a: string, b: string): number {
  const ia = METRIC_ORDER.indexOf(a);
  const ib = METRIC_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  return a.localeCompare(b);
}

/** What the UI knows of a metric; per-reason breakdowns (`vmExitsPerSec.iotlb`) inherit their family's unit and direction. */
export function metricInfo(name: string): MetricInfo {
  const known = METRICS[name];
  if (known) return known;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const family = METRICS[name.slice(0, dot)];
    if (family) return { ...family, label: `${family.label}: ${name.slice(dot + 1)}` };
  }
  return { label: name, unit: '', better: null };
}

/** Significant digits that read well in a dense table: 3 to 4, never scientific notation. */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs === 0) return '0';
  if (abs >= 1e9) return `${trim(v / 1e9, digits)}G`;
  if (abs >= 1e6) return `${trim(v / 1e6, digits)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3, digits)}k`;
  if (abs >= 100) return Math.round(v).toString();
  return trim(v, digits);
}

function trim(v: number, digits: number): string {
  const abs = Math.abs(v);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? Math.max(0, digits - 2) : abs >= 1 ? digits - 1 : Math.min(6, digits - 1 - Math.floor(Math.log10(abs)));
  return Number(v.toFixed(decimals)).toString();
}

/** A metric value with its unit, e.g. "9.41 Gbit/s", "37.5 %". */
export function formatMetric(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const info = metricInfo(name);
  if (info.percent) return `${formatNumber(v * 100)} %`;
  return info.unit ? `${formatNumber(v)} ${info.unit}` : formatNumber(v);
}

/** The value alone (the unit is in the column header). */
export function formatMetricValue(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return metricInfo(name).percent ? formatNumber(v * 100) : formatNumber(v);
}

/** A signed difference: "+1.2", "−0.35" (percent metrics in points). */
export function formatDelta(name: string, d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '–';
  const scaled = metricInfo(name).percent ? d * 100 : d;
  if (scaled === 0) return '±0';
  return `${scaled > 0 ? '+' : '−'}${formatNumber(Math.abs(scaled))}`;
}

export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  return `×${r >= 10 ? r.toFixed(1) : r.toFixed(3)}`;
}

/** Whether a change is good, bad or neither for this metric. */
export function deltaTone(name: string, d: number | null | undefined): 'good' | 'bad' | 'neutral' {
  const better = metricInfo(name).better;
  if (d === null || d === undefined || !Number.isFinite(d) || d === 0 || better === null) return 'neutral';
  return (d > 0) === (better === 'higher') ? 'good' : 'bad';
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
