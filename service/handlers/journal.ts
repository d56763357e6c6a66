// The journal as a whole: what it is, a consistent copy, and merging another one in.
import { MODEL_VERSION } from '../../core/index.ts';
import { setImmediate } from 'node:timers/promises';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { JobFailedError } from '../pool/index.ts';

/** No merge of a real journal takes this long; a hung one is stopped (its transaction rolls back). */
const MERGE_TIME_LIMIT_MS = 6 * 3600_000;

export function journalHandlers(ctx: LabContext): DomainHandlers<'journal.info' | 'journal.backup' | 'journal.merge'> {
  let merging = false;

  /** The worker's failures told as the merge here tells them: a locked or foreign journal is no internal error. */
  const mergeInWorker = async (ownPath: string, otherPath: string) => {
    try {
      // Ahead of queued runs: a merge started during a sweep does not wait for the sweep.
      return await ctx.scheduler.job('mergeJournal', { ownPath, otherPath }, { timeoutMs: MERGE_TIME_LIMIT_MS, ahead: true });
    } catch (err) {
      if (err instanceof JobFailedError && err.fields === undefined) {
        if (err.workerName === 'IncompatibleJournalError' || err.workerName === 'JournalOpenError') throw new ServiceError('unavailable', err.message);
        if (/database is locked|SQLITE_BUSY/.test(err.message)) throw new ServiceError('unavailable', `journal busy: another process is writing ${ownPath}; merge again once it is done (${err.message})`);
      }
      throw err;
    }
  };
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

    // In a worker over its own connection (the event loop stays free); a read-only or in-memory journal
    // here, one transaction of runs at a time, yielding to the event loop between them.
    'journal.merge': async ({ path }) => {
      if (merging) throw new ServiceError('conflict', 'a merge into this journal is already running; wait for it to finish');
      merging = true;
      try {
        const own = ctx.journal;
        if (!own.readonly && own.path !== ':memory:') return await mergeInWorker(own.path, path);
        const steps = own.mergeSteps(path);
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
