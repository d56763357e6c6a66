import { describe, expect, it } from 'vitest';
import { configKey, defaultSplit, distinguishingFields, formatInterval, groupByConfig, significanceText, swapSides, verdictTone } from './runsets.ts';

const run = (id: string, policy: string, seed: number) => ({ id, scenario: { seed, policy, viommu: { backend: 'emulated', caps: { cachingMode: true } } } });

describe('configKey', () => {
  it('ignores the seed and key order, but not nested values', () => {
    expect(configKey({ seed: 1, a: 1, b: { x: 1, y: 2 } })).toBe(configKey({ b: { y: 2, x: 1 }, a: 1, seed: 9 }));
    expect(configKey({ a: 1, b: { x: 1 } })).not.toBe(configKey({ a: 1, b: { x: 2 } }));
  });
});

describe('groupByConfig and defaultSplit', () => {
  it('splits two configurations into base (the first seen) and head', () => {
    const runs = [run('s1', 'strict', 1), run('l1', 'lazy', 1), run('s2', 'strict', 2), run('l2', 'lazy', 2)];
    expect(groupByConfig(runs)).toEqual([['s1', 's2'], ['l1', 'l2']]);
    expect(defaultSplit(runs)).toEqual({ sides: { s1: 'base', s2: 'base', l1: 'head', l2: 'head' }, byConfig: true });
  });
  it('falls back to the first run as base when the runs are not two configurations', () => {
    const three = [run('a', 'strict', 1), run('b', 'lazy', 1), run('c', 'passthrough', 1)];
    expect(defaultSplit(three)).toEqual({ sides: { a: 'base', b: 'head', c: 'head' }, byConfig: false });
    const one = [run('a', 'strict', 1), run('b', 'strict', 2)];
    expect(defaultSplit(one).byConfig).toBe(false);
  });
  it('puts the configuration run first on the base side, whatever the order of selection (the journal lists newest first)', () => {
    const at = (r: ReturnType<typeof run>, createdAt: string) => ({ ...r, createdAt });
    const newestFirst = [at(run('l1', 'lazy', 1), '2026-01-02T00:00:01Z'), at(run('l2', 'lazy', 2), '2026-01-02T00:00:00Z'), at(run('s1', 'strict', 1), '2026-01-01T00:00:01Z'), at(run('s2', 'strict', 2), '2026-01-01T00:00:00Z')];
    expect(defaultSplit(newestFirst).sides).toEqual({ s1: 'base', s2: 'base', l1: 'head', l2: 'head' });
    expect(swapSides(defaultSplit(newestFirst).sides)).toEqual({ s1: 'head', s2: 'head', l1: 'base', l2: 'base' });
    const three = [at(run('a', 'strict', 1), '2026-01-03T00:00:00Z'), at(run('b', 'lazy', 1), '2026-01-01T00:00:00Z'), at(run('c', 'passthrough', 1), '2026-01-02T00:00:00Z')];
    expect(defaultSplit(three).sides).toEqual({ a: 'head', b: 'base', c: 'head' });
  });
});

describe('verdictTone and formatInterval', () => {
  it('maps every verdict to its color', () => {
    expect(['better', 'worse', 'changed', 'inconclusive', 'no change', 'no change (constant)'].map(verdictTone)).toEqual(['good', 'bad', 'warn', 'warn', 'neutral', 'neutral']);
  });
  it('labels the primary p apart from the family q', () => {
    expect(significanceText({ family: 'primary', qValue: 0.00012 })).toBe('p=1.2e-4');
    expect(significanceText({ family: 'secondary', qValue: 0.031 })).toBe('q=0.031');
    expect(significanceText({ family: 'breakdown', qValue: null })).toBe('–');
  });
  it('writes the interval bounds, or n/a without a ratio', () => {
    expect(formatInterval({ estimate: 1.1, lo: 1.05, hi: 1.1549, confidence: 0.95 })).toBe('[1.050, 1.155]');
    expect(formatInterval(null)).toBe('n/a');
  });
});

describe('distinguishingFields', () => {
  it('names the fields that set each run apart, ignoring the seed', () => {
    const runs = [run('s1', 'strict', 1), run('l1', 'lazy', 2)];
    runs[1]!.scenario.viommu.caps.cachingMode = false;
    expect(distinguishingFields(runs)).toEqual(['policy=strict viommu.caps.cachingMode=true', 'policy=lazy viommu.caps.cachingMode=false']);
  });
  it('is empty for runs that differ by seed only', () => {
    expect(distinguishingFields([run('a', 'strict', 1), run('b', 'strict', 2)])).toEqual(['', '']);
  });
});
