// Runtime checks of everything written to or asked of the journal, so bad
// input fails with a message naming the field before any write starts.
//
// The journal checks what keeps the file and its queries sound: types, sizes,
// UUIDs, plain JSON, and the metric names, JSON paths and sort keys that reach
// SQL. What a user-chosen name may look like (tags, profile names) is a rule
// of the protocol (service/protocol/fields.ts), checked at the service's
// boundary and written only there; here such names are non-empty strings of
// bounded length.
import { z } from 'zod';
import { JournalInputError } from './errors.ts';
import { toIso } from './time.ts';
import {
  BENCHMARK_SOURCES,
  NEW_RUN_STATUSES,
  RUN_KINDS,
  RUN_STATUSES,
  SERIES_ENCODINGS,
} from './types.ts';

/** Short, safe rendering of a rejected value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const oneOf = (values: readonly string[]) => (iss: { input?: unknown }) =>
  `must be one of ${values.join(', ')}, got ${describe(iss.input)}`;

export const finite = z.number({ error: (iss) => `must be a finite number, got ${describe(iss.input)}` });
const nonNegative = finite.min(0, { error: (iss) => `must be >= 0, got ${describe(iss.input)}` });
const text = (max: number) =>
  z.string({ error: (iss) => `must be a string, got ${describe(iss.input)}` })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const uuid = z
  .string({ error: (iss) => `must be a UUID string, got ${describe(iss.input)}` })
  .transform((s) => s.toLowerCase())
  .refine((s) => UUID.test(s), { error: (iss) => `must be a UUID, got ${describe(iss.input)}` });

export const idPrefix = z
  .string({ error: (iss) => `must be a run id or its first characters, got ${describe(iss.input)}` })
  .transform((s) => s.toLowerCase())
  .refine((s) => /^[0-9a-f-]{4,36}$/.test(s), { error: 'must be a run id or at least its first 4 characters (hex digits and dashes)' });

export const timestamp = z
  .union([z.string(), z.number(), z.date()], { error: (iss) => `must be an ISO-8601 timestamp, got ${describe(iss.input)}` })
  .transform((value, ctx) => {
    const iso = toIso(value);
    if (iso === undefined) ctx.addIssue({ code: 'custom', message: `must be an ISO-8601 timestamp, got ${describe(value)}` });
    return iso ?? '';
  });

// Metric names end up in sort keys (`metric:<name>`) and CLI arguments: keep them plain.
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/;
export const metricName = z
  .string({ error: (iss) => `must be a metric name string, got ${describe(iss.input)}` })
  .regex(METRIC_NAME, { error: (iss) => `must be a metric name (a letter or _, then letters, digits, _ . : / -; at most 128), got ${describe(iss.input)}` });

export const tag = z
  .string({ error: (iss) => `must be a tag string, got ${describe(iss.input)}` })
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters' });

/** Checks that a value survives JSON.stringify unchanged in meaning; returns the first problem. */
function jsonProblem(value: unknown, path: (string | number)[], depth: number): { path: (string | number)[]; message: string } | undefined {
  if (depth > 64) return { path, message: 'nests too deeply (more than 64 levels)' };
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, message: `must be a finite number, got ${describe(value)}` };
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = jsonProblem(value[i], [...path, i], depth + 1);
          if (p) return p;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return { path, message: 'must be plain JSON (objects, arrays, strings, numbers, booleans, null)' };
      for (const [key, member] of Object.entries(value)) {
        if (member === undefined) continue; // dropped by JSON.stringify, as callers expect
        const p = jsonProblem(member, [...path, key], depth + 1);
        if (p) return p;
      }
      return undefined;
    }
    default:
      return { path, message: `must be plain JSON, got ${describe(value)}` };
  }
}

