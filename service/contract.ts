// The one API every host carries: the CLI in process, the desktop app over a
// MessagePort, `serve` over WebSocket. Each method has a params and a result
// schema, each event a data schema; params are validated at the boundary and
// a validation error names the field and what is allowed.
//
// This module is imported by the renderer too: it holds schemas and types
// only (zod and constants), nothing that touches Node.
import { z } from 'zod';
import { COST_NAMES } from '../core/model/costs.ts';

/** The cost table (values, basis, description, source): data only, so clients can show what a profile changes. */
export { COST_TABLE, COST_NAMES, type CostName } from '../core/model/costs.ts';
/** The scalar metrics every simulation reports (calibration points compare against them). */
export { SCALAR_METRIC_NAMES } from '../core/model/result.ts';
import { BENCHMARK_SOURCES, RUN_KINDS, RUN_STATUSES } from '../db/types.ts';

const id = z.string().min(1).max(100);
const ids = z.array(id).min(1).max(10_000);
const tag = z.string().trim().min(1, 'must not be empty').max(64).regex(/^[^\s,]+$/, 'must not contain spaces or commas');
const jsonObject = z.record(z.string(), z.unknown());

/** Where a scenario comes from: a preset or a config object, then `path=value` overrides. */
export const scenarioSourceSchema = z.strictObject({
  preset: z.string().optional(),
  config: jsonObject.optional(),
  overrides: z.array(z.string()).max(200).optional(),
});
export type ScenarioSourceInput = z.infer<typeof scenarioSourceSchema>;

export const runStatusSchema = z.enum(RUN_STATUSES);

export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

const runSummarySchema = z.object({
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
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  tags: z.array(z.string()),
  metrics: z.record(z.string(), z.number()),
});

const seriesSchema = z.object({ t: z.array(z.number()), v: z.array(z.number()) });

const runSchema = runSummarySchema.extend({
  scenario: jsonObject,
  result: jsonObject.nullable(),
  series: z.record(z.string(), seriesSchema),
  notes: z.array(z.object({ id: z.string(), runId: z.string(), body: z.string(), createdAt: z.string() })),
});

const sortKey = z.union([z.enum(['created_at', 'name', 'status', 'duration_ms']), z.templateLiteral(['metric:', z.string().min(1)])]);

export const runQuerySchema = z.strictObject({
  filter: z
    .strictObject({
      status: z.array(runStatusSchema).optional(),
      tags: z.array(tag).optional(),
      experiment: z.string().optional(),
      scenario: z.array(z.strictObject({ path: z.string().regex(/^\$(\.[A-Za-z_]\w*|\[\d+\])+$/, 'must be a JSON path like $.viommu.backend'), value: z.union([z.string(), z.number(), z.boolean()]) })).optional(),
      metric: z.array(z.strictObject({ name: z.string().min(1), min: z.number().optional(), max: z.number().optional() })).optional(),
      text: z.string().max(200).optional(),
      kind: z.enum(RUN_KINDS).optional(),
    })
    .optional(),
  sort: z.strictObject({ by: sortKey, dir: z.enum(['asc', 'desc']).optional() }).optional(),
  page: z.strictObject({ limit: z.number().int().min(1).max(1000).optional(), offset: z.number().int().min(0).optional() }).optional(),
  metrics: z.array(z.string()).max(50).optional(),
});

/** A sweep: a base scenario, a grid (field path -> values, every combination), times N seeds. */
export const sweepSpecSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  base: scenarioSourceSchema,
  grid: z
    .record(
      z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/, 'must be a field path like viommu.backend'),
      z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, 'must list at least one value').max(1000),
    )
    .default({}),
  seeds: z.number().int().min(1).max(1000).default(1),
  tags: z.array(tag).max(20).optional(),
});
export type SweepSpec = z.input<typeof sweepSpecSchema>;

