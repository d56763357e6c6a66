// Worker thread entry for the service's CPU-heavy jobs: simulations, the
// change-point analysis of benchmark histories, and calibration fits.
// Cancellation terminates the thread (see the pool). Bad input leaves as a
// ServiceError carrying its fields, so the pool hands them back as data.
import { simulate } from '../../core/index.ts';
import { runCalibration } from '../calibration/fit.ts';
import { inputErrorOf } from '../errors.ts';
import { analyzeHistory } from '../history.ts';
import { defineWorker, type JobContext } from '../pool/worker-runtime.ts';
import { ServiceError } from '../protocol/errors.ts';
import { toRunOutput } from '../run-output.ts';
import type { JobInput, JobKind, JobOutput } from './jobs.ts';

type Handlers = { [K in JobKind]: (input: JobInput<K>, ctx: JobContext) => JobOutput<K> | Promise<JobOutput<K>> };

function withInputErrors<I, O>(handler: (input: I, ctx: JobContext) => O): (input: I, ctx: JobContext) => O {
  return (input, ctx) => {
    try {
      return handler(input, ctx);
    } catch (err) {
      const bad = inputErrorOf(err);
      throw bad ? ServiceError.invalid(bad.fields) : err;
    }
  };
}

const handlers: Handlers = {
  simulate: withInputErrors((scenario, ctx) => toRunOutput(simulate(scenario, { onProgress: (f) => ctx.progress(f) }))),
  analyzeHistory: withInputErrors((input) => analyzeHistory(input)),
  calibrate: withInputErrors((input, ctx) => runCalibration(input, (f) => ctx.progress(f))),
  // Its transactions and the source's integrity check take 0.1-1 s each: here, off the service's event loop.
  // A plain connection, not a Journal: opening one would take this thread's runs for orphans.
  mergeJournal: async ({ ownPath, otherPath }) => {
    const [{ openDatabase }, { Sql }, { mergeFrom }] = await Promise.all([import('../../db/open.ts'), import('../../db/statements.ts'), import('../../db/merge.ts')]);
    const db = openDatabase(ownPath);
    try {
      return mergeFrom(new Sql(db), ownPath, otherPath);
    } catch (err) {
      const bad = inputErrorOf(err);
      throw bad ? ServiceError.invalid(bad.fields) : err;
    } finally {
      db.close();
    }
  },
  // Parsing, checking and hashing a tool output of megabytes takes 0.2-0.4 s a 4 MiB file: here too.
  importMeasurement: async ({ journalPath, measurement }) => {
    const [{ openDatabase }, { Journal }, { importMeasurement }] = await Promise.all([import('../../db/open.ts'), import('../../db/journal.ts'), import('../importers/import.ts')]);
    // Not openJournal(): its orphan recovery would take the runs of this process's other threads for orphans.
    const journal = new Journal(journalPath, openDatabase(journalPath), false);
    try {
      const r = importMeasurement(journal, measurement);
      return { runId: r.runId, metric: r.metric, value: r.value, point: r.point };
    } finally {
      journal.close();
    }
  },

  parseJson: (bytes) => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown,
};

defineWorker(handlers);
