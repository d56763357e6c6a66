// One simulated run: resolve the guest's policy, build the guest DMA path over
// the chosen backend, run the workload on its vCPUs in the simulator, and
// turn the counters into a result.
import { backendForPath, EXIT_REASONS } from './backends/index.ts';
import type { Counters } from './engine/counters.ts';
import { LogHistogram } from './engine/histogram.ts';
import { Prng } from './engine/prng.ts';
import type { Resource, Simulator } from './engine/simulator.ts';
import { DmaApi, type DmaMode } from './guest/dma.ts';
import { FlushQueue } from './guest/flush-queue.ts';
import { IovaAllocator } from './guest/iova.ts';
import { RESOURCE_NAMES, RESOURCES, type CounterName, type ResourceName } from './model/accounting.ts';
import type { BottleneckKind, LatencySummary, LockStats, SimulationResult } from './model/result.ts';
import { parseScenario, type Scenario } from './model/scenario.ts';
import { MODEL_VERSION } from './model/version.ts';
import { LATENCY_THRESHOLD_MS, SOFT_LOCKUP_THRESHOLD_MS, type Warning } from './model/warnings.ts';
import type { PolicyDecision } from './policy/index.ts';
import { dmaPathWarnings, effectivePolicy, resolveScenarioPolicy } from './model/effective.ts';
import { maxGoodputGbps, queueShares, type WorkloadContext } from './workloads/context.ts';
import { iperfRxQueue, iperfRxSetupMappings } from './workloads/iperf-rx.ts';
import { iperfTxQueue } from './workloads/iperf-tx.ts';
import { simulateFio } from './workloads/fio-run.ts';
import { measureFromWarmup, startRun, type SimulateOptions } from './measure.ts';

export { SimulationStopped, type SimulateOptions } from './measure.ts';

const MS = 1e6;

export { resolveScenarioPolicy };

export function effectiveMode(s: Scenario, decision: PolicyDecision): { mode: DmaMode; source: 'auto' | 'scenario' } {
  const { mode, source } = effectivePolicy(s, decision);
  return { mode, source };
}

export function simulate(input: unknown, opts: SimulateOptions = {}): SimulationResult {
  const s = parseScenario(input);
  if (s.workload.kind === 'fio') return simulateFio(s, opts);
  const { decision, policy, mode, source, vmmPath, pathFacts, endNs, warmupNs, counters, sim, cpus, staleWindow } = startRun(s);
  const costs = s.costs;

  const fq = new FlushQueue(s.flushQueue.kind, s.flushQueue.size, cpus.length, warmupNs, staleWindow);
  const iova = new IovaAllocator(cpus.length, costs, counters, { rule: pathFacts.iovaDepot, onlineCpus: cpus.length, nowNs: () => sim.now });
  const backend = backendForPath(vmmPath.path, costs, { hardware: s.hardware.iommu, iotlbSyncMap: s.viommu.iotlbSyncMap });
  const dma = new DmaApi(mode, sim, backend, costs, iova, fq, counters, staleWindow, {
    fqTimeoutNs: s.flushQueue.timeoutMs * MS,
    warmupNs,
    ats: s.device.ats,
    qiBatch: s.guest.qiBatch,
    units: s.viommu.units,
  });
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
      cpu.main = sim.spawn(cpu, startNs, (proc) => iperfRxQueue(ctx, proc, spec));
    } else {
      cpu.main = sim.spawn(cpu, startNs, (proc) => iperfTxQueue(ctx, proc, spec));
    }
  });

  // Warm-up boundary: counters are measured from here; resources restart their statistics.
  const measurement = measureFromWarmup(sim, counters, cpus, warmupNs, () => {
    for (const r of dma.resources()) r.resetStats();
    dma.startMeasuring();
  });
  const series = sampleSeries(s, sim, counters, fq);
  const measured = measurement.run(endNs, shares.length, opts);
  const { measuredNs, perSec, get, cpu } = measured;
  const segments = get('net.segments');
  const throughputGbps = (get('net.payloadBytes') * 8) / measuredNs;

  const locks = lockStats(dma.resources(), measuredNs);
  const vmmLock = { utilization: locks.bql.utilization, meanWaitUs: locks.bql.meanWaitUs, maxWaitUs: locks.bql.maxWaitUs };
  const goodputMax = maxGoodputGbps(s.device.lineRateGbps, s.device.mtu);

  const result: SimulationResult = {
    modelVersion: MODEL_VERSION,
    seed: s.seed,
    scenario: s,
    measuredMs: measuredNs / MS,
    throughputGbps,
    packetsPerSec: perSec(segments),
    maxGoodputGbps: goodputMax,
    ...measured.iommuRates(segments),
    cpu,
    vmmLock,
    locks,
    staleWindowUs: summarizeUs(staleWindow),
    latencyUs: { map: summarizeUs(dma.latency.map), unmap: summarizeUs(dma.latency.unmap), invalidation: summarizeUs(dma.latency.invalidation) },
    maxFlushLatencyUs: fq.maxFlushLatencyNs / 1e3,
    bottleneck: { kind: 'vcpu', explanation: '' },
    warnings: [],
    policy: { resolved: decision, effective: mode, source },
    vmmPath,
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
      submissionsInFlight: dma.submissionsInFlight,
    },
    engine: { events: sim.events, simulatedMs: s.durationMs },
  };
  result.bottleneck = classifyBottleneck(result);
  result.warnings = [...policy.warnings, ...dmaPathWarnings(s, pathFacts, mode), ...runWarnings(s, mode, dma.resources())];
  return result;
}

