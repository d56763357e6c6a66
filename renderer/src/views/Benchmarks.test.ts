// The benchmark list flags a regression nobody acknowledged, and Acknowledge
// places a marker before its first point, after which the flag goes.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { LabClient } from '../lib/api.ts';
import type { HistoryAnalysis } from '../lib/types.ts';
import Benchmarks from './Benchmarks.svelte';

const at = (h: number): string => new Date(Date.UTC(2026, 0, 1, h)).toISOString();
const bench = (name: string) => ({ id: name, name, metric: 'throughputGbps', description: '', higherIsBetter: true, orderBy: 'time', createdAt: at(0) });

/** As benchmarks.analyze answers; `unacknowledged` as the service's rule gives it for these changes. */
function analysis(name: string, changes: HistoryAnalysis['changes'], knownShifts: HistoryAnalysis['knownShifts'] = [], unacknowledged: HistoryAnalysis['changes'] = []): HistoryAnalysis {
  return {
    benchmark: { name, metric: 'throughputGbps', higherIsBetter: true },
    orderBy: 'time',
    unordered: 0,
    points: [0, 1, 2, 3].map((i) => ({ index: i, id: `p${i}`, key: at(i), measuredAt: at(i), value: i < 2 ? 50 : 45, source: 'simulated', runId: null })),
    segments: [],
    changes,
    knownShifts,
    latest: null,
    unacknowledged,
  };
}
const change = (kind: 'regression' | 'improvement', changePct: number) => ({ index: 2, at: at(2), pointId: 'p2', meanBefore: 50, meanAfter: 45, changePct, pValue: 1e-5, kind });

describe('Benchmarks', () => {
  it('flags an unacknowledged regression and acknowledges it with a marker before its first point', async () => {
    const marks: Record<string, unknown>[] = [];
    const api = {
      call: async (method: string, params: Record<string, unknown>) => {
        if (method === 'benchmarks.list') return [bench('rx'), bench('tx'), bench('small')];
        if (method === 'benchmarks.analyze') {
          if (params.name === 'tx') return analysis('tx', [change('improvement', 12)]);
          if (params.name === 'small') return analysis('small', [change('regression', -1.2)]);
          return marks.length === 0
            ? analysis('rx', [change('regression', -10)], [], [change('regression', -10)])
            : analysis('rx', [], [{ markerId: 'm1', label: String(marks[0]?.label), at: at(1), placement: 'before p2', index: 2, meanBefore: 50, meanAfter: 45, changePct: -10 }]);
        }
        if (method === 'benchmarks.mark') {
          marks.push(params);
          return { id: 'm1' };
        }
        throw new Error(`unexpected ${method}`);
      },
      on: () => () => {},
    } as unknown as LabClient;
    render(Benchmarks, { api });

    const row = (name: string) => screen.getByRole('link', { name }).closest('tr') as HTMLElement;
    await waitFor(() => expect(row('rx').querySelector('[data-regression]')?.textContent).toMatch(/unacknowledged -10\.0%/));
    expect(screen.getByRole('status').textContent).toMatch(/rx has a regression worse than 2% that nobody acknowledged/);
    // The trend line says in words what it draws.
    expect(within(row('rx')).getByRole('img').getAttribute('aria-label')).toBe('all 4 points, from 50 Gbit/s to 45 Gbit/s');
    // An improvement and a regression under the threshold raise no flag.
    expect(row('tx').querySelector('[data-regression]')?.textContent?.trim()).toBe('none');
    expect(row('small').querySelector('[data-regression]')?.textContent?.trim()).toBe('none');

    await fireEvent.click(within(row('rx')).getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(row('rx').querySelector('[data-regression]')?.textContent?.trim()).toBe('none'));
    expect(marks).toEqual([{ benchmark: 'rx', label: 'acknowledged: regression -10.0%', before: 'p2' }]);
    expect(screen.queryByRole('status')).toBeNull();
  });
});