/** An object keyed by cost names (core/model/costs.ts); an unknown name is reported with the allowed ones. */
function costRecord<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!(COST_NAMES as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `unknown cost ${JSON.stringify(key)}; allowed: ${COST_NAMES.join(', ')}` });
    }
  });
}
export const profileNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must start with a letter or digit and use only letters, digits and . _ + -');

/** One cost to fit, in ns, searched within [min, max]. */
const fitParameterSchema = z
  .strictObject({
    min: z.number().min(0),
    max: z.number().positive().max(1e9),
    /** Where the search starts; default: the base profile's value or the table's, clamped into [min, max]. */
    initial: z.number().min(0).max(1e9).optional(),
  })
  .refine((p) => p.min < p.max, { message: 'min must be less than max', path: ['max'] })
  .refine((p) => p.initial === undefined || (p.initial >= p.min && p.initial <= p.max), { message: 'initial must lie within [min, max]', path: ['initial'] });

/** One observation the fit must reproduce: a measured run in the journal, or a published figure. */
const calibrationPointSchema = z.strictObject({
  label: z.string().trim().min(1).max(200).optional(),
  /** A measured run (an iperf3 or fio import); give either run or value. */
  run: id.optional(),
  /** A figure from elsewhere (a paper, a mailing-list post); give either run or value. */
  value: z.number().positive().optional(),
  /** Where `value` comes from. */
  source: z.string().max(500).optional(),
  /** The simulated metric compared with the observation. */
  metric: z.string().min(1).default('throughputGbps'),
  /** The measured run's metric, when its name differs (default: receivedGbps for throughputGbps, else the same name). */
  measuredMetric: z.string().min(1).optional(),
  /** The scenario that models what was measured. */
  scenario: scenarioSourceSchema,
  /** Relative weight of this point in the sum of squares. */
  weight: z.number().positive().max(1000).default(1),
});

/** The measured metric a simulated one is compared with when a point does not say: iperf3 reports what the receiver got. */
export function defaultMeasuredMetric(metric: string, runMetrics: Readonly<Record<string, number>> | undefined): string {
  if (metric === 'throughputGbps' && runMetrics?.receivedGbps !== undefined) return 'receivedGbps';
  return metric;
}

/** Fits chosen costs so the simulator reproduces observations, and saves them as a named cost profile. */
export const calibrationSpecSchema = z.strictObject({
  /** Name the fitted costs are saved under. */
  profile: profileNameSchema,
  description: z.string().max(2000).optional(),
  /** Start from this profile's costs (fixed and initial values) instead of the built-in table. */
  baseProfile: profileNameSchema.optional(),
  parameters: costRecord(fitParameterSchema)
    .refine((p) => Object.keys(p).length > 0, { message: `must name at least one cost to fit; allowed: ${COST_NAMES.join(', ')}` })
    .refine((p) => Object.keys(p).length <= 8, { message: 'at most 8 costs can be fitted at once' }),
  points: z.array(calibrationPointSchema).min(1, 'needs at least one point').max(100),
  /** Levenberg-Marquardt iterations at most. */
  maxIterations: z.number().int().min(1).max(200).default(30),
  /** Save the profile when the fit ends (default); false keeps it for review and calibration.save. */
  save: z.boolean().default(true),
  /** Overwrite a profile of the same name. */
  replace: z.boolean().default(false),
});
export type CalibrationSpec = z.input<typeof calibrationSpecSchema>;

