// Guest-kernel IOMMU policy resolver: kernel generation, Kconfig, command
// line and vIOMMU capabilities -> default DMA domain, strictness and dmesg.

export type {
  DomainType,
  Generation,
  KconfigDefault,
  KernelVersion,
  PageTable,
  PolicyDecision,
  PolicyInput,
  PolicyReason,
  ViommuCaps,
} from './types.ts';
export type { CmdlineParam, ParsedCmdline } from './cmdline.ts';
export { parseCmdline } from './cmdline.ts';
export { kernelFacts, kernelGeneration } from './kernel-facts.ts';
export type { DmaPathFacts, IovaDepotRule, KernelFacts } from './kernel-facts.ts';
export { parseKernelVersion } from './version.ts';
export { resolvePolicy } from './resolve.ts';
export { resolveSmmuV3Policy, resolveVirtioIommuPolicy, virtioIommuDeferredFlush, VIRTIO_DEFERRED_FLUSH_COMMIT } from './virtio-iommu.ts';
export { formatDecision, kernelDomainType } from './format.ts';
