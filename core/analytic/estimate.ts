// Closed-form estimate of a scenario: the same mechanisms as the event model
// (per-segment stack work, maps and unmaps per segment, exits, flush
// amortization, the VMM lock), averaged instead of simulated. It is instant,
// so the UI can preview a scenario while it is edited.
//
// Where the two part (docs/MODEL.md): the estimate assumes every IOVA
// allocation hits the per-CPU cache, approximates lock queueing with an
// M/D/1 wait, and counts one full-ring flush per (rings x usable slots)
// unmaps plus one timer flush per period. It ignores interrupt moderation and
// the warm-up transient.
import { createBackend, type BackendModel, type DomainView, type OpCost } from '../backends/index.ts';
import type { Costs } from '../model/costs.ts';
import { parseScenario, type Scenario } from '../model/scenario.ts';
import type { BottleneckKind } from '../model/result.ts';
import type { DmaMode } from '../guest/dma.ts';
import { lineRatePps, maxGoodputGbps, mssBytes, queueShares, rxBufferLayout } from '../workloads/context.ts';
import { rxResidentMappings } from '../workloads/iperf-rx.ts';
import { skbLayout } from '../workloads/iperf-tx.ts';

export interface AnalyticEstimate {
  mode: DmaMode;
  throughputGbps: number;
  packetsPerSec: number;
  vmExitsPerSec: number;
  invalidationsPerSec: number;
  flushesPerSec: number;
  unmapsPerPacket: number;
  /** vCPU time per segment on an active queue, by part, in ns. */
  perPacketNs: { stack: number; dma: number; exits: number; lockWait: number; flush: number; total: number };
  cpuUtilization: number;
  vmmLockUtilization: number;
  bottleneck: BottleneckKind;
}

interface OpTotals {
  vcpuNs: number;
  exitNs: number;
  lockedNs: number;
  exits: number;
  invalidations: number;
}

function opTotals(costs: Costs, op: OpCost): OpTotals {
  // One submission without ATS; in-kernel faults are not exits to the VMM.
  const sub = op.submission;
  const servedNs = sub ? sub.submitNs + sub.invalidateNs : 0;
  const exits = sub?.exit ? 1 : 0;
  return {
    vcpuNs: op.faultNs + (sub && !sub.exit ? servedNs : 0),
    exitNs: exits ? costs.exitRoundTripNs + servedNs : 0,
    lockedNs: exits ? servedNs : 0,
    exits,
    invalidations: sub ? 1 : 0,
  };
}

function addOps(...ops: OpTotals[]): OpTotals {
  return ops.reduce(
    (a, b) => ({ vcpuNs: a.vcpuNs + b.vcpuNs, exitNs: a.exitNs + b.exitNs, lockedNs: a.lockedNs + b.lockedNs, exits: a.exits + b.exits, invalidations: a.invalidations + b.invalidations }),
    { vcpuNs: 0, exitNs: 0, lockedNs: 0, exits: 0, invalidations: 0 },
  );
}

/** Per-mapping costs of map + unmap in one mode, excluding flushes. */
function mapUnmapCost(mode: DmaMode, costs: Costs, backend: BackendModel, pages: number): OpTotals {
  if (mode === 'passthrough') return addOps();
  const guest = 2 * costs.iovaRcacheHitNs + 2 * pages * costs.ptePerPageNs + (mode === 'lazy' ? costs.fqQueueNs : 0);
  const ops = [opTotals(costs, backend.map(pages)), opTotals(costs, backend.pteClear(pages))];
  if (mode === 'strict') ops.push(opTotals(costs, backend.strictInvalidate(pages)));
  const t = addOps(...ops);
  return { ...t, vcpuNs: t.vcpuNs + guest };
}