const calibrationReportSchema = z.object({
  profile: z.string(),
  baseProfile: z.string().nullable(),
  modelVersion: z.string(),
  parameters: z.array(
    z.object({
      name: z.string(),
      min: z.number(),
      max: z.number(),
      tableValue: z.number(),
      initial: z.number(),
      fitted: z.number(),
      /** The fit pressed against a bound: the data want a value outside [min, max]. */
      atBound: z.enum(['min', 'max']).nullable(),
    }),
  ),
  points: z.array(
    z.object({
      label: z.string(),
      run: z.string().nullable(),
      source: z.string().nullable(),
      metric: z.string(),
      measuredMetric: z.string().nullable(),
      weight: z.number(),
      /** The scenario the point was simulated with, as given (a profile's fit can be rerun from it). */
      scenario: scenarioSourceSchema,
      observed: z.number(),
      initialSimulated: z.number(),
      fittedSimulated: z.number(),
      /** (fitted simulated - observed) / observed. */
      relativeResidual: z.number(),
    }),
  ),
  /** Root mean square of the weighted relative residuals, before and after the fit. */
  rmsBefore: z.number(),
  rmsAfter: z.number(),
  iterations: z.number(),
  evaluations: z.number(),
  elapsedMs: z.number(),
  /** Everything the profile overrides: the base profile's costs and the fitted ones. */
  costs: z.record(z.string(), z.number()),
});
export type CalibrationReport = z.output<typeof calibrationReportSchema>;

const costProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  costs: z.record(z.string(), z.number()),
  fit: calibrationReportSchema.nullable(),
  modelVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const calibrationStatusSchema = z.enum(['running', 'done', 'failed', 'cancelled']);

const startRunParams = z.strictObject({
  source: scenarioSourceSchema,
  name: z.string().min(1).max(200).optional(),
  /** Runs seeds s, s+1, ... s+N-1 of the scenario's seed s. */
  seeds: z.number().int().min(1).max(1000).default(1),
  tags: z.array(tag).max(20).optional(),
  experiment: z.string().min(1).max(200).optional(),
  /** Per-run time limit; the service default applies when omitted. */
  timeLimitMs: z.number().int().min(100).max(24 * 3600_000).optional(),
});

const benchmarkSchema = z.object({
  id: z.string(),
  name: z.string(),
  metric: z.string(),
  description: z.string(),
  higherIsBetter: z.boolean(),
  createdAt: z.string(),
});

const benchmarkPointSchema = z.object({
  id: z.string(),
  benchmarkId: z.string(),
  runId: z.string().nullable(),
  measuredAt: z.string(),
  value: z.number(),
  source: z.enum(BENCHMARK_SOURCES),
  context: jsonObject,
  raw: z.unknown(),
});

const markerSchema = z.object({ id: z.string(), benchmarkId: z.string(), at: z.string(), label: z.string(), createdAt: z.string() });

const estimateSchema = z.looseObject({ mode: z.string(), throughputGbps: z.number().nullable(), outOfRange: z.string().nullable(), vmExitsPerSec: z.number(), bottleneck: z.string() });

const policyDecisionSchema = z.looseObject({ domainType: z.string(), strict: z.boolean(), reasons: z.array(z.unknown()), log: z.array(z.string()) });

