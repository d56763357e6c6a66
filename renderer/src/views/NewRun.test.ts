// The New run / Sweep form against a fake service whose validation is the
// real one: previews come from previewScenario, sweeps from expandSweep.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { BACKENDS, COST_TABLE, parseScenario, POLICIES, PRESETS, scenarioJsonSchema, WORKLOADS } from '../../../core/index.ts';
import { previewScenario } from '../../../service/preview.ts';
import { expandSweep } from '../../../service/sweep.ts';
import { NO_PROFILES, type CostProfiles } from '../../../service/scenarios.ts';
import { sweepSpecSchema, type EventData, type EventName, type LabApi } from '../../../service/protocol/index.ts';
import { groupFields, schemaToFields } from '../lib/form/schema-form.ts';
import { fieldId } from '../lib/form/ids.ts';
import { fieldApplies } from '../lib/form/device-kinds.ts';
import NewRun from './NewRun.svelte';

interface Call {
  method: string;
  params: Record<string, unknown>;
}

function fakeLab(opts: { runs?: Record<string, { name: string; tags: string[]; scenario: Record<string, unknown> }>; profiles?: Record<string, Record<string, number>> } = {}) {
  const calls: Call[] = [];
  // The journal's profiles as the service's scenario building sees them.
  const profiles: CostProfiles = opts.profiles
    ? { get: (name) => (opts.profiles?.[name] ? { costs: opts.profiles[name] } : undefined), names: () => Object.keys(opts.profiles ?? {}) }
    : NO_PROFILES;
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  let nextRun = 1;
  const newIds = (n: number) => Array.from({ length: n }, () => `run-${String(nextRun++).padStart(4, '0')}-0000-0000`);

  const handlers: Record<string, (p: Record<string, unknown>) => unknown> = {
    'scenario.schema': () => ({ jsonSchema: scenarioJsonSchema(), defaults: parseScenario({}), backends: [...BACKENDS], policies: [...POLICIES], workloads: [...WORKLOADS] }),
    'presets.list': () => PRESETS,
    'scenario.preview': (p) => {
      const r = previewScenario(p.source as never, profiles);
      // As the service reports them: paths relative to the params.
      return r.ok ? r : { ok: false, errors: r.errors.map((e) => ({ path: `scenario.${e.path}`, message: e.message })) };
    },
    'sweeps.start': (p) => {
      const spec = sweepSpecSchema.parse(p.spec);
      const expanded = expandSweep(spec, NO_PROFILES);
      if (p.dryRun === true) return { sweepId: null, runIds: [], points: expanded.points, total: expanded.runs.length };
      return { sweepId: 'sweep-1', runIds: newIds(expanded.runs.length), points: expanded.points, total: expanded.runs.length };
    },
    'runs.start': (p) => ({ runIds: newIds(Number(p.seeds ?? 1)), experimentId: null }),
    'profiles.list': () => Object.entries(opts.profiles ?? {}).map(([name, costs]) => ({ name, costs, fit: null })),
    'runs.cancel': (p) => ({ cancelled: (p.ids as string[]).length }),
    'runs.get': (p) => {
      const run = opts.runs?.[p.id as string];
      if (!run) throw Object.assign(new Error(`run ${String(p.id)} not found in the journal`), { code: 'not_found' });
      return { id: p.id, ...run };
    },
  };

  const api: LabApi = {
    call: (async (method: string, params: unknown) => {
      calls.push({ method, params: JSON.parse(JSON.stringify(params ?? {})) as Record<string, unknown> });
      const handler = handlers[method];
      if (!handler) throw new Error(`unexpected call ${method}`);
      return handler((params ?? {}) as Record<string, unknown>);
    }) as LabApi['call'],
    on: ((event: string, listener: (data: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    }) as LabApi['on'],
  };

  function emit<E extends EventName>(event: E, data: EventData<E>): void {
    for (const l of listeners.get(event) ?? []) l(data);
  }

  return { api, calls, emit, callsOf: (method: string) => calls.filter((c) => c.method === method) };
}

function setup(props: { fromRunId?: string; profile?: string } = {}, lab = fakeLab()) {
  const opened: string[][] = [];
  const view = render(NewRun, { props: { api: lab.api, onStarted: (ids: string[]) => opened.push(ids), previewDelayMs: 0, ...props } });
  return { ...view, lab, opened };
}

const WAIT = { timeout: 4000 };

function input(label: string): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

async function type(label: string, text: string): Promise<void> {
  await fireEvent.input(input(label), { target: { value: text } });
}

function errorOf(el: HTMLElement): string | undefined {
  const ids = el.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)).find((n) => n?.classList.contains('error'))?.textContent ?? undefined;
}

