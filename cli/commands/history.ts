// iommu-lab benchmarks ... and iommu-lab history NAME: named benchmark
// histories, simulated and measured points, known shifts, change points.
import type { Command } from 'commander';
import type { Result } from '../../service/index.ts';
import { fmt, table } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { REGRESSION_FLAG_PCT } from '../../service/protocol/constants.ts';
import { collect, parseContext, shellWord, UsageError, type Io } from '../usage.ts';

type HistoryAnalysis = Result<'benchmarks.analyze'>;

const pctText = (p: number | null): string => (p === null ? 'n/a' : `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`);

const timeText = (at: string): string => at.slice(0, 19).replace('T', ' ');

function formatHistory(h: HistoryAnalysis): string {
  const { benchmark: bench, points, changes, knownShifts: shifts, latest } = h;
  const byTime = h.orderBy === 'time';
  const axis = byTime ? 'time' : h.orderBy.replace(/^context:/, '');
  const out = [`${bench.name}: ${bench.metric} (${bench.higherIsBetter ? 'higher' : 'lower'} is better), ${points.length} points, ordered by ${axis}`];
  if (points.length === 0) return `${out[0]}\nNo points yet. Add runs with \`iommu-lab benchmarks add\` or measurements with \`iommu-lab import\`.`;
  if (h.unordered > 0) out.push(`${h.unordered} point${h.unordered > 1 ? 's' : ''} without ${axis} come last, in time order.`);
  const flag = new Map<number, string>(changes.map((c) => [c.index, `<- ${c.kind.toUpperCase()} ${pctText(c.changePct)}`]));
  const shiftAt = new Map<number, string>(shifts.filter((s) => s.index !== null).map((s) => [s.index as number, `-- ${s.label} --`]));
  const rows: string[][] = [];
  for (const p of points) {
    const marker = shiftAt.get(p.index);
    if (marker) rows.push(byTime ? ['', marker, '', '', '', '', ''] : ['', marker, '', '', '', '', '', '']);
    const cells = [p.id?.slice(0, 8) ?? '', timeText(p.measuredAt), fmt(p.value), p.source ?? '', p.runId?.slice(0, 8) ?? '', flag.get(p.index) ?? ''];
    rows.push(byTime ? [String(p.index + 1), ...cells] : [String(p.index + 1), p.key ?? '-', ...cells]);
  }
  const head = byTime ? ['#', 'point', 'measured at', bench.metric, 'source', 'run', ''] : ['#', axis, 'point', 'measured at', bench.metric, 'source', 'run', ''];
  const align = head.map((_, i) => (i === 0 || head[i] === bench.metric ? 'r' : 'l')) as ('l' | 'r')[];
  out.push('', table([head, ...rows], align));
  if (shifts.length) {
    out.push('', 'Known shifts (baseline reset):');
    for (const s of shifts) {
      const where = s.index === null ? 'after the last point' : `before #${s.index + 1}${points[s.index]?.key && !byTime ? ` (${axis} ${points[s.index]?.key})` : ''}`;
      out.push(`  ${s.label} [${s.placement}, ${where}]: ${s.meanBefore === null ? '-' : fmt(s.meanBefore)} -> ${s.meanAfter === null ? '-' : fmt(s.meanAfter)} (${pctText(s.changePct)})`);
    }
  }
  const whereChange = (i: number, at: string): string => (byTime ? timeText(at).slice(0, 10) : `#${i + 1} (${axis} ${points[i]?.key ?? '-'})`);
  out.push('', changes.length ? `${changes.length} change point${changes.length > 1 ? 's' : ''}: ${changes.map((c) => `${c.kind} at ${whereChange(c.index, c.at)} (${fmt(c.meanBefore)} -> ${fmt(c.meanAfter)}, ${pctText(c.changePct)})`).join('; ')}` : 'No change points detected.');
  if (latest && latest.baselineMean !== null) out.push(`Latest: ${fmt(latest.value)} vs baseline ${fmt(latest.baselineMean)} (${pctText(latest.changePct)}${latest.zScore === null ? '' : `, z = ${latest.zScore.toFixed(1)}`})`);
  for (const r of h.unacknowledged) {
    const point = r.pointId === null ? '' : ` (acknowledge: iommu-lab benchmarks mark ${shellWord(bench.name)} "acknowledged: ${r.kind} ${pctText(r.changePct)}" --before ${r.pointId.slice(0, 8)})`;
    out.push(`UNACKNOWLEDGED REGRESSION ${pctText(r.changePct)} at ${whereChange(r.index, r.at)}, worse than ${REGRESSION_FLAG_PCT}% since the last marker${point}`);
  }
  return out.join('\n');
}

