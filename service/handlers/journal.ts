// The journal as a whole: what it is, a consistent copy, and merging another one in.
import { MODEL_VERSION } from '../../core/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';

export function journalHandlers(ctx: LabContext): DomainHandlers<'journal.info' | 'journal.backup' | 'journal.merge'> {
  return {
    'journal.info': () => ({
      path: ctx.journal.path,
      schemaVersion: ctx.journal.schemaVersion,
      modelVersion: MODEL_VERSION,
      runs: ctx.journal.runs.listRuns({ page: { limit: 1 } }).total,
      workers: ctx.scheduler.workers,
    }),

    'journal.backup': ({ path }) => ({ path: ctx.journal.backup(path) }),

    'journal.merge': ({ path }) => ctx.journal.mergeFrom(path),
  };
}
