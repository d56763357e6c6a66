// First-level table used directly by the host IOMMU (nested translation):
// maps need no exit; every invalidation the guest submits is forwarded as one
// host invalidation plus wait, whatever the size of the table.
import { exitCost, NO_COST, type BackendFactory } from './types.ts';

export const nestedFlBackend: BackendFactory = (c) => {
  const forwarded = c.qiHandleNs + c.hostInvalidationNs; // one descriptor, one device
  return {
    id: 'nested-fl',
    describe: 'first level nested in the host IOMMU: invalidations forwarded, maps free',
    map: () => NO_COST,
    pteClear: () => NO_COST,
    strictInvalidate: () => exitCost('pasid-unmap', forwarded, 'pasid'),
    flush: () => exitCost('pasid-flush', forwarded, 'pasid'),
  };
};
