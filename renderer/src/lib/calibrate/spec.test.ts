// The Calibrate form's spec building and error routing. The spec the form
// builds is parsed with the contract's own schema, so a shape the service
// would refuse fails here too.
import { describe, expect, it } from 'vitest';
import { calibrationSpecSchema, COST_TABLE } from '../../../../service/protocol/index.ts';
import type { CalibrationReport } from '../types.ts';
import { routeSpecError, routeSpecErrors } from './errors.ts';
import { buildSpec, draftFromReport, emptyDraft, freshProfileName, missingParts, newParameter, newPoint, parseOverrides, shownPaths, type CalibrationDraft } from './spec.ts';
import { defaultBounds } from '../costs.ts';

function draftWith(fields: Partial<CalibrationDraft> = {}): CalibrationDraft {
  return { ...emptyDraft('rx-fit'), ...fields };
}

describe('buildSpec', () => {
  it('builds a spec the contract accepts: a measured run and a published value, one cost, never saved on start', () => {
    const draft = draftWith({
      description: '  two points  ',
      points: [
        newPoint('run', { run: 'c551678e', preset: 'seed-before-fix', overridesText: 'guest.kernel=6.8\n\n  workload.streams=2  ' }),
        newPoint('value', { valueText: '51', source: 'seed patch cover letter', preset: 'seed-after-fix', weightText: '2' }),
      ],
      parameters: [newParameter('exitRoundTripNs')],
    });
    const { spec, errors } = buildSpec(draft);
    expect(errors).toEqual({});
    expect(spec).toEqual({
      profile: 'rx-fit',
      description: 'two points',
      parameters: { exitRoundTripNs: defaultBounds(COST_TABLE.exitRoundTripNs.valueNs) },
      points: [
        { run: 'c551678e', metric: 'throughputGbps', weight: 1, scenario: { preset: 'seed-before-fix', overrides: ['guest.kernel=6.8', 'workload.streams=2'] } },
        { value: 51, source: 'seed patch cover letter', metric: 'throughputGbps', weight: 2, scenario: { preset: 'seed-after-fix' } },
      ],
      maxIterations: 30,
      save: false,
      replace: false,
    });
    expect(calibrationSpecSchema.safeParse(spec).success).toBe(true);
  });

  it('leaves the measured metric to the service unless given, and sends label, initial and base profile when set', () => {
    const param = { ...newParameter('kvmExitNs'), initialText: '500' };
    const { spec, errors } = buildSpec(
      draftWith({ baseProfile: 'lab-a', points: [newPoint('run', { run: 'abcd', measuredMetric: 'sentGbps', label: 'tx box' })], parameters: [param] }),
    );
    expect(errors).toEqual({});
    expect(spec.baseProfile).toBe('lab-a');
    expect(spec.parameters.kvmExitNs).toEqual({ min: 110, max: 1800, initial: 500 });
    expect(spec.points[0]).toMatchObject({ run: 'abcd', measuredMetric: 'sentGbps', label: 'tx box', scenario: {} });
    expect(buildSpec(draftWith({ points: [newPoint('run', { run: 'abcd' })] })).spec.points[0]).not.toHaveProperty('measuredMetric');
  });

  it('names what is wrong by the spec path the service would use', () => {
    const bad = { ...newParameter('exitRoundTripNs'), minText: '9000', maxText: '100', initialText: 'x' };
    const { errors } = buildSpec(
      draftWith({
        maxIterationsText: '2.5',
        points: [newPoint('value', { valueText: '-3', weightText: '0', overridesText: 'guest.kernel' }), newPoint('run')],
        parameters: [bad],
      }),
    );
    expect(errors).toEqual({
      'spec.parameters.exitRoundTripNs.max': 'must be more than min',
      'spec.parameters.exitRoundTripNs.initial': 'must be a number',
      'spec.points.0.scenario.overrides': 'line 1: write path=value, e.g. guest.kernel=6.8',
      'spec.points.0.value': 'must be above 0',
      'spec.points.0.weight': 'must be above 0',
      'spec.points.1.run': 'choose a measured run',
      'spec.maxIterations': 'must be an integer',
    });
  });

  it('checks an initial value against the bounds', () => {
    const p = { ...newParameter('exitRoundTripNs'), initialText: '50000' };
    expect(buildSpec(draftWith({ parameters: [p] })).errors).toEqual({ 'spec.parameters.exitRoundTripNs.initial': 'must lie within [min, max]' });
  });
});

