// Calibration: the spec of a fit (costs to fit within bounds, observations to
// reproduce) and the report it leaves, which a cost profile keeps.
import { z } from 'zod';
import { COST_NAMES } from '../../core/model/costs.ts';
import { idSchema as id, profileNameSchema } from './fields.ts';
import { scenarioSourceSchema } from './scenario-source.ts';

export const CALIBRATION_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export const calibrationStatusSchema = z.enum(CALIBRATION_STATUSES);

/** An object keyed by cost names (core/model/costs.ts); an unknown name is reported with the allowed ones. */
export function costRecord<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!(COST_NAMES as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `unknown cost ${JSON.stringify(key)}; allowed: ${COST_NAMES.join(', ')}` });
    }
  });
}
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

export const calibrationReportSchema = z.object({
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
  // Absent from fits saved before the report carried them; fitCaveats derives what it can.
  /** Points minus fitted costs: with 0 the fit reproduces the points by construction. */
  degreesOfFreedom: z.number().optional(),
  maxIterations: z.number().optional(),
  /** The fit used every iteration allowed while still improving. */
  stoppedAtIterationLimit: z.boolean().optional(),
  /** What the fit cannot claim, one sentence each (fitCaveats). */
  caveats: z.array(z.string()).optional(),
});
export type CalibrationReport = z.output<typeof calibrationReportSchema>;

/** Points minus fitted costs, from the report or, for an older one, from its points and parameters. */
export function degreesOfFreedom(r: Pick<CalibrationReport, 'degreesOfFreedom' | 'points' | 'parameters'>): number {
  return r.degreesOfFreedom ?? r.points.length - r.parameters.length;
}

/**
 * What a fit cannot claim, in the words the CLI and the UI both show: with
 * zero degrees of freedom the costs reproduce the points by construction, so
 * a small residual says nothing about the model; a fit stopped at its
 * iteration limit may not have reached its minimum.
 */
export function fitCaveats(r: Pick<CalibrationReport, 'degreesOfFreedom' | 'points' | 'parameters' | 'stoppedAtIterationLimit' | 'maxIterations' | 'iterations'>): string[] {
  const dof = degreesOfFreedom(r);
  const out: string[] = [];
  const costs = `${r.parameters.length} cost${r.parameters.length === 1 ? '' : 's'}`;
  const points = `${r.points.length} point${r.points.length === 1 ? '' : 's'}`;
  if (dof <= 0) {
    out.push(`0 degrees of freedom: ${costs} fitted to ${points}. The fit reproduces its points by construction, so its residuals cannot validate the model; a prediction of a point left out of the fit can.`);
  } else {
    out.push(`${dof} degree${dof === 1 ? '' : 's'} of freedom (${points} - ${costs}). Residuals of fitted points are a fit, not a validation.`);
  }
  if (r.stoppedAtIterationLimit) {
    out.push(`The fit stopped at its iteration limit (${r.maxIterations ?? r.iterations}) while still improving: the costs may not be the best fit; rerun with a larger maxIterations.`);
  }
  return out;
}

export const costProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  costs: z.record(z.string(), z.number()),
  fit: calibrationReportSchema.nullable(),
  modelVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

