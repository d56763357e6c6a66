// Statistics for run comparison and benchmark histories: pure functions, no I/O.
export { summarize } from './summary.ts';
export type { Summary } from './summary.ts';

export {
  benjaminiHochberg,
  bootstrapRatioCI,
  mannWhitneyDistribution,
  mannWhitneyU,
  pairedTTest,
  rankAverage,
  signedRankCounts,
  smallestSignificantN,
  studentTTest,
  welchTTest,
  wilcoxonSignedRank,
} from './tests.ts';
export type {
  BootstrapOptions,
  MannWhitneyResult,
  RankTestOptions,
  Ranking,
  RatioCI,
  TestMethod,
  TTestOptions,
  TTestResult,
  WilcoxonResult,
} from './tests.ts';

export { compareSets, seedOrder, VERDICTS } from './compare.ts';
export type { ChangeKind, CompareSetsOptions, MetricFamily, MetricResult, MetricSamples, RankOpinion, SetsComparison, SetTest, Verdict } from './compare.ts';

export { bestCandidate, detectChangePoints, qStatistic } from './changepoints.ts';
export type { Candidate, ChangePoint, ChangePointOptions } from './changepoints.ts';

export { lttb, minMaxDownsample } from './downsample.ts';
export type { Downsampled } from './downsample.ts';

export { createRng, xoshiro128ss } from './random.ts';
export type { Rng } from './random.ts';

export { boundedLeastSquares, LeastSquaresInputError } from './least-squares.ts';
export type { BoundedParameter, LeastSquaresFit, LeastSquaresOptions } from './least-squares.ts';
