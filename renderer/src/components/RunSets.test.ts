// The run-set comparison against a fake service whose statistics are the
// real ones (buildComparisonReport), so verdicts and reasons are not made up.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { buildComparisonReport, type ReportRun } from '../../../service/exporters/report.ts';
import type { LabClient } from '../lib/api.ts';
import type { Run } from '../lib/types.ts';
import RunSets from './RunSets.svelte';

const SHORT = { code: 'run-shorter-than-flush-timer', message: 'the measured run (5 ms) is shorter than the per-cpu flush-queue timer (10 ms)' };

function run(id: string, policy: string, seed: number, throughput: number, createdAt = '2026-01-01T00:00:00Z', flushes = 0): Run {
  return {
    id, name: `seed-after-fix seed=${seed}`, status: 'done', kind: 'simulated', seed, experimentId: null, scenarioHash: policy, modelVersion: '1',
    createdAt, startedAt: null, finishedAt: null, durationMs: 30, error: null, tags: [],
    metrics: { throughputGbps: throughput, flushesPerSec: flushes, 'vmExitsPerSec.psi-map': 0 },
    scenario: { seed, policy }, result: policy === 'lazy' ? { warnings: [SHORT] } : null, series: {}, notes: [],
  };
}

const RUNS = [
  run('s1', 'strict', 1, 39.1), run('l1', 'lazy', 1, 50.4, undefined, 760), run('s2', 'strict', 2, 39.4), run('l2', 'lazy', 2, 50.6, undefined, 775),
  run('s3', 'strict', 3, 39.2), run('l3', 'lazy', 3, 50.5, undefined, 770),
];
// As the journal lists them: newest first, the lazy runs made after the strict ones.
const NEWEST_FIRST = [
  run('l1', 'lazy', 1, 50.4, '2026-01-02T00:00:03Z'), run('l2', 'lazy', 2, 50.6, '2026-01-02T00:00:02Z'), run('l3', 'lazy', 3, 50.5, '2026-01-02T00:00:01Z'),
  run('s1', 'strict', 1, 39.1, '2026-01-01T00:00:03Z'), run('s2', 'strict', 2, 39.4, '2026-01-01T00:00:02Z'), run('s3', 'strict', 3, 39.2, '2026-01-01T00:00:01Z'),
];

function fakeLab() {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const asReport = (ids: string[]): ReportRun[] => ids.map((id) => [...RUNS, ...NEWEST_FIRST].find((r) => r.id === id)!).map((r) => ({ id: r.id, name: r.name, seed: r.seed, metrics: r.metrics, scenario: r.scenario as never, ...(r.result ? { warnings: (r.result as { warnings: typeof SHORT[] }).warnings } : {}) }));
  const api = {
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push({ method, params });
      if (method !== 'runs.compareSets') throw new Error(`unexpected ${method}`);
      const metrics = params.metrics as string[] | undefined;
      const primary = params.primary as string | undefined;
      return buildComparisonReport({ label: 'base', runs: asReport(params.base as string[]) }, { label: 'head', runs: asReport(params.head as string[]) }, { ...(metrics ? { metrics } : {}), ...(primary ? { primary } : {}) });
    },
    on: () => () => {},
  };
  return { api: api as unknown as LabClient, calls };
}

