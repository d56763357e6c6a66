// A sweep spec expanded into its runs: every combination of the grid's
// values (in the order the grid lists its fields), times N seeds. Every
// scenario is validated before anything is journaled.
import { parseScenario, ScenarioError, setPath, type FieldError, type Scenario } from '../core/index.ts';
import { MAX_SWEEP_RUNS, type SweepSpec } from './protocol/methods.ts';
import { ServiceError } from './errors.ts';
import { safeResolveScenario, scenarioInput, type CostProfiles } from './scenarios.ts';

// A sweep larger than MAX_SWEEP_RUNS (protocol) is almost certainly a typo in the grid.
export { MAX_SWEEP_RUNS };

export interface SweepRun {
  name: string;
  scenario: Scenario;
  /** The grid values of this point, `path=value`. */
  point: string[];
}

export interface ExpandedSweep {
  points: number;
  runs: SweepRun[];
}

type GridValue = string | number | boolean;

function* combinations(grid: [string, GridValue[]][]): Generator<[string, GridValue][]> {
  if (grid.length === 0) {
    yield [];
    return;
  }
  const [[path, values], ...rest] = grid as [[string, GridValue[]], ...[string, GridValue[]][]];
  for (const v of values) for (const tail of combinations(rest)) yield [[path, v], ...tail];
}

export function expandSweep(spec: Required<Pick<SweepSpec, 'base' | 'grid' | 'seeds'>> & { name?: string | undefined }, profiles: CostProfiles): ExpandedSweep {
  const grid = Object.entries(spec.grid);
  const points = grid.reduce((n, [, values]) => n * values.length, 1);
  const total = points * spec.seeds;
  if (total > MAX_SWEEP_RUNS) {
    throw ServiceError.invalid([{ path: 'spec.grid', message: `expands to ${total} runs (${points} points x ${spec.seeds} seeds); at most ${MAX_SWEEP_RUNS} allowed` }]);
  }
  let base: unknown;
  try {
    base = scenarioInput(spec.base);
  } catch (err) {
    if (err instanceof ScenarioError) throw ServiceError.invalid(err.fields, 'spec.base');
    throw err;
  }
  const runs: SweepRun[] = [];
  const errors: FieldError[] = [];
  for (const combo of combinations(grid)) {
    let input = base;
    for (const [path, value] of combo) input = setPath(input, path.split('.'), value);
    const parsed = safeResolveScenario(input, profiles);
    const point = combo.map(([p, v]) => `${p}=${v}`);
    if (!parsed.ok) {
      // Name the grid entry when a grid value is at fault, else the base field.
      for (const e of parsed.errors) {
        const gridPath = combo.find(([p]) => e.path === p || e.path.startsWith(`${p}.`))?.[0];
        errors.push({ path: gridPath ? `spec.grid.${gridPath}` : `spec.base.${e.path}`, message: `${e.message}${point.length ? ` (at ${point.join(', ')})` : ''}` });
      }
      continue;
    }
    const label = [spec.name ?? parsed.scenario.name ?? 'sweep', ...point].join(' ');
    for (let i = 0; i < spec.seeds; i++) {
      const seed = parsed.scenario.seed + i;
      const scenario = i === 0 ? parsed.scenario : parseScenario({ ...parsed.scenario, seed });
      runs.push({ name: spec.seeds > 1 ? `${label} seed=${seed}` : label, scenario, point });
    }
  }
  if (errors.length) throw ServiceError.invalid(dedupe(errors));
  return { points, runs };
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
