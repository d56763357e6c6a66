import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../../../core/model/scenario.ts';
import { findPreset } from '../../../../core/model/presets.ts';
import { schemaToFields } from './schema-form.ts';
import { deviceKindOf, fieldApplies, pairedKindEdits } from './device-kinds.ts';

const fields = schemaToFields(scenarioJsonSchema());
const shown = (kind: 'nic' | 'nvme', draft: Record<string, string> = {}, resolved: unknown = null) =>
  new Set(fields.filter((f) => fieldApplies(f.path, kind, draft, resolved)).map((f) => f.path));

describe('device-kind field groups', () => {
  it('names only fields the scenario schema has (a renamed field fails here)', () => {
    const paths = new Set(fields.map((f) => f.path));
    const hiddenSomewhere = fields.length * 2 - shown('nic').size - shown('nvme').size;
    expect(hiddenSomewhere).toBeGreaterThan(20);
    for (const p of ['device.mtu', 'device.drives', 'workload.streams', 'workload.iodepth']) expect(paths.has(p)).toBe(true);
  });

  it('an nvme device shows drive and fio fields, not the NIC or iperf ones', () => {
    const s = shown('nvme', { 'workload.rw': 'randrw' });
    for (const p of ['device.drives', 'device.readLatencyUs', 'device.maxReadIops', 'workload.bs', 'workload.iodepth', 'workload.numjobs', 'workload.rwmixread', 'device.ats', 'device.kind', 'workload.kind']) expect(s.has(p)).toBe(true);
    for (const p of ['device.mtu', 'device.lineRateGbps', 'device.napiBudget', 'workload.streams', 'workload.tsoBytes']) expect(s.has(p)).toBe(false);
  });

  it('a NIC shows its own fields and iperf, no drive or fio field', () => {
    const s = shown('nic');
    for (const p of ['device.mtu', 'device.queues', 'workload.streams']) expect(s.has(p)).toBe(true);
    for (const p of ['device.drives', 'device.maxReadIops', 'workload.iodepth', 'workload.bs']) expect(s.has(p)).toBe(false);
  });

  it('shows the read share only for a mixed pattern', () => {
    expect(shown('nvme', { 'workload.rw': 'randread' }).has('workload.rwmixread')).toBe(false);
    expect(shown('nvme', {}, { workload: { rw: 'randrw' } }).has('workload.rwmixread')).toBe(true);
  });

  it('takes the kind from the draft, else the resolved scenario (a preset)', () => {
    expect(deviceKindOf({ 'device.kind': 'nvme' }, null)).toBe('nvme');
    expect(deviceKindOf({}, findPreset('nvme-bare-metal')!.scenario)).toBe('nvme');
    expect(deviceKindOf({ 'device.kind': '' }, findPreset('seed-after-fix')!.scenario)).toBe('nic');
  });

  it('keeps device and workload fitting each other when one changes', () => {
    expect(pairedKindEdits('device.kind', 'nvme', { 'workload.kind': 'iperf-rx' })).toEqual({ 'workload.kind': 'fio' });
    expect(pairedKindEdits('device.kind', 'nic', { 'workload.kind': 'fio' })).toEqual({ 'workload.kind': 'iperf-rx' });
    expect(pairedKindEdits('device.kind', 'nic', { 'workload.kind': 'iperf-tx' })).toEqual({});
    expect(pairedKindEdits('workload.kind', 'fio', { 'device.kind': 'nic' })).toEqual({ 'device.kind': 'nvme' });
    expect(pairedKindEdits('workload.kind', 'iperf-tx', { 'device.kind': 'nvme' })).toEqual({ 'device.kind': 'nic' });
    expect(pairedKindEdits('device.mtu', '9000', {})).toEqual({});
  });
});

describe('NVMe field labels', () => {
  it('reads as drive and fio people write them', () => {
    const label = (path: string) => fields.find((f) => f.path === path)!.label;
    expect(label('device.maxBandwidthMiBps')).toBe('Max bandwidth (MiB/s)');
    expect(label('device.maxReadIops')).toBe('Max read IOPS');
    expect(label('device.ats')).toBe('ATS');
    expect(label('workload.iodepth')).toBe('iodepth');
    expect(label('workload.bs')).toBe('bs');
    expect(label('workload.rw')).toBe('rw');
    expect(label('device.mtu')).toBe('MTU');
  });
});
