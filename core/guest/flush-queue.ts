// The IOVA flush queue (drivers/iommu/dma-iommu.c): rings of unmapped IOVAs
// waiting for one domain-wide IOTLB flush. Per-CPU rings have 256 slots (255
// usable: one stays empty to tell full from empty) and a 10 ms one-shot timer;
// the single queue (shadow_on_flush) has 32768 slots and 1000 ms.
//
// An entry is covered by the first flush that *starts* after it was queued
// (the kernel's fq_flush_start_cnt / fq_flush_finish_cnt counters); its stale
// window runs from its unmap to that flush's completion. IOVAs return to the
// allocator only when their ring is next cleaned after that completion.
import { LogHistogram } from '../engine/histogram.ts';

class Ring {
  readonly queuedAt: Float64Array;
  readonly pages: Int32Array;
  readonly coveredAt: Float64Array;
  head = 0;
  count = 0;
  /** Offset from head of the first entry no flush has covered yet. */
  coveredPrefix = 0;

  constructor(readonly slots: number) {
    this.queuedAt = new Float64Array(slots);
    this.pages = new Int32Array(slots);
    this.coveredAt = new Float64Array(slots);
  }

  isFull(): boolean {
    return this.count >= this.slots - 1;
  }
}

export class FlushQueue {
  readonly rings: Ring[];
  readonly stale = new LogHistogram();
  timerArmed = false;
  /** Longest time from a flush request to its completion, lock wait included. */
  maxFlushLatencyNs = 0;

  constructor(
    readonly kind: 'per-cpu' | 'single',
    slots: number,
    cpus: number,
    private warmupNs: number,
  ) {
    this.rings = Array.from({ length: kind === 'single' ? 1 : cpus }, () => new Ring(slots));
  }

  ringOf(cpu: number): Ring {
    return this.rings[this.kind === 'single' ? 0 : cpu]!;
  }

  isFull(cpu: number): boolean {
    return this.ringOf(cpu).isFull();
  }

  push(cpu: number, nowNs: number, pages: number): void {
    const r = this.ringOf(cpu);
    const i = (r.head + r.count) % r.slots;
    r.queuedAt[i] = nowNs;
    r.pages[i] = pages;
    r.coveredAt[i] = -1;
    r.count++;
  }

  /** fq_ring_free(): pops entries whose flush has completed; calls `free` for each. */
  freeCompleted(cpu: number, nowNs: number, free: (pages: number) => void): number {
    return this.freeRing(this.ringOf(cpu), nowNs, free);
  }

  /** The timer path frees every ring. */
  freeAllCompleted(nowNs: number, free: (pages: number) => void): number {
    let n = 0;
    for (const r of this.rings) n += this.freeRing(r, nowNs, free);
    return n;
  }

  private freeRing(r: Ring, nowNs: number, free: (pages: number) => void): number {
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
          if (queued >= this.warmupNs) this.stale.record(endNs - queued);
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
