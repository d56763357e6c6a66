import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import CompareTable from './CompareTable.svelte';
import type { Comparison } from '../lib/types.ts';

function summary(id: string, name: string, metrics: Record<string, number>) {
  return {
    id,
    name,
    status: 'done' as const,
    kind: 'simulated' as const,
    seed: 1,
    experimentId: null,
    scenarioHash: `hash-${id}`,
    modelVersion: 'm1',
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
    durationMs: 100,
    error: null,
    tags: [],
    metrics,
  };
}

const comparison: Comparison = {
  runs: [summary('aaaaaaaa-1', 'strict', { throughputGbps: 4, vmExitsPerSec: 1000 }), summary('bbbbbbbb-2', 'lazy', { throughputGbps: 8, vmExitsPerSec: 1500 })],
  differences: [{ path: 'policy', values: ['strict', 'lazy'] }],
  metrics: [
    { name: 'throughputGbps', values: [4, 8], delta: [null, 4], ratio: [null, 2] },
    { name: 'vmExitsPerSec', values: [1000, 1500], delta: [null, 500], ratio: [null, 1.5] },
    { name: 'vmExitsPerSec.iotlb', values: [10, 5], delta: [null, -5], ratio: [null, 0.5] },
  ],
};

const scenarios = [
  { policy: 'strict', guest: { kernel: '6.8' } },
  { policy: 'lazy', guest: { kernel: '6.8' } },
];

const cell = (metric: string, run: number): HTMLElement => document.querySelector(`td[data-metric="${metric}"][data-run="${run}"]`) as HTMLElement;

describe('CompareTable', () => {
  it('shows values, deltas and ratios against the base, colored by which direction is better', () => {
    render(CompareTable, { comparison, scenarios });
    const tput = cell('throughputGbps', 1);
    expect(tput.textContent).toContain('8');
    expect(tput.textContent).toContain('+4');
    expect(tput.textContent).toContain('×2.000');
    expect(tput.querySelector('.delta')?.classList.contains('good')).toBe(true);

    const exits = cell('vmExitsPerSec', 1);
    expect(exits.textContent).toContain('+500');
    expect(exits.textContent).toContain('×1.500');
    expect(exits.querySelector('.delta')?.classList.contains('bad')).toBe(true);

    // The base column has no delta of its own.
    expect(cell('throughputGbps', 0).querySelector('.delta')).toBeNull();
  });

  it('hides per-reason breakdowns until asked', async () => {
    render(CompareTable, { comparison, scenarios });
    expect(cell('vmExitsPerSec.iotlb', 1)).toBeNull();
    await fireEvent.click(screen.getByLabelText(/Per-reason breakdowns/));
    expect(cell('vmExitsPerSec.iotlb', 1).textContent).toContain('−5');
  });

  it('lists only the differing fields, and every field once the toggle is off', async () => {
    render(CompareTable, { comparison, scenarios });
    const table = screen.getByRole('table', { name: 'Scenario fields' });
    expect(within(table).getByText('policy')).toBeTruthy();
    expect(within(table).queryByText('guest.kernel')).toBeNull();

    await fireEvent.click(screen.getByLabelText('Differences only'));
    const all = screen.getByRole('table', { name: 'Scenario fields' });
    expect(within(all).getByText('guest.kernel')).toBeTruthy();
    expect(within(all).getAllByText('6.8')).toHaveLength(2);
    expect(within(all).getByText('policy')).toBeTruthy();
  });

  it('says so while the full scenarios are still loading', async () => {
    render(CompareTable, { comparison, scenarios: null });
    await fireEvent.click(screen.getByLabelText('Differences only'));
    expect(screen.getByText(/Loading every run's scenario/)).toBeTruthy();
  });

  it('shows the effective policy and the VMM path of each run, marking where they differ from the base', () => {
    const policy = (effective: string, source: string) => ({ effective, source, resolved: { domainType: 'dma', strict: true, reasons: [], log: [], warnings: [], ignored: [] } });
    const results = [
      { policy: policy('strict', 'auto'), vmmPath: { path: 'nested-fl', pageTable: 'first-level', reason: 'the guest uses a first-level table' } },
      { policy: policy('lazy', 'scenario'), vmmPath: { path: 'shadow-sl', pageTable: 'second-level', reason: 'sm_off: a second-level table, shadowed' } },
    ];
    render(CompareTable, { comparison, scenarios, results });
    const table = screen.getByRole('table', { name: 'What decided each run' });
    const resolvedRow = table.querySelector('tr[data-decided="Resolved policy"]')!;
    expect([...resolvedRow.querySelectorAll('td')].slice(1).map((td) => td.textContent)).toEqual(['strict (dma)', 'strict (dma)']);
    const policyRow = table.querySelector('tr[data-decided="Effective policy"]')!;
    expect(policyRow.textContent).toContain('strict (kernel)');
    expect(policyRow.textContent).toContain('lazy (scenario)');
    const pathRow = table.querySelector('tr[data-decided="VMM path"]')!;
    const cells = pathRow.querySelectorAll('td');
    expect(cells[1]!.textContent).toBe('nested-fl (first-level)');
    expect(cells[2]!.textContent).toBe('shadow-sl (second-level)');
    expect(cells[2]!.getAttribute('title')).toBe('sm_off: a second-level table, shadowed');
    expect(cells[2]!.classList.contains('changed')).toBe(true);
    expect(cells[1]!.classList.contains('changed')).toBe(false);
  });

  it('results journaled by model 1.0 (no VMM path) show a dash, and no such table when no run has these fields', () => {
    const policy = { effective: 'strict', source: 'auto', resolved: { domainType: 'dma', strict: true, reasons: [], log: [], warnings: [], ignored: [] } };
    const { unmount } = render(CompareTable, { comparison, scenarios, results: [{ policy }, { policy, vmmPath: { path: 'nested-fl', pageTable: 'first-level', reason: 'r' } }] });
    const row = screen.getByRole('table', { name: 'What decided each run' }).querySelector('tr[data-decided="VMM path"]')!;
    expect(row.querySelectorAll('td')[1]!.textContent).toBe('–');
    unmount();
    render(CompareTable, { comparison, scenarios, results: [null, {}] });
    expect(screen.queryByRole('table', { name: 'What decided each run' })).toBeNull();
  });
});
