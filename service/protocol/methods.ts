// Every method of the service: params (validated at the boundary; a
// validation error names the field and what is allowed) and its complete
// result schema.
import { z } from 'zod';
import { parseKernelVersion } from '../../core/policy/version.ts';
import { calibrationReportSchema, calibrationSpecSchema, calibrationStatusSchema, costProfileSchema, costRecord } from './calibration.ts';
import { idSchema as id, idsSchema as ids, knownMetricNameSchema, metricNameSchema, profileNameSchema, runNameSchema, runQuerySchema, tagSchema as tag, tagsSchema } from './fields.ts';
import { jsonObjectSchema, jsonValueSchema } from './json.ts';
import {
  benchmarkPointSchema,
  benchmarkSchema,
  comparisonReportSchema,
  estimateSchema,
  experimentAnalysisSchema,
  experimentSummarySchema,
  fieldValueSchema,
  historyAnalysisSchema,
  markerSchema,
  mergeReportSchema,
  noteSchema,
  policyDecisionSchema,
  presetSchema,
  runComparisonSchema,
  runSchema,
  runSummarySchema,
  scenarioSchema,
} from './results.ts';
import { DOWNLOAD_PIECE_CHARS, MAX_COMPARE_RUNS, MAX_DOWNLOAD_PIECE_CHARS, MAX_IMPORT_TEXT_CHARS, RUN_PLACES } from './constants.ts';
import { fieldErrorSchema } from './errors.ts';
import { scenarioSourceSchema } from './scenario-source.ts';
import { simulationOutputSchema } from './simulation.ts';

export { MAX_COMPARE_RUNS, MAX_SWEEP_RUNS } from './constants.ts';

/** Text kept by the service to be read piece by piece (downloads.read, or serve's link). */
export const downloadSchema = z.object({ id: z.string(), expiresAt: z.string() });

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
  tags: tagsSchema.optional(),
});
export type SweepSpec = z.input<typeof sweepSpecSchema>;

/** 'workers' needs a service with a Redis URL; the workers online must run this model version. */
const runPlaceSchema = z.enum(RUN_PLACES).default('this-machine');

const startRunParams = z.strictObject({
  source: scenarioSourceSchema,
  name: runNameSchema.optional(),
  /** Runs seeds s, s+1, ... s+N-1 of the scenario's seed s. */
  seeds: z.number().int().min(1).max(1000).default(1),
  tags: tagsSchema.optional(),
  experiment: z.string().min(1).max(200).optional(),
  /** Per-run time limit; the service default applies when omitted. */
  timeLimitMs: z.number().int().min(100).max(24 * 3600_000).optional(),
  runOn: runPlaceSchema,
});

