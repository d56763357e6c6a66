// The simulation core's public surface: what service/ builds on.
export { simulate, SimulationStopped, resolveScenarioPolicy, effectiveMode, type SimulateOptions } from './simulate.ts';
export { estimate, type AnalyticEstimate } from './analytic/estimate.ts';
export { parseScenario, safeParseScenario, applyOverrides, parseFieldValue, mergeDeep, setPath, scenarioJsonSchema, ScenarioError, BACKENDS, POLICIES, WORKLOADS, type Scenario, type ScenarioInput, type FieldError, type ParseResult } from './model/scenario.ts';
export { COST_TABLE, COST_NAMES, defaultCosts, type Costs, type CostEntry, type CostName } from './model/costs.ts';
export { PRESETS, PRESET_NAMES, findPreset, type Preset } from './model/presets.ts';
export { MODEL_VERSION } from './model/version.ts';
export { scalarMetrics, SCALAR_METRIC_NAMES, STORAGE_METRIC_NAMES, simulationResultSchema, type SimulationResult, type BottleneckKind, type LatencySummary, type LockStats } from './model/result.ts';
export { effectivePolicy, effectiveVmmPath, type EffectivePolicy, type VmmPath, type VmmPathKind } from './model/effective.ts';
export { WARNINGS, WARNING_CODES, type Warning, type WarningCode } from './model/warnings.ts';
