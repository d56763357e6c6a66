// The result of one simulated run: what the CLI prints, the journal stores and
// the UI charts. The schema is the definition; the type is inferred from it,
// so the protocol can validate a result against the same description.
import { z } from 'zod';
import { EXIT_REASONS, INVALIDATION_KINDS } from '../backends/types.ts';
import { CPU_CATEGORIES, RESOURCE_NAMES } from './accounting.ts';
import type { PolicyDecision } from '../policy/index.ts';
import { BACKENDS, safeParseScenario, type Scenario } from './scenario.ts';
import { WARNING_CODES } from './warnings.ts';

export const BOTTLENECK_KINDS = ['line-rate', 'vcpu', 'vmm-lock', 'invalidation-queue'] as const;
export type BottleneckKind = (typeof BOTTLENECK_KINDS)[number];

const count = z.number().int().min(0);
const nonNegative = z.number().min(0);
const share = z.number().min(0).max(1);

/** A record with exactly these keys, each a number. */
function keyed<K extends string>(keys: readonly K[], value: z.ZodNumber) {
  return z.object(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, z.ZodNumber>).strict();
}

/** Summary of a latency histogram, in microseconds. */
export const latencySummarySchema = z
  .object({ count, mean: nonNegative, p50: nonNegative, p99: nonNegative, max: nonNegative })
  .strict();
export type LatencySummary = z.infer<typeof latencySummarySchema>;

/** One kind of lock or queue, over all its instances (units, rings), since the warm-up. */
export const lockStatsSchema = z
  .object({
    instances: count,
    /** Busy share of the busiest instance, 0..1. */
    utilization: share,
    acquisitionsPerSec: nonNegative,
    meanWaitUs: nonNegative,
    maxWaitUs: nonNegative,
    holdUs: latencySummarySchema,
  })
  .strict();
export type LockStats = z.infer<typeof lockStatsSchema>;

// A result carries its scenario fully resolved: it must parse as a scenario again.
const scenarioField = z.custom<Scenario>((v) => safeParseScenario(v).ok, 'expected a complete, valid scenario');

/** fio's completion latency of one direction, in microseconds (p99_9: fio's 99.90th percentile). */
export const clatSummarySchema = z
  .object({ count, mean: nonNegative, p50: nonNegative, p99: nonNegative, p99_9: nonNegative, max: nonNegative })
  .strict();
export type ClatSummary = z.infer<typeof clatSummarySchema>;

/** What an NVMe run under fio reports, in the fio importer's terms (service/importers/fio.ts). */
export const storageResultSchema = z
  .object({
    drives: count,
    jobs: count,
    iops: nonNegative,
    readIops: nonNegative,
    writeIops: nonNegative,
    readBandwidthMiBps: nonNegative,
    writeBandwidthMiBps: nonNegative,
    /** Most IOPS the drives allow for this block size and mix. */
    driveCeilingIops: nonNegative,
    /** Busy share of the busiest drive's throughput stage, 0..1. */
    driveUtilization: share,
    interruptsPerSec: nonNegative,
    completionsPerInterrupt: nonNegative,
    readClatUs: clatSummarySchema,
    writeClatUs: clatSummarySchema,
    /** Completion latency of all I/Os: upper bucket edges (us) and counts, for a histogram. */
    clatHistogram: z.object({ upperUs: z.array(nonNegative), count: z.array(count) }).strict(),
  })
  .strict();
export type StorageResult = z.infer<typeof storageResultSchema>;

const versionSchema = z.object({ major: count, minor: count, patch: count }).strict();
/** The kernel resolver's decision (core/policy/types.ts). */
const PAGE_TABLE = z.enum(['first-level', 'second-level', 'none']);
export const policyDecisionSchema = z.object({
  domainType: z.enum(['identity', 'dma', 'dma-fq']),
  strict: z.boolean(),
  generation: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  kernel: versionSchema,
  scalableMode: z.boolean(),
  pageTable: PAGE_TABLE,
  dmaPageTable: PAGE_TABLE,
  forcedStrict: z.boolean(),
  dmaRemapping: z.boolean(),
  reasons: z.array(z.object({ source: z.string(), text: z.string() }).strict()),
  log: z.array(z.string()),
  ignored: z.array(z.string()),
  warnings: z.array(z.string()),
}).strict();
// Does not compile once the schema and the resolver's type part ways.
const decisionSchemaMatches: [z.infer<typeof policyDecisionSchema>, PolicyDecision] extends [PolicyDecision, z.infer<typeof policyDecisionSchema>] ? true : never = true;
void decisionSchemaMatches;

