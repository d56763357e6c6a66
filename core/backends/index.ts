import type { Costs } from '../model/costs.ts';
import type { Backend } from '../model/scenario.ts';
import { nestedFlBackend } from './nested-fl.ts';
import { noneBackend } from './none.ts';
import { shadowFlWpBackend } from './shadow-fl-wp.ts';
import { shadowSlBackend } from './shadow-sl.ts';
import type { BackendFactory, BackendModel } from './types.ts';

export * from './types.ts';
export { fullWalkEntries } from './shadow-sl.ts';

const FACTORIES: Record<Backend, BackendFactory> = {
  none: noneBackend,
  'shadow-sl': shadowSlBackend,
  'nested-fl': nestedFlBackend,
  'shadow-fl-wp': shadowFlWpBackend,
};

export function createBackend(id: Backend, costs: Costs): BackendModel {
  return FACTORIES[id](costs);
}
