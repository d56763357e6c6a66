// The import dialog creates the benchmark it names when there is none, and
// never shows the user an API method name, even when the benchmark vanished
// between the list and the import.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { ApiError, type LabApi } from '../../../service/protocol/index.ts';
import ImportDialog from './ImportDialog.svelte';

const FILES = [{ fileName: 'a.json', text: '{}' }];

function fakeApi(existing: string[], opts: { listFails?: boolean } = {}) {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const api = {
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push({ method, params });
      if (method === 'benchmarks.list') {
        if (opts.listFails) throw new Error('offline');
        return existing.map((name) => ({ name }));
      }
      if (method === 'benchmarks.create') {
        existing.push(params.name as string);
        return { name: params.name };
      }
      if (method === 'measurements.import') {
        if (!existing.includes(params.benchmark as string)) {
          throw new ApiError({ code: 'not_found', message: `benchmark ${JSON.stringify(params.benchmark)} not found in the journal; create it first (benchmarks.create)` });
        }
        return { runId: 'r1', metric: 'receivedGbps', value: 9.4, point: {} };
      }
      throw new Error(`unexpected ${method}`);
    },
  } as unknown as LabApi;
  return { api, calls };
}

describe('ImportDialog', () => {
  it('offers to create a benchmark that does not exist, then imports into it', async () => {
    const { api, calls } = fakeApi(['rx']);
    render(ImportDialog, { api, tool: 'iperf3', files: FILES, onClose: () => {} });
    const name = await screen.findByLabelText('Benchmark');
    await waitFor(() => expect((name as HTMLInputElement).value).toBe('rx'));
    expect(screen.queryByRole('group', { name: 'New benchmark' })).toBeNull();
    await fireEvent.input(name, { target: { value: 'lab rx' } });
    const group = await screen.findByRole('group', { name: 'New benchmark' });
    expect(group.textContent).toMatch(/No benchmark is named lab rx yet: importing creates it/);
    // Only metrics iperf3 reports are offered.
    const metrics = [...(within(group).getByLabelText('Metric it follows') as HTMLSelectElement).options].map((o) => o.value);
    expect(metrics).toContain('receivedGbps');
    expect(metrics).not.toContain('readIops');
    await fireEvent.change(within(group).getByLabelText('Metric it follows'), { target: { value: 'receivedGbps' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create and import' }));
    await screen.findByRole('button', { name: 'Open benchmark' });
    expect(calls.filter((c) => c.method !== 'benchmarks.list').map((c) => c.method)).toEqual(['benchmarks.create', 'measurements.import']);
    expect(calls.find((c) => c.method === 'benchmarks.create')?.params).toEqual({ name: 'lab rx', metric: 'receivedGbps', higherIsBetter: true });
  });

  it('when the benchmark is not there after all, says so without API names and offers to create it', async () => {
    const { api } = fakeApi([], { listFails: true });
    render(ImportDialog, { api, tool: 'iperf3', files: FILES, onClose: () => {} });
    await fireEvent.input(await screen.findByLabelText('Benchmark'), { target: { value: 'gone' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/No benchmark is named gone now/);
    expect(document.body.textContent).not.toMatch(/benchmarks\.\w+|measurements\.\w+/);
    expect(await screen.findByRole('group', { name: 'New benchmark' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Create and import' }));
    await screen.findByRole('button', { name: 'Open benchmark' });
  });
});