export const jsonValue = z.unknown().superRefine((value, ctx) => {
  const problem = jsonProblem(value, [], 0);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

/** An object, its members not yet checked (see jsonObject). */
const anyObject = z.record(z.string(), z.unknown(), { error: (iss) => `must be a JSON object, got ${describe(iss.input)}` });

export const jsonObject = anyObject
  .superRefine((value, ctx) => {
    const problem = jsonProblem(value, [], 0);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });

const MAX_SERIES_POINTS = 1_000_000;
const series = z
  .object({
    t: z.array(finite, { error: 'must be an array of numbers' }).max(MAX_SERIES_POINTS, { error: `must hold at most ${MAX_SERIES_POINTS} points (downsample first)` }),
    v: z.array(finite, { error: 'must be an array of numbers' }).max(MAX_SERIES_POINTS, { error: `must hold at most ${MAX_SERIES_POINTS} points (downsample first)` }),
  }, { error: 'must be an object {t: number[], v: number[]}' })
  .refine((s) => s.t.length === s.v.length, { error: (iss) => { const s = iss.input as { t: unknown[]; v: unknown[] }; return `must have t and v of the same length (t has ${s.t.length}, v has ${s.v.length})`; } });

// The record's own message only for a wrong type; bad keys keep their specific message (see parseInput).
const recordOf = <V extends z.ZodType>(value: V, what: string) =>
  z.record(metricName, value, { error: (iss) => (iss.code === 'invalid_key' ? undefined : `must be an object of ${what}`) });
export const metrics = recordOf(finite, 'metric name -> number');

/** Metric names found valid before: a sweep writes the same few dozen in every run. */
const knownMetricNames = new Set<string>();
const KNOWN_METRIC_NAMES_MAX = 10_000;

/**
 * Whether `value` is a metrics object `metrics` accepts, checked without zod
 * (a third of a bulk insert's validation went to it). It answers for the
 * common case only; when it says no, parsing with `metrics` gives the error.
 */
export function isValidMetrics(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const [name, x] of Object.entries(value)) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
    if (!knownMetricNames.has(name)) {
      if (!METRIC_NAME.test(name)) return false;
      if (knownMetricNames.size < KNOWN_METRIC_NAMES_MAX) knownMetricNames.add(name);
    }
  }
  return true;
}
const seriesMap = recordOf(series, 'series name -> {t, v}');
const seriesEncoding = z.enum(SERIES_ENCODINGS, { error: oneOf(SERIES_ENCODINGS) });
const durationMs = nonNegative;

export const newExperiment = z.object({
  name: text(200),
  description: z.string({ error: 'must be a string' }).max(10_000).default(''),
});

const runFields = {
  id: uuid.optional(),
  name: text(500),
  experimentId: uuid.nullish(),
  scenario: jsonObject,
  scenarioHash: text(128).optional(),
  modelVersion: text(100),
  seed: z.int({ error: (iss) => `must be a safe integer, got ${describe(iss.input)}` }),
  kind: z.enum(RUN_KINDS, { error: oneOf(RUN_KINDS) }).default('simulated'),
  tags: z.array(tag, { error: 'must be an array of tags' }).max(100).default([]),
  createdAt: timestamp.optional(),
};

export const newRun = z.object({
  ...runFields,
  status: z.enum(NEW_RUN_STATUSES, { error: oneOf(NEW_RUN_STATUSES) }).default('queued'),
});

export const noteBody = text(100_000);

// Metrics and series exist only for completed runs; failed or cancelled runs keep none.
function outputsOnlyWhenDone(run: { status: string; metrics?: unknown; series?: object | undefined }, ctx: z.RefinementCtx): void {
  if (run.status === 'done') return;
  for (const field of ['metrics', 'series'] as const) {
    const value = run[field];
    if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
      ctx.addIssue({ code: 'custom', path: [field], message: `must be empty unless status is done (status is ${run.status})` });
    }
  }
}

/**
 * A run to import, but for two parts the caller checks itself: the scenario
 * is checked here as an object only, and the metrics not at all. Bulk inserts
 * check the contents of each distinct scenario object once with jsonObject
 * (runs of a sweep share a few), not once per run, and the metrics with
 * isValidMetrics, falling back to `metrics` for the error.
 */
export const importedRunShallowScenario = z
  .object({
    ...runFields,
    scenario: anyObject,
    status: z.enum(RUN_STATUSES, { error: oneOf(RUN_STATUSES) }),
    startedAt: timestamp.nullish(),
    finishedAt: timestamp.nullish(),
    durationMs: durationMs.nullish(),
    error: z.string({ error: 'must be a string' }).max(100_000).nullish(),
    result: jsonObject.nullish(),
    metrics: z.unknown().optional(),
    series: seriesMap.optional(),
    seriesEncoding: seriesEncoding.default('f64le'),
    notes: z.array(noteBody).max(1000).default([]),
  })
  .superRefine(outputsOnlyWhenDone);

export const completion = z.object({
  result: jsonObject,
  metrics,
  series: seriesMap.default({}),
  durationMs,
  seriesEncoding: seriesEncoding.default('f64le'),
});

export const errorMessage = text(100_000);

// `$.a.b[0].c`: keys are identifiers, indexes are digits. Anything else is refused
// (the path is bound as a parameter anyway; this keeps the error message clear).
const JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,6}\])+$/;
const SORT_KEY = new RegExp(`^(created_at|name|status|duration_ms|metric:${METRIC_NAME.source.slice(1, -1)})$`);

