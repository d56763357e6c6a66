// The run-set comparison against a fake service whose statistics are the
// real ones (buildComparisonReport), so verdicts and reasons are not made up.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { buildComparisonReport, type ReportRun } from '../../../service/exporters/report.ts';
import type { LabClient } from '../lib/api.ts';
import type { Run } from '../lib/types.ts';
import RunSets from './RunSets.svelte';

function run(id: string, policy: string, seed: number, throughput: number): Run {
  return {
    id, name: `seed-after-fix seed=${seed}`, status: 'done', kind: 'simulated', seed, experimentId: null, scenarioHash: policy, modelVersion: '1',
    createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, durationMs: 30, error: null, tags: [],
    metrics: { throughputGbps: throughput, 'vmExitsPerSec.psi-map': 0 },
    scenario: { seed, policy }, result: null, series: {}, notes: [],
  };
}

const RUNS = [
  run('s1', 'strict', 1, 39.1), run('l1', 'lazy', 1, 50.4), run('s2', 'strict', 2, 39.4), run('l2', 'lazy', 2, 50.6),
  run('s3', 'strict', 3, 39.2), run('l3', 'lazy', 3, 50.5),
];

function fakeLab() {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const asReport = (ids: string[]): ReportRun[] => ids.map((id) => RUNS.find((r) => r.id === id)!).map((r) => ({ id: r.id, name: r.name, seed: r.seed, metrics: r.metrics, scenario: r.scenario as never }));
  const api = {
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push({ method, params });
      if (method !== 'runs.compareSets') throw new Error(`unexpected ${method}`);
      const metrics = params.metrics as string[] | undefined;
      return buildComparisonReport({ label: 'base', runs: asReport(params.base as string[]) }, { label: 'head', runs: asReport(params.head as string[]) }, metrics ? { metrics } : {});
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
    expect(calls[0]?.params).toMatchObject({ base: ['s1', 's2', 's3'], head: ['l1', 'l2', 'l3'], metrics: ['throughputGbps'] });
    const row = table.querySelector('tr[data-metric="throughputGbps"]') as HTMLElement;
    expect(row.textContent).toMatch(/\+28\.\d%/);
    expect(row.textContent).toMatch(/×1\.2\d\d \[1\.2\d\d, 1\.2\d\d\]/);
    const badge = within(row).getByText(/^(better|worse|changed|no change|inconclusive)$/);
    expect(badge.getAttribute('title')).toBeTruthy();
    // Three pairs cannot reach p < 0.05 with a rank test: a large change reads inconclusive, in amber.
    expect(badge.textContent).toBe('inconclusive');
    expect(badge.className).toContain('warn');
    expect(screen.getByText(/policy=strict · 3 runs/)).toBeTruthy();
  });

  it('recompares when a run moves to the other set, and includes breakdowns when asked', async () => {
    const { api, calls } = fakeLab();
    render(RunSets, { api, runs: RUNS });
    await screen.findByRole('table', { name: 'Run set verdicts' });
    const group = screen.getByRole('group', { name: /^Set of .* \(s3\)$/ });
    await fireEvent.click(within(group).getByRole('button', { name: 'Head' }));
    await waitFor(() => expect(calls.at(-1)?.params).toMatchObject({ base: ['s1', 's2'], head: ['l1', 'l2', 's3', 'l3'] }));
    await fireEvent.click(screen.getByLabelText(/Per-reason breakdowns/));
    await waitFor(() => expect(calls.at(-1)?.params.metrics).toEqual(['throughputGbps', 'vmExitsPerSec.psi-map']));
  });
});