/** A kernel release as the policy resolver reads it (core's parser is the rule). */
const kernelSchema = z
  .string()
  .min(1)
  .refine(
    (v) => {
      try {
        parseKernelVersion(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a mainline or stable release MAJOR.MINOR[.PATCH], optionally with a "v" prefix or "-rcN" suffix, e.g. "6.3", "6.3.13", "v6.3", "6.8-rc3"' },
  );

const policyParams = z.strictObject({
  kernel: kernelSchema,
  kconfigDefault: z.enum(['strict', 'lazy', 'passthrough']).optional(),
  cmdline: z.string().max(4096).optional(),
  caps: z.strictObject({ cachingMode: z.boolean(), scalableMode: z.boolean(), firstLevel: z.boolean(), secondLevel: z.boolean() }).optional(),
  untrusted: z.boolean().optional(),
});

const reportSetParams = {
  base: z.array(id).min(1, 'needs at least one run').max(500),
  head: z.array(id).min(1, 'needs at least one run').max(500),
  /** Smallest relative change that counts (0.02 = 2%). */
  threshold: z.number().min(0).max(1).default(0.02),
  alpha: z.number().gt(0).max(0.5).default(0.05),
  /** Compare these metrics only; default: every metric all runs have. */
  metrics: z.array(metricNameSchema).max(100).optional(),
  /** The metric tested alone (no multiple-testing correction); default throughputGbps, else the first headline metric with a direction. */
  primary: metricNameSchema.optional(),
};

/** A history's axis: time, the order points were added, the kernel version, or any context key. */
const historyOrderSchema = z
  .string()
  .regex(/^(time|run-order|kernel|context:[A-Za-z][\w.-]{0,63})$/, 'must be time, run-order, kernel or context:KEY (e.g. context:commit)');
/** Context keys name what a point was measured on: free-form (qemu, nic, commit, ...), as typed on command lines. */
const contextKeySchema = z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, 'must be a key like qemu, nic or commit: a letter, then letters, digits, _ . - (at most 64)');
/** A scenario field path as columns and `--by` name it, e.g. viommu.backend or flushQueue.size. */
const fieldPathSchema = z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/, 'must be a field path like viommu.backend');

/** Method name -> params and result schemas. */
export const methods = {
  'journal.info': {
    params: z.strictObject({}),
    result: z.object({ path: z.string(), schemaVersion: z.number(), modelVersion: z.string(), runs: z.number(), workers: z.number() }),
  },
  'presets.list': { params: z.strictObject({}), result: z.array(presetSchema) },
  /** The scenario's JSON Schema (for generated forms) and its fully defaulted example. */
  'scenario.schema': {
    params: z.strictObject({}),
    result: z.object({ jsonSchema: jsonObjectSchema, defaults: scenarioSchema, backends: z.array(z.string()), policies: z.array(z.string()), workloads: z.array(z.string()) }),
  },
  /** Validates a scenario and previews it instantly: the guest kernel's decision and the closed-form estimate. */
  'scenario.preview': {
    params: z.strictObject({ source: scenarioSourceSchema }),
    result: z.discriminatedUnion('ok', [
      z.object({
        ok: z.literal(true),
        scenario: scenarioSchema,
        scenarioHash: z.string(),
        policy: z.object({ decision: policyDecisionSchema, effective: z.enum(['strict', 'lazy', 'passthrough']), source: z.enum(['auto', 'scenario']) }),
        estimate: z.object({ effective: estimateSchema.nullable(), strict: estimateSchema, lazy: estimateSchema }),
      }),
      z.object({ ok: z.literal(false), errors: z.array(fieldErrorSchema) }),
    ]),
  },
  'policy.resolve': { params: policyParams, result: policyDecisionSchema },
  /** The same decision, and the text the CLI prints for it (reasons and the dmesg lines). */
  /** kernelDomainType: the domain type as the kernel names it (no IOMMU_DOMAIN_DMA_FQ before v5.15, where `dma-fq` is a non-strict IOMMU_DOMAIN_DMA). */
  'policy.explain': {
    params: policyParams,
    result: z.object({ decision: policyDecisionSchema, kernelDomainType: z.enum(['IOMMU_DOMAIN_IDENTITY', 'IOMMU_DOMAIN_DMA', 'IOMMU_DOMAIN_DMA_FQ']), text: z.string() }),
  },
  /** Queues one run per seed; returns at once. Progress and the end come as events (or through runs.wait). */
  'runs.start': {
    params: startRunParams,
    result: z.object({ runIds: z.array(z.string()), experimentId: z.string().nullable() }),
  },
  /**
   * Simulates seeds s..s+N-1 of a scenario without journaling them and returns
   * each outcome as a journaled run would hold it. Runs in the worker pool, as
   * journaled runs do (the host's thread stays free); the journal is opened only
   * when the scenario names a cost profile.
   */
  'runs.simulate': {
    params: z.strictObject({
      source: scenarioSourceSchema,
      seeds: z.number().int().min(1).max(1000).default(1),
      timeLimitMs: z.number().int().min(100).max(24 * 3600_000).optional(),
    }),
    result: z.object({ results: z.array(simulationOutputSchema) }),
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
  'runs.note': { params: z.strictObject({ id, body: z.string().trim().min(1, 'must not be empty').max(20_000) }), result: noteSchema },
  /** Scenario differences and a metric table for 2..50 runs; the first is the base. */
  'runs.compare': {
    params: z.strictObject({ ids: z.array(id).min(2, 'compare needs at least 2 runs').max(MAX_COMPARE_RUNS) }),
    result: runComparisonSchema,
  },
  /** Expands the grid, validates every scenario, then journals and queues all runs at once (or none). */
  'sweeps.start': {
    params: z.strictObject({ spec: sweepSpecSchema, dryRun: z.boolean().default(false), runOn: runPlaceSchema }),
    result: z.object({
      sweepId: z.string().nullable(),
      runIds: z.array(z.string()),
      points: z.number(),
      total: z.number(),
      /** With runOn 'workers': the compatible workers online when it was queued (0: the runs wait for one). */
      workersOnline: z.number().nullable(),
    }),
  },
  /** The Redis this service sends runs to (password masked), and the workers taking jobs from it now. */
  'sweeps.workers': {
    params: z.strictObject({}),
    result: z.object({
      redis: z.string().nullable(),
      workers: z.array(z.object({ name: z.string(), modelVersion: z.string().nullable(), compatible: z.boolean() })),
    }),
  },
  /**
   * Re-attaches to a distributed sweep whose coordinator ended: its runs that
   * had not ended are queued again under their run ids (the service needs a
   * Redis URL); results that finished meanwhile are journaled, lost jobs run again.
   */
  'sweeps.resume': {
    params: z.strictObject({ experiment: z.string().trim().min(1).max(200) }),
    result: z.object({ sweepId: z.string(), runIds: z.array(z.string()), points: z.number(), total: z.number() }),
  },
  'benchmarks.list': { params: z.strictObject({}), result: z.array(benchmarkSchema) },
  'benchmarks.create': {
    params: z.strictObject({
      name: z.string().trim().min(1).max(200),
      metric: metricNameSchema,
      description: z.string().max(2000).optional(),
      higherIsBetter: z.boolean(),
      orderBy: historyOrderSchema.optional(),
    }),
    result: benchmarkSchema,
  },
  /** Changes the axis a benchmark's history is ordered by. */
  'benchmarks.setOrder': { params: z.strictObject({ name: z.string().min(1), orderBy: historyOrderSchema }), result: benchmarkSchema },
  /** Deletes a benchmark, its points and markers (the runs stay in the journal). */
  'benchmarks.delete': { params: z.strictObject({ name: z.string().min(1) }), result: z.object({ deleted: z.boolean() }) },
  /** Removes points (by id or unique prefix) from a benchmark; the runs stay. */
  'benchmarks.removePoints': { params: z.strictObject({ benchmark: z.string().min(1), points: z.array(id).min(1).max(10_000) }), result: z.object({ removed: z.number() }) },
  'benchmarks.removeMarker': { params: z.strictObject({ benchmark: z.string().min(1), marker: id }), result: z.object({ removed: z.boolean() }) },
  /** The tool output (iperf3 / fio JSON) an imported point keeps, as parsed; null for a point without one (simulated). */
  'benchmarks.pointRaw': { params: z.strictObject({ benchmark: z.string().min(1), point: id }), result: z.object({ pointId: z.string(), raw: jsonValueSchema.nullable() }) },
  /** Adds a done run to a benchmark; the point's value is the run's value of the benchmark's metric. */
  'benchmarks.addRun': {
    params: z.strictObject({ benchmark: z.string().min(1), runId: id, context: z.record(contextKeySchema, z.string().trim().min(1, 'must not be empty').max(500)).optional() }),
    result: benchmarkPointSchema,
  },
  /** A known shift, placed by exactly one of: a time, before or after a point (id or prefix), a kernel version. */
  'benchmarks.mark': {
    params: z
      .strictObject({
        benchmark: z.string().min(1),
        label: z.string().trim().min(1).max(200),
        at: z.iso.datetime({ offset: true }).optional(),
        before: id.optional(),
        after: id.optional(),
        kernel: kernelSchema.optional(),
      })
      .refine((p) => [p.at, p.before, p.after, p.kernel].filter((x) => x !== undefined).length <= 1, {
        message: 'give at most one of at, before, after, kernel',
        path: ['at'],
      }),
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
  'runs.compareSets': { params: z.strictObject(reportSetParams), result: comparisonReportSchema },
  /** The same comparison rendered: a mailing-list text table, a self-contained HTML report, or JSON. */
  'runs.report': {
    params: z.strictObject({ ...reportSetParams, format: z.enum(['text', 'html', 'json']), title: z.string().max(200).optional() }),
    result: z.object({ format: z.enum(['text', 'html', 'json']), fileName: z.string(), content: z.string() }),
  },
  /**
   * Every run matching a list query (all pages), as CSV or JSON: the text as
   * `content` when it is at most MAX_EXPORT_CONTENT_CHARS, else (or with
   * `download: true`) a `download` to read with downloads.read, or in serve
   * at DOWNLOAD_PATH_PREFIX + id. `runs` counts the runs matching when called.
   */
  'runs.export': {
    params: z.strictObject({
      query: runQuerySchema.omit({ page: true }).default({}),
      format: z.enum(['csv', 'json']),
      metrics: z.array(knownMetricNameSchema).max(100).optional(),
      download: z.boolean().default(false),
    }),
    result: z.object({
      format: z.enum(['csv', 'json']),
      fileName: z.string(),
      runs: z.number(),
      content: z.string().optional(),
      download: downloadSchema.optional(),
    }),
  },
  /** The next piece of a download (at least `minChars` characters unless it ends); `done`: it ended and is gone. */
  'downloads.read': {
    params: z.strictObject({ id, minChars: z.number().int().min(1).max(MAX_DOWNLOAD_PIECE_CHARS).default(DOWNLOAD_PIECE_CHARS) }),
    result: z.object({ fileName: z.string(), text: z.string(), done: z.boolean() }),
  },
  /** Drops a download its reader no longer wants. */
  'downloads.cancel': { params: z.strictObject({ id }), result: z.object({ cancelled: z.boolean() }) },
  /** Imports iperf3 -J or fio --output-format=json output as a measured run and a point of a benchmark. */
  'measurements.import': {
    params: z.strictObject({
      tool: z.enum(['iperf3', 'fio']),
      text: z.string().min(1, 'the file is empty').max(MAX_IMPORT_TEXT_CHARS, 'larger than 50 MiB: not a single tool run'),
      benchmark: z.string().min(1),
      context: z.record(contextKeySchema, z.string().trim().min(1, 'must not be empty').max(500)).optional(),
      metric: metricNameSchema.optional(),
      fileName: z.string().max(500).optional(),
      tags: tagsSchema.optional(),
      /** Import a file whose content this benchmark already holds (refused by default). */
      allowDuplicate: z.boolean().default(false),
    }),
    result: z.object({ runId: z.string(), metric: z.string(), value: z.number(), point: benchmarkPointSchema }),
  },
  /** A benchmark's history with change points (computed in a worker), known shifts and the latest point vs its baseline. */
  'benchmarks.analyze': { params: z.strictObject({ name: z.string().min(1), orderBy: historyOrderSchema.optional() }), result: historyAnalysisSchema },
  /** Experiments (named groups of runs, one per sweep) with their run counts. */
  'experiments.list': { params: z.strictObject({}), result: z.array(experimentSummarySchema) },
  /**
   * A sweep analysed: per grid point (the swept fields, or `by`) the mean and 95% CI over seeds of each
   * metric, main effects of each swept field, and the best configuration per backend with its margin.
   */
  'experiments.show': {
    params: z.strictObject({
      name: z.string().min(1).max(200),
      by: z.array(fieldPathSchema).max(10).optional(),
      metrics: z.array(metricNameSchema).min(1).max(20).optional(),
    }),
    result: experimentAnalysisSchema,
  },
  /** Scenario fields of runs, flattened (`viommu.backend`, `flushQueue.size`, `effective.policy`), for table columns. */
  'runs.fields': {
    params: z.strictObject({ ids: z.array(id).max(1000), paths: z.array(fieldPathSchema).max(100).optional() }),
    result: z.object({ paths: z.array(z.string()), rows: z.array(z.object({ id: z.string(), fields: z.record(z.string(), fieldValueSchema) })) }),
  },
  /** A consistent copy of the journal (VACUUM INTO); never overwrites a file. */
  'journal.backup': { params: z.strictObject({ path: z.string().min(1) }), result: z.object({ path: z.string() }) },
  /** Copies in the runs, tags, notes and benchmarks of another journal, by UUID (runs already present are not duplicated). */
  'journal.merge': { params: z.strictObject({ path: z.string().min(1) }), result: mergeReportSchema },
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

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}
