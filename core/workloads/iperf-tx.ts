// iperf send: the guest sends TCP streams as TSO skbs. Each skb costs the
// send path per skb and the copy from user space per byte, then maps its head
// and each page fragment; the NIC sends it at the queue's share of the line
// rate; the completion is cleaned in a later pass, which unmaps every mapping
// (no recycling on TX) and frees the skb's bytes. TCP Small Queues bound the
// bytes a socket has below TCP (qdisc and NIC ring, until the TX clean frees
// them) to tcp_limit_output_bytes: when completions are cleaned late, for
// instance behind strict unmaps, the sender waits. ACKs coming back use
// recycled RX pages.
import type { Proc, ProcessBody } from '../engine/simulator.ts';
import { CAT } from '../model/accounting.ts';
import { ETHERNET_OVERHEAD_BYTES, mssBytes, PAGE_BYTES, TCP_IP_HEADER_BYTES, type QueueSpec, type WorkloadContext } from './context.ts';
import { acksPerTsoSkb, defaultTsqLimitBytes, txSkbNs } from './stack.ts';
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
  const acksPerSkb = acksPerTsoSkb(w.tsoBytes, mssBytes(d.mtu), w.ackEveryBytes);
  const sendNs = txSkbNs(costs, w.tsoBytes) + acksPerSkb * costs.ackRxNs;
  // TSQ is per socket: the queue's streams together may hold this many skbs below TCP.
  const streamsHere = Math.max(1, Math.round(q.share * w.streams));
  const tsqSkbs = tsqSkbsPerQueue(w.tsqLimitBytes ?? defaultTsqLimitBytes(s.guest.kernel), w.tsoBytes, streamsHere);

  const completions: number[] = [];
  let head = 0;
  let wireFree = 0;
  let lastIrq = -Infinity;
  let sinceYield = 0;
  ctx.held[q.index] = 0;

  while (proc.t < endNs) {
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
    const queued = completions.length - head;
    if ((queued + 1) * skb.descriptors > d.ringSize || queued >= tsqSkbs) {
      // Ring full, or TSQ throttled: wait for the next completion interrupt.
      const wake = Math.max(completions[head]!, lastIrq + itrNs);
      lastIrq = wake;
      yield { kind: 'sleep', until: wake };
      continue;
    }
    proc.spend(CAT.stack, sendNs);
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

/**
 * skbs one queue may have below TCP: each socket may queue
 * tcp_limit_output_bytes (tcp_small_queue_check; pacing_rate >> 10 is larger
 * at these rates, so the sysctl binds), and at least one skb.
 */
export function tsqSkbsPerQueue(limitBytes: number, tsoBytes: number, streams: number): number {
  return streams * Math.max(1, Math.floor(limitBytes / tsoBytes));
}
