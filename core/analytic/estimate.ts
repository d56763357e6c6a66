// Closed-form estimate of a scenario: the same mechanisms as the event model
// (stack work by byte, packet and skb from core/workloads/stack.ts, maps and
// unmaps per packet, exits, flush amortization), averaged instead of
// simulated. It is instant, so the UI can preview a scenario while it is
// edited.
//
// Every place where the real system serializes is a server with an M/G/1
// wait (Pollaczek-Khinchine, seen by one of the active vCPUs: its own requests
// never queue behind each other):
//   - the guest's per-unit invalidation-queue lock `q_lock`, held by
//     qi_submit_sync() for the whole submission: exit round trip plus QEMU's
//     handling (one vIOMMU unit);
//   - QEMU's BQL, under which the handling runs: with one unit q_lock lets
//     only one submission at a time reach it, so its wait is zero and only
//     its utilization counts against the range;
//   - the IOMMU's hardware invalidation queue on bare metal, serving one
//     descriptor at a time;
//   - the single flush queue's `fq->lock`, held by queue_iova() across a
//     ring-full flush.
// Queueing formulas are only good while every server has slack: above 90%
// busy the estimate gives no throughput and says so (`outOfRange`).
//
// Where the two part (docs/MODEL.md): the estimate assumes every IOVA
// allocation hits the per-CPU cache, counts one full-ring flush per
// (rings x usable slots) unmaps plus one timer flush per period, and ignores
// interrupt moderation, TSQ and the warm-up transient.
import { createBackend, type BackendModel, type DomainView, type OpCost } from '../backends/index.ts';
import type { Costs } from '../model/costs.ts';
import { parseScenario, type Scenario } from '../model/scenario.ts';
import type { BottleneckKind } from '../model/result.ts';
import type { DmaMode } from '../guest/dma.ts';
import { lineRatePps, maxGoodputGbps, mssBytes, queueShares, rxBufferLayout } from '../workloads/context.ts';
import { rxResidentMappings } from '../workloads/iperf-rx.ts';
import { skbLayout } from '../workloads/iperf-tx.ts';
import { acksPerTsoSkb, groPoll, rxSegmentsNs, txSkbNs } from '../workloads/stack.ts';

/** Above this utilization of any server the queueing formulas are not trusted. */
export const MAX_TRUSTED_UTILIZATION = 0.9;

export const SERVERS = ['bql', 'qLock', 'hwQueue', 'fqLock'] as const;
export type ServerName = (typeof SERVERS)[number];
const SERVER_TEXT: Record<ServerName, string> = {
  bql: "QEMU's big lock (BQL)",
  qLock: "the invalidation-queue lock (q_lock, held for each exit's round trip and QEMU's handling)",
  hwQueue: "the IOMMU's hardware invalidation queue",
  fqLock: "the single flush queue's fq->lock (held across each ring-full flush)",
};

export interface AnalyticEstimate {
  mode: DmaMode;
  /** null when the estimate is out of its range (see `outOfRange`). */
  throughputGbps: number | null;
  /** Why there is no throughput, for the UI to show: "out of range: use the event model (...)"; null when in range. */
  outOfRange: string | null;
  packetsPerSec: number;
  vmExitsPerSec: number;
  invalidationsPerSec: number;
  flushesPerSec: number;
  unmapsPerPacket: number;
  /** vCPU time per segment on an active queue, by part, in ns. */
  perPacketNs: { stack: number; dma: number; exits: number; lockWait: number; flush: number; total: number };
  cpuUtilization: number;
  /** Busy share of QEMU's handling (the BQL). */
  vmmLockUtilization: number;
  /** Busy share of every serialization point, 0..1 (above 1: demand the server cannot meet). */
  servers: Record<ServerName, number>;
  bottleneck: BottleneckKind;
}

/** What one operation asks of the vCPU and of each server. */
interface Load {
  vcpuNs: number;
  exits: number;
  invalidations: number;
  /** Submissions through q_lock; their holding time (round trip + handling) and its square. */
  qSubmissions: number;
  qHoldNs: number;
  qHoldSqNs: number;
  /** QEMU handling under the BQL. */
  handlingNs: number;
  /** Hardware queue descriptors on bare metal; service time and its square. */
  hwDescriptors: number;
  hwServiceNs: number;
  hwServiceSqNs: number;
}

