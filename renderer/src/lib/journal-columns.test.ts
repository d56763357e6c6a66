import { describe, expect, it } from 'vitest';
import { KEY_METRICS } from './types.ts';
import { loadMetricColumns, MEASURED_METRICS, measuredSummary, METRIC_CHOICES, saveMetricColumns, showsMetricCells, toggledMetricColumns } from './journal-columns.ts';

describe('measured runs in the journal', () => {
  it('asks for what iperf3 and fio report, none of which is a simulation key metric', () => {
    for (const m of ['receivedGbps', 'sentGbps', 'retransmits', 'readIops']) expect(MEASURED_METRICS).toContain(m);
    for (const m of KEY_METRICS) expect(MEASURED_METRICS).not.toContain(m);
  });

  it('shows a measured run its own values with label and unit, in catalog order, at most three', () => {
    const summary = measuredSummary({ sentGbps: 9.42, receivedGbps: 9.41, retransmits: 12, hostCpuPercent: 40, throughputGbps: Number.NaN });
    expect(summary.map((s) => s.text)).toEqual(['Received 9.41 Gbit/s', 'Sent 9.42 Gbit/s', 'TCP retransmits 12']);
    expect(measuredSummary({})).toEqual([]);
  });
});

describe('metric columns', () => {
  it('offers every journaled scalar, not series or result fields, and defaults to the key metrics', () => {
    for (const m of ['throughputGbps', 'readIops', 'readClatP99Us', 'receivedGbps', 'staleWindowP99Us']) expect(METRIC_CHOICES).toContain(m);
    for (const m of ['flushQueueOccupancy', 'maxGoodputGbps']) expect(METRIC_CHOICES).not.toContain(m);
    expect(loadMetricColumns(undefined)).toEqual([...KEY_METRICS]);
    expect(loadMetricColumns({ getItem: () => '["readIops","readClatP99Us"]' })).toEqual(['readIops', 'readClatP99Us']);
    // An unknown name (a metric renamed since) or unreadable JSON falls back to the default.
    expect(loadMetricColumns({ getItem: () => '["readIops","noSuchMetric"]' })).toEqual([...KEY_METRICS]);
    expect(loadMetricColumns({ getItem: () => '[' })).toEqual([...KEY_METRICS]);
  });

  it('keeps the catalog order whatever order they are ticked in, and saves the choice', () => {
    let columns = toggledMetricColumns(['vmExitsPerSec'], 'readClatP99Us', true);
    columns = toggledMetricColumns(columns, 'readIops', true);
    columns = toggledMetricColumns(columns, 'throughputGbps', true);
    expect(columns).toEqual(['throughputGbps', 'vmExitsPerSec', 'readIops', 'readClatP99Us']);
    expect(toggledMetricColumns(columns, 'vmExitsPerSec', false)).toEqual(['throughputGbps', 'readIops', 'readClatP99Us']);
    const saved = new Map<string, string>();
    saveMetricColumns({ setItem: (k, v) => void saved.set(k, v) }, ['readIops']);
    expect(loadMetricColumns({ getItem: (k) => saved.get(k) ?? null })).toEqual(['readIops']);
  });

  it('a measured run shows cells when it has a chosen metric, else its own values across them', () => {
    expect(showsMetricCells('simulated', {}, ['readIops'])).toBe(true);
    expect(showsMetricCells('measured', { readIops: 1000 }, ['readIops', 'vmExitsPerSec'])).toBe(true);
    expect(showsMetricCells('measured', { receivedGbps: 9.4 }, [...KEY_METRICS])).toBe(false);
  });
});
