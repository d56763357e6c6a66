// Closed-form estimate of a scenario: the same mechanisms as the event model
// (stack work by byte, packet and skb from core/workloads/stack.ts, maps and
// unmaps per packet, exits, flush amortization), averaged instead of
// simulated. It is instant, so the UI can preview a scenario while it is
// edited.
//
// Every place where the real system serializes is a FIFO server, and the
// vCPUs form a closed system around them (mean value analysis: a vCPU waiting
// at a server makes no further requests, so waits saturate instead of
// diverging):
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
// Holds much longer than the gap between a vCPU's own requests (multi-ms
// DSIs among microsecond exits) stall each other vCPU once per hold; they are
// charged as a blocked share of time instead of a wait per request.
// Queueing formulas are only good while every server has slack: above 90%
// busy the estimate gives no throughput and says so (`outOfRange`).
//
// Where the two part (docs/MODEL.md): the estimate assumes every IOVA
// allocation hits the per-CPU cache, counts one full-ring flush per
// (rings x usable slots) unmaps plus one timer flush per period, and ignores
// interrupt moderation, TSQ and the warm-up transient.
import { backendForPath, type BackendModel, type DomainView, type OpCost } from '../backends/index.ts';
import { guestDmaPathFacts, resolveScenarioPolicy, vmmPathOrProblem } from '../model/effective.ts';
import type { Costs } from '../model/costs.ts';
import { parseScenario, type Scenario } from '../model/scenario.ts';
import type { BottleneckKind } from '../model/result.ts';
import type { DmaMode } from '../guest/dma.ts';
import { lineRatePps, maxGoodputGbps, mssBytes, queueShares, rxBufferLayout } from '../workloads/context.ts';
import { rxResidentMappings } from '../workloads/iperf-rx.ts';
import { skbLayout } from '../workloads/iperf-tx.ts';
import { acksPerTsoSkb, groPoll, rxSegmentsNs, txSkbNs } from '../workloads/stack.ts';

import { MAX_TRUSTED_UTILIZATION } from './range.ts';
export { MAX_TRUSTED_UTILIZATION };

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

/** How the guest submits an operation's invalidation (as DmaApi does): a device-TLB descriptor with ATS, in the same submission only with qi_batch. */
interface SubmitRule {
  ats: boolean;
  qiBatch: boolean;
}

function opLoad(costs: Costs, op: OpCost, rule: SubmitRule): Load {
  const load: Load = { ...ZERO, vcpuNs: op.faultNs };
  const sub = op.submission;
  if (!sub) return load;
  load.invalidations = rule.ats ? 2 : 1;
  const services = !rule.ats
    ? [sub.submitNs + sub.invalidateNs]
    : rule.qiBatch
      ? [sub.submitNs + sub.invalidateNs + sub.deviceTlbNs]
      : [sub.submitNs + sub.invalidateNs, sub.submitNs + sub.deviceTlbNs];
  for (const serviceNs of services) {
    if (sub.exit) {
      // The vCPU holds q_lock for its exit's round trip and QEMU's handling.
      const hold = costs.exitRoundTripNs + serviceNs;
      load.exits += 1;
      load.qSubmissions += 1;
      load.qHoldNs += hold;
      load.qHoldSqNs += hold * hold;
      load.handlingNs += serviceNs;
    } else {
      // Bare metal: the CPU waits for the hardware to serve the descriptor.
      load.hwDescriptors += 1;
      load.hwServiceNs += serviceNs;
      load.hwServiceSqNs += serviceNs * serviceNs;
    }
  }
  return load;
}

function add(a: Load, b: Load, times = 1): Load {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof Load)[]) out[k] += b[k] * times;
  return out;
}

