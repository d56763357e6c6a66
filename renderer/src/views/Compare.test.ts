// The Compare view orders the runs oldest first, so the base of the per-run
// table is the run made first whatever the order of selection, and says so.
import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import type { LabClient } from '../lib/api.ts';
import type { Run } from '../lib/types.ts';
import Compare from './Compare.svelte';

// uPlot (the charts) asks for matchMedia when it loads; the DOM of the tests has none.
vi.hoisted(() => {
  const query = (media: string) => ({ matches: false, media, addEventListener() {}, removeEventListener() {}, addListener() {}, removeListener() {} });
  if (typeof window.matchMedia !== 'function') window.matchMedia = query as unknown as typeof window.matchMedia;
});

const run = (id: string, createdAt: string): Run => ({
  id, name: `run ${id}`, status: 'done', kind: 'simulated', seed: 1, experimentId: null, scenarioHash: id, modelVersion: '1',
  createdAt, startedAt: null, finishedAt: null, durationMs: 30, error: null, tags: [],
  metrics: { throughputGbps: id === 'new' ? 51 : 39 }, scenario: { seed: 1, policy: id }, result: null, series: {}, notes: [],
});
const RUNS = [run('new', '2026-01-02T00:00:00Z'), run('old', '2026-01-01T00:00:00Z')];

describe('Compare', () => {
  it('compares the oldest run first (the base), not the newest the journal lists first', async () => {
    const compared: string[][] = [];
    const api = {
      call: async (method: string, params: Record<string, unknown>) => {
        if (method === 'runs.get') return RUNS.find((r) => r.id === params.id);
        if (method === 'runs.compare') {
          const ids = params.ids as string[];
          compared.push(ids);
          const rs = ids.map((id) => RUNS.find((r) => r.id === id)!);
          return {
            runs: rs.map(({ scenario: _a, result: _b, series: _c, notes: _d, ...summary }) => summary),
            differences: [{ path: 'policy', values: ids }],
            metrics: [{ name: 'throughputGbps', values: rs.map((r) => r.metrics.throughputGbps!), delta: [null, 0], ratio: [null, 1] }],
          };
        }
        throw new Error(`unexpected ${method}`);
      },
      on: () => () => {},
    };
    render(Compare, { props: { api: api as unknown as LabClient, ids: ['new', 'old'] } });
    await waitFor(() => expect(compared).toEqual([['old', 'new']]));
    expect(await screen.findByText(/the oldest is the base/)).toBeTruthy();
  });

  it('opens on run sets when asked, with one bottleneck line per configuration, even when two share a name and a bottleneck', async () => {
    const bottleneck = (why: string) => ({ bottleneck: { kind: 'vcpu', explanation: why } });
    const sets: Run[] = [
      { ...run('s1', '2026-01-01T00:00:00Z'), name: 'same seed=1', scenario: { seed: 1, policy: 'strict' }, result: bottleneck('strict: exits') },
      { ...run('s2', '2026-01-01T00:00:01Z'), name: 'same seed=2', scenario: { seed: 2, policy: 'strict' }, result: bottleneck('strict: exits') },
      { ...run('l1', '2026-01-02T00:00:00Z'), name: 'same seed=1', scenario: { seed: 1, policy: 'lazy' }, result: bottleneck('lazy: copies') },
    ];
    const api = {
      call: async (method: string, params: Record<string, unknown>) => {
        if (method === 'runs.get') return sets.find((r) => r.id === params.id);
        if (method === 'runs.compare') return { runs: sets, differences: [], metrics: [] };
        return new Promise(() => {}); // the run-set report: not what this test looks at
      },
      on: () => () => {},
    };
    render(Compare, { props: { api: api as unknown as LabClient, ids: ['l1', 's1', 's2'], initialMode: 'sets' } });
    const region = await screen.findByRole('region', { name: 'Bottlenecks' });
    const lines = [...region.querySelectorAll('.bottleneck')].map((el) => el.textContent?.replace(/\s+/g, ' ').trim());
    expect(lines).toEqual(['same: bottleneck vcpu. strict: exits', 'same: bottleneck vcpu. lazy: copies']);
    expect(screen.getByRole('tab', { name: 'Run sets' }).getAttribute('aria-selected')).toBe('true');
  });
});
