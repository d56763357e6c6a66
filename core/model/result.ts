// The result of one simulated run: what the CLI prints, the journal stores and
// the UI charts.
import type { ExitReason, InvalidationKind } from '../backends/types.ts';
import type { CpuCategory } from '../engine/kernel.ts';
import type { PolicyDecision } from '../policy/index.ts';
import type { DmaMode } from '../guest/dma.ts';
import type { RunWarning, VmmPath } from './effective.ts';
import type { Scenario } from './scenario.ts';

export type BottleneckKind = 'line-rate' | 'vcpu' | 'vmm-lock';

export interface SimulationResult {
  modelVersion: string;
  seed: number;
  scenario: Scenario;
  measuredMs: number;
  throughputGbps: number;
  /** Full-size TCP segments per second (received for iperf-rx, sent for iperf-tx). */
  packetsPerSec: number;
  maxGoodputGbps: number;
  vmExitsPerSec: number;
  vmExitsByReason: Record<ExitReason, number>;
  invalidationsPerSec: number;
  invalidationsByKind: Record<InvalidationKind, number>;
  flushesPerSec: number;
  flushesByTrigger: { full: number; timer: number };
  dma: { mapsPerSec: number; unmapsPerSec: number; unmapsPerPacket: number; iovaRcacheHitRatio: number };
  cpu: {
    vcpus: number;
    activeVcpus: number;
    /** Busy share of all vCPUs, 0..1. */
    utilization: number;
    /** Busy share of the vCPUs that run a queue, 0..1. */
    activeUtilization: number;
    /** Share of all vCPU time per category (idle included), sums to 1. */
    breakdown: Record<CpuCategory | 'idle', number>;
  };
  vmmLock: { utilization: number; meanWaitUs: number; maxWaitUs: number };
  staleWindowUs: { count: number; mean: number; p99: number; max: number };
  /** Longest time from a lazy flush request to its completion (lock wait included), in us. */
  maxFlushLatencyUs: number;
  bottleneck: { kind: BottleneckKind; explanation: string };
  policy: {
    resolved: PolicyDecision;
    effective: DmaMode;
    /** 'auto' when the guest kernel's own rules decided, else the scenario forced it. */
    source: 'auto' | 'scenario';
  };
  /** The cost path the guest's page table took on this host, and why. */
  vmmPath: VmmPath;
  warnings: RunWarning[];
  series: {
    intervalMs: number;
    tMs: number[];
    throughputGbps: number[];
    vmExitsPerSec: number[];
    flushQueueOccupancy: number[];
  };
  conservation: {
    mapped: number;
    unmapped: number;
    live: number;
    heldByWorkload: number;
    queued: number;
    freed: number;
    /** Maps and unmaps begun but still waiting on the VMM when the run ended. */
    mapsInFlight: number;
    unmapsInFlight: number;
  };
  engine: { events: number; simulatedMs: number };
}

/** The scalar metrics a run is filtered and sorted by (flat names). */
/** The scalar metrics every simulation reports, besides the per-reason `vmExitsPerSec.*` and `invalidationsPerSec.*`. */
export const SCALAR_METRIC_NAMES = [
  'throughputGbps',
  'packetsPerSec',
  'vmExitsPerSec',
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
    invalidationsPerSec: r.invalidationsPerSec,
    flushesPerSec: r.flushesPerSec,
    cpuUtilization: r.cpu.utilization,
    vmmLockUtilization: r.vmmLock.utilization,
    staleWindowMeanUs: r.staleWindowUs.mean,
    staleWindowP99Us: r.staleWindowUs.p99,
    staleWindowMaxUs: r.staleWindowUs.max,
    unmapsPerPacket: r.dma.unmapsPerPacket,
    iovaRcacheHitRatio: r.dma.iovaRcacheHitRatio,
  };
  for (const [k, v] of Object.entries(r.vmExitsByReason)) m[`vmExitsPerSec.${k}`] = v;
  for (const [k, v] of Object.entries(r.invalidationsByKind)) m[`invalidationsPerSec.${k}`] = v;
  return m;
}
