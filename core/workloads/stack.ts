// The guest network stack's work, by byte, by packet and by skb, shared by the
// event model (iperf-rx, iperf-tx) and the closed-form estimate so the two
// charge the same thing.
import type { Costs } from '../model/costs.ts';
import { atLeast } from '../policy/version.ts';
import { parseKernelVersion } from '../policy/index.ts';

/** GRO merges at most this many bytes of one flow into one skb (gro_max_size default, no BIG TCP). */
export const GRO_MAX_BYTES = 65536;

export interface GroPoll {
  /** skbs GRO hands to TCP. */
  skbs: number;
  /** ACKs the receiver sends for them. */
  acks: number;
}

/**
 * GRO over one NAPI poll of `segments` full-size segments spread evenly over
 * `flows` flows: each flow's segments merge into skbs of up to 64 KiB, and the
 * poll's end flushes what is left (napi_gro_flush). TCP checks once per skb
 * whether to ACK, so the receiver sends one ACK per skb, plus one per further
 * `ackEveryBytes` of a large skb.
 */
export function groPoll(segments: number, flows: number, payloadBytes: number, ackEveryBytes: number): GroPoll {
  if (segments <= 0) return { skbs: 0, acks: 0 };
  // Called once per poll: plain arithmetic, no closures.
  const segmentsPerSkb = Math.max(1, Math.floor(GRO_MAX_BYTES / payloadBytes));
  const f = Math.max(1, Math.min(flows, segments));
  const base = Math.floor(segments / f);
  const extra = segments % f;
  const fullAcks = acksPerSkbOf(segmentsPerSkb * payloadBytes, ackEveryBytes);
  let skbs = 0;
  let acks = 0;
  // `extra` flows get one segment more than the others.
  for (let k = 0; k < 2; k++) {
    const n = k === 0 ? base + 1 : base;
    const count = k === 0 ? extra : f - extra;
    if (n <= 0 || count <= 0) continue;
    const full = Math.floor(n / segmentsPerSkb);
    const rest = n % segmentsPerSkb;
    skbs += count * (full + (rest ? 1 : 0));
    acks += count * (full * fullAcks + (rest ? acksPerSkbOf(rest * payloadBytes, ackEveryBytes) : 0));
  }
  return { skbs, acks };
}

/** TCP checks once per skb whether to ACK: one ACK per skb, plus one per further `ackEveryBytes`. */
function acksPerSkbOf(bytes: number, ackEveryBytes: number): number {
  return Math.max(1, Math.ceil(bytes / ackEveryBytes));
}

/** Guest CPU for `segments` received segments of `payloadBytes`: driver/GRO work per segment plus the copy to user space. */
export function rxSegmentsNs(costs: Costs, segments: number, payloadBytes: number): number {
  return segments * (costs.rxPacketNs + (payloadBytes / 1024) * costs.userCopyNsPerKiB);
}

/** Guest CPU of the send path for one TSO skb of `bytes`: per-skb work plus the copy from user space. */
export function txSkbNs(costs: Costs, bytes: number): number {
  return costs.txSkbNs + (bytes / 1024) * costs.userCopyNsPerKiB;
}

/**
 * ACKs the receiver sends per TSO skb of `bytes` the sender transmits: the
 * receiver's GRO rebuilds skbs of up to 64 KiB and ACKs each (see groPoll).
 */
export function acksPerTsoSkb(bytes: number, payloadBytes: number, ackEveryBytes: number): number {
  const segments = Math.ceil(bytes / payloadBytes);
  return groPoll(segments, 1, payloadBytes, ackEveryBytes).acks;
}

/**
 * Default of net.ipv4.tcp_limit_output_bytes, the TSQ bound on a socket's
 * bytes in the qdisc and the NIC ring (net/ipv4/tcp_ipv4.c, tcp_sk_init):
 * 128 KiB when TSQ came (v3.6); 256 KiB from c39c4c6abb89 "tcp: double
 * default TSQ output bytes limit" (June 2015, v4.2); 1 MiB (16 x 64 KiB) from
 * c73e5807e4f6 "tcp: tsq: no longer use limit_output_bytes for paced flows"
 * (v4.20); 4 MiB from "tcp: increase tcp_limit_output_bytes default value to
 * 4MB" (v6.16).
 */
export function defaultTsqLimitBytes(kernel: string): number {
  const v = parseKernelVersion(kernel);
  if (atLeast(v, 6, 16)) return 4 << 20;
  if (atLeast(v, 4, 20)) return 16 * 65536;
  if (atLeast(v, 4, 2)) return 262144;
  return 131072;
}
