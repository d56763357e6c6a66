// A small seeded PRNG so that bootstrap intervals are reproducible from a
// seed, like everything else in core/. xoshiro128** (Blackman & Vigna,
// "Scrambled linear pseudorandom number generators", 2018, reference code at
// https://prng.di.unimi.it/xoshiro128starstar.c): 32-bit state words, so it
// runs on plain Math.imul without BigInt. The 128-bit state is filled from
// the seed with splitmix32, as the authors recommend, so nearby seeds give
// unrelated streams.

export interface Rng {
  /** Next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number;
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n). The bias of the multiply method is < n / 2^32, negligible for resampling. */
  nextInt(n: number): number;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** xoshiro128** from an explicit state (four uint32 words, not all zero). */
export function xoshiro128ss(state: readonly [number, number, number, number]): Rng {
  let [s0, s1, s2, s3] = state.map((w) => w >>> 0) as [number, number, number, number];
  if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  return {
    nextUint32,
    next: () => nextUint32() / 4294967296,
    nextInt: (n) => Math.floor((nextUint32() / 4294967296) * n),
  };
}

/** Seeded generator: any integer seed (taken modulo 2^32) gives a reproducible stream. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
  // splitmix32: a well-mixed expansion of one word into the four state words.
  let x = seed >>> 0;
  const splitmix32 = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const state: [number, number, number, number] = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
  // splitmix32 is a bijection of its counter, so four zero words cannot occur in practice; guard anyway.
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return xoshiro128ss(state);
}
