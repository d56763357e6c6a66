// The calibration fit, run in a worker: chosen costs are varied within their
// bounds until the simulator reproduces the observations, by least squares on
// relative residuals (so a throughput in Gbit/s and an exit rate in millions
// per second weigh alike). Every evaluation simulates every point with the
// same seeds, so the objective is deterministic.
import { CalibrationInputError } from './errors.ts';
import { boundedLeastSquares, type BoundedParameter } from '../../core/analysis/index.ts';
import { scalarMetrics, simulate, type Scenario } from '../../core/index.ts';

export interface CalibrationPointInput {
  /** The point's scenario with the starting costs; fitted costs replace their entries. */
  scenario: Scenario;
  metric: string;
  observed: number;
  weight: number;
}

export interface CalibrationJobInput {
  parameters: BoundedParameter[];
  points: CalibrationPointInput[];
  maxIterations: number;
}

export interface CalibrationJobOutput {
  values: number[];
  atBound: ('min' | 'max' | null)[];
  initialSimulated: number[];
  fittedSimulated: number[];
  iterations: number;
  evaluations: number;
  /** The fit used every iteration it was allowed while still improving. */
  stoppedAtIterationLimit: boolean;
  elapsedMs: number;
}


/** Evaluations a fit may need: each iteration probes every parameter twice (central differences) and takes a step. */
export function evaluationBudget(input: Pick<CalibrationJobInput, 'parameters' | 'maxIterations'>): number {
  return 2 + input.maxIterations * (2 * input.parameters.length + 1);
}

export function runCalibration(input: CalibrationJobInput, onProgress?: (fraction: number) => void): CalibrationJobOutput {
  const started = performance.now();
  const names = input.parameters.map((p) => p.name);
  const simulatedAt = (values: readonly number[]): number[] =>
    input.points.map((point, i) => {
      const costs = { ...point.scenario.costs };
      names.forEach((name, k) => ((costs as Record<string, number>)[name] = values[k] as number));
      const metrics = scalarMetrics(simulate({ ...point.scenario, costs }));
      const value = metrics[point.metric];
      if (value === undefined) {
        throw new CalibrationInputError(`points.${i}.metric`, `the simulation has no metric ${JSON.stringify(point.metric)}; it has ${Object.keys(metrics).join(', ')}`);
      }
      return value;
    });
  const residualOf = (simulated: readonly number[]) => input.points.map((p, i) => (Math.sqrt(p.weight) * ((simulated[i] as number) - p.observed)) / p.observed);
  const simulatedOf = (residuals: readonly number[]) => input.points.map((p, i) => p.observed * (1 + (residuals[i] as number) / Math.sqrt(p.weight)));

  const budget = evaluationBudget(input);
  const fit = boundedLeastSquares(input.parameters, (values) => residualOf(simulatedAt(values)), {
    maxIterations: input.maxIterations,
    onEvaluation: (n) => onProgress?.(Math.min(0.99, n / budget)),
  });
  return {
    values: fit.values,
    atBound: fit.atBound,
    initialSimulated: simulatedOf(fit.initialResiduals),
    fittedSimulated: simulatedOf(fit.residuals),
    iterations: fit.iterations,
    evaluations: fit.evaluations,
    stoppedAtIterationLimit: fit.stoppedAtIterationLimit,
    elapsedMs: performance.now() - started,
  };
}