export function estimate(input: unknown, mode: DmaMode): AnalyticEstimate {
  const s: Scenario = parseScenario(input);
  const costs = s.costs;
  const backend = createBackend(s.viommu.backend, costs);
  const d = s.device;
  const shares = queueShares(s.workload.streams, d.queues, s.guest.vcpus);
  const active = shares.length;

  // What one segment (rx) or one skb (tx) costs, and how many mappings of which size it turns over.
  let unitNs: number;
  let segmentsPerUnit: number;
  let mappings: { perUnit: number; pages: number }[];
  let payloadPerUnit: number;
  let offeredUnitsPerSec: number;
  if (s.workload.kind === 'iperf-rx') {
    const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
    const pageUnmaps = (layout.buffersPerPacket / layout.buffersPerUnit) * d.rxPageUnmapShare;
    unitNs = costs.rxPacketNs + costs.napiPollNs / d.napiBudget + costs.ackTxNs / s.workload.ackEverySegments;
    segmentsPerUnit = 1;
    mappings = [
      { perUnit: pageUnmaps, pages: layout.pagesPerUnit },
      { perUnit: 1 / s.workload.ackEverySegments, pages: 1 },
    ];
    payloadPerUnit = mssBytes(d.mtu);
    offeredUnitsPerSec = lineRatePps(d.lineRateGbps, d.mtu);
  } else {
    const w = s.workload;
    const skb = skbLayout(w.tsoBytes, w.fragBytes, d.mtu);
    unitNs = costs.txSkbNs + (w.tsoBytes / 1024) * costs.txCopyNsPerKiB + Math.ceil(skb.segments / w.ackEverySegments) * costs.ackTxNs;
    segmentsPerUnit = skb.segments;
    mappings = [
      { perUnit: 1, pages: 1 },
      { perUnit: skb.frags, pages: skb.fragPages },
    ];
    payloadPerUnit = w.tsoBytes;
    offeredUnitsPerSec = (d.lineRateGbps * 1e9) / skb.wireBits;
  }

  const perMapping = mappings.map((m) => ({ ...m, cost: mapUnmapCost(mode, costs, backend, m.pages) }));
  const mapsPerUnit = mappings.reduce((a, m) => a + m.perUnit, 0);
  const dmaOps = perMapping.reduce(
    (a, m) => ({ vcpuNs: a.vcpuNs + m.perUnit * m.cost.vcpuNs, exitNs: a.exitNs + m.perUnit * m.cost.exitNs, lockedNs: a.lockedNs + m.perUnit * m.cost.lockedNs, exits: a.exits + m.perUnit * m.cost.exits, invalidations: a.invalidations + m.perUnit * m.cost.invalidations }),
    addOps(),
  );

  // Lazy: the domain flush, amortized over the unmaps it retires.
  const domain: DomainView = {
    presentPtes: s.workload.kind === 'iperf-rx' ? active * rxResidentMappings(d) * rxBufferLayout(d.mtu, d.rxBufferBytes).pagesPerUnit : 0,
    staleMappings: 0,
  };
  const rings = s.flushQueue.kind === 'single' ? 1 : active;
  const unmapsPerFlushFull = rings * (s.flushQueue.size - 1);
  domain.staleMappings = unmapsPerFlushFull;
  const flushOp = mode === 'lazy' ? opTotals(costs, backend.flush(domain)) : addOps();

  // The rate per queue depends on the lock wait, which depends on the total
  // rate: find the fixed point by bisection (capacity falls as load rises).
  const offeredTotal = shares.reduce((a, sh) => a + offeredUnitsPerSec * sh, 0);
  const evaluate = (unitsPerSec: number) => {
    const unmapRate = unitsPerSec * mapsPerUnit;
    const flushesPerSec = mode === 'lazy' && unmapRate > 0 ? unmapRate / unmapsPerFlushFull + 1000 / s.flushQueue.timeoutMs : 0;
    const lockedPerSec = unitsPerSec * dmaOps.lockedNs + flushesPerSec * flushOp.lockedNs;
    const lockUtil = lockedPerSec / 1e9;
    const acquisitions = unitsPerSec * dmaOps.exits + flushesPerSec * flushOp.exits;
    // M/D/1 mean wait, seen by one of `active` vCPUs (its own exits never queue behind each other).
    const meanService = acquisitions > 0 ? lockedPerSec / acquisitions : 0;
    const rho = Math.min(lockUtil, 0.99);
    const lockWaitNs = (rho / (2 * (1 - rho))) * meanService * ((active - 1) / Math.max(1, active));
    const flushPerUnitNs = unitsPerSec > 0 ? (flushesPerSec * (flushOp.vcpuNs + flushOp.exitNs + flushOp.exits * lockWaitNs)) / unitsPerSec : 0;
    const perUnitNs = unitNs + dmaOps.vcpuNs + dmaOps.exitNs + dmaOps.exits * lockWaitNs + flushPerUnitNs;
    const capacity = shares.reduce((a, sh) => a + Math.min(offeredUnitsPerSec * sh, 1e9 / perUnitNs), 0);
    return { flushesPerSec, lockUtil, lockWaitNs, flushPerUnitNs, perUnitNs, capacity };
  };
  let lo = 0;
  let hi = offeredTotal;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (evaluate(mid).capacity >= mid) lo = mid;
    else hi = mid;
  }
  let unitsPerSec = lo;
  const point = evaluate(unitsPerSec);
  const { flushesPerSec, lockWaitNs, flushPerUnitNs, perUnitNs } = point;
  let lockUtil = point.lockUtil;
  let bottleneck: BottleneckKind = 'vcpu';
  // The lock can hand out at most one second of handling per second.
  if (lockUtil > 1) {
    unitsPerSec /= lockUtil;
    lockUtil = 1;
    bottleneck = 'vmm-lock';
  } else if (lockWaitNs * dmaOps.exits > 0.25 * perUnitNs && lockUtil >= 0.5) {
    bottleneck = 'vmm-lock';
  }

  const segmentsPerSec = unitsPerSec * segmentsPerUnit;
  const throughputGbps = (unitsPerSec * payloadPerUnit * 8) / 1e9;
  const exitsPerSec = unitsPerSec * dmaOps.exits + flushesPerSec * flushOp.exits;
  const busyNsPerSec = unitsPerSec * perUnitNs;
  if (throughputGbps >= 0.97 * maxGoodputGbps(d.lineRateGbps, d.mtu)) bottleneck = 'line-rate';
  return {
    mode,
    throughputGbps,
    packetsPerSec: segmentsPerSec,
    vmExitsPerSec: exitsPerSec,
    invalidationsPerSec: unitsPerSec * dmaOps.invalidations + flushesPerSec * flushOp.invalidations,
    flushesPerSec,
    unmapsPerPacket: mapsPerUnit / segmentsPerUnit,
    perPacketNs: {
      stack: unitNs / segmentsPerUnit,
      dma: dmaOps.vcpuNs / segmentsPerUnit,
      exits: dmaOps.exitNs / segmentsPerUnit,
      lockWait: (dmaOps.exits * lockWaitNs) / segmentsPerUnit,
      flush: flushPerUnitNs / segmentsPerUnit,
      total: perUnitNs / segmentsPerUnit,
    },
    cpuUtilization: Math.min(1, busyNsPerSec / 1e9 / s.guest.vcpus),
    vmmLockUtilization: lockUtil,
    bottleneck,
  };
}
