import { describe, expect, it } from 'vitest';
import { deltaTone, formatDelta, formatMetric, formatNumber, formatRatio, metricInfo } from './format.ts';

describe('formatting', () => {
  it('uses SI suffixes and a few significant digits', () => {
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(9.4123)).toBe('9.41');
    expect(formatNumber(123.6)).toBe('124');
    expect(formatNumber(45_678)).toBe('45.7k');
    expect(formatNumber(2_345_678)).toBe('2.35M');
    expect(formatNumber(null)).toBe('–');
  });

  it('shows shares as percent and deltas of shares in points', () => {
    expect(formatMetric('cpuUtilization', 0.375)).toBe('37.5 %');
    expect(formatDelta('cpuUtilization', -0.05)).toBe('−5');
    expect(formatMetric('throughputGbps', 9.41)).toBe('9.41 Gbit/s');
  });

  it('colors deltas by the direction that is better for the metric', () => {
    expect(deltaTone('throughputGbps', 1)).toBe('good');
    expect(deltaTone('vmExitsPerSec', 1)).toBe('bad');
    expect(deltaTone('vmExitsPerSec.iotlb', -5)).toBe('good');
    // The catalog makes unmapsPerPacket lower-is-better (as the statistics judged it): a metric without a direction stays neutral.
    expect(deltaTone('unmapsPerPacket', 1)).toBe('bad');
    expect(deltaTone('flushQueueOccupancy', 1)).toBe('neutral');
    expect(deltaTone('throughputGbps', null)).toBe('neutral');
  });

  it('names breakdown metrics after their family', () => {
    expect(metricInfo('invalidationsPerSec.iotlb')).toMatchObject({ label: 'Invalidations: iotlb', unit: '/s', better: 'lower' });
    expect(formatRatio(1.23456)).toBe('×1.235');
  });
});
