// Descriptive statistics of one sample (e.g. one metric over several seeds).
import { max, mean, median, min, sampleStandardDeviation } from 'simple-statistics';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { assertFiniteArray } from './validate.ts';

export interface Summary {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n - 1 denominator). NaN when n = 1. */
  stdDev: number;
  min: number;
  max: number;
  /**
   * 95% confidence interval of the mean, mean ± t(0.975, n-1) · s / √n
   * (Student t). [NaN, NaN] when n = 1: one value says nothing about spread,
   * and a zero-width interval would claim certainty it does not have.
   */
  ci95: [number, number];
  /** Coefficient of variation stdDev / |mean| (unitless). NaN when n = 1 or mean = 0. */
  cv: number;
}

/** Summarizes a sample. Throws on an empty array or non-finite values. */
export function summarize(values: readonly number[]): Summary {
  assertFiniteArray(values, 'values', 1);
  const n = values.length;
  const m = mean(values);
  const base = { n, mean: m, median: median(values), min: min(values), max: max(values) };
  if (n === 1) return { ...base, stdDev: Number.NaN, ci95: [Number.NaN, Number.NaN], cv: Number.NaN };

  const sd = sampleStandardDeviation(values);
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return {
    ...base,
    stdDev: sd,
    ci95: [m - half, m + half],
    cv: m === 0 ? Number.NaN : sd / Math.abs(m),
  };
}
