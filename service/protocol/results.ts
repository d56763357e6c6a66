// Complete schemas of what the service returns: every field typed, nothing
// passed through unchecked. Documents that are JSON by nature (a stored
// scenario, a tool's raw output) use the recursive JSON schema.
import { z } from 'zod';
import { scenarioInputSchema } from '../../core/model/scenario.ts';
import { BOTTLENECK_KINDS, policyDecisionSchema } from '../../core/model/result.ts';
import { VERDICTS } from '../../core/analysis/verdicts.ts';
import { BENCHMARK_SOURCES, RUN_KINDS, runStatusSchema } from './fields.ts';
import { jsonObjectSchema, jsonValueSchema } from './json.ts';

const nullableNumber = z.number().nullable();

export const seriesSchema = z.object({ t: z.array(z.number()), v: z.array(z.number()) });

export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: runStatusSchema,
  kind: z.enum(RUN_KINDS),
  seed: z.number(),
  experimentId: z.string().nullable(),
  scenarioHash: z.string(),
  modelVersion: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: nullableNumber,
  error: z.string().nullable(),
  tags: z.array(z.string()),
  metrics: z.record(z.string(), z.number()),
});

export const noteSchema = z.object({ id: z.string(), runId: z.string(), body: z.string(), createdAt: z.string() });

/** A journaled run. `scenario` and `result` are the stored documents (a simulated or a measured run's). */
export const runSchema = runSummarySchema.extend({
  scenario: jsonObjectSchema,
  result: jsonObjectSchema.nullable(),
  series: z.record(z.string(), seriesSchema),
  notes: z.array(noteSchema),
});

export const benchmarkSchema = z.object({
  id: z.string(),
  name: z.string(),
  metric: z.string(),
  description: z.string(),
  higherIsBetter: z.boolean(),
  orderBy: z.string(),
  createdAt: z.string(),
});

export const benchmarkPointSchema = z.object({
  id: z.string(),
  benchmarkId: z.string(),
  runId: z.string().nullable(),
  measuredAt: z.string(),
  value: z.number(),
  source: z.enum(BENCHMARK_SOURCES),
  context: jsonObjectSchema,
  /** Whether the tool's original output is kept in the journal (left out of answers: megabytes for a long run). */
  hasRaw: z.boolean(),
  contentHash: z.string().nullable(),
});

export const markerSchema = z.object({
  id: z.string(),
  benchmarkId: z.string(),
  at: z.string(),
  label: z.string(),
  pointId: z.string().nullable(),
  side: z.enum(['before', 'after']).nullable(),
  kernel: z.string().nullable(),
  createdAt: z.string(),
});

// ---- guest kernel policy and the closed-form estimate (core/policy, core/analytic) ----

/** The guest kernel's decision: core's own schema, checked there against the resolver's type. */
export { policyDecisionSchema };

export const dmaModeSchema = z.enum(['strict', 'lazy', 'passthrough']);

export const estimateSchema = z.object({
  mode: dmaModeSchema,
  /** null when the estimate is out of its range (`outOfRange` says why). */
  throughputGbps: z.number().nullable(),
  outOfRange: z.string().nullable(),
  packetsPerSec: z.number(),
  vmExitsPerSec: z.number(),
  invalidationsPerSec: z.number(),
  flushesPerSec: z.number(),
  unmapsPerPacket: z.number(),
  perPacketNs: z.object({ stack: z.number(), dma: z.number(), exits: z.number(), lockWait: z.number(), flush: z.number(), total: z.number() }),
  cpuUtilization: z.number(),
  vmmLockUtilization: z.number(),
  servers: z.object({ bql: z.number(), qLock: z.number(), hwQueue: z.number(), fqLock: z.number() }),
  bottleneck: z.enum(BOTTLENECK_KINDS),
});

/** A complete scenario, every default applied (core's own schema: a parsed scenario passes it unchanged). */
export const scenarioSchema = scenarioInputSchema;

/**
 * A preset: a partial scenario input (what it sets; the scenario schema fills the rest when it runs).
 * Kept as the JSON it is: validating it with the scenario schema would fill in the defaults.
 */
export const presetSchema = z.object({ name: z.string(), title: z.string(), assumptions: z.array(z.string()), scenario: jsonObjectSchema });

// ---- comparisons ----

