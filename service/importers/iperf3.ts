// iperf3 -J output -> a normalized measurement. The schema lists only what is
// used; other fields (and those of newer iperf3 versions) pass through.
import { z } from 'zod';
import { ImportError } from './errors.ts';
import { parseToolJson } from './json-text.ts';
import { parseWith } from './schema-errors.ts';
import type { Iperf3Measurement } from './types.ts';

const num = z.number();
// Values no run can report: an edited or corrupted file is refused, naming the field.
const count = z.number().min(0, 'must not be negative');
const bitsPerSecond = count.max(1e15, 'must be at most 1e15 (1 Pbit/s): no link is that fast');
const percent = count.max(100, 'must be a percentage from 0 to 100');

const sumSchema = z.object({
  seconds: count,
  bits_per_second: bitsPerSecond,
  retransmits: count.optional(),
  jitter_ms: count.optional(),
  lost_percent: percent.optional(),
  packets: count.optional(),
});

const iperf3Schema = z.object({
  start: z.object({
    version: z.string().optional(),
    system_info: z.string().optional(),
    timestamp: z.object({ timesecs: num }),
    connected: z.array(z.object({ local_host: z.string().optional(), remote_host: z.string().optional() })).optional(),
    test_start: z.object({
      protocol: z.string(),
      num_streams: z.int(),
      duration: num,
      reverse: num,
      blksize: num.optional(),
    }),
  }),
  intervals: z.array(z.object({ sum: z.object({ end: num, bits_per_second: bitsPerSecond, omitted: z.boolean().optional() }) })),
  end: z.object({
    sum_sent: sumSchema.optional(),
    sum_received: sumSchema.optional(),
    sum: sumSchema.optional(),
    // Multi-threaded iperf3 can pass 100% of one CPU: only the sign is checked.
    cpu_utilization_percent: z.object({ host_total: count, remote_total: count }).optional(),
    sender_tcp_congestion: z.string().optional(),
    receiver_tcp_congestion: z.string().optional(),
  }),
});

const missing = (field: string): ImportError =>
  new ImportError('iperf3', field, `not iperf3 -J output: missing ${field} (was the run interrupted?)`);

/** Parses the text of `iperf3 -c ... -J` (client side; server side -J works too). Throws ImportError. */
export function parseIperf3(text: string): Iperf3Measurement {
  return iperf3FromJson(parseToolJson('iperf3', text));
}

/** The measurement in an already parsed iperf3 -J document. Throws ImportError. */
export function iperf3FromJson(json: Record<string, unknown>): Iperf3Measurement {
  // iperf3 writes {"error": "..."} (with empty start/end) when the test could not run or was interrupted.
  if (typeof json.error === 'string') throw new ImportError('iperf3', 'error', `iperf3 reported an error: ${json.error}`);
  const doc = parseWith('iperf3', 'iperf3 -J', iperf3Schema, json, (path) => (path.startsWith('end') ? 'was the run interrupted?' : undefined));
  const { start, end } = doc;
  const t = start.test_start;
  const protocol = t.protocol.toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP') {
    throw new ImportError('iperf3', 'start.test_start.protocol', `start.test_start.protocol must be TCP or UDP, got ${JSON.stringify(t.protocol)}`);
  }

  // TCP: both ends report; UDP: iperf3 before 3.9 only has `sum` (the receiver's view, with jitter and loss).
  const received = end.sum_received ?? (protocol === 'UDP' ? end.sum : undefined);
  const sent = end.sum_sent ?? (protocol === 'UDP' ? end.sum : undefined);
  if (!received) throw missing('end.sum_received');
  if (!sent) throw missing('end.sum_sent');

  const startMs = start.timestamp.timesecs * 1000;
  if (!Number.isFinite(new Date(startMs).getTime())) {
    throw new ImportError('iperf3', 'start.timestamp.timesecs', `start.timestamp.timesecs must be seconds since 1970, got ${start.timestamp.timesecs}`);
  }
  const durationSec = Math.max(received.seconds, sent.seconds);
  const retransmits = protocol === 'TCP' ? (sent.retransmits ?? null) : null;
  const cpu = end.cpu_utilization_percent ? { hostTotalPercent: end.cpu_utilization_percent.host_total, remoteTotalPercent: end.cpu_utilization_percent.remote_total } : null;
  const udpSum = end.sum ?? received;
  const udp = protocol === 'UDP' ? { jitterMs: udpSum.jitter_ms ?? null, lostPercent: udpSum.lost_percent ?? null, packets: udpSum.packets ?? null } : null;

  const metrics: Record<string, number> = {
    receivedGbps: received.bits_per_second / 1e9,
    sentGbps: sent.bits_per_second / 1e9,
  };
  if (retransmits !== null) metrics.retransmits = retransmits;
  if (cpu) {
    metrics.hostCpuPercent = cpu.hostTotalPercent;
    metrics.remoteCpuPercent = cpu.remoteTotalPercent;
  }
  if (udp?.jitterMs != null) metrics.jitterMs = udp.jitterMs;
  if (udp?.lostPercent != null) metrics.lostPercent = udp.lostPercent;

  // Omitted intervals (-O, TCP slow start) are not part of the result, so not of the series either.
  const kept = doc.intervals.filter((i) => i.sum.omitted !== true);
  const connection = start.connected?.[0];
  return {
    tool: 'iperf3',
    version: start.version ?? 'iperf3 (version not reported)',
    measuredAt: new Date(startMs).toISOString(),
    startedAt: new Date(startMs).toISOString(),
    finishedAt: new Date(startMs + durationSec * 1000).toISOString(),
    durationSec,
    systemInfo: start.system_info ?? null,
    localHost: connection?.local_host ?? null,
    remoteHost: connection?.remote_host ?? null,
    protocol,
    streams: t.num_streams,
    requestedDurationSec: t.duration,
    reverse: t.reverse !== 0,
    blockSizeBytes: t.blksize ?? null,
    congestion: { sender: end.sender_tcp_congestion ?? null, receiver: end.receiver_tcp_congestion ?? null },
    receivedBitsPerSecond: received.bits_per_second,
    sentBitsPerSecond: sent.bits_per_second,
    retransmits,
    cpu,
    udp,
    metrics,
    series: { throughputGbps: { t: kept.map((i) => i.sum.end), v: kept.map((i) => i.sum.bits_per_second / 1e9) } },
  };
}
