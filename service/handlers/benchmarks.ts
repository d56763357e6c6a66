// Benchmark histories: simulated and measured points over time, markers of
// known shifts, and the change-point analysis (in a worker).
import type { Scenario } from '../../core/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';

type Methods =
  | 'benchmarks.list'
  | 'benchmarks.create'
  | 'benchmarks.setOrder'
  | 'benchmarks.delete'
  | 'benchmarks.addRun'
  | 'benchmarks.removePoints'
  | 'benchmarks.mark'
  | 'benchmarks.removeMarker'
  | 'benchmarks.pointRaw'
  | 'benchmarks.history'
  | 'benchmarks.analyze';

export function benchmarksHandlers(ctx: LabContext): DomainHandlers<Methods> {
  return {
    'benchmarks.list': () => ctx.journal.benchmarks.listBenchmarks(),

    'benchmarks.create': (p) => ctx.journal.benchmarks.ensureBenchmark(p),

    'benchmarks.setOrder': ({ name, orderBy }) => ctx.journal.benchmarks.setOrder(ctx.benchmark(name).name, orderBy),

    'benchmarks.delete': ({ name }) => ({ deleted: ctx.journal.benchmarks.deleteBenchmark(ctx.benchmark(name).name) }),

    'benchmarks.removePoints': ({ benchmark, points }) => ({ removed: ctx.journal.benchmarks.removePoints(ctx.benchmark(benchmark).name, points) }),

    'benchmarks.removeMarker': ({ benchmark, marker }) => {
      const removed = ctx.journal.benchmarks.removeMarker(ctx.benchmark(benchmark).name, marker);
      if (!removed) throw new ServiceError('not_found', `marker ${JSON.stringify(marker)} not found in benchmark ${benchmark}`);
      return { removed };
    },

    'benchmarks.pointRaw': ({ benchmark, point }) => {
      const name = ctx.benchmark(benchmark).name;
      const pointId = ctx.journal.benchmarks.resolvePoint(name, point).id;
      return { pointId, raw: ctx.journal.benchmarks.pointRaw(name, pointId) };
    },

    // The scenario's own facts, then what the caller adds (commit=..., qemu=...); the caller's keys win.
    'benchmarks.addRun': ({ benchmark, runId, context }) => {
      const bench = ctx.benchmark(benchmark);
      const run = ctx.journal.runs.getRun(ctx.resolveRunId(runId), { series: false });
      if (run.status !== 'done') throw new ServiceError('conflict', `run ${run.id} is ${run.status}; only done runs have values`);
      const value = run.metrics[bench.metric];
      if (value === undefined) throw ServiceError.invalid([{ path: 'runId', message: `run ${run.id} has no metric ${bench.metric}` }]);
      const s = run.scenario as unknown as Scenario;
      const effective = (run.result as { policy?: { effective?: string } } | null)?.policy?.effective ?? s.policy;
      return ctx.journal.benchmarks.addBenchmarkPoint(bench.name, {
        value,
        source: 'simulated',
        runId: run.id,
        measuredAt: run.finishedAt ?? run.createdAt,
        context: { kernel: s.guest.kernel, backend: s.viommu.backend, policy: effective, workload: s.workload.kind, modelVersion: run.modelVersion, ...context },
      });
    },

    // Without a placement the marker goes at the current time (after every point so far).
    'benchmarks.mark': ({ benchmark, label, at, before, after, kernel }) => {
      const name = ctx.benchmark(benchmark).name;
      const store = ctx.journal.benchmarks;
      // Points are named by id or prefix, as `history` lists them.
      const anchor = before ?? after;
      const placement =
        anchor !== undefined
          ? { pointId: store.resolvePoint(name, anchor).id, side: before !== undefined ? ('before' as const) : ('after' as const) }
          : kernel !== undefined
            ? { kernel }
            : { at: at ?? new Date().toISOString() };
      return store.addMarker(name, { label, ...placement });
    },

    'benchmarks.history': ({ name }) => {
      const benchmark = ctx.benchmark(name);
      return { benchmark, points: ctx.journal.benchmarks.listBenchmarkPoints(benchmark.name), markers: ctx.journal.benchmarks.listMarkers(benchmark.name) };
    },

    // Bad points come back from the worker as input errors naming their field (see errors.ts).
    // Points go in the order they were added (the run-order axis); the worker sorts them along the axis.
    'benchmarks.analyze': ({ name, orderBy }) => {
      const benchmark = ctx.benchmark(name);
      return ctx.scheduler.job('analyzeHistory', {
        benchmark: { name: benchmark.name, metric: benchmark.metric, higherIsBetter: benchmark.higherIsBetter },
        orderBy: orderBy ?? benchmark.orderBy,
        points: ctx.journal.benchmarks
          .listPointsAdded(benchmark.name)
          .map((p) => ({ id: p.id, measuredAt: p.measuredAt, value: p.value, source: p.source, runId: p.runId, context: p.context })),
        markers: ctx.journal.benchmarks.listMarkers(benchmark.name).map((m) => ({ id: m.id, at: m.at, label: m.label, pointId: m.pointId, side: m.side, kernel: m.kernel })),
      });
    },
  };
}
