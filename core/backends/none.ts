// Bare metal: the guest is the host; invalidations go to real hardware and the
// CPU spins on the wait descriptor.
import { NO_COST, type BackendFactory } from './types.ts';

export const noneBackend: BackendFactory = (costs) => {
  const hw = { guestNs: costs.hwInvalidationNs, guestCategory: 'hwInvalidation', faults: 0, exit: null, invalidation: 'hardware' } as const;
  return {
    id: 'none',
    describe: 'bare metal: hardware invalidation plus wait, no exits',
    map: () => NO_COST,
    pteClear: () => NO_COST,
    strictInvalidate: () => hw,
    flush: () => hw,
  };
};
