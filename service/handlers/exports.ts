// Comparisons of run sets and exports: the report data, rendered as text, HTML
// or JSON, and run lists as CSV or JSON.
import type { RunSummary } from '../../db/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { buildComparisonReport, comparisonToHtml, comparisonToText, runsToCsv, runsToJson, type ReportRun } from '../exporters/index.ts';
import { EXPORT_METRICS } from '../protocol/metrics.ts';
import { flattenRun, gridOrderOf, sweptPaths } from '../experiments.ts';

interface ReportParams {
  base: string[];
  head: string[];
  threshold: number;
  alpha: number;
  metrics?: string[] | undefined;
  primary?: string | undefined;
  title?: string | undefined;
}

const EXPORT_PAGE = 1000;

export function exportsHandlers(ctx: LabContext): DomainHandlers<'runs.compareSets' | 'runs.report' | 'runs.export'> {
  /** Runs as report input (scenario, metrics; series only for charts). */
  const reportRuns = (ids: readonly string[], series: boolean): ReportRun[] =>
    ctx.resolveRunIds(ids).map((id) => {
      const r = ctx.journal.runs.getRun(id, { series });
      if (r.status !== 'done') throw new ServiceError('conflict', `run ${r.id} is ${r.status}; only done runs can be compared`);
      return { id: r.id, name: r.name, seed: r.seed, metrics: r.metrics, scenario: r.scenario, ...(series ? { series: r.series } : {}) };
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

    'runs.export': ({ query, format, metrics }) => {
      const names = metrics ?? [...EXPORT_METRICS];
      const rows: RunSummary[] = [];
      for (let offset = 0; ; offset += EXPORT_PAGE) {
        const page = ctx.journal.runs.listRuns({ ...query, metrics: names, page: { limit: EXPORT_PAGE, offset } });
        rows.push(...page.rows);
        if (page.rows.length < EXPORT_PAGE) break;
      }
      // Scenario fields, flattened: those that differ between the exported runs (the swept ones) lead.
      const docs = ctx.journal.experiments.runDocuments(rows.map((r) => r.id));
      const byRun = new Map(docs.map((d) => [d.id, flattenRun(d)]));
      const flat = [...byRun.values()];
      // Runs of one sweep keep its grid order.
      const experimentIds = new Set(rows.map((r) => r.experimentId));
      const only = experimentIds.size === 1 ? [...experimentIds][0] : null;
      const grid = only ? gridOrderOf(ctx.journal.experiments.listExperiments().find((e) => e.id === only)?.description ?? '') : [];
      const swept = sweptPaths(flat, grid);
      const paths = [...swept, ...[...new Set(flat.flatMap((f) => Object.keys(f)))].filter((p) => !swept.includes(p))];
      const scenario = { paths, byRun };
      const content = format === 'csv' ? runsToCsv(rows, names, scenario) : runsToJson(rows, names, scenario);
      return { format, fileName: `iommu-lab-runs.${format}`, runs: rows.length, content };
    },
  };
}
