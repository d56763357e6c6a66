// What a vIOMMU backend turns each guest operation into (DOMAIN.md §4).
import type { Costs } from '../model/costs.ts';
import type { Backend } from '../model/scenario.ts';

export const EXIT_REASONS = ['psi-map', 'psi-unmap', 'dsi-flush', 'pasid-unmap', 'pasid-flush', 'wp-fault'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];
export const INVALIDATION_KINDS = ['psi', 'dsi', 'pasid', 'hardware'] as const;
export type InvalidationKind = (typeof INVALIDATION_KINDS)[number];

/** The guest I/O page table as the VMM sees it when it has to walk it. */
export interface DomainView {
  /** Present leaf PTEs: rings, page pools, in-flight buffers. */
  presentPtes: number;
  /** Mappings unmapped by the guest since the last domain flush, still in the shadow (lazy mode). */
  staleMappings: number;
}

export interface OpCost {
  /** vCPU time outside the VMM lock: hardware invalidation wait (bare metal) or in-kernel fault handling. */
  guestNs: number;
  guestCategory: 'hwInvalidation' | 'wpFault';
  /** In-kernel exits taken (write-protection faults). */
  faults: number;
  /** An exit to the VMM, handled under its lock; null when the operation stays in the guest. */
  exit: { reason: ExitReason; lockedNs: number } | null;
  invalidation: InvalidationKind | null;
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

export const NO_COST: OpCost = Object.freeze({ guestNs: 0, guestCategory: 'hwInvalidation', faults: 0, exit: null, invalidation: null });

export function exitCost(reason: ExitReason, lockedNs: number, invalidation: InvalidationKind): OpCost {
  return { guestNs: 0, guestCategory: 'hwInvalidation', faults: 0, exit: { reason, lockedNs }, invalidation };
}

export type BackendFactory = (costs: Costs) => BackendModel;
