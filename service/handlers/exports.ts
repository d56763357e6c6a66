// Comparisons of run sets and exports: the report data, rendered as text, HTML
// or JSON, and run lists as CSV or JSON.
import type { Journal, RunQuery, RunSummary } from '../../db/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { buildComparisonReport, comparisonToHtml, comparisonToText, runsCsvHeader, runsCsvRows, runsJsonElements, type ReportRun } from '../exporters/index.ts';
import { Downloads } from '../downloads.ts';
import { favorMemoryOverSpeed } from '../memory.ts';
import { MAX_EXPORT_CONTENT_CHARS } from '../protocol/constants.ts';
import { EXPORT_METRICS } from '../protocol/metrics.ts';
import { flattenRun, gridOrderOf, sweptPaths, type FieldValue } from '../experiments.ts';

interface ReportParams {
  base: string[];
  head: string[];
  threshold: number;
  alpha: number;
  metrics?: string[] | undefined;
  primary?: string | undefined;
  title?: string | undefined;
}

/**
 * Runs read and rendered per step of an export; between steps other calls are
 * answered. Small enough that one step (a page of runs with wide scenario
 * columns, ~20 kB of text each) stays well under the 100 ms a waiting call may take.
 */
const EXPORT_PAGE = 100;

/** Past this many runs an export holds the process's memory down (memory.ts). */
const LARGE_EXPORT_RUNS = 10_000;

export interface RunsExportParams {
  query: Omit<RunQuery, 'page'>;
  format: 'csv' | 'json';
  metrics?: readonly string[] | undefined;
}

const scenarioKey = (r: RunSummary): string => `${r.scenarioHash} ${r.status}`;

/** Lets the event loop answer other calls (timers and sockets too, not only promises). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The text of an export, piece by piece, and how many runs it holds (known before the first piece). */
export interface RunsExportStream {
  runs: number;
  chunks: AsyncGenerator<string, void, undefined>;
}

/**
 * Every run matching the query as CSV or JSON, page by page: memory holds
 * one page and each distinct scenario, never the whole list, and the event
 * loop is free between pages (serve keeps answering).
 *
 * Scenario columns need every run's scenario before the header: a first pass
 * collects the distinct scenarios (runs of a sweep share a few) by scenario
 * hash, which decides the swept fields exactly as over every run, since that
 * depends only on which field combinations occur. The key adds the status:
 * the effective policy, a column too, comes from a run's result.
 */
export function runsExportStream(journal: Journal, params: RunsExportParams): RunsExportStream {
  const names = params.metrics ?? [...EXPORT_METRICS];
  const cursor = journal.runs.matchingRuns(params.query, names);
  async function* chunks(): AsyncGenerator<string, void, undefined> {
    const flatByHash = new Map<string, Record<string, FieldValue>>();
    const experimentIds = new Set<string | null>();
    for (let from = 0; from < cursor.total; from += EXPORT_PAGE) {
      const page = cursor.read(from, EXPORT_PAGE);
      const firsts = new Map<string, string>();
      for (const r of page) {
        experimentIds.add(r.experimentId);
        if (!flatByHash.has(scenarioKey(r)) && !firsts.has(scenarioKey(r))) firsts.set(scenarioKey(r), r.id);
      }
      const hashOf = new Map([...firsts].map(([hash, id]) => [id, hash]));
      for (const d of journal.experiments.runDocuments([...firsts.values()])) flatByHash.set(hashOf.get(d.id) ?? '', flattenRun(d));
      await yieldToEventLoop();
    }
    // Runs of one sweep keep its grid order.
    const only = experimentIds.size === 1 ? [...experimentIds][0] : null;
    const grid = only ? gridOrderOf(journal.experiments.listExperiments().find((e) => e.id === only)?.description ?? '') : [];
    const flat = [...flatByHash.values()];
    const swept = sweptPaths(flat, grid);
    const paths = [...swept, ...[...new Set(flat.flatMap((f) => Object.keys(f)))].filter((p) => !swept.includes(p))];

    if (params.format === 'csv') yield runsCsvHeader(names, { paths, byRun: new Map() });
    else if (cursor.total === 0) yield '[]\n';
    for (let from = 0; from < cursor.total; from += EXPORT_PAGE) {
      const page = cursor.read(from, EXPORT_PAGE);
      const scenario = { paths, byRun: new Map(page.map((r) => [r.id, flatByHash.get(scenarioKey(r)) ?? {}])) };
      if (params.format === 'csv') yield runsCsvRows(page, names, scenario);
      else yield `${from === 0 ? '[\n' : ''}${runsJsonElements(page, from === 0, names, scenario)}`;
      await yieldToEventLoop();
    }
    if (params.format === 'json' && cursor.total > 0) yield '\n]\n';
  }
  return { runs: cursor.total, chunks: chunks() };
}

