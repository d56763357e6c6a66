// Downsampling of long simulated series (x ascending, e.g. time) for storage
// in the journal and for charts, keeping the visual shape: both methods keep
// the first and last points and only ever return original points.
import { assertFiniteArray, assertInteger } from './validate.ts';

export interface Downsampled {
  x: number[];
  y: number[];
  /** Index of each kept point in the input. */
  indices: number[];
}

function checkSeries(x: readonly number[], y: readonly number[], points: number): void {
  assertFiniteArray(x, 'x');
  assertFiniteArray(y, 'y');
  if (x.length !== y.length) throw new RangeError(`x and y need equal lengths, got ${x.length} and ${y.length}`);
  for (let i = 1; i < x.length; i++) {
    if ((x[i] as number) < (x[i - 1] as number)) throw new RangeError(`x must be non-decreasing, x[${i}] < x[${i - 1}]`);
  }
  assertInteger(points, 'points', 2);
}

const pick = (x: readonly number[], y: readonly number[], indices: number[]): Downsampled => ({
  x: indices.map((i) => x[i] as number),
  y: indices.map((i) => y[i] as number),
  indices,
});

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Largest-Triangle-Three-Buckets (Steinarsson, "Downsampling Time Series for
 * Visual Representation", MSc thesis, University of Iceland, 2013): the
 * interior is cut into points − 2 buckets of equal count; from each bucket
 * the point forming the largest triangle with the previously kept point and
 * the average of the next bucket is kept, which preserves peaks and dips.
 * Returns exactly min(points, n) points; the input as is when n <= points.
 */
export function lttb(x: readonly number[], y: readonly number[], points: number): Downsampled {
  checkSeries(x, y, points);
  const n = x.length;
  if (n <= points) return pick(x, y, all(n));
  if (points === 2) return pick(x, y, [0, n - 1]);

  const every = (n - 2) / (points - 2);
  const indices = [0];
  let a = 0;
  for (let b = 0; b < points - 2; b++) {
    // Average of the next bucket (the last point for the last bucket).
    const nextStart = Math.floor((b + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((b + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += x[j] as number;
      avgY += y[j] as number;
    }
    avgX /= nextEnd - nextStart;
    avgY /= nextEnd - nextStart;

    const ax = x[a] as number;
    const ay = y[a] as number;
    let bestArea = -1;
    let best = a;
    const end = Math.floor((b + 1) * every) + 1;
    for (let j = Math.floor(b * every) + 1; j < end; j++) {
      // Twice the triangle area; the factor does not change the argmax.
      const area = Math.abs((ax - avgX) * ((y[j] as number) - ay) - (ax - (x[j] as number)) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    indices.push(best);
    a = best;
  }
  indices.push(n - 1);
  return pick(x, y, indices);
}

/**
 * Min/max per bucket: the interior is cut into floor((points − 2) / 2)
 * buckets of equal count and each contributes its lowest and highest point,
 * in x order (once if they coincide). Unlike LTTB it never hides the extreme
 * values of a bucket, which matters for latency tails. Returns at most
 * `points` points; the input as is when n <= points.
 */
export function minMaxDownsample(x: readonly number[], y: readonly number[], points: number): Downsampled {
  checkSeries(x, y, points);
  const n = x.length;
  if (n <= points) return pick(x, y, all(n));

  const buckets = Math.floor((points - 2) / 2);
  const indices = [0];
  const interior = n - 2;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * interior) / buckets);
    const end = 1 + Math.floor(((b + 1) * interior) / buckets);
    if (start >= end) continue;
    let lo = start;
    let hi = start;
    for (let j = start + 1; j < end; j++) {
      if ((y[j] as number) < (y[lo] as number)) lo = j;
      if ((y[j] as number) > (y[hi] as number)) hi = j;
    }
    if (lo === hi) indices.push(lo);
    else indices.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  indices.push(n - 1);
  return pick(x, y, indices);
}
