// Where a service error about a calibration spec belongs on the Calibrate
// form. The service names the spec field (`spec.points.0.run`,
// `spec.parameters.exitRoundTripNs.max`); errors inside a point's scenario
// (`spec.points.1.scenario.guest.kernel`) come from its preset or override
// lines, so they go to the overrides box with the field named. What the form
// has no input for goes to a summary.
import { toErrorData } from '../form/errors.ts';
import type { SpecErrors } from './spec.ts';

export interface RoutedSpecErrors {
  /** Spec path of an input -> message. */
  byPath: SpecErrors;
  /** Lines for the summary box: errors no input owns. */
  general: string[];
}

const SCENARIO_FIELD = /^(spec\.points\.\d+\.scenario)\.(.+)$/;

function add(map: SpecErrors, path: string, message: string): void {
  const prev = map[path];
  map[path] = prev === undefined || prev === message ? message : `${prev}; ${message}`;
}

export function routeSpecErrors(errors: readonly { path: string; message: string }[], shown: ReadonlySet<string>): RoutedSpecErrors {
  const out: RoutedSpecErrors = { byPath: {}, general: [] };
  for (const { path, message } of errors) {
    const inScenario = SCENARIO_FIELD.exec(path);
    if (inScenario) {
      const [, scenario, rest] = inScenario as unknown as [string, string, string];
      if (rest === 'preset' && shown.has(path)) add(out.byPath, path, message);
      else if (shown.has(`${scenario}.overrides`)) add(out.byPath, `${scenario}.overrides`, rest.startsWith('overrides') ? message : `${rest}: ${message}`);
      else out.general.push(`${path}: ${message}`);
      continue;
    }
    if (shown.has(path)) add(out.byPath, path, message);
    else out.general.push(path ? `${path}: ${message}` : message);
  }
  return out;
}

/** Whatever a call threw, routed; an error without fields becomes one summary line. */
export function routeSpecError(err: unknown, shown: ReadonlySet<string>): RoutedSpecErrors {
  const data = toErrorData(err);
  if (data.fields && data.fields.length) return routeSpecErrors(data.fields, shown);
  return { byPath: {}, general: [data.message] };
}
