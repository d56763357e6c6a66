// Bare metal: the guest is the host; invalidations go to the IOMMU's
// invalidation queue, which serves descriptors one after another, and the CPU
// spins on the wait descriptor.
import { NO_COST, type BackendFactory, type OpCost } from './types.ts';

export const noneBackend: BackendFactory = (costs) => {
  const hw: OpCost = {
    faults: 0,
    faultNs: 0,
    submission: { kind: 'hardware', exit: null, submitNs: 0, invalidateNs: costs.hwInvalidationNs, deviceTlbNs: costs.hwInvalidationNs },
  };
  return {
    id: 'none',
    describe: 'bare metal: hardware invalidation queue served in order, no exits',
    map: () => NO_COST,
    pteClear: () => NO_COST,
    strictInvalidate: () => hw,
    flush: () => hw,
  };
};
