// Calibration: fit chosen costs to observations in a worker, then keep the
// outcome for calibration.wait and calibration.save.
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../db/index.ts';
import { buildReport, prepareCalibration, type CalibrationSpecParsed } from '../calibration/prepare.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError, toServiceError } from '../errors.ts';
import { JobCancelledError } from '../pool/index.ts';
import type { CalibrationReport } from '../protocol/calibration.ts';
import type { Result } from '../protocol/methods.ts';
import { profileResult } from './profiles.ts';

/** A fit of a few costs to a few points takes seconds to minutes; an hour means something is wrong. */
const CALIBRATION_TIME_LIMIT_MS = 60 * 60_000;
/** Finished calibrations kept for calibration.wait and calibration.save. */
const KEPT_CALIBRATIONS = 50;

type CalibrationOutcome = Result<'calibration.wait'>;
interface Calibration {
  controller: AbortController;
  ended: Promise<CalibrationOutcome>;
  outcome?: CalibrationOutcome;
  description: string | undefined;
}

type Methods = 'calibration.start' | 'calibration.wait' | 'calibration.cancel' | 'calibration.save';

export function calibrationHandlers(ctx: LabContext): DomainHandlers<Methods> {
  const calibrations = new Map<string, Calibration>();

  const calibration = (calibrationId: string): Calibration => {
    const c = calibrations.get(calibrationId);
    if (!c) throw new ServiceError('not_found', `calibration ${JSON.stringify(calibrationId)} is not known to this process (finished ones are kept until ${KEPT_CALIBRATIONS} newer ones end)`);
    return c;
  };

  /** The journal refuses a taken name itself (ConflictError); this earlier check spares a fit that could not be saved. */
  const assertProfileFree = (name: string, replace: boolean): void => {
    if (!replace && ctx.journal.profiles.getCostProfile(name)) {
      throw new ServiceError('conflict', `cost profile ${JSON.stringify(name)} already exists; pass replace (--replace) to overwrite it, or choose another name`);
    }
  };

  const saveFitted = (report: CalibrationReport, name: string, description: string | undefined, replace: boolean): Result<'profiles.get'> => {
    const fit = { ...report, profile: name };
    return profileResult(
      ctx.journal.profiles.saveCostProfile(
        { name, costs: report.costs, fit: fit as unknown as JsonValue, modelVersion: report.modelVersion, ...(description === undefined ? {} : { description }) },
        { replace },
      ),
    );
  };

  /** Fits in a worker; the outcome (report, saved profile, or why not) is kept for calibration.wait. */
  const start = (spec: CalibrationSpecParsed & { save: boolean; replace: boolean }, prepared: ReturnType<typeof prepareCalibration>): string => {
    const calibrationId = randomUUID();
    const controller = new AbortController();
    const job = ctx.scheduler.job('calibrate', prepared.job, {
      signal: controller.signal,
      timeoutMs: CALIBRATION_TIME_LIMIT_MS,
      onProgress: (fraction) => ctx.emit('calibration.progress', { calibrationId, fraction }),
    });
    const ended = job
      .then(
        (out): CalibrationOutcome => {
          const report = buildReport(spec, prepared, out);
          if (!spec.save) return { status: 'done', error: null, report, profile: null };
          try {
            return { status: 'done', error: null, report, profile: saveFitted(report, spec.profile, spec.description, spec.replace) };
          } catch (err) {
            // The fit is kept: calibration.save can store it under another name.
            return { status: 'failed', error: `the fit ended but was not saved: ${toServiceError(err).message}`, report, profile: null };
          }
        },
        (err: unknown): CalibrationOutcome => {
          if (err instanceof JobCancelledError) return { status: 'cancelled', error: null, report: null, profile: null };
          return { status: 'failed', error: err instanceof Error ? err.message : String(err), report: null, profile: null };
        },
      )
      .then((outcome) => {
        const c = calibrations.get(calibrationId);
        if (c) c.outcome = outcome;
        ctx.emit('calibration.status', { calibrationId, status: outcome.status, error: outcome.error });
        const finished = [...calibrations].filter(([, v]) => v.outcome);
        for (const [id] of finished.slice(0, Math.max(0, finished.length - KEPT_CALIBRATIONS))) calibrations.delete(id);
        return outcome;
      });
    calibrations.set(calibrationId, { controller, ended, description: spec.description });
    ctx.emit('calibration.status', { calibrationId, status: 'running', error: null });
    return calibrationId;
  };

  return {
    'calibration.start': ({ spec, dryRun }) => {
      const prepared = prepareCalibration(spec, {
        getRun: (id) => ctx.journal.runs.getRun(ctx.resolveRunId(id), { series: false }),
        getProfileCosts: (name) => ctx.journal.profiles.getCostProfile(name)?.costs,
      });
      if (spec.save) assertProfileFree(spec.profile, spec.replace);
      const summary = { parameters: prepared.job.parameters.map((p) => p.name), points: prepared.job.points.length };
      if (dryRun) return { calibrationId: null, ...summary };
      return { calibrationId: start(spec, prepared), ...summary };
    },

    'calibration.wait': ({ calibrationId }) => calibration(calibrationId).ended,

    'calibration.cancel': ({ calibrationId }) => {
      const c = calibration(calibrationId);
      const active = c.outcome === undefined && !c.controller.signal.aborted;
      c.controller.abort();
      return { cancelled: active };
    },

    'calibration.save': ({ calibrationId, profile, replace }) => {
      const c = calibration(calibrationId);
      if (!c.outcome) throw new ServiceError('conflict', `calibration ${calibrationId} is still running; wait for it first`);
      if (!c.outcome.report) throw new ServiceError('conflict', `calibration ${calibrationId} ended ${c.outcome.status} without a fit to save`);
      const saved = saveFitted(c.outcome.report, profile ?? c.outcome.report.profile, c.description, replace);
      c.outcome = { ...c.outcome, status: 'done', error: null, profile: saved };
      return saved;
    },
  };
}
