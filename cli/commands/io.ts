// iommu-lab import / export / journal: measured results in, run lists and
// comparison reports out, and whole-journal backup and merge.
import { closeSync, existsSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { readTextFile } from '../text-file.ts';
import { fmt } from '../format.ts';
import { invalidFields, journalOption, withClient, type Client, type JournalOpts } from '../client.ts';
import { collect, parseContext, UsageError, type Io } from '../usage.ts';
import { checkFilterNames, filterFrom, withListFilters, type FilterOpts } from './runs.ts';

/** Refuses an existing --output file without --force: checked before any work, and again when writing. */
function checkOutput(output: string | undefined, force: boolean): void {
  if (output !== undefined && !force && existsSync(output)) throw new UsageError(`--output: ${output} exists; add --force to overwrite it, or choose another name`);
}

/**
 * Writes to --output when given (one write call), else to stdout. An existing
 * file is left as it was unless --force; then the content goes to a private
 * temporary file beside it, which takes its name, so the old file is replaced
 * whole or not at all.
 */
function emit(io: Io, content: string, output: string | undefined, what: string, force: boolean): void {
  if (output === undefined) return io.out(content);
  checkOutput(output, force);
  const temp = force ? join(dirname(output), `.${basename(output)}.${process.pid}.tmp`) : undefined;
  try {
    // Run data is the user's alone (0600); 'wx' never opens an existing file, so a file made since the check is kept.
    writeFileSync(temp ?? output, content, { flag: 'wx', mode: 0o600 });
    if (temp) renameSync(temp, output);
  } catch (err) {
    if (temp) rmSync(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !temp) checkOutput(output, force);
    throw new UsageError(`--output: cannot write ${output}: ${code ?? (err as Error).message}`);
  }
  io.err(`wrote ${what} to ${output}`);
}

/**
 * A download (an export of any size) to --output or to stdout, piece by
 * piece: memory holds one piece. The --output rules are emit's: an existing
 * file only with --force, replaced whole through a temporary file beside it;
 * a failed export removes what it had started.
 */
async function emitDownload(client: Client, io: Io, id: string, output: string | undefined, what: string, force: boolean): Promise<void> {
  const { readDownload } = await import('../../service/protocol/downloads.ts');
  if (output === undefined) {
    // Whole lines only: io.out ends what it writes with a newline.
    let partial = '';
    await readDownload(client, id, (text) => {
      const all = partial + text;
      const cut = all.lastIndexOf('\n') + 1;
      if (cut > 0) io.out(all.slice(0, cut));
      partial = all.slice(cut);
    });
    if (partial !== '') io.out(partial);
    return;
  }
  checkOutput(output, force);
  const temp = force ? join(dirname(output), `.${basename(output)}.${process.pid}.tmp`) : undefined;
  const target = temp ?? output;
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o600); // run data is the user's alone; 'wx' never opens an existing file
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !temp) checkOutput(output, force);
    throw new UsageError(`--output: cannot write ${output}: ${code ?? (err as Error).message}`);
  }
  try {
    await readDownload(client, id, (text) => void writeSync(fd, text));
    closeSync(fd);
    if (temp) renameSync(temp, output);
  } catch (err) {
    closeSync(fd);
    rmSync(target, { force: true });
    throw err;
  }
  io.err(`wrote ${what} to ${output}`);
}

const OUTPUT_HELP = 'write to a file instead of stdout (an existing file only with --force)';
const FORCE_HELP = 'with -o: replace the file if it exists';

interface ImportOpts extends JournalOpts {
  benchmark: string;
  context: string[];
  allowDuplicate: boolean;
  metric?: string;
  tag: string[];
}

interface ImportFile {
  path: string;
  text: string;
}

/** Reads every file before the first import: a mistyped path imports nothing. */
function readImportFiles(paths: string[]): ImportFile[] {
  return paths.map((path) => ({ path, text: readTextFile(path, 'file') }));
}

/**
 * Imports each file as its own measured run, in order. Each file goes in whole
 * or not at all; one rejected file does not stop the others. With several
 * files, a summary names those not imported and the exit code is 1 if any was
 * not. An error the first file meets that is not about its content (a missing
 * benchmark, a bad tag) would meet every file: it stops the call.
 */
