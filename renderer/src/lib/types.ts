// The contract's result shapes under the names the views use.
import type { EventData, Result } from '../../../service/contract.ts';

export type RunSummary = Result<'runs.list'>['rows'][number];
export type RunStatus = RunSummary['status'];
export type Run = Result<'runs.get'>;
export type Comparison = Result<'runs.compare'>;
export type Benchmark = Result<'benchmarks.list'>[number];
export type BenchmarkHistory = Result<'benchmarks.history'>;
export type JournalInfo = Result<'journal.info'>;
export type RunStatusEvent = EventData<'run.status'>;

export const ENDED_STATUSES: readonly RunStatus[] = ['done', 'failed', 'cancelled', 'interrupted'];
export const isActive = (s: RunStatus): boolean => s === 'queued' || s === 'running';

/** The metric columns of the journal table and the headline of a run. */
export const KEY_METRICS = ['throughputGbps', 'vmExitsPerSec', 'cpuUtilization', 'vmmLockUtilization'] as const;

/** Series the simulation records, in the order charts show them. */
export const SERIES_ORDER = ['throughputGbps', 'vmExitsPerSec', 'flushQueueOccupancy'] as const;
export type CostProfile = Result<'profiles.get'>;
export type CalibrationOutcome = Result<'calibration.wait'>;
export type { CalibrationReport, CalibrationSpec } from '../../../service/contract.ts';
