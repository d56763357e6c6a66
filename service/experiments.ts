// A sweep analysed: runs flattened into scenario fields, the fields that were
// swept, and per grid point the mean and 95% CI over seeds of each metric;
// main effects of each swept field; the best configuration per backend with
// its margin over the runner-up. Plain data in and out (no journal here).
import { summarize, welchTTest } from '../core/analysis/index.ts';
import { ServiceError } from './errors.ts';
import { headlineMetrics, metricSpec } from './protocol/metrics.ts';
import { defaultPrimaryMetric } from './stats.ts';
import { EFFECTIVE_POLICY_PATH } from './protocol/constants.ts';

export type FieldValue = string | number | boolean | null;

/** What an analysis needs of a run (db/experiments.ts RunDocument fits it). */
export interface AnalysedRun {
  id: string;
  status: string;
  seed: number;
  scenario: Readonly<Record<string, unknown>>;
  effectivePolicy: string | null;
  metrics: Readonly<Record<string, number>>;
}

/** Fields that tell seeds and labels apart, and the kernel's own decision (an outcome): never grid points. */
const NOT_SWEPT = new Set(['seed', 'name', 'effective.policy']);
/** Shown beside the primary metric unless asked otherwise: what the guest pays, and what lazy invalidation leaves open. */
const COST_AND_EXPOSURE_METRICS = ['vmExitsPerSec', 'staleWindowP99Us'] as const;

/**
 * The metrics an experiment shows by default: its primary metric (throughput
 * for NIC runs, the IOPS of the direction fio runs do), that direction's p99
 * completion latency for fio, then exits and the p99 stale window.
 */
function defaultExperimentMetrics(primary: string | null, present: readonly string[]): string[] {
  const latency = primary?.endsWith('Iops') ? primary.replace(/Iops$/, 'ClatP99Us') : null;
  return [...new Set([primary, latency, ...COST_AND_EXPOSURE_METRICS])].filter((m): m is string => m !== null && present.includes(m));
}

/**
 * The scenario as `path -> value` (objects joined with dots; arrays and
 * other non-scalars kept as their JSON text), plus `effective.policy`.
 */
export function flattenRun(run: Pick<AnalysedRun, 'scenario' | 'effectivePolicy'>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const walk = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else if (path) {
      out[path] = value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
    }
  };
  walk(run.scenario, '');
  out[EFFECTIVE_POLICY_PATH] = run.effectivePolicy;
  return out;
}

/**
 * The swept fields: paths whose value differs between the runs (seed and name
 * aside) and tells runs apart beyond the paths before them. A field that
 * follows another (a backend's default translation level) is not a separate
 * grid axis. `preferred` (a sweep's grid order) leads; the rest follow in the
 * order the scenario lists them.
 */
export function sweptPaths(rows: readonly Record<string, FieldValue>[], preferred: readonly string[] = []): string[] {
  const order: string[] = [];
  const values = new Map<string, Set<string>>();
  for (const row of rows) {
    for (const [path, v] of Object.entries(row)) {
      if (!values.has(path)) {
        values.set(path, new Set());
        order.push(path);
      }
      values.get(path)?.add(JSON.stringify(v));
    }
  }
  // A path missing from some rows differs too.
  const varies = (p: string): boolean => !NOT_SWEPT.has(p) && ((values.get(p)?.size ?? 0) > 1 || rows.some((r) => !(p in r)));
  const candidates = [...preferred.filter((p) => values.has(p) && varies(p)), ...order.filter((p) => varies(p) && !preferred.includes(p))];
  const groups = (paths: readonly string[]): number => new Set(rows.map((r) => JSON.stringify(paths.map((p) => r[p] ?? null)))).size;
  const swept: string[] = [];
  for (const p of candidates) if (groups([...swept, p]) > groups(swept)) swept.push(p);
  return swept;
}

