// The Calibrate form's state and the spec it sends: the form keeps the text
// of every input, and builds `calibration.start`'s spec from it with instant
// checks of what can be checked without the service (numbers, override
// lines). Errors are keyed by the spec path the service would name, so local
// and service errors land in the same place. Pure, tested under Node.
import type { CalibrationReport, CalibrationSpec } from '../types.ts';
import { COSTS, defaultBounds, isCostName, type CostName } from '../costs.ts';

export const DEFAULT_METRIC = 'throughputGbps';
export const DEFAULT_MAX_ITERATIONS = 30;
export const MAX_FITTED_COSTS = 8;

export interface PointDraft {
  /** Stable per form: keys each-blocks and element ids. */
  key: number;
  kind: 'run' | 'value';
  /** The measured run's id (kind run). */
  run: string;
  /** The published figure (kind value). */
  valueText: string;
  /** Where the figure comes from (kind value). */
  source: string;
  label: string;
  /** Empty: the scenario defaults. */
  preset: string;
  /** One `path=value` per line. */
  overridesText: string;
  metric: string;
  /** Empty: the service's default (receivedGbps for throughput when the run has it). */
  measuredMetric: string;
  weightText: string;
  /** Set when a stored fit gave the point's scenario as a whole config, which this form cannot show: the user must choose it. */
  scenarioUnknown: boolean;
}

export interface ParameterDraft {
  name: CostName;
  minText: string;
  maxText: string;
  /** Empty: the base profile's value or the table's, clamped into the bounds. */
  initialText: string;
}

export interface CalibrationDraft {
  profile: string;
  description: string;
  /** Empty: start from the built-in table. */
  baseProfile: string;
  maxIterationsText: string;
  replace: boolean;
  points: PointDraft[];
  parameters: ParameterDraft[];
}

export type SpecErrors = Record<string, string>;

export function emptyDraft(profile = ''): CalibrationDraft {
  return { profile, description: '', baseProfile: '', maxIterationsText: String(DEFAULT_MAX_ITERATIONS), replace: false, points: [], parameters: [] };
}

let nextKey = 1;

export function newPoint(kind: PointDraft['kind'], fields: Partial<Omit<PointDraft, 'key' | 'kind'>> = {}): PointDraft {
  return {
    key: nextKey++,
    kind,
    run: '',
    valueText: '',
    source: '',
    label: '',
    preset: '',
    overridesText: '',
    metric: DEFAULT_METRIC,
    measuredMetric: '',
    weightText: '1',
    scenarioUnknown: false,
    ...fields,
  };
}

/** A cost to fit, searched within a factor of 4 of where it starts (the base profile's value, else the table's). */
export function newParameter(name: CostName, start: number = COSTS[name].valueNs): ParameterDraft {
  const { min, max } = defaultBounds(start);
  return { name, minText: String(min), maxText: String(max), initialText: '' };
}

/** `path=value` lines; blank lines are skipped. Errors name the line. */
export function parseOverrides(text: string): { overrides: string[]; error: string | undefined } {
  const overrides: string[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) problems.push(`line ${i + 1}: write path=value, e.g. guest.kernel=6.8`);
    else overrides.push(line);
  });
  return { overrides, error: problems.length ? problems.join('; ') : undefined };
}

type NumberRule = { min?: number; exclusiveMin?: number; max?: number; integer?: boolean };

function parseNumber(text: string, rule: NumberRule): { value: number | undefined; error: string | undefined } {
  const t = text.trim();
  if (t === '') return { value: undefined, error: 'required' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { value: undefined, error: 'must be a number' };
  if (rule.integer && !Number.isInteger(n)) return { value: n, error: 'must be an integer' };
  if (rule.exclusiveMin !== undefined && n <= rule.exclusiveMin) return { value: n, error: `must be above ${rule.exclusiveMin}` };
  if (rule.min !== undefined && n < rule.min) return { value: n, error: `must be at least ${rule.min}` };
  if (rule.max !== undefined && n > rule.max) return { value: n, error: `must be at most ${rule.max}` };
  return { value: n, error: undefined };
}

/**
 * The spec `calibration.start` takes (always with save: false: the fit is
 * reviewed, then saved with calibration.save), and what is wrong with the
 * text, by spec path. Numbers out of range still go into the spec so the
 * service can speak about the rest.
 */
export function buildSpec(draft: CalibrationDraft): { spec: CalibrationSpec; errors: SpecErrors } {
  const errors: SpecErrors = {};
  const number = (path: string, text: string, rule: NumberRule): number | undefined => {
    const r = parseNumber(text, rule);
    if (r.error) errors[path] = r.error;
    return r.value;
  };

  const parameters: CalibrationSpec['parameters'] = {};
  for (const p of draft.parameters) {
    const at = `spec.parameters.${p.name}`;
    const min = number(`${at}.min`, p.minText, { min: 0 });
    const max = number(`${at}.max`, p.maxText, { exclusiveMin: 0, max: 1e9 });
    const initial = p.initialText.trim() === '' ? undefined : number(`${at}.initial`, p.initialText, { min: 0, max: 1e9 });
    if (min !== undefined && max !== undefined && errors[`${at}.max`] === undefined && min >= max) errors[`${at}.max`] = 'must be more than min';
    if (initial !== undefined && min !== undefined && max !== undefined && errors[`${at}.initial`] === undefined && (initial < min || initial > max)) {
      errors[`${at}.initial`] = 'must lie within [min, max]';
    }
    // Unparseable bounds are left out; the service then names them as missing, which the local message covers.
    parameters[p.name] = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }), ...(initial === undefined ? {} : { initial }) } as { min: number; max: number };
  }

  const points = draft.points.map((p, i): CalibrationSpec['points'][number] => {
    const at = `spec.points.${i}`;
    const overrides = parseOverrides(p.overridesText);
    if (overrides.error) errors[`${at}.scenario.overrides`] = overrides.error;
    const scenario = { ...(p.preset ? { preset: p.preset } : {}), ...(overrides.overrides.length ? { overrides: overrides.overrides } : {}) };
    const point: CalibrationSpec['points'][number] = { scenario, metric: p.metric.trim() || DEFAULT_METRIC };
    const weight = number(`${at}.weight`, p.weightText, { exclusiveMin: 0, max: 1000 });
    if (weight !== undefined) point.weight = weight;
    if (p.label.trim()) point.label = p.label.trim();
    if (p.kind === 'run') {
      if (p.run) point.run = p.run;
      else errors[`${at}.run`] = 'choose a measured run';
      if (p.measuredMetric.trim()) point.measuredMetric = p.measuredMetric.trim();
    } else {
      const value = number(`${at}.value`, p.valueText, { exclusiveMin: 0 });
      if (value !== undefined) point.value = value;
      if (p.source.trim()) point.source = p.source.trim();
    }
    return point;
  });

  const spec: CalibrationSpec = { profile: draft.profile.trim(), parameters, points, save: false, replace: draft.replace };
  const maxIterations = number('spec.maxIterations', draft.maxIterationsText, { min: 1, max: 200, integer: true });
  if (maxIterations !== undefined) spec.maxIterations = maxIterations;
  if (draft.description.trim()) spec.description = draft.description.trim();
  if (draft.baseProfile) spec.baseProfile = draft.baseProfile;
  return { spec, errors };
}