export const differenceSchema = z.object({ path: z.string(), values: z.array(jsonValueSchema.nullable()) });

export const runComparisonSchema = z.object({
  runs: z.array(runSummarySchema),
  differences: z.array(differenceSchema),
  metrics: z.array(z.object({ name: z.string(), values: z.array(nullableNumber), delta: z.array(nullableNumber), ratio: z.array(nullableNumber) })),
});

export const runSetSummarySchema = z.object({
  n: z.number(),
  mean: z.number(),
  median: z.number(),
  sd: nullableNumber,
  min: z.number(),
  max: z.number(),
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  cv: nullableNumber,
});

/** The verdicts of core's one comparison rule (core/analysis/compare.ts). */
export const RUN_SET_VERDICTS = VERDICTS;
export type RunSetVerdict = (typeof RUN_SET_VERDICTS)[number];

export const metricVerdictSchema = z.object({
  metric: z.string(),
  direction: z.enum(['higher-is-better', 'lower-is-better', 'unknown']),
  family: z.enum(['primary', 'secondary', 'breakdown']),
  paired: z.boolean(),
  a: runSetSummarySchema,
  b: runSetSummarySchema,
  changeKind: z.enum(['relative', 'from-zero', 'to-zero', 'none']),
  absoluteChange: z.number(),
  changePct: nullableNumber,
  ratio: z.object({ estimate: z.number(), lo: z.number(), hi: z.number(), confidence: z.number() }).nullable(),
  test: z.object({ name: z.enum(['paired-t', 'welch-t']), scale: z.enum(['log', 'linear']), t: nullableNumber, df: z.number(), pValue: z.number() }).nullable(),
  secondOpinion: z
    .object({
      name: z.enum(['wilcoxon-signed-rank', 'mann-whitney-u']),
      statistic: z.number(),
      pValue: z.number(),
      method: z.enum(['exact', 'normal-approx']),
      note: z.string(),
      minAttainableP: z.number(),
    })
    .nullable(),
  qValue: nullableNumber,
  familySize: z.number(),
  minSignificantN: nullableNumber,
  verdict: z.enum(RUN_SET_VERDICTS),
  reason: z.string(),
});

export const runSetComparisonSchema = z.object({
  n: z.object({ a: z.number(), b: z.number() }),
  paired: z.boolean(),
  threshold: z.number(),
  alpha: z.number(),
  primary: z.string().nullable(),
  metrics: z.array(metricVerdictSchema),
  incomplete: z.array(z.string()),
});

export const reportRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** simulated or measured (the unit of the series' time axis); absent in reports made before it was kept. */
  kind: z.string().optional(),
  seed: z.number(),
  metrics: z.record(z.string(), z.number()),
  scenario: jsonObjectSchema,
  series: z.record(z.string(), seriesSchema).optional(),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })).optional(),
});

export const reportRunSetSchema = z.object({ label: z.string(), runs: z.array(reportRunSchema) });

export const comparisonReportSchema = z.object({
  title: z.string(),
  base: reportRunSetSchema,
  head: reportRunSetSchema,
  comparison: runSetComparisonSchema,
  differences: z.array(z.object({ path: z.string(), base: z.array(jsonValueSchema.nullable()), head: z.array(jsonValueSchema.nullable()) })),
  /** Warnings the runs of a side carry (a run shorter than its flush timer, a lock past a threshold), by code. */
  warnings: z.array(z.object({ side: z.enum(['base', 'head']), code: z.string(), runs: z.number(), of: z.number(), message: z.string() })),
});

// ---- benchmark histories ----

const historyChangeSchema = z.object({
  index: z.number(),
  at: z.string(),
  pointId: z.string().nullable(),
  meanBefore: z.number(),
  meanAfter: z.number(),
  changePct: nullableNumber,
  pValue: z.number(),
  kind: z.enum(['regression', 'improvement']),
});