/** The grid order a sweep recorded in its description ("sweep over a, b"), if any. */
export function gridOrderOf(description: string): string[] {
  const m = /^sweep over (.+)$/.exec(description.trim());
  return m ? (m[1] as string).split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** Values in a column's order: numbers ascending, false before true, text in first-seen order, null last. */
export function orderValues(values: readonly FieldValue[]): FieldValue[] {
  const seen: FieldValue[] = [];
  for (const v of values) if (!seen.includes(v)) seen.push(v);
  const rank = (v: FieldValue): number => (v === null ? 3 : typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
  return [...seen].sort((a, b) => {
    const d = rank(a) - rank(b);
    if (d !== 0) return d;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
    return seen.indexOf(a) - seen.indexOf(b);
  });
}

export interface PointStat {
  n: number;
  mean: number;
  sd: number | null;
  ci95: [number, number] | null;
}

export interface ExperimentPoint {
  values: Record<string, FieldValue>;
  runIds: string[];
  seeds: number[];
  metrics: Record<string, PointStat>;
}

export interface MainEffect {
  path: string;
  metric: string;
  levels: { value: FieldValue; mean: number; points: number }[];
  /** (largest level mean − smallest) / |mean of the levels| · 100; null when that mean is 0. */
  rangePct: number | null;
}

export interface Interaction {
  paths: [string, string];
  metric: string;
  /**
   * How far the two fields' joint means stray from the sum of their main
   * effects: the mean absolute residual of the two-way cell means under the
   * additive model, in % of the grand mean (0: the effects simply add up).
   */
  sizePct: number | null;
  cells: number;
}

export interface ParetoPoint {
  values: Record<string, FieldValue>;
  /** Mean of the front's primary metric (ParetoFront.metric). */
  value: number;
  staleWindowP99Us: number;
}

/** Grid points no other point beats on both the primary metric (higher) and the p99 stale window (lower), best primary first. */
export interface ParetoFront {
  metric: string;
  points: ParetoPoint[];
}

export interface BestConfiguration {
  backend: FieldValue;
  metric: string;
  point: Record<string, FieldValue>;
  mean: number;
  runnerUp: Record<string, FieldValue> | null;
  runnerUpMean: number | null;
  /** How much better the best is than the runner-up, in percent of the runner-up; null without one or at 0. */
  marginPct: number | null;
  /** Welch t over the two points' seeds; null with fewer than 2 seeds a side or no spread at all. */
  pValue: number | null;
  significant: boolean | null;
}

export interface ExperimentSummaryInput {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  runs: number;
  done: number;
  active: number;
}

export interface ExperimentAnalysis {
  experiment: ExperimentSummaryInput;
  sweptPaths: string[];
  by: string[];
  metrics: { name: string; direction: 'higher' | 'lower' | 'neither'; unit: string }[];
  points: ExperimentPoint[];
  mainEffects: MainEffect[];
  interactions: Interaction[];
  /** The trade-off lazy invalidation makes; null without a primary metric or a stale window. */
  pareto: ParetoFront | null;
  /** The headline metrics the runs report, for a reader choosing what to show. */
  headlineMetrics: string[];
  best: BestConfiguration[];
  excluded: Record<string, number>;
}

export interface AnalyseOptions {
  by?: readonly string[] | undefined;
  metrics?: readonly string[] | undefined;
  alpha?: number;
}

const BACKEND_PATH = 'viommu.backend';

function statOf(values: readonly number[]): PointStat {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, sd: Number.isNaN(s.stdDev) ? null : s.stdDev, ci95: Number.isNaN(s.ci95[0]) ? null : s.ci95 };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Analyses the done runs of an experiment. Bad `by` paths and metrics no run has are input errors naming the allowed ones. */
export function analyseExperiment(experiment: ExperimentSummaryInput, runs: readonly AnalysedRun[], opts: AnalyseOptions = {}): ExperimentAnalysis {
  const done = runs.filter((r) => r.status === 'done');
  const excluded: Record<string, number> = {};
  for (const r of runs) if (r.status !== 'done') excluded[r.status] = (excluded[r.status] ?? 0) + 1;
  const rows = done.map((r) => flattenRun(r));
  const swept = sweptPaths(rows, gridOrderOf(experiment.description));

  const known = new Set(rows.flatMap((r) => Object.keys(r)));
  const by = opts.by && opts.by.length > 0 ? [...opts.by] : swept;
  const unknownBy = by.filter((p) => !known.has(p));
  if (done.length > 0 && unknownBy.length > 0) {
    throw ServiceError.invalid(
      unknownBy.map((p) => ({ path: 'by', message: `no run of ${experiment.name} has the field ${JSON.stringify(p)}; swept: ${swept.join(', ') || '(none)'}; other fields: ${[...known].filter((k) => !swept.includes(k)).slice(0, 12).join(', ')}, ...` })),
    );
  }

  const present = [...new Set(done.flatMap((r) => Object.keys(r.metrics)))];
  const primary = defaultPrimaryMetric(present, done);
  const metricNames = opts.metrics && opts.metrics.length > 0 ? [...opts.metrics] : defaultExperimentMetrics(primary, present);
  const missing = metricNames.filter((m) => !present.includes(m));
  if (done.length > 0 && missing.length > 0) {
    throw ServiceError.invalid(missing.map((m) => ({ path: 'metrics', message: `no run of ${experiment.name} reports ${JSON.stringify(m)}; available: ${present.sort().join(', ')}` })));
  }

  // Grid points: runs with equal values of the `by` paths, in the columns' value order.
  const groups = new Map<string, { values: Record<string, FieldValue>; runs: AnalysedRun[] }>();
  done.forEach((run, i) => {
    const row = rows[i] as Record<string, FieldValue>;
    const values = Object.fromEntries(by.map((p) => [p, row[p] ?? null]));
    const key = JSON.stringify(by.map((p) => values[p]));
    const g = groups.get(key) ?? { values, runs: [] };
    g.runs.push(run);
    groups.set(key, g);
  });
  const valueOrder = new Map(by.map((p) => [p, orderValues(rows.map((r) => r[p] ?? null))]));
  const rankOf = (p: string, v: FieldValue): number => valueOrder.get(p)?.indexOf(v) ?? 0;
  const ordered = [...groups.values()].sort((a, b) => {
    for (const p of by) {
      const d = rankOf(p, a.values[p] ?? null) - rankOf(p, b.values[p] ?? null);
      if (d !== 0) return d;
    }
    return 0;
  });

  const samples = (g: { runs: AnalysedRun[] }, m: string): number[] => g.runs.map((r) => r.metrics[m]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const points: ExperimentPoint[] = ordered.map((g) => ({
    values: g.values,
    runIds: g.runs.map((r) => r.id),
    seeds: g.runs.map((r) => r.seed),
    metrics: Object.fromEntries(
      metricNames.flatMap((m) => {
        const xs = samples(g, m);
        return xs.length ? [[m, statOf(xs)]] : [];
      }),
    ),
  }));

  const mainEffects: MainEffect[] = [];
  for (const path of by) {
    for (const m of metricNames) {
      const levels = (valueOrder.get(path) ?? []).flatMap((value) => {
        const means = points.filter((p) => p.values[path] === value).flatMap((p) => (p.metrics[m] ? [p.metrics[m].mean] : []));
        return means.length ? [{ value, mean: mean(means), points: means.length }] : [];
      });
      if (levels.length < 2) continue;
      const ms = levels.map((l) => l.mean);
      const overall = mean(ms);
      mainEffects.push({ path, metric: m, levels, rangePct: overall === 0 ? null : ((Math.max(...ms) - Math.min(...ms)) / Math.abs(overall)) * 100 });
    }
  }

  // Two-way interactions: cell means over the other fields, against grand + row effect + column effect.
  const interactions: Interaction[] = [];
  for (let i = 0; i < by.length; i++) {
    for (let k = i + 1; k < by.length; k++) {
      const [pa, pb] = [by[i] as string, by[k] as string];
      for (const m of metricNames) {
        const cell = new Map<string, number[]>();
        for (const p of points) {
          const s = p.metrics[m];
          if (!s) continue;
          const key = JSON.stringify([p.values[pa], p.values[pb]]);
          cell.set(key, [...(cell.get(key) ?? []), s.mean]);
        }
        const cells = [...cell].map(([key, ms]) => ({ a: JSON.parse(key)[0] as FieldValue, b: JSON.parse(key)[1] as FieldValue, mean: mean(ms) }));
        const as = [...new Set(cells.map((c) => JSON.stringify(c.a)))];
        const bs = [...new Set(cells.map((c) => JSON.stringify(c.b)))];
        // A full two-way table only: with 1 level a side or missing cells there is nothing to separate.
        if (as.length < 2 || bs.length < 2 || cells.length !== as.length * bs.length) continue;
        const grand = mean(cells.map((c) => c.mean));
        const rowMean = (a: string): number => mean(cells.filter((c) => JSON.stringify(c.a) === a).map((c) => c.mean));
        const colMean = (b: string): number => mean(cells.filter((c) => JSON.stringify(c.b) === b).map((c) => c.mean));
        const residual = mean(cells.map((c) => Math.abs(c.mean - rowMean(JSON.stringify(c.a)) - colMean(JSON.stringify(c.b)) + grand)));
        interactions.push({ paths: [pa, pb], metric: m, sizePct: grand === 0 ? null : (residual / Math.abs(grand)) * 100, cells: cells.length });
      }
    }
  }

  // The trade-off lazy invalidation makes: the primary metric against how long unmapped pages stay reachable.
  let pareto: ParetoFront | null = null;
  if (primary !== null && metricSpec(primary).direction === 'higher' && present.includes('staleWindowP99Us')) {
    const both = ordered.flatMap((g, i) => {
      const v = samples(g, primary);
      const sw = samples(g, 'staleWindowP99Us');
      return v.length && sw.length ? [{ values: (points[i] as ExperimentPoint).values, value: mean(v), staleWindowP99Us: mean(sw) }] : [];
    });
    const front = both.filter(
      (p) => !both.some((q) => q !== p && q.value >= p.value && q.staleWindowP99Us <= p.staleWindowP99Us && (q.value > p.value || q.staleWindowP99Us < p.staleWindowP99Us)),
    );
    pareto = { metric: primary, points: front.sort((x, y) => y.value - x.value) };
  }

  const alpha = opts.alpha ?? 0.05;
  const best: BestConfiguration[] = [];
  const backendOf = (g: { runs: AnalysedRun[] }): FieldValue => {
    const seen = new Set(g.runs.map((r) => JSON.stringify(flattenRun(r)[BACKEND_PATH] ?? null)));
    return seen.size === 1 ? (JSON.parse([...seen][0] as string) as FieldValue) : null;
  };
  const backends = orderValues(ordered.map(backendOf));
  for (const m of metricNames) {
    const direction = metricSpec(m).direction;
    if (direction === 'neither') continue;
    // A metric the same at every grid point (exits on bare metal, a direction fio does not do) has no best.
    if (new Set(points.map((p) => p.metrics[m]?.mean)).size <= 1) continue;
    for (const backend of backends) {
      const candidates = ordered
        .map((g, i) => ({ g, p: points[i] as ExperimentPoint }))
        .filter(({ g, p }) => backendOf(g) === backend && p.metrics[m] !== undefined)
        .sort((x, y) => ((x.p.metrics[m] as PointStat).mean - (y.p.metrics[m] as PointStat).mean) * (direction === 'higher' ? -1 : 1));
      const first = candidates[0];
      if (!first) continue;
      const second = candidates[1];
      const bestMean = (first.p.metrics[m] as PointStat).mean;
      const runnerMean = second ? (second.p.metrics[m] as PointStat).mean : null;
      let pValue: number | null = null;
      if (second) {
        const a = samples(first.g, m);
        const b = samples(second.g, m);
        if (a.length >= 2 && b.length >= 2) {
          const t = welchTTest(a, b);
          pValue = Number.isFinite(t.pValue) ? t.pValue : null;
        }
      }
      best.push({
        backend,
        metric: m,
        point: first.p.values,
        mean: bestMean,
        runnerUp: second ? second.p.values : null,
        runnerUpMean: runnerMean,
        marginPct: runnerMean === null || runnerMean === 0 ? null : (Math.abs(bestMean - runnerMean) / Math.abs(runnerMean)) * 100,
        pValue,
        significant: pValue === null ? null : pValue < alpha,
      });
    }
  }

  return {
    experiment,
    sweptPaths: swept,
    by,
    metrics: metricNames.map((name) => {
      const s = metricSpec(name);
      return { name, direction: s.direction, unit: s.unit };
    }),
    points,
    mainEffects,
    interactions,
    pareto,
    headlineMetrics: headlineMetrics(done.map((r) => r.metrics)).filter((m) => present.includes(m)),
    best,
    excluded,
  };
}
