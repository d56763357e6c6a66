// One simulated run: resolve the guest's policy, build the guest DMA path over
// the chosen backend, run the workload on its vCPUs in the event kernel, and
// turn the counters into a result.
import { backendForPath, EXIT_REASONS, INVALIDATION_KINDS } from './backends/index.ts';
import { Counters } from './engine/counters.ts';
import { Cpu, CPU_CATEGORIES, Kernel } from './engine/kernel.ts';
import { Prng } from './engine/prng.ts';
import { DmaApi, type DmaMode } from './guest/dma.ts';
import { FlushQueue } from './guest/flush-queue.ts';
import { IovaAllocator } from './guest/iova.ts';
import { dmaPathWarnings, effectivePolicy, effectiveVmmPath, guestDmaPathFacts, resolveScenarioPolicy } from './model/effective.ts';
import type { BottleneckKind, SimulationResult } from './model/result.ts';
import { parseScenario, type Scenario } from './model/scenario.ts';
import { MODEL_VERSION } from './model/version.ts';
import type { PolicyDecision } from './policy/index.ts';
import { maxGoodputGbps, queueShares, type WorkloadContext } from './workloads/context.ts';
import { iperfRxQueue, iperfRxSetupMappings } from './workloads/iperf-rx.ts';
import { iperfTxQueue } from './workloads/iperf-tx.ts';

export interface SimulateOptions {
  /** Called with the simulated fraction done (0..1), a few hundred times per run at most. */
  onProgress?: (fraction: number) => void;
  /** Polled while running; returning true stops the run (it then throws `SimulationStopped`). */
  shouldStop?: () => boolean;
}

export class SimulationStopped extends Error {
  constructor() {
    super('simulation stopped before its end');
    this.name = 'SimulationStopped';
  }
}

const MS = 1e6;

export { resolveScenarioPolicy };

export function effectiveMode(s: Scenario, decision: PolicyDecision): { mode: DmaMode; source: 'auto' | 'scenario' } {
  const { mode, source } = effectivePolicy(s, decision);
  return { mode, source };
}

