// Log-linear histogram (64 sub-buckets per power of two, ~1% resolution) for
// latency-like values such as the stale window: constant memory however many
// IOVAs a run unmaps, exact count, sum and max.

const SUB_BUCKETS = 64;
const MAX_EXP = 63;

export class LogHistogram {
  private counts = new Float64Array(1 + (MAX_EXP + 1) * SUB_BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(value: number): void {
    const v = Math.max(value, 0);
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
    this.counts[bucketOf(v)]!++;
  }

  /** Records `times` equal values at once (a batch of operations that share one figure). */
  recordTimes(value: number, times: number): void {
    if (times <= 0) return;
    const v = Math.max(value, 0);
    this.count += times;
    this.sum += v * times;
    if (v > this.max) this.max = v;
    this.counts[bucketOf(v)]! += times;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** Adds another histogram's values to this one. */
  merge(other: LogHistogram): void {
    for (let b = 0; b < this.counts.length; b++) this.counts[b]! += other.counts[b]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /** Upper edge of the bucket holding the q-quantile, capped at the exact max. */
  quantile(q: number): number {
    if (!this.count) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(upperEdge(b), this.max);
    }
    return this.max;
  }
}

function bucketOf(v: number): number {
  if (v < 1) return 0;
  if (v < 4294967296) {
    // Integer arithmetic below 2^32 ns (4.3 s): floor(log2) from clz32, the sub-bucket from a shift.
    const x = v >>> 0;
    const exp = 31 - Math.clz32(x);
    const sub = exp >= 6 ? (x >>> (exp - 6)) - SUB_BUCKETS : Math.floor((v / (1 << exp) - 1) * SUB_BUCKETS);
    return 1 + exp * SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1);
  }
  const exp = Math.min(MAX_EXP, Math.floor(Math.log2(v)));
  const frac = Math.min(v / 2 ** exp - 1, (SUB_BUCKETS - 1) / SUB_BUCKETS);
  return 1 + exp * SUB_BUCKETS + Math.floor(frac * SUB_BUCKETS);
}

function upperEdge(b: number): number {
  if (b === 0) return 1;
  const exp = Math.floor((b - 1) / SUB_BUCKETS);
  const sub = (b - 1) % SUB_BUCKETS;
  return 2 ** exp * (1 + (sub + 1) / SUB_BUCKETS);
}
