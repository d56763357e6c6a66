// Bare metal: the guest is the host; invalidations go to the IOMMU's
// invalidation queue, which serves descriptors one after another, and the CPU
// spins on the wait descriptor. VT-d: the invalidation queue with a wait
// descriptor (qi_submit_sync); SMMUv3: TLBI commands plus CMD_SYNC on the
// command queue, whose producer side all CPUs share (arm_smmu_cmdq_issue_cmdlist).
import { NO_COST, type BackendFactory, type OpCost } from './types.ts';

export const noneBackend: BackendFactory = (costs, opts) => {
  const serviceNs = opts.hardware === 'smmuv3' ? costs.smmuCmdqSyncNs : costs.hwInvalidationNs;
  const hw: OpCost = {
    faults: 0,
    faultNs: 0,
    submission: { kind: 'hardware', exit: null, submitNs: 0, invalidateNs: serviceNs, deviceTlbNs: serviceNs },
  };
  return {
    id: 'none',
    describe: `bare metal: ${opts.hardware === 'smmuv3' ? 'SMMUv3 command queue (CMD_SYNC)' : 'VT-d invalidation queue (wait descriptor)'} served in order, no exits`,
    map: () => NO_COST,
    pteClear: () => NO_COST,
    strictInvalidate: () => hw,
    flush: () => hw,
  };
};