export const runQuery = z.object({
  filter: z
    .object({
      status: z.array(z.enum(RUN_STATUSES, { error: oneOf(RUN_STATUSES) })).optional(),
      tags: z.array(tag).max(20).optional(),
      experiment: text(200).optional(),
      scenario: z
        .array(z.object({
          path: z.string().max(256).regex(JSON_PATH, { error: (iss) => `must be a JSON path like $.viommu.backend or $.devices[0].queues, got ${describe(iss.input)}` }),
          value: z.union([z.string(), finite, z.boolean()], { error: (iss) => `must be a string, number or boolean, got ${describe(iss.input)}` }),
        }))
        .max(20)
        .optional(),
      metric: z
        .array(z.object({ name: metricName, min: finite.optional(), max: finite.optional() })
          .refine((m) => m.min === undefined || m.max === undefined || m.min <= m.max, { error: 'must have min <= max' }))
        .max(20)
        .optional(),
      text: z.string({ error: 'must be a string' }).max(500).optional(),
      kind: z.enum(RUN_KINDS, { error: oneOf(RUN_KINDS) }).optional(),
    })
    .default({}),
  sort: z
    .object({
      by: z.string().regex(SORT_KEY, { error: (iss) => `must be one of created_at, name, status, duration_ms, metric:<name>; got ${describe(iss.input)}` }),
      dir: z.enum(['asc', 'desc'], { error: oneOf(['asc', 'desc']) }).default('desc'),
    })
    .default({ by: 'created_at', dir: 'desc' }),
  page: z
    .object({
      limit: z.int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' }).max(1000, { error: 'must be <= 1000' }).default(50),
      offset: z.int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' }).default(0),
    })
    .default({ limit: 50, offset: 0 }),
  metrics: z.array(metricName).max(200).default([]),
});

export const newBenchmark = z.object({
  name: text(200),
  metric: metricName,
  description: z.string({ error: 'must be a string' }).max(10_000).default(''),
  higherIsBetter: z.boolean({ error: (iss) => `must be a boolean, got ${describe(iss.input)}` }),
  orderBy: z
    .string({ error: 'must be a string' })
    .regex(/^(time|run-order|kernel|context:[A-Za-z][\w.-]{0,63})$/, { error: 'must be time, run-order, kernel or context:KEY (e.g. context:commit)' })
    .default('time'),
});

export const newBenchmarkPoint = z.object({
  value: finite,
  source: z.enum(BENCHMARK_SOURCES, { error: oneOf(BENCHMARK_SOURCES) }),
  measuredAt: timestamp.optional(),
  runId: uuid.nullish(),
  context: jsonObject.default({}),
  raw: jsonValue.optional(),
  contentHash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 hex digest' }).nullish(),
});

export const pointFilter = z.object({
  source: z.enum(BENCHMARK_SOURCES, { error: oneOf(BENCHMARK_SOURCES) }).optional(),
  from: timestamp.optional(),
  to: timestamp.optional(),
});

export const newMarker = z
  .object({
    label: text(500),
    at: timestamp.optional(),
    pointId: uuid.optional(),
    side: z.enum(['before', 'after'], { error: oneOf(['before', 'after']) }).optional(),
    kernel: text(100).optional(),
  })
  .refine((m) => [m.at, m.pointId, m.kernel].filter((x) => x !== undefined).length === 1, { error: 'give exactly one of at, pointId (with side) or kernel' })
  .refine((m) => (m.pointId === undefined) === (m.side === undefined), { error: 'pointId and side go together', path: ['side'] });

export const profileName = z
  .string({ error: (iss) => `must be a profile name string, got ${describe(iss.input)}` })
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' });

// Which cost names exist is the simulator's business (the service checks); here only their shape.
const COST_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const costName = z
  .string()
  .regex(COST_NAME, { error: (iss) => `must be a cost name (a letter or _, then letters, digits, _; at most 128), got ${describe(iss.input)}` });

export const newCostProfile = z.object({
  name: profileName,
  description: z.string({ error: (iss) => `must be a string, got ${describe(iss.input)}` }).max(2000, { error: 'must be at most 2000 characters' }).default(''),
  costs: z
    .record(costName, nonNegative, { error: (iss) => (iss.code === 'invalid_key' ? undefined : `must be an object of cost name -> ns (a number >= 0), got ${describe(iss.input)}`) })
    .refine((costs) => Object.keys(costs).length > 0, { error: 'must name at least one cost' }),
  fit: jsonValue.nullish().transform((fit) => fit ?? null),
  modelVersion: text(100),
});

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Parses `value`, or throws JournalInputError naming the first bad field as `root.path.to.field` (`path.to.field` when root is ''). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new JournalInputError(root, 'is invalid');
  const keyProblem = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  throw new JournalInputError(formatPath(root, issue.path), keyProblem === undefined ? issue.message : `is not a valid key: it ${keyProblem}`);
}