async function importCommand(client: Client, tool: 'iperf3' | 'fio', files: ImportFile[], opts: ImportOpts, io: Io): Promise<void> {
  const context = parseContext(opts.context);
  const failed: string[] = [];
  for (const file of files) {
    try {
      const r = await client.call('measurements.import', {
        tool,
        text: file.text,
        benchmark: opts.benchmark,
        context,
        fileName: file.path.split('/').pop() ?? file.path,
        ...(opts.metric ? { metric: opts.metric } : {}),
        ...(opts.tag.length ? { tags: opts.tag } : {}),
        ...(opts.allowDuplicate ? { allowDuplicate: true } : {}),
      });
      io.out(`imported ${file.path}: ${r.metric} = ${fmt(r.value)} (run ${r.runId}, benchmark ${opts.benchmark})`);
    } catch (err) {
      // One file, or an error that is not about the file's content (a missing benchmark, a bad --tag) before any
      // file went in: the error is the command's, as for every command (exit 2 for bad input, 1 otherwise).
      const aboutText = invalidFields(err)?.every((f) => f.path === 'text' || f.path.startsWith('text.')) === true;
      if (files.length === 1 || (!aboutText && failed.length === 0 && file === files[0])) throw err;
      failed.push(file.path);
      io.err(`iommu-lab: ${file.path} not imported: ${(err as Error).message}`);
    }
  }
  if (files.length === 1) return;
  const imported = files.length - failed.length;
  const summary = `imported ${imported} of ${files.length} files into benchmark ${opts.benchmark}`;
  if (failed.length === 0) return io.out(summary);
  io.err(`${summary}; not imported: ${failed.join(' ')}`);
  process.exitCode = 1;
}

export function registerIo(program: Command, io: Io): void {
  journalOption(
    program
      .command('import <tool> <files...>')
      .description('import `iperf3 -J` or `fio --output-format=json` output files, each as a measured point of a benchmark (tool: iperf3 | fio)')
      .requiredOption('--benchmark <name>', 'the benchmark the measurements belong to (create it with `iommu-lab benchmarks create`)')
      .option('--context <key=value>', 'what it was measured on: kernel, backend, policy, host, device, note, or any key such as qemu=8.2 or commit=abc123 (repeatable)', collect, [] as string[])
      .option('--allow-duplicate', 'import a file even if this benchmark already holds the same content', false)
      .option('--metric <name>', "take this metric as each point's value instead of the benchmark's own")
      .option('--tag <tag>', 'tag the imported runs (repeatable)', collect, [] as string[])
      .addHelpText('after', '\nEach file is imported whole or not at all; a rejected file does not stop the others.\nWith several files the exit code is 0 only if every file was imported, else 1 (a summary names the rest).\n'),
  ).action(async (tool: string, paths: string[], opts: ImportOpts) => {
    if (tool !== 'iperf3' && tool !== 'fio') throw new UsageError(`tool must be iperf3 or fio; got "${tool}"`);
    parseContext(opts.context);
    const files = readImportFiles(paths);
    await withClient(opts, (client) => importCommand(client, tool, files, opts, io));
  });

  const exp = program.command('export').description('export run lists (CSV, JSON) and comparison reports (text, HTML)');
  journalOption(
    withListFilters(exp.command('runs').description('every run matching the filters'))
      .option('--format <format>', 'csv or json', 'csv')
      .option('--metrics <names>', 'comma-separated metric columns (default: the key metrics)')
      .option('-o, --output <file>', OUTPUT_HELP)
      .option('--force', FORCE_HELP, false),
  ).action(async (opts: JournalOpts & FilterOpts & { format: string; metrics?: string; output?: string; force: boolean }) => {
    if (opts.format !== 'csv' && opts.format !== 'json') throw new UsageError(`--format must be csv or json; got "${opts.format}"`);
    const format = opts.format;
    checkOutput(opts.output, opts.force);
    await checkFilterNames(opts);
    await withClient(opts, async (client) => {
      const r = await client.call('runs.export', { format, download: true, query: { filter: filterFrom(opts) }, ...(opts.metrics ? { metrics: opts.metrics.split(',').map((m) => m.trim()) } : {}) });
      await emitDownload(client, io, (r.download as { id: string }).id, opts.output, `${r.runs} runs`, opts.force);
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
      .option('--primary <metric>', 'the metric tested alone, without multiple-testing correction (default: IOPS for fio runs, throughputGbps for NIC runs, else the first headline metric)')
      .option('--title <title>', 'report title')
      .option('-o, --output <file>', OUTPUT_HELP)
      .option('--force', FORCE_HELP, false),
  ).action(async (opts: JournalOpts & { base: string[]; head: string[]; format: string; threshold: string; primary?: string; title?: string; output?: string; force: boolean }) => {
    if (opts.format !== 'text' && opts.format !== 'html' && opts.format !== 'json') throw new UsageError(`--format must be text, html or json; got "${opts.format}"`);
    const threshold = Number(opts.threshold);
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) throw new UsageError(`--threshold must be a percentage from 0 to 100; got "${opts.threshold}"`);
    const format = opts.format;
    checkOutput(opts.output, opts.force);
    await withClient(opts, async (client) => {
      const r = await client.call('runs.report', { base: opts.base, head: opts.head, format, threshold: threshold / 100, ...(opts.primary ? { primary: opts.primary } : {}), ...(opts.title ? { title: opts.title } : {}) });
      emit(io, r.content, opts.output, `the ${format} report`, opts.force);
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
