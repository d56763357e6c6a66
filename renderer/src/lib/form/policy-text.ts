// Words for the guest kernel's decision as `scenario.preview` returns it:
// which default domain the kernel picks, whether the scenario overrode it,
// and which of the kernel's steps decided.
import { kernelDomainType } from '../../../../service/protocol/index.ts';
import type { PolicyDecision, PolicyReason } from '../types.ts';

export type { PolicyDecision, PolicyReason };

const MODE_WORDS: Record<PolicyDecision['domainType'], string> = {
  identity: 'passthrough',
  dma: 'strict',
  'dma-fq': 'lazy, flush queue',
};

/** The default domain as the guest kernel names it: before v5.15 lazy is a non-strict IOMMU_DOMAIN_DMA, there is no IOMMU_DOMAIN_DMA_FQ. */
export function domainTypeText(decision: Pick<PolicyDecision, 'domainType' | 'kernel'>): string {
  return `${kernelDomainType(decision)} (${MODE_WORDS[decision.domainType]})`;
}

/** The mode the guest kernel alone would give DMA, whatever the scenario forces. */
export function kernelMode(decision: Pick<PolicyDecision, 'domainType'>): 'strict' | 'lazy' | 'passthrough' {
  if (decision.domainType === 'identity') return 'passthrough';
  return decision.domainType === 'dma-fq' ? 'lazy' : 'strict';
}

export function kernelVersionText(decision: Pick<PolicyDecision, 'kernel' | 'generation'>): string {
  const k = decision.kernel;
  return `v${k.major}.${k.minor}.${k.patch}, rule generation ${decision.generation}`;
}

/** One sentence: why DMA runs strict or lazy in this scenario. */
export function explainDecision(decision: PolicyDecision, effective: string, source: 'auto' | 'scenario'): string {
  const byKernel = kernelMode(decision);
  if (source === 'scenario') {
    return byKernel === effective
      ? `The scenario sets policy ${effective}, which is also what the guest kernel picks.`
      : `The scenario forces ${effective}; the guest kernel alone would run ${byKernel}.`;
  }
  if (!decision.dmaRemapping) return 'DMA remapping is off: the device is not translated, so there is nothing to invalidate.';
  if (decision.domainType === 'identity') return 'The guest kernel gives the device an identity (passthrough) domain: no mappings, no IOTLB invalidations.';
  if (decision.domainType === 'dma-fq') {
    return 'The guest kernel stays lazy: unmaps go to a flush queue and the IOTLB is invalidated in batches.';
  }
  if (decision.forcedStrict) {
    return `The guest kernel goes strict: iommu_set_dma_strict() ran (see the highlighted steps), so every unmap invalidates the IOTLB at once and the flush queue is never used.`;
  }
  return 'The guest kernel runs strict by its own default (Kconfig or command line): every unmap invalidates the IOTLB at once.';
}

/**
 * The steps worth reading first: the kernel-version rule, the caching-mode
 * rule (strict forced or flush queue allowed) and command-line parameters.
 */
export function isKeyReason(reason: PolicyReason): boolean {
  return reason.source === 'kernel version' || /caching mode|iommu_set_dma_strict/i.test(reason.text) || reason.source.includes('=');
}

/** Reasons from the preview (typed loosely in the contract) as `{ source, text }`, skipping anything else. */
export function reasonsOf(reasons: readonly unknown[]): PolicyReason[] {
  return reasons.filter((r): r is PolicyReason => typeof r === 'object' && r !== null && typeof (r as PolicyReason).source === 'string' && typeof (r as PolicyReason).text === 'string');
}
