// Scenario documents as flat field lists: what the detail view lists and the
// compare view diffs.

/** Leaf fields by dotted path (array items by index), the same paths `runs.compare` reports. */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, value);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

export interface FieldRow {
  path: string;
  /** One per run; undefined where the run's scenario lacks the field. */
  values: unknown[];
  differs: boolean;
}

/** Every field of every scenario, in first-seen order, marking the ones whose values differ. */
export function fieldRows(scenarios: readonly unknown[]): FieldRow[] {
  const flat = scenarios.map((s) => flatten(s));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  return paths.map((path) => {
    const values = flat.map((f) => f.get(path));
    return { path, values, differs: new Set(values.map((v) => JSON.stringify(v) ?? 'undefined')).size > 1 };
  });
}
