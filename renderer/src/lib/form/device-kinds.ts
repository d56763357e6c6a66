// Which device and workload fields the form shows: a NIC's fields and iperf's
// for `device.kind: nic`, a drive's fields and fio's for `nvme`. The scenario
// keeps both sets (the other kind's are ignored by the model), so hiding them
// changes nothing the run receives; it keeps an NVMe form from asking for an
// MTU. Pure functions, tested under Node.

import type { Draft } from './values.ts';

export type DeviceKind = 'nic' | 'nvme';

/** Device fields only a NIC uses (core/model/scenario.ts, the device section). */
const NIC_DEVICE_FIELDS = ['lineRateGbps', 'mtu', 'queues', 'ringSize', 'rxBufferBytes', 'pagePoolPages', 'rxPageUnmapShare', 'interruptModerationUs', 'napiBudget'];
/** Device fields only an NVMe drive uses. */
const NVME_DEVICE_FIELDS = ['drives', 'queuesPerDrive', 'readLatencyUs', 'writeLatencyUs', 'maxReadIops', 'maxWriteIops', 'maxBandwidthMiBps', 'interruptCoalescingUs'];
/** Workload fields only iperf uses. */
const IPERF_FIELDS = ['streams', 'ackEveryBytes', 'tsqLimitBytes', 'tsoBytes', 'fragBytes'];
/** Workload fields only fio uses. */
const FIO_FIELDS = ['rw', 'rwmixread', 'bs', 'iodepth', 'numjobs'];

const hiddenFor: Record<DeviceKind, Set<string>> = {
  nic: new Set([...NVME_DEVICE_FIELDS.map((f) => `device.${f}`), ...FIO_FIELDS.map((f) => `workload.${f}`)]),
  nvme: new Set([...NIC_DEVICE_FIELDS.map((f) => `device.${f}`), ...IPERF_FIELDS.map((f) => `workload.${f}`)]),
};

/** The workload a device kind runs when the form switches to it (an nvme drive runs fio, a NIC iperf receive). */
export const WORKLOAD_FOR: Record<DeviceKind, string> = { nic: 'iperf-rx', nvme: 'fio' };

/** The device kind the draft describes: its own text, else the resolved scenario's, else a NIC (the schema's default). */
export function deviceKindOf(draft: Draft, resolved: unknown): DeviceKind {
  const text = draft['device.kind'];
  if (text === 'nic' || text === 'nvme') return text;
  const device = (resolved as { device?: { kind?: unknown } } | null)?.device;
  return device?.kind === 'nvme' ? 'nvme' : 'nic';
}

/** Whether the form shows the field at `path` for this device kind (and fio's mix only for randrw). */
export function fieldApplies(path: string, kind: DeviceKind, draft: Draft, resolved: unknown): boolean {
  if (hiddenFor[kind].has(path)) return false;
  if (path === 'workload.rwmixread') {
    const rw = draft['workload.rw'] || (resolved as { workload?: { rw?: unknown } } | null)?.workload?.rw;
    return rw === 'randrw';
  }
  return true;
}

/**
 * Edits that keep the device and the workload fitting each other when one of
 * them changes: choosing an nvme device selects fio, choosing a NIC an iperf
 * workload (unless one is already chosen). Returns the extra draft edits.
 */
export function pairedKindEdits(path: string, text: string, draft: Draft): Draft {
  if (path === 'device.kind' && (text === 'nic' || text === 'nvme')) {
    const workload = draft['workload.kind'] ?? '';
    const fits = text === 'nvme' ? workload === 'fio' : workload === 'iperf-rx' || workload === 'iperf-tx';
    return fits ? {} : { 'workload.kind': WORKLOAD_FOR[text] };
  }
  if (path === 'workload.kind' && text !== '') {
    const nvme = draft['device.kind'] === 'nvme';
    if (text === 'fio') return nvme ? {} : { 'device.kind': 'nvme' };
    return nvme ? { 'device.kind': 'nic' } : {};
  }
  return {};
}
