// Public types of the guest-kernel policy resolver.

export type KconfigDefault = 'strict' | 'lazy' | 'passthrough';
export type DomainType = 'identity' | 'dma' | 'dma-fq';
export type Generation = 1 | 2 | 3;
export type PageTable = 'first-level' | 'second-level' | 'none';

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** What the vIOMMU advertises: CM (cap), SMTS, FLTS and SLTS (ecap). */
export interface ViommuCaps {
  cachingMode: boolean;
  scalableMode: boolean;
  firstLevel: boolean;
  secondLevel: boolean;
}

export interface PolicyInput {
  /** "6.2", "6.3.13", "5.10.200", "6.8-rc3", "v6.3" ... */
  kernel: string;
  kconfigDefault: KconfigDefault;
  /** Full kernel command line; unrelated tokens are fine. */
  cmdline: string;
  caps: ViommuCaps;
  /** External-facing PCI device (pci_dev->untrusted). */
  untrusted: boolean;
}

export interface PolicyReason {
  /** The kernel function, parameter or Kconfig symbol mirrored. */
  source: string;
  text: string;
}

export interface PolicyDecision {
  domainType: DomainType;
  /** Strictness of DMA domains; for 'identity' what a DMA domain would get. */
  strict: boolean;
  generation: Generation;
  kernel: KernelVersion;
  /** Scalable mode in effect: capability advertised and intel_iommu_sm set. */
  scalableMode: boolean;
  /** Table used by the device's domain; 'none' for identity or with DMA remapping off. */
  pageTable: PageTable;
  /** Table a DMA domain would use on this guest (also for an identity device); 'none' with DMA remapping off. */
  dmaPageTable: PageTable;
  /** iommu_set_dma_strict() ran (CM rule or intel_iommu=strict), or its pre-v5.13 equivalent intel_iommu_strict = 1. */
  forcedStrict: boolean;
  /** False when intel_iommu=off or iommu=off keeps intel_iommu_init() from enabling translation. */
  dmaRemapping: boolean;
  /** In the order the kernel applies them. */
  reasons: PolicyReason[];
  /** dmesg lines in boot order (trailing blanks of older kernels trimmed). */
  log: string[];
  /**
   * iommu-related command-line input the kernel ignores: whole tokens
   * ("iommu.foo=1") or single sub-options of a comma list, written as
   * name=sub-option ("intel_iommu=bogus").
   */
  ignored: string[];
  /** Malformed or inapplicable input; the kernel's own treatment was applied. */
  warnings: string[];
}