export function simulate(input: unknown, opts: SimulateOptions = {}): SimulationResult {
  const s = parseScenario(input);
  const decision = resolveScenarioPolicy(s);
  const policy = effectivePolicy(s, decision);
  const { mode, source } = policy;
  const vmmPath = effectiveVmmPath(s, decision, mode);
  const pathFacts = guestDmaPathFacts(decision);
  const warnings = [...policy.warnings, ...dmaPathWarnings(s, pathFacts, mode)];
  const endNs = s.durationMs * MS;
  const warmupNs = s.warmupMs * MS;
  const costs = s.costs;

  const counters = new Counters();
  const kernel = new Kernel(endNs);
  const cpus = Array.from({ length: s.guest.vcpus }, (_, i) => new Cpu(i));
  const fq = new FlushQueue(s.flushQueue.kind, s.flushQueue.size, cpus.length, warmupNs);
  const iova = new IovaAllocator(cpus.length, costs, counters, { rule: pathFacts.iovaDepot, onlineCpus: cpus.length, nowNs: () => kernel.now });
  const backend = backendForPath(vmmPath.path, costs);
  const dma = new DmaApi(mode, kernel, backend, costs, iova, fq, counters, s.flushQueue.timeoutMs * MS);
  if (pathFacts.lazyGatherTracking) dma.lazyUnmapExtraNs = costs.lazyGatherTrackingNs;
  const ctx: WorkloadContext = { scenario: s, costs, dma, counters, endNs, held: [] };

  const shares = queueShares(s.workload.streams, s.device.queues, s.guest.vcpus);
  shares.forEach((share, q) => {
    const cpu = cpus[q]!;
    const spec = { index: q, share, prng: new Prng(s.seed, q) };
    // Queues start out of phase, as real streams do; identical queues in lockstep would fill their flush rings together.
    const startNs = spec.prng.next() * Math.max(1000, s.device.interruptModerationUs * 1000);
    if (s.workload.kind === 'iperf-rx') {
      iperfRxSetupMappings(ctx, q);
      cpu.main = kernel.spawn(cpu, startNs, (proc) => iperfRxQueue(ctx, proc, spec));
    } else {
      cpu.main = kernel.spawn(cpu, startNs, (proc) => iperfTxQueue(ctx, proc, spec));
    }
  });

  // Warm-up boundary: everything measured is a difference from this snapshot.
  let base = counters.snapshot();
  let cpuBase = cpus.map((c) => Float64Array.from(c.acct));
  let lockBase = { busy: 0, wait: 0, acq: 0 };
  kernel.at(warmupNs, () => {
    base = counters.snapshot();
    cpuBase = cpus.map((c) => Float64Array.from(c.acct));
    lockBase = { busy: kernel.lockBusyNs, wait: kernel.lockWaitNs, acq: kernel.lockAcquisitions };
  });

  const series = sampleSeries(s, kernel, counters, fq);

  const ok = kernel.run((now) => {
    opts.onProgress?.(Math.min(1, now / endNs));
    return !opts.shouldStop?.();
  });
  if (!ok) throw new SimulationStopped();
  opts.onProgress?.(1);

  const measuredNs = endNs - warmupNs;
  const perSec = (n: number) => (n * 1e9) / measuredNs;
  const delta = counters.since(base);
  const get = (k: string) => delta.get(k) ?? 0;

  const segments = get('net.segments');
  const throughputGbps = (get('net.payloadBytes') * 8) / measuredNs;
  const vmExitsByReason = Object.fromEntries(EXIT_REASONS.map((r) => [r, perSec(get(`exit.${r}`))])) as SimulationResult['vmExitsByReason'];
  const invalidationsByKind = Object.fromEntries(INVALIDATION_KINDS.map((k) => [k, perSec(get(`inval.${k}`))])) as SimulationResult['invalidationsByKind'];
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

  const totalCpuNs = measuredNs * cpus.length;
  const catTotals = Object.fromEntries(
    CPU_CATEGORIES.map((c, k) => [c, cpus.reduce((acc, cpu, i) => acc + cpu.acct[k]! - cpuBase[i]![k]!, 0)]),
  ) as Record<(typeof CPU_CATEGORIES)[number], number>;
  const busyNs = Math.min(totalCpuNs, sum(catTotals));
  const breakdown = Object.fromEntries([
    ...CPU_CATEGORIES.map((c) => [c, catTotals[c] / totalCpuNs]),
    ['idle', Math.max(0, 1 - busyNs / totalCpuNs)],
  ]) as SimulationResult['cpu']['breakdown'];
  const activeVcpus = shares.length;
  const activeBusyNs = cpus.slice(0, activeVcpus).reduce((acc, cpu, i) => acc + cpu.acct.reduce((a, v, k) => a + v - cpuBase[i]![k]!, 0), 0);
  const activeUtilization = Math.min(1, activeBusyNs / (measuredNs * activeVcpus));

  const lockAcq = kernel.lockAcquisitions - lockBase.acq;
  const vmmLock = {
    utilization: Math.min(1, (kernel.lockBusyNs - lockBase.busy) / measuredNs),
    meanWaitUs: lockAcq ? (kernel.lockWaitNs - lockBase.wait) / lockAcq / 1e3 : 0,
    maxWaitUs: kernel.maxLockWaitNs / 1e3,
  };
  const hits = get('iova.hit');
  const lookups = hits + get('iova.depot') + get('iova.miss');
  const goodputMax = maxGoodputGbps(s.device.lineRateGbps, s.device.mtu);

  const result: SimulationResult = {
    modelVersion: MODEL_VERSION,
    seed: s.seed,
    scenario: s,
    measuredMs: measuredNs / MS,
    throughputGbps,
    packetsPerSec: perSec(segments),
    maxGoodputGbps: goodputMax,
    vmExitsPerSec: sum(vmExitsByReason),
    vmExitsByReason,
    invalidationsPerSec: sum(invalidationsByKind),
    invalidationsByKind,
    flushesPerSec: perSec(get('flush.full') + get('flush.timer')),
    flushesByTrigger: { full: perSec(get('flush.full')), timer: perSec(get('flush.timer')) },
    dma: {
      mapsPerSec: perSec(get('dma.map')),
      unmapsPerSec: perSec(get('dma.unmap')),
      unmapsPerPacket: segments ? get('dma.unmap') / segments : 0,
      iovaRcacheHitRatio: lookups ? hits / lookups : 1,
    },
    cpu: { vcpus: cpus.length, activeVcpus, utilization: busyNs / totalCpuNs, activeUtilization, breakdown },
    vmmLock,
    staleWindowUs: {
      count: fq.stale.count,
      mean: fq.stale.mean() / 1e3,
      p99: fq.stale.quantile(0.99) / 1e3,
      max: fq.stale.max / 1e3,
    },
    maxFlushLatencyUs: fq.maxFlushLatencyNs / 1e3,
    bottleneck: { kind: 'vcpu', explanation: '' },
    policy: { resolved: decision, effective: mode, source },
    vmmPath,
    warnings,
    series,
    conservation: {
      mapped: counters.get('dma.map') + counters.get('dma.setupMap'),
      unmapped: counters.get('dma.unmap'),
      live: dma.liveMappings,
      heldByWorkload: ctx.held.reduce((a, b) => a + b, 0),
      queued: fq.occupancy(),
      freed: counters.get('iova.freed'),
      mapsInFlight: dma.mapsInFlight,
      unmapsInFlight: dma.unmapsInFlight,
    },
    engine: { events: kernel.events, simulatedMs: s.durationMs },
  };
  result.bottleneck = classifyBottleneck(result);
  return result;
}