/** Method name -> params and result schemas. */
export const methods = {
  'journal.info': {
    params: z.strictObject({}),
    result: z.object({ path: z.string(), schemaVersion: z.number(), modelVersion: z.string(), runs: z.number(), workers: z.number() }),
  },
  'presets.list': {
    params: z.strictObject({}),
    result: z.array(z.object({ name: z.string(), title: z.string(), assumptions: z.array(z.string()), scenario: jsonObject })),
  },
  /** The scenario's JSON Schema (for generated forms) and its fully defaulted example. */
  'scenario.schema': {
    params: z.strictObject({}),
    result: z.object({ jsonSchema: jsonObject, defaults: jsonObject, backends: z.array(z.string()), policies: z.array(z.string()), workloads: z.array(z.string()) }),
  },
  /** Validates a scenario and previews it instantly: the guest kernel's decision and the closed-form estimate. */
  'scenario.preview': {
    params: z.strictObject({ source: scenarioSourceSchema }),
    result: z.union([
      z.object({
        ok: z.literal(true),
        scenario: jsonObject,
        scenarioHash: z.string(),
        policy: z.object({ decision: policyDecisionSchema, effective: z.string(), source: z.enum(['auto', 'scenario']) }),
        estimate: z.object({ effective: estimateSchema.nullable(), strict: estimateSchema, lazy: estimateSchema }),
      }),
      z.object({ ok: z.literal(false), errors: z.array(fieldErrorSchema) }),
    ]),
  },
  'policy.resolve': {
    params: z.strictObject({
      kernel: z.string().min(1),
      kconfigDefault: z.enum(['strict', 'lazy', 'passthrough']).optional(),
      cmdline: z.string().max(4096).optional(),
      caps: z.strictObject({ cachingMode: z.boolean(), scalableMode: z.boolean(), firstLevel: z.boolean(), secondLevel: z.boolean() }).optional(),
      untrusted: z.boolean().optional(),
    }),
    result: policyDecisionSchema,
  },
  /** Queues one run per seed; returns at once. Progress and the end come as events (or through runs.wait). */
  'runs.start': {
    params: startRunParams,
    result: z.object({ runIds: z.array(z.string()), experimentId: z.string().nullable() }),
  },
  'runs.cancel': { params: z.strictObject({ ids }), result: z.object({ cancelled: z.number() }) },
  /** Resolves once every run has ended (done, failed, cancelled or interrupted). */
  'runs.wait': { params: z.strictObject({ ids }), result: z.array(runSummarySchema) },
  'runs.list': { params: runQuerySchema, result: z.object({ total: z.number(), rows: z.array(runSummarySchema) }) },
  'runs.get': { params: z.strictObject({ id, series: z.boolean().default(true) }), result: runSchema },
  'runs.delete': { params: z.strictObject({ ids }), result: z.object({ deleted: z.number() }) },
  'runs.tag': {
    params: z.strictObject({ id, add: z.array(tag).max(20).default([]), remove: z.array(tag).max(20).default([]) }),
    result: z.object({ tags: z.array(z.string()) }),
  },
  'runs.note': { params: z.strictObject({ id, body: z.string().trim().min(1, 'must not be empty').max(20_000) }), result: z.object({ id: z.string(), runId: z.string(), body: z.string(), createdAt: z.string() }) },
  /** Scenario differences and a metric table for 2..50 runs; the first is the base. */
  'runs.compare': {
    params: z.strictObject({ ids: z.array(id).min(2, 'compare needs at least 2 runs').max(50) }),
    result: z.object({
      runs: z.array(runSummarySchema),
      differences: z.array(z.object({ path: z.string(), values: z.array(z.unknown()) })),
      metrics: z.array(
        z.object({
          name: z.string(),
          values: z.array(z.number().nullable()),
          delta: z.array(z.number().nullable()),
          ratio: z.array(z.number().nullable()),
        }),
      ),
    }),
  },
  /** Expands the grid, validates every scenario, then journals and queues all runs at once (or none). */
  'sweeps.start': {
    params: z.strictObject({ spec: sweepSpecSchema, dryRun: z.boolean().default(false) }),
    result: z.object({ sweepId: z.string().nullable(), runIds: z.array(z.string()), points: z.number(), total: z.number() }),
  },
  'benchmarks.list': { params: z.strictObject({}), result: z.array(benchmarkSchema) },
  'benchmarks.create': {
    params: z.strictObject({ name: z.string().trim().min(1).max(200), metric: z.string().min(1), description: z.string().max(2000).optional(), higherIsBetter: z.boolean() }),
    result: benchmarkSchema,
  },
  /** Adds a done run to a benchmark; the point's value is the run's value of the benchmark's metric. */
  'benchmarks.addRun': { params: z.strictObject({ benchmark: z.string().min(1), runId: id }), result: benchmarkPointSchema },
  'benchmarks.mark': {
    params: z.strictObject({ benchmark: z.string().min(1), at: z.iso.datetime({ offset: true }), label: z.string().trim().min(1).max(200) }),
    result: markerSchema,
  },
  'benchmarks.history': {
    params: z.strictObject({ name: z.string().min(1) }),
    result: z.object({ benchmark: benchmarkSchema, points: z.array(benchmarkPointSchema), markers: z.array(markerSchema) }),
  },
  /**
   * Run set B (head) against run set A (base), metric by metric: paired by seed
   * where the seeds match, a verdict only when significant and beyond the threshold.
   */
  'runs.compareSets': {
    params: z.strictObject({
      base: z.array(id).min(1, 'needs at least one run').max(500),
      head: z.array(id).min(1, 'needs at least one run').max(500),
      /** Smallest relative change that counts (0.02 = 2%). */
      threshold: z.number().min(0).max(1).default(0.02),
      alpha: z.number().gt(0).max(0.5).default(0.05),
      metrics: z.array(z.string().min(1)).max(100).optional(),
    }),
    result: z.looseObject({ title: z.string(), base: z.looseObject({ label: z.string(), runs: z.array(z.unknown()) }), head: z.looseObject({ label: z.string(), runs: z.array(z.unknown()) }), comparison: z.looseObject({ paired: z.boolean(), metrics: z.array(z.looseObject({ metric: z.string(), verdict: z.string() })) }), differences: z.array(z.unknown()) }),
  },
  /** The same comparison rendered: a mailing-list text table, a self-contained HTML report, or JSON. */
  'runs.report': {
    params: z.strictObject({
      base: z.array(id).min(1, 'needs at least one run').max(500),
      head: z.array(id).min(1, 'needs at least one run').max(500),
      format: z.enum(['text', 'html', 'json']),
      threshold: z.number().min(0).max(1).default(0.02),
      alpha: z.number().gt(0).max(0.5).default(0.05),
      /** Compare these metrics only (Benjamini-Hochberg runs across them); default: all. */
      metrics: z.array(z.string().min(1)).max(100).optional(),
      title: z.string().max(200).optional(),
    }),
    result: z.object({ format: z.enum(['text', 'html', 'json']), fileName: z.string(), content: z.string() }),
  },
  /** Every run matching a list query (all pages), as CSV or JSON. */
  'runs.export': {
    params: z.strictObject({
      query: runQuerySchema.omit({ page: true }).default({}),
      format: z.enum(['csv', 'json']),
      metrics: z.array(z.string().min(1)).max(100).optional(),
    }),
    result: z.object({ format: z.enum(['csv', 'json']), fileName: z.string(), runs: z.number(), content: z.string() }),
  },
  /** Imports iperf3 -J or fio --output-format=json output as a measured run and a point of a benchmark. */
  'measurements.import': {
    params: z.strictObject({
      tool: z.enum(['iperf3', 'fio']),
      text: z.string().min(1, 'the file is empty').max(50 * 2 ** 20, 'larger than 50 MiB: not a single tool run'),
      benchmark: z.string().min(1),
      context: z.record(z.string(), z.string()).optional(),
      metric: z.string().min(1).optional(),
      fileName: z.string().max(500).optional(),
      tags: z.array(tag).max(20).optional(),
    }),
    result: z.object({ runId: z.string(), metric: z.string(), value: z.number(), point: benchmarkPointSchema }),
  },
  /** A benchmark's history with change points (computed in a worker), known shifts and the latest point vs its baseline. */
  'benchmarks.analyze': {
    params: z.strictObject({ name: z.string().min(1) }),
    result: z.looseObject({ points: z.array(z.unknown()), segments: z.array(z.unknown()), changes: z.array(z.looseObject({ kind: z.string() })), knownShifts: z.array(z.unknown()) }),
  },
  /** A consistent copy of the journal (VACUUM INTO); never overwrites a file. */
  'journal.backup': { params: z.strictObject({ path: z.string().min(1) }), result: z.object({ path: z.string() }) },
  /** Copies in the runs, tags, notes and benchmarks of another journal, by UUID (runs already present are not duplicated). */
  'journal.merge': { params: z.strictObject({ path: z.string().min(1) }), result: z.record(z.string(), z.number()) },
  /** Validates a calibration (every point's run and scenario), then fits it in a worker; returns at once. */
  'calibration.start': {
    params: z.strictObject({ spec: calibrationSpecSchema, dryRun: z.boolean().default(false) }),
    result: z.object({ calibrationId: z.string().nullable(), parameters: z.array(z.string()), points: z.number() }),
  },
  /** Resolves when the fit has ended: its report, and the profile if it was saved. */
  'calibration.wait': {
    params: z.strictObject({ calibrationId: id }),
    result: z.object({ status: calibrationStatusSchema.exclude(['running']), error: z.string().nullable(), report: calibrationReportSchema.nullable(), profile: costProfileSchema.nullable() }),
  },
  'calibration.cancel': { params: z.strictObject({ calibrationId: id }), result: z.object({ cancelled: z.boolean() }) },
  /** Saves a finished fit that was started with save: false (after review), optionally under another name. */
  'calibration.save': {
    params: z.strictObject({ calibrationId: id, profile: profileNameSchema.optional(), replace: z.boolean().default(false) }),
    result: costProfileSchema,
  },
  'profiles.list': { params: z.strictObject({}), result: z.array(costProfileSchema) },
  'profiles.get': { params: z.strictObject({ name: profileNameSchema }), result: costProfileSchema },
  /** A hand-made profile: costs typed in, no fit behind them. */
  'profiles.save': {
    params: z.strictObject({
      name: profileNameSchema,
      description: z.string().max(2000).optional(),
      costs: costRecord(z.number().min(0).max(1e9)).refine((c) => Object.keys(c).length > 0, { message: 'must set at least one cost' }),
      replace: z.boolean().default(false),
    }),
    result: costProfileSchema,
  },
  'profiles.delete': { params: z.strictObject({ name: profileNameSchema }), result: z.object({ deleted: z.boolean() }) },
} as const;

