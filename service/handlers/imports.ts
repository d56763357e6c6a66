// Measured results: iperf3 and fio output imported as runs and benchmark points.
import type { DomainHandlers, LabContext } from '../context.ts';
import { importMeasurement } from '../importers/index.ts';

export function importsHandlers(ctx: LabContext): DomainHandlers<'measurements.import'> {
  return {
    'measurements.import': (p) => {
      const r = importMeasurement(ctx.journal, {
        tool: p.tool,
        text: p.text,
        benchmark: p.benchmark,
        ...(p.context ? { context: p.context } : {}),
        ...(p.metric ? { metric: p.metric } : {}),
        ...(p.fileName ? { fileName: p.fileName } : {}),
        ...(p.tags ? { tags: p.tags } : {}),
        allowDuplicate: p.allowDuplicate,
      });
      return { runId: r.runId, metric: r.metric, value: r.value, point: r.point };
    },
  };
}
