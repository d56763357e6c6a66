// The field rules every surface shares: what a tag, a run name and a profile
// name may be, and the shape of a run query. The contract validates them at
// the boundary and the journal does not restate them (it stores non-empty
// strings of bounded length). The other way round, what reaches SQL (metric
// names, JSON paths, sort keys, page limits) is the journal's rule: run
// queries are typed here and checked there, and its errors name the field.
import { z } from 'zod';
import { RUN_KINDS, RUN_STATUSES } from './constants.ts';
import { RUN_SORT_COLUMNS, unknownMetricMessage, unknownScenarioPathMessage, unknownSortKeyMessage } from './names.ts';

export { RUN_STATUSES, ENDED_RUN_STATUSES, isEndedStatus, isActiveStatus, RUN_KINDS, BENCHMARK_SOURCES } from './constants.ts';
export type { RunStatus, EndedRunStatus, RunKind, BenchmarkSource } from './constants.ts';
export const runStatusSchema = z.enum(RUN_STATUSES);
export const runKindSchema = z.enum(RUN_KINDS);

/** A run id, or the first characters of one (as people type them). */
export const idSchema = z.string().min(1).max(100);
export const idsSchema = z.array(idSchema).min(1).max(10_000);

// Tags are typed on command lines and joined with commas: a letter or digit first, no spaces or commas.
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_.:/+=@-]{0,63}$/u;
export const tagSchema = z
  .string()
  .trim()
  .regex(TAG_PATTERN, 'must be a tag: a letter or digit, then letters, digits, _ . : / + = @ - (no spaces or commas; at most 64)');
export const tagsSchema = z.array(tagSchema).max(20);

export const runNameSchema = z.string().trim().min(1, 'must not be empty').max(200);

// Profile names are typed on command lines and in scenario files: no spaces, no quoting.
export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must start with a letter or digit and use only letters, digits and . _ + -');

/** A metric name; which names are well formed is the journal's rule (they reach its queries). */
export const metricNameSchema = z.string().min(1, 'must not be empty').max(128);

/** A string the given check accepts (it returns undefined), else an input error with the check's message. */
const named = <T extends string = string>(check: (name: string) => string | undefined) =>
  z.custom<T>((v) => typeof v === 'string' && check(v) === undefined, { error: (iss) => (typeof iss.input === 'string' ? check(iss.input) : 'must be a string') });

/** A metric of the catalog (or a per-reason breakdown of one of its families): unknown names are errors, with suggestions. */
export const knownMetricNameSchema = named(unknownMetricMessage);

export { RUN_SORT_COLUMNS };
export type RunSortKey = (typeof RUN_SORT_COLUMNS)[number] | `metric:${string}`;
const sortKeySchema = named<RunSortKey>(unknownSortKeyMessage);

/** A page of the journal: filters (all must hold), a sort, a page, and the metrics each row carries. */
export const runQuerySchema = z.strictObject({
  filter: z
    .strictObject({
      status: z.array(runStatusSchema).optional(),
      tags: z.array(tagSchema).optional(),
      experiment: z.string().optional(),
      /** JSON path into the scenario (`$.viommu.backend`, `$.devices[0].queues`) and the value it must hold. */
      scenario: z.array(z.strictObject({ path: named(unknownScenarioPathMessage), value: z.union([z.string(), z.number(), z.boolean()]) })).optional(),
      metric: z.array(z.strictObject({ name: knownMetricNameSchema, min: z.number().optional(), max: z.number().optional() })).optional(),
      text: z.string().optional(),
      kind: runKindSchema.optional(),
    })
    .optional(),
  sort: z.strictObject({ by: sortKeySchema, dir: z.enum(['asc', 'desc']).optional() }).optional(),
  page: z.strictObject({ limit: z.number().optional(), offset: z.number().optional() }).optional(),
  metrics: z.array(knownMetricNameSchema).optional(),
});
export type RunQuery = z.input<typeof runQuerySchema>;
