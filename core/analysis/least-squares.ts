// Bounded nonlinear least squares: minimise the sum of squared residuals over
// parameters boxed in [min, max]. Levenberg-Marquardt (ml-levenberg-marquardt)
// does the steps; this wrapper makes it fit an expensive, bounded model:
// parameters are searched in [0, 1] so one finite-difference step suits
// nanosecond costs of any scale, probes past a bound are clamped, and each
// parameter vector is evaluated once however often the optimizer asks.
import { levenbergMarquardt } from 'ml-levenberg-marquardt';

export interface BoundedParameter {
  name: string;
  min: number;
  max: number;
  initial: number;
}

export interface LeastSquaresOptions {
  /** Levenberg-Marquardt iterations at most (default 30). */
  maxIterations?: number;
  /** Finite-difference step as a share of each parameter's range (default 0.005). */
  relativeStep?: number;
  /** Stop once the sum of squares is this small (default 1e-12: exact fits only). */
  tolerance?: number;
  /** Called after every new evaluation of the residuals, with how many there have been. */
  onEvaluation?: (evaluations: number) => void;
}

export interface LeastSquaresFit {
  values: number[];
  /** Which bound each fitted value sits on, if any: the data want a value beyond it. */
  atBound: ('min' | 'max' | null)[];
  initialResiduals: number[];
  residuals: number[];
  /** Sum of squared residuals at the fitted values. */
  cost: number;
  iterations: number;
  evaluations: number;
  /** The last refit used all maxIterations while still improving: the values may not be the minimum. */
  stoppedAtIterationLimit: boolean;
}

export class LeastSquaresInputError extends Error {
  override readonly name = 'LeastSquaresInputError';
}

const BOUND_SLACK = 1e-6; // of the range: closer than this to a bound counts as on it
const CHUNK_ITERATIONS = 5;
/** A chunk of iterations that lowers the cost by less than this share ends the fit. */
const STALL_RELATIVE = 1e-6;

/**
 * Finds values within the bounds that minimise sum(residuals(values)^2).
 * `residuals` must return the same number of finite residuals at every call.
 */
export function boundedLeastSquares(parameters: readonly BoundedParameter[], residuals: (values: number[]) => number[], opts: LeastSquaresOptions = {}): LeastSquaresFit {
  checkParameters(parameters);
  const toValues = (u: readonly number[]) => parameters.map((p, i) => p.min + (p.max - p.min) * Math.min(1, Math.max(0, u[i] as number)));

  const cache = new Map<string, number[]>();
  let evaluations = 0;
  let count = -1;
  const evaluate = (u: readonly number[]): number[] => {
    const values = toValues(u);
    const key = values.join(',');
    let r = cache.get(key);
    if (r === undefined) {
      r = residuals(values);
      if (count === -1) count = r.length;
      if (r.length !== count || r.length === 0) throw new LeastSquaresInputError(`residuals must have ${count} entries at every evaluation, got ${r.length}`);
      const bad = r.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new LeastSquaresInputError(`residual ${bad} is not a finite number at ${describe(parameters, values)}`);
      cache.set(key, r);
      evaluations++;
      opts.onEvaluation?.(evaluations);
    }
    return r;
  };

  const cost = (u: readonly number[]) => evaluate(u).reduce((sum, r) => sum + r * r, 0);
  const step = opts.relativeStep ?? 0.005;
  const maxIterations = opts.maxIterations ?? 30;
  const tolerance = opts.tolerance ?? 1e-12;
  const start = parameters.map((p) => (p.initial - p.min) / (p.max - p.min));
  const initialResiduals = evaluate(start);
  // The optimizer wants two observations at least; a single one counted twice has the same minimum.
  const x = initialResiduals.length === 1 ? [0, 0] : initialResiduals.map((_, i) => i);

  // Levenberg-Marquardt only clamps its steps, so a parameter pressed against
  // a bound would keep dragging the others' steps off course. An active set
  // fixes such parameters at their bound and refits the rest, releasing one
  // again if moving it back inside lowers the cost.
  let u = start.slice();
  const fixed = new Set<number>();
  let iterations = 0;
  let stoppedAtIterationLimit = false;
  for (let round = 0; round <= 2 * parameters.length; round++) {
    const free = parameters.map((_, i) => i).filter((i) => !fixed.has(i));
    if (free.length > 0) {
      const base = u.slice();
      const assemble = (v: readonly number[]) => {
        const full = base.slice();
        free.forEach((i, k) => (full[i] = v[k] as number));
        return full;
      };
      // In chunks, so a fit that has stopped improving stops spending evaluations.
      let v = free.map((i) => base[i] as number);
      let best = cost(assemble(v));
      let converged = false;
      for (let done = 0; done < maxIterations; ) {
        const chunk = Math.min(CHUNK_ITERATIONS, maxIterations - done);
        const fit = levenbergMarquardt({ x, y: x.map(() => 0) }, (w) => (i) => evaluate(assemble(w))[i] as number, {
          initialValues: v,
          minValues: free.map(() => 0),
          maxValues: free.map(() => 1),
          gradientDifference: step,
          centralDifference: true,
          maxIterations: chunk,
          errorTolerance: tolerance,
        });
        done += chunk;
        iterations += fit.iterations;
        v = fit.parameterValues.map((w) => Math.min(1, Math.max(0, w)));
        const now = cost(assemble(v));
        const stalled = best - now <= STALL_RELATIVE * best || now <= tolerance;
        best = Math.min(best, now);
        // The optimizer ending a chunk early means it met its tolerance.
        if (stalled || fit.iterations < chunk) {
          converged = true;
          break;
        }
      }
      stoppedAtIterationLimit = !converged;
      u = assemble(v);
    }
    let changed = false;
    const here = cost(u);
    for (let i = 0; i < parameters.length; i++) {
      const side = u[i]! <= BOUND_SLACK ? 0 : u[i]! >= 1 - BOUND_SLACK ? 1 : null;
      if (side === null) continue;
      const inside = u.slice();
      inside[i] = side === 0 ? step : 1 - step;
      const wantsOut = cost(inside) >= here;
      if (wantsOut && !fixed.has(i)) {
        fixed.add(i);
        u[i] = side;
        changed = true;
      } else if (!wantsOut && fixed.has(i)) {
        fixed.delete(i);
        changed = true;
      }
    }
    if (!changed) break;
  }

  const fitted = evaluate(u);
  return {
    values: toValues(u),
    atBound: u.map((v) => (v <= BOUND_SLACK ? 'min' : v >= 1 - BOUND_SLACK ? 'max' : null)),
    initialResiduals,
    residuals: fitted,
    cost: cost(u),
    iterations,
    evaluations,
    stoppedAtIterationLimit,
  };
}

function checkParameters(parameters: readonly BoundedParameter[]): void {
  if (parameters.length === 0) throw new LeastSquaresInputError('no parameters to fit');
  for (const p of parameters) {
    if (!(Number.isFinite(p.min) && Number.isFinite(p.max) && p.min < p.max)) throw new LeastSquaresInputError(`${p.name}: min (${p.min}) must be less than max (${p.max})`);
    if (!(p.initial >= p.min && p.initial <= p.max)) throw new LeastSquaresInputError(`${p.name}: initial (${p.initial}) must lie within [${p.min}, ${p.max}]`);
  }
}

function describe(parameters: readonly BoundedParameter[], values: readonly number[]): string {
  return parameters.map((p, i) => `${p.name}=${values[i]}`).join(', ');
}
