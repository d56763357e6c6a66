import { describe, expect, it } from 'vitest';
import { ALL_OTHERS, experimentChart, fieldValues } from './experiment.ts';
import { loadFieldColumns, parseFieldValue } from './journal-columns.ts';
import type { ExperimentAnalysis } from './types.ts';

/** backend x policy x size, throughput = size / 64 + (lazy ? 10 : 0) + (nested ? 30 : 0). */
function analysis(): ExperimentAnalysis {
  const points: ExperimentAnalysis['points'] = [];
  for (const backend of ['nested-fl', 'shadow-sl'])
    for (const policy of ['strict', 'lazy'])
      for (const size of [256, 64]) {
        const mean = size / 64 + (policy === 'lazy' ? 10 : 0) + (backend === 'nested-fl' ? 30 : 0);
        points.push({ values: { 'viommu.backend': backend, policy, 'flushQueue.size': size }, runIds: ['a', 'b'], seeds: [1, 2], metrics: { throughputGbps: { n: 2, mean, sd: 0.1, ci95: [mean - 1, mean + 1] } } });
      }
  return {
    experiment: { id: 'e', name: 'fq', description: '', createdAt: '', runs: 16, done: 16, active: 0 },
    sweptPaths: ['viommu.backend', 'policy', 'flushQueue.size'],
    by: ['viommu.backend', 'policy', 'flushQueue.size'],
    metrics: [{ name: 'throughputGbps', direction: 'higher', unit: 'Gbit/s' }],
    points,
    mainEffects: [],
    interactions: [],
    pareto: null,
    headlineMetrics: ['throughputGbps'],
    best: [],
    excluded: {},
  };
}

describe('experimentChart', () => {
  it('one line per combination of the other fields, x to scale and sorted', () => {
    const c = experimentChart(analysis(), { metric: 'throughputGbps', x: 'flushQueue.size', lineBy: ALL_OTHERS, fixed: {} });
    expect(c.axis).toBe('value');
    expect(c.data[0]).toEqual([64, 256]);
    expect(c.lines).toEqual(['backend=nested-fl policy=strict', 'backend=nested-fl policy=lazy', 'backend=shadow-sl policy=strict', 'backend=shadow-sl policy=lazy']);
    expect(c.data[1]).toEqual([31, 34]);
    expect(c.data[4]).toEqual([11, 14]);
  });

  it('one line per value of a second field, the rest held at chosen values', () => {
    const c = experimentChart(analysis(), { metric: 'throughputGbps', x: 'flushQueue.size', lineBy: 'policy', fixed: { 'viommu.backend': 'shadow-sl' } });
    expect(c.lines).toEqual(['policy=strict', 'policy=lazy']);
    expect(c.data.slice(1)).toEqual([
      [1, 4],
      [11, 14],
    ]);
  });

  it('a text x is a labelled position axis', () => {
    const c = experimentChart(analysis(), { metric: 'throughputGbps', x: 'viommu.backend', lineBy: 'policy', fixed: { 'flushQueue.size': 64 } });
    expect(c.axis).toBe('index');
    expect(c.labels).toEqual(['nested-fl', 'shadow-sl']);
    expect(c.data[0]).toEqual([0, 1]);
    expect(fieldValues(analysis(), 'flushQueue.size')).toEqual([256, 64]);
  });
});

describe('journal columns', () => {
  it('typed filter values and a saved column choice with a safe default', () => {
    expect(parseFieldValue('256')).toBe(256);
    expect(parseFieldValue('true')).toBe(true);
    expect(parseFieldValue('shadow-sl')).toBe('shadow-sl');
    expect(loadFieldColumns({ getItem: () => '["flushQueue.size"]' })).toEqual(['flushQueue.size']);
    expect(loadFieldColumns({ getItem: () => '["bad path!"]' })).toEqual(['viommu.backend', 'effective.policy']);
    expect(loadFieldColumns({ getItem: () => '{' })).toEqual(['viommu.backend', 'effective.policy']);
  });
});
