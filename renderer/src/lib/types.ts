// The contract's result shapes under the names the views use.
import type { EventData, Result } from '../../../service/protocol/index.ts';

export type RunSummary = Result<'runs.list'>['rows'][number];
export type RunStatus = RunSummary['status'];
export type Run = Result<'runs.get'>;
export type Comparison = Result<'runs.compare'>;
export type Benchmark = Result<'benchmarks.list'>[number];
export type BenchmarkHistory = Result<'benchmarks.history'>;
export type JournalInfo = Result<'journal.info'>;
export type RunStatusEvent = EventData<'run.status'>;

/** Ended statuses, run activity and the key metric columns are the protocol's. */
export { ENDED_RUN_STATUSES as ENDED_STATUSES, isActiveStatus as isActive, KEY_METRICS } from '../../../service/protocol/index.ts';

/** Series the simulation records, in the order charts show them. */
export const SERIES_ORDER = ['throughputGbps', 'vmExitsPerSec', 'flushQueueOccupancy'] as const;
export type CostProfile = Result<'profiles.get'>;
export type CalibrationOutcome = Result<'calibration.wait'>;
export type { CalibrationReport, CalibrationSpec } from '../../../service/protocol/index.ts';
export type ComparisonReport = Result<'runs.compareSets'>;
export type MetricVerdict = ComparisonReport['comparison']['metrics'][number];
export type RunSetVerdict = MetricVerdict['verdict'];
export type HistoryAnalysis = Result<'benchmarks.analyze'>;
export type HistoryChange = HistoryAnalysis['changes'][number];
export type PolicyDecision = Result<'policy.resolve'>;
export type PolicyReason = PolicyDecision['reasons'][number];
export type ExperimentSummary = Result<'experiments.list'>[number];
export type ExperimentAnalysis = Result<'experiments.show'>;
export type ExperimentPoint = ExperimentAnalysis['points'][number];
export type FieldValue = ExperimentPoint['values'][string];