export function summarizeUs(h: LogHistogram): LatencySummary {
  return { count: h.count, mean: h.mean() / 1e3, p50: h.quantile(0.5) / 1e3, p99: h.quantile(0.99) / 1e3, max: h.max / 1e3 };
}

/** Statistics per kind of resource, over its instances. */
export function lockStats(resources: Resource<ResourceName>[], measuredNs: number): Record<ResourceName, LockStats> {
  const out = {} as Record<ResourceName, LockStats>;
  for (const name of RESOURCE_NAMES) {
    const mine = resources.filter((r) => r.name === name);
    const hold = new LogHistogram();
    let acquisitions = 0;
    let waitNs = 0;
    let maxWaitNs = 0;
    let maxBusyNs = 0;
    for (const r of mine) {
      hold.merge(r.holdNs);
      acquisitions += r.acquisitions;
      waitNs += r.totalWaitNs;
      maxWaitNs = Math.max(maxWaitNs, r.maxWaitNs);
      maxBusyNs = Math.max(maxBusyNs, r.busyNs);
    }
    out[name] = {
      instances: mine.length,
      utilization: Math.min(1, maxBusyNs / measuredNs),
      acquisitionsPerSec: (acquisitions * 1e9) / measuredNs,
      meanWaitUs: acquisitions ? waitNs / acquisitions / 1e3 : 0,
      maxWaitUs: maxWaitNs / 1e3,
      holdUs: summarizeUs(hold),
    };
  }
  return out;
}

