// Building a scenario from what a user gives: a preset or a config object,
// then `path=value` overrides. Every problem is reported with its field.
import { applyOverrides, findPreset, mergeDeep, parseScenario, PRESET_NAMES, ScenarioError, type Scenario } from '../core/index.ts';

export interface ScenarioSource {
  preset?: string;
  config?: unknown;
  overrides?: string[];
}

export function buildScenario(src: ScenarioSource): Scenario {
  if (src.preset !== undefined && src.config !== undefined) {
    throw new ScenarioError([{ path: 'preset', message: 'give either a preset or a config, not both' }]);
  }
  let base: unknown = {};
  if (src.preset !== undefined) {
    const preset = findPreset(src.preset);
    if (!preset) throw new ScenarioError([{ path: 'preset', message: `unknown preset "${src.preset}"; allowed: ${PRESET_NAMES.join(', ')}` }]);
    base = preset.scenario;
  } else if (src.config !== undefined) {
    base = src.config;
  }
  return parseScenario(applyOverrides(base, src.overrides ?? []));
}

/** The same scenario with another seed (for --seeds N: seeds s, s+1, ...). */
export function withSeed(s: Scenario, seed: number): Scenario {
  return parseScenario(mergeDeep(s, { seed }));
}
