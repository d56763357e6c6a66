// iperf send: the guest sends TCP streams as TSO skbs. Each skb maps its head
// and each page fragment; the NIC sends it at the queue's share of the line
// rate; the completion is cleaned in a later NAPI poll, which unmaps every
// mapping (no recycling on TX). ACKs coming back use recycled RX pages.
import type { Proc, ProcessBody } from '../engine/simulator.ts';
import { CAT } from '../model/accounting.ts';
import { ETHERNET_OVERHEAD_BYTES, mssBytes, PAGE_BYTES, TCP_IP_HEADER_BYTES, type QueueSpec, type WorkloadContext } from './context.ts';

export function skbLayout(tsoBytes: number, fragBytes: number, mtu: number) {
  const frags = Math.ceil(tsoBytes / fragBytes);
  const segments = Math.ceil(tsoBytes / mssBytes(mtu));
  return {
    frags,
    fragPages: Math.ceil(fragBytes / PAGE_BYTES),
    segments,
    descriptors: frags + 1,
    wireBits: (tsoBytes + segments * (TCP_IP_HEADER_BYTES + ETHERNET_OVERHEAD_BYTES)) * 8,
  };
}

export function* iperfTxQueue(ctx: WorkloadContext, proc: Proc, q: QueueSpec): ProcessBody {
  const { scenario: s, costs, dma, counters, endNs } = ctx;
  const segmentsId = counters.id('net.segments');
  const bytesId = counters.id('net.payloadBytes');
  const d = s.device;
  const w = s.workload;
  const skb = skbLayout(w.tsoBytes, w.fragBytes, d.mtu);
  const wireNsPerSkb = skb.wireBits / (d.lineRateGbps * q.share);
  const itrNs = d.interruptModerationUs * 1000;
  const acksPerSkb = Math.ceil(skb.segments / w.ackEverySegments);
  const copyNs = (w.tsoBytes / 1024) * costs.txCopyNsPerKiB;

  const completions: number[] = [];
  let head = 0;
  let wireFree = 0;
  let lastIrq = -Infinity;
  let sinceYield = 0;
  ctx.held[q.index] = 0;

  while (proc.t < endNs) {
    proc.payStolen();
    // TX clean: unmap the head and fragments of every completed skb.
    let cleaned = 0;
    while (head < completions.length && completions[head]! <= proc.t) {
      head++;
      cleaned++;
      for (let m = 0; m < skb.descriptors; m++) {
        ctx.held[q.index]!--;
        yield* dma.unmap(proc, m === 0 ? 1 : skb.fragPages);
      }
    }
    if (cleaned) {
      counters.add(segmentsId, cleaned * skb.segments);
      counters.add(bytesId, cleaned * w.tsoBytes);
    }
    if (head > 4096) {
      completions.splice(0, head);
      head = 0;
    }
    if ((completions.length - head + 1) * skb.descriptors > d.ringSize) {
      // Ring full: wait for the next completion interrupt.
      const wake = Math.max(completions[head]!, lastIrq + itrNs);
      lastIrq = wake;
      yield { kind: 'sleep', until: wake };
      continue;
    }
    proc.spend(CAT.stack, costs.txSkbNs + copyNs + acksPerSkb * costs.ackTxNs);
    for (let m = 0; m < skb.descriptors; m++) {
      yield* dma.map(proc, m === 0 ? 1 : skb.fragPages);
      ctx.held[q.index]!++;
    }
    wireFree = Math.max(proc.t, wireFree) + wireNsPerSkb;
    completions.push(wireFree);
    if (++sinceYield >= 4) {
      sinceYield = 0;
      yield { kind: 'sleep', until: proc.t };
    }
  }
}
