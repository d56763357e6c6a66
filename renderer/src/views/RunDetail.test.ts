// The run page shows what decides a result: its warnings near the top (code
// and message), the VMM path and why, the lock and queue statistics and the
// per-operation latencies. A result journaled by model 1.0 has none of these:
// the page shows the rest and nothing in their place.
import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { findPreset, mergeDeep, simulate } from '../../../core/index.ts';
import type { LabClient } from '../lib/api.ts';
import RunDetail from './RunDetail.svelte';
import { labServingRun } from './RunDetail.fixture.ts';

// The page's charts load uPlot, which reads the device pixel ratio through matchMedia when it loads; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false })) as typeof window.matchMedia;
});

const WAIT = { timeout: 4000 };

function fakeApi(result: Record<string, unknown>): LabClient {
  return labServingRun({
    id: 'run-0001-0000-0000',
    name: 'shadow lazy',
    kind: 'simulated',
    modelVersion: String(result.modelVersion),
    metrics: { throughputGbps: Number(result.throughputGbps) },
    scenario: result.scenario,
    result,
  });
}

// Lazy asked on a caching-mode second-level guest, shorter than a timer period: two warnings at least.
const result = simulate(mergeDeep(findPreset('shadow-sl')!.scenario, { durationMs: 12, warmupMs: 5, policy: 'lazy' })) as unknown as Record<string, unknown>;

describe('RunDetail', () => {
  it('shows every warning with its code and message, above the bottleneck', async () => {
    render(RunDetail, { props: { api: fakeApi(result), id: 'run-0001-0000-0000' } });
    const panel = await screen.findByRole('region', { name: 'Warnings' }, WAIT);
    const warnings = result.warnings as { code: string; message: string }[];
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    const items = within(panel).getAllByRole('listitem');
    expect(items).toHaveLength(warnings.length);
    warnings.forEach((w, i) => {
      expect(items[i]!.textContent).toContain(w.code);
      expect(items[i]!.textContent).toContain(w.message);
    });
    // Near the top: before the bottleneck sentence.
    const bottleneck = document.querySelector('.bottleneck')!;
    expect(panel.compareDocumentPosition(bottleneck) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('shows the VMM path and its reason, the locks with utilization, waits and holds, and the latencies', async () => {
    render(RunDetail, { props: { api: fakeApi(result), id: 'run-0001-0000-0000' } });
    const path = await screen.findByLabelText('VMM path', undefined, WAIT);
    const vmmPath = result.vmmPath as { path: string; reason: string };
    expect(path.textContent).toContain('shadow-sl');
    expect(path.textContent).toContain(vmmPath.reason);

    const locks = screen.getByRole('region', { name: 'Locks and queues' });
    for (const name of ['qiLock', 'bql', 'iommuQueue', 'fqLock']) expect(locks.querySelector(`tr[data-lock="${name}"]`)).not.toBeNull();
    const q = locks.querySelector('tr[data-lock="qiLock"]')!;
    expect(q.textContent).toContain('q_lock');
    const stats = (result.locks as Record<string, { utilization: number }>).qiLock!;
    expect(q.textContent).toContain(`${(stats.utilization * 100).toFixed(1)} %`);
    // The BQL row comes after q_lock: the order a submission takes them.
    const rows = [...locks.querySelectorAll('tr[data-lock]')].map((r) => r.getAttribute('data-lock'));
    expect(rows.indexOf('qiLock')).toBeLessThan(rows.indexOf('bql'));

    const latency = screen.getByRole('region', { name: 'Latency per operation' });
    for (const op of ['map', 'unmap', 'invalidation']) {
      const row = latency.querySelector(`tr[data-latency="${op}"]`);
      expect(row).not.toBeNull();
      const count = (result.latencyUs as Record<string, { count: number }>)[op]!.count;
      expect(row!.textContent).toContain(String(count));
    }
  });

  it('a model 1.0 result (no path, warnings, locks or latencies) shows the rest and none of these, without an error', async () => {
    const { vmmPath: _p, warnings: _w, locks: _l, latencyUs: _h, ...old }: Record<string, unknown> = { ...result, modelVersion: '1.0.0' };
    render(RunDetail, { props: { api: fakeApi(old), id: 'run-0001-0000-0000' } });
    await screen.findByText('Policy decision', undefined, WAIT);
    expect(document.querySelector('.bottleneck')).not.toBeNull();
    expect(screen.queryByRole('region', { name: 'Warnings' })).toBeNull();
    expect(screen.queryByLabelText('VMM path')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Locks and queues' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Latency per operation' })).toBeNull();
  });

  it('malformed parts of an old result are skipped, not shown as garbage', async () => {
    render(RunDetail, { props: { api: fakeApi({ ...result, warnings: [null, 3, { code: 'x' }], locks: { bql: 'busy' }, latencyUs: { map: {} }, vmmPath: 'nested' }), id: 'run-0001-0000-0000' } });
    await screen.findByText('Policy decision', undefined, WAIT);
    expect(screen.queryByRole('region', { name: 'Warnings' })).toBeNull();
    expect(screen.queryByLabelText('VMM path')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Locks and queues' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Latency per operation' })).toBeNull();
  });

  it('puts what decides in the header, above the metrics: the resolved and effective policy and the VMM path', async () => {
    render(RunDetail, { props: { api: fakeApi(result), id: 'run-0001-0000-0000' } });
    const decides = await screen.findByRole('region', { name: 'What decides' }, WAIT);
    const policy = result.policy as { resolved: { domainType: string }; effective: string };
    // Lazy asked of a caching-mode second-level guest: the kernel resolves strict, the scenario forces lazy.
    expect(decides.textContent).toContain(`resolved ${policy.resolved.domainType}`);
    expect(within(decides).getByText(policy.effective, { selector: '[data-effective]' })).toBeTruthy();
    expect(decides.textContent).toContain('forced by the scenario');
    expect(within(decides).getByLabelText('VMM path').textContent).toContain('shadow-sl');
    const metrics = screen.getByRole('region', { name: 'Metrics' });
    expect(decides.compareDocumentPosition(metrics) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('lists the scenario guest first and keeps the costs collapsed at the end', async () => {
    render(RunDetail, { props: { api: fakeApi(result), id: 'run-0001-0000-0000' } });
    await screen.findByText('Policy decision', undefined, WAIT);
    const table = document.querySelector('.scenario > table.fields')!;
    const paths = [...table.querySelectorAll('td.path')].map((td) => td.textContent ?? '');
    expect(paths[0]).toMatch(/^guest\./);
    const first = (prefix: string): number => paths.findIndex((p) => p === prefix || p.startsWith(`${prefix}.`));
    const order = ['guest', 'viommu', 'policy', 'device', 'workload'].map(first);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(paths.some((p) => p.startsWith('costs.'))).toBe(false);
    const costs = document.querySelector('details.costs') as HTMLDetailsElement;
    expect(costs.open).toBe(false);
    expect(costs.querySelectorAll('td.path').length).toBeGreaterThan(5);
  });
});
