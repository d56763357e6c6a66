// iommu-lab experiments list|show: a sweep analysed from the terminal. Per
// grid point the mean and 95% CI over seeds, a metric-vs-parameter chart (one
// line per value of the other fields), main effects, and the best
// configuration per backend with its margin over the runner-up.
import type { Command } from 'commander';
import type { Result } from '../../service/index.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { metricSpec } from '../../service/protocol/metrics.ts';
import { fmt, table } from '../format.ts';
import { UsageError, type Io } from '../usage.ts';

type Analysis = Result<'experiments.show'>;
type Value = string | number | boolean | null;

const valueText = (v: Value | undefined): string => (v === null || v === undefined ? '-' : String(v));
const lastSegment = (path: string): string => path.split('.').at(-1) ?? path;
const pointText = (values: Record<string, Value>, skip: readonly string[] = []): string =>
  Object.entries(values)
    .filter(([p]) => !skip.includes(p))
    .map(([p, v]) => `${lastSegment(p)}=${valueText(v)}`)
    .join(' ') || '(all runs)';

/** RFC 4180 quoting; text a spreadsheet would run as a formula gets a leading apostrophe. */
function csvCell(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per grid point: one column per field it is told apart by, then n and mean, CI and sd of each metric. */
export function experimentCsv(a: Analysis): string {
  const header = [...a.by, 'n', ...a.metrics.flatMap((m) => [`${m.name}.mean`, `${m.name}.ci95Low`, `${m.name}.ci95High`, `${m.name}.sd`])];
  const rows = a.points.map((p) => [
    ...a.by.map((path) => p.values[path] ?? null),
    p.runIds.length,
    ...a.metrics.flatMap((m) => {
      const s = p.metrics[m.name];
      return s ? [s.mean, s.ci95?.[0] ?? null, s.ci95?.[1] ?? null, s.sd] : [null, null, null, null];
    }),
  ]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The metric against one field (x): one line per combination of the other
 * fields, a column per x value and a bar per cell scaled over the whole chart.
 */
export function metricChart(a: Analysis, metric: string, x: string): string {
  const xs: Value[] = [];
  for (const p of a.points) if (!xs.includes(p.values[x] ?? null)) xs.push(p.values[x] ?? null);
  const lines = new Map<string, Map<Value, number>>();
  for (const p of a.points) {
    const s = p.metrics[metric];
    if (!s) continue;
    const key = pointText(p.values, [x]);
    const line = lines.get(key) ?? new Map<Value, number>();
    line.set(p.values[x] ?? null, s.mean);
    lines.set(key, line);
  }
  const all = [...lines.values()].flatMap((l) => [...l.values()]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const bar = (v: number): string => BARS[hi === lo ? BARS.length - 1 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))] ?? '';
  const rows = [...lines].map(([key, line]) => [key, ...xs.map((xv) => (line.has(xv) ? `${bar(line.get(xv) as number)} ${fmt(line.get(xv) as number)}` : '-'))]);
  return table([[`${metric} vs ${x}`, ...xs.map((v) => `${lastSegment(x)}=${valueText(v)}`)], ...rows], ['l', ...xs.map(() => 'r' as const)]);
}

function formatAnalysis(a: Analysis, x: string | undefined): string {
  const e = a.experiment;
  const out = [`experiment ${e.name}: ${e.runs} runs (${e.done} done${e.active ? `, ${e.active} still running` : ''}), swept: ${a.sweptPaths.join(', ') || 'nothing'}`];
  const excluded = Object.entries(a.excluded);
  if (excluded.length) out.push(`not analysed: ${excluded.map(([s, n]) => `${n} ${s}`).join(', ')}`);
  if (a.points.length === 0) return [...out, 'No done runs yet.'].join('\n');

  out.push('', 'Per grid point: mean ± 95% CI half-width over seeds (n = seeds)');
  const head = [...a.by.map(lastSegment), 'n', ...a.metrics.map((m) => `${m.name}${m.unit ? ` (${m.unit})` : ''}`)];
  const rows = a.points.map((p) => [
    ...a.by.map((path) => valueText(p.values[path])),
    String(p.runIds.length),
    ...a.metrics.map((m) => {
      const s = p.metrics[m.name];
      if (!s) return '-';
      return s.ci95 ? `${fmt(s.mean)} ± ${fmt((s.ci95[1] - s.ci95[0]) / 2)}` : fmt(s.mean);
    }),
  ]);
  out.push(table([head, ...rows], head.map((_, i) => (i < a.by.length ? 'l' : 'r'))));

  // The chart's x: the chosen field, else the last numeric field points are told apart by.
  const numeric = a.by.filter((p) => a.points.every((pt) => typeof pt.values[p] === 'number'));
  const xPath = x ?? numeric.at(-1) ?? a.by.at(-1);
  if (xPath && a.by.length > 0) {
    for (const m of a.metrics) out.push('', metricChart(a, m.name, xPath));
  }

  if (a.mainEffects.length) {
    out.push('', 'Main effects (mean of the grid-point means at each value; range in % of their mean):');
    for (const me of a.mainEffects) {
      out.push(`  ${me.path} on ${me.metric}: ${me.levels.map((l) => `${valueText(l.value)} ${fmt(l.mean)}`).join(', ')}  (range ${me.rangePct === null ? 'n/a' : `${me.rangePct.toFixed(1)}%`})`);
    }
  }
  const strong = a.interactions.filter((x) => x.sizePct !== null);
  if (strong.length) {
    out.push('', 'Interactions (how far two fields stray from adding their main effects; % of the grand mean):');
    for (const x of strong) out.push(`  ${x.paths[0]} x ${x.paths[1]} on ${x.metric}: ${(x.sizePct as number).toFixed(1)}%`);
  }
  if (a.pareto && a.pareto.points.length) {
    const primary = metricSpec(a.pareto.metric);
    out.push('', `Pareto front, ${primary.name} vs p99 stale window (no other point is better on both):`);
    for (const p of a.pareto.points) out.push(`  ${pointText(p.values)}: ${fmt(p.value)}${primary.unit ? ` ${primary.unit}` : ''}, ${fmt(p.staleWindowP99Us)} µs`);
  }
  if (a.best.length) {
    out.push('', 'Best configuration per backend (margin over the runner-up; Welch t over seeds, alpha 0.05):');
    for (const b of a.best) {
      const dir = a.metrics.find((m) => m.name === b.metric)?.direction === 'lower' ? 'lowest' : 'highest';
      const runner = b.runnerUp
        ? ` vs runner-up ${pointText(b.runnerUp, ['viommu.backend'])} ${fmt(b.runnerUpMean as number)}: margin ${b.marginPct === null ? 'n/a' : `${b.marginPct.toFixed(1)}%`}, ${b.pValue === null ? 'significance n/a (need 2+ seeds with spread)' : `p = ${b.pValue.toPrecision(2)}, ${b.significant ? 'significant' : 'not significant'}`}`
        : ' (no runner-up)';
      out.push(`  ${valueText(b.backend)}, ${dir} ${b.metric}: ${pointText(b.point, ['viommu.backend'])} ${fmt(b.mean)}${runner}`);
    }
  }
  return out.join('\n');
}

const listOf = (raw: string | undefined): string[] | undefined =>
  raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export function registerExperiments(program: Command, io: Io): void {
  const experiments = program.command('experiments').description('sweeps analysed: per grid point, main effects, best configuration per backend');
  journalOption(experiments.command('list').description('list experiments with their run counts').option('--json', 'print JSON', false)).action(
    async (opts: JournalOpts & { json: boolean }) => {
      await withClient(opts, async (client) => {
        const list = await client.call('experiments.list', {});
        if (opts.json) return io.out(JSON.stringify(list, null, 2));
        if (!list.length) return io.out('No experiments yet. Run a sweep: iommu-lab sweep SPEC.json');
        io.out(table([['name', 'runs', 'done', 'created', 'description'], ...list.map((e) => [e.name, String(e.runs), String(e.done), e.createdAt.slice(0, 19).replace('T', ' '), e.description])], ['l', 'r', 'r', 'l', 'l']));
      });
    },
  );
  journalOption(
    experiments
      .command('show <name>')
      .description('an experiment per grid point: mean ± 95% CI over seeds, metric-vs-parameter chart, main effects, best per backend')
      .option('--by <paths>', 'group runs by these scenario fields (comma-separated; default: the swept ones)')
      .option('--metric <names>', 'metrics to show (comma-separated; default: the primary metric (throughputGbps, or readIops/writeIops and its p99 latency for fio), vmExitsPerSec, staleWindowP99Us)')
      .option('--x <path>', "the chart's x axis (default: the last numeric swept field)")
      .option('--json', 'print the analysis as JSON', false)
      .option('--csv', 'print one CSV row per grid point', false),
  ).action(async (name: string, opts: JournalOpts & { by?: string; metric?: string; x?: string; json: boolean; csv: boolean }) => {
    if (opts.json && opts.csv) throw new UsageError('give one of --json and --csv');
    const by = listOf(opts.by);
    const metrics = listOf(opts.metric);
    await withClient(opts, async (client) => {
      const a = await client.call('experiments.show', { name, ...(by ? { by } : {}), ...(metrics ? { metrics } : {}) });
      if (opts.x !== undefined && !a.by.includes(opts.x)) throw new UsageError(`--x must be one of the fields points are told apart by: ${a.by.join(', ') || '(none)'}; got "${opts.x}"`);
      io.out(opts.json ? JSON.stringify(a, null, 2) : opts.csv ? experimentCsv(a) : formatAnalysis(a, opts.x));
    });
  });
}
