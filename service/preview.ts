// The instant look at a scenario before it runs: is it valid, what does the
// guest kernel decide and why, and what does the closed-form model expect.
import { effectiveMode, estimate, resolveScenarioPolicy } from '../core/index.ts';
import { ScenarioError, type AnalyticEstimate, type FieldError, type Scenario } from '../core/index.ts';
import type { PolicyDecision } from '../core/policy/index.ts';
import type { DmaMode } from '../core/guest/dma.ts';
import { hashJson } from '../db/codec.ts';
import { safeResolveScenario, scenarioInput, type CostProfiles, type ScenarioSource } from './scenarios.ts';

export type Preview =
  | {
      ok: true;
      scenario: Scenario;
      scenarioHash: string;
      policy: { decision: PolicyDecision; effective: DmaMode; source: 'auto' | 'scenario' };
      estimate: { effective: AnalyticEstimate | null; strict: AnalyticEstimate; lazy: AnalyticEstimate };
    }
  | { ok: false; errors: FieldError[] };

export function previewScenario(src: ScenarioSource, profiles: CostProfiles): Preview {
  let input: unknown;
  try {
    input = scenarioInput(src);
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, errors: err.fields };
    throw err;
  }
  const parsed = safeResolveScenario(input, profiles);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const s = parsed.scenario;
  const decision = resolveScenarioPolicy(s);
  const { mode, source } = effectiveMode(s, decision);
  const strict = estimate(s, 'strict');
  const lazy = estimate(s, 'lazy');
  const effective = mode === 'strict' ? strict : mode === 'lazy' ? lazy : estimate(s, mode);
  return { ok: true, scenario: s, scenarioHash: hashJson(s), policy: { decision, effective: mode, source }, estimate: { effective, strict, lazy } };
}
