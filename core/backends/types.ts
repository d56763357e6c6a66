// What a vIOMMU backend turns each guest operation into (DOMAIN.md §4).
import type { Costs } from '../model/costs.ts';
import type { Backend, HardwareIommu } from '../model/scenario.ts';

/** Why a vCPU exits to the VMM: the invalidation it submits (write-protection faults stay in the kernel and are counted apart). */
export const EXIT_REASONS = ['psi-map', 'psi-unmap', 'dsi-flush', 'pasid-unmap', 'pasid-flush', 'dev-tlb', 'virtio-map', 'virtio-unmap', 'virtio-flush'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];
/** Invalidation descriptors by kind ('dev-tlb': a device-TLB invalidation, with ATS). */
/** ('virtio': one sync of the virtio-iommu request queue, carrying the MAP and UNMAP requests queued since the last.) */
export const INVALIDATION_KINDS = ['psi', 'dsi', 'pasid', 'hardware', 'dev-tlb', 'virtio'] as const;
export type InvalidationKind = (typeof INVALIDATION_KINDS)[number];

/** The guest I/O page table as the VMM sees it when it has to walk it. */
export interface DomainView {
  /** Present leaf PTEs: rings, page pools, in-flight buffers. */
  presentPtes: number;
  /** Mappings unmapped by the guest since the last domain flush, still in the shadow (lazy mode). */
  staleMappings: number;
}

/**
 * One invalidation request of the guest (qi_submit_sync): descriptors plus a
 * wait descriptor, one tail-register write. The guest decides how many
 * submissions it takes (a device-TLB descriptor shares the IOTLB one's
 * submission only with qi_batch); the backend says what serving one costs.
 */
export interface Submission {
  kind: InvalidationKind;
  /** Exit reason when the tail write traps to the VMM, handled under its lock; null on bare metal, where the IOMMU serves the queue. */
  exit: ExitReason | null;
  /** Serving a submission whatever it holds: QEMU fetching the queue and completing the wait descriptor. */
  submitNs: number;
  /** Serving the IOTLB (or PASID, or domain) invalidation descriptor. */
  invalidateNs: number;
  /** Serving one device-TLB invalidation descriptor (a device with ATS). */
  deviceTlbNs: number;
}

export interface OpCost {
  /** In-kernel write-protection faults taken (shadow-fl-wp), not exits to the VMM. */
  faults: number;
  /** vCPU time those faults cost, in the kernel. */
  faultNs: number;
  /** The invalidation the operation submits, or null. */
  submission: Submission | null;
}

export interface BackendModel {
  readonly id: Backend;
  readonly describe: string;
  /** After the guest wrote the PTEs of a new mapping. */
  map(pages: number): OpCost;
  /** The guest cleared the PTEs of a mapping (both policies). */
  pteClear(pages: number): OpCost;
  /** Strict mode: the invalidation that follows each unmap. */
  strictInvalidate(pages: number): OpCost;
  /** Lazy mode: one domain-wide flush retiring a whole batch. */
  flush(domain: DomainView): OpCost;
}

export const NO_COST: OpCost = Object.freeze({ faults: 0, faultNs: 0, submission: null });

/** An invalidation that exits to the VMM; QEMU's handling happens under its lock. */
export function exitCost(exit: ExitReason, kind: InvalidationKind, submitNs: number, invalidateNs: number, deviceTlbNs: number): OpCost {
  return { faults: 0, faultNs: 0, submission: { kind, exit, submitNs, invalidateNs, deviceTlbNs } };
}

/** What a backend needs of the scenario besides the costs. */
export interface BackendOptions {
  /** Bare metal: the IOMMU that serves invalidations. */
  hardware: HardwareIommu;
  /** virtio-iommu: sync after each map (ops->iotlb_sync_map). */
  iotlbSyncMap: boolean;
}

export const DEFAULT_BACKEND_OPTIONS: BackendOptions = { hardware: 'vtd', iotlbSyncMap: true };

export type BackendFactory = (costs: Costs, opts: BackendOptions) => BackendModel;
