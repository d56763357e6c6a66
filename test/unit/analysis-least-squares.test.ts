import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedLeastSquares, LeastSquaresInputError } from '../../core/analysis/index.ts';

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} differs from ${expected} by more than ${tol}`);

// y = 3 + 0.5 x with fixed, hand-picked disturbances (no RNG: the answer is exact).
const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const ys = xs.map((x, i) => 3 + 0.5 * x + [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, 0.35, -0.1, -0.25, 0.15][i]!);

/** Ordinary least squares from its definition: b = Sxy / Sxx, a = ȳ - b x̄. */
function ols(): { a: number; b: number } {
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

const line = ([a, b]: number[]) => xs.map((x, i) => a! + b! * x - ys[i]!);

test('a line within wide bounds: the fit is ordinary least squares', () => {
  const { a, b } = ols();
  const fit = boundedLeastSquares(
    [
      { name: 'a', min: -10, max: 10, initial: 0 },
      { name: 'b', min: -5, max: 5, initial: 0 },
    ],
    line,
    { maxIterations: 100 },
  );
  close(fit.values[0]!, a, 1e-4);
  close(fit.values[1]!, b, 1e-5);
  assert.deepEqual(fit.atBound, [null, null]);
  // The minimum's cost is the residual sum of squares of OLS.
  const rss = line([a, b]).reduce((s, r) => s + r * r, 0);
  close(fit.cost, rss, 1e-8);
  assert.ok(fit.cost < fit.initialResiduals.reduce((s, r) => s + r * r, 0));
});

test('a slope bounded below its OLS value: the slope sits on the bound and the intercept is the best one given it', () => {
  const { b } = ols();
  const cap = b - 0.2; // the unconstrained optimum lies beyond the bound
  const fit = boundedLeastSquares(
    [
      { name: 'a', min: -10, max: 10, initial: 1 },
      { name: 'b', min: 0, max: cap, initial: 0.1 },
    ],
    line,
    { maxIterations: 100 },
  );
  // With b fixed at the bound, the convex problem in a is solved by a = mean(y - b x).
  const expectedA = ys.reduce((s, y, i) => s + y - cap * xs[i]!, 0) / xs.length;
  close(fit.values[1]!, cap, 1e-9);
  close(fit.values[0]!, expectedA, 1e-4);
  assert.deepEqual(fit.atBound, [null, 'max']);
});

test('an exponential decay fitted exactly recovers its parameters', () => {
  const ts = [0, 0.5, 1, 1.5, 2, 3, 4];
  const obs = ts.map((t) => 5 * Math.exp(-0.8 * t));
  const fit = boundedLeastSquares(
    [
      { name: 'A', min: 0.1, max: 20, initial: 2 },
      { name: 'k', min: 0.01, max: 5, initial: 0.3 },
    ],
    ([A, k]) => ts.map((t, i) => A! * Math.exp(-k! * t) - obs[i]!),
    { maxIterations: 200 },
  );
  close(fit.values[0]!, 5, 1e-3);
  close(fit.values[1]!, 0.8, 1e-3);
  assert.ok(fit.cost < 1e-8, `cost ${fit.cost}`);
});

test('a fit cut short by maxIterations says so; one that converges does not', () => {
  const ts = [0, 0.5, 1, 1.5, 2, 3, 4];
  const obs = ts.map((t) => 5 * Math.exp(-0.8 * t));
  const params = [
    { name: 'A', min: 0.1, max: 20, initial: 2 },
    { name: 'k', min: 0.01, max: 5, initial: 0.3 },
  ];
  const residuals = ([A, k]: number[]) => ts.map((t, i) => A! * Math.exp(-k! * t) - obs[i]!);
  const cut = boundedLeastSquares(params, residuals, { maxIterations: 1 });
  assert.equal(cut.stoppedAtIterationLimit, true);
  assert.ok(cut.cost > 1e-6, `one iteration leaves cost ${cut.cost}`);
  assert.equal(boundedLeastSquares(params, residuals, { maxIterations: 200 }).stoppedAtIterationLimit, false);
});

test('one observation and one parameter: the root within the bounds', () => {
  const fit = boundedLeastSquares([{ name: 'v', min: 0, max: 10, initial: 7 }], ([v]) => [v! * v! - 4], { maxIterations: 100 });
  close(fit.values[0]!, 2, 1e-4);
  assert.equal(fit.residuals.length, 1);
});

test('each parameter vector is evaluated once, and progress counts evaluations', () => {
  const seen = new Set<string>();
  let repeats = 0;
  let last = 0;
  const fit = boundedLeastSquares(
    [{ name: 'v', min: 0, max: 10, initial: 1 }],
    ([v]) => {
      const key = String(v);
      if (seen.has(key)) repeats++;
      seen.add(key);
      return [v! - 3, 2 * (v! - 3)];
    },
    { onEvaluation: (n) => (last = n) },
  );
  assert.equal(repeats, 0);
  assert.equal(last, fit.evaluations);
  close(fit.values[0]!, 3, 1e-4);
});

test('bad bounds, a start outside them, and non-finite residuals are refused by name', () => {
  assert.throws(() => boundedLeastSquares([{ name: 'x', min: 2, max: 1, initial: 1.5 }], () => [0, 0]), (e: Error) => e instanceof LeastSquaresInputError && /x: min \(2\) must be less than max/.test(e.message));
  assert.throws(() => boundedLeastSquares([{ name: 'x', min: 0, max: 1, initial: 3 }], () => [0, 0]), /x: initial \(3\) must lie within \[0, 1\]/);
  assert.throws(() => boundedLeastSquares([{ name: 'x', min: 0, max: 1, initial: 0.5 }], () => [NaN, 0]), /residual 0 is not a finite number at x=0.5/);
});
