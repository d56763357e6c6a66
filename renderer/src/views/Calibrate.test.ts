// The Calibrate form against a fake service: what it sends, where the
// service's errors land, progress of its own fit only, Cancel, and saving
// under a taken name.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { COST_TABLE, type EventData, type EventName } from '../../../service/protocol/index.ts';
import { defaultBounds } from '../lib/costs.ts';
import { ApiError, type LabClient } from '../lib/api.ts';
import type { CalibrationOutcome, CalibrationReport, RunSummary } from '../lib/types.ts';
import Calibrate from './Calibrate.svelte';

const RUN: RunSummary = {
  id: 'c551678e-40a3-4c71-98fc-0187edde0ae0', name: 'iperf-rx: tcp-parallel.json', status: 'done', kind: 'measured', seed: 0, experimentId: null,
  scenarioHash: 'h', modelVersion: 'measured', createdAt: '2026-11-23T22:20:40Z', startedAt: '2026-11-23T21:23:45Z', finishedAt: null,
  durationMs: 3000, error: null, tags: [], metrics: { receivedGbps: 19.22, sentGbps: 19.22 },
};

const REPORT: CalibrationReport = {
  profile: 'rx-fit', baseProfile: null, modelVersion: '1.0.0',
  parameters: [{ name: 'exitRoundTripNs', min: 1300, max: 22000, tableValue: 5298, initial: 5298, fitted: 9100, atBound: null }],
  points: [{ label: 'seed-before-fix vs c551678e', run: RUN.id, source: null, metric: 'throughputGbps', measuredMetric: 'receivedGbps', weight: 1, scenario: { preset: 'seed-before-fix' }, observed: 19.22, initialSimulated: 39.3, fittedSimulated: 19.5, relativeResidual: 0.0146 }],
  rmsBefore: 1.04, rmsAfter: 0.0146, iterations: 6, evaluations: 9, elapsedMs: 800, costs: { exitRoundTripNs: 9100 },
};

type Handler = (p: Record<string, unknown>) => unknown;