describe('form helpers', () => {
  it('parses override lines and names the bad ones', () => {
    expect(parseOverrides('a.b=1\n\nc=x=y')).toEqual({ overrides: ['a.b=1', 'c=x=y'], error: undefined });
    expect(parseOverrides('ok=1\n=2\nnope').error).toBe('line 2: write path=value, e.g. guest.kernel=6.8; line 3: write path=value, e.g. guest.kernel=6.8');
  });

  it('bounds a cost a factor of 4 either way, rounded outward to two digits', () => {
    expect(defaultBounds(5298)).toEqual({ min: 1300, max: 22000 });
    expect(defaultBounds(450)).toEqual({ min: 110, max: 1800 });
    expect(defaultBounds(30)).toEqual({ min: 7.5, max: 120 });
    expect(defaultBounds(40)).toEqual({ min: 10, max: 160 });
  });

  it('says what is missing before the service is asked', () => {
    expect(missingParts(emptyDraft(''))).toEqual(['add at least one point (a measured run or a published value)', 'pick at least one cost to fit', 'name the profile']);
    expect(missingParts(draftWith({ points: [newPoint('value', { scenarioUnknown: true })], parameters: [newParameter('kvmExitNs')] }))).toEqual([
      'choose the scenario of point 1 (the stored fit gave it as a whole config)',
    ]);
  });

  it('picks a profile name not yet taken', () => {
    const day = new Date(2026, 10, 3);
    expect(freshProfileName([], day)).toBe('fit-2026-11-03');
    expect(freshProfileName(['fit-2026-11-03', 'fit-2026-11-03-2'], day)).toBe('fit-2026-11-03-3');
  });
});

describe('routing service errors', () => {
  const draft = draftWith({ points: [newPoint('run', { run: 'zzzz' }), newPoint('value', { valueText: '3' })], parameters: [newParameter('exitRoundTripNs')] });
  const shown = shownPaths(draft);

  it('puts each error next to the input it names', () => {
    const routed = routeSpecErrors(
      [
        { path: 'spec.points.0.run', message: 'run zzzz not found' },
        { path: 'spec.parameters.exitRoundTripNs.max', message: 'min must be less than max' },
        { path: 'spec.points.1.scenario.preset', message: 'unknown preset "bad"' },
        { path: 'spec.baseProfile', message: 'unknown cost profile "nope"' },
        { path: 'spec.points', message: '2 costs cannot be fitted to 1 point' },
      ],
      shown,
    );
    expect(routed).toEqual({
      byPath: {
        'spec.points.0.run': 'run zzzz not found',
        'spec.parameters.exitRoundTripNs.max': 'min must be less than max',
        'spec.points.1.scenario.preset': 'unknown preset "bad"',
        'spec.baseProfile': 'unknown cost profile "nope"',
        'spec.points': '2 costs cannot be fitted to 1 point',
      },
      general: [],
    });
  });

  it("sends a point's scenario field errors to its overrides, with the field named, and joins two on one input", () => {
    const routed = routeSpecErrors(
      [
        { path: 'spec.points.1.scenario.guest.kernel', message: 'expected MAJOR.MINOR' },
        { path: 'spec.points.1.scenario.costs.exitRoundTripNs', message: "is being fitted; leave it out of the point's scenario" },
        { path: 'spec.points.0.scenario.overrides.2', message: 'override must look like path=value' },
      ],
      shown,
    );
    expect(routed.byPath).toEqual({
      'spec.points.1.scenario.overrides': "guest.kernel: expected MAJOR.MINOR; costs.exitRoundTripNs: is being fitted; leave it out of the point's scenario",
      'spec.points.0.scenario.overrides': 'override must look like path=value',
    });
  });

  it('summarizes what the form has no input for', () => {
    // A measured metric on a published value, an unknown field, a point that is not there.
    const routed = routeSpecErrors(
      [
        { path: 'spec.points.1.measuredMetric', message: 'not for values' },
        { path: 'spec', message: 'Unrecognized key: "extra"' },
        { path: 'spec.points.7.scenario.guest.kernel', message: 'bad' },
      ],
      shown,
    );
    expect(routed).toEqual({ byPath: {}, general: ['spec.points.1.measuredMetric: not for values', 'spec: Unrecognized key: "extra"', 'spec.points.7.scenario.guest.kernel: bad'] });
  });

  it('turns an error without fields into one summary line', () => {
    expect(routeSpecError(Object.assign(new Error('lost the connection'), { code: 'unavailable' }), shown)).toEqual({ byPath: {}, general: ['lost the connection'] });
  });
});

