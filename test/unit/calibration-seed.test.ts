// The calibration fitter against the table's own calibration: fitted to the
// published figures of the validation table's fitted rows from the middle of
// the bounds (the spec of `npm run calibrate`), it must land on the values the
// table holds, so the table is what the fit gives for this model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COST_TABLE, type CostName } from '../../core/model/costs.ts';
import { runCalibration } from '../../service/calibration/fit.ts';
import { prepareCalibration } from '../../service/calibration/prepare.ts';
import { ServiceError } from '../../service/errors.ts';
import { publishedCalibrationSpec } from '../../bench/calibration-spec.ts';

test('from the middle of the bounds, the joint fit to the published rows finds the calibrated table values', () => {
  const spec = publishedCalibrationSpec();
  const prepared = prepareCalibration(spec, {
    getRun: () => {
      throw new ServiceError('not_found', 'no journal');
    },
    getProfileCosts: () => undefined,
  });
  const out = runCalibration(prepared.job);
  prepared.job.parameters.forEach((p, i) => {
    const fitted = out.values[i]!;
    const table = COST_TABLE[p.name as CostName].valueNs;
    // The table holds the fit rounded to 1 ns; the fitter's own tolerance allows about 1%.
    assert.ok(Math.abs(fitted / table - 1) <= 0.01, `${p.name}: fitted ${fitted}, table ${table}`);
  });
  spec.points.forEach((p, i) => {
    assert.ok(Math.abs(out.fittedSimulated[i]! / p.value - 1) <= 0.05, `${p.label}: ${out.fittedSimulated[i]}`);
  });
  assert.ok(out.initialSimulated.some((v, i) => Math.abs(v / spec.points[i]!.value - 1) > 0.2), 'the start is far from the answer');
});