describe('RunSets', () => {
  it('splits by configuration, compares the shown metrics only, and shows the verdict with its reason', async () => {
    const { api, calls } = fakeLab();
    render(RunSets, { api, runs: RUNS });
    const table = await screen.findByRole('table', { name: 'Run set verdicts' });
    expect(calls[0]?.params).toMatchObject({ base: ['s1', 's2', 's3'], head: ['l1', 'l2', 'l3'], metrics: ['throughputGbps', 'flushesPerSec'] });
    const row = table.querySelector('tr[data-metric="throughputGbps"]') as HTMLElement;
    expect(row.textContent).toMatch(/\+28\.\d%/);
    expect(row.textContent).toMatch(/×1\.2\d\d \[1\.2\d\d, 1\.2\d\d\]/);
    expect(row.textContent).toMatch(/primary/);
    expect(row.textContent).toMatch(/p=\d/);
    const badge = within(row).getByText(/^(better|worse|changed|no change|inconclusive)$/);
    expect(badge.getAttribute('title')).toMatch(/paired-t on log values, p \(primary metric, tested alone\)/);
    // Three pairs with a steady ratio reach significance with the paired t test on log ratios (the rank test could not).
    expect(badge.textContent).toBe('better');
    expect(badge.className).toContain('good');
    expect(screen.getByText(/policy=strict · 3 runs/)).toBeTruthy();
    // 0 -> ~770 flushes/s is an absolute change with a verdict of its own, not a percentage.
    const flushes = table.querySelector('tr[data-metric="flushesPerSec"]') as HTMLElement;
    expect(flushes.textContent).toMatch(/\+768 \(from 0\)/);
    expect(within(flushes).getByText('worse')).toBeTruthy();
    // The head runs' own warning stands beside the verdicts it qualifies.
    expect(screen.getByRole('list', { name: 'Warnings of the compared runs' }).textContent).toMatch(/Head \(3 of 3 runs\): the measured run \(5 ms\) is shorter than the per-cpu flush-queue timer/);
  });

  it('picks the configuration run first as base whatever the selection order, says so, and swaps on request', async () => {
    const calls: Record<string, unknown>[] = [];
    const { api } = fakeLab();
    const spy = { ...api, call: (m: string, p: Record<string, unknown>) => (calls.push(p), (api as unknown as { call: (m: string, p: unknown) => Promise<unknown> }).call(m, p)) };
    render(RunSets, { api: spy as unknown as LabClient, runs: NEWEST_FIRST });
    await screen.findByRole('table', { name: 'Run set verdicts' });
    expect(calls[0]).toMatchObject({ base: ['s1', 's2', 's3'], head: ['l1', 'l2', 'l3'] });
    expect(screen.getByText(/Base is the configuration run first/)).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Run set verdicts' })).getByText('better')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Swap base and head' }));
    await waitFor(() => expect(calls.at(-1)).toMatchObject({ base: ['l1', 'l2', 'l3'], head: ['s1', 's2', 's3'] }));
    expect(await within(await screen.findByRole('table', { name: 'Run set verdicts' })).findByText('worse')).toBeTruthy();
  });

  it('recompares when a run moves to the other set, and includes breakdowns when asked', async () => {
    const { api, calls } = fakeLab();
    render(RunSets, { api, runs: RUNS });
    await screen.findByRole('table', { name: 'Run set verdicts' });
    const group = screen.getByRole('group', { name: /^Set of .* \(s3\)$/ });
    await fireEvent.click(within(group).getByRole('button', { name: 'Head' }));
    await waitFor(() => expect(calls.at(-1)?.params).toMatchObject({ base: ['s1', 's2'], head: ['l1', 'l2', 's3', 'l3'] }));
    await fireEvent.click(screen.getByLabelText(/Per-reason breakdowns/));
    await waitFor(() => expect(calls.at(-1)?.params.metrics).toEqual(['throughputGbps', 'flushesPerSec', 'vmExitsPerSec.psi-map']));
    // A primary metric the user picks is tested alone; throughput joins the secondaries.
    await fireEvent.change(screen.getByLabelText('Primary metric'), { target: { value: 'flushesPerSec' } });
    await waitFor(() => expect(calls.at(-1)?.params.primary).toBe('flushesPerSec'));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Run set verdicts' }).querySelector('tr[data-metric="flushesPerSec"]')?.textContent).toMatch(/primary/));
    // All zero in every run: reported as constant, outside the tested families.
    const row = (await screen.findByRole('table', { name: 'Run set verdicts' })).querySelector('tr[data-metric="vmExitsPerSec.psi-map"]') as HTMLElement;
    await waitFor(() => expect(row?.textContent).toMatch(/no change \(constant\)/));
  });
});