/** Per-mapping load of map + unmap in one mode, excluding flushes. */
function mapUnmapLoad(mode: DmaMode, costs: Costs, backend: BackendModel, pages: number, lazyUnmapExtraNs: number, rule: SubmitRule): Load {
  if (mode === 'passthrough') return ZERO;
  let load: Load = { ...ZERO, vcpuNs: 2 * costs.iovaRcacheHitNs + 2 * pages * costs.ptePerPageNs + (mode === 'lazy' ? costs.fqQueueNs + lazyUnmapExtraNs : 0) };
  load = add(load, opLoad(costs, backend.map(pages), rule));
  load = add(load, opLoad(costs, backend.pteClear(pages), rule));
  if (mode === 'strict') load = add(load, opLoad(costs, backend.strictInvalidate(pages), rule));
  return load;
}

/** Holds of one kind at a server, per unit of work (segment or skb) of one vCPU. */
interface HoldClass {
  visitsPerUnit: number;
  holdNs: number;
}

interface Station {
  /** Visits per unit, mean hold, and the mean residual hold an arrival finds, E[S^2] / 2 E[S]. */
  visits: number;
  holdNs: number;
  residualNs: number;
}

function station(classes: HoldClass[]): Station {
  let visits = 0;
  let sum = 0;
  let sumSq = 0;
  for (const c of classes) {
    if (c.visitsPerUnit <= 0 || c.holdNs <= 0) continue;
    visits += c.visitsPerUnit;
    sum += c.visitsPerUnit * c.holdNs;
    sumSq += c.visitsPerUnit * c.holdNs * c.holdNs;
  }
  return visits > 0 ? { visits, holdNs: sum / visits, residualNs: sumSq / (2 * sum) } : { visits: 0, holdNs: 0, residualNs: 0 };
}

/**
 * Mean value analysis of a closed system: `vcpus` vCPUs each cycle through
 * their own work (`thinkNs` per unit) and the FIFO servers. An arrival finds
 * the others' queue of the system with one vCPU fewer (the arrival theorem):
 * it waits a full hold for each one queued and the residual of the one in
 * service, E[S^2] / 2 E[S], which for a mix of short exits and multi-ms DSIs
 * is about half a DSI. A vCPU blocked at a server makes no further requests,
 * so the wait saturates instead of diverging. Returns units per ns (all vCPUs)
 * and each server's time per unit (wait + hold).
 */
