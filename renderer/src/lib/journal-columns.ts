// The journal table's scenario columns and filters: which fields are on
// offer first, the user's choice kept across sessions, and a typed filter
// value from what was typed (numbers and booleans as such).
import type { FieldValue } from './types.ts';

/** Offered first, in this order; any other path the runs have follows. */
export const FIELD_CHOICES = [
  'viommu.backend',
  'policy',
  'effective.policy',
  'guest.kernel',
  'guest.vcpus',
  'device.queues',
  'device.mtu',
  'flushQueue.kind',
  'flushQueue.size',
  'flushQueue.timeoutMs',
] as const;

const STORAGE_KEY = 'iommu-lab.journal.fieldColumns';
const DEFAULT_COLUMNS = ['viommu.backend', 'effective.policy'];
const PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

export interface FieldFilter {
  path: string;
  value: string | number | boolean;
}

export interface MetricRange {
  name: string;
  min?: number;
  max?: number;
}

/** The saved column choice, or the default when none was saved (or it is unreadable). */
export function loadFieldColumns(storage: Pick<Storage, 'getItem'> | undefined): string[] {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null') as unknown;
    if (Array.isArray(saved) && saved.every((p) => typeof p === 'string' && PATH.test(p))) return saved as string[];
  } catch {
    // An unreadable choice falls back to the default.
  }
  return [...DEFAULT_COLUMNS];
}

export function saveFieldColumns(storage: Pick<Storage, 'setItem'> | undefined, columns: readonly string[]): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(columns));
  } catch {
    // Storage full or denied: the choice lasts for this page only.
  }
}

/** "256" -> 256, "true" -> true, anything else the text itself (scenario values are typed). */
export function parseFieldValue(text: string): Exclude<FieldValue, null> {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}
