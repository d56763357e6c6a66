// An NVMe run's figures as the run detail shows them: IOPS, bandwidth and
// completion latency per direction, from the run's metrics (the fio importer's
// names, so a measured fio run and a simulated one read alike), and for a
// simulated run the drives, interrupts and the completion latency histogram
// from its stored result. Pure functions, tested under Node.

export interface StorageDirection {
  dir: 'read' | 'write';
  iops: number;
  bandwidthMiBps: number | null;
  /** Completion latency in µs; null where the run reported none (no I/O that way). */
  clat: { mean: number | null; p50: number | null; p99: number | null; p99_9: number | null };
}

export interface StorageView {
  directions: StorageDirection[];
  /** Simulated runs only (from the result): null for an imported fio run. */
  device: { drives: number; jobs: number; driveCeilingIops: number; driveUtilization: number; interruptsPerSec: number; completionsPerInterrupt: number } | null;
  /** Completion latency histogram of all I/Os (simulated runs): upper bucket edges in µs and counts. */
  histogram: { upperUs: number[]; count: number[] } | null;
}

const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Whether a run is a storage run: it reports fio's IOPS (an imported fio run, or a simulated NVMe one). */
export function isStorageRun(metrics: Record<string, number>): boolean {
  return num(metrics.readIops) !== null || num(metrics.writeIops) !== null;
}

/**
 * Metrics the storage panel shows, and the NIC outcome metrics a simulated
 * NVMe run also carries (throughput and "packets" are its bytes and I/Os in
 * NIC terms): neither belongs among the headline cards of a storage run.
 */
export function coveredByStorage(name: string): boolean {
  return /^(read|write)(Iops|BandwidthMiBps|Clat\w+Us)$/.test(name) || ['throughputGbps', 'packetsPerSec', 'maxGoodputGbps', 'unmapsPerPacket'].includes(name);
}

/** The storage view of a run, or null when it is not a storage run. */
export function storageOf(metrics: Record<string, number>, result: Record<string, unknown> | null): StorageView | null {
  if (!isStorageRun(metrics)) return null;
  const directions = (['read', 'write'] as const).flatMap((dir): StorageDirection[] => {
    const iops = num(metrics[`${dir}Iops`]);
    // A direction without I/O (a pure read or write job) is left out.
    if (iops === null || iops === 0) return [];
    const m = (k: string) => num(metrics[`${dir}${k}`]);
    return [{ dir, iops, bandwidthMiBps: m('BandwidthMiBps'), clat: { mean: m('ClatMeanUs'), p50: m('ClatP50Us'), p99: m('ClatP99Us'), p99_9: m('ClatP99_9Us') } }];
  });
  const st = obj(result?.storage);
  const fields = ['drives', 'jobs', 'driveCeilingIops', 'driveUtilization', 'interruptsPerSec', 'completionsPerInterrupt'] as const;
  const values = fields.map((f) => num(st?.[f]));
  const device = values.every((v) => v !== null) ? (Object.fromEntries(fields.map((f, i) => [f, values[i]!])) as NonNullable<StorageView['device']>) : null;
  const h = obj(st?.clatHistogram);
  const upperUs = Array.isArray(h?.upperUs) ? h.upperUs.map(num) : [];
  const count = Array.isArray(h?.count) ? h.count.map(num) : [];
  const histogram =
    upperUs.length > 0 && upperUs.length === count.length && upperUs.every((v) => v !== null) && count.every((v) => v !== null)
      ? { upperUs: upperUs as number[], count: count as number[] }
      : null;
  return { directions, device, histogram };
}

export interface HistogramBar {
  /** Bucket bounds in µs (the first bucket's lower bound is the previous edge, 0 for the first). */
  fromUs: number;
  toUs: number;
  count: number;
  /** Share of all I/Os, 0..1. */
  share: number;
  /** Height relative to the tallest bucket, 0..1. */
  height: number;
}

/** The histogram's bars, each with its share of the I/Os and its height against the tallest. */
export function histogramBars(h: { upperUs: number[]; count: number[] }): HistogramBar[] {
  const total = h.count.reduce((a, b) => a + b, 0);
  const tallest = Math.max(0, ...h.count);
  return h.count.map((count, i) => ({
    // Quarter-octave buckets: a bucket's lower edge is its upper edge over 2^(1/4).
    fromUs: i > 0 ? h.upperUs[i - 1]! : h.upperUs[0]! / 2 ** 0.25,
    toUs: h.upperUs[i]!,
    count,
    share: total ? count / total : 0,
    height: tallest ? count / tallest : 0,
  }));
}

/** A latency in µs as people write it: µs below a millisecond, ms above. */
export function formatUs(v: number | null): string {
  if (v === null) return '–';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} µs`;
}

/** IOPS as fio prints them: 2.80M, 258k. */
export function formatIops(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
}
