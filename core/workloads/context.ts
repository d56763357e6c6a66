// What a workload process needs from the simulation around it.
import type { Counters } from '../engine/counters.ts';
import type { CounterName } from '../model/accounting.ts';
import type { Prng } from '../engine/prng.ts';
import type { DmaApi } from '../guest/dma.ts';
import type { Costs } from '../model/costs.ts';
import type { Scenario } from '../model/scenario.ts';

export interface WorkloadContext {
  scenario: Scenario;
  costs: Costs;
  dma: DmaApi;
  counters: Counters<CounterName>;
  endNs: number;
  /** Mappings each queue holds by its own bookkeeping (ring, pool, in-flight skbs), for conservation checks. */
  held: number[];
}

export interface QueueSpec {
  index: number;
  /** Share of the line rate offered to this queue (its streams over all streams). */
  share: number;
  prng: Prng;
}

/** Ethernet framing around an IP packet: header 14, FCS 4, preamble 8, inter-frame gap 12 bytes. */
export const ETHERNET_OVERHEAD_BYTES = 38;
/** IPv4 20 + TCP 20 + timestamp option 12 bytes per segment. */
export const TCP_IP_HEADER_BYTES = 52;
export const PAGE_BYTES = 4096;

export function mssBytes(mtu: number): number {
  return mtu - TCP_IP_HEADER_BYTES;
}

export function wireBitsPerSegment(mtu: number): number {
  return (mtu + ETHERNET_OVERHEAD_BYTES) * 8;
}

/** Full-size segments per second the link carries at line rate. */
export function lineRatePps(lineRateGbps: number, mtu: number): number {
  return (lineRateGbps * 1e9) / wireBitsPerSegment(mtu);
}

/** Most TCP payload the link can carry. */
export function maxGoodputGbps(lineRateGbps: number, mtu: number): number {
  return (lineRatePps(lineRateGbps, mtu) * mssBytes(mtu) * 8) / 1e9;
}

/** How RX buffers pack into DMA mappings: a mapping unit is one page or one higher-order page. */
export function rxBufferLayout(mtu: number, rxBufferBytes: number) {
  const unitBytes = Math.max(PAGE_BYTES, rxBufferBytes);
  return {
    pagesPerUnit: unitBytes / PAGE_BYTES,
    buffersPerUnit: Math.max(1, Math.floor(unitBytes / rxBufferBytes)),
    buffersPerPacket: Math.ceil((mtu + 14) / rxBufferBytes),
  };
}

/** Streams are spread round-robin over the queues that can be active (RSS, one vCPU per queue). */
export function queueShares(streams: number, queues: number, vcpus: number): number[] {
  const active = Math.min(streams, queues, vcpus);
  const counts = new Array<number>(active).fill(0);
  for (let s = 0; s < streams; s++) counts[s % active]!++;
  return counts.map((c) => c / streams);
}
