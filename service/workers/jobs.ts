// The jobs the service hands to its worker threads, by kind: input and output types.
import type { Scenario } from '../../core/index.ts';
import type { BenchmarkPoint, MergeReport } from '../../db/index.ts';
import type { ImportMeasurementInput } from '../importers/import.ts';
import type { CalibrationJobInput, CalibrationJobOutput } from '../calibration/fit.ts';
import type { HistoryAnalysis, HistoryInput } from '../history.ts';
import type { RunOutput } from '../run-output.ts';

export interface JobKinds {
  /** One seed of a scenario, as the journal keeps it. */
  simulate: { input: Scenario; output: RunOutput };
  /** A calibration fit (many simulations). */
  calibrate: { input: CalibrationJobInput; output: CalibrationJobOutput };
  /** Change points of a benchmark's history. */
  analyzeHistory: { input: HistoryInput; output: HistoryAnalysis };
  /** Another journal merged into the journal at `ownPath`, over this worker's own connection. */
  mergeJournal: { input: { ownPath: string; otherPath: string }; output: MergeReport };
  /** A tool's output parsed, checked and journaled with its benchmark point, over this worker's own connection. */
  importMeasurement: { input: { journalPath: string; measurement: ImportMeasurementInput }; output: { runId: string; metric: string; value: number; point: BenchmarkPoint } };
  /** A JSON message of megabytes (UTF-8 bytes) parsed: what a host would otherwise spend its own thread on. */
  parseJson: { input: Uint8Array; output: unknown };
}
export type JobKind = keyof JobKinds;
export type JobInput<K extends JobKind> = JobKinds[K]['input'];
export type JobOutput<K extends JobKind> = JobKinds[K]['output'];
