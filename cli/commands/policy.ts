// iommu-lab policy: what the guest kernel decides for its DMA domains.
import type { Command } from 'commander';
import type { Params } from '../../service/index.ts';
import { invalidFields, withJournalFreeClient, type Client } from '../client.ts';
import { singleQuoted, UsageError, type Io } from '../usage.ts';

const CAP_TOKENS: Record<string, 'cachingMode' | 'scalableMode' | 'firstLevel' | 'secondLevel'> = {
  cm: 'cachingMode',
  sm: 'scalableMode',
  flts: 'firstLevel',
  fl: 'firstLevel',
  slts: 'secondLevel',
  sl: 'secondLevel',
};

function parseCaps(list: string) {
  const caps = { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: false };
  for (const raw of list.split(',').map((t) => t.trim()).filter(Boolean)) {
    const key = CAP_TOKENS[raw.toLowerCase()];
    if (!key) throw new UsageError(`--caps: unknown capability "${raw}"; allowed: cm, sm, flts (fl), slts (sl), none`);
    caps[key] = true;
  }
  return caps;
}

const KCONFIG = ['strict', 'lazy', 'passthrough'] as const;
/** The option that carries each field of policy.resolve, for error messages. */
const OPTION_OF: Record<string, string> = { kernel: '--kernel', kconfigDefault: '--kconfig', cmdline: '--cmdline', caps: '--caps', untrusted: '--untrusted' };

interface PolicyOpts {
  kernel: string;
  caps: string;
  cmdline: string;
  kconfig: string;
  untrusted: boolean;
  json: boolean;
}

function policyParams(opts: PolicyOpts): Params<'policy.explain'> {
  if (!(KCONFIG as readonly string[]).includes(opts.kconfig)) {
    throw new UsageError(`--kconfig must be one of ${KCONFIG.join(', ')}, got "${opts.kconfig}"`);
  }
  return {
    kernel: opts.kernel,
    kconfigDefault: opts.kconfig as (typeof KCONFIG)[number],
    cmdline: opts.cmdline,
    caps: opts.caps === 'none' ? parseCaps('') : parseCaps(opts.caps),
    untrusted: opts.untrusted,
  };
}

/**
 * Words given outside --cmdline (an unquoted kernel command line): the
 * option takes the whole command line as one argument, so each stray word
 * would be dropped. All of them are named, with the quoted form to use.
 */
export function strayTokensMessage(stray: readonly string[], cmdline: string): string {
  const whole = [cmdline, ...stray].filter(Boolean).join(' ');
  return `--cmdline takes the whole kernel command line as one quoted argument; ${stray.length === 1 ? 'this word was' : `these ${stray.length} words were`} outside it: ${stray.join(' ')}\n  quote it: --cmdline ${singleQuoted(whole)}`;
}

/** Resolves through policy.explain; bad input comes back naming the option at fault. */
async function policyCommand(client: Client, params: Params<'policy.explain'>, json: boolean, io: Io): Promise<void> {
  let explained;
  try {
    explained = await client.call('policy.explain', params);
  } catch (err) {
    const field = invalidFields(err)?.[0];
    if (!field) throw err;
    const top = field.path.split('.')[0] ?? '';
    throw new UsageError(`${OPTION_OF[top] ?? field.path}: ${field.message}`);
  }
  // domainType is the lab's mode value (dma-fq: lazy); kernelDomainType is the kernel's own name for it.
  io.out(json ? JSON.stringify({ ...explained.decision, kernelDomainType: explained.kernelDomainType }, null, 2) : explained.text);
}

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
    // Words outside --cmdline's one argument are named, every one, instead of commander's bare count.
    .allowExcessArguments()
    .action(async (opts: PolicyOpts, cmd: Command) => {
      if (cmd.args.length > 0) throw new UsageError(strayTokensMessage(cmd.args, opts.cmdline));
      const params = policyParams(opts);
      await withJournalFreeClient((client) => policyCommand(client, params, opts.json, io));
    });
}
