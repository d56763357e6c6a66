// From a calibration spec to the worker's input, checked whole before any
// work starts: every point's observation (a measured run's metric or a given
// figure) and scenario, every parameter's bounds. Errors name the spec field.
import { COST_TABLE, MODEL_VERSION, parseScenario, SCALAR_METRIC_NAMES, STORAGE_METRIC_NAMES, ScenarioError, type CostName, type FieldError } from '../../core/index.ts';
import type { Run } from '../../db/index.ts';
import { defaultMeasuredMetric, fitCaveats, type CalibrationReport } from '../protocol/calibration.ts';
import { findMetric } from '../protocol/metrics.ts';
import type { ScenarioSourceInput } from '../protocol/scenario-source.ts';
import { ServiceError, toServiceError } from '../errors.ts';
import { scenarioInput } from '../scenarios.ts';
import type { CalibrationJobInput, CalibrationJobOutput } from './fit.ts';

/** The spec after the contract's defaults. */
export interface CalibrationSpecParsed {
  profile: string;
  description?: string | undefined;
  baseProfile?: string | undefined;
  parameters: Partial<Record<CostName, { min: number; max: number; initial?: number | undefined }>>;
  points: {
    label?: string | undefined;
    run?: string | undefined;
    value?: number | undefined;
    source?: string | undefined;
    metric: string;
    measuredMetric?: string | undefined;
    scenario: ScenarioSourceInput;
    weight: number;
  }[];
  maxIterations: number;
}

export interface CalibrationDeps {
  /** A run by id or unique prefix; throws ServiceError not_found. */
  getRun(idOrPrefix: string): Run;
  getProfileCosts(name: string): Record<string, number> | undefined;
}

/** What the report needs besides the worker's output. */
export interface PreparedCalibration {
  job: CalibrationJobInput;
  baseCosts: Record<string, number>;
  points: { label: string; run: string | null; source: string | null; metric: string; measuredMetric: string | null; weight: number; scenario: CalibrationSpecParsed['points'][number]['scenario'] }[];
}

/** A metric's unit as the catalog gives it, a share (0..1) apart from a percentage; undefined when the catalog does not know it. */
function unitOf(name: string): string | undefined {
  const spec = findMetric(name);
  if (!spec) return undefined;
  return spec.share ? 'a share (0..1)' : spec.unit === '' ? 'a plain count' : spec.unit;
}

/**
 * Why a measured metric cannot stand for a simulated one, or undefined when
 * both have the same unit in the catalog: a fit of IOPS against Gbit/s has a
 * residual but no meaning.
 */
export function unitMismatch(simulated: string, measured: string): string | undefined {
  const want = unitOf(simulated);
  const have = unitOf(measured);
  if (have === undefined) return `the metric catalog has no unit for ${JSON.stringify(measured)}, so it cannot be matched with ${simulated} (${want ?? 'unit unknown'})`;
  if (want === have) return undefined;
  return `${measured} is in ${have} but the simulated ${simulated} is in ${want ?? 'no known unit'}: a fit needs both in the same unit; pick a measuredMetric in ${want ?? 'that unit'} or a simulated metric in ${have}`;
}

function isSimulatedMetric(name: string): boolean {
  // An NVMe run under fio also reports fio's metrics (readIops ...), so an imported fio run can be an observation.
  return (SCALAR_METRIC_NAMES as readonly string[]).includes(name) || STORAGE_METRIC_NAMES.includes(name) || /^(vmExitsPerSec|invalidationsPerSec)\.\w+$/.test(name);
}

