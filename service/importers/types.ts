// The normalized form of a measurement imported from a tool's JSON output:
// key facts, scalar metrics with units in their names, and time series.
// Plain JSON data, so it can be journaled as a run result and sent over the wire.
import type { Series } from '../../db/index.ts';

export type MeasurementTool = 'iperf3' | 'fio';

interface MeasurementBase {
  tool: MeasurementTool;
  /** The tool's own version string, e.g. "iperf 3.12" or "fio-3.33". */
  version: string;
  /** ISO-8601 UTC: iperf3's start time, fio's time of writing its report. */
  measuredAt: string;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  /** Scalar results; names carry units (receivedGbps, readClatP99Us). */
  metrics: Record<string, number>;
  /** Series by name, t in seconds from the start. */
  series: Record<string, Series>;
}

export interface Iperf3Measurement extends MeasurementBase {
  tool: 'iperf3';
  /** `uname -a` style line of the host that wrote the output, when present. */
  systemInfo: string | null;
  localHost: string | null;
  remoteHost: string | null;
  protocol: 'TCP' | 'UDP';
  streams: number;
  /** Requested test length (-t) in seconds. */
  requestedDurationSec: number;
  /** -R: the server sent and the client received. */
  reverse: boolean;
  /** Bytes per write (-l). */
  blockSizeBytes: number | null;
  congestion: { sender: string | null; receiver: string | null };
  receivedBitsPerSecond: number;
  sentBitsPerSecond: number;
  /** TCP retransmits seen by the sender; null for UDP or when not reported. */
  retransmits: number | null;
  cpu: { hostTotalPercent: number; remoteTotalPercent: number } | null;
  udp: { jitterMs: number | null; lostPercent: number | null; packets: number | null } | null;
}

export interface FioDirection {
  iops: number;
  bandwidthMiBps: number;
  ioBytes: number;
  totalIos: number;
  /** Completion latency in microseconds; null when the direction did no I/O or percentiles are off. */
  clatUs: { mean: number | null; p50: number | null; p99: number | null; p99_9: number | null };
}

export interface FioJob {
  name: string;
  /** The job's options as fio reports them (rw, bs, ioengine, iodepth, ...). */
  options: Record<string, string>;
  runtimeMs: number;
  read: FioDirection;
  write: FioDirection;
}

export interface FioMeasurement extends MeasurementBase {
  tool: 'fio';
  globalOptions: Record<string, string>;
  jobs: FioJob[];
  /**
   * All jobs together: IOPS and bandwidth add up; a latency percentile is the
   * largest of the jobs' (an upper bound of the pooled percentile).
   */
  total: { read: FioDirection; write: FioDirection };
}

export type Measurement = Iperf3Measurement | FioMeasurement;