const ZERO: Load = { vcpuNs: 0, exits: 0, invalidations: 0, qSubmissions: 0, qHoldNs: 0, qHoldSqNs: 0, handlingNs: 0, hwDescriptors: 0, hwServiceNs: 0, hwServiceSqNs: 0 };

function opLoad(costs: Costs, op: OpCost): Load {
  const load: Load = { ...ZERO, exits: op.faults, invalidations: op.invalidation ? 1 : 0 };
  if (op.guestCategory === 'hwInvalidation' && op.guestNs > 0) {
    // Bare metal: the CPU waits for the hardware to serve the descriptor.
    load.hwDescriptors = 1;
    load.hwServiceNs = op.guestNs;
    load.hwServiceSqNs = op.guestNs * op.guestNs;
  } else {
    load.vcpuNs = op.guestNs;
  }
  if (op.exit) {
    const hold = costs.exitRoundTripNs + op.exit.lockedNs;
    load.exits += 1;
    load.qSubmissions = 1;
    load.qHoldNs = hold;
    load.qHoldSqNs = hold * hold;
    load.handlingNs = op.exit.lockedNs;
  }
  return load;
}

function add(a: Load, b: Load, times = 1): Load {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof Load)[]) out[k] += b[k] * times;
  return out;
}

/** Per-mapping load of map + unmap in one mode, excluding flushes. */
function mapUnmapLoad(mode: DmaMode, costs: Costs, backend: BackendModel, pages: number): Load {
  if (mode === 'passthrough') return ZERO;
  let load: Load = { ...ZERO, vcpuNs: 2 * costs.iovaRcacheHitNs + 2 * pages * costs.ptePerPageNs + (mode === 'lazy' ? costs.fqQueueNs : 0) };
  load = add(load, opLoad(costs, backend.map(pages)));
  load = add(load, opLoad(costs, backend.pteClear(pages)));
  if (mode === 'strict') load = add(load, opLoad(costs, backend.strictInvalidate(pages)));
  return load;
}

/** Holds of one kind at a server: how often (per ns, all vCPUs together) and for how long. */
interface HoldClass {
  perNs: number;
  holdNs: number;
}

/**
 * Share of its time one of `sources` vCPUs spends blocked at a FIFO server
 * behind the other vCPUs' holds. The vCPU reaches the server at `ownPerNs`
 * per ns of its own work; a hold of length S by another vCPU blocks it for
 * the part of S left after its next arrival, S - (1 - e^(-rS)) / r. Short
 * holds give the M/G/1 wait (r S^2 / 2 per hold); long ones (a multi-ms DSI)
 * stall it once for about S, however many exits it would have made meanwhile.
 * Holds queued behind holds stretch it by 1 / (1 - rho) of the others' load.
 */
function blockedShare(classes: HoldClass[], ownPerNs: number, sources: number): number {
  const others = sources > 1 ? (sources - 1) / sources : 0;
  if (!others || ownPerNs <= 0) return 0;
  let rho = 0;
  let blocked = 0;
  for (const c of classes) {
    if (c.perNs <= 0 || c.holdNs <= 0) continue;
    rho += c.perNs * others * c.holdNs;
    const x = ownPerNs * c.holdNs;
    // S - (1 - e^-x) / r, written to stay exact for small x.
    const left = x < 1e-6 ? (c.holdNs * x) / 2 : c.holdNs - -Math.expm1(-x) / ownPerNs;
    blocked += c.perNs * others * left;
  }
  return rho >= 1 ? Infinity : blocked / (1 - rho);
}

interface Workload {
  /** One segment (rx) or one TSO skb (tx). */
  stackNs: number;
  segmentsPerUnit: number;
  payloadPerUnit: number;
  offeredUnitsPerSec: number;
  mappings: { perUnit: number; pages: number }[];
}

