// iommu-lab policy: what the guest kernel decides for its DMA domains.
import type { Command } from 'commander';
import { formatDecision, resolvePolicy } from '../../core/policy/index.ts';
import { UsageError, type Io } from '../usage.ts';

const CAP_TOKENS: Record<string, 'cachingMode' | 'scalableMode' | 'firstLevel' | 'secondLevel'> = {
  cm: 'cachingMode',
  sm: 'scalableMode',
  flts: 'firstLevel',
  fl: 'firstLevel',
  slts: 'secondLevel',
  sl: 'secondLevel',
};

export function parseCaps(list: string) {
  const caps = { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: false };
  for (const raw of list.split(',').map((t) => t.trim()).filter(Boolean)) {
    const key = CAP_TOKENS[raw.toLowerCase()];
    if (!key) throw new UsageError(`--caps: unknown capability "${raw}"; allowed: cm, sm, flts (fl), slts (sl), none`);
    caps[key] = true;
  }
  return caps;
}

const KCONFIG = ['strict', 'lazy', 'passthrough'] as const;

export function registerPolicy(program: Command, io: Io): void {
  program
    .command('policy')
    .description("resolve the guest kernel's IOMMU DMA domain policy (strict, lazy or passthrough) and show the log lines it prints")
    .requiredOption('--kernel <version>', 'guest kernel version, e.g. 6.2, 6.3.13, 5.10')
    .option('--caps <list>', 'vIOMMU capabilities, comma separated: cm (caching mode), sm (scalable mode), flts, slts; or "none"', 'none')
    .option('--cmdline <string>', 'guest kernel command line', '')
    .option('--kconfig <default>', `Kconfig default: ${KCONFIG.join(' | ')}`, 'lazy')
    .option('--untrusted', 'the device is untrusted (external-facing)', false)
    .option('--json', 'print the decision as JSON', false)
    .action((opts: { kernel: string; caps: string; cmdline: string; kconfig: string; untrusted: boolean; json: boolean }) => {
      if (!(KCONFIG as readonly string[]).includes(opts.kconfig)) {
        throw new UsageError(`--kconfig must be one of ${KCONFIG.join(', ')}, got "${opts.kconfig}"`);
      }
      const caps = opts.caps === 'none' ? parseCaps('') : parseCaps(opts.caps);
      let decision;
      try {
        decision = resolvePolicy({
          kernel: opts.kernel,
          kconfigDefault: opts.kconfig as (typeof KCONFIG)[number],
          cmdline: opts.cmdline,
          caps,
          untrusted: opts.untrusted,
        });
      } catch (err) {
        throw new UsageError(`--kernel: ${(err as Error).message}`);
      }
      io.out(opts.json ? JSON.stringify(decision, null, 2) : formatDecision(decision));
    });
}
