// iommu-lab compare RUN RUN ...: scenario differences and every metric side
// by side, with delta and ratio against the first run.
import type { Command } from 'commander';
import type { Result } from '../../service/index.ts';
import { formatMetricValue, table } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import type { Io } from '../usage.ts';

function formatComparison(c: Result<'runs.compare'>): string {
  const heads = c.runs.map((r, i) => `${i === 0 ? 'base ' : ''}${r.id.slice(0, 8)}`);
  const out: string[] = [];
  out.push(c.runs.map((r, i) => `${heads[i]}: ${r.name} (seed ${r.seed}, ${r.status})`).join('\n'));
  out.push(
    c.differences.length
      ? `\nScenario differences:\n${table([['field', ...heads], ...c.differences.map((d) => [d.path, ...d.values.map((v) => JSON.stringify(v))])])}`
      : '\nScenarios are identical.',
  );
  const metricRows = c.metrics.map((m) => [
    m.name,
    ...m.values.map((v, i) => {
      if (v === null) return '-';
      const ratio = m.ratio[i];
      const value = formatMetricValue(m.name, v);
      return i === 0 || ratio === null || ratio === undefined ? value : `${value} (${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%)`;
    }),
  ]);
  out.push(`\nMetrics (change vs base):\n${table([['metric', ...heads], ...metricRows], ['l', ...heads.map(() => 'r' as const)])}`);
  return out.join('\n');
}

export function registerCompare(program: Command, io: Io): void {
  journalOption(
    program
      .command('compare <runs...>')
      .description('compare 2 or more runs: scenario differences and metrics with change vs the first')
      .option('--json', 'print the comparison as JSON', false),
  ).action(async (ids: string[], opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const c = await client.call('runs.compare', { ids });
      io.out(opts.json ? JSON.stringify(c, null, 2) : formatComparison(c));
    });
  });
}
