// iommu-lab import / export / journal: measured results in, run lists and
// comparison reports out, and whole-journal backup and merge.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fmt } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { collect, UsageError, type Io } from '../usage.ts';
import { filterFrom, withListFilters, type FilterOpts } from './runs.ts';

function parseContext(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context must look like key=value, e.g. kernel=6.3; got "${p}"`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** Writes to --output when given (never half a file: one write call), else to stdout. */
function emit(io: Io, content: string, output: string | undefined, what: string): void {
  if (output === undefined) return io.out(content);
  try {
    writeFileSync(output, content, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--output: cannot write ${output}: ${code === 'EEXIST' ? 'the file exists (choose another name)' : (code ?? (err as Error).message)}`);
  }
  io.err(`wrote ${what} to ${output}`);
}

export function registerIo(program: Command, io: Io): void {
  journalOption(
    program
      .command('import <tool> <file>')
      .description('import `iperf3 -J` or `fio --output-format=json` output as a measured point of a benchmark (tool: iperf3 | fio)')
      .requiredOption('--benchmark <name>', 'the benchmark the measurement belongs to (create it with `iommu-lab benchmarks create`)')
      .option('--context <key=value>', 'what it was measured on: kernel, backend, policy, host, device, note (repeatable)', collect, [] as string[])
      .option('--metric <name>', "take this metric as the point's value instead of the benchmark's own")
      .option('--tag <tag>', 'tag the imported run (repeatable)', collect, [] as string[]),
  ).action(async (tool: string, file: string, opts: JournalOpts & { benchmark: string; context: string[]; metric?: string; tag: string[] }) => {
    if (tool !== 'iperf3' && tool !== 'fio') throw new UsageError(`tool must be iperf3 or fio; got "${tool}"`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    await withClient(opts, async (client) => {
      const r = await client.call('measurements.import', {
        tool,
        text,
        benchmark: opts.benchmark,
        context: parseContext(opts.context),
        fileName: file.split('/').pop() ?? file,
        ...(opts.metric ? { metric: opts.metric } : {}),
        ...(opts.tag.length ? { tags: opts.tag } : {}),
      });
      io.out(`imported ${file}: ${r.metric} = ${fmt(r.value)} (run ${r.runId}, benchmark ${opts.benchmark})`);
    });
  });

  const exp = program.command('export').description('export run lists (CSV, JSON) and comparison reports (text, HTML)');
  journalOption(
    withListFilters(exp.command('runs').description('every run matching the filters'))
      .option('--format <format>', 'csv or json', 'csv')
      .option('--metrics <names>', 'comma-separated metric columns (default: the key metrics)')
      .option('-o, --output <file>', 'write to a new file instead of stdout'),
  ).action(async (opts: JournalOpts & FilterOpts & { format: string; metrics?: string; output?: string }) => {
    if (opts.format !== 'csv' && opts.format !== 'json') throw new UsageError(`--format must be csv or json; got "${opts.format}"`);
    const format = opts.format;
    await withClient(opts, async (client) => {
      const r = await client.call('runs.export', { format, query: { filter: filterFrom(opts) }, ...(opts.metrics ? { metrics: opts.metrics.split(',').map((m) => m.trim()) } : {}) });
      emit(io, r.content, opts.output, `${r.runs} runs`);
    });
  });
  journalOption(
    exp
      .command('compare')
      .description('compare run set HEAD against BASE: the mailing-list table, a self-contained HTML report, or JSON')
      .requiredOption('--base <runs...>', 'the base runs (one per seed)')
      .requiredOption('--head <runs...>', 'the runs compared against the base')
      .option('--format <format>', 'text, html or json', 'text')
      .option('--threshold <pct>', 'smallest change that counts, in percent', '2')
      .option('--title <title>', 'report title')
      .option('-o, --output <file>', 'write to a new file instead of stdout'),
  ).action(async (opts: JournalOpts & { base: string[]; head: string[]; format: string; threshold: string; title?: string; output?: string }) => {
    if (opts.format !== 'text' && opts.format !== 'html' && opts.format !== 'json') throw new UsageError(`--format must be text, html or json; got "${opts.format}"`);
    const threshold = Number(opts.threshold);
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) throw new UsageError(`--threshold must be a percentage from 0 to 100; got "${opts.threshold}"`);
    const format = opts.format;
    await withClient(opts, async (client) => {
      const r = await client.call('runs.report', { base: opts.base, head: opts.head, format, threshold: threshold / 100, ...(opts.title ? { title: opts.title } : {}) });
      emit(io, r.content, opts.output, `the ${format} report`);
    });
  });

  const journal = program.command('journal').description('the journal file itself: where it is, backup, merge');
  journalOption(journal.command('info').description('path, schema version, number of runs')).action(async (opts: JournalOpts) => {
    await withClient(opts, async (client) => {
      const i = await client.call('journal.info', {});
      io.out(`${i.path}\nschema ${i.schemaVersion}, model ${i.modelVersion}, ${i.runs} runs, ${i.workers} workers`);
    });
  });
  journalOption(journal.command('backup <file>').description('a consistent, compact copy (safe while other processes write)')).action(async (file: string, opts: JournalOpts) => {
    await withClient(opts, async (client) => {
      await client.call('journal.backup', { path: file });
      io.out(`backed up ${(await client.call('journal.info', {})).path} to ${file}`);
    });
  });
  journalOption(journal.command('merge <file>').description("copy another journal's runs, notes, tags and benchmarks into this one, by run UUID")).action(
    async (file: string, opts: JournalOpts) => {
      await withClient(opts, async (client) => {
        const r = await client.call('journal.merge', { path: file });
        io.out(Object.entries(r).map(([k, v]) => `${k}: ${v}`).join('\n'));
      });
    },
  );
}
