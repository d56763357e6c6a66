// iommu-lab runs list|show|tag|note|delete: the journal from the terminal.
import type { Command } from 'commander';
import type { JournaledSimulationResult, Params, Result, RunSortKey } from '../../service/index.ts';
import { RUN_STATUSES } from '../../service/protocol/constants.ts';
import { formatMetric, formatMetricValue, KEY_METRICS, metricHeader, table } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { loadService } from '../service-module.ts';
import { collect, parseIntOption, UsageError, type Io } from '../usage.ts';
import { formatResults } from './simulate.ts';

const SORT_KEYS = ['created', 'name', 'status', 'duration'] as const;
const SORT_COLUMNS = { created: 'created_at', name: 'name', status: 'status', duration: 'duration_ms' } as const;

export interface FilterOpts {
  status: string[];
  tag: string[];
  where: string[];
  metric: string[];
  search?: string;
  experiment?: string;
}

interface ListOpts extends JournalOpts, FilterOpts {
  columns?: string;
  sort: string;
  asc: boolean;
  limit: number;
  offset: number;
  json: boolean;
}

/** `--where viommu.backend=shadow-sl`: a scenario field equal to a value (JSON-typed when it looks like JSON). */
function parseWhere(raw: string): { path: string; value: string | number | boolean } {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--where must look like field.path=value, e.g. viommu.backend=shadow-sl; got "${raw}"`);
  const path = raw.slice(0, eq).trim();
  const text = raw.slice(eq + 1).trim();
  const value = /^(true|false|-?\d+(\.\d+)?)$/.test(text) ? (JSON.parse(text) as number | boolean) : text;
  return { path: `$.${path}`, value };
}

/** `--metric throughputGbps>=40`, `--metric vmExitsPerSec<1000`: a metric range. */
function parseMetric(raw: string): { name: string; min?: number; max?: number } {
  const m = /^([A-Za-z][\w.]*)\s*(>=|<=|>|<)\s*(-?[\d.]+(?:e[-+]?\d+)?)$/i.exec(raw.trim());
  if (!m) throw new UsageError(`--metric must look like name>=value or name<=value, e.g. throughputGbps>=40; got "${raw}"`);
  const [, name, op, num] = m as unknown as [string, string, string, string];
  const value = Number(num);
  return op.startsWith('>') ? { name, min: value } : { name, max: value };
}

/** The filter options `runs list` and `export runs` share. */
export function withListFilters(cmd: Command): Command {
  return cmd
    .option('--status <status>', `only runs in this status (repeatable): ${RUN_STATUSES.join(', ')}`, collect, [] as string[])
    .option('--tag <tag>', 'only runs with this tag (repeatable: all must match)', collect, [] as string[])
    .option('--where <path=value>', 'scenario field equals value, e.g. viommu.backend=shadow-sl (repeatable)', collect, [] as string[])
    .option('--metric <cond>', 'metric range, e.g. throughputGbps>=40 (repeatable)', collect, [] as string[])
    .option('--search <text>', 'full-text search in run names and notes')
    .option('--experiment <name>', 'only runs of this experiment (a sweep is one)');
}

export function filterFrom(opts: FilterOpts): NonNullable<Params<'runs.list'>['filter']> {
  for (const s of opts.status) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}; got "${s}"`);
  }
  return {
    ...(opts.status.length ? { status: opts.status as (typeof RUN_STATUSES)[number][] } : {}),
    ...(opts.tag.length ? { tags: opts.tag } : {}),
    ...(opts.where.length ? { scenario: opts.where.map(parseWhere) } : {}),
    ...(opts.metric.length ? { metric: opts.metric.map(parseMetric) } : {}),
    ...(opts.search ? { text: opts.search } : {}),
    ...(opts.experiment ? { experiment: opts.experiment } : {}),
  };
}

/**
 * The names in the filters and the sort, checked before the journal opens:
 * an unknown metric, scenario field or sort key is a usage error naming the
 * option, the allowed names and the closest ones (the service checks the
 * same rules for every other client).
 */
export async function checkFilterNames(opts: Pick<FilterOpts, 'where' | 'metric'> & { sort?: string }): Promise<void> {
  // The service module carries the name rules (and the one copy of zod and the scenario schema the command loads).
  const names = await loadService();
  for (const raw of opts.metric) {
    const problem = names.unknownMetricMessage(parseMetric(raw).name);
    if (problem) throw new UsageError(`--metric ${raw}: ${problem}`);
  }
  for (const raw of opts.where) {
    const problem = names.unknownScenarioPathMessage(parseWhere(raw).path);
    if (problem) throw new UsageError(`--where ${raw}: ${problem}`);
  }
  const sort = opts.sort;
  if (sort !== undefined && !(SORT_KEYS as readonly string[]).includes(sort) && names.unknownMetricMessage(sort) !== undefined) {
    const close = names.suggest(sort, [...SORT_KEYS, ...names.KNOWN_METRICS]);
    throw new UsageError(
      `--sort: unknown key "${sort}".${close.length ? ` Did you mean ${close.join(' or ')}?` : ''} Allowed: ${SORT_KEYS.join(', ')}, or a metric: ${names.KNOWN_METRICS.join(', ')}.`,
    );
  }
}

function sortOf(raw: string): { by: RunSortKey } {
  if ((SORT_KEYS as readonly string[]).includes(raw)) return { by: SORT_COLUMNS[raw as (typeof SORT_KEYS)[number]] };
  if (/^[A-Za-z][\w.]*$/.test(raw)) return { by: `metric:${raw}` };
  throw new UsageError(`--sort must be one of ${SORT_KEYS.join(', ')} or a metric name; got "${raw}"`);
}

