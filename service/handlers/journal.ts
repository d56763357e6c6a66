// The journal as a whole: what it is, a consistent copy, and merging another one in.
import { MODEL_VERSION } from '../../core/index.ts';
import { setImmediate } from 'node:timers/promises';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';

export function journalHandlers(ctx: LabContext): DomainHandlers<'journal.info' | 'journal.backup' | 'journal.merge'> {
  let merging = false;
  return {
    'journal.info': () => ({
      path: ctx.journal.path,
      schemaVersion: ctx.journal.schemaVersion,
      modelVersion: MODEL_VERSION,
      runs: ctx.journal.runs.listRuns({ page: { limit: 1 } }).total,
      workers: ctx.scheduler.workers,
    }),

    // Copied page by page with the event loop free in between: other calls are answered meanwhile.
    'journal.backup': async ({ path }) => ({ path: await ctx.journal.backupOnline(path) }),

    // One transaction of runs at a time, yielding to the event loop between them: other calls are answered meanwhile.
    'journal.merge': async ({ path }) => {
      if (merging) throw new ServiceError('conflict', 'a merge into this journal is already running; wait for it to finish');
      merging = true;
      try {
        const steps = ctx.journal.mergeSteps(path);
        for (;;) {
          const step = steps.next();
          if (step.done) return step.value;
          await setImmediate();
        }
      } finally {
        merging = false;
      }
    },
  };
}
