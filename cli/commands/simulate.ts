// iommu-lab simulate / presets / start: run the model from the terminal.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultJournalPath, type JsonObject, type ScenarioSourceInput } from '../../service/index.ts';
import { buildScenario, journalProfiles, NO_PROFILES, withSeed, type CostProfiles } from '../../service/scenarios.ts';
import { openJournal } from '../../db/index.ts';
import { PRESETS, simulate, type Scenario, type SimulationResult } from '../../core/index.ts';
import { fmt, pct, table } from '../format.ts';
import { journalOption, withLab, type JournalOpts } from '../journal-option.ts';
import { cancelOnInterrupt, showBatchProgress } from '../progress.ts';
import { collect, parseIntOption, UsageError, type Io } from '../usage.ts';

export function readJsonFile(path: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${option}: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A spec file that must hold one JSON object; the error shows `example`. */
export function readSpecFile(path: string, example: string): Record<string, unknown> {
  const spec = readJsonFile(path, 'spec');
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new UsageError(`spec: ${path} must hold a JSON object like:\n${example}`);
  return spec as Record<string, unknown>;
}

function sourceFrom(opts: { preset?: string; config?: string; set: string[] }): ScenarioSourceInput {
  if (!opts.preset && !opts.config) throw new UsageError('give --preset NAME or --config FILE.json (see `iommu-lab presets`)');
  const config = opts.config ? readJsonFile(opts.config, '--config') : undefined;
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new UsageError(`--config: ${opts.config} must hold a JSON object (a scenario)`);
  }
  return { preset: opts.preset, config: config as JsonObject | undefined, overrides: opts.set };
}

/** The rows every human summary shows, one column per result. */
export function summaryRows(results: SimulationResult[]): string[][] {
  const row = (label: string, f: (r: SimulationResult) => string) => [label, ...results.map(f)];
  return [
    row('policy', (r) => `${r.policy.effective} (${r.policy.source === 'auto' ? `kernel ${r.scenario.guest.kernel}` : 'forced'})`),
    row('throughput Gbit/s', (r) => r.throughputGbps.toFixed(2)),
    row('segments/s', (r) => fmt(r.packetsPerSec)),
    row('VM exits/s', (r) => fmt(r.vmExitsPerSec, 0)),
    row('invalidations/s', (r) => fmt(r.invalidationsPerSec, 0)),
    row('flushes/s (full/timer)', (r) => `${fmt(r.flushesByTrigger.full, 0)}/${fmt(r.flushesByTrigger.timer, 0)}`),
    row('unmaps/segment', (r) => r.dma.unmapsPerPacket.toFixed(3)),
    row('vCPU busy', (r) => pct(r.cpu.utilization)),
    row('VMM lock busy', (r) => pct(r.vmmLock.utilization)),
    row('stale window us (mean/p99/max)', (r) => (r.staleWindowUs.count ? `${fmt(r.staleWindowUs.mean, 0)}/${fmt(r.staleWindowUs.p99, 0)}/${fmt(r.staleWindowUs.max, 0)}` : '0 (strict)')),
    row('bottleneck', (r) => r.bottleneck.kind),
  ];
}

export function formatResults(results: SimulationResult[], names: string[]): string {
  const rows = [['', ...names], ...summaryRows(results)];
  const text = table(rows, ['l', ...names.map(() => 'r' as const)]);
  const sentences = results.map((r, i) => `${names.length > 1 ? `${names[i]}: ` : ''}${r.bottleneck.explanation}`);
  return `${text}\n\n${sentences.join('\n')}`;
}

/** --no-save still resolves a scenario's cost profile, from the journal opened read-only. */
function withJournalProfiles<T>(opts: JournalOpts, fn: (profiles: CostProfiles) => T): T {
  const path = opts.journal ?? defaultJournalPath();
  if (!existsSync(path)) return fn(NO_PROFILES);
  const journal = openJournal(path, { readonly: true });
  try {
    return fn(journalProfiles(journal));
  } finally {
    journal.close();
  }
}

function runSeeds(s: Scenario, seeds: number): SimulationResult[] {
  return Array.from({ length: seeds }, (_, i) => simulate(withSeed(s, s.seed + i)));
}

interface SimulateOpts extends JournalOpts {
  preset?: string;
  config?: string;
  set: string[];
  seeds: number;
  json: boolean;
  save: boolean;
  name?: string;
  tag: string[];
}