/** Event name -> data schema. */
export const events = {
  'run.progress': z.object({ runId: z.string(), fraction: z.number().min(0).max(1) }),
  'run.status': z.object({ runId: z.string(), status: runStatusSchema, error: z.string().nullable() }),
  'sweep.progress': z.object({ sweepId: z.string(), total: z.number(), ended: z.number(), failed: z.number(), cancelled: z.number() }),
  'calibration.progress': z.object({ calibrationId: z.string(), fraction: z.number().min(0).max(1) }),
  'calibration.status': z.object({ calibrationId: z.string(), status: calibrationStatusSchema, error: z.string().nullable() }),
} as const;

export type MethodName = keyof typeof methods;
export type EventName = keyof typeof events;
export type Params<M extends MethodName> = z.input<(typeof methods)[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<(typeof methods)[M]['params']>;
export type Result<M extends MethodName> = z.output<(typeof methods)[M]['result']>;
export type EventData<E extends EventName> = z.output<(typeof events)[E]>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** Error codes a call can fail with; every host passes them through unchanged. */
export const ERROR_CODES = ['invalid', 'not_found', 'conflict', 'unavailable', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ServiceErrorData {
  code: ErrorCode;
  message: string;
  /** For `invalid`: every field at fault and what it allows. */
  fields?: { path: string; message: string }[];
}

/** What any host's client exposes: typed calls and event subscriptions. */
export interface LabApi {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
}

// ---- Wire messages (WebSocket, MessagePort): JSON, one object per message ----

export interface RequestMessage {
  type: 'request';
  id: number;
  method: string;
  params: unknown;
}
export type ResponseMessage = { type: 'response'; id: number; result: unknown } | { type: 'response'; id: number; error: ServiceErrorData };
export interface EventMessage {
  type: 'event';
  event: EventName;
  data: unknown;
}