/** Writes the export to `write` (awaited: a slow sink holds the next page back); returns the number of runs. */
export async function writeRunsExport(journal: Journal, params: RunsExportParams, write: (chunk: string) => void | Promise<void>): Promise<number> {
  const stream = runsExportStream(journal, params);
  for await (const chunk of stream.chunks) if (chunk !== '') await write(chunk);
  return stream.runs;
}

export function exportsHandlers(ctx: LabContext): DomainHandlers<'runs.compareSets' | 'runs.report' | 'runs.export' | 'downloads.read' | 'downloads.cancel'> {
  const downloads = new Downloads();

  /** Runs as report input (scenario, metrics; series only for charts). */
  const reportRuns = (ids: readonly string[], series: boolean): ReportRun[] =>
    ctx.resolveRunIds(ids).map((id) => {
      const r = ctx.journal.runs.getRun(id, { series });
      if (r.status !== 'done') throw new ServiceError('conflict', `run ${r.id} is ${r.status}; only done runs can be compared`);
      const warnings = (r.result as { warnings?: { code: string; message: string }[] } | null)?.warnings ?? [];
      return { id: r.id, name: r.name, kind: r.kind, seed: r.seed, metrics: r.metrics, scenario: r.scenario, ...(series ? { series: r.series } : {}), ...(warnings.length ? { warnings } : {}) };
    });

  /**
   * The metric of the benchmark every one of these runs is a point of, when
   * there is exactly one such benchmark: a comparison of imported runs then
   * tests what the benchmark tracks as its primary metric.
   */
  const benchmarkMetric = (runIds: readonly string[]): string | undefined => {
    const wanted = new Set(runIds);
    const holding = ctx.journal.benchmarks.listBenchmarks().filter((b) => {
      const points = new Set(ctx.journal.benchmarks.listBenchmarkPoints(b.name).map((pt) => pt.runId));
      return [...wanted].every((id) => points.has(id));
    });
    return holding.length === 1 ? holding[0]?.metric : undefined;
  };

  const report = (p: ReportParams, series: boolean) => {
    const label = (runs: ReportRun[]) => (new Set(runs.map((r) => r.name.replace(/ seed=\d+$/, ''))).size === 1 ? (runs[0] as ReportRun).name.replace(/ seed=\d+$/, '') : `${runs.length} runs`);
    const base = reportRuns(p.base, series);
    const head = reportRuns(p.head, series);
    const all = [...base, ...head];
    const compared = new Set(p.metrics ?? Object.keys(all[0]?.metrics ?? {}).filter((m) => all.every((r) => m in r.metrics)));
    const fromBenchmark = p.primary === undefined ? benchmarkMetric(all.map((r) => r.id)) : undefined;
    const primary = p.primary ?? (fromBenchmark !== undefined && compared.has(fromBenchmark) ? fromBenchmark : undefined);
    return buildComparisonReport(
      { label: label(base), runs: base },
      { label: label(head), runs: head },
      { threshold: p.threshold, alpha: p.alpha, ...(p.metrics ? { metrics: p.metrics } : {}), ...(primary ? { primary } : {}), ...(p.title ? { title: p.title } : {}) },
    );
  };

  return {
    'runs.compareSets': (p) => report(p, false),

    'runs.report': (p) => {
      const r = report(p, p.format === 'html');
      const content = p.format === 'text' ? comparisonToText(r) : p.format === 'html' ? comparisonToHtml(r) : JSON.stringify(r, null, 2);
      return { format: p.format, fileName: `iommu-lab-comparison.${p.format === 'text' ? 'txt' : p.format}`, content };
    },

    'runs.export': async (params) => {
      const fileName = `iommu-lab-runs.${params.format}`;
      const stream = runsExportStream(ctx.journal, params);
      // An export of many runs makes garbage fast: memory.ts.
      if (params.download || stream.runs > LARGE_EXPORT_RUNS) favorMemoryOverSpeed();
      const base = { format: params.format, fileName, runs: stream.runs };
      if (params.download) return { ...base, download: downloads.add({ fileName, chunks: stream.chunks }) };
      // Whole when it fits; past the bound, what was made so far starts a download instead.
      const head: string[] = [];
      let chars = 0;
      for (;;) {
        const next = await stream.chunks.next();
        if (next.done) return { ...base, content: head.join('') };
        head.push(next.value);
        chars += next.value.length;
        if (chars > MAX_EXPORT_CONTENT_CHARS) return { ...base, download: downloads.add({ fileName, head, chunks: stream.chunks }) };
      }
    },

    'downloads.read': ({ id, minChars }) => downloads.read(id, minChars),

    'downloads.cancel': async ({ id }) => ({ cancelled: await downloads.cancel(id) }),
  };
}