/** What must be there before the service is asked at all; empty when the draft is complete enough. */
export function missingParts(draft: CalibrationDraft): string[] {
  const missing: string[] = [];
  if (draft.points.length === 0) missing.push('add at least one point (a measured run or a published value)');
  if (draft.parameters.length === 0) missing.push('pick at least one cost to fit');
  if (draft.profile.trim() === '') missing.push('name the profile');
  const unknown = draft.points.findIndex((p) => p.scenarioUnknown);
  if (unknown >= 0) missing.push(`choose the scenario of point ${unknown + 1} (the stored fit gave it as a whole config)`);
  return missing;
}

/** Every spec path the form has an input (or a section) for; errors elsewhere go to the summary. */
export function shownPaths(draft: CalibrationDraft): Set<string> {
  const paths = new Set(['spec.profile', 'spec.description', 'spec.baseProfile', 'spec.maxIterations', 'spec.points', 'spec.parameters']);
  draft.points.forEach((p, i) => {
    const at = `spec.points.${i}`;
    const own = p.kind === 'run' ? ['run', 'measuredMetric'] : ['value', 'source'];
    for (const f of ['', ...own, 'label', 'metric', 'weight', 'scenario.preset', 'scenario.overrides']) paths.add(f ? `${at}.${f}` : at);
  });
  for (const p of draft.parameters) {
    const at = `spec.parameters.${p.name}`;
    for (const f of ['', 'min', 'max', 'initial']) paths.add(f ? `${at}.${f}` : at);
  }
  return paths;
}

/**
 * The Calibrate form refilled from a stored fit: the same costs, bounds and
 * starting values, and the same points with their scenarios. A scenario
 * given as a whole config (the CLI allows it) has no place in this form, so
 * such a point is marked for the user to choose again.
 */
export function draftFromReport(report: CalibrationReport, opts: { description?: string } = {}): CalibrationDraft {
  const draft = emptyDraft(report.profile);
  draft.description = opts.description ?? '';
  draft.baseProfile = report.baseProfile ?? '';
  // Recalibrating means replacing the profile the fit came from.
  draft.replace = true;
  for (const p of report.parameters) {
    if (!isCostName(p.name)) continue;
    // The start the service would pick anyway stays implicit, so a changed base profile still applies.
    const implicit = report.baseProfile === null && p.initial === Math.min(p.max, Math.max(p.min, p.tableValue));
    draft.parameters.push({ name: p.name, minText: String(p.min), maxText: String(p.max), initialText: implicit ? '' : String(p.initial) });
  }
  for (const p of report.points) {
    const scenario = p.scenario.config === undefined ? { preset: p.scenario.preset ?? '', overridesText: (p.scenario.overrides ?? []).join('\n'), scenarioUnknown: false } : { scenarioUnknown: true };
    const common = { label: p.label, metric: p.metric, weightText: String(p.weight), ...scenario };
    if (p.run !== null) draft.points.push(newPoint('run', { ...common, run: p.run, measuredMetric: p.measuredMetric ?? '' }));
    else draft.points.push(newPoint('value', { ...common, valueText: String(p.observed), source: p.source ?? '' }));
  }
  return draft;
}

/** A profile name not yet taken: `fit-2026-11-23`, then `fit-2026-11-23-2`, ... */
export function freshProfileName(taken: readonly string[], today: Date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stem = `fit-${today.getFullYear()}-${p(today.getMonth() + 1)}-${p(today.getDate())}`;
  if (!taken.includes(stem)) return stem;
  for (let i = 2; ; i++) if (!taken.includes(`${stem}-${i}`)) return `${stem}-${i}`;
}