function workloadOf(s: Scenario, costs: Costs): Workload {
  const d = s.device;
  const w = s.workload;
  const payload = mssBytes(d.mtu);
  if (w.kind === 'iperf-rx') {
    const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
    const flows = Math.max(1, Math.round(w.streams / Math.max(1, Math.min(w.streams, d.queues, s.guest.vcpus))));
    // A saturated queue polls full budgets.
    const gro = groPoll(d.napiBudget, flows, payload, w.ackEveryBytes);
    return {
      stackNs: rxSegmentsNs(costs, 1, payload) + (costs.napiPollNs + gro.skbs * costs.rxGroSkbNs + gro.acks * costs.ackTxNs) / d.napiBudget,
      segmentsPerUnit: 1,
      payloadPerUnit: payload,
      offeredUnitsPerSec: lineRatePps(d.lineRateGbps, d.mtu),
      mappings: [
        { perUnit: (layout.buffersPerPacket / layout.buffersPerUnit) * d.rxPageUnmapShare, pages: layout.pagesPerUnit },
        { perUnit: gro.acks / d.napiBudget, pages: 1 },
      ],
    };
  }
  const skb = skbLayout(w.tsoBytes, w.fragBytes, d.mtu);
  return {
    stackNs: txSkbNs(costs, w.tsoBytes) + acksPerTsoSkb(w.tsoBytes, payload, w.ackEveryBytes) * costs.ackRxNs,
    segmentsPerUnit: skb.segments,
    payloadPerUnit: w.tsoBytes,
    offeredUnitsPerSec: (d.lineRateGbps * 1e9) / skb.wireBits,
    mappings: [
      { perUnit: 1, pages: 1 },
      { perUnit: skb.frags, pages: skb.fragPages },
    ],
  };
}

