// The ordered migration chain. Append new steps; PRAGMA user_version records the last one applied.
import type { Migration } from './types.ts';
import { initial } from './001_initial.ts';
import { kindAndBenchmarks } from './002_kind_and_benchmarks.ts';
import { scenarioFieldIndexes } from './003_scenario_field_indexes.ts';
import { costProfiles } from './004_cost_profiles.ts';
import { historyAxes } from './005_history_axes.ts';
import { metricSets } from './006_metric_sets.ts';
import { sharedScenarios } from './007_shared_scenarios.ts';

export type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [initial, kindAndBenchmarks, scenarioFieldIndexes, costProfiles, historyAxes, metricSets, sharedScenarios];
export { INDEXED_SCENARIO_PATHS } from './003_scenario_field_indexes.ts';
export { scenarioFieldSql } from './007_shared_scenarios.ts';
export { INDEXED_METRICS, metricValueSql, type IndexedMetric } from './006_metric_sets.ts';

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

MIGRATIONS.forEach((m, i) => {
  if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
});