export const historyAnalysisSchema = z.object({
  benchmark: z.object({ name: z.string(), metric: z.string(), higherIsBetter: z.boolean() }),
  orderBy: z.string(),
  unordered: z.number(),
  points: z.array(
    z.object({ index: z.number(), id: z.string().nullable(), key: z.string().nullable(), measuredAt: z.string(), value: z.number(), source: z.string().nullable(), runId: z.string().nullable() }),
  ),
  segments: z.array(
    z.object({
      from: z.number(),
      to: z.number(),
      fromAt: z.string(),
      toAt: z.string(),
      startsWith: z.enum(['start', 'change', 'marker']),
      n: z.number(),
      mean: z.number(),
      sd: nullableNumber,
    }),
  ),
  changes: z.array(historyChangeSchema),
  knownShifts: z.array(
    z.object({
      markerId: z.string().nullable(),
      label: z.string(),
      at: z.string(),
      placement: z.string(),
      index: nullableNumber,
      meanBefore: nullableNumber,
      meanAfter: nullableNumber,
      changePct: nullableNumber,
    }),
  ),
  latest: z
    .object({
      index: z.number(),
      at: z.string(),
      value: z.number(),
      baselineMean: nullableNumber,
      baselineN: z.number(),
      changePct: nullableNumber,
      zScore: nullableNumber,
      direction: z.enum(['better', 'worse', 'equal']).nullable(),
    })
    .nullable(),
  unacknowledged: z.array(historyChangeSchema),
});

export const mergeReportSchema = z.object({
  runsAdded: z.number(),
  runsAlreadyPresent: z.number(),
  runsSkippedActive: z.number(),
  experimentsAdded: z.number(),
  tagsAdded: z.number(),
  notesAdded: z.number(),
  benchmarksAdded: z.number(),
  pointsAdded: z.number(),
  markersAdded: z.number(),
  profilesAdded: z.number(),
});

// ---- experiments (sweeps analysed) ----

/** A scenario field's value as a column shows it. */
export const fieldValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const experimentSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  runs: z.number(),
  done: z.number(),
  active: z.number(),
});

const pointStatSchema = z.object({ n: z.number(), mean: z.number(), sd: nullableNumber, ci95: z.tuple([z.number(), z.number()]).nullable() });

export const experimentAnalysisSchema = z.object({
  experiment: experimentSummarySchema,
  /** Scenario paths whose value differs between the experiment's runs (seed aside), in grid order. */
  sweptPaths: z.array(z.string()),
  /** The paths grid points are told apart by (the swept ones unless chosen). */
  by: z.array(z.string()),
  metrics: z.array(z.object({ name: z.string(), direction: z.enum(['higher', 'lower', 'neither']), unit: z.string() })),
  points: z.array(
    z.object({
      values: z.record(z.string(), fieldValueSchema),
      runIds: z.array(z.string()),
      seeds: z.array(z.number()),
      metrics: z.record(z.string(), pointStatSchema),
    }),
  ),
  /** Per swept path and metric: the mean of the point means at each value, and the spread between them. */
  mainEffects: z.array(
    z.object({
      path: z.string(),
      metric: z.string(),
      levels: z.array(z.object({ value: fieldValueSchema, mean: z.number(), points: z.number() })),
      rangePct: nullableNumber,
    }),
  ),
  /** Per pair of swept fields and metric: how far their joint means stray from adding their main effects, in % of the grand mean. */
  interactions: z.array(z.object({ paths: z.tuple([z.string(), z.string()]), metric: z.string(), sizePct: nullableNumber, cells: z.number() })),
  /** Grid points not beaten on both throughput (higher) and p99 stale window (lower), by throughput. */
  /** The primary metric (higher is better) against the p99 stale window: grid points no other beats on both, best primary first. */
  pareto: z.object({ metric: z.string(), points: z.array(z.object({ values: z.record(z.string(), fieldValueSchema), value: z.number(), staleWindowP99Us: z.number() })) }).nullable(),
  /** The headline metrics the runs report (NIC or fio), for choosing what to show. */
  headlineMetrics: z.array(z.string()),
  /** Per backend and metric: the best grid point, the runner-up, the margin and whether it is significant (Welch t over seeds). */
  best: z.array(
    z.object({
      backend: fieldValueSchema,
      metric: z.string(),
      point: z.record(z.string(), fieldValueSchema),
      mean: z.number(),
      runnerUp: z.record(z.string(), fieldValueSchema).nullable(),
      runnerUpMean: nullableNumber,
      marginPct: nullableNumber,
      pValue: nullableNumber,
      significant: z.boolean().nullable(),
    }),
  ),
  /** Runs not analysed (not done), by status. */
  excluded: z.record(z.string(), z.number()),
});
