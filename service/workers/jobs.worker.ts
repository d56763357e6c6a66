// Worker thread entry for the service's CPU-heavy jobs: simulations, the
// change-point analysis of benchmark histories, and calibration fits.
// Cancellation terminates the thread (see the pool).
import { simulate } from '../../core/index.ts';
import { runCalibration, type CalibrationJobInput } from '../calibration/fit.ts';
import { analyzeHistory, type HistoryInput } from '../history.ts';
import { defineWorker } from '../pool/worker-runtime.ts';
import { toRunOutput } from '../run-output.ts';

defineWorker({
  simulate: (scenario: unknown, ctx) => toRunOutput(simulate(scenario, { onProgress: (f) => ctx.progress(f) })),
  analyzeHistory: (input: HistoryInput) => analyzeHistory(input),
  calibrate: (input: CalibrationJobInput, ctx) => runCalibration(input, (f) => ctx.progress(f)),
});