export function registerHistory(program: Command, io: Io): void {
  journalOption(
    program
      .command('history <benchmark>')
      .description('a benchmark history: points, known shifts, change points flagged as regressions or improvements')
      .option('--order-by <axis>', "order the points by time, run-order, kernel or context:KEY for this view (default: the benchmark's own axis)")
      .option('--json', 'print the analysis as JSON', false)
      .option('--fail-on-regression', `exit 1 when a regression worse than ${REGRESSION_FLAG_PCT}% follows the last marker (for CI)`, false),
  ).action(async (name: string, opts: JournalOpts & { json: boolean; orderBy?: string; failOnRegression: boolean }) => {
    await withClient(opts, async (client) => {
      const h = await client.call('benchmarks.analyze', { name, ...(opts.orderBy ? { orderBy: opts.orderBy } : {}) });
      io.out(opts.json ? JSON.stringify(h, null, 2) : formatHistory(h));
      if (opts.failOnRegression && h.unacknowledged.length > 0) process.exitCode = 1;
    });
  });

  const benchmarks = program.command('benchmarks').description('create benchmarks and add runs and known shifts to them');
  journalOption(benchmarks.command('list').description('list benchmarks').option('--json', 'print JSON', false)).action(async (opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const list = await client.call('benchmarks.list', {});
      if (opts.json) return io.out(JSON.stringify(list, null, 2));
      if (!list.length) return io.out('No benchmarks yet. Create one: iommu-lab benchmarks create NAME --metric throughputGbps');
      io.out(table([['name', 'metric', 'better', 'ordered by', 'description'], ...list.map((b) => [b.name, b.metric, b.higherIsBetter ? 'higher' : 'lower', b.orderBy, b.description])]));
    });
  });
  journalOption(
    benchmarks
      .command('create <name>')
      .description('create a benchmark: a named scenario family and the metric it follows')
      .requiredOption('--metric <name>', 'the metric it follows, e.g. throughputGbps or receivedGbps (iperf3) or readIops (fio)')
      .option('--lower-is-better', 'smaller values are better (latency, exits)', false)
      .option('--order-by <axis>', 'the history axis: time, run-order, kernel or context:KEY (e.g. context:commit)', 'time')
      .option('--description <text>', 'what the benchmark covers'),
  ).action(async (name: string, opts: JournalOpts & { metric: string; lowerIsBetter: boolean; orderBy: string; description?: string }) => {
    await withClient(opts, async (client) => {
      const b = await client.call('benchmarks.create', {
        name,
        metric: opts.metric,
        higherIsBetter: !opts.lowerIsBetter,
        orderBy: opts.orderBy,
        ...(opts.description ? { description: opts.description } : {}),
      });
      io.out(`benchmark ${b.name}: ${b.metric}, ${b.higherIsBetter ? 'higher' : 'lower'} is better, ordered by ${b.orderBy}`);
    });
  });
  journalOption(benchmarks.command('order <benchmark> <axis>').description('order a history by time, run-order, kernel or context:KEY')).action(
    async (name: string, axis: string, opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const b = await client.call('benchmarks.setOrder', { name, orderBy: axis });
        io.out(`benchmark ${b.name} is ordered by ${b.orderBy}`);
      });
    },
  );
  journalOption(
    benchmarks
      .command('add <benchmark> <runs...>')
      .description('add done simulated runs as points of a benchmark')
      .option('--context <key=value>', 'what else the point stands for, e.g. commit=abc123 or qemu=8.2 (repeatable)', collect, [] as string[]),
  ).action(async (name: string, runs: string[], opts: JournalOpts & { context: string[] }) => {
    const context = parseContext(opts.context);
    await withClient(opts, async (client) => {
      for (const runId of runs) {
        const p = await client.call('benchmarks.addRun', { benchmark: name, runId, ...(opts.context.length ? { context } : {}) });
        io.out(`${p.runId?.slice(0, 8)}: ${fmt(p.value)} at ${p.measuredAt} (point ${p.id.slice(0, 8)})`);
      }
    });
  });
  journalOption(
    benchmarks
      .command('mark <benchmark> <label>')
      .description('record a known shift (e.g. "guest kernel moved to 6.3"); the baseline restarts there')
      .option('--before <point>', 'just before this point (id or prefix, as `history` lists them)')
      .option('--after <point>', 'just after this point')
      .option('--kernel <version>', 'before the first point measured on this kernel or a later one')
      .option('--at <time>', 'at a time (ISO 8601); default now, after every point so far')
      .addHelpText('after', '\nGive at most one of --before, --after, --kernel, --at.\n'),
  ).action(async (name: string, label: string, opts: JournalOpts & { at?: string; before?: string; after?: string; kernel?: string }) => {
    const given = (['before', 'after', 'kernel', 'at'] as const).filter((k) => opts[k] !== undefined);
    if (given.length > 1) throw new UsageError(`give one of --before, --after, --kernel, --at; got ${given.map((k) => `--${k}`).join(' and ')}`);
    if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) throw new UsageError(`--at must be an ISO 8601 time like 2026-03-01T00:00:00Z; got "${opts.at}"`);
    await withClient(opts, async (client) => {
      const m = await client.call('benchmarks.mark', {
        benchmark: name,
        label,
        ...(opts.before ? { before: opts.before } : {}),
        ...(opts.after ? { after: opts.after } : {}),
        ...(opts.kernel ? { kernel: opts.kernel } : {}),
        ...(opts.at ? { at: new Date(opts.at).toISOString() } : {}),
      });
      const where = m.pointId ? `${m.side} point ${m.pointId.slice(0, 8)}` : m.kernel ? `at kernel ${m.kernel}` : `at ${m.at}`;
      io.out(`marked ${where}: ${m.label} (marker ${m.id.slice(0, 8)})`);
    });
  });
  journalOption(benchmarks.command('rm <benchmark>').description('delete a benchmark with its points and markers (the runs stay)')).action(async (name: string, opts: JournalOpts) => {
    await withClient(opts, async (client) => {
      await client.call('benchmarks.delete', { name });
      io.out(`deleted benchmark ${name}`);
    });
  });
  journalOption(benchmarks.command('rm-point <benchmark> <points...>').description('remove points (id or prefix) from a history (the runs stay)')).action(
    async (name: string, points: string[], opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const r = await client.call('benchmarks.removePoints', { benchmark: name, points });
        io.out(`removed ${r.removed} point${r.removed === 1 ? '' : 's'} from ${name}`);
      });
    },
  );
  journalOption(benchmarks.command('raw <benchmark> <point>').description('print the tool output (iperf3 / fio JSON) an imported point keeps')).action(
    async (name: string, point: string, opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const r = await client.call('benchmarks.pointRaw', { benchmark: name, point });
        if (r.raw === null) throw new UsageError(`point ${r.pointId.slice(0, 8)} of ${name} keeps no tool output (it was not imported)`);
        io.out(JSON.stringify(r.raw, null, 2));
      });
    },
  );
  journalOption(benchmarks.command('rm-marker <benchmark> <marker>').description('remove a known-shift marker (id or prefix)')).action(
    async (name: string, marker: string, opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        await client.call('benchmarks.removeMarker', { benchmark: name, marker });
        io.out(`removed marker ${marker} from ${name}`);
      });
    },
  );
}
