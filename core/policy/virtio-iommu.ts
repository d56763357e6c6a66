// The default DMA domain of a device behind virtio-iommu
// (drivers/iommu/virtio-iommu.c). The generic iommu core rules apply (Kconfig,
// iommu.passthrough=, iommu.strict=, untrusted devices); VT-d's rules do not:
// no caching mode, no scalable mode, no intel_iommu= parameters. Lazy needs
// the driver's flush_iotlb_all and IOMMU_CAP_DEFERRED_FLUSH, which arrived in
// v6.7 ("iommu/virtio: Add ops->flush_iotlb_all and enable deferred flush",
// Schnelle); the same patch sets shadow_on_flush, so lazy domains get the
// single flush queue. Before v6.7 a DMA_FQ request ends in a strict DMA
// domain: viommu_domain_alloc() refuses DMA_FQ (v5.15 to v6.4, the core then
// allocates DMA), and from v6.5 the core demotes DMA_FQ without the capability.
import { resolvePolicy } from './resolve.ts';
import type { PolicyDecision, PolicyInput } from './types.ts';
import { atLeast, parseKernelVersion } from './version.ts';

export const VIRTIO_DEFERRED_FLUSH_COMMIT = '"iommu/virtio: Add ops->flush_iotlb_all and enable deferred flush" (v6.7)';

const VTD_ONLY_SOURCES = /^(intel_iommu|CONFIG_INTEL|first_level_by_default|init_dmars|domain_use_flush_queue)/;

/** Whether this guest kernel's virtio-iommu driver supports deferred flush (lazy). */
export function virtioIommuDeferredFlush(kernel: string): boolean {
  const v = parseKernelVersion(kernel);
  return atLeast(v, 6, 7);
}

/**
 * The iommu core's decision for a driver other than VT-d: Kconfig, iommu.*=,
 * untrusted devices; VT-d's reasons and dmesg lines dropped, intel_iommu=
 * tokens ignored (that driver is not there).
 */
export function resolveWithoutVtd(input: Omit<PolicyInput, 'caps'>): { core: PolicyDecision; reasons: PolicyDecision['reasons']; log: string[]; ignored: string[] } {
  const tokens = input.cmdline.split(/\s+/).filter(Boolean);
  const intelTokens = tokens.filter((t) => t.startsWith('intel_iommu='));
  const cmdline = tokens.filter((t) => !t.startsWith('intel_iommu=')).join(' ');
  // Without any VT-d capability: no caching mode can force strict.
  const core = resolvePolicy({ ...input, cmdline, caps: { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: true } });
  return {
    core,
    reasons: core.reasons.filter((r) => !VTD_ONLY_SOURCES.test(r.source)),
    log: core.log.filter((line) => !line.startsWith('DMAR:')),
    ignored: [...core.ignored, ...intelTokens],
  };
}

export function resolveVirtioIommuPolicy(input: Omit<PolicyInput, 'caps'>): PolicyDecision {
  const { core, reasons, log, ignored } = resolveWithoutVtd(input);
  const deferred = virtioIommuDeferredFlush(input.kernel);
  let { domainType, strict } = core;
  if (domainType === 'dma-fq' && !deferred) {
    domainType = 'dma';
    strict = true;
    reasons.push({ source: 'virtio-iommu', text: `no flush_iotlb_all and no IOMMU_CAP_DEFERRED_FLUSH before ${VIRTIO_DEFERRED_FLUSH_COMMIT}: the DMA_FQ default ends in a strict DMA domain` });
  } else if (domainType === 'dma-fq') {
    reasons.push({ source: 'virtio-iommu', text: `IOMMU_CAP_DEFERRED_FLUSH and shadow_on_flush (${VIRTIO_DEFERRED_FLUSH_COMMIT}): lazy with the single flush queue` });
  } else if (domainType === 'dma') {
    reasons.push({ source: 'virtio-iommu', text: 'strict: every unmap is an UNMAP request followed by a sync (kick and wait)' });
  }
  reasons.push({ source: 'virtio-iommu', text: 'no guest I/O page table: each map and unmap is a MAP or UNMAP request on the request virtqueue; no caching mode exists' });
  return {
    ...core,
    domainType,
    strict,
    scalableMode: false,
    pageTable: 'none',
    dmaPageTable: 'none',
    forcedStrict: false,
    reasons,
    log,
    ignored,
  };
}

/**
 * Bare-metal SMMUv3 (drivers/iommu/arm/arm-smmu-v3): the iommu core's rules
 * only. The driver supports the flush queue (non-strict mode since v5.0,
 * DMA_FQ from v5.15, IOMMU_CAP_DEFERRED_FLUSH from v6.5), and DMA domains use
 * a stage-1 table.
 */
export function resolveSmmuV3Policy(input: Omit<PolicyInput, 'caps'>): PolicyDecision {
  const { core, reasons, log, ignored } = resolveWithoutVtd(input);
  reasons.push({ source: 'arm-smmu-v3', text: 'no caching mode or VT-d rule: the Kconfig and iommu.strict= choice stands (arm64 defaults to CONFIG_IOMMU_DEFAULT_DMA_STRICT); DMA domains use a stage-1 table' });
  const translated = core.domainType !== 'identity';
  return {
    ...core,
    scalableMode: false,
    pageTable: translated && core.dmaRemapping ? 'first-level' : 'none',
    dmaPageTable: core.dmaRemapping ? 'first-level' : 'none',
    forcedStrict: false,
    reasons,
    log,
    ignored,
  };
}