export function estimate(input: unknown, mode: DmaMode): AnalyticEstimate {
  const s: Scenario = parseScenario(input);
  const costs = s.costs;
  const backend = createBackend(s.viommu.backend, costs);
  const d = s.device;
  const shares = queueShares(s.workload.streams, d.queues, s.guest.vcpus);
  const active = shares.length;
  const wl = workloadOf(s, costs);

  const mapsPerUnit = wl.mappings.reduce((a, m) => a + m.perUnit, 0);
  const dma = wl.mappings.reduce((acc, m) => add(acc, mapUnmapLoad(mode, costs, backend, m.pages), m.perUnit), ZERO);

  // Lazy: the domain flush, amortized over the unmaps it retires.
  const presentPtes = s.workload.kind === 'iperf-rx' ? active * rxResidentMappings(d) * rxBufferLayout(d.mtu, d.rxBufferBytes).pagesPerUnit : 0;
  const rings = s.flushQueue.kind === 'single' ? 1 : active;
  const unmapsPerFullFlush = rings * (s.flushQueue.size - 1);
  const singleQueue = mode === 'lazy' && s.flushQueue.kind === 'single';
  const ownWorkNs = (l: Load) => l.vcpuNs + l.qHoldNs + l.hwServiceNs;

  const evaluate = (unitsPerSec: number) => {
    const unmapRate = unitsPerSec * mapsPerUnit;
    const fullFlushes = mode === 'lazy' ? unmapRate / unmapsPerFullFlush : 0;
    const timerFlushes = mode === 'lazy' && unmapRate > 0 ? 1000 / s.flushQueue.timeoutMs : 0;
    const flushesPerSec = fullFlushes + timerFlushes;
    // Every unmapped IOVA is stale in exactly one flush: a flush retires the unmaps since the last one.
    const domain: DomainView = { presentPtes, staleMappings: flushesPerSec > 0 ? unmapRate / flushesPerSec : 0 };
    const flush = flushesPerSec > 0 ? opLoad(costs, backend.flush(domain)) : ZERO;
    const total = add(add(ZERO, dma, unitsPerSec), flush, flushesPerSec);
    const flushPerUnitNs = unitsPerSec > 0 ? (flushesPerSec * ownWorkNs(flush)) / unitsPerSec : 0;
    const workNs = wl.stackNs + ownWorkNs(dma) + flushPerUnitNs;
    const perUnit = (n: number) => (unitsPerSec > 0 ? n / unitsPerSec : 0);
    const perNs = (perSec: number) => perSec / 1e9;
    const mean = (sum: number, count: number) => (count > 0 ? sum / count : 0);

    // q_lock: every submission holds it for its round trip and QEMU's handling.
    const qClasses = [
      { perNs: perNs(unitsPerSec * dma.qSubmissions), holdNs: mean(dma.qHoldNs, dma.qSubmissions) },
      { perNs: perNs(flushesPerSec * flush.qSubmissions), holdNs: mean(flush.qHoldNs, flush.qSubmissions) },
    ];
    const qOwn = (dma.qSubmissions + perUnit(flushesPerSec * flush.qSubmissions)) / workNs;
    // Bare-metal hardware queue: one descriptor at a time.
    const hwClasses = [
      { perNs: perNs(unitsPerSec * dma.hwDescriptors), holdNs: mean(dma.hwServiceNs, dma.hwDescriptors) },
      { perNs: perNs(flushesPerSec * flush.hwDescriptors), holdNs: mean(flush.hwServiceNs, flush.hwDescriptors) },
    ];
    const hwOwn = (dma.hwDescriptors + perUnit(flushesPerSec * flush.hwDescriptors)) / workNs;
    // Single flush queue: every queue_iova() takes fq->lock; a ring-full flush holds it throughout.
    const fqClasses = singleQueue
      ? [
          { perNs: perNs(unmapRate), holdNs: costs.fqQueueNs },
          { perNs: perNs(fullFlushes), holdNs: ownWorkNs(flush) },
        ]
      : [];
    const fqOwn = singleQueue ? (mapsPerUnit + perUnit(fullFlushes)) / workNs : 0;

    const servers: Record<ServerName, number> = {
      bql: perNs(total.handlingNs),
      qLock: perNs(total.qHoldNs),
      hwQueue: perNs(total.hwServiceNs),
      fqLock: fqClasses.reduce((a, c) => a + c.perNs * c.holdNs, 0),
    };
    const blocked = blockedShare(qClasses, qOwn, active) + blockedShare(hwClasses, hwOwn, active) + blockedShare(fqClasses, fqOwn, active);
    const perUnitNs = blocked < 1 ? workNs / (1 - blocked) : Infinity;
    const capacity = shares.reduce((a, sh) => a + Math.min(wl.offeredUnitsPerSec * sh, 1e9 / perUnitNs), 0);
    return { flushesPerSec, total, servers, waitNs: perUnitNs - workNs, flushPerUnitNs, perUnitNs, capacity };
  };

  // The rate per queue depends on the waits, which depend on the total rate:
  // find the fixed point by bisection (capacity falls as load rises).
  const offeredTotal = shares.reduce((a, sh) => a + wl.offeredUnitsPerSec * sh, 0);
  let lo = 0;
  let hi = offeredTotal;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (evaluate(mid).capacity >= mid) lo = mid;
    else hi = mid;
  }
  // Servers are judged at the highest rate the vCPUs could reach, so a rate
  // squeezed to nothing by a saturated server still shows that server.
  const unitsPerSec = lo;
  const p = evaluate(Math.max(unitsPerSec, 1e-9 * offeredTotal));

  const busiest = SERVERS.reduce((a, b) => (p.servers[b] > p.servers[a] ? b : a));
  const outOfRange =
    p.servers[busiest] > MAX_TRUSTED_UTILIZATION || !Number.isFinite(p.perUnitNs)
      ? `out of range: use the event model (${SERVER_TEXT[busiest]} is ${Math.round(Math.min(p.servers[busiest], 9.99) * 100)}% busy; queueing formulas hold below ${MAX_TRUSTED_UTILIZATION * 100}%)`
      : null;

  const throughput = (unitsPerSec * wl.payloadPerUnit * 8) / 1e9;
  let bottleneck: BottleneckKind = 'vcpu';
  if (throughput >= 0.97 * maxGoodputGbps(d.lineRateGbps, d.mtu)) bottleneck = 'line-rate';
  else if (p.servers[busiest] >= MAX_TRUSTED_UTILIZATION || (p.waitNs > 0.25 * p.perUnitNs && p.servers[busiest] >= 0.5)) bottleneck = 'vmm-lock';

  const per = (ns: number) => ns / wl.segmentsPerUnit;
  return {
    mode,
    throughputGbps: outOfRange ? null : throughput,
    outOfRange,
    packetsPerSec: unitsPerSec * wl.segmentsPerUnit,
    vmExitsPerSec: p.total.exits,
    invalidationsPerSec: p.total.invalidations,
    flushesPerSec: p.flushesPerSec,
    unmapsPerPacket: mapsPerUnit / wl.segmentsPerUnit,
    perPacketNs: {
      stack: per(wl.stackNs),
      dma: per(dma.vcpuNs),
      exits: per(dma.qHoldNs + dma.hwServiceNs),
      lockWait: per(p.waitNs),
      flush: per(p.flushPerUnitNs),
      total: per(p.perUnitNs),
    },
    cpuUtilization: Math.min(1, (unitsPerSec * p.perUnitNs) / 1e9 / s.guest.vcpus),
    vmmLockUtilization: p.total.handlingNs / 1e9,
    servers: p.servers,
    bottleneck,
  };
}
