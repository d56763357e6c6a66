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
