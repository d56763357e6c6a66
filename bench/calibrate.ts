// Fits the table's calibrated costs to the fitted rows of the validation table
// (core/model/validation.ts) with the same fitter as `iommu-lab calibrate`,
// one shared cost table for all of them:
//   rxPacketNs       per received segment: moves both receive rows,
//   exitRoundTripNs  the exit to QEMU: moves strict receive much more than lazy,
//   txSkbNs          per TSO skb on send: moves the send row.
// Every other cost stays at its documented estimate; the predicted rows are
// never fitted (printed afterwards as a check).
// Run: npm run calibrate            prints the fit as JSON
//      npm run calibrate -- --write also writes the fitted values into core/model/costs.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COST_TABLE, type CostName } from '../core/model/costs.ts';
import { PARAMETERS, publishedCalibrationSpec } from './calibration-spec.ts';
import { buildReport, prepareCalibration } from '../service/calibration/prepare.ts';
import { runCalibration } from '../service/calibration/fit.ts';
import { ServiceError } from '../service/errors.ts';

const spec = publishedCalibrationSpec();

const noJournal = {
  getRun: () => {
    throw new ServiceError('not_found', 'no journal here');
  },
  getProfileCosts: () => undefined,
};
const prepared = prepareCalibration(spec, noJournal);
const report = buildReport(spec, prepared, runCalibration(prepared.job));
const fitted = Object.fromEntries(report.parameters.map((p) => [p.name, Math.round(p.fitted)])) as Record<string, number>;

console.log(
  JSON.stringify(
    {
      fitted,
      table: Object.fromEntries(Object.keys(PARAMETERS).map((n) => [n, COST_TABLE[n as CostName].valueNs])),
      atBound: report.parameters.filter((p) => p.atBound).map((p) => `${p.name} (${p.atBound})`),
      points: report.points.map((p) => ({ label: p.label, observed: p.observed, simulated: +p.fittedSimulated.toFixed(3), residual: `${(p.relativeResidual * 100).toFixed(3)}%` })),
      rmsBefore: report.rmsBefore,
      rmsAfter: report.rmsAfter,
      iterations: report.iterations,
      evaluations: report.evaluations,
      elapsedMs: Math.round(report.elapsedMs),
    },
    null,
    2,
  ),
);

if (process.argv.includes('--write')) {
  const path = fileURLToPath(new URL('../core/model/costs.ts', import.meta.url));
  let text = readFileSync(path, 'utf8');
  for (const [name, value] of Object.entries(fitted)) {
    // The entry's first valueNs line: `  name: {\n    valueNs: N,`
    const entry = new RegExp(`(\\n  ${name}: \\{\\n    valueNs: )[0-9.]+(,)`);
    if (!entry.test(text)) throw new Error(`costs.ts: no entry for ${name}`);
    text = text.replace(entry, `$1${value}$2`);
  }
  writeFileSync(path, text);
  console.error(`wrote ${Object.entries(fitted).map(([n, v]) => `${n}=${v}`).join(', ')} into core/model/costs.ts`);
}
