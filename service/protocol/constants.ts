// Values of the protocol that carry no schema: hosts show them (help texts,
// progress bars) without loading zod or the service. The schemas in
// fields.ts and methods.ts are built from them.

/** Run lifecycle; `interrupted` is a run whose process went away. */
export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses a run does not leave again. */
export const ENDED_RUN_STATUSES = ['done', 'failed', 'cancelled', 'interrupted'] as const satisfies readonly RunStatus[];
export type EndedRunStatus = (typeof ENDED_RUN_STATUSES)[number];
export function isEndedStatus(status: RunStatus): status is EndedRunStatus {
  return (ENDED_RUN_STATUSES as readonly RunStatus[]).includes(status);
}
export const isActiveStatus = (status: RunStatus): boolean => !isEndedStatus(status);

/** The most runs `runs.compare` takes at once. */
export const MAX_COMPARE_RUNS = 50;

export const RUN_KINDS = ['simulated', 'measured'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
/**
 * The unit of a run's series times: a simulation samples in simulated
 * milliseconds; an imported measurement keeps the tool's own clock (iperf3
 * intervals end at seconds since the test began).
 */
export function seriesTimeUnit(kind: string | undefined): 'ms' | 's' {
  return kind === 'measured' ? 's' : 'ms';
}
export const BENCHMARK_SOURCES = ['simulated', 'iperf3', 'fio'] as const;
export type BenchmarkSource = (typeof BENCHMARK_SOURCES)[number];

/** The instant estimate holds while every serialization point is less busy than this share (0..1). */
export { MAX_TRUSTED_UTILIZATION as ESTIMATE_MAX_UTILIZATION } from '../../core/analytic/range.ts';

/**
 * Where journaled runs simulate: this machine's worker threads, or
 * `iommu-lab worker` processes that take jobs from the service's Redis
 * (`serve --redis URL`, `sweep --redis URL`).
 */
export const RUN_PLACES = ['this-machine', 'workers'] as const;
export type RunPlace = (typeof RUN_PLACES)[number];

/** A sweep larger than this is almost certainly a typo in the grid. */
export const MAX_SWEEP_RUNS = 10_000;
/** The largest tool output measurements.import takes (characters of text). */
export const MAX_IMPORT_TEXT_CHARS = 50 * 2 ** 20;

/** A scenario `config` larger than this (keys and array items, at any depth) is refused before it is read. */
export const MAX_SCENARIO_CONFIG_KEYS = 1000;
export const MAX_SCENARIO_CONFIG_DEPTH = 16;
/** The most scenario-field columns `runs.fields` returns; runs with more fields must name the paths wanted. */
export const MAX_FIELD_COLUMNS = 500;

/**
 * The largest export `runs.export` returns whole (characters); a larger one
 * comes back as a download read piece by piece, so no answer holds gigabytes.
 */
export const MAX_EXPORT_CONTENT_CHARS = 16 * 2 ** 20;
/** What one `downloads.read` returns at least (unless the text ends), and the most a reader may ask for. */
export const DOWNLOAD_PIECE_CHARS = 2 ** 20;
export const MAX_DOWNLOAD_PIECE_CHARS = 16 * 2 ** 20;
/** serve's link for a download: GET DOWNLOAD_PATH_PREFIX + id + '?token=' + the page's token (a chunked HTTP response the browser saves). */
export const DOWNLOAD_PATH_PREFIX = '/api/downloads/';

/** The policy the guest kernel really used, as a column beside the scenario's own fields. */
export const EFFECTIVE_POLICY_PATH = 'effective.policy';
/** The scenario columns a journal table and an export offer first, in this order; any other path the runs have follows. */
export const COMMON_FIELD_PATHS = [
  'viommu.backend',
  'policy',
  EFFECTIVE_POLICY_PATH,
  'guest.kernel',
  'guest.vcpus',
  'device.queues',
  'device.mtu',
  'flushQueue.kind',
  'flushQueue.size',
  'flushQueue.timeoutMs',
] as const;

/** A detected regression at least this much worse (percent) is flagged, on the benchmark list and by `history`, until someone acknowledges it. */
export const REGRESSION_FLAG_PCT = 2;
