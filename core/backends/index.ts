import type { Costs } from '../model/costs.ts';
import type { VmmPathKind } from '../model/effective.ts';
import type { Backend } from '../model/scenario.ts';
import { nestedFlBackend } from './nested-fl.ts';
import { noneBackend } from './none.ts';
import { shadowFlWpBackend } from './shadow-fl-wp.ts';
import { shadowSlBackend } from './shadow-sl.ts';
import { virtioIommuBackend } from './virtio-iommu.ts';
import { DEFAULT_BACKEND_OPTIONS, NO_COST, type BackendFactory, type BackendModel, type BackendOptions } from './types.ts';

export * from './types.ts';
export { fullWalkEntries } from './shadow-sl.ts';

const FACTORIES: Record<Backend, BackendFactory> = {
  none: noneBackend,
  'shadow-sl': shadowSlBackend,
  'nested-fl': nestedFlBackend,
  'shadow-fl-wp': shadowFlWpBackend,
  'virtio-iommu': virtioIommuBackend,
};

/** A fresh backend for one run (virtio-iommu keeps the requests queued since its last sync). */
export function createBackend(id: Backend, costs: Costs, opts: BackendOptions = DEFAULT_BACKEND_OPTIONS): BackendModel {
  return FACTORIES[id](costs, opts);
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
export function backendForPath(path: VmmPathKind, costs: Costs, opts: BackendOptions = DEFAULT_BACKEND_OPTIONS): BackendModel {
  return path === 'identity' ? identityBackend : createBackend(path, costs, opts);
}
