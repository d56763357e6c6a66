// What a given kernel release does, as far as the policy resolver cares.
// Every boundary below was checked against kernel sources, mainline patches
// or stable review mails; where only the two ends of a range were checked,
// the kernels in between behave like the older checked release.

import type { Generation, KernelVersion } from './types.ts';
import { atLeast, formatVersion, onBranch } from './version.ts';

/** "iommu/vt-d: Do not use flush-queue when caching-mode is on" (v5.11). */
export const CM_RULE_COMMIT = '29b32839725f';
/** "iommu/vt-d: Allow to use flush-queue when first level is default" (v6.3). */
export const FIRST_LEVEL_EXEMPTION_COMMIT = '257ec2907419';

interface StableBackport {
  major: number;
  minor: number;
  sincePatch: number;
  commit: string;
  generation: Generation;
}

// From the stable review series that carried each commit:
// 4.14.221 and 4.19.175 (February 2021),
// "[PATCH 5.4 58/65]" (5.4.97-rc1), "[PATCH 5.10 17/57]" (5.10.14-rc1),
// "[PATCH 5.15 341/567]" (5.15.99-rc1, with 032c5ee40e9f as its dependency),
// "[PATCH 6.1 488/885]" (6.1.16-rc1), "[PATCH 6.2 0569/1001]" (6.2.3-rc1).
const STABLE_BACKPORTS: readonly StableBackport[] = [
  { major: 4, minor: 14, sincePatch: 221, commit: CM_RULE_COMMIT, generation: 2 },
  { major: 4, minor: 19, sincePatch: 175, commit: CM_RULE_COMMIT, generation: 2 },
  { major: 5, minor: 4, sincePatch: 97, commit: CM_RULE_COMMIT, generation: 2 },
  { major: 5, minor: 10, sincePatch: 14, commit: CM_RULE_COMMIT, generation: 2 },
  { major: 5, minor: 15, sincePatch: 99, commit: FIRST_LEVEL_EXEMPTION_COMMIT, generation: 3 },
  { major: 6, minor: 1, sincePatch: 16, commit: FIRST_LEVEL_EXEMPTION_COMMIT, generation: 3 },
  { major: 6, minor: 2, sincePatch: 3, commit: FIRST_LEVEL_EXEMPTION_COMMIT, generation: 3 },
];

/**
 * The newest release whose changes the lab's kernel facts include (the TSQ
 * limit of v6.16 in core/model, qi_batch of v6.12, the flush-queue and IOVA
 * depot changes of v6.7 here). A later release is resolved like it: a change
 * it made to these rules would not show, so the resolver says so.
 */
export const NEWEST_KNOWN_RELEASE: KernelVersion = { major: 6, minor: 16, patch: 0 };

// Longterm branches alive when 29b32839725f went to stable whose uptake
// could not be checked (4.14 and 4.19 took it: see STABLE_BACKPORTS).
const UNVERIFIED_LONGTERM = ['4.4', '4.9'];

export interface GenerationBasis {
  generation: Generation;
  text: string;
}

function mainlineGeneration(v: KernelVersion): Generation {
  if (atLeast(v, 6, 3)) return 3;
  // Release candidates count as the release: 29b32839725f landed during 5.11-rc.
  if (atLeast(v, 5, 11)) return 2;
  return 1;
}

const GENERATION_RULE: Record<Generation, string> = {
  1: `no caching-mode rule (before ${CM_RULE_COMMIT})`,
  2: `caching mode forces strict (${CM_RULE_COMMIT})`,
  3: `caching mode forces strict only when !first_level_by_default(IOMMU_DOMAIN_DMA) (${FIRST_LEVEL_EXEMPTION_COMMIT})`,
};

