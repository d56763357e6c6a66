// Building a scenario from what a user gives: a preset or a config object,
// then `path=value` overrides. Every problem is reported with its field.
import type { Journal } from '../db/index.ts';
import { applyOverrides, findPreset, mergeDeep, parseScenario, PRESET_NAMES, safeParseScenario, ScenarioError, type ParseResult, type Scenario } from '../core/index.ts';

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

/** The journal's cost profiles, as scenarios see them. */
export interface CostProfiles {
  get(name: string): { costs: Record<string, number> } | undefined;
  names(): string[];
}

/** Profiles saved in a journal. */
export function journalProfiles(journal: Pick<Journal, 'profiles'>): CostProfiles {
  return { get: (name) => journal.profiles.getCostProfile(name), names: () => journal.profiles.listCostProfiles().map((p) => p.name) };
}

/** Where no journal is open: a scenario naming a profile is refused. */
export const NO_PROFILES: CostProfiles = { get: () => undefined, names: () => [] };

/**
 * A scenario from its merged input: the input's `costProfile` applied first
 * (the profile's costs under the input's own `costs`, so explicit values win
 * and a journaled scenario, whose costs are complete, reruns the same even if
 * the profile changes later), then defaults and validation.
 */
export function safeResolveScenario(input: unknown, profiles: CostProfiles): ParseResult {
  const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
  const { costProfile, costs } = (isObject ? input : {}) as { costProfile?: unknown; costs?: unknown };
  // A costProfile that is not a string is the schema's to report.
  if (typeof costProfile !== 'string') return safeParseScenario(input);
  const profile = profiles.get(costProfile);
  if (!profile) {
    const names = profiles.names();
    const known = names.length ? `saved profiles: ${names.join(', ')}` : 'no profile is saved yet (iommu-lab calibrate or iommu-lab profiles save creates one)';
    return { ok: false, errors: [{ path: 'costProfile', message: `unknown cost profile ${JSON.stringify(costProfile)}; ${known}` }] };
  }
  const own = costs !== null && typeof costs === 'object' && !Array.isArray(costs) ? (costs as Record<string, unknown>) : {};
  return safeParseScenario({ ...(input as object), costs: { ...profile.costs, ...own } });
}

export function buildScenario(src: ScenarioSource, profiles: CostProfiles): Scenario {
  const r = safeResolveScenario(scenarioInput(src), profiles);
  if (!r.ok) throw new ScenarioError(r.errors);
  return r.scenario;
}

/** The same scenario with another seed (for --seeds N: seeds s, s+1, ...). */
export function withSeed(s: Scenario, seed: number): Scenario {
  return parseScenario(mergeDeep(s, { seed }));
}

/** A run's default name: the preset, else the scenario's own name, else "custom". */
export function defaultRunName(src: ScenarioSource, s: Scenario): string {
  return s.name ?? src.preset ?? 'custom';
}