export function prepareCalibration(spec: CalibrationSpecParsed, deps: CalibrationDeps): PreparedCalibration {
  const errors: FieldError[] = [];
  const fitted = Object.keys(spec.parameters) as CostName[];

  let baseCosts: Record<string, number> = {};
  if (spec.baseProfile !== undefined) {
    const costs = deps.getProfileCosts(spec.baseProfile);
    if (costs) baseCosts = costs;
    else errors.push({ path: 'spec.baseProfile', message: `unknown cost profile ${JSON.stringify(spec.baseProfile)}` });
  }

  const parameters = fitted.map((name) => {
    const p = spec.parameters[name] as { min: number; max: number; initial?: number | undefined };
    const start = p.initial ?? baseCosts[name] ?? COST_TABLE[name].valueNs;
    return { name, min: p.min, max: p.max, initial: Math.min(p.max, Math.max(p.min, start)) };
  });
  if (spec.points.length < fitted.length) {
    errors.push({ path: 'spec.points', message: `${fitted.length} costs cannot be fitted to ${spec.points.length} point${spec.points.length > 1 ? 's' : ''}: give at least as many points as costs` });
  }

  const points: PreparedCalibration['points'] = [];
  const jobPoints: CalibrationJobInput['points'] = [];
  spec.points.forEach((point, i) => {
    const at = `spec.points.${i}`;
    const before = errors.length;
    if (!isSimulatedMetric(point.metric)) {
      errors.push({ path: `${at}.metric`, message: `the simulator has no metric ${JSON.stringify(point.metric)}; allowed: ${SCALAR_METRIC_NAMES.join(', ')}, for NVMe runs ${STORAGE_METRIC_NAMES.join(', ')}, vmExitsPerSec.<reason>, invalidationsPerSec.<kind>` });
    }

    let observed: number | undefined;
    let measuredMetric: string | null = null;
    let runId: string | null = null;
    if ((point.run === undefined) === (point.value === undefined)) {
      errors.push({ path: at, message: 'give either run (a measured run in the journal) or value (a published figure), not both' });
    } else if (point.value !== undefined) {
      observed = point.value;
    } else {
      try {
        const run = deps.getRun(point.run as string);
        runId = run.id;
        measuredMetric = point.measuredMetric ?? defaultMeasuredMetric(point.metric, run.metrics);
        if (run.kind !== 'measured') errors.push({ path: `${at}.run`, message: `run ${run.id} is simulated; calibrate against a measured run (an iperf3 or fio import) or give value` });
        else if (run.status !== 'done') errors.push({ path: `${at}.run`, message: `run ${run.id} is ${run.status}` });
        else if (run.metrics[measuredMetric] === undefined) {
          errors.push({ path: `${at}.measuredMetric`, message: `run ${run.id} has no metric ${JSON.stringify(measuredMetric)}; it has ${Object.keys(run.metrics).join(', ')}` });
        } else if (isSimulatedMetric(point.metric) && unitMismatch(point.metric, measuredMetric) !== undefined) {
          // Named by the field that chose the measured metric: measuredMetric when given, else the simulated metric it defaults from.
          errors.push({ path: `${at}.${point.measuredMetric === undefined ? 'metric' : 'measuredMetric'}`, message: unitMismatch(point.metric, measuredMetric) as string });
        } else if (!((run.metrics[measuredMetric] as number) > 0)) {
          errors.push({ path: `${at}.measuredMetric`, message: `run ${run.id} measured ${measuredMetric} = ${run.metrics[measuredMetric]}; relative residuals need a value above 0` });
        } else observed = run.metrics[measuredMetric];
      } catch (err) {
        const e = toServiceError(err);
        if (e.code === 'internal') throw err;
        errors.push({ path: `${at}.run`, message: e.fields?.map((f) => f.message).join('; ') ?? e.message });
      }
    }

    // The point is simulated with the profile being fitted: base profile < the point's own costs < fitted costs.
    let scenario;
    try {
      const input = scenarioInput(point.scenario) as Record<string, unknown>;
      const own = (input.costs ?? {}) as Record<string, unknown>;
      const clash = fitted.filter((name) => own[name] !== undefined);
      if (input.costProfile !== undefined) {
        errors.push({ path: `${at}.scenario.costProfile`, message: 'a point is simulated with the profile being fitted; leave costProfile out (baseProfile starts the fit from a saved profile)' });
      }
      for (const name of clash) errors.push({ path: `${at}.scenario.costs.${name}`, message: 'is being fitted; leave it out of the point\'s scenario' });
      scenario = parseScenario({ ...input, costs: { ...baseCosts, ...own } });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      errors.push(...err.fields.map((f) => ({ path: `${at}.scenario${f.path ? `.${f.path}` : ''}`, message: f.message })));
    }

    if (errors.length > before || observed === undefined || scenario === undefined) return;
    points.push({
      label: point.label ?? (runId ? `${scenario.name ?? point.scenario.preset ?? 'run'} vs ${runId.slice(0, 8)}` : `${point.scenario.preset ?? scenario.name ?? 'point'} = ${observed}`),
      run: runId,
      source: point.source ?? null,
      metric: point.metric,
      measuredMetric,
      weight: point.weight,
      scenario: point.scenario,
    });
    jobPoints.push({ scenario, metric: point.metric, observed, weight: point.weight });
  });

  if (errors.length) throw ServiceError.invalid(errors);
  return { job: { parameters, points: jobPoints, maxIterations: spec.maxIterations }, baseCosts, points };
}

export function buildReport(spec: Pick<CalibrationSpecParsed, 'profile' | 'baseProfile'>, prepared: PreparedCalibration, out: CalibrationJobOutput): CalibrationReport {
  const { job } = prepared;
  const totalWeight = job.points.reduce((s, p) => s + p.weight, 0);
  const rms = (simulated: number[]) => Math.sqrt(job.points.reduce((s, p, i) => s + p.weight * (((simulated[i] as number) - p.observed) / p.observed) ** 2, 0) / totalWeight);
  const costs: Record<string, number> = { ...prepared.baseCosts };
  job.parameters.forEach((p, i) => (costs[p.name] = out.values[i] as number));
  const report: CalibrationReport = {
    profile: spec.profile,
    baseProfile: spec.baseProfile ?? null,
    modelVersion: MODEL_VERSION,
    parameters: job.parameters.map((p, i) => ({
      name: p.name,
      min: p.min,
      max: p.max,
      tableValue: COST_TABLE[p.name as CostName].valueNs,
      initial: p.initial,
      fitted: out.values[i] as number,
      atBound: out.atBound[i] ?? null,
    })),
    points: prepared.points.map((p, i) => {
      const observed = (job.points[i] as { observed: number }).observed;
      const fittedSimulated = out.fittedSimulated[i] as number;
      return { ...p, observed, initialSimulated: out.initialSimulated[i] as number, fittedSimulated, relativeResidual: (fittedSimulated - observed) / observed };
    }),
    rmsBefore: rms(out.initialSimulated),
    rmsAfter: rms(out.fittedSimulated),
    iterations: out.iterations,
    evaluations: out.evaluations,
    elapsedMs: out.elapsedMs,
    costs,
    degreesOfFreedom: job.points.length - job.parameters.length,
    maxIterations: job.maxIterations,
    stoppedAtIterationLimit: out.stoppedAtIterationLimit,
    caveats: [],
  };
  return { ...report, caveats: fitCaveats(report) };
}
