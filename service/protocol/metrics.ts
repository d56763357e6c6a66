// The metric catalog: the one place a metric's label, unit, direction, run
// kinds and display format are written. The statistics (verdict direction),
// the exporters, the UI's cards and columns and the CLI's tables read it.
//
// Per-reason breakdowns (`vmExitsPerSec.iotlb`, `invalidationsPerSec.psi`)
// inherit their family's unit and direction.

/** Whether a larger value is an improvement, a regression, or neither (a property, not a goal). */
export type MetricDirection = 'higher' | 'lower' | 'neither';

/** Where a metric comes from: a simulated device, or an imported tool's output. */
export const METRIC_SOURCES = ['simulated-nic', 'simulated-nvme', 'iperf3', 'fio'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

export interface MetricSpec {
  name: string;
  /** Short human label, e.g. "Throughput". */
  label: string;
  /** Unit as shown after a value; '' for plain counts and ratios. */
  unit: string;
  direction: MetricDirection;
  /** Run kinds that report it. */
  sources: readonly MetricSource[];
  /** Stored as a share 0..1, shown in percent. */
  share?: boolean;
  /** A time series only (charts), never a scalar of a run. */
  seriesOnly?: boolean;
  /** A field of a run's result, not one of its journaled metrics (nothing to list, sort or filter by). */
  resultOnly?: boolean;
}

// Every simulation reports these, an NVMe run too (its I/Os count as packets: one map and unmap each).
const sim: readonly MetricSource[] = ['simulated-nic', 'simulated-nvme'];

function spec(name: string, label: string, unit: string, direction: MetricDirection, sources: readonly MetricSource[], extra: Partial<MetricSpec> = {}): MetricSpec {
  return { name, label, unit, direction, sources, ...extra };
}

// Measured by fio and simulated for an NVMe device under the same names, so one history holds both.
const fioSources: readonly MetricSource[] = ['fio', 'simulated-nvme'];

function fioMetrics(dir: 'read' | 'write'): MetricSpec[] {
  const D = dir === 'read' ? 'Read' : 'Write';
  return [
    spec(`${dir}Iops`, `${D} IOPS`, 'IOPS', 'higher', fioSources),
    spec(`${dir}BandwidthMiBps`, `${D} bandwidth`, 'MiB/s', 'higher', fioSources),
    spec(`${dir}ClatMeanUs`, `${D} completion latency mean`, 'µs', 'lower', fioSources),
    spec(`${dir}ClatP50Us`, `${D} completion latency p50`, 'µs', 'lower', fioSources),
    spec(`${dir}ClatP99Us`, `${D} completion latency p99`, 'µs', 'lower', fioSources),
    spec(`${dir}ClatP99_9Us`, `${D} completion latency p99.9`, 'µs', 'lower', fioSources),
  ];
}

/** In the order a reader scans them: outcome, cost, CPU, safety window, DMA detail; then measured tools. */
export const METRICS: readonly MetricSpec[] = [
  spec('throughputGbps', 'Throughput', 'Gbit/s', 'higher', sim),
  spec('packetsPerSec', 'Packets', 'pkt/s', 'higher', sim),
  // The line-rate ceiling the scenario allows (a result field, not a journaled scalar).
  spec('maxGoodputGbps', 'Line-rate goodput', 'Gbit/s', 'higher', sim, { resultOnly: true }),
  spec('vmExitsPerSec', 'VM exits', '/s', 'lower', sim),
  spec('invalidationsPerSec', 'Invalidations', '/s', 'lower', sim),
  spec('flushesPerSec', 'Flushes', '/s', 'lower', sim),
  // Faults the host takes on guest accesses (shadow page tables); reported by newer model versions.
  spec('kvmFaultsPerSec', 'KVM faults', '/s', 'lower', sim),
  spec('cpuUtilization', 'vCPU utilization', '%', 'lower', sim, { share: true }),
  spec('vmmLockUtilization', 'VMM lock utilization', '%', 'lower', sim, { share: true }),
  spec('staleWindowMeanUs', 'Stale window mean', 'µs', 'lower', sim),
  spec('staleWindowP99Us', 'Stale window p99', 'µs', 'lower', sim),
  spec('staleWindowMaxUs', 'Stale window max', 'µs', 'lower', sim),
  // Each unmap is IOMMU work (and, strict, an invalidation): a driver that recycles its buffers needs fewer.
  spec('unmapsPerPacket', 'Unmaps per packet', '', 'lower', sim),
  // A miss falls to the locked rbtree: more hits is cheaper.
  spec('iovaRcacheHitRatio', 'IOVA rcache hit ratio', '%', 'higher', sim, { share: true }),
  spec('flushQueueOccupancy', 'Flush queue occupancy (sum over the per-CPU rings)', 'entries', 'neither', sim, { seriesOnly: true }),
  spec('receivedGbps', 'Received', 'Gbit/s', 'higher', ['iperf3']),
  spec('sentGbps', 'Sent', 'Gbit/s', 'higher', ['iperf3']),
  spec('retransmits', 'TCP retransmits', '', 'lower', ['iperf3']),
  spec('hostCpuPercent', 'Sender CPU', '%', 'lower', ['iperf3']),
  spec('remoteCpuPercent', 'Receiver CPU', '%', 'lower', ['iperf3']),
  spec('jitterMs', 'UDP jitter', 'ms', 'lower', ['iperf3']),
  spec('lostPercent', 'UDP loss', '%', 'lower', ['iperf3']),
  ...fioMetrics('read'),
  ...fioMetrics('write'),
];

const BY_NAME: ReadonlyMap<string, MetricSpec> = new Map(METRICS.map((m) => [m.name, m]));

/** The metric columns of the journal table, a run's headline, and the default export columns' head. */
export const KEY_METRICS = ['throughputGbps', 'vmExitsPerSec', 'cpuUtilization', 'vmmLockUtilization'] as const;

/** What `runs.export` writes when no metrics are asked for. */
export const EXPORT_METRICS = ['throughputGbps', 'packetsPerSec', 'vmExitsPerSec', 'invalidationsPerSec', 'flushesPerSec', 'cpuUtilization', 'vmmLockUtilization', 'staleWindowP99Us'] as const;

/** A fio run's headline (simulated NVMe or imported): IOPS, bandwidth and completion latency, with the IOMMU's cost. */
export const STORAGE_HEADLINE_METRICS = ['readIops', 'writeIops', 'readBandwidthMiBps', 'writeBandwidthMiBps', 'readClatP99Us', 'writeClatP99Us', 'vmExitsPerSec', 'invalidationsPerSec', 'cpuUtilization'] as const;

/** The headline metrics of a set of runs' metrics: fio's when any run reports IOPS, else the NIC's export columns. */
export function headlineMetrics(runs: readonly Readonly<Record<string, number>>[]): readonly string[] {
  return runs.some((m) => 'readIops' in m) ? STORAGE_HEADLINE_METRICS : EXPORT_METRICS;
}

/** The catalog entry of a metric, a family's for a per-reason breakdown, or undefined when unknown. */
export function findMetric(name: string): MetricSpec | undefined {
  const known = BY_NAME.get(name);
  if (known) return known;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const family = BY_NAME.get(name.slice(0, dot));
    if (family) return { ...family, name, label: `${family.label}: ${name.slice(dot + 1)}` };
  }
  return undefined;
}

