// The simulator's cost table as the UI shows it: each cost's built-in value,
// what it stands for and where the value comes from (the contract carries the
// table as data).
import { COST_NAMES, COST_TABLE, type CostName } from '../../../service/protocol/index.ts';

export type { CostName };
export { COST_NAMES };
export const COSTS = COST_TABLE;

export function isCostName(name: string): name is CostName {
  return Object.hasOwn(COSTS, name);
}

/** The unit of a cost from its name: most are ns per event, one is ns per KiB. */
export function costUnit(name: string): string {
  return name.endsWith('NsPerKiB') ? 'ns/KiB' : 'ns';
}

export interface CostRow {
  name: string;
  tableValue: number | null;
  value: number;
  /** value / tableValue; null for a cost the table does not know (a profile from a newer model). */
  ratio: number | null;
  basis: string | null;
  description: string | null;
}

/** The costs a profile sets, in table order (unknown names after), each against the table. */
export function profileCostRows(costs: Record<string, number>): CostRow[] {
  const known = COST_NAMES.filter((n) => costs[n] !== undefined);
  const unknown = Object.keys(costs).filter((n) => !isCostName(n)).sort();
  return [...known, ...unknown].map((name) => {
    const value = costs[name] as number;
    const info = isCostName(name) ? COSTS[name] : null;
    return {
      name,
      tableValue: info?.valueNs ?? null,
      value,
      ratio: info && info.valueNs > 0 ? value / info.valueNs : null,
      basis: info?.basis ?? null,
      description: info?.description ?? null,
    };
  });
}

/** Two significant digits, rounded down (floor) or up (ceil): bounds that read as chosen, not computed. */
function round2(v: number, dir: 'down' | 'up'): number {
  if (v <= 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(v)) - 1);
  const n = dir === 'down' ? Math.floor(v / step + 1e-9) : Math.ceil(v / step - 1e-9);
  // Through toPrecision: 0.1-steps would otherwise print as 7.500000000000001.
  return Number((n * step).toPrecision(12));
}

/** Default search bounds around a starting value: a factor of 4 either way, rounded outward. */
export function defaultBounds(value: number): { min: number; max: number } {
  return { min: round2(value / 4, 'down'), max: round2(value * 4, 'up') };
}

/** A cost in ns as people compare them: whole nanoseconds from 100 up (5298, 21192), three digits below (0.75, 37.5). */
export function formatCost(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '–';
  if (Math.abs(ns) >= 100) return String(Math.round(ns));
  return String(Number(ns.toPrecision(3)));
}
