// first_level_by_default() in drivers/iommu/intel/iommu.c, per release.

import type { FirstLevelRule } from './kernel-facts.ts';
import type { ViommuCaps } from './types.ts';

export type IommuDomainKind = 'dma' | 'unmanaged';

export interface FirstLevelChoice {
  firstLevel: boolean;
  why: string;
}

/**
 * Whether DMA translation uses the first-level table.
 * `scalableMode` is sm_supported(): capability advertised and intel_iommu_sm set.
 */
export function firstLevelByDefault(
  rule: FirstLevelRule,
  scalableMode: boolean,
  caps: Pick<ViommuCaps, 'firstLevel' | 'secondLevel'>,
  kind: IommuDomainKind = 'dma',
): FirstLevelChoice {
  if (rule === 'second-level-only') {
    return { firstLevel: false, why: 'this kernel predates first-level DMA translation (v5.6)' };
  }
  if (!scalableMode) {
    return { firstLevel: false, why: 'legacy mode only has the second level' };
  }
  if (rule === 'scalable-and-flts') {
    return caps.firstLevel
      ? { firstLevel: true, why: 'scalable mode with FLTS: scalable_mode_support() && intel_cap_flts_sanity()' }
      : { firstLevel: false, why: 'scalable mode without FLTS' };
  }
  if (caps.firstLevel !== caps.secondLevel) {
    return caps.firstLevel
      ? { firstLevel: true, why: 'only FLTS is advertised, so the first level is used' }
      : { firstLevel: false, why: 'only SLTS is advertised, so the second level is used' };
  }
  // Both (or, by the letter of the code, neither) level: decided by domain type.
  const firstLevel = kind !== 'unmanaged';
  const levels = caps.firstLevel ? 'both FLTS and SLTS are advertised' : 'neither FLTS nor SLTS is advertised';
  return {
    firstLevel,
    why: `${levels}: ${firstLevel ? 'first' : 'second'} level for ${kind === 'dma' ? 'IOMMU_DOMAIN_DMA' : 'IOMMU_DOMAIN_UNMANAGED'}`,
  };
}