/** Generation of a release, with the evidence: mainline version or a stable backport. */
export function generationBasis(v: KernelVersion): GenerationBasis {
  const release = `v${formatVersion(v)}`;
  const mainline = mainlineGeneration(v);
  const branch = STABLE_BACKPORTS.filter((b) => onBranch(v, b.major, b.minor) && b.generation > mainline);
  const taken = branch.filter((b) => v.patch >= b.sincePatch).sort((a, b) => b.generation - a.generation)[0];
  if (taken) {
    return {
      generation: taken.generation,
      text: `${release} is generation ${taken.generation}: ${GENERATION_RULE[taken.generation]}; ${taken.commit} reached ${v.major}.${v.minor}.y in ${v.major}.${v.minor}.${taken.sincePatch}`,
    };
  }
  const pending = branch.map((b) => `${b.commit} reached ${v.major}.${v.minor}.y only in ${v.major}.${v.minor}.${b.sincePatch}`);
  if (UNVERIFIED_LONGTERM.includes(`${v.major}.${v.minor}`)) {
    pending.push(`mapped by mainline version: whether ${v.major}.${v.minor}.y picked up ${CM_RULE_COMMIT} was not verified`);
  }
  const suffix = pending.length > 0 ? `; ${pending.join('; ')}` : '';
  return { generation: mainline, text: `${release} is generation ${mainline}: ${GENERATION_RULE[mainline]}${suffix}` };
}

export function kernelGeneration(v: KernelVersion): Generation {
  return generationBasis(v).generation;
}

/** How first_level_by_default() decides, by release. */
export type FirstLevelRule =
  /** No first-level DMA translation yet. */
  | 'second-level-only'
  /** first_level_by_default(void): scalable_mode_support() && intel_cap_flts_sanity(). */
  | 'scalable-and-flts'
  /** first_level_by_default(type), 032c5ee40e9f: FLTS xor SLTS picks that one, both: all but UNMANAGED. */
  | 'by-domain-type';

/** Where the caching-mode rule lives and what it prints. */
export interface CachingModeRule {
  site: string;
  line: string;
  /** v5.15 prints it unconditionally; before, only while intel_iommu_strict was still 0. */
  printsWhenAlreadyStrict: boolean;
  /** v5.11-v5.12 evaluate it when the first DMA domain gets its flush queue. */
  needsDmaDomain: boolean;
}

export interface KernelFacts {
  generation: GenerationBasis;
  /** Checked from v5.4 on; older releases are resolved like v5.4. */
  inVerifiedRange: boolean;
  /** iommu.strict= reaches VT-d: v5.13 "iommu: remove DOMAIN_ATTR_DMA_USE_FLUSH_QUEUE". */
  vtdHonoursIommuStrict: boolean;
  /** CONFIG_IOMMU_DEFAULT_DMA_STRICT/_LAZY, the TLB policy log line and iommu_set_dma_strict(void): v5.15. */
  dmaStrictnessKconfig: boolean;
  /**
   * IOMMU_DOMAIN_DMA_FQ, lazy as a domain type of its own: v5.15 (bf3aed4660c6 "iommu: Introduce
   * explicit type for non-strict DMA domains"). Before, a lazy domain was an IOMMU_DOMAIN_DMA in
   * non-strict mode, its flush queue chosen per domain by the driver (DOMAIN_ATTR_DMA_USE_FLUSH_QUEUE
   * until v5.13).
   */
  dmaFqDomainType: boolean;
  logsTlbPolicy: boolean;
  cachingModeRule: CachingModeRule | null;
  /** CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON became default y in v5.15 (792fb43ce2c9), with sm_off. */
  scalableModeDefaultOn: boolean;
  /** Scalable mode and intel_iommu=sm_on arrived in v5.0; older releases only know legacy mode. */
  scalableModeSupport: boolean;
  intelOptionTexts: 'v5.10' | 'v5.15';
  /** intel_iommu_setup() logs "Unknown option" (v5.15). */
  reportsUnknownIntelOption: boolean;
  firstLevelRule: FirstLevelRule;
  /** kstrtobool() accepts "true"/"false" since v5.19 (0d6ea3ac94ca). */
  kstrtoboolTrueFalse: boolean;
  /** The guest DMA path of this release (dma-iommu.c, iova.c, intel/iommu.c). */
  dmaPath: DmaPathFacts;
}

/** How the IOVA rcache depot is sized. */
export type IovaDepotRule =
  /** MAX_GLOBAL_MAGS = 32 full magazines per size class; a full depot sends the magazine back to the rbtree. */
  | 'bounded-32'
  /** v6.7 "iommu/iova: Manage the depot list size": unbounded, one magazine trimmed every 100 ms down to the online CPUs. */
  | 'unbounded-trimmed';

