// An NVMe run's page shows fio's figures (IOPS, bandwidth, completion latency
// percentiles and a histogram) in place of the NIC's cards; an imported fio
// run shows the same cards from its metrics, without the simulated-only parts.
import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { findPreset, mergeDeep, scalarMetrics, simulate, type SimulationResult } from '../../../core/index.ts';
import type { LabClient } from '../lib/api.ts';
import { coveredByStorage, histogramBars, storageOf } from '../lib/storage.ts';
import RunDetail from '../views/RunDetail.svelte';
import { labServingRun } from '../views/RunDetail.fixture.ts';

vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false })) as typeof window.matchMedia;
});

const WAIT = { timeout: 4000 };

function fakeApi(kind: 'simulated' | 'measured', metrics: Record<string, number>, result: Record<string, unknown> | null, scenario: unknown): LabClient {
  return labServingRun({ id: 'run-0002-0000-0000', name: 'nvme run', kind, modelVersion: '2.0', metrics, scenario, result });
}

// A short virtio-iommu run: one drive, four jobs, a few thousand I/Os.
const sim: SimulationResult = simulate(mergeDeep(findPreset('nvme-virtio-iommu')!.scenario, { durationMs: 8, warmupMs: 2 }));
const simMetrics = scalarMetrics(sim);

describe('storage view', () => {
  it('reads IOPS, bandwidth and percentiles from the metrics, drives and histogram from the result', () => {
    const v = storageOf(simMetrics, sim as unknown as Record<string, unknown>)!;
    expect(v.directions.map((d) => d.dir)).toEqual(['read']); // randread: no write direction
    expect(v.directions[0]!.iops).toBeCloseTo(sim.storage!.readIops);
    expect(v.directions[0]!.clat.p99).toBeCloseTo(sim.storage!.readClatUs.p99);
    expect(v.device!.drives).toBe(1);
    expect(v.histogram!.count.reduce((a, b) => a + b, 0)).toBe(sim.storage!.readClatUs.count);
  });

  it('is null for a NIC run, and has no device part for an imported fio run', () => {
    expect(storageOf({ throughputGbps: 10 }, null)).toBeNull();
    const v = storageOf({ readIops: 1000, readBandwidthMiBps: 3.9, writeIops: 0 }, null)!;
    expect(v.directions).toHaveLength(1);
    expect(v.device).toBeNull();
    expect(v.histogram).toBeNull();
  });

  it('bars carry shares that sum to one and the tallest bar is full height', () => {
    const bars = histogramBars({ upperUs: [1, 1.189, 1.414], count: [1, 3, 0] });
    expect(bars.map((b) => b.share)).toEqual([0.25, 0.75, 0]);
    expect(bars.map((b) => b.height)).toEqual([1 / 3, 1, 0]);
    expect(bars[1]!.fromUs).toBe(1);
  });

  it('covers the fio metrics and the NIC outcome metrics, not the IOMMU ones', () => {
    for (const m of ['readIops', 'writeClatP99_9Us', 'throughputGbps', 'packetsPerSec']) expect(coveredByStorage(m)).toBe(true);
    for (const m of ['invalidationsPerSec', 'cpuUtilization', 'staleWindowP99Us']) expect(coveredByStorage(m)).toBe(false);
  });
});

describe('RunDetail of an NVMe run', () => {
  it('shows IOPS, bandwidth, percentiles and a histogram, and no NIC throughput card', async () => {
    render(RunDetail, { props: { api: fakeApi('simulated', simMetrics, sim as unknown as Record<string, unknown>, sim.scenario), id: 'run-0002-0000-0000' } });
    const panel = await screen.findByRole('region', { name: 'Storage metrics' }, WAIT);
    expect(panel.querySelector('[data-storage="readIops"]')!.textContent).toContain('Read IOPS');
    expect(panel.querySelector('[data-storage="readBandwidthMiBps"]')!.textContent).toContain('MiB/s');
    expect(panel.querySelector('[data-storage="writeIops"]')).toBeNull();
    const row = within(panel).getByRole('table', { name: 'Completion latency' }).querySelector('tr[data-clat="read"]')!;
    expect(row.querySelectorAll('td')).toHaveLength(5);
    const svg = within(panel).getByRole('img', { name: 'Completion latency histogram' });
    expect(svg.querySelectorAll('rect.bar')).toHaveLength(sim.storage!.clatHistogram.count.length);
    const cards = screen.getByRole('region', { name: 'Metrics' });
    expect(cards.textContent).not.toContain('Throughput');
    expect(cards.textContent).toContain('Invalidations');
  });

  it('shows an imported fio run from its metrics, without a histogram', async () => {
    const metrics = { readIops: 251_000, readBandwidthMiBps: 980, readClatMeanUs: 120, readClatP50Us: 110, readClatP99Us: 240, readClatP99_9Us: 400, writeIops: 0, writeBandwidthMiBps: 0 };
    render(RunDetail, { props: { api: fakeApi('measured', metrics, null, {}), id: 'run-0002-0000-0000' } });
    const panel = await screen.findByRole('region', { name: 'Storage metrics' }, WAIT);
    expect(panel.querySelector('[data-storage="readIops"]')!.textContent).toContain('251.0k');
    expect(panel.querySelector('tr[data-clat="read"]')!.textContent).toContain('240 µs');
    expect(within(panel).queryByRole('img')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Metrics' })).toBeNull();
  });
});
