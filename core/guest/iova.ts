// IOVA allocation with per-CPU range caches (drivers/iommu/iova.c): each CPU
// holds a loaded and a previous magazine of 127 IOVAs per size class (sizes up
// to 32 pages); full or empty magazines are exchanged with a shared depot; a
// miss falls to the locked rbtree. Only counts are modelled, not addresses.
//
// The depot depends on the release: up to v6.6 it keeps at most 32 full
// magazines and a full depot sends a magazine back to the rbtree one IOVA at
// a time; from v6.7 it is unbounded, and a delayed work frees one magazine
// every 100 ms while it holds more than one per online CPU. The trimming is
// computed from elapsed time whenever the depot is touched.
import type { Costs } from '../model/costs.ts';
import type { Counters } from '../engine/counters.ts';
import type { IovaDepotRule } from '../policy/index.ts';
import type { CounterName } from '../model/accounting.ts';

export const IOVA_MAG_SIZE = 127;
/** Classes 0..5: 1 to 32 pages (IOVA_RANGE_CACHE_MAX_SIZE = 6). */
export const IOVA_RCACHE_CLASSES = 6;
/** Full magazines the depot keeps (MAX_GLOBAL_MAGS before v6.7). */
export const IOVA_DEPOT_MAGS = 32;
/** IOVA_DEPOT_DELAY (v6.7): period of the depot trimming work. */
export const IOVA_DEPOT_TRIM_PERIOD_NS = 100e6;

