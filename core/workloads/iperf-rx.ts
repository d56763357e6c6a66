// iperf receive: the guest receives TCP streams. Per NAPI poll the driver
// cleans the TX completions of the ACKs it sent, then processes up to
// `napiBudget` segments: per segment the driver and GRO work and the copy to
// user space; at the end of the poll GRO hands its merged skbs (up to 64 KiB
// of one flow) to TCP, which ACKs each one. RX buffers come from a page pool:
// a page is unmapped only when it leaves the pool (share `rxPageUnmapShare`),
// and a fresh page is mapped in its place. Each ACK is a small skb: one map,
// one unmap.
//
// Offered load: the sender keeps the queue's share of the line rate coming;
// when the vCPU cannot keep up, the ring stays full (TCP holds the sender back
// instead of dropping, so the vCPU's rate is the throughput).
import type { Proc, ProcessBody } from '../engine/simulator.ts';
import { CAT } from '../model/accounting.ts';
import type { Prng } from '../engine/prng.ts';
import type { Scenario } from '../model/scenario.ts';
import { lineRatePps, mssBytes, rxBufferLayout, type QueueSpec, type WorkloadContext } from './context.ts';
import { groPoll, rxSegmentsNs } from './stack.ts';

export function* iperfRxQueue(ctx: WorkloadContext, proc: Proc, q: QueueSpec): ProcessBody {
  const { scenario: s, costs, dma, counters, endNs } = ctx;
  const segmentsId = counters.id('net.segments');
  const bytesId = counters.id('net.payloadBytes');
  const d = s.device;
  const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
  const ppsPerNs = (lineRatePps(d.lineRateGbps, d.mtu) * q.share) / 1e9;
  const maxBacklog = Math.max(1, Math.floor(d.ringSize / layout.buffersPerPacket));
  const payload = mssBytes(d.mtu);
  const itrNs = d.interruptModerationUs * 1000;
  const flows = Math.max(1, Math.round(q.share * s.workload.streams));
  const segmentNs = rxSegmentsNs(costs, 1, payload);
  // A saturated queue polls full budgets: their GRO outcome is the same every time.
  const fullPoll = groPoll(d.napiBudget, flows, payload, s.workload.ackEveryBytes);

  let consumed = 0;
  let buffersUsed = 0;
  let unitsToUnmap = pagesUntilUnmap(q.prng, d.rxPageUnmapShare);
  let acksInFlight = 0;
  let lastIrq = -Infinity;
  ctx.held[q.index] = rxResidentMappings(d);

  while (proc.t < endNs) {
    const arrived = Math.floor(ppsPerNs * proc.t);
    if (arrived - consumed > maxBacklog) consumed = arrived - maxBacklog;
    if (arrived === consumed) {
      // Ring drained: NAPI completes, the interrupt fires with the next packet, moderated.
      const wake = Math.max((consumed + 1) / ppsPerNs, lastIrq + itrNs);
      lastIrq = wake;
      yield { kind: 'sleep', until: wake };
      continue;
    }
    proc.spend(CAT.stack, costs.napiPollNs);
    for (; acksInFlight > 0; acksInFlight--) {
      ctx.held[q.index]!--;
      yield* dma.unmap(proc, 1);
    }

    // Segments are handled in runs that end where something other than stack
    // work happens: a page leaving the pool, or the end of the run.
    const n = Math.min(d.napiBudget, arrived - consumed);
    let done = 0;
    while (done < n && proc.t < endNs) {
      const toUnmap = Math.ceil(((unitsToUnmap - 1) * layout.buffersPerUnit + layout.buffersPerUnit - buffersUsed) / layout.buffersPerPacket);
      const toEnd = Math.ceil((endNs - proc.t) / segmentNs);
      const run = Math.max(1, Math.min(n - done, toUnmap, toEnd));
      proc.spend(CAT.stack, run * segmentNs);
      done += run;
      buffersUsed += run * layout.buffersPerPacket;
      unitsToUnmap -= Math.floor(buffersUsed / layout.buffersPerUnit);
      buffersUsed %= layout.buffersPerUnit;
      while (unitsToUnmap <= 0) {
        // The page left the pool: unmap it, map a fresh one in its place.
        ctx.held[q.index]!--;
        yield* dma.unmap(proc, layout.pagesPerUnit);
        yield* dma.map(proc, layout.pagesPerUnit);
        ctx.held[q.index]!++;
        unitsToUnmap += pagesUntilUnmap(q.prng, d.rxPageUnmapShare);
      }
    }
    // The poll ends: GRO flushes its skbs to TCP, which ACKs each of them.
    const gro = done === d.napiBudget ? fullPoll : groPoll(done, flows, payload, s.workload.ackEveryBytes);
    proc.spend(CAT.stack, gro.skbs * costs.rxGroSkbNs + gro.acks * costs.ackTxNs);
    for (let a = 0; a < gro.acks; a++) {
      yield* dma.map(proc, 1);
      acksInFlight++;
      ctx.held[q.index]!++;
    }
    consumed += done;
    counters.add(segmentsId, done);
    counters.add(bytesId, done * payload);
    // Give the other processes their turn in time order.
    yield { kind: 'sleep', until: proc.t };
  }
}

/**
 * Pages (mapping units) that go through the pool until the next one leaves it:
 * geometric with parameter `share`, one draw per unmap instead of one per page.
 */
export function pagesUntilUnmap(prng: Prng, share: number): number {
  if (share <= 0) return Infinity;
  if (share >= 1) return 1;
  return 1 + Math.floor(Math.log(1 - prng.next()) / Math.log(1 - share));
}

/** Mappings the queue holds when the interface is up: its ring plus its page pool. */
export function iperfRxSetupMappings(ctx: WorkloadContext, cpu: number): void {
  const d = ctx.scenario.device;
  const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
  const units = rxResidentMappings(d);
  for (let i = 0; i < units; i++) ctx.dma.mapAtSetup(cpu, layout.pagesPerUnit);
}

/** Mappings a queue keeps live besides ACKs in flight: its ring's buffers plus its page pool. */
export function rxResidentMappings(d: Scenario['device']): number {
  const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
  return Math.ceil(d.ringSize / layout.buffersPerUnit) + Math.ceil(d.pagePoolPages / layout.pagesPerUnit);
}
