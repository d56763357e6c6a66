// iommu-lab simulate / presets / start: run the model from the terminal.
import type { Command } from 'commander';
import type { JournaledSimulationResult as SimulationResult, JsonObject, ScenarioSourceInput, SimulationOutput } from '../../service/index.ts';
import { journalOption, withClient, withJournalFreeClient, type Client, type JournalOpts } from '../client.ts';
import { fmt, formatMetricValue, metricHeader, pct, table } from '../format.ts';
import { headlineMetrics } from '../../service/protocol/metrics.ts';
import { loadService } from '../service-module.ts';
import { readTextFile } from '../text-file.ts';
import type { Interrupt } from '../progress.ts';
import { collect, parseIntOption, UsageError, type Io } from '../usage.ts';

function readJsonFile(path: string, option: string): unknown {
  const text = readTextFile(path, option);
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

/** Fields a result journaled by model 1.0 lacks: journaled runs keep their version and shape. */
type Model2Fields = 'vmmPath' | 'warnings' | 'locks' | 'latencyUs';
type MaybeOlder = Omit<SimulationResult, Model2Fields> & Partial<Pick<SimulationResult, Model2Fields>>;

const DOMAIN_MODE = { identity: 'passthrough', dma: 'strict', 'dma-fq': 'lazy' } as const;

/** The effective policy and where it came from: the guest kernel's own rules, or the scenario. */
export function policySource(r: MaybeOlder): string {
  const d = r.policy.resolved;
  const kernel = r.scenario.guest.kernel;
  if (r.policy.source === 'auto') return `${r.policy.effective}, chosen by the guest kernel (${kernel}, rule generation ${d.generation})`;
  const kernelMode = DOMAIN_MODE[d.domainType];
  const differs = kernelMode !== r.policy.effective ? `; the kernel alone would run ${kernelMode}` : '';
  return `${r.policy.effective}, asked by the scenario (kernel ${kernel}, rule generation ${d.generation}${differs})`;
}

type RowOf = (label: string, f: (r: MaybeOlder) => string) => string[];
const policyRow = (row: RowOf) => row('policy', (r) => `${r.policy.effective} (${r.policy.source === 'auto' ? `kernel ${r.scenario.guest.kernel}` : 'scenario'})`);

/** The rows every human summary shows, one column per result. */
function summaryRows(results: MaybeOlder[]): string[][] {
  const row = (label: string, f: (r: MaybeOlder) => string) => [label, ...results.map(f)];
  if (results.length && results.every((r) => r.storage)) return storageRows(row);
  return [
    policyRow(row),
    ...(results.some((r) => r.vmmPath) ? [row('VMM path', (r) => (r.vmmPath ? `${r.vmmPath.path} (${r.vmmPath.pageTable})` : '-'))] : []),
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

/** An NVMe run under fio: IOPS, bandwidth and completion latency in fio's terms, no NIC rows. */
function storageRows(row: RowOf): string[][] {
  const st = (r: MaybeOlder) => r.storage!;
  const clat = (c: { count: number; p50: number; p99: number; p99_9: number }) => (c.count ? `${fmt(c.p50, 0)}/${fmt(c.p99, 0)}/${fmt(c.p99_9, 0)}` : '–');
  return [
    policyRow(row),
    row('read IOPS', (r) => fmt(st(r).readIops)),
    row('write IOPS', (r) => fmt(st(r).writeIops)),
    row('bandwidth MiB/s (read/write)', (r) => `${fmt(st(r).readBandwidthMiBps, 0)}/${fmt(st(r).writeBandwidthMiBps, 0)}`),
    row('read clat us (p50/p99/p99.9)', (r) => clat(st(r).readClatUs)),
    row('write clat us (p50/p99/p99.9)', (r) => clat(st(r).writeClatUs)),
    row('drive busy', (r) => pct(st(r).driveUtilization)),
    row('VM exits/s', (r) => fmt(r.vmExitsPerSec, 0)),
    row('invalidations/s', (r) => fmt(r.invalidationsPerSec, 0)),
    row('flushes/s (full/timer)', (r) => `${fmt(r.flushesByTrigger.full, 0)}/${fmt(r.flushesByTrigger.timer, 0)}`),
    row('CPU busy', (r) => pct(r.cpu.utilization)),
    row('bottleneck', (r) => r.bottleneck.kind),
  ];
}

/**
 * What decides a result, one line each: the effective policy with its source,
 * the VMM path with its reason, every warning. A model-1.0 result has no path
 * and no warnings: their lines are left out.
 */
export function decidingLines(r: MaybeOlder): string[] {
  const lines = [`policy: ${policySource(r)}`];
  if (r.vmmPath) lines.push(`VMM path: ${r.vmmPath.path} (${r.vmmPath.pageTable} table): ${r.vmmPath.reason}`);
  for (const w of r.warnings ?? []) lines.push(`warning [${w.code}]: ${w.message}`);
  return lines;
}

export function formatResults(results: MaybeOlder[], names: string[]): string {
  const rows = [['', ...names], ...summaryRows(results)];
  const text = table(rows, ['l', ...names.map(() => 'r' as const)]);
  const blocks = results.map((r, i) => {
    const lines = [...decidingLines(r), r.bottleneck.explanation];
    return names.length > 1 ? [`${names[i]}:`, ...lines.map((l) => `  ${l}`)].join('\n') : lines.join('\n');
  });
  return `${text}\n\n${blocks.join('\n\n')}`;
}

export interface MetricSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for a single run. */
  sd: number | null;
  min: number;
  max: number;
}

/** Mean ± sd and range of each headline metric over the seeds' metrics (those every seed reports), in headline order. */
export function seedSummary(metrics: readonly Readonly<Record<string, number>>[], summarize: (values: number[]) => MetricSummary): Record<string, MetricSummary> {
  const headline = headlineMetrics(metrics);
  const summary: Record<string, MetricSummary> = {};
  if (metrics.length === 0) return summary;
  for (const name of headline) {
    if (!metrics.every((m) => typeof m[name] === 'number')) continue;
    const { n, mean, sd, min, max } = summarize(metrics.map((m) => m[name] as number));
    summary[name] = { n, mean, sd, min, max };
  }
  return summary;
}

/** "Throughput (Gbit/s)   39.2 ± 0.164   39 – 39.4" under "over N seeds:", one row per metric, values as the catalog shows them. */
export function formatSeedSummary(summary: Readonly<Record<string, MetricSummary>>): string {
  const entries = Object.entries(summary);
  const n = entries[0]?.[1].n ?? 0;
  const rows = entries.map(([name, s]) => [
    metricHeader(name),
    `${formatMetricValue(name, s.mean)} ± ${s.sd === null ? '–' : formatMetricValue(name, s.sd)}`,
    `${formatMetricValue(name, s.min)} – ${formatMetricValue(name, s.max)}`,
  ]);
  return `over ${n} seeds:\n${table([['', 'mean ± sd', 'min – max'], ...rows], ['l', 'r', 'r'])}`;
}

/** The summary of the seeds' headline metrics, with the service's statistics. */
async function summaryOf(metrics: readonly Readonly<Record<string, number>>[]): Promise<Record<string, MetricSummary>> {
  const { summarizeRunSet } = await loadService();
  return seedSummary(metrics, summarizeRunSet);
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
async function simulateSaved(client: Client, source: ScenarioSourceInput, opts: SimulateOpts, io: Io): Promise<void> {
  const { catchInterrupt } = await import('../progress.ts');
  // Caught from before the runs are queued: a Ctrl-C while they start cancels them too.
  const interrupt = catchInterrupt();
  try {
    await simulateAndReport(client, source, opts, io, interrupt);
  } finally {
    interrupt.stop();
  }
}

async function simulateAndReport(client: Client, source: ScenarioSourceInput, opts: SimulateOpts, io: Io, interrupt: Interrupt): Promise<void> {
  const { followBatch, batchExitCode, batchSummary } = await import('../progress.ts');
  const { runIds } = await client.call('runs.start', { source, seeds: opts.seeds, tags: opts.tag, ...(opts.name ? { name: opts.name } : {}) });
  const ended = await followBatch(client, runIds, 'simulate', interrupt);
  const interrupted = interrupt.fired;
  const failed = ended.filter((r) => r.status !== 'done');
  for (const r of failed) io.err(`iommu-lab: run ${r.id} ${r.status}${r.error ? `: ${r.error}` : ''}`);
  const runs = await Promise.all(ended.filter((r) => r.status === 'done').map((r) => client.call('runs.get', { id: r.id, series: false })));
  // A simulated run's stored result is a journaled simulation result.
  const results = runs.flatMap((r) => (r.result ? [{ runId: r.id, ...(r.result as unknown as SimulationResult) }] : []));
  const summary = opts.seeds > 1 ? await summaryOf(runs.map((r) => r.metrics)) : undefined;
  if (opts.json) io.out(JSON.stringify(summary ? { results, summary } : results[0] ?? null, null, 2));
  else if (results.length) {
    io.out(formatResults(results, results.length > 1 ? results.map((r) => `seed ${r.seed}`) : [runs[0]?.name ?? 'result']));
    if (summary && results.length > 1) io.out(`\n${formatSeedSummary(summary)}`);
    io.out(`\nSaved: ${runs.map((r) => r.id).join(' ')}  (journal ${(await client.call('journal.info', {})).path})`);
  }
  const code = batchExitCode(ended, runIds.length, interrupted);
  if (code !== 0) io.err(`iommu-lab: ${batchSummary(ended, runIds.length, interrupted)}`);
  process.exitCode = code;
}

/**
 * Runs scenarios, one result per seed each, in the service's workers, and
 * journals nothing; a scenario's cost profile comes from the journal.
 */
async function simulateWithoutSaving(client: Client, sources: ScenarioSourceInput[], seeds: number): Promise<SimulationOutput[][]> {
  return Promise.all(sources.map(async (source) => (await client.call('runs.simulate', { source, seeds })).results));
}

/**
 * Runs the seeds without journaling them. Ctrl-C ends the command with 130 as
 * for journaled runs: the runs live only in this process's workers and nothing
 * is written, so ending the process ends them.
 */
async function simulateUnsaved(client: Client, source: ScenarioSourceInput, opts: SimulateOpts, io: Io): Promise<void> {
  const { catchInterrupt, INTERRUPTED_EXIT_CODE } = await import('../progress.ts');
  const interrupt = catchInterrupt();
  interrupt.onFire(() => {
    io.err(`iommu-lab: interrupted by Ctrl-C; ${opts.seeds} run${opts.seeds === 1 ? '' : 's'} stopped, nothing journaled (--no-save)`);
    process.exit(INTERRUPTED_EXIT_CODE);
  });
  try {
    await reportUnsaved(client, source, opts, io);
  } finally {
    interrupt.stop();
  }
}

async function reportUnsaved(client: Client, source: ScenarioSourceInput, opts: SimulateOpts, io: Io): Promise<void> {
  const outputs = (await simulateWithoutSaving(client, [source], opts.seeds))[0] ?? [];
  const seeds = outputs.map((o) => o.result);
  const summary = opts.seeds > 1 ? await summaryOf(outputs.map((o) => o.metrics)) : undefined;
  if (opts.json) return io.out(JSON.stringify(summary ? { results: seeds, summary } : seeds[0], null, 2));
  io.out(formatResults(seeds, seeds.length > 1 ? seeds.map((r) => `seed ${r.seed}`) : [seeds[0]?.scenario.name ?? 'result']));
  if (summary) io.out(`\n${formatSeedSummary(summary)}`);
}

async function presetsCommand(client: Client, json: boolean, io: Io): Promise<void> {
  const presets = await client.call('presets.list', {});
  if (json) return io.out(JSON.stringify(presets, null, 2));
  io.out(presets.map((p) => [`${p.name}: ${p.title}`, ...p.assumptions.map((a) => `  - ${a}`)].join('\n')).join('\n\n'));
}

/** The quick look: both seed presets side by side, built-in costs, nothing journaled. */
async function startCommand(client: Client, io: Io): Promise<void> {
  const names = ['seed-before-fix', 'seed-after-fix'];
  const results = (await simulateWithoutSaving(client, names.map((preset) => ({ preset })), 1)).map((outputs) => outputs.map((o) => o.result));
  io.out('IOMMU Lab: strict vs lazy IOTLB invalidation on a nested first-level vIOMMU (iperf receive, 100 GbE)\n');
  io.out(formatResults(results.map((r) => r[0]!), names));
  io.out('\nTry: iommu-lab simulate --preset seed-after-fix --set viommu.backend=shadow-sl   |   iommu-lab presets   |   iommu-lab --help');
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
      .option('--no-save', 'journal nothing (cost profiles still come from the journal)')
      .option('--json', 'print the result object (with --seeds > 1: { results, summary }, the summary holding mean, sd, min and max per headline metric)', false),
  ).action((opts: SimulateOpts) => {
    const source = sourceFrom(opts);
    return withClient(opts, (client) => (opts.save ? simulateSaved(client, source, opts, io) : simulateUnsaved(client, source, opts, io)));
  });

  program
    .command('presets')
    .description('list the scenario presets and the assumptions each one makes')
    .option('--json', 'print the presets as JSON', false)
    .action((opts: { json: boolean }) => withJournalFreeClient((client) => presetsCommand(client, opts.json, io)));

  program
    .command('start')
    .description('the quick look: the seed setup before and after the v6.3 policy change, side by side (built-in costs; journals nothing)')
    .action(() => withJournalFreeClient((client) => startCommand(client, io)));
}
