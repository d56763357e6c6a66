// Worker thread entry for simulation jobs: runs the model and returns what
// the journal keeps. Cancellation terminates the thread (see the pool).
import { simulate } from '../../core/index.ts';
import { defineWorker } from '../pool/worker-runtime.ts';
import { toRunOutput } from '../run-output.ts';

defineWorker({
  simulate: (scenario: unknown, ctx) => toRunOutput(simulate(scenario, { onProgress: (f) => ctx.progress(f) })),
});
