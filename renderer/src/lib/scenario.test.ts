import { describe, expect, it } from 'vitest';
import { policyMode, scenarioSections } from './scenario.ts';

describe('scenarioSections', () => {
  it('orders fields guest, vIOMMU, policy, flush queue, device, workload, then the rest, with costs apart', () => {
    const scenario = {
      name: 'x',
      costs: { exitNs: 1, walkNs: 2 },
      workload: { kind: 'iperf-rx' },
      device: { mtu: 1500 },
      seed: 3,
      policy: 'auto',
      flushQueue: { kind: 'per-cpu' },
      viommu: { backend: 'nested-fl' },
      guest: { kernel: '6.3', vcpus: 4 },
    };
    const { fields, costs } = scenarioSections(scenario);
    expect(fields.map(([p]) => p)).toEqual(['guest.kernel', 'guest.vcpus', 'viommu.backend', 'policy', 'flushQueue.kind', 'device.mtu', 'workload.kind', 'name', 'seed']);
    expect(costs).toEqual([
      ['costs.exitNs', 1],
      ['costs.walkNs', 2],
    ]);
  });
});

describe('policyMode', () => {
  it('names strict, lazy and passthrough from the domain type', () => {
    expect(policyMode('DMA', true)).toBe('strict');
    expect(policyMode('DMA_FQ', false)).toBe('lazy');
    expect(policyMode('IDENTITY', null)).toBe('passthrough');
    expect(policyMode('?', null)).toBeNull();
    // The resolver's own names: a translated domain is strict or lazy by its flag; identity is passthrough whatever DMA domains would be.
    expect(policyMode('dma', false)).toBe('lazy');
    expect(policyMode('dma', null)).toBe('strict');
    expect(policyMode('identity', true)).toBe('passthrough');
  });
});
