// First-level table shadowed by write-protecting the guest's table pages:
// every PTE write or clear faults into the hypervisor, which updates the
// shadow; only the invalidation itself goes to the VMM, so lazy mode batches
// the invalidation exits but not the faults.
import { exitCost, type BackendFactory, type OpCost } from './types.ts';

export const shadowFlWpBackend: BackendFactory = (c) => {
  const faults = (pages: number): OpCost => ({
    guestNs: pages * (c.kvmExitNs + c.wpFaultNs),
    guestCategory: 'wpFault',
    faults: pages,
    exit: null,
    invalidation: null,
  });
  const forwarded = c.qiHandleNs + c.hostInvalidationNs;
  return {
    id: 'shadow-fl-wp',
    describe: 'first level shadowed by write protection: a fault per PTE write',
    map: faults,
    pteClear: faults,
    strictInvalidate: () => exitCost('pasid-unmap', forwarded, 'pasid'),
    flush: () => exitCost('pasid-flush', forwarded, 'pasid'),
  };
};
