// One simulated NVMe run under fio: the guest DMA path over the run's backend,
// one fio job per CPU, the drives, and the result in the fio importer's terms.
//
// Two grains of the same model. On bare metal nothing exits and the only
// shared resource is each IOMMU unit's invalidation queue, so the jobs of a
// drive are stepped together in batches (fio-batch.ts, guest/dma-batch.ts),
// one DMA domain per drive as the kernel has it; each unit has its own queue
// and the drives spread round-robin over the units. In a VM every map or
// unmap may exit to the VMM under q_lock and the VMM's lock, contended I/O by
// I/O: one process per job (fio.ts), every drive behind the one vIOMMU
// (virtio-iommu has one request queue) and, as an approximation, in one DMA
// domain: each job only touches its own drive and its own CPU's ring, so
// maps, unmaps and ring-full flushes are the same; a timer flush covers the
// rings of all the drives at once.
import { backendForPath, EXIT_REASONS, type BackendOptions } from '../backends/index.ts';
import type { Counters } from '../engine/counters.ts';
import { LogHistogram } from '../engine/histogram.ts';
import { Prng } from '../engine/prng.ts';
import { Resource, type Simulator } from '../engine/simulator.ts';
import { DmaApi } from '../guest/dma.ts';
import { DmaBatchDomain } from '../guest/dma-batch.ts';
import { FlushQueue } from '../guest/flush-queue.ts';
import { IovaAllocator } from '../guest/iova.ts';
import type { CounterName, ResourceName } from '../model/accounting.ts';
import { dmaPathWarnings } from '../model/effective.ts';
import type { BottleneckKind, ClatSummary, SimulationResult, StorageResult } from '../model/result.ts';
import type { Scenario } from '../model/scenario.ts';
import { MODEL_VERSION } from '../model/version.ts';
import { lockStats, runWarnings, summarizeUs } from '../simulate.ts';
import { measureFromWarmup, startRun, type SimulateOptions } from '../measure.ts';
import { driveCeilingIops, fioJob, FioStats, type Drive, type FioContext } from './fio.ts';
import { ioUntilSlow, startFioGroups, type FioGroup } from './fio-batch.ts';

const MS = 1e6;
const MIB = 1024 * 1024;