/** What the numbers of this run cannot be trusted for, or what the guest would have reported. */
export function runWarnings(s: Scenario, mode: DmaMode, resources: Resource<ResourceName>[]): Warning[] {
  const warnings: Warning[] = [];
  const measuredMs = s.durationMs - s.warmupMs;
  if (mode === 'lazy' && measuredMs < s.flushQueue.timeoutMs) {
    warnings.push({
      code: 'run-shorter-than-flush-timer',
      message: `the measured run (${measuredMs} ms) is shorter than the ${s.flushQueue.kind} flush-queue timer (${s.flushQueue.timeoutMs} ms): a run without timer flushes says nothing of their cost or of the stale window they end; run at least ${s.flushQueue.timeoutMs + s.warmupMs} ms`,
    });
  }
  for (const name of RESOURCE_NAMES) {
    const mine = resources.filter((r) => r.name === name);
    const holdMs = Math.max(0, ...mine.map((r) => r.holdNs.max)) / MS;
    const waitMs = Math.max(0, ...mine.map((r) => r.maxWaitNs)) / MS;
    const longestMs = Math.max(holdMs, waitMs);
    const info = RESOURCES[name];
    const what = `${info.label}: longest hold ${holdMs.toFixed(3)} ms, longest wait ${waitMs.toFixed(3)} ms${info.irqsOff ? ' with interrupts off' : ' (the waiting vCPU is blocked in the VMM)'}; ${info.why}`;
    if (longestMs > SOFT_LOCKUP_THRESHOLD_MS) {
      warnings.push({ code: 'lock-past-soft-lockup', message: `${what}; beyond the soft-lockup threshold (${SOFT_LOCKUP_THRESHOLD_MS / 1000} s, watchdog_thresh=10)` });
    } else if (longestMs > LATENCY_THRESHOLD_MS) {
      warnings.push({ code: 'lock-past-latency-threshold', message: `${what}; beyond the ${LATENCY_THRESHOLD_MS} ms latency threshold` });
    }
  }
  return warnings;
}

function sampleSeries(s: Scenario, sim: Simulator, counters: Counters<CounterName>, fq: FlushQueue): SimulationResult['series'] {
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
    if (t + intervalNs <= sim.endNs) sim.at(t + intervalNs, sample);
  };
  sim.at(intervalNs, sample);
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
    // With one unit, q_lock admits one submission at a time: the vCPUs queue for QEMU there, not at the BQL.
    const qSpin = b.qiLockSpin * (r.cpu.vcpus / Math.max(1, r.cpu.activeVcpus));
    const waiting =
      qSpin >= 0.005
        ? `the vCPUs spend ${pct(waitShare + qSpin)} of their time waiting for it (${pct(qSpin)} spinning on q_lock, which each submission holds across its exit)`
        : `the vCPUs spend ${pct(waitShare)} of their time waiting for it`;
    return {
      kind: 'vmm-lock',
      explanation: `QEMU's lock is busy ${pct(r.vmmLock.utilization)} of the time handling ${kexits}k exits/s, and ${waiting}, so the VMM serializes the guest.`,
    };
  }
  const queue = r.scenario.viommu.backend === 'none' ? r.locks.iommuQueue : r.locks.qiLock;
  const spinShare = (b.qiLockSpin + b.hwQueueWait) * (r.cpu.vcpus / Math.max(1, r.cpu.activeVcpus));
  if (queue.utilization >= 0.9 || (spinShare >= 0.25 && queue.utilization >= 0.5)) {
    const where = r.scenario.viommu.backend === 'none' ? 'the IOMMU serves its invalidation queue' : 'qi->q_lock is held across each exit';
    return {
      kind: 'invalidation-queue',
      explanation: `Invalidations are served one at a time (${where}): busy ${pct(queue.utilization)} of the time for ${Math.round(r.submissionsPerSec / 1000)}k submissions/s, and the vCPUs spend ${pct(spinShare)} of their time spinning for it, so adding vCPUs cannot raise throughput.`,
    };
  }
  const what = exitShare >= 0.05 ? `; ${pct(exitShare)} of it goes to ${kexits}k VM exits/s and their handling in the VMM` : '';
  return {
    kind: 'vcpu',
    explanation: `The ${r.cpu.activeVcpus} active vCPU${r.cpu.activeVcpus > 1 ? 's are' : ' is'} ${pct(r.cpu.activeUtilization)} busy${what}, so guest CPU time, not the ${r.scenario.device.lineRateGbps} Gbit/s link, limits throughput.`,
  };
}