export const simulationResultSchema = z
  .object({
    modelVersion: z.string().min(1),
    seed: count,
    scenario: scenarioField,
    measuredMs: nonNegative,
    throughputGbps: nonNegative,
    /** Full-size TCP segments per second (received for iperf-rx, sent for iperf-tx); I/Os per second for fio. */
    packetsPerSec: nonNegative,
    maxGoodputGbps: nonNegative,
    /** Exits to the VMM (QEMU, under its lock) per second; in-kernel faults are `kvmFaultsPerSec`. */
    vmExitsPerSec: nonNegative,
    vmExitsByReason: keyed(EXIT_REASONS, nonNegative),
    /** Write-protection faults handled in the host kernel per second (shadow-fl-wp). */
    kvmFaultsPerSec: nonNegative,
    /** Invalidation descriptors per second, by kind. */
    invalidationsPerSec: nonNegative,
    invalidationsByKind: keyed(INVALIDATION_KINDS, nonNegative),
    /** qi_submit_sync() calls per second: one tail write (one exit in a VM) each. */
    submissionsPerSec: nonNegative,
    flushesPerSec: nonNegative,
    flushesByTrigger: z.object({ full: nonNegative, timer: nonNegative }).strict(),
    dma: z.object({ mapsPerSec: nonNegative, unmapsPerSec: nonNegative, unmapsPerPacket: nonNegative, iovaRcacheHitRatio: share }).strict(),
    cpu: z
      .object({
        vcpus: count,
        activeVcpus: count,
        /** Busy share of all vCPUs, 0..1. */
        utilization: share,
        /** Busy share of the vCPUs that run a queue, 0..1. */
        activeUtilization: share,
        /** Share of all vCPU time per category (idle included), sums to 1. */
        breakdown: keyed([...CPU_CATEGORIES, 'idle'], nonNegative),
      })
      .strict(),
    /** QEMU's lock (BQL) in short: the figures `vmmLockUtilization` and the bottleneck read. */
    vmmLock: z.object({ utilization: share, meanWaitUs: nonNegative, maxWaitUs: nonNegative }).strict(),
    /** Every serialization point: BQL, invalidation-queue lock, IOMMU queue, flush-queue locks. */
    locks: z.object(Object.fromEntries(RESOURCE_NAMES.map((n) => [n, lockStatsSchema])) as Record<(typeof RESOURCE_NAMES)[number], typeof lockStatsSchema>).strict(),
    /** From PTE clear to the completion of the invalidation covering it, waits included (strict and lazy), in us. */
    staleWindowUs: z.object({ count, mean: nonNegative, p50: nonNegative, p99: nonNegative, max: nonNegative }).strict(),
    /** Per DMA operation, from call to return (map, unmap), and per invalidation submission from its request (lock waits included) to its completion. */
    latencyUs: z.object({ map: latencySummarySchema, unmap: latencySummarySchema, invalidation: latencySummarySchema }).strict(),
    /** Longest time from a lazy flush request to its completion (lock wait included), in us. */
    maxFlushLatencyUs: nonNegative,
    bottleneck: z.object({ kind: z.enum(BOTTLENECK_KINDS), explanation: z.string() }).strict(),
    warnings: z.array(z.object({ code: z.enum(WARNING_CODES), message: z.string().min(1) }).strict()),
    policy: z
      .object({
        resolved: policyDecisionSchema,
        effective: z.enum(['strict', 'lazy', 'passthrough']),
        /** 'auto' when the guest kernel's own rules decided, else the scenario forced it. */
        source: z.enum(['auto', 'scenario']),
      })
      .strict(),
    /** The cost path the guest's page table took on this host, and why. */
    vmmPath: z.object({ path: z.enum([...BACKENDS, 'identity']), pageTable: PAGE_TABLE, reason: z.string().min(1) }).strict(),
    series: z
      .object({
        intervalMs: nonNegative,
        tMs: z.array(nonNegative),
        throughputGbps: z.array(nonNegative),
        vmExitsPerSec: z.array(nonNegative),
        flushQueueOccupancy: z.array(count),
      })
      .strict(),
    conservation: z
      .object({
        mapped: count,
        unmapped: count,
        live: count,
        heldByWorkload: count,
        queued: count,
        freed: count,
        /** Operations begun but still waiting for a lock or the VMM when the run ended. */
        mapsInFlight: count,
        unmapsInFlight: count,
        submissionsInFlight: count,
      })
      .strict(),
    engine: z.object({ events: count, simulatedMs: nonNegative }).strict(),
    /** NVMe under fio only. */
    storage: storageResultSchema.optional(),
  })
  .strict();

