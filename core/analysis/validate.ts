// Input checks shared by the analysis functions. Bad input throws an Error
// naming the argument, so callers never get a silent NaN from a typo.

/** Throws unless `values` is an array of finite numbers with at least `min` entries. */
export function assertFiniteArray(values: readonly number[], name: string, min = 0): void {
  if (!Array.isArray(values)) throw new TypeError(`${name} must be an array of numbers`);
  if (values.length < min) {
    throw new RangeError(`${name} needs at least ${min} value${min === 1 ? '' : 's'}, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${name}[${i}] must be a finite number, got ${String(v)}`);
    }
  }
}

/** Throws unless `value` is a number in the open interval (lo, hi). */
export function assertOpenInterval(value: number, name: string, lo: number, hi: number): void {
  if (typeof value !== 'number' || !(value > lo && value < hi)) {
    throw new RangeError(`${name} must be in (${lo}, ${hi}), got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer >= min. */
export function assertInteger(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Arithmetic mean of an already validated, non-empty array. */
export function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample variance (n - 1 denominator), two-pass for accuracy. NaN for n < 2. */
export function sampleVarianceOf(values: readonly number[], mean = meanOf(values)): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return ss / (n - 1);
}
