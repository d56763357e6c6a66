// Measured results: iperf3 and fio output imported as runs and benchmark points.
// Parsing and journaling megabytes of tool output takes a good part of a
// second: a journal file is imported in a worker over its own connection, so
// the service keeps answering; a read-only or in-memory one here.
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { importMeasurement, type ImportMeasurementInput } from '../importers/index.ts';
import { JobFailedError } from '../pool/index.ts';

export function importsHandlers(ctx: LabContext): DomainHandlers<'measurements.import'> {
  return {
    'measurements.import': async (p) => {
      const input: ImportMeasurementInput = {
        tool: p.tool,
        text: p.text,
        benchmark: p.benchmark,
        ...(p.context ? { context: p.context } : {}),
        ...(p.metric ? { metric: p.metric } : {}),
        ...(p.fileName ? { fileName: p.fileName } : {}),
        ...(p.tags ? { tags: p.tags } : {}),
        allowDuplicate: p.allowDuplicate,
      };
      const journal = ctx.journal;
      if (journal.readonly || journal.path === ':memory:') {
        const r = importMeasurement(journal, input);
        return { runId: r.runId, metric: r.metric, value: r.value, point: r.point };
      }
      // Here first: a worker's refusal carries its fields, not its code (not_found).
      ctx.benchmark(p.benchmark);
      try {
        return await ctx.scheduler.job('importMeasurement', { journalPath: journal.path, measurement: input }, { ahead: true });
      } catch (err) {
        if (err instanceof JobFailedError && err.fields === undefined && /database is locked|SQLITE_BUSY/.test(err.message)) {
          throw new ServiceError('unavailable', `journal busy: another process is writing ${journal.path}; import again once it is done`);
        }
        throw err;
      }
    },
  };
}
