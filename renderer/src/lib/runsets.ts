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

type SplitRun = { id: string; scenario: Record<string, unknown>; createdAt?: string };

/** The rule the default split follows, in words the view shows next to it. */
export const SPLIT_RULE = 'Base is the configuration run first (its oldest run is older); Swap exchanges them.';

/**
 * The default split, whatever order the runs were picked in: with exactly two
 * configurations, the one whose oldest run was created first is the base (the
 * "before") and the other the head. Otherwise the oldest run alone is the
 * base and the rest the head, a starting point for the user to adjust.
 */
export function defaultSplit(runs: readonly SplitRun[]): { sides: Record<string, Side>; byConfig: boolean } {
  const groups = groupByConfig(runs);
  const createdAt = new Map(runs.map((r) => [r.id, r.createdAt ?? '']));
  const oldest = (ids: readonly string[]): string => ids.map((id) => createdAt.get(id) ?? '').sort()[0] ?? '';
  const sides: Record<string, Side> = {};
  if (groups.length === 2) {
    // A stable sort keeps the order of first appearance when the times tie.
    const [baseIds, headIds] = [...groups].sort((x, y) => oldest(x).localeCompare(oldest(y)));
    for (const id of baseIds ?? []) sides[id] = 'base';
    for (const id of headIds ?? []) sides[id] = 'head';
    return { sides, byConfig: true };
  }
  const first = runs.reduce<SplitRun | undefined>((best, r) => (best === undefined || (r.createdAt ?? '') < (best.createdAt ?? '') ? r : best), undefined);
  runs.forEach((r) => (sides[r.id] = r.id === first?.id ? 'base' : 'head'));
  return { sides, byConfig: false };
}

/** Runs by creation time, oldest first (a stable sort: equal times keep their order). */
export function oldestFirst<T extends { createdAt: string }>(runs: readonly T[]): T[] {
  return [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Every run on the other side. */
export function swapSides(sides: Readonly<Record<string, Side>>): Record<string, Side> {
  return Object.fromEntries(Object.entries(sides).map(([id, side]) => [id, side === 'base' ? 'head' : 'base']));
}

/** "p=0.0028" for the primary metric (tested alone), "q=0.031" for the others, "–" when untested. */
export function significanceText(m: Pick<MetricVerdict, 'family' | 'qValue'>): string {
  if (m.qValue === null) return '–';
  const v = m.qValue < 0.001 ? m.qValue.toExponential(1) : m.qValue.toFixed(3);
  return `${m.family === 'primary' ? 'p' : 'q'}=${v}`;
}

/** Badge tone of a verdict: better green, worse red, changed and inconclusive amber, no change (constant or not) grey. */
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