describe('draftFromReport', () => {
  const report: CalibrationReport = {
    profile: 'rx-fit',
    baseProfile: null,
    modelVersion: '1.0.0',
    parameters: [
      { name: 'exitRoundTripNs', min: 1300, max: 21000, tableValue: 5298, initial: 5298, fitted: 21000, atBound: 'max' },
      { name: 'kvmExitNs', min: 100, max: 2000, tableValue: 450, initial: 600, fitted: 700, atBound: null },
    ],
    points: [
      { label: 'seed-before-fix vs c551678e', run: 'c551678e-40a3', source: null, metric: 'throughputGbps', measuredMetric: 'receivedGbps', weight: 1, scenario: { preset: 'seed-before-fix', overrides: ['durationMs=100', 'guest.vcpus=8'] }, observed: 19.2, initialSimulated: 39.3, fittedSimulated: 27.5, relativeResidual: 0.43 },
      { label: 'seed-after-fix = 51', run: null, source: 'paper', metric: 'throughputGbps', measuredMetric: null, weight: 2, scenario: { config: { workload: { streams: 8 } } }, observed: 51, initialSimulated: 50.98, fittedSimulated: 50.93, relativeResidual: -0.0013 },
    ],
    rmsBefore: 0.74,
    rmsAfter: 0.31,
    iterations: 10,
    evaluations: 5,
    elapsedMs: 352,
    costs: { exitRoundTripNs: 21000, kvmExitNs: 700 },
  };

  it('refills the costs, bounds, points and scenarios; a scenario given as a config must be chosen again', () => {
    const draft = draftFromReport(report, { description: 'first fit' });
    expect(draft).toMatchObject({ profile: 'rx-fit', description: 'first fit', baseProfile: '', replace: true });
    expect(draft.parameters).toEqual([
      { name: 'exitRoundTripNs', minText: '1300', maxText: '21000', initialText: '' },
      { name: 'kvmExitNs', minText: '100', maxText: '2000', initialText: '600' },
    ]);
    expect(draft.points.map(({ key: _key, ...p }) => p)).toEqual([
      { kind: 'run', run: 'c551678e-40a3', valueText: '', source: '', label: 'seed-before-fix vs c551678e', preset: 'seed-before-fix', overridesText: 'durationMs=100\nguest.vcpus=8', metric: 'throughputGbps', measuredMetric: 'receivedGbps', weightText: '1', scenarioUnknown: false },
      { kind: 'value', run: '', valueText: '51', source: 'paper', label: 'seed-after-fix = 51', preset: '', overridesText: '', metric: 'throughputGbps', measuredMetric: '', weightText: '2', scenarioUnknown: true },
    ]);
    expect(missingParts(draft)).toEqual(['choose the scenario of point 2 (the stored fit gave it as a whole config)']);
    expect(buildSpec(draft).errors).toEqual({});
    expect(buildSpec(draft).spec?.points[0]?.scenario).toEqual({ preset: 'seed-before-fix', overrides: ['durationMs=100', 'guest.vcpus=8'] });
  });
});
