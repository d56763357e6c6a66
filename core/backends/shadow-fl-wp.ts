// First-level table shadowed by write-protecting the guest's table pages:
// every PTE write or clear faults into the hypervisor (in the kernel, not
// QEMU), which updates the shadow; only the invalidation itself goes to the
// VMM, so lazy mode batches the invalidation exits but not the faults.
import { exitCost, type BackendFactory, type OpCost } from './types.ts';

export const shadowFlWpBackend: BackendFactory = (c) => {
  const faults = (pages: number): OpCost => ({ faults: pages, faultNs: pages * (c.kvmExitNs + c.wpFaultNs), submission: null });
  return {
    id: 'shadow-fl-wp',
    describe: 'first level shadowed by write protection: a fault per PTE write',
    map: faults,
    pteClear: faults,
    strictInvalidate: () => exitCost('pasid-unmap', 'pasid', c.qiHandleNs, c.hostInvalidationNs, c.hostInvalidationNs),
    flush: () => exitCost('pasid-flush', 'pasid', c.qiHandleNs, c.hostInvalidationNs, c.hostInvalidationNs),
  };
};
