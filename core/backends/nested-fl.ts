// First-level table used directly by the host IOMMU (nested translation):
// maps need no exit; every invalidation descriptor the guest submits is
// forwarded as one host invalidation plus wait, whatever the size of the table.
import { exitCost, NO_COST, type BackendFactory } from './types.ts';

export const nestedFlBackend: BackendFactory = (c) => ({
  id: 'nested-fl',
  describe: 'first level nested in the host IOMMU: invalidations forwarded, maps free',
  map: () => NO_COST,
  pteClear: () => NO_COST,
  strictInvalidate: () => exitCost('pasid-unmap', 'pasid', c.qiHandleNs, c.hostInvalidationNs, c.hostInvalidationNs),
  flush: () => exitCost('pasid-flush', 'pasid', c.qiHandleNs, c.hostInvalidationNs, c.hostInvalidationNs),
});