describe('NewRun', () => {
  it('renders a labelled input for every field of the real schema, in its section', async () => {
    const { container } = setup();
    await screen.findByLabelText('MTU');
    // The run's name is asked for with Start, the cost profile beside the preset.
    // A NIC's form: the drive and fio fields are the other device kind's (device-kinds.ts), checked below.
    const all = schemaToFields(scenarioJsonSchema()).filter((f) => f.path !== 'name' && f.path !== 'costProfile');
    const fields = all.filter((f) => fieldApplies(f.path, 'nic', {}, null));
    expect(all.length - fields.length).toBeGreaterThan(10);
    for (const f of all) if (!fields.includes(f)) expect(container.querySelector(`#${fieldId(f.path)}`), f.path).toBeNull();
    for (const group of groupFields(fields)) {
      const box = group.advanced ? container.querySelector('details fieldset') : screen.getByRole('group', { name: group.label });
      expect(box, group.label).not.toBeNull();
      for (const f of group.fields) {
        const el = container.querySelector(`#${fieldId(f.path)}`);
        expect(el, f.path).not.toBeNull();
        expect(box?.contains(el)).toBe(true);
        expect(container.querySelector(`label[for="${fieldId(f.path)}"]`)?.textContent).toBe(f.label);
      }
    }
    // Costs start collapsed; the defaults are shown as values.
    expect((container.querySelector('details.advanced') as HTMLDetailsElement).open).toBe(false);
    expect(input('MTU').value).toBe('1500');
    expect((screen.getByLabelText('Backend') as HTMLSelectElement).value).toBe('nested-fl');

    // An nvme device: fio is chosen with it, the drive and fio fields appear, the NIC's and iperf's go.
    await fireEvent.change(container.querySelector(`#${fieldId('device.kind')}`)!, { target: { value: 'nvme' } });
    await waitFor(() => expect(container.querySelector(`#${fieldId('device.drives')}`)).not.toBeNull());
    expect((container.querySelector(`#${fieldId('workload.kind')}`) as HTMLSelectElement).value).toBe('fio');
    for (const p of ['device.readLatencyUs', 'device.maxReadIops', 'workload.bs', 'workload.iodepth', 'workload.numjobs']) expect(container.querySelector(`#${fieldId(p)}`), p).not.toBeNull();
    for (const p of ['device.mtu', 'device.napiBudget', 'workload.streams']) expect(container.querySelector(`#${fieldId(p)}`), p).toBeNull();
  });

  it('fills the form from a preset, lists its assumptions and shows the kernel decision', async () => {
    setup();
    const preset = await screen.findByLabelText('Preset');
    await fireEvent.change(preset, { target: { value: 'seed-before-fix' } });
    await waitFor(() => expect(input('Kernel').value).toBe('6.2'));
    const seedPreset = PRESETS.find((p) => p.name === 'seed-before-fix');
    const assumptions = screen.getByRole('list', { name: 'Assumptions' });
    expect(within(assumptions).getAllByRole('listitem')).toHaveLength(seedPreset?.assumptions.length ?? -1);

    // 6.2 on a caching-mode first-level vIOMMU: strict, decided by the kernel.
    await waitFor(() => expect(screen.getByTestId('effective-mode').textContent).toBe('strict'), WAIT);
    expect(screen.getByText('decided by the guest kernel')).toBeTruthy();
    expect(screen.getByLabelText('dmesg').textContent).toContain('DMAR: IOMMU batching disallowed due to virtualization');

    await fireEvent.change(preset, { target: { value: 'seed-after-fix' } });
    await waitFor(() => expect(screen.getByTestId('effective-mode').textContent).toBe('lazy'), WAIT);
    expect(screen.getByLabelText('dmesg').textContent).not.toContain('batching disallowed');

    // Forcing the policy in the scenario says so.
    await fireEvent.change(screen.getByLabelText('Policy'), { target: { value: 'strict' } });
    await waitFor(() => expect(screen.getByText('forced by the scenario')).toBeTruthy(), WAIT);
  });

  it('shows an invalid value next to its field and disables Start', async () => {
    setup();
    await screen.findByLabelText('MTU');
    const start = screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);

    await type('MTU', '100');
    expect(input('MTU').getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(input('MTU'))).toMatch(/576/);
    expect(start.disabled).toBe(true);

    // A rule only the service knows (whole pages above 4 KiB) comes back from the preview.
    await type('MTU', '1500');
    await type('RX buffer (bytes)', '6000');
    await waitFor(() => expect(errorOf(input('RX buffer (bytes)'))).toBe('above 4096 must be a whole number of 4 KiB pages'), WAIT);
    expect(input('RX buffer (bytes)').getAttribute('aria-invalid')).toBe('true');
    expect(input('MTU').getAttribute('aria-invalid')).toBeNull();
    expect(start.disabled).toBe(true);

    await type('RX buffer (bytes)', '8192');
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    expect(errorOf(input('RX buffer (bytes)'))).toBeUndefined();
  });

  it('starts a run with the form values and follows its events', async () => {
    const { lab, opened } = setup();
    await screen.findByLabelText('MTU');
    await type('MTU', '9000');
    await type('Run name', 'jumbo');
    await type('Seeds', '2');
    await type('Tags', 'mtu, jumbo');
    const start = screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(start);

    await waitFor(() => expect(lab.callsOf('runs.start')).toHaveLength(1), WAIT);
    const params = lab.callsOf('runs.start')[0]?.params as { source: { config: Record<string, Record<string, unknown>> }; name: string; seeds: number; tags: string[] };
    expect(params.source.config.device?.mtu).toBe(9000);
    expect(params).toMatchObject({ name: 'jumbo', seeds: 2, tags: ['mtu', 'jumbo'] });

    // One bar per run below the form (the action bar at the top has its own, counted apart).
    const bars = await screen.findAllByRole('progressbar', { name: /^Progress of run / });
    expect(bars).toHaveLength(2);
    lab.emit('run.progress', { runId: 'run-0001-0000-0000', fraction: 0.5 });
    lab.emit('run.progress', { runId: 'someone-else', fraction: 0.9 });
    lab.emit('run.status', { runId: 'run-0002-0000-0000', status: 'done', error: null });
    await waitFor(() => expect(screen.getByText('1 of 2 ended')).toBeTruthy(), WAIT);
    expect((bars[0] as HTMLProgressElement).value).toBe(0.5);
    // The action bar beside Start says the same where the user clicked, with a link to the runs.
    const top = screen.getByRole('status', { name: 'Progress of the last start' });
    expect(top.textContent).toMatch(/Runs running: 1\/2 ended/);
    expect(within(top).getByRole('link', { name: 'Compare the 2 runs' }).getAttribute('href')).toBe('#/compare?ids=run-0001-0000-0000,run-0002-0000-0000');

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(lab.callsOf('runs.cancel')[0]?.params).toEqual({ ids: ['run-0001-0000-0000'] }), WAIT);

    await fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    expect(opened).toEqual([['run-0001-0000-0000', 'run-0002-0000-0000']]);
  });

  it('starts a sweep with the grid as typed, after a dry run sized it', async () => {
    const { lab } = setup();
    await screen.findByLabelText('MTU');
    await fireEvent.click(screen.getByLabelText('Sweep'));

    const pick = screen.getByLabelText('Field to vary');
    await fireEvent.change(pick, { target: { value: 'viommu.backend' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await type('vIOMMU: Backend', 'nested-fl, shadow-sl');
    await fireEvent.change(pick, { target: { value: 'device.mtu' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await type('Device: MTU', '1500, 100');
    await type('Seeds', '3');

    // A bad value is named next to its grid entry and blocks the start.
    const start = screen.getByRole('button', { name: 'Start sweep' }) as HTMLButtonElement;
    expect(errorOf(input('Device: MTU'))).toBe('100: must be at least 576');
    expect(start.disabled).toBe(true);

    await type('Device: MTU', '1500, 9000');
    await waitFor(() => expect(screen.getByText('4 points x 3 seeds = 12 runs')).toBeTruthy(), WAIT);
    expect(lab.callsOf('sweeps.start').every((c) => c.params.dryRun === true)).toBe(true);
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(start);

    await waitFor(() => expect(lab.callsOf('sweeps.start').filter((c) => c.params.dryRun !== true)).toHaveLength(1), WAIT);
    const real = lab.callsOf('sweeps.start').find((c) => c.params.dryRun !== true);
    const spec = real?.params.spec as { grid: unknown; seeds: number; base: { config: Record<string, unknown> } };
    expect(spec.grid).toEqual({ 'viommu.backend': ['nested-fl', 'shadow-sl'], 'device.mtu': [1500, 9000] });
    expect(spec.seeds).toBe(3);
    // The base leaves the vIOMMU caps to the backend, so shadow-sl points are valid.
    expect((spec.base.config.viommu as Record<string, unknown>).cachingMode).toBeUndefined();

    const bar = await screen.findByRole('progressbar', { name: 'Runs ended' });
    lab.emit('sweep.progress', { sweepId: 'sweep-1', total: 12, ended: 5, failed: 1, cancelled: 0 });
    await waitFor(() => expect((bar as HTMLProgressElement).value).toBe(5), WAIT);
    expect(screen.getByText(/5 of 12 ended/)).toBeTruthy();
  });

  it('shows the service errors of sweep points next to the grid entry or the base field at fault', async () => {
    setup();
    await screen.findByLabelText('MTU');
    // Explicit caps that only suit first-level backends: the shadow-sl points fail on the base field.
    await fireEvent.change(screen.getByLabelText('Second level'), { target: { value: 'false' } });
    await fireEvent.click(screen.getByLabelText('Sweep'));
    const pick = screen.getByLabelText('Field to vary');
    await fireEvent.change(pick, { target: { value: 'viommu.backend' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await type('vIOMMU: Backend', 'nested-fl, shadow-sl');
    await waitFor(() => expect(errorOf(screen.getByLabelText('Second level'))).toMatch(/must be true \(at viommu\.backend=shadow-sl\)$/), WAIT);
    const start = screen.getByRole('button', { name: 'Start sweep' }) as HTMLButtonElement;
    expect(start.disabled).toBe(true);

    // In range for the schema, but only whole pages above 4 KiB: the service names the grid entry.
    await type('vIOMMU: Backend', 'nested-fl');
    await fireEvent.change(pick, { target: { value: 'device.rxBufferBytes' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await type('Device: RX buffer (bytes)', '2048, 6000');
    await waitFor(() => expect(errorOf(input('Device: RX buffer (bytes)'))).toMatch(/whole number of 4 KiB pages/), WAIT);
    expect(errorOf(screen.getByLabelText('Second level'))).toBeUndefined();
    expect(start.disabled).toBe(true);
    await type('Device: RX buffer (bytes)', '2048, 8192');
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
  });

  it('clones a run: the form starts from its scenario and tags', async () => {
    const scenario = parseScenario({ guest: { kernel: '6.1' }, device: { mtu: 4000 } }) as unknown as Record<string, unknown>;
    const lab = fakeLab({ runs: { 'abc-123': { name: 'old run', tags: ['base'], scenario } } });
    setup({ fromRunId: 'abc-123' }, lab);
    await waitFor(() => expect(input('Kernel').value).toBe('6.1'), WAIT);
    expect(input('MTU').value).toBe('4000');
    expect(input('Tags').value).toBe('base');
    expect(screen.getByText(/Cloned from run “old run”/)).toBeTruthy();
    expect(lab.callsOf('runs.get')[0]?.params).toEqual({ id: 'abc-123', series: false });
  });

  it('picks a cost profile from the saved ones, keeps it across presets, and sends it with the run', async () => {
    const lab = fakeLab({ profiles: { 'lab-a': { exitRoundTripNs: 9000 }, 'lab-b': { kvmExitNs: 500 } } });
    setup({ profile: 'lab-a' }, lab);
    const select = (await screen.findByLabelText('Cost profile')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('lab-a'), WAIT);
    expect([...select.options].map((o) => o.text)).toEqual(['none: the built-in table', 'lab-a (by hand)', 'lab-b (by hand)']);
    // The preview resolves the profile: an unset cost shows the profile's value, not the table's.
    await waitFor(() => expect(input('Exit round trip (ns)').placeholder).toBe('auto: 9000'), WAIT);
    expect(screen.getByText(/unset costs come from profile lab-a/)).toBeTruthy();

    await fireEvent.change(screen.getByLabelText('Preset'), { target: { value: 'seed-after-fix' } });
    await waitFor(() => expect(input('Kernel').value).toBe('6.3'));
    expect(select.value).toBe('lab-a');

    // A cost typed in the form overrides the profile, and the form says so.
    await type('Exit round trip (ns)', '7000');
    expect(screen.getByText('1 cost set under Costs override the profile.')).toBeTruthy();
    await type('Exit round trip (ns)', '');

    const start = screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(start);
    await waitFor(() => expect(lab.callsOf('runs.start')).toHaveLength(1), WAIT);
    const config = (lab.callsOf('runs.start')[0]?.params.source as { config: Record<string, unknown> }).config;
    expect(config.costProfile).toBe('lab-a');
    expect((config.costs as Record<string, unknown> | undefined)?.exitRoundTripNs).toBeUndefined();

    // "none" takes the profile out of the scenario.
    await fireEvent.change(select, { target: { value: '' } });
    await waitFor(() => expect(input('Exit round trip (ns)').placeholder).toBe(`auto: ${COST_TABLE.exitRoundTripNs.valueNs}`), WAIT);
    expect(document.getElementById('cost-profile-hint')?.textContent).toContain('hold fitted costs');
    expect(screen.getByText(/unset costs use the cost table/)).toBeTruthy();
  });

  it('keeps a profile the journal no longer has, and shows why the scenario is refused', async () => {
    const lab = fakeLab({ profiles: { 'lab-a': { exitRoundTripNs: 9000 } } });
    setup({ profile: 'gone' }, lab);
    const select = (await screen.findByLabelText('Cost profile')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('gone'), WAIT);
    expect(select.selectedOptions[0]?.text).toBe('gone (not in the journal)');
    await waitFor(() => expect(errorOf(select)).toMatch(/unknown cost profile "gone"; saved profiles: lab-a/), WAIT);
    expect((screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('says in the action bar, beside Start, when the service refuses to start', async () => {
    const lab = fakeLab();
    const call = lab.api.call;
    lab.api.call = (async (method: string, params: unknown) => {
      if (method === 'runs.start') throw Object.assign(new Error('the journal is read-only'), { code: 'internal' });
      return (call as (m: string, p: unknown) => Promise<unknown>)(method, params);
    }) as typeof lab.api.call;
    setup({}, lab);
    await screen.findByLabelText('MTU');
    const start = screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(start);
    const bar = screen.getByRole('banner', { name: 'Start' });
    await waitFor(() => expect(within(bar).getByRole('alert').textContent).toMatch(/^Not started: .*read-only/), WAIT);
  });

  it('offers the workers only when the service has a Redis, and blocks Start while none of this model is online', async () => {
    let workers = [{ name: 'old', modelVersion: '0.9', compatible: false }];
    const lab = fakeLab();
    const call = lab.api.call;
    lab.api.call = (async (method: string, params: unknown) => {
      if (method === 'sweeps.workers') return { redis: 'redis://:***@lab-redis:6379', workers };
      return (call as (m: string, p: unknown) => Promise<unknown>)(method, params);
    }) as typeof lab.api.call;
    setup({}, lab);
    await screen.findByLabelText('MTU');
    // A single run never offers the choice; a sweep does.
    expect(screen.queryByRole('group', { name: 'Run on' })).toBeNull();
    await fireEvent.click(screen.getByLabelText('Sweep'));
    const runOn = await screen.findByRole('group', { name: 'Run on' });
    expect(runOn.textContent?.replace(/\s+/g, ' ')).toMatch(/workers on redis:\/\/:\*\*\*@lab-redis:6379 \(0 compatible online, 1 of another model\)/);
    const start = screen.getByRole('button', { name: 'Start sweep' }) as HTMLButtonElement;
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(within(runOn).getByRole('radio', { name: /workers on/ }));
    await waitFor(() => expect(start.disabled).toBe(true), WAIT);
    expect(screen.getByText(/No worker of this model is online/)).toBeTruthy();

    // A worker of this model comes online: the next look finds it and Start sends the sweep to the workers.
    workers = [...workers, { name: 'new', modelVersion: '2.0.0', compatible: true }];
    await fireEvent.click(within(runOn).getByRole('radio', { name: /this machine/ }));
    const toggle = screen.getByRole('checkbox', { name: 'Sweep' });
    await fireEvent.click(toggle);
    await fireEvent.click(toggle);
    const again = await screen.findByRole('group', { name: 'Run on' });
    await waitFor(() => expect(again.textContent).toMatch(/1 compatible online/), WAIT);
    await fireEvent.click(within(again).getByRole('radio', { name: /workers on/ }));
    await waitFor(() => expect(start.disabled).toBe(false), WAIT);
    await fireEvent.click(start);
    await waitFor(() => expect(lab.callsOf('sweeps.start').filter((c) => c.params.dryRun !== true)).toHaveLength(1), WAIT);
    expect(lab.callsOf('sweeps.start').find((c) => c.params.dryRun !== true)?.params.runOn).toBe('workers');
  });

  it('shows no Run on choice when the service has no Redis', async () => {
    const lab = fakeLab();
    const call = lab.api.call;
    let asked = 0;
    lab.api.call = (async (method: string, params: unknown) => {
      if (method === 'sweeps.workers') {
        asked++;
        return { redis: null, workers: [] };
      }
      return (call as (m: string, p: unknown) => Promise<unknown>)(method, params);
    }) as typeof lab.api.call;
    setup({}, lab);
    await screen.findByLabelText('MTU');
    await fireEvent.click(screen.getByLabelText('Sweep'));
    await waitFor(() => expect(asked).toBeGreaterThan(0), WAIT);
    await screen.findByText(/point x/);
    expect(screen.queryByRole('group', { name: 'Run on' })).toBeNull();
  });
});
