// iommu-lab sweep SPEC.json: a grid of scenarios times N seeds, journaled as
// one experiment, run in workers with one progress bar.
import type { Command } from 'commander';
import { MAX_SWEEP_RUNS } from '../../service/protocol/constants.ts';
import { formatMetricValue, headlineMetrics, metricSpec } from '../../service/protocol/metrics.ts';
import { journalOption, withClient, type Client, type JournalOpts } from '../client.ts';
import { table } from '../format.ts';
import type * as Progress from '../progress.ts';
import type { Interrupt } from '../progress.ts';
import { UsageError, type Io } from '../usage.ts';
import { readSpecFile } from './simulate.ts';

interface SweepOpts extends JournalOpts {
  json: boolean;
  dryRun: boolean;
  redis?: string;
  resume?: string;
}

const SPEC_EXAMPLE = `{
  "name": "backend x policy",
  "base": { "preset": "seed-after-fix", "overrides": ["durationMs=100"] },
  "grid": { "viommu.backend": ["nested-fl", "shadow-sl"], "policy": ["strict", "lazy"] },
  "seeds": 3,
  "tags": ["sweep-demo"]
}`;

async function sweepCommand(client: Client, spec: Record<string, unknown> | undefined, opts: SweepOpts, io: Io): Promise<void> {
  const { catchInterrupt, followBatch, batchExitCode, batchSummary } = await import('../progress.ts');
  // Caught from before the runs are queued: a Ctrl-C while they start cancels them too.
  const interrupt = catchInterrupt();
  try {
    await runSweep(client, spec, opts, io, interrupt, { followBatch, batchExitCode, batchSummary });
  } finally {
    interrupt.stop();
  }
}

async function runSweep(
  client: Client,
  spec: Record<string, unknown> | undefined,
  opts: SweepOpts,
  io: Io,
  interrupt: Interrupt,
  { followBatch, batchExitCode, batchSummary }: Pick<typeof Progress, 'followBatch' | 'batchExitCode' | 'batchSummary'>,
): Promise<void> {
  // --resume: the runs of the experiment that had not ended, attached to their jobs in Redis again.
  const runOn = opts.redis === undefined ? 'this-machine' : 'workers';
  const started =
    spec === undefined
      ? { ...(await client.call('sweeps.resume', { experiment: opts.resume as string })), workersOnline: null }
      : await client.call('sweeps.start', { spec: spec as never, dryRun: opts.dryRun, runOn });
  if (started.workersOnline === 0) io.err('iommu-lab: no worker is taking jobs from this Redis yet: the runs wait in the queue until `iommu-lab worker --redis URL` starts');
  if (opts.dryRun) {
    const msg = { points: started.points, runs: started.total };
    return io.out(opts.json ? JSON.stringify(msg) : `${started.points} grid points x seeds = ${started.total} runs (nothing journaled)`);
  }
  if (spec === undefined && started.runIds.length === 0) {
    return io.out(opts.json ? JSON.stringify({ sweepId: started.sweepId, points: 0, total: 0, runs: [] }) : `nothing to resume: every run of experiment ${JSON.stringify(opts.resume)} has ended`);
  }
  const ended = await followBatch(client, started.runIds, 'sweep', interrupt);
  const interrupted = interrupt.fired;
  if (opts.json) {
    io.out(JSON.stringify({ sweepId: started.sweepId, points: started.points, total: started.total, runs: ended }, null, 2));
  } else {
    // The runs' own headline: IOPS for fio on NVMe, throughput for a NIC; with the exits they cost.
    const columns = headlineMetrics(ended.map((r) => r.metrics)).filter((n) => (SWEEP_COLUMNS as readonly string[]).includes(n));
    const rows = ended.map((r) => [r.id.slice(0, 8), r.status, r.name, ...columns.map((n) => formatMetricValue(n, r.metrics[n]))]);
    const header = columns.map((n) => `${metricSpec(n).label} ${metricSpec(n).unit}`.trim());
    io.out(table([['id', 'status', 'name', ...header], ...rows], ['l', 'l', 'l', ...columns.map(() => 'r' as const)]));
    io.out(`\n${batchSummary(ended, started.total, interrupted)}`);
  }
  // The summary goes to stderr too with --json, so a script sees why the exit status is not 0.
  const code = batchExitCode(ended, started.total, interrupted);
  if (code !== 0 && opts.json) io.err(`iommu-lab: ${batchSummary(ended, started.total, interrupted)}`);
  process.exitCode = code;
}

/** The metrics of a sweep's closing table, where the runs report them. */
const SWEEP_COLUMNS = ['throughputGbps', 'readIops', 'writeIops', 'vmExitsPerSec'] as const;

export function registerSweep(program: Command, io: Io): void {
  journalOption(
    program
      .command('sweep [spec]')
      .description('run every combination of a grid of scenario fields, times N seeds (spec: a JSON file)')
      .option('--dry-run', 'validate the spec and print how many runs it expands to; journal nothing', false)
      .option('--json', 'print the sweep and its runs as JSON when done', false)
      .option('--redis <url>', 'run on `iommu-lab worker` processes through this Redis: redis://[:password@]host[:port][/db] or rediss://')
      .option('--resume <experiment>', 'with --redis: re-attach to a sweep whose coordinator ended; journals what finished, runs what was lost')
      .addHelpText('after', `\nSpec file (every grid combination is run for each seed; at most ${MAX_SWEEP_RUNS} runs):\n${SPEC_EXAMPLE}\n`),
  ).action(async (specPath: string | undefined, opts: SweepOpts) => {
    if (opts.resume !== undefined) {
      if (specPath !== undefined) throw new UsageError('give either a spec file or --resume EXPERIMENT, not both');
      if (opts.redis === undefined) throw new UsageError('--resume needs --redis URL (the Redis the sweep\'s workers use)');
    } else if (specPath === undefined) throw new UsageError('missing the spec file (or --resume EXPERIMENT --redis URL)');
    const spec = specPath === undefined ? undefined : readSpecFile(specPath, SPEC_EXAMPLE);
    await withClient(opts, (client) => sweepCommand(client, spec, opts, io));
  });
}
