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

/**
 * The order a reader decides in: who runs (guest), under what (vIOMMU), with
 * which policy (and its flush queue), on what device, doing what; then the
 * rest. Costs come last and apart: they are many and rarely what differs.
 */
const SCENARIO_ORDER = ['guest', 'viommu', 'policy', 'flushQueue', 'device', 'workload'];

/** A scenario's fields in reading order, with the cost table apart. */
export function scenarioSections(scenario: unknown): { fields: [string, unknown][]; costs: [string, unknown][] } {
  const top = (path: string): string => path.split('.')[0] ?? path;
  const rank = (path: string): number => {
    const i = SCENARIO_ORDER.indexOf(top(path));
    return i < 0 ? SCENARIO_ORDER.length : i;
  };
  const all = [...flatten(scenario)];
  // Array.prototype.sort is stable: fields keep their document order inside a group.
  const fields = all.filter(([p]) => top(p) !== 'costs').sort((a, b) => rank(a[0]) - rank(b[0]));
  return { fields, costs: all.filter(([p]) => top(p) === 'costs') };
}

/** The policy mode a kernel domain type means. */
export function policyMode(domainType: string, strict: boolean | null): 'strict' | 'lazy' | 'passthrough' | null {
  if (/IDENTITY|passthrough/i.test(domainType)) return 'passthrough';
  // The resolver's strict flag is the rule; the type's name serves results without it.
  if (strict !== null) return strict ? 'strict' : 'lazy';
  if (/DMA[_-]FQ/i.test(domainType)) return 'lazy';
  if (/^(IOMMU_DOMAIN_)?DMA$/i.test(domainType)) return 'strict';
  return null;
}
