// What the simulation counts and where vCPU time goes: the counter names and
// the CPU time categories, each declared once so a misspelt name is a type error.
import type { ExitReason, InvalidationKind } from '../backends/types.ts';

export type CounterName =
  | 'dma.map'
  | 'dma.unmap'
  | 'dma.setupMap'
  | 'iova.freed'
  | 'iova.hit'
  | 'iova.depot'
  | 'iova.miss'
  | 'iova.depotTrimmed'
  | `exit.${ExitReason}`
  | `inval.${InvalidationKind}`
  | 'qi.submission'
  | 'kvm.fault'
  | 'flush.full'
  | 'flush.timer'
  | 'net.segments'
  | 'net.payloadBytes';

export const CPU_CATEGORIES = [
  'stack',
  'iova',
  'pte',
  'flushQueue',
  /** Bare metal: the invalidation being served by the IOMMU while the CPU spins on its wait descriptor. */
  'hwInvalidation',
  /** Bare metal: spinning while the IOMMU serves other CPUs' descriptors queued ahead. */
  'hwQueueWait',
  'wpFault',
  'exit',
  /** Spinning on the guest's invalidation-queue lock (qi->q_lock, interrupts off). */
  'qiLockSpin',
  /** Spinning on a flush queue's lock (fq->lock, interrupts off). */
  'fqLockSpin',
  /** Blocked in QEMU waiting for its big lock (BQL). */
  'vmmLockWait',
  'vmmHandling',
] as const;
export type CpuCategory = (typeof CPU_CATEGORIES)[number];
/** Category indexes: the hot path adds to a typed array instead of keyed properties. */
export const CAT = Object.fromEntries(CPU_CATEGORIES.map((c, i) => [c, i])) as { readonly [K in CpuCategory]: number };

/** The serialization points the model holds as engine resources (DOMAIN.md §3, §4). */
export const RESOURCES = {
  bql: { label: "QEMU's big lock (BQL)", irqsOff: false, why: 'QEMU handles every invalidation-queue exit under it' },
  qiLock: { label: 'invalidation-queue lock (qi->q_lock)', irqsOff: true, why: 'qi_submit_sync() holds it across the tail write, which in a VM is the whole exit' },
  iommuQueue: { label: 'IOMMU invalidation queue', irqsOff: true, why: 'the IOMMU serves its queue one descriptor after another while the CPU spins on its wait descriptor' },
  fqLock: { label: 'flush-queue lock (fq->lock)', irqsOff: true, why: 'queue_iova() holds it across a ring-full flush' },
} as const;
export type ResourceName = keyof typeof RESOURCES;
export const RESOURCE_NAMES = Object.keys(RESOURCES) as ResourceName[];