function sampleSeries(s: Scenario, kernel: Kernel, counters: Counters, fq: FlushQueue): SimulationResult['series'] {
  const intervalNs = s.sampleIntervalMs * MS;
  const series: SimulationResult['series'] = { intervalMs: s.sampleIntervalMs, tMs: [], throughputGbps: [], vmExitsPerSec: [], flushQueueOccupancy: [] };
  const exitsNow = () => EXIT_REASONS.reduce((a, r) => a + counters.get(`exit.${r}`), 0);
  let lastBytes = 0;
  let lastExits = 0;
  const sample = (t: number) => {
    const bytes = counters.get('net.payloadBytes');
    const exits = exitsNow();
    series.tMs.push(t / MS);
    series.throughputGbps.push(((bytes - lastBytes) * 8) / intervalNs);
    series.vmExitsPerSec.push(((exits - lastExits) * 1e9) / intervalNs);
    series.flushQueueOccupancy.push(fq.occupancy());
    lastBytes = bytes;
    lastExits = exits;
    if (t + intervalNs <= kernel.endNs) kernel.at(t + intervalNs, sample);
  };
  kernel.at(intervalNs, sample);
  return series;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function classifyBottleneck(r: SimulationResult): { kind: BottleneckKind; explanation: string } {
  const b = r.cpu.breakdown;
  const exitShare = (b.exit + b.vmmLockWait + b.vmmHandling) * (r.cpu.vcpus / Math.max(1, r.cpu.activeVcpus));
  const waitShare = b.vmmLockWait * (r.cpu.vcpus / Math.max(1, r.cpu.activeVcpus));
  const kexits = Math.round(r.vmExitsPerSec / 1000);
  if (r.throughputGbps >= 0.97 * r.maxGoodputGbps) {
    return {
      kind: 'line-rate',
      explanation: `The link is full (${r.throughputGbps.toFixed(1)} of ${r.maxGoodputGbps.toFixed(1)} Gbit/s goodput) with the active vCPUs ${pct(r.cpu.activeUtilization)} busy, so the IOMMU policy costs CPU, not throughput.`,
    };
  }
  if (r.vmmLock.utilization >= 0.9 || (waitShare >= 0.25 && r.vmmLock.utilization >= 0.5)) {
    return {
      kind: 'vmm-lock',
      explanation: `QEMU's lock is busy ${pct(r.vmmLock.utilization)} of the time handling ${kexits}k exits/s, and the vCPUs spend ${pct(waitShare)} of their time waiting for it, so the VMM serializes the guest.`,
    };
  }
  const what = exitShare >= 0.05 ? `; ${pct(exitShare)} of it goes to ${kexits}k VM exits/s and their handling in the VMM` : '';
  return {
    kind: 'vcpu',
    explanation: `The ${r.cpu.activeVcpus} active vCPU${r.cpu.activeVcpus > 1 ? 's are' : ' is'} ${pct(r.cpu.activeUtilization)} busy${what}, so guest CPU time, not the ${r.scenario.device.lineRateGbps} Gbit/s link, limits throughput.`,
  };
}