/** The catalog entry, or a neutral one (the name as label, no unit, no direction) for an unknown metric. */
export function metricSpec(name: string): MetricSpec {
  return findMetric(name) ?? { name, label: name, unit: '', direction: 'neither', sources: [] };
}

/** Whether a larger value is better: true, false, or undefined when the metric has no direction or is unknown. */
export function metricHigherIsBetter(name: string): boolean | undefined {
  const d = findMetric(name)?.direction;
  return d === 'higher' ? true : d === 'lower' ? false : undefined;
}

/** Sorts metric names: catalog ones in catalog order (breakdowns after their family), the rest alphabetically after them. */
export function byMetricOrder(a: string, b: string): number {
  const rank = (n: string): number => {
    const i = METRICS.findIndex((m) => m.name === n || n.startsWith(`${m.name}.`));
    return i < 0 ? Infinity : i;
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a.localeCompare(b);
}

// ---- formatting: every surface shows a metric the same way ----

const DASH = '–';

/** Significant digits that read well in a dense table: 3 to 4, k/M/G above 10^4, never scientific notation. */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
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

/** The value alone, scaled as shown (shares in percent); the unit goes in the column header. */
export function formatMetricValue(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return formatNumber(metricSpec(name).share ? v * 100 : v);
}

/** A value with its unit: "9.41 Gbit/s", "37.5 %". */
export function formatMetric(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const { unit } = metricSpec(name);
  const value = formatMetricValue(name, v);
  return unit ? `${value} ${unit}` : value;
}

/** A column header: "Throughput (Gbit/s)", or the label alone when the metric has no unit. */
export function metricHeader(name: string): string {
  const { label, unit } = metricSpec(name);
  return unit ? `${label} (${unit})` : label;
}

/** A signed difference: "+1.2", "−0.35" (share metrics in percentage points). */
export function formatMetricDelta(name: string, d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return DASH;
  const scaled = metricSpec(name).share ? d * 100 : d;
  if (scaled === 0) return '±0';
  return `${scaled > 0 ? '+' : '−'}${formatNumber(Math.abs(scaled))}`;
}

/** Whether a change is good, bad or neither for this metric. */
export function deltaTone(name: string, d: number | null | undefined): 'good' | 'bad' | 'neutral' {
  const higher = metricHigherIsBetter(name);
  if (d === null || d === undefined || !Number.isFinite(d) || d === 0 || higher === undefined) return 'neutral';
  return d > 0 === higher ? 'good' : 'bad';
}