export type SimulationResult = z.infer<typeof simulationResultSchema>;

/** The scalar metrics every simulation reports, besides the per-reason `vmExitsPerSec.*` and `invalidationsPerSec.*`. */
export const SCALAR_METRIC_NAMES = [
  'throughputGbps',
  'packetsPerSec',
  'vmExitsPerSec',
  'kvmFaultsPerSec',
  'invalidationsPerSec',
  'flushesPerSec',
  'cpuUtilization',
  'vmmLockUtilization',
  'staleWindowMeanUs',
  'staleWindowP99Us',
  'staleWindowMaxUs',
  'unmapsPerPacket',
  'iovaRcacheHitRatio',
] as const;

export function scalarMetrics(r: SimulationResult): Record<string, number> {
  const m: Record<string, number> = {
    throughputGbps: r.throughputGbps,
    packetsPerSec: r.packetsPerSec,
    vmExitsPerSec: r.vmExitsPerSec,
    kvmFaultsPerSec: r.kvmFaultsPerSec,
    invalidationsPerSec: r.invalidationsPerSec,
    flushesPerSec: r.flushesPerSec,
    cpuUtilization: r.cpu.utilization,
    vmmLockUtilization: r.vmmLock.utilization,
    unmapsPerPacket: r.dma.unmapsPerPacket,
    iovaRcacheHitRatio: r.dma.iovaRcacheHitRatio,
  };
  // A lazy run shorter than its flush timer ends before the flushes that would close most windows: it measured
  // none of them (not a window of 0), so it reports none, as a direction without I/O reports no latency.
  if (!r.warnings.some((w) => w.code === 'run-shorter-than-flush-timer')) {
    Object.assign(m, { staleWindowMeanUs: r.staleWindowUs.mean, staleWindowP99Us: r.staleWindowUs.p99, staleWindowMaxUs: r.staleWindowUs.max });
  }
  if (r.storage) Object.assign(m, storageMetrics(r.storage));
  for (const [k, v] of Object.entries(r.vmExitsByReason)) m[`vmExitsPerSec.${k}`] = v;
  for (const [k, v] of Object.entries(r.invalidationsByKind)) m[`invalidationsPerSec.${k}`] = v;
  return m;
}

/** The fio metrics an NVMe run reports, named as the fio importer names them. */
export const STORAGE_METRIC_NAMES = (['read', 'write'] as const).flatMap((d) =>
  ['Iops', 'BandwidthMiBps', 'ClatMeanUs', 'ClatP50Us', 'ClatP99Us', 'ClatP99_9Us'].map((m) => `${d}${m}`),
);

/** As the importer does: a direction without I/O reports its IOPS and bandwidth (0) but no latency. */
export function storageMetrics(st: StorageResult): Record<string, number> {
  const m: Record<string, number> = {};
  for (const [dir, iops, bw, clat] of [
    ['read', st.readIops, st.readBandwidthMiBps, st.readClatUs],
    ['write', st.writeIops, st.writeBandwidthMiBps, st.writeClatUs],
  ] as const) {
    m[`${dir}Iops`] = iops;
    m[`${dir}BandwidthMiBps`] = bw;
    if (clat.count > 0) {
      m[`${dir}ClatMeanUs`] = clat.mean;
      m[`${dir}ClatP50Us`] = clat.p50;
      m[`${dir}ClatP99Us`] = clat.p99;
      m[`${dir}ClatP99_9Us`] = clat.p99_9;
    }
  }
  return m;
}
