// Measured runs as the Calibrate form shows them: which of their metrics to
// ask the journal for, and which one a point compares by default.
import { SCALAR_METRIC_NAMES } from '../../../../service/protocol/index.ts';
import type { RunSummary } from '../types.ts';

/** The service's choice when a point names no measured metric. */
export { defaultMeasuredMetric } from '../../../../service/protocol/index.ts';

/** What the iperf3 and fio importers record (runs.list returns only the metrics asked for). */
export const MEASURED_METRICS = [
  'receivedGbps',
  'sentGbps',
  'retransmits',
  'hostCpuPercent',
  'remoteCpuPercent',
  'jitterMs',
  'lostPercent',
  'readIops',
  'readBandwidthMiBps',
  'readClatMeanUs',
  'readClatP50Us',
  'readClatP99Us',
  'readClatP99_9Us',
  'writeIops',
  'writeBandwidthMiBps',
  'writeClatMeanUs',
  'writeClatP50Us',
  'writeClatP99Us',
  'writeClatP99_9Us',
] as const;

/** The scalar metrics a simulation reports (the fit also takes `vmExitsPerSec.<reason>` and `invalidationsPerSec.<kind>`). */
export const SIMULATED_METRICS = SCALAR_METRIC_NAMES;

/** The id of the page's one datalist of SIMULATED_METRICS, which every point's metric input offers. */
export const SIMULATED_METRICS_DATALIST = 'simulated-metrics';

/** When the measurement was taken: the tool's own start time if imported with one, else the import. */
export function measuredAt(run: Pick<RunSummary, 'startedAt' | 'createdAt'>): string {
  return run.startedAt ?? run.createdAt;
}
