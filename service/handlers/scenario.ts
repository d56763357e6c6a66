// Scenarios and the guest kernel's policy: presets, the schema for forms,
// instant previews, and the policy resolver. None of these opens the journal
// unless a scenario names a cost profile.
import { BACKENDS, parseScenario, POLICIES, PRESETS, scenarioJsonSchema, WORKLOADS } from '../../core/index.ts';
import { formatDecision, kernelDomainType, resolvePolicy, type PolicyInput } from '../../core/policy/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { previewScenario } from '../preview.ts';
import type { ParsedParams, Result } from '../protocol/methods.ts';
import { prefixFields } from '../protocol/errors.ts';

type Methods = 'presets.list' | 'scenario.schema' | 'scenario.preview' | 'policy.resolve' | 'policy.explain';

/** The resolver's input with the defaults of a QEMU VT-d guest (caching mode, second-level tables). */
function policyInput(p: ParsedParams<'policy.resolve'>): PolicyInput {
  return {
    kernel: p.kernel,
    kconfigDefault: p.kconfigDefault ?? 'lazy',
    cmdline: p.cmdline ?? '',
    caps: p.caps ?? { cachingMode: true, scalableMode: false, firstLevel: false, secondLevel: true },
    untrusted: p.untrusted ?? false,
  };
}

export function scenarioHandlers(ctx: LabContext): DomainHandlers<Methods> {
  return {
    // Presets are plain data (core/model/presets.ts): JSON by construction.
    'presets.list': () => PRESETS.map((p) => ({ ...p, scenario: p.scenario as Result<'presets.list'>[number]['scenario'] })),

    'scenario.schema': () => ({
      jsonSchema: scenarioJsonSchema() as Result<'scenario.schema'>['jsonSchema'],
      defaults: parseScenario({}),
      backends: [...BACKENDS],
      policies: [...POLICIES],
      workloads: [...WORKLOADS],
    }),

    'scenario.preview': ({ source }) => {
      const p = previewScenario(source, ctx.profiles);
      if (!p.ok) return { ok: false as const, errors: prefixFields(p.errors, 'scenario') };
      return p;
    },

    // The params schema checks every field (the kernel release with core's own parser), so the resolver gets valid input.
    'policy.resolve': (p) => resolvePolicy(policyInput(p)),

    'policy.explain': (p) => {
      const decision = resolvePolicy(policyInput(p));
      return { decision, kernelDomainType: kernelDomainType(decision), text: formatDecision(decision) };
    },
  };
}
