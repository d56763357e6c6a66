import type { Costs } from '../model/costs.ts';
import type { VmmPathKind } from '../model/effective.ts';
import type { Backend } from '../model/scenario.ts';
import { nestedFlBackend } from './nested-fl.ts';
import { noneBackend } from './none.ts';
import { shadowFlWpBackend } from './shadow-fl-wp.ts';
import { shadowSlBackend } from './shadow-sl.ts';
import { NO_COST, type BackendFactory, type BackendModel } from './types.ts';

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

// No DMA remapping or an identity domain: nothing to price (passthrough
// never asks; a strict or lazy estimate on such a guest costs no IOMMU work).
const identityBackend: BackendModel = {
  id: 'none',
  describe: 'no DMA remapping: no IOMMU work',
  map: () => NO_COST,
  pteClear: () => NO_COST,
  strictInvalidate: () => NO_COST,
  flush: () => NO_COST,
};

/** The backend that prices a run's effective VMM path (model/effective.ts), not the host's label. */
export function backendForPath(path: VmmPathKind, costs: Costs): BackendModel {
  return path === 'identity' ? identityBackend : createBackend(path, costs);
}