export interface DmaPathFacts {
  iovaDepot: IovaDepotRule;
  /** v6.7 "iommu/dma: Use a large flush queue and timeout for shadow_on_flush": the single flush queue exists. */
  singleFlushQueue: boolean;
  /**
   * intel_iommu_unmap() tracks the IOVA range in the gather even for a queued
   * (lazy) unmap: from the VT-d conversion to dma-iommu (v5.11, 2a2b8eaa5b25)
   * until "iommu/vt-d: Avoid superfluous IOTLB tracking in lazy mode"
   * (mainline v6.3, stable 5.15.99, 6.1.16 and 6.2.3).
   */
  lazyGatherTracking: boolean;
  /** The release that removed the tracking on this branch, for messages. */
  lazyGatherFix: string;
}

// Stable releases that carry the gather-tracking fix, from the stable-rc
// pushes of March 2023 (same batches as 257ec2907419).
const GATHER_FIX_BACKPORTS: readonly { major: number; minor: number; sincePatch: number }[] = [
  { major: 5, minor: 15, sincePatch: 99 },
  { major: 6, minor: 1, sincePatch: 16 },
  { major: 6, minor: 2, sincePatch: 3 },
];

function dmaPathFacts(v: KernelVersion): DmaPathFacts {
  const backport = GATHER_FIX_BACKPORTS.find((b) => onBranch(v, b.major, b.minor));
  const fixed = atLeast(v, 6, 3) || (backport !== undefined && v.patch >= backport.sincePatch);
  return {
    iovaDepot: atLeast(v, 6, 7) ? 'unbounded-trimmed' : 'bounded-32',
    singleFlushQueue: atLeast(v, 6, 7),
    lazyGatherTracking: atLeast(v, 5, 11) && !fixed,
    lazyGatherFix: backport ? `${backport.major}.${backport.minor}.${backport.sincePatch}` : '6.3',
  };
}

function cachingModeRule(v: KernelVersion, generation: Generation): CachingModeRule | null {
  if (generation === 1) return null;
  if (atLeast(v, 5, 15)) {
    return { site: 'intel_iommu_init()', line: 'DMAR: IOMMU batching disallowed due to virtualization', printsWhenAlreadyStrict: true, needsDmaDomain: false };
  }
  if (atLeast(v, 5, 13)) {
    return { site: 'intel_iommu_init()', line: 'DMAR: IOMMU batching is disabled due to virtualization', printsWhenAlreadyStrict: false, needsDmaDomain: false };
  }
  if (atLeast(v, 5, 11)) {
    return { site: 'domain_use_flush_queue()', line: 'DMAR: IOMMU batching is disabled due to virtualization', printsWhenAlreadyStrict: false, needsDmaDomain: true };
  }
  // The 5.4.y and 5.10.y backports put the rule in init_dmars().
  return { site: 'init_dmars()', line: 'DMAR: Disable batched IOTLB flush due to virtualization', printsWhenAlreadyStrict: false, needsDmaDomain: false };
}

function firstLevelRule(v: KernelVersion): FirstLevelRule {
  if (atLeast(v, 5, 16) || (onBranch(v, 5, 15) && v.patch >= 99)) return 'by-domain-type';
  // First-level IOVA arrived with the v5.6 "Use first level page table for IOVA" series.
  if (atLeast(v, 5, 6)) return 'scalable-and-flts';
  return 'second-level-only';
}

export function kernelFacts(v: KernelVersion): KernelFacts {
  const generation = generationBasis(v);
  const v515 = atLeast(v, 5, 15);
  return {
    generation,
    inVerifiedRange: atLeast(v, 5, 4),
    vtdHonoursIommuStrict: atLeast(v, 5, 13),
    dmaStrictnessKconfig: v515,
    dmaFqDomainType: v515,
    logsTlbPolicy: v515,
    cachingModeRule: cachingModeRule(v, generation.generation),
    scalableModeDefaultOn: v515,
    scalableModeSupport: atLeast(v, 5, 0),
    intelOptionTexts: v515 ? 'v5.15' : 'v5.10',
    reportsUnknownIntelOption: v515,
    firstLevelRule: firstLevelRule(v),
    kstrtoboolTrueFalse: atLeast(v, 5, 19),
    dmaPath: dmaPathFacts(v),
  };
}
