// The host-agnostic service: what the CLI (in process), the desktop app and
// `serve` call. Hosts import this module, never core/ or db/ directly.
export { buildScenario, journalProfiles, NO_PROFILES, withSeed, type CostProfiles, type ScenarioSource } from './scenarios.ts';
export {
  simulate,
  estimate,
  resolveScenarioPolicy,
  effectiveMode,
  scalarMetrics,
  ScenarioError,
  PRESETS,
  COST_TABLE,
  MODEL_VERSION,
  BACKENDS,
  POLICIES,
  WORKLOADS,
  type Scenario,
  type SimulationResult,
  type AnalyticEstimate,
  type FieldError,
  type Preset,
} from '../core/index.ts';
export { resolvePolicy, formatDecision, type PolicyDecision, type PolicyInput } from '../core/policy/index.ts';
export { Lab, type LabOptions } from './lab.ts';
export { ServiceError } from './errors.ts';
export { defaultJournalPath, openJournal, RUN_STATUSES, type RunSortKey, type RunStatus } from '../db/index.ts';
export * from './contract.ts';
export { MAX_SWEEP_RUNS } from './sweep.ts';
export { attachChannel, type AttachedChannel, type DispatchTarget, type WireChannel } from './transport/dispatch.ts';
export { startServer, type RunningServer, type ServerOptions } from './transport/http-server.ts';
export type { HistoryAnalysis } from './history.ts';
