// Worker thread entry for the service's CPU-heavy jobs: simulations, and the
// change-point analysis of benchmark histories. Cancellation terminates the
// thread (see the pool).
import { simulate } from '../../core/index.ts';
import { analyzeHistory, type HistoryInput } from '../history.ts';
import { defineWorker } from '../pool/worker-runtime.ts';
import { toRunOutput } from '../run-output.ts';

defineWorker({
  simulate: (scenario: unknown, ctx) => toRunOutput(simulate(scenario, { onProgress: (f) => ctx.progress(f) })),
  analyzeHistory: (input: HistoryInput) => analyzeHistory(input),
});