export function simulateFio(s: Scenario, opts: SimulateOptions = {}): SimulationResult {
  const { decision, policy, mode, source, vmmPath, pathFacts, endNs, warmupNs, counters, sim, cpus, staleWindow } = startRun(s);
  const costs = s.costs;
  const d = s.device;
  const w = s.workload;

  const stats = new FioStats();
  const ioId = counters.id('net.segments');
  const bytesId = counters.id('net.payloadBytes');
  const drives: Drive[] = Array.from({ length: d.drives }, (_, index) => ({ index, nextSlotNs: 0, busyNs: 0 }));
  const ctx: FioContext = {
    scenario: s,
    costs,
    endNs,
    warmupNs,
    stats,
    held: [],
    onComplete: (ios, bytes) => {
      counters.add(ioId, ios);
      counters.add(bytesId, bytes);
    },
  };
  const jobs = d.drives * w.numjobs;
  // VT-d's superfluous gather tracking (before v6.3) is in intel_iommu_unmap(): not on SMMUv3 or virtio-iommu.
  const vtd = s.viommu.backend === 'virtio-iommu' ? false : s.viommu.backend !== 'none' || s.hardware.iommu === 'vtd';
  const lazyUnmapExtraNs = pathFacts.lazyGatherTracking && vtd ? costs.lazyGatherTrackingNs : 0;
  const model = s.viommu.backend === 'none' && opts.fioGrain !== 'per-io' ? batchModel() : perIoModel();

  /** Bare metal: the jobs of the drives on each IOMMU unit stepped together in batches (fio-batch.ts), one DMA domain per drive. */
  function batchModel(): FioModel {
    const units = Math.min(s.viommu.units, d.drives);
    const serviceNs = s.hardware.iommu === 'smmuv3' ? costs.smmuCmdqSyncNs : costs.hwInvalidationNs;
    const groups: FioGroup[] = Array.from({ length: units }, (_, u) => {
      const mine = drives.filter((drive) => drive.index % units === u);
      const lanes = mine.length * w.numjobs;
      const iova = new IovaAllocator(cpus.length, costs, counters, { rule: pathFacts.iovaDepot, onlineCpus: cpus.length, nowNs: () => sim.now });
      const dma = new DmaBatchDomain(mode, costs, iova, counters, staleWindow, new Resource<ResourceName>('iommuQueue', u), {
        warmupNs,
        serviceNs,
        ats: d.ats,
        qiBatch: s.guest.qiBatch,
        fqKind: s.flushQueue.kind,
        fqSlots: s.flushQueue.size,
        fqTimeoutNs: s.flushQueue.timeoutMs * MS,
        lanes,
        domains: mine.length,
        lazyUnmapExtraNs,
      });
      // Each drive's jobs run on CPUs of their own, numbered by drive.
      const laneCpus = mine.flatMap((drive) => cpus.slice(drive.index * w.numjobs, (drive.index + 1) * w.numjobs));
      const prng = new Prng(s.seed, u);
      return { index: u, drives: mine, nextSlotNs: 0, driveBusyNs: 0, dma, cpus: laneCpus, prng, cursorNs: 0, cohorts: [], slow: [], slowSpare: [], spare: [], readCarry: 0, turn: 0, untilSlow: ioUntilSlow(prng) };
    });
    // Bytes by reap time, one bin per sample interval: the steps run ahead of or behind the clock the sampler reads.
    const intervalNs = s.sampleIntervalMs * MS;
    const reapedBytes = new Float64Array(Math.ceil(endNs / intervalNs));
    ctx.onReaped = (bytes, fromNs, toNs) => spreadOverBins(reapedBytes, intervalNs, bytes, fromNs, toNs);
    startFioGroups(ctx, sim, groups);
    const dmas = groups.map((g) => g.dma);
    return {
      resources: () => dmas.map((dma) => dma.queue),
      latencies: dmas.map((dma) => dma.latency),
      occupancy: () => dmas.reduce((a, dma) => a + dma.queued, 0),
      maxFlushLatencyNs: () => Math.max(...dmas.map((dma) => dma.maxFlushLatencyNs)),
      live: () => dmas.reduce((a, dma) => a + dma.liveMappings, 0),
      inFlight: () => ({ maps: 0, unmaps: 0, submissions: 0 }),
      startMeasuring: () => {
        for (const dma of dmas) dma.measuring = true;
      },
      finish: (series) => {
        for (const g of groups) for (const drive of g.drives) drive.busyNs = g.driveBusyNs;
        // The sample at t covers (t - interval, t].
        series.throughputGbps = series.tMs.map((tMs) => ((reapedBytes[Math.round((tMs * MS) / intervalNs) - 1] ?? 0) * 8) / intervalNs);
      },
    };
  }

  /** In a VM every I/O may exit to the VMM under shared locks: one process per job, I/O by I/O (fio.ts); on bare metal, one domain and queue per unit. */
  function perIoModel(): FioModel {
    const backendOpts: BackendOptions = { hardware: s.hardware.iommu, iotlbSyncMap: s.viommu.iotlbSyncMap };
    const domains = vmmPath.path === 'none' ? Math.min(s.viommu.units, d.drives) : 1;
    const dmas = Array.from({ length: domains }, () => {
      const fq = new FlushQueue(s.flushQueue.kind, s.flushQueue.size, cpus.length, warmupNs, staleWindow);
      const iova = new IovaAllocator(cpus.length, costs, counters, { rule: pathFacts.iovaDepot, onlineCpus: cpus.length, nowNs: () => sim.now });
      const dma = new DmaApi(mode, sim, backendForPath(vmmPath.path, costs, backendOpts), costs, iova, fq, counters, staleWindow, {
        fqTimeoutNs: s.flushQueue.timeoutMs * MS,
        warmupNs,
        ats: d.ats,
        qiBatch: s.guest.qiBatch,
        units: 1,
      });
      dma.lazyUnmapExtraNs = lazyUnmapExtraNs;
      return dma;
    });
    for (let j = 0; j < jobs; j++) {
      const drive = drives[Math.floor(j / w.numjobs)]!;
      const prng = new Prng(s.seed, j);
      const job = { index: j, drive, dma: dmas[drive.index % domains]!, prng };
      cpus[j]!.main = sim.spawn(cpus[j]!, prng.next() * 1000, (proc) => fioJob(ctx, proc, job));
    }
    return {
      resources: () => dmas.flatMap((dma) => dma.resources()),
      latencies: dmas.map((dma) => dma.latency),
      occupancy: () => dmas.reduce((a, dma) => a + dma.fq.occupancy(), 0),
      maxFlushLatencyNs: () => Math.max(...dmas.map((dma) => dma.fq.maxFlushLatencyNs)),
      live: () => dmas.reduce((a, dma) => a + dma.liveMappings, 0),
      inFlight: () => ({
        maps: dmas.reduce((a, dma) => a + dma.mapsInFlight, 0),
        unmaps: dmas.reduce((a, dma) => a + dma.unmapsInFlight, 0),
        submissions: dmas.reduce((a, dma) => a + dma.submissionsInFlight, 0),
      }),
      startMeasuring: () => {
        for (const dma of dmas) dma.startMeasuring();
      },
      finish: () => {},
    };
  }
  const resources = model.resources;

  const measurement = measureFromWarmup(sim, counters, cpus, warmupNs, () => {
    for (const r of resources()) r.resetStats();
    model.startMeasuring();
  });
  const series = sampleSeries(s, sim, counters, model.occupancy);
  const measured = measurement.run(endNs, jobs, opts);
  const { measuredNs, perSec, cpu } = measured;
  model.finish(series);

  const locks = lockStats(resources(), measuredNs);
  const ios = stats.readIos + stats.writeIos;
  const ceilingIops = driveCeilingIops(s);
  const merged = { map: new LogHistogram(), unmap: new LogHistogram(), invalidation: new LogHistogram() };
  for (const latency of model.latencies) for (const k of ['map', 'unmap', 'invalidation'] as const) merged[k].merge(latency[k]);

  const inFlight = model.inFlight();
  const storage: StorageResult = {
    drives: d.drives,
    jobs,
    iops: perSec(ios),
    readIops: perSec(stats.readIos),
    writeIops: perSec(stats.writeIos),
    readBandwidthMiBps: perSec(stats.readBytes) / MIB,
    writeBandwidthMiBps: perSec(stats.writeBytes) / MIB,
    driveCeilingIops: ceilingIops,
    driveUtilization: Math.min(1, Math.max(0, ...drives.map((dr) => dr.busyNs)) / measuredNs),
    interruptsPerSec: perSec(stats.interrupts),
    completionsPerInterrupt: stats.interrupts ? ios / stats.interrupts : 0,
    readClatUs: clatUs(stats.readClat),
    writeClatUs: clatUs(stats.writeClat),
    clatHistogram: stats.clatHistogram(),
  };

  const result: SimulationResult = {
    modelVersion: MODEL_VERSION,
    seed: s.seed,
    scenario: s,
    measuredMs: measuredNs / MS,
    throughputGbps: ((stats.readBytes + stats.writeBytes) * 8) / measuredNs,
    packetsPerSec: storage.iops,
    maxGoodputGbps: (ceilingIops * w.bs * 8) / 1e9,
    ...measured.iommuRates(ios),
    cpu,
    vmmLock: { utilization: locks.bql.utilization, meanWaitUs: locks.bql.meanWaitUs, maxWaitUs: locks.bql.maxWaitUs },
    locks,
    staleWindowUs: summarizeUs(staleWindow),
    latencyUs: { map: summarizeUs(merged.map), unmap: summarizeUs(merged.unmap), invalidation: summarizeUs(merged.invalidation) },
    maxFlushLatencyUs: model.maxFlushLatencyNs() / 1e3,
    bottleneck: { kind: 'vcpu', explanation: '' },
    warnings: [],
    policy: { resolved: decision, effective: mode, source },
    vmmPath,
    series,
    conservation: {
      mapped: counters.get('dma.map') + counters.get('dma.setupMap'),
      unmapped: counters.get('dma.unmap'),
      live: model.live(),
      heldByWorkload: ctx.held.reduce((a, b) => a + b, 0),
      queued: model.occupancy(),
      freed: counters.get('iova.freed'),
      mapsInFlight: inFlight.maps,
      unmapsInFlight: inFlight.unmaps,
      submissionsInFlight: inFlight.submissions,
    },
    engine: { events: sim.events, simulatedMs: s.durationMs },
    storage,
  };
  result.bottleneck = classifyFioBottleneck(result, storage);
  result.warnings = [...policy.warnings, ...dmaPathWarnings(s, pathFacts, mode), ...runWarnings(s, mode, resources())];
  return result;
}

