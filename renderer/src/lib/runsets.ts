// Splitting the compared runs into two run sets (base and head) and the
// wording of the set comparison's verdicts. Pure, tested without a DOM.
import type { ComparisonReport, MetricVerdict, RunSetVerdict } from './types.ts';

export type { ComparisonReport, MetricVerdict, RunSetVerdict };
export type Side = 'base' | 'head';

/** A scenario's identity without its seed: runs that differ only by seed are one configuration. */
export function configKey(scenario: Record<string, unknown>): string {
  const sortKeys = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(sortKeys)
        : v;
  const rest = { ...scenario };
  delete rest.seed;
  return JSON.stringify(sortKeys(rest));
}

/** Run ids grouped by configuration, groups in order of their first run. */
export function groupByConfig(runs: readonly { id: string; scenario: Record<string, unknown> }[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const r of runs) {
    const key = configKey(r.scenario);
    const g = groups.get(key);
    if (g) g.push(r.id);
    else groups.set(key, [r.id]);
  }
  return [...groups.values()];
}

/**
 * The default split: with exactly two configurations, the first one's runs
 * are the base and the other's the head. Otherwise the first run alone is the
 * base and the rest the head, a starting point for the user to adjust.
 */
export function defaultSplit(runs: readonly { id: string; scenario: Record<string, unknown> }[]): { sides: Record<string, Side>; byConfig: boolean } {
  const groups = groupByConfig(runs);
  const sides: Record<string, Side> = {};
  if (groups.length === 2) {
    for (const id of groups[0] ?? []) sides[id] = 'base';
    for (const id of groups[1] ?? []) sides[id] = 'head';
    return { sides, byConfig: true };
  }
  runs.forEach((r, i) => (sides[r.id] = i === 0 ? 'base' : 'head'));
  return { sides, byConfig: false };
}

/** Badge tone of a verdict: better green, worse red, changed and inconclusive amber, no change grey. */
export function verdictTone(verdict: string): 'good' | 'bad' | 'warn' | 'neutral' {
  if (verdict === 'better') return 'good';
  if (verdict === 'worse') return 'bad';
  if (verdict === 'changed' || verdict === 'inconclusive') return 'warn';
  return 'neutral';
}

/** The ratio's confidence interval as "[0.981, 1.020]", or "n/a" without one (base mean of 0). */
export function formatInterval(ratio: MetricVerdict['ratio'], digits = 3): string {
  if (!ratio) return 'n/a';
  return `[${ratio.lo.toFixed(digits)}, ${ratio.hi.toFixed(digits)}]`;
}

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * What tells each run's configuration apart from the others': "policy=lazy"
 * for the scenario fields (the seed aside) whose values are not the same in
 * every run. Runs of identical configurations get an empty string.
 */
export function distinguishingFields(runs: readonly { scenario: Record<string, unknown> }[]): string[] {
  const flat = runs.map((r) => {
    const m = new Map<string, string>();
    flatten(r.scenario, '', m);
    m.delete('seed');
    return m;
  });
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const differing = paths.filter((p) => new Set(flat.map((f) => f.get(p) ?? '∅')).size > 1);
  return flat.map((f) => differing.map((p) => `${p}=${f.get(p) ?? '∅'}`).join(' '));
}
