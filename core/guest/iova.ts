// IOVA allocation with per-CPU range caches (drivers/iommu/iova.c): each CPU
// holds a loaded and a previous magazine of 127 IOVAs per size class (sizes up
// to 32 pages); full or empty magazines are exchanged with a shared depot; a
// miss falls to the locked rbtree. Only counts are modelled, not addresses.
import type { Costs } from '../model/costs.ts';
import type { Counters } from '../engine/counters.ts';
import type { CounterName } from '../model/accounting.ts';

export const IOVA_MAG_SIZE = 127;
/** Classes 0..5: 1 to 32 pages (IOVA_RANGE_CACHE_MAX_SIZE = 6). */
export const IOVA_RCACHE_CLASSES = 6;
/** Full magazines the depot keeps (MAX_GLOBAL_MAGS before v6.7; later kernels reclaim an unbounded depot lazily). */
export const IOVA_DEPOT_MAGS = 32;

interface CpuCache {
  loaded: number;
  prev: number;
}

export function sizeClass(pages: number): number {
  return Math.ceil(Math.log2(Math.max(1, pages)));
}

export class IovaAllocator {
  private caches: CpuCache[][];
  private depot: number[] = new Array<number>(IOVA_RCACHE_CLASSES).fill(0);
  private readonly ids;

  constructor(
    cpus: number,
    private costs: Costs,
    private counters: Counters<CounterName>,
  ) {
    this.ids = { hit: counters.id('iova.hit'), depot: counters.id('iova.depot'), miss: counters.id('iova.miss') };
    this.caches = Array.from({ length: cpus }, () => Array.from({ length: IOVA_RCACHE_CLASSES }, () => ({ loaded: 0, prev: 0 })));
  }

  /** Allocates one IOVA range; returns the guest CPU time it took. */
  alloc(cpu: number, pages: number): number {
    const cls = sizeClass(pages);
    const c = this.caches[cpu]?.[cls];
    if (!c) return this.miss();
    if (c.loaded > 0) return this.hit(c, -1);
    if (c.prev > 0) {
      [c.loaded, c.prev] = [c.prev, c.loaded];
      return this.hit(c, -1);
    }
    if (this.depot[cls]! > 0) {
      this.depot[cls]!--;
      c.loaded = IOVA_MAG_SIZE - 1;
      this.counters.add(this.ids.depot);
      return this.costs.iovaDepotNs;
    }
    return this.miss();
  }

  /** Returns one IOVA range to the caches; returns the guest CPU time it took. */
  free(cpu: number, pages: number): number {
    const cls = sizeClass(pages);
    const c = this.caches[cpu]?.[cls];
    if (!c) return this.miss();
    if (c.loaded < IOVA_MAG_SIZE) return this.hit(c, +1);
    if (c.prev < IOVA_MAG_SIZE) {
      [c.loaded, c.prev] = [c.prev, c.loaded];
      return this.hit(c, +1);
    }
    c.loaded = 1;
    if (this.depot[cls]! < IOVA_DEPOT_MAGS) {
      this.depot[cls]!++;
      this.counters.add(this.ids.depot);
      return this.costs.iovaDepotNs;
    }
    // Depot full: the whole magazine goes back to the rbtree, one IOVA at a time.
    this.counters.add(this.ids.miss, IOVA_MAG_SIZE);
    return this.costs.iovaRbtreeNs * IOVA_MAG_SIZE;
  }

  private hit(c: CpuCache, delta: number): number {
    c.loaded += delta;
    this.counters.add(this.ids.hit);
    return this.costs.iovaRcacheHitNs;
  }

  private miss(): number {
    this.counters.add(this.ids.miss);
    return this.costs.iovaRbtreeNs;
  }
}
