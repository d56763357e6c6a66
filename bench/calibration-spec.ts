// What `npm run calibrate` fits, shared with the test that checks the table
// against it: the calibrated costs, their bounds and starting points, and one
// point per fitted row of the validation table.
import type { CostName } from '../core/model/costs.ts';
import type { JsonObject } from '../service/protocol/json.ts';
import { rowScenario, VALIDATION_ROWS } from '../core/model/validation.ts';

// Start from the middle of the bounds, not from the table, so the fit shows it finds its values on its own.
export const PARAMETERS: Partial<Record<CostName, { min: number; max: number; initial: number }>> = {
  rxPacketNs: { min: 100, max: 4000, initial: 2000 },
  exitRoundTripNs: { min: 500, max: 20000, initial: 10000 },
  txSkbNs: { min: 200, max: 20000, initial: 10000 },
  lazyGatherTrackingNs: { min: 0, max: 10000, initial: 5000 },
};

/** The calibration spec: the table's calibrated costs against the fitted rows of the validation table. */
export function publishedCalibrationSpec() {
  // The NVMe rows fit NVMe- and SMMUv3-only values one point each (core/model/validation.ts), not this joint fit.
  const fittedRows = VALIDATION_ROWS.filter((r) => r.basis === 'fitted' && r.expression.kind !== 'iops');
  return {
    profile: 'published',
    parameters: PARAMETERS,
    points: fittedRows.map((r) => {
      if (r.expression.kind !== 'throughput') throw new Error(`fitted row ${r.id} must be a throughput row`);
      return {
        label: `${r.id} = ${r.value} ${r.unit}`,
        value: r.value,
        source: r.source,
        metric: 'throughputGbps',
        weight: 1,
        scenario: { config: rowScenario(r.expression.scenario) as JsonObject },
      };
    }),
    maxIterations: 80,
  };
}