function fakeLab(extra: Record<string, Handler> = {}) {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  let finish: (outcome: CalibrationOutcome) => void = () => {};
  const emit = <E extends EventName>(event: E, data: EventData<E>): void => {
    for (const l of listeners.get(event) ?? []) l(data);
  };
  const handlers: Record<string, Handler> = {
    'presets.list': () => [{ name: 'seed-before-fix', title: 'Seed setup, guest kernel 6.2', assumptions: [], scenario: {} }],
    'profiles.list': () => [{ name: 'rx-fit', costs: {}, fit: null }],
    'runs.list': () => ({ total: 1, rows: [RUN] }),
    'calibration.start': (p) => {
      const spec = p.spec as { points: { scenario: { overrides?: string[] } }[]; parameters: Record<string, unknown> };
      if (spec.points[0]?.scenario.overrides?.includes('guest.kernel=zzz')) {
        throw new ApiError({ code: 'invalid', message: 'invalid', fields: [{ path: 'spec.points.0.scenario.guest.kernel', message: 'expected MAJOR.MINOR' }, { path: 'spec.surprise', message: 'not allowed' }] });
      }
      if (p.dryRun === true) return { calibrationId: null, parameters: Object.keys(spec.parameters), points: spec.points.length };
      // The worker reports before the answer to start arrives.
      emit('calibration.progress', { calibrationId: 'cal-1', fraction: 0.25 });
      return { calibrationId: 'cal-1', parameters: Object.keys(spec.parameters), points: spec.points.length };
    },
    'calibration.wait': () => new Promise((resolve) => (finish = resolve)),
    'calibration.cancel': () => {
      finish({ status: 'cancelled', error: null, report: null, profile: null });
      return { cancelled: true };
    },
    ...extra,
  };
  const api = {
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push({ method, params: JSON.parse(JSON.stringify(params)) as Record<string, unknown> });
      const h = handlers[method];
      if (!h) throw new Error(`unexpected call ${method}`);
      return h(params);
    },
    on: (event: string, listener: (data: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
  return { api: api as unknown as LabClient, calls, emit, finish: (o: CalibrationOutcome) => finish(o), callsOf: (m: string) => calls.filter((c) => c.method === m) };
}

const WAIT = { timeout: 4000 };

/** The form with the measured run as its point under seed-before-fix, fitting exitRoundTripNs, named rx-fit-2. */
async function fillForm(lab: ReturnType<typeof fakeLab>) {
  render(Calibrate, { props: { api: lab.api, run: RUN.id, validateDelayMs: 0 } });
  const point = await screen.findByRole('group', { name: 'Point 1' });
  await fireEvent.change(within(point).getByLabelText('Preset'), { target: { value: 'seed-before-fix' } });
  await fireEvent.click(screen.getByRole('button', { name: 'Add a cost to fit…' }));
  await fireEvent.click(screen.getByRole('button', { name: 'Fit exitRoundTripNs' }));
  await fireEvent.input(screen.getByLabelText('Profile name'), { target: { value: 'rx-fit-2' } });
  await waitFor(() => expect(screen.getByText('Ready: 1 cost to 1 point.')).toBeTruthy(), WAIT);
  return point;
}

describe('Calibrate', () => {
  it('starts an unsaved fit of what the form says, follows its own progress and cancels it', async () => {
    const lab = fakeLab();
    await fillForm(lab);
    await fireEvent.click(screen.getByRole('button', { name: 'Start fit' }));

    await waitFor(() => expect(lab.callsOf('calibration.wait')).toHaveLength(1), WAIT);
    const started = lab.callsOf('calibration.start').find((c) => c.params.dryRun === undefined);
    expect(started?.params.spec).toMatchObject({
      profile: 'rx-fit-2',
      save: false,
      parameters: { exitRoundTripNs: defaultBounds(COST_TABLE.exitRoundTripNs.valueNs) },
      points: [{ run: RUN.id, metric: 'throughputGbps', weight: 1, scenario: { preset: 'seed-before-fix' } }],
    });
    const bar = screen.getByRole('progressbar', { name: 'Share of the evaluation budget used' }) as HTMLProgressElement;
    expect(bar.value).toBe(0.25);
    lab.emit('calibration.progress', { calibrationId: 'someone-else', fraction: 0.9 });
    lab.emit('calibration.progress', { calibrationId: 'cal-1', fraction: 0.5 });
    await waitFor(() => expect(bar.value).toBe(0.5));
    expect((screen.getByRole('button', { name: 'Start fit' }) as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByText('Cancelled: nothing was fitted.')).toBeTruthy(), WAIT);
    expect(lab.callsOf('calibration.cancel')[0]?.params).toEqual({ calibrationId: 'cal-1' });
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it("puts the service's scenario error at the point's overrides and the rest in a summary", async () => {
    const lab = fakeLab();
    const point = await fillForm(lab);
    const overrides = within(point).getByLabelText(/^Overrides/);
    await fireEvent.input(overrides, { target: { value: 'guest.kernel=zzz' } });
    await waitFor(() => expect(within(point).getByText('guest.kernel: expected MAJOR.MINOR')).toBeTruthy(), WAIT);
    expect(overrides.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('spec.surprise: not allowed')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Start fit' }) as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.input(overrides, { target: { value: 'guest.kernel=6.8' } });
    await waitFor(() => expect(screen.getByText('Ready: 1 cost to 1 point.')).toBeTruthy(), WAIT);
    expect(overrides.getAttribute('aria-invalid')).toBeNull();
  });

  it('shows the fit, then saves it, asking before it replaces a profile of the same name', async () => {
    let saves = 0;
    const lab = fakeLab({
      'calibration.save': (p) => {
        saves++;
        if (p.replace !== true) throw new ApiError({ code: 'conflict', message: `cost profile "${String(p.profile)}" already exists` });
        return { id: 'p1', name: p.profile, description: '', costs: REPORT.costs, fit: REPORT, modelVersion: '1.0.0', createdAt: '', updatedAt: '' };
      },
    });
    await fillForm(lab);
    await fireEvent.click(screen.getByRole('button', { name: 'Start fit' }));
    await waitFor(() => expect(lab.callsOf('calibration.wait')).toHaveLength(1), WAIT);
    lab.finish({ status: 'done', error: null, report: REPORT, profile: null });
    await screen.findByRole('region', { name: 'Residuals' });
    expect(screen.getByText('104 %').dataset.rms).toBe('before');

    const name = screen.getByLabelText('Name') as HTMLInputElement;
    expect(name.value).toBe('rx-fit-2');
    await fireEvent.input(name, { target: { value: 'rx-fit' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(screen.getByText('cost profile "rx-fit" already exists')).toBeTruthy(), WAIT);
    await fireEvent.click(screen.getByRole('button', { name: 'Replace rx-fit' }));
    const link = await screen.findByRole('link', { name: 'rx-fit' });
    expect(link.getAttribute('href')).toBe('#/profiles/rx-fit');
    expect(lab.callsOf('calibration.save').map((c) => c.params)).toEqual([
      { calibrationId: 'cal-1', profile: 'rx-fit', replace: false },
      { calibrationId: 'cal-1', profile: 'rx-fit', replace: true },
    ]);
    expect(saves).toBe(2);
  });
});
