// The IOVA flush queue (drivers/iommu/dma-iommu.c): rings of unmapped IOVAs
// waiting for one domain-wide IOTLB flush. Per-CPU rings have 256 slots (255
// usable: one stays empty to tell full from empty) and a 10 ms one-shot timer;
// the single queue (shadow_on_flush) has 32768 slots and 1000 ms.
//
// An entry is covered by the first flush that *starts* after it was queued
// (the kernel's fq_flush_start_cnt / fq_flush_finish_cnt counters); its stale
// window runs from its PTE clear to that flush's completion. IOVAs return to
// the allocator only when their ring is next cleaned after that completion.
// Each ring has its lock (fq->lock); the DMA layer takes it.
import type { LogHistogram } from '../engine/histogram.ts';

class Ring {
  readonly queuedAt: Float64Array;
  readonly clearedAt: Float64Array;
  readonly pages: Int32Array;
  readonly coveredAt: Float64Array;
  head = 0;
  count = 0;
  /** Offset from head of the first entry no flush has covered yet. */
  coveredPrefix = 0;

  constructor(readonly slots: number) {
    this.queuedAt = new Float64Array(slots);
    this.clearedAt = new Float64Array(slots);
    this.pages = new Int32Array(slots);
    this.coveredAt = new Float64Array(slots);
  }

  isFull(): boolean {
    return this.count >= this.slots - 1;
  }
}

export class FlushQueue {
  readonly rings: Ring[];
  timerArmed = false;
  /** Longest time from a flush request to its completion, lock wait included. */
  maxFlushLatencyNs = 0;

  constructor(
    readonly kind: 'per-cpu' | 'single',
    slots: number,
    cpus: number,
    private warmupNs: number,
    /** Where stale windows are recorded (shared with strict invalidations). */
    private stale: LogHistogram,
  ) {
    this.rings = Array.from({ length: kind === 'single' ? 1 : cpus }, () => new Ring(slots));
  }

  /** The ring a CPU queues to: its own, or the single one. */
  ringIndexOf(cpu: number): number {
    return this.kind === 'single' ? 0 : cpu;
  }

  isFull(ring: number): boolean {
    return this.rings[ring]!.isFull();
  }

  push(ring: number, nowNs: number, clearedNs: number, pages: number): void {
    const r = this.rings[ring]!;
    const i = (r.head + r.count) % r.slots;
    r.queuedAt[i] = nowNs;
    r.clearedAt[i] = clearedNs;
    r.pages[i] = pages;
    r.coveredAt[i] = -1;
    r.count++;
  }

  /** fq_ring_free_locked(): pops entries whose flush has completed; calls `free` for each. */
  freeCompleted(ring: number, nowNs: number, free: (pages: number) => void): number {
    const r = this.rings[ring]!;
    let n = 0;
    while (r.count > 0) {
      const covered = r.coveredAt[r.head]!;
      if (covered < 0 || covered > nowNs) break;
      free(r.pages[r.head]!);
      r.head = (r.head + 1) % r.slots;
      r.count--;
      r.coveredPrefix = Math.max(0, r.coveredPrefix - 1);
      n++;
    }
    return n;
  }

  /** A domain-wide flush that started at `startNs` completed at `endNs`. */
  cover(startNs: number, endNs: number, requestedNs: number): void {
    this.maxFlushLatencyNs = Math.max(this.maxFlushLatencyNs, endNs - requestedNs);
    for (const r of this.rings) {
      let contiguous = true;
      for (let k = r.coveredPrefix; k < r.count; k++) {
        const i = (r.head + k) % r.slots;
        if (r.coveredAt[i]! >= 0) {
          if (contiguous) r.coveredPrefix = k + 1;
          continue;
        }
        const queued = r.queuedAt[i]!;
        if (queued <= startNs) {
          r.coveredAt[i] = endNs;
          const cleared = r.clearedAt[i]!;
          if (cleared >= this.warmupNs) this.stale.record(endNs - cleared);
          if (contiguous) r.coveredPrefix = k + 1;
        } else {
          contiguous = false;
        }
      }
    }
  }

  /** Queue time of the oldest entry no flush has covered yet (Infinity if none). */
  oldestUncovered(): number {
    let oldest = Infinity;
    for (const r of this.rings) {
      for (let k = r.coveredPrefix; k < r.count; k++) {
        const i = (r.head + k) % r.slots;
        if (r.coveredAt[i]! < 0 && r.queuedAt[i]! < oldest) oldest = r.queuedAt[i]!;
      }
    }
    return oldest;
  }

  occupancy(): number {
    let n = 0;
    for (const r of this.rings) n += r.count;
    return n;
  }
}