function closedSystem(thinkNs: number, stations: Station[], vcpus: number): { unitsPerNs: number; residenceNs: number[] } {
  let queue = stations.map(() => 0);
  let rate = 0;
  let residence = stations.map(() => 0);
  for (let n = 1; n <= vcpus; n++) {
    residence = stations.map((st, k) => {
      if (!st.visits) return 0;
      const busy = Math.min(1, rate * st.visits * st.holdNs);
      const waiting = Math.max(0, queue[k]! - busy);
      return st.visits * (st.holdNs + waiting * st.holdNs + busy * st.residualNs);
    });
    // No server can serve more than one second of holds per second.
    const bound = Math.min(...stations.map((st) => (st.visits ? 1 / (st.visits * st.holdNs) : Infinity)));
    rate = Math.min(n / (thinkNs + residence.reduce((a, r) => a + r, 0)), bound);
    queue = residence.map((r) => rate * r);
  }
  return { unitsPerNs: rate, residenceNs: residence };
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
  const decision = resolveScenarioPolicy(s);
  // The path for `mode`; a translated mode on a guest without DMA remapping has none, so no IOMMU work.
  const path = vmmPathOrProblem(s, decision, mode);
  const backend = backendForPath('path' in path ? path.path.path : 'identity', costs);
  const lazyUnmapExtraNs = guestDmaPathFacts(decision).lazyGatherTracking ? costs.lazyGatherTrackingNs : 0;
  const rule: SubmitRule = { ats: s.device.ats, qiBatch: s.guest.qiBatch };
  const d = s.device;
  const shares = queueShares(s.workload.streams, d.queues, s.guest.vcpus);
  const active = shares.length;
  const wl = workloadOf(s, costs);

  const mapsPerUnit = wl.mappings.reduce((a, m) => a + m.perUnit, 0);
  const dma = wl.mappings.reduce((acc, m) => add(acc, mapUnmapLoad(mode, costs, backend, m.pages, lazyUnmapExtraNs, rule), m.perUnit), ZERO);

  // Lazy: the domain flush, amortized over the unmaps it retires.
  const presentPtes = s.workload.kind === 'iperf-rx' ? active * rxResidentMappings(d) * rxBufferLayout(d.mtu, d.rxBufferBytes).pagesPerUnit : 0;
  const rings = s.flushQueue.kind === 'single' ? 1 : active;
  const unmapsPerFullFlush = rings * (s.flushQueue.size - 1);
  const singleQueue = mode === 'lazy' && s.flushQueue.kind === 'single';
  const ownWorkNs = (l: Load) => l.vcpuNs + l.qHoldNs + l.hwServiceNs;
  const perNs = (perSec: number) => perSec / 1e9;
  const offeredTotal = shares.reduce((a, sh) => a + wl.offeredUnitsPerSec * sh, 0);

  const evaluate = (unitsPerSec: number) => {
    const unmapRate = unitsPerSec * mapsPerUnit;
    const fullFlushes = mode === 'lazy' ? unmapRate / unmapsPerFullFlush : 0;
    const timerFlushes = mode === 'lazy' && unmapRate > 0 ? 1000 / s.flushQueue.timeoutMs : 0;
    const flushesPerSec = fullFlushes + timerFlushes;
    // Every unmapped IOVA is stale in exactly one flush: a flush retires the unmaps since the last one.
    const domain: DomainView = { presentPtes, staleMappings: flushesPerSec > 0 ? unmapRate / flushesPerSec : 0 };
    const flush = flushesPerSec > 0 ? opLoad(costs, backend.flush(domain), rule) : ZERO;
    const total = add(add(ZERO, dma, unitsPerSec), flush, flushesPerSec);
    const perUnit = (n: number) => (unitsPerSec > 0 ? n / unitsPerSec : 0);
    const mean = (sum: number, count: number) => (count > 0 ? sum / count : 0);
    // With a single queue, ring-full flushes run under fq->lock: they serialize there.
    const flushesAtQ = singleQueue ? timerFlushes : flushesPerSec;

    const classes: HoldClass[][] = [
      // q_lock: every submission holds it for its round trip and QEMU's handling.
      [
        { visitsPerUnit: dma.qSubmissions, holdNs: mean(dma.qHoldNs, dma.qSubmissions) },
        { visitsPerUnit: perUnit(flushesAtQ * flush.qSubmissions), holdNs: mean(flush.qHoldNs, flush.qSubmissions) },
      ],
      // Bare-metal hardware queue: one descriptor at a time.
      [
        { visitsPerUnit: dma.hwDescriptors, holdNs: mean(dma.hwServiceNs, dma.hwDescriptors) },
        { visitsPerUnit: perUnit(flushesAtQ * flush.hwDescriptors), holdNs: mean(flush.hwServiceNs, flush.hwDescriptors) },
      ],
      // Single flush queue: every queue_iova() takes fq->lock; a ring-full flush holds it throughout.
      singleQueue
        ? [
            { visitsPerUnit: mapsPerUnit, holdNs: costs.fqQueueNs },
            { visitsPerUnit: perUnit(fullFlushes), holdNs: ownWorkNs(flush) },
          ]
        : [],
    ];
    // Own work outside any server; the fq->lock hold of queue_iova() is part of the DMA work.
    const ownNs = wl.stackNs + dma.vcpuNs - (singleQueue ? mapsPerUnit * costs.fqQueueNs : 0) + perUnit(flushesPerSec * flush.vcpuNs);
    // A hold longer than the gap between a vCPU's own requests (a multi-ms
    // DSI among exits of microseconds) stalls the others once each, not once
    // per request they would have made: such holds are split off the queueing
    // analysis and charged as the share of time they block the others.
    const cycleNs = ownNs + classes.flat().reduce((a, c) => a + c.visitsPerUnit * c.holdNs, 0);
    const isLong = (c: HoldClass, k: number) => {
      const visits = classes[k]!.reduce((a, x) => a + x.visitsPerUnit, 0);
      return c.holdNs * visits > cycleNs;
    };
    const stations = classes.map((cs, k) => station(cs.filter((c) => !isLong(c, k))));
    const longHolds = classes.flatMap((cs, k) => cs.filter((c) => isLong(c, k)).map((c) => ({ ...c, ownPerNs: cs.reduce((a, x) => a + x.visitsPerUnit, 0) / cycleNs })));
    const thinkNs = ownNs + longHolds.reduce((a, c) => a + c.visitsPerUnit * c.holdNs, 0);
    const others = active > 1 ? (active - 1) / active : 0;
    // Share of a vCPU's time spent stalled behind the others' long holds: each
    // stalls it for the part left after its next request, S - (1 - e^(-rS)) / r.
    // Long holds are mostly timer flushes, one domain timer apart, so they
    // do not queue behind each other.
    const blockedShare = (unitsPerNs: number) => {
      let blocked = 0;
      for (const c of longHolds) blocked += unitsPerNs * c.visitsPerUnit * others * (c.holdNs + Math.expm1(-c.ownPerNs * c.holdNs) / c.ownPerNs);
      return Math.min(1, blocked);
    };
    const solveAt = (extraThinkNs: number) => {
      const base = closedSystem(thinkNs + extraThinkNs, stations, active);
      if (!longHolds.length) return base;
      // The rate u with u = base x (1 - blocked(u)): blocked rises with u, so bisect.
      let lo = 0;
      let hi = base.unitsPerNs;
      for (let i = 0; i < 50; i++) {
        const mid = (lo + hi) / 2;
        if (base.unitsPerNs * (1 - blockedShare(mid)) >= mid) lo = mid;
        else hi = mid;
      }
      return { unitsPerNs: lo, residenceNs: base.residenceNs };
    };
    let solved = solveAt(0);
    // The link caps what the vCPUs are offered: they idle between units.
    const offeredPerNs = offeredTotal / 1e9;
    if (solved.unitsPerNs > offeredPerNs) {
      let lo = 0;
      let hi = active / offeredPerNs;
      for (let i = 0; i < 50; i++) {
        const mid = (lo + hi) / 2;
        if (solveAt(mid).unitsPerNs > offeredPerNs) lo = mid;
        else hi = mid;
      }
      solved = solveAt(hi);
    }
    const capacity = solved.unitsPerNs * 1e9;
    const perUnitNs = (active * 1e9) / Math.max(capacity, 1e-300);
    const serverNs = solved.residenceNs.reduce((a, r) => a + r, 0);
    const holdNs = stations.reduce((a, st) => a + st.visits * st.holdNs, 0);
    const busy = (k: number) => (capacity * classes[k]!.reduce((a, c) => a + c.visitsPerUnit * c.holdNs, 0)) / 1e9;
    const servers: Record<ServerName, number> = { bql: perNs(total.handlingNs), qLock: busy(0), hwQueue: busy(1), fqLock: busy(2) };
    return { flushesPerSec, total, servers, waitNs: serverNs - holdNs, flushPerUnitNs: perUnit(flushesPerSec * ownWorkNs(flush)), perUnitNs, capacity };
  };

  // The flush rate per unit depends on the rate (timer flushes come per
  // second), so find the fixed point by bisection.
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
  // fio on NVMe has no closed form yet: its figures here would be the NIC's.
  const outOfRange = s.workload.kind === 'fio' ? 'out of range: use the event model (no closed form for fio on NVMe yet)'
    : p.servers[busiest] > MAX_TRUSTED_UTILIZATION || !Number.isFinite(p.perUnitNs)
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