function clatUs(h: LogHistogram): ClatSummary {
  return { count: h.count, mean: h.mean() / 1e3, p50: h.quantile(0.5) / 1e3, p99: h.quantile(0.99) / 1e3, p99_9: h.quantile(0.999) / 1e3, max: h.max / 1e3 };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const mega = (x: number) => `${(x / 1e6).toFixed(2)}M`;

/** The same order of checks as the NIC's: the device's ceiling, the VMM's lock, the invalidation queue, else the CPUs. */
function classifyFioBottleneck(r: SimulationResult, st: StorageResult): { kind: BottleneckKind; explanation: string } {
  const b = r.cpu.breakdown;
  const scale = r.cpu.vcpus / Math.max(1, r.cpu.activeVcpus);
  if (st.driveUtilization >= 0.97) {
    return {
      kind: 'line-rate',
      explanation: `The drives are at their ceiling (${mega(st.iops)} of ${mega(st.driveCeilingIops)} IOPS) with the job CPUs ${pct(r.cpu.activeUtilization)} busy, so the IOMMU policy costs CPU, not IOPS.`,
    };
  }
  const waitShare = b.vmmLockWait * scale;
  if (r.vmmLock.utilization >= 0.9 || (waitShare >= 0.25 && r.vmmLock.utilization >= 0.5)) {
    return {
      kind: 'vmm-lock',
      explanation: `QEMU's lock is busy ${pct(r.vmmLock.utilization)} of the time handling ${Math.round(r.vmExitsPerSec / 1000)}k exits/s and their VFIO work, and the CPUs spend ${pct(waitShare)} of their time waiting for it, so the VMM serializes the guest's I/O.`,
    };
  }
  const bare = r.scenario.viommu.backend === 'none';
  const queue = bare ? r.locks.iommuQueue : r.locks.qiLock;
  const spinShare = (b.qiLockSpin + b.hwQueueWait) * scale;
  if (queue.utilization >= 0.9 || (spinShare >= 0.25 && queue.utilization >= 0.5)) {
    const where = bare
      ? r.scenario.hardware.iommu === 'smmuv3' ? 'each SMMU serves its command queue, CMD_SYNC by CMD_SYNC' : 'each IOMMU serves its invalidation queue in order'
      : r.scenario.viommu.backend === 'virtio-iommu' ? 'request_lock is held across each kick and its wait' : 'qi->q_lock is held across each exit';
    return {
      kind: 'invalidation-queue',
      explanation: `Invalidations are served one at a time (${where}): busy ${pct(queue.utilization)} of the time for ${Math.round(r.submissionsPerSec / 1000)}k submissions/s, and the CPUs spend ${pct(spinShare)} of their time spinning for it, so more jobs or drives cannot raise IOPS.`,
    };
  }
  return {
    kind: 'vcpu',
    explanation: `The ${r.cpu.activeVcpus} job CPU${r.cpu.activeVcpus > 1 ? 's are' : ' is'} ${pct(r.cpu.activeUtilization)} busy at ${mega(st.iops)} IOPS, below the drives' ${mega(st.driveCeilingIops)}: CPU time per I/O or the queue depth limits IOPS.`,
  };
}

/** Adds `bytes` spread evenly over [fromNs, toNs] to bins of `binNs` from time 0 (what falls past the last bin is dropped). */
function spreadOverBins(bins: Float64Array, binNs: number, bytes: number, fromNs: number, toNs: number): void {
  if (toNs <= fromNs) {
    const bin = Math.floor(fromNs / binNs);
    if (bin >= 0 && bin < bins.length) bins[bin]! += bytes;
    return;
  }
  const perNs = bytes / (toNs - fromNs);
  const last = Math.min(bins.length - 1, Math.floor(toNs / binNs));
  for (let bin = Math.max(0, Math.floor(fromNs / binNs)); bin <= last; bin++) {
    const overlapNs = Math.min(toNs, (bin + 1) * binNs) - Math.max(fromNs, bin * binNs);
    if (overlapNs > 0) bins[bin]! += perNs * overlapNs;
  }
}

/** What the result needs of either model of the DMA path. */
interface FioModel {
  resources(): Resource<ResourceName>[];
  latencies: { map: LogHistogram; unmap: LogHistogram; invalidation: LogHistogram }[];
  /** IOVAs queued for a flush. */
  occupancy(): number;
  maxFlushLatencyNs(): number;
  live(): number;
  inFlight(): { maps: number; unmaps: number; submissions: number };
  startMeasuring(): void;
  /** After the run: what the model keeps in its own terms goes where the result reads it. */
  finish(series: SimulationResult['series']): void;
}

function sampleSeries(s: Scenario, sim: Simulator, counters: Counters<CounterName>, occupancy: () => number): SimulationResult['series'] {
  const intervalNs = s.sampleIntervalMs * MS;
  const series: SimulationResult['series'] = { intervalMs: s.sampleIntervalMs, tMs: [], throughputGbps: [], vmExitsPerSec: [], flushQueueOccupancy: [] };
  // The counter names built once: sampling runs a thousand times per simulated second.
  const exitNames = EXIT_REASONS.map((r) => `exit.${r}` as const);
  const exitsNow = () => exitNames.reduce((a, name) => a + counters.get(name), 0);
  let lastBytes = 0;
  let lastExits = 0;
  const sample = (t: number) => {
    const bytes = counters.get('net.payloadBytes');
    const exits = exitsNow();
    series.tMs.push(t / MS);
    series.throughputGbps.push(((bytes - lastBytes) * 8) / intervalNs);
    series.vmExitsPerSec.push(((exits - lastExits) * 1e9) / intervalNs);
    series.flushQueueOccupancy.push(occupancy());
    lastBytes = bytes;
    lastExits = exits;
    if (t + intervalNs <= sim.endNs) sim.at(t + intervalNs, sample);
  };
  sim.at(intervalNs, sample);
  return series;
}
