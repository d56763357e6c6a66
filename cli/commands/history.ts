// iommu-lab benchmarks ... and iommu-lab history NAME: named benchmark
// histories, simulated and measured points, known shifts, change points.
import type { Command } from 'commander';
import type { Result } from '../../service/index.ts';

type HistoryAnalysis = Result<'benchmarks.analyze'>;
import { fmt, table } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { UsageError, type Io } from '../usage.ts';

const pctText = (p: number | null): string => (p === null ? 'n/a' : `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`);

function formatHistory(h: HistoryAnalysis): string {
  const { benchmark: bench, points, changes, knownShifts: shifts, latest } = h;
  const out = [`${bench.name}: ${bench.metric} (${bench.higherIsBetter ? 'higher' : 'lower'} is better), ${points.length} points`];
  if (points.length === 0) return `${out[0]}\nNo points yet. Add runs with \`iommu-lab benchmarks add\` or measurements with \`iommu-lab import\`.`;
  const flag = new Map<number, string>(changes.map((c) => [c.index, `<- ${c.kind.toUpperCase()} ${pctText(c.changePct)}`]));
  const rows = points.map((p) => [p.measuredAt.slice(0, 19).replace('T', ' '), fmt(p.value), p.source ?? '', p.runId?.slice(0, 8) ?? '', flag.get(p.index) ?? '']);
  out.push('', table([['measured at', bench.metric, 'source', 'run', ''], ...rows], ['l', 'r', 'l', 'l', 'l']));
  if (shifts.length) {
    out.push('', 'Known shifts (baseline reset):');
    for (const s of shifts) out.push(`  ${s.at.slice(0, 19).replace('T', ' ')}  ${s.label}: ${s.meanBefore === null ? '-' : fmt(s.meanBefore)} -> ${s.meanAfter === null ? '-' : fmt(s.meanAfter)} (${pctText(s.changePct)})`);
  }
  out.push('', changes.length ? `${changes.length} change point${changes.length > 1 ? 's' : ''}: ${changes.map((c) => `${c.kind} at ${c.at.slice(0, 10)} (${fmt(c.meanBefore)} -> ${fmt(c.meanAfter)}, ${pctText(c.changePct)})`).join('; ')}` : 'No change points detected.');
  if (latest && latest.baselineMean !== null) out.push(`Latest: ${fmt(latest.value)} vs baseline ${fmt(latest.baselineMean)} (${pctText(latest.changePct)}${latest.zScore === null ? '' : `, z = ${latest.zScore.toFixed(1)}`})`);
  return out.join('\n');
}

export function registerHistory(program: Command, io: Io): void {
  journalOption(
    program
      .command('history <benchmark>')
      .description('a benchmark history: points, known shifts, change points flagged as regressions or improvements')
      .option('--json', 'print the analysis as JSON', false),
  ).action(async (name: string, opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const h = (await client.call('benchmarks.analyze', { name })) as Result<'benchmarks.analyze'> as unknown as HistoryAnalysis;
      io.out(opts.json ? JSON.stringify(h, null, 2) : formatHistory(h));
    });
  });

  const benchmarks = program.command('benchmarks').description('create benchmarks and add runs and known shifts to them');
  journalOption(benchmarks.command('list').description('list benchmarks').option('--json', 'print JSON', false)).action(async (opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const list = await client.call('benchmarks.list', {});
      if (opts.json) return io.out(JSON.stringify(list, null, 2));
      if (!list.length) return io.out('No benchmarks yet. Create one: iommu-lab benchmarks create NAME --metric throughputGbps');
      io.out(table([['name', 'metric', 'better', 'description'], ...list.map((b) => [b.name, b.metric, b.higherIsBetter ? 'higher' : 'lower', b.description])]));
    });
  });
  journalOption(
    benchmarks
      .command('create <name>')
      .description('create a benchmark: a named scenario family and the metric it follows')
      .requiredOption('--metric <name>', 'the metric it follows, e.g. throughputGbps or receivedGbps (iperf3) or readIops (fio)')
      .option('--lower-is-better', 'smaller values are better (latency, exits)', false)
      .option('--description <text>', 'what the benchmark covers'),
  ).action(async (name: string, opts: JournalOpts & { metric: string; lowerIsBetter: boolean; description?: string }) => {
    await withClient(opts, async (client) => {
      const b = await client.call('benchmarks.create', { name, metric: opts.metric, higherIsBetter: !opts.lowerIsBetter, ...(opts.description ? { description: opts.description } : {}) });
      io.out(`benchmark ${b.name}: ${b.metric}, ${b.higherIsBetter ? 'higher' : 'lower'} is better`);
    });
  });
  journalOption(benchmarks.command('add <benchmark> <runs...>').description('add done simulated runs as points of a benchmark')).action(
    async (name: string, runs: string[], opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        for (const runId of runs) {
          const p = await client.call('benchmarks.addRun', { benchmark: name, runId });
          io.out(`${p.runId?.slice(0, 8)}: ${fmt(p.value)} at ${p.measuredAt}`);
        }
      });
    },
  );
  journalOption(
    benchmarks
      .command('mark <benchmark> <label>')
      .description('record a known shift (e.g. "guest kernel moved to 6.3"); the baseline restarts there')
      .option('--at <time>', 'when (ISO 8601); default now'),
  ).action(async (name: string, label: string, opts: JournalOpts & { at?: string }) => {
    const at = opts.at ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(at))) throw new UsageError(`--at must be an ISO 8601 time like 2026-03-01T00:00:00Z; got "${at}"`);
    await withClient(opts, async (client) => {
      const m = await client.call('benchmarks.mark', { benchmark: name, at: new Date(at).toISOString(), label });
      io.out(`marked ${m.at}: ${m.label}`);
    });
  });
}