/** Runs the seeds through the service: journaled, in workers, with a progress bar on a terminal. */
async function simulateSaved(opts: SimulateOpts, io: Io): Promise<void> {
  const source = sourceFrom(opts);
  await withLab(opts, async (lab) => {
    const { runIds } = await lab.call('runs.start', { source, seeds: opts.seeds, tags: opts.tag, ...(opts.name ? { name: opts.name } : {}) });
    const bar = showBatchProgress(lab, runIds, 'simulate');
    const stopInterrupt = cancelOnInterrupt(lab, runIds, () => bar.stop());
    const ended = await lab.call('runs.wait', { ids: runIds }).finally(() => {
      bar.stop();
      stopInterrupt();
    });
    const failed = ended.filter((r) => r.status !== 'done');
    for (const r of failed) io.err(`iommu-lab: run ${r.id} ${r.status}${r.error ? `: ${r.error}` : ''}`);
    const runs = await Promise.all(ended.filter((r) => r.status === 'done').map((r) => lab.call('runs.get', { id: r.id, series: false })));
    const results = runs.map((r) => ({ runId: r.id, ...(r.result as unknown as SimulationResult) }));
    if (opts.json) io.out(JSON.stringify(opts.seeds > 1 ? results : results[0] ?? null, null, 2));
    else if (results.length) {
      io.out(formatResults(results, results.length > 1 ? results.map((r) => `seed ${r.seed}`) : [runs[0]?.name ?? 'result']));
      io.out(`\nSaved: ${runs.map((r) => r.id).join(' ')}  (journal ${lab.journal.path})`);
    }
    if (failed.length) process.exitCode = 1;
  });
}

export function registerSimulate(program: Command, io: Io): void {
  journalOption(
    program
      .command('simulate')
      .description('simulate one scenario (a preset or a JSON config, with overrides), journal the run and print its metrics')
      .option('--preset <name>', 'start from a preset (see `iommu-lab presets`)')
      .option('--config <file>', 'start from a scenario JSON file')
      .option('--set <path=value>', 'override a field, e.g. viommu.backend=shadow-sl (repeatable)', collect, [] as string[])
      .option('--seeds <n>', 'run N seeds (seed, seed+1, ...)', parseIntOption('--seeds', 1, 1000), 1)
      .option('--name <name>', 'name the run (default: the preset or the scenario name)')
      .option('--tag <tag>', 'tag the run (repeatable)', collect, [] as string[])
      .option('--no-save', 'run in this process and journal nothing')
      .option('--json', 'print the result object (an array with --seeds > 1)', false),
  ).action(async (opts: SimulateOpts) => {
    if (opts.save) return simulateSaved(opts, io);
    const scenario = withJournalProfiles(opts, (profiles) => buildScenario(sourceFrom(opts), profiles));
    const results = runSeeds(scenario, opts.seeds);
    if (opts.json) {
      io.out(JSON.stringify(opts.seeds > 1 ? results : results[0], null, 2));
      return;
    }
    io.out(formatResults(results, results.length > 1 ? results.map((r) => `seed ${r.seed}`) : [scenario.name ?? 'result']));
  });

  program
    .command('presets')
    .description('list the scenario presets and the assumptions each one makes')
    .option('--json', 'print the presets as JSON', false)
    .action((opts: { json: boolean }) => {
      if (opts.json) {
        io.out(JSON.stringify(PRESETS, null, 2));
        return;
      }
      io.out(
        PRESETS.map((p) => [`${p.name}: ${p.title}`, ...p.assumptions.map((a) => `  - ${a}`)].join('\n')).join('\n\n'),
      );
    });

  program
    .command('start')
    .description('the quick look: the seed setup before and after the v6.3 policy change, side by side')
    .action(() => {
      const names = ['seed-before-fix', 'seed-after-fix'];
      const results = names.map((preset) => simulate(buildScenario({ preset }, NO_PROFILES)));
      io.out('IOMMU Lab: strict vs lazy IOTLB invalidation on a nested first-level vIOMMU (iperf receive, 100 GbE)\n');
      io.out(formatResults(results, names));
      io.out('\nTry: iommu-lab simulate --preset seed-after-fix --set viommu.backend=shadow-sl   |   iommu-lab presets   |   iommu-lab --help');
    });
}