/** `--columns readIops,readClatP99Us`: the metric columns asked for, each a known metric (the key metrics when none). */
async function listColumns(raw: string | undefined): Promise<string[]> {
  if (raw === undefined) return [...KEY_METRICS];
  const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError('--columns must name at least one metric, e.g. readIops,readClatP99Us');
  const service = await loadService();
  for (const name of names) {
    const problem = service.unknownMetricMessage(name);
    if (problem) throw new UsageError(`--columns ${name}: ${problem}`);
  }
  return [...new Set(names)];
}

function listRows(page: Result<'runs.list'>, metrics: readonly string[]): string {
  const header = ['id', 'status', 'name', 'seed', ...metrics.map(metricHeader), 'created', 'tags'];
  const rows = page.rows.map((r) => [
    r.id.slice(0, 8),
    r.status,
    r.name.length > 48 ? `${r.name.slice(0, 47)}…` : r.name,
    String(r.seed),
    ...metrics.map((m) => formatMetricValue(m, r.metrics[m])),
    r.createdAt.slice(0, 19).replace('T', ' '),
    r.tags.join(','),
  ]);
  return table([header, ...rows], ['l', 'l', 'l', 'r', ...metrics.map(() => 'r' as const), 'l', 'l']);
}

export function registerRuns(program: Command, io: Io): void {
  const runs = program.command('runs').description('list, show, tag, annotate and delete journaled runs');

  journalOption(
    withListFilters(runs.command('list').description('list runs, newest first (filter, sort, paginate)'))
      .option('--columns <metrics>', 'metric columns, comma-separated, e.g. readIops,readClatP99Us for fio runs (default: the key metrics)')
      .option('--sort <key>', `${SORT_KEYS.join(', ')} or a metric name (shown as a column)`, 'created')
      .option('--asc', 'ascending order (default: descending)', false)
      .option('--limit <n>', 'rows per page', parseIntOption('--limit', 1, 1000), 50)
      .option('--offset <n>', 'skip this many rows', parseIntOption('--offset', 0, Number.MAX_SAFE_INTEGER), 0)
      .option('--json', 'print {total, rows} as JSON', false),
  ).action(async (opts: ListOpts) => {
    const sort = sortOf(opts.sort);
    await checkFilterNames(opts);
    // The metric sorted by is shown too: a table sorted by a column it does not show reads as unsorted.
    const metrics = [...new Set([...(await listColumns(opts.columns)), ...(sort.by.startsWith('metric:') ? [sort.by.slice(7)] : [])])];
    const query: Params<'runs.list'> = {
      filter: filterFrom(opts),
      sort: { ...sort, dir: opts.asc ? 'asc' : 'desc' },
      page: { limit: opts.limit, offset: opts.offset },
      metrics,
    };
    await withClient(opts, async (client) => {
      const page = await client.call('runs.list', query);
      if (opts.json) return io.out(JSON.stringify(page, null, 2));
      if (page.total === 0) return io.out('No runs match. Start one with: iommu-lab simulate --preset seed-after-fix');
      io.out(listRows(page, metrics));
      io.out(`\n${opts.offset + 1}-${opts.offset + page.rows.length} of ${page.total} runs`);
    });
  });

  journalOption(
    runs
      .command('show <id>')
      .description('one run: metrics, bottleneck, scenario, tags and notes (an id or its first characters)')
      .option('--json', 'print the whole run as JSON (series included)', false),
  ).action(async (id: string, opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const run = await client.call('runs.get', { id, series: opts.json });
      if (opts.json) return io.out(JSON.stringify(run, null, 2));
      io.out(`${run.name}  (${run.id})`);
      io.out(`status ${run.status}, seed ${run.seed}, model ${run.modelVersion}, created ${run.createdAt}${run.durationMs === null ? '' : `, took ${(run.durationMs / 1000).toFixed(2)} s`}`);
      if (run.tags.length) io.out(`tags: ${run.tags.join(', ')}`);
      if (run.error) io.out(`error: ${run.error}`);
      if (run.result && run.kind === 'simulated') io.out(`\n${formatResults([run.result as unknown as JournaledSimulationResult], [run.name])}`);
      else if (Object.keys(run.metrics).length) io.out(`\n${table(Object.entries(run.metrics).map(([k, v]) => [k, formatMetric(k, v)]), ['l', 'r'])}`);
      io.out(`\nscenario (hash ${run.scenarioHash.slice(0, 12)}):\n${JSON.stringify(run.scenario, null, 2)}`);
      for (const n of run.notes) io.out(`\nnote ${n.createdAt.slice(0, 19).replace('T', ' ')}:\n${n.body}`);
    });
  });

  journalOption(
    runs
      .command('tag <id> <tags...>')
      .description('add tags to a run (or remove them with --remove)')
      .option('--remove', 'remove the tags instead', false),
  ).action(async (id: string, tags: string[], opts: JournalOpts & { remove: boolean }) => {
    await withClient(opts, async (client) => {
      const r = await client.call('runs.tag', { id, ...(opts.remove ? { remove: tags } : { add: tags }) });
      io.out(`tags: ${r.tags.join(', ') || '(none)'}`);
    });
  });

  journalOption(runs.command('note <id> <text>').description('add a note to a run (searchable with runs list --search)')).action(
    async (id: string, text: string, opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const note = await client.call('runs.note', { id, body: text });
        io.out(`note added to ${note.runId}`);
      });
    },
  );

  journalOption(runs.command('delete <ids...>').description('delete runs with their metrics, series, tags and notes')).action(
    async (ids: string[], opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const r = await client.call('runs.delete', { ids });
        io.out(`deleted ${r.deleted} run${r.deleted === 1 ? '' : 's'}`);
      });
    },
  );
}
