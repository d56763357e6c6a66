// fio --output-format=json -> a normalized measurement: per job and all jobs
// together. The schema lists only what is used; other fields pass through.
import { z } from 'zod';
import { ImportError } from './errors.ts';
import { parseToolJson } from './json-text.ts';
import { parseWith } from './schema-errors.ts';
import type { FioDirection, FioJob, FioMeasurement } from './types.ts';

const num = z.number();
// Values no run can report: an edited or corrupted file is refused, naming the field.
const count = z.number().min(0, 'must not be negative');

const directionSchema = z.object({
  io_bytes: count,
  bw: count,
  bw_bytes: count.optional(),
  iops: count,
  total_ios: count.optional(),
  clat_ns: z
    .object({
      mean: num.optional(),
      // Keys are "50.000000", "99.900000", ...; absent when the direction did no I/O or clat_percentiles=0.
      percentile: z.record(z.string(), num).optional(),
    })
    .optional(),
});

const optionsSchema = z.record(z.string(), z.unknown()).optional();

const fioSchema = z.object({
  'fio version': z.string(),
  timestamp: num,
  timestamp_ms: num.optional(),
  'global options': optionsSchema,
  jobs: z.array(
    z.object({
      jobname: z.string(),
      error: num,
      elapsed: num.optional(),
      job_runtime: num.optional(),
      'job options': optionsSchema,
      read: directionSchema,
      write: directionSchema,
    }),
  ),
});

const MIB = 1024 * 1024;

/** The percentile whose key is `p` ("99.900000"), in microseconds. */
function percentileUs(percentiles: Record<string, number> | undefined, p: number): number | null {
  if (!percentiles) return null;
  for (const [key, ns] of Object.entries(percentiles)) if (Math.abs(Number(key) - p) < 1e-9) return ns / 1000;
  return null;
}

function direction(d: z.output<typeof directionSchema>): FioDirection {
  const hasIo = d.io_bytes > 0;
  const pct = hasIo ? d.clat_ns?.percentile : undefined;
  return {
    iops: d.iops,
    // bw_bytes is exact; bw is KiB/s rounded down (older fio versions have only bw).
    bandwidthMiBps: d.bw_bytes !== undefined ? d.bw_bytes / MIB : d.bw / 1024,
    ioBytes: d.io_bytes,
    totalIos: d.total_ios ?? 0,
    clatUs: {
      mean: hasIo && d.clat_ns?.mean !== undefined ? d.clat_ns.mean / 1000 : null,
      p50: percentileUs(pct, 50),
      p99: percentileUs(pct, 99),
      p99_9: percentileUs(pct, 99.9),
    },
  };
}

const maxOf = (xs: (number | null)[]): number | null => xs.reduce<number | null>((m, x) => (x === null ? m : m === null ? x : Math.max(m, x)), null);

/** All jobs of one direction together (see FioMeasurement.total). */
function combine(dirs: FioDirection[]): FioDirection {
  const ios = dirs.reduce((s, d) => s + d.totalIos, 0);
  const withMean = dirs.filter((d) => d.clatUs.mean !== null && d.totalIos > 0);
  return {
    iops: dirs.reduce((s, d) => s + d.iops, 0),
    bandwidthMiBps: dirs.reduce((s, d) => s + d.bandwidthMiBps, 0),
    ioBytes: dirs.reduce((s, d) => s + d.ioBytes, 0),
    totalIos: ios,
    clatUs: {
      // The pooled mean is exact: weight each job's mean by its I/O count.
      mean: withMean.length === 0 ? null : withMean.reduce((s, d) => s + (d.clatUs.mean as number) * d.totalIos, 0) / withMean.reduce((s, d) => s + d.totalIos, 0),
      p50: maxOf(dirs.map((d) => d.clatUs.p50)),
      p99: maxOf(dirs.map((d) => d.clatUs.p99)),
      p99_9: maxOf(dirs.map((d) => d.clatUs.p99_9)),
    },
  };
}

const stringOptions = (o: Record<string, unknown> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, String(v)]));

function directionMetrics(prefix: 'read' | 'write', d: FioDirection, out: Record<string, number>): void {
  out[`${prefix}Iops`] = d.iops;
  out[`${prefix}BandwidthMiBps`] = d.bandwidthMiBps;
  if (d.clatUs.mean !== null) out[`${prefix}ClatMeanUs`] = d.clatUs.mean;
  if (d.clatUs.p50 !== null) out[`${prefix}ClatP50Us`] = d.clatUs.p50;
  if (d.clatUs.p99 !== null) out[`${prefix}ClatP99Us`] = d.clatUs.p99;
  if (d.clatUs.p99_9 !== null) out[`${prefix}ClatP99_9Us`] = d.clatUs.p99_9;
}

/** Parses the text of `fio --output-format=json`. Throws ImportError. */
export function parseFio(text: string): FioMeasurement {
  return fioFromJson(parseToolJson('fio', text));
}

/** The measurement in an already parsed fio JSON document. Throws ImportError. */
export function fioFromJson(json: Record<string, unknown>): FioMeasurement {
  const doc = parseWith('fio', 'fio --output-format=json', fioSchema, json);
  if (doc.jobs.length === 0) throw new ImportError('fio', 'jobs', 'fio output has no jobs (jobs is empty: did every job fail to start?)');
  doc.jobs.forEach((j, i) => {
    if (j.error !== 0) throw new ImportError('fio', `jobs[${i}].error`, `fio job ${JSON.stringify(j.jobname)} ended with error ${j.error}; its numbers are not a measurement`);
  });

  const jobs: FioJob[] = doc.jobs.map((j) => ({
    name: j.jobname,
    options: stringOptions(j['job options']),
    runtimeMs: j.job_runtime ?? (j.elapsed ?? 0) * 1000,
    read: direction(j.read),
    write: direction(j.write),
  }));
  const total = { read: combine(jobs.map((j) => j.read)), write: combine(jobs.map((j) => j.write)) };
  const metrics: Record<string, number> = {};
  directionMetrics('read', total.read, metrics);
  directionMetrics('write', total.write, metrics);

  // fio stamps its report when the jobs end; the longest job started that long before.
  const finishedMs = doc.timestamp_ms ?? doc.timestamp * 1000;
  if (!Number.isFinite(new Date(finishedMs).getTime())) throw new ImportError('fio', 'timestamp', `timestamp must be seconds since 1970, got ${doc.timestamp}`);
  const durationSec = Math.max(...jobs.map((j) => j.runtimeMs)) / 1000;
  const finishedAt = new Date(finishedMs).toISOString();
  return {
    tool: 'fio',
    version: doc['fio version'],
    measuredAt: finishedAt,
    startedAt: new Date(finishedMs - durationSec * 1000).toISOString(),
    finishedAt,
    durationSec,
    globalOptions: stringOptions(doc['global options']),
    jobs,
    total,
    metrics,
    series: {},
  };
}
