// Benchmark histories: simulated and measured points over time, markers of
// known shifts, and the change-point analysis (in a worker).
import type { Scenario } from '../../core/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';

type Methods = 'benchmarks.list' | 'benchmarks.create' | 'benchmarks.addRun' | 'benchmarks.mark' | 'benchmarks.history' | 'benchmarks.analyze';

export function benchmarksHandlers(ctx: LabContext): DomainHandlers<Methods> {
  return {
    'benchmarks.list': () => ctx.journal.benchmarks.listBenchmarks(),

    'benchmarks.create': (p) => ctx.journal.benchmarks.ensureBenchmark(p),

    'benchmarks.addRun': ({ benchmark, runId }) => {
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
        context: { kernel: s.guest.kernel, backend: s.viommu.backend, policy: effective, workload: s.workload.kind, modelVersion: run.modelVersion },
      });
    },

    'benchmarks.mark': ({ benchmark, at, label }) => ctx.journal.benchmarks.addMarker(ctx.benchmark(benchmark).name, { at, label }),

    'benchmarks.history': ({ name }) => {
      const benchmark = ctx.benchmark(name);
      return { benchmark, points: ctx.journal.benchmarks.listBenchmarkPoints(benchmark.name), markers: ctx.journal.benchmarks.listMarkers(benchmark.name) };
    },

    // Bad points come back from the worker as input errors naming their field (see errors.ts).
    'benchmarks.analyze': ({ name }) => {
      const benchmark = ctx.benchmark(name);
      return ctx.scheduler.job('analyzeHistory', {
        benchmark: { name: benchmark.name, metric: benchmark.metric, higherIsBetter: benchmark.higherIsBetter },
        points: ctx.journal.benchmarks.listBenchmarkPoints(benchmark.name).map((p) => ({ id: p.id, measuredAt: p.measuredAt, value: p.value, source: p.source, runId: p.runId })),
        markers: ctx.journal.benchmarks.listMarkers(benchmark.name).map((m) => ({ id: m.id, at: m.at, label: m.label })),
      });
    },
  };
}
