// Building a scenario from what a user gives: a preset or a config object,
// then `path=value` overrides. Every problem is reported with its field.
import { applyOverrides, findPreset, mergeDeep, parseScenario, PRESET_NAMES, ScenarioError, type Scenario } from '../core/index.ts';

export interface ScenarioSource {
  preset?: string | undefined;
  config?: unknown;
  overrides?: string[] | undefined;
}

/** The source merged into one scenario input, before defaults and validation (sweeps vary it further). */
export function scenarioInput(src: ScenarioSource): unknown {
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
  return applyOverrides(base, src.overrides ?? []);
}

export function buildScenario(src: ScenarioSource): Scenario {
  return parseScenario(scenarioInput(src));
}

/** The same scenario with another seed (for --seeds N: seeds s, s+1, ...). */
export function withSeed(s: Scenario, seed: number): Scenario {
  return parseScenario(mergeDeep(s, { seed }));
}

/** A run's default name: the preset, else the scenario's own name, else "custom". */
export function defaultRunName(src: ScenarioSource, s: Scenario): string {
  return s.name ?? src.preset ?? 'custom';
}