export interface IovaDepotOptions {
  rule: IovaDepotRule;
  /** num_online_cpus(): the trimmed depot keeps this many magazines. */
  onlineCpus: number;
  /** Current time, for the lazily computed trimming. */
  nowNs: () => number;
}

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
  /** When the trimming work of each class runs next (Infinity: not scheduled). */
  private trimDueNs: number[] = new Array<number>(IOVA_RCACHE_CLASSES).fill(Infinity);
  private readonly ids;
  private readonly depotOptions: IovaDepotOptions;

  constructor(
    cpus: number,
    private costs: Costs,
    private counters: Counters<CounterName>,
    depot?: IovaDepotOptions,
  ) {
    this.depotOptions = depot ?? { rule: 'bounded-32', onlineCpus: cpus, nowNs: () => 0 };
    this.ids = { hit: counters.id('iova.hit'), depot: counters.id('iova.depot'), miss: counters.id('iova.miss'), trimmed: counters.id('iova.depotTrimmed') };
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
    this.trim(cls);
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
    return this.loadedToDepot(c, cls);
  }

  /** Both magazines full: the loaded one goes to the depot (or, the depot full, back to the rbtree) and a fresh one takes the IOVA. */
  private loadedToDepot(c: CpuCache, cls: number): number {
    c.loaded = 1;
    return this.magazinesToDepot(cls, 1);
  }

  /** `m` full magazines, one after another at the same time, to the depot or, past a full depot, back to the rbtree. */
  private magazinesToDepot(cls: number, m: number): number {
    if (this.depotOptions.rule === 'unbounded-trimmed') {
      this.trim(cls);
      this.depot[cls]! += m;
      // schedule_delayed_work() leaves an already pending work where it is.
      if (this.trimDueNs[cls] === Infinity) this.trimDueNs[cls] = this.depotOptions.nowNs() + IOVA_DEPOT_TRIM_PERIOD_NS;
      this.counters.add(this.ids.depot, m);
      return m * this.costs.iovaDepotNs;
    }
    const kept = Math.max(0, Math.min(m, IOVA_DEPOT_MAGS - this.depot[cls]!));
    this.depot[cls]! += kept;
    if (kept) this.counters.add(this.ids.depot, kept);
    // Depot full: the whole magazine goes back to the rbtree, one IOVA at a time.
    const returned = m - kept;
    if (returned) this.counters.add(this.ids.miss, returned * IOVA_MAG_SIZE);
    return kept * this.costs.iovaDepotNs + returned * this.costs.iovaRbtreeNs * IOVA_MAG_SIZE;
  }

  /** `n` IOVAs the per-CPU caches cannot serve (a size they do not hold, or a dry depot): each goes to the rbtree. */
  private uncached(n: number): number {
    this.counters.add(this.ids.miss, n);
    return n * this.costs.iovaRbtreeNs;
  }

  /**
   * `n` allocations of one size in a row on one CPU: the same outcome and
   * counts as `n` calls of `alloc`, in steps of a magazine rather than of an IOVA.
   */
  allocMany(cpu: number, pages: number, n: number): number {
    const cls = sizeClass(pages);
    const c = this.caches[cpu]?.[cls];
    if (!c) return this.uncached(n);
    let ns = 0;
    let hits = 0;
    while (n > 0) {
      if (c.loaded > 0) {
        const k = Math.min(n, c.loaded);
        c.loaded -= k;
        hits += k;
        n -= k;
      } else if (c.prev > 0) {
        [c.loaded, c.prev] = [c.prev, c.loaded];
      } else {
        // Both magazines empty: each further 127 allocations take a magazine from the depot
        // (one allocation through the depot, 126 hits); when the depot runs dry, the rest miss.
        this.trim(cls);
        const magazines = Math.min(this.depot[cls]!, Math.ceil(n / IOVA_MAG_SIZE));
        if (magazines > 0) {
          this.depot[cls]! -= magazines;
          this.counters.add(this.ids.depot, magazines);
          ns += magazines * this.costs.iovaDepotNs;
          const served = Math.min(n, magazines * IOVA_MAG_SIZE);
          hits += served - magazines;
          c.loaded = magazines * IOVA_MAG_SIZE - served;
          n -= served;
        }
        if (n > 0) {
          ns += this.uncached(n);
          n = 0;
        }
      }
    }
    this.counters.add(this.ids.hit, hits);
    return ns + hits * this.costs.iovaRcacheHitNs;
  }

  /** `n` frees of one size in a row on one CPU: the outcome and counts of `n` calls of `free`. */
  freeMany(cpu: number, pages: number, n: number): number {
    const cls = sizeClass(pages);
    const c = this.caches[cpu]?.[cls];
    if (!c) return this.uncached(n);
    let ns = 0;
    let hits = 0;
    while (n > 0) {
      if (c.loaded < IOVA_MAG_SIZE) {
        const k = Math.min(n, IOVA_MAG_SIZE - c.loaded);
        c.loaded += k;
        hits += k;
        n -= k;
      } else if (c.prev < IOVA_MAG_SIZE) {
        [c.loaded, c.prev] = [c.prev, c.loaded];
      } else {
        // Both magazines full: each further 127 frees send the loaded magazine on and refill it (one free through the depot, 126 hits).
        const magazines = Math.ceil(n / IOVA_MAG_SIZE);
        ns += this.magazinesToDepot(cls, magazines);
        hits += n - magazines;
        c.loaded = n - (magazines - 1) * IOVA_MAG_SIZE;
        n = 0;
      }
    }
    this.counters.add(this.ids.hit, hits);
    return ns + hits * this.costs.iovaRcacheHitNs;
  }

  /** Full magazines in the depot of a size class (after any trimming due by now). */
  depotSize(cls: number): number {
    this.trim(cls);
    return this.depot[cls]!;
  }

  // iova_depot_work_func(): each run frees one magazine while the depot holds
  // more than one per online CPU, and reschedules itself only after freeing.
  // The freed IOVAs go to the rbtree from a kworker, not from a vCPU doing
  // DMA, so no vCPU time is charged for them.
  private trim(cls: number): void {
    if (this.depotOptions.rule !== 'unbounded-trimmed') return;
    const now = this.depotOptions.nowNs();
    while (this.trimDueNs[cls]! <= now) {
      if (this.depot[cls]! <= this.depotOptions.onlineCpus) {
        this.trimDueNs[cls] = Infinity;
        return;
      }
      this.depot[cls]!--;
      this.counters.add(this.ids.trimmed);
      this.trimDueNs[cls]! += IOVA_DEPOT_TRIM_PERIOD_NS;
    }
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
