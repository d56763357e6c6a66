// The instant estimate states its range of validity and shows no figure from
// outside it: real estimates from the service's preview, in range (the seed
// fix) and out of range (shadow-sl saturates q_lock; fio has no closed form).
import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { previewScenario } from '../../../../service/preview.ts';
import { NO_PROFILES } from '../../../../service/scenarios.ts';
import EstimateTable from './EstimateTable.svelte';
import type { EstimateSet } from './types.ts';

function estimateOf(preset: string): EstimateSet {
  const r = previewScenario({ preset } as never, NO_PROFILES);
  if (!r.ok) throw new Error(`preview of ${preset} failed`);
  return r.estimate as EstimateSet;
}

const cellsOf = (row: string): string[] =>
  within(screen.getByRole('row', { name: new RegExp(`^${row}`) }))
    .getAllByRole('cell')
    .map((c) => c.textContent?.trim() ?? '');

describe('EstimateTable', () => {
  it('shows the figures of an estimate in range, with the range it holds in', () => {
    const e = estimateOf('seed-after-fix');
    expect(e.lazy.outOfRange).toBeNull();
    render(EstimateTable, { estimate: e, stale: false });
    const throughput = cellsOf('Throughput');
    expect(throughput).toEqual([e.strict.throughputGbps?.toFixed(1), e.lazy.throughputGbps?.toFixed(1)]);
    expect(screen.getByText(/Valid while every serialization point .* is under 90% busy/)).toBeTruthy();
    expect(cellsOf('Busiest server').every((c) => /\d+%$/.test(c))).toBe(true);
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('shows no figure of an estimate out of its range and says why', () => {
    const e = estimateOf('shadow-sl');
    expect(e.strict.outOfRange).toMatch(/out of range/);
    expect(e.strict.vmExitsPerSec).toBeGreaterThan(0);
    render(EstimateTable, { estimate: e, stale: false });
    for (const row of ['Throughput', 'VM exits/s', 'vCPU utilization', 'VMM lock utilization']) {
      expect(cellsOf(row), row).toEqual(['out of range', 'out of range']);
    }
    expect(cellsOf('Busiest server')).toEqual(['–', '–']);
    const notes = screen.getAllByRole('note').map((n) => n.textContent ?? '');
    expect(notes).toHaveLength(2);
    // The note names the saturated server and how busy it is.
    expect(notes[0]).toMatch(/^strict: out of range: use the event model \(the invalidation-queue lock .* is \d+% busy; queueing formulas hold below 90%\)/);
  });

  it('shows no NIC figure for fio, which has no closed form', () => {
    const e = estimateOf('nvme-nested-fl');
    render(EstimateTable, { estimate: e, stale: false });
    expect(cellsOf('Busiest server')).toEqual(['–', '–']);
    expect(screen.getAllByRole('note')[0]?.textContent).toMatch(/no closed form for fio/);
  });
});
